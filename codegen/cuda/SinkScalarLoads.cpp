//===- SinkScalarLoads.cpp - host reads of tensor data into kernels ------===//
#include "codegen/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace lepton {
#define GEN_PASS_DEF_SINKSCALARLOADS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

/// The top-level launches of `body` that hold every use of `op`, or nothing
/// when a use is elsewhere (host code, a launch's grid size).
SmallVector<gpu::LaunchOp> launchesUsing(Operation *op, Block &body) {
  llvm::SetVector<gpu::LaunchOp> launches;
  for (Operation *user : op->getUsers()) {
    auto launch = user->getParentOfType<gpu::LaunchOp>();
    if (!launch || launch->getBlock() != &body)
      return {};
    launches.insert(launch);
  }
  return launches.takeVector();
}

/// Whether reading `load`'s memref when each launch runs, instead of where
/// the load is, reads the same value: a read-only input, or a buffer no
/// launch in between may write.
bool sameValueLater(memref::LoadOp load, ArrayRef<gpu::LaunchOp> launches) {
  auto arg = dyn_cast<BlockArgument>(load.getMemRef());
  if (arg) {
    auto func = cast<func::FuncOp>(arg.getOwner()->getParentOp());
    auto writable = func.getArgAttrOfType<BoolAttr>(arg.getArgNumber(), "bufferization.writable");
    if (writable && !writable.getValue())
      return true;
  }
  for (gpu::LaunchOp launch : launches)
    for (Operation *op = load->getNextNode(); op != launch; op = op->getNextNode())
      if (isa<gpu::LaunchOp>(op))
        return false;
  return true;
}

struct SinkScalarLoadsPass : lepton::impl::SinkScalarLoadsBase<SinkScalarLoadsPass> {
  void runOnOperation() override {
    Block &body = getOperation().getBody().front();
    // Users first, so that a value computed from a load (a cast, say) moves
    // into the kernels before the load itself is considered.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body))) {
      auto load = dyn_cast<memref::LoadOp>(op);
      bool scalars = op.getNumResults() != 0 && llvm::all_of(op.getResultTypes(), [](Type t) {
                       return t.isIntOrIndexOrFloat();
                     });
      if (!scalars || op.getNumRegions() != 0 || (!load && !isPure(&op)))
        continue;
      SmallVector<gpu::LaunchOp> launches = launchesUsing(&op, body);
      if (launches.empty() || (load && !sameValueLater(load, launches)))
        continue;
      for (gpu::LaunchOp launch : launches) {
        OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
        Operation *copy = b.clone(op);
        op.replaceUsesWithIf(copy->getResults(), [&](OpOperand &use) {
          return launch->isProperAncestor(use.getOwner());
        });
      }
      op.erase();
    }
  }
};

} // namespace
