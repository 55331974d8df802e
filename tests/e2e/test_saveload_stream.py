# SPDX-License-Identifier: Apache-2.0
"""vigil save / load stream their blobs (docs/cosign-commands.md): a 96 MiB layer goes from one
of vigil's registries into an OCI layout and from the layout into a second registry while each
command's peak RSS (from /usr/bin/time -v) stays far below the blob's size, the bytes hashing to
the digest at every step. Layout files that lie (a corrupted byte, a truncated file) are refused
with one line naming the blob and the registry commits nothing (the upload session is
cancelled). A save killed with SIGKILL while a blob is half downloaded leaves no file under that
blob's digest name (and no index.json); a later save completes the layout, which cosign 2.5
loads. The interrupted save reads from a small HTTP server of this file that stalls in the
middle of the blob (the real registry serves loopback too fast to be interrupted reliably);
a source sending other bytes than its digest is refused the same way."""
import hashlib
import http.server
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import vigil_bin
from peak_rss import require_time, run_peak_rss
from registry_serve import Serve

MT = "application/vnd.oci.image.manifest.v1+json"
BIG = 96 * 1024 * 1024
RSS_MAX_KB = 64 * 1000  # < 64 MB, far below BIG: holding the blob costs >= 96 MiB
ENV = {**os.environ, "XDG_CACHE_HOME": "/tmp/vigil-test-cache"}
CACHE = Path(os.environ.get("VIGIL_TEST_CACHE", "/var/tmp/vigil-test-cache"))
COSIGN = CACHE / "trixie-tools" / "usr" / "bin" / "cosign"


