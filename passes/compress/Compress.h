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

#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace lepton::compress {

/// --fidelity-budget: what the compressed model must keep of the teacher on
/// the calibration inputs.
struct FidelityBudget {
  enum class Kind { Top1, Sqnr } kind;
  double value; // top-1 agreement in (0, 1], or SQNR in dB of every output
};

/// "top1:A" (0 < A <= 1) or "sqnr:D"; none otherwise.
std::optional<FidelityBudget> parseFidelityBudget(llvm::StringRef text);

/// What quantizing one layer alone costs against the teacher, and the
/// precision the layer got.
/// What a quantization candidate computes in, cheapest first.
enum class Precision { Int8, Int16, Fp32 };

inline const char *precisionName(Precision p) {
  return p == Precision::Int8 ? "int8" : p == Precision::Int16 ? "int16" : "fp32";
}

/// A fixed-point format, Vitis HLS's ap_fixed<bits, integerBits>: `bits`
/// in all, `integerBits` of them (sign included) before the binary point.
struct FixedPoint {
  int bits = 16, integerBits = 6;
  /// The value of one step, 2^(integerBits - bits).
  double scale() const { return std::ldexp(1.0, integerBits - bits); }
  std::string name() const {
    return "fixed<" + std::to_string(bits) + "," + std::to_string(integerBits) + ">";
  }
};

/// "fixed<W,I>" with 2 <= W <= 16 and 1 <= I <= W; none otherwise.
std::optional<FixedPoint> parseFixedPoint(llvm::StringRef text);

struct LayerSensitivity {
  std::string node, op;
  double sqnrDb;              // of the first output
  std::optional<double> top1; // agreement, for a classifier-shaped output
  std::optional<double> kl;   // mean KL(teacher || student) of its softmax
  std::string precision;      // "int8", "int16" or "fp32"
};

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
  /// Mean KL divergence of the first output's softmax from the teacher's.
  std::optional<double> kl;
  size_t inputSets = 0;
  bool calibrationCached = false; // ranges and teacher outputs from the cache
  size_t quantizedOps = 0, candidateOps = 0;
  size_t int16Ops = 0; // quantized convolutions and products with int16 inputs
  std::optional<FixedPoint> fixedPoint; // every quantized tensor in this format
  uint64_t weightBytesBefore = 0, weightBytesAfter = 0;
  std::string method; // calibration method, with quantization
  bool quantized = false;
  bool biasCorrection = false;
  bool crossLayerEqualization = false;
  std::optional<PruneSpec> prune;
  std::vector<PrunedLayer> prunedLayers;
  /// Per quantization candidate, with --sensitivity or a budget.
  std::vector<LayerSensitivity> layers;
  std::optional<FidelityBudget> budget;
  bool budgetMet = false;
  size_t budgetTrials = 0; // whole-model evaluations the search took
};

/// What calibration found: the range of every tap (in calibrationTaps
/// order) as the method chose it for 8 bits and as observed (what int16
/// activations cover), the mean of each channel of the taps that are inputs
/// of convolutions or matrix products (empty for the others), and the
/// calibrated model's float outputs for every input set.
struct CalibrationResult {
  std::vector<std::pair<double, double>> ranges, observedRanges;
  std::vector<std::vector<double>> channelMeans;
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
  bool quantizeInt8 = false; // quantize (to `precision`, or as a budget picks)
  Precision precision = Precision::Int8;
  /// Instead of `precision`: activations and weights all in this format
  /// (power-of-two scales, zero point 0), as an hls4ml design has them.
  std::optional<FixedPoint> fixedPoint;
  CalibrationMethod method = CalibrationMethod::MSE;
  bool biasCorrection = true;
  /// Cross-layer equalization (lepton-equalize-cross-layer) before calibration.
  bool crossLayerEqualization = false;
  std::optional<PruneSpec> prune;
  /// Measure every candidate layer quantized alone (implied by a budget).
  bool sensitivity = false;
  /// Pick each layer's precision, the cheapest that meet the budget.
  std::optional<FidelityBudget> budget;
};

/// Compresses `func` of `module`: folds batch normalization into the
/// convolutions, prunes (prune()) and quantizes to int8 (quantizeInt8()) as
/// `options` ask, then runs the result on the calibration inputs and
/// measures it against the teacher (the model before pruning and
/// quantization) into `report`. With a budget, each candidate layer is
/// first quantized alone and measured (its sensitivity); then the fewest
/// most sensitive layers that, kept in fp32, let the whole model meet the
/// budget are found by bisection over that order, each step a measured
/// whole-model trial; then each of those, largest weights first, is tried
/// in int8 again and stays there when the budget still holds. Emits errors and fails when an evaluation
/// fails.
mlir::LogicalResult compressModel(mlir::ModuleOp module, mlir::func::FuncOp func,
                                  Evaluator &evaluator, const CompressOptions &options,
                                  CalibrationCache *cache, FidelityReport &report);

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_COMPRESS_H
