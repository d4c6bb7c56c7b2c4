//===- HLSEstimate.h - latency and resources without the vendor tool -*- C++ -*-===//
//
// An analytical model of what Vitis HLS builds from the annotated loop nests
// (docs/hls.md describes it): multipliers per reuse factor, zero weights
// removed, narrow products in LUTs, buffers in registers, LUTRAM or BRAM by
// partitioning and size, and a chaining schedule of each loop body at the
// target clock for the latency.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_CODEGEN_HLS_HLSESTIMATE_H
#define LEPTON_CODEGEN_HLS_HLSESTIMATE_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace lepton::hls {

/// The options of `leptonc --target=hls`.
struct HLSOptions {
  std::string name;                        // the top function
  std::string io = "parallel";             // parallel | stream
  std::string ports = "quantized";         // quantized | float
  int64_t reuseFactor = 1;
  std::string part = "xczu9eg-ffvb1156-2-e"; // --fpga-part
  double clockNs = 5;                       // --clock-ns
};

/// An FPGA part Lepton knows the resources of.
struct FpgaPart {
  const char *name;
  const char *family; // zynquplus, zynq, alveo, virtexuplus
  const char *board;  // a Vivado board part, or "" for none
  int64_t dsp, lut, ff, bram18k;
};

/// The part named `name` (an exact part number), or null.
const FpgaPart *findPart(llvm::StringRef name);

/// The known part numbers, comma separated (for error messages).
std::string knownParts();

struct Resources {
  int64_t dsp = 0, lut = 0, ff = 0, bram18k = 0;
  Resources &operator+=(const Resources &other);
};

struct LayerEstimate {
  std::string layer;     // the ONNX node
  int64_t multiplies = 0; // per inference, zero weights removed
  int64_t multipliers = 0; // instantiated
  int64_t latency = 0;    // cycles from first input to last output
  int64_t interval = 1;   // cycles between inferences (II)
  Resources resources;
};

struct DesignEstimate {
  std::vector<LayerEstimate> layers;
  int64_t latency = 0, interval = 1;
  Resources resources;
  const FpgaPart *part = nullptr;
  double clockNs = 0;
};

/// Estimates the design of the function `options.name` in `module` (after
/// lepton-hls-directives). The stream style is costed as the dataflow of LoopNests.h's
/// dataflowGraph, FIFOs and each process's buffer copies included. Fails,
/// with a diagnostic that suggests a larger reuse factor or the stream
/// style, when a loop nest would unroll more multipliers than the HLS tool
/// allows (4096) or the design exceeds the part.
mlir::FailureOr<DesignEstimate> estimateDesign(mlir::ModuleOp module, const HLSOptions &options,
                                               const FpgaPart &part);

/// The estimate as a readable table and as the project's report.json.
std::string renderEstimateTable(const DesignEstimate &estimate, const HLSOptions &options);
std::string renderEstimateJson(const DesignEstimate &estimate, const HLSOptions &options);

} // namespace lepton::hls

#endif // LEPTON_CODEGEN_HLS_HLSESTIMATE_H
