//===- LexerTest.cpp - Tokens, locations and lexical errors ---------------===//

#include "frontend/Lexer.h"

#include <gtest/gtest.h>

using namespace cnnopt;

namespace {

/// Lexes `src`; on error returns no tokens and sets `error` to
/// "line:col: message".
std::vector<Token> lexOk(const std::string &src) {
  DiagnosticSink diags;
  auto tokens = lex(src, "t.cnn", diags);
  EXPECT_TRUE(tokens.has_value());
  return tokens ? *tokens : std::vector<Token>{};
}

std::string lexError(const std::string &src) {
  DiagnosticSink diags;
  auto tokens = lex(src, "t.cnn", diags);
  if (tokens || !diags.hasErrors())
    return "no error";
  const Diagnostic &d = diags.all().front();
  return std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + ": " +
         d.message;
}

/// The kinds of `tokens` as their message spelling, space separated.
std::string kinds(const std::vector<Token> &tokens) {
  std::string out;
  for (const Token &t : tokens)
    out += (out.empty() ? "" : " ") +
           (t.kind == TokenKind::Ident || t.kind == TokenKind::Int ||
                    t.kind == TokenKind::Float
                ? t.text
                : describeTokenKind(t.kind));
  return out;
}

TEST(Lexer, KeywordsIdentifiersAndOperators) {
  auto t = lexOk("model block train return for in if else true false and or "
                 "not _x9");
  EXPECT_EQ(kinds(t), "'model' 'block' 'train' 'return' 'for' 'in' 'if' "
                      "'else' 'true' 'false' 'and' 'or' 'not' _x9 end of file");
  t = lexOk("+ - * / % == != < <= > >= = , : ; ( ) [ ] { } ..");
  EXPECT_EQ(kinds(t), "'+' '-' '*' '/' '%' '==' '!=' '<' '<=' '>' '>=' '=' "
                      "',' ':' ';' '(' ')' '[' ']' '{' '}' '..' end of file");
}

TEST(Lexer, Numbers) {
  auto t = lexOk("123 1.5 1e-5 5e-4 2E+3 0..n");
  ASSERT_EQ(t.size(), 9u);
  EXPECT_EQ(t[0].kind, TokenKind::Int);
  EXPECT_EQ(t[0].intValue, 123);
  EXPECT_EQ(t[1].kind, TokenKind::Float);
  EXPECT_DOUBLE_EQ(t[1].floatValue, 1.5);
  EXPECT_DOUBLE_EQ(t[2].floatValue, 1e-5);
  EXPECT_DOUBLE_EQ(t[3].floatValue, 5e-4);
  EXPECT_DOUBLE_EQ(t[4].floatValue, 2000.0);
  // `0..n` is a range, not a float.
  EXPECT_EQ(t[5].kind, TokenKind::Int);
  EXPECT_EQ(t[6].kind, TokenKind::DotDot);
  EXPECT_EQ(t[7].kind, TokenKind::Ident);
}

TEST(Lexer, StringsWithEscapes) {
  auto t = lexOk(R"("nearest" "a\"b" "c\\d")");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].text, "nearest");
  EXPECT_EQ(t[1].text, "a\"b");
  EXPECT_EQ(t[2].text, "c\\d");
}

TEST(Lexer, LocationsAreOneBased) {
  auto t = lexOk("a = 1\n  bb = conv2d(x)");
  ASSERT_GE(t.size(), 8u);
  EXPECT_EQ(t[0].line, 1u);
  EXPECT_EQ(t[0].col, 1u);
  EXPECT_EQ(t[2].col, 5u);   // 1
  EXPECT_EQ(t[3].kind, TokenKind::Newline);
  EXPECT_EQ(t[4].line, 2u); // bb
  EXPECT_EQ(t[4].col, 3u);
  EXPECT_EQ(t[6].text, "conv2d");
  EXPECT_EQ(t[6].col, 8u);
}

TEST(Lexer, NewlinesCollapseAndVanishInsideBrackets) {
  auto t = lexOk("a\n\n# comment\n\nb(1,\n 2) [3,\n4]\nc");
  EXPECT_EQ(kinds(t), "a end of line b '(' 1 ',' 2 ')' '[' 3 ',' 4 ']' "
                      "end of line c end of file");
}

TEST(Lexer, CommentsRunToEndOfLine) {
  auto t = lexOk("x # = ( \"unterminated\n y");
  EXPECT_EQ(kinds(t), "x end of line y end of file");
}

TEST(Lexer, Errors) {
  EXPECT_EQ(lexError("a = $"), "1:5: unexpected character '$'");
  EXPECT_EQ(lexError("a\n  b = 1 ! 2"), "2:9: unexpected character '!'");
  EXPECT_EQ(lexError(std::string("x = \x01\x02", 6)),
            "1:5: unexpected byte 0x01");
  EXPECT_EQ(lexError(std::string("m\0m", 3)), "1:2: unexpected byte 0x00");
  EXPECT_EQ(lexError("x = \"abc"), "1:5: unterminated string");
  EXPECT_EQ(lexError("x = \"abc\ny\""), "1:5: unterminated string");
  EXPECT_EQ(lexError(R"(x = "a\nb")"),
            "1:7: unknown escape '\\n' in string (only \\\" and \\\\ are "
            "allowed)");
  EXPECT_EQ(lexError("x = 99999999999999999999"),
            "1:5: integer literal '99999999999999999999' is too large");
  EXPECT_EQ(lexError("x = 12abc"), "1:5: bad number '12abc'");
  EXPECT_EQ(lexError("x = 1e999"), "1:5: float literal '1e999' is out of range");
  EXPECT_EQ(lexError("x = ."), "1:5: unexpected character '.'");
  EXPECT_EQ(lexError("x = \xc3\xa9"), "1:5: unexpected byte 0xc3");
}

TEST(Lexer, BinaryGarbageNeverCrashes) {
  std::string junk;
  for (int i = 0; i < 4096; ++i)
    junk.push_back(static_cast<char>((i * 7919) & 0xff));
  DiagnosticSink diags;
  auto tokens = lex(junk, "t.cnn", diags);
  EXPECT_FALSE(tokens.has_value());
  EXPECT_TRUE(diags.hasErrors());
}

} // namespace
