"""End-to-end tests of `vigil admit serve`: a real HTTPS webhook on 127.0.0.1 with a
certificate made by the openssl CLI, AdmissionReview requests sent with Python's ssl client
verifying it: untrusted registry, look-alike and :latest denied with each image and reason,
exempt namespace allowed, warn mode, v1beta1 answered in v1beta1 with the uid echoed, unknown
kinds allowed with a warning, malformed JSON and oversize bodies refused with a clear error,
a hanging registry denied within the ?timeout= deadline (validate and mutate), SIGHUP policy
reload, audit lines and metrics."""
import base64
import http.client
import json
import re
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import vigil_bin

TRUSTED = "registry.example.com"

POLICY = f"""apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {{name: trusted}}
spec:
  trustedImages: ["{TRUSTED}/**"]
  tags: {{forbid: [latest]}}
  exemptions: {{namespaces: [kube-system]}}
---
apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {{name: pin}}
spec:
  mode: warn
  tags: {{requireDigest: true}}
  exemptions: {{namespaces: [kube-system]}}
"""


def make_cert(d):
    cert, key = d / "tls.crt", d / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
         "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


class Webhook:
    def __init__(self, tmp, policy_text=POLICY, extra=()):
        self.cert, key = make_cert(tmp)
        self.policy = tmp / "policy.yaml"
        self.policy.write_text(policy_text)
        self.p = subprocess.Popen(
            [vigil_bin(), "admit", "serve", "-p", str(self.policy), "--tls-cert", str(self.cert),
             "--tls-key", str(key), "--addr", "127.0.0.1:0", "--access-log", "off", *extra],
            stderr=subprocess.PIPE, text=True)
        self.lines = []
        while True:
            line = self.p.stderr.readline()
            assert line, f"webhook exited: {self.p.wait()}"
            m = re.search(r"listening.*https://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        self.t = threading.Thread(target=self._drain, daemon=True)
        self.t.start()

    def _drain(self):
        for line in self.p.stderr:
            self.lines.append(line)

    def conn(self, timeout=30):
        ctx = ssl.create_default_context(cafile=str(self.cert))
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=timeout)

    def post(self, path, body, timeout=30):
        c = self.conn(timeout)
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def review(self, path, body, **kw):
        st, data = self.post(path, body, **kw)
        assert st == 200, (st, data)
        return json.loads(data)

    def audit(self):
        out = []
        for line in list(self.lines):
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if j.get("msg") == "decision":
                out.append(j)
        return out

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=60)
        self.t.join(timeout=5)
        if rc != 0:  # shown with the failing test: what the webhook said last
            print(f"webhook exited {rc}; its last stderr lines:\n" + "".join(self.lines[-30:]))
        return rc


@pytest.fixture
def hook(tmp_path):
    w = Webhook(tmp_path, extra=("--offline",))
    yield w
    w.stop()


def pod_review(images, ns="shop", uid="uid-1", version="v1", kind="Pod", init=(), eph=(),
               sub=None, op="CREATE"):
    spec = {"containers": [{"name": f"c{i}", "image": im} for i, im in enumerate(images)]}
    if init:
        spec["initContainers"] = [{"name": f"i{i}", "image": im} for i, im in enumerate(init)]
    if eph:
        spec["ephemeralContainers"] = [{"name": f"e{i}", "image": im} for i, im in enumerate(eph)]
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns},
           "spec": spec}
    group, ver = "", "v1"
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        group, ver = "apps", "v1"
        obj = {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "d", "namespace": ns},
               "spec": {"template": {"metadata": {}, "spec": spec}}}
    elif kind == "CronJob":
        group = "batch"
        obj = {"apiVersion": "batch/v1", "kind": kind, "metadata": {"name": "cj"},
               "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
    elif kind not in ("Pod",):
        obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}}
    req = {"uid": uid, "kind": {"group": group, "version": ver, "kind": kind},
           "namespace": ns, "operation": op, "object": obj, "dryRun": False}
    if sub:
        req["subResource"] = sub
    return {"apiVersion": f"admission.k8s.io/{version}", "kind": "AdmissionReview",
            "request": req}


def test_trusted_allowed_untrusted_lookalike_latest_denied(hook):
    r = hook.review("/validate", pod_review([f"{TRUSTED}/app@sha256:" + "a" * 64]))
    assert r["apiVersion"] == "admission.k8s.io/v1" and r["kind"] == "AdmissionReview"
    assert r["response"] == {"uid": "uid-1", "allowed": True}, r
    r = hook.review("/validate", pod_review(["evil.io/app:1", f"{TRUSTED}.evil.io/app:1",
                                              f"{TRUSTED}/app:latest"], uid="u2"))
    resp = r["response"]
    assert resp["uid"] == "u2" and resp["allowed"] is False, r
    assert resp["status"]["code"] == 403, r
    msg = resp["status"]["message"]
    for needle in ("evil.io/app:1", f"{TRUSTED}.evil.io/app:1", f"{TRUSTED}/app:latest",
                   "spec.containers[0].image", "spec.containers[1].image",
                   "spec.containers[2].image", "latest"):
        assert needle in msg, (needle, msg)
    # warn mode: the tag-only trusted image is allowed with a warning
    r = hook.review("/validate", pod_review([f"{TRUSTED}/app:1.0"], uid="u3"))
    assert r["response"]["allowed"] is True, r
    assert any("app:1.0" in w and "warn" in w for w in r["response"]["warnings"]), r
    # each decision is one audit line
    time.sleep(0.2)
    a = hook.audit()
    assert [x["uid"] for x in a][-3:] == ["uid-1", "u2", "u3"], a
    assert [x["result"] for x in a][-3:] == ["allow", "deny", "warn"], a


