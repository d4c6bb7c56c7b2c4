//===- CUDABackend.cpp - linalg -> GPU kernels -> PTX ---------------------===//
#include "codegen/cuda/CUDABackend.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "llvm/ADT/StringExtras.h"

namespace lepton::cuda {

bool isSupportedArch(llvm::StringRef arch) {
  unsigned version;
  // sm_50 is the oldest architecture LLVM 19's NVPTX backend and current
  // drivers both support.
  return arch.consume_front("sm_") && !arch.getAsInteger(10, version) && version >= 50;
}

std::string cudaLoweringPipeline(llvm::ArrayRef<std::string> archs) {
  std::string attach;
  for (const std::string &arch : archs)
    attach += "nvvm-attach-target{chip=" + arch + "},";
  // Every parallel loop nest becomes a grid of 16x16-thread blocks over
  // its two leading dims (one thread per element, the other dims across
  // blocks); reductions stay sequential loops inside each thread. Loop
  // nests left on the host become one-thread kernels.
  return "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map},"
         "canonicalize,cse,"
         // Copies too must run as kernels: the host never touches tensor data.
         "lepton-strided-copy-to-linalg{all-copies=true},"
         "convert-linalg-to-parallel-loops,"
         // Tiles of constant size with in-bounds checks inside, folded to
         // constants by sccp: the mapping to blocks and threads needs
         // constant thread loops (canonicalize would merge the tile loops
         // back into one and leave one thread per block).
         "func.func(scf-parallel-loop-tiling{parallel-loop-tile-sizes=16,16 "
         "no-min-max-bounds=true}),"
         "sccp,"
         "func.func(gpu-map-parallel-loops),"
         "func.func(convert-parallel-loops-to-gpu),"
         "func.func(lepton-serial-kernels),"
         "lower-affine,"
         "gpu-kernel-outlining,"
         "lepton-merge-gpu-modules," +
         attach +
         "gpu.module(convert-scf-to-cf,lepton-math-to-libdevice,convert-gpu-to-nvvm,canonicalize,"
         "cse),"
         "reconcile-unrealized-casts,"
         "gpu-module-to-binary{format=isa}";
}

mlir::LogicalResult checkHostCode(mlir::ModuleOp module) {
  bool ok = true;
  for (auto func : module.getOps<mlir::func::FuncOp>())
    func.walk([&](mlir::Operation *op) {
      auto effects = llvm::dyn_cast<mlir::MemoryEffectOpInterface>(op);
      if (!effects || llvm::isa<mlir::gpu::LaunchFuncOp>(op))
        return;
      if (effects.hasEffect<mlir::MemoryEffects::Read>() ||
          effects.hasEffect<mlir::MemoryEffects::Write>()) {
        mlir::emitError(op->getLoc())
            << "unsupported on the CUDA target: '" << op->getName()
            << "' was not mapped to a GPU kernel and would run on the host";
        ok = false;
      }
    });
  return mlir::success(ok);
}

mlir::FailureOr<std::map<std::string, std::string>> collectPTX(mlir::ModuleOp module) {
  std::map<std::string, std::string> ptx;
  module.walk([&](mlir::gpu::BinaryOp binary) {
    for (mlir::Attribute attr : binary.getObjects()) {
      auto object = llvm::cast<mlir::gpu::ObjectAttr>(attr);
      auto target = llvm::dyn_cast<mlir::NVVM::NVVMTargetAttr>(object.getTarget());
      if (!target)
        continue;
      // The NVPTX backend's text ends in a NUL byte.
      ptx[target.getChip().str()] = object.getObject().getValue().rtrim('\0').str();
    }
  });
  if (ptx.empty()) {
    mlir::emitError(module.getLoc()) << "unsupported: the model has no work to run on a GPU";
    return mlir::failure();
  }
  return ptx;
}

} // namespace lepton::cuda
