# SPDX-License-Identifier: Apache-2.0
"""`vigil inspect docker://...` against real registries on loopback: Debian's docker-registry
(plain HTTP, TLS with a self-signed certificate, htpasswd Basic auth) and a small fake registry
written here for the Bearer-token flow and blob redirects to another host. Digests are checked
against what skopeo reads from the same registry."""
import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

import images
from registry_fixtures import Registry, free_port, require_tools


def sha256(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


def inspect_json(vigil, ref, *args, env=None):
    r = vigil("inspect", "--format", "json", *args, ref, env=env)
    assert r.rc == 0, r
    return json.loads(r.out)


@pytest.fixture
def plain_registry(tmp_path):
    reg = Registry(tmp_path).start()
    yield reg
    reg.stop()


@pytest.fixture
def auth_registry(tmp_path):
    reg = Registry(tmp_path, auth=("alice", "s3cret:x"), tls=True).start()
    yield reg
    reg.stop()


def push_single(reg, tmp_path, name="team/app:v1", **kw):
    lay, img = images.build_image(tmp_path / "oci-single", tag="v1",
                                  layers=[{"etc/os-release": b"ID=debian\n"},
                                          {"app/hello.txt": b"hi\n"}], **kw)
    reg.push(f"oci:{lay.path}:v1", name)
    return img


def test_plain_http_matches_skopeo(vigil, plain_registry, tmp_path):
    img = push_single(plain_registry, tmp_path)
    ref = f"docker://{plain_registry.ref('team/app:v1')}"
    j = inspect_json(vigil, ref, "--plain-http")
    raw = plain_registry.raw("team/app:v1")
    cfg = plain_registry.raw("team/app:v1", config=True)
    assert j["manifestDigest"] == sha256(raw) == img.digest
    assert j["config"]["digest"] == sha256(cfg)
    assert [l["digest"] for l in j["layers"]] == [l["digest"] for l in json.loads(raw)["layers"]]
    assert j["transport"] == "docker"
    # A bare reference works the same.
    j2 = inspect_json(vigil, plain_registry.ref("team/app:v1"), "--plain-http")
    assert j2["manifestDigest"] == j["manifestDigest"]
    # By digest.
    j3 = inspect_json(vigil, plain_registry.ref(f"team/app@{img.digest}"), "--plain-http")
    assert j3["manifestDigest"] == img.digest


def test_docker_schema2_media_types(vigil, plain_registry, tmp_path):
    lay, _ = images.build_image(tmp_path / "oci-d", tag="v1")
    plain_registry.push(f"oci:{lay.path}:v1", "team/docker:v1", docker_format=True)
    raw = plain_registry.raw("team/docker:v1")
    assert json.loads(raw)["mediaType"] == images.MT_DOCKER_MANIFEST
    j = inspect_json(vigil, f"docker://{plain_registry.ref('team/docker:v1')}", "--plain-http")
    assert j["manifestDigest"] == sha256(raw)
    assert j["mediaType"] == images.MT_DOCKER_MANIFEST
    assert j["config"]["digest"] == sha256(plain_registry.raw("team/docker:v1", config=True))


def test_multiarch_index_with_platform(vigil, plain_registry, tmp_path):
    lay, idx, imgs = images.build_multiarch(tmp_path / "multi", tag="m")
    plain_registry.push(f"oci:{lay.path}:m", "team/multi:m", all_images=True)
    raw_index = plain_registry.raw("team/multi:m")
    assert sha256(raw_index) == idx["digest"]
    entries = {e["platform"]["architecture"]: e["digest"]
               for e in json.loads(raw_index)["manifests"]}
    for plat, arch in (("linux/arm64", "arm64"), ("linux/amd64", "amd64")):
        j = inspect_json(vigil, f"docker://{plain_registry.ref('team/multi:m')}", "--plain-http",
                         "--platform", plat)
        assert j["manifestDigest"] == entries[arch] == imgs[
            "linux/arm64/v8" if arch == "arm64" else "linux/amd64"].digest
        assert j["indexDigest"] == idx["digest"]
        assert j["platform"].startswith(plat)
    r = vigil("inspect", "--plain-http", "--platform", "linux/s390x",
              f"docker://{plain_registry.ref('team/multi:m')}")
    assert r.rc == 4, r


def test_unknown_tag_is_not_found(vigil, plain_registry, tmp_path):
    push_single(plain_registry, tmp_path)
    r = vigil("inspect", "--plain-http", f"docker://{plain_registry.ref('team/app:nope')}")
    assert r.rc == 4, r
    assert "nope" in r.err
    r = vigil("inspect", "--plain-http", f"docker://{plain_registry.ref('team/absent:v1')}")
    assert r.rc == 4, r


def test_unreachable_registry_is_network_error(vigil):
    port = free_port()
    r = vigil("inspect", "--plain-http", f"docker://127.0.0.1:{port}/x/y:1")
    assert r.rc == 7, r
    assert f"127.0.0.1:{port}" in r.err
    assert len(r.err.strip().splitlines()) == 1, r.err


def test_tls_requires_insecure_for_self_signed(vigil, auth_registry, tmp_path):
    push_single(auth_registry, tmp_path)
    ref = f"docker://{auth_registry.ref('team/app:v1')}"
    r = vigil("inspect", "--creds", "alice:s3cret:x", ref)
    assert r.rc == 7, r
    assert "certificate" in r.err


def test_htpasswd_with_creds(vigil, auth_registry, tmp_path):
    img = push_single(auth_registry, tmp_path)
    ref = f"docker://{auth_registry.ref('team/app:v1')}"
    j = inspect_json(vigil, ref, "--insecure", "--creds", "alice:s3cret:x")
    assert j["manifestDigest"] == img.digest == sha256(auth_registry.raw("team/app:v1"))


def test_htpasswd_with_docker_config(vigil, auth_registry, tmp_path):
    img = push_single(auth_registry, tmp_path)
    cfgdir = tmp_path / "dockercfg"
    cfgdir.mkdir()
    auth = base64.b64encode(b"alice:s3cret:x").decode()
    (cfgdir / "config.json").write_text(json.dumps(
        {"auths": {f"https://{auth_registry.host}": {"auth": auth}}}))
    j = inspect_json(vigil, f"docker://{auth_registry.ref('team/app:v1')}", "--insecure",
                     env={"DOCKER_CONFIG": str(cfgdir)})
    assert j["manifestDigest"] == img.digest


def test_htpasswd_without_creds_fails_clearly(vigil, auth_registry, tmp_path):
    push_single(auth_registry, tmp_path)
    empty = tmp_path / "nocfg"
    empty.mkdir()
    ref = f"docker://{auth_registry.ref('team/app:v1')}"
    r = vigil("inspect", "--insecure", ref, env={"DOCKER_CONFIG": str(empty)})
    assert r.rc == 5, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert "authentication required" in lines[0]
    assert "--creds" in lines[0]
    r = vigil("inspect", "--insecure", "--creds", "alice:wrong", ref)
    assert r.rc == 5, r
    assert "wrong" not in r.err


# ------------------------------------------------------------------ fake Bearer registry

class FakeRegistry:
    """Distribution API subset over an OCI layout: Bearer token auth, blobs redirected to a
    second server on another port (another origin)."""

    TOKEN = "tok-e2e-0123456789"

    def __init__(self, layout: Path, user=None, password=None):
        self.layout = Path(layout)
        self.user, self.password = user, password
        self.token_requests = []
        self.blob_auth_headers = []
        self.registry_requests = []
        index = json.loads((self.layout / "index.json").read_bytes())
        self.tags = {m["annotations"][images.REF_NAME]: m for m in index["manifests"]}
        self.blob_srv = ThreadingHTTPServer(("127.0.0.1", 0), self._blob_handler())
        self.reg_srv = ThreadingHTTPServer(("127.0.0.1", 0), self._reg_handler())
        for s in (self.blob_srv, self.reg_srv):
            threading.Thread(target=s.serve_forever, daemon=True).start()

    @property
    def host(self):
        return f"127.0.0.1:{self.reg_srv.server_address[1]}"

    def stop(self):
        for s in (self.blob_srv, self.reg_srv):
            s.shutdown()
            s.server_close()

    def blob(self, digest):
        p = self.layout / "blobs" / "sha256" / digest.split(":", 1)[1]
        return p.read_bytes() if p.exists() else None

    def _blob_handler(self):
        fake = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                fake.blob_auth_headers.append(self.headers.get("Authorization"))
                data = fake.blob(self.path.split("/")[-1].split("?")[0])
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")
        return H

    def _reg_handler(self):
        fake = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def reply(self, code, body=b"", headers=()):
                self.send_response(code)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def token(self, q):
                fake.token_requests.append({"scope": q.get("scope", [None])[0],
                                            "service": q.get("service", [None])[0],
                                            "auth": self.headers.get("Authorization")})
                if fake.user:
                    want = "Basic " + base64.b64encode(
                        f"{fake.user}:{fake.password}".encode()).decode()
                    if self.headers.get("Authorization") != want:
                        return self.reply(401, b'{"details":"bad creds"}')
                body = json.dumps({"token": FakeRegistry.TOKEN, "expires_in": 300}).encode()
                self.reply(200, body, [("Content-Type", "application/json")])

            def do_GET(self):
                u = urlparse(self.path)
                if u.path == "/token":
                    return self.token(parse_qs(u.query))
                fake.registry_requests.append(self.path)
                if self.headers.get("Authorization") != f"Bearer {FakeRegistry.TOKEN}":
                    chal = (f'Bearer realm="http://{fake.host}/token",service="fake.test",'
                            f'scope="repository:team/app:pull"')
                    return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                                      [("WWW-Authenticate", chal)])
                parts = u.path.split("/")
                kind, ref = parts[-2], parts[-1]
                if kind == "manifests":
                    desc = fake.tags.get(ref)
                    digest = desc["digest"] if desc else ref
                    data = fake.blob(digest) if digest.startswith("sha256:") else None
                    if data is None:
                        return self.reply(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN",'
                                               b'"message":"manifest unknown"}]}')
                    mt = json.loads(data).get("mediaType", images.MT_OCI_MANIFEST)
                    return self.reply(200, data, [("Content-Type", mt),
                                                  ("Docker-Content-Digest", sha256(data))])
                if kind == "blobs":
                    port = fake.blob_srv.server_address[1]
                    return self.reply(307, b"", [
                        ("Location", f"http://127.0.0.1:{port}/storage/{ref}?X-Sig=abc")])
                self.reply(404)

            do_HEAD = do_GET
        return H


