//===- OnnxImporter.h - ONNX model -> nn dialect ------------------*- C++ -*-===//
//
// No protobuf type crosses this header and nothing here throws: errors are
// MLIR diagnostics located at the model file and the ONNX node.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_COMPILER_FRONTEND_ONNX_ONNXIMPORTER_H
#define LEPTON_COMPILER_FRONTEND_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lepton::onnx {

/// Oldest and newest default-domain opsets the importer accepts.
constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 20;
/// The newest opset libonnx 1.12 (Debian bookworm) has schemas for: newer
/// models skip its checker, and its shape inference skips the nodes it does
/// not know; Lepton's own verification of every op stands in.
constexpr int64_t kMaxCheckedOpset = 17;

/// Reads `path` (with its external data), checks it with the ONNX checker,
/// runs ONNX shape inference and builds a module holding one func.func named
/// `funcName` in the nn dialect. Returns null after emitting diagnostics;
/// every unsupported op of the model is reported in one go.
/// Input shapes pinned at compile time (`leptonc --shape`), by input name.
using InputShapes = std::map<std::string, std::vector<int64_t>>;

/// Imports the ONNX model at `path` as a func.func `funcName` of nn ops.
/// `shapes` replaces the declared shapes of the named inputs (their symbolic
/// dims, typically the batch) before ONNX shape inference runs. With `batch`,
/// every other input whose only symbolic dim is the leading one takes that
/// size and its argument is marked `lepton.batch`. `isolateLibonnx` runs
/// libonnx (checker, version converter, shape inference) in a child process,
/// where a malformed model that crashes it cannot take the caller down; only
/// the fuzzer turns it off, for speed.
mlir::OwningOpRef<mlir::ModuleOp> importModel(mlir::MLIRContext &context,
                                              llvm::StringRef path,
                                              llvm::StringRef funcName,
                                              const InputShapes &shapes = {},
                                              std::optional<int64_t> batch = {},
                                              bool isolateLibonnx = true);

} // namespace lepton::onnx

#endif // LEPTON_COMPILER_FRONTEND_ONNX_ONNXIMPORTER_H
