"""httpd end to end: real TLS (Python's ssl client verifying the server's certificate), a
SIGHUP certificate reload that keeps open connections working, a SIGTERM drain that lets an
in-flight request finish, and the JSON access log. The server is the test binary
tests/unit/httpd/httpd_testsrv from the same build as VIGIL_BIN."""
import http.client
import json
import os
import pathlib
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import vigil_bin


def server_binary():
    p = pathlib.Path(vigil_bin()).resolve().parents[2] / "tests" / "unit" / "httpd" / "httpd_testsrv"
    if not p.exists():
        pytest.skip(f"{p} not built")
    return str(p)


def make_cert(d, name, cn="127.0.0.1"):
    cert, key = d / f"{name}.crt", d / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", f"/CN={cn}", "-addext", f"subjectAltName=IP:{cn}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


class Server:
    def __init__(self, args, tmp, env=None):
        self.log = open(tmp / "access.log", "w+")
        self.p = subprocess.Popen([server_binary(), "127.0.0.1:0", *args], stdout=subprocess.PIPE,
                                  stderr=self.log, text=True, env=env)
        line = self.p.stdout.readline()
        assert line.startswith("port "), line
        self.port = int(line.split()[1])

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=30)
        self.log.flush()
        self.log.seek(0)
        return rc, self.log.read()


def tls_conn(port, cafile):
    ctx = ssl.create_default_context(cafile=str(cafile))
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)


def peer_cert(port, cafile):
    ctx = ssl.create_default_context(cafile=str(cafile))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            return t.getpeercert(binary_form=True)


def test_tls_serves_and_reloads_on_sighup_without_dropping_connections(tmp_path):
    cert1, key1 = make_cert(tmp_path, "one")
    srv = Server([str(cert1), str(key1)], tmp_path)
    try:
        c = tls_conn(srv.port, cert1)
        c.request("POST", "/echo", body=b"over tls")
        r = c.getresponse()
        assert r.status == 200 and r.read() == b"over tls"
        first = peer_cert(srv.port, cert1)

        # a client that trusts only cert1 is refused once cert2 is in use, and vice versa
        cert2, key2 = make_cert(tmp_path, "two")
        os.replace(cert2, cert1.with_suffix(".new.crt"))
        os.replace(key2, key1.with_suffix(".new.key"))
        os.replace(cert1, tmp_path / "old.crt")
        os.replace(cert1.with_suffix(".new.crt"), cert1)
        os.replace(key1.with_suffix(".new.key"), key1)
        srv.p.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if peer_cert(srv.port, cert1) != first:
                    break
            except ssl.SSLError:
                pass
            time.sleep(0.1)
        assert peer_cert(srv.port, cert1) != first, "new handshakes use the reloaded certificate"
        with pytest.raises(ssl.SSLError):
            peer_cert(srv.port, tmp_path / "old.crt")
        # the keep-alive connection opened before the reload still works
        c.request("POST", "/echo", body=b"same connection")
        r = c.getresponse()
        assert r.status == 200 and r.read() == b"same connection"
        c.close()
    finally:
        rc, log = srv.stop()
    assert rc == 0


def test_reload_with_a_broken_key_keeps_the_old_certificate(tmp_path):
    cert, key = make_cert(tmp_path, "one")
    srv = Server([str(cert), str(key)], tmp_path)
    try:
        before = peer_cert(srv.port, cert)
        good_key = key.read_bytes()
        key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
        srv.p.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert peer_cert(srv.port, cert) == before
        key.write_bytes(good_key)
    finally:
        rc, log = srv.stop()
    assert rc == 0
    assert "reload failed, keeping the old certificate" in log


def test_tls_refuses_plain_http(tmp_path):
    cert, key = make_cert(tmp_path, "one")
    srv = Server([str(cert), str(key)], tmp_path)
    try:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
            c.request("GET", "/healthz")
            c.getresponse().read()
    finally:
        srv.stop()


class RawTLS:
    """A TLS client over ssl.MemoryBIO that sees the record layer: each response comes back
    with the number of TLS records that carried its bytes (session tickets, which carry none,
    are not counted)."""

    def __init__(self, port, cafile):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        ctx = ssl.create_default_context(cafile=str(cafile))
        self.tls = ctx.wrap_bio(self.inc, self.out, server_hostname="127.0.0.1")
        self.raw = b""
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.inc.write(self.recv())
        self.flush()

    def flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        return data

    def read_record(self):
        """Decrypted bytes of the next whole record (b"" for one without application data)."""
        while len(self.raw) < 5 or len(self.raw) < 5 + int.from_bytes(self.raw[3:5], "big"):
            self.raw += self.recv()
        n = 5 + int.from_bytes(self.raw[3:5], "big")
        rec, self.raw = self.raw[:n], self.raw[n:]
        self.inc.write(rec)
        got = b""
        while True:
            try:
                chunk = self.tls.read(65536)
            except ssl.SSLWantReadError:
                break
            if not chunk:
                break
            got += chunk
        return got

    def exchange(self, request):
        self.tls.write(request)
        self.flush()
        resp, records = b"", 0
        while True:
            head, sep, body = resp.partition(b"\r\n\r\n")
            if sep:
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                if len(body) >= length:
                    return resp, records
            got = self.read_record()
            records += 1 if got else 0
            resp += got


