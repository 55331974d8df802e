# SPDX-License-Identifier: Apache-2.0
"""`vigil fs DIR` and `vigil rootfs DIR` end to end.

fs: the fixture tree tests/data/fs/tree (one lock file or manifest of every supported kind, a
node_modules copy and a .git directory that must not count, a planted fake secret) gives one
result per lock file as Trivy's fs reports them (Target = the file, Class lang-pkgs, Type npm,
yarn, pip, ...), with the packages each lock pins and the vulnerabilities the database built
from ../shared/vulndata knows for them; same flags, formats and exit codes as `scan`. Hostile
trees (symlink loops, links out of the tree, a binary lock file, a lock file over the package
bound, nesting deeper than the walker's bound) give notes, never a crash or a hang.

rootfs: the debootstrap Debian tree that scripts/debian-image.sh builds (and caches) must give
the same packages and vulnerabilities as `vigil scan` of the image made of that tree.

Agreement with the real Trivy (skipped when absent, see trivy_peer.py): `trivy fs` and
`trivy rootfs` CycloneDX package sets against vigil's on the same trees.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import ROOT, run_vigil
from trivy_peer import trivy_bin

TREE = ROOT / "tests" / "data" / "fs" / "tree"
FAKE_AWS_ID = "AKIAQ7ZK3V5N2XW4M6PB"  # pattern-valid, never issued

# Target -> (Type, {name@version}) of the fixture tree.
EXPECTED = {
    "node/package-lock.json": ("npm", {"lodash@4.17.15", "minimist@1.2.0"}),
    "node-v1/package-lock.json": ("npm", {"axios@0.21.0", "follow-redirects@1.13.0"}),
    "yarn-classic/yarn.lock": ("yarn", {"jsonwebtoken@8.5.1", "ms@2.1.3"}),
    "yarn-berry/yarn.lock": ("yarn", {"express@4.17.1"}),
    "pnpm/pnpm-lock.yaml": ("pnpm", {"node-fetch@2.6.0"}),
    "python/requirements.txt": ("pip", {"requests@2.19.1", "urllib3@1.24.1", "Jinja2@2.10",
                                        "PyYAML@5.3.1"}),
    "pipenv/Pipfile.lock": ("pipenv", {"django@2.2.0", "sqlparse@0.4.1"}),
    "poetry/poetry.lock": ("poetry", {"pillow@8.1.0", "cryptography@3.3.1", "cffi@1.15.1"}),
    "uv/uv.lock": ("uv", {"aiohttp@3.8.1"}),
    "go/go.mod": ("gomod", {"github.com/gin-gonic/gin@v1.6.0", "golang.org/x/text@v0.3.5",
                            "github.com/dgrijalva/jwt-go@v3.2.0+incompatible"}),
    "rust/Cargo.lock": ("cargo", {"fsdemo@0.1.0", "smallvec@1.6.0"}),
    "ruby/Gemfile.lock": ("bundler", {"nokogiri@1.10.8", "racc@1.4.16", "rack@2.0.7"}),
    "php/composer.lock": ("composer", {"guzzlehttp/guzzle@7.4.0"}),
    "java/pom.xml": ("pom", {"com.example:fsdemo@1.0.0", "org.apache.logging.log4j:log4j-core@2.14.1",
                             "com.fasterxml.jackson.core:jackson-databind@2.9.10"}),
    "gradle/gradle.lockfile": ("gradle", {"com.google.guava:guava@29.0-jre",
                                          "org.yaml:snakeyaml@1.26"}),
    "dotnet/packages.lock.json": ("nuget", {"Newtonsoft.Json@12.0.1"}),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory, shared_dir):
    vulndata = shared_dir / "vulndata"
    if not (vulndata / "osv" / "npm" / "all.zip").exists():
        pytest.skip("../shared/vulndata is absent")
    path = tmp_path_factory.mktemp("fsdb") / "vulndb.sqlite"
    r = run_vigil("db", "build", "--from", vulndata, "--db", path, timeout=900)
    assert r.rc == 0, r
    return path


@pytest.fixture
def tree(tmp_path):
    t = tmp_path / "tree"
    shutil.copytree(TREE, t, symlinks=True)
    # A planted fake secret (written here, never committed), and one under .git, which is never
    # walked; node_modules is no lock file (installed copies are rootfs's).
    (t / "app").mkdir()
    (t / "app" / ".env").write_text(f"NODE_ENV=production\nAWS_ACCESS_KEY_ID={FAKE_AWS_ID}\n")
    (t / ".git").mkdir(exist_ok=True)
    (t / ".git" / "credentials").write_text(f"aws_access_key_id = {FAKE_AWS_ID}\n")
    return t


def fs(db, *args, cmd="fs"):
    return run_vigil(cmd, "--offline", "--db", db, *map(str, args), timeout=600)


def doc_of(r):
    assert r.rc == 0, r
    return json.loads(r.out)


def test_one_result_per_lock_file_with_its_packages(db, tree):
    d = doc_of(fs(db, "--quiet", "--format", "json", "--list-all-pkgs", tree))
    assert d["ArtifactType"] == "filesystem" and d["ArtifactName"] == str(tree)
    lang = {r["Target"]: r for r in d["Results"] if r["Class"] == "lang-pkgs"}
    assert set(lang) == set(EXPECTED), sorted(lang)
    for target, (typ, pkgs) in EXPECTED.items():
        r = lang[target]
        assert r["Type"] == typ, target
        got = {f"{p['Name']}@{p['Version']}" for p in r.get("Packages", [])}
        assert got == pkgs, (target, got)
    assert not [r for r in d["Results"] if r["Class"] == "os-pkgs"]


def test_lock_files_matched_with_the_database(db, tree):
    d = doc_of(fs(db, "--quiet", "--format", "json", tree))
    vulns = {(r["Target"], v["PkgName"], v["VulnerabilityID"])
             for r in d["Results"] for v in r.get("Vulnerabilities", [])}
    for want in [("node/package-lock.json", "lodash", "CVE-2020-8203"),
                 ("node/package-lock.json", "minimist", "CVE-2021-44906"),
                 ("node-v1/package-lock.json", "axios", "CVE-2020-28168"),
                 ("go/go.mod", "github.com/dgrijalva/jwt-go", "CVE-2020-26160"),
                 ("python/requirements.txt", "requests", "CVE-2018-18074"),
                 ("pipenv/Pipfile.lock", "django", "CVE-2019-12308")]:
        assert want in vulns, want


def test_secrets_relative_paths_and_git_never_walked(db, tree):
    d = doc_of(fs(db, "--quiet", "--scanners", "secret", "--format", "json", tree))
    sec = [r for r in d["Results"] if r["Class"] == "secret"]
    assert [r["Target"] for r in sec] == ["app/.env"], sec
    assert sec[0]["Secrets"][0]["RuleID"] == "aws-access-key-id"
    assert FAKE_AWS_ID not in json.dumps(d)


def test_exit_code_severity_and_formats(db, tree):
    r = fs(db, "--quiet", "--severity", "CRITICAL", "--exit-code", "9", tree)
    assert r.rc == 9, r
    assert "node/package-lock.json (npm)" in r.out
    r = fs(db, "--quiet", "--severity", "CRITICAL", "--exit-code", "9", "--skip-dirs", "node",
           "--skip-dirs", "pipenv,poetry,python,uv,go,node-v1,yarn-classic,yarn-berry,pnpm",
           "--scanners", "vuln", tree)
    assert r.rc == 0, r
    sarif = json.loads(fs(db, "--quiet", "--format", "sarif", tree).out)
    assert sarif["runs"][0]["results"]
    cdx = json.loads(fs(db, "--quiet", "--format", "cyclonedx", tree).out)
    purls = {c.get("purl") for c in cdx["components"]}
    assert "pkg:npm/lodash@4.17.15" in purls and "pkg:pypi/pyyaml@5.3.1" in purls
    r = fs(db, "--quiet", "--sbom", "x.json", tree)
    assert r.rc == 2 and "images only" in r.err, r
    assert fs(db, "--quiet", tree / "nope").rc == 4
    assert fs(db, "--quiet", tree / "app" / ".env").rc == 3
    h = run_vigil("fs", "--help")
    assert h.rc == 0 and "Examples:" in h.out and "vigil fs ." in h.out
    assert run_vigil("rootfs", "--help").out.startswith("Usage: vigil rootfs")


def test_hostile_trees_give_notes_not_crashes(db, tmp_path):
    t = tmp_path / "hostile"
    (t / "app").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".env").write_text(f"AWS_ACCESS_KEY_ID={FAKE_AWS_ID}\n")
    os.symlink(outside, t / "app" / "out-dir")
    os.symlink(outside / ".env", t / "app" / "out.env")
    os.symlink("../../../../../../etc", t / "app" / "escape")
    os.symlink("loop-b", t / "app" / "loop-a")
    os.symlink("loop-a", t / "app" / "loop-b")
    os.symlink(".", t / "app" / "self")
    (t / "bin").mkdir()
    (t / "bin" / "package-lock.json").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 64)
    (t / "big").mkdir()
    with open(t / "big" / "requirements.txt", "w") as f:
        f.write("".join(f"p{i}==1.0\n" for i in range(210000)))
    deep = t / "deep"
    for i in range(300):
        deep = deep / "d"
    os.makedirs(deep)
    (deep / "go.mod").write_text("module x\nrequire a.b/c v1.0.0\n")
    os.mkfifo(t / "app" / "fifo")
    r = fs(db, "--format", "json", "--list-all-pkgs", t)
    assert r.rc == 0, r
    d = json.loads(r.out)
    assert not [x for x in d.get("Results", []) if x["Class"] == "secret"], "links never followed"
    assert not [x for x in d.get("Results", []) if x["Class"] == "lang-pkgs"]
    assert "bin/package-lock.json" in r.err and "big/requirements.txt" in r.err, r.err
    assert "deeper than 256 directories" in r.err, r.err


@pytest.fixture(scope="module")
def debian(tmp_path_factory, db):
    d = tmp_path_factory.mktemp("debroot")
    p = subprocess.run([str(ROOT / "scripts" / "debian-image.sh"), str(d / "image")],
                       capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        pytest.skip(f"debian-image.sh failed (no debootstrap/mirror?): {p.stderr[-800:]}")
    return {"rootfs": Path(p.stdout.strip().splitlines()[-1]), "image": f"oci:{d / 'image'}:latest"}


def _findings(doc):
    pkgs, vulns = set(), set()
    for r in doc["Results"]:
        if r["Class"] not in ("os-pkgs", "lang-pkgs"):
            continue
        for p in r.get("Packages", []):
            pkgs.add((r["Class"], r["Type"], p["Name"], p["Version"]))
        for v in r.get("Vulnerabilities", []):
            vulns.add((r["Class"], v["PkgName"], v["InstalledVersion"], v["VulnerabilityID"],
                       v.get("FixedVersion", "")))
    return pkgs, vulns


def test_rootfs_finds_what_the_image_scan_finds(db, debian, tmp_path):
    args = ["--offline", "--quiet", "--db", db, "--format", "json", "--list-all-pkgs",
            "--scanners", "vuln"]
    img = run_vigil("scan", "--no-cache", *args, debian["image"], timeout=900)
    root = run_vigil("rootfs", *args, debian["rootfs"], timeout=900)
    di, dr = doc_of(img), doc_of(root)
    assert dr["Metadata"]["OS"] == di["Metadata"]["OS"]
    pi, vi = _findings(di)
    pr, vr = _findings(dr)
    assert len([p for p in pi if p[0] == "os-pkgs"]) > 80
    assert pr == pi, (sorted(pi - pr)[:10], sorted(pr - pi)[:10])
    assert vr == vi, (sorted(vi - vr)[:10], sorted(vr - vi)[:10])
    os_target = [r["Target"] for r in dr["Results"] if r["Class"] == "os-pkgs"][0]
    assert os_target.startswith(f"{debian['rootfs']} (debian 12")


# ---------------------------------------------------------------- the real Trivy


def _trivy_cdx(cmd, target, out, tmp_path):
    env = dict(os.environ, TRIVY_CACHE_DIR=str(tmp_path / "trivy-cache"), TRIVY_NO_PROGRESS="true",
               TRIVY_DISABLE_TELEMETRY="true")
    p = subprocess.run([str(trivy_bin()), cmd, "--quiet", "--offline-scan", "--skip-db-update",
                        "--skip-java-db-update", "--format", "cyclonedx", "--output", str(out),
                        str(target)], capture_output=True, text=True, env=env, timeout=900)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(Path(out).read_text())


def _purls(cdx):
    """purls without qualifiers, percent-decoded ('+' is %2B in vigil's), Go versions without
    the 'v' Trivy drops."""
    out = set()
    for c in cdx.get("components", []):
        purl = c.get("purl")
        if not purl or not c.get("name"):
            continue
        purl = unquote(purl.split("?")[0])
        if purl.startswith("pkg:golang/") and "@v" in purl:
            purl = purl.replace("@v", "@", 1)
        out.add(purl)
    return out


def test_trivy_fs_agreement(db, tree, tmp_path):
    t = _purls(_trivy_cdx("fs", tree, tmp_path / "trivy.cdx.json", tmp_path))
    v = _purls(json.loads(fs(db, "--quiet", "--format", "cyclonedx", tree).out))
    # The peer (cdxgen's Trivy build) predates uv.lock support and reads pnpm v9 locks as one
    # nameless package: those two files are vigil's alone.
    only_vigil = {"pkg:pypi/aiohttp@3.8.1", "pkg:npm/node-fetch@2.6.0"}
    print(f"trivy fs: {len(t)} packages, vigil fs: {len(v)}, common {len(t & v)}")
    assert v - t == only_vigil, sorted(v - t)
    assert t - v == set(), sorted(t - v)


def test_trivy_rootfs_agreement(db, debian, tmp_path):
    t = _purls(_trivy_cdx("rootfs", debian["rootfs"], tmp_path / "trivy.cdx.json", tmp_path))
    r = run_vigil("rootfs", "--offline", "--quiet", "--db", db, "--format", "cyclonedx",
                  debian["rootfs"], timeout=900)
    v = _purls(doc_of(r))
    td = {p for p in t if p.startswith("pkg:deb/")}
    vd = {p for p in v if p.startswith("pkg:deb/")}
    print(f"trivy rootfs: {len(t)} packages ({len(td)} deb), vigil rootfs: {len(v)} "
          f"({len(vd)} deb), common {len(t & v)}")
    assert vd == td, (sorted(td - vd)[:10], sorted(vd - td)[:10])


def test_misconfig_checks_config_files_of_the_tree(db, tree):
    (tree / "svc").mkdir()
    (tree / "svc" / "Dockerfile").write_text("FROM debian:latest\nRUN apt-get install -y curl\n")
    d = doc_of(fs(db, "--quiet", "--scanners", "misconfig", "--format", "json", tree))
    cfg = {r["Target"]: r for r in d["Results"] if r["Class"] == "config"}
    assert "svc/Dockerfile" in cfg, sorted(cfg)
    ids = {m["ID"] for m in cfg["svc/Dockerfile"].get("Misconfigurations", [])}
    assert {"DS001", "DS002"} <= ids, ids
    assert not [r for r in d["Results"] if r["Class"] == "lang-pkgs"], "vuln not asked for"
