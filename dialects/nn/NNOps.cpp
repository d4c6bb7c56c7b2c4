//===- NNOps.cpp - nn dialect: verifiers, type inference, folders ---------===//
#include "dialects/nn/NNDialect.h"
#include "dialects/nn/NNShapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace lepton::nn;

#include "dialects/nn/NNDialect.cpp.inc"

std::string lepton::nn::nodeNames(Location loc) {
  llvm::SetVector<StringRef> names;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l))
      names.insert(named.getName().strref());
    return WalkResult::advance();
  });
  return names.empty() ? "(no node)" : llvm::join(names, " + ");
}

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/nn/NNOps.cpp.inc"
      >();
}

Operation *NNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static constexpr int64_t kDyn = ShapedType::kDynamic;

static RankedTensorType tensorOf(ArrayRef<int64_t> shape, Type element) {
  return RankedTensorType::get(shape, element);
}

static RankedTensorType rankedType(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

/// `attrs` with the ODS default values filled in: attributes live in the
/// dictionary (not properties), so adaptors built during type inference would
/// otherwise see defaulted attributes as missing.
static DictionaryAttr withDefaults(MLIRContext *ctx, StringRef opName,
                                   DictionaryAttr attrs) {
  NamedAttrList list(attrs);
  RegisteredOperationName::lookup(opName, ctx)->populateDefaultAttrs(list);
  return list.getDictionary(ctx);
}

/// Result types equal to the first operand's type.
static LogicalResult sameAsFirst(ValueRange operands,
                                 SmallVectorImpl<Type> &types) {
  types.push_back(operands[0].getType());
  return success();
}

#define SAME_AS_FIRST_OPERAND(OP)                                              \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location>, ValueRange operands,             \
      DictionaryAttr, OpaqueProperties, RegionRange,                           \
      SmallVectorImpl<Type> &types) {                                          \
    return sameAsFirst(operands, types);                                       \
  }
SAME_AS_FIRST_OPERAND(ClipOp)
SAME_AS_FIRST_OPERAND(SoftmaxOp)
SAME_AS_FIRST_OPERAND(LogSoftmaxOp)
SAME_AS_FIRST_OPERAND(HardmaxOp)
SAME_AS_FIRST_OPERAND(TriluOp)
SAME_AS_FIRST_OPERAND(InstanceNormalizationOp)
SAME_AS_FIRST_OPERAND(LRNOp)
SAME_AS_FIRST_OPERAND(CumSumOp)
#undef SAME_AS_FIRST_OPERAND

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *ctx,
                                           std::optional<Location> loc,
                                           ValueRange, DictionaryAttr attrs,
                                           OpaqueProperties, RegionRange,
                                           SmallVectorImpl<Type> &types) {
  auto value = attrs ? attrs.getAs<ElementsAttr>("value") : ElementsAttr();
  if (!value)
    return emitOptionalError(loc, "requires an elements 'value' attribute");
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type)
    return emitOptionalError(loc, "value must be a ranked tensor");
  types.push_back(type);
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }
OpFoldResult IdentityOp::fold(FoldAdaptor) { return getInput(); }

LogicalResult DropoutOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location>,
                                          ValueRange operands, DictionaryAttr,
                                          OpaqueProperties, RegionRange,
                                          SmallVectorImpl<Type> &types) {
  auto data = rankedType(operands[0]);
  types.push_back(data);
  types.push_back(tensorOf(data.getShape(), IntegerType::get(ctx, 1)));
  return success();
}

LogicalResult DropoutOp::fold(FoldAdaptor, SmallVectorImpl<OpFoldResult> &results) {
  auto maskType = cast<RankedTensorType>(getMask().getType());
  if (!maskType.hasStaticShape())
    return failure();
  results.push_back(getData());
  results.push_back(DenseElementsAttr::get(maskType, true));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// The broadcast shape of `operands`; all of them share one element type
/// unless `sameElementType` is false. The result has element type `result`
/// (null: the first operand's).
static LogicalResult inferBroadcast(std::optional<Location> loc,
                                    ValueRange operands,
                                    SmallVectorImpl<Type> &types,
                                    Type result = {}, bool sameElementType = true) {
  if (operands.empty())
    return emitOptionalError(loc, "needs at least one input");
  auto first = rankedType(operands.front());
  SmallVector<int64_t> shape(first.getShape());
  for (Value v : operands.drop_front()) {
    auto t = rankedType(v);
    if (sameElementType && t.getElementType() != first.getElementType())
      return emitOptionalError(loc, "operand element types differ: ",
                               first.getElementType(), " vs ", t.getElementType());
    auto merged = broadcastShapes(shape, t.getShape());
    if (!merged)
      return emitOptionalError(loc, "shapes ", tensorOf(shape, first.getElementType()),
                               " and ", t, " are not broadcast-compatible");
    shape = *merged;
  }
  types.push_back(tensorOf(shape, result ? result : first.getElementType()));
  return success();
}

#define INFER_RETURN_TYPES(OP)                                                 \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> loc, ValueRange operands,      \
      DictionaryAttr, OpaqueProperties, RegionRange,                           \
      SmallVectorImpl<Type> &types)
#define BROADCAST(OP)                                                          \
  INFER_RETURN_TYPES(OP) { return inferBroadcast(loc, operands, types); }
#define COMPARISON(OP)                                                         \
  INFER_RETURN_TYPES(OP) {                                                     \
    return inferBroadcast(loc, operands, types, IntegerType::get(ctx, 1));     \
  }
BROADCAST(AddOp)
BROADCAST(SubOp)
BROADCAST(MulOp)
BROADCAST(DivOp)
BROADCAST(PReluOp)
BROADCAST(AndOp)
BROADCAST(OrOp)
BROADCAST(XorOp)
BROADCAST(ModOp)
BROADCAST(BitShiftOp)
BROADCAST(MaxOp)
BROADCAST(MinOp)
BROADCAST(SumOp)
BROADCAST(MeanOp)
COMPARISON(EqualOp)
COMPARISON(LessOp)
COMPARISON(LessOrEqualOp)
COMPARISON(GreaterOp)
COMPARISON(GreaterOrEqualOp)

// Pow's exponent may have another element type than its base.
INFER_RETURN_TYPES(PowOp) {
  return inferBroadcast(loc, operands, types, {}, /*sameElementType=*/false);
}

INFER_RETURN_TYPES(WhereOp) {
  if (!rankedType(operands[0]).getElementType().isInteger(1))
    return emitOptionalError(loc, "condition must be a bool tensor");
  if (rankedType(operands[1]).getElementType() != rankedType(operands[2]).getElementType())
    return emitOptionalError(loc, "X and Y element types differ");
  return inferBroadcast(loc, operands, types, rankedType(operands[1]).getElementType(),
                        /*sameElementType=*/false);
}
#undef COMPARISON
#undef BROADCAST
#undef INFER_RETURN_TYPES

/// Optional scalar operands must be absent or 0-d/1-element tensors of the
/// input's element type.
static LogicalResult verifyScalarOperand(Operation *op, Value v, Type element,
                                         StringRef what) {
  if (isa<NoneType>(v.getType()))
    return success();
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType() != element)
    return op->emitOpError() << what << " must have the input's element type";
  if (type.hasStaticShape() && type.getNumElements() != 1)
    return op->emitOpError() << what << " must be a scalar";
  return success();
}

LogicalResult ClipOp::verify() {
  Type element = cast<RankedTensorType>(getInput().getType()).getElementType();
  if (failed(verifyScalarOperand(*this, getMin(), element, "min")) ||
      failed(verifyScalarOperand(*this, getMax(), element, "max")))
    return failure();
  return success();
}

LogicalResult DropoutOp::verify() {
  if (auto mode = getConstantIntValues(getTrainingMode()))
    if (!mode->empty() && (*mode)[0] != 0)
      return emitOpError("training mode is not supported");
  return success();
}

LogicalResult BatchNormalizationOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, ValueRange operands, DictionaryAttr attrs,
    OpaqueProperties props, RegionRange regions, SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  types.push_back(op.getX().getType());
  if (op.getTrainingMode() != 0) {
    types.push_back(op.getInputMean().getType());
    types.push_back(op.getInputVar().getType());
  }
  return success();
}

LogicalResult LayerNormalizationOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, ValueRange operands, DictionaryAttr attrs,
    OpaqueProperties props, RegionRange regions, SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getX());
  auto axis = normalizeAxis(op.getAxis(), x.getRank());
  if (!axis)
    return emitOptionalError(loc, "axis ", op.getAxis(), " is out of range");
  Type stash = x.getElementType();
  if (op.getStashType() == 1 && isa<FloatType>(stash) && stash.getIntOrFloatBitWidth() < 32)
    stash = Float32Type::get(ctx);
  SmallVector<int64_t> statShape(x.getShape());
  for (int64_t d = *axis; d < x.getRank(); ++d)
    statShape[d] = 1;
  types.push_back(x);
  types.push_back(tensorOf(statShape, stash));
  types.push_back(tensorOf(statShape, stash));
  return success();
}

