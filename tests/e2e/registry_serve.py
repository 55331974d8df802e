# SPDX-License-Identifier: Apache-2.0
"""`vigil registry serve` for the tests/e2e/test_registry_*.py files: start on 127.0.0.1 with
port 0, read the chosen port from the "listening on" line, talk raw HTTP with http.client."""
from __future__ import annotations

import hashlib
import http.client
import json
import re
import signal
import subprocess
import time
from pathlib import Path

from conftest import vigil_bin

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"

LISTEN = re.compile(rb"registry listening on https?://[^:]+:(\d+)")


class Serve:
    def __init__(self, root: Path, log: Path, args=()):
        self.args = list(args)
        self.root = Path(root)
        self.log_path = Path(log)
        self.proc = None
        self.port = 0

    def start(self, timeout=20.0) -> "Serve":
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [vigil_bin(), "registry", "serve", "--addr", "127.0.0.1:0", "--root",
             str(self.root), "--access-log", str(self.log_path) + ".access", *self.args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log.write(line)
            m = LISTEN.search(line)
            if m:
                self.port = int(m.group(1))
                return self
        self.kill()
        raise RuntimeError(f"vigil registry serve did not start: {self.log_path.read_text()}")

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def req(self, method, path, body=None, headers=None):
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return Resp(r.status, r.getheaders(), r.read())
        finally:
            c.close()

    # ---- small client
    def push_blob(self, repo: str, data: bytes, alg="sha256") -> str:
        d = digest(data, alg)
        r = self.req("POST", f"/v2/{repo}/blobs/uploads/?digest={d}", data,
                     {"Content-Type": "application/octet-stream"})
        assert r.status == 201, r
        return d

    def put_manifest(self, repo, ref, raw: bytes, mt: str):
        return self.req("PUT", f"/v2/{repo}/manifests/{ref}", raw, {"Content-Type": mt})

    def push_config_image(self, repo: str, tag: str, **config) -> bytes:
        """An OCI image with a config and no layers pushed as repo:tag; returns the manifest.
        Keyword arguments go into the config (to tell images apart)."""
        cfg = json.dumps({"architecture": "amd64", "os": "linux", **config,
                          "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        cd = self.push_blob(repo, cfg)
        raw = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                     "digest": cd, "size": len(cfg)}, "layers": []}).encode()
        r = self.put_manifest(repo, tag, raw, OCI_MANIFEST)
        assert r.status == 201, r
        return raw


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {}
        for k, v in headers:
            self.headers.setdefault(k.lower(), []).append(v)
        self.body = body

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None

    def json(self):
        return json.loads(self.body)

    def codes(self):
        return [e["code"] for e in self.json()["errors"]]

    def __repr__(self):
        return f"<HTTP {self.status} {self.headers} {self.body[:300]!r}>"


def digest(data: bytes, alg="sha256") -> str:
    return f"{alg}:" + hashlib.new(alg, data).hexdigest()


def cjson(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
