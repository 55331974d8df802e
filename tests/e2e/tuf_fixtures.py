# SPDX-License-Identifier: Apache-2.0
"""A TUF repository made in the test, in the layout of Sigstore's (tuf-repo-cdn.sigstore.dev):
specification metadata with consistent snapshots ("N.root.json", "N.snapshot.json",
"N.targets.json", an unversioned "timestamp.json"), ECDSA P-256 keys (keytype "ecdsa", scheme
"ecdsa-sha2-nistp256", PEM public values, hex DER signatures over the canonical JSON of
"signed") and target files stored as "targets/<sha256 hex>.<name>". Served over HTTP on
127.0.0.1 from a dict the test may change between requests."""
from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import json
import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

UTC = dt.timezone.utc


def canonical(o) -> bytes:
    """OLPC canonical JSON as securesystemslib writes it (only '"' and '\\' escaped)."""
    def enc(v):
        if isinstance(v, dict):
            return "{" + ",".join(enc(k) + ":" + enc(v[k]) for k in sorted(v)) + "}"
        if isinstance(v, list):
            return "[" + ",".join(enc(x) for x in v) + "]"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if v is True:
            return "true"
        if v is False:
            return "false"
        if v is None:
            return "null"
        return str(int(v))
    return enc(o).encode()


class Key:
    def __init__(self):
        self.priv = ec.generate_private_key(ec.SECP256R1())
        pub = self.priv.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.meta = {"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256",
                     "keyval": {"public": pub}}
        self.keyid = hashlib.sha256(canonical(self.meta)).hexdigest()

    def sign(self, data: bytes) -> str:
        return self.priv.sign(data, ec.ECDSA(hashes.SHA256())).hex()


def expires(days: float) -> str:
    return (dt.datetime.now(UTC) + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed(body: dict, keys: list[Key], unsigned: list[Key] = ()) -> bytes:
    data = canonical(body)
    sigs = [{"keyid": k.keyid, "sig": k.sign(data)} for k in keys]
    sigs += [{"keyid": k.keyid, "sig": ""} for k in unsigned]  # as Sigstore's roots list them
    return json.dumps({"signatures": sigs, "signed": body}, indent=1).encode()


def meta_entry(raw: bytes, version: int) -> dict:
    return {"version": version, "length": len(raw),
            "hashes": {"sha256": hashlib.sha256(raw).hexdigest()}}


class Repo:
    """Root keys (threshold 2 of 3), one timestamp, snapshot and targets key each."""

    def __init__(self):
        self.root_keys = [Key() for _ in range(3)]
        self.ts_key, self.snap_key, self.tgt_key = Key(), Key(), Key()
        self.root_version = 0
        self.files: dict[str, bytes] = {}
        self.targets: dict[str, bytes] = {}
        self.version = 0
        self.add_root()

    def root_body(self, version: int, days: float = 365) -> dict:
        keys = {k.keyid: k.meta for k in self.root_keys + [self.ts_key, self.snap_key,
                                                          self.tgt_key]}
        return {"_type": "root", "spec_version": "1.0", "version": version,
                "expires": expires(days), "consistent_snapshot": True, "keys": keys,
                "roles": {"root": {"keyids": [k.keyid for k in self.root_keys], "threshold": 2},
                          "timestamp": {"keyids": [self.ts_key.keyid], "threshold": 1},
                          "snapshot": {"keyids": [self.snap_key.keyid], "threshold": 1},
                          "targets": {"keyids": [self.tgt_key.keyid], "threshold": 1}}}

    def add_root(self, signers: list[Key] | None = None) -> bytes:
        """The next root version with the current keys, signed by signers (default: the
        current root keys, two of them, the third listed with an empty signature)."""
        self.root_version += 1
        body = self.root_body(self.root_version)
        s = signers if signers is not None else self.root_keys[:2]
        raw = signed(body, s, [k for k in self.root_keys if k not in s])
        self.files[f"{self.root_version}.root.json"] = raw
        return raw

    def rotate(self):
        """A new root version whose root and timestamp keys are new: signed by the old root's
        threshold and the new one's (spec §5.3.4)."""
        old = self.root_keys
        self.root_keys = [Key() for _ in range(3)]
        self.ts_key = Key()
        self.root_version += 1
        body = self.root_body(self.root_version)
        self.files[f"{self.root_version}.root.json"] = signed(body, old[:2] + self.root_keys[:2])

    def publish(self, ts_days: float = 1, tamper_target: bool = False):
        """New targets, snapshot and timestamp versions over self.targets."""
        self.version += 1
        v = self.version
        tmeta = {}
        for name, data in self.targets.items():
            h = hashlib.sha256(data).hexdigest()
            tmeta[name] = {"length": len(data), "hashes": {"sha256": h}}
            self.files[f"targets/{h}.{name}"] = data + (b" " if tamper_target else b"")
        targets = signed({"_type": "targets", "spec_version": "1.0", "version": v,
                          "expires": expires(90), "targets": tmeta}, [self.tgt_key])
        self.files[f"{v}.targets.json"] = targets
        snap = signed({"_type": "snapshot", "spec_version": "1.0", "version": v,
                       "expires": expires(30),
                       "meta": {"targets.json": meta_entry(targets, v)}}, [self.snap_key])
        self.files[f"{v}.snapshot.json"] = snap
        self.files["timestamp.json"] = signed(
            {"_type": "timestamp", "spec_version": "1.0", "version": v,
             "expires": expires(ts_days), "meta": {"snapshot.json": meta_entry(snap, v)}},
            [self.ts_key])


class Server:
    """Serves repo.files at http://127.0.0.1:PORT/ (404 for anything else); records paths."""

    def __init__(self, repo: Repo):
        self.repo = repo
        self.requests: list[str] = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.lstrip("/")
                outer.requests.append(name)
                data = outer.repo.files.get(name)
                self.send_response(200 if data is not None else 404)
                body = data if data is not None else b"not found\n"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
