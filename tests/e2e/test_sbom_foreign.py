# SPDX-License-Identifier: Apache-2.0
"""`vigil scan --sbom` on SBOMs in the shapes Trivy and Syft write: the OS findings must equal
those of scanning the image itself. Debian advisories are keyed by source package (libc6 is
built from glibc), so this fails when the source name is not read from the tool's fields."""
import copy
import json
import urllib.parse
from xml.sax.saxutils import escape, quoteattr

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


def cdx_xml(cdx):
    """The CycloneDX JSON document rendered in the 1.5 XML schema."""
    def comp(c):
        out = [f"<component type={quoteattr(c.get('type', 'library'))}>"]
        for k in ("name", "version", "purl"):
            if c.get(k):
                out.append(f"<{k}>{escape(c[k])}</{k}>")
        if c.get("properties"):
            out.append("<properties>" + "".join(
                f"<property name={quoteattr(p['name'])}>{escape(p['value'])}</property>"
                for p in c["properties"]) + "</properties>")
        if c.get("components"):
            out.append("<components>" + "".join(comp(x) for x in c["components"]) +
                       "</components>")
        return "".join(out) + "</component>"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1"><components>' +
            "".join(comp(c) for c in cdx["components"]) + "</components></bom>\n")


def spdx_tv(spdx):
    """The SPDX JSON document as tag-value, with Trivy's sourceInfo wording."""
    lines = ["SPDXVersion: SPDX-2.3", "DataLicense: CC0-1.0", "SPDXID: SPDXRef-DOCUMENT",
             "DocumentComment: <text>converted", "PackageName: not-a-package</text>"]
    for p in spdx["packages"]:
        lines += ["", f"##### Package: {p['name']}", f"PackageName: {p['name']}",
                  f"SPDXID: {p['SPDXID']}"]
        if p.get("versionInfo"):
            lines.append(f"PackageVersion: {p['versionInfo']}")
        if p.get("sourceInfo"):
            lines.append(f"PackageSourceInfo: {p['sourceInfo']}")
        if p.get("primaryPackagePurpose"):
            lines.append(f"PrimaryPackagePurpose: {p['primaryPackagePurpose'].replace('_', '-')}")
        for r in p.get("externalRefs", []):
            lines.append(f"ExternalRef: {r['referenceCategory']} {r['referenceType']} "
                         f"{r['referenceLocator']}")
    return "\n".join(lines) + "\n"


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
    assert rescan(vigil, sample, tmp_path, "trivy.cdx.xml", cdx_xml(trivy_style(cdx))) == image
    assert rescan(vigil, sample, tmp_path, "syft.cdx.xml", cdx_xml(syft_style(cdx))) == image
    assert rescan(vigil, sample, tmp_path, "own.spdx", spdx_tv(spdx)) == image
