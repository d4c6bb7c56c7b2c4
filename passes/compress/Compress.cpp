//===- Compress.cpp - compression measured against the teacher ------------===//
#include "passes/compress/Compress.h"
#include "passes/compress/Passes.h"
#include "passes/compress/Quantize.h"
#include "dialects/nn/NNDialect.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/TypeSwitch.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <cmath>
#include <limits>
#include <numeric>

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

/// How a student's outputs compare with the teacher's.
struct Fidelity {
  std::vector<FidelityReport::Output> outputs;
  std::optional<double> top1, kl;
};

/// Runs the student (`func` of `module` as it is) on every input set and
/// compares its outputs with the teacher's: per output SQNR and errors; for
/// the first output, when its last axis has at least two entries, the
/// agreement of arg max and the mean KL divergence of the softmax.
FailureOr<Fidelity> evaluate(ModuleOp module, func::FuncOp func, Evaluator &evaluator,
                             const std::vector<std::vector<std::vector<float>>> &teacherOutputs) {
  std::vector<std::pair<Value, std::string>> outputs = floatOutputs(func);
  FailureOr<std::unique_ptr<Evaluation>> student =
      evaluator.compile(module, valuesOf(outputs));
  if (failed(student))
    return failure();
  size_t n = outputs.size();
  std::vector<double> signal(n), noise(n), maxError(n), sumError(n);
  std::vector<size_t> count(n);
  size_t agree = 0, rows = 0;
  double kl = 0;
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
    if (classes < 2)
      continue;
    const std::vector<float> &t = teacherOutputs[set][0], &q = values[0];
    for (size_t row = 0; row + classes <= t.size(); row += classes, ++rows) {
      auto tBegin = t.begin() + row, qBegin = q.begin() + row;
      agree += std::max_element(tBegin, tBegin + classes) - tBegin ==
               std::max_element(qBegin, qBegin + classes) - qBegin;
      // KL(p || r) of the two softmaxes, through log-sum-exp.
      auto logSumExp = [&](auto begin) {
        double m = *std::max_element(begin, begin + classes), sum = 0;
        for (int64_t c = 0; c < classes; ++c)
          sum += std::exp(begin[c] - m);
        return m + std::log(sum);
      };
      double lt = logSumExp(tBegin), lq = logSumExp(qBegin);
      for (int64_t c = 0; c < classes; ++c) {
        double logP = tBegin[c] - lt;
        kl += std::exp(logP) * (logP - (qBegin[c] - lq));
      }
    }
  }
  Fidelity fidelity;
  for (size_t o = 0; o < n; ++o)
    fidelity.outputs.push_back(
        {outputs[o].second,
         noise[o] > 0 ? 10 * std::log10(signal[o] / noise[o])
                      : std::numeric_limits<double>::infinity(),
         maxError[o], count[o] ? sumError[o] / count[o] : 0});
  if (rows) {
    fidelity.top1 = double(agree) / rows;
    fidelity.kl = std::max(0.0, kl / rows);
  }
  return fidelity;
}

bool meets(const Fidelity &f, const FidelityBudget &budget) {
  if (budget.kind == FidelityBudget::Kind::Top1)
    return f.top1 && *f.top1 >= budget.value;
  return llvm::all_of(f.outputs, [&](const FidelityReport::Output &o) {
    return o.sqnrDb >= budget.value;
  });
}

/// The model with the candidates quantized to `precisions`, measured: on a
/// copy of `module`, which stays as it is.
FailureOr<Fidelity> trial(ModuleOp module, func::FuncOp func, const CalibrationResult &calibration,
                          const std::vector<Precision> &precisions, bool biasCorrection,
                          Evaluator &evaluator,
                          const std::vector<std::vector<std::vector<float>>> &teacherOutputs) {
  OwningOpRef<ModuleOp> copy = module.clone();
  auto copyFunc = copy->lookupSymbol<func::FuncOp>(func.getSymName());
  if (failed(quantizeInt8(*copy, copyFunc, calibration, precisions, biasCorrection, nullptr)))
    return failure();
  return evaluate(*copy, copyFunc, evaluator, teacherOutputs);
}

