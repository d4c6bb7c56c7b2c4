//===- ModelSignature.h - what the artifact ABI describes ---------*- C++ -*-===//
#ifndef LEPTON_CODEGEN_COMMON_MODELSIGNATURE_H
#define LEPTON_CODEGEN_COMMON_MODELSIGNATURE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lepton {

struct TensorSignature {
  std::string name;
  int32_t dtype; // ONNX TensorProto data type code (lepton_dtype)
  llvm::SmallVector<int64_t> shape; // -1 for dynamic dims
  /// The leading dim is the batch (shape[0] is -1): the generated code holds
  /// one entry of `entryBytes` and the entry point steps through the batch.
  bool batched = false;
  uint64_t entryBytes = 0;
  /// A quantized port of an HLS design: the integers q of real values
  /// (q - zeroPoint) * scale.
  std::optional<double> scale;
  int64_t zeroPoint = 0;
};

/// What a CUDA artifact's descriptor adds (lepton_cuda_image in lepton/abi.h).
struct CudaImage {
  std::map<std::string, std::string> ptx; // PTX text by architecture (sm_NN)
  std::vector<std::string> kernels;       // entry names, in launch-index order
  struct Weight {
    std::string global; // the host global holding the bytes
    uint64_t offset;    // where they go in the device workspace
    uint64_t bytes;
  };
  std::vector<Weight> weights;
};

/// The descriptor contents of one compiled model (see runtime lepton/abi.h).
struct ModelSignature {
  std::string name;
  std::vector<TensorSignature> inputs, outputs;
  uint64_t workspaceBytes = 0;
  uint64_t workspaceAlign = 64;
  uint64_t intermediateBytes = 0; // all intermediate buffers, before reuse
  /// For `leptonc --profile`: the ONNX nodes and kind of each timed operation.
  std::vector<std::pair<std::string, std::string>> profile;
  std::optional<CudaImage> cuda; // --target=cuda
};

/// A C identifier derived from `text` (non-alphanumerics become '_').
std::string cIdentifier(llvm::StringRef text);

/// The ONNX data type code of an element type, or 0 if it has none.
int32_t dtypeCode(mlir::Type element);

/// Reads names, types and shapes from the model function's signature (its
/// `lepton.name` argument and result attributes); fails with a diagnostic
/// for types the ABI cannot describe.
mlir::FailureOr<ModelSignature> signatureOf(mlir::func::FuncOp func);

} // namespace lepton

#endif // LEPTON_CODEGEN_COMMON_MODELSIGNATURE_H
