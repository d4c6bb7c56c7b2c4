//===- Quantize.h - int8 quantization from calibrated ranges ------*- C++ -*-===//
#ifndef LEPTON_PASSES_COMPRESS_QUANTIZE_H
#define LEPTON_PASSES_COMPRESS_QUANTIZE_H

#include "passes/compress/Compress.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>
#include <string>
#include <vector>

namespace lepton::compress {

/// The values whose ranges `lepton-quantize-int8` reads: inputs and outputs
/// (after a Relu) of the convolutions, matrix products and adds of `func`,
/// and the outputs of its average pools.
std::vector<mlir::Value> calibrationTaps(mlir::func::FuncOp func);

/// The ops `lepton-quantize-int8` may quantize (convolutions, matrix
/// products and adds on float tensors), in walk order.
std::vector<mlir::Operation *> int8Candidates(mlir::func::FuncOp func);

/// The ranges of calibrationTaps(func): runs the module as it is on the
/// calibration inputs through `evaluator` (or takes what `cache` kept from
/// an earlier compile) and picks them by `method`; also the model's values
/// of `outputs` for every input set. Emits errors and fails when an
/// evaluation fails.
mlir::FailureOr<CalibrationResult>
calibrateInt8(mlir::ModuleOp module, mlir::func::FuncOp func, Evaluator &evaluator,
              CalibrationMethod method, CalibrationCache *cache,
              llvm::ArrayRef<mlir::Value> outputs, FidelityReport &report);

/// Quantizes the candidates of `func` to the precisions `precisions` gives
/// (one per int8Candidates entry; all int8 when empty) with the calibrated
/// ranges: annotates their inputs' and outputs' ranges (and the int16
/// layers) and runs `lepton-quantize-int8`. An int16 layer reads int16
/// activations (symmetric, bounded so that its int32 accumulator cannot
/// overflow) with int8 weights; an int16 Add reads and may write int16. With `biasCorrection`, each layer's bias also
/// takes away the expected error of its rounded weights on the teacher's
/// mean input (empirical bias correction). With `fixedPoint`, every
/// quantized activation and weight is in that format instead (zero point
/// 0, scale 2^(I-W), per tensor; the ranges only pick what is quantized),
/// and a layer whose int32 accumulator could overflow for some input is an
/// error. Counts the quantized ops into `report`.
mlir::LogicalResult quantizeInt8(mlir::ModuleOp module, mlir::func::FuncOp func,
                                 const CalibrationResult &calibration,
                                 const std::vector<Precision> &precisions,
                                 bool biasCorrection, FidelityReport *report,
                                 std::optional<FixedPoint> fixedPoint = std::nullopt);

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_QUANTIZE_H
