# SPDX-License-Identifier: Apache-2.0
"""A private Sigstore for tests, built with Python `cryptography` (Debian python3-cryptography):
a Fulcio-like CA (root + intermediate), a Rekor log key and a CT log key, published in a
trusted_root.json; Fulcio-style leaf certificates (SAN, OIDC issuer extensions, code-signing
EKU, an embedded precertificate SCT); Rekor entries (hashedrekord 0.0.1 and dsse 0.0.1 bodies)
with signed entry timestamps, single-leaf inclusion proofs and signed checkpoints. What it
makes is what cosign keyless writes: the legacy `.sig` layer annotations
(dev.sigstore.cosign/certificate, /chain, /bundle) and v0.3 bundles with a DSSE envelope.
Nothing here talks to the network."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = dt.timezone.utc
OID_SCT = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
OID_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
REKOR_URL = "https://rekor.test.invalid"
REKOR_HOST = "rekor.test.invalid"
MT_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
MT_INTOTO = "application/vnd.in-toto+json"


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    s = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(s)]) + s


def der_octets(b: bytes) -> bytes:
    return b"\x04" + der_len(len(b)) + b


def der_utf8(s: str) -> bytes:
    b = s.encode()
    return b"\x0c" + der_len(len(b)) + b


def spki_der(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def ts(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(key, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


class Sigstore:
    """One private Sigstore instance: CA, Rekor key and CT log key."""

    def __init__(self, name: str = "test"):
        self.start = dt.datetime(2020, 1, 1, tzinfo=UTC)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.inter_key = ec.generate_private_key(ec.SECP256R1())
        self.rekor_key = ec.generate_private_key(ec.SECP256R1())
        self.ct_key = ec.generate_private_key(ec.SECP256R1())
        self.rekor_id = hashlib.sha256(spki_der(self.rekor_key)).digest()
        self.ct_id = hashlib.sha256(spki_der(self.ct_key)).digest()
        self.root = self._ca(f"{name}-fulcio-root", self.root_key, None, None)
        self.inter = self._ca(f"{name}-fulcio-intermediate", self.inter_key, self.root,
                              self.root_key)
        self.log_index = 1000

    def _ca(self, cn, key, issuer, issuer_key):
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vigil-test"),
                             x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        b = (x509.CertificateBuilder()
             .subject_name(subject)
             .issuer_name(issuer.subject if issuer else subject)
             .public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(self.start)
             .not_valid_after(self.start + dt.timedelta(days=365 * 30))
             .add_extension(x509.BasicConstraints(ca=True, path_length=None if not issuer else 0),
                            critical=True)
             .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                          False), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                            critical=False))
        return b.sign(issuer_key or key, hashes.SHA256())

    # ------------------------------------------------------------------ trusted root

    def trusted_root(self, ca_end: dt.datetime | None = None) -> dict:
        valid = {"start": ts(self.start)}
        ca_valid = dict(valid, **({"end": ts(ca_end)} if ca_end else {}))

        def log(key, ident, url):
            return {"baseUrl": url, "hashAlgorithm": "SHA2_256",
                    "publicKey": {"rawBytes": b64(spki_der(key)),
                                  "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": valid},
                    "logId": {"keyId": b64(ident)}}
        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(self.rekor_key, self.rekor_id, REKOR_URL)],
            "certificateAuthorities": [{
                "subject": {"organization": "vigil-test", "commonName": "fulcio"},
                "uri": "https://fulcio.test.invalid",
                "certChain": {"certificates": [
                    {"rawBytes": b64(c.public_bytes(serialization.Encoding.DER))}
                    for c in (self.inter, self.root)]},
                "validFor": ca_valid}],
            "ctlogs": [log(self.ct_key, self.ct_id, "https://ct.test.invalid")],
            "timestampAuthorities": [],
        }

    def write_root(self, path: Path, **kw) -> Path:
        path.write_text(json.dumps(self.trusted_root(**kw), indent=1))
        return path

    # ------------------------------------------------------------------ Fulcio

    def _sct(self, tbs: bytes, when: dt.datetime) -> bytes:
        ms = int(when.timestamp() * 1000)
        ikh = hashlib.sha256(spki_der(self.inter_key)).digest()
        signed = (b"\x00\x00" + ms.to_bytes(8, "big") + b"\x00\x01" + ikh
                  + len(tbs).to_bytes(3, "big") + tbs + b"\x00\x00")
        sig = sign(self.ct_key, signed)
        sct = (b"\x00" + self.ct_id + ms.to_bytes(8, "big") + b"\x00\x00" + b"\x04\x03"
               + len(sig).to_bytes(2, "big") + sig)
        lst = len(sct).to_bytes(2, "big") + sct
        return len(lst).to_bytes(2, "big") + lst

    def leaf(self, identity: str, issuer: str, not_before: dt.datetime, minutes: int = 10,
             sct: bool = True, key=None):
        """A Fulcio-style leaf: (private key, certificate) valid `minutes` from not_before
        (for `key`, a private or public key, when given)."""
        key = key if key is not None else ec.generate_private_key(ec.SECP256R1())
        pub = key.public_key() if hasattr(key, "public_key") else key
        san = (x509.UniformResourceIdentifier(identity) if "://" in identity
               else x509.RFC822Name(identity))
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([]))
             .issuer_name(self.inter.subject)
             .public_key(pub)
             .serial_number(x509.random_serial_number())
             .not_valid_before(not_before)
             .not_valid_after(not_before + dt.timedelta(minutes=minutes))
             .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False,
                                          False), critical=True)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]),
                            critical=False)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub),
                            critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                 self.inter_key.public_key()), critical=False)
             .add_extension(x509.SubjectAlternativeName([san]), critical=True)
             .add_extension(x509.UnrecognizedExtension(OID_ISSUER_V1, issuer.encode()),
                            critical=False)
             .add_extension(x509.UnrecognizedExtension(OID_ISSUER_V2, der_utf8(issuer)),
                            critical=False))
        if sct:
            pre = b.sign(self.inter_key, hashes.SHA256())
            lst = self._sct(pre.tbs_certificate_bytes, not_before)
            b = b.add_extension(x509.UnrecognizedExtension(OID_SCT, der_octets(lst)),
                                critical=False)
        return key, b.sign(self.inter_key, hashes.SHA256())

    # ------------------------------------------------------------------ Rekor

    def _entry(self, body: bytes, when: dt.datetime) -> dict:
        self.log_index += 1
        t = int(when.timestamp())
        canon = json.dumps({"body": b64(body), "integratedTime": t,
                            "logID": self.rekor_id.hex(), "logIndex": self.log_index},
                           sort_keys=True, separators=(",", ":")).encode()
        return {"body": body, "time": t, "index": self.log_index,
                "set": sign(self.rekor_key, canon)}

    def _checkpoint(self, root_hash: bytes, size: int) -> str:
        text = f"{REKOR_HOST} - 42\n{size}\n{b64(root_hash)}\n"
        sig = sign(self.rekor_key, text.encode())
        return text + "\n" + f"\u2014 {REKOR_HOST} {b64(self.rekor_id[:4] + sig)}\n"

    def hashedrekord(self, data: bytes, sig: bytes, cert, when) -> dict:
        body = json.dumps({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(data).hexdigest()}},
            "signature": {"content": b64(sig), "publicKey": {"content": b64(pem(cert))}}}},
            separators=(",", ":")).encode()
        return self._entry(body, when)

    def dsse_entry(self, envelope: dict, payload: bytes, sig: bytes, cert, when) -> dict:
        env = json.dumps(envelope, separators=(",", ":")).encode()
        body = json.dumps({"apiVersion": "0.0.1", "kind": "dsse", "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(env).hexdigest()},
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": [{"signature": b64(sig), "verifier": b64(pem(cert))}]}},
            separators=(",", ":")).encode()
        return self._entry(body, when)

    # ------------------------------------------------------------------ cosign layouts

    def legacy_layer(self, payload: bytes, identity: str, issuer: str, signed_at: dt.datetime,
                     logged_at: dt.datetime | None = None, tlog: bool = True,
                     sct: bool = True) -> dict:
        """The annotations of a keyless `.sig` layer over payload, as cosign writes them."""
        key, cert = self.leaf(identity, issuer, signed_at, sct=sct)
        sig = sign(key, payload)
        ann = {
            "dev.cosignproject.cosign/signature": b64(sig),
            "dev.sigstore.cosign/certificate": pem(cert).decode(),
            "dev.sigstore.cosign/chain": (pem(self.inter) + pem(self.root)).decode(),
        }
        if tlog:
            e = self.hashedrekord(payload, sig, cert, logged_at or signed_at
                                  + dt.timedelta(seconds=30))
            ann["dev.sigstore.cosign/bundle"] = json.dumps({
                "SignedEntryTimestamp": b64(e["set"]),
                "Payload": {"body": b64(e["body"]), "integratedTime": e["time"],
                            "logIndex": e["index"], "logID": self.rekor_id.hex()}},
                separators=(",", ":"))
        return ann

    def dsse_bundle(self, statement: bytes, identity: str, issuer: str,
                    signed_at: dt.datetime, logged_at: dt.datetime | None = None,
                    tlog: bool = True) -> dict:
        """A v0.3 bundle: DSSE over statement, Fulcio certificate, one dsse 0.0.1 entry with a
        SET and an inclusion proof (a one-leaf tree) with a signed checkpoint."""
        key, cert = self.leaf(identity, issuer, signed_at)
        sig = sign(key, pae(MT_INTOTO, statement))
        envelope = {"payload": b64(statement), "payloadType": MT_INTOTO,
                    "signatures": [{"sig": b64(sig)}]}
        entries = []
        if tlog:
            e = self.dsse_entry(envelope, statement, sig, cert,
                                logged_at or signed_at + dt.timedelta(seconds=30))
            leaf = hashlib.sha256(b"\x00" + e["body"]).digest()
            entries.append({
                "logIndex": str(e["index"]), "logId": {"keyId": b64(self.rekor_id)},
                "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                "integratedTime": str(e["time"]),
                "inclusionPromise": {"signedEntryTimestamp": b64(e["set"])},
                "inclusionProof": {"logIndex": "0", "rootHash": b64(leaf), "treeSize": "1",
                                   "hashes": [],
                                   "checkpoint": {"envelope": self._checkpoint(leaf, 1)}},
                "canonicalizedBody": b64(e["body"])})
        return {"mediaType": MT_BUNDLE,
                "verificationMaterial": {
                    "certificate": {"rawBytes": b64(cert.public_bytes(
                        serialization.Encoding.DER))},
                    "tlogEntries": entries},
                "dsseEnvelope": envelope}
