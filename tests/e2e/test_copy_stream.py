# SPDX-License-Identifier: Apache-2.0
"""vigil copy streams blobs from registry to registry (docs/cosign-commands.md): a 96 MiB layer
is copied between two of vigil's registries while the copy's peak RSS (from /usr/bin/time -v)
stays far below the blob's size, and the destination holds exactly the source's bytes. A
source whose blob does not match its descriptor is refused and the destination does not
commit it."""
import hashlib
import json
import os

import pytest

from conftest import vigil_bin
from peak_rss import require_time, run_peak_rss
from registry_serve import Serve

MT = "application/vnd.oci.image.manifest.v1+json"
BIG = 96 * 1024 * 1024
RSS_MAX_KB = 48 * 1024  # well under BIG: the old copy held the whole blob (>= 96 MiB)


@pytest.fixture
def regs(tmp_path):
    require_time()
    a = Serve(tmp_path / "a", tmp_path / "a.log").start()
    b = Serve(tmp_path / "b", tmp_path / "b.log").start()
    try:
        yield a, b
    finally:
        a.kill()
        b.kill()


def image(reg, repo, layer: bytes, size=None):
    ld = reg.push_blob(repo, layer)
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": [ld]}}).encode()
    cd = reg.push_blob(repo, cfg)
    raw = json.dumps({"schemaVersion": 2, "mediaType": MT,
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": cd, "size": len(cfg)},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                  "digest": ld, "size": size or len(layer)}]}).encode()
    assert reg.put_manifest(repo, "v1", raw, MT).status == 201
    return ld


def timed_copy(src, dst):
    return run_peak_rss([vigil_bin(), "copy", "--plain-http", "--format", "json", src, dst],
                        env={**os.environ, "XDG_CACHE_HOME": "/tmp/vigil-test-cache"})


def test_large_blob_is_streamed_with_bounded_memory(regs):
    a, b = regs
    # Not all zeros: a compressible blob could hide buffering behind a small page footprint.
    layer = hashlib.sha256(b"seed").digest() * (BIG // 32)
    ld = image(a, "team/big", layer)
    p, rss = timed_copy(f"{a.host}/team/big:v1", f"{b.host}/mirror/big:v1")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["blobs"] == 2, p.stdout
    assert rss < RSS_MAX_KB, f"peak RSS {rss} KiB for a {BIG >> 20} MiB blob"
    got = b.req("GET", f"/v2/mirror/big/blobs/{ld}")
    assert got.status == 200 and "sha256:" + hashlib.sha256(got.body).hexdigest() == ld


def test_blob_that_does_not_match_its_descriptor_is_not_committed(regs):
    a, b = regs
    layer = b"x" * 4096
    ld = image(a, "team/liar", layer, size=len(layer) - 1)  # the descriptor understates it
    p, _ = timed_copy(f"{a.host}/team/liar:v1", f"{b.host}/mirror/liar:v1")
    assert p.returncode != 0 and ld in p.stderr, p.stderr
    assert b.req("HEAD", f"/v2/mirror/liar/blobs/{ld}").status == 404
    assert b.req("HEAD", "/v2/mirror/liar/manifests/v1").status == 404
