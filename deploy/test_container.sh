#!/usr/bin/env bash
# CI stage: builds the Dockerfile with podman and tests the image for real.
#   - the image: non-root user, port, stop signal, HEALTHCHECK; its size
#   - a container (read-only root, no capabilities, the server as PID 1, as
#     in Kubernetes) answers `tensor_transform_client health` and a verified
#     `bench` from the host, and the image's own HEALTHCHECK passes
#   - SIGTERM while a stream is in flight: the stream completes with a
#     verified result, the container exits 0
#   - shared memory (deploy/k8s/sidecar/ as a podman pod): a server and a
#     client container of the image sharing a tmpfs /dev/shm and the
#     server's Unix socket; the client's `bench --shared_memory` verifies
#     every result over the socket and over loopback, leaves no object
#     behind, and fails (NOT_FOUND) without the shared /dev/shm
#   - deploy/compose.yaml: three replicas behind nginx take a verified load
#     run from the host, every replica serving a share; all stop with exit 0
# Needs root (rootful podman). The debootstrap base image is cached in
# $TT_CACHE_DIR (/var/cache/tensor-transform) when the machine keeps it;
# without it the run makes it (1-4 min more).
set -euo pipefail
source "$(dirname "$0")/../scripts/common.sh"
source "$ROOT/deploy/container/podman_env.sh"

IMAGE=localhost/tensor-transform:latest
LB_IMAGE=localhost/tensor-transform-lb:latest
CLIENT="$BUILD_DIR/tensor_transform_client"
CONTAINER="tt-test-$$"
PROJECT="tt-compose-$$"

