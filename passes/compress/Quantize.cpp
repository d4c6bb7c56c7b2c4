//===- Quantize.cpp - int8 quantization measured against the teacher ------===//
//
// lepton-quantize-int8 (the IR rewrite from calibrated ranges) and
// quantizeInt8, which calibrates with the teacher, runs the rewrite and
// measures the result. Scheme and rules: docs/quantization.md.
//
//===----------------------------------------------------------------------===//
#include "passes/compress/Quantize.h"
#include "passes/compress/Constants.h"
#include "passes/compress/LinearLayer.h"
#include "passes/compress/Passes.h"
#include "passes/compress/Storage.h"
#include "dialects/nn/NNDialect.h"

#include "dialects/nn/NNShapes.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "mlir/Transforms/Passes.h"

#include <cmath>
#include <limits>

namespace lepton {
#define GEN_PASS_DEF_QUANTIZEINT8
#include "passes/compress/Passes.h.inc"
} // namespace lepton

using namespace mlir;
using namespace lepton;
using namespace lepton::compress;

namespace {

constexpr llvm::StringLiteral kRangeAttr = "compress.range";
/// The teacher's mean of each channel of a conv's or matrix product's
/// input, for bias correction.
constexpr llvm::StringLiteral kMeanAttr = "compress.mean";
/// On a candidate: the precision chosen for it, "int16" (else int8).
constexpr llvm::StringLiteral kPrecisionAttr = "compress.precision";
/// On a value an int16 layer reads: the largest |integer| it may hold
/// (int16Bound), the least over those layers.
constexpr llvm::StringLiteral kInt16BoundAttr = "compress.int16_bound";
/// The range calibration observed (kRangeAttr may clip it, as is best for
/// 8 bits); int16 activations cover it.
constexpr llvm::StringLiteral kObservedRangeAttr = "compress.observed_range";
/// On the function: array<i64: W, I> when every quantized tensor is in
/// ap_fixed<W, I> (FixedPoint).
constexpr llvm::StringLiteral kFixedPointAttr = "compress.fixed_point";

RankedTensorType floatTensor(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getElementType().isF32() && type.hasStaticShape() ? type : nullptr;
}

/// A Relu, or a Clip with constant bounds (ReLU6), that is the only user of
/// a value: the bounds it clamps to. A Min with constant bounds along
/// `channelAxis` after it (a ReLU6 that lepton-equalize-cross-layer rescaled
/// per channel) belongs to it: `channelUpper`.
struct Activation {
  Value output;
  std::optional<double> lower, upper;
  SmallVector<double> channelUpper;
};

/// Extends `a` by the per-channel Min that is the only user of its output.
void takeChannelBounds(Activation &a, std::optional<int64_t> channelAxis) {
  auto type = floatTensor(a.output);
  if (!channelAxis || !type || !a.output.hasOneUse())
    return;
  auto min = dyn_cast<nn::MinOp>(*a.output.getUsers().begin());
  if (!min || min.getInputs().size() != 2 || min.getInputs()[0] != a.output ||
      !floatTensor(min.getOutput()) || min.getOutput().getType() != type)
    return;
  auto boundType = floatTensor(min.getInputs()[1]);
  std::optional<SmallVector<double>> bounds = constantNumbers(min.getInputs()[1]);
  if (!boundType || !bounds || boundType.getRank() != type.getRank())
    return;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (boundType.getDimSize(d) != (d == *channelAxis ? type.getDimSize(d) : 1))
      return;
  a.output = min.getOutput();
  a.channelUpper = std::move(*bounds);
}

std::optional<Activation> soleActivation(Value v, std::optional<int64_t> channelAxis) {
  if (!v.hasOneUse())
    return std::nullopt;
  Operation *user = *v.getUsers().begin();
  if (auto relu = dyn_cast<nn::ReluOp>(user)) {
    Activation a{relu.getOutput(), 0.0, std::nullopt};
    takeChannelBounds(a, channelAxis);
    return a;
  }
  auto clip = dyn_cast<nn::ClipOp>(user);
  if (!clip)
    return std::nullopt;
  auto bound = [](Value b, std::optional<double> &out) {
    if (isa<NoneType>(b.getType()))
      return true;
    std::optional<SmallVector<double>> values = constantNumbers(b);
    if (!values || values->size() != 1)
      return false;
    out = values->front();
    return true;
  };
  Activation a{clip.getOutput(), std::nullopt, std::nullopt};
  if (!bound(clip.getMin(), a.lower) || !bound(clip.getMax(), a.upper))
    return std::nullopt;
  takeChannelBounds(a, channelAxis);
  return a;
}

/// Erases, last first, what a rewrite that did not fit built between
/// `before` (null: the start of the block) and `end`.
void eraseBuiltBetween(Operation *before, Operation *end) {
  SmallVector<Operation *> built;
  for (Operation *it = before ? before->getNextNode() : &end->getBlock()->front(); it != end;
       it = it->getNextNode())
    built.push_back(it);
  for (Operation *op : llvm::reverse(built))
    op->erase();
}

/// Ops that move, select or take maxima of elements of their first operand
/// (the others are shapes, axes or indices): on a per-tensor quantized
/// value's integers they give exactly the integers of their float result.
bool commutesWithDequantizing(Operation *op) {
  return isa<nn::MaxPoolOp, nn::FlattenOp, nn::ReshapeOp, nn::TransposeOp, nn::SqueezeOp,
             nn::UnsqueezeOp, nn::SliceOp, nn::SplitOp>(op);
}

/// The ops the rewrite quantizes, with their activation inputs and the value
/// their (requantized) output replaces.
struct Candidate {
  Operation *op;
  SmallVector<Value, 2> inputs;
  Value output;  // the op's result, or the activation after it
  std::optional<double> lower, upper; // the activation's bounds
  SmallVector<double> channelUpper;   // and its upper bounds per output channel
};

std::optional<Candidate> candidateOf(Operation *op) {
  SmallVector<Value, 2> inputs;
  if (auto conv = dyn_cast<nn::ConvOp>(op))
    inputs = {conv.getX()};
  else if (auto matmul = dyn_cast<nn::MatMulOp>(op))
    inputs = {matmul.getA()};
  else if (auto gemm = dyn_cast<nn::GemmOp>(op))
    inputs = {gemm.getA()};
  else if (auto add = dyn_cast<nn::AddOp>(op))
    inputs = {add.getLhs(), add.getRhs()};
  else
    return std::nullopt;
  if (!floatTensor(op->getResult(0)) || !llvm::all_of(inputs, floatTensor))
    return std::nullopt;
  Value output = op->getResult(0);
  // The axis the accumulator is quantized along: per-channel bounds apply
  // there (an Add's accumulator is per tensor).
  std::optional<int64_t> channelAxis;
  if (isa<nn::ConvOp>(op))
    channelAxis = 1;
  else if (!isa<nn::AddOp>(op))
    channelAxis = floatTensor(output).getRank() - 1;
  if (std::optional<Activation> a = soleActivation(output, channelAxis))
    return Candidate{op, inputs, a->output, a->lower, a->upper, a->channelUpper};
  return Candidate{op, inputs, output, std::nullopt, std::nullopt, {}};
}

/// The per-tensor uint8 type for values in [lo, hi] (which contains 0).
RankedTensorType activationType(RankedTensorType floatType, double lo, double hi) {
  hi = std::max(hi, lo + 1e-6);
  // Scales representable in float32, as ONNX and the HLS types hold them.
  double scale = double(float((hi - lo) / 255));
  int64_t zero = std::clamp<int64_t>(std::llround(-lo / scale), 0, 255);
  MLIRContext *ctx = floatType.getContext();
  auto element = quant::UniformQuantizedType::get(0, IntegerType::get(ctx, 8),
                                                  floatType.getElementType(), scale, zero, 0, 255);
  return floatType.clone(element);
}

/// The f64 array attribute `name` calibration left on the op defining `v`
/// (a function argument: on the argument).
DenseF64ArrayAttr annotation(Value v, StringRef name) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
      return func.getArgAttrOfType<DenseF64ArrayAttr>(arg.getArgNumber(), name);
    return nullptr;
  }
  if (v.getDefiningOp()->getNumResults() != 1)
    return nullptr;
  return v.getDefiningOp()->getAttrOfType<DenseF64ArrayAttr>(name);
}

