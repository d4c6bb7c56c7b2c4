#!/usr/bin/env python3
"""Compiles ONNX models for the CUDA target, loads them, and assembles their PTX.

For every test directory (holding model.onnx), runs `leptonc --target=cuda
--gpu-arch=ARCHS -o model.so` (one artifact holding the PTX of every
architecture), then for each architecture loads and runs the artifact with
`lepton-run --device=cuda` on its test inputs through the runtime, with
test/unit/FakeCudaDriver.c standing in for the NVIDIA driver as a GPU of
that architecture (loading, PTX selection, launch dimensions and parameters,
memory hygiene), and assembles the PTX the runtime handed to the driver with
NVIDIA's `ptxas`. The first architecture's run also executes the kernels:
leptonc's --cuda-emulation-library compiles the same optimized GPU kernels
for the host, the fake driver runs each launch thread by thread, and the
outputs are compared with the reference outputs (--rtol/--atol).

A model leptonc rejects as unsupported (for every target, or one without GPU
work) is counted, never hidden; a crash, any other compile error, a failed
compile that leaves a file behind, a failed run, a wrong result or PTX that
ptxas refuses fails the suite; invalid test data (inputs that do not match
their model, or reference outputs the conformance suite knows to be wrong)
is counted apart. Without ptxas it is skipped visibly (exit code 77).

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

from run_onnx_suite import KNOWN_INVALID

PTXAS_CANDIDATES = ("/usr/local/cuda/bin/ptxas",)
FAILURES = ("compile-error", "run-error", "wrong-result", "ptxas-error")


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
    emulation = os.path.join(work, "emulation.so")
    cmd = [os.path.join(args.bin, "leptonc"), os.path.join(test_dir, "model.onnx"),
           "--target=cuda", f"--gpu-arch={args.gpu_arch}", "-o", library, "--report", report,
           "--cuda-emulation-library", emulation]
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
    invalid_data = None
    for i, arch in enumerate(args.gpu_arch.split(",")):
        ptx = os.path.join(work, f"model.{arch}.ptx")
        log = os.path.join(work, f"driver.{arch}.log")
        env = dict(os.environ, LEPTON_CUDA_DRIVER=args.fake_driver,
                   FAKE_CUDA_ARCH=arch[len("sm_"):], FAKE_CUDA_LOG=log, FAKE_CUDA_PTX=ptx)
        cmd = [os.path.join(args.bin, "lepton-run"), library, "--device=cuda",
               "--inputs", inputs, "--print", "0"]
        if i == 0:
            # The first run executes the kernels (compiled for the host, the
            # same for every architecture) and compares the outputs.
            env["FAKE_CUDA_EMULATION"] = emulation
            cmd += ["--expect", inputs, "--rtol", str(args.rtol), "--atol", str(args.atol)]
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout)
        driver = open(log).read() if os.path.exists(log) else ""
        if run.returncode == 1 and re.search(r"error: .*: input \d+ \('.*'\) has (shape|element "
                                             r"type) .*, the model expects", run.stderr):
            # As in the conformance suite: inputs that do not match the model.
            return name, "invalid-data", run.stderr.strip()
        if run.returncode != 0 and "FAIL" in run.stdout and name in KNOWN_INVALID:
            # Reference outputs known to contradict their model (as on the CPU):
            # still check the driver calls and the PTX.
            invalid_data = KNOWN_INVALID[name]
        elif run.returncode != 0 and "FAIL" in run.stdout:
            return name, "wrong-result", f"{arch}: {run.stdout.strip()[-600:]}"
        elif run.returncode != 0:
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
    if invalid_data:
        return name, "invalid-data", invalid_data
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
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--atol", type=float, default=1e-5)
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
          f"{counts['assembled']} right and assembled, {counts['unsupported']} unsupported, "
          f"{counts['invalid-data']} with invalid test data, "
          f"{counts['compile-error']} compile errors, {counts['run-error']} failed runs, "
          f"{counts['wrong-result']} wrong results, "
          f"{counts['ptxas-error']} refused by ptxas")
    return 1 if any(counts[f] for f in FAILURES) else 0


if __name__ == "__main__":
    sys.exit(main())
