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
