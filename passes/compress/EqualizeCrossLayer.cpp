//===- EqualizeCrossLayer.cpp - cross-layer equalization of weight ranges -===//
//
// Nagel et al., "Data-Free Quantization Through Weight Equalization and Bias
// Correction" (2019): for two layers with positively homogeneous ops between
// them (Relu, MaxPool), f(x / s) = f(x) / s for s > 0, so dividing the first layer's
// output channel c by s_c and multiplying the second layer's input channel c
// by s_c leaves the function unchanged. s_c = sqrt(r1_c / r2_c) gives both
// channel slices the same range sqrt(r1_c * r2_c), which evens out the ranges
// the quantizer sees across channels: the second layer's rows (per output
// channel) and the activation between them (per tensor).
//
// ReLU6 (Clip(0, 6)) is not homogeneous; the paper replaces it by ReLU, which
// changes the model. Here it becomes a ReLU followed by a Min with per-channel
// bounds 6 / s_c, which is the same function, and the quantizer turns those
// bounds into per-channel clamps of the requantization (still exact).
//
//===----------------------------------------------------------------------===//
#include "passes/compress/LinearLayer.h"
#include "passes/compress/Passes.h"
#include "dialects/compress/ConstantNumbers.h"
#include "dialects/nn/NNDialect.h"

#include "llvm/ADT/MapVector.h"

#include <cmath>

namespace lepton {
#define GEN_PASS_DEF_EQUALIZECROSSLAYER
#include "passes/compress/Passes.h.inc"
} // namespace lepton

using namespace mlir;
using namespace lepton;
using namespace lepton::compress;

namespace {

/// A layer whose constant float weights equalization rescales: its output
/// channels lie along `outAxis` of the weight, its input channels along
/// `inAxis` (the same axis for a depthwise convolution).
struct Layer {
  Operation *op;
  Value input, weight, bias; // bias: null or none when absent
  int64_t outAxis, inAxis;
  SmallVector<int64_t> shape;
  SmallVector<double> w, b; // b: one per output channel, zeros when absent
  bool changed = false;

  int64_t channels(int64_t axis) const { return shape[axis]; }

  /// Calls `f(index)` for every weight of channel `c` along `axis`.
  template <typename F> void forChannel(int64_t axis, int64_t c, F f) const {
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < int64_t(shape.size()); ++d)
      inner *= shape[d];
    int64_t outer = int64_t(w.size()) / (inner * shape[axis]);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i)
        f((o * shape[axis] + c) * inner + i);
  }

  double range(int64_t axis, int64_t c) const {
    double r = 0;
    forChannel(axis, c, [&](int64_t i) { r = std::max(r, std::fabs(w[i])); });
    return r;
  }
};

RankedTensorType staticF32(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() && type.getElementType().isF32() ? type : nullptr;
}

std::optional<Layer> layerOf(Operation *op) {
  std::optional<LinearLayer> linear = linearLayerOf(op);
  if (!linear)
    return std::nullopt;
  Layer l{op, linear->input, linear->weight, linear->bias};
  if (linear->conv) {
    auto wType = staticF32(l.weight);
    if (!wType || wType.getRank() < 3)
      return std::nullopt;
    if (linear->group == 1) {
      l.outAxis = 0;
      l.inAxis = 1;
    } else if (linear->group == wType.getDimSize(0) && wType.getDimSize(1) == 1) {
      l.outAxis = l.inAxis = 0; // depthwise: channel c in, channel c out
    } else {
      return std::nullopt;
    }
  } else {
    l.outAxis = linear->weightTransposed ? 0 : 1;
    l.inAxis = 1 - l.outAxis;
  }
  auto wType = staticF32(l.weight);
  if (!wType || !staticF32(l.input) || (!linear->conv && wType.getRank() != 2))
    return std::nullopt;
  std::optional<SmallVector<double>> w = constantNumbers(l.weight);
  if (!w)
    return std::nullopt;
  l.shape.assign(wType.getShape().begin(), wType.getShape().end());
  l.w = std::move(*w);
  int64_t outputs = l.channels(l.outAxis);
  l.b.assign(outputs, 0.0);
  if (l.bias && !isa<NoneType>(l.bias.getType())) {
    std::optional<SmallVector<double>> b = constantNumbers(l.bias);
    auto bType = staticF32(l.bias);
    if (!b || !bType || bType.getRank() != 1 || int64_t(b->size()) != outputs)
      return std::nullopt;
    l.b = std::move(*b);
  }
  return l;
}

/// Two layers with only positively homogeneous ops between them, each the
/// only user of the value before it: Relu, MaxPool, and Clip from 0 (at
/// most one with an upper bound, which is then rescaled per channel).
struct Pair {
  Operation *first, *second;
  nn::ClipOp boundedClip;      // the Clip with an upper bound, if any
  std::optional<double> upper; // its bound
  SmallVector<double> scales;  // product of the s_c applied so far
};

