//===- CompressOps.td - compress dialect operations --------*- tablegen -*-===//
#ifndef LEPTON_COMPRESS_OPS
#define LEPTON_COMPRESS_OPS

include "dialects/compress/CompressDialect.td"
include "mlir/Dialect/Quant/QuantOpsBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Compress_QuantizedTensor : RankedTensorOf<[quant_QuantizedType]>;
def Compress_FloatTensor : RankedTensorOf<[AnyFloat]>;

class Compress_Op<string mnemonic, list<Trait> traits = []>
    : Op<Compress_Dialect, mnemonic, !listconcat(traits, [Pure])> {
  let hasVerifier = 1;
}

def Compress_QuantizeOp : Compress_Op<"quantize"> {
  let summary = "Float to quantized: saturate(round_half_even(x / scale) + zero_point)";
  let description = [{
    Computed in the input's float type, as ONNX QuantizeLinear does. The
    result type's scale and zero point are per tensor or per axis. Folds
    quantize(dequantize(q)) to q when the types agree: (q - z) * s / s
    rounds back to q - z exactly for 8- and 16-bit integers.
  }];
  let arguments = (ins Compress_FloatTensor:$input);
  let results = (outs Compress_QuantizedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

def Compress_DequantizeOp : Compress_Op<"dequantize"> {
  let summary = "Quantized to float: (q - zero_point) * scale";
  let arguments = (ins Compress_QuantizedTensor:$input);
  let results = (outs Compress_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def Compress_RequantizeOp : Compress_Op<"requantize"> {
  let summary = "Rescale to a per-tensor 8/16-bit type by fixed-point multipliers";
  let description = [{
    y = clamp(zp_out + rescale(q - zp_in, multipliers[c], shifts[c]), lo, hi)
    where rescale(v, M, n) = floor((v * M + 2^(n-1)) / 2^n) in exact 64-bit
    arithmetic (round half up), c is the index along the input's quantized
    axis (one multiplier for a per-tensor input), and M * 2^-n encodes
    scale_in[c] / scale_out with M in [2^30, 2^31). [lo, hi] is the output's
    storage range, narrowed by `clamp_min` / `clamp_max` (a fused ReLU or
    Clip) and, for a per-axis input, by `channel_clamp_max[c]` (a Clip whose
    upper bound cross-layer equalization made per channel). The verifier
    checks that the multipliers are the encoding of the types' scales, so the
    IR states the integer computation exactly.
  }];
  let arguments = (ins Compress_QuantizedTensor:$input, DenseI32ArrayAttr:$multipliers,
                       DenseI32ArrayAttr:$shifts, OptionalAttr<I64Attr>:$clamp_min,
                       OptionalAttr<I64Attr>:$clamp_max,
                       OptionalAttr<DenseI64ArrayAttr>:$channel_clamp_max);
  let results = (outs Compress_QuantizedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let extraClassDeclaration = [{
    /// Builds a requantize of `input` to `type` with the multipliers its
    /// scales need; returns null when they cannot be encoded.
    static RequantizeOp create(::mlir::OpBuilder &b, ::mlir::Location loc,
                               ::mlir::Value input, ::mlir::RankedTensorType type,
                               std::optional<int64_t> clampMin = std::nullopt,
                               std::optional<int64_t> clampMax = std::nullopt,
                               ::llvm::ArrayRef<int64_t> channelClampMax = {});
  }];
}

def Compress_AddOp : Compress_Op<"add"> {
  let summary = "Quantized elementwise add (numpy broadcasting) of 8- or 16-bit tensors";
  let description = [{
    Both inputs are shifted left by L bits (L = 20 for 8-bit inputs, 14 when
    one has 16 bits) and rescaled to a common scale, 2 * max(scale_lhs,
    scale_rhs) / 2^L, then added, and the sum is rescaled to the output (the
    three `multipliers` / `shifts`, in that order, encode scale_lhs / (2 max),
    scale_rhs / (2 max) and 2 max / (2^L scale_out)):
    y = clamp(zp_out + rescale(rescale((l - zp_l) << L, M0, n0)
                               + rescale((r - zp_r) << L, M1, n1), M2, n2)).
  }];
  let arguments = (ins Compress_QuantizedTensor:$lhs, Compress_QuantizedTensor:$rhs,
                       DenseI32ArrayAttr:$multipliers, DenseI32ArrayAttr:$shifts,
                       OptionalAttr<I64Attr>:$clamp_min, OptionalAttr<I64Attr>:$clamp_max);
  let results = (outs Compress_QuantizedTensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($output)";
  let extraClassDeclaration = [{
    /// Builds the add with the multipliers its scales need; returns null
    /// when they cannot be encoded.
    static AddOp create(::mlir::OpBuilder &b, ::mlir::Location loc, ::mlir::Value lhs,
                        ::mlir::Value rhs, ::mlir::RankedTensorType type,
                        std::optional<int64_t> clampMin = std::nullopt,
                        std::optional<int64_t> clampMax = std::nullopt);
  }];
}

def Compress_ConvOp : Compress_Op<"conv"> {
  let summary = "Quantized N-d convolution into an int32 accumulator";
  let description = [{
    acc[n, m, o...] = bias[m] + sum (x - zp_x) * (w[m] - zp_w[m]) over the
    group's channels and the window, in int32. The input is quantized per
    tensor, the weight per tensor or per output channel (axis 0); the result
    is i32 with scale scale_x * scale_w[m] (per axis 1 when the weight is per
    channel) and zero point 0; `bias` is int32 in that scale. Pads are
    explicit (begin values, then end values).
  }];
  let arguments = (ins Compress_QuantizedTensor:$input, Compress_QuantizedTensor:$weight,
                       Optional<RankedTensorOf<[I32]>>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads, DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs Compress_QuantizedTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($bias)^)? `->` type($output)
  }];
  let extraClassDeclaration = [{
    // The nn lowering's convolution builder reads ONNX-style accessors.
    ::llvm::StringRef getAutoPad() { return "NOTSET"; }
  }];
}

def Compress_MatMulOp : Compress_Op<"matmul"> {
  let summary = "Quantized (batched) matrix product into an int32 accumulator";
  let description = [{
    acc[..., i, j] = bias[j] + sum_k (a[..., i, k] - zp_a) * (b[..., k, j] - zp_b[j])
    in int32, with numpy matmul batching. `a` is quantized per tensor, `b`
    per tensor or per column (its last axis); the result is i32 with scale
    scale_a * scale_b[j] (per its last axis when `b` is per column) and zero
    point 0; `bias` is int32 in that scale (Gemm's C).
  }];
  let arguments = (ins Compress_QuantizedTensor:$a, Compress_QuantizedTensor:$b,
                       Optional<RankedTensorOf<[I32]>>:$bias);
  let results = (outs Compress_QuantizedTensor:$output);
  let assemblyFormat = [{
    $a `,` $b (`,` $bias^)? attr-dict `:` type($a) `,` type($b) (`,` type($bias)^)? `->`
    type($output)
  }];
}

#endif // LEPTON_COMPRESS_OPS
