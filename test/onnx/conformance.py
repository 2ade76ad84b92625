"""ONNX's own backend tests (Debian's libonnx-testdata, ONNX 1.12) through cnnopt-run.

Every test of an op family the importer supports in 2-D float32 form runs:
its model.onnx and test_data_set_0 inputs go through `cnnopt-run`, and the
outputs must match ONNX's expected ones (max|err| <= 1e-4 * max(1, max|ref|)).
A test that is out of scope is listed in OUT_OF_SCOPE with the located error
it must get (`model.onnx: node 'NAME' (Op): error: ...`) and why.

ONNX's node tests feed every operand as a graph input, weights included; a
compiled model holds weights as constants, so inputs used only as the
weight-like operands of PARAM_OPERANDS are turned into initializers (with
the test's values) before the run.

--list prints the selected tests; --only NAME runs one; --shard K/N runs
every N-th test starting at K (CI runs the import check of every test and
the numeric check of a rotating shard: e2e_lib.rotation_turn).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import e2e_lib  # noqa: E402

DATA = "/usr/share/libonnx-testdata/data"

# Test-name prefixes of the op families in scope (issue 11, item 5).
NODE_FAMILIES = [
    "conv", "convtranspose", "averagepool", "maxpool", "globalaveragepool", "globalmaxpool",
    "batchnorm", "gemm", "matmul", "relu", "leakyrelu", "sigmoid", "tanh", "hardsigmoid",
    "hardswish", "elu", "softplus", "softsign", "erf", "prelu", "clip", "add", "sub", "mul",
    "div", "pow", "concat", "flatten", "reshape", "softmax", "logsoftmax", "dropout",
    "identity", "instancenorm", "layer_normalization", "resize", "upsample", "reduce_mean",
    "constant_pad", "edge_pad", "reflect_pad", "depthtospace", "neg",
]
PYTORCH_CONVERTED = re.compile(
    r"test_(Conv2d|ConvTranspose2d|MaxPool2d|AvgPool2d|BatchNorm2d|Linear|ConstantPad2d|"
    r"ZeroPad2d|ReflectionPad2d|ReplicationPad2d|ReLU|LeakyReLU|ELU|Sigmoid|Tanh|Softplus|"
    r"Softsign|PReLU_2d|PixelShuffle|GLU|Softmax|LogSoftmax|softmax|log_softmax)")

# op type -> input positions that are weights (constants in a real model).
PARAM_OPERANDS = {
    "Conv": {1, 2}, "ConvTranspose": {1, 2}, "Gemm": {1, 2}, "MatMul": {1},
    "BatchNormalization": {1, 2, 3, 4}, "InstanceNormalization": {1, 2},
    "LayerNormalization": {1, 2}, "PRelu": {1}, "Pad": {1, 2}, "Resize": {1, 2, 3},
    "Upsample": {1}, "Reshape": {1}, "Clip": {1, 2}, "Pow": {1}, "Dropout": {1, 2},
    "ReduceMean": {1}, "Squeeze": {1}, "Unsqueeze": {1},
}

# name -> (the error it must get, why it is out of scope). Filled from
# real runs; every entry is checked.
OUT_OF_SCOPE = {
    "test_add_uint8": ('only float32 inputs are supported (element type 2)',
        "integer element types (the DSL's tensors are float32)"),
    "test_averagepool_1d_default": ('only 2-D inputs ([N, C, H, W]) are supported, got [1,3,32]',
        "1-D or 3-D windows (the DSL's convolutions and pools are 2-D)"),
    "test_averagepool_2d_pads": ('avg_pool2d: padding [2, 2] must be at most half of kernel [3, 3]',
        "pads over half the window, which PyTorch's pools refuse"),
    "test_averagepool_2d_pads_count_include_pad": ('avg_pool2d: padding [2, 2] must be at most half of kernel [3, 3]',
        "pads over half the window, which PyTorch's pools refuse"),
    "test_averagepool_2d_same_lower": ('asymmetric padding [1, 1, 0, 0] is not supported for average pooling without count_include',
        'asymmetric SAME padding with count_include_pad=0 has no PyTorch pool'),
    "test_averagepool_2d_same_upper": ('asymmetric padding [0, 0, 1, 1] is not supported for average pooling without count_include',
        'asymmetric SAME padding with count_include_pad=0 has no PyTorch pool'),
    "test_averagepool_3d_default": ('only 2-D inputs ([N, C, H, W]) are supported, got [1,3,32,32,32]',
        "1-D or 3-D windows (the DSL's convolutions and pools are 2-D)"),
    "test_batchnorm_epsilon_training_mode": ('training_mode=1 (batch statistics) is not supported; export the model in eval mode',
        'training-mode BatchNormalization (batch statistics)'),
    "test_batchnorm_example_training_mode": ('training_mode=1 (batch statistics) is not supported; export the model in eval mode',
        'training-mode BatchNormalization (batch statistics)'),
    "test_clip_default_int8_inbounds": ('only float32 inputs are supported (element type 3)',
        "integer element types (the DSL's tensors are float32)"),
    "test_clip_default_int8_max": ("initializer 'max': tensor 'max' has element type 3; only float32, float64, int32, int64 an",
        "integer element types (the DSL's tensors are float32)"),
    "test_clip_default_int8_min": ("initializer 'min': tensor 'min' has element type 3; only float32, float64, int32, int64 an",
        "integer element types (the DSL's tensors are float32)"),
    "test_convtranspose_1d": ('only 2-D inputs ([N, C, H, W]) are supported, got [1,1,3]',
        "1-D or 3-D windows (the DSL's convolutions and pools are 2-D)"),
    "test_convtranspose_3d": ('only 2-D inputs ([N, C, H, W]) are supported, got [1,1,3,4,5]',
        "1-D or 3-D windows (the DSL's convolutions and pools are 2-D)"),
    "test_depthtospace_dcr_mode": ("mode 'DCR' is not supported (CRD, PyTorch's pixel_shuffle, is)",
        "DepthToSpace's DCR order (PyTorch's pixel_shuffle is CRD)"),
    "test_depthtospace_example": ("mode 'DCR' is not supported (CRD, PyTorch's pixel_shuffle, is)",
        "DepthToSpace's DCR order (PyTorch's pixel_shuffle is CRD)"),
    "test_div_uint8": ('only float32 inputs are supported (element type 2)',
        "integer element types (the DSL's tensors are float32)"),
    "test_dropout_default_mask": ("output 1 ('z') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_dropout_default_mask_ratio": ("output 1 ('z') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_edge_pad": ('only float32 inputs are supported (element type 6)',
        "integer element types (the DSL's tensors are float32)"),
    "test_gemm_all_attributes": ('transA=1 is not supported (the input must be [batch, features])',
        'Gemm/MatMul forms that are no nn.Linear (transposed input, per-row bias, batched weights)'),
    "test_gemm_default_matrix_bias": ('C must broadcast as a bias over [4] features, got [3, 4]',
        'Gemm/MatMul forms that are no nn.Linear (transposed input, per-row bias, batched weights)'),
    "test_gemm_transposeA": ('transA=1 is not supported (the input must be [batch, features])',
        'Gemm/MatMul forms that are no nn.Linear (transposed input, per-row bias, batched weights)'),
    "test_identity_opt": ("input 'opt_in': error: only tensor inputs are supported",
        'optional and sequence types'),
    "test_identity_sequence": ("input 'x': error: only tensor inputs are supported",
        'optional and sequence types'),
    "test_layer_normalization_2d_axis0": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_2d_axis1": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_2d_axis_negative_1": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_2d_axis_negative_2": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_3d_axis0_epsilon": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_3d_axis1_epsilon": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_3d_axis2_epsilon": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_3d_axis_negative_1_epsilon": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_3d_axis_negative_2_epsilon": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_3d_axis_negative_3_epsilon": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_4d_axis0": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_4d_axis1": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_4d_axis2": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_4d_axis3": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_4d_axis_negative_1": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_4d_axis_negative_2": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_4d_axis_negative_3": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_4d_axis_negative_4": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_layer_normalization_default_axis": ("output 1 ('Mean') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_matmul_3d": ('the weight must be a float matrix, got [2, 4, 3]',
        'Gemm/MatMul forms that are no nn.Linear (transposed input, per-row bias, batched weights)'),
    "test_matmul_4d": ('the weight must be a float matrix, got [1, 2, 4, 3]',
        'Gemm/MatMul forms that are no nn.Linear (transposed input, per-row bias, batched weights)'),
    "test_maxpool_1d_default": ('only 2-D inputs ([N, C, H, W]) are supported, got [1,3,32]',
        "1-D or 3-D windows (the DSL's convolutions and pools are 2-D)"),
    "test_maxpool_2d_pads": ('max_pool2d: padding [2, 2] must be at most half of kernel [3, 3]',
        "pads over half the window, which PyTorch's pools refuse"),
    "test_maxpool_2d_uint8": ('only float32 inputs are supported (element type 2)',
        "integer element types (the DSL's tensors are float32)"),
    "test_maxpool_3d_default": ('only 2-D inputs ([N, C, H, W]) are supported, got [1,3,32,32,32]',
        "1-D or 3-D windows (the DSL's convolutions and pools are 2-D)"),
    "test_maxpool_with_argmax_2d_precomputed_pads": ("output 1 ('z') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_maxpool_with_argmax_2d_precomputed_strides": ("output 1 ('z') is not supported (only inference outputs are)",
        "training outputs (LayerNormalization's mean, Dropout's mask) or MaxPool's indices"),
    "test_mul_uint8": ('only float32 inputs are supported (element type 2)',
        "integer element types (the DSL's tensors are float32)"),
    "test_pow": ('the exponent must be one value, got shape [3,4,5]',
        "a tensor exponent (DSL.md's pow takes a float)"),
    "test_pow_bcast_array": ('the exponent must be one value, got shape [3]',
        "a tensor exponent (DSL.md's pow takes a float)"),
    "test_pow_example": ('the exponent must be one value, got shape [3]',
        "a tensor exponent (DSL.md's pow takes a float)"),
    "test_pow_types_float": ('only float32 inputs are supported (element type 7)',
        "integer element types (the DSL's tensors are float32)"),
    "test_pow_types_float32_int32": ('the exponent must be one value, got shape [3]',
        "a tensor exponent (DSL.md's pow takes a float)"),
    "test_pow_types_float32_int64": ('the exponent must be one value, got shape [3]',
        "a tensor exponent (DSL.md's pow takes a float)"),
    "test_pow_types_float32_uint32": ("initializer 'y': tensor 'y' has element type 12; only float32, float64, int32, int64 and b",
        "integer element types (the DSL's tensors are float32)"),
    "test_pow_types_float32_uint64": ("initializer 'y': tensor 'y' has element type 13; only float32, float64, int32, int64 and b",
        "integer element types (the DSL's tensors are float32)"),
    "test_pow_types_int": ('the exponent must be one value, got shape [3]',
        "a tensor exponent (DSL.md's pow takes a float)"),
    "test_pow_types_int32_float32": ('only float32 inputs are supported (element type 6)',
        "integer element types (the DSL's tensors are float32)"),
    "test_pow_types_int32_int32": ('only float32 inputs are supported (element type 6)',
        "integer element types (the DSL's tensors are float32)"),
    "test_pow_types_int64_float32": ('only float32 inputs are supported (element type 7)',
        "integer element types (the DSL's tensors are float32)"),
    "test_pow_types_int64_int64": ('only float32 inputs are supported (element type 7)',
        "integer element types (the DSL's tensors are float32)"),
    "test_prelu_broadcast": ('the slope must be one value or one per channel (axis 1) of [3,4,5], got shape [5]',
        "PRelu slopes over other axes than the channels (nn.PReLU's)"),
    "test_prelu_example": ('the slope must be one value or one per channel (axis 1) of [3,4,5], got shape [3,4,5]',
        "PRelu slopes over other axes than the channels (nn.PReLU's)"),
    "test_reflect_pad": ('only float32 inputs are supported (element type 6)',
        "integer element types (the DSL's tensors are float32)"),
    "test_reshape_allowzero_reordered": ("the target shape fixes the batch axis to 3, but the input's batch is chosen at run time",
        'a zero-sized input axis'),
    "test_resize_downsample_scales_cubic": ('only the same integer scale on H and W is supported, got 0.800000 and 0.800000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_downsample_scales_cubic_A_n0p5_exclude_outside": ('only the same integer scale on H and W is supported, got 0.800000 and 0.800000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_downsample_scales_cubic_align_corners": ('only the same integer scale on H and W is supported, got 0.800000 and 0.800000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_downsample_scales_linear": ('only the same integer scale on H and W is supported, got 0.600000 and 0.600000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_downsample_scales_linear_align_corners": ('only the same integer scale on H and W is supported, got 0.600000 and 0.600000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_downsample_scales_nearest": ('only the same integer scale on H and W is supported, got 0.600000 and 0.600000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_downsample_sizes_cubic": ('only the same integer scale on H and W is supported, got 0.750000 and 0.750000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_downsample_sizes_linear_pytorch_half_pixel": ('only the same integer scale on H and W is supported, got 0.750000 and 0.250000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_downsample_sizes_nearest": ('only the same integer scale on H and W is supported, got 0.500000 and 0.750000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn": ('only the same integer scale on H and W is supported, got 0.750000 and 0.500000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_tf_crop_and_resize": ('only the same integer scale on H and W is supported, got 0.750000 and 0.750000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_upsample_scales_cubic": ("mode 'cubic' with coordinate_transformation_mode 'half_pixel' and nearest_mode 'round_pref",
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_upsample_scales_cubic_A_n0p5_exclude_outside": ("mode 'cubic' with coordinate_transformation_mode 'half_pixel' and nearest_mode 'round_pref",
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_upsample_scales_cubic_align_corners": ("mode 'cubic' with coordinate_transformation_mode 'align_corners' and nearest_mode 'round_p",
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_upsample_scales_cubic_asymmetric": ("mode 'cubic' with coordinate_transformation_mode 'asymmetric' and nearest_mode 'round_pref",
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_upsample_scales_linear_align_corners": ("mode 'linear' with coordinate_transformation_mode 'align_corners' and nearest_mode 'round_",
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_upsample_scales_nearest": ('only the same integer scale on H and W is supported, got 2.000000 and 3.000000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_upsample_sizes_cubic": ('only the same integer scale on H and W is supported, got 2.250000 and 2.500000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_upsample_sizes_nearest": ('only the same integer scale on H and W is supported, got 3.500000 and 4.000000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_upsample_sizes_nearest_ceil_half_pixel": ("mode 'nearest' with coordinate_transformation_mode 'half_pixel' and nearest_mode 'ceil' is",
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_upsample_sizes_nearest_floor_align_corners": ("mode 'nearest' with coordinate_transformation_mode 'align_corners' and nearest_mode 'floor",
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric": ("mode 'nearest' with coordinate_transformation_mode 'asymmetric' and nearest_mode 'round_pr",
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_sub_uint8": ('only float32 inputs are supported (element type 2)',
        "integer element types (the DSL's tensors are float32)"),
    "test_upsample_nearest": ('only the same integer scale on H and W is supported, got 2.000000 and 3.000000',
        "resizing other than nn.Upsample's (one integer scale, nearest or bilinear without align_corners)"),
    "test_PixelShuffle": ("input '3' is a transposed tensor, which is supported only as Transpose -> Softmax -> Trans",
        "a run-time Transpose (no permute in the DSL); pixel_shuffle's ONNX form is DepthToSpace"),
}


def family_of(name):
    base = name[len("test_"):]
    return next((f for f in sorted(NODE_FAMILIES, key=len, reverse=True)
                 if base == f or base.startswith(f + "_")), None)


def select():
    tests = []
    node = os.path.join(DATA, "node")
    for name in sorted(os.listdir(node)):
        if family_of(name) and not name.endswith("_expanded"):
            tests.append(os.path.join(node, name))
    converted = os.path.join(DATA, "pytorch-converted")
    for name in sorted(os.listdir(converted)):
        if PYTORCH_CONVERTED.match(name):
            tests.append(os.path.join(converted, name))
    return tests


def read_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def prepare(test_dir, work):
    """Writes the model (weight inputs made initializers) and its inputs;
    returns (model path, [(input name, npy)], [(output name, expected)])."""
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    data = os.path.join(test_dir, "test_data_set_0")
    initializers = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in initializers]
    values = {i.name: read_tensor(os.path.join(data, f"input_{k}.pb"))
              for k, i in enumerate(graph_inputs)}
    uses = {}
    for node in model.graph.node:
        for pos, name in enumerate(node.input):
            uses.setdefault(name, []).append((node.op_type, pos))
    weights = [i for i in graph_inputs if uses.get(i.name) and all(
        pos in PARAM_OPERANDS.get(op, ()) for op, pos in uses[i.name])]
    for i in weights:
        model.graph.initializer.append(numpy_helper.from_array(values[i.name], i.name))
        model.graph.input.remove(i)
    path = os.path.join(work, "model.onnx")
    onnx.save(model, path)
    inputs = []
    for i in graph_inputs:
        if i in weights:
            continue
        npy = os.path.join(work, e2e_lib.onnx_identifier(i.name) + ".npy")
        value = values[i.name]
        np.save(npy, value.astype(np.float32) if value.dtype == np.float64 else value)
        inputs.append((e2e_lib.onnx_identifier(i.name), npy))
    outputs = [(e2e_lib.onnx_identifier(o.name),
                read_tensor(os.path.join(data, f"output_{k}.pb")))
               for k, o in enumerate(model.graph.output)]
    return path, inputs, outputs


def run_test(cnnopt_run, test_dir, numeric):
    """'' when the test behaves as this file says, else what went wrong."""
    name = os.path.basename(test_dir)
    with tempfile.TemporaryDirectory() as work:
        try:
            path, inputs, outputs = prepare(test_dir, work)
        except Exception:  # noqa: BLE001 (optional/sequence data onnx cannot read as arrays)
            if name not in OUT_OF_SCOPE:
                raise
            path, numeric = os.path.join(test_dir, "model.onnx"), False
        cmd = [cnnopt_run, path]
        if not numeric:
            cmd = [cnnopt_run.replace("cnnopt-run", "cnnopt"), path, "--print-params"]
        else:
            for n, npy in inputs:
                cmd += ["--input", f"{n}={npy}"]
            for n, _ in outputs:
                cmd += ["--output", f"{n}={os.path.join(work, n + '.out.npy')}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        expected = OUT_OF_SCOPE.get(name)
        if expected:
            message = expected[0]
            if proc.returncode != 1 or message not in proc.stderr or \
                    f"{path}: " not in proc.stderr:
                return f"expected exit 1 with '{message}', got {proc.returncode}: {proc.stderr.strip()}"
            return ""
        if proc.returncode != 0:
            return f"exit {proc.returncode}: {proc.stderr.strip()[-600:]}"
        if not numeric:
            return ""
        for n, ref in outputs:
            got = np.load(os.path.join(work, n + ".out.npy"))
            if got.shape != ref.shape:
                return f"output {n}: shape {got.shape}, expected {ref.shape}"
            err = float(np.max(np.abs(got.astype(np.float64) - ref))) if ref.size else 0.0
            scale = max(1.0, float(np.max(np.abs(ref)))) if ref.size else 1.0
            if not err <= 1e-4 * scale:
                return f"output {n}: max|err| {err:.3g} > 1e-4 * {scale:.3g}"
    return ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cnnopt-run", required=True)
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--only")
    parser.add_argument("--shard", help="K/N: numeric runs of every N-th test from K")
    parser.add_argument("--rotation", type=int, help="N: numeric shard by commit count")
    parser.add_argument("--import-only", action="store_true",
                        help="only the import of each test (the sanitized build's check)")
    args = parser.parse_args()
    tests = select()
    if args.list:
        for t in tests:
            print(os.path.relpath(t, DATA), "(out of scope)" if os.path.basename(t) in OUT_OF_SCOPE else "")
        return 0
    if args.only:
        tests = [t for t in tests if os.path.basename(t) == args.only]
    numeric = set(range(len(tests)))
    if args.import_only:
        numeric = set()
    elif args.shard or args.rotation:
        k, n = (map(int, args.shard.split("/")) if args.shard
                else (e2e_lib.commit_count() % args.rotation, args.rotation))
        numeric = set(range(k, len(tests), n))
        print(f"numeric checks: shard {k}/{n} ({len(numeric)} of {len(tests)} tests); "
              f"every test's import")
    failures = 0
    for index, test in enumerate(tests):
        try:
            problem = run_test(args.cnnopt_run, test, index in numeric)
        except Exception as e:  # unreadable test data is a failure, not a crash
            problem = f"{type(e).__name__}: {e}"
        label = os.path.relpath(test, DATA)
        if problem:
            failures += 1
            print(f"FAIL {label}: {problem}")
        else:
            kind = "out of scope" if os.path.basename(test) in OUT_OF_SCOPE else (
                "numeric" if index in numeric else "import")
            print(f"ok   {label} ({kind})")
    print(f"{len(tests) - failures} of {len(tests)} ONNX backend tests behave as listed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
