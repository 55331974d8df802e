# SPDX-License-Identifier: Apache-2.0
"""--insecure-registries HOST:PORT,... on `admit serve`, `admit check` and `policy check`: a
plain-HTTP `vigil registry serve` reached at the machine's own non-loopback address (loopback
registries fall back to HTTP on their own, so they would prove nothing). A signature requirement
is satisfied only when the registry is listed: without the flag, or with another registry
listed, the check goes to HTTPS, fails and denies (fail closed); with it, the signed image is
admitted, /mutate pins its tag over HTTP, and an unsigned one is still denied. Malformed lists
are usage errors. Skips without skopeo or a non-loopback IPv4 address."""
import base64
import json
import shutil
import socket
import subprocess

import pytest

from conftest import vigil_bin
from images import build_image
from registry_serve import Serve
from test_admit import Webhook
from test_admit_registry import PW, ok, run, skopeo_push


def own_address():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # no packet is sent: only picks the outgoing address
        a = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if a.startswith("127.") or a == "0.0.0.0" else a


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not shutil.which("skopeo"):
        pytest.skip("skopeo is not installed")
    addr = own_address()
    if not addr:
        pytest.skip("no non-loopback IPv4 address")
    d = tmp_path_factory.mktemp("insecreg")
    srv = Serve(d / "root", d / "serve.log", args=["--addr", f"{addr}:0"]).start()
    host = f"{addr}:{srv.port}"
    ok(run([vigil_bin(), "generate-key-pair", "--output-key-prefix", "a"], env=PW, cwd=d))
    lay, _ = build_image(d / "small", tag="v1", layers=[{"app.txt": b"the app\n"}])
    for repo in ("shop/app", "shop/unsigned"):
        skopeo_push(f"oci:{lay.path}:v1", f"{host}/{repo}:1")
    ok(run([vigil_bin(), "sign", "--key", d / "a.key", "--insecure", f"{host}/shop/app:1"],
           env=PW))
    policy = d / "policy.yaml"
    policy.write_text(f"""apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {{name: signed}}
spec:
  trustedImages: ["{host}/**"]
  signatures:
    - images: ["{host}/**"]
      keys: [{{file: {d / 'a.pub'}}}]
""")
    yield {"srv": srv, "host": host, "dir": d, "policy": policy}
    srv.kill()


def policy_check(world, image, *extra):
    return run([vigil_bin(), "policy", "check", "-p", world["policy"], "--format", "json",
                *extra, image])


def test_policy_check(world):
    h = world["host"]
    p = policy_check(world, f"{h}/shop/app:1")
    assert p.returncode == 1, p.stdout + p.stderr  # HTTPS to a plain-HTTP registry: denied
    p = policy_check(world, f"{h}/shop/app:1", "--insecure-registries", "other.example:5000")
    assert p.returncode == 1, p.stdout + p.stderr
    p = policy_check(world, f"{h}/shop/app:1", "--insecure-registries",
                     f"other.example:5000,{h.upper()}")
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout)["allowed"] is True
    p = policy_check(world, f"{h}/shop/unsigned:1", "--insecure-registries", h)
    assert p.returncode == 1, p.stdout + p.stderr
    # the registry only sees requests when it is listed: the access log names the plain HTTP
    # signature lookups (cosign's sha256-<hex>.sig tag)
    log = (world["dir"] / "serve.log.access").read_text()
    assert ".sig" in log


def test_admit_check(world, tmp_path):
    h = world["host"]
    m = tmp_path / "pod.yaml"
    m.write_text(f"""apiVersion: v1
kind: Pod
metadata: {{name: p, namespace: shop}}
spec: {{containers: [{{name: a, image: "{h}/shop/app:1"}}]}}
""")
    base = [vigil_bin(), "admit", "check", "-p", world["policy"], "--format", "json"]
    p = run(base + [m])
    assert p.returncode == 1, p.stdout + p.stderr
    p = run(base + ["--insecure-registries", h, m])
    assert p.returncode == 0, p.stdout + p.stderr


def review(image, uid="u-1"):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "namespace": "shop", "operation": "CREATE",
                        "object": {"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": "p", "namespace": "shop"},
                                   "spec": {"containers": [{"name": "c", "image": image}]}}}}


def test_admit_serve(world, tmp_path):
    h = world["host"]
    policy_text = world["policy"].read_text()
    (tmp_path / "off").mkdir()
    hook = Webhook(tmp_path / "off", policy_text=policy_text)
    try:
        r = hook.review("/validate?timeout=10s", review(f"{h}/shop/app:1"))["response"]
        assert r["allowed"] is False, r
    finally:
        assert hook.stop() == 0
    (tmp_path / "on").mkdir()
    hook = Webhook(tmp_path / "on", policy_text=policy_text,
                   extra=("--insecure-registries", h))
    try:
        r = hook.review("/validate?timeout=10s", review(f"{h}/shop/app:1"))["response"]
        assert r["allowed"] is True, r
        r = hook.review("/validate?timeout=10s", review(f"{h}/shop/unsigned:1", "u-2"))
        assert r["response"]["allowed"] is False
        r = hook.review("/mutate?timeout=10s", review(f"{h}/shop/app:1", "u-3"))["response"]
        assert r["allowed"] is True and r["patchType"] == "JSONPatch", r
        patch = json.loads(base64.b64decode(r["patch"]))
        pinned = [op["value"] for op in patch if op["op"] == "replace"]
        assert len(pinned) == 1 and pinned[0].startswith(f"{h}/shop/app:1@sha256:"), patch
    finally:
        assert hook.stop() == 0


@pytest.mark.parametrize("value", ["", "a b", "host:", "host:123456", "host:1:2", ",x",
                                   "x,,y", "[::1", "h/x", "h:p"])
def test_malformed_lists(value, tmp_path):
    pol = tmp_path / "p.yaml"
    pol.write_text("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: x}\n"
                   "spec: {trustedImages: ['docker.io/**']}\n")
    for cmd in (["policy", "check", "-p", pol, "--insecure-registries", value, "a/b:1"],
                ["admit", "check", "-p", pol, "--insecure-registries", value, pol],
                ["admit", "serve", "-p", pol, "--insecure-plain-http-for-tests",
                 "--insecure-registries", value]):
        p = subprocess.run([vigil_bin(), *map(str, cmd)], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 2, (cmd, p.stderr)
        assert "--insecure-registries" in p.stderr


def test_given_twice_and_good_forms(tmp_path):
    pol = tmp_path / "p.yaml"
    pol.write_text("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: x}\n"
                   "spec: {trustedImages: ['docker.io/**']}\n")
    p = subprocess.run([vigil_bin(), "policy", "check", "-p", str(pol), "--offline",
                        "--insecure-registries", "a:1", "--insecure-registries", "b", "a/b:1"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "twice" in p.stderr
    p = subprocess.run([vigil_bin(), "policy", "check", "-p", str(pol), "--offline",
                        "--insecure-registries", "reg.local:5000,[fd00::1]:443,localhost,10.0.0.1",
                        "a/b:1"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
