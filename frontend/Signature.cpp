//===- Signature.cpp - Argument binding -----------------------------------===//
//
// Positional arguments fill parameters in order, keywords by name; every
// argument is converted to its parameter's kind and defaults are filled in.
//===----------------------------------------------------------------------===//

#include "frontend/Signature.h"
#include "frontend/Suggest.h"

using namespace cnnopt;

std::string cnnopt::describeValue(const Value &value,
                                  const std::vector<TensorType> &values) {
  switch (value.kind) {
  case Value::Kind::Tensor:
    if (value.tensor >= 0 && size_t(value.tensor) < values.size() &&
        values[value.tensor].dtype == DType::I32)
      return "an i32 tensor";
    return "an f32 tensor";
  case Value::Kind::Int: return "an int";
  case Value::Kind::Float: return "a float";
  case Value::Kind::Bool: return "a bool";
  case Value::Kind::Str: return "a string";
  case Value::Kind::Ints: return "a list of ints";
  case Value::Kind::Tensors: return "a list of tensors";
  case Value::Kind::Optimizer: return "an optimizer";
  }
  return "a value";
}

bool cnnopt::convertArg(ArgKind kind, const std::vector<TensorType> &values,
                        Value &value, std::string &expected) {
  using K = Value::Kind;
  auto dtypeOf = [&](const Value &v) {
    return v.tensor >= 0 && size_t(v.tensor) < values.size()
               ? values[v.tensor].dtype
               : DType::F32;
  };
  switch (kind) {
  case ArgKind::Tensor:
    expected = "an f32 tensor";
    return value.kind == K::Tensor && dtypeOf(value) == DType::F32;
  case ArgKind::Labels:
    expected = "an i32 tensor";
    return value.kind == K::Tensor && dtypeOf(value) == DType::I32;
  case ArgKind::AnyTensor:
    expected = "a tensor";
    return value.kind == K::Tensor;
  case ArgKind::Int:
    expected = "an int";
    return value.kind == K::Int;
  case ArgKind::Float:
    expected = "a float";
    if (value.kind == K::Int)
      value = Value::ofFloat(double(value.i));
    return value.kind == K::Float;
  case ArgKind::Bool:
    expected = "a bool";
    return value.kind == K::Bool;
  case ArgKind::Str:
    expected = "a string";
    return value.kind == K::Str;
  case ArgKind::Ints:
    expected = "a list of ints";
    return value.kind == K::Ints;
  case ArgKind::Tensors:
    expected = "a list of tensors";
    if (value.kind == K::Ints && value.ints.empty()) {
      value.kind = K::Tensors; // `[]`
      return true;
    }
    return value.kind == K::Tensors;
  case ArgKind::Padding:
    if (value.kind == K::Str) {
      expected = "an int, a pair [h, w], \"same\" or \"valid\"";
      return true;
    }
    [[fallthrough]];
  case ArgKind::IntPair:
    if (kind == ArgKind::IntPair)
      expected = "an int or a pair [h, w]";
    else
      expected = "an int, a pair [h, w], \"same\" or \"valid\"";
    if (value.kind == K::Int) {
      value = Value::ofInts({value.i, value.i});
      return true;
    }
    return value.kind == K::Ints && value.ints.size() == 2;
  case ArgKind::Operand:
    expected = "a tensor or a number";
    return value.kind == K::Tensor || value.isNumber();
  case ArgKind::Number:
    expected = "a number";
    return value.isNumber();
  }
  return false;
}

bool cnnopt::bindArgs(const std::string &callee, ast::Loc calleeLoc,
                      const std::vector<ParamSpec> &params,
                      const EvaluatedArgs &args, bool allowName,
                      const std::vector<TensorType> &values,
                      const Reporter &reporter, std::vector<BoundArg> &bound,
                      BoundArg &nameArg) {
  const std::string prefix = callee + ": ";
  bound.assign(params.size(), BoundArg{});
  nameArg = BoundArg{};

  auto assign = [&](size_t index, const Value &value, ast::Loc at) {
    std::string expected;
    Value converted = value;
    if (!convertArg(params[index].kind, values, converted, expected)) {
      std::string got = describeValue(value, values);
      if ((params[index].kind == ArgKind::IntPair ||
           params[index].kind == ArgKind::Padding) &&
          value.kind == Value::Kind::Ints)
        got = std::to_string(value.ints.size()) + " values";
      return reporter.error(at, prefix + "argument '" + params[index].name +
                                    "' must be " + expected + ", got " + got);
    }
    bound[index] = BoundArg{true, std::move(converted), at};
    return true;
  };

  if (args.positional.size() > params.size())
    return reporter.error(args.positional[params.size()].loc,
                          prefix + "too many arguments (takes at most " +
                              std::to_string(params.size()) + ")");
  for (size_t i = 0; i < args.positional.size(); ++i)
    if (!assign(i, args.positional[i].value, args.positional[i].loc))
      return false;

  for (const EvaluatedArgs::Keyword &kw : args.keywords) {
    if (allowName && kw.name == "name") {
      if (nameArg.present)
        return reporter.error(kw.loc, prefix + "argument 'name' given twice");
      if (kw.value.kind != Value::Kind::Str)
        return reporter.error(kw.loc,
                              prefix + "argument 'name' must be a string, got " +
                                  describeValue(kw.value, values));
      nameArg = BoundArg{true, kw.value, kw.loc};
      continue;
    }
    size_t index = params.size();
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i].name == kw.name)
        index = i;
    if (index == params.size()) {
      std::vector<std::string> names;
      for (const ParamSpec &p : params)
        names.push_back(p.name);
      if (allowName)
        names.push_back("name");
      std::string hint = pytorchKeywordHint(kw.name, names);
      return reporter.error(kw.loc, prefix + "unknown keyword argument '" + kw.name + "'" +
                                        (hint.empty() ? didYouMean(kw.name, names) : hint));
    }
    if (bound[index].present)
      return reporter.error(kw.loc, prefix + "argument '" + kw.name +
                                        "' given twice");
    if (!assign(index, kw.value, kw.loc))
      return false;
  }

  for (size_t i = 0; i < params.size(); ++i) {
    if (bound[i].present)
      continue;
    if (params[i].required)
      return reporter.error(calleeLoc,
                            prefix + "missing argument '" + params[i].name + "'");
    if (params[i].def) {
      Value v = *params[i].def;
      std::string expected;
      convertArg(params[i].kind, values, v, expected);
      bound[i] = BoundArg{true, std::move(v), calleeLoc};
    }
  }
  return true;
}
