//===- HLSEmitter.h - the HLS C++ printer and project writer ------*- C++ -*-===//
//
// Lepton's own printer from the HLS target's IR (affine loop nests over
// memrefs, arith and math on scalars, hls directive attributes) to Vitis HLS
// C++. Upstream EmitC in LLVM 19 cannot convert memref signatures, and a
// printer of our own places the pragmas (DESIGN.md).
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_CODEGEN_HLS_HLSEMITTER_H
#define LEPTON_CODEGEN_HLS_HLSEMITTER_H

#include "codegen/common/ModelSignature.h"
#include "codegen/hls/HLSEstimate.h"

#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>
#include <vector>

namespace lepton::hls {

/// Inputs and the CPU backend's outputs for the testbench: [set][tensor],
/// the bytes of each tensor in its signature's element type.
struct GoldenVectors {
  std::vector<std::vector<std::vector<char>>> inputs, outputs;
  /// Float outputs must match bit for bit (the model computes in integers
  /// between its float boundaries); otherwise within `tolerance` of the
  /// largest reference magnitude. Integer and bool outputs always match
  /// exactly.
  bool exact = false;
  double tolerance = 0;
};

/// The files of an HLS project by relative path: the design (`NAME.cpp`,
/// `NAME.h`, `NAME_weights.h`), its AXI wrapper, the testbench with its golden
/// vectors, the support library under `hls/`, the Vitis HLS and Vivado
/// scripts. `module` holds the entry function `options.name` after
/// lepton-hls-directives. Fails with a diagnostic naming the op and ONNX node
/// for IR the printer has no C++ for.
mlir::FailureOr<std::map<std::string, std::string>>
emitProject(mlir::ModuleOp module, const ModelSignature &signature, const HLSOptions &options,
            const GoldenVectors &golden);

} // namespace lepton::hls

#endif // LEPTON_CODEGEN_HLS_HLSEMITTER_H
