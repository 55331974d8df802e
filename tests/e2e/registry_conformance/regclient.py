# SPDX-License-Identifier: Apache-2.0
"""A small OCI Distribution client for the conformance tests, the registry implementations
they run against, and the test content they push.

Everything here is written from the OCI distribution-spec's text (v1.1 and its `main` branch)
and the observations in shared/docs/registry.md; nothing is taken from the spec's Go suite.

    reg = DockerRegistry(tmpdir).start()        # or VigilRegistry(tmpdir, vigil_bin)
    c = Client(reg.url)
    r = c.post_upload("conf/a")                 # 202 + Location
    r = c.request("PATCH", r.location, body=b"...")
    c.push_blob("conf/a", data)                 # monolithic POST + PUT, asserts 201
    c.put_manifest("conf/a", "v1", raw, MT_OCI_MANIFEST)
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.parse
from pathlib import Path

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_OCI_EMPTY = "application/vnd.oci.empty.v1+json"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
ALL_MANIFEST_TYPES = [MT_OCI_MANIFEST, MT_OCI_INDEX, MT_DOCKER_MANIFEST, MT_DOCKER_LIST]

# The error codes the spec lists (plus legacy Docker ones clients must tolerate).
SPEC_ERROR_CODES = {
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID",
    "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
}
LEGACY_ERROR_CODES = {"TAG_INVALID", "MANIFEST_UNVERIFIED", "PAGINATION_NUMBER_INVALID",
                      "RANGE_INVALID", "UNKNOWN"}


def digest_of(data: bytes, alg: str = "sha256") -> str:
    return f"{alg}:{hashlib.new(alg, data).hexdigest()}"


def cjson(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def desc(data: bytes, media_type: str, alg: str = "sha256", **extra) -> dict:
    return {"mediaType": media_type, "digest": digest_of(data, alg), "size": len(data), **extra}


def pseudo_random(seed: str, n: int) -> bytes:
    """Deterministic incompressible bytes (so every run pushes the same digests)."""
    out = bytearray()
    block = hashlib.sha512(seed.encode()).digest()
    while len(out) < n:
        out += block
        block = hashlib.sha512(block).digest()
    return bytes(out[:n])


# ------------------------------------------------------------------ HTTP

class Resp:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def header_all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    def json(self):
        return json.loads(self.body)

    def error_codes(self) -> list[str]:
        try:
            return [e.get("code") for e in self.json().get("errors", [])]
        except (ValueError, AttributeError):
            return []

    def __repr__(self):
        return f"<HTTP {self.status} {dict(self.headers)} {self.body[:600]!r}>"


class Client:
    """One TCP connection per request (as skopeo does), no redirect following, no retries:
    every status the server gives is what the test sees."""

    def __init__(self, base_url: str, cafile: str | None = None,
                 authorization: str | None = None):
        self.auth_header = authorization  # sent on every request when set
        u = urllib.parse.urlsplit(base_url)
        self.scheme, self.netloc = u.scheme, u.netloc
        self.base = base_url.rstrip("/")
        self.ctx = ssl.create_default_context(cafile=cafile) if u.scheme == "https" else None

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.ctx is not None:
            return http.client.HTTPSConnection(self.netloc, timeout=timeout, context=self.ctx)
        return http.client.HTTPConnection(self.netloc, timeout=timeout)

    def path_of(self, url: str) -> str:
        """An opaque Location (absolute or relative) made into a request target."""
        u = urllib.parse.urlsplit(url)
        if u.scheme:
            assert u.netloc == self.netloc, f"Location points elsewhere: {url}"
        path = u.path if u.path.startswith("/") else "/v2/" + u.path
        return path + (f"?{u.query}" if u.query else "")

    @staticmethod
    def with_query(target: str, **params) -> str:
        q = urllib.parse.urlencode(params, doseq=True)
        return target + ("&" if "?" in target else "?") + q

    def request(self, method: str, target: str, body: bytes | None = None,
                headers: dict | list | None = None, timeout: float = 30) -> Resp:
        target = self.path_of(target)
        conn = self.connection(timeout)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            items = list(headers.items() if isinstance(headers, dict) else (headers or []))
            if self.auth_header:
                items.append(("Authorization", self.auth_header))
            names = set()
            for k, v in items:
                conn.putheader(k, v)
                names.add(k.lower())
            if "content-length" not in names and (body is not None or method in
                                                  ("POST", "PUT", "PATCH")):
                conn.putheader("Content-Length", str(len(body or b"")))
            conn.endheaders(body)
            r = conn.getresponse()
            data = r.read() if method != "HEAD" else b""
            return Resp(r.status, r.headers, data)
        finally:
            conn.close()

    # -- conveniences; each asserts only what it needs to be a building block

    def post_upload(self, repo: str, **params) -> Resp:
        t = f"/v2/{repo}/blobs/uploads/"
        if params:
            t = self.with_query(t, **params)
        return self.request("POST", t, body=b"")

    def push_blob(self, repo: str, data: bytes, alg: str = "sha256") -> str:
        """POST + PUT (monolithic); returns the digest."""
        d = digest_of(data, alg)
        r = self.post_upload(repo)
        assert r.status == 202 and r.location, r
        r = self.request("PUT", self.with_query(r.location, digest=d), body=data,
                         headers={"Content-Type": "application/octet-stream"})
        assert r.status == 201, r
        return d

    def put_manifest(self, repo: str, ref: str, raw: bytes, media_type: str, **params) -> Resp:
        t = f"/v2/{repo}/manifests/{ref}"
        if params:
            t = self.with_query(t, **params)
        return self.request("PUT", t, body=raw, headers={"Content-Type": media_type})

    def get_manifest(self, repo: str, ref: str, method: str = "GET",
                     accept: list[str] | None = None) -> Resp:
        acc = [("Accept", a) for a in (ALL_MANIFEST_TYPES if accept is None else accept)]
        return self.request(method, f"/v2/{repo}/manifests/{ref}", headers=acc)

    def get_blob(self, repo: str, digest: str, method: str = "GET", headers=None) -> Resp:
        return self.request(method, f"/v2/{repo}/blobs/{digest}", headers=headers)


# ------------------------------------------------------------------ implementations

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(d: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own CA)."""
    cert, key = d / "tls.crt", d / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def wait_http(url: str, proc: subprocess.Popen, log: Path, what: str, timeout: float = 30):
    u = urllib.parse.urlsplit(url)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}): " +
                               log.read_text(errors="replace")[-3000:])
        try:
            if u.scheme == "https":
                conn = http.client.HTTPSConnection(u.netloc, timeout=2,
                                                   context=ssl._create_unverified_context())
            else:
                conn = http.client.HTTPConnection(u.netloc, timeout=2)
            conn.request("GET", "/v2/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer on {url} within {timeout}s")


