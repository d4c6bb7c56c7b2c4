#!/usr/bin/env python3
"""Benchmarks Lepton against ONNX Runtime on the repo's real models, side by side.

For each model (exported by test/e2e/models/generate.py, batch 1): compile with
leptonc, take ONNX Runtime's outputs as the reference and check Lepton's
against them, then time both in-process (one warm-up run per call; RUNS runs
in five rounds alternating between Lepton and ORT, so that the load of a
shared machine's other tenants hits both alike: the median of the rounds'
medians and p90s) at each thread count. The int8 and pruned tables alternate
their builds with the fp32 one the same way. Prints a Markdown report with the
Lepton/ORT ratios and their geometric mean, the achieved GFLOP/s against the
FP32 FMA peak of one core (measured by bench/peak_fma.c), and writes it to
--out (docs/performance.md).

  /usr/bin/python3 bench/run.py [--bin build/bin] [--runs 30] [--threads 1,2]
                                [--models resnet18,...] [--out docs/performance.md]

With --int8 (default resnet18,mobilenet_v2), those models are also compiled
with `leptonc --quantize=int8`, calibrated on seeded random input sets, and a
second table gives their int8 latency against Lepton's own fp32 and ORT's
fp32, with the fidelity the compiler measured against the float model.
With --prune (default resnet18,mobilenet_v2), they are compiled with each
of --prune-specs (default channels:0.25,magnitude:0.5,2:4; refit on the
same input sets) and a third table gives the pruned latency and library size
against the dense fp32 model's.

Needs a build (tools/setup.sh) and ONNX Runtime in build/ort (tools/setup.sh
--tests installs it; so does this script, with npm, when it is missing).
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

import qdq_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["resnet18", "mobilenet_v2", "bert_tiny", "lstm_text", "mlp", "lenet5"]
ORT_DIR = os.path.join(ROOT, "build", "ort", "node_modules", "onnxruntime-node")


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs).stdout


def model_flops(path):
    """Multiply-adds of the Conv, ConvTranspose, Gemm, MatMul and recurrent
    nodes, times 2 (the usual FLOP count; elementwise work is left out)."""
    model = onnx.shape_inference.infer_shapes(onnx.load(path))
    shapes = {}
    for v in list(model.graph.input) + list(model.graph.value_info) + list(model.graph.output):
        shapes[v.name] = [d.dim_value for d in v.type.tensor_type.shape.dim]
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    total = 0
    for node in model.graph.node:
        ins = [shapes.get(i, []) for i in node.input]
        out = shapes.get(node.output[0], []) if node.output else []
        prod = lambda xs: math.prod(xs) if xs else 0
        if node.op_type in ("Conv", "ConvTranspose") and len(ins) > 1 and ins[1]:
            w = ins[1]
            # Conv: every output element sums C/group * kernel products;
            # ConvTranspose: every input element scatters M/group * kernel.
            if node.op_type == "Conv":
                total += prod(out) * prod(w[1:])
            else:
                total += prod(ins[0]) * prod(w[1:])
        elif node.op_type in ("Gemm", "MatMul") and ins[0] and out:
            trans_a = any(a.name == "transA" and a.i for a in node.attribute)
            k = ins[0][-2] if node.op_type == "Gemm" and trans_a else ins[0][-1]
            total += prod(out) * k
        elif node.op_type in ("LSTM", "GRU", "RNN") and ins[0] and ins[1] and ins[2]:
            gates_hidden, inputs = ins[1][1], ins[1][2]
            hidden = ins[2][2]
            steps_batch = ins[0][0] * ins[0][1]
            total += ins[1][0] * steps_batch * gates_hidden * (inputs + hidden)
    return 2 * total


def compile_model(bin_dir, model, library):
    """Runs leptonc; returns its wall time in seconds and peak memory in MB."""
    start = time.monotonic()
    proc = subprocess.Popen([os.path.join(bin_dir, "leptonc"), model, "-o", library, "-O3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"leptonc failed on {model}: {proc.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


CALIBRATION_SETS = 8


def compile_compressed(bin_dir, case, work, tag, flags):
    """Compiles `case` with the compression `flags` (--quantize, --prune),
    calibrated on seeded random input sets shaped like its test inputs;
    returns the library and the compression section of its report."""
    example = os.path.join(case, "test_data_set_0")
    rng = np.random.default_rng(0)
    calibration = os.path.join(work, "calibration")
    for s in range(CALIBRATION_SETS):
        d = os.path.join(calibration, f"set_{s}")
        os.makedirs(d, exist_ok=True)
        for name in sorted(f for f in os.listdir(example) if f.startswith("input_")):
            like = numpy_helper.to_array(onnx.load_tensor(os.path.join(example, name)))
            np.save(os.path.join(d, name.replace(".pb", ".npy")),
                    rng.standard_normal(like.shape).astype(like.dtype))
    library, report = os.path.join(work, f"{tag}.so"), os.path.join(work, f"{tag}.json")
    run([os.path.join(bin_dir, "leptonc"), os.path.join(case, "model.onnx"), "-o", library,
         "-O3", "-q", *flags, "--calibration-data", calibration,
         "--calibration-cache", "none", "--report", report])
    with open(report) as f:
        return library, json.load(f)["compression"]


def ort_qdq_case(bin_dir, case, work, ort_script):
    """ORT's int8 peer: the QDQ model of `case` (bench/qdq_model.py,
    calibrated on the sets compile_compressed wrote) in a case directory of
    its own, with ORT's outputs on the first data set; returns the directory
    and the SQNR of those outputs against ORT's float ones."""
    qdq_case = os.path.join(work, "ort-qdq")
    data = os.path.join(qdq_case, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    example = os.path.join(case, "test_data_set_0")
    for f in os.listdir(example):
        if f.startswith("input_"):
            with open(os.path.join(example, f), "rb") as src, open(os.path.join(data, f), "wb") as dst:
                dst.write(src.read())
    qdq_model.build(os.path.join(case, "model.onnx"), os.path.join(work, "calibration"),
                    os.path.join(work, "qdq-calibration"), bin_dir,
                    os.path.join(qdq_case, "model.onnx"))
    run(["node", ort_script, ORT_DIR, qdq_case])
    teacher = numpy_helper.to_array(onnx.load_tensor(os.path.join(example, "output_0.pb")))
    student = numpy_helper.to_array(onnx.load_tensor(os.path.join(data, "output_0.pb")))
    noise = float(np.sum((teacher.astype(np.float64) - student) ** 2))
    sqnr = 10 * math.log10(float(np.sum(teacher.astype(np.float64) ** 2)) / noise) if noise else None
    return qdq_case, sqnr


def header_bytes(library, macro):
    """A byte count the artifact's header defines (WORKSPACE_BYTES, ...)."""
    header = os.path.splitext(library)[0] + ".h"
    with open(header) as f:
        return int(re.search(rf"_{macro} (\d+)", f.read()).group(1))


def lepton_time(bin_dir, library, case, runs, threads):
    out = run([os.path.join(bin_dir, "lepton-run"), library, "--inputs",
               os.path.join(case, "test_data_set_0"), "--print", "0", "--repeat", str(runs),
               "--threads", str(threads)])
    m = re.search(r"median ([\d.]+) ms, p90 ([\d.]+) ms", out)
    return float(m.group(1)), float(m.group(2))


def ort_time(ort_script, case, runs, threads):
    result = json.loads(run(["node", ort_script, ORT_DIR, case, "--threads", str(threads),
                             "--time", str(runs)]).strip().splitlines()[-1])
    return result["median"], result["p90"]


def alternating(timers, runs, rounds=5):
    """Runs each timer (a function of a run count returning median and p90 ms)
    in alternating rounds of runs/rounds runs, so that a slow phase of a shared
    machine (its second vCPU has other tenants) hits all of them alike; per
    timer, the median of its rounds' medians and of their p90s."""
    samples = [[] for _ in timers]
    for _ in range(rounds):
        for times, timer in zip(samples, timers):
            times.append(timer(max(1, runs // rounds)))
    return [(statistics.median(m for m, _ in times), statistics.median(p for _, p in times))
            for times in samples]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--int8", default="resnet18,mobilenet_v2",
                        help="models also compiled with --quantize=int8 (empty: none)")
    parser.add_argument("--prune", default="resnet18,mobilenet_v2",
                        help="models also compiled with each of --prune-specs (empty: none)")
    parser.add_argument("--prune-specs", default="channels:0.25,magnitude:0.5,2:4")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "performance.md"))
    args = parser.parse_args()
    models_dir = os.path.join(args.work, "models")
    threads = [int(t) for t in args.threads.split(",")]

    if not os.path.isdir(ORT_DIR):
        run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix",
             os.path.join(ROOT, "build", "ort"), "onnxruntime-node@1.30.0"])
    names = args.models.split(",")
    run([sys.executable, os.path.join(ROOT, "test", "e2e", "models", "generate.py"), models_dir,
         "--models", ",".join(names), "--opset", "13"])
    ort_script = os.path.join(ROOT, "test", "e2e", "models", "ort_reference.mjs")
    cases = [os.path.join(models_dir, f"{n}_opset13") for n in names]
    run(["node", ort_script, ORT_DIR, *cases])

    peak_bin = os.path.join(args.work, "peak_fma")
    run(["clang-19", "-O3", "-march=native", "-ffp-contract=fast",
         os.path.join(ROOT, "bench", "peak_fma.c"), "-o", peak_bin])
    peak = float(run([peak_bin]).strip())

    rows, ratios, builds, int8_rows, pruned_rows = [], {t: [] for t in threads}, [], [], []
    int8_models = [m for m in args.int8.split(",") if m]
    pruned_models = [m for m in args.prune.split(",") if m]
    for name, case in zip(names, cases):
        library = os.path.join(args.work, f"{name}.so")
        seconds, peak_mb = compile_model(args.bin, os.path.join(case, "model.onnx"), library)
        builds.append((name, seconds, peak_mb, header_bytes(library, "WORKSPACE_BYTES"),
                       header_bytes(library, "INTERMEDIATE_BYTES")))
        data = os.path.join(case, "test_data_set_0")
        agree = subprocess.run([os.path.join(args.bin, "lepton-run"), library, "--inputs", data,
                                "--expect", data, "--print", "0", "--rtol", "1e-4",
                                "--atol", "1e-5"], capture_output=True, text=True).returncode == 0
        flops = model_flops(os.path.join(case, "model.onnx"))
        for t in threads:
            (lep_median, lep_p90), (ort_median, ort_p90) = alternating(
                [lambda n: lepton_time(args.bin, library, case, n, t),
                 lambda n: ort_time(ort_script, case, n, t)], args.runs)
            ratio = lep_median / ort_median
            ratios[t].append(ratio)
            rows.append((name, t, lep_median, lep_p90, ort_median, ort_p90, ratio,
                         flops / (lep_median * 1e6), agree))
        work = os.path.join(args.work, f"{name}-compressed")
        if name in int8_models:
            int8_lib, fidelity = compile_compressed(args.bin, case, work, "int8",
                                                    ["--quantize=int8"])
            qdq_case, qdq_sqnr = ort_qdq_case(args.bin, case, work, ort_script)
            for t in threads:
                (median, p90), (fp32, _), (ort_int8, _) = alternating(
                    [lambda n: lepton_time(args.bin, int8_lib, case, n, t),
                     lambda n: lepton_time(args.bin, library, case, n, t),
                     lambda n: ort_time(ort_script, qdq_case, n, t)], args.runs)
                ort = next(r[4] for r in rows if r[0] == name and r[1] == t)
                int8_rows.append((name, t, median, p90, fp32, ort, ort_int8, qdq_sqnr,
                                  fidelity))
        for spec in args.prune_specs.split(",") if name in pruned_models else []:
            pruned_lib, fidelity = compile_compressed(args.bin, case, work,
                                                      "pruned-" + spec.replace(":", "-"),
                                                      [f"--prune={spec}"])
            for t in threads:
                (median, p90), (fp32, _) = alternating(
                    [lambda n: lepton_time(args.bin, pruned_lib, case, n, t),
                     lambda n: lepton_time(args.bin, library, case, n, t)], args.runs)
                sizes = (os.path.getsize(pruned_lib), os.path.getsize(library))
                pruned_rows.append((name, spec, t, median, p90, fp32, fidelity, sizes))
        print(f"{name}: done", file=sys.stderr)

    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as f:
        model_names = re.findall(r"model name\s*:\s*(.*)", f.read())
    if model_names:
        cpu = f"{model_names[0]} ({len(model_names)} logical CPUs)"
    lines = [
        "# Performance: Lepton vs ONNX Runtime",
        "",
        f"Generated by `/usr/bin/python3 bench/run.py --runs {args.runs} --threads {args.threads}`"
        f" on {datetime.date.today().isoformat()}; do not edit.",
        "",
        f"Machine: {cpu}. ONNX Runtime 1.30 (npm onnxruntime-node, CPU execution provider). "
        f"Models from `test/e2e/models/generate.py` (opset 13, batch 1, seeded weights); "
        f"Lepton compiled with `leptonc -O3` for the host CPU. Latency is measured in-process "
        f"after one warm-up run, Lepton and ORT in 5 alternating rounds of {args.runs // 5} "
        f"runs (medians of the rounds' medians and p90s: the machine's second vCPU has other "
        f"tenants, whose load comes and goes); ratio = Lepton median / ORT median "
        f"(below 1: Lepton is faster). GFLOP/s counts the multiply-adds of Conv, Gemm, MatMul "
        f"and recurrent layers whose shapes ONNX shape inference knows (a lower bound where "
        f"an export's reshapes are not constant-folded, as in the BERT model); the FP32 FMA "
        f"peak of one core, measured by `bench/peak_fma.c`, is {peak:.0f} GFLOP/s (the "
        f"percentage is of that times the thread count). Lepton runs with `lepton-run "
        f"--threads N`; `leptonc --profile` and `lepton-run --profile` show where its time "
        f"goes per ONNX node (docs/performance-analysis.md).",
        "",
        "| model | threads | Lepton median ms | Lepton p90 ms | ORT median ms | ORT p90 ms "
        "| Lepton/ORT | Lepton GFLOP/s (% of peak) | outputs agree |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, t, lm, lp, om, op, ratio, gflops, agree in rows:
        lines.append(f"| {name} | {t} | {lm:.3f} | {lp:.3f} | {om:.3f} | {op:.3f} | {ratio:.2f} "
                     f"| {gflops:.1f} ({100 * gflops / (peak * t):.1f}%) | {'yes' if agree else 'NO'} |")
    lines.append("")
    for t in threads:
        geomean = math.exp(sum(math.log(r) for r in ratios[t]) / len(ratios[t]))
        lines.append(f"Geometric mean of Lepton/ORT at {t} thread{'s' if t > 1 else ''}: "
                     f"{geomean:.2f}.")
    lines += ["", "Compilation (`leptonc -O3`, wall time and peak resident memory) and the "
              "workspace arena against the sum of all intermediate tensors (what the "
              "liveness-based planner saves):", "",
              "| model | compile s | leptonc peak MB | arena MB | intermediates MB |",
              "| --- | --- | --- | --- | --- |"]
    for name, seconds, peak_mb, arena, intermediates in builds:
        lines.append(f"| {name} | {seconds:.1f} | {peak_mb:.0f} | {arena / 2**20:.2f} "
                     f"| {intermediates / 2**20:.2f} |")
    if threads[:2] == [1, 2]:
        step = len(threads)
        speedups = [f"{one[0]} {one[2] / two[2]:.2f}x"
                    for one, two in zip(rows[0::step], rows[1::step])]
        lines += ["", "Speed-up of Lepton from 1 to 2 threads: " + ", ".join(speedups) + "."]
    if int8_rows:
        lines += ["", "## int8 (`leptonc --quantize=int8`)", "",
                  f"Calibrated on {CALIBRATION_SETS} seeded random input sets (mse ranges); "
                  "per-channel int8 weights, uint8 activations, products through vpdpbusd where "
                  "the CPU has VNNI. Speed-up = Lepton fp32 median / Lepton int8 median, int8, "
                  "fp32 and ORT int8 timed in alternating rounds as above (the fp32 column is "
                  "that run's). SQNR and "
                  "top-1 agreement are the compiler's own measurement against the float model "
                  "on the calibration sets. The peer is ORT running the QDQ model its "
                  "quantize_static would write (`bench/qdq_model.py`: the same sets, min/max "
                  "ranges, per-channel int8 weights, int32 biases), which ORT fuses into "
                  "QLinearConv and friends; its SQNR is against ORT's float outputs on the "
                  "benchmark input.", "",
                  "| model | threads | int8 median ms | int8 p90 ms | fp32 median ms "
                  "| speed-up over fp32 | ORT fp32 median ms | ORT int8 median ms "
                  "| int8/ORT int8 | SQNR dB | ORT int8 SQNR dB "
                  "| top-1 agreement | weights KiB (fp32 -> int8) |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for name, t, median, p90, fp32, ort, ort_int8, ort_sqnr, c in int8_rows:
            sqnr = c["outputs"][0]["sqnr_db"]
            top1 = c.get("top1_agreement")
            lines.append(f"| {name} | {t} | {median:.3f} | {p90:.3f} | {fp32:.3f} "
                         f"| {fp32 / median:.2f}x | {ort:.3f} | {ort_int8:.3f} "
                         f"| {median / ort_int8:.2f} | {sqnr:.1f} "
                         f"| {'-' if ort_sqnr is None else f'{ort_sqnr:.1f}'} "
                         f"| {'-' if top1 is None else f'{top1:.3f}'} "
                         f"| {c['weight_bytes_before'] / 1024:.0f} -> "
                         f"{c['weight_bytes_after'] / 1024:.0f} |")
    if pruned_rows:
        lines += ["", "## Pruned (`leptonc --prune`)", "",
                  f"Refit on the same {CALIBRATION_SETS} input sets. `channels:R` removes "
                  "channels (smaller convolutions); `magnitude:R` and `N:M` zero weights, "
                  "which the convolutions' sparse kernels skip (their weights stored as "
                  "compressed rows; docs/compression.md). Speed-up = dense fp32 median / "
                  "pruned median, timed in alternating rounds as the int8 table; library = the pruned .so's size against the dense one's; "
                  "SQNR and top-1 agreement are the compiler's against the float model on "
                  "the calibration sets (random weights: a check of the machinery, not of "
                  "accuracy).", "",
                  "| model | --prune | threads | pruned median ms | pruned p90 ms "
                  "| dense fp32 median ms | speed-up | weights removed | library MiB "
                  "| SQNR dB | top-1 agreement |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for name, spec, t, median, p90, fp32, c, sizes in pruned_rows:
            before = sum(l["nonzero_before"] for l in c["pruned_layers"])
            after = sum(l["nonzero_after"] for l in c["pruned_layers"])
            sqnr = c["outputs"][0]["sqnr_db"]
            top1 = c.get("top1_agreement")
            lines.append(f"| {name} | {spec} | {t} | {median:.3f} | {p90:.3f} | {fp32:.3f} "
                         f"| {fp32 / median:.2f}x | {100 * (before - after) / max(before, 1):.1f}% "
                         f"| {sizes[0] / 2**20:.1f} / {sizes[1] / 2**20:.1f} "
                         f"| {'-' if sqnr is None else f'{sqnr:.1f}'} "
                         f"| {'-' if top1 is None else f'{top1:.3f}'} |")
    report = "\n".join(lines) + "\n"
    with open(args.out, "w") as f:
        f.write(report)
    print(report)
    return 0 if all(row[-1] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