fail() {
  echo "error: $*" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Polls `health` until the server answers (it may still be starting).
wait_healthy() {
  for _ in $(seq 100); do
    "$CLIENT" health --target="$1" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  "$CLIENT" health --target="$1"
}

# podman build, its output shown only when it fails.
build_image() {
  local tag="$1" context="$2" start=$SECONDS
  # --format docker: OCI images have no HEALTHCHECK.
  podman build --pull=never --network host --format docker -t "$tag" \
    "$context" >"$WORK/build.log" 2>&1 || {
    tail -40 "$WORK/build.log" >&2
    fail "podman build $context"
  }
  log "built $tag in $((SECONDS - start)) s," \
    "$(($(podman image inspect --format '{{.Size}}' "$tag") / 1000000)) MB"
}

check_image_config() {
  local config
  config="$(podman image inspect --format \
    '{{.Config.User}}|{{.Config.StopSignal}}|{{json .Config.ExposedPorts}}|{{json .Config.Healthcheck.Test}}' \
    "$IMAGE")"
  log "image config: $config"
  [[ "$config" == 10001:10001\|SIGTERM\|*50051/tcp*\|*tensor_transform_client*health* ]] ||
    fail "unexpected image config: $config"
}

# One container as Kubernetes runs it: health, HEALTHCHECK, user, bench.
test_container_serves() {
  log "starting $CONTAINER on $1"
  # No systemd here to time the HEALTHCHECK: podman logs that it cannot (into
  # podman.log); the check is run by hand below.
  podman run -d --name "$CONTAINER" -p "$1:50051" --read-only \
    --cap-drop=ALL --security-opt=no-new-privileges --health-interval=disable \
    "$IMAGE" >>"$WORK/podman.log" 2>&1
  wait_healthy "$1"
  podman healthcheck run "$CONTAINER" 2>>"$WORK/podman.log" ||
    fail "the image's HEALTHCHECK failed"
  log "health from the host and the image's HEALTHCHECK: healthy"
  [ "$(podman exec "$CONTAINER" id -u)" = 10001 ] || fail "runs as root"
  log "bench from the host (every response verified)"
  "$CLIENT" bench --target="$1" --shape=512x512 --repeats=3 --format=csv
}

# SIGTERM while drain_check.py holds a stream half sent.
test_sigterm_drains() {
  log "SIGTERM with a stream in flight"
  coproc DRAIN { PYTHONPATH="$BUILD_DIR/generated/python" \
    /usr/bin/python3 "$ROOT/deploy/container/drain_check.py" "$1"; }
  local drain_pid=$DRAIN_PID line exit_code
  read -r line <&"${DRAIN[0]}"
  [ "$line" = in-flight ] || fail "drain_check did not start its stream"
  podman kill --signal SIGTERM "$CONTAINER" >>"$WORK/podman.log" 2>&1
  sleep 0.5
  echo go >&"${DRAIN[1]}"
  cat <&"${DRAIN[0]}"
  wait "$drain_pid" || fail "the in-flight stream did not complete"
  exit_code="$(podman wait "$CONTAINER")"
  podman logs "$CONTAINER" 2>&1 | tail -2
  [ "$exit_code" = 0 ] || fail "container exited $exit_code after SIGTERM"
  log "container drained and exited 0"
}

# Bench rows (JSON on stdin): some through shared memory, every one verified.
check_shm_rows() {
  /usr/bin/python3 -c 'import json, sys
rows = json.load(sys.stdin)
sys.exit(not (any(r["mode"] == "shm" for r in rows) and
              all(r["verified"] for r in rows)))'
}

# deploy/k8s/sidecar/'s pod in podman: the server and a client container of
# the image, one tmpfs volume at /dev/shm in both and one holding the
# server's Unix socket. The pod shares only the network (not IPC), so the
# volume alone joins the two /dev/shm: the client without it must fail with
# NOT_FOUND (the server cannot see its region), which proves the verified
# calls went through the region, not inline.
test_shared_memory_pod() {
  local pod="tt-shm-$$" socket=/run/tensor-transform/tt.sock target out
  local volumes=(-v "$pod-shm:/dev/shm" -v "$pod-socket:/run/tensor-transform")
  local hardened=(--read-only --cap-drop=ALL --security-opt=no-new-privileges)
  # 64 MiB each, in 4 KiB pages: podman takes size= for a disk quota.
  for volume in shm socket; do
    podman volume create --opt type=tmpfs --opt device=tmpfs \
      --opt o=nr_blocks=16384,uid=10001,gid=10001,mode=0700 "$pod-$volume" \
      >>"$WORK/podman.log" 2>&1
  done
  podman pod create --name "$pod" --share net >>"$WORK/podman.log" 2>&1
  log "shared memory: server and client containers in pod $pod"
  podman run -d --pod "$pod" --name "$pod-server" "${volumes[@]}" \
    "${hardened[@]}" --health-interval=disable "$IMAGE" \
    "--listen=unix:$socket,127.0.0.1:50051" --allow_shared_memory \
    >>"$WORK/podman.log" 2>&1
  # client PODMAN_FLAGS... -- CLIENT_ARGS...: the image's client in the pod.
  client() {
    local flags=()
    while [ "$1" != -- ]; do flags+=("$1"); shift; done
    shift
    podman run --rm --pod "$pod" "${hardened[@]}" "${flags[@]}" \
      --no-healthcheck --entrypoint tensor_transform_client \
      "$IMAGE" "$@"
  }
  for _ in $(seq 100); do
    podman exec "$pod-server" tensor_transform_client health \
      --target="unix:$socket" >/dev/null 2>&1 && break
    sleep 0.2
  done
  podman exec "$pod-server" tensor_transform_client health \
    --target="unix:$socket" || fail "the server in $pod is not serving"
  for target in "unix:$socket" 127.0.0.1:50051; do
    out="$(client "${volumes[@]}" -- bench --shared_memory \
      --target="$target" --shape=512x512 --repeats=3 --format=json)" || {
      podman logs "$pod-server" 2>&1 | tail -5 >&2
      fail "bench --shared_memory --target=$target"
    }
    check_shm_rows <<<"$out" || fail "not verified through shared memory: $out"
    log "bench --shared_memory --target=$target: every result verified"
  done
  [ -z "$(podman exec "$pod-server" ls -A /dev/shm)" ] ||
    fail "regions left in /dev/shm: $(podman exec "$pod-server" ls -A /dev/shm)"
  if out="$(client -v "$pod-socket:/run/tensor-transform" -- bench \
    --shared_memory --target="unix:$socket" --shape=512x512 --repeats=1 2>&1)"; then
    fail "bench --shared_memory succeeded without the shared /dev/shm"
  fi
  grep -q NOT_FOUND <<<"$out" || fail "expected NOT_FOUND without the shared /dev/shm: $out"
  log "without the shared /dev/shm: NOT_FOUND, as it must"
  podman pod rm -f -t 0 "$pod" >>"$WORK/podman.log" 2>&1
  podman volume rm "$pod-shm" "$pod-socket" >>"$WORK/podman.log" 2>&1
}

# compose.yaml's replicas behind nginx: a verified load run, every replica
# serving a share (nginx's access log names each call's upstream).
test_compose() {
  local port target served
  port="$(free_port)"
  target="127.0.0.1:$port"
  build_image "$LB_IMAGE" "$ROOT/deploy/nginx"
  log "compose: 3 replicas behind nginx on $target"
  TT_LB_PORT="$port" podman-compose -p "$PROJECT" -f "$ROOT/deploy/compose.yaml" \
    up -d --no-build >>"$WORK/podman.log" 2>&1 || {
    tail -20 "$WORK/podman.log" >&2
    fail "podman-compose up"
  }
  wait_healthy "$target"
  "$CLIENT" load --target="$target" --requests=300 --concurrency=4 \
    --shape=128x512 --verify=true --format=csv
  served="$(podman logs "${PROJECT}_lb_1" 2>/dev/null |
    grep -o 'grpc_status=0 upstream=[0-9.:]*' | sort | uniq -c)"
  echo "$served"
  [ "$(wc -l <<<"$served")" = 3 ] || fail "not every replica served calls"
  podman-compose -p "$PROJECT" -f "$ROOT/deploy/compose.yaml" stop \
    >>"$WORK/podman.log" 2>&1
  for i in 1 2 3; do
    [ "$(podman inspect --format '{{.State.ExitCode}}' \
      "${PROJECT}_tensor-transform_$i")" = 0 ] || fail "replica $i exit status"
  done
  log "compose: every replica served a share and stopped with exit 0"
}

ensure_packages
# What runs on the host: the client, and the stubs drain_check.py imports.
build tensor_transform_client tensor_transform_python_stubs
ensure_container_tools
WORK="$(mktemp -d /var/tmp/tt-container.XXXXXX)"
cleanup() {
  podman pod rm -af -t 0 >>"$WORK/podman.log" 2>&1 || true
  podman rm -af -t 0 >>"$WORK/podman.log" 2>&1 || true
  podman volume rm -af >>"$WORK/podman.log" 2>&1 || true
  podman rmi -af >/dev/null 2>&1 || true
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
podman_setup "$WORK"
ensure_base_images
build_image "$IMAGE" "$ROOT"
check_image_config
target="127.0.0.1:$(free_port)"
test_container_serves "$target"
test_sigterm_drains "$target"
test_shared_memory_pod
test_compose
echo "container: 4 passed, 0 failed"
