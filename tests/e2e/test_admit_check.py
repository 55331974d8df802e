"""End-to-end tests of `vigil admit check`: the /validate verdict on every object of manifest
files without a cluster. The verdict must be the running webhook's own answer to the same
object (checked against `vigil admit serve` over HTTPS), every pod-carrying kind is decided,
a v1 List's items are, other kinds get the webhook's warning, and the exit codes are those
documented (0 admitted, 1 denied, 2 usage, 4 missing file, 6 malformed YAML or policy)."""
import json
import subprocess
from pathlib import Path

from conftest import vigil_bin
from test_admit import POLICY, Webhook

DIGEST = "sha256:" + "0" * 64

MANIFEST = f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  template:
    spec:
      containers:
      - {{name: a, image: evil.io/app:1}}
      - {{name: b, image: registry.example.com/app:latest}}
---
apiVersion: v1
kind: Pod
metadata: {{name: pinned, namespace: shop}}
spec:
  containers: [{{name: a, image: "registry.example.com/app:1@{DIGEST}"}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: cfg}}
---
apiVersion: v1
kind: List
items:
- apiVersion: batch/v1
  kind: CronJob
  metadata: {{name: cj, namespace: kube-system}}
  spec: {{jobTemplate: {{spec: {{template: {{spec: {{containers: [{{name: x, image: nginx}}]}}}}}}}}}}
- apiVersion: v1
  kind: Pod
  metadata: {{name: noimage, namespace: shop}}
  spec: {{containers: [{{name: x}}]}}
- apiVersion: apps/v1
  kind: StatefulSet
  metadata: {{name: db}}
  spec: {{template: {{spec: {{initContainers: [{{name: i, image: "registry.example.com/init:2"}}],
                              containers: [{{name: m, image: "registry.example.com/db:3@{DIGEST}"}}]}}}}}}
"""

GROUPS = {"Deployment": "apps", "StatefulSet": "apps", "CronJob": "batch"}


def check(tmp_path, *args, manifest=MANIFEST, fmt="json", policy=POLICY):
    m = tmp_path / "m.yaml"
    m.write_text(manifest)
    pol = tmp_path / "policy.yaml"
    pol.write_text(policy)
    return subprocess.run([vigil_bin(), "admit", "check", "-p", str(pol), "--offline",
                           "--format", fmt, *args, str(m)], capture_output=True, text=True,
                          timeout=60)


def test_verdicts_match_the_running_webhook(tmp_path):
    r = check(tmp_path)
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["allowed"] is False and out["objects"] == 6 and out["denied"] == 2
    res = out["results"]
    got = [(o["kind"], o["namespace"], o["name"], o["verdict"]) for o in res]
    assert got == [("Deployment", "shop", "web", "deny"),
                   ("Pod", "shop", "pinned", "allow"),
                   ("ConfigMap", "default", "cfg", "warn"),
                   ("CronJob", "kube-system", "cj", "warn"),  # /mutate: offline, not pinned
                   ("Pod", "shop", "noimage", "deny"),
                   ("StatefulSet", "default", "db", "warn")], got
    web = res[0]
    assert web["code"] == 403 and web["images"] == 2
    assert "evil.io/app:1" in web["message"] and "tag 'latest' is forbidden" in web["message"]
    assert "spec.template.spec.containers[1].image" in web["message"]
    assert res[4]["result"] == "invalid" and res[4]["code"] == 400
    assert res[2]["warnings"] == ["vigil: ConfigMap is not checked for images"]
    assert [o["source"].rsplit(":", 1)[1] for o in res[:3]] == ["1", "11", "17"]
    assert res[5]["images"] == 2  # initContainers too

    # the same objects sent to `vigil admit serve` get the same AdmissionReview answer
    (tmp_path / "hook").mkdir()
    hook = Webhook(tmp_path / "hook", extra=("--offline",))
    try:
        docs = manifest_objects()
        assert len(docs) == len(res)
        for obj, cli in zip(docs, res):
            kind = obj["kind"]
            ns = obj["metadata"].get("namespace", "default")
            review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                      "request": {"uid": "manifest",
                                  "kind": {"group": GROUPS.get(kind, ""), "version": "v1",
                                           "kind": kind},
                                  "namespace": ns, "name": obj["metadata"]["name"],
                                  "operation": "CREATE", "object": obj}}
            # /mutate first (offline: nothing pinned, a warning per tag), then /validate
            mutated = hook.review("/mutate?timeout=10s", review)
            assert mutated == cli["mutate"], (kind, mutated, cli["mutate"])
            if not mutated["response"]["allowed"]:
                assert "response" not in cli
                continue
            served = json.dumps(hook.review("/validate?timeout=10s", review), sort_keys=True)
            served = served.replace(str(hook.policy), str(tmp_path / "policy.yaml"))
            assert json.loads(served) == cli["response"], (kind, served, cli["response"])
            want = list(mutated["response"].get("warnings", []))
            want += [w for w in cli["response"]["response"].get("warnings", []) if w not in want]
            assert cli["warnings"] == want
    finally:
        assert hook.stop() == 0


def test_table_namespace_and_exit_codes(tmp_path):
    ok = f"""apiVersion: v1
