# SPDX-License-Identifier: Apache-2.0
"""Limits of `vigil registry serve` against hostile or broken clients (issue #12 "Bad input" and
"Limits"), raw HTTP on 127.0.0.1: concurrent upload sessions per user (429 TOOMANYREQUESTS, per
authenticated user and per anonymous client address), thousands of abandoned uploads (expired in
batches until none is left, the server answering meanwhile), oversized request headers, and the
start-up message that says whether the registry is open."""
from __future__ import annotations

import base64
import http.client
import os
import select
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from registry_serve import Serve, digest


def start(tmp_path, config: str, name="srv", args=()) -> Serve:
    d = tmp_path / name
    d.mkdir()
    cfg = d / "registry.yaml"
    cfg.write_text(config)
    return Serve(d / "root", d / "server.log", ["--config", str(cfg), *args]).start()


def basic(user: str, password: str) -> dict:
    tok = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {tok}"}


def htpasswd(tmp_path, *users) -> str:
    if not shutil.which("htpasswd"):
        pytest.skip("htpasswd (apache2-utils) is not installed")
    f = tmp_path / "htpasswd"
    f.write_text("".join(
        subprocess.run(["htpasswd", "-nbB", "-C", "5", u, f"{u}-pw"], check=True,
                       capture_output=True, text=True).stdout.strip() + "\n" for u in users))
    return str(f)


def test_upload_sessions_are_limited_per_anonymous_client(tmp_path):
    s = start(tmp_path, "max-uploads-per-user: 3\n")
    try:
        locs = []
        for i in range(3):
            r = s.req("POST", f"/v2/lim/r{i}/blobs/uploads/", b"")
            assert r.status == 202, r
            locs.append(r.header("Location"))
        r = s.req("POST", "/v2/lim/r9/blobs/uploads/", b"")
        assert r.status == 429 and r.codes() == ["TOOMANYREQUESTS"], r
        assert r.header("Retry-After") and "anonymous@127.0.0.1" in r.body.decode(), r
        # a single POST with the whole blob opens a session too: refused, nothing stored
        data = b"refused while full"
        r = s.req("POST", f"/v2/lim/r9/blobs/uploads/?digest={digest(data)}", data,
                  {"Content-Type": "application/octet-stream"})
        assert r.status == 429, r
        assert s.req("HEAD", f"/v2/lim/r9/blobs/{digest(data)}").status == 404
        assert len(os.listdir(s.root / "uploads")) == 3
        # cancelling one frees its place; so does completing one
        assert s.req("DELETE", locs[0]).status == 204
        r = s.req("POST", "/v2/lim/r9/blobs/uploads/", b"")
        assert r.status == 202, r
        data = b"completed"
        r = s.req("PUT", f"{locs[1]}?digest={digest(data)}", data,
                  {"Content-Type": "application/octet-stream"})
        assert r.status == 201, r
        r = s.req("POST", f"/v2/lim/r9/blobs/uploads/?digest={digest(data)}", data,
                  {"Content-Type": "application/octet-stream"})
        assert r.status == 201, r
        assert s.req("POST", "/v2/lim/r9/blobs/uploads/", b"").status == 202
        assert s.req("POST", "/v2/lim/r9/blobs/uploads/", b"").status == 429
    finally:
        s.kill()


def test_upload_sessions_are_limited_per_user(tmp_path):
    pw = htpasswd(tmp_path, "ann", "bob")
    s = start(tmp_path, f"""max-uploads-per-user: 2
auth: {{htpasswd: {pw}}}
access:
  - repos: ["team/**"]
    users: [ann, bob]
    actions: [pull, push]
""")
    try:
        ann, bob = basic("ann", "ann-pw"), basic("bob", "bob-pw")
        for _ in range(2):
            assert s.req("POST", "/v2/team/a/blobs/uploads/", b"", ann).status == 202
        r = s.req("POST", "/v2/team/b/blobs/uploads/", b"", ann)
        assert r.status == 429 and r.codes() == ["TOOMANYREQUESTS"], r
        assert "'ann'" in r.body.decode(), r
        # another user has a quota of their own
        for _ in range(2):
            assert s.req("POST", "/v2/team/a/blobs/uploads/", b"", bob).status == 202
        assert s.req("POST", "/v2/team/a/blobs/uploads/", b"", bob).status == 429
        # a refused request is not counted: still 401 without credentials, not 429
        assert s.req("POST", "/v2/team/a/blobs/uploads/", b"").status == 401
    finally:
        s.kill()


