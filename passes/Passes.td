//===- Passes.td - cnn passes ------------------------------*- tablegen -*-===//
//
// Every pass of cnnopt, grouped by banner, alphabetical inside a group.
//===----------------------------------------------------------------------===//

#ifndef CNN_PASSES
#define CNN_PASSES

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

def CnnPrintStatsPass : Pass<"cnn-print-stats", "::mlir::ModuleOp"> {
  let summary = "Print per-layer shapes, parameters, MACs and receptive field";
  let description = [{
    For every function that is a model (its parameters carry `cnn.param`
    argument attributes), prints one row per cnn op: scope name (the op's
    `NameLoc`), op, output shape, trainable parameters, multiply-accumulates
    per sample, and the receptive field and jump of the output along the
    height axis:

      RF[n]   = RF[n-1] + (k_eff - 1) * jump[n-1],  k_eff = dilation*(k-1)+1
      jump[n] = jump[n-1] * stride[n]

    An op with several inputs takes the largest receptive field among them;
    ops that mix all positions (flatten, global pooling, mean over H and W)
    cover the whole input. Totals follow the rows, then what torchinfo.summary
    prints under its table, by its rules (ModelStats.h, TorchinfoSummary).
    With `json=true` the same data is printed as one JSON object per
    function. The IR is unchanged. (`cnnopt --print-stats` adds the peak
    activation memory of the generated code, which needs the code generator.)
  }];
  let options = [
    Option<"json", "json", "bool", /*default=*/"false",
           "Print JSON instead of a table">
  ];
}

//===----------------------------------------------------------------------===//
// Optimisation (the -O2 pipeline, in this order; passes/Pipelines.cpp)
//===----------------------------------------------------------------------===//

def CnnCanonicalizePass : Pass<"cnn-canonicalize", "::mlir::func::FuncOp"> {
  let summary = "Apply the cnn ops' folders and canonicalisation patterns";
  let description = [{
    Drives MLIR's greedy rewriter with the folders and patterns each op
    declares in ODS (`hasFolder`, `hasCanonicalizer`):
      - dropout, dropblock and stochastic_depth without `training` are
        their input;
      - a flatten or reshape that changes no shape is its input, and a
        chain of flattens and reshapes becomes one reshape;
      - `x + 0`, `x - 0`, `x * 1`, `x / 1` with a `cnn.constant` operand
        are `x` when no broadcast widens the result.
    Ops left without users are erased.
  }];
}

def CnnFoldBatchNormPass : Pass<"cnn-fold-batch-norm", "::mlir::func::FuncOp"> {
  let summary = "Fold inference batch_norm into the conv or linear layer before it";
  let description = [{
    A `batch_norm` without `training` whose input is a `conv2d`,
    `fused_conv2d`, `conv_transpose2d` (rank 4) or `linear`/`fused_linear`
    (rank 2) result used by nothing else becomes that op's per-channel
    `affine(scale, shift)`:

      scale = weight / sqrt(running_var + eps)    (cnn.batch_norm_scale)
      shift = bias - running_mean * scale         (cnn.batch_norm_shift)

    so the op computes `(conv(x) + conv_bias) * scale + shift`. The two new
    ops read parameters only: code generation folds them into the weights
    when it packs the parameters (once per context, per plain forward call,
    or at compile time when the weights are embedded). Training-mode batch_norm is never folded; an op that already
    has an affine, a residual or an activation is left alone.
  }];
  let dependentDialects = ["::mlir::cnn::CnnDialect"];
}

