# SPDX-License-Identifier: Apache-2.0
"""`vigil inspect` end to end: images built in the test (tests/e2e/images.py), checked against
skopeo's view of the same image on every digest, plus hostile inputs that must fail with one
clear line and the documented exit code."""
import gzip
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import images  # noqa: E402
from images import (File, Layout, Opaque, Symlink, Whiteout, build_image,  # noqa: E402
                    build_multiarch, sha256)

EXIT_USAGE, EXIT_NOTFOUND, EXIT_CORRUPT = 2, 4, 6

needs_skopeo = pytest.mark.skipif(not images.have_skopeo(), reason="skopeo not installed")
needs_zstd = pytest.mark.skipif(not images.have_zstd(), reason="zstd not installed")

LAYERS = [
    {"etc/os-release": b"ID=test\nVERSION_ID=1\n", "bin/busybox": File(b"\x7fELF", 0o755),
     "bin/sh": Symlink("busybox")},
    {"etc/os-release": Whiteout(), "var/cache": Opaque(), "var/cache/new": b"n"},
    {"srv/app.py": "print('hi')\n", "srv/data.bin": bytes(range(256)) * 64},
]
CONFIG = {"User": "1000:1000", "Entrypoint": ["/bin/sh", "-c"], "Cmd": ["exec app"],
          "ExposedPorts": {"8080/tcp": {}, "53/udp": {}}, "WorkingDir": "/srv",
          "Labels": {"org.opencontainers.image.version": "1.0", "team": "sec"}}


def inspect_json(vigil, ref, *extra):
    r = vigil("inspect", "--format", "json", *extra, ref)
    assert r.rc == 0, r
    return json.loads(r.out)


def tar_entry_count(tar: bytes) -> int:
    """Entries the layer walker counts: everything but whiteouts."""
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        return sum(1 for m in tf.getmembers()
                   if not Path(m.name).name.startswith(".wh."))


def assert_one_line_error(r, code, *needles):
    assert r.rc == code, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("vigil: error: "), r.err
    for n in needles:
        assert n in lines[0], (n, r.err)
    assert r.out == ""


def check_against_skopeo(got, ref, extra=()):
    """Every digest vigil reports equals what skopeo reads from the same image."""
    raw = images.skopeo_raw(ref, extra=extra)
    cfg_raw = images.skopeo_raw(ref, config=True, extra=extra)
    man = json.loads(raw)
    if "manifests" in man:
        assert got["indexDigest"] == sha256(raw)
        sel = [m for m in man["manifests"] if m["digest"] == got["manifestDigest"]]
        assert len(sel) == 1
        assert got["mediaType"] == sel[0]["mediaType"]
    else:
        assert got["manifestDigest"] == sha256(raw)
        assert got["mediaType"] == man["mediaType"]
        assert got["config"]["digest"] == man["config"]["digest"]
        assert got["config"]["size"] == man["config"]["size"]
        assert [l["digest"] for l in got["layers"]] == [l["digest"] for l in man["layers"]]
        assert [l["size"] for l in got["layers"]] == [l["size"] for l in man["layers"]]
        assert [l["mediaType"] for l in got["layers"]] == [l["mediaType"] for l in man["layers"]]
    assert got["config"]["digest"] == sha256(cfg_raw)
    cfg = json.loads(cfg_raw)
    assert [l["diffID"] for l in got["layers"]] == cfg["rootfs"]["diff_ids"]
    return man, cfg


