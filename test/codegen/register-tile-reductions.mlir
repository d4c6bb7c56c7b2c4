// RUN: lepton-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lepton-register-tile-reductions{min-threads=8}),canonicalize,cse)' | FileCheck %s

// A matmul of 6 x 10 outputs in 4 x 4 tiles would leave 6 threads (< 8), so
// 2 x 2: A's element serves a tile row, B's a tile column, the four sums
// live in iter_args, and the bias broadcast before it starts them (its own
// loop nest goes). Both dims divide: no bounds checks.
// CHECK-LABEL: func @gemm
// CHECK-SAME:    (%[[A:.*]]: memref<6x8xf32>, %[[B:.*]]: memref<8x10xf32>, %[[BIAS:.*]]: memref<10xf32>, %[[C:.*]]: memref<6x10xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         scf.parallel (%[[I:.*]], %[[J:.*]]) = ({{.*}}) to ({{.*}}) step (%[[C2:.*]], %[[C2]])
// CHECK:           %[[I1:.*]] = arith.addi %[[I]], %{{.*}}
// CHECK:           %[[J1:.*]] = arith.addi %[[J]], %{{.*}}
// CHECK:           %[[B0:.*]] = memref.load %[[BIAS]][%[[J]]]
// CHECK:           %[[B1:.*]] = memref.load %[[BIAS]][%[[J1]]]
// CHECK:           %[[SUMS:.*]]:4 = scf.for %[[K:.*]] = {{.*}} iter_args(%[[S0:.*]] = %[[B0]], %[[S1:.*]] = %[[B1]], %[[S2:.*]] = %[[B0]], %[[S3:.*]] = %[[B1]])
// CHECK:             %[[A0:.*]] = memref.load %[[A]][%[[I]], %[[K]]]
// CHECK:             %[[B00:.*]] = memref.load %[[B]][%[[K]], %[[J]]]
// CHECK:             arith.mulf %[[A0]], %[[B00]] fastmath<contract>
// CHECK:             %[[B01:.*]] = memref.load %[[B]][%[[K]], %[[J1]]]
// CHECK:             arith.mulf %[[A0]], %[[B01]]
// CHECK:             %[[A1:.*]] = memref.load %[[A]][%[[I1]], %[[K]]]
// CHECK:             arith.mulf %[[A1]], %[[B00]]
// CHECK:             arith.mulf %[[A1]], %[[B01]]
// CHECK-NOT:         memref.store
// CHECK:             scf.yield
// CHECK:           memref.store %[[SUMS]]#0, %[[C]][%[[I]], %[[J]]]
// CHECK:           memref.store %[[SUMS]]#1, %[[C]][%[[I]], %[[J1]]]
// CHECK:           memref.store %[[SUMS]]#2, %[[C]][%[[I1]], %[[J]]]
// CHECK:           memref.store %[[SUMS]]#3, %[[C]][%[[I1]], %[[J1]]]
func.func @gemm(%a: memref<6x8xf32>, %b: memref<8x10xf32>, %bias: memref<10xf32>, %c: memref<6x10xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<10xf32>) outs(%c : memref<6x10xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.matmul ins(%a, %b : memref<6x8xf32>, memref<8x10xf32>) outs(%c : memref<6x10xf32>)
  return
}

// -----

// 7 x 9 outputs: 4 x 4 tiles would leave 3 threads, 2 x 4 ones 7, so 2 x 2.
// The last tiles are partial: they read at clamped indices and store only
// their points inside. The fill starts the sums.
// CHECK-LABEL: func @partial
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[C2:.*]] = arith.constant 2 : index
// CHECK-NOT:     linalg.fill
// CHECK:         scf.parallel (%[[I:.*]], %[[J:.*]]) = ({{.*}}) to ({{.*}}) step (%[[C2]], %[[C2]])
// CHECK:           %[[I1:.*]] = arith.addi %[[I]]
// CHECK:           %[[FITS:.*]] = arith.cmpi slt, %[[I1]], %{{.*}}
// CHECK:           %[[I1C:.*]] = arith.minsi %[[I1]]
// CHECK:           scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]])
// CHECK:           memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]]
// CHECK:           scf.if %[[FITS]]
// CHECK-NEXT:        memref.store %{{.*}}, %{{.*}}[%[[I1C]], %[[J]]]
func.func @partial(%a: memref<7x5xf32>, %b: memref<5x9xf32>, %c: memref<7x9xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<7x9xf32>)
  linalg.matmul ins(%a, %b : memref<7x5xf32>, memref<5x9xf32>) outs(%c : memref<7x9xf32>)
  return
}

