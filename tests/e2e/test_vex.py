# SPDX-License-Identifier: Apache-2.0
"""`vigil scan --vex` end to end: a statement suppresses only in the image it names (by digest,
image ID or purl), never in another one; OpenVEX and CycloneDX VEX; --vex repeated."""
import json

from test_scan import doc_of, sample, scan, vulns  # noqa: F401 (pytest fixture)

CVE = "CVE-2021-44906"  # minimist 1.2.0 in the sample image
OTHER = "sha256:" + "b" * 64


def openvex(products, status="not_affected"):
    return {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.invalid/v",
            "author": "t", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
            "statements": [{"vulnerability": {"name": CVE}, "products": products,
                            "status": status, "justification": "component_not_present"}]}


def digests(vigil, sample):
    meta = doc_of(scan(vigil, sample, "--scanners", "vuln"))["Metadata"]
    return meta["RepoDigests"][0].split("@")[-1], meta["ImageID"]


def scan_with(vigil, sample, tmp_path, *docs):
    args = []
    for i, d in enumerate(docs):
        p = tmp_path / f"vex{i}.json"
        p.write_text(json.dumps(d))
        args += ["--vex", p]
    return doc_of(scan(vigil, sample, "--scanners", "vuln", *args))


def test_statement_for_another_image_does_not_suppress(vigil, sample, tmp_path):
    sub = [{"@id": "pkg:npm/minimist"}]
    for product in ({"@id": "ghcr.io/someone/else:1.0", "subcomponents": sub},
                    {"@id": "pkg:oci/else@" + OTHER.replace(":", "%3A"), "subcomponents": sub},
                    {"@id": "pkg:oci/image", "subcomponents": sub},  # ambiguous: no digest
                    {"hashes": {"sha-256": "b" * 64}}):
        doc = scan_with(vigil, sample, tmp_path, openvex([product]))
        assert CVE in vulns(doc), product


def test_statement_for_this_image_suppresses(vigil, sample, tmp_path):
    manifest, image_id = digests(vigil, sample)
    sub = [{"@id": "pkg:npm/minimist"}]
    for product in ({"@id": "pkg:oci/image@" + manifest.replace(":", "%3A"), "subcomponents": sub},
                    {"@id": manifest, "subcomponents": sub},
                    {"@id": image_id}):
        doc = scan_with(vigil, sample, tmp_path, openvex([product]))
        assert CVE not in vulns(doc), product
        mods = [m for res in doc["Results"] for m in res.get("ModifiedFindings", [])]
        assert any(m["Finding"]["VulnerabilityID"] == CVE for m in mods)


def test_repeated_vex_later_document_wins(vigil, sample, tmp_path):
    manifest, _ = digests(vigil, sample)
    first = openvex([{"@id": manifest}])
    later = openvex([{"@id": "pkg:npm/minimist"}], status="affected")
    del later["statements"][0]["justification"]
    assert CVE not in vulns(scan_with(vigil, sample, tmp_path, first))
    assert CVE in vulns(scan_with(vigil, sample, tmp_path, first, later))
    assert CVE not in vulns(scan_with(vigil, sample, tmp_path, later, first))


def test_cyclonedx_vex(vigil, sample, tmp_path):
    manifest, _ = digests(vigil, sample)

    def cdx(digest):
        return {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
                "metadata": {"component": {"type": "container", "name": "image",
                                           "bom-ref": "img",
                                           "purl": "pkg:oci/image@" + digest.replace(":", "%3A")}},
                "components": [{"type": "library", "name": "minimist", "bom-ref": "m",
                                "purl": "pkg:npm/minimist@1.2.0"}],
                "vulnerabilities": [{"id": CVE, "analysis": {"state": "not_affected",
                                                             "justification": "code_not_present"},
                                     "affects": [{"ref": "m"}]}]}
    assert CVE not in vulns(scan_with(vigil, sample, tmp_path, cdx(manifest)))
    assert CVE in vulns(scan_with(vigil, sample, tmp_path, cdx(OTHER)))


def test_bad_vex_is_one_line_error(vigil, sample, tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"statements": [{"vulnerability": "C", "products": [
        {"@id": "a", "subcomponents": {"@id": "b"}}], "status": "fixed"}]}))
    r = scan(vigil, sample, "--vex", p)
    assert r.rc not in (0, 1) and "statement 0" in r.err, r
    assert len(r.err.strip().splitlines()) == 1
