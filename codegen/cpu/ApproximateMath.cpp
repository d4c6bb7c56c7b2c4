//===- ApproximateMath.cpp - vectorizable f32 transcendental functions ----===//
//
// Upstream registers these patterns only in a test pass. They are applied
// to the functions networks spend their time in (softmax, GELU, sigmoid and
// tanh gates, log-softmax) and whose approximations pass the ONNX tests;
// others, such as asin's (2.5% off near 1), keep their libm calls.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lepton {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

struct ApproximateMathPass : lepton::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<math::ExpOp, math::ExpM1Op, math::LogOp, math::Log1pOp, math::Log2Op,
              math::TanhOp, math::ErfOp>(op))
        ops.push_back(op);
    });
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyOpPatternsAndFold(ops, std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
