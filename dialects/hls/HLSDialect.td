//===- HLSDialect.td - the hls dialect ----------------------*- tablegen -*-===//
//
// HLS directives as attributes on the affine loop nests and buffers the HLS
// target emits (codegen/hls): what `lepton-hls-directives` chooses and the
// C++ emitter prints as `#pragma HLS` lines. Keeping them in the IR makes the
// choice reviewable (`leptonc --emit=hls-ir`) and testable with lit.
//
//   hls.layer     = "NODE"   on a top-level affine.for: the ONNX node it computes
//   hls.pipeline  = II       on affine.for or func.func: pipeline at this II
//   hls.unroll [= F]         on affine.for: unroll completely, or by the factor F
//   hls.partition = "complete" | F   on memref.alloc, memref.global and entry
//                            arguments: split into registers, or cyclically
//                            into F banks
//   hls.dataflow             on func.func: its layers are dataflow processes
//   hls.fifo_depths = [D...] on a memref.alloc or a function argument: the
//                            depth of each FIFO that carries a version of the
//                            buffer from one process to another, in order
//   hls.allocation = N       on a top-level affine.for: at most N multipliers
//
//===----------------------------------------------------------------------===//
#ifndef LEPTON_HLS_DIALECT
#define LEPTON_HLS_DIALECT

include "mlir/IR/OpBase.td"

def HLS_Dialect : Dialect {
  let name = "hls";
  let cppNamespace = "::lepton::hls";
  let summary = "HLS directives (pipeline, unroll, partition, dataflow) as attributes";
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
}

#endif // LEPTON_HLS_DIALECT
