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
    # The image-config checks are no longer a default scanner (issue 11): asked for here.
    doc = doc_of(scan(vigil, sample, "--image-config-scanners", "misconfig"))
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
    assert {"DS002", "DS004", "DS026"} <= ids  # formerly VG-CFG-001, -005, -006
    assert "DS001" not in ids  # an OCI layout tag is not a registry reference


def test_default_scanners_are_trivys(vigil, sample):
    """vuln + secret (+ model) by default; the image-config checks only when asked."""
    doc = doc_of(scan(vigil, sample))
    classes = {res["Class"] for res in doc["Results"]}
    assert {"os-pkgs", "lang-pkgs", "secret", "model"} <= classes, classes
    assert "config" not in classes
    # The root user (HIGH) no longer fails a HIGH gate by default ...
    r = scan(vigil, sample, "--severity", "HIGH", "--scanners", "secret", "--exit-code", "1")
    assert r.rc == 0, r
    for asked in (["--scanners", "secret,misconfig"], ["--scanners", "secret,config"],
                  ["--scanners", "secret", "--image-config-scanners", "misconfig"]):
        r = scan(vigil, sample, "--severity", "HIGH", "--exit-code", "1", *asked)
        assert r.rc == 1, (asked, r)  # ... but does when the checks are asked for
    doc = doc_of(scan(vigil, sample, "--image-config-scanners", "misconfig,secret"))
    classes = {res["Class"] for res in doc["Results"]}
    assert {"os-pkgs", "secret", "model", "config"} <= classes, classes
    assert scan(vigil, sample, "--image-config-scanners", "vuln").rc == 2


def test_config_ids_follow_trivy(vigil, sample, tmp_path):
    doc = doc_of(scan(vigil, sample, "--scanners", "misconfig"))
    mis = {m["ID"]: m for res in doc["Results"] for m in res.get("Misconfigurations", [])}
    root = mis["DS002"]
    assert root["AVDID"] == "AVD-DS-0002" and root["Severity"] == "HIGH"
    assert root["Type"] == "Dockerfile Security Check"
    assert root["Namespace"] == "builtin.dockerfile.DS002"
    assert root["PrimaryURL"] == "https://avd.aquasec.com/misconfig/ds002"
    assert mis["DS026"]["AVDID"] == "AVD-DS-0026"
    for m in mis.values():
        if not m["ID"].startswith("DS"):
            assert m["ID"].startswith("VG-CFG-") and m["AVDID"] == m["ID"], m
    # Ignore files name a check by its ID, its AVD ID or its former vigil ID.
    for entry in ("DS002", "AVD-DS-0002", "VG-CFG-001"):
        ig = tmp_path / "ignore"
        ig.write_text(entry + "\n")
        doc = doc_of(scan(vigil, sample, "--scanners", "misconfig", "--ignorefile", ig))
        left = {m["ID"] for res in doc["Results"] for m in res.get("Misconfigurations", [])}
        assert "DS002" not in left and "DS026" in left, (entry, left)


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


def _tolerate_unsortable_extras(jsonschema):
    """Debian's jsonschema 4.10 sorts the extra items when it words an additionalItems error,
    which raises TypeError for objects even inside an anyOf branch that is then discarded; the
    document may well be valid. Word such messages without sorting."""
    import jsonschema._utils as utils
    import jsonschema._validators as validators
    orig = utils.extras_msg
    if getattr(orig, "vigil_tolerant", False):
        return

    def extras_msg(extras):
        try:
            return orig(extras)
        except TypeError:
            extras = list(extras)
            return ", ".join(repr(e) for e in extras), "was" if len(extras) == 1 else "were"
    extras_msg.vigil_tolerant = True
    utils.extras_msg = extras_msg
    validators.extras_msg = extras_msg


