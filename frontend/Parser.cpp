//===- Parser.cpp - .cnn tokens to syntax tree ----------------------------===//
//
// Recursive descent, one function per grammar rule. Errors are reported once
// (the first one) and every function then unwinds by returning null/false.
// Expression precedence, lowest first: or; and; not; comparisons; + -;
// * / %; unary -; call.
//===----------------------------------------------------------------------===//

#include "frontend/Parser.h"

using namespace cnnopt;
using namespace cnnopt::ast;

const char *cnnopt::ast::spelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add: return "+";
  case BinaryOp::Sub: return "-";
  case BinaryOp::Mul: return "*";
  case BinaryOp::Div: return "/";
  case BinaryOp::Mod: return "%";
  case BinaryOp::Eq: return "==";
  case BinaryOp::Ne: return "!=";
  case BinaryOp::Lt: return "<";
  case BinaryOp::Le: return "<=";
  case BinaryOp::Gt: return ">";
  case BinaryOp::Ge: return ">=";
  case BinaryOp::And: return "and";
  case BinaryOp::Or: return "or";
  }
  return "?";
}

namespace {

/// Parser state over the token vector.
class Parser {
public:
  Parser(const std::vector<Token> &tokens, const std::string &file,
         DiagnosticSink &diags)
      : tokens(tokens), file(file), diags(diags) {}

  std::optional<File> parseFile();
  /// One expression and nothing after it.
  ExprPtr parseWholeExpr() {
    ExprPtr e = parseExpr();
    if (e && !is(TokenKind::Eof)) {
      error(loc(), "expected the end of the expression, got " + describeToken(tok()));
      return nullptr;
    }
    return e;
  }

private:
  //===--------------------------------------------------------------------===//
  // Token helpers
  //===--------------------------------------------------------------------===//
  const Token &tok() const { return tokens[pos]; }
  const Token &peekTok(size_t ahead) const {
    size_t i = pos + ahead;
    return i < tokens.size() ? tokens[i] : tokens.back();
  }
  bool is(TokenKind kind) const { return tok().kind == kind; }
  Loc loc() const { return {tok().line, tok().col}; }
  void next() {
    if (pos + 1 < tokens.size())
      ++pos;
  }
  bool consume(TokenKind kind) {
    if (!is(kind))
      return false;
    next();
    return true;
  }
  void skipNewlines() {
    while (is(TokenKind::Newline))
      next();
  }
  /// Reports the first error only; always returns false.
  bool error(Loc at, const std::string &message) {
    if (!failed)
      diags.error(SourceLoc{file, at.line, at.col}, message);
    failed = true;
    return false;
  }
  bool expect(TokenKind kind, const std::string &what) {
    if (consume(kind))
      return true;
    return error(loc(), "expected " + describeTokenKind(kind) + " " + what +
                            ", got " + describeToken(tok()));
  }
  bool expectIdent(Ident &out, const std::string &what) {
    if (!is(TokenKind::Ident))
      return error(loc(), "expected " + what + ", got " + describeToken(tok()));
    out.name = tok().text;
    out.loc = loc();
    next();
    return true;
  }

  /// Counts one level of nesting; false (with an error) past kMaxNesting.
  bool enter() {
    if (++nesting > kMaxNesting)
      return error(loc(), "nesting deeper than " + std::to_string(kMaxNesting) +
                              " levels");
    return true;
  }
  void leave() { --nesting; }

  //===--------------------------------------------------------------------===//
  // Declarations and statements
  //===--------------------------------------------------------------------===//
  bool parseBlock(File &f);
  bool parseModel(ModelDecl &m, bool isTrain);
  bool parseInput(InputDecl &in);
  bool parseBody(StmtList &body, Loc &close);
  StmtPtr parseStmt();
  StmtPtr parseIf();
  StmtPtr parseFor();

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//
  ExprPtr parseExpr();
  ExprPtr parseOr();
  ExprPtr parseAnd();
  ExprPtr parseNot();
  ExprPtr parseComparison();
  ExprPtr parseAdditive();
  ExprPtr parseMultiplicative();
  ExprPtr parseUnary();
  ExprPtr parsePrimary();
  ExprPtr parseCallArgs(ExprPtr call);
  ExprPtr makeBinary(BinaryOp op, Loc at, ExprPtr lhs, ExprPtr rhs);
  ExprPtr makeUnary(UnaryOp op, Loc at, ExprPtr operand);
  /// Sets `e->depth` from its children; false past kMaxExprDepth.
  bool fixDepth(Expr &e);

