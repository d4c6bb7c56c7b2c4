//===- LinearLayer.h - the layers with a weight the compress passes rewrite -*- C++ -*-===//
#ifndef LEPTON_PASSES_COMPRESS_LINEARLAYER_H
#define LEPTON_PASSES_COMPRESS_LINEARLAYER_H

#include "mlir/IR/Operation.h"

#include <optional>

namespace lepton::compress {

/// A Conv, a Gemm (alpha = beta = 1, no transA) or a MatMul: its
/// activation input, weight and bias as the compress passes read them.
struct LinearLayer {
  mlir::Value input, weight, bias; // bias: null (MatMul) or none when absent
  bool conv = false;
  int64_t group = 1;             // a Conv's
  bool weightTransposed = false; // a Gemm's transB: the weight is [N, K]
};

/// `op` as a LinearLayer; none for other ops and Gemms with scaling or transA.
std::optional<LinearLayer> linearLayerOf(mlir::Operation *op);

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_LINEARLAYER_H
