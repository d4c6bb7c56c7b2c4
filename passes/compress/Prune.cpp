//===- Prune.cpp - pruning refit against the teacher -----------------------===//
//
// --prune: chooses the weights (or channels) to remove, collects each
// affected layer's input statistics from the teacher, refits with
// refitPruned and writes the new constants. Scheme: docs/compression.md.
//
//===----------------------------------------------------------------------===//
#include "passes/compress/Prune.h"
#include "passes/compress/SparseRefit.h"
#include "dialects/compress/CompressDialect.h"
#include "dialects/compress/ConstantNumbers.h"
#include "dialects/nn/NNDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace lepton;
using namespace lepton::compress;

namespace {

RankedTensorType staticF32(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getElementType().isF32() && type.hasStaticShape() ? type : nullptr;
}

/// A convolution or matrix product with a constant weight seen as y = W x:
/// `rows` outputs, each over `features` inputs, plus a bias column (the
/// input being a constant one) when the op has or can take a bias.
struct Layer {
  Operation *op = nullptr;
  Value input;
  SmallVector<int64_t> inputShape; // as the teacher has it
  int64_t rows = 0, features = 0;
  bool biasColumn = false;
  std::vector<double> weights; // rows x columns(), row-major, bias last
  /// Convolutions: the window over the input's spatial dims.
  std::optional<nn::WindowGeometry> window;

  int64_t columns() const { return features + biasColumn; }
  /// The columns of one input channel: the kernel's positions.
  int64_t columnsPerChannel() const {
    if (!window)
      return 1;
    int64_t n = 1;
    for (int64_t k : window->kernel)
      n *= k;
    return n;
  }
  /// The dim of the result that indexes rows.
  int64_t rowDim() const {
    return window ? 1 : cast<RankedTensorType>(op->getResult(0).getType()).getRank() - 1;
  }
};

/// A per-output bias of `rows` values: absent means zeros; a constant of
/// `rows` values (any shape holding that many) is read.
std::optional<SmallVector<double>> biasValues(Value bias, int64_t rows) {
  if (isa<NoneType>(bias.getType()))
    return SmallVector<double>(rows, 0.0);
  std::optional<SmallVector<double>> values = constantNumbers(bias);
  if (!values || int64_t(values->size()) != rows)
    return std::nullopt;
  return values;
}

std::optional<Layer> layerOf(Operation *op) {
  Layer layer;
  layer.op = op;
  std::optional<SmallVector<double>> w, bias;
  if (auto conv = dyn_cast<nn::ConvOp>(op)) {
    auto xType = staticF32(conv.getX()), wType = staticF32(conv.getW());
    if (conv.getGroup() != 1 || !xType || !wType || !staticF32(conv.getY()) ||
        (xType.getRank() != 3 && xType.getRank() != 4) || wType.getRank() != xType.getRank())
      return std::nullopt;
    std::string error;
    layer.window = nn::computeWindow(xType.getShape().drop_front(2),
                                     wType.getShape().drop_front(2), conv.getStrides(),
                                     conv.getDilations(), conv.getPads(), conv.getAutoPad(),
                                     false, error);
    w = constantNumbers(conv.getW());
    layer.rows = wType.getDimSize(0);
    bias = biasValues(conv.getB(), layer.rows);
    if (!layer.window || !w || !bias)
      return std::nullopt;
    layer.input = conv.getX();
    layer.features = int64_t(w->size()) / layer.rows;
    layer.biasColumn = true;
  } else if (auto gemm = dyn_cast<nn::GemmOp>(op)) {
    auto aType = staticF32(gemm.getA()), bType = staticF32(gemm.getB());
    if (gemm.getTransA() || gemm.getAlpha().convertToDouble() != 1 ||
        gemm.getBeta().convertToDouble() != 1 || !aType || !bType || aType.getRank() != 2 ||
        bType.getRank() != 2 || !staticF32(gemm.getY()))
      return std::nullopt;
    bool transposed = gemm.getTransB();
    layer.features = bType.getDimSize(transposed ? 1 : 0);
    layer.rows = bType.getDimSize(transposed ? 0 : 1);
    std::optional<SmallVector<double>> b = constantNumbers(gemm.getB());
    bias = biasValues(gemm.getC(), layer.rows);
    if (!b || !bias)
      return std::nullopt;
    w.emplace(b->size());
    for (int64_t r = 0; r < layer.rows; ++r)
      for (int64_t k = 0; k < layer.features; ++k)
        (*w)[r * layer.features + k] =
            (*b)[transposed ? r * layer.features + k : k * layer.rows + r];
    layer.input = gemm.getA();
    layer.biasColumn = true;
  } else if (auto matmul = dyn_cast<nn::MatMulOp>(op)) {
    auto aType = staticF32(matmul.getA()), bType = staticF32(matmul.getB());
    if (!aType || !bType || aType.getRank() < 2 || bType.getRank() != 2 ||
        !staticF32(matmul.getY()))
      return std::nullopt;
    layer.features = bType.getDimSize(0);
    layer.rows = bType.getDimSize(1);
    std::optional<SmallVector<double>> b = constantNumbers(matmul.getB());
    if (!b)
      return std::nullopt;
    w.emplace(b->size());
    for (int64_t r = 0; r < layer.rows; ++r)
      for (int64_t k = 0; k < layer.features; ++k)
        (*w)[r * layer.features + k] = (*b)[k * layer.rows + r];
    layer.input = matmul.getA();
  } else {
    return std::nullopt;
  }
  ArrayRef<int64_t> inputShape = cast<RankedTensorType>(layer.input.getType()).getShape();
  layer.inputShape.assign(inputShape.begin(), inputShape.end());
  if (layer.rows == 0 || layer.features == 0 ||
      !llvm::all_of(*w, [](double v) { return std::isfinite(v); }))
    return std::nullopt;
  int64_t columns = layer.columns();
  layer.weights.assign(layer.rows * columns, 0.0);
  for (int64_t r = 0; r < layer.rows; ++r) {
    std::copy_n(w->begin() + r * layer.features, layer.features,
                layer.weights.begin() + r * columns);
    if (layer.biasColumn)
      layer.weights[r * columns + layer.features] = (*bias)[r];
  }
  return layer;
}

/// `type` with dim `dim` set to `size`.
RankedTensorType withDim(RankedTensorType type, int64_t dim, int64_t size) {
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = size;
  return type.clone(shape);
}

Value f32Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, ArrayRef<float> values) {
  return b.create<nn::ConstantOp>(
      loc, DenseElementsAttr::get(RankedTensorType::get(shape, b.getF32Type()), values));
}