def check_image(got, img):
    """vigil's view equals what the builder wrote."""
    assert got["config"]["user"] == img.config["config"].get("User")
    assert got["config"]["env"] == img.config["config"]["Env"]
    assert got["config"]["entrypoint"] == img.config["config"].get("Entrypoint", [])
    assert got["config"]["cmd"] == img.config["config"].get("Cmd", [])
    assert sorted(got["config"]["exposedPorts"]) == sorted(img.config["config"].get("ExposedPorts", {}))
    assert got["config"]["labels"] == img.config["config"].get("Labels", {})
    assert len(got["config"]["history"]) == len(img.config.get("history", []))
    assert len(got["layers"]) == len(img.layer_tars)
    for l, tar in zip(got["layers"], img.layer_tars):
        assert l["uncompressedSize"] == len(tar)
        assert l["diffID"] == sha256(tar)
        assert l["files"] == tar_entry_count(tar)
    assert got["total"]["layers"] == len(img.layer_tars)
    assert got["total"]["uncompressedSize"] == sum(len(t) for t in img.layer_tars)
    assert got["total"]["files"] == sum(tar_entry_count(t) for t in img.layer_tars)
    assert got["total"]["size"] == sum(l["size"] for l in got["layers"])


# ------------------------------------------------------------------ oci layouts

@needs_skopeo
@pytest.mark.parametrize("compression", ["gzip", "none", pytest.param("zstd", marks=needs_zstd),
                                         pytest.param(["gzip", "none", "zstd"], marks=needs_zstd,
                                                      id="mixed")])
def test_oci_layout_agrees_with_skopeo(vigil, tmp_path, compression):
    lay, img = build_image(tmp_path / "oci", "v1", LAYERS, compression=compression,
                           config=CONFIG)
    ref = f"oci:{lay.path}:v1"
    got = inspect_json(vigil, ref)
    check_against_skopeo(got, ref)
    check_image(got, img)
    assert got["reference"] == ref
    assert got["transport"] == "oci"
    assert got["indexDigest"] is None
    assert got["platform"] == "linux/amd64"
    kinds = compression if isinstance(compression, list) else [compression] * 3
    assert [l["compression"] for l in got["layers"]] == kinds


def check_against_builder(got, img):
    """For documents skopeo's oci: transport skips (Docker media types in a layout)."""
    assert got["manifestDigest"] == sha256(img.manifest_raw) == img.digest
    assert got["mediaType"] == img.manifest["mediaType"]
    assert got["config"]["digest"] == sha256(img.config_raw)
    assert [l["digest"] for l in got["layers"]] == [l["digest"] for l in img.layers]
    assert [l["size"] for l in got["layers"]] == [l["size"] for l in img.layers]


def test_oci_layout_docker_media_types(vigil, tmp_path):
    lay, img = build_image(tmp_path / "oci", "d", LAYERS[:1], docker=True, config=CONFIG)
    got = inspect_json(vigil, f"oci:{lay.path}:d")
    check_against_builder(got, img)
    check_image(got, img)
    assert got["mediaType"] == images.MT_DOCKER_MANIFEST
    assert got["config"]["mediaType"] == images.MT_DOCKER_CONFIG


def test_oci_layout_single_untagged_image(vigil, tmp_path):
    lay = Layout(tmp_path / "oci")
    img = lay.add_image([{"a": b"a"}])
    lay.tag(img.desc, None)
    lay.save()
    got = inspect_json(vigil, f"oci:{lay.path}")
    assert got["manifestDigest"] == img.digest


def test_oci_layout_by_digest(vigil, tmp_path):
    lay = Layout(tmp_path / "oci")
    a = lay.add_image([{"a": b"a"}])
    b = lay.add_image([{"b": b"b"}])
    lay.tag(a.desc, "a")
    lay.tag(b.desc, "b")
    lay.save()
    assert inspect_json(vigil, f"oci:{lay.path}:b")["manifestDigest"] == b.digest
    assert inspect_json(vigil, f"oci:{lay.path}:@{a.digest}")["manifestDigest"] == a.digest
    r = vigil("inspect", f"oci:{lay.path}")
    assert_one_line_error(r, EXIT_USAGE, "2 images", "tags: a, b")


