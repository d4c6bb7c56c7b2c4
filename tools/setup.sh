#!/usr/bin/env bash
# Installs what is missing on Debian bookworm (run as root), then configures
# and builds Lepton in build/.
#
#   tools/setup.sh           compiler toolchain only
#   tools/setup.sh --tests   also what the test suite needs: the ONNX backend
#                            test data, python3-onnx/torch/torchvision, Node.js
#                            and ONNX Runtime (npm onnxruntime-node, CPU), and
#                            the aarch64 cross compiler and qemu-user that the
#                            firmware test runs its cross build with, and g++
#                            for the HLS C simulation
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--tests" ] && with_tests=1

packages=(cmake ninja-build clang-19 lld-19 liblld-19-dev llvm-19-dev llvm-19-tools
          libmlir-19-dev mlir-19-tools libonnx-dev libprotobuf-dev protobuf-compiler
          libcli11-dev libopenblas-dev)
if [ "$with_tests" = 1 ]; then
  packages+=(libonnx-testdata python3-onnx python3-numpy python3-torch python3-torchvision
            dataset-fashion-mnist
            libgtest-dev pkg-config gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user g++)
  command -v node > /dev/null && command -v npm > /dev/null || packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld
cmake --build build

if [ "$with_tests" = 1 ] && [ ! -d build/ort/node_modules/onnxruntime-node ]; then
  # The package's install script downloads GPU extras and fails offline; the
  # CPU library ships inside the package itself.
  npm install --ignore-scripts --no-audit --no-fund --prefix build/ort onnxruntime-node@1.30.0
fi