def test_thousands_of_abandoned_uploads_expire_in_batches(tmp_path):
    n = 2000
    # Opened under a long expiry (a slow build must not expire them while they are made) ...
    s = start(tmp_path, f"upload-expiry: 1h\nmax-uploads-per-user: {n + 100}\n")
    stale = set()
    try:
        c = s.conn()    # one keep-alive connection, as a misbehaving client would
        for i in range(n):
            c.request("POST", "/v2/abandon/x/blobs/uploads/", body=b"")
            r = c.getresponse()
            r.read()
            assert r.status == 202, (i, r.status)
            loc = r.getheader("Location")
            stale.add(loc.rsplit("/", 1)[1])
            if i % 500 == 0:
                c.request("PATCH", loc, body=b"partial bytes",
                          headers={"Content-Type": "application/octet-stream"})
                r = c.getresponse()
                r.read()
                assert r.status == 202
        c.close()
    finally:
        s.kill()
    assert set(os.listdir(s.root / "uploads")) == stale
    # ... then served again with a 1 s expiry, once they are older than that.
    time.sleep(2.2)
    s = Serve(s.root, tmp_path / "srv" / "server2.log",
              ["--config", str(tmp_path / "srv2.yaml")])
    (tmp_path / "srv2.yaml").write_text(f"upload-expiry: 1s\nmax-uploads-per-user: {n + 100}\n")
    s.start()
    try:
        # Each new upload sweeps one bounded batch (256) of expired sessions; a full batch lets
        # the next upload sweep again at once, so the backlog goes in n/256 uploads, however
        # fast they come.
        fresh = set()
        for _ in range(n // 256 + 2):
            r = s.req("POST", "/v2/abandon/x/blobs/uploads/", b"")
            assert r.status == 202, r
            fresh.add(r.header("Location").rsplit("/", 1)[1])
        left = set(os.listdir(s.root / "uploads"))
        assert not left & stale, f"{len(left & stale)} abandoned sessions left"
        assert left <= fresh
        assert s.req("GET", "/v2/").status == 200
    finally:
        s.kill()


def test_oversized_request_headers_are_refused(tmp_path):
    s = start(tmp_path, "{}\n")
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=30) as k:
            big = b"X-Big: " + b"a" * (200 * 1024) + b"\r\n"
            try:
                k.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                resp = k.recv(4096)
            except ConnectionResetError:
                resp = b""
        assert not resp.startswith(b"HTTP/1.1 200"), resp[:200]
        if resp:
            assert resp.split(b" ")[1] == b"431", resp[:200]
        # many headers, each small
        c = s.conn()
        hdrs = {f"X-H{i}": "v" * 100 for i in range(2000)}
        try:
            c.request("GET", "/v2/", headers=hdrs)
            status = c.getresponse().status
        except (ConnectionError, http.client.HTTPException):
            status = 0
        assert status in (0, 413, 431), status
        c.close()
        assert s.req("GET", "/v2/").status == 200, "still serving"
    finally:
        s.kill()


def test_start_says_whether_the_registry_is_open(tmp_path):
    s = start(tmp_path, "{}\n", "open")
    s.kill()
    log = (tmp_path / "open" / "server.log").read_text()
    assert "no authentication configured: the registry is open" in log, log
    pw = htpasswd(tmp_path, "ann")
    s = start(tmp_path, f"auth: {{htpasswd: {pw}}}\n", "closed")
    try:
        assert s.req("GET", "/v2/").status == 401
    finally:
        s.kill()
    log = (tmp_path / "closed" / "server.log").read_text()
    assert "registry is open" not in log and "registry authentication:" in log, log