/// The result of reducing `dims` of `input`, keeping them as size 1 or not.
static RankedTensorType reducedType(RankedTensorType input, ArrayRef<int64_t> dims,
                                    bool keepDims, Type element) {
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < input.getRank(); ++d) {
    if (!llvm::is_contained(dims, d))
      shape.push_back(input.getDimSize(d));
    else if (keepDims)
      shape.push_back(1);
  }
  return tensorOf(shape, element);
}

template <typename ReduceOp>
static LogicalResult inferReduce(MLIRContext *ctx, std::optional<Location> loc,
                                 ValueRange operands, DictionaryAttr attrs,
                                 OpaqueProperties props, RegionRange regions,
                                 SmallVectorImpl<Type> &types) {
  typename ReduceOp::Adaptor op(
      operands, withDefaults(ctx, ReduceOp::getOperationName(), attrs), props, regions);
  auto data = rankedType(op.getData());
  if (isRuntimeValue(op.getAxes()) && staticNumElements(op.getAxes()) != 0) {
    // Axes known only at run time: the rank is known, the dims come from ONNX
    // shape inference or the declared output (the lowering needs them static).
    auto count = staticNumElements(op.getAxes());
    if (!count || *count > data.getRank())
      return emitOptionalError(loc, "unsupported: reduction axes of unknown count");
    int64_t rank = op.getKeepdims() ? data.getRank() : data.getRank() - *count;
    types.push_back(tensorOf(SmallVector<int64_t>(rank, kDyn), data.getElementType()));
    return success();
  }
  std::string error;
  auto dims = reductionDims(op.getAxes(), data.getRank(), op.getNoopWithEmptyAxes(), error);
  if (!dims)
    return emitOptionalError(loc, error);
  types.push_back(reducedType(data, *dims, op.getKeepdims() != 0, data.getElementType()));
  return success();
}

#define REDUCE(OP)                                                             \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> loc, ValueRange operands,      \
      DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,       \
      SmallVectorImpl<Type> &types) {                                          \
    return inferReduce<OP>(ctx, loc, operands, attrs, props, regions, types);  \
  }
REDUCE(ReduceSumOp)
REDUCE(ReduceMeanOp)
REDUCE(ReduceMaxOp)
REDUCE(ReduceMinOp)
REDUCE(ReduceProdOp)
REDUCE(ReduceL1Op)
REDUCE(ReduceL2Op)
REDUCE(ReduceLogSumOp)
REDUCE(ReduceLogSumExpOp)
REDUCE(ReduceSumSquareOp)
#undef REDUCE

template <typename ArgOp>
static LogicalResult inferArg(MLIRContext *ctx, std::optional<Location> loc,
                              ValueRange operands, DictionaryAttr attrs,
                              OpaqueProperties props, RegionRange regions,
                              SmallVectorImpl<Type> &types) {
  typename ArgOp::Adaptor op(operands, withDefaults(ctx, ArgOp::getOperationName(), attrs),
                             props, regions);
  auto data = rankedType(op.getData());
  auto axis = normalizeAxis(op.getAxis(), data.getRank());
  if (!axis)
    return emitOptionalError(loc, "axis ", op.getAxis(), " is out of range");
  types.push_back(reducedType(data, {*axis}, op.getKeepdims() != 0,
                              IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &types) {
  return inferArg<ArgMaxOp>(ctx, loc, operands, attrs, props, regions, types);
}

LogicalResult ArgMinOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &types) {
  return inferArg<ArgMinOp>(ctx, loc, operands, attrs, props, regions, types);
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                       ValueRange operands, DictionaryAttr attrs,
                                       OpaqueProperties props, RegionRange regions,
                                       SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  Type to = onnxElementType(ctx, op.getTo());
  if (!to)
    return emitOptionalError(loc, "unsupported element type code ", op.getTo());
  types.push_back(rankedType(op.getInput()).clone(to));
  return success();
}

LogicalResult CastLikeOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                           ValueRange operands, DictionaryAttr,
                                           OpaqueProperties, RegionRange,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(rankedType(operands[0]).clone(rankedType(operands[1]).getElementType()));
  return success();
}

static LogicalResult inferFloatPredicate(MLIRContext *ctx, std::optional<Location> loc,
                                         ValueRange operands, SmallVectorImpl<Type> &types) {
  auto x = rankedType(operands[0]);
  if (!isa<FloatType>(x.getElementType()))
    return emitOptionalError(loc, "X must be a float tensor");
  types.push_back(x.clone(IntegerType::get(ctx, 1)));
  return success();
}

LogicalResult IsNaNOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                        ValueRange operands, DictionaryAttr,
                                        OpaqueProperties, RegionRange,
                                        SmallVectorImpl<Type> &types) {
  return inferFloatPredicate(ctx, loc, operands, types);
}

LogicalResult IsInfOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                        ValueRange operands, DictionaryAttr,
                                        OpaqueProperties, RegionRange,
                                        SmallVectorImpl<Type> &types) {
  return inferFloatPredicate(ctx, loc, operands, types);
}

LogicalResult SqueezeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          ValueRange operands, DictionaryAttr,
                                          OpaqueProperties, RegionRange,
                                          SmallVectorImpl<Type> &types) {
  auto data = rankedType(operands[0]);
  SmallVector<int64_t> dims;
  if (isa<NoneType>(operands[1].getType())) {
    for (int64_t d = 0; d < data.getRank(); ++d) {
      if (data.isDynamicDim(d))
        return emitOptionalError(loc, "unsupported: squeezing a dynamic dim");
      if (data.getDimSize(d) == 1)
        dims.push_back(d);
    }
  } else {
    auto axes = getConstantIntValues(operands[1]);
    if (!axes) {
      auto count = staticNumElements(operands[1]);
      if (!count || *count > data.getRank())
        return emitOptionalError(loc, "unsupported: axes of unknown count");
      types.push_back(tensorOf(SmallVector<int64_t>(data.getRank() - *count, kDyn),
                               data.getElementType()));
      return success();
    }
    for (int64_t a : *axes) {
      auto axis = normalizeAxis(a, data.getRank());
      if (!axis || (!data.isDynamicDim(*axis) && data.getDimSize(*axis) != 1))
        return emitOptionalError(loc, "axis ", a, " is not a size-1 dim");
      dims.push_back(*axis);
    }
  }
  types.push_back(reducedType(data, dims, /*keepDims=*/false, data.getElementType()));
  return success();
}

LogicalResult UnsqueezeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr,
                                            OpaqueProperties, RegionRange,
                                            SmallVectorImpl<Type> &types) {
  auto data = rankedType(operands[0]);
  auto axes = getConstantIntValues(operands[1]);
  if (!axes) {
    auto count = staticNumElements(operands[1]);
    if (!count)
      return emitOptionalError(loc, "unsupported: axes of unknown count");
    types.push_back(tensorOf(SmallVector<int64_t>(data.getRank() + *count, kDyn),
                             data.getElementType()));
    return success();
  }
  int64_t rank = data.getRank() + axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : *axes) {
    auto axis = normalizeAxis(a, rank);
    if (!axis || inserted[*axis])
      return emitOptionalError(loc, "axes must be distinct and within the output rank");
    inserted[*axis] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0, in = 0; d < rank; ++d)
    shape.push_back(inserted[d] ? 1 : data.getDimSize(in++));
  types.push_back(tensorOf(shape, data.getElementType()));
  return success();
}

/// The [start, end) dim range of ONNX Shape (negative values count from the
/// back, out-of-range values are clamped).
static std::pair<int64_t, int64_t> shapeRange(int64_t rank, std::optional<int64_t> start,
                                              std::optional<int64_t> end) {
  auto clamp = [rank](int64_t v) {
    if (v < 0)
      v += rank;
    return std::min(std::max<int64_t>(v, 0), rank);
  };
  int64_t s = clamp(start.value_or(0)), e = clamp(end.value_or(rank));
  return {s, std::max(s, e)};
}

LogicalResult ShapeOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location>,
                                        ValueRange operands, DictionaryAttr attrs,
                                        OpaqueProperties props, RegionRange regions,
                                        SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto [start, end] =
      shapeRange(rankedType(op.getData()).getRank(), op.getStart(), op.getEnd());
  types.push_back(tensorOf({end - start}, IntegerType::get(ctx, 64)));
  return success();
}

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  auto data = cast<RankedTensorType>(getData().getType());
  if (!data.hasStaticShape())
    return {};
  auto [start, end] = shapeRange(data.getRank(), getStart(), getEnd());
  return DenseElementsAttr::get(cast<ShapedType>(getType()),
                                data.getShape().slice(start, end - start));
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto data = rankedType(op.getData()), indices = rankedType(op.getIndices());
  if (!indices.getElementType().isInteger(32) && !indices.getElementType().isInteger(64))
    return emitOptionalError(loc, "indices must be int32 or int64");
  auto axis = normalizeAxis(op.getAxis(), data.getRank());
  if (!axis)
    return emitOptionalError(loc, "axis ", op.getAxis(), " is out of range");
  SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));
  types.push_back(tensorOf(shape, data.getElementType()));
  return success();
}