class Impl:
    name = "?"

    def __init__(self, tmp: Path, tls: bool = False):
        self.dir = Path(tmp)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = self.dir / "server.log"
        self.cert = self.key = None
        if tls:
            self.cert, self.key = make_cert(self.dir)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.cert else 'http'}://{self.host}"

    def ref(self, name: str) -> str:
        return f"{self.host}/{name}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> "Impl":
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        try:
            wait_http(self.url, self.proc, self.log_path, self.name)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class DockerRegistry(Impl):
    """Debian's docker-registry (CNCF Distribution 2.8.x), filesystem storage, deletes on."""
    name = "docker-registry"

    @staticmethod
    def available() -> str | None:
        return None if shutil.which("docker-registry") else "docker-registry is not installed"

    def command(self) -> list[str]:
        cfg = self.dir / "config.yml"
        cfg.write_text("\n".join([
            "version: 0.1",
            "log:", "  level: error", "  accesslog:", "    disabled: true",
            "storage:", "  filesystem:", f"    rootdirectory: {self.dir / 'data'}",
            "  delete:", "    enabled: true",
            "http:", f"  addr: {self.host}", "  secret: vigil-conformance",
            *(["  tls:", f"    certificate: {self.cert}", f"    key: {self.key}"]
              if self.cert else [])]) + "\n")
        return ["docker-registry", "serve", str(cfg)]


class VigilRegistry(Impl):
    """`vigil registry serve` with its embedded default storage, plain HTTP on loopback."""
    name = "vigil"

    def __init__(self, tmp: Path, vigil_bin: str, tls: bool = False):
        super().__init__(tmp, tls)
        self.bin = vigil_bin

    @staticmethod
    def available(vigil_bin: str) -> str | None:
        if not Path(vigil_bin).exists():
            return f"vigil binary not built: {vigil_bin}"
        p = subprocess.run([vigil_bin, "registry", "serve", "--help"], capture_output=True,
                           text=True, timeout=30)
        if p.returncode != 0 and "unknown command" in (p.stdout + p.stderr):
            return f"{vigil_bin} has no 'registry' subcommand yet (issue #12)"
        return None

    def command(self) -> list[str]:
        tls = ["--tls-cert", str(self.cert), "--tls-key", str(self.key)] if self.cert else []
        return [self.bin, "registry", "serve", "--addr", self.host,
                "--root", str(self.dir / "data"), *tls]


