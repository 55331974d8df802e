# SPDX-License-Identifier: Apache-2.0
"""`vigil scan` as users run it from shells and CI: `--exit-code` values that collide with
vigil's own error codes (docs/exit-codes.md), `-q` (nothing but results and errors), options
from the environment and a config file (docs/scan-config.md), and what a terminal gets that a
pipe does not (width-aware tables, progress)."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from conftest import run_vigil
    d = tmp_path_factory.mktemp("scancli")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "sample-image.py"), str(d / "image")],
                   check=True, capture_output=True)
    db = d / "vulndb.sqlite"
    r = run_vigil("db", "build", "--from", ROOT / "examples" / "osv", "--db", db)
    assert r.rc == 0, r
    return {"image": f"oci:{d / 'image'}:demo", "db": str(db), "dir": d,
            "env": {"XDG_CACHE_HOME": str(d / "cache")}}


def scan(vigil, sample, *args, env=None, cwd=None):
    e = dict(sample["env"])
    e.update(env or {})
    return vigil("scan", "--offline", "--db", sample["db"], *args, sample["image"], env=e,
                 cwd=cwd)


# ---------------------------------------------------------------- --exit-code


@pytest.mark.parametrize("code,meaning", [(2, "usage errors"), (3, "runtime errors"),
                                          (5, "refused authentication"), (7, "network errors")])
def test_exit_code_colliding_with_reserved_code_warns_and_still_works(vigil, sample, code,
                                                                      meaning):
    r = scan(vigil, sample, "--no-cache", "--format", "json", "--severity", "CRITICAL",
             "--exit-code", str(code))
    assert r.rc == code, r  # Trivy-compatible: the value is honoured
    warn = [ln for ln in r.err.splitlines() if "--exit-code" in ln]
    assert len(warn) == 1, r.err
    assert f"--exit-code {code} is also vigil's exit code for {meaning}" in warn[0]
    assert warn[0].startswith("vigil: warn: ")


@pytest.mark.parametrize("code", ["0", "1", "8", "42", "255"])
def test_exit_code_outside_reserved_range_is_silent(vigil, sample, code):
    r = scan(vigil, sample, "--no-cache", "--format", "json", "--exit-code", code)
    assert "--exit-code" not in r.err, r
    assert r.rc == (0 if code == "0" else int(code)), r


@pytest.mark.parametrize("code", ["256", "-1", "1000000", "x", "", "3.0"])
def test_exit_code_outside_0_255_is_a_usage_error(vigil, sample, code):
    r = scan(vigil, sample, "--exit-code", code)
    assert r.rc == 2, r
    assert "--exit-code" in r.err and r.out == ""


# ---------------------------------------------------------------- -q


def test_quiet_silences_notices_and_warnings_but_not_errors(vigil, sample, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = scan(vigil, sample, "--format", "json", "--severity", "LOW", env=env)
    assert first.rc == 0, first
    # Second run: the analysis comes from the cache, and vigil says so on stderr ...
    again = scan(vigil, sample, "--format", "json", "--exit-code", "3", "--severity", "LOW",
                 env=env)
    assert again.rc == 0, again
    assert "reused from the cache" in again.err, again
    assert "--exit-code 3" in again.err
    results = json.loads(first.out)["Results"]
    assert json.loads(again.out)["Results"] == results  # the notice is not in the report
    # ... and nothing at all with -q (or --quiet), while the results are the same.
    for q in ("-q", "--quiet"):
        quiet = scan(vigil, sample, q, "--format", "json", "--exit-code", "3", "--severity",
                     "LOW", env=env)
        assert quiet.rc == 0 and quiet.err == "", quiet
        assert json.loads(quiet.out)["Results"] == results
    table = scan(vigil, sample, "-q", env=env)
    assert table.rc == 0 and table.err == "" and "Total:" in table.out, table
    assert "cache" not in table.out
    # Errors still print.
    r = vigil("scan", "-q", "--offline", "--db", sample["db"], f"oci:{tmp_path}/missing:x",
              env=env)
    assert r.rc == 4, r
    assert r.err.startswith("vigil: error: ") and len(r.err.splitlines()) == 1, r


def test_quiet_wins_over_log_levels(vigil, sample, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "VG_LOG": "trace"}
    args = ("--format", "json", "--no-cache", "--exit-code", "4", "--severity", "LOW")
    loud = scan(vigil, sample, *args, env=env)
    assert loud.rc == 0 and "vigil: warn: --exit-code 4" in loud.err, loud
    quiet = scan(vigil, sample, "-q", *args, env=env)
    assert quiet.rc == 0 and quiet.err == "", quiet


# ---------------------------------------------------------------- environment and config file


def vulns(r):
    assert r.rc in (0, 1, 9), r
    doc = json.loads(r.out)
    return {(v["VulnerabilityID"], v["Severity"]) for res in doc["Results"]
            for v in res.get("Vulnerabilities", [])}


def test_env_vars_set_options_with_precedence(vigil, sample, tmp_path):
    base = {"VIGIL_FORMAT": "json", "VIGIL_NO_CACHE": "true"}
    only_crit = vulns(scan(vigil, sample, env={**base, "VIGIL_SEVERITY": "CRITICAL"}))
    assert only_crit and {s for _, s in only_crit} == {"CRITICAL"}
    # TRIVY_ names work for Trivy's flags ...
    r = scan(vigil, sample, env={**base, "TRIVY_SEVERITY": "CRITICAL", "TRIVY_EXIT_CODE": "1"})
    assert r.rc == 1 and vulns(r) == only_crit, r
    # ... VIGIL_ beats TRIVY_, and a flag beats both.
    r = scan(vigil, sample, env={**base, "TRIVY_SEVERITY": "LOW", "VIGIL_SEVERITY": "CRITICAL"})
    assert vulns(r) == only_crit
    r = scan(vigil, sample, "--severity", "HIGH", env={**base, "VIGIL_SEVERITY": "CRITICAL"})
    assert {s for _, s in vulns(r)} == {"HIGH"}
    # Lists: repeatable flags from a comma list; booleans as Trivy spells them.
    r = scan(vigil, sample, env={**base, "VIGIL_PKG_TYPES": "os", "VIGIL_SCANNERS": "vuln",
                                 "TRIVY_LIST_ALL_PKGS": "1"})
    doc = json.loads(r.out)
    assert {res["Class"] for res in doc["Results"]} == {"os-pkgs"}, r
    assert all("Packages" in res for res in doc["Results"])
    # --output from the environment: the report goes to the file.
    out = tmp_path / "report.json"
    r = scan(vigil, sample, env={**base, "VIGIL_OUTPUT": str(out)})
    assert r.rc == 0 and r.out == "" and json.loads(out.read_text())["SchemaVersion"] == 2


def test_env_var_errors_name_the_variable(vigil, sample):
    r = scan(vigil, sample, env={"VIGIL_SEVERITY": "BOGUS"})
    assert r.rc == 2 and "--severity came from $VIGIL_SEVERITY" in r.err, r
    r = scan(vigil, sample, env={"TRIVY_EXIT_CODE": "300"})
    assert r.rc == 2 and "--exit-code came from $TRIVY_EXIT_CODE" in r.err, r
    r = scan(vigil, sample, env={"VIGIL_IGNORE_UNFIXED": "maybe"})
    assert r.rc == 2 and "$VIGIL_IGNORE_UNFIXED" in r.err, r
    # Not a Trivy flag: TRIVY_DB is not read (vigil's --db has no Trivy counterpart).
    r = scan(vigil, sample, "--format", "json", env={"TRIVY_DB": "/nonexistent/db"})
    assert r.rc == 0, r


def test_vigil_yaml_in_cwd_and_trivy_keys(vigil, sample, tmp_path):
    (tmp_path / "vigil.yaml").write_text(
        "# CI gate\n"
        "severity: [CRITICAL]\n"
        "exit-code: 9\n"
        "format: json\n"
        "scan:\n"
        "  scanners: [vuln]\n"
        "vulnerability:\n"
        "  ignore-unfixed: true\n"
        "no-cache: true\n")
    r = scan(vigil, sample, cwd=tmp_path)
    assert r.rc == 9, r
    assert {s for _, s in vulns(r)} == {"CRITICAL"}
    # The environment and flags beat the file.
    r = scan(vigil, sample, env={"VIGIL_EXIT_CODE": "0"}, cwd=tmp_path)
    assert r.rc == 0, r
    r = scan(vigil, sample, "--severity", "LOW", cwd=tmp_path)
    assert r.rc == 0 and vulns(r) == set(), r
    # A trivy.yaml with Trivy's keys, named with --config.
    (tmp_path / "trivy.yaml").write_text(
        "severity:\n  - HIGH\n  - CRITICAL\n"
        "exit-code: 1\n"
        "format: json\n"
        "scan:\n  skip-dirs:\n    - app/node_modules\n  scanners: [vuln]\n")
    r = scan(vigil, sample, "--config", tmp_path / "trivy.yaml")
    assert r.rc == 1, r
    names = {v["PkgName"] for res in json.loads(r.out)["Results"]
             for v in res.get("Vulnerabilities", [])}
    assert "lodash" not in names and "requests" in names, names  # skip-dirs took effect


def test_bad_config_file_is_refused_with_its_position(vigil, sample, tmp_path):
    cfg = tmp_path / "vigil.yaml"
    cfg.write_text("severity: [HIGH]\nscan:\n  skip-dirz: [a]\n")
    r = scan(vigil, sample, cwd=tmp_path)
    assert r.rc == 6 and r.out == "", r
    assert "vigil.yaml:3:3: unknown key 'scan.skip-dirz'" in r.err
    assert len(r.err.splitlines()) == 1
    cfg.write_text("exit-code: 300\n")
    r = scan(vigil, sample, cwd=tmp_path)
    assert r.rc == 2 and "--exit-code came from vigil.yaml:1:12" in r.err, r
    r = scan(vigil, sample, "--config", tmp_path / "absent.yaml")
    assert r.rc == 4 and "absent.yaml" in r.err, r
    # --help works whatever the config file says.
    r = vigil("scan", "--help", cwd=tmp_path)
    assert r.rc == 0 and "--config FILE" in r.out and "VIGIL_" in r.out, r


# ---------------------------------------------------------------- terminals and pipes


def run_on_tty(sample, *args, env=None):
    """Runs a table scan with stdout on a pseudo-terminal; returns (rc, stdout text)."""
    import os
    import pty
    from conftest import vigil_bin
    master, slave = pty.openpty()
    e = dict(os.environ)
    e.update(sample["env"])
    e.update(env or {})
    e.pop("NO_COLOR", None)
    p = subprocess.Popen([vigil_bin(), "scan", "-q", "--offline", "--db", sample["db"], *args,
                          sample["image"]], stdout=slave, stderr=subprocess.PIPE, env=e)
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not b:
            break
        chunks.append(b)
    os.close(master)
    p.wait(timeout=120)
    assert p.stderr.read() == b""
    return p.returncode, b"".join(chunks).decode().replace("\r\n", "\n")


def visible(line):
    import re
    return re.sub(r"\x1b\[[0-9;]*m", "", line)


@pytest.mark.parametrize("cols", [80, 100, 132])
def test_table_fits_the_terminal_width(vigil, sample, cols):
    rc, out = run_on_tty(sample, env={"COLUMNS": str(cols)})
    assert rc == 0, out
    lines = [visible(ln) for ln in out.splitlines()]
    assert "\x1b[" in out  # a terminal gets colours
    rows = [ln for ln in lines if "CVE-" in ln]
    assert rows
    for ln in lines:
        assert len(ln) <= cols, (cols, ln)
        assert ln == ln.rstrip(), ln  # no trailing spaces
    # The columns the table narrows first are the title and the versions; ids stay whole.
    assert any("CVE-2021-44906" in ln for ln in rows)
    assert any("2.36-9+deb12u4" in ln or "2.36-9+d..." in ln for ln in rows)


def test_wide_terminal_shows_whole_titles_and_pipes_keep_fixed_widths(vigil, sample):
    title = "Insufficiently Protected Credentials in Requests"
    rc, wide = run_on_tty(sample, env={"COLUMNS": "250"})
    assert rc == 0 and title in wide
    narrow_rc, narrow = run_on_tty(sample, env={"COLUMNS": "80"})
    assert title not in narrow and narrow_rc == 0
    # A pipe ignores COLUMNS: the same bytes whatever it says, and the fixed layout.
    piped = [scan(vigil, sample, "-q", env={"COLUMNS": c}) for c in ("40", "250")]
    assert piped[0].out == piped[1].out and piped[0].rc == 0
    header = next(ln for ln in piped[0].out.splitlines() if ln.startswith("Library"))
    assert header == ("Library                Vulnerability        Severity  Status       "
                      "Installed Version      Fixed Version          Title")
    assert "\x1b[" not in piped[0].out
    assert all(ln == ln.rstrip() for ln in piped[0].out.splitlines())