/// At most `nonzeros` in every `group` consecutive weights of a row, as
/// magnitude and N:M pruning leave it.
struct GroupSparsity {
  int64_t nonzeros, group;
};

/// Writes `weights` (the layer's rows x columns() matrix) back into the
/// layer's op, keeping the output rows `rows` and the input channels
/// `channels` (all when empty); the result type follows the rows kept.
/// With `sparsity`, the weight constant says so (compress.sparsity).
void writeBack(const Layer &layer, ArrayRef<double> weights, ArrayRef<int64_t> rows,
               ArrayRef<int64_t> channels, std::optional<GroupSparsity> sparsity = {}) {
  SmallVector<int64_t> allRows(layer.rows), allChannels;
  std::iota(allRows.begin(), allRows.end(), 0);
  if (rows.empty())
    rows = allRows;
  int64_t perChannel = layer.columnsPerChannel();
  if (channels.empty()) {
    allChannels.resize(layer.features / perChannel);
    std::iota(allChannels.begin(), allChannels.end(), 0);
    channels = allChannels;
  }
  int64_t columns = layer.columns(), features = channels.size() * perChannel;
  int64_t outRows = rows.size();
  // Row-major (rows x features) weights and the bias.
  std::vector<float> w, bias;
  for (int64_t r : rows) {
    for (int64_t c : channels)
      for (int64_t i = 0; i < perChannel; ++i)
        w.push_back(float(weights[r * columns + c * perChannel + i]));
    if (layer.biasColumn)
      bias.push_back(float(weights[r * columns + layer.features]));
  }
  Operation *op = layer.op;
  OpBuilder b(op);
  Location loc = op->getLoc();
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  op->getResult(0).setType(withDim(result, layer.rowDim(), outRows));
  // The new weight constant, its rows along dim `rowDim`.
  auto setWeights = [&](ArrayRef<int64_t> shape, ArrayRef<float> values, int64_t rowDim) {
    Value weights = f32Constant(b, loc, shape, values);
    if (sparsity)
      weights.getDefiningOp()->setAttr(
          compress::kSparsityAttrName,
          compress::SparsityAttr::get(b.getContext(), sparsity->nonzeros, sparsity->group,
                                      rowDim));
    op->setOperand(1, weights);
  };
  if (auto conv = dyn_cast<nn::ConvOp>(op)) {
    SmallVector<int64_t> shape(cast<RankedTensorType>(conv.getW().getType()).getShape());
    shape[0] = outRows;
    shape[1] = channels.size();
    setWeights(shape, w, 0);
    conv->setOperand(2, f32Constant(b, loc, {outRows}, bias));
    return;
  }
  // Matrix products hold W transposed (features x rows) unless transB.
  bool transposed = false;
  if (auto gemm = dyn_cast<nn::GemmOp>(op)) {
    transposed = gemm.getTransB();
    gemm->setOperand(2, f32Constant(b, loc, {outRows}, bias));
  }
  if (transposed) {
    setWeights({outRows, features}, w, 0);
    return;
  }
  std::vector<float> t(w.size());
  for (int64_t r = 0; r < outRows; ++r)
    for (int64_t k = 0; k < features; ++k)
      t[k * outRows + r] = w[r * features + k];
  setWeights({features, outRows}, t, 1);
}

