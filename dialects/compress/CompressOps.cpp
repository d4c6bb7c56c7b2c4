//===- CompressOps.cpp - compress dialect: verifiers and builders ---------===//
#include "dialects/compress/CompressDialect.h"
#include "dialects/compress/ConstantNumbers.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h" // for the generated attribute parser

using namespace mlir;
using namespace lepton::compress;

#include "dialects/compress/CompressDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/compress/CompressAttrs.cpp.inc"

void CompressDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/compress/CompressOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/compress/CompressAttrs.cpp.inc"
      >();
}

LogicalResult SparsityAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   int64_t nonzeros, int64_t group, int64_t rows) {
  if (group < 1 || nonzeros < 0 || nonzeros > group || rows < 0)
    return emitError() << "sparsity needs 0 <= nonzeros <= group, 1 <= group and a "
                          "dimension for the rows";
  return success();
}

LogicalResult CompressDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  if (attr.getName() != kSparsityAttrName) // the passes' bookkeeping (compress.precision ...)
    return success();
  auto sparsity = dyn_cast<SparsityAttr>(attr.getValue());
  if (!sparsity)
    return op->emitError() << "'" << kSparsityAttrName << "' must be a #compress.sparsity";
  auto type = op->getNumResults() == 1
                  ? dyn_cast<RankedTensorType>(op->getResult(0).getType())
                  : RankedTensorType();
  std::optional<SmallVector<double>> values =
      type ? constantNumbers(op->getResult(0)) : std::nullopt;
  if (!values)
    return op->emitError() << "'" << kSparsityAttrName << "' must be on a constant tensor";
  if (sparsity.getRows() >= type.getRank())
    return op->emitError() << "sparsity rows dim " << sparsity.getRows()
                           << " is not a dim of " << type;
  // Row r's weights: every element whose index along `rows` is r, in order.
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rows = shape[sparsity.getRows()];
  int64_t inner = 1;
  for (int64_t d = sparsity.getRows() + 1; d < type.getRank(); ++d)
    inner *= shape[d];
  int64_t outer = rows ? type.getNumElements() / (rows * inner) : 0;
  int64_t length = outer * inner, group = sparsity.getGroup();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t first = 0; first < length; first += group) {
      int64_t size = std::min(group, length - first);
      int64_t allowed = size - size * (group - sparsity.getNonzeros()) / group;
      int64_t count = 0;
      for (int64_t j = first; j < first + size; ++j) {
        int64_t o = j / inner, i = j % inner;
        count += (*values)[(o * rows + r) * inner + i] != 0.0;
      }
      if (count > allowed)
        return op->emitError() << "row " << r << " has " << count << " nonzeros in its "
                               << size << " weights from " << first << ", more than "
                               << sparsity << " allows (" << allowed << ")";
    }
  return success();
}

#define GET_OP_CLASSES
#include "dialects/compress/CompressOps.cpp.inc"

namespace lepton::compress {

Type accumulatorType(const QuantParams &lhs, const QuantParams &rhs, int32_t axis) {
  MLIRContext *ctx = lhs.expressed.getContext();
  auto i32 = IntegerType::get(ctx, 32);
  int64_t lo = quant::QuantizedType::getDefaultMinimumForInteger(true, 32);
  int64_t hi = quant::QuantizedType::getDefaultMaximumForInteger(true, 32);
  if (!rhs.axis)
    return quant::UniformQuantizedType::get(quant::QuantizationFlags::Signed, i32, lhs.expressed,
                                            lhs.scales[0] * rhs.scales[0], 0, lo, hi);
  SmallVector<double> scales;
  for (double s : rhs.scales)
    scales.push_back(lhs.scales[0] * s);
  return quant::UniformQuantizedPerAxisType::get(
      quant::QuantizationFlags::Signed, i32, lhs.expressed, scales,
      SmallVector<int64_t>(scales.size(), 0), axis, lo, hi);
}

} // namespace lepton::compress

