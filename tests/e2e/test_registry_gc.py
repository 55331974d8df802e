# SPDX-License-Identifier: Apache-2.0
"""`vigil registry gc` against a running `vigil registry serve`: a blob no manifest references
is listed by --dry-run and removed by a real run once past the grace period, while an image's
manifest, config and layers stay pullable; a blob just uploaded (a push in progress: layers
come before their manifest) survives a run with the default grace period, and its manifest can
still be pushed afterwards."""
import pytest

from conftest import run_vigil
from images import Layout, MT_OCI_MANIFEST
from registry_serve import Serve


@pytest.fixture
def srv(tmp_path):
    s = Serve(tmp_path / "root", tmp_path / "serve.log").start()
    yield s
    s.kill()


def push_image(srv, lay, img, repo, tag):
    for desc in [img.manifest["config"], *img.layers]:
        srv.push_blob(repo, lay.blob_path(desc["digest"]).read_bytes())
    r = srv.put_manifest(repo, tag, img.manifest_raw, MT_OCI_MANIFEST)
    assert r.status == 201, r


def test_gc_dry_run_then_remove(srv, tmp_path):
    lay = Layout(tmp_path / "layout")
    img = lay.add_image([{"a.txt": b"a\n"}])
    push_image(srv, lay, img, "app", "1")
    orphan = srv.push_blob("app", b"nobody references me\n")

    r = run_vigil("registry", "gc", "--root", srv.root, "--dry-run", "--grace", "0s")
    assert r.rc == 0, r
    assert f"would remove {orphan}" in r.out, r
    assert "would remove 1 blob(s)" in r.out, r
    assert srv.req("HEAD", f"/v2/app/blobs/{orphan}").status == 200

    r = run_vigil("registry", "gc", "--root", srv.root, "--grace", "0s")
    assert r.rc == 0, r
    assert f"removed {orphan}" in r.out, r
    assert srv.req("HEAD", f"/v2/app/blobs/{orphan}").status == 404
    r = srv.req("GET", "/v2/app/manifests/1", headers={"Accept": MT_OCI_MANIFEST})
    assert r.status == 200 and r.body == img.manifest_raw
    for desc in [img.manifest["config"], *img.layers]:
        assert srv.req("HEAD", f"/v2/app/blobs/{desc['digest']}").status == 200


def test_gc_keeps_a_push_in_progress(srv, tmp_path):
    lay = Layout(tmp_path / "layout")
    img = lay.add_image([{"b.txt": b"b\n"}])
    # the layers are up, the manifest not yet: GC runs in between with the default grace
    for desc in [img.manifest["config"], *img.layers]:
        srv.push_blob("app", lay.blob_path(desc["digest"]).read_bytes())
    r = run_vigil("registry", "gc", "--root", srv.root)
    assert r.rc == 0, r
    assert "removed 0 blob(s)" in r.out, r
    r = srv.put_manifest("app", "2", img.manifest_raw, MT_OCI_MANIFEST)
    assert r.status == 201, r
    r = run_vigil("registry", "gc", "--root", srv.root, "--grace", "0s")
    assert r.rc == 0 and "removed 0 blob(s)" in r.out, r


def open_session(srv, repo: str, data: bytes) -> str:
    r = srv.req("POST", f"/v2/{repo}/blobs/uploads/", b"")
    assert r.status == 202, r
    loc = r.header("Location")
    sid = loc.split("?")[0].rsplit("/", 1)[1]
    r = srv.req("PATCH", f"/v2/{repo}/blobs/uploads/{sid}", data,
                {"Content-Type": "application/octet-stream"})
    assert r.status == 202, r
    return sid


def age(srv, sid: str, seconds: int, row=True, file=True):
    """Makes a session look idle for `seconds`: its row (as the server's expiry sees it) and/or
    its upload file's modification time."""
    import os
    import sqlite3
    import time
    if row:
        db = sqlite3.connect(srv.root / "meta.db", timeout=10)
        with db:
            n = db.execute("UPDATE uploads SET updated = updated - ? WHERE id = ?",
                           (seconds, sid)).rowcount
        db.close()
        assert n == 1, sid
    p = srv.root / "uploads" / sid
    if file and p.exists():
        t = time.time() - seconds
        os.utime(p, (t, t))


