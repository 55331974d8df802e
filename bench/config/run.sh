#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vigil config vs trivy config on the same inputs: N copies (default 10) of the agreement
# corpus (tests/data/config/corpus: 27 Dockerfiles, 19 manifests), each copy's manifests
# concatenated into one multi-document Helm-style stream as well, so the tree holds
# N*46 + N files. Reports wall time and peak RSS (GNU time) of each tool, best of RUNS (3).
# Trivy is the peer installed by scripts/install-deps (VIGIL_TRIVY overrides); it runs offline
# with its embedded checks (--skip-policy-update). Usage: bench/config/run.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
vigil=$build/src/cli/vigil
CACHE=${VIGIL_TEST_CACHE:-/var/tmp/vigil-test-cache}
TRIVY=${VIGIL_TRIVY:-$CACHE/trivy-cdxgen-1.8.0/trivy}
N=${N:-10}
RUNS=${RUNS:-3}
[ -x "$vigil" ] || { echo "build vigil first ($vigil)"; exit 2; }
[ -x "$TRIVY" ] || { echo "Trivy peer absent ($TRIVY): scripts/install-deps installs it"; exit 0; }
command -v /usr/bin/time >/dev/null || { echo "GNU time (/usr/bin/time) is needed"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$work/tree
corpus=$root/tests/data/config/corpus
for i in $(seq 1 "$N"); do
  mkdir -p "$tree/svc$i"
  cp -r "$corpus/dockerfiles" "$corpus/k8s" "$tree/svc$i/"
  cat "$corpus"/k8s/*.yaml | sed 's/^apiVersion:/---\napiVersion:/' > "$tree/svc$i/rendered.yaml"
done
files=$(find "$tree" -type f | wc -l)
bytes=$(du -sb "$tree" | cut -f1)
export TRIVY_CACHE_DIR=$work/trivy-cache TRIVY_NO_PROGRESS=true TRIVY_DISABLE_TELEMETRY=true
measure() { # name cmd... -> "seconds rss_kib" (best wall time of RUNS)
  local best="" rss="" name=$1; shift
  for _ in $(seq 1 "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$work/t" "$@" > "$work/out.$name" 2>/dev/null || true
    read -r s m < "$work/t"
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; rss=$m; fi
  done
  echo "$best $rss"
}
read -r vs vm <<<"$(measure vigil "$vigil" config -q -f json "$tree")"
read -r ts tm <<<"$(measure trivy "$TRIVY" config --skip-policy-update -q -f json "$tree")"
vf=$(python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(sum(len(r.get('Misconfigurations') or []) for r in d['Results']))" "$work/out.vigil")
tf=$(python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(sum(len(r.get('Misconfigurations') or []) for r in d.get('Results') or []))" "$work/out.trivy")
echo "inputs: $files files, $bytes bytes ($N copies of the corpus + rendered streams)"
printf '%-6s %8s s %10s KiB peak RSS %7s findings\n' vigil "$vs" "$vm" "$vf" trivy "$ts" "$tm" "$tf"
awk -v a="$vs" -v b="$ts" 'BEGIN{printf "vigil/trivy time: %.3fx (target <= 0.2x)\n", a/b}'