namespace {

/// The parameters of `value`'s quantized element type, checked against its
/// shape; emits an error naming `role` and returns none when they do not fit.
std::optional<QuantParams> checkedParams(Operation *op, Value value, StringRef role) {
  auto type = cast<RankedTensorType>(value.getType());
  std::optional<QuantParams> p = quantParams(type.getElementType());
  if (!p) {
    op->emitOpError() << role << " must have a uniform quantized element type over a signless "
                                 "integer, not "
                      << type.getElementType();
    return std::nullopt;
  }
  if (p->axis && (*p->axis >= type.getRank() ||
                  (!type.isDynamicDim(*p->axis) &&
                   type.getDimSize(*p->axis) != static_cast<int64_t>(p->scales.size())))) {
    op->emitOpError() << role << " is quantized along axis " << *p->axis << " with "
                      << p->scales.size() << " scales, which does not fit its shape " << type;
    return std::nullopt;
  }
  return p;
}

/// Checks that `multipliers` / `shifts` encode `reals` one for one.
LogicalResult checkMultipliers(Operation *op, ArrayRef<int32_t> multipliers,
                               ArrayRef<int32_t> shifts, ArrayRef<double> reals) {
  if (multipliers.size() != reals.size() || shifts.size() != reals.size())
    return op->emitOpError() << "needs " << reals.size() << " multipliers and shifts, has "
                             << multipliers.size() << " and " << shifts.size();
  for (auto [i, real] : llvm::enumerate(reals)) {
    std::optional<FixedPointMultiplier> m = encodeMultiplier(real);
    if (!m)
      return op->emitOpError() << "scale ratio " << real
                               << " is outside the fixed-point range [2^-32, 2^30)";
    if (m->multiplier != multipliers[i] || m->shift != shifts[i])
      return op->emitOpError() << "multiplier " << i << " (" << multipliers[i] << ", shift "
                               << shifts[i] << ") does not encode the scale ratio " << real
                               << " (expected " << m->multiplier << ", shift " << m->shift
                               << ")";
  }
  return success();
}

LogicalResult checkClamp(Operation *op, const QuantParams &out, std::optional<int64_t> lo,
                         std::optional<int64_t> hi) {
  int64_t min = lo.value_or(out.storageMin), max = hi.value_or(out.storageMax);
  if (min < out.storageMin || max > out.storageMax || min > max)
    return op->emitOpError() << "clamp [" << min << ", " << max
                             << "] is not a range inside the output's storage range ["
                             << out.storageMin << ", " << out.storageMax << "]";
  return success();
}

/// Checks that `actual` is the accumulator type of `lhs` times `rhs`.
LogicalResult checkAccumulator(Operation *op, Type actual, const QuantParams &lhs,
                               const QuantParams &rhs, int32_t axis) {
  if (lhs.axis)
    return op->emitOpError() << "input must be quantized per tensor";
  Type expected = accumulatorType(lhs, rhs, axis);
  if (actual != expected)
    return op->emitOpError() << "result element type must be the int32 accumulator "
                             << expected << ", not " << actual;
  return success();
}

/// Checks a quantize or dequantize: the `role` side, `quantized`, has a
/// quantized type that fits its shape, and the float side `real` has the
/// same shape and is its expressed type (else `mismatch` and that type).
LogicalResult checkConversion(Operation *op, RankedTensorType real, Value quantized,
                              StringRef role, StringRef mismatch) {
  std::optional<QuantParams> p = checkedParams(op, quantized, role);
  if (!p)
    return failure();
  if (real.getShape() != cast<RankedTensorType>(quantized.getType()).getShape())
    return op->emitOpError() << "input and result shapes differ";
  if (p->expressed != real.getElementType())
    return op->emitOpError() << mismatch << " " << p->expressed;
  return success();
}

/// The fixed-point encodings of `reals`; none when one cannot be encoded.
std::optional<std::pair<SmallVector<int32_t>, SmallVector<int32_t>>>
encodeAll(ArrayRef<double> reals) {
  std::pair<SmallVector<int32_t>, SmallVector<int32_t>> encoded;
  for (double real : reals) {
    std::optional<FixedPointMultiplier> m = encodeMultiplier(real);
    if (!m)
      return std::nullopt;
    encoded.first.push_back(m->multiplier);
    encoded.second.push_back(m->shift);
  }
  return encoded;
}

/// A requantize's scale ratios: each input scale over the output's.
SmallVector<double> requantizeRatios(const QuantParams &in, const QuantParams &out) {
  SmallVector<double> reals;
  for (double s : in.scales)
    reals.push_back(s / out.scales[0]);
  return reals;
}

IntegerAttr optionalI64(Builder &b, std::optional<int64_t> v) {
  return v ? b.getI64IntegerAttr(*v) : IntegerAttr();
}

std::optional<int64_t> optionalInt(std::optional<uint64_t> v) {
  if (!v)
    return std::nullopt;
  return static_cast<int64_t>(*v);
}

} // namespace