// -----

// A row sum: its only input depends on every output dim, so no tile would
// share a load: one output per thread, but the sum still in a register. The
// output read before the loop is the one element it accumulates into.
// CHECK-LABEL: func @row_sum
// CHECK:         scf.parallel (%[[I:.*]]) = ({{.*}}) to ({{.*}}) step (%[[ONE:.*]])
// CHECK:           %[[START:.*]] = memref.load %{{.*}}[%[[I]]]
// CHECK:           %[[SUM:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[START]]) -> (f32)
// CHECK:           memref.store %[[SUM]], %{{.*}}[%[[I]]]
func.func @row_sum(%x: memref<16x32xf32>, %y: memref<16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<16x32xf32>) outs(%y : memref<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A mean with the reduced dim kept (index 0 in the output's map), as
// LayerNorm and global pooling write it.
// CHECK-LABEL: func @kept_dim
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK:         scf.parallel (%[[I:.*]]) =
// CHECK:           %[[START:.*]] = memref.load %[[Y:.*]][%[[I]], %[[C0]]]
// CHECK:           %[[SUM:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[START]]) -> (f32)
// CHECK:           memref.store %[[SUM]], %[[Y]][%[[I]], %[[C0]]]
func.func @kept_dim(%x: memref<16x32xf32>, %y: memref<16x1xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i, 0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<16x32xf32>) outs(%y : memref<16x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left alone: a reduction over everything (no parallel dim: a one-thread
// kernel later), and one that reads its own output.
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT:     scf.parallel
func.func @left_alone(%x: memref<32xf32>, %s: memref<f32>, %y: memref<4x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(k) -> (k)>, affine_map<(k) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%x : memref<32xf32>) outs(%s : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.addf %in, %out : f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (k, j)>, affine_map<(i, j, k) -> (i, j)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%y : memref<4x4xf32>) outs(%y : memref<4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.addf %in, %out : f32
    linalg.yield %v : f32
  }
  return
}

// -----

// 40 x 36 outputs of 20 products each (min-threads 8: 4 x 4 per thread): one
// block of 16 x 16 threads owns a 64 x 64 tile. Per chunk of 16 reduction
// steps (the last one 4) the threads copy A's 64 x 16 and B's 16 x 64
// elements into shared memory (A's rows one longer: its chunk runs along the
// threads), synchronize, and accumulate their points, 16 rows and 16
// columns apart, from there. The bias starts the sums, the ReLU after the
// matmul runs on them before the only store (in place: the matmul's own
// store goes), and partial tiles store only their points inside.
// CHECK-LABEL: func @shared_tiles
// CHECK-SAME:    (%[[A:.*]]: memref<40x20xf32>, %[[B:.*]]: memref<20x36xf32>, %[[BIAS:.*]]: memref<36xf32>, %[[C:.*]]: memref<40x36xf32>)
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[C1]], {{.*}} = %[[C1]], {{.*}} = %[[C1]]) threads(%[[TX:.*]], %[[TY:.*]], %{{.*}}) in ({{.*}} = %[[C16]], {{.*}} = %[[C16]], {{.*}} = %[[C1]])
// CHECK-SAME:      workgroup(%[[SA:.*]] : memref<16x65xf32, #gpu.address_space<workgroup>>, %[[SB:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK:           %[[FITS:.*]] = arith.cmpi ult, %[[TY]]
// CHECK:           %[[BIAS0:.*]] = memref.load %[[BIAS]]
// CHECK:           %[[SUMS:.*]]:16 = scf.for %[[K0:.*]] = {{.*}} step %[[C16]] iter_args(%{{.*}} = %[[BIAS0]],
// CHECK:             %[[AV:.*]] = memref.load %[[A]]
// CHECK:             memref.store %[[AV]], %[[SA]]
// CHECK:             %[[BV:.*]] = memref.load %[[B]]
// CHECK:             memref.store %[[BV]], %[[SB]]
// CHECK:             gpu.barrier
// CHECK:             %[[LEFT:.*]] = arith.subi %{{.*}}, %[[K0]]
// CHECK:             %[[STEPS:.*]] = arith.minui %[[LEFT]], %[[C16]]
// CHECK:             scf.for %[[K:.*]] = %{{.*}} to %[[STEPS]] step %[[C1]]
// CHECK:               %[[X:.*]] = memref.load %[[SA]][%[[K]], %[[TY]]]
// CHECK:               %[[Y:.*]] = memref.load %[[SB]][%[[K]], %[[TX]]]
// CHECK:               arith.mulf %[[X]], %[[Y]] fastmath<contract>
// CHECK-NOT:           memref.load %[[A]]
// CHECK:               scf.yield
// CHECK:             gpu.barrier
// CHECK:           scf.if
// CHECK-NEXT:        %[[R:.*]] = arith.maximumf %[[SUMS]]#0
// CHECK-NEXT:        memref.store %[[R]], %[[C]]
// CHECK-NOT:     linalg.generic
func.func @shared_tiles(%a: memref<40x20xf32>, %b: memref<20x36xf32>, %bias: memref<36xf32>, %c: memref<40x36xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<36xf32>) outs(%c : memref<40x36xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.matmul ins(%a, %b : memref<40x20xf32>, memref<20x36xf32>) outs(%c : memref<40x36xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<40x36xf32>) outs(%c : memref<40x36xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A convolution's matmul (4 channels x 6 positions) whose result is reshaped
// to 1 x 4 x 2 x 3 and added to a residual into another buffer: the sum is
// stored, and the add runs on it at the same element through the reshape
// (its linear index split by the new shape).
// CHECK-LABEL: func @epilogue_through_reshape
// CHECK-SAME:    (%[[W:.*]]: memref<4x8xf32>, %[[X:.*]]: memref<8x6xf32>, %[[RES:.*]]: memref<1x4x2x3xf32>, %[[C:.*]]: memref<4x6xf32>, %[[Y:.*]]: memref<1x4x2x3xf32>)
// CHECK:         scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK:           %[[SUMS:.*]]:{{[0-9]+}} = scf.for
// CHECK:           memref.store %[[SUMS]]#0, %[[C]][%[[I]], %[[J]]]
// CHECK:           %[[ROW:.*]] = arith.muli %[[I]], %[[C6:.*]] : index
// CHECK:           %[[LINEAR:.*]] = arith.addi %[[ROW]], %[[J]]
// CHECK:           %[[W0:.*]] = arith.remui %[[LINEAR]], %[[C3:.*]] : index
// CHECK:           %[[NCH:.*]] = arith.divui %[[LINEAR]], %[[C3]]
// CHECK:           %[[H:.*]] = arith.remui %[[NCH]], %[[C2:.*]] : index
// CHECK:           %[[NC:.*]] = arith.divui %[[NCH]], %[[C2]]
// CHECK:           %[[CH:.*]] = arith.remui %[[NC]], %[[C4:.*]] : index
// CHECK:           %[[N:.*]] = arith.divui %[[NC]], %[[C4]]
// CHECK:           %[[R:.*]] = memref.load %[[RES]][%[[N]], %[[CH]], %[[H]], %[[W0]]]
// CHECK:           %[[V:.*]] = arith.addf %[[SUMS]]#0, %[[R]]
// CHECK:           memref.store %[[V]], %[[Y]][%[[N]], %[[CH]], %[[H]], %[[W0]]]
// CHECK-NOT:     linalg.generic
func.func @epilogue_through_reshape(%w: memref<4x8xf32>, %x: memref<8x6xf32>, %res: memref<1x4x2x3xf32>,
                                    %c: memref<4x6xf32>, %y: memref<1x4x2x3xf32>) {
  linalg.matmul ins(%w, %x : memref<4x8xf32>, memref<8x6xf32>) outs(%c : memref<4x6xf32>)
  %flat = memref.collapse_shape %c [[0, 1]] : memref<4x6xf32> into memref<24xf32>
  %view = memref.expand_shape %flat [[0, 1, 2, 3]] output_shape [1, 4, 2, 3] : memref<24xf32> into memref<1x4x2x3xf32>
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>,
                                   affine_map<(n, c, h, w) -> (n, c, h, w)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%view, %res : memref<1x4x2x3xf32>, memref<1x4x2x3xf32>) outs(%y : memref<1x4x2x3xf32>) {
  ^bb0(%v: f32, %r: f32, %o: f32):
    %s = arith.addf %v, %r : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The activation writes over the matmul's A: fused, a block would overwrite
// rows other blocks still read, so it runs after, on its own.
// CHECK-LABEL: func @epilogue_writing_an_input
// CHECK:         scf.parallel
// CHECK:         linalg.generic
func.func @epilogue_writing_an_input(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %c: memref<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.matmul ins(%a, %b : memref<4x4xf32>, memref<4x4xf32>) outs(%c : memref<4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<4x4xf32>) outs(%a : memref<4x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return
}
