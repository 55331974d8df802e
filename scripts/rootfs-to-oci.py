#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Packs a root filesystem directory (and optionally an app directory placed at /app) into an
OCI image layout with gzip layers, tag "latest". Uses tar(1) for the layer so ownership, modes
and links are kept as they are; gzip -6 like common builders. With SPLIT_NODE_MODULES=1 in the
environment, APP_DIR/node_modules becomes a layer of its own before the rest of the app (three
layers, as `COPY package*.json; RUN npm ci; COPY . .` builds them).

Usage: rootfs-to-oci.py OUT_LAYOUT ROOTFS [APP_DIR]
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def main():
    out, rootfs = sys.argv[1], sys.argv[2]
    app = sys.argv[3] if len(sys.argv) > 3 else None
    blobs = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put_file(path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        d = h.hexdigest()
        os.replace(path, os.path.join(blobs, d))
        return "sha256:" + d

    def put(data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(data)
        return "sha256:" + d

    layers, diff_ids = [], []
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        sources = [(rootfs, ".", [])]
        history = ["debootstrap"]
        if app:
            parent, base = os.path.dirname(os.path.abspath(app)), os.path.basename(app)
            nm = os.path.join(app, "node_modules")
            if os.environ.get("SPLIT_NODE_MODULES") == "1" and os.path.isdir(nm):
                sources.append((parent, f"{base}/node_modules", []))
                sources.append((parent, base, [f"--exclude={base}/node_modules"]))
                history += ["RUN npm ci", "COPY . /app"]
            else:
                sources.append((parent, base, []))
                history.append("COPY app /app")
        for i, (cwd, what, extra) in enumerate(sources):
            plain = os.path.join(tmp, f"l{i}.tar")
            base = what.split("/")[0]
            transform = [] if what == "." else ["--transform", f"s,^{base},app,"]
            subprocess.run(["tar", "--numeric-owner", "--sort=name", "--exclude=./.complete",
                            "--exclude=./proc/*", "--exclude=./sys/*", "--exclude=./dev/*",
                            *extra, *transform, "-cf", plain, "-C", cwd, what], check=True)
            h = hashlib.sha256()
            with open(plain, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            diff_ids.append("sha256:" + h.hexdigest())
            subprocess.run(["gzip", "-6", "-n", plain], check=True)
            size = os.path.getsize(plain + ".gz")
            layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                           "digest": put_file(plain + ".gz"), "size": size})
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
                                 "Cmd": ["/bin/bash"]},
                      "rootfs": {"type": "layers", "diff_ids": diff_ids},
                      "history": [{"created_by": h} for h in history]},
                     separators=(",", ":")).encode()
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": put(cfg), "size": len(cfg)},
                      "layers": layers}, separators=(",", ":")).encode()
    md = put(man)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
            "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


if __name__ == "__main__":
    main()
