#!/usr/bin/env bash
# Performance report (issue 3): kernels against the memory floors and NumPy,
# RPC round trips against a plain TCP echo, chunk-size sweep, small-tensor
# throughput, server memory, growth with size. Every ratio is measured side by
# side in this one run. Writes OUT_DIR/report.md and OUT_DIR/report.json.
#
#   scripts/bench.sh [OUT_DIR]        (default build/bench; ~20 min)
#   REPEATS=10 scripts/bench.sh       (more timed calls per RPC row)
#   STAGES="memory growth" scripts/bench.sh   (rerun some stages, then the
#       report from all results in OUT_DIR; stages: kernels echo rpc sweep
#       small memory growth clients)
#   CLIENT_ROUNDS=5 STAGES=clients scripts/bench.sh   (the clients compared)
set -euo pipefail
source "$(dirname "$0")/common.sh"
OUT="${1:-$BUILD_DIR/bench}"
REPEATS="${REPEATS:-5}"
mkdir -p "$OUT"
ensure_packages
build
BIN="$BUILD_DIR"
STAGES=" ${STAGES:-kernels echo rpc sweep small memory growth clients} "
stage() { [[ "$STAGES" == *" $1 "* ]]; }
# Debian's python3, with its grpcio and NumPy (one earlier on PATH may lack
# them).
PY=/usr/bin/python3
export PYTHONPATH="$BUILD_DIR/generated/python"
# Transparent huge pages for glibc's heap: payload buffers fault in 2 MiB at a
# time (see core/allocator.h).
export GLIBC_TUNABLES=glibc.malloc.hugetlb=1

SERVER_PID=""
# start_server [flags...]: a fresh server on a free port; sets PORT.
start_server() {
  local log="$OUT/server.log"
  "$BIN/tensor_transform_server" --listen=127.0.0.1:0 "$@" 2>"$log" &
  SERVER_PID=$!
  for _ in $(seq 100); do
    PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  echo "server did not start" >&2; return 1
}
# stop_server: prints the server's peak RSS in bytes, then stops it.
stop_server() {
  awk '/VmHWM/ {print $2 * 1024}' "/proc/$SERVER_PID/status"
  kill "$SERVER_PID"; wait "$SERVER_PID" || true
}
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true' EXIT
bench() { "$BIN/tensor_transform_client" bench --target="127.0.0.1:$PORT" \
            --format=json "$@" 2>>"$OUT/bench.log"; }

cat /proc/loadavg >"$OUT/loadavg_start"
if stage kernels; then
log "kernels, memory floors and NumPy"
bash "$ROOT/scripts/bench_kernels.sh" "$OUT"
fi

if stage echo; then
log "TCP echo floors, 200 MB: pipelined and store-and-forward"
"$BIN/tcp_echo" --bytes=200000000 --repeats=$((REPEATS * 3)) >"$OUT/tcp_echo.json"
fi

if stage rpc; then
log "RPC round trips, 5000x5000 float64, every rpc x method x mode"
start_server
bench --repeats="$REPEATS" >"$OUT/rpc.json"
stop_server >/dev/null
fi

if stage sweep; then
log "chunk-size sweep (ApplyStream, 200 MB)"
start_server
for chunk in 262144 1048576 4194304 16777216 67108864; do
  bench --rpcs=apply --modes=stream --repeats="$REPEATS" --chunk_bytes=$chunk |
    "$PY" -c "import json,sys; r=json.load(sys.stdin); [x.update(chunk_bytes=$chunk) for x in r]; print(json.dumps(r))"
done | "$PY" -c "import json,sys; print(json.dumps([r for l in sys.stdin for r in json.loads(l)]))" >"$OUT/chunk_sweep.json"
stop_server >/dev/null
fi

if stage small; then
# The load tool issues only tensor RPCs, so the cheapest call it can make, an
# Apply of 0 elements (no payload, no kernel work), stands in for Describe.
log "small tensors: 1 KiB Apply vs an empty Apply at concurrency 16"
start_server
for elements in 0 128; do
  "$BIN/tensor_transform_client" load --target="127.0.0.1:$PORT" --rpc=apply \
    --shape=$elements --dtype=float64 --concurrency=16 --duration=5s \
    --warmup=1s --format=json >"$OUT/small_$elements.json" 2>>"$OUT/bench.log"
