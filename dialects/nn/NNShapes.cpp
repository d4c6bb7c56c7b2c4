//===- NNShapes.cpp - ONNX shape arithmetic -------------------------------===//
#include "dialects/nn/NNShapes.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MathExtras.h"
#include "dialects/nn/NNDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

#include <algorithm>

using namespace mlir;

namespace lepton::nn {

static constexpr int64_t kDyn = ShapedType::kDynamic;

std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == 1)
      out[i] = db;
    else if (db == 1)
      out[i] = da;
    else if (da == kDyn || db == kDyn)
      out[i] = da == kDyn ? db : da;
    else if (da == db)
      out[i] = da;
    else
      return std::nullopt;
  }
  return out;
}

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

std::optional<WindowGeometry>
computeWindow(ArrayRef<int64_t> spatialIn, ArrayRef<int64_t> kernel,
              std::optional<ArrayRef<int64_t>> strides,
              std::optional<ArrayRef<int64_t>> dilations,
              std::optional<ArrayRef<int64_t>> pads, StringRef autoPad,
              bool ceilMode, std::string &error) {
  size_t n = spatialIn.size();
  WindowGeometry g;
  auto fill = [&](std::optional<ArrayRef<int64_t>> given, size_t count,
                  int64_t dflt, SmallVector<int64_t> &into,
                  const char *what) -> bool {
    if (!given) {
      into.assign(count, dflt);
      return true;
    }
    if (given->size() != count) {
      error = std::string(what) + " must have " + std::to_string(count) +
              " entries, got " + std::to_string(given->size());
      return false;
    }
    into.assign(given->begin(), given->end());
    return true;
  };
  if (kernel.size() != n) {
    error = "kernel_shape must have " + std::to_string(n) + " entries, got " +
            std::to_string(kernel.size());
    return std::nullopt;
  }
  g.kernel.assign(kernel.begin(), kernel.end());
  SmallVector<int64_t> allPads;
  if (!fill(strides, n, 1, g.strides, "strides") ||
      !fill(dilations, n, 1, g.dilations, "dilations") ||
      !fill(pads, 2 * n, 0, allPads, "pads"))
    return std::nullopt;
  // Bounded so that the window arithmetic below cannot overflow.
  constexpr int64_t kLimit = int64_t(1) << 31;
  for (size_t i = 0; i < n; ++i) {
    if (g.kernel[i] <= 0 || g.strides[i] <= 0 || g.dilations[i] <= 0) {
      error = "kernel_shape, strides and dilations must be positive";
      return std::nullopt;
    }
    if (g.kernel[i] >= kLimit || g.strides[i] >= kLimit || g.dilations[i] >= kLimit ||
        spatialIn[i] >= kLimit) {
      error = "kernel_shape, strides, dilations and spatial sizes must be below 2^31";
      return std::nullopt;
    }
  }
  for (int64_t p : allPads)
    if (p < 0) {
      error = "negative pads are not supported";
      return std::nullopt;
    } else if (p >= kLimit) {
      error = "pads must be below 2^31";
      return std::nullopt;
    }
  g.padBegin.assign(allPads.begin(), allPads.begin() + n);
  g.padEnd.assign(allPads.begin() + n, allPads.end());

  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (!same && autoPad != "VALID" && autoPad != "NOTSET" && !autoPad.empty()) {
    error = ("unknown auto_pad '" + autoPad + "'").str();
    return std::nullopt;
  }
  for (size_t i = 0; i < n; ++i) {
    int64_t in = spatialIn[i];
    int64_t window = (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (autoPad == "VALID") {
      g.padBegin[i] = g.padEnd[i] = 0;
    } else if (same) {
      if (in == kDyn) {
        g.outShape.push_back(kDyn);
        continue;
      }
      int64_t out = ceilDiv(in, g.strides[i]);
      int64_t total =
          std::max<int64_t>(0, (out - 1) * g.strides[i] + window - in);
      int64_t small = total / 2;
      g.padBegin[i] = autoPad == "SAME_UPPER" ? small : total - small;
      g.padEnd[i] = total - g.padBegin[i];
      g.outShape.push_back(out);
      continue;
    }
    if (in == kDyn) {
      g.outShape.push_back(kDyn);
      continue;
    }
    int64_t span = in + g.padBegin[i] + g.padEnd[i] - window;
    if (span < 0) {
      error = "the window is larger than the padded input";
      return std::nullopt;
    }
    int64_t out = (ceilMode ? ceilDiv(span, g.strides[i]) : span / g.strides[i]) + 1;
    // A window may not start inside the end padding (PyTorch/ONNX Runtime rule).
    if (ceilMode && (out - 1) * g.strides[i] >= in + g.padBegin[i])
      --out;
    g.outShape.push_back(out);
  }
  return g;
}

std::optional<WindowGeometry> computeTransposedWindow(
    ArrayRef<int64_t> spatialIn, ArrayRef<int64_t> kernel,
    std::optional<ArrayRef<int64_t>> strides, std::optional<ArrayRef<int64_t>> dilations,
    std::optional<ArrayRef<int64_t>> pads, std::optional<ArrayRef<int64_t>> outputPadding,
    std::optional<ArrayRef<int64_t>> outputShape, StringRef autoPad, std::string &error) {
  // The forward geometry validates kernel, strides, dilations and pads.
  auto g = computeWindow(spatialIn, kernel, strides, dilations, pads, "NOTSET", false, error);
  if (!g)
    return std::nullopt;
  size_t n = spatialIn.size();
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (!same && autoPad != "VALID" && autoPad != "NOTSET" && !autoPad.empty()) {
    error = ("unknown auto_pad '" + autoPad + "'").str();
    return std::nullopt;
  }
  if ((outputPadding && outputPadding->size() != n) || (outputShape && outputShape->size() != n)) {
    error = "output_padding and output_shape must have one entry per spatial dim";
    return std::nullopt;
  }
  g->outShape.clear();
  for (size_t i = 0; i < n; ++i) {
    int64_t in = spatialIn[i], s = g->strides[i];
    int64_t extra = outputPadding ? (*outputPadding)[i] : 0;
    if (extra < 0 || extra >= std::max(s, g->dilations[i])) {
      error = "output_padding must be below the stride or dilation";
      return std::nullopt;
    }
    if (in == kDyn) {
      g->outShape.push_back(kDyn);
      continue;
    }
    int64_t natural = s * (in - 1) + extra + (g->kernel[i] - 1) * g->dilations[i] + 1;
    int64_t out;
    if (outputShape || same) {
      // The padding follows from the requested size, split as the spec says.
      out = outputShape ? (*outputShape)[i] : in * s;
      int64_t total = natural - out;
      int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2); // floor, as in the spec

      g->padBegin[i] = autoPad == "SAME_UPPER" ? half : total - half;
      g->padEnd[i] = total - g->padBegin[i];
    } else {
      if (autoPad == "VALID")
        g->padBegin[i] = g->padEnd[i] = 0;
      out = natural - g->padBegin[i] - g->padEnd[i];
    }
    if (out <= 0) {
      error = "the output would be empty";
      return std::nullopt;
    }
    g->outShape.push_back(out);
  }
  return g;
}

