//===- RuntimeTest.cpp - safetensors and npy readers and writers ----------===//
//
// The C runtime's .safetensors loader and saver (round trips, strict-mode
// errors, dtype conversion, malformed and hostile files) and the .npy reader
// and writer. Interop cases write files with NumPy from /usr/bin/python3 (the
// safetensors layout by hand, with struct and json) and read ours back there;
// they are skipped when NumPy is missing.
//===----------------------------------------------------------------------===//

#include "tools/common/Npy.h"
#include "codegen/runtime/cnnopt_runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

/// A fresh path in the test's temporary directory.
std::string tempPath(const std::string &name) {
  const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
  return ::testing::TempDir() + "cnnopt-rt-" + std::to_string(getpid()) + "-" +
         info->name() + "-" + name;
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A safetensors file from a JSON header and raw data.
std::string safetensors(const std::string &json, const std::string &data) {
  std::string out(8, '\0');
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i)
    out[i] = (char)(n >> (8 * i));
  return out + json + data;
}

template <typename T> std::string bytesOf(std::initializer_list<T> values) {
  std::string s;
  for (T v : values)
    s.append(reinterpret_cast<const char *>(&v), sizeof v);
  return s;
}

bool havePythonNumpy() {
  static int have = -1;
  if (have < 0)
    have = std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
  return have;
}

/// Runs a Python script with /usr/bin/python3; returns its exit status.
int runPython(const std::string &script) {
  std::string file = tempPath("script.py");
  writeBytes(file, script);
  int rc = std::system(("/usr/bin/python3 " + file).c_str());
  std::remove(file.c_str());
  return rc;
}

/// A small model's table: conv, batch norm (with counter) and linear.
struct Model {
  std::vector<cnnopt_param_info> table;
  std::vector<float> params;

  void add(const char *name, std::vector<int64_t> shape) {
    cnnopt_param_info p{};
    p.name = name;
    p.rank = (int)shape.size();
    p.size = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
      p.shape[i] = shape[i];
      p.size *= shape[i];
    }
    p.offset = table.empty() ? 0 : table.back().offset + table.back().size;
    table.push_back(p);
    params.resize(p.offset + p.size);
  }
  int load(const std::string &path, std::string &error) {
    char err[4096];
    int rc = cnnopt_load_safetensors(path.c_str(), table.data(), (int)table.size(),
                                     params.data(), err, sizeof err);
    error = err;
    return rc;
  }
  int save(const std::string &path, std::string &error) {
    char err[1024];
    int rc = cnnopt_save_safetensors(path.c_str(), table.data(), (int)table.size(),
                                     params.data(), err, sizeof err);
    error = err;
    return rc;
  }
};

Model smallModel(int fcIn = 36) {
  Model m;
  m.add("conv.weight", {4, 3, 3, 3});
  m.add("bn.weight", {4});
  m.add("bn.running_var", {4});
  m.add("bn.num_batches_tracked", {});
  m.add("fc.weight", {10, fcIn});
  m.add("fc.bias", {10});
  return m;
}

//===----------------------------------------------------------------------===//
// Safetensors
//===----------------------------------------------------------------------===//

TEST(Safetensors, RoundTripIsExact) {
  Model a = smallModel();
  for (size_t i = 0; i < a.params.size(); ++i)
    a.params[i] = std::ldexp((float)i - 100.5f, (int)(i % 40) - 20);
  a.params[a.table[3].offset] = 12345;
  std::string path = tempPath("m.safetensors"), error;
  ASSERT_EQ(a.save(path, error), 0) << error;
  EXPECT_EQ(error, "");

  std::string file = readBytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | (unsigned char)file[i];
  EXPECT_EQ(n % 8, 0u);
  std::string header = file.substr(8, n);
  EXPECT_NE(header.find("\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[]"),
            std::string::npos)
      << header;
  EXPECT_NE(header.find("\"conv.weight\":{\"dtype\":\"F32\",\"shape\":[4,3,3,3]"),
            std::string::npos)
      << header;

  Model b = smallModel();
  ASSERT_EQ(b.load(path, error), 0) << error;
  EXPECT_EQ(error, "");
  EXPECT_EQ(0, std::memcmp(a.params.data(), b.params.data(), a.params.size() * 4));
  std::remove(path.c_str());
}

