#!/usr/bin/env python3
"""leptonc --quantize=int8 with calibration against the float model (teacher).

For each real model of the models fixture (exported by models/generate.py;
the UNet's skip connections are Concats, which must run on integers),
and a generated CNN whose batch normalizations are separate ops (torch's
export folds them; the compress phase must):
writes seeded random calibration input sets (.npy for some, backend-test
.pb for others), compiles the model with --quantize=int8 and each
--calibration method, and checks the report: every candidate op quantized,
weights about 4x smaller, and the fidelity the compiler measured against the
float model (SQNR, top-1 agreement) above a floor. Then runs the int8 and
the float artifact on a held-out input and checks the SQNR between them, so
the compiler's own measurement is checked too. The mse artifact is compiled
again for x86-64-v3 (AVX2: the 16-bit pair dot-product kernels) and for
plain x86-64 (SSE2: widened multiplies); on the held-out input both must
give the host build's outputs bit for bit (on a VNNI host, its vpdpbusd
kernels).

  calibration.py --bin build/bin --models build/test/models --work DIR
"""
import argparse
import json
import math
import re
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

# model, calibration methods, input file format, SQNR floor (dB) on the
# calibration sets and on a held-out input[, further leptonc flags].
CASES = [
    ("conv_bn", ["mse"], "npy", 30, 25),
    ("lenet5_opset13", ["minmax", "percentile", "entropy", "mse"], "npy", 30, 25),
    ("resnet18_opset13", ["mse"], "pb", 25, 20),
    ("mobilenet_v2_opset13", ["mse"], "pb", 25, 20),
    # Its ReLU6s become per-channel clamps of the requantizations.
    ("mobilenet_v2_opset13", ["mse"], "pb", 25, 20, ["--cross-layer-equalization"]),
    ("unet_opset13", ["mse"], "npy", 30, 25),
    # int16 activations (residual adds, pooling and the classifier too).
    ("resnet18_opset13", ["mse"], "pb", 45, 40, ["--quantize=int16"]),
]
SETS = 8


