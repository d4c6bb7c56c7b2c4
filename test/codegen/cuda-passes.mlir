// RUN: lepton-opt %s --lepton-merge-gpu-modules | FileCheck %s --check-prefix=MERGE
// RUN: lepton-opt %s --pass-pipeline='builtin.module(gpu.module(lepton-math-to-libdevice))' | FileCheck %s --check-prefix=LIBDEVICE

// Outlining leaves one gpu.module per kernel, each kernel named like the
// function; merged, every kernel takes its module's name and the launches
// follow.
// MERGE:     gpu.module @f_kernel {
// MERGE:       gpu.func @f_kernel(
// MERGE:       gpu.func @f_kernel_0(
// MERGE-NOT: gpu.module
// MERGE:     gpu.launch_func @f_kernel::@f_kernel blocks
// MERGE:     gpu.launch_func @f_kernel::@f_kernel_0 blocks

// libdevice calls for what the NVVM lowering leaves alone, one declaration
// per function; math ops it maps itself stay.
// LIBDEVICE:     llvm.func @__nv_asinf(f32) -> f32
// LIBDEVICE:     llvm.call @__nv_asinf(%{{.*}}) : (f32) -> f32
// LIBDEVICE:     llvm.call @__nv_asinf(%{{.*}}) : (f32) -> f32
// LIBDEVICE:     math.exp
// LIBDEVICE:     llvm.func @__nv_cosh(f64) -> f64
// LIBDEVICE:     llvm.call @__nv_cosh(%{{.*}}) : (f64) -> f64
// LIBDEVICE-NOT: math.asin
// LIBDEVICE-NOT: math.cosh
module attributes {gpu.container_module} {
  gpu.module @f_kernel {
    gpu.func @f_kernel(%x: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %x[%c0] : memref<4xf32>
      %a = math.asin %v : f32
      %b = math.asin %a : f32
      %e = math.exp %b : f32
      memref.store %e, %x[%c0] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%x: memref<4xf64>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %x[%c0] : memref<4xf64>
      %c = math.cosh %v : f64
      memref.store %c, %x[%c0] : memref<4xf64>
      gpu.return
    }
  }
  func.func @f(%x: memref<4xf32>, %y: memref<4xf64>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%y : memref<4xf64>)
    return
  }
}