std::optional<std::pair<double, double>> rangeOf(Value v) {
  DenseF64ArrayAttr attr = annotation(v, kRangeAttr);
  if (!attr || attr.size() != 2)
    return std::nullopt;
  return std::make_pair(attr[0], attr[1]);
}

/// Symmetric int8 weights per output channel: `values` holds `channels`
/// rows of `perChannel` values. Returns the scales; `q` the integers.
SmallVector<double> quantizeWeights(ArrayRef<double> values, int64_t channels,
                                    SmallVectorImpl<int64_t> &q) {
  int64_t perChannel = values.size() / channels;
  SmallVector<double> scales;
  q.resize(values.size());
  for (int64_t c = 0; c < channels; ++c) {
    double maxAbs = 0;
    for (int64_t i = 0; i < perChannel; ++i)
      maxAbs = std::max(maxAbs, std::fabs(values[c * perChannel + i]));
    double scale = maxAbs > 0 ? maxAbs / 127 : 1.0 / 127;
    // Exactly representable in float32, like an imported model's scale.
    scale = double(float(scale));
    scales.push_back(scale);
    for (int64_t i = 0; i < perChannel; ++i)
      q[c * perChannel + i] =
          int64_t(std::clamp(std::nearbyint(values[c * perChannel + i] / scale), -127.0, 127.0));
  }
  return scales;
}

/// Weights in the fixed-point format `f`: each rounded to the nearest step
/// (ties to even) and saturated. Returns the scales (one step, for every
/// channel); `q` the integers.
SmallVector<double> quantizeFixedPoint(ArrayRef<double> values, int64_t channels, FixedPoint f,
                                       SmallVectorImpl<int64_t> &q) {
  double max = std::ldexp(1.0, f.bits - 1) - 1;
  q.resize(values.size());
  for (auto [i, v] : llvm::enumerate(values))
    q[i] = int64_t(std::clamp(std::nearbyint(v / f.scale()), -max - 1, max));
  return SmallVector<double>(channels, f.scale());
}

/// A candidate's constant float weight as the quantized op lays it out:
/// `shape` ([M, C/group, k...] for a Conv, [K, N] for a product), output
/// channels along `channelAxis` (0 or 1), read from a Gemm's [N, K] weight
/// when `transposed`.
struct LayerWeight {
  Value weight, bias; // bias: null or none when absent
  SmallVector<int64_t> shape;
  int32_t channelAxis = 0;
  bool transposed = false;
  int64_t groups = 1;

  int64_t channels() const { return shape[channelAxis]; }
};

std::optional<LayerWeight> layerWeightOf(Operation *op) {
  std::optional<LinearLayer> linear = linearLayerOf(op);
  if (!linear)
    return std::nullopt;
  LayerWeight w;
  w.weight = linear->weight;
  w.bias = linear->bias;
  w.groups = linear->group;
  w.transposed = linear->weightTransposed;
  w.channelAxis = linear->conv ? 0 : 1;
  auto type = floatTensor(w.weight);
  if (!type || (w.channelAxis == 1 && type.getRank() != 2))
    return std::nullopt;
  w.shape.assign(type.getShape().begin(), type.getShape().end());
  if (w.transposed)
    std::swap(w.shape[0], w.shape[1]);
  return w;
}

/// `values` of `w`'s weight as rows of one output channel each: [M, ...]
/// as it is, [K, N] (channel last) transposed to [N, K], unless the source
/// already is [N, K].
SmallVector<double> channelRows(ArrayRef<double> values, const LayerWeight &w) {
  SmallVector<double> rows(values.begin(), values.end());
  int64_t channels = w.channels(), k = values.size() / channels;
  if (w.channelAxis != 0 && !w.transposed)
    for (int64_t n = 0; n < channels; ++n)
      for (int64_t i = 0; i < k; ++i)
        rows[n * k + i] = values[i * channels + n];
  return rows;
}

/// The largest |x| an int16 input of the layer `op` may hold so that its
/// int32 accumulator cannot overflow, from its int8 weights q and bias b:
/// |acc| <= A * max_c (sum |q_c| + K/2 + |b_c| / (R s_c)) + 1, where R is
/// the input's range (|x| <= A stands for R), s_c the weight scales, K/2
/// bounds bias correction's term (|mean| <= R, |q s_c - w| <= s_c / 2)
/// and 1 the bias's rounding. At most 32767; none without weights or range.
std::optional<int64_t> int16Bound(Operation *op, std::pair<double, double> inputRange) {
  std::optional<LayerWeight> w = layerWeightOf(op);
  if (!w)
    return std::nullopt;
  std::optional<SmallVector<double>> values = constantNumbers(w->weight);
  if (!values)
    return std::nullopt;
  int64_t channels = w->channels(), k = values->size() / channels;
  SmallVector<int64_t> q;
  SmallVector<double> scales = quantizeWeights(channelRows(*values, *w), channels, q);
  SmallVector<double> bias(channels, 0.0);
  if (w->bias && !isa<NoneType>(w->bias.getType())) {
    std::optional<SmallVector<double>> b = constantNumbers(w->bias);
    if (!b || int64_t(b->size()) != channels)
      return std::nullopt;
    bias = *b;
  }
  double range = std::max({std::fabs(inputRange.first), std::fabs(inputRange.second), 1e-6});
  double worst = 0;
  for (int64_t c = 0; c < channels; ++c) {
    double sum = 0.5 * double(k) + std::fabs(bias[c]) / (range * scales[c]);
    for (int64_t i = 0; i < k; ++i)
      sum += std::abs(int(q[c * k + i]));
    worst = std::max(worst, sum);
  }
  double bound = std::floor((double(std::numeric_limits<int32_t>::max()) - 1) / worst);
  return int64_t(std::clamp(bound, 1.0, 32767.0));
}

