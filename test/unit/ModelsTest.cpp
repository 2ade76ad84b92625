//===- ModelsTest.cpp - The model zoo elaborates --------------------------===//
//
// Every `models/*.cnn` compiles; where the file states its trainable
// parameter total ("# Total: 11,689,512 trainable parameters." - the
// torchvision figure), the elaborated parameters add up to it.
//===----------------------------------------------------------------------===//

#include "FrontendTestUtil.h"

#include <dirent.h>
#include <fstream>
#include <regex>
#include <sstream>

using namespace cnnopt;

namespace {

std::vector<std::string> modelFiles() {
  std::vector<std::string> files;
  std::string dir = std::string(CNNOPT_SOURCE_DIR) + "/models";
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 4 && name.substr(name.size() - 4) == ".cnn")
        files.push_back(dir + "/" + name);
    }
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  return files;
}

int64_t trainableTotal(const ModelGraph &m) {
  int64_t total = 0;
  for (const GraphParam &p : m.params) {
    if (!p.trainable)
      continue;
    int64_t n = 1;
    for (int64_t d : m.values[p.value].shape)
      n *= d;
    total += n;
  }
  return total;
}

TEST(Models, EveryModelCompilesWithItsStatedParameterTotal) {
  std::vector<std::string> files = modelFiles();
  if (files.empty())
    GTEST_SKIP() << "no models/*.cnn";
  std::regex totalRe("Total: ([0-9,]+) trainable parameters");
  for (const std::string &path : files) {
    SCOPED_TRACE(path);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string src = text.str();
    DiagnosticSink diags;
    std::optional<Program> p = compileSource(src, path, diags);
    ASSERT_TRUE(p.has_value())
        << (diags.hasErrors() ? DiagnosticSink::format(diags.all()[0]) : "");
    ASSERT_FALSE(p->models.empty());
    std::smatch m;
    if (std::regex_search(src, m, totalRe)) {
      std::string digits;
      for (char c : m[1].str())
        if (c != ',')
          digits.push_back(c);
      EXPECT_EQ(trainableTotal(p->models[0]), std::stoll(digits));
    }
    // Parameter names are unique state_dict keys.
    std::set<std::string> names;
    for (const GraphParam &param : p->models[0].params)
      EXPECT_TRUE(names.insert(param.name).second) << param.name;
  }
}

} // namespace