/// Adds the layer's input samples in `x` (the values of layer.input for one
/// input set) to `gram`, every `stride`-th sample: for a convolution, the
/// window under each output position (zeros in the padding); for a matrix
/// product, each row. A bias column adds a one.
void addSamples(const Layer &layer, ArrayRef<float> x, int64_t stride, GramMatrix &gram) {
  int64_t columns = layer.columns();
  constexpr int64_t kBatch = 1024;
  std::vector<double> batch;
  batch.reserve(kBatch * columns);
  auto flushIfFull = [&](bool last) {
    int64_t count = batch.size() / columns;
    if (count == kBatch || (last && count)) {
      gram.add(batch, count);
      batch.clear();
    }
  };
  ArrayRef<int64_t> shape = layer.inputShape;
  int64_t index = 0;
  if (!layer.window) {
    for (int64_t row = 0; row * layer.features < int64_t(x.size()); ++row) {
      if (index++ % stride)
        continue;
      batch.insert(batch.end(), x.begin() + row * layer.features,
                   x.begin() + (row + 1) * layer.features);
      if (layer.biasColumn)
        batch.push_back(1.0);
      flushIfFull(false);
    }
    flushIfFull(true);
    return;
  }
  // One or two spatial dims; a 1-D convolution is a 2-D one of height 1.
  const nn::WindowGeometry &g = *layer.window;
  bool twoD = shape.size() == 4;
  auto at = [&](ArrayRef<int64_t> v, int64_t d2, int64_t d1) { return twoD ? v[d2] : d1; };
  int64_t batchSize = shape[0], channels = shape[1], inH = twoD ? shape[2] : 1,
          inW = shape.back();
  int64_t kh = at(g.kernel, 0, 1), kw = g.kernel.back(), sh = at(g.strides, 0, 1),
          sw = g.strides.back(), dh = at(g.dilations, 0, 1), dw = g.dilations.back(),
          ph = at(g.padBegin, 0, 0), pw = g.padBegin.back(), outH = at(g.outShape, 0, 1),
          outW = g.outShape.back();
  for (int64_t n = 0; n < batchSize; ++n)
    for (int64_t oh = 0; oh < outH; ++oh)
      for (int64_t ow = 0; ow < outW; ++ow) {
        if (index++ % stride)
          continue;
        for (int64_t c = 0; c < channels; ++c)
          for (int64_t i = 0; i < kh; ++i)
            for (int64_t j = 0; j < kw; ++j) {
              int64_t ih = oh * sh - ph + i * dh, iw = ow * sw - pw + j * dw;
              bool inside = ih >= 0 && ih < inH && iw >= 0 && iw < inW;
              batch.push_back(inside ? x[((n * channels + c) * inH + ih) * inW + iw] : 0.0);
            }
        if (layer.biasColumn)
          batch.push_back(1.0);
        flushIfFull(false);
      }
  flushIfFull(true);
}

/// How many samples one input set gives `layer`.
int64_t samplesPerSet(const Layer &layer) {
  ArrayRef<int64_t> shape = layer.inputShape;
  if (!layer.window) {
    int64_t n = 1;
    for (int64_t d : shape.drop_back())
      n *= d;
    return n;
  }
  int64_t n = shape[0];
  for (int64_t d : layer.window->outShape)
    n *= d;
  return n;
}

