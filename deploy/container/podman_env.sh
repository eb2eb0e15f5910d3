# Rootful podman on a host with no Docker engine and no container registry.
# Source it after scripts/common.sh (log, ensure_packages); it defines:
#   ensure_container_tools    podman & co. from Debian, when missing
#   podman_setup WORKDIR      private storage and this host's quirks, exported
#   ensure_base_images        debian:bookworm and debian:bookworm-slim under
#                             the names the Dockerfile's FROM lines use

CONTAINER_PACKAGES=(
  podman buildah runc uidmap slirp4netns fuse-overlayfs
  containernetworking-plugins netavark aardvark-dns iptables catatonit
  debootstrap podman-compose
)
# Kept between runs when the machine keeps /var/cache; never required.
TT_CACHE_DIR="${TT_CACHE_DIR:-/var/cache/tensor-transform}"
BASE_ARCHIVE="$TT_CACHE_DIR/debian-bookworm-base.tar"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

ensure_container_tools() { ensure_packages "${CONTAINER_PACKAGES[@]}"; }

# crun refuses this host's hybrid cgroup layout, so runc with cgroupfs; the
# hard open-files limit is 20000 without CAP_SYS_RESOURCE, so podman's
# default ulimits (1048576) fail with EPERM. Storage and networks stay under
# WORKDIR, out of the system's.
podman_setup() {
  local work="$1"
  mkdir -p "$work/storage" "$work/run" "$work/networks"
  cat >"$work/containers.conf" <<CONF
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[network]
network_config_dir = "$work/networks"
CONF
  cat >"$work/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$work/storage"
runroot = "$work/run"
CONF
  export CONTAINERS_CONF="$work/containers.conf"
  export CONTAINERS_STORAGE_CONF="$work/storage.conf"
}

# Loads the cached base, or makes it with debootstrap (1-4 min) and caches it.
ensure_base_images() {
  if ! podman image exists localhost/debian:bookworm; then
    if [ -s "$BASE_ARCHIVE" ] && podman load -q -i "$BASE_ARCHIVE" >&2; then
      log "base image loaded from $BASE_ARCHIVE"
    else
      make_base_image
    fi
  fi
  # The Dockerfile keeps its real FROM names; here they resolve locally.
  podman tag localhost/debian:bookworm docker.io/library/debian:bookworm
  podman tag localhost/debian:bookworm-slim \
    docker.io/library/debian:bookworm-slim
}

make_base_image() {
  local rootfs
  rootfs="$(mktemp -d /var/tmp/tt-rootfs.XXXXXX)"
  log "debootstrap bookworm (minbase) into $rootfs"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$DEBIAN_MIRROR" \
    >/dev/null; then
    remove_rootfs "$rootfs"
    return 1
  fi
  write_apt_sources "$rootfs"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import -q - localhost/debian:bookworm >&2
  slim_rootfs "$rootfs"
  tar -C "$rootfs" -c . | podman import -q - localhost/debian:bookworm-slim >&2
  remove_rootfs "$rootfs"
  if mkdir -p "$TT_CACHE_DIR" 2>/dev/null &&
    podman save -q -m -o "$BASE_ARCHIVE.tmp" localhost/debian:bookworm \
      localhost/debian:bookworm-slim; then
    mv "$BASE_ARCHIVE.tmp" "$BASE_ARCHIVE"
    log "base images cached in $BASE_ARCHIVE"
  fi
}

# debootstrap mounts /proc and /sys inside; a failed run may leave them.
remove_rootfs() {
  umount -R "$1/proc" "$1/sys" 2>/dev/null || true
  rm -rf --one-file-system "$1"
}

# Like the published images: the release, its updates and security fixes.
write_apt_sources() {
  cat >"$1/etc/apt/sources.list" <<SOURCES
deb $DEBIAN_MIRROR bookworm main
deb $DEBIAN_MIRROR bookworm-updates main
deb ${DEBIAN_MIRROR%/debian}/debian-security bookworm-security main
SOURCES
}

# What the published -slim image drops: documentation, manuals, translations;
# and a dpkg filter so that later installs drop them too.
slim_rootfs() {
  find "$1/usr/share/doc" ! -type d ! -name copyright -delete
  rm -rf "$1"/usr/share/man/* "$1"/usr/share/info/* "$1"/usr/share/locale/*
  cat >"$1/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
}
