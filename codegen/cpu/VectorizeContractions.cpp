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
#include "codegen/cpu/SparseWeights.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
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

/// A generic computing C[..., m, n] += A[...] * B[..., s * n + ...] (a matmul, or a
/// window for depthwise convolutions), with the
/// roles of its loops.
/// How an input's elements become accumulator elements: as they are, or
/// extended from a narrower integer by their signedness.
enum class Widening { None, Signed, Unsigned };

/// An epilogue input indexed by one loop of the epilogue, d_k, alone (at
/// result `position` of its map): element (flat / block) % size of it
/// belongs to element `flat` of C, where block is the product of the
/// epilogue's sizes after d_k.
struct EpilogueParameter {
  unsigned input, position;
  int64_t block, size;
};

/// A buffer that only exists to pad another, as a bufferized tensor.pad
/// leaves it: filled with a constant, then `source` copied into its interior
/// at `low`, and read by nothing but the kernel (through `reshapes`, B's
/// expand_shapes from B outwards). The kernel reads `source` instead, with
/// masked loads that give the pad value outside it, so that neither the
/// fill nor the copy runs and the padded buffer is never allocated.
struct PaddedSource {
  Value source, value;
  SmallVector<int64_t> low;
  SmallVector<memref::ExpandShapeOp> reshapes;
  memref::AllocOp buffer;
  Operation *fill, *copy;
  memref::SubViewOp interior;
};

struct Contraction {
  linalg::GenericOp op;
  unsigned a, b;                // input operand numbers of A and B
  Widening widenA = Widening::None, widenB = Widening::None;
  std::optional<unsigned> mDim; // the rows of a tile; none for vector x matrix
  unsigned nDim;                // vectorized columns
  SmallVector<unsigned> kDims;  // reductions, outermost first
  int64_t bStride = 1;          // B's innermost index is bStride * n + (no n)
  SmallVector<unsigned> outerDims;
  SmallVector<int64_t> sizes;
  /// The op right before that only initializes C (a fill, or a broadcast
  /// copy of a bias): the kernel starts its accumulators from its source
  /// instead, saving a pass over C.
  Operation *init = nullptr;
  /// The elementwise op right after that only transforms C (an activation):
  /// the kernel applies it to its accumulators and stores the result to its
  /// output, saving two passes; C itself is still written when `keepC`.
  linalg::GenericOp epilogue;
  /// The epilogue's other inputs: one value per output channel (a
  /// per-channel requantization's multipliers), each constant along a row of
  /// C, so the kernel loads it once per tile row.
  SmallVector<EpilogueParameter> epilogueParameters;
  bool keepC = true;
  /// B is a padded copy of another buffer, which the kernel reads instead.
  std::optional<PaddedSource> padded;
  /// C = max(C, B): a max pooling, whose A (the window's shape) is not read.
  bool maximum = false;
  /// A is a constant matrix mostly of zeros (a pruned layer's weights), read
  /// from these tables instead, so that only its nonzeros are multiplied.
  std::optional<lepton::cpu::SparseRows> sparse;
};

/// Whether every use of `v`, also through views of it, is one of `allowed`.
bool onlyUsedBy(Value v, const SmallPtrSetImpl<Operation *> &allowed) {
  for (Operation *user : v.getUsers()) {
    if (allowed.contains(user))
      continue;
    auto view = dyn_cast<ViewLikeOpInterface>(user);
    if (!view || view.getViewSource() != v || !onlyUsedBy(user->getResult(0), allowed))
      return false;
  }
  return true;
}

/// The buffer `v` is a whole view of: through reshapes up to an arena buffer
/// (memref.view) or an argument.
Value rootOf(Value v) {
  while (auto reshape = v.getDefiningOp<ViewLikeOpInterface>()) {
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(reshape))
      break;
    v = reshape.getViewSource();
  }
  return v;
}

/// Whether two buffers may share bytes: the same buffer, or arena views
/// whose planned ranges overlap (arguments are distinct buffers).
bool mayOverlap(Value x, Value y) {
  x = rootOf(x);
  y = rootOf(y);
  if (x == y)
    return true;
  auto range = [](Value v) -> std::optional<std::pair<int64_t, int64_t>> {
    auto view = v.getDefiningOp<memref::ViewOp>();
    if (!view)
      return std::nullopt;
    std::optional<int64_t> shift = getConstantIntValue(view.getByteShift());
    auto type = cast<MemRefType>(v.getType());
    if (!shift || !type.hasStaticShape())
      return std::pair<int64_t, int64_t>{0, INT64_MAX};
    return std::pair<int64_t, int64_t>{
        *shift, *shift + type.getNumElements() * type.getElementTypeBitWidth() / 8};
  };
  auto rx = range(x), ry = range(y);
  if (!rx || !ry)
    return false;
  return rx->first < ry->second && ry->first < rx->second;
}

/// `op` if it reads all of `c` (or a reshape of it) and maps each element
/// through elementwise arithmetic and constants into a contiguous output as
/// large as C, element i to element i; it may also read one value per
/// channel (`parameters`) where each row of C lies within one channel.
linalg::GenericOp fusableEpilogue(Operation *op, Value c,
                                  SmallVectorImpl<EpilogueParameter> &parameters) {
  auto g = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!g || !g.hasPureBufferSemantics() || g.getNumDpsInputs() < 1 ||
      g.getNumDpsInits() != 1 || g.getNumParallelLoops() != g.getNumLoops() ||
      !g.getMatchingIndexingMap(g.getDpsInputOperand(0)).isIdentity() ||
      !g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity())
    return {};
  Value in = g.getDpsInputs()[0], out = g.getDpsInits()[0];
  using lepton::cpu::isContiguous;
  auto cType = cast<MemRefType>(c.getType());
  if (!isContiguous(c) || !isContiguous(in) || !isContiguous(out) || rootOf(in) != rootOf(c) ||
      cast<MemRefType>(in.getType()).getNumElements() != cType.getNumElements() ||
      cast<MemRefType>(out.getType()).getShape() != cast<MemRefType>(in.getType()).getShape())
    return {};
  ArrayRef<int64_t> sizes = cast<MemRefType>(in.getType()).getShape();
  parameters.clear();
  for (unsigned i = 1; i < g.getNumDpsInputs(); ++i) {
    AffineMap map = g.getMatchingIndexingMap(g.getDpsInputOperand(i));
    auto type = dyn_cast<MemRefType>(g.getDpsInputs()[i].getType());
    if (!type || !type.hasStaticShape() || rootOf(g.getDpsInputs()[i]) == rootOf(c))
      return {};
    std::optional<EpilogueParameter> parameter;
    for (auto [position, e] : llvm::enumerate(map.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      if (dim && sizes[dim.getPosition()] > 1) {
        if (parameter)
          return {};
        unsigned d = dim.getPosition();
        int64_t block = 1;
        for (int64_t size : sizes.drop_front(d + 1))
          block *= size;
        parameter = EpilogueParameter{i, unsigned(position), block, sizes[d]};
        if (type.getDimSize(position) != sizes[d])
          return {};
      } else if (!isDimOrZero(e) || type.getDimSize(position) != 1) {
        return {};
      }
    }
    // Every row of C (its innermost dim) within one block. Rows shorter than
    // 32 (a depthwise convolution's 14-wide rows) ran slower fused: the
    // separate pass sees whole vectors.
    if (!parameter || parameter->block % cType.getShape().back() != 0 ||
        cType.getShape().back() < 32)
      return {};
    parameters.push_back(*parameter);
  }
  Block &body = g.getRegion().front();
  if (!body.getArgument(g.getNumDpsInputs()).use_empty())
    return {};
  for (Operation &inner : body.without_terminator()) {
    if (inner.hasTrait<OpTrait::ConstantLike>())
      continue;
    if (!OpTrait::hasElementwiseMappableTraits(&inner) || inner.getNumResults() == 0)
      return {};
    for (Value v : inner.getOperands()) {
      Operation *def = v.getDefiningOp();
      bool input = isa<BlockArgument>(v) && cast<BlockArgument>(v).getOwner() == &body;
      if (!input && !(def && def->getBlock() == &body) &&
          !(def && def->hasTrait<OpTrait::ConstantLike>()))
        return {};
    }
  }
  return g;
}

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

