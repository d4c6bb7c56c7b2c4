// RUN: lepton-opt %s --lepton-prepare-entry-abi | FileCheck %s

// Inputs become read-only; a result that is an input, a constant or a repeat
// of another result gets its own copy.
// CHECK-LABEL: func @aliases
// CHECK-SAME: %arg0: tensor<2xf32> {bufferization.writable = false}
func.func @aliases(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  %s = arith.addf %x, %c : tensor<2xf32>
  // CHECK: %[[SUM:.*]] = arith.addf
  // CHECK: %[[X:.*]] = linalg.copy ins(%arg0
  // CHECK: %[[C:.*]] = linalg.copy ins(%cst
  // CHECK: %[[S2:.*]] = linalg.copy ins(%[[SUM]]
  // CHECK: return %[[X]], %[[C]], %[[SUM]], %[[S2]]
  return %x, %c, %s, %s : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}
