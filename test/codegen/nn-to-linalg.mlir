// RUN: lepton-opt %s --lepton-convert-nn-to-linalg --split-input-file | FileCheck %s

// Broadcasting: size-1 and missing dims map to constants or are dropped.
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @add_broadcast
func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  // CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK: arith.addf
  %0 = nn.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Grouped conv: the group is an explicit dim over reshaped views, the input
// is padded once, gathered into windows (im2col: [N, G, Cg, kh, kw, oh, ow])
// and multiplied with the filters as one matmul per group.
// CHECK-LABEL: func @grouped_conv
func.func @grouped_conv(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x3x3xf32> {
  // CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
  // CHECK: tensor.expand_shape {{.*}} into tensor<1x2x2x7x7xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[WINDOW:.*]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
  // CHECK-SAME: outs(%{{.*}} : tensor<1x2x2x3x3x3x3xf32>)
  // CHECK: tensor.expand_shape {{.*}} into tensor<1x2x18x9xf32>
  // CHECK: tensor.expand_shape {{.*}} into tensor<2x3x18xf32>
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
  // CHECK-SAME: outs(%{{.*}} : tensor<1x2x3x9xf32>)
  // CHECK: arith.mulf
  // CHECK: arith.addf
  // CHECK: tensor.expand_shape {{.*}} into tensor<1x6x3x3xf32>
  %0 = nn.conv %x, %w, %b {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x3x3xf32>
  return %0 : tensor<1x6x3x3xf32>
}

// -----

// A 1x1 stride-1 conv reads the input as the matmul operand directly.
// CHECK-LABEL: func @pointwise_conv
func.func @pointwise_conv(%x: tensor<1x4x5x5xf32>, %w: tensor<8x4x1x1xf32>) -> tensor<1x8x5x5xf32> {
  // CHECK-NOT: tensor.pad
  // CHECK: tensor.expand_shape {{.*}} into tensor<1x1x4x25xf32>
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
  %none = nn.none
  %0 = nn.conv %x, %w, %none : (tensor<1x4x5x5xf32>, tensor<8x4x1x1xf32>, none) -> tensor<1x8x5x5xf32>
  return %0 : tensor<1x8x5x5xf32>
}

// -----

// Depthwise: direct loops, no window buffer.
// CHECK-LABEL: func @depthwise_conv
func.func @depthwise_conv(%x: tensor<1x4x5x5xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x3x3xf32> {
  // CHECK-COUNT-1: linalg.generic
  // CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
  %none = nn.none
  %0 = nn.conv %x, %w, %none {group = 4 : i64} : (tensor<1x4x5x5xf32>, tensor<4x1x3x3xf32>, none) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// Max pooling pads with -inf; average pooling divides by per-position counts
// computed at compile time (count_include_pad = 0 here).
// CHECK-LABEL: func @pools
func.func @pools(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) {
  // CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
  // CHECK: tensor.pad
  // CHECK: tensor.yield %[[NEGINF]]
  // CHECK: arith.maximumf
  %m = nn.max_pool %x {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  // CHECK: arith.constant dense<{{\[\[\[\[}}4.000000e+00, 6.000000e+00], [6.000000e+00, 9.000000e+00]]]]> : tensor<1x1x2x2xf32>
  // CHECK: arith.divf
  %a = nn.average_pool %x {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  return %m, %a : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>
}

// -----

// Gemm with alpha = 1 accumulates onto beta * C. A transposed B is
// transposed first, so the product reads B along its rows.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func @gemm
func.func @gemm(%a: tensor<3x2xf32>, %b: tensor<4x3xf32>, %c: tensor<4xf32>) -> tensor<2x4xf32> {
  // CHECK: %[[INIT:.*]] = linalg.generic
  // CHECK: %[[BETA:.*]] = arith.constant 5.000000e-01 : f32
  // CHECK: arith.mulf %{{.*}}, %[[BETA]]
  // CHECK: %[[BT:.*]] = linalg.transpose ins(%{{.*}} : tensor<4x3xf32>) outs(%{{.*}} : tensor<3x4xf32>) permutation = [1, 0]
  // CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], {{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
  // CHECK-SAME: ins(%{{.*}}, %[[BT]] :
  // CHECK-SAME: outs(%[[INIT]]
  %0 = nn.gemm %a, %b, %c {beta = 0.5 : f32, transA = 1 : i64, transB = 1 : i64}
      : (tensor<3x2xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Constant weights are transposed at compile time.
// CHECK-LABEL: func @gemm_constant_weights
func.func @gemm_constant_weights(%a: tensor<1x3xf32>) -> tensor<1x2xf32> {
  // CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
  // CHECK-NOT: linalg.transpose
  // CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[W]] :
  %w = nn.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %none = nn.none
  %0 = nn.gemm %a, %w, %none {transB = 1 : i64} : (tensor<1x3xf32>, tensor<2x3xf32>, none) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// -----

// Reshapes are views: collapse to 1-D, then expand.
// CHECK-LABEL: func @reshape
func.func @reshape(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  // CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : tensor<2x3x4xf32> into tensor<24xf32>
  // CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [4, 6] : tensor<24xf32> into tensor<4x6xf32>
  %s = nn.constant dense<[4, 6]> : tensor<2xi64>
  %0 = nn.reshape %x, %s : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

// Softmax: max-subtracted exponentials normalised along the axis.
// CHECK-LABEL: func @softmax
func.func @softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
  // CHECK: arith.maximumf
  // CHECK: math.exp
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
  // CHECK: arith.addf
  // CHECK: arith.divf
  %0 = nn.softmax %x {axis = 1 : i64} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// Comparisons give i1; integer Mod follows the divisor's sign (fmod = 0).
// CHECK-LABEL: func @compare_mod
func.func @compare_mod(%a: tensor<4xi32>, %b: tensor<4xi32>) -> (tensor<4xi1>, tensor<4xi32>) {
  // CHECK: arith.cmpi sge
  %0 = nn.greater_or_equal %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  // CHECK: arith.remsi
  // CHECK: arith.xori
  // CHECK: arith.select
  %1 = nn.mod %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0, %1 : tensor<4xi1>, tensor<4xi32>
}

// -----

// CHECK-LABEL: func @hard_swish
func.func @hard_swish(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: arith.minimumf
  // CHECK: arith.maximumf
  // CHECK: arith.mulf
  %0 = nn.hard_swish %x : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Reductions keep the reduced dims as size 1, then drop them unless keepdims.
// CHECK-LABEL: func @reduce_mean
func.func @reduce_mean(%x: tensor<2x3x4xf32>) -> tensor<2x4xf32> {
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
  // CHECK: arith.addf
  // CHECK: arith.constant 3.000000e+00
  // CHECK: arith.divf
  // CHECK: tensor.expand_shape {{.*}} into tensor<2x4xf32>
  %axes = nn.constant dense<[-2]> : tensor<1xi64>
  %0 = nn.reduce_mean %x, %axes {keepdims = 0 : i64} : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// ArgMax carries (value, index) through one reduction; select_last_index
// turns the strict comparison into a non-strict one.
// CHECK-LABEL: func @arg_max
func.func @arg_max(%x: tensor<3x4xf32>) -> tensor<3x1xi64> {
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
  // CHECK: linalg.index 1
  // CHECK: arith.cmpf oge
  // CHECK: arith.select
  %0 = nn.arg_max %x {axis = 1 : i64, select_last_index = 1 : i64} : (tensor<3x4xf32>) -> tensor<3x1xi64>
  return %0 : tensor<3x1xi64>
}

// -----

// Casts: float -> int truncates, bool -> float is 0/1.
// CHECK-LABEL: func @casts
func.func @casts(%x: tensor<4xf32>, %b: tensor<4xi1>) -> (tensor<4xi32>, tensor<4xf32>) {
  // CHECK: arith.fptosi
  %0 = nn.cast %x {to = 6 : i64} : (tensor<4xf32>) -> tensor<4xi32>
  // CHECK: arith.uitofp
  %1 = nn.cast %b {to = 1 : i64} : (tensor<4xi1>) -> tensor<4xf32>
  return %0, %1 : tensor<4xi32>, tensor<4xf32>
}

// -----

// Gather reads data through tensor.extract at a wrapped, clamped index.
// CHECK-LABEL: func @gather
func.func @gather(%d: tensor<5x3xf32>, %i: tensor<2xi64>) -> tensor<2x3xf32> {
  // CHECK: linalg.generic
  // CHECK: arith.index_cast
  // CHECK: arith.select
  // CHECK: arith.minsi
  // CHECK: tensor.extract %arg0
  %0 = nn.gather %d, %i : (tensor<5x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Trilu compares j - i with k, which may be a run-time value.
// CHECK-LABEL: func @trilu
func.func @trilu(%x: tensor<3x4xf32>, %k: tensor<i64>) -> tensor<3x4xf32> {
  // CHECK: tensor.extract %arg1
  // CHECK: linalg.index 1
  // CHECK: linalg.index 0
  // CHECK: arith.cmpi sle
  %0 = nn.trilu %x, %k {upper = 0 : i64} : (tensor<3x4xf32>, tensor<i64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// DepthToSpace (DCR): a 6-D view, a transpose, a 4-D view.
// CHECK-LABEL: func @depth_to_space
func.func @depth_to_space(%x: tensor<1x8x2x3xf32>) -> tensor<1x2x4x6xf32> {
  // CHECK: tensor.expand_shape {{.*}} into tensor<1x2x2x2x2x3xf32>
  // CHECK: linalg.transpose {{.*}} permutation = [0, 3, 4, 1, 5, 2]
  // CHECK: tensor.expand_shape {{.*}} into tensor<1x2x4x6xf32>
  %0 = nn.depth_to_space %x {blocksize = 2 : i64} : (tensor<1x8x2x3xf32>) -> tensor<1x2x4x6xf32>
  return %0 : tensor<1x2x4x6xf32>
}

// -----

// Tile reads the input modulo its dims; Expand is a broadcast copy.
// CHECK-DAG: #[[MOD:.*]] = affine_map<(d0, d1) -> (d0 mod 2, d1 mod 3)>
// CHECK-LABEL: func @tile_expand
func.func @tile_expand(%x: tensor<2x3xf32>, %r: tensor<2xi64>, %y: tensor<1x3xf32>) -> (tensor<4x9xf32>, tensor<5x3xf32>) {
  // CHECK: linalg.generic {indexing_maps = [#[[MOD]], {{.*}}]
  %0 = nn.tile %x, %r : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x9xf32>
  %s = nn.constant dense<[5, 3]> : tensor<2xi64>
  // CHECK: linalg.generic
  %1 = nn.expand %y, %s : (tensor<1x3xf32>, tensor<2xi64>) -> tensor<5x3xf32>
  return %0, %1 : tensor<4x9xf32>, tensor<5x3xf32>
}

// -----

// Split and positive-step Slice are views; a negative step reads through
// tensor.extract at start + i * step.
// CHECK-LABEL: func @split_slice
func.func @split_slice(%x: tensor<6x4xf32>) -> (tensor<2x4xf32>, tensor<4x4xf32>, tensor<3x2xf32>) {
  %split = nn.constant dense<[2, 4]> : tensor<2xi64>
  // CHECK: tensor.extract_slice %{{.*}}[0, 0] [2, 4] [1, 1]
  // CHECK: tensor.extract_slice %{{.*}}[2, 0] [4, 4] [1, 1]
  %0:2 = nn.split %x, %split {num_outputs = 2 : i64} : (tensor<6x4xf32>, tensor<2xi64>) -> (tensor<2x4xf32>, tensor<4x4xf32>)
  %starts = nn.constant dense<[5, 1]> : tensor<2xi64>
  %ends = nn.constant dense<[0, 4]> : tensor<2xi64>
  %steps = nn.constant dense<[-2, 2]> : tensor<2xi64>
  %none = nn.none
  // CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
  // CHECK-DAG: %[[CM2:.*]] = arith.constant -2 : index
  // CHECK: linalg.generic
  // CHECK: %[[AT:.*]] = arith.muli %{{.*}}, %[[CM2]]
  // CHECK: arith.addi %[[C5]], %[[AT]]
  // CHECK: tensor.extract
  %1 = nn.slice %x, %starts, %ends, %none, %steps : (tensor<6x4xf32>, tensor<2xi64>, tensor<2xi64>, none, tensor<2xi64>) -> tensor<3x2xf32>
  return %0#0, %0#1, %1 : tensor<2x4xf32>, tensor<4x4xf32>, tensor<3x2xf32>
}

// -----

// Shape-setting operands known only at run time, with static result types
// (from ONNX shape inference or the declared outputs): Slice computes start
// and step per dim at run time, Pad reads at the position less the run-time
// leading pad, a run-time reduction axis picks one of the reductions that
// give the result shape, and Squeeze is a reshape.
// CHECK-LABEL: func @run_time_shape_operands
func.func @run_time_shape_operands(%x: tensor<4x6xf32>, %starts: tensor<1xi64>, %ends: tensor<1xi64>,
                                   %axes: tensor<1xi64>, %steps: tensor<1xi64>, %pads: tensor<4xi64>,
                                   %y: tensor<1x6xf32>, %z: tensor<4x4xf32>)
    -> (tensor<4x2xf32>, tensor<5x9xf32>, tensor<4xf32>, tensor<6xf32>) {
  // CHECK: tensor.extract %{{.*}}[%{{.*}}] : tensor<1xi64>
  // CHECK: arith.select
  // CHECK: linalg.generic
  // CHECK: arith.maxsi
  // CHECK: arith.minsi
  // CHECK: tensor.extract %{{.*}} : tensor<4x6xf32>
  %0 = nn.slice %x, %starts, %ends, %axes, %steps : (tensor<4x6xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x2xf32>
  %none = nn.none
  // CHECK: linalg.generic
  // CHECK: arith.subi
  // CHECK: arith.andi
  // CHECK: tensor.extract %{{.*}} : tensor<4x6xf32>
  // CHECK: arith.select
  %1 = nn.pad %x, %pads, %none {mode = "constant"} : (tensor<4x6xf32>, tensor<4xi64>, none) -> tensor<5x9xf32>
  // CHECK: arith.shli
  // CHECK: scf.index_switch
  // CHECK: case 2
  // CHECK: iterator_types = ["parallel", "reduction"]
  // CHECK: default
  // CHECK: iterator_types = ["reduction", "parallel"]
  %2 = nn.reduce_sum %z, %axes {keepdims = 0 : i64} : (tensor<4x4xf32>, tensor<1xi64>) -> tensor<4xf32>
  // CHECK: tensor.collapse_shape
  %3 = nn.squeeze %y, %axes : (tensor<1x6xf32>, tensor<1xi64>) -> tensor<6xf32>
  return %0, %1, %2, %3 : tensor<4x2xf32>, tensor<5x9xf32>, tensor<4xf32>, tensor<6xf32>
}

// -----

// TopK: a rank per element (a reduction over the axis), then a selection of
// rank k for each output slot, both with the element's index.
// CHECK-LABEL: func @top_k
func.func @top_k(%x: tensor<3x5xf32>) -> (tensor<3x2xf32>, tensor<3x2xi64>) {
  %k = nn.constant dense<2> : tensor<1xi64>
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
  // CHECK: arith.cmpf ogt
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
  // CHECK-SAME: outs(%{{.*}}, %{{.*}} : tensor<3x2xf32>, tensor<3x2xi64>)
  %0:2 = nn.top_k %x, %k : (tensor<3x5xf32>, tensor<1xi64>) -> (tensor<3x2xf32>, tensor<3x2xi64>)
  return %0#0, %0#1 : tensor<3x2xf32>, tensor<3x2xi64>
}

// -----

// Gathers read data through tensor.extract at wrapped, clamped indices;
// scatters are scf.for nests over a copy of data, combining per reduction.
// CHECK-LABEL: func @gather_scatter
func.func @gather_scatter(%x: tensor<3x4xf32>, %i: tensor<3x2xi64>, %u: tensor<3x2xf32>, %nd: tensor<2x1xi64>, %v: tensor<2x4xf32>) -> (tensor<3x2xf32>, tensor<3x4xf32>, tensor<2x4xf32>, tensor<3x4xf32>) {
  // CHECK: linalg.generic
  // CHECK: arith.minsi
  // CHECK: tensor.extract %arg0
  %0 = nn.gather_elements %x, %i {axis = 1 : i64} : (tensor<3x4xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
  // CHECK: scf.for
  // CHECK: scf.for
  // CHECK: arith.addf
  // CHECK: tensor.insert
  %1 = nn.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = "add"} : (tensor<3x4xf32>, tensor<3x2xi64>, tensor<3x2xf32>) -> tensor<3x4xf32>
  // CHECK: linalg.generic
  // CHECK: tensor.extract %arg3
  %2 = nn.gather_nd %x, %nd : (tensor<3x4xf32>, tensor<2x1xi64>) -> tensor<2x4xf32>
  // CHECK: scf.for
  // CHECK: tensor.insert
  %3 = nn.scatter_nd %x, %nd, %v : (tensor<3x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<3x4xf32>
  return %0, %1, %2, %3 : tensor<3x2xf32>, tensor<3x4xf32>, tensor<2x4xf32>, tensor<3x4xf32>
}

// -----

// SoftmaxCrossEntropyLoss is LogSoftmax over the classes, then the NLL loss:
// per-element losses and weights (ignore_index zeroes both), summed, divided.
// CHECK-LABEL: func @softmax_cross_entropy
func.func @softmax_cross_entropy(%x: tensor<3x5xf32>, %y: tensor<3xi64>) -> (tensor<f32>, tensor<3x5xf32>) {
  %none = nn.none
  // CHECK: math.log
  // CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<3xi64>) outs({{.*}} : tensor<3xf32>, tensor<3xf32>)
  // CHECK: arith.cmpi eq
  // CHECK: arith.negf
  // CHECK: arith.divf
  %0:2 = nn.softmax_cross_entropy_loss %x, %y, %none {ignore_index = 2 : i64} : (tensor<3x5xf32>, tensor<3xi64>, none) -> (tensor<f32>, tensor<3x5xf32>)
  return %0#0, %0#1 : tensor<f32>, tensor<3x5xf32>
}

// -----

// Unsigned tensors become signless, with unsigned arithmetic; the function
// signature follows.
// CHECK-LABEL: func @unsigned(%arg0: tensor<3xi8>, %arg1: tensor<3xi8>) -> (tensor<3xi8>, tensor<3xi8>, tensor<3xf32>, tensor<3xi8>)
func.func @unsigned(%a: tensor<3xui8>, %b: tensor<3xui8>) -> (tensor<3xui8>, tensor<3xui8>, tensor<3xf32>, tensor<3xui8>) {
  // CHECK: arith.divui
  %0 = nn.div %a, %b : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  // CHECK: arith.maxui
  %1 = nn.max %a, %b : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  // CHECK: arith.uitofp
  %2 = nn.cast %a {to = 1 : i64} : (tensor<3xui8>) -> tensor<3xf32>
  // CHECK: arith.shrui
  // CHECK: arith.cmpi uge
  %3 = nn.bit_shift %a, %b {direction = "RIGHT"} : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  return %0, %1, %2, %3 : tensor<3xui8>, tensor<3xui8>, tensor<3xf32>, tensor<3xui8>
}

// -----

// Integer Pow is exact: binary exponentiation over the exponent's bits.
// CHECK-LABEL: func @integer_pow
func.func @integer_pow(%a: tensor<3xi32>, %b: tensor<3xi64>) -> tensor<3xi32> {
  // CHECK: arith.trunci {{.*}} : i64 to i32
  // CHECK: scf.for {{.*}} iter_args
  // CHECK: arith.muli
  // CHECK: arith.shrui
  %0 = nn.pow %a, %b : (tensor<3xi32>, tensor<3xi64>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// ConvTranspose: the input is spread by the strides into a zero buffer, then
// convolved with the flipped kernel (a W map of K - 1 - k).
// CHECK-DAG: #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d5, d2, -d6 + 2, -d7 + 2)>
// CHECK-LABEL: func @conv_transpose
func.func @conv_transpose(%x: tensor<1x1x3x3xf32>, %w: tensor<1x2x3x3xf32>) -> tensor<1x2x7x7xf32> {
  %none = nn.none
  // CHECK: tensor.insert_slice %arg0 into %{{.*}}[0, 0, 2, 2] [1, 1, 3, 3] [1, 1, 2, 2] : tensor<1x1x3x3xf32> into tensor<1x1x9x9xf32>
  // CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[FLIP]], #{{.*}}, #{{.*}}]
  %0 = nn.conv_transpose %x, %w, %none {strides = array<i64: 2, 2>} : (tensor<1x1x3x3xf32>, tensor<1x2x3x3xf32>, none) -> tensor<1x2x7x7xf32>
  return %0 : tensor<1x2x7x7xf32>
}

// -----

// CumSum with a run-time axis: one loop nest per axis, picked by
// scf.index_switch (axis 0 in the default region).
// CHECK-LABEL: func @cum_sum
func.func @cum_sum(%x: tensor<2x3xf32>, %axis: tensor<i32>) -> (tensor<2x3xf32>, tensor<4x5xf32>) {
  // CHECK: scf.index_switch
  // CHECK: case 1 {
  // CHECK: arith.cmpi ule
  // CHECK: default {
  %0 = nn.cum_sum %x, %axis : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x3xf32>
  %m = nn.constant dense<0> : tensor<4x5xi32>
  // CHECK: linalg.generic
  // CHECK: arith.select
  %1 = nn.eye_like %m {dtype = 1 : i64, k = 1 : i64} : (tensor<4x5xi32>) -> tensor<4x5xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<4x5xf32>
}

// -----

// Reflect padding mirrors positions before the start (-p) and past the end
// (2(n-1) - p), then reads the input.
// CHECK-LABEL: func @pad_reflect
func.func @pad_reflect(%x: tensor<3x4xf32>) -> tensor<3x7xf32> {
  %pads = nn.constant dense<[0, 2, 0, 1]> : tensor<4xi64>
  %none = nn.none
  // CHECK: linalg.generic
  // CHECK: arith.constant 6 : index
  // CHECK: tensor.extract %arg0
  %0 = nn.pad %x, %pads, %none {mode = "reflect"} : (tensor<3x4xf32>, tensor<4xi64>, none) -> tensor<3x7xf32>
  return %0 : tensor<3x7xf32>
}

// -----

// Einsum is one generic over the equation's loops; a repeated index in one
// input (a diagonal) reads through the same loop twice.
// CHECK-DAG: #[[DIAG:.*]] = affine_map<(d0, d1) -> (d0, d1, d1)>
// CHECK-DAG: #[[BATCH:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @einsum
func.func @einsum(%x: tensor<2x3x3xf32>) -> tensor<2x3xf32> {
  // CHECK: linalg.generic {indexing_maps = [#[[DIAG]], #[[BATCH]]], iterator_types = ["parallel", "parallel"]}
  %0 = nn.einsum %x {equation = "bii->bi"} : (tensor<2x3x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Quantized ops widen each integer operand by its own signedness (uint8 A,
// int8 B) before subtracting the zero point; requantization rounds half to
// even and saturates.
// CHECK-LABEL: func @quantized
func.func @quantized(%a: tensor<2x4xui8>, %b: tensor<4x3xi8>, %azp: tensor<ui8>, %bzp: tensor<i8>,
                     %x: tensor<2x3xf32>, %s: tensor<3xf32>, %zp: tensor<3xi8>)
    -> (tensor<2x3xi32>, tensor<2x3xi8>) {
  // CHECK: arith.extui %{{.*}} : i8 to i32
  // CHECK: arith.extui %{{.*}} : i8 to i32
  // CHECK: arith.subi
  // CHECK: arith.extsi %{{.*}} : i8 to i32
  // CHECK: arith.extsi %{{.*}} : i8 to i32
  // CHECK: arith.subi
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
  // CHECK: arith.muli
  %0 = nn.mat_mul_integer %a, %b, %azp, %bzp : (tensor<2x4xui8>, tensor<4x3xi8>, tensor<ui8>, tensor<i8>) -> tensor<2x3xi32>
  // CHECK: arith.divf
  // CHECK: math.roundeven
  // CHECK: arith.maximumf
  // CHECK: arith.minimumf
  // CHECK: arith.fptosi
  %1 = nn.quantize_linear %x, %s, %zp : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xi8>) -> tensor<2x3xi8>
  return %0, %1 : tensor<2x3xi32>, tensor<2x3xi8>
}

// -----

// OneHot compares the wrapped index with the position along the axis.
// CHECK-LABEL: func @one_hot
func.func @one_hot(%i: tensor<3xi64>, %values: tensor<2xf32>) -> tensor<3x5xf32> {
  %depth = nn.constant dense<5> : tensor<i64>
  // CHECK: linalg.generic
  // CHECK: arith.cmpi slt
  // CHECK: arith.cmpi eq
  // CHECK: arith.select
  %0 = nn.one_hot %i, %depth, %values : (tensor<3xi64>, tensor<i64>, tensor<2xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}


// -----

// Resize maps each output index of a resized dim back to an f64 source
// coordinate, then sums weighted taps: 2 x 2 for bilinear over H and W; the
// unresized N and C dims read straight through.
// CHECK-LABEL: func @resize_linear
func.func @resize_linear(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %none = nn.none
  %scales = nn.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.floor
  // CHECK: math.floor
  // CHECK-COUNT-4: tensor.extract %{{.*}} : tensor<1x1x2x2xf32>
  // CHECK: arith.truncf
  %0 = nn.resize %x, %none, %scales, %none {mode = "linear"} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// ReverseSequence reads step len[b] - 1 - t while t < len[b]; MVN is two
// means and one elementwise normalization.
// CHECK-LABEL: func @reverse_sequence_mvn
func.func @reverse_sequence_mvn(%x: tensor<4x2x3xf32>, %lens: tensor<2xi64>, %y: tensor<2x3x4x4xf32>)
    -> (tensor<4x2x3xf32>, tensor<2x3x4x4xf32>) {
  // CHECK: linalg.generic
  // CHECK: tensor.extract %{{.*}}[%{{.*}}] : tensor<2xi64>
  // CHECK: arith.cmpi slt
  // CHECK: arith.select
  // CHECK: tensor.extract %{{.*}} : tensor<4x2x3xf32>
  %0 = nn.reverse_sequence %x, %lens : (tensor<4x2x3xf32>, tensor<2xi64>) -> tensor<4x2x3xf32>
  // CHECK: iterator_types = ["reduction", "parallel", "reduction", "reduction"]
  // CHECK: iterator_types = ["reduction", "parallel", "reduction", "reduction"]
  // CHECK: math.sqrt
  %1 = nn.mean_variance_normalization %y : (tensor<2x3x4x4xf32>) -> tensor<2x3x4x4xf32>
  return %0, %1 : tensor<4x2x3xf32>, tensor<2x3x4x4xf32>
}

// -----

// A recurrent layer: the input projection of every step is one matmul before
// an scf.for over the steps, which carries the state and Y; the new state is
// copied into the carried tensor so bufferization keeps it in place.
// CHECK-LABEL: func @lstm
func.func @lstm(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>)
    -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) {
  %none = nn.none
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
  // CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
  // CHECK: math.tanh
  // CHECK: tensor.insert_slice
  // CHECK: linalg.copy
  // CHECK: linalg.copy
  // CHECK: scf.yield
  %0:3 = nn.lstm %x, %w, %r, %none, %none, %none, %none, %none {hidden_size = 4 : i64}
      : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, none, none, none, none, none)
      -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return %0#0, %0#1, %0#2 : tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
}

// -----

// Data-dependent selections write in order inside loops over the input; the
// result type fixes the count, and slots past it are clamped.
// CHECK-LABEL: func @selections
func.func @selections(%x: tensor<3x2xf32>, %cond: tensor<3xi1>, %v: tensor<1x1x2x2xf32>, %i: tensor<1x1x2x2xi64>)
    -> (tensor<2x2xf32>, tensor<2x4xi64>, tensor<1x1x4x4xf32>) {
  %none = nn.none
  // CHECK: scf.for
  // CHECK: arith.extui %{{.*}} : i1 to i64
  // CHECK: linalg.generic
  %0 = nn.compress %x, %cond {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<2x2xf32>
  // CHECK: scf.for
  // CHECK: scf.for
  // CHECK: arith.cmpf une
  %1 = nn.non_zero %x : (tensor<3x2xf32>) -> tensor<2x4xi64>
  // CHECK: arith.remsi
  // CHECK: arith.divsi
  // CHECK: tensor.insert
  %2 = nn.max_unpool %v, %i, %none {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}
      : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>, none) -> tensor<1x1x4x4xf32>
  return %0, %1, %2 : tensor<2x2xf32>, tensor<2x4xi64>, tensor<1x1x4x4xf32>
}

// -----

// MaxPool with Indices carries (max, flat index) through one reduction;
// training-mode BatchNormalization also returns the moved running statistics.
// CHECK-LABEL: func @pool_indices_bn_training
func.func @pool_indices_bn_training(%x: tensor<1x1x4x4xf32>, %p: tensor<1xf32>)
    -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>, tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>) {
  // CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
  // CHECK: arith.cmpf ogt
  %0:2 = nn.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, indices_output = true}
      : (tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
  // CHECK: iterator_types = ["reduction", "parallel", "reduction", "reduction"]
  // CHECK: math.sqrt
  %1:3 = nn.batch_normalization %x, %p, %p, %p, %p {training_mode = 1 : i64}
      : (tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>)
      -> (tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>)
  return %0#0, %0#1, %1#0, %1#1, %1#2 : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>, tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>
}

// -----

// DFT sums x[n] e^(-2 pi i k n / N) with k n reduced mod N; Det eliminates
// with partial pivoting in f64 loops.
// CHECK-LABEL: func @dft_det
func.func @dft_det(%x: tensor<1x8x1xf32>, %m: tensor<2x3x3xf32>) -> (tensor<1x8x2xf32>, tensor<2xf32>) {
  %none = nn.none
  // CHECK: arith.remui
  // CHECK: math.cos
  // CHECK: math.sin
  %0 = nn.dft %x, %none : (tensor<1x8x1xf32>, none) -> tensor<1x8x2xf32>
  // CHECK: math.absf
  // CHECK: arith.divf
  %1 = nn.det %m : (tensor<2x3x3xf32>) -> tensor<2xf32>
  return %0, %1 : tensor<1x8x2xf32>, tensor<2xf32>
}

// -----

// Optimizers update each tensor elementwise; Adam's bias correction uses f64.
// CHECK-LABEL: func @adam
func.func @adam(%r: tensor<f32>, %t: tensor<i64>, %x: tensor<3xf32>, %g: tensor<3xf32>, %v: tensor<3xf32>, %h: tensor<3xf32>)
    -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  // CHECK: math.powf %{{.*}}, %{{.*}} : f64
  // CHECK: linalg.generic
  // CHECK: math.sqrt
  %0:3 = nn.adam %r, %t, %x, %g, %v, %h : (tensor<f32>, tensor<i64>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %0#0, %0#1, %0#2 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// NonMaxSuppression: per batch and class, loops pick the best open box and
// keep it unless a kept box overlaps it by more than the IoU threshold.
// CHECK-LABEL: func @nms
func.func @nms(%boxes: tensor<1x6x4xf32>, %scores: tensor<1x1x6xf32>, %max: tensor<1xi64>, %iou: tensor<1xf32>)
    -> tensor<3x3xi64> {
  %none = nn.none
  // CHECK: scf.for
  // CHECK: arith.cmpf ogt
  // CHECK: arith.divf
  // CHECK: arith.cmpi slt
  // CHECK: tensor.insert
  %0 = nn.non_max_suppression %boxes, %scores, %max, %iou, %none
      : (tensor<1x6x4xf32>, tensor<1x1x6xf32>, tensor<1xi64>, tensor<1xf32>, none) -> tensor<3x3xi64>
  return %0 : tensor<3x3xi64>
}

// -----

// Gelu (exact: erf; tanh approximation) and GroupNormalization over a
// [N, G, C/G * spatial] view with per-group scale and bias.
// CHECK-LABEL: func @gelu_group_norm
func.func @gelu_group_norm(%x: tensor<2x6x4xf32>, %p: tensor<3xf32>)
    -> (tensor<2x6x4xf32>, tensor<2x6x4xf32>, tensor<2x6x4xf32>) {
  // CHECK: math.erf
  %0 = nn.gelu %x : (tensor<2x6x4xf32>) -> tensor<2x6x4xf32>
  // CHECK: math.tanh
  %1 = nn.gelu %x {approximate = "tanh"} : (tensor<2x6x4xf32>) -> tensor<2x6x4xf32>
  // CHECK: tensor.collapse_shape %{{.*}} : tensor<2x6x4xf32> into tensor<48xf32>
  // CHECK: tensor.expand_shape %{{.*}} output_shape [2, 3, 8]
  // CHECK: iterator_types = ["parallel", "parallel", "reduction"]
  // CHECK: math.sqrt
  %2 = nn.group_normalization %x, %p, %p {num_groups = 3 : i64}
      : (tensor<2x6x4xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x6x4xf32>
  return %0, %1, %2 : tensor<2x6x4xf32>, tensor<2x6x4xf32>, tensor<2x6x4xf32>
}
