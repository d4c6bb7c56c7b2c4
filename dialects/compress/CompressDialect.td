//===- CompressDialect.td - the compress dialect ------------*- tablegen -*-===//
//
// Quantized (and, later, sparse) tensor ops with integer semantics fixed once
// for every backend (docs/quantization.md). Quantized tensors carry upstream
// `!quant.uniform` element types: per tensor for activations, per axis for
// weights and for the int32 accumulators they produce.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_COMPRESS_DIALECT
#define LEPTON_COMPRESS_DIALECT

include "mlir/IR/OpBase.td"

def Compress_Dialect : Dialect {
  let name = "compress";
  let cppNamespace = "::lepton::compress";
  let summary = "Quantized tensor ops with explicit integer semantics";
  let dependentDialects = ["::mlir::quant::QuantizationDialect"];
}

#endif // LEPTON_COMPRESS_DIALECT