def test_gc_sweeps_orphan_and_expired_uploads(srv, tmp_path):
    """Upload files no session owns (a crash between the file and its row) and sessions idle
    past --upload-expiry are removed; live sessions, young orphans (a session being opened) and
    expired rows whose file is still being written are kept, with the server running."""
    import os
    import time
    day = 24 * 3600
    live = open_session(srv, "app", b"live-")
    expired = open_session(srv, "app", b"expired")
    age(srv, expired, 2 * day)
    streaming = open_session(srv, "app", b"slow")   # row old, file written just now
    age(srv, streaming, 2 * day, file=False)
    gone = open_session(srv, "app", b"no file")     # row old, file lost
    age(srv, gone, 2 * day)
    (srv.root / "uploads" / gone).unlink()
    old_orphan, young_orphan = "a" * 32, "b" * 32
    for sid in (old_orphan, young_orphan):
        (srv.root / "uploads" / sid).write_bytes(b"crash leftovers")
    t = time.time() - 3600
    os.utime(srv.root / "uploads" / old_orphan, (t, t))
    (srv.root / "uploads" / "not-ours.tmp~").write_bytes(b"x")  # not an upload id: untouched

    r = run_vigil("registry", "gc", "--root", srv.root, "--dry-run", "--grace", "30m")
    assert r.rc == 0, r
    for sid, why in ((old_orphan, "no session"), (expired, "expired session"),
                     (gone, "expired session")):
        assert f"would remove upload {sid} ({why})" in r.out, r
    assert "would remove 3 upload(s), 22 bytes" in r.out, r
    assert (srv.root / "uploads" / old_orphan).exists()

    # a grace below 60 s still keeps an orphan that young: it may be a session being opened
    r = run_vigil("registry", "gc", "--root", srv.root, "--grace", "0s")
    assert r.rc == 0, r
    assert "removed 3 upload(s)" in r.out, r
    assert young_orphan not in r.out and live not in r.out and streaming not in r.out
    left = sorted(p.name for p in (srv.root / "uploads").iterdir())
    assert left == sorted([live, streaming, young_orphan, "not-ours.tmp~"]), left
    for sid in (expired, gone):
        assert srv.req("GET", f"/v2/app/blobs/uploads/{sid}").status == 404

    # the live session goes on: the rest of its bytes, then the closing PUT
    data = b"live-rest"
    r = srv.req("PATCH", f"/v2/app/blobs/uploads/{live}", b"rest",
                {"Content-Type": "application/octet-stream"})
    assert r.status == 202, r
    from registry_serve import digest
    r = srv.req("PUT", f"/v2/app/blobs/uploads/{live}?digest={digest(data)}", b"")
    assert r.status == 201, r
    r = run_vigil("registry", "gc", "--root", srv.root, "--upload-expiry", "1h")
    assert r.rc == 0 and "removed 0 upload(s)" in r.out, r


def test_gc_reads_root_and_upload_expiry_from_the_server_config(srv, tmp_path):
    """--config FILE: gc takes root and upload-expiry from the server's YAML (flags win), so
    the expiry is not given twice; a key serve would refuse fails gc too."""
    hour = 3600
    two_h = open_session(srv, "app", b"two hours")
    age(srv, two_h, 2 * hour)
    ten_h = open_session(srv, "app", b"ten hours")
    age(srv, ten_h, 10 * hour)
    cfg = tmp_path / "registry.yaml"
    cfg.write_text(f"root: {srv.root}\nupload-expiry: 5h\n")
    r = run_vigil("registry", "gc", "--config", cfg, "--dry-run")
    assert r.rc == 0, r
    assert f"would remove upload {ten_h} (expired session)" in r.out, r
    assert two_h not in r.out, r
    # the flag wins over the file
    r = run_vigil("registry", "gc", "--config", cfg, "--upload-expiry", "1h", "--dry-run")
    assert r.rc == 0 and two_h in r.out and ten_h in r.out, r
    # without the config: the 24h default keeps both
    r = run_vigil("registry", "gc", "--root", srv.root, "--dry-run")
    assert r.rc == 0 and two_h not in r.out and ten_h not in r.out, r
    r = run_vigil("registry", "gc", "--config", cfg)
    assert r.rc == 0 and "removed 1 upload(s)" in r.out, r
    assert srv.req("GET", f"/v2/app/blobs/uploads/{two_h}").status == 204
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"root: {srv.root}\nupload-expiri: 5h\n")
    r = run_vigil("registry", "gc", "--config", bad)
    assert r.rc != 0 and "unknown key 'upload-expiri'" in r.err, r
    assert run_vigil("registry", "gc", "--config", tmp_path / "nope.yaml").rc != 0
