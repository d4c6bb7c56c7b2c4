//===- Quantize.h - int8 quantization measured against the teacher -*- C++ -*-===//
#ifndef LEPTON_PASSES_COMPRESS_QUANTIZE_H
#define LEPTON_PASSES_COMPRESS_QUANTIZE_H

#include "passes/compress/Calibration.h"
#include "passes/compress/Evaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>
#include <string>
#include <vector>

namespace lepton::compress {

/// How the compressed model compares with the teacher on the calibration
/// inputs.
struct FidelityReport {
  struct Output {
    std::string name;
    double sqnrDb;   // 10 log10(sum t^2 / sum (t - q)^2); inf when equal
    double maxAbsError, meanAbsError;
  };
  std::vector<Output> outputs;
  /// Share of input sets whose arg max over the first output's last axis
  /// agrees (outputs with a last axis of at least 2 only).
  std::optional<double> top1Agreement;
  size_t inputSets = 0;
  bool calibrationCached = false; // ranges and teacher outputs from the cache
  size_t quantizedOps = 0, candidateOps = 0;
  uint64_t weightBytesBefore = 0, weightBytesAfter = 0;
  std::string method;
};

/// What calibration found: the range of every tap (in calibrationTaps
/// order) and the teacher's float outputs for every input set.
struct CalibrationResult {
  std::vector<std::pair<double, double>> ranges;
  std::vector<std::vector<std::vector<float>>> teacherOutputs;
};

/// Keeps calibration results between compiles; the driver keys it by the
/// model, the calibration data and the method.
class CalibrationCache {
public:
  virtual ~CalibrationCache() = default;
  virtual std::optional<CalibrationResult> load() = 0;
  virtual void store(const CalibrationResult &result) = 0;
};

/// The values whose ranges `lepton-quantize-int8` reads: inputs and outputs
/// (after a Relu) of the convolutions, matrix products and adds of `func`.
std::vector<mlir::Value> calibrationTaps(mlir::func::FuncOp func);

/// Quantizes `func` of `module` to int8: folds batch normalization into the
/// convolutions, runs the teacher (the module as it then is) on the
/// calibration inputs through `evaluator` (or takes what `cache`
/// kept from an earlier compile), annotates the ranges `method` chooses,
/// runs `lepton-quantize-int8`, then runs the result and fills `report`.
/// Emits errors and fails when an evaluation fails.
mlir::LogicalResult quantizeInt8(mlir::ModuleOp module, mlir::func::FuncOp func,
                                 Evaluator &evaluator, CalibrationMethod method,
                                 CalibrationCache *cache, FidelityReport &report);

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_QUANTIZE_H
