// RUN: lepton-opt %s --split-input-file --lepton-hls-directives="io=parallel reuse-factor=2" | FileCheck %s --check-prefix=PARALLEL
// RUN: lepton-opt %s --split-input-file --lepton-hls-directives="io=stream reuse-factor=4" | FileCheck %s --check-prefix=STREAM

// A matrix-vector product (8 outputs, 16 products each) as
// convert-linalg-to-affine-loops writes it: the j loop is the reduction (no
// store index uses it).
memref.global "private" constant @w : memref<16x8xi8> = dense<1>
func.func @gemv(%x: memref<16xi8>, %y: memref<8xi32>) {
  %w = memref.get_global @w : memref<16x8xi8>
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 16 {
      %a = affine.load %x[%j] : memref<16xi8>
      %b = affine.load %w[%j, %i] : memref<16x8xi8>
      %c = affine.load %y[%i] : memref<8xi32>
      %a32 = arith.extsi %a : i8 to i32
      %b32 = arith.extsi %b : i8 to i32
      %p = arith.muli %a32, %b32 : i32
      %s = arith.addi %c, %p : i32
      affine.store %s, %y[%i] : memref<8xi32>
    } loc("inner")
  } loc("fc1")
  return
}

// Parallel: one pipeline at II = reuse factor, every loop unrolled, every
// array in registers, 128 products on 64 multipliers.
// PARALLEL:       memref.global "private" constant @w {{.*}} {hls.partition = "complete"}
// PARALLEL-LABEL: func.func @gemv
// PARALLEL-SAME:    {hls.partition = "complete"}
// PARALLEL-SAME:    {hls.partition = "complete"}
// PARALLEL-SAME:    attributes {hls.pipeline = 2 : i64}
// PARALLEL:         affine.for
// PARALLEL:           affine.for
// PARALLEL:           } {hls.unroll}
// PARALLEL:         } {hls.allocation = 64 : i64, hls.layer = "fc1", hls.unroll}

// Stream: ceil(16 / 4) = 4 products per output in parallel: the reduction
// loop is pipelined and unrolled by 4. The arrays it reads get a bank per
// address the 4 copies span: 4 of x, 3 * 8 + 1 of w (a column); y's element
// is the same for all.
// STREAM:       memref.global "private" constant @w {{.*}} {hls.partition = 25 : i64}
// STREAM-LABEL: func.func @gemv
// STREAM-SAME:    %{{.*}}: memref<16xi8> {hls.partition = 4 : i64}, %{{.*}}: memref<8xi32>) attributes {hls.dataflow}
// STREAM:         affine.for
// STREAM:           affine.for
// STREAM:           } {hls.pipeline = 1 : i64, hls.unroll = 4 : i64}
// STREAM:         } {hls.allocation = 4 : i64, hls.layer = "fc1"}

// -----

// Stream: the FIFOs between layers. The Relu reads the Gemm's sums, the Add
// reads the Relu's output first and then the Gemm's sums again, so that
// second FIFO holds the whole buffer (8) and the others 2.
func.func @fifos(%x: memref<8xi32>, %y: memref<8xi32>) {
  %acc = memref.alloc() : memref<8xi32>
  %relu = memref.alloc() : memref<8xi32>
  %c0 = arith.constant 0 : i32
  affine.for %i = 0 to 8 {
    %a = affine.load %x[%i] : memref<8xi32>
    affine.store %a, %acc[%i] : memref<8xi32>
  } loc("gemm")
  affine.for %i = 0 to 8 {
    %a = affine.load %acc[%i] : memref<8xi32>
    %r = arith.maxsi %a, %c0 : i32
    affine.store %r, %relu[%i] : memref<8xi32>
  } loc("relu")
  affine.for %i = 0 to 8 {
    %r = affine.load %relu[%i] : memref<8xi32>
    %a = affine.load %acc[%i] : memref<8xi32>
    %s = arith.addi %r, %a : i32
    affine.store %s, %y[%i] : memref<8xi32>
  } loc("add")
  return
}
// PARALLEL-LABEL: func.func @fifos
// PARALLEL-NOT:   hls.fifo_depths
// STREAM-LABEL: func.func @fifos
// STREAM:         memref.alloc() {hls.fifo_depths = array<i64: 2, 8>}
// STREAM-NEXT:    memref.alloc() {hls.fifo_depths = array<i64: 2>}