/// How inputs 0 and 1 are widened when the body is exactly `out + in0 * in1`
/// (either operand order): floats, or integers each possibly extended to the
/// accumulator first (the quantized products). None for any other body.
std::optional<std::pair<Widening, Widening>> multiplyAccumulate(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  Value result = body.getTerminator()->getOperand(0), acc = body.getArgument(2);
  Operation *add = result.getDefiningOp();
  if (!isa_and_nonnull<arith::AddFOp, arith::AddIOp>(add))
    return std::nullopt;
  Value other = add->getOperand(0) == acc   ? add->getOperand(1)
                : add->getOperand(1) == acc ? add->getOperand(0)
                                            : nullptr;
  Operation *mul = other ? other.getDefiningOp() : nullptr;
  if (!mul || !(isa<arith::AddFOp>(add) ? isa<arith::MulFOp>(mul) : isa<arith::MulIOp>(mul)))
    return std::nullopt;
  size_t ops = 3;
  // The block argument a factor reads, and how it is widened.
  auto factor = [&](Value v) -> std::pair<Value, Widening> {
    Operation *def = v.getDefiningOp();
    if (isa_and_nonnull<arith::ExtSIOp, arith::ExtUIOp>(def) && def->getBlock() == &body) {
      ++ops;
      return {def->getOperand(0),
              isa<arith::ExtSIOp>(def) ? Widening::Signed : Widening::Unsigned};
    }
    return {v, Widening::None};
  };
  auto [x, wx] = factor(mul->getOperand(0));
  auto [y, wy] = factor(mul->getOperand(1));
  if (body.getOperations().size() != ops)
    return std::nullopt;
  Value in0 = body.getArgument(0), in1 = body.getArgument(1);
  if (x == in0 && y == in1)
    return std::pair{wx, wy};
  if (x == in1 && y == in0)
    return std::pair{wy, wx};
  return std::nullopt;
}

/// The coefficient s when `e` is s * d + (an expression without d), s > 0.
std::optional<int64_t> linearCoefficient(AffineExpr e, unsigned d, unsigned numDims) {
  MLIRContext *ctx = e.getContext();
  SmallVector<AffineExpr> at(numDims, getAffineConstantExpr(0, ctx));
  auto valueAt = [&](int64_t x) -> std::optional<int64_t> {
    at[d] = getAffineConstantExpr(x, ctx);
    auto c = dyn_cast<AffineConstantExpr>(simplifyAffineExpr(e.replaceDims(at), 0, 0));
    return c ? std::optional<int64_t>(c.getValue()) : std::nullopt;
  };
  std::optional<int64_t> v0 = valueAt(0), v1 = valueAt(1);
  if (!v0 || !v1 || *v1 - *v0 <= 0)
    return std::nullopt;
  int64_t s = *v1 - *v0;
  AffineExpr rest = simplifyAffineExpr(e - getAffineDimExpr(d, ctx) * s, numDims, 0);
  return rest.isFunctionOfDim(d) ? std::nullopt : std::optional<int64_t>(s);
}

/// Every op using `root` or a view of it.
void usersThroughViews(Value root, SmallVectorImpl<Operation *> &users) {
  for (Operation *user : root.getUsers()) {
    users.push_back(user);
    if (isa<ViewLikeOpInterface>(user))
      for (Value r : user->getResults())
        usersThroughViews(r, users);
  }
}

/// The padding `b`, input `bOperand` of `op`, is a copy of, if any.
std::optional<PaddedSource> matchPaddedSource(linalg::GenericOp op, unsigned bOperand) {
  PaddedSource p;
  Value v = op->getOperand(bOperand);
  while (auto reshape = v.getDefiningOp<memref::ExpandShapeOp>()) {
    // The innermost index (the vector lanes) must stay the innermost.
    if (!v.hasOneUse() || reshape.getReassociationIndices().back().size() != 1)
      return std::nullopt;
    p.reshapes.push_back(reshape);
    v = reshape.getSrc();
  }
  p.buffer = v.getDefiningOp<memref::AllocOp>();
  if (!p.buffer || p.buffer->getBlock() != op->getBlock() || !p.buffer.getType().hasStaticShape())
    return std::nullopt;
  Operation *reader = p.reshapes.empty() ? op.getOperation() : p.reshapes.back();
  p.fill = p.copy = nullptr;
  for (Operation *user : p.buffer->getUsers()) {
    if (user == reader && (!p.reshapes.empty() || op->getOperand(bOperand) == v))
      continue;
    if (auto fill = dyn_cast<linalg::FillOp>(user); fill && !p.fill &&
                                                    fill.getDpsInits()[0] == v) {
      p.fill = fill;
      p.value = fill.getInputs()[0];
    } else if (auto map = dyn_cast<linalg::MapOp>(user);
               map && !p.fill && map.getInputs().empty() && map.getInit() == v) {
      Value yielded = map.getMapper().front().getTerminator()->getOperand(0);
      if (!yielded.getParentRegion()->isProperAncestor(&map.getMapper()))
        return std::nullopt;
      p.fill = map;
      p.value = yielded;
    } else if (auto interior = dyn_cast<memref::SubViewOp>(user);
               interior && !p.interior && interior->hasOneUse()) {
      p.interior = interior;
    } else {
      return std::nullopt;
    }
  }
  if (!p.fill || !p.interior || !p.value.getType().isIntOrFloat() ||
      !llvm::all_of(p.interior.getStaticStrides(), [](int64_t s) { return s == 1; }) ||
      ShapedType::isDynamicShape(p.interior.getStaticOffsets()))
    return std::nullopt;
  auto copy = dyn_cast<linalg::CopyOp>(*p.interior->getUsers().begin());
  if (!copy || copy.getOutputs()[0] != p.interior.getResult())
    return std::nullopt;
  p.copy = copy;
  p.source = copy.getInputs()[0];
  p.low = llvm::to_vector(p.interior.getStaticOffsets());
  auto sourceType = dyn_cast<MemRefType>(p.source.getType());
  if (!sourceType || !lepton::cpu::isContiguous(p.source) ||
      sourceType.getShape() != p.interior.getType().getShape() ||
      p.fill->getBlock() != op->getBlock() || copy->getBlock() != op->getBlock() ||
      !p.fill->isBeforeInBlock(copy) || !copy->isBeforeInBlock(op))
    return std::nullopt;
  // The source must hold the same values when the kernel runs as when it
  // was copied: nothing in between may touch it.
  SmallVector<Operation *> users;
  usersThroughViews(rootOf(p.source), users);
  Block *block = op->getBlock();
  for (Operation *user : users) {
    Operation *top = block->findAncestorOpInBlock(*user);
    if (top && copy->isBeforeInBlock(top) && top->isBeforeInBlock(op))
      return std::nullopt;
  }
  return p;
}

/// The input a float max pooling's body `max(out, in)` reads (the other
/// input only gives the window its shape), if that is the body.
std::optional<unsigned> windowMaximum(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto max = dyn_cast_or_null<arith::MaximumFOp>(
      body.getTerminator()->getOperand(0).getDefiningOp());
  if (!max || body.getOperations().size() != 2)
    return std::nullopt;
  Value acc = body.getArgument(2);
  Value other = max.getLhs() == acc ? max.getRhs() : max.getRhs() == acc ? max.getLhs() : nullptr;
  for (unsigned i = 0; i < 2; ++i)
    if (other == body.getArgument(i))
      return i;
  return std::nullopt;
}

