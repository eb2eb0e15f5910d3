# Shared by sanitizers.sh and fuzz.sh: the ASan + UBSan build tree (clang 14,
# so that the fuzz targets can share its objects). Source it after
# common.sh; it defines ASAN_DIR, asan_env and build_asan_tree.

ASAN_DIR="${ASAN_DIR:-$ROOT/build-asan}"

# The sanitizers' runtime options: stop at the first report, with stacks.
asan_env() {
  # Leaks are checked, with no suppression needed.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
}

# build_asan_tree TARGET...: configures (build type None: only these flags,
# -O1, asserts on) and builds TARGETs.
build_asan_tree() {
  local flags="-O1 -g1 -fno-omit-frame-pointer -fsanitize=address,undefined"
  flags+=" -fno-sanitize-recover=all -Wno-unknown-warning-option"
  log "building $* into $ASAN_DIR (clang 14, ASan + UBSan)"
  CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$ASAN_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" -DTT_FUZZ=ON >/dev/null
  cmake --build "$ASAN_DIR" -j "$(nproc)" --target "$@"
}
