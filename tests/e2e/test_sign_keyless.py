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
    ("detached-sct", "detached SCT"),
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
