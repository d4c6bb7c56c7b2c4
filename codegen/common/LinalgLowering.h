//===- LinalgLowering.h - builders shared by the lowerings to linalg -*- C++ -*-===//
//
// The nn and compress dialects lower to linalg on tensors in one pass
// (lepton-convert-nn-to-linalg), which makes every tensor signless first. The
// builders here, and the few composite lowerings both dialects use, are
// shared by NNToLinalg.cpp and CompressToLinalg.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_CODEGEN_COMMON_LINALGLOWERING_H
#define LEPTON_CODEGEN_COMMON_LINALGLOWERING_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace lepton::lowering {

using namespace mlir;

/// The unit attribute that keeps the lowering from freeing weight blobs.
constexpr llvm::StringLiteral kSharesWeightsAttr = "lepton.shares_weights";

/// Emits the "unsupported" diagnostic every lowering failure goes through.
inline LogicalResult unsupported(Operation *op, const Twine &why) {
  return op->emitError() << "unsupported " << op->getName() << ": " << why;
}

inline bool isSignlessIntOrFloat(Type t) {
  return isa<FloatType>(t) || t.isSignlessInteger();
}

//===----------------------------------------------------------------------===//
// Builders shared by the lowerings
//===----------------------------------------------------------------------===//

struct Lowering {
  OpBuilder &b;
  Location loc;
  /// Integers of the op being lowered are unsigned (ONNX uintN). Tensors are
  /// signless once lowered, so the arithmetic helpers pick the unsigned
  /// variants (division, min/max, comparisons, extension, int<->float).
  bool isUnsigned = false;
  /// Which operands and results are unsigned, for ops that mix signedness
  /// (the quantized ops take uint8 and int8 operands together).
  ArrayRef<bool> unsignedOperands = {}, unsignedResults = {};

