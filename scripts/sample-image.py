#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Builds the small sample image that `make demo` scans: an OCI image layout with three
gzip layers, written with the standard library only (tarfile, gzip, json, hashlib), fully
reproducible (fixed mtimes), so its digests are the same on every machine.

Contents, chosen so that every scanner of vigil has something to say:
  layer 1  a Debian 12 base: os-release and a dpkg status with old openssl/zlib versions
  layer 2  a Node app with lodash 4.17.15 and minimist 1.2.0, a Python requests 2.19.1
  layer 3  app config with a planted (fake) AWS key and a pickle that imports os.system,
           plus the deletion of a file from layer 1 (a whiteout)
The config runs as root, exposes port 22, and has no HEALTHCHECK.

Usage: sample-image.py OUTDIR   (OUTDIR becomes an OCI layout; tag "demo")
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MTIME = 1700000000

DPKG_STATUS = """\
Package: base-files
Status: install ok installed
Priority: required
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit - shared libraries

Package: openssl
Status: install ok installed
Priority: optional
Architecture: amd64
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit - cryptographic utility

Package: zlib1g
Status: install ok installed
Priority: optional
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime

Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
"""

OS_RELEASE = """\
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"""

def pkg_json(name, version, extra=None):
    d = {"name": name, "version": version, "license": "MIT"}
    d.update(extra or {})
    return json.dumps(d, indent=2).encode()

# A pickle that would call os.system("id") when loaded (protocol 2). Never loaded here.
EVIL_PICKLE = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."

FAKE_AWS = (b"[default]\naws_access_key_id = AKIA2E0A8F3B244C9986\n"
            b"aws_secret_access_key = 7CE556A3BC234CC1FF9E8A5C324C0BB70AA21B6D\n")


def layer(files):
    """files: list of (path, bytes|None for dir, mode)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for path, data, mode in files:
            ti = tarfile.TarInfo(path)
            ti.mtime = MTIME
            ti.mode = mode
            ti.uname = ti.gname = "root"
            if data is None:
                ti.type = tarfile.DIRTYPE
                tf.addfile(ti)
            else:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
    plain = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(plain)
    return plain, gz.getvalue()


def main():
    out = sys.argv[1]
    blobs = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put(data):
        h = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, h), "wb") as f:
            f.write(data)
        return "sha256:" + h

    layers = [
        [("etc/", None, 0o755), ("etc/os-release", OS_RELEASE.encode(), 0o644),
         ("etc/debian_version", b"12.4\n", 0o644),
         ("var/", None, 0o755), ("var/lib/", None, 0o755), ("var/lib/dpkg/", None, 0o755),
         ("var/lib/dpkg/status", DPKG_STATUS.encode(), 0o644),
         ("tmp/", None, 0o1777), ("tmp/build.log", b"build output\n", 0o644)],
        [("app/", None, 0o755), ("app/package.json", pkg_json("demo-app", "1.0.0", {
            "dependencies": {"lodash": "4.17.15", "minimist": "1.2.0"}}), 0o644),
         ("app/node_modules/", None, 0o755),
         ("app/node_modules/lodash/", None, 0o755),
         ("app/node_modules/lodash/package.json", pkg_json("lodash", "4.17.15"), 0o644),
         ("app/node_modules/minimist/", None, 0o755),
         ("app/node_modules/minimist/package.json", pkg_json("minimist", "1.2.0"), 0o644),
         ("usr/", None, 0o755), ("usr/lib/", None, 0o755), ("usr/lib/python3/", None, 0o755),
         ("usr/lib/python3/site-packages/", None, 0o755),
         ("usr/lib/python3/site-packages/requests-2.19.1.dist-info/", None, 0o755),
         ("usr/lib/python3/site-packages/requests-2.19.1.dist-info/METADATA",
          b"Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\nLicense: Apache 2.0\n", 0o644)],
        [("app/config/", None, 0o755), ("app/config/credentials", FAKE_AWS, 0o600),
         ("app/models/", None, 0o755), ("app/models/classifier.pkl", EVIL_PICKLE, 0o644),
         ("tmp/.wh.build.log", b"", 0o644)],
    ]
    descs, diff_ids = [], []
    for files in layers:
        plain, gz = layer(files)
        diff_ids.append("sha256:" + hashlib.sha256(plain).hexdigest())
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": put(gz), "size": len(gz)})
    config = {
        "created": "2023-11-14T22:13:20Z",
        "architecture": "amd64", "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "NODE_ENV=production"],
            "Entrypoint": ["node", "/app/server.js"],
            "ExposedPorts": {"22/tcp": {}, "8080/tcp": {}},
            "WorkingDir": "/app",
            "Labels": {"org.opencontainers.image.source": "https://example.invalid/demo"},
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": "2023-11-14T22:13:20Z", "created_by": "/bin/sh -c #(nop) ADD file:base in /"},
            {"created": "2023-11-14T22:13:20Z", "created_by": "/bin/sh -c npm install && pip install requests==2.19.1"},
            {"created": "2023-11-14T22:13:20Z", "created_by": "/bin/sh -c #(nop) COPY dir:app in /app"},
        ],
    }
    cfg = json.dumps(config, separators=(",", ":")).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": put(cfg), "size": len(cfg)},
                "layers": descs}
    mb = json.dumps(manifest, separators=(",", ":")).encode()
    md = put(mb)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": md, "size": len(mb),
                            "annotations": {"org.opencontainers.image.ref.name": "demo"}}]}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(md)


if __name__ == "__main__":
    main()
