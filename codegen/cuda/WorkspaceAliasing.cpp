//===- WorkspaceAliasing.cpp - which memrefs may share elements ----------===//
#include "codegen/cuda/WorkspaceAliasing.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/Support/MathExtras.h"

namespace lepton::cuda {

using namespace mlir;

namespace {

/// Where a memref's elements lie: a function argument, and within it a byte
/// range when known (a memref.view at a constant offset; whatever is derived
/// from it stays inside it).
struct Extent {
  Value root;
  std::optional<std::pair<int64_t, int64_t>> bytes;
};

std::optional<Extent> extentOf(Value v) {
  std::optional<std::pair<int64_t, int64_t>> bytes;
  while (true) {
    if (isa<BlockArgument>(v))
      return Extent{v, bytes};
    Operation *op = v.getDefiningOp();
    if (auto view = dyn_cast<memref::ViewOp>(op)) {
      std::optional<int64_t> offset = getConstantIntValue(view.getByteShift());
      MemRefType type = view.getType();
      if (offset && type.hasStaticShape() && type.getElementType().isIntOrFloat()) {
        int64_t size = type.getNumElements() *
                       llvm::divideCeil(type.getElementType().getIntOrFloatBitWidth(), 8);
        // An outer view's range holds the inner one's.
        if (!bytes)
          bytes = {*offset, *offset + size};
        else
          bytes = {bytes->first + *offset, bytes->second + *offset};
      } else {
        bytes.reset();
      }
      v = view.getSource();
      continue;
    }
    if (auto viewLike = dyn_cast_or_null<ViewLikeOpInterface>(op)) {
      v = viewLike.getViewSource(); // a subview or reshape stays in its source's range
      continue;
    }
    return std::nullopt;
  }
}

} // namespace

bool mayAlias(Value a, Value b) {
  if (a == b)
    return true;
  std::optional<Extent> x = extentOf(a), y = extentOf(b);
  if (!x || !y)
    return true;
  if (x->root != y->root)
    return false;
  if (!x->bytes || !y->bytes)
    return true;
  return x->bytes->first < y->bytes->second && y->bytes->first < x->bytes->second;
}

} // namespace lepton::cuda
