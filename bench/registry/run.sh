#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Registry benchmark, side by side in one run on 127.0.0.1 (issue #12):
#   docker-registry  Debian's CNCF Distribution 2.8 (filesystem storage, access log off)
#   nginx            the same blob files served as static files with sendfile on (the
#                    practical limit of this machine for blob GETs)
#   vigil            `vigil registry serve --addr --root` (column "n/a" while the binary has
#                    no `registry` subcommand)
# and for each:
#   - blob GET throughput (MB/s) of a 1 MB and a 100 MB blob: wrk, 16 connections, 2 threads;
#   - manifest GET latency p50/p99 (wrk --latency, 16 connections; the OCI Accept header);
#   - `skopeo copy` push time of a realistic image (scripts/debian-image.sh: debootstrap
#     Debian 12, cached under $VIGIL_TEST_CACHE) into a freshly started, empty instance,
#     best and median of $RUNS (not for nginx: it is no registry), and into
#     bench/registry/null_registry.py, which discards the bytes: the client's own time, the
#     floor no server goes below;
#   - idle RSS (after start and the uploads, whole process tree) and peak RSS under the wrk
#     load (sampled every 200 ms);
# then prints a table with the ratios vigil/docker-registry and vigil/nginx (and
# nginx/docker-registry, for scale) beside the issue's targets: blob GET >= 3x
# docker-registry and >= 0.8x nginx; manifest p99 <= 0.5x docker-registry's; push <= 0.8x
# docker-registry's time; idle RSS <= 20 MB; under load <= 64 MB.
#
# Not part of .ci/run. Needs wrk, nginx, docker-registry, skopeo, curl (installs wrk and
# nginx with apt-get when missing and run as root). Every process it starts listens on
# 127.0.0.1 only and is stopped on exit.
#
# Environment: VIGIL (a vigil binary; default $BUILD/src/cli/vigil), BUILD (meson build dir,
# default build-bench-registry, configured as a release build when missing and VIGIL is
# unset), WORK (scratch dir, default a new temp dir), DURATION (seconds per wrk run, default
# 10), ROUNDS (GET rounds over the three servers, default 3; each metric's median round is
# reported), RUNS (push repetitions, default 3), VIGIL_TEST_CACHE (debootstrap cache, default
# /var/tmp/vigil-test-cache), IMAGE (an OCI layout to push instead of the Debian image),
# PARTS (what to measure: "get push" by default; PARTS=push runs only the push comparison,
# PARTS=get only the GET and RSS part).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench-registry}
WORK=${WORK:-$(mktemp -d /tmp/vigil-bench-registry.XXXXXX)}
DURATION=${DURATION:-10}
RUNS=${RUNS:-3}
ROUNDS=${ROUNDS:-3}
CONNS=16
PARTS=${PARTS:-get push}
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
export VIGIL_TEST_CACHE=${VIGIL_TEST_CACHE:-/var/tmp/vigil-test-cache}
mkdir -p "$WORK"
chmod 755 "$WORK"          # nginx workers (user nobody) read the blob files below it
RES=$WORK/results.txt
: >"$RES"
PIDS=()

log() { printf '== %s\n' "$*" >&2; }
put() { printf '%s %s %s\n' "$1" "$2" "$3" >>"$RES"; }   # impl metric value

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

