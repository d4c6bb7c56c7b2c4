//===- Driver.cpp - the leptonc compilation driver ------------------------===//
#include "compiler/Driver.h"
#include "codegen/cuda/CUDABackend.h"
#include "codegen/cuda/KernelEmulation.h"
#include "codegen/hls/HLSBackend.h"
#include "codegen/hls/HLSEmitter.h"
#include "dialects/hls/HLSDialect.h"
#include "codegen/Passes.h"
#include "passes/compress/Passes.h"
#include "passes/compress/Compress.h"
#include "compiler/CalibrationCache.h"
#include "compiler/DynamicBatch.h"
#include "compiler/Evaluator.h"
#include "compiler/HeaderWriter.h"
#include "compiler/Report.h"
#include "compiler/frontend/onnx/OnnxImporter.h"
#include "dialects/compress/CompressDialect.h"
#include "dialects/nn/NNDialect.h"
#include "lepton/abi.h"
#include "lepton/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/BuryPointer.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstring>
#include <random>
#include <sys/resource.h>

using namespace mlir;

namespace lepton {

std::optional<EmitKind> parseEmitKind(llvm::StringRef text) {
  return llvm::StringSwitch<std::optional<EmitKind>>(text)
      .Case("nn", EmitKind::NN)
      .Case("compressed", EmitKind::Compressed)
      .Case("linalg", EmitKind::Linalg)
      .Case("llvm", EmitKind::LLVM)
      .Case("ptx", EmitKind::PTX)
      .Case("obj", EmitKind::Object)
      .Case("so", EmitKind::SharedLibrary)
      .Case("hls", EmitKind::HLS)
      .Default(std::nullopt);
}

void registerLeptonDialects(DialectRegistry &registry) {
  registry.insert<nn::NNDialect, compress::CompressDialect, hls::HLSDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
}

void registerLeptonPasses() {
  static bool once = [] {
    registerAllPasses();
    registerCodegenPasses();
    registerCompressPasses();
    PassPipelineRegistration<>("lepton-compress-pipeline",
                               "quantized ONNX forms -> compress ops (phase 'compress')",
                               [](OpPassManager &pm) {
                                 if (failed(parsePassPipeline(kCompressPipeline, pm)))
                                   llvm::report_fatal_error("invalid built-in pipeline");
                               });
    cpu::registerPipelines();
    return true;
  }();
  (void)once;
}

namespace {

/// Prints diagnostics as `error: FILE: node 'NAME': message`, the format the
/// diagnostics contract fixes (one line each, notes indented below).
class DiagnosticPrinter {
public:
  explicit DiagnosticPrinter(MLIRContext &ctx)
      : handler(&ctx, [this](Diagnostic &d) { print(d, 0); }) {}

private:
  static void describe(Location loc, std::string &file, std::string &node) {
    loc->walk([&](Location l) {
      if (auto name = dyn_cast<NameLoc>(l); name && node.empty())
        node = name.getName().str();
      if (auto flc = dyn_cast<FileLineColLoc>(l); flc && file.empty())
        file = flc.getFilename().str();
      return WalkResult::advance();
    });
  }

  void print(Diagnostic &d, int depth) {
    const char *severity = d.getSeverity() == DiagnosticSeverity::Error     ? "error"
                           : d.getSeverity() == DiagnosticSeverity::Warning ? "warning"
                           : d.getSeverity() == DiagnosticSeverity::Note    ? "note"
                                                                            : "remark";
    std::string file, node;
    describe(d.getLocation(), file, node);
    llvm::errs().indent(2 * depth) << severity << ": ";
    if (!file.empty())
      llvm::errs() << file << ": ";
    if (!node.empty())
      llvm::errs() << "node '" << node << "': ";
    llvm::errs() << d.str() << "\n";
    for (Diagnostic &note : d.getNotes())
      print(note, depth + 1);
  }

