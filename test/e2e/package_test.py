#!/usr/bin/env python3
"""The installed package end to end: install the build into a prefix, then,
using only that prefix,

* build examples/firmware with Ninja and with Makefiles, run it, and compare
  its outputs with lepton-run's on the same input;
* check that leptonc re-runs exactly when the model or the options change;
* check the firmware build's no-heap contract (no malloc, pthreads or libdl
  referenced; weights in read-only data) and measure the runtime core;
* cross-build the firmware for aarch64 and run it under qemu-aarch64 when
  Debian's cross compiler and qemu-user are installed (says so when skipped);
* build test/e2e/package (several models in one parallel build, pool and
  single-threaded, and aarch64 / riscv64 objects checked with readelf);
* link a program against the runtime through pkg-config.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from onnx import TensorProto, numpy_helper

FORBIDDEN = re.compile(r"^(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|"
                       r"pthread_\w+|dl\w+)$")


def run(cmd, env=None, cwd=None):
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    if result.returncode != 0:
        sys.exit(f"FAIL: {' '.join(map(str, cmd))} exited {result.returncode}:\n"
                 f"{result.stdout}{result.stderr}")
    return result.stdout + result.stderr


def check(condition, message):
    if not condition:
        sys.exit(f"FAIL: {message}")
    print(f"ok: {message}")


def firmware_outputs(text):
    return np.array([float(v) for v in re.findall(r"= (\S+)$", text, re.M)], np.float32)


def undefined_symbols(path):
    out = run(["nm", "-u", "--format=just-symbols", path])
    return {line.split("@")[0] for line in out.split()}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", required=True, help="the configured, built tree to install")
    parser.add_argument("--source", required=True, help="the source tree")
    parser.add_argument("--work", required=True, help="scratch directory (emptied)")
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    args.source = os.path.abspath(args.source)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    prefix = os.path.join(work, "prefix")
    run(["cmake", "--install", args.build, "--prefix", prefix])
    bin_dir = os.path.join(prefix, "bin")

    # The model is a copy, so the test can touch it.
    model = os.path.join(work, "model.onnx")
    shutil.copy(os.path.join(args.source, "examples", "mlp", "model.onnx"), model)

    # lepton-run's outputs on the firmware's fixed input pattern.
    library = os.path.join(work, "reference.so")
    run([os.path.join(bin_dir, "leptonc"), model, "-o", library])
    inputs = os.path.join(work, "inputs")
    os.makedirs(inputs)
    pattern = (np.arange(784) % 17 / 16.0).astype(np.float32).reshape(1, 1, 28, 28)
    with open(os.path.join(inputs, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(pattern, "input").SerializeToString())
    outputs = os.path.join(work, "outputs")
    os.makedirs(outputs)
    run([os.path.join(bin_dir, "lepton-run"), library, "--inputs", inputs, "--outputs", outputs,
         "--print", "0"])
    with open(os.path.join(outputs, "output_0.pb"), "rb") as f:
        tensor = TensorProto()
        tensor.ParseFromString(f.read())
    reference = numpy_helper.to_array(tensor).ravel()

    example = os.path.join(args.source, "examples", "firmware")
    native = None
    for generator, tag in (("Ninja", "ninja"), ("Unix Makefiles", "make")):
        build = os.path.join(work, f"firmware-{tag}")
        configure = ["cmake", "-S", example, "-B", build, "-G", generator,
                     f"-DCMAKE_PREFIX_PATH={prefix}", f"-DFIRMWARE_MODEL={model}"]
        run(configure)
        compile_all = ["cmake", "--build", build, "-j2"]
        run(compile_all)
        output = run([os.path.join(build, "firmware")])
        values = firmware_outputs(output)
        check(values.shape == reference.shape and np.allclose(values, reference, 1e-6, 1e-7),
              f"{generator}: the firmware prints lepton-run's outputs")
        native = native or output
        check("leptonc:" not in run(compile_all), f"{generator}: a rebuild does not run leptonc")
        time.sleep(1.1)  # past the outputs' timestamps, at make's resolution
        os.utime(model)
        check("leptonc:" in run(compile_all), f"{generator}: a newer model runs leptonc again")
        run(configure + ["-DFIRMWARE_LEPTONC_OPTIONS=-O2"])
        check("leptonc:" in run(compile_all), f"{generator}: new options run leptonc again")
        check("leptonc:" not in run(compile_all), f"{generator}: then it is up to date")

    # The firmware contract, on the Ninja build.
    build = os.path.join(work, "firmware-ninja")
    model_object = os.path.join(build, "lepton_models", "model", "model.o")
    core = os.path.join(prefix, "lib", "liblepton_runtime_core.a")
    for path in (model_object, core, os.path.join(build, "firmware")):
        bad = sorted(s for s in undefined_symbols(path) if FORBIDDEN.match(s))
        check(not bad, f"{os.path.basename(path)} references no heap, thread or libdl "
                       f"function {bad or ''}")
    sections = run(["readelf", "-S", "-W", model_object])
    sizes = {m.group(1): int(m.group(2), 16) for m in re.finditer(
        r"\]\s+(\S+)\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+)", sections)}
    writable = sizes.get(".data", 0) + sizes.get(".bss", 0)
    check(sizes.get(".rodata", 0) > 100_000 and writable < 1024,
          f"weights are read-only data (.rodata {sizes.get('.rodata', 0)} bytes, "
          f".data + .bss {writable})")
    with tempfile.TemporaryDirectory() as scratch:
        stripped = os.path.join(scratch, "core.a")
        shutil.copy(core, stripped)
        run(["strip", "--strip-unneeded", stripped])
        totals = run(["size", "--totals", stripped]).strip().splitlines()[-1].split()
        code, data = int(totals[0]), int(totals[1]) + int(totals[2])
    check(code <= 64 * 1024, f"the runtime core is {code} bytes of code and {data} of data "
                             "stripped (goal: at most 64 KB of code)")

    # Cross: aarch64 under qemu, when the cross tools are installed.
    if shutil.which("aarch64-linux-gnu-gcc") and shutil.which("qemu-aarch64"):
        build = os.path.join(work, "firmware-aarch64")
        run(["cmake", "-S", example, "-B", build, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={prefix}",
             f"-DFIRMWARE_MODEL={model}", "-DCMAKE_TOOLCHAIN_FILE=" + os.path.join(
                 args.source, "cmake", "toolchains", "aarch64-linux-gnu.cmake")])
        run(["cmake", "--build", build, "-j2"])
        machine = run(["readelf", "-h", os.path.join(build, "firmware")])
        check("AArch64" in machine, "the cross-built firmware is an AArch64 executable")
        arm = run(["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu",
                   os.path.join(build, "firmware")])
        check(np.allclose(firmware_outputs(arm), firmware_outputs(native), 1e-6, 1e-7),
              "under qemu-aarch64 it prints the native firmware's outputs")
    else:
        print("SKIPPED: aarch64 firmware under qemu (install gcc-aarch64-linux-gnu, "
              "libc6-dev-arm64-cross and qemu-user)")

    # Several models in one parallel build; cross objects.
    build = os.path.join(work, "package")
    run(["cmake", "-S", os.path.join(args.source, "test", "e2e", "package"), "-B", build,
         "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={prefix}", f"-DMODEL={model}"])
    run(["cmake", "--build", build, "-j2"])
    check("same outputs" in run([os.path.join(build, "run_both")]),
          "pool and single-threaded libraries of one model agree")
    for target, machine in (("mlp_arm", "AArch64"), ("mlp_riscv", "RISC-V")):
        header = run(["readelf", "-h", os.path.join(build, "lepton_models", target,
                                                    target + ".o")])
        check(f"Machine:                           {machine}" in header,
              f"MTRIPLE gives a {machine} object ({target})")

    # pkg-config: a program that loads the shared library model.
    program = os.path.join(work, "load.c")
    with open(program, "w") as f:
        f.write('#include "lepton/runtime.h"\n#include <stdio.h>\n'
                "int main(int argc, char **argv) {\n"
                "  lepton_model *m;\n"
                "  if (argc < 2 || lepton_load(argv[1], &m) != LEPTON_OK) return 1;\n"
                '  printf("inputs %u\\n", lepton_num_inputs(m));\n'
                "  lepton_unload(m);\n  return 0;\n}\n")
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
    flags = run(["pkg-config", "--cflags", "--libs", "lepton-runtime"], env=env).split()
    compiler = shutil.which("cc") or shutil.which("clang-19")
    run([compiler, program, "-o", os.path.join(work, "load")] + flags)
    env["LD_LIBRARY_PATH"] = os.path.join(prefix, "lib")
    check(run([os.path.join(work, "load"), library], env=env).strip() == "inputs 1",
          "pkg-config links a program against the shared runtime")
    print("PASS")


if __name__ == "__main__":
    main()
