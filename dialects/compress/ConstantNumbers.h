//===- ConstantNumbers.h - the values of constant tensors ---------*- C++ -*-===//
//
// Shared by the compress passes (quantization parameters, weights) and the
// compress lowering (zero-point corrections folded at compile time).
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_DIALECTS_COMPRESS_CONSTANTNUMBERS_H
#define LEPTON_DIALECTS_COMPRESS_CONSTANTNUMBERS_H

#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace lepton::compress {

/// The values of a constant tensor (inline or a resource blob) as doubles,
/// integers read with their signedness (signless ones as signed); none when
/// `v` is not a constant.
std::optional<llvm::SmallVector<double>> constantNumbers(mlir::Value v);

} // namespace lepton::compress

#endif // LEPTON_DIALECTS_COMPRESS_CONSTANTNUMBERS_H
