//===- EmitCnn.cpp - cnnopt --emit=cnn ------------------------------------===//

#include "tools/cnnopt/EmitCnn.h"
#include "codegen/runtime/cnnopt_runtime.h"
#include "frontend/CnnWriter.h"
#include "tools/cnnopt/OutputFiles.h"
#include "tools/common/ModelLoader.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace cnnopt::tools {

namespace {

/// The carried weights of `models` under their printed names.
bool writeWeights(const Program &program, const std::vector<const ModelGraph *> &models,
                  const std::vector<CnnSource> &sources, const std::string &path,
                  std::string &error) {
  std::vector<std::string> names;
  std::vector<cnnopt_param_info> table;
  std::vector<float> flat;
  for (size_t m = 0; m < models.size(); ++m)
    for (const GraphParam &p : models[m]->params) {
      auto renamed = sources[m].renamed.find(p.name);
      names.push_back(renamed == sources[m].renamed.end() ? p.name : renamed->second);
      const std::vector<float> &values = program.paramValues.at(p.name);
      const Shape &shape = models[m]->values[p.value].shape;
      cnnopt_param_info row{};
      row.rank = int(shape.size());
      std::copy(shape.begin(), shape.end(), row.shape);
      row.offset = int64_t(flat.size());
      row.size = int64_t(values.size());
      flat.insert(flat.end(), values.begin(), values.end());
      table.push_back(row);
    }
  for (size_t k = 0; k < table.size(); ++k)
    table[k].name = names[k].c_str();
  char message[1024];
  if (cnnopt_save_safetensors(path.c_str(), table.data(), int(table.size()), flat.data(), message,
                              sizeof message) == 0)
    return true;
  error = message;
  return false;
}

} // namespace

int emitCnn(const Program &program, const ModelGraph *only, const std::string &inputFile,
            const std::string &outputFile) {
  std::vector<const ModelGraph *> models;
  if (only)
    models.push_back(only);
  else
    for (const ModelGraph &m : program.models)
      models.push_back(&m);
  std::vector<CnnSource> sources;
  std::string text;
  std::string origin = llvm::sys::path::filename(inputFile).str();
  for (const ModelGraph *m : models) {
    sources.push_back(writeCnn(*m, origin));
    if (!sources.back().error.empty())
      return fail("cnnopt", "--emit=cnn: model " + m->name + ": " + sources.back().error);
    text += (text.empty() ? "" : "\n") + sources.back().text;
  }
  if (outputFile.empty()) {
    llvm::outs() << text;
    return 0;
  }
  OutputFiles outputs;
  std::string error;
  std::string scratch = outputs.add(outputFile, error);
  if (scratch.empty())
    return fail("cnnopt", error);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(scratch, ec);
    if (ec)
      return fail("cnnopt", "cannot write " + outputFile + ": " + ec.message());
    os << text;
  }
  if (!program.paramValues.empty()) {
    llvm::SmallString<128> weights(outputFile);
    llvm::sys::path::replace_extension(weights, "safetensors");
    std::string weightsScratch = outputs.add(weights.str().str(), error);
    if (weightsScratch.empty() || !writeWeights(program, models, sources, weightsScratch, error))
      return fail("cnnopt", "cannot write " + weights.str() + ": " + error);
  }
  return outputs.commit(error) ? 0 : fail("cnnopt", error);
}

} // namespace cnnopt::tools
