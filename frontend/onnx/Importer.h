//===- Importer.h - State of one ONNX import (internal) ---------*- C++ -*-===//
//
// The importer walks the ONNX graph's nodes in order (ONNX requires a
// topological order) and keeps, for every ONNX value name, what it stands
// for: a tensor of the graph being built, or a constant known at import time
// (an initializer, a Constant node, or a folded shape computation). Layer
// converters (Conv, Gemm, BatchNormalization, ...) turn constant operands into
// parameters; shape ops on constants are evaluated right away.
//
// The converters live in files by family (LayerOps, ElementOps, ShapeOps,
// ConstantOps); each reports at most one error, through `fail`.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_ONNX_IMPORTER_H
#define CNNOPT_FRONTEND_ONNX_IMPORTER_H

#include "frontend/Frontend.h"

#include "onnx/onnx_pb.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cnnopt::onnx_import {

/// Marks the run-time batch inside a folded shape (the value `Shape` on a
/// tensor with a dynamic batch gives): it may travel through Gather, Concat
/// and friends into a Reshape, and nowhere else.
constexpr int64_t kBatchSymbol = INT64_MIN + 1;

/// A value known at import time. Floats and ints are kept apart so that
/// int64 shape arithmetic (Slice's INT64_MAX ends) stays exact.
struct Constant {
  bool isFloat = true;
  Shape dims;
  std::vector<float> f;
  std::vector<int64_t> i;

  int64_t size() const { return isFloat ? int64_t(f.size()) : int64_t(i.size()); }
  double at(int64_t k) const { return isFloat ? double(f[k]) : double(i[k]); }
  /// The values as ints (floats truncated), for shape-like operands.
  std::vector<int64_t> ints() const;
  static Constant ofInts(std::vector<int64_t> values, Shape dims);
  static Constant ofFloats(std::vector<float> values, Shape dims);
};

/// Half of a tensor split in two along an axis, maybe through a sigmoid:
/// the pieces of torch's GLU export (Split, Sigmoid, Mul), which become one
/// `glu` when they meet again.
struct GluPart {
  int source = -1;
  int64_t axis = 0;
  int half = 0; ///< 0: the first half (the value), 1: the second (the gate)
  bool sigmoid = false;
};

/// A tensor seen through a Transpose (`perm`): torch exports softmax over
/// a middle axis before opset 13 as Transpose -> Softmax(last axis) ->
/// the same Transpose back. The DSL has no transpose, so only that path
/// is allowed: the softmax runs on `tensor` over axis perm[last].
struct Permuted {
  int tensor = -1;
  std::vector<int64_t> perm;
};

/// What one ONNX value name stands for.
struct Slot {
  int tensor = -1;                  ///< a graph value id, or
  std::optional<Constant> constant; ///< a value known at import time, or
  std::optional<GluPart> glu;       ///< a piece of a GLU, or
  std::optional<Permuted> permuted; ///< a transposed tensor
};

class Importer {
public:
  Importer(std::string filename, const FrontendOptions &options)
      : filename(std::move(filename)), options(options) {}

  std::optional<Program> run(const onnx::ModelProto &model, std::string &error);

  // ----- used by the converters ---------------------------------------------

  /// Records `message` for the node being converted; returns false.
  bool fail(const std::string &message);

  const onnx::NodeProto &node() const { return *current; }
  int64_t opset() const { return opsetVersion; }
  size_t inputCount() const;        ///< present inputs (trailing empty names dropped)
  bool hasInput(size_t k) const;    ///< input k present and non-empty
  /// Input k; null (error recorded) if missing, unknown, or a GLU piece or
  /// a transposed tensor where `special` does not allow one.
  const Slot *input(size_t k, bool special = false);

  /// Input k as a tensor of the graph: constants become buffers (named
  /// after their ONNX value) or, when scalar, `constant` nodes. -1 on error.
  int tensorInput(size_t k);
  /// Input k as a constant (shape operands, weights); null with an error.
  const Constant *constantInput(size_t k, const std::string &what);
  /// The ONNX name of input k (for parameter names).
  const std::string &inputName(size_t k) const { return current->input(int(k)); }

  /// A parameter holding `value`, named `name` (reused when the same name
  /// is asked for twice with the same shape).
  int param(const std::string &name, const Constant &value, const std::string &role,
            bool trainable);

  /// A copy: adding values to the graph moves the stored shapes.
  Shape shapeOf(int tensor) const { return graph.values[tensor].shape; }
  DType dtypeOf(int tensor) const { return graph.values[tensor].dtype; }

