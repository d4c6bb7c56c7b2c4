// RUN: lepton-opt %s --lepton-collapse-contiguous-loops --split-input-file | FileCheck %s
// RUN: lepton-opt %s --lepton-collapse-contiguous-loops="threads=true min-iterations=1000" --split-input-file | FileCheck %s --check-prefix=THREADS

#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
// A residual add over contiguous buffers becomes one loop over all 25088
// elements. With threads and enough work, the leading loops with 16
// iterations or more (1 x 32) stay for the thread pool to split.
// CHECK-LABEL: func @add
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : memref<1x32x28x28xf32> into memref<25088xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]
// THREADS-LABEL: func @add
// THREADS: memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x32x28x28xf32> into memref<1x32x784xf32>
// THREADS: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]
func.func @add(%a: memref<1x32x28x28xf32>, %b: memref<1x32x28x28xf32>, %y: memref<1x32x28x28xf32>) {
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a, %b : memref<1x32x28x28xf32>, memref<1x32x28x28xf32>) outs(%y : memref<1x32x28x28xf32>) {
  ^bb0(%x: f32, %z: f32, %o: f32):
    %s = arith.addf %x, %z : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A per-channel scale reads one value per channel: only the spatial loops
// merge, the channel loop stays.
// CHECK-LABEL: func @per_channel
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x32x28x28xf32> into memref<1x32x784xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]
func.func @per_channel(%a: memref<1x32x28x28xf32>, %s: memref<32xf32>, %y: memref<1x32x28x28xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>,
                                   affine_map<(n, c, h, w) -> (n, c, h, w)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a, %s : memref<1x32x28x28xf32>, memref<32xf32>) outs(%y : memref<1x32x28x28xf32>) {
  ^bb0(%x: f32, %z: f32, %o: f32):
    %m = arith.mulf %x, %z : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// The strided interior of a padded buffer cannot merge its rows and a
// transposed operand walks memory in another order: nothing changes. A
// column broadcast (read at (i, 0)) is read as a vector (i), but its loop j
// stays inner.
// CHECK-LABEL: func @not_contiguous
// CHECK-NOT: memref.collapse_shape
// CHECK-LABEL: func @transposed
// CHECK-NOT: memref.collapse_shape
// CHECK-LABEL: func @constant_index
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0, 1]] : memref<4x1xf32> into memref<4xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
func.func @not_contiguous(%a: memref<1x8x7x7xf32>, %p: memref<1x8x9x9xf32>) {
  %interior = memref.subview %p[0, 0, 1, 1] [1, 8, 7, 7] [1, 1, 1, 1]
      : memref<1x8x9x9xf32> to memref<1x8x7x7xf32, strided<[648, 81, 9, 1], offset: 10>>
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a : memref<1x8x7x7xf32>) outs(%interior : memref<1x8x7x7xf32, strided<[648, 81, 9, 1], offset: 10>>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  return
}
func.func @transposed(%a: memref<16x32xf32>, %y: memref<32x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<16x32xf32>) outs(%y : memref<32x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  return
}
func.func @constant_index(%a: memref<4x1xf32>, %y: memref<4x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, 0)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x1xf32>) outs(%y : memref<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  return
}

// -----

// A per-channel requantization reads its multipliers stored as 1xCx1x1 at
// (n, c, 0, 0): they are read as 1xC at (n, c), and the spatial loops merge.
// CHECK-LABEL: func @requantize
// CHECK: %[[M:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : memref<1x8x1x1xi64> into memref<1x8xi64>
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x8x14x14xi32> into memref<1x8x196xi32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]
// CHECK-SAME: ins(%{{.*}}, %[[M]] : memref<1x8x196xi32>, memref<1x8xi64>)
func.func @requantize(%acc: memref<1x8x14x14xi32>, %m: memref<1x8x1x1xi64>, %y: memref<1x8x14x14xi8>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, 0, 0)>,
                                   affine_map<(n, c, h, w) -> (n, c, h, w)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc, %m : memref<1x8x14x14xi32>, memref<1x8x1x1xi64>) outs(%y : memref<1x8x14x14xi8>) {
  ^bb0(%a: i32, %s: i64, %o: i8):
    %w = arith.extsi %a : i32 to i64
    %p = arith.muli %w, %s : i64
    %t = arith.trunci %p : i64 to i8
    linalg.yield %t : i8
  }
  return
}
