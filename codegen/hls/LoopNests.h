//===- LoopNests.h - the HLS target's view of its loop nests ------*- C++ -*-===//
//
// After bufferization and convert-linalg-to-affine-loops, every linalg op of
// the model is one top-level affine.for nest with constant bounds. The
// directive pass, the estimator and the emitter all look at nests this way.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_CODEGEN_HLS_LOOPNESTS_H
#define LEPTON_CODEGEN_HLS_LOOPNESTS_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace lepton::hls {

struct LoopNest {
  mlir::affine::AffineForOp root;
  /// The perfectly nested band from `root` inwards, with constant trip counts.
  llvm::SmallVector<mlir::affine::AffineForOp> loops;
  llvm::SmallVector<int64_t> trips;
  /// Whether each loop of the band is a reduction: no store index uses its
  /// induction variable.
  llvm::SmallVector<bool> reduction;
};

/// The allocation, global or argument a memref view is taken of.
mlir::Value rootBuffer(mlir::Value memref);

/// The band of `root`; fails (with an error naming the ONNX node) when a loop
/// has no constant trip count.
mlir::FailureOr<LoopNest> analyzeNest(mlir::affine::AffineForOp root);

/// The ONNX node name in `loc` (its first NameLoc), or "" when none.
std::string nodeName(mlir::Location loc);

/// How many times `op` runs per call: the product of the trip counts of the
/// affine.for loops around it.
int64_t executions(mlir::Operation *op);

/// Multiplications (arith.muli, arith.mulf) `op`'s region performs per call.
int64_t multiplications(mlir::Operation *op);

/// The bits of every element of a memref.global's initial value (dense
/// elements, splat or not, or a dense resource blob), in row-major order, as
/// integers of the element type's width. Returns false for any other value.
bool forEachElementBits(mlir::Attribute initialValue, int64_t count,
                        llvm::function_ref<void(const llvm::APInt &)> fn);

} // namespace lepton::hls

#endif // LEPTON_CODEGEN_HLS_LOOPNESTS_H
