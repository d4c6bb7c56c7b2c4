//===- CUDABackend.cpp - linalg -> GPU kernels -> PTX ---------------------===//
#include "codegen/cuda/CUDABackend.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/StringExtras.h"

namespace lepton::cuda {

bool isSupportedArch(llvm::StringRef arch) {
  unsigned version;
  // sm_50 is the oldest architecture LLVM 19's NVPTX backend and current
  // drivers both support.
  return arch.consume_front("sm_") && !arch.getAsInteger(10, version) && version >= 50;
}

// The artifact ABI's function boundary and workspace, as on the CPU
// (lepton-device-weights adds the weights to the workspace). Every parallel
// loop nest becomes a grid of blocks of up to 256 threads, contiguous
// elements on neighbouring threads; reductions are sequential loops whose
// sums stay in registers (up to 4 x 4 outputs per thread), long ones with
// few outputs split into chunks first. Loop nests left on the host become
// one-thread kernels.
const char *const kKernelPipeline =
    "func.func(lepton-split-reductions),"
    "lepton-prepare-entry-abi,empty-tensor-to-alloc-tensor,"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "cse,buffer-results-to-out-params{hoist-static-allocs=true},canonicalize,cse,"
    "lepton-plan-workspace,lepton-device-weights,"
    // Copies too must run as kernels: the host never touches tensor data.
    "lepton-strided-copy-to-linalg{all-copies=true},"
    "func.func(lepton-register-tile-reductions),"
    "convert-linalg-to-parallel-loops,func.func(lepton-fuse-parallel-loops),"
    // Tiles of constant size with in-bounds checks inside, folded to
    // constants by sccp: the mapping to blocks and threads needs constant
    // thread loops (canonicalize would merge the tile loops back into one and
    // leave one thread per block).
    "func.func(lepton-tile-parallel-loops),"
    "sccp,"
    "func.func(gpu-map-parallel-loops),"
    "func.func(convert-parallel-loops-to-gpu),"
    "func.func(lepton-serial-kernels,lepton-sink-scalar-loads),"
    "lower-affine,"
    // Constants into the kernels: outlined, they would be kernel parameters
    // (a tile size as a runtime divisor costs a 64-bit division per thread).
    "gpu-launch-sink-index-computations,"
    "gpu-kernel-outlining,"
    "lepton-merge-gpu-modules";

std::string nvvmPipeline(llvm::ArrayRef<std::string> archs) {
  std::string attach;
  for (const std::string &arch : archs)
    attach += "nvvm-attach-target{chip=" + arch + "},";
  return attach +
         "gpu.module(convert-scf-to-cf,lepton-math-to-libdevice,convert-gpu-to-nvvm,canonicalize,"
         "cse),"
         "reconcile-unrealized-casts,"
         "lepton-lower-host-accesses";
}

const char *const kLaunchPipeline =
    "lepton-lower-kernel-launches,gpu-module-to-binary{format=isa}";

// The entry's memrefs are bare pointers, as on the CPU (lepton/abi.h). Math
// on the host: values the host computes from tensor elements it read.
const char *const kHostPipeline =
    "expand-strided-metadata,lower-affine,convert-scf-to-cf,finalize-memref-to-llvm,"
    "convert-math-to-llvm,convert-math-to-libm,convert-arith-to-llvm,"
    "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},"
    "convert-cf-to-llvm,reconcile-unrealized-casts";

mlir::LogicalResult checkHostCode(mlir::ModuleOp module) {
  bool ok = true;
  for (auto func : module.getOps<mlir::func::FuncOp>())
    func.walk([&](mlir::Operation *op) {
      auto effects = llvm::dyn_cast<mlir::MemoryEffectOpInterface>(op);
      if (!effects || llvm::isa<mlir::gpu::LaunchFuncOp, mlir::memref::AllocaOp>(op))
        return;
      // Host staging slots (lepton-lower-host-accesses) are host memory.
      mlir::Value memref;
      if (auto load = llvm::dyn_cast<mlir::memref::LoadOp>(op))
        memref = load.getMemRef();
      else if (auto store = llvm::dyn_cast<mlir::memref::StoreOp>(op))
        memref = store.getMemRef();
      if (memref && memref.getDefiningOp<mlir::memref::AllocaOp>())
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

CudaImage takeImage(mlir::ModuleOp module) {
  CudaImage image;
  for (auto binary : llvm::make_early_inc_range(module.getOps<mlir::gpu::BinaryOp>())) {
    for (mlir::Attribute attr : binary.getObjects()) {
      auto object = llvm::cast<mlir::gpu::ObjectAttr>(attr);
      auto target = llvm::dyn_cast<mlir::NVVM::NVVMTargetAttr>(object.getTarget());
      if (!target)
        continue;
      // The NVPTX backend's text ends in a NUL byte.
      image.ptx[target.getChip().str()] = object.getObject().getValue().rtrim('\0').str();
    }
    binary.erase();
  }
  if (auto kernels = module->getAttrOfType<mlir::ArrayAttr>("lepton.cuda_kernels"))
    for (auto name : kernels.getAsRange<mlir::StringAttr>())
      image.kernels.push_back(name.str());
  for (auto global : module.getOps<mlir::memref::GlobalOp>())
    if (auto offset = global->getAttrOfType<mlir::IntegerAttr>("lepton.workspace_offset")) {
      mlir::MemRefType type = global.getType();
      int64_t bits = type.getElementType().getIntOrFloatBitWidth();
      image.weights.push_back({global.getSymName().str(), uint64_t(offset.getInt()),
                               uint64_t(type.getNumElements() * ((bits + 7) / 8))});
    }
  return image;
}

} // namespace lepton::cuda
