//===- CPUBackend.h - linalg -> native code for CPUs --------------*- C++ -*-===//
#ifndef LEPTON_CODEGEN_CPU_CPUBACKEND_H
#define LEPTON_CODEGEN_CPU_CPUBACKEND_H

#include "codegen/cpu/WeightPlacement.h"
#include "codegen/common/ModelSignature.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"
#include <memory>
#include <string>

namespace lepton::cpu {

struct CpuOptions {
  std::string triple;   // empty: the host
  std::string cpu;      // empty: the host CPU when native, else "generic"
  std::string features; // empty: the host CPU's when native
  unsigned optLevel = 3;
  bool threads = true; // kernels call lepton_parallel_for; false: single-threaded code
};

/// Textual pass pipelines of the codegen phases, so that lepton-opt and the
/// driver run exactly the same passes.
///   linalg: nn on tensors -> linalg on tensors (shared by all targets)
///   cpu:    linalg on tensors -> loop order for vectorizing CPU kernels,
///           bufferized, workspace-planned LLVM dialect
extern const char *const kLinalgPipeline;

/// The vector registers the CPU kernels are shaped for, and the intrinsics
/// of the target's byte and 16-bit pair dot products on them (empty: none).
struct VectorShape {
  int64_t bits = 256;
  int64_t registers = 16;
  std::string int8Dot, wordDot;
};
/// With `profile`, every operation of the model is timed (lepton_profile);
/// with `threads`, large kernels run on lepton_parallel_for.
std::string cpuLoweringPipeline(const VectorShape &vectors, bool profile, bool threads);

/// The widest vector registers `machine` uses for fixed-width vectors, how
/// many there are, and its byte dot product on them (x86 VNNI).
VectorShape vectorShapeOf(const llvm::TargetMachine &machine);

/// Registers `lepton-linalg-pipeline` and `lepton-cpu-pipeline`.
void registerPipelines();

/// A TargetMachine for `options`; null with `error` set on failure.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(const CpuOptions &options,
                                                         std::string &error);

/// Translates an LLVM-dialect module and adds the ABI: the entry point
/// `<name>_run`, the descriptor `<name>_descriptor` and, when
/// `exportFixedDescriptor`, the alias LEPTON_DESCRIPTOR_SYMBOL used by dlopen.
/// Weights held as blobs become LLVM constants, unless `placedWeights` is
/// given: then they are zero-filled hidden globals, listed there for
/// placeWeights to write into the linked library.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                const ModelSignature &signature,
                                                llvm::TargetMachine &machine,
                                                bool exportFixedDescriptor,
                                                std::vector<WeightBlob> *placedWeights = nullptr);

/// Runs LLVM's new-pass-manager default pipeline at `optLevel` (0-3).
void optimize(llvm::Module &module, llvm::TargetMachine &machine, unsigned optLevel);

/// Emits an object file into `out`.
bool emitObject(llvm::Module &module, llvm::TargetMachine &machine,
                llvm::SmallVectorImpl<char> &out, std::string &error);

/// Links `object` into the shared library `outputPath` with the in-process
/// lld and writes `weights` (translateToLLVMIR's placed weights) into it.
bool linkSharedLibrary(llvm::ArrayRef<char> object, llvm::ArrayRef<WeightBlob> weights,
                       llvm::StringRef outputPath, std::string &error);

} // namespace lepton::cpu

#endif // LEPTON_CODEGEN_CPU_CPUBACKEND_H
