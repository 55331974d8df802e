# SPDX-License-Identifier: Apache-2.0
"""Real clients logging in to `vigil registry serve` with authentication on, once with htpasswd
(Basic) and once with the built-in token service (Bearer, GET and POST /token):

- skopeo with --creds and with --authfile (a docker config.json);
- podman (vfs storage, no daemon): login, push, pull, and a refused push for a pull-only user;
- oras 1.2 and cosign 2.5 (Debian trixie, unpacked by scripts/install-deps under
  $VIGIL_TEST_CACHE/trixie-tools, as tests/e2e/registry_conformance does): login, artifact
  push/pull, sign/verify through the registry's auth;
- ctr (containerd) needs a running containerd for `ctr images push/pull` (its content store);
  it is skipped with that reason when no containerd socket answers.

Every test skips with a reason when its tool is absent.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import pytest

import images
from conftest import run_vigil
from registry_conformance.regclient import env_cache
from test_registry_auth import AuthClient, basic, htpasswd_line, start, stop

SKOPEO = ["skopeo", "--insecure-policy"]
PW = {"COSIGN_PASSWORD": "pw", "VIGIL_PASSWORD": "pw"}

RULES = """access:
  - {repos: ["**"], users: [ci], actions: [pull, push, delete]}
  - {repos: ["**"], users: [dana], actions: [pull]}
"""


def run(args, env=None, cwd=None, timeout=180):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=e,
                          cwd=cwd, timeout=timeout)


def ok(p):
    assert p.returncode == 0, f"{p.args}\nstdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}"
    return p


def need(cmd: str):
    if shutil.which(cmd) is None:
        pytest.skip(f"{cmd} is not installed")


def tool(name: str) -> str:
    p = env_cache() / "trixie-tools" / "usr" / "bin" / name
    if not p.exists():
        pytest.skip(f"{name} (Debian trixie) is not unpacked at {p}: run scripts/install-deps")
    return str(p)


@pytest.fixture(scope="module", params=["htpasswd", "token"])
def reg(request, tmp_path_factory):
    d = tmp_path_factory.mktemp(f"auth-{request.param}")
    users = d / "htpasswd"
    users.write_text(htpasswd_line("ci", "ci-pw") + "\n" + htpasswd_line("dana", "dana-pw") + "\n")
    token = "  token: {service: vigil-interop}\n" if request.param == "token" else ""
    r = start(d / "srv", f"auth:\n  htpasswd: {users}\n{token}" + RULES)
    r.mode = request.param
    yield r
    stop(r)


@pytest.fixture
def docker_config(reg, tmp_path):
    """A DOCKER_CONFIG directory whose config.json holds ci's credentials for the registry."""
    d = tmp_path / "docker"
    d.mkdir()
    auth = base64.b64encode(b"ci:ci-pw").decode()
    (d / "config.json").write_text(json.dumps({"auths": {reg.host: {"auth": auth}}}))
    return d


def image(tmp_path):
    lay, img = images.build_image(tmp_path / "oci", tag="v1",
                                  layers=[{"etc/os-release": b"ID=debian\n"},
                                          {"app/bin": bytes(range(256)) * 32}])
    return lay, img


def anonymous_refused(reg, repo):
    r = AuthClient(reg.url, None).get_manifest(repo, "v1")
    assert r.status == 401, r


# ------------------------------------------------------------------ skopeo

def test_skopeo_creds_and_authfile(reg, docker_config, tmp_path):
    need("skopeo")
    lay, img = image(tmp_path)
    dst = f"docker://{reg.host}/interop/skopeo:v1"
    ok(run([*SKOPEO, "copy", "-q", "--preserve-digests", "--dest-tls-verify=false",
            "--dest-creds", "ci:ci-pw", f"oci:{lay.path}:v1", dst]))
    ok(run([*SKOPEO, "copy", "-q", "--src-tls-verify=false", "--src-authfile",
            docker_config / "config.json", dst, f"oci:{tmp_path}/back:v1"]))
    ok(run([*SKOPEO, "inspect", "--tls-verify=false", "--authfile",
            docker_config / "config.json", dst]))
    p = run([*SKOPEO, "copy", "-q", "--dest-tls-verify=false", "--dest-creds", "dana:dana-pw",
             f"oci:{lay.path}:v1", f"docker://{reg.host}/interop/skopeo-dana:v1"])
    assert p.returncode != 0 and "denied" in p.stderr.lower(), p.stderr
    anonymous_refused(reg, "interop/skopeo")


# ------------------------------------------------------------------ podman

