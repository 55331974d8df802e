#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `vigil fs` and `vigil rootfs` side by side with the real Trivy on the same trees:
#   source tree: tests/data/fs/tree (one lock file or manifest of every kind vigil fs reads)
#                plus the npm app of bench/scan (package-lock.json and ~200 installed packages
#                under node_modules) when its cache is present;
#   rootfs:      the debootstrap Debian 12 tree of scripts/debian-image.sh (cached).
# For each tree it times, best of $RUNS, with peak RSS from /usr/bin/time:
#   vigil  DIR --format cyclonedx --scanners vuln   (packages, matched with the database)
#   trivy  DIR --format cyclonedx                   (packages: Trivy needs its own DB to match,
#                                                    so its SBOM output, which skips matching)
#   vigil  DIR --scanners secret                    vs   trivy DIR --scanners secret
#   vigil  DIR (default scanners: vuln, secret, model)  vs  the sum of Trivy's two runs
# and prints the ratio to Trivy's time against the issue's target (<= 0.2x).
#
# The peer is tests/e2e/trivy_peer.py's (VIGIL_TRIVY, else $VIGIL_TEST_CACHE/trivy-cdxgen-1.8.0/
# trivy from scripts/install-deps); without it only vigil's numbers are printed.
# Environment: BUILD (meson build dir with src/cli/vigil, default build), WORK (scratch dir),
# VULNDATA (default ../shared/vulndata, else examples/osv), RUNS (default 3), VIGIL_TEST_CACHE.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
WORK=${WORK:-$(mktemp -d /tmp/vigil-bench-fs.XXXXXX)}
RUNS=${RUNS:-3}
CACHE=${VIGIL_TEST_CACHE:-/var/tmp/vigil-test-cache}
VULNDATA=${VULNDATA:-$ROOT/../shared/vulndata}
[ -d "$VULNDATA" ] || VULNDATA=$ROOT/examples/osv
TRIVY=${VIGIL_TRIVY:-$CACHE/trivy-cdxgen-1.8.0/trivy}
VIGIL=$BUILD/src/cli/vigil
mkdir -p "$WORK"

log() { printf '== %s\n' "$*" >&2; }

ninja -C "$BUILD" src/cli/vigil >"${TMPDIR:-/tmp}/vigil-bench-build.log" 2>&1 || { tail -n 30 "${TMPDIR:-/tmp}/vigil-bench-build.log" >&2; exit 1; }
log "database from $VULNDATA"
"$VIGIL" db build --from "$VULNDATA" --db "$WORK/vulndb.sqlite" >/dev/null 2>&1

SRC=$WORK/src
rm -rf "$SRC" && cp -a "$ROOT/tests/data/fs/tree" "$SRC"
if [ -d "$CACHE/npm-app-bench/node_modules" ]; then
    cp -a "$CACHE/npm-app-bench" "$SRC/npm-app"
fi
log "rootfs from scripts/debian-image.sh"
ROOTFS=$("$ROOT/scripts/debian-image.sh" "$WORK/image" | tail -n 1)

# best-of-RUNS "seconds peakKB" of a command (its output discarded)
measure() {
    local best="" t
    for _ in $(seq "$RUNS"); do
        rm -rf "$WORK/trivy-cache"
        /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" ||
            { tail -n 5 "$WORK/stderr" >&2; return 1; }
        t=$(cat "$WORK/time")
        if [ -z "$best" ] || awk -v a="${t% *}" -v b="${best% *}" 'BEGIN{exit !(a < b)}'; then
            best=$t
        fi
    done
    echo "$best"
}

vig() { measure "$VIGIL" "$@" --offline --quiet --db "$WORK/vulndb.sqlite"; }
triv() {
    measure env TRIVY_CACHE_DIR="$WORK/trivy-cache" TRIVY_NO_PROGRESS=true \
        TRIVY_DISABLE_TELEMETRY=true "$TRIVY" "$@" --quiet --offline-scan --skip-db-update \
        --skip-java-db-update
}

row() { # label "t rss" ["t rss" of trivy]
    local v=$2 tv=${3:-}
    if [ -n "$tv" ]; then
        awk -v l="$1" -v vt="${v% *}" -v vr="${v#* }" -v tt="${tv% *}" -v tr="${tv#* }" 'BEGIN{
            printf "%-34s vigil %6.2f s %6.1f MB   trivy %6.2f s %6.1f MB   ratio %.3f %s\n",
                l, vt, vr/1024, tt, tr/1024, vt/tt, (vt/tt <= 0.2 ? "(<= 0.2: ok)" : "(> 0.2)")}'
    else
        awk -v l="$1" -v vt="${v% *}" -v vr="${v#* }" 'BEGIN{
            printf "%-34s vigil %6.2f s %6.1f MB\n", l, vt, vr/1024}'
    fi
}

have_trivy=false
[ -x "$TRIVY" ] && have_trivy=true
$have_trivy || log "the Trivy peer is absent ($TRIVY): vigil only"

for kind in fs rootfs; do
    dir=$SRC
    [ "$kind" = rootfs ] && dir=$ROOTFS
    files=$(find "$dir" -xdev \( -path '*/proc' -o -path '*/sys' -o -path '*/dev' \) -prune -o \
        -print 2>/dev/null | wc -l)
    echo "$kind $dir ($files entries, $(du -sh --exclude=proc --exclude=sys "$dir" 2>/dev/null | cut -f1))"
    vp=$(vig "$kind" --format cyclonedx --scanners vuln "$dir")
    vs=$(vig "$kind" --scanners secret "$dir")
    va=$(vig "$kind" "$dir")
    if $have_trivy; then
        tp=$(triv "$kind" --format cyclonedx "$dir")
        ts=$(triv "$kind" --scanners secret "$dir")
        tsum=$(awk -v a="$tp" -v b="$ts" 'BEGIN{split(a,x," ");split(b,y," ");
            printf "%.2f %d", x[1]+y[1], (x[2]>y[2]?x[2]:y[2])}')
        row "  packages (cyclonedx)" "$vp" "$tp"
        row "  secrets" "$vs" "$ts"
        row "  default scan vs trivy sbom+secret" "$va" "$tsum"
    else
        row "  packages (cyclonedx)" "$vp"
        row "  secrets" "$vs"
        row "  default scan" "$va"
    fi
done
