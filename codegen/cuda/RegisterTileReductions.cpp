//===- RegisterTileReductions.cpp - reductions accumulated in registers ---===//
//
// convert-linalg-to-parallel-loops gives a reduction (matmul, convolution,
// pooling, a sum) one thread per output element whose innermost loop loads
// and stores that element in global memory on every step: LLVM cannot keep
// it in a register because kernel pointers may alias. Upstream's route to
// register tiles (tile, vectorize, hoist vector transfers) needs static tile
// shapes, i.e. masking on partial tiles, and keeps one vector per thread. So
// this pass writes the loops itself, from the generic op's indexing maps:
//
//   scf.parallel over the parallel dims, two of them stepping by tile sizes
//     acc[p] = out[p] for each of the tile's points p
//     scf.for over the reduction dims, iter_args(acc)
//       the payload once per point, its inputs loaded at the point's indices
//     out[p] = acc[p] (points past the end are computed on clamped indices
//                      and not stored)
//
// Tile dims are chosen where an input does not depend on them, so that value
// is loaded once for the whole row or column of the tile (LLVM's GVN merges
// the loads): a matmul's A along the columns, B along the rows; a
// convolution's weights along the output positions. Tiles shrink while the
// grid would have fewer threads than `min-threads`: at batch 1 parallelism
// matters more than reuse. The payload's float ops may contract into fmas.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/cuda/WorkspaceAliasing.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/bit.h"

namespace lepton {
#define GEN_PASS_DEF_REGISTERTILEREDUCTIONS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

constexpr int64_t kMaxTile = 4;

/// The output's dims, outermost first (a kept dim of a reduction, indexed
/// by a constant 0, has none).
SmallVector<int64_t> outputDims(AffineMap outMap) {
  SmallVector<int64_t> dims;
  for (AffineExpr expr : outMap.getResults())
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      dims.push_back(dim.getPosition());
  return dims;
}

/// The op this pass rewrites: on buffers, one output indexed by every
/// parallel dim once (and constant zeros for kept dims), static bounds, at
/// least one parallel and one reduction dim.
bool isCandidate(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0 || op.getNumParallelLoops() == 0 ||
      op.hasDynamicShape() || op->getNumRegions() != 1)
    return false;
  OpOperand *out = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(out);
  if (!outMap.isProjectedPermutation(/*allowZeroInResults=*/true) ||
      outputDims(outMap).size() != op.getNumParallelLoops())
    return false;
  // An input that shares elements with the output would see the partial sums.
  return llvm::none_of(op.getDpsInputOperands(), [&](OpOperand *in) {
    return isa<MemRefType>(in->get().getType()) &&
           lepton::cuda::mayAlias(in->get(), out->get());
  });
}

struct TileShape {
  int64_t rowDim = -1, rowTile = 1;
  int64_t colDim = -1, colTile = 1;
};

TileShape chooseTiles(linalg::LinalgOp op, ArrayRef<int64_t> ranges, int64_t minThreads) {
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto reused = [&](int64_t dim) {
    return llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *in) {
      return isa<MemRefType>(in->get().getType()) &&
             !op.getMatchingIndexingMap(in).isFunctionOfDim(dim);
    });
  };
  auto tileFor = [&](int64_t dim) {
    auto floor = static_cast<int64_t>(llvm::bit_floor(static_cast<uint64_t>(ranges[dim])));
    return std::min<int64_t>(kMaxTile, floor);
  };
  TileShape shape;
  // Columns: the dim of the output's contiguous dim, so neighbouring threads
  // touch neighbouring elements.
  SmallVector<int64_t> dims = outputDims(outMap);
  int64_t contiguous = dims.back();
  if (reused(contiguous)) {
    shape.colDim = contiguous;
    shape.colTile = tileFor(contiguous);
  }
  for (int64_t dim : ArrayRef(dims).drop_back()) {
    if (reused(dim) && (shape.rowDim < 0 || ranges[dim] > ranges[shape.rowDim]))
      shape.rowDim = dim;
  }
  if (shape.rowDim >= 0)
    shape.rowTile = tileFor(shape.rowDim);
  int64_t points = 1;
  for (int64_t dim : dims)
    points *= ranges[dim];
  while (shape.rowTile * shape.colTile > 1 &&
         points / (shape.rowTile * shape.colTile) < minThreads) {
    if (shape.rowTile >= shape.colTile)
      shape.rowTile /= 2;
    else
      shape.colTile /= 2;
  }
  return shape;
}

/// `map`'s results at `dims`, as index values (`dims` may lack the dims the
/// map does not use, as the reduction dims for the output's map).
SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map, ArrayRef<Value> dims) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      indices.push_back(dims[dim.getPosition()]);
    else if (auto constant = dyn_cast<AffineConstantExpr>(expr))
      indices.push_back(b.create<arith::ConstantIndexOp>(loc, constant.getValue()));
    else
      indices.push_back(b.create<affine::AffineApplyOp>(
          loc, AffineMap::get(map.getNumDims(), map.getNumSymbols(), expr), dims));
  }
  return indices;
}

