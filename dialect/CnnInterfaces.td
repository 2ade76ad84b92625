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
    list of activations; code generation has one formula per kind) and its
    parameters in the order of the fused ops' `activation_params` (one list
    for every kind, so that a new parametrised activation adds no attribute
    to the fused ops, activation_grad or the kernel descriptions).
  }];
  let cppNamespace = "::mlir::cnn";
  let methods = [
    InterfaceMethod<"The activation as the fused ops' enum.",
                    "::mlir::cnn::Activation", "getActivationKind">,
    InterfaceMethod<"The activation's parameters (leaky_relu: [slope], elu: "
                    "[alpha], softplus: [beta, threshold]), else none.",
                    "::llvm::SmallVector<double>", "getActivationParams", (ins), "",
                    "return {};">,
  ];
}

#endif // CNN_INTERFACES