static LogicalResult checkIndices(std::optional<Location> loc, RankedTensorType indices) {
  if (!indices.getElementType().isInteger(32) && !indices.getElementType().isInteger(64))
    return emitOptionalError(loc, "indices must be int32 or int64");
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                                 ValueRange operands, DictionaryAttr attrs,
                                                 OpaqueProperties props, RegionRange regions,
                                                 SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto data = rankedType(op.getData()), indices = rankedType(op.getIndices());
  if (failed(checkIndices(loc, indices)))
    return failure();
  if (indices.getRank() != data.getRank() || !normalizeAxis(op.getAxis(), data.getRank()))
    return emitOptionalError(loc, "indices must have the rank of data and axis be in range");
  types.push_back(tensorOf(indices.getShape(), data.getElementType()));
  return success();
}

LogicalResult GatherNDOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                           ValueRange operands, DictionaryAttr attrs,
                                           OpaqueProperties props, RegionRange regions,
                                           SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto data = rankedType(op.getData()), indices = rankedType(op.getIndices());
  if (failed(checkIndices(loc, indices)))
    return failure();
  int64_t b = op.getBatchDims(), q = indices.getRank(), r = data.getRank();
  int64_t k = q ? indices.getDimSize(q - 1) : kDyn;
  if (q < 1 || k == kDyn || b < 0 || b >= std::min(q, r) || b + k > r)
    return emitOptionalError(loc, "indices do not fit data (batch_dims ", b, ")");
  SmallVector<int64_t> shape(indices.getShape().drop_back());
  llvm::append_range(shape, data.getShape().drop_front(b + k));
  types.push_back(tensorOf(shape, data.getElementType()));
  return success();
}

static LogicalResult inferScatter(std::optional<Location> loc, Value data, Value indices,
                                  Value updates, StringRef reduction,
                                  SmallVectorImpl<Type> &types) {
  if (failed(checkIndices(loc, rankedType(indices))))
    return failure();
  if (rankedType(updates).getElementType() != rankedType(data).getElementType())
    return emitOptionalError(loc, "updates must have the element type of data");
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, reduction))
    return emitOptionalError(loc, "unknown reduction '", reduction, "'");
  types.push_back(data.getType());
  return success();
}

LogicalResult ScatterElementsOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                                  ValueRange operands, DictionaryAttr attrs,
                                                  OpaqueProperties props, RegionRange regions,
                                                  SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto data = rankedType(op.getData());
  if (rankedType(op.getIndices()).getShape() != rankedType(op.getUpdates()).getShape() ||
      rankedType(op.getIndices()).getRank() != data.getRank() ||
      !normalizeAxis(op.getAxis(), data.getRank()))
    return emitOptionalError(loc, "indices and updates must match and have the rank of data");
  return inferScatter(loc, op.getData(), op.getIndices(), op.getUpdates(), op.getReduction(),
                      types);
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr attrs,
                                            OpaqueProperties props, RegionRange regions,
                                            SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto data = rankedType(op.getData()), indices = rankedType(op.getIndices());
  int64_t q = indices.getRank(), k = q ? indices.getDimSize(q - 1) : kDyn;
  if (q < 1 || k == kDyn || k > data.getRank())
    return emitOptionalError(loc, "indices do not fit data");
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(k));
  if (failed(verifyCompatibleShape(expected, rankedType(op.getUpdates()).getShape())))
    return emitOptionalError(loc, "updates must have shape indices[:-1] + data[k:]");
  return inferScatter(loc, op.getData(), op.getIndices(), op.getUpdates(), op.getReduction(),
                      types);
}

/// The loss of NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: per
/// target element for reduction "none", else a scalar.
static LogicalResult inferLoss(std::optional<Location> loc, Value input, Value target,
                               Value weight, StringRef reduction,
                               SmallVectorImpl<Type> &types) {
  auto in = rankedType(input), t = rankedType(target);
  if (failed(checkIndices(loc, t)))
    return failure();
  if (in.getRank() < 2 || t.getRank() != in.getRank() - 1)
    return emitOptionalError(loc, "input must be [N, C, d...] and target [N, d...]");
  if (auto w = rankedType(weight);
      w && (w.getRank() != 1 || w.getElementType() != in.getElementType()))
    return emitOptionalError(loc, "weight must be a [C] vector of the input type");
  if (!llvm::is_contained({"none", "sum", "mean"}, reduction))
    return emitOptionalError(loc, "unknown reduction '", reduction, "'");
  types.push_back(reduction == "none" ? tensorOf(t.getShape(), in.getElementType())
                                      : tensorOf({}, in.getElementType()));
  return success();
}

LogicalResult NegativeLogLikelihoodLossOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, ValueRange operands, DictionaryAttr attrs,
    OpaqueProperties props, RegionRange regions, SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  return inferLoss(loc, op.getInput(), op.getTarget(), op.getWeight(), op.getReduction(), types);
}

LogicalResult SoftmaxCrossEntropyLossOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, ValueRange operands, DictionaryAttr attrs,
    OpaqueProperties props, RegionRange regions, SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  if (failed(inferLoss(loc, op.getScores(), op.getLabels(), op.getWeights(), op.getReduction(),
                       types)))
    return failure();
  types.push_back(op.getScores().getType());
  return success();
}

/// Shared checks of DepthToSpace/SpaceToDepth: a static NCHW input whose
/// divided dims (channels by b*b, or H and W by b) divide evenly.
static LogicalResult inferBlockRearrange(std::optional<Location> loc, Value input,
                                         int64_t b, bool toSpace,
                                         SmallVectorImpl<Type> &types) {
  auto x = rankedType(input);
  if (x.getRank() != 4 || !x.hasStaticShape())
    return emitOptionalError(loc, "input must be a static NCHW tensor");
  if (b <= 0)
    return emitOptionalError(loc, "blocksize must be positive");
  int64_t n = x.getDimSize(0), c = x.getDimSize(1), h = x.getDimSize(2), w = x.getDimSize(3);
  if (toSpace ? c % (b * b) != 0 : (h % b != 0 || w % b != 0))
    return emitOptionalError(loc, "dims are not divisible by the blocksize");
  SmallVector<int64_t> shape = toSpace ? SmallVector<int64_t>{n, c / (b * b), h * b, w * b}
                                       : SmallVector<int64_t>{n, c * b * b, h / b, w / b};
  types.push_back(tensorOf(shape, x.getElementType()));
  return success();
}

LogicalResult DepthToSpaceOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                               ValueRange operands, DictionaryAttr attrs,
                                               OpaqueProperties props, RegionRange regions,
                                               SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  if (op.getMode() != "DCR" && op.getMode() != "CRD")
    return emitOptionalError(loc, "mode must be DCR or CRD");
  return inferBlockRearrange(loc, op.getInput(), op.getBlocksize(), true, types);
}

LogicalResult SpaceToDepthOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                               ValueRange operands, DictionaryAttr attrs,
                                               OpaqueProperties props, RegionRange regions,
                                               SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  return inferBlockRearrange(loc, op.getInput(), op.getBlocksize(), false, types);
}

/// For ops whose output shape is the value of a 1-D int64 operand: the
/// constant shape when known, else `rank` dynamic dims (the importer refines
/// them from ONNX shape inference).
static FailureOr<SmallVector<int64_t>> shapeOperand(std::optional<Location> loc, Value shape) {
  auto type = rankedType(shape);
  if (type.getRank() != 1 || !type.getElementType().isInteger(64))
    return emitOptionalError(loc, "the shape must be a 1-D int64 tensor");
  if (auto values = getConstantIntValues(shape))
    return *values;
  if (type.isDynamicDim(0))
    return emitOptionalError(loc, "unsupported: a shape of unknown length");
  return SmallVector<int64_t>(type.getDimSize(0), kDyn);
}

LogicalResult ExpandOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties, RegionRange,
                                         SmallVectorImpl<Type> &types) {
  auto input = rankedType(operands[0]);
  auto shape = shapeOperand(loc, operands[1]);
  if (failed(shape))
    return failure();
  auto result = broadcastShapes(input.getShape(), *shape);
  if (!result)
    return emitOptionalError(loc, "the input does not broadcast to the shape");
  types.push_back(tensorOf(*result, input.getElementType()));
  return success();
}

LogicalResult TileOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       ValueRange operands, DictionaryAttr,
                                       OpaqueProperties, RegionRange,
                                       SmallVectorImpl<Type> &types) {
  auto input = rankedType(operands[0]);
  auto repeats = shapeOperand(loc, operands[1]);
  if (failed(repeats))
    return failure();
  if ((int64_t)repeats->size() != input.getRank())
    return emitOptionalError(loc, "repeats must have one entry per dim");
  SmallVector<int64_t> shape;
  for (auto [d, r] : llvm::zip(input.getShape(), *repeats)) {
    if (r != kDyn && r < 0)
      return emitOptionalError(loc, "repeats must not be negative");
    shape.push_back(d == kDyn || r == kDyn ? kDyn : d * r);
  }
  types.push_back(tensorOf(shape, input.getElementType()));
  return success();
}

LogicalResult ConstantOfShapeOp::inferReturnTypes(MLIRContext *ctx,
                                                  std::optional<Location> loc,
                                                  ValueRange operands, DictionaryAttr attrs,
                                                  OpaqueProperties props, RegionRange regions,
                                                  SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto shape = shapeOperand(loc, op.getInput());
  if (failed(shape))
    return failure();
  Type element = Float32Type::get(ctx);
  if (auto value = op.getValueAttr()) {
    if (value.getNumElements() != 1)
      return emitOptionalError(loc, "value must hold one element");
    element = value.getElementType();
  }
  types.push_back(tensorOf(*shape, element));
  return success();
}

