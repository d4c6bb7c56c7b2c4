//===- HLSDialect.h - the hls dialect -----------------------------*- C++ -*-===//
#ifndef LEPTON_DIALECTS_HLS_HLSDIALECT_H
#define LEPTON_DIALECTS_HLS_HLSDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/hls/HLSDialect.h.inc"

namespace lepton::hls {

// The directive attribute names (HLSDialect.td describes each).
inline constexpr llvm::StringLiteral kLayer = "hls.layer";
inline constexpr llvm::StringLiteral kPipeline = "hls.pipeline";
inline constexpr llvm::StringLiteral kUnroll = "hls.unroll";
inline constexpr llvm::StringLiteral kPartition = "hls.partition";
inline constexpr llvm::StringLiteral kDataflow = "hls.dataflow";
inline constexpr llvm::StringLiteral kAllocation = "hls.allocation";
inline constexpr llvm::StringLiteral kFifoDepths = "hls.fifo_depths";

} // namespace lepton::hls

#endif // LEPTON_DIALECTS_HLS_HLSDIALECT_H
