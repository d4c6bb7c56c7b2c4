//===- SplitReductions.cpp - long reductions over more threads ------------===//
//
// A GPU thread per output element leaves most of the GPU idle when a layer
// has few outputs and a long reduction: at batch 1 the MLP's first layer has
// 128 outputs of 784 products each, ResNet-18's last convolutions 25,088 of
// 4,608. Upstream's linalg::splitReduction splits the reduction dim into
// chunks summed in parallel into a temporary (one more parallel dim,
// outermost so that neighbouring threads still touch neighbouring outputs)
// and a second op that combines the chunks into the output, with the
// reduction's own combiner. This pass decides where and by how much.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace lepton {
#define GEN_PASS_DEF_SPLITREDUCTIONS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

/// Chunks shorter than this cost more in the combining op than they save.
constexpr int64_t kMinChunk = 32;
/// Shorter reductions are left whole: the extra launch (a few microseconds)
/// costs about what a thread spends on a few hundred dependent steps (an
/// estimate; no GPU has measured it yet).
constexpr int64_t kMinLength = 256;

/// The number of chunks for `op`'s reduction: the most that divide it into
/// chunks of at least kMinChunk while the threads stay within `minThreads`;
/// 0 where splitting does not pay (enough outputs already, a reduction
/// shorter than kMinLength, more than one reduction dim, dynamic shapes).
int64_t chunksFor(linalg::LinalgOp op, int64_t minThreads) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1 || op.hasDynamicShape())
    return 0;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t outputs = 1, length = 0;
  for (auto [range, iterator] : llvm::zip(ranges, op.getIteratorTypesArray())) {
    if (iterator == utils::IteratorType::reduction)
      length = range;
    else
      outputs *= range;
  }
  if (length < kMinLength)
    return 0;
  int64_t best = 0;
  for (int64_t chunks = 2; chunks * kMinChunk <= length && outputs * chunks <= minThreads;
       ++chunks)
    if (length % chunks == 0)
      best = chunks;
  return best;
}

struct SplitReductionsPass : lepton::impl::SplitReductionsBase<SplitReductionsPass> {
  using SplitReductionsBase::SplitReductionsBase;
  void runOnOperation() override {
    SmallVector<std::pair<linalg::LinalgOp, int64_t>> splits;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (int64_t chunks = chunksFor(op, minThreads))
        splits.push_back({op, chunks});
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, chunks] : splits) {
      rewriter.setInsertionPoint(op);
      linalg::SplitReductionOptions options{chunks, /*index=*/0, /*innerParallel=*/false};
      // A reduction whose combiner upstream does not recognize stays whole.
      (void)linalg::splitReduction(rewriter, op,
                                   [&](linalg::LinalgOp) { return options; });
    }
  }
};

} // namespace