def _validate(doc, schema_name):
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMAS.is_dir():
        pytest.skip("../shared/schemas is absent")
    _tolerate_unsortable_extras(jsonschema)
    schema = json.loads((SCHEMAS / schema_name).read_text())
    store = {}
    for f in SCHEMAS.glob("*.json"):
        s = json.loads(f.read_text())
        for key in (s.get("$id"), s.get("id"), f.name, "http://cyclonedx.org/schema/" + f.name):
            if key:
                store[key] = s
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    cls = jsonschema.validators.validator_for(schema)
    err = jsonschema.exceptions.best_match(cls(schema, resolver=resolver).iter_errors(doc))
    if err is not None:
        pytest.fail(f"{schema_name}: at {err.json_path}: {err.validator} failed: "
                    f"{err.message[:400]}")


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


def test_concurrent_scans_share_the_cache(vigil, sample, tmp_path):
    """Several scans racing on one cold cache directory: all succeed with identical results,
    and the cache holds complete entries only (atomic writes, no torn or temp files)."""
    from conftest import vigil_bin
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "c"))
    cmd = [vigil_bin(), "scan", "--offline", "-q", "--db", sample["db"], "--format", "json",
           sample["image"]]
    for _ in range(2):  # cold race, then warm race
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=env) for _ in range(4)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        docs = [json.loads(o) for o, _ in outs]
        assert all(d["Results"] == docs[0]["Results"] for d in docs)
    entries = list((tmp_path / "c" / "vigil" / "scan").iterdir())
    assert len(entries) == 1 and entries[0].suffix == ".json", entries
    json.loads(entries[0].read_text())


# ---------------------------------------------------------------- hostile images


def _tar_gz(files):
    """files: [(path, bytes)] → (plain tar, gzip)."""
    import gzip
    import io
    import tarfile
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for path, data in files:
            ti = tarfile.TarInfo(path)
            ti.mtime = 1700000000
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    plain = raw.getvalue()
    return plain, gzip.compress(plain, mtime=0)


def _layout(out, layers):
    """A one-platform OCI layout from [(plain tar, compressed blob)]; returns the reference."""
    import hashlib
    blobs = out / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data):
        h = hashlib.sha256(data).hexdigest()
        (blobs / h).write_bytes(data)
        return "sha256:" + h

    descs = [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(gz),
              "size": len(gz)} for _, gz in layers]
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"User": "1000"},
                      "rootfs": {"type": "layers", "diff_ids": [
                          "sha256:" + hashlib.sha256(p).hexdigest() for p, _ in layers]}}).encode()
    man = json.dumps({"schemaVersion": 2,
                      "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": put(cfg), "size": len(cfg)},
                      "layers": descs}).encode()
    md = put(man)
    (out / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
        "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "t"}}]}))
    (out / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return f"oci:{out}:t"


def _timed_scan(vigil_bin, ref, db, env, *args):
    """Runs a scan under /usr/bin/time; returns (rc, stdout, stderr, seconds, max RSS KB)."""
    import time
    if not Path("/usr/bin/time").exists():
        pytest.skip("/usr/bin/time is needed to measure peak RSS")
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "RSSKB=%M", vigil_bin, "scan", "--offline",
                        "-q", "--db", db, "--format", "json", *args, ref],
                       capture_output=True, text=True, env=env, timeout=300)
    secs = time.monotonic() - t0
    rss = int(p.stderr.strip().splitlines()[-1].split("=")[1])
    return p.returncode, p.stdout, p.stderr, secs, rss


DEEP_PICKLE = b"\x80\x02" + b"(" * 10000 + b")" + b"t" * 10000 + b"."
TRUNCATED_PICKLE = b"\x80\x02cos\nsys"            # cut inside GLOBAL's argument
SAFETENSORS_2_63 = (1 << 63).to_bytes(8, "little") + b'{"a":'


