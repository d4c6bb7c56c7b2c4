//===- LowerKernelLaunches.cpp - launches as calls of the runtime ---------===//
//
// Upstream's gpu-to-llvm lowers launches to the mgpu* wrappers of
// libmlir_cuda_runtime, which Debian does not ship, loads the module in a
// global constructor (no error reporting, one architecture chosen at compile
// time) and synchronizes a fresh stream after every launch. The artifact
// instead calls the Lepton runtime, which loads the PTX for the GPU present
// and queues the launches (lepton/abi.h, lepton_cuda_launch).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/cuda/HostDescriptor.h"

#include "mlir/IR/SymbolTable.h"

namespace lepton {
#define GEN_PASS_DEF_LOWERKERNELLAUNCHES
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

constexpr const char *kLaunchFunction = "lepton_cuda_launch";

/// The 8-byte slots of one launch operand, in the order MLIR's default
/// calling convention expands it into kernel parameters.
void appendSlots(OpBuilder &b, Location loc, Value operand, SmallVectorImpl<Value> &slots) {
  Type i64 = b.getI64Type();
  auto memref = dyn_cast<MemRefType>(operand.getType());
  if (!memref) {
    Value v = operand;
    if (v.getType().isIndex()) {
      slots.push_back(b.create<arith::IndexCastOp>(loc, i64, v));
      return;
    }
    if (isa<FloatType>(v.getType()))
      v = b.create<arith::BitcastOp>(loc, b.getIntegerType(v.getType().getIntOrFloatBitWidth()),
                                     v);
    if (v.getType().getIntOrFloatBitWidth() < 64)
      v = b.create<arith::ExtUIOp>(loc, i64, v);
    slots.push_back(v);
    return;
  }
  Value descriptor = lepton::cuda::hostDescriptor(b, loc, operand);
  // The kernel's parameters are these fields, in this order.
  auto field = [&](ArrayRef<int64_t> position) -> Value {
    Value v = b.create<LLVM::ExtractValueOp>(loc, descriptor, position);
    return isa<LLVM::LLVMPointerType>(v.getType()) ? b.create<LLVM::PtrToIntOp>(loc, i64, v)
                                                    : v;
  };
  slots.append({field({0}), field({1}), field({2})});
  for (int64_t i = 0; i < memref.getRank(); ++i)
    slots.push_back(field({3, i}));
  for (int64_t i = 0; i < memref.getRank(); ++i)
    slots.push_back(field({4, i}));
}

struct LowerKernelLaunchesPass
    : lepton::impl::LowerKernelLaunchesBase<LowerKernelLaunchesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    // Kernels by their symbol path, numbered in the order they appear.
    llvm::DenseMap<SymbolRefAttr, std::pair<int32_t, LLVM::LLVMFuncOp>> kernels;
    SmallVector<Attribute> names;
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
      for (auto kernel : gpuModule.getOps<LLVM::LLVMFuncOp>()) {
        if (!kernel->hasAttr(gpu::GPUDialect::getKernelFuncAttrName()))
          continue;
        auto path = SymbolRefAttr::get(gpuModule.getNameAttr(),
                                       {FlatSymbolRefAttr::get(kernel.getSymNameAttr())});
        kernels[path] = {static_cast<int32_t>(names.size()), kernel};
        names.push_back(kernel.getSymNameAttr());
      }
    module->setAttr("lepton.cuda_kernels", ArrayAttr::get(ctx, names));

    OpBuilder b(ctx);
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    func::FuncOp launchFn;
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      SmallVector<gpu::LaunchFuncOp> launches;
      func.walk([&](gpu::LaunchFuncOp launch) { launches.push_back(launch); });
      if (launches.empty())
        continue;
      if (!launchFn) {
        b.setInsertionPointToEnd(module.getBody());
        launchFn = b.create<func::FuncOp>(
            module.getLoc(), kLaunchFunction,
            b.getFunctionType({i32, i64, i64, i64, i64, i64, i64, i32, ptr, i32}, {}));
        launchFn.setPrivate();
      }
      // One slot buffer per function, as large as its largest launch needs.
      size_t most = 0;
      SmallVector<std::pair<gpu::LaunchFuncOp, SmallVector<Value>>> lowered;
      for (gpu::LaunchFuncOp launch : launches) {
        auto found = kernels.find(launch.getKernel());
        if (found == kernels.end()) {
          launch.emitError("launches a kernel that is not in a lowered gpu.module");
          return signalPassFailure();
        }
        b.setInsertionPoint(launch);
        SmallVector<Value> slots;
        for (Value operand : launch.getKernelOperands())
          appendSlots(b, launch.getLoc(), operand, slots);
        unsigned params = found->second.second.getFunctionType().getNumParams();
        if (slots.size() != params) {
          launch.emitError() << "kernel operands expand to " << slots.size()
                             << " parameters, the kernel has " << params;
          return signalPassFailure();
        }
        most = std::max(most, slots.size());
        lowered.push_back({launch, std::move(slots)});
      }
      b.setInsertionPointToStart(&func.getBody().front());
      Value buffer = b.create<memref::AllocaOp>(
          func.getLoc(), MemRefType::get({static_cast<int64_t>(std::max<size_t>(most, 1))}, i64));
      for (auto &[launch, slots] : lowered) {
        Location loc = launch.getLoc();
        b.setInsertionPoint(launch);
        for (auto [i, slot] : llvm::enumerate(slots))
          b.create<memref::StoreOp>(loc, slot, buffer,
                                    ValueRange{b.create<arith::ConstantIndexOp>(loc, i)});
        Value address = b.create<arith::IndexCastOp>(
            loc, i64, b.create<memref::ExtractAlignedPointerAsIndexOp>(loc, buffer));
        auto asI64 = [&](Value index) -> Value {
          return b.create<arith::IndexCastOp>(loc, i64, index);
        };
        gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
        gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
        Value shared = launch.getDynamicSharedMemorySize();
        if (!shared)
          shared = b.create<arith::ConstantIntOp>(loc, 0, 32);
        b.create<func::CallOp>(
            loc, launchFn,
            ValueRange{b.create<arith::ConstantIntOp>(loc, kernels[launch.getKernel()].first, 32),
                       asI64(grid.x), asI64(grid.y), asI64(grid.z), asI64(block.x),
                       asI64(block.y), asI64(block.z), shared,
                       b.create<LLVM::IntToPtrOp>(loc, ptr, address),
                       b.create<arith::ConstantIntOp>(loc, slots.size(), 32)});
        launch.erase();
      }
    }
  }
};

} // namespace