TEST(Safetensors, SaveReplacesAndLeavesNoTemporary) {
  Model a = smallModel();
  std::string path = tempPath("m.safetensors"), error;
  writeBytes(path, "old contents");
  ASSERT_EQ(a.save(path, error), 0) << error;
  ASSERT_EQ(a.save(path, error), 0) << error;
  Model b = smallModel();
  EXPECT_EQ(b.load(path, error), 0) << error;
  EXPECT_NE(std::system(("ls " + path + ".tmp.* >/dev/null 2>&1").c_str()), 0);
  std::remove(path.c_str());

  std::string bad = tempPath("no-such-dir") + "/m.safetensors";
  EXPECT_NE(a.save(bad, error), 0);
  EXPECT_NE(error.find("cannot create a temporary file"), std::string::npos) << error;
}

TEST(Safetensors, StrictModeListsEveryProblem) {
  Model saved;
  saved.add("conv.weight", {4, 3, 3, 3});
  saved.add("fc.weight", {10, 64});
  saved.add("extra.bias", {3});
  saved.add("old.num_batches_tracked", {});
  std::string path = tempPath("m.safetensors"), error;
  ASSERT_EQ(saved.save(path, error), 0) << error;

  Model model;
  model.add("conv.weight", {4, 3, 3, 3});
  model.add("fc.weight", {10, 128});
  model.add("fc.bias", {10});
  model.add("bn.running_mean", {4});
  EXPECT_NE(model.load(path, error), 0);
  EXPECT_EQ(error, path + ": error(s) in loading state_dict\n"
                          "  missing key(s) in state_dict: \"fc.bias\", \"bn.running_mean\"\n"
                          "  unexpected key(s) in state_dict: \"old.num_batches_tracked\", "
                          "\"extra.bias\"\n"
                          "  size mismatch for fc.weight: copying a param with shape [10, 64] "
                          "from checkpoint, the shape in current model is [10, 128]");
  std::remove(path.c_str());
}

TEST(Safetensors, RankZeroAndRankOneDiffer) {
  Model saved;
  saved.add("bn.num_batches_tracked", {});
  std::string path = tempPath("m.safetensors"), error;
  ASSERT_EQ(saved.save(path, error), 0) << error;
  Model model;
  model.add("bn.num_batches_tracked", {1});
  EXPECT_NE(model.load(path, error), 0);
  EXPECT_NE(error.find("copying a param with shape [] from checkpoint, the shape in current "
                       "model is [1]"),
            std::string::npos)
      << error;
  std::remove(path.c_str());
}

TEST(Safetensors, ConvertsEveryDtype) {
  std::string data = bytesOf<double>({1.5, -1e300}) +            // F64 [0,16)
                     bytesOf<uint16_t>({0x3c00, 0xc000, 0x0001,  // F16 1, -2, 2^-24
                                        0x7c00}) +               //     inf [16,24)
                     bytesOf<uint16_t>({0x3f80, 0xc040}) +       // BF16 1, -3 [24,28)
                     bytesOf<int64_t>({-7}) +                    // I64 [28,36)
                     bytesOf<int32_t>({42, -1}) +                // I32 [36,44)
                     bytesOf<float>({0.25f});                    // F32 [44,48)
  std::string json =
      "{\"__metadata__\": {\"format\": \"pt\"},\n"
      " \"d\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [0, 16]},\n"
      " \"h\": {\"dtype\": \"F16\", \"shape\": [2, 2], \"data_offsets\": [16, 24]},\n"
      " \"b\": {\"shape\": [2], \"dtype\": \"BF16\", \"data_offsets\": [24, 28]},\n"
      " \"n\": {\"dtype\": \"I64\", \"shape\": [], \"data_offsets\": [28, 36]},\n"
      " \"i\": {\"dtype\": \"I32\", \"shape\": [2], \"data_offsets\": [36, 44]},\n"
      " \"f\": {\"dtype\": \"F32\", \"shape\": [1, 1], \"data_offsets\": [44, 48]}}   ";
  std::string path = tempPath("d.safetensors"), error;
  writeBytes(path, safetensors(json, data));
  Model m;
  m.add("f", {1, 1});
  m.add("d", {2});
  m.add("h", {2, 2});
  m.add("b", {2});
  m.add("n", {});
  m.add("i", {2});
  ASSERT_EQ(m.load(path, error), 0) << error;
  std::vector<float> expected = {0.25f, 1.5f, -INFINITY, 1, -2, std::ldexp(1.0f, -24),
                                 INFINITY, 1, -3, -7, 42, -1};
  EXPECT_EQ(m.params, expected);
  std::remove(path.c_str());
}

