// RUN: lepton-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lepton-split-reductions{min-threads=2048}))' | FileCheck %s

// The MLP's first layer at batch 1: 128 outputs of 784 products. 16 chunks
// of 49 (the most that divide 784 into chunks of at least 32 within 2048
// threads) are summed into a 16 x 1 x 128 temporary, chunk outermost, which
// a second op adds into the output.
// CHECK-LABEL: func @dense
// CHECK:         %[[A:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [1, 16, 49]
// CHECK:         %[[B:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [16, 49, 128]
// CHECK:         %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<16x1x128xf32>)
// CHECK:         %[[PARTS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME:      ins(%[[A]], %[[B]] : tensor<1x16x49xf32>, tensor<16x49x128xf32>) outs(%[[ZERO]] : tensor<16x1x128xf32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[PARTS]] : tensor<16x1x128xf32>) outs(%{{.*}} : tensor<1x128xf32>)
// CHECK:           arith.addf
func.func @dense(%x: tensor<1x784xf32>, %w: tensor<784x128xf32>, %bias: tensor<1x128xf32>) -> tensor<1x128xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<1x784xf32>, tensor<784x128xf32>) outs(%bias : tensor<1x128xf32>) -> tensor<1x128xf32>
  return %y : tensor<1x128xf32>
}

// -----

// Left whole: enough outputs already (64 x 64 >= 2048), a reduction shorter
// than 256 steps, two reduction dims (a pooling window).
// CHECK-LABEL: func @whole
// CHECK-NOT:     tensor.expand_shape
// CHECK:         linalg.matmul
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction"]
// CHECK-NOT:     linalg.generic
func.func @whole(%a: tensor<64x512xf32>, %b: tensor<512x64xf32>, %c: tensor<64x64xf32>,
                 %s: tensor<2x48xf32>, %t: tensor<2xf32>,
                 %p: tensor<8x9x9xf32>, %q: tensor<8xf32>)
    -> (tensor<64x64xf32>, tensor<2xf32>, tensor<8xf32>) {
  %0 = linalg.matmul ins(%a, %b : tensor<64x512xf32>, tensor<512x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%s : tensor<2x48xf32>) outs(%t : tensor<2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.addf %in, %out : f32
    linalg.yield %v : f32
  } -> tensor<2xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(c, h, w) -> (c, h, w)>, affine_map<(c, h, w) -> (c)>],
                       iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%p : tensor<8x9x9xf32>) outs(%q : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.maximumf %in, %out : f32
    linalg.yield %v : f32
  } -> tensor<8xf32>
  return %0, %1, %2 : tensor<64x64xf32>, tensor<2xf32>, tensor<8xf32>
}
