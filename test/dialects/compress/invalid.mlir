// RUN: lepton-opt %s --split-input-file --verify-diagnostics

func.func @quantize_shape(%x: tensor<2x3xf32>) -> tensor<3x2x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{input and result shapes differ}}
  %0 = compress.quantize %x : tensor<2x3xf32> -> tensor<3x2x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<3x2x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @quantize_axis(%x: tensor<2x3xf32>) -> tensor<2x3x!quant.uniform<i8:f32:1, {0.5, 0.25}>> {
  // expected-error @+1 {{result is quantized along axis 1 with 2 scales, which does not fit its shape}}
  %0 = compress.quantize %x : tensor<2x3xf32> -> tensor<2x3x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
  return %0 : tensor<2x3x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
}

// -----

func.func @dequantize_expressed(%x: tensor<4x!quant.uniform<i8:f32, 0.5>>) -> tensor<4xf16> {
  // expected-error @+1 {{result element type must be 'f32'}}
  %0 = compress.dequantize %x : tensor<4x!quant.uniform<i8:f32, 0.5>> -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @requantize_multiplier(%x: tensor<4x!quant.uniform<i32:f32, 0.01>>) -> tensor<4x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{multiplier 0 (1073741824, shift 31) does not encode the scale ratio 2.000000e-02 (expected 1374389535, shift 36)}}
  %0 = compress.requantize %x {multipliers = array<i32: 1073741824>, shifts = array<i32: 31>} : tensor<4x!quant.uniform<i32:f32, 0.01>> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @requantize_count(%x: tensor<2x2x!quant.uniform<i32:f32:1, {0.01, 0.02}>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{needs 2 multipliers and shifts, has 1 and 1}}
  %0 = compress.requantize %x {multipliers = array<i32: 1374389535>, shifts = array<i32: 36>} : tensor<2x2x!quant.uniform<i32:f32:1, {0.01, 0.02}>> -> tensor<2x2x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<2x2x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @requantize_clamp(%x: tensor<4x!quant.uniform<i32:f32, 0.01>>) -> tensor<4x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{clamp [-128, 300] is not a range inside the output's storage range [-128, 127]}}
  %0 = compress.requantize %x {multipliers = array<i32: 1374389535>, shifts = array<i32: 36>, clamp_max = 300 : i64} : tensor<4x!quant.uniform<i32:f32, 0.01>> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @requantize_channel_clamp_count(%x: tensor<2x2x!quant.uniform<i32:f32:1, {0.01, 0.02}>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{channel_clamp_max needs one bound per index of the input's quantized axis}}
  %0 = compress.requantize %x {multipliers = array<i32: 1374389535, 1374389535>, shifts = array<i32: 36, 35>, channel_clamp_max = array<i64: 5>} : tensor<2x2x!quant.uniform<i32:f32:1, {0.01, 0.02}>> -> tensor<2x2x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<2x2x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @requantize_channel_clamp_range(%x: tensor<2x2x!quant.uniform<i32:f32:1, {0.01, 0.02}>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{clamp [-5, -9] is not a range inside the output's storage range [-128, 127]}}
  %0 = compress.requantize %x {multipliers = array<i32: 1374389535, 1374389535>, shifts = array<i32: 36, 35>, clamp_min = -5 : i64, channel_clamp_max = array<i64: 5, -9>} : tensor<2x2x!quant.uniform<i32:f32:1, {0.01, 0.02}>> -> tensor<2x2x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<2x2x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @requantize_ratio(%x: tensor<4x!quant.uniform<i32:f32, 1.0e-12>>) -> tensor<4x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{scale ratio 2.000000e-12 is outside the fixed-point range [2^-32, 2^30)}}
  %0 = compress.requantize %x {multipliers = array<i32: 1>, shifts = array<i32: 1>} : tensor<4x!quant.uniform<i32:f32, 1.0e-12>> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @add_wide(%a: tensor<4x!quant.uniform<i32:f32, 0.5>>, %b: tensor<4x!quant.uniform<i8:f32, 0.5>>) -> tensor<4x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{inputs must be 16-bit or narrower}}
  %0 = compress.add %a, %b {multipliers = array<i32: 1073741824, 1073741824, 1073741824>, shifts = array<i32: 31, 31, 49>} : tensor<4x!quant.uniform<i32:f32, 0.5>>, tensor<4x!quant.uniform<i8:f32, 0.5>> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @add_shape(%a: tensor<4x!quant.uniform<i8:f32, 0.5>>, %b: tensor<3x!quant.uniform<i8:f32, 0.5>>) -> tensor<4x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{result shape is not the broadcast of the input shapes}}
  %0 = compress.add %a, %b {multipliers = array<i32: 1073741824, 1073741824, 1073741824>, shifts = array<i32: 31, 31, 49>} : tensor<4x!quant.uniform<i8:f32, 0.5>>, tensor<3x!quant.uniform<i8:f32, 0.5>> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @conv_accumulator(%x: tensor<1x2x4x4x!quant.uniform<u8:f32, 0.5:128>>, %w: tensor<3x2x3x3x!quant.uniform<i8:f32, 0.25>>) -> tensor<1x3x2x2x!quant.uniform<i32:f32, 0.5>> {
  // expected-error @+1 {{result element type must be the int32 accumulator '!quant.uniform<i32:f32, 1.250000e-01>'}}
  %0 = compress.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x2x4x4x!quant.uniform<u8:f32, 0.5:128>>, tensor<3x2x3x3x!quant.uniform<i8:f32, 0.25>> -> tensor<1x3x2x2x!quant.uniform<i32:f32, 0.5>>
  return %0 : tensor<1x3x2x2x!quant.uniform<i32:f32, 0.5>>
}

// -----

func.func @conv_shape(%x: tensor<1x2x4x4x!quant.uniform<u8:f32, 0.5:128>>, %w: tensor<3x2x3x3x!quant.uniform<i8:f32, 0.25>>) -> tensor<1x3x4x4x!quant.uniform<i32:f32, 0.125>> {
  // expected-error @+1 {{result shape must be 'tensor<1x3x2x2xf32>'}}
  %0 = compress.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x2x4x4x!quant.uniform<u8:f32, 0.5:128>>, tensor<3x2x3x3x!quant.uniform<i8:f32, 0.25>> -> tensor<1x3x4x4x!quant.uniform<i32:f32, 0.125>>
  return %0 : tensor<1x3x4x4x!quant.uniform<i32:f32, 0.125>>
}

// -----

func.func @conv_weight_axis(%x: tensor<1x2x4x4x!quant.uniform<u8:f32, 0.5:128>>, %w: tensor<3x2x3x3x!quant.uniform<i8:f32:1, {0.25, 0.5}>>) -> tensor<1x3x2x2x!quant.uniform<i32:f32, 0.125>> {
  // expected-error @+1 {{weight must be quantized per tensor or per output channel (axis 0)}}
  %0 = compress.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x2x4x4x!quant.uniform<u8:f32, 0.5:128>>, tensor<3x2x3x3x!quant.uniform<i8:f32:1, {0.25, 0.5}>> -> tensor<1x3x2x2x!quant.uniform<i32:f32, 0.125>>
  return %0 : tensor<1x3x2x2x!quant.uniform<i32:f32, 0.125>>
}

// -----

func.func @matmul_shapes(%a: tensor<4x3x!quant.uniform<i8:f32, 0.5>>, %b: tensor<4x2x!quant.uniform<i8:f32, 0.5>>) -> tensor<4x2x!quant.uniform<i32:f32, 0.25>> {
  // expected-error @+1 {{operand shapes do not multiply}}
  %0 = compress.matmul %a, %b : tensor<4x3x!quant.uniform<i8:f32, 0.5>>, tensor<4x2x!quant.uniform<i8:f32, 0.5>> -> tensor<4x2x!quant.uniform<i32:f32, 0.25>>
  return %0 : tensor<4x2x!quant.uniform<i32:f32, 0.25>>
}

// -----

func.func @matmul_bias(%a: tensor<4x3x!quant.uniform<i8:f32, 0.5>>, %b: tensor<3x2x!quant.uniform<i8:f32, 0.5>>, %c: tensor<4xi32>) -> tensor<4x2x!quant.uniform<i32:f32, 0.25>> {
  // expected-error @+1 {{bias must have one value per column}}
  %0 = compress.matmul %a, %b, %c : tensor<4x3x!quant.uniform<i8:f32, 0.5>>, tensor<3x2x!quant.uniform<i8:f32, 0.5>>, tensor<4xi32> -> tensor<4x2x!quant.uniform<i32:f32, 0.25>>
  return %0 : tensor<4x2x!quant.uniform<i32:f32, 0.25>>
}

// -----

func.func @sparsity_violated() -> tensor<2x6xf32> {
  // expected-error @+1 {{row 1 has 3 nonzeros in its 4 weights from 0, more than #compress.sparsity<2 of 4, rows = 0> allows (2)}}
  %w = nn.constant {compress.sparsity = #compress.sparsity<2 of 4, rows = 0>} dense<[[1.0, 0.0, 2.0, 0.0, 3.0, 0.0], [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]]> : tensor<2x6xf32>
  return %w : tensor<2x6xf32>
}

// -----

func.func @sparsity_partial_group() -> tensor<1x6xf32> {
  // expected-error @+1 {{row 0 has 2 nonzeros in its 2 weights from 4, more than #compress.sparsity<2 of 4, rows = 0> allows (1)}}
  %w = nn.constant {compress.sparsity = #compress.sparsity<2 of 4, rows = 0>} dense<[[1.0, 0.0, 2.0, 0.0, 3.0, 4.0]]> : tensor<1x6xf32>
  return %w : tensor<1x6xf32>
}

// -----

func.func @sparsity_not_constant(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'compress.sparsity' must be on a constant tensor}}
  %y = nn.relu %x {compress.sparsity = #compress.sparsity<2 of 4, rows = 0>} : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @sparsity_rows_dim() -> tensor<4xf32> {
  // expected-error @+1 {{sparsity rows dim 1 is not a dim of 'tensor<4xf32>'}}
  %w = nn.constant {compress.sparsity = #compress.sparsity<2 of 4, rows = 1>} dense<[1.0, 0.0, 0.0, 0.0]> : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{sparsity needs 0 <= nonzeros <= group, 1 <= group and a dimension for the rows}}
func.func private @sparsity_bad() attributes {compress.sparsity = #compress.sparsity<5 of 4, rows = 0>}
