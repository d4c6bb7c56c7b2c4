#!/usr/bin/env python3
"""Compiles and runs ONNX backend-test models with leptonc and lepton-run.

Each test directory holds model.onnx and test_data_set_*/{input,output}_N.pb.
A model that leptonc rejects as unsupported is counted and listed, never
skipped silently; any other compile failure or any wrong output fails the run.

  run_onnx_suite.py --bin build/bin --work /tmp/suite DIR [DIR ...] [--report FILE]
"""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys


def run_one(test_dir, args):
    name = os.path.basename(test_dir.rstrip("/"))
    work = os.path.join(args.work, os.path.basename(os.path.dirname(test_dir)), name)
    os.makedirs(work, exist_ok=True)
    lib = os.path.join(work, "model.so")
    compile_cmd = [os.path.join(args.bin, "leptonc"), os.path.join(test_dir, "model.onnx"),
                   "-o", lib, "--name", "model", "-O2"]
    try:
        proc = subprocess.run(compile_cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return name, "compile-error", "leptonc timed out"
    if proc.returncode != 0:
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
                   "--expect", data_dir, "--print", "0",
                   "--rtol", str(args.rtol), "--atol", str(args.atol)]
        try:
            proc = subprocess.run(run_cmd, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return name, "wrong-result", f"{data}: lepton-run timed out"
        if proc.returncode != 0:
            return name, "wrong-result", f"{data}: {(proc.stdout + proc.stderr).strip()[-600:]}"
    shutil.rmtree(work, ignore_errors=True)
    return name, "passed", ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="+", help="directories of test directories")
    parser.add_argument("--bin", required=True, help="directory with leptonc and lepton-run")
    parser.add_argument("--work", required=True, help="scratch directory")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--filter", default="", help="only tests whose name contains this")
    parser.add_argument("--verbose", action="store_true", help="list unsupported tests too")
    parser.add_argument("--require-all", action="store_true",
                        help="count unsupported models as failures")
    args = parser.parse_args()

    tests = []
    for suite in args.suites:
        for entry in sorted(os.listdir(suite)):
            path = os.path.join(suite, entry)
            if args.filter in entry and os.path.isfile(os.path.join(path, "model.onnx")):
                tests.append(path)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda t: run_one(t, args), tests))

    counts = {"passed": 0, "wrong-result": 0, "compile-error": 0, "unsupported": 0}
    for name, status, detail in results:
        counts[status] += 1
        if status in ("wrong-result", "compile-error"):
            print(f"FAIL {name} [{status}] {detail}")
        elif status == "unsupported" and args.verbose:
            print(f"UNSUPPORTED {name}: {detail}")
    ran = counts["passed"] + counts["wrong-result"] + counts["compile-error"]
    print(f"{len(results)} models: {ran} ran, {counts['passed']} passed, "
          f"{counts['wrong-result']} wrong results, {counts['compile-error']} compile errors, "
          f"{counts['unsupported']} skipped as unsupported")
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