/// How far a pruning unit goes: at the level --prune asks for, at its
/// lighter level (or dense, without one), or dense.
enum class PruneLevel { Full, Lighter, Dense };

/// Applies `unit` at `level` (to a clone through `mapping`).
void applyAt(const PruneUnit &unit, PruneLevel level, const IRMapping *mapping) {
  if (level == PruneLevel::Full)
    unit.apply(mapping);
  else if (level == PruneLevel::Lighter && unit.applyLighter)
    unit.applyLighter(mapping);
}

/// The module with the pruning units applied at `levels`, measured: on a
/// copy of `module`, which stays as it is.
FailureOr<Fidelity> trialPruned(ModuleOp module, func::FuncOp func, ArrayRef<PruneUnit> units,
                                const std::vector<PruneLevel> &levels, Evaluator &evaluator,
                                const std::vector<std::vector<std::vector<float>>> &teacherOutputs) {
  OwningOpRef<ModuleOp> copy = module.clone();
  // The copy has the same ops in the same order.
  IRMapping mapping;
  std::vector<Operation *> original;
  module.walk([&](Operation *op) { original.push_back(op); });
  size_t next = 0;
  copy->walk([&](Operation *op) { mapping.map(original[next++], op); });
  for (auto [unit, level] : llvm::zip(units, levels))
    applyAt(unit, level, &mapping);
  return evaluate(*copy, copy->lookupSymbol<func::FuncOp>(func.getSymName()), evaluator,
                  teacherOutputs);
}

/// Most sensitive first: least top-1 agreement (for a top-1 budget), then
/// least SQNR; `sensitivity(i)` gives item i's pair.
std::vector<size_t>
bySensitivity(size_t n, const std::optional<FidelityBudget> &budget,
              llvm::function_ref<std::pair<std::optional<double>, double>(size_t)> sensitivity) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  bool top1 = budget && budget->kind == FidelityBudget::Kind::Top1;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    auto [ta, sa] = sensitivity(a);
    auto [tb, sb] = sensitivity(b);
    if (top1 && ta && tb && *ta != *tb)
      return *ta < *tb;
    return sa < sb;
  });
  return order;
}

/// The least k in [0, n] for which `meetsWith(k)` holds, by bisection;
/// `meetsWith(n)` is taken to hold. Fails when a trial fails.
FailureOr<size_t> leastMeeting(size_t n, llvm::function_ref<FailureOr<bool>(size_t)> meetsWith) {
  FailureOr<bool> none = meetsWith(0);
  if (failed(none))
    return failure();
  if (*none)
    return size_t(0);
  size_t lo = 0, hi = n;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    FailureOr<bool> ok = meetsWith(mid);
    if (failed(ok))
      return failure();
    (*ok ? hi : lo) = mid;
  }
  return hi;
}

