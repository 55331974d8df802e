#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Docker Content Trust verification against a loopback notary server, beside cosign-key
verification of the same image.

Starts Debian's notary-server on 127.0.0.1 with TLS (memory storage, local signing service;
the same configuration and certificates as tests/e2e/test_dct_notary.py, whose helpers it
imports) and `vigil registry serve`, pushes one image, signs its tag with `vigil trust sign`
(a repository initialised on the fly, one signer delegation as `trust signer add` makes) and
with `vigil sign --key` (cosign), then times whole `vigil` processes, ROUNDS each:

  dct-cold    vigil verify --dct IMAGE:TAG with an empty trust cache every time (trust on first
              use: root, timestamp, snapshot, targets, targets/releases fetched and verified,
              then the manifest from the registry)
  dct-cached  the same with the metadata cached by the previous run (timestamp fetched;
              snapshot, targets and delegations reused when the timestamp names them)
  cosign-key  vigil verify --key cosign.pub IMAGE:TAG (tag resolved, .sig manifest and payload
              fetched, signature and claims checked)

Prints p50, p90, p99 and mean wall time per verification in milliseconds, and the median CPU
time (user + sys) of the vigil process, which a loaded machine disturbs less than wall time.
Process start-up is included (it is what a user or a CI step pays). Environment: VIGIL (binary; default
build/src/cli/vigil), ROUNDS (default 50). Exits 77 when notary-server or openssl is missing.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
os.environ.setdefault("VIGIL_BIN", str(ROOT / "build" / "src" / "cli" / "vigil"))
os.environ["VIGIL_BIN"] = os.environ.get("VIGIL", os.environ["VIGIL_BIN"])

from registry_serve import Serve  # noqa: E402
from test_dct_notary import free_port, make_certs, wait_https  # noqa: E402

VIGIL = os.environ["VIGIL_BIN"]
ROUNDS = int(os.environ.get("ROUNDS", "50"))
MT = "application/vnd.oci.image.manifest.v1+json"


def run(args, env, check=True):
    p = subprocess.run([VIGIL, *map(str, args)], env=env, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=120)
    if check and p.returncode != 0:
        sys.exit(f"{args}: rc={p.returncode}\n{p.stderr}")
    return p


def cpu_ms():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1000


def timed(label, args, env, before=None):
    times, cpu = [], []
    for _ in range(ROUNDS):
        if before:
            before()
        c0 = cpu_ms()
        t0 = time.perf_counter()
        run(args, env)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append(cpu_ms() - c0)
    times.sort()
    q = statistics.quantiles(times, n=100)
    print(f"{label:<11} wall p50 {q[49]:7.1f} ms  p90 {q[89]:7.1f} ms  p99 {q[98]:7.1f} ms  "
          f"mean {statistics.fmean(times):7.1f} ms;  vigil CPU (user+sys) p50 "
          f"{statistics.median(cpu):6.1f} ms  ({ROUNDS} runs)")


def main():
    if not (shutil.which("notary-server") and shutil.which("openssl")):
        print("notary-server or openssl is not installed", file=sys.stderr)
        sys.exit(77)
    work = Path(tempfile.mkdtemp(prefix="vigil-bench-dct."))
    make_certs(work)
    port = free_port()
    (work / "server.json").write_text(json.dumps({
        "server": {"http_addr": f"127.0.0.1:{port}", "tls_cert_file": str(work / "server.pem"),
                   "tls_key_file": str(work / "server.key")},
        "trust_service": {"type": "local", "hostname": "", "port": "", "key_algorithm": "ecdsa"},
        "logging": {"level": "error"}, "storage": {"backend": "memory"}}))
    log = open(work / "notary-server.log", "wb")
    notary = subprocess.Popen(["notary-server", "-config", str(work / "server.json")],
                              stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    reg = None
    try:
        server = f"https://127.0.0.1:{port}"
        wait_https(server + "/_notary_server/health", work / "ca.pem", notary)
        reg = Serve(work / "registry", work / "registry.log").start()
        cfg = json.dumps({"architecture": "amd64", "os": "linux",
                          "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        cd = reg.push_blob("bench/app", cfg)
        raw = json.dumps({"schemaVersion": 2, "mediaType": MT,
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                     "digest": cd, "size": len(cfg)}, "layers": []}).encode()
        assert reg.put_manifest("bench/app", "v1", raw, MT).status == 201
        image = f"{reg.host}/bench/app:v1"
        dc = work / "docker"
        (dc / "tls" / f"127.0.0.1:{port}").mkdir(parents=True)
        shutil.copy(work / "ca.pem", dc / "tls" / f"127.0.0.1:{port}" / "ca.crt")
        env = dict(os.environ, DOCKER_CONFIG=str(dc), DOCKER_CONTENT_TRUST_SERVER=server,
                   DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE="bench-root",
                   DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE="bench-repo",
                   VIGIL_PASSWORD="bench", XDG_CACHE_HOME=str(work / "cache"))
        run(["trust", "key", "generate", "bench", "--dir", work], env)
        run(["trust", "signer", "add", "--key", work / "bench.pub", "bench",
             image.rsplit(":", 1)[0]], env)
        run(["trust", "sign", image], env)
        run(["generate-key-pair", "--output-key-prefix", work / "cosign"], env)
        run(["sign", "--key", work / "cosign.key", image], env)
        tuf = dc / "trust" / "tuf"
        print(f"vigil {VIGIL}; image {image}; notary {server}; {os.cpu_count()} CPUs")
        timed("dct-cold", ["verify", "--dct", image], env,
              before=lambda: shutil.rmtree(tuf, ignore_errors=True))
        run(["verify", "--dct", image], env)
        timed("dct-cached", ["verify", "--dct", image], env)
        timed("cosign-key", ["verify", "--key", work / "cosign.pub", image], env)
    finally:
        if reg:
            reg.kill()
        notary.kill()
        notary.wait(timeout=30)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
