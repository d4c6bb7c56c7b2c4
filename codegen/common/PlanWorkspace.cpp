//===- PlanWorkspace.cpp - intermediate buffers in one caller-owned arena -===//
//
// The artifact ABI gives the caller ownership of all memory: inputs, outputs
// and one workspace arena whose size the header states. After bufferization
// every intermediate is a memref.alloc; this pass assigns each one an offset
// in the arena (greedy by size over live ranges, as TFLite's planner does)
// and rewrites it into a memref.view. Upstream has buffer hoisting and
// promotion to the stack but no static arena planner, hence this pass.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace lepton {
#define GEN_PASS_DEF_PLANWORKSPACE
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes;
  int64_t first, last; // live range, as positions in the entry block
  int64_t offset = -1;
};

/// Position of the entry-block op that contains `op`.
int64_t positionIn(Block &block, Operation *op,
                   const DenseMap<Operation *, int64_t> &positions) {
  Operation *top = block.findAncestorOpInBlock(*op);
  return positions.lookup(top);
}

/// Last position at which the buffer or any view of it is used.
int64_t lastUse(Value root, Block &block,
                const DenseMap<Operation *, int64_t> &positions) {
  int64_t last = 0;
  SmallVector<Value> worklist = {root};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (isa<memref::DeallocOp>(user))
        continue; // deallocs are erased below, they do not extend a lifetime
      last = std::max(last, positionIn(block, user, positions));
      if (isa<ViewLikeOpInterface>(user))
        for (Value r : user->getResults())
          worklist.push_back(r);
    }
  }
  return last;
}

struct PlanWorkspacePass : lepton::impl::PlanWorkspaceBase<PlanWorkspacePass> {
  using PlanWorkspaceBase::PlanWorkspaceBase;

  void runOnOperation() override {
    // The entry is the public function; private ones (kernel bodies the CPU
    // passes outline for the thread pool) only see buffers they are passed.
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal() && failed(plan(func)))
        return signalPassFailure();
  }

  LogicalResult plan(func::FuncOp func) {
    Block &entry = func.getBody().front();
    DenseMap<Operation *, int64_t> positions;
    for (auto [i, op] : llvm::enumerate(entry))
      positions[&op] = i;

    SmallVector<Buffer> buffers;
    WalkResult walk = func.walk([&](memref::AllocOp alloc) {
      // A buffer fused kernels no longer need (a matmul's C consumed by its
      // epilogue in registers).
      if (llvm::all_of(alloc->getUsers(), [](Operation *u) { return isa<memref::DeallocOp>(u); })) {
        for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
          user->erase();
        alloc.erase();
        return WalkResult::skip();
      }
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
          !type.getElementType().isIntOrFloat()) {
        alloc.emitError("cannot place a dynamically shaped buffer in the workspace");
        return WalkResult::interrupt();
      }
      int64_t bits = type.getElementType().getIntOrFloatBitWidth();
      int64_t bytes = type.getNumElements() * ((bits + 7) / 8);
      buffers.push_back({alloc, bytes, positionIn(entry, alloc, positions),
                         lastUse(alloc, entry, positions)});
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();

    // Greedy by size: biggest first, each at the lowest aligned offset that
    // does not collide with an already placed buffer alive at the same time.
    SmallVector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    llvm::stable_sort(order, [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
    int64_t total = 0;
    for (auto [i, buf] : llvm::enumerate(order)) {
      SmallVector<std::pair<int64_t, int64_t>> taken;
      for (Buffer *other : ArrayRef(order).take_front(i))
        if (other->first <= buf->last && buf->first <= other->last)
          taken.push_back({other->offset, other->offset + other->bytes});
      llvm::sort(taken);
      int64_t offset = 0;
      for (auto [lo, hi] : taken) {
        if (offset + buf->bytes <= lo)
          break;
        offset = std::max<int64_t>(offset, llvm::alignTo(hi, alignment));
      }
      buf->offset = offset;
      total = std::max(total, offset + buf->bytes);
    }
    total = llvm::alignTo(total, alignment);

    OpBuilder b(func.getContext());
    auto arenaType = MemRefType::get({total}, b.getI8Type());
    unsigned argIndex = func.getNumArguments();
    func.insertArgument(argIndex, arenaType,
                        b.getDictionaryAttr(
                            b.getNamedAttr("lepton.workspace", b.getUnitAttr())),
                        func.getLoc());
    Value arena = func.getArgument(argIndex);
    for (Buffer &buf : buffers) {
      b.setInsertionPoint(buf.alloc);
      Value offset = b.create<arith::ConstantIndexOp>(buf.alloc.getLoc(), buf.offset);
      Value view = b.create<memref::ViewOp>(buf.alloc.getLoc(), buf.alloc.getType(),
                                            arena, offset, ValueRange{});
      for (Operation *user : llvm::make_early_inc_range(buf.alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      buf.alloc.replaceAllUsesWith(view);
      buf.alloc.erase();
    }
    func->setAttr("lepton.workspace_bytes", b.getI64IntegerAttr(total));
    int64_t unshared = 0; // what the buffers would take without reuse
    for (const Buffer &buf : buffers)
      unshared += buf.bytes;
    func->setAttr("lepton.intermediate_bytes", b.getI64IntegerAttr(unshared));
    return success();
  }
};

} // namespace