class VigilAuthRegistry(VigilRegistry):
    """`vigil registry serve` with htpasswd authentication on: the conformance client sends
    Basic credentials of a user granted everything (pull, push, delete, catalog) on every
    repository, so every check runs through the authorizer."""
    name = "vigil-auth"
    user, password = "conformance", "conformance-pw"

    @staticmethod
    def available(vigil_bin: str) -> str | None:
        if shutil.which("htpasswd") is None:
            return "htpasswd (apache2-utils) is not installed"
        return VigilRegistry.available(vigil_bin)

    def command(self) -> list[str]:
        line = subprocess.run(["htpasswd", "-nbB", "-C", "5", self.user, self.password],
                              check=True, capture_output=True, text=True).stdout.strip()
        (self.dir / "htpasswd").write_text(line + "\n")
        (self.dir / "registry.yaml").write_text(
            f"auth: {{htpasswd: {self.dir / 'htpasswd'}}}\n"
            f"access:\n  - {{repos: [\"**\"], users: [{self.user}], "
            "actions: [pull, push, delete, catalog]}\n")
        return super().command() + ["--config", str(self.dir / "registry.yaml")]

    @property
    def authorization(self) -> str:
        raw = f"{self.user}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


# ------------------------------------------------------------------ test content

class Content:
    """The blobs and manifests the conformance tests push: built once per session, small."""

    def __init__(self):
        self.empty = b"{}"
        self.empty_desc = desc(self.empty, MT_OCI_EMPTY)
        self.layer = pseudo_random("layer", 4096 + 17)        # odd size on purpose
        self.layer2 = pseudo_random("layer2", 3000)
        self.config = cjson({"architecture": "amd64", "os": "linux",
                             "rootfs": {"type": "layers",
                                        "diff_ids": [digest_of(self.layer)]}})
        self.config2 = cjson({"architecture": "arm64", "os": "linux",
                              "rootfs": {"type": "layers",
                                         "diff_ids": [digest_of(self.layer2)]}})
        self.manifest = cjson({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                               "config": desc(self.config, MT_OCI_CONFIG),
                               "layers": [desc(self.layer, MT_OCI_LAYER)]})
        self.manifest2 = cjson({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                                "config": desc(self.config2, MT_OCI_CONFIG),
                                "layers": [desc(self.layer2, MT_OCI_LAYER)]})
        # A blob sent in two chunks (the chunked upload tests): 3 KiB + 1 KiB + 5 bytes.
        self.chunked = pseudo_random("chunked", 4096 + 5)
        self.chunks = [self.chunked[:3072], self.chunked[3072:]]

    def image_blobs(self):
        return [self.config, self.layer]

    def push_image(self, c: Client, repo: str, ref: str = "v1", second: bool = False) -> str:
        blobs = [self.config2, self.layer2] if second else [self.config, self.layer]
        for b in blobs:
            c.push_blob(repo, b)
        raw = self.manifest2 if second else self.manifest
        r = c.put_manifest(repo, ref, raw, MT_OCI_MANIFEST)
        assert r.status == 201, r
        return digest_of(raw)

    def artifact(self, subject: dict | None, artifact_type: str, annotations: dict,
                 payload: bytes | None = None, alg: str = "sha256") -> bytes:
        """An OCI 1.1 artifact manifest: empty config, one layer (or the empty blob)."""
        layer = desc(payload, "application/octet-stream", alg) if payload is not None \
            else self.empty_desc
        m = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST, "artifactType": artifact_type,
             "config": self.empty_desc, "layers": [layer], "annotations": annotations}
        if subject is not None:
            m["subject"] = subject
        return cjson(m)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


_NAME_OK = re.compile(r"[^a-z0-9]+")


def repo_name(test_name: str, n: int) -> str:
    """A valid, unique repository name for one test (nested: two components)."""
    base = _NAME_OK.sub("-", test_name.lower().split("[")[0]).strip("-")[:60]
    return f"conf/{base}-{n}"


def env_cache() -> Path:
    return Path(os.environ.get("VIGIL_TEST_CACHE", "/var/tmp/vigil-test-cache"))
