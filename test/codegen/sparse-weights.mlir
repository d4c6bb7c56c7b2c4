// RUN: lepton-opt %s --lepton-vectorize-contractions --split-input-file | FileCheck %s
// RUN: lepton-opt %s --lepton-vectorize-contractions="vector-bits=512 vector-registers=32" --split-input-file | FileCheck %s --check-prefix=AVX512

// A constant A with 5 nonzeros in 32 (a pruned layer's weights): the kernel
// reads compressed-row tables instead, built at compile time, and the dense
// global goes. Each row is padded to the fullest row's count (2), so the
// tables are starts [0 2 4 6 8], columns (i8, from the block's start)
// [0 3 | 1 pad | pad pad | 5 7] and values [1 2 | 3 0 | 0 0 | 4 5], each with
// one entry past the end. B's rows are packed into a panel (8 rows, 64
// columns) per column tile; 70 columns = a full tile and a masked one.
// CHECK-NOT: memref.global "private" constant @w :
// CHECK-DAG: memref.global "private" constant @w_sparse_starts : memref<5xi32>
// CHECK-DAG: memref.global "private" constant @w_sparse_columns : memref<9xi8>
// CHECK-DAG: memref.global "private" constant @w_sparse_values : memref<9xf32>
// CHECK-LABEL: func @sparse
// CHECK-SAME: (%[[B:.*]]: memref<8x70xf32>, %[[C:.*]]: memref<4x70xf32>)
// CHECK-DAG: %[[STARTS:.*]] = memref.get_global @w_sparse_starts
// CHECK-DAG: %[[COLUMNS:.*]] = memref.get_global @w_sparse_columns
// CHECK-DAG: %[[VALUES:.*]] = memref.get_global @w_sparse_values
// CHECK: scf.execute_region
// CHECK: %[[PANEL:.*]] = memref.alloca() {alignment = 64 : i64} : memref<8x64xf32>
// CHECK: scf.for %[[N0:.*]] = %{{.*}} to %c64{{.*}} step %c64
// CHECK:   scf.for %[[R:.*]] =
// CHECK:     %[[ROW:.*]] = vector.load %[[B]][%{{.*}}, %{{.*}}] : memref<8x70xf32>, vector<16xf32>
// CHECK:     vector.store %[[ROW]], %[[PANEL]][%[[R]], %c0{{.*}}]
// CHECK-COUNT-3: vector.store {{.*}}, %[[PANEL]]
// CHECK:   scf.for %[[M:.*]] = %{{.*}} to %c4{{.*}} step %c1
// CHECK-COUNT-4: vector.load %[[C]]
// CHECK:     memref.load %[[STARTS]]
// CHECK:     memref.load %[[STARTS]]
// CHECK:     scf.for %[[E:.*]] = %{{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:       %[[COLUMN:.*]] = memref.load %[[COLUMNS]]
// CHECK:       %[[K:.*]] = arith.index_castui %[[COLUMN]] : i8 to index
// CHECK:       %[[VALUE:.*]] = memref.load %[[VALUES]]
// CHECK:       %[[SPLAT:.*]] = vector.broadcast %[[VALUE]] : f32 to vector<16xf32>
// CHECK:       %[[PART:.*]] = vector.load %[[PANEL]][%[[K]], %c0{{.*}}]
// CHECK:       vector.fma %[[SPLAT]], %[[PART]]
// CHECK-COUNT-3: vector.fma
// CHECK-COUNT-4: vector.store {{.*}}, %[[C]]
// CHECK: vector.create_mask %c6{{.*}} : vector<16xi1>
// CHECK: vector.maskedload %[[B]]
// CHECK: vector.maskedstore %[[C]]
// CHECK: "0x040000000000000002000000040000000600000008000000"
// CHECK: "0x01000000000301000000050700"
// CHECK: "0x040000000000803F0000004000004040000000000000000000000000000080400000A04000000000"

// With 512-bit vectors a tile is two rows of two vectors (64 columns): the
// rows step through their entries together.
// AVX512-LABEL: func @sparse
// AVX512: scf.for %{{.*}} = %{{.*}} to %c4{{.*}} step %c2
// AVX512: scf.for {{.*}} iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// AVX512-COUNT-4: vector.fma
memref.global "private" constant @w : memref<4x8xf32> = dense<[
    [1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0], [0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 4.0, 0.0, 5.0]]>
func.func @sparse(%B: memref<8x70xf32>, %C: memref<4x70xf32>) {
  %A = memref.get_global @w : memref<4x8xf32>
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<4x8xf32>, memref<8x70xf32>) outs(%C : memref<4x70xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Too many nonzeros once padded (one row full, so every row gets 8 entries):
// the dense kernel, and the global stays.
// CHECK: memref.global "private" constant @w : memref<4x8xf32>
// CHECK-LABEL: func @padded_too_much
// CHECK-NOT: sparse
// CHECK: matmul kernel
memref.global "private" constant @w : memref<4x8xf32> = dense<[
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 4.0, 0.0, 5.0]]>
func.func @padded_too_much(%B: memref<8x70xf32>, %C: memref<4x70xf32>) {
  %A = memref.get_global @w : memref<4x8xf32>
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<4x8xf32>, memref<8x70xf32>) outs(%C : memref<4x70xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}
