# lepton_add_model(<target> MODEL <model.onnx>
#                  [TARGET cpu] [NAME <c-identifier>]
#                  [MTRIPLE <triple>] [MCPU <cpu>] [MATTR <features>]
#                  [THREADS pool|single]
#                  [QUANTIZE int8 CALIBRATION_DATA <dir>]
#                  [OPTIONS <leptonc options>...])
#
# Compiles the model with leptonc into a STATIC library target <target>
# whose include path holds the generated <NAME>.h (NAME defaults to <target>
# as a C identifier). The library links Lepton's runtime core (THREADS
# single: no heap, threads or libdl) or the static runtime with its thread
# pool (THREADS pool, the default). leptonc runs again only when the model,
# the calibration data, these arguments or leptonc itself change.
#
# When CMake cross-compiles, the triple defaults to the C compiler's
# (`-dumpmachine`) and the runtime is built for the target from its
# installed sources. QUANTIZE and CALIBRATION_DATA are passed to leptonc as
# --quantize and --calibration-data.

function(_lepton_runtime_for_target kind out)
  if(NOT CMAKE_CROSSCOMPILING)
    set(${out} Lepton::${kind} PARENT_SCOPE)
    return()
  endif()
  set(lib lepton_${kind}_for_target)
  if(NOT TARGET ${lib})
    set(dir ${LEPTON_RUNTIME_SOURCE_DIR})
    if(kind STREQUAL "runtime_core")
      add_library(${lib} STATIC ${dir}/core.c)
    else()
      _lepton_runtime_for_target(runtime_core core)
      add_library(${lib} STATIC ${dir}/runtime.c ${dir}/threads.c ${dir}/cuda.c)
      find_package(Threads REQUIRED)
      target_link_libraries(${lib} PUBLIC ${core} ${CMAKE_DL_LIBS} m Threads::Threads)
    endif()
    set_target_properties(${lib} PROPERTIES C_STANDARD 11 POSITION_INDEPENDENT_CODE ON)
    target_include_directories(${lib} PUBLIC ${LEPTON_INCLUDE_DIR})
  endif()
  set(${out} ${lib} PARENT_SCOPE)
endfunction()

function(lepton_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG ""
    "MODEL;TARGET;NAME;MTRIPLE;MCPU;MATTR;THREADS;QUANTIZE;CALIBRATION_DATA" "OPTIONS")
  set(where "lepton_add_model(${target})")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${where}: unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "${where}: MODEL <file.onnx> is required")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "${where}: the model '${model}' does not exist")
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET cpu)
  endif()
  if(NOT ARG_TARGET STREQUAL "cpu")
    message(FATAL_ERROR "${where}: TARGET ${ARG_TARGET}: this leptonc compiles for cpu only")
  endif()
  if(NOT ARG_THREADS)
    set(ARG_THREADS pool)
  endif()
  if(NOT ARG_THREADS MATCHES "^(pool|single)$")
    message(FATAL_ERROR "${where}: THREADS must be pool or single, not '${ARG_THREADS}'")
  endif()
  if(ARG_NAME)
    set(name ${ARG_NAME})
  else()
    string(MAKE_C_IDENTIFIER "${target}" name)
  endif()
  if(CMAKE_CROSSCOMPILING AND NOT ARG_MTRIPLE)
    execute_process(COMMAND ${CMAKE_C_COMPILER} -dumpmachine
                    OUTPUT_VARIABLE ARG_MTRIPLE OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE failed)
    if(failed OR NOT ARG_MTRIPLE)
      message(FATAL_ERROR "${where}: cross-compiling, and the C compiler does not say its "
                          "target (-dumpmachine): give MTRIPLE")
    endif()
  endif()

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/lepton_models/${target}")
  set(object "${dir}/${name}${CMAKE_C_OUTPUT_EXTENSION}")
  set(header "${dir}/${name}.h")
  set(args "${model}" -o "${object}" --name ${name} --target ${ARG_TARGET}
           --threads ${ARG_THREADS})
  foreach(option MTRIPLE MCPU MATTR QUANTIZE)
    if(ARG_${option})
      string(TOLOWER ${option} flag)
      list(APPEND args --${flag} ${ARG_${option}})
    endif()
  endforeach()
  set(inputs "${model}")
  if(ARG_CALIBRATION_DATA)
    get_filename_component(data "${ARG_CALIBRATION_DATA}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND args --calibration-data "${data}")
    file(GLOB_RECURSE data_files CONFIGURE_DEPENDS "${data}/*")
    list(APPEND inputs ${data_files})
  endif()
  list(APPEND args ${ARG_OPTIONS})

  # Make-based generators do not re-run a command whose arguments changed:
  # depending on a file rewritten only when they change does it.
  file(MAKE_DIRECTORY "${dir}")
  string(JOIN "\n" recorded ${args})
  file(CONFIGURE OUTPUT "${dir}/leptonc.args" CONTENT "${recorded}\n")
  add_custom_command(
    OUTPUT "${object}" "${header}"
    COMMAND Lepton::leptonc ${args}
    DEPENDS ${inputs} "${dir}/leptonc.args" $<TARGET_FILE:Lepton::leptonc>
    COMMENT "leptonc: compiling ${ARG_MODEL} into ${target}"
    VERBATIM)
  set_source_files_properties("${object}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  add_library(${target} STATIC "${object}" "${header}")
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(${target} PUBLIC "${dir}")
  if(ARG_THREADS STREQUAL "single")
    _lepton_runtime_for_target(runtime_core runtime)
  else()
    _lepton_runtime_for_target(runtime_static runtime)
  endif()
  target_link_libraries(${target} PUBLIC ${runtime} m)
endfunction()