def test_hostile_model_files_are_findings_not_crashes(vigil, sample, tmp_path):
    from conftest import vigil_bin
    ref = _layout(tmp_path / "img", [_tar_gz([
        ("m/deep.pkl", DEEP_PICKLE),
        ("m/truncated.pkl", TRUNCATED_PICKLE),
        ("m/huge-header.safetensors", SAFETENSORS_2_63),
    ])])
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "c"))
    rc, out, err, secs, rss = _timed_scan(vigil_bin(), ref, sample["db"], env,
                                          "--scanners", "model")
    assert rc == 0, err
    found = {}
    for res in json.loads(out)["Results"]:
        for m in res.get("ModelFindings", []):
            found.setdefault(res["Target"], []).append(m)
    assert {"/m/deep.pkl", "/m/truncated.pkl", "/m/huge-header.safetensors"} <= set(found), found
    # Malformed/truncated stream, a resource limit hit, a header length beyond its bound.
    assert [m["ID"] for m in found["/m/truncated.pkl"]] == ["VG-MODEL-003"]
    assert "VG-MODEL-004" in {m["ID"] for m in found["/m/deep.pkl"]}
    st = found["/m/huge-header.safetensors"]
    assert any("9223372036854775808" in m["Message"] for m in st), st
    if "ASAN_OPTIONS" not in os.environ:  # sanitizer shadow memory is not our footprint
        assert secs < 20 and rss < 128 * 1024, (secs, rss)


def test_two_gigabyte_sparse_file_is_fast_and_bounded(vigil, sample, tmp_path):
    """A GNU sparse tar entry claiming 2 GiB: the walk skips it without expanding it, every
    scanner stays within its per-file limits, and the scan stays fast and small."""
    from conftest import vigil_bin
    import gzip
    import hashlib
    src = tmp_path / "src"
    (src / "data").mkdir(parents=True)
    (src / "data" / "config.py").write_text("AWS_KEY = 'AKIAQ7ZK3V5N2XW4M6PB'\n")
    for name in ("huge.bin", "huge.pkl", "huge.env"):
        with open(src / "data" / name, "wb") as f:
            f.truncate(2 << 30)
            f.seek((2 << 30) - 5)
            f.write(b"tail\n")
    plain = tmp_path / "l.tar"
    p = subprocess.run(["tar", "--sparse", "--format=gnu", "-cf", plain, "-C", src, "data"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"GNU tar with --sparse is needed: {p.stderr}")
    assert plain.stat().st_size < 1 << 20
    data = plain.read_bytes()
    # A real-sized checkpoint (beyond the 64 MiB whole-file bound): its head is still checked.
    big = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."
    big += bytes((80 << 20) - len(big))
    ref = _layout(tmp_path / "img", [(data, gzip.compress(data, mtime=0)),
                                     _tar_gz([("models/big.pkl", big)])])
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "c"))
    rc, out, err, secs, rss = _timed_scan(vigil_bin(), ref, sample["db"], env)
    assert rc == 0, err
    if "ASAN_OPTIONS" not in os.environ:  # sanitizer shadow memory is not our footprint
        assert secs < 30 and rss < 128 * 1024, (secs, rss)
    secrets = [s for res in json.loads(out)["Results"] for s in res.get("Secrets", [])]
    assert any(s["RuleID"] == "aws-access-key-id" for s in secrets), out
    models = {}
    for res in json.loads(out)["Results"]:
        for m in res.get("ModelFindings", []):
            models.setdefault(res["Target"], set()).add((m["ID"], m["Severity"]))
    assert ("VG-MODEL-001", "CRITICAL") in models.get("/models/big.pkl", set()), models
    assert ("VG-MODEL-005", "LOW") in models["/models/big.pkl"]  # said to be partial
    assert ("VG-MODEL-005", "LOW") in models.get("/data/huge.pkl", set()), models


def test_bad_default_vigilignore_names_its_line(vigil, sample, tmp_path):
    (tmp_path / ".vigilignore").write_text("CVE-2021-44906\n\nGHSA-x exp:31-12-2030\n")
    r = vigil("scan", "--offline", "--db", sample["db"], "--format", "json", sample["image"],
              env=sample["env"], cwd=tmp_path)
    assert r.rc == 6, r
    assert "line 3" in r.err and ".vigilignore" in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1, r.err


