# SPDX-License-Identifier: Apache-2.0
"""An OCI layout whose one layer is big when decompressed (a file of zeros: a small gzip blob
that takes seconds to inflate, hash and walk), written as a stream so the test never holds it
in memory; optionally also a docker-archive of the same image."""
from __future__ import annotations

import gzip
import hashlib
import json
import tarfile
from pathlib import Path

from images import EPOCH, MT_OCI_CONFIG, MT_OCI_INDEX, MT_OCI_MANIFEST, REF_NAME, canonical_json

MT_GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CHUNK = 1 << 20


def _tar_stream(size):
    ti = tarfile.TarInfo("data/zeros.bin")
    ti.size, ti.mode, ti.mtime = size, 0o644, 0
    yield ti.tobuf(format=tarfile.PAX_FORMAT)
    zeros = bytes(CHUNK)
    left = size
    while left:
        n = min(left, CHUNK)
        yield zeros[:n]
        left -= n
    pad = (-size) % 512
    yield bytes(pad + 1024)


def build_big_layout(root, size, tag="latest"):
    """Returns (layout path, layer digest, layer compressed size)."""
    root = Path(root)
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    tmp = root / "layer.tmp"
    diff = hashlib.sha256()
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
            for part in _tar_stream(size):
                diff.update(part)
                gz.write(part)
    data_digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    lsize = tmp.stat().st_size
    tmp.rename(blobs / data_digest)

    def add(obj):
        raw = canonical_json(obj)
        d = hashlib.sha256(raw).hexdigest()
        (blobs / d).write_bytes(raw)
        return f"sha256:{d}", len(raw)

    cfg = {"created": EPOCH, "architecture": "amd64", "os": "linux", "config": {},
           "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff.hexdigest()}"]}}
    cd, cs = add(cfg)
    man = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
           "config": {"mediaType": MT_OCI_CONFIG, "digest": cd, "size": cs},
           "layers": [{"mediaType": MT_GZIP_LAYER, "digest": f"sha256:{data_digest}",
                       "size": lsize}]}
    md, ms = add(man)
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    idx = {"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
           "manifests": [{"mediaType": MT_OCI_MANIFEST, "digest": md, "size": ms,
                          "annotations": {REF_NAME: tag}}]}
    (root / "index.json").write_text(json.dumps(idx))
    return root, f"sha256:{data_digest}", lsize
