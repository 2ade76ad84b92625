//===- ConvCostModelTest.cpp - Legality and choices of conv algorithms ----===//

#include "passes/ConvCostModel.h"

#include <gtest/gtest.h>

using cnnopt::cheapestAlgorithm;
using cnnopt::ConvShape;
using cnnopt::whyIllegal;

namespace {

ConvShape conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups, int64_t size,
               bool padded) {
  ConvShape s;
  s.inChannels = in;
  s.outChannels = out;
  s.groups = groups;
  s.kernelH = s.kernelW = k;
  s.strideH = s.strideW = stride;
  s.outH = s.outW = size;
  s.padded = padded;
  return s;
}

TEST(ConvCostModel, DirectIsAlwaysLegal) {
  EXPECT_FALSE(whyIllegal("direct", conv(3, 64, 7, 2, 1, 112, true)));
  EXPECT_FALSE(whyIllegal("direct", conv(32, 32, 3, 1, 32, 56, true)));
}

TEST(ConvCostModel, GemmNeedsUnpaddedPointwise) {
  EXPECT_FALSE(whyIllegal("gemm", conv(64, 256, 1, 1, 1, 56, false)));
  EXPECT_FALSE(whyIllegal("gemm", conv(64, 256, 1, 2, 1, 28, false))); // strided 1x1
  EXPECT_TRUE(whyIllegal("gemm", conv(64, 256, 1, 1, 1, 56, true)));
  EXPECT_TRUE(whyIllegal("gemm", conv(64, 256, 1, 1, 2, 56, false)));
  EXPECT_TRUE(whyIllegal("gemm", conv(64, 64, 3, 1, 1, 56, true)));
}

TEST(ConvCostModel, DepthwiseNeedsOneGroupPerInputChannel) {
  EXPECT_FALSE(whyIllegal("depthwise", conv(32, 32, 3, 1, 32, 112, true)));
  EXPECT_FALSE(whyIllegal("depthwise", conv(32, 64, 3, 2, 32, 56, true))); // multiplier 2
  EXPECT_TRUE(whyIllegal("depthwise", conv(32, 32, 3, 1, 8, 112, true)));
  EXPECT_TRUE(whyIllegal("depthwise", conv(1, 8, 3, 1, 1, 28, true)));
}

TEST(ConvCostModel, WinogradNeedsUnitStride3x3) {
  for (const char *name : {"winograd_2x2_3x3", "winograd_4x4_3x3"}) {
    EXPECT_FALSE(whyIllegal(name, conv(64, 64, 3, 1, 1, 56, true)));
    EXPECT_TRUE(whyIllegal(name, conv(64, 64, 3, 2, 1, 28, true)));
    EXPECT_TRUE(whyIllegal(name, conv(64, 64, 5, 1, 1, 56, true)));
    EXPECT_TRUE(whyIllegal(name, conv(64, 64, 3, 1, 2, 56, true)));
    ConvShape dilated = conv(64, 64, 3, 1, 1, 56, true);
    dilated.dilationH = 2;
    EXPECT_TRUE(whyIllegal(name, dilated));
  }
  EXPECT_EQ(*whyIllegal("winograd", conv(64, 64, 3, 1, 1, 56, true)), "unknown algorithm 'winograd'");
}

TEST(ConvCostModel, Choices) {
  EXPECT_EQ(cheapestAlgorithm(conv(64, 256, 1, 1, 1, 56, false)), "gemm");
  EXPECT_EQ(cheapestAlgorithm(conv(32, 32, 3, 1, 32, 112, true)), "depthwise");
  EXPECT_EQ(cheapestAlgorithm(conv(64, 64, 3, 1, 1, 56, true)), "winograd_4x4_3x3");
  EXPECT_EQ(cheapestAlgorithm(conv(3, 64, 7, 2, 1, 112, true)), "direct");
  // Too few channels or pixels for the transforms to pay off.
  EXPECT_EQ(cheapestAlgorithm(conv(3, 32, 3, 1, 1, 32, true)), "direct");
  EXPECT_EQ(cheapestAlgorithm(conv(512, 512, 3, 1, 1, 2, true)), "direct");
}

TEST(ConvCostModel, DeepLayersOnSmallMapsTakeWinograd) {
  // Small maps run Winograd vectorised along the channels, its weights
  // transformed once (prepacked): 256 channels at 14x14 measured 2.2 ms
  // with F(4x4) against 3.8 ms direct, 512 at 7x7 2.5 (F(2x2)) and 3.1
  // (F(4x4)) against 4.3 ms (AVX2, 1 thread).
  cnnopt::CostContext avx2;
  avx2.vectorWidth = 8;
  for (const cnnopt::CostContext &target : {cnnopt::CostContext(), avx2}) {
    EXPECT_EQ(cheapestAlgorithm(conv(256, 256, 3, 1, 1, 14, true), target), "winograd_4x4_3x3");
    EXPECT_NE(cheapestAlgorithm(conv(512, 512, 3, 1, 1, 7, true), target), "direct");
  }
}

TEST(ConvCostModel, StreamedWeightsFavourSmallerTransforms) {
  // At batch 1 F(4x4)'s 37.7 MB of transformed weights for 512 channels
  // at 7x7 stream from memory; F(2x2)'s 16.8 MB measured faster (2.5 ms
  // against 2.9 in ResNet-50, 1 thread). Weights that stay cached do not
  // count: 128 channels at 8x8 (2.4 MB) keep F(4x4).
  cnnopt::CostContext avx2;
  avx2.vectorWidth = 8;
  EXPECT_EQ(cheapestAlgorithm(conv(512, 512, 3, 1, 1, 7, true), avx2), "winograd_2x2_3x3");
  EXPECT_EQ(cheapestAlgorithm(conv(128, 128, 3, 1, 1, 8, true), avx2), "winograd_4x4_3x3");
  EXPECT_LT(cnnopt::estimatedCost("winograd_4x4_3x3", conv(512, 512, 3, 1, 1, 7, true), avx2),
            cnnopt::estimatedCost("direct", conv(512, 512, 3, 1, 1, 7, true), avx2));
}

TEST(ConvCostModel, TilesPadToTheVectorWidth) {
  // 64 channels at 28x28: 49 tiles, padded to 64 lanes with AVX-512 but 56
  // with AVX2, so the Winograd estimate drops with the narrower vector.
  ConvShape c = conv(64, 64, 3, 1, 1, 28, true);
  cnnopt::CostContext avx512, avx2;
  avx2.vectorWidth = 8;
  EXPECT_LT(cnnopt::estimatedCost("winograd_4x4_3x3", c, avx2),
            cnnopt::estimatedCost("winograd_4x4_3x3", c, avx512));
}

} // namespace
