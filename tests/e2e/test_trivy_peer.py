# SPDX-License-Identifier: Apache-2.0
"""SBOMs written by the real Trivy (tests/e2e/trivy_peer.py; skipped without it), rescanned
with `vigil scan --sbom`: the OS findings equal those of vigil's scan of the image itself.
Trivy writes Debian source packages as aquasecurity:trivy:Src* properties (CycloneDX) and
sourceInfo (SPDX); Debian advisories are keyed by source package, so a reader that misses them
loses libc6's glibc findings. The image is scripts/sample-image.py's Debian 12 OCI layout; the
databases are built from examples/osv and, when present, ../shared/vulndata (NVD included)."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT, run_vigil
from trivy_peer import trivy_bin, trivy_sbom


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    trivy_bin()
    d = tmp_path_factory.mktemp("trivy-peer")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "sample-image.py"), str(d / "image")],
                   check=True, capture_output=True)
    sboms = {fmt: trivy_sbom(d / "image", fmt, d / f"trivy.{fmt}.json", d / "trivy-cache")
             for fmt in ("cyclonedx", "spdx-json")}
    return {"dir": d, "layout": d / "image", "ref": f"oci:{d / 'image'}:demo", "sboms": sboms}


@pytest.fixture(scope="module", params=["examples", "shared"])
def db(request, image):
    if request.param == "examples":
        src = ROOT / "examples" / "osv"
    else:
        src = request.getfixturevalue("shared_dir") / "vulndata"
        if not src.is_dir():
            pytest.skip("../shared/vulndata is absent")
    out = image["dir"] / f"{request.param}.sqlite"
    r = run_vigil("db", "build", "--from", src, "--db", out, timeout=900)
    assert r.rc == 0, r
    return {"path": out, "name": request.param}


def os_findings(r):
    assert r.rc == 0, r
    doc = json.loads(r.out)
    return sorted((v["VulnerabilityID"], v["PkgName"], v.get("InstalledVersion"),
                   v.get("FixedVersion"), v.get("Severity"), v.get("SeveritySource"))
                  for res in doc["Results"] if res.get("Class") == "os-pkgs"
                  for v in res.get("Vulnerabilities", []))


def vscan(image, db, *target):
    return run_vigil("scan", "--offline", "--quiet", "--db", db["path"], "--format", "json",
                     "--scanners", "vuln", *target,
                     env={"XDG_CACHE_HOME": str(image["dir"] / "cache")}, timeout=900)


def test_trivy_cyclonedx_is_the_real_thing(image):
    """Guards the comparison below against an empty or foreign document."""
    doc = json.loads(image["sboms"]["cyclonedx"].read_text())
    assert doc["bomFormat"] == "CycloneDX"
    assert doc["metadata"]["tools"], doc["metadata"]
    libc = [c for c in doc["components"] if c.get("name") == "libc6"]
    assert len(libc) == 1, doc["components"]
    props = {p["name"]: p["value"] for p in libc[0].get("properties", [])}
    assert props.get("aquasecurity:trivy:SrcName") == "glibc", props
    assert libc[0]["purl"].startswith("pkg:deb/debian/libc6@"), libc[0]
    spdx = json.loads(image["sboms"]["spdx-json"].read_text())
    assert spdx["spdxVersion"].startswith("SPDX-2.")
    assert any(p["name"] == "libc6" for p in spdx["packages"]), spdx["packages"]


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx-json"])
def test_trivy_sbom_gives_the_image_findings(image, db, fmt):
    want = os_findings(vscan(image, db, image["ref"]))
    assert any(f[0] == "CVE-2024-2961" and f[1] == "libc6" for f in want), want
    if db["name"] == "shared":
        assert len(want) > 20, want  # the full Debian records leave many findings
    got = os_findings(vscan(image, db, "--sbom", image["sboms"][fmt]))
    assert got == want, {"missing": sorted(set(want) - set(got)),
                         "unexpected": sorted(set(got) - set(want))}