def test_small_tls_response_is_one_record(tmp_path):
    # httpd corks the TLS session while libmicrohttpd hands over the head and the body of a
    # small response (two sends, two records otherwise) and uncorks it once: one record, one
    # read for the client. Large responses and responses closing the connection arrive whole.
    cert, key = make_cert(tmp_path, "one")
    srv = Server([str(cert), str(key)], tmp_path)
    try:
        t = RawTLS(srv.port, cert)
        for body in (b"first", b"x" * 3000, b""):
            req = (b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % len(body)
                   + body)
            resp, records = t.exchange(req)
            assert resp.startswith(b"HTTP/1.1 200 ") and resp.endswith(b"\r\n\r\n" + body)
            assert records == 1, (len(body), records)
        big = b"y" * 40000
        resp, records = t.exchange(b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n"
                                   % len(big) + big)
        assert resp.endswith(b"\r\n\r\n" + big) and records >= 2
        resp, records = t.exchange(b"GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        assert resp.startswith(b"HTTP/1.1 200 ") and resp.endswith(b"ok\n") and records == 1
        t.sock.close()
        # pipelined requests answered in order, whole, while the client reads late
        t = RawTLS(srv.port, cert)
        bodies = [b"p%03d" % i * (1 + i % 7) for i in range(300)]
        t.tls.write(b"".join(b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n"
                             % len(x) + x for x in bodies))
        t.flush()
        time.sleep(0.5)
        got = b""
        for x in bodies:
            while got.count(b"\r\n\r\n") < 1 or not got.partition(b"\r\n\r\n")[2].startswith(x):
                got += t.read_record()
            got = got.partition(b"\r\n\r\n")[2][len(x):]
        assert got == b""
        t.sock.close()
        # a client that sends requests and never reads: another is served meanwhile
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        ctx = ssl.create_default_context(cafile=str(cert))
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as greedy:
            greedy.setblocking(False)
            req = b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n" + b"z" * 2000
            deadline = time.time() + 1
            while time.time() < deadline:
                try:
                    greedy.send(req)
                except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                    time.sleep(0.01)
            c = tls_conn(srv.port, cert)
            c.request("POST", "/echo", body=b"still served")
            r = c.getresponse()
            assert r.status == 200 and r.read() == b"still served"
            c.close()
    finally:
        rc, _ = srv.stop()
    assert rc == 0


def test_mismatched_key_is_a_clear_start_error(tmp_path):
    cert1, _ = make_cert(tmp_path, "one")
    _, key2 = make_cert(tmp_path, "two")
    p = subprocess.run([server_binary(), "127.0.0.1:0", str(cert1), str(key2)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 1
    assert "does not match certificate" in p.stderr
    assert p.stderr.count("\n") == 1


def test_sigterm_drains_in_flight_requests_and_logs_json(tmp_path):
    srv = Server([], tmp_path)
    out = {}

    def slow():
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        c.request("GET", "/slow")
        r = c.getresponse()
        out["status"], out["body"] = r.status, r.read()

    t = threading.Thread(target=slow)
    t.start()
    # SIGTERM only once the slow request is in flight (the handler announces itself on stderr)
    deadline = time.time() + 30
    with open(tmp_path / "access.log") as f:
        while time.time() < deadline and "slow: started" not in f.read():
            f.seek(0)
            time.sleep(0.02)
    rc, log = srv.stop()
    t.join()
    assert rc == 0
    assert out == {"status": 200, "body": b"slow\n"}
    lines = [json.loads(l) for l in log.splitlines() if l.startswith("{")]
    slow_lines = [l for l in lines if l.get("handler") == "slow"]
    assert len(slow_lines) == 1
    l = slow_lines[0]
    assert l["status"] == 200 and l["method"] == "GET" and l["path"] == "/slow"
    assert l["completed"] is True and l["duration_ms"] >= 900
    assert len(l["request_id"]) == 16


def raw_exchange(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                return out
            out += b


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_requests_the_http_parser_refuses_are_log_events_not_raw_lines(tmp_path, fmt):
    # libmicrohttpd answers these itself (no handler runs) and used to print its own
    # "Error processing request (HTTP response code is 400 ('<html>...'))" lines on stderr.
    env = dict(os.environ, VG_LOG="warn,httpd=info", VIGIL_LOG_FORMAT=fmt)
    srv = Server([], tmp_path, env=env)
    bad = {
        400: b"GET /echo HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        505: b"GET /echo HTTP/9.9\r\nHost: x\r\n\r\n",
    }
    for status, req in bad.items():
        assert raw_exchange(srv.port, req).startswith(b"HTTP/1.1 %d " % status)
    # a bad Content-Length: libmicrohttpd's extra "Failed to parse" message is debug
    assert raw_exchange(srv.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n"
                        ).startswith(b"HTTP/1.1 400 ")
    rc, log = srv.stop()
    assert rc == 0
    for raw in ("Error processing request", "<html>", "Failed to parse", "Closing connection"):
        assert raw not in log, log
    if fmt == "json":
        events = [json.loads(l) for l in log.splitlines()]  # every line is JSON
        refused = [e for e in events if e.get("msg") == "request refused by the HTTP parser"]
        assert sorted(e["status"] for e in refused) == [400, 400, 505], log
        assert all(e["component"] == "httpd" and e["level"] == "info" for e in refused)
        assert {e["reason"] for e in refused} == {"Request malformed",
                                                  "Requested HTTP version is not supported"}
    else:
        assert log.count("request refused by the HTTP parser") == 3, log
        assert "status=505" in log, log
