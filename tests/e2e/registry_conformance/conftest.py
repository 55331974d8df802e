# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the registry conformance and interop tests.

`registry` is session-scoped and parametrized over the implementations under test: Debian's
`docker-registry` (CNCF Distribution 2.8.x, the reference a real client population works
with) and `vigil` (`vigil registry serve`). Each is started once per session on 127.0.0.1
with a fresh storage directory; tests use unique repository names (`repo`).

`vigil` is skipped with a reason while VIGIL_BIN has no `registry` subcommand.

A test that a real, spec-conformant registry must pass but that Distribution 2.8 cannot (the
v1.1 referrers API, `OCI-Subject`, or one of its documented bugs) carries
`@pytest.mark.xfail_impl("docker-registry", reason=...)`: it becomes a strict xfail for that
implementation ONLY (an unexpected pass is a failure, so the reason stays true), and a plain
test for every other implementation.
"""
from __future__ import annotations

import itertools

import pytest

from conftest import vigil_bin  # tests/e2e/conftest.py
from .regclient import (Client, Content, DockerRegistry, VigilAuthRegistry, VigilRegistry,
                        repo_name)

IMPLS = ["docker-registry", "vigil", "vigil-auth"]
# The conformance checks (test_conf_*) also run against vigil with htpasswd authentication on
# ("vigil-auth": the client sends Basic credentials); the interop and TLS tests drive clients
# without credentials and run on the first two only.
AUTH_ONLY_IN = "test_conf_"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "xfail_impl(impl, reason): strict xfail for that registry implementation")


def pytest_collection_modifyitems(config, items):
    dropped = [i for i in items if getattr(i, "callspec", None) and
               "vigil-auth" in (i.callspec.params.get("registry"),
                                i.callspec.params.get("tls_registry")) and
               not i.module.__name__.rsplit(".", 1)[-1].startswith(AUTH_ONLY_IN)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]
    for item in items:
        cs = getattr(item, "callspec", None)
        impl = cs.params.get("registry", cs.params.get("tls_registry")) if cs else None
        if impl is None:
            continue
        for m in item.iter_markers("xfail_impl"):
            if m.args[0] == impl:
                item.add_marker(pytest.mark.xfail(strict=True, reason=f"{impl}: {m.args[1]}"))


def _start(impl, tmp_path_factory, tls=False):
    if impl == "docker-registry":
        why = DockerRegistry.available()
        if why:
            pytest.skip(why)
        reg = DockerRegistry(tmp_path_factory.mktemp("docker-registry"), tls=tls)
    else:
        cls = VigilAuthRegistry if impl == "vigil-auth" else VigilRegistry
        why = cls.available(vigil_bin())
        if why:
            pytest.skip(why)
        reg = cls(tmp_path_factory.mktemp(impl + "-registry"), vigil_bin(), tls=tls)
    reg.start()
    if impl == "vigil-auth":  # the variant is worth nothing if the server were open
        r = Client(reg.url).request("GET", "/v2/_catalog")
        assert r.status == 401 and r.header("WWW-Authenticate"), r
    return reg


def _finish(reg):
    alive = reg.alive()
    reg.stop()
    log = reg.log_path.read_text(errors="replace")
    # A server that died during the session fails the last test that used it, visibly.
    assert alive, f"{reg.name} exited during the session: " + log[-3000:]
    if reg.name.startswith("vigil"):
        # SIGTERM is a graceful drain (issue #12): exit 0, and under ASan/UBSan no report.
        for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert mark not in log, f"vigil registry: sanitizer report:\n{log[-6000:]}"
        assert reg.proc.returncode == 0, \
            f"vigil registry exited {reg.proc.returncode} on SIGTERM:\n{log[-3000:]}"


@pytest.fixture(scope="session", params=IMPLS)
def registry(request, tmp_path_factory):
    reg = _start(request.param, tmp_path_factory)
    yield reg
    _finish(reg)


@pytest.fixture(scope="session", params=IMPLS)
def tls_registry(request, tmp_path_factory):
    """The same implementation serving HTTPS with a self-signed certificate for 127.0.0.1
    (reg.cert is its own CA)."""
    reg = _start(request.param, tmp_path_factory, tls=True)
    yield reg
    _finish(reg)


@pytest.fixture
def client(registry):
    if not registry.alive():
        pytest.fail(f"{registry.name} is no longer running: " +
                    registry.log_path.read_text(errors="replace")[-3000:])
    return Client(registry.url, authorization=getattr(registry, "authorization", None))


_counter = itertools.count(1)


@pytest.fixture
def repo(request):
    return repo_name(request.node.name, next(_counter))


@pytest.fixture(scope="session")
def content():
    return Content()


@pytest.fixture(scope="session")
def multiarch(tmp_path_factory):
    """An OCI layout with a two-platform index tagged v1 (tests/e2e/images.py), built once."""
    import images  # tests/e2e/images.py
    d = tmp_path_factory.mktemp("multiarch")
    return images.build_multiarch(d / "oci", tag="v1")