TEST(Safetensors, EscapedNamesAndEmptyTensors) {
  std::string json = "{\"a\\u002eb\\\"\\u00e9\\ud83d\\ude00\": {\"dtype\": \"F32\", "
                     "\"shape\": [0, 3], \"data_offsets\": [0, 0]}}";
  std::string path = tempPath("e.safetensors"), error;
  writeBytes(path, safetensors(json, ""));
  Model m;
  m.add("a.b\"\xc3\xa9\xf0\x9f\x98\x80", {0, 3});
  EXPECT_EQ(m.load(path, error), 0) << error;
  // the saver escapes the quote, and reads its own name back
  ASSERT_EQ(m.save(path, error), 0) << error;
  EXPECT_EQ(m.load(path, error), 0) << error;
  std::remove(path.c_str());
}

/// Loads `bytes` as a file into the one-tensor model "w" [2] and returns
/// the error (empty on success).
std::string loadError(const std::string &bytes, const std::string &name = "x.safetensors") {
  std::string path = tempPath(name), error;
  writeBytes(path, bytes);
  Model m;
  m.add("w", {2});
  int rc = m.load(path, error);
  std::remove(path.c_str());
  if (rc == 0)
    return "";
  std::string prefix = path + ": ";
  EXPECT_EQ(error.compare(0, prefix.size(), prefix), 0) << error;
  return error.substr(std::min(prefix.size(), error.size()));
}

const char *kW = "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}";

TEST(Safetensors, MalformedFilesAreRefused) {
  std::string data = bytesOf<float>({1, 2});
  EXPECT_EQ(loadError(safetensors(kW, data)), "");
  EXPECT_EQ(loadError(""), "file too short for a safetensors header (0 bytes)");
  EXPECT_EQ(loadError("abc"), "file too short for a safetensors header (3 bytes)");
  std::string huge = safetensors(kW, data);
  huge[7] = 0x40;
  EXPECT_EQ(loadError(huge), "header length 4611686018427387965 exceeds the limit of "
                             "100000000 bytes");
  std::string full = safetensors(kW, data);
  EXPECT_EQ(loadError(full.substr(0, 30)),
            "header length 61 exceeds the file size (30 bytes): file truncated");
  EXPECT_EQ(loadError(full.substr(0, full.size() - 1)),
            "data_offsets [0, 8] of tensor \"w\" out of range (7 bytes of data)");
  EXPECT_EQ(loadError(safetensors(
                "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]}}", data)),
            "data_offsets [8, 0] of tensor \"w\" out of range (8 bytes of data)");
  EXPECT_EQ(loadError(safetensors(
                "{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", data)),
            "tensor \"w\" has 8 bytes of data, but dtype F32 and shape [3] need 12");
  EXPECT_EQ(loadError(safetensors(
                "{\"w\": {\"dtype\": \"Q4\", \"shape\": [2], \"data_offsets\": [0, 8]}}", data)),
            "tensor \"w\" has unknown dtype \"Q4\"");
  EXPECT_EQ(loadError(safetensors(
                "{\"w\": {\"dtype\": \"U32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", data)),
            "tensor \"w\" has dtype U32, which cannot be converted to float");
  EXPECT_EQ(loadError(safetensors("{\"w\": {\"dtype\": \"F32\", \"shape\": [2]}}", data)),
            "malformed header: tensor \"w\" lacks data_offsets");
  EXPECT_EQ(loadError(safetensors(std::string(kW) + kW, data)),
            "malformed header: bad json: trailing characters after the header object");
  EXPECT_EQ(loadError(safetensors("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], "
                                  "\"data_offsets\": [0, 8]}, \"w\": {\"dtype\": \"F32\", "
                                  "\"shape\": [2], \"data_offsets\": [0, 8]}}",
                                  data)),
            "malformed header: duplicate tensor \"w\"");
  EXPECT_EQ(loadError(safetensors(
                "{\"w\": {\"dtype\": \"F32\", \"shape\": [2.0], \"data_offsets\": [0, 8]}}",
                data)),
            "malformed header: bad json: expected an integer, not a fraction");
  EXPECT_EQ(loadError(safetensors(
                "{\"w\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", data)),
            "malformed header: bad json: expected a non-negative integer");
  EXPECT_EQ(loadError(safetensors("{\"w\": {\"dtype\": \"F32\", \"shape\": "
                                  "[99999999999999999999], \"data_offsets\": [0, 8]}}",
                                  data)),
            "malformed header: bad json: integer too large");
  EXPECT_EQ(loadError(safetensors("{\"w\": {\"dtype\": \"F32\", \"shape\": "
                                  "[4294967296, 4294967296], \"data_offsets\": [0, 8]}}",
                                  data)),
            "shape of tensor \"w\" is too large");
  EXPECT_EQ(loadError(safetensors(
                "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8, 8]}}",
                data)),
            "malformed header: too many entries in data_offsets (at most 2)");
  EXPECT_EQ(loadError(safetensors("{\"w\" {}}", data)),
            "malformed header: bad json: expected ':' at byte 5");
  EXPECT_EQ(loadError(safetensors("[]", data)),
            "malformed header: bad json: expected '{' at byte 0");
  EXPECT_EQ(loadError(safetensors("{\"w\\u0000\": {}}", data)),
            "malformed header: bad json: nul character in string");
  EXPECT_EQ(loadError(safetensors("{\"w\\ud800\": {}}", data)),
            "malformed header: bad json: unpaired surrogate in \\u escape");
  EXPECT_EQ(loadError(safetensors("{\"w", data)),
            "malformed header: bad json: unterminated string");
  std::string deep = "{\"__metadata__\": " + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_EQ(loadError(safetensors(deep, "")), "malformed header: bad json: nested too deeply");
}