@needs_skopeo
@pytest.mark.parametrize("docker", [False, True], ids=["oci-index", "docker-list"])
@pytest.mark.parametrize("plat,override", [
    ("linux/amd64", ["--override-arch", "amd64"]),
    ("linux/arm64", ["--override-arch", "arm64", "--override-variant", "v8"]),
    ("linux/arm64/v8", ["--override-arch", "arm64", "--override-variant", "v8"]),
    ("linux/arm/v7", ["--override-arch", "arm", "--override-variant", "v7"]),
])
def test_multiarch_index_with_platform(vigil, tmp_path, docker, plat, override):
    platforms = ("linux/amd64", "linux/arm64/v8", "linux/arm/v7", "linux/arm/v6")
    lay, idx, imgs = build_multiarch(tmp_path / "oci", "multi", platforms, docker=docker)
    ref = f"oci:{lay.path}:multi"
    got = inspect_json(vigil, ref, "--platform", plat)
    want = imgs[plat if plat != "linux/arm64" else "linux/arm64/v8"]
    assert got["indexDigest"] == idx["digest"]
    assert got["manifestDigest"] == want.digest
    assert got["platform"] == (plat if plat != "linux/arm64" else "linux/arm64/v8")
    if docker:  # skopeo's oci: transport only reads OCI media types from index.json
        check_against_builder(got, want)
    else:
        check_against_skopeo(got, ref, extra=["--override-os", "linux", *override])
    check_image(got, want)


def test_multiarch_default_platform_is_host(vigil, tmp_path):
    import platform as pyplat
    host = {"x86_64": "linux/amd64", "aarch64": "linux/arm64/v8"}.get(pyplat.machine())
    if not host:
        pytest.skip("unusual host architecture")
    lay, idx, imgs = build_multiarch(tmp_path / "oci", "m", ("linux/amd64", "linux/arm64/v8"))
    got = inspect_json(vigil, f"oci:{lay.path}:m")
    assert got["manifestDigest"] == imgs[host].digest


def test_nested_index(vigil, tmp_path):
    lay = Layout(tmp_path / "oci")
    a = lay.add_image([{"a": b"a"}], platform="linux/amd64")
    b = lay.add_image([{"b": b"b"}], platform="linux/s390x")
    inner = lay.add_index([a.desc, b.desc])
    inner["platform"] = {"os": "linux", "architecture": "s390x"}
    outer = lay.add_index([inner])
    lay.tag(outer, "nested")
    lay.save()
    got = inspect_json(vigil, f"oci:{lay.path}:nested", "--platform", "linux/s390x")
    assert got["manifestDigest"] == b.digest
    assert got["indexDigest"] == inner["digest"]


# ------------------------------------------------------------------ docker archives

@needs_skopeo
def test_docker_archive_skopeo_layout(vigil, tmp_path):
    lay, img = build_image(tmp_path / "oci", "v1", LAYERS, config=CONFIG)
    tar = tmp_path / "img.tar"
    images.skopeo_copy(f"oci:{lay.path}:v1", f"docker-archive:{tar}:example.com/team/app:v1")
    for ref in (f"docker-archive:{tar}", f"docker-archive:{tar}:example.com/team/app:v1",
                f"docker-archive:{tar}:@0"):
        got = inspect_json(vigil, ref)
        check_against_skopeo(got, ref)
        check_image(got, img)
        assert got["transport"] == "docker-archive"
        assert got["config"]["digest"] == sha256(img.config_raw)
        assert [l["digest"] for l in got["layers"]] == img.diff_ids


@needs_skopeo
@pytest.mark.parametrize("writer", ["classic", "classic-symlink", "blobs"])
def test_docker_archive_handwritten_layouts(vigil, tmp_path, writer):
    layers = LAYERS + [LAYERS[0]]  # a repeated layer: Docker writes it once
    lay, img = build_image(tmp_path / "oci", "v1", layers, config=CONFIG)
    tar = tmp_path / "img.tar"
    if writer == "blobs":
        images.docker_archive_blobs(img, tar, repo_tags=["nginx:1.25"])
    else:
        images.docker_archive_classic(img, tar, repo_tags=["nginx:1.25"],
                                      dedupe_symlink=writer == "classic-symlink")
    ref = f"docker-archive:{tar}:docker.io/library/nginx:1.25"
    got = inspect_json(vigil, ref)
    check_image(got, img)
    assert got["manifestDigest"] == sha256(images.archive_manifest(img.config_raw, img.layer_tars))
    check_against_skopeo(got, f"docker-archive:{tar}")


