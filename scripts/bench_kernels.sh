#!/usr/bin/env bash
# Kernel benchmarks: builds, then runs core_benchmark (every ReLU method and
# the gradient, and the same arrays in 1 MiB pieces through ReluRuns, against
# the memory floors of the same access patterns) and NumPy's expressions in
# the same run, and writes kernels.md and kernels.json
# (ratios and whether each kernel goal holds) to the output directory.
#
#   scripts/bench_kernels.sh [OUT_DIR] [kernel_report.py flags]
#
# OUT_DIR defaults to $BUILD_DIR/bench. The report ends with the sweeps behind
# the thread and streaming-store thresholds (core/kernel_options.h); pass
# --no-sweeps to skip them. Takes about 5 minutes on the 2-core reference
# machine (4 without the sweeps).
set -euo pipefail
source "$(dirname "$0")/common.sh"
out="$BUILD_DIR/bench"
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
  out="$1"
  shift
fi
ensure_packages
build
log "kernel benchmark into $out"
# Debian's python3 and NumPy (a python3 earlier on PATH may lack NumPy).
/usr/bin/python3 "$ROOT/scripts/kernel_report.py" \
  --benchmark "$BUILD_DIR/core_benchmark" --out "$out" "$@"
