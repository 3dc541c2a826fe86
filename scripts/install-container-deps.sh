#!/usr/bin/env bash
# Installs what building and running sctpgw's container image needs, from
# Debian's packages: podman and buildah (the image build), runc (the OCI
# runtime), debootstrap (the Debian base image, made locally by
# scripts/container-base-image.sh), uidmap and fuse-overlayfs (rootless use).
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(podman buildah runc debootstrap uidmap fuse-overlayfs)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "install-container-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
