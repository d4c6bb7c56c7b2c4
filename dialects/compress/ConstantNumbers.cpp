//===- ConstantNumbers.cpp - the values of constant tensors ---------------===//
#include "dialects/compress/ConstantNumbers.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;

namespace lepton::compress {

std::optional<SmallVector<double>> constantNumbers(Value v) {
  ElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  Type et = attr.getElementType();
  if (!et.isIntOrFloat() || et.isInteger(1))
    return std::nullopt;
  SmallVector<double> values;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (isa<FloatType>(et))
      for (const APFloat &x : dense.getValues<APFloat>())
        values.push_back(x.convertToDouble());
    else
      for (const APInt &x : dense.getValues<APInt>())
        values.push_back(et.isUnsignedInteger() ? double(x.getZExtValue())
                                                : double(x.getSExtValue()));
    return values;
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob = resource ? resource.getRawHandle().getBlob() : nullptr;
  if (!blob)
    return std::nullopt;
  ArrayRef<char> bytes = blob->getData();
  unsigned width = et.getIntOrFloatBitWidth();
  int64_t count = resource.getType().getNumElements();
  if (width % 8 || int64_t(bytes.size()) != count * (width / 8))
    return std::nullopt;
  if (width > 64)
    return std::nullopt;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t word = 0; // little-endian hosts only, as the artifact ABI
    std::memcpy(&word, bytes.data() + i * (width / 8), width / 8);
    APInt raw(width, word);
    if (auto ft = dyn_cast<FloatType>(et))
      values.push_back(APFloat(ft.getFloatSemantics(), raw).convertToDouble());
    else
      values.push_back(et.isUnsignedInteger() ? double(raw.getZExtValue())
                                              : double(raw.getSExtValue()));
  }
  return values;
}

} // namespace lepton::compress
