"""The webhook uses the pod's imagePullSecrets as registry credentials: an auth-enabled
`vigil registry serve` (htpasswd) holds a signed image; the webhook has no credentials of its
own (an empty $DOCKER_CONFIG). Without the secret the signature cannot be read (denied); with
`imagePullSecrets: [{name: regcred}]` the Secret (kubernetes.io/dockerconfigjson) is read from
a directory of recorded Secret objects (--pull-secrets-dir) or from a fake Kubernetes API that
serves recorded responses and checks the bearer token (--kubeconfig): admitted, and /mutate
resolves the tag with it. A missing or forbidden secret is skipped with a warning, as the
kubelet does. Skips without skopeo or htpasswd (apache2-utils)."""
import base64
import http.server
import json
import os
import shutil
import subprocess
import threading

import pytest

from conftest import vigil_bin
from images import build_image
from registry_serve import Serve
from test_admit import Webhook

PW = {"COSIGN_PASSWORD": "pw", "VIGIL_PASSWORD": "pw"}
TOKEN = "t0ken-of-the-webhook-sa"


def run(cmd, env=None):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=180,
                          env={**os.environ, **(env or {})})


def ok(p):
    assert p.returncode == 0, f"{p.args}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}"
    return p


def secret(name, ns, host, user, password, kind="dockerconfigjson"):
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    entries = {host: {"auth": auth}}
    if kind == "dockerconfigjson":
        data = {".dockerconfigjson": base64.b64encode(
            json.dumps({"auths": entries}).encode()).decode()}
        typ = "kubernetes.io/dockerconfigjson"
    else:
        data = {".dockercfg": base64.b64encode(json.dumps(entries).encode()).decode()}
        typ = "kubernetes.io/dockercfg"
    return {"apiVersion": "v1", "kind": "Secret", "type": typ,
            "metadata": {"name": name, "namespace": ns}, "data": data}


class FakeAPI:
    """Serves recorded GET /api/v1/namespaces/NS/secrets/NAME responses; requires the token."""

    def __init__(self, secrets, forbidden=()):
        self.requests = []
        api = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                api.requests.append((self.path, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self.answer(401, {"kind": "Status", "code": 401})
                parts = self.path.strip("/").split("/")
                if len(parts) == 6 and parts[:3] == ["api", "v1", "namespaces"] \
                        and parts[4] == "secrets":
                    ns, name = parts[3], parts[5]
                    if ns in forbidden:
                        return self.answer(403, {"kind": "Status", "code": 403,
                                                 "reason": "Forbidden"})
                    if (ns, name) in secrets:
                        return self.answer(200, secrets[(ns, name)])
                return self.answer(404, {"kind": "Status", "code": 404, "reason": "NotFound"})

            def answer(self, code, doc):
                body = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    for tool in ("skopeo", "htpasswd"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    d = tmp_path_factory.mktemp("pullsecrets")
    hp = d / "htpasswd"
    hp.write_text(ok(run(["htpasswd", "-nbB", "-C", "5", "ci", "ci-pw"])).stdout.strip() + "\n")
    cfg = d / "registry.yaml"
    cfg.write_text(f"auth:\n  htpasswd: {hp}\naccess:\n"
                   "  - {repos: [\"**\"], users: [ci], actions: [pull, push]}\n")
    srv = Serve(d / "root", d / "serve.log", args=["--config", str(cfg)]).start()
    host = srv.host
    empty = d / "docker-empty"
    empty.mkdir()
    old = os.environ.get("DOCKER_CONFIG")
    os.environ["DOCKER_CONFIG"] = str(empty)  # the webhook has no credentials of its own
    lay, _ = build_image(d / "img", tag="v1", layers=[{"private.txt": b"private\n"}])
    ok(run(["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
            "--dest-creds", "ci:ci-pw", f"oci:{lay.path}:v1", f"docker://{host}/private/app:1"]))
    ok(subprocess.run([vigil_bin(), "generate-key-pair"], env={**os.environ, **PW}, cwd=d,
                      capture_output=True, text=True))
    ok(run([vigil_bin(), "sign", "--key", d / "cosign.key", "--insecure", "--creds", "ci:ci-pw",
            f"{host}/private/app:1"], env=PW))
    policy = f"""apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {{name: signed}}
spec:
  trustedImages: ["{host}/**"]
  signatures:
    - images: ["{host}/**"]
      keys: [{{file: {d / 'cosign.pub'}}}]
"""
    yield {"srv": srv, "host": host, "dir": d, "policy": policy}
    srv.kill()
    if old is None:
        os.environ.pop("DOCKER_CONFIG", None)
    else:
        os.environ["DOCKER_CONFIG"] = old


def review(image, secrets=(), ns="shop"):
    spec = {"containers": [{"name": "c", "image": image}]}
    if secrets:
        spec["imagePullSecrets"] = [{"name": s} for s in secrets]
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "namespace": ns, "operation": "CREATE",
                        "object": {"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": "p", "namespace": ns}, "spec": spec}}}


