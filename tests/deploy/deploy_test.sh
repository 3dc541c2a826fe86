#!/usr/bin/env bash
# The deployment descriptions in deploy/, checked offline (no cluster, no
# container engine, no systemd running):
#  - deploy/kubernetes/*.yaml against the Kubernetes schemas, unknown fields
#    included, and sctpgw's own expectations (validate.mjs); broken copies
#    must fail naming what is wrong;
#  - deploy/compose.yaml parses and has the services and volume it needs
#    (check_compose.mjs); `docker compose config` too where Docker has it;
#  - deploy/systemd/sctpgw.service with `systemd-analyze verify` and
#    `systemd-analyze security` where systemd-analyze is installed.
# Installs its npm packages first (scripts/install-npm-packages.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/deploy
start=$(date +%s)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0

pass() { echo "PASS: $1"; passed=$((passed + 1)); }
skip() { echo "SKIP: $1"; skipped=$((skipped + 1)); }
fail() {
  echo "FAIL: $1"
  [ -s "$tmp/out" ] && sed 's/^/    /' "$tmp/out"
  failed=$((failed + 1))
}

# run CMD...: runs it with its output in $tmp/out; sets $status.
run() {
  status=0
  "$@" >"$tmp/out" 2>&1 || status=$?
}

# has TEXT: whether the last run's output contains TEXT (fixed string).
has() { grep -qF -- "$1" "$tmp/out"; }

# line_of FILE PATTERN: the line number of PATTERN's first match in FILE.
line_of() { grep -n -m1 -- "$2" "$1" | cut -d: -f1; }

"$root/scripts/install-npm-packages.sh" tests/deploy
validate=("node" "$here/validate.mjs" "--settings" "$root/deploy/sctpgw.toml")
cd "$root"

# ---- Kubernetes ---------------------------------------------------------------