LogicalResult SizeOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location>,
                                       ValueRange, DictionaryAttr, OpaqueProperties,
                                       RegionRange, SmallVectorImpl<Type> &types) {
  types.push_back(tensorOf({}, IntegerType::get(ctx, 64)));
  return success();
}

OpFoldResult SizeOp::fold(FoldAdaptor) {
  auto data = cast<RankedTensorType>(getData().getType());
  if (!data.hasStaticShape())
    return {};
  return DenseElementsAttr::get(cast<ShapedType>(getType()), data.getNumElements());
}

//===----------------------------------------------------------------------===//
// Convolution, pooling, matrix products
//===----------------------------------------------------------------------===//

/// The output shape of Conv, ConvInteger and QLinearConv (same attributes).
template <typename Adaptor>
static FailureOr<SmallVector<int64_t>> inferConvShape(std::optional<Location> loc, Adaptor op,
                                                      Value X, Value W, Value B) {
  auto x = rankedType(X), w = rankedType(W);
  if (!x || !w || x.getRank() < 3 || w.getRank() != x.getRank())
    return emitOptionalError(loc, "X and W must have the same rank >= 3");
  int64_t group = op.getGroup();
  int64_t channels = x.getDimSize(1), filters = w.getDimSize(0);
  if (group <= 0)
    return emitOptionalError(loc, "group must be positive");
  if (channels != kDyn && w.getDimSize(1) != kDyn &&
      channels != w.getDimSize(1) * group)
    return emitOptionalError(loc, "X has ", channels, " channels but W expects ",
                             w.getDimSize(1), " x group ", group);
  if (filters != kDyn && filters % group != 0)
    return emitOptionalError(loc, "the number of filters is not divisible by group");
  if (auto b = B ? rankedType(B) : RankedTensorType())
    if (b.getRank() != 1 || (filters != kDyn && b.getDimSize(0) != kDyn &&
                             b.getDimSize(0) != filters))
      return emitOptionalError(loc, "B must be a vector of ", filters, " elements");
  ArrayRef<int64_t> kernel = w.getShape().drop_front(2);
  if (auto k = op.getKernelShape()) {
    if (*k != kernel)
      return emitOptionalError(loc, "kernel_shape does not match W");
  }
  if (llvm::is_contained(kernel, kDyn))
    return emitOptionalError(loc, "W must have static spatial dims");
  std::string error;
  auto geometry = computeWindow(x.getShape().drop_front(2), kernel,
                                op.getStrides(), op.getDilations(), op.getPads(),
                                op.getAutoPad(), /*ceilMode=*/false, error);
  if (!geometry)
    return emitOptionalError(loc, error);
  SmallVector<int64_t> shape = {x.getDimSize(0), filters};
  shape.append(geometry->outShape);
  return shape;
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location> loc,
                                       ValueRange operands, DictionaryAttr attrs,
                                       OpaqueProperties props, RegionRange regions,
                                       SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto shape = inferConvShape(loc, op, op.getX(), op.getW(), op.getB());
  if (failed(shape))
    return failure();
  Type element = rankedType(op.getX()).getElementType();
  if (element != rankedType(op.getW()).getElementType())
    return emitOptionalError(loc, "X and W element types differ");
  types.push_back(tensorOf(*shape, element));
  return success();
}

LogicalResult ConvTransposeOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                                ValueRange operands, DictionaryAttr attrs,
                                                OpaqueProperties props, RegionRange regions,
                                                SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getX()), w = rankedType(op.getW());
  if (x.getRank() < 3 || w.getRank() != x.getRank())
    return emitOptionalError(loc, "X and W must have the same rank >= 3");
  if (x.getElementType() != w.getElementType())
    return emitOptionalError(loc, "X and W element types differ");
  int64_t groups = op.getGroup();
  if (groups <= 0 || (x.getDimSize(1) != kDyn && x.getDimSize(1) != w.getDimSize(0)) ||
      w.getDimSize(0) % groups != 0)
    return emitOptionalError(loc, "W must be [C, M/group, k...] for C input channels");
  ArrayRef<int64_t> kernel = w.getShape().drop_front(2);
  if (auto given = op.getKernelShape(); given && *given != kernel)
    return emitOptionalError(loc, "kernel_shape disagrees with W");
  std::string error;
  auto g = computeTransposedWindow(x.getShape().drop_front(2), kernel, op.getStrides(),
                                   op.getDilations(), op.getPads(), op.getOutputPadding(),
                                   op.getOutputShape(), op.getAutoPad(), error);
  if (!g)
    return emitOptionalError(loc, error);
  SmallVector<int64_t> shape = {x.getDimSize(0), w.getDimSize(1) * groups};
  shape.append(g->outShape);
  types.push_back(tensorOf(shape, x.getElementType()));
  return success();
}

template <typename PoolAdaptor>
static LogicalResult inferPool(std::optional<Location> loc, PoolAdaptor op,
                               std::optional<ArrayRef<int64_t>> dilations,
                               SmallVectorImpl<Type> &types) {
  auto x = rankedType(op.getX());
  if (!x || x.getRank() < 3)
    return emitOptionalError(loc, "X must have rank >= 3");
  std::string error;
  auto geometry = computeWindow(x.getShape().drop_front(2), op.getKernelShape(),
                                op.getStrides(), dilations, op.getPads(),
                                op.getAutoPad(), op.getCeilMode() != 0, error);
  if (!geometry)
    return emitOptionalError(loc, error);
  SmallVector<int64_t> shape(x.getShape().take_front(2));
  shape.append(geometry->outShape);
  types.push_back(tensorOf(shape, x.getElementType()));
  return success();
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                          ValueRange operands, DictionaryAttr attrs,
                                          OpaqueProperties props, RegionRange regions,
                                          SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  if (failed(inferPool(loc, op, op.getDilations(), types)))
    return failure();
  if (op.getIndicesOutput())
    types.push_back(cast<RankedTensorType>(types[0]).clone(IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult AveragePoolOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &types) {
  return inferPool(loc,
                   Adaptor(operands, withDefaults(ctx, getOperationName(), attrs), props, regions),
                   std::nullopt, types);
}

LogicalResult GlobalAveragePoolOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange, SmallVectorImpl<Type> &types) {
  auto x = rankedType(operands[0]);
  if (!x || x.getRank() < 3)
    return emitOptionalError(loc, "X must have rank >= 3");
  SmallVector<int64_t> shape(x.getShape().take_front(2));
  shape.append(x.getRank() - 2, 1);
  types.push_back(tensorOf(shape, x.getElementType()));
  return success();
}

LogicalResult LpPoolOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  if (op.getP() < 1)
    return emitOptionalError(loc, "p must be positive");
  return inferPool(loc, op, op.getDilations(), types);
}

LogicalResult GlobalLpPoolOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                               ValueRange operands, DictionaryAttr attrs,
                                               OpaqueProperties props, RegionRange regions,
                                               SmallVectorImpl<Type> &types) {
  return GlobalAveragePoolOp::inferReturnTypes(ctx, loc, operands, attrs, props, regions,
                                               types);
}

LogicalResult LpNormalizationOp::inferReturnTypes(MLIRContext *ctx,
                                                  std::optional<Location> loc,
                                                  ValueRange operands, DictionaryAttr attrs,
                                                  OpaqueProperties props, RegionRange regions,
                                                  SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getInput());
  if (!normalizeAxis(op.getAxis(), x.getRank()))
    return emitOptionalError(loc, "axis ", op.getAxis(), " is out of range");
  if (op.getP() != 1 && op.getP() != 2)
    return emitOptionalError(loc, "p must be 1 or 2");
  if (!isa<FloatType>(x.getElementType()))
    return emitOptionalError(loc, "input must be a float tensor");
  return sameAsFirst(operands, types);
}

LogicalResult GlobalMaxPoolOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &types) {
  return GlobalAveragePoolOp::inferReturnTypes(ctx, loc, operands, attrs, props, regions,
                                               types);
}

LogicalResult EyeLikeOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                          ValueRange operands, DictionaryAttr attrs,
                                          OpaqueProperties props, RegionRange regions,
                                          SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto input = rankedType(op.getInput());
  if (input.getRank() != 2)
    return emitOptionalError(loc, "input must be a matrix");
  Type element = input.getElementType();
  if (auto code = op.getDtype()) {
    element = onnxElementType(ctx, *code);
    if (!element)
      return emitOptionalError(loc, "unsupported dtype ", *code);
  }
  types.push_back(tensorOf(input.getShape(), element));
  return success();
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location> loc,
                                       ValueRange operands, DictionaryAttr attrs,
                                       OpaqueProperties props, RegionRange regions,
                                       SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto a = rankedType(op.getA()), b = rankedType(op.getB());
  if (!a || !b || a.getRank() != 2 || b.getRank() != 2)
    return emitOptionalError(loc, "A and B must be matrices");
  if (a.getElementType() != b.getElementType())
    return emitOptionalError(loc, "A and B element types differ");
  int64_t m = a.getDimSize(op.getTransA() ? 1 : 0);
  int64_t ka = a.getDimSize(op.getTransA() ? 0 : 1);
  int64_t kb = b.getDimSize(op.getTransB() ? 1 : 0);
  int64_t n = b.getDimSize(op.getTransB() ? 0 : 1);
  if (ka != kDyn && kb != kDyn && ka != kb)
    return emitOptionalError(loc, "inner dimensions differ: ", ka, " vs ", kb);
  if (auto c = rankedType(op.getC())) {
    auto shape = broadcastShapes({m, n}, c.getShape());
    if (!shape || shape->size() != 2 ||
        ((*shape)[0] != m && m != kDyn) || ((*shape)[1] != n && n != kDyn))
      return emitOptionalError(loc, "C is not unidirectionally broadcastable to ",
                               m, "x", n);
  }
  types.push_back(tensorOf({m, n}, a.getElementType()));
  return success();
}

