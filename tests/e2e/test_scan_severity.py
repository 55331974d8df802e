# SPDX-License-Identifier: Apache-2.0
"""Severity precedence in `vigil scan` (Trivy's rule): the vendor severity of the matched data
source first (Debian tracker for Debian packages, GitHub for language packages), then NVD's,
then the advisory's own; UNKNOWN otherwise. Also the JSON fields this data feeds
(SeveritySource, VendorSeverity, CVSS per source, CweIDs, dates) and the CI gate
`--severity CRITICAL,HIGH --exit-code 1`.

Uses the bundled sample image (scripts/sample-image.py: Debian 12 with glibc 2.36-9+deb12u4 and
openssl, npm lodash, PyPI requests) and a database built from examples/osv plus an NVD feed
and a Debian tracker file written here. The NVD records are hand-written fixtures in NVD's
CVE API 2.0 layout, not NVD's real analysis of these CVEs.
"""
import gzip
import json
import subprocess
import sys

import pytest

from conftest import ROOT, run_vigil

V31_CRIT = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
V31_HIGH = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"  # 7.5


def metric(vector, score, sev, source="nvd@nist.gov", typ="Primary"):
    return {"source": source, "type": typ, "cvssData": {"version": "3.1", "vectorString": vector,
            "baseScore": score, "baseSeverity": sev}}


def cve(id_, metrics, cwes=(), published="2024-04-17T18:15:15.127"):
    return {"cve": {"id": id_, "published": published, "lastModified": "2024-05-01T00:00:00.000",
                    "vulnStatus": "Analyzed",
                    "descriptions": [{"lang": "en", "value": "fixture record for " + id_}],
                    "metrics": {"cvssMetricV31": metrics},
                    "weaknesses": [{"source": "nvd@nist.gov", "type": "Primary",
                                    "description": [{"lang": "en", "value": c} for c in cwes]}]}}


@pytest.fixture(scope="module")
def sev(tmp_path_factory):
    d = tmp_path_factory.mktemp("sev")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "sample-image.py"), str(d / "image")],
                   check=True, capture_output=True)
    nvd = d / "data" / "nvd"
    nvd.mkdir(parents=True)
    feed = {"format": "NVD_CVE", "version": "2.0", "vulnerabilities": [
        cve("CVE-2024-2961", [metric(V31_CRIT, 9.8, "CRITICAL")], ["CWE-787"]),
        cve("CVE-2023-5678", [metric(V31_HIGH, 7.5, "HIGH")]),
        # GitHub says HIGH for lodash's CVE-2020-8203; NVD's CRITICAL must not win there
        cve("CVE-2020-8203", [metric(V31_CRIT, 9.8, "CRITICAL")]),
        # a CNA-only metric does not set NVD's severity
        cve("CVE-2023-4911", [metric(V31_CRIT, 9.8, "CRITICAL", "cna@example", "Secondary")]),
    ]}
    with gzip.open(nvd / "nvdcve-2.0-2024.json.gz", "wt") as f:
        json.dump(feed, f)
    tracker = d / "data" / "debian-tracker"
    tracker.mkdir()
    (tracker / "tracker.json").write_text(json.dumps({"openssl": {"CVE-2023-5678": {
        "releases": {"bookworm": {"status": "resolved", "urgency": "low"},
                     "bullseye": {"status": "open", "urgency": "high"}}}}}))
    plain, full = d / "plain.sqlite", d / "full.sqlite"
    assert run_vigil("db", "build", "--from", ROOT / "examples" / "osv", "--db", plain).rc == 0
    r = run_vigil("db", "build", "--from", ROOT / "examples" / "osv", "--from", d / "data",
                  "--db", full)
    assert r.rc == 0, r
    return {"image": f"oci:{d / 'image'}:demo", "plain": str(plain), "full": str(full), "dir": d,
            "env": {"XDG_CACHE_HOME": str(d / "cache")}}


def scan(ctx, db, *args):
    return run_vigil("scan", "--offline", "--quiet", "--db", ctx[db], *args, ctx["image"],
                     env=ctx["env"])