/// The cheapest of three levels per item (0 the cheapest; 2 the most
/// faithful, which is taken to meet the budget) that lets the model meet
/// it, for items `order`ed most sensitive first: the fewest leading items
/// raised to level 1 (bisection over the order); if even all of them at
/// level 1 do not meet it, the fewest leading ones at level 2 with the rest
/// at 1. Without `middleFirst` (where level 1 costs nearly what level 2
/// does), the fewest leading items raised straight to level 2. Then each
/// raised item, largest `size` first, is tried at each cheaper level and
/// stays at the cheapest that still meets the budget (the order is only a
/// heuristic). Each test is a measured whole-model trial.
FailureOr<std::vector<int>>
cheapestLevels(ArrayRef<size_t> order, bool middleFirst,
               llvm::function_ref<FailureOr<bool>(const std::vector<int> &)> meetsWith,
               llvm::function_ref<int64_t(size_t)> size) {
  size_t n = order.size();
  // The first `top` of `order` at level 2, the next up to `upTo` at 1.
  auto levels = [&](size_t top, size_t upTo) {
    std::vector<int> l(n, 0);
    for (size_t i = 0; i < upTo; ++i)
      l[order[i]] = i < top ? 2 : 1;
    return l;
  };
  FailureOr<size_t> raised = leastMeeting(n, [&](size_t k) {
    return meetsWith(middleFirst ? levels(0, k) : levels(k, k));
  });
  if (failed(raised))
    return failure();
  size_t top = middleFirst ? 0 : *raised;
  if (middleFirst && *raised == n && n > 0) { // leastMeeting took all-raised to meet: check
    FailureOr<bool> allRaised = meetsWith(levels(0, n));
    if (failed(allRaised))
      return failure();
    if (!*allRaised) {
      FailureOr<size_t> k = leastMeeting(n, [&](size_t k) { return meetsWith(levels(k, n)); });
      if (failed(k))
        return failure();
      top = *k;
    }
  }
  std::vector<int> chosen = levels(top, *raised);
  std::vector<size_t> kept(order.begin(), order.begin() + *raised);
  std::stable_sort(kept.begin(), kept.end(), [&](size_t a, size_t b) { return size(a) > size(b); });
  for (size_t i : kept) {
    int current = chosen[i];
    for (int cheaper = 0; cheaper < current; ++cheaper) {
      chosen[i] = cheaper;
      FailureOr<bool> ok = meetsWith(chosen);
      if (failed(ok))
        return failure();
      if (*ok)
        break;
      chosen[i] = current;
    }
  }
  return chosen;
}

/// How far to prune each unit: all at the level --prune asks for, or with
/// a budget the cheapest levels (cheapestLevels over full, the unit's
/// lighter level, dense) for which the pruned float model meets it
/// (quantization then spends what is left of it). Measures each unit
/// pruned alone into the report's layers when asked to.
FailureOr<std::vector<PruneLevel>>
chooseUnits(ModuleOp module, func::FuncOp func, const CompressOptions &options,
            std::vector<PruneUnit> &units, Evaluator &evaluator,
            const std::vector<std::vector<std::vector<float>>> &teacherOutputs,
            FidelityReport &report) {
  size_t n = units.size();
  std::vector<PruneLevel> levels(n, PruneLevel::Full);
  if ((!options.sensitivity && !options.budget) || n == 0)
    return levels;
  std::vector<std::pair<std::optional<double>, double>> alone(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<PruneLevel> only(n, PruneLevel::Dense);
    only[i] = PruneLevel::Full;
    FailureOr<Fidelity> f = trialPruned(module, func, units, only, evaluator, teacherOutputs);
    if (failed(f))
      return failure();
    double sqnr = f->outputs.empty() ? 0.0 : f->outputs[0].sqnrDb;
    alone[i] = {f->top1, sqnr};
    for (PrunedLayer &layer : units[i].layers) {
      layer.aloneSqnrDb = sqnr;
      layer.aloneTop1 = f->top1;
    }
  }
  if (!options.budget)
    return levels;
  std::vector<size_t> order =
      bySensitivity(n, options.budget, [&](size_t i) { return alone[i]; });
  auto toLevels = [&](const std::vector<int> &l) {
    std::vector<PruneLevel> out;
    for (int level : l)
      out.push_back(PruneLevel(level));
    return out;
  };
  // A lighter unit gives up half its zeros, a dense one all of them: the
  // search raises units straight to dense and then tries them lighter.
  FailureOr<std::vector<int>> chosen = cheapestLevels(
      order, /*middleFirst=*/false,
      [&](const std::vector<int> &l) -> FailureOr<bool> {
        FailureOr<Fidelity> f =
            trialPruned(module, func, units, toLevels(l), evaluator, teacherOutputs);
        if (failed(f))
          return failure();
        ++report.budgetTrials;
        return meets(*f, *options.budget);
      },
      [&](size_t i) {
        int64_t weights = 0;
        for (const PrunedLayer &layer : units[i].layers)
          weights += layer.weights;
        return weights;
      });
  if (failed(chosen))
    return failure();
  return toLevels(*chosen);
}

