//===- Frontend.cpp - .cnn text to elaborated graphs ----------------------===//
//
// compileSource(): lex, parse, elaborate; the first error stops the chain.
//===----------------------------------------------------------------------===//

#include "frontend/Frontend.h"
#include "frontend/Elaborator.h"
#include "frontend/Lexer.h"
#include "frontend/Parser.h"

using namespace cnnopt;

std::optional<Program> cnnopt::compileSource(std::string_view source,
                                             const std::string &filename,
                                             DiagnosticSink &diags,
                                             const FrontendOptions &options) {
  std::optional<std::vector<Token>> tokens = lex(source, filename, diags);
  if (!tokens)
    return std::nullopt;
  std::optional<ast::File> file = parse(*tokens, filename, diags);
  if (!file)
    return std::nullopt;
  return elaborate(*file, filename, diags, options);
}
