# SPDX-License-Identifier: Apache-2.0
"""Notification operations of `vigil registry serve` (docs/registry.md, "Notifications"):
SIGHUP reloads with events in flight, `vigil registry rescan` handing its events to the
server's spool, and the event id that stays the same across retries.

The receivers are real HTTP servers on 127.0.0.1. A "gated" receiver holds its answer to each
POST until the test opens the gate, so an event is provably in flight (sent, not yet answered)
when the SIGHUP arrives; the server's JSON log (read by a thread) says when the reload is done.
"""
import json
import signal
import threading
import time

from conftest import run_vigil
from images import Layout, MT_OCI_MANIFEST
from registry_serve import Serve
from test_registry_notify import Receiver, endpoint_yaml, metric
from test_registry_rescan import OS_RELEASE, STATUS, advisory, build_db

LOG_ENV = {"VIGIL_LOG_LEVEL": "warn,registry=info", "VIGIL_LOG_FORMAT": "json"}


class GatedReceiver(Receiver):
    """A Receiver whose answers wait for `gate` (set: answer at once)."""

    def __init__(self):
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.arrived = threading.Semaphore(0)
        handler = self.srv.RequestHandlerClass
        outer = self
        orig = handler.do_POST

        def do_POST(h):
            outer.arrived.release()
            assert outer.gate.wait(60)
            orig(h)

        handler.do_POST = do_POST


class Logged:
    """A server whose stderr (JSON log lines) is collected by a thread."""

    def __init__(self, tmp_path, cfg, monkeypatch, name="serve"):
        for k, v in LOG_ENV.items():
            monkeypatch.setenv(k, v)
        self.srv = Serve(tmp_path / "root", tmp_path / f"{name}.log",
                         args=["--config", str(cfg)]).start()
        self.srv.log.flush()                         # what came before "listening on"
        self.lines = self.srv.log_path.read_text().splitlines(keepends=True)
        self.lock = threading.Lock()
        self.th = threading.Thread(target=self._read, daemon=True)
        self.th.start()

    def _read(self):
        for raw in self.srv.proc.stderr:
            with self.lock:
                self.lines.append(raw.decode(errors="replace"))

    def events(self, msg):
        out = []
        with self.lock:
            for line in self.lines:
                if line.startswith("{"):
                    e = json.loads(line)
                    if e.get("msg") == msg:
                        out.append(e)
        return out

    def wait_event(self, msg, n=1, timeout=60):
        deadline = time.monotonic() + timeout
        while len(self.events(msg)) < n:
            assert time.monotonic() < deadline, f"no {n} x {msg!r}: {self.text()}"
            time.sleep(0.05)
        return self.events(msg)

    def text(self):
        with self.lock:
            return "".join(self.lines)

    def stop(self):
        self.srv.proc.send_signal(signal.SIGTERM)
        rc = self.srv.proc.wait(timeout=60)
        self.th.join(30)
        self.srv.kill()
        log = self.text()
        assert rc == 0, log
        assert "Sanitizer" not in log and "runtime error" not in log, log
        return log


def image(tmp_path, srv, files=None):
    lay = Layout(tmp_path / "layout")
    img = lay.add_image([files or {"hello.txt": b"hello\n"}])
    for desc in [img.manifest["config"], *img.layers]:
        srv.push_blob("e2e/app", lay.blob_path(desc["digest"]).read_bytes())
    return img


def push(srv, img, tags):
    for t in tags:
        r = srv.put_manifest("e2e/app", t, img.manifest_raw, MT_OCI_MANIFEST)
        assert r.status == 201, r


def tags_of(events):
    return [e["target"]["tag"] for e in events]


def wait_sent(srv, name, n, timeout=60):
    deadline = time.monotonic() + timeout
    while metric(srv, "vigil_registry_notifications_sent_total", name) < n:
        assert time.monotonic() < deadline, "events not sent"
        time.sleep(0.05)
    assert metric(srv, "vigil_registry_notifications_sent_total", name) == n


