#!/usr/bin/env bash
# Performance report (issue 3): kernels against the memory floors and NumPy,
# RPC round trips against a plain TCP echo, chunk-size sweep, small-tensor
# throughput, server memory, growth with size, load at high concurrency. Every
# ratio is measured side by side in this one run. Writes OUT_DIR/report.md and
# OUT_DIR/report.json.
#
#   scripts/bench.sh [OUT_DIR]        (default build/bench; ~25 min)
#   REPEATS=10 scripts/bench.sh       (more timed calls per RPC row)
#   STAGES="memory growth" scripts/bench.sh   (rerun some stages, then the
#       report from all results in OUT_DIR; stages: kernels echo rpc sweep
#       small memory growth throughput compute concurrency clients
#       colocated)
#   OLD_COMMIT=9d7b608 (default) the throughput stage also measures the
#       server of this commit, built in OUT_DIR/old-<commit> (not committed;
#       OLD_COMMIT= skips it)
#   CLIENT_ROUNDS=9 STAGES=clients scripts/bench.sh   (the clients compared;
#       default 5 rounds)
#   STAGES=colocated scripts/bench.sh   (callers on the same host: 200 MB in
#       place via shared memory from C++ and Python against the kernel
#       alone, NumPy, and inline over UDS and TCP; 1 KiB calls via shared
#       memory and inline; COLOCATED_ROUNDS rounds, default 5)
set -euo pipefail
source "$(dirname "$0")/common.sh"
OUT="${1:-$BUILD_DIR/bench}"
REPEATS="${REPEATS:-5}"
mkdir -p "$OUT"
ensure_packages
build
BIN="$BUILD_DIR"
STAGES=" ${STAGES:-kernels echo rpc sweep small memory growth throughput compute concurrency clients colocated} "
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
LISTENER_PIDS=()  # started by start_listener
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
      for p in "${LISTENER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
# start_listener NAME BINARY [flags...]: starts a server binary that logs
# "listening on 127.0.0.1:PORT" (tensor_transform_server, grpc_echo) on a
# free port, stopped by stop_listeners; adds "NAME PORT" to LISTENERS.
LISTENERS=()
start_listener() {
  local name=$1 binary=$2 log="$OUT/listener_$1.log" port
  shift 2
  "$binary" --listen=127.0.0.1:0 "$@" 2>"$log" &
  LISTENER_PIDS+=($!)
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
    [ -n "$port" ] && LISTENERS+=("$name $port") && return 0
    sleep 0.1
  done
  echo "$name did not start" >&2; return 1
}
stop_listeners() {
  for p in "${LISTENER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${LISTENER_PIDS[@]}" 2>/dev/null || true
  LISTENER_PIDS=() LISTENERS=()
}
# build_old_server COMMIT: tensor_transform_server as of COMMIT, exported
# with git archive (no worktree registered) and built in OUT/old-COMMIT
# (ccache makes rebuilds cheap); prints the binary's path.
build_old_server() {
  local dir="$OUT/old-$1"
  if [ ! -f "$dir/src/CMakeLists.txt" ]; then
    mkdir -p "$dir/src"
    git -C "$ROOT" archive "$1" | tar -x -C "$dir/src"
  fi
  log "building the server of $1 in $dir/build"
  cmake -S "$dir/src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTT_BUILD_TESTS=OFF \
    ${CCACHE:+-DCMAKE_CXX_COMPILER_LAUNCHER=ccache} >/dev/null
  cmake --build "$dir/build" -j "$(nproc)" --target tensor_transform_server >&2
  echo "$dir/build/tensor_transform_server"
}
OLD_COMMIT="${OLD_COMMIT-9d7b608}"
CCACHE=$(command -v ccache || true)

# peak_threads PID: the most threads PID ran, sampled every 100 ms from
# /proc until this is stopped (SIGTERM) or PID ends.
peak_threads() {
  local peak=0 n
  trap 'echo "$peak"; exit 0' TERM
  while n=$(awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null); do
    if [ "${n:-0}" -gt "$peak" ]; then peak=$n; fi
    sleep 0.1
  done
  echo "$peak"
}
# concurrency_sweep: `load --connections=4` of 1 KiB Apply at 16, 256 and
# 1,024 calls in flight against a fresh server, ROUNDS times with the levels
# interleaved; one JSON object with a run per level and round: calls/s, p50,
# p99, errors, the client's peak threads (its own report) and the server's
# (sampled meanwhile).
concurrency_sweep() {
  local round c sampler
  start_server
  for round in $(seq "${ROUNDS:-3}"); do
    for c in 16 256 1024; do
      peak_threads "$SERVER_PID" >"$OUT/concurrency_server_threads" &
      sampler=$!
      "$BIN/tensor_transform_client" load --target="127.0.0.1:$PORT" \
        --rpc=apply --shape=128 --dtype=float64 --concurrency=$c \
        --connections=4 --duration=5s --warmup=1s --format=json \
        2>>"$OUT/bench.log" >"$OUT/concurrency_level.json"
      kill "$sampler"; wait "$sampler"
      "$PY" -c "import json,sys
l = json.load(open(sys.argv[1]))['levels'][0]
print(json.dumps({'round': $round, 'concurrency': $c,
                  'calls_per_s': l['calls_per_s'],
                  'p50_ms': l['latency_ms']['p50'],
                  'p99_ms': l['latency_ms']['p99'], 'errors': l['errors'],
                  'client_threads': l['client_threads'],
                  'server_threads': int(open(sys.argv[2]).read())}))" \
        "$OUT/concurrency_level.json" "$OUT/concurrency_server_threads"
    done
  done | "$PY" -c "import json,sys; print(json.dumps({'runs': [json.loads(l) for l in sys.stdin]}))"
  stop_server >/dev/null
}

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

