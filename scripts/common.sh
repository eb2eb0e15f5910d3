# Shared by run.sh, test.sh and bench.sh: install what is missing, then build.
# Source it; it defines ensure_packages and build.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

# Debian packages the build and the tests need.
PACKAGES=(
  g++ cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev xtensor-dev libxsimd-dev xtl-dev nlohmann-json3-dev
  prometheus-cpp-dev libcivetweb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-grpcio python3-numpy python3-protobuf python3-h2 clang-format
  python3-dev pybind11-dev
  nginx python3-yaml nodejs
  chromium tidy
  qemu-user
  openssl clang-14 libclang-rt-14-dev llvm-14
)

log() { printf '==> %s\n' "$*" >&2; }

# Installs the packages named (default: PACKAGES) that are not installed yet
# (needs root).
ensure_packages() {
  local wanted=("$@") missing=()
  [ $# -eq 0 ] && wanted=("${PACKAGES[@]}")
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing missing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: run as root (or install: apt-get install ${missing[*]})" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
    "${missing[@]}"
}

# Configures (Release) and builds into $BUILD_DIR the targets named, or
# every target.
build() {
  log "building into $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_DIR" -j "$(nproc)" ${1:+--target "$@"}
}
