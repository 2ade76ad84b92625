//===- Parser.h - .cnn tokens to syntax tree --------------------*- C++ -*-===//
//
// A recursive-descent parser for the grammar of DSL.md. It also checks the
// rules that need no evaluation: keyword arguments after positionals, input
// and parameter kinds, and where `return` may stand. Nesting (parentheses,
// brackets, unary operators, `if`/`for` bodies) is limited to
// kMaxNesting levels so that hostile input cannot overflow the stack.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_PARSER_H
#define CNNOPT_FRONTEND_PARSER_H

#include "frontend/AST.h"
#include "frontend/Diagnostics.h"
#include "frontend/Lexer.h"

#include <optional>
#include <vector>

namespace cnnopt {

/// Deepest nesting of brackets, unary operators and statement bodies.
constexpr unsigned kMaxNesting = 256;
/// Highest expression tree (long operator chains such as `a + b + ...`).
constexpr unsigned kMaxExprDepth = 1000;

/// Parses `tokens` (from lex(), ending in Eof). Reports the first syntax
/// error to `diags` and returns nothing on failure.
std::optional<ast::File> parse(const std::vector<Token> &tokens,
                               const std::string &filename,
                               DiagnosticSink &diags);

/// Parses `tokens` (from lex(), ending in Eof) as one expression: the
/// `{...}` of a `name=` string. Reports the first syntax error to `diags`
/// and returns null on failure.
ast::ExprPtr parseExpression(const std::vector<Token> &tokens, const std::string &filename,
                             DiagnosticSink &diags);

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_PARSER_H
