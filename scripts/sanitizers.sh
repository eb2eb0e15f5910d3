#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer and
# under ThreadSanitizer, each in its own build tree (README "Production"):
#
#   scripts/sanitizers.sh          # both
#   scripts/sanitizers.sh asan     # build-asan: clang 14, ASan + UBSan
#   scripts/sanitizers.sh tsan     # build-tsan: GCC, TSan
#
# ASan + UBSan run the C++ suites (core, server, client) and the Python
# oracle against the sanitized server binary. TSan runs the core and server
# suites, where the server's threads are; the client suite would add only
# its load generator's threads for twice the time. Exits non-zero on any
# report.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/sanitizer_tree.sh"
ensure_packages
cd "$ROOT"

asan() {
  build_asan_tree core_tests server_tests client_tests \
    tensor_transform_server tensor_transform_client \
    tensor_transform_python_stubs
  log "ASan + UBSan: core, server, client suites and the Python oracle"
  asan_env
  ctest --test-dir "$ASAN_DIR" --output-on-failure -j "$(nproc)" \
    -R '^((core|server|client)_tests\.|python_oracle$)'
}

tsan() {
  local dir="$ROOT/build-tsan"
  # GCC, whose TSan runtime is a shared library: the core tests replace
  # operator new, which clang's static TSan runtime defines too. Its
  # warnings about fences in Abseil's headers and, at -O1, about that
  # replacement are not about our code's threads.
  local flags="-O1 -g1 -fno-omit-frame-pointer -fsanitize=thread"
  flags+=" -Wno-tsan -Wno-mismatched-new-delete"
  log "building the core and server suites into $dir (GCC, TSan)"
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
  cmake --build "$dir" -j "$(nproc)" \
    --target core_tests server_tests tensor_transform_server
  log "TSan: core and server suites"
  # tests/sanitizers/tsan.supp says what is suppressed and why.
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$ROOT/tests/sanitizers/tsan.supp" \
    ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" \
      -R '^(core|server)_tests\.'
}

case "${1:-all}" in
  asan) asan ;;
  tsan) tsan ;;
  all) asan; tsan ;;
  *) echo "usage: $0 [asan|tsan|all]" >&2; exit 2 ;;
esac