/// The numpy matmul shape of MatMul, MatMulInteger and QLinearMatMul.
static FailureOr<SmallVector<int64_t>> inferMatMulShape(std::optional<Location> loc, Value A,
                                                        Value B) {
  auto a = rankedType(A), b = rankedType(B);
  if (!a || !b || a.getRank() < 1 || b.getRank() < 1)
    return emitOptionalError(loc, "operands must have rank >= 1");
  // 1-D operands are promoted to matrices and the added dim removed after.
  SmallVector<int64_t> as(a.getShape()), bs(b.getShape());
  if (a.getRank() == 1)
    as.insert(as.begin(), 1);
  if (b.getRank() == 1)
    bs.push_back(1);
  int64_t ka = as.back(), kb = bs[bs.size() - 2];
  if (ka != kDyn && kb != kDyn && ka != kb)
    return emitOptionalError(loc, "inner dimensions differ: ", ka, " vs ", kb);
  auto batch = broadcastShapes(ArrayRef(as).drop_back(2), ArrayRef(bs).drop_back(2));
  if (!batch)
    return emitOptionalError(loc, "batch dimensions do not broadcast");
  SmallVector<int64_t> shape(*batch);
  if (a.getRank() != 1)
    shape.push_back(as[as.size() - 2]);
  if (b.getRank() != 1)
    shape.push_back(bs.back());
  return shape;
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties, RegionRange,
                                         SmallVectorImpl<Type> &types) {
  auto a = rankedType(operands[0]), b = rankedType(operands[1]);
  if (a && b && a.getElementType() != b.getElementType())
    return emitOptionalError(loc, "operand element types differ");
  auto shape = inferMatMulShape(loc, operands[0], operands[1]);
  if (failed(shape))
    return failure();
  types.push_back(tensorOf(*shape, a.getElementType()));
  return success();
}


//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          ValueRange operands,
                                          DictionaryAttr attrs,
                                          OpaqueProperties props,
                                          RegionRange regions,
                                          SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getInput());
  int64_t rank = x.getRank(), axis = op.getAxis();
  if (axis < -rank || axis > rank)
    return emitOptionalError(loc, "axis ", axis, " is out of range for rank ", rank);
  if (axis < 0)
    axis += rank;
  auto product = [](ArrayRef<int64_t> dims) {
    int64_t p = 1;
    for (int64_t d : dims) {
      if (d == kDyn)
        return kDyn;
      p *= d;
    }
    return p;
  };
  types.push_back(tensorOf({product(x.getShape().take_front(axis)),
                            product(x.getShape().drop_front(axis))},
                           x.getElementType()));
  return success();
}

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          ValueRange operands,
                                          DictionaryAttr attrs,
                                          OpaqueProperties props,
                                          RegionRange regions,
                                          SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto data = rankedType(op.getData()), shapeType = rankedType(op.getShape());
  if (shapeType.getRank() != 1 || !shapeType.getElementType().isInteger(64))
    return emitOptionalError(loc, "shape must be a 1-D int64 tensor");
  auto target = getConstantIntValues(op.getShape());
  if (!target) {
    if (shapeType.isDynamicDim(0))
      return emitOptionalError(loc, "the rank of a reshape to a computed shape must be known");
    types.push_back(tensorOf(SmallVector<int64_t>(shapeType.getDimSize(0), kDyn),
                             data.getElementType()));
    return success();
  }
  std::string error;
  auto shape = resolveReshape(data.getShape(), *target, op.getAllowzero() != 0, error);
  if (!shape)
    return emitOptionalError(loc, error);
  types.push_back(tensorOf(*shape, data.getElementType()));
  return success();
}

