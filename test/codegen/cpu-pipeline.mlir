// RUN: lepton-opt %s --lepton-linalg-pipeline --lepton-cpu-pipeline | FileCheck %s

// The whole CPU lowering: caller-owned outputs as trailing pointer arguments,
// then the workspace; no allocation and no runtime-library calls remain.
// CHECK-LABEL: llvm.func @model
// CHECK-SAME: (%{{.*}}: !llvm.ptr {lepton.name = "x"}, %{{.*}}: !llvm.ptr {lepton.name = "y"}, %{{.*}}: !llvm.ptr {lepton.workspace})
// CHECK-SAME: lepton.workspace_bytes
// CHECK-NOT: malloc
// CHECK-NOT: memrefCopy
func.func @model(%x: tensor<1x2x5x5xf32> {lepton.name = "x"}) -> (tensor<1x2x2x2xf32> {lepton.name = "y"}) {
  %p = nn.max_pool %x {kernel_shape = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x2x5x5xf32>) -> tensor<1x2x3x3xf32>
  %r = nn.relu %p : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %q = nn.average_pool %r {kernel_shape = array<i64: 2, 2>} : (tensor<1x2x3x3xf32>) -> tensor<1x2x2x2xf32>
  return %q : tensor<1x2x2x2xf32>
}