bool wantsInt16(Operation *op) {
  auto precision = op->getAttrOfType<StringAttr>(kPrecisionAttr);
  return precision && precision.getValue() == "int16";
}

/// Sets attribute `name` on the op defining `v` (a function argument: on
/// the argument).
void annotate(Value v, StringRef name, Attribute attr) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
      func.setArgAttr(arg.getArgNumber(), name, attr);
  } else if (v.getDefiningOp()->getNumResults() == 1) {
    v.getDefiningOp()->setAttr(name, attr);
  }
}

std::optional<int64_t> int16BoundOf(Value v) {
  IntegerAttr attr;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
      attr = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(), kInt16BoundAttr);
  } else if (v.getDefiningOp()->getNumResults() == 1) {
    attr = v.getDefiningOp()->getAttrOfType<IntegerAttr>(kInt16BoundAttr);
  }
  return attr ? std::optional<int64_t>(attr.getInt()) : std::nullopt;
}

/// The fixed-point format of the function holding `v`, if it has one.
std::optional<FixedPoint> fixedPointOf(Value v) {
  auto func = v.getParentRegion()->getParentOfType<func::FuncOp>();
  if (auto self = dyn_cast<func::FuncOp>(v.getParentRegion()->getParentOp()))
    func = self;
  auto attr = func ? func->getAttrOfType<DenseI64ArrayAttr>(kFixedPointAttr) : nullptr;
  if (!attr || attr.size() != 2)
    return std::nullopt;
  return FixedPoint{int(attr[0]), int(attr[1])};
}

/// The signed per-tensor type of ap_fixed<W, I> numbers: W-bit storage
/// (8 or 16 bits wide), zero point 0, scale 2^(I-W).
quant::UniformQuantizedType fixedPointType(MLIRContext *ctx, FixedPoint f, Type expressed) {
  int64_t max = (int64_t(1) << (f.bits - 1)) - 1;
  return quant::UniformQuantizedType::get(quant::QuantizationFlags::Signed,
                                          IntegerType::get(ctx, f.bits <= 8 ? 8 : 16), expressed,
                                          f.scale(), 0, -max - 1, max);
}

/// The quantized element type of activation `v` over [lo, hi]: the
/// function's fixed-point format when it has one; int16, symmetric (zero
/// point 0) in [-bound, bound], where an int16 layer reads it; else uint8
/// (activationType).
Type activationElement(Value v, double lo, double hi) {
  auto type = floatTensor(v);
  if (std::optional<FixedPoint> fixed = fixedPointOf(v))
    return fixedPointType(v.getContext(), *fixed, type.getElementType());
  std::optional<int64_t> bound = int16BoundOf(v);
  if (!bound)
    return activationType(type, lo, hi).getElementType();
  if (DenseF64ArrayAttr observed = annotation(v, kObservedRangeAttr);
      observed && observed.size() == 2) {
    lo = std::min(lo, observed[0]);
    hi = std::max(hi, observed[1]);
  }
  double range = std::max({std::fabs(lo), std::fabs(hi), 1e-6});
  MLIRContext *ctx = v.getContext();
  return quant::UniformQuantizedType::get(quant::QuantizationFlags::Signed,
                                          IntegerType::get(ctx, 16), type.getElementType(),
                                          double(float(range / *bound)), 0, -*bound, *bound);
}

