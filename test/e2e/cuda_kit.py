#!/usr/bin/env python3
"""Checks the CUDA target on a GPU machine that cannot build Lepton.

A machine with a GPU but without LLVM 19 (the `device` tool's) gets a kit
built here: every test model compiled with `leptonc --target=cuda`, its test
data, and `lepton-run` with the shared libraries it needs. There, `run`
runs each model through the NVIDIA driver against its expected outputs.

  cuda_kit.py pack --bin build/bin --out kit [--gpu-arch sm_90] [--filter RE] DIR [DIR ...]
  cuda_kit.py run kit [--rtol 1e-3] [--atol 1e-5] [--repeat N]

DIR is a directory of test directories (the ONNX backend-test layout) or one
test directory. `run` prints one line per failing model and the counts; with
--repeat N it also prints each model's median latency over N runs (host
copies included). Exit code 1 when a model fails.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys


def test_dirs(dirs, pattern):
    for d in dirs:
        if os.path.isfile(os.path.join(d, "model.onnx")):
            yield d
            continue
        for entry in sorted(os.listdir(d)):
            path = os.path.join(d, entry)
            if re.search(pattern, entry) and os.path.isfile(os.path.join(path, "model.onnx")):
                yield path


def copy_runner(bin_dir, out):
    """lepton-run, this script and lepton-run's libraries beyond the C
    runtime (protobuf, onnx_proto) into `out`, `out`/lib."""
    os.makedirs(os.path.join(out, "lib"), exist_ok=True)
    runner = os.path.join(bin_dir, "lepton-run")
    shutil.copy(runner, out)
    shutil.copy(__file__, out)
    for line in subprocess.run(["ldd", runner], capture_output=True, text=True).stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "=>" and not re.match(r"lib(c|m|gcc_s|stdc\+\+)\.so",
                                                                 parts[0]):
            shutil.copy(parts[2], os.path.join(out, "lib"))


def pack(args):
    copy_runner(args.bin, args.out)

    def one(test):
        name = os.path.join(os.path.basename(os.path.dirname(test)), os.path.basename(test))
        dest = os.path.join(args.out, "tests", name)
        os.makedirs(dest, exist_ok=True)
        proc = subprocess.run([os.path.join(args.bin, "leptonc"), os.path.join(test, "model.onnx"),
                               "--target=cuda", f"--gpu-arch={args.gpu_arch}", "--no-header",
                               "-o", os.path.join(dest, "model.so")],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            shutil.rmtree(dest)
            return name, "unsupported" if "unsupported" in proc.stderr else "compile-error"
        for data in os.listdir(test):
            if data.startswith("test_data_set_"):
                shutil.copytree(os.path.join(test, data), os.path.join(dest, data))
        return name, "packed"

    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        results = list(pool.map(one, test_dirs(args.dirs, args.filter)))
    for name, status in results:
        if status == "compile-error":
            print(f"COMPILE-ERROR {name}")
    print(f"packed {sum(s == 'packed' for _, s in results)} models, "
          f"{sum(s == 'unsupported' for _, s in results)} unsupported, "
          f"{sum(s == 'compile-error' for _, s in results)} compile errors into {args.out}")
    return 1 if any(s == "compile-error" for _, s in results) else 0


def run(args):
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(args.kit, "lib"))
    runner = os.path.join(args.kit, "lepton-run")
    tests = sorted(os.path.join(root) for root, _, files in os.walk(os.path.join(args.kit, "tests"))
                   if "model.so" in files)
    passed = failed = 0
    for test in tests:
        name = os.path.relpath(test, os.path.join(args.kit, "tests"))
        ok = True
        for data in sorted(d for d in os.listdir(test) if d.startswith("test_data_set_")):
            where = os.path.join(test, data)
            cmd = [runner, os.path.join(test, "model.so"), "--device=cuda", "--inputs", where,
                   "--expect", where, "--print", "0", "--rtol", str(args.rtol),
                   "--atol", str(args.atol)]
            if args.repeat > 1:
                cmd += ["--repeat", str(args.repeat)]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                ok = False
                print(f"FAIL {name}/{data}: {(proc.stdout + proc.stderr).strip()[-600:]}")
                break
            timing = re.search(r"time: median ([0-9.]+) ms", proc.stdout)
            if timing and data == "test_data_set_0":
                print(f"TIME {name}: {timing.group(1)} ms")
        passed += ok
        failed += not ok
    print(f"{passed} of {len(tests)} models passed on the GPU, {failed} failed")
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack")
    p.add_argument("dirs", nargs="+")
    p.add_argument("--bin", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--gpu-arch", default="sm_90")
    p.add_argument("--filter", default="")
    r = sub.add_parser("run")
    r.add_argument("kit")
    r.add_argument("--rtol", type=float, default=1e-3)
    r.add_argument("--atol", type=float, default=1e-5)
    r.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    return pack(args) if args.command == "pack" else run(args)


if __name__ == "__main__":
    sys.exit(main())
