#!/usr/bin/env python3
"""C simulation of generated HLS projects against Lepton's CPU backend.

For each case, leptonc --target=hls writes a project whose testbench holds
inputs and the CPU backend's outputs for them; the project's csim.sh builds
the testbench with g++ (pragmas ignored, the project's own bit-accurate
ap_int) and runs it. Integer designs must match bit for bit, float designs
within the testbench's tolerance. The cases: the jet tagger, LeNet-5, the
Fashion-MNIST CNN and a separable block in their io styles and precisions,
and the ONNX backend tests of every elementary function. The estimates of
each case are printed.

  csim.py --bin build/bin --models build/test/models --fashion build/test/fashion-mnist --work DIR
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np


def jet_calibration(directory, count, seed):
    """Seeded standard-normal jet features (the models' inputs are
    standardized), one input set per subdirectory."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        os.makedirs(os.path.join(directory, f"set{i:03d}"), exist_ok=True)
        np.save(os.path.join(directory, f"set{i:03d}", "input_0.npy"),
                rng.standard_normal((1, 16)).astype(np.float32))
    return directory


def separable_relu6_model(directory):
    """A depthwise-separable block with ReLU6s (seeded random weights):
    pointwise conv, ReLU6, depthwise conv, ReLU6, pointwise conv, global
    pooling and a Gemm; with --cross-layer-equalization its ReLU6s become
    per-channel clamps; with --quantize=int16 its activations are int16."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(3)
    init = []

    def tensor(name, array):
        init.append(numpy_helper.from_array(np.asarray(array, np.float32), name))
        return name

    six = tensor("six", 6.0)
    zero = tensor("zero", 0.0)
    nodes = [
        helper.make_node("Conv", ["x", tensor("w0", rng.standard_normal((8, 3, 1, 1))),
                                  tensor("b0", rng.standard_normal(8) * 0.1)], ["c0"]),
        helper.make_node("Clip", ["c0", zero, six], ["r0"]),
        helper.make_node("Conv", ["r0", tensor("w1", rng.standard_normal((8, 1, 3, 3)) *
                                               rng.uniform(0.1, 3, (8, 1, 1, 1))),
                                  tensor("b1", rng.standard_normal(8) * 0.1)], ["c1"],
                         group=8, pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["c1", zero, six], ["r1"]),
        helper.make_node("Conv", ["r1", tensor("w2", rng.standard_normal((4, 8, 1, 1)))], ["c2"]),
        helper.make_node("GlobalAveragePool", ["c2"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", tensor("w3", rng.standard_normal((3, 4)))], ["y"],
                         transB=1)]
    graph = helper.make_graph(
        nodes, "separable", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "model.onnx")
    onnx.save(model, path)
    for i in range(16):
        os.makedirs(os.path.join(directory, "calibration", f"set{i:02d}"), exist_ok=True)
        np.save(os.path.join(directory, "calibration", f"set{i:02d}", "input_0.npy"),
                rng.standard_normal((1, 3, 8, 8)).astype(np.float32))
    return path


ONNX_NODE_TESTS = "/usr/share/libonnx-testdata/data/node"
ELEMENTARY_FUNCTIONS = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh",
                        "acosh", "atanh", "exp", "log", "sqrt", "erf", "tanh"]
# Node tests whose designs must match the CPU backend exactly: integer or
# bool inputs or outputs, pure data movement.
EXACT_NODE_TESTS = ["test_equal", "test_greater", "test_and2d", "test_not_2d",
                    "test_argmax_default_axis_example", "test_bitshift_right_uint8",
                    "test_div_uint8", "test_clip_default_int8_min", "test_add_uint8",
                    "test_where_example", "test_mod_mixed_sign_int32", "test_gather_0",
                    "test_constant", "test_depthtospace_crd_mode"]
# Node tests whose lowering has loops with loop-carried values (scf.for,
# scf.if) or stores outside the loop nests; float outputs within tolerance,
# integer ones exact.
LOOP_NODE_TESTS = ["test_det_nd", "test_dft", "test_dynamicquantizelinear"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--models", required=True)
    parser.add_argument("--fashion", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    leptonc = os.path.join(args.bin, "leptonc")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    jet = os.path.join(args.models, "jet_tagger_opset13", "model.onnx")
    lenet = os.path.join(args.models, "lenet5_opset13")
    calibration = jet_calibration(os.path.join(args.work, "jet-calibration"), 64, 1)
    held_out = jet_calibration(os.path.join(args.work, "jet-testbench"), 8, 2)
    jet_int8 = ["--quantize=int8", "--calibration-data", calibration,
                "--testbench-data", held_out, "--calibration-cache", "none"]
    jet_fixed16 = ["--quantize=fixed<16,6>"] + jet_int8[1:]
    vu9p = ["--fpga-part", "xcvu9p-flga2104-2L-e"]
    fashion_int8 = ["--quantize=int8", "--calibration-data",
                    os.path.join(args.fashion, "calibration"), "--calibration-cache", "none"]
    separable_dir = os.path.join(args.work, "separable-model")
    separable = separable_relu6_model(separable_dir)
    # name: (model, flags, bit-exact)
    cases = {
        "separable_int8_equalized_stream": (
            separable, ["--io=stream", "--quantize=int8", "--cross-layer-equalization",
                        "--calibration-data", os.path.join(separable_dir, "calibration"),
                        "--calibration-cache", "none"], True),
        "separable_int16_stream": (
            separable, ["--io=stream", "--quantize=int16",
                        "--calibration-data", os.path.join(separable_dir, "calibration"),
                        "--calibration-cache", "none"], True),
        "jet_int8_parallel": (jet, jet_int8 + vu9p, True),
        # hls4ml's precision: every tensor ap_fixed<16,6>.
        "jet_fixed16_parallel": (jet, jet_fixed16 + vu9p, True),
        "jet_int8_stream": (jet, jet_int8 + ["--io=stream", "--reuse-factor=4"], True),
        "jet_fp32_parallel": (jet, vu9p + ["--reuse-factor=4", "--testbench-data", held_out],
                              False),
        "lenet5_int8_stream": (os.path.join(lenet, "model.onnx"),
                               ["--io=stream", "--reuse-factor=8", "--quantize=int8",
                                "--calibration-data", os.path.join(lenet, "test_data_set_0"),
                                "--calibration-cache", "none"], True),
        "lenet5_fp32_stream": (os.path.join(lenet, "model.onnx"),
                               ["--io=stream", "--reuse-factor=8"], False),
        "fashion_int8_stream": (os.path.join(args.fashion, "model.onnx"),
                                fashion_int8 + ["--io=stream", "--reuse-factor=16"], True),
    }
    # Every elementary function ONNX has, from the ONNX backend tests, against
    # the CPU backend within tolerance (the vendor's hls_math differs in the
    # last bits as libm does).
    for function in ELEMENTARY_FUNCTIONS:
        test = os.path.join(ONNX_NODE_TESTS, f"test_{function}")
        cases[f"onnx_{function}_stream"] = (
            os.path.join(test, "model.onnx"),
            ["--io=stream", "--reuse-factor=64", "--testbench-data",
             os.path.join(test, "test_data_set_0")], False)
    for test in EXACT_NODE_TESTS + LOOP_NODE_TESTS:
        directory = os.path.join(ONNX_NODE_TESTS, test)
        cases[f"onnx_{test[5:]}_stream"] = (
            os.path.join(directory, "model.onnx"),
            ["--io=stream", "--reuse-factor=64", "--testbench-data",
             os.path.join(directory, "test_data_set_0")], test in EXACT_NODE_TESTS)
    failures = []
    estimates = {}
    for name, (model, flags, exact) in cases.items():
        project = os.path.join(args.work, name)
        subprocess.run([leptonc, model, "--target=hls", "-q", "-o", project, *flags], check=True)
        with open(os.path.join(project, "report.json")) as f:
            estimates[name] = json.load(f)
        run = subprocess.run(["sh", os.path.join(project, "csim.sh")], capture_output=True,
                             text=True)
        verdict = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-2000:]
        e = estimates[name]
        print(f"{name}: {verdict}; estimate {e['latency_cycles']} cycles "
              f"({e['latency_ns']:.0f} ns), II {e['interval_cycles']}, "
              f"{e['resources']['dsp']} DSP, {e['resources']['lut']} LUT")
        if run.returncode != 0:
            failures.append(f"{name}: C simulation failed:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
        elif exact and "bit-exact" not in run.stdout:
            failures.append(f"{name}: an integer design was not compared bit for bit")
    # The goal: at hls4ml's ap_fixed<16,6> and reuse factor 1 the jet
    # tagger starts an inference every cycle within 100 ns at 200 MHz; int8
    # needs at least 3 times fewer DSPs, losing at most a point of top-1
    # agreement with the float model.
    fixed16, int8 = estimates["jet_fixed16_parallel"], estimates["jet_int8_parallel"]
    # Each quantized project reports its error against the float model.
    agreement = {name: estimates[name]["teacher"].get("top1_agreement") for name in
                 ("jet_fixed16_parallel", "jet_int8_parallel")}
    print(f"jet tagger at reuse factor 1: fixed<16,6> {fixed16['latency_ns']:.0f} ns, "
          f"II {fixed16['interval_cycles']}, {fixed16['resources']['dsp']} DSP, top-1 agreement "
          f"{agreement['jet_fixed16_parallel']}; int8 {int8['latency_ns']:.0f} ns, "
          f"{int8['resources']['dsp']} DSP, top-1 agreement {agreement['jet_int8_parallel']}; "
          f"fp32 needs reuse factor 4 for {estimates['jet_fp32_parallel']['resources']['dsp']} DSP")
    if fixed16["interval_cycles"] != 1 or fixed16["latency_ns"] > 100:
        failures.append("the fixed<16,6> jet tagger misses II 1 within 100 ns")
    if 3 * int8["resources"]["dsp"] > fixed16["resources"]["dsp"]:
        failures.append("the int8 jet tagger does not use 3x fewer DSPs than fixed<16,6>")
    if not agreement["jet_int8_parallel"] or agreement["jet_int8_parallel"] < 0.99:
        failures.append("the int8 jet tagger loses more than a point of top-1 agreement")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