struct QuantizeInt8Pass : lepton::impl::QuantizeInt8Base<QuantizeInt8Pass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (candidateOf(op) || commutesWithDequantizing(op) ||
          isa<nn::AveragePoolOp, nn::GlobalAveragePoolOp, nn::SigmoidOp, nn::TanhOp,
              nn::ConcatOp>(op))
        ops.push_back(op);
    });
    // The values int16 layers read are int16 from their producers on, also
    // through the ops that keep a quantized type.
    for (Operation *op : ops) {
      std::optional<Candidate> c = candidateOf(op);
      if (!c || !wantsInt16(op))
        continue;
      // An add accumulates nothing: full int16.
      std::optional<std::pair<double, double>> range = rangeOf(c->inputs[0]);
      std::optional<int64_t> bound = isa<nn::AddOp>(op) ? 32767
                                     : range            ? int16Bound(op, *range)
                                                        : std::nullopt;
      // What an int16 layer hands the caller stays int16.
      if (llvm::any_of(c->output.getUsers(), [](Operation *u) { return isa<func::ReturnOp>(u); }))
        annotate(c->output, kInt16BoundAttr, Builder(op).getI64IntegerAttr(32767));
      for (Value input : c->inputs)
        for (Value v = input; bound && floatTensor(v);) {
          annotate(v, kInt16BoundAttr,
                   Builder(op).getI64IntegerAttr(std::min(*bound, int16BoundOf(v).value_or(*bound))));
          Operation *def = v.getDefiningOp();
          if (!def || !commutesWithDequantizing(def) || def->getNumResults() != 1)
            break;
          v = def->getOperand(0);
        }
    }
    // In order, each seeing the inputs the rewrites before it left: a
    // dequantize whose integers it takes directly.
    for (Operation *op : ops) {
      if (std::optional<Candidate> c = candidateOf(op))
        rewrite(*c);
      else if (isa<nn::AveragePoolOp, nn::GlobalAveragePoolOp>(op))
        averageOnIntegers(op);
      else if (isa<nn::SigmoidOp, nn::TanhOp>(op))
        lookupOnIntegers(op);
      else if (auto concat = dyn_cast<nn::ConcatOp>(op))
        concatOnIntegers(concat);
      else
        onIntegers(op);
    }
    if (overflow)
      signalPassFailure();
  }

  /// A fixed-point layer's accumulator could overflow (reported).
  bool overflow = false;

  /// An AveragePool (without padding, or counting it) or GlobalAveragePool
  /// of a dequantized per-tensor value runs on its integers: the window sums
  /// (exact in int32) through an existing product with all-one int8 weights
  /// of scale 1/count, then one requantization to the pool's calibrated
  /// range (or, without one, back to the input's type). A pool is a
  /// depthwise compress.conv ([C, 1, window] ones); a global pool is a
  /// compress.matmul of the input seen as [N*C, spatial] by a [spatial, 1]
  /// vector of ones, so its weights do not grow with the channels.
  void averageOnIntegers(Operation *op) {
    auto dq = op->getOperand(0).getDefiningOp<DequantizeOp>();
    auto xType = floatTensor(op->getOperand(0));
    auto resultType = floatTensor(op->getResult(0));
    if (!dq || !xType || !resultType || (xType.getRank() != 3 && xType.getRank() != 4))
      return;
    auto qType = dq.getInput().getType();
    std::optional<QuantParams> p = quantParams(qType.getElementType());
    if (!p || p->axis)
      return;
    ArrayRef<int64_t> spatial = xType.getShape().drop_front(2);
    SmallVector<int64_t> kernel(spatial), strides(spatial.size(), 1), pads(2 * spatial.size(), 0);
    auto pool = dyn_cast<nn::AveragePoolOp>(op);
    if (pool) {
      std::string error;
      std::optional<nn::WindowGeometry> window =
          nn::computeWindow(spatial, pool.getKernelShape(), pool.getStrides(), std::nullopt,
                            pool.getPads(), pool.getAutoPad(), pool.getCeilMode() != 0, error);
      if (!window || pool.getCeilMode())
        return;
      bool padded = llvm::any_of(window->padBegin, [](int64_t v) { return v != 0; }) ||
                    llvm::any_of(window->padEnd, [](int64_t v) { return v != 0; });
      if (padded && !pool.getCountIncludePad())
        return; // the divisor would differ at the borders
      kernel = window->kernel;
      strides = window->strides;
      pads = window->padBegin;
      llvm::append_range(pads, window->padEnd);
    }
    int64_t count = 1;
    for (int64_t k : kernel)
      count *= k;
    // The average needs a requantization anyway: to its own calibrated
    // range (narrower than the input's), else to the input's type.
    std::optional<std::pair<double, double>> range = rangeOf(op->getResult(0));
    RankedTensorType outType =
        range ? resultType.clone(activationElement(op->getResult(0), range->first, range->second))
              : resultType.clone(qType.getElementType());
    OpBuilder b(op);
    Location loc = op->getLoc();
    // Everything built goes again if the product does not fit.
    Operation *before = op->getPrevNode();
    auto ones = [&](ArrayRef<int64_t> shape) {
      auto storage = RankedTensorType::get(shape, b.getI8Type());
      Value raw = b.create<nn::ConstantOp>(loc, DenseElementsAttr::get(storage, int8_t(1)));
      auto element = quant::UniformQuantizedType::get(quant::QuantizationFlags::Signed,
                                                      b.getI8Type(), b.getF32Type(),
                                                      double(float(1.0 / count)), 0, -127, 127);
      return b.create<quant::StorageCastOp>(loc, storage.clone(element), raw).getResult();
    };
    Type storage = rawElementType(b.getContext(), *p);
    Value y;
    if (pool) {
      int64_t channels = xType.getDimSize(1);
      SmallVector<int64_t> wShape = {channels, 1};
      llvm::append_range(wShape, kernel);
      Value w = ones(wShape);
      Type accElement = accumulatorType(*p, *quantParams(elementTypeOf(w.getType())), 1);
      auto acc = b.create<ConvOp>(loc, resultType.clone(accElement), dq.getInput(), w, Value(),
                                  b.getDenseI64ArrayAttr(strides),
                                  b.getDenseI64ArrayAttr(SmallVector<int64_t>(kernel.size(), 1)),
                                  b.getDenseI64ArrayAttr(pads), b.getI64IntegerAttr(channels));
      if (verifiesSilently(acc))
        if (RequantizeOp r = RequantizeOp::create(b, loc, acc, outType, std::nullopt, std::nullopt))
          y = r.getResult();
    } else {
      int64_t rows = xType.getDimSize(0) * xType.getDimSize(1);
      Value raw = toRaw(b, loc, dq.getInput(), xType.clone(storage));
      SmallVector<ReassociationIndices> groups = {{0, 1}, {}};
      for (int64_t d = 2; d < xType.getRank(); ++d)
        groups[1].push_back(d);
      Value flat = b.create<tensor::CollapseShapeOp>(loc, raw, groups);
      Value x = toQuantized(b, loc, flat, qType.getElementType());
      Value w = ones({count, 1});
      Type accElement = accumulatorType(*p, *quantParams(elementTypeOf(w.getType())), 1);
      auto acc = b.create<MatMulOp>(loc, RankedTensorType::get({rows, 1}, accElement), x, w,
                                    Value());
      RequantizeOp r;
      if (verifiesSilently(acc))
        r = RequantizeOp::create(b, loc, acc,
                                 RankedTensorType::get({rows, 1}, outType.getElementType()),
                                 std::nullopt, std::nullopt);
      if (r) {
        Type outStorage = rawElementType(b.getContext(), *quantParams(outType.getElementType()));
        Value sums = toRaw(b, loc, r, RankedTensorType::get({rows, 1}, outStorage));
        SmallVector<ReassociationIndices> back = {{0, 1}, {}};
        for (int64_t d = 2; d < xType.getRank(); ++d)
          back[1].push_back(d);
        Value shaped =
            b.create<tensor::ExpandShapeOp>(loc, resultType.clone(outStorage), sums, back);
        y = toQuantized(b, loc, shaped, outType.getElementType());
      }
    }
    if (!y) {
      eraseBuiltBetween(before, op);
      return;
    }
    replaceByDequantized(b, loc, op->getResult(0), y);
  }

  /// A Sigmoid or Tanh of a dequantized per-tensor 8-bit value becomes a
  /// lookup: a 256-entry table, computed here in double, of the function's
  /// output quantized to its fixed range ([0, 1] for Sigmoid, [-1, 1] for
  /// Tanh; uint8), read with ONNX Gather at the input's stored bytes (signed
  /// bytes wrap to the table's upper half). The table is the integer
  /// semantics, so every target computes the same bytes.
  void lookupOnIntegers(Operation *op) {
    auto dq = op->getOperand(0).getDefiningOp<DequantizeOp>();
    auto resultType = floatTensor(op->getResult(0));
    if (!dq || !resultType)
      return;
    auto qType = dq.getInput().getType();
    std::optional<QuantParams> p = quantParams(qType.getElementType());
    if (!p || p->axis || p->bits != 8)
      return;
    bool sigmoid = isa<nn::SigmoidOp>(op);
    RankedTensorType outType = activationType(resultType, sigmoid ? 0.0 : -1.0, 1.0);
    QuantParams out = *quantParams(outType.getElementType());
    SmallVector<uint8_t> table(256);
    for (int64_t i = 0; i < 256; ++i) {
      int64_t stored = p->isSigned && i >= 128 ? i - 256 : i;
      double x = p->scales[0] * double(stored - p->zeroPoints[0]);
      double y = sigmoid ? 1 / (1 + std::exp(-x)) : std::tanh(x);
      table[i] = uint8_t(std::clamp<double>(std::nearbyint(y / out.scales[0]) + out.zeroPoints[0],
                                            out.storageMin, out.storageMax));
    }
    OpBuilder b(op);
    Location loc = op->getLoc();
    Type bytes = rawElementType(b.getContext(), *p);
    Type ubytes = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
    Value raw = toRaw(b, loc, dq.getInput(), resultType.clone(bytes));
    Value indices = b.create<nn::CastOp>(loc, resultType.clone(b.getI32Type()), raw,
                                         b.getI64IntegerAttr(6 /* INT32 */));
    auto tableType = RankedTensorType::get({256}, ubytes);
    Value lut = b.create<nn::ConstantOp>(loc, DenseElementsAttr::get(tableType, ArrayRef(table)));
    Value looked = b.create<nn::GatherOp>(loc, resultType.clone(ubytes), lut, indices,
                                          b.getI64IntegerAttr(0));
    Value y = toQuantized(b, loc, looked, outType.getElementType());
    replaceByDequantized(b, loc, op->getResult(0), y);
  }

  /// Replaces the float value `old` by the dequantized `quantized`; the
  /// mean and range calibration left on it travel along, for the layers
  /// that read it next.
  void replaceByDequantized(OpBuilder &b, Location loc, Value old, Value quantized) {
    auto dequantized = b.create<DequantizeOp>(loc, cast<RankedTensorType>(old.getType()), quantized);
    for (StringRef name : {kMeanAttr, kRangeAttr, kObservedRangeAttr})
      if (DenseF64ArrayAttr attr = annotation(old, name))
        dequantized->setAttr(name, attr);
    old.replaceAllUsesWith(dequantized.getResult());
  }

  /// An op that commutes with dequantizing (scale > 0), of a dequantized
  /// per-tensor value, runs on its integers instead and keeps their type:
  /// exact, and it saves a dequantize/quantize pair around it.
  void onIntegers(Operation *op) {
    auto dq = op->getOperand(0).getDefiningOp<DequantizeOp>();
    if (!dq || !llvm::all_of(op->getResults(), floatTensor))
      return;
    auto qType = dq.getInput().getType();
    std::optional<QuantParams> p = quantParams(qType.getElementType());
    if (!p || p->axis)
      return;
    OpBuilder b(op);
    Location loc = op->getLoc();
    Type storage = rawElementType(b.getContext(), *p);
    Value raw = toRaw(b, loc, dq.getInput(), qType.clone(storage));
    Operation *clone = b.clone(*op);
    clone->setOperand(0, raw);
    for (auto [old, result] : llvm::zip(op->getResults(), clone->getResults())) {
      result.setType(floatTensor(old).clone(storage));
      replaceByDequantized(b, loc, old, toQuantized(b, loc, result, qType.getElementType()));
    }
  }

  /// A Concat runs on integers of one shared type: the type all its inputs
  /// already have (the producers that feed only it were given the Concat's
  /// range, see sharedOutputRange), else the Concat's calibrated range, to
  /// which each other input is requantized (quantized, when still float).
  /// Concatenating then moves integers, exactly.
  void concatOnIntegers(nn::ConcatOp concat) {
    auto resultType = floatTensor(concat.getResult());
    if (!resultType)
      return;
    OpBuilder b(concat);
    Location loc = concat.getLoc();
    SmallVector<Value> inputs;
    for (Value in : concat.getInputs()) {
      auto dq = in.getDefiningOp<DequantizeOp>();
      std::optional<QuantParams> p =
          dq ? quantParams(dq.getInput().getType().getElementType()) : std::nullopt;
      inputs.push_back(p && !p->axis ? dq.getInput() : Value());
    }
    RankedTensorType outType;
    Value first = inputs.front();
    if (first && llvm::all_of(inputs, [&](Value v) {
          return v && elementTypeOf(v.getType()) == elementTypeOf(first.getType());
        })) {
      outType = resultType.clone(elementTypeOf(first.getType()));
    } else if (std::optional<std::pair<double, double>> range = rangeOf(concat.getResult())) {
      outType = resultType.clone(activationElement(concat.getResult(), range->first, range->second));
    } else {
      return;
    }
    Operation *before = concat->getPrevNode();
    SmallVector<Value> raws;
    Type storage = rawElementType(b.getContext(), *quantParams(outType.getElementType()));
    for (auto [in, q] : llvm::zip(concat.getInputs(), inputs)) {
      auto inType = cast<RankedTensorType>(in.getType());
      Value shared;
      if (!q)
        shared = b.create<QuantizeOp>(loc, inType.clone(outType.getElementType()), in);
      else if (elementTypeOf(q.getType()) == outType.getElementType())
        shared = q;
      else if (RequantizeOp r =
                   RequantizeOp::create(b, loc, q, inType.clone(outType.getElementType())))
        shared = r;
      if (!shared) {
        eraseBuiltBetween(before, concat);
        return;
      }
      raws.push_back(toRaw(b, loc, shared, inType.clone(storage)));
    }
    Value joined = b.create<nn::ConcatOp>(loc, resultType.clone(storage), raws, concat.getAxis());
    replaceByDequantized(b, loc, concat.getResult(),
                         toQuantized(b, loc, joined, outType.getElementType()));
  }

  /// The value whose range and type a quantized op writing `output` should
  /// give it: the Concat that is its only user, so that the Concat's inputs
  /// share a type and need no requantization; else `output` itself.
  Value typeSource(Value output) {
    if (output.hasOneUse())
      if (auto concat = dyn_cast<nn::ConcatOp>(*output.getUsers().begin()))
        if (rangeOf(concat.getResult()))
          return concat.getResult();
    return output;
  }

  /// The quantized form of float `v`: the integers a dequantize was made
  /// from, or a quantize over its calibrated range; null without a range.
  /// Unless `wide` (an int16 layer reads it), wider integers are first
  /// requantized to 8 bits over `v`'s range.
  Value quantized(OpBuilder &b, Value v, bool wide) {
    std::optional<std::pair<double, double>> range = rangeOf(v);
    if (auto dq = v.getDefiningOp<DequantizeOp>()) {
      Value q = dq.getInput();
      std::optional<QuantParams> p = quantParams(elementTypeOf(q.getType()));
      if (!p->axis && (p->bits <= 8 || wide || fixedPointOf(v)))
        return q;
      if (!p->axis && range) {
        RequantizeOp narrow = RequantizeOp::create(
            b, v.getLoc(), q, activationType(floatTensor(v), range->first, range->second));
        return narrow ? narrow.getResult() : Value();
      }
    }
    if (!range)
      return nullptr;
    Type element = wide || fixedPointOf(v) ? activationElement(v, range->first, range->second)
                        : activationType(floatTensor(v), range->first, range->second)
                              .getElementType();
    return b.create<QuantizeOp>(v.getLoc(), floatTensor(v).clone(element), v);
  }

  /// The constant weight of `w` as int8 quantized per output channel (in
  /// the function's fixed-point format, when it has one). With the input's
  /// channel `means` (`w.groups` groups of them), `correction` receives each
  /// output channel's expected error from rounding the weights, sum over its
  /// inputs of (w_q - w) * mean; `rowSums` each channel's sum of |w_q|.
  Value quantizedWeight(OpBuilder &b, Location loc, const LayerWeight &w, DenseF64ArrayAttr means,
                        SmallVectorImpl<double> &correction, SmallVectorImpl<int64_t> &rowSums) {
    std::optional<SmallVector<double>> values = constantNumbers(w.weight);
    if (!values)
      return nullptr;
    int64_t channels = w.channels(), groups = w.groups, channelAxis = w.channelAxis;
    int64_t k = values->size() / channels;
    SmallVector<double> rows = channelRows(*values, w);
    std::optional<FixedPoint> fixed = fixedPointOf(w.weight);
    SmallVector<int64_t> q;
    SmallVector<double> scales = fixed ? quantizeFixedPoint(rows, channels, *fixed, q)
                                       : quantizeWeights(rows, channels, q);
    correction.clear();
    rowSums.assign(channels, 0);
    for (int64_t n = 0; n < channels; ++n)
      for (int64_t i = 0; i < k; ++i)
        rowSums[n] += std::abs(q[n * k + i]);
    int64_t inputsPerGroup = means ? int64_t(means.size()) / groups : 0;
    if (means && int64_t(means.size()) % groups == 0 && inputsPerGroup > 0 &&
        k % inputsPerGroup == 0 && channels % groups == 0) {
      // Row n reads its group's inputs, each over k / inputsPerGroup
      // consecutive weights (a convolution's kernel window).
      int64_t window = k / inputsPerGroup;
      for (int64_t n = 0; n < channels; ++n) {
        int64_t first = n / (channels / groups) * inputsPerGroup;
        double sum = 0;
        for (int64_t i = 0; i < k; ++i)
          sum += (q[n * k + i] * scales[n] - rows[n * k + i]) * means[first + i / window];
        correction.push_back(sum);
      }
    }
    SmallVector<APInt> laidOut;
    unsigned bits = fixed && fixed->bits > 8 ? 16 : 8;
    for (int64_t v : q)
      laidOut.push_back(APInt(bits, uint64_t(v), /*isSigned=*/true));
    if (channelAxis != 0)
      for (int64_t n = 0; n < channels; ++n)
        for (int64_t i = 0; i < k; ++i)
          laidOut[i * channels + n] = APInt(bits, uint64_t(q[n * k + i]), /*isSigned=*/true);
    auto storage = RankedTensorType::get(w.shape, b.getIntegerType(bits));
    Value raw = b.create<nn::ConstantOp>(loc, DenseElementsAttr::get(storage, laidOut));
    // Zeros quantize to zeros: a pruned weight's sparsity holds for its int8
    // form, whose rows (output channels) lie along channelAxis.
    if (Operation *def = w.weight.getDefiningOp())
      if (auto sparsity = def->getAttrOfType<SparsityAttr>(kSparsityAttrName))
        raw.getDefiningOp()->setAttr(
            kSparsityAttrName, SparsityAttr::get(b.getContext(), sparsity.getNonzeros(),
                                                 sparsity.getGroup(), channelAxis));
    if (fixed)
      return b.create<quant::StorageCastOp>(
          loc, storage.clone(fixedPointType(b.getContext(), *fixed, b.getF32Type())), raw);
    auto element = quant::UniformQuantizedPerAxisType::get(
        quant::QuantizationFlags::Signed, b.getI8Type(), b.getF32Type(), scales,
        SmallVector<int64_t>(channels, 0), channelAxis, -127, 127);
    return b.create<quant::StorageCastOp>(loc, storage.clone(element), raw);
  }

  /// The float bias, less `correction` (when given), as int32 in the scale
  /// of accumulator element `acc`.
  std::optional<Value> int32Bias(OpBuilder &b, Location loc, Value bias, Type acc,
                                 int64_t count, ArrayRef<double> correction) {
    bool absent = !bias || isa<NoneType>(bias.getType());
    if (absent && correction.empty())
      return Value();
    std::optional<SmallVector<double>> values =
        absent ? SmallVector<double>(count, 0.0) : constantNumbers(bias);
    if (!values || int64_t(values->size()) != count)
      return std::nullopt;
    if (!correction.empty())
      for (int64_t i = 0; i < count; ++i)
        (*values)[i] -= correction[i];
    return int32BiasConstant(b, loc, *values, acc);
  }

  void rewrite(const Candidate &c) {
    Value source = typeSource(c.output);
    std::optional<std::pair<double, double>> outRange = rangeOf(source);
    if (!outRange)
      return;
    OpBuilder b(c.output.getContext());
    b.setInsertionPointAfterValue(c.output);
    Location loc = c.op->getLoc();
    auto outType = floatTensor(c.output).clone(
        activationElement(source, outRange->first, outRange->second));
    // The activation's bounds as integers of the output; only where they
    // narrow its storage range.
    QuantParams out = *quantParams(outType.getElementType());
    auto integer = [&](std::optional<double> v) -> std::optional<int64_t> {
      if (!v)
        return std::nullopt;
      double q = std::nearbyint(*v / out.scales[0]) + out.zeroPoints[0];
      if (q <= out.storageMin || q >= out.storageMax)
        return std::nullopt;
      return int64_t(q);
    };
    std::optional<int64_t> clampMin = integer(c.lower), clampMax = integer(c.upper);
    SmallVector<int64_t> channelClampMax;
    for (double hi : c.channelUpper)
      channelClampMax.push_back(std::clamp<int64_t>(
          int64_t(std::nearbyint(hi / out.scales[0])) + out.zeroPoints[0],
          clampMin.value_or(out.storageMin), out.storageMax));

    // Everything built goes again if the op turns out not to fit.
    Block *block = b.getInsertionBlock();
    auto firstNew = b.getInsertionPoint();
    Operation *before = firstNew == block->begin() ? nullptr : &*std::prev(firstNew);

    SmallVector<Value, 2> inputs;
    for (Value in : c.inputs)
      inputs.push_back(quantized(b, in, wantsInt16(c.op)));
    Value result;
    if (llvm::all_of(inputs, [](Value v) { return bool(v); }))
      result = build(b, loc, c, inputs, outType, clampMin, clampMax, channelClampMax);
    if (!result) {
      eraseBuiltBetween(before, &*b.getInsertionPoint());
      return;
    }
    replaceByDequantized(b, loc, c.output, result);
  }

  /// The quantized op producing `outType` (or, for a model output, the
  /// accumulator); null when it does not fit.
  Value build(OpBuilder &b, Location loc, const Candidate &c, ArrayRef<Value> inputs,
              RankedTensorType outType, std::optional<int64_t> clampMin,
              std::optional<int64_t> clampMax, ArrayRef<int64_t> channelClampMax) {
    QuantParams x = *quantParams(elementTypeOf(inputs[0].getType()));
    auto resultType = floatTensor(c.op->getResult(0));
    Value acc;
    if (isa<nn::AddOp>(c.op)) {
      AddOp sum = AddOp::create(b, loc, inputs[0], inputs[1], outType, clampMin, clampMax);
      return sum && verifiesSilently(sum) ? sum.getResult() : Value();
    }
    std::optional<LayerWeight> lw = layerWeightOf(c.op);
    if (!lw)
      return nullptr;
    SmallVector<double> correction;
    SmallVector<int64_t> rowSums;
    Value w = quantizedWeight(b, loc, *lw, annotation(c.inputs[0], kMeanAttr), correction,
                              rowSums);
    if (!w)
      return nullptr;
    QuantParams wp = *quantParams(elementTypeOf(w.getType()));
    if (auto conv = dyn_cast<nn::ConvOp>(c.op)) {
      std::string error;
      auto window = nn::computeWindow(floatTensor(conv.getX()).getShape().drop_front(2),
                                      ArrayRef(lw->shape).drop_front(2), conv.getStrides(),
                                      conv.getDilations(), conv.getPads(), conv.getAutoPad(),
                                      false, error);
      if (!window)
        return nullptr;
      Type accElement = accumulatorType(x, wp, 1);
      auto bias = int32Bias(b, loc, lw->bias, accElement, lw->channels(), correction);
      if (!bias)
        return nullptr;
      SmallVector<int64_t> pads(window->padBegin);
      llvm::append_range(pads, window->padEnd);
      acc = b.create<ConvOp>(loc, resultType.clone(accElement), inputs[0], w, *bias,
                             b.getDenseI64ArrayAttr(window->strides),
                             b.getDenseI64ArrayAttr(window->dilations),
                             b.getDenseI64ArrayAttr(pads), b.getI64IntegerAttr(conv.getGroup()));
    } else {
      if (floatTensor(c.inputs[0]).getRank() < 2)
        return nullptr;
      Type accElement = accumulatorType(x, wp, resultType.getRank() - 1);
      auto b32 = int32Bias(b, loc, lw->bias, accElement, lw->channels(), correction);
      if (!b32)
        return nullptr;
      acc = b.create<MatMulOp>(loc, resultType.clone(accElement), inputs[0], w, *b32);
    }
    if (!verifiesSilently(acc.getDefiningOp()))
      return nullptr;
    if (std::optional<FixedPoint> fixed = fixedPointOf(c.inputs[0])) {
      // Fixed-point layers are not bounded by calibration: the largest sum
      // any input can give must fit the int32 accumulator.
      int64_t largestInput = std::max(std::abs(x.storageMin - x.zeroPoints[0]),
                                      std::abs(x.storageMax - x.zeroPoints[0]));
      SmallVector<double> bias(rowSums.size(), 0.0);
      Operation *product = acc.getDefiningOp();
      if (product->getNumOperands() > 2)
        if (std::optional<SmallVector<double>> values = constantNumbers(product->getOperand(2)))
          bias = *values;
      double worst = 0;
      for (auto [n, sum] : llvm::enumerate(rowSums))
        worst = std::max(worst, double(sum) * double(largestInput) +
                                    std::fabs(bias[n % bias.size()]));
      if (worst > double(std::numeric_limits<int32_t>::max())) {
        c.op->emitError() << "at " << fixed->name() << " the int32 accumulator of this layer "
                          << "could overflow: its weights times the largest inputs reach 2^"
                          << int(std::ceil(std::log2(worst)))
                          << "; use fewer bits (--quantize=fixed<W,I> with a smaller W), "
                             "--quantize=int16 or --quantize=int8";
        overflow = true;
        return nullptr;
      }
    }
    // A model output that nothing else reads is dequantized from the
    // accumulator itself: requantizing it first would only lose precision.
    if (c.output == c.op->getResult(0) && !c.output.use_empty() &&
        llvm::all_of(c.output.getUsers(), [](Operation *user) { return isa<func::ReturnOp>(user); }))
      return acc;
    RequantizeOp y =
        RequantizeOp::create(b, loc, acc, outType, clampMin, clampMax, channelClampMax);
    return y ? y.getResult() : Value();
  }

};

} // namespace

