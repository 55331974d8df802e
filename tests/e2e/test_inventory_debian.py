# SPDX-License-Identifier: Apache-2.0
"""Inventory correctness on a real image: Debian 12 from debootstrap (scripts/debian-image.sh)
plus an app layer with node_modules from `npm install` and a Go executable built here. Every
expectation comes from the ecosystem's own tool, never from vigil:

* dpkg: `dpkg-query --admindir=ROOTFS/var/lib/dpkg` (installed packages, name and version);
  licenses: every package whose copyright file has a machine-readable `License:` line or a
  /usr/share/common-licenses reference must carry at least one license;
* npm: `npm ls --all --json` in the app directory (flattened name@version set), and the app's
  package-lock.json must not report anything a second time;
* Python: `importlib.metadata` over ROOTFS/usr/lib/python3/dist-packages — every distribution
  there is shipped by a dpkg package (checked against the dpkg file lists), so vigil must report
  none of them as PyPI packages (python3-requests is reported once, as the dpkg package);
* Go: `go version -m BINARY`.

Skips cleanly when dpkg-query, debootstrap (or its mirror), npm or go is unavailable. Slow the
first time (debootstrap, npm install); the rootfs and node_modules are cached under
$VIGIL_TEST_CACHE (default /var/tmp/vigil-test-cache).
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_vigil

pytestmark = pytest.mark.slow

CACHE = Path(os.environ.get("VIGIL_TEST_CACHE", "/var/tmp/vigil-test-cache"))
NPM_DEPS = {"express": "4.17.1", "lodash": "4.17.15", "minimist": "1.2.0"}
GO_MAIN = """package main

import (
\t"fmt"

\t"golang.org/x/text/cases"
\t"golang.org/x/text/language"
)

