# SPDX-License-Identifier: Apache-2.0
"""The analysis cache's bounds (--cache-max-size / --cache-max-age, their VIGIL_ variables and
vigil.yaml keys): entries past the age limit and the least recently used ones past the size
limit are removed when a scan writes to the cache; a write in progress is never touched."""
import os
import time

from images import build_image


def image(tmp_path, name, text):
    # Same shape for every name: the cache entries of these images have the same size.
    lay, _ = build_image(tmp_path / name, layers=[{"etc/os-release": "ID=alpine\n",
                                                   "app/x.txt": text}])
    return f"oci:{lay.path}:latest"


def scan(vigil, img, cache, *args, env=None, cwd=None):
    r = vigil("scan", "--scanners", "secret", "-q", "--format", "json", "--cache-dir", cache,
              *args, img, env=env, cwd=cwd)
    assert r.rc == 0, r
    return r


def entries(cache):
    return {str(p.relative_to(cache)): p.stat().st_size
            for d in ("scan", "inventory", "layers") if (cache / d).is_dir()
            for p in (cache / d).iterdir() if p.name.endswith(".json")}


def test_age_limit_drops_entries_unused_for_longer(vigil, tmp_path):
    cache = tmp_path / "cache"
    a, b = image(tmp_path, "a", "aaaa\n"), image(tmp_path, "b", "bbbb\n")
    scan(vigil, a, cache)
    old = entries(cache)
    assert len(old) == 2, old  # scan/KEY.json and layers/KEY.json
    month_ago = time.time() - 31 * 86400
    for rel in old:
        os.utime(cache / rel, (month_ago, month_ago))
    scan(vigil, b, cache)  # default --cache-max-age 720h: a's entries go
    now = entries(cache)
    assert not set(old) & set(now) and len(now) == 2, (old, now)
    # --cache-max-age 0 keeps everything.
    for rel in now:
        os.utime(cache / rel, (month_ago, month_ago))
    scan(vigil, a, cache, "--cache-max-age", "0")
    assert len(entries(cache)) == 4


def test_size_limit_evicts_least_recently_used_entries(vigil, tmp_path):
    cache = tmp_path / "cache"
    a, b, c = (image(tmp_path, n, n * 4 + "\n") for n in "abc")
    scan(vigil, a, cache, "--cache-max-size", "0")
    ea = entries(cache)
    time.sleep(0.05)
    scan(vigil, b, cache, "--cache-max-size", "0")
    eb = {k: v for k, v in entries(cache).items() if k not in ea}
    assert sorted(ea.values()) == sorted(eb.values()), (ea, eb)
    time.sleep(0.05)
    # A whole-image hit: a's image entry becomes the most recently used; its layer entry,
    # not read, stays the least recently used.
    r = scan(vigil, a, cache)
    time.sleep(0.05)
    [a_layer] = [k for k in ea if k.startswith("layers/")]
    [a_scan] = [k for k in ea if k.startswith("scan/")]
    [b_layer] = [k for k in eb if k.startswith("layers/")]
    one = sum(ea.values())
    # c adds as much again; one byte less than all but a's layer entry: a's layer entry
    # and then b's (written after a's image entry, but used less recently) go.
    limit = 3 * one - ea[a_layer] - 1
    scan(vigil, c, cache, "--cache-max-size", f"{limit}B")
    left = entries(cache)
    assert a_layer not in left and b_layer not in left, left
    assert a_scan in left and set(eb) - {b_layer} <= set(left), left
    assert len(left) == 4 and sum(left.values()) <= limit
    del r


def test_limits_from_environment_and_config_file(vigil, tmp_path):
    cache = tmp_path / "cache"
    a = image(tmp_path, "a", "aaaa\n")
    # A size bound smaller than any entry: nothing written survives the scan.
    scan(vigil, a, cache, env={"VIGIL_CACHE_MAX_SIZE": "1B"})
    assert entries(cache) == {}
    (tmp_path / "vigil.yaml").write_text("cache-max-size: 1B\n")
    scan(vigil, a, cache, cwd=tmp_path)
    assert entries(cache) == {}
    # The flag wins over the file.
    scan(vigil, a, cache, "--cache-max-size", "1GB", cwd=tmp_path)
    assert len(entries(cache)) == 2


def test_a_write_in_progress_and_foreign_files_are_left_alone(vigil, tmp_path):
    cache = tmp_path / "cache"
    (cache / "scan").mkdir(parents=True)
    (cache / "db").mkdir()
    partial = cache / "scan" / ("0" * 64 + ".json.tmp.4242.AbC123")
    partial.write_bytes(b"{" * 100000)  # another process is writing this entry
    crashed = cache / "layers"
    crashed.mkdir()
    leftover = crashed / ("1" * 64 + ".json.tmp.4243.XyZ789")
    leftover.write_bytes(b"{")
    two_hours_ago = time.time() - 7200
    os.utime(leftover, (two_hours_ago, two_hours_ago))
    (cache / "db" / "vulndb.sqlite").write_bytes(b"x" * 100000)
    (cache / "scan" / "notes.txt").write_text("mine")
    scan(vigil, image(tmp_path, "a", "aaaa\n"), cache, "--cache-max-size", "1B")
    assert partial.exists() and (cache / "db" / "vulndb.sqlite").exists()
    assert (cache / "scan" / "notes.txt").exists()
    assert not leftover.exists()


def test_bad_limits_are_usage_errors(vigil, tmp_path):
    a = image(tmp_path, "a", "aaaa\n")
    r = vigil("scan", "--cache-max-size", "lots", a)
    assert r.rc == 2 and "--cache-max-size" in r.err, r
    r = vigil("scan", "--cache-max-age", "30d", a)
    assert r.rc == 2 and "--cache-max-age" in r.err, r
    r = vigil("scan", a, env={"VIGIL_CACHE_MAX_AGE": "soon"})
    assert r.rc == 2 and "VIGIL_CACHE_MAX_AGE" in r.err, r
