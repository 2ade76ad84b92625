//===- CnnOps.td - cnn dialect ops -------------------------*- tablegen -*-===//
//
// One op per row of DSL.md's operator table, plus the losses and the scalar
// constant. Attributes hold the normalised arguments (pairs as [h, w], axes
// non-negative); result types are inferred with PyTorch's shape rules.
//===----------------------------------------------------------------------===//

#ifndef CNN_OPS
#define CNN_OPS

include "dialect/CnnDialect.td"
include "dialect/CnnAttrs.td"
include "dialect/CnnInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Op families
//===----------------------------------------------------------------------===//

/// An op whose result type comes from PyTorch's shape rules
/// (`inferReturnTypes` in CnnOps.cpp calls dialect/ShapeRules.h).
class Cnn_InferredOp<string mnemonic, list<Trait> traits = []>
    : Cnn_Op<mnemonic, traits # [Pure, InferTypeOpAdaptor]> {
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

/// An elementwise op with one tensor operand and no parameters.
class Cnn_ElementwiseOp<string mnemonic, list<Trait> traits = []>
    : Cnn_Op<mnemonic, traits # [Pure, SameOperandsAndResultType]> {
  let arguments = (ins Cnn_Tensor:$input);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

/// An activation: pointwise, and one case of the Activation enum. `params`
/// are its attributes, `paramValues` the C++ expressions that read them in
/// the order of the fused ops' `activation_params`.
class Cnn_ActivationOp<string mnemonic, string kind, dag params = (ins),
                       string paramValues = "">
    : Cnn_ElementwiseOp<mnemonic, [Cnn_Pointwise, Cnn_ActivationOpInterface]> {
  let arguments = !con((ins Cnn_Tensor:$input), params);
  let extraClassDeclaration = [{
    ::mlir::cnn::Activation getActivationKind() {
      return ::mlir::cnn::Activation::}] # kind # [{;
    }
    ::llvm::SmallVector<double> getActivationParams() {
      return {}] # paramValues # [{};
    }
  }];
}

/// An elementwise binary op with NumPy broadcasting.
class Cnn_BroadcastOp<string mnemonic, string torchName>
    : Cnn_InferredOp<mnemonic, [Cnn_Pointwise]> {
  let summary = "elementwise " # mnemonic # " with NumPy broadcasting";
  let description = "Matches `" # torchName # "`. Example: `%y = cnn." #
    mnemonic # " %a, %b : (tensor<?x8x4x4xf32>, tensor<?x8x1x1xf32>) -> tensor<?x8x4x4xf32>`";
  let arguments = (ins Cnn_Tensor:$lhs, Cnn_Tensor:$rhs);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  // x + 0, x - 0, x * 1, x / 1 with a cnn.constant operand fold to x.
  let hasFolder = 1;
}

