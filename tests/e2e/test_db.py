# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of `vigil db`: build from local fixtures, info, query, and `db update`
against a loopback mirror that speaks ETag / Last-Modified / Range and can fail on purpose.

Hermetic tests use tests/data/vulndb; the tests over the real data set in
/work/shared/vulndata skip when it is absent. The CVSS cross-check against an independent
implementation runs when node and the npm package ae-cvss-calculator are available
(VG_CVSS_REF_DIR=<dir containing node_modules/ae-cvss-calculator>).
"""
import gzip
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


# ---------------------------------------------------------------- loopback mirror


class Mirror:
    """Serves files under `root`; records requests; can cut a response short."""

    def __init__(self, root):
        self.root = Path(root)
        self.requests = []  # (path, status, request headers)
        self.truncate = set()  # paths whose body is cut in half (connection closed)
        self.fail = set()  # paths answered with 500
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                f = mirror.root / path.lstrip("/")
                hdrs = dict(self.headers)
                if path in mirror.fail:
                    return self._reply(path, hdrs, 500, b"boom")
                if not f.is_file():
                    return self._reply(path, hdrs, 404, b"not found")
                body = f.read_bytes()
                etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
                lm = formatdate(f.stat().st_mtime, usegmt=True)
                if self.headers.get("If-None-Match") == etag:
                    return self._reply(path, hdrs, 304, b"", etag, lm)
                rng = self.headers.get("Range")
                if rng and self.headers.get("If-Range") in (etag, lm) and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    if start < len(body):
                        return self._reply(path, hdrs, 206, body[start:], etag, lm,
                                           crange="bytes %d-%d/%d" % (start, len(body) - 1, len(body)))
                self._reply(path, hdrs, 200, body, etag, lm)

            def _reply(self, path, hdrs, status, body, etag=None, lm=None, crange=None):
                mirror.requests.append((path, status, hdrs))
                self.send_response(status)
                if etag:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", lm)
                    self.send_header("Accept-Ranges", "bytes")
                if crange:
                    self.send_header("Content-Range", crange)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status == 304:
                    return
                if path in mirror.truncate and status in (200, 206):
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def statuses(self, path):
        return [s for p, s, _ in self.requests if p == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirror_dir(tmp_path):
    d = tmp_path / "mirror"
    d.mkdir()
    return d


@pytest.fixture
def mirror(mirror_dir):
    m = Mirror(mirror_dir)
    yield m
    m.close()


def put(mirror_dir, eco, src):
    (mirror_dir / eco).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, mirror_dir / eco / "all.zip")


def info_json(vigil, db):
    r = vigil("db", "info", "--db", db, "--format", "json")
    assert r.rc == 0, r
    return json.loads(r.out)


def query_json(vigil, db, *args):
    r = vigil("db", "query", "--db", db, "--format", "json", *args)
    assert r.rc in (0, 1), r
    return json.loads(r.out)


# ---------------------------------------------------------------- build / info / query


def test_build_info_query_fixtures(vigil, data_dir, tmp_path):
    d = data_dir / "vulndb"
    db = tmp_path / "v.db"
    r = vigil("db", "build", "--db", db, "--from", d / "osv", "--from", d / "bad",
              "--from", d / "secdb")
    assert r.rc == 0, r
    assert "12 records, 5 skipped" in r.err
    assert "unknown range type 'WEIRD'" in r.err
    # an unparsable version drops its range only: the record is kept, with a warning
    assert "range(s) left out, record kept" in r.err
    assert "unparsable pep440 version '2019-09-12'" in r.err
    info = info_json(vigil, db)
    assert info["advisories"] == 12 and info["withdrawn"] == 1
    assert info["inherited_severity"] == 2 and info["stale"] is False
    ecos = {e["ecosystem"]: e["advisories"] for e in info["ecosystems"]}
    assert ecos == {"Alpine:v3.19": 5, "Debian:12": 2, "Go": 1, "PyPI": 2, "npm": 1}
    assert sum(s["skipped"] for s in info["sources"]) == 5
    assert [a["id"] for a in query_json(vigil, db, "PyPI", "x")] == ["BAD-3"]
    assert query_json(vigil, db, "PyPI", "x", "1.0") == []  # its only range was left out

    r = vigil("db", "info", "--db", db)
    assert r.rc == 0 and "Ecosystems:" in r.out and "Alpine:v3.19" in r.out

    hits = query_json(vigil, db, "Debian:12", "node-left-pad", "1.3.0+dfsg-1")
    by_id = {h["id"]: h for h in hits}
    assert by_id["DEBIAN-CVE-2099-0001"]["severity"] == "CRITICAL"
    assert by_id["DEBIAN-CVE-2099-0001"]["fixed_version"] == "1.3.0+dfsg-2"
    assert by_id["DEBIAN-CVE-2099-0001"]["severity_source"].startswith("alias GHSA-vgtt-0001-0001")
    assert by_id["DEBIAN-CVE-2099-0002"]["severity"] == "UNKNOWN"
    assert query_json(vigil, db, "Debian:12", "node-left-pad", "1.3.0+dfsg-2")[0]["id"] == \
        "DEBIAN-CVE-2099-0002"
    r = vigil("db", "query", "--db", db, "npm", "left-pad", "2.1.4")
    assert r.rc == 0, r  # not affected: exit 0
    r = vigil("db", "query", "--db", db, "npm", "left-pad", "2.1.3")
    assert r.rc == 1 and "2.1.4" in r.out
    assert query_json(vigil, db, "Go", "example.com/mod") and \
        all(h["id"] != "GO-2099-0002" for h in query_json(vigil, db, "Go", "example.com/mod"))
    pypi = query_json(vigil, db, "PyPI", "FOO_bar.baz", "2.3")
    assert [h["id"] for h in pypi] == ["PYSEC-2099-1"] and pypi[0]["fixed_version"] is None


def test_default_location_and_env(vigil, data_dir, tmp_path):
    cache = tmp_path / "xdg"
    r = vigil("db", "build", "--from", data_dir / "vulndb" / "osv",
              env={"XDG_CACHE_HOME": str(cache)})
    assert r.rc == 0, r
    assert (cache / "vigil" / "db" / "vulndb.sqlite").is_file()
    envdb = tmp_path / "env.db"
    r = vigil("db", "build", "--from", data_dir / "vulndb" / "secdb", env={"VIGIL_DB": str(envdb)})
    assert r.rc == 0 and envdb.is_file()
    r = vigil("db", "info", "--format", "json", env={"VIGIL_DB": str(envdb)})
    assert json.loads(r.out)["ecosystems"][0]["ecosystem"] == "Alpine:v3.19"


def test_stale_database_warns(vigil, data_dir, tmp_path):
    db = tmp_path / "v.db"
    assert vigil("db", "build", "--db", db, "--from", data_dir / "vulndb" / "osv").rc == 0
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = ? WHERE key = 'built_at'", (str(int(time.time()) - 8 * 86400),))
    con.commit()
    con.close()
    r = vigil("db", "info", "--db", db, "--format", "json")
    assert r.rc == 0 and "older than 7 days" in r.err
    assert json.loads(r.out)["stale"] is True


def test_usage_and_errors(vigil, tmp_path):
    for args in (["db", "--help"], ["db", "update", "--help"], ["db", "build", "--help"],
                 ["db", "info", "--help"], ["db", "query", "--help"]):
        r = vigil(*args)
        assert r.rc == 0 and "Usage:" in r.out and "Examples:" in r.out
    assert vigil("db").rc == 2
    assert vigil("db", "frobnicate").rc == 2
    assert vigil("db", "build").rc == 2
    assert vigil("db", "info", "--format", "xml").rc == 2
    assert vigil("db", "info", "--db", tmp_path / "missing.db").rc == 4
    r = vigil("db", "build", "--db", tmp_path / "x.db", "--from", tmp_path / "nope")
    assert r.rc == 4 and not (tmp_path / "x.db").exists()


def test_bad_inputs_never_replace_the_database(vigil, data_dir, tmp_path):
    zips = data_dir / "vulndb" / "zips"
    db = tmp_path / "v.db"
    assert vigil("db", "build", "--db", db, "--from", zips / "osv-all.zip").rc == 0
    before = db.read_bytes()
    r = vigil("db", "build", "--db", db, "--from", data_dir / "vulndb" / "osv",
              "--from", zips / "garbage.zip")
    assert r.rc == 6, r
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.db"]
    # a broken entry is skipped and counted, the rest is ingested
    r = vigil("db", "build", "--db", db, "--from", zips / "broken.zip")
    assert r.rc == 0 and "2 records, 1 skipped" in r.err, r


def test_oversized_record_in_zip_is_skipped(vigil, data_dir, tmp_path):
    import zipfile
    z = tmp_path / "big.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BIG-1.json", '{"id":"BIG-1","details":"' + "a" * (50 * 1024 * 1024) + '"}')
        zf.write(data_dir / "vulndb" / "osv" / "GO-2099-0001.json", "GO-2099-0001.json")
    db = tmp_path / "v.db"
    r = vigil("db", "build", "--db", db, "--from", z)
    assert r.rc == 0 and "1 records, 1 skipped" in r.err, r
    assert "larger than the OSV record limit" in r.err


# ---------------------------------------------------------------- update


def test_update_conditional_requests_and_atomic_swap(vigil, data_dir, mirror, mirror_dir, tmp_path):
    zips = data_dir / "vulndb" / "zips"
    put(mirror_dir, "npm", zips / "osv-all.zip")
    put(mirror_dir, "Go", zips / "badcrc.zip")
    db = tmp_path / "db" / "v.db"
    r = vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm,Go")
    assert r.rc == 0, r
    assert "2 archives downloaded" in r.err
    info = info_json(vigil, db)
    srcs = {s["name"]: s for s in info["sources"]}
    assert srcs["npm"]["records"] == 6 and srcs["npm"]["etag"]
    assert srcs["npm"]["location"] == mirror.url + "/npm/all.zip"
    assert srcs["Go"]["skipped"] == 1
    ino = db.stat().st_ino

    # nothing changed: conditional requests answered 304, database kept as is
    r = vigil("db", "update", "--db", db, "--mirror", mirror.url + "/", "--ecosystems", "npm,Go")
    assert r.rc == 0 and "up to date" in r.err, r
    assert mirror.statuses("/npm/all.zip") == [200, 304]
    assert any("If-None-Match" in h for p, s, h in mirror.requests if s == 304)
    assert db.stat().st_ino == ino

    # the database no longer matches the cached archives (replaced by a local build): even
    # though the mirror answers 304, the database is rebuilt from the cache
    assert vigil("db", "build", "--db", db, "--from", data_dir / "vulndb" / "secdb").rc == 0
    r = vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm,Go")
    assert r.rc == 0 and "0 archives downloaded, 2 not modified" in r.err, r
    assert "up to date" not in r.err
    assert {s["name"] for s in info_json(vigil, db)["sources"]} == {"npm", "Go"}
    ino = db.stat().st_ino

    # one archive changed: rebuilt and swapped in (new inode)
    put(mirror_dir, "Go", zips / "broken.zip")
    r = vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm,Go")
    assert r.rc == 0 and "1 archives downloaded, 1 not modified" in r.err, r
    assert db.stat().st_ino != ino
    # broken.zip: two good entries (both already ingested from npm, so duplicates) + one damaged
    assert {s["name"]: s["skipped"] for s in info_json(vigil, db)["sources"]}["Go"] == 1


def test_update_network_failure_keeps_old_db_then_resumes(vigil, data_dir, mirror, mirror_dir,
                                                          tmp_path):
    zips = data_dir / "vulndb" / "zips"
    put(mirror_dir, "npm", zips / "broken.zip")
    db = tmp_path / "v.db"
    assert vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm").rc == 0
    before = db.read_bytes()

    put(mirror_dir, "npm", zips / "osv-all.zip")
    mirror.truncate.add("/npm/all.zip")
    r = vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm")
    assert r.rc == 7, r
    assert db.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("v.db.new")]

    # the partial download is continued with a Range request
    mirror.truncate.clear()
    r = vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm")
    assert r.rc == 0, r
    assert 206 in mirror.statuses("/npm/all.zip")
    hits = query_json(vigil, db, "npm", "left-pad")
    assert [h["id"] for h in hits] == ["GHSA-vgtt-0001-0001"]

    mirror.fail.add("/npm/all.zip")
    put(mirror_dir, "npm", zips / "badcrc.zip")
    before = db.read_bytes()
    r = vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm")
    assert r.rc == 7 and db.read_bytes() == before


def test_update_corrupt_archive_or_missing_ecosystem(vigil, data_dir, mirror, mirror_dir, tmp_path):
    zips = data_dir / "vulndb" / "zips"
    put(mirror_dir, "npm", zips / "osv-all.zip")
    db = tmp_path / "v.db"
    assert vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm").rc == 0
    before = db.read_bytes()
    put(mirror_dir, "npm", zips / "garbage.zip")
    r = vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm")
    assert r.rc == 6, r
    assert db.read_bytes() == before
    r = vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm,Nope")
    assert r.rc == 4, r
    assert db.read_bytes() == before


# ---------------------------------------------------------------- real data set


def test_update_from_shared_vulndata(vigil, shared_dir, tmp_path):
    root = shared_dir / "vulndata"
    if not (root / "osv").is_dir():
        pytest.skip("no vulndata")
    m = Mirror(root)
    try:
        db = tmp_path / "v.db"
        r = vigil("db", "update", "--db", db, "--mirror", m.url + "/osv", "--quiet",
                  "--ecosystems", "Go,PyPI,npm,Debian")
        assert r.rc == 0, r
    finally:
        m.close()
    info = info_json(vigil, db)
    ecos = {e["ecosystem"]: e["advisories"] for e in info["ecosystems"]}
    assert ecos["Go"] > 4000 and ecos["PyPI"] > 2500 and ecos["npm"] >= 40
    assert ecos["Debian:12"] == 282
    hits = query_json(vigil, db, "Go", "github.com/gin-gonic/gin", "1.5.0")
    by_id = {h["id"]: h for h in hits}
    assert by_id["GO-2020-0001"]["fixed_version"] == "1.6.0"
    lodash = query_json(vigil, db, "npm", "lodash", "4.17.15")
    assert {"GHSA-p6mc-m468-83gw", "GHSA-35jh-r3h4-6jhm"} <= {h["id"] for h in lodash}
    assert all(h["severity"] != "UNKNOWN" for h in lodash)


def test_build_from_shared_vulndata_with_secdb(vigil, shared_dir, tmp_path):
    root = shared_dir / "vulndata"
    if not root.is_dir():
        pytest.skip("no vulndata")
    db = tmp_path / "v.db"
    r = vigil("db", "build", "--db", db, "--from", root)
    assert r.rc == 0, r
    info = info_json(vigil, db)
    ecos = {e["ecosystem"]: e["advisories"] for e in info["ecosystems"]}
    assert ecos["Alpine:v3.11"] > 1000
    hits = query_json(vigil, db, "Alpine:v3.11", "openssl", "1.1.1d-r0")
    assert {"CVE-2019-1551"} <= {h["id"] for h in hits}
    assert {h["id"]: h["fixed_version"] for h in hits}["CVE-2019-1551"] == "1.1.1d-r3"


# ---------------------------------------------------------------- CVSS cross-check


def _cvss_ref_dir():
    d = Path(os.environ.get("VG_CVSS_REF_DIR", "/tmp/cvssref"))
    if shutil.which("node") and (d / "node_modules" / "ae-cvss-calculator").is_dir():
        return d
    return None


@pytest.mark.skipif(_cvss_ref_dir() is None, reason="node + ae-cvss-calculator not installed")
def test_cvss_scores_match_independent_implementation(vigil, tmp_path):
    rnd = random.Random(11)
    vecs = []
    for _ in range(300):
        vecs.append("AV:%s/AC:%s/Au:%s/C:%s/I:%s/A:%s" % tuple(rnd.choice(x) for x in
                    ["LAN", "HML", "MSN", "NPC", "NPC", "NPC"]))
    for p in ("CVSS:3.0", "CVSS:3.1"):
        for _ in range(300):
            vecs.append(p + "/AV:%s/AC:%s/PR:%s/UI:%s/S:%s/C:%s/I:%s/A:%s" % tuple(
                rnd.choice(x) for x in ["NALP", "LH", "NLH", "NR", "UC", "HLN", "HLN", "HLN"]))
    for _ in range(600):
        vecs.append("CVSS:4.0/AV:%s/AC:%s/AT:%s/PR:%s/UI:%s/VC:%s/VI:%s/VA:%s/SC:%s/SI:%s/SA:%s" %
                    tuple(rnd.choice(x) for x in ["NALP", "LH", "NP", "NLH", "NPA", "HLN", "HLN",
                                                   "HLN", "HLN", "HLN", "HLN"]))
    script = """
