//===- AccumulateInRegisters.cpp - reductions in loop-carried values ------===//
//
// Upstream's affine-scalrep forwards stores to loads within an iteration and
// affine-loop-invariant-code-motion hoists only loads; neither turns a
// load/add/store round trip across iterations into a loop-carried value,
// which is what an HLS pipeline needs to reach II 1 (Passes.td).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/hls/LoopNests.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/IR/PatternMatch.h"

namespace lepton {
#define GEN_PASS_DEF_HLSACCUMULATEINREGISTERS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

/// The load and store of one element in `loop`'s body (directly) that can
/// become a loop-carried value: same buffer, map and indices, indices
/// defined outside the loop, the load before the store, and no other access
/// to the buffer (or a view of it) anywhere in the loop.
std::optional<std::pair<affine::AffineLoadOp, affine::AffineStoreOp>>
carriedElement(affine::AffineForOp loop) {
  for (auto store : loop.getBody()->getOps<affine::AffineStoreOp>()) {
    Value buffer = lepton::hls::rootBuffer(store.getMemRef());
    affine::AffineLoadOp load;
    bool other = false;
    loop->walk([&](Operation *op) {
      std::optional<lepton::hls::MemoryAccess> access = lepton::hls::memoryAccess(op);
      if (!access || op == store || lepton::hls::rootBuffer(access->memref) != buffer)
        return;
      auto l = dyn_cast<affine::AffineLoadOp>(op);
      if (!load && l && l->getBlock() == loop.getBody() && l->isBeforeInBlock(store) &&
          l.getMemRef() == store.getMemRef() && l.getAffineMap() == store.getAffineMap() &&
          l.getMapOperands() == store.getMapOperands())
        load = l;
      else
        other = true;
    });
    bool invariant = llvm::all_of(store.getMapOperands(), [&](Value v) {
      return !loop->isAncestor(v.getParentRegion()->getParentOp()) &&
             v != loop.getInductionVar();
    });
    if (load && !other && invariant && loop.getStepAsInt() > 0)
      return std::make_pair(load, store);
  }
  return std::nullopt;
}

struct HLSAccumulateInRegistersPass
    : lepton::impl::HLSAccumulateInRegistersBase<HLSAccumulateInRegistersPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Innermost loops first, so that a carried value moves out loop by loop.
    SmallVector<affine::AffineForOp> loops;
    getOperation().walk([&](affine::AffineForOp loop) { loops.push_back(loop); });
    for (affine::AffineForOp loop : loops) {
      while (auto element = carriedElement(loop)) {
        auto [load, store] = *element;
        rewriter.setInsertionPoint(loop);
        Value initial = rewriter.create<affine::AffineLoadOp>(
            load.getLoc(), load.getMemRef(), load.getAffineMap(), load.getMapOperands());
        Value stored = store.getValueToStore();
        DictionaryAttr hints = loop->getDiscardableAttrDictionary();
        FailureOr<LoopLikeOpInterface> widened =
            cast<LoopLikeOpInterface>(loop.getOperation())
                .replaceWithAdditionalYields(
                    rewriter, initial, /*replaceInitOperandUsesInLoop=*/false,
                    [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                      return SmallVector<Value>{stored};
                    });
        if (failed(widened))
          break;
        auto carried = cast<affine::AffineForOp>(widened->getOperation());
        carried->setDiscardableAttrs(hints);
        rewriter.replaceAllUsesWith(load.getResult(), carried.getRegionIterArgs().back());
        rewriter.setInsertionPointAfter(carried);
        rewriter.create<affine::AffineStoreOp>(store.getLoc(), carried.getResults().back(),
                                               store.getMemRef(), store.getAffineMap(),
                                               store.getMapOperands());
        rewriter.eraseOp(store);
        rewriter.eraseOp(load);
        loop = carried;
      }
    }
  }
};

} // namespace
