#!/usr/bin/env python3
"""Lepton's CUDA target against PyTorch eager on the same GPU, batch 1 and 32.

The GPU machine (the `device` tool) has PyTorch but cannot build Lepton, so
the models are compiled here and carried there:

  bench/cuda_vs_torch.py pack --bin build/bin --out gpu-bench --batch 1 [--models resnet18,...]
  # device tool, carry ["gpu-bench"]:
  python3 bench/cuda_vs_torch.py run gpu-bench [--runs 30]

`pack` exports each model of test/e2e/models/generate.py (its seeded weights)
at the given batch, compiles it with `leptonc --target=cuda`, and writes its
seeded input with the kit of test/e2e/cuda_kit.py (lepton-run and its
libraries). Keep a pack under the 64 MiB a device call carries (ResNet-18 is
47 MB: one model and batch per pack). `run` times `lepton-run --device=cuda
--repeat N` and PyTorch eager on the same inputs and weights, both including
the copies of inputs to and outputs from the GPU (which lepton_run does), and
PyTorch without them; it checks that the outputs agree within 1e-3 relative
and prints a table with the ratio Lepton/PyTorch.
"""
import argparse
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e", "models"))


def build(name, batch):
    """The seeded model and inputs of generate.py, at `batch`."""
    import numpy as np
    import torch
    import generate
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    factory, inputs, *_ = generate.MODELS[name]
    model = factory().eval()
    arrays = [(n, make((batch,) + tuple(shape[1:]), rng)) for n, shape, make in inputs]
    return model, arrays


def pack(args):
    import onnx.numpy_helper
    import torch
    import cuda_kit
    cuda_kit.copy_runner(args.bin, args.out)
    manifest = []
    for name in args.models.split(","):
        model, arrays = build(name, args.batch)
        case = os.path.join(args.out, f"{name}_b{args.batch}")
        os.makedirs(os.path.join(case, "inputs"), exist_ok=True)
        onnx_path = os.path.join(case, "model.onnx")
        with torch.no_grad():
            torch.onnx.export(model, tuple(torch.from_numpy(a) for _, a in arrays), onnx_path,
                              opset_version=13, input_names=[n for n, _ in arrays],
                              output_names=["output"])
        for i, (input_name, array) in enumerate(arrays):
            with open(os.path.join(case, "inputs", f"input_{i}.pb"), "wb") as f:
                f.write(onnx.numpy_helper.from_array(array, input_name).SerializeToString())
        subprocess.run([os.path.join(args.bin, "leptonc"), onnx_path, "--target=cuda",
                        f"--gpu-arch={args.gpu_arch}", "--no-header",
                        "-o", os.path.join(case, "model.so")], check=True)
        os.remove(onnx_path)
        manifest.append({"model": name, "batch": args.batch, "dir": os.path.basename(case)})
        print(f"packed {case}")
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    return 0


def read_float_tensor(path):
    """The float32 data of a TensorProto written by lepton-run (dims and
    raw_data only), without the onnx package, which GPU machines may lack."""
    data, pos, raw = open(path, "rb").read(), 0, b""
    while pos < len(data):
        key, pos = varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = varint(data, pos)
        elif wire == 2:
            length, pos = varint(data, pos)
            if field == 9:  # raw_data
                raw = data[pos:pos + length]
            pos += length
        else:
            raise ValueError(f"{path}: unexpected wire type {wire}")
    return struct.unpack(f"<{len(raw) // 4}f", raw)


def varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def run(args):
    import torch
    device = torch.device(args.torch_device)
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(args.kit, "lib"))
    rows = []
    for entry in json.load(open(os.path.join(args.kit, "manifest.json"))):
        case = os.path.join(args.kit, entry["dir"])
        outputs = os.path.join(case, "outputs")
        os.makedirs(outputs, exist_ok=True)
        proc = subprocess.run([os.path.join(args.kit, "lepton-run"), os.path.join(case, "model.so"),
                               "--device=cuda", "--inputs", os.path.join(case, "inputs"),
                               "--outputs", outputs, "--print", "0", "--repeat", str(args.runs)],
                              capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            print(f"FAIL {entry['dir']}: {proc.stderr.strip()}")
            rows.append((entry, None, None, None, "lepton-run failed"))
            continue
        lepton_ms = float(re.search(r"median ([0-9.]+) ms", proc.stdout).group(1))
        model, arrays = build(entry["model"], entry["batch"])
        model = model.to(device)
        host = [torch.from_numpy(a) for _, a in arrays]

        def eager(with_copies):
            with torch.no_grad():
                xs = [x.to(device) for x in host] if with_copies else on_device
                y = model(*xs)
                y = y.cpu() if with_copies else y
                if device.type == "cuda":
                    torch.cuda.synchronize()
                return y

        on_device = [x.to(device) for x in host]
        times = {}
        for with_copies in (True, False):
            eager(with_copies)
            samples = []
            for _ in range(args.runs):
                start = time.perf_counter()
                eager(with_copies)
                samples.append((time.perf_counter() - start) * 1e3)
            times[with_copies] = statistics.median(samples)
        expected = eager(True).flatten().tolist()
        got = read_float_tensor(os.path.join(outputs, "output_0.pb"))
        worst = max((abs(g - e) / max(abs(e), 1e-3) for g, e in zip(got, expected)), default=0)
        agree = len(got) == len(expected) and worst <= 1e-3
        rows.append((entry, lepton_ms, times[True], times[False],
                     "yes" if agree else f"no (max rel error {worst:.2g})"))
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "CPU"
    print(f"| model | batch | Lepton ms | PyTorch eager ms (with copies) | PyTorch eager ms "
          f"(on device) | Lepton/PyTorch | outputs agree |  ({name}, median of {args.runs})")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for entry, ours, theirs, resident, agree in rows:
        ratio = f"{ours / theirs:.2f}" if ours and theirs else "-"
        fmt = lambda v: f"{v:.3f}" if v is not None else "-"
        print(f"| {entry['model']} | {entry['batch']} | {fmt(ours)} | {fmt(theirs)} | "
              f"{fmt(resident)} | {ratio} | {agree} |")
    return 0 if all(r[1] is not None and r[4] == "yes" for r in rows) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--bin", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--models", default="resnet18,mobilenet_v2,bert_tiny,lstm_text,mlp,lenet5")
    p.add_argument("--gpu-arch", default="sm_90")
    r = sub.add_parser("run")
    r.add_argument("kit")
    r.add_argument("--runs", type=int, default=30)
    r.add_argument("--torch-device", default="cuda", help="cpu checks the script without a GPU")
    args = parser.parse_args()
    return pack(args) if args.command == "pack" else run(args)


if __name__ == "__main__":
    sys.exit(main())
