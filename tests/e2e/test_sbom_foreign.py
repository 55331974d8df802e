# SPDX-License-Identifier: Apache-2.0
"""`vigil scan --sbom` on SBOMs in the shapes Trivy and Syft write: the OS findings must equal
those of scanning the image itself. Debian advisories are keyed by source package (libc6 is
built from glibc), so this fails when the source name is not read from the tool's fields."""
import copy
import json
import urllib.parse

from test_scan import doc_of, sample  # noqa: F401 (pytest fixture)

SRC = "vigil:package:src_name"
SRCV = "vigil:package:src_version"


def os_findings(doc):
    return sorted((v["VulnerabilityID"], v["PkgName"], v.get("InstalledVersion"))
                  for res in doc["Results"] if res.get("Class") == "os-pkgs"
                  for v in res.get("Vulnerabilities", []))


def rescan(vigil, sample, tmp_path, name, sbom):
    p = tmp_path / name
    p.write_text(sbom if isinstance(sbom, str) else json.dumps(sbom))
    return os_findings(doc_of(vigil("scan", "--offline", "--db", sample["db"], "--format", "json",
                                    "--sbom", p, env=sample["env"])))


def own_sbom(vigil, sample, fmt):
    r = vigil("sbom", "--format", fmt, sample["image"], env=sample["env"])
    assert r.rc == 0, r
    return json.loads(r.out)


def props(c):
    return {p["name"]: p["value"] for p in c.get("properties", [])}


def trivy_style(cdx):
    d = copy.deepcopy(cdx)
    for c in d["components"]:
        pr = props(c)
        c["properties"] = [p for p in c.get("properties", []) if not p["name"].startswith("vigil:")]
        if SRC in pr:
            ver = pr[SRCV]
            epoch, _, ver = ver.rpartition(":")
            upstream, _, release = ver.rpartition("-")
            c["properties"] += [{"name": "aquasecurity:trivy:SrcName", "value": pr[SRC]},
                                {"name": "aquasecurity:trivy:SrcVersion", "value": upstream},
                                {"name": "aquasecurity:trivy:SrcRelease", "value": release}]
            if epoch:
                c["properties"].append({"name": "aquasecurity:trivy:SrcEpoch", "value": epoch})
    return d


def syft_style(cdx):
    d = copy.deepcopy(cdx)
    for c in d["components"]:
        pr = props(c)
        c.pop("properties", None)
        if SRC in pr and "?" in c.get("purl", ""):
            up = urllib.parse.quote(f"{pr[SRC]}@{pr[SRCV]}", safe="")
            c["purl"] = c["purl"].replace("?", f"?upstream={up}&", 1)
    return d


def test_foreign_sboms_give_the_image_findings(vigil, sample, tmp_path):
    image = os_findings(doc_of(vigil("scan", "--offline", "--db", sample["db"], "--format",
                                     "json", "--scanners", "vuln", sample["image"],
                                     env=sample["env"])))
    assert any(f[0] == "CVE-2024-2961" and f[1] == "libc6" for f in image), image
    cdx = own_sbom(vigil, sample, "cyclonedx")
    assert rescan(vigil, sample, tmp_path, "own.cdx.json", cdx) == image
    assert rescan(vigil, sample, tmp_path, "trivy.cdx.json", trivy_style(cdx)) == image
    assert rescan(vigil, sample, tmp_path, "syft.cdx.json", syft_style(cdx)) == image
    spdx = own_sbom(vigil, sample, "spdx-json")
    assert rescan(vigil, sample, tmp_path, "own.spdx.json", spdx) == image
