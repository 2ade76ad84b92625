//===- CnnDialect.td - The cnn dialect ---------------------*- tablegen -*-===//
//
// The `cnn` dialect: one op per operator of the `.cnn` language (DSL.md), on
// ranked NCHW tensors whose batch dimension may be dynamic.
//===----------------------------------------------------------------------===//

#ifndef CNN_DIALECT
#define CNN_DIALECT

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Cnn_Dialect : Dialect {
  let name = "cnn";
  let summary = "convolutional neural network operators with PyTorch semantics";
  let description = [{
    Ops mirror `torch.nn` layers one to one. Parameters (weights, biases,
    running statistics) are operands, normally function arguments that carry
    their `state_dict` name in a `cnn.param` argument attribute, so one IR
    serves inference and training. Every op infers its result type with
    PyTorch's shape rules (`dialect/ShapeRules.h`); dimension 0 may be `?`,
    the batch chosen at run time.
  }];
  let cppNamespace = "::mlir::cnn";
  let useDefaultAttributePrinterParser = 1;
  // Folded constants become cnn.constant again.
  let hasConstantMaterializer = 1;
}

/// Base class of every cnn op.
class Cnn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Cnn_Dialect, mnemonic, traits>;

/// Activations and parameters: ranked f32 tensors.
def Cnn_Tensor : RankedTensorOf<[F32]>;
/// Class labels for the classification loss.
def Cnn_LabelTensor : RankedTensorOf<[I32]>;
/// A rank-0 f32 tensor (losses, scalar constants).
def Cnn_Scalar : 0DTensorOf<[F32]>;

#endif // CNN_DIALECT
