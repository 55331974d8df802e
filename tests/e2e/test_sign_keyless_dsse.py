# SPDX-License-Identifier: Apache-2.0
"""Keyless signing of statements and RFC 3161 timestamps (docs/sigstore.md "Keyless signing"):
vigil sign --new-bundle-format and vigil attest (legacy .att and bundle) against the Fulcio v2 /
Rekor v1 simulator on 127.0.0.1 (sigstore_server.py: dsse 0.0.1 and intoto 0.0.2 entries, as
Rekor canonicalizes them; the real services cannot be reached from CI), and
--timestamp-server-url against a real RFC 3161 server (openssl ts -reply behind a tiny HTTP
wrapper, tsa_server.py) whose TSA the trusted root lists. What vigil signs must verify with
vigil verify / verify-attestation / verify-blob and with the real cosign 2.5 under the private
trusted root, and with sigstore-js (tests/interop/sigstore-js/verify-keyless.mjs) when its
modules are installed; hostile TSA answers must fail before anything is written."""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import run_vigil
from sigstore_fixtures import Sigstore
from sigstore_server import SigstoreServer, jwt
from tsa_server import TSA

COSIGN = Path("/var/tmp/vigil-test-cache/trixie-tools/usr/bin/cosign")
EMAIL = "signer@example.com"
ISS = "https://issuer.example.com"
MT_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("kdsse")
    s = Sigstore("kdsse")
    tsa = TSA()
    tr = s.trusted_root()
    tr["timestampAuthorities"] = [tsa.trusted_root_entry()]
    root = d / "trusted_root.json"
    root.write_text(json.dumps(tr, indent=1))
    srv = SigstoreServer(s)
    blob = d / "artifact.txt"
    blob.write_bytes(b"keyless artifact with a timestamp\n")
    pred = d / "provenance.json"
    pred.write_text(json.dumps({"builder": {"id": "https://ci.example.com/builder"},
                                "buildType": "https://example.com/build/v1"}))
    yield {"d": d, "s": s, "root": root, "srv": srv, "tsa": tsa, "blob": blob, "pred": pred,
           "token": jwt({"iss": ISS, "sub": "12345", "email": EMAIL, "aud": "sigstore"})}
    srv.close()
    tsa.close()


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    from registry_serve import Serve
    d = tmp_path_factory.mktemp("kdssereg")
    srv = Serve(d / "root", d / "serve.log").start()
    yield srv
    srv.kill(signal.SIGTERM)


def push_image(srv, repo: str) -> str:
    from registry_serve import cjson, digest
    layer = srv.push_blob(repo, repo.encode())
    cfg = cjson({"architecture": "amd64", "os": "linux",
                 "rootfs": {"type": "layers", "diff_ids": [layer]}})
    cd = srv.push_blob(repo, cfg)
    m = cjson({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                          "size": len(cfg), "digest": cd},
               "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                           "size": len(repo), "digest": layer}]})
    r = srv.put_manifest(repo, "v1", m, OCI_MANIFEST)
    assert r.status == 201, r
    return digest(m)


def keyless(env, *extra):
    srv = env["srv"]
    return ("--fulcio-url", srv.url, "--rekor-url", srv.url, "--identity-token", env["token"],
            "--trusted-root", env["root"], *extra)


def ident(env, who=EMAIL):
    return ("--trusted-root", env["root"], "--certificate-identity", who,
            "--certificate-oidc-issuer", ISS)


def referrer_bundles(reg, repo: str, md: str) -> list[dict]:
    idx = json.loads(reg.req("GET", f"/v2/{repo}/referrers/{md}").body)
    out = []
    for m in idx["manifests"]:
        man = json.loads(reg.req("GET", f"/v2/{repo}/manifests/{m['digest']}",
                                 headers={"Accept": OCI_MANIFEST}).body)
        assert man["artifactType"] == MT_BUNDLE and man["subject"]["digest"] == md
        blob = reg.req("GET", f"/v2/{repo}/blobs/{man['layers'][0]['digest']}").body
        out.append((man, json.loads(blob)))
    return out


SJS_DIR = Path(os.environ.get("VIGIL_SIGSTORE_JS", "/var/tmp/vigil-test-cache/sigstore-js"))
SJS_SCRIPT = Path(__file__).resolve().parents[1] / "interop" / "sigstore-js" / "verify-keyless.mjs"


def sigstore_js(root, bundle: Path, who: str, timestamps: int, artifact=None):
    """sigstore-js (an independent verifier) under the trusted root: chain, SCT, tlog,
    `timestamps` verified times (tlog and RFC 3161), identity; None when it is not installed."""
    if not shutil.which("node") or not (SJS_DIR / "node_modules" / "@sigstore").is_dir():
        return None
    return subprocess.run(["node", str(SJS_SCRIPT), str(root), str(bundle), who, ISS,
                           str(timestamps), *([str(artifact)] if artifact else [])],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, VIGIL_SIGSTORE_JS=str(SJS_DIR)))


