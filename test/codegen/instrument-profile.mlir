// RUN: lepton-opt %s --lepton-instrument-profile --canonicalize | FileCheck %s

// Two timed operations (the fill and the generic); the view and the return
// are not. Each gets a slot of the counters and a (nodes, kind) label.
// CHECK: func.func private @clock_gettime(i32, memref<2xi64>) -> i32
// CHECK: memref.global "private" @lepton_profile_ns : memref<2xi64> = dense<0>
// CHECK-LABEL: func.func @model
// CHECK-SAME: lepton.profile = {{\[\["fill0", "linalg.fill"\], \["a \+ b", "elementwise 4"\]\]}}
// CHECK: %[[COUNTERS:[0-9a-z_]+]] = memref.get_global @lepton_profile_ns
// CHECK: call @clock_gettime
// CHECK: linalg.fill
// CHECK: call @clock_gettime
// CHECK: memref.load %[[COUNTERS]][%c0]
// CHECK: memref.store %{{.*}}, %[[COUNTERS]][%c0]
// CHECK: memref.expand_shape
// CHECK-NOT: call
// CHECK: call @clock_gettime
// CHECK: linalg.generic
// CHECK: call @clock_gettime
// CHECK: memref.store %{{.*}}, %[[COUNTERS]][%c1]
// CHECK-NEXT: return
func.func @model(%x: memref<4xf32>, %y: memref<4xf32>) {
  %c = arith.constant 1.0 : f32
  linalg.fill ins(%c : f32) outs(%y : memref<4xf32>) loc("fill0")
  %v = memref.expand_shape %x [[0, 1]] output_shape [4, 1] : memref<4xf32> into memref<4x1xf32>
  linalg.generic {indexing_maps = [affine_map<(i) -> (i, 0)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%v : memref<4x1xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } loc(fused["a", "b"])
  return
}
