#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Admission webhook benchmark, side by side in one run on 127.0.0.1 over TLS (issue #13):
#   nginx       answers POST /validate with a static AdmissionReview JSON body (the practical
#               limit of this machine for a TLS request/response of that size)
#   bare        `vigil admit serve --offline` with a policy of trusted registries and forbidden
#               tags only: the same request path (TLS, httpd, AdmissionReview parse, policy
#               evaluation on the worker thread, response) without any fact to fetch
#   cached      `vigil admit serve` with a signature requirement on a digest-pinned image whose
#               signature fact is in the decision cache (verified once before the run)
#   tag         the same webhook and policy on the image by TAG: every request resolves the
#               tag (one HEAD to the loopback registry); the signature fact of the digest it
#               names comes from the decision cache
#   cold        the same policy and review by tag on a webhook with --cache-ttl 0 (verdicts
#               not cached): every request resolves the tag and looks up and verifies the
#               signature against a loopback `vigil registry serve` (cosign legacy layout,
#               ECDSA P-256)
# Each: wrk -t2 -c16 over TLS with a realistic Pod AdmissionReview (3 containers, labels,
# the apiserver's defaulted fields), DURATION seconds: requests/s, latency p50/p99, errors and
# non-2xx, peak RSS of the server under load, CPU time per request of the server and of wrk
# (with the load average: on a shared machine req/s moves with other work, CPU per request much
# less), the TLS version and cipher each server negotiates; then ratios to nginx and to "bare",
# beside the issue's targets (cached p99 <= 5 ms at >= 3000 req/s and >= 0.5x nginx; cold
# p99 <= 50 ms; RSS under load <= 48 MB).
#
# Not part of .ci/run. Needs wrk, nginx, openssl, skopeo, curl, python3, /usr/bin/time. Every
# process it starts listens on 127.0.0.1 only and is stopped on exit.
#
# Environment: VIGIL (a vigil binary; default $BUILD/src/cli/vigil), BUILD (meson build dir,
# default build-bench-admit, configured as a release build when missing and VIGIL is unset),
# WORK (scratch dir, default a new temp dir), DURATION (seconds per wrk run, default 10).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench-admit}
WORK=${WORK:-$(mktemp -d /tmp/vigil-bench-admit.XXXXXX)}
DURATION=${DURATION:-10}
CONNS=16
mkdir -p "$WORK"
chmod 755 "$WORK"
RES=$WORK/results.txt
: >"$RES"
PIDS=()
export VIGIL_PASSWORD=bench COSIGN_PASSWORD=bench

log() { printf '== %s\n' "$*" >&2; }
put() { printf '%s %s %s\n' "$1" "$2" "$3" >>"$RES"; }

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

for t in wrk nginx openssl skopeo curl python3 /usr/bin/time; do
    command -v "$t" >/dev/null || { echo "bench/admit: $t is missing" >&2; exit 2; }
done
NGINX=$(command -v nginx)

if [ -z "${VIGIL:-}" ]; then
    if [ ! -d "$BUILD" ]; then
        log "configuring $BUILD (release)"
        meson setup "$BUILD" "$ROOT" -Dbuildtype=release -Dwerror=false >/dev/null
    fi
    ninja -C "$BUILD" src/cli/vigil >"${TMPDIR:-/tmp}/vigil-bench-build.log" 2>&1 || { tail -n 30 "${TMPDIR:-/tmp}/vigil-bench-build.log" >&2; exit 1; }
    VIGIL=$BUILD/src/cli/vigil
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_tree() { ps -o rss= -p "$1" --ppid "$1" | awk '{s += $1} END {print s + 0}'; }
# CPU seconds (user + system, every thread) of a process and its children so far
cpu_tree() {
    local p t=0
    for p in "$1" $(pgrep -P "$1" || true); do
        t=$(awk -v t="$t" -v hz="$(getconf CLK_TCK)" '{print t + ($14 + $15) / hz}' "/proc/$p/stat" 2>/dev/null || echo "$t")
    done
    echo "$t"
}
tls_of() { # PORT -> "TLSv1.3 TLS_AES_256_GCM_SHA384", what openssl s_client negotiates
    echo | openssl s_client -connect "127.0.0.1:$1" 2>/dev/null |
        awk '/^New, / {gsub(",", "", $2); print $2, $NF; exit}'
}
wait_up() { # URL [curl args]
    local i u=$1
    shift
    for i in $(seq 1 200); do
        curl -s -o /dev/null "$@" "$u" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "bench/admit: nothing answers at $u" >&2
    exit 3
}