/// Runs the teacher with the inputs of `layers` tapped and calls
/// `refit(i, gram)` with each layer's statistics. Layers are taken in
/// groups whose matrices fit a memory budget; the teacher runs again for
/// each group. The first pass also records the teacher's `outputs`.
LogicalResult collect(ModuleOp module, ArrayRef<Layer> layers, Evaluator &evaluator,
                      ArrayRef<Value> outputs,
                      std::vector<std::vector<std::vector<float>>> &teacherOutputs,
                      llvm::function_ref<void(size_t, const GramMatrix &)> refit) {
  // Layers sharing an input share its tap.
  llvm::SetVector<Value> inputs;
  std::vector<size_t> tapOf;
  for (const Layer &layer : layers) {
    inputs.insert(layer.input);
    tapOf.push_back(llvm::find(inputs, layer.input) - inputs.begin());
  }
  std::vector<Value> taps(inputs.begin(), inputs.end());
  taps.insert(taps.end(), outputs.begin(), outputs.end());
  FailureOr<std::unique_ptr<Evaluation>> teacher = evaluator.compile(module, taps);
  if (failed(teacher))
    return failure();
  size_t sets = (*teacher)->numInputSets();
  teacherOutputs.assign(sets, {});
  // Enough samples to pin down the refit; a layer with more takes every
  // stride-th.
  constexpr int64_t kMaxSamples = 1 << 16;
  constexpr uint64_t kBudgetBytes = uint64_t(512) << 20;
  std::vector<std::vector<float>> values;
  size_t begin = 0;
  do {
    size_t end = begin;
    uint64_t bytes = 0;
    while (end < layers.size() &&
           (end == begin || bytes + 8 * uint64_t(layers[end].columns() * layers[end].columns()) <=
                                kBudgetBytes)) {
      bytes += 8 * uint64_t(layers[end].columns() * layers[end].columns());
      ++end;
    }
    std::vector<GramMatrix> grams;
    std::vector<int64_t> strides;
    for (size_t i = begin; i < end; ++i) {
      grams.emplace_back(layers[i].columns());
      int64_t total = samplesPerSet(layers[i]) * int64_t(sets);
      strides.push_back(std::max<int64_t>(1, (total + kMaxSamples - 1) / kMaxSamples));
    }
    for (size_t set = 0; set < sets; ++set) {
      if (failed((*teacher)->run(set, values)))
        return failure();
      if (begin == 0)
        teacherOutputs[set].assign(values.begin() + inputs.size(), values.end());
      for (size_t i = begin; i < end; ++i)
        addSamples(layers[i], values[tapOf[i]], strides[i - begin], grams[i - begin]);
    }
    for (size_t i = begin; i < end; ++i)
      refit(i, grams[i - begin]);
    begin = end;
  } while (begin < layers.size());
  return success();
}

/// The nonzero weights (not biases) of `weights`, laid out as `layer`'s.
int64_t nonzeros(const Layer &layer, ArrayRef<double> weights) {
  int64_t n = 0;
  for (int64_t r = 0; r < layer.rows; ++r)
    for (int64_t k = 0; k < layer.features; ++k)
      n += weights[r * layer.columns() + k] != 0;
  return n;
}

int64_t nonzeros(const Layer &layer) { return nonzeros(layer, layer.weights); }

const char *opName(Operation *op) {
  return isa<nn::ConvOp>(op) ? "Conv" : isa<nn::GemmOp>(op) ? "Gemm" : "MatMul";
}

/// The op `op` of the planned module is in the module being rewritten.
Operation *target(Operation *op, const IRMapping *mapping) {
  return mapping ? mapping->lookup(op) : op;
}

/// The groups magnitude and N:M pruning choose in: M, or 128 columns (so
/// that the choice sees the weights as the refit has updated them).
int64_t pruneGroup(const PruneSpec &spec) {
  return spec.kind == PruneSpec::Kind::NOfM ? spec.m : 128;
}

