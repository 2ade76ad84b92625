//===- ShapeRulesTest.cpp - PyTorch shape formulas ------------------------===//
//
// Expected sizes were computed with PyTorch 1.13 (nn.Conv2d, nn.MaxPool2d
// with ceil_mode, nn.ConvTranspose2d, ...) on the same inputs.
//===----------------------------------------------------------------------===//

#include "dialect/ShapeRules.h"

#include <gtest/gtest.h>

using namespace cnnopt;
using namespace cnnopt::shapes;

namespace {

constexpr int64_t N = kDynamic;

TEST(ShapeRules, Conv2dStridePaddingDilation) {
  // nn.Conv2d(3, 8, 3, stride=2, padding=1) on 32x32 -> 16x16
  ShapeOr r = conv2d({N, 3, 32, 32}, {8, 3, 3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 1);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.shape, (Shape{N, 8, 16, 16}));
  // dilation 2, padding 2 keeps 17x17
  r = conv2d({1, 4, 17, 17}, {4, 1, 3, 3}, {1, 1}, {2, 2, 2, 2}, {2, 2}, 4);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.shape, (Shape{1, 4, 17, 17}));
}

TEST(ShapeRules, Conv2dErrorsNameTheShapes) {
  ShapeOr r = conv2d({N, 3, 8, 8}, conv2dWeight(3, 4, {3, 3}, 2), {1, 1}, {}, {1, 1}, 2);
  EXPECT_EQ(r.error, "input has 3 channels, not divisible by groups=2");
  r = conv2d({N, 3, 2, 2}, {4, 3, 3, 3}, {1, 1}, {}, {1, 1}, 1);
  EXPECT_EQ(r.error, "window [3, 3] is larger than the padded input [2, 2] of input [N,3,2,2]");
  r = conv2d({N, 3, 8}, {4, 3, 3, 3}, {1, 1}, {}, {1, 1}, 1);
  EXPECT_EQ(r.error, "input must have rank 4, got [N,3,8]");
}

TEST(ShapeRules, SamePaddingPutsTheOddOneRightAndBottom) {
  Pad4 p = samePadding({4, 3}, {1, 2});
  EXPECT_EQ(p.top, 1);
  EXPECT_EQ(p.bottom, 2);
  EXPECT_EQ(p.left, 2);
  EXPECT_EQ(p.right, 2);
}

TEST(ShapeRules, CeilModeDropsAWindowStartingInThePadding) {
  // nn.MaxPool2d(3, 2, ceil_mode=True) on 56 -> 28; on 7 with kernel 2 -> 4
  EXPECT_EQ(windowCount(56, 3, 2, 0, 0, 1, true), 28);
  EXPECT_EQ(windowCount(7, 2, 2, 0, 0, 1, true), 4);
  // nn.MaxPool2d(2, 2, padding=1, ceil_mode=True) on 5: ceil(5/2)+1 = 4, but
  // the last window would start at 6 >= 5 + 1 (in the right padding): 3.
  EXPECT_EQ(windowCount(5, 2, 2, 1, 1, 1, true), 3);
  // GoogLeNet: 112 -> 56 with kernel 3, stride 2, ceil_mode
  EXPECT_EQ(windowCount(112, 3, 2, 0, 0, 1, true), 56);
}

TEST(ShapeRules, ConvTranspose) {
  // nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1) on 8 -> 16
  ShapeOr r = convTranspose2d({1, 8, 8, 8}, {8, 4, 3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, 1);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.shape, (Shape{1, 4, 16, 16}));
  r = convTranspose2d({1, 8, 8, 8}, {8, 4, 3, 3}, {2, 2}, {1, 1}, {2, 2}, {1, 1}, 1);
  EXPECT_FALSE(r.ok());
}

TEST(ShapeRules, BroadcastFollowsNumPy) {
  EXPECT_EQ(broadcast({N, 8, 4, 4}, {N, 8, 1, 1}).shape, (Shape{N, 8, 4, 4}));
  EXPECT_EQ(broadcast({N, 8, 4, 4}, {}).shape, (Shape{N, 8, 4, 4}));
  EXPECT_EQ(broadcast({4, 1}, {3}).shape, (Shape{4, 3}));
  EXPECT_EQ(broadcast({N, 4, 8, 8}, {N, 3, 1, 1}).error,
            "shapes [N,4,8,8] and [N,3,1,1] cannot be broadcast together");
}

TEST(ShapeRules, ConcatNamesTheDifferingAxis) {
  EXPECT_EQ(concat({{N, 64, 16, 16}, {N, 32, 16, 16}}, -3).shape, (Shape{N, 96, 16, 16}));
  EXPECT_EQ(concat({{N, 64, 16, 16}, {N, 32, 8, 8}}, 1).error,
            "along axis 1: shapes [N,64,16,16] and [N,32,8,8] differ in axis 2");
}

TEST(ShapeRules, HugeSizesAreRejectedNotWrapped) {
  // 2^62 * 4 wraps to 0 in int64_t: the product saturates instead.
  EXPECT_FALSE(reshape({2, 3, 8, 8}, {-1, int64_t(1) << 62, 4}).ok());
  EXPECT_FALSE(maxPool2d({N, 3, 8, 8}, {2, 2}, {2, 2}, {INT64_MAX, INT64_MAX},
                         {1, 1}, false).ok());
  EXPECT_FALSE(conv2d({N, 3, 8, 8}, {8, 3, 3, 3}, {1, 1},
                      {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX}, {1, 1}, 1).ok());
  EXPECT_FALSE(upsample2d({N, 3, 8, 8}, int64_t(1) << 62).ok());
  EXPECT_FALSE(checkSize({N, INT64_MAX}).ok());
  EXPECT_FALSE(checkSize({N, 1 << 20, 1 << 20, 2}).ok());
  EXPECT_TRUE(checkSize({N, 2048, 7, 7}).ok());
}

