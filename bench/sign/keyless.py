#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Keyless bundle verification per signature beside cosign-key verification, CPU only (no
network: files on disk, a private Sigstore's trusted root).

Setup (not timed): a private Sigstore (tests/e2e/sigstore_fixtures.py) behind the loopback
Fulcio/Rekor simulator (tests/e2e/sigstore_server.py); `vigil sign-blob` signs a 1 KiB blob
keylessly (v0.3 bundle: Fulcio certificate with SCT, hashedrekord entry with SET, inclusion
proof and signed checkpoint) and with a cosign key (`generate-key-pair`, v0.3 bundle with a key
hint, no log). Timed, interleaved, ROUNDS times each: one `vigil verify-blob` process per
signature:
  keyless: --bundle B --trusted-root ROOT --certificate-identity ID --certificate-oidc-issuer ISS
           (chain at the log time, SCT, SET, inclusion proof, checkpoint, identity)
  key:     --key cosign.pub --bundle B (signature and digest)
and, when cosign 2.5 is unpacked, the same two with cosign verify-blob (COSIGN_ROUNDS each).
Reports wall p50/p90 and the child's CPU (user+sys) per verification, and keyless/key ratios
measured in the same run. Environment: VIGIL_BIN, ROUNDS (default 200), COSIGN_ROUNDS (20)."""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from sigstore_fixtures import Sigstore  # noqa: E402
from sigstore_server import SigstoreServer, jwt  # noqa: E402

VIGIL = os.environ.get("VIGIL_BIN", str(ROOT / "build" / "src" / "cli" / "vigil"))
COSIGN = Path("/var/tmp/vigil-test-cache/trixie-tools/usr/bin/cosign")
ROUNDS = int(os.environ.get("ROUNDS", "200"))
COSIGN_ROUNDS = int(os.environ.get("COSIGN_ROUNDS", "20"))
ID, ISS = "bench@example.com", "https://issuer.example.com"


def run(argv, env=None):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, env=env)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, argv))}\n{p.stderr.decode()}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu


def stats(samples):
    walls = sorted(w for w, _ in samples)
    cpus = [c for _, c in samples]
    q = statistics.quantiles(walls, n=10) if len(walls) >= 10 else [walls[-1]] * 9
    return {"p50": statistics.median(walls) * 1e3, "p90": q[8] * 1e3,
            "cpu": statistics.mean(cpus) * 1e3}


def main():
    d = Path(tempfile.mkdtemp(prefix="vigil-bench-keyless."))
    s = Sigstore("bench")
    root = s.write_root(d / "trusted_root.json")
    blob = d / "blob.bin"
    blob.write_bytes(os.urandom(1024))
    srv = SigstoreServer(s)
    env = dict(os.environ, VIGIL_CACHE_DIR=str(d / "cache"), COSIGN_PASSWORD="",
               VIGIL_PASSWORD="")
    try:
        subprocess.run([VIGIL, "sign-blob", "--fulcio-url", srv.url, "--rekor-url", srv.url,
                        "--identity-token", jwt({"iss": ISS, "sub": "1", "email": ID}),
                        "--trusted-root", root, "--bundle", d / "keyless.json", blob],
                       check=True, capture_output=True, env=env)
    finally:
        srv.close()
    subprocess.run([VIGIL, "generate-key-pair", "--output-key-prefix", d / "cosign"],
                   check=True, capture_output=True, env=env, cwd=d)
    subprocess.run([VIGIL, "sign-blob", "--key", d / "cosign.key", "--bundle", d / "key.json",
                    blob], check=True, capture_output=True, env=env)
    cases = {
        "vigil keyless": [VIGIL, "verify-blob", "--bundle", d / "keyless.json", "--trusted-root",
                          root, "--certificate-identity", ID, "--certificate-oidc-issuer", ISS,
                          blob],
        "vigil key": [VIGIL, "verify-blob", "--key", d / "cosign.pub", "--bundle",
                      d / "key.json", blob],
    }
    rounds = {"vigil keyless": ROUNDS, "vigil key": ROUNDS}
    if COSIGN.exists():
        cases["cosign keyless"] = [COSIGN, "verify-blob", "--new-bundle-format", "--bundle",
                                   d / "keyless.json", "--trusted-root", root,
                                   "--certificate-identity", ID, "--certificate-oidc-issuer",
                                   ISS, blob]
        cases["cosign key"] = [COSIGN, "verify-blob", "--new-bundle-format", "--key",
                               d / "cosign.pub", "--bundle", d / "key.json", "--trusted-root",
                               root, "--insecure-ignore-tlog", blob]
        rounds["cosign keyless"] = rounds["cosign key"] = COSIGN_ROUNDS
    samples = {k: [] for k in cases}
    for name, argv in cases.items():  # warm-up
        run([str(a) for a in argv], env)
    for i in range(max(rounds.values())):
        for name, argv in cases.items():
            if i < rounds[name]:
                samples[name].append(run([str(a) for a in argv], env))
    res = {k: stats(v) for k, v in samples.items()}
    print(f"load average at end: {os.getloadavg()}; cpus: {os.cpu_count()}")
    print(f"{'case':16} {'n':>4} {'wall p50 ms':>12} {'wall p90 ms':>12} {'cpu ms':>8}")
    for k, v in res.items():
        print(f"{k:16} {len(samples[k]):4} {v['p50']:12.2f} {v['p90']:12.2f} {v['cpu']:8.2f}")
    for tool in ("vigil", "cosign"):
        if f"{tool} keyless" in res:
            a, b = res[f"{tool} keyless"], res[f"{tool} key"]
            print(f"{tool}: keyless/key wall p50 {a['p50'] / b['p50']:.2f}x, "
                  f"cpu {a['cpu'] / b['cpu']:.2f}x")
    if "cosign keyless" in res:
        print(f"keyless cpu vigil/cosign: "
              f"{res['vigil keyless']['cpu'] / res['cosign keyless']['cpu']:.3f}x")


if __name__ == "__main__":
    main()