# ------------------------------------------------------------------ TLS, registry, image
log "certificate, registry, signed image in $WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
RPORT=$(free_port)
"$VIGIL" registry serve --addr "127.0.0.1:$RPORT" --root "$WORK/registry" \
    --access-log "$WORK/registry.access" \
    >"$WORK/registry.log" 2>&1 &
PIDS+=($!)
wait_up "http://127.0.0.1:$RPORT/v2/"
REG=127.0.0.1:$RPORT
python3 "$ROOT/scripts/sample-image.py" "$WORK/layout" >/dev/null
skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$WORK/layout:demo" \
    "docker://$REG/shop/app:1.4"
(cd "$WORK" && "$VIGIL" generate-key-pair >/dev/null 2>&1)
"$VIGIL" sign --key "$WORK/cosign.key" --insecure "$REG/shop/app:1.4" >/dev/null
DIGEST=$(skopeo inspect --tls-verify=false "docker://$REG/shop/app:1.4" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')

cat >"$WORK/bare.yaml" <<EOF
apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {name: prod}
spec:
  trustedImages: ["$REG/**"]
  tags: {forbid: [latest]}
EOF
cat >"$WORK/signed.yaml" <<EOF
apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {name: prod}
spec:
  trustedImages: ["$REG/**"]
  tags: {forbid: [latest]}
  signatures:
    - images: ["$REG/**"]
      keys: [{file: $WORK/cosign.pub}]
EOF

# A Pod as the apiserver sends it after defaulting: three containers (one init), all the same
# image so one signature is verified per request.
review() { # IMAGE
    python3 - "$1" <<'EOF'
import json, sys
img = sys.argv[1]
def ctr(name):
    return {"name": name, "image": img, "imagePullPolicy": "IfNotPresent",
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "env": [{"name": "MODE", "value": "prod"}],
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "volumeMounts": [{"name": "kube-api-access-x", "readOnly": True,
                              "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}
pod = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"generateName": "shop-7d9c6b5f4-", "namespace": "shop",
                    "labels": {"app": "shop", "pod-template-hash": "7d9c6b5f4", "tier": "prod"},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                         "name": "shop-7d9c6b5f4", "uid": "0d1e2f",
                                         "controller": True, "blockOwnerDeletion": True}]},
       "spec": {"initContainers": [ctr("migrate")], "containers": [ctr("app"), ctr("sidecar")],
                "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                "serviceAccountName": "default", "schedulerName": "default-scheduler",
                "securityContext": {}, "terminationGracePeriodSeconds": 30,
                "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                 "effect": "NoExecute", "tolerationSeconds": 300}],
                "volumes": [{"name": "kube-api-access-x", "projected": {"sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}]}}
print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                  "request": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
                              "kind": {"group": "", "version": "v1", "kind": "Pod"},
                              "resource": {"group": "", "version": "v1", "resource": "pods"},
                              "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
                              "namespace": "shop", "operation": "CREATE",
                              "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller",
                                           "groups": ["system:serviceaccounts", "system:authenticated"]},
                              "object": pod, "oldObject": None, "dryRun": False,
                              "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}}}))
EOF
}
review "$REG/shop/app:1.4@$DIGEST" >"$WORK/review-pinned.json"
review "$REG/shop/app:1.4" >"$WORK/review-tag.json"
echo "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"705ab4f5-6393-11e8-b7cc-42010a800002\",\"allowed\":true}}" >"$WORK/answer.json"

lua() { # BODYFILE [PACE_MS] -> lua script path (PACE_MS: each connection waits that long
    #       after an answer before its next request: a paced load instead of as fast as it goes)
    python3 - "$1" "$1.${2:-0}.lua" "${2:-0}" <<'EOF'
import json, sys
body = open(sys.argv[1]).read().strip()
pace = float(sys.argv[3])
open(sys.argv[2], "w").write(
    'wrk.method = "POST"\n'
    'wrk.headers["Content-Type"] = "application/json"\n'
    f'wrk.body = {json.dumps(body)}\n'
    + (f'function delay() return {pace} end\n' if pace else ''))
EOF
    echo "$1.${2:-0}.lua"
}

cat >"$WORK/parse_wrk.py" <<'EOF'
import re, sys
out = sys.stdin.read()
m = re.search(r"Requests/sec:\s+([\d.]+)", out)
rps = float(m.group(1)) if m else 0
def pct(p):
    m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)\b" % p, out)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)] if m else 0
err = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
err += int(non2xx.group(1)) if non2xx else 0
m = re.search(r"(\d+) requests in", out)
print(f"{rps:.1f} {pct(50):.3f} {pct(99):.3f} {err} {m.group(1) if m else 0}")
EOF

measure() { # NAME PID URL BODYFILE [PACE_MS]
    local name=$1 pid=$2 url=$3 body=$4 pace=${5:-0} sampler r c0 c1 a0 a1 n
    log "$name: wrk -t2 -c$CONNS -d${DURATION}s POST $url"
    (while kill -0 "$pid" 2>/dev/null; do rss_tree "$pid"; sleep 0.2; done) >"$WORK/rss.$name" &
    sampler=$!
    c0=$(cpu_tree "$pid")
    a0=$(wc -l <"$WORK/registry.access")
    r=$(/usr/bin/time -f '%U %S' -o "$WORK/wrk.cpu" \
        wrk -t2 -c$CONNS -d"${DURATION}s" --timeout 30s --latency -s "$(lua "$body" "$pace")" "$url" |
        tee -a "$WORK/wrk.log" | python3 "$WORK/parse_wrk.py")
    c1=$(cpu_tree "$pid")
    a1=$(wc -l <"$WORK/registry.access")
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    read -r rps p50 p99 err n <<<"$r"
    put "$name" rps "$rps"; put "$name" p50_ms "$p50"; put "$name" p99_ms "$p99"
    put "$name" errors "$err"
    put "$name" peak_rss_kb "$(sort -n "$WORK/rss.$name" | tail -n 1)"
    # CPU time per request (microseconds), the server's and wrk's: what the request rate is
    # made of when the two share the CPUs, and much less sensitive to other load than req/s
    put "$name" cpu_us "$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN {print n ? (b - a) * 1e6 / n : 0}')"
    # registry requests per review (the loopback registry's access log)
    put "$name" reg_req "$(awk -v a="$a0" -v b="$a1" -v n="$n" 'BEGIN {print n ? (b - a) / n : 0}')"
    put "$name" wrk_cpu_us "$(awk -v n="$n" '{print n ? ($1 + $2) * 1e6 / n : 0}' "$WORK/wrk.cpu")"
}

check_answer() { # URL BODYFILE WANT(true|false)
    local got
    got=$(curl -fsS --cacert "$WORK/tls.crt" -H 'Content-Type: application/json' \
        --data-binary @"$2" "$1" | python3 -c 'import json,sys; print(str(json.load(sys.stdin)["response"]["allowed"]).lower())')
    [ "$got" = "$3" ] || { echo "bench/admit: $1 answered allowed=$got, expected $3" >&2; exit 3; }
}

# ------------------------------------------------------------------ nginx
NPORT=$(free_port)
mkdir -p "$WORK/nginx/tmp"
# Fair to nginx: as many workers as vigil's httpd has threads (4), and the protocol vigil and
# the apiserver's Go client negotiate (TLS 1.3; Debian's nginx otherwise stops at 1.2).
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 4;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log error;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/nginx/tmp; proxy_temp_path $WORK/nginx/tmp;
    fastcgi_temp_path $WORK/nginx/tmp; uwsgi_temp_path $WORK/nginx/tmp; scgi_temp_path $WORK/nginx/tmp;
    client_body_buffer_size 64k;
    server {
        listen 127.0.0.1:$NPORT ssl;
        ssl_certificate $WORK/tls.crt;
        ssl_certificate_key $WORK/tls.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location /validate {
            default_type application/json;
            return 200 '$(cat "$WORK/answer.json")';
        }
    }
}
EOF
"$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" >"$WORK/nginx/log" 2>&1 &
NGPID=$!
PIDS+=("$NGPID")
wait_up "https://127.0.0.1:$NPORT/validate" --cacert "$WORK/tls.crt"
echo "nginx $(tls_of "$NPORT")" >"$WORK/tls.txt"
measure nginx "$NGPID" "https://127.0.0.1:$NPORT/validate" "$WORK/review-pinned.json"
kill "$NGPID"; wait "$NGPID" 2>/dev/null || true

# ------------------------------------------------------------------ vigil admit serve
start_hook() { # NAME POLICY [args] -> $HPID $HURL
    local name=$1 pol=$2 port
    shift 2
    port=$(free_port)
    "$VIGIL" admit serve -p "$pol" --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" \
        --addr "127.0.0.1:$port" --access-log off "$@" >"$WORK/$name.log" 2>&1 &
    HPID=$!
    PIDS+=("$HPID")
    HURL=https://127.0.0.1:$port/validate
    wait_up "https://127.0.0.1:$port/healthz" --cacert "$WORK/tls.crt"
}
export VIGIL_LOG_LEVEL=warn    # no audit line per decision during the load

start_hook bare "$WORK/bare.yaml" --offline
check_answer "$HURL" "$WORK/review-pinned.json" true
HPORT=${HURL#https://127.0.0.1:}
echo "vigil $(tls_of "${HPORT%/validate}")" >>"$WORK/tls.txt"
measure bare "$HPID" "$HURL" "$WORK/review-pinned.json"
kill "$HPID"; wait "$HPID" 2>/dev/null || true

metrics() { # NAME: the webhook's cache and decision counters after its rows
    { echo "# $1"; curl -fsS --cacert "$WORK/tls.crt" "${HURL%/validate}/metrics" |
        grep -E '^vigil_admit_(cache|decisions_total\{endpoint="validate",result="(allow|deny|timeout|error)")'; } >>"$WORK/metrics.txt" || true
}
: >"$WORK/metrics.txt"
start_hook signed "$WORK/signed.yaml" --insecure --cache-ttl 1h
check_answer "$HURL" "$WORK/review-pinned.json" true    # verifies once: the cache is warm
check_answer "$HURL" "$WORK/review-tag.json" true
measure cached "$HPID" "$HURL" "$WORK/review-pinned.json"
# the same at a paced rate near the target's 3,000 req/s (16 connections, each waiting 4.8 ms
# after an answer): the latency at that rate, not at saturation
measure cached3k "$HPID" "$HURL" "$WORK/review-pinned.json" 4.8
measure tag "$HPID" "$HURL" "$WORK/review-tag.json"
metrics "cached + tag (--cache-ttl 1h)"
kill "$HPID"; wait "$HPID" 2>/dev/null || true

# cold: nothing answered from the decision cache (--cache-ttl 0); connections, the parsed key
# and the evaluation threads stay warm, as in a webhook that has been running
start_hook cold "$WORK/signed.yaml" --insecure --cache-ttl 0
check_answer "$HURL" "$WORK/review-tag.json" true
measure cold "$HPID" "$HURL" "$WORK/review-tag.json"
metrics "cold (--cache-ttl 0)"
kill "$HPID"; wait "$HPID" 2>/dev/null || true

# ------------------------------------------------------------------ report
python3 - "$RES" "$DURATION" "$CONNS" "$WORK/tls.txt" <<'EOF'
import os, sys
res, dur, conns = sys.argv[1], sys.argv[2], sys.argv[3]
r = {}
for line in open(res):
    impl, k, v = line.split()
    r.setdefault(impl, {})[k] = float(v)
def g(i, k):
    return r.get(i, {}).get(k, 0.0)
print(f"wrk -t2 -c{conns} -d{dur}s, POST /validate over TLS, Pod review of 3 containers")
print("TLS negotiated: " + "; ".join(l.strip() for l in open(sys.argv[4])))
print(f"load average {os.getloadavg()[0]:.1f} (other work on the machine moves req/s; CPU us per "
      "request much less)")
print(f"{'':8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'peak RSS MB':>12} "
      f"{'CPU us/req':>10} {'wrk us/req':>10} {'registry req/req':>16}")
for i in ("nginx", "bare", "cached", "cached3k", "tag", "cold"):
    print(f"{i:8} {g(i,'rps'):9.0f} {g(i,'p50_ms'):8.2f} {g(i,'p99_ms'):8.2f} "
          f"{g(i,'errors'):7.0f} {g(i,'peak_rss_kb')/1024:12.1f} {g(i,'cpu_us'):10.1f} "
          f"{g(i,'wrk_cpu_us'):10.1f} {g(i,'reg_req'):16.2f}")
def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a"
print()
print("ratios (req/s)")
for i in ("bare", "cached", "tag", "cold"):
    print(f"  {i:6}/nginx {ratio(g(i,'rps'), g('nginx','rps')):>6}   "
          f"{i:6}/bare {ratio(g(i,'rps'), g('bare','rps')):>6}")
print("ratios (CPU per request, server + wrk: the req/s ratio on an otherwise idle machine)")
for i in ("bare", "cached"):
    a = g('nginx', 'cpu_us') + g('nginx', 'wrk_cpu_us')
    b = g(i, 'cpu_us') + g(i, 'wrk_cpu_us')
    print(f"  nginx/{i:6} {ratio(a, b):>6}   (server alone {ratio(g('nginx','cpu_us'), g(i,'cpu_us'))})")
print("ratios (p99)")
for i in ("bare", "cached", "tag", "cold"):
    print(f"  {i:6}/nginx {ratio(g(i,'p99_ms'), g('nginx','p99_ms')):>6}   "
          f"{i:6}/bare {ratio(g(i,'p99_ms'), g('bare','p99_ms')):>6}")
print()
print("targets (#13): cached p99 <= 5 ms at >= 3000 req/s and >= 0.5x nginx; "
      "cold p99 <= 50 ms; RSS under load <= 48 MB")
ok = lambda c: "met" if c else "NOT met"
print(f"  cached p99 at {g('cached3k','rps'):.0f} req/s (paced): {g('cached3k','p99_ms'):.2f} ms: "
      f"{ok(g('cached3k','p99_ms') <= 5 and g('cached3k','rps') >= 3000)}")
print(f"  cached at saturation: p99 {g('cached','p99_ms'):.2f} ms (<= 5 ms: "
      f"{ok(g('cached','p99_ms') <= 5)}); {g('cached','rps'):.0f} req/s: "
      f"{ok(g('cached','rps') >= 3000)}; {ratio(g('cached','rps'), g('nginx','rps'))}x nginx: "
      f"{ok(g('nginx','rps') and g('cached','rps') / g('nginx','rps') >= 0.5)}")
print(f"  cold p99 {g('cold','p99_ms'):.2f} ms: {ok(g('cold','p99_ms') <= 50)}")
peak = max(g(i, 'peak_rss_kb') for i in ('bare', 'cached', 'cached3k', 'tag', 'cold')) / 1024
print(f"  peak RSS {peak:.1f} MB: {ok(peak <= 48)}")
EOF
echo "(raw wrk output: $WORK/wrk.log; webhook metrics after the run: $WORK/metrics.txt)"