def test_sighup_with_events_in_flight(tmp_path, monkeypatch):
    """An unchanged endpoint keeps its delivery thread through SIGHUP (the reload does not
    wait for the attempt in flight); a changed URL takes over the rest of the queue from the
    next attempt. Every event arrives once, in order, with distinct ids."""
    a, b = GatedReceiver(), Receiver()
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("notifications:\n" + endpoint_yaml("hook", a.port))
    L = Logged(tmp_path, cfg, monkeypatch)
    srv = L.srv
    try:
        img = image(tmp_path, srv)
        # 1: SIGHUP, nothing changed, while the first of 5 events waits for its answer
        a.gate.clear()
        push(srv, img, [f"a{i}" for i in range(5)])
        assert a.arrived.acquire(timeout=60)             # in flight now
        srv.proc.send_signal(signal.SIGHUP)
        rl = L.wait_event("notifications reloaded")[0]
        assert (rl["unchanged"], rl["changed"], rl["added"], rl["removed"]) == (1, 0, 0, 0), rl
        a.gate.set()
        assert tags_of(a.wait("push", n=5)) == [f"a{i}" for i in range(5)]
        wait_sent(srv, "hook", 5)
        assert len(L.events("notification endpoint configured")) == 1, L.text()

        # 2: the endpoint's URL changes while an event is in flight to the old one
        a.arrived = threading.Semaphore(0)               # forget part 1's arrivals
        a.gate.clear()
        push(srv, img, [f"b{i}" for i in range(6)])
        assert a.arrived.acquire(timeout=60)
        cfg.write_text("notifications:\n" + endpoint_yaml("hook", b.port))
        srv.proc.send_signal(signal.SIGHUP)
        rl = L.wait_event("notifications reloaded", n=2)[1]
        assert (rl["unchanged"], rl["changed"], rl["added"], rl["removed"]) == (0, 1, 0, 0), rl
        a.gate.set()                                     # the attempt in flight succeeds
        wait_sent(srv, "hook", 11)
        got_a = [t for t in tags_of(a.events("push")) if t.startswith("b")]
        got_b = tags_of(b.wait("push", n=5))
        assert got_a == ["b0"], got_a                    # finished with the old URL
        assert got_b == [f"b{i}" for i in range(1, 6)], got_b
        ids = [e["id"] for e in a.events() + b.events()]
        assert len(ids) == 11 and len(set(ids)) == 11, ids
        assert metric(srv, "vigil_registry_notifications_queued", "hook") == 0
        assert metric(srv, "vigil_registry_notifications_failed_total", "hook") == 0
        assert len(L.events("notification endpoint configured")) == 1, L.text()
        assert len(L.events("notification delivery failed")) == 0, L.text()
    finally:
        a.gate.set()
        L.stop()
        a.close()
        b.close()


def test_retried_event_keeps_its_id(tmp_path, monkeypatch):
    """A failed attempt is retried with the same bytes: the id a receiver de-duplicates by."""
    rcv = Receiver()
    answers = [500]
    handler = rcv.srv.RequestHandlerClass
    orig = handler.do_POST

    def do_POST(h):
        with rcv.lock:
            rcv.status = answers.pop(0) if answers else 200
        orig(h)

    handler.do_POST = do_POST
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("notifications:\n" + endpoint_yaml("hook", rcv.port))
    L = Logged(tmp_path, cfg, monkeypatch)
    try:
        push(L.srv, image(tmp_path, L.srv), ["v1"])
        wait_sent(L.srv, "hook", 1)
        with rcv.lock:
            bodies = [body for _, body in rcv.envelopes]
        assert len(bodies) == 2 and bodies[0] == bodies[1], bodies
        assert metric(L.srv, "vigil_registry_notifications_failed_total", "hook") == 1
    finally:
        L.stop()
        rcv.close()


