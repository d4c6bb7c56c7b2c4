//===- CompressToLinalg.cpp - compress ops -> linalg on tensors -----------===//
//
// The integer semantics of docs/quantization.md as linalg on the storage
// integers. Runs inside lepton-convert-nn-to-linalg, after the function's
// tensors were made signless: the quantized types' parameters come from the
// op's original operand and result types.
//
//===----------------------------------------------------------------------===//
#include "codegen/common/LinalgLowering.h"
#include "dialects/compress/CompressDialect.h"
#include "dialects/compress/ConstantNumbers.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace lepton::compress;

namespace lepton::lowering {
namespace {

/// Per-tensor or per-axis parameters of an elementwise body: one value (or
/// several equal ones) is a constant inside the body, several a constant
/// tensor input broadcast along the axis.
class BodyParams {
public:
  BodyParams(Lowering &l, int64_t rank, SmallVector<Value> &inputs)
      : l(l), rank(rank), inputs(inputs) {}

  using Getter = std::function<Value(ValueRange)>;

  Getter ints(ArrayRef<int64_t> values, Type type, std::optional<int32_t> axis) {
    SmallVector<Attribute> attrs;
    for (int64_t v : values)
      attrs.push_back(IntegerAttr::get(type, v));
    return add(attrs, type, axis);
  }

  Getter floats(ArrayRef<double> values, Type type, std::optional<int32_t> axis) {
    SmallVector<Attribute> attrs;
    for (double v : values)
      attrs.push_back(FloatAttr::get(type, v));
    return add(attrs, type, axis);
  }

private:
  Getter add(ArrayRef<Attribute> values, Type type, std::optional<int32_t> axis) {
    if (llvm::all_equal(values)) {
      Attribute value = values[0];
      return [this, value](ValueRange) -> Value {
        return l.b.create<arith::ConstantOp>(l.loc, cast<TypedAttr>(value));
      };
    }
    auto tensorType = RankedTensorType::get({int64_t(values.size())}, type);
    Value tensor = l.b.create<arith::ConstantOp>(l.loc, DenseElementsAttr::get(tensorType, values));
    inputs.push_back(alongAxis(l, tensor, rank, *axis));
    size_t index = inputs.size() - 1;
    return [index](ValueRange args) { return args[index]; };
  }

  Lowering &l;
  int64_t rank;
  SmallVector<Value> &inputs;
};

/// The parameters of rescale(v, M, n) (IntegerSemantics.h): M, the rounding
/// term 2^(n-1) and n, one each or one per index of an axis.
struct Rescale {
  SmallVector<int64_t> multipliers, roundings, shifts;

  Rescale(ArrayRef<int32_t> m, ArrayRef<int32_t> n) : multipliers(m.begin(), m.end()) {
    for (int32_t shift : n) {
      roundings.push_back(int64_t(1) << (shift - 1));
      shifts.push_back(shift);
    }
  }