def test_docker_archive_tag_not_found(vigil, tmp_path):
    lay, img = build_image(tmp_path / "oci", "v1", LAYERS[:1])
    tar = tmp_path / "img.tar"
    images.docker_archive_classic(img, tar, repo_tags=["a:1"])
    r = vigil("inspect", f"docker-archive:{tar}:a:2")
    assert_one_line_error(r, EXIT_NOTFOUND, "a:2")


def test_table_output(vigil, tmp_path):
    lay, img = build_image(tmp_path / "oci", "v1", LAYERS, config=CONFIG)
    r = vigil("inspect", f"oci:{lay.path}:v1")
    assert r.rc == 0, r
    for s in (img.digest, "linux/amd64", "1000:1000", "8080/tcp", "team=sec", "Total:",
              img.diff_ids[2]):
        assert s in r.out, s


def test_control_characters_in_config_are_escaped(vigil, tmp_path):
    lay, img = build_image(tmp_path / "oci", "v1", LAYERS[:1],
                           config={"User": "root\x1b[31m\nFAKE: line"})
    r = vigil("inspect", f"oci:{lay.path}:v1")
    assert r.rc == 0, r
    assert "\x1b" not in r.out
    assert "\nFAKE" not in r.out


# ------------------------------------------------------------------ hostile inputs

@pytest.fixture
def image(tmp_path):
    lay, img = build_image(tmp_path / "oci", "v1", LAYERS, config=CONFIG)
    return lay, img


def retag(lay, desc, tag="v1"):
    lay.index["manifests"] = []
    lay.tag(desc, tag)
    lay.save()


def test_digest_mismatch_in_layer(vigil, image):
    lay, img = image
    d = img.layers[1]["digest"]
    blob = bytearray(lay.blob_path(d).read_bytes())
    blob[4] ^= 1  # gzip MTIME: the stream stays valid and the size equal, only the digest moves
    lay.corrupt_blob(d, bytes(blob))
    r = vigil("inspect", f"oci:{lay.path}:v1")
    assert_one_line_error(r, EXIT_CORRUPT, d, "digest mismatch")


def test_corrupt_compressed_layer_names_it(vigil, image):
    lay, img = image
    d = img.layers[1]["digest"]
    blob = lay.blob_path(d).read_bytes()
    lay.corrupt_blob(d, blob[:-1] + bytes([blob[-1] ^ 1]))
    r = vigil("inspect", f"oci:{lay.path}:v1")
    assert_one_line_error(r, EXIT_CORRUPT, d)


def test_digest_mismatch_in_config(vigil, image):
    lay, img = image
    d = img.manifest["config"]["digest"]
    lay.corrupt_blob(d, img.config_raw.replace(b"1000:1000", b"0000:0000"))
    assert_one_line_error(vigil("inspect", f"oci:{lay.path}:v1"), EXIT_CORRUPT, d, "mismatch")


def test_digest_mismatch_in_manifest(vigil, image):
    lay, img = image
    lay.corrupt_blob(img.digest, img.manifest_raw + b" ")
    assert_one_line_error(vigil("inspect", f"oci:{lay.path}:v1"), EXIT_CORRUPT, img.digest)


@pytest.mark.parametrize("delta", [-1, 1, 1 << 40])
def test_manifest_lying_about_layer_size(vigil, image, delta):
    lay, img = image
    man = json.loads(img.manifest_raw)
    man["layers"][0]["size"] += delta
    desc = lay.add_raw_manifest(images.canonical_json(man), images.MT_OCI_MANIFEST)
    retag(lay, desc)
    r = vigil("inspect", f"oci:{lay.path}:v1")
    assert_one_line_error(r, EXIT_CORRUPT, man["layers"][0]["digest"])


