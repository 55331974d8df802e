# SPDX-License-Identifier: Apache-2.0
"""A TCP server on 127.0.0.1 that takes connections and keeps them open without finishing an
answer, for the tests of timeouts: with no reply it never answers at all (a hung OCSP
responder, test_notation_revocation.py); with a reply it reads the request (one recv), keeps
its first line in .requests, sends the reply (e.g. a status line, headers and one byte of a
longer body) and goes silent (a stalled registry, test_timeouts.py)."""
from __future__ import annotations

import socket
import threading


class HangingServer:
    def __init__(self, reply: bytes | None = None, backlog: int = 16):
        self.reply = reply
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.requests: list[str] = []
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.reply is None:
                continue
            data = c.recv(65536)
            self.requests.append(data.split(b"\r\n", 1)[0].decode(errors="replace"))
            c.sendall(self.reply)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()