TEST(ShapeRules, Pad2dAsFPad) {
  // F.pad(x, [-1, 2, 1, 0], mode) on [2, 3, 4, 5]: [2, 3, 5, 6] in every mode.
  for (const char *mode : {"constant", "reflect", "replicate"})
    EXPECT_EQ(pad2d({N, 3, 4, 5}, {-1, 2, 1, 0}, mode).shape, (Shape{N, 3, 5, 6})) << mode;
  // Reflect needs each pad below its axis (5 on width 5 fails, 4 works);
  // replicate and constant take any.
  EXPECT_EQ(pad2d({N, 3, 4, 5}, {5, 0, 0, 0}, "reflect").error,
            "mode \"reflect\" needs each pad less than its axis: left=5 on axis 3 of [N,3,4,5]");
  EXPECT_EQ(pad2d({N, 3, 4, 5}, {4, 0, 0, 0}, "reflect").shape, (Shape{N, 3, 4, 9}));
  EXPECT_EQ(pad2d({N, 3, 4, 5}, {6, 1, 1, 1}, "replicate").shape, (Shape{N, 3, 6, 12}));
  // Cropping an axis away, a 2-D input in reflect mode, the batch axis.
  EXPECT_FALSE(pad2d({N, 3, 4, 5}, {-3, -2, 0, 0}, "constant").ok());
  EXPECT_FALSE(pad2d({2, 12}, {1, 1, 0, 0}, "reflect").ok());
  EXPECT_EQ(pad2d({2, 12}, {1, 1, 1, 0}, "constant").shape, (Shape{3, 14}));
  EXPECT_FALSE(pad2d({N, 12}, {1, 1, 1, 0}, "constant").ok());
  EXPECT_FALSE(pad2d({N, 3, 4, 5}, {1, 1}, "constant").ok());
  EXPECT_FALSE(pad2d({N, 3, 4, 5}, {1, 1, 1, 1}, "circular").ok());
}

TEST(ShapeRules, PixelShuffleAndGlu) {
  EXPECT_EQ(pixelShuffle({N, 18, 2, 3}, 3).shape, (Shape{N, 2, 6, 9}));
  EXPECT_EQ(pixelUnshuffle({N, 2, 6, 9}, 3).shape, (Shape{N, 18, 2, 3}));
  EXPECT_EQ(pixelShuffle({N, 8, 4, 4}, 3).error,
            "input [N,8,4,4] has 8 channels, not divisible by factor*factor=9");
  EXPECT_FALSE(pixelShuffle({N, 8, 4, 4}, 0).ok());
  EXPECT_FALSE(pixelUnshuffle({N, 2, 6, 8}, 3).ok());
  EXPECT_EQ(glu({N, 4, 3, 8}, -1).shape, (Shape{N, 4, 3, 4}));
  EXPECT_EQ(glu({N, 4, 3, 8}, 1).shape, (Shape{N, 2, 3, 8}));
  EXPECT_EQ(glu({N, 4, 3, 8}, 2).error, "halving axis 2 of [N,4,3,8] needs an even size, got 3");
  EXPECT_FALSE(glu({N, 4}, 0).ok());
}

TEST(ShapeRules, ConcatAlongTheRunTimeBatchIsRejected) {
  EXPECT_FALSE(concat({{N, 3}, {N, 3}}, 0).ok());
  EXPECT_EQ(concat({{2, 3}, {4, 3}}, 0).shape, (Shape{6, 3}));
}

TEST(ShapeRules, ReshapeWithRunTimeBatch) {
  EXPECT_EQ(reshape({N, 3, 4, 4}, {-1, 48}).shape, (Shape{N, 48}));
  EXPECT_FALSE(reshape({N, 3, 4, 4}, {3, -1}).ok());
  EXPECT_EQ(reshape({2, 3, 4, 4}, {6, -1}).shape, (Shape{6, 16}));
  EXPECT_FALSE(reshape({2, 3, 4, 4}, {5, -1}).ok());
  EXPECT_FALSE(reshape({2, 3}, {-1, -1}).ok());
}

TEST(ShapeRules, ReductionsAndFlatten) {
  EXPECT_EQ(mean({N, 8, 4, 4}, {2, 3}, false).shape, (Shape{N, 8}));
  EXPECT_EQ(mean({N, 8, 4, 4}, {-1, -2}, true).shape, (Shape{N, 8, 1, 1}));
  EXPECT_EQ(flatten({N, 8, 4, 4}, 1).shape, (Shape{N, 128}));
  EXPECT_EQ(flatten({2, 8, 4, 4}, 0).shape, (Shape{256}));
  EXPECT_EQ(flatten({N, 8, 4, 4}, 0).error,
            "flattening from axis 0 would merge the run-time batch of "
            "[N,8,4,4] into the features");
  EXPECT_EQ(adaptivePool2d({N, 8, 7, 7}, {3, 3}).shape, (Shape{N, 8, 3, 3}));
}

TEST(ShapeRules, LinearAndLosses) {
  EXPECT_EQ(linear({N, 512}, {10, 512}).shape, (Shape{N, 10}));
  EXPECT_EQ(linear({N, 500}, {10, 512}).error,
            "input [N,500] has 500 features, weight [10,512] expects 512");
  EXPECT_TRUE(crossEntropy({N, 10}, {N}).ok());
  EXPECT_FALSE(crossEntropy({N, 10}, {N, 1}).ok());
  EXPECT_EQ(mseLoss({N, 4}, {N, 4}).shape, Shape{});
}

} // namespace
