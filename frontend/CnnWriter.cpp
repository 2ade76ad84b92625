//===- CnnWriter.cpp - A model graph printed as .cnn source ---------------===//
//
// One statement per graph node, in graph order. Ops with parameters always
// carry `name=` (so the state_dict names survive whatever the variables are
// called); arguments equal to DSL.md's defaults are left out; rank-0
// `constant` nodes are printed as literals where they are used.
//===----------------------------------------------------------------------===//

#include "frontend/CnnWriter.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

namespace cnnopt {

namespace {

const std::set<std::string> kKeywords = {"model", "block", "train", "return", "for",
                                         "in",    "if",    "else",  "true",   "false",
                                         "and",   "or",    "not"};

/// The parameter roles of an op's operands after its tensor inputs, in
/// order (Graph.h's contract); empty for ops without parameters.
std::vector<std::string> paramRoles(const GraphNode &node) {
  const std::string &op = node.op;
  size_t n = node.operands.size();
  if (op == "conv2d" || op == "conv_transpose2d" || op == "linear")
    return n == 3 ? std::vector<std::string>{"weight", "bias"} : std::vector<std::string>{"weight"};
  if (op == "batch_norm")
    return n == 5 ? std::vector<std::string>{"weight", "bias", "running_mean", "running_var"}
                  : std::vector<std::string>{"running_mean", "running_var"};
  if (op == "layer_norm" || op == "group_norm" || op == "instance_norm")
    return n == 3 ? std::vector<std::string>{"weight", "bias"} : std::vector<std::string>{};
  if (op == "prelu")
    return {"weight"};
  return {};
}

/// The shortest decimal that reads back as `v`, always with a '.' or an
/// exponent so that it stays a float.
std::string number(double v) {
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos)
    s += ".0";
  return s;
}

std::string ints(const std::vector<int64_t> &v) {
  std::string out = "[";
  for (size_t k = 0; k < v.size(); ++k)
    out += (k ? ", " : "") + std::to_string(v[k]);
  return out + "]";
}

/// An int when both halves agree (DSL.md: `kernel=3` means [3, 3]).
std::string pair(const std::vector<int64_t> &v) {
  return v.size() == 2 && v[0] == v[1] ? std::to_string(v[0]) : ints(v);
}

std::string quoted(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

class Writer {
public:
  explicit Writer(const ModelGraph &g) : g(g) {}

  CnnSource run(const std::string &origin) {
    for (const GraphParam &p : g.params)
      paramOf[p.value] = &p;
    for (const GraphNode &n : g.nodes)
      if (n.op == "constant")
        literal[n.result] = number(std::get<double>(n.attrs.at("value")));
    for (const GraphNode &n : g.nodes)
      for (size_t k = 0; k < n.operands.size(); ++k)
        if (paramOf.count(n.operands[k]) && k < n.operands.size() - paramRoles(n).size())
          return fail("parameter '" + paramOf[n.operands[k]]->name + "' is used by '" + n.op +
                      "' as a tensor; .cnn has no constant tensors");
    // Outputs keep their names: the variable returned is called so.
    for (const GraphInput &in : g.inputs)
      name(in.value, in.name);
    for (const GraphOutput &out : g.outputs)
      if (!names.count(out.value))
        name(out.value, out.name);

    std::ostringstream body;
    for (const GraphNode &n : g.nodes) {
      if (n.op == "constant")
        continue;
      printedScope.clear();
      prelude.clear();
      std::string call = callOf(n);
      if (!error.empty())
        return fail(error);
      body << prelude << "  " << name(n.result, baseName(n)) << " = " << call << "\n";
    }
    std::ostringstream os;
    os << "# " << g.name << ", written by cnnopt --emit=cnn from " << origin << ".\n";
    if (!source.renamed.empty()) {
      os << "# Parameters renamed (their names are not <scope>.<role>):\n";
      for (const auto &[from, to] : source.renamed)
        os << "#   " << from << " -> " << to << "\n";
    }
    os << "model " << g.name << "(";
    for (size_t k = 0; k < g.inputs.size(); ++k) {
      const GraphInput &in = g.inputs[k];
      const TensorType &t = g.values[in.value];
      os << (k ? ", " : "") << names[in.value] << ": " << (t.dtype == DType::I32 ? "i32" : "f32")
         << "[";
      for (size_t d = 0; d < t.shape.size(); ++d)
        os << (d ? ", " : "")
           << (t.shape[d] == kDynamic ? (in.batchName.empty() ? "N" : in.batchName)
                                      : std::to_string(t.shape[d]));
      os << "]";
    }
    os << ") {\n" << body.str() << "  return ";
    for (size_t k = 0; k < g.outputs.size(); ++k)
      os << (k ? ", " : "") << operand(g.outputs[k].value);
    os << "\n}\n";
    source.text = os.str();
    return std::move(source);
  }

private:
  CnnSource fail(const std::string &message) {
    source.error = message;
    return std::move(source);
  }

  /// A fresh variable name from `base` (an identifier, not a keyword).
  std::string name(int value, std::string base) {
    auto found = names.find(value);
    if (found != names.end())
      return found->second;
    for (char &c : base)
      if (!std::isalnum(static_cast<unsigned char>(c)))
        c = '_';
    if (base.empty() || std::isdigit(static_cast<unsigned char>(base.front())))
      base = "v" + base;
    if (kKeywords.count(base))
      base += "_";
    std::string candidate = base;
    for (int k = 1; taken.count(candidate); ++k)
      candidate = base + "_" + std::to_string(k);
    taken.insert(candidate);
    return names[value] = candidate;
  }

  /// The variable a node binds: the last part of its printed scope when it
  /// starts with a letter (`layer1.0.conv1` -> conv1), else the op name.
  std::string baseName(const GraphNode &n) {
    std::string last = printedScope.substr(printedScope.find_last_of('.') + 1);
    if (!last.empty() && std::isalpha(static_cast<unsigned char>(last.front())))
      return last;
    return n.op;
  }

  std::string operand(int value) {
    auto lit = literal.find(value);
    if (lit != literal.end())
      return lit->second;
    return names.at(value);
  }

  /// `name="S"` for an op's parameters, renaming them when their names are
  /// not all `S.<role>`.
  std::string scopeOf(const GraphNode &n) {
    std::vector<std::string> roles = paramRoles(n);
    size_t first = n.operands.size() - roles.size();
    std::string scope;
    bool fits = true;
    for (size_t k = 0; k < roles.size(); ++k) {
      const std::string &full = paramOf.at(n.operands[first + k])->name;
      std::string suffix = "." + roles[k];
      bool ends = full.size() > suffix.size() &&
                  full.compare(full.size() - suffix.size(), suffix.size(), suffix) == 0;
      std::string prefix = ends ? full.substr(0, full.size() - suffix.size()) : "";
      if (!ends || (k && prefix != scope) || prefix.find_first_of("{}\"\\") != std::string::npos)
        fits = false;
      if (k == 0)
        scope = prefix;
    }
    if (!fits || scope.empty() || scopes.count(scope)) {
      std::string base = n.op;
      scope = base;
      for (int k = 1; scopes.count(scope) || usedNames().count(scope); ++k)
        scope = base + "_" + std::to_string(k);
      for (size_t k = 0; k < roles.size(); ++k)
        source.renamed[paramOf.at(n.operands[first + k])->name] = scope + "." + roles[k];
    }
    scopes.insert(scope);
    printedScope = scope;
    return ", name=" + quoted(scope);
  }

  /// Scopes of parameters that keep their names, so that a new scope for a
  /// renamed op cannot take one of theirs.
  const std::set<std::string> &usedNames() {
    if (paramScopes.empty())
      for (const GraphParam &p : g.params)
        paramScopes.insert(p.name.substr(0, p.name.rfind('.')));
    return paramScopes;
  }

  template <typename T>
  const T &attr(const GraphNode &n, const char *key) {
    return std::get<T>(n.attrs.at(key));
  }

  std::string callOf(const GraphNode &n) {
    const std::string &op = n.op;
    std::string x = n.operands.empty() ? "" : operand(n.operands[0]);
    auto shapeOf = [&](size_t k) { return g.values[n.operands[k]].shape; };
    std::vector<std::string> roles = paramRoles(n);
    bool hasBias = std::find(roles.begin(), roles.end(), "bias") != roles.end();
    std::ostringstream c;
    if (op == "conv2d" || op == "conv_transpose2d") {
      Shape w = shapeOf(1);
      int64_t groups = attr<int64_t>(n, "groups");
      int64_t out = op == "conv2d" ? w[0] : w[1] * groups;
      std::vector<int64_t> pad = attr<std::vector<int64_t>>(n, "padding");
      if (op == "conv2d" && (pad[0] != pad[2] || pad[1] != pad[3])) {
        // conv2d's padding is symmetric in the DSL: pad with zeros first.
        std::string padded = name(-1 - n.result, "padded");
        prelude = "  " + padded + " = pad2d(" + x + ", " +
                  ints({pad[1], pad[3], pad[0], pad[2]}) + ")\n";
        x = padded;
        pad = {0, 0};
      } else if (op == "conv2d") {
        pad = {pad[0], pad[1]};
      }
      c << op << "(" << x << ", " << out << ", " << pair({w[2], w[3]});
      if (attr<std::vector<int64_t>>(n, "stride") != std::vector<int64_t>{1, 1})
        c << ", stride=" << pair(attr<std::vector<int64_t>>(n, "stride"));
      if (pad != std::vector<int64_t>{0, 0})
        c << ", padding=" << pair(pad);
      if (op == "conv_transpose2d" &&
          attr<std::vector<int64_t>>(n, "output_padding") != std::vector<int64_t>{0, 0})
        c << ", output_padding=" << pair(attr<std::vector<int64_t>>(n, "output_padding"));
      if (attr<std::vector<int64_t>>(n, "dilation") != std::vector<int64_t>{1, 1})
        c << ", dilation=" << pair(attr<std::vector<int64_t>>(n, "dilation"));
      if (groups != 1)
        c << ", groups=" << groups;
      if (!hasBias)
        c << ", bias=false";
      c << scopeOf(n) << ")";
    } else if (op == "linear") {
      c << "linear(" << x << ", " << shapeOf(1)[0] << (hasBias ? "" : ", bias=false") << scopeOf(n)
        << ")";
    } else if (op == "batch_norm") {
      c << "batch_norm(" << x << ", eps=" << number(attr<double>(n, "eps"))
        << ", momentum=" << number(attr<double>(n, "momentum"))
        << (hasBias ? "" : ", affine=false") << scopeOf(n) << ")";
    } else if (op == "layer_norm" || op == "group_norm" || op == "instance_norm") {
      c << op << "(" << x;
      if (op == "layer_norm")
        c << ", dims=" << attr<int64_t>(n, "dims");
      if (op == "group_norm")
        c << ", " << attr<int64_t>(n, "groups");
      c << ", eps=" << number(attr<double>(n, "eps")) << ", affine=" << (hasBias ? "true" : "false");
      c << (roles.empty() ? "" : scopeOf(n)) << ")";
    } else if (op == "prelu") {
      c << "prelu(" << x << ", num=" << shapeOf(1)[0] << scopeOf(n) << ")";
    } else if (op == "elu") {
      c << "elu(" << x << ", alpha=" << number(attr<double>(n, "alpha")) << ")";
    } else if (op == "softplus") {
      c << "softplus(" << x << ", beta=" << number(attr<double>(n, "beta"))
        << ", threshold=" << number(attr<double>(n, "threshold")) << ")";
    } else if (op == "pow") {
      c << "pow(" << x << ", " << number(attr<double>(n, "exponent")) << ")";
    } else if (op == "glu") {
      c << "glu(" << x << ", axis=" << attr<int64_t>(n, "axis") << ")";
    } else if (op == "pad2d") {
      c << "pad2d(" << x << ", " << ints(attr<std::vector<int64_t>>(n, "pads"))
        << ", mode=" << quoted(attr<std::string>(n, "mode"))
        << ", value=" << number(attr<double>(n, "value")) << ")";
    } else if (op == "pixel_shuffle") {
      c << "pixel_shuffle(" << x << ", " << attr<int64_t>(n, "factor") << ")";
    } else if (op == "leaky_relu") {
      c << "leaky_relu(" << x << ", slope=" << number(attr<double>(n, "slope")) << ")";
    } else if (op == "gelu") {
      c << "gelu(" << x << ", approximate=" << quoted(attr<std::string>(n, "approximate")) << ")";
    } else if (op == "softmax" || op == "log_softmax") {
      c << op << "(" << x << ", axis=" << attr<int64_t>(n, "axis") << ")";
    } else if (op == "max_pool2d" || op == "avg_pool2d") {
      c << op << "(" << x << ", " << pair(attr<std::vector<int64_t>>(n, "kernel"))
        << ", stride=" << pair(attr<std::vector<int64_t>>(n, "stride"));
      if (attr<std::vector<int64_t>>(n, "padding") != std::vector<int64_t>{0, 0})
        c << ", padding=" << pair(attr<std::vector<int64_t>>(n, "padding"));
      if (op == "max_pool2d" &&
          attr<std::vector<int64_t>>(n, "dilation") != std::vector<int64_t>{1, 1})
        c << ", dilation=" << pair(attr<std::vector<int64_t>>(n, "dilation"));
      if (attr<bool>(n, "ceil_mode"))
        c << ", ceil_mode=true";
      if (op == "avg_pool2d" && !attr<bool>(n, "count_include_pad"))
        c << ", count_include_pad=false";
      c << ")";
    } else if (op == "adaptive_avg_pool2d" || op == "adaptive_max_pool2d") {
      c << op << "(" << x << ", " << pair(attr<std::vector<int64_t>>(n, "size")) << ")";
    } else if (op == "upsample2d") {
      c << "upsample2d(" << x << ", scale=" << attr<int64_t>(n, "scale")
        << ", mode=" << quoted(attr<std::string>(n, "mode")) << ")";
    } else if (op == "flatten") {
      c << "flatten(" << x << ", start=" << attr<int64_t>(n, "start") << ")";
    } else if (op == "reshape") {
      c << "reshape(" << x << ", " << ints(attr<std::vector<int64_t>>(n, "shape")) << ")";
    } else if (op == "concat") {
      c << "concat([";
      for (size_t k = 0; k < n.operands.size(); ++k)
        c << (k ? ", " : "") << operand(n.operands[k]);
      c << "], axis=" << attr<int64_t>(n, "axis") << ")";
    } else if (op == "mean") {
      c << "mean(" << x << ", axes=" << ints(attr<std::vector<int64_t>>(n, "axes"))
        << ", keepdim=" << (attr<bool>(n, "keepdim") ? "true" : "false") << ")";
    } else if (op == "add" || op == "sub" || op == "mul" || op == "div") {
      const char *sym = op == "add" ? " + " : op == "sub" ? " - " : op == "mul" ? " * " : " / ";
      std::string b = operand(n.operands[1]);
      // Right operands of - and / that are expressions of their own would
      // need parentheses; variables and literals never do.
      c << x << sym << (b.front() == '-' ? "(" + b + ")" : b);
    } else if (op == "neg") {
      c << "-" << x;
    } else if (op == "dropout" || op == "stochastic_depth") {
      c << op << "(" << x << ", p=" << number(attr<double>(n, "p")) << ")";
    } else if (op == "dropblock") {
      c << "dropblock(" << x << ", block_size=" << attr<int64_t>(n, "block_size")
        << ", p=" << number(attr<double>(n, "p")) << ")";
    } else if (n.operands.size() == 1 && n.attrs.empty()) {
      c << op << "(" << x << ")"; // relu, sigmoid, tanh, silu, erf, ...
    } else {
      error = "op '" + op + "' cannot be written as .cnn";
    }
    return c.str();
  }

  const ModelGraph &g;
  CnnSource source;
  std::string error;
  std::string printedScope; ///< of the node being printed
  std::string prelude;      ///< statements the node's own needs first
  std::map<int, const GraphParam *> paramOf;
  std::map<int, std::string> literal, names;
  std::set<std::string> taken, scopes, paramScopes;
};

} // namespace

CnnSource writeCnn(const ModelGraph &model, const std::string &origin) {
  return Writer(model).run(origin);
}

} // namespace cnnopt
