//===- TileParallelLoops.cpp - parallel loop nests over blocks and threads ===//
//
// Upstream's scf-parallel-loop-tiling applies one list of tile sizes to every
// loop, and gpu-map-parallel-loops then maps loop dim 0 to x, 1 to y, 2 to z:
// the outermost dim (a batch of 1, a 512-channel dim) ended up on thread x,
// so a warp's accesses were far apart, and dims past the second were not
// tiled at all, so their whole extent became grid z (limit 65535). This pass
// shapes each loop nest first: the innermost (contiguous) dims are collapsed
// into one that goes to x, the next dim to y, all outer dims collapsed into
// z, and x and y are tiled into blocks of up to 256 threads sized to them.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

namespace lepton {
#define GEN_PASS_DEF_TILEPARALLELLOOPS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

constexpr int64_t kThreadsPerBlock = 256;
constexpr int64_t kMaxGridYZ = 65535; // CUDA's limit on grid y and z
/// Contiguous dims go to x until it spans at least this many elements.
constexpr int64_t kMinimumX = 64;

std::optional<SmallVector<int64_t>> tripCounts(scf::ParallelOp loop) {
  SmallVector<int64_t> counts;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb), u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return std::nullopt;
    counts.push_back(std::max<int64_t>(0, llvm::divideCeil(*u - *l, *s)));
  }
  return counts;
}

void shape(scf::ParallelOp loop) {
  std::optional<SmallVector<int64_t>> counts = tripCounts(loop);
  if (!counts)
    return;
  int64_t rank = counts->size();
  auto product = [&](int64_t begin, int64_t end) {
    int64_t p = 1;
    for (int64_t d = begin; d < end; ++d)
      p *= (*counts)[d];
    return p;
  };
  // x: dims [xBegin, rank); y: dim xBegin - 1; z: dims [0, xBegin - 1).
  int64_t xBegin = rank - 1;
  while (xBegin > 0 && product(xBegin, rank) < kMinimumX)
    --xBegin;
  auto range = [](int64_t begin, int64_t end) {
    std::vector<unsigned> dims;
    for (int64_t d = begin; d < end; ++d)
      dims.push_back(d);
    return dims;
  };
  std::vector<std::vector<unsigned>> groups = {range(xBegin, rank)};
  int64_t x = product(xBegin, rank);
  int64_t tileX = std::min<int64_t>(llvm::PowerOf2Ceil(std::max<int64_t>(x, 1)),
                                    kThreadsPerBlock);
  SmallVector<int64_t> tiles = {tileX};
  if (xBegin > 0) {
    int64_t y = (*counts)[xBegin - 1];
    int64_t tileY = std::min<int64_t>(llvm::PowerOf2Ceil(std::max<int64_t>(y, 1)),
                                      kThreadsPerBlock / tileX);
    if (llvm::divideCeil(y, tileY) > kMaxGridYZ || product(0, xBegin - 1) > kMaxGridYZ) {
      // Too many blocks for y or z: one dim of everything on x.
      groups = {range(0, rank)};
      tiles = {kThreadsPerBlock};
    } else {
      groups.push_back({static_cast<unsigned>(xBegin - 1)});
      tiles.push_back(tileY);
      if (xBegin > 1)
        groups.push_back(range(0, xBegin - 1));
    }
  }
  IRRewriter rewriter(loop.getContext());
  rewriter.setInsertionPoint(loop);
  // collapseParallelLoops replaces the loop; find its replacement by position.
  Operation *before = loop->getPrevNode();
  Block *block = loop->getBlock();
  collapseParallelLoops(rewriter, loop, groups);
  Operation *first = before ? before->getNextNode() : &block->front();
  scf::ParallelOp shaped;
  for (Operation *op = first; op && !shaped; op = op->getNextNode())
    shaped = dyn_cast<scf::ParallelOp>(op);
  if (shaped)
    scf::tileParallelLoop(shaped, tiles, /*noMinMaxBounds=*/true);
}

struct TileParallelLoopsPass : lepton::impl::TileParallelLoopsBase<TileParallelLoopsPass> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>())
        outermost.push_back(loop);
    });
    for (scf::ParallelOp loop : outermost)
      shape(loop);
  }
};

} // namespace
