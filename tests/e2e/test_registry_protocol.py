# SPDX-License-Identifier: Apache-2.0
"""Raw-HTTP protocol checks of `vigil registry serve` (python http.client on 127.0.0.1): byte
ranges, chunk order (416), digests that lie, names that try to leave the repository or the
storage root, oversized and dangling manifests, sha512, deletes. The wide conformance suite is
tests/e2e/registry_conformance/; these are the server's own edge cases."""
from __future__ import annotations

import os
import socket
import time

import pytest

from registry_serve import Serve, cjson, digest

MT_MAN = "application/vnd.oci.image.manifest.v1+json"
MT_CFG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    d = tmp_path_factory.mktemp("regproto")
    s = Serve(d / "root", d / "server.log").start()
    yield s
    s.kill()


def blob_files(root):
    out = []
    for base, _, files in os.walk(root / "blobs"):
        out += [os.path.join(base, f) for f in files]
    return out


def test_range_requests(srv):
    data = bytes(range(256)) * 4
    d = srv.push_blob("proto/ranges", data)
    r = srv.req("GET", f"/v2/proto/ranges/blobs/{d}", headers={"Range": "bytes=10-19"})
    assert r.status == 206, r
    assert r.body == data[10:20]
    assert r.header("Content-Range") == f"bytes 10-19/{len(data)}"
    assert r.header("Docker-Content-Digest") == d
    r = srv.req("GET", f"/v2/proto/ranges/blobs/{d}", headers={"Range": "bytes=-5"})
    assert r.status == 206 and r.body == data[-5:], r
    r = srv.req("GET", f"/v2/proto/ranges/blobs/{d}", headers={"Range": "bytes=1000-"})
    assert r.status == 206 and r.body == data[1000:], r
    r = srv.req("GET", f"/v2/proto/ranges/blobs/{d}", headers={"Range": "bytes=5000-6000"})
    assert r.status == 416, r
    assert r.header("Content-Range") == f"bytes */{len(data)}"
    assert r.codes() == ["RANGE_INVALID"]
    r = srv.req("HEAD", f"/v2/proto/ranges/blobs/{d}")
    assert r.status == 200 and r.body == b""
    assert r.header("Content-Length") == str(len(data))
    assert r.header("ETag") == f'"{d}"'


def test_chunks_out_of_order_are_416_and_status_tells_where(srv):
    data = os.urandom(3000)
    r = srv.req("POST", "/v2/proto/chunks/blobs/uploads/", b"", {"Content-Length": "0"})
    assert r.status == 202, r
    loc = r.header("Location")
    r = srv.req("PATCH", loc, data[1000:2000], {"Content-Range": "1000-1999"})
    assert r.status == 416, r
    assert r.header("Range") == "0-0"
    r = srv.req("PATCH", loc, data[:1000], {"Content-Range": "0-999"})
    assert r.status == 202 and r.header("Range") == "0-999", r
    loc = r.header("Location")
    r = srv.req("PATCH", loc, data[:1000], {"Content-Range": "0-999"})   # replay
    assert r.status == 416, r
    r = srv.req("GET", loc)
    assert r.status == 204 and r.header("Range") == "0-999", r
    # a chunk shorter than its Content-Range says is refused and not kept
    r = srv.req("PATCH", loc, data[1000:1500], {"Content-Range": "1000-1999"})
    assert r.status == 400 and r.codes() == ["SIZE_INVALID"], r
    assert srv.req("GET", loc).header("Range") == "0-999"
    r = srv.req("PUT", f"{loc}?digest={digest(data)}", data[1000:],
                {"Content-Range": "1000-2999"})
    assert r.status == 201, r
    assert srv.req("GET", f"/v2/proto/chunks/blobs/{digest(data)}").body == data


