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
// Matmul-like ops (one reduction dim, each input varying along at most one
// tile dim) get blocks that share their inputs through shared memory
// (SharedTiles below): upstream's promotion (linalg::promoteSubViews with
// GPU allocation callbacks) works on tiled linalg ops whose mapping to
// threads is then left to the gpu-map-parallel-loops path, which knows no
// barriers; writing the kernel here keeps the tile choice, init and epilogue
// fusion of the per-thread loops. Element-wise ops right after a reduction
// that only transform its result are computed before its store
// (fusableEpilogues).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/cuda/WorkspaceAliasing.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
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

/// The payload of `op` at the iteration `dims`, its inputs loaded there
/// unless `staged` gives the input's value; `outValue` stands for the
/// output's element.
Value computePayloadWith(OpBuilder &b, linalg::LinalgOp op, ArrayRef<Value> dims,
                         Value outValue, llvm::function_ref<Value(OpOperand *)> staged) {
  Location loc = op.getLoc();
  IRMapping mapping;
  for (OpOperand *in : op.getDpsInputOperands()) {
    Value value = in->get();
    if (Value fromStage = staged(in))
      value = fromStage;
    else if (isa<MemRefType>(value.getType()))
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

Value computePayload(OpBuilder &b, linalg::LinalgOp op, ArrayRef<Value> dims, Value outValue) {
  return computePayloadWith(b, op, dims, outValue, [](OpOperand *) { return Value(); });
}

bool isShared(Value memref) {
  auto type = dyn_cast<MemRefType>(memref.getType());
  return type && gpu::GPUDialect::hasWorkgroupMemoryAddressSpace(type);
}

/// Whether `op`, and what it holds, neither touches `out` nor writes any of
/// `inputs` (as far as the workspace plan tells).
bool independent(Operation *op, Value out, ValueRange inputs) {
  WalkResult walk = op->walk([&](Operation *nested) {
    // A shared-memory kernel (rewriteWithSharedTiles) is judged by its body;
    // its barriers order that kernel's threads alone.
    if (nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
        isa<gpu::LaunchOp, gpu::BarrierOp>(nested))
      return WalkResult::advance();
    auto interface = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!interface)
      return WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> effects;
    interface.getEffects(effects);
    for (MemoryEffects::EffectInstance &effect : effects) {
      Value touched = effect.getValue();
      if (touched && isShared(touched))
        continue; // a kernel's shared memory is no tensor's
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

/// Where the sum of the output element at `outIndices` starts: its value, or
/// what `init` (fusableInit) would have written there.
Value startingSum(OpBuilder &b, Location loc, Value out, linalg::LinalgOp init,
                  ArrayRef<Value> outIndices) {
  if (!init)
    return b.create<memref::LoadOp>(loc, out, outIndices);
  AffineMap initMap = init.getMatchingIndexingMap(init.getDpsInitOperand(0));
  SmallVector<Value> initDims(initMap.getNumDims());
  for (auto [expr, index] : llvm::zip(initMap.getResults(), outIndices))
    initDims[cast<AffineDimExpr>(expr).getPosition()] = index;
  return computePayload(b, init, initDims, /*outValue=*/nullptr);
}

/// An element-wise op after the reduction that only transforms its result
/// (a bias, an activation, a residual add, possibly through reshapes of the
/// result's buffer): computed on each sum before it is stored, it saves a
/// kernel and a round trip of the tensor through memory.
struct Epilogue {
  linalg::LinalgOp op;
  OpOperand *result;      // the input reading what the previous stage wrote
  bool sameIndices;       // the op's dims are the previous stage's indices
  bool replacesPrevious;  // it writes the previous stage's elements in place
};

/// A static, identity-layout buffer: its linear element index is the
/// row-major one.
bool isDense(Value memref) {
  auto type = dyn_cast<MemRefType>(memref.getType());
  return type && type.hasStaticShape() && type.getLayout().isIdentity();
}

/// Whether `view` is `buffer` seen through reshapes only.
bool isReshapeOf(Value view, Value buffer) {
  while (view != buffer) {
    if (auto collapse = view.getDefiningOp<memref::CollapseShapeOp>())
      view = collapse.getSrc();
    else if (auto expand = view.getDefiningOp<memref::ExpandShapeOp>())
      view = expand.getSrc();
    else
      return false;
  }
  return true;
}

/// The chain of epilogues of `op`: each the next op that touches memory,
/// element-wise over exactly the previous stage's elements, not reading them
/// anywhere else. Fused, its stores happen while other blocks still read the
/// reduction's inputs, so it must not write those (`reads`).
SmallVector<Epilogue> fusableEpilogues(linalg::LinalgOp op, SmallVector<Value> reads) {
  SmallVector<Epilogue> chain;
  Value previous = op.getDpsInitOperand(0)->get();
  SmallVector<Value> written{previous};
  Operation *next = op->getNextNode();
  SmallVector<Operation *> between; // views and constants a stage may use
  while (next && isDense(previous)) {
    if (isMemoryEffectFree(next) && next->getNumRegions() == 0) {
      between.push_back(next);
      next = next->getNextNode();
      continue;
    }
    auto stage = dyn_cast<linalg::LinalgOp>(next);
    if (!stage || !stage.hasPureBufferSemantics() || stage.getNumDpsInits() != 1 ||
        stage.getNumReductionLoops() != 0 || stage->getNumRegions() != 1 ||
        stage.hasDynamicShape())
      break;
    OpOperand *init = stage.getDpsInitOperand(0);
    Value target = init->get();
    if (!stage.getMatchingIndexingMap(init).isIdentity() ||
        stage.payloadUsesValueFromOperand(init) || !isDense(target))
      break;
    OpOperand *result = nullptr;
    bool ok = true;
    for (OpOperand *in : stage.getDpsInputOperands()) {
      if (!isa<MemRefType>(in->get().getType()))
        continue;
      if (!lepton::cuda::mayAlias(in->get(), previous)) {
        ok &= llvm::none_of(written,
                            [&](Value w) { return lepton::cuda::mayAlias(in->get(), w); });
        reads.push_back(in->get());
        continue;
      }
      ok &= !result && stage.getMatchingIndexingMap(in).isIdentity() &&
            isReshapeOf(in->get(), previous) && isDense(in->get());
      result = in;
    }
    auto previousType = cast<MemRefType>(previous.getType());
    if (!ok || !result ||
        cast<MemRefType>(target.getType()).getNumElements() != previousType.getNumElements())
      break;
    // In place over the previous stage's elements, or apart from everything
    // the kernel reads or wrote.
    bool inPlace = target == result->get();
    if (!inPlace && (llvm::any_of(reads, [&](Value r) { return lepton::cuda::mayAlias(target, r); }) ||
                     llvm::any_of(written, [&](Value w) { return lepton::cuda::mayAlias(target, w); })))
      break;
    // The stage is computed where `op` was: what it uses must be there.
    for (Operation *pure : between)
      pure->moveBefore(op);
    between.clear();
    chain.push_back({stage, result, result->get() == previous, inPlace});
    written.push_back(target);
    previous = target;
    next = stage->getNextNode();
  }
  return chain;
}

/// Stores `value`, the reduction's result at `indices` of `out`, and what
/// each epilogue makes of it (a stage's store is left out where the next
/// stage overwrites the same element), when `inBounds` holds (null: always).
void storeThroughEpilogues(OpBuilder &b, Location loc, Value inBounds, Value value, Value out,
                           SmallVector<Value> indices, ArrayRef<Epilogue> epilogues) {
  OpBuilder::InsertionGuard guard(b);
  if (inBounds) {
    auto inside = b.create<scf::IfOp>(loc, inBounds, /*withElseRegion=*/false);
    b.setInsertionPointToStart(inside.thenBlock());
  }
  Value buffer = out;
  for (Epilogue stage : epilogues) {
    if (!stage.replacesPrevious)
      b.create<memref::StoreOp>(loc, value, buffer, indices);
    SmallVector<Value> dims = indices;
    if (!stage.sameIndices) {
      // Through the reshapes: the same linear index in the stage's shape.
      auto from = cast<MemRefType>(buffer.getType());
      Value linear = b.create<arith::ConstantIndexOp>(loc, 0);
      for (auto [index, size] : llvm::zip(indices, from.getShape()))
        linear = b.create<arith::AddIOp>(
            loc, b.create<arith::MulIOp>(loc, linear, b.create<arith::ConstantIndexOp>(loc, size)),
            index);
      SmallVector<int64_t> ranges = stage.op.getStaticLoopRanges();
      dims.assign(ranges.size(), nullptr);
      for (int64_t dim = static_cast<int64_t>(ranges.size()) - 1; dim >= 0; --dim) {
        Value size = b.create<arith::ConstantIndexOp>(loc, ranges[dim]);
        dims[dim] = dim == 0 ? linear : b.create<arith::RemUIOp>(loc, linear, size);
        linear = b.create<arith::DivUIOp>(loc, linear, size);
      }
    }
    value = computePayloadWith(b, stage.op, dims, /*outValue=*/nullptr,
                               [&](OpOperand *in) { return in == stage.result ? value : Value(); });
    buffer = stage.op.getDpsInitOperand(0)->get();
    indices = dims; // the init's map is the identity
  }
  b.create<memref::StoreOp>(loc, value, buffer, indices);
}

/// Erases `op` and the epilogues its kernel now computes.
void eraseFused(linalg::LinalgOp op, ArrayRef<Epilogue> epilogues) {
  for (Epilogue stage : epilogues)
    stage.op->erase();
  op->erase();
}

/// The memrefs `op` and its fused init read.
SmallVector<Value> readsOf(linalg::LinalgOp op, linalg::LinalgOp init) {
  SmallVector<Value> reads;
  for (linalg::LinalgOp from : {op, init})
    if (from)
      for (OpOperand *in : from.getDpsInputOperands())
        if (isa<MemRefType>(in->get().getType()))
          reads.push_back(in->get());
  return reads;
}

/// A contraction computed by blocks of threads that stage their inputs'
/// tiles in shared memory (the classic GPU matmul): each block owns a
/// (16 x rowTile) x (16 x colTile) tile of the output; per chunk of up to
/// kChunk reduction steps its 256 threads copy the chunk of every input that
/// varies along only one of the two tile dims into shared memory
/// (neighbouring threads, neighbouring global addresses), synchronize, and
/// each accumulates its rowTile x colTile points, 16 rows and 16 columns
/// apart (neighbouring threads read neighbouring shared words and write
/// neighbouring output elements), from there. Each value staged serves 16 x
/// tile points instead of tile.
struct SharedTiles {
  TileShape shape;
  int64_t reductionDim;
  int64_t chunk;                  // reduction steps per stage
  SmallVector<int64_t> batchDims; // the other parallel dims, on grid z
  int64_t batch;                  // their iterations: grid z
  struct Staged {
    OpOperand *input;
    int64_t tileDim;     // shape.rowDim or shape.colDim
    int64_t extent;      // of the tile along tileDim
    bool chunkFastest;   // the reduction dim is the input's contiguous one
  };
  SmallVector<Staged> staged;
};

constexpr int64_t kThreadsPerSide = 16;
constexpr int64_t kChunk = 16;

std::optional<SharedTiles> planSharedTiles(linalg::LinalgOp op, ArrayRef<int64_t> ranges,
                                           const TileShape &shape) {
  if (shape.rowDim < 0 || shape.colDim < 0 || op.getNumReductionLoops() != 1 ||
      ranges[shape.rowDim] < kThreadsPerSide || ranges[shape.colDim] < kThreadsPerSide)
    return std::nullopt;
  SharedTiles tiles{shape, -1, 0, {}, 1, {}};
  for (auto [dim, iterator] : llvm::enumerate(op.getIteratorTypesArray())) {
    if (iterator == utils::IteratorType::reduction)
      tiles.reductionDim = dim;
    else if (static_cast<int64_t>(dim) != shape.rowDim && static_cast<int64_t>(dim) != shape.colDim)
      tiles.batchDims.push_back(dim);
  }
  int64_t steps = ranges[tiles.reductionDim];
  if (steps < 8)
    return std::nullopt;
  tiles.chunk = std::min(kChunk, steps);
  for (int64_t dim : tiles.batchDims)
    tiles.batch *= ranges[dim];
  if (tiles.batch > 65535)
    return std::nullopt;
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (!isa<MemRefType>(in->get().getType()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(in);
    bool alongRows = map.isFunctionOfDim(shape.rowDim);
    bool alongCols = map.isFunctionOfDim(shape.colDim);
    if (alongRows && alongCols)
      return std::nullopt; // a value per output point: nothing to share
    if (!alongRows && !alongCols)
      continue; // loaded where it is used
    int64_t tileDim = alongRows ? shape.rowDim : shape.colDim;
    int64_t extent = kThreadsPerSide * (alongRows ? shape.rowTile : shape.colTile);
    bool chunkFastest = map.getNumResults() > 0 &&
                        map.getResults().back().isFunctionOfDim(tiles.reductionDim) &&
                        !map.getResults().back().isFunctionOfDim(tileDim);
    tiles.staged.push_back({in, tileDim, extent, chunkFastest});
  }
  if (tiles.staged.empty())
    return std::nullopt;
  return tiles;
}

void rewriteWithSharedTiles(linalg::LinalgOp op, const SharedTiles &tiles) {
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  const TileShape &shape = tiles.shape;
  OpOperand *out = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(out);
  int64_t k = tiles.reductionDim, steps = ranges[k], chunk = tiles.chunk;
  int64_t blockRows = kThreadsPerSide * shape.rowTile;
  int64_t blockCols = kThreadsPerSide * shape.colTile;
  int64_t threads = kThreadsPerSide * kThreadsPerSide;

  linalg::LinalgOp init = fusableInit(op); // before anything is built in between
  SmallVector<Epilogue> epilogues = fusableEpilogues(op, readsOf(op, init));

  OpBuilder b(op);
  auto constant = [&](OpBuilder &at, int64_t v) -> Value {
    return at.create<arith::ConstantIndexOp>(loc, v);
  };
  auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  SmallVector<Type> sharedTypes;
  for (const SharedTiles::Staged &staged : tiles.staged) {
    Type element = getElementTypeOrSelf(staged.input->get().getType());
    // A row of one more element when the chunk runs along threads: their
    // stores then fall into different banks.
    sharedTypes.push_back(MemRefType::get({chunk, staged.extent + (staged.chunkFastest ? 1 : 0)},
                                          element, MemRefLayoutAttrInterface{}, workgroup));
  }
  auto launch = b.create<gpu::LaunchOp>(
      loc, constant(b, llvm::divideCeil(ranges[shape.colDim], blockCols)),
      constant(b, llvm::divideCeil(ranges[shape.rowDim], blockRows)), constant(b, tiles.batch),
      constant(b, kThreadsPerSide), constant(b, kThreadsPerSide), constant(b, 1),
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/ValueRange{}, sharedTypes);
  b.setInsertionPointToEnd(&launch.getBody().front());
  b.create<gpu::TerminatorOp>(loc);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value tx = launch.getThreadIds().x, ty = launch.getThreadIds().y;
  Value rowStart = b.create<arith::MulIOp>(loc, launch.getBlockIds().y, constant(b, blockRows));
  Value colStart = b.create<arith::MulIOp>(loc, launch.getBlockIds().x, constant(b, blockCols));

  // The iteration's dims outside the tile: the batch dims from block z.
  SmallVector<Value> base(ranges.size());
  Value rest = launch.getBlockIds().z;
  for (int64_t dim : llvm::reverse(tiles.batchDims)) {
    base[dim] = b.create<arith::RemUIOp>(loc, rest, constant(b, ranges[dim]));
    rest = b.create<arith::DivUIOp>(loc, rest, constant(b, ranges[dim]));
  }
  auto clamp = [&](OpBuilder &at, Value index, int64_t dim) -> Value {
    return at.create<arith::MinUIOp>(loc, index, constant(at, ranges[dim] - 1));
  };

  // The thread's points: rows ty + 16 i, columns tx + 16 j of the block's
  // tile; dims clamped into range (partial tiles), stores guarded.
  struct Point {
    SmallVector<Value> dims;
    Value inBounds; // null: always in bounds
    SmallVector<Value> outIndices;
    int64_t row, col; // within the thread's tile
  };
  auto offsets = [&](Value start, Value thread, int64_t dim, int64_t count) {
    SmallVector<std::pair<Value, Value>> values; // clamped index, fits (or null)
    for (int64_t i = 0; i < count; ++i) {
      Value index = b.create<arith::AddIOp>(
          loc, start, b.create<arith::AddIOp>(loc, thread, constant(b, kThreadsPerSide * i)));
      if (ranges[dim] % (kThreadsPerSide * count) == 0) {
        values.push_back({index, nullptr});
        continue;
      }
      Value fits = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, index,
                                           constant(b, ranges[dim]));
      values.push_back({clamp(b, index, dim), fits});
    }
    return values;
  };
  auto rows = offsets(rowStart, ty, shape.rowDim, shape.rowTile);
  auto cols = offsets(colStart, tx, shape.colDim, shape.colTile);
  SmallVector<Point> points;
  for (auto [i, row] : llvm::enumerate(rows))
    for (auto [j, col] : llvm::enumerate(cols)) {
      Point point{base, nullptr, {}, static_cast<int64_t>(i), static_cast<int64_t>(j)};
      point.dims[shape.rowDim] = row.first;
      point.dims[shape.colDim] = col.first;
      if (row.second && col.second)
        point.inBounds = b.create<arith::AndIOp>(loc, row.second, col.second);
      else
        point.inBounds = row.second ? row.second : col.second;
      point.dims[k] = constant(b, 0);
      point.outIndices = applyMap(b, loc, outMap, point.dims);
      points.push_back(std::move(point));
    }

  SmallVector<Value> accumulators;
  for (Point &point : points)
    accumulators.push_back(startingSum(b, loc, out->get(), init, point.outIndices));
  if (init)
    init->erase();

  Value threadIndex = b.create<arith::AddIOp>(
      loc, b.create<arith::MulIOp>(loc, ty, constant(b, kThreadsPerSide)), tx);
  auto chunks = b.create<scf::ForOp>(
      loc, constant(b, 0), constant(b, steps), constant(b, chunk), accumulators,
      [&](OpBuilder &at, Location, Value chunkStart, ValueRange sums) {
        // Stage: element e of a chunk's tile goes to thread e mod 256.
        for (auto [staged, shared] :
             llvm::zip(tiles.staged, launch.getWorkgroupAttributions())) {
          int64_t elements = chunk * staged.extent;
          Value tileStart = staged.tileDim == shape.rowDim ? rowStart : colStart;
          for (int64_t first = 0; first < elements; first += threads) {
            OpBuilder::InsertionGuard guard(at);
            Value e = at.create<arith::AddIOp>(loc, threadIndex, constant(at, first));
            if (first + threads > elements) {
              Value inside = at.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, e,
                                                      constant(at, elements));
              auto guarded = at.create<scf::IfOp>(loc, inside, /*withElseRegion=*/false);
              at.setInsertionPointToStart(guarded.thenBlock());
            }
            int64_t fastExtent = staged.chunkFastest ? chunk : staged.extent;
            Value fast = at.create<arith::RemUIOp>(loc, e, constant(at, fastExtent));
            Value slow = at.create<arith::DivUIOp>(loc, e, constant(at, fastExtent));
            Value step = staged.chunkFastest ? fast : slow;
            Value along = staged.chunkFastest ? slow : fast;
            SmallVector<Value> dims = base;
            dims[k] = at.create<arith::AddIOp>(loc, chunkStart, step);
            if (steps % chunk != 0)
              dims[k] = clamp(at, dims[k], k);
            dims[staged.tileDim] = at.create<arith::AddIOp>(loc, tileStart, along);
            if (ranges[staged.tileDim] % staged.extent != 0)
              dims[staged.tileDim] = clamp(at, dims[staged.tileDim], staged.tileDim);
            int64_t other = staged.tileDim == shape.rowDim ? shape.colDim : shape.rowDim;
            dims[other] = constant(at, 0); // the input does not depend on it
            AffineMap map = op.getMatchingIndexingMap(staged.input);
            Value value = at.create<memref::LoadOp>(loc, staged.input->get(),
                                                    applyMap(at, loc, map, dims));
            at.create<memref::StoreOp>(loc, value, shared, ValueRange{step, along});
          }
        }
        at.create<gpu::BarrierOp>(loc);
        Value count = constant(at, chunk);
        if (steps % chunk != 0)
          count = at.create<arith::MinUIOp>(
              loc, count, at.create<arith::SubIOp>(loc, constant(at, steps), chunkStart));
        auto inner = at.create<scf::ForOp>(
            loc, constant(at, 0), count, constant(at, 1), sums,
            [&](OpBuilder &in, Location, Value step, ValueRange partial) {
              Value reductionIndex = in.create<arith::AddIOp>(loc, chunkStart, step);
              SmallVector<Value> results;
              for (auto [pointRef, sum] : llvm::zip(points, partial)) {
                const Point &point = pointRef;
                SmallVector<Value> dims = point.dims;
                dims[k] = reductionIndex;
                results.push_back(computePayloadWith(
                    in, op, dims, sum, [&](OpOperand *input) -> Value {
                      for (auto [staged, shared] :
                           llvm::zip(tiles.staged, launch.getWorkgroupAttributions())) {
                        if (staged.input != input)
                          continue;
                        bool alongRows = staged.tileDim == shape.rowDim;
                        int64_t offset = alongRows ? point.row : point.col;
                        Value along = in.create<arith::AddIOp>(
                            loc, alongRows ? ty : tx,
                            constant(in, kThreadsPerSide * offset));
                        return in.create<memref::LoadOp>(loc, shared, ValueRange{step, along});
                      }
                      return nullptr;
                    }));
              }
              in.create<scf::YieldOp>(loc, results);
            });
        at.create<gpu::BarrierOp>(loc);
        at.create<scf::YieldOp>(loc, inner.getResults());
      });

  for (auto [point, sum] : llvm::zip(points, chunks.getResults()))
    storeThroughEpilogues(b, loc, point.inBounds, sum, out->get(), point.outIndices, epilogues);
  eraseFused(op, epilogues);
}

void rewrite(linalg::LinalgOp op, int64_t minThreads) {
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  TileShape shape = chooseTiles(op, ranges, minThreads);
  if (std::optional<SharedTiles> tiles = planSharedTiles(op, ranges, shape)) {
    rewriteWithSharedTiles(op, *tiles);
    return;
  }
  OpOperand *out = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(out);

  linalg::LinalgOp init = fusableInit(op); // before anything is built in between
  SmallVector<Epilogue> epilogues = fusableEpilogues(op, readsOf(op, init));

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

  SmallVector<Value> accumulators;
  for (Point &point : points) {
    point.outIndices = applyMap(b, loc, outMap, point.dims);
    accumulators.push_back(startingSum(b, loc, out->get(), init, point.outIndices));
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

  for (auto [point, sum] : llvm::zip(points, sums))
    storeThroughEpilogues(b, loc, point.inBounds, sum, out->get(), point.outIndices, epilogues);
  eraseFused(op, epilogues);
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
