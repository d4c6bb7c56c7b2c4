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
#include <vector>

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

/// An element access: the memref an affine or memref load or store reads or
/// writes.
struct MemoryAccess {
  mlir::Value memref;
  bool store;
};

/// The access `op` makes, or none when it is no load or store.
std::optional<MemoryAccess> memoryAccess(mlir::Operation *op);

/// The band of `root`; fails (with an error naming the ONNX node) when a loop
/// has no constant trip count.
mlir::FailureOr<LoopNest> analyzeNest(mlir::affine::AffineForOp root);

/// The ONNX node name in `loc` (its first NameLoc), or "" when none.
std::string nodeName(mlir::Location loc);

/// How many times `op` runs per call: the product of the constant trip
/// counts of the affine.for and scf.for loops around it.
int64_t executions(mlir::Operation *op);

/// How many times `store` writes each element it writes: the product of the
/// trip counts of the affine.for loops around it whose induction variables
/// its address does not use (its reduction loops); none when one of those
/// has no constant trip count.
std::optional<int64_t> updatesPerElement(mlir::affine::AffineStoreOp store);

/// Multiplications (arith.muli, arith.mulf) `op`'s region performs per call.
int64_t multiplications(mlir::Operation *op);

/// The bits of every element of a memref.global's initial value (dense
/// elements, splat or not, or a dense resource blob), in row-major order, as
/// integers of the element type's width. Returns false for any other value.
bool forEachElementBits(mlir::Attribute initialValue, int64_t count,
                        llvm::function_ref<void(const llvm::APInt &)> fn);

/// Whether a top-level op of the model function is a step of the design:
/// a loop nest, another op with regions (an scf loop or branch), or a
/// store. The other top-level ops are buffers, views and scalars.
bool isStep(mlir::Operation *op);

/// The stream style's dataflow: each process is the consecutive top-level
/// steps of one ONNX layer, run as one function; processes exchange
/// buffers through hls::stream FIFOs. A buffer (an allocation or a function
/// argument) has versions: each process that writes it makes the next one.
/// A process touching a buffer whose current version another process made
/// reads that version from a FIFO into its own copy first (a write counts:
/// it may overwrite only part), and the maker writes every version that is
/// read on into one FIFO per reader after its steps.
struct DataflowChannel {
  mlir::Value buffer;
  /// Processes by index.
  int producer, consumer;
  /// Elements in flight, as lepton-hls-directives recorded them (the
  /// buffer's hls.fifo_depths); 0 before it ran.
  int64_t depth;
};

struct DataflowProcess {
  std::string layer; // the ONNX node
  llvm::SmallVector<mlir::Operation *> steps;
  /// The steps and the top-level scalar ops (loads, arithmetic) they use,
  /// in block order: what the process computes.
  llvm::SmallVector<mlir::Operation *> ops;
  /// Every buffer the process loads from or stores to, in first-use order
  /// (constant globals excluded).
  llvm::SmallVector<mlir::Value> buffers;
  /// Channels it reads (in reading order) and writes, by index.
  llvm::SmallVector<size_t> inputs, outputs;
  /// Input ports it reads in place (their only reader).
  llvm::SmallVector<mlir::Value> inputPorts;
  /// Output ports whose final version it makes (it copies them out).
  llvm::SmallVector<mlir::Value> outputPorts;
  /// Reads nothing but the port `portReader`, writing it into its channels.
  mlir::Value portReader;
};

struct DataflowGraph {
  std::vector<DataflowProcess> processes;
  std::vector<DataflowChannel> channels;
};

/// The dataflow of `func`'s top-level steps. Its input ports are the
/// arguments nothing writes.
DataflowGraph dataflowGraph(mlir::func::FuncOp func);

} // namespace lepton::hls

#endif // LEPTON_CODEGEN_HLS_LOOPNESTS_H
