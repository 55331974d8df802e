# SPDX-License-Identifier: Apache-2.0
"""`vigil registry serve` with a real client: skopeo pushes OCI layouts built by the test
(images.py), pulls them back and the bytes must be identical; a copy into a second repository
must mount instead of re-uploading; multi-arch indexes keep their children."""
from __future__ import annotations

import json
import subprocess

import pytest

from images import build_image, build_multiarch, have_skopeo
from registry_serve import Serve

pytestmark = pytest.mark.skipif(not have_skopeo(), reason="skopeo is not installed")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    d = tmp_path_factory.mktemp("regskopeo")
    s = Serve(d / "root", d / "server.log").start()
    yield s
    s.kill()


def skopeo(*args):
    p = subprocess.run(["skopeo", "--insecure-policy", *args], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, f"skopeo {args}: {p.stderr}"
    return p.stdout


def copy(src, dst, *extra):
    skopeo("copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false", *extra, src, dst)


def access(srv):
    lines = (srv.log_path.parent / (srv.log_path.name + ".access")).read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_push_pull_roundtrip_is_byte_identical(srv, tmp_path):
    lay, img = build_image(tmp_path / "src", "v1",
                           layers=[{"etc/os-release": b"ID=test\n"},
                                   {"usr/bin/tool": b"\x7fELF" + bytes(range(256)) * 64}])
    ref = f"docker://{srv.host}/e2e/app:v1"
    copy(f"oci:{lay.path}:v1", ref)
    raw = skopeo("inspect", "--raw", "--tls-verify=false", ref).encode()
    assert raw == img.manifest_raw
    out = tmp_path / "back"
    copy(ref, f"oci:{out}:v1", "--preserve-digests")
    for d in [img.desc["digest"], img.manifest["config"]["digest"],
              *[layer["digest"] for layer in img.layers]]:
        alg, hexd = d.split(":")
        assert (out / "blobs" / alg / hexd).read_bytes() == lay.blob_path(d).read_bytes(), d

    # into a second repository: the layers are mounted, not uploaded again (skopeo's blob-info
    # cache knows where layers came from; it may still upload the small config)
    copy(ref, f"docker://{srv.host}/e2e/other:v1")
    assert skopeo("inspect", "--raw", "--tls-verify=false",
                  f"docker://{srv.host}/e2e/other:v1").encode() == img.manifest_raw
    other = [a for a in access(srv) if a.get("path", "").startswith("/v2/e2e/other/")]
    mounts = [a for a in other if a["method"] == "POST" and a["status"] == 201]
    assert len(mounts) >= len(img.layers), other
    uploaded = sum(a["bytes_in"] for a in other if a["method"] in ("PATCH", "PUT")
                   and "/uploads/" in a["path"])
    assert uploaded <= len(img.config_raw), other

    tags = json.loads(skopeo("list-tags", "--tls-verify=false", f"docker://{srv.host}/e2e/app"))
    assert tags["Tags"] == ["v1"]


def test_multiarch_index(srv, tmp_path):
    lay, idx, imgs = build_multiarch(tmp_path / "multi", "v1")
    ref = f"docker://{srv.host}/e2e/multi:v1"
    copy(f"oci:{lay.path}:v1", ref, "--all", "--preserve-digests")
    raw = skopeo("inspect", "--raw", "--tls-verify=false", ref).encode()
    assert raw == lay.blob_path(idx["digest"]).read_bytes()
    for plat, img in imgs.items():
        got = skopeo("inspect", "--raw", "--tls-verify=false",
                     f"docker://{srv.host}/e2e/multi@{img.digest}").encode()
        assert got == img.manifest_raw, plat
    cfg = json.loads(skopeo("inspect", "--config", "--raw", "--tls-verify=false",
                            "--override-arch", "arm64", "--override-variant", "v8", ref))
    assert cfg["architecture"] == "arm64"
    out = tmp_path / "multi-back"
    copy(ref, f"oci:{out}:v1", "--all", "--preserve-digests")
    back = json.loads((out / "index.json").read_text())
    assert back["manifests"][0]["digest"] == idx["digest"]
