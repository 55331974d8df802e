# SPDX-License-Identifier: Apache-2.0
"""The registry client pool (oci/remote_pool.c) from 8 threads x 5 manifest pulls: against a
Bearer-token registry that counts token requests (exactly one must arrive: the threads share
one token cache and one fetch), and against Debian's docker-registry with Basic auth. The C side
is tests/unit/net/test_registry_pool.c, run here with the servers' addresses."""
import os
import subprocess
from pathlib import Path

import pytest

import images
from registry_fixtures import Registry
from test_registry_pull import FakeRegistry


def _pool_binary():
    from conftest import vigil_bin
    p = Path(vigil_bin()).resolve().parents[2] / "tests" / "unit" / "net" / "test_oci_registry_pool"
    if not p.exists():
        pytest.skip(f"{p} is not built")
    return p


def _run(env):
    p = subprocess.run([str(_pool_binary()), "--verbose"], env=dict(os.environ, **env),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def test_pool_threads_fetch_one_token(tmp_path):
    lay, img = images.build_image(tmp_path / "fake", tag="v1")
    fr = FakeRegistry(lay.path, user="bob", password="pw")
    try:
        p = _run({"VG_TEST_TOKEN_REGISTRY": fr.host, "VG_TEST_REGISTRY_CREDS": "bob:pw"})
        assert "pool token fetches: 1" in p.stdout + p.stderr
        assert len(fr.token_requests) == 1, fr.token_requests
        t = fr.token_requests[0]
        assert t["scope"] == "repository:team/app:pull"
        assert t["auth"] and t["auth"].startswith("Basic ")
        # 8 threads x 5 pulls all answered with the one token (plus each new client's first
        # anonymous request, answered by a challenge).
        assert len(fr.registry_requests) >= 40
    finally:
        fr.stop()


def test_pool_threads_basic_auth_docker_registry(tmp_path):
    reg = Registry(tmp_path, auth=("carol", "pw")).start()
    try:
        lay, img = images.build_image(tmp_path / "img", tag="v1")
        reg.push(f"oci:{lay.path}:v1", "pool/app:v1")
        _run({"VG_TEST_REGISTRY": reg.host, "VG_TEST_REGISTRY_CREDS": "carol:pw",
              "VG_TEST_REGISTRY_IMAGE": "pool/app:v1"})
    finally:
        reg.stop()
