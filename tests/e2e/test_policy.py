# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of `vigil policy check`: vigil's ImagePolicy against images signed and
unsigned by vigil's signer in Debian's docker-registry on loopback (signed allowed, unsigned,
wrong key and unreachable registry denied with reasons), look-alike registries and :latest
denied, manifests with -f, JSON output, exit codes, and policies refused at load."""
import json

import pytest

import images
from registry_fixtures import Registry

PW = {"COSIGN_PASSWORD": "pw"}


@pytest.fixture
def reg(tmp_path):
    r = Registry(tmp_path).start()
    yield r
    r.stop()


@pytest.fixture
def env(vigil, reg, tmp_path):
    lay, img = images.build_image(tmp_path / "oci", tag="v1",
                                  layers=[{"etc/os-release": b"ID=debian\n"}])
    for name in ("team/signed", "team/unsigned"):
        reg.push(f"oci:{lay.path}:v1", f"{name}:v1")
    for prefix in ("good", "other"):
        r = vigil("generate-key-pair", "--output-key-prefix", prefix, env=PW, cwd=tmp_path)
        assert r.rc == 0, r
    r = vigil("sign", "--plain-http", "--key", tmp_path / "good.key", reg.ref("team/signed:v1"),
              env=PW, cwd=tmp_path)
    assert r.rc == 0, r
    return {"reg": reg, "dir": tmp_path, "digest": img.digest}


def write_policy(d, key, trusted, name="p.yaml", extra=""):
    p = d / name
    p.write_text(f"""apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {{name: signed}}
spec:
  trustedImages: ["{trusted}/**"]
  tags: {{forbid: [latest]}}
  signatures:
    - images: ["{trusted}/**"]
      keys: [{{file: {key}}}]
{extra}""")
    return p


def check(vigil, *args):
    return vigil("policy", "check", "--plain-http", *[str(a) for a in args])


def test_signed_allowed_unsigned_and_wrong_key_denied(vigil, env):
    reg, d = env["reg"], env["dir"]
    pol = write_policy(d, "good.pub", reg.host)
    r = check(vigil, "-p", pol, reg.ref("team/signed:v1"))
    assert r.rc == 0, r
    assert r.out.startswith("allow"), r
    r = check(vigil, "-p", pol, reg.ref("team/unsigned:v1"))
    assert r.rc == 1, r
    assert "signature missing or invalid" in r.out and "no signatures found" in r.out, r
    wrong = write_policy(d, "other.pub", reg.host, name="wrong.yaml")
    r = check(vigil, "-p", wrong, reg.ref("team/signed:v1"))
    assert r.rc == 1 and "signature missing or invalid" in r.out, r


def test_lookalike_latest_and_unreachable_denied_with_reasons(vigil, env):
    reg, d = env["reg"], env["dir"]
    pol = write_policy(d, "good.pub", reg.host)
    host, port = reg.host.split(":")
    r = check(vigil, "-p", pol, f"{host}.evil.io:{port}/team/signed:v1", "nginx",
              "--format", "json")
    assert r.rc == 1, r
    out = json.loads(r.out)
    assert out["allowed"] is False
    res = {x["image"]: x for x in out["results"]}
    msgs = lambda img: " | ".join(m["message"] for m in res[img]["reasons"])
    assert res["nginx"]["decision"] == "deny"
    assert "not in a trusted registry" in msgs("nginx") and "tag 'latest'" in msgs("nginx")
    assert "not in a trusted registry" in msgs(f"{host}.evil.io:{port}/team/signed:v1")
    unreach = write_policy(d, "good.pub", "127.0.0.1:1", name="unreach.yaml")
    r = check(vigil, "-p", unreach, "127.0.0.1:1/team/signed:v1")
    assert r.rc == 1 and "signature unverifiable" in r.out, r


def test_manifest_file_and_warn_mode(vigil, env):
    reg, d = env["reg"], env["dir"]
    pol = write_policy(d, "good.pub", reg.host)
    warn = d / "warn.yaml"
    warn.write_text("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: pin}\n"
                    "spec:\n  mode: warn\n  tags: {requireDigest: true}\n")
    m = d / "deploy.yaml"
    m.write_text(f"""apiVersion: v1
