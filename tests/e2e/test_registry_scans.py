# SPDX-License-Identifier: Apache-2.0
"""Scan-on-push and the max-severity / require-scan pull gates of `vigil registry serve`.

The image is the one of test_scan_critical_gate.py (a bookworm dpkg database listing sqlite3 and
krb5 versions from before the fixes of CVE-2025-6965 and CVE-2024-37371, CRITICAL in NVD's own
metric), built by hand and pushed over raw HTTP; the vulnerability DB is built from
../shared/vulndata. Pushed, it is scanned by the registry's workers from the registry's own
storage; GET /vigil/v1/scans/<repo>@<digest> serves the same JSON as `vigil scan --format json`;
a gate with max-severity HIGH answers 403 DENIED naming the CVEs; repositories no gate matches
pull normally. Skips cleanly when the data or dpkg is absent.
"""
import json
import signal
import time

import pytest

from conftest import run_vigil
from images import Layout, MT_OCI_MANIFEST
from registry_serve import Serve
from test_scan_critical_gate import OS_RELEASE, dpkg_status, gate as critical_fixture  # noqa: F401

KNOWN_CRITICAL = {"CVE-2025-6965", "CVE-2024-37371"}


@pytest.fixture(scope="module")
def served(critical_fixture, tmp_path_factory):
    d = tmp_path_factory.mktemp("regscans")
    cfg = d / "registry.yaml"
    cfg.write_text(
        f"scan: {{db: {critical_fixture['db']}, on-push: true, workers: 1}}\n"
        "gates:\n"
        "  - repos: [\"prod/**\"]\n"
        "    max-severity: HIGH\n"
        "  - repos: [\"strict/**\"]\n"
        "    require-scan: true\n")
    srv = Serve(d / "root", d / "serve.log", args=["--config", str(cfg)]).start()
    files = {"etc/os-release": OS_RELEASE, "var/lib/dpkg/status": dpkg_status()}
    lay = Layout(d / "layout")
    img = lay.add_image([files])
    yield {"srv": srv, "img": img, "lay": lay, "db": critical_fixture["db"], "root": d / "root"}
    # graceful stop: the scan workers are joined before storage and metadata close; what the
    # server says after its start (sanitizer reports of an ASan build included) is read here
    srv.proc.send_signal(signal.SIGTERM)
    rest = srv.proc.stderr.read().decode(errors="replace")
    rc = srv.proc.wait(timeout=60)
    srv.kill()
    assert rc == 0, rest
    assert "Sanitizer" not in rest and "runtime error" not in rest, rest


def push(srv, lay, img, repo, tag):
    for desc in [img.manifest["config"], *img.layers]:
        srv.push_blob(repo, lay.blob_path(desc["digest"]).read_bytes())
    r = srv.put_manifest(repo, tag, img.manifest_raw, MT_OCI_MANIFEST)
    assert r.status == 201, r
    return img.desc["digest"]


def wait_scan(srv, repo, digest, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = srv.req("GET", f"/vigil/v1/scans/{repo}@{digest}")
        if r.status == 200:
            return json.loads(r.body)
        assert r.status == 404, r
        body = json.loads(r.body)
        assert body["status"] in ("queued", "unknown"), body
        assert body["errors"][0]["code"] == "SCAN_UNKNOWN"
        time.sleep(0.5)
    raise AssertionError(f"no scan of {repo}@{digest} within {timeout} s")


def critical_ids(doc):
    return {v["VulnerabilityID"] for res in doc.get("Results", [])
            for v in res.get("Vulnerabilities", []) if v["Severity"] == "CRITICAL"}


def test_scan_on_push_and_max_severity_gate(served):
    srv, lay, img = served["srv"], served["lay"], served["img"]
    d = push(srv, lay, img, "prod/app", "1")
    doc = wait_scan(srv, "prod/app", d)
    assert doc["ArtifactName"] == f"prod/app@{d}"
    found = critical_ids(doc)
    assert KNOWN_CRITICAL <= found, found

    for method in ("GET", "HEAD"):
        for ref in ("1", d):
            r = srv.req(method, f"/v2/prod/app/manifests/{ref}",
                        headers={"Accept": MT_OCI_MANIFEST})
            assert r.status == 403, (method, ref, r)
            if method == "GET":
                err = json.loads(r.body)["errors"][0]
                assert err["code"] == "DENIED"
                assert "CRITICAL" in err["message"] and "above max-severity HIGH" in err["message"]
                assert any(c in err["message"] for c in KNOWN_CRITICAL), err["message"]

    # the same bytes in a repository no gate matches: served, and scanned once only
    d2 = push(srv, lay, img, "dev/app", "1")
    assert d2 == d
    r = srv.req("GET", "/v2/dev/app/manifests/1", headers={"Accept": MT_OCI_MANIFEST})
    assert r.status == 200, r
    assert r.body == img.manifest_raw


def test_scans_endpoint_errors(served):
    srv = served["srv"]
    r = srv.req("GET", "/vigil/v1/scans/prod/app@sha256:" + "0" * 64)
    assert r.status == 404, r
    assert json.loads(r.body)["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    r = srv.req("GET", "/vigil/v1/scans/prod/app")
    assert r.status == 400, r
    r = srv.req("GET", "/vigil/v1/scans/Bad..Name@sha256:" + "0" * 64)
    assert r.status == 400, r


def test_registry_scans_lists_results(served):
    srv, lay, img = served["srv"], served["lay"], served["img"]
    d = push(srv, lay, img, "prod/listed", "1")
    wait_scan(srv, "prod/listed", d)
    r = run_vigil("registry", "scans", "--root", served["root"], "--format", "json")
    assert r.rc == 0, r
    rows = json.loads(r.out)
    row = next(x for x in rows if x["digest"] == d)
    assert row["status"] == "done" and row["scanned"] >= row["queued"] > 0, row
    r = run_vigil("registry", "scans", "--root", served["root"])
    assert r.rc == 0, r
    assert f"@{d} done" in r.out, r.out
    r = run_vigil("registry", "scans")
    assert r.rc == 2, r
