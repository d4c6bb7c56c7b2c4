#!/usr/bin/env python3
"""Compiles ONNX models for the CUDA target, loads them, and assembles their PTX.

For every test directory (holding model.onnx), runs `leptonc --target=cuda
--gpu-arch=ARCHS -o model.so` (one artifact holding the PTX of every
architecture), then for each architecture loads and runs the artifact with
`lepton-run --device=cuda` on its test inputs through the runtime, with
test/unit/FakeCudaDriver.c standing in for the NVIDIA driver as a GPU of
that architecture (it runs no kernels, so outputs are not compared: this
checks loading, PTX selection, launch dimensions and parameters, memory
hygiene), and assembles the PTX the runtime handed to the driver with
NVIDIA's `ptxas`. A model leptonc rejects as unsupported (for every target,
or one without GPU work) is counted, never hidden; a crash, any other
compile error, a failed compile that leaves a file behind, a failed run or
PTX that ptxas refuses fails the suite; test inputs that do not match their
model (as the conformance suite finds) are counted apart. Without ptxas it
is skipped visibly (exit code 77).

  cuda_ptx_suite.py --bin build/bin --fake-driver build/test/libfake-cuda-driver.so \
      --work /tmp/ptx [--gpu-arch sm_80,sm_90] DIR [DIR ...]

DIR is a directory of test directories (the ONNX backend-test layout) or one
test directory itself.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys

PTXAS_CANDIDATES = ("/usr/local/cuda/bin/ptxas",)
FAILURES = ("compile-error", "run-error", "ptxas-error")


def find_ptxas():
    for path in PTXAS_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("ptxas")


def run_one(test_dir, args):
    name = os.path.basename(test_dir.rstrip("/"))
    work = os.path.join(args.work, os.path.basename(os.path.dirname(test_dir)), name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    library = os.path.join(work, "model.so")
    report = os.path.join(work, "report.json")
    cmd = [os.path.join(args.bin, "leptonc"), os.path.join(test_dir, "model.onnx"),
           "--target=cuda", f"--gpu-arch={args.gpu_arch}", "-o", library, "--report", report]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return name, "compile-error", "leptonc timed out"
    if proc.returncode != 0:
        if os.listdir(work):
            return name, "compile-error", f"exit {proc.returncode} left files behind"
        if proc.returncode == 1 and "unsupported" in proc.stderr and "error:" in proc.stderr:
            first = next(l for l in proc.stderr.splitlines() if "unsupported" in l)
            return name, "unsupported", first
        return name, "compile-error", f"exit {proc.returncode}: {proc.stderr.strip()[-400:]}"
    # A model whose outputs are empty has no kernels: nothing to load or assemble.
    kernels = json.load(open(report))["cuda"]["kernels"]
    inputs = os.path.join(test_dir, "test_data_set_0")
    for arch in args.gpu_arch.split(","):
        ptx = os.path.join(work, f"model.{arch}.ptx")
        log = os.path.join(work, f"driver.{arch}.log")
        env = dict(os.environ, LEPTON_CUDA_DRIVER=args.fake_driver,
                   FAKE_CUDA_ARCH=arch[len("sm_"):], FAKE_CUDA_LOG=log, FAKE_CUDA_PTX=ptx)
        run = subprocess.run([os.path.join(args.bin, "lepton-run"), library, "--device=cuda",
                              "--inputs", inputs, "--print", "0"],
                             capture_output=True, text=True, env=env, timeout=args.timeout)
        driver = open(log).read() if os.path.exists(log) else ""
        if run.returncode == 1 and re.search(r"error: .*: input \d+ \('.*'\) has (shape|element "
                                             r"type) .*, the model expects", run.stderr):
            # As in the conformance suite: inputs that do not match the model.
            return name, "invalid-data", run.stderr.strip()
        if run.returncode != 0:
            return name, "run-error", f"{arch}: exit {run.returncode}: {run.stderr.strip()[-400:]}"
        if "pushes outstanding: 0" not in driver or (kernels and (
                f"load PTX for {arch} on {arch}" not in driver
                or "all device memory freed" not in driver)):
            return name, "run-error", f"{arch}: the runtime's driver calls were:\n{driver[-800:]}"
        if not kernels:
            continue
        asm = subprocess.run([args.ptxas, f"-arch={arch}", ptx, "-o", os.devnull],
                             capture_output=True, text=True)
        if asm.returncode != 0:
            return name, "ptxas-error", f"{arch}: {asm.stderr.strip()[-400:]}"
    shutil.rmtree(work, ignore_errors=True)
    return name, "assembled", ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--bin", required=True, help="directory with leptonc and lepton-run")
    parser.add_argument("--fake-driver", required=True,
                        help="test/unit/FakeCudaDriver.c built (libfake-cuda-driver.so)")
    parser.add_argument("--work", required=True, help="scratch directory")
    parser.add_argument("--gpu-arch", default="sm_80,sm_90")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--filter", default="", help="only tests whose name matches this regex")
    parser.add_argument("--verbose", action="store_true", help="list unsupported models too")
    args = parser.parse_args()
    args.ptxas = find_ptxas()
    if not args.ptxas:
        print("SKIPPED: ptxas not found (looked in /usr/local/cuda/bin and on PATH); "
              "the CUDA target's PTX was not assembled")
        return 77

    tests = []
    for d in args.dirs:
        if os.path.isfile(os.path.join(d, "model.onnx")):
            tests.append(d)
            continue
        for entry in sorted(os.listdir(d)):
            path = os.path.join(d, entry)
            if re.search(args.filter, entry) and os.path.isfile(os.path.join(path, "model.onnx")):
                tests.append(path)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda t: run_one(t, args), tests))

    counts = collections.Counter(status for _, status, _ in results)
    for name, status, detail in results:
        if status in FAILURES or (status in ("unsupported", "invalid-data") and args.verbose):
            print(f"{status.upper()} {name}: {detail}")
    print(f"{len(results)} models for {args.gpu_arch} with {args.ptxas}: "
          f"{counts['assembled']} loaded, run and assembled (or without kernels, as their "
          f"outputs are empty), {counts['unsupported']} unsupported, "
          f"{counts['invalid-data']} with test inputs that do not match the model, "
          f"{counts['compile-error']} compile errors, {counts['run-error']} failed runs, "
          f"{counts['ptxas-error']} refused by ptxas")
    return 1 if any(counts[f] for f in FAILURES) else 0


if __name__ == "__main__":
    sys.exit(main())
