# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of the layer walk through `vigil inspect`: OCI layouts with gzip, zstd
and plain layers are built in a temp dir; corrupt, truncated, mislabelled and mis-hashed layers
must each fail with one error naming the layer digest, never crash or hang."""
import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile

import pytest

GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
ZST = "application/vnd.oci.image.layer.v1.tar+zstd"
TAR = "application/vnd.oci.image.layer.v1.tar"


def make_tar(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in entries:
            if data is None:
                ti = tarfile.TarInfo(name)
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
                continue
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


class Layout:
    """Builds an OCI layout; each layer is (blob bytes, media type, diffID)."""

    def __init__(self, root):
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True)

    def blob(self, data):
        d = sha(data)
        (self.root / "blobs" / "sha256" / d[7:]).write_bytes(data)
        return d

    def write(self, layers):
        config = {"architecture": "amd64", "os": "linux",
                  "rootfs": {"type": "layers", "diff_ids": [l[2] for l in layers]}}
        cb = json.dumps(config).encode()
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": self.blob(cb), "size": len(cb)},
                    "layers": [{"mediaType": mt, "digest": self.blob(b), "size": len(b)}
                               for b, mt, _ in layers]}
        mb = json.dumps(manifest).encode()
        index = {"schemaVersion": 2, "manifests": [
            {"mediaType": manifest["mediaType"], "digest": self.blob(mb), "size": len(mb),
             "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
        (self.root / "index.json").write_text(json.dumps(index))
        (self.root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        return manifest["layers"]


BASE = [("etc", None), ("etc/os-release", b"ID=debian\n"), ("etc/passwd", b"root:x:0:0\n")]
TOP = [("etc/.wh.passwd", b""), ("usr/bin/tool", b"\x7fELF" + b"x" * 5000)]


def gz(b):
    return gzip.compress(b, mtime=0)


def inspect(vigil, root):
    return vigil("inspect", "--format", "json", f"oci:{root}:latest", timeout=60)


def test_walks_gzip_and_plain_layers(vigil, tmp_path):
    base, top = make_tar(BASE), make_tar(TOP)
    lay = Layout(tmp_path / "img").write([(gz(base), GZ, sha(base)), (top, TAR, sha(top))])
    r = inspect(vigil, tmp_path / "img")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    ls = doc["layers"]
    assert [l["digest"] for l in ls] == [l["digest"] for l in lay]
    assert [l["compression"] for l in ls] == ["gzip", "none"]
    assert ls[0]["uncompressedSize"] == len(base)
    assert ls[0]["files"] == 3 and ls[1]["files"] == 1


@pytest.mark.skipif(shutil.which("zstd") is None, reason="zstd tool absent")
def test_walks_zstd_layer_detected_by_magic(vigil, tmp_path):
    base = make_tar(BASE)
    z = subprocess.run(["zstd", "-q", "-c"], input=base, capture_output=True, check=True).stdout
    # Labelled gzip on purpose: the content decides.
    Layout(tmp_path / "img").write([(z, GZ, sha(base))])
    r = inspect(vigil, tmp_path / "img")
    assert r.rc == 0, r
    assert json.loads(r.out)["layers"][0]["compression"] == "zstd"


def test_truncated_gzip_names_layer(vigil, tmp_path):
    base = make_tar(BASE + [("big", b"y" * 200000)])
    blob = gz(base)[:-100]
    lay = Layout(tmp_path / "img").write([(blob, GZ, sha(base))])
    r = inspect(vigil, tmp_path / "img")
    assert r.rc == 6, r
    assert lay[0]["digest"] in r.err and "truncated gzip" in r.err, r


def test_blob_digest_mismatch_names_layer(vigil, tmp_path):
    base = make_tar(BASE)
    blob = gz(base)
    lay = Layout(tmp_path / "img").write([(blob, GZ, sha(base))])
    path = tmp_path / "img" / "blobs" / "sha256" / lay[0]["digest"][7:]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    r = inspect(vigil, tmp_path / "img")
    assert r.rc == 6, r
    assert lay[0]["digest"] in r.err, r


def test_diff_id_mismatch(vigil, tmp_path):
    base = make_tar(BASE)
    lay = Layout(tmp_path / "img").write([(gz(base), GZ, sha(base + b"x"))])
    r = inspect(vigil, tmp_path / "img")
    assert r.rc == 6, r
    assert lay[0]["digest"] in r.err and "diffID" in r.err, r


def test_unknown_media_type(vigil, tmp_path):
    base = make_tar(BASE)
    lay = Layout(tmp_path / "img").write(
        [(gz(base), "application/vnd.example.layer.v1.tar+lz4", sha(base))])
    r = inspect(vigil, tmp_path / "img")
    assert r.rc != 0 and r.rc < 128, r
    assert lay[0]["digest"] in r.err and "media type" in r.err, r


def test_unsafe_entries_skipped_with_warning(vigil, tmp_path):
    base = make_tar(BASE + [("../escape", b"x"), ("/abs", b"y")])
    Layout(tmp_path / "img").write([(gz(base), GZ, sha(base))])
    r = inspect(vigil, tmp_path / "img")
    assert r.rc == 0, r
    assert "'../escape'" in r.err and "'/abs'" in r.err, r
    assert json.loads(r.out)["layers"][0]["files"] == 3
