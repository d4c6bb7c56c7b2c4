//===- CollapseContiguousLoops.cpp - long inner loops for elementwise ops -===//
//
// Upstream has the rewrite (linalg::collapseOpIterationDims) but no pass that
// chooses dims for buffers: this one merges the trailing loops that every
// operand walks contiguously, leaving the leading loops the thread pool
// splits (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/cpu/ParallelOutline.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace lepton {
#define GEN_PASS_DEF_COLLAPSECONTIGUOUSLOOPS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

/// Whether loops [first, end) can become one: each operand indexes them as
/// consecutive dims of its own (or not at all), which its layout lets a
/// memref.collapse_shape merge.
bool collapsible(linalg::GenericOp op, unsigned first, unsigned end) {
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    // The loops' dims (maps are permutations of some loops): none of them,
    // or all in order as consecutive results.
    SmallVector<ReassociationIndices> groups;
    unsigned seen = 0; // of the loops, in order
    for (unsigned r = 0; r < map.getNumResults(); ++r) {
      unsigned d = cast<AffineDimExpr>(map.getResult(r)).getPosition();
      bool inRun = d >= first && d < end;
      if (inRun && d != first + seen)
        return false;
      if (inRun && seen > 0) {
        if (groups.back().back() != r - 1)
          return false;
        groups.back().push_back(r);
      } else {
        groups.push_back({int64_t(r)});
      }
      seen += inRun;
    }
    if (seen != 0 && seen != end - first)
      return false;
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (seen && (!type || !memref::CollapseShapeOp::isGuaranteedCollapsible(type, groups)))
      return false;
  }
  return true;
}

/// Reads a broadcast operand indexes with constant zeros (a per-channel
/// parameter stored as 1xCx1x1, read at (d0, d1, 0, 0)) as one of fewer
/// dims: the unit dims merge into a neighbour, so the map becomes a plain
/// projection (d0, d1) that collapsible() can reason about.
void dropZeroIndices(linalg::GenericOp op, OpBuilder &b) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  bool changed = false;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = maps[operand.getOperandNumber()];
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || llvm::none_of(map.getResults(), [](AffineExpr e) {
          return isa<AffineConstantExpr>(e);
        }))
      continue;
    SmallVector<ReassociationIndices> groups;
    SmallVector<AffineExpr> kept;
    ReassociationIndices leading; // zeros before the first kept index
    bool valid = true;
    for (auto [r, e] : llvm::enumerate(map.getResults())) {
      auto zero = dyn_cast<AffineConstantExpr>(e);
      if (zero) {
        valid &= zero.getValue() == 0 && type.getDimSize(r) == 1;
        (groups.empty() ? leading : groups.back()).push_back(r);
        continue;
      }
      groups.push_back(leading);
      leading.clear();
      groups.back().push_back(r);
      kept.push_back(e);
    }
    if (!valid || !memref::CollapseShapeOp::isGuaranteedCollapsible(type, groups))
      continue;
    b.setInsertionPoint(op);
    operand.set(b.create<memref::CollapseShapeOp>(op.getLoc(), operand.get(), groups));
    maps[operand.getOperandNumber()] =
        AffineMap::get(map.getNumDims(), 0, kept, op.getContext());
    changed = true;
  }
  if (changed)
    op.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
}

struct CollapseContiguousLoopsPass
    : lepton::impl::CollapseContiguousLoopsBase<CollapseContiguousLoopsPass> {
  using CollapseContiguousLoopsBase::CollapseContiguousLoopsBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : generics) {
      SmallVector<int64_t> sizes = op.getStaticLoopRanges();
      unsigned n = sizes.size();
      if (n < 2 || !op.hasPureBufferSemantics() || op.getNumReductionLoops() != 0)
        continue;
      dropZeroIndices(op, rewriter);
      if (llvm::any_of(sizes, ShapedType::isDynamic) ||
          !llvm::all_of(op.getIndexingMapsArray(), [](AffineMap map) {
            return map.isProjectedPermutation();
          }))
        continue;
      int64_t iterations = 1;
      for (int64_t s : sizes)
        iterations *= s;
      // Leading loops the thread pool will split stay as they are.
      unsigned keep = 0;
      if (threads && iterations >= minIterations)
        for (int64_t tasks = 1; keep < n && tasks < lepton::cpu::kMinParallelTasks; ++keep)
          tasks *= sizes[keep];
      unsigned first = n - 1;
      while (first > keep && collapsible(op, first - 1, n))
        --first;
      if (first + 1 >= n)
        continue;
      SmallVector<ReassociationIndices> folded = {
          llvm::to_vector(llvm::seq<int64_t>(first, n))};
      rewriter.setInsertionPoint(op);
      if (succeeded(linalg::collapseOpIterationDims(op, folded, rewriter)))
        rewriter.eraseOp(op);
    }
  }
};

} // namespace
