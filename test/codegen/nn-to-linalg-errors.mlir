// RUN: lepton-opt %s --lepton-convert-nn-to-linalg --verify-diagnostics --split-input-file

// Every op the lowering cannot handle is reported, not just the first.
func.func @two_problems(%x: tensor<?x3xf32>, %y: tensor<2x3xi32>) -> (tensor<?x3xf32>, tensor<2x3xi32>) {
  // expected-error @+1 {{unsupported nn.relu: dynamic shapes are not supported yet}}
  %0 = nn.relu %x : (tensor<?x3xf32>) -> tensor<?x3xf32>
  // expected-error @+1 {{unsupported nn.sigmoid: integer input}}
  %1 = nn.sigmoid %y : (tensor<2x3xi32>) -> tensor<2x3xi32>
  return %0, %1 : tensor<?x3xf32>, tensor<2x3xi32>
}

// -----

func.func @pad_reflect_too_far(%x: tensor<3xf32>) -> tensor<9xf32> {
  %p = nn.constant dense<[3, 3]> : tensor<2xi64>
  %none = nn.none
  // expected-error @+1 {{unsupported nn.pad: reflect pads as large as the dim}}
  %0 = nn.pad %x, %p, %none {mode = "reflect"} : (tensor<3xf32>, tensor<2xi64>, none) -> tensor<9xf32>
  return %0 : tensor<9xf32>
}
