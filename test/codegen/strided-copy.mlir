// RUN: lepton-opt %s --lepton-strided-copy-to-linalg | FileCheck %s

// CHECK-LABEL: func @copies
func.func @copies(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %c: memref<2x2xf32>) {
  // Contiguous copies stay memref.copy (they become memcpy).
  // CHECK: memref.copy %arg0, %arg1
  memref.copy %a, %b : memref<4x4xf32> to memref<4x4xf32>
  // A strided view becomes a linalg.copy (loops, no runtime call).
  // CHECK: linalg.copy ins(%{{.*}} : memref<2x2xf32, strided<[4, 1], offset: 5>>) outs(%arg2
  %v = memref.subview %a[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  memref.copy %v, %c : memref<2x2xf32, strided<[4, 1], offset: 5>> to memref<2x2xf32>
  return
}
