//===- ModuleCheck.h - What the front-end harnesses check last --*- C++ -*-===//
//
// An input the front end (`.cnn` or ONNX) accepts must become a cnn module
// that verifies: a module that does not is a disagreement between the front
// end's shape rules and the dialect's (the user would get an internal
// error), so the harness aborts with the verifier's message.
//
// One MLIRContext serves many inputs, since creating one per input costs more
// than most inputs take. Attributes, types and locations are uniqued in the
// context and never freed, so it is replaced every kInputsPerContext modules
// to keep memory bounded over long runs.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_TEST_FUZZ_MODULECHECK_H
#define CNNOPT_TEST_FUZZ_MODULECHECK_H

#include "frontend/MLIRGen.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace cnnopt::fuzz {

/// Builds, verifies and prints (to a null stream) the module of an accepted
/// program; aborts when it does not verify.
inline void checkModule(const Program &program) {
  constexpr int kInputsPerContext = 2000;
  static std::unique_ptr<mlir::MLIRContext> context;
  static int modulesInContext = 0;
  static std::string verifierMessages;
  if (!context || modulesInContext >= kInputsPerContext) {
    // Threading off: verification would otherwise start a thread pool, which
    // only costs time here.
    context = std::make_unique<mlir::MLIRContext>(mlir::MLIRContext::Threading::DISABLED);
    context->getDiagEngine().registerHandler([](mlir::Diagnostic &d) {
      verifierMessages += d.str();
      verifierMessages += '\n';
      return mlir::success();
    });
    modulesInContext = 0;
  }
  ++modulesInContext;
  verifierMessages.clear();
  mlir::OwningOpRef<mlir::ModuleOp> module = buildModule(*context, program);
  if (!module) {
    std::fprintf(stderr, "the front end accepted the input, but its module does not verify:\n%s",
                 verifierMessages.c_str());
    std::abort();
  }
  module->print(llvm::nulls());
}

} // namespace cnnopt::fuzz

#endif // CNNOPT_TEST_FUZZ_MODULECHECK_H