LogicalResult QuantizeOp::verify() {
  return checkConversion(*this, getInput().getType(), getOutput(), "result",
                         "result must express");
}

OpFoldResult QuantizeOp::fold(FoldAdaptor) {
  auto dequantize = getInput().getDefiningOp<DequantizeOp>();
  if (dequantize && dequantize.getInput().getType() == getType() &&
      quantParams(getType().getElementType())->bits <= 16)
    return dequantize.getInput();
  return {};
}

LogicalResult DequantizeOp::verify() {
  return checkConversion(*this, getOutput().getType(), getInput(), "input",
                         "result element type must be");
}

LogicalResult RequantizeOp::verify() {
  std::optional<QuantParams> in = checkedParams(*this, getInput(), "input");
  std::optional<QuantParams> out = checkedParams(*this, getOutput(), "result");
  if (!in || !out)
    return failure();
  if (out->axis)
    return emitOpError() << "result must be quantized per tensor";
  if (getInput().getType().getShape() != getOutput().getType().getShape())
    return emitOpError() << "input and result shapes differ";
  if (failed(checkMultipliers(*this, getMultipliers(), getShifts(),
                              requantizeRatios(*in, *out))))
    return failure();
  std::optional<int64_t> lo = optionalInt(getClampMin());
  if (failed(checkClamp(*this, *out, lo, optionalInt(getClampMax()))))
    return failure();
  if (std::optional<ArrayRef<int64_t>> channels = getChannelClampMax()) {
    if (!in->axis || channels->size() != in->scales.size())
      return emitOpError() << "channel_clamp_max needs one bound per index of the input's "
                              "quantized axis";
    for (int64_t hi : *channels)
      if (failed(checkClamp(*this, *out, lo, hi)))
        return failure();
  }
  return success();
}

RequantizeOp RequantizeOp::create(OpBuilder &b, Location loc, Value input,
                                  RankedTensorType type, std::optional<int64_t> clampMin,
                                  std::optional<int64_t> clampMax,
                                  ArrayRef<int64_t> channelClampMax) {
  auto encoded = encodeAll(requantizeRatios(*quantParams(elementTypeOf(input.getType())),
                                            *quantParams(type.getElementType())));
  if (!encoded)
    return nullptr;
  return b.create<RequantizeOp>(
      loc, type, input, b.getDenseI32ArrayAttr(encoded->first),
      b.getDenseI32ArrayAttr(encoded->second), optionalI64(b, clampMin), optionalI64(b, clampMax),
      channelClampMax.empty() ? DenseI64ArrayAttr() : b.getDenseI64ArrayAttr(channelClampMax));
}

/// The three scale ratios of an add (see the op's description).
static SmallVector<double> addRatios(const QuantParams &l, const QuantParams &r,
                                     const QuantParams &out) {
  double twiceMax = 2 * std::max(l.scales[0], r.scales[0]);
  return {l.scales[0] / twiceMax, r.scales[0] / twiceMax,
          twiceMax / (std::ldexp(1.0, addLeftShift(std::max(l.bits, r.bits))) * out.scales[0])};
}

LogicalResult AddOp::verify() {
  std::optional<QuantParams> l = checkedParams(*this, getLhs(), "lhs");
  std::optional<QuantParams> r = checkedParams(*this, getRhs(), "rhs");
  std::optional<QuantParams> out = checkedParams(*this, getOutput(), "result");
  if (!l || !r || !out)
    return failure();
  if (l->axis || r->axis || out->axis)
    return emitOpError() << "inputs and result must be quantized per tensor";
  if (l->bits > 16 || r->bits > 16)
    return emitOpError() << "inputs must be 16-bit or narrower";
  SmallVector<int64_t> shape;
  if (!OpTrait::util::getBroadcastedShape(getLhs().getType().getShape(),
                                          getRhs().getType().getShape(), shape) ||
      ArrayRef<int64_t>(shape) != getOutput().getType().getShape())
    return emitOpError() << "result shape is not the broadcast of the input shapes";
  if (failed(checkMultipliers(*this, getMultipliers(), getShifts(), addRatios(*l, *r, *out))))
    return failure();
  return checkClamp(*this, *out, optionalInt(getClampMin()), optionalInt(getClampMax()));
}