def test_index_lying_about_manifest_size(vigil, image):
    lay, img = image
    desc = dict(img.desc)
    desc["size"] -= 10
    retag(lay, desc)
    assert_one_line_error(vigil("inspect", f"oci:{lay.path}:v1"), EXIT_CORRUPT, "size")


def test_config_diff_ids_disagree_with_layers(vigil, image):
    lay, img = image
    man = json.loads(img.manifest_raw)
    man["layers"] = man["layers"][:2]
    retag(lay, lay.add_raw_manifest(images.canonical_json(man), images.MT_OCI_MANIFEST))
    assert_one_line_error(vigil("inspect", f"oci:{lay.path}:v1"), EXIT_CORRUPT, "diff_ids")


@pytest.mark.parametrize("where", ["manifest", "layer", "config"])
def test_unknown_media_type(vigil, image, where):
    lay, img = image
    man = json.loads(img.manifest_raw)
    mt = "application/vnd.example.unknown+json"
    if where == "manifest":
        man["mediaType"] = mt
    elif where == "layer":
        man["layers"][1]["mediaType"] = mt
    else:
        man["config"]["mediaType"] = mt
    desc = lay.add_raw_manifest(images.canonical_json(man), mt if where == "manifest" else None)
    retag(lay, desc)
    assert_one_line_error(vigil("inspect", f"oci:{lay.path}:v1"), EXIT_CORRUPT, mt)


def test_schema1_refused(vigil, image, data_dir):
    lay, img = image
    raw = (data_dir / "oci" / "schema1.json").read_bytes()
    retag(lay, lay.add_raw_manifest(raw, "application/vnd.docker.distribution.manifest.v1+prettyjws"))
    assert_one_line_error(vigil("inspect", f"oci:{lay.path}:v1"), EXIT_CORRUPT, "schema 1")


def test_missing_blob(vigil, image):
    lay, img = image
    d = img.layers[2]["digest"]
    lay.blob_path(d).unlink()
    assert_one_line_error(vigil("inspect", f"oci:{lay.path}:v1"), EXIT_NOTFOUND, d)


@pytest.mark.parametrize("ref", ["Nginx", ":tag", "nginx:", "nginx@sha256:abc",
                                 "a" * 300, "docker://x/UPPER", "oci:", "docker-archive:"])
def test_bad_reference_syntax(vigil, ref):
    assert_one_line_error(vigil("inspect", ref), EXIT_USAGE)


def test_index_json_not_json(vigil, image):
    lay, img = image
    (lay.path / "index.json").write_text("{not json")
    assert_one_line_error(vigil("inspect", f"oci:{lay.path}:v1"), EXIT_CORRUPT, "index.json")


def test_index_json_deeply_nested(vigil, image):
    lay, img = image
    depth = 5 * 1024 * 1024
    (lay.path / "index.json").write_bytes(b"[" * depth + b"]" * depth)
    assert_one_line_error(vigil("inspect", f"oci:{lay.path}:v1"), EXIT_CORRUPT, "index.json")


def test_index_json_nesting_under_size_limit(vigil, image):
    lay, img = image
    (lay.path / "index.json").write_bytes(b'{"a":' * 100000 + b"1" + b"}" * 100000)
    assert_one_line_error(vigil("inspect", f"oci:{lay.path}:v1"), EXIT_CORRUPT, "index.json")


def test_tag_not_in_index(vigil, image):
    lay, img = image
    assert_one_line_error(vigil("inspect", f"oci:{lay.path}:nope"), EXIT_NOTFOUND, "nope",
                          "tags: v1")


def test_platform_not_in_index(vigil, tmp_path):
    lay, idx, imgs = build_multiarch(tmp_path / "oci", "m")
    r = vigil("inspect", "--platform", "linux/s390x", f"oci:{lay.path}:m")
    assert_one_line_error(r, EXIT_NOTFOUND, "linux/s390x", "linux/arm64/v8")


