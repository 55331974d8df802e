# SPDX-License-Identifier: Apache-2.0
"""RFC 3161 timestamps in Notary Project signatures (`vigil notation sign --timestamp-url URL
--timestamp-root-cert FILE`, docs/notation.md "Timestamps") against a real time-stamping
authority: `openssl ts -reply` behind HTTP on 127.0.0.1 (tsa_server.py). The TSA's token of the
signature value goes in the envelope's unprotected header io.cncf.notary.timestampSignature
(JWS: base64; COSE: a byte string); vigil checks it under the root before pushing and its
verifier accepts it under a `tsa:` trust store. Refused: a root that is not the TSA's (nothing
pushed), a token of another TSA at verification, a token swapped in from another signature."""
import base64
import hashlib
import json
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from registry_serve import Serve
from tsa_server import TSA

pytest.importorskip("cryptography", reason="python3-cryptography builds the test PKI")
from notation_pki import Pki, policy  # noqa: E402

if not shutil.which("openssl"):
    pytest.skip("the openssl CLI is the time-stamping authority", allow_module_level=True)

MT = "application/vnd.oci.image.manifest.v1+json"
TSH = "io.cncf.notary.timestampSignature"


@pytest.fixture(scope="module")
def tsas():
    a, b = TSA("tsa-a"), TSA("tsa-b")
    try:
        yield a, b
    finally:
        a.close()
        b.close()


@pytest.fixture
def env(tmp_path, vigil, tsas):
    reg = Serve(tmp_path / "root", tmp_path / "serve.log").start()
    try:
        raw = reg.push_config_image("team/app", "v1")
        pki = Pki(tmp_path / "pki")
        store = pki.store(tmp_path / "ts", "ca", "acme", pki.root)
        for label, t in zip("ab", tsas):
            d = store / "x509" / "tsa" / f"tsa-{label}-root"
            d.mkdir(parents=True)
            (d / "root.pem").write_bytes(t.root.public_bytes(serialization.Encoding.PEM))
            (tmp_path / f"{d.name}.pem").write_bytes(
                t.root.public_bytes(serialization.Encoding.PEM))
        yield Env(vigil, tmp_path, reg, pki, store, raw, tsas)
    finally:
        reg.kill()


class Env:
    def __init__(self, vigil, d, reg, pki, store, manifest, tsas):
        self.vigil, self.dir, self.reg, self.pki, self.store = vigil, d, reg, pki, store
        self.ref = f"{reg.host}/team/app:v1"
        self.manifest = manifest
        self.tsas = tsas

    def sign(self, *args, leaf=None, tsa=0, root=None, label="leaf"):
        k, c = self.pki.write(label, leaf or self.pki.leaf, [self.pki.inter, self.pki.root])
        t = self.tsas[tsa]
        root = root or self.dir / f"tsa-{'ab'[tsa]}-root.pem"
        return self.vigil("notation", "sign", "--plain-http", "--key", k, "--cert", c,
                          "--timestamp-url", t.url, "--timestamp-root-cert", root, *args,
                          self.ref)

    def verify(self, *args, stores=("ca:acme", "tsa:tsa-a-root"), **pol):
        p = policy(self.dir / "policy.json", stores=stores, **pol)
        return self.vigil("notation", "verify", "--plain-http", "--trust-policy", p,
                          "--trust-store", self.store, "--format", "json", *args, self.ref)

    def digest(self):
        return "sha256:" + hashlib.sha256(self.manifest).hexdigest()

    def signatures(self):
        r = self.reg.req("GET", f"/v2/team/app/referrers/{self.digest()}")
        assert r.status == 200, r
        out = []
        for ref in r.json()["manifests"]:
            m = self.reg.req("GET", f"/v2/team/app/manifests/{ref['digest']}",
                             headers={"Accept": MT}).json()
            blob = self.reg.req("GET", f"/v2/team/app/blobs/{m['layers'][0]['digest']}").body
            out.append((ref["digest"], m, blob))
        return out


def token_text(tmp, token: bytes) -> str:
    p = tmp / "token.der"
    p.write_bytes(token)
    return subprocess.run(["openssl", "ts", "-reply", "-in", str(p), "-token_in", "-text",
                           "-token_out"], check=True, capture_output=True, text=True).stdout


def openssl_verifies(tmp, token: bytes, data: bytes, root) -> bool:
    """`openssl ts -verify`: the token stamps data and chains to root."""
    (tmp / "token.der").write_bytes(token)
    (tmp / "data.bin").write_bytes(data)
    (tmp / "ca.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    r = subprocess.run(["openssl", "ts", "-verify", "-in", str(tmp / "token.der"), "-token_in",
                        "-data", str(tmp / "data.bin"), "-CAfile", str(tmp / "ca.pem")],
                       capture_output=True, text=True)
    return r.returncode == 0 and "Verification: OK" in r.stdout


