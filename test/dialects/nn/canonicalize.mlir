// RUN: lepton-opt %s --canonicalize --split-input-file | FileCheck %s

// Folders remove ops that are the identity.
// CHECK-LABEL: func @identities
func.func @identities(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK-NOT: nn.
  // CHECK: return %arg0
  %none = nn.none
  %0 = nn.identity %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1, %mask = nn.dropout %0, %none, %none : (tensor<2x3xf32>, none, none) -> (tensor<2x3xf32>, tensor<2x3xi1>)
  %2 = nn.transpose %1 {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %shape = nn.constant dense<[2, 3]> : tensor<2xi64>
  %3 = nn.reshape %2, %shape : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}

// -----

// A real transpose stays.
// CHECK-LABEL: func @transpose
func.func @transpose(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // CHECK: nn.transpose
  %0 = nn.transpose %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Shape and Size of static tensors fold to constants.
// CHECK-LABEL: func @shape_size
func.func @shape_size(%x: tensor<2x3x4xf32>) -> (tensor<2xi64>, tensor<i64>) {
  // CHECK-DAG: nn.constant dense<[3, 4]> : tensor<2xi64>
  // CHECK-DAG: nn.constant dense<24> : tensor<i64>
  // CHECK-NOT: nn.shape
  %0 = nn.shape %x {start = -2 : i64} : (tensor<2x3x4xf32>) -> tensor<2xi64>
  %1 = nn.size %x : (tensor<2x3x4xf32>) -> tensor<i64>
  return %0, %1 : tensor<2xi64>, tensor<i64>
}

// -----

// Shape subgraphs collapse: Shape -> Gather folds to a constant.
// CHECK-LABEL: func @shape_gather
func.func @shape_gather(%x: tensor<2x3x4xf32>) -> tensor<1xi64> {
  // CHECK: nn.constant dense<4> : tensor<1xi64>
  // CHECK-NOT: nn.gather
  %s = nn.shape %x : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %i = nn.constant dense<[-1]> : tensor<1xi64>
  %0 = nn.gather %s, %i : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %0 : tensor<1xi64>
}

// -----

// An exported LayerNormalization's shape subgraph (Shape, Slice, Neg,
// ConstantOfShape, Concat) and Unsqueeze/Cast/arithmetic on shape vectors
// all fold to constants.
// CHECK-LABEL: func @shape_subgraph
func.func @shape_subgraph(%x: tensor<2x3x4xf32>) -> (tensor<3xi64>, tensor<2xf32>, tensor<2xi64>) {
  // CHECK-DAG: nn.constant dense<[2, 3, 1]> : tensor<3xi64>
  // CHECK-DAG: nn.constant dense<[2.000000e+00, 3.000000e+00]> : tensor<2xf32>
  // CHECK-DAG: nn.constant dense<[12, 9]> : tensor<2xi64>
  // CHECK-NOT: nn.slice
  // CHECK-NOT: nn.concat
  %s = nn.shape %x : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %zero = nn.constant dense<[0]> : tensor<1xi64>
  %axis = nn.constant dense<[-1]> : tensor<1xi64>
  %none = nn.none
  %prefix = nn.slice %s, %zero, %axis, %none, %none : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<2xi64>
  %count = nn.neg %axis : (tensor<1xi64>) -> tensor<1xi64>
  %suffix = nn.constant_of_shape %count {value = dense<1> : tensor<1xi64>} : (tensor<1xi64>) -> tensor<1xi64>
  %0 = nn.concat %prefix, %suffix {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<3xi64>
  %1 = nn.cast %prefix {to = 1 : i64} : (tensor<2xi64>) -> tensor<2xf32>
  %two = nn.constant dense<2> : tensor<i64>
  %reversed = nn.slice %s, %axis, %zero, %zero, %axis : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %prod = nn.mul %reversed, %two : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %2 = nn.add %prod, %reversed : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0, %1, %2 : tensor<3xi64>, tensor<2xf32>, tensor<2xi64>
}
