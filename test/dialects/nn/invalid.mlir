// RUN: lepton-opt %s --split-input-file --verify-diagnostics

func.func @bad_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{are not broadcast-compatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @mixed_types(%a: tensor<2xf32>, %b: tensor<2xi32>) -> tensor<2xf32> {
  // expected-error @+2 {{operand element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.mul %a, %b : (tensor<2xf32>, tensor<2xi32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @wrong_result(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.add %a, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %none = nn.none
  // expected-error @+2 {{X has 3 channels but W expects 2 x group 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w, %none : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>, none) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_strides(%x: tensor<1x2x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %none = nn.none
  // expected-error @+2 {{strides must have 2 entries, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w, %none {strides = array<i64: 1, 1, 1>} : (tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>, none) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @pool_window(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32> {
  // expected-error @+2 {{the window is larger than the padded input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max_pool %x {kernel_shape = array<i64: 3, 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32>
  return %0 : tensor<1x2x1x1xf32>
}

// -----

func.func @pool_auto_pad(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error @+2 {{unknown auto_pad 'SOMETIMES'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.average_pool %x {auto_pad = "SOMETIMES", kernel_shape = array<i64: 3, 3>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

func.func @gemm_inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %none = nn.none
  // expected-error @+2 {{inner dimensions differ: 3 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gemm %a, %b, %none : (tensor<2x3xf32>, tensor<4x5xf32>, none) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<5x4x6xf32>) -> tensor<2x3x6xf32> {
  // expected-error @+2 {{batch dimensions do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.mat_mul %a, %b : (tensor<2x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x3x6xf32>
  return %0 : tensor<2x3x6xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<4x2xf32> {
  %s = nn.constant dense<[4, 2]> : tensor<2xi64>
  // expected-error @+2 {{the shape has 8 elements but the input has 6}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{perm is not a permutation}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.transpose %x {perm = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @concat_axis(%x: tensor<2x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+2 {{axis is out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat %x, %x {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @clip_bound(%x: tensor<2x3xf32>, %lo: tensor<2xf32>) -> tensor<2x3xf32> {
  %none = nn.none
  // expected-error @+1 {{min must be a scalar}}
  %0 = nn.clip %x, %lo, %none : (tensor<2x3xf32>, tensor<2xf32>, none) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @dropout_training(%x: tensor<2xf32>) -> tensor<2xf32> {
  %none = nn.none
  %t = nn.constant dense<true> : tensor<i1>
  // expected-error @+1 {{training mode is not supported}}
  %0, %mask = nn.dropout %x, %none, %t : (tensor<2xf32>, none, tensor<i1>) -> (tensor<2xf32>, tensor<2xi1>)
  return %0 : tensor<2xf32>
}

// -----

func.func @flatten_axis(%x: tensor<2x3xf32>) -> tensor<6x1xf32> {
  // expected-error @+2 {{axis 3 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.flatten %x {axis = 3 : i64} : (tensor<2x3xf32>) -> tensor<6x1xf32>
  return %0 : tensor<6x1xf32>
}

// -----

func.func @pad_mode(%x: tensor<2xf32>) -> tensor<4xf32> {
  %p = nn.constant dense<[1, 1]> : tensor<2xi64>
  %none = nn.none
  // expected-error @+2 {{unknown mode 'wrap'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pad %x, %p, %none {mode = "wrap"} : (tensor<2xf32>, tensor<2xi64>, none) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @where_condition(%c: tensor<2xf32>, %x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{condition must be a bool tensor}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.where %c, %x, %x : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @reduce_axis(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %axes = nn.constant dense<[2]> : tensor<1xi64>
  // expected-error @+2 {{axis 2 is out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce_sum %x, %axes {keepdims = 0 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @split_sizes(%x: tensor<5xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %split = nn.constant dense<[2, 2]> : tensor<2xi64>
  // expected-error @+2 {{split sizes do not add up to dim 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = nn.split %x, %split {num_outputs = 2 : i64} : (tensor<5xf32>, tensor<2xi64>) -> (tensor<2xf32>, tensor<2xf32>)
  return %0#0, %0#1 : tensor<2xf32>, tensor<2xf32>
}

// -----

func.func @slice_step(%x: tensor<5xf32>) -> tensor<5xf32> {
  %c = nn.constant dense<[0]> : tensor<1xi64>
  %none = nn.none
  // expected-error @+2 {{step 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %x, %c, %c, %none, %c : (tensor<5xf32>, tensor<1xi64>, tensor<1xi64>, none, tensor<1xi64>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @top_k_range(%x: tensor<5xf32>) -> (tensor<6xf32>, tensor<6xi64>) {
  %k = nn.constant dense<6> : tensor<1xi64>
  // expected-error @+2 {{K=6 is out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = nn.top_k %x, %k : (tensor<5xf32>, tensor<1xi64>) -> (tensor<6xf32>, tensor<6xi64>)
  return %0#0, %0#1 : tensor<6xf32>, tensor<6xi64>
}

// -----

func.func @loss_reduction(%x: tensor<3x5xf32>, %y: tensor<3xi64>) -> tensor<f32> {
  %none = nn.none
  // expected-error @+2 {{unknown reduction 'max'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.negative_log_likelihood_loss %x, %y, %none {reduction = "max"} : (tensor<3x5xf32>, tensor<3xi64>, none) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @gather_nd_fit(%x: tensor<3x4xf32>, %i: tensor<2x3xi64>) -> tensor<2xf32> {
  // expected-error @+2 {{indices do not fit data (batch_dims 0)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gather_nd %x, %i : (tensor<3x4xf32>, tensor<2x3xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @einsum_terms(%a: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{equation 'ij,jk->i': 2 terms for 1 inputs}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.einsum %a {equation = "ij,jk->i"} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @einsum_dims(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{dims 3 and 4 disagree}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.einsum %a, %b {equation = "ij,jk->ik"} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @quantize_per_axis(%x: tensor<2x3xf32>, %s: tensor<4xf32>) -> tensor<2x3xui8> {
  %none = nn.none
  // expected-error @+2 {{y_scale must be a scalar or a 1-D tensor along axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.quantize_linear %x, %s, %none : (tensor<2x3xf32>, tensor<4xf32>, none) -> tensor<2x3xui8>
  return %0 : tensor<2x3xui8>
}
