// RUN: lepton-opt %s --split-input-file --lepton-convert-nn-to-linalg | FileCheck %s
// The integer semantics of docs/quantization.md on the storage integers.

// Requantize: widen by the input's signedness, subtract its zero point,
// multiply by M, add 2^(n-1), shift right arithmetically by n, add the output
// zero point, clamp (the fused ReLU's lower bound) and truncate. Per-channel
// multipliers and shifts are constants broadcast along the channel axis.
// CHECK-LABEL: func.func @requantize
// CHECK-SAME: (%[[ACC:.*]]: tensor<1x2x3xi32>) -> tensor<1x2x3xi8>
// CHECK: arith.constant dense<[1374389535, 2061584302]> : tensor<2xi64>
// CHECK: arith.constant dense<[34359738368, 17179869184]> : tensor<2xi64>
// CHECK: arith.constant dense<[36, 35]> : tensor<2xi64>
// CHECK: linalg.generic
// CHECK: ^bb0(%[[V:.*]]: i32, %[[M:.*]]: i64, %[[HALF:.*]]: i64, %[[N:.*]]: i64, %{{.*}}: i8):
// CHECK:   %[[W:.*]] = arith.extsi %[[V]] : i32 to i64
// CHECK:   %[[P:.*]] = arith.muli %{{.*}}, %[[M]] : i64
// CHECK:   %[[SUM:.*]] = arith.addi %[[P]], %[[HALF]] : i64
// CHECK:   %[[R:.*]] = arith.shrsi %[[SUM]], %[[N]] : i64
// CHECK:   arith.addi %[[R]], %{{.*}} : i64
// CHECK:   arith.maxsi
// CHECK:   arith.minsi
// CHECK:   arith.trunci %{{.*}} : i64 to i8
func.func @requantize(%acc: tensor<1x2x3x!quant.uniform<i32:f32:1, {0.01, 0.03}>>) -> tensor<1x2x3x!quant.uniform<i8:f32, 0.5:-3>> {
  %0 = compress.requantize %acc {multipliers = array<i32: 1374389535, 2061584302>, shifts = array<i32: 36, 35>, clamp_min = -3 : i64} : tensor<1x2x3x!quant.uniform<i32:f32:1, {0.01, 0.03}>> -> tensor<1x2x3x!quant.uniform<i8:f32, 0.5:-3>>
  return %0 : tensor<1x2x3x!quant.uniform<i8:f32, 0.5:-3>>
}

// -----

// Quantize in float (divide, round half to even, add the zero point,
// saturate); the raw uint8 input of a conv is zero-extended before its zero
// point is subtracted.
// CHECK-LABEL: func.func @quantize_conv
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.fptoui %{{.*}} : f32 to i8
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.subi
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK:   arith.muli %{{.*}}, %{{.*}} : i32
// CHECK:   arith.addi %{{.*}}, %{{.*}} : i32
func.func @quantize_conv(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x3x3xi8>) -> tensor<1x3x2x2xi32> {
  %q = compress.quantize %x : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.5:128>>
  %wq = "quant.scast"(%w) : (tensor<3x2x3x3xi8>) -> tensor<3x2x3x3x!quant.uniform<i8:f32, 0.25>>
  %acc = compress.conv %q, %wq {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x2x4x4x!quant.uniform<u8:f32, 0.5:128>>, tensor<3x2x3x3x!quant.uniform<i8:f32, 0.25>> -> tensor<1x3x2x2x!quant.uniform<i32:f32, 0.125>>
  %raw = "quant.scast"(%acc) : (tensor<1x3x2x2x!quant.uniform<i32:f32, 0.125>>) -> tensor<1x3x2x2xi32>
  return %raw : tensor<1x3x2x2xi32>
}

// -----

// Add: both inputs shifted left by 20 and rescaled, summed, rescaled to the
// output.
// CHECK-LABEL: func.func @add
// CHECK: linalg.generic
// CHECK-COUNT-2: arith.shli %{{.*}}, %c20_i64{{.*}} : i64
// CHECK: arith.trunci %{{.*}} : i64 to i8
func.func @add(%a: tensor<4x!quant.uniform<i8:f32, 0.5>>, %b: tensor<4x!quant.uniform<i8:f32, 0.5>>) -> tensor<4x!quant.uniform<i8:f32, 0.5>> {
  %0 = compress.add %a, %b {multipliers = array<i32: 1073741824, 1073741824, 1073741824>, shifts = array<i32: 31, 31, 49>} : tensor<4x!quant.uniform<i8:f32, 0.5>>, tensor<4x!quant.uniform<i8:f32, 0.5>> -> tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 0.5>>
}

// -----

// Dequantize: (q - zp) * scale in float; matmul adds the int32 bias per column.
// CHECK-LABEL: func.func @matmul_dequantize
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.addi
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: arith.mulf
func.func @matmul_dequantize(%a: tensor<4x3x!quant.uniform<i8:f32, 0.25:1>>, %b: tensor<3x2x!quant.uniform<i8:f32, 0.5>>, %c: tensor<2xi32>) -> tensor<4x2xf32> {
  %acc = compress.matmul %a, %b, %c : tensor<4x3x!quant.uniform<i8:f32, 0.25:1>>, tensor<3x2x!quant.uniform<i8:f32, 0.5>>, tensor<2xi32> -> tensor<4x2x!quant.uniform<i32:f32, 0.125>>
  %f = compress.dequantize %acc : tensor<4x2x!quant.uniform<i32:f32, 0.125>> -> tensor<4x2xf32>
  return %f : tensor<4x2xf32>
}
