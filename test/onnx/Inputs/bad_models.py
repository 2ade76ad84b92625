"""Writes the ONNX files errors.test feeds to cnnopt: one problem each."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def model(nodes, inits=(), opset=13, inputs=None, outputs=None):
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])]
    outputs = outputs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def save(name, m):
    onnx.save(m, os.path.join(out, name + ".onnx"))


weight = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
relu = helper.make_node("Relu", ["x"], ["y"], name="act")
save("opset18", model([relu], opset=18))
save("unsupported_op", model([helper.make_node("Einsum", ["x"], ["y"], name="mix", equation="ij")]))
save("unknown_attribute", model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv1",
                                                  kernel_shape=[3, 3], foo=1)], [weight]))
save("bad_auto_pad", model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv1",
                                             auto_pad="SOMETIMES")], [weight]))
save("weight_not_constant", model(
    [helper.make_node("Conv", ["x", "x"], ["y"], name="conv1")]))
# view(x.size(0) * 2, -1): arithmetic with the run-time batch.
save("batch_arithmetic", model([
    helper.make_node("Shape", ["x"], ["s"], name="shape"),
    helper.make_node("Gather", ["s", "zero"], ["n"], name="batch", axis=0),
    helper.make_node("Mul", ["n", "two"], ["n2"], name="twice"),
    helper.make_node("Unsqueeze", ["n2", "axes"], ["n2u"], name="unsq"),
    helper.make_node("Concat", ["n2u", "minus1"], ["target"], name="cat", axis=0),
    helper.make_node("Reshape", ["x", "target"], ["y"], name="view"),
], [numpy_helper.from_array(np.array(0, np.int64), "zero"),
    numpy_helper.from_array(np.array(2, np.int64), "two"),
    numpy_helper.from_array(np.array([0], np.int64), "axes"),
    numpy_helper.from_array(np.array([-1], np.int64), "minus1")]))
save("shape_from_tensor", model([
    helper.make_node("Relu", ["x"], ["r"], name="act"),
    helper.make_node("Reshape", ["x", "r"], ["y"], name="view")]))
save("training_batchnorm", model([helper.make_node(
    "BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn1", training_mode=1)],
    [numpy_helper.from_array(np.ones(3, np.float32), n) for n in "sbmv"], opset=15))
save("maxpool_indices", model(
    [helper.make_node("MaxPool", ["x"], ["p", "i"], name="pool1", kernel_shape=[2, 2]),
     helper.make_node("Relu", ["p"], ["y"], name="act")],
    outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
             helper.make_tensor_value_info("i", TensorProto.INT64, None)]))
save("conv1d", model([helper.make_node("Conv", ["x", "w1"], ["y"], name="conv1")],
                     [numpy_helper.from_array(np.ones((4, 3, 3), np.float32), "w1")],
                     inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8])]))
save("int_input", model([relu], inputs=[helper.make_tensor_value_info("x", TensorProto.INT32, [1, 3])]))
save("symbolic_height", model([relu], inputs=[
    helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", 8])]))
save("shape_mismatch", model([helper.make_node("Add", ["x", "c"], ["y"], name="plus")],
                             [numpy_helper.from_array(np.ones((5, 1, 1), np.float32), "c")]))
save("undefined_input", model([helper.make_node("Relu", ["nowhere"], ["y"], name="act")]))
bad = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
bad.raw_data = bad.raw_data[:10]
save("short_initializer", model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv1")], [bad]))

save("huge_constant", model([
    helper.make_node("ConstantOfShape", ["s"], ["c"], name="big"),
    helper.make_node("Add", ["x", "c"], ["y"], name="plus")],
    [numpy_helper.from_array(np.array([1000000, 1000000], np.int64), "s")]))

good = model([relu]).SerializeToString()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(good[: len(good) // 2])
with open(os.path.join(out, "garbage.onnx"), "wb") as f:
    f.write(b"\x07\xff\xff\xff\xff not a protobuf")
