# tensor-transform server image: built on debian:bookworm with Debian's -dev
# packages, run on debian:bookworm-slim with only the runtime libraries.
#
#   docker build -t tensor-transform .
#   docker run --rm -p 50051:50051 tensor-transform
#   tensor_transform_client health --target=127.0.0.1:50051
#
# The image also carries tensor_transform_client: HEALTHCHECK uses it, and
# `docker exec` can bench or describe the server from inside.
#
# As a sidecar sharing tensors through shared memory (docs/shared-memory.md;
# deploy/k8s/sidecar/, deploy/compose.sidecar.yaml): mount one tmpfs at
# /dev/shm in the app and here, and a shared volume at /run/tensor-transform
# for the Unix socket, then
#   docker run ... tensor-transform \
#     --listen=unix:/run/tensor-transform/tt.sock,127.0.0.1:50051 \
#     --allow_shared_memory
# deploy/test_container.sh builds and tests it with podman (no Docker engine
# needed).

FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
# What the project's top-level CMake looks for (GoogleTest, Benchmark and
# Python among them); the tests themselves are not configured.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config binutils \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libabsl-dev xtensor-dev libxsimd-dev xtl-dev nlohmann-json3-dev \
      prometheus-cpp-dev libcivetweb-dev \
      libgtest-dev libgmock-dev libbenchmark-dev python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Plain x86-64: the image must run on any x86-64 machine, so no -march=native
# (wider SIMD comes from the kernels' runtime dispatch); the build fails if
# the project ever asks for it.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTT_BUILD_TESTS=OFF \
      -DTT_BUILD_PYTHON=OFF \
      >/dev/null \
 && ! grep -q -e '-march=native' /build/compile_commands.json \
 && cmake --build /build -j"$(nproc)" \
      --target tensor_transform_server tensor_transform_client \
 && mkdir /out \
 && strip -o /out/tensor_transform_server /build/tensor_transform_server \
 && strip -o /out/tensor_transform_client /build/tensor_transform_client
# The Debian packages that own the binaries' shared libraries: the runtime
# stage installs exactly those, whatever the build links.
RUN ldd /out/* | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u \
  | while read -r lib; do dpkg -S "*/${lib##*/}"; done \
  | cut -d: -f1 | sort -u >/runtime-packages \
 && grep -q '^libgrpc++' /runtime-packages \
 && grep -q '^libprometheus-cpp-core' /runtime-packages \
 && grep -q '^libcivetweb1' /runtime-packages

FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=build /runtime-packages /tmp/runtime-packages
RUN apt-get update \
 && xargs -a /tmp/runtime-packages \
      apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/* \
      /tmp/runtime-packages \
 && groupadd --system --gid 10001 tensor \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --shell /usr/sbin/nologin tensor \
 && install -d -o 10001 -g 10001 -m 0700 /run/tensor-transform
COPY --from=build /out/ /usr/local/bin/
# /run/tensor-transform: where a sidecar's Unix socket goes; a volume
# mounted there starts with this owner (Docker and podman copy it up).
USER 10001:10001
# Transparent huge pages for glibc's heap: payload buffers fault in 2 MiB at
# a time (core/allocator.h; README "Performance: the RPC path").
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1
EXPOSE 50051
# On SIGTERM the server lets in-flight calls finish (--grace_period) and
# exits 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["tensor_transform_client", "health", "--target=127.0.0.1:50051"]
ENTRYPOINT ["tensor_transform_server"]
# 0.0.0.0: reachable through the container's network, not only from inside.
CMD ["--listen=0.0.0.0:50051"]
