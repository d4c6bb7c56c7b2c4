//===- Evaluator.h - runs a model for the compression passes ------*- C++ -*-===//
//
// The compression passes measure against the float model (the teacher) by
// running modules on calibration inputs. They do not reach into codegen for
// that: the driver implements this interface with the CPU backend, so
// passes/ stays target-independent (DESIGN.md, "The teacher").
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_PASSES_COMPRESS_EVALUATOR_H
#define LEPTON_PASSES_COMPRESS_EVALUATOR_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <cstring>
#include <memory>
#include <vector>

namespace lepton::compress {

/// A module compiled with some of its values tapped.
class Evaluation {
public:
  virtual ~Evaluation() = default;
  /// How many calibration input sets there are.
  virtual size_t numInputSets() const = 0;
  /// Runs input set `set`; `taps[i]` receives the bytes of the i-th tapped
  /// value (row-major, of its element type). Emits an error and fails when
  /// it cannot.
  virtual mlir::LogicalResult runBytes(size_t set, std::vector<std::vector<char>> &taps) = 0;
  /// The same for f32 taps: `taps[i]` receives the elements.
  mlir::LogicalResult run(size_t set, std::vector<std::vector<float>> &taps) {
    std::vector<std::vector<char>> bytes;
    if (mlir::failed(runBytes(set, bytes)))
      return mlir::failure();
    taps.resize(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) {
      taps[i].resize(bytes[i].size() / sizeof(float));
      std::memcpy(taps[i].data(), bytes[i].data(), taps[i].size() * sizeof(float));
    }
    return mlir::success();
  }
};

class Evaluator {
public:
  virtual ~Evaluator() = default;
  /// How many calibration input sets every evaluation runs on.
  virtual size_t numInputSets() const = 0;
  /// Compiles the model function of `module` (nn and compress ops on
  /// tensors, static shapes) so that its runs return `taps`: f32 tensors
  /// defined in that function. `module` itself is not changed.
  virtual mlir::FailureOr<std::unique_ptr<Evaluation>>
  compile(mlir::ModuleOp module, llvm::ArrayRef<mlir::Value> taps) = 0;
};

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_EVALUATOR_H
