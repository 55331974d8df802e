# SPDX-License-Identifier: Apache-2.0
"""Keyless verification of images (docs/sigstore.md "Images"): `vigil verify` and
`vigil verify-attestation` with --certificate-identity[-regexp] / --certificate-oidc-issuer
[-regexp] and a trusted root, on what cosign keyless writes: legacy `.sig` layers carrying the
Fulcio certificate, chain and Rekor bundle (SET) annotations, and OCI 1.1 referrers holding
v0.3 Sigstore bundles. The Fulcio CA, Rekor and CT log are a private instance built in the
test (sigstore_fixtures.py), published in a custom trusted_root.json; images live in vigil's
own registry. Also the real public-good keyless attestation of cosign's test data
(shared/interop/cosign/keyless-image) under its real trusted root.

Every rejection is checked against its reason, so a check that is skipped cannot pass."""
from __future__ import annotations

import datetime as dt
import json
import signal

import pytest

from conftest import run_vigil
from registry_serve import Serve, digest
from sigstore_fixtures import MT_BUNDLE, Sigstore, b64

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_EMPTY = "application/vnd.oci.empty.v1+json"
MT_SIMPLE = "application/vnd.dev.cosign.simplesigning.v1+json"
PRED_SIGN = "https://sigstore.dev/cosign/sign/v1"
ID = "dev@example.com"
ISS = "https://accounts.example.com"
WF = "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1"
GH_ISS = "https://token.actions.githubusercontent.com"
T0 = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


def cjson(o) -> bytes:
    return json.dumps(o, separators=(",", ":")).encode()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("keyless")
    ss = Sigstore()
    root = ss.write_root(d / "trusted_root.json")
    srv = Serve(d / "root", d / "serve.log").start()
    yield {"srv": srv, "ss": ss, "root": root, "d": d}
    srv.kill(signal.SIGTERM)