/// Lets LLVM fuse a multiply and an add into one fma, as nvcc does by
/// default (--fmad=true) and the CPU target's kernels do: the NVPTX backend
/// keeps them apart (mul.rn, add.rn) unless the ops say `contract`.
void allowContraction(Operation *op) {
  auto fastMath = dyn_cast<arith::ArithFastMathInterface>(op);
  if (!fastMath)
    return;
  arith::FastMathFlags flags = fastMath.getFastMathFlagsAttr().getValue();
  flags = flags | arith::FastMathFlags::contract;
  op->setAttr(fastMath.getFastMathAttrName(),
              arith::FastMathFlagsAttr::get(op->getContext(), flags));
}

/// The payload of `op` at the iteration `dims`, its inputs loaded there;
/// `outValue` stands for the output's element.
Value computePayload(OpBuilder &b, linalg::LinalgOp op, ArrayRef<Value> dims, Value outValue) {
  Location loc = op.getLoc();
  IRMapping mapping;
  for (OpOperand *in : op.getDpsInputOperands()) {
    Value value = in->get();
    if (isa<MemRefType>(value.getType()))
      value = b.create<memref::LoadOp>(
          loc, value, applyMap(b, loc, op.getMatchingIndexingMap(in), dims));
    mapping.map(op.getMatchingBlockArgument(in), value);
  }
  if (outValue)
    mapping.map(op.getMatchingBlockArgument(op.getDpsInitOperand(0)), outValue);
  Block *payload = op.getBlock();
  for (Operation &bodyOp : payload->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(bodyOp))
      mapping.map(index.getResult(), dims[index.getDim()]);
    else
      allowContraction(b.clone(bodyOp, mapping));
  }
  return mapping.lookupOrDefault(payload->getTerminator()->getOperand(0));
}

