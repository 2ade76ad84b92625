#!/usr/bin/python3
"""End-to-end op tests: every op of DSL.md's operator table, compiled and run
by cnnopt-run, against the same computation in PyTorch 1.13.

Each case is a small `.cnn` model, its inputs (`"N"` marks the run-time batch)
and a PyTorch function computing the same thing from the same parameters
(looked up by state_dict name). Parameters are random (e2e_lib), written to a
.safetensors file; each case runs at batch 1 and batch 3.

  ops.py --cnnopt-run build/bin/cnnopt-run --family conv2d
  ops.py --cnnopt-run build/bin/cnnopt-run --case conv2d_same_even
  ops.py --list

Exit status 0 when every selected case matches, 1 otherwise.
"""

import argparse
import os
import sys
import tempfile
import time
import warnings

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_lib  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(1)
warnings.filterwarnings("ignore", message="Using padding=.same.")


class Params(dict):
    """state_dict by name; a missing key (bias=false, affine=false) is None."""

    def __missing__(self, key):
        return None


class Case:
    def __init__(self, family, name, body, inputs, ref, outputs=("y",), input_scale=1.0):
        self.family, self.name, self.body = family, name, body
        self.inputs, self.ref = inputs, ref
        self.outputs, self.input_scale = tuple(outputs), input_scale

    def source(self):
        args = ", ".join(f"{n}: f32[{', '.join(str(d) for d in shape)}]"
                         for n, shape in self.inputs.items())
        body = "\n".join("  " + line.strip() for line in self.body.strip().splitlines())
        return f"# {self.family}: {self.name}\nmodel T({args}) {{\n{body}\n}}\n"


CASES = []


def case(family, name, body, ref, inputs=None, **kw):
    CASES.append(Case(family, name, body, inputs or {"x": ("N", 4, 9, 9)}, ref, **kw))


X = {"x": ("N", 4, 9, 9)}

# ---------------------------------------------------------------------------
# conv2d
# ---------------------------------------------------------------------------
def conv(**kw):
    return lambda i, p: F.conv2d(i["x"], p["y.weight"], p["y.bias"], **kw)


case("conv2d", "conv2d_k3", "y = conv2d(x, 6, kernel=3)\nreturn y", conv())
case("conv2d", "conv2d_k1", "y = conv2d(x, 6, kernel=1)\nreturn y", conv())
case("conv2d", "conv2d_stride2_pad1", "y = conv2d(x, 6, kernel=3, stride=2, padding=1)\nreturn y",
     conv(stride=2, padding=1))
case("conv2d", "conv2d_stride3_k2", "y = conv2d(x, 5, kernel=2, stride=3)\nreturn y",
     conv(stride=3))
case("conv2d", "conv2d_pairs",
     "y = conv2d(x, 6, kernel=[3, 5], stride=[2, 1], padding=[1, 2])\nreturn y",
     conv(stride=(2, 1), padding=(1, 2)))
case("conv2d", "conv2d_same_k3", 'y = conv2d(x, 6, kernel=3, padding="same")\nreturn y',
     conv(padding="same"))
case("conv2d", "conv2d_same_k4_even", 'y = conv2d(x, 6, kernel=4, padding="same")\nreturn y',
     conv(padding="same"))
case("conv2d", "conv2d_same_pair_even", 'y = conv2d(x, 6, kernel=[2, 5], padding="same")\nreturn y',
     conv(padding="same"))
case("conv2d", "conv2d_same_dilated", 'y = conv2d(x, 6, kernel=3, padding="same", dilation=2)\nreturn y',
     conv(padding="same", dilation=2))
case("conv2d", "conv2d_same_dilated_even",
     'y = conv2d(x, 6, kernel=2, padding="same", dilation=3)\nreturn y',
     conv(padding="same", dilation=3))
case("conv2d", "conv2d_valid", 'y = conv2d(x, 6, kernel=3, padding="valid")\nreturn y',
     conv(padding="valid"))
case("conv2d", "conv2d_dilation2", "y = conv2d(x, 6, kernel=3, dilation=2, padding=2)\nreturn y",
     conv(dilation=2, padding=2))
case("conv2d", "conv2d_dilation_pair",
     "y = conv2d(x, 6, kernel=3, dilation=[2, 3], padding=[1, 3], stride=[1, 2])\nreturn y",
     conv(dilation=(2, 3), padding=(1, 3), stride=(1, 2)))
case("conv2d", "conv2d_groups2", "y = conv2d(x, 6, kernel=3, groups=2, padding=1)\nreturn y",
     conv(groups=2, padding=1))
case("conv2d", "conv2d_groups4_out8", "y = conv2d(x, 8, kernel=3, groups=4)\nreturn y",
     conv(groups=4))
case("conv2d", "conv2d_depthwise",
     "y = conv2d(x, channels(x), kernel=3, groups=channels(x), padding=1)\nreturn y",
     conv(groups=4, padding=1))
case("conv2d", "conv2d_depthwise_mult2_stride2",
     "y = conv2d(x, 8, kernel=5, stride=2, padding=2, groups=4)\nreturn y",
     conv(groups=4, padding=2, stride=2))
case("conv2d", "conv2d_nobias", "y = conv2d(x, 6, kernel=3, padding=1, bias=false)\nreturn y",
     conv(padding=1))
case("conv2d", "conv2d_depthwise_nobias",
     "y = conv2d(x, 4, kernel=3, groups=4, bias=false)\nreturn y", conv(groups=4))
case("conv2d", "conv2d_kernel_eq_input", "y = conv2d(x, 3, kernel=9)\nreturn y", conv())
case("conv2d", "conv2d_padding_gt_kernel", "y = conv2d(x, 6, kernel=3, padding=4, stride=2)\nreturn y",
     conv(padding=4, stride=2))
case("conv2d", "conv2d_nonsquare_input", "y = conv2d(x, 6, kernel=3, stride=2, padding=1)\nreturn y",
     conv(stride=2, padding=1), inputs={"x": ("N", 3, 7, 12)})


# ---------------------------------------------------------------------------
# conv_transpose2d
# ---------------------------------------------------------------------------
def convt(**kw):
    return lambda i, p: F.conv_transpose2d(i["x"], p["y.weight"], p["y.bias"], **kw)


XT = {"x": ("N", 4, 5, 6)}
case("conv_transpose2d", "convt_k3", "y = conv_transpose2d(x, 6, kernel=3)\nreturn y", convt(),
     inputs=XT)
case("conv_transpose2d", "convt_k2_s2", "y = conv_transpose2d(x, 6, kernel=2, stride=2)\nreturn y",
     convt(stride=2), inputs=XT)
case("conv_transpose2d", "convt_k4_s2_p1",
     "y = conv_transpose2d(x, 6, kernel=4, stride=2, padding=1)\nreturn y",
     convt(stride=2, padding=1), inputs=XT)
case("conv_transpose2d", "convt_k3_s2_p1_op1",
     "y = conv_transpose2d(x, 6, kernel=3, stride=2, padding=1, output_padding=1)\nreturn y",
     convt(stride=2, padding=1, output_padding=1), inputs=XT)
case("conv_transpose2d", "convt_s3_op2",
     "y = conv_transpose2d(x, 5, kernel=3, stride=3, output_padding=2)\nreturn y",
     convt(stride=3, output_padding=2), inputs=XT)
case("conv_transpose2d", "convt_pairs",
     "y = conv_transpose2d(x, 6, kernel=[3, 4], stride=[2, 3], padding=[1, 2], "
     "output_padding=[1, 0])\nreturn y",
     convt(stride=(2, 3), padding=(1, 2), output_padding=(1, 0)), inputs=XT)
case("conv_transpose2d", "convt_groups2",
     "y = conv_transpose2d(x, 6, kernel=3, stride=2, groups=2)\nreturn y",
     convt(stride=2, groups=2), inputs=XT)
case("conv_transpose2d", "convt_depthwise",
     "y = conv_transpose2d(x, 4, kernel=3, stride=2, padding=1, groups=4)\nreturn y",
     convt(stride=2, padding=1, groups=4), inputs=XT)
case("conv_transpose2d", "convt_dilation2",
     "y = conv_transpose2d(x, 6, kernel=3, dilation=2)\nreturn y", convt(dilation=2), inputs=XT)
case("conv_transpose2d", "convt_dilation_stride_pad",
     "y = conv_transpose2d(x, 6, kernel=3, stride=2, padding=2, dilation=[2, 3], "
     "output_padding=1)\nreturn y",
     convt(stride=2, padding=2, dilation=(2, 3), output_padding=1), inputs=XT)
case("conv_transpose2d", "convt_nobias",
     "y = conv_transpose2d(x, 6, kernel=4, stride=2, padding=1, bias=false)\nreturn y",
     convt(stride=2, padding=1), inputs=XT)