def test_jws_timestamp_is_the_tsas_token_of_the_signature_value(env):
    before = env.tsas[0].requests
    r = env.sign("--format", "json")
    assert r.rc == 0, r
    assert "timestamp" in json.loads(r.out)
    assert env.tsas[0].requests == before + 1
    [(_, _, blob)] = env.signatures()
    jws = json.loads(blob)
    token = base64.b64decode(jws["header"][TSH])
    sig = base64.urlsafe_b64decode(jws["signature"] + "==")
    # the message imprint is SHA-256 (ES256's hash) of the raw signature value, by tsa-a
    assert "Hash Algorithm: sha256" in token_text(env.dir, token)
    assert openssl_verifies(env.dir, token, sig, env.tsas[0].root)
    assert not openssl_verifies(env.dir, token, sig + b"x", env.tsas[0].root)
    v = env.verify()
    assert v.rc == 0, v
    checks = json.loads(v.out)["signatures"][0]["checks"]
    assert checks["authenticTimestamp"]["result"] == "passed", v


def test_cose_timestamp_with_rsa_uses_sha384(env):
    r = env.sign("--signature-format", "cose", leaf=env.pki.rsa, label="rsa")
    assert r.rc == 0, r
    [(_, _, blob)] = env.signatures()
    # the token is the byte string after the text key in the unprotected map
    key = TSH.encode()
    i = blob.index(key) + len(key)
    assert blob[i] == 0x59  # bstr, 2-byte length
    n = int.from_bytes(blob[i + 1:i + 3], "big")
    token = blob[i + 3:i + 3 + n]
    assert "Hash Algorithm: sha384" in token_text(env.dir, token)
    # the COSE signature is the last byte string: 384 bytes (RSA 3072) at the end
    assert openssl_verifies(env.dir, token, blob[-384:], env.tsas[0].root)
    v = env.verify()
    assert v.rc == 0, v
    sig = json.loads(v.out)["signatures"][0]
    assert sig["mediaType"] == "application/cose" and sig["algorithm"] == "PS384"
    assert sig["checks"]["authenticTimestamp"]["result"] == "passed"


def test_wrong_root_refuses_before_pushing(env):
    # tsa-b's root does not verify tsa-a's token: nothing reaches the registry
    r = env.sign(tsa=0, root=env.dir / "tsa-b-root.pem")
    assert r.rc != 0 and "--timestamp-root-cert" in r.err, r
    assert env.signatures() == []
    r = env.sign("--signing-scheme", "notary.x509.signingAuthority")
    assert r.rc == 2 and "notary.x509 scheme" in r.err, r
    r = env.vigil("notation", "sign", "--plain-http", "--key", "k", "--cert", "c",
                  "--timestamp-url", env.tsas[0].url, env.ref)
    assert r.rc == 2 and "go together" in r.err, r
    # a signing chain that is not valid at the timestamp's time is refused too
    r = env.sign(leaf=env.pki.expired, label="expired")
    assert r.rc != 0 and "not valid at the timestamp's time" in r.err, r
    assert env.signatures() == []


def test_foreign_tsa_is_not_trusted(env):
    assert env.sign(tsa=1).rc == 0  # tsa-b, verified against its own root at signing
    v = env.verify()  # the policy trusts only tsa-a
    assert v.rc == 1, v
    c = json.loads(v.out)["signatures"][0]["checks"]["authenticTimestamp"]
    assert c["result"] == "failed" and "timestamp token does not verify" in c["error"], v
    assert env.verify(stores=("ca:acme", "tsa:tsa-b-root")).rc == 0


def test_swapped_timestamp_fails(env):
    assert env.sign().rc == 0
    assert env.sign().rc == 0
    sigs = env.signatures()
    assert len(sigs) == 2
    (d1, m1, b1), (d2, _, b2) = sigs
    j1, j2 = json.loads(b1), json.loads(b2)
    assert j1["signature"] != j2["signature"] and j1["header"][TSH] != j2["header"][TSH]
    j1["header"][TSH] = j2["header"][TSH]  # genuine token, of the other signature's value
    raw = json.dumps(j1).encode()
    m1["layers"][0] = {"mediaType": "application/jose+json",
                       "digest": env.reg.push_blob("team/app", raw), "size": len(raw)}
    mraw = json.dumps(m1).encode()
    md = "sha256:" + hashlib.sha256(mraw).hexdigest()
    for d in (d1, d2):
        assert env.reg.req("DELETE", f"/v2/team/app/manifests/{d}").status == 202
    assert env.reg.put_manifest("team/app", md, mraw, MT).status == 201
    v = env.verify()
    assert v.rc == 1, v
    c = json.loads(v.out)["signatures"][0]["checks"]
    # the envelope's own signature still verifies (the header is unprotected) ...
    assert c["integrity"]["result"] == "passed", v
    # ... but the token stamps another value
    assert c["authenticTimestamp"]["result"] == "failed", v
    assert "timestamp token does not verify" in c["authenticTimestamp"]["error"], v
