# SPDX-License-Identifier: Apache-2.0
"""A tiny Fulcio v2 + Rekor v1 on 127.0.0.1 with the keys of a private Sigstore
(sigstore_fixtures.Sigstore): POST /api/v2/signingCert checks the proof of possession (an
ECDSA signature over the token's email, else sub) and issues a Fulcio-style leaf with an
embedded SCT; POST /api/v1/log/entries checks a hashedrekord 0.0.1 (the signature over the
digest with the certificate's key, or with the PEM public key a key-signed entry names), a dsse 0.0.1 or an intoto 0.0.2 (the envelope's signature
over the PAE) and answers with the entry, its SET and a one-leaf inclusion
proof with a signed checkpoint, as rekor.sigstore.dev does. The identity tokens are unsigned
JWTs (this Fulcio trusts them). `mode` makes it hostile: "other-key" (a certificate for another
key), "other-content" (an entry for another digest, correctly signed), "huge" (a 3 MiB answer),
"bad-set" (a SET by another key); "detached-sct" answers with a certificate without an
embedded SCT and the log's SCT beside it, "detached-sct-forged" with one signed by another key."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.server
import json
import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography import x509

from sigstore_fixtures import Sigstore, b64, pae, pem, sign

UTC = dt.timezone.utc


def jwt(claims: dict) -> str:
    def enc(o):
        return base64.urlsafe_b64encode(json.dumps(o).encode()).rstrip(b"=").decode()
    return enc({"alg": "none", "typ": "JWT"}) + "." + enc(claims) + ".c2ln"


class SigstoreServer:
    def __init__(self, s: Sigstore):
        self.s = s
        self.mode = "normal"
        self.requests: list[tuple[str, dict]] = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                req = json.loads(self.rfile.read(n))
                outer.requests.append((self.path, req))
                try:
                    if self.path == "/api/v2/signingCert":
                        code, body = 201, outer.fulcio(req)
                    elif self.path == "/api/v1/log/entries":
                        code, body = 201, outer.rekor(req)
                    else:
                        code, body = 404, {"message": "not found"}
                except ValueError as e:
                    code, body = 400, {"code": 400, "message": str(e)}
                raw = json.dumps(body).encode()
                if outer.mode == "huge":
                    raw = b'{"x":"' + b"A" * (3 << 20) + b'"}'
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # ------------------------------------------------------------------ Fulcio

    def fulcio(self, req: dict) -> dict:
        token = req["credentials"]["oidcIdentityToken"]
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        subject = claims.get("email") or claims["sub"]
        pkr = req["publicKeyRequest"]
        pub = serialization.load_pem_public_key(pkr["publicKey"]["content"].encode())
        try:
            pub.verify(base64.b64decode(pkr["proofOfPossession"]), subject.encode(),
                       ec.ECDSA(hashes.SHA256()))
        except Exception:
            raise ValueError("proof of possession does not verify")
        if self.mode == "other-key":
            pub = ec.generate_private_key(ec.SECP256R1()).public_key()
        now = dt.datetime.now(UTC) - dt.timedelta(seconds=5)
        detached = self.mode.startswith("detached-sct")
        _, cert = self.s.leaf(subject, claims["iss"], now, key=pub, sct=not detached)
        chain = {"certificates": [pem(c).decode() for c in (cert, self.s.inter, self.s.root)]}
        if detached:
            return {"signedCertificateDetachedSct": {
                "chain": chain, "signedCertificateTimestamp": self._detached_sct(cert, now)}}
        return {"signedCertificateEmbeddedSct": {"chain": chain}}

    def _detached_sct(self, cert, when) -> str:
        """The CT log's JSON SCT for the certificate itself (RFC 6962 x509_entry), base64, as
        Fulcio returns it; "detached-sct-forged" signs it with another key."""
        ms = int(when.timestamp() * 1000)
        der = cert.public_bytes(serialization.Encoding.DER)
        signed = (b"\x00\x00" + ms.to_bytes(8, "big") + b"\x00\x00" + len(der).to_bytes(3, "big")
                  + der + b"\x00\x00")
        key = (ec.generate_private_key(ec.SECP256R1()) if self.mode == "detached-sct-forged"
               else self.s.ct_key)
        sig = sign(key, signed)
        ds = b"\x04\x03" + len(sig).to_bytes(2, "big") + sig
        sct = {"sct_version": 0, "id": b64(self.s.ct_id), "timestamp": ms, "extensions": "",
               "signature": b64(ds)}
        return b64(json.dumps(sct).encode())

    # ------------------------------------------------------------------ Rekor

    def rekor(self, req: dict) -> dict:
        kv = (req.get("kind"), req.get("apiVersion"))
        if kv == ("dsse", "0.0.1"):
            return self._answer(self._dsse(req["spec"]["proposedContent"]))
        if kv == ("intoto", "0.0.2"):
            return self._answer(self._intoto(req["spec"]["content"]))
        if kv != ("hashedrekord", "0.0.1"):
            raise ValueError("unsupported entry")
        spec = req["spec"]
        digest = bytes.fromhex(spec["data"]["hash"]["value"])
        sig = base64.b64decode(spec["signature"]["content"])
        signer = base64.b64decode(spec["signature"]["publicKey"]["content"])
        if b"BEGIN PUBLIC KEY" in signer:  # a key-signed entry (cosign sign --key)
            pub = serialization.load_pem_public_key(signer)
        else:
            pub = x509.load_pem_x509_certificate(signer).public_key()
        try:
            pub.verify(sig, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        except Exception:
            raise ValueError("signature does not verify")
        if self.mode == "other-content":
            spec = json.loads(json.dumps(spec))
            spec["data"]["hash"]["value"] = hashlib.sha256(b"something else").hexdigest()
        body = json.dumps({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": spec},
                          sort_keys=True, separators=(",", ":")).encode()
        return self._answer(body)

    @staticmethod
    def _check_dsse(payload_type: str, payload: bytes, sig: bytes, cert_pem: bytes):
        cert = x509.load_pem_x509_certificate(cert_pem)
        try:
            cert.public_key().verify(sig, pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
        except Exception:
            raise ValueError("envelope signature does not verify")

    def _payload_hash(self, payload: bytes) -> dict:
        if self.mode == "other-content":
            payload = b"something else"
        return {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()}

    def _dsse(self, pc: dict) -> bytes:
        """dsse 0.0.1 as Rekor canonicalizes it: hashes and (signature, verifier) pairs."""
        env = json.loads(pc["envelope"])
        payload = base64.b64decode(env["payload"])
        sig = base64.b64decode(env["signatures"][0]["sig"])
        self._check_dsse(env["payloadType"], payload, sig, base64.b64decode(pc["verifiers"][0]))
        spec = {"envelopeHash": {"algorithm": "sha256",
                                 "value": hashlib.sha256(pc["envelope"].encode()).hexdigest()},
                "payloadHash": self._payload_hash(payload),
                "signatures": [{"signature": env["signatures"][0]["sig"],
                                "verifier": pc["verifiers"][0]}]}
        return json.dumps({"apiVersion": "0.0.1", "kind": "dsse", "spec": spec},
                          sort_keys=True, separators=(",", ":")).encode()

    def _intoto(self, c: dict) -> bytes:
        """intoto 0.0.2: payload and signatures base64-encoded twice; the canonical body drops
        the payload and adds its hash."""
        env = c["envelope"]
        payload = base64.b64decode(base64.b64decode(env["payload"]))
        s0 = env["signatures"][0]
        sig = base64.b64decode(base64.b64decode(s0["sig"]))
        self._check_dsse(env["payloadType"], payload, sig, base64.b64decode(s0["publicKey"]))
        content = {"envelope": {"payloadType": env["payloadType"],
                                "signatures": [{"publicKey": s0["publicKey"], "sig": s0["sig"]}]},
                   "hash": c["hash"], "payloadHash": self._payload_hash(payload)}
        return json.dumps({"apiVersion": "0.0.2", "kind": "intoto", "spec": {"content": content}},
                          sort_keys=True, separators=(",", ":")).encode()

    def _answer(self, body: bytes) -> dict:
        e = self.s._entry(body, dt.datetime.now(UTC))
        if self.mode == "bad-set":
            e["set"] = sign(ec.generate_private_key(ec.SECP256R1()), b"x")
        leaf = hashlib.sha256(b"\x00" + body).digest()
        uuid = leaf.hex()
        return {uuid: {"body": b64(body), "integratedTime": e["time"],
                       "logID": self.s.rekor_id.hex(), "logIndex": e["index"],
                       "verification": {
                           "signedEntryTimestamp": b64(e["set"]),
                           "inclusionProof": {"logIndex": 0, "treeSize": 1,
                                              "rootHash": leaf.hex(), "hashes": [],
                                              "checkpoint": self.s._checkpoint(leaf, 1)}}}}
