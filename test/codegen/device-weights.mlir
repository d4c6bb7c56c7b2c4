// RUN: lepton-opt %s --lepton-device-weights --allow-unregistered-dialect | FileCheck %s

// Weights join the workspace after the intermediates, each 256-aligned; the
// workspace argument grows to hold them and the globals record their offset.
// CHECK-DAG: memref.global "private" constant @w : memref<3xf32> = dense<{{.*}}> {lepton.workspace_offset = 256 : i64}
// CHECK-DAG: memref.global "private" constant @b : memref<2xi8> = dense<{{.*}}> {lepton.workspace_offset = 512 : i64}
// CHECK-LABEL: func @model
// CHECK-SAME:    %[[WS:[a-z0-9]+]]: memref<768xi8> {lepton.workspace}
// CHECK-SAME:    lepton.workspace_bytes = 768
// CHECK-NOT:     memref.get_global
// CHECK:         %[[C256:.*]] = arith.constant 256 : index
// CHECK:         memref.view %[[WS]][%[[C256]]][] : memref<768xi8> to memref<3xf32>
// CHECK:         %[[C512:.*]] = arith.constant 512 : index
// CHECK:         memref.view %[[WS]][%[[C512]]][] : memref<768xi8> to memref<2xi8>
// CHECK:         %[[AGAIN:.*]] = arith.constant 256 : index
// CHECK:         memref.view %[[WS]][%[[AGAIN]]][] : memref<768xi8> to memref<3xf32>
memref.global "private" constant @w : memref<3xf32> = dense<[1.0, 2.0, 3.0]>
memref.global "private" constant @b : memref<2xi8> = dense<[1, 2]>
func.func @model(%x: memref<3xf32>, %ws: memref<64xi8> {lepton.workspace}) attributes {lepton.workspace_bytes = 64 : i64} {
  %w = memref.get_global @w : memref<3xf32>
  %b = memref.get_global @b : memref<2xi8>
  %w2 = memref.get_global @w : memref<3xf32>
  "test.use"(%w, %b, %w2) : (memref<3xf32>, memref<2xi8>, memref<3xf32>) -> ()
  return
}