/// The error of loading `json` + `data` into the model "a" [2], "b" [2].
std::string twoTensorError(const std::string &json, const std::string &data) {
  std::string path = tempPath("two.safetensors"), error;
  writeBytes(path, safetensors(json, data));
  Model m;
  m.add("a", {2});
  m.add("b", {2});
  int rc = m.load(path, error);
  std::remove(path.c_str());
  return rc == 0 ? "" : error.substr(std::min(path.size() + 2, error.size()));
}

std::string twoTensors(int a0, int a1, int b0, int b1) {
  auto range = [](int x, int y) { return std::to_string(x) + ", " + std::to_string(y); };
  return "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [" + range(a0, a1) +
         "]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [" +
         range(b0, b1) + "]}}";
}

TEST(Safetensors, RangesMustTileTheData) {
  std::string data16 = bytesOf<float>({1, 2, 3, 4}), data8 = bytesOf<float>({1, 2});
  const char *rule = "; the tensors must tile the data section exactly";
  EXPECT_EQ(twoTensorError(twoTensors(0, 8, 8, 16), data16), "");
  EXPECT_EQ(twoTensorError(twoTensors(8, 16, 0, 8), data16), ""); // any order in the header
  EXPECT_EQ(twoTensorError(twoTensors(0, 8, 0, 8), data8),
            std::string("tensors \"a\" [0, 8] and \"b\" [0, 8] share their bytes") + rule);
  EXPECT_EQ(twoTensorError(twoTensors(0, 8, 4, 12), data16.substr(0, 12)),
            std::string("tensors \"a\" [0, 8] and \"b\" [4, 12] overlap") + rule);
  EXPECT_EQ(twoTensorError(twoTensors(0, 8, 12, 20), data16 + data8.substr(0, 4)),
            std::string("bytes [8, 12) between tensors \"a\" and \"b\" belong to no tensor") +
                rule);
  EXPECT_EQ(twoTensorError(twoTensors(4, 12, 12, 20), data16 + data8.substr(0, 4)),
            std::string("bytes [0, 4) before tensor \"a\" belong to no tensor") + rule);
  EXPECT_EQ(twoTensorError(twoTensors(0, 8, 8, 16), data16 + data8),
            std::string("bytes [16, 24) after tensor \"b\" belong to no tensor") + rule);
  EXPECT_EQ(twoTensorError("{}", data8), std::string("8 bytes of data belong to no tensor") + rule);
  // An empty tensor takes no bytes, at its place in the order.
  std::string withEmpty = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, "
                          "\"e\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [8, 8]}, "
                          "\"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}}";
  EXPECT_NE(twoTensorError(withEmpty, data16).find("unexpected key(s) in state_dict: \"e\""),
            std::string::npos);
}