  ScopedDiagnosticHandler handler;
};

EmitKind defaultEmit(llvm::StringRef output, llvm::StringRef target) {
  if (target == "hls")
    return EmitKind::HLS;
  llvm::StringRef ext = llvm::sys::path::extension(output);
  if (ext == ".o" || ext == ".obj")
    return EmitKind::Object;
  if (ext == ".ll")
    return EmitKind::LLVM;
  if (ext == ".ptx")
    return EmitKind::PTX;
  if (ext == ".mlir")
    return EmitKind::Linalg;
  return EmitKind::SharedLibrary;
}

int reportError(const llvm::Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return 1;
}

/// Writes `contents` through a temporary file renamed at the end, so a
/// failure never leaves a partial output.
bool writeAtomically(llvm::StringRef path, llvm::StringRef contents) {
  if (path == "-") {
    llvm::outs() << contents;
    return true;
  }
  auto temp = llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp) {
    reportError("cannot create '" + path + "': " + llvm::toString(temp.takeError()));
    return false;
  }
  llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
  os << contents;
  os.flush();
  if (os.has_error()) {
    llvm::consumeError(temp->discard());
    os.clear_error();
    reportError("cannot write '" + path + "'");
    return false;
  }
  if (llvm::Error e = temp->keep(path)) {
    reportError("cannot write '" + path + "': " + llvm::toString(std::move(e)));
    return false;
  }
  return true;
}

/// Times the phases for the report, prints one progress line per phase on a
/// terminal (unless -q), and with --timings collects MLIR's per-pass times and
/// prints them with each phase's time and the peak memory at its end.
class PhaseClock {
public:
  PhaseClock(const CompileOptions &options, CompileReport &report)
      : report(report), progress(!options.quiet && llvm::sys::Process::StandardErrIsDisplayed()),
        timings(options.timings) {
    manager.setEnabled(timings);
    root = manager.getRootScope();
  }

  ~PhaseClock() {
    if (!timings)
      return;
    // MLIR's tree of each phase's passes follows when the manager goes.
    llvm::errs() << "phase       seconds  peak memory\n";
    for (auto [name, seconds, megabytes] : rows)
      llvm::errs() << llvm::format("%-10s %8.3f  %6.0f MB\n", name.c_str(), seconds, megabytes);
  }

  /// A scope for the passes of phase `name` to report into.
  TimingScope &scope(const char *name) {
    phase = root.nest(name);
    return phase;
  }

  /// Ends phase `name`, which ran since the previous phase ended.
  void done(const char *name) {
    phase.stop();
    auto now = std::chrono::steady_clock::now();
    double seconds = std::chrono::duration<double>(now - mark).count();
    mark = now;
    report.phaseSeconds.push_back({name, seconds});
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    rows.push_back({name, seconds, usage.ru_maxrss / 1024.0});
    if (progress)
      llvm::errs() << llvm::format("leptonc: %-8s %7.2f s\n", name, seconds);
  }

private:
  CompileReport &report;
  bool progress, timings;
  DefaultTimingManager manager;
  TimingScope root, phase;
  std::chrono::steady_clock::time_point mark = std::chrono::steady_clock::now();
  std::vector<std::tuple<std::string, double, double>> rows;
};

bool runPipeline(ModuleOp module, llvm::StringRef pipeline, TimingScope *timing = nullptr) {
  PassManager pm(module->getName());
  if (failed(parsePassPipeline(pipeline, pm)))
    return false;
  if (timing)
    pm.enableTiming(*timing);
  return succeeded(pm.run(module));
}

std::string printIR(Operation *op, bool withLocations) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  flags.elideLargeResourceString();
  if (withLocations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/true);
  op->print(os, flags);
  return text;
}

/// Static, non-empty shapes only, for now: say so once per tensor instead of
/// once per op. (The bare-pointer calling convention of the generated entry
/// has no representation for zero-size buffers.)
bool checkSupportedShapes(func::FuncOp func, const ModelSignature &signature) {
  bool ok = true;
  auto check = [&](Type type, const TensorSignature &tensor, const char *role) {
    auto ranked = cast<RankedTensorType>(type);
    if (!ranked.hasStaticShape())
      emitError(func.getLoc()) << "unsupported dynamic shape " << type << " of " << role
                               << " '" << tensor.name
                               << "': Lepton compiles static shapes (pin input shapes with "
                                  "--shape NAME:DIMS)";
    else
      return;
    ok = false;
  };
  for (auto [type, input] : llvm::zip(func.getArgumentTypes(), signature.inputs))
    check(type, input, "input");
  for (auto [type, output] : llvm::zip(func.getResultTypes(), signature.outputs))
    check(type, output, "output");
  return ok;
}