done
stop_server >/dev/null
fi

if stage memory; then
log "server peak memory"
{
  for rpc in apply inplace; do
    start_server
    bench --rpcs=$rpc --modes=unary --repeats=2 >/dev/null
    echo "{\"case\": \"unary_$rpc\", \"payload_bytes\": 200000000, \"peak_rss_bytes\": $(stop_server)}"
  done
  start_server
  stream=$("$PY" "$ROOT/scripts/stream_rss.py" --target="127.0.0.1:$PORT" --bytes=4294967296)
  echo "{\"case\": \"stream_4gib\", \"payload_bytes\": 4294967296, \"peak_rss_bytes\": $(stop_server), \"client\": $stream}"
} | "$PY" -c "import json,sys; print(json.dumps([json.loads(l) for l in sys.stdin]))" >"$OUT/memory.json"
fi

if stage growth; then
log "growth: 1 KiB .. 1 GiB (streaming above the unary cap)"
start_server
for kib in 1 16 256 1024 16384 262144 1048576; do
  n=$((kib * 128))  # float64 elements
  if [ $kib -le 262144 ]; then mode=unary; else mode=stream; fi
  reps=$REPEATS
  [ $kib -le 262144 ] && reps=$((REPEATS * 2))
  [ $kib -le 1024 ] && reps=50
  bench --rpcs=apply --modes=$mode --shape=$n --repeats=$reps |
    "$PY" -c "import json,sys; print(json.dumps(json.load(sys.stdin)))"
done | "$PY" -c "import json,sys; print(json.dumps([r for l in sys.stdin for r in json.loads(l)]))" >"$OUT/growth.json"
stop_server >/dev/null
fi

# clients_stage: the same 200 MB float64 Apply, ApplyInPlace (out=x) and
# Gradient through every client against the one server on $PORT: the C++
# client, Python (native extension and pure grpcio) and Node. Each of
# $CLIENT_ROUNDS rounds runs every client once, so that on a shared machine
# no client gets all the quiet moments. Python starts with an empty
# environment (no GLIBC_TUNABLES, no PYTHONPATH); the C++ client as run.sh
# runs it, and Node with the same GLIBC_TUNABLES (JavaScript cannot ask for
# huge pages itself: without, a 200 MB result faults in 4 KiB at a time).
# Last, the native Python client's peak RSS over repeated Applies.
# Prints JSON lists, one per line, every row tagged with its round.
clients_stage() {
  local target="127.0.0.1:$PORT" node
  node="$(command -v node)"
  "$ROOT/scripts/npm_run.sh" "$ROOT/client/node" true  # node_modules
  local python=("$PY" "$ROOT/client/python/bench/bench.py"
                --package-dir="$BUILD_DIR/python" --target="$target"
                --repeats="$REPEATS")
  local round
  for round in $(seq "${CLIENT_ROUNDS:-3}"); do
    {
      bench --rpcs=apply,inplace,gradient --repeats="$REPEATS" |
        "$PY" -c "import json,sys; r=json.load(sys.stdin); [x.update(client='cpp') for x in r]; print(json.dumps(r))"
      env -i "${python[@]}"
      env -i "${python[@]}" --pure
      env -i GLIBC_TUNABLES="$GLIBC_TUNABLES" "$node" \
        "$ROOT/client/node/bench.js" --target="$target" --repeats="$REPEATS"
    } | "$PY" -c "import json,sys; [print(json.dumps([dict(x, round=$round) for x in json.loads(l)])) for l in sys.stdin]"
  done
  env -i "${python[@]}" --rss-only
}

if stage clients; then
log "clients: C++, Python native, Python pure, Node on one server (200 MB)"
start_server
clients_stage | "$PY" -c "import json,sys; print(json.dumps([r for l in sys.stdin for r in json.loads(l)]))" >"$OUT/clients.json"
stop_server >/dev/null
fi

cat /proc/loadavg >"$OUT/loadavg_end"
log "report"
"$PY" "$ROOT/scripts/bench_report.py" "$OUT"
cat "$OUT/report.md"