case("conv_transpose2d", "convt_groups2_dil_nobias",
     "y = conv_transpose2d(x, 4, kernel=2, stride=3, padding=1, groups=2, dilation=2, "
     "bias=false)\nreturn y",
     convt(stride=3, padding=1, groups=2, dilation=2), inputs=XT)

# ---------------------------------------------------------------------------
# linear
# ---------------------------------------------------------------------------
XF = {"x": ("N", 20)}
case("linear", "linear", "y = linear(x, 7)\nreturn y",
     lambda i, p: F.linear(i["x"], p["y.weight"], p["y.bias"]), inputs=XF)
case("linear", "linear_nobias", "y = linear(x, 7, bias=false)\nreturn y",
     lambda i, p: F.linear(i["x"], p["y.weight"]), inputs=XF)
case("linear", "linear_out1", "y = linear(x, 1)\nreturn y",
     lambda i, p: F.linear(i["x"], p["y.weight"], p["y.bias"]), inputs=XF)
case("linear", "linear_flatten", "h = linear(flatten(x), 10, name=\"fc\")\ny = linear(h, 3)\nreturn y",
     lambda i, p: F.linear(F.linear(torch.flatten(i["x"], 1), p["fc.weight"], p["fc.bias"]),
                           p["y.weight"], p["y.bias"]),
     inputs={"x": ("N", 2, 3, 4)})

# ---------------------------------------------------------------------------
# batch_norm, layer_norm, group_norm, instance_norm
# ---------------------------------------------------------------------------
def bn(eps=1e-5):
    return lambda i, p: F.batch_norm(i["x"], p["y.running_mean"], p["y.running_var"],
                                     p["y.weight"], p["y.bias"], False, 0.1, eps)


case("batch_norm", "bn_4d", "y = batch_norm(x)\nreturn y", bn())
case("batch_norm", "bn_2d", "y = batch_norm(x)\nreturn y", bn(), inputs={"x": ("N", 12)})
case("batch_norm", "bn_4d_noaffine", "y = batch_norm(x, affine=false)\nreturn y", bn())
case("batch_norm", "bn_2d_noaffine", "y = batch_norm(x, affine=false)\nreturn y", bn(),
     inputs={"x": ("N", 12)})
case("batch_norm", "bn_3d", "y = batch_norm(x)\nreturn y", bn(), inputs={"x": ("N", 4, 7)})
case("batch_norm", "bn_eps_momentum", "y = batch_norm(x, eps=1e-3, momentum=0.01)\nreturn y",
     bn(1e-3))


def ln(dims, eps=1e-5):
    return lambda i, p: F.layer_norm(i["x"], i["x"].shape[-dims:], p["y.weight"], p["y.bias"], eps)


case("layer_norm", "ln_dims1", "y = layer_norm(x)\nreturn y", ln(1))
case("layer_norm", "ln_dims2", "y = layer_norm(x, dims=2)\nreturn y", ln(2))
case("layer_norm", "ln_dims3", "y = layer_norm(x, dims=3)\nreturn y", ln(3))
case("layer_norm", "ln_dims3_noaffine", "y = layer_norm(x, dims=3, affine=false)\nreturn y", ln(3))
case("layer_norm", "ln_dims1_noaffine_eps", "y = layer_norm(x, eps=1e-2, affine=false)\nreturn y",
     ln(1, 1e-2))
case("layer_norm", "ln_2d", "y = layer_norm(x)\nreturn y", ln(1), inputs={"x": ("N", 12)})
case("layer_norm", "ln_offset_input", "y = layer_norm(x * 3 + 5, dims=2)\nreturn y",
     lambda i, p: F.layer_norm(i["x"] * 3 + 5, i["x"].shape[-2:], p["y.weight"], p["y.bias"]))


def gn(groups, eps=1e-5):
    return lambda i, p: F.group_norm(i["x"], groups, p["y.weight"], p["y.bias"], eps)


XG = {"x": ("N", 8, 5, 6)}
case("group_norm", "gn_2groups", "y = group_norm(x, 2)\nreturn y", gn(2), inputs=XG)
case("group_norm", "gn_1group", "y = group_norm(x, 1)\nreturn y", gn(1), inputs=XG)
case("group_norm", "gn_per_channel", "y = group_norm(x, 8)\nreturn y", gn(8), inputs=XG)
case("group_norm", "gn_3d", "y = group_norm(x, 2)\nreturn y", gn(2), inputs={"x": ("N", 4, 7)})
case("group_norm", "gn_noaffine_eps", "y = group_norm(x, 4, eps=1e-3, affine=false)\nreturn y",
     gn(4, 1e-3), inputs=XG)


def inorm(eps=1e-5):
    return lambda i, p: F.instance_norm(i["x"], None, None, p["y.weight"], p["y.bias"],
                                        True, 0.1, eps)


case("instance_norm", "in_default", "y = instance_norm(x)\nreturn y", inorm(), inputs=XG)
case("instance_norm", "in_affine", "y = instance_norm(x, affine=true)\nreturn y", inorm(),
     inputs=XG)
case("instance_norm", "in_affine_eps", "y = instance_norm(x, eps=1e-2, affine=true)\nreturn y",
     inorm(1e-2), inputs=XG)

# ---------------------------------------------------------------------------
# Activations (inputs scaled by 4 so every piece of every function is hit)
# ---------------------------------------------------------------------------
ACTS = {
    "relu": ("relu(x)", torch.relu),
    "relu6": ("relu6(x)", F.relu6),
    "sigmoid": ("sigmoid(x)", torch.sigmoid),
    "tanh": ("tanh(x)", torch.tanh),
    "silu": ("silu(x)", F.silu),
    "hardswish": ("hardswish(x)", F.hardswish),
    "hardsigmoid": ("hardsigmoid(x)", F.hardsigmoid),
    "softsign": ("softsign(x)", F.softsign),
    "erf": ("erf(x)", torch.erf),
    "leaky_relu": ("leaky_relu(x)", F.leaky_relu),
    "leaky_relu_slope": ("leaky_relu(x, slope=0.2)", lambda t: F.leaky_relu(t, 0.2)),
    "gelu": ("gelu(x)", F.gelu),
    "gelu_none": ('gelu(x, approximate="none")', F.gelu),
    "gelu_tanh": ('gelu(x, approximate="tanh")', lambda t: F.gelu(t, approximate="tanh")),
    # Defaults and parameters in one case (one compile less); softplus's
    # beta * x crosses the threshold inside the inputs' range: both pieces.
    "elu": ("elu(x) - elu(x, alpha=0.3)", lambda t: F.elu(t) - F.elu(t, 0.3)),
    "softplus": ("softplus(x) - softplus(x, beta=2, threshold=3.5)",
                 lambda t: F.softplus(t) - F.softplus(t, 2.0, 3.5)),
}
for act, (expr, fn) in ACTS.items():
    case("activation", act, f"y = {expr}\nreturn y", (lambda fn: lambda i, p: fn(i["x"]))(fn),
         input_scale=4.0)
case("activation", "sigmoid_large", "y = sigmoid(x)\nreturn y", lambda i, p: torch.sigmoid(i["x"]),
     input_scale=40.0)
case("activation", "tanh_large", "y = tanh(x)\nreturn y", lambda i, p: torch.tanh(i["x"]),
     input_scale=40.0)
case("activation", "silu_large", "y = silu(x)\nreturn y", lambda i, p: F.silu(i["x"]),
     input_scale=40.0)
case("activation", "gelu_large", "y = gelu(x)\nreturn y", lambda i, p: F.gelu(i["x"]),
     input_scale=20.0)
case("activation", "relu_2d", "y = relu(x)\nreturn y", lambda i, p: torch.relu(i["x"]),
     inputs={"x": ("N", 10)})
# prelu owns `weight` (random here, so of either sign): one slope, one per
# channel, and on a 2-D input; glu along the last axis, then the channels.
case("activation", "prelu",
     "y = prelu(prelu(x), num=4)\nw = prelu(z, num=10, name=\"pz\")\nreturn y, w",
     lambda i, p: {"y": F.prelu(F.prelu(i["x"], p["prelu.weight"]), p["y.weight"]),
                   "w": F.prelu(i["z"], p["pz.weight"])},
     inputs={"x": ("N", 4, 9, 9), "z": ("N", 10)}, outputs=("y", "w"), input_scale=4.0)
case("activation", "glu", "y = glu(glu(x), axis=1)\nreturn y",
     lambda i, p: F.glu(F.glu(i["x"], -1), 1), inputs={"x": ("N", 4, 3, 8)}, input_scale=4.0)
