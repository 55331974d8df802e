#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes an OCI image layout from plain layer tars.

usage: mklayout.py OUTDIR COMPRESSION TAR... (COMPRESSION: gzip, zstd or none)

Each tar becomes one layer blob (compressed with the gzip/zstd command-line tools, so large
layers stay fast); diffIDs are the sha256 of the plain tars. The image is tagged "latest".
Used by bench/walk/run.sh and tests/e2e/test_layers.py.
"""
import hashlib
import json
import os
import subprocess
import sys

MEDIA = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.oci.image.layer.v1.tar",
}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def put_blob(blobs, data_path=None, data=None):
    if data is not None:
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, digest), "wb") as f:
            f.write(data)
        return digest, len(data)
    digest = sha256_file(data_path)
    dst = os.path.join(blobs, digest)
    os.replace(data_path, dst)
    return digest, os.path.getsize(dst)


def compress(tar, comp, tmp):
    if comp == "none":
        subprocess.run(["cp", tar, tmp], check=True)
        return
    cmd = ["gzip", "-6", "-n", "-c", tar] if comp == "gzip" else ["zstd", "-q", "-3", "-c", tar]
    with open(tmp, "wb") as out:
        subprocess.run(cmd, stdout=out, check=True)


def main(argv):
    if len(argv) < 4 or argv[2] not in MEDIA:
        sys.stderr.write(__doc__)
        return 2
    out, comp, tars = argv[1], argv[2], argv[3:]
    blobs = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    layers, diff_ids = [], []
    for i, tar in enumerate(tars):
        diff_ids.append("sha256:" + sha256_file(tar))
        tmp = os.path.join(out, "layer%d.tmp" % i)
        compress(tar, comp, tmp)
        digest, size = put_blob(blobs, data_path=tmp)
        layers.append({"mediaType": MEDIA[comp], "digest": "sha256:" + digest, "size": size})
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "layer %d" % i} for i in range(len(tars))],
    }
    cdig, csize = put_blob(blobs, data=json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + cdig, "size": csize},
        "layers": layers,
    }
    mdig, msize = put_blob(blobs, data=json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": manifest["mediaType"], "digest": "sha256:" + mdig,
                       "size": msize,
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
    }
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    for layer in layers:
        print(layer["digest"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
