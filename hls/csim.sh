#!/bin/sh
# C simulation without the vendor tool: builds the testbench with the
# project's own bit-accurate number types (hls/lepton_ap_int.h) and runs it.
# CXX picks the compiler (default g++). Pragmas are ignored.
set -e
cd "$(dirname "$0")"
${CXX:-g++} -std=c++17 -O2 -ffp-contract=off -Wno-unknown-pragmas -I hls \
  @NAME@_tb.cpp @NAME@.cpp -o csim_@NAME@
./csim_@NAME@
