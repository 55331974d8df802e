# SPDX-License-Identifier: Apache-2.0
"""Crash safety of `vigil registry serve`: kill -9 at any point of a push leaves no visible
half blob, no blob file whose bytes differ from its digest, and no tag pointing at something
absent; after a restart the same push succeeds."""
from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import subprocess
import time

import pytest

from images import build_image, have_skopeo
from registry_serve import Serve, cjson, digest

MT_MAN = "application/vnd.oci.image.manifest.v1+json"


def partial_request(port, head: bytes, body_part: bytes):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(head + body_part)
    return s


def check_consistent(srv):
    """Everything the API shows is whole; every stored blob matches its name."""
    for base, _, files in os.walk(srv.root / "blobs"):
        alg = os.path.relpath(base, srv.root / "blobs").split(os.sep)[0]
        for f in files:
            data = open(os.path.join(base, f), "rb").read()
            assert hashlib.new(alg, data).hexdigest() == f, f"corrupt blob {alg}:{f}"
    repos = srv.req("GET", "/v2/_catalog").json()["repositories"]
    for repo in repos:
        r = srv.req("GET", f"/v2/{repo}/tags/list")
        assert r.status == 200, r
        for tag in r.json()["tags"]:
            m = srv.req("GET", f"/v2/{repo}/manifests/{tag}")
            assert m.status == 200, (repo, tag, m)
            assert digest(m.body) == m.header("Docker-Content-Digest")
            man = json.loads(m.body)
            for d in [man["config"], *man["layers"]]:
                b = srv.req("GET", f"/v2/{repo}/blobs/{d['digest']}")
                assert b.status == 200, (repo, tag, d)
                assert digest(b.body) == d["digest"] and len(b.body) == d["size"]


def test_kill_during_blob_and_manifest_bodies(tmp_path):
    srv = Serve(tmp_path / "root", tmp_path / "server.log").start()
    data = os.urandom(1 << 20)
    d = digest(data)
    r = srv.req("POST", "/v2/crash/app/blobs/uploads/", b"")
    loc = r.header("Location")
    # half a PATCH body, then the server dies
    s1 = partial_request(srv.port, f"PATCH {loc} HTTP/1.1\r\nHost: x\r\n"
                         f"Content-Length: {len(data)}\r\n\r\n".encode(), data[:len(data) // 2])
    # and half a single-POST, and half a manifest PUT for a tag
    s2 = partial_request(srv.port, f"POST /v2/crash/app/blobs/uploads/?digest={d} HTTP/1.1\r\n"
                         f"Host: x\r\nContent-Length: {len(data)}\r\n\r\n".encode(),
                         data[:1000])
    cfg = srv.push_blob("crash/app", b"{}")
    man = cjson({"schemaVersion": 2, "mediaType": MT_MAN,
                 "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                            "digest": cfg, "size": 2}, "layers": []})
    s3 = partial_request(srv.port, f"PUT /v2/crash/app/manifests/v1 HTTP/1.1\r\nHost: x\r\n"
                         f"Content-Type: {MT_MAN}\r\nContent-Length: {len(man)}\r\n\r\n".encode(),
                         man[:len(man) // 2])
    time.sleep(0.5)
    srv.kill()
    for s in (s1, s2, s3):
        s.close()

    srv = Serve(tmp_path / "root", tmp_path / "server.log").start()
    try:
        assert srv.req("HEAD", f"/v2/crash/app/blobs/{d}").status == 404
        st = srv.req("GET", loc)
        assert st.status == 204 and st.header("Range") == "0-0", st   # nothing was counted
        assert srv.req("GET", "/v2/crash/app/manifests/v1").status == 404
        assert srv.req("GET", "/v2/crash/app/tags/list").json()["tags"] == []
        check_consistent(srv)
        # the session resumes from its recorded offset: the half chunk was not counted
        r = srv.req("PATCH", loc, data, {"Content-Range": f"0-{len(data) - 1}"})
        assert r.status == 202, r
        r = srv.req("PUT", f"{r.header('Location')}?digest={d}", b"")
        assert r.status == 201, r
        assert srv.req("GET", f"/v2/crash/app/blobs/{d}").body == data
    finally:
        srv.kill()


@pytest.mark.skipif(not have_skopeo(), reason="skopeo is not installed")
def test_kill_during_skopeo_push_at_random_points(tmp_path):
    rnd = random.Random(12)
    layers = [{f"data/{i}.bin": rnd.randbytes(3 << 20)} for i in range(3)]
    lay, img = build_image(tmp_path / "src", "v1", layers=layers, compression="gzip")
    for attempt, delay in enumerate([0.05, 0.2, 0.4, 0.8]):
        srv = Serve(tmp_path / "root", tmp_path / "server.log").start()
        push = subprocess.Popen(
            ["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
             f"oci:{lay.path}:v1", f"docker://{srv.host}/crash/push:t{attempt}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        srv.kill()
        push.wait(timeout=120)
        srv = Serve(tmp_path / "root", tmp_path / "server.log").start()
        try:
            check_consistent(srv)
            r = srv.req("GET", f"/v2/crash/push/manifests/t{attempt}")
            if push.returncode != 0:
                assert r.status in (200, 404), r   # the manifest commit may have made it
        finally:
            srv.kill()
    srv = Serve(tmp_path / "root", tmp_path / "server.log").start()
    try:
        subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
                        f"oci:{lay.path}:v1", f"docker://{srv.host}/crash/push:final"],
                       check=True, capture_output=True, timeout=120)
        r = srv.req("GET", "/v2/crash/push/manifests/final")
        assert r.status == 200 and r.body == img.manifest_raw
        check_consistent(srv)
    finally:
        srv.kill()


def test_streamed_upload_verifies_across_a_restart(tmp_path):
    """The running hash of a session lives in memory; after a restart the closing PUT hashes
    the stored bytes instead, and a lying digest is caught either way."""
    data = os.urandom(200_000)
    srv = Serve(tmp_path / "root", tmp_path / "server.log").start()
    try:
        locs = []
        for _ in range(3):
            r = srv.req("POST", "/v2/crash/stream/blobs/uploads/", b"")
            r = srv.req("PATCH", r.header("Location"), data)    # streamed: no Content-Range
            assert r.status == 202 and r.header("Range") == f"0-{len(data) - 1}", r
            locs.append(r.header("Location"))
        r = srv.req("PUT", f"{locs[0]}?digest={digest(b'other')}", b"")
        assert r.status == 400 and r.codes() == ["DIGEST_INVALID"], r
    finally:
        srv.kill()
    srv = Serve(tmp_path / "root", tmp_path / "server.log").start()
    try:
        r = srv.req("PUT", f"{locs[1]}?digest={digest(b'other')}", b"")
        assert r.status == 400 and r.codes() == ["DIGEST_INVALID"], r
        r = srv.req("PUT", f"{locs[2]}?digest={digest(data)}", b"")
        assert r.status == 201, r
        assert srv.req("GET", f"/v2/crash/stream/blobs/{digest(data)}").body == data
        check_consistent(srv)
    finally:
        srv.kill()