def test_workload_kinds_and_container_fields(hook):
    bad = "evil.io/x:1"
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "CronJob"):
        r = hook.review("/validate", pod_review([f"{TRUSTED}/a@sha256:" + "b" * 64],
                                                 kind=kind, init=[bad]))
        assert r["response"]["allowed"] is False, (kind, r)
        assert "initContainers[0]" in r["response"]["status"]["message"], (kind, r)
    # kubectl debug: pods/ephemeralcontainers
    r = hook.review("/validate", pod_review([f"{TRUSTED}/a@sha256:" + "b" * 64], eph=[bad],
                                             sub="ephemeralcontainers", op="UPDATE"))
    assert r["response"]["allowed"] is False, r
    assert "ephemeralContainers[0]" in r["response"]["status"]["message"], r


def test_exempt_namespace_unknown_kind_v1beta1_dryrun(hook):
    r = hook.review("/validate", pod_review(["evil.io/x:latest"], ns="kube-system"))
    assert r["response"]["allowed"] is True, r
    r = hook.review("/validate", pod_review([], kind="ConfigMap", uid="cm"))
    assert r["response"]["allowed"] is True and r["response"]["uid"] == "cm", r
    assert any("ConfigMap" in w for w in r["response"]["warnings"]), r
    r = hook.review("/validate", pod_review(["evil.io/x:1"], version="v1beta1", uid="b1"))
    assert r["apiVersion"] == "admission.k8s.io/v1beta1", r
    assert r["response"]["uid"] == "b1" and r["response"]["allowed"] is False, r
    body = pod_review(["evil.io/x:1"], uid="dry")
    body["request"]["dryRun"] = True
    r = hook.review("/validate", body)
    assert r["response"]["allowed"] is False, r
    time.sleep(0.2)
    assert any(x["uid"] == "dry" and x["dry_run"] is True for x in hook.audit())


def test_malformed_oversize_and_hostile_bodies(hook):
    st, data = hook.post("/validate", b"{not json")
    assert st == 400 and b"invalid JSON" in data, data
    st, data = hook.post("/validate", b'{"apiVersion":"v1","kind":"Pod"}')
    assert st == 400 and b"admission.k8s.io" in data, data
    st, data = hook.post("/validate", b"[" * 5000 + b"]" * 5000)
    assert st == 400 and b"nested deeper" in data, data
    st, data = hook.post("/validate", b'{"apiVersion":"admission.k8s.io/v1","kind":'
                                      b'"AdmissionReview","request":{"uid":"\xff\xfe"}}')
    assert st == 400, data
    # an image string of 100 KB: a denial naming the field, not a crash
    r = hook.review("/validate", pod_review(["a" * 100000], uid="long"))
    assert r["response"]["allowed"] is False and r["response"]["status"]["code"] == 400, r
    assert "spec.containers[0].image" in r["response"]["status"]["message"], r
    # object of the wrong type
    body = pod_review(["x"], uid="str")
    body["request"]["object"] = "a string"
    r = hook.review("/validate", body)
    assert r["response"]["allowed"] is False and r["response"]["uid"] == "str", r
    # over 10 MB is refused before it is read
    try:
        st, data = hook.post("/validate", b" " * (11 * 1024 * 1024))
        assert st == 413 and b"limit" in data, (st, data)
    except (ConnectionError, ssl.SSLError):
        pass
    # 10 MB of zeros in oldObject: refused by its number of values, in bounded memory (its
    # parse took 466 MB before the bound)
    zeros = b"[" + b",".join([b"0"] * 4_900_000) + b"]"
    body = (b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"z",'
            b'"operation":"UPDATE","kind":{"group":"","version":"v1","kind":"Pod"},"oldObject":'
            + zeros + b'}}')
    assert len(body) < 10 * 1024 * 1024
    st, data = hook.post("/validate", body, timeout=120)
    assert st == 413 and b"more than 300000 JSON values" in data, (st, data[:300])
    with open(f"/proc/{hook.p.pid}/status") as f:
        hwm = int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M).group(1))
    assert hwm < 300 * 1024, f"peak RSS {hwm} kB"  # ASan builds included
    # the server is still up
    r = hook.review("/validate", pod_review([f"{TRUSTED}/app@sha256:" + "a" * 64]))
    assert r["response"]["allowed"] is True
    c = hook.conn()
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    assert 'vigil_admit_decisions_total{endpoint="validate",result="invalid"}' in text, text
    assert re.search(r'result="allow"\} [1-9]', text), text