func main() { fmt.Println(cases.Title(language.English).String("hello")) }
"""
GO_MAIN_PLAIN = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n'


def _cached_dir(name, build):
    """CACHE/name, built once by build(work_dir) -> None or a skip reason."""
    cached = CACHE / name
    if (cached / ".complete").exists():
        return cached
    work = CACHE / f"{name}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    why = build(work)
    if why:
        shutil.rmtree(work, ignore_errors=True)
        pytest.skip(why)
    (work / ".complete").touch()
    shutil.rmtree(cached, ignore_errors=True)
    work.rename(cached)
    return cached


def _npm_build(work):
    if not shutil.which("npm"):
        return "npm is not installed"
    pkg = {"name": "inv-demo-app", "version": "1.0.0", "private": True,
           "dependencies": NPM_DEPS}
    (work / "package.json").write_text(json.dumps(pkg, indent=2))
    p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"],
                       cwd=work, capture_output=True, text=True, timeout=600)
    return None if p.returncode == 0 else f"npm install failed: {p.stderr[-500:]}"


def _go_build(work):
    if not shutil.which("go"):
        return "go is not installed"
    env = dict(os.environ, GOPATH=str(CACHE / "gopath"), GOCACHE=str(CACHE / "gocache"),
               GOFLAGS="-mod=mod", CGO_ENABLED="0")
    src = work / "src"
    src.mkdir()

    def build(main):
        (src / "main.go").write_text(main)
        for cmd in (["go", "mod", "init", "example.com/invdemo"], ["go", "mod", "tidy"],
                    ["go", "build", "-o", str(work / "hello"), "."]):
            p = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True,
                               timeout=600)
            if p.returncode != 0:
                return p.stderr[-500:]
        return None

    # With a dependency when the module proxy answers; a dependency-free binary still carries
    # build info (main module and toolchain).
    if build(GO_MAIN):
        shutil.rmtree(src)
        src.mkdir()
        why = build(GO_MAIN_PLAIN)
        if why:
            return f"go build failed: {why}"
    shutil.rmtree(src)
    return None


@pytest.fixture(scope="module")
def img(tmp_path_factory):
    if not shutil.which("dpkg-query"):
        pytest.skip("dpkg-query is needed for the expected Debian packages")
    key = hashlib.sha256(json.dumps(NPM_DEPS, sort_keys=True).encode()).hexdigest()[:16]
    npm = _cached_dir(f"inv-npm-{key}", _npm_build)
    gobin = _cached_dir("inv-go-" + hashlib.sha256(GO_MAIN.encode()).hexdigest()[:16],
                        _go_build)
    d = tmp_path_factory.mktemp("invdeb")
    app = d / "app"
    shutil.copytree(npm, app, symlinks=True, ignore=shutil.ignore_patterns(".complete"))
    (app / "bin").mkdir()
    shutil.copy2(gobin / "hello", app / "bin" / "hello")
    p = subprocess.run([str(ROOT / "scripts" / "debian-image.sh"), str(d / "image"), str(app)],
                       capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        pytest.skip(f"debian-image.sh failed (no debootstrap/mirror?): {p.stderr[-800:]}")
    rootfs = Path(p.stdout.strip().splitlines()[-1])
    r = run_vigil("sbom", "--format", "json", f"oci:{d / 'image'}:latest", timeout=900)
    assert r.rc == 0, r
    doc = json.loads(r.out)
    return {"rootfs": rootfs, "app": app, "doc": doc, "stderr": r.err}


def _pkgs(doc, kind):
    return [p for p in doc["packages"] if p["kind"] == kind]


def test_dpkg_matches_dpkg_query(img):
    out = subprocess.run(
        ["dpkg-query", f"--admindir={img['rootfs']}/var/lib/dpkg", "-W", "-f",
         "${Package}\t${Version}\t${db:Status-Abbrev}\n"],
        capture_output=True, text=True, check=True).stdout
    want = set()
    for line in out.splitlines():
        name, ver, status = line.split("\t")
        if status.startswith("ii"):
            want.add((name, ver))
    got = [(p["name"], p["version"]) for p in _pkgs(img["doc"], "dpkg")]
    assert len(got) == len(set(got)), "a dpkg package is reported twice"
    assert set(got) == want, (sorted(set(got) - want)[:10], sorted(want - set(got))[:10])
    assert img["doc"]["os"]["ecosystem"] == "Debian:12"


def test_dpkg_licenses_from_copyright(img):
    doc_dir = img["rootfs"] / "usr" / "share" / "doc"
    by_name = {p["name"]: p for p in _pkgs(img["doc"], "dpkg")}
    checked = 0
    for name, p in by_name.items():
        f = doc_dir / name / "copyright"
        if f.is_symlink() or not f.is_file():
            continue
        text = f.read_text(errors="replace")
        if (re.search(r"^License:\s*\S", text, re.M) or
                re.search(r"/usr/share/common-licenses/[0-9A-Za-z_.+-]*[0-9A-Za-z+]", text)):
            checked += 1
            assert p.get("licenses"), f"{name}: no license although its copyright file names one"
    assert checked > 20
    # base-files only points at /usr/share/common-licenses/GPL; apt's is machine-readable
    assert by_name["base-files"]["licenses"] == ["GPL"]
    assert "GPL-2.0-or-later" in by_name["apt"]["licenses"]
    # libgcc-s1's doc directory is a symlink to gcc-12-base's
    assert by_name["libgcc-s1"]["licenses"] == by_name["gcc-12-base"]["licenses"] != []


def _npm_ls(app):
    p = subprocess.run(["npm", "ls", "--all", "--json"], cwd=app, capture_output=True,
                       text=True, timeout=300)
    tree = json.loads(p.stdout)
    found = set()

    def walk(deps):
        for name, d in (deps or {}).items():
            if "version" in d:
                found.add((name, d["version"]))
            walk(d.get("dependencies"))

    walk(tree.get("dependencies"))
    return found


def test_npm_matches_npm_ls(img):
    if not shutil.which("npm"):
        pytest.skip("npm is not installed")
    want = _npm_ls(img["app"])
    node = [p for p in _pkgs(img["doc"], "node") if p["path"].startswith("app/")]
    got = {(p["name"], p["version"]) for p in node}
    assert want and got == want, (sorted(got - want)[:10], sorted(want - got)[:10])
    assert {(n, v) for n, v in want if n in NPM_DEPS} == set(NPM_DEPS.items())
    # node_modules is installed: the lock file next to it adds nothing
    assert not [p for p in node if p["path"] == "app/package-lock.json"]
    paths = [(p["name"], p["version"], p["path"]) for p in node]
    assert len(paths) == len(set(paths))


def _dpkg_owned(rootfs):
    owned = set()
    for lst in (rootfs / "var" / "lib" / "dpkg" / "info").glob("*.list"):
        owned.update(line.strip().lstrip("/") for line in lst.read_text().splitlines())
    return owned


def test_python_dist_packages_attributed_to_dpkg(img):
    rootfs = img["rootfs"]
    site = rootfs / "usr" / "lib" / "python3" / "dist-packages"
    code = ("import importlib.metadata as m, json, sys\n"
            "print(json.dumps([[d.metadata['Name'], d.version, str(d._path)] for d in "
            "m.distributions(path=[sys.argv[1]])]))")
    p = subprocess.run(["/usr/bin/python3", "-c", code, str(site)], capture_output=True,
                       text=True, check=True)
    dists = json.loads(p.stdout)
    names = {n.lower().replace("_", "-") for n, _, _ in dists}
    assert "requests" in names, dists
    owned = _dpkg_owned(rootfs)
    for name, ver, path in dists:
        rel = os.path.relpath(path, rootfs)
        assert rel in owned, f"{name} {ver}: {rel} is not in any dpkg file list"
    py = [p for p in _pkgs(img["doc"], "python")
          if p["path"].startswith("usr/lib/python3/dist-packages/")]
    assert py == [], "dpkg-owned distributions must not be reported again as PyPI packages"
    debs = {p["name"] for p in _pkgs(img["doc"], "dpkg")}
    assert "python3-requests" in debs


def test_go_matches_go_version_m(img):
    if not shutil.which("go"):
        pytest.skip("go is not installed")
    binary = img["app"] / "bin" / "hello"
    out = subprocess.run(["go", "version", "-m", str(binary)], capture_output=True, text=True,
                         check=True).stdout
    lines = out.splitlines()
    gover = lines[0].split(": ", 1)[1].strip()
    want = {("stdlib", "v" + gover.removeprefix("go"))}
    last_dep = None
    for line in lines[1:]:
        f = line.strip().split("\t")
        if f[0] == "mod":
            want.add((f[1], None if len(f) < 3 or f[2] == "(devel)" else f[2]))
        elif f[0] == "dep":
            last_dep = (f[1], f[2])
            want.add(last_dep)
        elif f[0] == "=>" and last_dep:
            want.discard(last_dep)
            want.add((f[1], f[2]))
    got = {(p["name"], p.get("version")) for p in _pkgs(img["doc"], "gobinary")
           if p["path"] == "app/bin/hello"}
    assert got == want, (got, want)
