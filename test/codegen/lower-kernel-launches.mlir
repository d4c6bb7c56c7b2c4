// RUN: not lepton-opt %s --lepton-lower-kernel-launches --split-input-file 2>/dev/null | FileCheck %s
// RUN: not lepton-opt %s --lepton-lower-kernel-launches --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=MISMATCH

// Each launch becomes a call of the runtime with one 8-byte slot per kernel
// parameter: a memref's allocated and aligned pointer, offset, sizes and
// strides read from its descriptor, a float's bits, an index as i64; one
// slot buffer per function, as large as its largest launch.
// CHECK:       module attributes {gpu.container_module, lepton.cuda_kernels = ["scale", "zero"]}
// CHECK-LABEL: func @host
// CHECK:         %[[SLOTS:.*]] = memref.alloca() : memref<6xi64>
// CHECK:         %[[DESC:.*]] = builtin.unrealized_conversion_cast %{{.*}} : memref<4xf32, strided<[1], offset: 2>> to !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
// CHECK:         llvm.extractvalue %[[DESC]][0]
// CHECK:         llvm.extractvalue %[[DESC]][1]
// CHECK:         llvm.extractvalue %[[DESC]][2]
// CHECK:         llvm.extractvalue %[[DESC]][3, 0]
// CHECK:         llvm.extractvalue %[[DESC]][4, 0]
// CHECK:         %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK:         arith.extui %[[BITS]] : i32 to i64
// CHECK-COUNT-6: memref.store %{{.*}}, %[[SLOTS]]
// CHECK:         %[[PTR:.*]] = llvm.inttoptr
// CHECK:         call @lepton_cuda_launch(%c0_i32{{.*}}, %[[PTR]], %c6_i32)
// CHECK:         memref.store %{{.*}}, %[[SLOTS]]
// CHECK:         call @lepton_cuda_launch(%c1_i32{{.*}}, %c1_i32{{.*}}) : (i32, i64, i64, i64, i64, i64, i64, i32, !llvm.ptr, i32) -> ()
// CHECK-NOT:     gpu.launch_func
// CHECK:       func.func private @lepton_cuda_launch(i32, i64, i64, i64, i64, i64, i64, i32, !llvm.ptr, i32)
module attributes {gpu.container_module} {
  gpu.module @kernels {
    llvm.func @scale(%a: !llvm.ptr, %b: !llvm.ptr, %off: i64, %size: i64, %stride: i64, %s: f32) attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }
    llvm.func @zero(%n: i64) attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }
  }
  func.func @host(%x: memref<8xf32>, %s: f32) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %v = memref.subview %x[2][4][1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 2>>
    gpu.launch_func @kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%v : memref<4xf32, strided<[1], offset: 2>>, %s : f32)
    gpu.launch_func @kernels::@zero blocks in (%c4, %c1, %c1) threads in (%c1, %c1, %c1) args(%c4 : index)
    return
  }
}

// -----

// MISMATCH: error: kernel operands expand to 1 parameters, the kernel has 2
module attributes {gpu.container_module} {
  gpu.module @kernels {
    llvm.func @two(%n: i64, %m: i64) attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }
  }
  func.func @host() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@two blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%c1 : index)
    return
  }
}