/// Whether `op`, and what it holds, neither touches `out` nor writes any of
/// `inputs` (as far as the workspace plan tells).
bool independent(Operation *op, Value out, ValueRange inputs) {
  WalkResult walk = op->walk([&](Operation *nested) {
    if (nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return WalkResult::advance();
    auto interface = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!interface)
      return WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> effects;
    interface.getEffects(effects);
    for (MemoryEffects::EffectInstance &effect : effects) {
      Value touched = effect.getValue();
      if (!touched || lepton::cuda::mayAlias(touched, out))
        return WalkResult::interrupt();
      if (isa<MemoryEffects::Write>(effect.getEffect()) &&
          llvm::any_of(inputs, [&](Value in) { return lepton::cuda::mayAlias(touched, in); }))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return !walk.wasInterrupted();
}

/// The op before `op` that writes its output, when all it does is give that
/// output its starting values (a fill, a bias broadcast): element-wise over
/// the whole output, not reading it, its inputs apart from it, and nothing
/// in between touching the output or writing those inputs (a split
/// reduction's partial sums run there). Its payload then starts the sums,
/// and its loop nest (a kernel of its own) goes.
linalg::LinalgOp fusableInit(linalg::LinalgOp op) {
  Value out = op.getDpsInitOperand(0)->get();
  SmallVector<Operation *> between;
  Operation *prev = op->getPrevNode();
  for (; prev; prev = prev->getPrevNode()) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(prev);
    if (linalgOp && linalgOp.getNumDpsInits() == 1 &&
        linalgOp.getDpsInitOperand(0)->get() == out)
      break;
    between.push_back(prev);
  }
  auto init = dyn_cast_or_null<linalg::LinalgOp>(prev);
  if (!init || !init.hasPureBufferSemantics() ||
      init.getNumParallelLoops() != init.getNumLoops() || init->getNumRegions() != 1 ||
      !init.getMatchingIndexingMap(init.getDpsInitOperand(0)).isPermutation() ||
      init.payloadUsesValueFromOperand(init.getDpsInitOperand(0)))
    return nullptr;
  SmallVector<Value> inputs;
  for (OpOperand *in : init.getDpsInputOperands()) {
    if (!isa<MemRefType>(in->get().getType()))
      continue;
    if (lepton::cuda::mayAlias(in->get(), out))
      return nullptr;
    inputs.push_back(in->get());
  }
  for (Operation *other : between)
    if (!independent(other, out, inputs))
      return nullptr;
  return init;
}

void rewrite(linalg::LinalgOp op, int64_t minThreads) {
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  TileShape shape = chooseTiles(op, ranges, minThreads);
  OpOperand *out = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(out);

  linalg::LinalgOp init = fusableInit(op); // before anything is built in between

  OpBuilder b(op);
  auto constant = [&](int64_t v) -> Value { return b.create<arith::ConstantIndexOp>(loc, v); };
  SmallVector<Value> lbs, ubs, steps;
  SmallVector<int64_t> parallelDims, reductionDims;
  for (auto [dim, iterator] : llvm::enumerate(iterators)) {
    if (iterator == utils::IteratorType::reduction) {
      reductionDims.push_back(dim);
      continue;
    }
    parallelDims.push_back(dim);
    int64_t step = dim == shape.rowDim ? shape.rowTile : dim == shape.colDim ? shape.colTile : 1;
    lbs.push_back(constant(0));
    ubs.push_back(constant(ranges[dim]));
    steps.push_back(constant(step));
  }

  auto parallel = b.create<scf::ParallelOp>(loc, lbs, ubs, steps);
  b.setInsertionPointToStart(parallel.getBody());
  SmallVector<Value> base(ranges.size());
  for (auto [dim, iv] : llvm::zip(parallelDims, parallel.getInductionVars()))
    base[dim] = iv;

  // The tile's points: the dims' values at each, and whether it may lie past
  // the end (a partial tile).
  struct Shifted {
    Value index;
    Value fits; // null: always in bounds
  };
  auto shifts = [&](int64_t dim, int64_t tile) {
    SmallVector<Shifted> values;
    for (int64_t by = 0; by < tile; ++by) {
      if (by == 0) {
        values.push_back({base[dim], nullptr});
        continue;
      }
      Value index = b.create<arith::AddIOp>(loc, base[dim], constant(by));
      if (ranges[dim] % tile == 0) {
        values.push_back({index, nullptr});
        continue;
      }
      Value fits = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, index,
                                           constant(ranges[dim]));
      values.push_back({b.create<arith::MinSIOp>(loc, index, constant(ranges[dim] - 1)), fits});
    }
    return values;
  };
  SmallVector<Shifted> rows = shape.rowDim >= 0 ? shifts(shape.rowDim, shape.rowTile)
                                                : SmallVector<Shifted>{{nullptr, nullptr}};
  SmallVector<Shifted> cols = shape.colDim >= 0 ? shifts(shape.colDim, shape.colTile)
                                                : SmallVector<Shifted>{{nullptr, nullptr}};
  struct Point {
    SmallVector<Value> dims;
    Value inBounds; // null: always in bounds
    SmallVector<Value> outIndices;
  };
  SmallVector<Point> points;
  for (const Shifted &row : rows)
    for (const Shifted &col : cols) {
      Point point{base, nullptr};
      if (shape.rowDim >= 0)
        point.dims[shape.rowDim] = row.index;
      if (shape.colDim >= 0)
        point.dims[shape.colDim] = col.index;
      if (row.fits && col.fits)
        point.inBounds = b.create<arith::AndIOp>(loc, row.fits, col.fits);
      else
        point.inBounds = row.fits ? row.fits : col.fits;
      points.push_back(std::move(point));
    }

  // The sums start from the output's values, or from what the op before
  // would have written there.
  SmallVector<Value> accumulators;
  for (Point &point : points) {
    point.outIndices = applyMap(b, loc, outMap, point.dims);
    if (!init) {
      accumulators.push_back(b.create<memref::LoadOp>(loc, out->get(), point.outIndices));
      continue;
    }
    AffineMap initMap = init.getMatchingIndexingMap(init.getDpsInitOperand(0));
    SmallVector<Value> initDims(initMap.getNumDims());
    for (auto [expr, index] : llvm::zip(initMap.getResults(), point.outIndices))
      initDims[cast<AffineDimExpr>(expr).getPosition()] = index;
    accumulators.push_back(computePayload(b, init, initDims, /*outValue=*/nullptr));
  }
  if (init)
    init->erase();

  // The reduction loops, outermost first, carrying every point's sum; the
  // innermost body runs the payload once per point.
  // (Loop bounds are built by `constant`, before the outermost loop.)
  std::function<SmallVector<Value>(OpBuilder &, size_t, ValueRange)> reduce =
      [&](OpBuilder &at, size_t level, ValueRange sums) -> SmallVector<Value> {
    if (level == reductionDims.size()) {
      SmallVector<Value> results;
      for (auto [point, sum] : llvm::zip(points, sums))
        results.push_back(computePayload(at, op, point.dims, sum));
      return results;
    }
    int64_t dim = reductionDims[level];
    auto loop = at.create<scf::ForOp>(
        loc, constant(0), constant(ranges[dim]), constant(1), sums,
        [&](OpBuilder &nested, Location, Value iv, ValueRange iterSums) {
          for (Point &point : points)
            point.dims[dim] = iv;
          nested.create<scf::YieldOp>(loc, reduce(nested, level + 1, iterSums));
        });
    return loop.getResults();
  };
  SmallVector<Value> sums = reduce(b, 0, accumulators);

  for (auto [point, sum] : llvm::zip(points, sums)) {
    OpBuilder::InsertionGuard guard(b);
    if (point.inBounds) {
      auto inside = b.create<scf::IfOp>(loc, point.inBounds, /*withElseRegion=*/false);
      b.setInsertionPointToStart(inside.thenBlock());
    }
    b.create<memref::StoreOp>(loc, sum, out->get(), point.outIndices);
  }
  op->erase();
}

struct RegisterTileReductionsPass
    : lepton::impl::RegisterTileReductionsBase<RegisterTileReductionsPass> {
  using RegisterTileReductionsBase::RegisterTileReductionsBase;
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isCandidate(op))
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops)
      rewrite(op, minThreads);
  }
};

} // namespace
