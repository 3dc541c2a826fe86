# sctpgw's container image: the service (entrypoint) and sctpctl, on Debian 12.
#
#   podman build -t sctpgw .        (or: docker build -t sctpgw .)
#   podman run -d --network host -v /run/sctpgw:/run/sctpgw sctpgw
#
# Capabilities: none are needed, and none should be added by default. Kernel
# SCTP sockets need no privilege, and sctpgw runs as the unprivileged user
# sctpgw (uid/gid 10001). Only SCTP endpoints or listeners configured on ports
# below 1024 need CAP_NET_BIND_SERVICE (podman run --cap-add NET_BIND_SERVICE;
# or, in a network namespace of its own, no capability but
# --sysctl net.ipv4.ip_unprivileged_port_start=0). The host's kernel must have
# SCTP; where it has not, sctpgw still starts and reports NOT_SERVING on its
# health service. docs/container.md has the details.

# --- build: compiler and -dev packages; only sctpgw and sctpctl are built ---
FROM debian:bookworm AS build

# The packages first, in their own layer: a source change does not redo it.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config ccache \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libsctp-dev libspdlog-dev libfmt-dev libabsl-dev libcli11-dev libtomlplusplus-dev \
      libcivetweb-dev libsystemd-dev libpcap-dev \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# What configuring and building the two binaries reads; tests/, docs/ and
# scripts/ changes do not invalidate the compile layer.
COPY CMakeLists.txt ./
COPY proto/ proto/
COPY server/ server/
COPY client/ client/
COPY examples/ examples/
# ccache in a build cache (podman and BuildKit keep it between builds): a
# rebuild after a source change compiles only what changed.
RUN --mount=type=cache,target=/root/.cache/ccache \
    cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
      -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
 && cmake --build /build --target sctpgw sctpgw-fd-holder sctpctl \
 && install -D -s -m 0755 -t /out /build/server/sctpgw /build/server/sctpgw-fd-holder /build/client/sctpctl

# --- runtime: the shared libraries the binaries link, a user, the binaries ---
FROM debian:bookworm

LABEL org.opencontainers.image.title="sctpgw" \
      org.opencontainers.image.description="gRPC service that holds Linux kernel SCTP endpoints for applications" \
      org.opencontainers.image.version="0.1.0"

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libabsl20220623 libsctp1 libpcap0.8 \
      libspdlog1.10 libfmt9 libtomlplusplus3 libcivetweb1 libsystemd0 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 sctpgw \
 && useradd --uid 10001 --gid sctpgw --no-log-init --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin sctpgw \
 && install -d -o sctpgw -g sctpgw -m 0755 /run/sctpgw

COPY --from=build /out/ /usr/local/bin/
# Fails the build when a library the binaries need is not installed above.
RUN ! ldd /usr/local/bin/sctpgw /usr/local/bin/sctpgw-fd-holder /usr/local/bin/sctpctl | grep 'not found'

# The unix socket lives here; share it with clients as a volume (a host
# directory writable by uid 10001, or a named volume).
VOLUME ["/run/sctpgw"]
# sctpctl in the container (the health check, `exec ... sctpctl`) talks to
# the socket below; change both together when --listen changes.
ENV SCTPGW_TARGET=unix:/run/sctpgw/sctpgw.sock

USER sctpgw:sctpgw
# sctpgw is PID 1 (exec form): it takes SIGTERM itself, shuts associations
# down gracefully, removes its socket and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/sctpgw"]
CMD ["--listen", "unix:/run/sctpgw/sctpgw.sock"]
# Healthy only while sctpgw reports SERVING (NOT_SERVING when the host's
# kernel has no SCTP).
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD /usr/local/bin/sctpctl --timeout-ms 3000 health || exit 1
