// RUN: lepton-opt %s --lepton-approximate-math | FileCheck %s

// f32 exp, tanh and erf become inline polynomials; f64 and asin stay calls.
// CHECK-LABEL: func @functions
// CHECK-NOT: math.exp {{.*}} : f32
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-DAG: math.exp %{{.*}} : f64
// CHECK-DAG: math.asin %{{.*}} : f32
func.func @functions(%x: f32, %d: f64) -> (f32, f32, f32, f64, f32) {
  %e = math.exp %x : f32
  %t = math.tanh %x : f32
  %r = math.erf %x : f32
  %ed = math.exp %d : f64
  %a = math.asin %x : f32
  return %e, %t, %r, %ed, %a : f32, f32, f32, f64, f32
}
