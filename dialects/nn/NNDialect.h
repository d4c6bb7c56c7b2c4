//===- NNDialect.h - the nn graph dialect -------------------------*- C++ -*-===//
#ifndef LEPTON_DIALECTS_NN_NNDIALECT_H
#define LEPTON_DIALECTS_NN_NNDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/nn/NNDialect.h.inc"
#include "dialects/nn/NNShapes.h"

#define GET_OP_CLASSES
#include "dialects/nn/NNOps.h.inc"

namespace lepton::nn {
/// The ONNX node names in `loc`, joined by " + " (fused ops carry several);
/// "(no node)" when there is none.
std::string nodeNames(mlir::Location loc);
} // namespace lepton::nn

#endif // LEPTON_DIALECTS_NN_NNDIALECT_H
