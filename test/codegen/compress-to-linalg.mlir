// RUN: lepton-opt %s --split-input-file --lepton-convert-nn-to-linalg | FileCheck %s
// The integer semantics of docs/quantization.md on the storage integers.

// Requantize: widen by the input's signedness and subtract its zero point
// (in i32: an int32 accumulator's is 0), take the high 32 bits of the
// product with M (an i32 table: one 32 x 32 -> 64-bit multiply), add
// 2^(n-33), shift right arithmetically by n - 32 (exactly rescale's
// (v * M + 2^(n-1)) >> n, for n >= 33), add the output zero point, clamp
// (the fused ReLU's lower bound) and truncate, all in i32. Per-channel
// parameters are constants broadcast along the channel axis.
// CHECK-LABEL: func.func @requantize
// CHECK-SAME: (%[[ACC:.*]]: tensor<1x2x3xi32>) -> tensor<1x2x3xi8>
// CHECK: arith.constant dense<[1374389535, 2061584302]> : tensor<2xi32>
// CHECK: arith.constant dense<[8, 4]> : tensor<2xi32>
// CHECK: arith.constant dense<[4, 3]> : tensor<2xi32>
// CHECK: linalg.generic
// CHECK: ^bb0(%[[V:.*]]: i32, %[[M:.*]]: i32, %[[ROUND:.*]]: i32, %[[N:.*]]: i32, %{{.*}}: i8):
// CHECK:   %[[W:.*]] = arith.extsi %{{.*}} : i32 to i64
// CHECK:   %[[M64:.*]] = arith.extsi %[[M]] : i32 to i64
// CHECK:   %[[P:.*]] = arith.muli %[[W]], %[[M64]] : i64
// CHECK:   %[[HIGH64:.*]] = arith.shrsi %[[P]], %c32_i64 : i64
// CHECK:   %[[HIGH:.*]] = arith.trunci %[[HIGH64]] : i64 to i32
// CHECK:   %[[SUM:.*]] = arith.addi %[[HIGH]], %[[ROUND]] : i32
// CHECK:   %[[R:.*]] = arith.shrsi %[[SUM]], %[[N]] : i32
// CHECK:   arith.addi %[[R]], %{{.*}} : i32
// CHECK:   arith.maxsi
// CHECK:   arith.minsi
// CHECK:   arith.trunci %{{.*}} : i32 to i8
func.func @requantize(%acc: tensor<1x2x3x!quant.uniform<i32:f32:1, {0.01, 0.03}>>) -> tensor<1x2x3x!quant.uniform<i8:f32, 0.5:-3>> {
  %0 = compress.requantize %acc {multipliers = array<i32: 1374389535, 2061584302>, shifts = array<i32: 36, 35>, clamp_min = -3 : i64} : tensor<1x2x3x!quant.uniform<i32:f32:1, {0.01, 0.03}>> -> tensor<1x2x3x!quant.uniform<i8:f32, 0.5:-3>>
  return %0 : tensor<1x2x3x!quant.uniform<i8:f32, 0.5:-3>>
}

// -----

// Quantize in float (divide, round half to even, add the zero point,
// saturate; a power-of-two scale multiplies by its inverse instead, the
// same rounding); the raw uint8 input of a conv is zero-extended before its zero
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
  %q = compress.quantize %x : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.3:128>>
  %wq = "quant.scast"(%w) : (tensor<3x2x3x3xi8>) -> tensor<3x2x3x3x!quant.uniform<i8:f32, 0.25>>
  %acc = compress.conv %q, %wq {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x2x4x4x!quant.uniform<u8:f32, 0.3:128>>, tensor<3x2x3x3x!quant.uniform<i8:f32, 0.25>> -> tensor<1x3x2x2x!quant.uniform<i32:f32, 0.075>>
  %raw = "quant.scast"(%acc) : (tensor<1x3x2x2x!quant.uniform<i32:f32, 0.075>>) -> tensor<1x3x2x2xi32>
  return %raw : tensor<1x3x2x2xi32>
}

// -----