TEST(Safetensors, DirectoryIsNamedAsSuch) {
  std::string dir = tempPath("a-directory");
  ::mkdir(dir.c_str(), 0755);
  Model m;
  m.add("w", {2});
  std::string error;
  EXPECT_NE(m.load(dir, error), 0);
  EXPECT_EQ(error, dir + ": cannot read: it is a directory");
  ::rmdir(dir.c_str());
}

TEST(Safetensors, ErrorBufferIsAlwaysTerminated) {
  Model m;
  m.add("w", {2});
  char err[16];
  std::memset(err, 'x', sizeof err);
  EXPECT_NE(cnnopt_load_safetensors("/no/such/file.safetensors", m.table.data(), 1,
                                    m.params.data(), err, sizeof err),
            0);
  EXPECT_EQ(std::strlen(err), 15u);
  EXPECT_STREQ(err, "/no/such/fil...");
  EXPECT_NE(cnnopt_load_safetensors("/no/such/file", m.table.data(), 1, m.params.data(),
                                    nullptr, 0),
            0);
}

TEST(Safetensors, SurvivesEveryTruncationAndByteFlip) {
  Model a = smallModel();
  std::string path = tempPath("m.safetensors"), error;
  ASSERT_EQ(a.save(path, error), 0) << error;
  std::string good = readBytes(path);
  for (size_t len = 0; len < good.size(); len += (len < 400 ? 1 : 97)) {
    writeBytes(path, good.substr(0, len));
    Model b = smallModel();
    EXPECT_NE(b.load(path, error), 0) << len;
  }
  unsigned seed = 1;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bad = good;
    for (int k = 0; k < 3; ++k) {
      seed = seed * 1103515245u + 12345u;
      size_t at = (seed >> 8) % std::min<size_t>(bad.size(), 600);
      seed = seed * 1103515245u + 12345u;
      bad[at] = (char)(seed >> 16);
    }
    writeBytes(path, bad);
    Model b = smallModel();
    b.load(path, error); // must not crash; the result may be either
  }
  std::remove(path.c_str());
}

TEST(Safetensors, ReadsFilesWrittenByPython) {
  if (!havePythonNumpy())
    GTEST_SKIP() << "no numpy in /usr/bin/python3";
  std::string path = tempPath("py.safetensors");
  ASSERT_EQ(runPython("import json, struct, numpy as np\n"
                      "ts = {'conv.weight': np.arange(24, dtype=np.float32).reshape(2,3,2,2) / 7,\n"
                      "      'bn.running_var': np.array([0.5, 2, 3], dtype=np.float16),\n"
                      "      'bn.running_mean': np.array([1e-3, -2.5, 3], dtype=np.float64),\n"
                      "      'bn.num_batches_tracked': np.array(17, dtype=np.int64)}\n"
                      "dt = {'float32': 'F32', 'float16': 'F16', 'float64': 'F64', 'int64': 'I64'}\n"
                      "header, data = {'__metadata__': {'format': 'pt'}}, b''\n"
                      "for k, v in ts.items():\n"
                      "    b = v.astype(v.dtype.newbyteorder('<')).tobytes()\n"
                      "    header[k] = {'dtype': dt[str(v.dtype)], 'shape': list(v.shape),\n"
                      "                 'data_offsets': [len(data), len(data) + len(b)]}\n"
                      "    data += b\n"
                      "h = json.dumps(header).encode()\n"
                      "h += b' ' * (-len(h) % 8)\n"
                      "open('" + path + "', 'wb').write(struct.pack('<Q', len(h)) + h + data)\n"),
            0);
  Model m;
  m.add("bn.num_batches_tracked", {});
  m.add("bn.running_mean", {3});
  m.add("bn.running_var", {3});
  m.add("conv.weight", {2, 3, 2, 2});
  std::string error;
  ASSERT_EQ(m.load(path, error), 0) << error;
  std::vector<float> expected = {17, (float)1e-3, -2.5f, 3, 0.5f, 2, 3};
  for (int i = 0; i < 24; ++i)
    expected.push_back((float)i / 7);
  EXPECT_EQ(m.params, expected);
  std::remove(path.c_str());
}

