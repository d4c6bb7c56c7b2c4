//===- HLSDialect.cpp - the hls dialect -----------------------------------===//
#include "dialects/hls/HLSDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "dialects/hls/HLSDialect.cpp.inc"

using namespace mlir;

namespace lepton::hls {

void HLSDialect::initialize() {}

namespace {

LogicalResult verifyPartition(Attribute value, function_ref<InFlightDiagnostic()> emitError) {
  if (auto text = dyn_cast<StringAttr>(value); text && text.getValue() == "complete")
    return success();
  if (auto factor = dyn_cast<IntegerAttr>(value); factor && factor.getInt() >= 2)
    return success();
  return emitError() << "'" << kPartition
                     << "' must be \"complete\" or a cyclic factor of at least 2";
}

bool isPositiveInteger(Attribute value) {
  auto integer = dyn_cast<IntegerAttr>(value);
  return integer && integer.getInt() >= 1;
}

bool isFifoDepths(Attribute value) {
  auto depths = dyn_cast<DenseI64ArrayAttr>(value);
  return depths && llvm::all_of(depths.asArrayRef(), [](int64_t d) { return d >= 1; });
}

} // namespace

LogicalResult HLSDialect::verifyOperationAttribute(Operation *op, NamedAttribute attribute) {
  StringRef name = attribute.getName().getValue();
  Attribute value = attribute.getValue();
  auto fail = [&](const Twine &what) { return op->emitOpError() << "'" << name << "' " << what; };
  if (name == kLayer)
    return isa<affine::AffineForOp>(op) && isa<StringAttr>(value)
               ? success()
               : fail("must be a string on an affine.for");
  if (name == kPipeline)
    return isa<affine::AffineForOp, func::FuncOp>(op) && isPositiveInteger(value)
               ? success()
               : fail("must be an initiation interval >= 1 on an affine.for or func.func");
  if (name == kAllocation)
    return isa<affine::AffineForOp>(op) && isPositiveInteger(value)
               ? success()
               : fail("must be a multiplier count >= 1 on an affine.for");
  if (name == kUnroll) {
    auto factor = dyn_cast<IntegerAttr>(value);
    return isa<affine::AffineForOp>(op) && (isa<UnitAttr>(value) || (factor && factor.getInt() >= 2))
               ? success()
               : fail("must be a unit attribute (complete) or a factor >= 2 on an affine.for");
  }
  if (name == kDataflow)
    return isa<func::FuncOp>(op) && isa<UnitAttr>(value)
               ? success()
               : fail("must be a unit attribute on a func.func");
  if (name == kFifoDepths)
    return isa<memref::AllocOp, memref::AllocaOp>(op) && isFifoDepths(value)
               ? success()
               : fail("must be an array of FIFO depths >= 1 on a memref.alloc or memref.alloca");
  if (name == kPartition) {
    if (!isa<memref::AllocOp, memref::AllocaOp, memref::GlobalOp>(op))
      return fail("must be on a memref.alloc, memref.alloca or memref.global");
    return verifyPartition(value, [&] { return op->emitOpError(); });
  }
  return op->emitOpError() << "unknown HLS directive '" << name << "'";
}

LogicalResult HLSDialect::verifyRegionArgAttribute(Operation *op, unsigned, unsigned,
                                                   NamedAttribute attribute) {
  if (attribute.getName().getValue() == kFifoDepths)
    return isFifoDepths(attribute.getValue())
               ? success()
               : op->emitOpError() << "'" << kFifoDepths << "' must be an array of FIFO depths >= 1";
  if (attribute.getName().getValue() != kPartition)
    return op->emitOpError() << "unknown HLS argument directive '" << attribute.getName().getValue()
                             << "'";
  return verifyPartition(attribute.getValue(), [&] { return op->emitOpError(); });
}

} // namespace lepton::hls