/// The ONNX op a quantization candidate came from.
std::string onnxName(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::string>(op)
      .Case([](nn::ConvOp) { return "Conv"; })
      .Case([](nn::GemmOp) { return "Gemm"; })
      .Case([](nn::MatMulOp) { return "MatMul"; })
      .Case([](nn::AddOp) { return "Add"; })
      .Default([](Operation *op) { return op->getName().stripDialect().str(); });
}

/// Elements of a candidate's constant weight (0 for an Add).
int64_t weightCount(Operation *op) {
  if (isa<nn::AddOp>(op) || op->getNumOperands() < 2)
    return 0;
  auto type = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
  return type && type.hasStaticShape() ? type.getNumElements() : 0;
}

/// Each candidate's precision: all `options.precision`, or with a budget
/// the cheapest that meet it (cheapestLevels over int8, int16, fp32, the
/// candidates ordered by their sensitivity to int8). Measures the
/// sensitivities into `report` when asked to.
FailureOr<std::vector<Precision>>
choosePrecisions(ModuleOp module, func::FuncOp func, const CompressOptions &options,
                 const CalibrationResult &calibration, Evaluator &evaluator,
                 const std::vector<std::vector<std::vector<float>>> &teacherOutputs,
                 FidelityReport &report) {
  std::vector<Operation *> candidates = int8Candidates(func);
  size_t n = candidates.size();
  std::vector<Precision> precisions(n, options.precision);
  if (!options.sensitivity && !options.budget)
    return precisions;
  for (size_t i = 0; i < n; ++i) {
    std::vector<Precision> alone(n, Precision::Fp32);
    alone[i] = Precision::Int8;
    FailureOr<Fidelity> f = trial(module, func, calibration, alone, options.biasCorrection,
                                  evaluator, teacherOutputs);
    if (failed(f))
      return failure();
    report.layers.push_back({nn::nodeNames(candidates[i]->getLoc()), onnxName(candidates[i]),
                             f->outputs.empty() ? 0.0 : f->outputs[0].sqnrDb, f->top1, f->kl,
                             precisionName(precisions[i])});
  }
  if (!options.budget)
    return precisions;
  const FidelityBudget &budget = *options.budget;
  if (budget.kind == FidelityBudget::Kind::Top1 && n > 0 && !report.layers[0].top1)
    return func.emitError("a top-1 budget needs a first output with a class axis (its last "
                          "axis holding at least two scores)");
  report.budget = budget;
  std::vector<size_t> order = bySensitivity(n, budget, [&](size_t i) {
    return std::make_pair(report.layers[i].top1, report.layers[i].sqnrDb);
  });
  auto toPrecisions = [&](const std::vector<int> &levels) {
    std::vector<Precision> p;
    for (int level : levels)
      p.push_back(Precision(level)); // int8, int16, fp32: cheapest first
    return p;
  };
  // An int16 layer is as small as an int8 one: raise to int16 first.
  FailureOr<std::vector<int>> chosen = cheapestLevels(
      order, /*middleFirst=*/true,
      [&](const std::vector<int> &levels) -> FailureOr<bool> {
        FailureOr<Fidelity> f = trial(module, func, calibration, toPrecisions(levels),
                                      options.biasCorrection, evaluator, teacherOutputs);
        if (failed(f))
          return failure();
        ++report.budgetTrials;
        return meets(*f, budget);
      },
      [&](size_t i) { return weightCount(candidates[i]); });
  if (failed(chosen))
    return failure();
  precisions = toPrecisions(*chosen);
  for (size_t i = 0; i < n; ++i)
    report.layers[i].precision = precisionName(precisions[i]);
  return precisions;
}

} // namespace

