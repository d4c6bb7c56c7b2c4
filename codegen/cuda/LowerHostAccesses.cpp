//===- LowerHostAccesses.cpp - host reads of device memory as copies ------===//
#include "codegen/Passes.h"
#include "codegen/cuda/HostDescriptor.h"

namespace lepton {
#define GEN_PASS_DEF_LOWERHOSTACCESSES
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

constexpr const char *kRead = "lepton_cuda_read", *kWrite = "lepton_cuda_write";

int64_t elementBytes(Type element) {
  return element.isIndex() ? 8 : llvm::divideCeil(element.getIntOrFloatBitWidth(), 8);
}

/// The device address of element `indices` of `memref`.
Value elementAddress(OpBuilder &b, Location loc, Value memref, ValueRange indices) {
  auto type = cast<MemRefType>(memref.getType());
  Type i64 = b.getI64Type();
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Value descriptor = lepton::cuda::hostDescriptor(b, loc, memref);
  Value element = b.create<LLVM::ExtractValueOp>(loc, descriptor, 2);
  for (auto [i, index] : llvm::enumerate(indices)) {
    Value stride = b.create<LLVM::ExtractValueOp>(loc, descriptor, ArrayRef<int64_t>{4, int64_t(i)});
    Value at = b.create<arith::IndexCastOp>(loc, i64, index);
    element = b.create<LLVM::AddOp>(loc, element, b.create<LLVM::MulOp>(loc, at, stride));
  }
  Value bytes = b.create<LLVM::MulOp>(
      loc, element, b.create<LLVM::ConstantOp>(loc, i64, elementBytes(type.getElementType())));
  Value aligned = b.create<LLVM::ExtractValueOp>(loc, descriptor, 1);
  return b.create<LLVM::GEPOp>(loc, ptr, b.getI8Type(), aligned, ValueRange{bytes});
}

struct LowerHostAccessesPass : lepton::impl::LowerHostAccessesBase<LowerHostAccessesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto declare = [&](const char *name) {
      if (auto fn = module.lookupSymbol<func::FuncOp>(name))
        return fn;
      auto at = OpBuilder::atBlockEnd(module.getBody());
      auto fn = at.create<func::FuncOp>(module.getLoc(), name,
                                        at.getFunctionType({ptr, ptr, at.getI64Type()}, {}));
      fn.setPrivate();
      return fn;
    };
    auto onHost = [](Value memref) { return !memref.getDefiningOp<memref::AllocaOp>(); };
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal())
        continue;
      SmallVector<Operation *> accesses;
      func.walk([&](Operation *op) {
        if (auto load = dyn_cast<memref::LoadOp>(op); load && onHost(load.getMemRef()))
          accesses.push_back(op);
        if (auto store = dyn_cast<memref::StoreOp>(op); store && onHost(store.getMemRef()))
          accesses.push_back(op);
      });
      for (Operation *op : accesses) {
        Location loc = op->getLoc();
        auto load = dyn_cast<memref::LoadOp>(op);
        auto store = dyn_cast<memref::StoreOp>(op);
        Value memref = load ? load.getMemRef() : store.getMemRef();
        Type element = cast<MemRefType>(memref.getType()).getElementType();
        // One host element of staging per access, allocated at entry.
        b.setInsertionPointToStart(&func.getBody().front());
        Value staging = b.create<memref::AllocaOp>(loc, MemRefType::get({1}, element));
        b.setInsertionPoint(op);
        Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
        Value host = b.create<LLVM::IntToPtrOp>(
            loc, ptr,
            b.create<arith::IndexCastOp>(
                loc, b.getI64Type(), b.create<memref::ExtractAlignedPointerAsIndexOp>(loc, staging)));
        Value device = elementAddress(b, loc, memref, load ? load.getIndices() : store.getIndices());
        Value bytes = b.create<arith::ConstantIntOp>(loc, elementBytes(element), 64);
        if (load) {
          b.create<func::CallOp>(loc, declare(kRead), ValueRange{host, device, bytes});
          load.replaceAllUsesWith(b.create<memref::LoadOp>(loc, staging, zero).getResult());
        } else {
          b.create<memref::StoreOp>(loc, store.getValueToStore(), staging, zero);
          b.create<func::CallOp>(loc, declare(kWrite), ValueRange{device, host, bytes});
        }
        op->erase();
      }
    }
  }
};

} // namespace
