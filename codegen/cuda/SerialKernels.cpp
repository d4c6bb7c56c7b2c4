//===- SerialKernels.cpp - leftover host loops as one-thread kernels ------===//
#include "codegen/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace lepton {
#define GEN_PASS_DEF_SERIALKERNELS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

/// Whether `op` or an op nested in it reads or writes memory.
bool touchesMemory(Operation *op) {
  return op
      ->walk([](Operation *nested) {
        auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
        return effects && (effects.hasEffect<MemoryEffects::Read>() ||
                           effects.hasEffect<MemoryEffects::Write>())
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

struct SerialKernelsPass : lepton::impl::SerialKernelsBase<SerialKernelsPass> {
  void runOnOperation() override {
    for (Block &block : getOperation().getBody())
      for (Operation &op : llvm::make_early_inc_range(block)) {
        // A host loop that launches kernels (an RNN's time steps) stays.
        bool launches = op.walk([](gpu::LaunchOp) { return WalkResult::interrupt(); })
                            .wasInterrupted();
        if (launches || op.getNumResults() != 0 || op.hasTrait<OpTrait::IsTerminator>() ||
            !touchesMemory(&op))
          continue;
        OpBuilder b(&op);
        Value one = b.create<arith::ConstantIndexOp>(op.getLoc(), 1);
        auto launch = b.create<gpu::LaunchOp>(op.getLoc(), one, one, one, one, one, one);
        b.setInsertionPointToEnd(&launch.getBody().front());
        auto terminator = b.create<gpu::TerminatorOp>(op.getLoc());
        op.moveBefore(terminator);
      }
  }
};

} // namespace
