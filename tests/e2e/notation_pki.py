# SPDX-License-Identifier: Apache-2.0
"""Test PKI for the Notary Project tests: a root CA, an intermediate and code-signing leaves made
with python3-cryptography, written as PEM files, plus notation's trust store and trust policy
layout under a directory."""
from __future__ import annotations

import datetime
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
SUBJECT = [("C", "US"), ("ST", "WA"), ("L", "Seattle"), ("O", "acme-rockets.io"),
           ("CN", "SecureBuilder")]
OIDS = {"C": NameOID.COUNTRY_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME,
        "L": NameOID.LOCALITY_NAME, "O": NameOID.ORGANIZATION_NAME,
        "OU": NameOID.ORGANIZATIONAL_UNIT_NAME, "CN": NameOID.COMMON_NAME}


def name(rdns):
    return x509.Name([x509.NameAttribute(OIDS[k], v) for k, v in rdns])


def key(kind="ec256"):
    if kind == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))


class Cert:
    def __init__(self, cert, priv):
        self.cert, self.key = cert, priv

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def make(subject, issuer: Cert | None, ca: bool, kind="ec256", not_before=None, not_after=None,
         eku=(ExtendedKeyUsageOID.CODE_SIGNING,), path_len=None, key_usage_critical=True):
    priv = key(kind)
    nb = not_before or NOW - datetime.timedelta(days=1)
    na = not_after or NOW + datetime.timedelta(days=365)
    b = (x509.CertificateBuilder().subject_name(name(subject))
         .issuer_name(issuer.cert.subject if issuer else name(subject))
         .public_key(priv.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=path_len if ca else None),
                        critical=True)
         .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                                      key_encipherment=False, data_encipherment=False,
                                      key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                      encipher_only=False, decipher_only=False),
                        critical=key_usage_critical))
    if not ca and eku:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    signer = issuer.key if issuer else priv
    return Cert(b.sign(signer, hashes.SHA256()), priv)


class Pki:
    """root → intermediate → leaf (trusted), a second root with its own leaf (untrusted), an
    expired leaf, and a leaf with another subject."""

    def __init__(self, d: Path):
        self.dir = Path(d)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.root = make([("C", "US"), ("O", "acme-rockets.io"), ("CN", "Acme Root")], None, True)
        self.inter = make([("C", "US"), ("O", "acme-rockets.io"), ("CN", "Acme Signing CA")],
                          self.root, True, path_len=0)
        self.leaf = make(SUBJECT, self.inter, False)
        self.other_root = make([("C", "US"), ("O", "wabbit"), ("CN", "Wabbit Root")], None, True)
        self.other_leaf = make([("C", "US"), ("ST", "WA"), ("O", "wabbit"), ("CN", "w")],
                               self.other_root, False)
        self.expired = make(SUBJECT, self.inter, False,
                            not_before=NOW - datetime.timedelta(days=3),
                            not_after=NOW - datetime.timedelta(days=1))
        self.stranger = make([("C", "US"), ("ST", "WA"), ("O", "acme-rockets.io"),
                              ("CN", "Intern")], self.inter, False)
        self.rsa = make(SUBJECT, self.inter, False, kind="rsa3072")

    def write(self, label, leaf: Cert, chain: list[Cert]) -> tuple[Path, Path]:
        k = self.dir / f"{label}.key"
        c = self.dir / f"{label}.pem"
        k.write_bytes(leaf.key_pem)
        c.write_bytes(b"".join(x.pem for x in [leaf, *chain]))
        return k, c

    def store(self, base: Path, kind: str, name: str, *certs: Cert) -> Path:
        d = base / "x509" / kind / name
        d.mkdir(parents=True, exist_ok=True)
        for i, c in enumerate(certs):
            (d / f"cert{i}.pem").write_bytes(c.pem)
        return base


def policy(path: Path, level="strict", stores=("ca:acme",), identities=("*",), scopes=("*",),
           override=None) -> Path:
    sv = {"level": level}
    if override:
        sv["override"] = override
    pol = {"name": "p", "registryScopes": list(scopes), "signatureVerification": sv}
    if level != "skip":
        pol["trustStores"] = list(stores)
        pol["trustedIdentities"] = list(identities)
    path.write_text(json.dumps({"version": "1.0", "trustPolicies": [pol]}))
    return path
