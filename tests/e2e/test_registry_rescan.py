# SPDX-License-Identifier: Apache-2.0
"""Rescans of `vigil registry serve` when the vulnerability DB changes.

An image whose dpkg database lists zlib1g (source zlib) 1:1.2.13.dfsg-1 is pushed and scanned on
push against a DB without any advisory for it: a max-severity HIGH gate lets it through. Then a
DB with a CRITICAL advisory for zlib replaces the file (atomic rename, as `vigil db update`
does). Without any push, a SIGHUP makes the server re-match the stored result from its saved
analysis, and the same pull is denied naming the new CVE. The image's layer blobs are deleted
from the storage before that: a rescan that opened them would fail, so the flip also proves
that rescans do not read layers. `vigil registry rescan` does the same from the command line.
"""
import json
import os
import signal
import time

import pytest

from conftest import run_vigil
from images import Layout, MT_OCI_MANIFEST
from registry_serve import Serve

OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' \
             'VERSION_CODENAME=bookworm\n'
STATUS = ("Package: zlib1g\nStatus: install ok installed\nPriority: optional\nSection: libs\n"
          "Installed-Size: 100\nMaintainer: Debian <debian@example.org>\nArchitecture: amd64\n"
          "Multi-Arch: same\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nDescription: zlib\n")


