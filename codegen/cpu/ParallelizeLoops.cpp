//===- ParallelizeLoops.cpp - other linalg ops on the thread pool ---------===//
#include "codegen/Passes.h"
#include "codegen/cpu/ParallelOutline.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace lepton {
#define GEN_PASS_DEF_PARALLELIZELOOPS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

/// Whether every operand index that depends on a loop below `split` is that
/// loop itself, so a task's slice is one index along those dims and whole
/// along the others.
bool plainSplitIndices(linalg::GenericOp op, unsigned split) {
  for (AffineMap map : op.getIndexingMapsArray())
    for (AffineExpr e : map.getResults())
      for (unsigned d = 0; d < split; ++d)
        if (e.isFunctionOfDim(d) && e != getAffineDimExpr(d, op.getContext()))
          return false;
  return true;
}

/// How many leading loops of `op` to split into tasks: the fewest parallel
/// loops whose trip counts multiply to kMinParallelTasks; 0 when none do or when
/// their indices are not plain.
unsigned splitLoops(linalg::GenericOp op, ArrayRef<int64_t> sizes) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t tasks = 1;
  for (unsigned d = 0; d < sizes.size() && iterators[d] == utils::IteratorType::parallel; ++d) {
    tasks *= sizes[d];
    if (tasks >= lepton::cpu::kMinParallelTasks)
      return plainSplitIndices(op, d + 1) ? d + 1 : 0;
  }
  return 0;
}

struct ParallelizeLoopsPass : lepton::impl::ParallelizeLoopsBase<ParallelizeLoopsPass> {
  using ParallelizeLoopsBase::ParallelizeLoopsBase;

  void runOnOperation() override {
    // Named ops (the fills and copies of padding, transposes) are split as
    // their generic form.
    SmallVector<linalg::GenericOp> candidates;
    IRRewriter rewriter(&getContext());
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && !func.getSymName().ends_with("_body"))
        for (Operation &op : llvm::make_early_inc_range(func.getBody().front())) {
          auto linalgOp = dyn_cast<linalg::LinalgOp>(&op);
          if (!linalgOp)
            continue;
          rewriter.setInsertionPoint(&op);
          FailureOr<linalg::GenericOp> generic =
              isa<linalg::GenericOp>(op) ? cast<linalg::GenericOp>(op)
                                         : linalg::generalizeNamedOp(rewriter, linalgOp);
          if (succeeded(generic))
            candidates.push_back(*generic);
        }
    OpBuilder b(&getContext());
    for (auto [i, op] : llvm::enumerate(candidates)) {
      SmallVector<int64_t> sizes = op.getStaticLoopRanges();
      if (!op.hasPureBufferSemantics() || llvm::any_of(sizes, ShapedType::isDynamic))
        continue;
      int64_t iterations = 1;
      for (int64_t s : sizes)
        iterations *= s;
      unsigned split = splitLoops(op, sizes);
      if (iterations < minIterations || split == 0)
        continue;
      // Constants the body uses are cloned into the task, where LLVM can
      // fold them (a Clip's bounds), and so are views that cannot cross the
      // boundary (the strided interior of a padded buffer) over their
      // captured source; other values are captured.
      SetVector<Value> captured;
      SetVector<Operation *> cloned; // constants and views, operands first
      std::function<bool(Value)> capture = [&](Value v) {
        Operation *def = v.getDefiningOp();
        if (def && def->hasTrait<OpTrait::ConstantLike>()) {
          cloned.insert(def);
          return true;
        }
        if (lepton::cpu::canCapture(v)) {
          captured.insert(v);
          return true;
        }
        if (!def || !isa<ViewLikeOpInterface>(def) || !isPure(def) ||
            !llvm::all_of(def->getOperands(), capture))
          return false;
        cloned.insert(def);
        return true;
      };
      SetVector<Value> above;
      getUsedValuesDefinedAbove(op->getRegions(), above);
      if (!llvm::all_of(op->getOperands(), capture) || !llvm::all_of(above, capture))
        continue;
      int64_t tasks = 1;
      for (unsigned d = 0; d < split; ++d)
        tasks *= sizes[d];
      std::string name =
          (op->getParentOfType<func::FuncOp>().getSymName() + "_loop" + Twine(i)).str();
      b.setInsertionPoint(op);
      std::string kind = lepton::cpu::describe(op) + " (threads)";
      func::CallOp call = lepton::cpu::outlineParallel(
          b, op.getLoc(), name, tasks, captured.getArrayRef(),
          [&](OpBuilder &nb, Value begin, Value end, ValueRange args) {
            Location loc = op.getLoc();
            IRMapping mapping;
            mapping.map(captured.getArrayRef(), args);
            for (Operation *def : cloned)
              nb.clone(*def, mapping);
            auto loop = nb.create<scf::ForOp>(loc, begin, end,
                                              nb.create<arith::ConstantIndexOp>(loc, 1));
            OpBuilder::InsertionGuard guard(nb);
            nb.setInsertionPoint(loop.getBody()->getTerminator());
            // The task number names one point of the split loops; the
            // generic runs on the operands' slices at that point.
            SmallVector<Value> point(split);
            Value rest = loop.getInductionVar();
            for (int d = split - 1; d >= 0; --d) {
              Value size = nb.create<arith::ConstantIndexOp>(loc, sizes[d]);
              point[d] = d == 0 ? rest : nb.create<arith::RemUIOp>(loc, rest, size).getResult();
              rest = nb.create<arith::DivUIOp>(loc, rest, size);
            }
            // An operand may appear twice (x * x): slice each use on its own.
            SmallVector<Value> slices;
            for (OpOperand &operand : op->getOpOperands()) {
              Value memref = mapping.lookup(operand.get());
              auto type = dyn_cast<MemRefType>(memref.getType());
              if (!type) { // a scalar operand (a fill's value)
                slices.push_back(memref);
                continue;
              }
              SmallVector<OpFoldResult> offsets, slice, strides;
              for (auto [r, e] :
                   llvm::enumerate(op.getMatchingIndexingMap(&operand).getResults())) {
                auto dim = dyn_cast<AffineDimExpr>(e);
                bool splitDim = dim && dim.getPosition() < split;
                offsets.push_back(splitDim ? OpFoldResult(point[dim.getPosition()])
                                           : nb.getIndexAttr(0));
                slice.push_back(nb.getIndexAttr(splitDim ? 1 : type.getDimSize(r)));
                strides.push_back(nb.getIndexAttr(1));
              }
              slices.push_back(nb.create<memref::SubViewOp>(loc, memref, offsets, slice, strides));
            }
            Operation *slice = nb.clone(*op, mapping);
            slice->setOperands(slices);
            // linalg.index counts within the slice: add back its offset.
            SmallVector<linalg::IndexOp> indices;
            slice->walk([&](linalg::IndexOp index) {
              if (index.getDim() < split)
                indices.push_back(index);
            });
            for (linalg::IndexOp index : indices) {
              index.replaceAllUsesWith(point[index.getDim()]);
              index.erase();
            }
          });
      call->setAttr(lepton::cpu::kKindAttr, b.getStringAttr(kind));
      op.erase();
    }
  }
};

} // namespace
