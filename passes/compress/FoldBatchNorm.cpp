//===- FoldBatchNorm.cpp - batch normalization into convolution weights ---===//
#include "passes/compress/Constants.h"
#include "passes/compress/Passes.h"
#include "dialects/nn/NNDialect.h"

#include <cmath>

namespace lepton {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "passes/compress/Passes.h.inc"
} // namespace lepton

using namespace mlir;
using namespace lepton;
using namespace lepton::compress;

namespace {

/// Folds `bn` into the Conv producing its input; false when it does not fit.
bool fold(nn::BatchNormalizationOp bn) {
  auto conv = bn.getX().getDefiningOp<nn::ConvOp>();
  if (!conv || !conv->hasOneUse() || bn.getTrainingMode() != 0 ||
      !bn.getRunningMeanAndVar().empty())
    return false;
  auto wType = dyn_cast<RankedTensorType>(conv.getW().getType());
  if (!wType || !wType.hasStaticShape() || !wType.getElementType().isF32())
    return false;
  int64_t filters = wType.getDimSize(0);
  std::optional<SmallVector<double>> w = constantNumbers(conv.getW());
  std::optional<SmallVector<double>> scale = constantNumbers(bn.getScale());
  std::optional<SmallVector<double>> beta = constantNumbers(bn.getB());
  std::optional<SmallVector<double>> mean = constantNumbers(bn.getInputMean());
  std::optional<SmallVector<double>> var = constantNumbers(bn.getInputVar());
  std::optional<SmallVector<double>> bias = SmallVector<double>(filters, 0.0);
  if (!isa<NoneType>(conv.getB().getType()))
    bias = constantNumbers(conv.getB());
  auto perFilter = [&](const std::optional<SmallVector<double>> &v) {
    return v && int64_t(v->size()) == filters;
  };
  if (!w || !perFilter(scale) || !perFilter(beta) || !perFilter(mean) || !perFilter(var) ||
      !perFilter(bias))
    return false;
  double epsilon = bn.getEpsilon().convertToDouble();
  int64_t perFilterWeights = w->size() / filters;
  std::vector<float> newW, newB;
  for (int64_t m = 0; m < filters; ++m) {
    double g = (*scale)[m] / std::sqrt((*var)[m] + epsilon);
    for (int64_t i = 0; i < perFilterWeights; ++i)
      newW.push_back(float((*w)[m * perFilterWeights + i] * g));
    newB.push_back(float(((*bias)[m] - (*mean)[m]) * g + (*beta)[m]));
  }
  OpBuilder b(bn);
  Value weights =
      b.create<nn::ConstantOp>(conv.getLoc(), DenseElementsAttr::get(wType, ArrayRef(newW)));
  Value biases = b.create<nn::ConstantOp>(
      conv.getLoc(),
      DenseElementsAttr::get(RankedTensorType::get({filters}, b.getF32Type()), ArrayRef(newB)));
  auto folded = cast<nn::ConvOp>(b.clone(*conv));
  folded->setOperands({conv.getX(), weights, biases});
  folded->setLoc(b.getFusedLoc({conv.getLoc(), bn.getLoc()}));
  bn.getY().replaceAllUsesWith(folded.getY());
  bn->erase();
  conv->erase();
  return true;
}

struct FoldBatchNormPass : lepton::impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    SmallVector<nn::BatchNormalizationOp> norms;
    getOperation().walk([&](nn::BatchNormalizationOp bn) { norms.push_back(bn); });
    for (nn::BatchNormalizationOp bn : norms)
      fold(bn);
  }
};

} // namespace