def advisory(cve, package, fixed):
    return {
        "schema_version": "1.6.0", "id": f"DEBIAN-{cve}", "modified": "2026-12-01T00:00:00Z",
        "upstream": [cve], "summary": f"{cve} in {package}",
        "severity": [{"type": "CVSS_V3",
                      "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{"package": {"ecosystem": "Debian:12", "name": package},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
    }


def build_db(d, db, records):
    src = d / f"osv-{len(records)}"
    src.mkdir()
    for rec in records:
        (src / f"{rec['id']}.json").write_text(json.dumps(rec))
    tmp = d / f"tmp-{len(records)}.sqlite"
    r = run_vigil("db", "build", "--from", src, "--db", tmp, timeout=120)
    assert r.rc == 0, r
    os.replace(tmp, db)                          # a new file under the same name


OLD = [advisory("CVE-2099-7001", "unrelated-pkg", "1.0-1")]
NEW = OLD + [advisory("CVE-2099-7002", "zlib", "1:1.2.13.dfsg-2")]


@pytest.fixture
def served(tmp_path):
    db = tmp_path / "vulndb.sqlite"
    build_db(tmp_path, db, OLD)
    cfg = tmp_path / "registry.yaml"
    cfg.write_text(f"scan: {{db: {db}, on-push: true, db-check-interval: 0s}}\n"
                   "gates:\n  - repos: [\"prod/**\"]\n    max-severity: HIGH\n")
    srv = Serve(tmp_path / "root", tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    lay = Layout(tmp_path / "layout")
    img = lay.add_image([{"etc/os-release": OS_RELEASE.encode(),
                          "var/lib/dpkg/status": STATUS.encode()}])
    for desc in [img.manifest["config"], *img.layers]:
        srv.push_blob("prod/app", lay.blob_path(desc["digest"]).read_bytes())
    r = srv.put_manifest("prod/app", "1", img.manifest_raw, MT_OCI_MANIFEST)
    assert r.status == 201, r
    yield {"srv": srv, "img": img, "db": db, "d": tmp_path, "root": tmp_path / "root"}
    srv.proc.send_signal(signal.SIGTERM)
    rest = srv.proc.stderr.read().decode(errors="replace")
    rc = srv.proc.wait(timeout=60)
    srv.kill()
    assert rc == 0, rest
    assert "Sanitizer" not in rest and "runtime error" not in rest, rest


def scan_doc(srv, digest, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = srv.req("GET", f"/vigil/v1/scans/prod/app@{digest}")
        if r.status == 200:
            return json.loads(r.body)
        time.sleep(0.2)
    raise AssertionError("no scan result")


def ids(doc):
    return {v["VulnerabilityID"] for res in doc.get("Results", [])
            for v in res.get("Vulnerabilities", [])}


def pull(srv):
    return srv.req("GET", "/v2/prod/app/manifests/1", headers={"Accept": MT_OCI_MANIFEST})


def drop_layers(root, img):
    for layer in img.layers:
        alg, hexd = layer["digest"].split(":")
        (root / "blobs" / alg / hexd[:2] / hexd).unlink()


def test_new_cve_flips_the_gate_without_a_push(served):
    srv, img = served["srv"], served["img"]
    d = img.desc["digest"]
    assert ids(scan_doc(srv, d)) == set()
    assert pull(srv).status == 200
    drop_layers(served["root"], img)             # a rescan must not need them
    build_db(served["d"], served["db"], NEW)
    assert pull(srv).status == 200               # nothing re-matched until the server looks
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 60
    while pull(srv).status == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    r = pull(srv)
    assert r.status == 403, r
    err = json.loads(r.body)["errors"][0]
    assert err["code"] == "DENIED" and "CVE-2099-7002 in zlib1g" in err["message"], err
    assert ids(scan_doc(srv, d)) == {"CVE-2099-7002"}


def test_rescan_cli(served, tmp_path):
    srv, img = served["srv"], served["img"]
    scan_doc(srv, img.desc["digest"])
    drop_layers(served["root"], img)
    other = tmp_path / "other.sqlite"
    build_db(tmp_path, other, NEW)
    r = run_vigil("registry", "rescan", "--root", served["root"], "--db", other)
    assert r.rc == 0, r
    assert "rescanned 1 of 1 result(s): 1 new vulnerability" in r.out, r
    r = run_vigil("registry", "rescan", "--root", served["root"], "--db", other)
    assert r.rc == 0 and "rescanned 0 of 1" in r.out and "1 already current" in r.out, r
    assert pull(srv).status == 403
    assert run_vigil("registry", "rescan").rc == 2


def test_scheduled_db_update_flips_the_gate(tmp_path):
    """scan.db-update-interval: the server runs `vigil db update` itself (here from a loopback
    OSV mirror serving Debian/all.zip), and a DB that changed is re-matched without a push, a
    SIGHUP or a file put in place by hand."""
    import functools
    import http.server
    import threading
    import zipfile

    def publish(records, mtime):
        z = mirror_dir / "Debian" / "all.zip"
        z.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(str(z) + ".tmp", "w") as zf:
            for rec in records:
                zf.writestr(f"{rec['id']}.json", json.dumps(rec))
        os.replace(str(z) + ".tmp", z)
        os.utime(z, (mtime, mtime))              # Last-Modified moves on: not a 304

    mirror_dir = tmp_path / "mirror"
    publish(OLD, time.time() - 100)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(mirror_dir))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    db = tmp_path / "vulndb.sqlite"
    build_db(tmp_path, db, OLD)
    cfg = tmp_path / "registry.yaml"
    cfg.write_text(f"scan: {{db: {db}, db-check-interval: 0s, db-update-interval: 1s,\n"
                   f"       db-mirror: 'http://127.0.0.1:{httpd.server_port}'}}\n"
                   "gates:\n  - repos: [\"prod/**\"]\n    max-severity: HIGH\n")
    srv = Serve(tmp_path / "root", tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    try:
        lay = Layout(tmp_path / "layout")
        img = lay.add_image([{"etc/os-release": OS_RELEASE.encode(),
                              "var/lib/dpkg/status": STATUS.encode()}])
        for desc in [img.manifest["config"], *img.layers]:
            srv.push_blob("prod/app", lay.blob_path(desc["digest"]).read_bytes())
        assert srv.put_manifest("prod/app", "1", img.manifest_raw, MT_OCI_MANIFEST).status == 201
        assert ids(scan_doc(srv, img.desc["digest"])) == set()
        assert pull(srv).status == 200
        publish(NEW, time.time() + 100)
        deadline = time.monotonic() + 120
        while pull(srv).status == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        r = pull(srv)
        assert r.status == 403 and "CVE-2099-7002 in zlib1g" in r.body.decode(), r
    finally:
        srv.kill()
        httpd.shutdown()


def test_db_update_interval_flag_checks(tmp_path):
    r = run_vigil("registry", "serve", "--root", tmp_path / "r", "--db-update-interval", "12h")
    assert r.rc == 2 and "needs scan-on-push" in r.err, r
    r = run_vigil("registry", "serve", "--root", tmp_path / "r", "--db-update-interval", "10ms")
    assert r.rc == 2 and "at least 1s" in r.err, r
    cfg = tmp_path / "c.yaml"
    cfg.write_text("scan: {db-update-interval: 500ms}\n")
    r = run_vigil("registry", "serve", "--root", tmp_path / "r", "--config", cfg)
    assert r.rc != 0 and "db-update-interval must be at least 1s" in r.err, r
