//===- NNFolders.cpp - nn dialect: folding of constant subgraphs ----------===//
//
// Exported models compute shapes at run time (Shape -> Gather -> Unsqueeze
// -> Concat -> Reshape, Slice of a Shape, Range for positions ...). These
// folders evaluate such ops on small inline constants so that the importer
// (which folds every op as it builds it) and the canonicalizer collapse them
// to static shapes. Large tensors (dense resources) are never folded.
//
//===----------------------------------------------------------------------===//
#include "dialects/nn/NNDialect.h"
#include "dialects/nn/NNShapes.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace lepton::nn;

namespace {

/// Shape arithmetic is tiny; this bounds the work (and the attribute size)
/// of folding element by element.
constexpr int64_t kMaxFoldElements = 4096;

DenseElementsAttr denseOperand(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  return dense && dense.getNumElements() <= kMaxFoldElements ? dense : nullptr;
}

/// A dense attribute of `type` whose element at each multi-index is
/// `element(index)`; null if the type is not static or an element is null.
DenseElementsAttr buildDense(Type resultType,
                             function_ref<Attribute(ArrayRef<int64_t>)> element) {
  auto type = cast<RankedTensorType>(resultType);
  if (!type.hasStaticShape() || type.getNumElements() > kMaxFoldElements)
    return {};
  SmallVector<Attribute> values;
  SmallVector<int64_t> index(type.getRank(), 0);
  for (int64_t n = 0, e = type.getNumElements(); n < e; ++n) {
    Attribute v = element(index);
    if (!v)
      return {};
    values.push_back(v);
    for (int64_t d = type.getRank() - 1; d >= 0; --d) {
      if (++index[d] < type.getDimSize(d))
        break;
      index[d] = 0;
    }
  }
  return DenseElementsAttr::get(type, values);
}

/// The element of `attr` at `index` under numpy broadcasting: `index` may
/// have more (leading) dims, and size-1 dims are read at 0.
Attribute elementAt(DenseElementsAttr attr, ArrayRef<int64_t> index) {
  if (attr.isSplat())
    return attr.getSplatValue<Attribute>();
  auto type = attr.getType();
  int64_t rank = type.getRank(), offset = index.size() - rank, linear = 0;
  for (int64_t d = 0; d < rank; ++d)
    linear = linear * type.getDimSize(d) + (type.getDimSize(d) == 1 ? 0 : index[offset + d]);
  return attr.getValues<Attribute>()[linear];
}

/// Folds an integer binary op elementwise with broadcasting; `fn` returns
/// std::nullopt where the result is undefined (division by zero).
OpFoldResult foldIntBinary(Operation *op, Attribute lhs, Attribute rhs,
                           function_ref<std::optional<APInt>(const APInt &, const APInt &)> fn) {
  auto a = denseOperand(lhs), b = denseOperand(rhs);
  if (!a || !b || !a.getElementType().isSignlessInteger() ||
      a.getElementType().isInteger(1))
    return {};
  Type resultType = op->getResult(0).getType();
  Type element = cast<RankedTensorType>(resultType).getElementType();
  return buildDense(resultType, [&](ArrayRef<int64_t> i) -> Attribute {
    auto r = fn(cast<IntegerAttr>(elementAt(a, i)).getValue(),
                cast<IntegerAttr>(elementAt(b, i)).getValue());
    return r ? IntegerAttr::get(element, *r) : Attribute();
  });
}

/// A view change (reshape, squeeze, flatten) of a constant.
OpFoldResult foldView(Value input, Attribute data, Type resultType) {
  if (input.getType() == resultType)
    return input;
  auto dense = denseOperand(data);
  auto type = cast<RankedTensorType>(resultType);
  if (!dense || !type.hasStaticShape())
    return {};
  return dense.reshape(type);
}

} // namespace

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(
      *this, adaptor.getLhs(), adaptor.getRhs(),
      [](const APInt &x, const APInt &y) -> std::optional<APInt> { return x + y; });
}
OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(
      *this, adaptor.getLhs(), adaptor.getRhs(),
      [](const APInt &x, const APInt &y) -> std::optional<APInt> { return x - y; });
}
OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(
      *this, adaptor.getLhs(), adaptor.getRhs(),
      [](const APInt &x, const APInt &y) -> std::optional<APInt> { return x * y; });
}
OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor.getLhs(), adaptor.getRhs(),
                       [](const APInt &x, const APInt &y) -> std::optional<APInt> {
                         if (y.isZero() || (x.isMinSignedValue() && y.isAllOnes()))
                           return std::nullopt;
                         return x.sdiv(y);
                       });
}
OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor.getLhs(), adaptor.getRhs(),
                       [](const APInt &x, const APInt &y) -> std::optional<APInt> {
                         return APInt(1, x == y);
                       });
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  auto input = denseOperand(adaptor.getInput());
  if (!input || !input.getElementType().isSignlessInteger() ||
      input.getElementType().isInteger(1))
    return {};
  return buildDense(getType(), [&](ArrayRef<int64_t> i) -> Attribute {
    auto v = cast<IntegerAttr>(elementAt(input, i));
    return IntegerAttr::get(v.getType(), -v.getValue());
  });
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  auto cond = denseOperand(adaptor.getCondition()), x = denseOperand(adaptor.getX()),
       y = denseOperand(adaptor.getY());
  if (!cond || !x || !y)
    return {};
  return buildDense(getType(), [&](ArrayRef<int64_t> i) {
    return cast<IntegerAttr>(elementAt(cond, i)).getValue().isZero() ? elementAt(y, i)
                                                                      : elementAt(x, i);
  });
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  auto input = denseOperand(adaptor.getInput());
  if (!input)
    return {};
  Type from = input.getElementType();
  Type to = cast<RankedTensorType>(getType()).getElementType();
  // Integer -> integer/float and float -> float; float -> integer rounding
  // and saturation are left to the generated code.
  if (!from.isSignlessInteger() && !isa<FloatType>(from))
    return {};
  if (isa<FloatType>(from) && !isa<FloatType>(to))
    return {};
  bool fromBool = from.isInteger(1);
  return buildDense(getType(), [&](ArrayRef<int64_t> i) -> Attribute {
    Attribute v = elementAt(input, i);
    if (auto f = dyn_cast<FloatAttr>(v)) {
      APFloat value = f.getValue();
      bool lost;
      value.convert(cast<FloatType>(to).getFloatSemantics(), APFloat::rmNearestTiesToEven,
                    &lost);
      return FloatAttr::get(to, value);
    }
    APInt value = cast<IntegerAttr>(v).getValue();
    if (to.isInteger(1))
      return IntegerAttr::get(to, APInt(1, !value.isZero()));
    if (auto ft = dyn_cast<FloatType>(to)) {
      APFloat result(ft.getFloatSemantics());
      result.convertFromAPInt(value, /*isSigned=*/!fromBool, APFloat::rmNearestTiesToEven);
      return FloatAttr::get(to, result);
    }
    unsigned bits = to.getIntOrFloatBitWidth();
    return IntegerAttr::get(to, fromBool ? value.zextOrTrunc(bits) : value.sextOrTrunc(bits));
  });
}

