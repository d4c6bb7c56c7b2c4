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
