//===- LoopNests.cpp - the HLS target's view of its loop nests ------------===//
#include "codegen/hls/LoopNests.h"

#include "mlir/Dialect/Affine/Analysis/LoopAnalysis.h"
#include "mlir/Dialect/Affine/LoopUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

namespace lepton::hls {

std::string nodeName(Location loc) {
  std::string name;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

Value rootBuffer(Value memref) {
  while (Operation *def = memref.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      break;
    memref = view.getViewSource();
  }
  return memref;
}

int64_t executions(Operation *op) {
  int64_t count = 1;
  for (auto loop = op->getParentOfType<affine::AffineForOp>(); loop;
       loop = loop->getParentOfType<affine::AffineForOp>())
    count *= affine::getConstantTripCount(loop).value_or(1);
  return count;
}

int64_t multiplications(Operation *op) {
  int64_t count = 0;
  op->walk([&](Operation *inner) {
    if (isa<arith::MulIOp, arith::MulSIExtendedOp, arith::MulFOp>(inner))
      count += executions(inner);
  });
  return count;
}

namespace {

/// The values an index operand is computed from (through affine.apply and
/// index arithmetic), to find which loops a store's address depends on.
void collectRoots(Value value, llvm::SmallPtrSetImpl<Value> &roots) {
  if (!roots.insert(value).second)
    return;
  if (Operation *def = value.getDefiningOp())
    for (Value operand : def->getOperands())
      collectRoots(operand, roots);
}

} // namespace

FailureOr<LoopNest> analyzeNest(affine::AffineForOp root) {
  LoopNest nest;
  nest.root = root;
  affine::getPerfectlyNestedLoops(nest.loops, root);
  llvm::SmallPtrSet<Value, 16> stored;
  root->walk([&](Operation *op) {
    if (auto store = dyn_cast<affine::AffineStoreOp>(op))
      for (Value operand : store.getMapOperands())
        collectRoots(operand, stored);
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      for (Value operand : store.getIndices())
        collectRoots(operand, stored);
  });
  for (affine::AffineForOp loop : nest.loops) {
    std::optional<uint64_t> trips = affine::getConstantTripCount(loop);
    if (!trips)
      return loop.emitError("unsupported on the HLS target: a loop without a constant trip "
                            "count (HLS designs have static shapes)");
    nest.trips.push_back(*trips);
    nest.reduction.push_back(!stored.contains(loop.getInductionVar()));
  }
  return nest;
}

bool forEachElementBits(Attribute initialValue, int64_t count,
                        llvm::function_ref<void(const llvm::APInt &)> fn) {
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(initialValue)) {
    for (int64_t i = 0; i < count; ++i) {
      int64_t at = dense.isSplat() ? 0 : i;
      if (auto real = dyn_cast<FloatType>(dense.getElementType()))
        fn(dense.getValues<llvm::APFloat>()[at].bitcastToAPInt());
      else
        fn(dense.getValues<llvm::APInt>()[at]);
    }
    return true;
  }
  auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(initialValue);
  if (!resource || !resource.getRawHandle().getBlob())
    return false;
  llvm::ArrayRef<char> bytes = resource.getRawHandle().getBlob()->getData();
  unsigned bits = resource.getType().getElementType().getIntOrFloatBitWidth();
  unsigned size = (bits + 7) / 8;
  if (bits % 8 != 0 || int64_t(bytes.size()) != count * size)
    return false;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i * size, size); // little-endian hosts
    fn(llvm::APInt(bits, word));
  }
  return true;
}

} // namespace lepton::hls
