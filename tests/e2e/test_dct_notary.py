# SPDX-License-Identifier: Apache-2.0
"""Docker Content Trust against real Notary v1 peers: Debian's notary-server (in-memory
storage, local signing service, TLS with certificates made here by openssl) and the notary
CLI publish tags of an image held by `vigil registry serve`; vigil verifies them
(`trust inspect`, `verify --dct`, DOCKER_CONTENT_TRUST=1). Hostile cases go through a small
HTTPS server that replays real notary metadata after tampering with it, rolling it back, or
swapping in another repository's; an expired timestamp is reached with faketime (skipped when
faketime is absent)."""
from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import ssl
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest

from conftest import have, run_vigil, vigil_bin
from notary_fixtures import (PASS, dct, docker_config, env_for,  # noqa: F401
                             pytestmark, sh)


class Replay:
    """HTTPS server answering GET <prefix><file> from a dict (file -> bytes)."""

    def __init__(self, d: Path):
        self.files: dict[str, bytes] = {}
        files = self.files

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.rsplit("/_trust/tuf/", 1)[-1]
                body = files.get(name)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(d / "server.pem", d / "server.key")
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def fetch_all(dct) -> dict[str, bytes]:
    ctx = ssl.create_default_context(cafile=str(dct["dir"] / "ca.pem"))
    out = {}
    for f in ("root.json", "1.root.json", "timestamp.json", "snapshot.json", "targets.json"):
        url = f"{dct['server']}/v2/{dct['gun']}/_trust/tuf/{f}"
        try:
            out[f] = urllib.request.urlopen(url, context=ctx, timeout=10).read()
        except OSError:
            pass
    return out


def test_trust_inspect_shows_signed_tags(dct, tmp_path):
    dc = docker_config(dct, tmp_path)
    r = run_vigil("trust", "inspect", dct["gun"], env=env_for(dct, dc))
    assert r.rc == 0, r
    out = json.loads(r.out)
    assert out[0]["Name"] == dct["gun"]
    tags = {t["SignedTag"]: t for t in out[0]["SignedTags"]}
    assert tags["v1"]["Digest"] == hashlib.sha256(dct["manifests"]["v1"]).hexdigest()
    assert tags["v1"]["Signers"] == ["Repo Admin"]
    admin = {k["Name"]: k["Keys"] for k in out[0]["AdministrativeKeys"]}
    assert len(admin["Root"]) == 1 and len(admin["Repository"]) == 1
    # the root is pinned where docker keeps it
    meta = dc / "trust" / "tuf" / dct["gun"] / "metadata"
    assert (meta / "root.json").is_file() and (meta / "targets.json").is_file()


def test_verify_dct_accepts_signed_tag(dct, tmp_path):
    dc = docker_config(dct, tmp_path)
    want = "sha256:" + hashlib.sha256(dct["manifests"]["v1"]).hexdigest()
    r = run_vigil("verify", "--dct", f"{dct['gun']}:v1", env=env_for(dct, dc))
    assert r.rc == 0, r
    assert want in r.out
    r = run_vigil("verify", f"{dct['gun']}:v1",
                  env=env_for(dct, dc, DOCKER_CONTENT_TRUST="1"))
    assert r.rc == 0, r


def test_verify_dct_refuses_unsigned_tag_and_mismatching_manifest(dct, tmp_path):
    dc = docker_config(dct, tmp_path)
    r = run_vigil("verify", "--dct", f"{dct['gun']}:v2", env=env_for(dct, dc))
    assert r.rc == 1, r
    assert "no trust data" in r.err
    # v3 is signed, but with other bytes than the registry serves for v3
    r = run_vigil("verify", "--dct", f"{dct['gun']}:v3", env=env_for(dct, dc))
    assert r.rc == 1, r
    assert "not the one signed" in r.err


def test_tampered_metadata_refused(dct, tmp_path):
    files = fetch_all(dct)
    rp = Replay(dct["dir"])
    try:
        dc = docker_config(dct, tmp_path, rp.port)
        env = env_for(dct, dc, rp.port)
        rp.files.update(files)
        r = run_vigil("verify", "--dct", f"{dct['gun']}:v1", env=env)
        assert r.rc == 0, r
        t = json.loads(files["targets.json"])
        t["signed"]["targets"]["v1"]["length"] += 1
        rp.files["targets.json"] = json.dumps(t).encode()
        shutil.rmtree(dc / "trust")
        r = run_vigil("verify", "--dct", f"{dct['gun']}:v1", env=env)
        assert r.rc == 1, r
        assert "targets" in r.err and ("mismatch" in r.err or "trusted metadata says" in r.err)
        # a signature that does not verify, on a file snapshot does not pin by hash
        ts = json.loads(files["timestamp.json"])
        ts["signed"]["version"] += 1
        rp.files.update(files)
        rp.files["timestamp.json"] = json.dumps(ts).encode()
        r = run_vigil("verify", "--dct", f"{dct['gun']}:v1", env=env)
        assert r.rc == 1, r
        assert "required signatures" in r.err
    finally:
        rp.close()