def test_documented_full_config_starts(tmp_path):
    """docs/registry.md's "Every key at once" example, with its paths pointing at files made
    here, is accepted as it is written (every key known, every value valid)."""
    import re
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    doc = (Path(__file__).resolve().parents[2] / "docs" / "registry.md").read_text()
    blk = re.search(r"```yaml\n(.*?)```", doc[doc.index("### Every key at once"):], re.S).group(1)
    etc = tmp_path / "etc"
    (etc / "tls").mkdir(parents=True)
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)   # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", str(etc / "tls/key.pem"), "-out", str(etc / "tls/cert.pem"),
        "-days", "1", "-subj", "/CN=localhost")
    run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-out", str(etc / "token-key.pem"))
    run("openssl", "pkey", "-in", str(etc / "token-key.pem"), "-pubout", "-out",
        str(etc / "cosign.pub"))
    robot = Path(htpasswd(tmp_path, "robot-ci")).read_text().strip().split(":", 1)[1]
    htpasswd(tmp_path, "ci")
    for a, b in (("/etc/vigil/tls/", f"{etc}/tls/"), ("/etc/vigil/htpasswd", f"{tmp_path}/htpasswd"),
                 ("/etc/vigil/", f"{etc}/"), ("/var/log/vigil/", f"{tmp_path}/"),
                 ('"$2y$10$..."', f'"{robot}"'),
                 ("/var/lib/vigil/vulndb.sqlite", f"{tmp_path}/vulndb.sqlite")):
        assert a in blk, a
        blk = blk.replace(a, b)
    s = start(tmp_path, blk)
    try:
        assert s.port
    finally:
        s.kill()
    log = (tmp_path / "srv" / "server.log").read_text()
    assert "registry listening on https://" in log and "authentication: token" in log, log


def test_upload_limit_config_is_checked(tmp_path):
    from conftest import vigil_bin
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("max-uploads-per-user: 0\n")
    p = subprocess.run([vigil_bin(), "registry", "serve", "--root", str(tmp_path / "r"),
                        "--config", str(cfg)], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "max-uploads-per-user must be at least 1" in p.stderr, p.stderr
    # without the key, the default (256) applies: many sessions of one client are fine
    s = start(tmp_path, "upload-expiry: 1h\n")
    try:
        for _ in range(20):
            assert s.req("POST", "/v2/lim/d/blobs/uploads/", b"").status == 202
    finally:
        s.kill()


def test_slow_clients_do_not_block_others_and_a_cut_body_rolls_back(tmp_path):
    s = start(tmp_path, "{}\n")
    stalled = []
    try:
        # 40 connections that never finish their headers (slowloris) ...
        for i in range(40):
            k = socket.create_connection(("127.0.0.1", s.port), timeout=30)
            k.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Slow-%d: " % i)
            stalled.append(k)
        # ... and one upload whose body stops after 1000 of its 1 MiB
        r = s.req("POST", "/v2/slow/app/blobs/uploads/", b"")
        loc = r.header("Location")
        body = os.urandom(1 << 20)

        def stall():
            k = socket.create_connection(("127.0.0.1", s.port), timeout=30)
            k.sendall(f"PATCH {loc} HTTP/1.1\r\nHost: x\r\n"
                      "Content-Type: application/octet-stream\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:1000])
            return k
        k = stall()
        # meanwhile the session is busy, and everyone else is served
        deadline = time.monotonic() + 30
        kept = b""    # a probe that gets in before the server starts the stalled body is stored
        while True:   # the server may take a moment to see the body start
            r = s.req("PATCH", loc, b"x", {"Content-Type": "application/octet-stream"})
            if r.status == 416 or time.monotonic() > deadline:
                break
            assert r.status == 202, r
            kept += b"x"
            if select.select([k], [], [], 0)[0]:   # the probe won the session: stall again
                k.close()
                k = stall()
            time.sleep(0.05)
        assert r.status == 416, r
        d = s.push_blob("slow/other", b"fine")
        assert s.req("GET", f"/v2/slow/other/blobs/{d}").body == b"fine"
        # the cut body is rolled back: the session is where it was and takes the blob again
        k.close()
        deadline = time.monotonic() + 30
        while True:
            r = s.req("PATCH", loc, body, {"Content-Type": "application/octet-stream"})
            if r.status != 416 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert r.status == 202 and r.header("Range") == f"0-{len(kept + body) - 1}", r
        r = s.req("PUT", f"{r.header('Location')}?digest={digest(kept + body)}", b"")
        assert r.status == 201, r
        assert s.req("GET", f"/v2/slow/app/blobs/{digest(kept + body)}").body == kept + body
    finally:
        for k in stalled:
            k.close()
        s.kill()
