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

namespace lepton::hls {

/// The pass pipeline from linalg on tensors to directive-annotated affine
/// loop nests over memrefs.
std::string hlsPipeline(const HLSOptions &options);

/// Whether the design computes the same bits as the CPU backend: all its
/// float arithmetic is elementwise and exactly rounded (quantizing inputs,
/// dequantizing outputs), so no reduction order or math library differs.
bool isBitExact(mlir::func::FuncOp func);

} // namespace lepton::hls

#endif // LEPTON_CODEGEN_HLS_HLSBACKEND_H
