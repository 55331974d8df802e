# SPDX-License-Identifier: Apache-2.0
"""`--cache-dir` / $VIGIL_CACHE_DIR and `vigil clean` (Trivy's `clean`): the scan cache and the
default database live in the cache directory; clean removes exactly vigil's own parts of it,
never follows a symlink out of it, and leaves a database given with --db elsewhere alone."""
import os

from images import build_image


def image(tmp_path):
    lay, _ = build_image(tmp_path / "oci", layers=[{"etc/os-release": "ID=alpine\n",
                                                    "app/x.txt": "hello\n"}])
    return f"oci:{lay.path}:latest"


def scan_secrets(vigil, img, *args, env=None):
    return vigil("scan", "--scanners", "secret", "-q", "--format", "json", *args, img, env=env)


def files_under(d):
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())


def test_cache_dir_flag_and_env_hold_the_scan_cache(vigil, tmp_path):
    img = image(tmp_path)
    xdg = tmp_path / "xdg"
    env = {"XDG_CACHE_HOME": str(xdg)}
    r = scan_secrets(vigil, img, "--cache-dir", tmp_path / "c1", env=env)
    assert r.rc == 0, r
    got = files_under(tmp_path / "c1")
    assert any(f.startswith("scan/") for f in got) and any(f.startswith("layers/") for f in got)
    assert not xdg.exists()
    r = scan_secrets(vigil, img, env={**env, "VIGIL_CACHE_DIR": str(tmp_path / "c2")})
    assert r.rc == 0, r
    assert files_under(tmp_path / "c2") == got
    assert not xdg.exists()


def test_clean_scan_cache_and_vuln_db(vigil, tmp_path):
    img = image(tmp_path)
    c = tmp_path / "cache"
    assert scan_secrets(vigil, img, "--cache-dir", c).rc == 0
    (c / "db" / "vulndb.sqlite.d").mkdir(parents=True)
    (c / "db" / "vulndb.sqlite").write_bytes(b"x")
    (c / "db" / "vulndb.sqlite.d" / "state.json").write_text("{}")
    (c / "mine.txt").write_text("not vigil's")
    r = vigil("clean", "--scan-cache", "--cache-dir", c)
    assert r.rc == 0, r
    assert not (c / "scan").exists() and not (c / "layers").exists()
    assert (c / "db" / "vulndb.sqlite").exists()
    assert "removed the image analysis cache" in r.err, r
    r = vigil("clean", "--vuln-db", env={"VIGIL_CACHE_DIR": str(c)})
    assert r.rc == 0, r
    assert not (c / "db").exists()
    # --all keeps a directory that holds other things, and those things.
    assert vigil("clean", "--all", "--cache-dir", c).rc == 0
    assert files_under(c) == ["mine.txt"]
    (c / "mine.txt").unlink()
    assert vigil("clean", "--all", "--cache-dir", c).rc == 0
    assert not c.exists()
    # Nothing to remove is fine.
    assert vigil("clean", "--all", "--cache-dir", c).rc == 0


def test_clean_never_follows_symlinks_nor_touches_a_db_elsewhere(vigil, tmp_path):
    c = tmp_path / "cache"
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (c / "scan").mkdir(parents=True)
    os.symlink(outside, c / "scan" / "link")
    os.symlink(outside / "keep.txt", c / "scan" / "file-link")
    (c / "layers" / "deep" / "er").mkdir(parents=True)
    (c / "layers" / "deep" / "er" / "f.json").write_text("{}")
    db = tmp_path / "elsewhere.sqlite"
    db.write_bytes(b"x")
    r = vigil("clean", "--all", "--cache-dir", c, env={"VIGIL_DB": str(db)})
    assert r.rc == 0, r
    assert (outside / "keep.txt").read_text() == "keep"
    assert db.exists()
    assert not c.exists()


def test_clean_usage(vigil, tmp_path):
    r = vigil("clean", "--cache-dir", tmp_path)
    assert r.rc == 2 and "--scan-cache, --vuln-db or --all" in r.err, r
    assert vigil("clean", "--bogus").rc == 2
    assert vigil("clean", "--all", "extra").rc == 2
    h = vigil("clean", "--help")
    assert h.rc == 0 and "Examples:" in h.out and "Exit codes:" in h.out
    assert vigil("help", "clean").out == h.out
    assert "clean" in vigil("--help").out
    assert "--cache-dir DIR" in vigil("scan", "--help").out
