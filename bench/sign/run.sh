#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Signature verification benchmark: starts Debian's docker-registry on loopback (plain HTTP,
# filesystem storage in a temp dir), builds bench/sign/verify_bench.c against the release
# libraries, and times complete verifications of an image carrying 1, 10 and 100 legacy
# cosign signatures (resolve tag, read .sig manifest, fetch every payload, verify every
# signature and its claims; fresh connection per verification). Reports p50/p99 per
# verification and the network vs crypto+parse share, next to a reference measured in the same
# run: the bare HTTP requests cosign 3's lookup order needs, made one after another with plain
# libcurl and nothing else. Target: p50 < 5 ms for one signature.
#
# It runs twice. "pinned": docker-registry on CPU 0 and the client on CPU 1 (taskset), the
# layout of a client and a registry on separate machines; Go then sizes GOMAXPROCS to the one
# CPU. "shared": both on every CPU, where on a 2-CPU machine docker-registry's idle-spinning Go
# threads compete with the client. PIN=0 runs only "shared".
#
# Environment: BUILD (meson build dir, default build-bench), WORK (scratch dir, default a new
# temp dir), ROUNDS (verifications per size, default 200; 100 signatures use ROUNDS/4), SIZES
# (signature counts, default "1 10 100").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
WORK=${WORK:-$(mktemp -d /tmp/vigil-bench-sign.XXXXXX)}
ROUNDS=${ROUNDS:-200}
PIN=${PIN:-1}
SIZES=${SIZES:-1 10 100}
mkdir -p "$WORK"

log() { printf '== %s\n' "$*" >&2; }

command -v docker-registry >/dev/null || { log "docker-registry is not installed"; exit 77; }

log "building libraries in $BUILD"
[ -d "$BUILD" ] || meson setup "$BUILD" "$ROOT" -Dbuildtype=release >/dev/null
libs=(src/sign/libvg_sign.a src/oci/libvg_oci.a src/crypto/libvg_crypto.a src/net/libvg_net.a
      src/core/libvg_core.a)
ninja -C "$BUILD" "${libs[@]}" >/dev/null
cc -O2 -std=c17 -D_GNU_SOURCE -DVG_VERSION='"bench"' -I"$ROOT/src" \
    "$ROOT/bench/sign/verify_bench.c" \
    -Wl,--start-group "${libs[@]/#/$BUILD/}" -Wl,--end-group \
    $(pkg-config --libs jansson libcrypto libcurl libsodium) -lpthread -o "$WORK/verify_bench"

cat > "$WORK/config.yml.in" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: @DATA@
http:
  addr: 127.0.0.1:@PORT@
  secret: vigil-bench
YML

reg=
trap '[ -n "$reg" ] && kill $reg 2>/dev/null || true' EXIT

# run LABEL REGISTRY_PREFIX CLIENT_PREFIX: a fresh registry, then the benchmark.
run() {
    local label=$1 rpin=$2 cpin=$3 port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    rm -rf "$WORK/data-$label"
    sed -e "s|@DATA@|$WORK/data-$label|" -e "s|@PORT@|$port|" "$WORK/config.yml.in" \
        > "$WORK/config-$label.yml"
    $rpin docker-registry serve "$WORK/config-$label.yml" >"$WORK/registry-$label.log" 2>&1 &
    reg=$!
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
        sleep 0.1
    done
    log "$label: registry on 127.0.0.1:$port${rpin:+ ($rpin)}; $ROUNDS verifications per size"
    $cpin "$WORK/verify_bench" "127.0.0.1:$port" "$ROUNDS" $SIZES | sed "s/^/$label  /"
    kill $reg 2>/dev/null || true
    wait $reg 2>/dev/null || true
    reg=
}

if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    run pinned "taskset -c 0" "taskset -c 1"
fi
run shared "" ""