static SmallVector<int64_t> transposePerm(std::optional<ArrayRef<int64_t>> perm,
                                          int64_t rank) {
  if (perm)
    return SmallVector<int64_t>(*perm);
  SmallVector<int64_t> reversed;
  for (int64_t i = rank - 1; i >= 0; --i)
    reversed.push_back(i);
  return reversed;
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            ValueRange operands,
                                            DictionaryAttr attrs,
                                            OpaqueProperties props,
                                            RegionRange regions,
                                            SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto data = rankedType(op.getData());
  SmallVector<int64_t> perm = transposePerm(op.getPerm(), data.getRank());
  if ((int64_t)perm.size() != data.getRank())
    return emitOptionalError(loc, "perm must have one entry per dim");
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= data.getRank() || seen[p])
      return emitOptionalError(loc, "perm is not a permutation");
    seen[p] = true;
    shape.push_back(data.getDimSize(p));
  }
  types.push_back(tensorOf(shape, data.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  SmallVector<int64_t> perm = transposePerm(getPerm(), cast<RankedTensorType>(getType()).getRank());
  for (auto [i, p] : llvm::enumerate(perm))
    if ((int64_t)i != p)
      return {};
  return getData();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *ctx,
                                      std::optional<Location> loc,
                                      ValueRange operands, DictionaryAttr attrs,
                                      OpaqueProperties props, RegionRange regions,
                                      SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto data = rankedType(op.getData());
  auto padsType = rankedType(op.getPads());
  if (padsType.getRank() != 1 || !padsType.getElementType().isInteger(64))
    return emitOptionalError(loc, "pads must be a 1-D int64 tensor");
  StringRef mode = op.getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return emitOptionalError(loc, "unknown mode '", mode, "'");
  SmallVector<int64_t> shape(data.getShape());
  if (auto pads = getConstantIntValues(op.getPads())) {
    if ((int64_t)pads->size() != 2 * data.getRank())
      return emitOptionalError(loc, "pads must have 2 x rank entries");
    for (int64_t d = 0; d < data.getRank(); ++d)
      if (shape[d] != kDyn) {
        shape[d] += (*pads)[d] + (*pads)[d + data.getRank()];
        if (shape[d] < 0)
          return emitOptionalError(loc, "pads remove more than dim ", d, " holds");
      }
  } else {
    shape.assign(data.getRank(), kDyn);
  }
  types.push_back(tensorOf(shape, data.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         ValueRange operands,
                                         DictionaryAttr attrs,
                                         OpaqueProperties props,
                                         RegionRange regions,
                                         SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  if (operands.empty())
    return emitOptionalError(loc, "needs at least one input");
  auto first = rankedType(operands[0]);
  auto axis = normalizeAxis(op.getAxis(), first.getRank());
  if (!axis)
    return emitOptionalError(loc, "axis is out of range");
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  for (Value v : operands) {
    auto t = rankedType(v);
    if (t.getRank() != first.getRank() || t.getElementType() != first.getElementType())
      return emitOptionalError(loc, "inputs must have the same rank and element type");
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (d == *axis) {
        shape[d] = (shape[d] == kDyn || t.getDimSize(d) == kDyn)
                       ? kDyn
                       : shape[d] + t.getDimSize(d);
      } else if (shape[d] == kDyn) {
        shape[d] = t.getDimSize(d);
      } else if (t.getDimSize(d) != kDyn && t.getDimSize(d) != shape[d]) {
        return emitOptionalError(loc, "inputs differ in dim ", d, " off the axis");
      }
    }
  }
  types.push_back(tensorOf(shape, first.getElementType()));
  return success();
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                        ValueRange operands, DictionaryAttr attrs,
                                        OpaqueProperties props, RegionRange regions,
                                        SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto input = rankedType(op.getInput());
  auto axis = normalizeAxis(op.getAxis(), input.getRank());
  if (!axis)
    return emitOptionalError(loc, "axis ", op.getAxis(), " is out of range");
  int64_t parts = op.getNumOutputs(), dim = input.getDimSize(*axis);
  if (parts < 1)
    return emitOptionalError(loc, "num_outputs must be positive");
  SmallVector<int64_t> sizes;
  if (!isa<NoneType>(op.getSplit().getType())) {
    auto split = getConstantIntValues(op.getSplit());
    if (!split)
      split = SmallVector<int64_t>(parts, kDyn); // sizes known at run time only
    else if (llvm::any_of(*split, [](int64_t s) { return s < 0; }))
      return emitOptionalError(loc, "split sizes must not be negative");
    if ((int64_t)split->size() != parts)
      return emitOptionalError(loc, "split has ", split->size(), " entries for ", parts,
                               " outputs");
    int64_t total = 0;
    for (int64_t s : *split)
      total = s == kDyn || total == kDyn ? kDyn : total + s;
    if (dim != kDyn && total != kDyn && total != dim)
      return emitOptionalError(loc, "split sizes do not add up to dim ", *axis);
    sizes = *split;
  } else if (dim == kDyn) {
    sizes.assign(parts, kDyn);
  } else {
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  }
  for (int64_t size : sizes) {
    SmallVector<int64_t> shape(input.getShape());
    shape[*axis] = size;
    types.push_back(tensorOf(shape, input.getElementType()));
  }
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                        ValueRange operands, DictionaryAttr attrs,
                                        OpaqueProperties props, RegionRange regions,
                                        SmallVectorImpl<Type> &types) {
  Adaptor op(operands, attrs, props, regions);
  auto data = rankedType(op.getData());
  std::string error;
  if (llvm::any_of(ValueRange{op.getStarts(), op.getEnds(), op.getAxes(), op.getSteps()},
                   isRuntimeValue)) {
    types.push_back(tensorOf(SmallVector<int64_t>(data.getRank(), kDyn), data.getElementType()));
    return success();
  }
  auto dims = resolveSlice(data.getShape(), op.getStarts(), op.getEnds(), op.getAxes(),
                           op.getSteps(), error);
  if (!dims)
    return emitOptionalError(loc, error);
  SmallVector<int64_t> shape;
  for (const SliceDim &d : *dims)
    shape.push_back(d.size);
  types.push_back(tensorOf(shape, data.getElementType()));
  return success();
}

LogicalResult RangeOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                        ValueRange operands, DictionaryAttr, OpaqueProperties,
                                        RegionRange, SmallVectorImpl<Type> &types) {
  Type element = rankedType(operands[0]).getElementType();
  for (Value v : operands) {
    auto t = rankedType(v);
    if (t.getElementType() != element || (t.hasStaticShape() && t.getNumElements() != 1))
      return emitOptionalError(loc, "start, limit and delta must be scalars of one type");
  }
  // Length max(ceil((limit - start) / delta), 0), when all three are known.
  int64_t length = kDyn;
  SmallVector<double> v;
  for (Value operand : operands) {
    DenseElementsAttr dense;
    if (auto c = operand.getDefiningOp<ConstantOp>())
      dense = dyn_cast<DenseElementsAttr>(c.getValue());
    if (!dense)
      break;
    Attribute a = dense.getSplatValue<Attribute>();
    v.push_back(isa<FloatAttr>(a) ? cast<FloatAttr>(a).getValueAsDouble()
                                  : (double)cast<IntegerAttr>(a).getInt());
  }
  if (v.size() == 3) {
    if (v[2] == 0)
      return emitOptionalError(loc, "delta is 0");
    length = std::max<int64_t>(0, (int64_t)std::ceil((v[1] - v[0]) / v[2]));
  }
  types.push_back(tensorOf({length}, element));
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                       ValueRange operands, DictionaryAttr attrs,
                                       OpaqueProperties props, RegionRange regions,
                                       SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getX());
  auto axis = normalizeAxis(op.getAxis(), x.getRank());
  if (!axis)
    return emitOptionalError(loc, "axis ", op.getAxis(), " is out of range");
  auto k = getConstantIntValues(op.getK());
  if (!k)
    k = SmallVector<int64_t>{kDyn}; // K known at run time only
  if (k->size() != 1)
    return emitOptionalError(loc, "K must hold one value");
  int64_t dim = x.getDimSize(*axis);
  if ((*k)[0] != kDyn && ((*k)[0] < 0 || (dim != kDyn && (*k)[0] > dim)))
    return emitOptionalError(loc, "K=", (*k)[0], " is out of range");
  SmallVector<int64_t> shape(x.getShape());
  shape[*axis] = (*k)[0];
  types.push_back(tensorOf(shape, x.getElementType()));
  types.push_back(tensorOf(shape, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult GroupNormalizationOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, ValueRange operands, DictionaryAttr attrs,
    OpaqueProperties props, RegionRange regions, SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getX());
  int64_t groups = op.getNumGroups();
  if (x.getRank() < 2 || !isa<FloatType>(x.getElementType()))
    return emitOptionalError(loc, "X must be a float [N, C, ...] tensor");
  if (groups < 1 || (x.getDimSize(1) != kDyn && x.getDimSize(1) % groups != 0))
    return emitOptionalError(loc, "num_groups must divide the channels");
  for (Value p : {op.getScale(), op.getBias()})
    if (rankedType(p).getRank() != 1 || rankedType(p).getDimSize(0) != groups)
      return emitOptionalError(loc, "scale and bias must have num_groups entries");
  return sameAsFirst(operands, types);
}

LogicalResult MeanVarianceNormalizationOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, ValueRange operands, DictionaryAttr attrs,
    OpaqueProperties props, RegionRange regions, SmallVectorImpl<Type> &types) {
  Adaptor op(operands, attrs, props, regions);
  auto x = rankedType(op.getX());
  if (!isa<FloatType>(x.getElementType()))
    return emitOptionalError(loc, "X must be a float tensor");
  for (int64_t a : op.getAxes().value_or(ArrayRef<int64_t>{}))
    if (!normalizeAxis(a, x.getRank()))
      return emitOptionalError(loc, "axis ", a, " is out of range");
  return sameAsFirst(operands, types);
}

LogicalResult ReverseSequenceOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                                  ValueRange operands, DictionaryAttr attrs,
                                                  OpaqueProperties props, RegionRange regions,
                                                  SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getInput()), lens = rankedType(op.getSequenceLens());
  int64_t batch = op.getBatchAxis(), time = op.getTimeAxis();
  if (x.getRank() < 2 || !llvm::is_contained({0, 1}, batch) || !llvm::is_contained({0, 1}, time) ||
      batch == time)
    return emitOptionalError(loc, "batch_axis and time_axis must be 0 and 1 in some order");
  if (lens.getRank() != 1 || !lens.getElementType().isInteger(64) ||
      (lens.getDimSize(0) != kDyn && x.getDimSize(batch) != kDyn &&
       lens.getDimSize(0) != x.getDimSize(batch)))
    return emitOptionalError(loc, "sequence_lens must be int64 with one entry per batch");
  return sameAsFirst(operands, types);
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

/// Checks that a scale or zero point is one value or one per index of `axis`.
static LogicalResult checkQuantParam(std::optional<Location> loc, Value param,
                                     RankedTensorType data, int64_t axis, StringRef name) {
  auto type = rankedType(param);
  if (!type)
    return success();
  if (type.getRank() == 0 || (type.getRank() == 1 && type.getDimSize(0) == 1))
    return success();
  auto normalized = normalizeAxis(axis, data.getRank());
  if (type.getRank() != 1 || !normalized ||
      (data.getDimSize(*normalized) != kDyn && type.getDimSize(0) != kDyn &&
       type.getDimSize(0) != data.getDimSize(*normalized)))
    return emitOptionalError(loc, name, " must be a scalar or a 1-D tensor along axis ", axis);
  return success();
}

LogicalResult QuantizeLinearOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                                 ValueRange operands, DictionaryAttr attrs,
                                                 OpaqueProperties props, RegionRange regions,
                                                 SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getX());
  if (failed(checkQuantParam(loc, op.getYScale(), x, op.getAxis(), "y_scale")) ||
      failed(checkQuantParam(loc, op.getYZeroPoint(), x, op.getAxis(), "y_zero_point")))
    return failure();
  auto zp = rankedType(op.getYZeroPoint());
  Type element = zp ? zp.getElementType() : IntegerType::get(ctx, 8, IntegerType::Unsigned);
  if (!element.isInteger(8))
    return emitOptionalError(loc, "unsupported: quantization to ", element);
  types.push_back(tensorOf(x.getShape(), element));
  return success();
}

LogicalResult DequantizeLinearOp::inferReturnTypes(MLIRContext *ctx,
                                                   std::optional<Location> loc,
                                                   ValueRange operands, DictionaryAttr attrs,
                                                   OpaqueProperties props, RegionRange regions,
                                                   SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getX());
  if (failed(checkQuantParam(loc, op.getXScale(), x, op.getAxis(), "x_scale")) ||
      failed(checkQuantParam(loc, op.getXZeroPoint(), x, op.getAxis(), "x_zero_point")))
    return failure();
  if (!x.getElementType().isInteger())
    return emitOptionalError(loc, "x must be an integer tensor");
  types.push_back(tensorOf(x.getShape(), rankedType(op.getXScale()).getElementType()));
  return success();
}

LogicalResult DynamicQuantizeLinearOp::inferReturnTypes(MLIRContext *ctx,
                                                        std::optional<Location> loc,
                                                        ValueRange operands, DictionaryAttr,
                                                        OpaqueProperties, RegionRange,
                                                        SmallVectorImpl<Type> &types) {
  auto x = rankedType(operands[0]);
  if (!x.getElementType().isF32())
    return emitOptionalError(loc, "x must be float32");
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  types.push_back(tensorOf(x.getShape(), u8));
  types.push_back(tensorOf({}, x.getElementType()));
  types.push_back(tensorOf({}, u8));
  return success();
}

