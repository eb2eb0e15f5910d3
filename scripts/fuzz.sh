#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz: request validation, stream
# reassembly) side by side for a bounded time each, from their committed
# seed corpus, under ASan + UBSan (README "Production"):
#
#   scripts/fuzz.sh          # 60 s each
#   scripts/fuzz.sh 3600     # an hour each
#
# New inputs collect in build-asan/fuzz/corpus-NAME (not committed); a
# crash stops its target, saves the input as build-asan/fuzz/crash-*, and
# fails the script. Replay one with: build-asan/tests/fuzz/NAME CRASH_FILE
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/sanitizer_tree.sh"
ensure_packages
SECONDS_EACH="${1:-60}"
TARGETS=(validation_fuzzer stream_assembler_fuzzer)

build_asan_tree "${TARGETS[@]}"
asan_env
mkdir -p "$ASAN_DIR/fuzz"
pids=()
for target in "${TARGETS[@]}"; do
  name="${target%_fuzzer}"
  mkdir -p "$ASAN_DIR/fuzz/corpus-$name"
  log "fuzzing $target for ${SECONDS_EACH}s"
  "$ASAN_DIR/tests/fuzz/$target" -max_total_time="$SECONDS_EACH" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$ASAN_DIR/fuzz/" "$ASAN_DIR/fuzz/corpus-$name" \
    "$ROOT/tests/fuzz/corpus/$name" >"$ASAN_DIR/fuzz/$name.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
  name="${TARGETS[$i]%_fuzzer}"
  if ! wait "${pids[$i]}"; then
    status=1
    tail -50 "$ASAN_DIR/fuzz/$name.log" >&2
  fi
  grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)" \
    "$ASAN_DIR/fuzz/$name.log" | sed "s/^/$name: /" >&2 || true
done
exit "$status"
