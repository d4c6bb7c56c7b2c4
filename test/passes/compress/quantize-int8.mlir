// RUN: lepton-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lepton-quantize-int8),canonicalize)' | FileCheck %s

// Gemm (transB) + Relu with calibrated ranges: the input is quantized to
// uint8 over [-1, 1] (scale 2/255 rounded to float32, zero point 127), the weight per output
// channel to int8 in [-127, 127] and transposed to [K, N] (per column), the
// bias to int32 in the accumulator's scale; the Relu needs no clamp: the
// output's range [0, 2] puts real 0 at the storage minimum.
// CHECK-LABEL: func.func @gemm_relu
// CHECK-DAG: %[[W:.*]] = nn.constant dense<{{\[\[}}64, 32, -127], [-32, 64, 0], [16, 95, 64], [127, 127, 32]]> : tensor<4x3xi8>
// CHECK-DAG: %[[B:.*]] = nn.constant dense<[1619, -8096, 4858]> : tensor<3xi32>
// CHECK-DAG: %[[X:.*]] = compress.quantize %arg0 : tensor<1x4xf32> -> tensor<1x4x!quant.uniform<u8:f32, 0.0078431377187371254:127>>
// CHECK: %[[WQ:.*]] = "quant.scast"(%[[W]]) : (tensor<4x3xi8>) -> tensor<4x3x!quant.uniform<i8<-127:127>:f32:1, {0.0078740157186985015,0.0031496062874794006,0.0078740157186985015}>>
// CHECK: %[[ACC:.*]] = compress.matmul %[[X]], %[[WQ]], %[[B]]
// CHECK: %[[Y:.*]] = compress.requantize %[[ACC]] {multipliers
// CHECK: %[[F:.*]] = compress.dequantize %[[Y]]
// CHECK: return %[[F]]
// CHECK-NOT: nn.gemm
func.func @gemm_relu(%x: tensor<1x4xf32> {compress.range = array<f64: -1.0, 1.0>}) -> tensor<1x3xf32> {
  %w = nn.constant dense<[[0.5, -0.25, 0.125, 1.0], [0.1, 0.2, 0.3, 0.4], [-1.0, 0.0, 0.5, 0.25]]> : tensor<3x4xf32>
  %b = nn.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %y = nn.gemm %x, %w, %b {transB = 1 : i64} : (tensor<1x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  %r = nn.relu %y {compress.range = array<f64: 0.0, 2.0>} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  return %r : tensor<1x3xf32>
}

// -----

// A chain stays in integers: the second conv and the residual add take the
// first conv's requantized integers directly, not a dequantize/quantize pair.
// CHECK-LABEL: func.func @conv_chain_add
// CHECK: compress.quantize %arg0
// CHECK: %[[A:.*]] = compress.requantize
// CHECK-NOT: compress.quantize
// CHECK: %[[C:.*]] = compress.conv %[[A]]
// CHECK: %[[B:.*]] = compress.requantize %[[C]]
// CHECK: %[[S:.*]] = compress.add %[[B]], %[[A]] {multipliers
// CHECK: compress.dequantize %[[S]]
// CHECK-NOT: nn.conv
// CHECK-NOT: nn.add
func.func @conv_chain_add(%x: tensor<1x2x4x4xf32> {compress.range = array<f64: -2.0, 2.0>}) -> tensor<1x2x4x4xf32> {
  %w = nn.constant dense<0.25> : tensor<2x2x3x3xf32>
  %none = nn.none
  %c1 = nn.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, none) -> tensor<1x2x4x4xf32>
  %r1 = nn.relu %c1 {compress.range = array<f64: 0.0, 4.0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c2 = nn.conv %r1, %w, %none {pads = array<i64: 1, 1, 1, 1>, compress.range = array<f64: -1.0, 8.0>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, none) -> tensor<1x2x4x4xf32>
  %s = nn.add %c2, %r1 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %r2 = nn.relu %s {compress.range = array<f64: 0.0, 10.0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %r2 : tensor<1x2x4x4xf32>
}

// -----

// Without a calibrated output range an op stays float.
// CHECK-LABEL: func.func @no_range
// CHECK-NOT: = compress.
// CHECK: nn.mat_mul
func.func @no_range(%x: tensor<2x4xf32> {compress.range = array<f64: -1.0, 1.0>}) -> tensor<2x3xf32> {
  %w = nn.constant dense<0.5> : tensor<4x3xf32>
  %y = nn.mat_mul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// ReLU6 (Clip 0..6) over a range of [-4, 6]: 0 becomes a clamp at the zero
// point (102); 6 is the storage maximum already, so no upper clamp.
// CHECK-LABEL: func.func @conv_relu6
// CHECK: compress.requantize %{{.*}} {clamp_min = 102 : i64, multipliers
// CHECK-NOT: clamp_max
// CHECK-NOT: nn.clip
func.func @conv_relu6(%x: tensor<1x2x4x4xf32> {compress.range = array<f64: -2.0, 2.0>}) -> tensor<1x2x4x4xf32> {
  %w = nn.constant dense<0.25> : tensor<2x2x3x3xf32>
  %none = nn.none
  %lo = nn.constant dense<0.0> : tensor<f32>
  %hi = nn.constant dense<6.0> : tensor<f32>
  %c = nn.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, none) -> tensor<1x2x4x4xf32>
  %r = nn.clip %c, %lo, %hi {compress.range = array<f64: -4.0, 6.0>} : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}

// -----

// Clip to [-1, 1] inside a calibrated range of [-2, 2] (scale 4/255 in float32,
// zero point 127): clamps at round(-63.75) + 127 = 63 and round(63.75) + 127 = 191.
// CHECK-LABEL: func.func @matmul_clip
// CHECK: compress.requantize %{{.*}} {clamp_max = 191 : i64, clamp_min = 63 : i64
func.func @matmul_clip(%x: tensor<2x4xf32> {compress.range = array<f64: -1.0, 1.0>}) -> tensor<2x3xf32> {
  %w = nn.constant dense<0.5> : tensor<4x3xf32>
  %lo = nn.constant dense<-1.0> : tensor<f32>
  %hi = nn.constant dense<1.0> : tensor<f32>
  %y = nn.mat_mul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %r = nn.clip %y, %lo, %hi {compress.range = array<f64: -2.0, 2.0>} : (tensor<2x3xf32>, tensor<f32>, tensor<f32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// MaxPool and Flatten of a quantized value run on its integers (uint8 here)
// and keep its type, so the Gemm after them takes those integers directly:
// one quantize (the input's) in the whole chain.
// CHECK-LABEL: func.func @pool_flatten_gemm
// CHECK: compress.quantize %arg0
// CHECK-NOT: compress.quantize
// CHECK: %[[R:.*]] = compress.requantize
// CHECK: %[[RAW:.*]] = "quant.scast"(%[[R]])
// CHECK: %[[U:.*]] = tensor.bitcast %[[RAW]] : tensor<1x2x4x4xi8> to tensor<1x2x4x4xui8>
// CHECK: %[[P:.*]] = nn.max_pool %[[U]] {{.*}} -> tensor<1x2x2x2xui8>
// CHECK: %[[F:.*]] = nn.flatten
// CHECK: compress.matmul
// CHECK-NOT: compress.quantize
func.func @pool_flatten_gemm(%x: tensor<1x2x4x4xf32> {compress.range = array<f64: -2.0, 2.0>}) -> tensor<1x3xf32> {
  %w = nn.constant dense<0.25> : tensor<2x2x3x3xf32>
  %none = nn.none
  %c = nn.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, none) -> tensor<1x2x4x4xf32>
  %r = nn.relu %c {compress.range = array<f64: 0.0, 4.0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = nn.max_pool %r {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %f = nn.flatten %p : (tensor<1x2x2x2xf32>) -> tensor<1x8xf32>
  %g = nn.constant dense<0.5> : tensor<3x8xf32>
  %y = nn.gemm %f, %g, %none {transB = 1 : i64, compress.range = array<f64: -8.0, 8.0>} : (tensor<1x8xf32>, tensor<3x8xf32>, none) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// Average pools of a quantized value run on its integers: a pool as a
// depthwise convolution with all-one weights of scale 1/count, a global pool
// as a product of [N*C, spatial] with a [spatial, 1] vector of ones, each
// requantized (here, without ranges of their own, back to the input's
// type), so the Gemm after the global pool takes integers; a pool whose
// padding is not counted stays float.
// CHECK-LABEL: func.func @average_pools
// CHECK: compress.conv %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4x!quant.uniform<u8:f32, {{.*}}>>, tensor<2x1x2x2x!quant.uniform<i8<-127:127>:f32, 2.500000e-01>> -> tensor<1x2x2x2x!quant.uniform<i32:f32, {{.*}}>>
// CHECK: compress.requantize %{{.*}} -> tensor<1x2x2x2x!quant.uniform<u8:f32, {{.*}}>>
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2, 3]] : tensor<1x2x2x2xui8> into tensor<2x4xui8>
// CHECK: compress.matmul %{{.*}} : tensor<2x4x!quant.uniform<u8:f32, {{.*}}>>, tensor<4x1x!quant.uniform<i8<-127:127>:f32, 2.500000e-01>>
// CHECK: tensor.expand_shape %{{.*}} output_shape [1, 2, 1, 1]
// CHECK: nn.average_pool %{{.*}} {kernel_shape = array<i64: 3, 3>
// CHECK-SAME: tensor<1x2x2x2xf32>
// CHECK: compress.matmul
func.func @average_pools(%x: tensor<1x2x4x4xf32> {compress.range = array<f64: -2.0, 2.0>}) -> (tensor<1x3xf32>, tensor<1x2x2x2xf32>) {
  %w = nn.constant dense<0.25> : tensor<2x2x3x3xf32>
  %none = nn.none
  %c = nn.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, none) -> tensor<1x2x4x4xf32>
  %r = nn.relu %c {compress.range = array<f64: 0.0, 4.0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %a = nn.average_pool %r {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %gap = nn.global_average_pool %a : (tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32>
  %uncounted = nn.average_pool %r {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, count_include_pad = 0 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %f = nn.flatten %gap : (tensor<1x2x1x1xf32>) -> tensor<1x2xf32>
  %g = nn.constant dense<0.5> : tensor<3x2xf32>
  %y = nn.gemm %f, %g, %none {transB = 1 : i64, compress.range = array<f64: -8.0, 8.0>} : (tensor<1x2xf32>, tensor<3x2xf32>, none) -> tensor<1x3xf32>
  return %y, %uncounted : tensor<1x3xf32>, tensor<1x2x2x2xf32>
}

// -----

// A Sigmoid of a quantized value is a lookup: ONNX Gather of a 256-entry
// uint8 table (the function quantized to [0, 1]) at the stored bytes.
// CHECK-LABEL: func.func @sigmoid_lookup
// CHECK: %[[I:.*]] = nn.cast %{{.*}} {to = 6 : i64} : (tensor<1x2x4x4xui8>) -> tensor<1x2x4x4xi32>
// CHECK: %[[G:.*]] = nn.gather %{{.*}}, %[[I]] : (tensor<256xui8>, tensor<1x2x4x4xi32>) -> tensor<1x2x4x4xui8>
// CHECK: compress.dequantize %{{.*}} : tensor<1x2x4x4x!quant.uniform<u8:f32, 0.0039215688593685627>>
// CHECK-NOT: nn.sigmoid
func.func @sigmoid_lookup(%x: tensor<1x2x4x4xf32> {compress.range = array<f64: -2.0, 2.0>}) -> tensor<1x2x4x4xf32> {
  %w = nn.constant dense<0.25> : tensor<2x2x3x3xf32>
  %none = nn.none
  %c = nn.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>, compress.range = array<f64: -4.0, 4.0>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, none) -> tensor<1x2x4x4xf32>
  %s = nn.sigmoid %c : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %s : tensor<1x2x4x4xf32>
}

// -----

// A Concat's inputs share one type. The conv that feeds only the Concat
// writes the Concat's range [-4, 4] directly (scale 8/255, zero point 127);
// the Relu that also feeds a Transpose keeps its own range [0, 2] and is
// requantized; a float input (no quantized producer) is quantized to the
// shared type. The Concat then joins integers, and the Transpose and the
// Split after it run on integers too.
// CHECK-LABEL: func.func @concat_shared_scale
// CHECK: %[[R:.*]] = compress.requantize %{{.*}} -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.0078431377187371254>>
// CHECK: %[[C:.*]] = compress.conv
// CHECK: compress.requantize %[[C]] {{.*}} -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.031372550874948502:127>>
// CHECK: compress.requantize %[[R]] {{.*}} -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.031372550874948502:127>>
// CHECK: compress.quantize %arg1 : {{.*}} -> tensor<1x1x4x4x!quant.uniform<u8:f32, 0.031372550874948502:127>>
// CHECK: nn.concat {{.*}} -> tensor<1x5x4x4xui8>
// CHECK: nn.transpose {{.*}} -> tensor<1x4x4x5xui8>
// CHECK: nn.split {{.*}} -> (tensor<1x4x4x2xui8>, tensor<1x4x4x3xui8>)
// CHECK: nn.transpose {{.*}} -> tensor<1x4x2x4xui8>
// CHECK-NOT: f32>) -> tensor
func.func @concat_shared_scale(%x: tensor<1x2x4x4xf32> {compress.range = array<f64: -2.0, 2.0>}, %z: tensor<1x1x4x4xf32>) -> (tensor<1x4x4x2xf32>, tensor<1x4x4x3xf32>, tensor<1x4x2x4xf32>) {
  %w = nn.constant dense<0.25> : tensor<2x2x3x3xf32>
  %none = nn.none
  %c1 = nn.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, none) -> tensor<1x2x4x4xf32>
  %r = nn.relu %c1 {compress.range = array<f64: 0.0, 2.0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c2 = nn.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>, compress.range = array<f64: -3.0, 3.0>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, none) -> tensor<1x2x4x4xf32>
  %j = nn.concat %c2, %r, %z {axis = 1 : i64, compress.range = array<f64: -4.0, 4.0>} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x5x4x4xf32>
  %t = nn.transpose %j {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x5x4x4xf32>) -> tensor<1x4x4x5xf32>
  %sizes = nn.constant dense<[2, 3]> : tensor<2xi64>
  %s:2 = nn.split %t, %sizes {axis = 3 : i64, num_outputs = 2 : i64} : (tensor<1x4x4x5xf32>, tensor<2xi64>) -> (tensor<1x4x4x2xf32>, tensor<1x4x4x3xf32>)
  %rt = nn.transpose %r {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x2x4xf32>
  return %s#0, %s#1, %rt : tensor<1x4x4x2xf32>, tensor<1x4x4x3xf32>, tensor<1x4x2x4xf32>
}

// -----

// A Clip from 0 followed by a Min with per-channel bounds (a ReLU6 that
// cross-layer equalization rescaled) is the conv's activation: the bounds
// 1 and 2 become the requantization's per-channel clamps (output range
// [0, 2]: zero point 0, scale 2/255 rounded up in float32, so 127 and 255).
// CHECK-LABEL: func.func @conv_channel_bounds
// CHECK: compress.requantize %{{.*}} {channel_clamp_max = array<i64: 127, 255>
// CHECK-NOT: nn.min
// CHECK-NOT: nn.clip
func.func @conv_channel_bounds(%x: tensor<1x2x4x4xf32> {compress.range = array<f64: -2.0, 2.0>}) -> tensor<1x2x4x4xf32> {
  %w = nn.constant dense<0.25> : tensor<2x2x3x3xf32>
  %none = nn.none
  %zero = nn.constant dense<0.0> : tensor<f32>
  %bounds = nn.constant dense<[[[[1.0]], [[2.0]]]]> : tensor<1x2x1x1xf32>
  %c = nn.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, none) -> tensor<1x2x4x4xf32>
  %r = nn.clip %c, %zero, %none : (tensor<1x2x4x4xf32>, tensor<f32>, none) -> tensor<1x2x4x4xf32>
  %m = nn.min %r, %bounds {compress.range = array<f64: 0.0, 2.0>} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %m : tensor<1x2x4x4xf32>
}

// -----

// An int16 layer (compress.precision) reads int16 activations, symmetric
// and bounded so that its int32 accumulator cannot overflow: 1024 inputs
// times weights all 127 (plus 512 for bias correction's term) allow
// |x| <= (2^31 - 2) / 130560 = 16448. Its output, a model output nothing
// else reads, is dequantized from the accumulator itself.
// CHECK-LABEL: func.func @int16_matmul
// CHECK: %[[X:.*]] = compress.quantize %arg0 : tensor<1x1024xf32> -> tensor<1x1024x!quant.uniform<i16<-16448:16448>:f32, 6.0797665355494246E-5>>
// CHECK: %[[ACC:.*]] = compress.matmul %[[X]]
// CHECK-NOT: compress.requantize
// CHECK: compress.dequantize %[[ACC]] {{.*}}: tensor<1x2x!quant.uniform<i32:f32:1
func.func @int16_matmul(%x: tensor<1x1024xf32> {compress.range = array<f64: -1.0, 0.5>}) -> tensor<1x2xf32> {
  %w = nn.constant dense<0.5> : tensor<1024x2xf32>
  %y = nn.mat_mul %x, %w {compress.precision = "int16", compress.range = array<f64: -512.0, 512.0>} : (tensor<1x1024xf32>, tensor<1024x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// An int16 Add reads int16 (full range: it accumulates nothing), so the
// int8 conv feeding it writes int16 there, while the conv itself reads the
// shared input as uint8; the Add's output, a model output, stays int16.
// CHECK-LABEL: func.func @int16_add
// CHECK: %[[X8:.*]] = compress.quantize %arg0 : {{.*}} -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.015686275437474251:127>>
// CHECK: %[[C:.*]] = compress.conv %[[X8]]
// CHECK: %[[Y:.*]] = compress.requantize %[[C]] {{.*}} -> tensor<1x2x4x4x!quant.uniform<i16<-32767:32767>:f32, 1.2207403779029846E-4>>
// CHECK: %[[X:.*]] = compress.quantize %arg0 : {{.*}} -> tensor<1x2x4x4x!quant.uniform<i16<-32767:32767>:f32, 6.1037018895149231E-5>>
// CHECK: %[[S:.*]] = compress.add %[[Y]], %[[X]] {clamp_min = 0 : i64
// CHECK: compress.dequantize %[[S]] {{.*}}: tensor<1x2x4x4x!quant.uniform<i16<-32767:32767>:f32
func.func @int16_add(%x: tensor<1x2x4x4xf32> {compress.range = array<f64: -2.0, 2.0>}) -> tensor<1x2x4x4xf32> {
  %w = nn.constant dense<0.25> : tensor<2x2x3x3xf32>
  %none = nn.none
  %c = nn.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>, compress.range = array<f64: -4.0, 4.0>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, none) -> tensor<1x2x4x4xf32>
  %s = nn.add %c, %x {compress.precision = "int16"} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %r = nn.relu %s {compress.range = array<f64: 0.0, 6.0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}
