# SPDX-License-Identifier: Apache-2.0
"""`vigil sbom` shares the scan's analysis cache: `scan` then `sbom` of one image reads its
layer blobs once (counted at a local registry), the SBOM from the cache is the SBOM a cold run
writes, and an image changed under the same tag is analysed afresh, never served stale."""
import json

from conftest import ROOT, run_vigil
from images import Layout
from tiny_registry import TinyRegistry

STATUS = """Package: libc6
Status: install ok installed
Version: 2.36-9+deb12u4
Architecture: amd64
Source: glibc

"""
EXTRA = """Package: openssl
Status: install ok installed
Version: 3.0.11-1~deb12u2
Architecture: amd64

"""
OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'


def publish(root, status):
    """(Re)writes the layout at root with one image tagged latest; returns its layer digests."""
    lay = Layout(root)
    img = lay.add_image([{"etc/os-release": OS_RELEASE, "usr/share/doc/x.txt": "x\n"},
                         {"var/lib/dpkg/status": status}])
    lay.tag(img.desc, "latest")
    lay.save()
    return [d["digest"] for d in img.layers]


def sbom(vigil, reg, cache, *args):
    r = vigil("sbom", "--format", "json", "--plain-http", "--cache-dir", cache, *args,
              reg.ref())
    assert r.rc == 0, r
    return json.loads(r.out), r


VOLATILE = {"serialNumber", "timestamp", "created", "documentNamespace", "annotationDate"}


def timeless(doc):
    """doc without what differs between any two runs (run ids, clock times)."""
    if isinstance(doc, dict):
        return {k: timeless(v) for k, v in doc.items() if k not in VOLATILE}
    if isinstance(doc, list):
        return [timeless(v) for v in doc]
    return doc


def packages(doc):
    return sorted((p["name"], p["version"]) for p in doc["packages"])


def test_scan_then_sbom_reads_the_layers_once(vigil, tmp_path):
    db = tmp_path / "vulndb.sqlite"
    assert run_vigil("db", "build", "--from", ROOT / "examples" / "osv", "--db", db).rc == 0
    layers = publish(tmp_path / "oci", STATUS)
    cache = tmp_path / "cache"
    with TinyRegistry(tmp_path / "oci") as reg:
        r = vigil("scan", "--offline", "--db", db, "--format", "json", "--plain-http",
                  "--cache-dir", cache, reg.ref())
        assert r.rc == 0, r
        assert sorted(reg.blob_gets(layers)) == sorted(
            f"/v2/test/app/blobs/{d}" for d in layers), reg.requests
        before = len(reg.blob_gets(layers))
        warm, r = sbom(vigil, reg, cache)
        assert len(reg.blob_gets(layers)) == before, "sbom read layer blobs: " + repr(
            reg.requests)
        assert "reused from the cache" in r.err, r
        assert packages(warm) == [("libc6", "2.36-9+deb12u4")]
        # The SBOM from the cache is the one a cold run writes, in every format.
        cold, r = sbom(vigil, reg, cache, "--no-cache")
        assert len(reg.blob_gets(layers)) == before + len(layers)
        assert "reused" not in r.err
        assert warm == cold
        for fmt in ("cyclonedx", "spdx-json"):
            a = vigil("sbom", "--format", fmt, "--plain-http", "--cache-dir", cache, reg.ref())
            b = vigil("sbom", "--format", fmt, "--plain-http", "--no-cache", reg.ref())
            assert a.rc == 0 and b.rc == 0, (a, b)
            assert timeless(json.loads(a.out)) == timeless(json.loads(b.out)), fmt

        # The image changes under the same tag: its new layer is read, the SBOM is new.
        layers2 = publish(tmp_path / "oci", STATUS + EXTRA)
        assert layers2[0] == layers[0] and layers2[1] != layers[1]
        fresh, r = sbom(vigil, reg, cache)
        assert "reused from the cache" not in r.err, r
        assert reg.blob_gets([layers2[1]]), reg.requests
        assert packages(fresh) == [("libc6", "2.36-9+deb12u4"), ("openssl", "3.0.11-1~deb12u2")]
        # ... and a second sbom of the changed image is served from the cache again.
        n = len(reg.blob_gets(layers2))
        again, r = sbom(vigil, reg, cache)
        assert "reused from the cache" in r.err and len(reg.blob_gets(layers2)) == n
        assert again == fresh


def test_sbom_first_then_sbom_reuses_and_no_cache_writes_nothing(vigil, tmp_path):
    layers = publish(tmp_path / "oci", STATUS)
    cache = tmp_path / "cache"
    with TinyRegistry(tmp_path / "oci") as reg:
        sbom(vigil, reg, tmp_path / "nc", "--no-cache")
        assert not (tmp_path / "nc").exists()
        first, _ = sbom(vigil, reg, cache)
        n = len(reg.blob_gets(layers))
        second, r = sbom(vigil, reg, cache)
        assert len(reg.blob_gets(layers)) == n and "reused" in r.err
        assert first == second
        # -q silences the notice.
        _, r = sbom(vigil, reg, cache, "-q")
        assert r.err == "", r