def test_digest_that_lies_is_refused_and_nothing_is_visible(srv, tmp_path):
    data = b"the real content\n"
    lie = digest(b"something else")
    before = set(blob_files(srv.root))
    r = srv.req("POST", f"/v2/proto/lies/blobs/uploads/?digest={lie}", data)
    assert r.status == 400 and r.codes() == ["DIGEST_INVALID"], r
    r = srv.req("POST", "/v2/proto/lies/blobs/uploads/", b"")
    loc = r.header("Location")
    r = srv.req("PUT", f"{loc}?digest={lie}", data)
    assert r.status == 400 and r.codes() == ["DIGEST_INVALID"], r
    for d in (lie, digest(data)):
        assert srv.req("HEAD", f"/v2/proto/lies/blobs/{d}").status == 404
    assert set(blob_files(srv.root)) == before
    assert srv.req("GET", loc).status == 404     # the session is gone too
    assert not os.listdir(srv.root / "uploads")


def test_sha512_blob(srv):
    data = os.urandom(5000)
    d = srv.push_blob("proto/sha512", data, "sha512")
    r = srv.req("GET", f"/v2/proto/sha512/blobs/{d}")
    assert r.status == 200 and r.body == data and r.header("Docker-Content-Digest") == d


@pytest.mark.parametrize("path", [
    "/v2/../../etc/passwd/tags/list",
    "/v2/proto/%2E%2E/%2E%2E/tags/list",
    "/v2/proto/%2F..%2Fx/tags/list",
    "/v2/Proto/Upper/tags/list",
    "/v2//proto/tags/list",
    "/v2/proto/./x/blobs/uploads/",
    "/v2/proto/x/blobs/uploads/..%2F..%2Fmeta.db",
    "/v2/proto/x/blobs/sha256:..%2F..%2Fmeta.db",
    "/v2/proto/x/manifests/..%2F..%2Fmeta.db",
])
def test_traversal_names_are_refused_with_json(srv, path):
    for method in ("GET", "PUT", "POST", "PATCH", "DELETE"):
        r = srv.req(method, path, b"x" if method in ("PUT", "PATCH", "POST") else None)
        assert r.status in (400, 404, 405), (method, r)
        assert r.header("Content-Type") == "application/json", (method, r)
        assert r.codes()[0] in ("NAME_INVALID", "TAG_INVALID", "DIGEST_INVALID",
                                "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "UNSUPPORTED",
                                "NAME_UNKNOWN"), (method, r)
    assert (srv.root / "meta.db").exists()