/// The layer that `first`'s output reaches through such ops; none when
/// the chain branches or holds another op.
std::optional<Pair> pairFrom(Operation *first, const llvm::MapVector<Operation *, Layer> &layers) {
  Pair p{first, nullptr};
  Value v = first->getResult(0);
  while (v.hasOneUse()) {
    Operation *user = *v.getUsers().begin();
    auto clip = dyn_cast<nn::ClipOp>(user);
    if (layers.contains(user) && user->getOperand(0) == v) {
      p.second = user;
      return p;
    }
    if (clip) {
      std::optional<SmallVector<double>> lower = constantNumbers(clip.getMin());
      if (isa<NoneType>(clip.getMin().getType()) || !lower || lower->size() != 1 ||
          lower->front() != 0)
        return std::nullopt;
      if (!isa<NoneType>(clip.getMax().getType())) {
        std::optional<SmallVector<double>> upper = constantNumbers(clip.getMax());
        if (p.boundedClip || !upper || upper->size() != 1 || !(upper->front() > 0))
          return std::nullopt;
        p.boundedClip = clip;
        p.upper = upper->front();
      }
    } else if (!isa<nn::ReluOp, nn::MaxPoolOp>(user)) {
      return std::nullopt;
    }
    v = user->getResult(0);
  }
  return std::nullopt;
}

struct EqualizeCrossLayerPass : lepton::impl::EqualizeCrossLayerBase<EqualizeCrossLayerPass> {
  void runOnOperation() override {
    llvm::MapVector<Operation *, Layer> layers;
    getOperation().walk([&](Operation *op) {
      if (std::optional<Layer> l = layerOf(op))
        layers.insert({op, std::move(*l)});
    });
    std::vector<Pair> pairs;
    for (auto &[op, layer] : layers) {
      std::optional<Pair> p = pairFrom(op, layers);
      if (!p)
        continue;
      const Layer &second = layers.find(p->second)->second;
      int64_t channels = layer.channels(layer.outAxis);
      if (second.channels(second.inAxis) != channels)
        continue;
      p->scales.assign(channels, 1.0);
      pairs.push_back(std::move(*p));
    }
    if (pairs.empty())
      return;
    // Each pair's scales change the ranges of its neighbours (a depthwise
    // layer is the second of one pair and the first of the next), so sweep
    // until no scale moves.
    for (unsigned sweep = 0; sweep < kMaxSweeps; ++sweep) {
      double largestStep = 0;
      for (Pair &p : pairs) {
        Layer &a = layers.find(p.first)->second, &b = layers.find(p.second)->second;
        for (int64_t c = 0; c < int64_t(p.scales.size()); ++c) {
          double r1 = a.range(a.outAxis, c), r2 = b.range(b.inAxis, c);
          if (!(r1 > 0) || !(r2 > 0))
            continue;
          double s = std::sqrt(r1 / r2);
          largestStep = std::max(largestStep, std::fabs(std::log(s)));
          a.forChannel(a.outAxis, c, [&](int64_t i) { a.w[i] /= s; });
          a.b[c] /= s;
          b.forChannel(b.inAxis, c, [&](int64_t i) { b.w[i] *= s; });
          p.scales[c] *= s;
          a.changed = b.changed = true;
        }
      }
      if (largestStep < kConverged)
        break;
    }
    for (auto &[op, layer] : layers)
      if (layer.changed)
        writeBack(layer);
    for (Pair &p : pairs)
      if (p.upper)
        boundPerChannel(p);
  }

  static constexpr unsigned kMaxSweeps = 50;
  static constexpr double kConverged = 1e-4; // |log s| below this everywhere

  /// New f32 constants for the layer's weights and bias.
  void writeBack(Layer &l) {
    OpBuilder b(l.op);
    Location loc = l.op->getLoc();
    auto wType = staticF32(l.weight);
    SmallVector<float> w(l.w.begin(), l.w.end()), bias(l.b.begin(), l.b.end());
    l.op->setOperand(1, b.create<nn::ConstantOp>(loc, DenseElementsAttr::get(wType, ArrayRef(w))));
    bool hasBias = l.bias && !isa<NoneType>(l.bias.getType());
    if (hasBias)
      l.op->setOperand(2, b.create<nn::ConstantOp>(
                              loc, DenseElementsAttr::get(staticF32(l.bias), ArrayRef(bias))));
  }

  /// The Clip(x, 0, upper) between the pair becomes Clip(x, 0) and a Min with
  /// upper / s_c along the activation's channel axis (1 for a convolution,
  /// the last for a matrix product).
  void boundPerChannel(Pair &p) {
    nn::ClipOp clip = p.boundedClip;
    auto type = staticF32(clip.getOutput());
    if (!type)
      return;
    OpBuilder b(clip);
    clip->setOperand(2, b.create<nn::NoneOp>(clip.getLoc()));
    b.setInsertionPointAfter(clip);
    Location loc = clip.getLoc();
    int64_t axis = isa<nn::ConvOp>(p.first) ? 1 : type.getRank() - 1;
    SmallVector<int64_t> shape(type.getRank(), 1);
    shape[axis] = int64_t(p.scales.size());
    SmallVector<float> bounds;
    for (double s : p.scales)
      bounds.push_back(float(*p.upper / s));
    Value bound = b.create<nn::ConstantOp>(
        loc, DenseElementsAttr::get(RankedTensorType::get(shape, b.getF32Type()), ArrayRef(bounds)));
    auto min = b.create<nn::MinOp>(loc, type, ValueRange{clip.getOutput(), bound});
    clip.getOutput().replaceAllUsesExcept(min.getOutput(), min);
  }
};

} // namespace
