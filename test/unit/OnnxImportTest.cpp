//===- OnnxImportTest.cpp - The ONNX importer on hand-built graphs --------===//
//
// Graphs built with the protobuf API, for what the lit tests reach only
// through torch.onnx.export: the folding of shape computations (Shape,
// Gather, Slice with negative steps, Transpose, Concat, Unsqueeze) with the
// batch kept symbolic, Reshape's 0 and -1, the GroupNorm rewrite, and the
// located errors of the folding.
//===----------------------------------------------------------------------===//

#include "frontend/CnnWriter.h"
#include "frontend/onnx/OnnxImport.h"

#include "onnx/onnx_pb.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

using namespace cnnopt;

namespace {

/// A graph under construction with input x: f32[N, dims...].
class GraphBuilder {
public:
  explicit GraphBuilder(std::vector<int64_t> dims, int64_t opset = 13) {
    model.set_ir_version(8);
    auto *set = model.add_opset_import();
    set->set_domain("");
    set->set_version(opset);
    auto *x = graph()->add_input();
    x->set_name("x");
    auto *type = x->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    type->mutable_shape()->add_dim()->set_dim_param("N");
    for (int64_t d : dims)
      type->mutable_shape()->add_dim()->set_dim_value(d);
  }

  onnx::GraphProto *graph() { return model.mutable_graph(); }

  onnx::NodeProto *node(const std::string &op, std::initializer_list<std::string> in,
                        std::initializer_list<std::string> out) {
    onnx::NodeProto *n = graph()->add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + std::to_string(graph()->node_size()));
    for (const std::string &s : in)
      n->add_input(s);
    for (const std::string &s : out)
      n->add_output(s);
    return n;
  }

  void ints(const std::string &name, std::vector<int64_t> values,
            std::vector<int64_t> dims = {}) {
    onnx::TensorProto *t = graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    if (dims.empty())
      dims.push_back(int64_t(values.size()));
    for (int64_t d : dims)
      t->add_dims(d);
    for (int64_t v : values)
      t->add_int64_data(v);
  }

  void floats(const std::string &name, std::vector<int64_t> dims, std::vector<float> values) {
    onnx::TensorProto *t = graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims)
      t->add_dims(d);
    for (float v : values)
      t->add_float_data(v);
  }

  std::optional<Program> import(const std::string &output, std::string &error) {
    graph()->add_output()->set_name(output);
    std::string bytes;
    model.SerializeToString(&bytes);
    return onnx_import::importOnnx(bytes, "t.onnx", error);
  }

private:
  onnx::ModelProto model;
};

