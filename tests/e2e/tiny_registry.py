# SPDX-License-Identifier: Apache-2.0
"""A tiny read-only registry (distribution spec pull routes only) serving the images of an OCI
image layout directory on 127.0.0.1 (its index.json re-read on each request, so a test may
move a tag), for tests that must see what a client asks for: it records every
request, and can dribble blobs (`blob_rate` bytes per second) to make a pull slow."""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MANIFEST = re.compile(r"^/v2/(.+)/manifests/([^/]+)$")
BLOB = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")


class TinyRegistry:
    def __init__(self, root, repo="test/app", blob_rate=0, chunk=16384):
        self.root, self.repo = Path(root), repo
        self.blob_rate, self.chunk = blob_rate, chunk
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        reg = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_HEAD(self):
                reg._serve(self, body=False)

            def do_GET(self):
                reg._serve(self, body=True)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def blob_path(self, digest):
        alg, hexd = digest.split(":", 1)
        return self.root / "blobs" / alg / hexd

    def tags(self):
        idx = json.loads((self.root / "index.json").read_text())
        return {m["annotations"]["org.opencontainers.image.ref.name"]: m
                for m in idx["manifests"]
                if "org.opencontainers.image.ref.name" in m.get("annotations", {})}

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def ref(self, tag="latest"):
        return f"{self.host}/{self.repo}:{tag}"

    def blob_gets(self, digests=None):
        with self.lock:
            return [p for m, p in self.requests if m == "GET" and "/blobs/" in p and
                    (digests is None or p.rsplit("/", 1)[1] in digests)]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _send(self, h, code, data=b"", ctype=None, body=True, digest=None):
        h.send_response(code)
        if ctype:
            h.send_header("Content-Type", ctype)
        if digest:
            h.send_header("Docker-Content-Digest", digest)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if not body:
            return
        if not self.blob_rate or ctype != "application/octet-stream":
            h.wfile.write(data)
            return
        for i in range(0, len(data), self.chunk):
            h.wfile.write(data[i:i + self.chunk])
            h.wfile.flush()
            time.sleep(self.chunk / self.blob_rate)

    def _serve(self, h, body):
        path = h.path.split("?", 1)[0]
        with self.lock:
            self.requests.append((h.command, path))
        try:
            if path == "/v2/" or path == "/v2":
                return self._send(h, 200, b"{}", "application/json", body)
            m = MANIFEST.match(path)
            if m and m.group(1) == self.repo:
                ref = m.group(2)
                desc = self.tags().get(ref)
                digest = desc["digest"] if desc else ref
                if not digest.startswith("sha256:") or not self.blob_path(digest).exists():
                    return self._send(h, 404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}',
                                      "application/json", body)
                data = self.blob_path(digest).read_bytes()
                mt = (desc or {}).get("mediaType") or \
                    "application/vnd.oci.image.manifest.v1+json"
                return self._send(h, 200, data, mt, body, digest)
            m = BLOB.match(path)
            if m and m.group(1) == self.repo and self.blob_path(m.group(2)).exists():
                data = self.blob_path(m.group(2)).read_bytes()
                return self._send(h, 200, data, "application/octet-stream", body, m.group(2))
            return self._send(h, 404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}',
                              "application/json", body)
        except (BrokenPipeError, ConnectionResetError):
            pass
