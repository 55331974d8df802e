# SPDX-License-Identifier: Apache-2.0
"""Real clients against each registry implementation (plain HTTP on 127.0.0.1):

- skopeo: push of a multi-arch OCI index with every platform, pull back byte-for-byte,
  registry-to-registry copy into a second repository (blob mount); podman (vfs storage)
  pull and push;
- oras 1.2 (Debian trixie, unpacked by scripts/install-deps): artifact push/pull, `attach`
  and `discover` (the referrers API, or its tag-schema fallback on a registry without it);
- cosign 2.5 (Debian trixie): sign --key / verify, legacy `.sig` layout and OCI 1.1
  referrers mode; cross-checked with vigil's verifier;
- vigil's own sign/verify, legacy and bundle (referrers) layouts, verified by cosign too.

oras and cosign come from $VIGIL_TEST_CACHE/trixie-tools (scripts/install-deps); their tests
skip with a reason when that is absent.
"""
import json
import shutil
import subprocess
import tempfile

import pytest

import images
from conftest import run_vigil

from .regclient import MT_OCI_INDEX, env_cache

NO_REFERRERS = ("distribution 2.8 has no referrers API; clients fall back to the "
                "sha256-<hex> tag schema (distribution/distribution#3859)")
PW = {"COSIGN_PASSWORD": "pw", "VIGIL_PASSWORD": "pw"}
SKOPEO = ["skopeo", "--insecure-policy"]


def run(args, env=None, cwd=None, timeout=120):
    import os
    e = dict(os.environ, **(env or {}))
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=e, cwd=cwd,
                       timeout=timeout)
    return p


def ok(p):
    assert p.returncode == 0, f"{p.args}\nstdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}"
    return p


def tool(name: str) -> str:
    p = env_cache() / "trixie-tools" / "usr" / "bin" / name
    if not p.exists():
        pytest.skip(f"{name} (Debian trixie) is not unpacked at {p}: run scripts/install-deps")
    return str(p)


def need(cmd: str):
    if shutil.which(cmd) is None:
        pytest.skip(f"{cmd} is not installed")


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """A cosign key pair made by vigil (cosign's encrypted format)."""
    d = tmp_path_factory.mktemp("keys")
    r = run_vigil("generate-key-pair", env=PW, cwd=d)
    assert r.rc == 0, r
    return d / "cosign.key", d / "cosign.pub"


def referrers(client, repo, digest, artifact_type=None):
    t = f"/v2/{repo}/referrers/{digest}"
    if artifact_type:
        t += f"?artifactType={artifact_type}"
    r = client.request("GET", t)
    assert r.status == 200, r
    return r.json()["manifests"]


def tags(client, repo):
    r = client.request("GET", f"/v2/{repo}/tags/list")
    assert r.status == 200, r
    return r.json().get("tags") or []


# ------------------------------------------------------------------ skopeo

def test_skopeo_push_pull_multiarch(registry, client, repo, multiarch, tmp_path):
    need("skopeo")
    lay, idx, imgs = multiarch
    dst = f"docker://{registry.ref(repo)}:v1"
    ok(run([*SKOPEO, "copy", "-q", "--all", "--preserve-digests", "--dest-tls-verify=false",
            f"oci:{lay.path}:v1", dst]))
    r = client.get_manifest(repo, "v1")
    assert r.status == 200, r
    assert r.header("Docker-Content-Digest") == idx["digest"]
    assert r.header("Content-Type") == MT_OCI_INDEX
    for img in imgs.values():
        assert client.get_manifest(repo, img.digest).body == img.manifest_raw
    out = tmp_path / "pulled"
    ok(run([*SKOPEO, "copy", "-q", "--all", "--preserve-digests", "--src-tls-verify=false",
            dst, f"oci:{out}:v1"]))
    got = json.loads((out / "index.json").read_text())["manifests"]
    assert [m["digest"] for m in got] == [idx["digest"]]
    for img in imgs.values():
        for d in [img.manifest["config"]["digest"]] + [x["digest"] for x in img.layers]:
            a = (out / "blobs" / "sha256" / d.split(":")[1]).read_bytes()
            assert a == lay.blob_path(d).read_bytes()


def test_skopeo_copy_between_repositories(registry, client, repo, multiarch):
    need("skopeo")
    lay, idx, imgs = multiarch
    src, dst = f"{repo}-src", f"{repo}-dst"
    ok(run([*SKOPEO, "copy", "-q", "--all", "--preserve-digests", "--dest-tls-verify=false",
            f"oci:{lay.path}:v1", f"docker://{registry.ref(src)}:v1"]))
    ok(run([*SKOPEO, "copy", "-q", "--all", "--preserve-digests", "--src-tls-verify=false",
            "--dest-tls-verify=false", f"docker://{registry.ref(src)}:v1",
            f"docker://{registry.ref(dst)}:v2"]))
    r = client.get_manifest(dst, "v2")
    assert r.status == 200 and r.header("Docker-Content-Digest") == idx["digest"], r
    for img in imgs.values():
        for d in [x["digest"] for x in img.layers]:
            assert client.get_blob(dst, d, "HEAD").status == 200
    p = ok(run(["skopeo", "list-tags", "--tls-verify=false", f"docker://{registry.ref(dst)}"]))
    assert json.loads(p.stdout)["Tags"] == ["v2"]


