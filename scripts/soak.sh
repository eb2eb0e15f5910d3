#!/usr/bin/env bash
# The soak test (README "Production"): the real server under 32 concurrent
# clients mixing every RPC, sizes from bytes to hundreds of MB and malformed
# requests, every result verified, its peak RSS bounded:
#
#   scripts/soak.sh                                     # 60 s, 32 clients
#   scripts/soak.sh --soak_seconds=3600 --soak_clients=64
#
# Calls still running at the deadline finish first, so a run takes longer
# than --soak_seconds (up to about a minute more on 2 cores).
set -euo pipefail
source "$(dirname "$0")/common.sh"
ensure_packages
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target server_soak
log "soak: server_soak $*"
exec "$BUILD_DIR/tests/server/server_soak" "$@"