LogicalResult MatMulIntegerOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                                ValueRange operands, DictionaryAttr,
                                                OpaqueProperties, RegionRange,
                                                SmallVectorImpl<Type> &types) {
  auto shape = inferMatMulShape(loc, operands[0], operands[1]);
  if (failed(shape))
    return failure();
  types.push_back(tensorOf(*shape, IntegerType::get(ctx, 32)));
  return success();
}

LogicalResult ConvIntegerOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                              ValueRange operands, DictionaryAttr attrs,
                                              OpaqueProperties props, RegionRange regions,
                                              SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto shape = inferConvShape(loc, op, op.getX(), op.getW(), Value());
  if (failed(shape))
    return failure();
  types.push_back(tensorOf(*shape, IntegerType::get(ctx, 32)));
  return success();
}

LogicalResult QLinearMatMulOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                                ValueRange operands, DictionaryAttr attrs,
                                                OpaqueProperties props, RegionRange regions,
                                                SmallVectorImpl<Type> &types) {
  Adaptor op(operands, attrs, props, regions);
  auto shape = inferMatMulShape(loc, op.getA(), op.getB());
  if (failed(shape))
    return failure();
  types.push_back(tensorOf(*shape, rankedType(op.getYZeroPoint()).getElementType()));
  return success();
}

LogicalResult QLinearConvOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                              ValueRange operands, DictionaryAttr attrs,
                                              OpaqueProperties props, RegionRange regions,
                                              SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto shape = inferConvShape(loc, op, op.getX(), op.getW(), op.getB());
  if (failed(shape))
    return failure();
  types.push_back(tensorOf(*shape, rankedType(op.getYZeroPoint()).getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//

/// Y, Y_h (and Y_c) of RNN (1 gate), GRU (3) and LSTM (4).
template <typename Adaptor>
static LogicalResult inferRecurrent(std::optional<Location> loc, Adaptor op, int64_t gates,
                                    int64_t states, SmallVectorImpl<Type> &types) {
  auto x = rankedType(op.getX()), w = rankedType(op.getW()), r = rankedType(op.getR());
  if (x.getRank() != 3 || w.getRank() != 3 || r.getRank() != 3)
    return emitOptionalError(loc, "X, W and R must have rank 3");
  StringRef direction = op.getDirection();
  if (!llvm::is_contained({"forward", "reverse", "bidirectional"}, direction))
    return emitOptionalError(loc, "unknown direction '", direction, "'");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  int64_t hidden = r.getDimSize(2);
  if (auto h = op.getHiddenSize())
    hidden = *h;
  bool batchFirst = op.getLayout() != 0;
  int64_t seq = x.getDimSize(batchFirst ? 1 : 0), batch = x.getDimSize(batchFirst ? 0 : 1);
  if (hidden == kDyn || w.getShape() != ArrayRef<int64_t>{dirs, gates * hidden, x.getDimSize(2)} ||
      r.getShape() != ArrayRef<int64_t>{dirs, gates * hidden, hidden})
    return emitOptionalError(loc, "W must be [", dirs, ", ", gates, " x hidden, input] and R [",
                             dirs, ", ", gates, " x hidden, hidden]");
  if (auto b = rankedType(op.getB()))
    if (b.getShape() != ArrayRef<int64_t>{dirs, 2 * gates * hidden})
      return emitOptionalError(loc, "B must be [", dirs, ", ", 2 * gates * hidden, "]");
  if (auto lens = rankedType(op.getSequenceLens()))
    if (lens.getRank() != 1 || !lens.getElementType().isInteger(32))
      return emitOptionalError(loc, "sequence_lens must be a 1-D int32 tensor");
  if (op.getLayout() > 1)
    return emitOptionalError(loc, "layout must be 0 or 1");
  Type et = x.getElementType();
  if (!isa<FloatType>(et))
    return emitOptionalError(loc, "X must be a float tensor");
  SmallVector<int64_t> y = batchFirst ? SmallVector<int64_t>{batch, seq, dirs, hidden}
                                      : SmallVector<int64_t>{seq, dirs, batch, hidden};
  SmallVector<int64_t> state = batchFirst ? SmallVector<int64_t>{batch, dirs, hidden}
                                          : SmallVector<int64_t>{dirs, batch, hidden};
  types.push_back(tensorOf(y, et));
  for (int64_t i = 0; i < states; ++i)
    types.push_back(tensorOf(state, et));
  return success();
}

#define RECURRENT(OP, GATES, STATES)                                           \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> loc, ValueRange operands,      \
      DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,       \
      SmallVectorImpl<Type> &types) {                                          \
    return inferRecurrent(                                                     \
        loc, Adaptor(operands, withDefaults(ctx, getOperationName(), attrs), props, regions), \
        GATES, STATES, types);                                                 \
  }
RECURRENT(RNNOp, 1, 1)
RECURRENT(GRUOp, 3, 1)
RECURRENT(LSTMOp, 4, 2)
#undef RECURRENT

//===----------------------------------------------------------------------===//
// Resampling
//===----------------------------------------------------------------------===//

LogicalResult ResizeOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getX());
  StringRef mode = op.getMode(), coord = op.getCoordinateTransformationMode(),
            nearest = op.getNearestMode();
  if (!llvm::is_contained({"nearest", "linear", "cubic"}, mode))
    return emitOptionalError(loc, "unsupported mode '", mode, "'");
  if (!llvm::is_contained({"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                           "tf_half_pixel_for_nn", "tf_crop_and_resize"},
                          coord))
    return emitOptionalError(loc, "unsupported coordinate_transformation_mode '", coord, "'");
  if (!llvm::is_contained({"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}, nearest))
    return emitOptionalError(loc, "unsupported nearest_mode '", nearest, "'");
  if (mode != "nearest" && !isa<FloatType>(x.getElementType()))
    return emitOptionalError(loc, "unsupported: ", mode, " resize of integers");
  if (coord == "tf_crop_and_resize" && isa<NoneType>(op.getRoi().getType()))
    return emitOptionalError(loc, "tf_crop_and_resize needs roi");
  SmallVector<int64_t> shape(x.getRank(), kDyn);
  auto given = [](Value v) {
    return v && !isa<NoneType>(v.getType()) && staticNumElements(v) != 0;
  };
  if (given(op.getSizes())) {
    if (auto sizes = getConstantIntValues(op.getSizes())) {
      if ((int64_t)sizes->size() != x.getRank())
        return emitOptionalError(loc, "sizes must have one entry per dim");
      shape = *sizes;
    }
  } else if (given(op.getScales())) {
    ElementsAttr scales;
    if (matchPattern(op.getScales(), m_Constant(&scales))) {
      if ((int64_t)scales.getNumElements() != x.getRank())
        return emitOptionalError(loc, "scales must have one entry per dim");
      for (auto [d, scale] : llvm::enumerate(scales.getValues<APFloat>()))
        if (!x.isDynamicDim(d))
          shape[d] = (int64_t)std::floor(scale.convertToFloat() * (double)x.getDimSize(d));
    }
  } else {
    return emitOptionalError(loc, "needs scales or sizes");
  }
  types.push_back(tensorOf(shape, x.getElementType()));
  return success();
}

LogicalResult GridSampleOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                             ValueRange operands, DictionaryAttr attrs,
                                             OpaqueProperties props, RegionRange regions,
                                             SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getX()), grid = rankedType(op.getGrid());
  if (x.getRank() != 4 || grid.getRank() != 4 || grid.getDimSize(3) != 2)
    return emitOptionalError(loc, "unsupported: X must be [N, C, H, W] and grid [N, H, W, 2]");
  if (!isa<FloatType>(x.getElementType()) || !isa<FloatType>(grid.getElementType()))
    return emitOptionalError(loc, "X and grid must be float tensors");
  if (!llvm::is_contained({"bilinear", "nearest", "bicubic"}, op.getMode()))
    return emitOptionalError(loc, "unsupported mode '", op.getMode(), "'");
  if (!llvm::is_contained({"zeros", "border", "reflection"}, op.getPaddingMode()))
    return emitOptionalError(loc, "unsupported padding_mode '", op.getPaddingMode(), "'");
  types.push_back(tensorOf({x.getDimSize(0), x.getDimSize(1), grid.getDimSize(1),
                            grid.getDimSize(2)},
                           x.getElementType()));
  return success();
}

LogicalResult DFTOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                      ValueRange operands, DictionaryAttr attrs,
                                      OpaqueProperties props, RegionRange regions,
                                      SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto x = rankedType(op.getInput());
  int64_t rank = x.getRank();
  if (rank < 2 || (x.getDimSize(rank - 1) != 1 && x.getDimSize(rank - 1) != 2) ||
      !isa<FloatType>(x.getElementType()))
    return emitOptionalError(loc, "input must be a float tensor ending in a dim of 1 or 2");
  auto axis = normalizeAxis(op.getAxis(), rank - 1);
  if (!axis)
    return emitOptionalError(loc, "axis ", op.getAxis(), " is out of range");
  int64_t length = x.getDimSize(*axis);
  if (!isa<NoneType>(op.getDftLength().getType())) {
    auto given = getConstantIntValues(op.getDftLength());
    length = given && given->size() == 1 ? (*given)[0] : kDyn;
  }
  if (op.getOnesided() && op.getInverse())
    return emitOptionalError(loc, "onesided and inverse together");
  SmallVector<int64_t> shape(x.getShape());
  shape[*axis] = length == kDyn || !op.getOnesided() ? length : length / 2 + 1;
  shape.back() = 2;
  types.push_back(tensorOf(shape, x.getElementType()));
  return success();
}

