//===- IntegerSemantics.h - the integer contract of compress ops --*- C++ -*-===//
//
// The arithmetic every backend implements bit-exactly for the compress
// dialect (docs/quantization.md). The compiler uses these functions to encode
// multipliers and to fold; tests use them as the reference.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_DIALECTS_COMPRESS_INTEGERSEMANTICS_H
#define LEPTON_DIALECTS_COMPRESS_INTEGERSEMANTICS_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>

namespace lepton::compress {

/// A positive real multiplier encoded as `multiplier * 2^-shift`, with
/// `multiplier` in [2^30, 2^31) and `shift` in [1, 62].
struct FixedPointMultiplier {
  int32_t multiplier;
  int32_t shift;
};

/// The encoding of `real` (the nearest multiplier, ties away from zero), or
/// none when `real` is not in [2^-32, 2^30).
std::optional<FixedPointMultiplier> encodeMultiplier(double real);

/// floor((v * multiplier + 2^(shift-1)) / 2^shift): `v` scaled by the
/// multiplier and rounded half up, exact for |v| < 2^31.
int64_t rescale(int64_t v, FixedPointMultiplier m);

/// rescale(v, m) for shift >= 33 in 32-bit arithmetic, as the lowering
/// computes requantizations: (high 32 bits of v * multiplier, plus
/// 2^(shift-33)) >> (shift - 32). The product's low half adds less than one
/// to an integer before a floor division, so the two are equal.
int32_t rescaleHigh(int32_t v, FixedPointMultiplier m);

/// rescale(v, m) when the multiplier is 2^30 (the ratio is a power of two,
/// as between fixed-point types) and shift in [33, 62], in 32-bit arithmetic
/// without a product: ((v >> 1) + 2^(shift-32)) >> (shift-31), which is
/// floor((v + 2^(shift-31)) / 2^(shift-30)) with nothing that can overflow.
int32_t rescalePowerOfTwo(int32_t v, FixedPointMultiplier m);

/// Add shifts both inputs left by this many bits before rescaling them to
/// their common scale: 20 for 8-bit inputs, 14 when one has 16 bits, so
/// the shifted value stays below 2^31 (rescale's exact range).
constexpr int addLeftShift(unsigned widestInputBits) { return widestInputBits <= 8 ? 20 : 14; }

/// The parameters of a quantized element type, per tensor (one scale and
/// zero point, `axis` none) or per axis.
struct QuantParams {
  llvm::SmallVector<double> scales;
  llvm::SmallVector<int64_t> zeroPoints;
  std::optional<int32_t> axis;
  bool isSigned;
  unsigned bits;
  int64_t storageMin, storageMax;
  mlir::Type expressed;

  /// The scale and zero point that apply at index `i` of the axis.
  double scale(size_t i) const { return scales[scales.size() == 1 ? 0 : i]; }
  int64_t zeroPoint(size_t i) const { return zeroPoints[zeroPoints.size() == 1 ? 0 : i]; }
};

/// The parameters of a `!quant.uniform` element type (per tensor or per
/// axis), or none for any other type.
std::optional<QuantParams> quantParams(mlir::Type elementType);

/// The element type of a tensor, or `type` itself.
mlir::Type elementTypeOf(mlir::Type type);

} // namespace lepton::compress

#endif // LEPTON_DIALECTS_COMPRESS_INTEGERSEMANTICS_H
