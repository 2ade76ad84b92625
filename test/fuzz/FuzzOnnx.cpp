//===- FuzzOnnx.cpp - libFuzzer harness for the ONNX importer -------------===//
//
// Runs an input through the path of `cnnopt model.onnx --emit=mlir`: the
// protobuf parse and the import (importOnnx), then, when the file is
// accepted, the module check of ModuleCheck.h and the `.cnn` printer. A
// refusal must come with its one-line error; the importer's node bound is
// lowered so that every input finishes within libFuzzer's time limit.
//===----------------------------------------------------------------------===//

#include "frontend/CnnWriter.h"
#include "frontend/onnx/OnnxImport.h"
#include "test/fuzz/ModuleCheck.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  cnnopt::FrontendOptions options;
  options.maxNodes = 4000;
  std::string error;
  std::optional<cnnopt::Program> program =
      cnnopt::onnx_import::importOnnx(bytes, "fuzz.onnx", error, options);
  static const bool verbose = std::getenv("CNNOPT_FUZZ_VERBOSE") != nullptr;
  if (verbose && !error.empty())
    std::fprintf(stderr, "%s\n", error.c_str());
  if (!program) {
    if (error.rfind("fuzz.onnx: ", 0) != 0) {
      std::fprintf(stderr, "importOnnx failed without a located error: '%s'\n", error.c_str());
      std::abort();
    }
    return 0;
  }
  cnnopt::fuzz::checkModule(*program);
  for (const cnnopt::ModelGraph &model : program->models)
    (void)cnnopt::writeCnn(model, "fuzz.onnx");
  return 0;
}
