#!/usr/bin/env bash
# Makes the base image the Dockerfile starts from, debian:bookworm, locally:
# debootstrap (minbase) from the Debian mirror this machine's apt uses, then
# imported into podman's storage under the exact name the Dockerfile's FROM
# uses. For machines that reach the Debian archive but no image registry;
# where a registry is reachable, `podman pull docker.io/library/debian:bookworm`
# gives the same starting point.
# Idempotent: does nothing when podman already has debian:bookworm.
#
# Environment: SCTPGW_DEBIAN_MIRROR, SCTPGW_DEBIAN_SECURITY_MIRROR override
# the mirrors found in /etc/apt.
set -euo pipefail

image=debian:bookworm
suite=bookworm

if podman image exists "$image"; then
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

# The URI that apt on this machine uses for SUITE (one-line and deb822
# sources), or nothing.
apt_mirror() {
  local wanted=$1
  shopt -s nullglob
  local lists=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list)
  local deb822=(/etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  {
    [ ${#lists[@]} -eq 0 ] || awk -v s="$wanted" '
      $1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++
                    if ($(i + 1) == s) print $i }' "${lists[@]}" 2>/dev/null
    [ ${#deb822[@]} -eq 0 ] || awk -v s="$wanted" '
      function flush() { if (deb && uris != "" && (" " suites " ") ~ (" " s " ")) print uris
                         deb = 0; uris = ""; suites = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^Types:/  { deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
      /^URIs:/   { uris = $2 }
      /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      END { flush() }' "${deb822[@]}"
  } | head -n 1
}

mirror=${SCTPGW_DEBIAN_MIRROR:-$(apt_mirror "$suite")}
mirror=${mirror:-http://deb.debian.org/debian}
security=${SCTPGW_DEBIAN_SECURITY_MIRROR:-$(apt_mirror "$suite-security")}
security=${security:-http://deb.debian.org/debian-security}

work=$(mktemp -d "${TMPDIR:-/var/tmp}/sctpgw-base-image.XXXXXX")
trap '$sudo rm -rf "$work"' EXIT
rootfs=$work/rootfs

echo "container-base-image: debootstrap $suite from $mirror"
$sudo debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

# apt sources as in Debian's official image (bookworm, -updates, -security),
# on this machine's mirrors; no package lists, caches or host files inside.
$sudo rm -f "$rootfs/etc/apt/sources.list"
$sudo tee "$rootfs/etc/apt/sources.list.d/debian.sources" >/dev/null <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
$sudo find "$rootfs/var/lib/apt/lists" "$rootfs/var/cache/apt" "$rootfs/var/log" -type f -delete
$sudo rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"

echo "container-base-image: importing as $image"
$sudo tar -C "$rootfs" --numeric-owner -c . |
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    - "$image" >/dev/null
podman image exists "$image"