// Between fixed-point types (power-of-two scales, multiplier 2^30): the
// quantize multiplies by 2^10 and the requantize is rescalePowerOfTwo,
// ((v >> 1) + 2^(n-32)) >> (n-31), with no product.
// CHECK-LABEL: func.func @fixed_point
// CHECK: arith.constant 1.024000e+03 : f32
// CHECK: arith.mulf
// CHECK-NOT: arith.divf
// CHECK: math.roundeven
// CHECK: linalg.generic
// CHECK: ^bb0(%{{.*}}: i32, %{{.*}}: i16):
// CHECK-NOT: arith.muli
// CHECK:   %[[HALF:.*]] = arith.shrsi %{{.*}}, %c1_i32 : i32
// CHECK:   %[[SUM:.*]] = arith.addi %[[HALF]], %c256_i32 : i32
// CHECK:   arith.shrsi %[[SUM]], %c9_i32 : i32
// CHECK:   arith.maxsi
// CHECK:   arith.minsi
// CHECK:   arith.trunci %{{.*}} : i32 to i16
func.func @fixed_point(%x: tensor<4xf32>, %acc: tensor<4x!quant.uniform<i32:f32, 9.5367431640625E-7>>) -> (tensor<4x!quant.uniform<i16:f32, 9.765625E-4>>, tensor<4x!quant.uniform<i16:f32, 9.765625E-4>>) {
  %q = compress.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i16:f32, 9.765625E-4>>
  %y = compress.requantize %acc {multipliers = array<i32: 1073741824>, shifts = array<i32: 40>, clamp_min = 0 : i64} : tensor<4x!quant.uniform<i32:f32, 9.5367431640625E-7>> -> tensor<4x!quant.uniform<i16:f32, 9.765625E-4>>
  return %q, %y : tensor<4x!quant.uniform<i16:f32, 9.765625E-4>>, tensor<4x!quant.uniform<i16:f32, 9.765625E-4>>
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

// -----

// Constant weights: the input enters as stored bytes, zero-extended inside the
// multiply-accumulate and padded with its zero point (128, the i8 bits -128);
// its zero point times each filter's weight sum moves into the bias at
// compile time: 10 - 128 * (1 - 2 + 0 + 1) = 10, -20 - 128 * (3 + 4 - 1 + 0) = -788.
// CHECK-LABEL: func.func @conv_constant_weights
// CHECK-DAG: arith.constant dense<[10, -788]> : tensor<2xi32>
// CHECK-DAG: %[[PAD:.*]] = arith.constant -128 : i8
// CHECK: tensor.pad
// CHECK: tensor.yield %[[PAD]] : i8
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x1x2x1xi32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x2x4xi8>, tensor<1x1x4x6xi8>)
// CHECK: ^bb0(%[[W:.*]]: i8, %[[X:.*]]: i8, %[[ACC:.*]]: i32):
// CHECK:   arith.extui %[[X]] : i8 to i32
// CHECK:   arith.extsi %[[W]] : i8 to i32
// CHECK:   arith.muli
// CHECK:   arith.addi %[[ACC]]
func.func @conv_constant_weights(%x: tensor<1x2x2x2x!quant.uniform<u8:f32, 0.5:128>>) -> tensor<1x2x2x3xi32> {
  %w = arith.constant dense<[[[[1, -2]], [[0, 1]]], [[[3, 4]], [[-1, 0]]]]> : tensor<2x2x1x2xi8>
  %b = arith.constant dense<[10, -20]> : tensor<2xi32>
  %wq = "quant.scast"(%w) : (tensor<2x2x1x2xi8>) -> tensor<2x2x1x2x!quant.uniform<i8:f32:0, {0.25, 0.5}>>
  %acc = compress.conv %x, %wq, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 1, 0, 1>} : tensor<1x2x2x2x!quant.uniform<u8:f32, 0.5:128>>, tensor<2x2x1x2x!quant.uniform<i8:f32:0, {0.25, 0.5}>>, tensor<2xi32> -> tensor<1x2x2x3x!quant.uniform<i32:f32:1, {0.125, 0.25}>>
  %raw = "quant.scast"(%acc) : (tensor<1x2x2x3x!quant.uniform<i32:f32:1, {0.125, 0.25}>>) -> tensor<1x2x2x3xi32>
  return %raw : tensor<1x2x2x3xi32>
}

// -----

// uint8 weights with zero point 128 (ONNX Runtime's QLinear form): centered
// at compile time into int8 ([0, 255, 128, 130] - 128), and the int8 input's
// zero point 1 times each column's sum folded into the bias:
// 5 - (-128 + 0) = 133, 6 - (127 + 2) = -123.
// CHECK-LABEL: func.func @matmul_uint8_weights
// CHECK-DAG: arith.constant dense<{{\[\[}}-128, 127], [0, 2]]> : tensor<2x2xi8>
// CHECK-DAG: arith.constant dense<[133, -123]> : tensor<2xi32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: ^bb0(%[[A:.*]]: i8, %[[B:.*]]: i8, %{{.*}}: i32):
// CHECK:   arith.extsi %[[A]] : i8 to i32
// CHECK:   arith.extsi %[[B]] : i8 to i32
func.func @matmul_uint8_weights(%a: tensor<1x2x!quant.uniform<i8:f32, 0.25:1>>) -> tensor<1x2xi32> {
  %braw = arith.constant dense<[[0, -1], [-128, -126]]> : tensor<2x2xi8>
  %c = arith.constant dense<[5, 6]> : tensor<2xi32>
  %b = "quant.scast"(%braw) : (tensor<2x2xi8>) -> tensor<2x2x!quant.uniform<u8:f32, 0.5:128>>
  %acc = compress.matmul %a, %b, %c : tensor<1x2x!quant.uniform<i8:f32, 0.25:1>>, tensor<2x2x!quant.uniform<u8:f32, 0.5:128>>, tensor<2xi32> -> tensor<1x2x!quant.uniform<i32:f32, 0.125>>
  %raw = "quant.scast"(%acc) : (tensor<1x2x!quant.uniform<i32:f32, 0.125>>) -> tensor<1x2xi32>
  return %raw : tensor<1x2xi32>
}
