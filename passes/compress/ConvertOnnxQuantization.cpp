//===- ConvertOnnxQuantization.cpp - ONNX quantized ops -> compress -------===//
//
// Rewrites the quantized forms of imported ONNX models (QLinear ops and QDQ
// patterns) with constant quantization parameters into compress ops. See
// Passes.td for what is matched and what changes numerically.
//
//===----------------------------------------------------------------------===//
#include "passes/compress/Passes.h"
#include "passes/compress/Constants.h"
#include "passes/compress/Storage.h"
#include "dialects/nn/NNDialect.h"
#include "dialects/nn/NNShapes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

namespace lepton {
#define GEN_PASS_DEF_CONVERTONNXQUANTIZATION
#include "passes/compress/Passes.h.inc"
} // namespace lepton

using namespace mlir;
using namespace lepton;
using namespace lepton::compress;

namespace {

RankedTensorType tensorType(Value v) { return dyn_cast<RankedTensorType>(v.getType()); }

/// A raw integer tensor with the quantization parameters ONNX gives it.
struct QuantizedInput {
  Value raw;   // tensor of i8 / ui8 (or i32 for bias)
  Type element; // its !quant.uniform element type
};

/// The quantized element type of `raw`'s integers with `scale` and
/// `zeroPoint` (absent: 0), per tensor or, with several scales, along
/// `axis`; none unless both are valid constants. Activations must be per
/// tensor (`perAxisAllowed` false).
std::optional<Type> quantizedElement(Value raw, Value scale, Value zeroPoint, int64_t axis,
                                     bool perAxisAllowed, Type expressed) {
  auto rawType = tensorType(raw);
  if (!rawType || !rawType.hasStaticShape())
    return std::nullopt;
  auto storage = dyn_cast<IntegerType>(rawType.getElementType());
  if (!storage || (storage.getWidth() != 8))
    return std::nullopt;
  std::optional<SmallVector<double>> scales = constantNumbers(scale);
  std::optional<SmallVector<double>> zeros =
      zeroPoint && !isa<NoneType>(zeroPoint.getType())
          ? constantNumbers(zeroPoint)
          : std::optional<SmallVector<double>>(SmallVector<double>(1, 0.0));
  if (!scales || !zeros || scales->empty() ||
      (zeros->size() != scales->size() && zeros->size() != 1))
    return std::nullopt;
  bool isSigned = !storage.isUnsigned();
  int64_t lo = quant::QuantizedType::getDefaultMinimumForInteger(isSigned, 8);
  int64_t hi = quant::QuantizedType::getDefaultMaximumForInteger(isSigned, 8);
  for (double s : *scales)
    if (!std::isfinite(s) || s <= 0 || !std::isnormal(float(s)))
      return std::nullopt;
  SmallVector<int64_t> zps;
  for (double z : *zeros) {
    if (z < lo || z > hi)
      return std::nullopt;
    zps.push_back(int64_t(z));
  }
  auto signless = IntegerType::get(raw.getContext(), 8);
  unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;
  if (scales->size() == 1)
    return quant::UniformQuantizedType::get(flags, signless, expressed, (*scales)[0], zps[0], lo,
                                            hi);
  int64_t rank = rawType.getRank();
  if (!perAxisAllowed || axis < -rank || axis >= rank)
    return std::nullopt;
  axis = axis < 0 ? axis + rank : axis;
  if (rawType.getDimSize(axis) != int64_t(scales->size()))
    return std::nullopt;
  if (zps.size() == 1)
    zps.assign(scales->size(), zps[0]);
  return quant::UniformQuantizedPerAxisType::get(flags, signless, expressed, *scales, zps,
                                                 int32_t(axis), lo, hi);
}

/// The real values of a float bias: a float constant, or a DequantizeLinear
/// (zero point 0) of an integer constant, as QDQ models give it.
std::optional<SmallVector<double>> realBias(Value bias) {
  auto dq = bias.getDefiningOp<nn::DequantizeLinearOp>();
  if (!dq)
    return isa<FloatType>(tensorType(bias).getElementType()) ? constantNumbers(bias)
                                                             : std::nullopt;
  std::optional<SmallVector<double>> ints = constantNumbers(dq.getX());
  std::optional<SmallVector<double>> scales = constantNumbers(dq.getXScale());
  if (!ints || !scales || (scales->size() != 1 && scales->size() != ints->size()))
    return std::nullopt;
  if (!isa<NoneType>(dq.getXZeroPoint().getType())) {
    std::optional<SmallVector<double>> zeros = constantNumbers(dq.getXZeroPoint());
    if (!zeros || llvm::any_of(*zeros, [](double z) { return z != 0; }))
      return std::nullopt;
  }
  SmallVector<double> real;
  for (auto [i, v] : llvm::enumerate(*ints))
    real.push_back(v * (*scales)[scales->size() == 1 ? 0 : i]);
  return real;
}

/// The bias of a product as `count` int32 values in the accumulator's
/// scale: none (a null value), an int32 vector taken as it is (QLinearConv's
/// B), or real values divided by the accumulator's scale and rounded half to
/// even; std::nullopt when it is none of these.
std::optional<Value> int32Bias(OpBuilder &b, Location loc, Value bias, Type accumulator,
                               int64_t count) {
  if (!bias || isa<NoneType>(bias.getType()))
    return Value();
  auto type = tensorType(bias);
  if (!type || type.getNumElements() != count)
    return std::nullopt;
  if (type.getElementType().isSignlessInteger(32))
    return type.getRank() == 1 ? std::optional<Value>(bias) : std::nullopt;
  std::optional<SmallVector<double>> real = realBias(bias);
  if (!real)
    return std::nullopt;
  return int32BiasConstant(b, loc, *real, accumulator);
}

struct ConvertOnnxQuantizationPass
    : lepton::impl::ConvertOnnxQuantizationBase<ConvertOnnxQuantizationPass> {
  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (isa<nn::QLinearConvOp, nn::QLinearMatMulOp, nn::QuantizeLinearOp>(op))
        candidates.push_back(op);
    });
    for (Operation *op : candidates) {
      OpBuilder b(op);
      if (auto conv = dyn_cast<nn::QLinearConvOp>(op))
        convertQLinearConv(b, conv);
      else if (auto matmul = dyn_cast<nn::QLinearMatMulOp>(op))
        convertQLinearMatMul(b, matmul);
      else
        convertQdq(b, cast<nn::QuantizeLinearOp>(op));
    }
  }

  /// A requantize of `acc` to the output (`yScale`, `yZeroPoint`) replacing
  /// `replaced`'s raw result; clamped at the zero point when `relu`.
  bool finish(OpBuilder &b, Operation *replaced, Value acc, Value yScale, Value yZeroPoint,
              bool relu) {
    Value y = replaced->getResult(0);
    Type expressed = quantParams(elementTypeOf(acc.getType()))->expressed;
    std::optional<Type> out =
        quantizedElement(y, yScale, yZeroPoint, 1, /*perAxisAllowed=*/false, expressed);
    if (!out)
      return false;
    auto outType = tensorType(y).clone(*out);
    std::optional<int64_t> clampMin;
    if (relu)
      clampMin = quantParams(*out)->zeroPoints[0];
    RequantizeOp requantized =
        RequantizeOp::create(b, replaced->getLoc(), acc, outType, clampMin);
    if (!requantized)
      return false;
    y.replaceAllUsesWith(toRaw(b, replaced->getLoc(), requantized, tensorType(y)));
    return true;
  }

  /// Builds the conv when x and w fit; returns the accumulator or null.
  Value buildConv(OpBuilder &b, Operation *attrs, Location loc, QuantizedInput x,
                  QuantizedInput w, Value bias, RankedTensorType outType) {
    auto xType = tensorType(x.raw), wType = tensorType(w.raw);
    if (xType.getRank() < 3 || wType.getRank() != xType.getRank())
      return nullptr;
    auto array = [&](StringRef name) -> std::optional<ArrayRef<int64_t>> {
      if (auto a = attrs->getAttrOfType<DenseI64ArrayAttr>(name))
        return a.asArrayRef();
      return std::nullopt;
    };
    auto autoPad = attrs->getAttrOfType<StringAttr>("auto_pad");
    std::string error;
    auto window = nn::computeWindow(xType.getShape().drop_front(2), wType.getShape().drop_front(2),
                                    array("strides"), array("dilations"), array("pads"),
                                    autoPad ? autoPad.getValue() : "NOTSET", false, error);
    auto group = attrs->getAttrOfType<IntegerAttr>("group");
    if (!window)
      return nullptr;
    std::optional<QuantParams> xp = quantParams(x.element), wp = quantParams(w.element);
    if (xp->axis || (wp->axis && *wp->axis != 0))
      return nullptr;
    Type accElement = accumulatorType(*xp, *wp, 1);
    std::optional<Value> b32 = int32Bias(b, loc, bias, accElement, wType.getDimSize(0));
    if (!b32)
      return nullptr;
    SmallVector<int64_t> pads(window->padBegin);
    llvm::append_range(pads, window->padEnd);
    auto acc = b.create<ConvOp>(loc, outType.clone(accElement), toQuantized(b, loc, x.raw, x.element),
                                toQuantized(b, loc, w.raw, w.element), *b32,
                                b.getDenseI64ArrayAttr(window->strides),
                                b.getDenseI64ArrayAttr(window->dilations),
                                b.getDenseI64ArrayAttr(pads),
                                b.getI64IntegerAttr(group ? group.getInt() : 1));
    if (!verifiesSilently(acc)) {
      acc->erase();
      return nullptr;
    }
    return acc;
  }

  /// Builds the matmul when a and b fit; returns the accumulator or null.
  Value buildMatMul(OpBuilder &b, Location loc, QuantizedInput a, QuantizedInput w, Value bias,
                    RankedTensorType outType) {
    auto aType = tensorType(a.raw), wType = tensorType(w.raw);
    if (aType.getRank() < 2 || wType.getRank() < 2)
      return nullptr;
    std::optional<QuantParams> ap = quantParams(a.element), wp = quantParams(w.element);
    if (ap->axis || (wp->axis && *wp->axis != wType.getRank() - 1))
      return nullptr;
    Type accElement = accumulatorType(*ap, *wp, outType.getRank() - 1);
    std::optional<Value> b32 = int32Bias(b, loc, bias, accElement, outType.getShape().back());
    if (!b32)
      return nullptr;
    auto acc = b.create<MatMulOp>(loc, outType.clone(accElement),
                                  toQuantized(b, loc, a.raw, a.element),
                                  toQuantized(b, loc, w.raw, w.element), *b32);
    if (!verifiesSilently(acc)) {
      acc->erase();
      return nullptr;
    }
    return acc;
  }

  void convertQLinearConv(OpBuilder &b, nn::QLinearConvOp op) {
    Type f32 = b.getF32Type();
    auto x = quantizedElement(op.getX(), op.getXScale(), op.getXZeroPoint(), 1, false, f32);
    auto w = quantizedElement(op.getW(), op.getWScale(), op.getWZeroPoint(), 0, true, f32);
    if (!x || !w)
      return;
    Value acc = buildConv(b, op, op.getLoc(), {op.getX(), *x}, {op.getW(), *w}, op.getB(),
                          tensorType(op.getY()));
    if (acc && !finish(b, op, acc, op.getYScale(), op.getYZeroPoint(), false))
      acc.getDefiningOp()->erase();
  }

  void convertQLinearMatMul(OpBuilder &b, nn::QLinearMatMulOp op) {
    Type f32 = b.getF32Type();
    int64_t bRank = tensorType(op.getB()).getRank();
    auto a = quantizedElement(op.getA(), op.getAScale(), op.getAZeroPoint(), 0, false, f32);
    auto w = quantizedElement(op.getB(), op.getBScale(), op.getBZeroPoint(), bRank - 1, true, f32);
    if (!a || !w)
      return;
    Value acc = buildMatMul(b, op.getLoc(), {op.getA(), *a}, {op.getB(), *w}, Value(),
                            tensorType(op.getY()));
    if (acc && !finish(b, op, acc, op.getYScale(), op.getYZeroPoint(), false))
      acc.getDefiningOp()->erase();
  }

  /// The raw input and quantized type of a DequantizeLinear feeding `v`
  /// (float); `perAxis` allows per-axis parameters (weights).
  std::optional<QuantizedInput> dequantized(Value v, bool perAxis) {
    auto dq = v.getDefiningOp<nn::DequantizeLinearOp>();
    if (!dq || !tensorType(dq.getY()) || !tensorType(dq.getY()).getElementType().isF32())
      return std::nullopt;
    auto element = quantizedElement(dq.getX(), dq.getXScale(), dq.getXZeroPoint(), dq.getAxis(),
                                    perAxis, tensorType(dq.getY()).getElementType());
    if (!element)
      return std::nullopt;
    return QuantizedInput{dq.getX(), *element};
  }

  /// QuantizeLinear(Relu?(Conv | MatMul | Gemm | Add of DequantizeLinear
  /// inputs)) with a constant weight.
  void convertQdq(OpBuilder &b, nn::QuantizeLinearOp q) {
    Value v = q.getX();
    Operation *producer = v.getDefiningOp();
    bool relu = false;
    if (auto r = dyn_cast_or_null<nn::ReluOp>(producer); r && r->hasOneUse()) {
      relu = true;
      producer = r.getInput().getDefiningOp();
    }
    if (!producer || !producer->hasOneUse())
      return;
    b.setInsertionPoint(q);
    Location loc = producer->getLoc();
    auto outType = tensorType(producer->getResult(0));
    Value acc;
    if (auto conv = dyn_cast<nn::ConvOp>(producer)) {
      auto x = dequantized(conv.getX(), false);
      auto w = dequantized(conv.getW(), true);
      if (x && w && matchPattern(w->raw, m_Constant()))
        acc = buildConv(b, conv, loc, *x, *w, conv.getB(), outType);
    } else if (auto matmul = dyn_cast<nn::MatMulOp>(producer)) {
      auto a = dequantized(matmul.getA(), false);
      auto w = dequantized(matmul.getB(), true);
      if (a && w && matchPattern(w->raw, m_Constant()))
        acc = buildMatMul(b, loc, *a, *w, Value(), outType);
    } else if (auto gemm = dyn_cast<nn::GemmOp>(producer)) {
      auto a = dequantized(gemm.getA(), false);
      auto w = dequantized(gemm.getB(), true);
      if (a && w && matchPattern(w->raw, m_Constant()) && gemm.getAlpha().convertToDouble() == 1 &&
          gemm.getBeta().convertToDouble() == 1 && !gemm.getTransA()) {
        if (gemm.getTransB()) {
          // Weights [N, K] per row become [K, N] per column.
          auto wType = tensorType(w->raw);
          auto transposed = RankedTensorType::get({wType.getDimSize(1), wType.getDimSize(0)},
                                                  wType.getElementType());
          w->raw = b.create<nn::TransposeOp>(loc, transposed, w->raw,
                                             b.getDenseI64ArrayAttr({1, 0}));
          if (auto p = quantParams(w->element); p && p->axis)
            w->element = quant::UniformQuantizedPerAxisType::get(
                p->isSigned ? quant::QuantizationFlags::Signed : 0,
                IntegerType::get(b.getContext(), p->bits), p->expressed, p->scales,
                p->zeroPoints, 1 - *p->axis, p->storageMin, p->storageMax);
        }
        acc = buildMatMul(b, loc, *a, *w, gemm.getC(), outType);
      }
    } else if (auto add = dyn_cast<nn::AddOp>(producer)) {
      convertQdqAdd(b, q, add, relu);
      return;
    }
    if (acc && !finish(b, q, acc, q.getYScale(), q.getYZeroPoint(), relu))
      acc.getDefiningOp()->erase();
  }

  void convertQdqAdd(OpBuilder &b, nn::QuantizeLinearOp q, nn::AddOp add, bool relu) {
    auto lhs = dequantized(add.getLhs(), false), rhs = dequantized(add.getRhs(), false);
    if (!lhs || !rhs)
      return;
    Value y = q.getY();
    std::optional<Type> out = quantizedElement(y, q.getYScale(), q.getYZeroPoint(), 1, false,
                                               quantParams(lhs->element)->expressed);
    if (!out)
      return;
    Location loc = add.getLoc();
    std::optional<int64_t> clampMin;
    if (relu)
      clampMin = quantParams(*out)->zeroPoints[0];
    AddOp sum = AddOp::create(b, loc, toQuantized(b, loc, lhs->raw, lhs->element),
                              toQuantized(b, loc, rhs->raw, rhs->element),
                              tensorType(y).clone(*out), clampMin);
    if (!sum || !verifiesSilently(sum)) {
      if (sum)
        sum->erase();
      return;
    }
    y.replaceAllUsesWith(toRaw(b, loc, sum, tensorType(y)));
  }
};

} // namespace
