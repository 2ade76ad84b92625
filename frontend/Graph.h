//===- Graph.h - Elaborated model graph (front end output) ------*- C++ -*-===//
//
// The front end elaborates a `.cnn` file (blocks expanded, loops unrolled,
// names resolved, shapes inferred) into one flat ModelGraph per model and per
// `train` declaration. The graph is plain C++ so that the language half of the
// front end compiles and unit-tests without MLIR; MLIRGen.cpp turns it into
// the `cnn` dialect one node per op.
//
// Contract for every node (`GraphNode::op` is the dialect mnemonic, which is
// the DSL op name; negative axes are already normalised):
//   conv2d            operands [x, weight, bias?]  stride[2] padding[4: top,left,bottom,right] dilation[2] groups
//   conv_transpose2d  operands [x, weight, bias?]  stride[2] padding[2] output_padding[2] dilation[2] groups
//   linear            operands [x, weight, bias?]
//   batch_norm        operands [x, weight?, bias?, running_mean, running_var]  eps momentum affine
//   layer_norm        operands [x, weight?, bias?]  dims eps affine
//   group_norm        operands [x, weight?, bias?]  groups eps affine
//   instance_norm     operands [x, weight?, bias?]  eps affine
//   relu relu6 sigmoid tanh silu hardswish hardsigmoid softsign erf neg
//                                                             operands [x]
//   leaky_relu slope | gelu approximate("none"|"tanh") | softmax, log_softmax axis
//   elu alpha | softplus beta threshold | pow exponent | glu axis
//   prelu             operands [x, weight[1 or C]]
//   pad2d             pads[4: left,right,top,bottom] mode("constant"|"reflect"|"replicate") value
//   pixel_shuffle     factor
//   max_pool2d        kernel[2] stride[2] padding[2] dilation[2] ceil_mode
//   avg_pool2d        kernel[2] stride[2] padding[2] ceil_mode count_include_pad
//   adaptive_avg_pool2d, adaptive_max_pool2d   size[2]
//   upsample2d        scale mode("nearest"|"bilinear")
//   flatten start | reshape shape (as written, may hold one -1) | concat axis (operands: the list)
//   mean axes (sorted, non-negative) keepdim
//   add sub mul div   operands [a, b] (NumPy broadcasting)
//   constant          value (float) -> rank-0 f32 tensor
//   dropout p | dropblock block_size p | stochastic_depth p
//   cross_entropy     operands [logits, labels] label_smoothing -> rank 0
//   mse_loss          operands [a, b] -> rank 0
// Int attributes are int64_t, float attributes double, lists std::vector<int64_t>.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_GRAPH_H
#define CNNOPT_FRONTEND_GRAPH_H

#include "dialect/TensorType.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace cnnopt {

/// A position in a `.cnn` file (1-based line and column).
struct SourceLoc {
  std::string file;
  unsigned line = 0;
  unsigned col = 0;
};

/// A model input (`x: f32[N, 3, 32, 32]`). `batchName` is the symbolic
/// dimension-0 name (`N`), empty when every dimension is an integer.
struct GraphInput {
  std::string name;
  int value = -1;
  std::string batchName;
  SourceLoc loc;
};

/// One `state_dict` entry. Parameters (weight, bias) are trainable; buffers
/// (running_mean, running_var, num_batches_tracked) are not.
struct GraphParam {
  std::string name; ///< full state_dict key, e.g. "layer1.0.bn1.running_var"
  std::string role; ///< weight | bias | running_mean | running_var | num_batches_tracked
  int value = -1;
  bool trainable = true;
  SourceLoc loc; ///< the call that owns it
  ParamInit init = ParamInit::Zero; ///< PyTorch's default initialiser
  double bound = 0.0;               ///< for ParamInit::Uniform; Constant's value
};

/// One op application.
struct GraphNode {
  std::string op;            ///< dialect mnemonic (see the file comment)
  std::vector<int> operands; ///< value ids, in the order of the file comment
  AttrMap attrs;
  int result = -1;           ///< value id of the single result
  std::string name;          ///< scope for ops with parameters, else the variable bound
  SourceLoc loc;             ///< the op name token in the call
};

struct GraphOutput {
  std::string name; ///< per DSL.md: the returned variable, or out<k>
  int value = -1;
};

/// `optimizer = sgd(...)` etc. in a train declaration.
struct OptimizerSpec {
  std::string kind; ///< sgd | adam | adamw
  AttrMap attrs;    ///< every hyper-parameter, defaults filled in
  SourceLoc loc;
};

/// The elaborated form of one model, or of one `train` declaration (then it
/// holds the model's forward nodes followed by the loss nodes, the extra
/// inputs after the model's inputs, and a single output named `loss`).
struct ModelGraph {
  std::string name;             ///< model name
  bool isTrain = false;         ///< true for a `train` declaration
  SourceLoc loc;                ///< the model (or train) name token
  std::vector<TensorType> values; ///< every SSA value, indexed by id
  std::vector<GraphInput> inputs;
  std::vector<GraphParam> params; ///< in program order
  std::vector<GraphNode> nodes;   ///< in program order (topological)
  std::vector<GraphOutput> outputs;
  std::optional<OptimizerSpec> optimizer; ///< train declarations only
};

/// Everything a file defines: its models in source order, then its train
/// declarations in source order.
struct Program {
  std::vector<ModelGraph> models;
  std::vector<ModelGraph> trains;
  /// Parameter values the model file itself carries, by parameter name
  /// (an ONNX file's initializers; empty for `.cnn` files, whose weights
  /// come from --weights or PyTorch's initialisers).
  std::map<std::string, std::vector<float>> paramValues;
};

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_GRAPH_H
