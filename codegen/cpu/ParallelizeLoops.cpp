//===- ParallelizeLoops.cpp - other linalg ops on the thread pool ---------===//
#include "codegen/Passes.h"
#include "codegen/cpu/ParallelOutline.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

namespace lepton {
#define GEN_PASS_DEF_PARALLELIZELOOPS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

constexpr int64_t kMinTasks = 16; // enough to balance two threads or more

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
/// loops whose trip counts multiply to kMinTasks; 0 when none do or when
/// their indices are not plain.
unsigned splitLoops(linalg::GenericOp op, ArrayRef<int64_t> sizes) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t tasks = 1;
  for (unsigned d = 0; d < sizes.size() && iterators[d] == utils::IteratorType::parallel; ++d) {
    tasks *= sizes[d];
    if (tasks >= kMinTasks)
      return plainSplitIndices(op, d + 1) ? d + 1 : 0;
  }
  return 0;
}

struct ParallelizeLoopsPass : lepton::impl::ParallelizeLoopsBase<ParallelizeLoopsPass> {
  using ParallelizeLoopsBase::ParallelizeLoopsBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && !func.getSymName().ends_with("_body"))
        for (Operation &op : func.getBody().front())
          if (auto generic = dyn_cast<linalg::GenericOp>(&op))
            candidates.push_back(generic);
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
      // fold them (a Clip's bounds); other values are captured.
      SetVector<Value> captured(op->getOperands().begin(), op->getOperands().end()), above;
      getUsedValuesDefinedAbove(op->getRegions(), above);
      SmallVector<Operation *> constants;
      for (Value v : above) {
        Operation *def = v.getDefiningOp();
        if (def && def->hasTrait<OpTrait::ConstantLike>())
          constants.push_back(def);
        else
          captured.insert(v);
      }
      if (!llvm::all_of(captured, lepton::cpu::canCapture))
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
            for (Operation *constant : constants)
              nb.clone(*constant, mapping);
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
              auto type = cast<MemRefType>(memref.getType());
              SmallVector<OpFoldResult> offsets, slice, strides;
              for (auto [r, e] : llvm::enumerate(op.getMatchingIndexingMap(&operand).getResults())) {
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