  const std::vector<Token> &tokens;
  const std::string &file;
  DiagnosticSink &diags;
  size_t pos = 0;
  unsigned nesting = 0;
  bool failed = false;
};

/// Whether running `body` reaches a `return` on every path.
bool alwaysReturns(const StmtList &body) {
  if (body.empty())
    return false;
  const Stmt &last = *body.back();
  if (last.kind == StmtKind::Return)
    return true;
  if (last.kind == StmtKind::If && last.hasElse)
    return alwaysReturns(last.body) && alwaysReturns(last.elseBody);
  return false;
}

/// The first `return` anywhere in `body`, or null.
const Stmt *findReturn(const StmtList &body) {
  for (const StmtPtr &s : body) {
    if (s->kind == StmtKind::Return)
      return s.get();
    if (s->kind == StmtKind::For || s->kind == StmtKind::If) {
      if (const Stmt *r = findReturn(s->body))
        return r;
      if (const Stmt *r = findReturn(s->elseBody))
        return r;
    }
  }
  return nullptr;
}

std::optional<File> Parser::parseFile() {
  File f;
  while (true) {
    while (is(TokenKind::Newline) || is(TokenKind::Semicolon))
      next();
    if (is(TokenKind::Eof))
      break;
    bool ok;
    if (consume(TokenKind::KwBlock)) {
      ok = parseBlock(f);
    } else if (consume(TokenKind::KwModel)) {
      f.models.emplace_back();
      ok = parseModel(f.models.back(), /*isTrain=*/false);
    } else if (consume(TokenKind::KwTrain)) {
      f.trains.emplace_back();
      ok = parseModel(f.trains.back(), /*isTrain=*/true);
    } else {
      ok = error(loc(), "expected 'block', 'model' or 'train', got " +
                            describeToken(tok()));
    }
    if (!ok)
      return std::nullopt;
  }
  return f;
}

bool Parser::parseBlock(File &f) {
  f.blocks.emplace_back();
  BlockDecl &b = f.blocks.back();
  if (!expectIdent(b.id, "a block name") ||
      !expect(TokenKind::LParen, "after the block name"))
    return false;
  do {
    BlockParam p;
    if (!expectIdent(p.id, "a parameter name"))
      return false;
    if (consume(TokenKind::Colon)) {
      static const struct {
        const char *name;
        ParamKind kind;
      } kinds[] = {{"tensor", ParamKind::Tensor}, {"int", ParamKind::Int},
                   {"float", ParamKind::Float},   {"bool", ParamKind::Bool},
                   {"str", ParamKind::Str},       {"ints", ParamKind::Ints}};
      Ident kind;
      if (!expectIdent(kind, "a parameter kind"))
        return false;
      bool found = false;
      for (const auto &k : kinds)
        if (kind.name == k.name) {
          p.kind = k.kind;
          found = true;
        }
      if (!found)
        return error(kind.loc, "unknown parameter kind '" + kind.name +
                                   "'; expected tensor, int, float, bool, "
                                   "str or ints");
    }
    if (consume(TokenKind::Assign)) {
      p.defaultValue = parseExpr();
      if (!p.defaultValue)
        return false;
    }
    b.params.push_back(std::move(p));
  } while (consume(TokenKind::Comma));
  if (!expect(TokenKind::RParen, "after the block parameters") ||
      !parseBody(b.body, b.close))
    return false;
  if (!alwaysReturns(b.body)) {
    if (findReturn(b.body))
      return error(b.close, "block '" + b.id.name +
                                "' can reach its end without a return");
    return error(b.close, "block '" + b.id.name + "' has no return");
  }
  return true;
}

bool Parser::parseModel(ModelDecl &m, bool isTrain) {
  const char *what = isTrain ? "a model name after 'train'" : "a model name";
  if (!expectIdent(m.id, what) ||
      !expect(TokenKind::LParen, "after the model name"))
    return false;
  do {
    m.inputs.emplace_back();
    if (!parseInput(m.inputs.back()))
      return false;
  } while (consume(TokenKind::Comma));
  if (!expect(TokenKind::RParen, "after the inputs") ||
      !parseBody(m.body, m.close))
    return false;
  if (isTrain) {
    if (const Stmt *r = findReturn(m.body))
      return error(r->loc, "a train declaration has no return; bind 'loss' "
                           "and 'optimizer' instead");
    return true;
  }
  if (!alwaysReturns(m.body)) {
    if (findReturn(m.body))
      return error(m.close, "model '" + m.id.name +
                                "' can reach its end without a return");
    return error(m.close, "model '" + m.id.name + "' has no return");
  }
  return true;
}

bool Parser::parseInput(InputDecl &in) {
  if (!expectIdent(in.id, "an input name") ||
      !expect(TokenKind::Colon, "after the input name"))
    return false;
  Ident dtype;
  if (!expectIdent(dtype, "an element type (f32 or i32)"))
    return false;
  if (dtype.name == "i32")
    in.isI32 = true;
  else if (dtype.name != "f32")
    return error(dtype.loc,
                 "unknown element type '" + dtype.name + "'; expected f32 or i32");
  if (!expect(TokenKind::LBracket, "after the element type"))
    return false;
  do {
    InputDim d;
    d.loc = loc();
    if (is(TokenKind::Int)) {
      d.value = tok().intValue;
      next();
    } else if (is(TokenKind::Ident)) {
      d.isName = true;
      d.name = tok().text;
      next();
    } else {
      return error(loc(), "expected a dimension (an integer, or a name for "
                          "the batch), got " +
                              describeToken(tok()));
    }
    in.dims.push_back(std::move(d));
  } while (consume(TokenKind::Comma));
  return expect(TokenKind::RBracket, "after the dimensions");
}

bool Parser::parseBody(StmtList &body, Loc &close) {
  skipNewlines();
  if (!expect(TokenKind::LBrace, "to open the body"))
    return false;
  bool returned = false;
  while (true) {
    while (is(TokenKind::Newline) || is(TokenKind::Semicolon))
      next();
    if (is(TokenKind::RBrace)) {
      close = loc();
      next();
      return true;
    }
    if (is(TokenKind::Eof))
      return error(loc(), "expected '}' to close the body, got end of file");
    Loc at = loc();
    StmtPtr s = parseStmt();
    if (!s)
      return false;
    if (returned)
      return error(at, "unreachable statement after return");
    body.push_back(std::move(s));
    returned = alwaysReturns(body);
    if (!is(TokenKind::Newline) && !is(TokenKind::Semicolon) &&
        !is(TokenKind::RBrace) && !is(TokenKind::Eof))
      return error(loc(), "expected end of line after the statement, got " +
                              describeToken(tok()));
  }
}

StmtPtr Parser::parseStmt() {
  if (is(TokenKind::KwIf))
    return parseIf();
  if (is(TokenKind::KwFor))
    return parseFor();
  auto s = std::make_unique<Stmt>();
  s->loc = loc();
  if (consume(TokenKind::KwReturn)) {
    s->kind = StmtKind::Return;
    do {
      ExprPtr e = parseExpr();
      if (!e)
        return nullptr;
      s->values.push_back(std::move(e));
    } while (consume(TokenKind::Comma));
    return s;
  }
  s->kind = StmtKind::Assign;
  do {
    Ident target;
    if (!is(TokenKind::Ident)) {
      error(loc(), "expected a statement, got " + describeToken(tok()));
      return nullptr;
    }
    expectIdent(target, "a name");
    s->targets.push_back(std::move(target));
  } while (consume(TokenKind::Comma));
  if (!is(TokenKind::Assign)) {
    if (s->targets.size() == 1 && is(TokenKind::LParen))
      error(s->loc, "the result of '" + s->targets[0].name +
                        "(...)' must be assigned to a name");
    else
      error(loc(), "expected '=' after the assigned names, got " +
                       describeToken(tok()));
    return nullptr;
  }
  next();
  s->value = parseExpr();
  return s->value ? std::move(s) : nullptr;
}

StmtPtr Parser::parseIf() {
  auto s = std::make_unique<Stmt>();
  s->kind = StmtKind::If;
  s->loc = loc();
  next(); // 'if'
  if (!enter())
    return nullptr;
  s->cond = parseExpr();
  Loc close;
  bool ok = s->cond && parseBody(s->body, close);
  if (ok) {
    // `else` may start the line after `}`.
    size_t save = pos;
    skipNewlines();
    if (consume(TokenKind::KwElse)) {
      s->hasElse = true;
      if (is(TokenKind::KwIf)) {
        StmtPtr nested = parseIf();
        ok = nested != nullptr;
        if (ok)
          s->elseBody.push_back(std::move(nested));
      } else {
        ok = parseBody(s->elseBody, close);
      }
    } else {
      pos = save;
    }
  }
  leave();
  return ok ? std::move(s) : nullptr;
}

StmtPtr Parser::parseFor() {
  auto s = std::make_unique<Stmt>();
  s->kind = StmtKind::For;
  s->loc = loc();
  next(); // 'for'
  if (!enter())
    return nullptr;
  Loc close;
  bool ok = expectIdent(s->var, "a loop variable after 'for'") &&
            expect(TokenKind::KwIn, "after the loop variable");
  if (ok)
    ok = (s->lo = parseExpr()) != nullptr;
  if (ok)
    ok = expect(TokenKind::DotDot, "in the range 'a..b'");
  if (ok)
    ok = (s->hi = parseExpr()) != nullptr;
  if (ok)
    ok = parseBody(s->body, close);
  leave();
  return ok ? std::move(s) : nullptr;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

bool Parser::fixDepth(Expr &e) {
  unsigned d = 0;
  for (const ExprPtr &a : e.args)
    d = std::max(d, a->depth);
  for (const KeywordArg &k : e.kwargs)
    d = std::max(d, k.value->depth);
  e.depth = d + 1;
  if (e.depth > kMaxExprDepth)
    return error(e.loc, "expression deeper than " +
                            std::to_string(kMaxExprDepth) + " levels");
  return true;
}

ExprPtr Parser::makeBinary(BinaryOp op, Loc at, ExprPtr lhs, ExprPtr rhs) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::Binary;
  e->binaryOp = op;
  e->loc = at;
  e->begin = lhs->begin;
  e->args.push_back(std::move(lhs));
  e->args.push_back(std::move(rhs));
  return fixDepth(*e) ? std::move(e) : nullptr;
}

ExprPtr Parser::makeUnary(UnaryOp op, Loc at, ExprPtr operand) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::Unary;
  e->unaryOp = op;
  e->loc = at;
  e->begin = at;
  e->args.push_back(std::move(operand));
  return fixDepth(*e) ? std::move(e) : nullptr;
}

