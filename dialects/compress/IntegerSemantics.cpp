//===- IntegerSemantics.cpp - the integer contract of compress ops --------===//
#include "dialects/compress/IntegerSemantics.h"

#include "mlir/Dialect/Quant/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;

namespace lepton::compress {

std::optional<FixedPointMultiplier> encodeMultiplier(double real) {
  if (!std::isfinite(real) || real < std::ldexp(1.0, -32) || real >= std::ldexp(1.0, 30))
    return std::nullopt;
  int exponent;
  double fraction = std::frexp(real, &exponent); // real = fraction * 2^exponent, [0.5, 1)
  auto multiplier = static_cast<int64_t>(std::round(std::ldexp(fraction, 31)));
  if (multiplier == (int64_t(1) << 31)) { // the fraction rounded up to 1
    multiplier /= 2;
    ++exponent;
  }
  int shift = 31 - exponent;
  if (shift < 1 || shift > 62)
    return std::nullopt;
  return FixedPointMultiplier{static_cast<int32_t>(multiplier), shift};
}

int64_t rescale(int64_t v, FixedPointMultiplier m) {
  // |v * multiplier| < 2^62 and the rounding term is at most 2^61, so the sum
  // fits; >> on a negative int64 is an arithmetic shift (floor) in C++20 and
  // on every compiler Lepton supports.
  int64_t product = v * m.multiplier + (int64_t(1) << (m.shift - 1));
  return product >> m.shift;
}

int32_t rescaleHigh(int32_t v, FixedPointMultiplier m) {
  auto high = static_cast<int32_t>((int64_t(v) * m.multiplier) >> 32);
  return (high + (int32_t(1) << (m.shift - 33))) >> (m.shift - 32);
}

int32_t rescalePowerOfTwo(int32_t v, FixedPointMultiplier m) {
  return ((v >> 1) + (int32_t(1) << (m.shift - 32))) >> (m.shift - 31);
}

Type elementTypeOf(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    return shaped.getElementType();
  return type;
}

std::optional<QuantParams> quantParams(Type elementType) {
  auto quantized = dyn_cast<quant::QuantizedType>(elementType);
  if (!quantized || !quantized.getStorageType().isSignlessInteger())
    return std::nullopt;
  QuantParams p;
  p.isSigned = quantized.isSigned();
  p.bits = quantized.getStorageTypeIntegralWidth();
  p.storageMin = quantized.getStorageTypeMin();
  p.storageMax = quantized.getStorageTypeMax();
  p.expressed = quantized.getExpressedType();
  if (auto uniform = dyn_cast<quant::UniformQuantizedType>(quantized)) {
    p.scales = {uniform.getScale()};
    p.zeroPoints = {uniform.getZeroPoint()};
  } else if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(quantized)) {
    p.scales.assign(perAxis.getScales().begin(), perAxis.getScales().end());
    p.zeroPoints.assign(perAxis.getZeroPoints().begin(), perAxis.getZeroPoints().end());
    p.axis = perAxis.getQuantizedDimension();
  } else {
    return std::nullopt;
  }
  return p;
}

} // namespace lepton::compress
