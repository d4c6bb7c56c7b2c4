//===- KernelEmulation.h - the GPU kernels compiled for the host --*- C++ -*-===//
//
// A test aid: no GPU is needed to check what the CUDA target's kernels
// compute. After the kernel pipeline (kernels still in the gpu dialect), each
// kernel is also compiled for the host into a shared library, taking the same
// parameters as its PTX entry, with thread and block ids read from the
// exported array `lepton_emu_ids` (thread x y z, block x y z, block dims,
// grid dims). `<kernel>_emu(void **params)` calls it with cuLaunchKernel's
// parameter array. The stand-in driver of the tests (test/unit/
// FakeCudaDriver.c) runs it for every thread of a launch, one block after
// another. Shared memory becomes one global per buffer; a kernel that calls
// `gpu.barrier` exports `<kernel>_emu_cooperative`, and the driver runs each
// of its blocks' threads as a coroutine that yields at every barrier (through
// the function pointer `lepton_emu_barrier_hook`, which it sets): every
// thread reaches a barrier before any passes it, as on a GPU.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_CODEGEN_CUDA_KERNELEMULATION_H
#define LEPTON_CODEGEN_CUDA_KERNELEMULATION_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Target/TargetMachine.h"

#include <string>

namespace lepton::cuda {

/// Writes the library to `path`; emits a diagnostic and returns false on
/// failure. `module` is left as it is.
bool writeEmulationLibrary(mlir::ModuleOp module, llvm::TargetMachine &machine,
                           const std::string &path);

} // namespace lepton::cuda

#endif // LEPTON_CODEGEN_CUDA_KERNELEMULATION_H