TEST(Safetensors, PythonReadsOurFiles) {
  if (!havePythonNumpy())
    GTEST_SKIP() << "no numpy in /usr/bin/python3";
  Model m = smallModel();
  for (size_t i = 0; i < m.params.size(); ++i)
    m.params[i] = (float)i * 0.125f - 3;
  m.params[m.table[3].offset] = 5;
  std::string path = tempPath("ours.safetensors"), error;
  ASSERT_EQ(m.save(path, error), 0) << error;
  EXPECT_EQ(runPython("import json, struct, sys, numpy as np\n"
                      "raw = open('" + path + "', 'rb').read()\n"
                      "n, = struct.unpack('<Q', raw[:8])\n"
                      "h = json.loads(raw[8:8 + n])\n"
                      "assert h.pop('__metadata__') == {'format': 'pt'}\n"
                      "data = raw[8 + n:]\n"
                      "# contiguous, in order of offsets, covering all the data\n"
                      "spans = sorted(v['data_offsets'] for v in h.values())\n"
                      "assert spans[0][0] == 0 and spans[-1][1] == len(data)\n"
                      "assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))\n"
                      "dt = {'F32': '<f4', 'I64': '<i8'}\n"
                      "t = {k: np.frombuffer(data[v['data_offsets'][0]:v['data_offsets'][1]],\n"
                      "     dtype=dt[v['dtype']]).reshape(v['shape']) for k, v in h.items()}\n"
                      "assert t['bn.num_batches_tracked'].dtype == np.int64\n"
                      "assert t['bn.num_batches_tracked'].shape == () and t['bn.num_batches_tracked'] == 5\n"
                      "assert t['conv.weight'].shape == (4, 3, 3, 3)\n"
                      "flat = np.concatenate([t[k].astype(np.float32).ravel() for k in\n"
                      "    ['conv.weight', 'bn.weight', 'bn.running_var', 'bn.num_batches_tracked',\n"
                      "     'fc.weight', 'fc.bias']])\n"
                      "want = np.arange(flat.size, dtype=np.float32) * 0.125 - 3\n"
                      "want[116] = 5\n"
                      "sys.exit(0 if np.array_equal(flat, want) else 1)\n"),
            0);
  std::remove(path.c_str());
}

//===----------------------------------------------------------------------===//
// Npy
//===----------------------------------------------------------------------===//

using namespace cnnopt;

TEST(Npy, RoundTrip) {
  std::string path = tempPath("a.npy"), error;
  npy::Array a = npy::fromFloat({2, 3}, {1, 2, 3, 4.5f, -5, 1e-30f});
  ASSERT_TRUE(npy::write(path, a, error)) << error;
  std::string bytes = readBytes(path);
  EXPECT_EQ((bytes.size() - 24) % 64, 0u);
  npy::Array b;
  ASSERT_TRUE(npy::read(path, b, error)) << error;
  EXPECT_EQ(b.dtype, "f4");
  EXPECT_EQ(b.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(b.data, a.data);
  EXPECT_EQ(npy::asFloat(b), (std::vector<float>{1, 2, 3, 4.5f, -5, 1e-30f}));

  for (std::vector<int64_t> shape : {std::vector<int64_t>{}, {5}, {0, 4}, {1, 1, 1, 1, 1}}) {
    npy::Array c;
    c.dtype = "i4";
    c.shape = shape;
    c.data.resize(4 * npy::numElements(shape));
    for (size_t i = 0; i < c.data.size(); ++i)
      c.data[i] = (char)(i * 7);
    ASSERT_TRUE(npy::write(path, c, error)) << error;
    npy::Array d;
    ASSERT_TRUE(npy::read(path, d, error)) << error;
    EXPECT_EQ(d.dtype, "i4");
    EXPECT_EQ(d.shape, shape);
    EXPECT_EQ(d.data, c.data);
  }
  std::remove(path.c_str());
}

TEST(Npy, WriteChecksTheArray) {
  std::string path = tempPath("a.npy"), error;
  npy::Array a = npy::fromFloat({2, 3}, {1, 2, 3});
  EXPECT_FALSE(npy::write(path, a, error));
  EXPECT_EQ(error, path + ": the data holds 12 bytes, which does not match the shape");
  a.dtype = "u1";
  EXPECT_FALSE(npy::write(path, a, error));
  EXPECT_EQ(error, path + ": cannot write dtype 'u1' (expected f4, f8, i4 or i8)");
}

/// An npy file of version `major` with `dict` as its header and `data`.
std::string npyFile(const std::string &dict, const std::string &data, int major = 1) {
  std::string out = "\x93NUMPY";
  out += (char)major;
  out += '\0';
  std::string header = dict + "\n";
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i)
    out += (char)(header.size() >> (8 * i));
  return out + header + data;
}

