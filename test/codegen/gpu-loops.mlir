// RUN: lepton-opt %s --pass-pipeline='builtin.module(func.func(lepton-tile-parallel-loops),sccp)' --split-input-file | FileCheck %s --check-prefix=TILE
// RUN: lepton-opt %s --pass-pipeline='builtin.module(func.func(lepton-sink-scalar-loads))' --split-input-file | FileCheck %s --check-prefix=SINK

// The contiguous dims go to x: 7x7 spans less than 64, so the 512 channels
// join them; blocks of 256 threads, an in-bounds check for the last one.
// TILE-LABEL: func @conv_like
// TILE:         scf.parallel (%[[BX:.*]], %{{.*}}) = (%c0, %c0) to (%c25088, %c1) step (%c256, %c1)
// TILE-NEXT:      scf.parallel (%[[TX:.*]], %{{.*}}) = (%c0, %c0) to (%c256, %c1) step (%c1, %c1)
// TILE:             arith.cmpi ult, %{{.*}}, %c25088
// TILE:             scf.if
// TILE-NEXT:          arith.remsi %{{.*}}, %c7
// A dim of 64 is x, the next (2) y; the 70000 outer entries exceed grid z's
// 65535 blocks, so everything becomes one dim on x.
// TILE-LABEL: func @huge_outer
// TILE:         scf.parallel (%{{.*}}) = (%c0) to (%c8960000) step (%c256)
// TILE-NEXT:      scf.parallel (%{{.*}}) = (%c0) to (%c256) step (%c1)
// An x of 64 and a y of 100 fit: blocks of 64x4 threads over the rows, the
// batch of 3 on z.
// TILE-LABEL: func @rows
// TILE:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%c0, %c0, %c0) to (%c64, %c100, %c3) step (%c64, %c4, %c1)
// TILE-NEXT:      scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%c0, %c0, %c0) to (%c64, %c4, %c1) step (%c1, %c1, %c1)
func.func @conv_like(%x: memref<1x512x7x7xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c512 = arith.constant 512 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%n, %c, %h, %w) = (%c0, %c0, %c0, %c0) to (%c1, %c512, %c7, %c7) step (%c1, %c1, %c1, %c1) {
    memref.store %zero, %x[%n, %c, %h, %w] : memref<1x512x7x7xf32>
    scf.reduce
  }
  return
}
// -----

func.func @huge_outer(%x: memref<70000x2x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %c70000 = arith.constant 70000 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%a, %b, %c) = (%c0, %c0, %c0) to (%c70000, %c2, %c64) step (%c1, %c1, %c1) {
    memref.store %zero, %x[%a, %b, %c] : memref<70000x2x64xf32>
    scf.reduce
  }
  return
}

// -----

func.func @rows(%x: memref<3x100x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c64 = arith.constant 64 : index
  %c100 = arith.constant 100 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%a, %b, %c) = (%c0, %c0, %c0) to (%c3, %c100, %c64) step (%c1, %c1, %c1) {
    memref.store %zero, %x[%a, %b, %c] : memref<3x100x64xf32>
    scf.reduce
  }
  return
}

// -----

// Clip's bound, read from a read-only input and doubled, moves into the
// kernel that uses it; a read with a launch in between, and one the host
// needs for a grid size, stay.
// SINK-LABEL: func @clip
// SINK:         %[[LATE:.*]] = memref.load %arg3[]
// SINK-NEXT:    %[[GRID:.*]] = memref.load %arg3[]
// SINK-NEXT:    arith.fptosi %[[GRID]]
// SINK:         gpu.launch
// SINK-NEXT:      %[[MIN:.*]] = memref.load %arg1[]
// SINK-NEXT:      %[[TWICE:.*]] = arith.addf %[[MIN]], %[[MIN]]
// SINK:           arith.maximumf %{{.*}}, %[[TWICE]]
// SINK:         gpu.launch
// SINK-NEXT:      memref.store %[[LATE]]
func.func @clip(%x: memref<16xf32> {bufferization.writable = false}, %lo: memref<f32> {bufferization.writable = false}, %y: memref<16xf32>, %t: memref<f32>) {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %min = memref.load %lo[] : memref<f32>
  %twice = arith.addf %min, %min : f32
  %late = memref.load %t[] : memref<f32>
  %grid = memref.load %t[] : memref<f32>
  %n = arith.fptosi %grid : f32 to i32
  %count = arith.index_cast %n : i32 to index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%tx] : memref<16xf32>
    %r = arith.maximumf %v, %twice : f32
    memref.store %r, %y[%tx] : memref<16xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %count, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
    memref.store %late, %y[%tx] : memref<16xf32>
    gpu.terminator
  }
  return
}
