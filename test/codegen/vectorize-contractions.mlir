// RUN: lepton-opt %s --lepton-vectorize-contractions --split-input-file | FileCheck %s
// RUN: lepton-opt %s --lepton-vectorize-contractions="vector-bits=512 vector-registers=32" --split-input-file | FileCheck %s --check-prefix=AVX512
// RUN: lepton-opt %s --lepton-vectorize-contractions="threads=true parallel-min-flops=1000" --split-input-file | FileCheck %s --check-prefix=THREADS

#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>

// 256-bit vectors, 16 registers: tiles of 6 rows x 16 columns (two vectors of
// 8). 10 rows = one full row tile + a 4-row tile; 49 columns = three full
// column tiles + one masked tile of 1.
// CHECK-LABEL: func @matmul
// CHECK-SAME: (%[[A:.*]]: memref<10x7xf32>, %[[B:.*]]: memref<7x49xf32>, %[[C:.*]]: memref<10x49xf32>)
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[N0:.*]] = %c0{{.*}} to %c48 step %c16
// CHECK:   scf.for %[[M0:.*]] = %{{.*}} to %c6{{.*}} step %c6
// CHECK-COUNT-6: vector.load %[[C]]
// CHECK:     scf.for %[[K:.*]] = %{{.*}} to %c7{{.*}} step %c1{{.*}} iter_args
// CHECK:       %[[ROW:.*]] = vector.load %[[B]][%[[K]], %[[N0]]] : memref<7x49xf32>, vector<16xf32>
// CHECK:       memref.load %[[A]]
// CHECK:       vector.broadcast
// CHECK:       vector.fma {{.*}}, %[[ROW]], {{.*}} : vector<16xf32>
// CHECK-COUNT-6: vector.store {{.*}}, %[[C]]
// CHECK:   scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: %[[MASK:.*]] = vector.create_mask %c1{{.*}} : vector<16xi1>
// CHECK: vector.maskedload %[[B]]{{.*}}, %[[MASK]]
// CHECK: vector.maskedstore %[[C]]{{.*}}, %[[MASK]]
// AVX512-LABEL: func @matmul
// AVX512: vector.fma {{.*}} : vector<32xf32>
func.func @matmul(%A: memref<10x7xf32>, %B: memref<7x49xf32>, %C: memref<10x49xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<10x7xf32>, memref<7x49xf32>) outs(%C : memref<10x49xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A convolution in im2col form: batch and group dims become outer loops; B
// (the windows) is the first input here, A (the filters) the second.
// CHECK-LABEL: func @grouped
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.fma
func.func @grouped(%cols: memref<1x2x18x9xf32>, %w: memref<2x3x18xf32>, %y: memref<1x2x3x9xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, g, m, k, p) -> (n, g, k, p)>,
                                   affine_map<(n, g, m, k, p) -> (g, m, k)>,
                                   affine_map<(n, g, m, k, p) -> (n, g, m, p)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%cols, %w : memref<1x2x18x9xf32>, memref<2x3x18xf32>) outs(%y : memref<1x2x3x9xf32>) {
  ^bb0(%x: f32, %f: f32, %z: f32):
    %p = arith.mulf %f, %x : f32
    %s = arith.addf %p, %z : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>

// Left alone: a column dim B reads with a stride, and a body that is more
// than a multiply-accumulate (integer products: vectorize-int8.mlir).
// CHECK-LABEL: func @not_kernels
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT: vector.fma
func.func @not_kernels(%F: memref<4x8xf32>, %T: memref<16x8xf32>, %G: memref<8x16xf32>, %H: memref<4x16xf32>) {
  linalg.generic {indexing_maps = [#a, affine_map<(m, k, n) -> (n, k)>, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%F, %T : memref<4x8xf32>, memref<16x8xf32>) outs(%H : memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%F, %G : memref<4x8xf32>, memref<8x16xf32>) outs(%H : memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %e = math.exp %x : f32
    %p = arith.mulf %e, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// With threads, a kernel with enough row tiles (48 rows = 8 tiles of 6) runs
// a range of them per task: the body function takes the range and the
// operands, and a declared `_parallel` function (defined by the artifact
// writer over lepton_parallel_for) replaces the generic. Small kernels stay
// inline.
// CHECK-LABEL: func @rows
// THREADS-LABEL: func @rows
// THREADS: %[[TASKS:.*]] = arith.constant 8 : index
// THREADS: call @rows_kernel0_parallel(%[[TASKS]], %{{.*}}, %{{.*}}, %{{.*}}) {lepton.kind = "matmul kernel 48x7x16 (threads)"} : (index, memref<48x7xf32>, memref<7x16xf32>, memref<48x16xf32>) -> ()
// THREADS-NOT: linalg.generic
// THREADS-LABEL: func @small
// THREADS-NOT: call
// THREADS: vector.fma
// THREADS: func.func private @rows_kernel0_body(%[[BEGIN:.*]]: index, %[[END:.*]]: index, %{{.*}}: memref<48x7xf32>, %{{.*}}: memref<7x16xf32>, %{{.*}}: memref<48x16xf32>)
// THREADS: arith.muli %[[BEGIN]], %c6
// THREADS: arith.muli %[[END]], %c6
// THREADS: vector.fma
// THREADS: func.func private @rows_kernel0_parallel(index, memref<48x7xf32>, memref<7x16xf32>, memref<48x16xf32>)
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
func.func @rows(%A: memref<48x7xf32>, %B: memref<7x16xf32>, %C: memref<48x16xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<48x7xf32>, memref<7x16xf32>) outs(%C : memref<48x16xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}
func.func @small(%A: memref<4x2xf32>, %B: memref<2x16xf32>, %C: memref<4x16xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<4x2xf32>, memref<2x16xf32>) outs(%C : memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An initialization right before the kernel (a fill, or a bias broadcast
// into C) is folded into the accumulators' start instead of a pass over C.
// The serial kernel is one region, which leptonc --profile times whole.
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
// CHECK-LABEL: func @zero_init
// CHECK-NOT: linalg.fill
// CHECK: scf.execute_region
// CHECK: %[[ZERO:.*]] = vector.broadcast %{{.*}} : f32 to vector<16xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]]
// CHECK: {lepton.kind = "matmul kernel 6x3x16"}
func.func @zero_init(%A: memref<6x3xf32>, %B: memref<3x16xf32>, %C: memref<6x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%C : memref<6x16xf32>)
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<6x3xf32>, memref<3x16xf32>) outs(%C : memref<6x16xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func @bias_init
// CHECK-SAME: %[[BIAS:[^:]*]]: memref<6x1xf32>
// CHECK-NOT: linalg.generic
// CHECK: %[[B0:.*]] = memref.load %[[BIAS]]
// CHECK: vector.broadcast %[[B0]] : f32 to vector<16xf32>
func.func @bias_init(%A: memref<6x3xf32>, %B: memref<3x16xf32>, %bias: memref<6x1xf32>, %C: memref<6x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, 0)>, affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<6x1xf32>) outs(%C : memref<6x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<6x3xf32>, memref<3x16xf32>) outs(%C : memref<6x16xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A depthwise convolution (stride 2, 3x3 window) is a window kernel: one
// loop per reduction dim carrying the accumulators, B's row read as a
// contiguous stretch masked to the row's end, of which a shuffle keeps every
// second element. With threads, its channels (an outer loop) are split.
// CHECK-LABEL: func @depthwise
// CHECK: scf.for
// CHECK: scf.for {{.*}} iter_args
// CHECK: scf.for {{.*}} iter_args
// CHECK: affine.apply
// CHECK: %[[STRETCH:.*]] = vector.maskedload %{{.*}} : memref<1x8x9x9xf32>, vector<32xi1>, vector<32xf32> into vector<32xf32>
// CHECK: vector.shuffle %[[STRETCH]], %[[STRETCH]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30] : vector<32xf32>, vector<32xf32>
// CHECK: vector.fma
// CHECK: vector.maskedstore
// CHECK: {lepton.kind = "window kernel 1x8x4x3x3x4"}
// THREADS-LABEL: func @depthwise
// THREADS: call @depthwise_kernel0_parallel(%c8
func.func @depthwise(%x: memref<1x8x9x9xf32>, %w: memref<8x3x3xf32>, %y: memref<1x8x4x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, oh, kh, kw, ow) -> (n, c, oh * 2 + kh, ow * 2 + kw)>,
                                   affine_map<(n, c, oh, kh, kw, ow) -> (c, kh, kw)>,
                                   affine_map<(n, c, oh, kh, kw, ow) -> (n, c, oh, ow)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
      ins(%x, %w : memref<1x8x9x9xf32>, memref<8x3x3xf32>) outs(%y : memref<1x8x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An activation right after the kernel, reading C through a reshape, is
// applied to the accumulators and stored straight to its output (seen with
// C's shape); C, an arena buffer nothing else reads, is not written. An
// activation whose output overlaps the kernel's inputs in the arena is left
// alone: the kernel would overwrite B while reading it.
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
// CHECK-LABEL: func @relu_epilogue
// CHECK: scf.for {{.*}} iter_args
// CHECK: %[[RELU:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: %[[OUT:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [4, 16], strides: [16, 1]
// CHECK: vector.store %[[RELU]], %[[OUT]]
// CHECK-NOT: linalg.generic
// CHECK-LABEL: func @overlapping_epilogue
// CHECK: scf.execute_region
// CHECK: linalg.generic
func.func @relu_epilogue(%A: memref<4x3xf32>, %B: memref<3x16xf32>, %arena: memref<1024xi8>, %y: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %C = memref.view %arena[%c0][] : memref<1024xi8> to memref<4x16xf32>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<4x3xf32>, memref<3x16xf32>) outs(%C : memref<4x16xf32>) {
  ^bb0(%x: f32, %w: f32, %z: f32):
    %p = arith.mulf %x, %w : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  %flat = memref.collapse_shape %C [[0, 1]] : memref<4x16xf32> into memref<64xf32>
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%flat : memref<64xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  }
  return
}
func.func @overlapping_epilogue(%A: memref<4x3xf32>, %arena: memref<1024xi8>) {
  %c0 = arith.constant 0 : index
  %c256 = arith.constant 256 : index
  %B = memref.view %arena[%c0][] : memref<1024xi8> to memref<3x16xf32>
  %C = memref.view %arena[%c256][] : memref<1024xi8> to memref<4x16xf32>
  %Y = memref.view %arena[%c0][] : memref<1024xi8> to memref<4x16xf32>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<4x3xf32>, memref<3x16xf32>) outs(%C : memref<4x16xf32>) {
  ^bb0(%x: f32, %w: f32, %z: f32):
    %p = arith.mulf %x, %w : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%C : memref<4x16xf32>) outs(%Y : memref<4x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// B is a bufferized tensor.pad: a buffer filled with the pad value, the
// source copied into its interior, and nothing else reading it. The kernel
// reads the source (7x7) instead: rows above or below it and lanes left or
// right of it come from masks (upper bound 0 for a row outside), with the pad
// value as pass-through; the fill, the copy and the padded buffer are gone.
// CHECK-LABEL: func @padded_depthwise
// CHECK-SAME: (%[[X:.*]]: memref<1x8x7x7xf32>,
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.
// CHECK: %[[PAD:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: scf.for
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi slt
// CHECK: %[[END:.*]] = arith.select
// CHECK: %[[BELOW_END:.*]] = vector.create_mask %[[END]] : vector<16xi1>
// CHECK: %[[BEFORE:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: %[[BOTH:.*]] = arith.andi %[[BELOW_END]], %[[BEFORE]]
// CHECK: %[[MASK:.*]] = arith.xori %[[BELOW_END]], %[[BOTH]]
// CHECK: %[[FILL:.*]] = vector.broadcast %[[PAD]] : f32 to vector<16xf32>
// CHECK: vector.maskedload %[[X]][%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}], %[[MASK]], %[[FILL]] : memref<1x8x7x7xf32>
// CHECK: {lepton.kind = "window kernel 1x8x7x3x3x7"}
// CHECK-NOT: linalg.
func.func @padded_depthwise(%x: memref<1x8x7x7xf32>, %w: memref<8x3x3xf32>, %y: memref<1x8x7x7xf32>) {
  %pad = arith.constant 0.5 : f32
  %p = memref.alloc() : memref<1x8x9x9xf32>
  linalg.map outs(%p : memref<1x8x9x9xf32>) () { linalg.yield %pad : f32 }
  %interior = memref.subview %p[0, 0, 1, 1] [1, 8, 7, 7] [1, 1, 1, 1]
      : memref<1x8x9x9xf32> to memref<1x8x7x7xf32, strided<[648, 81, 9, 1], offset: 10>>
  linalg.copy ins(%x : memref<1x8x7x7xf32>)
      outs(%interior : memref<1x8x7x7xf32, strided<[648, 81, 9, 1], offset: 10>>)
  linalg.generic {indexing_maps = [affine_map<(n, c, oh, kh, kw, ow) -> (n, c, oh + kh, ow + kw)>,
                                   affine_map<(n, c, oh, kh, kw, ow) -> (c, kh, kw)>,
                                   affine_map<(n, c, oh, kh, kw, ow) -> (n, c, oh, ow)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
      ins(%p, %w : memref<1x8x9x9xf32>, memref<8x3x3xf32>) outs(%y : memref<1x8x7x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The same, but the activation fused into the kernel writes its output into
// the source's buffer (bufferization reuses a dead tensor's bytes): the
// kernel would overwrite rows it still reads, so it reads the padded buffer.
// CHECK-LABEL: func @padded_source_overwritten
// CHECK: linalg.map
// CHECK: linalg.copy
// CHECK: vector.load %{{.*}} : memref<1x8x9x9xf32>, vector<16xf32>
// CHECK-NOT: linalg.generic
func.func @padded_source_overwritten(%x: memref<1x8x7x7xf32>, %w: memref<8x3x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<1x8x9x9xf32>
  linalg.map outs(%p : memref<1x8x9x9xf32>) () { linalg.yield %zero : f32 }
  %interior = memref.subview %p[0, 0, 1, 1] [1, 8, 7, 7] [1, 1, 1, 1]
      : memref<1x8x9x9xf32> to memref<1x8x7x7xf32, strided<[648, 81, 9, 1], offset: 10>>
  linalg.copy ins(%x : memref<1x8x7x7xf32>)
      outs(%interior : memref<1x8x7x7xf32, strided<[648, 81, 9, 1], offset: 10>>)
  %c = memref.alloc() : memref<1x8x7x7xf32>
  linalg.generic {indexing_maps = [affine_map<(n, c, oh, kh, kw, ow) -> (n, c, oh + kh, ow + kw)>,
                                   affine_map<(n, c, oh, kh, kw, ow) -> (c, kh, kw)>,
                                   affine_map<(n, c, oh, kh, kw, ow) -> (n, c, oh, ow)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
      ins(%p, %w : memref<1x8x9x9xf32>, memref<8x3x3xf32>) outs(%c : memref<1x8x7x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : memref<1x8x7x7xf32>) outs(%x : memref<1x8x7x7xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Before the workspace is planned, the activation's output is an allocation
// made after the kernel: it is moved above the kernel and the activation
// fused; C, an allocation nothing else reads, is not written.
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
// CHECK-LABEL: func @allocated_epilogue
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<4x16xf32>
// CHECK: scf.for {{.*}} iter_args
// CHECK: %[[RELU:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.store %[[RELU]], %[[OUT]]
// CHECK-NOT: linalg.generic
// CHECK: memref.copy %[[OUT]]
func.func @allocated_epilogue(%A: memref<4x3xf32>, %B: memref<3x16xf32>, %y: memref<4x16xf32>) {
  %C = memref.alloc() : memref<4x16xf32>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<4x3xf32>, memref<3x16xf32>) outs(%C : memref<4x16xf32>) {
  ^bb0(%x: f32, %w: f32, %z: f32):
    %p = arith.mulf %x, %w : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  %out = memref.alloc() : memref<4x16xf32>
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%C : memref<4x16xf32>) outs(%out : memref<4x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  }
  memref.copy %out, %y : memref<4x16xf32> to memref<4x16xf32>
  return
}

// -----

// A max pooling (stride 2, 3x3 window, -inf padding and start) becomes a
// kernel whose step is a maximum with B's row: the window's shape operand is
// never read, the -inf fill is the accumulators' start, and B is read from
// the unpadded source with -inf outside it.
// CHECK-LABEL: func @max_pool
// CHECK-NOT: linalg.
// CHECK: %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK: vector.broadcast %[[NEG]] : f32 to vector<16xf32>
// CHECK: scf.for {{.*}} iter_args
// CHECK: vector.maskedload %{{.*}} : memref<1x8x8x8xf32>, vector<32xi1>, vector<32xf32> into vector<32xf32>
// CHECK: vector.shuffle
// CHECK: arith.maximumf %{{.*}} : vector<16xf32>
// CHECK: {lepton.kind = "max pooling kernel 1x8x4x3x3x4"}
func.func @max_pool(%x: memref<1x8x8x8xf32>, %window: memref<3x3xf32>, %y: memref<1x8x4x4xf32>) {
  %neg = arith.constant 0xFF800000 : f32
  %p = memref.alloc() : memref<1x8x10x10xf32>
  linalg.map outs(%p : memref<1x8x10x10xf32>) () { linalg.yield %neg : f32 }
  %interior = memref.subview %p[0, 0, 1, 1] [1, 8, 8, 8] [1, 1, 1, 1]
      : memref<1x8x10x10xf32> to memref<1x8x8x8xf32, strided<[800, 100, 10, 1], offset: 11>>
  linalg.copy ins(%x : memref<1x8x8x8xf32>)
      outs(%interior : memref<1x8x8x8xf32, strided<[800, 100, 10, 1], offset: 11>>)
  linalg.fill ins(%neg : f32) outs(%y : memref<1x8x4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, c, oh, kh, kw, ow) -> (n, c, oh * 2 + kh, ow * 2 + kw)>,
                                   affine_map<(n, c, oh, kh, kw, ow) -> (kh, kw)>,
                                   affine_map<(n, c, oh, kh, kw, ow) -> (n, c, oh, ow)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
      ins(%p, %window : memref<1x8x10x10xf32>, memref<3x3xf32>) outs(%y : memref<1x8x4x4xf32>) {
  ^bb0(%a: f32, %w: f32, %o: f32):
    %m = arith.maximumf %o, %a : f32
    linalg.yield %m : f32
  }
  return
}
