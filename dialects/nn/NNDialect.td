//===- NNDialect.td - the nn graph dialect ------------------*- tablegen -*-===//
//
// Tensor-level graph ops with ONNX semantics. Attribute names and defaults are
// the ONNX ones so the frontend can map attributes generically.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_NN_DIALECT
#define LEPTON_NN_DIALECT

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::lepton::nn";
  let summary = "Neural-network graph ops with ONNX semantics";
  // Attributes live in the attribute dictionary (not properties) so the ONNX
  // importer and result-type inference can treat every op generically.
  let usePropertiesForAttributes = 0;
  let hasConstantMaterializer = 1;
}

#endif // LEPTON_NN_DIALECT
