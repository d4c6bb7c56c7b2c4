//===- Compress.cpp - compression measured against the teacher ------------===//
#include "passes/compress/Compress.h"
#include "passes/compress/Passes.h"
#include "passes/compress/Quantize.h"
#include "dialects/nn/NNDialect.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace lepton;
using namespace lepton::compress;

namespace {

/// Bytes of every constant tensor in `func`.
uint64_t constantBytes(func::FuncOp func) {
  uint64_t bytes = 0;
  func.walk([&](nn::ConstantOp op) {
    auto type = cast<RankedTensorType>(op.getType());
    bytes += type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
  });
  return bytes;
}

/// The function's static f32 results, with their names.
std::vector<std::pair<Value, std::string>> floatOutputs(func::FuncOp func) {
  std::vector<std::pair<Value, std::string>> outputs;
  Operation *ret = func.getBody().back().getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || !type.getElementType().isF32() || !type.hasStaticShape())
      continue;
    auto name = func.getResultAttrOfType<StringAttr>(i, "lepton.name");
    outputs.push_back({v, name ? name.str() : "output_" + std::to_string(i)});
  }
  return outputs;
}

std::vector<Value> valuesOf(const std::vector<std::pair<Value, std::string>> &outputs) {
  std::vector<Value> values;
  for (const auto &output : outputs)
    values.push_back(output.first);
  return values;
}

/// Runs the student (the module as it is) on every input set and compares
/// its outputs with the teacher's.
LogicalResult measure(ModuleOp module, func::FuncOp func, Evaluator &evaluator,
                      const std::vector<std::vector<std::vector<float>>> &teacherOutputs,
                      FidelityReport &report) {
  std::vector<std::pair<Value, std::string>> outputs = floatOutputs(func);
  FailureOr<std::unique_ptr<Evaluation>> student =
      evaluator.compile(module, valuesOf(outputs));
  if (failed(student))
    return failure();
  size_t n = outputs.size();
  std::vector<double> signal(n), noise(n), maxError(n), sumError(n);
  std::vector<size_t> count(n);
  size_t agree = 0, rows = 0;
  int64_t classes =
      n == 0 ? 0 : cast<RankedTensorType>(outputs[0].first.getType()).getShape().back();
  std::vector<std::vector<float>> values;
  for (size_t set = 0; set < teacherOutputs.size(); ++set) {
    if (failed((*student)->run(set, values)))
      return failure();
    for (size_t o = 0; o < n; ++o) {
      const std::vector<float> &t = teacherOutputs[set][o], &q = values[o];
      for (size_t i = 0; i < t.size() && i < q.size(); ++i) {
        double d = double(q[i]) - double(t[i]);
        signal[o] += double(t[i]) * t[i];
        noise[o] += d * d;
        maxError[o] = std::max(maxError[o], std::fabs(d));
        sumError[o] += std::fabs(d);
      }
      count[o] += t.size();
    }
    if (classes >= 2) {
      const std::vector<float> &t = teacherOutputs[set][0], &q = values[0];
      for (size_t row = 0; row + classes <= t.size(); row += classes, ++rows) {
        auto tBegin = t.begin() + row, qBegin = q.begin() + row;
        agree += std::max_element(tBegin, tBegin + classes) - tBegin ==
                 std::max_element(qBegin, qBegin + classes) - qBegin;
      }
    }
  }
  for (size_t o = 0; o < n; ++o)
    report.outputs.push_back(
        {outputs[o].second,
         noise[o] > 0 ? 10 * std::log10(signal[o] / noise[o])
                      : std::numeric_limits<double>::infinity(),
         maxError[o], count[o] ? sumError[o] / count[o] : 0});
  if (rows)
    report.top1Agreement = double(agree) / rows;
  return success();
}

} // namespace

namespace lepton::compress {

LogicalResult compressModel(ModuleOp module, func::FuncOp func, Evaluator &evaluator,
                            const CompressOptions &options, CalibrationCache *cache,
                            FidelityReport &report) {
  // Batch norms go into the weights first: the folded weights are what is
  // pruned and quantized per channel, and the teacher is the folded model.
  PassManager fold(module.getContext());
  fold.addNestedPass<func::FuncOp>(createFoldBatchNorm());
  fold.addPass(createCanonicalizerPass());
  if (failed(fold.run(module)))
    return failure();
  report.inputSets = evaluator.numInputSets();
  report.weightBytesBefore = constantBytes(func);
  std::vector<Value> outputs = valuesOf(floatOutputs(func));
  // The teacher's outputs come from the first step that runs the model.
  std::vector<std::vector<std::vector<float>>> teacherOutputs, quantizedFrom;
  if (options.prune) {
    report.prune = options.prune;
    if (failed(prune(module, func, evaluator, *options.prune, outputs, teacherOutputs,
                     report.prunedLayers)))
      return failure();
    // Pruning writes new constants; the old ones go.
    PassManager cleanup(module.getContext());
    cleanup.addPass(createCanonicalizerPass());
    if (failed(cleanup.run(module)))
      return failure();
  }
  if (options.quantizeInt8) {
    if (failed(quantizeInt8(module, func, evaluator, options.method, cache, outputs,
                            quantizedFrom, report)))
      return failure();
    if (!options.prune)
      teacherOutputs = std::move(quantizedFrom);
  }
  report.weightBytesAfter = constantBytes(func);
  return measure(module, func, evaluator, teacherOutputs, report);
}

} // namespace lepton::compress