std::optional<Contraction> matchContraction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return std::nullopt;
  std::optional<std::pair<Widening, Widening>> widening = multiplyAccumulate(op);
  std::optional<unsigned> pooled = widening ? std::nullopt : windowMaximum(op);
  Type et = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  if (pooled && (et.isF32() || et.isF64()))
    widening = std::pair{Widening::None, Widening::None};
  if (!widening || !(et.isF32() || et.isF64() || et.isInteger(32)))
    return std::nullopt;
  Contraction c{op, 0, 1, widening->first, widening->second, std::nullopt, 0, {}, 1, {},
                op.getStaticLoopRanges()};
  c.maximum = pooled.has_value();
  if (llvm::any_of(c.sizes, ShapedType::isDynamic))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  // C is indexed by loops; A and B by any affine function of them (windows).
  if (!llvm::all_of(maps[2].getResults(), isDimOrZero))
    return std::nullopt;
  std::optional<unsigned> n;
  if (maps[2].getNumResults() > 0)
    if (auto d = dyn_cast<AffineDimExpr>(maps[2].getResults().back()))
      n = d.getPosition();
  if (!n)
    return std::nullopt;
  if (pooled ? *pooled == 0 : maps[0].isFunctionOfDim(*n)) {
    std::swap(c.a, c.b);
    std::swap(c.widenA, c.widenB);
  }
  AffineMap mapA = maps[c.a], mapB = maps[c.b], mapC = maps[2];
  // n: the output's innermost dim, which B walks innermost (s elements apart).
  if (mapA.isFunctionOfDim(*n) || mapB.getNumResults() == 0)
    return std::nullopt;
  for (AffineExpr e : mapB.getResults().drop_back())
    if (e.isFunctionOfDim(*n))
      return std::nullopt;
  std::optional<int64_t> stride = linearCoefficient(mapB.getResults().back(), *n, c.sizes.size());
  if (!stride)
    return std::nullopt;
  c.nDim = *n;
  c.bStride = *stride;
  std::optional<int64_t> mPosition;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < c.sizes.size(); ++d) {
    bool inA = mapA.isFunctionOfDim(d), inB = mapB.isFunctionOfDim(d),
         inC = mapC.isFunctionOfDim(d);
    if (d == *n)
      continue;
    if (!inC) { // a reduction loop
      if (iterators[d] != utils::IteratorType::reduction)
        return std::nullopt;
      c.kDims.push_back(d);
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
  if (c.kDims.empty())
    return std::nullopt;
  if (c.mDim)
    llvm::erase(c.outerDims, *c.mDim);
  // Vector loads and stores need unit stride along n.
  for (unsigned operand : {c.b, 2u})
    if (!isLastMemrefDimUnitStride(cast<MemRefType>(op->getOperand(operand).getType())))
      return std::nullopt;
  c.padded = matchPaddedSource(op, c.b);
  // The previous op, skipping constants and views, may only initialize C.
  Operation *previous = op->getPrevNode();
  while (previous && (isPure(previous) || isa<ViewLikeOpInterface>(previous)))
    previous = previous->getPrevNode();
  c.init = fusableInit(previous, op.getDpsInits()[0]);
  Operation *next = op->getNextNode();
  while (next && (isPure(next) || isa<memref::AllocOp>(next)))
    next = next->getNextNode();
  c.epilogue = fusableEpilogue(next, op.getDpsInits()[0], c.epilogueParameters);
  // Its output and per-channel inputs must be computable before the kernel
  // (views and statically shaped allocations only).
  std::function<bool(Value)> available = [&](Value v) {
    Operation *def = v.getDefiningOp();
    return !def || def->getBlock() != op->getBlock() || def->isBeforeInBlock(op) ||
           ((isPure(def) || isa<memref::AllocOp>(def)) &&
            llvm::all_of(def->getOperands(), available));
  };
  // The kernel writes the epilogue's output while it still reads A and B
  // (the planner may have given that output their bytes, as they die here).
  if (c.epilogue &&
      (!llvm::all_of(c.epilogue->getOperands().drop_front(), available) ||
       llvm::any_of(op.getDpsInputs(), [&](Value in) {
         return mayOverlap(in, c.epilogue.getDpsInits()[0]);
       })))
    c.epilogue = {};
  if (c.epilogue) {
    // C need not be written when the epilogue overwrites it in place, or
    // when nothing else reads the arena buffer it lives in.
    Value root = rootOf(op.getDpsInits()[0]);
    SmallPtrSet<Operation *, 4> users = {op, c.epilogue};
    if (c.init)
      users.insert(c.init);
    c.keepC = rootOf(c.epilogue.getDpsInits()[0]) != root &&
              !(isa_and_present<memref::AllocOp, memref::ViewOp>(root.getDefiningOp()) &&
                onlyUsedBy(root, users));
  }
  // Nor may it write the padding's source while reading it (bufferization
  // reuses a dead source's bytes for later outputs of its size).
  if (c.padded && (mayOverlap(c.padded->source, op.getDpsInits()[0]) ||
                   (c.epilogue && mayOverlap(c.padded->source, c.epilogue.getDpsInits()[0]))))
    c.padded.reset();
  return c;
}

class KernelEmitter {
public:
  /// `byteDot`: the LLVM intrinsic of the target's unsigned-by-signed byte
  /// dot product on `lanes` int32 lanes, or empty; `wordDot`: that of its
  /// signed 16-bit pair dot product (used without a byte one), or empty.
  /// A sparse kernel's tile is `sparseTileRows` rows of `sparseParts` times
  /// two vectors.
  KernelEmitter(Contraction c, int64_t lanes, int64_t rows, int64_t sparseParts,
                int64_t sparseTileRows, StringRef byteDot, StringRef wordDot)
      : c(c), b(c.op.getLoc(), c.op), iv(c.sizes.size()), sparseParts(sparseParts) {
    Type et = getElementTypeOrSelf(c.op.getDpsInits()[0].getType());
    vectorType = VectorType::get({2 * lanes}, et);
    maps = c.op.getIndexingMapsArray();
    operands = llvm::to_vector(c.op->getOperands());
    if (c.init) // operand 3: the fill value or the copied source
      operands.push_back(c.init->getOperand(0));
    if (c.padded) { // B's source instead of B, and the pad value
      operands[c.b] = c.padded->source;
      padValue = operands.size();
      operands.push_back(c.padded->value);
    }
    if (c.epilogue) { // the epilogue's output, then its per-channel inputs
      epilogueOutput = operands.size();
      operands.push_back(c.epilogue.getDpsInits()[0]);
      for (const EpilogueParameter &p : c.epilogueParameters)
        operands.push_back(c.epilogue.getDpsInputs()[p.input]);
    }
    int64_t m = c.mDim ? c.sizes[*c.mDim] : 1;
    tileRows = std::min(c.sparse ? sparseTileRows : rows, m);
    rowTasks = llvm::divideCeil(m, tileRows);
    columnTasks = llvm::divideCeil(c.sizes[c.nDim], (c.sparse ? sparseParts : 1) * 2 * lanes);
    if (c.sparse) { // the tables, after A, B, C and the fused ops' operands
      // A itself is never read: a constant holds its place, so that a kernel
      // on the thread pool does not capture (and keep) the dense weights.
      operands[c.a] = index(0);
      sparseTables = operands.size();
      for (memref::GlobalOp table : {c.sparse->starts, c.sparse->columns, c.sparse->values})
        operands.push_back(b.create<memref::GetGlobalOp>(table.getType(), table.getSymName()));
    }
    if (!byteDot.empty() && dotProducts(/*mixedSigns=*/true)) {
      dot = Dot::Bytes;
      dotIntrinsic = byteDot.str();
    } else if (!byteDot.empty() && windowTaps()) {
      dot = Dot::Window;
      dotIntrinsic = byteDot.str();
    } else if (!wordDot.empty() && dotProducts(/*mixedSigns=*/false)) {
      dot = Dot::Words;
      dotIntrinsic = wordDot.str();
    }
  }

  /// Emits the kernel in place of the generic, or, when `threads` and the
  /// tiles allow, as function `name`_body over a range of row (or column)
  /// tiles that `name`_parallel hands to lepton_parallel_for; the artifact
  /// writer defines `name`_parallel (see CPUBackend.cpp).
  void emit(bool threads, StringRef name) {
    int64_t perThread = 3; // tiles per thread below which threads do not pay
    // Failing rows and columns (a depthwise convolution has one row and
    // few columns), an outer loop (its channels) is split.
    auto outer =
        llvm::find_if(c.outerDims, [&](unsigned d) { return c.sizes[d] >= 2 * perThread; });
    // A sparse kernel walks all rows per column tile: columns first.
    split = !threads || !outlinable()                     ? Split::None
            : c.sparse && columnTasks >= 2 * perThread    ? Split::Columns
            : rowTasks >= 2 * perThread                   ? Split::Rows
            : columnTasks >= 2 * perThread                ? Split::Columns
            : outer != c.outerDims.end()                  ? Split::Outer
                                                          : Split::None;
    if (split == Split::Outer)
      splitDim = *outer;
    int64_t tasks = split == Split::Rows      ? rowTasks
                    : split == Split::Columns ? columnTasks
                                              : c.sizes[splitDim];
    std::string kind = kernelKind() + " " + lepton::cpu::formatSizes(c.sizes);
    if (split == Split::None) {
      // One op, so that leptonc --profile times the kernel as a whole.
      auto region = b.create<scf::ExecuteRegionOp>(TypeRange{});
      region->setAttr(lepton::cpu::kKindAttr, b.getStringAttr(kind));
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
    call->setAttr(lepton::cpu::kKindAttr, b.getStringAttr(kind + " (threads)"));
  }

private:
  enum class Split { None, Rows, Columns, Outer };

  /// A plain matmul reads B by row; a window kernel (a depthwise
  /// convolution) reads shifted or strided rows.
  std::string kernelKind() {
    bool plain = c.kDims.size() == 1 && c.bStride == 1 &&
                 isa<AffineDimExpr>(maps[c.b].getResults().back());
    if (dot == Dot::Bytes)
      return "int8 dot kernel";
    if (dot == Dot::Words)
      return "int8 pair-dot kernel";
    if (dot == Dot::Window)
      return "int8 window dot kernel";
    if (c.maximum)
      return "max pooling kernel";
    if (c.sparse)
      return "sparse matmul kernel";
    return plain ? "matmul kernel" : "window kernel";
  }

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

  /// The value of `e` at the current loop values (only the loops it uses
  /// need to have one).
  Value evaluate(AffineExpr e) {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      return iv[d.getPosition()];
    if (auto constant = dyn_cast<AffineConstantExpr>(e))
      return index(constant.getValue());
    SmallVector<AffineExpr> renamed;
    SmallVector<Value> used;
    for (unsigned d = 0; d < iv.size(); ++d) {
      renamed.push_back(getAffineDimExpr(used.size(), b.getContext()));
      if (e.isFunctionOfDim(d))
        used.push_back(iv[d]);
    }
    return b.create<affine::AffineApplyOp>(
        AffineMap::get(used.size(), 0, e.replaceDims(renamed)), used);
  }

  SmallVector<Value> indices(AffineMap map) {
    return llvm::map_to_vector(map.getResults(), [&](AffineExpr e) { return evaluate(e); });
  }
  Value operand(unsigned i) { return operands[i]; }

  void outerLoops(size_t depth) {
    if (depth == 0 && c.sparse) { // the packed panel of B, once per call
      int64_t tileWidth = sparseParts * vectorType.getNumElements();
      int64_t rows = std::min(c.sparse->blockLength, c.sizes[c.kDims[0]]);
      panel = b.create<memref::AllocaOp>(
          MemRefType::get({rows, tileWidth}, vectorType.getElementType()),
          b.getI64IntegerAttr(64));
    }
    if (depth < c.outerDims.size()) {
      unsigned d = c.outerDims[depth];
      bool splitHere = split == Split::Outer && d == splitDim;
      forLoop(splitHere ? taskBegin : index(0), splitHere ? taskEnd : index(c.sizes[d]), 1,
              [&](Value v) {
        iv[d] = v;
        outerLoops(depth + 1);
      });
      return;
    }
    if (c.sparse)
      return sparseColumnTiles();
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
    // The copy's loops are C's dims: read its source map at C's indices.
    AffineMap source = cast<linalg::GenericOp>(c.init).getIndexingMapsArray()[0];
    SmallVector<Value> loops = std::exchange(iv, indices(maps[2]));
    Value row = source.isFunctionOfDim(source.getNumDims() - 1)
                    ? load(operand(3), source)
                    : b.create<vector::BroadcastOp>(
                          vectorType, b.create<memref::LoadOp>(operand(3), indices(source)));
    iv = loops;
    return row;
  }

  /// C[m0 .. m0 + count, n0 .. n0 + width] += A[m0.., :] * B[:, n0..] with the
  /// tile in registers across the whole reduction.
  void tile(Value m0, int64_t count, Value n0, Value mask) {
    iv[c.nDim] = n0;
    rowBase = m0;
    columnMask = mask;
    SmallVector<Value> acc;
    for (int64_t r = 0; r < count; ++r) {
      setRow(r);
      acc.push_back(initialRow());
    }
    SmallVector<Value> result;
    if (dot == Dot::Bytes || dot == Dot::Words) {
      // Groups of four (bytes) or two (words) reduction steps through the
      // dot-product instruction, then the remaining steps one by one.
      unsigned d = c.kDims[0];
      int64_t group = dot == Dot::Bytes ? 4 : 2;
      int64_t k = c.sizes[d], grouped = k / group * group;
      result = loopOver(d, 0, grouped, group, acc, [&](ValueRange current) {
        return dot == Dot::Bytes ? dotStep(current, count) : pairStep(current, count);
      });
      result = loopOver(d, grouped, k, 1, result, [&](ValueRange current) {
        return multiplyAccumulateStep(current, count);
      });
    } else {
      result = reduce(0, acc, count);
    }
    for (int64_t r = 0; r < count; ++r) {
      setRow(r);
      finishRow(result[r]);
    }
  }

  /// Stores a tile row's vector at the current loop values (masked on a
  /// partial column tile).
  void storeRow(Value value, Value memref) {
    if (columnMask)
      b.create<vector::MaskedStoreOp>(memref, indices(maps[2]), columnMask, value);
    else
      b.create<vector::StoreOp>(value, memref, indices(maps[2]));
  }

  /// Stores a tile row's finished sums: to C, and through the epilogue.
  void finishRow(Value acc) {
    if (c.keepC)
      storeRow(acc, operand(2));
    if (c.epilogue)
      storeRow(applyEpilogue(acc), viewWithShapeOfC());
  }

  /// Column tiles of `sparseParts` row vectors each (the last one partial).
  void sparseColumnTiles() {
    int64_t width = vectorType.getNumElements(), n = c.sizes[c.nDim];
    int64_t tileWidth = sparseParts * width;
    auto [lb, ub] = tileRange(split == Split::Columns, n, tileWidth);
    forLoop(lb, ub, tileWidth, [&](Value n0) { sparseTile(n0, sparseParts, 0); });
    if (int64_t rest = n % tileWidth) {
      auto tail = [&] {
        sparseTile(index(n / tileWidth * tileWidth), llvm::divideCeil(rest, width), rest % width);
      };
      split == Split::Columns ? inLastTask(columnTasks, tail) : tail();
    }
  }

  /// Part `j` of a sparse column tile from `n0`: its columns, masked to
  /// `lastColumns` in the last of `parts` when that is not 0.
  void setPart(Value n0, int64_t j, int64_t parts, int64_t lastColumns) {
    int64_t width = vectorType.getNumElements();
    iv[c.nDim] = b.create<arith::AddIOp>(n0, index(j * width));
    columnMask = nullptr;
    if (j + 1 == parts && lastColumns)
      columnMask = b.create<vector::CreateMaskOp>(VectorType::get({width}, b.getI1Type()),
                                                  ValueRange{index(lastColumns)});
  }

  /// C[m, n0 .. n0 + parts * width] for every row m of the task, with A's
  /// nonzeros only (SpMM, as XNNPACK's sparse kernels for pruned networks):
  /// per nonzero A[m, k], one broadcast times each part of B's row k. The
  /// rows go over one block of the reduction at a time, its rows of B
  /// staying in the level-1 cache for all of them; C holds the sums between
  /// blocks. `tileRows` rows step through their entries together (every row
  /// has as many in a block), for independent chains of multiply-adds.
  void sparseTile(Value n0, int64_t parts, int64_t lastColumns) {
    const lepton::cpu::SparseRows &tables = *c.sparse;
    int64_t m = c.mDim ? c.sizes[*c.mDim] : 1;
    auto blockPass = [&](Value block, bool first, bool last) {
      packPanel(block, n0, parts, lastColumns);
      auto group = [&](Value m0, int64_t count) {
        sparseRows(m0, count, n0, parts, lastColumns, block, first, last);
      };
      std::pair<Value, Value> range = tileRange(split == Split::Rows, m, tileRows);
      forLoop(range.first, range.second, tileRows, [&](Value m0) { group(m0, tileRows); });
      if (m % tileRows) {
        auto tail = [&] { group(index(m / tileRows * tileRows), m % tileRows); };
        split == Split::Rows ? inLastTask(rowTasks, tail) : tail();
      }
    };
    if (tables.blocks == 1)
      return blockPass(index(0), true, true);
    blockPass(index(0), true, false);
    forLoop(index(1), index(tables.blocks - 1), 1,
            [&](Value block) { blockPass(block, false, false); });
    blockPass(index(tables.blocks - 1), false, true);
  }

  /// Copies B's rows of reduction block `block`, columns n0 .. n0 + parts *
  /// width (zeros past a partial tile's end), into the panel: the kernel's
  /// rows then pick their entries' rows there, in a few contiguous pages,
  /// instead of from B's rows a whole row of B apart (each its own page:
  /// with a translation miss per entry the kernel was no faster than the
  /// dense one at half the multiplies).
  void packPanel(Value block, Value n0, int64_t parts, int64_t lastColumns) {
    int64_t length = c.sizes[c.kDims[0]], blockLength = c.sparse->blockLength;
    int64_t width = vectorType.getNumElements();
    Value first = b.create<arith::MulIOp>(block, index(blockLength));
    Value rows = b.create<arith::MinSIOp>(index(blockLength),
                                          b.create<arith::SubIOp>(index(length), first));
    forLoop(index(0), rows, 1, [&](Value r) {
      iv[c.kDims[0]] = b.create<arith::AddIOp>(first, r);
      for (int64_t j = 0; j < parts; ++j) {
        setPart(n0, j, parts, lastColumns);
        b.create<vector::StoreOp>(rowOfB(), panel, ValueRange{r, index(j * width)});
      }
    });
  }

  /// Rows m0 .. m0 + count of a sparse column tile over one block of the
  /// reduction: from their start (`first`) or C, into C or, for the `last`
  /// block, finished.
  void sparseRows(Value m0, int64_t count, Value n0, int64_t parts, int64_t lastColumns,
                  Value block, bool first, bool last) {
    const lepton::cpu::SparseRows &tables = *c.sparse;
    Type et = vectorType.getElementType();
    int64_t width = vectorType.getNumElements();
    rowBase = m0;
    auto load = [&](unsigned table, Value at) -> Value {
      return b.create<memref::LoadOp>(operand(sparseTables + table), at);
    };
    auto entryIndex = [&](Value i) -> Value {
      return b.create<arith::IndexCastOp>(b.getIndexType(), load(0, i));
    };
    // The rows' tables: the row of A the current loop values select, times
    // the blocks per row, plus the block.
    ArrayRef<int64_t> shapeA = cast<MemRefType>(c.op->getOperand(c.a).getType()).getShape();
    SmallVector<int64_t> stridesA = computeStrides(shapeA.drop_back());
    SmallVector<Value> acc, begins;
    Value entries;
    for (int64_t r = 0; r < count; ++r) {
      setRow(r);
      for (int64_t j = 0; j < parts; ++j) {
        setPart(n0, j, parts, lastColumns);
        acc.push_back(first ? initialRow() : loadRow(et, operand(2), maps[2]));
      }
      Value slot = block;
      for (unsigned i = 0; i + 1 < maps[c.a].getNumResults(); ++i)
        slot = b.create<arith::AddIOp>(
            slot, b.create<arith::MulIOp>(evaluate(maps[c.a].getResult(i)),
                                          index(stridesA[i] * tables.blocks)));
      begins.push_back(entryIndex(slot));
      if (r == 0)
        entries = b.create<arith::SubIOp>(
            entryIndex(b.create<arith::AddIOp>(slot, index(1))), begins[0]);
    }
    auto loop = b.create<scf::ForOp>(index(0), entries, index(1), acc);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> next;
      for (int64_t r = 0; r < count; ++r) {
        Value entry = b.create<arith::AddIOp>(begins[r], loop.getInductionVar());
        Value row = b.create<arith::IndexCastUIOp>(b.getIndexType(), load(1, entry));
        Value splat = b.create<vector::BroadcastOp>(vectorType, load(2, entry));
        for (int64_t j = 0; j < parts; ++j) {
          Value part = b.create<vector::LoadOp>(vectorType, panel,
                                                ValueRange{row, index(j * width)});
          next.push_back(
              b.create<vector::FMAOp>(splat, part, loop.getRegionIterArgs()[r * parts + j]));
        }
      }
      b.create<scf::YieldOp>(next);
    }
    for (int64_t r = 0; r < count; ++r) {
      setRow(r);
      for (int64_t j = 0; j < parts; ++j) {
        setPart(n0, j, parts, lastColumns);
        Value sums = loop.getResult(r * parts + j);
        if (last)
          finishRow(sums);
        else
          storeRow(sums, operand(2));
      }
    }
  }

  /// Row r of the current tile: sets the m loop's value.
  void setRow(int64_t r) {
    if (c.mDim)
      iv[*c.mDim] = b.create<arith::AddIOp>(rowBase, index(r));
  }

  Value zeros(VectorType type) {
    return b.create<arith::ConstantOp>(
        type, DenseElementsAttr::get(type, b.getZeroAttr(type.getElementType())));
  }

  /// A vector of `elementType` with as many elements as a tile row, loaded
  /// at the current loop values (masked on a partial column tile).
  Value loadRow(Type elementType, Value memref, AffineMap map) {
    auto type = VectorType::get(vectorType.getShape(), elementType);
    if (columnMask)
      return b.create<vector::MaskedLoadOp>(type, memref, indices(map), columnMask, zeros(type));
    return b.create<vector::LoadOp>(type, memref, indices(map));
  }

  /// The accumulators' start for the current row: C, or what the fused
  /// initialization would have written there.
  Value initialRow() {
    Type et = vectorType.getElementType();
    if (!c.init)
      return loadRow(et, operand(2), maps[2]);
    if (auto fill = dyn_cast<linalg::FillOp>(c.init))
      return b.create<vector::BroadcastOp>(vectorType, operand(3));
    // The copy's loops are C's dims: read its source map at C's indices.
    AffineMap source = cast<linalg::GenericOp>(c.init).getIndexingMapsArray()[0];
    SmallVector<Value> loops = std::exchange(iv, indices(maps[2]));
    Value row = source.isFunctionOfDim(source.getNumDims() - 1)
                    ? loadRow(et, operand(3), source)
                    : b.create<vector::BroadcastOp>(
                          vectorType, b.create<memref::LoadOp>(operand(3), indices(source)));
    iv = loops;
    return row;
  }

  /// `v` (a scalar or a vector) widened to the accumulators' element type.
  Value widened(Value v, Widening widening) {
    Type et = vectorType.getElementType();
    Type to = isa<VectorType>(v.getType())
                  ? Type(VectorType::get(cast<VectorType>(v.getType()).getShape(), et))
                  : et;
    switch (widening) {
    case Widening::None:
      return v;
    case Widening::Signed:
      return b.create<arith::ExtSIOp>(to, v);
    case Widening::Unsigned:
      return b.create<arith::ExtUIOp>(to, v);
    }
    llvm_unreachable("unknown widening");
  }

  /// B's row at the current loop values, as stored: contiguous, or every
  /// bStride-th element of a contiguous stretch (a strided window), picked
  /// by a shuffle (gathers are slow on many x86 cores). The stretch is masked
  /// to the end of B's row.
  Value rowOfB() {
    if (c.bStride == 1 && !c.padded)
      return loadRow(getElementTypeOrSelf(operand(c.b).getType()), operand(c.b), maps[c.b]);
    Value stretch = stretchOfB(vectorType.getNumElements() * c.bStride);
    return c.bStride == 1 ? stretch : everyStrideth(stretch);
  }

  /// `length` consecutive elements of B's row from the current loop values,
  /// masked to the end of the row (or read through the padding).
  Value stretchOfB(int64_t length) {
    Type et = getElementTypeOrSelf(operand(c.b).getType());
    if (c.padded)
      return paddedStretchOfB(et, length);
    auto type = VectorType::get({length}, et);
    SmallVector<Value> at = indices(maps[c.b]);
    auto bType = cast<MemRefType>(operand(c.b).getType());
    Value available = b.create<arith::SubIOp>(index(bType.getShape().back()), at.back());
    Value inRow = b.create<vector::CreateMaskOp>(VectorType::get({length}, b.getI1Type()),
                                                 ValueRange{available});
    return b.create<vector::MaskedLoadOp>(type, operand(c.b), at, inRow, zeros(type));
  }

  /// Every bStride-th element of `stretch`, B's row read contiguously.
  Value everyStrideth(Value stretch) {
    SmallVector<int64_t> picks;
    for (int64_t i = 0; i < vectorType.getNumElements(); ++i)
      picks.push_back(i * c.bStride);
    return b.create<vector::ShuffleOp>(stretch, stretch, picks);
  }

  /// `length` elements of B's row read from the source of its padding: the
  /// indices into the padded buffer less the source's offset there, lanes
  /// outside the source (and whole rows above or below it) masked to the pad
  /// value. Masked-off lanes are not accessed, so their addresses may lie
  /// outside the source.
  Value paddedStretchOfB(Type et, int64_t lanes) {
    PaddedSource &p = *c.padded;
    SmallVector<Value> at = indices(maps[c.b]);
    for (memref::ExpandShapeOp reshape : p.reshapes) { // to the padded buffer's indices
      ArrayRef<int64_t> sizes = reshape.getResultType().getShape();
      SmallVector<Value> outer;
      for (const ReassociationIndices &group : reshape.getReassociationIndices()) {
        Value linear = at[group.front()];
        for (int64_t d : ArrayRef(group).drop_front())
          linear = b.create<arith::AddIOp>(b.create<arith::MulIOp>(linear, index(sizes[d])),
                                           at[d]);
        outer.push_back(linear);
      }
      at = outer;
    }
    ArrayRef<int64_t> shape = cast<MemRefType>(p.source.getType()).getShape();
    ArrayRef<int64_t> padded = cast<MemRefType>(p.buffer.getType()).getShape();
    Value inside;
    for (size_t d = 0; d < at.size(); ++d) {
      if (p.low[d] != 0)
        at[d] = b.create<arith::SubIOp>(at[d], index(p.low[d]));
      if (d + 1 == at.size() || padded[d] == shape[d])
        continue;
      Value ok = b.create<arith::AndIOp>(
          b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, at[d], index(0)),
          b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, at[d], index(shape[d])));
      inside = inside ? b.create<arith::AndIOp>(inside, ok) : ok;
    }
    // Lanes [-start, width - start) of the row are inside the source.
    Value start = at.back();
    Value end = b.create<arith::SubIOp>(index(shape.back()), start);
    if (inside)
      end = b.create<arith::SelectOp>(inside, end, index(0));
    auto maskType = VectorType::get({lanes}, b.getI1Type());
    Value mask = b.create<vector::CreateMaskOp>(maskType, ValueRange{end});
    if (p.low.back() != 0) {
      Value before = b.create<vector::CreateMaskOp>(
          maskType, ValueRange{b.create<arith::SubIOp>(index(0), start)});
      mask = b.create<arith::XOrIOp>(mask, b.create<arith::AndIOp>(mask, before));
    }
    auto type = VectorType::get({lanes}, et);
    return b.create<vector::MaskedLoadOp>(type, operand(c.b), at, mask,
                                          b.create<vector::BroadcastOp>(type, operand(padValue)));
  }

  /// One reduction step: each row's accumulators plus its element of A
  /// times B's row.
  SmallVector<Value> multiplyAccumulateStep(ValueRange current, int64_t count) {
    if (c.maximum) // no A: every row takes the maximum with B's row
      return llvm::map_to_vector(current, [&](Value acc) -> Value {
        return b.create<arith::MaximumFOp>(acc, rowOfB());
      });
    Value row = widened(rowOfB(), c.widenB);
    bool integer = isa<IntegerType>(vectorType.getElementType());
    SmallVector<Value> next;
    for (int64_t r = 0; r < count; ++r) {
      setRow(r);
      Value x = widened(b.create<memref::LoadOp>(operand(c.a), indices(maps[c.a])), c.widenA);
      Value splat = b.create<vector::BroadcastOp>(vectorType, x);
      next.push_back(integer ? Value(b.create<arith::AddIOp>(
                                   current[r], b.create<arith::MulIOp>(splat, row)))
                             : Value(b.create<vector::FMAOp>(splat, row, current[r])));
    }
    return next;
  }

  /// Whether the tile can reduce through a dot-product instruction: widened
  /// bytes (one unsigned and one signed operand, with `mixedSigns`; else
  /// 16-bit pairs, where one operand may be 16-bit: a pair sum of 16 by 8
  /// bits cannot overflow) into int32, one reduction loop that A reads
  /// contiguously (its consecutive elements are one broadcast word) and B
  /// by rows.
  bool dotProducts(bool mixedSigns) {
    bool widened = c.widenA != Widening::None && c.widenB != Widening::None;
    unsigned aBits = bitsOf(c.a), bBits = bitsOf(c.b);
    bool pairs = std::min(aBits, bBits) == 8 && std::max(aBits, bBits) <= 16;
    if (!(mixedSigns ? mixedSignBytes() : widened && pairs) ||
        !vectorType.getElementType().isInteger(32) || c.kDims.size() != 1 || c.bStride != 1)
      return false;
    return readsAContiguously(c.kDims[0]);
  }

  unsigned bitsOf(unsigned operand) {
    return getElementTypeOrSelf(c.op->getOperand(operand).getType()).getIntOrFloatBitWidth();
  }

  /// Whether A and B are bytes, one widened as unsigned and one as signed
  /// (the operands of an unsigned-by-signed byte dot product).
  bool mixedSignBytes() {
    bool mixed = (c.widenA == Widening::Signed && c.widenB == Widening::Unsigned) ||
                 (c.widenA == Widening::Unsigned && c.widenB == Widening::Signed);
    return mixed && bitsOf(c.a) == 8 && bitsOf(c.b) == 8;
  }

  /// Whether A's last index is reduction dim `k`, which no other index uses,
  /// in a unit-stride last dim: consecutive steps of `k` are consecutive
  /// elements of A.
  bool readsAContiguously(unsigned k) {
    ArrayRef<AffineExpr> aIndices = maps[c.a].getResults();
    return !aIndices.empty() && aIndices.back() == getAffineDimExpr(k, b.getContext()) &&
           llvm::none_of(aIndices.drop_back(), [&](AffineExpr e) { return e.isFunctionOfDim(k); }) &&
           isLastMemrefDimUnitStride(cast<MemRefType>(c.op->getOperand(c.a).getType()));
  }

  /// Whether the innermost reduction is a window of up to four taps over
  /// B's contiguous dim (a depthwise convolution's kernel row: B's last index
  /// bStride * n + k) that A reads contiguously as its last dim, on unsigned
  /// and signed bytes into int32: windowDotStep then does a whole kernel row
  /// per byte dot product instead of a widened multiply-add per tap.
  bool windowTaps() {
    if (c.kDims.empty() || c.maximum || c.sparse || !vectorType.getElementType().isInteger(32) ||
        !mixedSignBytes())
      return false;
    unsigned k = c.kDims.back();
    int64_t taps = c.sizes[k];
    if (taps < 2 || taps > 4 || !readsAContiguously(k) ||
        cast<MemRefType>(c.op->getOperand(c.a).getType()).getShape().back() != taps)
      return false;
    MLIRContext *ctx = b.getContext();
    unsigned dims = maps[c.b].getNumDims();
    AffineExpr window = getAffineDimExpr(c.nDim, ctx) * c.bStride + getAffineDimExpr(k, ctx);
    ArrayRef<AffineExpr> bIndices = maps[c.b].getResults();
    return !bIndices.empty() &&
           simplifyAffineExpr(bIndices.back(), dims, 0) == simplifyAffineExpr(window, dims, 0) &&
           llvm::none_of(bIndices.drop_back(), [&](AffineExpr e) {
             return e.isFunctionOfDim(k) || e.isFunctionOfDim(c.nDim);
           });
  }

  /// The window's taps of every tile row at once: B's row read as one stretch
  /// from the window's first tap, each int32 lane gathered (a byte shuffle)
  /// from its column's four bytes there (the taps and, up to four, bytes
  /// whose weight is zero), A's taps as one word (zero above the taps), and
  /// both handed to the byte dot product. Exact, as dotStep.
  SmallVector<Value> windowDotStep(ValueRange current, int64_t count) {
    unsigned k = c.kDims.back();
    int64_t taps = c.sizes[k];
    int64_t width = vectorType.getNumElements(), lanes = width / 2;
    iv[k] = index(0);
    int64_t length = llvm::PowerOf2Ceil(width * c.bStride + 3);
    Value stretch = stretchOfB(length);
    auto wordsType = VectorType::get({lanes}, b.getI32Type());
    SmallVector<Value> halves;
    for (int64_t h = 0; h < 2; ++h) {
      SmallVector<int64_t> quads;
      for (int64_t i = h * lanes; i < (h + 1) * lanes; ++i)
        for (int64_t t = 0; t < 4; ++t)
          quads.push_back(i * c.bStride + t);
      halves.push_back(
          b.create<vector::BitCastOp>(wordsType, b.create<vector::ShuffleOp>(stretch, stretch, quads)));
    }
    auto bytesType = VectorType::get({4}, b.getI8Type());
    SmallVector<bool> tapLanes(4, false);
    std::fill_n(tapLanes.begin(), taps, true);
    Value tapMask = b.create<arith::ConstantOp>(
        DenseElementsAttr::get(VectorType::get({4}, b.getI1Type()), ArrayRef<bool>(tapLanes)));
    return byteDotRows(current, count, halves, [&] {
      return b.create<vector::MaskedLoadOp>(bytesType, operand(c.a), indices(maps[c.a]), tapMask,
                                            zeros(bytesType));
    });
  }

  /// Four reduction steps from the current k on: B's four rows interleaved
  /// so that each 32-bit lane holds one column's four bytes, A's four bytes
  /// per row broadcast as one word, and both handed to the target's
  /// unsigned-by-signed byte dot product (x86 vpdpbusd), which adds the four
  /// products to each lane. Exact: int32 sums are the same in any order.
  SmallVector<Value> dotStep(ValueRange current, int64_t count) {
    unsigned d = c.kDims[0];
    Value k0 = iv[d];
    int64_t width = vectorType.getNumElements(), lanes = width / 2;
    SmallVector<Value> rows;
    for (int64_t j = 0; j < 4; ++j) {
      iv[d] = b.create<arith::AddIOp>(k0, index(j));
      rows.push_back(rowOfB());
    }
    iv[d] = k0;
    // Byte pairs (row 0, row 1) and (row 2, row 3) of each column, then the
    // two pairs of each column next to each other, one half of the columns
    // per dot-product vector.
    SmallVector<int64_t> pairs;
    for (int64_t i = 0; i < width; ++i)
      llvm::append_values(pairs, i, width + i);
    Value low = b.create<vector::ShuffleOp>(rows[0], rows[1], pairs);
    Value high = b.create<vector::ShuffleOp>(rows[2], rows[3], pairs);
    auto wordsType = VectorType::get({lanes}, b.getI32Type());
    SmallVector<Value> halves;
    for (int64_t h = 0; h < 2; ++h) {
      SmallVector<int64_t> quads;
      for (int64_t i = h * lanes; i < (h + 1) * lanes; ++i)
        llvm::append_values(quads, 2 * i, 2 * i + 1, 2 * width + 2 * i, 2 * width + 2 * i + 1);
      halves.push_back(
          b.create<vector::BitCastOp>(wordsType, b.create<vector::ShuffleOp>(low, high, quads)));
    }
    auto bytesType = VectorType::get({4}, b.getI8Type());
    return byteDotRows(current, count, halves, [&] {
      return b.create<vector::LoadOp>(bytesType, operand(c.a), indices(maps[c.a]));
    });
  }

  /// Each tile row's sums plus the byte dot products of `halves` (B's bytes
  /// as int32 words, one vector per half of the columns) with the row's four
  /// bytes of A, which `bytesOfA` loads at the current loop values,
  /// broadcast as one word.
  SmallVector<Value> byteDotRows(ValueRange current, int64_t count, ArrayRef<Value> halves,
                                 function_ref<Value()> bytesOfA) {
    auto wordsType = cast<VectorType>(halves.front().getType());
    int64_t lanes = wordsType.getNumElements();
    SmallVector<Value> next;
    for (int64_t r = 0; r < count; ++r) {
      setRow(r);
      Value word = b.create<vector::ExtractOp>(
          b.create<vector::BitCastOp>(VectorType::get({1}, b.getI32Type()), bytesOfA()), 0);
      Value splat = b.create<vector::BroadcastOp>(wordsType, word);
      Value sums = current[r];
      for (int64_t h = 0; h < 2; ++h) {
        Value unsignedBytes = c.widenA == Widening::Unsigned ? splat : halves[h];
        Value signedBytes = c.widenA == Widening::Unsigned ? halves[h] : splat;
        Value part = b.create<vector::ExtractStridedSliceOp>(sums, h * lanes, lanes, 1);
        part = b.create<LLVM::CallIntrinsicOp>(wordsType, dotIntrinsic,
                                               ValueRange{part, unsignedBytes, signedBytes})
                   .getResult(0);
        sums = b.create<vector::InsertStridedSliceOp>(part, sums, h * lanes, 1);
      }
      next.push_back(sums);
    }
    return next;
  }

  /// Two reduction steps from the current k on, with a 16-bit pair dot
  /// product (x86 pmaddwd): byte products on a target without a byte one,
  /// and products of a 16-bit and an 8-bit operand. B's two rows widened to
  /// 16 bits and interleaved so that each 32-bit lane holds one column's
  /// pair, A's two elements per row widened and broadcast as one word; the
  /// instruction's pair sums are added to the accumulators. Exact: the
  /// products of 16 by 8 bits and their pair sums fit in 32 bits.
  SmallVector<Value> pairStep(ValueRange current, int64_t count) {
    unsigned d = c.kDims[0];
    Value k0 = iv[d];
    int64_t width = vectorType.getNumElements(), lanes = width / 2;
    Type i16 = b.getI16Type();
    auto widenTo16 = [&](Value v, Widening widening) -> Value {
      auto type = VectorType::get(cast<VectorType>(v.getType()).getShape(), i16);
      if (type == v.getType())
        return v;
      if (widening == Widening::Signed)
        return b.create<arith::ExtSIOp>(type, v);
      return b.create<arith::ExtUIOp>(type, v);
    };
    SmallVector<Value> rows;
    for (int64_t j = 0; j < 2; ++j) {
      iv[d] = b.create<arith::AddIOp>(k0, index(j));
      rows.push_back(widenTo16(rowOfB(), c.widenB));
    }
    iv[d] = k0;
    auto pairsType = VectorType::get({2 * lanes}, i16);
    auto wordsType = VectorType::get({lanes}, b.getI32Type());
    SmallVector<Value> halves;
    for (int64_t h = 0; h < 2; ++h) {
      SmallVector<int64_t> pairs;
      for (int64_t i = h * lanes; i < (h + 1) * lanes; ++i)
        llvm::append_values(pairs, i, width + i);
      halves.push_back(b.create<vector::ShuffleOp>(rows[0], rows[1], pairs));
    }
    auto twoBytes = VectorType::get({2}, getElementTypeOrSelf(operand(c.a).getType()));
    SmallVector<Value> next;
    for (int64_t r = 0; r < count; ++r) {
      setRow(r);
      Value pair = widenTo16(b.create<vector::LoadOp>(twoBytes, operand(c.a), indices(maps[c.a])),
                             c.widenA);
      Value word = b.create<vector::ExtractOp>(
          b.create<vector::BitCastOp>(VectorType::get({1}, b.getI32Type()), pair), 0);
      Value splat =
          b.create<vector::BitCastOp>(pairsType, b.create<vector::BroadcastOp>(wordsType, word));
      Value sums = current[r];
      for (int64_t h = 0; h < 2; ++h) {
        Value part = b.create<LLVM::CallIntrinsicOp>(wordsType, dotIntrinsic,
                                                     ValueRange{halves[h], splat})
                         .getResult(0);
        Value old = b.create<vector::ExtractStridedSliceOp>(sums, h * lanes, lanes, 1);
        sums = b.create<vector::InsertStridedSliceOp>(b.create<arith::AddIOp>(old, part), sums,
                                                      h * lanes, 1);
      }
      next.push_back(sums);
    }
    return next;
  }

  /// A loop over reduction dim `d` from `lb` to `ub` carrying the
  /// accumulators through `body`.
  SmallVector<Value> loopOver(unsigned d, int64_t lb, int64_t ub, int64_t step, ValueRange init,
                              function_ref<SmallVector<Value>(ValueRange)> body) {
    if (lb >= ub)
      return llvm::to_vector(init);
    auto loop = b.create<scf::ForOp>(index(lb), index(ub), index(step), init);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    iv[d] = loop.getInductionVar();
    b.create<scf::YieldOp>(body(loop.getRegionIterArgs()));
    return loop.getResults();
  }

  /// One loop per reduction dim, the accumulators carried through all.
  SmallVector<Value> reduce(size_t depth, ValueRange current, int64_t count) {
    if (depth == c.kDims.size())
      return multiplyAccumulateStep(current, count);
    if (dot == Dot::Window && depth + 1 == c.kDims.size())
      return windowDotStep(current, count);
    unsigned d = c.kDims[depth];
    return loopOver(d, 0, c.sizes[d], 1, current,
                    [&](ValueRange inner) { return reduce(depth + 1, inner, count); });
  }

  /// The epilogue's output seen with C's shape: element i of C lands on its
  /// element i, both being contiguous.
  Value viewWithShapeOfC() {
    Value out = operand(epilogueOutput);
    auto outType = cast<MemRefType>(out.getType());
    ArrayRef<int64_t> shape = cast<MemRefType>(operand(2).getType()).getShape();
    if (outType.getShape() == shape)
      return out;
    // The element type is the epilogue's (int8 after a requantization of int32).
    return b.create<memref::ReinterpretCastOp>(
        MemRefType::get(shape, outType.getElementType()), out, 0, shape, computeStrides(shape));
  }

  /// The epilogue's body on a vector of accumulators (the current tile row's):
  /// each elementwise op on vectors, constants and the row's per-channel
  /// values broadcast.
  Value applyEpilogue(Value acc) {
    Block &body = c.epilogue.getRegion().front();
    IRMapping mapping;
    mapping.map(body.getArgument(0), acc);
    if (!c.epilogueParameters.empty()) {
      // The row's first element as a flat index into C.
      ArrayRef<int64_t> shape = cast<MemRefType>(operand(2).getType()).getShape();
      SmallVector<int64_t> strides = computeStrides(shape);
      Value flat = index(0);
      for (auto [i, at] : llvm::enumerate(indices(maps[2])))
        flat = b.create<arith::AddIOp>(flat, b.create<arith::MulIOp>(at, index(strides[i])));
      for (auto [i, p] : llvm::enumerate(c.epilogueParameters)) {
        Value channel = b.create<arith::RemUIOp>(
            b.create<arith::DivUIOp>(flat, index(p.block)), index(p.size));
        Value memref = operand(epilogueOutput + 1 + i);
        SmallVector<Value> at(cast<MemRefType>(memref.getType()).getRank(), index(0));
        at[p.position] = channel;
        Value scalar = b.create<memref::LoadOp>(memref, at);
        mapping.map(body.getArgument(p.input),
                    b.create<vector::BroadcastOp>(
                        VectorType::get(vectorType.getShape(), scalar.getType()), scalar));
      }
    }
    auto vectorOf = [&](Value scalar) -> Value {
      if (Value mapped = mapping.lookupOrNull(scalar))
        return mapped;
      // A constant, from inside the body or above it.
      Operation *constant = b.clone(*scalar.getDefiningOp());
      Value splat = b.create<vector::BroadcastOp>(
          VectorType::get(vectorType.getShape(), scalar.getType()), constant->getResult(0));
      mapping.map(scalar, splat);
      return splat;
    };
    for (Operation &inner : body.without_terminator()) {
      if (inner.hasTrait<OpTrait::ConstantLike>())
        continue;
      OperationState state(b.getLoc(), inner.getName());
      for (Value v : inner.getOperands())
        state.addOperands(vectorOf(v));
      for (Value result : inner.getResults()) // one, or two (arith.mulsi_extended)
        state.addTypes(VectorType::get(vectorType.getShape(), result.getType()));
      state.addAttributes(inner.getAttrs());
      mapping.map(inner.getResults(), b.create(state)->getResults());
    }
    return vectorOf(body.getTerminator()->getOperand(0));
  }

  Contraction c;
  ImplicitLocOpBuilder b;
  /// How the tiles reduce: multiply-adds, or dotIntrinsic on four bytes or
  /// two 16-bit words per int32 lane.
  /// Window: a depthwise window's innermost reduction (up to four taps)
  /// in one byte dot product per row of taps (windowDotStep).
  enum class Dot { None, Bytes, Words, Window } dot = Dot::None;
  std::string dotIntrinsic;
  SmallVector<Value> iv;       // the current value of every loop of the generic
  int64_t sparseParts;         // row vectors per column tile of a sparse kernel
  unsigned sparseTables = 0;   // with c.sparse: the starts' index in `operands`
  Value panel;                 // with c.sparse: B's rows of a block, packed
  Value rowBase, columnMask;   // the current tile's first row and its column mask (or null)
  SmallVector<Value> operands; // A, B, C as the kernel sees them
  SmallVector<AffineMap> maps;
  VectorType vectorType;
  int64_t tileRows, rowTasks, columnTasks;
  Split split = Split::None;
  unsigned splitDim = 0;    // with Split::Outer
  Value taskBegin, taskEnd; // the range of tiles (or outer indices) along the split
  unsigned epilogueOutput = 0; // the epilogue's output's index in `operands`
  unsigned padValue = 0;       // with a padded B: the pad value's index in `operands`
};

