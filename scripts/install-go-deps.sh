#!/usr/bin/env bash
# Installs what the Go client library (clients/go) needs to build and test,
# from Debian's packages only: the Go toolchain, the Go libraries it imports
# (their sources, under /usr/share/gocode/src) and the protoc plugins that
# generate its code from proto/. Idempotent: does nothing when everything is
# already installed.
set -euo pipefail

packages=(
  # the toolchain (Go 1.19 on Debian 12)
  golang-go
  # protoc and the plugins for Go messages and gRPC stubs
  protobuf-compiler protoc-gen-go protoc-gen-go-grpc
  # the libraries: gRPC, protobuf (APIv2 and the github.com/golang/protobuf
  # 1.5 shim that gRPC builds on; Debian's gRPC would otherwise pull in the
  # incompatible 1.3), and genproto's google.rpc status
  golang-google-grpc-dev golang-google-protobuf-dev
  golang-github-golang-protobuf-1-5-dev golang-google-genproto-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "install-go-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
