# SPDX-License-Identifier: Apache-2.0
"""`vigil scan` end to end on a realistic image: Debian 12 from debootstrap (point-release
packages, so the Debian records in ../shared/vulndata have fixes for some of them), an npm app
with old dependencies, planted (fake, pattern-valid) secrets and a malicious pickle, scanned
with a database built from ../shared/vulndata.

The expected vulnerability findings are computed here, independently of vigil: Debian ones with
`dpkg --compare-versions` against the source versions dpkg-query reads from the rootfs, npm
ones from the installed package.json files against the npm OSV records. The scan must report
exactly those sets. A CycloneDX SBOM the real Trivy writes of the image, rescanned, gives the same
OS findings. Skips when ../shared, debootstrap (or its cached rootfs) or npm (or its cached
node_modules) is missing; the Trivy test also when Trivy is.
"""
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, run_vigil
from test_scan import _validate

CACHE = Path(os.environ.get("VIGIL_TEST_CACHE", "/var/tmp/vigil-test-cache"))
NPM_DEPS = {"lodash": "4.17.15", "minimist": "1.2.0", "express": "4.17.1", "axios": "0.21.0",
            "jsonwebtoken": "8.5.1"}
# Fake credentials: they match the detectors' patterns but were never issued.
FAKE_AWS_ID = "AKIAQ7ZK3V5N2XW4M6PB"
FAKE_GH = "ghp_" + "Zq8Lr3Vn6Tx1Wb4Ym7Pk0Hd2Jf5Gs9Ca8Eu1"
FAKE_PEM_BODY = "\n".join(
    hashlib.sha512(str(i).encode()).hexdigest()[:64].upper() for i in range(8))


class EvilReduce:
    """Pickling an instance records os.system('id'); nothing runs until someone loads it."""

    def __reduce__(self):
        return (os.system, ("id",))


def _npm_app(tmp):
    """An app directory with node_modules from `npm install` (cached: it takes a minute)."""
    pkg = {"name": "vigil-demo-app", "version": "1.0.0", "private": True,
           "dependencies": NPM_DEPS}
    key = hashlib.sha256(json.dumps(pkg, sort_keys=True).encode()).hexdigest()[:16]
    cached = CACHE / f"npm-app-{key}"
    if not (cached / ".complete").exists():
        if not shutil.which("npm"):
            pytest.skip("npm is not installed and no cached node_modules")
        work = CACHE / f"npm-app-{key}.tmp"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        (work / "package.json").write_text(json.dumps(pkg, indent=2))
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"],
                           cwd=work, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            pytest.skip(f"npm install failed (registry unreachable?): {p.stderr[-500:]}")
        (work / ".complete").touch()
        shutil.rmtree(cached, ignore_errors=True)
        work.rename(cached)
    app = tmp / "app"
    shutil.copytree(cached, app, symlinks=True, ignore=shutil.ignore_patterns(".complete"))
    (app / "index.js").write_text("const express = require('express');\n"
                                  "express().listen(8080);\n")
    (app / ".env").write_text(f"NODE_ENV=production\nAWS_ACCESS_KEY_ID={FAKE_AWS_ID}\n"
                              f"GITHUB_TOKEN={FAKE_GH}\n")
    (app / "config").mkdir()
    (app / "config" / "server.key").write_text(
        f"-----BEGIN RSA PRIVATE KEY-----\n{FAKE_PEM_BODY}\n-----END RSA PRIVATE KEY-----\n")
    import pickle
    (app / "model.pkl").write_bytes(pickle.dumps(EvilReduce()))
    return app


