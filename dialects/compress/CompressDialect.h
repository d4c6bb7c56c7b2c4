//===- CompressDialect.h - the compress dialect -------------------*- C++ -*-===//
#ifndef LEPTON_DIALECTS_COMPRESS_COMPRESSDIALECT_H
#define LEPTON_DIALECTS_COMPRESS_COMPRESSDIALECT_H

#include "dialects/compress/IntegerSemantics.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Quant/QuantOps.h"
#include "mlir/Dialect/Quant/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/compress/CompressDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/compress/CompressAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/compress/CompressOps.h.inc"

namespace lepton::compress {

/// The discardable attribute naming a constant's SparsityAttr.
constexpr const char *kSparsityAttrName = "compress.sparsity";

/// The int32 accumulator type of a product of `lhs` (per tensor) and `rhs`
/// (per tensor, or per axis with its scales landing on `axis` of the result):
/// scale lhs * rhs, zero point 0, expressed in lhs's float type.
mlir::Type accumulatorType(const QuantParams &lhs, const QuantParams &rhs, int32_t axis);

} // namespace lepton::compress

#endif // LEPTON_DIALECTS_COMPRESS_COMPRESSDIALECT_H
