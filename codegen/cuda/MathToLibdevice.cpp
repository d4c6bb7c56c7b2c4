//===- MathToLibdevice.cpp - libdevice calls for the remaining math ops ---===//
#include "codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace lepton {
#define GEN_PASS_DEF_MATHTOLIBDEVICE
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

/// Math ops upstream's NVVM lowering does not map, and their libdevice
/// functions for f32 and f64.
struct LibdeviceFunction {
  StringRef op, f32, f64;
};
constexpr LibdeviceFunction kFunctions[] = {
    {"math.asin", "__nv_asinf", "__nv_asin"},    {"math.acos", "__nv_acosf", "__nv_acos"},
    {"math.sinh", "__nv_sinhf", "__nv_sinh"},    {"math.cosh", "__nv_coshf", "__nv_cosh"},
    {"math.asinh", "__nv_asinhf", "__nv_asinh"}, {"math.acosh", "__nv_acoshf", "__nv_acosh"},
    {"math.atanh", "__nv_atanhf", "__nv_atanh"}, {"math.roundeven", "__nv_rintf", "__nv_rint"},
};

struct MathToLibdevicePass : lepton::impl::MathToLibdeviceBase<MathToLibdevicePass> {
  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    SymbolTable symbols(module);
    module.walk([&](Operation *op) {
      const LibdeviceFunction *entry = llvm::find_if(
          kFunctions, [&](const LibdeviceFunction &f) { return op->getName().getStringRef() == f.op; });
      if (entry == std::end(kFunctions) || op->getNumResults() != 1)
        return;
      Type type = op->getResult(0).getType();
      StringRef name = type.isF32() ? entry->f32 : type.isF64() ? entry->f64 : StringRef();
      if (name.empty())
        return; // other types stay, and fail translation with the op named
      // An llvm.func, not a func.func: the latter would get a C-interface
      // wrapper name that libdevice does not define.
      auto callee = symbols.lookup<LLVM::LLVMFuncOp>(name);
      if (!callee) {
        OpBuilder builder(module.getBodyRegion());
        callee = builder.create<LLVM::LLVMFuncOp>(
            module.getLoc(), name,
            LLVM::LLVMFunctionType::get(type, llvm::to_vector(op->getOperandTypes())));
        symbols.insert(callee);
      }
      OpBuilder builder(op);
      auto call = builder.create<LLVM::CallOp>(op->getLoc(), callee, op->getOperands());
      op->replaceAllUsesWith(call);
      op->erase();
    });
  }
};

} // namespace
