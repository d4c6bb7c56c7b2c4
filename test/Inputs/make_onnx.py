#!/usr/bin/env python3
"""Writes small ONNX models for the diagnostics and CLI tests.

  make_onnx.py KIND OUT.onnx

KIND: add (y = x + c, x: 2x3 float), unsupported (two unsupported ops beside a
supported one), empty (a graph without nodes), opset99 (an opset Lepton does
not accept), bad_attr (a Conv with an attribute Lepton does not know),
shape_clash (Add of 2x3 and 4x5), external (a Gemm whose weights live in
OUT.data as ONNX external data), dynamic (a Relu over a [N, 3] input),
dynamic_inner (a Relu over [2, M]), batch_mixing (a Softmax over the batch
axis of [N, 3]), defined_twice (two nodes writing one value, at opset 20,
which libonnx's checker does not cover), big_matmul (y = x @ w with x 128x256
and seeded weights w 256x128: large enough for the thread pool), conv_chain
(seeded Conv 3->8 3x3, Relu, MaxPool, depthwise Conv, Clip 0..6, Conv 8->6
1x1, Relu, GlobalAveragePool, Flatten, Gemm 6->4 over a 1x3x12x12 input: the
channels --prune removes).

  make_onnx.py relu_data DIR N

writes DIR/input_0.pb (N x 3 random floats) and DIR/output_0.pb (their Relu,
from numpy) for the dynamic model.

  make_onnx.py big_matmul_data DIR

writes an input and numpy's float64 product (as float32) for big_matmul.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def build(kind):
    c = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "c")
    if kind == "add":
        return model([helper.make_node("Add", ["x", "c"], ["y"], name="add0")],
                     [vi("x", [2, 3])], [vi("y", [2, 3])], [c])
    if kind == "unsupported":
        return model([helper.make_node("RandomUniformLike", ["x"], ["a"], name="random_uniform0"),
                      helper.make_node("Relu", ["a"], ["b"], name="relu0"),
                      helper.make_node("RandomNormalLike", ["b"], ["y"], name="random0")],
                     [vi("x", [2, 3])], [vi("y", [2, 3])], opset=14)
    if kind == "empty":
        return model([], [vi("x", [2, 3])], [vi("x", [2, 3])])
    if kind == "opset99":
        m = build("add")
        m.opset_import[0].version = 99
        return m
    if kind == "bad_attr":
        w = numpy_helper.from_array(np.ones((1, 1, 1, 1), np.float32), "w")
        node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv0")
        node.attribute.append(helper.make_attribute("fancy", 3))
        return model([node], [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 4, 4])], [w])
    if kind == "shape_clash":
        return model([helper.make_node("Add", ["x", "z"], ["y"], name="add_bad")],
                     [vi("x", [2, 3]), vi("z", [4, 5])], [vi("y", [2, 3])])
    if kind == "dynamic":
        return model([helper.make_node("Relu", ["x"], ["y"], name="relu0")],
                     [vi("x", ["N", 3])], [vi("y", ["N", 3])])
    if kind == "dynamic_inner":
        return model([helper.make_node("Relu", ["x"], ["y"], name="relu0")],
                     [vi("x", [2, "M"])], [vi("y", [2, "M"])])
    if kind == "batch_mixing":
        return model([helper.make_node("Softmax", ["x"], ["y"], name="softmax0", axis=0)],
                     [vi("x", ["N", 3])], [vi("y", ["N", 3])])
    if kind == "defined_twice":
        return model([helper.make_node("Relu", ["x"], ["y"], name="relu0"),
                      helper.make_node("Gelu", ["x"], ["y"], name="gelu0")],
                     [vi("x", [2, 3])], [vi("y", [2, 3])], opset=20)
    if kind == "big_matmul":
        return model([helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul0")],
                     [vi("x", [128, 256])], [vi("y", [128, 128])],
                     [numpy_helper.from_array(big_matmul_weights(), "w")])
    if kind == "external":
        w = numpy_helper.from_array(
            np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32), "w")
        b = numpy_helper.from_array(np.arange(4, dtype=np.float32), "b")
        return model([helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="gemm0")],
                     [vi("x", [2, 3])], [vi("y", [2, 4])], [w, b])
    if kind == "conv_chain":
        rng = np.random.default_rng(3)
        def init(name, *shape):
            return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
        bounds = [numpy_helper.from_array(np.array(v, np.float32), n)
                  for n, v in (("lo", 0.0), ("hi", 6.0))]
        nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1] * 4),
                 helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
                 helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                                  strides=[2, 2]),
                 helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], name="depthwise2",
                                  group=8, pads=[1] * 4),
                 helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"], name="clip2"),
                 helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], name="conv3"),
                 helper.make_node("Relu", ["c3"], ["r3"], name="relu3"),
                 helper.make_node("GlobalAveragePool", ["r3"], ["g"], name="gap"),
                 helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
                 helper.make_node("Gemm", ["f", "w4", "b4"], ["y"], name="fc", transB=1)]
        inits = [init("w1", 8, 3, 3, 3), init("b1", 8), init("w2", 8, 1, 3, 3), init("b2", 8),
                 init("w3", 6, 8, 1, 1), init("b3", 6), init("w4", 4, 6), init("b4", 4), *bounds]
        return model(nodes, [vi("x", [1, 3, 12, 12])], [vi("y", [1, 4])], inits)
    raise SystemExit(f"unknown kind {kind}")


def big_matmul_weights():
    return np.random.default_rng(1).standard_normal((256, 128)).astype(np.float32)


def write_big_matmul_data(directory):
    os.makedirs(directory, exist_ok=True)
    x = np.random.default_rng(2).standard_normal((128, 256)).astype(np.float32)
    y = (x.astype(np.float64) @ big_matmul_weights().astype(np.float64)).astype(np.float32)
    for role, name, array in (("input", "x", x), ("output", "y", y)):
        with open(os.path.join(directory, f"{role}_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(array, name).SerializeToString())


def write_relu_data(directory, entries):
    os.makedirs(directory, exist_ok=True)
    x = np.random.default_rng(entries).standard_normal((entries, 3)).astype(np.float32)
    for role, name, array in (("input", "x", x), ("output", "y", np.maximum(x, 0))):
        with open(os.path.join(directory, f"{role}_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(array, name).SerializeToString())


if __name__ == "__main__":
    if sys.argv[1] == "relu_data":
        write_relu_data(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    if sys.argv[1] == "big_matmul_data":
        write_big_matmul_data(sys.argv[2])
        sys.exit(0)
    m = build(sys.argv[1])
    if sys.argv[1] == "external":
        # Weights go to a side file next to the model, as large models do.
        location = os.path.basename(sys.argv[2]) + ".data"
        onnx.save_model(m, sys.argv[2], save_as_external_data=True,
                        all_tensors_to_one_file=True, location=location, size_threshold=0)
    else:
        with open(sys.argv[2], "wb") as f:
            f.write(m.SerializeToString())
