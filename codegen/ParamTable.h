//===- ParamTable.h - A program's parameters as the runtime's table -*- C++ -*-===//
//
// The cnnopt_param_info rows (state_dict key, shape, offset, initialiser)
// that the runtime library loads, saves and initialises by; the same rows
// the generated header lists.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_PARAMTABLE_H
#define CNNOPT_CODEGEN_PARAMTABLE_H

#include "codegen/KernelSpec.h"
#include "codegen/runtime/cnnopt_runtime.h"

#include <map>
#include <string>
#include <vector>

namespace cnnopt::codegen {

/// One row per parameter; names point into `program`, which must outlive it.
std::vector<cnnopt_param_info> paramTable(const KernelProgram &program);

/// Parameter values by name, as a model file may carry them (ONNX).
using ParamValues = std::map<std::string, std::vector<float>>;

/// The flat parameter array: from `weightsFile` (.safetensors, strict) when
/// given, else from the values the model file carries (`carried`, when not
/// empty), else PyTorch's default initialisers with `seed`. False with
/// `error` set when the file does not fit the model.
bool loadParams(const KernelProgram &program, const std::string &weightsFile, uint64_t seed,
                std::vector<float> &params, std::string &error,
                const ParamValues *carried = nullptr);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_PARAMTABLE_H
