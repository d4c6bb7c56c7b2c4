//===- VectorizeContractions.cpp - register-tiled matmul kernels ----------===//
//
// Upstream's route (tile_using_for + linalg::vectorize + lower_contraction)
// needs static tiles: on a partial tile MLIR 19 masks the vector.contract and
// then scalarizes it. Convolutions in im2col form have column counts like
// 7 x 7 = 49, so this pass writes the kernel itself, on memrefs, where a
// masked load and store are all a partial tile needs.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/cpu/ParallelOutline.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace lepton {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONS
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

bool isDimOrZero(AffineExpr e) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return c.getValue() == 0;
  return isa<AffineDimExpr>(e);
}

/// A generic computing C[..., m, n] += A[..., m, k] * B[..., k, n], with the
/// roles of its loops.
struct Contraction {
  linalg::GenericOp op;
  unsigned a, b;                // input operand numbers of A and B
  std::optional<unsigned> mDim; // the rows of a tile; none for vector x matrix
  unsigned nDim, kDim;          // vectorized columns, reduction
  SmallVector<unsigned> outerDims;
  SmallVector<int64_t> sizes;
  /// The op right before that only initializes C (a fill, or a broadcast
  /// copy of a bias): the kernel starts its accumulators from its source
  /// instead, saving a pass over C.
  Operation *init = nullptr;
};

/// `op` if it writes all of `c` from a scalar (linalg.fill) or from one input
/// through a map the kernel can load a row from (a broadcast bias), and
/// nothing else; null otherwise.
Operation *fusableInit(Operation *op, Value c) {
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(op))
    return fill.hasPureBufferSemantics() && fill.getDpsInits()[0] == c ? op : nullptr;
  auto copy = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!copy || !copy.hasPureBufferSemantics() || copy.getNumDpsInputs() != 1 ||
      copy.getDpsInits()[0] != c || copy.getDpsInputs()[0] == c ||
      copy.getNumParallelLoops() != copy.getNumLoops() ||
      !copy.getMatchingIndexingMap(copy.getDpsInitOperand(0)).isIdentity())
    return nullptr;
  Block &body = copy.getRegion().front();
  if (body.getOperations().size() != 1 ||
      body.getTerminator()->getOperand(0) != body.getArgument(0))
    return nullptr;
  // Along C's innermost dim the source is read as a contiguous row or not at all.
  AffineMap map = copy.getMatchingIndexingMap(copy.getDpsInputOperand(0));
  unsigned inner = map.getNumDims() - 1;
  auto source = cast<MemRefType>(copy.getDpsInputs()[0].getType());
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (!isDimOrZero(e))
      return nullptr;
    if (e.isFunctionOfDim(inner) &&
        (i + 1 != map.getNumResults() || !isLastMemrefDimUnitStride(source)))
      return nullptr;
  }
  return op;
}

/// The body is exactly `out + in0 * in1` (either operand order).
bool isMultiplyAccumulate(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 3)
    return false;
  auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value other = add.getLhs() == acc ? add.getRhs() : add.getRhs() == acc ? add.getLhs() : nullptr;
  auto mul = other ? other.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return false;
  Value x = body.getArgument(0), y = body.getArgument(1);
  return (mul.getLhs() == x && mul.getRhs() == y) || (mul.getLhs() == y && mul.getRhs() == x);
}