need() {
    local missing=() t
    for t in "$@"; do command -v "$t" >/dev/null || missing+=("$t"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        log "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${missing[@]}" >/dev/null
    else
        echo "bench/registry: missing ${missing[*]} (apt-get install ${missing[*]})" >&2
        exit 2
    fi
}
need wrk nginx
for t in docker-registry skopeo curl python3; do
    command -v "$t" >/dev/null || { echo "bench/registry: $t is missing (scripts/install-deps)" >&2; exit 2; }
done
NGINX=$(command -v nginx)

# ------------------------------------------------------------------ vigil (optional)
HAVE_VIGIL=0
if [ -z "${VIGIL:-}" ]; then
    if [ ! -d "$BUILD" ]; then
        log "configuring $BUILD (release)"
        # -Dwerror=false: a release-only warning must not stop a measurement.
        meson setup "$BUILD" "$ROOT" -Dbuildtype=release -Dwerror=false >/dev/null
    fi
    ninja -C "$BUILD" src/cli/vigil >"${TMPDIR:-/tmp}/vigil-bench-build.log" 2>&1 || { tail -n 30 "${TMPDIR:-/tmp}/vigil-bench-build.log" >&2; exit 1; }
    VIGIL=$BUILD/src/cli/vigil
fi
if "$VIGIL" registry serve --help >/dev/null 2>&1; then
    HAVE_VIGIL=1
else
    log "vigil: $VIGIL has no 'registry' subcommand yet: its column is n/a"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_up() { # URL
    local i
    for i in $(seq 1 200); do
        curl -fs -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "bench/registry: nothing answers at $1" >&2
    exit 3
}

# RSS in kB of a process and its direct children (nginx's workers); ps is cheap enough to
# sample under load without stealing much of the 2 cores.
rss_tree() { ps -o rss= -p "$1" --ppid "$1" | awk '{s += $1} END {print s + 0}'; }

start_docker_registry() { # DIR PORT -> pid in $SRV
    mkdir -p "$1"
    cat >"$1/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $1/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
  secret: vigil-bench
EOF
    docker-registry serve "$1/config.yml" >"$1/log" 2>&1 &
    SRV=$!
    PIDS+=("$SRV")
    wait_up "http://127.0.0.1:$2/v2/"
}

start_vigil() { # DIR PORT
    mkdir -p "$1"
    # Access log off, as for docker-registry above.
    "$VIGIL" registry serve --addr "127.0.0.1:$2" --root "$1/data" --access-log off \
        >"$1/log" 2>&1 &
    SRV=$!
    PIDS+=("$SRV")
    wait_up "http://127.0.0.1:$2/v2/"
}

# The push floor: null_registry.py answers a push like a registry and throws the bytes away
# (no digest, no file, no fsync), so `skopeo copy` into it takes the client's own time.
start_null() { # DIR PORT
    mkdir -p "$1"
    /usr/bin/python3 "$ROOT/bench/registry/null_registry.py" "$2" >"$1/log" 2>&1 &
    SRV=$!
    PIDS+=("$SRV")
    wait_up "http://127.0.0.1:$2/v2/"
}

start_nginx() { # DIR PORT  (serves $DIR/www)
    mkdir -p "$1/tmp"
    cat >"$1/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $1/nginx.pid;
error_log $1/error.log error;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    default_type application/octet-stream;
    client_body_temp_path $1/tmp; proxy_temp_path $1/tmp; fastcgi_temp_path $1/tmp;
    uwsgi_temp_path $1/tmp; scgi_temp_path $1/tmp;
    types { application/vnd.oci.image.manifest.v1+json json; }
    server {
        listen 127.0.0.1:$2;
        root $1/www;
    }
}
EOF
    "$NGINX" -c "$1/nginx.conf" -p "$1" >"$1/log" 2>&1 &
    SRV=$!
    PIDS+=("$SRV")
    wait_up "http://127.0.0.1:$2/ping"
}

stop_srv() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# ------------------------------------------------------------------ content
log "blobs and manifest in $WORK"
head -c $((1024 * 1024)) /dev/urandom >"$WORK/blob1m"
head -c $((100 * 1024 * 1024)) /dev/urandom >"$WORK/blob100m"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$WORK/config"
sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
size() { stat -c %s "$1"; }
D1=$(sha "$WORK/blob1m"); D100=$(sha "$WORK/blob100m"); DC=$(sha "$WORK/config")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}' \
    "$DC" "$(size "$WORK/config")" "$D1" "$(size "$WORK/blob1m")" "$D100" "$(size "$WORK/blob100m")" \
    >"$WORK/manifest.json"
ACCEPT="Accept: application/vnd.oci.image.manifest.v1+json"

IMG_MB=0
if ! want push; then
    :
elif [ -n "${IMAGE:-}" ]; then
    LAYOUT=$IMAGE
else
    LAYOUT=$WORK/image
    log "Debian image (debootstrap is cached under $VIGIL_TEST_CACHE)"
    "$ROOT/scripts/debian-image.sh" "$LAYOUT" >/dev/null
