//===- SchedulesTest.cpp - Facts the CPU schedules derive from shapes -----===//
//
// The numbers a schedule picks before Halide sees it: register tiles for a
// row of pixels, and the chunks of images a small-map Winograd conv runs
// at once (a run-time batch, so an Expr, checked here at constant batches).
//===----------------------------------------------------------------------===//

#include "codegen/schedules/Families.h"

#include <gtest/gtest.h>

namespace {

using cnnopt::codegen::schedules::chooseTile;
using cnnopt::codegen::schedules::imagesPerChunk;

int chunkAt(int batch, int64_t imageBytes) {
  Halide::Expr e = Halide::Internal::simplify(imagesPerChunk(batch, imageBytes));
  const int64_t *value = Halide::Internal::as_const_int(e);
  EXPECT_NE(value, nullptr) << e;
  return value ? int(*value) : -1;
}

TEST(Schedules, WinogradChunksShareTheBatchEvenly) {
  constexpr int64_t MB = 1 << 20;
  EXPECT_EQ(chunkAt(1, 1 * MB), 1);
  EXPECT_EQ(chunkAt(8, 1 * MB), 8);          // one chunk of the whole batch
  EXPECT_EQ(chunkAt(64, 1200 * 1024), 13);   // 13 fit in 16 MB: 5 chunks of 13
  EXPECT_EQ(chunkAt(3, 6 * MB), 2);          // 2 fit: chunks [0, 2) and [1, 3)
  EXPECT_EQ(chunkAt(9, 2 * MB), 5);          // 8 fit: two chunks of 5, not 8 + 1
  EXPECT_EQ(chunkAt(5, 64 * MB), 1);         // too big for a chunk: one image
  for (int batch = 1; batch <= 40; ++batch)
    for (int64_t bytes : {MB / 2, 3 * MB, 9 * MB}) {
      int chunk = chunkAt(batch, bytes);
      EXPECT_GE(chunk, 1);
      EXPECT_LE(chunk, batch);
    }
}

TEST(Schedules, RowTilesFitTheRegisters) {
  // AVX2 (16 registers): 2 vectors x 6 pixels on wide rows; a 7-pixel row
  // takes tiles that waste less of it than 6 + 1.
  auto wide = chooseTile(8, 56, 16);
  EXPECT_EQ(wide.vectors, 2);
  EXPECT_EQ(wide.pixels, 6);
  auto narrow = chooseTile(8, 7, 16);
  EXPECT_LE(narrow.vectors * narrow.pixels + narrow.vectors + 1, 15);
  EXPECT_NE(narrow.pixels, 6);
  // AVX-512 (32 registers): more of each.
  auto wide512 = chooseTile(4, 56, 32);
  EXPECT_GT(wide512.vectors * wide512.pixels, wide.vectors * wide.pixels);
}

} // namespace
