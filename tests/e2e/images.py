# SPDX-License-Identifier: Apache-2.0
"""Builders for test container images, shared by the end-to-end tests.

Everything is written by hand (tarfile + JSON) so tests need no daemon and no network, and the
output is deterministic: the same inputs always give the same digests.

    from images import Layout, Symlink, Whiteout, Opaque, File

    lay = Layout(tmp_path / "oci")
    img = lay.add_image([{"etc/os-release": b"ID=debian\n"},
                         {"etc/os-release": Whiteout()}],
                        compression="zstd", config={"User": "app"})
    lay.tag(img.desc, "v1")
    lay.save()
    # "oci:<dir>:v1" now names the image; img.manifest, img.config, img.diff_ids, ...

    idx = lay.add_index([lay.add_image([...], platform="linux/amd64").desc,
                         lay.add_image([...], platform="linux/arm64/v8").desc])
    lay.tag(idx, "multi")

    skopeo_copy(f"oci:{lay.path}:v1", f"docker-archive:{tar}:example.com/x:v1")
    docker_archive_classic(lay, "v1", tar2, repo_tags=["example.com/x:v1"])

Layer file dicts map a path (relative, no leading '/') to: bytes or str (regular file, 0644),
File(data, mode=...), Dir(mode=...), Symlink(target), HardLink(target), Whiteout() (deletes the
path from lower layers: written as ".wh.<name>") or Opaque() (the path is a directory whose lower
contents are hidden: written as "<path>/.wh..wh..opq"). Parent directories are added
automatically.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
REF_NAME = "org.opencontainers.image.ref.name"
EPOCH = "2024-01-01T00:00:00Z"


# ------------------------------------------------------------------ layer entries

@dataclass
class File:
    data: bytes | str = b""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0


@dataclass
class Dir:
    mode: int = 0o755


@dataclass
class Symlink:
    target: str


@dataclass
class HardLink:
    target: str


@dataclass
class Whiteout:
    pass


@dataclass
class Opaque:
    pass


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def _tarinfo(name: str, type_, mode: int) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type = type_
    ti.mode = mode
    ti.mtime = 0
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    return ti


def layer_tar(files: dict, fmt=tarfile.PAX_FORMAT) -> bytes:
    """An uncompressed layer tar with entries in sorted order and parents created first."""
    entries: dict[str, object] = {}
    for path, val in files.items():
        path = path.strip("/")
        parts = path.split("/")
        for i in range(1, len(parts)):
            entries.setdefault("/".join(parts[:i]), Dir())
        if isinstance(val, Whiteout):
            parent = "/".join(parts[:-1])
            entries[(parent + "/" if parent else "") + ".wh." + parts[-1]] = File(b"")
        elif isinstance(val, Opaque):
            entries.setdefault(path, Dir())
            entries[path + "/.wh..wh..opq"] = File(b"")
        else:
            entries[path] = val
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name in sorted(entries):
            val = entries[name]
            if isinstance(val, (bytes, str)):
                val = File(val)
            if isinstance(val, File):
                data = val.data.encode() if isinstance(val.data, str) else val.data
                ti = _tarinfo(name, tarfile.REGTYPE, val.mode)
                ti.uid, ti.gid = val.uid, val.gid
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
            elif isinstance(val, Dir):
                tf.addfile(_tarinfo(name, tarfile.DIRTYPE, val.mode))
            elif isinstance(val, Symlink):
                ti = _tarinfo(name, tarfile.SYMTYPE, 0o777)
                ti.linkname = val.target
                tf.addfile(ti)
            elif isinstance(val, HardLink):
                ti = _tarinfo(name, tarfile.LNKTYPE, 0o644)
                ti.linkname = val.target
                tf.addfile(ti)
            else:
                raise TypeError(f"{name}: unsupported layer entry {val!r}")
    return buf.getvalue()


def have_zstd() -> bool:
    return shutil.which("zstd") is not None


def compress(data: bytes, kind: str) -> bytes:
    """kind: "gzip" (deterministic, mtime 0), "zstd" (needs the zstd tool) or "none"."""
    if kind == "none":
        return data
    if kind == "gzip":
        return gzip.compress(data, mtime=0)
    if kind == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, check=True,
                              capture_output=True).stdout
    raise ValueError(kind)


def layer_media_type(kind: str, docker: bool) -> str:
    if docker:
        if kind != "gzip":
            raise ValueError("Docker schema2 layers are gzip")
        return MT_DOCKER_LAYER
    return MT_OCI_LAYER + {"none": "", "gzip": "+gzip", "zstd": "+zstd"}[kind]


def parse_platform(p: str) -> dict:
    parts = p.split("/")
    d = {"os": parts[0], "architecture": parts[1]}
    if len(parts) > 2:
        d["variant"] = parts[2]
    return d


# ------------------------------------------------------------------ OCI layout

@dataclass
class Image:
    desc: dict            # the manifest descriptor (mediaType, digest, size[, platform])
    manifest: dict
    manifest_raw: bytes
    config: dict
    config_raw: bytes
    layers: list = field(default_factory=list)     # layer descriptors
    diff_ids: list = field(default_factory=list)
    layer_tars: list = field(default_factory=list)  # uncompressed tars

    @property
    def digest(self) -> str:
        return self.desc["digest"]


class Layout:
    """An OCI image layout directory (image-spec image-layout.md)."""

    def __init__(self, path):
        self.path = Path(path)
        (self.path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        self.index = {"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": []}
        self.images: dict[str, Image] = {}

    def blob_path(self, digest: str) -> Path:
        alg, hexd = digest.split(":", 1)
        return self.path / "blobs" / alg / hexd

    def add_blob(self, data: bytes, media_type: str | None = None) -> dict:
        d = sha256(data)
        self.blob_path(d).write_bytes(data)
        desc = {"digest": d, "size": len(data)}
        if media_type:
            desc = {"mediaType": media_type, **desc}
        return desc

    def add_image(self, layers: list[dict], compression="gzip", platform="linux/amd64",
                  config: dict | None = None, docker=False, history=True, annotations=None,
                  top: dict | None = None) -> Image:
        """One image manifest. `layers` are file dicts (or raw tar bytes); `compression` one
        kind for all layers or a list per layer; `config` goes into the config's "config"
        member; `top` merges extra top-level config members; docker=True writes Docker
        schema2 media types."""
        kinds = compression if isinstance(compression, list) else [compression] * len(layers)
        plat = parse_platform(platform)
        ldescs, diff_ids, tars = [], [], []
        for files, kind in zip(layers, kinds):
            tar = files if isinstance(files, bytes) else layer_tar(files)
            tars.append(tar)
            diff_ids.append(sha256(tar))
            ldescs.append(self.add_blob(compress(tar, kind), layer_media_type(kind, docker)))
        cfg = {"created": EPOCH, "architecture": plat["architecture"], "os": plat["os"],
               "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                          **(config or {})},
               "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        if "variant" in plat:
            cfg["variant"] = plat["variant"]
        if history:
            cfg["history"] = [{"created": EPOCH, "created_by": f"layer {i}"}
                              for i in range(len(layers))]
        cfg.update(top or {})
        cfg_raw = canonical_json(cfg)
        cdesc = self.add_blob(cfg_raw, MT_DOCKER_CONFIG if docker else MT_OCI_CONFIG)
        man = {"schemaVersion": 2,
               "mediaType": MT_DOCKER_MANIFEST if docker else MT_OCI_MANIFEST,
               "config": cdesc, "layers": ldescs}
        if annotations:
            man["annotations"] = annotations
        raw = canonical_json(man)
        desc = self.add_blob(raw, man["mediaType"])
        desc["platform"] = plat
        img = Image(desc, man, raw, cfg, cfg_raw, ldescs, diff_ids, tars)
        self.images[desc["digest"]] = img
        return img

    def add_raw_manifest(self, raw: bytes, media_type: str | None) -> dict:
        """Stores arbitrary manifest bytes (hostile tests) and returns a descriptor."""
        return self.add_blob(raw, media_type or MT_OCI_MANIFEST)

    def add_index(self, descs: list[dict], docker=False, annotations=None) -> dict:
        idx = {"schemaVersion": 2, "mediaType": MT_DOCKER_LIST if docker else MT_OCI_INDEX,
               "manifests": descs}
        if annotations:
            idx["annotations"] = annotations
        return self.add_blob(canonical_json(idx), idx["mediaType"])

    def tag(self, desc: dict, name: str | None):
        entry = {k: v for k, v in desc.items() if k != "platform" or name is None}
        if name is not None:
            entry["annotations"] = {REF_NAME: name}
        self.index["manifests"].append(entry)

    def save(self):
        (self.path / "index.json").write_bytes(canonical_json(self.index))

    def corrupt_blob(self, digest: str, data: bytes):
        """Replaces a blob's content without changing its name (digest mismatch)."""
        self.blob_path(digest).write_bytes(data)