def test_podman_login_push_pull(reg, tmp_path, request):
    need("podman")
    need("skopeo")
    lay, img = image(tmp_path)
    runroot = tempfile.mkdtemp(prefix="vg-pm-")      # podman: runroot <= 50 characters
    request.addfinalizer(lambda: shutil.rmtree(runroot, ignore_errors=True))
    authfile = tmp_path / "podman-auth.json"
    pm = ["podman", "--root", tmp_path / "pm-root", "--runroot", runroot,
          "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none"]
    p = run([*pm, "login", "--tls-verify=false", "--authfile", authfile, "-u", "ci",
             "-p", "wrong", reg.host])
    assert p.returncode != 0, p.stdout
    ok(run([*pm, "login", "--tls-verify=false", "--authfile", authfile, "-u", "ci",
            "-p", "ci-pw", reg.host]))
    assert reg.host in json.loads(authfile.read_text())["auths"]
    ok(run([*SKOPEO, "copy", "-q", "--preserve-digests", "--dest-tls-verify=false",
            "--dest-authfile", authfile, f"oci:{lay.path}:v1",
            f"docker://{reg.host}/interop/podman:v1"]))
    ok(run([*pm, "pull", "-q", "--tls-verify=false", "--authfile", authfile,
            f"{reg.host}/interop/podman:v1"]))
    ok(run([*pm, "push", "-q", "--tls-verify=false", "--authfile", authfile,
            f"{reg.host}/interop/podman:v1", f"docker://{reg.host}/interop/podman-copy:v2"]))
    r = AuthClient(reg.url, basic("dana", "dana-pw")).get_manifest("interop/podman-copy", "v2")
    assert r.status == 200, r
    cfg = r.json()["config"]["digest"]
    c = AuthClient(reg.url, basic("dana", "dana-pw")).get_blob("interop/podman-copy", cfg)
    assert json.loads(c.body)["rootfs"]["diff_ids"] == img.diff_ids
    # dana may pull but not push
    dana_auth = tmp_path / "dana-auth.json"
    ok(run([*pm, "login", "--tls-verify=false", "--authfile", dana_auth, "-u", "dana",
            "-p", "dana-pw", reg.host]))
    p = run([*pm, "push", "-q", "--tls-verify=false", "--authfile", dana_auth,
             f"{reg.host}/interop/podman:v1", f"docker://{reg.host}/interop/podman-dana:v1"])
    assert p.returncode != 0 and ("denied" in p.stderr.lower() or
                                  "unauthorized" in p.stderr.lower()), p.stderr
    ok(run([*pm, "logout", "--authfile", authfile, reg.host]))


# ------------------------------------------------------------------ oras

def test_oras_login_push_pull(reg, tmp_path):
    oras = tool("oras")
    cfg = tmp_path / "oras-config.json"
    base = ["--plain-http", "--registry-config", cfg]
    p = run([oras, "login", *base, "-u", "ci", "-p", "wrong", reg.host])
    assert p.returncode != 0, p.stdout
    ok(run([oras, "login", *base, "-u", "ci", "-p", "ci-pw", reg.host]))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "model.bin").write_bytes(bytes(range(256)) * 100)
    ref = f"{reg.host}/interop/oras:art1"
    ok(run([oras, "push", *base, "--artifact-type", "application/vnd.example.model", ref,
            "model.bin:application/octet-stream"], cwd=tmp_path / "in"))
    (tmp_path / "out").mkdir()
    ok(run([oras, "pull", *base, "-o", tmp_path / "out", ref]))
    assert (tmp_path / "out" / "model.bin").read_bytes() == \
        (tmp_path / "in" / "model.bin").read_bytes()
    (tmp_path / "sbom.json").write_text('{"sbom": true}\n')
    ok(run([oras, "attach", *base, "--artifact-type", "application/vnd.example.sbom", ref,
            "sbom.json:application/json"], cwd=tmp_path))
    p = ok(run([oras, "discover", *base, "--format", "json", ref]))
    doc = json.loads(p.stdout)
    found = doc.get("manifests") or doc.get("referrers") or []
    assert [m["artifactType"] for m in found] == ["application/vnd.example.sbom"], doc
    # without credentials: refused
    p = run([oras, "pull", "--plain-http", "--registry-config", tmp_path / "none.json", "-o",
             tmp_path / "out2", ref])
    assert p.returncode != 0, p.stdout


# ------------------------------------------------------------------ cosign