std::string npyError(const std::string &bytes) {
  std::string path = tempPath("x.npy"), error;
  writeBytes(path, bytes);
  npy::Array a;
  bool ok = npy::read(path, a, error);
  std::remove(path.c_str());
  if (ok)
    return "";
  EXPECT_EQ(error.compare(0, path.size() + 2, path + ": "), 0) << error;
  return error.substr(std::min(path.size() + 2, error.size()));
}

TEST(Npy, ReadsEveryVersionAndDtype) {
  std::string path = tempPath("v.npy"), error;
  const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
  for (int major : {1, 2, 3}) {
    writeBytes(path, npyFile(dict, bytesOf<double>({0.5, -3}), major));
    npy::Array a;
    ASSERT_TRUE(npy::read(path, a, error)) << error;
    EXPECT_EQ(a.dtype, "f8");
    EXPECT_EQ(npy::asFloat(a), (std::vector<float>{0.5f, -3}));
  }
  writeBytes(path, npyFile("{\"shape\": (1L, 2L), \"fortran_order\": False, \"descr\": \"<i8\"}",
                           bytesOf<int64_t>({-9, 1LL << 40})));
  npy::Array b;
  ASSERT_TRUE(npy::read(path, b, error)) << error;
  EXPECT_EQ(b.shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(npy::asFloat(b), (std::vector<float>{-9, (float)(1LL << 40)}));
  std::remove(path.c_str());
}

TEST(Npy, MalformedFilesAreRefused) {
  std::string f4 = bytesOf<float>({1, 2});
  EXPECT_EQ(npyError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4)),
            "");
  EXPECT_EQ(npyError(""), "not an npy file (too short)");
  EXPECT_EQ(npyError("PK\x03\x04 not numpy at all"), "not an npy file (bad magic)");
  EXPECT_EQ(npyError(npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", f4)),
            "fortran_order arrays are not supported (save with C order)");
  EXPECT_EQ(npyError(npyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", f4)),
            "big-endian arrays are not supported (dtype '>f4')");
  EXPECT_EQ(npyError(npyFile("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", f4)),
            "unsupported dtype '<c8' (expected <f4, <f8, <i4 or <i8)");
  EXPECT_EQ(npyError(npyFile("{'descr': [('a', '<f4')], 'fortran_order': False, "
                             "'shape': (2,), }",
                             f4)),
            "malformed header: structured dtypes are not supported");
  EXPECT_EQ(npyError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4)),
            "file truncated: the data needs 12 bytes, the file holds 8");
  EXPECT_EQ(npyError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4)),
            "4 trailing bytes after the array data");
  EXPECT_EQ(npyError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", f4)),
            "malformed header: shape must be a tuple of non-negative integers");
  EXPECT_EQ(npyError(npyFile("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (4294967296, 4294967296), }",
                             f4)),
            "shape is too large");
  EXPECT_EQ(npyError(npyFile("{'descr': '<f4', 'shape': (2,), }", f4)),
            "malformed header: the header lacks 'fortran_order'");
  EXPECT_EQ(npyError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", f4)),
            "malformed header: expected '}' at byte 55");
  EXPECT_EQ(npyError(npyFile("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", f4)),
            "malformed header: fortran_order must be True or False");
  EXPECT_EQ(npyError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), "
                             "'extra': 1}",
                             f4)),
            "malformed header: unexpected key 'extra' in the header");
  EXPECT_EQ(npyError(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4,
                             4)),
            "unsupported npy version 4.0");
  std::string big = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4, 2);
  big[11] = 0x7f;
  EXPECT_EQ(npyError(big), "header length 2130706490 exceeds the limit of 1048576 bytes");
  std::string cut = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4);
  EXPECT_EQ(npyError(cut.substr(0, 30)),
            "header length 58 exceeds the file size: file truncated");
}

TEST(Npy, SurvivesEveryTruncationAndByteFlip) {
  std::string path = tempPath("a.npy"), error;
  ASSERT_TRUE(npy::write(path, npy::fromFloat({2, 3}, {1, 2, 3, 4, 5, 6}), error)) << error;
  std::string good = readBytes(path);
  npy::Array a;
  for (size_t len = 0; len < good.size(); ++len) {
    writeBytes(path, good.substr(0, len));
    EXPECT_FALSE(npy::read(path, a, error)) << len;
  }
  unsigned seed = 7;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bad = good;
    for (int k = 0; k < 2; ++k) {
      seed = seed * 1103515245u + 12345u;
      size_t at = (seed >> 8) % 80;
      seed = seed * 1103515245u + 12345u;
      bad[at] = (char)(seed >> 16);
    }
    writeBytes(path, bad);
    npy::read(path, a, error); // must not crash; the result may be either
  }
  std::remove(path.c_str());
}