void addIntAttr(onnx::NodeProto *n, const std::string &name, int64_t v) {
  auto *a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

const GraphNode &lastNode(const Program &p) { return p.models.front().nodes.back(); }

TEST(OnnxImport, ViewWithTheBatchFromShape) {
  // x.view(x.size(0), -1): Shape -> Gather 0 -> Unsqueeze -> Concat [-1] -> Reshape.
  GraphBuilder g({3, 4, 5});
  g.ints("zero", {0});
  g.ints("minus1", {-1});
  g.node("Shape", {"x"}, {"s"});
  addIntAttr(g.node("Gather", {"s", "zero"}, {"n"}), "axis", 0);
  addIntAttr(g.node("Concat", {"n", "minus1"}, {"target"}), "axis", 0);
  g.node("Reshape", {"x", "target"}, {"y"});
  std::string error;
  std::optional<Program> p = g.import("y", error);
  ASSERT_TRUE(p) << error;
  const GraphNode &reshape = lastNode(*p);
  EXPECT_EQ(reshape.op, "reshape");
  EXPECT_EQ(std::get<std::vector<int64_t>>(reshape.attrs.at("shape")),
            (std::vector<int64_t>{-1, 60}));
  EXPECT_EQ(p->models.front().values[reshape.result].shape, (Shape{kDynamic, 60}));
}

TEST(OnnxImport, SliceWithNegativeStepAndTransposeFold) {
  // pads [[1, 2], [3, 4]] reversed by rows and transposed: torch's F.pad export.
  GraphBuilder g({2, 5, 5});
  g.ints("pairs", {1, 2, 3, 4});
  g.ints("shape2", {-1, 2});
  g.ints("start", {-1});
  g.ints("end", {INT64_MIN});
  g.ints("axes", {0});
  g.ints("step", {-1});
  g.ints("flat", {-1});
  g.ints("zeros", {0, 0, 0, 0}, {2, 2});
  g.node("Reshape", {"pairs", "shape2"}, {"m"});
  g.node("Slice", {"m", "start", "end", "axes", "step"}, {"r"});
  g.node("Transpose", {"r"}, {"t"});
  addIntAttr(g.node("Concat", {"zeros", "t"}, {"c"}), "axis", 1);
  g.node("Reshape", {"c", "flat"}, {"pads"});
  g.node("Pad", {"x", "pads"}, {"y"});
  std::string error;
  std::optional<Program> p = g.import("y", error);
  ASSERT_TRUE(p) << error;
  // Reversed rows [[3, 4], [1, 2]], transposed [[3, 1], [4, 2]], zeros
  // before each row: ONNX pads [0, 0, 3, 1, 0, 0, 4, 2] = H 3 before and 4
  // after, W 1 before and 2 after.
  const GraphNode &pad = lastNode(*p);
  EXPECT_EQ(pad.op, "pad2d");
  EXPECT_EQ(std::get<std::vector<int64_t>>(pad.attrs.at("pads")),
            (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(p->models.front().values[pad.result].shape, (Shape{kDynamic, 2, 12, 8}));
}

TEST(OnnxImport, ReshapeCopiesZeroAndInfersMinusOne) {
  GraphBuilder g({4, 6});
  g.ints("target", {0, 0, 2, -1});
  g.node("Reshape", {"x", "target"}, {"y"});
  std::string error;
  std::optional<Program> p = g.import("y", error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->models.front().values[lastNode(*p).result].shape, (Shape{kDynamic, 4, 2, 3}));
}

TEST(OnnxImport, ArithmeticOnTheBatchIsALocatedError) {
  GraphBuilder g({4});
  g.ints("two", {2});
  g.node("Shape", {"x"}, {"s"});
  g.node("Mul", {"s", "two"}, {"y"});
  std::string error;
  EXPECT_FALSE(g.import("y", error));
  EXPECT_EQ(error, "t.onnx: node 'Mul_2' (Mul): error: the shape computation uses the batch "
                   "size, which is known only at run time (a non-constant shape)");
}

TEST(OnnxImport, GroupNormExportBecomesOneGroupNorm) {
  GraphBuilder g({4, 3, 3});
  g.ints("grouped", {0, 2, -1});
  g.floats("ones", {2}, {1, 1});
  g.floats("zeros", {2}, {0, 0});
  g.floats("gamma", {4, 1, 1}, {1, 2, 3, 4});
  g.floats("beta", {4, 1, 1}, {5, 6, 7, 8});
  g.node("Reshape", {"x", "grouped"}, {"g"});
  g.node("InstanceNormalization", {"g", "ones", "zeros"}, {"n"});
  g.node("Shape", {"x"}, {"s"});
  g.node("Reshape", {"n", "s"}, {"back"});
  g.node("Mul", {"back", "gamma"}, {"scaled"});
  g.node("Add", {"scaled", "beta"}, {"y"});
  std::string error;
  std::optional<Program> p = g.import("y", error);
  ASSERT_TRUE(p) << error;
  const ModelGraph &m = p->models.front();
  ASSERT_EQ(m.nodes.size(), 1u);
  EXPECT_EQ(m.nodes[0].op, "group_norm");
  EXPECT_EQ(std::get<int64_t>(m.nodes[0].attrs.at("groups")), 2);
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0].name, "gamma");
  EXPECT_EQ(m.params[1].name, "beta");
  EXPECT_EQ(p->paramValues.at("beta"), (std::vector<float>{5, 6, 7, 8}));
  CnnSource printed = writeCnn(m, "t.onnx");
  ASSERT_TRUE(printed.error.empty()) << printed.error;
  EXPECT_NE(printed.text.find("group_norm(x, 2, eps=1e-05, affine=true, name=\"group_norm\")"),
            std::string::npos)
      << printed.text;
}

TEST(OnnxImport, TruncatedInitializerIsRefused) {
  GraphBuilder g({2});
  g.floats("w", {3, 2}, {1, 2, 3});
  g.node("MatMul", {"x", "w"}, {"y"});
  std::string error;
  EXPECT_FALSE(g.import("y", error));
  EXPECT_EQ(error, "t.onnx: error: initializer 'w': tensor 'w' holds a different number of "
                   "values than its shape needs (6)");
}

} // namespace