/// Plans zeroing weights of each layer (by magnitude or n:m) and refitting
/// the rest: one unit per layer.
LogicalResult planWeights(ModuleOp module, func::FuncOp func, Evaluator &evaluator,
                          const PruneSpec &spec, bool lighterLevels, ArrayRef<Value> outputs,
                          std::vector<std::vector<std::vector<float>>> &teacherOutputs,
                          std::vector<PruneUnit> &units) {
  std::vector<Layer> layers;
  func.walk([&](Operation *op) {
    if (std::optional<Layer> layer = layerOf(op))
      layers.push_back(std::move(*layer));
  });
  return collect(module, layers, evaluator, outputs, teacherOutputs,
                 [&](size_t i, const GramMatrix &gram) {
    Layer &layer = layers[i];
    // Magnitude: the share in each row's blocks of 128 columns, so that the
    // choice sees the weights as the refit has updated them.
    auto planned = [&](double share, std::vector<double> &weights) -> std::optional<PrunedLayer> {
      PruneRule rule;
      rule.groupedColumns = layer.features;
      rule.group = pruneGroup(spec);
      rule.share = share;
      PrunedLayer entry{nn::nodeNames(layer.op->getLoc()), opName(layer.op),
                        layer.rows * layer.features, nonzeros(layer, weights)};
      if (!refitPruned(weights, layer.rows, gram, rule))
        return std::nullopt; // H could not be factored: the layer stays dense
      entry.nonzeroAfter = nonzeros(layer, weights);
      entry.samples = gram.samples();
      entry.inputs = gram.features();
      return entry;
    };
    auto applying = [op = layer.op, &spec](std::vector<double> weights, double share) {
      int64_t group = pruneGroup(spec);
      GroupSparsity sparsity{group - prunedInGroup(group, share), group};
      return [op, weights = std::move(weights), sparsity](const IRMapping *mapping) {
        if (std::optional<Layer> now = layerOf(target(op, mapping)))
          writeBack(*now, weights, {}, {}, sparsity);
      };
    };
    double share =
        spec.kind == PruneSpec::Kind::NOfM ? double(spec.m - spec.n) / spec.m : spec.ratio;
    std::vector<double> lighterWeights = layer.weights;
    std::optional<PrunedLayer> entry = planned(share, layer.weights);
    if (!entry)
      return;
    PruneUnit unit{{*entry}, applying(std::move(layer.weights), share), {}, {}};
    // A budget may fall back on half the share: R/2, or for N:M half as
    // many zeros per group of M (2:4 -> 3:4; 1:2 has no half, it is dense).
    if (lighterLevels)
      if (std::optional<PrunedLayer> lighter = planned(share / 2, lighterWeights)) {
        unit.lighterLayers = {*lighter};
        unit.applyLighter = applying(std::move(lighterWeights), share / 2);
      }
    units.push_back(std::move(unit));
  });
}

/// A producer whose output channels flow, through per-channel ops only,
/// into one layer that takes them as its input channels.
struct ChannelChain {
  Operation *producer;
  SmallVector<Operation *> chain; // in order
  Layer consumer;                 // as it was when found
};

/// Whether `op` maps channel c (along `dim`) of its operand `v` to channel
/// c of its result and nothing else: elementwise activations, pools and
/// depthwise convolutions.
bool isPerChannel(Operation *op, Value v, int64_t dim) {
  if (op->getNumResults() != 1 || op->getNumOperands() == 0 || op->getOperand(0) != v ||
      !staticF32(op->getResult(0)))
    return false;
  // nn's elementwise unary ops (Relu, Sigmoid, LeakyRelu ...) have this trait.
  if (isa<nn::NNDialect>(op->getDialect()) && op->getNumOperands() == 1 &&
      op->hasTrait<OpTrait::SameOperandsAndResultType>())
    return true;
  if (auto clip = dyn_cast<nn::ClipOp>(op))
    return llvm::all_of(ArrayRef<Value>{clip.getMin(), clip.getMax()}, [](Value bound) {
      if (isa<NoneType>(bound.getType()))
        return true;
      std::optional<SmallVector<double>> n = constantNumbers(bound);
      return n && n->size() == 1;
    });
  if (dim != 1)
    return false;
  if (isa<nn::MaxPoolOp, nn::AveragePoolOp>(op))
    return true;
  auto conv = dyn_cast<nn::ConvOp>(op);
  if (!conv)
    return false;
  auto wType = staticF32(conv.getW());
  int64_t channels = cast<RankedTensorType>(v.getType()).getDimSize(1);
  return wType && wType.getDimSize(0) == channels && wType.getDimSize(1) == 1 &&
         conv.getGroup() == channels && constantNumbers(conv.getW()) &&
         biasValues(conv.getB(), channels);
}