TEST(Npy, InteropWithNumpy) {
  if (!havePythonNumpy())
    GTEST_SKIP() << "no numpy in /usr/bin/python3";
  std::string dir = tempPath("");
  ASSERT_EQ(runPython("import numpy as np\n"
                      "d = '" + dir + "'\n"
                      "np.save(d + 'f4.npy', np.arange(12, dtype=np.float32).reshape(3, 4) / 3)\n"
                      "np.save(d + 'f8.npy', np.array([[1e-3], [2.5]]))\n"
                      "np.save(d + 'i4.npy', np.array([-1, 7], dtype=np.int32))\n"
                      "np.save(d + 'i8.npy', np.array(2**40, dtype=np.int64))\n"
                      "np.save(d + 'fortran.npy', np.asfortranarray(np.ones((2, 3), np.float32)))\n"
                      "with open(d + 'v2.npy', 'wb') as f:\n"
                      "    np.lib.format.write_array(f, np.zeros((1, 2), np.float32), version=(2, 0))\n"
                      "with open(d + 'v3.npy', 'wb') as f:\n"
                      "    np.lib.format.write_array(f, np.ones(3, np.float32), version=(3, 0))\n"),
            0);
  std::string error;
  npy::Array a;
  ASSERT_TRUE(npy::read(dir + "f4.npy", a, error)) << error;
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 4}));
  std::vector<float> f4;
  for (int i = 0; i < 12; ++i)
    f4.push_back((float)i / 3);
  EXPECT_EQ(npy::asFloat(a), f4);
  ASSERT_TRUE(npy::read(dir + "f8.npy", a, error)) << error;
  EXPECT_EQ(a.dtype, "f8");
  EXPECT_EQ(npy::asFloat(a), (std::vector<float>{(float)1e-3, 2.5f}));
  ASSERT_TRUE(npy::read(dir + "i4.npy", a, error)) << error;
  EXPECT_EQ(npy::asFloat(a), (std::vector<float>{-1, 7}));
  ASSERT_TRUE(npy::read(dir + "i8.npy", a, error)) << error;
  EXPECT_TRUE(a.shape.empty());
  EXPECT_EQ(npy::asFloat(a), (std::vector<float>{(float)(1LL << 40)}));
  EXPECT_FALSE(npy::read(dir + "fortran.npy", a, error));
  EXPECT_EQ(error, dir + "fortran.npy: fortran_order arrays are not supported (save with C order)");
  ASSERT_TRUE(npy::read(dir + "v2.npy", a, error)) << error;
  EXPECT_EQ(npy::asFloat(a), (std::vector<float>{0, 0}));
  ASSERT_TRUE(npy::read(dir + "v3.npy", a, error)) << error;
  EXPECT_EQ(npy::asFloat(a), (std::vector<float>{1, 1, 1}));

  // numpy reads what we write
  ASSERT_TRUE(npy::write(dir + "ours.npy", npy::fromFloat({2, 2}, {0.5f, -1, 3, 1e20f}), error))
      << error;
  npy::Array i;
  i.dtype = "i4";
  i.shape = {};
  i.data = {5, 0, 0, 0};
  ASSERT_TRUE(npy::write(dir + "ours_i4.npy", i, error)) << error;
  EXPECT_EQ(runPython("import numpy as np, sys\n"
                      "d = '" + dir + "'\n"
                      "a = np.load(d + 'ours.npy')\n"
                      "b = np.load(d + 'ours_i4.npy')\n"
                      "ok = a.dtype == np.float32 and a.shape == (2, 2) and \\\n"
                      "    np.array_equal(a, np.array([[0.5, -1], [3, 1e20]], np.float32)) and \\\n"
                      "    b.dtype == np.int32 and b.shape == () and b == 5\n"
                      "sys.exit(0 if ok else 1)\n"),
            0);
  for (const char *f : {"f4", "f8", "i4", "i8", "fortran", "v2", "v3", "ours", "ours_i4"})
    std::remove((dir + f + ".npy").c_str());
}

} // namespace