def cosign(*args, env=None, timeout=120):
    return subprocess.run([str(COSIGN), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def cosign_legacy_env(env, tmp_path):
    """cosign 2.5's legacy path reads its keys from TUF even with --trusted-root; its
    SIGSTORE_* variables point it at the private instance (and its TSA) instead."""
    from cryptography.hazmat.primitives import serialization as ser
    s, tsa = env["s"], env["tsa"]
    pub = ser.PublicFormat.SubjectPublicKeyInfo
    pemenc = ser.Encoding.PEM
    (tmp_path / "rekor.pub").write_bytes(s.rekor_key.public_key().public_bytes(pemenc, pub))
    (tmp_path / "ct.pub").write_bytes(s.ct_key.public_key().public_bytes(pemenc, pub))
    (tmp_path / "fulcio.pem").write_bytes(s.root.public_bytes(pemenc)
                                          + s.inter.public_bytes(pemenc))
    (tmp_path / "tsa.pem").write_bytes(tsa.cert.public_bytes(pemenc)
                                       + tsa.root.public_bytes(pemenc))
    return dict(os.environ, SIGSTORE_REKOR_PUBLIC_KEY=str(tmp_path / "rekor.pub"),
                SIGSTORE_CT_LOG_PUBLIC_KEY_FILE=str(tmp_path / "ct.pub"),
                SIGSTORE_ROOT_FILE=str(tmp_path / "fulcio.pem"),
                TUF_ROOT=str(tmp_path / "tuf"))


# ------------------------------------------------------------------ sign --new-bundle-format

def test_sign_bundle_keyless(env, reg, tmp_path):
    md = push_image(reg, "kd/app")
    r = run_vigil("sign", "--plain-http", *keyless(env), "--new-bundle-format", "-a", "env=ci",
                  f"{reg.host}/kd/app:v1", timeout=120)
    assert r.rc == 0, r
    assert "tlog entry created" in r.err
    (man, b), = referrer_bundles(reg, "kd/app", md)
    assert man["annotations"]["dev.sigstore.bundle.predicateType"] == \
        "https://sigstore.dev/cosign/sign/v1"
    assert b["mediaType"] == MT_BUNDLE and "dsseEnvelope" in b
    e = b["verificationMaterial"]["tlogEntries"][0]
    assert e["kindVersion"] == {"kind": "dsse", "version": "0.0.1"}
    assert "certificate" in b["verificationMaterial"]
    st = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
    assert st["subject"][0]["digest"]["sha256"] == md.split(":")[1]
    ref = f"{reg.host}/kd/app@{md}"
    r = run_vigil("verify", "--plain-http", *ident(env), "-a", "env=ci", ref)
    assert r.rc == 0, r
    r = run_vigil("verify", "--plain-http", *ident(env, "mallory@example.com"), ref)
    assert r.rc == 1, r
    bf = tmp_path / "sign.sigstore.json"
    bf.write_text(json.dumps(b))
    for who, ok in ((EMAIL, True), ("mallory@example.com", False)):
        p = sigstore_js(env["root"], bf, who, 1)
        assert p is None or (p.returncode == 0) == ok, (p.stdout, p.stderr)
        assert p is None or not ok or json.loads(p.stdout) == st
    if not COSIGN.exists():
        pytest.skip("cosign 2.5 (trixie tools) not unpacked")
    # cosign 2.5's `verify` does not read bundle signatures on images yet (cosign >= 2.6
    # does); its verify-blob-attestation checks the same bundle whole: certificate chain, SCT,
    # dsse tlog entry, identity, the DSSE signature, and the statement's subject against the
    # image manifest's bytes (whose SHA-256 is the image digest)
    mf = tmp_path / "manifest.json"
    mf.write_bytes(reg.req("GET", f"/v2/kd/app/manifests/{md}",
                           headers={"Accept": OCI_MANIFEST}).body)
    for who, ok in ((EMAIL, True), ("mallory@example.com", False)):
        p = cosign("verify-blob-attestation", "--new-bundle-format", "--bundle", bf,
                   "--trusted-root", env["root"], "--type", "https://sigstore.dev/cosign/sign/v1",
                   "--certificate-identity", who, "--certificate-oidc-issuer", ISS, mf,
                   env=dict(os.environ, TUF_ROOT=str(tmp_path / "tuf")))
        assert (p.returncode == 0) == ok, (p.stdout, p.stderr)


# ------------------------------------------------------------------ attest

def test_attest_keyless_legacy(env, reg, tmp_path):
    md = push_image(reg, "kd/att")
    r = run_vigil("attest", "--plain-http", *keyless(env), "--type", "slsaprovenance",
                  "--predicate", env["pred"], f"{reg.host}/kd/att:v1", timeout=120)
    assert r.rc == 0, r
    att = json.loads(reg.req("GET", f"/v2/kd/att/manifests/sha256-{md.split(':')[1]}.att",
                             headers={"Accept": OCI_MANIFEST}).body)
    layer = att["layers"][0]
    ann = layer["annotations"]
    assert ann["dev.cosignproject.cosign/signature"] == ""
    assert ann["predicateType"] == "https://slsa.dev/provenance/v0.2"
    assert ann["dev.sigstore.cosign/certificate"].startswith("-----BEGIN CERTIFICATE-----")
    body = json.loads(base64.b64decode(json.loads(
        ann["dev.sigstore.cosign/bundle"])["Payload"]["body"]))
    assert (body["kind"], body["apiVersion"]) == ("intoto", "0.0.2")
    ref = f"{reg.host}/kd/att@{md}"
    r = run_vigil("verify-attestation", "--plain-http", *ident(env), "--type", "slsaprovenance",
                  ref)
    assert r.rc == 0, r
    r = run_vigil("verify-attestation", "--plain-http", *ident(env, "mallory@example.com"),
                  "--type", "slsaprovenance", ref)
    assert r.rc == 1, r
    if not COSIGN.exists():
        pytest.skip("cosign 2.5 (trixie tools) not unpacked")
    cenv = cosign_legacy_env(env, tmp_path)
    for who, ok in ((EMAIL, True), ("mallory@example.com", False)):
        p = cosign("verify-attestation", "--allow-insecure-registry", "--allow-http-registry",
                   "--type", "slsaprovenance", "--certificate-identity", who,
                   "--certificate-oidc-issuer", ISS, ref, env=cenv)
        assert (p.returncode == 0) == ok, (p.stdout, p.stderr)


def test_attest_keyless_bundle(env, reg, tmp_path):
    md = push_image(reg, "kd/attb")
    r = run_vigil("attest", "--plain-http", *keyless(env), "--new-bundle-format",
                  "--type", "slsaprovenance1", "--predicate", env["pred"],
                  f"{reg.host}/kd/attb:v1", timeout=120)
    assert r.rc == 0, r
    (man, b), = referrer_bundles(reg, "kd/attb", md)
    assert man["annotations"]["dev.sigstore.bundle.predicateType"] == \
        "https://slsa.dev/provenance/v1"
    assert b["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"] == "dsse"
    ref = f"{reg.host}/kd/attb@{md}"
    r = run_vigil("verify-attestation", "--plain-http", *ident(env), "--type", "slsaprovenance1",
                  ref)
    assert r.rc == 0, r
    r = run_vigil("verify-attestation", "--plain-http", *ident(env, "mallory@example.com"),
                  "--type", "slsaprovenance1", ref)
    assert r.rc == 1, r
    bf = tmp_path / "att.sigstore.json"
    bf.write_text(json.dumps(b))
    for who, ok in ((EMAIL, True), ("mallory@example.com", False)):
        p = sigstore_js(env["root"], bf, who, 1)
        assert p is None or (p.returncode == 0) == ok, (p.stdout, p.stderr)
    if not COSIGN.exists():
        pytest.skip("cosign 2.5 (trixie tools) not unpacked")
    cenv = cosign_legacy_env(env, tmp_path)
    for who, ok in ((EMAIL, True), ("mallory@example.com", False)):
        p = cosign("verify-attestation", "--new-bundle-format", "--allow-insecure-registry",
                   "--allow-http-registry", "--trusted-root", env["root"],
                   "--type", "slsaprovenance1", "--certificate-identity", who,
                   "--certificate-oidc-issuer", ISS, ref, env=cenv)
        assert (p.returncode == 0) == ok, (p.stdout, p.stderr)


def test_attest_keyless_hostile_rekor(env, reg):
    push_image(reg, "kd/atth")
    env["srv"].mode = "other-content"
    try:
        r = run_vigil("attest", "--plain-http", *keyless(env), "--predicate", env["pred"],
                      f"{reg.host}/kd/atth:v1", timeout=120)
    finally:
        env["srv"].mode = "normal"
    assert r.rc != 0 and "not the dsse/intoto entry" in r.err, r
    r = reg.req("GET", "/v2/kd/atth/tags/list")
    assert b".att" not in r.body


def test_keyless_usage(env):
    r = run_vigil("attest", "--identity-token", env["token"], "--key", "k.key",
                  "--predicate", env["pred"], "r/x:1")
    assert r.rc == 2 and "exclude" in r.err, r
    r = run_vigil("sign", "--key", "k.key", "--timestamp-server-url", "http://127.0.0.1:1/",
                  "r/x:1")
    assert r.rc == 2 and "keyless" in r.err, r
    r = run_vigil("attest", "--identity-token", env["token"], "--predicate", env["pred"],
                  "--trusted-root", env["root"], "--tuf-mirror", "http://127.0.0.1:1/", "r/x:1")
    assert r.rc == 2 and "exclude" in r.err, r
    # a TSA that cannot be reached: the command fails, nothing is pushed
    r = run_vigil("sign-blob", *keyless(env, "--timestamp-server-url",
                                        "http://127.0.0.1:1/api/v1/timestamp"),
                  "--bundle", env["d"] / "never.json", env["blob"], timeout=120)
    assert r.rc == 7 and "timestamp authority" in r.err, r
    assert not (env["d"] / "never.json").exists()


# ------------------------------------------------------------------ RFC 3161 timestamps

def test_sign_blob_timestamp(env, tmp_path):
    bundle = tmp_path / "t.sigstore.json"
    n0 = env["tsa"].requests
    r = run_vigil("sign-blob", *keyless(env, "--timestamp-server-url", env["tsa"].url),
                  "--bundle", bundle, env["blob"], timeout=120)
    assert r.rc == 0, r
    assert env["tsa"].requests == n0 + 1
    b = json.loads(bundle.read_text())
    tsr = b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
    assert len(tsr) == 1
    r = run_vigil("verify-blob", "--bundle", bundle, *ident(env), "--format", "json",
                  env["blob"])
    assert r.rc == 0, r
    sources = sorted(t["source"] for t in json.loads(r.out)["timestamps"])
    assert sources == ["rfc3161", "tlog"], r.out
    # sigstore-js counts two verified times (the SET's and the TSA's), one without the TSA's
    p = sigstore_js(env["root"], bundle, EMAIL, 2, env["blob"])
    assert p is None or p.returncode == 0, (p.stdout, p.stderr)
    nots = json.loads(bundle.read_text())
    del nots["verificationMaterial"]["timestampVerificationData"]
    (tmp_path / "nots.json").write_text(json.dumps(nots))
    p = sigstore_js(env["root"], tmp_path / "nots.json", EMAIL, 2, env["blob"])
    assert p is None or (p.returncode == 1 and "expected 2 timestamps" in p.stderr), p
    if COSIGN.exists():
        p = cosign("verify-blob", "--new-bundle-format", "--bundle", bundle,
                   "--trusted-root", env["root"], "--use-signed-timestamps",
                   "--certificate-identity", EMAIL, "--certificate-oidc-issuer", ISS,
                   env["blob"])
        assert p.returncode == 0, (p.stdout, p.stderr)
    # the timestamp is checked: one that is not over this signature fails
    b2 = json.loads(bundle.read_text())
    other = tmp_path / "o.sigstore.json"
    r = run_vigil("sign-blob", *keyless(env, "--timestamp-server-url", env["tsa"].url),
                  "--bundle", other, env["pred"], timeout=120)
    assert r.rc == 0, r
    b2["verificationMaterial"]["timestampVerificationData"] = \
        json.loads(other.read_text())["verificationMaterial"]["timestampVerificationData"]
    swapped = tmp_path / "s.sigstore.json"
    swapped.write_text(json.dumps(b2))
    r = run_vigil("verify-blob", "--bundle", swapped, *ident(env), env["blob"])
    assert r.rc == 1, r


def test_sign_image_timestamp(env, reg, tmp_path):
    md = push_image(reg, "kd/ts")
    r = run_vigil("sign", "--plain-http", *keyless(env, "--timestamp-server-url",
                                                   env["tsa"].url), f"{reg.host}/kd/ts:v1",
                  timeout=120)
    assert r.rc == 0, r
    sig = json.loads(reg.req("GET", f"/v2/kd/ts/manifests/sha256-{md.split(':')[1]}.sig",
                             headers={"Accept": OCI_MANIFEST}).body)
    ann = sig["layers"][0]["annotations"]
    ts = json.loads(ann["dev.sigstore.cosign/rfc3161timestamp"])
    assert base64.b64decode(ts["SignedRFC3161Timestamp"])[:1] == b"\x30"
    ref = f"{reg.host}/kd/ts@{md}"
    r = run_vigil("verify", "--plain-http", *ident(env), ref)
    assert r.rc == 0, r
    # bundle layout with a timestamp
    r = run_vigil("sign", "--plain-http", "--new-bundle-format",
                  *keyless(env, "--timestamp-server-url", env["tsa"].url),
                  f"{reg.host}/kd/ts:v1", timeout=120)
    assert r.rc == 0, r
    (_, b), = referrer_bundles(reg, "kd/ts", md)
    assert b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
    r = run_vigil("verify", "--plain-http", *ident(env), ref)
    assert r.rc == 0, r
    if COSIGN.exists():
        cenv = cosign_legacy_env(env, tmp_path)
        cenv["SIGSTORE_TSA_CERTIFICATE_FILE"] = str(tmp_path / "tsa.pem")
        p = cosign("verify", "--allow-insecure-registry", "--allow-http-registry",
                   "--certificate-identity", EMAIL, "--certificate-oidc-issuer", ISS,
                   "--use-signed-timestamps", "--timestamp-certificate-chain",
                   tmp_path / "tsa.pem", ref, env=cenv)
        assert p.returncode == 0, (p.stdout, p.stderr)


def test_attest_legacy_timestamp(env, reg, tmp_path):
    """cosign timestamps a legacy attestation layer's envelope blob (not its signature)."""
    md = push_image(reg, "kd/attts")
    r = run_vigil("attest", "--plain-http", *keyless(env, "--timestamp-server-url",
                                                     env["tsa"].url),
                  "--predicate", env["pred"], f"{reg.host}/kd/attts:v1", timeout=120)
    assert r.rc == 0, r
    att = json.loads(reg.req("GET", f"/v2/kd/attts/manifests/sha256-{md.split(':')[1]}.att",
                             headers={"Accept": OCI_MANIFEST}).body)
    ann = att["layers"][0]["annotations"]
    assert "dev.sigstore.cosign/rfc3161timestamp" in ann
    ref = f"{reg.host}/kd/attts@{md}"
    r = run_vigil("verify-attestation", "--plain-http", *ident(env), ref)
    assert r.rc == 0, r
    # without the Rekor entry only the timestamp vouches for the signing time: still valid
    r = run_vigil("verify-attestation", "--plain-http", *ident(env), "--insecure-ignore-tlog",
                  ref)
    assert r.rc == 0, r
    if COSIGN.exists():
        cenv = cosign_legacy_env(env, tmp_path)
        p = cosign("verify-attestation", "--allow-insecure-registry", "--allow-http-registry",
                   "--certificate-identity", EMAIL, "--certificate-oidc-issuer", ISS,
                   "--use-signed-timestamps", "--timestamp-certificate-chain",
                   tmp_path / "tsa.pem", ref, env=cenv)
        assert p.returncode == 0, (p.stdout, p.stderr)


@pytest.mark.parametrize("mode,msg", [
    ("garbage", "timestamp response: invalid DER"),
    ("other-imprint", "timestamp response: not our nonce"),
    ("rejection", "not granted"),
])
def test_hostile_tsa(env, tmp_path, mode, msg):
    bundle = tmp_path / "h.sigstore.json"
    env["tsa"].mode = mode
    try:
        r = run_vigil("sign-blob", *keyless(env, "--timestamp-server-url", env["tsa"].url),
                      "--bundle", bundle, env["blob"], timeout=120)
    finally:
        env["tsa"].mode = "normal"
    assert r.rc != 0 and msg in r.err, r
    assert not bundle.exists()


def test_untrusted_tsa(env, reg, tmp_path):
    """A genuine timestamp from a TSA the trusted root does not list: nothing written (a blob
    bundle, a legacy attestation, whose timestamp is over the envelope)."""
    other = TSA("rogue")
    bundle = tmp_path / "u.sigstore.json"
    push_image(reg, "kd/rogue")
    try:
        r = run_vigil("sign-blob", *keyless(env, "--timestamp-server-url", other.url),
                      "--bundle", bundle, env["blob"], timeout=120)
        r2 = run_vigil("attest", "--plain-http", *keyless(env, "--timestamp-server-url",
                                                          other.url),
                       "--predicate", env["pred"], f"{reg.host}/kd/rogue:v1", timeout=120)
    finally:
        other.close()
    assert r.rc != 0 and "does not verify under the trusted root" in r.err, r
    assert not bundle.exists()
    assert r2.rc != 0 and "RFC 3161 timestamp" in r2.err, r2
    assert b".att" not in reg.req("GET", "/v2/kd/rogue/tags/list").body