def test_cli_rescan_events_reach_the_receiver(tmp_path, monkeypatch):
    """`vigil registry rescan --config` emits the server's rescan events through the spool:
    delivered by the running server; written while no server runs, delivered at its start.
    The server's own rescan afterwards finds the results current and sends nothing twice."""
    rcv = Receiver()
    db = tmp_path / "vulndb.sqlite"
    build_db(tmp_path, db, [advisory("CVE-2099-7001", "unrelated-pkg", "1.0-1")])
    cfg = tmp_path / "registry.yaml"
    cfg.write_text(f"root: {tmp_path / 'root'}\naddr: 127.0.0.1:5999\n"
                   f"scan: {{db: {db}, on-push: true, db-check-interval: 0s}}\n"
                   "notifications:\n"
                   + endpoint_yaml("hook", rcv.port, "      events: [rescan]\n"))
    L = Logged(tmp_path, cfg, monkeypatch)
    srv = L.srv
    try:
        img = image(tmp_path, srv, {"etc/os-release": OS_RELEASE.encode(),
                                    "var/lib/dpkg/status": STATUS.encode()})
        push(srv, img, ["1"])
        digest = img.desc["digest"]
        deadline = time.monotonic() + 120
        while srv.req("GET", f"/vigil/v1/scans/e2e/app@{digest}").status != 200:
            assert time.monotonic() < deadline, "no scan result"
            time.sleep(0.1)
        build_db(tmp_path, db, [advisory("CVE-2099-7001", "unrelated-pkg", "1.0-1"),
                                advisory("CVE-2099-7002", "zlib", "1:1.2.13.dfsg-2")])
        r = run_vigil("registry", "rescan", "--config", cfg)
        assert r.rc == 0, r
        assert "1 new vulnerability" in r.out, r
        assert "notifications: 1 rescan event(s) handed to the server's spool" in r.out, r
        ev = rcv.wait("rescan", timeout=60)
        assert len(ev) == 1, ev
        e = ev[0]
        assert [x["id"] for x in e["rescan"]["findings"]] == ["CVE-2099-7002"], e
        assert e["target"]["digest"] == digest and e["target"]["repository"] == "e2e/app", e
        assert e["target"]["mediaType"] == MT_OCI_MANIFEST, e
        assert e["target"]["url"].endswith(f":5999/v2/e2e/app/manifests/{digest}"), e
        assert len(e["id"]) == 36 and "request" not in e, e
        wait_sent(srv, "hook", 1)
        done = len(L.events("rescan done"))
        srv.proc.send_signal(signal.SIGHUP)              # the server's own check: all current
        L.wait_event("rescan done", n=done + 1)
        assert L.events("rescan done")[-1]["rescanned"] == 0, L.text()
        assert metric(srv, "vigil_registry_notifications_queued", "hook") == 0
        L.stop()

        # no server running: the event waits in the inbox, the next server delivers it
        build_db(tmp_path, db, [advisory("CVE-2099-7001", "unrelated-pkg", "1.0-1"),
                                advisory("CVE-2099-7002", "zlib", "1:1.2.13.dfsg-2"),
                                advisory("CVE-2099-7003", "zlib", "1:1.2.13.dfsg-3")])
        r = run_vigil("registry", "rescan", "--config", cfg)
        assert r.rc == 0 and "1 new vulnerability" in r.out, r
        inbox = tmp_path / "root" / "notifications" / "hook" / "inbox"
        assert len(list(inbox.glob("*.json"))) == 1, list(inbox.iterdir())
        L = Logged(tmp_path, cfg, monkeypatch, name="serve2")
        ev = rcv.wait("rescan", n=2, timeout=60)
        assert [x["id"] for x in ev[1]["rescan"]["findings"]] == ["CVE-2099-7003"], ev
        assert ev[0]["id"] != ev[1]["id"]
        wait_sent(L.srv, "hook", 1)
        assert list(inbox.iterdir()) == []
    finally:
        if L.srv.proc.poll() is None:
            L.stop()
        rcv.close()


def test_cli_rescan_config_errors(tmp_path):
    cfg = tmp_path / "registry.yaml"
    cfg.write_text(f"root: {tmp_path / 'root'}\nscan: {{db: {tmp_path / 'none.sqlite'}}}\n")
    r = run_vigil("registry", "rescan", "--config", cfg)
    assert r.rc == 4 and "vulnerability database not found" in r.err, r
    r = run_vigil("registry", "rescan", "--config", tmp_path / "absent.yaml")
    assert r.rc != 0 and "absent.yaml" in r.err, r
    cfg.write_text("bogus: 1\n")
    r = run_vigil("registry", "rescan", "--config", cfg)
    assert r.rc != 0 and "bogus" in r.err, r
    r = run_vigil("registry", "rescan", "--help")
    assert r.rc == 0 and "vigil registry rescan --config" in r.out, r
