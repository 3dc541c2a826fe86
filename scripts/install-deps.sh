#!/usr/bin/env bash
# Installs what sctpgw needs to build, run and test, from Debian's packages.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libsctp-dev libspdlog-dev libfmt-dev libabsl-dev libcli11-dev libtomlplusplus-dev libcivetweb-dev libsystemd-dev
  libpcap-dev
  # libsctpd's daytime server on a GLib main loop (examples/sctpd)
  libglib2.0-dev
  libgtest-dev libgmock-dev
  # the test build: clang's AddressSanitizer/UBSan/ThreadSanitizer and libFuzzer
  clang libclang-rt-dev
  # the lab: a Debian kernel with SCTP under qemu
  qemu-system-x86 busybox-static cpio kmod iproute2 procps
  # independent SCTP peers and tools for the tests
  lksctp-tools socat ncat iperf3 python3 python3-grpcio
  # the Python client library (clients/python): its protobuf runtime and
  # the setuptools its install step uses
  python3-protobuf python3-setuptools
  # a userland SCTP stack that speaks SCTP over UDP
  libusrsctp-examples
  # reads the captures sctpctl writes (tests of sctpctl capture)
  tshark
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The Node.js example: Debian's nodejs and npm unless node and npm are
# already there (a NodeSource nodejs, for one, brings its own npm and
# conflicts with Debian's).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -ne 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# npm packages: the Node.js client library's and example's, and the
# deployment and container tests' validators and linters.
"$(dirname "$0")/install-npm-packages.sh" examples/node clients/node tests/deploy tests/container
"$(dirname "$0")/install-go-deps.sh"