ExprPtr Parser::parseExpr() {
  if (!enter())
    return nullptr;
  ExprPtr e = parseOr();
  leave();
  return e;
}

ExprPtr Parser::parseOr() {
  ExprPtr lhs = parseAnd();
  while (lhs && is(TokenKind::KwOr)) {
    Loc at = loc();
    next();
    ExprPtr rhs = parseAnd();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(BinaryOp::Or, at, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseAnd() {
  ExprPtr lhs = parseNot();
  while (lhs && is(TokenKind::KwAnd)) {
    Loc at = loc();
    next();
    ExprPtr rhs = parseNot();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(BinaryOp::And, at, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseNot() {
  if (!is(TokenKind::KwNot))
    return parseComparison();
  Loc at = loc();
  next();
  if (!enter())
    return nullptr;
  ExprPtr operand = parseNot();
  leave();
  return operand ? makeUnary(UnaryOp::Not, at, std::move(operand)) : nullptr;
}

ExprPtr Parser::parseComparison() {
  ExprPtr lhs = parseAdditive();
  while (lhs) {
    BinaryOp op;
    switch (tok().kind) {
    case TokenKind::EqEq: op = BinaryOp::Eq; break;
    case TokenKind::NotEq: op = BinaryOp::Ne; break;
    case TokenKind::Less: op = BinaryOp::Lt; break;
    case TokenKind::LessEq: op = BinaryOp::Le; break;
    case TokenKind::Greater: op = BinaryOp::Gt; break;
    case TokenKind::GreaterEq: op = BinaryOp::Ge; break;
    default: return lhs;
    }
    Loc at = loc();
    next();
    ExprPtr rhs = parseAdditive();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(op, at, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseAdditive() {
  ExprPtr lhs = parseMultiplicative();
  while (lhs && (is(TokenKind::Plus) || is(TokenKind::Minus))) {
    BinaryOp op = is(TokenKind::Plus) ? BinaryOp::Add : BinaryOp::Sub;
    Loc at = loc();
    next();
    ExprPtr rhs = parseMultiplicative();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(op, at, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseMultiplicative() {
  ExprPtr lhs = parseUnary();
  while (lhs && (is(TokenKind::Star) || is(TokenKind::Slash) ||
                 is(TokenKind::Percent))) {
    BinaryOp op = is(TokenKind::Star)    ? BinaryOp::Mul
                  : is(TokenKind::Slash) ? BinaryOp::Div
                                         : BinaryOp::Mod;
    Loc at = loc();
    next();
    ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(op, at, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (!is(TokenKind::Minus))
    return parsePrimary();
  Loc at = loc();
  next();
  if (!enter())
    return nullptr;
  ExprPtr operand = parseUnary();
  leave();
  return operand ? makeUnary(UnaryOp::Neg, at, std::move(operand)) : nullptr;
}

ExprPtr Parser::parsePrimary() {
  auto e = std::make_unique<Expr>();
  e->loc = e->begin = loc();
  const Token &t = tok();
  switch (t.kind) {
  case TokenKind::Int:
    e->kind = ExprKind::Int;
    e->intValue = t.intValue;
    next();
    return e;
  case TokenKind::Float:
    e->kind = ExprKind::Float;
    e->floatValue = t.floatValue;
    next();
    return e;
  case TokenKind::String:
    e->kind = ExprKind::Str;
    e->text = t.text;
    next();
    return e;
  case TokenKind::KwTrue:
  case TokenKind::KwFalse:
    e->kind = ExprKind::Bool;
    e->boolValue = t.kind == TokenKind::KwTrue;
    next();
    return e;
  case TokenKind::Ident:
    e->kind = ExprKind::Name;
    e->text = t.text;
    next();
    if (is(TokenKind::LParen)) {
      e->kind = ExprKind::Call;
      return parseCallArgs(std::move(e));
    }
    return e;
  case TokenKind::LParen: {
    next();
    ExprPtr inner = parseExpr();
    if (!inner || !expect(TokenKind::RParen, "to close '('"))
      return nullptr;
    return inner;
  }
  case TokenKind::LBracket: {
    e->kind = ExprKind::List;
    next();
    bool ok = true;
    if (!is(TokenKind::RBracket)) {
      do {
        if (is(TokenKind::RBracket))
          break; // trailing comma
        ExprPtr elem = parseExpr();
        if (!elem) {
          ok = false;
          break;
        }
        e->args.push_back(std::move(elem));
      } while (consume(TokenKind::Comma));
    }
    if (!ok || !expect(TokenKind::RBracket, "to close '['") || !fixDepth(*e))
      return nullptr;
    return e;
  }
  default:
    error(loc(), "expected an expression, got " + describeToken(t));
    return nullptr;
  }
}

ExprPtr Parser::parseCallArgs(ExprPtr call) {
  next(); // '('
  bool ok = true;
  if (!is(TokenKind::RParen)) {
    do {
      if (is(TokenKind::RParen))
        break; // trailing comma
      if (is(TokenKind::Ident) && peekTok(1).kind == TokenKind::Assign) {
        KeywordArg kw;
        expectIdent(kw.name, "a keyword");
        next(); // '='
        kw.value = parseExpr();
        if (!kw.value) {
          ok = false;
          break;
        }
        call->kwargs.push_back(std::move(kw));
        continue;
      }
      Loc at = loc();
      ExprPtr arg = parseExpr();
      if (!arg) {
        ok = false;
        break;
      }
      if (!call->kwargs.empty()) {
        ok = error(at, "positional argument after keyword argument");
        break;
      }
      call->args.push_back(std::move(arg));
    } while (consume(TokenKind::Comma));
  }
  if (!ok || !expect(TokenKind::RParen, "to close the arguments of '" +
                                            call->text + "'") ||
      !fixDepth(*call))
    return nullptr;
  return call;
}

} // namespace

std::optional<File> cnnopt::parse(const std::vector<Token> &tokens,
                                  const std::string &filename,
                                  DiagnosticSink &diags) {
  return Parser(tokens, filename, diags).parseFile();
}

ExprPtr cnnopt::parseExpression(const std::vector<Token> &tokens, const std::string &filename,
                                DiagnosticSink &diags) {
  return Parser(tokens, filename, diags).parseWholeExpr();
}