  /// Appends a node of op `op`; its result shape comes from `shape` (a
  /// shape rule's answer: an error there is reported at this node). Returns
  /// the result's value id, -1 on error.
  int emit(const std::string &op, std::vector<int> operands, AttrMap attrs,
           const shapes::ShapeOr &shape, DType dtype = DType::F32);

  // ----- rewrites of the ops just emitted (GroupNorm's export) --------------

  /// The node `back` places before the last one emitted, if it computes
  /// `value`; else null.
  const GraphNode *lastNodeComputing(int value, size_t back = 0) const;
  /// Removes the last node emitted: a rewrite replaces it. Only for nodes
  /// whose result nothing else uses (usedOnlyHere).
  void dropLastNode() { graph.nodes.pop_back(); }
  /// True when the current node is the only remaining user of `value`.
  bool usedOnlyHere(int value) const;
  /// True when no later node (nor a graph output) uses `value`.
  bool unusedLater(int value) const;
  /// Renames a parameter and replaces its values (a rewrite that moves an
  /// ONNX constant into a parameter created before it).
  void replaceParam(GraphParam &p, const std::string &name, std::vector<float> values);
  /// The parameter behind value id `value`, or null.
  GraphParam *paramAt(int value);

  /// Binds output k of the current node.
  void setOutput(size_t k, int tensor);
  void setOutput(size_t k, Constant value);
  void setOutput(size_t k, GluPart part);
  void setOutput(size_t k, Permuted permuted);
  /// False (with an error) when an output other than the first ones the
  /// converter produces is used later (BatchNormalization's running stats,
  /// MaxPool's indices, Dropout's mask).
  bool onlyOutputs(size_t used);

  /// Attributes of the current node; `allowed` lists those the converter
  /// understands (any other is reported).
  bool checkAttributes(const std::set<std::string> &allowed);
  bool has(const std::string &name) const;
  int64_t attrInt(const std::string &name, int64_t otherwise) const;
  /// A float attribute as the shortest decimal that reads back as the same
  /// float (epsilon 1e-5f is 1e-5, as PyTorch wrote it).
  double attrFloat(const std::string &name, float otherwise) const;
  std::string attrString(const std::string &name, const std::string &otherwise) const;
  std::vector<int64_t> attrInts(const std::string &name,
                                std::vector<int64_t> otherwise = {}) const;
  const onnx::TensorProto *attrTensor(const std::string &name) const;

  /// False (with an error) when a constant the importer computes would have
  /// more than kMaxFolded elements: shape computations and synthesised
  /// biases are small, and a hostile file must not make the importer
  /// allocate gigabytes (a ConstantOfShape of [1e6, 1e6]).
  bool checkFoldedSize(int64_t count);
  static constexpr int64_t kMaxFolded = int64_t(1) << 24;

  /// Decodes an initializer or a Constant's tensor; false with the reason
  /// in `error` (unformatted: the caller says where).
  bool decode(const onnx::TensorProto &tensor, Constant &out);
  const std::string &lastError() const { return error; }

private:
  bool importInputs(const onnx::GraphProto &graph);
  bool importNode(const onnx::NodeProto &node);
  bool importOutputs(const onnx::GraphProto &graph);
  bool usedLater(const std::string &name) const;
  std::string uniqueIdent(const std::string &name);

  std::string filename;
  const FrontendOptions &options;
  int64_t opsetVersion = 0;
  ModelGraph graph;
  Program program;
  std::map<std::string, Slot> slots;
  std::map<std::string, int> params; ///< parameter name -> value id
  std::set<std::string> idents;      ///< input/output names given out
  std::map<std::string, int> uses;   ///< ONNX value name -> later uses left
  std::map<int, std::string> names;  ///< value id -> the ONNX names bound to it
  const onnx::NodeProto *current = nullptr;
  std::string error;
};

/// The double of the shortest decimal that reads back as `v`.
double shortestDecimal(float v);

/// One converter per ONNX op type; false after Importer::fail.
using Converter = bool (*)(Importer &);

/// The converters of each family, registered by op type.
void addLayerConverters(std::map<std::string, Converter> &table);
void addElementConverters(std::map<std::string, Converter> &table);
void addShapeConverters(std::map<std::string, Converter> &table);
void addConstantConverters(std::map<std::string, Converter> &table);

} // namespace cnnopt::onnx_import

#endif // CNNOPT_FRONTEND_ONNX_IMPORTER_H
