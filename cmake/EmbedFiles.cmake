# Writes OUTPUT: one `{"name", R"lepton_embed(contents)lepton_embed"},` line per
# file in FILES (comma separated, relative to DIRECTORY), to be included into
# a C++ array.
set(text "// Generated from ${DIRECTORY} by cmake/EmbedFiles.cmake.\n")
string(REPLACE "," ";" FILES "${FILES}")
foreach(file ${FILES})
  file(READ "${DIRECTORY}/${file}" contents)
  string(APPEND text "{\"${file}\", R\"lepton_embed(${contents})lepton_embed\"},\n")
endforeach()
file(WRITE "${OUTPUT}" "${text}")