/// The testbench's input sets (--testbench-data, else the calibration data,
/// else seeded random inputs: floats in [0, 1), integers in [0, 10), random
/// bools) and the CPU backend's outputs for them, from `reference` (the
/// model after the compress phase, unchanged): with `ports`, the inputs
/// quantized and the outputs as the integers those ports carry.
bool computeGoldenVectors(const CompileOptions &options, ModuleOp reference,
                          const std::string &name, const ModelSignature &signature,
                          const hls::QuantizedPorts &ports, hls::GoldenVectors &golden) {
  auto func = reference.lookupSymbol<func::FuncOp>(name);
  std::vector<InputSet> sets;
  std::string error;
  const std::string &dir =
      options.testbenchData.empty() ? options.calibrationData : options.testbenchData;
  constexpr size_t kMaxSets = 8;
  if (signature.inputs.empty()) {
    sets.emplace_back(); // a model of constants: one run
  } else if (!dir.empty()) {
    if (!readInputSets(dir, signature, sets, error)) {
      reportError(error);
      return false;
    }
    if (sets.size() > kMaxSets)
      sets.resize(kMaxSets);
  } else {
    std::mt19937 random(20261204);
    for (int s = 0; s < 2; ++s) {
      InputSet set;
      for (const TensorSignature &t : signature.inputs) {
        onnx::HostTensor tensor;
        tensor.name = t.name;
        tensor.dtype = t.dtype;
        for (int64_t d : t.shape)
          tensor.shape.push_back(d < 0 ? 1 : d);
        size_t bytes = lepton_dtype_size(t.dtype);
        tensor.data.assign(tensor.numElements() * bytes, 0);
        for (int64_t i = 0; i < tensor.numElements(); ++i) {
          char *at = tensor.data.data() + i * bytes;
          if (t.dtype == LEPTON_FLOAT32) {
            float v = std::uniform_real_distribution<float>(0.0f, 1.0f)(random);
            std::memcpy(at, &v, sizeof v);
          } else if (t.dtype == LEPTON_FLOAT64) {
            double v = std::uniform_real_distribution<double>(0.0, 1.0)(random);
            std::memcpy(at, &v, sizeof v);
          } else {
            // Little-endian: the low bytes of a small integer (or bool).
            uint64_t v = random() % (t.dtype == LEPTON_BOOL ? 2 : 10);
            std::memcpy(at, &v, bytes);
          }
        }
        set.push_back(std::move(tensor));
      }
      sets.push_back(std::move(set));
    }
  }
  // Taps: the quantized inputs, then every output as its port carries it.
  auto [quantizedInputs, outputs] = hls::quantizedPortValues(func, ports);
  SmallVector<Value> taps;
  for (Value v : quantizedInputs)
    if (v)
      taps.push_back(v);
  size_t inputTaps = taps.size();
  taps.append(outputs.begin(), outputs.end());
  for (const InputSet &set : sets) {
    golden.inputs.emplace_back();
    for (const onnx::HostTensor &t : set)
      golden.inputs.back().push_back(t.data);
  }
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto host = cpu::createTargetMachine(cpu::CpuOptions(), error);
  if (!host) {
    reportError(error);
    return false;
  }
  CpuEvaluator cpuBackend(name, *host, std::move(sets));
  auto evaluation = cpuBackend.compile(reference, taps);
  // The casts were built for the taps only.
  hls::eraseQuantizedPortValues(quantizedInputs);
  hls::eraseQuantizedPortValues(outputs);
  if (failed(evaluation))
    return false;
  for (size_t s = 0; s < golden.inputs.size(); ++s) {
    std::vector<std::vector<char>> values;
    if (failed((*evaluation)->runBytes(s, values)))
      return false;
    size_t tap = 0;
    for (auto [i, v] : llvm::enumerate(quantizedInputs))
      if (v)
        golden.inputs[s][i] = std::move(values[tap++]);
    golden.outputs.emplace_back(std::make_move_iterator(values.begin() + inputTaps),
                                std::make_move_iterator(values.end()));
  }
  return true;
}

/// Adds what compression cost against the float model (the teacher) to an
/// HLS project's report.json (`teacher`) and estimate table, so that a
/// fixed-point or int8 design says its error next to its cost.
void attachFidelity(const compress::FidelityReport &fidelity, const std::string &precision,
                    std::string &reportJson, std::string &table) {
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(reportJson);
  if (!parsed) {
    llvm::consumeError(parsed.takeError());
    return;
  }
  llvm::json::Array outputs;
  std::string summary;
  for (const compress::FidelityReport::Output &o : fidelity.outputs) {
    outputs.push_back(llvm::json::Object{
        {"name", o.name},
        {"sqnr_db", std::isfinite(o.sqnrDb) ? llvm::json::Value(o.sqnrDb) : nullptr},
        {"max_abs_error", o.maxAbsError},
        {"mean_abs_error", o.meanAbsError}});
    char error[32];
    std::snprintf(error, sizeof error, "%.3g", o.maxAbsError);
    summary += llvm::formatv("{0}output {1}: SQNR {2:f1} dB, max |error| {3}",
                             summary.empty() ? "" : "; ", o.name, o.sqnrDb, error);
  }
  llvm::json::Object teacher{{"precision", precision},
                             {"calibration_sets", int64_t(fidelity.inputSets)},
                             {"outputs", std::move(outputs)}};
  if (fidelity.top1Agreement) {
    teacher["top1_agreement"] = *fidelity.top1Agreement;
    summary += llvm::formatv(", top-1 agreement {0:f2}%", 100 * *fidelity.top1Agreement);
  }
  parsed->getAsObject()->insert({"teacher", std::move(teacher)});
  reportJson = llvm::formatv("{0:2}\n", *parsed).str();
  table += "against the float model (" + precision + ", " +
           std::to_string(fidelity.inputSets) + " calibration sets): " + summary + "\n";
}