def CnnFuseEpiloguePass : Pass<"cnn-fuse-epilogue", "::mlir::func::FuncOp"> {
  let summary = "Fuse residual adds and activations into conv2d and linear";
  let description = [{
    Every `conv2d` becomes a `fused_conv2d` and every `linear` a
    `fused_linear` (code generation's one form of each), then:
      - `add(y, r)` where `y` is a fused result used only by the add, with
        no residual and no activation yet, and `r` has the add's type,
        becomes `y`'s `residual(r)` (the left operand is tried first);
      - an activation (`ActivationOpInterface`) whose input is a fused
        result used only by it, with no activation yet, becomes its
        `activation`, its parameters (leaky_relu's slope, elu's alpha,
        softplus's beta and threshold) in `activation_params`.
    A value with other users is never fused: it would be recomputed. A
    broadcast `mul` (the SE block's `x * sigmoid(fc(...))`) is not fused
    into the next conv: that conv is a 1x1 GEMM that reads each input
    element once per output channel, so the multiply would run once per
    output channel instead of once; code generation already computes a
    pointwise op inside a consumer that reads it once.
  }];
  let dependentDialects = ["::mlir::cnn::CnnDialect"];
}

def CnnSelectConvAlgorithmPass
    : Pass<"cnn-select-conv-algorithm", "::mlir::ModuleOp"> {
  let summary = "Choose how each convolution is computed";
  let description = [{
    Writes `algorithm` on every `conv2d` and `fused_conv2d`:
      gemm                1x1 kernel, groups 1, no padding
      depthwise           groups == input channels (> 1)
      winograd_2x2_3x3,   3x3 kernel, stride 1, dilation 1, groups 1
      winograd_4x4_3x3
      direct              any conv
    choosing among the legal ones with the cost model of
    passes/ConvCostModel.cpp (which takes the target's vector width). `algorithm=ALG` forces ALG on every conv where
    it is legal (the others keep the cost model's choice);
    `algorithm=SCOPE=ALG` forces it on the conv named SCOPE (its NameLoc),
    and is an error at that conv if ALG is illegal there, or at the module
    if no conv has that name.
  }];
  let options = [
    ListOption<"algorithms", "algorithm", "std::string",
               "auto|direct|gemm|depthwise|winograd_2x2_3x3|winograd_4x4_3x3, "
               "or SCOPE=ALG for one conv">,
    Option<"vectorWidth", "vector-width", "int", /*default=*/"16",
           "Floats per vector register of the target">
  ];
}

def CnnDeriveGradientsPass : Pass<"cnn-derive-gradients", "::mlir::ModuleOp"> {
  let summary = "Build each train declaration's training step";
  let description = [{
    For every function with `cnn.train_of` (a `train` declaration: the
    model's forward pass in training mode and its loss), adds
    `@<model>_train_step`: the forward pass with batch_norm on batch
    statistics (updating its running statistics and counter), the loss,
    reverse-mode derivatives of every op on a path from a trainable
    parameter to the loss (one rule per op, passes/GradientRules.cpp; a
    value read twice adds up its derivatives), and the optimizer's update
    of each parameter that receives a derivative.

    Its arguments: the model's inputs, the declaration's inputs, `lr`
    (f32), `step` (i32, counted from 1) and `seed` (i32), the parameters
    and buffers as the model has them, then the optimizer's state
    (`<param>.momentum_buffer`, `<param>.exp_avg`, `<param>.exp_avg_sq`).
    Its results: `loss`, then the new value of each parameter, buffer and
    state tensor the step changes, named as the argument it replaces. With
    `input-gradients`, then the derivative of the loss with respect to each
    f32 input and each trainable parameter (before the update), named
    `<name>.grad`.

    dropout, dropblock and stochastic_depth in training multiply by a
    `cnn.random_mask` drawn from `seed`, `step` and the op's position.
  }];
  let options = [
    Option<"inputGradients", "input-gradients", "bool", /*default=*/"false",
           "Also return <name>.grad for the inputs and parameters">
  ];
  let dependentDialects = ["::mlir::cnn::CnnDialect", "::mlir::func::FuncDialect"];
}

def CnnGradCamPass : Pass<"cnn-grad-cam", "::mlir::ModuleOp"> {
  let summary = "Build a model's Grad-CAM map of one layer";
  let description = [{
    Adds `@<model>_grad_cam`: the model's inputs, `class` (i32 [N]) and its
    parameters in, `heatmap` ([N, 1, H, W]) out, with the seed document's
    Grad-CAM: the forward pass (inference mode), the derivative of each
    sample's class score `logits[n, class[n]]` with respect to the output
    A of the layer named `scope` (reverse rules of passes/GradientRules.cpp,
    from a one-hot start), channel weights = those derivatives averaged
    over the map, heatmap = ReLU(sum over channels of weight * A). The
    layer is the last op named `scope` with a 4-D result; the model's first
    output must be [N, classes].
  }];
  let options = [
    Option<"model", "model", "std::string", /*default=*/"\"\"",
           "The model (default: the only one)">,
    Option<"scope", "scope", "std::string", /*default=*/"\"\"",
           "The layer whose map to compute (its name=, e.g. features.8)">
  ];
  let dependentDialects = ["::mlir::cnn::CnnDialect", "::mlir::func::FuncDialect"];
}

#endif // CNN_PASSES
