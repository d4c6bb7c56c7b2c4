//===- Evaluator.h - the teacher's executor: the CPU backend ------*- C++ -*-===//
//
// Implements the compression passes' Evaluator (passes/compress/Evaluator.h)
// with Lepton's own CPU backend: each compile lowers a copy of the module,
// with the tapped values as extra results, to a shared library in a
// temporary file and loads it with the runtime.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_COMPILER_EVALUATOR_H
#define LEPTON_COMPILER_EVALUATOR_H

#include "compiler/frontend/onnx/TensorIO.h"
#include "passes/compress/Evaluator.h"

#include "llvm/Target/TargetMachine.h"

#include <string>
#include <vector>

namespace lepton {

struct ModelSignature;

/// One set of model inputs, in the model's input order.
using InputSet = std::vector<onnx::HostTensor>;

/// Reads calibration input sets from `dir`: every subdirectory holding
/// input_0.pb, input_1.pb ... (the backend-test layout) or input_N.npy is one
/// set, in name order; `dir` itself holding input_0.{pb,npy} is one set. Each
/// must match the inputs of `signature` (element type and shape). Sets
/// `error` and returns false otherwise.
bool readInputSets(const std::string &dir, const ModelSignature &signature,
                   std::vector<InputSet> &sets, std::string &error);

class CpuEvaluator : public compress::Evaluator {
public:
  /// Runs the function `entry` on `sets`, compiled for the host `machine`.
  CpuEvaluator(std::string entry, llvm::TargetMachine &machine, std::vector<InputSet> sets)
      : entry(std::move(entry)), machine(machine), sets(std::move(sets)) {}

  size_t numInputSets() const override { return sets.size(); }
  mlir::FailureOr<std::unique_ptr<compress::Evaluation>>
  compile(mlir::ModuleOp module, llvm::ArrayRef<mlir::Value> taps) override;

private:
  std::string entry;
  llvm::TargetMachine &machine;
  std::vector<InputSet> sets;
};

} // namespace lepton

#endif // LEPTON_COMPILER_EVALUATOR_H