@pytest.fixture
def hanging():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    conns = []
    stop = threading.Event()

    def accept():
        s.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = s.accept()
                conns.append(c)  # never answers
            except OSError:
                pass
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"127.0.0.1:{s.getsockname()[1]}"
    stop.set()
    t.join()
    for c in conns:
        c.close()
    s.close()


def test_hanging_registry_denied_within_deadline(tmp_path, hanging):
    d = tmp_path / "keys"
    d.mkdir()
    key = d / "k.pem"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                    str(d / "priv.pem")], check=True, capture_output=True)
    subprocess.run(["openssl", "ec", "-in", str(d / "priv.pem"), "-pubout", "-out", str(key)],
                   check=True, capture_output=True)
    pol = f"""apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {{name: signed}}
spec:
  signatures:
    - images: ["{hanging}/**"]
      keys: [{{file: {key}}}]
"""
    w = Webhook(tmp_path, pol, extra=("--plain-http",))
    try:
        for path, image in (("/validate", f"{hanging}/app@sha256:" + "c" * 64),
                            ("/mutate", f"{hanging}/app:1")):
            t0 = time.monotonic()
            r = w.review(path + "?timeout=2s", pod_review([image], uid="hang"), timeout=20)
            dt = time.monotonic() - t0
            assert dt < 2.0, (path, dt)
            assert r["response"]["allowed"] is False, r
            assert "did not finish" in r["response"]["status"]["message"], r
    finally:
        w.stop()


def test_mutate_pinned_is_idempotent_and_sighup_reload(tmp_path):
    w = Webhook(tmp_path, extra=("--offline",))
    try:
        # offline: nothing to resolve, allowed with a warning and no patch
        r = w.review("/mutate", pod_review([f"{TRUSTED}/app:1"]))
        assert r["response"]["allowed"] is True and "patch" not in r["response"], r
        # already pinned: no patch (reinvocation changes nothing)
        r = w.review("/mutate", pod_review([f"{TRUSTED}/app:1@sha256:" + "d" * 64]))
        assert r["response"] == {"uid": "uid-1", "allowed": True}, r
        # reload: a broken file keeps the old set, a good one replaces it
        w.policy.write_text("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nspec: [\n")
        w.p.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        r = w.review("/validate", pod_review(["evil.io/x:1"]))
        assert r["response"]["allowed"] is False, r
        w.policy.write_text("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: x}\n"
                            "spec:\n  trustedImages: [\"evil.io/**\"]\n")
        w.p.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        r = w.review("/validate", pod_review(["evil.io/x:1"]))
        assert r["response"]["allowed"] is True, r
        assert any("policy reload failed" in l for l in w.lines), w.lines
    finally:
        assert w.stop() == 0


def test_image_volumes_checked_like_containers(hook):
    """Kubernetes 1.31+ image volumes (spec.volumes[].image.reference) are images: vigil's
    ImagePolicy decides them like containers, in Pods and pod controllers' templates."""
    def review(kind, ref, uid):
        r = pod_review([f"{TRUSTED}/app@sha256:" + "a" * 64], uid=uid, kind=kind)
        obj = r["request"]["object"]
        spec = obj["spec"] if kind == "Pod" else obj["spec"]["template"]["spec"]
        spec["volumes"] = [{"name": "cfg", "configMap": {"name": "c"}},
                           {"name": "model", "image": {"reference": ref,
                                                       "pullPolicy": "IfNotPresent"}}]
        return r
    r = hook.review("/validate", review("Pod", "evil.io/models/llm:latest", "v1"))["response"]
    assert r["allowed"] is False and r["status"]["code"] == 403, r
    msg = r["status"]["message"]
    assert "evil.io/models/llm:latest" in msg and "spec.volumes[1].image.reference" in msg, msg
    assert "latest" in msg, msg
    r = hook.review("/validate", review("Deployment", f"{TRUSTED}/models/llm:latest", "v2"))
    msg = r["response"]["status"]["message"]
    assert "spec.template.spec.volumes[1].image.reference" in msg, msg
    r = hook.review("/validate", review("Pod", f"{TRUSTED}/models/llm@sha256:" + "b" * 64, "v3"))
    assert r["response"] == {"uid": "v3", "allowed": True}, r
    # a volume whose image has no reference is refused like a container without an image
    bad = review("Pod", "x", "v4")
    del bad["request"]["object"]["spec"]["volumes"][1]["image"]["reference"]
    r = hook.review("/validate", bad)["response"]
    assert r["allowed"] is False and r["status"]["code"] == 400, r
    assert "spec.volumes[1].image.reference: no image" in r["status"]["message"], r
    # offline /mutate names the volume it cannot pin
    r = hook.review("/mutate", review("Pod", f"{TRUSTED}/models/llm:2", "v5"))["response"]
    assert r["allowed"] is True and "patch" not in r, r
    assert any(f"{TRUSTED}/models/llm:2" in w for w in r["warnings"]), r
