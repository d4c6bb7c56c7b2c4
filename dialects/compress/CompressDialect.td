//===- CompressDialect.td - the compress dialect ------------*- tablegen -*-===//
//
// Quantized tensor ops with integer semantics fixed once for every backend
// (docs/quantization.md), and the sparsity of pruned weights. Quantized
// tensors carry upstream `!quant.uniform` element types: per tensor for
// activations, per axis for weights and for the int32 accumulators they
// produce.
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_COMPRESS_DIALECT
#define LEPTON_COMPRESS_DIALECT

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/OpBase.td"

def Compress_Dialect : Dialect {
  let name = "compress";
  let cppNamespace = "::lepton::compress";
  let summary = "Quantized tensor ops with explicit integer semantics";
  let dependentDialects = ["::mlir::quant::QuantizationDialect"];
  let useDefaultAttributePrinterParser = 1;
  // `compress.sparsity` on a constant is checked against its values.
  let hasOperationAttrVerify = 1;
}

def Compress_SparsityAttr : AttrDef<Compress_Dialect, "Sparsity"> {
  let mnemonic = "sparsity";
  let summary = "At most N nonzeros in every M consecutive weights of a row";
  let description = [{
    Put by --prune on a pruned layer's weight constant as
    `compress.sparsity = #compress.sparsity<2 of 4, rows = 0>`: the constant's
    rows are indexed by dim `rows` (the output channels), each row's weights
    run over the other dims in row-major order (a convolution's C x kh x kw
    window), and every group of `group` consecutive weights of a row holds at
    most `nonzeros` nonzeros; a last partial group of L weights at most
    L - floor(L * (group - nonzeros) / group). `magnitude:0.5` is 64 of 128,
    `2:4` is 2 of 4. The verifier checks the values; the CPU backend's sparse
    kernels (codegen/cpu/SparseWeights.cpp) read the zeros from them.
  }];
  let parameters = (ins "int64_t":$nonzeros, "int64_t":$group, "int64_t":$rows);
  let assemblyFormat = "`<` $nonzeros `of` $group `,` `rows` `=` $rows `>`";
  let genVerifyDecl = 1;
}

#endif // LEPTON_COMPRESS_DIALECT
