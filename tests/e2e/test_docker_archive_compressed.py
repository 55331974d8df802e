# SPDX-License-Identifier: Apache-2.0
"""Compressed docker-archive tarballs (`docker save img | gzip > img.tar.gz`, `zstd img.tar`)
end to end: the compression is detected by magic bytes (never by the file name), the archive is
decompressed once into an unlinked temporary file, and every result must be byte-for-byte what
the uncompressed archive gives. Hostile inputs (truncated and corrupt streams, compressed
non-tars, bombs, nested compression) fail with one line naming the file and the documented exit
code, and leave nothing behind in $TMPDIR."""
import gzip
import json
import lzma
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import images  # noqa: E402
from images import File, Symlink, build_image, sha256  # noqa: E402

EXIT_OK, EXIT_USAGE, EXIT_CORRUPT = 0, 2, 6
MAX_ENV = "VIGIL_ARCHIVE_MAX_UNPACKED_BYTES"

needs_skopeo = pytest.mark.skipif(not images.have_skopeo(), reason="skopeo not installed")
needs_gzip = pytest.mark.skipif(shutil.which("gzip") is None, reason="gzip not installed")
needs_zstd = pytest.mark.skipif(not images.have_zstd(), reason="zstd not installed")

DPKG_STATUS = """Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.15-1~deb12u1
"""
LAYERS = [
    {"etc/os-release": b'ID=debian\nVERSION_ID="12"\n', "var/lib/dpkg/status": DPKG_STATUS,
     "bin/busybox": File(b"\x7fELF", 0o755), "bin/sh": Symlink("busybox")},
    {"srv/data.bin": bytes(range(256)) * 256, "srv/app.py": "print('hi')\n"},
]
CONFIG = {"User": "1000", "Labels": {"team": "sec"}}


def compress_cli(src: Path, dst: Path, kind: str):
    """Compresses with the real tools, as users do."""
    cmd = {"gzip": ["gzip", "-c", "-6"], "zstd": ["zstd", "-q", "-c", "-3"]}[kind]
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        subprocess.run(cmd, stdin=fi, stdout=fo, check=True)


def assert_one_line_error(r, code, *needles):
    assert r.rc == code, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("vigil: error: "), r.err
    for n in needles:
        assert n in lines[0], (n, r.err)
    assert r.out == ""


@pytest.fixture
def tmpdir_env(tmp_path):
    """A private TMPDIR: after every command it must be empty again."""
    d = tmp_path / "vigil-tmp"
    d.mkdir()
    return d


@pytest.fixture
def run(vigil, tmpdir_env):
    def _run(*args, env=None, cwd=None):
        e = {"TMPDIR": str(tmpdir_env), "SOURCE_DATE_EPOCH": "1700000000", **(env or {})}
        r = vigil(*args, env=e, cwd=cwd, timeout=120)
        assert list(tmpdir_env.iterdir()) == [], "temporary files left behind"
        return r
    return _run


def archive(tmp_path, writer="classic"):
    lay, img = build_image(tmp_path / "oci", "v1", LAYERS, config=CONFIG)
    tar = tmp_path / "plain" / "img"
    tar.parent.mkdir()
    if writer == "skopeo":
        images.skopeo_copy(f"oci:{lay.path}:v1", f"docker-archive:{tar}:example.com/team/app:v1")
    elif writer == "blobs":
        images.docker_archive_blobs(img, tar, repo_tags=["example.com/team/app:v1"])
    else:
        images.docker_archive_classic(img, tar, repo_tags=["example.com/team/app:v1"])
    return img, tar


def compressed_copy(tmp_path, tar: Path, kind: str) -> Path:
    """The compressed archive under the same base name in another directory, so the command
    lines (relative names run from each directory) and therefore the outputs are identical."""
    d = tmp_path / kind
    d.mkdir(exist_ok=True)
    out = d / tar.name
    compress_cli(tar, out, kind)
    return out


# ------------------------------------------------------------------ same results


@needs_gzip
@pytest.mark.parametrize("kind", ["gzip", pytest.param("zstd", marks=needs_zstd)])
@pytest.mark.parametrize("writer", ["classic", "blobs",
                                    pytest.param("skopeo", marks=needs_skopeo)])
def test_inspect_equals_uncompressed(run, tmp_path, kind, writer):
    img, tar = archive(tmp_path, writer)
    comp = compressed_copy(tmp_path, tar, kind)
    assert comp.read_bytes()[:2] in (b"\x1f\x8b", b"\x28\xb5")
    plain = run("inspect", "--format", "json", "docker-archive:img", cwd=tar.parent)
    assert plain.rc == 0, plain
    got = run("inspect", "--format", "json", "docker-archive:img", cwd=comp.parent)
    assert got.rc == 0, got
    assert got.out == plain.out
    doc = json.loads(got.out)
    assert doc["transport"] == "docker-archive"
    assert [l["diffID"] for l in doc["layers"]] == img.diff_ids
    assert doc["config"]["digest"] == sha256(img.config_raw)
    if writer != "skopeo":
        assert doc["manifestDigest"] == sha256(images.archive_manifest(img.config_raw,
                                                                       img.layer_tars))
    # with a tag and with @0, by absolute path
    for ref in (f"docker-archive:{comp}:example.com/team/app:v1", f"docker-archive:{comp}:@0"):
        r = run("inspect", "--format", "json", ref)
        assert r.rc == 0, r
        assert json.loads(r.out)["manifestDigest"] == doc["manifestDigest"]