@pytest.fixture
def fake_registry(tmp_path):
    lay, img = images.build_image(tmp_path / "fake", tag="v1")
    fr = FakeRegistry(lay.path, user="bob", password="pw")
    fr.image = img
    yield fr
    fr.stop()


def test_bearer_token_flow_and_cross_origin_redirect(vigil, fake_registry):
    ref = f"docker://{fake_registry.host}/team/app:v1"
    j = inspect_json(vigil, ref, "--plain-http", "--creds", "bob:pw")
    assert j["manifestDigest"] == fake_registry.image.digest
    assert j["config"]["digest"] == fake_registry.image.manifest["config"]["digest"]
    # One token for the session, for the pull scope, obtained with Basic credentials.
    assert len(fake_registry.token_requests) == 1, fake_registry.token_requests
    t = fake_registry.token_requests[0]
    assert t["scope"] == "repository:team/app:pull"
    assert t["service"] == "fake.test"
    assert t["auth"].startswith("Basic ")
    # Blobs were fetched from the storage origin without the registry's token.
    assert fake_registry.blob_auth_headers, "no blob was fetched through the redirect"
    assert all(h is None for h in fake_registry.blob_auth_headers)


def test_bearer_token_refused(vigil, fake_registry):
    ref = f"docker://{fake_registry.host}/team/app:v1"
    r = vigil("inspect", "--plain-http", "--creds", "bob:nope", ref)
    assert r.rc == 5, r
    assert "nope" not in r.err and FakeRegistry.TOKEN not in r.err
    r = vigil("inspect", "--plain-http", ref, env={"DOCKER_CONFIG": "/nonexistent"})
    assert r.rc == 5, r
    assert "authentication required" in r.err


def test_bearer_unknown_manifest(vigil, fake_registry):
    r = vigil("inspect", "--plain-http", "--creds", "bob:pw",
              f"docker://{fake_registry.host}/team/app:v2")
    assert r.rc == 4, r
    assert "MANIFEST_UNKNOWN" in r.err


# ------------------------------------------------------------------ client API (push, tags, referrers)

def _live_test_binary():
    from conftest import vigil_bin
    p = Path(vigil_bin()).resolve().parents[2] / "tests" / "unit" / "net" / "test_oci_registry_live"
    if not p.exists():
        pytest.skip(f"{p} is not built")
    return p


@pytest.mark.parametrize("auth", [None, ("carol", "pw")])
def test_registry_client_api_live(tmp_path, auth):
    import os
    import subprocess
    exe = _live_test_binary()
    reg = Registry(tmp_path, auth=auth).start()
    try:
        env = dict(os.environ, VG_TEST_REGISTRY=reg.host)
        if auth:
            env["VG_TEST_REGISTRY_CREDS"] = f"{auth[0]}:{auth[1]}"
        p = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "Tested: 3 | Passing: 3" in p.stderr, p.stderr
    finally:
        reg.stop()