# pow: PyTorch's special exponents (2, 3, 0.5, -1, -2; 0 is 1), odd and
# even integers (a negative base keeps or drops its sign), fractions of a
# positive base; a negative base with a fractional exponent is NaN
# (forward only: grads.py leaves it out).
case("activation", "pow_integer",
     "y = pow(x, 2) + pow(x, 3.0) + pow(x * 0.5, 5) - pow(x * 0.5, e=4) + pow(x, 0)"
     " + pow(x * x + 0.5, -1) + pow(x * x + 0.5, -2)\nreturn y",
     lambda i, p: (lambda t: torch.pow(t, 2.0) + torch.pow(t, 3.0) + torch.pow(t * 0.5, 5.0) -
                   torch.pow(t * 0.5, 4.0) + torch.pow(t, 0.0) + torch.pow(t * t + 0.5, -1.0) +
                   torch.pow(t * t + 0.5, -2.0))(i["x"]),
     inputs={"x": ("N", 4, 3, 5)})
case("activation", "pow_fraction",
     "y = pow(x * x + 0.1, 0.5) + pow(x * x + 0.1, 1.7) + pow(x * x + 0.5, -1.5)\nreturn y",
     lambda i, p: (lambda t: torch.pow(t * t + 0.1, 0.5) + torch.pow(t * t + 0.1, 1.7) +
                   torch.pow(t * t + 0.5, -1.5))(i["x"]),
     inputs={"x": ("N", 4, 3, 5)})
case("activation", "pow_negative_base_nan", "y = pow(x, 1.5)\nreturn y",
     lambda i, p: torch.pow(i["x"], 1.5), inputs={"x": ("N", 4, 3, 5)})

for axis in (1, 2, 3, -1, -2):
    case("softmax", f"softmax_axis{axis}", f"y = softmax(x, axis={axis})\nreturn y",
         (lambda a: lambda i, p: torch.softmax(i["x"], a))(axis), input_scale=3.0)
    case("softmax", f"log_softmax_axis{axis}", f"y = log_softmax(x, axis={axis})\nreturn y",
         (lambda a: lambda i, p: torch.log_softmax(i["x"], a))(axis), input_scale=3.0)
case("softmax", "softmax_default_2d", "y = softmax(x)\nreturn y",
     lambda i, p: torch.softmax(i["x"], -1), inputs={"x": ("N", 10)}, input_scale=3.0)
case("softmax", "log_softmax_default_2d", "y = log_softmax(x)\nreturn y",
     lambda i, p: torch.log_softmax(i["x"], -1), inputs={"x": ("N", 10)}, input_scale=3.0)
case("softmax", "softmax_large", "y = softmax(x, axis=1)\nreturn y",
     lambda i, p: torch.softmax(i["x"], 1), inputs={"x": ("N", 10)}, input_scale=100.0)
case("softmax", "log_softmax_large", "y = log_softmax(x, axis=1)\nreturn y",
     lambda i, p: torch.log_softmax(i["x"], 1), inputs={"x": ("N", 10)}, input_scale=100.0)

# Along the run-time batch axis (DSL.md allows it; PyTorch computes it).
case("softmax", "softmax_axis0_batch", "y = softmax(x, axis=0)\nreturn y",
     lambda i, p: torch.softmax(i["x"], 0), inputs={"x": ("N", 4, 3)})
case("softmax", "log_softmax_axis0_batch", "y = log_softmax(x, axis=0)\nreturn y",
     lambda i, p: torch.log_softmax(i["x"], 0), inputs={"x": ("N", 4, 3)})

# ---------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------
def maxp(k, **kw):
    return lambda i, p: F.max_pool2d(i["x"], k, **kw)


case("max_pool2d", "maxpool_k2", "y = max_pool2d(x, 2)\nreturn y", maxp(2))
case("max_pool2d", "maxpool_k3_s2", "y = max_pool2d(x, 3, stride=2)\nreturn y", maxp(3, stride=2))
case("max_pool2d", "maxpool_k3_s2_p1", "y = max_pool2d(x, 3, stride=2, padding=1)\nreturn y",
     maxp(3, stride=2, padding=1))
case("max_pool2d", "maxpool_k3_s1_p1", "y = max_pool2d(x, 3, stride=1, padding=1)\nreturn y",
     maxp(3, stride=1, padding=1))
case("max_pool2d", "maxpool_pairs",
     "y = max_pool2d(x, [2, 3], stride=[1, 2], padding=[1, 1])\nreturn y",
     maxp((2, 3), stride=(1, 2), padding=(1, 1)))
case("max_pool2d", "maxpool_dilation2", "y = max_pool2d(x, 3, stride=1, dilation=2)\nreturn y",
     maxp(3, stride=1, dilation=2))
case("max_pool2d", "maxpool_dilation_pair_pad",
     "y = max_pool2d(x, 3, stride=2, padding=1, dilation=[2, 3])\nreturn y",
     maxp(3, stride=2, padding=1, dilation=(2, 3)))
case("max_pool2d", "maxpool_ceil", "y = max_pool2d(x, 2, ceil_mode=true)\nreturn y",
     maxp(2, ceil_mode=True))
case("max_pool2d", "maxpool_ceil_k3_s2", "y = max_pool2d(x, 3, stride=2, ceil_mode=true)\nreturn y",
     maxp(3, stride=2, ceil_mode=True), inputs={"x": ("N", 3, 10, 8)})
# in 5, k 2, s 2, p 1: ceil gives 4 windows, but the 4th would start in the
# right padding (3*2 >= 5+1), so PyTorch keeps 3.
case("max_pool2d", "maxpool_ceil_last_in_padding",
     "y = max_pool2d(x, 2, stride=2, padding=1, ceil_mode=true)\nreturn y",
     maxp(2, stride=2, padding=1, ceil_mode=True), inputs={"x": ("N", 3, 5, 5)})
case("max_pool2d", "maxpool_ceil_dilation_pad",
     "y = max_pool2d(x, 3, stride=2, padding=1, dilation=2, ceil_mode=true)\nreturn y",
     maxp(3, stride=2, padding=1, dilation=2, ceil_mode=True), inputs={"x": ("N", 3, 10, 8)})
case("max_pool2d", "maxpool_stride_gt_kernel", "y = max_pool2d(x, 2, stride=3)\nreturn y",
     maxp(2, stride=3))
case("max_pool2d", "maxpool_negative_inputs", "y = max_pool2d(x - 10, 3, stride=2, padding=1)\nreturn y",
     lambda i, p: F.max_pool2d(i["x"] - 10, 3, stride=2, padding=1))


def avgp(k, **kw):
    return lambda i, p: F.avg_pool2d(i["x"], k, **kw)


case("avg_pool2d", "avgpool_k2", "y = avg_pool2d(x, 2)\nreturn y", avgp(2))
case("avg_pool2d", "avgpool_k3_s2", "y = avg_pool2d(x, 3, stride=2)\nreturn y", avgp(3, stride=2))
case("avg_pool2d", "avgpool_stride_gt_kernel", "y = avg_pool2d(x, 2, stride=3, ceil_mode=true)\nreturn y",
     avgp(2, stride=3, ceil_mode=True))
case("avg_pool2d", "avgpool_pad_include",
     "y = avg_pool2d(x, 3, stride=2, padding=1)\nreturn y", avgp(3, stride=2, padding=1))
case("avg_pool2d", "avgpool_pad_exclude",
     "y = avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=false)\nreturn y",
     avgp(3, stride=2, padding=1, count_include_pad=False))
case("avg_pool2d", "avgpool_s1_pad_exclude",
     "y = avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=false)\nreturn y",
     avgp(3, stride=1, padding=1, count_include_pad=False))
case("avg_pool2d", "avgpool_pairs",
     "y = avg_pool2d(x, [2, 3], stride=[2, 1], padding=[1, 1])\nreturn y",
     avgp((2, 3), stride=(2, 1), padding=(1, 1)))
case("avg_pool2d", "avgpool_ceil", "y = avg_pool2d(x, 2, ceil_mode=true)\nreturn y",
     avgp(2, ceil_mode=True))
case("avg_pool2d", "avgpool_ceil_pad_include",
     "y = avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=true)\nreturn y",
     avgp(3, stride=2, padding=1, ceil_mode=True), inputs={"x": ("N", 3, 6, 6)})
