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