def conv_bn_model(models):
    """Conv-BN-Relu twice, global pooling and a Gemm, seeded random weights."""
    from onnx import TensorProto, helper
    rng = np.random.default_rng(5)
    init = []

    def tensor(name, array):
        init.append(numpy_helper.from_array(np.asarray(array, np.float32), name))
        return name

    nodes = []
    x = "x"
    for i, (cin, cout) in enumerate([(3, 8), (8, 16)]):
        nodes.append(helper.make_node(
            "Conv", [x, tensor(f"w{i}", rng.standard_normal((cout, cin, 3, 3)) * 0.3)],
            [f"c{i}"], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node(
            "BatchNormalization",
            [f"c{i}", tensor(f"g{i}", rng.uniform(0.5, 1.5, cout)),
             tensor(f"b{i}", rng.uniform(-0.2, 0.2, cout)),
             tensor(f"m{i}", rng.uniform(-0.3, 0.3, cout)),
             tensor(f"v{i}", rng.uniform(0.5, 2.0, cout))], [f"n{i}"]))
        nodes.append(helper.make_node("Relu", [f"n{i}"], [f"r{i}"]))
        x = f"r{i}"
    nodes += [helper.make_node("GlobalAveragePool", [x], ["p"]),
              helper.make_node("Flatten", ["p"], ["f"]),
              helper.make_node("Gemm", ["f", tensor("fw", rng.standard_normal((10, 16)) * 0.3),
                                        tensor("fb", rng.standard_normal(10) * 0.1)], ["y"],
                               transB=1)]
    graph = helper.make_graph(
        nodes, "conv_bn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    case = os.path.join(models, "conv_bn")
    os.makedirs(os.path.join(case, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(case, "model.onnx"))
    with open(os.path.join(case, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(np.zeros((1, 3, 16, 16), np.float32), "x")
                .SerializeToString())
    return case


def read_pb(path):
    return numpy_helper.to_array(onnx.load_tensor(path))


def write_sets(model_dir, work, fmt, rng):
    """SETS calibration sets and one held-out set shaped like the model's
    test inputs."""
    example = os.path.join(model_dir, "test_data_set_0")
    inputs = sorted(f for f in os.listdir(example) if f.startswith("input_"))
    shapes = [read_pb(os.path.join(example, f)) for f in inputs]
    calibration = os.path.join(work, "calibration")
    for s in range(SETS + 1):
        d = os.path.join(calibration if s < SETS else work, f"set_{s}" if s < SETS else "held_out")
        os.makedirs(d, exist_ok=True)
        for i, like in enumerate(shapes):
            x = rng.standard_normal(like.shape).astype(like.dtype)
            if fmt == "npy" and s < SETS:
                np.save(os.path.join(d, f"input_{i}.npy"), x)
            else:
                with open(os.path.join(d, f"input_{i}.pb"), "wb") as f:
                    f.write(numpy_helper.from_array(x).SerializeToString())
    return calibration, os.path.join(work, "held_out")


def run(args, so, inputs, out):
    os.makedirs(out, exist_ok=True)
    subprocess.run([os.path.join(args.bin, "lepton-run"), so, "--inputs", inputs, "--outputs", out],
                   check=True, capture_output=True)
    return read_pb(os.path.join(out, "output_0.pb")).astype(np.float64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--models", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(11)
    failures = 0
    generated = os.path.join(args.work, "generated")
    conv_bn_model(generated)
    for name, methods, fmt, floor, held_out_floor, *more in CASES:
        flags = more[0] if more else []
        quantize = [f for f in flags if f.startswith("--quantize")] or ["--quantize=int8"]
        flags = quantize + [f for f in flags if not f.startswith("--quantize")]
        model_dir = os.path.join(generated if name == "conv_bn" else args.models, name)
        work = os.path.join(args.work, name + "".join(f.replace("--", "_") for f in flags))
        calibration, held_out = write_sets(model_dir, work, fmt, rng)
        model = os.path.join(model_dir, "model.onnx")
        float_so = os.path.join(work, "float.so")
        subprocess.run([os.path.join(args.bin, "leptonc"), model, "-o", float_so, "-q"], check=True)
        teacher = run(args, float_so, held_out, os.path.join(work, "float_out"))
        for method in methods:
            so = os.path.join(work, f"int8_{method}.so")
            report_path = os.path.join(work, f"int8_{method}.json")
            r = subprocess.run([os.path.join(args.bin, "leptonc"), model, "-o", so, "-q",
                                "--calibration-data", calibration,
                                f"--calibration={method}", "--report", report_path,
                                "--calibration-cache", os.path.join(args.work, "cache")] + flags,
                               capture_output=True, text=True)
            if r.returncode:
                print(f"FAIL {name} ({method}): leptonc exited {r.returncode}\n{r.stderr}")
                failures += 1
                continue
            c = json.load(open(report_path))["compression"]
            sqnr = c["outputs"][0]["sqnr_db"]
            student = run(args, so, held_out, os.path.join(work, f"int8_{method}_out"))
            held = 10 * math.log10(np.sum(teacher ** 2) / max(np.sum((teacher - student) ** 2), 1e-30))
            problems = []
            if c["calibration_sets"] != SETS:
                problems.append(f"{c['calibration_sets']} calibration sets read, not {SETS}")
            ir = subprocess.run([os.path.join(args.bin, "leptonc"), model, "-o", "-", "-q",
                                 "--emit=compressed", "--calibration-data",
                                 calibration, f"--calibration={method}", "--calibration-cache",
                                 os.path.join(args.work, "cache")] + flags,
                                capture_output=True, text=True).stdout
            if "nn.batch_normalization" in ir or "nn.conv " in ir:
                problems.append("a batch normalization or float convolution is left")
            if re.search(r"nn\.concat .*xf32>$", ir, re.M):
                problems.append("a Concat is left in float")
            if "--cross-layer-equalization" in flags and (not c["cross_layer_equalization"] or "channel_clamp_max" not in ir
                          or "nn.min" in ir):
                problems.append("no equalization, or its bounds are not requantization clamps")
            if "--quantize=int16" in flags and c.get("int16_ops", 0) < c["candidate_ops"] - 8:
                problems.append(f"only {c.get('int16_ops', 0)} int16 convolutions and products")
            if c["quantized_ops"] != c["candidate_ops"]:
                problems.append(f"{c['quantized_ops']} of {c['candidate_ops']} ops quantized")
            if c["weight_bytes_after"] > 0.35 * c["weight_bytes_before"]:
                problems.append("weights not about 4x smaller (int32 biases and pooling ones allowed)")
            if sqnr is not None and sqnr < floor:
                problems.append(f"SQNR {sqnr:.1f} dB on the calibration sets < {floor}")
            if held < held_out_floor:
                problems.append(f"SQNR {held:.1f} dB on a held-out input < {held_out_floor}")
            if c.get("top1_agreement", 1) < 0.75:
                problems.append(f"top-1 agreement {c['top1_agreement']:.2f} < 0.75")
            for cpu in ["x86-64-v3", "x86-64"] if method == "mse" else []:
                other = os.path.join(work, f"int8_{cpu}.so")
                subprocess.run([os.path.join(args.bin, "leptonc"), model, "-o", other, "-q",
                                "--calibration-data", calibration,
                                "--calibration-cache", os.path.join(args.work, "cache"),
                                f"--mcpu={cpu}"] + flags, check=True)
                if not np.array_equal(run(args, other, held_out,
                                          os.path.join(work, f"int8_{cpu}_out")), student):
                    problems.append(f"--mcpu={cpu} outputs differ from the host build's")
            verdict = "FAIL" if problems else "ok  "
            failures += bool(problems)
            print(f"{verdict} {' '.join([name] + flags)} ({method}): {c['quantized_ops']}/{c['candidate_ops']} ops, "
                  f"weights {c['weight_bytes_before'] / 1024:.0f} -> "
                  f"{c['weight_bytes_after'] / 1024:.0f} KiB, SQNR {sqnr:.1f} dB (calibration), "
                  f"{held:.1f} dB (held out), top-1 {c.get('top1_agreement', float('nan')):.2f}"
                  + ("".join(f"\n     {p}" for p in problems)))
    print(f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
