//===- Constants.h - constant tensors the compress passes build ---*- C++ -*-===//
#ifndef LEPTON_PASSES_COMPRESS_CONSTANTS_H
#define LEPTON_PASSES_COMPRESS_CONSTANTS_H

#include "dialects/compress/ConstantNumbers.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace lepton::compress {

/// A bias of `real` values as an int32 constant (nn.constant) in the scale of
/// the accumulator element type `accumulator` (one scale, or one per value),
/// rounded half to even; none when a value does not fit in int32.
std::optional<mlir::Value> int32BiasConstant(mlir::OpBuilder &b, mlir::Location loc,
                                             llvm::ArrayRef<double> real, mlir::Type accumulator);

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_CONSTANTS_H
