# SPDX-License-Identifier: Apache-2.0
"""A real RFC 3161 time-stamping authority on 127.0.0.1: `openssl ts -reply` behind a tiny
HTTP wrapper (POST application/timestamp-query -> application/timestamp-reply), with a TSA
root and a timeStamping leaf made here (Python `cryptography`). `trusted_root_entry()` is the
trusted_root.json `timestampAuthorities` entry that trusts it. `mode` makes it hostile:
"garbage" (not DER), "other-imprint" (a genuine timestamp of other bytes), "rejection"
(status rejection)."""
from __future__ import annotations

import base64
import datetime as dt
import http.server
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = dt.timezone.utc

CONFIG = """\
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.57264.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vigil-test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class TSA:
    def __init__(self, name: str = "tsa"):
        self.dir = Path(tempfile.mkdtemp(prefix="vigil-tsa-"))
        self.start = dt.datetime(2020, 1, 1, tzinfo=UTC)
        end = self.start + dt.timedelta(days=365 * 30)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.root = (x509.CertificateBuilder().subject_name(_name(f"{name}-root"))
                     .issuer_name(_name(f"{name}-root")).public_key(self.root_key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(self.start).not_valid_after(end)
                     .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                     .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                                  False, False), critical=True)
                     .sign(self.root_key, hashes.SHA256()))
        self.cert = (x509.CertificateBuilder().subject_name(_name(f"{name}-timestamping"))
                     .issuer_name(self.root.subject).public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(self.start).not_valid_after(end)
                     .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                                    critical=True)
                     .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                                  False, False), critical=True)
                     .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                                    critical=True)
                     .sign(self.root_key, hashes.SHA256()))
        (self.dir / "tsa.pem").write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        (self.dir / "tsa.key").write_bytes(self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        (self.dir / "serial").write_text("01\n")
        (self.dir / "tsa.cnf").write_text(CONFIG.format(dir=self.dir))
        self.mode = "normal"
        self.lock = threading.Lock()
        self.requests = 0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                query = self.rfile.read(n)
                outer.requests += 1
                code, body = 200, outer.reply(query, self.headers.get("Content-Type", ""))
                if body is None:
                    code, body = 400, b"bad request"
                self.send_response(code)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v1/timestamp"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _openssl(self, *args: str) -> bytes:
        return subprocess.run(["openssl", "ts", *args], check=True, capture_output=True,
                              timeout=60).stdout

    def reply(self, query: bytes, content_type: str) -> bytes | None:
        if content_type != "application/timestamp-query":
            return None
        if self.mode == "garbage":
            return b"\x30\x03\x02\x01"
        with self.lock:
            q = self.dir / "q.tsq"
            q.write_bytes(query)
            if self.mode == "other-imprint":
                other = self.dir / "other.bin"
                other.write_bytes(b"other bytes")
                self._openssl("-query", "-data", str(other), "-sha256", "-cert",
                              "-out", str(q))
            out = self.dir / "r.tsr"
            self._openssl("-reply", "-config", str(self.dir / "tsa.cnf"), "-queryfile", str(q),
                          "-out", str(out))
            data = out.read_bytes()
        if self.mode == "rejection":
            # PKIStatusInfo { status rejection(2) } and no token
            return bytes.fromhex("3005300302 0102".replace(" ", ""))
        return data

    def trusted_root_entry(self) -> dict:
        der = serialization.Encoding.DER
        return {"subject": {"organization": "vigil-test", "commonName": "tsa"},
                "uri": self.url,
                "certChain": {"certificates": [
                    {"rawBytes": base64.b64encode(c.public_bytes(der)).decode()}
                    for c in (self.cert, self.root)]},
                "validFor": {"start": self.start.strftime("%Y-%m-%dT%H:%M:%SZ")}}
