#!/usr/bin/env python3
"""Imported int8 models through the compress dialect, checked bit-exactly.

Builds quantized ONNX models with seeded random weights (QLinearConv /
QLinearMatMul with constant parameters, and the QDQ form quantization tools
write: DequantizeLinear -> Conv/Gemm -> Relu -> QuantizeLinear, and Add),
computes their outputs with reference.py (the integer semantics of
docs/quantization.md in numpy), compiles them with leptonc, runs them with
lepton-run and requires identical integers. With --fake-cuda-driver, the
CUDA target's kernels run too (emulated on the host by the stand-in driver,
as in cuda_ptx_suite.py) and must give the same integers. With --ort, also
runs ONNX Runtime and reports how far it is: ORT rescales in float with
round-half-to-even, Lepton in fixed point with round-half-up, so single steps
may differ, never by more.

  run.py --bin build/bin --work DIR [--fake-cuda-driver LIB] [--ort ORT_PACKAGE_DIR]
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
F32 = np.float32


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def save_case(work, name, graph, inputs, expected):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    case = os.path.join(work, name)
    data = os.path.join(case, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    onnx.save(model, os.path.join(case, "model.onnx"))
    for i, x in enumerate(inputs):
        with open(os.path.join(data, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x, graph.input[i].name).SerializeToString())
    ref_dir = os.path.join(case, "reference")
    os.makedirs(ref_dir, exist_ok=True)
    for i, y in enumerate(expected):
        with open(os.path.join(ref_dir, f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(y, graph.output[i].name).SerializeToString())
    return case


def qlinear_case(work, rng):
    """Two QLinearConvs (per-channel and grouped per-tensor weights) and a
    QLinearMatMul on uint8 activations."""
    x = rng.integers(0, 256, (1, 3, 10, 10), dtype=np.uint8)
    xs, xz = F32(0.02), np.uint8(128)
    w1 = rng.integers(-127, 128, (8, 3, 3, 3), dtype=np.int8)
    w1s = rng.uniform(0.002, 0.01, 8).astype(F32)
    b1 = rng.integers(-2000, 2000, 8, dtype=np.int32)
    y1s, y1z = F32(0.05), np.uint8(120)
    w2 = rng.integers(-127, 128, (8, 4, 3, 3), dtype=np.int8)
    w2s = F32(0.004)
    y2s, y2z = F32(0.08), np.uint8(100)
    w3 = rng.integers(-127, 128, (200, 10), dtype=np.int8)
    w3s, w3z = F32(0.003), np.int8(0)
    y3s, y3z = F32(0.2), np.uint8(128)

    nodes = [
        helper.make_node("QLinearConv", ["x", "xs", "xz", "w1", "w1s", "w1z", "y1s", "y1z", "b1"],
                         ["y1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("QLinearConv", ["y1", "y1s", "y1z", "w2", "w2s", "w2z", "y2s", "y2z"],
                         ["y2"], pads=[1, 1, 1, 1], strides=[2, 2], group=2, name="conv2"),
        helper.make_node("Reshape", ["y2", "shape"], ["flat"], name="flatten"),
        helper.make_node("QLinearMatMul", ["flat", "y2s", "y2z", "w3", "w3s", "w3z", "y3s", "y3z"],
                         ["y3"], name="fc"),
    ]
    inits = [const("xs", xs), const("xz", xz), const("w1", w1), const("w1s", w1s),
             const("w1z", np.zeros(8, np.int8)), const("y1s", y1s), const("y1z", y1z),
             const("b1", b1), const("w2", w2), const("w2s", w2s), const("w2z", np.int8(0)),
             const("y2s", y2s), const("y2z", y2z), const("shape", np.array([1, 200], np.int64)),
             const("w3", w3), const("w3s", w3s), const("w3z", w3z), const("y3s", y3s),
             const("y3z", y3z)]
    graph = helper.make_graph(
        nodes, "qlinear", [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 3, 10, 10])],
        [helper.make_tensor_value_info("y3", TensorProto.UINT8, [1, 10]),
         helper.make_tensor_value_info("y2", TensorProto.UINT8, [1, 8, 5, 5])], inits)

    acc1 = ref.conv(x, xz, w1, np.zeros(8), b1, [1, 1, 1, 1], [1, 1])
    y1 = ref.requantize(acc1, xs.astype(np.float64) * w1s.astype(np.float64), y1s, y1z, np.uint8)
    acc2 = ref.conv(y1, y1z, w2, np.zeros(8), None, [1, 1, 1, 1], [2, 2], group=2)
    y2 = ref.requantize(acc2, float(y1s) * float(w2s), y2s, y2z, np.uint8)
    flat = y2.reshape(1, 200)
    acc3 = (flat.astype(np.int64) - int(y2z)) @ (w3.astype(np.int64) - int(w3z))
    y3 = ref.requantize(acc3, float(y2s) * float(w3s), y3s, y3z, np.uint8)
    return save_case(work, "qlinear_convs_matmul", graph, [x], [y3, y2])


def qdq_case(work, rng):
    """The QDQ form: a residual block (Conv-Relu, Conv, Add-Relu) with
    per-channel int8 weights and float biases, then Flatten and a Gemm with an
    int8 output, on a float input."""
    x = rng.standard_normal((1, 4, 6, 6)).astype(F32)
    xs, xz = F32(0.03), np.uint8(128)
    w1 = rng.integers(-127, 128, (8, 4, 3, 3), dtype=np.int8)
    w1s = rng.uniform(0.002, 0.006, 8).astype(F32)
    b1 = rng.uniform(-0.5, 0.5, 8).astype(F32)
    a1s, a1z = F32(0.04), np.uint8(0)
    w2 = rng.integers(-127, 128, (8, 8, 3, 3), dtype=np.int8)
    w2s = rng.uniform(0.001, 0.004, 8).astype(F32)
    b2 = rng.uniform(-0.5, 0.5, 8).astype(F32)
    a2s, a2z = F32(0.05), np.uint8(110)
    a3s, a3z = F32(0.06), np.uint8(0)
    w4 = rng.integers(-127, 128, (10, 288), dtype=np.int8)
    w4s = rng.uniform(0.001, 0.003, 10).astype(F32)
    b4 = rng.uniform(-1, 1, 10).astype(F32)
    ys, yz = F32(0.1), np.int8(-3)

    def qdq(name, src, scale, zp):
        return [helper.make_node("QuantizeLinear", [src, scale, zp], [name + "_q"],
                                 name=name + "_quantize"),
                helper.make_node("DequantizeLinear", [name + "_q", scale, zp], [name + "_dq"],
                                 name=name + "_dequantize")]

    def weight(name):
        return helper.make_node("DequantizeLinear", [name, name + "s", name + "z"],
                                [name + "_dq"], axis=0, name=name + "_dequantize")

    nodes = qdq("x", "x", "xs", "xz") + [
        weight("w1"),
        helper.make_node("Conv", ["x_dq", "w1_dq", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1")] + qdq("a1", "r1", "a1s", "a1z") + [
        weight("w2"),
        helper.make_node("Conv", ["a1_dq", "w2_dq", "b2"], ["c2"], pads=[1, 1, 1, 1], name="conv2"),
        ] + qdq("a2", "c2", "a2s", "a2z") + [
        helper.make_node("Add", ["a2_dq", "a1_dq"], ["s"], name="residual"),
        helper.make_node("Relu", ["s"], ["r3"], name="relu3")] + qdq("a3", "r3", "a3s", "a3z") + [
        helper.make_node("Flatten", ["a3_dq"], ["f"], name="flatten")] + qdq("f", "f", "a3s", "a3z") + [
        weight("w4"),
        helper.make_node("Gemm", ["f_dq", "w4_dq", "b4"], ["g"], transB=1, name="fc"),
        helper.make_node("QuantizeLinear", ["g", "ys", "yz"], ["y"], name="fc_quantize")]
    inits = [const("xs", xs), const("xz", xz), const("w1", w1), const("w1s", w1s),
             const("w1z", np.zeros(8, np.int8)), const("b1", b1), const("a1s", a1s),
             const("a1z", a1z), const("w2", w2), const("w2s", w2s),
             const("w2z", np.zeros(8, np.int8)), const("b2", b2), const("a2s", a2s),
             const("a2z", a2z), const("a3s", a3s), const("a3z", a3z), const("w4", w4),
             const("w4s", w4s), const("w4z", np.zeros(10, np.int8)), const("b4", b4),
             const("ys", ys), const("yz", yz)]
    graph = helper.make_graph(
        nodes, "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.INT8, [1, 10]),
         helper.make_tensor_value_info("a3_q", TensorProto.UINT8, [1, 8, 6, 6])], inits)

    d = np.float64
    xq = ref.quantize(x, xs, xz, np.uint8)
    s1 = d(xs) * w1s.astype(d)
    acc1 = ref.conv(xq, xz, w1, np.zeros(8), ref.bias_to_int32(b1, s1), [1, 1, 1, 1], [1, 1])
    a1 = ref.requantize(acc1, s1, a1s, a1z, np.uint8, clamp_min=int(a1z))
    s2 = d(a1s) * w2s.astype(d)
    acc2 = ref.conv(a1, a1z, w2, np.zeros(8), ref.bias_to_int32(b2, s2), [1, 1, 1, 1], [1, 1])
    a2 = ref.requantize(acc2, s2, a2s, a2z, np.uint8)
    a3 = ref.add(a2, a2s, int(a2z), a1, a1s, int(a1z), a3s, int(a3z), np.uint8,
                 clamp_min=int(a3z))
    # Flatten runs in float between a DequantizeLinear and a QuantizeLinear.
    f = ref.quantize(ref.dequantize(a3, a3s, a3z).reshape(1, 288), a3s, a3z, np.uint8)
    s4 = d(a3s) * w4s.astype(d)
    acc4 = (f.astype(np.int64) - int(a3z)) @ w4.astype(np.int64).T + ref.bias_to_int32(b4, s4)
    y = ref.requantize_last_axis(acc4, s4, ys, int(yz), np.int8)
    return save_case(work, "qdq_residual_gemm", graph, [x], [y, a3])


def read_pb(path):
    return numpy_helper.to_array(onnx.load_tensor(path))


def check_target(args, case, target, flags, env):
    """Compiles `case` for `target`, runs it and compares every output with the
    reference bit for bit; returns the number of failures."""
    name = f"{os.path.basename(case)} ({target})"
    so = os.path.join(case, f"{target}.so")
    out = os.path.join(case, target)
    os.makedirs(out, exist_ok=True)
    steps = [[os.path.join(args.bin, "leptonc"), os.path.join(case, "model.onnx"), "-o", so,
              "-q"] + flags,
             [os.path.join(args.bin, "lepton-run"), so, "--inputs",
              os.path.join(case, "test_data_set_0"), "--outputs", out]
             + (["--device=cuda"] if target == "cuda" else [])]
    for step in steps:
        r = subprocess.run(step, capture_output=True, text=True, env=env or None)
        if r.returncode:
            print(f"FAIL {name}: {' '.join(step)}\n{r.stderr}")
            return 1
    failed = 0
    for i in range(len(os.listdir(os.path.join(case, "reference")))):
        got = read_pb(os.path.join(out, f"output_{i}.pb"))
        want = read_pb(os.path.join(case, "reference", f"output_{i}.pb"))
        if got.dtype != want.dtype or not np.array_equal(got, want):
            diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
            print(f"FAIL {name} output {i}: {np.count_nonzero(diff)} of {diff.size} "
                  f"differ from the reference (max {diff.max()})")
            failed += 1
        else:
            print(f"ok   {name} output {i}: {want.size} values bit-exact")
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--fake-cuda-driver", help="the stand-in libcuda of test/unit")
    parser.add_argument("--ort", help="onnxruntime-node package directory")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    cases = [qlinear_case(args.work, rng), qdq_case(args.work, rng)]
    failed = 0
    for case in cases:
        name = os.path.basename(case)
        ir = subprocess.run([os.path.join(args.bin, "leptonc"), os.path.join(case, "model.onnx"),
                             "--emit=compressed", "-o", "-", "-q"],
                            capture_output=True, text=True)
        kept = [op for op in ("qlinear_conv", "qlinear_mat_mul", "nn.conv", "nn.gemm", "nn.add")
                if op in ir.stdout]
        if ir.returncode or kept:
            print(f"FAIL {name}: the compress phase kept {kept or ir.stderr}")
            failed += 1
            continue
        failed += check_target(args, case, "cpu", [], {})
        if args.fake_cuda_driver:
            emulation = os.path.join(case, "kernels.so")
            env = dict(os.environ, LEPTON_CUDA_DRIVER=args.fake_cuda_driver,
                       FAKE_CUDA_ARCH="80", FAKE_CUDA_EMULATION=emulation)
            failed += check_target(args, case, "cuda",
                                   ["--target=cuda", "--gpu-arch=sm_80",
                                    "--cuda-emulation-library", emulation], env)
    if args.ort and not failed:
        subprocess.run(["node", os.path.join(HERE, "..", "models", "ort_reference.mjs"), args.ort]
                       + cases, check=True)
        for case in cases:
            count = len(os.listdir(os.path.join(case, "reference")))
            for i in range(count):
                got = read_pb(os.path.join(case, "cpu", f"output_{i}.pb")).astype(np.int64)
                ort = read_pb(os.path.join(case, "test_data_set_0", f"output_{i}.pb")).astype(np.int64)
                diff = np.abs(got - ort)
                verdict = "ok  " if diff.max() <= 1 else "FAIL"
                failed += diff.max() > 1
                print(f"{verdict} {os.path.basename(case)} output {i} vs ONNX Runtime: "
                      f"{np.count_nonzero(diff)} of {diff.size} differ, by at most {diff.max()} "
                      f"step (allowed: 1)")
    print(f"{len(cases)} quantized models, {failed} failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
