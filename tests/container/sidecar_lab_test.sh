#!/usr/bin/env bash
# The container image as a sidecar under a kernel that has SCTP: the image
# built by container_test.sh (sctpgw:test), run by podman inside the lab VM
# (tests/lab/lab) as a Kubernetes pod would run it:
#   - a network namespace for the pod ("pod"), another for the peer ("peer"),
#     joined by a veth pair;
#   - in the pod: sctpgw-fd-holder's container and sctpgw's container, both
#     from the image, sharing the socket volume; an application container
#     (the image's sctpctl) that reaches sctpgw only through that volume;
#   - the peer: socat, one association, echoing what it reads.
# The application opens a session and an association through the image and
# exchanges a message. Then sctpgw's container is killed (SIGKILL, a crash)
# and a new one started in its place, and then stopped (SIGTERM, as for a new
# image) and started again: each time the same association carries the next
# message, socat never sees it end, and sctpgw says how it started.
#
# Usage: sidecar_lab_test.sh            (on the host: saves the image, boots the lab)
#        sidecar_lab_test.sh --in-lab DIR   (inside the lab: the test itself)
# Runs as root (rootful podman). Storage inside the lab is on tmpfs (vfs).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
image=localhost/sctpgw:test
say() { echo "sidecar_lab_test: $*"; }
fail() { echo "sidecar_lab_test: FAIL: $*" >&2; exit 1; }