std::optional<SmallVector<int64_t>> getConstantIntValues(Value v) {
  ElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  if (!attr.getElementType().isInteger())
    return std::nullopt;
  SmallVector<int64_t> result;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (const APInt &x : dense.getValues<APInt>())
      result.push_back(x.getSExtValue());
    return result;
  }
  if (auto res = dyn_cast<DenseI64ResourceElementsAttr>(attr)) {
    if (auto values = res.tryGetAsArrayRef())
      return SmallVector<int64_t>(values->begin(), values->end());
  }
  if (auto res = dyn_cast<DenseI32ResourceElementsAttr>(attr)) {
    if (auto values = res.tryGetAsArrayRef())
      return SmallVector<int64_t>(values->begin(), values->end());
  }
  return std::nullopt;
}

std::optional<EinsumSpec> parseEinsum(StringRef equation, ArrayRef<SmallVector<int64_t>> shapes,
                                      std::string &error) {
  std::string text;
  for (char ch : equation)
    if (ch != ' ')
      text.push_back(ch);
  auto [lhs, rhs] = StringRef(text).split("->");
  bool explicitOutput = StringRef(text).contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != shapes.size()) {
    error = std::to_string(terms.size()) + " terms for " + std::to_string(shapes.size()) +
            " inputs";
    return std::nullopt;
  }
  // Each term as its letters, with the ellipsis (if any) at position `dots`.
  struct Term {
    std::string letters;
    int64_t dots = -1;
  };
  auto parseTerm = [&](StringRef t, Term &term) {
    for (size_t i = 0; i < t.size(); ++i) {
      if (t.substr(i).starts_with("...") && term.dots < 0) {
        term.dots = term.letters.size();
        i += 2;
      } else if (llvm::isAlpha(t[i])) {
        term.letters.push_back(t[i]);
      } else {
        error = "unexpected '" + std::string(1, t[i]) + "'";
        return false;
      }
    }
    return true;
  };
  SmallVector<Term> parsed(terms.size());
  int64_t ellipsisRank = 0;
  for (auto [i, t] : llvm::enumerate(terms)) {
    if (!parseTerm(t, parsed[i]))
      return std::nullopt;
    int64_t extra = (int64_t)shapes[i].size() - (int64_t)parsed[i].letters.size();
    if (extra < 0 || (extra > 0 && parsed[i].dots < 0)) {
      error = "term '" + t.str() + "' does not match an input of rank " +
              std::to_string(shapes[i].size());
      return std::nullopt;
    }
    ellipsisRank = std::max(ellipsisRank, extra);
  }
  EinsumSpec spec;
  spec.loopSizes.assign(ellipsisRank, 1);
  llvm::StringMap<int64_t> loopOf;
  llvm::StringMap<int> uses;
  auto unify = [&](int64_t loop, int64_t size, bool broadcast) {
    int64_t &known = spec.loopSizes[loop];
    if (size == ShapedType::kDynamic || size == known || (broadcast && size == 1))
      return true;
    if (known == ShapedType::kDynamic || (broadcast && known == 1)) {
      known = size;
      return true;
    }
    error = "dims " + std::to_string(known) + " and " + std::to_string(size) + " disagree";
    return false;
  };
  for (auto [i, term] : llvm::enumerate(parsed)) {
    ArrayRef<int64_t> shape = shapes[i];
    int64_t extra = shape.size() - term.letters.size();
    SmallVector<int64_t> dims;
    for (int64_t pos = 0, dim = 0; pos <= (int64_t)term.letters.size(); ++pos) {
      if (pos == term.dots)
        for (int64_t e = 0; e < extra; ++e, ++dim) {
          int64_t loop = ellipsisRank - extra + e;
          if (!unify(loop, shape[dim], /*broadcast=*/true))
            return std::nullopt;
          dims.push_back(loop);
        }
      if (pos == (int64_t)term.letters.size())
        break;
      StringRef letter(&term.letters[pos], 1);
      auto [it, inserted] = loopOf.try_emplace(letter, spec.loopSizes.size());
      if (inserted)
        spec.loopSizes.push_back(shape[dim]);
      else if (!unify(it->second, shape[dim], /*broadcast=*/false))
        return std::nullopt;
      ++uses[letter];
      dims.push_back(it->second);
      ++dim;
    }
    spec.inputs.push_back(dims);
  }
  if (explicitOutput) {
    Term out;
    if (!parseTerm(rhs, out))
      return std::nullopt;
    for (int64_t pos = 0; pos <= (int64_t)out.letters.size(); ++pos) {
      if (pos == out.dots)
        for (int64_t e = 0; e < ellipsisRank; ++e)
          spec.output.push_back(e);
      if (pos == (int64_t)out.letters.size())
        break;
      auto it = loopOf.find(StringRef(&out.letters[pos], 1));
      if (it == loopOf.end() || llvm::is_contained(spec.output, it->second)) {
        error = "output index '" + std::string(1, out.letters[pos]) +
                "' is unknown or repeated";
        return std::nullopt;
      }
      spec.output.push_back(it->second);
    }
    if (out.dots < 0 && ellipsisRank > 0) {
      error = "the output drops the ellipsis dims";
      return std::nullopt;
    }
  } else {
    // Implicit output: the ellipsis dims, then the letters used once, sorted.
    for (int64_t e = 0; e < ellipsisRank; ++e)
      spec.output.push_back(e);
    SmallVector<StringRef> once;
    for (auto &entry : uses)
      if (entry.second == 1)
        once.push_back(entry.first());
    llvm::sort(once);
    for (StringRef letter : once)
      spec.output.push_back(loopOf[letter]);
  }
  return spec;
}

