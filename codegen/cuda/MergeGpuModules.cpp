//===- MergeGpuModules.cpp - one gpu.module for all kernels ---------------===//
#include "codegen/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace lepton {
#define GEN_PASS_DEF_MERGEGPUMODULES
#include "codegen/Passes.h.inc"
} // namespace lepton

using namespace mlir;

namespace {

struct MergeGpuModulesPass : lepton::impl::MergeGpuModulesBase<MergeGpuModulesPass> {
  void runOnOperation() override {
    auto modules = llvm::to_vector(getOperation().getOps<gpu::GPUModuleOp>());
    if (modules.size() < 2)
      return;
    // Outlining gives every kernel function the same name, each in a module
    // of a unique name: a kernel takes its module's name (with its own
    // appended where a module holds several), unique in the merged module.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp module : modules) {
      auto kernels = llvm::to_vector(module.getOps<gpu::GPUFuncOp>());
      for (gpu::GPUFuncOp kernel : kernels) {
        StringAttr name = kernels.size() == 1
                              ? module.getNameAttr()
                              : StringAttr::get(&getContext(), module.getName() + "_" +
                                                                   kernel.getName());
        renamed[{module.getNameAttr(), kernel.getNameAttr()}] = name;
        SymbolTable::setSymbolName(kernel, name);
      }
    }
    gpu::GPUModuleOp into = modules.front();
    for (gpu::GPUModuleOp from : llvm::drop_begin(modules)) {
      for (Operation &op : llvm::make_early_inc_range(from.getBody()->without_terminator()))
        op.moveBefore(into.getBody()->getTerminator());
      from.erase();
    }
    getOperation().walk([&](gpu::LaunchFuncOp launch) {
      StringAttr kernel = renamed.lookup(
          {launch.getKernel().getRootReference(), launch.getKernel().getLeafReference()});
      if (kernel)
        launch.setKernelAttr(
            SymbolRefAttr::get(into.getNameAttr(), {FlatSymbolRefAttr::get(kernel)}));
    });
  }
};

} // namespace