def test_layer_digest_mismatch_is_one_clear_error(vigil, sample, tmp_path):
    import shutil
    img = tmp_path / "img"
    shutil.copytree(sample["dir"] / "image", img)
    man = json.loads((img / "index.json").read_text())["manifests"][0]["digest"]
    layers = json.loads((img / "blobs" / "sha256" / man.split(":")[1]).read_text())["layers"]
    blob = img / "blobs" / "sha256" / layers[1]["digest"].split(":")[1]
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    r = vigil("scan", "--offline", "--no-cache", "--db", sample["db"], f"oci:{img}:demo",
              env=sample["env"])
    assert r.rc not in (0, 1, 2), r
    lines = [l for l in r.err.strip().splitlines() if l]
    assert len(lines) == 1, r.err
    assert layers[1]["digest"][:19] in lines[0] or "digest" in lines[0].lower(), lines[0]


# ---------------------------------------------------------------- per-layer cache


def _sample_layers(sample):
    """The sample image's layers as [(plain tar, gzip blob)], in manifest order."""
    import gzip
    root = sample["dir"] / "image"
    blobs = root / "blobs" / "sha256"
    idx = json.loads((root / "index.json").read_text())
    man = json.loads((blobs / idx["manifests"][0]["digest"].split(":")[1]).read_text())
    out = []
    for d in man["layers"]:
        gz = (blobs / d["digest"].split(":")[1]).read_bytes()
        out.append((gzip.decompress(gz), gz))
    return out


def _image_b(sample, out):
    """Image B: the sample's first two layers (debian, app) plus a new top layer that deletes
    lodash (a whiteout over a cached layer) and adds a secret. Returns (ref, shared blobs)."""
    import hashlib
    base = _sample_layers(sample)[:2]
    top = _tar_gz([("app/node_modules/.wh.lodash", b""),
                   ("srv/.env", b"AWS_ACCESS_KEY_ID=AKIAQ7ZK3V5N2XW4M6PB\n")])
    ref = _layout(out, base + [top])
    shared = [out / "blobs" / "sha256" / hashlib.sha256(gz).hexdigest() for _, gz in base]
    return ref, shared


def _scan_json(vigil, sample, ref, env, *args):
    r = vigil("scan", "--offline", "-q", "--db", sample["db"], "--format", "json", *args, ref,
              env=env)
    assert r.rc == 0, r
    return json.loads(r.out)["Results"]


def test_layer_cache_shared_base_layers_are_not_read(vigil, sample, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "c")}
    ref_b, shared = _image_b(sample, tmp_path / "b")
    want = _scan_json(vigil, sample, ref_b, env, "--no-cache")
    flat = json.dumps(want)
    # The whiteout in B's own layer removes lodash from the cached app layer; the rest stays.
    assert "lodash" not in flat and "minimist" in flat and "CVE-2023-5678" in flat
    assert "AKIA" in flat
    assert not (tmp_path / "c").exists()  # --no-cache writes nothing
    # Image A (the sample) populates the per-layer cache.
    _scan_json(vigil, sample, sample["image"], env)
    assert len(list((tmp_path / "c" / "vigil" / "layers").glob("*.json"))) == 3
    # B's shared base layers become unreadable: a cold scan fails on them ...
    for p in shared:
        p.write_bytes(b"corrupt" * 100)
    r = vigil("scan", "--offline", "-q", "--no-cache", "--db", sample["db"], ref_b, env=env)
    assert r.rc != 0, r
    # ... and a scan with the cache never reads them, with the findings of a cold scan.
    assert _scan_json(vigil, sample, ref_b, env) == want
    assert len(list((tmp_path / "c" / "vigil" / "layers").glob("*.json"))) == 4


def test_layer_cache_corrupt_entries_are_ignored(vigil, sample, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "c")}
    want = _scan_json(vigil, sample, sample["image"], env, "--no-cache")
    _scan_json(vigil, sample, sample["image"], env)
    shutil_dir = tmp_path / "c" / "vigil"
    for p in (shutil_dir / "scan").glob("*.json"):
        p.unlink()  # force the per-layer path
    entries = sorted((shutil_dir / "layers").glob("*.json"))
    assert len(entries) == 3
    entries[0].write_text("{not json")
    doc = json.loads(entries[1].read_text())
    doc["listing"] = "AAAA"  # NUL bytes: not a valid listing
    entries[1].write_text(json.dumps(doc))
    doc = json.loads(entries[2].read_text())
    doc["vigil"] = "0.0.0-foreign"
    entries[2].write_text(json.dumps(doc))
    assert _scan_json(vigil, sample, sample["image"], env) == want
    for p in entries:  # rewritten whole
        assert json.loads(p.read_text())["vigil"] != "0.0.0-foreign"


