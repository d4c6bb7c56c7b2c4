//===- ParallelOutline.h - run a range of tasks on the thread pool --*- C++ -*-===//
//
// Work split into equal tasks [0, n) becomes a function over a task range,
// `<name>_body(index begin, index end, captured...)`, and a call of
// `<name>_parallel(index n, captured...)`, a declaration that the artifact
// writer defines as a call of lepton_parallel_for (lepton/abi.h) with a task
// that unpacks the captured values (CPUBackend.cpp, defineParallelKernels).
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_CODEGEN_CPU_PARALLELOUTLINE_H
#define LEPTON_CODEGEN_CPU_PARALLELOUTLINE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace lepton::cpu {

/// Tasks a split loop nest must offer at least: enough to balance two
/// threads or more.
constexpr int64_t kMinParallelTasks = 16;

/// Loop sizes as "AxBxC", as the kernel descriptions give them.
std::string formatSizes(llvm::ArrayRef<int64_t> sizes);

/// What an operation does, in a few words, for `leptonc --profile`: the
/// `lepton.kind` attribute the CPU kernel passes leave on what they emit, or
/// "elementwise|reduction <loop sizes>" for a linalg.generic, else its name.
std::string describe(mlir::Operation *op);
constexpr const char *kKindAttr = "lepton.kind";

/// Whether `v` is a memref with a static shape and identity layout: dense,
/// row-major, and passed across functions as a bare pointer.
bool isContiguous(mlir::Value v);

/// Whether `v` can cross the function boundary: a contiguous memref, or an
/// index, integer or float scalar.
bool canCapture(mlir::Value v);

/// Creates the body function, fills it with `emitBody(builder, begin, end,
/// captured arguments)` and calls `name`_parallel(`tasks`, `captured`) at
/// `b`'s insertion point; returns the call.
mlir::func::CallOp outlineParallel(
    mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef name, int64_t tasks,
    mlir::ValueRange captured,
    llvm::function_ref<void(mlir::OpBuilder &, mlir::Value, mlir::Value, mlir::ValueRange)>
        emitBody);

} // namespace lepton::cpu

#endif // LEPTON_CODEGEN_CPU_PARALLELOUTLINE_H
