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

namespace lepton::onnx {

/// Oldest and newest default-domain opsets the importer accepts.
constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 17;

/// Reads `path` (with its external data), checks it with the ONNX checker,
/// runs ONNX shape inference and builds a module holding one func.func named
/// `funcName` in the nn dialect. Returns null after emitting diagnostics;
/// every unsupported op of the model is reported in one go.
mlir::OwningOpRef<mlir::ModuleOp> importModel(mlir::MLIRContext &context,
                                              llvm::StringRef path,
                                              llvm::StringRef funcName);

} // namespace lepton::onnx

#endif // LEPTON_COMPILER_FRONTEND_ONNX_ONNXIMPORTER_H
