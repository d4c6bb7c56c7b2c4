// RUN: lepton-opt %s --lepton-vectorize-contractions --split-input-file | FileCheck %s
// RUN: lepton-opt %s --lepton-vectorize-contractions="vector-bits=512 vector-registers=32 int8-dot=llvm.x86.avx512.vpdpbusd.512" --split-input-file | FileCheck %s --check-prefix=DOT
// RUN: lepton-opt %s --lepton-vectorize-contractions="word-dot=llvm.x86.avx2.pmadd.wd" --split-input-file | FileCheck %s --check-prefix=WORD
// RUN: lepton-opt %s --lepton-vectorize-contractions="vector-bits=512 vector-registers=32 int8-dot=llvm.x86.avx512.vpdpbusd.512 word-dot=llvm.x86.avx512.pmaddw.d.512" --split-input-file | FileCheck %s --check-prefix=BOTH

#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>

// An int8 convolution in im2col form as the compress lowering writes it:
// signed weights A [M, K] times unsigned bytes B [K, P] into int32.
// Without a dot product: B's row loaded as bytes and zero-extended, A's
// element sign-extended and broadcast, multiplied and added on vectors.
// CHECK-LABEL: func @int8_product
// CHECK: scf.for
// CHECK: vector.load %{{.*}} : memref<10x20xi8>, vector<16xi8>
// CHECK: arith.extui %{{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: memref.load %{{.*}} : memref<3x10xi8>
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: vector.broadcast %{{.*}} : i32 to vector<16xi32>
// CHECK: arith.muli %{{.*}} : vector<16xi32>
// CHECK: arith.addi %{{.*}} : vector<16xi32>
// CHECK-NOT: llvm.call_intrinsic
// CHECK-NOT: linalg.generic
//
// With vpdpbusd (512 bits: 16 int32 lanes, tiles of 32 columns; 20 columns
// are one masked tile): K = 10 is two groups of four rows of B, each
// interleaved by two shuffles of byte pairs and one per half of the columns,
// and A's four bytes broadcast as one word; the last two steps are single
// multiply-accumulates.
// With only a 16-bit pair dot product (AVX2): two reduction steps per
// instruction, B's rows widened to 16 bits and interleaved in pairs, A's two
// bytes widened and broadcast as one word; the odd last step is widened.
// WORD-LABEL: func @int8_product
// WORD: scf.for %{{.*}} = %c0{{.*}} to %c10{{.*}} step %c2
// WORD-COUNT-2: arith.extui %{{.*}} : vector<16xi8> to vector<16xi16>
// WORD: vector.shuffle %{{.*}} [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23] : vector<16xi16>, vector<16xi16>
// WORD: vector.load %{{.*}} : memref<3x10xi8>, vector<2xi8>
// WORD: arith.extsi %{{.*}} : vector<2xi8> to vector<2xi16>
// WORD: vector.bitcast %{{.*}} : vector<2xi16> to vector<1xi32>
// WORD: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// WORD: arith.addi %{{.*}} : vector<8xi32>
// BOTH-LABEL: func @int8_product
// BOTH: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// DOT-LABEL: func @int8_product
// DOT: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<32xi1>
// DOT: scf.for %[[K:.*]] = %c0{{.*}} to %c8{{.*}} step %c4
// DOT-COUNT-4: vector.maskedload %{{.*}}, %[[MASK]], %{{.*}} : memref<10x20xi8>, vector<32xi1>, vector<32xi8> into vector<32xi8>
// DOT: vector.shuffle {{.*}} : vector<32xi8>, vector<32xi8>
// DOT: vector.shuffle {{.*}} : vector<32xi8>, vector<32xi8>
// DOT: vector.shuffle {{.*}} : vector<64xi8>, vector<64xi8>
// DOT: vector.bitcast %{{.*}} : vector<64xi8> to vector<16xi32>
// DOT: vector.load %{{.*}} : memref<3x10xi8>, vector<4xi8>
// DOT: vector.bitcast %{{.*}} : vector<4xi8> to vector<1xi32>
// DOT: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// DOT: scf.for %{{.*}} = %c8{{.*}} to %c10{{.*}} step %c1
// DOT: arith.extui %{{.*}} : vector<32xi8> to vector<32xi32>
// DOT: arith.muli
// DOT: vector.maskedstore
func.func @int8_product(%A: memref<3x10xi8>, %B: memref<10x20xi8>, %C: memref<3x20xi32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<3x10xi8>, memref<10x20xi8>) outs(%C : memref<3x20xi32>) {
  ^bb0(%w: i8, %x: i8, %acc: i32):
    %x32 = arith.extui %x : i8 to i32
    %w32 = arith.extsi %w : i8 to i32
    %p = arith.muli %x32, %w32 : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>

// A Gemm: unsigned activations A [1, K] times signed weights B [K, N]: the
// broadcast word is the unsigned operand of the dot product.
// DOT-LABEL: func @uint8_rows
// DOT: vector.load %{{.*}} : memref<1x8xi8>, vector<4xi8>
// DOT: %[[SPLAT:.*]] = vector.broadcast %{{.*}} : i32 to vector<16xi32>
// DOT: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[SPLAT]], %{{.*}})
func.func @uint8_rows(%A: memref<1x8xi8>, %B: memref<8x32xi8>, %C: memref<1x32xi32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<1x8xi8>, memref<8x32xi8>) outs(%C : memref<1x32xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %x32 = arith.extui %x : i8 to i32
    %w32 = arith.extsi %w : i8 to i32
    %p = arith.muli %x32, %w32 : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>

// Signed bytes on both sides have no vpdpbusd form: widened products; the
// 16-bit pair dot product takes any signs.
// WORD-LABEL: func @signed_both
// WORD: arith.extsi %{{.*}} : vector<16xi8> to vector<16xi16>
// WORD: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// DOT-LABEL: func @signed_both
// DOT-NOT: llvm.call_intrinsic
// DOT: arith.extsi %{{.*}} : vector<32xi8> to vector<32xi32>
// DOT: arith.muli
func.func @signed_both(%A: memref<2x8xi8>, %B: memref<8x32xi8>, %C: memref<2x32xi32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<2x8xi8>, memref<8x32xi8>) outs(%C : memref<2x32xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %x32 = arith.extsi %x : i8 to i32
    %w32 = arith.extsi %w : i8 to i32
    %p = arith.muli %x32, %w32 : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(i) -> (i)>

// A per-tensor requantization right after the kernel (int32 to int8, through
// a reshape of C) is applied to the accumulators, and stored to its int8
// output seen with C's shape.
// CHECK-LABEL: func @requantize_epilogue
// CHECK: arith.trunci %{{.*}} : vector<16xi32> to vector<16xi8>
// CHECK: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [1, 32], strides: [32, 1] : memref<32xi8> to memref<1x32xi8>
// CHECK: vector.store %{{.*}} : memref<1x32xi8>, vector<16xi8>
// CHECK-NOT: linalg.generic
func.func @requantize_epilogue(%A: memref<1x8xi8>, %B: memref<8x32xi8>, %Y: memref<32xi8>) {
  %C = memref.alloc() : memref<1x32xi32>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<1x8xi8>, memref<8x32xi8>) outs(%C : memref<1x32xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %x32 = arith.extui %x : i8 to i32
    %w32 = arith.extsi %w : i8 to i32
    %p = arith.muli %x32, %w32 : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  %flat = memref.collapse_shape %C [[0, 1]] : memref<1x32xi32> into memref<32xi32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%flat : memref<32xi32>) outs(%Y : memref<32xi8>) {
  ^bb0(%v: i32, %out: i8):
    %shift = arith.constant 4 : i32
    %r = arith.shrsi %v, %shift : i32
    %t = arith.trunci %r : i32 to i8
    linalg.yield %t : i8
  }
  memref.dealloc %C : memref<1x32xi32>
  return
}

// -----

// A per-channel requantization (one multiplier per row of C) is fused too:
// each tile row loads its multiplier and broadcasts it. Its high-half
// product (the requantization's, canonicalized to arith.mulsi_extended) has
// two results; both become vectors.
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func @per_channel_epilogue
// CHECK: %[[M:.*]] = memref.load %{{.*}} : memref<8x1xi32>
// CHECK: vector.broadcast %[[M]] : i32 to vector<16xi32>
// CHECK: %{{.*}}, %[[HIGH:.*]] = arith.mulsi_extended %{{.*}} : vector<16xi32>
// CHECK: arith.shrsi %[[HIGH]], %{{.*}} : vector<16xi32>
// CHECK: vector.store %{{.*}} : memref<8x64xi8>, vector<16xi8>
// CHECK-NOT: linalg.generic
func.func @per_channel_epilogue(%A: memref<8x16xi8>, %B: memref<16x64xi8>, %M: memref<8x1xi32>, %Y: memref<8x64xi8>) {
  %C = memref.alloc() : memref<8x64xi32>
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<8x16xi8>, memref<16x64xi8>) outs(%C : memref<8x64xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %x32 = arith.extui %x : i8 to i32
    %w32 = arith.extsi %w : i8 to i32
    %p = arith.muli %x32, %w32 : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%C, %M : memref<8x64xi32>, memref<8x1xi32>) outs(%Y : memref<8x64xi8>) {
  ^bb0(%v: i32, %m: i32, %out: i8):
    %low, %high = arith.mulsi_extended %v, %m : i32
    %shift = arith.constant 4 : i32
    %r = arith.shrsi %high, %shift : i32
    %t = arith.trunci %r : i32 to i8
    linalg.yield %t : i8
  }
  memref.dealloc %C : memref<8x64xi32>
  return
}

// -----

#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>

// int16 activations B times int8 weights A (an int16 layer): no byte dot
// product applies, but a 16-bit pair one does, even beside vpdpbusd: B's
// rows are already 16-bit and only interleaved, A's bytes widened.
// BOTH-LABEL: func @int16_by_int8
// BOTH-NOT: vpdpbusd
// BOTH: llvm.call_intrinsic "llvm.x86.avx512.pmaddw.d.512"
// WORD-LABEL: func @int16_by_int8
// WORD: scf.for %{{.*}} = %c0{{.*}} to %c10{{.*}} step %c2
// WORD-NOT: arith.extsi %{{.*}} : vector<16xi16>
// WORD: vector.shuffle %{{.*}} [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23] : vector<16xi16>, vector<16xi16>
// WORD: arith.extsi %{{.*}} : vector<2xi8> to vector<2xi16>
// WORD: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
func.func @int16_by_int8(%A: memref<3x10xi8>, %B: memref<10x20xi16>, %C: memref<3x20xi32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%A, %B : memref<3x10xi8>, memref<10x20xi16>) outs(%C : memref<3x20xi32>) {
  ^bb0(%w: i8, %x: i16, %acc: i32):
    %w32 = arith.extsi %w : i8 to i32
    %x32 = arith.extsi %x : i16 to i32
    %p = arith.muli %w32, %x32 : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

#x = affine_map<(n, g, m, h, p, c, kh, kw) -> (n, g, c, 2 * h + kh, 2 * p + kw)>
#w = affine_map<(n, g, m, h, p, c, kh, kw) -> (g, m, c, kh, kw)>
#y = affine_map<(n, g, m, h, p, c, kh, kw) -> (n, g, m, h, p)>

// An int8 depthwise window of stride 2 (unsigned activations, signed
// weights). With vpdpbusd a kernel row's three taps are one dot product: B's
// row read once from the row's first tap (a 128-byte stretch covers 32
// columns of stride 2 and their taps), each lane's four bytes picked by a
// shuffle (column j: bytes 2j .. 2j + 3; the fourth has weight zero), and
// A's three taps loaded as one word with the fourth byte masked to zero.
// Without it, a widened multiply-add per tap. (19 columns: the loop over
// full tiles is empty, the partial tile repeats the kernel.)
// DOT-LABEL: func @depthwise_window
// DOT: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// DOT: %[[STRETCH:.*]] = vector.maskedload %{{.*}} : memref<1x2x1x9x40xi8>, vector<128xi1>, vector<128xi8> into vector<128xi8>
// DOT: %[[LOW:.*]] = vector.shuffle %[[STRETCH]], %[[STRETCH]] [0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7,
// DOT: vector.bitcast %[[LOW]] : vector<64xi8> to vector<16xi32>
// DOT: vector.shuffle %[[STRETCH]], %[[STRETCH]] [32, 33, 34, 35, 34, 35, 36, 37,
// DOT: %[[TAPS:.*]] = vector.maskedload %{{.*}} : memref<2x1x1x3x3xi8>, vector<4xi1>, vector<4xi8> into vector<4xi8>
// DOT: vector.bitcast %[[TAPS]] : vector<4xi8> to vector<1xi32>
// DOT: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// DOT: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// DOT-NOT: arith.muli
// DOT: vector.maskedstore
// CHECK-LABEL: func @depthwise_window
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.extui %{{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: arith.muli
func.func @depthwise_window(%x: memref<1x2x1x9x40xi8>, %w: memref<2x1x1x3x3xi8>, %y: memref<1x2x1x4x19xi32>) {
  linalg.generic {indexing_maps = [#x, #w, #y],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : memref<1x2x1x9x40xi8>, memref<2x1x1x3x3xi8>) outs(%y : memref<1x2x1x4x19xi32>) {
  ^bb0(%in: i8, %k: i8, %acc: i32):
    %in32 = arith.extui %in : i8 to i32
    %k32 = arith.extsi %k : i8 to i32
    %p = arith.muli %in32, %k32 : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}