def test_cosign_sign_verify_with_auth(reg, docker_config, tmp_path):
    cosign = tool("cosign")
    need("skopeo")
    lay, img = image(tmp_path)
    ref = f"{reg.host}/interop/cosign"
    ok(run([*SKOPEO, "copy", "-q", "--preserve-digests", "--dest-tls-verify=false",
            "--dest-creds", "ci:ci-pw", f"oci:{lay.path}:v1", f"docker://{ref}:v1"]))
    keys = tmp_path / "keys"
    keys.mkdir()
    assert run_vigil("generate-key-pair", env=PW, cwd=keys).rc == 0
    env = {**PW, "DOCKER_CONFIG": str(docker_config)}
    reg_flags = ["--allow-insecure-registry", "--allow-http-registry"]
    ok(run([cosign, "sign", "--key", keys / "cosign.key", "--tlog-upload=false", "-y",
            *reg_flags, f"{ref}@{img.digest}"], env=env))
    p = ok(run([cosign, "verify", "--key", keys / "cosign.pub", "--insecure-ignore-tlog",
                *reg_flags, f"{ref}:v1"], env=env))
    assert json.loads(p.stdout)[0]["critical"]["image"]["docker-manifest-digest"] == img.digest
    # cosign login writes the same config.json
    login_cfg = tmp_path / "cosign-login"
    login_cfg.mkdir()
    ok(run([cosign, "login", "-u", "dana", "-p", "dana-pw", reg.host],
           env={"DOCKER_CONFIG": str(login_cfg)}))
    p = ok(run([cosign, "verify", "--key", keys / "cosign.pub", "--insecure-ignore-tlog",
                *reg_flags, f"{ref}:v1"], env={**PW, "DOCKER_CONFIG": str(login_cfg)}))
    # no credentials: cosign cannot even read the image
    empty = tmp_path / "empty"
    empty.mkdir()
    p = run([cosign, "verify", "--key", keys / "cosign.pub", "--insecure-ignore-tlog",
             *reg_flags, f"{ref}:v1"], env={**PW, "DOCKER_CONFIG": str(empty)})
    assert p.returncode != 0, p.stdout


# ------------------------------------------------------------------ ctr

CONTAINERD_CONFIG = """version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
"""


@pytest.fixture(scope="module")
def containerd():
    """The address of a containerd for ctr's content store: $CONTAINERD_ADDRESS or the system's
    when one answers, else a private daemon of Debian's containerd (root, state and socket in a
    temp dir; needs root), stopped at the end."""
    need("ctr")
    sock = os.environ.get("CONTAINERD_ADDRESS", "/run/containerd/containerd.sock")
    if run(["ctr", "--address", sock, "version"], timeout=20).returncode == 0:
        yield sock
        return
    need("containerd")
    if os.geteuid() != 0:
        pytest.skip(f"no containerd answers at {sock}, and a private one needs root")
    d = tempfile.mkdtemp(prefix="vigil-ctd-")  # short: a unix socket path has 107 bytes
    conf = os.path.join(d, "config.toml")
    with open(conf, "w") as f:
        f.write(CONTAINERD_CONFIG.format(d=d))
    sock = os.path.join(d, "containerd.sock")
    log = open(os.path.join(d, "containerd.log"), "w")
    proc = subprocess.Popen(["containerd", "--config", conf], stdout=log, stderr=log)
    try:
        p = None
        for _ in range(100):
            if proc.poll() is not None:
                break
            p = run(["ctr", "--address", sock, "version"], timeout=20)
            if p.returncode == 0:
                break
            subprocess.run(["sleep", "0.1"])
        if p is None or p.returncode != 0:
            log.flush()
            pytest.fail(f"private containerd did not answer at {sock}: "
                        f"{open(log.name).read()[-500:]}")
        yield sock
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        subprocess.run(["umount", "-R", d], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


def test_ctr_push_pull(reg, tmp_path, containerd):
    sock = containerd
    lay, img = image(tmp_path)
    ok(run([*SKOPEO, "copy", "-q", "--preserve-digests", "--dest-tls-verify=false",
            "--dest-creds", "ci:ci-pw", f"oci:{lay.path}:v1",
            f"docker://{reg.host}/interop/ctr:v1"]))
    ok(run(["ctr", "--address", sock, "images", "pull", "--plain-http", "--user", "dana:dana-pw",
            f"{reg.host}/interop/ctr:v1"]))
    p = ok(run(["ctr", "--address", sock, "images", "ls", "-q"]))
    assert f"{reg.host}/interop/ctr:v1" in p.stdout.split(), p.stdout
    p = ok(run(["ctr", "--address", sock, "images", "ls"]))
    assert img.digest in p.stdout, p.stdout
    ok(run(["ctr", "--address", sock, "images", "push", "--plain-http", "--user", "ci:ci-pw",
            f"{reg.host}/interop/ctr-copy:v1", f"{reg.host}/interop/ctr:v1"]))
    p = ok(run([*SKOPEO, "inspect", "--raw", "--tls-verify=false", "--creds", "dana:dana-pw",
                f"docker://{reg.host}/interop/ctr-copy:v1"]))
    assert "sha256:" + hashlib.sha256(p.stdout.encode()).hexdigest() == img.digest