namespace lepton::compress {

std::optional<FidelityBudget> parseFidelityBudget(llvm::StringRef text) {
  auto [kind, number] = text.split(':');
  double value;
  if (number.getAsDouble(value) || !std::isfinite(value))
    return std::nullopt;
  if (kind == "top1" && value > 0 && value <= 1)
    return FidelityBudget{FidelityBudget::Kind::Top1, value};
  if (kind == "sqnr")
    return FidelityBudget{FidelityBudget::Kind::Sqnr, value};
  return std::nullopt;
}

std::optional<FixedPoint> parseFixedPoint(llvm::StringRef text) {
  FixedPoint f;
  if (!text.consume_front("fixed<") || !text.consume_back(">"))
    return std::nullopt;
  auto [bits, integerBits] = text.split(',');
  if (bits.trim().getAsInteger(10, f.bits) || integerBits.trim().getAsInteger(10, f.integerBits) ||
      f.bits < 2 || f.bits > 16 || f.integerBits < 1 || f.integerBits > f.bits)
    return std::nullopt;
  return f;
}

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
  std::vector<std::vector<std::vector<float>>> teacherOutputs;
  if (options.prune) {
    report.prune = options.prune;
    FailureOr<std::vector<PruneUnit>> units =
        planPruning(module, func, evaluator, *options.prune, options.budget.has_value(), outputs,
                    teacherOutputs);
    if (failed(units))
      return failure();
    FailureOr<std::vector<PruneLevel>> chosen =
        chooseUnits(module, func, options, *units, evaluator, teacherOutputs, report);
    if (failed(chosen))
      return failure();
    for (auto [unit, level] : llvm::zip(*units, *chosen)) {
      applyAt(unit, level, nullptr);
      bool lighter = level == PruneLevel::Lighter && unit.applyLighter;
      for (auto [i, planned] : llvm::enumerate(unit.layers)) {
        PrunedLayer layer = lighter ? unit.lighterLayers[i] : planned;
        layer.aloneSqnrDb = planned.aloneSqnrDb;
        layer.aloneTop1 = planned.aloneTop1;
        if (level != PruneLevel::Full && !lighter) {
          layer.applied = false;
          layer.nonzeroAfter = layer.nonzeroBefore;
          layer.channelsKept = layer.channels;
        }
        layer.lighter = lighter;
        report.prunedLayers.push_back(layer);
      }
    }
    // Pruning writes new constants; the old ones go.
    PassManager cleanup(module.getContext());
    cleanup.addPass(createCanonicalizerPass());
    if (failed(cleanup.run(module)))
      return failure();
  }
  if (options.quantizeInt8) {
    if (options.crossLayerEqualization) {
      // An equivalent float model (the teacher's function, up to float
      // rounding) whose weight ranges quantize better.
      PassManager equalize(module.getContext());
      equalize.addNestedPass<func::FuncOp>(createEqualizeCrossLayer());
      equalize.addPass(createCanonicalizerPass());
      if (failed(equalize.run(module)))
        return failure();
      report.crossLayerEqualization = true;
    }
    FailureOr<CalibrationResult> calibration =
        calibrateInt8(module, func, evaluator, options.method, cache, outputs, report);
    if (failed(calibration))
      return failure();
    if (!options.prune)
      teacherOutputs = calibration->teacherOutputs;
    FailureOr<std::vector<Precision>> precisions = choosePrecisions(
        module, func, options, *calibration, evaluator, teacherOutputs, report);
    if (failed(precisions) ||
        failed(quantizeInt8(module, func, *calibration, *precisions, options.biasCorrection,
                            &report, options.fixedPoint)))
      return failure();
  }
  report.weightBytesAfter = constantBytes(func);
  // The whole model, as compiled, against the teacher.
  FailureOr<Fidelity> fidelity = evaluate(module, func, evaluator, teacherOutputs);
  if (failed(fidelity))
    return failure();
  report.outputs = fidelity->outputs;
  report.top1Agreement = fidelity->top1;
  report.kl = fidelity->kl;
  if (report.budget)
    report.budgetMet = meets(*fidelity, *report.budget);
  return success();
}

} // namespace lepton::compress