namespace lepton::compress {

std::vector<Value> calibrationTaps(func::FuncOp func) {
  llvm::SetVector<Value> taps;
  func.walk([&](Operation *op) {
    if (std::optional<Candidate> c = candidateOf(op)) {
      taps.insert(c->inputs.begin(), c->inputs.end());
      taps.insert(c->output);
    } else if (isa<nn::AveragePoolOp, nn::GlobalAveragePoolOp, nn::ConcatOp>(op) &&
               floatTensor(op->getResult(0))) {
      // A pool's requantization may narrow the range; a Concat's inputs
      // share a type with its range.
      taps.insert(op->getResult(0));
    }
  });
  return std::vector<Value>(taps.begin(), taps.end());
}

namespace {

/// Runs the teacher on every input set: the tensors' ranges, then (unless
/// minmax) histograms over them, and the ranges `method` chooses.
FailureOr<CalibrationResult> calibrate(ModuleOp module, ArrayRef<Value> taps,
                                       ArrayRef<Value> outputs, Evaluator &evaluator,
                                       CalibrationMethod method) {
  std::vector<Value> all(taps.begin(), taps.end());
  all.insert(all.end(), outputs.begin(), outputs.end());
  FailureOr<std::unique_ptr<Evaluation>> teacher = evaluator.compile(module, all);
  if (failed(teacher))
    return failure();
  size_t sets = (*teacher)->numInputSets();
  std::vector<TensorStatistics> stats(taps.size());
  CalibrationResult result;
  result.teacherOutputs.resize(sets);
  // Channel means of the inputs of convolutions (axis 1) and matrix
  // products (the last axis), for bias correction: sums, then divided.
  std::vector<std::pair<int64_t, int64_t>> channelLayout(taps.size(), {0, 0}); // channels, inner
  result.channelMeans.resize(taps.size());
  for (auto [t, tap] : llvm::enumerate(taps)) {
    auto type = cast<RankedTensorType>(tap.getType());
    for (Operation *user : tap.getUsers()) {
      bool conv = isa<nn::ConvOp>(user) && user->getOperand(0) == tap && type.getRank() >= 3;
      bool product = isa<nn::GemmOp, nn::MatMulOp>(user) && user->getOperand(0) == tap;
      if (!conv && !product)
        continue;
      int64_t axis = conv ? 1 : type.getRank() - 1, inner = 1;
      for (int64_t d = axis + 1; d < type.getRank(); ++d)
        inner *= type.getDimSize(d);
      channelLayout[t] = {type.getDimSize(axis), inner};
      result.channelMeans[t].assign(type.getDimSize(axis), 0.0);
      break;
    }
  }
  std::vector<uint64_t> channelSamples(taps.size(), 0);
  std::vector<std::vector<float>> values;
  for (size_t set = 0; set < sets; ++set) {
    if (failed((*teacher)->run(set, values)))
      return failure();
    for (size_t t = 0; t < taps.size(); ++t) {
      stats[t].observeRange(values[t]);
      auto [channels, inner] = channelLayout[t];
      if (!channels)
        continue;
      std::vector<double> &sums = result.channelMeans[t];
      for (size_t i = 0; i < values[t].size(); ++i)
        sums[(i / inner) % channels] += values[t][i];
      channelSamples[t] += values[t].size() / channels;
    }
    result.teacherOutputs[set].assign(values.begin() + taps.size(), values.end());
  }
  if (method != CalibrationMethod::MinMax)
    for (size_t set = 0; set < sets; ++set) {
      if (failed((*teacher)->run(set, values)))
        return failure();
      for (size_t t = 0; t < taps.size(); ++t)
        stats[t].observeHistogram(values[t]);
    }
  for (const TensorStatistics &stat : stats) {
    result.ranges.push_back(stat.choose(method));
    result.observedRanges.push_back(stat.choose(CalibrationMethod::MinMax));
  }
  for (size_t t = 0; t < taps.size(); ++t)
    for (double &sum : result.channelMeans[t])
      sum /= std::max<uint64_t>(channelSamples[t], 1);
  return result;
}

} // namespace

FailureOr<CalibrationResult> calibrateInt8(ModuleOp module, func::FuncOp func,
                                           Evaluator &evaluator, CalibrationMethod method,
                                           CalibrationCache *cache, ArrayRef<Value> outputs,
                                           FidelityReport &report) {
  std::vector<Value> taps = calibrationTaps(func);
  size_t sets = evaluator.numInputSets();
  std::optional<CalibrationResult> calibration;
  if (cache)
    calibration = cache->load();
  // A result of another shape (a different model with a colliding key, a
  // damaged file) is not used.
  if (calibration && (calibration->ranges.size() != taps.size() ||
                      calibration->observedRanges.size() != taps.size() ||
                      calibration->teacherOutputs.size() != sets ||
                      llvm::any_of(calibration->teacherOutputs, [&](const auto &set) {
                        return set.size() != outputs.size();
                      })))
    calibration.reset();
  report.calibrationCached = calibration.has_value();
  if (calibration)
    return std::move(*calibration);
  FailureOr<CalibrationResult> fresh = calibrate(module, taps, outputs, evaluator, method);
  if (succeeded(fresh) && cache)
    cache->store(*fresh);
  return fresh;
}

std::vector<Operation *> int8Candidates(func::FuncOp func) {
  std::vector<Operation *> ops;
  func.walk([&](Operation *op) {
    if (candidateOf(op))
      ops.push_back(op);
  });
  return ops;
}

LogicalResult quantizeInt8(ModuleOp module, func::FuncOp func,
                           const CalibrationResult &calibration,
                           const std::vector<Precision> &precisions, bool biasCorrection,
                           FidelityReport *report, std::optional<FixedPoint> fixedPoint) {
  ArrayRef<std::pair<double, double>> ranges = calibration.ranges;
  // The ranges of the selected candidates' taps, and of the taps no
  // candidate has (average pools' and concats' outputs), which always go.
  std::vector<Value> taps = calibrationTaps(func);
  std::vector<Operation *> candidates = int8Candidates(func);
  llvm::DenseSet<Value> ofCandidates, ofSelected;
  for (auto [i, op] : llvm::enumerate(candidates)) {
    Candidate c = *candidateOf(op);
    c.inputs.push_back(c.output);
    ofCandidates.insert(c.inputs.begin(), c.inputs.end());
    Precision precision = precisions.empty() ? Precision::Int8 : precisions[i];
    if (precision != Precision::Fp32)
      ofSelected.insert(c.inputs.begin(), c.inputs.end());
    if (precision == Precision::Int16)
      op->setAttr(kPrecisionAttr, StringAttr::get(op->getContext(), "int16"));
  }
  if (taps.size() != ranges.size() ||
      (!precisions.empty() && precisions.size() != candidates.size()))
    return func.emitError("calibration ranges do not match the model");
  Builder b(module.getContext());
  for (auto [t, tap] : llvm::enumerate(taps)) {
    if (ofCandidates.contains(tap) && !ofSelected.contains(tap))
      continue;
    annotate(tap, kRangeAttr, b.getDenseF64ArrayAttr({ranges[t].first, ranges[t].second}));
    if (t < calibration.observedRanges.size())
      annotate(tap, kObservedRangeAttr,
               b.getDenseF64ArrayAttr({calibration.observedRanges[t].first,
                                       calibration.observedRanges[t].second}));
    if (biasCorrection && t < calibration.channelMeans.size() &&
        !calibration.channelMeans[t].empty())
      annotate(tap, kMeanAttr, b.getDenseF64ArrayAttr(calibration.channelMeans[t]));
  }
  if (fixedPoint)
    func->setAttr(kFixedPointAttr,
                  b.getDenseI64ArrayAttr({fixedPoint->bits, fixedPoint->integerBits}));
  PassManager pm(module.getContext());
  pm.addNestedPass<func::FuncOp>(createQuantizeInt8());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  LogicalResult quantized = pm.run(module);
  func->removeAttr(kFixedPointAttr);
  if (failed(quantized))
    return failure();
  // The ranges live on in the quantized types.
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    for (StringRef name : {kRangeAttr, kObservedRangeAttr, kMeanAttr, kInt16BoundAttr})
      func.removeArgAttr(i, name);
  // Candidates still float were not quantized (not selected, or not fit);
  // products of 16-bit inputs are the int16 layers.
  size_t stillFloat = 0, int16 = 0;
  func.walk([&](Operation *op) {
    for (StringRef name : {kRangeAttr, kObservedRangeAttr, kMeanAttr, kInt16BoundAttr,
                           kPrecisionAttr})
      op->removeAttr(name);
    stillFloat += candidateOf(op).has_value();
    if (isa<ConvOp, MatMulOp>(op))
      int16 += quantParams(elementTypeOf(op->getOperand(0).getType()))->bits == 16;
  });
  if (report) {
    report->quantizedOps = candidates.size() - stillFloat;
    report->int16Ops = int16;
    report->fixedPoint = fixedPoint;
  }
  if (report) {
    report->candidateOps = candidates.size();
    report->quantized = true;
    report->biasCorrection = biasCorrection;
  }
  return success();
}

} // namespace lepton::compress
