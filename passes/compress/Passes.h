//===- Passes.h - compression passes ------------------------------*- C++ -*-===//
#ifndef LEPTON_PASSES_COMPRESS_PASSES_H
#define LEPTON_PASSES_COMPRESS_PASSES_H

#include "dialects/compress/CompressDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace lepton {

#define GEN_PASS_DECL
#include "passes/compress/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/compress/Passes.h.inc"

/// Phase 'compress': imported quantized forms become compress ops.
inline constexpr const char *kCompressPipeline =
    "func.func(lepton-convert-onnx-quantization),canonicalize,cse";

} // namespace lepton

#endif // LEPTON_PASSES_COMPRESS_PASSES_H