case("avg_pool2d", "avgpool_ceil_pad_exclude",
     "y = avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)\nreturn y",
     avgp(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     inputs={"x": ("N", 3, 6, 6)})
case("avg_pool2d", "avgpool_ceil_last_in_padding",
     "y = avg_pool2d(x, 2, stride=2, padding=1, ceil_mode=true)\nreturn y",
     avgp(2, stride=2, padding=1, ceil_mode=True), inputs={"x": ("N", 3, 5, 5)})
case("avg_pool2d", "avgpool_ceil_pairs_exclude",
     "y = avg_pool2d(x, [3, 2], stride=[2, 3], padding=[1, 1], ceil_mode=true, "
     "count_include_pad=false)\nreturn y",
     avgp((3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True, count_include_pad=False),
     inputs={"x": ("N", 3, 8, 10)})


def adapt(fn, size):
    return lambda i, p: fn(i["x"], size)


for kind, fn in (("avg", F.adaptive_avg_pool2d), ("max", F.adaptive_max_pool2d)):
    fam = "adaptive_pool"
    op = f"adaptive_{kind}_pool2d"
    case(fam, f"{op}_1", f"y = {op}(x, 1)\nreturn y", adapt(fn, 1))
    case(fam, f"{op}_7to3", f"y = {op}(x, 3)\nreturn y", adapt(fn, 3), inputs={"x": ("N", 3, 7, 7)})
    case(fam, f"{op}_10to4", f"y = {op}(x, 4)\nreturn y", adapt(fn, 4), inputs={"x": ("N", 3, 10, 10)})
    case(fam, f"{op}_pair", f"y = {op}(x, [3, 4])\nreturn y", adapt(fn, (3, 4)),
         inputs={"x": ("N", 3, 7, 10)})
    case(fam, f"{op}_pair_mixed", f"y = {op}(x, [5, 2])\nreturn y", adapt(fn, (5, 2)),
         inputs={"x": ("N", 3, 11, 9)})
    case(fam, f"{op}_identity", f"y = {op}(x, [7, 10])\nreturn y", adapt(fn, (7, 10)),
         inputs={"x": ("N", 3, 7, 10)})
    case(fam, f"{op}_upscale", f"y = {op}(x, 5)\nreturn y", adapt(fn, 5),
         inputs={"x": ("N", 3, 3, 4)})

# ---------------------------------------------------------------------------
# upsample2d
# ---------------------------------------------------------------------------
XU = {"x": ("N", 3, 5, 7)}
for scale in (2, 3):
    case("upsample2d", f"upsample_nearest_x{scale}", f"y = upsample2d(x, scale={scale})\nreturn y",
         (lambda s: lambda i, p: F.interpolate(i["x"], scale_factor=s, mode="nearest"))(scale),
         inputs=XU)
    case("upsample2d", f"upsample_bilinear_x{scale}",
         f'y = upsample2d(x, scale={scale}, mode="bilinear")\nreturn y',
         (lambda s: lambda i, p: F.interpolate(i["x"], scale_factor=s, mode="bilinear",
                                               align_corners=False))(scale), inputs=XU)
case("upsample2d", "upsample_default", "y = upsample2d(x)\nreturn y",
     lambda i, p: F.interpolate(i["x"], scale_factor=2, mode="nearest"), inputs=XU)
case("upsample2d", "upsample_bilinear_x4", 'y = upsample2d(x, scale=4, mode="bilinear")\nreturn y',
     lambda i, p: F.interpolate(i["x"], scale_factor=4, mode="bilinear", align_corners=False),
     inputs={"x": ("N", 2, 3, 1)})

# ---------------------------------------------------------------------------
# flatten, reshape, concat
# ---------------------------------------------------------------------------
XS = {"x": ("N", 4, 3, 5)}
case("shape", "flatten", "y = flatten(x)\nreturn y", lambda i, p: torch.flatten(i["x"], 1),
     inputs=XS)
case("shape", "flatten_start2", "y = flatten(x, start=2)\nreturn y",
     lambda i, p: torch.flatten(i["x"], 2), inputs=XS)
case("shape", "flatten_start3", "y = flatten(x, start=3)\nreturn y",
     lambda i, p: torch.flatten(i["x"], 3), inputs=XS)
case("shape", "reshape_3d", "y = reshape(x, [-1, 12, 5])\nreturn y",
     lambda i, p: i["x"].reshape(-1, 12, 5), inputs=XS)
case("shape", "reshape_regroup", "y = reshape(x, [-1, 6, 10])\nreturn y",
     lambda i, p: i["x"].reshape(-1, 6, 10), inputs=XS)
case("shape", "reshape_5d", "y = reshape(x, [-1, 2, 2, 15, 1])\nreturn y",
     lambda i, p: i["x"].reshape(-1, 2, 2, 15, 1), inputs=XS)
case("shape", "reshape_keyword", "y = reshape(x, shape=[-1, 60])\nreturn y",
     lambda i, p: i["x"].reshape(-1, 60), inputs=XS)
case("shape", "reshape_then_op", "y = relu(reshape(x, [-1, 5, 4, 3]) + 1)\nreturn y",
     lambda i, p: torch.relu(i["x"].reshape(-1, 5, 4, 3) + 1), inputs=XS)
# Static batch (no run-time N): reshape may move data across samples.
case("shape", "reshape_static_batch", "y = reshape(x, [4, 30])\nreturn y",
     lambda i, p: i["x"].reshape(4, 30), inputs={"x": (2, 4, 3, 5)})
case("shape", "reshape_static_batch_neg", "y = reshape(x, [-1, 8])\nreturn y",
     lambda i, p: i["x"].reshape(-1, 8), inputs={"x": (2, 4, 3, 2)})
case("shape", "flatten_static_batch", "y = flatten(x)\nreturn y",
     lambda i, p: torch.flatten(i["x"], 1), inputs={"x": (2, 4, 3, 5)})
case("shape", "reshape_2d_to_4d", "y = reshape(x, [-1, 3, 2, 2])\nreturn y",
     lambda i, p: i["x"].reshape(-1, 3, 2, 2), inputs={"x": ("N", 12)})

# pad2d in its three modes (F.pad on the last two axes), each padding and
# then cropping with negative pads; reflect on a 3-D input too;
# pixel_shuffle by 2 and then 3.
XP = {"x": ("N", 2, 5, 6)}
case("shape", "pad2d_constant",
     "y = pad2d(x, [1, 2, 3, 0])\nw = pad2d(x, [-1, 2, 1, -2], value=-1.5)\nreturn y, w",
     lambda i, p: {"y": F.pad(i["x"], [1, 2, 3, 0]),
                   "w": F.pad(i["x"], [-1, 2, 1, -2], value=-1.5)}, inputs=XP, outputs=("y", "w"))
case("shape", "pad2d_reflect",
     'y = pad2d(pad2d(x, [2, 5, 4, 1], mode="reflect"), [-2, 3, 1, -1], mode="reflect")\n'
     'w = pad2d(z, [1, 2, 1, 1], mode="reflect")\nreturn y, w',
     lambda i, p: {"y": F.pad(F.pad(i["x"], [2, 5, 4, 1], mode="reflect"), [-2, 3, 1, -1],
                              mode="reflect"),
                   "w": F.pad(i["z"], [1, 2, 1, 1], mode="reflect")},
     inputs={**XP, "z": (2, 4, 5)}, outputs=("y", "w"))
case("shape", "pad2d_replicate",
     'y = pad2d(pad2d(x, [3, 0, 7, 2], mode="replicate"), [1, -3, -2, 2], mode="replicate")\n'
     "return y",
     lambda i, p: F.pad(F.pad(i["x"], [3, 0, 7, 2], mode="replicate"), [1, -3, -2, 2],
                        mode="replicate"), inputs=XP)
case("shape", "pixel_shuffle", "y = pixel_shuffle(pixel_shuffle(x, 2), factor=3)\nreturn y",
     lambda i, p: F.pixel_shuffle(F.pixel_shuffle(i["x"], 2), 3), inputs={"x": ("N", 36, 2, 3)})

XC = {"x": ("N", 4, 3, 5), "z": ("N", 2, 3, 5)}
case("concat", "concat_axis1", "y = concat([x, z], axis=1)\nreturn y",
     lambda i, p: torch.cat([i["x"], i["z"]], 1), inputs=XC)
case("concat", "concat_default_axis", "y = concat([x, z])\nreturn y",
     lambda i, p: torch.cat([i["x"], i["z"]], 1), inputs=XC)
case("concat", "concat_keyword", "y = concat(inputs=[z, x, z], axis=-3)\nreturn y",
     lambda i, p: torch.cat([i["z"], i["x"], i["z"]], 1), inputs=XC)
case("concat", "concat_axis2", "y = concat([x, relu(x), x * 2], axis=2)\nreturn y",
     lambda i, p: torch.cat([i["x"], torch.relu(i["x"]), i["x"] * 2], 2), inputs=XS)
case("concat", "concat_axis3", "y = concat([x, -x], axis=3)\nreturn y",
     lambda i, p: torch.cat([i["x"], -i["x"]], 3), inputs=XS)
case("concat", "concat_axis_neg1", "y = concat([x, z], axis=-1)\nreturn y",
     lambda i, p: torch.cat([i["x"], i["z"]], -1),
     inputs={"x": ("N", 2, 3, 5), "z": ("N", 2, 3, 4)})
case("concat", "concat_axis_neg2", "y = concat([x, z, x], axis=-2)\nreturn y",
     lambda i, p: torch.cat([i["x"], i["z"], i["x"]], -2),
     inputs={"x": ("N", 2, 3, 5), "z": ("N", 2, 1, 5)})
case("concat", "concat_2d", "y = concat([x, z, x], axis=1)\nreturn y",
     lambda i, p: torch.cat([i["x"], i["z"], i["x"]], 1), inputs={"x": ("N", 5), "z": ("N", 3)})
case("concat", "concat_2d_neg", "y = concat([z, x], axis=-1)\nreturn y",
     lambda i, p: torch.cat([i["z"], i["x"]], -1), inputs={"x": ("N", 5), "z": ("N", 3)})
case("concat", "concat_single", "y = concat([x], axis=1)\nreturn y",
     lambda i, p: torch.cat([i["x"]], 1), inputs=XS)

# ---------------------------------------------------------------------------
# mean
# ---------------------------------------------------------------------------
case("mean", "mean_default", "y = mean(x)\nreturn y", lambda i, p: i["x"].mean((2, 3)), inputs=XS)
case("mean", "mean_keepdim", "y = mean(x, axes=[2, 3], keepdim=true)\nreturn y",
     lambda i, p: i["x"].mean((2, 3), keepdim=True), inputs=XS)
case("mean", "mean_axis1", "y = mean(x, axes=[1])\nreturn y", lambda i, p: i["x"].mean(1),
     inputs=XS)
case("mean", "mean_axis1_keepdim", "y = mean(x, axes=[1], keepdim=true)\nreturn y",
     lambda i, p: i["x"].mean(1, keepdim=True), inputs=XS)
case("mean", "mean_axes123", "y = mean(x, axes=[1, 2, 3])\nreturn y",
     lambda i, p: i["x"].mean((1, 2, 3)), inputs=XS)
case("mean", "mean_axes_1_3", "y = mean(x, axes=[1, 3])\nreturn y",
     lambda i, p: i["x"].mean((1, 3)), inputs=XS)
case("mean", "mean_axes_1_3_keepdim", "y = mean(x, axes=[1, 3], keepdim=true)\nreturn y",
     lambda i, p: i["x"].mean((1, 3), keepdim=True), inputs=XS)
case("mean", "mean_negative_axes", "y = mean(x, axes=[-1, -2])\nreturn y",
     lambda i, p: i["x"].mean((-1, -2)), inputs=XS)
case("mean", "mean_negative_keepdim", "y = mean(x, axes=[-1], keepdim=true)\nreturn y",
     lambda i, p: i["x"].mean(-1, keepdim=True), inputs=XS)
case("mean", "mean_2d", "y = mean(x, axes=[1])\nreturn y", lambda i, p: i["x"].mean(1),
     inputs={"x": ("N", 7)})

case("mean", "mean_axis0_batch", "y = mean(x, axes=[0])\nreturn y", lambda i, p: i["x"].mean(0),
     inputs={"x": ("N", 4, 3)})
case("mean", "mean_axes01_keepdim_batch", "y = mean(x, axes=[0, 2], keepdim=true)\nreturn y",
     lambda i, p: i["x"].mean((0, 2), keepdim=True), inputs={"x": ("N", 4, 3)})

# ---------------------------------------------------------------------------
# + - * / with broadcasting, scalars, unary minus
# ---------------------------------------------------------------------------
XB = {"x": ("N", 4, 3, 5), "z": ("N", 4, 3, 5)}
OPS = {"add": ("+", torch.add), "sub": ("-", torch.sub), "mul": ("*", torch.mul)}
for name, (sym, fn) in OPS.items():
    case("arith", f"{name}_same", f"y = x {sym} z\nreturn y",
         (lambda fn: lambda i, p: fn(i["x"], i["z"]))(fn), inputs=XB)
    case("arith", f"{name}_named", f"y = {name}(x, z)\nreturn y",
         (lambda fn: lambda i, p: fn(i["x"], i["z"]))(fn), inputs=XB)
    case("arith", f"{name}_bcast_nc11", f"y = x {sym} s\nreturn y",
         (lambda fn: lambda i, p: fn(i["x"], i["s"]))(fn),
         inputs={"x": ("N", 4, 3, 5), "s": ("N", 4, 1, 1)})
    case("arith", f"{name}_bcast_nc11_left", f"y = s {sym} x\nreturn y",
         (lambda fn: lambda i, p: fn(i["s"], i["x"]))(fn),
         inputs={"x": ("N", 4, 3, 5), "s": ("N", 4, 1, 1)})
    case("arith", f"{name}_bcast_c11", f"y = x {sym} s\nreturn y",
         (lambda fn: lambda i, p: fn(i["x"], i["s"]))(fn),
         inputs={"x": ("N", 4, 3, 5), "s": (4, 1, 1)})
    case("arith", f"{name}_bcast_rank2", f"y = s {sym} x\nreturn y",
         (lambda fn: lambda i, p: fn(i["s"], i["x"]))(fn),
         inputs={"x": ("N", 4, 3, 5), "s": (3, 1)})
    case("arith", f"{name}_bcast_1c11", f"y = x {sym} s\nreturn y",
         (lambda fn: lambda i, p: fn(i["x"], i["s"]))(fn),
         inputs={"x": ("N", 4, 3, 5), "s": (1, 4, 1, 1)})
    case("arith", f"{name}_bcast_both", f"y = a {sym} b\nreturn y",
         (lambda fn: lambda i, p: fn(i["a"], i["b"]))(fn),
         inputs={"a": ("N", 4, 1, 5), "b": ("N", 1, 3, 1)})
# Divisors kept away from zero: z*z + 1.
case("arith", "div_same", "y = x / (z * z + 1)\nreturn y",
     lambda i, p: i["x"] / (i["z"] * i["z"] + 1), inputs=XB)
case("arith", "div_named", "y = div(x, z * z + 0.5)\nreturn y",
     lambda i, p: i["x"] / (i["z"] * i["z"] + 0.5), inputs=XB)
case("arith", "div_bcast_nc11", "y = x / (s * s + 1)\nreturn y",
     lambda i, p: i["x"] / (i["s"] * i["s"] + 1), inputs={"x": ("N", 4, 3, 5), "s": ("N", 4, 1, 1)})
case("arith", "div_bcast_c11_left", "y = s / (x * x + 1)\nreturn y",
     lambda i, p: i["s"] / (i["x"] * i["x"] + 1), inputs={"x": ("N", 4, 3, 5), "s": (4, 1, 1)})
case("arith", "scalars", "y = (x * 0.5 + 1) - 2.5\nreturn y",
     lambda i, p: (i["x"] * 0.5 + 1) - 2.5, inputs=XS)
case("arith", "scalars_left", "y = 3 - 2 * x\nreturn y", lambda i, p: 3 - 2 * i["x"], inputs=XS)
case("arith", "scalar_div", "y = x / 4\nreturn y", lambda i, p: i["x"] / 4, inputs=XS)
case("arith", "scalar_div_left", "y = 1 / (x * x + 1)\nreturn y",
     lambda i, p: 1 / (i["x"] * i["x"] + 1), inputs=XS)
case("arith", "scalar_int_float", "y = x * 2 + 0.25 * x\nreturn y",
     lambda i, p: i["x"] * 2 + 0.25 * i["x"], inputs=XS)
case("arith", "unary_minus", "y = -x\nreturn y", lambda i, p: -i["x"], inputs=XS)
case("arith", "unary_minus_expr", "y = -(x * z) + -z\nreturn y",
     lambda i, p: -(i["x"] * i["z"]) + -i["z"], inputs=XB)
case("arith", "mean_subtract", "y = x - mean(x, axes=[2, 3], keepdim=true)\nreturn y",
     lambda i, p: i["x"] - i["x"].mean((2, 3), keepdim=True), inputs=XS)
case("arith", "channel_rescale", "y = x * mean(x, axes=[1], keepdim=true)\nreturn y",
     lambda i, p: i["x"] * i["x"].mean(1, keepdim=True), inputs=XS)
case("arith", "se_style", "s = reshape(sigmoid(mean(x)), [-1, 4, 1, 1])\ny = x * s\nreturn y",
     lambda i, p: i["x"] * torch.sigmoid(i["x"].mean((2, 3))).reshape(-1, 4, 1, 1), inputs=XS)
case("arith", "add_2d", "y = x + z * 2\nreturn y", lambda i, p: i["x"] + i["z"] * 2,
     inputs={"x": ("N", 6), "z": ("N", 6)})
case("arith", "add_2d_bcast", "y = x + z\nreturn y", lambda i, p: i["x"] + i["z"],
     inputs={"x": ("N", 6), "z": (6,)})

# ---------------------------------------------------------------------------
# Regularisers: the identity in inference
# ---------------------------------------------------------------------------
case("regularizer", "dropout", "y = dropout(x)\nreturn y", lambda i, p: i["x"])
case("regularizer", "dropout_p", "y = dropout(x, p=0.9)\nreturn y", lambda i, p: i["x"])
case("regularizer", "dropout_2d", "y = dropout(x, p=0.2)\nreturn y", lambda i, p: i["x"],
     inputs={"x": ("N", 10)})
case("regularizer", "dropblock", "y = dropblock(x)\nreturn y", lambda i, p: i["x"])
case("regularizer", "dropblock_args", "y = dropblock(x, block_size=3, p=0.3)\nreturn y",
     lambda i, p: i["x"])
case("regularizer", "stochastic_depth", "y = stochastic_depth(x)\nreturn y", lambda i, p: i["x"])
case("regularizer", "stochastic_depth_residual",
     "y = x + stochastic_depth(conv2d(x, 4, kernel=3, padding=1, name=\"c\"), p=0.5)\nreturn y",
     lambda i, p: i["x"] + F.conv2d(i["x"], p["c.weight"], p["c.bias"], padding=1))
case("regularizer", "dropout_between",
     "h = dropout(relu(linear(x, 8, name=\"fc1\")), p=0.5)\ny = linear(h, 3, name=\"fc2\")\nreturn y",
     lambda i, p: F.linear(torch.relu(F.linear(i["x"], p["fc1.weight"], p["fc1.bias"])),
                           p["fc2.weight"], p["fc2.bias"]), inputs={"x": ("N", 10)})

# ---------------------------------------------------------------------------
# Chains the compiler may fuse (conv + batch_norm + activation + residual)
# ---------------------------------------------------------------------------
def _bn(t, p, s):
    return F.batch_norm(t, p[s + ".running_mean"], p[s + ".running_var"], p[s + ".weight"],
                        p[s + ".bias"], False, 0.1, 1e-5)


case("fusion", "conv_bn_relu",
     "c = conv2d(x, 6, kernel=3, padding=1, bias=false)\nb = batch_norm(c)\ny = relu(b)\nreturn y",
     lambda i, p: torch.relu(_bn(F.conv2d(i["x"], p["c.weight"], padding=1), p, "b")))
case("fusion", "conv_bias_bn_relu6",
     "c = conv2d(x, 6, kernel=3, stride=2)\nb = batch_norm(c)\ny = relu6(b)\nreturn y",
     lambda i, p: F.relu6(_bn(F.conv2d(i["x"], p["c.weight"], p["c.bias"], stride=2), p, "b")),
     input_scale=3.0)
case("fusion", "conv_bn_add_relu",
     "c = conv2d(x, 4, kernel=3, padding=1, bias=false)\nb = batch_norm(c)\ny = relu(b + x)\nreturn y",
     lambda i, p: torch.relu(_bn(F.conv2d(i["x"], p["c.weight"], padding=1), p, "b") + i["x"]))
case("fusion", "conv_bn_add_left_relu",
     "c = conv2d(x, 4, kernel=3, padding=1, bias=false)\nb = batch_norm(c)\ny = relu(x + b)\nreturn y",
     lambda i, p: torch.relu(i["x"] + _bn(F.conv2d(i["x"], p["c.weight"], padding=1), p, "b")))
case("fusion", "conv_bn_add",
     "c = conv2d(x, 4, kernel=1, bias=false)\nb = batch_norm(c)\ny = b + x\nreturn y",
     lambda i, p: _bn(F.conv2d(i["x"], p["c.weight"]), p, "b") + i["x"])
for act, fn in (("hardswish", F.hardswish), ("silu", F.silu), ("sigmoid", torch.sigmoid),
                ("tanh", torch.tanh), ("hardsigmoid", F.hardsigmoid), ("softsign", F.softsign),
                ("erf", torch.erf), ("elu", F.elu), ("softplus", F.softplus)):
    case("fusion", f"conv_bn_{act}",
         f"c = conv2d(x, 8, kernel=3, groups=4, padding=1, bias=false)\nb = batch_norm(c)\n"
         f"y = {act}(b)\nreturn y",
         (lambda fn: lambda i, p: fn(_bn(F.conv2d(i["x"], p["c.weight"], padding=1, groups=4),
                                         p, "b")))(fn), input_scale=3.0)
case("fusion", "conv_leaky_relu",
     "c = conv2d(x, 6, kernel=3, padding=1)\ny = leaky_relu(c, slope=0.2)\nreturn y",
     lambda i, p: F.leaky_relu(F.conv2d(i["x"], p["c.weight"], p["c.bias"], padding=1), 0.2))
# Activations with parameters fuse with them (activation_params).
case("fusion", "conv_elu_alpha",
     "c = conv2d(x, 6, kernel=3, padding=1)\ny = elu(c, alpha=0.4)\nreturn y",
     lambda i, p: F.elu(F.conv2d(i["x"], p["c.weight"], p["c.bias"], padding=1), 0.4))
case("fusion", "conv_bn_add_softplus",
     "c = conv2d(x, 4, kernel=3, padding=1, bias=false)\nb = batch_norm(c)\n"
     "y = softplus(b + x, beta=3, threshold=2)\nreturn y",
     lambda i, p: F.softplus(_bn(F.conv2d(i["x"], p["c.weight"], padding=1), p, "b") + i["x"],
                             3.0, 2.0), input_scale=2.0)
case("fusion", "linear_softplus_elu",
     "h = linear(flatten(x), 12)\ng = softplus(h, beta=0.5, threshold=1)\n"
     "k = linear(g, 5, name=\"k\")\ny = elu(k, alpha=2)\nreturn y",
     lambda i, p: F.elu(F.linear(F.softplus(F.linear(torch.flatten(i["x"], 1), p["h.weight"],
                                                     p["h.bias"]), 0.5, 1.0),
                                 p["k.weight"], p["k.bias"]), 2.0), input_scale=3.0)
case("fusion", "conv_bn_gelu_tanh",
     "c = conv2d(x, 6, kernel=1, bias=false)\nb = batch_norm(c)\ny = gelu(b, approximate=\"tanh\")\nreturn y",
     lambda i, p: F.gelu(_bn(F.conv2d(i["x"], p["c.weight"]), p, "b"), approximate="tanh"))
case("fusion", "convt_bn_relu",
     "c = conv_transpose2d(x, 6, kernel=2, stride=2, bias=false)\nb = batch_norm(c)\ny = relu(b)\nreturn y",
     lambda i, p: torch.relu(_bn(F.conv_transpose2d(i["x"], p["c.weight"], stride=2), p, "b")))
case("fusion", "linear_bn_relu",
     "h = linear(flatten(x), 12)\nb = batch_norm(h)\ny = relu(b)\nreturn y",
     lambda i, p: torch.relu(_bn(F.linear(torch.flatten(i["x"], 1), p["h.weight"], p["h.bias"]),
                                 p, "b")))
case("fusion", "linear_add_gelu",
     "h = linear(flatten(x), 12)\ng = linear(flatten(x), 12, name=\"g\")\ny = gelu(h + g)\nreturn y",
     lambda i, p: F.gelu(F.linear(torch.flatten(i["x"], 1), p["h.weight"], p["h.bias"]) +
                         F.linear(torch.flatten(i["x"], 1), p["g.weight"], p["g.bias"])))
case("fusion", "wide_conv_bn_add_relu",
     "c = conv2d(x, 32, kernel=3, padding=1, bias=false)\nb = batch_norm(c)\ny = relu(b + x)\nreturn y",
     lambda i, p: torch.relu(_bn(F.conv2d(i["x"], p["c.weight"], padding=1), p, "b") + i["x"]),
     inputs={"x": ("N", 32, 12, 12)})
case("fusion", "conv_relu", "c = conv2d(x, 6, kernel=3)\ny = relu(c)\nreturn y",
     lambda i, p: torch.relu(F.conv2d(i["x"], p["c.weight"], p["c.bias"])))
case("fusion", "conv_add_conv",
     "a = conv2d(x, 6, kernel=3, padding=1)\nb = conv2d(x, 6, kernel=1)\ny = relu(a + b)\nreturn y",
     lambda i, p: torch.relu(F.conv2d(i["x"], p["a.weight"], p["a.bias"], padding=1) +
                             F.conv2d(i["x"], p["b.weight"], p["b.bias"])))
case("fusion", "bn_used_twice",
     "c = conv2d(x, 4, kernel=3, padding=1, bias=false)\nb = batch_norm(c)\ny = relu(b) + b\nreturn y",
     lambda i, p: (lambda b: torch.relu(b) + b)(_bn(F.conv2d(i["x"], p["c.weight"], padding=1), p, "b")))
case("fusion", "conv_used_twice",
     "c = conv2d(x, 4, kernel=3, padding=1)\nb = batch_norm(c)\ny = relu(b) * c\nreturn y",
     lambda i, p: (lambda c: torch.relu(_bn(c, p, "b")) * c)(
         F.conv2d(i["x"], p["c.weight"], p["c.bias"], padding=1)))
case("fusion", "two_outputs",
     "c = conv2d(x, 4, kernel=3, padding=1)\nr = relu(c)\nreturn c, r",
     lambda i, p: {"c": F.conv2d(i["x"], p["c.weight"], p["c.bias"], padding=1),
                   "r": torch.relu(F.conv2d(i["x"], p["c.weight"], p["c.bias"], padding=1))},
     outputs=("c", "r"))
case("fusion", "same_output_twice", "y = relu(x)\nreturn y, y",
     lambda i, p: {"y": torch.relu(i["x"]), "out1": torch.relu(i["x"])}, outputs=("y", "out1"))
case("fusion", "output_is_input", "y = x\nreturn y",
     lambda i, p: i["x"])
case("fusion", "output_is_input_op",
     "y = relu(x)\nreturn y, x * 2",
     lambda i, p: {"y": torch.relu(i["x"]), "out1": i["x"] * 2}, outputs=("y", "out1"))


# ---------------------------------------------------------------------------
# Convs between two convs, with whole vectors of channels (16: AVX2's and
# AVX-512's widths divide it): their tensors are channels-last, so these run
# the channels-last kernels (register tiles, blocked weights, deep layers'
# reduction chunks, depthwise strips over a padded ring of rows), which the
# small cases above (4-6 channels, NCHW) do not reach.
# ---------------------------------------------------------------------------
def between_convs(middle, **kw):
    """x -> 1x1 conv a -> conv m(**kw) -> 1x1 conv y."""
    def ref(i, p):
        a = F.conv2d(i["x"], p["a.weight"], p["a.bias"])
        m = F.conv2d(a, p["m.weight"], p["m.bias"], **kw)
        return F.conv2d(m, p["y.weight"], p["y.bias"])
    return (f"a = conv2d(x, {middle[0]}, kernel=1)\nm = conv2d(a, {middle[1]})\n"
            f"y = conv2d(m, 16, kernel=1)\nreturn y"), ref


XL = {"x": ("N", 16, 11, 11)}
for name, middle, kw in (
        ("dw3", (16, "16, kernel=3, padding=1, groups=16"), dict(padding=1, groups=16)),
        ("dw3_s2", (16, "16, kernel=3, stride=2, padding=1, groups=16"),
         dict(stride=2, padding=1, groups=16)),
        ("dw5_s2", (32, "32, kernel=5, stride=2, padding=2, groups=32"),
         dict(stride=2, padding=2, groups=32)),
        ("dw3_dilated", (16, "16, kernel=3, padding=2, dilation=2, groups=16"),
         dict(padding=2, dilation=2, groups=16)),
        ("dw3_valid", (16, "16, kernel=3, groups=16"), dict(groups=16)),
        ("dense3", (16, "48, kernel=3, padding=1"), dict(padding=1)),
        ("dense3_s2", (32, "32, kernel=3, stride=2, padding=1"), dict(stride=2, padding=1)),
        # Weights beyond 2.5 MB: one channel tile over the image, input
        # channels reduced in chunks of 32 (one chunk partial: 304 = 9.5 x 32);
        # stride 2 keeps the 3x3 direct (Winograd needs stride 1).
        ("deep3_s2", (304, "256, kernel=3, stride=2, padding=1"), dict(stride=2, padding=1)),
        ("deep1", (400, "1680, kernel=1"), dict()),
        # 1040 channels span 4 KB per pixel: chunks of 128 (one partial).
        ("deep1_wide", (1040, "640, kernel=1"), dict())):
    body, ref = between_convs(middle, **kw)
    case("channels_last", f"between_convs_{name}", body, ref, inputs=XL, input_scale=0.5)


def before_3x3(a, m):
    """x -> 1x1 conv a -> 1x1 conv m -> 3x3 conv w -> 1x1 conv y: with
    --conv-algorithm=winograd_2x2_3x3 (channels_last.test), w reads rows, so
    m reads channels-last input and writes NCHW."""
    def ref(i, p):
        t = F.conv2d(i["x"], p["a.weight"], p["a.bias"])
        t = F.conv2d(t, p["m.weight"], p["m.bias"])
        t = F.conv2d(t, p["w.weight"], p["w.bias"], padding=1)
        return F.conv2d(t, p["y.weight"], p["y.bias"])
    return (f"a = conv2d(x, {a}, kernel=1)\nm = conv2d(a, {m}, kernel=1)\n"
            f"w = conv2d(m, 16, kernel=3, padding=1)\ny = conv2d(w, 16, kernel=1)\nreturn y"), ref


for name, a, m in (("before_3x3", 48, 32), ("deep_before_3x3", 400, 1680)):
    body, ref = before_3x3(a, m)
    case("channels_last", name, body, ref, inputs=XL, input_scale=0.5)
def flat_pixels_ref(i, p):
    a = F.conv2d(i["x"], p["a.weight"], p["a.bias"])
    b = F.conv2d(a, p["b.weight"], p["b.bias"])
    d = torch.relu(F.conv2d(b, p["c.weight"], p["c.bias"]) + b)
    return F.conv2d(d, p["y.weight"], p["y.bias"])


# 1x1 convs over flat pixels (7x7 rows are too narrow for the row tile): b
# reduces 160 input channels in chunks of 128 (one partial), c adds its
# residual; a reads the model's (NCHW) input and y writes its output, so
# they run the row tiles. At batch 3 the pixel blocks run across images.
case("channels_last", "flat_pixels",
     "a = conv2d(x, 160, kernel=1)\nb = conv2d(a, 48, kernel=1)\nc = conv2d(b, 48, kernel=1)\n"
     "d = relu(c + b)\ny = conv2d(d, 16, kernel=1)\nreturn y",
     flat_pixels_ref, inputs={"x": ("N", 16, 7, 7)}, input_scale=0.5)

def super_resolution_ref(i, p):
    a = F.prelu(F.conv2d(i["x"], p["a.weight"], p["a.bias"]), p["p.weight"])
    m = F.conv2d(F.pad(a, [1, 1, 1, 1], mode="reflect"), p["m.weight"], p["m.bias"])
    return F.conv2d(F.pixel_shuffle(m, 2), p["y.weight"], p["y.bias"])


# An ESPCN-like tail between convs (channels-last maps): prelu per channel,
# a reflect pad feeding a 3x3 conv, pixel_shuffle feeding a 1x1 conv (in
# the fusion family: channels_last's 16 cases fill their group).
case("fusion", "super_resolution_tail",
     "a = conv2d(x, 16, kernel=1)\np = prelu(a, num=16)\n"
     "m = conv2d(pad2d(p, [1, 1, 1, 1], mode=\"reflect\"), 64, kernel=3)\n"
     "y = conv2d(pixel_shuffle(m, 2), 16, kernel=1)\nreturn y",
     super_resolution_ref, inputs={"x": ("N", 16, 6, 7)}, input_scale=0.5)

def winograd_chunks_ref(i, p):
    a = F.conv2d(i["x"], p["a.weight"], p["a.bias"])
    w = F.conv2d(a, p["w.weight"], p["w.bias"], padding=1)
    return F.conv2d(w, p["y.weight"], p["y.bias"])


# Winograd on a small map (256 channels at 14x14, F(4x4) by default,
# F(2x2) in channels_last.test) runs its stages a chunk of images at a
# time, each block of transformed weights over every image of the chunk
# (one chunk of 3 at batch 3; how a batch splits into chunks:
# test/unit/SchedulesTest.cpp).
case("channels_last", "winograd_chunks",
     "a = conv2d(x, 256, kernel=1)\nw = conv2d(a, 256, kernel=3, padding=1)\n"
     "y = conv2d(w, 16, kernel=1)\nreturn y",
     winograd_chunks_ref, inputs={"x": ("N", 16, 14, 14)}, input_scale=0.5)

# NCHW in, NCHW out (a model's input and output): dense convs with whole
# vectors of output channels still run the channels-last tile, stored to
# NCHW lane by lane; the second one is deep (2.9 MB of weights; stride 2
# keeps both direct).
case("channels_last", "nchw_in_out_s2", "y = conv2d(x, 32, kernel=3, stride=2, padding=1)\nreturn y",
     conv(stride=2, padding=1), inputs=XL)
case("channels_last", "nchw_in_out_deep",
     "y = conv2d(x, 256, kernel=3, stride=2, padding=1)\nreturn y",
     conv(stride=2, padding=1), inputs={"x": ("N", 320, 9, 9)}, input_scale=0.5)

# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------
def case_inputs(c, b, seed):
    """The case's random inputs at batch `b` (the same in both run modes)."""
    inputs = {}
    for k, (name, shape) in enumerate(c.inputs.items()):
        full = tuple(b if d == "N" else d for d in shape)
        inputs[name] = e2e_lib.random_input(full, seed=seed * 1000 + 17 * b + k) * c.input_scale
    return inputs


def check_case(c, b, inputs, params, ours, secs):
    """Compares cnnopt's outputs of case `c` ({output: array}) with PyTorch."""
    tparams = Params({k: torch.from_numpy(np.array(v)) for k, v in params.items()})
    with torch.no_grad():
        ref = c.ref({k: torch.from_numpy(v) for k, v in inputs.items()}, tparams)
    if not isinstance(ref, dict):
        ref = {c.outputs[0]: ref}
    good = True
    for name in c.outputs:
        good &= e2e_lib.compare(f"{c.name} batch {b} {name} ({secs:.1f}s)", ours[name],
                                ref[name].numpy())
    return good


def run_case(c, cnnopt_run, cnnopt, workdir, batches, seed):
    """One case as its own model: one cnnopt-run per batch."""
    path = os.path.join(workdir, c.name + ".cnn")
    with open(path, "w") as f:
        f.write(c.source())
    try:
        shapes = e2e_lib.print_params(cnnopt, path)
    except RuntimeError as e:
        print(f"FAIL {c.name}: {e}")
        print(c.source())
        return False
    params = e2e_lib.random_state_dict(shapes, seed=seed)
    weights = None
    if params:
        weights = os.path.join(workdir, c.name + ".safetensors")
        e2e_lib.write_safetensors(weights, params)
    good = True
    for b in batches:
        inputs = case_inputs(c, b, seed)
        try:
            ours, secs = e2e_lib.run_cnnopt(cnnopt_run, path, inputs, c.outputs, workdir,
                                            weights=weights, tag=f"{c.name}.b{b}")
        except e2e_lib.RunError as e:
            print(f"FAIL {c.name} batch {b}: {e}")
            good = False
            continue
        good &= check_case(c, b, inputs, params, ours, secs)
    if not good:
        print(f"---- {c.name}: model source ----\n{c.source()}------")
    return good


def group_source(cases):
    """One model running every case: each case's body is a block `B<k>`
    called as `c<k>_<output>, ... = B<k>(i<k>_<input>, ...)`, so its
    parameters are `c<k>_<first output>.<name>` and its outputs
    `c<k>_<output>`."""
    blocks, args, calls, rets = [], [], [], []
    for k, c in enumerate(cases):
        body = "\n".join("  " + line.strip() for line in c.body.strip().splitlines())
        blocks.append(f"# {c.name}\nblock B{k}({', '.join(c.inputs)}) {{\n{body}\n}}\n")
        ins = []
        for name, shape in c.inputs.items():
            args.append(f"i{k}_{name}: f32[{', '.join(str(d) for d in shape)}]")
            ins.append(f"i{k}_{name}")
        targets = [f"c{k}_{o}" for o in c.outputs]
        calls.append(f"  {', '.join(targets)} = B{k}({', '.join(ins)})")
        rets += targets
    return ("\n".join(blocks) + f"\nmodel G({', '.join(args)}) {{\n" + "\n".join(calls) +
            f"\n  return {', '.join(rets)}\n}}\n")


def run_group(cases, cnnopt_run, cnnopt, workdir, batches, seed, label):
    """All `cases` in one model (one cnnopt-run per batch). Returns the cases
    that failed; if the group does not compile or run, every case is run on
    its own instead, and a case that fails in the group is rerun on its own
    to tell an interaction from a plain failure."""
    path = os.path.join(workdir, f"group_{label}.cnn")
    with open(path, "w") as f:
        f.write(group_source(cases))
    isolated = lambda cs: [c for c in cs if not run_case(c, cnnopt_run, cnnopt, workdir,
                                                          batches, seed)]
    try:
        shapes = e2e_lib.print_params(cnnopt, path)
    except RuntimeError as e:
        print(f"note: the group of {len(cases)} cases does not compile; running each alone\n{e}")
        return isolated(cases)
    # Each case's parameters are drawn as in its own model (same values).
    params, allparams = [], {}
    for k, c in enumerate(cases):
        prefix = f"c{k}_{c.outputs[0]}."
        mine = [(n[len(prefix):], s) for n, s in shapes if n.startswith(prefix)]
        p = e2e_lib.random_state_dict(mine, seed=seed)
        params.append(p)
        allparams.update({prefix + n: v for n, v in p.items()})
    if len(allparams) != len(shapes):
        print("note: unexpected parameter names in the group; running each case alone")
        return isolated(cases)
    weights = None
    if allparams:
        weights = os.path.join(workdir, f"group_{label}.safetensors")
        e2e_lib.write_safetensors(weights, allparams)
    bad = set()
    for b in batches:
        inputs = [case_inputs(c, b, seed) for c in cases]
        feed = {f"i{k}_{n}": v for k, ins in enumerate(inputs) for n, v in ins.items()}
        outs = [f"c{k}_{o}" for k, c in enumerate(cases) for o in c.outputs]
        try:
            ours, secs = e2e_lib.run_cnnopt(cnnopt_run, path, feed, outs, workdir,
                                            weights=weights, tag=f"group_{label}.b{b}")
        except e2e_lib.RunError as e:
            print(f"note: the group of {len(cases)} cases fails at batch {b}; running each "
                  f"alone\n{e}")
            return isolated(cases)
        print(f"group {label} batch {b}: {len(cases)} cases in one cnnopt-run ({secs:.1f}s)")
        for k, c in enumerate(cases):
            mine = {o: ours[f"c{k}_{o}"] for o in c.outputs}
            if not check_case(c, b, inputs[k], params[k], mine, secs):
                bad.add(k)
    failed = []
    for k in sorted(bad):
        print(f"---- {cases[k].name} failed inside the group; alone: ----")
        alone = run_case(cases[k], cnnopt_run, cnnopt, workdir, batches, seed)
        print(f"---- {cases[k].name} {'passes' if alone else 'fails'} alone ----")
        failed.append(cases[k])
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", help="path of cnnopt-run")
    ap.add_argument("--cnnopt", help="path of cnnopt (default: next to cnnopt-run)")
    ap.add_argument("--family", action="append", default=[])
    ap.add_argument("--case", action="append", default=[])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--isolated", action="store_true",
                    help="one model per case (default: cases grouped into one model each "
                         "--group-size, one compile per group and batch)")
    ap.add_argument("--group-size", type=int, default=16)
    ap.add_argument("--keep", help="write the work files here and keep them")
    e2e_lib.add_common_options(ap)
    args = ap.parse_args()
    e2e_lib.apply_common_options(args)

    names = {c.name for c in CASES}
    assert len(names) == len(CASES), "duplicate case names"
    selected = [c for c in CASES
                if (not args.family and not args.case) or c.family in args.family
                or c.name in args.case]
    if args.list:
        for c in CASES:
            print(f"{c.family:18} {c.name}")
        return 0
    unknown = set(args.family) - {c.family for c in CASES} | set(args.case) - names
    if unknown or not selected or not args.cnnopt_run:
        print(f"error: nothing to run (unknown: {sorted(unknown)})" if args.cnnopt_run
              else "error: --cnnopt-run is required", file=sys.stderr)
        return 2
    cnnopt = args.cnnopt or os.path.join(os.path.dirname(args.cnnopt_run), "cnnopt")

    start = time.time()
    failed = []
    with tempfile.TemporaryDirectory(prefix="cnnopt-e2e-") as tmp:
        workdir = args.keep or tmp
        os.makedirs(workdir, exist_ok=True)
        if args.isolated:
            for c in selected:
                if not run_case(c, args.cnnopt_run, cnnopt, workdir, args.batch, args.seed):
                    failed.append(c.name)
        else:
            for k in range(0, len(selected), args.group_size):
                group = selected[k:k + args.group_size]
                label = f"{group[0].family}_{k // args.group_size}"
                failed += [c.name for c in run_group(group, args.cnnopt_run, cnnopt, workdir,
                                                     args.batch, args.seed, label)]
    print(f"\n{len(selected) - len(failed)} of {len(selected)} cases passed "
          f"in {time.time() - start:.1f}s")
    if failed:
        print("failed: " + " ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
