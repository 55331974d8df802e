# SPDX-License-Identifier: Apache-2.0
"""Helpers to run Debian's `docker-registry` (Distribution 2.x) on loopback for end-to-end tests,
plain HTTP or TLS (self-signed certificate made with openssl), with or without htpasswd auth, and
to push images into it with skopeo.

    reg = Registry(tmp_path, auth=("alice", "s3cret"), tls=True).start()
    reg.push(f"oci:{layout}:v1", "team/app:v1", all_images=True)
    reg.ref("team/app:v1")        # "127.0.0.1:PORT/team/app:v1"
    reg.raw("team/app:v1")        # skopeo inspect --raw
    reg.stop()

Tests skip (via `require_tools`) when docker-registry, skopeo, openssl or htpasswd is absent.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import ssl
from pathlib import Path

import pytest


def require_tools(*tools):
    for t in tools:
        if shutil.which(t) is None:
            pytest.skip(f"{t} is not installed")


def http(url, method="GET", data=None, headers=None):
    """(status, headers, body) of one plain request; HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(d: Path) -> tuple[Path, Path]:
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class Registry:
    def __init__(self, tmp: Path, auth: tuple[str, str] | None = None, tls: bool = False):
        require_tools("docker-registry", "skopeo")
        self.dir = Path(tmp) / f"registry-{os.getpid()}-{free_port()}"
        self.dir.mkdir(parents=True)
        self.auth = auth
        self.tls = tls
        self.port = free_port()
        self.proc = None
        self.cert = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def ref(self, name: str) -> str:
        return f"{self.host}/{name}"

    def _config(self) -> str:
        lines = ["version: 0.1", "log:", "  level: error", "  accesslog:", "    disabled: true",
                 "storage:", "  filesystem:", f"    rootdirectory: {self.dir / 'data'}",
                 "  delete:", "    enabled: true",
                 "http:", f"  addr: 127.0.0.1:{self.port}", "  secret: vigil-e2e-secret"]
        if self.tls:
            cert, key = make_cert(self.dir)
            self.cert = cert
            lines += ["  tls:", f"    certificate: {cert}", f"    key: {key}"]
        if self.auth:
            require_tools("htpasswd")
            user, pw = self.auth
            out = subprocess.run(["htpasswd", "-Bbn", user, pw], check=True,
                                 capture_output=True, text=True).stdout
            (self.dir / "htpasswd").write_text(out)
            lines += ["auth:", "  htpasswd:", "    realm: vigil-e2e",
                      f"    path: {self.dir / 'htpasswd'}"]
        return "\n".join(lines) + "\n"

    def start(self) -> "Registry":
        cfg = self.dir / "config.yml"
        cfg.write_text(self._config())
        self.log = open(self.dir / "registry.log", "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve", str(cfg)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        scheme = "https" if self.tls else "http"
        ctx = ssl._create_unverified_context() if self.tls else None
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("docker-registry exited: " +
                                   (self.dir / "registry.log").read_text(errors="replace"))
            try:
                urllib.request.urlopen(f"{scheme}://{self.host}/v2/", timeout=1, context=ctx)
                return self
            except urllib.error.HTTPError:
                return self  # 401: up, and asking for credentials
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("docker-registry did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()

    def _tls_args(self, prefix: str) -> list[str]:
        args = [f"--{prefix}tls-verify=false"]
        if self.auth:
            args.append(f"--{prefix}creds={self.auth[0]}:{self.auth[1]}")
        return args

    def push(self, src: str, name: str, all_images: bool = False, docker_format=False):
        """docker_format converts to Docker schema2 (digests change); otherwise digests are
        preserved."""
        fmt = ["--format", "v2s2"] if docker_format else ["--preserve-digests"]
        args = ["skopeo", "--insecure-policy", "copy", "-q", *fmt, *self._tls_args("dest-")]
        if all_images:
            args.append("--all")
        subprocess.run([*args, src, f"docker://{self.ref(name)}"], check=True,
                       capture_output=True)

    def raw(self, name: str, config: bool = False) -> bytes:
        args = ["skopeo", "inspect", "--raw", *self._tls_args("")]
        if config:
            args.insert(2, "--config")
        return subprocess.run([*args, f"docker://{self.ref(name)}"], check=True,
                              capture_output=True).stdout
