//===- FuzzCnn.cpp - libFuzzer harness for the .cnn front end -------------===//
//
// Runs an input through the path of `cnnopt model.cnn --emit=mlir`: lex,
// parse and elaborate (compileSource), then, when the file is accepted, build
// the cnn module, verify it and print it to a null stream. Front-end
// diagnostics are the expected outcome for most inputs and are dropped
// (printed with CNNOPT_FUZZ_VERBOSE=1, to see why a reproducer is refused). A
// module that fails verification after the front end accepted the file is a
// disagreement between the front end's shape rules and the dialect's (a bug
// DSL.md forbids: the user would get an internal error), so it aborts with
// the verifier's message.
//
// The front end's work bounds are lowered from kMaxSteps/kMaxNodes (seconds
// of work at worst in a release build, by design: a million ops take about
// five) to about ten times what the largest model of models/ needs
// (DenseNet-121: 427 ops), so that every input finishes well within
// libFuzzer's one-second limit under the sanitizers; the bounds themselves
// are still exercised, at the lower values.
//
// The module check (and its shared MLIRContext) is ModuleCheck.h's.
//===----------------------------------------------------------------------===//

#include "frontend/Frontend.h"
#include "test/fuzz/ModuleCheck.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace {

constexpr uint64_t kFuzzMaxSteps = 100000;
constexpr size_t kFuzzMaxNodes = 4000;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view source(reinterpret_cast<const char *>(data), size);
  cnnopt::DiagnosticSink diags;
  cnnopt::FrontendOptions options;
  options.maxSteps = kFuzzMaxSteps;
  options.maxNodes = kFuzzMaxNodes;
  std::optional<cnnopt::Program> program =
      cnnopt::compileSource(source, "fuzz.cnn", diags, options);
  static const bool verbose = std::getenv("CNNOPT_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    for (const cnnopt::Diagnostic &d : diags.all())
      std::fprintf(stderr, "%s\n", cnnopt::DiagnosticSink::format(d).c_str());
  if (!program) {
    if (!diags.hasErrors()) {
      std::fprintf(stderr, "compileSource failed without a diagnostic\n");
      std::abort();
    }
    return 0;
  }
  cnnopt::fuzz::checkModule(*program);
  return 0;
}
