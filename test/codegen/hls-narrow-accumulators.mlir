// RUN: lepton-opt %s --split-input-file --lepton-hls-narrow-accumulators | FileCheck %s
// Integer buffers at the width their values need: 16 sums of uint8 inputs
// times weights in [-3, 5] stay in [16 * 255 * -3, 16 * 255 * 5] =
// [-12240, 20400], 16 bits. Stores truncate, the accumulation adds in i16,
// the reader sign-extends.

memref.global "private" constant @w : memref<16x8xi8> = dense<[[-3, 5, 1, 0, 2, 4, -1, 3], [1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]]>
// CHECK-LABEL: func.func @gemv
// CHECK:         %[[ACC:.*]] = memref.alloc() : memref<8xi16>
// CHECK:         affine.store %{{.*}}, %[[ACC]][%{{.*}}] : memref<8xi16>
// CHECK:         %[[OLD:.*]] = affine.load %[[ACC]][%{{.*}}] : memref<8xi16>
// CHECK:         %[[P:.*]] = arith.muli %{{.*}}, %{{.*}} : i32
// CHECK:         %[[P16:.*]] = arith.trunci %[[P]] : i32 to i16
// CHECK:         %[[SUM:.*]] = arith.addi %[[OLD]], %[[P16]] : i16
// CHECK:         affine.store %[[SUM]], %[[ACC]][%{{.*}}] : memref<8xi16>
// CHECK:         %[[R:.*]] = affine.load %[[ACC]][%{{.*}}] : memref<8xi16>
// CHECK:         arith.extsi %[[R]] : i16 to i32
func.func @gemv(%x: memref<16xi8>, %y: memref<8xi32>) {
  %w = memref.get_global @w : memref<16x8xi8>
  %acc = memref.alloc() : memref<8xi32>
  %c0 = arith.constant 0 : i32
  affine.for %i = 0 to 8 {
    affine.store %c0, %acc[%i] : memref<8xi32>
  }
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 16 {
      %a = affine.load %x[%j] : memref<16xi8>
      %b = affine.load %w[%j, %i] : memref<16x8xi8>
      %c = affine.load %acc[%i] : memref<8xi32>
      %a32 = arith.extui %a : i8 to i32
      %b32 = arith.extsi %b : i8 to i32
      %p = arith.muli %a32, %b32 : i32
      %s = arith.addi %c, %p : i32
      affine.store %s, %acc[%i] : memref<8xi32>
    }
  }
  affine.for %i = 0 to 8 {
    %r = affine.load %acc[%i] : memref<8xi32>
    %d = arith.muli %r, %r : i32
    affine.store %d, %y[%i] : memref<8xi32>
  }
  return
}

// -----

// Values from a port are not bounded: the buffer keeps its width.
// CHECK-LABEL: func.func @unbounded
// CHECK: memref.alloc() : memref<4xi32>
func.func @unbounded(%x: memref<4xi32>, %y: memref<4xi32>) {
  %acc = memref.alloc() : memref<4xi32>
  affine.for %i = 0 to 4 {
    %a = affine.load %x[%i] : memref<4xi32>
    affine.store %a, %acc[%i] : memref<4xi32>
  }
  affine.for %i = 0 to 4 {
    %a = affine.load %acc[%i] : memref<4xi32>
    affine.store %a, %y[%i] : memref<4xi32>
  }
  return
}
