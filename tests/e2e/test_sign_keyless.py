# SPDX-License-Identifier: Apache-2.0
"""Keyless signing (docs/sigstore.md "Keyless signing"): vigil sign-blob against a Fulcio v2
and a Rekor v1 simulated on 127.0.0.1 with a private Sigstore's keys (sigstore_server.py; the
real services cannot be reached from CI). What vigil signs must verify with vigil verify-blob
and with the real cosign 2.5 under the private trusted root; hostile answers (a certificate for
another key, an entry for other content, a forged SET, oversized or detached-SCT answers) must
fail before anything is written."""
from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import run_vigil
from sigstore_fixtures import Sigstore
from sigstore_server import SigstoreServer, jwt

COSIGN = Path("/var/tmp/vigil-test-cache/trixie-tools/usr/bin/cosign")
EMAIL = "signer@example.com"
ISS = "https://issuer.example.com"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("ksign")
    s = Sigstore("ksign")
    root = s.write_root(d / "trusted_root.json")
    srv = SigstoreServer(s)
    blob = d / "artifact.txt"
    blob.write_bytes(b"keyless artifact\n")
    yield {"d": d, "s": s, "root": root, "srv": srv, "blob": blob,
           "token": jwt({"iss": ISS, "sub": "12345", "email": EMAIL, "aud": "sigstore"})}
    srv.close()


def sign_blob(env, bundle, *extra, token=None):
    srv = env["srv"]
    return run_vigil("sign-blob", "--fulcio-url", srv.url, "--rekor-url", srv.url,
                     "--identity-token", token or env["token"], "--trusted-root", env["root"],
                     "--bundle", bundle, *extra, env["blob"], timeout=120)