std::optional<Contraction> matchContraction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !isMultiplyAccumulate(op))
    return std::nullopt;
  Type et = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  if (!et.isF32() && !et.isF64())
    return std::nullopt;
  Contraction c{op, 0, 1, std::nullopt, 0, 0, {}, op.getStaticLoopRanges()};
  if (llvm::any_of(c.sizes, ShapedType::isDynamic))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (AffineMap map : maps)
    if (!llvm::all_of(map.getResults(), isDimOrZero))
      return std::nullopt;
  auto innermost = [](AffineMap map) -> std::optional<unsigned> {
    if (map.getNumResults() == 0)
      return std::nullopt;
    if (auto d = dyn_cast<AffineDimExpr>(map.getResults().back()))
      return d.getPosition();
    return std::nullopt;
  };
  // n: the output's innermost dim, which B must also walk innermost.
  std::optional<unsigned> n = innermost(maps[2]);
  if (!n)
    return std::nullopt;
  if (maps[0].isFunctionOfDim(*n))
    std::swap(c.a, c.b);
  AffineMap mapA = maps[c.a], mapB = maps[c.b], mapC = maps[2];
  if (mapA.isFunctionOfDim(*n) || innermost(mapB) != n)
    return std::nullopt;
  c.nDim = *n;
  std::optional<unsigned> k;
  std::optional<int64_t> mPosition;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < c.sizes.size(); ++d) {
    bool inA = mapA.isFunctionOfDim(d), inB = mapB.isFunctionOfDim(d), inC = mapC.isFunctionOfDim(d);
    if (d == *n)
      continue;
    if (!inC) { // a reduction loop: the one k
      if (k || !inA || !inB || iterators[d] != utils::IteratorType::reduction)
        return std::nullopt;
      k = d;
      continue;
    }
    if (iterators[d] != utils::IteratorType::parallel)
      return std::nullopt;
    c.outerDims.push_back(d);
    // m: the innermost output dim that only A reads.
    if (inA && !inB) {
      int64_t position = *mapC.getResultPosition(getAffineDimExpr(d, op.getContext()));
      if (!mPosition || position > *mPosition) {
        mPosition = position;
        c.mDim = d;
      }
    }
  }
  if (!k)
    return std::nullopt;
  c.kDim = *k;
  if (c.mDim)
    llvm::erase(c.outerDims, *c.mDim);
  // Vector loads and stores need unit stride along n.
  for (unsigned operand : {c.b, 2u})
    if (!isLastMemrefDimUnitStride(cast<MemRefType>(op->getOperand(operand).getType())))
      return std::nullopt;
  // The previous op, skipping constants and views, may only initialize C.
  Operation *previous = op->getPrevNode();
  while (previous && (isPure(previous) || isa<ViewLikeOpInterface>(previous)))
    previous = previous->getPrevNode();
  c.init = fusableInit(previous, op.getDpsInits()[0]);
  return c;
}

class KernelEmitter {
public:
  KernelEmitter(Contraction c, int64_t lanes, int64_t rows)
      : c(c), b(c.op.getLoc(), c.op), iv(c.sizes.size()) {
    Type et = getElementTypeOrSelf(c.op.getDpsInits()[0].getType());
    vectorType = VectorType::get({2 * lanes}, et);
    maps = c.op.getIndexingMapsArray();
    operands = llvm::to_vector(c.op->getOperands());
    if (c.init) // operand 3: the fill value or the copied source
      operands.push_back(c.init->getOperand(0));
    int64_t m = c.mDim ? c.sizes[*c.mDim] : 1;
    tileRows = std::min(rows, m);
    rowTasks = llvm::divideCeil(m, tileRows);
    columnTasks = llvm::divideCeil(c.sizes[c.nDim], 2 * lanes);
  }

  /// Emits the kernel in place of the generic, or, when `threads` and the
  /// tiles allow, as function `name`_body over a range of row (or column)
  /// tiles that `name`_parallel hands to lepton_parallel_for; the artifact
  /// writer defines `name`_parallel (see CPUBackend.cpp).
  void emit(bool threads, StringRef name) {
    int64_t perThread = 4; // tiles per thread below which threads do not pay
    split = !threads || !outlinable()    ? Split::None
            : rowTasks >= 2 * perThread    ? Split::Rows
            : columnTasks >= 2 * perThread ? Split::Columns
                                           : Split::None;
    int64_t tasks = split == Split::Rows ? rowTasks : columnTasks;
    std::string shape;
    llvm::raw_string_ostream os(shape);
    llvm::interleave(c.sizes, os, "x");
    if (split == Split::None) {
      // One op, so that leptonc --profile times the kernel as a whole.
      auto region = b.create<scf::ExecuteRegionOp>(TypeRange{});
      region->setAttr(lepton::cpu::kKindAttr, b.getStringAttr("matmul kernel " + shape));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&region.getRegion().emplaceBlock());
      taskBegin = index(0);
      taskEnd = index(tasks);
      outerLoops(0);
      b.create<scf::YieldOp>();
      return;
    }
    func::CallOp call = lepton::cpu::outlineParallel(
        b, b.getLoc(), name, tasks, SmallVector<Value>(operands),
        [&](OpBuilder &, Value begin, Value end, ValueRange captured) {
          taskBegin = begin;
          taskEnd = end;
          operands = llvm::to_vector(captured);
          outerLoops(0);
        });
    call->setAttr(lepton::cpu::kKindAttr,
                  b.getStringAttr("matmul kernel " + shape + " (threads)"));
  }

