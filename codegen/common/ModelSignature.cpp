//===- ModelSignature.cpp -------------------------------------------------===//
#include "codegen/common/ModelSignature.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace lepton {

int32_t dtypeCode(Type t) {
  if (t.isF32()) return 1;
  if (t.isF64()) return 11;
  if (t.isF16()) return 10;
  if (t.isBF16()) return 16;
  if (t.isInteger(1)) return 9;
  auto it = dyn_cast<IntegerType>(t);
  if (!it)
    return 0;
  bool u = it.isUnsigned();
  switch (it.getWidth()) {
  case 8: return u ? 2 : 3;
  case 16: return u ? 4 : 5;
  case 32: return u ? 12 : 6;
  case 64: return u ? 13 : 7;
  default: return 0;
  }
}

static FailureOr<TensorSignature> tensorSignature(func::FuncOp func, Type type,
                                                  DictionaryAttr attrs,
                                                  const std::string &fallback) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  int32_t code = tensor ? dtypeCode(tensor.getElementType()) : 0;
  if (!code)
    return func.emitError() << "the artifact ABI cannot describe " << type;
  TensorSignature sig;
  auto name = attrs ? attrs.getAs<StringAttr>("lepton.name") : StringAttr();
  sig.name = name ? name.str() : fallback;
  sig.dtype = code;
  for (int64_t d : tensor.getShape())
    sig.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  if (auto scale = attrs ? attrs.getAs<FloatAttr>("lepton.scale") : FloatAttr()) {
    sig.scale = scale.getValueAsDouble();
    if (auto zero = attrs.getAs<IntegerAttr>("lepton.zero_point"))
      sig.zeroPoint = zero.getInt();
  }
  if (attrs && attrs.get("lepton.batch") && tensor.hasStaticShape()) {
    sig.batched = true;
    sig.shape[0] = -1;
    uint64_t elementBytes = (tensor.getElementTypeBitWidth() + 7) / 8;
    sig.entryBytes = tensor.getNumElements() / tensor.getDimSize(0) * elementBytes;
  }
  return sig;
}

FailureOr<ModelSignature> signatureOf(func::FuncOp func) {
  ModelSignature sig;
  sig.name = func.getSymName().str();
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    auto t = tensorSignature(func, type.getInput(i), func.getArgAttrDict(i),
                             "input_" + std::to_string(i));
    if (failed(t))
      return failure();
    sig.inputs.push_back(*t);
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    auto t = tensorSignature(func, type.getResult(i), func.getResultAttrDict(i),
                             "output_" + std::to_string(i));
    if (failed(t))
      return failure();
    sig.outputs.push_back(*t);
  }
  return sig;
}

std::string cIdentifier(llvm::StringRef text) {
  std::string id;
  for (char c : text)
    id += llvm::isAlnum(c) ? c : '_';
  if (id.empty() || llvm::isDigit(id[0]))
    id = "m_" + id;
  return id;
}

} // namespace lepton
