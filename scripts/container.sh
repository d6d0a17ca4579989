#!/usr/bin/env bash
# Builds the imgflow container image (Containerfile) from the Debian package:
# the package first (scripts/package.sh), then `podman build`. Where
# docker.io cannot be reached, the Debian 12 base is made once with
# debootstrap from the apt mirror and kept as localhost/debian:12-debootstrap.
# Usage: scripts/container.sh [TAG]   (default imgflow:VERSION)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/package.sh" >/dev/null
deb=$(ls "$root"/build/package/imgflow_*_*.deb)
version=$(dpkg-deb -f "$deb" Version)
tag=${1:-imgflow:$version}
base=docker.io/library/debian:12-slim
if ! podman image exists "$base" && ! podman pull -q "$base" >/dev/null 2>&1; then
  base=localhost/debian:12-debootstrap
  if ! podman image exists "$base"; then
    echo "container: $base: debootstrap from deb.debian.org (5 min 16 s here)"
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs"' EXIT
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$rootfs.log" 2>&1 ||
      { tail -n 20 "$rootfs.log" >&2; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | podman import -q - "$base" >/dev/null
  fi
fi
# chroot isolation: RUN steps need no OCI runtime, so this works where crun
# cannot create containers (cgroups v1/v2 hybrid hosts).
podman build -q --isolation chroot --build-arg BASE="$base" -f "$root/Containerfile" \
  -t "$tag" "$root/build/package" >/dev/null
echo "container: $tag from $base: $(podman image inspect -f '{{.Size}}' "$tag") bytes"