def test_layer_cache_concurrent_scans_of_images_sharing_layers(vigil, sample, tmp_path):
    from conftest import vigil_bin
    ref_b, _ = _image_b(sample, tmp_path / "b")
    env0 = {"XDG_CACHE_HOME": str(tmp_path / "nc")}
    want = {ref: _scan_json(vigil, sample, ref, env0, "--no-cache")
            for ref in (sample["image"], ref_b)}
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "c"))
    for _ in range(2):  # cold race, then warm race
        refs = [sample["image"], ref_b] * 2
        procs = [subprocess.Popen([vigil_bin(), "scan", "--offline", "-q", "--db", sample["db"],
                                   "--format", "json", ref], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env) for ref in refs]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        for ref, (o, _) in zip(refs, outs):
            assert json.loads(o)["Results"] == want[ref]
        for p in (tmp_path / "c" / "vigil" / "scan").glob("*.json"):
            p.unlink()  # the second round goes through the per-layer entries
    layers = list((tmp_path / "c" / "vigil" / "layers").iterdir())
    assert len(layers) == 4 and all(p.suffix == ".json" for p in layers), layers
    for p in layers:
        json.loads(p.read_text())


def test_trivyignore_read_by_default_beside_vigilignore(vigil, sample, tmp_path):
    def gate(cwd, *extra):
        return vigil("scan", "--offline", "--db", sample["db"], "--format", "json",
                     "--scanners", "vuln", "--severity", "CRITICAL,HIGH", "--exit-code", "1", *extra,
                     sample["image"], env=sample["env"], cwd=cwd)
    crit = sorted(vulns(doc_of(scan(vigil, sample, "--scanners", "vuln", "--severity",
                                    "CRITICAL,HIGH"))))
    assert len(crit) >= 2, crit
    assert gate(tmp_path).rc == 1
    # Half the ids in .trivyignore, the rest in .vigilignore: both files count.
    (tmp_path / ".trivyignore").write_text("\n".join(crit[::2]) + "\n")
    r = gate(tmp_path)
    assert r.rc == 1, r
    assert not set(crit[::2]) & set(vulns(json.loads(r.out)))
    (tmp_path / ".vigilignore").write_text("\n".join(crit[1::2]) + "\n")
    assert gate(tmp_path).rc == 0
    # An explicit --ignorefile replaces the defaults.
    other = tmp_path / "other"
    other.write_text("# nothing\n")
    assert gate(tmp_path, "--ignorefile", other).rc == 1
    # A broken default file is an error naming it, not silently skipped.
    (tmp_path / ".trivyignore").write_text("CVE-1 exp:soon\n")
    r = gate(tmp_path)
    assert r.rc not in (0, 1) and ".trivyignore" in r.err and "line 1" in r.err, r


