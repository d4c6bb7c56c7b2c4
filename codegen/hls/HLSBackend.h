//===- HLSBackend.h - linalg -> annotated affine loop nests -------*- C++ -*-===//
//
// The HLS target's code generation from the linalg-on-tensors IR all targets
// share: bufferize (caller-owned outputs, as on the CPU), every linalg op a
// loop nest of constant bounds, then the directives of the chosen io style
// and reuse factor. HLSEmitter.h prints the result as C++.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_CODEGEN_HLS_HLSBACKEND_H
#define LEPTON_CODEGEN_HLS_HLSBACKEND_H

#include "codegen/hls/HLSEstimate.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace lepton::hls {

/// The pass pipeline from linalg on tensors to directive-annotated affine
/// loop nests over memrefs.
std::string hlsPipeline(const HLSOptions &options);

/// The model inputs an HLS design takes as the integers their quantize
/// makes, and the outputs it gives as the integers a dequantize reads, as
/// hls4ml designs exchange ap_fixed numbers: per-tensor quantized values
/// only (an input whose only use is one such quantize; a result that such
/// a dequantize makes). Null entries stay float.
struct QuantizedPorts {
  std::vector<mlir::Operation *> inputs;  // compress.quantize per argument
  std::vector<mlir::Operation *> outputs; // compress.dequantize per result
  bool any() const;
};

/// The ports of the model function `func` (compress phase IR) that can be
/// quantized (an input may reach its quantize through reshapes, which then
/// run on the integers); none unless `quantized` (--ports=quantized).
QuantizedPorts planQuantizedPorts(mlir::func::FuncOp func, bool quantized);

/// The values the planned ports carry, as storage integers (unsigned where
/// the quantized type is), for the testbench's golden vectors: for each
/// input the cast of its quantized value (null when it stays float), for
/// each output the cast of the integers or the output itself. The casts
/// are built in `func`, used by nothing; eraseQuantizedPortValues removes
/// them.
std::pair<std::vector<mlir::Value>, std::vector<mlir::Value>>
quantizedPortValues(mlir::func::FuncOp func, const QuantizedPorts &ports);

/// Erases the casts quantizedPortValues built among `values` (once nothing
/// uses them).
void eraseQuantizedPortValues(llvm::ArrayRef<mlir::Value> values);

/// Makes the planned ports integers: argument and result types become the
/// storage integers, the quantize and dequantize ops go, and the ports'
/// `lepton.scale` and `lepton.zero_point` attributes record what real value
/// each integer stands for.
void applyQuantizedPorts(mlir::func::FuncOp func, const QuantizedPorts &ports);

/// Whether the design computes the same bits as the CPU backend: all its
/// float arithmetic is elementwise and exactly rounded (quantizing inputs,
/// dequantizing outputs), so no reduction order or math library differs.
bool isBitExact(mlir::func::FuncOp func);

} // namespace lepton::hls

#endif // LEPTON_CODEGEN_HLS_HLSBACKEND_H
