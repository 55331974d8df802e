#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# vulndb benchmarks on /work/shared/vulndata (or $VULNDATA):
#  1. ingest throughput: `vigil db build` vs `jq . >/dev/null` over the same JSON, in MB of
#     JSON per second (target: vigil >= 0.5x jq). jq reads the records already unzipped (its
#     unzip is not timed); vigil's time includes unzipping and writing the database.
#  2. lookup latency: 10 000 (ecosystem, name) pairs (every package in the database, plus
#     misses, repeated up to 10 000) through vg_vulndb_query (all advisories, full rows) and
#     vg_vulndb_query_affecting (the scan path; version 1.0.0, which most advisories affect,
#     and 999.0.0, which few do) (target: mean < 20 us). cpu_mean_us is thread CPU time,
#     which a busy machine does not inflate; the other figures are wall clock.
#
# Usage: bench/vulndb/run.sh [BUILD_DIR]   (default build; needs vigil built there)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
DATA=${VULNDATA:-/work/shared/vulndata}
VIGIL=$BUILD/src/cli/vigil
[ -x "$VIGIL" ] || { echo "vigil not built in $BUILD" >&2; exit 2; }
[ -d "$DATA" ] || { echo "no data set at $DATA" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq not installed" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# --- the same JSON for jq: every zip entry plus the secdb files
mkdir -p "$TMP/json"
i=0
while IFS= read -r z; do
    i=$((i + 1))
    mkdir -p "$TMP/json/$i"
    unzip -q -o "$z" -d "$TMP/json/$i"
done < <(find "$DATA" -name '*.zip' | sort)
find "$DATA" -name '*.json' -exec cp --parents {} "$TMP/json" \;
find "$TMP/json" -name '*.json' -print0 | xargs -0 cat > "$TMP/all.jsonl.raw"
BYTES=$(stat -c %s "$TMP/all.jsonl.raw")
MB=$(awk -v b="$BYTES" 'BEGIN { printf "%.2f", b / 1048576 }')

now() { date +%s.%N; }
t0=$(now); jq . "$TMP/all.jsonl.raw" > /dev/null; t1=$(now)
JQ_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

best=999999
for run in 1 2 3; do
    rm -f "$TMP/v.db"
    t0=$(now); VG_LOG=error "$VIGIL" db build --db "$TMP/v.db" --from "$DATA" 2> /dev/null; t1=$(now)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    best=$(awk -v a="$s" -v b="$best" 'BEGIN { print (a < b) ? a : b }')
done
VG_S=$best
awk -v mb="$MB" -v j="$JQ_S" -v v="$VG_S" 'BEGIN {
    printf "ingest: %s MB of JSON\n", mb
    printf "  jq .        %6.3f s  %7.1f MB/s\n", j, mb / j
    printf "  vigil build %6.3f s  %7.1f MB/s  (%.2fx jq; target >= 0.5x)\n", v, mb / v, (mb / v) / (mb / j)
}'

# --- lookup latency
sqlite3 "$TMP/v.db" "SELECT DISTINCT ecosystem || char(9) || name FROM affected" > "$TMP/pairs.hit"
awk -F'\t' '{ print $1 "\t" $2 "-missing" }' "$TMP/pairs.hit" > "$TMP/pairs.miss"
cat "$TMP/pairs.hit" "$TMP/pairs.miss" | shuf --random-source=<(yes) | awk 'NR <= 10000' > "$TMP/pairs"
while [ "$(wc -l < "$TMP/pairs")" -lt 10000 ]; do
    cat "$TMP/pairs" "$TMP/pairs" | awk 'NR <= 10000' > "$TMP/pairs.2" && mv "$TMP/pairs.2" "$TMP/pairs"
done
LIBS=""
for l in vulndb version store net core; do LIBS="$LIBS $BUILD/src/$l/libvg_$l.a"; done
cc -std=c17 -O2 -D_GNU_SOURCE -I"$ROOT/src" -o "$TMP/lookup_bench" "$ROOT/bench/vulndb/lookup_bench.c" \
    $LIBS $(pkg-config --libs jansson libcrypto libcurl sqlite3 libarchive) -lm
echo "lookup: $(wc -l < "$TMP/pairs") (ecosystem, name) pairs, half misses (target: mean < 20 us)"
"$TMP/lookup_bench" "$TMP/v.db" "$TMP/pairs" 3 | sed 's/^/  /'
"$TMP/lookup_bench" "$TMP/v.db" "$TMP/pairs" 3 1.0.0 | sed 's/^/  /'
"$TMP/lookup_bench" "$TMP/v.db" "$TMP/pairs" 3 999.0.0 | sed 's/^/  /'
