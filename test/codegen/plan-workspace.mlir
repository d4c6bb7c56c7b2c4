// RUN: lepton-opt %s --lepton-plan-workspace | FileCheck %s

// Buffers with disjoint lifetimes share arena bytes; live ones do not.
// %a (4 KiB) dies when %c is born, so %c reuses offset 0; %b overlaps both.
// Without reuse the three would take 12 KiB.
// CHECK-LABEL: func @chain
// CHECK-SAME: %[[WS:[a-z0-9]+]]: memref<8192xi8> {lepton.workspace}
// CHECK-SAME: attributes {lepton.intermediate_bytes = 12288 : i64, lepton.workspace_bytes = 8192 : i64}
func.func @chain(%in: memref<1024xf32>, %out: memref<1024xf32>) {
  // CHECK-NOT: memref.alloc
  // CHECK: %[[C0:.*]] = arith.constant 0 : index
  // CHECK: memref.view %[[WS]][%[[C0]]][] : memref<8192xi8> to memref<1024xf32>
  %a = memref.alloc() : memref<1024xf32>
  memref.copy %in, %a : memref<1024xf32> to memref<1024xf32>
  // CHECK: %[[C4096:.*]] = arith.constant 4096 : index
  // CHECK: memref.view %[[WS]][%[[C4096]]][] : memref<8192xi8> to memref<1024xf32>
  %b = memref.alloc() : memref<1024xf32>
  memref.copy %a, %b : memref<1024xf32> to memref<1024xf32>
  // CHECK: %[[C0B:.*]] = arith.constant 0 : index
  // CHECK: memref.view %[[WS]][%[[C0B]]][] : memref<8192xi8> to memref<1024xf32>
  %c = memref.alloc() : memref<1024xf32>
  memref.copy %b, %c : memref<1024xf32> to memref<1024xf32>
  memref.copy %c, %out : memref<1024xf32> to memref<1024xf32>
  // CHECK-NOT: memref.dealloc
  memref.dealloc %a : memref<1024xf32>
  return
}
