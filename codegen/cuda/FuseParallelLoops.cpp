//===- FuseParallelLoops.cpp - one kernel for ops on the same elements ----===//
//
// After bufferization a Gemm is three loop nests over the same output (bias
// copied in, products accumulated, activation applied in place), each its own
// kernel. Upstream's scf-parallel-loop-fusion would fuse them, but its alias
// analysis never proves two views of the one workspace apart. This pass runs
// the same fusion with an oracle that knows the workspace plan
// (WorkspaceAliasing.h).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/cuda/WorkspaceAliasing.h"

#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace lepton {
#define GEN_PASS_DEF_FUSEPARALLELLOOPS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

struct FuseParallelLoopsPass : lepton::impl::FuseParallelLoopsBase<FuseParallelLoopsPass> {
  void runOnOperation() override {
    getOperation().walk([](Operation *op) {
      for (Region &region : op->getRegions())
        scf::naivelyFuseParallelOps(region, lepton::cuda::mayAlias);
    });
  }
};

} // namespace