OpFoldResult UnsqueezeOp::fold(FoldAdaptor adaptor) {
  return foldView(getData(), adaptor.getData(), getType());
}
OpFoldResult SqueezeOp::fold(FoldAdaptor adaptor) {
  return foldView(getData(), adaptor.getData(), getType());
}
OpFoldResult FlattenOp::fold(FoldAdaptor adaptor) {
  return foldView(getInput(), adaptor.getInput(), getType());
}
OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  return foldView(getData(), adaptor.getData(), getType());
}

// A Pad of nothing (all pads zero, as some exporters write before a pool)
// is its input, whatever the mode.
OpFoldResult PadOp::fold(FoldAdaptor) {
  std::optional<SmallVector<int64_t>> pads = getConstantIntValues(getPads());
  if (!pads || llvm::any_of(*pads, [](int64_t p) { return p != 0; }) ||
      getData().getType() != getType())
    return {};
  return getData();
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  auto input = denseOperand(adaptor.getInput());
  if (!input)
    return {};
  return buildDense(getType(), [&](ArrayRef<int64_t> i) { return elementAt(input, i); });
}

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor) {
  auto type = cast<RankedTensorType>(getType());
  if (!type.hasStaticShape())
    return {};
  if (auto value = getValueAttr()) {
    auto dense = dyn_cast<DenseElementsAttr>(value);
    return dense ? DenseElementsAttr::get(type, dense.getSplatValue<Attribute>()) : nullptr;
  }
  return DenseElementsAttr::get(type, FloatAttr::get(type.getElementType(), 0.0));
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  SmallVector<DenseElementsAttr> inputs;
  for (Attribute a : adaptor.getInputs()) {
    inputs.push_back(denseOperand(a));
    if (!inputs.back())
      return {};
  }
  auto type = cast<RankedTensorType>(getType());
  int64_t axis = *normalizeAxis(getAxis(), type.getRank());
  return buildDense(type, [&](ArrayRef<int64_t> i) -> Attribute {
    SmallVector<int64_t> index(i);
    for (DenseElementsAttr in : inputs) {
      int64_t size = in.getType().getDimSize(axis);
      if (index[axis] < size)
        return elementAt(in, index);
      index[axis] -= size;
    }
    return {};
  });
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  auto data = denseOperand(adaptor.getData());
  if (!data)
    return {};
  std::string error;
  auto dims = resolveSlice(data.getType().getShape(), getStarts(), getEnds(), getAxes(),
                           getSteps(), error);
  if (!dims)
    return {};
  return buildDense(getType(), [&](ArrayRef<int64_t> i) {
    SmallVector<int64_t> index;
    for (auto [d, slice] : llvm::enumerate(*dims))
      index.push_back(slice.start + i[d] * slice.step);
    return elementAt(data, index);
  });
}