def test_raw_dot_dot_in_the_request_line(srv):
    """http.client normalises nothing, but be explicit: send the bytes ourselves."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"GET /v2/proto/../../../etc/tags/list HTTP/1.1\r\nHost: x\r\n"
              b"Connection: close\r\n\r\n")
    resp = b""
    while chunk := s.recv(65536):
        resp += chunk
    s.close()
    status = int(resp.split(b" ", 2)[1])
    assert status in (400, 404), resp
    assert b'"errors"' in resp


def image(srv, repo):
    layer = os.urandom(700)
    cfg = cjson({"architecture": "amd64", "os": "linux",
                 "rootfs": {"type": "layers", "diff_ids": [digest(layer)]}})
    srv.push_blob(repo, layer)
    srv.push_blob(repo, cfg)
    return cjson({"schemaVersion": 2, "mediaType": MT_MAN,
                  "config": {"mediaType": MT_CFG, "digest": digest(cfg), "size": len(cfg)},
                  "layers": [{"mediaType": MT_LAYER, "digest": digest(layer),
                              "size": len(layer)}]})


def test_oversize_manifest_is_413_json(srv):
    man = image(srv, "proto/big")
    big = man[:-1] + b',"annotations":{"pad":"' + b"x" * (4 * 1024 * 1024) + b'"}}'
    r = srv.put_manifest("proto/big", "v1", big, MT_MAN)
    assert r.status == 413, r
    assert r.codes() == ["MANIFEST_INVALID"]
    assert srv.req("GET", "/v2/proto/big/manifests/v1").status == 404
    # exactly at the limit is not refused for its size
    pad = 4 * 1024 * 1024 - len(man) - len(b',"annotations":{"pad":""}}') + 1
    at = man[:-1] + b',"annotations":{"pad":"' + b"x" * pad + b'"}}'
    assert len(at) == 4 * 1024 * 1024
    r = srv.put_manifest("proto/big", "v1", at, MT_MAN)
    assert r.status == 201, r


def test_manifest_with_missing_blobs_names_each(srv):
    man = {"schemaVersion": 2, "mediaType": MT_MAN,
           "config": {"mediaType": MT_CFG, "digest": digest(b"no-cfg"), "size": 6},
           "layers": [{"mediaType": MT_LAYER, "digest": digest(b"no-layer"), "size": 8}]}
    r = srv.put_manifest("proto/dangling", "v1", cjson(man), MT_MAN)
    assert r.status == 400, r
    errs = r.json()["errors"]
    assert [e["code"] for e in errs] == ["MANIFEST_BLOB_UNKNOWN"] * 2
    assert {e["detail"]["digest"] for e in errs} == {digest(b"no-cfg"), digest(b"no-layer")}
    assert srv.req("GET", "/v2/proto/dangling/tags/list").status == 404
    # an index whose child manifest is missing
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
           "manifests": [{"mediaType": MT_MAN, "digest": digest(b"no-child"), "size": 8}]}
    r = srv.put_manifest("proto/dangling", "v1", cjson(idx),
                         "application/vnd.oci.image.index.v1+json")
    assert r.status == 400 and r.codes() == ["MANIFEST_BLOB_UNKNOWN"], r


def test_blobs_are_scoped_to_their_repository(srv):
    d = srv.push_blob("proto/scope-a", b"private bytes")
    assert srv.req("HEAD", f"/v2/proto/scope-a/blobs/{d}").status == 200
    r = srv.req("GET", f"/v2/proto/scope-b/blobs/{d}")
    assert r.status == 404 and r.codes() == ["BLOB_UNKNOWN"], r
    r = srv.req("POST", f"/v2/proto/scope-b/blobs/uploads/?mount={d}&from=proto/scope-a")
    assert r.status == 201 and r.header("Location") == f"/v2/proto/scope-b/blobs/{d}", r
    assert srv.req("HEAD", f"/v2/proto/scope-b/blobs/{d}").status == 200


def test_deletes(srv):
    man = image(srv, "proto/del")
    md = digest(man)
    assert srv.put_manifest("proto/del", "a", man, MT_MAN).status == 201
    assert srv.put_manifest("proto/del", "b", man, MT_MAN).status == 201
    assert srv.req("DELETE", "/v2/proto/del/manifests/a").status == 202
    assert srv.req("GET", "/v2/proto/del/manifests/a").status == 404
    assert srv.req("GET", "/v2/proto/del/manifests/b").status == 200
    assert srv.req("DELETE", f"/v2/proto/del/manifests/{md}").status == 202
    r = srv.req("GET", "/v2/proto/del/manifests/b")
    assert r.status == 404 and r.codes() == ["MANIFEST_UNKNOWN"], r
    assert srv.req("GET", "/v2/proto/del/tags/list").json()["tags"] == []


def test_method_not_allowed_is_json_with_allow(srv):
    r = srv.req("POST", "/v2/proto/x/tags/list")
    assert r.status == 405 and r.header("Allow") == "GET, HEAD", r
    assert r.codes() == ["UNSUPPORTED"]


def test_abandoned_uploads_expire(tmp_path):
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("upload-expiry: 1s\n")
    s = Serve(tmp_path / "root", tmp_path / "server.log", ["--config", str(cfg)]).start()
    try:
        stale = []
        for _ in range(3):
            r = s.req("POST", "/v2/proto/abandoned/blobs/uploads/", b"")
            r = s.req("PATCH", r.header("Location"), b"partial")
            stale.append(r.header("Location"))
        assert len(os.listdir(s.root / "uploads")) == 3
        time.sleep(2.5)
        r = s.req("POST", "/v2/proto/abandoned/blobs/uploads/", b"")   # sweeps first
        assert r.status == 202, r
        fresh = r.header("Location")
        for loc in stale:
            assert s.req("GET", loc).status == 404
        assert s.req("GET", fresh).status == 204
        assert os.listdir(s.root / "uploads") == [fresh.rsplit("/", 1)[1]]
    finally:
        s.kill()
