# SPDX-License-Identifier: Apache-2.0
"""DOCKER_CONTENT_TRUST=1 on the commands that pull by tag (`sbom`, `scan`, `copy`), as docker
pull: the tag is resolved through the notary targets of its GUN (the real notary-server of
test_dct_notary.py's `dct` fixture), the image is pulled by the signed digest, and a tag
without trust data is refused. v1 is signed; v3 is signed with v1's bytes (the registry serves
other bytes for v3), so a trusted pull of v3 reads v1's manifest; v2 is unsigned."""
from __future__ import annotations

import hashlib
import json

from conftest import run_vigil
from notary_fixtures import dct, docker_config, env_for, pytestmark  # noqa: F401


def digest(dct, tag):
    return "sha256:" + hashlib.sha256(dct["manifests"][tag]).hexdigest()


def test_sbom_pulls_the_signed_digest(dct, tmp_path):
    dc = docker_config(dct, tmp_path)
    trust = env_for(dct, dc, DOCKER_CONTENT_TRUST="1")
    r = run_vigil("sbom", "--format", "json", f"{dct['gun']}:v1", "--no-cache", env=trust)
    assert r.rc == 0, r
    assert digest(dct, "v1") in r.out
    # v3's signed target is v1's manifest: that is what is read, not the registry's v3
    r = run_vigil("sbom", "--format", "json", f"{dct['gun']}:v3", "--no-cache", env=trust)
    assert r.rc == 0, r
    assert digest(dct, "v1") in r.out and digest(dct, "v3") not in r.out, r.out
    r = run_vigil("sbom", "--format", "json", f"{dct['gun']}:v3", "--no-cache",
                  env=env_for(dct, dc))
    assert r.rc == 0 and digest(dct, "v3") in r.out, r
    # unsigned: refused with trust; fine without
    r = run_vigil("sbom", f"{dct['gun']}:v2", "--no-cache", env=trust)
    assert r.rc == 4 and "DOCKER_CONTENT_TRUST=1" in r.err and "no trust data" in r.err, r
    assert run_vigil("sbom", f"{dct['gun']}:v2", "--no-cache", env=env_for(dct, dc)).rc == 0
    # by digest: content fixed already, no trust data needed (as docker pull)
    r = run_vigil("sbom", f"{dct['gun']}@{digest(dct, 'v2')}", "--no-cache", env=trust)
    assert r.rc == 0, r


def test_scan_refuses_unsigned_tag(dct, tmp_path):
    dc = docker_config(dct, tmp_path)
    trust = env_for(dct, dc, DOCKER_CONTENT_TRUST="1")
    r = run_vigil("scan", "--scanners", "secret", "--format", "json", "--no-cache",
                  f"{dct['gun']}:v2", env=trust)
    assert r.rc == 4 and "no trust data" in r.err, r
    r = run_vigil("scan", "--scanners", "secret", "--format", "json", "--no-cache",
                  f"{dct['gun']}:v3", env=trust)
    assert r.rc == 0, r
    meta = json.loads(r.out)["Metadata"]
    assert any(d.endswith(digest(dct, "v1")) for d in meta["RepoDigests"]), meta


def test_copy_uses_the_signed_digest(dct, tmp_path):
    dc = docker_config(dct, tmp_path)
    trust = env_for(dct, dc, DOCKER_CONTENT_TRUST="1")
    reg = dct["reg"]
    r = run_vigil("copy", f"{dct['gun']}:v2", f"{reg.host}/copies/a:v2", env=trust)
    assert r.rc == 4 and "no trust data" in r.err, r
    r = run_vigil("copy", f"{dct['gun']}:v3", f"{reg.host}/copies/a:v3", env=trust)
    assert r.rc == 0, r
    got = reg.req("GET", "/v2/copies/a/manifests/v3",
                  headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert got.status == 200 and got.body == dct["manifests"]["v1"], got


# ------------------------------------------------------------------ policy authority

def dct_policy(tmp_path, body="{}"):
    p = tmp_path / "dct-policy.yaml"
    p.write_text("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: dct}\nspec:\n"
                 "  signatures:\n    - images: [\"**\"]\n      dct: " + body + "\n")
    return p


def test_policy_check_dct_authority(dct, tmp_path):
    dc = docker_config(dct, tmp_path)
    e = env_for(dct, dc)
    gun = dct["gun"]

    def check(ref, body="{}"):
        return run_vigil("policy", "check", "-p", dct_policy(tmp_path, body), "--format",
                         "json", ref, env=e)

    r = check(f"{gun}:v1")
    assert r.rc == 0, r
    r = check(f"{gun}:v2")
    assert r.rc == 1 and "no trust data" in r.out, r
    r = check(f"{gun}:v3")  # signed, but not the bytes the registry serves for v3
    assert r.rc == 1 and "not the one signed" in r.out, r
    # by digest: some signed tag must name it
    assert check(f"{gun}@{digest(dct, 'v1')}").rc == 0
    r = check(f"{gun}@{digest(dct, 'v2')}")
    assert r.rc == 1 and "no trust data" in r.out, r
    # a signer constraint: v1 is signed with the repository key, not by alice
    r = check(f"{gun}:v1", "{signers: [alice]}")
    assert r.rc == 1 and "required signers" in r.out, r
    # another server: unverifiable, a deny
    r = check(f"{gun}:v1", "{server: \"https://127.0.0.1:1\"}")
    assert r.rc == 1 and "unverifiable" in r.out, r
    # bad authority definitions are refused at load
    r = check(f"{gun}:v1", "{server: \"http://x\"}")
    assert r.rc == 6 and "https://" in r.err, r
    r = check(f"{gun}:v1", "[alice]")
    assert r.rc == 6 and "must be a map" in r.err, r
    r = check(f"{gun}:v1", "{signers: [\"a/b\"]}")
    assert r.rc == 6 and "signer name" in r.err, r


def test_admit_check_dct_authority(dct, tmp_path):
    dc = docker_config(dct, tmp_path)
    pol = dct_policy(tmp_path)
    for tag, rc in (("v1", 0), ("v2", 1)):
        m = tmp_path / f"pod-{tag}.yaml"
        m.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\n"
                     f"spec:\n  containers:\n  - {{name: c, image: \"{dct['gun']}:{tag}\"}}\n")
        r = run_vigil("admit", "check", "-p", pol, m, env=env_for(dct, dc))
        assert r.rc == rc, r
        if rc:
            assert "no trust data" in r.out + r.err, r
