#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Layer-walk benchmark: builds a Debian bookworm minbase root filesystem with debootstrap
# (fallback: this machine's /usr), packs it into gzip layers of an OCI layout, then times
#   (a) gzip -dc of every layer blob to /dev/null (the floor: plain decompression), and
#   (b) the full vigil walk (decompress, both digests, tar parse, merge index, consumers)
# in the same run, best of $RUNS, and reports the ratio b/a and the walk's peak RSS.
# Targets: ratio <= 1.2 with one job; peak RSS < 64 MB.
#
# Environment: BUILD (meson build dir, default build-bench), WORK (scratch dir, default a new
# temp dir), ROOTFS (use this directory instead of debootstrap), CACHE (debootstrap result kept
# across runs, default /tmp/vigil-bench-rootfs), RUNS (default 3), MIRROR (Debian mirror).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
WORK=${WORK:-$(mktemp -d /tmp/vigil-bench-walk.XXXXXX)}
CACHE=${CACHE:-/tmp/vigil-bench-rootfs}
RUNS=${RUNS:-3}
mkdir -p "$WORK"

log() { printf '== %s\n' "$*" >&2; }

mirror() {
    if [ -n "${MIRROR:-}" ]; then echo "$MIRROR"; return; fi
    local m=""
    if [ -f /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list)
    fi
    if [ -z "$m" ] && ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
        m=$(awk '$1 == "URIs:" && $2 ~ /\/debian\/?$/ { print $2; exit }' \
            /etc/apt/sources.list.d/*.sources)
    fi
    echo "${m:-http://deb.debian.org/debian}"
}

build_driver() {
    log "building libraries in $BUILD"
    [ -d "$BUILD" ] || meson setup "$BUILD" "$ROOT" -Dbuildtype=release >/dev/null
    ninja -C "$BUILD" src/layers/libvg_layers.a src/oci/libvg_oci.a src/core/libvg_core.a \
        $( [ -f "$ROOT/src/net/meson.build" ] && echo src/net/libvg_net.a ) >/dev/null
    local libs=("$BUILD/src/layers/libvg_layers.a" "$BUILD/src/oci/libvg_oci.a")
    [ -f "$BUILD/src/net/libvg_net.a" ] && libs+=("$BUILD/src/net/libvg_net.a")
    libs+=("$BUILD/src/core/libvg_core.a")
    cc -O2 -std=c17 -D_GNU_SOURCE -I"$ROOT/src" "$ROOT/bench/walk/walk_bench.c" \
        -Wl,--start-group "${libs[@]}" -Wl,--end-group \
        $(pkg-config --libs libarchive zlib libzstd jansson libcrypto libcurl) -lpthread \
        -o "$WORK/walk_bench"
}

make_rootfs() {
    if [ -n "${ROOTFS:-}" ]; then echo "$ROOTFS"; return; fi
    if [ -x "$CACHE/usr/bin/dpkg" ]; then echo "$CACHE"; return; fi
    if command -v debootstrap >/dev/null && [ "$(id -u)" = 0 ]; then
        log "debootstrap --variant=minbase bookworm from $(mirror)"
        rm -rf "$CACHE.tmp"
        if debootstrap --variant=minbase bookworm "$CACHE.tmp" "$(mirror)" >"$WORK/debootstrap.log" 2>&1; then
            rm -rf "$CACHE" && mv "$CACHE.tmp" "$CACHE"
            echo "$CACHE"
            return
        fi
        log "debootstrap failed (see $WORK/debootstrap.log); falling back to /usr"
    fi
    echo /
}

make_layers() {
    local rootfs=$1
    log "packing layers from $rootfs"
    local t=(--numeric-owner --one-file-system -C "$rootfs")
    if [ "$rootfs" = / ]; then
        tar "${t[@]}" -cf "$WORK/l1.tar" usr/lib 2>/dev/null || true
        tar "${t[@]}" -cf "$WORK/l2.tar" usr/share 2>/dev/null || true
        tar "${t[@]}" -cf "$WORK/l3.tar" usr/bin usr/sbin usr/include 2>/dev/null || true
    else
        tar "${t[@]}" -cf "$WORK/l1.tar" usr/lib
        tar "${t[@]}" -cf "$WORK/l2.tar" usr/share usr/bin usr/sbin usr/include usr/libexec \
            usr/local usr/games 2>/dev/null || true
        tar "${t[@]}" -cf "$WORK/l3.tar" --exclude=./usr --exclude=./proc --exclude=./sys \
            --exclude=./dev .
    fi
    rm -rf "$WORK/image"
    python3 "$ROOT/bench/walk/mklayout.py" "$WORK/image" gzip \
        "$WORK/l1.tar" "$WORK/l2.tar" "$WORK/l3.tar" >"$WORK/layers.txt"
    rm -f "$WORK"/l?.tar
}

# Prints "seconds maxrss_kb" of the best (fastest) of $RUNS runs of the command.
best_of() {
    local best="" rss=""
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >/dev/null
        read -r s m <"$WORK/time.txt"
        if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$s; rss=$m
        fi
    done
    echo "$best $rss"
}

gunzip_all() {
    for d in $(cat "$WORK/layers.txt"); do
        gzip -dc "$WORK/image/blobs/sha256/${d#sha256:}" >/dev/null
    done
}
export -f gunzip_all
export WORK

build_driver
make_layers "$(make_rootfs)"
"$WORK/walk_bench" "oci:$WORK/image" 1 >"$WORK/walk.txt"
cat "$WORK/walk.txt"
blob_bytes=$(du -cb "$WORK"/image/blobs/sha256/* | tail -1 | cut -f1)
log "image: $(wc -l <"$WORK/layers.txt") gzip layers, $blob_bytes bytes of blobs"

read -r t_gz _ <<<"$(best_of bash -c gunzip_all)"
read -r t_j1 rss_j1 <<<"$(best_of "$WORK/walk_bench" "oci:$WORK/image" 1)"
read -r t_jn rss_jn <<<"$(best_of "$WORK/walk_bench" "oci:$WORK/image" 0)"

awk -v gz="$t_gz" -v j1="$t_j1" -v jn="$t_jn" -v r1="$rss_j1" -v rn="$rss_jn" 'BEGIN {
    printf "gzip -dc (all layers, sequential): %.2f s\n", gz
    printf "walk, 1 job:     %.2f s  ratio %.2f  peak RSS %.1f MB\n", j1, j1 / gz, r1 / 1024
    printf "walk, default jobs: %.2f s  ratio %.2f  peak RSS %.1f MB\n", jn, jn / gz, rn / 1024
    ok = (j1 / gz <= 1.2 && r1 < 65536 && rn < 65536)
    printf "targets (ratio <= 1.2 with 1 job, RSS < 64 MB): %s\n", ok ? "met" : "NOT met"
}'
