//===- Driver.h - the leptonc compilation driver ------------------*- C++ -*-===//
//
// Runs the named phases (import, graph, compress, linalg, target, artifact) and writes
// the requested output. All diagnostics go to stderr as `error: FILE: node
// 'NAME': message`; no output file is left behind on failure.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_COMPILER_DRIVER_H
#define LEPTON_COMPILER_DRIVER_H

#include "codegen/cpu/CPUBackend.h"
#include "codegen/hls/HLSEstimate.h"

#include <optional>
#include <string>

namespace lepton {

/// What to stop after and write (`--emit=`).
enum class EmitKind { NN, Compressed, Linalg, LLVM, PTX, Object, SharedLibrary, HLS };

std::optional<EmitKind> parseEmitKind(llvm::StringRef text);

struct CompileOptions {
  std::string input;
  std::string output;             // "-" writes textual IR to stdout
  std::string name;               // C symbol prefix; empty: from the output name
  std::optional<EmitKind> emit;   // empty: from the output's extension
  std::string target = "cpu";      // cpu | cuda | hls
  cpu::CpuOptions cpu;
  std::vector<std::string> gpuArchs; // --gpu-arch: sm_NN, for --target=cuda
  /// --cuda-emulation-library: also write the kernels compiled for the host
  /// (a test aid, codegen/cuda/KernelEmulation.h).
  std::string cudaEmulation;
  /// --target=hls: the part, clock, io style and reuse factor (the top
  /// function's name is `name`).
  hls::HLSOptions hls;
  /// --testbench-data: the input sets of the HLS testbench ("" the
  /// calibration data, or seeded random inputs without it).
  std::string testbenchData;
  bool writeHeader = true;        // <name>.h beside object and library outputs
  bool printLocations = false;    // textual IR shows each op's location
  bool profile = false;           // time every operation (lepton_profile)
  std::vector<std::string> shapes; // --shape NAME:DxD...: pinned input shapes
  std::string report;              // --report: where to write the JSON report
  bool timings = false;            // --timings: per-phase and per-pass time and memory
  bool quiet = false;              // -q: no progress lines on a terminal
  std::string quantize;            // --quantize: "" (none) or int8
  std::string prune;               // --prune: "" (none), magnitude:R, N:M, channels:R
  std::string fidelityBudget;      // --fidelity-budget: "" (none), top1:A or sqnr:D
  bool biasCorrection = true;      // off with --no-bias-correction
  bool crossLayerEqualization = false; // --cross-layer-equalization
  bool sensitivity = false;        // --sensitivity: measure each layer quantized alone
  std::string calibrationData;     // --calibration-data: input sets for the teacher
  std::string calibration = "mse"; // --calibration: how activation ranges are chosen
  /// --calibration-cache: where calibration results are kept ("" the
  /// default directory, "none" no cache).
  std::string calibrationCache;
};

/// Compiles one model; returns the process exit code (0 or 1).
int compileModel(const CompileOptions &options);

/// Registers Lepton's and upstream dialects with `registry`.
void registerLeptonDialects(mlir::DialectRegistry &registry);

/// Registers upstream passes, Lepton's passes and the phase pipelines (once).
void registerLeptonPasses();

} // namespace lepton

#endif // LEPTON_COMPILER_DRIVER_H
