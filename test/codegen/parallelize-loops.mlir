// RUN: lepton-opt %s --lepton-parallelize-loops="min-iterations=64" --split-input-file | FileCheck %s

// An elementwise op over 1x32x4 splits its leading loops (1 x 32 = 32 tasks,
// at least 16): each task runs the generic on the slices at one point of
// them. Constants are cloned into the body, not captured.
// A generic below the threshold stays.
// CHECK-LABEL: func @relu
// CHECK: %[[TASKS:.*]] = arith.constant 32 : index
// CHECK: call @relu_loop0_parallel(%[[TASKS]], %{{.*}}, %{{.*}}) {lepton.kind = "elementwise 1x32x4 (threads)"} : (index, memref<1x32x4xf32>, memref<1x32x4xf32>) -> ()
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : memref<2x2xf32>)
// CHECK: func.func private @relu_loop0_body(%[[BEGIN:.*]]: index, %[[END:.*]]: index, %[[X:.*]]: memref<1x32x4xf32>, %[[Y:.*]]: memref<1x32x4xf32>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.for %[[T:.*]] = %[[BEGIN]] to %[[END]]
// CHECK: %[[C:.*]] = arith.remui %[[T]], %c32
// CHECK: memref.subview %[[X]][%{{.*}}, %[[C]], 0] [1, 1, 4] [1, 1, 1]
// CHECK: memref.subview %[[Y]][%{{.*}}, %[[C]], 0] [1, 1, 4] [1, 1, 1]
// CHECK: linalg.generic
// CHECK: arith.maximumf %{{.*}}, %[[ZERO]]
// CHECK: func.func private @relu_loop0_parallel(index, memref<1x32x4xf32>, memref<1x32x4xf32>)
func.func @relu(%x: memref<1x32x4xf32>, %y: memref<1x32x4xf32>, %s: memref<2x2xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b, c)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<1x32x4xf32>) outs(%y : memref<1x32x4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]}
      outs(%s : memref<2x2xf32>) {
  ^bb0(%b: f32):
    linalg.yield %zero : f32
  }
  return
}

// -----

// linalg.index of a split loop reads the task's point, not the index inside
// the one-wide slice.
// CHECK-LABEL: func.func private @iota_loop{{[0-9]+}}_body
// CHECK: %[[C:.*]] = arith.remui
// CHECK: linalg.generic
// CHECK-NOT: linalg.index 1
// CHECK: arith.index_cast %[[C]] : index to i64
func.func @iota(%y: memref<1x32x4xi64>) {
  linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      outs(%y : memref<1x32x4xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 1 : index
    %r = arith.index_cast %i : index to i64
    linalg.yield %r : i64
  }
  return
}

// -----

// A padding's named fill and its copy into the strided interior are split
// too: the fill as its generic form (the value cloned in), the interior view
// rebuilt inside the task over the captured buffer.
// CHECK-LABEL: func @padding
// CHECK: call @padding_loop{{[0-9]+}}_parallel(%c48, %{{.*}}) {{.*}} : (index, memref<1x8x6x6xf32>) -> ()
// CHECK: call @padding_loop{{[0-9]+}}_parallel(%c32, %{{.*}}, %{{.*}}) {{.*}} : (index, memref<1x8x4x4xf32>, memref<1x8x6x6xf32>) -> ()
// CHECK: func.func private @padding_loop{{[0-9]+}}_body(%{{.*}}: index, %{{.*}}: index, %[[BUF:.*]]: memref<1x8x6x6xf32>)
// CHECK: arith.constant 0.000000e+00 : f32
// CHECK: func.func private @padding_loop{{[0-9]+}}_body(%{{.*}}: index, %{{.*}}: index, %{{.*}}: memref<1x8x4x4xf32>, %[[PADDED:.*]]: memref<1x8x6x6xf32>)
// CHECK: memref.subview %[[PADDED]][0, 0, 1, 1] [1, 8, 4, 4] [1, 1, 1, 1]
func.func @padding(%x: memref<1x8x4x4xf32>, %padded: memref<1x8x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%padded : memref<1x8x6x6xf32>)
  %inner = memref.subview %padded[0, 0, 1, 1] [1, 8, 4, 4] [1, 1, 1, 1] : memref<1x8x6x6xf32> to memref<1x8x4x4xf32, strided<[288, 36, 6, 1], offset: 7>>
  linalg.copy ins(%x : memref<1x8x4x4xf32>) outs(%inner : memref<1x8x4x4xf32, strided<[288, 36, 6, 1], offset: 7>>)
  return
}
