//===- Constants.cpp - constant tensors the compress passes build --------===//
#include "passes/compress/Constants.h"
#include "dialects/compress/IntegerSemantics.h"
#include "dialects/nn/NNDialect.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>

using namespace mlir;

namespace lepton::compress {

std::optional<Value> int32BiasConstant(OpBuilder &b, Location loc, ArrayRef<double> real,
                                       Type accumulator) {
  QuantParams acc = *quantParams(accumulator);
  SmallVector<int32_t> values;
  for (auto [i, r] : llvm::enumerate(real)) {
    double q = std::nearbyint(r / acc.scale(i));
    if (!(std::fabs(q) < 2147483647.0))
      return std::nullopt;
    values.push_back(int32_t(q));
  }
  auto type = RankedTensorType::get({int64_t(values.size())}, b.getI32Type());
  return b.create<nn::ConstantOp>(loc, DenseElementsAttr::get(type, ArrayRef(values)))
      .getResult();
}

} // namespace lepton::compress
