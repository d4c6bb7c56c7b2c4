// RUN: lepton-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lepton-equalize-cross-layer),canonicalize)' | FileCheck %s

// A 1x1 conv with output channel ranges r1 = (2, 8), a ReLU6, and a 1x1 conv
// whose input channel ranges are r2 = (2, 0.5): s = sqrt(r1 / r2) = (1, 4),
// so both layers' channel 1 get the range sqrt(8 * 0.5) = 2, the first
// bias is divided by s too, and the ReLU6 becomes Clip(0) and a Min with the
// bounds 6 / s = (6, 1.5) along the channel axis.
// CHECK-LABEL: func.func @conv_relu6_conv
// CHECK-DAG: %[[W1:.*]] = nn.constant dense<2.000000e+00> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B1:.*]] = nn.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[W2:.*]] = nn.constant dense<2.000000e+00> : tensor<1x2x1x1xf32>
// CHECK-DAG: %[[U:.*]] = nn.constant dense<{{\[\[\[\[}}6.000000e+00]], {{\[\[}}1.500000e+00]]]]> : tensor<1x2x1x1xf32>
// CHECK: %[[C1:.*]] = nn.conv %arg0, %[[W1]], %[[B1]]
// CHECK: %[[R:.*]] = nn.clip %[[C1]], %{{.*}}, %{{.*}} : (tensor<1x2x3x3xf32>, tensor<f32>, none)
// CHECK: %[[M:.*]] = nn.min %[[R]], %[[U]]
// CHECK: nn.conv %[[M]], %[[W2]]
func.func @conv_relu6_conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32> {
  %w1 = nn.constant dense<[[[[2.0]]], [[[8.0]]]]> : tensor<2x1x1x1xf32>
  %b1 = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %w2 = nn.constant dense<[[[[2.0]], [[0.5]]]]> : tensor<1x2x1x1xf32>
  %zero = nn.constant dense<0.0> : tensor<f32>
  %six = nn.constant dense<6.0> : tensor<f32>
  %none = nn.none
  %c1 = nn.conv %x, %w1, %b1 : (tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %r = nn.clip %c1, %zero, %six : (tensor<1x2x3x3xf32>, tensor<f32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %c2 = nn.conv %r, %w2, %none : (tensor<1x2x3x3xf32>, tensor<1x2x1x1xf32>, none) -> tensor<1x1x3x3xf32>
  return %c2 : tensor<1x1x3x3xf32>
}

// -----

// A Gemm (transB, output channels along the rows) and a Relu into a Gemm
// with B laid out [K, N] (input channels along the rows): r1 = (4, 1),
// r2 = (1, 4), s = (2, 0.5). A Relu needs no bounds.
// CHECK-LABEL: func.func @gemm_relu_gemm
// CHECK-DAG: nn.constant dense<{{\[\[}}2.000000e+00, -1.000000e+00], [2.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: nn.constant dense<{{\[\[}}2.000000e+00, 1.000000e+00], [2.000000e+00, -2.000000e+00]]> : tensor<2x2xf32>
// CHECK-NOT: nn.min
func.func @gemm_relu_gemm(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w1 = nn.constant dense<[[4.0, -2.0], [1.0, 0.5]]> : tensor<2x2xf32>
  %w2 = nn.constant dense<[[1.0, 0.5], [4.0, -4.0]]> : tensor<2x2xf32>
  %none = nn.none
  %g1 = nn.gemm %x, %w1, %none {transB = 1 : i64} : (tensor<1x2xf32>, tensor<2x2xf32>, none) -> tensor<1x2xf32>
  %r = nn.relu %g1 : (tensor<1x2xf32>) -> tensor<1x2xf32>
  %g2 = nn.gemm %r, %w2, %none : (tensor<1x2xf32>, tensor<2x2xf32>, none) -> tensor<1x2xf32>
  return %g2 : tensor<1x2xf32>
}

// -----

// Not pairs: the activation also feeds the output, and a Clip from -1 is
// not positively homogeneous. Nothing changes.
// CHECK-LABEL: func.func @not_pairs
// CHECK: nn.constant dense<{{\[\[}}4.000000e+00, -2.000000e+00], [1.000000e+00, 5.000000e-01]]>
// CHECK-NOT: nn.min
func.func @not_pairs(%x: tensor<1x2xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
  %w1 = nn.constant dense<[[4.0, -2.0], [1.0, 0.5]]> : tensor<2x2xf32>
  %w2 = nn.constant dense<[[1.0, 0.5], [4.0, -4.0]]> : tensor<2x2xf32>
  %lo = nn.constant dense<-1.0> : tensor<f32>
  %none = nn.none
  %g1 = nn.gemm %x, %w1, %none {transB = 1 : i64} : (tensor<1x2xf32>, tensor<2x2xf32>, none) -> tensor<1x2xf32>
  %r = nn.relu %g1 : (tensor<1x2xf32>) -> tensor<1x2xf32>
  %g2 = nn.gemm %r, %w2, %none : (tensor<1x2xf32>, tensor<2x2xf32>, none) -> tensor<1x2xf32>
  %g3 = nn.gemm %x, %w1, %none {transB = 1 : i64} : (tensor<1x2xf32>, tensor<2x2xf32>, none) -> tensor<1x2xf32>
  %c = nn.clip %g3, %lo, %none : (tensor<1x2xf32>, tensor<f32>, none) -> tensor<1x2xf32>
  %g4 = nn.gemm %c, %w2, %none : (tensor<1x2xf32>, tensor<2x2xf32>, none) -> tensor<1x2xf32>
  return %g2, %r, %g4 : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
}

// -----

// A Relu and a MaxPool between two convolutions commute with positive
// per-channel scales: r1 = (1, 4), r2 = (4, 1), s = (0.5, 2).
// CHECK-LABEL: func.func @conv_relu_pool_conv
// CHECK-DAG: nn.constant dense<2.000000e+00> : tensor<2x1x1x1xf32>
// CHECK-DAG: nn.constant dense<{{\[\[\[\[}}2.000000e+00]], {{\[\[}}-2.000000e+00]]]]> : tensor<1x2x1x1xf32>
// CHECK-NOT: nn.min
func.func @conv_relu_pool_conv(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %w1 = nn.constant dense<[[[[1.0]]], [[[4.0]]]]> : tensor<2x1x1x1xf32>
  %w2 = nn.constant dense<[[[[4.0]], [[-1.0]]]]> : tensor<1x2x1x1xf32>
  %none = nn.none
  %c1 = nn.conv %x, %w1, %none : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %r = nn.relu %c1 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = nn.max_pool %r {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %c2 = nn.conv %p, %w2, %none : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>, none) -> tensor<1x1x2x2xf32>
  return %c2 : tensor<1x1x2x2xf32>
}
