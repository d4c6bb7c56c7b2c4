//===- InnermostParallelLoop.cpp - vectorizable inner loops of contractions ===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace lepton {
#define GEN_PASS_DEF_INNERMOSTPARALLELLOOP
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

/// The loop order that puts the last parallel loop innermost, or an empty
/// vector when the generic should keep its order.
SmallVector<unsigned> innermostParallelOrder(linalg::GenericOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.size() < 2 || iterators.back() != utils::IteratorType::reduction ||
      op.getNumDpsInits() != 1)
    return {};
  SmallVector<unsigned> parallel, reduction;
  for (auto [i, kind] : llvm::enumerate(iterators))
    (kind == utils::IteratorType::parallel ? parallel : reduction).push_back(i);
  if (parallel.empty())
    return {};
  unsigned last = parallel.back();
  // The output's innermost dim must be that loop, and an input must walk it
  // in its innermost dim too; otherwise (a row reduction, say) moving it in
  // would only trade contiguous reads for strided ones.
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto isLast = [&](AffineMap map) {
    return map.getNumResults() > 0 && map.getResults().back().isFunctionOfDim(last);
  };
  if (out.getNumResults() == 0 ||
      out.getResults().back() != getAffineDimExpr(last, op.getContext()))
    return {};
  if (llvm::none_of(op.getDpsInputOperands(), [&](OpOperand *in) {
        return isLast(op.getMatchingIndexingMap(in));
      }))
    return {};
  SmallVector<unsigned> order(parallel.begin(), parallel.end() - 1);
  llvm::append_range(order, reduction);
  order.push_back(last);
  return order;
}

struct InnermostParallelLoopPass
    : lepton::impl::InnermostParallelLoopBase<InnermostParallelLoopPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : generics) {
      SmallVector<unsigned> order = innermostParallelOrder(op);
      if (order.empty())
        continue;
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, order)))
        return signalPassFailure();
    }
  }
};

} // namespace
