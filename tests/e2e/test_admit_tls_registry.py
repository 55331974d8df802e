"""`vigil admit serve` against TLS registries (`vigil registry serve --tls-cert`) whose CA is in
the system bundle: the bundle is parsed once per evaluation thread (libcurl's CA cache in the
thread's kept multi handle), not once per new TLS connection, and connections are reused across
reviews.

The webhook runs in a private mount namespace where a temporary bundle (the system CAs + the
test CA) is bind-mounted over /etc/ssl/certs/ca-certificates.crt; the test needs root and
unshare(1) and skips otherwise. Black-box check of "parsed once": after a review against
registry A, the bundle file is rewritten WITHOUT the test CA; a review against registry B (same
CA, a new TLS connection) is still verified only if the store parsed earlier is reused (it was
denied, certificate verify failed, when every connection read the bundle again)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import vigil_bin
from registry_serve import Serve
from test_admit import Webhook
from test_admit_registry import PW, ok, registry_conns, review, run

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def openssl(*args):
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def can_unshare():
    if os.geteuid() != 0 or not shutil.which("unshare") or not SYSTEM_BUNDLE.is_file():
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not can_unshare(), reason="needs root, unshare(1) and the system CA bundle")
def test_tls_registry_ca_parsed_once_connections_reused(tmp_path, monkeypatch):
    if not shutil.which("skopeo"):
        pytest.skip("skopeo is not installed")
    d = tmp_path
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "2", "-subj", "/CN=vigil test CA", "-keyout", d / "ca.key", "-out",
            d / "ca.crt")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
            "/CN=127.0.0.1", "-keyout", d / "reg.key", "-out", d / "reg.csr")
    (d / "ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", d / "reg.csr", "-CA", d / "ca.crt", "-CAkey", d / "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", d / "ext", "-out", d / "reg.crt")
    system = SYSTEM_BUNDLE.read_bytes()
    bundle = d / "bundle.crt"
    bundle.write_bytes(system + (d / "ca.crt").read_bytes())
    tls = ["--tls-cert", str(d / "reg.crt"), "--tls-key", str(d / "reg.key")]
    regs = [Serve(d / f"root{i}", d / f"reg{i}.log", args=tls).start() for i in range(2)]
    try:
        ok(run([sys.executable, ROOT / "scripts" / "sample-image.py", d / "sample"]))
        ok(run([vigil_bin(), "generate-key-pair", "--output-key-prefix", "k"], env=PW, cwd=d))
        for r in regs:
            ok(run(["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
                    f"oci:{d / 'sample'}:demo", f"docker://{r.host}/shop/app:1"]))
            ok(run([vigil_bin(), "sign", "--key", d / "k.key", "--insecure",
                    f"{r.host}/shop/app:1"], env=PW))
        pol = "\n".join(["apiVersion: vigil.dev/v1", "kind: ImagePolicy",
                         "metadata: {name: signed}", "spec:", "  signatures:",
                         "    - images: [\"127.0.0.1:*/**\"]",
                         f"      keys: [{{file: {d / 'k.pub'}}}]", ""])
        # the webhook sees `bundle` as its system CA bundle
        wrap = d / "vigil-ns"
        wrap.write_text("#!/bin/sh\nexec unshare -m sh -c 'mount --bind \"$0\" "
                        f"{SYSTEM_BUNDLE} && exec \"$@\"' {bundle} {vigil_bin()} \"$@\"\n")
        wrap.chmod(0o755)
        monkeypatch.setenv("VIGIL_BIN", str(wrap))
        (d / "hook").mkdir()
        hook = Webhook(d / "hook", policy_text=pol, extra=("--max-cold", "1"))
        monkeypatch.undo()
        try:
            a, b = regs
            for _ in range(3):  # verified over TLS with the test CA; connections kept
                r = hook.review("/validate?timeout=20s", review(f"{a.host}/shop/app:1"))
                assert r["response"]["allowed"] is True, r
            conns = registry_conns(a.port)
            assert conns, "no TLS connection kept open to the registry"
            r = hook.review("/validate?timeout=20s", review(f"{a.host}/shop/app:1"))
            assert r["response"]["allowed"] is True, r
            assert registry_conns(a.port) & conns, "TLS connections not reused across reviews"
            # the bundle no longer trusts the test CA: a new connection (registry B) is still
            # verified, with the store parsed before
            bundle.write_bytes(system)
            r = hook.review("/validate?timeout=20s", review(f"{b.host}/shop/app:1"))
            assert r["response"]["allowed"] is True, json.dumps(r)[:2000]
        finally:
            assert hook.stop() == 0
    finally:
        for r in regs:
            r.kill()