  /// Adds them to `params`; returns a function of the body's arguments that
  /// rescales an i64 value.
  std::function<Value(ValueRange, Value)> in(Lowering &l, BodyParams &params,
                                             std::optional<int32_t> axis) const {
    Type i64 = l.b.getI64Type();
    // The multipliers as i32, extended at use: the product of two extended
    // i32 values is one 32 x 32 -> 64-bit multiply (x86 vpmuldq), where an
    // i64 table gives a full 64-bit one (vpmullq, several times slower).
    auto m = params.ints(multipliers, l.b.getI32Type(), axis),
         r = params.ints(roundings, i64, axis), n = params.ints(shifts, i64, axis);
    return [&l, m, r, n, i64](ValueRange a, Value v) -> Value {
      Value multiplier = l.b.create<arith::ExtSIOp>(l.loc, i64, m(a));
      return l.b.create<arith::ShRSIOp>(l.loc, l.add(l.mul(v, multiplier), r(a)), n(a));
    };
  }
};

/// zp + v clamped to [lo, hi] (then to `channelHi`, when given) and
/// truncated to `storage`, computed in v's type.
Value saturate(Lowering &l, Value v, int64_t zeroPoint, int64_t lo, int64_t hi, Type storage,
               Value channelHi = nullptr) {
  Type t = v.getType();
  Value y = l.add(v, l.constant(t, zeroPoint));
  y = l.b.create<arith::MaxSIOp>(l.loc, y, l.constant(t, lo));
  y = l.b.create<arith::MinSIOp>(l.loc, y, l.constant(t, hi));
  if (channelHi)
    y = l.b.create<arith::MinSIOp>(l.loc, y, channelHi);
  return l.b.create<arith::TruncIOp>(l.loc, storage, y);
}

/// `x` minus its zero points, as i32 (the operand of an integer product).
Value centered(Lowering &l, Value x, const QuantParams &p) {
  auto type = cast<RankedTensorType>(x.getType());
  Type i32 = l.b.getI32Type();
  SmallVector<Value> inputs = {x};
  BodyParams params(l, type.getRank(), inputs);
  auto zeroPoint = params.ints(p.zeroPoints, i32, p.axis);
  return l.elementwise(RankedTensorType::get(type.getShape(), i32), inputs,
                       [&](ValueRange a) {
                         return l.sub(widen(l, a[0], i32, !p.isSigned), zeroPoint(a));
                       });
}

Value lowerQuantize(QuantizeOp op, Lowering &l, const QuantParams &out) {
  auto type = resultType(op);
  Type ft = op.getInput().getType().getElementType();
  SmallVector<Value> inputs = {op.getInput()};
  BodyParams params(l, type.getRank(), inputs);
  // Dividing by a power of two is multiplying by its inverse, exactly: both
  // scale x by 2^-k and round once. A multiplier is a few cycles in an FPGA
  // design where a divider is ten.
  bool powersOfTwo = llvm::all_of(out.scales, [](double s) {
    int exponent;
    return std::frexp(s, &exponent) == 0.5 && exponent > -120 && exponent < 120;
  });
  SmallVector<double> factors;
  for (double s : out.scales)
    factors.push_back(powersOfTwo ? 1 / s : s);
  auto factor = params.floats(factors, ft, out.axis);
  SmallVector<double> zeroPoints(out.zeroPoints.begin(), out.zeroPoints.end());
  auto zeroPoint = params.floats(zeroPoints, ft, out.axis);
  return l.elementwise(type, inputs, [&](ValueRange a) {
    Value scaled = powersOfTwo ? l.mul(a[0], factor(a)) : l.div(a[0], factor(a));
    return saturateRound(l, scaled, zeroPoint(a), type.getElementType(), !out.isSigned);
  });
}

Value lowerDequantize(DequantizeOp op, Lowering &l, const QuantParams &in) {
  auto type = resultType(op);
  Type ft = type.getElementType(), i32 = l.b.getI32Type();
  SmallVector<Value> inputs = {op.getInput()};
  BodyParams params(l, type.getRank(), inputs);
  auto zeroPoint = params.ints(in.zeroPoints, i32, in.axis);
  auto scale = params.floats(in.scales, ft, in.axis);
  return l.elementwise(type, inputs, [&](ValueRange a) {
    Value v = l.sub(widen(l, a[0], i32, !in.isSigned), zeroPoint(a));
    return l.mul(l.b.create<arith::SIToFPOp>(l.loc, ft, v).getResult(), scale(a));
  });
}

/// rescale(v, M, n) for an i32 v and n >= 33, in i32: IntegerSemantics.h's
/// rescaleHigh, (h + 2^(n-33)) >> (n-32) with h the high 32 bits of the
/// 64-bit product v * M, which equals rescale's (v * M + 2^(n-1)) >> n (the
/// unit tests check it). |h| <= 2^30, so nothing overflows. The high half is
/// one mulhs (x86: pmuldq on the even and odd lanes) and the rest runs on
/// i32 lanes, twice as many per vector as the i64 form's.
std::function<Value(ValueRange, Value)> rescaleHigh(Lowering &l, BodyParams &params,
                                                    ArrayRef<int32_t> multipliers,
                                                    ArrayRef<int32_t> shifts,
                                                    std::optional<int32_t> axis) {
  Type i32 = l.b.getI32Type(), i64 = l.b.getI64Type();
  SmallVector<int64_t> m(multipliers.begin(), multipliers.end()), roundings, rest;
  for (int32_t n : shifts) {
    roundings.push_back(int64_t(1) << (n - 33));
    rest.push_back(n - 32);
  }
  auto multiplier = params.ints(m, i32, axis), rounding = params.ints(roundings, i32, axis),
       shift = params.ints(rest, i32, axis);
  return [&l, multiplier, rounding, shift, i32, i64](ValueRange a, Value v) -> Value {
    Value product = l.mul(l.b.create<arith::ExtSIOp>(l.loc, i64, v),
                          l.b.create<arith::ExtSIOp>(l.loc, i64, multiplier(a)));
    Value high = l.b.create<arith::TruncIOp>(
        l.loc, i32, l.b.create<arith::ShRSIOp>(l.loc, product, l.constant(i64, 32)));
    return l.b.create<arith::ShRSIOp>(l.loc, l.add(high, rounding(a)), shift(a));
  };
}

/// rescale(v, 2^30, n) for an i32 v and n >= 33: a power-of-two ratio, as
/// between fixed-point types, needs no product. IntegerSemantics.h's
/// rescalePowerOfTwo, ((v >> 1) + 2^(n-32)) >> (n-31).
std::function<Value(ValueRange, Value)> rescalePowerOfTwo(Lowering &l, BodyParams &params,
                                                          ArrayRef<int32_t> shifts,
                                                          std::optional<int32_t> axis) {
  Type i32 = l.b.getI32Type();
  SmallVector<int64_t> roundings, rest;
  for (int32_t n : shifts) {
    roundings.push_back(int64_t(1) << (n - 32));
    rest.push_back(n - 31);
  }
  auto rounding = params.ints(roundings, i32, axis), shift = params.ints(rest, i32, axis);
  return [&l, rounding, shift, i32](ValueRange a, Value v) -> Value {
    Value half = l.b.create<arith::ShRSIOp>(l.loc, v, l.constant(i32, 1));
    return l.b.create<arith::ShRSIOp>(l.loc, l.add(half, rounding(a)), shift(a));
  };
}

Value lowerRequantize(RequantizeOp op, Lowering &l, const QuantParams &in,
                      const QuantParams &out) {
  auto type = resultType(op);
  // In i32 when the centered input fits (storage narrower than 32 bits, or
  // int32 accumulators, whose zero point is 0) and every shift is at least
  // 33, as requantizations of accumulators to 8 or 16 bits have.
  bool centeredFits = in.bits < 32 ||
                      llvm::all_of(in.zeroPoints, [](int64_t z) { return z == 0; });
  bool high = centeredFits &&
              llvm::all_of(op.getShifts(), [](int32_t n) { return n >= 33 && n <= 62; });
  Type wide = high ? l.b.getI32Type() : l.b.getI64Type(); // the body's integers
  SmallVector<Value> inputs = {op.getInput()};
  BodyParams params(l, type.getRank(), inputs);
  auto zeroPoint = params.ints(in.zeroPoints, wide, in.axis);
  bool powerOfTwo =
      llvm::all_of(op.getMultipliers(), [](int32_t m) { return m == int32_t(1) << 30; });
  auto rescale = high && powerOfTwo ? rescalePowerOfTwo(l, params, op.getShifts(), in.axis)
                 : high ? rescaleHigh(l, params, op.getMultipliers(), op.getShifts(), in.axis)
                        : Rescale(op.getMultipliers(), op.getShifts()).in(l, params, in.axis);
  int64_t lo = op.getClampMin() ? int64_t(*op.getClampMin()) : out.storageMin;
  int64_t hi = op.getClampMax() ? int64_t(*op.getClampMax()) : out.storageMax;
  std::optional<BodyParams::Getter> channelHi;
  if (std::optional<ArrayRef<int64_t>> bounds = op.getChannelClampMax())
    channelHi = params.ints(*bounds, wide, in.axis);
  return l.elementwise(type, inputs, [&](ValueRange a) {
    Value v = l.sub(widen(l, a[0], wide, !in.isSigned), zeroPoint(a));
    return saturate(l, rescale(a, v), out.zeroPoints[0], lo, hi, type.getElementType(),
                    channelHi ? (*channelHi)(a) : nullptr);
  });
}

Value lowerAdd(AddOp op, Lowering &l, const QuantParams &lhs, const QuantParams &rhs,
               const QuantParams &out) {
  auto type = resultType(op);
  Type i64 = l.b.getI64Type();
  SmallVector<Value> inputs = {op.getLhs(), op.getRhs()};
  BodyParams params(l, type.getRank(), inputs);
  auto m = op.getMultipliers();
  auto n = op.getShifts();
  auto rescaleLhs = Rescale(m.take_front(1), n.take_front(1)).in(l, params, std::nullopt);
  auto rescaleRhs = Rescale(m.slice(1, 1), n.slice(1, 1)).in(l, params, std::nullopt);
  auto rescaleSum = Rescale(m.take_back(1), n.take_back(1)).in(l, params, std::nullopt);
  int64_t lo = op.getClampMin() ? int64_t(*op.getClampMin()) : out.storageMin;
  int64_t hi = op.getClampMax() ? int64_t(*op.getClampMax()) : out.storageMax;
  return l.elementwise(type, inputs, [&](ValueRange a) {
    auto shifted = [&](Value q, const QuantParams &p) {
      Value v = l.sub(widen(l, q, i64, !p.isSigned), l.constant(i64, p.zeroPoints[0]));
      return l.b.create<arith::ShLIOp>(
          l.loc, v, l.constant(i64, addLeftShift(std::max(lhs.bits, rhs.bits))));
    };
    Value sum = l.add(rescaleLhs(a, shifted(a[0], lhs)), rescaleRhs(a, shifted(a[1], rhs)));
    return saturate(l, rescaleSum(a, sum), out.zeroPoints[0], lo, hi, type.getElementType());
  });
}

/// An integer product sum((x - zx) * (w - zw)) + bias with its operands read
/// as stored: the weight's zero points are subtracted at compile time, and
/// zx * sum(w - zw) per output channel moves into the bias, so x enters
/// unchanged (bytes, padded with zx) and nothing is recentered at run time.
struct NarrowProduct {
  Value x, w, bias; // bias: null when there is none
  ProductOperands operands;
};

/// The signed value of the storage bits of `v`, an integer of `bits` bits.
int64_t storageBits(int64_t v, unsigned bits) {
  return v >= (int64_t(1) << (bits - 1)) ? v - (int64_t(1) << bits) : v;
}

/// The narrow form of a product of `x` and the constant weight `w` whose
/// output channels lie along `channelAxis`, plus `bias` (null, none or an
/// int32 constant, one per channel); none when `w` or `bias` is not
/// constant, x has several zero points, or a corrected bias leaves int32.
std::optional<NarrowProduct> narrowProduct(Lowering &l, Value x, const QuantParams &xp, Value w,
                                           const QuantParams &wp, Value bias,
                                           int64_t channelAxis) {
  auto wType = cast<RankedTensorType>(w.getType());
  if (!llvm::all_equal(xp.zeroPoints) || (wp.axis && *wp.axis != channelAxis))
    return std::nullopt;
  std::optional<SmallVector<double>> weights = constantNumbers(w);
  if (!weights)
    return std::nullopt;
  int64_t channels = wType.getDimSize(channelAxis);
  int64_t stride = computeStrides(wType.getShape())[channelAxis];
  // Stored bits read back as the quantized type's integers.
  auto stored = [](double v, const QuantParams &p) {
    return !p.isSigned && v < 0 ? int64_t(v) + (int64_t(1) << p.bits) : int64_t(v);
  };
  SmallVector<int64_t> centered, sums(channels, 0);
  bool fitsInt8 = true, centeredAlready = true;
  for (auto [i, v] : llvm::enumerate(*weights)) {
    int64_t channel = int64_t(i) / stride % channels;
    int64_t c = stored(v, wp) - wp.zeroPoint(channel);
    centered.push_back(c);
    sums[channel] += c;
    fitsInt8 &= c >= -128 && c <= 127;
    centeredAlready &= wp.zeroPoint(channel) == 0;
  }
  NarrowProduct p{x, w, nullptr, {!xp.isSigned, !wp.isSigned, storageBits(xp.zeroPoints[0], xp.bits)}};
  if (!centeredAlready) {
    Type et = fitsInt8 ? l.b.getI8Type() : l.b.getI32Type();
    SmallVector<APInt> values;
    for (int64_t c : centered)
      values.push_back(APInt(et.getIntOrFloatBitWidth(), uint64_t(c), /*isSigned=*/true));
    p.w = l.b.create<arith::ConstantOp>(
        l.loc, DenseElementsAttr::get(RankedTensorType::get(wType.getShape(), et), values));
    p.operands.rhsUnsigned = false;
  }
  bool hasBias = bias && !isa<NoneType>(bias.getType());
  SmallVector<double> biases(channels, 0);
  if (hasBias) {
    std::optional<SmallVector<double>> values = constantNumbers(bias);
    if (!values || int64_t(values->size()) != channels)
      return std::nullopt;
    biases = *values;
  }
  int64_t zx = xp.zeroPoints[0];
  if (!hasBias && zx == 0)
    return p;
  SmallVector<int32_t> corrected;
  for (int64_t c = 0; c < channels; ++c) {
    int64_t v = int64_t(biases[c]) - zx * sums[c];
    if (v < INT32_MIN || v > INT32_MAX)
      return std::nullopt;
    corrected.push_back(int32_t(v));
  }
  p.bias = l.b.create<arith::ConstantOp>(
      l.loc, DenseElementsAttr::get(RankedTensorType::get({channels}, l.b.getI32Type()),
                                    ArrayRef(corrected)));
  return p;
}

/// The int32 `bias` (one per index of the last axis) added to `acc`.
Value plusBias(Lowering &l, Value acc, Value bias) {
  if (!bias)
    return acc;
  return l.elementwise(cast<RankedTensorType>(acc.getType()), {acc, bias},
                       [&](ValueRange a) { return l.add(a[0], a[1]); });
}

} // namespace

FailureOr<SmallVector<Value>> lowerCompressOp(Operation *op, Lowering &l,
                                              ArrayRef<Type> originalOperands,
                                              ArrayRef<Type> originalResults) {
  auto params = [](Type t) { return *quantParams(elementTypeOf(t)); };
  using Results = FailureOr<SmallVector<Value>>;
  auto one = [](Value v) -> Results { return SmallVector<Value>{v}; };
  return llvm::TypeSwitch<Operation *, Results>(op)
      .Case([&](QuantizeOp o) { return one(lowerQuantize(o, l, params(originalResults[0]))); })
      .Case([&](DequantizeOp o) {
        return one(lowerDequantize(o, l, params(originalOperands[0])));
      })
      .Case([&](RequantizeOp o) {
        return one(lowerRequantize(o, l, params(originalOperands[0]), params(originalResults[0])));
      })
      .Case([&](AddOp o) {
        return one(lowerAdd(o, l, params(originalOperands[0]), params(originalOperands[1]),
                            params(originalResults[0])));
      })
      .Case([&](ConvOp o) -> Results {
        QuantParams xp = params(originalOperands[0]), wp = params(originalOperands[1]);
        FailureOr<Value> acc = failure();
        if (auto p = narrowProduct(l, o.getInput(), xp, o.getWeight(), wp, o.getBias(), 0))
          acc = convOf(o, l, p->x, p->w, p->bias, resultType(o), p->operands);
        else
          acc = convOf(o, l, centered(l, o.getInput(), xp), centered(l, o.getWeight(), wp),
                       o.getBias(), resultType(o));
        if (failed(acc))
          return failure();
        return one(*acc);
      })
      .Case([&](MatMulOp o) {
        QuantParams ap = params(originalOperands[0]), bp = params(originalOperands[1]);
        if (cast<RankedTensorType>(o.getB().getType()).getRank() == 2)
          if (auto p = narrowProduct(l, o.getA(), ap, o.getB(), bp, o.getBias(), 1))
            return one(plusBias(l, matMulOf(l, p->x, p->w, resultType(o), p->operands),
                                p->bias));
        Value a = centered(l, o.getA(), ap), b = centered(l, o.getB(), bp);
        return one(plusBias(l, matMulOf(l, a, b, resultType(o)), o.getBias()));
      })
      .Default([&](Operation *o) -> Results { return unsupported(o, "no lowering"); });
}

} // namespace lepton::lowering
