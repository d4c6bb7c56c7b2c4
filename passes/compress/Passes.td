//===- Passes.td - compression passes ----------------------*- tablegen -*-===//
#ifndef LEPTON_PASSES_COMPRESS_PASSES
#define LEPTON_PASSES_COMPRESS_PASSES

include "mlir/Pass/PassBase.td"

def ConvertOnnxQuantization : Pass<"lepton-convert-onnx-quantization", "mlir::func::FuncOp"> {
  let summary = "Imported quantized ONNX ops and QDQ patterns to compress ops";
  let description = [{
    QLinearConv and QLinearMatMul, and the QDQ form quantization tools write
    (DequantizeLinear of the activation and of a constant weight into Conv,
    MatMul or Gemm, an optional Relu, then QuantizeLinear; and Add between
    DequantizeLinear and QuantizeLinear), become compress ops on upstream
    quant types when their scales and zero points are constants, so an
    imported int8 model runs the same integer code as one Lepton quantized.
    The result then follows the requantization rule of
    docs/quantization.md (fixed-point multiplier, round half up) instead of
    ONNX's float rescale (round half to even): outputs may differ from ONNX
    Runtime's by one step where the scaled value lies within a rounding
    error of a tie. Ops with run-time scales keep ONNX's float semantics.
  }];
  let dependentDialects = ["::lepton::compress::CompressDialect",
                           "::mlir::quant::QuantizationDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FoldBatchNorm : Pass<"lepton-fold-batch-norm", "mlir::func::FuncOp"> {
  let summary = "Inference batch normalization folded into the convolution before it";
  let description = [{
    Conv(X, W, B) followed by an inference-mode BatchNormalization with
    constant parameters, the Conv's only user, becomes one Conv with
    W'[m] = W[m] * g[m] and B'[m] = (B[m] - mean[m]) * g[m] + beta[m], where
    g = scale / sqrt(var + epsilon), computed in double and rounded to f32
    once (f32 weights only). Run before quantization, so the folded weights
    are what gets quantized per channel.
  }];
}

def EqualizeCrossLayer : Pass<"lepton-equalize-cross-layer", "mlir::func::FuncOp"> {
  let summary = "Cross-layer equalization of the weight ranges of consecutive layers";
  let description = [{
    For two layers with constant f32 weights (Conv with group 1 or depthwise,
    Gemm, MatMul) where the first feeds only the second, directly or through
    a chain of Relu, MaxPool and Clip-from-0 ops that each feed only the
    next (positively homogeneous, per channel), output channel c of the first
    is divided by s_c = sqrt(r1_c / r2_c) and input channel c of the second
    multiplied by it (r: the channel's largest |weight|), sweeping over all
    pairs until the scales settle (Nagel et al. 2019). The function is
    unchanged: a Clip(0, u) becomes Clip(0) followed by a Min with the
    per-channel bounds u / s_c, which lepton-quantize-int8 turns into
    per-channel clamps of the requantization. Run after batch-norm folding,
    before calibration.
  }];
}

def QuantizeInt8 : Pass<"lepton-quantize-int8", "mlir::func::FuncOp"> {
  let summary = "Float convolutions, matrix products and adds to int8 compress ops";
  let description = [{
    Reads the activation ranges calibration left as `compress.range`
    attributes (array<f64: lo, hi>) on the ops defining them (function
    arguments: argument attributes). Each Conv, MatMul and Gemm with a
    constant float weight whose input and output (after a Relu) have ranges,
    and each Add whose inputs and output do, becomes a compress op: uint8
    activations quantized asymmetrically per tensor over their range, int8
    weights symmetric per output channel (scale max|w| / 127, values in
    [-127, 127]), an int32 bias in the accumulator's scale, requantization
    (the Relu as a clamp) and a dequantize for float consumers. A quantized
    value is reused by every consumer, so chains stay in integers; MaxPool
    and the ops that only move elements (Flatten, Reshape, Transpose,
    Squeeze, Unsqueeze, Slice, Split) of a quantized value run on its
    integers (exact); a Concat joins integers of one shared type (its
    calibrated range, which the producers feeding only it write directly;
    other inputs are requantized to it); and
    AveragePool (unpadded, or counting its padding) and GlobalAveragePool
    become products with all-one weights, requantized to the pool's range
    (else back to their input's type); Sigmoid and Tanh become lookups in a
    256-entry table of their quantized outputs.
    A model output that a product writes (nothing else reading it) is
    dequantized from its int32 accumulator. A candidate marked
    `compress.precision = "int16"` reads int16 activations (symmetric,
    bounded so that its int32 accumulator cannot overflow; an Add's at full
    range), which their producers then write; int8 layers reading the same
    values get them requantized to uint8.
    Ops without ranges, or whose scales cannot be encoded, stay float.
    A function marked `compress.fixed_point = array<i64: W, I>` has every
    activation and weight in ap_fixed<W, I> instead (signed W-bit storage,
    zero point 0, scale 2^(I-W), per tensor); a layer whose int32
    accumulator could overflow for some input is an error.
  }];
  let dependentDialects = ["::lepton::compress::CompressDialect",
                           "::mlir::quant::QuantizationDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // LEPTON_PASSES_COMPRESS_PASSES