@needs_gzip
@pytest.mark.parametrize("kind", ["gzip", pytest.param("zstd", marks=needs_zstd)])
def test_sbom_equals_uncompressed(run, tmp_path, kind):
    _, tar = archive(tmp_path)
    comp = compressed_copy(tmp_path, tar, kind)
    for fmt in ("json", "cyclonedx"):
        plain = run("sbom", "--format", fmt, "docker-archive:img", cwd=tar.parent)
        assert plain.rc == 0, plain
        got = run("sbom", "--format", fmt, "docker-archive:img", cwd=comp.parent)
        assert got.rc == 0, got
        if fmt == "json":
            assert got.out == plain.out
            names = {p["name"] for p in json.loads(got.out)["packages"]}
            assert {"libc6", "openssl"} <= names
        else:  # the serial number is a fresh UUID per run; everything else must agree
            a, b = json.loads(plain.out), json.loads(got.out)
            a.pop("serialNumber", None)
            b.pop("serialNumber", None)
            assert a == b


def test_file_name_is_only_a_hint(run, tmp_path):
    """Magic bytes decide: a gzip file named .tar is decompressed, a plain tar named .tar.gz
    and .tar.zst is read as is."""
    img, tar = archive(tmp_path)
    want = run("inspect", "--format", "json", f"docker-archive:{tar}")
    assert want.rc == 0, want
    digest = json.loads(want.out)["manifestDigest"]
    gz_named_tar = tmp_path / "x.tar"
    gz_named_tar.write_bytes(gzip.compress(tar.read_bytes()))
    for p in (gz_named_tar, tmp_path / "y.tar.gz", tmp_path / "z.tar.zst", tmp_path / "w.tgz"):
        if not p.exists():
            shutil.copy(tar, p)
        r = run("inspect", "--format", "json", f"docker-archive:{p}")
        assert r.rc == 0, r
        assert json.loads(r.out)["manifestDigest"] == digest


def test_multi_member_gzip(run, tmp_path):
    """`cat a.gz b.gz` is one gzip stream of a+b (RFC 1952 2.2), as `gzip` itself reads it."""
    _, tar = archive(tmp_path)
    data = tar.read_bytes()
    cut = len(data) // 3
    multi = tmp_path / "multi.tar.gz"
    multi.write_bytes(gzip.compress(data[:cut]) + gzip.compress(data[cut:]))
    want = run("inspect", "--format", "json", f"docker-archive:{tar}")
    got = run("inspect", "--format", "json", f"docker-archive:{multi}")
    assert got.rc == 0, got
    assert json.loads(got.out)["manifestDigest"] == json.loads(want.out)["manifestDigest"]


# ------------------------------------------------------------------ digests still verified


@pytest.mark.parametrize("kind", ["gzip", pytest.param("zstd", marks=needs_zstd)])
def test_tampered_layer_inside_compressed_archive(run, tmp_path, kind):
    img, tar = archive(tmp_path)
    data = bytearray(tar.read_bytes())
    i = data.find(b"ID=debian")
    data[i:i + 2] = b"XX"
    tar.write_bytes(bytes(data))
    comp = compressed_copy(tmp_path, tar, kind) if kind == "zstd" else tmp_path / "t.tar.gz"
    if kind == "gzip":
        comp.write_bytes(gzip.compress(bytes(data)))
    r = run("inspect", f"docker-archive:{comp}")
    assert_one_line_error(r, EXIT_CORRUPT, img.diff_ids[0])


# ------------------------------------------------------------------ hostile input


@pytest.mark.parametrize("kind", ["gzip", pytest.param("zstd", marks=needs_zstd)])
@pytest.mark.parametrize("keep", [4, 0.5, -1])
def test_truncated_stream(run, tmp_path, kind, keep):
    _, tar = archive(tmp_path)
    comp = compressed_copy(tmp_path, tar, kind)
    data = comp.read_bytes()
    n = keep if isinstance(keep, int) and keep > 0 else (
        int(len(data) * keep) if keep > 0 else len(data) + keep)
    bad = tmp_path / "trunc.bin"
    bad.write_bytes(data[:n])
    r = run("inspect", f"docker-archive:{bad}")
    assert_one_line_error(r, EXIT_CORRUPT, str(bad), "truncated", f"{kind} stream")


