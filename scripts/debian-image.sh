#!/usr/bin/env bash
# Builds a realistic Debian 12 image for end-to-end tests and benchmarks: debootstrap
# --variant=minbase (point-release packages, so the security archive has fixes for some),
# with extra packages, packed as a two-layer OCI image layout (base rootfs + an app layer).
# The rootfs and the image are cached under $VIGIL_TEST_CACHE (default
# /var/tmp/vigil-test-cache), keyed by the package list, because debootstrap takes minutes.
#
# Usage: scripts/debian-image.sh OUT_LAYOUT_DIR [APP_DIR]
#   APP_DIR (optional) is copied into the image at /app as a second layer.
# Prints the path of the rootfs directory on stdout.
set -euo pipefail
OUT=$1
APP=${2:-}
CACHE=${VIGIL_TEST_CACHE:-/var/tmp/vigil-test-cache}
INCLUDE=${DEBIAN_INCLUDE:-python3,python3-requests,curl,openssl,ca-certificates}
MIRROR=${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
key=$(printf '%s|%s' "$INCLUDE" "$MIRROR" | sha256sum | cut -c1-16)
ROOTFS="$CACHE/rootfs-$key"
mkdir -p "$CACHE"
if [ ! -f "$ROOTFS/.complete" ]; then
  rm -rf "$ROOTFS"
  debootstrap --variant=minbase --include="$INCLUDE" bookworm "$ROOTFS" "$MIRROR" \
    >"$CACHE/debootstrap-$key.log" 2>&1
  touch "$ROOTFS/.complete"
fi
/usr/bin/python3 "$(dirname "$0")/rootfs-to-oci.py" "$OUT" "$ROOTFS" ${APP:+"$APP"}
echo "$ROOTFS"
