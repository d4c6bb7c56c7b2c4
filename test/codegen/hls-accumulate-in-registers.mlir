// RUN: lepton-opt %s --lepton-hls-accumulate-in-registers | FileCheck %s
// Reductions carried in loop variables: the output element is loaded once
// before its reduction loops and stored once after them; the loops keep
// their directives.

// CHECK-LABEL: func.func @matvec
// CHECK: affine.for %[[I:.*]] = 0 to 4 {
// CHECK-NEXT:   %[[INIT:.*]] = affine.load %{{.*}}[%[[I]]] : memref<4xf32>
// CHECK-NEXT:   %[[SUM:.*]] = affine.for %{{.*}} = 0 to 8 iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32) {
// CHECK-NOT:      affine.load %{{.*}}[%[[I]]] : memref<4xf32>
// CHECK:          %[[NEXT:.*]] = arith.addf %[[ACC]], %{{.*}} : f32
// CHECK-NEXT:     affine.yield %[[NEXT]] : f32
// CHECK-NEXT:   } {hls.pipeline = 1 : i64}
// CHECK-NEXT:   affine.store %[[SUM]], %{{.*}}[%[[I]]] : memref<4xf32>
func.func @matvec(%a: memref<4x8xf32>, %x: memref<8xf32>, %y: memref<4xf32>) {
  affine.for %i = 0 to 4 {
    affine.for %k = 0 to 8 {
      %0 = affine.load %a[%i, %k] : memref<4x8xf32>
      %1 = affine.load %x[%k] : memref<8xf32>
      %2 = affine.load %y[%i] : memref<4xf32>
      %3 = arith.mulf %0, %1 : f32
      %4 = arith.addf %2, %3 : f32
      affine.store %4, %y[%i] : memref<4xf32>
    } {hls.pipeline = 1 : i64}
  }
  return
}

// A window of two reduction loops: the value moves out loop by loop.
// CHECK-LABEL: func.func @window
// CHECK: affine.for %[[O:.*]] = 0 to 6 {
// CHECK-NEXT:   %[[INIT:.*]] = affine.load %{{.*}}[%[[O]]] : memref<6xi32>
// CHECK-NEXT:   %[[OUTER:.*]] = affine.for %{{.*}} = 0 to 3 iter_args(%[[A:.*]] = %[[INIT]]) -> (i32) {
// CHECK-NEXT:     %[[INNER:.*]] = affine.for %{{.*}} = 0 to 3 iter_args(%[[B:.*]] = %[[A]]) -> (i32) {
// CHECK:            arith.addi %[[B]], %{{.*}} : i32
// CHECK:          } {hls.unroll}
// CHECK-NEXT:     affine.yield %[[INNER]] : i32
// CHECK:        affine.store %[[OUTER]], %{{.*}}[%[[O]]] : memref<6xi32>
func.func @window(%x: memref<8x3xi32>, %w: memref<3x3xi32>, %y: memref<6xi32>) {
  affine.for %o = 0 to 6 {
    affine.for %r = 0 to 3 {
      affine.for %c = 0 to 3 {
        %0 = affine.load %x[%o + %r, %c] : memref<8x3xi32>
        %1 = affine.load %w[%r, %c] : memref<3x3xi32>
        %2 = affine.load %y[%o] : memref<6xi32>
        %3 = arith.muli %0, %1 : i32
        %4 = arith.addi %2, %3 : i32
        affine.store %4, %y[%o] : memref<6xi32>
      } {hls.unroll}
    }
  }
  return
}

// Another access to the buffer inside the loop: left as it is.
// CHECK-LABEL: func.func @aliased
// CHECK-NOT: iter_args
func.func @aliased(%x: memref<8xf32>, %y: memref<4xf32>) {
  affine.for %i = 0 to 4 {
    affine.for %k = 0 to 4 {
      %0 = affine.load %x[%k] : memref<8xf32>
      %1 = affine.load %y[%i] : memref<4xf32>
      %2 = arith.addf %1, %0 : f32
      affine.store %2, %y[%i] : memref<4xf32>
      %3 = affine.load %y[%k] : memref<4xf32>
      affine.store %3, %x[%k] : memref<8xf32>
    }
  }
  return
}