/// Writes `files` into the directory `path` through a temporary directory
/// renamed at the end. An existing directory is replaced only when it is a
/// project Lepton wrote (it holds the marker file).
bool writeProjectDirectory(llvm::StringRef path, const std::map<std::string, std::string> &files) {
  constexpr llvm::StringLiteral kMarker = ".lepton-hls-project";
  std::string target = llvm::StringRef(path).rtrim('/').str();
  if (target.empty())
    target = ".";
  llvm::sys::fs::file_status status;
  bool exists = !llvm::sys::fs::status(target, status) && llvm::sys::fs::exists(status);
  if (exists) {
    llvm::SmallString<128> marker(target);
    llvm::sys::path::append(marker, kMarker);
    if (!llvm::sys::fs::is_directory(status) || !llvm::sys::fs::exists(marker)) {
      reportError("'" + target + "' exists and is not an HLS project Lepton wrote; remove it or "
                  "choose another -o");
      return false;
    }
  }
  std::string temp = target + ".tmp-" + std::to_string(llvm::sys::Process::getProcessId());
  auto fail = [&](const llvm::Twine &message) {
    llvm::sys::fs::remove_directories(temp);
    reportError(message);
    return false;
  };
  for (const auto &[name, contents] : files) {
    llvm::SmallString<128> file(temp);
    llvm::sys::path::append(file, name);
    if (std::error_code ec = llvm::sys::fs::create_directories(llvm::sys::path::parent_path(file)))
      return fail("cannot create '" + llvm::sys::path::parent_path(file) + "': " + ec.message());
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    if (!ec) {
      os << contents;
      os.close();
    }
    if (ec || os.has_error()) {
      os.clear_error();
      return fail("cannot write '" + file + "'");
    }
    if (llvm::StringRef(name).ends_with(".sh"))
      llvm::sys::fs::setPermissions(file, llvm::sys::fs::all_read | llvm::sys::fs::all_exe |
                                              llvm::sys::fs::owner_write);
  }
  llvm::SmallString<128> marker(temp);
  llvm::sys::path::append(marker, kMarker);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(marker, ec);
    if (ec)
      return fail("cannot write '" + marker + "'");
    os << "This directory is an HLS project written by leptonc; leptonc replaces it when it "
          "writes the project again.\n";
  }
  if (exists && llvm::sys::fs::remove_directories(target))
    return fail("cannot replace '" + target + "'");
  if (std::error_code ec = llvm::sys::fs::rename(temp, target))
    return fail("cannot write '" + target + "': " + ec.message());
  return true;
}

} // namespace