def test_trivyignore_yaml_scopes_by_kind_purl_and_path(vigil, sample, tmp_path):
    (tmp_path / ".trivyignore.yaml").write_text(
        "vulnerabilities:\n"
        "  - id: CVE-2020-8203\n"
        "    purls: [\"pkg:npm/lodash\"]\n"
        "    statement: not reachable from our code\n"
        "  - id: CVE-2018-18074\n"
        "    paths: [\"**/site-packages/**\"]\n"
        "  - id: CVE-2021-44906\n"
        "    purls: [\"pkg:npm/lodash\"]\n"          # minimist's finding: another package
        "  - id: CVE-2020-28500\n"
        "    paths: [\"opt/**\"]\n"                  # lodash is under app/: stays
        "secrets:\n"
        "  - id: aws-access-key-id\n"
        "    paths: [\"app/config/*\"]\n"
        "  - id: CVE-2021-23337\n")                  # a secrets entry never hides a vulnerability
    r = vigil("scan", "--offline", "--db", sample["db"], "--format", "json", "--scanners",
              "vuln,secret", sample["image"], env=sample["env"], cwd=tmp_path)
    doc = doc_of(r)
    left = vulns(doc)
    assert {"CVE-2021-44906", "CVE-2020-28500", "CVE-2021-23337"} <= set(left), sorted(left)
    assert not {"CVE-2020-8203", "CVE-2018-18074"} & set(left), sorted(left)
    mods = {m["Finding"].get("VulnerabilityID") or m["Finding"].get("RuleID"): m
            for res in doc["Results"] for m in res.get("ModifiedFindings", [])}
    assert mods["CVE-2020-8203"]["Statement"] == "not reachable from our code"
    assert mods["CVE-2020-8203"]["Status"] == "ignored"
    assert "CVE-2018-18074" in mods and "aws-access-key-id" in mods, sorted(mods)
    secrets = [s["RuleID"] for res in doc["Results"] for s in res.get("Secrets", [])]
    assert "aws-secret-access-key" in secrets and "aws-access-key-id" not in secrets
    # A typo is an error naming the file and line, never a silently different filter.
    (tmp_path / ".trivyignore.yaml").write_text("vulnerabilities:\n  - id: CVE-1\n    path: [a]\n")
    r = vigil("scan", "--offline", "--db", sample["db"], "--format", "json", sample["image"],
              env=sample["env"], cwd=tmp_path)
    assert r.rc not in (0, 1) and ".trivyignore.yaml:3:5: unknown key 'path'" in r.err, r
    # --ignorefile FILE.yaml reads Trivy's YAML format, and only that file.
    other = tmp_path / "team.yaml"
    other.write_text("vulnerabilities:\n  - id: CVE-2021-44906\n")
    r = vigil("scan", "--offline", "--db", sample["db"], "--format", "json", "--scanners", "vuln",
              "--ignorefile", other, sample["image"], env=sample["env"], cwd=tmp_path)
    left = vulns(doc_of(r))
    assert "CVE-2021-44906" not in left and "CVE-2020-8203" in left


