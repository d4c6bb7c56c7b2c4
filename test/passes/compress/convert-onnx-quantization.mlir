// RUN: lepton-opt %s --split-input-file --lepton-compress-pipeline | FileCheck %s

// QLinearConv with constant parameters: the raw uint8 input is bitcast to
// signless and cast to its quant type, the int8 weights per output channel;
// the int32 accumulator is requantized to the output's scale and zero point.
// CHECK-LABEL: func.func @qlinear_conv
// CHECK: %[[X:.*]] = tensor.bitcast %arg0 : tensor<1x2x4x4xui8> to tensor<1x2x4x4xi8>
// CHECK: %[[XQ:.*]] = "quant.scast"(%[[X]]) : (tensor<1x2x4x4xi8>) -> tensor<1x2x4x4x!quant.uniform<u8:f32, 5.000000e-01:128>>
// CHECK: %[[WQ:.*]] = "quant.scast"(%{{.*}}) : (tensor<2x2x3x3xi8>) -> tensor<2x2x3x3x!quant.uniform<i8:f32:0, {2.500000e-01,1.250000e-01}>>
// CHECK: %[[ACC:.*]] = compress.conv %[[XQ]], %[[WQ]] {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} {{.*}} -> tensor<1x2x4x4x!quant.uniform<i32:f32:1, {1.250000e-01,6.250000e-02}>>
// CHECK: %[[Y:.*]] = compress.requantize %[[ACC]] {multipliers = array<i32: 1073741824, 1073741824>, shifts = array<i32: 31, 32>}
// CHECK: %[[RAW:.*]] = "quant.scast"(%[[Y]]) {{.*}} -> tensor<1x2x4x4xi8>
// CHECK: %[[OUT:.*]] = tensor.bitcast %[[RAW]] : tensor<1x2x4x4xi8> to tensor<1x2x4x4xui8>
// CHECK: return %[[OUT]]
func.func @qlinear_conv(%x: tensor<1x2x4x4xui8>) -> tensor<1x2x4x4xui8> {
  %xs = nn.constant dense<0.5> : tensor<f32>
  %xz = nn.constant dense<128> : tensor<ui8>
  %w = nn.constant dense<1> : tensor<2x2x3x3xi8>
  %ws = nn.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %wz = nn.constant dense<0> : tensor<2xi8>
  %ys = nn.constant dense<0.25> : tensor<f32>
  %yz = nn.constant dense<100> : tensor<ui8>
  %none = nn.none
  %y = nn.qlinear_conv %x, %xs, %xz, %w, %ws, %wz, %ys, %yz, %none {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xui8>, tensor<f32>, tensor<ui8>, tensor<2x2x3x3xi8>, tensor<2xf32>, tensor<2xi8>, tensor<f32>, tensor<ui8>, none) -> tensor<1x2x4x4xui8>
  return %y : tensor<1x2x4x4xui8>
}

// -----

// Scales known only at run time keep ONNX's float semantics.
// CHECK-LABEL: func.func @runtime_scale
// CHECK-NOT: compress.
// CHECK: nn.qlinear_mat_mul
func.func @runtime_scale(%a: tensor<2x3xui8>, %as: tensor<f32>) -> tensor<2x4xui8> {
  %az = nn.constant dense<128> : tensor<ui8>
  %b = nn.constant dense<1> : tensor<3x4xi8>
  %bs = nn.constant dense<0.5> : tensor<f32>
  %bz = nn.constant dense<0> : tensor<i8>
  %ys = nn.constant dense<0.25> : tensor<f32>
  %yz = nn.constant dense<100> : tensor<ui8>
  %y = nn.qlinear_mat_mul %a, %as, %az, %b, %bs, %bz, %ys, %yz : (tensor<2x3xui8>, tensor<f32>, tensor<ui8>, tensor<3x4xi8>, tensor<f32>, tensor<i8>, tensor<f32>, tensor<ui8>) -> tensor<2x4xui8>
  return %y : tensor<2x4xui8>
}

// -----

// The QDQ form: DequantizeLinear of the activation and of a constant weight
// into Conv with a float bias, Relu, QuantizeLinear. The bias is rounded to
// int32 in the accumulator's scale (0.3 / 0.125 = 2.4 -> 2); Relu becomes a
// clamp at the output's zero point.
// CHECK-LABEL: func.func @qdq_conv_relu
// CHECK: %[[B:.*]] = nn.constant dense<[2, -4]> : tensor<2xi32>
// CHECK: compress.conv %{{.*}}, %{{.*}}, %[[B]]
// CHECK: compress.requantize %{{.*}} {clamp_min = 10 : i64
// CHECK-NOT: nn.conv
// CHECK-NOT: nn.relu
func.func @qdq_conv_relu(%x: tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xi8> {
  %xs = nn.constant dense<0.5> : tensor<f32>
  %xz = nn.constant dense<0> : tensor<i8>
  %w = nn.constant dense<1> : tensor<2x2x3x3xi8>
  %ws = nn.constant dense<0.25> : tensor<f32>
  %b = nn.constant dense<[0.3, -0.5]> : tensor<2xf32>
  %ys = nn.constant dense<0.25> : tensor<f32>
  %yz = nn.constant dense<10> : tensor<i8>
  %xf = nn.dequantize_linear %x, %xs, %xz : (tensor<1x2x4x4xi8>, tensor<f32>, tensor<i8>) -> tensor<1x2x4x4xf32>
  %none = nn.none
  %wf = nn.dequantize_linear %w, %ws, %none : (tensor<2x2x3x3xi8>, tensor<f32>, none) -> tensor<2x2x3x3xf32>
  %c = nn.conv %xf, %wf, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %r = nn.relu %c : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = nn.quantize_linear %r, %ys, %yz : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<i8>) -> tensor<1x2x4x4xi8>
  return %y : tensor<1x2x4x4xi8>
}

// -----

// A float value used twice keeps its float op; only QuantizeLinear of a
// single-use product is rewritten.
// CHECK-LABEL: func.func @qdq_shared_product
// CHECK-NOT: compress.
// CHECK: nn.mat_mul
func.func @qdq_shared_product(%a: tensor<2x3xi8>) -> (tensor<2x4xi8>, tensor<2x4xf32>) {
  %s = nn.constant dense<0.5> : tensor<f32>
  %z = nn.constant dense<0> : tensor<i8>
  %b = nn.constant dense<1> : tensor<3x4xi8>
  %af = nn.dequantize_linear %a, %s, %z : (tensor<2x3xi8>, tensor<f32>, tensor<i8>) -> tensor<2x3xf32>
  %bf = nn.dequantize_linear %b, %s, %z : (tensor<3x4xi8>, tensor<f32>, tensor<i8>) -> tensor<3x4xf32>
  %p = nn.mat_mul %af, %bf : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %y = nn.quantize_linear %p, %s, %z : (tensor<2x4xf32>, tensor<f32>, tensor<i8>) -> tensor<2x4xi8>
  return %y, %p : tensor<2x4xi8>, tensor<2x4xf32>
}