def test_rolled_back_and_swapped_metadata_refused(dct, tmp_path):
    old = fetch_all(dct)
    rp = Replay(dct["dir"])
    try:
        dc = docker_config(dct, tmp_path, rp.port)
        env = env_for(dct, dc, rp.port)
        # a newer publication, seen once: the cache now holds it
        sh(*dct["notary"], "add", dct["gun"], "v4", dct["dir"] / "v4.json", env=PASS)
        sh(*dct["notary"], "publish", dct["gun"], env=PASS)
        rp.files.update(fetch_all(dct))
        r = run_vigil("verify", "--dct", f"{dct['gun']}:v4", env=env)
        assert r.rc == 0, r
        # replaying the older (validly signed) metadata is a rollback
        rp.files.clear()
        rp.files.update(old)
        r = run_vigil("verify", "--dct", f"{dct['gun']}:v1", env=env)
        assert r.rc == 1, r
        assert "rollback" in r.err
        # another repository's metadata under this GUN: a swapped root
        other = dct["gun"].replace("/app", "/other")
        sh(*dct["notary"], "init", other, env=PASS)
        sh(*dct["notary"], "publish", other, env=PASS)
        ctx = ssl.create_default_context(cafile=str(dct["dir"] / "ca.pem"))
        rp.files.clear()
        for f in ("root.json", "timestamp.json", "snapshot.json", "targets.json"):
            url = f"{dct['server']}/v2/{other}/_trust/tuf/{f}"
            rp.files[f] = urllib.request.urlopen(url, context=ctx, timeout=10).read()
        r = run_vigil("verify", "--dct", f"{dct['gun']}:v1", env=env)
        assert r.rc == 1, r
        assert "timestamp: 0 of 1 required signatures" in r.err
        # ... also when offered as the next root version
        rp.files["2.root.json"] = rp.files["root.json"]
        r = run_vigil("verify", "--dct", f"{dct['gun']}:v1", env=env)
        assert r.rc == 1, r
        assert "2.root.json" in r.err
    finally:
        rp.close()


@pytest.mark.skipif(not have("faketime"), reason="faketime is not installed")
def test_expired_timestamp_refused(dct, tmp_path):
    dc = docker_config(dct, tmp_path)
    e = dict(os.environ)
    e.update(env_for(dct, dc))
    e.setdefault("XDG_CACHE_HOME", "/tmp/vigil-test-cache")
    # ASan builds: the faketime preload comes before the ASan runtime
    e["ASAN_OPTIONS"] = (e.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
    # notary-server's timestamps live 14 days; the test certificates 60
    p = subprocess.run(["faketime", "-f", "+20d", vigil_bin(), "verify", "--dct",
                        f"{dct['gun']}:v1"], env=e, capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "timestamp metadata expired" in p.stderr


def test_delegated_signer(dct, tmp_path):
    """docker trust signer add's shape: targets/releases and targets/<signer> delegations to
    an x509 key; the tag is signed in both and found through targets/releases."""
    d = dct["dir"]
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", d / "alice.key", "-out", d / "alice.crt", "-days", "30", "-subj",
       "/CN=alice")
    n, gun = dct["notary"], dct["gun"]
    for role in ("targets/releases", "targets/alice"):
        sh(*n, "delegation", "add", gun, role, d / "alice.crt", "--all-paths", env=PASS)
    sh(*n, "key", "import", d / "alice.key", "--role", "alice", env=PASS)
    sh(*n, "publish", gun, env=PASS)
    sh(*n, "add", gun, "v5", d / "v5.json", "--roles", "targets/releases", "--roles",
       "targets/alice", env=PASS)
    sh(*n, "publish", gun, env=PASS)
    dc = docker_config(dct, tmp_path)
    r = run_vigil("trust", "inspect", gun, env=env_for(dct, dc))
    assert r.rc == 0, r
    out = json.loads(r.out)[0]
    tags = {t["SignedTag"]: t for t in out["SignedTags"]}
    assert tags["v5"]["Signers"] == ["Repo Admin", "alice"]
    assert tags["v5"]["Digest"] == hashlib.sha256(dct["manifests"]["v5"]).hexdigest()
    assert [s["Name"] for s in out["Signers"]] == ["alice"]
    r = run_vigil("verify", "--dct", f"{gun}:v5", env=env_for(dct, dc))
    assert r.rc == 0, r
    assert (dc / "trust" / "tuf" / gun / "metadata" / "targets" / "releases.json").is_file()


def test_first_use_root_of_another_repository_refused(dct, tmp_path):
    """Trust on first use still requires the root certificate to name this GUN (notary's
    rule): another repository's (validly signed) metadata served for it is refused."""
    n, gun = dct["notary"], dct["gun"]
    other = gun.replace("/app", "/impostor")
    sh(*n, "init", other, env=PASS)
    sh(*n, "add", other, "v1", dct["dir"] / "v1.json", env=PASS)
    sh(*n, "publish", other, env=PASS)
    ctx = ssl.create_default_context(cafile=str(dct["dir"] / "ca.pem"))
    rp = Replay(dct["dir"])
    try:
        for f in ("root.json", "timestamp.json", "snapshot.json", "targets.json"):
            url = f"{dct['server']}/v2/{other}/_trust/tuf/{f}"
            rp.files[f] = urllib.request.urlopen(url, context=ctx, timeout=10).read()
        dc = docker_config(dct, tmp_path, rp.port)
        r = run_vigil("verify", "--dct", f"{gun}:v1", env=env_for(dct, dc, rp.port))
        assert r.rc == 1, r
        assert "root certificates: 0 of 1 required are valid for " + gun in r.err
    finally:
        rp.close()