@pytest.fixture(scope="module")
def deb(tmp_path_factory, shared_dir):
    vulndata = shared_dir / "vulndata"
    if not (vulndata / "osv" / "Debian" / "all.zip").exists():
        pytest.skip("../shared/vulndata/osv/Debian is absent")
    if not shutil.which("dpkg-query"):
        pytest.skip("dpkg-query is needed to compute the expected Debian findings")
    d = tmp_path_factory.mktemp("deb")
    app = _npm_app(d)
    p = subprocess.run([str(ROOT / "scripts" / "debian-image.sh"), str(d / "image"), str(app)],
                       capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        pytest.skip(f"debian-image.sh failed (no debootstrap/mirror?): {p.stderr[-800:]}")
    rootfs = Path(p.stdout.strip().splitlines()[-1])
    db = d / "vulndb.sqlite"
    r = run_vigil("db", "build", "--from", vulndata, "--db", db, timeout=900)
    assert r.rc == 0, r
    env = {"XDG_CACHE_HOME": str(d / "cache")}
    ctx = {"image": f"oci:{d / 'image'}:latest", "layout": d / "image", "db": str(db),
           "env": env, "rootfs": rootfs, "app": app, "vulndata": vulndata}
    r = scan(ctx, "--format", "json")
    assert r.rc == 0, r
    ctx["doc"] = json.loads(r.out)
    return ctx


def scan(ctx, *args, env=None):
    return run_vigil("scan", "--offline", "--quiet", "--db", ctx["db"], *args, ctx["image"],
                     env=env or ctx["env"], timeout=900)


def results(doc, klass):
    return [r for r in doc["Results"] if r["Class"] == klass]


def record_ids(v):
    return {v["VulnerabilityID"], *v.get("Aliases", [])}


# ---------------------------------------------------------------- independent expectations


def dpkg_lt(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0


def installed_debs(rootfs):
    """binary name → (version, source name, source version), read by dpkg-query itself."""
    out = subprocess.run(
        ["dpkg-query", f"--admindir={rootfs}/var/lib/dpkg", "-W", "-f",
         "${Package}\t${Version}\t${source:Package}\t${source:Version}\t${db:Status-Abbrev}\n"],
        capture_output=True, text=True, check=True).stdout
    pkgs = {}
    for line in out.splitlines():
        name, ver, src, srcver, status = line.split("\t")
        if status.startswith("ii"):
            pkgs[name] = (ver, src or name, srcver or ver)
    return pkgs


def expected_debian(rootfs, vulndata):
    """{(binary package, DEBIAN-CVE id, fixed version)} a careful human derives."""
    debs = installed_debs(rootfs)
    by_src = {}
    for name, (_, src, srcver) in debs.items():
        by_src.setdefault(src, []).append((name, srcver))
    want = set()
    with zipfile.ZipFile(vulndata / "osv" / "Debian" / "all.zip") as z:
        for n in z.namelist():
            rec = json.loads(z.read(n))
            for aff in rec["affected"]:
                if aff["package"]["ecosystem"] != "Debian:12":
                    continue
                for binary, srcver in by_src.get(aff["package"]["name"], []):
                    for rng in aff.get("ranges", []):
                        intro = [e["introduced"] for e in rng["events"] if "introduced" in e]
                        fixed = [e["fixed"] for e in rng["events"] if "fixed" in e]
                        assert intro == ["0"] and len(fixed) == 1, rec["id"]
                        if dpkg_lt(srcver, fixed[0]):
                            want.add((binary, rec["id"], fixed[0]))
    return want


def _semver(v):
    parts = v.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def installed_npm(app):
    """{(name, version)} of every package.json under node_modules."""
    out = set()
    for pj in app.glob("**/node_modules/**/package.json"):
        rel = pj.relative_to(app).parts
        # node_modules/<name>/package.json or node_modules/@scope/<name>/package.json only.
        if rel[-2] == "node_modules" or (len(rel) >= 3 and rel[-3] == "node_modules") or \
                (len(rel) >= 4 and rel[-4] == "node_modules" and rel[-3].startswith("@")):
            d = json.loads(pj.read_text())
            if "name" in d and "version" in d and pj.parent.name == d["name"].split("/")[-1]:
                out.add((d["name"], d["version"]))
    return out


def expected_npm(app, vulndata):
    """{(name, version, GHSA id)} from SEMVER ranges, for plain x.y.z versions."""
    inst = installed_npm(app)
    names = {n.lower() for n, _ in inst}
    want = set()
    with zipfile.ZipFile(vulndata / "osv" / "npm" / "all.zip") as z:
        for n in z.namelist():
            rec = json.loads(z.read(n))
            if rec.get("withdrawn"):
                continue
            for aff in rec["affected"]:
                pname = aff["package"]["name"]
                if aff["package"]["ecosystem"] != "npm" or pname.lower() not in names:
                    continue
                for name, ver in inst:
                    if name != pname or _semver(ver) is None:
                        continue
                    if ver in aff.get("versions", []) or _in_ranges(_semver(ver), aff):
                        want.add((name, ver, rec["id"]))
    return want


def _in_ranges(v, aff):
    for rng in aff.get("ranges", []):
        if rng["type"] not in ("SEMVER", "ECOSYSTEM"):
            continue
        affected = False
        for e in rng["events"]:
            if "introduced" in e:
                iv = (0, 0, 0) if e["introduced"] == "0" else _semver(e["introduced"])
                if iv is not None and v >= iv:
                    affected = True
            elif "fixed" in e and _semver(e["fixed"]) is not None and v >= _semver(e["fixed"]):
                affected = False
            elif "last_affected" in e and _semver(e["last_affected"]) is not None and \
                    v > _semver(e["last_affected"]):
                affected = False
        if affected:
            return True
    return False


# ---------------------------------------------------------------- tests


def test_os_detected_and_layers(deb):
    doc = deb["doc"]
    assert doc["Metadata"]["OS"]["Family"] == "debian"
    assert doc["Metadata"]["OS"]["Name"].startswith("12")
    assert len(doc["Metadata"]["ImageConfig"]["rootfs"]["diff_ids"]) == 2


def test_debian_findings_equal_dpkg_compare_versions(deb):
    want = expected_debian(deb["rootfs"], deb["vulndata"])
    assert want, "the Debian records should leave some installed package vulnerable"
    got = set()
    for res in results(deb["doc"], "os-pkgs"):
        assert res["Type"] == "debian"
        for v in res.get("Vulnerabilities", []):
            ids = [i for i in record_ids(v) if i.startswith("DEBIAN-CVE-")]
            assert len(ids) == 1, v
            got.add((v["PkgName"], ids[0], v.get("FixedVersion")))
            assert v["VulnerabilityID"].startswith("CVE-")  # the CVE alias is preferred
    assert got == want, {"missing": sorted(want - got), "unexpected": sorted(got - want)}


def test_npm_findings_equal_osv_ranges(deb):
    want = expected_npm(deb["app"], deb["vulndata"])
    got = set()
    for res in results(deb["doc"], "lang-pkgs"):
        for v in res.get("Vulnerabilities", []):
            if res["Type"] != "node-pkg":
                continue
            ghsa = [i for i in record_ids(v) if i.startswith("GHSA-")]
            for g in ghsa:
                got.add((v["PkgName"], v["InstalledVersion"], g))
    assert got == want, {"missing": sorted(want - got), "unexpected": sorted(got - want)}


def test_npm_headline_findings(deb):
    by = {}
    for res in results(deb["doc"], "lang-pkgs"):
        for v in res.get("Vulnerabilities", []):
            by.setdefault((v["PkgName"], v["VulnerabilityID"]), v)
    assert by[("lodash", "CVE-2020-8203")]["FixedVersion"] == "4.17.20"
    assert by[("lodash", "CVE-2021-23337")]["FixedVersion"] == "4.17.21"
    assert by[("lodash", "CVE-2021-23337")]["Severity"] == "HIGH"
    m = by[("minimist", "CVE-2021-44906")]
    assert m["Severity"] == "CRITICAL" and m["FixedVersion"] == "1.2.6"
    assert m["PkgPath"].startswith("app/node_modules/minimist")
    assert by[("jsonwebtoken", "CVE-2022-23529")]["FixedVersion"] == "9.0.0"
    assert ("axios", "CVE-2021-3749") in by
    # The app layer (index 1) introduced them, not the Debian base.
    assert m["Layer"]["DiffID"] == deb["doc"]["Metadata"]["ImageConfig"]["rootfs"]["diff_ids"][1]


def test_python_requests_from_debian_is_both_deb_and_python(deb):
    debs = {v["PkgName"] for r in results(deb["doc"], "os-pkgs")
            for v in r.get("Vulnerabilities", [])}
    pkgs = {p for p in installed_debs(deb["rootfs"])}
    assert debs <= pkgs


def test_planted_secrets_found_and_masked(deb):
    secrets = {}
    for res in results(deb["doc"], "secret"):
        for s in res["Secrets"]:
            secrets.setdefault(res["Target"], set()).add(s["RuleID"])
    assert {"aws-access-key-id", "github-pat"} <= secrets.get("/app/.env", set()), secrets
    assert "private-key" in secrets.get("/app/config/server.key", set()), secrets
    text = json.dumps(deb["doc"])
    for raw in (FAKE_AWS_ID, FAKE_GH, FAKE_PEM_BODY.splitlines()[0]):
        assert raw not in text, "secrets must be masked in reports"
    # The Debian base has no secrets a careful human would call real.
    assert not [t for t in secrets if not t.startswith("/app/")], secrets


def test_malicious_pickle_found(deb):
    models = [(res["Target"], m) for res in results(deb["doc"], "model")
              for m in res["ModelFindings"]]
    crit = [m for t, m in models if t == "/app/model.pkl" and m["Severity"] == "CRITICAL"]
    assert crit, models
    assert any("system" in m["Message"] for m in crit), crit


def test_exit_code_with_severity(deb):
    assert scan(deb, "--format", "json", "--exit-code", "5", "--severity", "CRITICAL").rc == 5
    # No LOW findings from any scanner in this image: the gate stays open.
    low = [v for res in deb["doc"]["Results"] for k in ("Vulnerabilities", "Secrets",
           "ModelFindings", "Misconfigurations") for v in res.get(k, [])
           if v["Severity"] == "LOW"]
    r = scan(deb, "--format", "json", "--exit-code", "5", "--severity", "LOW")
    assert r.rc == (5 if low else 0), r
    r = scan(deb, "--format", "json", "--exit-code", "5", "--scanners", "secret",
             "--skip-dirs", "/app")
    assert r.rc == 0, r


def test_table_format(deb):
    r = scan(deb, "--format", "table")
    assert r.rc == 0, r
    assert "CVE-2021-44906" in r.out and "minimist" in r.out and "Total:" in r.out


def test_sarif_validates(deb):
    r = scan(deb, "--format", "sarif")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    _validate(doc, "sarif-2.1.0.schema.json")
    rule_ids = {res["ruleId"] for res in doc["runs"][0]["results"]}
    assert {"CVE-2021-44906", "aws-access-key-id"} <= rule_ids


def test_cyclonedx_validates(deb):
    r = scan(deb, "--format", "cyclonedx")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    _validate(doc, "cyclonedx-bom-1.5.schema.json")
    names = {c["name"] for c in doc["components"]}
    assert {"lodash", "minimist", "libc6", "openssl"} <= names
    refs = {c["bom-ref"] for c in doc["components"]}
    assert all(a["ref"] in refs for v in doc["vulnerabilities"] for a in v["affects"])


def test_rescan_from_cache_is_identical(deb):
    a = scan(deb, "--format", "json")
    assert a.rc == 0, a
    assert json.loads(a.out)["Results"] == deb["doc"]["Results"]


# ---------------------------------------------------------------- severities from NVD


def nvd_v3(vulndata):
    """CVE → NVD's own v3.x metric (3.1 before 3.0), read straight from the feed files."""
    out = {}
    for feed in sorted((vulndata / "nvd").glob("nvdcve-2.0-*.json.gz")):
        with gzip.open(feed, "rt") as f:
            for item in json.load(f)["vulnerabilities"]:
                c = item["cve"]
                for key in ("cvssMetricV30", "cvssMetricV31"):
                    for m in c.get("metrics", {}).get(key, []):
                        if m.get("source") == "nvd@nist.gov" and m.get("type") == "Primary":
                            out[c["id"]] = m["cvssData"]
    return out


def test_debian_findings_carry_nvd_severity_and_the_gate_holds(deb, tmp_path):
    if not (deb["vulndata"] / "nvd").is_dir():
        pytest.skip("../shared/vulndata/nvd is absent")
    nvd = nvd_v3(deb["vulndata"])
    os_vulns = [v for res in results(deb["doc"], "os-pkgs") for v in res.get("Vulnerabilities", [])]
    scored = [v for v in os_vulns if v["VulnerabilityID"] in nvd]
    assert scored, "no Debian finding has an NVD v3 metric in the sample"
    for v in scored:
        m = nvd[v["VulnerabilityID"]]
        assert v["Severity"] == m["baseSeverity"], v
        assert v["SeveritySource"] == "nvd", v
        assert v["CVSS"]["nvd"]["V3Vector"] == m["vectorString"], v
        assert v["VendorSeverity"]["nvd"] == \
            {"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}[m["baseSeverity"]]
    gate = ("--format", "json", "--scanners", "vuln", "--pkg-types", "os",
            "--severity", "CRITICAL,HIGH", "--exit-code", "1")
    crit_high = {v["VulnerabilityID"] for v in os_vulns if v["Severity"] in ("CRITICAL", "HIGH")}
    # The sample's CRITICAL Debian ones (krb5 CVE-2024-37371, sqlite3 CVE-2025-6965) are
    # expected when the image has vulnerable versions; the gate must follow what was found.
    r = scan(deb, *gate)
    assert r.rc == (1 if crit_high else 0), r
    ig = tmp_path / "ignore"
    ig.write_text("\n".join(sorted(crit_high)) + "\n")
    r = scan(deb, *gate, "--ignorefile", ig)
    assert r.rc == 0, r


# ---------------------------------------------------------------- Trivy's SBOM of the image


def test_trivy_cyclonedx_rescan_gives_the_image_os_findings(deb, tmp_path):
    """The real Trivy (tests/e2e/trivy_peer.py; skipped without it) writes a CycloneDX SBOM of
    the image; `vigil scan --sbom` of it finds the image scan's OS vulnerabilities."""
    from trivy_peer import trivy_sbom
    sbom = trivy_sbom(deb["layout"], "cyclonedx", tmp_path / "trivy.cdx.json",
                      tmp_path / "trivy-cache")
    comps = json.loads(sbom.read_text())["components"]
    assert len([c for c in comps if c.get("purl", "").startswith("pkg:deb/")]) == \
        len(installed_debs(deb["rootfs"]))

    def os_findings(doc):
        return sorted((v["VulnerabilityID"], v["PkgName"], v["InstalledVersion"],
                       v.get("FixedVersion"), v["Severity"], v.get("SeveritySource"))
                      for res in results(doc, "os-pkgs") for v in res.get("Vulnerabilities", []))
    want = os_findings(deb["doc"])
    assert want
    r = run_vigil("scan", "--offline", "--quiet", "--db", deb["db"], "--format", "json",
                  "--sbom", sbom, env=deb["env"], timeout=900)
    assert r.rc == 0, r
    got = os_findings(json.loads(r.out))
    assert got == want, {"missing": sorted(set(want) - set(got)),
                         "unexpected": sorted(set(got) - set(want))}