run "${validate[@]}" deploy/kubernetes/*.yaml
expected=(ConfigMap/sctp-app-sctpgw Deployment/sctp-app Service/sctp-app
          Namespace/sctpgw-system ConfigMap/sctpgw-config DaemonSet/sctpgw)
missing=""
for object in "${expected[@]}"; do has "$object" || missing+=" $object"; done
if [ "$status" -eq 0 ] && [ -z "$missing" ]; then
  pass "deploy/kubernetes: $(tail -n 1 "$tmp/out")"
else
  fail "deploy/kubernetes: exit $status, missing:${missing:- none}"
fi

# A misspelled field and a wrong type: both named, with their lines.
broken=$tmp/sidecar.yaml
sed -e '0,/imagePullPolicy:/s//imagePullPolicyy:/' \
    -e 's/^  replicas: 1$/  replicas: one/' deploy/kubernetes/sidecar.yaml >"$broken"
run "${validate[@]}" "$broken"
if [ "$status" -eq 1 ] &&
   has "$broken:$(line_of "$broken" imagePullPolicyy): Deployment/sctp-app: unknown field \"spec.template.spec.containers[0].imagePullPolicyy\"" &&
   has "$broken:$(line_of "$broken" 'replicas: one'): Deployment/sctp-app: spec.replicas: must be integer" &&
   [ "$(grep -c '^/' "$tmp/out")" -eq 2 ]; then
  pass "broken sidecar.yaml: the misspelled field and the wrong type, nothing else"
else
  fail "broken sidecar.yaml: exit $status, expected exactly the two problems"
fi

# An unknown field deep in a volume, an enum value that does not exist, and
# sctpgw's own rules: grace period shorter than the drain time, a capability.
broken=$tmp/daemonset.yaml
sed -e 's/^            type: DirectoryOrCreate$/            type: DirectoryOrCreate\n            mode: "0750"/' \
    -e 's/^      dnsPolicy: ClusterFirstWithHostNet$/      dnsPolicy: ClusterFirstWithHostNetwork/' \
    -e 's/^      terminationGracePeriodSeconds: 30$/      terminationGracePeriodSeconds: 5/' \
    -e '0,/^              # add: \["NET_BIND_SERVICE"\]$/s//              add: ["NET_BIND_SERVICE"]/' \
    deploy/kubernetes/daemonset.yaml >"$broken"
run "${validate[@]}" "$broken"
if [ "$status" -eq 1 ] &&
   has 'DaemonSet/sctpgw: unknown field "spec.template.spec.volumes[0].hostPath.mode"' &&
   has 'DaemonSet/sctpgw: spec.template.spec.dnsPolicy: must be equal to one of the allowed values' &&
   has "terminationGracePeriodSeconds (5) must exceed sctpgw's drain time (5 s)" &&
   has 'sctpgw needs no capability'; then
  pass "broken daemonset.yaml: unknown field, enum, grace period and capability named"
else
  fail "broken daemonset.yaml: exit $status"
fi

# Kinds without a schema are refused, not skipped; YAML errors are reported.
printf 'apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata:\n  name: sctp-a\n' \
  >"$tmp/nad.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n' >"$tmp/dup.yaml"
run "${validate[@]}" "$tmp/nad.yaml" "$tmp/dup.yaml"
if [ "$status" -eq 1 ] && has 'no Kubernetes schema for apiVersion "k8s.cni.cncf.io/v1"' &&
   has "$tmp/dup.yaml:5: YAML: Map keys must be unique"; then
  pass "unknown kinds and duplicate keys are refused"
else
  fail "unknown kinds and duplicate keys: exit $status"
fi

# ---- compose ----------------------------------------------------------------------

run node "$here/check_compose.mjs" deploy/compose.yaml
if [ "$status" -eq 0 ]; then pass "deploy/compose.yaml: $(tail -n 1 "$tmp/out")"
else fail "deploy/compose.yaml: exit $status"; fi

sed -e '/^  client:$/,/^volumes:$/s|^      - sctpgw-run:/run/sctpgw$|      - other:/run/sctpgw|' \
    deploy/compose.yaml >"$tmp/compose.yaml"
run node "$here/check_compose.mjs" "$tmp/compose.yaml"
if [ "$status" -eq 1 ] && has 'client: does not mount "sctpgw-run" at /run/sctpgw'; then
  pass "broken compose.yaml: the client without the socket volume is named"
else
  fail "broken compose.yaml: exit $status"
fi

compose=()
if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
fi
if [ ${#compose[@]} -eq 0 ]; then
  skip "compose config: neither 'docker compose' nor docker-compose is installed"
else
  run "${compose[@]}" -f deploy/compose.yaml config --quiet
  if [ "$status" -eq 0 ]; then pass "${compose[*]} config"; else fail "${compose[*]} config: exit $status"; fi
fi

# ---- systemd ----------------------------------------------------------------------

if grep -qx sctp deploy/systemd/sctp.conf; then
  pass "deploy/systemd/sctp.conf loads sctp"
else
  : >"$tmp/out"
  fail "deploy/systemd/sctp.conf does not name the sctp module"
fi

if ! command -v systemd-analyze >/dev/null; then
  skip "systemd-analyze is not installed (Debian package systemd): unit not verified"
else
  # verify needs ExecStart's binary: a stand-in at another path, nothing
  # else changed. Any message about the unit (unknown key, bad value) is a
  # failure: verify itself exits 0 for those. Messages about the host's own
  # units are not this test's business.
  mkdir -p "$tmp/unit"
  printf '#!/bin/sh\nexit 0\n' >"$tmp/unit/sctpgw"
  chmod +x "$tmp/unit/sctpgw"
  sed "s#/usr/local/bin/sctpgw#$tmp/unit/sctpgw#" deploy/systemd/sctpgw.service >"$tmp/unit/sctpgw.service"
  run systemd-analyze verify --man=no "$tmp/unit/sctpgw.service"
  if [ "$status" -eq 0 ] && ! grep -q sctpgw "$tmp/out"; then
    pass "systemd-analyze verify sctpgw.service: no messages"
  else
    fail "systemd-analyze verify sctpgw.service: exit $status"
  fi

  sed -e 's/^ProtectSystem=strict$/ProtectSytem=strict/' "$tmp/unit/sctpgw.service" >"$tmp/unit/broken.service"
  run systemd-analyze verify --man=no "$tmp/unit/broken.service"
  if has "Unknown key 'ProtectSytem'"; then
    pass "broken sctpgw.service: the misspelled key is named"
  else
    fail "broken sctpgw.service: the misspelled key went unnoticed"
  fi

  # Exposure 0.0 (locked down) .. 10.0 (unprotected); 2.0 at most.
  if ! systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
    skip "systemd-analyze security: this systemd has no --offline (needs 250 or later)"
  else
    run systemd-analyze security --offline=yes --threshold=20 --no-pager "$tmp/unit/sctpgw.service"
    level=$(grep -o 'Overall exposure level for [^:]*: [0-9.]*' "$tmp/out" | awk '{print $NF}' || true)
    if [ "$status" -eq 0 ] && [ -n "$level" ]; then
      pass "systemd-analyze security sctpgw.service: exposure $level (at most 2.0)"
    else
      fail "systemd-analyze security sctpgw.service: exposure ${level:-unknown}, exit $status"
    fi
  fi
fi

echo "deploy_test: finished in $(($(date +%s) - start)) s"
echo "deploy: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
