//===- Storage.cpp - building compress ops in the rewrites -----------------===//
#include "passes/compress/Storage.h"

#include "mlir/Dialect/Quant/QuantOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace lepton::compress {

Value toQuantized(OpBuilder &b, Location loc, Value raw, Type element) {
  auto type = cast<RankedTensorType>(raw.getType());
  auto signless = type.clone(IntegerType::get(b.getContext(), type.getElementTypeBitWidth()));
  if (type != signless)
    raw = b.create<tensor::BitcastOp>(loc, signless, raw);
  return b.create<quant::StorageCastOp>(loc, type.clone(element), raw);
}

Type rawElementType(MLIRContext *ctx, const QuantParams &p) {
  return IntegerType::get(ctx, p.bits, p.isSigned ? IntegerType::Signless : IntegerType::Unsigned);
}

Value toRaw(OpBuilder &b, Location loc, Value value, RankedTensorType rawType) {
  auto signless = rawType.clone(IntegerType::get(b.getContext(), rawType.getElementTypeBitWidth()));
  Value raw = b.create<quant::StorageCastOp>(loc, signless, value);
  if (signless != rawType)
    raw = b.create<tensor::BitcastOp>(loc, rawType, raw);
  return raw;
}

bool verifiesSilently(Operation *op) {
  ScopedDiagnosticHandler silence(op->getContext(), [](Diagnostic &) { return success(); });
  return succeeded(mlir::verify(op));
}

} // namespace lepton::compress