def build_image(path, tag="latest", layers=None, **kw) -> tuple[Layout, Image]:
    lay = Layout(path)
    img = lay.add_image(layers if layers is not None else [{"hello.txt": b"hello\n"}], **kw)
    lay.tag(img.desc, tag)
    lay.save()
    return lay, img


def build_multiarch(path, tag="latest", platforms=("linux/amd64", "linux/arm64/v8"),
                    docker=False, **kw) -> tuple[Layout, dict, dict[str, Image]]:
    """An index with one image per platform, each with a distinct file."""
    lay = Layout(path)
    imgs = {}
    for p in platforms:
        imgs[p] = lay.add_image([{"platform.txt": p.encode() + b"\n"}], platform=p,
                                docker=docker, compression="gzip", **kw)
    idx = lay.add_index([imgs[p].desc for p in platforms], docker=docker)
    lay.tag(idx, tag)
    lay.save()
    return lay, idx, imgs


# ------------------------------------------------------------------ docker archives

def skopeo_copy(src: str, dst: str):
    subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", src, dst], check=True,
                   capture_output=True)


def skopeo_raw(ref: str, config=False, extra=()) -> bytes:
    args = ["skopeo", "inspect", "--raw", *extra, ref]
    if config:
        args = ["skopeo", "inspect", "--config", "--raw", *extra, ref]
    return subprocess.run(args, check=True, capture_output=True).stdout


