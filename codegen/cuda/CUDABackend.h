//===- CUDABackend.h - linalg -> GPU kernels -> PTX ---------------*- C++ -*-===//
//
// The CUDA target's code generation, from the linalg-on-tensors IR all
// targets share: bufferize, map parallel loops to blocks and threads, outline
// the kernels into one gpu.module, lower it to NVVM and let LLVM's NVPTX
// backend (in-process, through gpu-module-to-binary) write PTX for each
// requested architecture.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_CODEGEN_CUDA_CUDABACKEND_H
#define LEPTON_CODEGEN_CUDA_CUDABACKEND_H

#include "codegen/common/ModelSignature.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"

#include <string>

namespace lepton::cuda {

/// Whether `arch` names an architecture the target compiles for (sm_NN).
bool isSupportedArch(llvm::StringRef arch);

/// The pass pipeline from linalg on tensors to host functions that launch
/// the kernels of one gpu.module (gpu dialect); the workspace (device
/// memory) holds intermediates and weights.
extern const char *const kKernelPipeline;

/// After kKernelPipeline: the kernels lowered to NVVM for each architecture
/// in `archs`, and the host's reads of tensor elements made copies.
std::string nvvmPipeline(llvm::ArrayRef<std::string> archs);

/// After nvvmPipeline and checkHostCode: launches become calls of the
/// runtime, the gpu.module becomes a gpu.binary of PTX texts.
extern const char *const kLaunchPipeline;

/// After takeImage: the host functions to the LLVM dialect (the CPU
/// backend's translation and linking then build the artifact).
extern const char *const kHostPipeline;

/// Fails, naming each op, where the host functions still read or write
/// tensor data after the pipeline (a loop nest the GPU mapping left alone):
/// on the CUDA target all data lives in device memory.
mlir::LogicalResult checkHostCode(mlir::ModuleOp module);

/// After kLaunchPipeline: takes the PTX of each architecture off the module
/// (erasing the gpu.binary) with the kernel names and the weights' workspace
/// offsets. A model without kernels (its outputs are empty) has no PTX.
CudaImage takeImage(mlir::ModuleOp module);

} // namespace lepton::cuda

#endif // LEPTON_CODEGEN_CUDA_CUDABACKEND_H
