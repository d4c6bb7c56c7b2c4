// RUN: lepton-opt %s --split-input-file --lepton-fold-batch-norm --canonicalize | FileCheck %s

// g = scale / sqrt(var + eps) = [2 / 2, 1 / 2]: W' = W * g, B' = (0 - mean) * g + B.
// CHECK-LABEL: func.func @conv_bn
// CHECK-DAG: %[[W:.*]] = nn.constant dense<1.000000e+00> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = nn.constant dense<[-5.000000e-01, 0.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = nn.conv %arg0, %[[W]], %[[B]]
// CHECK-NOT: nn.batch_normalization
// CHECK: return %[[Y]]
func.func @conv_bn(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = nn.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %none = nn.none
  %scale = nn.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %beta = nn.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = nn.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %var = nn.constant dense<[3.0, 3.0]> : tensor<2xf32>
  %c = nn.conv %x, %w, %none : (tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %y = nn.batch_normalization %c, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// A conv whose result is used elsewhere too keeps its batch norm.
// CHECK-LABEL: func.func @shared_conv
// CHECK: nn.batch_normalization
func.func @shared_conv(%x: tensor<1x1x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %w = nn.constant dense<1.0> : tensor<2x1x1x1xf32>
  %none = nn.none
  %p = nn.constant dense<1.0> : tensor<2xf32>
  %c = nn.conv %x, %w, %none : (tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %y = nn.batch_normalization %c, %p, %p, %p, %p : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %y, %c : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}
