//===- Prune.h - pruning refit against the teacher ----------------*- C++ -*-===//
#ifndef LEPTON_PASSES_COMPRESS_PRUNE_H
#define LEPTON_PASSES_COMPRESS_PRUNE_H

#include "passes/compress/Evaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

#include <functional>

#include <optional>
#include <string>
#include <vector>

namespace lepton::compress {

/// What --prune asks for.
struct PruneSpec {
  enum class Kind {
    Magnitude, // the share `ratio` of each layer's weights with the least |w|
    NOfM,      // keep n of every m consecutive weights along the reduction
    Channels,  // the share `ratio` of the channels between two layers, removed
  };
  Kind kind;
  double ratio = 0;
  int n = 0, m = 0;
};

/// "magnitude:R" or "channels:R" (0 < R < 1), "N:M" (0 < N < M <= 64);
/// none otherwise.
std::optional<PruneSpec> parsePruneSpec(llvm::StringRef text);

/// What pruning did to one layer.
struct PrunedLayer {
  std::string node; // the ONNX node name(s)
  std::string op;   // "Conv", "Gemm", "MatMul"
  int64_t weights = 0, nonzeroBefore = 0, nonzeroAfter = 0;
  /// The refit's input samples and the inputs (plus bias) per output: with
  /// fewer samples than inputs it fits the calibration data exactly.
  int64_t samples = 0, inputs = 0;
  /// Channels mode: the output channels the producer keeps (the layer whose
  /// inputs shrink reports its weights).
  int64_t channels = 0, channelsKept = 0;
  /// With --sensitivity or a budget: this layer's unit pruned alone.
  std::optional<double> aloneSqnrDb, aloneTop1;
  bool applied = true;  // false: a budget kept it dense
  bool lighter = false; // a budget pruned it at its lighter level
};

/// One planned pruning step, refit and ready: one layer's weights, or one
/// chain's channels. `apply` rewrites the ops of the module it was planned
/// on, or those of a clone of it through the clone's mapping; units apply
/// in plan order. With `applyLighter`, the unit can also be applied at a
/// lighter level (half the share, for a budget to fall back on), which
/// does `lighterLayers` to its layers.
struct PruneUnit {
  std::vector<PrunedLayer> layers; // what it does to each layer it touches
  std::function<void(const mlir::IRMapping *)> apply;
  std::vector<PrunedLayer> lighterLayers;
  std::function<void(const mlir::IRMapping *)> applyLighter;
};

/// Plans pruning the convolutions and matrix products with constant weights
/// of `func` by `spec`, refitting what stays: the teacher (the module as it
/// is) runs on the calibration inputs through `evaluator`, each layer's
/// inputs are summarized as H = sum x x^T, and refitPruned keeps every
/// pruned layer's outputs close to the teacher's (its bias too, as a column
/// of ones). Channels mode removes a producer's output channels (and the
/// per-channel ops after it: activations, pools, depthwise convolutions)
/// and the matching inputs of the layer that consumes them, refitting that
/// layer. With `lighterLevels`, units also get a lighter level pruning half
/// the share (N:M: half as many zeros per group; channels: half as many
/// channels). Nothing is rewritten until a unit is applied.
/// `teacherOutputs`
/// receives the teacher's values of `outputs` for every input set. Emits
/// errors and fails when an evaluation fails.
mlir::FailureOr<std::vector<PruneUnit>>
planPruning(mlir::ModuleOp module, mlir::func::FuncOp func, Evaluator &evaluator,
            const PruneSpec &spec, bool lighterLevels, llvm::ArrayRef<mlir::Value> outputs,
            std::vector<std::vector<std::vector<float>>> &teacherOutputs);

} // namespace lepton::compress

#endif // LEPTON_PASSES_COMPRESS_PRUNE_H
