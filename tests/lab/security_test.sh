#!/usr/bin/env bash
# Transport security end to end (runs under the lab, as root, where health
# is SERVING): TLS and mutual TLS on TCP with certificates made here by
# openssl; a client certificate from another CA, no client certificate and a
# plaintext client are all refused; a session is reachable only with the
# certificate that opened it; plaintext TCP beyond loopback is refused at
# start-up unless allowed. Unix sockets: mode, owner and group as
# configured, clients admitted by their credentials (SO_PEERCRED), and a
# session reachable only by the user that opened it.
set -euo pipefail
build="$1"
sctpgw="$build/server/sctpgw"
sctpctl="$build/client/sctpctl"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
ip link set lo up 2>/dev/null || true

# A CA, a server certificate for 127.0.0.1/localhost, a client certificate
# from that CA, and one from an unrelated CA.
cd "$work"
ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
    -keyout "$1.key" -out "$1.crt" 2>/dev/null
}
leaf() {  # name ca extension
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 2 \
    -extfile <(printf '%s\n' "$3") -out "$1.crt" 2>/dev/null
}
ca test-ca
ca other-ca
leaf server test-ca "subjectAltName=IP:127.0.0.1,DNS:localhost"
leaf client test-ca "extendedKeyUsage=clientAuth"
leaf client2 test-ca "extendedKeyUsage=clientAuth"
leaf intruder other-ca "extendedKeyUsage=clientAuth"

port_of() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start() {  # log-file args...
  local log="$1"; shift
  "$sctpgw" --log-level warn "$@" >"$log" 2>&1 &
  pids+=($!)
}

# Mutual TLS.
port="$(port_of)"
start mtls.log --listen "127.0.0.1:$port" --tls-cert-file server.crt --tls-key-file server.key \
  --tls-client-ca-file test-ca.crt
target="127.0.0.1:$port"
tls=(--target "$target" --tls-ca-file test-ca.crt)
out="$("$sctpctl" "${tls[@]}" --tls-cert-file client.crt --tls-key-file client.key \
  --timeout-ms 60000 health --wait)" || fail "mTLS client refused: $out $(cat mtls.log)"
[ "$out" = "SERVING" ] || fail "mTLS health said: $out"
session="$("$sctpctl" "${tls[@]}" --tls-cert-file client.crt --tls-key-file client.key \
  session open)" || fail "mTLS session open failed"
[ "${#session}" -eq 32 ] || fail "unexpected session id: $session"
# The session belongs to the identity that opened it.
"$sctpctl" "${tls[@]}" --tls-cert-file client.crt --tls-key-file client.key --session "$session" \
  list >/dev/null || fail "the session's own client cannot use it"
status=0
"$sctpctl" "${tls[@]}" --tls-cert-file client2.crt --tls-key-file client2.key --session "$session" \
  list >other.out 2>&1 || status=$?
[ "$status" -eq 4 ] && grep -q SESSION_NOT_FOUND other.out \
  || fail "another client certificate reached the session ($status): $(cat other.out)"

status=0
"$sctpctl" "${tls[@]}" --tls-cert-file intruder.crt --tls-key-file intruder.key health \
  >wrong.out 2>&1 || status=$?
[ "$status" -eq 3 ] || fail "a client certificate from another CA was not refused ($status): $(cat wrong.out)"
status=0
"$sctpctl" "${tls[@]}" health >none.out 2>&1 || status=$?
[ "$status" -eq 3 ] || fail "a client without a certificate was not refused ($status): $(cat none.out)"
status=0
"$sctpctl" --target "$target" health >plain.out 2>&1 || status=$?
[ "$status" -eq 3 ] || fail "a plaintext client was not refused ($status): $(cat plain.out)"
echo "mutual TLS: accepted the CA's client; refused another CA's, none, and plaintext;"
echo "  a session was reachable only with the certificate that opened it"

# Server-only TLS: any client that trusts the CA.
port="$(port_of)"
start tls.log --listen "127.0.0.1:$port" --tls-cert-file server.crt --tls-key-file server.key
out="$("$sctpctl" --target "127.0.0.1:$port" --tls-ca-file test-ca.crt --timeout-ms 60000 \
  health --wait)" || fail "TLS client refused: $out $(cat tls.log)"
[ "$out" = "SERVING" ] || fail "TLS health said: $out"
status=0
"$sctpctl" --target "127.0.0.1:$port" --tls-ca-file other-ca.crt health >untrusted.out 2>&1 || status=$?
[ "$status" -eq 3 ] || fail "a server certificate from an untrusted CA was accepted ($status)"
echo "TLS: served a client trusting the CA; a client trusting another CA gave up"

# Plaintext beyond loopback: refused at start-up, unless allowed.
status=0
"$sctpgw" --listen "0.0.0.0:$(port_of)" >refused.log 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "plaintext on 0.0.0.0 started (status $status): $(cat refused.log)"
grep -q "plaintext gRPC is allowed only on loopback" refused.log || fail "no reason given: $(cat refused.log)"
status=0
"$sctpgw" --listen "0.0.0.0:$(port_of)" --tls-cert-file server.crt >half.log 2>&1 || status=$?
[ "$status" -eq 2 ] && grep -q "go together" half.log || fail "a certificate without its key was accepted"
status=0
"$sctpgw" --listen "127.0.0.1:$(port_of)" --tls-cert-file server.crt --tls-key-file missing.key \
  >missing.log 2>&1 || status=$?
[ "$status" -eq 2 ] && grep -q "missing.key cannot be read" missing.log || fail "a missing key file was accepted: $(cat missing.log)"
echo "start-up: plaintext beyond loopback, half a TLS configuration and a missing key refused"

# Unix sockets: mode and group as configured; a session opened by root is not
# reachable by another user; with an allow list, others are turned away.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
chmod 0755 "$work"
mkdir -m 0755 "$work/run"
start unix.log --listen "unix:$work/run/open.sock" --unix-socket-mode 0666 --unix-socket-group 65534
"$sctpctl" --target "unix:$work/run/open.sock" --timeout-ms 60000 health --wait >/dev/null || fail "unix health: $(cat unix.log)"
mode="$(stat -c '%a %g' "$work/run/open.sock")"
[ "$mode" = "666 65534" ] || fail "socket mode and group are $mode, not 666 65534"
session="$("$sctpctl" --target "unix:$work/run/open.sock" session open)"
"$sctpctl" --target "unix:$work/run/open.sock" --session "$session" list >/dev/null || fail "root cannot use its own session"
as_nobody "$sctpctl" --target "unix:$work/run/open.sock" health >/dev/null || fail "another user cannot reach the 0666 socket"
status=0
as_nobody "$sctpctl" --target "unix:$work/run/open.sock" --session "$session" list >nobody.out 2>&1 || status=$?
[ "$status" -eq 4 ] && grep -q SESSION_NOT_FOUND nobody.out || fail "another user reached root's session ($status): $(cat nobody.out)"

start allow.log --listen "unix:$work/run/allow.sock" --unix-socket-mode 0666 --unix-allowed-users nobody
as_nobody "$sctpctl" --target "unix:$work/run/allow.sock" --timeout-ms 60000 health --wait >/dev/null \
  || fail "an allowed user was refused: $(cat allow.log)"
status=0
"$sctpctl" --target "unix:$work/run/allow.sock" health >root.out 2>&1 || status=$?
[ "$status" -eq 3 ] || fail "a user outside the allow list got in ($status): $(cat root.out)"
grep -q "refused a client with uid 0" allow.log || fail "the refusal was not logged: $(cat allow.log)"
echo "unix: mode and group applied; sessions bound to their user; the allow list turns others away"
