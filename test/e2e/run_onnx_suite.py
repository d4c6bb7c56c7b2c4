#!/usr/bin/env python3
"""Compiles and runs ONNX backend-test models with leptonc and lepton-run.

Each test directory holds model.onnx and test_data_set_*/{input,output}_N.pb.
A model that leptonc rejects as unsupported is counted and listed, never
skipped silently; any other compile failure or any wrong output fails the run.

  run_onnx_suite.py --bin build/bin --work /tmp/suite DIR [DIR ...] [--report FILE]

--report writes a Markdown conformance report: counts per suite, per ONNX op
(over the models that contain the op) and per reason a model is unsupported.
--target=cuda compiles for the GPU and runs there (needs the NVIDIA driver and
a GPU; how a session with one checks the CUDA target, docs/cuda.md).
"""
import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys

STATUSES = ("passed", "wrong-result", "compile-error", "unsupported", "invalid-test-data")


# Tests whose reference outputs contradict their own model, checked by hand
# against the ONNX schema. They still compile and run; a mismatch is reported
# as invalid test data with this reason rather than as a wrong result.
KNOWN_INVALID = {
    "test_adam_multiple": "the reference outputs use epsilon=0.01, but the node leaves "
                          "epsilon at its schema default 1e-6",
}


def run_one(test_dir, args):
    name = os.path.basename(test_dir.rstrip("/"))
    work = os.path.join(args.work, os.path.basename(os.path.dirname(test_dir)), name)
    shutil.rmtree(work, ignore_errors=True)  # a fresh directory: what is left is ours
    os.makedirs(work)
    lib = os.path.join(work, "model.so")
    compile_cmd = [os.path.join(args.bin, "leptonc"), os.path.join(test_dir, "model.onnx"),
                   "-o", lib, "--name", "model", "-O2", f"--target={args.target}"]
    if args.gpu_arch:
        compile_cmd.append(f"--gpu-arch={args.gpu_arch}")
    try:
        proc = subprocess.run(compile_cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return name, "compile-error", "leptonc timed out"
    if proc.returncode != 0:
        # A failed compile leaves nothing behind: no library, header or temporary.
        left = sorted(os.listdir(work))
        if left:
            return name, "compile-error", f"exit {proc.returncode} left {left} behind"
        if proc.returncode == 1 and "unsupported" in proc.stderr and "error:" in proc.stderr:
            first = next(l for l in proc.stderr.splitlines() if "unsupported" in l)
            return name, "unsupported", first
        return name, "compile-error", f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}"
    if os.path.exists(lib + ".tmp-link"):
        return name, "compile-error", "partial output left behind"
    sets = sorted(d for d in os.listdir(test_dir) if d.startswith("test_data_set_"))
    for data in sets:
        data_dir = os.path.join(test_dir, data)
        run_cmd = [os.path.join(args.bin, "lepton-run"), lib, "--inputs", data_dir,
                   "--expect", data_dir, "--print", "0", f"--device={args.target}",
                   "--rtol", str(args.rtol), "--atol", str(args.atol)]
        try:
            proc = subprocess.run(run_cmd, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return name, "wrong-result", f"{data}: lepton-run timed out"
        output = (proc.stdout + proc.stderr).strip()
        # A test whose own input contradicts the model's declared input type
        # cannot run (ONNX Runtime refuses it too); it is listed, not hidden.
        if proc.returncode != 0 and re.search(r"input \d+ \('[^']*'\) has (shape|element type) .*"
                                              r"the model expects", output):
            return name, "invalid-test-data", f"{data}: {output[-600:]}"
        if proc.returncode != 0 and name in KNOWN_INVALID:
            return name, "invalid-test-data", f"{data}: {KNOWN_INVALID[name]}"
        if proc.returncode != 0:
            return name, "wrong-result", f"{data}: {output[-600:]}"
    shutil.rmtree(work, ignore_errors=True)
    return name, "passed", ""


def model_ops(test_dir):
    """The ONNX op types of a test model (default domain; others prefixed)."""
    import onnx  # only the report needs it
    model = onnx.load(os.path.join(test_dir, "model.onnx"), load_external_data=False)
    return sorted({(n.domain + "." if n.domain not in ("", "ai.onnx") else "") + n.op_type
                   for n in model.graph.node})


def write_report(path, tests, results):
    rows = lambda counts: " | ".join(str(counts[s]) for s in STATUSES)
    header = "| passed | wrong result | compile error | unsupported | invalid test data |"
    by_suite = collections.defaultdict(collections.Counter)
    by_op = collections.defaultdict(collections.Counter)
    reasons = collections.Counter()
    for test, (name, status, detail) in zip(tests, results):
        suite = os.path.basename(os.path.dirname(test.rstrip("/")))
        by_suite[suite][status] += 1
        by_suite["total"][status] += 1
        for op in model_ops(test):
            by_op[op][status] += 1
        if status == "unsupported":
            # The reason without file and node names, so equal causes group.
            reason = re.sub(r"^error: \S+: (node '[^']*': )?", "", detail)
            reasons[re.sub(r"'[^']*' '(tensor<[^>]*>)'", r"'...' \1", reason)] += 1
    lines = ["# ONNX conformance", "",
             "Generated by `ctest --test-dir build -L conformance` (which runs",
             "`test/e2e/run_onnx_suite.py --report docs/conformance.md` over the `node`,",
             "`pytorch-converted`, `pytorch-operator` and `simple` suites); do not edit.", "",
             "Every model of the ONNX backend test suite in `libonnx-testdata` is compiled with",
             "`leptonc` and run with `lepton-run` against its reference outputs. A model is",
             "*unsupported* when `leptonc` rejects it with an `unsupported` diagnostic; its",
             "*test data is invalid* when its input files contradict the model's declared",
             "input types (ONNX Runtime refuses those inputs too).", "",
             "## Per suite", "", "| suite | models " + header, "| --- " * 7 + "|"]
    for suite in sorted(by_suite, key=lambda s: (s == "total", s)):
        c = by_suite[suite]
        lines.append(f"| {suite} | {sum(c.values())} | {rows(c)} |")
    node = by_suite.get("node")
    if node:
        lines += ["", f"Node tests passing: {node['passed']} of {sum(node.values())} "
                      f"({100.0 * node['passed'] / sum(node.values()):.1f}%)."]
    lines += ["", "## Per op (models containing the op)", "", "| op | models " + header,
              "| --- " * 7 + "|"]
    for op in sorted(by_op):
        lines.append(f"| {op} | {sum(by_op[op].values())} | {rows(by_op[op])} |")
    lines += ["", "## Why models are unsupported", "", "| models | reason |", "| --- | --- |"]
    for reason, count in sorted(reasons.items(), key=lambda rc: (-rc[1], rc[0])):
        lines.append(f"| {count} | {reason.replace('|', '/')} |")
    invalid = [(test, detail) for test, (_, status, detail) in zip(tests, results)
               if status == "invalid-test-data"]
    if invalid:
        lines += ["", "## Tests with invalid data", "", "| test | problem |", "| --- | --- |"]
        for test, detail in invalid:
            problem = re.sub(r"^\S+: error: \S+: ", "", detail)
            lines.append(f"| {os.path.basename(test.rstrip('/'))} | {problem.replace('|', '/')} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="+", help="directories of test directories")
    parser.add_argument("--bin", required=True, help="directory with leptonc and lepton-run")
    parser.add_argument("--work", required=True, help="scratch directory")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--target", choices=("cpu", "cuda"), default="cpu",
                        help="compile for this target and run there (cuda: on the GPU "
                             "LEPTON_CUDA_DEVICE through the NVIDIA driver)")
    parser.add_argument("--gpu-arch", default="", help="with --target=cuda: leptonc --gpu-arch")
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--filter", default="", help="only tests whose name matches this regex")
    parser.add_argument("--verbose", action="store_true", help="list unsupported tests too")
    parser.add_argument("--require-all", action="store_true",
                        help="count unsupported models as failures")
    parser.add_argument("--report", help="write a Markdown conformance report here")
    args = parser.parse_args()

    tests = []
    for suite in args.suites:
        for entry in sorted(os.listdir(suite)):
            path = os.path.join(suite, entry)
            if re.search(args.filter, entry) and os.path.isfile(os.path.join(path, "model.onnx")):
                tests.append(path)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda t: run_one(t, args), tests))

    if args.report:
        write_report(args.report, tests, results)
    counts = dict.fromkeys(STATUSES, 0)
    for name, status, detail in results:
        counts[status] += 1
        if status in ("wrong-result", "compile-error"):
            print(f"FAIL {name} [{status}] {detail}")
        elif status == "invalid-test-data":
            print(f"INVALID TEST DATA {name}: {detail}")
        elif status == "unsupported" and args.verbose:
            print(f"UNSUPPORTED {name}: {detail}")
    ran = counts["passed"] + counts["wrong-result"] + counts["compile-error"]
    print(f"{len(results)} models: {ran} ran, {counts['passed']} passed, "
          f"{counts['wrong-result']} wrong results, {counts['compile-error']} compile errors, "
          f"{counts['unsupported']} skipped as unsupported, "
          f"{counts['invalid-test-data']} with invalid test data")
    failed = counts["wrong-result"] + counts["compile-error"]
    if args.require_all:
        for name, status, detail in results:
            if status == "unsupported":
                print(f"FAIL {name} [unsupported] {detail}")
        failed += counts["unsupported"]
        counts["unsupported"] = 0
    print(f"{counts['passed']} passed, {failed} failed, {counts['unsupported']} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