def test_podman_pull_push(registry, client, repo, tmp_path, request):
    """podman (vfs storage, no daemon): pull an image, push it to another repository. podman
    re-compresses layers on push, so what must survive is the config and its diff_ids."""
    need("podman")
    lay, img = images.build_image(tmp_path / "oci", tag="v1",
                                  layers=[{"etc/os-release": b"ID=debian\n"},
                                          {"app/bin": bytes(range(256)) * 64}])
    ok(run([*SKOPEO, "copy", "-q", "--preserve-digests", "--dest-tls-verify=false",
            f"oci:{lay.path}:v1", f"docker://{registry.ref(repo)}:v1"]))
    runroot = tempfile.mkdtemp(prefix="vg-pm-")      # podman: runroot <= 50 characters
    request.addfinalizer(lambda: shutil.rmtree(runroot, ignore_errors=True))
    pm = ["podman", "--root", tmp_path / "pm-root", "--runroot", runroot,
          "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none"]
    ok(run([*pm, "pull", "-q", "--tls-verify=false", f"{registry.ref(repo)}:v1"]))
    ok(run([*pm, "push", "-q", "--tls-verify=false", f"{registry.ref(repo)}:v1",
            f"docker://{registry.ref(repo)}-copy:v2"]))
    r = client.get_manifest(f"{repo}-copy", "v2")
    assert r.status == 200, r
    cfg = r.json()["config"]["digest"]
    c = client.get_blob(f"{repo}-copy", cfg)
    assert c.status == 200, c
    assert json.loads(c.body)["rootfs"]["diff_ids"] == img.diff_ids
    for layer in r.json()["layers"]:
        assert client.get_blob(f"{repo}-copy", layer["digest"], "HEAD").status == 200


# ------------------------------------------------------------------ oras

def test_oras_push_pull_artifact(registry, repo, tmp_path):
    oras = tool("oras")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "model.bin").write_bytes(bytes(range(256)) * 300)
    (tmp_path / "in" / "README").write_text("an artifact\n")
    ref = f"{registry.ref(repo)}:art1"
    ok(run([oras, "push", "--plain-http", "--artifact-type", "application/vnd.example.model",
            ref, "model.bin:application/octet-stream", "README:text/plain"],
           cwd=tmp_path / "in"))
    (tmp_path / "out").mkdir()
    ok(run([oras, "pull", "--plain-http", "-o", tmp_path / "out", ref]))
    for f in ("model.bin", "README"):
        assert (tmp_path / "out" / f).read_bytes() == (tmp_path / "in" / f).read_bytes()
    p = ok(run([oras, "manifest", "fetch", "--plain-http", ref]))
    assert json.loads(p.stdout)["artifactType"] == "application/vnd.example.model"


def oras_attach(oras, registry, repo, tmp_path, subject_tag="v1"):
    (tmp_path / "sbom.json").write_text('{"sbom": true}\n')
    ok(run([oras, "attach", "--plain-http", "--artifact-type", "application/vnd.example.sbom",
            "--annotation", "org.example.kind=sbom", f"{registry.ref(repo)}:{subject_tag}",
            "sbom.json:application/json"], cwd=tmp_path))
    p = ok(run([oras, "discover", "--plain-http", "--format", "json",
                f"{registry.ref(repo)}:{subject_tag}"]))
    return json.loads(p.stdout)


def test_oras_attach_and_discover(registry, client, content, repo, tmp_path):
    oras = tool("oras")
    content.push_image(client, repo, "v1")
    doc = oras_attach(oras, registry, repo, tmp_path)
    found = doc.get("manifests") or doc.get("referrers") or []
    assert [m["artifactType"] for m in found] == ["application/vnd.example.sbom"], doc


@pytest.mark.xfail_impl("docker-registry", NO_REFERRERS)
def test_oras_attach_uses_referrers_api(registry, client, content, repo, tmp_path):
    oras = tool("oras")
    md = content.push_image(client, repo, "v1")
    oras_attach(oras, registry, repo, tmp_path)
    got = referrers(client, repo, md)
    assert [m["artifactType"] for m in got] == ["application/vnd.example.sbom"], got
    assert got[0]["annotations"]["org.example.kind"] == "sbom"
    # The API answered, so oras kept no fallback tag.
    assert tags(client, repo) == ["v1"]


# ------------------------------------------------------------------ cosign

