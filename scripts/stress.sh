#!/usr/bin/env bash
# Stress test (README "Production"): one server, three things at once --
#   64 slow unary senders (tests/stress/slow_peers.py: raw HTTP/2, a 100 MB
#     message announced, then one byte every 2 s, PINGs answered),
#   10,000 idle ApplyStream calls over 100 connections (header, then silence),
#   the project's closed-loop `load`: 1 KiB Apply, concurrency 16, 4
#     connections, 2 s deadline --
# and the same load undisturbed before and after. Passes when, in this run:
#   - the disturbed load keeps >= 80% of the undisturbed calls/s (the mean of
#     the runs before and after) with no failed call, and a p99 <= 2x the
#     undisturbed p99;
#   - every slow sender and every idle stream is ended by the server within
#     --receive_timeout + a margin, with DEADLINE_EXCEEDED naming
#     receive_timeout (a slow sender may instead be refused at once,
#     RESOURCE_EXHAUSTED, by admission);
#   - every idle stream was still open when the disturbed load ended (the
#     disturbance was real);
#   - the server's threads stay <= 4 x cores + 16 throughout (sampled every
#     0.2 s from /proc);
#   - its peak RSS (VmHWM) stays <= its RSS before the peers connected +
#     STRESS_RSS_PER_CALL_KIB (32) KiB per call they held. The allowance is
#     1.75x what a bare callback-API server on the same gRPC holds per idle
#     stream: tests/perf/grpc_echo.cc held 10,000 idle streams over 100
#     connections in 18.3 KiB each (VmHWM 192 MiB, 13 MiB before; measured
#     with slow_peers.py --slow_senders=0 against grpc_echo on the shared
#     2-core machine; the thread-per-call server needs 38 KiB). The slow
#     senders' payload is a few bytes each: the memory budget plays no part;
#   - once the calls ended, the server holds nothing for them: /metrics shows
#     0 calls and 0 payload bytes in flight.
# The two load-speed criteria (80% of the throughput, 2x the p99) are
# printed with every run but gate it only with STRESS_JUDGE_TIMING=1: CI
# asserts no wall time, and on Debian's gRPC 1.51 they do not hold for any
# callback-API server. That gRPC is built without NDEBUG, so every
# completion of an operation scans the list of all outstanding operations
# under the completion queue's lock (cq_check_tag in completion_queue.cc,
# seen as the hottest loop of libgrpc under perf): each of the 10,000 idle
# streams keeps one read outstanding, and every call of the load pays for a
# scan of them all. The minimal callback-API echo (tests/perf/grpc_echo.cc)
# loses throughput under the same peers too (README "Production").
# Prints every figure in a table (also OUT_DIR/stress.md, stress.json);
# exits 1 when a criterion fails, 2 when the run itself could not be made.
#
#   scripts/stress.sh [OUT_DIR]            (default build/stress; ~75 s)
#   STRESS_RECEIVE_TIMEOUT=20 STRESS_IDLE_STREAMS=2000 scripts/stress.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
OUT="${1:-$BUILD_DIR/stress}"
RECEIVE_TIMEOUT="${STRESS_RECEIVE_TIMEOUT:-30}"  # seconds
MARGIN="${STRESS_CUTOFF_MARGIN:-3}"              # seconds
SLOW_SENDERS="${STRESS_SLOW_SENDERS:-64}"
IDLE_STREAMS="${STRESS_IDLE_STREAMS:-10000}"
IDLE_CONNECTIONS="${STRESS_IDLE_CONNECTIONS:-100}"
LOAD_SECONDS="${STRESS_LOAD_SECONDS:-6}"
RSS_PER_CALL_KIB="${STRESS_RSS_PER_CALL_KIB:-32}"
PY=/usr/bin/python3
export PYTHONPATH="$BUILD_DIR/generated/python"
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.txt "$OUT"/*.log
ensure_packages
build tensor_transform_server tensor_transform_client \
  tensor_transform_python_stubs

SERVER_PID="" SAMPLER_PID="" PEERS_PID=""
cleanup() {
  for pid in $PEERS_PID $SAMPLER_PID $SERVER_PID; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT
now() { date +%s.%N; }

# start_stress_server: the server on a free port with the receive timeout
# and a metrics endpoint; sets PORT, METRICS. A server without
# --receive_timeout (before the callback-API rewrite) is started without it,
# and the report says so.
start_stress_server() {
  local flags=(--listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0
               --grace_period=2s) help log="$OUT/server.log"
  help=$("$BUILD_DIR/tensor_transform_server" --helpfull 2>&1 || true)
  RECEIVE_TIMEOUT_FLAG=true
  if [[ "$help" == *--receive_timeout* ]]; then
    flags+=(--receive_timeout="${RECEIVE_TIMEOUT}s")
  else
    RECEIVE_TIMEOUT_FLAG=false
    log "the server has no --receive_timeout flag: started without it"
  fi
  "$BUILD_DIR/tensor_transform_server" "${flags[@]}" 2>"$log" &
  SERVER_PID=$!
  local log="$OUT/server.log"
  for _ in $(seq 100); do
    PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
    METRICS=$(sed -n 's/.*metrics on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$log")
    [ -n "$PORT" ] && [ -n "$METRICS" ] && return 0
    sleep 0.1
  done
  echo "stress: the server did not start:" >&2; cat "$OUT/server.log" >&2
  exit 2
}

# sample_server PID: every 0.2 s until PID exits, one line "time threads
# VmRSS_kB VmHWM_kB".
sample_server() {
  while [ -r "/proc/$1/status" ]; do
    awk -v t="$(now)" '/^Threads/ {n=$2} /^VmRSS/ {r=$2} /^VmHWM/ {h=$2}
      END {if (r) print t, n, r, h}' "/proc/$1/status" 2>/dev/null || true
    sleep 0.2
  done
}

# run_load NAME: the 1 KiB Apply load into NAME.json, its start and end
# times into NAME.window.
run_load() {
  log "load ($1): 1 KiB Apply, concurrency 16, 4 connections," \
    "${LOAD_SECONDS} s"
  local start
  start=$(now)
  "$BUILD_DIR/tensor_transform_client" load --target="127.0.0.1:$PORT" \
    --rpc=apply --shape=128 --dtype=float64 --concurrency=16 \
    --connections=4 --duration="${LOAD_SECONDS}s" --warmup=1s --timeout=2s \
    --max_error_rate=1 --format=json >"$OUT/$1.json" 2>>"$OUT/load.log" ||
    log "load ($1) failed: see $OUT/load.log"
  echo "$start $(now)" >"$OUT/$1.window"
}

scrape_metrics() {
  "$PY" -c 'import sys, urllib.request
url = "http://" + sys.argv[1] + "/metrics"
print(urllib.request.urlopen(url).read().decode())' "$METRICS" >"$OUT/$1"
}

# rss_kib: the server's VmRSS; exits when the server is gone.
rss_kib() {
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "stress: FAIL: the server exited during the run:" >&2
    tail -5 "$OUT/server.log" >&2
    exit 1
  fi
  awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"
}

start_stress_server
sample_server "$SERVER_PID" >"$OUT/samples.txt" &
SAMPLER_PID=$!
run_load undisturbed_before
RSS_BEFORE_KIB=$(rss_kib)
HOLD=$((RECEIVE_TIMEOUT + MARGIN + 2))
log "peers: $IDLE_STREAMS idle streams over $IDLE_CONNECTIONS connections," \
  "$SLOW_SENDERS slow senders"
"$PY" "$ROOT/tests/stress/slow_peers.py" --target="127.0.0.1:$PORT" \
  --slow_senders="$SLOW_SENDERS" --idle_streams="$IDLE_STREAMS" \
  --idle_connections="$IDLE_CONNECTIONS" --hold="$HOLD" \
  --ready_file="$OUT/peers_ready.json" --out="$OUT/peers.json" \
  2>"$OUT/peers.log" &
PEERS_PID=$!
until [ -s "$OUT/peers_ready.json" ]; do
  if ! kill -0 "$PEERS_PID" 2>/dev/null; then
    echo "stress: the peers could not open their calls:" >&2
    cat "$OUT/peers.log" >&2
    exit 2
  fi
  sleep 0.2
done
run_load disturbed
log "waiting for the server to end the peers' calls" \
  "(at most ${HOLD} s after they opened)"
wait "$PEERS_PID" || { cat "$OUT/peers.log" >&2; exit 2; }
PEERS_PID=""
run_load undisturbed_after
RSS_AFTER_KIB=$(rss_kib)
scrape_metrics metrics_after.txt
kill "$SERVER_PID" || true
wait "$SERVER_PID" || true
SERVER_PID=""
wait "$SAMPLER_PID" || true
SAMPLER_PID=""

cat >"$OUT/run.json" <<EOF
{"receive_timeout_s": $RECEIVE_TIMEOUT,
 "receive_timeout_flag": $RECEIVE_TIMEOUT_FLAG, "margin_s": $MARGIN,
 "cores": $(nproc), "rss_per_call_kib": $RSS_PER_CALL_KIB,
 "rss_before_kib": $RSS_BEFORE_KIB, "rss_after_kib": $RSS_AFTER_KIB}
EOF
"$PY" "$ROOT/scripts/stress_report.py" "$OUT"
