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
/// (after a Relu) of the convolutions, matrix products and adds of `func`.
std::vector<mlir::Value> calibrationTaps(mlir::func::FuncOp func);

/// Quantizes `func` of `module` (batch norms already folded) to int8: runs
/// the module as it is on the calibration inputs through `evaluator` (or
/// takes what `cache` kept from an earlier compile), annotates the ranges
/// `method` chooses and runs `lepton-quantize-int8`. `modelOutputs` receives
/// the calibrated model's values of `outputs` for every input set.
/// Emits errors and fails when an evaluation fails.
mlir::LogicalResult quantizeInt8(mlir::ModuleOp module, mlir::func::FuncOp func,
                                 Evaluator &evaluator, CalibrationMethod method,
                                 CalibrationCache *cache, llvm::ArrayRef<mlir::Value> outputs,
                                 std::vector<std::vector<std::vector<float>>> &modelOutputs,
                                 FidelityReport &report);

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_QUANTIZE_H
