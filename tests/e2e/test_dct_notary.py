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
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import have, run_vigil, vigil_bin
from registry_serve import Serve

pytestmark = pytest.mark.skipif(
    not (have("notary-server") and have("notary") and have("openssl")),
    reason="Debian's notary package (notary-server, notary) or openssl is not installed")

PASS = {f"NOTARY_{r}_PASSPHRASE": "test-passphrase"
        for r in ("ROOT", "TARGETS", "SNAPSHOT", "DELEGATION")}
MT = "application/vnd.oci.image.manifest.v1+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(*args, cwd=None, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(list(map(str, args)), cwd=cwd, env=e, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, f"{args}: {p.stdout}\n{p.stderr}"
    return p.stdout


def make_certs(d: Path):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    sh("openssl", "req", "-x509", *ec, "-keyout", d / "ca.key", "-out", d / "ca.pem", "-days",
       "60", "-subj", "/CN=vigil test notary CA")
    sh("openssl", "req", *ec, "-keyout", d / "server.key", "-out", d / "server.csr", "-subj",
       "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    sh("openssl", "x509", "-req", "-in", d / "server.csr", "-CA", d / "ca.pem", "-CAkey",
       d / "ca.key", "-CAcreateserial", "-out", d / "server.pem", "-days", "60", "-extfile",
       d / "ext.cnf")


def wait_https(url: str, ca: Path, proc, timeout=20.0):
    ctx = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("notary-server exited")
        try:
            urllib.request.urlopen(url, context=ctx, timeout=2).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


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


@pytest.fixture(scope="module")
def dct(tmp_path_factory):
    d = tmp_path_factory.mktemp("dct")
    make_certs(d)
    port = free_port()
    (d / "server.json").write_text(json.dumps({
        "server": {"http_addr": f"127.0.0.1:{port}", "tls_cert_file": str(d / "server.pem"),
                   "tls_key_file": str(d / "server.key")},
        "trust_service": {"type": "local", "hostname": "", "port": "",
                          "key_algorithm": "ecdsa"},
        "logging": {"level": "error"},
        "storage": {"backend": "memory"},
    }))
    log = open(d / "notary-server.log", "wb")
    proc = subprocess.Popen(["notary-server", "-config", str(d / "server.json")], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = f"https://127.0.0.1:{port}"
    reg = None
    try:
        wait_https(server + "/_notary_server/health", d / "ca.pem", proc)
        reg = Serve(d / "registry", d / "registry.log").start()
        manifests = {}
        for tag in ("v1", "v2", "v3", "v4", "v5"):
            cfg = json.dumps({"architecture": "amd64", "os": "linux",
                              "rootfs": {"type": "layers", "diff_ids": []},
                              "config": {"Labels": {"tag": tag}}}).encode()
            cd = reg.push_blob("demo/app", cfg)
            raw = json.dumps({"schemaVersion": 2, "mediaType": MT,
                              "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                         "digest": cd, "size": len(cfg)},
                              "layers": []}).encode()
            assert reg.put_manifest("demo/app", tag, raw, MT).status == 201
            manifests[tag] = raw
            (d / f"{tag}.json").write_bytes(raw)
        gun = f"{reg.host}/demo/app"
        notary = ["notary", "-s", server, "-d", d / "notary-trust", "--tlscacert", d / "ca.pem"]
        sh(*notary, "init", gun, env=PASS)
        sh(*notary, "add", gun, "v1", d / "v1.json", env=PASS)
        sh(*notary, "add", gun, "v3", d / "v1.json", env=PASS)  # v3 signed with v1's bytes
        sh(*notary, "publish", gun, env=PASS)
        yield {"dir": d, "server": server, "port": port, "gun": gun, "reg": reg,
               "notary": notary, "manifests": manifests}
    finally:
        if reg:
            reg.kill()
        proc.kill()
        proc.wait(timeout=30)
        log.close()


def docker_config(dct, tmp_path: Path, port=None) -> Path:
    """A fresh DOCKER_CONFIG whose tls/<host>/ca.crt trusts the test CA."""
    dc = tmp_path / "docker"
    t = dc / "tls" / f"127.0.0.1:{port or dct['port']}"
    t.mkdir(parents=True, exist_ok=True)
    shutil.copy(dct["dir"] / "ca.pem", t / "ca.crt")
    return dc


def env_for(dct, dc: Path, port=None, **extra):
    e = {"DOCKER_CONFIG": str(dc),
         "DOCKER_CONTENT_TRUST_SERVER": f"https://127.0.0.1:{port or dct['port']}"}
    e.update(extra)
    return e


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
