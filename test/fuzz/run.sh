#!/usr/bin/env bash
# Seeds and runs the fuzzers of a -DLEPTON_FUZZ=ON build:
#
#   test/fuzz/run.sh BUILD_DIR SECONDS [import|tensor]...
#
# Corpora start from the ONNX backend test data (every model.onnx, every
# .pb tensor) and grow in BUILD_DIR/fuzz/<name>/corpus; crashes land in
# BUILD_DIR/fuzz/<name>/ as crash-* files. Each fuzzer runs on every core
# (-fork) for SECONDS and prints its execution count.
set -euo pipefail
build=$(cd "$1" && pwd) seconds=$2
shift 2
fuzzers=("${@:-import tensor}")
data=/usr/share/libonnx-testdata/data
jobs=$(nproc)
for name in ${fuzzers[@]}; do
  dir=$build/fuzz/$name
  mkdir -p "$dir/corpus" "$dir/seeds"
  if [ -z "$(ls -A "$dir/seeds")" ]; then
    pattern='model.onnx'
    [ "$name" = tensor ] && pattern='*.pb'
    find "$data" -name "$pattern" -size -256k -exec cp --backup=numbered -t "$dir/seeds" {} +
  fi
  # A model that takes more than 10 s or 2 GB to import is a finding too.
  (cd "$dir" && ASAN_OPTIONS=detect_leaks=0 "$build/bin/lepton-fuzz-$name" \
      -fork="$jobs" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -ignore_crashes=1 -max_len=262144 corpus seeds 2>&1 | tee fuzz.log | grep -E "^#|crash|ERROR" | tail -3)
  echo "$name: $(grep -o 'exec/s: [0-9]*\|#[0-9]*' "$dir/fuzz.log" | tail -2 | tr '\n' ' ')"
  found=$(ls "$dir"/crash-* "$dir"/timeout-* "$dir"/oom-* 2> /dev/null || true)
  echo "${found:-$name: no crash, timeout or oom}"
  # The import fuzzer runs libonnx in-process; leptonc runs it in a child
  # process. A crash that leptonc turns into an error naming libonnx is
  # libonnx's, contained (a sanitized child reports a crash and exits with
  # status 1 instead of dying by the signal); anything else is a finding.
  if [ "$name" = import ]; then
    for input in "$dir"/crash-* "$dir"/timeout-* "$dir"/oom-*; do
      [ -e "$input" ] || continue
      cp "$input" "$dir/replay.onnx"
      status=0
      ASAN_OPTIONS=detect_leaks=0 timeout 60 "$build/bin/leptonc" "$dir/replay.onnx" \
        -o "$dir/replay.so" 2> "$dir/replay.err" || status=$?
      if [ "$status" = 1 ] && grep -qE "the ONNX library \(libonnx\) crashed|checking the model with libonnx failed" "$dir/replay.err"; then
        echo "contained: $(basename "$input") crashes libonnx; leptonc reports it"
      else
        echo "FINDING: $(basename "$input") (leptonc exit status $status)"
      fi
    done
    rm -f "$dir/replay.onnx" "$dir/replay.so" "$dir/replay.err"
  fi
done
