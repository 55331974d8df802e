# SPDX-License-Identifier: Apache-2.0
"""The CI gate `scan --severity CRITICAL --exit-code 1` on a real CRITICAL finding.

The debootstrap image of test_scan_debian.py carries today's bookworm packages, which have no
CRITICAL Debian finding in ../shared/vulndata. This image does: its dpkg database lists the
bookworm point-release versions that shipped before the fixes of two CVEs whose NVD records
carry a CRITICAL v3.1 metric of NVD's own (sqlite3 3.40.1-2+deb12u1 before CVE-2025-6965's fix
in +deb12u2, krb5 1.20.1-2+deb12u1 before CVE-2024-37371's), plus a zlib already past its
CRITICAL CVE's fix as a control. The image is built by hand (tests/e2e/images.py), the database
from the real advisories; what the scan must report is derived here from the advisory zip (with
`dpkg --compare-versions`) and the NVD feed files, independently of vigil. Skips cleanly when
../shared (or its Debian/NVD data) or dpkg is absent.
"""
import json
import shutil
from pathlib import Path

import pytest

from conftest import run_vigil
from images import build_image
from test_scan_debian import expected_debian, nvd_v3

OS_RELEASE = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"""

# (binary, source, version): the versions bookworm shipped before a point release fixed them.
PACKAGES = [
    ("libsqlite3-0", "sqlite3", "3.40.1-2+deb12u1"),
    ("libkrb5-3", "krb5", "1.20.1-2+deb12u1"),
    ("libk5crypto3", "krb5", "1.20.1-2+deb12u1"),
    ("zlib1g", "zlib", "1:1.2.13.dfsg-1"),
]
# The CRITICAL ones the sample is known to hold for these versions; the test derives its
# expectations from the data and only checks that these are among them.
KNOWN_CRITICAL = {"CVE-2025-6965", "CVE-2024-37371"}


def dpkg_status():
    out = []
    for binary, source, version in PACKAGES:
        out.append(f"Package: {binary}\nStatus: install ok installed\nPriority: optional\n"
                   f"Section: libs\nInstalled-Size: 100\n"
                   f"Maintainer: Debian Maintainers <debian@example.org>\n"
                   f"Architecture: amd64\nMulti-Arch: same\nSource: {source}\n"
                   f"Version: {version}\nDescription: {binary}\n")
    return "\n".join(out)


@pytest.fixture(scope="module")
def gate(tmp_path_factory, shared_dir):
    vulndata = shared_dir / "vulndata"
    if not (vulndata / "osv" / "Debian" / "all.zip").exists():
        pytest.skip("../shared/vulndata/osv/Debian is absent")
    if not (vulndata / "nvd").is_dir():
        pytest.skip("../shared/vulndata/nvd is absent")
    if not shutil.which("dpkg") or not shutil.which("dpkg-query"):
        pytest.skip("dpkg is needed to compute the expected Debian findings")
    d = tmp_path_factory.mktemp("gate")
    files = {"etc/os-release": OS_RELEASE, "var/lib/dpkg/status": dpkg_status()}
    rootfs = d / "rootfs"
    for rel, data in files.items():
        (rootfs / rel).parent.mkdir(parents=True, exist_ok=True)
        (rootfs / rel).write_text(data)
    build_image(d / "image", layers=[files])
    db = d / "vulndb.sqlite"
    r = run_vigil("db", "build", "--from", vulndata, "--db", db, timeout=600)
    assert r.rc == 0, r
    return {"image": f"oci:{d / 'image'}:latest", "db": str(db), "rootfs": rootfs,
            "vulndata": vulndata, "env": {"XDG_CACHE_HOME": str(d / "cache")}, "tmp": d}


def scan(g, *args):
    return run_vigil("scan", "--offline", "--quiet", "--no-cache", "--db", g["db"], *args,
                     g["image"], env=g["env"], timeout=300)


def os_vulns(doc):
    return [v for res in doc["Results"] if res["Class"] == "os-pkgs"
            for v in res.get("Vulnerabilities", [])]


def expected_critical(g):
    """{CVE} of the expected Debian findings whose NVD primary v3 metric is CRITICAL."""
    nvd = nvd_v3(g["vulndata"])
    out = set()
    for _, rec_id, _ in expected_debian(g["rootfs"], g["vulndata"]):
        cve = rec_id.removeprefix("DEBIAN-")
        if nvd.get(cve, {}).get("baseSeverity") == "CRITICAL":
            out.add(cve)
    return out


def test_real_critical_findings_carry_nvd_severity(gate):
    want = expected_debian(gate["rootfs"], gate["vulndata"])
    r = scan(gate, "--format", "json", "--scanners", "vuln")
    assert r.rc == 0, r
    found = os_vulns(json.loads(r.out))
    got = {(v["PkgName"], f"DEBIAN-{v['VulnerabilityID']}", v["FixedVersion"]) for v in found}
    assert got == want
    crit = expected_critical(gate)
    assert KNOWN_CRITICAL <= crit, crit
    nvd = nvd_v3(gate["vulndata"])
    for v in found:
        if v["VulnerabilityID"] in crit:
            m = nvd[v["VulnerabilityID"]]
            assert v["Severity"] == "CRITICAL", v
            assert v["SeveritySource"] == "nvd", v
            assert v["VendorSeverity"]["nvd"] == 4, v
            assert v["CVSS"]["nvd"]["V3Vector"] == m["vectorString"], v
            assert v["CVSS"]["nvd"]["V3Score"] == m["baseScore"], v
    # The control: zlib 1:1.2.13.dfsg-1 is past CVE-2022-37434's fix (CRITICAL in NVD).
    assert not [v for v in found if v["PkgName"] == "zlib1g"], found


def test_gate_fails_on_critical_and_passes_when_ignored(gate):
    crit = expected_critical(gate)
    gate_args = ("--format", "json", "--severity", "CRITICAL", "--exit-code", "1")
    r = scan(gate, *gate_args)
    assert r.rc == 1, r
    reported = {v["VulnerabilityID"] for v in os_vulns(json.loads(r.out))}
    assert reported == crit, r
    # The same with Trivy's other spelling of the list and in the table format.
    r = scan(gate, "--severity", "HIGH,CRITICAL", "--exit-code", "1")
    assert r.rc == 1 and "CVE-2025-6965" in r.out and "CRITICAL" in r.out, r
    ig = Path(gate["tmp"]) / "ignore"
    ig.write_text("".join(f"{c}\n" for c in sorted(crit)))
    r = scan(gate, *gate_args, "--ignorefile", ig)
    assert r.rc == 0, r
    assert os_vulns(json.loads(r.out)) == [], r
    # Ignoring only one of them keeps the gate closed.
    ig.write_text(sorted(crit)[0] + "\n")
    assert scan(gate, *gate_args, "--ignorefile", ig).rc == 1