const c = require('ae-cvss-calculator');
const out = [];
for (const v of require('fs').readFileSync(0, 'utf8').trim().split('\\n')) {
  const o = v.startsWith('CVSS:4.0') ? new c.Cvss4P0(v) : v.startsWith('CVSS:3.1') ?
    new c.Cvss3P1(v) : v.startsWith('CVSS:3.0') ? new c.Cvss3P0(v) : new c.Cvss2(v);
  const s = o.calculateScores();
  out.push(v.startsWith('CVSS:4.0') ? s.overall : s.base);
}
console.log(JSON.stringify(out));
"""
    ref = json.loads(subprocess.run(["node", "-e", script], input="\n".join(vecs), text=True,
                                    capture_output=True, cwd=_cvss_ref_dir(), check=True).stdout)
    src = tmp_path / "recs"
    src.mkdir()
    for i, v in enumerate(vecs):
        t = "CVSS_V4" if v.startswith("CVSS:4") else "CVSS_V3" if v.startswith("CVSS:3") else "CVSS_V2"
        (src / ("X-%d.json" % i)).write_text(json.dumps({
            "id": "X-%d" % i, "severity": [{"type": t, "score": v}],
            "affected": [{"package": {"ecosystem": "npm", "name": "p%d" % i}, "versions": ["1.0.0"]}]}))
    db = tmp_path / "v.db"
    assert vigil("db", "build", "--db", db, "--from", src).rc == 0
    # one query per package through the CLI would be slow; read the scores from the database
    con = sqlite3.connect(db)
    got = dict(con.execute("SELECT vuln_id, cvss_score FROM advisories"))
    con.close()
    bad = [(v, got["X-%d" % i], ref[i]) for i, v in enumerate(vecs)
           if abs(got["X-%d" % i] - ref[i]) > 1e-9]
    assert not bad, bad[:10]


def test_update_against_plain_python_http_server(vigil, data_dir, mirror_dir, tmp_path):
    """python3 -m http.server: Last-Modified only, no ETag, bare 304s, no Range support."""
    import functools
    from http.server import SimpleHTTPRequestHandler

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    put(mirror_dir, "npm", data_dir / "vulndb" / "zips" / "osv-all.zip")
    srv = ThreadingHTTPServer(("127.0.0.1", 0),
                              functools.partial(Quiet, directory=str(mirror_dir)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % srv.server_address[1]
    try:
        db = tmp_path / "v.db"
        r = vigil("db", "update", "--db", db, "--mirror", url, "--ecosystems", "npm")
        assert r.rc == 0 and "1 archives downloaded" in r.err, r
        src = info_json(vigil, db)["sources"][0]
        assert src["last_modified"] and "etag" not in src
        r = vigil("db", "update", "--db", db, "--mirror", url, "--ecosystems", "npm")
        assert r.rc == 0 and "1 not modified" in r.err and "up to date" in r.err, r
    finally:
        srv.shutdown()
        srv.server_close()


# ---------------------------------------------------------------- NVD feeds and Debian tracker


def cve_rows(db, sql, *args):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_build_from_nvd_and_debian_tracker(vigil, data_dir, tmp_path):
    d = data_dir / "vulndb"
    db = tmp_path / "v.db"
    r = vigil("db", "build", "--db", db, "--from", d / "nvd", "--from", d / "debian-tracker")
    assert r.rc == 0, r
    assert "not-a-cve" in r.err or "cve.id" in r.err  # the bad record is named
    kinds = {s["name"]: s["kind"] for s in info_json(vigil, db)["sources"]}
    assert kinds["nvdcve-2.0-2099.json.gz"] == "nvd-feed"
    assert kinds["nvdcve-2.0-modified.json"] == "nvd-feed"
    assert "nvd-feed" in kinds.values() and "debian-tracker" in kinds.values()
    rows = cve_rows(db, "SELECT source, is_primary, version, vector, score FROM cvss"
                        " WHERE cve = ? ORDER BY rowid", "CVE-2099-0001")
    assert ("nvd@nist.gov", 1, 31, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8) in rows
    assert any(r[0] == "cna@example.org" and r[2] == 40 for r in rows)
    assert cve_rows(db, "SELECT cwes, published FROM cves WHERE cve = ?", "CVE-2099-0001") == \
        [("CWE-787\nCWE-122", "2099-01-10T12:15:45.557")]
    assert cve_rows(db, "SELECT package, release, severity FROM vendor_severity"
                        " WHERE cve = ? ORDER BY release", "CVE-2099-0001") == \
        [("node-left-pad", "bookworm", 2), ("node-left-pad", "bullseye", 4)]


@pytest.mark.skipif(not Path("/work/shared/vulndata/nvd").is_dir(), reason="no shared NVD sample")
def test_build_from_shared_nvd_sample(vigil, tmp_path):
    db = tmp_path / "v.db"
    r = vigil("db", "build", "--db", db, "--from", "/work/shared/vulndata/nvd")
    assert r.rc == 0, r
    assert cve_rows(db, "SELECT count(*) FROM cves")[0][0] == 109
    # CVE-2024-2961 is a stale record without metrics; CVE-2024-0553 has NVD's own v3.1
    assert cve_rows(db, "SELECT count(*) FROM cvss WHERE cve = 'CVE-2024-2961'")[0][0] == 0
    assert cve_rows(db, "SELECT score FROM cvss WHERE cve = 'CVE-2024-0553' AND is_primary = 1"
                        " AND source = 'nvd@nist.gov'") == [(7.5,)]


def test_update_fetches_nvd_feeds(vigil, data_dir, mirror, mirror_dir, tmp_path):
    zips = data_dir / "vulndb" / "zips"
    put(mirror_dir, "npm", zips / "osv-all.zip")
    nvd = mirror_dir / "nvd"
    nvd.mkdir()
    shutil.copyfile(data_dir / "vulndb" / "nvd" / "nvdcve-2.0-2099.json.gz",
                    nvd / "nvdcve-2.0-2020.json.gz")
    with open(data_dir / "vulndb" / "nvd" / "nvdcve-2.0-modified.json", "rb") as src, \
            gzip.open(nvd / "nvdcve-2.0-modified.json.gz", "wb") as dst:
        dst.write(src.read())
    db = tmp_path / "v.db"
    args = ("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm",
            "--nvd-mirror", mirror.url + "/nvd/")
    r = vigil(*args)
    assert r.rc == 0, r
    assert "3 archives downloaded" in r.err, r
    assert mirror.statuses("/nvd/nvdcve-2.0-2002.json.gz") == [404]
    srcs = {s["name"]: s for s in info_json(vigil, db)["sources"]}
    assert srcs["nvd/nvdcve-2.0-2020.json.gz"]["etag"]
    assert srcs["nvd/nvdcve-2.0-2020.json.gz"]["location"] == mirror.url + "/nvd/nvdcve-2.0-2020.json.gz"
    assert cve_rows(db, "SELECT status FROM cves WHERE cve = 'CVE-2099-0002'") == [("Analyzed",)]

    # second run: conditional requests, nothing rebuilt
    r = vigil(*args)
    assert r.rc == 0 and "up to date" in r.err, r
    assert mirror.statuses("/nvd/nvdcve-2.0-2020.json.gz") == [200, 304]
    assert any("If-None-Match" in h for p, s, h in mirror.requests
               if p == "/nvd/nvdcve-2.0-modified.json.gz" and s == 304)

    # the environment variable names the mirror too; 'none' turns NVD off
    r = vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm",
              env={"VIGIL_NVD_MIRROR": "none"})
    assert r.rc == 0, r
    assert cve_rows(db, "SELECT count(*) FROM cves")[0][0] == 0
    n = len(mirror.requests)
    r = vigil("db", "update", "--db", db, "--mirror", mirror.url, "--ecosystems", "npm",
              env={"VIGIL_NVD_MIRROR": mirror.url + "/nvd"})
    assert r.rc == 0, r
    assert any(p.startswith("/nvd/") for p, _, _ in mirror.requests[n:])
    assert cve_rows(db, "SELECT count(*) FROM cves")[0][0] == 4


def test_query_unknown_ecosystem_is_an_error(vigil, data_dir, tmp_path):
    db = tmp_path / "v.db"
    assert vigil("db", "build", "--db", db, "--from", data_dir / "vulndb" / "osv").rc == 0
    for typo in ("pypi", "Debian12", "NPM", "Pip", "nosuch"):
        r = vigil("db", "query", "--db", db, typo, "requests")
        assert r.rc == 2 and f"unknown ecosystem '{typo}'" in r.err, (typo, r)
    # Known ecosystems without a matching package are an empty answer, not an error.
    for eco in ("PyPI", "Debian:13", "Hex", "crates.io"):
        r = vigil("db", "query", "--db", db, eco, "no-such-package")
        assert r.rc == 0 and "unknown ecosystem" not in r.err, (eco, r)
