//===- ParamTable.cpp - A program's parameters as the runtime's table -----===//

#include "codegen/ParamTable.h"

#include <algorithm>

namespace cnnopt::codegen {

std::vector<cnnopt_param_info> paramTable(const KernelProgram &program) {
  std::vector<cnnopt_param_info> table;
  for (const KernelParam &p : program.params) {
    cnnopt_param_info info{};
    info.name = p.name.c_str();
    const Shape &shape = program.values[p.value].shape;
    info.rank = int(shape.size());
    std::copy(shape.begin(), shape.end(), info.shape);
    info.offset = p.offset;
    info.size = p.size;
    info.init = static_cast<int>(p.init);
    info.bound = float(p.bound);
    table.push_back(info);
  }
  return table;
}

bool loadParams(const KernelProgram &program, const std::string &weightsFile, uint64_t seed,
                std::vector<float> &params, std::string &error, const ParamValues *carried) {
  std::vector<cnnopt_param_info> table = paramTable(program);
  params.assign(size_t(program.paramFloats), 0.0f);
  if (weightsFile.empty() && carried && !carried->empty()) {
    for (const cnnopt_param_info &row : table) {
      auto found = carried->find(row.name);
      if (found == carried->end() || int64_t(found->second.size()) != row.size) {
        error = std::string("the model file carries no value of ") +
                (found == carried->end() ? "" : "the right size for ") + "parameter '" +
                row.name + "'";
        return false;
      }
      std::copy(found->second.begin(), found->second.end(), params.begin() + row.offset);
    }
    return true;
  }
  if (weightsFile.empty()) {
    cnnopt_init_params(table.data(), int(table.size()), params.data(), seed);
    return true;
  }
  char message[8192];
  if (cnnopt_load_safetensors(weightsFile.c_str(), table.data(), int(table.size()),
                              params.data(), message, sizeof(message)) == 0)
    return true;
  error = message;
  return false;
}

} // namespace cnnopt::codegen
