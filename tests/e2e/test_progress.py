# SPDX-License-Identifier: Apache-2.0
"""Progress on stderr: `layers NN% X/Y` redrawn in place while layers stream from a slow
registry (a local one that dribbles the blob), on a terminal only (a pty here); never on a
pipe or a file, and never with -q."""
import os
import pty
import re
import select
import subprocess
import time

from conftest import vigil_bin
from images import build_image
from tiny_registry import TinyRegistry

PROGRESS = re.compile(r"\rlayers +(\d+)% [\d.]+ ?[kKMG]?i?B/[\d.]+ ?[kKMG]?i?B")
SIZE = 512 * 1024
RATE = 384 * 1024  # bytes per second: the blob takes about 1.3 s


def slow_registry(tmp_path):
    # Incompressible content, so the gzip blob is as big as the file.
    lay, img = build_image(tmp_path / "oci", layers=[{"etc/os-release": "ID=alpine\n",
                                                      "app/blob.bin": os.urandom(SIZE)}])
    return TinyRegistry(tmp_path / "oci", blob_rate=RATE), img


def run(args, env, tty):
    """Runs vigil with stderr on a fresh pty (tty=True) or a pipe; returns (rc, stderr)."""
    cmd = [vigil_bin(), *map(str, args)]
    if not tty:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env, timeout=120)
        return p.returncode, p.stderr.decode(errors="replace")
    master, slave = pty.openpty()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=slave, env=env)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    os.close(master)
    return p.wait(timeout=60), out.decode(errors="replace")


def scan_args(reg, tmp_path, *extra):
    return ["scan", "--scanners", "secret", "--no-cache", "--plain-http", "--format", "json",
            *extra, reg.ref()]


def test_progress_on_a_terminal_only(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("NO_COLOR", None)
    reg, img = slow_registry(tmp_path)
    big = max(d["size"] for d in img.layers)
    assert big > SIZE
    with reg:
        t0 = time.monotonic()
        rc, err = run(scan_args(reg, tmp_path), env, tty=True)
        took = time.monotonic() - t0
        assert rc == 0, err
        assert took >= SIZE / RATE * 0.8, took  # the registry really was slow
        frames = PROGRESS.findall(err)
        assert frames, repr(err)
        pct = [int(f) for f in frames]
        assert pct == sorted(pct) and pct[0] < 100, pct  # it moves forward while reading
        assert err.rstrip(" ").endswith("\r\x1b[K") or "\r\x1b[K" in err, repr(err)
        # Not on a pipe, not with -q on a terminal.
        rc, err = run(scan_args(reg, tmp_path), env, tty=False)
        assert rc == 0, err
        assert "layers" not in err and "\r" not in err and "\x1b" not in err, repr(err)
        rc, err = run(scan_args(reg, tmp_path, "-q"), env, tty=True)
        assert rc == 0, err
        assert "layers" not in err and "\r" not in err, repr(err)
        # Each of these runs read the layer from the registry (no cache).
        assert len(reg.blob_gets([big_digest(img)])) == 3


def big_digest(img):
    return max(img.layers, key=lambda d: d["size"])["digest"]