  Value constant(Type type, double value) {
    if (auto ft = dyn_cast<FloatType>(type))
      return b.create<arith::ConstantOp>(loc, b.getFloatAttr(ft, value));
    return b.create<arith::ConstantOp>(
        loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
  }

  /// The smallest value of `type`: -inf for floats, INT_MIN for integers.
  Value lowest(Type type) {
    if (auto ft = dyn_cast<FloatType>(type))
      return b.create<arith::ConstantOp>(
          loc, b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), true)));
    unsigned bits = type.getIntOrFloatBitWidth();
    return b.create<arith::ConstantOp>(
        loc, b.getIntegerAttr(type, isUnsigned ? APInt::getMinValue(bits)
                                               : APInt::getSignedMinValue(bits)));
  }

  /// The largest value of `type`: +inf for floats, INT_MAX for integers.
  Value highest(Type type) {
    if (auto ft = dyn_cast<FloatType>(type))
      return b.create<arith::ConstantOp>(
          loc, b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), false)));
    unsigned bits = type.getIntOrFloatBitWidth();
    return b.create<arith::ConstantOp>(
        loc, b.getIntegerAttr(type, isUnsigned ? APInt::getMaxValue(bits)
                                               : APInt::getSignedMaxValue(bits)));
  }

  Value add(Value x, Value y) {
    return isa<FloatType>(x.getType()) ? b.create<arith::AddFOp>(loc, x, y).getResult()
                                       : b.create<arith::AddIOp>(loc, x, y).getResult();
  }
  Value sub(Value x, Value y) {
    return isa<FloatType>(x.getType()) ? b.create<arith::SubFOp>(loc, x, y).getResult()
                                       : b.create<arith::SubIOp>(loc, x, y).getResult();
  }
  Value mul(Value x, Value y) {
    return isa<FloatType>(x.getType()) ? b.create<arith::MulFOp>(loc, x, y).getResult()
                                       : b.create<arith::MulIOp>(loc, x, y).getResult();
  }
  Value div(Value x, Value y) {
    if (isa<FloatType>(x.getType()))
      return b.create<arith::DivFOp>(loc, x, y);
    return isUnsigned ? b.create<arith::DivUIOp>(loc, x, y).getResult()
                      : b.create<arith::DivSIOp>(loc, x, y).getResult();
  }
  Value max(Value x, Value y) {
    if (isa<FloatType>(x.getType()))
      return b.create<arith::MaximumFOp>(loc, x, y);
    return isUnsigned ? b.create<arith::MaxUIOp>(loc, x, y).getResult()
                      : b.create<arith::MaxSIOp>(loc, x, y).getResult();
  }
  Value min(Value x, Value y) {
    if (isa<FloatType>(x.getType()))
      return b.create<arith::MinimumFOp>(loc, x, y);
    return isUnsigned ? b.create<arith::MinUIOp>(loc, x, y).getResult()
                      : b.create<arith::MinSIOp>(loc, x, y).getResult();
  }

  /// Compares with `f` for floats, `i` (a signed or equality predicate) for
  /// integers, made unsigned for unsigned integers.
  Value compare(Value x, Value y, arith::CmpFPredicate f, arith::CmpIPredicate i) {
    if (isa<FloatType>(x.getType()))
      return b.create<arith::CmpFOp>(loc, f, x, y);
    if (isUnsigned)
      i = unsignedPredicate(i);
    return b.create<arith::CmpIOp>(loc, i, x, y);
  }
  static arith::CmpIPredicate unsignedPredicate(arith::CmpIPredicate i) {
    switch (i) {
    case arith::CmpIPredicate::slt: return arith::CmpIPredicate::ult;
    case arith::CmpIPredicate::sle: return arith::CmpIPredicate::ule;
    case arith::CmpIPredicate::sgt: return arith::CmpIPredicate::ugt;
    case arith::CmpIPredicate::sge: return arith::CmpIPredicate::uge;
    default: return i;
    }
  }

  /// ONNX Cast of one scalar between float, integer and bool types
  /// (`isUnsigned` describes the integer side: the source, or the target of
  /// a float source).
  Value convert(Value x, Type to) {
    Type from = x.getType();
    if (from == to)
      return x;
    if (to.isInteger(1)) {
      Value zero = constant(from, 0);
      return isa<FloatType>(from)
                 ? b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, x, zero).getResult()
                 : b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, x, zero).getResult();
    }
    bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
    unsigned fromBits = from.getIntOrFloatBitWidth(), toBits = to.getIntOrFloatBitWidth();
    if (fromFloat && toFloat)
      return fromBits < toBits ? b.create<arith::ExtFOp>(loc, to, x).getResult()
                               : b.create<arith::TruncFOp>(loc, to, x).getResult();
    if (fromFloat)
      return isUnsigned ? b.create<arith::FPToUIOp>(loc, to, x).getResult()
                        : b.create<arith::FPToSIOp>(loc, to, x).getResult();
    bool zeroExtend = from.isInteger(1) || isUnsigned; // bool is 0/1, not -1/0
    if (toFloat)
      return zeroExtend ? b.create<arith::UIToFPOp>(loc, to, x).getResult()
                        : b.create<arith::SIToFPOp>(loc, to, x).getResult();
    if (fromBits < toBits)
      return zeroExtend ? b.create<arith::ExtUIOp>(loc, to, x).getResult()
                        : b.create<arith::ExtSIOp>(loc, to, x).getResult();
    return b.create<arith::TruncIOp>(loc, to, x);
  }

  Value empty(RankedTensorType type) {
    return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
  }
  Value filled(RankedTensorType type, Value scalar) {
    return b.create<linalg::FillOp>(loc, scalar, empty(type)).getResult(0);
  }

  /// A linalg.generic producing `resultType` from `inputs`, each mapped to the
  /// result dims by numpy broadcasting (right-aligned; size-1 dims pinned to 0).
  Value elementwise(RankedTensorType resultType, ValueRange inputs,
                    function_ref<Value(ValueRange)> body) {
    int64_t rank = resultType.getRank();
    SmallVector<AffineMap> maps;
    for (Value in : inputs) {
      auto type = cast<RankedTensorType>(in.getType());
      SmallVector<AffineExpr> exprs;
      for (int64_t j = 0, r = type.getRank(); j < r; ++j) {
        int64_t i = j + rank - r;
        exprs.push_back(type.getDimSize(j) == 1 && resultType.getDimSize(i) != 1
                            ? b.getAffineConstantExpr(0)
                            : b.getAffineDimExpr(i));
      }
      maps.push_back(AffineMap::get(rank, 0, exprs, b.getContext()));
    }
    maps.push_back(b.getMultiDimIdentityMap(rank));
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    return b
        .create<linalg::GenericOp>(
            loc, resultType, inputs, empty(resultType), maps, iters,
            [&](OpBuilder &nb, Location, ValueRange args) {
              Value r = body(args.drop_back());
              nb.create<linalg::YieldOp>(loc, r);
            })
        .getResult(0);
  }

  /// Reduces `input` over `dims` with `combine`, starting from `init`; the
  /// result keeps the reduced dims with size 1.
  Value reduceKeepDims(Value input, ArrayRef<int64_t> dims, Value init,
                       function_ref<Value(Value, Value)> combine) {
    auto type = cast<RankedTensorType>(input.getType());
    int64_t rank = type.getRank();
    SmallVector<int64_t> shape(type.getShape());
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iters;
    for (int64_t d = 0; d < rank; ++d) {
      bool reduced = llvm::is_contained(dims, d);
      if (reduced)
        shape[d] = 1;
      outExprs.push_back(reduced ? b.getAffineConstantExpr(0) : b.getAffineDimExpr(d));
      iters.push_back(reduced ? utils::IteratorType::reduction
                              : utils::IteratorType::parallel);
    }
    auto outType = RankedTensorType::get(shape, type.getElementType());
    SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                   AffineMap::get(rank, 0, outExprs, b.getContext())};
    return b
        .create<linalg::GenericOp>(
            loc, outType, input, filled(outType, init), maps, iters,
            [&](OpBuilder &nb, Location, ValueRange args) {
              nb.create<linalg::YieldOp>(loc, combine(args[1], args[0]));
            })
        .getResult(0);
  }
  Value sumKeepDims(Value input, ArrayRef<int64_t> dims) {
    Type et = cast<RankedTensorType>(input.getType()).getElementType();
    return reduceKeepDims(input, dims, constant(et, 0),
                          [&](Value acc, Value x) { return add(acc, x); });
  }

  Value maxKeepDims(Value input, ArrayRef<int64_t> dims) {
    Type et = cast<RankedTensorType>(input.getType()).getElementType();
    return reduceKeepDims(input, dims, lowest(et),
                          [&](Value acc, Value x) { return max(acc, x); });
  }

  /// The float mean over `dims`, which keep size 1.
  Value meanKeepDims(Value input, ArrayRef<int64_t> dims) {
    auto type = cast<RankedTensorType>(input.getType());
    double count = 1;
    for (int64_t d : dims)
      count *= type.getDimSize(d);
    Value sums = sumKeepDims(input, dims);
    return elementwise(cast<RankedTensorType>(sums.getType()), sums, [&](ValueRange a) {
      return div(a[0], constant(type.getElementType(), count));
    });
  }


  /// Any static reshape, as collapse-to-1-D then expand (both views, no copy).
  Value reshape(Value input, RankedTensorType target) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type == target)
      return input;
    auto flat = RankedTensorType::get({type.getNumElements()}, type.getElementType());
    Value v = input;
    if (type.getRank() == 0)
      v = b.create<tensor::ExpandShapeOp>(loc, flat, v, ArrayRef<ReassociationIndices>{});
    else if (type.getRank() != 1)
      v = b.create<tensor::CollapseShapeOp>(
          loc, flat, v,
          ArrayRef<ReassociationIndices>{
              llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()))});
    if (target.getRank() == 0)
      return b.create<tensor::CollapseShapeOp>(loc, target, v,
                                               ArrayRef<ReassociationIndices>{});
    if (target.getRank() == 1)
      return v;
    return b.create<tensor::ExpandShapeOp>(
        loc, target, v,
        ArrayRef<ReassociationIndices>{
            llvm::to_vector(llvm::seq<int64_t>(0, target.getRank()))});
  }

  /// Pads the spatial dims (2..) of an NC... tensor with `value`.
  Value padSpatial(Value input, ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                   Value value) {
    if (llvm::all_of(low, [](int64_t p) { return p == 0; }) &&
        llvm::all_of(high, [](int64_t p) { return p == 0; }))
      return input;
    auto type = cast<RankedTensorType>(input.getType());
    SmallVector<OpFoldResult> lo(2, b.getIndexAttr(0)), hi(2, b.getIndexAttr(0));
    SmallVector<int64_t> shape(type.getShape());
    for (size_t i = 0; i < low.size(); ++i) {
      lo.push_back(b.getIndexAttr(low[i]));
      hi.push_back(b.getIndexAttr(high[i]));
      shape[i + 2] += low[i] + high[i];
    }
    auto padded = RankedTensorType::get(shape, type.getElementType());
    return b.create<tensor::PadOp>(loc, padded, input, lo, hi, value);
  }

  /// The position of loop `dim` of the enclosing linalg.generic, as i64.
  Value loopIndexI64(int64_t dim) {
    return b.create<arith::IndexCastOp>(loc, b.getI64Type(),
                                        b.create<linalg::IndexOp>(loc, dim));
  }

  Value index(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }

  /// `v` with its dims permuted: result dim i is dim perm[i] of `v`.
  Value transpose(Value v, ArrayRef<int64_t> perm) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(t.getDimSize(p));
    auto outType = RankedTensorType::get(shape, t.getElementType());
    if (Value folded = transposeConstant(v, perm, outType))
      return folded;
    return b.create<linalg::TransposeOp>(loc, v, empty(outType), perm).getResult()[0];
  }

  /// `v` transposed at compile time when it is a constant (weights), so a
  /// kernel reads it in the order it wants at no run-time cost; null otherwise.
  Value transposeConstant(Value v, ArrayRef<int64_t> perm, RankedTensorType outType) {
    ElementsAttr attr;
    Type et = outType.getElementType();
    // Bits of i1 are packed: leave those to the run-time transpose.
    if (!matchPattern(v, m_Constant(&attr)) || !et.isIntOrFloat() ||
        et.getIntOrFloatBitWidth() % 8 != 0)
      return nullptr;
    auto dense = dyn_cast<DenseElementsAttr>(attr);
    if (dense && dense.isSplat())
      return b.create<arith::ConstantOp>(loc, dense.resizeSplat(outType));
    ArrayRef<char> data;
    if (dense) {
      data = dense.getRawData();
    } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
      AsmResourceBlob *blob = resource.getRawHandle().getBlob();
      if (!blob)
        return nullptr;
      data = blob->getData();
    } else {
      return nullptr;
    }
    int64_t bytes = et.getIntOrFloatBitWidth() / 8, count = outType.getNumElements();
    if (static_cast<int64_t>(data.size()) != count * bytes)
      return nullptr;
    SmallVector<int64_t> inStrides =
        computeStrides(cast<RankedTensorType>(v.getType()).getShape());
    SmallVector<int64_t> index(outType.getRank(), 0);
    // Straight into the new blob: a weight is never held a third time.
    AsmResourceBlob blob = HeapAsmResourceBlob::allocate(data.size(), alignof(uint64_t));
    MutableArrayRef<char> out = blob.getMutableData();
    for (int64_t i = 0; i < count; ++i) {
      int64_t from = 0;
      for (size_t d = 0; d < index.size(); ++d)
        from += index[d] * inStrides[perm[d]];
      std::memcpy(&out[i * bytes], &data[from * bytes], bytes);
      for (int64_t d = index.size() - 1; d >= 0 && ++index[d] == outType.getDimSize(d); --d)
        index[d] = 0;
    }
    // Keep the input's form: small constants inline, weights as blobs.
    if (dense)
      return b.create<arith::ConstantOp>(loc,
                                         DenseElementsAttr::getFromRawBuffer(outType, out));
    releaseIfLastUse(v, cast<DenseResourceElementsAttr>(attr));
    return b.create<arith::ConstantOp>(
        loc, DenseResourceElementsAttr::get(outType, "transposed", std::move(blob)));
  }

  /// Frees the bytes of `weight`, which `v` holds, when the op being lowered
  /// is their last reader: it has just made its own transposed copy. Blobs
  /// live as long as the context, so a large model would otherwise hold
  /// every transposed weight twice until the compiler exits. A module marked
  /// `lepton.shares_weights` (a copy the compression passes evaluate) shares
  /// its blobs with the module being compiled and frees nothing.
  void releaseIfLastUse(Value v, DenseResourceElementsAttr weight) {
    Operation *def = v.getDefiningOp();
    if (!def || !v.hasOneUse())
      return;
    auto module = def->getParentOfType<ModuleOp>();
    if (module->hasAttr(kSharesWeightsAttr))
      return;
    DenseResourceElementsHandle handle = weight.getRawHandle();
    bool shared = false;
    module.walk([&](Operation *op) {
      for (NamedAttribute a : op->getAttrs())
        if (auto other = dyn_cast<DenseResourceElementsAttr>(a.getValue()))
          shared |= op != def && other.getRawHandle() == handle;
      return shared ? WalkResult::interrupt() : WalkResult::advance();
    });
    if (!shared)
      handle.getResource()->setBlob(AsmResourceBlob());
  }

  /// The biased variance over `dims` (kept as size 1) of `x` whose mean there is `mean`.
  Value varianceKeepDims(Value x, Value mean, ArrayRef<int64_t> dims) {
    Value squares =
        elementwise(cast<RankedTensorType>(x.getType()), {x, mean}, [&](ValueRange a) {
          Value d = sub(a[0], a[1]);
          return mul(d, d);
        });
    return meanKeepDims(squares, dims);
  }

  /// An index value clamped into [0, size).
  Value clampIndex(Value i, int64_t size) {
    return b.create<arith::MinSIOp>(
        loc, b.create<arith::MaxSIOp>(loc, i, b.create<arith::ConstantIndexOp>(loc, 0)),
        b.create<arith::ConstantIndexOp>(loc, size - 1));
  }

  /// An index read from an ONNX indices tensor as an `index` into a dim of
  /// `size`: negative values count from the back, and out-of-range values
  /// (undefined in ONNX) are clamped so generated code stays in bounds.
  Value wrapIndex(Value raw, int64_t size) {
    Value i = b.create<arith::IndexCastOp>(loc, b.getIndexType(), raw);
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    Value negative = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, i, zero);
    i = b.create<arith::SelectOp>(
        loc, negative, b.create<arith::AddIOp>(loc, i, b.create<arith::ConstantIndexOp>(loc, size)),
        i);
    return clampIndex(i, size);
  }

  /// scf.for loops over [0, bounds[i]) carrying `inits`, for scatters and
  /// data-dependent writes (which linalg cannot express); `body` returns the
  /// updated carried values.
  SmallVector<Value> loopNest(ArrayRef<int64_t> bounds, ValueRange inits,
                              function_ref<SmallVector<Value>(ValueRange, ValueRange)> body) {
    SmallVector<Value> ivs;
    std::function<SmallVector<Value>(size_t, ValueRange)> build =
        [&](size_t depth, ValueRange acc) -> SmallVector<Value> {
      if (depth == bounds.size())
        return body(ivs, acc);
      auto loop = b.create<scf::ForOp>(
          loc, b.create<arith::ConstantIndexOp>(loc, 0),
          b.create<arith::ConstantIndexOp>(loc, bounds[depth]),
          b.create<arith::ConstantIndexOp>(loc, 1), acc);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      ivs.push_back(loop.getInductionVar());
      SmallVector<Value> next = build(depth + 1, loop.getRegionIterArgs());
      ivs.pop_back();
      b.create<scf::YieldOp>(loc, next);
      return loop.getResults();
    };
    return build(0, inits);
  }
  Value loopNest(ArrayRef<int64_t> bounds, Value init,
                 function_ref<Value(ValueRange, Value)> body) {
    return loopNest(bounds, ValueRange{init}, [&](ValueRange ivs, ValueRange acc) {
      return SmallVector<Value>{body(ivs, acc[0])};
    })[0];
  }

  /// Element `i` of a 1-D tensor.
  Value element(Value tensor, int64_t i) {
    return b.create<tensor::ExtractOp>(loc, tensor,
                                       ValueRange{b.create<arith::ConstantIndexOp>(loc, i)});
  }

  /// An scf.index_switch on `key` yielding one `type` value: `build(i)` fills
  /// the region of keys[i]; the region of keys[0] is also the default.
  Value indexSwitch(Value key, ArrayRef<int64_t> keys, Type type,
                    function_ref<Value(size_t)> build) {
    auto op = b.create<scf::IndexSwitchOp>(loc, TypeRange{type}, key, keys.drop_front(),
                                           keys.size() - 1);
    for (size_t i = 0; i < keys.size(); ++i) {
      Region &region = i == 0 ? op.getDefaultRegion() : op.getCaseRegions()[i - 1];
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&region.emplaceBlock());
      b.create<scf::YieldOp>(loc, build(i));
    }
    return op.getResult(0);
  }

  /// Reads a 0-d or one-element tensor as a scalar.
  Value scalar(Value tensor) {
    auto type = cast<RankedTensorType>(tensor.getType());
    SmallVector<Value> zeros(type.getRank(), b.create<arith::ConstantIndexOp>(loc, 0));
    return b.create<tensor::ExtractOp>(loc, tensor, zeros);
  }
};