SmallVector<int64_t> unpooledShape(ArrayRef<int64_t> input, ArrayRef<int64_t> kernel,
                                   std::optional<ArrayRef<int64_t>> strides,
                                   std::optional<ArrayRef<int64_t>> pads) {
  SmallVector<int64_t> shape(input);
  int64_t spatial = input.size() - 2;
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t stride = strides ? (*strides)[i] : 1;
    int64_t padding = pads ? (*pads)[i] + (*pads)[i + spatial] : 0;
    if (shape[i + 2] != ShapedType::kDynamic)
      shape[i + 2] = (shape[i + 2] - 1) * stride + kernel[i] - padding;
  }
  return shape;
}

bool isRuntimeValue(Value v) {
  return v && !isa<NoneType>(v.getType()) && !matchPattern(v, m_Constant());
}

std::optional<int64_t> staticNumElements(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  return type.getNumElements();
}

std::optional<SmallVector<int64_t>> resolveReshape(ArrayRef<int64_t> input,
                                                   ArrayRef<int64_t> target,
                                                   bool allowZero,
                                                   std::string &error) {
  SmallVector<int64_t> out;
  int64_t inferred = -1;
  for (auto [i, d] : llvm::enumerate(target)) {
    if (d == 0 && !allowZero) {
      if (i >= input.size()) {
        error = "shape entry 0 at a position the input does not have";
        return std::nullopt;
      }
      out.push_back(input[i]);
    } else if (d == -1) {
      if (inferred >= 0) {
        error = "more than one -1 in the shape";
        return std::nullopt;
      }
      inferred = i;
      out.push_back(kDyn);
    } else if (d < 0) {
      error = "negative shape entry " + std::to_string(d);
      return std::nullopt;
    } else {
      out.push_back(d);
    }
  }
  bool inputStatic = llvm::none_of(input, [](int64_t d) { return d == kDyn; });
  int64_t inCount = 1, known = 1;
  bool overflow = false;
  for (int64_t d : input)
    overflow |= llvm::MulOverflow(inCount, d == kDyn ? 1 : d, inCount);
  bool knownStatic = true;
  for (auto [i, d] : llvm::enumerate(out))
    if ((int64_t)i != inferred) {
      if (d == kDyn)
        knownStatic = false;
      else
        overflow |= llvm::MulOverflow(known, d, known);
    }
  if (overflow) {
    error = "the shape has more elements than a 64-bit count holds";
    return std::nullopt;
  }
  if (inferred >= 0) {
    if (inputStatic && knownStatic) {
      if (known == 0 || inCount % known != 0) {
        error = "cannot infer the -1 dimension";
        return std::nullopt;
      }
      out[inferred] = inCount / known;
    }
  } else if (inputStatic && knownStatic && known != inCount) {
    error = "the shape has " + std::to_string(known) +
            " elements but the input has " + std::to_string(inCount);
    return std::nullopt;
  }
  return out;
}

