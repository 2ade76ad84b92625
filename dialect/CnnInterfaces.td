//===- CnnInterfaces.td - Facts about cnn ops, declared once -*- tablegen -*-===//
//
// What passes and code generation need to know about an op, declared with
// the op instead of in string tables beside each user:
//   Cnn_Pointwise               each result element reads its operands at the
//                               same position (broadcast, or per channel for
//                               parameters): free to compute inside a consumer
//   Cnn_ActivationOpInterface   an activation a fused op can apply last
// The gradient rules of the training issue are planned the same way: an op
// interface (`derivative(...)`) implemented beside each op, not a table.
//===----------------------------------------------------------------------===//

#ifndef CNN_INTERFACES
#define CNN_INTERFACES

include "mlir/IR/OpBase.td"

/// Marks an op whose result at a position reads its operands at the same
/// (broadcast) position only. dialect/CnnTraits.h.
def Cnn_Pointwise : NativeOpTrait<"Pointwise"> {
  let cppNamespace = "::mlir::cnn";
}

def Cnn_ActivationOpInterface : OpInterface<"ActivationOpInterface"> {
  let description = [{
    An elementwise activation that `cnn.fused_conv2d` and `cnn.fused_linear`
    can apply before they store: its kind in the `Activation` enum (the one
    list of activations; code generation has one formula per kind) and, for
    `leaky_relu`, the negative slope.
  }];
  let cppNamespace = "::mlir::cnn";
  let methods = [
    InterfaceMethod<"The activation as the fused ops' enum.",
                    "::mlir::cnn::Activation", "getActivationKind">,
    InterfaceMethod<"The slope for negative inputs (leaky_relu), else 0.",
                    "double", "getNegativeSlope", (ins), "",
                    "return 0.0;">,
  ];
}

#endif // CNN_INTERFACES