COSIGN_REG = ["--allow-insecure-registry", "--allow-http-registry"]


def cosign_sign(cosign, keys, ref, *extra, env=None):
    return run([cosign, "sign", "--key", keys[0], "--tlog-upload=false", "-y", *COSIGN_REG,
                *extra, ref], env={**PW, **(env or {})})


def cosign_verify(cosign, keys, ref, *extra, env=None):
    return run([cosign, "verify", "--key", keys[1], "--insecure-ignore-tlog", *COSIGN_REG,
                *extra, ref], env={**PW, **(env or {})})


def test_cosign_sign_verify_legacy(registry, client, content, repo, keys, tmp_path):
    cosign = tool("cosign")
    md = content.push_image(client, repo, "v1")
    ref = f"{registry.ref(repo)}@{md}"
    ok(cosign_sign(cosign, keys, ref))
    assert f"{md.replace(':', '-')}.sig" in tags(client, repo)
    p = ok(cosign_verify(cosign, keys, f"{registry.ref(repo)}:v1"))
    assert json.loads(p.stdout)[0]["critical"]["image"]["docker-manifest-digest"] == md
    # vigil's verifier accepts cosign's signature, read from this registry.
    r = run_vigil("verify", "--key", keys[1], "--plain-http", ref)
    assert r.rc == 0, r
    # A different key is refused by both.
    other = tmp_path / "other"
    other.mkdir()
    assert run_vigil("generate-key-pair", env=PW, cwd=other).rc == 0
    assert cosign_verify(cosign, (None, other / "cosign.pub"), ref).returncode != 0
    assert run_vigil("verify", "--key", other / "cosign.pub", "--plain-http", ref).rc == 1


def test_cosign_sign_oci11_referrer(registry, client, content, repo, keys):
    """cosign's experimental OCI 1.1 mode: the signature is a manifest with a subject, found
    through the referrers API or the tag-schema fallback."""
    cosign = tool("cosign")
    md = content.push_image(client, repo, "v1")
    ref = f"{registry.ref(repo)}@{md}"
    exp = {"COSIGN_EXPERIMENTAL": "1"}
    ok(cosign_sign(cosign, keys, ref, "--registry-referrers-mode=oci-1-1", env=exp))
    ok(cosign_verify(cosign, keys, ref, "--experimental-oci11", env=exp))


@pytest.mark.xfail_impl("docker-registry", NO_REFERRERS)
def test_cosign_oci11_signature_in_referrers_api(registry, client, content, repo, keys):
    cosign = tool("cosign")
    md = content.push_image(client, repo, "v1")
    ok(cosign_sign(cosign, keys, f"{registry.ref(repo)}@{md}",
                   "--registry-referrers-mode=oci-1-1", env={"COSIGN_EXPERIMENTAL": "1"}))
    got = referrers(client, repo, md)
    assert [m["artifactType"] for m in got] == ["application/vnd.dev.cosign.artifact.sig.v1+json"]
    assert tags(client, repo) == ["v1"]


# ------------------------------------------------------------------ vigil sign / verify

def test_vigil_sign_verify_legacy(registry, client, content, repo, keys):
    md = content.push_image(client, repo, "v1")
    ref = f"{registry.ref(repo)}:v1"
    r = run_vigil("sign", "--key", keys[0], "--plain-http", ref, env=PW)
    assert r.rc == 0, r
    assert f"{md.replace(':', '-')}.sig" in tags(client, repo)
    r = run_vigil("verify", "--key", keys[1], "--plain-http", ref)
    assert r.rc == 0, r
    assert json.loads(r.out)[0]["critical"]["image"]["docker-manifest-digest"] == md
    cosign = env_cache() / "trixie-tools" / "usr" / "bin" / "cosign"
    if cosign.exists():                          # and cosign agrees
        ok(cosign_verify(str(cosign), keys, ref))


def test_vigil_sign_bundle_format(registry, client, content, repo, keys):
    md = content.push_image(client, repo, "v1")
    ref = f"{registry.ref(repo)}@{md}"
    r = run_vigil("sign", "--key", keys[0], "--plain-http", "--new-bundle-format", ref, env=PW)
    assert r.rc == 0, r
    r = run_vigil("verify", "--key", keys[1], "--plain-http", ref)
    assert r.rc == 0, r


@pytest.mark.xfail_impl("docker-registry", NO_REFERRERS)
def test_vigil_bundle_lands_in_referrers_api(registry, client, content, repo, keys):
    md = content.push_image(client, repo, "v1")
    r = run_vigil("sign", "--key", keys[0], "--plain-http", "--new-bundle-format",
                  f"{registry.ref(repo)}@{md}", env=PW)
    assert r.rc == 0, r
    got = referrers(client, repo, md, "application/vnd.dev.sigstore.bundle.v0.3+json")
    assert len(got) == 1, got
    assert tags(client, repo) == ["v1"]          # no fallback index was needed
