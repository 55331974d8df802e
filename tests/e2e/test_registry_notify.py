# SPDX-License-Identifier: Apache-2.0
"""Notifications of `vigil registry serve` (docs/registry.md, "Notifications").

A real HTTP receiver on 127.0.0.1 (http.server in a thread) collects the webhook POSTs. One
registry pushes an image with skopeo (push event), scans it on push against a DB where its zlib
has a CRITICAL advisory (scan event with the finding), denies a pull through a max-severity
gate (deny event with the gate's reason), and after a DB with a second advisory replaces the
file and a SIGHUP, re-matches it (rescan event naming only the new CVE). Each envelope is
checked for Distribution's fields, the media type, the configured header and the HMAC
signature. Then: a receiver that is down gets the events once it comes back (retries), and
events queued while it is down survive a kill -9 of the server (spooled) and arrive after the
restart.
"""
import hashlib
import hmac
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from images import Layout, MT_OCI_MANIFEST, have_skopeo
from registry_conformance.regclient import make_cert
from registry_serve import Serve
from test_registry_rescan import OS_RELEASE, STATUS, advisory, build_db

MT_EVENTS = "application/vnd.docker.distribution.events.v1+json"
SECRET = "s3cret-key"


class Receiver:
    """Collects POSTed envelopes; answers `status` (200 unless told otherwise)."""

    def __init__(self, port=0, tls=None):
        self.envelopes = []
        self.status = 200
        self.lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.envelopes.append((dict(self.headers), body))
                    st = outer.status
                self.send_response(st)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", port), H)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.port = self.srv.server_address[1]
        self.th = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.th.start()

    def events(self, action=None):
        with self.lock:
            out = []
            for _, body in self.envelopes:
                out.extend(json.loads(body)["events"])
        return [e for e in out if action is None or e["action"] == action]

    def wait(self, action, n=1, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.events(action)
            if len(got) >= n:
                return got
            time.sleep(0.1)
        raise AssertionError(f"{n} {action} event(s) not received: {self.events()}")

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop(srv):
    srv.proc.send_signal(signal.SIGTERM)
    rest = srv.proc.stderr.read().decode(errors="replace")
    rc = srv.proc.wait(timeout=60)
    srv.kill()
    assert rc == 0, rest
    assert "Sanitizer" not in rest and "runtime error" not in rest, rest
    return rest


def metric(srv, name, endpoint):
    body = srv.req("GET", "/metrics").body.decode()
    for line in body.splitlines():
        if line.startswith(f'{name}{{endpoint="{endpoint}"}} '):
            return int(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics:\n{body}")


def endpoint_yaml(name, port, extra=""):
    return (f"  endpoints:\n    - name: {name}\n      url: http://127.0.0.1:{port}/hook\n"
            f"      timeout: 2s\n      backoff: 100ms\n      max-backoff: 400ms\n"
            f"      threshold: 1\n{extra}")


def check_common(e, action, repo):
    assert e["action"] == action
    assert len(e["id"]) == 36 and e["timestamp"].endswith("Z"), e
    t = e["target"]
    assert t["repository"] == repo and t["digest"].startswith("sha256:"), e
    assert t["url"].endswith(f"/v2/{repo}/manifests/{t['digest']}"), e
    assert e["source"]["addr"].endswith(":" + e["source"]["addr"].rsplit(":", 1)[1])
    assert len(e["source"]["instanceID"]) == 36, e


@pytest.mark.skipif(not have_skopeo(), reason="skopeo is not installed")
def test_push_scan_deny_rescan_events(tmp_path):
    rcv = Receiver()
    db = tmp_path / "vulndb.sqlite"
    build_db(tmp_path, db, [advisory("CVE-2099-7002", "zlib", "1:1.2.13.dfsg-2")])
    cfg = tmp_path / "registry.yaml"
    cfg.write_text(
        f"scan: {{db: {db}, on-push: true, db-check-interval: 0s}}\n"
        "gates:\n  - repos: [\"prod/**\"]\n    max-severity: HIGH\n"
        "notifications:\n" + endpoint_yaml(
            "ci", rcv.port,
            "      headers: {X-Test: [hello]}\n"
            f"      secret: {SECRET}\n"
            "      events: [push, scan, rescan, deny]\n"
            "      min-severity: HIGH\n"))
    srv = Serve(tmp_path / "root", tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    try:
        lay = Layout(tmp_path / "layout")
        img = lay.add_image([{"etc/os-release": OS_RELEASE.encode(),
                              "var/lib/dpkg/status": STATUS.encode()}])
        lay.tag(img.desc, "1")
        lay.save()
        p = subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
                            f"oci:{lay.path}:1", f"docker://{srv.host}/prod/app:1"],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        digest = img.desc["digest"]

        push = rcv.wait("push")[0]
        check_common(push, "push", "prod/app")
        assert push["target"]["tag"] == "1" and push["target"]["digest"] == digest, push
        assert push["target"]["mediaType"] == MT_OCI_MANIFEST, push
        assert push["target"]["size"] == img.desc["size"], push
        assert push["request"]["method"] == "PUT", push
        assert push["request"]["addr"] == "127.0.0.1", push
        assert "skopeo" in push["request"]["useragent"].lower(), push
        assert push["request"]["host"] == srv.host and push["request"]["id"], push

        scan = rcv.wait("scan")[0]
        check_common(scan, "scan", "prod/app")
        assert scan["target"]["digest"] == digest, scan
        assert scan["scan"]["minSeverity"] == "HIGH", scan
        assert scan["scan"]["summary"]["CRITICAL"] == 1, scan
        assert scan["scan"]["summary"]["HIGH"] == 0, scan
        f = scan["scan"]["findings"]
        assert [x["id"] for x in f] == ["CVE-2099-7002"], f
        assert f[0]["package"] == "zlib1g" and f[0]["severity"] == "CRITICAL", f
        assert f[0]["fixedVersion"] == "1:1.2.13.dfsg-2", f

        r = srv.req("GET", "/v2/prod/app/manifests/1", headers={"Accept": MT_OCI_MANIFEST})
        assert r.status == 403, r
        deny = rcv.wait("deny")[0]
        check_common(deny, "deny", "prod/app")
        assert "CVE-2099-7002" in deny["deny"]["reason"], deny
        assert deny["deny"]["reason"] == json.loads(r.body)["errors"][0]["message"]
        assert deny["request"]["method"] == "GET" and deny["target"]["tag"] == "1", deny

        build_db(tmp_path, db, [advisory("CVE-2099-7002", "zlib", "1:1.2.13.dfsg-2"),
                                advisory("CVE-2099-7003", "zlib", "1:1.2.13.dfsg-3")])
        srv.proc.send_signal(signal.SIGHUP)
        rescan = rcv.wait("rescan")[0]
        check_common(rescan, "rescan", "prod/app")
        assert [x["id"] for x in rescan["rescan"]["findings"]] == ["CVE-2099-7003"], rescan
        assert rescan["rescan"]["summary"]["CRITICAL"] == 1, rescan
        assert "request" not in rescan, rescan

        # every POST: Distribution's media type, the configured header, a valid signature
        with rcv.lock:
            posts = list(rcv.envelopes)
        assert len(posts) == 4, [json.loads(b)["events"][0]["action"] for _, b in posts]
        for hdrs, body in posts:
            assert hdrs["Content-Type"] == MT_EVENTS, hdrs
            assert hdrs["X-Test"] == "hello", hdrs
            want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            assert hdrs["X-Vigil-Signature"] == want, hdrs
        assert metric(srv, "vigil_registry_notifications_sent_total", "ci") == 4
        assert metric(srv, "vigil_registry_notifications_queued", "ci") == 0
        assert metric(srv, "vigil_registry_notifications_failed_total", "ci") == 0
    finally:
        stop(srv)
        rcv.close()


def push_tag(srv, lay, img, tag):
    r = srv.put_manifest("e2e/app", tag, img.manifest_raw, MT_OCI_MANIFEST)
    assert r.status == 201, r


def image(tmp_path, srv):
    lay = Layout(tmp_path / "layout")
    img = lay.add_image([{"hello.txt": b"hello\n"}])
    for desc in [img.manifest["config"], *img.layers]:
        srv.push_blob("e2e/app", lay.blob_path(desc["digest"]).read_bytes())
    return lay, img


def test_receiver_down_then_back_gets_the_event(tmp_path):
    port = free_port()
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("notifications:\n" + endpoint_yaml("hook", port))
    srv = Serve(tmp_path / "root", tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    rcv = None
    try:
        lay, img = image(tmp_path, srv)
        push_tag(srv, lay, img, "v1")
        deadline = time.monotonic() + 30
        while metric(srv, "vigil_registry_notifications_failed_total", "hook") < 2:
            assert time.monotonic() < deadline, "no failed delivery counted"
            time.sleep(0.1)
        assert metric(srv, "vigil_registry_notifications_queued", "hook") == 1
        assert metric(srv, "vigil_registry_notifications_sent_total", "hook") == 0
        rcv = Receiver(port)
        ev = rcv.wait("push", timeout=30)
        assert len(ev) == 1 and ev[0]["target"]["tag"] == "v1", ev
        deadline = time.monotonic() + 10
        while metric(srv, "vigil_registry_notifications_sent_total", "hook") != 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert metric(srv, "vigil_registry_notifications_queued", "hook") == 0
        log = stop(srv)
        assert "notification delivery failed" in log, log
    finally:
        srv.kill()
        if rcv:
            rcv.close()


def test_queued_events_survive_a_restart(tmp_path):
    port = free_port()
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("notifications:\n" + endpoint_yaml("hook", port))
    root = tmp_path / "root"
    srv = Serve(root, tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    lay, img = image(tmp_path, srv)
    for tag in ("a", "b", "c"):
        push_tag(srv, lay, img, tag)
    spool = root / "notifications" / "hook"
    deadline = time.monotonic() + 30
    while len([p for p in spool.iterdir() if p.name.endswith(".json")]) < 3:
        assert time.monotonic() < deadline, "events not spooled"
        time.sleep(0.05)
    assert metric(srv, "vigil_registry_notifications_queued", "hook") == 3
    srv.kill(signal.SIGKILL)                     # no chance to flush anything
    rcv = Receiver(port)
    srv = Serve(root, tmp_path / "serve2.log", args=["--config", str(cfg)]).start()
    try:
        ev = rcv.wait("push", n=3, timeout=30)
        assert [e["target"]["tag"] for e in ev] == ["a", "b", "c"], ev
        deadline = time.monotonic() + 10
        while [p for p in os.listdir(spool) if p != "inbox"]:
            assert time.monotonic() < deadline, os.listdir(spool)
            time.sleep(0.05)
        assert metric(srv, "vigil_registry_notifications_sent_total", "hook") == 3
        stop(srv)
    finally:
        srv.kill()
        rcv.close()


def test_https_endpoint_trusted_through_ca_file(tmp_path):
    """An https:// endpoint with a self-signed certificate: delivered with ca-file naming it;
    without it every attempt fails verification (counted, logged) and nothing arrives."""
    (tmp_path / "tls").mkdir()
    cert, key = make_cert(tmp_path / "tls")
    rcv = Receiver(tls=(str(cert), str(key)))
    url = f"https://127.0.0.1:{rcv.port}/hook"
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("notifications:\n  endpoints:\n"
                   f"    - {{name: trusted, url: '{url}', ca-file: {cert}}}\n"
                   f"    - {{name: untrusted, url: '{url}', backoff: 100ms}}\n")
    srv = Serve(tmp_path / "root", tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    try:
        lay, img = image(tmp_path, srv)
        push_tag(srv, lay, img, "tls")
        ev = rcv.wait("push", timeout=30)
        assert len(ev) == 1 and ev[0]["target"]["tag"] == "tls", ev
        deadline = time.monotonic() + 30
        while metric(srv, "vigil_registry_notifications_failed_total", "untrusted") < 1:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert metric(srv, "vigil_registry_notifications_sent_total", "trusted") == 1
        assert metric(srv, "vigil_registry_notifications_sent_total", "untrusted") == 0
        assert len(rcv.events()) == 1
        log = stop(srv)
        assert "untrusted" in log and "certificate" in log.lower(), log
    finally:
        srv.kill()
        rcv.close()


def test_sighup_replaces_the_endpoints(tmp_path):
    """SIGHUP re-reads the notifications: a new endpoint gets the next events and the removed
    one no more; a config that does not parse keeps the endpoints in use."""
    one, two = Receiver(), Receiver()
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("notifications:\n" + endpoint_yaml("one", one.port))
    srv = Serve(tmp_path / "root", tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    try:
        lay, img = image(tmp_path, srv)
        push_tag(srv, lay, img, "before")
        one.wait("push")
        cfg.write_text("notifications:\n" + endpoint_yaml("two", two.port))
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while 'endpoint="two"' not in srv.req("GET", "/metrics").body.decode():
            assert time.monotonic() < deadline, "endpoint two not configured by SIGHUP"
            time.sleep(0.1)
        assert 'endpoint="one"' not in srv.req("GET", "/metrics").body.decode()
        push_tag(srv, lay, img, "after")
        assert [e["target"]["tag"] for e in two.wait("push")] == ["after"]
        cfg.write_text("notifications:\n  endpoints: [{name: '../bad', url: 'http://x/'}]\n")
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        push_tag(srv, lay, img, "kept")
        assert [e["target"]["tag"] for e in two.wait("push", n=2)] == ["after", "kept"]
        assert [e["target"]["tag"] for e in one.events("push")] == ["before"]
        log = stop(srv)
        assert "notifications not reloaded" in log, log
    finally:
        srv.kill()
        one.close()
        two.close()