AddOp AddOp::create(OpBuilder &b, Location loc, Value lhs, Value rhs, RankedTensorType type,
                    std::optional<int64_t> clampMin, std::optional<int64_t> clampMax) {
  auto encoded = encodeAll(addRatios(*quantParams(elementTypeOf(lhs.getType())),
                                     *quantParams(elementTypeOf(rhs.getType())),
                                     *quantParams(type.getElementType())));
  if (!encoded)
    return nullptr;
  return b.create<AddOp>(loc, type, lhs, rhs, b.getDenseI32ArrayAttr(encoded->first),
                         b.getDenseI32ArrayAttr(encoded->second), optionalI64(b, clampMin),
                         optionalI64(b, clampMax));
}

LogicalResult ConvOp::verify() {
  std::optional<QuantParams> x = checkedParams(*this, getInput(), "input");
  std::optional<QuantParams> w = checkedParams(*this, getWeight(), "weight");
  if (!x || !w)
    return failure();
  auto xType = getInput().getType(), wType = getWeight().getType();
  auto yType = getOutput().getType();
  int64_t rank = xType.getRank(), n = rank - 2;
  if (rank < 3 || wType.getRank() != rank || yType.getRank() != rank)
    return emitOpError() << "input, weight and result must have the same rank, at least 3";
  if (w->axis && *w->axis != 0)
    return emitOpError() << "weight must be quantized per tensor or per output channel (axis 0)";
  if (getStrides().size() != size_t(n) || getDilations().size() != size_t(n) ||
      getPads().size() != size_t(2 * n))
    return emitOpError() << "needs " << n << " strides and dilations and " << 2 * n << " pads";
  int64_t group = getGroup();
  int64_t filters = wType.getDimSize(0);
  if (group < 1 || xType.getDimSize(1) != wType.getDimSize(1) * group || filters % group)
    return emitOpError() << "channels and filters do not divide into " << group << " groups";
  SmallVector<int64_t> shape = {xType.getDimSize(0), filters};
  for (int64_t i = 0; i < n; ++i) {
    int64_t s = getStrides()[i], d = getDilations()[i];
    if (s < 1 || d < 1 || getPads()[i] < 0 || getPads()[n + i] < 0)
      return emitOpError() << "strides and dilations must be positive, pads not negative";
    int64_t extent = xType.getDimSize(2 + i) + getPads()[i] + getPads()[n + i];
    int64_t window = (wType.getDimSize(2 + i) - 1) * d + 1;
    if (extent < window)
      return emitOpError() << "the window is larger than the padded input";
    shape.push_back((extent - window) / s + 1);
  }
  if (ArrayRef<int64_t>(shape) != yType.getShape())
    return emitOpError() << "result shape must be " << RankedTensorType::get(shape, x->expressed);
  if (getBias() && getBias().getType().getShape() != ArrayRef<int64_t>{filters})
    return emitOpError() << "bias must have one value per filter";
  return checkAccumulator(*this, yType.getElementType(), *x, *w, 1);
}

LogicalResult MatMulOp::verify() {
  std::optional<QuantParams> a = checkedParams(*this, getA(), "a");
  std::optional<QuantParams> b = checkedParams(*this, getB(), "b");
  if (!a || !b)
    return failure();
  auto aType = getA().getType(), bType = getB().getType(), yType = getOutput().getType();
  if (aType.getRank() < 2 || bType.getRank() < 2)
    return emitOpError() << "operands must have rank 2 or more";
  if (b->axis && *b->axis != bType.getRank() - 1)
    return emitOpError() << "b must be quantized per tensor or per column (its last axis)";
  SmallVector<int64_t> batch;
  if (!OpTrait::util::getBroadcastedShape(aType.getShape().drop_back(2),
                                          bType.getShape().drop_back(2), batch) ||
      aType.getShape().back() != bType.getShape()[bType.getRank() - 2])
    return emitOpError() << "operand shapes do not multiply";
  SmallVector<int64_t> shape = batch;
  shape.push_back(aType.getShape()[aType.getRank() - 2]);
  shape.push_back(bType.getShape().back());
  if (ArrayRef<int64_t>(shape) != yType.getShape())
    return emitOpError() << "result shape must be " << RankedTensorType::get(shape, a->expressed);
  if (getBias() && getBias().getType().getShape() != ArrayRef<int64_t>{shape.back()})
    return emitOpError() << "bias must have one value per column";
  return checkAccumulator(*this, yType.getElementType(), *a, *b, yType.getRank() - 1);
}
