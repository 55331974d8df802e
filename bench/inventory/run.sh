#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Inventory benchmark: the Debian 12 image of scripts/debian-image.sh (debootstrap minbase plus
# python3, curl, openssl...; with an app layer when APP is given or a cached test app exists)
# timed two ways in the same run, interleaved, best of $RUNS:
#   (a) `vigil inspect --format json` — one walk over every layer with no analyzer attached
#       (decompression, digests, tar parsing, merge index): the reference;
#   (b) `vigil sbom --format json` — the same walk feeding the inventory analyzers, plus
#       finishing and writing the SBOM.
# Reports b/a and the peak RSS of (b) from /usr/bin/time -v.
# Targets: ratio <= 1.3; peak RSS < 96 MB.
#
# Environment: VIGIL (binary, default build-bench/src/cli/vigil, built release when missing),
# WORK (scratch dir), RUNS (default 5), APP (directory copied to /app as a second layer),
# VIGIL_TEST_CACHE (debootstrap cache of debian-image.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-$(mktemp -d /tmp/vigil-bench-inv.XXXXXX)}
RUNS=${RUNS:-5}
CACHE=${VIGIL_TEST_CACHE:-/var/tmp/vigil-test-cache}
log() { printf '== %s\n' "$*" >&2; }

if [ -z "${VIGIL:-}" ]; then
    BUILD=$ROOT/build-bench
    [ -d "$BUILD" ] || meson setup "$BUILD" "$ROOT" -Dbuildtype=release >/dev/null
    ninja -C "$BUILD" src/cli/vigil >"${TMPDIR:-/tmp}/vigil-bench-build.log" 2>&1 || { tail -n 30 "${TMPDIR:-/tmp}/vigil-bench-build.log" >&2; exit 1; }
    VIGIL=$BUILD/src/cli/vigil
fi

if [ -z "${APP:-}" ]; then
    APP=$(ls -d "$CACHE"/inv-npm-* 2>/dev/null | grep -v '\.tmp$' | head -1 || true)
fi
log "image: debian-image.sh ${APP:+(app layer from $APP)}"
"$ROOT/scripts/debian-image.sh" "$WORK/image" ${APP:+"$APP"} >/dev/null
IMG="oci:$WORK/image:latest"
du -sh "$WORK/image" >&2

# Seconds (wall) and peak RSS (kB) of one command, through GNU time.
measure() {
    local out=$1; shift
    /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$out" 2>"$WORK/stderr.txt"
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    # h:mm:ss or m:ss.ss -> seconds
    wall=$(awk -v t="$wall" 'BEGIN { n = split(t, p, ":"); s = 0;
                                     for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }')
    echo "$wall $rss"
}

best_walk=999999; best_sbom=999999; rss_sbom=0; rss_walk=0
for i in $(seq 1 "$RUNS"); do
    read -r w r < <(measure "$WORK/inspect.json" "$VIGIL" inspect --format json "$IMG")
    best_walk=$(awk -v a="$best_walk" -v b="$w" 'BEGIN { print (b < a ? b : a) }')
    [ "$r" -gt "$rss_walk" ] && rss_walk=$r
    read -r s r < <(measure "$WORK/sbom.json" "$VIGIL" sbom --format json "$IMG")
    best_sbom=$(awk -v a="$best_sbom" -v b="$s" 'BEGIN { print (b < a ? b : a) }')
    [ "$r" -gt "$rss_sbom" ] && rss_sbom=$r
    log "run $i: walk ${w}s, sbom ${s}s (rss ${r} kB)"
done
npkgs=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["packages"]))' \
    "$WORK/sbom.json")
ratio=$(awk -v a="$best_walk" -v b="$best_sbom" 'BEGIN { printf "%.2f", b / a }')
echo "packages:        $npkgs"
echo "walk (inspect):  ${best_walk}s best of $RUNS, peak RSS $((rss_walk / 1024)) MB"
echo "sbom:            ${best_sbom}s best of $RUNS, peak RSS $((rss_sbom / 1024)) MB"
echo "ratio sbom/walk: $ratio (target <= 1.3)"
ok=$(awk -v r="$ratio" -v m="$rss_sbom" 'BEGIN { print (r <= 1.3 && m < 96 * 1024) ? "yes" : "no" }')
echo "within targets:  $ok"