def sha(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


def manifest(layer: bytes):
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
    raw = json.dumps({"schemaVersion": 2, "mediaType": MT,
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": sha(cfg), "size": len(cfg)},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                  "digest": sha(layer), "size": len(layer)}]}).encode()
    return cfg, raw


def push_image(reg, repo, layer: bytes):
    cfg, raw = manifest(layer)
    reg.push_blob(repo, layer)
    reg.push_blob(repo, cfg)
    assert reg.put_manifest(repo, "v1", raw, MT).status == 201
    return sha(raw)


def vigil(*args, timed=False):
    cmd = [vigil_bin(), *[str(a) for a in args]]
    if timed:
        return run_peak_rss(cmd, env=ENV)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=ENV), 0


@pytest.fixture
def regs(tmp_path):
    a = Serve(tmp_path / "a", tmp_path / "a.log").start()
    b = Serve(tmp_path / "b", tmp_path / "b.log").start()
    try:
        yield a, b
    finally:
        a.kill()
        b.kill()


def blob_file(layout: Path, digest: str) -> Path:
    return layout / "blobs" / "sha256" / digest.split(":")[1]


def uploads_left(reg) -> list:
    d = reg.root / "uploads"
    return sorted(os.listdir(d)) if d.exists() else []


def wait_uploads_gone(reg):
    # The aborted PUT's connection and the cancelling DELETE may finish in either order on
    # the server; give it a generous bound (no timing assertion: only an upper limit).
    deadline = time.monotonic() + 20
    while uploads_left(reg) and time.monotonic() < deadline:
        time.sleep(0.05)
    return uploads_left(reg)


def test_big_layer_saved_and_loaded_with_bounded_memory(regs, tmp_path):
    require_time()
    a, b = regs
    # Not all zeros: a compressible blob could hide buffering behind a small page footprint.
    layer = hashlib.sha256(b"seed").digest() * (BIG // 32)
    md = push_image(a, "team/big", layer)
    lay = tmp_path / "layout"
    p, rss = vigil("save", "--plain-http", "--format", "json", "--dir", lay,
                   f"{a.host}/team/big:v1", timed=True)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["digest"] == md
    print(f"save: peak RSS {rss} KiB")
    assert rss < RSS_MAX_KB, f"save: peak RSS {rss} KiB for a {BIG >> 20} MiB blob"
    f = blob_file(lay, sha(layer))
    assert f.stat().st_size == BIG and f.stat().st_mode & 0o777 == 0o644
    h = hashlib.sha256()
    with open(f, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    assert "sha256:" + h.hexdigest() == sha(layer)
    assert not [n for n in os.listdir(lay / "blobs" / "sha256") if n.startswith(".")]
    del layer
    p, rss = vigil("load", "--plain-http", "--dir", lay, f"{b.host}/mirror/big:v1", timed=True)
    assert p.returncode == 0, p.stderr
    print(f"load: peak RSS {rss} KiB")
    assert rss < RSS_MAX_KB, f"load: peak RSS {rss} KiB for a {BIG >> 20} MiB blob"
    got = b.req("GET", f"/v2/mirror/big/blobs/{'sha256:' + h.hexdigest()}")
    assert got.status == 200 and sha(got.body) == "sha256:" + h.hexdigest()
    assert b.req("GET", "/v2/mirror/big/manifests/v1", headers={"Accept": MT}).body == \
        a.req("GET", "/v2/team/big/manifests/v1", headers={"Accept": MT}).body


@pytest.fixture
def small_layout(regs, tmp_path):
    a, b = regs
    layer = os.urandom(3 * 1024 * 1024 + 17)  # several transfer chunks
    push_image(a, "team/small", layer)
    lay = tmp_path / "small"
    p, _ = vigil("save", "--plain-http", "--dir", lay, f"{a.host}/team/small:v1")
    assert p.returncode == 0, p.stderr
    return b, lay, sha(layer)


def assert_refused(b, lay, ld, repo):
    p, _ = vigil("load", "--plain-http", "--dir", lay, f"{b.host}/{repo}:v1")
    assert p.returncode == 6, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and f"layout blob {ld}" in lines[0], p.stderr
    assert b.req("HEAD", f"/v2/{repo}/blobs/{ld}").status == 404
    assert b.req("HEAD", f"/v2/{repo}/manifests/v1").status == 404
    return lines[0]


def test_corrupted_layout_blob_is_never_committed(small_layout):
    b, lay, ld = small_layout
    f = blob_file(lay, ld)
    data = bytearray(f.read_bytes())
    data[len(data) - 5] ^= 0x01  # same size, wrong digest: found only at the very end
    f.write_bytes(bytes(data))
    line = assert_refused(b, lay, ld, "mirror/corrupt")
    assert "digest mismatch" in line, line
    # The upload was started (the size matched) and then cancelled, not left to expire.
    assert wait_uploads_gone(b) == []
    log = [json.loads(x) for x in Path(str(b.log_path) + ".access").read_text().splitlines()]
    up = [e for e in log if e["path"].startswith("/v2/mirror/corrupt/blobs/uploads/")]
    puts = [e for e in up if e["method"] == "PUT" and e["bytes_in"] > 4096]
    # The layer's PUT was cut off before its last chunk, then its session deleted.
    assert len(puts) == 1 and not puts[0]["completed"], up
    assert puts[0]["bytes_in"] < 3 * 1024 * 1024 + 17, up
    assert [e["status"] for e in up if e["method"] == "DELETE"][-1:] == [204], up


def test_truncated_layout_blob_is_refused(small_layout):
    b, lay, ld = small_layout
    f = blob_file(lay, ld)
    with open(f, "r+b") as fh:
        fh.truncate(f.stat().st_size // 2)
    line = assert_refused(b, lay, ld, "mirror/short")
    assert "descriptor says" in line, line
    assert wait_uploads_gone(b) == []


# ------------------------------------------------------------------ interrupted / lying source


class StallingRegistry:
    """Serves one image (team/app:v1) read-only. The layer's GET sends its Content-Length and
    the first half of the bytes, then waits for `release` (mode "stall"), or sends bytes that
    do not hash to the digest (mode "lie")."""

    def __init__(self, layer: bytes):
        self.layer = layer
        self.cfg, self.raw = manifest(layer)
        self.mode = "stall"
        self.release = threading.Event()
        self.half_sent = threading.Event()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, status, body=b"", ctype="application/octet-stream", head=False):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if status == 200:
                    self.send_header("Docker-Content-Digest", sha(body))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def do_HEAD(self):
                self.do_GET(head=True)

            def do_GET(self, head=False):
                path = self.path.split("?")[0]
                if path == "/v2/":
                    return self.send(200, b"{}", "application/json", head)
                if path == "/v2/team/app/manifests/v1" or \
                        path == f"/v2/team/app/manifests/{sha(outer.raw)}":
                    return self.send(200, outer.raw, MT, head)
                if path == f"/v2/team/app/blobs/{sha(outer.cfg)}":
                    return self.send(200, outer.cfg, "application/json", head)
                if path == f"/v2/team/app/blobs/{sha(outer.layer)}" and not head:
                    return self.layer_get()
                return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}',
                                 "application/json", head)

            def layer_get(self):
                body = outer.layer
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                half = len(body) // 2
                if outer.mode == "lie":
                    self.wfile.write(body[:half] + bytes(len(body) - half))
                    return
                self.wfile.write(body[:half])
                self.wfile.flush()
                outer.half_sent.set()
                outer.release.wait(60)
                try:
                    self.wfile.write(body[half:])
                except OSError:
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def stalling():
    s = StallingRegistry(os.urandom(2 * 1024 * 1024))
    yield s
    s.stop()


def test_killed_save_leaves_no_partial_blob_under_its_digest(stalling, tmp_path):
    s = stalling
    lay = tmp_path / "layout"
    ld = sha(s.layer)
    proc = subprocess.Popen([vigil_bin(), "save", "--plain-http", "--dir", str(lay),
                             f"{s.host}/team/app:v1"], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        assert s.half_sent.wait(60), "vigil save never asked for the layer"
        blobs = lay / "blobs" / "sha256"
        # Kill once the half that was sent is on disk in the temporary file.
        deadline = time.monotonic() + 60
        partial = []
        while time.monotonic() < deadline:
            partial = [n for n in os.listdir(blobs) if n.startswith(".partial-")]
            if partial and (blobs / partial[0]).stat().st_size >= len(s.layer) // 2:
                break
            time.sleep(0.02)
        assert partial, os.listdir(blobs)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    names = os.listdir(blobs)
    assert ld.split(":")[1] not in names, names  # nothing under the layer's digest name
    assert not (lay / "index.json").exists()
    # Every digest-named file there is complete and right (the config finished before).
    for n in names:
        if not n.startswith("."):
            assert hashlib.sha256((blobs / n).read_bytes()).hexdigest() == n
    # A new save completes the layout; the stray temporary file is ignored by vigil and cosign.
    s.release.set()
    p, _ = vigil("save", "--plain-http", "--dir", lay, f"{s.host}/team/app:v1")
    assert p.returncode == 0, p.stderr
    assert hashlib.sha256(blob_file(lay, ld).read_bytes()).hexdigest() == ld.split(":")[1]
    b = Serve(tmp_path / "b", tmp_path / "b.log").start()
    try:
        p, _ = vigil("load", "--plain-http", "--dir", lay, f"{b.host}/mirror/app:v1")
        assert p.returncode == 0, p.stderr
        assert b.req("HEAD", f"/v2/mirror/app/blobs/{ld}").status == 200
        if COSIGN.exists():
            r = subprocess.run([str(COSIGN), "load", "--allow-insecure-registry",
                                "--allow-http-registry", "--dir", str(lay),
                                f"{b.host}/by-cosign/app:v1"], capture_output=True, text=True,
                               timeout=120)
            assert r.returncode == 0, r.stderr
            assert b.req("GET", f"/v2/by-cosign/app/blobs/{ld}").body == s.layer
    finally:
        b.kill()


def test_source_lying_about_a_blob_leaves_nothing_under_its_digest(stalling, tmp_path):
    s = stalling
    s.mode = "lie"
    lay = tmp_path / "layout"
    ld = sha(s.layer)
    p, _ = vigil("save", "--plain-http", "--dir", lay, f"{s.host}/team/app:v1")
    assert p.returncode == 6, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and ld in lines[0] and "digest mismatch" in lines[0], p.stderr
    names = os.listdir(lay / "blobs" / "sha256")
    assert ld.split(":")[1] not in names and not [n for n in names if n.startswith(".")], names
    assert not (lay / "index.json").exists()
