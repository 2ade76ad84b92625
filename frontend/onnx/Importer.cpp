//===- Importer.cpp - ONNX ModelProto to a ModelGraph ---------------------===//
//
// The model-level walk: opset check, graph inputs (a symbolic first axis is
// the run-time batch), initializers as constants, one converter per node,
// graph outputs. Names of inputs and outputs become C identifiers (they name
// arguments of the generated functions); parameters keep their ONNX names.
//===----------------------------------------------------------------------===//

#include "frontend/onnx/Importer.h"
#include "frontend/onnx/OnnxImport.h"

#include <algorithm>
#include <cctype>

namespace cnnopt::onnx_import {

namespace {

// Opsets 1-5 hold nothing the converters do not check (old attributes such
// as consumed_inputs are accepted or refused by name), and ONNX's own tests
// declare opset 1 for ops unchanged since (GlobalAveragePool).
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 17;

const std::map<std::string, Converter> &converters() {
  static const std::map<std::string, Converter> table = [] {
    std::map<std::string, Converter> t;
    addLayerConverters(t);
    addElementConverters(t);
    addShapeConverters(t);
    addConstantConverters(t);
    return t;
  }();
  return table;
}

/// "resnet-18.v2" -> "resnet_18_v2": model, input and output names are C
/// identifiers in the generated header.
std::string identifier(const std::string &name) {
  std::string out;
  for (char c : name)
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out.front())))
    out = "v" + out;
  return out;
}

