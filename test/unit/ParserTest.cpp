//===- ParserTest.cpp - Grammar, precedence and syntax errors -------------===//

#include "FrontendTestUtil.h"
#include "frontend/Parser.h"

#include <gtest/gtest.h>

using namespace cnnopt;
using namespace cnnopt::ast;
using cnnopt::test::firstError;

namespace {

std::optional<File> parseText(const std::string &src, std::string *error) {
  DiagnosticSink diags;
  auto tokens = lex(src, "t.cnn", diags);
  std::optional<File> f;
  if (tokens)
    f = parse(*tokens, "t.cnn", diags);
  if (error && diags.hasErrors()) {
    const Diagnostic &d = diags.all().front();
    *error = std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) +
             ": " + d.message;
  }
  return f;
}

/// Fully parenthesised form of an expression.
std::string show(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Int: return std::to_string(e.intValue);
  case ExprKind::Float: return std::to_string(e.floatValue);
  case ExprKind::Str: return "\"" + e.text + "\"";
  case ExprKind::Bool: return e.boolValue ? "true" : "false";
  case ExprKind::Name: return e.text;
  case ExprKind::List: {
    std::string s = "[";
    for (size_t k = 0; k < e.args.size(); ++k)
      s += (k ? " " : "") + show(*e.args[k]);
    return s + "]";
  }
  case ExprKind::Call: {
    std::string s = e.text + "(";
    for (size_t k = 0; k < e.args.size(); ++k)
      s += (k ? " " : "") + show(*e.args[k]);
    for (const KeywordArg &kw : e.kwargs)
      s += " " + kw.name.name + "=" + show(*kw.value);
    return s + ")";
  }
  case ExprKind::Unary:
    return std::string("(") + (e.unaryOp == UnaryOp::Neg ? "-" : "not ") +
           show(*e.args[0]) + ")";
  case ExprKind::Binary:
    return "(" + show(*e.args[0]) + " " + spelling(e.binaryOp) + " " +
           show(*e.args[1]) + ")";
  }
  return "?";
}

/// Parses `expr` as the right-hand side of `a = expr` in a model.
std::string showExpr(const std::string &expr) {
  std::string error;
  auto f = parseText("model M(x: f32[1]) {\n  a = " + expr + "\n  return a\n}",
                     &error);
  if (!f)
    return "error " + error;
  return show(*f->models[0].body[0]->value);
}

std::string parseError(const std::string &src) {
  std::string error = "no error";
  parseText(src, &error);
  return error;
}

TEST(Parser, Precedence) {
  EXPECT_EQ(showExpr("1 + 2 * 3"), "(1 + (2 * 3))");
  EXPECT_EQ(showExpr("1 - 2 - 3"), "((1 - 2) - 3)");
  EXPECT_EQ(showExpr("-a * b"), "((-a) * b)");
  EXPECT_EQ(showExpr("a / b % c"), "((a / b) % c)");
  EXPECT_EQ(showExpr("a + b == c * d"), "((a + b) == (c * d))");
  EXPECT_EQ(showExpr("not a == b"), "(not (a == b))");
  EXPECT_EQ(showExpr("a or b and not c"), "(a or (b and (not c)))");
  EXPECT_EQ(showExpr("a < b or c >= d and e != f"),
            "((a < b) or ((c >= d) and (e != f)))");
  EXPECT_EQ(showExpr("(1 + 2) * 3"), "((1 + 2) * 3)");
  EXPECT_EQ(showExpr("- - x"), "(-(-x))");
}

TEST(Parser, CallsListsAndKeywords) {
  EXPECT_EQ(showExpr("conv2d(x, 8, kernel=[3, 3], padding=\"same\")"),
            "conv2d(x 8 kernel=[3 3] padding=\"same\")");
  EXPECT_EQ(showExpr("f()"), "f()");
  EXPECT_EQ(showExpr("concat(\n  [a,\n   b],\n  axis=1)"),
            "concat([a b] axis=1)");
  EXPECT_EQ(showExpr("relu(conv2d(x, 8, 3)) + x"),
            "(relu(conv2d(x 8 3)) + x)");
}

TEST(Parser, Declarations) {
  std::string error;
  auto f = parseText(
      "block B(x, out: int, k: int = 3, s: str = \"a\", l: ints = [1]) {\n"
      "  return x\n}\n"
      "model M(x: f32[N, 3, 8, 8], y: i32[N]) { return x }\n"
      "train M(labels: i32[N]) { loss = 1; optimizer = 2 }\n",
      &error);
  ASSERT_TRUE(f) << error;
  ASSERT_EQ(f->blocks.size(), 1u);
  const BlockDecl &b = f->blocks[0];
  ASSERT_EQ(b.params.size(), 5u);
  EXPECT_EQ(b.params[0].kind, ParamKind::Tensor);
  EXPECT_EQ(b.params[1].kind, ParamKind::Int);
  EXPECT_EQ(b.params[1].defaultValue, nullptr);
  EXPECT_NE(b.params[2].defaultValue, nullptr);
  EXPECT_EQ(b.params[3].kind, ParamKind::Str);
  EXPECT_EQ(b.params[4].kind, ParamKind::Ints);
  EXPECT_EQ(b.close.line, 3u);
  ASSERT_EQ(f->models.size(), 1u);
  const ModelDecl &m = f->models[0];
  ASSERT_EQ(m.inputs.size(), 2u);
  EXPECT_TRUE(m.inputs[0].dims[0].isName);
  EXPECT_EQ(m.inputs[0].dims[3].value, 8);
  EXPECT_TRUE(m.inputs[1].isI32);
  ASSERT_EQ(f->trains.size(), 1u);
  EXPECT_EQ(f->trains[0].body.size(), 2u);
}