def test_sign_blob_keyless_verifies(env, tmp_path):
    env["srv"].mode = "normal"
    bundle = tmp_path / "a.sigstore.json"
    cert = tmp_path / "a.pem"
    r = sign_blob(env, bundle, "--output-certificate", cert)
    assert r.rc == 0, r
    assert "tlog entry created with index" in r.err
    b = json.loads(bundle.read_text())
    assert b["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    e = b["verificationMaterial"]["tlogEntries"][0]
    assert e["kindVersion"] == {"kind": "hashedrekord", "version": "0.0.1"}
    assert "inclusionProof" in e and "inclusionPromise" in e
    assert cert.read_text().startswith("-----BEGIN CERTIFICATE-----")
    # what went to Fulcio and Rekor
    paths = [p for p, _ in env["srv"].requests[-2:]]
    assert paths == ["/api/v2/signingCert", "/api/v1/log/entries"]
    # vigil's own keyless verification
    r = run_vigil("verify-blob", "--bundle", bundle, "--trusted-root", env["root"],
                  "--certificate-identity", EMAIL, "--certificate-oidc-issuer", ISS,
                  "--format", "json", env["blob"])
    assert r.rc == 0, r
    out = json.loads(r.out)
    assert out["certificate"]["identity"] == EMAIL and out["tlogEntries"][0]["inclusionProof"]
    # another identity, another blob: refused
    r = run_vigil("verify-blob", "--bundle", bundle, "--trusted-root", env["root"],
                  "--certificate-identity", "mallory@example.com",
                  "--certificate-oidc-issuer", ISS, env["blob"])
    assert r.rc == 1, r
    other = tmp_path / "other.txt"
    other.write_bytes(b"other\n")
    r = run_vigil("verify-blob", "--bundle", bundle, "--trusted-root", env["root"],
                  "--certificate-identity", EMAIL, "--certificate-oidc-issuer", ISS, other)
    assert r.rc == 1, r


@pytest.mark.skipif(not COSIGN.exists(), reason="cosign 2.5 (trixie tools) not unpacked")
def test_sign_blob_keyless_cosign_verifies(env, tmp_path):
    env["srv"].mode = "normal"
    bundle = tmp_path / "c.sigstore.json"
    r = sign_blob(env, bundle)
    assert r.rc == 0, r
    p = subprocess.run([str(COSIGN), "verify-blob", "--new-bundle-format", "--bundle",
                        str(bundle), "--trusted-root", str(env["root"]),
                        "--certificate-identity", EMAIL, "--certificate-oidc-issuer", ISS,
                        str(env["blob"])], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "Verified OK" in p.stderr
    p = subprocess.run([str(COSIGN), "verify-blob", "--new-bundle-format", "--bundle",
                        str(bundle), "--trusted-root", str(env["root"]),
                        "--certificate-identity", "mallory@example.com",
                        "--certificate-oidc-issuer", ISS, str(env["blob"])],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0


@pytest.mark.parametrize("mode,msg", [
    ("other-key", "issued for another public key"),
    ("other-content", "not the hashedrekord of this signature"),
    ("bad-set", "does not verify under the trusted root"),
    ("huge", "exceed"),
    ("detached-sct-forged", "detached SCT: SCT signature does not verify"),
])
def test_hostile_services(env, tmp_path, mode, msg):
    env["srv"].mode = mode
    bundle = tmp_path / "h.sigstore.json"
    try:
        r = sign_blob(env, bundle)
    finally:
        env["srv"].mode = "normal"
    assert r.rc != 0, r
    assert msg in r.err, r
    assert not bundle.exists()


def test_detached_sct(env, tmp_path):
    """Fulcio's detached SCT is verified at signing (x509_entry, CT log of the root); the
    certificate carries none, so verifiers need --insecure-ignore-sct, as with cosign."""
    env["srv"].mode = "detached-sct"
    bundle = tmp_path / "d.sigstore.json"
    try:
        r = sign_blob(env, bundle)
    finally:
        env["srv"].mode = "normal"
    assert r.rc == 0, r
    args = ["--bundle", bundle, "--trusted-root", env["root"], "--certificate-identity", EMAIL,
            "--certificate-oidc-issuer", ISS]
    r = run_vigil("verify-blob", *args, env["blob"])
    assert r.rc == 1 and "no embedded SCT" in r.err, r
    r = run_vigil("verify-blob", *args, "--insecure-ignore-sct", env["blob"])
    assert r.rc == 0, r
    if COSIGN.exists():
        p = subprocess.run([str(COSIGN), "verify-blob", "--new-bundle-format",
                            "--insecure-ignore-sct", *map(str, args), str(env["blob"])],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, (p.stdout, p.stderr)
    # another Sigstore's CT log key: the SCT is from a log the root does not list
    other = Sigstore("elsewhere-ct")
    tr = env["s"].trusted_root()
    tr["ctlogs"] = other.trusted_root()["ctlogs"]
    root2 = tmp_path / "root2.json"
    root2.write_text(json.dumps(tr))
    env["srv"].mode = "detached-sct"
    srv = env["srv"]
    try:
        r = run_vigil("sign-blob", "--fulcio-url", srv.url, "--rekor-url", srv.url,
                      "--identity-token", env["token"], "--trusted-root", root2,
                      "--bundle", tmp_path / "x.json", env["blob"])
    finally:
        env["srv"].mode = "normal"
    assert r.rc != 0 and "SCT from a log not in the trusted root" in r.err, r


def test_another_sigstore_root_refuses(env, tmp_path):
    """Signed by this Fulcio/Rekor but checked under another Sigstore's root: not written."""
    other = Sigstore("elsewhere").write_root(tmp_path / "other_root.json")
    bundle = tmp_path / "o.sigstore.json"
    srv = env["srv"]
    r = run_vigil("sign-blob", "--fulcio-url", srv.url, "--rekor-url", srv.url,
                  "--identity-token", env["token"], "--trusted-root", other,
                  "--bundle", bundle, env["blob"])
    assert r.rc != 0 and "does not verify under the trusted root" in r.err, r
    assert not bundle.exists()


def test_token_errors(env, tmp_path):
    bundle = tmp_path / "t.sigstore.json"
    r = sign_blob(env, bundle, token="not-a-jwt")
    assert r.rc != 0 and "not a JWT" in r.err, r
    noclaims = jwt({"aud": "sigstore"})
    r = sign_blob(env, bundle, token=noclaims)
    assert r.rc != 0 and "iss claim" in r.err, r
    tokfile = tmp_path / "tok"
    tokfile.write_text(env["token"] + "\n")
    srv = env["srv"]
    r = run_vigil("sign-blob", "--fulcio-url", srv.url, "--rekor-url", srv.url,
                  "--identity-token-file", tokfile, "--trusted-root", env["root"],
                  "--bundle", bundle, env["blob"])
    assert r.rc == 0, r
    r = run_vigil("sign-blob", "--identity-token", env["token"], env["blob"])
    assert r.rc == 2 and "--bundle" in r.err, r
    # a Fulcio that refuses (the proof of possession signs another subject)
    sub_only = jwt({"iss": ISS, "sub": "12345"})
    r = sign_blob(env, bundle, token=sub_only)
    assert r.rc == 0, r  # sub is the subject then; the SAN is "12345"
    r = run_vigil("verify-blob", "--bundle", bundle, "--trusted-root", env["root"],
                  "--certificate-identity", "12345", "--certificate-oidc-issuer", ISS,
                  env["blob"])
    assert r.rc == 0, r
    assert base64  # noqa (imported for debugging output)


# ------------------------------------------------------------------ images (legacy layout)

@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    import signal
    from registry_serve import Serve
    d = tmp_path_factory.mktemp("ksignreg")
    srv = Serve(d / "root", d / "serve.log").start()
    yield srv
    srv.kill(signal.SIGTERM)


def push_image(srv, repo: str) -> str:
    from registry_serve import cjson, digest
    layer = srv.push_blob(repo, repo.encode())
    cfg = cjson({"architecture": "amd64", "os": "linux",
                 "rootfs": {"type": "layers", "diff_ids": [layer]}})
    cd = srv.push_blob(repo, cfg)
    m = cjson({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                          "size": len(cfg), "digest": cd},
               "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                           "size": len(repo), "digest": layer}]})
    r = srv.put_manifest(repo, "v1", m, "application/vnd.oci.image.manifest.v1+json")
    assert r.status == 201, r
    return digest(m)


def test_sign_image_keyless_legacy(env, reg, tmp_path):
    env["srv"].mode = "normal"
    md = push_image(reg, "ks/app")
    ref = f"{reg.host}/ks/app:v1"
    srv = env["srv"]
    r = run_vigil("sign", "--plain-http", "--fulcio-url", srv.url, "--rekor-url", srv.url,
                  "--identity-token", env["token"], "--trusted-root", env["root"], "-a", "env=ci",
                  ref, timeout=120)
    assert r.rc == 0, r
    assert "tlog entry created" in r.err
    # the layer carries what cosign keyless writes
    sig = json.loads(reg.req("GET", f"/v2/ks/app/manifests/sha256-{md.split(':')[1]}.sig",
                             headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}
                             ).body)
    ann = sig["layers"][0]["annotations"]
    assert set(ann) == {"dev.cosignproject.cosign/signature", "dev.sigstore.cosign/certificate",
                        "dev.sigstore.cosign/chain", "dev.sigstore.cosign/bundle"}, ann
    rb = json.loads(ann["dev.sigstore.cosign/bundle"])
    assert set(rb) == {"SignedEntryTimestamp", "Payload"}
    assert ann["dev.sigstore.cosign/chain"].count("BEGIN CERTIFICATE") == 2
    r = run_vigil("verify", "--plain-http", "--trusted-root", env["root"],
                  "--certificate-identity", EMAIL, "--certificate-oidc-issuer", ISS,
                  "-a", "env=ci", f"{reg.host}/ks/app@{md}")
    assert r.rc == 0, r
    r = run_vigil("verify", "--plain-http", "--trusted-root", env["root"],
                  "--certificate-identity", "mallory@example.com",
                  "--certificate-oidc-issuer", ISS, f"{reg.host}/ks/app@{md}")
    assert r.rc == 1, r
    if not COSIGN.exists():
        pytest.skip("cosign 2.5 (trixie tools) not unpacked")
    # cosign 2.5's legacy path reads its keys from TUF even with --trusted-root; its
    # SIGSTORE_* variables point it at the private instance instead
    from cryptography.hazmat.primitives import serialization as ser
    s = env["s"]
    pub = ser.PublicFormat.SubjectPublicKeyInfo
    (tmp_path / "rekor.pub").write_bytes(s.rekor_key.public_key().public_bytes(
        ser.Encoding.PEM, pub))
    (tmp_path / "ct.pub").write_bytes(s.ct_key.public_key().public_bytes(ser.Encoding.PEM, pub))
    (tmp_path / "fulcio.pem").write_bytes(s.root.public_bytes(ser.Encoding.PEM)
                                          + s.inter.public_bytes(ser.Encoding.PEM))
    cenv = dict(os.environ, SIGSTORE_REKOR_PUBLIC_KEY=str(tmp_path / "rekor.pub"),
                SIGSTORE_CT_LOG_PUBLIC_KEY_FILE=str(tmp_path / "ct.pub"),
                SIGSTORE_ROOT_FILE=str(tmp_path / "fulcio.pem"),
                TUF_ROOT=str(tmp_path / "tuf"))
    for ident, ok in ((EMAIL, True), ("mallory@example.com", False)):
        p = subprocess.run([str(COSIGN), "verify", "--allow-insecure-registry",
                            "--allow-http-registry", "--certificate-identity", ident,
                            "--certificate-oidc-issuer", ISS, f"{reg.host}/ks/app@{md}"],
                           capture_output=True, text=True, timeout=120, env=cenv)
        assert (p.returncode == 0) == ok, (p.stdout, p.stderr)
        if ok:
            assert md in p.stdout


def test_sign_image_keyless_usage(env, reg):
    r = run_vigil("sign", "--identity-token", env["token"], "--key", "x.key", "r/x:1")
    assert r.rc == 2 and "exclude" in r.err, r
