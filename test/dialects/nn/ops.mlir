// RUN: lepton-opt %s | lepton-opt | FileCheck %s
// RUN: lepton-opt %s --mlir-print-op-generic | lepton-opt | FileCheck %s

// CHECK-LABEL: func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = nn.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.sub
  %1 = nn.sub %0, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.mul
  %2 = nn.mul %1, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.div
  %3 = nn.div %2, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.relu
  %4 = nn.relu %3 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.leaky_relu %{{.*}} {alpha = 2.000000e-01 : f32}
  %5 = nn.leaky_relu %4 {alpha = 0.2 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.sigmoid
  %6 = nn.sigmoid %5 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.tanh
  %7 = nn.tanh %6 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %none = nn.none
  %lo = nn.constant dense<0.0> : tensor<f32>
  // CHECK: nn.clip
  %8 = nn.clip %7, %lo, %none : (tensor<2x3xf32>, tensor<f32>, none) -> tensor<2x3xf32>
  // CHECK: nn.softmax %{{.*}} {axis = 1 : i64, coerce_2d = true}
  %9 = nn.softmax %8 {axis = 1 : i64, coerce_2d = true} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.dropout
  %10, %mask = nn.dropout %9, %none, %none : (tensor<2x3xf32>, none, none) -> (tensor<2x3xf32>, tensor<2x3xi1>)
  return %10 : tensor<2x3xf32>
}

