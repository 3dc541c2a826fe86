#!/usr/bin/env bash
# Installs what sctpgw needs to build, run and test, from Debian's packages.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libsctp-dev libspdlog-dev libfmt-dev libabsl-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev
  # the lab: a Debian kernel with SCTP under qemu
  qemu-system-x86 busybox-static cpio kmod iproute2 procps
  # independent SCTP peers and tools for the tests
  lksctp-tools socat ncat iperf3 python3 python3-grpcio
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
