//===- leptonc.cpp - the Lepton command-line compiler ---------------------===//
#include "compiler/Driver.h"

#include <CLI/CLI.hpp>

int main(int argc, char **argv) {
  lepton::CompileOptions options;
  std::string emit;
  unsigned optLevel = 3;

  CLI::App app{"leptonc: compile an ONNX model ahead of time into native code.\n"};
  app.footer("Example:\n"
             "  leptonc resnet18.onnx -o resnet18.so     # shared library + resnet18.h\n"
             "  leptonc mlp.onnx -o mlp.o --mtriple=aarch64-linux-gnu\n"
             "  leptonc mlp.onnx --emit=linalg -o -     # print the linalg IR\n"
             "  leptonc jet.onnx --target=hls --fpga-part xczu9eg-ffvb1156-2-e -o jet_hls/\n\n"
             "Exit codes: 0 success, 1 invalid or unsupported input (all problems are\n"
             "listed as 'error:' lines; no output file is written), 2 bad command line.\n"
             "The same model and flags always give byte-identical artifacts.");
  app.add_option("model", options.input, "ONNX model to compile (.onnx)")
      ->required();
  app.add_option("-o,--output", options.output,
                 "output file; its extension picks the default --emit "
                 "(.so shared library, .o object, .ll LLVM IR, .mlir linalg IR, .ptx PTX); "
                 "with --target=hls a project directory; "
                 "'-' prints textual IR (or the HLS design's C++) to stdout")
      ->required();
  app.add_option("--emit", emit,
                 "stop after a phase and write its result: nn (graph IR after "
                 "import), compressed (after the compress phase: quantized ops), linalg (linalg on tensors), llvm (optimised LLVM IR), "
                 "obj (object file), so (shared library), ptx (the GPU kernels, "
                 "--target=cuda), hls (the HLS project, --target=hls)")
      ->check(CLI::IsMember({"nn", "compressed", "linalg", "llvm", "ptx", "obj", "so", "hls"}));
  app.add_option("--target", options.target,
                 "code generation target: cpu, cuda (a host library with PTX kernels "
                 "for NVIDIA GPUs, run by the runtime through the driver) or hls (a Vitis HLS "
                 "C++ project for FPGAs, with testbench, scripts and resource estimates)")
      ->check(CLI::IsMember({"cpu", "cuda", "hls"}))
      ->default_val("cpu");
  app.add_option("--gpu-arch", options.gpuArchs,
                 "with --target=cuda: the GPU architecture, e.g. sm_80, sm_90 (default sm_80)")
      ->delimiter(',');
  app.add_option("--fpga-part", options.hls.part,
                 "with --target=hls: the FPGA part, e.g. xczu9eg-ffvb1156-2-e (ZCU102), "
                 "xczu7ev-ffvc1156-2-e, xczu3eg-sbva484-1-e, xc7z020clg400-1, "
                 "xcu250-figd2104-2L-e, xcvu9p-flga2104-2L-e")
      ->default_val(options.hls.part);
  app.add_option("--clock-ns", options.hls.clockNs,
                 "with --target=hls: the clock period in ns")
      ->default_val(options.hls.clockNs);
  app.add_option("--reuse-factor", options.hls.reuseFactor,
                 "with --target=hls: how many times each multiplier is used per result "
                 "(1: fully parallel; larger: fewer DSPs, longer interval)")
      ->default_val(options.hls.reuseFactor);
  app.add_option("--io", options.hls.io,
                 "with --target=hls: parallel (one pipeline, every loop unrolled; small MLPs) "
                 "or stream (a dataflow of layer loop nests; CNNs)")
      ->check(CLI::IsMember({"parallel", "stream"}))
      ->default_val(options.hls.io);
  app.add_option("--ports", options.hls.ports,
                 "with --target=hls: quantized (default: a quantized model's design takes and "
                 "gives the integers of its per-tensor quantized inputs and outputs, as hls4ml "
                 "designs exchange ap_fixed numbers; the header says what each stands for) or "
                 "float (the design converts from and to float)")
      ->check(CLI::IsMember({"quantized", "float"}))
      ->default_val(options.hls.ports);
  app.add_option("--testbench-data", options.testbenchData,
                 "with --target=hls: input sets for the testbench, as --calibration-data "
                 "(default: the calibration data, or seeded random inputs in [0, 1))");
  // A test aid, hidden from --help: the kernels compiled for the host, which
  // the stand-in driver of the tests runs (codegen/cuda/KernelEmulation.h).
  app.add_option("--cuda-emulation-library", options.cudaEmulation)->group("");
  app.add_option("-O", optLevel, "optimisation level 0-3 (LLVM pipeline and codegen)")
      ->check(CLI::Range(0, 3))
      ->default_val(3);
  app.add_option("--mtriple", options.cpu.triple,
                 "target triple, e.g. x86_64-linux-gnu, aarch64-linux-gnu, "
                 "riscv64-linux-gnu (default: the host)");
  app.add_option("--mcpu", options.cpu.cpu,
                 "target CPU, e.g. skylake-avx512, neoverse-n1, native "
                 "(default: the host CPU, or generic when cross-compiling)");
  app.add_option("--mattr", options.cpu.features,
                 "target features, e.g. +avx2,+fma (default: those of --mcpu)");
  app.add_option("--name", options.name,
                 "C symbol prefix of the artifact: <name>_run, <name>_descriptor, "
                 "<name>.h (default: the output file's stem)");
  app.add_flag("--print-locations", options.printLocations,
               "with --emit=nn|compressed|linalg: show each op's location (ONNX node name and "
               "model file)");
  app.add_option("--shape", options.shapes,
                 "pin an input's shape, e.g. --shape input:1x3x224x224 (symbolic dims such "
                 "as the batch become those sizes; repeat per input)");
  std::string threads = "pool";
  app.add_option("--threads", threads,
                 "pool: large kernels run on the runtime's thread pool (lepton_parallel_for); "
                 "single: single-threaded code with no runtime calls, for firmware")
      ->check(CLI::IsMember({"pool", "single"}))
      ->default_val("pool");
  app.add_flag("--profile", options.profile,
               "time every operation of the model; `lepton-run --profile` prints where the "
               "time goes per ONNX node");
  app.add_option("--quantize", options.quantize,
                 "int8: quantize convolutions, matrix products and adds to int8 "
                 "(per-channel int8 weights, uint8 activations calibrated by running the float "
                 "model on --calibration-data) and report the fidelity against the float model; "
                 "int16: the same with int16 activations (weights stay int8); "
                 "fixed<W,I> (e.g. fixed<16,6>, 2 <= W <= 16): activations and weights all in "
                 "Vitis HLS's ap_fixed<W,I> (W bits, I of them before the binary point), as "
                 "hls4ml designs compute");
  app.add_option("--fidelity-budget", options.fidelityBudget,
                 "top1:A (top-1 agreement with the float model at least A, e.g. 0.995) or "
                 "sqnr:D (every output's SQNR at least D dB) on --calibration-data: quantizes "
                 "to int8 but raises the fewest, most sensitive layers to int16 (or fp32) that "
                 "meet it; with --prune, first keeps the fewest, most sensitive layers dense "
                 "(or, with magnitude:R or N:M, pruned at half the share)");
  app.add_flag("!--no-bias-correction", options.biasCorrection,
               "with --quantize: keep each layer's bias as it is (by default it takes away the "
               "expected error of the layer's rounded weights on the float model's mean input)");
  app.add_flag("--cross-layer-equalization", options.crossLayerEqualization,
               "with --quantize: first rescale the channels between consecutive layers so that "
               "their weight ranges match (the function stays the same; a ReLU6 between them "
               "gets per-channel bounds)");
  app.add_flag("--sensitivity", options.sensitivity,
               "with --quantize or --prune: measure what quantizing (pruning) each layer alone "
               "costs against the float model (SQNR, top-1 agreement, KL), print it, and plot "
               "the quantization costs to OUTPUT.sensitivity.svg");
  app.add_option("--prune", options.prune,
                 "magnitude:R (zero the share R of each layer's smallest weights), N:M (keep N "
                 "of every M weights along the reduction, e.g. 2:4) or channels:R (remove the "
                 "share R of the channels between two layers); the weights that stay are refit "
                 "against the float model's layer outputs on --calibration-data");
  app.add_option("--calibration-data", options.calibrationData,
                 "directory of calibration input sets (subdirectories with input_0.pb ... in "
                 "the ONNX backend-test layout, or input_N.npy) for --quantize and --prune");
  app.add_option("--calibration", options.calibration,
                 "how --quantize chooses activation ranges: minmax, percentile (99.99%), "
                 "entropy (KL divergence) or mse (default)")
      ->check(CLI::IsMember({"minmax", "percentile", "entropy", "mse"}))
      ->default_val("mse");
  app.add_option("--calibration-cache", options.calibrationCache,
                 "directory keeping calibration results between compiles, keyed by the model, "
                 "the data and the method (default: $XDG_CACHE_HOME/lepton or ~/.cache/lepton; "
                 "none: no cache)");
  app.add_option("--report", options.report,
                 "write a JSON report of what was compiled and how (model, target, resolved "
                 "CPU and flags, files written and their size, inputs, outputs, workspace "
                 "bytes, seconds per phase), for build systems");
  app.add_flag("--timings", options.timings,
               "print the time of every phase and pass (MLIR's pass timing) and the peak "
               "memory at the end of each phase, on stderr");
  app.add_flag("-q,--quiet", options.quiet,
               "no progress lines (they are printed, one per phase, only when stderr is a "
               "terminal)");
  app.add_flag("!--no-header", options.writeHeader,
               "do not write <name>.h beside an object or shared library");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  options.cpu.optLevel = optLevel;
  options.cpu.threads = threads == "pool";
  if (!emit.empty())
    options.emit = lepton::parseEmitKind(emit);
  return lepton::compileModel(options);
}