kind: Pod
metadata: {{name: p}}
spec: {{containers: [{{name: a, image: "registry.example.com/app:1@{DIGEST}"}}]}}
"""
    r = check(tmp_path, "-n", "team", manifest=ok, fmt="table")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split() == ["allow", f"{tmp_path}/m.yaml:1", "Pod",
                                                "team/p"]
    assert "1 object(s) checked: 0 denied" in r.stdout

    r = check(tmp_path, fmt="table")
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith("deny ") and "Deployment shop/web" in lines[0]
    assert lines[1].strip().startswith("vigil denied 2 image requirement(s): image 'evil.io/app:1'")
    assert lines[-1] == "6 object(s) checked: 2 denied, 3 allowed with warnings"

    # warn-mode only: admitted, exit 0
    r = check(tmp_path, manifest=ok.replace("@" + DIGEST, ""), fmt="table")
    assert r.returncode == 0 and r.stdout.startswith("warn "), r.stdout
    assert "not pinned by digest" in r.stdout

    r = check(tmp_path, manifest="a: [\n")
    assert r.returncode == 6 and "m.yaml:2" in r.stderr and r.stdout == ""
    r = check(tmp_path, policy="apiVersion: vigil.dev/v1\nkind: ImagePolicy\n"
              "metadata: {name: x}\nspec: {tag: {}}\n")
    assert r.returncode == 6 and "policy.yaml:4" in r.stderr, r.stderr
    r = subprocess.run([vigil_bin(), "admit", "check", "-p", str(tmp_path / "policy.yaml")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "MANIFEST" in r.stderr
    r = subprocess.run([vigil_bin(), "admit", "check", "-p", str(tmp_path / "m.yaml"),
                        str(tmp_path / "absent.yaml")], capture_output=True, text=True)
    assert r.returncode in (4, 6), r.stderr


def manifest_objects():
    """MANIFEST's objects as JSON (written out here: the e2e tests do not depend on PyYAML)."""
    z = DIGEST
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "web", "namespace": "shop"},
         "spec": {"template": {"spec": {"containers": [
             {"name": "a", "image": "evil.io/app:1"},
             {"name": "b", "image": "registry.example.com/app:latest"}]}}}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pinned", "namespace": "shop"},
         "spec": {"containers": [{"name": "a", "image": f"registry.example.com/app:1@{z}"}]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}},
        {"apiVersion": "batch/v1", "kind": "CronJob",
         "metadata": {"name": "cj", "namespace": "kube-system"},
         "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
             {"name": "x", "image": "nginx"}]}}}}}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "noimage", "namespace": "shop"},
         "spec": {"containers": [{"name": "x"}]}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
         "spec": {"template": {"spec": {
             "initContainers": [{"name": "i", "image": "registry.example.com/init:2"}],
             "containers": [{"name": "m", "image": f"registry.example.com/db:3@{z}"}]}}}},
    ]


def test_bundled_demo_workloads(tmp_path):
    """`make demo`'s admission step (scripts/demo): the bundled policy and workloads give one
    allowed, two denied (latest + unpinned, foreign registry), one warned, one unchecked."""
    root = Path(__file__).resolve().parents[2]
    r = subprocess.run([vigil_bin(), "admit", "check", "--offline", "--format", "json", "-p",
                        "examples/admission/policy.yaml", "examples/admission/workloads.yaml"],
                       capture_output=True, text=True, cwd=root, timeout=60)
    assert r.returncode == 1, r.stderr
    res = json.loads(r.stdout)["results"]
    assert [(o["kind"], o["verdict"]) for o in res] == [
        ("Deployment", "allow"), ("CronJob", "deny"), ("Pod", "deny"), ("DaemonSet", "warn"),
        ("ConfigMap", "warn")]
    assert "tag 'latest' is forbidden" in res[1]["message"]
    assert "busybox is not in a trusted registry" in res[2]["message"]
    assert any("tag 'dev-7' is forbidden" in w for w in res[3]["warnings"]), res[3]
    # offline, /mutate pins nothing and says so first
    assert res[3]["warnings"][0].startswith("vigil: offline, image "), res[3]
