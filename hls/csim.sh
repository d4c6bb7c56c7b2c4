#!/bin/sh
# C simulation without the vendor tool: builds the testbench with the
# project's own bit-accurate number types (hls/lepton_ap_int.h) and runs it.
# CXX picks the compiler (default g++). Pragmas are ignored.
# -fno-tree-vectorize: GCC 12.2's -O2 vectorizer miscompiles a nested copy
# loop after a loop that reads an hls::stream (std::deque) into a local
# array (a 20-line reproducer gives wrong elements; clang and -O1 do not).
set -e
cd "$(dirname "$0")"
${CXX:-g++} -std=c++17 -O2 -fno-tree-vectorize -ffp-contract=off -Wno-unknown-pragmas -I hls \
  @NAME@_tb.cpp @NAME@.cpp -o csim_@NAME@
./csim_@NAME@
