# SPDX-License-Identifier: Apache-2.0
"""`vigil scan` end to end on the bundled sample image (scripts/sample-image.py) against a
database built from examples/osv: every scanner, every output format, the filters and the
exit-code contract. Expected findings are what a careful reader of the sample derives by hand
(see the docstring of sample-image.py and examples/osv/README.md)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

SCHEMAS = ROOT.parent / "shared" / "schemas"


@pytest.fixture(scope="module")
def sample(tmp_path_factory, ):
    from conftest import run_vigil
    d = tmp_path_factory.mktemp("scan")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "sample-image.py"), str(d / "image")],
                   check=True, capture_output=True)
    db = d / "vulndb.sqlite"
    r = run_vigil("db", "build", "--from", ROOT / "examples" / "osv", "--db", db)
    assert r.rc == 0, r
    return {"image": f"oci:{d / 'image'}:demo", "db": str(db), "dir": d,
            "env": {"XDG_CACHE_HOME": str(d / "cache")}}


def scan(vigil, sample, *args, fmt="json"):
    r = vigil("scan", "--offline", "--db", sample["db"], "--format", fmt, *args, sample["image"],
              env=sample["env"])
    return r


def doc_of(r):
    assert r.rc == 0, r
    return json.loads(r.out)


def vulns(doc):
    out = {}
    for res in doc["Results"]:
        for v in res.get("Vulnerabilities", []):
            out.setdefault(v["VulnerabilityID"], []).append(v)
    return out


def test_vulnerabilities_match_by_hand(vigil, sample):
    doc = doc_of(scan(vigil, sample))
    assert doc["SchemaVersion"] == 2
    assert doc["ArtifactType"] == "container_image"
    v = vulns(doc)
    # lodash 4.17.15: three advisories; minimist 1.2.0: two.
    assert {x["PkgName"] for x in v["CVE-2020-8203"]} == {"lodash"}
    assert v["CVE-2020-8203"][0]["FixedVersion"] == "4.17.20"
    assert v["CVE-2020-8203"][0]["Severity"] == "HIGH"
    assert v["CVE-2021-23337"][0]["FixedVersion"] == "4.17.21"
    assert v["CVE-2020-28500"][0]["Severity"] == "MEDIUM"
    assert v["CVE-2021-44906"][0]["Severity"] == "CRITICAL"
    assert v["CVE-2021-44906"][0]["FixedVersion"] == "1.2.6"
    assert v["CVE-2020-7598"][0]["FixedVersion"] == "1.2.3"
    # requests: PYSEC and GHSA records for one CVE collapse into one finding with both ids.
    req = v["CVE-2018-18074"]
    assert len(req) == 1
    assert set(req[0]["Aliases"]) >= {"PYSEC-2018-28", "GHSA-x84v-xcm2-53pg"}
    assert req[0]["Severity"] == "HIGH"
    assert req[0]["FixedVersion"] == "2.20.0"
    # Debian: matched by SOURCE package, reported per binary package.
    assert {x["PkgName"] for x in v["CVE-2023-5678"]} == {"openssl", "libssl3"}
    assert all(x["FixedVersion"] == "3.0.13-1~deb12u1" for x in v["CVE-2023-5678"])
    assert {x["PkgName"] for x in v["CVE-2024-2961"]} == {"libc6"}
    # Fixed before the installed version: must not be reported.
    assert "CVE-2023-4911" not in v
    # Layer attribution: lodash came with the second layer.
    cfg_diffs = doc["Metadata"]["DiffIDs"]
    assert v["CVE-2020-8203"][0]["Layer"]["DiffID"] == cfg_diffs[1]
    assert v["CVE-2023-5678"][0]["Layer"]["DiffID"] == cfg_diffs[0]


def test_secrets_models_and_config(vigil, sample):
    doc = doc_of(scan(vigil, sample))
    by_class = {}
    for res in doc["Results"]:
        by_class.setdefault(res["Class"], []).append(res)
    secrets = [s for res in by_class["secret"] for s in res.get("Secrets", [])]
    targets = {res["Target"] for res in by_class["secret"]}
    assert "/app/config/credentials" in targets
    aws = [s for s in secrets if "AKIA" in s["Match"]]
    assert aws, secrets
    assert "AKIA2E0A8F3B244C9986" not in json.dumps(doc), "secrets must be masked"
    models = [m for res in by_class["model"] for m in res["ModelFindings"]]
    assert any(m["Severity"] == "CRITICAL" and "os" in m["Message"] and "system" in m["Message"]
               for m in models), models
    ids = {m["ID"] for res in by_class["config"] for m in res["Misconfigurations"]}
    assert {"VG-CFG-001", "VG-CFG-005", "VG-CFG-006"} <= ids
    assert "VG-CFG-002" not in ids  # an OCI layout tag is not a registry reference


def test_table_is_default_and_lists_findings(vigil, sample):
    r = vigil("scan", "--offline", "--db", sample["db"], sample["image"], env=sample["env"])
    assert r.rc == 0, r
    assert "Total:" in r.out
    assert "CVE-2021-44906" in r.out
    assert "\033[" not in r.out  # no colours when stdout is not a TTY


def test_exit_code_follows_severity(vigil, sample):
    assert scan(vigil, sample, "--exit-code", "3", "--severity", "CRITICAL").rc == 3
    r = scan(vigil, sample, "--exit-code", "3", "--severity", "UNKNOWN", "--scanners", "vuln")
    assert r.rc == 3  # the Debian records carry no severity
    r = scan(vigil, sample, "--exit-code", "3", "--severity", "LOW", "--scanners", "vuln")
    assert r.rc == 0, r


def test_ignore_unfixed_and_pkg_types(vigil, sample):
    doc = doc_of(scan(vigil, sample, "--pkg-types", "os", "--scanners", "vuln"))
    assert {r["Class"] for r in doc["Results"]} == {"os-pkgs"}
    doc = doc_of(scan(vigil, sample, "--ignore-unfixed", "--scanners", "vuln"))
    for v in vulns(doc).values():
        assert all(x.get("FixedVersion") for x in v)


def test_ignorefile_suppresses_and_exit_code_clears(vigil, sample, tmp_path):
    doc = doc_of(scan(vigil, sample, "--severity", "CRITICAL"))
    ids = set(vulns(doc))
    for res in doc["Results"]:
        ids |= {s["RuleID"] for s in res.get("Secrets", [])}
        ids |= {m["ID"] for m in res.get("ModelFindings", [])}
        ids |= {m["ID"] for m in res.get("Misconfigurations", [])}
    assert ids
    ig = tmp_path / "ignore"
    ig.write_text("# accepted for the demo\n" + "\n".join(sorted(ids)) + "\n")
    r = scan(vigil, sample, "--severity", "CRITICAL", "--exit-code", "1", "--ignorefile", ig)
    assert r.rc == 0, r
    doc = json.loads(r.out)
    modified = [m for res in doc["Results"] for m in res.get("ModifiedFindings", [])]
    assert len(modified) >= len(ids)


def test_ignorefile_expiry_and_bad_syntax(vigil, sample, tmp_path):
    ig = tmp_path / "ignore"
    ig.write_text("CVE-2021-44906 exp:2000-01-01\n")
    r = scan(vigil, sample, "--severity", "CRITICAL", "--scanners", "vuln", "--exit-code", "1",
             "--ignorefile", ig)
    assert r.rc == 1  # expired entries no longer suppress
    ig.write_text("CVE-2021-44906\nCVE-1 exp:tomorrow\n")
    r = scan(vigil, sample, "--ignorefile", ig)
    assert r.rc not in (0, 1) and "line 2" in r.err, r
    assert len(r.err.strip().splitlines()) == 1


def test_vex_not_affected_suppresses_with_justification(vigil, sample, tmp_path):
    vex = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.invalid/vex/1",
        "author": "demo", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
        "statements": [{
            "vulnerability": {"name": "CVE-2021-44906"},
            "products": [{"@id": "pkg:npm/minimist@1.2.0"}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path"}]}
    p = tmp_path / "vex.json"
    p.write_text(json.dumps(vex))
    doc = doc_of(scan(vigil, sample, "--vex", p, "--scanners", "vuln"))
    assert "CVE-2021-44906" not in vulns(doc)
    mods = [m for res in doc["Results"] for m in res.get("ModifiedFindings", [])]
    assert any(m["Finding"]["VulnerabilityID"] == "CVE-2021-44906" and
               m["Statement"] == "vulnerable_code_not_in_execute_path" for m in mods), mods


def _validate(doc, schema_name):
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMAS.is_dir():
        pytest.skip("../shared/schemas is absent")
    schema = json.loads((SCHEMAS / schema_name).read_text())
    store = {}
    for f in SCHEMAS.glob("*.json"):
        s = json.loads(f.read_text())
        for key in (s.get("$id"), s.get("id"), f.name, "http://cyclonedx.org/schema/" + f.name):
            if key:
                store[key] = s
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    cls = jsonschema.validators.validator_for(schema)
    cls(schema, resolver=resolver).validate(doc)


def test_sarif_validates(vigil, sample):
    doc = doc_of(scan(vigil, sample, fmt="sarif"))
    assert doc["version"] == "2.1.0"
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert all(r["help"]["text"] for r in rules)
    assert doc["runs"][0]["results"]
    _validate(doc, "sarif-2.1.0.schema.json")


def test_cyclonedx_with_vulnerabilities_validates(vigil, sample):
    doc = doc_of(scan(vigil, sample, fmt="cyclonedx"))
    assert doc["bomFormat"] == "CycloneDX"
    ids = {v["id"] for v in doc["vulnerabilities"]}
    assert "CVE-2021-44906" in ids
    refs = {c.get("bom-ref") for c in doc.get("components", [])}
    for v in doc["vulnerabilities"]:
        for a in v.get("affects", []):
            assert a["ref"] in refs
    _validate(doc, "cyclonedx-bom-1.5.schema.json")


def test_output_file_written_atomically(vigil, sample, tmp_path):
    out = tmp_path / "report.json"
    r = vigil("scan", "--offline", "--db", sample["db"], "--format", "json", "-o", out,
              sample["image"], env=sample["env"])
    assert r.rc == 0, r
    assert json.loads(out.read_text())["SchemaVersion"] == 2
    assert not [p for p in tmp_path.iterdir() if ".tmp." in p.name]


def test_rescan_uses_cache_and_gives_same_findings(vigil, sample, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "c")}
    a = vigil("scan", "--offline", "--db", sample["db"], "--format", "json", sample["image"], env=env)
    b = vigil("scan", "--offline", "--db", sample["db"], "--format", "json", sample["image"], env=env)
    assert a.rc == 0 and b.rc == 0, (a, b)
    assert list((tmp_path / "c" / "vigil" / "scan").glob("*.json"))
    strip = lambda d: [r for r in json.loads(d)["Results"]]
    assert strip(a.out) == strip(b.out)


def test_sbom_rescan(vigil, sample, tmp_path):
    sbom = tmp_path / "sbom.json"
    r = vigil("sbom", "--format", "cyclonedx", "-o", sbom, sample["image"], env=sample["env"])
    assert r.rc == 0, r
    r = vigil("scan", "--offline", "--db", sample["db"], "--format", "json", "--sbom", sbom,
              env=sample["env"])
    doc = doc_of(r)
    assert doc["ArtifactType"] == "sbom"
    v = vulns(doc)
    assert "CVE-2021-44906" in v and "CVE-2018-18074" in v and "CVE-2023-5678" in v


def test_missing_db_offline_is_not_found(vigil, sample, tmp_path):
    r = vigil("scan", "--offline", "--db", tmp_path / "nope.sqlite", sample["image"],
              env=sample["env"])
    assert r.rc == 4, r
    assert "vigil db" in r.err


def test_usage_errors(vigil, sample):
    assert vigil("scan").rc == 2
    assert vigil("scan", "--severity", "SEVERE", sample["image"]).rc == 2
    assert vigil("scan", "--scanners", "viruses", sample["image"]).rc == 2
    assert vigil("scan", "--format", "xml", sample["image"]).rc == 2
    h = vigil("scan", "--help")
    assert h.rc == 0 and "Examples:" in h.out
