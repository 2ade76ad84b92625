//===- Lexer.h - Tokens of the .cnn language --------------------*- C++ -*-===//
//
// Splits `.cnn` text into tokens (DSL.md "Lexical rules"). Every token carries
// its 1-based line and column. Newlines are statement separators except inside
// `(...)` and `[...]`, where the lexer drops them; runs of newlines collapse
// into one token. The first malformed character stops lexing with a located
// error.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_LEXER_H
#define CNNOPT_FRONTEND_LEXER_H

#include "frontend/Diagnostics.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cnnopt {

/// Every kind of token of the language.
enum class TokenKind {
  Eof,
  Newline,
  Ident,
  Int,
  Float,
  String,
  // Keywords.
  KwModel,
  KwBlock,
  KwTrain,
  KwReturn,
  KwFor,
  KwIn,
  KwIf,
  KwElse,
  KwTrue,
  KwFalse,
  KwAnd,
  KwOr,
  KwNot,
  // Operators and punctuation.
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  EqEq,
  NotEq,
  Less,
  LessEq,
  Greater,
  GreaterEq,
  Assign,
  Comma,
  Colon,
  Semicolon,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  DotDot,
};

/// One token. `text` is the identifier, the decoded string value, or the
/// spelling of a number or operator.
struct Token {
  TokenKind kind = TokenKind::Eof;
  std::string text;
  int64_t intValue = 0;
  double floatValue = 0.0;
  unsigned line = 0;
  unsigned col = 0;
};

/// The spelling of a token kind for messages (`'('`, `end of line`, ...).
std::string describeTokenKind(TokenKind kind);

/// How a token reads in a message: `'foo'`, `'('`, `end of line`.
std::string describeToken(const Token &token);

/// Lexes `source`. On error reports one located diagnostic (file `filename`)
/// to `diags` and returns nothing. The result always ends with an Eof token.
std::optional<std::vector<Token>> lex(std::string_view source,
                                      const std::string &filename,
                                      DiagnosticSink &diags);

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_LEXER_H