def findings(ctx, db, *args):
    r = scan(ctx, db, "--format", "json", "--scanners", "vuln", *args)
    assert r.rc == 0, r
    out = {}
    for res in json.loads(r.out)["Results"]:
        for v in res.get("Vulnerabilities", []):
            out[(v["PkgName"], v["VulnerabilityID"])] = v
    return out


def test_nvd_severity_for_debian_findings(sev):
    before = findings(sev, "plain")[("libc6", "CVE-2024-2961")]
    assert before["Severity"] == "UNKNOWN" and "SeveritySource" not in before
    v = findings(sev, "full")[("libc6", "CVE-2024-2961")]
    assert v["Severity"] == "CRITICAL" and v["SeveritySource"] == "nvd"
    assert v["VendorSeverity"] == {"nvd": 4}
    assert v["CVSS"]["nvd"] == {"V3Vector": V31_CRIT, "V3Score": 9.8}
    assert v["CweIDs"] == ["CWE-787"]
    assert v["PublishedDate"] == "2024-04-17T18:15:15.127Z"
    assert v["LastModifiedDate"] == "2024-05-01T00:00:00.000Z"


def test_vendor_severity_of_the_data_source_comes_first(sev):
    f = findings(sev, "full")
    # Debian tracker: bookworm's urgency, not bullseye's, and before NVD's HIGH
    for pkg in ("openssl", "libssl3"):
        v = f[(pkg, "CVE-2023-5678")]
        assert v["Severity"] == "LOW" and v["SeveritySource"] == "debian", v
        assert v["VendorSeverity"] == {"nvd": 3, "debian": 1}
    # GitHub for a language package, before NVD's CRITICAL; both vectors kept by source
    v = f[("lodash", "CVE-2020-8203")]
    assert v["Severity"] == "HIGH" and v["SeveritySource"] == "ghsa"
    assert v["VendorSeverity"] == {"nvd": 4, "ghsa": 3}
    assert set(v["CVSS"]) == {"ghsa", "nvd"} and v["CVSS"]["nvd"]["V3Score"] == 9.8
    # requests: the GHSA record's own severity (no NVD record in this database)
    v = f[("requests", "CVE-2018-18074")]
    assert v["Severity"] == "HIGH" and v["SeveritySource"] == "ghsa"


def test_every_finding_says_where_its_severity_came_from(sev):
    for key, v in findings(sev, "full").items():
        if v["Severity"] == "UNKNOWN":
            assert "SeveritySource" not in v, key
        else:
            assert v["SeveritySource"] in ("nvd", "debian", "ghsa", "osv"), key


def test_ci_gate_critical_high(sev, tmp_path):
    gate = ("--scanners", "vuln", "--pkg-types", "os", "--severity", "CRITICAL,HIGH",
            "--exit-code", "1", "--format", "json")
    # Without NVD data the glibc finding is UNKNOWN and slips through, as the issue reported.
    assert scan(sev, "plain", *gate).rc == 0
    r = scan(sev, "full", *gate)
    assert r.rc == 1, r
    ids = {v["VulnerabilityID"] for res in json.loads(r.out)["Results"]
           for v in res.get("Vulnerabilities", [])}
    assert ids == {"CVE-2024-2961"}  # openssl is LOW per Debian: not in the gate
    ig = tmp_path / "ignore"
    ig.write_text("CVE-2024-2961\n")
    assert scan(sev, "full", *gate, "--ignorefile", ig).rc == 0


def test_unknown_and_the_severity_filter(sev):
    # Trivy: UNKNOWN is a severity like the others; listed → kept, not listed → dropped.
    f = findings(sev, "plain", "--severity", "UNKNOWN")
    assert ("libc6", "CVE-2024-2961") in f and all(v["Severity"] == "UNKNOWN" for v in f.values())
    assert ("libc6", "CVE-2024-2961") not in findings(sev, "plain", "--severity", "CRITICAL,HIGH")
