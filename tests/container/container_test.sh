#!/usr/bin/env bash
# The container image, end to end: lints the Dockerfile, builds the image
# with podman, runs it the way docs/container.md says (unprivileged, the
# socket directory shared with the host), asks for its health over the
# unix socket from the host, checks that it runs as non-root, stops it with
# SIGTERM and checks a clean exit (status 0, socket removed).
#
# Usage: container_test.sh [BUILD_DIR]
#   BUILD_DIR (default build/) is where the host's sctpctl is looked for; the
#   Python health client (tests/tools/grpc_health.py) is used without it.
# Runs rootful podman (as root, the host directory's owner can be set to the
# image's user). The image is left in podman's storage (sctpgw:test), so the
# next run rebuilds only what changed.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${1:-$root/build}
image=sctpgw:test
image_uid=10001                   # the user the Dockerfile creates
start_deadline_s=30               # socket up after start
stop_deadline_s=30                # exited after SIGTERM (sctpgw drains up to 5 s)

say() { echo "container_test: $*"; }
fail() { echo "container_test: FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (rootful podman; the socket directory is chowned to uid $image_uid)"

# --- what the test needs: podman and friends, the base image, the linters ---
"$root/scripts/install-container-deps.sh"
"$root/scripts/container-base-image.sh"
"$root/scripts/install-npm-packages.sh" tests/container

# --- lint: two linters, every finding fails the test ---
# dockerfile-utils validates instructions, flags and arguments against current
# Docker syntax (warnings count too: -j lists them all). dockerfilelint checks
# practices (apt-get -y / --no-install-recommends / lists removed, tags, sudo).
# No rule is disabled. dockerfilelint 1.8.0 misreads HEALTHCHECK
# --start-period as an unknown flag; the Dockerfile needs no start period
# (sctpgw starts within a second; the first check runs one interval later).
bin=$root/tests/container/node_modules/.bin
findings=$("$bin/dockerfile-utils" lint -j "$root/Dockerfile") || true
if [ "$findings" != "[]" ]; then
  "$bin/dockerfile-utils" lint "$root/Dockerfile" >&2 || true
  fail "dockerfile-utils: $findings"
fi
"$bin/dockerfilelint" "$root/Dockerfile" >/dev/null || {
  "$bin/dockerfilelint" "$root/Dockerfile" >&2 || true
  fail "dockerfilelint found problems"
}
say "Dockerfile lint clean"

work=$(mktemp -d)
container=sctpgw-container-test-$$
cleanup() {
  podman rm --force --time 0 "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- build: chroot isolation (no nested container runtime needed), the base
# image from local storage only, docker format (OCI drops HEALTHCHECK) ---
build_start=$SECONDS
podman build --isolation=chroot --pull=never --format docker -t "$image" "$root" \
  >"$work/build.log" 2>&1 || { tail -n 60 "$work/build.log" >&2; fail "podman build"; }
say "image built in $((SECONDS - build_start)) s, $(podman image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}')"

# --- run: as docs/container.md recommends (no capabilities at all, no new
# privileges, read-only root), no network (the unix socket needs none); runc
# with explicit limits (podman's defaults may exceed this host's hard limits).
# The socket directory is a host directory owned by the image's user ---
run_dir=$work/run
install -d -o "$image_uid" -g "$image_uid" -m 0755 "$run_dir"
hard_nofile=$(ulimit -Hn)
hard_nproc=$(ulimit -Hu)
nofile=65536; [ "$hard_nofile" = unlimited ] || [ "$hard_nofile" -ge $nofile ] || nofile=$hard_nofile
nproc=4096;   [ "$hard_nproc" = unlimited ]  || [ "$hard_nproc" -ge $nproc ]   || nproc=$hard_nproc
# --health-interval disable: no timer for the HEALTHCHECK (podman's timers are
# systemd units, and there may be no systemd: podman then logs errors about
# it, shown only if the run fails); the check is run once by hand below.
run_output=$(podman --runtime runc run --detach --name "$container" \
  --network none \
  --cap-drop ALL --security-opt no-new-privileges --read-only \
  --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc" \
  --health-interval disable \
  --volume "$run_dir:/run/sctpgw" \
  "$image" 2>&1) || fail "podman run: $run_output"

running() { [ "$(podman container inspect -f '{{.State.Running}}' "$container")" = true ]; }
logs() { podman logs "$container" 2>&1 | sed 's/^/  sctpgw: /' >&2; }

socket=$run_dir/sctpgw.sock
deadline=$((SECONDS + start_deadline_s))
until [ -S "$socket" ]; do
  running || { logs; fail "the container exited before its socket appeared"; }
  [ $SECONDS -lt $deadline ] || { logs; fail "no socket in $run_dir after ${start_deadline_s} s"; }
  sleep 0.1
done
say "socket up: $socket"

# --- health from the host over the shared socket. The container shares the
# host's kernel: SERVING where it has SCTP, NOT_SERVING where it has not
# (either way the service answered) ---
if /usr/bin/python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)' 2>/dev/null; then
  expected=SERVING
else
  expected=NOT_SERVING
fi
if [ -x "$build_dir/client/sctpctl" ]; then
  client="sctpctl"
  answer=$("$build_dir/client/sctpctl" --target "unix:$socket" --timeout-ms 10000 health 2>&1) || true
else
  client="grpc_health.py"
  answer=$(/usr/bin/python3 "$root/tests/tools/grpc_health.py" "unix:$socket" 10 2>&1) || true
fi
# sctpctl says "... is NOT_SERVING" or "SERVING"; grpc_health.py prints the
# status alone. Unreachable is neither.
case "$answer" in
  *NOT_SERVING*) got=NOT_SERVING ;;
  *SERVING*) got=SERVING ;;
  *) logs; fail "health over the socket ($client): no answer: $answer" ;;