TEST(Parser, IfElseForAndMultipleTargets) {
  std::string error;
  auto f = parseText("model M(x: f32[1]) {\n"
                     "  if a { b = 1 }\n"
                     "  else { b = 2 }\n"
                     "  if a { c = 1 } else if d { c = 2 }\n"
                     "  for i in 0..n + 1 { e = i }\n"
                     "  p, q = B(x)\n"
                     "  return p, q\n"
                     "}\n",
                     &error);
  ASSERT_TRUE(f) << error;
  const StmtList &body = f->models[0].body;
  ASSERT_EQ(body.size(), 5u);
  EXPECT_EQ(body[0]->kind, StmtKind::If);
  EXPECT_TRUE(body[0]->hasElse);
  EXPECT_EQ(body[1]->elseBody.size(), 1u);
  EXPECT_EQ(body[1]->elseBody[0]->kind, StmtKind::If);
  EXPECT_EQ(body[2]->kind, StmtKind::For);
  EXPECT_EQ(show(*body[2]->hi), "(n + 1)");
  EXPECT_EQ(body[3]->targets.size(), 2u);
  EXPECT_EQ(body[4]->values.size(), 2u);
}

TEST(Parser, Errors) {
  EXPECT_EQ(parseError("model M(x: f32[1]) {\n  a = conv2d(x, 8\n  return a\n}"),
            "3:3: expected ')' to close the arguments of 'conv2d', got "
            "'return'");
  EXPECT_EQ(parseError("model M(x: f32[1]) {\n  a = f(k=1, x)\n  return a\n}"),
            "2:14: positional argument after keyword argument");
  EXPECT_EQ(parseError("model M(x: f32[1]) {\n  a = relu(x)\n}"),
            "3:1: model 'M' has no return");
  EXPECT_EQ(parseError("block B(x) {\n  if true { return x }\n}"),
            "3:1: block 'B' can reach its end without a return");
  EXPECT_EQ(parseError("model M(x: f32[1]) {\n  return x\n  y = x\n}"),
            "3:3: unreachable statement after return");
  EXPECT_EQ(parseError("model M(x: f32[1]) {\n  relu(x)\n  return x\n}"),
            "2:3: the result of 'relu(...)' must be assigned to a name");
  EXPECT_EQ(parseError("model M(x: f64[1]) { return x }"),
            "1:12: unknown element type 'f64'; expected f32 or i32");
  EXPECT_EQ(parseError("block B(x: tensors) { return x }"),
            "1:12: unknown parameter kind 'tensors'; expected tensor, int, "
            "float, bool, str or ints");
  EXPECT_EQ(parseError("model M(x: f32[1]) { a = 1 b = 2\n return a }"),
            "1:28: expected end of line after the statement, got 'b'");
  EXPECT_EQ(parseError("relu"),
            "1:1: expected 'block', 'model' or 'train', got 'relu'");
  EXPECT_EQ(parseError("model M(x: f32[1]) {\n  a = 1 +\n  return a\n}"),
            "2:10: expected an expression, got end of line");
  EXPECT_EQ(parseError("model M(x: f32[1]) {\n  a = 1"),
            "2:8: expected '}' to close the body, got end of file");
  EXPECT_EQ(parseError("train M(l: i32[N]) {\n  return l\n}"),
            "2:3: a train declaration has no return; bind 'loss' and "
            "'optimizer' instead");
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  const std::string head = "model M(x: f32[1]) {\n  a = ";
  EXPECT_EQ(parseError(head + std::string(10000, '(') + "1" +
                       std::string(10000, ')') + "\n  return a\n}"),
            "2:263: nesting deeper than 256 levels");
  EXPECT_EQ(parseError(head + std::string(10000, '[') + "1" +
                       std::string(10000, ']') + "\n  return a\n}"),
            "2:263: nesting deeper than 256 levels");
  EXPECT_EQ(parseError(head + std::string(10000, '-') + "1\n  return a\n}"),
            "2:263: nesting deeper than 256 levels");
  std::string calls;
  for (int i = 0; i < 10000; ++i)
    calls += "f(";
  EXPECT_NE(parseError(head + calls + "\n  return a\n}")
                .find("nesting deeper than 256 levels"),
            std::string::npos);
  std::string ifs;
  for (int i = 0; i < 10000; ++i)
    ifs += "if true {\n";
  EXPECT_NE(parseError("model M(x: f32[1]) {\n" + ifs)
                .find("nesting deeper than 256 levels"),
            std::string::npos);
  std::string chain = "1";
  for (int i = 0; i < 5000; ++i)
    chain += " + 1";
  EXPECT_NE(parseError(head + chain + "\n  return a\n}")
                .find("expression deeper than 1000 levels"),
            std::string::npos);
  // 200 levels are fine.
  EXPECT_EQ(parseError(head + std::string(200, '(') + "1" +
                       std::string(200, ')') + "\n  return x\n}"),
            "no error");
}

TEST(Parser, EmptyFileHasNoModel) {
  EXPECT_EQ(firstError(""), "1:1: no model in file");
  EXPECT_EQ(firstError("# only a comment\n\n"), "1:1: no model in file");
  EXPECT_EQ(firstError("block B(x) { return x }"), "1:1: no model in file");
}

} // namespace