if stage throughput; then
# The project's load against a minimal callback-API server on the same gRPC
# (tests/perf/grpc_echo.cc), the server and the server of OLD_COMMIT, all
# listening at once and measured in turns, ROUNDS times. Unverified: the
# echo answers with its request.
log "1 KiB Apply throughput vs grpc_echo (and $OLD_COMMIT), concurrency 16, 4 connections"
if [ -n "$OLD_COMMIT" ]; then
  old_server=$(build_old_server "$OLD_COMMIT")
fi
start_listener echo "$BIN/grpc_echo"
start_listener server "$BIN/tensor_transform_server"
[ -n "$OLD_COMMIT" ] && start_listener old "$old_server"
for round in $(seq "${ROUNDS:-3}"); do
  for t in "${LISTENERS[@]}"; do
    read -r name port <<<"$t"
    "$BIN/tensor_transform_client" load --target="127.0.0.1:$port" --rpc=apply \
      --shape=128 --dtype=float64 --concurrency=16 --connections=4 \
      --duration=5s --warmup=1s --verify=false --format=json 2>>"$OUT/bench.log" |
      "$PY" -c "import json,sys; l=json.load(sys.stdin)['levels'][0]; print(json.dumps({'target': '$name', 'round': $round, 'calls_per_s': l['calls_per_s'], 'errors': l['errors'], 'latency_ms': l['latency_ms']}))"
  done
done | "$PY" -c "import json,sys; print(json.dumps({'old_commit': '$OLD_COMMIT', 'runs': [json.loads(l) for l in sys.stdin]}))" >"$OUT/throughput.json"
stop_listeners
fi

if stage compute; then
# Server compute time of 200 MB unary calls beside the 200 MB memory floors
# (core_benchmark, float64: 25 M elements), measured before, between and
# after the two dtypes' calls.
log "server compute, 200 MB unary, float64 and float32, beside the memory floors"
floors() {
  "$BIN/core_benchmark" --benchmark_filter='^floor/float64/(copy|in_place)/' \
    --benchmark_repetitions=3 --benchmark_min_time=0.1 --benchmark_format=json \
    >"$OUT/compute_floors_$1.json" 2>>"$OUT/bench.log"
}
start_server
floors 1
bench --rpcs=apply,inplace,gradient --modes=unary --repeats="$REPEATS" \
  --dtype=float64 --shape=5000x5000 >"$OUT/compute_float64.json"
floors 2
bench --rpcs=apply,inplace,gradient --modes=unary --repeats="$REPEATS" \
  --dtype=float32 --shape=10000x5000 >"$OUT/compute_float32.json"
floors 3
stop_server >/dev/null
fi

if stage concurrency; then
log "load at concurrency 16, 256 and 1,024 (1 KiB Apply, 4 connections): both sides' threads"
concurrency_sweep >"$OUT/concurrency.json"
fi

# clients_stage: the same 200 MB float64 Apply, ApplyInPlace (out=x) and
# Gradient through every client against the one server on $PORT: the C++
# client, Python (native extension and pure grpcio) and Node. Each of
# $CLIENT_ROUNDS rounds runs every client once per RPC, the clients of an
# RPC one after the other, so that on a shared machine no client gets all
# the quiet moments and the times compared lie close together. Python
# starts with an empty environment (no GLIBC_TUNABLES, no PYTHONPATH); the
# C++ client as run.sh runs it, and Node with the same GLIBC_TUNABLES
# (JavaScript cannot ask for huge pages itself: without, a 200 MB result
# faults in 4 KiB at a time). Last, the native Python client's peak RSS over
# repeated Applies. Prints JSON lists, one per line, every row tagged with
# its round.
clients_stage() {
  local target="127.0.0.1:$PORT" node
  node="$(command -v node)"
  "$ROOT/scripts/npm_run.sh" "$ROOT/client/node" true  # node_modules
  local python=("$PY" "$ROOT/client/python/bench/bench.py"
                --package-dir="$BUILD_DIR/python" --target="$target"
                --repeats="$REPEATS")
  local round rpc
  for round in $(seq "${CLIENT_ROUNDS:-5}"); do
    for rpc in apply inplace gradient; do
      env -i "${python[@]}" --rpcs=$rpc
      bench --rpcs=$rpc --repeats="$REPEATS" |
        "$PY" -c "import json,sys; r=json.load(sys.stdin); [x.update(client='cpp') for x in r]; print(json.dumps(r))"
      env -i "${python[@]}" --rpcs=$rpc --pure
      env -i GLIBC_TUNABLES="$GLIBC_TUNABLES" "$node" \
        "$ROOT/client/node/bench.js" --target="$target" --repeats="$REPEATS" \
        --rpcs=$rpc
    done | "$PY" -c "import json,sys; [print(json.dumps([dict(x, round=$round) for x in json.loads(l)])) for l in sys.stdin]"
  done
  env -i "${python[@]}" --rss-only
}