esac
[ "$got" = "$expected" ] || { logs; fail "health ($client): $got, expected $expected: $answer"; }
say "health from the host ($client): $got"

# The image's HEALTHCHECK (sctpctl inside the container, over the same
# socket) agrees: healthy only when SERVING, and its output says why.
health=$(podman healthcheck run "$container" 2>&1) && health_rc=0 || health_rc=$?
health_output=$(podman container inspect -f '{{range .State.Health.Log}}{{.Output}}{{end}}' "$container")
if [ "$expected" = SERVING ]; then
  [ "$health_rc" -eq 0 ] || fail "HEALTHCHECK: $health (status $health_rc), expected healthy: $health_output"
else
  [ "$health_rc" -eq 1 ] || fail "HEALTHCHECK: $health (status $health_rc), expected unhealthy: $health_output"
  [[ "$health_output" == *"is NOT_SERVING"* ]] || fail "HEALTHCHECK: no answer from sctpgw: $health_output"
fi
say "HEALTHCHECK: ${health:-healthy} (${health_output:-SERVING})"

# --- PID 1 is sctpgw itself, and not root ---
status=$(podman exec "$container" cat /proc/1/status)
name=$(awk '$1 == "Name:" { print $2 }' <<<"$status")
uids=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' <<<"$status")
caps=$(awk '$1 == "CapEff:" || $1 == "CapPrm:" { print $2 }' <<<"$status" | sort -u)
[ "$name" = sctpgw ] || fail "PID 1 in the container is $name, not sctpgw"
[ "$uids" = "$image_uid $image_uid $image_uid $image_uid" ] || fail "sctpgw runs with uids $uids, expected $image_uid"
[ "$caps" = 0000000000000000 ] || fail "sctpgw has capabilities: $caps"
owner=$(stat -c %u "$socket")
[ "$owner" = "$image_uid" ] || fail "the socket belongs to uid $owner, expected $image_uid"
say "PID 1 is sctpgw, uid $image_uid, no capabilities"

# --- SIGTERM: drained, socket removed, exit status 0 ---
podman kill --signal TERM "$container" >/dev/null
exit_status=$(timeout "$stop_deadline_s" podman wait "$container") ||
  { logs; fail "still running ${stop_deadline_s} s after SIGTERM"; }
[ "$exit_status" = 0 ] || { logs; fail "exit status $exit_status after SIGTERM, expected 0"; }
[ ! -e "$socket" ] || fail "the socket is still there after exit"
say "SIGTERM: exit status 0, socket removed"

say "passed"
