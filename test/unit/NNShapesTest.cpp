//===- NNShapesTest.cpp - ONNX shape rules --------------------------------===//
#include "dialects/nn/NNShapes.h"

#include <gtest/gtest.h>

using namespace lepton::nn;
using llvm::SmallVector;

namespace {

constexpr int64_t kDyn = mlir::ShapedType::kDynamic;

TEST(Broadcast, NumpyRules) {
  EXPECT_EQ(*broadcastShapes({2, 3}, {3}), (SmallVector<int64_t>{2, 3}));
  EXPECT_EQ(*broadcastShapes({2, 1, 4}, {3, 1}), (SmallVector<int64_t>{2, 3, 4}));
  EXPECT_EQ(*broadcastShapes({}, {5}), (SmallVector<int64_t>{5}));
  EXPECT_EQ(*broadcastShapes({kDyn, 3}, {4, 3}), (SmallVector<int64_t>{4, 3}));
  EXPECT_FALSE(broadcastShapes({2, 3}, {4}).has_value());
}

TEST(Window, ExplicitPadsStridesDilations) {
  std::string error;
  SmallVector<int64_t> strides = {2, 2}, dilations = {2, 1}, pads = {1, 0, 1, 0};
  auto g = computeWindow({7, 5}, {3, 3}, llvm::ArrayRef(strides), llvm::ArrayRef(dilations),
                         llvm::ArrayRef(pads), "NOTSET", false, error);
  ASSERT_TRUE(g) << error;
  // dim 0: (7 + 2 - 5) / 2 + 1 = 3; dim 1: (5 + 0 - 3) / 2 + 1 = 2
  EXPECT_EQ(g->outShape, (SmallVector<int64_t>{3, 2}));
}

TEST(Window, SameUpperAndLower) {
  std::string error;
  SmallVector<int64_t> strides = {2};
  auto upper = computeWindow({6}, {3}, llvm::ArrayRef(strides), std::nullopt, std::nullopt,
                             "SAME_UPPER", false, error);
  auto lower = computeWindow({6}, {4}, std::nullopt, std::nullopt, std::nullopt,
                             "SAME_LOWER", false, error);
  ASSERT_TRUE(upper && lower) << error;
  EXPECT_EQ(upper->outShape[0], 3);
  EXPECT_EQ(upper->padBegin[0], 0);
  EXPECT_EQ(upper->padEnd[0], 1);
  EXPECT_EQ(lower->outShape[0], 6);
  EXPECT_EQ(lower->padBegin[0], 2); // the odd pad goes first
  EXPECT_EQ(lower->padEnd[0], 1);
}

TEST(Window, CeilModeKeepsLastWindowInside) {
  std::string error;
  SmallVector<int64_t> strides = {2};
  auto g = computeWindow({5}, {2}, llvm::ArrayRef(strides), std::nullopt, std::nullopt,
                         "NOTSET", true, error);
  ASSERT_TRUE(g) << error;
  EXPECT_EQ(g->outShape[0], 3); // ceil((5 - 2) / 2) + 1
}

TEST(Window, Errors) {
  std::string error;
  EXPECT_FALSE(computeWindow({2}, {3}, std::nullopt, std::nullopt, std::nullopt, "NOTSET",
                             false, error));
  EXPECT_EQ(error, "the window is larger than the padded input");
  SmallVector<int64_t> zero = {0};
  EXPECT_FALSE(computeWindow({4}, {2}, llvm::ArrayRef(zero), std::nullopt, std::nullopt,
                             "NOTSET", false, error));
}

TEST(Reshape, ZeroAndMinusOne) {
  std::string error;
  EXPECT_EQ(*resolveReshape({2, 3, 4}, {0, -1}, false, error), (SmallVector<int64_t>{2, 12}));
  EXPECT_EQ(*resolveReshape({2, 0}, {0, 4}, true, error), (SmallVector<int64_t>{0, 4}));
  EXPECT_FALSE(resolveReshape({2, 3}, {-1, -1}, false, error));
  EXPECT_FALSE(resolveReshape({2, 3}, {5}, false, error));
}

} // namespace