/// An optimizer with `groups` tensors per updated X (X, G and the states)
/// returns X_new and the new states: every group but G.
static LogicalResult inferOptimizer(std::optional<Location> loc, ValueRange operands,
                                    int64_t groups, SmallVectorImpl<Type> &types) {
  ValueRange tensors = operands.drop_front(2);
  if (tensors.empty() || tensors.size() % groups != 0)
    return emitOptionalError(loc, "expects ", groups, " tensors per updated tensor");
  int64_t n = tensors.size() / groups;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t g = 1; g < groups; ++g)
      if (tensors[g * n + i].getType() != tensors[i].getType())
        return emitOptionalError(loc, "X, G and the states must have one type");
  for (int64_t g = 0; g < groups; ++g)
    if (g != 1)
      for (Value v : tensors.slice(g * n, n))
        types.push_back(v.getType());
  return success();
}

LogicalResult AdagradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          ValueRange operands, DictionaryAttr, OpaqueProperties,
                                          RegionRange, SmallVectorImpl<Type> &types) {
  return inferOptimizer(loc, operands, 3, types);
}

LogicalResult MomentumOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           ValueRange operands, DictionaryAttr attrs,
                                           OpaqueProperties, RegionRange,
                                           SmallVectorImpl<Type> &types) {
  auto mode = attrs.getAs<StringAttr>("mode");
  if (mode && mode.getValue() != "standard" && mode.getValue() != "nesterov")
    return emitOptionalError(loc, "unknown mode '", mode.getValue(), "'");
  return inferOptimizer(loc, operands, 3, types);
}

LogicalResult AdamOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       ValueRange operands, DictionaryAttr, OpaqueProperties,
                                       RegionRange, SmallVectorImpl<Type> &types) {
  return inferOptimizer(loc, operands, 4, types);
}

LogicalResult DetOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                      ValueRange operands, DictionaryAttr, OpaqueProperties,
                                      RegionRange, SmallVectorImpl<Type> &types) {
  auto x = rankedType(operands[0]);
  int64_t rank = x.getRank();
  if (rank < 2 || x.getDimSize(rank - 1) != x.getDimSize(rank - 2) ||
      !isa<FloatType>(x.getElementType()))
    return emitOptionalError(loc, "X must be float [..., M, M]");
  types.push_back(tensorOf(x.getShape().drop_back(2), x.getElementType()));
  return success();
}

LogicalResult CompressOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                           ValueRange operands, DictionaryAttr attrs,
                                           OpaqueProperties props, RegionRange regions,
                                           SmallVectorImpl<Type> &types) {
  Adaptor op(operands, attrs, props, regions);
  auto x = rankedType(op.getInput()), condition = rankedType(op.getCondition());
  if (condition.getRank() != 1 || !condition.getElementType().isInteger(1))
    return emitOptionalError(loc, "condition must be a 1-D bool tensor");
  int64_t count = kDyn;
  if (auto values = getConstantIntValues(op.getCondition()))
    count = llvm::count_if(*values, [](int64_t v) { return v != 0; });
  if (auto axis = op.getAxis()) {
    auto normalized = normalizeAxis(*axis, x.getRank());
    if (!normalized)
      return emitOptionalError(loc, "axis ", *axis, " is out of range");
    SmallVector<int64_t> shape(x.getShape());
    shape[*normalized] = count;
    types.push_back(tensorOf(shape, x.getElementType()));
  } else {
    types.push_back(tensorOf({count}, x.getElementType()));
  }
  return success();
}

LogicalResult NonZeroOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location>,
                                          ValueRange operands, DictionaryAttr, OpaqueProperties,
                                          RegionRange, SmallVectorImpl<Type> &types) {
  types.push_back(tensorOf({rankedType(operands[0]).getRank(), kDyn}, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult NonMaxSuppressionOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, ValueRange operands, DictionaryAttr attrs,
    OpaqueProperties props, RegionRange regions, SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto boxes = rankedType(op.getBoxes()), scores = rankedType(op.getScores());
  if (boxes.getRank() != 3 || boxes.getDimSize(2) != 4 || scores.getRank() != 3 ||
      scores.getDimSize(0) != boxes.getDimSize(0) || scores.getDimSize(2) != boxes.getDimSize(1) ||
      !isa<FloatType>(boxes.getElementType()))
    return emitOptionalError(loc,
                             "boxes must be [batch, boxes, 4] and scores [batch, classes, boxes]");
  if (op.getCenterPointBox() != 0 && op.getCenterPointBox() != 1)
    return emitOptionalError(loc, "center_point_box must be 0 or 1");
  types.push_back(tensorOf({kDyn, 3}, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult MaxUnpoolOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr attrs,
                                            OpaqueProperties props, RegionRange regions,
                                            SmallVectorImpl<Type> &types) {
  Adaptor op(operands, attrs, props, regions);
  auto x = rankedType(op.getX()), indices = rankedType(op.getI());
  int64_t spatial = x.getRank() - 2;
  ArrayRef<int64_t> kernel = op.getKernelShape();
  if (spatial < 1 || (int64_t)kernel.size() != spatial || indices.getShape() != x.getShape() ||
      !indices.getElementType().isInteger(64))
    return emitOptionalError(loc, "X and I must be [N, C, spatial...] with one kernel dim each");
  SmallVector<int64_t> shape(x.getShape());
  if (!isa<NoneType>(op.getOutputShape().getType())) {
    auto given = getConstantIntValues(op.getOutputShape());
    if (given && (int64_t)given->size() == x.getRank())
      shape = *given;
    else
      shape.assign(x.getRank(), kDyn);
  } else {
    shape = unpooledShape(x.getShape(), kernel, op.getStrides(), op.getPads());
  }
  types.push_back(tensorOf(shape, x.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Einsum and generators
//===----------------------------------------------------------------------===//

LogicalResult EinsumOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &types) {
  Adaptor op(operands, attrs, props, regions);
  SmallVector<SmallVector<int64_t>> shapes;
  for (Value v : operands) {
    auto t = rankedType(v);
    if (t.getElementType() != rankedType(operands[0]).getElementType())
      return emitOptionalError(loc, "inputs must have one element type");
    shapes.emplace_back(t.getShape());
  }
  std::string error;
  auto spec = parseEinsum(op.getEquation(), shapes, error);
  if (!spec)
    return emitOptionalError(loc, "equation '", op.getEquation(), "': ", error);
  SmallVector<int64_t> shape;
  for (int64_t loop : spec->output)
    shape.push_back(spec->loopSizes[loop]);
  types.push_back(tensorOf(shape, rankedType(operands[0]).getElementType()));
  return success();
}

/// A scalar generator input (OneHot depth, window size): its value when
/// constant, else dynamic.
static int64_t constantScalarOrDynamic(Value v) {
  auto values = getConstantIntValues(v);
  return values && values->size() == 1 ? (*values)[0] : kDyn;
}

LogicalResult OneHotOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &types) {
  Adaptor op(operands, withDefaults(ctx, getOperationName(), attrs), props, regions);
  auto indices = rankedType(op.getIndices()), values = rankedType(op.getValues());
  if (!values.hasStaticShape() || values.getNumElements() != 2)
    return emitOptionalError(loc, "values must hold [off, on]");
  int64_t rank = indices.getRank() + 1;
  auto axis = normalizeAxis(op.getAxis(), rank);
  if (!axis)
    return emitOptionalError(loc, "axis ", op.getAxis(), " is out of range");
  SmallVector<int64_t> shape(indices.getShape());
  int64_t depth = constantScalarOrDynamic(op.getDepth());
  if (depth != kDyn && depth < 1)
    return emitOptionalError(loc, "depth must be positive");
  shape.insert(shape.begin() + *axis, depth);
  types.push_back(tensorOf(shape, values.getElementType()));
  return success();
}

template <typename Adaptor>
static LogicalResult inferWindow(MLIRContext *ctx, std::optional<Location> loc, Adaptor op,
                                 SmallVectorImpl<Type> &types) {
  Type element = onnxElementType(ctx, op.getOutputDatatype());
  if (!element || element.isInteger(1))
    return emitOptionalError(loc, "unsupported output_datatype ", op.getOutputDatatype());
  types.push_back(tensorOf({constantScalarOrDynamic(op.getSize())}, element));
  return success();
}

#define WINDOW(OP)                                                             \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> loc, ValueRange operands,      \
      DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,       \
      SmallVectorImpl<Type> &types) {                                          \
    return inferWindow(ctx, loc,                                               \
                       Adaptor(operands, withDefaults(ctx, getOperationName(), attrs), \
                               props, regions),                                \
                       types);                                                 \
  }
WINDOW(HannWindowOp)
WINDOW(HammingWindowOp)
WINDOW(BlackmanWindowOp)
#undef WINDOW

#define GET_OP_CLASSES
#include "dialects/nn/NNOps.cpp.inc"
