#!/usr/bin/env python3
"""Writes single-op test cases whose expected outputs come from numpy in float64.

For ops the ONNX backend test suite does not cover (LpPool with p = 3, pads and
strides; GlobalLpPool; LpNormalization; the opset 18-20 forms that the Debian
libonnx 1.12 test data predates: GroupNormalization, Gelu, reduction axes as an
input) or covers only with tiny inputs (Det on 2x2 matrices), each case is
OUT/<name>/model.onnx plus test_data_set_0 in the backend-test layout, checked
with run_onnx_suite.py like the ONNX suites.

  float64_cases.py OUT
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def lp_pool(x, kernel, strides, pads, p):
    padded = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    rows = (padded.shape[2] - kernel[0]) // strides[0] + 1
    cols = (padded.shape[3] - kernel[1]) // strides[1] + 1
    out = np.zeros(x.shape[:2] + (rows, cols))
    for i in range(rows):
        for j in range(cols):
            window = padded[:, :, i * strides[0]:i * strides[0] + kernel[0],
                            j * strides[1]:j * strides[1] + kernel[1]]
            out[:, :, i, j] = (np.abs(window) ** p).sum(axis=(2, 3)) ** (1.0 / p)
    return out


def gelu(x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2)))


def group_norm(x, scale, bias, groups, eps=1e-5):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1)
    y = (g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True) + eps)
    y = y * scale[None, :, None] + bias[None, :, None]
    return y.reshape(x.shape)


def conv2d(x, w, b, strides, pads, group=1):
    padded = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, _, _ = x.shape
    m, cg, kh, kw = w.shape
    rows = (padded.shape[2] - kh) // strides[0] + 1
    cols = (padded.shape[3] - kw) // strides[1] + 1
    out = np.zeros((n, m, rows, cols))
    mg = m // group
    for g in range(group):
        for i in range(rows):
            for j in range(cols):
                window = padded[:, g * cg:(g + 1) * cg, i * strides[0]:i * strides[0] + kh,
                                j * strides[1]:j * strides[1] + kw]
                out[:, g * mg:(g + 1) * mg, i, j] = np.einsum(
                    "nckl,mckl->nm", window, w[g * mg:(g + 1) * mg])
    return out + b[None, :, None, None]


def pruned(rng, shape, zeros):
    """Float32 weights with the share `zeros` of them 0 (and the first output
    channel all 0), as --prune leaves a layer: the CPU kernels then skip them.
    Scaled by the fan-in, so that float32 sums stay within the tolerance."""
    fan_in = np.prod(shape[1:])
    w = (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32).astype(np.float64)
    w[rng.random(shape) < zeros] = 0
    w[0] = 0
    return w


def cases(rng):
    # Inputs are float32 values (what the model receives), held in float64.
    normal = lambda shape: rng.standard_normal(shape).astype(np.float32).astype(np.float64)
    x = normal((2, 3, 7, 6))
    yield ("lp_pool_p3_pads_strides",
           helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[3, 2], strides=[2, 1],
                            pads=[1, 0, 1, 1], p=3),
           x, lp_pool(x, [3, 2], [2, 1], [1, 0, 1, 1], 3))
    yield ("lp_pool_p2", helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[2, 2]),
           x, lp_pool(x, [2, 2], [1, 1], [0, 0, 0, 0], 2))
    yield ("global_lp_pool_p1", helper.make_node("GlobalLpPool", ["x"], ["y"], p=1),
           x, np.abs(x).sum(axis=(2, 3), keepdims=True))
    yield ("lp_normalization_p1", helper.make_node("LpNormalization", ["x"], ["y"], axis=1, p=1),
           x, x / np.abs(x).sum(axis=1, keepdims=True))
    yield ("lp_normalization_p2", helper.make_node("LpNormalization", ["x"], ["y"]),
           x, x / np.sqrt((x ** 2).sum(axis=-1, keepdims=True)))
    m = normal((4, 6, 6))
    yield ("det_6x6", helper.make_node("Det", ["x"], ["y"]), m, np.linalg.det(m))
    for approximate in ("none", "tanh"):
        yield (f"gelu_{approximate}_opset20",
               helper.make_node("Gelu", ["x"], ["y"], approximate=approximate),
               x, gelu(x, approximate), 20)
    scale, bias = np.array([0.5, 2.0, -1.0]), np.array([0.1, 0.0, -0.3])
    c6 = normal((2, 6, 4, 5))
    yield ("group_normalization_opset18",
           helper.make_node("GroupNormalization", ["x", "scale", "bias"], ["y"], num_groups=3),
           c6, group_norm(c6, scale, bias, 3), 18, {"scale": scale, "bias": bias})
    # Convolutions whose weights are mostly zeros run as sparse kernels: a
    # 3x3 window of 216 inputs (several blocks of the reduction) at stride 2,
    # 42 output positions (one partial column tile); a 1x1 one over 900
    # positions (full tiles and a partial one); a grouped one.
    for name, shape, xs, strides, pads, group in (
            ("sparse_conv_3x3_stride2", (40, 24, 3, 3), (1, 24, 13, 11), [2, 2], [1, 1, 1, 0], 1),
            ("sparse_conv_1x1", (33, 160, 1, 1), (1, 160, 30, 30), [1, 1], [0, 0, 0, 0], 1),
            ("sparse_conv_grouped", (16, 12, 3, 3), (2, 24, 9, 9), [1, 1], [1, 1, 1, 1], 2)):
        w, b, xi = pruned(rng, shape, 0.7), normal((shape[0],)), normal(xs)
        yield (name, helper.make_node("Conv", ["x", "w", "b"], ["y"], strides=strides, pads=pads,
                                      group=group),
               xi, conv2d(xi, w, b, strides, pads, group), 13, {"w": w, "b": b})
    yield ("reduce_mean_axes_input_opset18",
           helper.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=0),
           x, x.mean(axis=(1, 3)), 18, {"axes": np.array([1, -1], dtype=np.int64)})


def main():
    out = sys.argv[1]
    for name, node, x, expected, *rest in cases(np.random.default_rng(0)):
        opset = rest[0] if rest else 13
        weights = [numpy_helper.from_array(v if v.dtype == np.int64 else v.astype(np.float32), k)
                   for k, v in (rest[1] if len(rest) > 1 else {}).items()]
        x = x.astype(np.float32)
        case = os.path.join(out, name)
        os.makedirs(os.path.join(case, "test_data_set_0"), exist_ok=True)
        graph = helper.make_graph(
            [node], name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, expected.shape)], weights)
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]),
                  os.path.join(case, "model.onnx"))
        for role, name_, array in (("input", "x", x), ("output", "y", expected.astype(np.float32))):
            with open(os.path.join(case, "test_data_set_0", f"{role}_0.pb"), "wb") as f:
                f.write(numpy_helper.from_array(array, name_).SerializeToString())


if __name__ == "__main__":
    main()