def test_json_validates_against_trivy_schema(vigil, sample, tmp_path):
    import copy
    import jsonschema
    schema = json.loads((ROOT / "tests" / "data" / "trivy-report.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    (tmp_path / ".vigilignore").write_text("CVE-2020-7598\naws-secret-access-key\nDS026\n")
    r = vigil("scan", "--offline", "--db", sample["db"], "--format", "json", "--list-all-pkgs",
              "--scanners", "vuln,secret,misconfig", sample["image"], env=sample["env"],
              cwd=tmp_path)
    doc = doc_of(r)
    # vigil's one documented addition outside Trivy's types: model-file results.
    trivy_view = copy.deepcopy(doc)
    trivy_view["Results"] = [x for x in trivy_view["Results"] if x["Class"] != "model"]
    errors = sorted(validator.iter_errors(trivy_view), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    classes = {x["Class"] for x in trivy_view["Results"]}
    assert {"os-pkgs", "lang-pkgs", "secret", "config"} <= classes, classes
    mods = [m["Type"] for x in trivy_view["Results"] for m in x.get("ModifiedFindings", [])]
    assert {"vulnerability", "secret", "misconfiguration"} <= set(mods), mods
    # The schema is not vacuous: a wrong enum value or a missing required field fails it.
    bad = copy.deepcopy(trivy_view)
    next(x for x in bad["Results"] if x.get("Vulnerabilities"))["Vulnerabilities"][0][
        "Severity"] = "SEVERE"
    assert not validator.is_valid(bad)
    bad = copy.deepcopy(trivy_view)
    del next(x for x in bad["Results"] if x.get("Secrets"))["Secrets"][0]["RuleID"]
    assert not validator.is_valid(bad)

    # DataSource names the real upstream of the matched advisory.
    v = vulns(doc)
    assert v["CVE-2023-5678"][0]["DataSource"] == {
        "ID": "debian", "Name": "Debian Security Tracker",
        "URL": "https://salsa.debian.org/security-tracker-team/security-tracker"}
    assert v["CVE-2020-8203"][0]["DataSource"]["ID"] == "ghsa"
    assert v["CVE-2020-8203"][0]["DataSource"]["Name"] == "GitHub Security Advisory npm"
    assert v["CVE-2018-18074"][0]["DataSource"]["Name"] in (
        "GitHub Security Advisory pip", "Python Packaging Advisory Database")
    # PkgIdentifier: one UID per package, the same in Vulnerabilities and Packages.
    pkgs = {p["Identifier"]["PURL"]: p for x in doc["Results"] for p in x.get("Packages", [])}
    uids = [p["Identifier"]["UID"] for p in pkgs.values()]
    assert len(set(uids)) == len(uids) == len(pkgs) >= 8
    for findings in v.values():
        for f in findings:
            assert f["PkgIdentifier"]["UID"] == pkgs[f["PkgIdentifier"]["PURL"]]["Identifier"]["UID"]
            assert f["Status"] in ("fixed", "affected", "will_not_fix")
    libc = pkgs[v["CVE-2024-2961"][0]["PkgIdentifier"]["PURL"]]
    assert libc["Name"] == "libc6" and libc["SrcName"] == "glibc" and libc["Arch"] == "amd64"
    # Without --list-all-pkgs there is no Packages array, as Trivy.
    plain = doc_of(scan(vigil, sample, "--scanners", "vuln"))
    assert not any("Packages" in x for x in plain["Results"])


def test_skip_dirs_and_files_accept_globs(vigil, sample):
    def found(*extra):
        doc = doc_of(scan(vigil, sample, "--no-cache", "--scanners", "vuln,secret", *extra))
        return set(vulns(doc)), {s["RuleID"] for x in doc["Results"] for s in x.get("Secrets", [])}
    v, s = found()
    assert "CVE-2020-8203" in v and "CVE-2018-18074" in v and "aws-access-key-id" in s
    v, s = found("--skip-dirs", "**/node_modules")
    assert "CVE-2020-8203" not in v and "CVE-2021-44906" not in v, v
    assert "CVE-2018-18074" in v and "aws-access-key-id" in s
    v, _ = found("--skip-dirs", "usr/lib/*/site-packages")
    assert "CVE-2018-18074" not in v and "CVE-2020-8203" in v, v
    _, s = found("--skip-files", "/app/config/cred*")
    assert "aws-access-key-id" not in s, s
    v, _ = found("--skip-files", "**/lodash/package.json")
    assert "CVE-2020-8203" not in v and "CVE-2021-44906" in v, v
    # Plain paths keep working as before.
    v, _ = found("--skip-dirs", "/app/node_modules/")
    assert "CVE-2020-8203" not in v and "CVE-2018-18074" in v, v


def test_table_sorted_by_severity_without_trailing_spaces(vigil, sample):
    out = scan(vigil, sample, "--scanners", "vuln,secret", fmt="table").out
    assert out and not [l for l in out.splitlines() if l.endswith(" ")], out
    node = out.split("Node.js")[1].split("\n\n")[1].splitlines()[1:]
    sevs = [l.split()[2] for l in node]
    order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
    assert sevs == sorted(sevs, key=order.index) and sevs[0] == "CRITICAL", node


def test_no_color_env_turns_colours_off_on_a_terminal(vigil, sample):
    import pty
    import select

    def on_tty(extra_env):
        master, slave = pty.openpty()
        env = dict(os.environ, **sample["env"], **extra_env)
        p = subprocess.Popen([os.environ["VIGIL_BIN"], "scan", "--offline", "--db", sample["db"],
                              "--scanners", "vuln", sample["image"]], stdout=slave,
                             stderr=subprocess.DEVNULL, env=env)
        os.close(slave)
        data = b""
        while True:
            r, _, _ = select.select([master], [], [], 60)
            if not r:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        p.wait(timeout=60)
        os.close(master)
        return data.decode()
    assert "\x1b[" in on_tty({})
    colourless = on_tty({"NO_COLOR": "1"})
    assert "CRITICAL" in colourless and "\x1b[" not in colourless