std::string stem(const std::string &path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.rfind('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

} // namespace

bool isOnnxPath(std::string_view path) {
  return path.size() > 5 && path.substr(path.size() - 5) == ".onnx";
}

std::optional<Program> importOnnx(std::string_view bytes, const std::string &filename,
                                  std::string &error, const FrontendOptions &options) {
  onnx::ModelProto model;
  if (bytes.size() > size_t(INT32_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    error = filename + ": error: not a valid ONNX model (the protobuf does not parse; "
                       "is the file truncated?)";
    return std::nullopt;
  }
  return Importer(filename, options).run(model, error);
}

std::optional<Program> Importer::run(const onnx::ModelProto &model, std::string &errorOut) {
  auto fileError = [&](const std::string &message) {
    errorOut = filename + ": error: " + message;
    return std::nullopt;
  };
  if (!model.has_graph() || model.graph().output_size() == 0)
    return fileError("not a valid ONNX model (no graph, or a graph without outputs)");
  for (const onnx::OperatorSetIdProto &set : model.opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx")
      opsetVersion = set.version();
  if (opsetVersion == 0)
    return fileError("the model imports no version of the default opset (ai.onnx)");
  if (opsetVersion < kMinOpset || opsetVersion > kMaxOpset)
    return fileError("opset " + std::to_string(opsetVersion) + " is not supported (opsets " +
                     std::to_string(kMinOpset) + "-" + std::to_string(kMaxOpset) + " are)");

  const onnx::GraphProto &g = model.graph();
  graph.name = identifier(stem(filename));
  graph.loc = SourceLoc{filename, 1, 1};
  for (const onnx::NodeProto &n : g.node())
    for (const std::string &in : n.input())
      ++uses[in];
  for (const onnx::ValueInfoProto &out : g.output())
    ++uses[out.name()];

  for (const onnx::TensorProto &init : g.initializer()) {
    Constant value;
    if (!decode(init, value))
      return fileError("initializer '" + init.name() + "': " + error);
    slots[init.name()].constant = std::move(value);
  }
  bool ok = importInputs(g);
  for (int k = 0; ok && k < g.node_size(); ++k)
    ok = importNode(g.node(k));
  if (!ok || !importOutputs(g)) {
    errorOut = error;
    return std::nullopt;
  }
  program.models.push_back(std::move(graph));
  return std::move(program);
}

bool Importer::importInputs(const onnx::GraphProto &g) {
  for (const onnx::ValueInfoProto &in : g.input()) {
    // Older exporters list the initializers among the inputs too.
    if (slots.count(in.name()))
      continue;
    auto inputError = [&](const std::string &message) {
      error = filename + ": input '" + in.name() + "': error: " + message;
      return false;
    };
    if (!in.type().has_tensor_type())
      return inputError("only tensor inputs are supported");
    const onnx::TypeProto::Tensor &type = in.type().tensor_type();
    if (type.elem_type() != onnx::TensorProto::FLOAT)
      return inputError("only float32 inputs are supported (element type " +
                        std::to_string(type.elem_type()) + ")");
    if (!type.has_shape())
      return inputError("the input has no shape");
    GraphInput input;
    input.name = uniqueIdent(in.name());
    auto override = options.inputShapeOverrides.find(input.name);
    bool overridden = override != options.inputShapeOverrides.end();
    Shape shape;
    for (int d = 0; d < type.shape().dim_size(); ++d) {
      const onnx::TensorShapeProto::Dimension &dim = type.shape().dim(d);
      if (dim.has_dim_value() && dim.dim_value() > 0) {
        shape.push_back(dim.dim_value());
      } else if (d == 0) {
        shape.push_back(kDynamic);
        input.batchName = dim.has_dim_param() ? identifier(dim.dim_param()) : "N";
      } else if (overridden) {
        shape.push_back(1); // replaced below
      } else {
        return inputError("dimension " + std::to_string(d) + " is not a fixed size ('" +
                          dim.dim_param() + "'); give it with --input-shape " + input.name +
                          "=...");
      }
    }
    if (overridden) {
      if (override->second.size() + 1 != shape.size())
        return inputError("--input-shape gives " + std::to_string(override->second.size()) +
                          " dimensions, the input has " + std::to_string(shape.size() - 1) +
                          " after the batch");
      std::copy(override->second.begin(), override->second.end(), shape.begin() + 1);
    }
    shapes::ShapeOr checked = shapes::checkSize(shape);
    if (!checked.ok())
      return inputError(checked.error);
    graph.values.push_back(TensorType{DType::F32, shape});
    input.value = int(graph.values.size() - 1);
    input.loc = graph.loc;
    slots[in.name()].tensor = input.value;
    graph.inputs.push_back(std::move(input));
  }
  if (graph.inputs.empty()) {
    error = filename + ": error: the model has no (non-initializer) input";
    return false;
  }
  for (const auto &override : options.inputShapeOverrides) {
    const std::string &name = override.first;
    if (std::none_of(graph.inputs.begin(), graph.inputs.end(),
                     [&](const GraphInput &in) { return in.name == name; })) {
      error = filename + ": error: input shape override names no model input '" + name + "'";
      return false;
    }
  }
  return true;
}

bool Importer::importNode(const onnx::NodeProto &n) {
  current = &n;
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    return fail("ops of domain '" + n.domain() + "' are not supported");
  for (int k = 0; k < n.input_size(); ++k)
    if (!n.input(k).empty())
      --uses[n.input(k)];
  auto found = converters().find(n.op_type());
  if (found == converters().end())
    return fail("unsupported op type '" + n.op_type() + "'");
  if (!found->second(*this))
    return false;
  for (int k = 0; k < n.output_size(); ++k)
    if (!n.output(k).empty() && !slots.count(n.output(k)) && usedLater(n.output(k)))
      return fail("output " + std::to_string(k) + " ('" + n.output(k) +
                  "') is not supported");
  return true;
}

bool Importer::importOutputs(const onnx::GraphProto &g) {
  current = nullptr;
  for (const onnx::ValueInfoProto &out : g.output()) {
    auto found = slots.find(out.name());
    if (found == slots.end() || found->second.tensor < 0) {
      // (a constant, or a GLU piece that never met its other half)
      error = filename + ": output '" + out.name() + "': error: " +
              (found == slots.end() ? "no node computes it"
                                    : "it is a constant; a model output must depend on an input");
      return false;
    }
    graph.outputs.push_back(GraphOutput{uniqueIdent(out.name()), found->second.tensor});
  }
  return true;
}

bool Importer::usedLater(const std::string &name) const {
  auto found = uses.find(name);
  return found != uses.end() && found->second > 0;
}

std::string Importer::uniqueIdent(const std::string &name) {
  std::string base = identifier(name), out = base;
  for (int k = 1; idents.count(out); ++k)
    out = base + "_" + std::to_string(k);
  idents.insert(out);
  return out;
}

// ----- services for the converters -------------------------------------------

bool Importer::fail(const std::string &message) {
  if (!current) {
    error = filename + ": error: " + message;
    return false;
  }
  std::string name = current->name();
  if (name.empty())
    name = current->output_size() ? current->output(0) : "?";
  error = filename + ": node '" + name + "' (" + current->op_type() + "): error: " + message;
  return false;
}

bool Importer::checkFoldedSize(int64_t count) {
  if (count <= kMaxFolded)
    return true;
  return fail("the constant computed here would have " + std::to_string(count) +
              " elements, more than the importer folds (" + std::to_string(kMaxFolded) + ")");
}

size_t Importer::inputCount() const {
  size_t count = size_t(current->input_size());
  while (count && current->input(int(count - 1)).empty())
    --count;
  return count;
}

bool Importer::hasInput(size_t k) const {
  return k < size_t(current->input_size()) && !current->input(int(k)).empty();
}

const Slot *Importer::input(size_t k, bool special) {
  if (!hasInput(k)) {
    fail("input " + std::to_string(k) + " is missing");
    return nullptr;
  }
  auto found = slots.find(current->input(int(k)));
  if (found == slots.end()) {
    fail("input '" + current->input(int(k)) + "' is not computed before this node");
    return nullptr;
  }
  if (found->second.glu && !special) {
    fail("input '" + current->input(int(k)) + "' is half of a Split, which is supported only "
         "as GLU's Split -> Sigmoid -> Mul");
    return nullptr;
  }
  if (found->second.permuted && !special) {
    fail("input '" + current->input(int(k)) + "' is a transposed tensor, which is supported "
         "only as Transpose -> Softmax -> Transpose back");
    return nullptr;
  }
  return &found->second;
}

int Importer::tensorInput(size_t k) {
  const Slot *slot = input(k);
  if (!slot)
    return -1;
  if (slot->tensor >= 0)
    return slot->tensor;
  const Constant &c = *slot->constant;
  if (!c.isFloat) {
    fail("input '" + inputName(k) + "' is an integer tensor; only float32 tensors are supported");
    return -1;
  }
  if (c.size() == 1 && c.dims.empty())
    return emit("constant", {}, {{"value", double(c.f[0])}}, shapes::ShapeOr{{}, ""});
  return param(inputName(k), c, "constant", false);
}

const Constant *Importer::constantInput(size_t k, const std::string &what) {
  const Slot *slot = input(k);
  if (!slot)
    return nullptr;
  if (!slot->constant) {
    fail(what + " ('" + inputName(k) + "') must be a constant (an initializer or computed "
                "from shapes), not computed from the input at run time");
    return nullptr;
  }
  return &*slot->constant;
}

int Importer::param(const std::string &name, const Constant &value, const std::string &role,
                    bool trainable) {
  auto found = params.find(name);
  if (found != params.end() && graph.values[found->second].shape == value.dims)
    return found->second;
  std::string unique = name;
  for (int k = 1; program.paramValues.count(unique); ++k)
    unique = name + "_" + std::to_string(k);
  shapes::ShapeOr checked = shapes::checkSize(value.dims);
  if (!checked.ok() || value.dims.empty()) {
    fail("parameter '" + name + "': " + (checked.ok() ? "a rank-0 tensor" : checked.error));
    return -1;
  }
  graph.values.push_back(TensorType{DType::F32, value.dims});
  int id = int(graph.values.size() - 1);
  GraphParam p;
  p.name = unique;
  p.role = role;
  p.value = id;
  p.trainable = trainable;
  p.loc = SourceLoc{filename, 1, 1};
  graph.params.push_back(p);
  program.paramValues[unique] = value.f;
  params[name] = id;
  return id;
}

int Importer::emit(const std::string &op, std::vector<int> operands, AttrMap attrs,
                   const shapes::ShapeOr &shape, DType dtype) {
  if (!shape.ok()) {
    fail(op + ": " + shape.error);
    return -1;
  }
  if (graph.nodes.size() >= options.maxNodes) {
    fail("the model has more than " + std::to_string(options.maxNodes) + " ops");
    return -1;
  }
  graph.values.push_back(TensorType{dtype, shape.shape});
  GraphNode n;
  n.op = op;
  n.operands = std::move(operands);
  n.attrs = std::move(attrs);
  n.result = int(graph.values.size() - 1);
  n.name = current && !current->name().empty() ? current->name() : op;
  n.loc = SourceLoc{filename, 1, 1};
  graph.nodes.push_back(std::move(n));
  return graph.nodes.back().result;
}

void Importer::setOutput(size_t k, int tensor) {
  if (k < size_t(current->output_size()) && !current->output(int(k)).empty()) {
    slots[current->output(int(k))] = Slot{tensor, std::nullopt, std::nullopt, std::nullopt};
    names[tensor] = current->output(int(k));
  }
}

const GraphNode *Importer::lastNodeComputing(int value, size_t back) const {
  if (graph.nodes.size() <= back)
    return nullptr;
  const GraphNode &n = graph.nodes[graph.nodes.size() - 1 - back];
  return n.result == value ? &n : nullptr;
}

bool Importer::unusedLater(int value) const {
  auto name = names.find(value);
  return name != names.end() && !usedLater(name->second);
}

void Importer::replaceParam(GraphParam &p, const std::string &name, std::vector<float> values) {
  program.paramValues.erase(p.name);
  params.erase(p.name);
  std::string unique = name;
  for (int k = 1; program.paramValues.count(unique); ++k)
    unique = name + "_" + std::to_string(k);
  p.name = unique;
  program.paramValues[unique] = std::move(values);
  params[unique] = p.value;
}

bool Importer::usedOnlyHere(int value) const {
  auto name = names.find(value);
  if (name == names.end())
    return false; // an intermediate of a converter: the caller knows its uses
  int here = 0;
  for (const std::string &in : current->input())
    here += in == name->second;
  return here == 1 && !usedLater(name->second);
}

GraphParam *Importer::paramAt(int value) {
  for (GraphParam &p : graph.params)
    if (p.value == value)
      return &p;
  return nullptr;
}

void Importer::setOutput(size_t k, Constant value) {
  if (k < size_t(current->output_size()) && !current->output(int(k)).empty())
    slots[current->output(int(k))] = Slot{-1, std::move(value), std::nullopt, std::nullopt};
}

void Importer::setOutput(size_t k, GluPart part) {
  if (k < size_t(current->output_size()) && !current->output(int(k)).empty())
    slots[current->output(int(k))] = Slot{-1, std::nullopt, part, std::nullopt};
}

void Importer::setOutput(size_t k, Permuted permuted) {
  if (k < size_t(current->output_size()) && !current->output(int(k)).empty())
    slots[current->output(int(k))] = Slot{-1, std::nullopt, std::nullopt, std::move(permuted)};
}

bool Importer::onlyOutputs(size_t used) {
  for (int k = int(used); k < current->output_size(); ++k)
    if (!current->output(k).empty() && usedLater(current->output(k)))
      return fail("output " + std::to_string(k) + " ('" + current->output(k) +
                  "') is not supported (only inference outputs are)");
  return true;
}

} // namespace cnnopt::onnx_import