std::optional<SmallVector<int64_t>> reductionDims(Value axes, int64_t rank,
                                                  bool noopWithEmptyAxes,
                                                  std::string &error) {
  SmallVector<int64_t> dims;
  if (!isa<NoneType>(axes.getType())) {
    auto values = getConstantIntValues(axes);
    if (!values && staticNumElements(axes) == 0)
      values.emplace(); // an empty run-time tensor: no axes
    if (!values) {
      error = "unsupported: reduction axes computed at run time";
      return std::nullopt;
    }
    for (int64_t a : *values) {
      auto axis = normalizeAxis(a, rank);
      if (!axis) {
        error = "axis " + std::to_string(a) + " is out of range";
        return std::nullopt;
      }
      dims.push_back(*axis);
    }
  }
  if (dims.empty() && !noopWithEmptyAxes)
    dims = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  llvm::sort(dims);
  dims.erase(std::unique(dims.begin(), dims.end()), dims.end());
  return dims;
}

Type onnxElementType(MLIRContext *context, int64_t code) {
  Builder b(context);
  switch (code) {
  case 1: return b.getF32Type();
  case 2: return b.getIntegerType(8, /*isSigned=*/false);
  case 3: return b.getIntegerType(8);
  case 4: return b.getIntegerType(16, false);
  case 5: return b.getIntegerType(16);
  case 6: return b.getIntegerType(32);
  case 7: return b.getIntegerType(64);
  case 9: return b.getI1Type();
  case 10: return b.getF16Type();
  case 11: return b.getF64Type();
  case 12: return b.getIntegerType(32, false);
  case 13: return b.getIntegerType(64, false);
  case 16: return b.getBF16Type();
  default: return {};
  }
}

