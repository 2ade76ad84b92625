//===- CnnGradOps.td - ops of the training step ------------*- tablegen -*-===//
//
// What `cnn-derive-gradients` (passes/DeriveGradients.cpp) builds a
// `<model>_train_step` from: training-mode forms of the ops whose training
// semantics differ (batch_norm), the derivative of each forward op that
// needs one of its own (the others are written with forward ops), and the
// optimizers' updates. Each op computes one tensor: an op with two results
// would be two stages anyway. Included by CnnOps.td.
//===----------------------------------------------------------------------===//

#ifndef CNN_GRAD_OPS
#define CNN_GRAD_OPS

/// An op whose result has the type of its operand `like` (the forward
/// tensor it is the derivative of, or the state it updates).
class Cnn_LikeOp<string mnemonic, string like, list<Trait> traits = []>
    : Cnn_Op<mnemonic, traits # [Pure, AllTypesMatch<[like, "result"]>]> {
  let results = (outs Cnn_Tensor:$result);
}

/// A rank-0 i32 tensor: the step count and the seed of a training step.
def Cnn_IntScalar : 0DTensorOf<[I32]>;

//===----------------------------------------------------------------------===//
// Derivatives of forward ops
//===----------------------------------------------------------------------===//

def Cnn_ActivationGradOp : Cnn_LikeOp<"activation_grad", "input",
    [AllTypesMatch<["grad", "input"]>]> {
  let summary = "the derivative of an activation: grad * act'(input)";
  let description = [{
    `grad` is the derivative of the loss with respect to the activation's
    output, `input` what the activation read. `activation_params` are the
    activation's, as on the fused ops. At kinks the derivative is PyTorch's: relu and relu6 pass
    nothing at 0 (and relu6 nothing at 6), hardswish and hardsigmoid take
    the inner piece at +-3.

    ```mlir
    %dx = cnn.activation_grad %dy, %x {activation = #cnn<activation relu>}
          : tensor<?x8x4x4xf32>
    ```
  }];
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$input,
                       Cnn_ActivationAttr:$activation,
                       OptionalAttr<DenseF64ArrayAttr>:$activation_params);
  let assemblyFormat = "$grad `,` $input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Cnn_SoftmaxGradOp : Cnn_LikeOp<"softmax_grad", "output",
    [AllTypesMatch<["grad", "output"]>]> {
  let summary = "the derivative of softmax or log_softmax from its output";
  let description = [{
    softmax: `y * (grad - sum(grad * y))`; log_softmax (`log`):
    `grad - exp(y) * sum(grad)`, sums along `axis`.
  }];
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$output, I64Attr:$axis,
                       BoolAttr:$log);
  let assemblyFormat = "$grad `,` $output attr-dict `:` type($output)";
}

