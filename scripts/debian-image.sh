#!/usr/bin/env bash
# Builds a realistic Debian 12 image for end-to-end tests and benchmarks: debootstrap
# --variant=minbase (point-release packages, so the security archive has fixes for some),
# with extra packages, packed as an OCI image layout with gzip layers (base rootfs + an app
# layer; with SPLIT_NODE_MODULES=1 the app's node_modules is a layer of its own, as
# `COPY package*.json; RUN npm ci; COPY . .` builds it: three layers).
#
# Built once per machine: the rootfs is cached under $VIGIL_TEST_CACHE (default
# /var/tmp/vigil-test-cache) keyed by the package list and the mirror, because debootstrap
# takes minutes; the packed layout is cached too, keyed by the rootfs, the app's content, the
# layer split and the packer. Concurrent callers (tests and benchmarks of several checkouts)
# wait on a lock instead of racing in the same directory, and a build is renamed into place
# only when complete. On failure the tail of debootstrap's log goes to stderr.
#
# The mirror is the one apt uses (/etc/apt/sources.list.d/debian.sources or
# /etc/apt/sources.list; DEBIAN_MIRROR overrides): the only archive some machines reach.
#
# Usage: scripts/debian-image.sh OUT_LAYOUT_DIR [APP_DIR]
#   APP_DIR (optional) is copied into the image at /app.
# Prints the path of the rootfs directory on stdout.
set -euo pipefail
OUT=$1
APP=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${VIGIL_TEST_CACHE:-/var/tmp/vigil-test-cache}
INCLUDE=${DEBIAN_INCLUDE:-python3,python3-requests,curl,openssl,ca-certificates}
SPLIT=${SPLIT_NODE_MODULES:-0}

apt_mirror() {
  local m=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    # The first deb822 stanza whose Suites are the release itself (not -security).
    m=$(awk '/^URIs:/ {u=$2} /^Suites:/ && $2 !~ /-security/ && u != "" {print u; exit}' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++)
            if ($i ~ /^(https?|file):/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR=${DEBIAN_MIRROR:-$(apt_mirror)}
key=$(printf '%s|%s' "$INCLUDE" "$MIRROR" | sha256sum | cut -c1-16)
ROOTFS="$CACHE/rootfs-$key"
LOG="$CACHE/debootstrap-$key.log"
mkdir -p "$CACHE"

# One builder at a time per cache; the others wait (debootstrap takes minutes).
exec 9>"$CACHE/.debian-image.lock"
flock 9

if [ ! -f "$ROOTFS/.complete" ]; then
  if ! command -v debootstrap >/dev/null; then
    echo "debian-image.sh: debootstrap is not installed (scripts/install-deps)" >&2
    exit 1
  fi
  work="$CACHE/rootfs-$key.tmp"
  # A build killed half-way may have left the chroot's /proc or /sys mounted.
  for m in proc sys dev/pts; do umount -l "$work/$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$work" "$ROOTFS"
  if ! debootstrap --variant=minbase --include="$INCLUDE" bookworm "$work" "$MIRROR" \
    >"$LOG" 2>&1; then
    echo "debian-image.sh: debootstrap from $MIRROR failed; the end of $LOG:" >&2
    tail -n 25 "$LOG" >&2
    for m in proc sys dev/pts; do umount -l "$work/$m" 2>/dev/null || true; done
    exit 1
  fi
  for m in proc sys dev/pts; do umount -l "$work/$m" 2>/dev/null || true; done
  touch "$work/.complete"
  mv "$work" "$ROOTFS"
fi

# The packed layout, keyed by what goes into it.
appsum=none
if [ -n "$APP" ]; then
  appsum=$(tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - \
    -C "$(dirname "$(realpath "$APP")")" "$(basename "$APP")" | sha256sum | cut -c1-64)
fi
lkey=$(printf '%s|%s|%s|%s' "$key" "$appsum" "$SPLIT" \
  "$(sha256sum <"$HERE/rootfs-to-oci.py" | cut -c1-64)" | sha256sum | cut -c1-16)
LAYOUT="$CACHE/layout-$lkey"
if [ ! -f "$LAYOUT/index.json" ]; then
  rm -rf "$LAYOUT.tmp"
  SPLIT_NODE_MODULES=$SPLIT /usr/bin/python3 "$HERE/rootfs-to-oci.py" "$LAYOUT.tmp" "$ROOTFS" \
    ${APP:+"$APP"}
  rm -rf "$LAYOUT"
  mv "$LAYOUT.tmp" "$LAYOUT"
fi
flock -u 9

mkdir -p "$OUT"
cp -a "$LAYOUT/." "$OUT/"
echo "$ROOTFS"
