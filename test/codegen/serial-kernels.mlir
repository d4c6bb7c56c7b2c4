// RUN: lepton-opt %s --pass-pipeline='builtin.module(func.func(lepton-serial-kernels))' | FileCheck %s

// A loop nest left on the host becomes a launch of one block of one thread;
// a host loop that launches kernels itself, and ops without memory access,
// stay on the host.
// CHECK-LABEL: func @f
// CHECK:         arith.constant 8 : index
// CHECK-NEXT:    arith.constant 1 : index
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[ONE:[a-z0-9_]+]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]]) threads({{.*}}) in ({{.*}} = %[[ONE]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]])
// CHECK-NEXT:      scf.for
// CHECK-NEXT:        memref.load
// CHECK:           gpu.terminator
// CHECK:         scf.for
// CHECK-NEXT:      gpu.launch
// CHECK:         return
func.func @f(%x: memref<8xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %x[%i] : memref<8xf32>
    memref.store %v, %y[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c8, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      %v = memref.load %x[%bx] : memref<8xf32>
      memref.store %v, %y[%bx] : memref<8xf32>
      gpu.terminator
    }
  }
  return
}