def hook_with(world, name, *extra):
    (world["dir"] / name).mkdir()
    return Webhook(world["dir"] / name, policy_text=world["policy"], extra=("--insecure", *extra))


def test_pull_secrets_from_a_directory(world):
    h = world["host"]
    sdir = world["dir"] / "secrets"
    (sdir / "shop").mkdir(parents=True)
    (sdir / "shop" / "regcred.json").write_text(json.dumps(secret("regcred", "shop", h, "ci",
                                                                   "ci-pw")))
    (sdir / "shop" / "legacy.json").write_text(json.dumps(secret("legacy", "shop", h, "ci",
                                                                  "ci-pw", kind="dockercfg")))
    (sdir / "shop" / "wrong.json").write_text(json.dumps(secret("wrong", "shop", h, "ci", "no")))
    (sdir / "shop" / "junk.json").write_text("{not json")
    hook = hook_with(world, "hook-dir", "--pull-secrets-dir", str(sdir))
    try:
        img = f"{h}/private/app:1"
        r = hook.review("/validate?timeout=20s", review(img))["response"]
        assert r["allowed"] is False, r
        assert "signature" in r["status"]["message"], r
        assert "401" in r["status"]["message"] or "auth" in r["status"]["message"].lower(), r
        r = hook.review("/validate?timeout=20s", review(img, ["regcred"]))["response"]
        assert r["allowed"] is True, r
        assert "warnings" not in r, r
        r = hook.review("/validate?timeout=20s", review(img, ["legacy"]))["response"]
        assert r["allowed"] is True, r
        # wrong password: refused by the registry, denied
        r = hook.review("/validate?timeout=20s", review(img, ["wrong"]))["response"]
        assert r["allowed"] is False, r
        # missing and malformed secrets are skipped with a warning, the good one is used
        r = hook.review("/validate?timeout=20s",
                        review(img, ["absent", "junk", "../shop/regcred", "regcred"]))["response"]
        assert r["allowed"] is True, r
        w = " ".join(r["warnings"])
        assert "absent" in w and "junk" in w and "not a valid Secret name" in w, w
        # the secret of another namespace is not used
        r = hook.review("/validate?timeout=20s", review(img, ["regcred"], ns="other"))["response"]
        assert r["allowed"] is False, r
        # /mutate resolves the tag with the pod's secret, and cannot without it
        r = hook.review("/mutate?timeout=20s", review(img, ["regcred"]))["response"]
        assert r["allowed"] is True and r["patchType"] == "JSONPatch", r
        patch = json.loads(base64.b64decode(r["patch"]))
        assert patch[1]["value"].startswith(img + "@sha256:"), patch
        r = hook.review("/mutate?timeout=20s", review(img))["response"]
        assert r["allowed"] is False and "cannot resolve its tag" in r["status"]["message"], r
    finally:
        assert hook.stop() == 0
    log = "".join(hook.lines)
    assert "ci-pw" not in log and base64.b64encode(b"ci:ci-pw").decode() not in log


def test_pull_secrets_through_the_kubernetes_api(world):
    h = world["host"]
    api = FakeAPI({("shop", "regcred"): secret("regcred", "shop", h, "ci", "ci-pw")},
                  forbidden=("locked",))
    kc = world["dir"] / "kubeconfig"
    kc.write_text(f"""apiVersion: v1
kind: Config
current-context: test
contexts:
- name: test
  context: {{cluster: fake, user: webhook}}
clusters:
- name: fake
  cluster: {{server: "http://127.0.0.1:{api.port}"}}
users:
- name: webhook
  user: {{token: {TOKEN}}}
""")
    hook = hook_with(world, "hook-api", "--kubeconfig", str(kc))
    try:
        img = f"{h}/private/app:1"
        r = hook.review("/validate?timeout=20s", review(img, ["regcred"]))["response"]
        assert r["allowed"] is True, r
        assert ("/api/v1/namespaces/shop/secrets/regcred", f"Bearer {TOKEN}") in api.requests
        r = hook.review("/validate?timeout=20s", review(img, ["regcred"], ns="locked"))["response"]
        assert r["allowed"] is False, r
        assert "needs get on secrets" in " ".join(r.get("warnings", [])), r
        r = hook.review("/validate?timeout=20s", review(img, ["nope"]))["response"]
        assert r["allowed"] is False and "not found" in " ".join(r["warnings"]), r
    finally:
        assert hook.stop() == 0
        api.stop()
    # a kubeconfig the webhook cannot use is refused at start
    bad = world["dir"] / "kubeconfig-cert"
    bad.write_text(kc.read_text().replace(f"token: {TOKEN}", "exec: {command: /bin/true}"))
    r = subprocess.run([vigil_bin(), "admit", "serve", "-p", str(world["dir"] / "hook-api" /
                                                                 "policy.yaml"),
                        "--insecure-plain-http-for-tests", "--addr", "127.0.0.1:0",
                        "--kubeconfig", str(bad)], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "uses exec: not supported" in r.stderr, r.stderr
