# SPDX-License-Identifier: Apache-2.0
"""Runs a command under /usr/bin/time -v and reads its peak RSS, for the tests that check a
command streams instead of holding a blob (test_saveload_stream.py, test_copy_stream.py)."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest


def require_time():
    if not shutil.which("/usr/bin/time"):
        pytest.skip("/usr/bin/time measures the peak RSS")


def run_peak_rss(cmd, env=None, timeout=300):
    """(CompletedProcess, peak RSS in KiB); its stderr keeps only the command's own lines
    (time -v's report follows them)."""
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True,
                       timeout=timeout, env=env)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    assert m, p.stderr
    p.stderr = p.stderr[:p.stderr.find("\tCommand being timed")]
    return p, int(m.group(1))
