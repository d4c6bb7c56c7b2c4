// RUN: lepton-opt %s --pass-pipeline='builtin.module(func.func(lepton-fuse-parallel-loops))' | FileCheck %s

// Bias, products and activation of a Gemm in the workspace: views of one
// buffer at disjoint byte ranges do not alias, so the three loop nests over
// the output's elements become one. A loop that reads an element another
// thread wrote (a transpose) stays apart.
// CHECK-LABEL: func @gemm
// CHECK:         scf.parallel
// CHECK:           memref.load %[[BIAS:.*]][
// CHECK:           scf.for
// CHECK:           arith.maximumf
// CHECK-NOT:     scf.parallel
// CHECK:         return
func.func @gemm(%x: memref<1x4xf32>, %ws: memref<4096xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c256 = arith.constant 256 : index
  %c512 = arith.constant 512 : index
  %zero = arith.constant 0.0 : f32
  %y = memref.view %ws[%c0][] : memref<4096xi8> to memref<1x8xf32>
  %w = memref.view %ws[%c256][] : memref<4096xi8> to memref<4x8xf32>
  %b = memref.view %ws[%c512][] : memref<4096xi8> to memref<8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c1, %c8) step (%c1, %c1) {
    %v = memref.load %b[%j] : memref<8xf32>
    memref.store %v, %y[%i, %j] : memref<1x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c1, %c8) step (%c1, %c1) {
    scf.for %k = %c0 to %c4 step %c1 {
      %a = memref.load %x[%i, %k] : memref<1x4xf32>
      %bb = memref.load %w[%k, %j] : memref<4x8xf32>
      %acc = memref.load %y[%i, %j] : memref<1x8xf32>
      %p = arith.mulf %a, %bb : f32
      %s = arith.addf %acc, %p : f32
      memref.store %s, %y[%i, %j] : memref<1x8xf32>
    }
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c1, %c8) step (%c1, %c1) {
    %v = memref.load %y[%i, %j] : memref<1x8xf32>
    %r = arith.maximumf %v, %zero : f32
    memref.store %r, %y[%i, %j] : memref<1x8xf32>
    scf.reduce
  }
  return
}

// CHECK-LABEL: func @transpose
// CHECK-COUNT-2: scf.parallel
func.func @transpose(%ws: memref<4096xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %a = memref.view %ws[%c0][] : memref<4096xi8> to memref<4x4xf32>
  %t = memref.view %ws[%c64][] : memref<4096xi8> to memref<4x4xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    memref.store %zero, %a[%i, %j] : memref<4x4xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %v = memref.load %a[%j, %i] : memref<4x4xf32>
    memref.store %v, %t[%i, %j] : memref<4x4xf32>
    scf.reduce
  }
  return
}
