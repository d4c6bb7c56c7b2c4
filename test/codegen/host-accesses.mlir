// RUN: lepton-opt %s --lepton-lower-host-accesses | FileCheck %s

// A value the host needs (here a bound of a host loop) is copied from the
// device into a host staging slot; a host write goes the other way; host
// allocas are host memory and stay as they are.
// CHECK-LABEL: func @host
// CHECK-DAG:     %[[IN:.*]] = memref.alloca() : memref<1xi32>
// CHECK-DAG:     %[[OUT:.*]] = memref.alloca() : memref<1xf32>
// CHECK-DAG:     %[[SLOTS:.*]] = memref.alloca() : memref<2xi64>
// CHECK:         %[[DESC:.*]] = builtin.unrealized_conversion_cast %arg0 : memref<4x8xi32, strided<[16, 1], offset: 3>> to !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK:         llvm.extractvalue %[[DESC]][2]
// CHECK:         llvm.extractvalue %[[DESC]][4, 0]
// CHECK:         llvm.extractvalue %[[DESC]][4, 1]
// CHECK:         %[[ADDR:.*]] = llvm.getelementptr %{{.*}}[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK:         call @lepton_cuda_read(%{{.*}}, %[[ADDR]], %c4_i64)
// CHECK:         %[[N:.*]] = memref.load %[[IN]][%{{.*}}] : memref<1xi32>
// CHECK:         arith.index_cast %[[N]]
// CHECK:         memref.store %{{.*}}, %[[OUT]][%{{.*}}] : memref<1xf32>
// CHECK:         call @lepton_cuda_write(%{{.*}}, %{{.*}}, %c4_i64{{.*}})
// CHECK:         memref.store %{{.*}}, %[[SLOTS]]
// CHECK-NOT:     memref.load %arg
// CHECK-DAG:   func.func private @lepton_cuda_read(!llvm.ptr, !llvm.ptr, i64)
// CHECK-DAG:   func.func private @lepton_cuda_write(!llvm.ptr, !llvm.ptr, i64)
func.func @host(%x: memref<4x8xi32, strided<[16, 1], offset: 3>>, %y: memref<f32>) {
  %slots = memref.alloca() : memref<2xi64>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %n = memref.load %x[%c1, %c2] : memref<4x8xi32, strided<[16, 1], offset: 3>>
  %bound = arith.index_cast %n : i32 to index
  %one = arith.constant 1.0 : f32
  memref.store %one, %y[] : memref<f32>
  scf.for %i = %c0 to %bound step %c1 {
    %v = arith.index_cast %i : index to i64
    memref.store %v, %slots[%c0] : memref<2xi64>
  }
  return
}
