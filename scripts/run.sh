#!/usr/bin/env bash
# The main job: set up, build, then benchmark every ReLU method through a real
# gRPC server (embedded on a free loopback port unless --target is given) on
# the classic 5000 x 5000 float64 workload. Extra flags go to
# `tensor_transform_client bench` (see its --help), e.g. --repeats=10.
set -euo pipefail
source "$(dirname "$0")/common.sh"
ensure_packages
build
# Transparent huge pages for glibc's heap (core/allocator.h).
export GLIBC_TUNABLES=glibc.malloc.hugetlb=1
log "benchmark: tensor_transform_client bench $*"
exec "$BUILD_DIR/tensor_transform_client" bench "$@"
