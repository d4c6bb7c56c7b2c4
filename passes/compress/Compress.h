//===- Compress.h - compression measured against the teacher ----*- C++ -*-===//
//
// The compress phase's entry: prunes and quantizes a model as the options
// ask, with the float model as the teacher, and reports the fidelity.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_PASSES_COMPRESS_COMPRESS_H
#define LEPTON_PASSES_COMPRESS_COMPRESS_H

#include "passes/compress/Calibration.h"
#include "passes/compress/Evaluator.h"
#include "passes/compress/Prune.h"

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
  std::string method; // calibration method, with quantization
  bool quantized = false;
  std::optional<PruneSpec> prune;
  std::vector<PrunedLayer> prunedLayers;
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

struct CompressOptions {
  bool quantizeInt8 = false;
  CalibrationMethod method = CalibrationMethod::MSE;
  std::optional<PruneSpec> prune;
};

/// Compresses `func` of `module`: folds batch normalization into the
/// convolutions, prunes (prune()) and quantizes to int8 (quantizeInt8()) as
/// `options` ask, then runs the result on the calibration inputs and
/// measures it against the teacher (the model before pruning and
/// quantization) into `report`. Emits errors and fails when an evaluation
/// fails.
mlir::LogicalResult compressModel(mlir::ModuleOp module, mlir::func::FuncOp func,
                                  Evaluator &evaluator, const CompressOptions &options,
                                  CalibrationCache *cache, FidelityReport &report);

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_COMPRESS_H