std::optional<ChannelChain> chainFrom(Operation *producer) {
  std::optional<Layer> layer = layerOf(producer);
  if (!layer)
    return std::nullopt;
  ChannelChain chain{producer, {}, {}};
  int64_t dim = layer->rowDim();
  Value v = producer->getResult(0);
  while (v.hasOneUse()) {
    Operation *user = *v.getUsers().begin();
    if (!isPerChannel(user, v, dim))
      break;
    chain.chain.push_back(user);
    v = user->getResult(0);
  }
  if (!v.hasOneUse())
    return std::nullopt;
  std::optional<Layer> consumer = layerOf(*v.getUsers().begin());
  if (!consumer || consumer->input != v || consumer->op == producer)
    return std::nullopt;
  // The consumer's input channels are the chain's channels.
  auto type = cast<RankedTensorType>(v.getType());
  if (consumer->features != type.getDimSize(dim) * consumer->columnsPerChannel())
    return std::nullopt;
  chain.consumer = std::move(*consumer);
  return chain;
}

/// Keeps channels `kept` of a per-channel op of the chain (its result along
/// `dim`; a depthwise convolution's filters too).
void keepChannels(Operation *op, ArrayRef<int64_t> kept, int64_t dim) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  op->getResult(0).setType(withDim(type, dim, kept.size()));
  auto conv = dyn_cast<nn::ConvOp>(op);
  if (!conv)
    return;
  auto wType = cast<RankedTensorType>(conv.getW().getType());
  int64_t channels = wType.getDimSize(0), perFilter = wType.getNumElements() / channels;
  SmallVector<double> w = *constantNumbers(conv.getW());
  SmallVector<double> bias = *biasValues(conv.getB(), channels);
  std::vector<float> newW, newB;
  for (int64_t c : kept) {
    for (int64_t i = 0; i < perFilter; ++i)
      newW.push_back(float(w[c * perFilter + i]));
    newB.push_back(float(bias[c]));
  }
  OpBuilder b(op);
  SmallVector<int64_t> shape(wType.getShape());
  shape[0] = kept.size();
  conv->setOperand(1, f32Constant(b, op->getLoc(), shape, newW));
  conv->setOperand(2, f32Constant(b, op->getLoc(), {int64_t(kept.size())}, newB));
  conv->setAttr("group", b.getI64IntegerAttr(kept.size()));
}