if stage clients; then
log "clients: C++, Python native, Python pure, Node on one server (200 MB)"
start_server
clients_stage | "$PY" -c "import json,sys; print(json.dumps([r for l in sys.stdin for r in json.loads(l)]))" >"$OUT/clients.json"
stop_server >/dev/null
fi

# colocated_round ROUND UDS_TARGET TCP_TARGET: one round against the server
# started with --allow_shared_memory: the core kernel alone (in place,
# float64, on as many threads as the server's pool: core_benchmark registers
# its pool's count, the CPUs it may use), then the 200 MB float64
# ApplyInPlace and Gradient from the C++ client via shared memory over the
# Unix socket and over TCP and inline over both, from Python via shared
# memory beside NumPy (client/python/bench/colocated.py) and inline over
# both (bench.py), then 1 KiB calls from the C++ client via shared memory
# and inline (`bench --modes=unary --shared_memory`: rows of modes unary and
# shm). One JSON object per line: {round, caller, transport ("uds" or
# "tcp"), data}, data as the tool printed it (scripts/colocated_goals.py
# reads them).
colocated_round() {
  local round=$1 uds=$2 tcp=$3 t target
  tagged() {
    "$PY" -c "import json,sys
print(json.dumps({'round': $round, 'caller': sys.argv[1],
                  'transport': sys.argv[2], 'data': json.load(sys.stdin)}))" "$@"
  }
  cpp() {
    "$BIN/tensor_transform_client" bench --format=json --rpcs=inplace,gradient \
      "$@" 2>>"$OUT/bench.log"
  }
  local python=("$PY" "$ROOT/client/python/bench/bench.py"
                --package-dir="$BUILD_DIR/python" --repeats="$REPEATS"
                --rpcs=inplace,gradient)
  "$BIN/core_benchmark" --benchmark_min_time=0.2 --benchmark_format=json \
    --benchmark_filter="^(relu/float64/[a-z]+|gradient/float64/plain)/in/threads:$(nproc)(/|\$)" \
    2>>"$OUT/bench.log" | tagged kernel -
  for t in uds tcp; do
    if [ $t = uds ]; then target=$uds; else target=$tcp; fi
    cpp --target="$target" --repeats="$REPEATS" --modes=unary --shared_memory |
      tagged cpp $t
    env -i "${python[@]}" --target="$target" | tagged python $t
  done
  env -i "$PY" "$ROOT/client/python/bench/colocated.py" \
    --package-dir="$BUILD_DIR/python" --target="$uds" --repeats="$REPEATS" |
    tagged python uds
  for t in uds tcp; do
    if [ $t = uds ]; then target=$uds; else target=$tcp; fi
    cpp --target="$target" --shape=128 --repeats=200 --warmup=20 \
      --modes=unary --shared_memory | tagged cpp $t
  done
}

if stage colocated; then
log "co-located: 200 MB in place via shared memory (C++, Python) vs the kernel, NumPy, UDS and TCP inline; 1 KiB shm vs inline"
# Short: a Unix socket's path has at most 107 bytes.
sock="$(mktemp -u /tmp/tt-colocated.XXXXXX).sock"
start_server --listen="127.0.0.1:0,unix:$sock" --allow_shared_memory
for round in $(seq "${COLOCATED_ROUNDS:-5}"); do
  colocated_round "$round" "unix:$sock" "127.0.0.1:$PORT"
done | "$PY" -c "import json,sys; print(json.dumps([json.loads(l) for l in sys.stdin]))" >"$OUT/colocated.json"
stop_server >/dev/null
"$PY" "$ROOT/scripts/colocated_goals.py" "$OUT/colocated.json"
fi

cat /proc/loadavg >"$OUT/loadavg_end"
log "report"
"$PY" "$ROOT/scripts/bench_report.py" "$OUT"
cat "$OUT/report.md"
