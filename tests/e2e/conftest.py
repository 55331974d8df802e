# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures for end-to-end tests that drive the real vigil binary.

VIGIL_BIN selects the binary (default: build/src/cli/vigil); SHARED_DIR the steering repo's
shared/ folder (default: ../shared beside the checkout). Tests that need ../shared use the
`shared_dir` fixture, which skips cleanly when it is absent.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def vigil_bin():
    return os.environ.get("VIGIL_BIN", str(ROOT / "build" / "src" / "cli" / "vigil"))


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return f"<rc={self.rc} out={self.out[:2000]!r} err={self.err[:2000]!r}>"


def run_vigil(*args, input=None, env=None, timeout=300, cwd=None):
    e = dict(os.environ)
    e.setdefault("XDG_CACHE_HOME", "/tmp/vigil-test-cache")
    if env:
        e.update(env)
    p = subprocess.run([vigil_bin(), *map(str, args)], input=input, capture_output=True,
                       text=isinstance(input, str) or input is None, env=e, timeout=timeout,
                       cwd=cwd)
    return Result(p)


@pytest.fixture
def vigil():
    if not Path(vigil_bin()).exists():
        pytest.fail(f"vigil binary not built: {vigil_bin()}")
    return run_vigil


@pytest.fixture(scope="session")
def shared_dir():
    d = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
    if not d.is_dir():
        pytest.skip("../shared is absent")
    return d


def have(tool):
    return shutil.which(tool) is not None


@pytest.fixture(scope="session")
def data_dir():
    return ROOT / "tests" / "data"