def test_not_a_layout(vigil, tmp_path):
    assert_one_line_error(vigil("inspect", f"oci:{tmp_path}"), EXIT_NOTFOUND, "oci-layout")
    assert_one_line_error(vigil("inspect", f"oci:{tmp_path}/absent"), EXIT_NOTFOUND)


def corrupt_layer_image(tmp_path, blob: bytes, mt=images.MT_OCI_LAYER + "+gzip"):
    lay = Layout(tmp_path / "oci")
    good = lay.add_image([{"a": b"a"}])
    man = dict(good.manifest)
    ldesc = lay.add_blob(blob, mt)
    man["layers"] = [ldesc]
    retag(lay, lay.add_raw_manifest(images.canonical_json(man), images.MT_OCI_MANIFEST))
    return lay


@pytest.mark.parametrize("kind", ["truncated-gzip", "garbage-gzip", "truncated-tar",
                                  pytest.param("truncated-zstd", marks=needs_zstd)])
def test_corrupt_layer_content(vigil, tmp_path, kind):
    tar = images.layer_tar({"f": b"x" * 5000, "g": b"y"})
    mt = images.MT_OCI_LAYER + "+gzip"
    if kind == "truncated-gzip":
        blob = gzip.compress(tar, mtime=0)[:-20]
    elif kind == "garbage-gzip":
        z = bytearray(gzip.compress(tar, mtime=0))
        z[20:40] = b"\xff" * 20
        blob = bytes(z)
    elif kind == "truncated-zstd":
        blob, mt = images.compress(tar, "zstd")[:-8], images.MT_OCI_LAYER + "+zstd"
    else:
        blob, mt = tar[:700], images.MT_OCI_LAYER
    lay = corrupt_layer_image(tmp_path, blob, mt)
    r = vigil("inspect", f"oci:{lay.path}:v1", timeout=60)
    assert r.rc == EXIT_CORRUPT, r
    assert len(r.err.strip().splitlines()) == 1, r.err


def test_docker_archive_hostile(vigil, tmp_path):
    missing = tmp_path / "missing.tar"
    assert_one_line_error(vigil("inspect", f"docker-archive:{missing}"), EXIT_NOTFOUND)
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"\x00garbage" * 100)
    assert_one_line_error(vigil("inspect", f"docker-archive:{junk}"), EXIT_CORRUPT)
    gz = tmp_path / "img.tar.gz"
    gz.write_bytes(gzip.compress(b"x" * 1000))
    assert_one_line_error(vigil("inspect", f"docker-archive:{gz}"), EXIT_CORRUPT, "gzip")
    lay, img = build_image(tmp_path / "oci", "v1", LAYERS[:2])
    tar = tmp_path / "img.tar"
    images.docker_archive_classic(img, tar)
    data = tar.read_bytes()
    trunc = tmp_path / "trunc.tar"
    trunc.write_bytes(data[: len(data) // 2])
    r = vigil("inspect", f"docker-archive:{trunc}")
    assert r.rc in (EXIT_CORRUPT, EXIT_NOTFOUND), r
    assert len(r.err.strip().splitlines()) == 1


def test_docker_archive_layer_tampered(vigil, tmp_path):
    lay, img = build_image(tmp_path / "oci", "v1", LAYERS[:2])
    tar = tmp_path / "img.tar"
    images.docker_archive_classic(img, tar)
    data = bytearray(tar.read_bytes())
    i = data.find(b"ID=test")
    data[i:i + 2] = b"XX"
    tar.write_bytes(bytes(data))
    r = vigil("inspect", f"docker-archive:{tar}")
    assert_one_line_error(r, EXIT_CORRUPT, img.diff_ids[0])


def test_usage_errors(vigil):
    assert vigil("inspect").rc == EXIT_USAGE
    assert vigil("inspect", "--format", "yaml", "x").rc == EXIT_USAGE
    assert vigil("inspect", "--bogus", "x").rc == EXIT_USAGE
    assert vigil("inspect", "--platform", "linux", "oci:/nonexistent").rc == EXIT_USAGE
    r = vigil("inspect", "--help")
    assert r.rc == 0 and "Examples:" in r.out
