//===- Storage.h - building compress ops in the rewrites ----------*- C++ -*-===//
#ifndef LEPTON_PASSES_COMPRESS_STORAGE_H
#define LEPTON_PASSES_COMPRESS_STORAGE_H

#include "dialects/compress/IntegerSemantics.h"
#include "mlir/IR/Builders.h"

namespace lepton::compress {

/// `raw` (a tensor of i8, or ONNX's ui8) reinterpreted as quantized
/// `element`s: a bitcast from unsigned to signless integers first, then
/// quant.scast.
mlir::Value toQuantized(mlir::OpBuilder &b, mlir::Location loc, mlir::Value raw,
                        mlir::Type element);

/// The raw element ONNX stores `p`'s integers in: signless for signed
/// storage (i8), unsigned otherwise (ui8).
mlir::Type rawElementType(mlir::MLIRContext *ctx, const QuantParams &p);

/// The quantized `value` as a raw tensor of `rawType` (i8 or ui8).
mlir::Value toRaw(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                  mlir::RankedTensorType rawType);

/// Whether a newly built `op` verifies, without reporting why not: an op
/// the rewrites cannot build keeps its float or ONNX form.
bool verifiesSilently(mlir::Operation *op);

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_STORAGE_H
