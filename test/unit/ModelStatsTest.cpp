//===- ModelStatsTest.cpp - Shapes, parameters, MACs, receptive fields ----===//
//
// Compiles small models through the whole front end into the cnn dialect and
// checks the analysis against hand-derived values (the seed's recurrence
// RF[n] = RF[n-1] + (k-1)*jump[n-1], jump[n] = jump[n-1]*stride[n]).
//===----------------------------------------------------------------------===//

#include "FrontendTestUtil.h"

#include "dialect/CnnDialect.h"
#include "frontend/MLIRGen.h"
#include "passes/ModelStats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace cnnopt;

namespace {

/// Compiles `src` and returns the statistics of its first model.
ModelStats statsOf(const std::string &src) {
  Program program = test::compileOk(src);
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module = buildModule(context, program);
  if (!module) {
    ADD_FAILURE() << "module does not verify";
    return {};
  }
  auto func = module->lookupSymbol<mlir::func::FuncOp>(program.models[0].name);
  return computeModelStats(func);
}

const LayerStats &layer(const ModelStats &stats, const std::string &name) {
  for (const LayerStats &l : stats.layers)
    if (l.name == name)
      return l;
  ADD_FAILURE() << "no layer " << name;
  static LayerStats none;
  return none;
}

TEST(ModelStats, ResNetStemReceptiveField) {
  // conv 7x7/2 pad 3: RF 7, jump 2; max pool 3x3/2: RF 7 + 2*2 = 11, jump 4;
  // conv 3x3/1: RF 11 + 2*4 = 19.
  ModelStats s = statsOf(test::inModel(R"(
  conv1 = conv2d(x, 8, 7, stride=2, padding=3, bias=false)
  pool = max_pool2d(conv1, 3, stride=2, padding=1)
  h = conv2d(pool, 8, 3, padding=1))"));
  EXPECT_EQ(layer(s, "conv1").rf, 7);
  EXPECT_EQ(layer(s, "conv1").jump, 2);
  EXPECT_EQ(layer(s, "pool").rf, 11);
  EXPECT_EQ(layer(s, "pool").jump, 4);
  EXPECT_EQ(layer(s, "h").rf, 19);
  EXPECT_EQ(layer(s, "h").shape, (std::vector<int64_t>{-1, 8, 8, 8}));
}

TEST(ModelStats, DilationWidensTheKernel) {
  // 3x3 with dilation 2 acts as a 5x5: RF 5; a second one: 9.
  ModelStats s = statsOf(test::inModel(R"(
  a = conv2d(x, 4, 3, dilation=2, padding=2)
  h = conv2d(a, 4, 3, dilation=2, padding=2))"));
  EXPECT_EQ(layer(s, "a").rf, 5);
  EXPECT_EQ(layer(s, "h").rf, 9);
  EXPECT_EQ(layer(s, "h").jump, 1);
}

TEST(ModelStats, BranchesTakeTheWidestField) {
  ModelStats s = statsOf(test::inModel(R"(
  a = conv2d(x, 4, 5, padding=2)
  b = conv2d(x, 4, 1)
  h = concat([a, b]))"));
  EXPECT_EQ(s.layers.back().op, "concat");
  EXPECT_EQ(s.layers.back().rf, 5);
}

TEST(ModelStats, ParametersAndMacs) {
  // conv 3->8 3x3 with bias on 32x32 (padding 1): 8*3*9 + 8 = 224 params,
  // 8*32*32 outputs * 27 MACs; depthwise 8 groups: 8*9 params, 8*32*32*9 MACs;
  // linear 8 -> 10: 90 params, 80 MACs. batch_norm: 16 params, no MACs.
  ModelStats s = statsOf(test::inModel(R"(
  c = conv2d(x, 8, 3, padding=1)
  d = conv2d(c, 8, 3, padding=1, groups=8, bias=false)
  bn = batch_norm(d)
  g = flatten(adaptive_avg_pool2d(bn, 1))
  h = linear(g, 10))"));
  EXPECT_EQ(layer(s, "c").params, 224);
  EXPECT_EQ(layer(s, "c").macs, 8 * 32 * 32 * 27);
  EXPECT_EQ(layer(s, "d").params, 72);
  EXPECT_EQ(layer(s, "d").macs, 8 * 32 * 32 * 9);
  EXPECT_EQ(layer(s, "bn").params, 16);
  EXPECT_EQ(layer(s, "bn").macs, 0);
  EXPECT_EQ(layer(s, "h").macs, 80);
  EXPECT_EQ(s.totalParams, 224 + 72 + 16 + 90);
  EXPECT_EQ(s.totalMacs, 8 * 32 * 32 * 27 + 8 * 32 * 32 * 9 + 80);
  // Global pooling over 32 rows of jump 1: the whole image.
  EXPECT_EQ(layer(s, "h").rf, 5 + 31);
}

TEST(ModelStats, TransposedConvAndUpsampleShrinkTheJump) {
  // stride-2 conv: jump 2; transposed 4x4/2 undoes it (jump 1) and sees
  // ceil(4/2) = 2 inputs (RF 3 + 1*2 = 5); upsample x2: jump 0.5.
  ModelStats s = statsOf(test::inModel(R"(
  a = conv2d(x, 4, 3, stride=2, padding=1)
  t = conv_transpose2d(a, 4, 4, stride=2, padding=1)
  h = upsample2d(t, scale=2))"));
  EXPECT_EQ(layer(s, "a").jump, 2);
  EXPECT_EQ(layer(s, "t").jump, 1);
  EXPECT_EQ(layer(s, "t").rf, 5);
  EXPECT_EQ(layer(s, "t").macs, 4 * 16 * 16 * 4 * 16);
  EXPECT_EQ(layer(s, "h").jump, 0.5);
  EXPECT_EQ(layer(s, "h").shape, (std::vector<int64_t>{-1, 4, 64, 64}));
}

TEST(ModelStats, PrintsTableAndJson) {
  ModelStats s = statsOf(test::inModel("  h = conv2d(x, 4, 3)"));
  std::string table, json;
  llvm::raw_string_ostream tableOs(table), jsonOs(json);
  printStatsTable(s, tableOs);
  printStatsJson(s, jsonOs);
  EXPECT_NE(table.find("total params: 112"), std::string::npos) << table;
  EXPECT_NE(table.find("[N,4,30,30]"), std::string::npos) << table;
  EXPECT_NE(json.find("\"total_params\": 112"), std::string::npos) << json;
  EXPECT_NE(json.find("\"macs\": 97200"), std::string::npos) << json;
}

} // namespace