inline RankedTensorType resultType(Operation *op) {
  return cast<RankedTensorType>(op->getResult(0).getType());
}

//===----------------------------------------------------------------------===//
// Composite lowerings shared with the compress dialect (NNToLinalg.cpp)
//===----------------------------------------------------------------------===//

/// `param` (one value, or one per index of `axis`) reshaped to broadcast
/// along `axis` of a rank-`rank` tensor.
Value alongAxis(Lowering &l, Value param, int64_t rank, int64_t axis);

/// round_half_even(v) + zeroPoint (a float), saturated to the integer type `to`.
Value saturateRound(Lowering &l, Value v, Value zeroPoint, Type to, bool toUnsigned);

/// Integer `v` widened to `to` by its signedness (`v` itself when it has
/// that type already).
inline Value widen(Lowering &l, Value v, Type to, bool isUnsigned) {
  if (v.getType() == to)
    return v;
  return isUnsigned ? l.b.create<arith::ExtUIOp>(l.loc, to, v).getResult()
                    : l.b.create<arith::ExtSIOp>(l.loc, to, v).getResult();
}

/// How the operands of a product enter it when they are narrower integers
/// than the result: each is widened inside the multiply-accumulate by its
/// signedness (so the kernels read bytes, and the CPU backend can use its
/// dot-product instructions), and a convolution pads its input with
/// `padValue` (the input's zero point, when the bias carries the zero-point
/// correction).
struct ProductOperands {
  bool lhsUnsigned = false, rhsUnsigned = false;
  int64_t padValue = 0;
};

/// numpy matmul of `a` and `bv` into `type`.
Value matMulOf(Lowering &l, Value a, Value bv, RankedTensorType type,
               ProductOperands operands = {});

/// Conv of `xv` and `wv` plus `bias` (null or none, or one per filter) into
/// `outType`, with the attributes of `op` (nn Conv, ConvInteger, QLinearConv,
/// compress conv); `operands`' lhs is the input, its rhs the weight.
template <typename OpT>
FailureOr<Value> convOf(OpT op, Lowering &l, Value xv, Value wv, Value bias,
                        RankedTensorType outType, ProductOperands operands = {});

/// Lowers one compress op (CompressToLinalg.cpp). `original` holds its
/// operand and result types before the function was made signless.
FailureOr<SmallVector<Value>> lowerCompressOp(Operation *op, Lowering &l,
                                              ArrayRef<Type> originalOperands,
                                              ArrayRef<Type> originalResults);

} // namespace lepton::lowering

#endif // LEPTON_CODEGEN_COMMON_LINALGLOWERING_H
