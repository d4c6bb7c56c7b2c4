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

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"

#include <map>
#include <string>
#include <vector>

namespace lepton::cuda {

/// Whether `arch` names an architecture the target compiles for (sm_NN).
bool isSupportedArch(llvm::StringRef arch);

/// The pass pipeline from linalg on tensors to a module whose kernels are a
/// gpu.binary holding one PTX text per architecture in `archs`.
std::string cudaLoweringPipeline(llvm::ArrayRef<std::string> archs);

/// Fails, naming each op, where the host functions still read or write
/// tensor data after the pipeline (a loop nest the GPU mapping left alone):
/// on the CUDA target all data lives in device memory.
mlir::LogicalResult checkHostCode(mlir::ModuleOp module);

/// The PTX of the module's kernels by architecture, after the pipeline; an
/// error is emitted when the module holds no kernel binary.
mlir::FailureOr<std::map<std::string, std::string>> collectPTX(mlir::ModuleOp module);

} // namespace lepton::cuda

#endif // LEPTON_CODEGEN_CUDA_CUDABACKEND_H