/// Plans removing the share `ratio` of the channels of every chain: those
/// whose weights in the consumer, scaled by the teacher's input energy, are
/// least; the consumer is refit on the channels left. One unit per chain;
/// units apply in order (a chain's consumer may be the next one's
/// producer, whose rows are then removed from its refit weights).
LogicalResult planChannels(ModuleOp module, func::FuncOp func, Evaluator &evaluator,
                           const PruneSpec &spec, bool lighterLevels, ArrayRef<Value> outputs,
                           std::vector<std::vector<std::vector<float>>> &teacherOutputs,
                           std::vector<PruneUnit> &units) {
  std::vector<ChannelChain> chains;
  func.walk([&](Operation *op) {
    if (std::optional<ChannelChain> chain = chainFrom(op))
      chains.push_back(std::move(*chain));
  });
  std::vector<Layer> consumers;
  for (const ChannelChain &chain : chains)
    consumers.push_back(chain.consumer);
  return collect(module, consumers, evaluator, outputs, teacherOutputs,
                 [&](size_t i, const GramMatrix &gram) {
    const ChannelChain &chain = chains[i];
    Layer consumer = chain.consumer;
    std::optional<Layer> producer = layerOf(chain.producer);
    if (!producer || consumer.columns() != gram.features())
      return;
    int64_t perChannel = consumer.columnsPerChannel(), columns = consumer.columns();
    int64_t channels = consumer.features / perChannel;
    int64_t drop = std::min<int64_t>(int64_t(spec.ratio * channels), channels - 1);
    if (drop <= 0)
      return;
    std::vector<double> saliency(channels, 0.0);
    for (int64_t r = 0; r < consumer.rows; ++r)
      for (int64_t j = 0; j < consumer.features; ++j) {
        double w = consumer.weights[r * columns + j];
        saliency[j / perChannel] += w * w * gram.diagonal(j);
      }
    std::vector<int64_t> order(channels);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return saliency[a] < saliency[b]; });
    // Removing the `count` least salient channels: what it does to both
    // layers, and how to apply it; none when the refit fails.
    using Planned = std::pair<std::vector<PrunedLayer>, std::function<void(const IRMapping *)>>;
    auto planned = [&](int64_t count) -> std::optional<Planned> {
      std::vector<double> weights = consumer.weights;
      PruneRule rule;
      rule.pruned.assign(weights.size(), false);
      std::vector<bool> removed(channels, false);
      for (int64_t d = 0; d < count; ++d)
        removed[order[d]] = true;
      for (int64_t r = 0; r < consumer.rows; ++r)
        for (int64_t j = 0; j < consumer.features; ++j)
          rule.pruned[r * columns + j] = removed[j / perChannel];
      PrunedLayer consumerEntry{nn::nodeNames(consumer.op->getLoc()), opName(consumer.op),
                                consumer.rows * consumer.features, nonzeros(consumer)};
      if (!refitPruned(weights, consumer.rows, gram, rule))
        return std::nullopt;
      SmallVector<int64_t> kept;
      for (int64_t c = 0; c < channels; ++c)
        if (!removed[c])
          kept.push_back(c);
      PrunedLayer producerEntry{nn::nodeNames(producer->op->getLoc()), opName(producer->op),
                                producer->rows * producer->features, nonzeros(*producer)};
      producerEntry.nonzeroAfter = int64_t(kept.size()) * producer->features;
      producerEntry.channels = channels;
      producerEntry.channelsKept = kept.size();
      consumerEntry.nonzeroAfter = nonzeros(consumer, weights);
      consumerEntry.samples = gram.samples();
      consumerEntry.inputs = gram.features();
      return Planned{
          {producerEntry, consumerEntry},
          [producerOp = chain.producer, chainOps = chain.chain, consumerOp = consumer.op, kept,
           weights = std::move(weights)](const IRMapping *mapping) {
            std::optional<Layer> producer = layerOf(target(producerOp, mapping));
            std::optional<Layer> consumer = layerOf(target(consumerOp, mapping));
            if (!producer || !consumer)
              return;
            writeBack(*producer, producer->weights, kept, {});
            for (Operation *op : chainOps)
              keepChannels(target(op, mapping), kept, producer->rowDim());
            writeBack(*consumer, weights, {}, kept);
          }};
    };
    std::optional<Planned> full = planned(drop);
    if (!full)
      return;
    PruneUnit unit{std::move(full->first), std::move(full->second), {}, {}};
    // A budget may fall back on removing half as many channels.
    if (lighterLevels && drop / 2 > 0)
      if (std::optional<Planned> lighter = planned(drop / 2)) {
        unit.lighterLayers = std::move(lighter->first);
        unit.applyLighter = std::move(lighter->second);
      }
    units.push_back(std::move(unit));
  });
}

} // namespace

namespace lepton::compress {

std::optional<PruneSpec> parsePruneSpec(llvm::StringRef text) {
  auto [head, tail] = text.split(':');
  double ratio;
  if (head == "magnitude" || head == "channels") {
    if (tail.getAsDouble(ratio) || !(ratio > 0 && ratio < 1))
      return std::nullopt;
    return PruneSpec{head == "magnitude" ? PruneSpec::Kind::Magnitude : PruneSpec::Kind::Channels,
                     ratio};
  }
  int n, m;
  if (head.getAsInteger(10, n) || tail.getAsInteger(10, m) || n <= 0 || n >= m || m > 64)
    return std::nullopt;
  return PruneSpec{PruneSpec::Kind::NOfM, 0, n, m};
}

FailureOr<std::vector<PruneUnit>>
planPruning(ModuleOp module, func::FuncOp func, Evaluator &evaluator, const PruneSpec &spec,
            bool lighterLevels, ArrayRef<Value> outputs,
            std::vector<std::vector<std::vector<float>>> &teacherOutputs) {
  std::vector<PruneUnit> units;
  if (failed(spec.kind == PruneSpec::Kind::Channels
                 ? planChannels(module, func, evaluator, spec, lighterLevels, outputs,
                                teacherOutputs, units)
                 : planWeights(module, func, evaluator, spec, lighterLevels, outputs,
                               teacherOutputs, units)))
    return failure();
  return units;
}

} // namespace lepton::compress
