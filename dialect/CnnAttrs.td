//===- CnnAttrs.td - cnn dialect attributes ----------------*- tablegen -*-===//
//
// Attributes that later passes write and code generation reads.
//===----------------------------------------------------------------------===//

#ifndef CNN_ATTRS
#define CNN_ATTRS

include "dialect/CnnDialect.td"
include "mlir/IR/EnumAttr.td"

/// How a conv2d is computed; set by the algorithm-selection pass.
def Cnn_ConvAlgorithm : I32EnumAttr<"ConvAlgorithm", "convolution algorithm", [
    I32EnumAttrCase<"direct", 0>,
    I32EnumAttrCase<"gemm", 1>,
    I32EnumAttrCase<"depthwise", 2>,
    I32EnumAttrCase<"winograd_2x2_3x3", 3>,
    I32EnumAttrCase<"winograd_4x4_3x3", 4>
  ]> {
  let cppNamespace = "::mlir::cnn";
  let genSpecializedAttr = 0;
}

def Cnn_ConvAlgorithmAttr : EnumAttr<Cnn_Dialect, Cnn_ConvAlgorithm, "algorithm">;

/// The activation a fused op applies last: one case per op with the
/// ActivationOpInterface. The cases with parameters carry them in the
/// fused op's `activation_params` list (activationParamCount() in
/// CnnOps.h says how many): leaky_relu [slope], elu [alpha],
/// softplus [beta, threshold].
def Cnn_Activation : I32EnumAttr<"Activation", "fused activation", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"relu", 1>,
    I32EnumAttrCase<"relu6", 2>,
    I32EnumAttrCase<"sigmoid", 3>,
    I32EnumAttrCase<"tanh", 4>,
    I32EnumAttrCase<"silu", 5>,
    I32EnumAttrCase<"hardswish", 6>,
    I32EnumAttrCase<"hardsigmoid", 7>,
    I32EnumAttrCase<"leaky_relu", 8>,
    I32EnumAttrCase<"gelu", 9>,
    I32EnumAttrCase<"gelu_tanh", 10>,
    I32EnumAttrCase<"softsign", 11>,
    I32EnumAttrCase<"erf", 12>,
    I32EnumAttrCase<"elu", 13>,
    I32EnumAttrCase<"softplus", 14>
  ]> {
  let cppNamespace = "::mlir::cnn";
  let genSpecializedAttr = 0;
}

def Cnn_ActivationAttr : EnumAttr<Cnn_Dialect, Cnn_Activation, "activation">;

#endif // CNN_ATTRS
