# SPDX-License-Identifier: Apache-2.0
"""Shared Notary v1 fixtures for the Docker Content Trust e2e tests: Debian's notary-server on
127.0.0.1 with TLS (certificates made here by openssl, in-memory storage, the local signing
service, optionally token authentication), the module fixture `dct` (a vigil registry with
demo/app:v1..v5, v1 signed and v3 signed with v1's bytes by the notary CLI), and the helpers
the test files share (docker config with the test CA, environment, pushing an image)."""
from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import have
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


class NotaryServer:
    """notary-server on 127.0.0.1:<free port> with TLS from make_certs(d), in-memory storage,
    the local signing service; `auth` is notary-server's auth section (None: open)."""

    def __init__(self, d: Path, auth: dict | None = None, name="notary-server"):
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        conf = {
            "server": {"http_addr": f"127.0.0.1:{self.port}",
                       "tls_cert_file": str(d / "server.pem"),
                       "tls_key_file": str(d / "server.key")},
            "trust_service": {"type": "local", "hostname": "", "port": "",
                              "key_algorithm": "ecdsa"},
            "logging": {"level": "error"},
            "storage": {"backend": "memory"},
        }
        if auth:
            conf["auth"] = auth
        (d / f"{name}.json").write_text(json.dumps(conf))
        self.log = open(d / f"{name}.log", "wb")
        self.proc = subprocess.Popen(["notary-server", "-config", str(d / f"{name}.json")],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        try:
            wait_https(self.url + "/_notary_server/health", d / "ca.pem", self.proc)
        except Exception:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self.log.close()


def push_image(reg, repo: str, tag: str, labels: dict | None = None) -> bytes:
    """An image (config only, no layers) pushed to reg as repo:tag; returns the manifest."""
    return reg.push_config_image(repo, tag,
                                 config={"Labels": labels or {"repo": repo, "tag": tag}})


def notary_cli(server: str, d: Path, trust_dir: Path) -> list:
    """The notary CLI's argv prefix for server, trusting d's test CA."""
    return ["notary", "-s", server, "-d", trust_dir, "--tlscacert", d / "ca.pem"]


@pytest.fixture(scope="module")
def dct(tmp_path_factory):
    d = tmp_path_factory.mktemp("dct")
    make_certs(d)
    ns = NotaryServer(d)
    reg = None
    try:
        reg = Serve(d / "registry", d / "registry.log").start()
        manifests = {}
        for tag in ("v1", "v2", "v3", "v4", "v5"):
            manifests[tag] = push_image(reg, "demo/app", tag, {"tag": tag})
            (d / f"{tag}.json").write_bytes(manifests[tag])
        gun = f"{reg.host}/demo/app"
        notary = notary_cli(ns.url, d, d / "notary-trust")
        sh(*notary, "init", gun, env=PASS)
        sh(*notary, "add", gun, "v1", d / "v1.json", env=PASS)
        sh(*notary, "add", gun, "v3", d / "v1.json", env=PASS)  # v3 signed with v1's bytes
        sh(*notary, "publish", gun, env=PASS)
        yield {"dir": d, "server": ns.url, "port": ns.port, "gun": gun, "reg": reg,
               "notary": notary, "manifests": manifests}
    finally:
        if reg:
            reg.kill()
        ns.stop()


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
