// RUN: lepton-opt %s | lepton-opt | FileCheck %s
// Every op prints and parses back; the multipliers are the encodings of the
// scale ratios (0.0005/0.1 = 1374389535 * 2^-38 ...).

!x = !quant.uniform<u8:f32, 5.000000e-02:128>
!w = !quant.uniform<i8:f32:0, {1.000000e-02, 2.000000e-02, 3.000000e-02}>
!acc = !quant.uniform<i32:f32:1, {5.000000e-04, 1.000000e-03, 1.500000e-03}>
!y = !quant.uniform<i8:f32, 1.000000e-01:-5>

// CHECK-LABEL: func.func @conv_chain
// CHECK: compress.quantize %{{.*}} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!quant.uniform<u8:f32, 5.000000e-02:128>>
// CHECK: compress.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
// CHECK: compress.requantize %{{.*}} {clamp_min = -5 : i64, multipliers = array<i32: 1374389535, 1374389535, 2061584302>, shifts = array<i32: 38, 37, 37>}
// CHECK: compress.dequantize %{{.*}} : tensor<1x3x2x2x!quant.uniform<i8:f32, 1.000000e-01:-5>> -> tensor<1x3x2x2xf32>
func.func @conv_chain(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x3x3xi8>, %b: tensor<3xi32>) -> tensor<1x3x2x2xf32> {
  %q = compress.quantize %x : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!x>
  %wq = "quant.scast"(%w) : (tensor<3x2x3x3xi8>) -> tensor<3x2x3x3x!w>
  %acc = compress.conv %q, %wq, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x2x4x4x!x>, tensor<3x2x3x3x!w>, tensor<3xi32> -> tensor<1x3x2x2x!acc>
  %y = compress.requantize %acc {multipliers = array<i32: 1374389535, 1374389535, 2061584302>, shifts = array<i32: 38, 37, 37>, clamp_min = -5 : i64} : tensor<1x3x2x2x!acc> -> tensor<1x3x2x2x!y>
  %f = compress.dequantize %y : tensor<1x3x2x2x!y> -> tensor<1x3x2x2xf32>
  return %f : tensor<1x3x2x2xf32>
}

// CHECK-LABEL: func.func @matmul_add
// CHECK: compress.matmul %{{.*}}, %{{.*}} : tensor<4x3x!quant.uniform<i8:f32, 2.500000e-01:1>>, tensor<3x2x!quant.uniform<i8:f32:1, {5.000000e-01,1.250000e-01}>> -> tensor<4x2x!quant.uniform<i32:f32:1, {1.250000e-01,3.125000e-02}>>
// CHECK: compress.add %{{.*}}, %{{.*}} {multipliers = array<i32: 1073741824, 1073741824, 1073741824>, shifts = array<i32: 31, 31, 49>}
func.func @matmul_add(%a: tensor<4x3x!quant.uniform<i8:f32, 0.25:1>>, %b: tensor<3x2x!quant.uniform<i8:f32:1, {0.5, 0.125}>>, %c: tensor<4x2x!quant.uniform<i8:f32, 0.5>>) -> tensor<4x2x!quant.uniform<i8:f32, 0.5>> {
  %acc = compress.matmul %a, %b : tensor<4x3x!quant.uniform<i8:f32, 0.25:1>>, tensor<3x2x!quant.uniform<i8:f32:1, {0.5, 0.125}>> -> tensor<4x2x!quant.uniform<i32:f32:1, {0.125, 0.03125}>>
  %r = compress.requantize %acc {multipliers = array<i32: 1073741824, 1073741824>, shifts = array<i32: 32, 34>} : tensor<4x2x!quant.uniform<i32:f32:1, {0.125, 0.03125}>> -> tensor<4x2x!quant.uniform<i8:f32, 0.5>>
  %s = compress.add %r, %c {multipliers = array<i32: 1073741824, 1073741824, 1073741824>, shifts = array<i32: 31, 31, 49>} : tensor<4x2x!quant.uniform<i8:f32, 0.5>>, tensor<4x2x!quant.uniform<i8:f32, 0.5>> -> tensor<4x2x!quant.uniform<i8:f32, 0.5>>
  return %s : tensor<4x2x!quant.uniform<i8:f32, 0.5>>
}

// RUN: lepton-opt %s --canonicalize | FileCheck %s --check-prefix=FOLD
// Quantizing a dequantized value with the same type gives the integers back.
// FOLD-LABEL: func.func @round_trip
// FOLD-NEXT: return %arg0
func.func @round_trip(%q: tensor<4x!quant.uniform<u8:f32, 0.1:3>>) -> tensor<4x!quant.uniform<u8:f32, 0.1:3>> {
  %f = compress.dequantize %q : tensor<4x!quant.uniform<u8:f32, 0.1:3>> -> tensor<4xf32>
  %r = compress.quantize %f : tensor<4xf32> -> tensor<4x!quant.uniform<u8:f32, 0.1:3>>
  return %r : tensor<4x!quant.uniform<u8:f32, 0.1:3>>
}

// A pruned weight's sparsity: rows along dim 1 of a (features x rows)
// matrix; each row's 6 weights hold at most 2 nonzeros in each group of 4
// and 1 in the last 2.
// CHECK-LABEL: func.func @sparse_weights
// CHECK: nn.constant {compress.sparsity = #compress.sparsity<2 of 4, rows = 1>}
func.func @sparse_weights() -> tensor<6x2xf32> {
  %w = nn.constant {compress.sparsity = #compress.sparsity<2 of 4, rows = 1>} dense<[[1.0, 0.0], [0.0, 2.0], [3.0, 0.0], [0.0, 4.0], [5.0, 0.0], [0.0, 6.0]]> : tensor<6x2xf32>
  return %w : tensor<6x2xf32>
}
