//===- WorkerProtocolTest.cpp - cnnopt-run <-> device worker channel ------===//
//
// codegen/WorkerProtocol.h over a real pipe: values and strings come back as
// written, tensor table entries keep their names, and a reader whose writer
// is gone fails instead of blocking or reading garbage.
//===----------------------------------------------------------------------===//

#include "codegen/WorkerProtocol.h"

#include <gtest/gtest.h>

namespace {

using cnnopt::worker::Channel;

struct Pipe {
  int fds[2];
  Pipe() { EXPECT_EQ(pipe(fds), 0); }
  ~Pipe() {
    close(fds[0]);
    if (fds[1] >= 0)
      close(fds[1]);
  }
  void closeWriter() {
    close(fds[1]);
    fds[1] = -1;
  }
};

TEST(WorkerProtocol, ValuesAndStringsRoundTrip) {
  Pipe p;
  Channel writer(-1, p.fds[1]), reader(p.fds[0], -1);
  writer.put<uint8_t>('R');
  writer.put<int32_t>(-7);
  writer.put<int64_t>(int64_t(1) << 40);
  writer.putString("layer1.0.conv1");
  writer.putString("");
  float data[3] = {1.5f, -2.0f, 3.25f};
  writer.putBytes(data, sizeof(data));
  ASSERT_TRUE(writer.flush());

  EXPECT_EQ(reader.get<uint8_t>(), 'R');
  EXPECT_EQ(reader.get<int32_t>(), -7);
  EXPECT_EQ(reader.get<int64_t>(), int64_t(1) << 40);
  std::string s;
  ASSERT_TRUE(reader.getString(s));
  EXPECT_EQ(s, "layer1.0.conv1");
  ASSERT_TRUE(reader.getString(s));
  EXPECT_EQ(s, "");
  float back[3];
  ASSERT_TRUE(reader.getBytes(back, sizeof(back)));
  EXPECT_EQ(back[1], -2.0f);
  EXPECT_TRUE(reader.good());
}

TEST(WorkerProtocol, TensorInfoKeepsItsName) {
  Pipe p;
  Channel writer(-1, p.fds[1]), reader(p.fds[0], -1);
  cnnopt_tensor_info info{"features.0.weight", 4, {32, 3, 3, 3}, 0};
  cnnopt::worker::putTensorInfo(writer, info);
  ASSERT_TRUE(writer.flush());
  std::deque<std::string> names;
  cnnopt_tensor_info back{};
  ASSERT_TRUE(cnnopt::worker::getTensorInfo(reader, back, names));
  EXPECT_STREQ(back.name, "features.0.weight");
  EXPECT_EQ(back.rank, 4);
  EXPECT_EQ(back.shape[0], 32);
  EXPECT_EQ(back.shape[3], 3);
}

TEST(WorkerProtocol, ReaderFailsOnceTheWriterIsGone) {
  Pipe p;
  Channel writer(-1, p.fds[1]), reader(p.fds[0], -1);
  writer.put<int32_t>(5);
  ASSERT_TRUE(writer.flush());
  p.closeWriter();
  EXPECT_EQ(reader.get<int32_t>(), 5);
  std::string s;
  EXPECT_FALSE(reader.getString(s)); // end of file mid-message
  EXPECT_FALSE(reader.good());
  int32_t value = 0;
  EXPECT_FALSE(reader.get(value)); // and stays failed
}

} // namespace