kind: Namespace
metadata: {{name: shop}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  template:
    spec:
      initContainers: [{{name: init, image: "{reg.ref('team/signed:v1')}"}}]
      containers: [{{name: app, image: "{reg.ref('team/signed:v1')}"}}]
""")
    r = check(vigil, "-p", pol, "-p", warn, "-f", m, "--format", "json")
    assert r.rc == 0, r
    out = json.loads(r.out)
    assert [x["path"] for x in out["results"]] == [
        "spec.template.spec.initContainers[0].image", "spec.template.spec.containers[0].image"]
    assert all(x["decision"] == "warn" for x in out["results"]), out
    assert out["results"][0]["reasons"][0]["message"] == "not pinned by digest"


def test_offline_reports_unverifiable(vigil, env):
    reg, d = env["reg"], env["dir"]
    pol = write_policy(d, "good.pub", reg.host)
    r = check(vigil, "-p", pol, "--offline", reg.ref("team/signed:v1"))
    assert r.rc == 1 and "unverifiable" in r.out, r


def test_refused_policies_and_usage(vigil, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: x}\n"
                   "spec:\n  trustedImages: [\"registry.example.com/**\"]\n  tag: {}\n")
    r = vigil("policy", "check", "-p", bad, "nginx")
    assert r.rc == 6 and "bad.yaml:6:3: unknown key 'spec.tag'" in r.err, r
    cel = tmp_path / "cel.yaml"
    cel.write_text("apiVersion: admissionregistration.k8s.io/v1\n"
                   "kind: ValidatingAdmissionPolicy\nmetadata: {name: x}\n")
    r = vigil("policy", "check", "-p", cel, "nginx")
    assert r.rc == 6 and "cel.yaml:1:1" in r.err and "CEL" in r.err, r
    gk = tmp_path / "gk.yaml"
    gk.write_text("apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\n"
                  "metadata: {name: r}\nspec: {parameters: {repos: [gcr.io]}}\n")
    r = vigil("policy", "check", "-p", gk, "gcr.io.evil/x:1")
    assert r.rc == 0, r  # Gatekeeper's own raw-prefix semantics...
    assert "raw string prefix" in r.err and "'gcr.io'" in r.err  # ...with a warning
    assert vigil("policy", "check", "nginx").rc == 2
    assert vigil("policy", "check", "-p", gk).rc == 2
    r = vigil("policy", "check", "--help")
    assert r.rc == 0 and "Examples:" in r.out and "Exit status" in r.out
    tags = tmp_path / "tags.yaml"
    tags.write_text("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: t}\n"
                    "spec:\n  tags: {forbid: [latest]}\n")
    r = vigil("policy", "check", "-p", tags, "a" * 100_000, "--format", "json")
    assert r.rc == 1, r
    assert "longer than 4096 characters" in r.out


def test_manifest_image_volumes(vigil, env):
    """policy check -f decides image volumes (spec.volumes[].image.reference) like containers."""
    reg, d = env["reg"], env["dir"]
    pol = write_policy(d, "good.pub", reg.host)
    m = d / "pod.yaml"
    m.write_text(f"""apiVersion: v1
kind: Pod
metadata: {{name: p, namespace: shop}}
spec:
  containers: [{{name: app, image: "{reg.ref('team/signed:v1')}"}}]
  volumes:
  - {{name: model, image: {{reference: "{reg.ref('team/unsigned:v1')}"}}}}
""")
    r = check(vigil, "-p", pol, "-f", m, "--format", "json")
    assert r.rc == 1, r
    out = json.loads(r.out)
    got = {x["path"]: x["decision"] for x in out["results"]}
    assert got == {"spec.containers[0].image": "allow",
                   "spec.volumes[0].image.reference": "deny"}, out