/// Gathers from constant data, as in Shape -> Gather subgraphs.
OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto data = denseOperand(adaptor.getData());
  auto indices = denseOperand(adaptor.getIndices());
  if (!data || !indices)
    return {};
  int64_t rank = data.getType().getRank(), axis = *normalizeAxis(getAxis(), rank);
  int64_t r = indices.getType().getRank(), size = data.getType().getDimSize(axis);
  return buildDense(getType(), [&](ArrayRef<int64_t> i) -> Attribute {
    int64_t k = cast<IntegerAttr>(elementAt(indices, i.slice(axis, r))).getInt();
    if (k < 0)
      k += size;
    if (k < 0 || k >= size)
      return {};
    SmallVector<int64_t> index(i.take_front(axis));
    index.push_back(k);
    llvm::append_range(index, i.drop_front(axis + r));
    return elementAt(data, index);
  });
}

OpFoldResult RangeOp::fold(FoldAdaptor adaptor) {
  auto start = denseOperand(adaptor.getStart()), delta = denseOperand(adaptor.getDelta());
  if (!start || !delta)
    return {};
  Type element = start.getElementType();
  return buildDense(getType(), [&](ArrayRef<int64_t> i) -> Attribute {
    Attribute s = elementAt(start, {}), d = elementAt(delta, {});
    if (auto fs = dyn_cast<FloatAttr>(s))
      return FloatAttr::get(element, fs.getValueAsDouble() +
                                         i[0] * cast<FloatAttr>(d).getValueAsDouble());
    return IntegerAttr::get(element, cast<IntegerAttr>(s).getInt() +
                                         i[0] * cast<IntegerAttr>(d).getInt());
  });
}
