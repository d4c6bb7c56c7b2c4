// RUN: lepton-opt %s --split-input-file --verify-diagnostics

func.func @pipeline_zero() {
  // expected-error @+1 {{'hls.pipeline' must be an initiation interval >= 1 on an affine.for or func.func}}
  affine.for %i = 0 to 4 {
  } {hls.pipeline = 0 : i64}
  return
}

// -----

func.func @unroll_one() {
  // expected-error @+1 {{'hls.unroll' must be a unit attribute (complete) or a factor >= 2 on an affine.for}}
  affine.for %i = 0 to 4 {
  } {hls.unroll = 1 : i64}
  return
}

// -----

func.func @partition_kind() {
  // expected-error @+1 {{'hls.partition' must be "complete" or a cyclic factor of at least 2}}
  %a = memref.alloc() {hls.partition = "block"} : memref<8xi8>
  return
}

// -----

// expected-error @+1 {{'hls.dataflow' must be a unit attribute on a func.func}}
func.func @dataflow_value() attributes {hls.dataflow = 1 : i64} {
  return
}

// -----

func.func @unknown() {
  // expected-error @+1 {{unknown HLS directive 'hls.inline'}}
  %a = memref.alloc() {hls.inline} : memref<8xi8>
  return
}

// -----

// expected-error @+1 {{unknown HLS argument directive 'hls.stream'}}
func.func @argument(%a: memref<8xf32> {hls.stream}) {
  return
}

// -----

func.func @depth() {
  // expected-error @+1 {{'hls.fifo_depths' must be an array of FIFO depths >= 1 on a memref.alloc or memref.alloca}}
  %a = memref.alloc() {hls.fifo_depths = array<i64: 0>} : memref<8xi8>
  return
}