/// The share of nonzeros in a constant weight matrix (with the padding of
/// SparseWeights.cpp) at or below which its kernel skips the zeros. Per
/// nonzero it loads each part of B's row and A's entry, where the dense
/// kernel reuses B's row for a tile of rows: on an AMD Zen 4 a
/// 64 x 576 x 3136 convolution with half its weights zero ran 1.25x as fast
/// sparse (1.14x with AVX2), so the two break even near 0.6.
constexpr double kMaxSparseDensity = 0.55;

/// A sparse kernel's block of the reduction (magnitude pruning leaves each
/// row the same count in every block of 128, so no row needs padding) and
/// its column tile: the packed panel of B, 128 x 64 floats, fills a 32 KiB
/// level-1 cache.
constexpr int64_t kSparseBlock = 128;
constexpr int64_t kSparseTileColumns = 64;

/// The nonzeros of `c`'s A when A is a constant f32 matrix along the one
/// reduction (a convolution's or a fully connected layer's weights, the
/// rows being output channels) and few enough of them that skipping the
/// zeros pays.
std::optional<lepton::cpu::SparseRows> sparseWeights(Contraction &c) {
  Type et = getElementTypeOrSelf(c.op.getDpsInits()[0].getType());
  if (!et.isF32() || c.maximum || c.widenA != Widening::None || c.widenB != Widening::None ||
      c.kDims.size() != 1)
    return std::nullopt;
  AffineMap map = c.op.getIndexingMapsArray()[c.a];
  auto k = getAffineDimExpr(c.kDims[0], c.op.getContext());
  if (map.getNumResults() == 0 || map.getResults().back() != k ||
      llvm::any_of(map.getResults().drop_back(),
                   [&](AffineExpr e) { return e.isFunctionOfDim(c.kDims[0]); }))
    return std::nullopt;
  memref::GlobalOp global = lepton::cpu::constantGlobalOf(c.op->getOperand(c.a));
  if (!global)
    return std::nullopt;
  std::optional<std::vector<float>> values = lepton::cpu::floatValues(global);
  if (!values || values->empty())
    return std::nullopt;
  int64_t nonzeros = llvm::count_if(*values, [](float w) { return w != 0.0f; });
  if (nonzeros > kMaxSparseDensity * static_cast<double>(values->size()))
    return std::nullopt;
  return lepton::cpu::sparseRowsOf(
      global, *values, c.sizes[c.kDims[0]], kSparseBlock,
      static_cast<int64_t>(kMaxSparseDensity * static_cast<double>(values->size())));
}

