# SPDX-License-Identifier: Apache-2.0
"""containerd's `ctr` against `vigil registry serve`, with authentication, over plain HTTP
(htpasswd, Basic) and over TLS (the built-in token service, Bearer; ctr trusts the registry's
self-signed certificate through a --hosts-dir hosts.toml naming it as `ca`).

ctr keeps pulled content in a containerd daemon, so the test starts its own: `containerd` as
root with a private root, state directory and socket under a temporary directory (the CRI
plugin off), and stops it at the end. Everything skips with a reason when containerd or ctr
is not installed (Debian 12 package `containerd`, in scripts/install-deps), when the tests do
not run as root, or when the daemon does not come up.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import images
from conftest import vigil_bin
from registry_conformance.regclient import Impl, VigilRegistry
from test_registry_auth import AuthRegistry, htpasswd_line, stop

RULES = """access:
  - {repos: ["**"], users: [ci], actions: [pull, push, delete]}
  - {repos: ["**"], users: [dana], actions: [pull]}
"""


def run(args, timeout=120):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout)


def ok(p):
    assert p.returncode == 0, f"{p.args}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}"
    return p


@pytest.fixture(scope="module")
def containerd():
    for cmd in ("containerd", "ctr", "skopeo"):
        if shutil.which(cmd) is None:
            pytest.skip(f"{cmd} is not installed")
    if os.geteuid() != 0:
        pytest.skip("containerd needs root")
    d = Path(tempfile.mkdtemp(prefix="vg-ctrd-", dir="/tmp"))   # a socket path must be short
    sock = d / "containerd.sock"
    cfg = d / "config.toml"
    cfg.write_text(f'version = 2\nroot = "{d}/root"\nstate = "{d}/state"\n'
                   'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                   f'[grpc]\n  address = "{sock}"\n[ttrpc]\n  address = "{sock}.ttrpc"\n'
                   '[debug]\n  address = ""\n[metrics]\n  address = ""\n')
    log = open(d / "containerd.log", "wb")
    proc = subprocess.Popen(["containerd", "--config", str(cfg)], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 30
    try:
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                why = (d / "containerd.log").read_text(errors="replace")[-500:]
                pytest.skip(f"containerd did not start: {why}")
            if sock.exists() and run(["ctr", "--address", sock, "version"], 20).returncode == 0:
                break
            time.sleep(0.2)
        yield sock
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)
        log.close()
        shutil.rmtree(d, ignore_errors=True)


class TlsAuthRegistry(AuthRegistry):
    """AuthRegistry serving HTTPS with a self-signed certificate for 127.0.0.1."""

    def __init__(self, tmp, config: str):
        VigilRegistry.__init__(self, tmp, vigil_bin(), tls=True)
        self.config = self.dir / "registry.yaml"
        self.config.write_text(config)

    def start(self):
        return Impl.start(self)


@pytest.fixture(scope="module", params=["htpasswd-http", "token-tls"])
def reg(request, tmp_path_factory):
    d = tmp_path_factory.mktemp(f"ctr-{request.param}")
    users = d / "htpasswd"
    users.write_text(htpasswd_line("ci", "ci-pw") + "\n" + htpasswd_line("dana", "dana-pw") + "\n")
    if request.param == "token-tls":
        r = TlsAuthRegistry(d / "srv", f"auth:\n  htpasswd: {users}\n"
                            "  token: {service: vigil-ctr}\n" + RULES)
        r.start()
    else:
        r = AuthRegistry(d / "srv", f"auth:\n  htpasswd: {users}\n" + RULES)
        r.start()
    r.mode = request.param
    yield r
    stop(r)


def hosts_dir(reg, trust: bool) -> Path:
    """A containerd hosts directory for the registry: HTTPS (ctr otherwise speaks plain HTTP
    to a loopback address), trusting its certificate or not."""
    d = reg.dir / ("hosts-trusted" if trust else "hosts-untrusted")
    (d / reg.host).mkdir(parents=True, exist_ok=True)
    ca = f'  ca = "{reg.cert}"\n' if trust else ""
    (d / reg.host / "hosts.toml").write_text(
        f'server = "https://{reg.host}"\n[host."https://{reg.host}"]\n'
        f'  capabilities = ["pull", "resolve", "push"]\n{ca}')
    return d


def ctr(sock, reg, *args, tls=True):
    """ctr in a namespace of its own per registry, speaking plain HTTP or trusting its cert."""
    conn = ["--hosts-dir", hosts_dir(reg, tls)] if reg.cert else ["--plain-http"]
    verb, rest = args[0], args[1:]
    return run(["ctr", "--address", sock, "--namespace", f"vigil-{reg.mode}", "images", verb,
                *conn, *rest])


def test_ctr_pull_and_push_with_auth(containerd, reg, tmp_path):
    lay, img = images.build_image(tmp_path / "oci", tag="v1",
                                  layers=[{"etc/os-release": b"ID=debian\n"},
                                          {"app/bin": bytes(range(256)) * 32}])
    lay.save()
    ok(run(["skopeo", "--insecure-policy", "copy", "-q", "--preserve-digests",
            "--dest-tls-verify=false", "--dest-creds", "ci:ci-pw", f"oci:{lay.path}:v1",
            f"docker://{reg.host}/interop/ctr:v1"]))
    ref = f"{reg.host}/interop/ctr:v1"

    # pull: a pull-only user; the image lands in containerd with the pushed digest
    ok(ctr(containerd, reg, "pull", "--snapshotter", "native", "--user", "dana:dana-pw", ref))
    listed = ok(run(["ctr", "--address", containerd, "--namespace", f"vigil-{reg.mode}",
                     "images", "ls"])).stdout
    line = next(x for x in listed.splitlines() if x.startswith(ref + " "))
    assert img.desc["digest"] in line, listed

    # refusals: a wrong password, no credentials, a pull-only user pushing, and (TLS) a
    # certificate ctr does not trust
    assert ctr(containerd, reg, "pull", "--user", "dana:nope", ref).returncode != 0
    p = ctr(containerd, reg, "pull", ref)
    assert p.returncode != 0 and ("401" in p.stderr or "authorization" in p.stderr), p.stderr
    copy = f"{reg.host}/interop/ctr-copy:v1"
    p = ctr(containerd, reg, "push", "--user", "dana:dana-pw", copy, ref)
    assert p.returncode != 0, p.stdout
    if reg.cert:
        p = ctr(containerd, reg, "pull", "--user", "dana:dana-pw", ref, tls=False)
        assert p.returncode != 0 and "certificate" in p.stderr, p.stderr

    # push: ci copies the image to another repository; skopeo reads back the same bytes
    ok(ctr(containerd, reg, "push", "--user", "ci:ci-pw", copy, ref))
    raw = ok(run(["skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", "dana:dana-pw",
                  f"docker://{copy}"])).stdout.encode()
    assert raw == img.manifest_raw
