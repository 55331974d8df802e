# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of `vigil sbom`: a small Debian-like OCI layout is built on the fly (two
layers: dpkg packages, an OS-owned Python package, a pip-installed one, node_modules, and a
whiteout that deletes a package installed in the first layer), then the three output formats
are checked for content, and CycloneDX / SPDX are validated against the official JSON schemas
from ../shared/schemas (skipped when ../shared or python3-jsonschema is absent). A second
layout holds Java archives (a Spring Boot fat jar, a war, a manifest-only jar, a jar bomb) and
Node apps with and without node_modules next to their lock files."""
import gzip
import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

DPKG_STATUS_1 = """Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4

Package: python3-requests
Status: install ok installed
Architecture: all
Source: requests
Version: 2.28.1+dfsg-1

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
"""

DPKG_STATUS_2 = DPKG_STATUS_1 + """
Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.15-1~deb12u1
"""

REQ_PKGINFO = "Metadata-Version: 1.1\nName: requests\nVersion: 2.28.1\nLicense: Apache 2.0\n\n"
FLASK_META = "Metadata-Version: 2.1\nName: Flask_Login\nVersion: 0.6.3\nLicense: MIT\n\n"
OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
REQ_DIR = "usr/lib/python3/dist-packages/requests-2.28.1.egg-info"


def _tar(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def _blob(root, data):
    d = hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (root / "blobs" / "sha256" / d).write_bytes(data)
    return "sha256:" + d


def build_layout(root: Path):
    b = lambda s: s.encode()
    layers = [
        {
            "etc/os-release": b(OS_RELEASE),
            "etc/debian_version": b("12.8\n"),
            "var/lib/dpkg/status": b(DPKG_STATUS_1),
            "var/lib/dpkg/info/python3-requests.list": b(f"/.\n/{REQ_DIR}\n/{REQ_DIR}/PKG-INFO\n"),
            "usr/share/doc/libc6/copyright": b("Format: https://www.debian.org/doc/packaging-"
                                               "manuals/copyright-format/1.0/\n\nFiles: *\n"
                                               "License: LGPL-2.1+\n\nFiles: x\n"
                                               "License: GPL-2+ or Expat\n"),
            "usr/share/doc/openssl/copyright": b("See /usr/share/common-licenses/Apache-2.0\n"),
            f"{REQ_DIR}/PKG-INFO": b(REQ_PKGINFO),
            "app/node_modules/@scope/left/package.json": b('{"name":"@scope/left","version":"1.0.0","license":"ISC"}'),
            "app/node_modules/gone/package.json": b('{"name":"gone","version":"9.9.9"}'),
        },
        {
            "var/lib/dpkg/status": b(DPKG_STATUS_2),
            "usr/local/lib/python3.11/site-packages/Flask_Login-0.6.3.dist-info/METADATA": b(FLASK_META),
            "app/node_modules/.wh.gone": b(""),
            "app/node_modules/broken/package.json": b("{not json"),
        },
    ]
    return _write_layout(root, layers)


def _write_layout(root: Path, layers):
    descs, diff_ids = [], []
    for files in layers:
        raw = _tar(files)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        gz = gzip.compress(raw, mtime=0)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": _blob(root, gz), "size": len(gz)})
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": diff_ids},
                         "config": {}}).encode()
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": _blob(root, config), "size": len(config)},
                           "layers": descs}).encode()
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": _blob(root, manifest), "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}
    (root / "index.json").write_text(json.dumps(index))
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return descs, diff_ids


@pytest.fixture
def layout(tmp_path):
    root = tmp_path / "layout"
    root.mkdir()
    descs, diff_ids = build_layout(root)
    return root, descs, diff_ids


def _sbom(vigil, root, fmt):
    r = vigil("sbom", "--format", fmt, f"oci:{root}:v1")
    assert r.rc == 0, r
    return json.loads(r.out), r


def test_vigil_json_inventory(vigil, layout):
    root, descs, diff_ids = layout
    doc, r = _sbom(vigil, root, "json")
    assert doc["os"]["family"] == "debian" and doc["os"]["version"] == "12"
    assert doc["os"]["ecosystem"] == "Debian:12"
    pk = {(p["kind"], p["name"]): p for p in doc["packages"]}
    # deinstalled dpkg entry and the whited-out node package are gone
    assert ("dpkg", "oldpkg") not in pk and ("node", "gone") not in pk
    # the OS-owned Python package is reported once, as the dpkg package
    assert ("python", "requests") not in pk and ("dpkg", "python3-requests") in pk
    libc = pk[("dpkg", "libc6")]
    assert libc["purl"] == "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
    assert libc["src_name"] == "glibc" and libc["ecosystem"] == "Debian:12"
    assert libc["licenses"] == ["LGPL-2.1-or-later", "GPL-2.0-or-later", "MIT"]
    assert pk[("dpkg", "openssl")]["licenses"] == ["Apache-2.0"]
    # libc6 was installed in layer 0 even though layer 1 rewrote the status file
    assert libc["layer"]["index"] == 0 and libc["layer"]["digest"] == descs[0]["digest"]
    assert libc["layer"]["diff_id"] == diff_ids[0]
    ssl = pk[("dpkg", "openssl")]
    assert ssl["layer"]["index"] == 1 and ssl["path"] == "var/lib/dpkg/status"
    flask = pk[("python", "flask-login")]
    assert flask["purl"] == "pkg:pypi/flask-login@0.6.3" and flask["ecosystem"] == "PyPI"
    left = pk[("node", "@scope/left")]
    assert left["purl"] == "pkg:npm/%40scope/left@1.0.0" and left["licenses"] == ["ISC"]
    # the corrupt package.json is skipped with a warning naming it
    assert doc["warnings"] == 1
    assert "app/node_modules/broken/package.json" in r.err


def test_cyclonedx_content(vigil, layout):
    root, descs, _ = layout
    doc, _ = _sbom(vigil, root, "cyclonedx")
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.5"
    assert doc["metadata"]["component"]["type"] == "container"
    comps = doc["components"]
    assert any(c["type"] == "operating-system" and c["name"] == "debian" for c in comps)
    libc = next(c for c in comps if c.get("name") == "libc6")
    props = {p["name"]: p["value"] for p in libc["properties"]}
    assert props["vigil:layer:digest"] == descs[0]["digest"]
    refs = [c["bom-ref"] for c in comps]
    assert len(refs) == len(set(refs))


def test_spdx_content(vigil, layout):
    root, _, _ = layout
    doc, _ = _sbom(vigil, root, "spdx-json")
    assert doc["spdxVersion"] == "SPDX-2.3"
    names = {p["name"] for p in doc["packages"]}
    assert {"libc6", "openssl", "flask-login", "@scope/left"} <= names
    ids = [p["SPDXID"] for p in doc["packages"]]
    assert len(ids) == len(set(ids))


def test_output_file_and_usage(vigil, layout, tmp_path):
    root, _, _ = layout
    out = tmp_path / "bom.json"
    r = vigil("sbom", "--output", out, f"oci:{root}:v1")
    assert r.rc == 0 and r.out == "" and json.loads(out.read_text())["bomFormat"] == "CycloneDX"
    assert vigil("sbom", "--format", "xml", f"oci:{root}").rc == 2
    assert vigil("sbom").rc == 2
    h = vigil("sbom", "--help")
    assert h.rc == 0 and "Examples" in h.out


def test_missing_image(vigil, tmp_path):
    r = vigil("sbom", f"oci:{tmp_path}/nope")
    assert r.rc in (3, 4), r


def _validator(shared_dir, name):
    jsonschema = pytest.importorskip("jsonschema")
    # jsonschema 4.10 (Debian 12) formats messages of non-matching oneOf branches eagerly and
    # sorts the extra items, which fails for objects (several licenses of one component).
    utils = pytest.importorskip("jsonschema._utils")
    if hasattr(utils, "extras_msg"):
        def extras_msg(extras):
            return ", ".join(repr(e) for e in extras), "was" if len(extras) == 1 else "were"
        utils.extras_msg = extras_msg
        for mod in ("_validators", "_legacy_validators"):
            m = getattr(jsonschema, mod, None)
            if m is not None and hasattr(m, "extras_msg"):
                m.extras_msg = extras_msg
    sdir = shared_dir / "schemas"
    schema = json.loads((sdir / name).read_text())
    store = {}
    for f, alias in (("cyclonedx-spdx.schema.json", "spdx.schema.json"),
                     ("cyclonedx-jsf-0.82.schema.json", "jsf-0.82.schema.json")):
        s = json.loads((sdir / f).read_text())
        store[alias] = s
        if "$id" in s:
            store[s["$id"]] = s
    base = schema.get("$id", "")
    for alias in list(store):
        if base:
            store[base.rsplit("/", 1)[0] + "/" + alias] = store[alias]
    resolver = jsonschema.RefResolver(base_uri=base, referrer=schema, store=store)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, resolver=resolver, format_checker=jsonschema.FormatChecker())


def test_cyclonedx_validates(vigil, layout, shared_dir):
    root, _, _ = layout
    doc, _ = _sbom(vigil, root, "cyclonedx")
    v = _validator(shared_dir, "cyclonedx-bom-1.5.schema.json")
    errors = [e.message for e in v.iter_errors(doc)]
    assert not errors, errors[:5]


def test_spdx_validates(vigil, layout, shared_dir):
    root, _, _ = layout
    doc, _ = _sbom(vigil, root, "spdx-json")
    v = _validator(shared_dir, "spdx-2.3.schema.json")
    errors = [e.message for e in v.iter_errors(doc)]
    assert not errors, errors[:5]


def _zip(entries, stored=False):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def _pom(g, a, v):
    return (f"META-INF/maven/{g}/{a}/pom.properties",
            f"#Generated by Maven\ngroupId={g}\nartifactId={a}\nversion={v}\n")


PKG_LOCK = json.dumps({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": {
    "": {"name": "app", "version": "1.0.0"},
    "node_modules/lodash": {"version": "4.17.21"},
    "node_modules/devonly": {"version": "2.0.0", "dev": True}}})


def build_java_node_layout(root: Path):
    b = lambda s: s.encode()
    deep = _zip([_pom("org.deep", "deep", "0.1")])
    dep_a = _zip([_pom("org.a", "dep-a", "2.0"), ("lib/deep-0.1.jar", deep)])
    dep_b = _zip([("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n"
                   "Bundle-SymbolicName: org.b.dep-b\r\nBundle-Name: dep-b\r\n"
                   "Bundle-Version: 3.1.0\r\n\r\n")])
    # Spring Boot keeps nested jars stored so that they can be loaded in place.
    fat = _zip([("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMain-Class: x\r\n\r\n"),
                _pom("com.acme", "app", "1.0"),
                ("BOOT-INF/lib/dep-a-2.0.jar", dep_a),
                ("BOOT-INF/lib/dep-b-3.1.0.jar", dep_b)], stored=True)
    war = _zip([_pom("com.example", "web-app", "1.0-SNAPSHOT"),
                ("WEB-INF/lib/commons-lang3-3.12.0.jar", _zip([("a/B.class", "x")]))])
    # Members declaring 4 GiB each: refused before anything is inflated.
    bomb = bytearray(_zip([_pom("org.bomb", "bomb", "1"), ("lib/huge.jar", "0" * 4096)]))
    i = bomb.rfind(b"lib/huge.jar", 0, bomb.find(b"PK\x01\x02"))
    bomb[i - 8:i - 4] = b"\xff\xff\xff\x7f"
    j = bomb.find(b"lib/huge.jar", bomb.find(b"PK\x01\x02"))
    bomb[j - 22:j - 18] = b"\xff\xff\xff\x7f"
    layers = [{
        "etc/os-release": b(OS_RELEASE),
        "srv/app/app-1.0.jar": fat,
        "srv/tomcat/webapps/ROOT.war": war,
        "opt/corrupt/broken-1.0.jar": b("PK\x03\x04 not really a zip"),
        "opt/bomb/bomb-1.jar": bytes(bomb),
        "usr/lib/python3/dist-packages/legacy-0.3-py3.11.egg": _zip(
            [("EGG-INFO/PKG-INFO", "Metadata-Version: 1.1\nName: legacy\nVersion: 0.3\n\n")]),
        # an installed app: node_modules is the truth, its lock is not reported again
        "web/package-lock.json": b(PKG_LOCK),
        "web/node_modules/lodash/package.json": b('{"name":"lodash","version":"4.17.21"}'),
        # an app that was never installed: only its lock speaks
        "src/package-lock.json": b(PKG_LOCK),
    }]
    return _write_layout(root, layers)


@pytest.fixture
def java_layout(tmp_path):
    root = tmp_path / "java"
    root.mkdir()
    build_java_node_layout(root)
    return root


def test_java_archives(vigil, java_layout):
    doc, r = _sbom(vigil, java_layout, "json")
    jars = {(p["name"], p["version"]): p for p in doc["packages"] if p["kind"] == "jar"}
    assert set(jars) == {
        ("com.acme:app", "1.0"), ("org.a:dep-a", "2.0"), ("org.deep:deep", "0.1"),
        ("org.b:dep-b", "3.1.0"), ("com.example:web-app", "1.0-SNAPSHOT"),
        ("commons-lang3", "3.12.0"), ("org.bomb:bomb", "1")}, sorted(jars)
    deep = jars[("org.deep:deep", "0.1")]
    assert deep["path"] == "srv/app/app-1.0.jar/BOOT-INF/lib/dep-a-2.0.jar/lib/deep-0.1.jar"
    assert deep["purl"] == "pkg:maven/org.deep/deep@0.1" and deep["ecosystem"] == "Maven"
    egg = [p for p in doc["packages"] if p["kind"] == "python"]
    assert [(p["name"], p["version"]) for p in egg] == [("legacy", "0.3")]
    # the corrupt jar is skipped with a warning naming it; the bomb's member too
    assert doc["warnings"] == 1
    assert "opt/corrupt/broken-1.0.jar" in r.err
    assert "lib/huge.jar" in r.err and "limit" in r.err


def test_node_lock_not_duplicated(vigil, java_layout):
    doc, _ = _sbom(vigil, java_layout, "json")
    node = sorted((p["name"], p["version"], p["path"]) for p in doc["packages"]
                  if p["kind"] == "node")
    web = [n for n in node if n[2].startswith("web/")]
    assert web == [("lodash", "4.17.21", "web/node_modules/lodash/package.json")]
    src = {(n, v) for n, v, p in node if p == "src/package-lock.json"}
    assert ("lodash", "4.17.21") in src