def push_image(srv, repo: str, content: bytes) -> tuple[str, int]:
    layer = srv.push_blob(repo, content)
    cfg = cjson({"architecture": "amd64", "os": "linux",
                 "rootfs": {"type": "layers", "diff_ids": [layer]}})
    cd = srv.push_blob(repo, cfg)
    m = cjson({"schemaVersion": 2, "mediaType": MT_MANIFEST,
               "config": {"mediaType": MT_CONFIG, "size": len(cfg), "digest": cd},
               "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                           "size": len(content), "digest": layer}]})
    r = srv.put_manifest(repo, "v1", m, MT_MANIFEST)
    assert r.status == 201, r
    return digest(m), len(m)


def payload(host: str, repo: str, md: str) -> bytes:
    return cjson({"critical": {"identity": {"docker-reference": f"{host}/{repo}"},
                               "image": {"docker-manifest-digest": md},
                               "type": "cosign container image signature"},
                  "optional": None})


def put_sig(srv, repo: str, md: str, layers: list[tuple[bytes, dict]]):
    """The `.sig` image cosign writes: one simple-signing layer per (payload, annotations)."""
    descs = []
    for p, ann in layers:
        descs.append({"mediaType": MT_SIMPLE, "size": len(p), "digest": srv.push_blob(repo, p),
                      "annotations": ann})
    cfg = cjson({"architecture": "", "os": "", "config": {},
                 "rootfs": {"type": "layers", "diff_ids": [x["digest"] for x in descs]}})
    m = cjson({"schemaVersion": 2, "mediaType": MT_MANIFEST,
               "config": {"mediaType": MT_CONFIG, "size": len(cfg),
                          "digest": srv.push_blob(repo, cfg)},
               "layers": descs})
    r = srv.put_manifest(repo, "sha256-" + md.split(":")[1] + ".sig", m, MT_MANIFEST)
    assert r.status == 201, r


def put_referrer(srv, repo: str, md: str, size: int, bundle: dict, pred: str = PRED_SIGN):
    raw = cjson(bundle)
    m = cjson({"schemaVersion": 2, "mediaType": MT_MANIFEST, "artifactType": MT_BUNDLE,
               "config": {"mediaType": MT_EMPTY, "size": 2, "digest": srv.push_blob(repo, b"{}")},
               "layers": [{"mediaType": MT_BUNDLE, "size": len(raw),
                           "digest": srv.push_blob(repo, raw)}],
               "annotations": {"dev.sigstore.bundle.content": "dsse-envelope",
                               "dev.sigstore.bundle.predicateType": pred},
               "subject": {"mediaType": MT_MANIFEST, "size": size, "digest": md}})
    r = srv.put_manifest(repo, digest(m), m, MT_MANIFEST)
    assert r.status == 201, r


def statement(md: str, pred: str = PRED_SIGN, predicate=None) -> bytes:
    return cjson({"_type": "https://in-toto.io/Statement/v1",
                  "subject": [{"digest": {"sha256": md.split(":")[1]}}],
                  "predicateType": pred, "predicate": predicate or {}})


def verify(env, ref, *flags, identity=("--certificate-identity", ID),
           issuer=("--certificate-oidc-issuer", ISS), cmd="verify"):
    return run_vigil(cmd, "--plain-http", "--trusted-root", env["root"], *identity, *issuer,
                     *flags, ref)


def fails(r, why):
    assert r.rc == 1, r
    assert why in r.err, r
    return r


def legacy(env, repo, signed_at=T0, identity=ID, issuer=ISS, **kw):
    srv, ss = env["srv"], env["ss"]
    md, _ = push_image(srv, repo, repo.encode())
    p = payload(srv.host, repo, md)
    put_sig(srv, repo, md, [(p, ss.legacy_layer(p, identity, issuer, signed_at, **kw))])
    return f"{srv.host}/{repo}@{md}", md


# ------------------------------------------------------------------ legacy .sig layers

def test_legacy_right_identity_verifies(env):
    ref, md = legacy(env, "legacy/ok")
    r = verify(env, ref)
    assert r.rc == 0, r
    out = json.loads(r.out)
    assert out[0]["critical"]["image"]["docker-manifest-digest"] == md
    assert "transparency log was verified offline" in r.err
    assert "trusted certificate authority" in r.err
    # regexp forms (unanchored, POSIX extended), either side
    r = verify(env, ref, identity=("--certificate-identity-regexp", "^dev@example\\.(com|org)$"),
               issuer=("--certificate-oidc-issuer-regexp", "accounts"))
    assert r.rc == 0, r


def test_legacy_wrong_identity_or_issuer_fails(env):
    ref, _ = legacy(env, "legacy/who")
    fails(verify(env, ref, identity=("--certificate-identity", "evil@example.com")),
          "does not match the expected identity")
    fails(verify(env, ref, issuer=("--certificate-oidc-issuer", "https://other.example.com")),
          "does not match the expected issuer")
    fails(verify(env, ref, identity=("--certificate-identity-regexp", "^evil")),
          "does not match the expected identity")


def test_legacy_github_workflow_identity(env):
    ref, _ = legacy(env, "legacy/gh", identity=WF, issuer=GH_ISS)
    r = verify(env, ref, identity=("--certificate-identity", WF),
               issuer=("--certificate-oidc-issuer", GH_ISS))
    assert r.rc == 0, r
    r = verify(env, ref, identity=("--certificate-identity-regexp",
                                   "^https://github.com/o/r/.github/workflows/"),
               issuer=("--certificate-oidc-issuer", GH_ISS))
    assert r.rc == 0, r
    fails(verify(env, ref, identity=("--certificate-identity-regexp", "^https://github.com/x/"),
                 issuer=("--certificate-oidc-issuer", GH_ISS)), "expected identity")


def test_legacy_certificate_expired_at_signing_time_fails(env):
    # logged 20 minutes after the 10-minute certificate was issued
    ref, _ = legacy(env, "legacy/expired", logged_at=T0 + dt.timedelta(minutes=20))
    fails(verify(env, ref), "expired")


def test_legacy_tampered_payload_fails(env):
    srv, ss = env["srv"], env["ss"]
    md, _ = push_image(srv, "legacy/tamper", b"tamper")
    good = payload(srv.host, "legacy/tamper", md)
    ann = ss.legacy_layer(good, ID, ISS, T0)
    bad = good.replace(b'"optional":null', b'"optional":{"x":"y"}')
    put_sig(srv, "legacy/tamper", md, [(bad, ann)])
    fails(verify(env, f"{srv.host}/legacy/tamper@{md}"), "signature")
    # a valid signature over a payload for another image: the claims fail
    other, _ = push_image(srv, "legacy/tamper2", b"other")
    p = payload(srv.host, "legacy/tamper2", other)
    md2, _ = push_image(srv, "legacy/tamper2", b"tamper2")
    put_sig(srv, "legacy/tamper2", md2, [(p, ss.legacy_layer(p, ID, ISS, T0))])
    fails(verify(env, f"{srv.host}/legacy/tamper2@{md2}"), "digest")


def test_legacy_rekor_bundle_must_match(env):
    """A SET over another signature's entry: the body does not match the layer."""
    srv, ss = env["srv"], env["ss"]
    md, _ = push_image(srv, "legacy/swap", b"swap")
    p = payload(srv.host, "legacy/swap", md)
    a1 = ss.legacy_layer(p, ID, ISS, T0)
    a2 = ss.legacy_layer(p, ID, ISS, T0)
    a1["dev.sigstore.cosign/bundle"] = a2["dev.sigstore.cosign/bundle"]
    put_sig(srv, "legacy/swap", md, [(p, a1)])
    fails(verify(env, f"{srv.host}/legacy/swap@{md}"), "does not match the bundle")


def test_legacy_forged_set_fails(env):
    srv, ss = env["srv"], env["ss"]
    md, _ = push_image(srv, "legacy/set", b"set")
    p = payload(srv.host, "legacy/set", md)
    a = ss.legacy_layer(p, ID, ISS, T0)
    rb = json.loads(a["dev.sigstore.cosign/bundle"])
    rb["Payload"]["integratedTime"] += 60  # a later time than the log signed
    a["dev.sigstore.cosign/bundle"] = json.dumps(rb)
    put_sig(srv, "legacy/set", md, [(p, a)])
    fails(verify(env, f"{srv.host}/legacy/set@{md}"), "signed entry timestamp")


def test_legacy_other_ca_fails(env):
    """A certificate from another Fulcio (not in the trusted root)."""
    srv = env["srv"]
    other = Sigstore("other")
    md, _ = push_image(srv, "legacy/otherca", b"otherca")
    p = payload(srv.host, "legacy/otherca", md)
    put_sig(srv, "legacy/otherca", md, [(p, other.legacy_layer(p, ID, ISS, T0))])
    fails(verify(env, f"{srv.host}/legacy/otherca@{md}"), "not in the trusted root")


def test_legacy_no_sct_fails_unless_ignored(env):
    ref, _ = legacy(env, "legacy/nosct", sct=False)
    fails(verify(env, ref), "no embedded SCT")
    assert verify(env, ref, "--insecure-ignore-sct").rc == 0


def test_legacy_missing_tlog_and_insecure_ignore_tlog(env):
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    ref, _ = legacy(env, "legacy/notlog", signed_at=now, tlog=False)
    fails(verify(env, ref), "no transparency log entry")
    r = verify(env, ref, "--insecure-ignore-tlog")
    assert r.rc == 0, r
    assert "transparency log" not in r.err
    # without a log time the certificate must be valid now, as cosign checks it
    old, _ = legacy(env, "legacy/notlog-old", tlog=False)
    fails(verify(env, old, "--insecure-ignore-tlog"), "expired")


def test_keyless_with_key_is_a_usage_error(env, tmp_path):
    r = run_vigil("verify", "--key", tmp_path / "x.pub", "--certificate-identity", ID,
                  "--certificate-oidc-issuer", ISS, "--trusted-root", env["root"], "x/y:1")
    assert r.rc == 2 and "exclude" in r.err, r
    r = run_vigil("verify", "--certificate-identity", ID, "--trusted-root", env["root"], "x/y:1")
    assert r.rc == 2 and "--certificate-oidc-issuer" in r.err, r
    # without --trusted-root the TUF flags (or the public-good default) give the root;
    # both at once is a usage error
    r = run_vigil("verify", "--certificate-identity", ID, "--certificate-oidc-issuer", ISS,
                  "--trusted-root", env["root"], "--tuf-mirror", "http://127.0.0.1:9", "x/y:1")
    assert r.rc == 2 and "--trusted-root" in r.err and "exclude" in r.err, r


# ------------------------------------------------------------------ v0.3 bundle referrers

def bundle_image(env, repo, st=None, **kw):
    srv, ss = env["srv"], env["ss"]
    md, size = push_image(srv, repo, repo.encode())
    b = ss.dsse_bundle(st or statement(md), kw.pop("identity", ID), ISS, T0, **kw)
    put_referrer(srv, repo, md, size, b)
    return f"{srv.host}/{repo}@{md}", md


def test_bundle_right_identity_verifies(env):
    ref, md = bundle_image(env, "bundle/ok")
    r = verify(env, ref)
    assert r.rc == 0, r
    out = json.loads(r.out)
    assert out[0]["critical"]["type"] == PRED_SIGN
    assert out[0]["critical"]["image"]["docker-manifest-digest"] == md


def test_bundle_wrong_identity_fails(env):
    ref, _ = bundle_image(env, "bundle/who", identity="someone@else.com")
    fails(verify(env, ref), "does not match the expected identity")
    fails(verify(env, ref, issuer=("--certificate-oidc-issuer-regexp", "^https://nope")),
          "expected issuer")


def test_bundle_statement_for_another_image_fails(env):
    other = "sha256:" + "ab" * 32
    ref, _ = bundle_image(env, "bundle/other", st=statement(other))
    fails(verify(env, ref), "is not a subject")


def test_bundle_expired_certificate_fails(env):
    ref, _ = bundle_image(env, "bundle/expired", logged_at=T0 + dt.timedelta(hours=1))
    fails(verify(env, ref), "expired")


def test_bundle_without_tlog_fails_unless_ignored(env):
    ref, _ = bundle_image(env, "bundle/notlog", tlog=False)
    fails(verify(env, ref), "no transparency log entry")
    fails(verify(env, ref, "--insecure-ignore-tlog"), "expired")  # T0 is long past


def test_bundle_tampered_payload_fails(env):
    srv, ss = env["srv"], env["ss"]
    md, size = push_image(srv, "bundle/tamper", b"bundle-tamper")
    b = ss.dsse_bundle(statement(md), ID, ISS, T0)
    st = json.loads(statement(md))
    st["predicate"] = {"injected": True}
    b["dsseEnvelope"]["payload"] = b64(cjson(st))
    put_referrer(srv, "bundle/tamper", md, size, b)
    fails(verify(env, f"{srv.host}/bundle/tamper@{md}"), "signature")


def test_bundle_attestation_verifies(env):
    srv, ss = env["srv"], env["ss"]
    md, size = push_image(srv, "bundle/att", b"att")
    pred = "https://cyclonedx.org/bom"
    b = ss.dsse_bundle(statement(md, pred, {"bomFormat": "CycloneDX"}), ID, ISS, T0)
    put_referrer(srv, "bundle/att", md, size, b, pred)
    ref = f"{srv.host}/bundle/att@{md}"
    r = verify(env, ref, "--type", "cyclonedx", "--output", "statement",
               cmd="verify-attestation")
    assert r.rc == 0, r
    assert json.loads(r.out.splitlines()[0])["predicate"] == {"bomFormat": "CycloneDX"}
    fails(verify(env, ref, "--type", "cyclonedx", cmd="verify-attestation",
                 identity=("--certificate-identity", "x@y.z")), "expected identity")


# ------------------------------------------------------------------ the public-good vector

def test_public_good_keyless_attestation(env, shared_dir):
    """cosign's pkg/cosign/testdata/oci-attestation.sigstore.json: a real keyless DSSE bundle
    from the public-good instance, attached to the empty image it names, verified offline
    under trusted_root_pgi.json."""
    v = shared_dir / "interop" / "cosign" / "keyless-image"
    if not v.is_dir():
        pytest.skip("shared/interop/cosign/keyless-image is absent")
    srv = env["srv"]
    repo = "pgi/empty"
    cfg = (v / "empty-image.config.json").read_bytes()
    srv.push_blob(repo, cfg)
    m = (v / "empty-image.manifest.json").read_bytes()
    mt = json.loads(m)["mediaType"]
    assert srv.put_manifest(repo, "v1", m, mt).status == 201
    md = digest(m)
    bundle = json.loads((v / "oci-attestation.sigstore.json").read_text())
    put_referrer(srv, repo, md, len(m), bundle, "https://cosign.sigstore.dev/attestation/v1")
    ref = f"{srv.host}/{repo}@{md}"
    args = ["verify-attestation", "--plain-http", "--trusted-root",
            v / "trusted_root_pgi.json", "--type", "custom"]
    r = run_vigil(*args, "--certificate-identity", "cody@soyland.com",
                  "--certificate-oidc-issuer", "https://github.com/login/oauth", ref)
    assert r.rc == 0, r
    r = run_vigil(*args, "--certificate-identity-regexp", ".*",
                  "--certificate-oidc-issuer-regexp", ".*", ref)
    assert r.rc == 0, r
    fails(run_vigil(*args, "--certificate-identity", "someone@else.com",
                    "--certificate-oidc-issuer", "https://github.com/login/oauth", ref),
          "expected identity")
    # our own root does not know the public-good Fulcio or Rekor
    fails(run_vigil("verify-attestation", "--plain-http", "--trusted-root", env["root"],
                    "--type", "custom", "--certificate-identity-regexp", ".*",
                    "--certificate-oidc-issuer-regexp", ".*", ref), "not in the trusted root")


# ------------------------------------------------------------------ policies

def policy_check(env, pol, ref, *roots):
    p = env["d"] / f"pol-{abs(hash(pol))}.yaml"
    p.write_text(pol)
    args = [a for r in roots for a in ("--trusted-root", r)] or ["--trusted-root", env["root"]]
    return run_vigil("policy", "check", "--plain-http", "-p", p, *args, "--format", "json", ref)


CIP = """apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: keyless}
spec:
  images: [{glob: "**"}]
  authorities:
    - keyless:
        url: https://fulcio.test.invalid
        %s
        identities:
%s
"""


def test_cip_keyless_authority(env):
    legacy_ref, _ = legacy(env, "pol/legacy")
    bundle_ref, _ = bundle_image(env, "pol/bundle")
    exact = f"          - issuer: {ISS}\n            subject: {ID}"
    regexp = "          - issuerRegExp: '^https://accounts[.]'\n            subjectRegExp: '@example[.]com$'"
    wrong = f"          - issuer: {ISS}\n            subject: evil@example.com"
    both = wrong + "\n" + exact  # any identity suffices
    for ids in (exact, regexp, both):
        for ref in (legacy_ref, bundle_ref):
            r = policy_check(env, CIP % ("", ids), ref)
            assert r.rc == 0, (ids, r)
    for ref in (legacy_ref, bundle_ref):
        r = policy_check(env, CIP % ("", wrong), ref)
        assert r.rc == 1 and "expected identity" in r.out, r
    # trustRootRef names a root given as NAME=FILE; an unknown name is unverifiable
    r = policy_check(env, CIP % ("trustRootRef: private", exact), legacy_ref,
                     f"private={env['root']}")
    assert r.rc == 0, r
    r = policy_check(env, CIP % ("trustRootRef: other", exact), legacy_ref,
                     f"private={env['root']}")
    assert r.rc == 1 and "no trusted root named" in r.out, r
    # no trusted root at all: a deny, never an allow
    p = env["d"] / "cip-noroot.yaml"
    p.write_text(CIP % ("", exact))
    r = run_vigil("policy", "check", "--plain-http", "-p", p, legacy_ref)
    assert r.rc == 1 and "no trusted root was configured" in r.out, r


def test_cip_keyless_identity_validation(env):
    bad = "          - issuer: a\n            issuerRegExp: b\n            subject: c"
    r = policy_check(env, CIP % ("", bad), "x.example/y:1")
    assert r.rc == 6 and "expected exactly one" in r.err, r
    r = policy_check(env, CIP % ("", "          - issuer: a"), "x.example/y:1")
    assert r.rc == 6 and "identities[0].subject, " in r.err, r
    r = policy_check(env, CIP % ("", "          - {}"), "x.example/y:1")
    assert r.rc == 6 and "missing field" in r.err, r


VIGIL_POL = """apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {name: keyless}
spec:
  signatures:
    - images: ["**"]
      keyless:
        - {issuer: "%s", subjectRegExp: "%s"}
"""


def test_vigil_image_policy_keyless(env):
    ref, _ = legacy(env, "pol/vigil")
    assert policy_check(env, VIGIL_POL % (ISS, "^dev@"), ref).rc == 0
    r = policy_check(env, VIGIL_POL % (ISS, "^ops@"), ref)
    assert r.rc == 1 and "signature missing or invalid" in r.out, r
    r = policy_check(env, VIGIL_POL % ("https://other", "^dev@"), ref)
    assert r.rc == 1 and "expected issuer" in r.out, r


# ------------------------------------------------------------------ registry gate

def test_registry_gate_keyless(env, tmp_path):
    """vigil registry serve with require-signature.keyless: the legacy and bundle keyless
    signatures of the right identity let the pull through; another identity is denied."""
    cfg = tmp_path / "registry.yaml"
    cfg.write_text(
        "gates:\n"
        "  - repos: [\"kl/**\"]\n"
        "    require-signature:\n"
        "      keyless:\n"
        f"        trusted-root: {env['root']}\n"
        f"        identities: [{{issuer: \"{ISS}\", subject-regexp: \"^dev@\"}}]\n")
    srv = Serve(tmp_path / "root", tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    try:
        e = dict(env, srv=srv)
        hdr = {"Accept": MT_MANIFEST}
        _, md = legacy(e, "kl/legacy")
        assert srv.req("GET", f"/v2/kl/legacy/manifests/{md}", headers=hdr).status == 200
        _, md = bundle_image(e, "kl/bundle")
        assert srv.req("GET", f"/v2/kl/bundle/manifests/{md}", headers=hdr).status == 200
        _, md = legacy(e, "kl/other", identity="ops@example.com")
        r = srv.req("GET", f"/v2/kl/other/manifests/{md}", headers=hdr)
        assert r.status == 403 and b"expected identity" in r.body, r
        md, _ = push_image(srv, "kl/unsigned", b"unsigned")
        r = srv.req("GET", f"/v2/kl/unsigned/manifests/{md}", headers=hdr)
        assert r.status == 403 and b"unsigned" in r.body, r
    finally:
        srv.kill(signal.SIGTERM)
