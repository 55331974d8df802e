# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of Notary Project signatures (`vigil notation sign|verify`, docs/notation.md)
against vigil's own registry and its referrers API: JWS and COSE envelopes signed with an
X.509 key and chain made here, pushed as referrers, then verified against notation's trust
store layout and trust policies — the wrong trust store, an untrusted identity, a tampered
envelope, an expired certificate under strict, permissive and audit levels, skip, expiry, user
metadata, the manifest layout notation itself writes and reads."""
import base64
import hashlib
import json
import shutil

import pytest

from registry_serve import Serve

pytest.importorskip("cryptography", reason="python3-cryptography builds the test PKI")
from notation_pki import Pki, policy  # noqa: E402

MT = "application/vnd.oci.image.manifest.v1+json"
NOTARY = "application/vnd.cncf.notary.signature"


@pytest.fixture
def env(tmp_path, vigil):
    reg = Serve(tmp_path / "root", tmp_path / "serve.log").start()
    try:
        raw = reg.push_config_image("team/app", "v1")
        pki = Pki(tmp_path / "pki")
        store = pki.store(tmp_path / "ts", "ca", "acme", pki.root)
        pki.store(store, "ca", "wabbit", pki.other_root)
        pki.store(store, "signingAuthority", "acme-sa", pki.root)
        yield Env(vigil, tmp_path, reg, pki, store, raw)
    finally:
        reg.kill()


class Env:
    def __init__(self, vigil, d, reg, pki, store, manifest):
        self.vigil, self.dir, self.reg, self.pki, self.store = vigil, d, reg, pki, store
        self.ref = f"{reg.host}/team/app:v1"
        self.manifest = manifest
        self.home = {"XDG_CONFIG_HOME": str(d / "xdg")}

    def sign(self, leaf=None, chain=None, *args, label="leaf"):
        k, c = self.pki.write(label, leaf or self.pki.leaf,
                              chain if chain is not None else [self.pki.inter, self.pki.root])
        return self.vigil("notation", "sign", "--plain-http", "--key", k, "--cert", c, *args,
                          self.ref, env=self.home)

    def verify(self, *args, **pol):
        p = policy(self.dir / "policy.json", **pol)
        return self.vigil("notation", "verify", "--plain-http", "--trust-policy", p,
                          "--trust-store", self.store, *args, self.ref, env=self.home)

    def referrers(self):
        r = self.reg.req("GET", f"/v2/team/app/referrers/{self.digest()}")
        assert r.status == 200, r
        return r.json()["manifests"]

    def digest(self):
        return "sha256:" + hashlib.sha256(self.manifest).hexdigest()


def test_sign_then_verify_jws_through_the_referrers_api(env):
    r = env.sign(None, None, "--format", "json")
    assert r.rc == 0, r
    out = json.loads(r.out)
    assert out["signatureFormat"] == "jws" and out["referrersApi"] is True
    refs = env.referrers()
    assert [m["artifactType"] for m in refs] == [NOTARY]
    m = env.reg.req("GET", f"/v2/team/app/manifests/{refs[0]['digest']}",
                    headers={"Accept": MT}).json()
    assert m["artifactType"] == NOTARY and m["subject"]["digest"] == env.digest()
    assert [x["mediaType"] for x in m["layers"]] == ["application/jose+json"]
    tp = json.loads(m["annotations"]["io.cncf.notary.x509chain.thumbprint#S256"])
    assert len(tp) == 3
    blob = env.reg.req("GET", f"/v2/team/app/blobs/{m['layers'][0]['digest']}").body
    jws = json.loads(blob)
    assert set(jws) == {"payload", "protected", "header", "signature"}
    hdr = json.loads(base64.urlsafe_b64decode(jws["protected"] + "=="))
    assert hdr["alg"] == "ES256" and hdr["cty"] == "application/vnd.cncf.notary.payload.v1+json"
    assert hdr["io.cncf.notary.signingScheme"] == "notary.x509"
    assert hdr["crit"] == ["io.cncf.notary.signingScheme"]
    assert len(jws["header"]["x5c"]) == 3
    payload = json.loads(base64.urlsafe_b64decode(jws["payload"] + "=="))
    assert payload["targetArtifact"]["digest"] == env.digest()

    v = env.verify("--format", "json", identities=[
        "x509.subject: C=US, ST=WA, O=acme-rockets.io"])
    assert v.rc == 0, v
    res = json.loads(v.out)
    assert res["verified"] is True and res["level"] == "strict"
    sig = res["signatures"][0]
    assert sig["verified"] and sig["algorithm"] == "ES256"
    assert "CN=SecureBuilder" in sig["signer"]
    # The test PKI names no OCSP responder or CRL: nothing to ask, nothing revoked.
    assert sig["checks"]["revocation"]["result"] == "passed"
    off = json.loads(env.verify("--format", "json", "--no-revocation").out)
    assert off["signatures"][0]["checks"]["revocation"]["result"] == "skipped"
    t = env.verify()
    assert t.rc == 0 and "Successfully verified signature" in t.out, t


def test_cose_envelope_with_rsa_3072_expiry_and_user_metadata(env):
    r = env.sign(env.pki.rsa, None, "--signature-format", "cose", "--expiry", "1h",
                 "-m", "buildId=123", label="rsa")
    assert r.rc == 0, r
    v = env.verify("--format", "json", "-m", "buildId=123")
    assert v.rc == 0, v
    sig = json.loads(v.out)["signatures"][0]
    assert sig["mediaType"] == "application/cose" and sig["algorithm"] == "PS384"
    assert sig["userMetadata"] == {"buildId": "123"} and "expiry" in sig
    bad = env.verify("-m", "buildId=124")
    assert bad.rc == 1 and "user metadata buildId=124" in bad.err, bad


def test_wrong_trust_store_and_untrusted_identity_fail(env):
    assert env.sign().rc == 0
    r = env.verify(stores=["ca:wabbit"])
    assert r.rc == 1 and "trust store(s) ca:wabbit" in r.err, r
    r = env.verify(identities=["x509.subject: C=US, ST=WA, O=acme-rockets.io, CN=Other"])
    assert r.rc == 1 and "not a trusted identity" in r.err, r
    # audit only logs authenticity failures: the signature passes with a warning.
    r = env.verify(level="audit", stores=["ca:wabbit"])
    assert r.rc == 0 and "Warning:" in r.err and "authenticity check failed" in r.err, r
    # an identity that names another subject of the same CA is refused
    assert env.sign(env.pki.stranger, label="stranger").rc == 0
    r = env.verify("--format", "json", identities=[
        "x509.subject: C=US, ST=WA, O=acme-rockets.io, CN=SecureBuilder"])
    assert r.rc == 0, r  # one of the two signatures (the first signer's) verifies


def test_signature_from_another_root_is_untrusted(env):
    assert env.sign(env.pki.other_leaf, [env.pki.other_root], label="other").rc == 0
    r = env.verify()
    assert r.rc == 1 and "does not lead to a certificate in the trust store" in r.err, r


def test_expired_certificate_strict_fails_permissive_logs(env):
    assert env.sign(env.pki.expired, label="expired").rc == 0
    r = env.verify()
    assert r.rc == 1 and "authenticTimestamp" in r.err and "expired at" in r.err, r
    r = env.verify(level="permissive")
    assert r.rc == 0 and "authenticTimestamp check failed (logged by level permissive)" in r.err, r
    r = env.verify(override={"authenticTimestamp": "log"})
    assert r.rc == 0, r


def test_tampered_envelope_fails_integrity_at_every_level(env):
    assert env.sign().rc == 0
    ref = env.referrers()[0]
    m = env.reg.req("GET", f"/v2/team/app/manifests/{ref['digest']}",
                    headers={"Accept": MT}).json()
    blob = json.loads(env.reg.req("GET", f"/v2/team/app/blobs/{m['layers'][0]['digest']}").body)
    payload = json.loads(base64.urlsafe_b64decode(blob["payload"] + "=="))
    payload["targetArtifact"]["annotations"] = {"evil": "1"}
    blob["payload"] = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    raw = json.dumps(blob).encode()
    d = env.reg.push_blob("team/app", raw)
    m["layers"][0] = {"mediaType": "application/jose+json", "digest": d, "size": len(raw)}
    mraw = json.dumps(m).encode()
    md = "sha256:" + hashlib.sha256(mraw).hexdigest()
    # the genuine signature goes away so only the tampered one is left
    assert env.reg.req("DELETE", f"/v2/team/app/manifests/{ref['digest']}").status == 202
    assert env.reg.put_manifest("team/app", md, mraw, MT).status == 201
    for level in ("strict", "permissive", "audit"):
        r = env.verify(level=level)
        assert r.rc == 1 and "integrity" in r.err and "does not verify" in r.err, (level, r)


def test_skip_level_and_no_signature(env):
    r = env.verify(level="skip", scopes=[f"{env.reg.host}/team/app"])
    assert r.rc == 0 and "level skip" in r.out, r
    r = env.verify()
    assert r.rc == 1 and "no Notary signature is attached" in r.err, r
    r = env.verify(scopes=[f"{env.reg.host}/other/repo"])
    assert r.rc == 4 and "no trust policy applies" in r.err, r


def test_signing_authority_scheme(env):
    assert env.sign(None, None, "--signing-scheme", "notary.x509.signingAuthority").rc == 0
    r = env.verify(stores=["ca:acme"])
    assert r.rc == 1 and "names no signingAuthority trust store" in r.err, r
    r = env.verify("--format", "json", stores=["signingAuthority:acme-sa"])
    assert r.rc == 0, r
    assert json.loads(r.out)["signatures"][0]["signingScheme"] == \
        "notary.x509.signingAuthority"


def test_bad_inputs_are_usage_or_corrupt_errors(env):
    r = env.sign(env.pki.leaf, [env.pki.root])  # intermediate missing: chain out of order
    assert r.rc == 2 and "certificate chain" in r.err, r
    k, c = env.pki.write("mismatch", env.pki.leaf, [env.pki.inter, env.pki.root])
    k.write_bytes(env.pki.other_leaf.key_pem)
    r = env.vigil("notation", "sign", "--plain-http", "--key", k, "--cert", c, env.ref)
    assert r.rc == 2 and "does not belong" in r.err, r
    (env.dir / "bad.json").write_text('{"version": "1.0", "trustPolicies": [{"name": "a", '
                                      '"registryScopes": ["*"], "signatureVerification": '
                                      '{"level": "skip"}}]}')
    r = env.vigil("notation", "verify", "--plain-http", "--trust-policy", env.dir / "bad.json",
                  env.ref)
    assert r.rc == 6 and "skip cannot have the global scope" in r.err, r
    r = env.vigil("notation", "frobnicate", env.ref)
    assert r.rc == 2
    h = env.vigil("notation", "--help")
    assert h.rc == 0 and "Examples:" in h.out and "Exit codes:" in h.out


def test_default_trust_policy_location(env):
    assert env.sign().rc == 0
    xdg = env.dir / "xdg" / "notation"
    (xdg).mkdir(parents=True)
    policy(xdg / "trustpolicy.json")
    shutil.copytree(env.store, xdg / "truststore")
    r = env.vigil("notation", "verify", "--plain-http", env.ref, env=env.home)
    assert r.rc == 0, r
