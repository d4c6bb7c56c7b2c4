#!/usr/bin/env python3
"""Compiles ONNX models for the CUDA target and assembles their PTX with ptxas.

For every test directory (holding model.onnx) and every --gpu-arch, runs
`leptonc --target=cuda --gpu-arch=ARCH --emit=ptx` and then NVIDIA's `ptxas`
on the result. A model leptonc rejects as unsupported (for every target, or
one without GPU work) is counted, never hidden; a crash, any other compile
error, a failed compile that leaves a file behind, or PTX that ptxas refuses
fails the run. Without ptxas the run is skipped visibly (exit code 77).

  cuda_ptx_suite.py --bin build/bin --work /tmp/ptx [--gpu-arch sm_80,sm_90] DIR [DIR ...]

DIR is a directory of test directories (the ONNX backend-test layout) or one
test directory itself.
"""
import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys

PTXAS_CANDIDATES = ("/usr/local/cuda/bin/ptxas",)


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
    for arch in args.gpu_arch.split(","):
        ptx = os.path.join(work, f"model.{arch}.ptx")
        cmd = [os.path.join(args.bin, "leptonc"), os.path.join(test_dir, "model.onnx"),
               "--target=cuda", f"--gpu-arch={arch}", "--emit=ptx", "-o", ptx]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return name, "compile-error", f"{arch}: leptonc timed out"
        if proc.returncode != 0:
            if os.listdir(work):
                return name, "compile-error", f"{arch}: exit {proc.returncode} left files behind"
            if proc.returncode == 1 and "unsupported" in proc.stderr and "error:" in proc.stderr:
                first = next(l for l in proc.stderr.splitlines() if "unsupported" in l)
                return name, "unsupported", first
            return name, "compile-error", f"{arch}: exit {proc.returncode}: {proc.stderr.strip()[-400:]}"
        asm = subprocess.run([args.ptxas, f"-arch={arch}", ptx, "-o", os.devnull],
                             capture_output=True, text=True)
        if asm.returncode != 0:
            return name, "ptxas-error", f"{arch}: {asm.stderr.strip()[-400:]}"
        os.remove(ptx)
    shutil.rmtree(work, ignore_errors=True)
    return name, "assembled", ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--bin", required=True, help="directory with leptonc")
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
        if status in ("compile-error", "ptxas-error") or (status == "unsupported" and args.verbose):
            print(f"{status.upper()} {name}: {detail}")
    print(f"{len(results)} models for {args.gpu_arch} with {args.ptxas}: "
          f"{counts['assembled']} assembled, {counts['unsupported']} unsupported, "
          f"{counts['compile-error']} compile errors, {counts['ptxas-error']} refused by ptxas")
    return 1 if counts["compile-error"] or counts["ptxas-error"] else 0


if __name__ == "__main__":
    sys.exit(main())
