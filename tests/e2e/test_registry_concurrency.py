# SPDX-License-Identifier: Apache-2.0
"""`vigil registry serve` under concurrent traffic, as CI's parallel jobs give it: 4 client
threads push 3 images each (blobs, then the manifest by tag) and pull them straight back while
scan-on-push runs on 2 workers, a notification endpoint receives the events, the access log is
written, and SIGHUP reloads (access log reopened, notifications re-read) land in the middle.

Checks what each thread got (every manifest and blob pulled is the one pushed), that every push
produced its push and scan events and a stored scan finding the image's CVE, and that the
server then exits 0. Under ThreadSanitizer (`make check-tsan TSAN_E2E=...`, a vigil built with
-Db_sanitize=thread) a data race makes the server exit 66: this is the end-to-end check of the
registry's threads (docs/internals/LOCKING.md)."""
import json
import signal
import threading
import time

from images import Layout, MT_OCI_MANIFEST
from registry_serve import Serve
from test_registry_notify import Receiver, endpoint_yaml, stop
from test_registry_rescan import NEW, OS_RELEASE, STATUS, build_db

CLIENTS, IMAGES = 4, 3


def test_concurrent_pushes_pulls_scans_notifications_and_sighup(tmp_path):
    rcv = Receiver()
    db = tmp_path / "vulndb.sqlite"
    build_db(tmp_path, db, NEW)
    cfg = tmp_path / "registry.yaml"
    cfg.write_text(f"scan: {{db: {db}, on-push: true, workers: 2, db-check-interval: 0s}}\n"
                   "notifications:\n" + endpoint_yaml(
                       "ci", rcv.port, "      events: [push, scan]\n"))
    access = tmp_path / "access.log"
    srv = Serve(tmp_path / "root", tmp_path / "serve.log",
                args=["--config", str(cfg), "--access-log", str(access)]).start()
    try:
        lay = Layout(tmp_path / "layout")
        imgs = {}
        for n in range(CLIENTS):
            for i in range(IMAGES):
                imgs[(n, i)] = lay.add_image([{"etc/os-release": OS_RELEASE.encode(),
                                               "var/lib/dpkg/status": STATUS.encode(),
                                               f"app/{n}-{i}.txt": f"image {n}-{i}\n".encode()}])
        errors = []

        def client(n):
            try:
                repo = f"team{n}/app"
                for i in range(IMAGES):
                    img = imgs[(n, i)]
                    descs = [img.manifest["config"], *img.layers]
                    for desc in descs:
                        srv.push_blob(repo, lay.blob_path(desc["digest"]).read_bytes())
                    r = srv.put_manifest(repo, f"v{i}", img.manifest_raw, MT_OCI_MANIFEST)
                    assert r.status == 201, r
                    r = srv.req("GET", f"/v2/{repo}/manifests/v{i}",
                                headers={"Accept": MT_OCI_MANIFEST})
                    assert r.status == 200 and r.body == img.manifest_raw, r
                    for desc in descs:
                        r = srv.req("GET", f"/v2/{repo}/blobs/{desc['digest']}")
                        want = lay.blob_path(desc["digest"]).read_bytes()
                        assert r.status == 200 and r.body == want, (desc, r)
            except Exception as e:  # noqa: BLE001 -- reported by the main thread
                errors.append(e)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for _ in range(3):
            time.sleep(0.2)
            srv.proc.send_signal(signal.SIGHUP)
        for t in threads:
            t.join(timeout=300)
        assert not errors, errors

        pushed = {(e["target"]["repository"], e["target"]["tag"])
                  for e in rcv.wait("push", n=CLIENTS * IMAGES)}
        assert pushed == {(f"team{n}/app", f"v{i}") for n in range(CLIENTS)
                          for i in range(IMAGES)}, pushed
        scanned = {e["target"]["digest"] for e in rcv.wait("scan", n=CLIENTS * IMAGES)}
        assert scanned == {img.desc["digest"] for img in imgs.values()}, scanned
        for (n, i), img in imgs.items():
            r = srv.req("GET", f"/vigil/v1/scans/team{n}/app@{img.desc['digest']}")
            assert r.status == 200, r
            assert "CVE-2099-7002" in r.body.decode(), r
        lines = [json.loads(line) for line in access.read_text().splitlines()]
        assert sum(1 for line in lines if line.get("method") == "PUT") >= CLIENTS * IMAGES
    finally:
        stop(srv)
        rcv.close()