private:
  enum class Split { None, Rows, Columns };

  bool outlinable() { return llvm::all_of(operands, lepton::cpu::canCapture); }

  Value index(int64_t v) { return b.create<arith::ConstantIndexOp>(v); }

  void forLoop(Value lb, Value ub, int64_t step, function_ref<void(Value)> body) {
    auto loop = b.create<scf::ForOp>(lb, ub, index(step));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVar());
  }

  /// Runs `body` in the task range's last task only (always when serial).
  void inLastTask(int64_t tasks, function_ref<void()> body) {
    auto last = b.create<arith::CmpIOp>(arith::CmpIPredicate::eq, taskEnd, index(tasks));
    auto ifOp = b.create<scf::IfOp>(last, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    body();
  }

  /// The loop bounds over full tiles of `size` elements `step` apart that
  /// this task range covers when the split is along them.
  std::pair<Value, Value> tileRange(bool split, int64_t size, int64_t step) {
    int64_t full = size / step * step;
    if (!split)
      return {index(0), index(full)};
    Value lb = b.create<arith::MulIOp>(taskBegin, index(step));
    Value ub = b.create<arith::MinSIOp>(b.create<arith::MulIOp>(taskEnd, index(step)),
                                        index(full));
    return {lb, ub};
  }

  SmallVector<Value> indices(AffineMap map) {
    SmallVector<Value> result;
    for (AffineExpr e : map.getResults())
      result.push_back(isa<AffineDimExpr>(e) ? iv[cast<AffineDimExpr>(e).getPosition()]
                                             : index(0));
    return result;
  }
  Value operand(unsigned i) { return operands[i]; }

  void outerLoops(size_t depth) {
    if (depth < c.outerDims.size()) {
      unsigned d = c.outerDims[depth];
      forLoop(index(0), index(c.sizes[d]), 1, [&](Value v) {
        iv[d] = v;
        outerLoops(depth + 1);
      });
      return;
    }
    // Column tiles outermost, so one panel of B serves every row tile.
    int64_t width = vectorType.getNumElements(), n = c.sizes[c.nDim];
    auto [lb, ub] = tileRange(split == Split::Columns, n, width);
    forLoop(lb, ub, width, [&](Value n0) { rowTiles(n0, nullptr); });
    if (n % width) {
      auto tail = [&] {
        auto maskType = VectorType::get({width}, b.getI1Type());
        Value mask = b.create<vector::CreateMaskOp>(maskType, ValueRange{index(n % width)});
        rowTiles(index(n / width * width), mask);
      };
      split == Split::Columns ? inLastTask(columnTasks, tail) : tail();
    }
  }

  void rowTiles(Value n0, Value mask) {
    int64_t m = c.mDim ? c.sizes[*c.mDim] : 1;
    auto [lb, ub] = tileRange(split == Split::Rows, m, tileRows);
    forLoop(lb, ub, tileRows, [&](Value m0) { tile(m0, tileRows, n0, mask); });
    if (m % tileRows) {
      auto tail = [&] { tile(index(m / tileRows * tileRows), m % tileRows, n0, mask); };
      split == Split::Rows ? inLastTask(rowTasks, tail) : tail();
    }
  }

  /// The accumulators' start for the current row: C, or what the fused
  /// initialization would have written there.
  Value initialRow(function_ref<Value(Value, AffineMap)> load) {
    if (!c.init)
      return load(operand(2), maps[2]);
    if (auto fill = dyn_cast<linalg::FillOp>(c.init))
      return b.create<vector::BroadcastOp>(vectorType, operand(3));
    // The copy's loops are C's dims: compose its source map with C's indices.
    AffineMap source = cast<linalg::GenericOp>(c.init).getIndexingMapsArray()[0];
    SmallVector<Value> at = indices(maps[2]);
    SmallVector<Value> where;
    for (AffineExpr e : source.getResults())
      where.push_back(isa<AffineDimExpr>(e) ? at[cast<AffineDimExpr>(e).getPosition()]
                                            : index(0));
    if (source.isFunctionOfDim(source.getNumDims() - 1)) {
      AffineMap rowMap = AffineMap::getMultiDimIdentityMap(where.size(), b.getContext());
      SmallVector<Value> saved = std::exchange(iv, where);
      Value row = load(operand(3), rowMap);
      iv = saved;
      return row;
    }
    return b.create<vector::BroadcastOp>(vectorType,
                                         b.create<memref::LoadOp>(operand(3), where));
  }

  /// C[m0 .. m0 + count, n0 .. n0 + width] += A[m0.., :] * B[:, n0..] with the
  /// tile in registers across the whole reduction.
  void tile(Value m0, int64_t count, Value n0, Value mask) {
    iv[c.nDim] = n0;
    auto setRow = [&](int64_t r) {
      if (c.mDim)
        iv[*c.mDim] = b.create<arith::AddIOp>(m0, index(r));
    };
    Value zero = b.create<arith::ConstantOp>(
        vectorType, DenseElementsAttr::get(vectorType, b.getZeroAttr(vectorType.getElementType())));
    auto load = [&](Value memref, AffineMap map) -> Value {
      if (mask)
        return b.create<vector::MaskedLoadOp>(vectorType, memref, indices(map), mask, zero);
      return b.create<vector::LoadOp>(vectorType, memref, indices(map));
    };
    SmallVector<Value> acc;
    for (int64_t r = 0; r < count; ++r) {
      setRow(r);
      acc.push_back(initialRow(load));
    }
    auto loop = b.create<scf::ForOp>(index(0), index(c.sizes[c.kDim]), index(1), acc);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      iv[c.kDim] = loop.getInductionVar();
      Value row = load(operand(c.b), maps[c.b]);
      SmallVector<Value> next;
      for (int64_t r = 0; r < count; ++r) {
        setRow(r);
        Value x = b.create<memref::LoadOp>(operand(c.a), indices(maps[c.a]));
        Value splat = b.create<vector::BroadcastOp>(vectorType, x);
        next.push_back(b.create<vector::FMAOp>(splat, row, loop.getRegionIterArg(r)));
      }
      b.create<scf::YieldOp>(next);
    }
    for (int64_t r = 0; r < count; ++r) {
      setRow(r);
      if (mask)
        b.create<vector::MaskedStoreOp>(operand(2), indices(maps[2]), mask, loop.getResult(r));
      else
        b.create<vector::StoreOp>(loop.getResult(r), operand(2), indices(maps[2]));
    }
  }

  Contraction c;
  ImplicitLocOpBuilder b;
  SmallVector<Value> iv;       // the current value of every loop of the generic
  SmallVector<Value> operands; // A, B, C as the kernel sees them
  SmallVector<AffineMap> maps;
  VectorType vectorType;
  int64_t tileRows, rowTasks, columnTasks;
  Split split = Split::None;
  Value taskBegin, taskEnd; // the range of tiles along the split
};

struct VectorizeContractionsPass
    : lepton::impl::VectorizeContractionsBase<VectorizeContractionsPass> {
  using VectorizeContractionsBase::VectorizeContractionsBase;

  void runOnOperation() override {
    SmallVector<Contraction> found;
    getOperation().walk([&](linalg::GenericOp op) {
      if (auto c = matchContraction(op))
        found.push_back(*c);
    });
    for (auto [i, c] : llvm::enumerate(found)) {
      int64_t flops = 2;
      for (int64_t size : c.sizes)
        flops *= size;
      std::string name =
          (c.op->getParentOfType<func::FuncOp>().getSymName() + "_kernel" + Twine(i)).str();
      int64_t bits = cast<ShapedType>(c.op.getDpsInits()[0].getType()).getElementTypeBitWidth();
      int64_t lanes = std::max<int64_t>(1, vectorBits / bits);
      // Two vectors per row; keep a few registers for B's row and the splat.
      int64_t rows = std::clamp<int64_t>(vectorRegisters / 2 - 2, 1, 12);
      KernelEmitter(c, lanes, rows).emit(threads && flops >= parallelMinFlops, name);
      c.op.erase();
      if (c.init)
        c.init->erase();
    }
  }
};

} // namespace
