#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
#
# The push benchmark's floor: a registry that answers a push the way a real one does (blob
# HEAD 404, upload POST 202 with a Location, PATCH 202, closing PUT 201, manifest PUT 201) and
# does nothing else: it reads each body into one reused buffer and throws it away (no digest, no
# file, no fsync). `skopeo copy` into it takes what the client needs by itself to read, hash and
# send the image, so a real server's push time can be read against it: what it adds above
# this floor is all the server can remove. It is no registry: nothing is stored or checked.
#
# Usage: null_registry.py PORT   (127.0.0.1 only; runs until killed)
import http.server
import sys
import uuid


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    buf = None

    def log_message(self, *args):
        pass

    def reply(self, code, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def drain(self):
        n = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2)
                if size == 0:
                    return
        if Handler.buf is None:
            Handler.buf = bytearray(1 << 20)
        view = memoryview(Handler.buf)
        while n > 0:
            got = self.rfile.readinto(view[: min(n, len(view))])
            if not got:
                return
            n -= got

    def do_GET(self):
        self.reply(200 if self.path.rstrip("/") == "/v2" else 404)

    def do_HEAD(self):
        self.reply(200 if self.path.rstrip("/") == "/v2" else 404)

    def do_POST(self):
        self.drain()
        loc = self.path.split("?")[0].rstrip("/") + "/" + uuid.uuid4().hex
        self.reply(202, [("Location", loc), ("Range", "0-0")])

    def do_PATCH(self):
        self.drain()
        self.reply(202, [("Location", self.path), ("Range", "0-0")])

    def do_PUT(self):
        self.drain()
        digest = ""
        if "digest=" in self.path:
            digest = self.path.split("digest=")[1].split("&")[0].replace("%3A", ":")
        self.reply(201, [("Location", self.path), ("Docker-Content-Digest", digest)])


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