bool areCompatibleTensorTypes(TypeRange a, TypeRange b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip(a, b)) {
    auto tx = dyn_cast<RankedTensorType>(x), ty = dyn_cast<RankedTensorType>(y);
    if (!tx || !ty) {
      if (x != y)
        return false;
      continue;
    }
    if (tx.getElementType() != ty.getElementType() ||
        failed(verifyCompatibleShape(tx.getShape(), ty.getShape())))
      return false;
  }
  return true;
}

std::optional<SmallVector<SliceDim>> resolveSlice(ArrayRef<int64_t> shape, Value starts,
                                                 Value ends, Value axes, Value steps,
                                                 std::string &error) {
  auto startValues = getConstantIntValues(starts), endValues = getConstantIntValues(ends);
  if (!startValues || !endValues) {
    error = "unsupported: starts and ends computed at run time";
    return std::nullopt;
  }
  int64_t rank = shape.size(), count = startValues->size();
  if ((int64_t)endValues->size() != count) {
    error = "starts and ends differ in length";
    return std::nullopt;
  }
  SmallVector<int64_t> axisValues, stepValues(count, 1);
  if (isa<NoneType>(axes.getType())) {
    axisValues = llvm::to_vector(llvm::seq<int64_t>(0, count));
  } else if (auto values = getConstantIntValues(axes)) {
    axisValues = *values;
  } else {
    error = "unsupported: axes computed at run time";
    return std::nullopt;
  }
  if (!isa<NoneType>(steps.getType())) {
    auto values = getConstantIntValues(steps);
    if (!values) {
      error = "unsupported: steps computed at run time";
      return std::nullopt;
    }
    stepValues = *values;
  }
  if ((int64_t)axisValues.size() != count || (int64_t)stepValues.size() != count) {
    error = "starts, axes and steps differ in length";
    return std::nullopt;
  }
  SmallVector<SliceDim> dims;
  for (int64_t d : shape)
    dims.push_back({0, 1, d});
  SmallVector<bool> seen(rank, false);
  for (int64_t i = 0; i < count; ++i) {
    auto axis = normalizeAxis(axisValues[i], rank);
    if (!axis || seen[*axis]) {
      error = "axis " + std::to_string(axisValues[i]) + " is out of range or repeated";
      return std::nullopt;
    }
    seen[*axis] = true;
    int64_t dim = shape[*axis], step = stepValues[i];
    if (step == 0) {
      error = "step 0";
      return std::nullopt;
    }
    if (dim == kDyn) {
      dims[*axis] = {0, step, kDyn};
      continue;
    }
    // ONNX clamps starts and ends into the dim (INT64_MIN/MAX mean "to the end").
    auto clamp = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v = v < -dim ? lo : v + dim;
      return std::clamp(v, lo, hi);
    };
    int64_t start = step > 0 ? clamp((*startValues)[i], 0, dim)
                             : clamp((*startValues)[i], 0, dim - 1);
    int64_t end = step > 0 ? clamp((*endValues)[i], 0, dim)
                           : clamp((*endValues)[i], -1, dim - 1);
    int64_t span = step > 0 ? end - start : start - end;
    int64_t absStep = step > 0 ? step : -step;
    dims[*axis] = {start, step, std::max<int64_t>(0, (span + absStep - 1) / absStep)};
  }
  return dims;
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

} // namespace lepton::nn