def Cnn_PixelUnshuffleOp : Cnn_Op<"pixel_unshuffle", [Pure, InferTypeOpAdaptor]> {
  let summary = "[N, C, H*r, W*r] -> [N, C*r*r, H, W]: pixel_shuffle's derivative";
  let description = [{
    As torch.nn.PixelUnshuffle: pixel_shuffle moves elements without
    arithmetic, so its derivative moves the output's derivative back.
  }];
  let arguments = (ins Cnn_Tensor:$input, I64Attr:$factor);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Cnn_Pad2dGradOp : Cnn_LikeOp<"pad2d_grad", "input"> {
  let summary = "a reflect or replicate pad2d's derivative with respect to its input";
  let description = [{
    Each input element sums the derivatives of the output elements that
    read it (itself, and its reflections or copies in the pads). A
    constant pad2d's derivative is a constant pad2d with the pads negated.
  }];
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$input, DenseI64ArrayAttr:$pads,
                       StrAttr:$mode);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

/// The attributes of a conv2d, for its two derivatives.
defvar Cnn_ConvAttrs = (ins DenseI64ArrayAttr:$stride,
                            DenseI64ArrayAttr:$padding,
                            DenseI64ArrayAttr:$dilation, I64Attr:$groups);

def Cnn_Conv2dGradInputOp : Cnn_LikeOp<"conv2d_grad_input", "input"> {
  let summary = "a conv2d's derivative with respect to its input";
  let description = [{
    The transposed convolution of `grad` (the derivative at the conv's
    output) with `weight`; `input` is the forward input, for its shape.
  }];
  let arguments = !con((ins Cnn_Tensor:$grad, Cnn_Tensor:$weight,
                            Cnn_Tensor:$input), Cnn_ConvAttrs);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_Conv2dTransposeWeightOp : Cnn_Op<"conv2d_transpose_weight",
                                          [Pure, InferTypeOpAdaptor]> {
  let summary = "a conv2d weight [O, I/g, kh, kw] as its transpose's [I, O/g, kh, kw], flipped";
  let description = [{
    `t[g*Ig + i, o, ky, kx] = w[g*Og + o, i, kh-1-ky, kw-1-kx]`: with it, a
    stride-1 conv2d's input derivative is a conv2d of the output derivative
    (padded `dilation*(k-1) - padding`), computed by the conv algorithms.
  }];
  let arguments = (ins Cnn_Tensor:$weight, I64Attr:$groups);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Cnn_ZeroInsertOp : Cnn_Op<"zero_insert", [Pure, InferTypeOpAdaptor]> {
  let summary = "stride-1 zeros between the pixels of a map: [N, C, (H-1)s+1, (W-1)s+1]";
  let description = [{
    With it a strided conv's input derivative is a stride-1 conv2d (of the
    transposed weight), which the conv algorithms compute.
  }];
  let arguments = (ins Cnn_Tensor:$input, DenseI64ArrayAttr:$stride);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Cnn_Conv2dGradWeightOp : Cnn_LikeOp<"conv2d_grad_weight", "weight"> {
  let summary = "a conv2d's derivative with respect to its weight";
  let description = [{
    For every tap, the sum over the batch and the output pixels of `grad`
    times the input it multiplied.
  }];
  let arguments = !con((ins Cnn_Tensor:$grad, Cnn_Tensor:$input,
                            Cnn_Tensor:$weight), Cnn_ConvAttrs);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_MatmulOp : Cnn_Op<"matmul", [Pure, InferTypeOpAdaptor]> {
  let summary = "2-D matrix product, the left side transposed if asked";
  let description = [{
    `lhs` `[M, K]` (or `[K, M]` with `transpose_lhs`) times `rhs` `[K, P]`:
    a linear layer's derivatives, `dy @ W` and `dy^T @ x`.
  }];
  let arguments = (ins Cnn_Tensor:$lhs, Cnn_Tensor:$rhs,
                       BoolAttr:$transpose_lhs);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Cnn_ReduceSumOp : Cnn_Op<"reduce_sum", [Pure, InferTypeOpAdaptor]> {
  let summary = "sum over `axes`, as torch.sum";
  let description = [{
    Bias derivatives and the reverse of broadcasting.
  }];
  let arguments = (ins Cnn_Tensor:$input, DenseI64ArrayAttr:$axes,
                       BoolAttr:$keepdim);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Cnn_MeanGradOp : Cnn_LikeOp<"mean_grad", "input"> {
  let summary = "mean's derivative: grad / count, broadcast back over `axes`";
  let description = [{
    `count` is the number of elements each mean took, the run-time batch
    included when axis 0 is one of `axes`.
  }];
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$input, DenseI64ArrayAttr:$axes,
                       BoolAttr:$keepdim);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_SliceOp : Cnn_Op<"slice", [Pure, InferTypeOpAdaptor]> {
  let summary = "`size` entries of `axis` from `start`: a concat's derivative";
  let arguments = (ins Cnn_Tensor:$input, I64Attr:$axis, I64Attr:$start,
                       I64Attr:$size);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Cnn_MaxPool2dGradOp : Cnn_LikeOp<"max_pool2d_grad", "input"> {
  let summary = "max_pool2d's derivative: each window's grad to its maximum";
  let description = [{
    Recomputes each window's first maximum (PyTorch's tie rule) from
    `input` and adds the window's `grad` there.
  }];
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$input,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding, DenseI64ArrayAttr:$dilation,
                       BoolAttr:$ceil_mode);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_AvgPool2dGradOp : Cnn_LikeOp<"avg_pool2d_grad", "input"> {
  let summary = "avg_pool2d's derivative: each window's grad spread evenly";
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$input,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding, BoolAttr:$ceil_mode,
                       BoolAttr:$count_include_pad);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_AdaptivePool2dGradOp : Cnn_LikeOp<"adaptive_pool2d_grad", "input"> {
  let summary = "the derivative of adaptive average or max pooling";
  let description = [{
    `average`: each cell's grad spread over its window; otherwise the
    grad goes to the window's first maximum.
  }];
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$input, BoolAttr:$average);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_Upsample2dGradOp : Cnn_LikeOp<"upsample2d_grad", "input"> {
  let summary = "upsample2d's derivative: each output's grad back to its sources";
  let description = [{
    Nearest: the sum over each input pixel's `scale x scale` block;
    bilinear: the sum of the grads of the outputs that interpolate from the
    pixel, each times its interpolation weight.
  }];
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$input, I64Attr:$scale,
                       StrAttr:$mode);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_LayerNormGradOp : Cnn_LikeOp<"layer_norm_grad", "input",
    [AllTypesMatch<["grad", "input"]>]> {
  let summary = "layer_norm's derivative with respect to its input";
  let description = [{
    `grad` is the derivative at the normalised value (the output's times
    the affine weight): `rstd * (g - mean(g) - xhat * mean(g * xhat))`,
    means over the last `dims` axes.
  }];
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$input, I64Attr:$dims,
                       F64Attr:$eps);
  let assemblyFormat = "operands attr-dict `:` type($input)";
}

def Cnn_GroupNormGradOp : Cnn_LikeOp<"group_norm_grad", "input",
    [AllTypesMatch<["grad", "input"]>]> {
  let summary = "group_norm's (and instance_norm's) derivative with respect to its input";
  let description = [{
    As layer_norm_grad, the means over each sample's group of channels and
    all positions (instance_norm: one channel per group).
  }];
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$input, I64Attr:$groups,
                       F64Attr:$eps);
  let assemblyFormat = "operands attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Cnn_RandomMaskOp : Cnn_LikeOp<"random_mask", "input"> {
  let summary = "a regulariser's mask in training, scaled: y = x * mask";
  let description = [{
    `kind` is `dropout` (each element kept with probability 1 - p, as
    1/(1-p)), `stochastic_depth` (each sample kept with probability 1 - p,
    as 1/(1-p)) or `dropblock` (DropBlock2d: square blocks of
    `block_size` dropped, the rest scaled by count / kept). The draws come
    from a counter-based generator of (`seed`, `step`, `salt`, element):
    the same arguments give the same mask on every machine and thread
    count. `input` is read for its shape only.
  }];
  let arguments = (ins Cnn_Tensor:$input, Cnn_IntScalar:$seed,
                       Cnn_IntScalar:$step, StrAttr:$kind, F64Attr:$p,
                       I64Attr:$block_size, I64Attr:$salt);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// batch_norm in training
//===----------------------------------------------------------------------===//

def Cnn_BatchNormStatsOp : Cnn_Op<"batch_norm_stats", [Pure, InferTypeOpAdaptor]> {
  let summary = "per-channel batch statistics: [mean, biased var, unbiased var]";
  let description = [{
    Over every axis but 1 of `input`; the result is `[3, C]`. The biased
    variance normalises, the unbiased one updates `running_var`.
  }];
  let arguments = (ins Cnn_Tensor:$input);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Cnn_BatchNormTrainOp : Cnn_LikeOp<"batch_norm_train", "input",
                                      [AttrSizedOperandSegments]> {
  let summary = "batch_norm with the batch's statistics (from batch_norm_stats)";
  let arguments = (ins Cnn_Tensor:$input, Cnn_Tensor:$stats,
                       Optional<Cnn_Tensor>:$weight, Optional<Cnn_Tensor>:$bias,
                       F64Attr:$eps);
  let assemblyFormat = [{
    $input `,` $stats (`affine` `(` $weight^ `,` $bias `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Cnn_RunningAverageOp : Cnn_LikeOp<"running_average", "running"> {
  let summary = "(1 - momentum) * running + momentum * stats[row]";
  let description = [{
    A running statistic's update: row 0 of batch_norm_stats for
    `running_mean`, row 2 (unbiased) for `running_var`.
  }];
  let arguments = (ins Cnn_Tensor:$running, Cnn_Tensor:$stats, I64Attr:$row,
                       F64Attr:$momentum);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_IncrementOp : Cnn_Op<"increment", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "a counter plus one: num_batches_tracked in training";
  let arguments = (ins 0DTensorOf<[I64]>:$input);
  let results = (outs 0DTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Cnn_BatchNormGradSumsOp : Cnn_Op<"batch_norm_grad_sums",
                                     [Pure, InferTypeOpAdaptor]> {
  let summary = "per-channel [sum(grad), sum(grad * xhat)]";
  let description = [{
    The derivatives of batch_norm's bias and weight, and what its input's
    derivative needs; `xhat` is the input normalised with `stats`. `[2, C]`.
  }];
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$input, Cnn_Tensor:$stats,
                       F64Attr:$eps);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_BatchNormGradInputOp : Cnn_LikeOp<"batch_norm_grad_input", "input"> {
  let summary = "batch_norm's derivative with respect to its input, in training";
  let description = [{
    `weight * rstd / M * (M * grad - sums[0] - xhat * sums[1])`, `M` the
    elements per channel.
  }];
  let arguments = (ins Cnn_Tensor:$grad, Cnn_Tensor:$input, Cnn_Tensor:$stats,
                       Cnn_Tensor:$sums, Optional<Cnn_Tensor>:$weight,
                       F64Attr:$eps);
  let assemblyFormat = [{
    $grad `,` $input `,` $stats `,` $sums (`affine` `(` $weight^ `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Cnn_TakeRowOp : Cnn_Op<"take_row", [Pure, InferTypeOpAdaptor]> {
  let summary = "row `index` of a [R, C] tensor, as t[index]";
  let arguments = (ins Cnn_Tensor:$input, I64Attr:$index);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Losses' derivatives
//===----------------------------------------------------------------------===//

def Cnn_CrossEntropyGradOp : Cnn_LikeOp<"cross_entropy_grad", "logits"> {
  let summary = "cross_entropy's derivative with respect to the logits";
  let description = [{
    `grad * (softmax(logits) - target) / N`, `target` the smoothed one-hot
    label: `(1 - s) * onehot + s / C`.
  }];
  let arguments = (ins Cnn_Tensor:$logits, Cnn_LabelTensor:$labels,
                       Cnn_Scalar:$grad, F64Attr:$label_smoothing);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Cnn_MseLossGradOp : Cnn_LikeOp<"mse_loss_grad", "lhs",
                                   [AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "mse_loss's derivative with respect to lhs: 2 (lhs - rhs) grad / numel";
  let arguments = (ins Cnn_Tensor:$lhs, Cnn_Tensor:$rhs, Cnn_Scalar:$grad);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Cnn_OneHotOp : Cnn_Op<"one_hot", [Pure, InferTypeOpAdaptor]> {
  let summary = "class labels [N] as one-hot rows [N, classes]";
  let description = [{
    The derivative of the class score `logits[n, labels[n]]` with respect to
    the logits: what a Grad-CAM map starts its reverse sweep from. A label
    outside `[0, classes)` gives a row of zeros.
  }];
  let arguments = (ins Cnn_LabelTensor:$labels, I64Attr:$classes);
  let results = (outs Cnn_Tensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Optimizer updates (torch.optim 1.13, single-tensor code path)
//===----------------------------------------------------------------------===//

def Cnn_SgdMomentumOp : Cnn_LikeOp<"sgd_momentum", "buffer",
    [AllTypesMatch<["buffer", "grad", "param"]>]> {
  let summary = "SGD's new momentum buffer";
  let description = [{
    With `d = grad + weight_decay * param`: `d` at step 1 (PyTorch creates
    the buffer as a copy of it), `momentum * buffer + d` after.
  }];
  let arguments = (ins Cnn_Tensor:$buffer, Cnn_Tensor:$grad, Cnn_Tensor:$param,
                       Cnn_IntScalar:$step, F64Attr:$momentum,
                       F64Attr:$weight_decay);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Cnn_SgdStepOp : Cnn_LikeOp<"sgd_step", "param",
    [AllTypesMatch<["param", "grad"]>]> {
  let summary = "SGD's new parameter: param - lr * direction";
  let description = [{
    The direction is `d = grad + weight_decay * param` without momentum,
    the new `buffer` with it, `d + momentum * buffer` with `nesterov`.
  }];
  let arguments = (ins Cnn_Tensor:$param, Cnn_Tensor:$grad, Cnn_Scalar:$lr,
                       Optional<Cnn_Tensor>:$buffer,
                       F64Attr:$momentum, F64Attr:$weight_decay,
                       UnitAttr:$nesterov);
  let assemblyFormat = [{
    $param `,` $grad `lr` `(` $lr `)` (`momentum_buffer` `(` $buffer^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
}

def Cnn_AdamMomentOp : Cnn_LikeOp<"adam_moment", "moment",
    [AllTypesMatch<["moment", "grad", "param"]>]> {
  let summary = "Adam's first (order 1) or second (order 2) moment estimate";
  let description = [{
    `beta * moment + (1 - beta) * g^order`, `g = grad + weight_decay * param`
    (Adam's coupled decay; 0 for AdamW).
  }];
  let arguments = (ins Cnn_Tensor:$moment, Cnn_Tensor:$grad, Cnn_Tensor:$param,
                       F64Attr:$beta, I64Attr:$order, F64Attr:$weight_decay);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_AdamStepOp : Cnn_LikeOp<"adam_step", "param",
    [AllTypesMatch<["param", "exp_avg", "exp_avg_sq"]>]> {
  let summary = "Adam's and AdamW's new parameter from the new moments";
  let description = [{
    `param * (1 - lr * decoupled_weight_decay) - lr / (1 - beta1^step) *
    exp_avg / (sqrt(exp_avg_sq) / sqrt(1 - beta2^step) + eps)`.
  }];
  let arguments = (ins Cnn_Tensor:$param, Cnn_Tensor:$exp_avg,
                       Cnn_Tensor:$exp_avg_sq, Cnn_Scalar:$lr,
                       Cnn_IntScalar:$step, F64Attr:$beta1, F64Attr:$beta2,
                       F64Attr:$eps, F64Attr:$decoupled_weight_decay);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

#endif // CNN_GRAD_OPS
