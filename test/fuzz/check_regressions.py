#!/usr/bin/env python3
"""Replays what the fuzzers found: every file under regressions/import must
make leptonc exit 1 with an error line and write nothing; every file under
regressions/tensor must make lepton-run exit 1 with an error line, given as
the input of the bundled MLP."""
import glob
import os
import subprocess
import sys
import tempfile

bin_dir, examples = sys.argv[1], sys.argv[2]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions")
failures = 0


def expect_rejection(label, cmd, leftovers=()):
    global failures
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    left = [path for path in leftovers if os.path.exists(path)]
    ok = proc.returncode == 1 and "error:" in proc.stderr and not left
    last = proc.stderr.strip().splitlines()[-1:] or [""]
    print(f"{'ok' if ok else 'FAIL'}: {label}: exit {proc.returncode}: {last[0]} {left or ''}")
    failures += not ok


with tempfile.TemporaryDirectory() as work:
    for model in sorted(glob.glob(os.path.join(here, "import", "*"))):
        out = os.path.join(work, "m.so")
        expect_rejection(os.path.basename(model),
                         [os.path.join(bin_dir, "leptonc"), model, "-o", out],
                         [out, os.path.join(work, "m.h")])
    tensors = sorted(glob.glob(os.path.join(here, "tensor", "*")))
    if tensors:
        library = os.path.join(work, "mlp.so")
        subprocess.run([os.path.join(bin_dir, "leptonc"),
                        os.path.join(examples, "mlp", "model.onnx"), "-o", library], check=True)
        inputs = os.path.join(work, "inputs")
        os.makedirs(inputs)
        for tensor in tensors:
            with open(tensor, "rb") as src, open(os.path.join(inputs, "input_0.pb"), "wb") as dst:
                dst.write(src.read())
            expect_rejection(os.path.basename(tensor),
                             [os.path.join(bin_dir, "lepton-run"), library, "--inputs", inputs])
sys.exit(1 if failures else 0)
