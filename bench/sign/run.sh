#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Signature verification benchmark: starts Debian's docker-registry on loopback (plain HTTP,
# filesystem storage in a temp dir), builds bench/sign/verify_bench.c against the release
# libraries, and times complete verifications of an image carrying 1, 10 and 100 legacy
# cosign signatures (resolve tag, read .sig manifest, fetch every payload, verify every
# signature and its claims; fresh connection per verification). Reports p50/p99 per
# verification and the network vs crypto+parse share. Target: p50 < 5 ms for one signature.
#
# Environment: BUILD (meson build dir, default build-bench), WORK (scratch dir, default a new
# temp dir), ROUNDS (verifications per size, default 200; 100 signatures use ROUNDS/4).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
WORK=${WORK:-$(mktemp -d /tmp/vigil-bench-sign.XXXXXX)}
ROUNDS=${ROUNDS:-200}
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

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/data
http:
  addr: 127.0.0.1:$port
  secret: vigil-bench
YML
docker-registry serve "$WORK/config.yml" >"$WORK/registry.log" 2>&1 &
reg=$!
trap 'kill $reg 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
    sleep 0.1
done

log "registry on 127.0.0.1:$port; $ROUNDS verifications per size"
"$WORK/verify_bench" "127.0.0.1:$port" "$ROUNDS"