/// A normalisation with optional affine weight and bias.
class Cnn_NormOp<string mnemonic, dag extraArgs>
    : Cnn_InferredOp<mnemonic, [AttrSizedOperandSegments]> {
  let arguments = !con((ins Cnn_Tensor:$input,
                            Optional<Cnn_Tensor>:$weight,
                            Optional<Cnn_Tensor>:$bias), extraArgs);
  let assemblyFormat = [{
    $input (`affine` `(` $weight^ `,` $bias `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

/// A regulariser that is the identity in inference.
class Cnn_RegularizerOp<string mnemonic, dag extraArgs>
    : Cnn_Op<mnemonic, [SameOperandsAndResultType, Cnn_Pointwise]> {
  let arguments = !con((ins Cnn_Tensor:$input), extraArgs,
                       (ins UnitAttr:$training));
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  // The identity in inference (no `training`).
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops
//===----------------------------------------------------------------------===//

def Cnn_AddOp : Cnn_BroadcastOp<"add", "torch.add">;
def Cnn_DivOp : Cnn_BroadcastOp<"div", "torch.div">;
def Cnn_MulOp : Cnn_BroadcastOp<"mul", "torch.mul">;
def Cnn_SubOp : Cnn_BroadcastOp<"sub", "torch.sub">;

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

def Cnn_GeluOp : Cnn_ElementwiseOp<"gelu", [Cnn_Pointwise, Cnn_ActivationOpInterface]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    Matches `torch.nn.GELU(approximate=...)`: `"none"` is the erf form,
    `"tanh"` the tanh approximation.
  }];
  let arguments = (ins Cnn_Tensor:$input, StrAttr:$approximate);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::cnn::Activation getActivationKind() {
      return getApproximate() == "tanh" ? ::mlir::cnn::Activation::gelu_tanh
                                        : ::mlir::cnn::Activation::gelu;
    }
  }];
}
def Cnn_EluOp : Cnn_ActivationOp<"elu", "elu", (ins F64Attr:$alpha),
                                 "getAlpha().convertToDouble()"> {
  let summary = "x > 0 ? x : alpha * (exp(x) - 1), as torch.nn.ELU";
}
def Cnn_ErfOp : Cnn_ActivationOp<"erf", "erf"> {
  let summary = "the error function, as torch.erf";
}
def Cnn_HardsigmoidOp : Cnn_ActivationOp<"hardsigmoid", "hardsigmoid"> {
  let summary = "relu6(x + 3) / 6, as torch.nn.Hardsigmoid";
}
def Cnn_HardswishOp : Cnn_ActivationOp<"hardswish", "hardswish"> {
  let summary = "x * relu6(x + 3) / 6, as torch.nn.Hardswish";
}
def Cnn_LeakyReluOp : Cnn_ActivationOp<"leaky_relu", "leaky_relu", (ins F64Attr:$slope),
                                        "getSlope().convertToDouble()"> {
  let summary = "max(x, 0) + slope * min(x, 0), as torch.nn.LeakyReLU";
}
def Cnn_LogSoftmaxOp : Cnn_ElementwiseOp<"log_softmax"> {
  let summary = "log of softmax along `axis`, as torch.nn.LogSoftmax";
  let arguments = (ins Cnn_Tensor:$input, I64Attr:$axis);
  let hasVerifier = 1;
}
def Cnn_NegOp : Cnn_ElementwiseOp<"neg", [Cnn_Pointwise]> {
  let summary = "elementwise negation (unary minus in .cnn)";
}
def Cnn_ReluOp : Cnn_ActivationOp<"relu", "relu"> {
  let summary = "rectified linear unit, max(x, 0)";
  let description = [{
    Matches `torch.nn.ReLU`. Example:
    `%y = cnn.relu %x : tensor<?x64x56x56xf32>`
  }];
}
def Cnn_Relu6Op : Cnn_ActivationOp<"relu6", "relu6"> {
  let summary = "min(max(x, 0), 6), as torch.nn.ReLU6";
}
def Cnn_SigmoidOp : Cnn_ActivationOp<"sigmoid", "sigmoid"> {
  let summary = "1 / (1 + exp(-x)), as torch.nn.Sigmoid";
}
def Cnn_SiluOp : Cnn_ActivationOp<"silu", "silu"> {
  let summary = "x * sigmoid(x), as torch.nn.SiLU";
}
def Cnn_SoftsignOp : Cnn_ActivationOp<"softsign", "softsign"> {
  let summary = "x / (1 + |x|), as torch.nn.Softsign";
}
def Cnn_SoftplusOp : Cnn_ActivationOp<"softplus", "softplus",
    (ins F64Attr:$beta, F64Attr:$threshold),
    "getBeta().convertToDouble(), getThreshold().convertToDouble()"> {
  let summary = "log(1 + exp(beta * x)) / beta, x where beta * x > threshold, as torch.nn.Softplus";
}
def Cnn_SoftmaxOp : Cnn_ElementwiseOp<"softmax"> {
  let summary = "softmax along `axis`, as torch.nn.Softmax";
  let arguments = (ins Cnn_Tensor:$input, I64Attr:$axis);
  let hasVerifier = 1;
}
def Cnn_TanhOp : Cnn_ActivationOp<"tanh", "tanh"> {
  let summary = "hyperbolic tangent, as torch.nn.Tanh";
}

def Cnn_GluOp : Cnn_InferredOp<"glu"> {
  let summary = "first half * sigmoid(second half) along `axis`, as torch.nn.GLU";
  let description = [{
    `axis` (non-negative) must have an even size; the result has half of it.
    Not pointwise: each result element reads two positions of the input.
  }];
  let arguments = (ins Cnn_Tensor:$input, I64Attr:$axis);
}

def Cnn_PowOp : Cnn_ElementwiseOp<"pow", [Cnn_Pointwise]> {
  let summary = "x to the power `exponent`, as torch.pow(x, exponent)";
  let description = [{
    A negative base with a non-integer exponent is NaN, as in PyTorch.
  }];
  let arguments = (ins Cnn_Tensor:$input, F64Attr:$exponent);
}

def Cnn_PreluOp : Cnn_Op<"prelu", [Pure, Cnn_Pointwise,
                                   AllTypesMatch<["input", "result"]>]> {
  let summary = "max(x, 0) + weight[c] * min(x, 0), as torch.nn.PReLU";
  let description = [{
    `weight` is `[1]` (one slope) or `[C]` (one per channel, axis 1).

    ```mlir
    %y = cnn.prelu %x, %w : tensor<?x8x4x4xf32>, tensor<8xf32>
    ```
  }];
  let arguments = (ins Cnn_Tensor:$input, Cnn_Tensor:$weight);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "$input `,` $weight attr-dict `:` type($input) `,` type($weight)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Convolution and linear layers
//===----------------------------------------------------------------------===//

def Cnn_Conv2dOp : Cnn_InferredOp<"conv2d"> {
  let summary = "2-D convolution, as torch.nn.Conv2d";
  let description = [{
    `weight` is `[out, in/groups, kh, kw]`, `bias` (optional) `[out]`.
    `padding` is `[top, left, bottom, right]` so that `padding="same"` with
    an even kernel (odd total, the extra row/column right and bottom) is
    exact. `algorithm`, when present, is chosen by the algorithm-selection
    pass and read by code generation.

    ```mlir
    %y = cnn.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64,
           padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>}
         : (tensor<?x3x32x32xf32>, tensor<32x3x3x3xf32>, tensor<32xf32>)
         -> tensor<?x32x32x32xf32>
    ```
  }];
  let arguments = (ins Cnn_Tensor:$input, Cnn_Tensor:$weight,
                       Optional<Cnn_Tensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups,
                       OptionalAttr<Cnn_ConvAlgorithmAttr>:$algorithm);
  let hasVerifier = 1;
}

def Cnn_ConvTranspose2dOp : Cnn_InferredOp<"conv_transpose2d", [AttrSizedOperandSegments]> {
  let summary = "2-D transposed convolution, as torch.nn.ConvTranspose2d";
  let description = [{
    `weight` is `[in, out/groups, kh, kw]`, `bias` (optional) `[out]`. The
    output size is `(in-1)*stride - 2*padding + dilation*(k-1) +
    output_padding + 1`. `scale`/`shift` (`[out]`, from
    `cnn-fold-batch-norm`) apply `y * scale + shift` per output channel.
  }];
  let arguments = (ins Cnn_Tensor:$input, Cnn_Tensor:$weight,
                       Optional<Cnn_Tensor>:$bias, Optional<Cnn_Tensor>:$scale,
                       Optional<Cnn_Tensor>:$shift,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$output_padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`affine` `(` $scale^ `,` $shift `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Cnn_FusedConv2dOp : Cnn_InferredOp<"fused_conv2d", [AttrSizedOperandSegments]> {
  let summary = "conv2d with a per-channel epilogue, a residual add and an activation";
  let description = [{
    The form the fusion pass produces from conv2d, batch_norm (inference),
    add and an activation, so that code generation emits one loop nest:

      y = activation((conv2d(x, weight) + bias) * scale + shift + residual)

    each of `bias`, `scale`/`shift` (a folded batch_norm, `[out]`) and
    `residual` (the result's shape) optional. Attributes are conv2d's;
    `activation_params` holds the activation's parameters (leaky_relu's
    slope, elu's alpha, softplus's beta and threshold), absent for the
    others.

    ```mlir
    %y = cnn.fused_conv2d %x, %w affine(%scale, %shift) residual(%r)
           {activation = #cnn<activation relu>, dilation = array<i64: 1, 1>,
            groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>,
            stride = array<i64: 1, 1>}
         : (...) -> tensor<?x64x56x56xf32>
    ```
  }];
  let arguments = (ins Cnn_Tensor:$input, Cnn_Tensor:$weight,
                       Optional<Cnn_Tensor>:$bias, Optional<Cnn_Tensor>:$scale,
                       Optional<Cnn_Tensor>:$shift,
                       Optional<Cnn_Tensor>:$residual,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups,
                       Cnn_ActivationAttr:$activation,
                       OptionalAttr<DenseF64ArrayAttr>:$activation_params,
                       OptionalAttr<Cnn_ConvAlgorithmAttr>:$algorithm);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `)`)? (`affine` `(` $scale^ `,` $shift `)`)?
    (`residual` `(` $residual^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Cnn_FusedLinearOp : Cnn_InferredOp<"fused_linear", [AttrSizedOperandSegments]> {
  let summary = "linear with a per-feature epilogue, a residual add and an activation";
  let description = [{
    The form `cnn-fuse-epilogue` gives every `linear`:

      y = activation((x * weight^T + bias) * scale + shift + residual)

    each of `bias`, `scale`/`shift` (a folded BatchNorm1d, `[out]`) and
    `residual` (the result's shape) optional; `activation_params` as
    fused_conv2d's.
  }];
  let arguments = (ins Cnn_Tensor:$input, Cnn_Tensor:$weight,
                       Optional<Cnn_Tensor>:$bias, Optional<Cnn_Tensor>:$scale,
                       Optional<Cnn_Tensor>:$shift,
                       Optional<Cnn_Tensor>:$residual,
                       Cnn_ActivationAttr:$activation,
                       OptionalAttr<DenseF64ArrayAttr>:$activation_params);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `)`)? (`affine` `(` $scale^ `,` $shift `)`)?
    (`residual` `(` $residual^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Cnn_LinearOp : Cnn_InferredOp<"linear"> {
  let summary = "x * weight^T + bias, as torch.nn.Linear";
  let description = [{
    `weight` is `[out, in]`, `bias` (optional) `[out]`, `x` is `[N, in]`.
  }];
  let arguments = (ins Cnn_Tensor:$input, Cnn_Tensor:$weight,
                       Optional<Cnn_Tensor>:$bias);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalisations
//===----------------------------------------------------------------------===//

// Pointwise in inference: a per-channel scale and shift.
def Cnn_BatchNormOp : Cnn_InferredOp<"batch_norm", [AttrSizedOperandSegments, Cnn_Pointwise]> {
  let summary = "batch normalisation, as torch.nn.BatchNorm1d/2d";
  let description = [{
    Normalises over every axis but 1. In inference (`training` unset) it uses
    `running_mean` and `running_var`; in training, batch statistics, and the
    running statistics are updated with `momentum`. `weight`/`bias` are
    present when `affine=true`.

    ```mlir
    %y = cnn.batch_norm %x affine(%w, %b) stats(%mean, %var)
           {eps = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
         : (tensor<?x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>,
            tensor<8xf32>) -> tensor<?x8x4x4xf32>
    ```
  }];
  let arguments = (ins Cnn_Tensor:$input, Optional<Cnn_Tensor>:$weight,
                       Optional<Cnn_Tensor>:$bias, Cnn_Tensor:$running_mean,
                       Cnn_Tensor:$running_var, F64Attr:$eps,
                       F64Attr:$momentum, UnitAttr:$training);
  let assemblyFormat = [{
    $input (`affine` `(` $weight^ `,` $bias `)`)?
    `stats` `(` $running_mean `,` $running_var `)` attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Cnn_BatchNormScaleOp : Cnn_Op<"batch_norm_scale", [Pure]> {
  let summary = "an inference batch_norm's per-channel scale";
  let description = [{
    `scale = weight / sqrt(running_var + eps)` (`weight` is 1 when absent):
    what `cnn-fold-batch-norm` leaves for the op it folds a batch_norm into.
    Computed once per call from the parameters, or at compile time when the
    weights are embedded.

    ```mlir
    %s = cnn.batch_norm_scale %var, %gamma {eps = 1.0e-05 : f64}
         : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    ```
  }];
  let arguments = (ins Cnn_Tensor:$running_var, Optional<Cnn_Tensor>:$weight,
                       F64Attr:$eps);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_BatchNormShiftOp : Cnn_Op<"batch_norm_shift", [Pure]> {
  let summary = "an inference batch_norm's per-channel shift";
  let description = [{
    `shift = bias - running_mean * scale` (`bias` is 0 when absent), with
    `scale` from `cnn.batch_norm_scale`.
  }];
  let arguments = (ins Cnn_Tensor:$running_mean, Cnn_Tensor:$scale,
                       Optional<Cnn_Tensor>:$bias);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_GroupNormOp : Cnn_NormOp<"group_norm", (ins I64Attr:$groups, F64Attr:$eps)> {
  let summary = "group normalisation, as torch.nn.GroupNorm";
}

def Cnn_InstanceNormOp : Cnn_NormOp<"instance_norm", (ins F64Attr:$eps)> {
  let summary = "instance normalisation, as torch.nn.InstanceNorm2d";
  let description = [{
    Normalises each (sample, channel) plane; keeps no running statistics.
  }];
}

def Cnn_LayerNormOp : Cnn_NormOp<"layer_norm", (ins I64Attr:$dims, F64Attr:$eps)> {
  let summary = "layer normalisation over the last `dims` axes, as torch.nn.LayerNorm";
}

//===----------------------------------------------------------------------===//
// Pooling and resampling
//===----------------------------------------------------------------------===//

def Cnn_AdaptiveAvgPool2dOp : Cnn_InferredOp<"adaptive_avg_pool2d"> {
  let summary = "adaptive average pooling, as torch.nn.AdaptiveAvgPool2d";
  let description = [{
    Output cell `i` averages input rows `floor(i*H/oh)` to
    `ceil((i+1)*H/oh)`, so any input size works.
  }];
  let arguments = (ins Cnn_Tensor:$input, DenseI64ArrayAttr:$size);
}

def Cnn_AdaptiveMaxPool2dOp : Cnn_InferredOp<"adaptive_max_pool2d"> {
  let summary = "adaptive max pooling, as torch.nn.AdaptiveMaxPool2d";
  let arguments = (ins Cnn_Tensor:$input, DenseI64ArrayAttr:$size);
}

def Cnn_AvgPool2dOp : Cnn_InferredOp<"avg_pool2d"> {
  let summary = "average pooling, as torch.nn.AvgPool2d";
  let arguments = (ins Cnn_Tensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       BoolAttr:$ceil_mode, BoolAttr:$count_include_pad);
}

def Cnn_MaxPool2dOp : Cnn_InferredOp<"max_pool2d"> {
  let summary = "max pooling, as torch.nn.MaxPool2d";
  let arguments = (ins Cnn_Tensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, BoolAttr:$ceil_mode);
}

def Cnn_Pad2dOp : Cnn_InferredOp<"pad2d"> {
  let summary = "padding of the last two axes, as F.pad(x, pads, mode, value)";
  let description = [{
    `pads` is `[left, right, top, bottom]` (F.pad's order); a negative pad
    crops. `mode` is `"constant"` (`value` outside), `"reflect"` (each pad
    less than its axis) or `"replicate"`.
  }];
  let arguments = (ins Cnn_Tensor:$input, DenseI64ArrayAttr:$pads, StrAttr:$mode,
                       F64Attr:$value);
}

def Cnn_PixelShuffleOp : Cnn_InferredOp<"pixel_shuffle"> {
  let summary = "[N, C*r*r, H, W] -> [N, C, H*r, W*r], as torch.nn.PixelShuffle";
  let arguments = (ins Cnn_Tensor:$input, I64Attr:$factor);
}

def Cnn_Upsample2dOp : Cnn_InferredOp<"upsample2d"> {
  let summary = "upsampling by an integer scale, as torch.nn.Upsample";
  let description = [{
    `mode` is `"nearest"` or `"bilinear"` (with `align_corners=false`).
  }];
  let arguments = (ins Cnn_Tensor:$input, I64Attr:$scale, StrAttr:$mode);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape manipulation and reductions
//===----------------------------------------------------------------------===//

def Cnn_ConcatOp : Cnn_InferredOp<"concat"> {
  let summary = "concatenation along `axis`, as torch.cat";
  let arguments = (ins Variadic<Cnn_Tensor>:$inputs, I64Attr:$axis);
}

def Cnn_FlattenOp : Cnn_InferredOp<"flatten"> {
  let summary = "merges the axes from `start` on, as torch.flatten";
  let arguments = (ins Cnn_Tensor:$input, I64Attr:$start);
  // Folds away when it changes no shape; a chain of flattens and reshapes
  // becomes one reshape.
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Cnn_MeanOp : Cnn_InferredOp<"mean"> {
  let summary = "mean over `axes`, as torch.mean";
  let arguments = (ins Cnn_Tensor:$input, DenseI64ArrayAttr:$axes,
                       BoolAttr:$keepdim);
}

def Cnn_ReshapeOp : Cnn_InferredOp<"reshape"> {
  let summary = "reshape to `shape` (one -1 inferred), as torch.reshape";
  let arguments = (ins Cnn_Tensor:$input, DenseI64ArrayAttr:$shape);
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Cnn_ConstantOp : Cnn_Op<"constant", [Pure, ConstantLike]> {
  let summary = "a scalar f32 constant (`x * 0.5` in .cnn)";
  let description = [{
    A rank-0 tensor that broadcasts against any tensor:
    `%c = cnn.constant 5.000000e-01 : tensor<f32>`
  }];
  let arguments = (ins F64Attr:$value);
  let results = (outs Cnn_Scalar:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
  // Its value, so that the greedy rewriter tells constants apart.
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Regularisers (identity in inference)
//===----------------------------------------------------------------------===//

def Cnn_DropBlockOp : Cnn_RegularizerOp<"dropblock",
    (ins I64Attr:$block_size, F64Attr:$p)> {
  let summary = "DropBlock2d: drops square blocks of a feature map in training";
}

def Cnn_DropoutOp : Cnn_RegularizerOp<"dropout", (ins F64Attr:$p)> {
  let summary = "drops elements with probability p in training, as torch.nn.Dropout";
}

def Cnn_StochasticDepthOp : Cnn_RegularizerOp<"stochastic_depth", (ins F64Attr:$p)> {
  let summary = "drops whole samples with probability p in training (row mode)";
  let description = [{
    As `torchvision.ops.StochasticDepth(p, "row")`: survivors are scaled by
    `1/(1-p)`.
  }];
}

//===----------------------------------------------------------------------===//
// Losses (training only)
//===----------------------------------------------------------------------===//

def Cnn_CrossEntropyOp : Cnn_Op<"cross_entropy", [Pure, InferTypeOpAdaptor]> {
  let summary = "mean cross-entropy of logits against class labels";
  let description = [{
    As `torch.nn.CrossEntropyLoss(label_smoothing=...)`: `logits` `[N, C]`,
    `labels` `[N]` (i32), result rank 0.
  }];
  let arguments = (ins Cnn_Tensor:$logits, Cnn_LabelTensor:$labels,
                       F64Attr:$label_smoothing);
  let results = (outs Cnn_Scalar:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_MseLossOp : Cnn_Op<"mse_loss", [Pure, InferTypeOpAdaptor]> {
  let summary = "mean squared error, as torch.nn.MSELoss";
  let arguments = (ins Cnn_Tensor:$lhs, Cnn_Tensor:$rhs);
  let results = (outs Cnn_Scalar:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

include "dialect/CnnGradOps.td"

#endif // CNN_OPS
