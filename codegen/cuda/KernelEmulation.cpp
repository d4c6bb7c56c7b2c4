//===- KernelEmulation.cpp - the GPU kernels compiled for the host --------===//
#include "codegen/cuda/KernelEmulation.h"

#include "codegen/cpu/CPUBackend.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/raw_ostream.h"

namespace lepton::cuda {

using namespace mlir;

namespace {

constexpr const char *kIds = "lepton_emu_ids";
constexpr const char *kBarrier = "lepton_emu_barrier";
constexpr const char *kBarrierHook = "lepton_emu_barrier_hook";

/// The kernel as a host function whose ids come from `kIds`. Its workgroup
/// (shared) memory becomes globals, one per attribution: the stand-in driver
/// runs one block at a time. `gpu.barrier` calls `kBarrier`, which the driver
/// implements by switching to the block's next thread (a coroutine each).
/// Sets `cooperative` when the kernel synchronizes.
LogicalResult hostKernel(gpu::GPUFuncOp kernel, OpBuilder &b, bool &cooperative) {
  if (!kernel.getPrivateAttributions().empty())
    return kernel.emitError("kernel emulation: private memory is not supported");
  auto func = b.create<func::FuncOp>(kernel.getLoc(), kernel.getName(), kernel.getFunctionType());
  IRMapping mapping;
  kernel.getBody().cloneInto(&func.getBody(), mapping);
  Block &entry = func.getBody().front();
  unsigned firstShared = kernel.getNumArguments();
  for (auto [index, attribution] : llvm::enumerate(kernel.getWorkgroupAttributions())) {
    auto type = cast<MemRefType>(attribution.getType());
    auto hostType = MemRefType::get(type.getShape(), type.getElementType());
    std::string name = (kernel.getName() + "_shared" + Twine(index)).str();
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(func);
    b.create<memref::GlobalOp>(kernel.getLoc(), name, b.getStringAttr("private"), hostType,
                               UnitAttr::get(b.getContext()), /*constant=*/false,
                               /*alignment=*/nullptr);
    b.setInsertionPointToStart(&entry);
    Value global = b.create<memref::GetGlobalOp>(kernel.getLoc(), hostType, name);
    entry.getArgument(firstShared + index).replaceAllUsesWith(global);
  }
  entry.eraseArguments(firstShared, entry.getNumArguments() - firstShared);
  cooperative = false;
  WalkResult walk = func.walk([&](Operation *op) {
    OpBuilder at(op);
    auto id = [&](int64_t slot) -> Value {
      Value ids = at.create<memref::GetGlobalOp>(
          op->getLoc(), MemRefType::get({12}, at.getI64Type()), kIds);
      Value value = at.create<memref::LoadOp>(
          op->getLoc(), ids, ValueRange{at.create<arith::ConstantIndexOp>(op->getLoc(), slot)});
      return at.create<arith::IndexCastOp>(op->getLoc(), at.getIndexType(), value);
    };
    auto dim = [](gpu::Dimension d) { return static_cast<int64_t>(d); };
    Value replacement;
    if (auto t = dyn_cast<gpu::ThreadIdOp>(op))
      replacement = id(dim(t.getDimension()));
    else if (auto t = dyn_cast<gpu::BlockIdOp>(op))
      replacement = id(3 + dim(t.getDimension()));
    else if (auto t = dyn_cast<gpu::BlockDimOp>(op))
      replacement = id(6 + dim(t.getDimension()));
    else if (auto t = dyn_cast<gpu::GridDimOp>(op))
      replacement = id(9 + dim(t.getDimension()));
    else if (isa<gpu::BarrierOp>(op)) {
      at.create<func::CallOp>(op->getLoc(), kBarrier, TypeRange{});
      cooperative = true;
      op->erase();
      return WalkResult::skip();
    } else if (isa<gpu::ReturnOp>(op)) {
      at.create<func::ReturnOp>(op->getLoc());
      op->erase();
      return WalkResult::skip();
    } else if (isa<gpu::GPUDialect>(op->getDialect())) {
      op->emitError("kernel emulation: '") << op->getName() << "' is not supported";
      return WalkResult::interrupt();
    }
    if (replacement) {
      op->getResult(0).replaceAllUsesWith(replacement);
      op->erase();
      return WalkResult::skip();
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

/// `kBarrier` calls the function `kBarrierHook` points to (the driver sets
/// it after loading the library).
void defineBarrier(llvm::Module &m) {
  llvm::Function *barrier = m.getFunction(kBarrier);
  if (!barrier)
    return;
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *hook = new llvm::GlobalVariable(m, ptr, /*isConstant=*/false,
                                        llvm::GlobalValue::ExternalLinkage,
                                        llvm::ConstantPointerNull::get(ptr), kBarrierHook);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", barrier));
  b.CreateCall(barrier->getFunctionType(), b.CreateLoad(ptr, hook));
  b.CreateRetVoid();
}

/// `<kernel>_emu(void **params)`: loads each parameter through its pointer.
/// A kernel that synchronizes also exports `<kernel>_emu_cooperative`: the
/// driver then runs a block's threads as coroutines.
void defineEntry(llvm::Module &m, llvm::Function &kernel, bool cooperative) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *entry = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false),
      llvm::GlobalValue::ExternalLinkage, kernel.getName() + "_emu", m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  llvm::SmallVector<llvm::Value *> args;
  for (llvm::Argument &param : kernel.args()) {
    llvm::Value *slot = b.CreateLoad(ptr, b.CreateConstGEP1_64(ptr, entry->getArg(0),
                                                               param.getArgNo()));
    args.push_back(b.CreateLoad(param.getType(), slot));
  }
  b.CreateCall(&kernel, args);
  b.CreateRetVoid();
  if (cooperative) {
    auto *flag = llvm::ConstantInt::get(llvm::Type::getInt8Ty(ctx), 1);
    new llvm::GlobalVariable(m, flag->getType(), /*isConstant=*/true,
                             llvm::GlobalValue::ExternalLinkage, flag,
                             kernel.getName() + "_emu_cooperative");
  }
}

} // namespace

bool writeEmulationLibrary(ModuleOp module, llvm::TargetMachine &machine,
                           const std::string &path) {
  OpBuilder b(module.getContext());
  OwningOpRef<ModuleOp> host = b.create<ModuleOp>(module.getLoc());
  b.setInsertionPointToEnd(host->getBody());
  b.create<memref::GlobalOp>(module.getLoc(), kIds, b.getStringAttr("public"),
                             MemRefType::get({12}, b.getI64Type()), UnitAttr::get(b.getContext()),
                             /*constant=*/false, /*alignment=*/nullptr);
  auto barrier = b.create<func::FuncOp>(module.getLoc(), kBarrier,
                                        b.getFunctionType(TypeRange{}, TypeRange{}));
  barrier.setPrivate();
  std::vector<std::pair<std::string, bool>> kernels; // name, cooperative
  for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
    for (auto kernel : gpuModule.getOps<gpu::GPUFuncOp>()) {
      if (!kernel.isKernel())
        continue;
      bool cooperative;
      if (failed(hostKernel(kernel, b, cooperative)))
        return false;
      kernels.emplace_back(kernel.getName().str(), cooperative);
    }
  PassManager pm(module.getContext());
  if (failed(parsePassPipeline(
          "convert-scf-to-cf,expand-strided-metadata,lower-affine,"
          "finalize-memref-to-llvm,convert-math-to-llvm,convert-math-to-libm,"
          "convert-arith-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,"
          "reconcile-unrealized-casts",
          pm)) ||
      failed(pm.run(*host)))
    return false;
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(*host, ctx, "emulation");
  if (!llvmModule)
    return false;
  llvmModule->setTargetTriple(machine.getTargetTriple().str());
  llvmModule->setDataLayout(machine.createDataLayout());
  for (const auto &[name, cooperative] : kernels)
    defineEntry(*llvmModule, *llvmModule->getFunction(name), cooperative);
  defineBarrier(*llvmModule);
  cpu::optimize(*llvmModule, machine, /*optLevel=*/1);
  llvm::SmallVector<char> object;
  std::string error;
  if (!cpu::emitObject(*llvmModule, machine, object, error) ||
      !cpu::linkSharedLibrary(object, /*weights=*/{}, path, error)) {
    emitError(module.getLoc()) << "kernel emulation: " << error;
    return false;
  }
  return true;
}

} // namespace lepton::cuda
