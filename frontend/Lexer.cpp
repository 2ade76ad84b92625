//===- Lexer.cpp - Tokens of the .cnn language ----------------------------===//
//
// A hand-written scanner over the source bytes: comments, identifiers and
// keywords, integer and float literals, strings with `\"` and `\\` escapes,
// and the operators of DSL.md. Anything else is a located error.
//===----------------------------------------------------------------------===//

#include "frontend/Lexer.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace cnnopt;

std::string cnnopt::describeTokenKind(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof: return "end of file";
  case TokenKind::Newline: return "end of line";
  case TokenKind::Ident: return "identifier";
  case TokenKind::Int: return "integer";
  case TokenKind::Float: return "float";
  case TokenKind::String: return "string";
  case TokenKind::KwModel: return "'model'";
  case TokenKind::KwBlock: return "'block'";
  case TokenKind::KwTrain: return "'train'";
  case TokenKind::KwReturn: return "'return'";
  case TokenKind::KwFor: return "'for'";
  case TokenKind::KwIn: return "'in'";
  case TokenKind::KwIf: return "'if'";
  case TokenKind::KwElse: return "'else'";
  case TokenKind::KwTrue: return "'true'";
  case TokenKind::KwFalse: return "'false'";
  case TokenKind::KwAnd: return "'and'";
  case TokenKind::KwOr: return "'or'";
  case TokenKind::KwNot: return "'not'";
  case TokenKind::Plus: return "'+'";
  case TokenKind::Minus: return "'-'";
  case TokenKind::Star: return "'*'";
  case TokenKind::Slash: return "'/'";
  case TokenKind::Percent: return "'%'";
  case TokenKind::EqEq: return "'=='";
  case TokenKind::NotEq: return "'!='";
  case TokenKind::Less: return "'<'";
  case TokenKind::LessEq: return "'<='";
  case TokenKind::Greater: return "'>'";
  case TokenKind::GreaterEq: return "'>='";
  case TokenKind::Assign: return "'='";
  case TokenKind::Comma: return "','";
  case TokenKind::Colon: return "':'";
  case TokenKind::Semicolon: return "';'";
  case TokenKind::LParen: return "'('";
  case TokenKind::RParen: return "')'";
  case TokenKind::LBracket: return "'['";
  case TokenKind::RBracket: return "']'";
  case TokenKind::LBrace: return "'{'";
  case TokenKind::RBrace: return "'}'";
  case TokenKind::DotDot: return "'..'";
  }
  return "token";
}

std::string cnnopt::describeToken(const Token &token) {
  switch (token.kind) {
  case TokenKind::Ident:
  case TokenKind::Int:
  case TokenKind::Float:
    return "'" + token.text + "'";
  case TokenKind::String:
    return "string \"" + token.text + "\"";
  default:
    return describeTokenKind(token.kind);
  }
}

namespace {

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }

/// Keyword kind of an identifier spelling, or Ident.
TokenKind keywordKind(std::string_view s) {
  static const struct {
    const char *spelling;
    TokenKind kind;
  } keywords[] = {
      {"model", TokenKind::KwModel}, {"block", TokenKind::KwBlock},
      {"train", TokenKind::KwTrain}, {"return", TokenKind::KwReturn},
      {"for", TokenKind::KwFor},     {"in", TokenKind::KwIn},
      {"if", TokenKind::KwIf},       {"else", TokenKind::KwElse},
      {"true", TokenKind::KwTrue},   {"false", TokenKind::KwFalse},
      {"and", TokenKind::KwAnd},     {"or", TokenKind::KwOr},
      {"not", TokenKind::KwNot},
  };
  for (const auto &k : keywords)
    if (s == k.spelling)
      return k.kind;
  return TokenKind::Ident;
}

/// `'x'` for a printable character, `byte 0x07` otherwise.
std::string describeChar(unsigned char c) {
  if (c >= 0x21 && c < 0x7f)
    return "character '" + std::string(1, static_cast<char>(c)) + "'";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "byte 0x%02x", c);
  return buf;
}