def _add(tf: tarfile.TarFile, name: str, data: bytes):
    ti = _tarinfo(name, tarfile.REGTYPE, 0o644)
    ti.size = len(data)
    tf.addfile(ti, io.BytesIO(data))


def docker_archive_classic(img: Image, out, repo_tags=("example.com/test:latest",),
                           dedupe_symlink=False):
    """The classic `docker save` layout: <id>/layer.tar, <id>/json, <id>/VERSION, <hex>.json,
    manifest.json and repositories. With dedupe_symlink, a repeated layer is a symlink to the
    first copy as Docker writes it."""
    cfg_hex = sha256(img.config_raw).split(":")[1]
    layer_paths, seen = [], {}
    with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as tf:
        parent = ""
        for i, tar in enumerate(img.layer_tars):
            lid = hashlib.sha256((parent + img.diff_ids[i] + str(i)).encode()).hexdigest()
            parent = lid
            tf.addfile(_tarinfo(lid, tarfile.DIRTYPE, 0o755))
            _add(tf, f"{lid}/VERSION", b"1.0")
            _add(tf, f"{lid}/json", canonical_json({"id": lid}))
            if dedupe_symlink and img.diff_ids[i] in seen:
                ti = _tarinfo(f"{lid}/layer.tar", tarfile.SYMTYPE, 0o777)
                ti.linkname = f"../{seen[img.diff_ids[i]]}/layer.tar"
                tf.addfile(ti)
            else:
                _add(tf, f"{lid}/layer.tar", tar)
                seen[img.diff_ids[i]] = lid
            layer_paths.append(f"{lid}/layer.tar")
        _add(tf, f"{cfg_hex}.json", img.config_raw)
        manifest = [{"Config": f"{cfg_hex}.json", "RepoTags": list(repo_tags),
                     "Layers": layer_paths}]
        _add(tf, "manifest.json", json.dumps(manifest).encode())
        repos = {}
        for t in repo_tags:
            name, _, tag = t.rpartition(":")
            repos.setdefault(name, {})[tag] = parent
        _add(tf, "repositories", json.dumps(repos).encode())


def docker_archive_blobs(img: Image, out, repo_tags=("example.com/test:latest",)):
    """The Docker 25+ `docker save` layout: blobs/sha256/<hex> for configs and layers,
    manifest.json pointing at them (plus oci-layout and index.json, which vigil ignores)."""
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        for name in ("blobs", "blobs/sha256"):
            tf.addfile(_tarinfo(name, tarfile.DIRTYPE, 0o755))
        paths = []
        for i, tar in enumerate(img.layer_tars):
            p = "blobs/sha256/" + img.diff_ids[i].split(":")[1]
            if p not in paths:
                _add(tf, p, tar)
            paths.append(p)
        cfg = "blobs/sha256/" + sha256(img.config_raw).split(":")[1]
        _add(tf, cfg, img.config_raw)
        _add(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        _add(tf, "index.json", canonical_json({"schemaVersion": 2, "manifests": []}))
        _add(tf, "manifest.json", json.dumps([{"Config": cfg, "RepoTags": list(repo_tags),
                                               "Layers": paths}]).encode())


def archive_manifest(img_or_config_raw, layer_tars) -> bytes:
    """The manifest containers/image synthesizes for a docker-archive image."""
    cfg_raw = img_or_config_raw
    cfg = json.loads(cfg_raw)
    layers = ",".join(
        '{"mediaType":"%s","size":%d,"digest":"%s"}' % (MT_DOCKER_LAYER, len(t), d)
        for t, d in zip(layer_tars, cfg["rootfs"]["diff_ids"]))
    return ('{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","size":%d,'
            '"digest":"%s"},"layers":[%s]}' % (MT_DOCKER_MANIFEST, MT_DOCKER_CONFIG,
                                                len(cfg_raw), sha256(cfg_raw), layers)).encode()


def have_skopeo() -> bool:
    return shutil.which("skopeo") is not None
