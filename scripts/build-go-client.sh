#!/usr/bin/env bash
# Builds the Go client library of sctpgw (clients/go, import path
# sctpgw.dev/client) and its example, offline, with Debian's Go toolchain
# and Go library packages (scripts/install-go-deps.sh installs them):
#
#   scripts/build-go-client.sh OUTDIR
#
# Go builds in GOPATH mode (GO111MODULE=off): Debian installs its Go
# libraries as sources under /usr/share/gocode/src, which a GOPATH uses as
# they are, with no module proxy and no go.sum. OUTDIR holds:
#
#   gopath/src/sctpgw.dev/client           a link to clients/go (package sctpgw)
#   gopath/src/sctpgw.dev/proto/sctpgw/v1  the code protoc generates from
#                                          proto/sctpgw/v1 (package sctpgwv1)
#   gopath/src/sctpgw.dev/examples/...     links to examples/go/*
#   env.sh                                 the environment for go commands:
#                                          . OUTDIR/env.sh; go test sctpgw.dev/client
#   bin/sctpgw_echo_client                 examples/go/sctpgw_echo_client
#   bin/sctpgw_go_lab.test                 the library's lab tests (build tag
#                                          lab; tests/lab/clients_go.sh runs it)
#
# Idempotent, and quick when nothing changed: protoc runs again only when the
# protos or the plugins changed, and Go's cache does the rest. Go's build
# cache is shared by every checkout and build directory of this user
# (SCTPGW_GO_CACHE, default ~/.cache/sctpgw-go-build): it is keyed by
# content, and gRPC, compiled from Debian's sources, is built once. Runs
# nothing it builds. SCTPGW_GO_JOBS: parallel compile jobs (default 2).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
jobs="${SCTPGW_GO_JOBS:-2}"

for tool in go protoc protoc-gen-go protoc-gen-go-grpc; do
  command -v "$tool" >/dev/null ||
    { echo "build-go-client: no $tool: run scripts/install-go-deps.sh" >&2; exit 1; }
done

gopath="$out/gopath"
src="$gopath/src/sctpgw.dev"
generated="$src/proto/sctpgw/v1"
cache="${SCTPGW_GO_CACHE:-${XDG_CACHE_HOME:-${HOME:-$out}/.cache}/sctpgw-go-build}"
mkdir -p "$src/examples" "$generated" "$out/bin" "$cache"

# The sources stay in the checkout; the GOPATH links to them.
ln -sfn "$root/clients/go" "$src/client"
for example in "$root"/examples/go/*/; do
  ln -sfn "${example%/}" "$src/examples/$(basename "$example")"
done

cat >"$out/env.sh.new" <<EOF
# The environment for go commands on sctpgw's Go client (scripts/build-go-client.sh).
export GO111MODULE=off
export GOPATH="$gopath:/usr/share/gocode"
export GOCACHE="$cache"
export GOFLAGS=
export GOPROXY=off
EOF
if cmp -s "$out/env.sh.new" "$out/env.sh"; then rm "$out/env.sh.new"; else mv "$out/env.sh.new" "$out/env.sh"; fi
# shellcheck source=/dev/null
. "$out/env.sh"

# Generated code: every .proto of sctpgw/v1 goes to one Go package. The
# protos name no go_package, so protoc is told the import path of each.
protos=()
map=""
for proto in "$root"/proto/sctpgw/v1/*.proto; do
  name="sctpgw/v1/$(basename "$proto")"
  protos+=("$name")
  map+=",M$name=sctpgw.dev/proto/sctpgw/v1;sctpgwv1"
done
map="${map#,}"
stamp="$generated/.inputs"
inputs="$( (cd "$root/proto" && sha256sum "${protos[@]}")
           protoc --version
           dpkg-query -W protoc-gen-go protoc-gen-go-grpc 2>/dev/null || true
           echo "$map")"
if [ "$(cat "$stamp" 2>/dev/null)" != "$inputs" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  protoc -I "$root/proto" -I /usr/include \
    --go_out="$work" --go_opt="$map" \
    --go-grpc_out="$work" --go-grpc_opt="$map" \
    "${protos[@]}"
  # Replace only what changed, so that unchanged files keep their times;
  # drop what is no longer generated.
  fresh="$work/sctpgw.dev/proto/sctpgw/v1"
  for file in "$generated"/*.go; do
    [ ! -e "$file" ] || [ -e "$fresh/$(basename "$file")" ] || rm "$file"
  done
  for file in "$fresh"/*.go; do
    cmp -s "$file" "$generated/$(basename "$file")" || mv "$file" "$generated/"
  done
  printf '%s' "$inputs" >"$stamp"
  echo "build-go-client: generated $generated"
fi

go build -p "$jobs" sctpgw.dev/proto/sctpgw/v1 sctpgw.dev/client
go build -p "$jobs" -o "$out/bin/sctpgw_echo_client" sctpgw.dev/examples/sctpgw_echo_client
go test -p "$jobs" -c -tags lab -o "$out/bin/sctpgw_go_lab.test" sctpgw.dev/client
