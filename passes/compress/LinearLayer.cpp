//===- LinearLayer.cpp - the layers with a weight the compress passes rewrite -===//
#include "passes/compress/LinearLayer.h"
#include "dialects/nn/NNDialect.h"

using namespace mlir;

namespace lepton::compress {

std::optional<LinearLayer> linearLayerOf(Operation *op) {
  LinearLayer l;
  if (auto conv = dyn_cast<nn::ConvOp>(op)) {
    l.input = conv.getX();
    l.weight = conv.getW();
    l.bias = conv.getB();
    l.conv = true;
    l.group = conv.getGroup();
  } else if (auto gemm = dyn_cast<nn::GemmOp>(op)) {
    if (gemm.getAlpha().convertToDouble() != 1 || gemm.getBeta().convertToDouble() != 1 ||
        gemm.getTransA())
      return std::nullopt;
    l.input = gemm.getA();
    l.weight = gemm.getB();
    l.bias = gemm.getC();
    l.weightTransposed = gemm.getTransB();
  } else if (auto matmul = dyn_cast<nn::MatMulOp>(op)) {
    l.input = matmul.getA();
    l.weight = matmul.getB();
  } else {
    return std::nullopt;
  }
  return l;
}

} // namespace lepton::compress