if [ "${1:-}" != --in-lab ]; then
  [ "$(id -u)" -eq 0 ] || fail "run as root (rootful podman)"
  podman image exists "$image" || fail "no image $image: run tests/container/container_test.sh first"
  work=$(mktemp -d /var/tmp/sctpgw-sidecar.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  podman save --quiet --format docker-archive -o "$work/image.tar" "$image"
  say "image saved ($(du -m "$work/image.tar" | cut -f1) MB); booting the lab"
  exec_status=0
  # Memory for podman's storage: vfs keeps a full copy of the root file
  # system per layer and per container (overlay refuses tmpfs).
  # The source tree is shared too: under /tmp (a fresh clone) the VM's own
  # /tmp would hide it. One vCPU: under software emulation the guest kernel
  # has been seen to lock up both vCPUs for good (soft lockups in conmon and
  # podman at container start), a hazard of emulated SMP that one CPU does
  # not have; nothing here needs two.
  "$root/tests/lab/lab" --mem 4096 --cpus 1 --rw "$root" --rw "$work" --timeout 900 -- \
    "$root/tests/container/sidecar_lab_test.sh" --in-lab "$work" || exec_status=$?
  exit "$exec_status"
fi

# --- inside the lab --------------------------------------------------------
work=$2
start=$SECONDS
step_timeout=60
vol=/tmp/sidecar-volume          # the pod's socket volume
socket=$vol/sctpgw.sock
port=36412
pod_ip=10.91.0.1
peer_ip=10.91.0.2
podman_log=$work/podman.log   # podman's own complaints (no systemd for timers)
podman_args=(--root /tmp/podman/root --runroot /run/podman-run --storage-driver vfs
             --cgroup-manager cgroupfs --events-backend file)
P() { podman "${podman_args[@]}" "$@" 2>>"$podman_log"; }
# What every container of the pod gets: the pod's network namespace, no
# capabilities, no new privileges, a read-only root, the socket volume.
pod_run=(--network ns:/run/netns/pod --cap-drop ALL --security-opt no-new-privileges
         --read-only --health-interval disable --ulimit nofile=65536:65536
         --volume "$vol:/run/sctpgw")

socat_pid=
watcher_pid=
cleanup() {
  [ -n "$watcher_pid" ] && kill "$watcher_pid" 2>/dev/null || true
  P rm --all --force --time 0 >/dev/null 2>&1 || true
  [ -n "$socat_pid" ] && kill "$socat_pid" 2>/dev/null || true
}
trap cleanup EXIT
logs() {
  for c in $(P ps --all --format '{{.Names}}'); do
    echo "--- $c" >&2
    podman "${podman_args[@]}" logs "$c" 2>&1 | tail -n 40 >&2 || true
  done
  [ -f "$work/socat.log" ] && { echo "--- socat" >&2; cat "$work/socat.log" >&2; }
  [ -f "$podman_log" ] && { echo "--- podman" >&2; grep -v healthchecks "$podman_log" | tail -n 20 >&2 || true; }
}
die() { echo "sidecar_lab_test: FAIL: $*" >&2; logs || true; fail "$*"; }

# cgroups for runc (the lab's init mounts none); podman's storage on a
# tmpfs of its own, large enough for the image and four containers.
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
mkdir -p /tmp/podman
mount -t tmpfs -o size=3g tmpfs /tmp/podman
P load --quiet --input "$work/image.tar" >/dev/null || fail "podman load"
say "image loaded in the lab ($((SECONDS - start)) s)"

# --- the pod's network and the peer ---
mkdir -p /run/netns
ip netns add pod
ip netns add peer
ip link add veth-pod netns pod type veth peer name veth-peer netns peer
ip -n pod addr add "$pod_ip/24" dev veth-pod
ip -n peer addr add "$peer_ip/24" dev veth-peer
for ns in pod peer; do
  ip -n "$ns" link set lo up
  ip -n $ns link set "veth-$ns" up
done
# socat, not sctpgw's: one association (no fork), echoing; it exits when
# that association ends.
ip netns exec peer socat -d -d "SCTP-LISTEN:$port,bind=$peer_ip,reuseaddr" PIPE \
  2>"$work/socat.log" &
socat_pid=$!
deadline=$((SECONDS + step_timeout))
until grep -q "listening on" "$work/socat.log"; do
  [ $SECONDS -lt $deadline ] || die "socat is not listening"
  sleep 0.1
done

install -d -o 10001 -g 10001 -m 0755 "$vol"

# --- the pod: fd holder, sctpgw, application ---
P run --detach --name holder "${pod_run[@]}" --entrypoint /usr/local/bin/sctpgw-fd-holder \
  "$image" --socket /run/sctpgw/fd-holder.sock >/dev/null || die "holder container"
start_sctpgw() {  # NAME
  rm -f "$socket"
  P run --detach --name "$1" "${pod_run[@]}" "$image" \
    --listen unix:/run/sctpgw/sctpgw.sock --fd-holder /run/sctpgw/fd-holder.sock \
    >/dev/null || die "sctpgw container $1"
}
start_sctpgw sctpgw-1
# The application: the image's sctpctl, run inside the application
# container as sctpgw's user (the socket is 0660). It enters the container's
# namespaces and root with nsenter, as `podman exec` would: under the lab's
# chroot, runc 1.1 looks for the command outside the container's root and
# does not find it.
P run --detach --name app --network none --read-only --cap-drop ALL --health-interval disable \
  --volume "$vol:/run/sctpgw" --entrypoint /bin/sleep "$image" infinity >/dev/null ||
  die "application container"
app_pid=$(P container inspect -f '{{.State.Pid}}' app)
app() {
  nsenter --target "$app_pid" --mount --uts --ipc --net --pid --root --wd \
    --setuid 10001 --setgid 10001 \
    /usr/local/bin/sctpctl --target unix:/run/sctpgw/sctpgw.sock --timeout-ms 20000 "$@"
}
wait_serving() {
  local deadline=$((SECONDS + step_timeout)) answer=""
  until [ -S "$socket" ] && answer=$(app health 2>&1) && [ "$answer" = SERVING ]; do
    [ $SECONDS -lt $deadline ] || die "sctpgw not SERVING through the volume: $answer"
    sleep 0.2
  done
}
wait_serving
say "pod up: holder, sctpgw and application containers ($((SECONDS - start)) s)"

session=$(app session open --lease-ms 600000) || die "session open: $session"
# The application's event stream, live throughout: the client library
# reconnects and resumes after the last sequence it saw.
events_log=$work/events.log
app --session "$session" events --follow >"$events_log" 2>&1 &
watcher_pid=$!
wait_event() {  # PATTERN: waits for an event line matching it
  local deadline=$((SECONDS + step_timeout))
  until grep -qE "$1" "$events_log"; do
    [ $SECONDS -lt $deadline ] || die "no event matching '$1': $(cat "$events_log")"
    sleep 0.2
  done
}
# Every event once, in order, no gap, nothing ending the association.
check_events() {
  [ "$(grep -c " COMM_UP " "$events_log")" -eq 1 ] || die "COMM_UP not once: $(cat "$events_log")"
  ! grep -qE "COMM_LOST|SHUTDOWN" "$events_log" || die "the association ended: $(cat "$events_log")"
  awk '$1 ~ /^[0-9]+$/ { if (last && $1 != last + 1) exit 1; last = $1 }' "$events_log" ||
    die "events out of sequence: $(cat "$events_log")"
}
opened=$(app --session "$session" --json endpoint open "$pod_ip") || die "endpoint open: $opened"
endpoint=$(sed -n 's/.*"endpoint_id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$opened")
[ -n "$endpoint" ] || die "no endpoint id in: $opened"
up=$(app --session "$session" --json associate "$endpoint" "$peer_ip" --port $port) ||
  die "associate: $up"
association=$(sed -n 's/.*"association_id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$up")
[ -n "$association" ] || die "no association id in: $up"
say "session $session, endpoint $endpoint, association $association to socat at $peer_ip:$port"

echo_round() {  # TEXT
  app --session "$session" send "$association" "$1" >/dev/null || die "send $1"
  local got
  got=$(app --session "$session" receive --association "$association" --wait-ms 20000) ||
    die "receive $1: $got"
  [ "$got" = "association $association stream 0 ppid 0: $1" ] || die "echo of $1: $got"
}
peer_associations() { ip netns exec peer awk 'NR > 1' /proc/net/sctp/assocs | wc -l; }
echo_round before-crash
say "message through the image and back"

# --- a crash: SIGKILL, a new container in its place ---
P kill --signal KILL sctpgw-1 >/dev/null
P wait sctpgw-1 >/dev/null 2>&1 || true
P rm sctpgw-1 >/dev/null
start_sctpgw sctpgw-2
wait_serving
status=$(app status) || die "status: $status"
[[ "$status" == *"started: RECOVERED after a crash: 1 associations kept, 0 messages lost"* ]] ||
  die "sctpgw-2 after a crash: $status"
[[ "$status" == *"crash survival: on"* ]] || die "sctpgw-2 keeps nothing: $status"
echo_round after-crash
kill -0 "$socat_pid" 2>/dev/null || die "socat's association ended"
[ "$(peer_associations)" -eq 1 ] || die "the peer holds $(peer_associations) associations"
say "after SIGKILL and a new container: the same association, socat still on it ($((SECONDS - start)) s)"

check_events

# --- a stop for a new image: SIGTERM, a new container in its place. A
# message the peer sent is waiting in sctpgw, unread, when it stops ---
app --session "$session" send "$association" queued-across-stop >/dev/null || die "send"
deadline=$((SECONDS + step_timeout))
until app --session "$session" --json list | grep -q '"queued_messages":1'; do
  [ $SECONDS -lt $deadline ] || die "the echo never queued in sctpgw"
  sleep 0.2
done
P stop --time 30 sctpgw-2 >/dev/null || die "podman stop"
exit_code=$(P container inspect -f '{{.State.ExitCode}}' sctpgw-2)
[ "$exit_code" = 0 ] || die "sctpgw-2 exited with status $exit_code on SIGTERM"
P rm sctpgw-2 >/dev/null
start_sctpgw sctpgw-3
wait_serving
status=$(app status) || die "status: $status"
[[ "$status" == *"started: RESTARTED from the fd holder: 1 associations kept, nothing lost"* ]] ||
  die "sctpgw-3 after SIGTERM: $status"
got=$(app --session "$session" receive --association "$association" --wait-ms 20000) ||
  die "receive what was queued: $got"
[ "$got" = "association $association stream 0 ppid 0: queued-across-stop" ] ||
  die "the message queued across the stop: $got"
echo_round after-stop
kill -0 "$socat_pid" 2>/dev/null || die "socat's association ended"
[ "$(peer_associations)" -eq 1 ] || die "the peer holds $(peer_associations) associations"
check_events
! grep -q "MESSAGES_LOST" "$events_log" || die "a loss reported: $(cat "$events_log")"
say "after SIGTERM and a new container: the queued message delivered, the same association ($((SECONDS - start)) s)"

# --- the end: a graceful shutdown through the third sctpgw, seen by socat
# (it exits) and by the application's event stream, which has followed
# every sctpgw since the first ---
app --session "$session" shutdown "$association" >/dev/null || die "shutdown"
wait_event " SHUTDOWN_COMP "
awk '$1 ~ /^[0-9]+$/ { if (last && $1 != last + 1) exit 1; last = $1 }' "$events_log" ||
  die "events out of sequence: $(cat "$events_log")"
deadline=$((SECONDS + step_timeout))
while kill -0 "$socat_pid" 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || die "socat did not see the association end"
  sleep 0.2
done
wait "$socat_pid" || die "socat: exit status $?"
socat_pid=
say "graceful shutdown: SHUTDOWN_COMP in the event stream, socat exited 0"

say "passed in $((SECONDS - start)) s"
