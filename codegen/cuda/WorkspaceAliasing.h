//===- WorkspaceAliasing.h - which memrefs may share elements --*- C++ -*-===//
//
// Upstream's alias analysis sees every intermediate as a view of the one
// workspace and so never proves two of them apart. This oracle knows the
// workspace plan: views of one buffer at constant, non-overlapping byte
// ranges are disjoint, and so are distinct function arguments (the runtime
// gives each input and output its own device buffer).
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_CODEGEN_CUDA_WORKSPACEALIASING_H
#define LEPTON_CODEGEN_CUDA_WORKSPACEALIASING_H

#include "mlir/IR/Value.h"

namespace lepton::cuda {

/// Whether memrefs `a` and `b` may share an element.
bool mayAlias(mlir::Value a, mlir::Value b);

} // namespace lepton::cuda

#endif // LEPTON_CODEGEN_CUDA_WORKSPACEALIASING_H
