#!/usr/bin/env bash
# Set up, build, check formatting, and run every test (C++ and the Python
# NumPy oracle) through ctest. Exits non-zero when anything fails.
set -euo pipefail
source "$(dirname "$0")/common.sh"
ensure_packages
build
log "checking clang-format"
cd "$ROOT"
git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror
log "running tests"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)"