fi
want push && IMG_MB=$(du -sm "$LAYOUT/blobs" | cut -f1)

upload() { # BASE FILE DIGEST
    local loc
    loc=$(curl -fsS -X POST -o /dev/null -D - "$1/v2/bench/app/blobs/uploads/" |
          tr -d '\r' | awk 'tolower($1) == "location:" {print $2}')
    case "$loc" in http*) ;; *) loc="$1$loc" ;; esac
    case "$loc" in *\?*) loc="$loc&digest=$3" ;; *) loc="$loc?digest=$3" ;; esac
    curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$2" \
        -o /dev/null "$loc"
}

seed_registry() { # BASE
    upload "$1" "$WORK/config" "$DC"
    upload "$1" "$WORK/blob1m" "$D1"
    upload "$1" "$WORK/blob100m" "$D100"
    curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
        --data-binary "@$WORK/manifest.json" -o /dev/null "$1/v2/bench/app/manifests/v1"
    curl -fsS -o "$WORK/check" "$1/v2/bench/app/blobs/$D1"
    cmp -s "$WORK/check" "$WORK/blob1m" || { echo "bench/registry: blob GET differs at $1" >&2; exit 3; }
}

# wrk output (stdin) -> "MB/s req/s p50_ms p99_ms errors". With a body size (argument), MB/s
# is completed requests/s x size: wrk prints "Transfer/sec: 0.96GB" with two digits, too coarse
# to compare servers near 1 GB/s. Without, Transfer/sec (which also counts the bytes of
# requests still running at the end: the right measure for 100 MB bodies, where 16 connections
# complete only a few requests each).
cat >"$WORK/parse_wrk.py" <<'EOF'
import re, sys
out = sys.stdin.read()
size = int(sys.argv[1]) if len(sys.argv) > 1 else 0
units = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
t = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
mbs = float(t.group(1)) * units[t.group(2)] / 1e6 if t else 0
m = re.search(r"Requests/sec:\s+([\d.]+)", out)
rps = float(m.group(1)) if m else 0
if size:
    mbs = rps * size / 1e6
def pct(p):
    m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)\b" % p, out)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)] if m else 0
err = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
err += int(non2xx.group(1)) if non2xx else 0
n = re.search(r"(\d+) requests in", out)
print(f"{mbs:.1f} {rps:.1f} {pct(50):.3f} {pct(99):.3f} {err} {int(n.group(1)) if n else 0}")
EOF
# Appends wrk's own CPU seconds (user + system) to the parsed line: on loopback the client's
# receiving is most of the work of a large GET, and it differs with the server's way of sending.
wrk_run() { # SIZE URL [header]   (SIZE 0: MB/s from Transfer/sec)
    local size=$1 args=(-t2 -c$CONNS -d"${DURATION}s" --timeout 60s --latency) r TIMEFORMAT='%U %S'
    shift
    [ $# -gt 1 ] && args+=(-H "$2")
    { time wrk "${args[@]}" "$1" >"$WORK/wrk.out"; } 2>"$WORK/wrk.cpu"
    cat "$WORK/wrk.out" >>"$WORK/wrk.log"
    if [ "$size" -gt 0 ]; then
        r=$(python3 "$WORK/parse_wrk.py" "$size" <"$WORK/wrk.out")
    else
        r=$(python3 "$WORK/parse_wrk.py" <"$WORK/wrk.out")
    fi
    echo "$r $(awk '{print $1 + $2}' "$WORK/wrk.cpu")"
}

# CPU time (user + system, in clock ticks) of a process and its direct children.
cpu_tree() {
    local p t=0
    for p in $(ps -o pid= -p "$1" --ppid "$1"); do
        t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}

# Runs wrk while sampling the server's RSS every 200 ms; keeps the peak (kB) in $WORK/peak.IMPL.
# Appends the server's CPU seconds during the run to wrk_run's output: on a machine shared with
# other work, CPU per byte or per request is the comparison the load does not distort.
loaded() { # IMPL PID SIZE URL [header] -> wrk_run output (with wrk's CPU) + " cpu_s"
    local impl=$1 pid=$2 sampler p c0 r
    shift 2
    (while kill -0 "$pid" 2>/dev/null; do rss_tree "$pid"; sleep 0.2; done) >"$WORK/rss.samples" &
    sampler=$!
    c0=$(cpu_tree "$pid")
    r=$(wrk_run "$@")
    echo "$r $(python3 -c "print(($(cpu_tree "$pid") - $c0) / $(getconf CLK_TCK))")"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    p=$(cat "$WORK/rss.samples" "$WORK/peak.$impl" 2>/dev/null | sort -n | tail -n 1)
    echo "${p:-0}" >"$WORK/peak.$impl"
}

measure_gets() { # IMPL PID BLOB1_URL BLOB100_URL MANIFEST_URL  (one round)
    local impl=$1 pid=$2 r
    log "$impl: 1 MB blob GET"
    r=$(loaded "$impl" "$pid" "$(size "$WORK/blob1m")" "$3"); read -r mbs _ _ _ err _ wcpu cpu <<<"$r"
    put "$impl" blob1m_mbs "$mbs"; put "$impl" blob1m_err "$err"
    put "$impl" blob1m_cpu_gb "$(python3 -c "print($cpu / max($mbs * $DURATION / 1000, 1e-9))")"
    put "$impl" blob1m_wrk_cpu_gb "$(python3 -c "print($wcpu / max($mbs * $DURATION / 1000, 1e-9))")"
    log "$impl: 100 MB blob GET"
    r=$(loaded "$impl" "$pid" 0 "$4"); read -r mbs _ _ _ err _ wcpu cpu <<<"$r"
    put "$impl" blob100m_mbs "$mbs"; put "$impl" blob100m_err "$err"
    put "$impl" blob100m_cpu_gb "$(python3 -c "print($cpu / max($mbs * $DURATION / 1000, 1e-9))")"
    put "$impl" blob100m_wrk_cpu_gb "$(python3 -c "print($wcpu / max($mbs * $DURATION / 1000, 1e-9))")"
    log "$impl: manifest GET"
    r=$(loaded "$impl" "$pid" 0 "$5" "$ACCEPT"); read -r _ rps p50 p99 err n _ cpu <<<"$r"
    put "$impl" manifest_rps "$rps"; put "$impl" manifest_p50_ms "$p50"
    put "$impl" manifest_p99_ms "$p99"; put "$impl" manifest_err "$err"
    put "$impl" manifest_cpu_us "$(python3 -c "print($cpu * 1e6 / max($n, 1))")"
}

# ------------------------------------------------------------------ GET benchmarks
# The three servers run side by side (idle while another is measured), and the measurements go
# round by round (docker-registry, nginx, vigil; $ROUNDS times), so a change in the machine's
# load during the run falls on all three alike; the report shows each one's median round.
if want get; then
declare -A GPID GURL
P=$(free_port)
start_docker_registry "$WORK/dr" "$P"
GPID[docker-registry]=$SRV; GURL[docker-registry]="http://127.0.0.1:$P"
seed_registry "${GURL[docker-registry]}"

P=$(free_port)
mkdir -p "$WORK/ngx/www/v2/bench/app/blobs" "$WORK/ngx/www/v2/bench/app/manifests"
ln -f "$WORK/blob1m" "$WORK/ngx/www/v2/bench/app/blobs/$D1"
ln -f "$WORK/blob100m" "$WORK/ngx/www/v2/bench/app/blobs/$D100"
cp "$WORK/manifest.json" "$WORK/ngx/www/v2/bench/app/manifests/v1.json"
echo ok >"$WORK/ngx/www/ping"
start_nginx "$WORK/ngx" "$P"
GPID[nginx]=$SRV; GURL[nginx]="http://127.0.0.1:$P"

IMPLS=(docker-registry nginx)
if [ $HAVE_VIGIL = 1 ]; then
    P=$(free_port)
    start_vigil "$WORK/vg" "$P"
    GPID[vigil]=$SRV; GURL[vigil]="http://127.0.0.1:$P"
    seed_registry "${GURL[vigil]}"
    IMPLS+=(vigil)
fi
sleep 1
for impl in "${IMPLS[@]}"; do
    put "$impl" idle_rss_kb "$(rss_tree "${GPID[$impl]}")"
    echo 0 >"$WORK/peak.$impl"
done
for round in $(seq 1 "$ROUNDS"); do
    log "round $round of $ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    for impl in "${IMPLS[@]}"; do
        B=${GURL[$impl]}
        M="$B/v2/bench/app/manifests/v1"
        [ "$impl" = nginx ] && M="$M.json"
        measure_gets "$impl" "${GPID[$impl]}" "$B/v2/bench/app/blobs/$D1" \
            "$B/v2/bench/app/blobs/$D100" "$M"
    done
done
for impl in "${IMPLS[@]}"; do
    put "$impl" load_rss_kb "$(cat "$WORK/peak.$impl")"
    stop_srv "${GPID[$impl]}"
done
fi # want get

# ------------------------------------------------------------------ push
push_once() { # IMPL START_FN I -> "seconds server_cpu_seconds" on stdout
    local impl=$1 start=$2 i=$3 t0 t1 c0 c1
    P=$(free_port)
    rm -rf "$WORK/push-$impl"
    "$start" "$WORK/push-$impl" "$P"
    c0=$(cpu_tree "$SRV")
    t0=$(date +%s.%N)
    skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$LAYOUT:latest" \
        "docker://127.0.0.1:$P/bench/push$i:latest"
    t1=$(date +%s.%N)
    c1=$(cpu_tree "$SRV")
    stop_srv "$SRV"
    python3 -c "print(f'{$t1 - $t0:.3f} {($c1 - $c0) / $(getconf CLK_TCK):.2f}')"
}
if want push; then
    # The implementations alternate run by run (dr, vigil, floor, dr, vigil, floor, ...), each
    # into a freshly started, empty instance, so a change in the machine's load hits all alike;
    # the best and the median of each are kept. "floor" is null_registry.py (start_null): the
    # client's own time, which no server can go below.
    log "push of $LAYOUT ($IMG_MB MB of blobs), $RUNS runs each, alternating"
    : >"$WORK/push.times"
    for i in $(seq 1 "$RUNS"); do
        for impl in docker-registry vigil floor; do
            [ $impl = vigil ] && [ $HAVE_VIGIL = 0 ] && continue
            fn=start_docker_registry; [ $impl = vigil ] && fn=start_vigil
            [ $impl = floor ] && fn=start_null
            read -r t c <<<"$(push_once $impl $fn "$i")"
            log "$impl: push $i: $t s (server CPU $c s; load average $(cut -d' ' -f1 /proc/loadavg))"
            echo "$impl $t" >>"$WORK/push.times"
            put "$impl" push_cpu_s "$c"
        done
    done
    for impl in docker-registry vigil floor; do
        grep -q "^$impl " "$WORK/push.times" || continue
        put "$impl" push_s "$(awk -v i=$impl '$1 == i {print $2}' "$WORK/push.times" | sort -n | head -n 1)"
        put "$impl" push_med_s "$(awk -v i=$impl '$1 == i {print $2}' "$WORK/push.times" | sort -n |
            awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')"
    done
fi

# ------------------------------------------------------------------ report
python3 - "$RES" "$DURATION" "$CONNS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$IMG_MB" "$RUNS" "$ROUNDS" <<'EOF'
import sys
res, dur, conns, cpus, load, img_mb, runs, rounds = sys.argv[1:9]
import statistics
raw = {}
for line in open(res):
    impl, k, val = line.split()
    raw.setdefault(impl, {}).setdefault(k, []).append(float(val))
# Several rounds: errors add up, the RSS peak is the highest, any other metric is the median.
v = {i: {k: sum(x) if k.endswith("_err") else max(x) if k == "load_rss_kb"
         else statistics.median(x) for k, x in ks.items()} for i, ks in raw.items()}
def g(impl, k):
    return v.get(impl, {}).get(k)
def fmt(x, unit=""):
    return "n/a" if x is None else (f"{x:,.1f}{unit}" if x >= 10 else f"{x:.2f}{unit}")
def ratio(a, b):
    return "n/a" if a is None or b in (None, 0) else f"{a / b:.2f}x"
rows = [  # label, key, scale, unit, target text, check(vigil, dr, nginx)
    ("blob GET 1 MB (MB/s)", "blob1m_mbs", 1, "", ">= 3x dr, >= 0.8x nginx",
     lambda x, d, n: x >= 3 * d and x >= 0.8 * n),
    ("blob GET 100 MB (MB/s)", "blob100m_mbs", 1, "", ">= 3x dr, >= 0.8x nginx",
     lambda x, d, n: x >= 3 * d and x >= 0.8 * n),
    ("server CPU s per GB, 1 MB blobs", "blob1m_cpu_gb", 1, "", "", None),
    ("server CPU s per GB, 100 MB blobs", "blob100m_cpu_gb", 1, "", "", None),
    ("wrk CPU s per GB, 1 MB blobs", "blob1m_wrk_cpu_gb", 1, "", "", None),
    ("wrk CPU s per GB, 100 MB blobs", "blob100m_wrk_cpu_gb", 1, "", "", None),
    ("manifest GET req/s", "manifest_rps", 1, "", "", None),
    ("server CPU us per manifest GET", "manifest_cpu_us", 1, "", "", None),
    ("manifest GET p50 (ms)", "manifest_p50_ms", 1, "", "", None),
    ("manifest GET p99 (ms)", "manifest_p99_ms", 1, "", "<= 0.5x dr", lambda x, d, n: x <= 0.5 * d),
    (f"skopeo push {img_mb} MB, best (s)", "push_s", 1, "", "<= 0.8x dr",
     lambda x, d, n: x <= 0.8 * d),
    (f"skopeo push {img_mb} MB, median (s)", "push_med_s", 1, "", "", None),
    ("server CPU s per push", "push_cpu_s", 1, "", "", None),
    ("idle RSS (MB)", "idle_rss_kb", 1 / 1024, "", "<= 20 MB", lambda x, d, n: x <= 20),
    ("RSS under load (MB)", "load_rss_kb", 1 / 1024, "", "<= 64 MB", lambda x, d, n: x <= 64),
]
print(f"cpus: {cpus}, load average {load}; wrk -t2 -c{conns} -d{dur}s, median of {rounds} "
      f"rounds; push: {runs} runs each")
hdr = ["metric", "docker-registry", "nginx", "vigil", "vigil/dr", "vigil/nginx", "nginx/dr",
       "target", "met"]
out = [hdr]
verdicts = []
for label, k, sc, unit, target, check in rows:
    d, n, x = (None if g(i, k) is None else g(i, k) * sc for i in ("docker-registry", "nginx", "vigil"))
    met = "n/a"
    if check and x is not None and d is not None and (n is not None or "nginx" not in target):
        met = "yes" if check(x, d, n if n is not None else 0) else "NO"
        verdicts.append(met == "yes")
    out.append([label, fmt(d), fmt(n), fmt(x), ratio(x, d), ratio(x, n), ratio(n, d),
                target, met if check else ""])
w = [max(len(r[i]) for r in out) for i in range(len(hdr))]
for r in out:
    print("  ".join(c.ljust(w[i]) if i == 0 or i >= 7 else c.rjust(w[i]) for i, c in enumerate(r)))
fb, fm = g("floor", "push_s"), g("floor", "push_med_s")
if fb is not None:
    print(f"push floor (null_registry.py, the client's own time): best {fb:.2f} s, median "
          f"{fm:.2f} s, server CPU {g('floor', 'push_cpu_s'):.2f} s; above it (median): " +
          ", ".join(f"{i} +{g(i, 'push_med_s') - fm:.2f} s" for i in ("docker-registry", "vigil")
                    if g(i, "push_med_s") is not None) +
          (f"; floor/dr {fm / g('docker-registry', 'push_med_s'):.2f}x (the best any server "
           f"could reach)" if g("docker-registry", "push_med_s") else ""))
errs = {i: sum(int(v[i].get(k, 0)) for k in ("blob1m_err", "blob100m_err", "manifest_err"))
        for i in v}
if any(errs.values()):
    print("wrk errors (socket errors + non-2xx):", errs)
if "vigil" not in v:
    print("targets: n/a (vigil has no 'registry' subcommand in this build)")
else:
    print("targets:", "all met" if verdicts and all(verdicts) else "NOT all met")
EOF
log "raw wrk output: $WORK/wrk.log"
