# SPDX-License-Identifier: Apache-2.0
"""`--timeout` (the whole run, Trivy's flag, default 5m0s) and `--stall-timeout` (a transfer that
receives nothing for that long fails) against a registry that stalls: a Python socket server that
reads the request, sends a 200 status line, headers and one byte of the body, then goes silent
with the connection open. The scan must fail with one clear line naming the URL, exit 7, within a
bounded time, and without retrying the stalled request.
"""
import time

import pytest

from hanging_server import HangingServer


STALL_REPLY = (b"HTTP/1.1 200 OK\r\n"
               b"Content-Type: application/vnd.oci.image.manifest.v1+json\r\n"
               b"Content-Length: 500\r\n\r\n{")


@pytest.fixture
def stall():
    s = HangingServer(reply=STALL_REPLY)
    yield s
    s.close()


def timed(vigil, *args):
    t0 = time.monotonic()
    r = vigil(*args, timeout=60)
    return r, time.monotonic() - t0


def one_error_line(r):
    lines = [l for l in r.err.splitlines() if l.startswith("vigil: error:")]
    assert len(lines) == 1, r
    return lines[0]


def test_stalled_registry_fails_after_the_stall_limit(vigil, stall, tmp_path):
    ref = f"127.0.0.1:{stall.port}/team/app:v1"
    r, took = timed(vigil, "scan", "--offline", "--db", tmp_path / "none.sqlite", "--plain-http",
                    "--stall-timeout", "2s", ref)
    assert r.rc == 7, r
    line = one_error_line(r)
    assert f"GET http://127.0.0.1:{stall.port}/v2/team/app/manifests/v1: stalled: " \
           "no data received for 2 s" in line, r
    assert 1.5 < took < 10, took
    assert len(stall.requests) == 1, stall.requests  # not retried


def test_timeout_bounds_the_whole_scan(vigil, stall, tmp_path):
    ref = f"127.0.0.1:{stall.port}/team/app:v1"
    r, took = timed(vigil, "scan", "--offline", "--db", tmp_path / "none.sqlite", "--plain-http",
                    "--timeout", "3s", ref)
    assert r.rc == 7, r
    line = one_error_line(r)
    assert f"scan {ref} (--timeout):" in line, r
    assert "/v2/team/app/manifests/v1: time limit reached" in line, r
    assert 2.5 < took < 10, took


def test_sbom_takes_the_same_limits(vigil, stall):
    ref = f"127.0.0.1:{stall.port}/team/app:v1"
    r, took = timed(vigil, "sbom", "--plain-http", "--timeout", "1500ms", ref)
    assert r.rc == 7 and "time limit reached" in r.err, r
    assert took < 10, took


@pytest.mark.parametrize("flag,value", [("--timeout", "5x"), ("--timeout", "m"),
                                        ("--timeout", ""), ("--timeout", "-1s"),
                                        ("--stall-timeout", "0"), ("--stall-timeout", "500ms"),
                                        ("--stall-timeout", "25h")])
def test_bad_durations_are_usage_errors(vigil, flag, value):
    r = vigil("scan", flag, value, "example.com/x:1")
    assert r.rc == 2, r
    assert flag in r.err, r


def test_go_durations_accepted(vigil, tmp_path):
    # Parsed, then the scan fails for the expected reason (no such layout), not the flag.
    for v in ("5m0s", "1h30m", "1.5h", "90s", "250ms", "0"):
        r = vigil("scan", "--timeout", v, "--offline", f"oci:{tmp_path}/missing:latest")
        assert r.rc == 4, (v, r)
    assert "--timeout DURATION" in vigil("scan", "--help").out
    assert "--timeout DURATION" in vigil("sbom", "--help").out


# ---------------------------------------------------------------- local images

@pytest.fixture(scope="module")
def big_local(tmp_path_factory):
    """A local OCI layout whose one gzip layer (1 MB) inflates to 256 MiB of zeros."""
    from big_layer import build_big_layout
    root, digest, size = build_big_layout(tmp_path_factory.mktemp("big") / "oci", 256 << 20)
    return f"oci:{root}:latest", digest


@pytest.mark.parametrize("cmd", [("scan", "--scanners", "vuln,secret", "--offline"),
                                 ("sbom",)])
def test_timeout_bounds_local_layer_analysis(vigil, big_local, tmp_path, cmd):
    """--timeout also covers an image that needs no network: the deadline is checked while its
    layers are decompressed and analysed, and the error names the layer."""
    ref, digest = big_local
    db = ("--db", tmp_path / "none.sqlite") if cmd[0] == "scan" else ()
    r, took = timed(vigil, *cmd, *db, "--no-cache", "--timeout", "50ms", ref)
    assert r.rc == 7, r
    err = one_error_line(r)
    assert "time limit reached while analysing layer 1 of 1" in err, r
    assert digest in err and "decompressing" in err and "--timeout" in err, r
    assert r.out == ""
    assert took < 30, took


def test_local_layer_analysis_within_the_timeout_succeeds(vigil, big_local):
    ref, _ = big_local
    r = vigil("sbom", "--no-cache", "--format", "json", "--timeout", "5m", ref, timeout=120)
    assert r.rc == 0, r