/// Erases `v`'s view chain up to its memref.get_global once nothing uses
/// it, and the global once nothing refers to it (a sparse kernel's dense
/// weights).
void eraseUnusedWeights(Value v, ModuleOp module) {
  memref::GlobalOp global = lepton::cpu::constantGlobalOf(v);
  while (Operation *def = v.getDefiningOp()) {
    if (!def->use_empty() ||
        !isa<memref::ExpandShapeOp, memref::CollapseShapeOp, memref::GetGlobalOp>(def))
      return;
    v = isa<memref::GetGlobalOp>(def) ? Value() : def->getOperand(0);
    def->erase();
    if (!v)
      break;
  }
  if (global && SymbolTable::symbolKnownUseEmpty(global, module))
    global.erase();
}

/// Moves the ops `v` is computed by (an epilogue output's allocation and
/// reshapes) above `point` when they come after it in its block.
void hoistAbove(Value v, Operation *point) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != point->getBlock() || def->isBeforeInBlock(point))
    return;
  for (Value operand : def->getOperands())
    hoistAbove(operand, point);
  def->moveBefore(point);
}

struct VectorizeContractionsPass
    : lepton::impl::VectorizeContractionsBase<VectorizeContractionsPass> {
  using VectorizeContractionsBase::VectorizeContractionsBase;

  void runOnOperation() override {
    SmallVector<Contraction, 4> found;
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
      // A sparse kernel's tile: 64 columns in parts of two vectors, for one
      // row (eight or more 256-bit accumulators) or two (with 512 bits).
      int64_t sparseParts = std::clamp<int64_t>(kSparseTileColumns / (2 * lanes), 1,
                                                std::max<int64_t>(1, vectorRegisters / 4));
      int64_t sparseTileRows = std::max<int64_t>(1, 4 / sparseParts);
      c.sparse = sparseWeights(c);
      if (c.epilogue)
        for (Value v : c.epilogue->getOperands().drop_front())
          hoistAbove(v, c.op);
      KernelEmitter(c, lanes, rows, sparseParts, sparseTileRows, int8Dot, wordDot)
          .emit(threads && flops >= parallelMinFlops, name);
      Value a = c.op->getOperand(c.a);
      c.op.erase();
      if (c.sparse)
        eraseUnusedWeights(a, getOperation());
      if (c.init)
        c.init->erase();
      if (c.epilogue)
        c.epilogue.erase();
      if (c.padded) {
        for (memref::ExpandShapeOp reshape : c.padded->reshapes)
          reshape.erase();
        c.padded->copy->erase();
        c.padded->interior.erase();
        c.padded->fill->erase();
        c.padded->buffer.erase();
      }
    }
  }
};

} // namespace