// CHECK-LABEL: func @conv_pool
func.func @conv_pool(%x: tensor<1x4x8x8xf32>, %w: tensor<8x2x3x3xf32>, %b: tensor<8xf32>,
                     %s: tensor<4xf32>) -> tensor<1x8x1x1xf32> {
  // CHECK: nn.batch_normalization {{.*}} {epsilon = 1.000000e-03 : f32}
  %bn = nn.batch_normalization %x, %s, %s, %s, %s {epsilon = 1.0e-3 : f32}
      : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  // CHECK: nn.conv {{.*}} -> tensor<1x8x4x4xf32>
  %c = nn.conv %bn, %w, %b {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x4x8x8xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: nn.max_pool {{.*}} -> tensor<1x8x2x2xf32>
  %m = nn.max_pool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}
      : (tensor<1x8x4x4xf32>) -> tensor<1x8x2x2xf32>
  // CHECK: nn.average_pool {{.*}} -> tensor<1x8x2x2xf32>
  %a = nn.average_pool %m {auto_pad = "SAME_UPPER", kernel_shape = array<i64: 3, 3>}
      : (tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  // CHECK: nn.global_average_pool {{.*}} -> tensor<1x8x1x1xf32>
  %g = nn.global_average_pool %a : (tensor<1x8x2x2xf32>) -> tensor<1x8x1x1xf32>
  return %g : tensor<1x8x1x1xf32>
}

// CHECK-LABEL: func @matrices
func.func @matrices(%a: tensor<4x3xf32>, %b: tensor<5x3xf32>, %c: tensor<5xf32>,
                    %x: tensor<2x1x4x3xf32>, %y: tensor<7x3x6xf32>) -> (tensor<4x5xf32>, tensor<2x7x4x6xf32>) {
  // CHECK: nn.gemm {{.*}} {transB = 1 : i64} {{.*}} -> tensor<4x5xf32>
  %g = nn.gemm %a, %b, %c {transB = 1 : i64} : (tensor<4x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<4x5xf32>
  // CHECK: nn.mat_mul {{.*}} -> tensor<2x7x4x6xf32>
  %m = nn.mat_mul %x, %y : (tensor<2x1x4x3xf32>, tensor<7x3x6xf32>) -> tensor<2x7x4x6xf32>
  return %g, %m : tensor<4x5xf32>, tensor<2x7x4x6xf32>
}

// CHECK-LABEL: func @shapes
func.func @shapes(%x: tensor<2x3x4xf32>) -> (tensor<6x4xf32>, tensor<4x6xf32>, tensor<4x2x3xf32>, tensor<2x6x4xf32>, tensor<2x5x6xf32>) {
  // CHECK: nn.flatten {{.*}} -> tensor<6x4xf32>
  %f = nn.flatten %x {axis = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %shape = nn.constant dense<[4, -1]> : tensor<2xi64>
  // CHECK: nn.reshape {{.*}} -> tensor<4x6xf32>
  %r = nn.reshape %x, %shape : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<4x6xf32>
  // CHECK: nn.transpose {{.*}} {perm = array<i64: 2, 0, 1>}
  %t = nn.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  // CHECK: nn.concat {{.*}} {axis = 1 : i64} {{.*}} -> tensor<2x6x4xf32>
  %c = nn.concat %x, %x {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  %pads = nn.constant dense<[0, 1, 1, 0, 1, 1]> : tensor<6xi64>
  %none = nn.none
  // CHECK: nn.pad {{.*}} -> tensor<2x5x6xf32>
  %p = nn.pad %x, %pads, %none : (tensor<2x3x4xf32>, tensor<6xi64>, none) -> tensor<2x5x6xf32>
  return %f, %r, %t, %c, %p : tensor<6x4xf32>, tensor<4x6xf32>, tensor<4x2x3xf32>, tensor<2x6x4xf32>, tensor<2x5x6xf32>
}


// CHECK-LABEL: func @math_and_logic
func.func @math_and_logic(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %i: tensor<3xi64>) -> (tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xf32>) {
  // CHECK: nn.erf
  %0 = nn.erf %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.selu %{{.*}} {alpha = 2.000000e+00 : f32}
  %1 = nn.selu %0 {alpha = 2.0 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.pow {{.*}} : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<2x3xf32>
  %2 = nn.pow %1, %i : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<2x3xf32>
  // CHECK: nn.less {{.*}} -> tensor<2x3xi1>
  %3 = nn.less %2, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: nn.not
  %4 = nn.not %3 : (tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: nn.where {{.*}} -> tensor<2x3xf32>
  %5 = nn.where %4, %a, %b : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: nn.mean {{.*}} -> tensor<2x3xf32>
  %6 = nn.mean %5, %b, %a : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %6, %4, %1 : tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xf32>
}

// CHECK-LABEL: func @casts_and_views
func.func @casts_and_views(%x: tensor<2x1x3xf32>, %s: tensor<3xf32>) -> (tensor<2x1x3xi64>, tensor<2x3xf32>, tensor<1x2x1x3xf32>, tensor<2x1x3xf32>) {
  // CHECK: nn.cast %{{.*}} {to = 7 : i64} : (tensor<2x1x3xf32>) -> tensor<2x1x3xi64>
  %0 = nn.cast %x {to = 7 : i64} : (tensor<2x1x3xf32>) -> tensor<2x1x3xi64>
  %none = nn.none
  // CHECK: nn.squeeze {{.*}} -> tensor<2x3xf32>
  %1 = nn.squeeze %x, %none : (tensor<2x1x3xf32>, none) -> tensor<2x3xf32>
  %axes = nn.constant dense<[0]> : tensor<1xi64>
  // CHECK: nn.unsqueeze {{.*}} -> tensor<1x2x1x3xf32>
  %2 = nn.unsqueeze %x, %axes : (tensor<2x1x3xf32>, tensor<1xi64>) -> tensor<1x2x1x3xf32>
  // CHECK: nn.layer_normalization
  %3:3 = nn.layer_normalization %x, %s, %none : (tensor<2x1x3xf32>, tensor<3xf32>, none) -> (tensor<2x1x3xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  return %0, %1, %2, %3#0 : tensor<2x1x3xi64>, tensor<2x3xf32>, tensor<1x2x1x3xf32>, tensor<2x1x3xf32>
}

// A result may be more static than inference derives (here the shape operand
// is a run-time value): the importer refines it from ONNX shape inference.
// CHECK-LABEL: func @refined_reshape
func.func @refined_reshape(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> tensor<3x2xf32> {
  // CHECK: nn.reshape {{.*}} -> tensor<3x2xf32>
  %0 = nn.reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// Multi-result ops: Split (equal parts, the last one smaller), TopK and
// Slice type inference.
// CHECK-LABEL: func @split_slice_topk
func.func @split_slice_topk(%x: tensor<7x4xf32>) -> (tensor<3x4xf32>, tensor<1x4xf32>, tensor<2x2xf32>, tensor<7x2xi64>) {
  %none = nn.none
  // CHECK: nn.split {{.*}} -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<1x4xf32>)
  %0:3 = nn.split %x, %none {num_outputs = 3 : i64} : (tensor<7x4xf32>, none) -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<1x4xf32>)
  %starts = nn.constant dense<[-1, 3]> : tensor<2xi64>
  %ends = nn.constant dense<[-100, 0]> : tensor<2xi64>
  %steps = nn.constant dense<[-4, -2]> : tensor<2xi64>
  // CHECK: nn.slice {{.*}} -> tensor<2x2xf32>
  %1 = nn.slice %x, %starts, %ends, %none, %steps : (tensor<7x4xf32>, tensor<2xi64>, tensor<2xi64>, none, tensor<2xi64>) -> tensor<2x2xf32>
  %k = nn.constant dense<2> : tensor<1xi64>
  // CHECK: nn.top_k {{.*}} -> (tensor<7x2xf32>, tensor<7x2xi64>)
  %2:2 = nn.top_k %x, %k : (tensor<7x4xf32>, tensor<1xi64>) -> (tensor<7x2xf32>, tensor<7x2xi64>)
  return %0#0, %0#2, %1, %2#1 : tensor<3x4xf32>, tensor<1x4xf32>, tensor<2x2xf32>, tensor<7x2xi64>
}