int compileModel(const CompileOptions &options) {
  if (options.target != "cpu" && options.target != "cuda" && options.target != "hls")
    return reportError("unknown target '" + options.target + "' (available: cpu, cuda, hls)");
  bool cuda = options.target == "cuda";
  bool hlsTarget = options.target == "hls";
  EmitKind emit = options.emit.value_or(defaultEmit(options.output, options.target));
  if (hlsTarget != (emit == EmitKind::HLS) && emit > EmitKind::Linalg)
    return reportError(hlsTarget ? "--target=hls writes an HLS project (--emit=hls) or stops "
                                   "earlier (nn, compressed, linalg)"
                                 : "--emit=hls needs --target=hls");
  if (hlsTarget) {
    if (!hls::findPart(options.hls.part))
      return reportError("--fpga-part '" + options.hls.part + "' is not a part Lepton knows the "
                         "resources of (" + hls::knownParts() + ")");
    if (options.hls.io != "parallel" && options.hls.io != "stream")
      return reportError("--io '" + options.hls.io + "' is not parallel or stream");
    if (options.hls.ports != "quantized" && options.hls.ports != "float")
      return reportError("--ports '" + options.hls.ports + "' is not quantized or float");
    if (!(options.hls.clockNs > 0 && options.hls.clockNs < 1000))
      return reportError("--clock-ns must be a clock period in ns (0 < ns < 1000)");
    if (options.hls.reuseFactor < 1)
      return reportError("--reuse-factor must be at least 1");
    if (options.profile)
      return reportError("--profile times the CPU target's operations; it has no HLS "
                         "counterpart");
  }
  if (!options.testbenchData.empty() && !hlsTarget)
    return reportError("--testbench-data needs --target=hls");
  std::vector<std::string> archs = options.gpuArchs;
  if (cuda && archs.empty())
    archs.push_back("sm_80");
  for (const std::string &arch : archs)
    if (!cuda::isSupportedArch(arch))
      return reportError("--gpu-arch '" + arch + "' is not a GPU architecture (sm_50 or newer, "
                         "e.g. sm_80, sm_90)");
  if (cuda && options.profile)
    return reportError("--profile times the CPU target's operations; it has no CUDA "
                       "counterpart yet");
  if (!cuda && emit == EmitKind::PTX)
    return reportError("--emit=ptx needs --target=cuda");
  if (emit == EmitKind::PTX && archs.size() != 1)
    return reportError("--emit=ptx writes one architecture's PTX: give one --gpu-arch");
  if (!cuda && !archs.empty())
    return reportError("--gpu-arch needs --target=cuda");
  std::string name = options.name.empty()
                         ? cIdentifier(llvm::sys::path::stem(
                               options.output == "-" ? options.input : options.output))
                         : options.name;
  if (name != cIdentifier(name))
    return reportError("--name '" + name + "' is not a C identifier");
  if (emit >= EmitKind::Object && emit != EmitKind::HLS && options.output == "-")
    return reportError("binary output needs an output file (-o)");
  std::optional<compress::CalibrationMethod> calibration =
      compress::parseCalibrationMethod(options.calibration);
  if (!calibration)
    return reportError("--calibration '" + options.calibration +
                       "' is not minmax, percentile, entropy or mse");
  std::optional<compress::FixedPoint> fixedPoint = compress::parseFixedPoint(options.quantize);
  if (!options.quantize.empty() && options.quantize != "int8" && options.quantize != "int16" &&
      !fixedPoint)
    return reportError("--quantize '" + options.quantize +
                       "' is not a precision (int8, int16, fixed<W,I> with 2 <= W <= 16 and "
                       "1 <= I <= W)");
  if ((options.quantize == "int16" || fixedPoint) && !options.fidelityBudget.empty())
    return reportError("--fidelity-budget picks each layer's precision: it takes no --quantize=" +
                       options.quantize);
  std::optional<compress::PruneSpec> prune;
  if (!options.prune.empty() && !(prune = compress::parsePruneSpec(options.prune)))
    return reportError("--prune '" + options.prune +
                       "' is not magnitude:R or channels:R (0 < R < 1), or N:M (0 < N < M <= 64)");
  std::optional<compress::FidelityBudget> budget;
  if (!options.fidelityBudget.empty() &&
      !(budget = compress::parseFidelityBudget(options.fidelityBudget)))
    return reportError("--fidelity-budget '" + options.fidelityBudget +
                       "' is not top1:A (0 < A <= 1) or sqnr:D (dB)");
  bool quantizing = !options.quantize.empty() || budget;
  if (options.sensitivity && !quantizing && !prune)
    return reportError("--sensitivity needs --quantize=int8, --prune or --fidelity-budget");
  if (!quantizing && (options.crossLayerEqualization || !options.biasCorrection))
    return reportError(std::string(options.crossLayerEqualization ? "--cross-layer-equalization"
                                                                  : "--no-bias-correction") +
                       " needs --quantize=int8 or --fidelity-budget");
  bool compressing = quantizing || prune;
  if (compressing == options.calibrationData.empty())
    return reportError(compressing ? "--quantize, --prune and --fidelity-budget need "
                                     "--calibration-data DIR (input sets to run the float model "
                                     "on)"
                                   : "--calibration-data needs --quantize, --prune or "
                                     "--fidelity-budget");

  // Each phase's time, and the report written when all went well.
  CompileReport report;
  report.emit = emit == EmitKind::NN           ? "nn"
                : emit == EmitKind::Compressed ? "compressed"
                : emit == EmitKind::Linalg     ? "linalg"
                : emit == EmitKind::LLVM   ? "llvm"
                : emit == EmitKind::PTX    ? "ptx"
                : emit == EmitKind::Object ? "obj"
                : emit == EmitKind::HLS    ? "hls"
                                           : "so";
  report.triple = options.cpu.triple;
  report.cpu = options.cpu.cpu;
  report.features = options.cpu.features;
  PhaseClock clock(options, report);
  // Files written before the artifact (the kernel emulation library) go
  // when the compile fails after them.
  llvm::FileRemover removeOnFailure;
  auto finish = [&](const ModelSignature &signature) -> int {
    removeOnFailure.releaseFile();
    if (options.output != "-") {
      report.files.insert(report.files.begin(), options.output);
      uint64_t bytes = 0;
      if (!llvm::sys::fs::file_size(options.output, bytes))
        report.outputBytes = bytes;
      // The per-layer sensitivities, plotted beside the artifact.
      if (report.compression && !report.compression->layers.empty()) {
        llvm::SmallString<128> plot(options.output);
        llvm::sys::path::replace_extension(plot, "sensitivity.svg");
        if (!writeAtomically(plot, renderSensitivitySvg(*report.compression,
                                                        llvm::sys::path::filename(options.input)))) {
          llvm::sys::fs::remove(options.output);
          for (const std::string &file : report.files)
            llvm::sys::fs::remove(file);
          return 1;
        }
        report.files.push_back(plot.str().str());
      }
    }
    if (options.report.empty() ||
        writeAtomically(options.report, renderReport(options, signature, report)))
      return 0;
    llvm::sys::fs::remove(options.output);
    for (const std::string &file : report.files)
      llvm::sys::fs::remove(file);
    return 1;
  };

  registerLeptonPasses();
  DialectRegistry registry;
  registerLeptonDialects(registry);
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  DiagnosticPrinter printer(context);

  // Phase import (+ graph): ONNX -> nn.
  onnx::InputShapes shapes;
  for (StringRef spec : options.shapes) {
    auto [input, dims] = spec.rsplit(':');
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    std::vector<int64_t> values;
    for (StringRef part : parts) {
      int64_t v;
      if (part.getAsInteger(10, v) || v < 0) {
        values.clear();
        break;
      }
      values.push_back(v);
    }
    if (input.empty() || dims.empty() || values.empty())
      return reportError("--shape '" + spec.str() +
                         "': expected NAME:DIMS with DIMS like 1x3x224x224");
    shapes[input.str()] = values;
  }
  // A symbolic leading dim not pinned by --shape is a batch: the model is
  // compiled for one entry, once it is proven that entries never mix.
  OwningOpRef<ModuleOp> module =
      onnx::importModel(context, options.input, name, shapes, /*batch=*/1);
  if (!module || !runPipeline(*module, "canonicalize,cse", &clock.scope("import")))
    return 1;
  auto func = module->lookupSymbol<func::FuncOp>(name);
  if (llvm::any_of(llvm::seq(func.getNumArguments()),
                   [&](unsigned i) { return func.getArgAttr(i, "lepton.batch"); })) {
    OwningOpRef<ModuleOp> atTwo =
        onnx::importModel(context, options.input, name, shapes, /*batch=*/2);
    if (!atTwo || !runPipeline(*atTwo, "canonicalize,cse") ||
        failed(checkBatchParallel(func, atTwo->lookupSymbol<func::FuncOp>(name))))
      return 1;
  }
  FailureOr<ModelSignature> signature = signatureOf(func);
  if (failed(signature))
    return 1;
  clock.done("import");
  if (emit == EmitKind::NN)
    return writeAtomically(options.output, printIR(*module, options.printLocations))
               ? finish(*signature)
               : 1;
  if (!checkSupportedShapes(func, *signature))
    return 1;
  Location modelLoc = func.getLoc(); // func itself is replaced by lowering

  // Phase compress.
  if (!runPipeline(*module, kCompressPipeline, &clock.scope("compress")))
    return 1;
  if (compressing) {
    std::string error;
    std::vector<InputSet> sets;
    if (!readInputSets(options.calibrationData, *signature, sets, error))
      return reportError(error);
    // The teacher runs here, whatever the target.
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    auto host = cpu::createTargetMachine(cpu::CpuOptions(), error);
    if (!host)
      return reportError(error);
    // Ranges calibrated on a pruned model are that pruning's.
    std::optional<FileCalibrationCache> cache;
    if (options.calibrationCache != "none")
      cache.emplace(options.calibrationCache.empty() ? defaultCacheDirectory()
                                                      : options.calibrationCache,
                    options.input, sets,
                    options.calibration + (prune ? " prune=" + options.prune : "") +
                        (options.crossLayerEqualization ? " equalized" : ""));
    CpuEvaluator teacher(name, *host, std::move(sets));
    compress::FidelityReport fidelity;
    compress::CompressOptions compression;
    compression.quantizeInt8 = quantizing;
    if (options.quantize == "int16")
      compression.precision = compress::Precision::Int16;
    compression.fixedPoint = fixedPoint;
    compression.method = *calibration;
    compression.biasCorrection = options.biasCorrection;
    compression.crossLayerEqualization = options.crossLayerEqualization;
    compression.prune = prune;
    compression.sensitivity = options.sensitivity;
    compression.budget = budget;
    if (compression.quantizeInt8)
      fidelity.method = options.calibration;
    if (failed(compress::compressModel(*module, func, teacher, compression,
                                       cache ? &*cache : nullptr, fidelity)))
      return 1;
    if (!options.quiet)
      llvm::errs() << renderFidelityTable(fidelity);
    report.compression = std::move(fidelity);
  }
  clock.done("compress");
  // The HLS testbench's reference outputs come from the CPU backend
  // compiling this same (compressed) model, before the linalg lowering
  // releases weights the copy it compiles would share.
  // A quantized model's design exchanges the integers of its quantized
  // inputs and outputs (--ports=quantized).
  hls::GoldenVectors golden;
  if (emit == EmitKind::HLS) {
    auto model = module->lookupSymbol<func::FuncOp>(name);
    hls::QuantizedPorts ports =
        hls::planQuantizedPorts(model, options.hls.ports == "quantized");

    if (!computeGoldenVectors(options, *module, name, *signature, ports, golden))
      return 1;
    if (ports.any()) {
      hls::applyQuantizedPorts(model, ports);
      signature = signatureOf(model);
      if (failed(signature))
        return 1;
    }
  }
  if (emit == EmitKind::Compressed)
    return writeAtomically(options.output, printIR(*module, options.printLocations))
               ? finish(*signature)
               : 1;

  // Phase linalg.
  if (!runPipeline(*module, cpu::kLinalgPipeline, &clock.scope("linalg")))
    return 1;
  clock.done("linalg");
  if (emit == EmitKind::Linalg)
    return writeAtomically(options.output, printIR(*module, options.printLocations))
               ? finish(*signature)
               : 1;

  if (emit == EmitKind::HLS) {
    // Phase target: annotated loop nests, estimated; phase artifact: the
    // project directory.
    hls::HLSOptions hlsOptions = options.hls;
    hlsOptions.name = name;
    if (!runPipeline(*module, hls::hlsPipeline(hlsOptions), &clock.scope("target")))
      return 1;
    const hls::FpgaPart &part = *hls::findPart(hlsOptions.part);
    FailureOr<hls::DesignEstimate> estimate = hls::estimateDesign(*module, hlsOptions, part);
    if (failed(estimate))
      return 1;
    // Reductions in registers: the designs the estimate modelled.
    if (!runPipeline(*module, "func.func(lepton-hls-accumulate-in-registers)",
                     &clock.scope("target")))
      return 1;
    clock.done("target");
    golden.exact = hls::isBitExact(module->lookupSymbol<func::FuncOp>(name));
    golden.tolerance = golden.exact ? 0 : 1e-4;
    FailureOr<std::map<std::string, std::string>> files =
        hls::emitProject(*module, *signature, hlsOptions, golden);
    if (failed(files))
      return 1;
    (*files)["report.json"] = hls::renderEstimateJson(*estimate, hlsOptions);
    std::string table = hls::renderEstimateTable(*estimate, hlsOptions);
    if (report.compression)
      attachFidelity(*report.compression, options.quantize.empty() ? "fp32" : options.quantize,
                     (*files)["report.json"], table);
    (*files)["estimate.txt"] = table;
    if (!options.quiet)
      llvm::errs() << table;
    if (options.output == "-") {
      llvm::outs() << (*files)[name + ".cpp"];
    } else if (!writeProjectDirectory(options.output, *files)) {
      return 1;
    }
    clock.done("artifact");
    return finish(*signature);
  }

  // Phase target: bufferize, plan the workspace, lower to LLVM.
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();
  std::string error;
  auto machine = cpu::createTargetMachine(options.cpu, error);
  if (!machine)
    return reportError(error);
  report.triple = machine->getTargetTriple().str();
  report.cpu = machine->getTargetCPU().str();
  report.features = machine->getTargetFeatureString().str();
  TimingScope &targetScope = clock.scope("target");
  if (cuda) {
    // Kernels for the GPU, PTX by LLVM's NVPTX backend; the host code that
    // launches them is compiled like a CPU model's.
    if (!runPipeline(*module, cuda::kKernelPipeline, &targetScope))
      return 1;
    if (!options.cudaEmulation.empty()) {
      if (!cuda::writeEmulationLibrary(*module, *machine, options.cudaEmulation))
        return 1;
      removeOnFailure.setFile(options.cudaEmulation);
      report.files.push_back(options.cudaEmulation);
    }
    if (!runPipeline(*module, cuda::nvvmPipeline(archs), &targetScope) ||
        failed(cuda::checkHostCode(*module)) ||
        !runPipeline(*module, cuda::kLaunchPipeline, &targetScope))
      return 1;
    CudaImage image = cuda::takeImage(*module);
    if (emit == EmitKind::PTX) {
      if (image.ptx.empty()) {
        emitError(modelLoc) << "unsupported: --emit=ptx, but the model has no GPU work (its "
                               "outputs are empty); its artifact (-o model.so) launches nothing";
        return 1;
      }
      clock.done("target");
      return writeAtomically(options.output, image.ptx.begin()->second) ? finish(*signature) : 1;
    }
    signature->cuda = std::move(image);
    if (!runPipeline(*module, cuda::kHostPipeline, &targetScope))
      return 1;
  } else if (!runPipeline(*module,
                          cpu::cpuLoweringPipeline(cpu::vectorShapeOf(*machine), options.profile,
                                                   options.cpu.threads),
                          &targetScope)) {
    return 1;
  }
  auto lowered = module->lookupSymbol<LLVM::LLVMFuncOp>(name);
  if (!lowered) {
    emitError(modelLoc) << "unsupported: the model function could not be lowered to "
                                "LLVM (a zero-size intermediate tensor?)";
    return 1;
  }
  if (auto bytes = lowered->getAttrOfType<IntegerAttr>("lepton.workspace_bytes"))
    signature->workspaceBytes = bytes.getInt();
  if (auto bytes = lowered->getAttrOfType<IntegerAttr>("lepton.intermediate_bytes"))
    signature->intermediateBytes = bytes.getInt();
  if (auto slots = lowered->getAttrOfType<ArrayAttr>("lepton.profile"))
    for (auto slot : slots.getAsRange<ArrayAttr>())
      signature->profile.push_back(
          {cast<StringAttr>(slot[0]).str(), cast<StringAttr>(slot[1]).str()});
  clock.done("target");

  // The LLVM module holds every weight as a uniqued constant; tearing that
  // down costs seconds for a large model and buys nothing in a compiler
  // process that exits next, so the context and module are buried (clang's
  // -disable-free does the same).
  auto *llvmContext = new llvm::LLVMContext();
  llvm::BuryPointer(llvmContext);
  // A shared library gets its weights written in after linking (see
  // WeightPlacement.cpp); other outputs hold them as LLVM constants.
  std::vector<cpu::WeightBlob> placedWeights;
  llvm::Module *llvmModule =
      cpu::translateToLLVMIR(*module, *llvmContext, *signature, *machine,
                             emit == EmitKind::SharedLibrary,
                             emit == EmitKind::SharedLibrary ? &placedWeights : nullptr)
          .release();
  if (!llvmModule)
    return 1;
  llvm::BuryPointer(llvmModule);
  cpu::optimize(*llvmModule, *machine, options.cpu.optLevel);
  clock.done("llvm");
  if (emit == EmitKind::LLVM) {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    return writeAtomically(options.output, text) ? finish(*signature) : 1;
  }

  // Phase artifact.
  llvm::SmallVector<char> object;
  if (!cpu::emitObject(*llvmModule, *machine, object, error))
    return reportError(error);
  if (emit == EmitKind::Object) {
    if (!writeAtomically(options.output, llvm::StringRef(object.data(), object.size())))
      return 1;
  } else {
    std::string partial = options.output + ".tmp-link";
    llvm::FileRemover removePartial(partial);
    if (!cpu::linkSharedLibrary(object, placedWeights, partial, error))
      return reportError(error);
    if (std::error_code ec = llvm::sys::fs::rename(partial, options.output))
      return reportError("cannot write '" + options.output + "': " + ec.message());
  }
  if (options.writeHeader) {
    llvm::SmallString<128> headerPath(llvm::sys::path::parent_path(options.output));
    llvm::sys::path::append(headerPath, name + ".h");
    if (!writeAtomically(headerPath,
                         renderHeader(*signature, llvm::sys::path::filename(options.input)))) {
      llvm::sys::fs::remove(options.output);
      return 1;
    }
    report.files.push_back(headerPath.str().str());
  }
  clock.done("artifact");
  return finish(*signature);
}

} // namespace lepton