def test_corrupt_stream_mid_way(run, tmp_path):
    _, tar = archive(tmp_path)
    data = bytearray(gzip.compress(tar.read_bytes(), compresslevel=1))
    for i in range(len(data) // 3, len(data) // 3 + 16):
        data[i] ^= 0x5A
    bad = tmp_path / "corrupt.tar.gz"
    bad.write_bytes(bytes(data))
    r = run("inspect", f"docker-archive:{bad}")
    assert_one_line_error(r, EXIT_CORRUPT, str(bad))


@needs_zstd
def test_corrupt_zstd_checksum(run, tmp_path):
    """zstd frames carry an XXH64 of the content (the CLI writes it by default): checked."""
    _, tar = archive(tmp_path)
    comp = compressed_copy(tmp_path, tar, "zstd")
    data = bytearray(comp.read_bytes())
    data[-1] ^= 0xFF
    comp.write_bytes(bytes(data))
    r = run("inspect", f"docker-archive:{comp}")
    assert_one_line_error(r, EXIT_CORRUPT, str(comp), "zstd stream")


@pytest.mark.parametrize("payload", [b"x" * 5000, b"", b"\x00" * 4096])
def test_compressed_non_tar(run, tmp_path, payload):
    bad = tmp_path / "notatar.tar.gz"
    bad.write_bytes(gzip.compress(payload))
    r = run("inspect", f"docker-archive:{bad}")
    assert_one_line_error(r, EXIT_CORRUPT if payload != b"\x00" * 4096 else 4, str(bad))
    if payload:
        assert "gzip" in r.err or "manifest.json" in r.err


def test_bomb_stops_at_the_bound(run, tmp_path):
    bomb = tmp_path / "bomb.tar.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as f:
        chunk = b"\x00" * (1 << 20)
        for _ in range(64):  # 64 MiB of zeros in ~64 KiB
            f.write(chunk)
    assert bomb.stat().st_size < 200_000
    r = run("inspect", f"docker-archive:{bomb}", env={MAX_ENV: str(8 << 20)})
    assert_one_line_error(r, EXIT_CORRUPT, str(bomb), MAX_ENV, str(8 << 20))


def test_bound_is_exact(run, tmp_path):
    _, tar = archive(tmp_path)
    comp = tmp_path / "img.tar.gz"
    comp.write_bytes(gzip.compress(tar.read_bytes()))
    size = tar.stat().st_size
    assert run("inspect", f"docker-archive:{comp}", env={MAX_ENV: str(size)}).rc == EXIT_OK
    r = run("inspect", f"docker-archive:{comp}", env={MAX_ENV: str(size - 1)})
    assert_one_line_error(r, EXIT_CORRUPT, MAX_ENV)
    # the knob bounds decompression only: the plain archive is unaffected
    assert run("inspect", f"docker-archive:{tar}", env={MAX_ENV: "1"}).rc == EXIT_OK
    r = run("inspect", f"docker-archive:{comp}", env={MAX_ENV: "lots"})
    assert_one_line_error(r, EXIT_USAGE, MAX_ENV)


@pytest.mark.parametrize("inner,outer", [("gzip", "gzip"), ("zstd", "gzip"), ("gzip", "zstd")])
def test_nested_compression_refused(run, tmp_path, inner, outer):
    if "zstd" in (inner, outer) and not images.have_zstd():
        pytest.skip("zstd not installed")
    _, tar = archive(tmp_path)
    once = tmp_path / "once"
    compress_cli(tar, once, inner)
    twice = tmp_path / "twice.tar.gz"
    compress_cli(once, twice, outer)
    r = run("inspect", f"docker-archive:{twice}")
    assert_one_line_error(r, EXIT_CORRUPT, str(twice), "nested compression",
                          f"{outer}-compressed content is itself {inner}-compressed")


@pytest.mark.parametrize("kind", ["xz", "bzip2"])
def test_other_compressions_refused_clearly(run, tmp_path, kind):
    _, tar = archive(tmp_path)
    bad = tmp_path / f"img.tar.{kind}"
    if kind == "xz":
        bad.write_bytes(lzma.compress(tar.read_bytes()))
    else:
        import bz2
        bad.write_bytes(bz2.compress(tar.read_bytes()))
    r = run("inspect", f"docker-archive:{bad}")
    assert_one_line_error(r, EXIT_CORRUPT, str(bad), f"is {kind}-compressed",
                          "only gzip- and zstd-compressed")


def test_unusable_tmpdir(vigil, tmp_path):
    _, tar = archive(tmp_path)
    comp = tmp_path / "img.tar.gz"
    comp.write_bytes(gzip.compress(tar.read_bytes()))
    missing = tmp_path / "no-such-dir"
    r = vigil("inspect", f"docker-archive:{comp}", env={"TMPDIR": str(missing)})
    assert_one_line_error(r, 3, str(comp), str(missing), "TMPDIR")