/// The scanner state over one source buffer.
class Scanner {
public:
  Scanner(std::string_view src, const std::string &file, DiagnosticSink &diags)
      : src(src), file(file), diags(diags) {}

  std::optional<std::vector<Token>> run();

private:
  char peek(size_t ahead = 0) const {
    return pos + ahead < src.size() ? src[pos + ahead] : '\0';
  }
  bool atEnd(size_t ahead = 0) const { return pos + ahead >= src.size(); }
  void advance(size_t n = 1) {
    for (size_t i = 0; i < n && pos < src.size(); ++i) {
      if (src[pos] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
      ++pos;
    }
  }
  bool fail(unsigned l, unsigned c, std::string message) {
    diags.error(SourceLoc{file, l, c}, std::move(message));
    return false;
  }
  void push(TokenKind kind, std::string text, unsigned l, unsigned c) {
    Token t;
    t.kind = kind;
    t.text = std::move(text);
    t.line = l;
    t.col = c;
    tokens.push_back(std::move(t));
  }
  bool lexNumber();
  bool lexString();
  bool lexOperator();

  std::string_view src;
  const std::string &file;
  DiagnosticSink &diags;
  size_t pos = 0;
  unsigned line = 1, col = 1;
  /// Depth of open `(` and `[`; newlines inside are dropped.
  unsigned groupDepth = 0;
  std::vector<Token> tokens;
};

bool Scanner::lexNumber() {
  unsigned l = line, c = col;
  size_t start = pos;
  bool isFloat = false;
  while (isDigit(peek()))
    advance();
  if (peek() == '.' && isDigit(peek(1))) {
    isFloat = true;
    advance();
    while (isDigit(peek()))
      advance();
  }
  if (peek() == 'e' || peek() == 'E') {
    size_t digitAt = (peek(1) == '+' || peek(1) == '-') ? 2 : 1;
    if (isDigit(peek(digitAt))) {
      isFloat = true;
      advance(digitAt);
      while (isDigit(peek()))
        advance();
    }
  }
  if (isIdentChar(peek()) || (peek() == '.' && peek(1) != '.')) {
    while (isIdentChar(peek()) || peek() == '.') {
      if (peek() == '.' && peek(1) == '.')
        break;
      advance();
    }
    return fail(l, c,
                "bad number '" + std::string(src.substr(start, pos - start)) +
                    "'");
  }
  std::string spelling(src.substr(start, pos - start));
  Token t;
  t.line = l;
  t.col = c;
  t.text = spelling;
  if (isFloat) {
    errno = 0;
    double v = std::strtod(spelling.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(v))
      return fail(l, c, "float literal '" + spelling + "' is out of range");
    t.kind = TokenKind::Float;
    t.floatValue = v;
  } else {
    int64_t v = 0;
    for (char d : spelling) {
      if (__builtin_mul_overflow(v, 10, &v) ||
          __builtin_add_overflow(v, d - '0', &v))
        return fail(l, c, "integer literal '" + spelling + "' is too large");
    }
    t.kind = TokenKind::Int;
    t.intValue = v;
  }
  tokens.push_back(std::move(t));
  return true;
}

bool Scanner::lexString() {
  unsigned l = line, c = col;
  advance(); // opening quote
  std::string value;
  while (true) {
    if (atEnd() || peek() == '\n')
      return fail(l, c, "unterminated string");
    char ch = peek();
    if (ch == '"') {
      advance();
      break;
    }
    if (ch == '\\') {
      char next = peek(1);
      if (next == '"' || next == '\\') {
        value.push_back(next);
        advance(2);
        continue;
      }
      unsigned el = line, ec = col;
      if (atEnd(1) || next == '\n')
        return fail(l, c, "unterminated string");
      std::string shown = (static_cast<unsigned char>(next) >= 0x21 &&
                           static_cast<unsigned char>(next) < 0x7f)
                              ? "'\\" + std::string(1, next) + "'"
                              : describeChar(static_cast<unsigned char>(next));
      return fail(el, ec,
                  "unknown escape " + shown +
                      " in string (only \\\" and \\\\ are allowed)");
    }
    unsigned char uc = static_cast<unsigned char>(ch);
    if ((uc < 0x20 && ch != '\t') || uc == 0x7f)
      return fail(line, col, "unexpected " + describeChar(uc) + " in string");
    value.push_back(ch);
    advance();
  }
  push(TokenKind::String, std::move(value), l, c);
  return true;
}

bool Scanner::lexOperator() {
  unsigned l = line, c = col;
  char ch = peek(), next = peek(1);
  struct TwoChar {
    char a, b;
    TokenKind kind;
  };
  static const TwoChar twoChars[] = {
      {'=', '=', TokenKind::EqEq},    {'!', '=', TokenKind::NotEq},
      {'<', '=', TokenKind::LessEq},  {'>', '=', TokenKind::GreaterEq},
      {'.', '.', TokenKind::DotDot},
  };
  for (const auto &t : twoChars) {
    if (ch == t.a && next == t.b) {
      advance(2);
      push(t.kind, std::string{t.a, t.b}, l, c);
      return true;
    }
  }
  TokenKind kind;
  switch (ch) {
  case '+': kind = TokenKind::Plus; break;
  case '-': kind = TokenKind::Minus; break;
  case '*': kind = TokenKind::Star; break;
  case '/': kind = TokenKind::Slash; break;
  case '%': kind = TokenKind::Percent; break;
  case '<': kind = TokenKind::Less; break;
  case '>': kind = TokenKind::Greater; break;
  case '=': kind = TokenKind::Assign; break;
  case ',': kind = TokenKind::Comma; break;
  case ':': kind = TokenKind::Colon; break;
  case ';': kind = TokenKind::Semicolon; break;
  case '(': kind = TokenKind::LParen; ++groupDepth; break;
  case ')': kind = TokenKind::RParen; groupDepth -= groupDepth > 0; break;
  case '[': kind = TokenKind::LBracket; ++groupDepth; break;
  case ']': kind = TokenKind::RBracket; groupDepth -= groupDepth > 0; break;
  case '{': kind = TokenKind::LBrace; break;
  case '}': kind = TokenKind::RBrace; break;
  default:
    return fail(l, c, "unexpected " + describeChar(static_cast<unsigned char>(ch)));
  }
  advance();
  push(kind, std::string(1, ch), l, c);
  return true;
}

std::optional<std::vector<Token>> Scanner::run() {
  while (!atEnd()) {
    char ch = peek();
    if (ch == ' ' || ch == '\t' || ch == '\r') {
      advance();
      continue;
    }
    if (ch == '#') {
      while (!atEnd() && peek() != '\n')
        advance();
      continue;
    }
    if (ch == '\n') {
      if (groupDepth == 0 && !tokens.empty() &&
          tokens.back().kind != TokenKind::Newline)
        push(TokenKind::Newline, "\n", line, col);
      advance();
      continue;
    }
    if (isIdentStart(ch)) {
      unsigned l = line, c = col;
      size_t start = pos;
      while (isIdentChar(peek()))
        advance();
      std::string text(src.substr(start, pos - start));
      TokenKind kind = keywordKind(text);
      push(kind, std::move(text), l, c);
      continue;
    }
    bool ok;
    if (isDigit(ch))
      ok = lexNumber();
    else if (ch == '"')
      ok = lexString();
    else
      ok = lexOperator();
    if (!ok)
      return std::nullopt;
  }
  push(TokenKind::Eof, "", line, col);
  return std::move(tokens);
}

} // namespace

std::optional<std::vector<Token>> cnnopt::lex(std::string_view source,
                                              const std::string &filename,
                                              DiagnosticSink &diags) {
  return Scanner(source, filename, diags).run();
}
