"""`vigil admit serve` against a REAL registry on 127.0.0.1: `vigil registry serve` with
scan-on-push, images pushed with skopeo, signed with `vigil sign` (and with cosign 2.5 when
$VIGIL_TEST_CACHE/trixie-tools has it; that test skips otherwise).

A signed image is admitted, an unsigned one and one signed by another key are denied, /mutate
pins a tag to the digest the registry serves (the JSONPatch decoded and checked, then the
pinned image validated and its facts cached), and a vulnerability threshold is decided from the
registry's own scan (GET /vigil/v1/scans/, seen in the registry's access log; the webhook has
no vulnerability database of its own). Skips when skopeo is missing."""
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import vigil_bin
from images import build_image
from registry_serve import Serve
from test_admit import Webhook

ROOT = Path(__file__).resolve().parents[2]
PW = {"COSIGN_PASSWORD": "pw", "VIGIL_PASSWORD": "pw"}
CACHE = Path(os.environ.get("VIGIL_TEST_CACHE", "/var/tmp/vigil-test-cache"))


def run(cmd, env=None, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=180,
                          env={**os.environ, **(env or {})}, **kw)


def ok(p):
    assert p.returncode == 0, f"{p.args}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}"
    return p


def skopeo_push(src, dst):
    ok(run(["skopeo", "--insecure-policy", "copy", "-q", "--preserve-digests",
            "--dest-tls-verify=false", src, f"docker://{dst}"]))


def registry_digest(srv, repo, tag):
    r = srv.req("HEAD", f"/v2/{repo}/manifests/{tag}", headers={
        "Accept": "application/vnd.oci.image.manifest.v1+json, "
                  "application/vnd.docker.distribution.manifest.v2+json"})
    assert r.status == 200, r
    return r.header("Docker-Content-Digest")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not shutil.which("skopeo"):
        pytest.skip("skopeo is not installed")
    d = tmp_path_factory.mktemp("admitreg")
    db = d / "db"
    ok(run([vigil_bin(), "db", "build", "--from", ROOT / "examples" / "osv", "--db", db]))
    cfg = d / "registry.yaml"
    cfg.write_text(f"scan: {{db: {db}, on-push: true, workers: 1}}\n")
    srv = Serve(d / "root", d / "serve.log", args=["--config", str(cfg)]).start()
    host = srv.host
    # keys: A is the trusted one, B another
    for name in ("a", "b"):
        ok(run([vigil_bin(), "generate-key-pair", "--output-key-prefix", name], env=PW, cwd=d))
    lay, _ = build_image(d / "small", tag="v1", layers=[{"app.txt": b"the app\n"}])
    for repo in ("shop/app", "shop/unsigned", "shop/other", "shop/cosigned"):
        skopeo_push(f"oci:{lay.path}:v1", f"{host}/{repo}:1")
    ok(run([sys.executable, ROOT / "scripts" / "sample-image.py", d / "sample"]))
    skopeo_push(f"oci:{d / 'sample'}:demo", f"{host}/scanned/vuln:1")
    ok(run([vigil_bin(), "sign", "--key", d / "a.key", "--insecure", f"{host}/shop/app:1"],
           env=PW))
    ok(run([vigil_bin(), "sign", "--key", d / "b.key", "--insecure", f"{host}/shop/other:1"],
           env=PW))
    policy = f"""apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {{name: signed}}
spec:
  match: {{images: ["{host}/shop/**"]}}
  trustedImages: ["{host}/**"]
  signatures:
    - images: ["{host}/shop/**"]
      keys: [{{file: {d / 'a.pub'}}}]
---
apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {{name: vulns}}
spec:
  match: {{images: ["{host}/scanned/**"]}}
  vulnerabilities: {{maxSeverity: high}}
"""
    (d / "hook").mkdir()
    hook = Webhook(d / "hook", policy_text=policy, extra=("--insecure",))
    yield {"srv": srv, "host": host, "hook": hook, "dir": d, "db": db, "policy": policy}
    assert hook.stop() == 0
    srv.kill()


def review(image, uid="u-1", ns="shop"):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "namespace": ns, "operation": "CREATE",
                        "object": {"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": "p", "namespace": ns},
                                   "spec": {"containers": [{"name": "c", "image": image}]}}}}


def validate(world, image):
    return world["hook"].review("/validate?timeout=20s", review(image))["response"]


def test_signed_admitted_unsigned_and_other_key_denied(world):
    h = world["host"]
    r = validate(world, f"{h}/shop/app:1")
    assert r["allowed"] is True, r
    r = validate(world, f"{h}/shop/unsigned:1")
    assert r["allowed"] is False and r["status"]["code"] == 403, r
    msg = r["status"]["message"]
    assert f"{h}/shop/unsigned:1" in msg and "signature" in msg, msg
    r = validate(world, f"{h}/shop/other:1")
    assert r["allowed"] is False, r
    assert f"{h}/shop/other:1" in r["status"]["message"]
    assert "signature" in r["status"]["message"]


def reload_policies(hook):
    """SIGHUP, waited for on /metrics (signals sent together may merge into one)."""
    def reloads():
        return int(re.search(r'^vigil_admit_policy_reloads_total\{result="ok"\} (\d+)',
                             metrics_text(hook), re.M).group(1))
    before = reloads()
    hook.p.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 60
    while reloads() == before:
        assert time.monotonic() < deadline, "SIGHUP did not reload the policies"
        time.sleep(0.05)


def test_cosign_signed_admitted(world):
    cosign = CACHE / "trixie-tools" / "usr" / "bin" / "cosign"
    if not cosign.exists():
        pytest.skip(f"cosign 2.5 (Debian trixie) is not unpacked at {cosign}: "
                    "run scripts/install-deps")
    h, srv = world["host"], world["srv"]
    dg = registry_digest(srv, "shop/cosigned", "1")
    r = validate(world, f"{h}/shop/cosigned:1")
    assert r["allowed"] is False, r  # not signed yet
    ok(run([cosign, "sign", "--key", world["dir"] / "a.key", "--tlog-upload=false", "-y",
            "--allow-insecure-registry", "--allow-http-registry", f"{h}/shop/cosigned@{dg}"],
           env=PW))
    # the refusal is cached under the digest the tag names (--cache-ttl): a policy reload
    # (a new generation) makes the next review ask the registry again
    r = validate(world, f"{h}/shop/cosigned:1")
    assert r["allowed"] is False, r
    reload_policies(world["hook"])
    r = validate(world, f"{h}/shop/cosigned:1")
    assert r["allowed"] is True, r


def test_mutate_pins_the_registry_digest(world):
    h, srv, hook = world["host"], world["srv"], world["hook"]
    digest = registry_digest(srv, "shop/app", "1")
    skopeo = json.loads(ok(run(["skopeo", "inspect", "--tls-verify=false",
                                f"docker://{h}/shop/app:1"])).stdout)
    assert skopeo["Digest"] == digest
    r = hook.review("/mutate?timeout=20s", review(f"{h}/shop/app:1"))["response"]
    assert r["allowed"] is True and r["patchType"] == "JSONPatch", r
    patch = json.loads(base64.b64decode(r["patch"]))
    assert patch == [
        {"op": "test", "path": "/spec/containers/0/image", "value": f"{h}/shop/app:1"},
        {"op": "replace", "path": "/spec/containers/0/image",
         "value": f"{h}/shop/app:1@{digest}"}], patch
    pinned = patch[1]["value"]
    # reinvocation: nothing more to pin
    r = hook.review("/mutate?timeout=20s", review(pinned))["response"]
    assert r["allowed"] is True and "patch" not in r, r
    # the pinned image validates; its signature fact is cached for the next request
    def hits():
        c = hook.conn()
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        return int(re.search(r"^vigil_admit_cache_hits_total (\d+)", text, re.M).group(1))
    before = hits()
    assert validate(world, pinned)["allowed"] is True
    assert validate(world, pinned)["allowed"] is True
    assert hits() > before
    # an image volume is pinned like a container: /spec/volumes/N/image/reference
    rv = review(f"{h}/shop/app:1")
    rv["request"]["object"]["spec"]["volumes"] = [
        {"name": "cfg", "emptyDir": {}},
        {"name": "model", "image": {"reference": f"{h}/shop/unsigned:1"}}]
    r = hook.review("/mutate?timeout=20s", rv)["response"]
    patch = json.loads(base64.b64decode(r["patch"]))
    assert patch[2:] == [
        {"op": "test", "path": "/spec/volumes/1/image/reference",
         "value": f"{h}/shop/unsigned:1"},
        {"op": "replace", "path": "/spec/volumes/1/image/reference",
         "value": f"{h}/shop/unsigned:1@{registry_digest(srv, 'shop/unsigned', '1')}"}], patch
    # and validated like one: the volume's image is unsigned
    r = hook.review("/validate?timeout=20s", rv)["response"]
    assert r["allowed"] is False, r
    assert "spec.volumes[1].image.reference" in r["status"]["message"], r
    # a tag the registry does not have: /mutate denies (fail closed) naming it
    r = hook.review("/mutate?timeout=20s", review(f"{h}/shop/app:nope"))["response"]
    assert r["allowed"] is False and "cannot resolve its tag" in r["status"]["message"], r


def metric(hook, name):
    c = hook.conn()
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    return int(re.search(rf"^{name} (\d+)", text, re.M).group(1))


def test_cached_decisions_inline_same_answers_threads_reused(world):
    """A decision whose facts are all cached is made on the request thread with the answer the
    registry-backed evaluation gave (allow and deny); evaluations that must ask the registry
    reuse the pool's threads instead of starting one per request."""
    h, srv, hook = world["host"], world["srv"], world["hook"]
    signed = f"{h}/shop/app:1@{registry_digest(srv, 'shop/app', '1')}"
    unsigned = f"{h}/shop/unsigned:1@{registry_digest(srv, 'shop/unsigned', '1')}"
    first = {im: validate(world, im) for im in (signed, unsigned)}
    assert first[signed]["allowed"] is True and first[unsigned]["allowed"] is False, first
    inline0 = metric(hook, "vigil_admit_inline_decisions_total")
    threads0 = metric(hook, "vigil_admit_eval_threads_started_total")
    for _ in range(5):
        for im in (signed, unsigned):
            assert validate(world, im) == first[im]
    assert metric(hook, "vigil_admit_inline_decisions_total") == inline0 + 10
    assert metric(hook, "vigil_admit_eval_threads_started_total") == threads0
    # a tag is resolved on every review (never cached): each request asks the registry (one
    # HEAD, the facts of its digest from the cache), on a reused thread
    for _ in range(6):
        assert validate(world, f"{h}/shop/app:1")["allowed"] is True
    assert metric(hook, "vigil_admit_inline_decisions_total") == inline0 + 10
    assert metric(hook, "vigil_admit_eval_threads_started_total") <= threads0 + 1


def test_concurrent_reviews_while_policies_reload(world):
    """Reviews from 4 client threads at once (tags resolved at the registry, digests from the
    decision cache, /validate and /mutate) while SIGHUP reloads the policy set five times: every
    answer is the one a lone request gets. Each reload starts a new generation, so cached and
    cold evaluations, the evaluation pool and the reference-counted policy sets all run side by
    side; under ThreadSanitizer (make check-tsan TSAN_E2E=...) a race there makes the webhook
    exit 66, which the world fixture checks."""
    h, srv, hook = world["host"], world["srv"], world["hook"]
    signed = f"{h}/shop/app:1@{registry_digest(srv, 'shop/app', '1')}"
    cases = [(f"{h}/shop/app:1", True), (signed, True), (f"{h}/shop/unsigned:1", False)]
    errors, stop = [], threading.Event()

    def client(n):
        try:
            i = 0
            while i < 6 or not stop.is_set():
                image, allowed = cases[(n + i) % len(cases)]
                path = "/mutate?timeout=20s" if i % 2 else "/validate?timeout=20s"
                r = hook.review(path, review(image, uid=f"c{n}-{i}"))["response"]
                assert r["uid"] == f"c{n}-{i}", r
                # /mutate only pins (allowed); /validate decides on the signature
                assert r["allowed"] is (allowed or path.startswith("/mutate")), (path, image, r)
                i += 1
        except Exception as e:  # noqa: BLE001 -- reported by the main thread
            errors.append(e)

    def reloads():
        c = hook.conn()
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        return int(re.search(r'^vigil_admit_policy_reloads_total\{result="ok"\} (\d+)', text,
                             re.M).group(1))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(5):  # one at a time: signals sent together may merge into one
            before = reloads()
            hook.p.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 60
            while reloads() == before:
                assert time.monotonic() < deadline, "SIGHUP did not reload the policies"
                time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=300)
    assert not errors, errors
    assert hook.p.poll() is None


def wait_scan(srv, repo, digest, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = srv.req("GET", f"/vigil/v1/scans/{repo}@{digest}")
        if r.status == 200:
            return json.loads(r.body)
        time.sleep(0.3)
    raise AssertionError(f"no scan of {repo}@{digest}")


def test_vulnerability_threshold_from_the_registry_scan(world):
    h, srv = world["host"], world["srv"]
    digest = registry_digest(srv, "scanned/vuln", "1")
    doc = wait_scan(srv, "scanned/vuln", digest)
    sev = {v["Severity"] for res in doc["Results"] for v in res.get("Vulnerabilities") or []}
    assert "CRITICAL" in sev
    access = Path(str(srv.log_path) + ".access")
    n0 = access.read_text().count("/vigil/v1/scans/scanned/vuln@")
    r = validate(world, f"{h}/scanned/vuln:1")
    assert r["allowed"] is False, r
    msg = r["status"]["message"]
    assert "1 vulnerabilities above high" in msg or "vulnerabilities above high" in msg, msg
    # the webhook asked the registry (it has no database: a local scan could not have decided)
    assert access.read_text().count("/vigil/v1/scans/scanned/vuln@") > n0

    # the same threshold at critical admits it; --vuln-source local (no database) cannot decide
    pol = world["dir"] / "crit.yaml"
    pol.write_text(world["policy"].replace("maxSeverity: high", "maxSeverity: critical"))
    m = world["dir"] / "pod.yaml"
    m.write_text(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\n"
                 f"spec: {{containers: [{{name: c, image: '{h}/scanned/vuln:1'}}]}}\n")
    r = run([vigil_bin(), "admit", "check", "-p", pol, "--insecure", "--format", "json", m])
    assert r.returncode == 0, r.stdout + r.stderr
    r = run([vigil_bin(), "admit", "check", "-p", pol, "--insecure", "--vuln-source", "local",
             "--db", world["dir"] / "absent.db", "--format", "json", m])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "vulnerabilities unknown" in json.loads(r.stdout)["results"][0]["message"]
    # --vuln-source registry: decided from the registry's scan alone
    r = run([vigil_bin(), "admit", "check", "-p", pol, "--insecure", "--vuln-source",
             "registry", "--format", "json", m])
    assert r.returncode == 0, r.stdout + r.stderr


def registry_conns(port):
    """Local ports of ESTABLISHED TCP connections to 127.0.0.1:port (/proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        f = line.split()
        local, remote, state = f[1], f[2], f[3]
        if state == "01" and int(remote.split(":")[1], 16) == port:
            found.add(int(local.split(":")[1], 16))
    return found


def test_cold_path_reuses_connections_and_asks_once_per_image(world):
    """Registry access from the webhook's facts goes through its client pool: the connection
    a decision used is still open and serves the next decision (no new connection, TLS
    attempt or token per request), and an image named by three containers is looked up and
    verified once per review, not once per container."""
    h, srv = world["host"], world["srv"]
    access = Path(str(srv.log_path) + ".access")
    d = world["dir"] / "nocache"
    d.mkdir()
    # --cache-ttl 0: verdicts are not cached, the registry is asked on every review
    hook = Webhook(d, policy_text=world["policy"], extra=("--insecure", "--cache-ttl", "0"))
    rv = review(f"{h}/shop/app:1")
    spec = rv["request"]["object"]["spec"]
    spec["initContainers"] = [{"name": "i", "image": f"{h}/shop/app:1"}]
    spec["containers"].append({"name": "d", "image": f"{h}/shop/app:1"})
    seen = []
    try:
        for i in range(4):
            n0 = access.read_text().count(".sig\"")
            r = hook.review("/validate?timeout=20s", rv)["response"]
            assert r["allowed"] is True, r
            assert access.read_text().count(".sig\"") - n0 == 1  # was 3: one per container
            seen.append(registry_conns(srv.port))
    finally:
        assert hook.stop() == 0
    assert seen[0], "no connection to the registry kept open after a decision"
    assert seen[0] & seen[-1], f"connections not reused across decisions: {seen}"


def test_admit_check_pins_like_mutate_then_validate(world, tmp_path):
    """`vigil admit check` decides as the apiserver's webhook calls would: /mutate pins each
    tag to the registry's digest, /validate decides the pinned object. With a policy that
    requires digests, tagged images are admitted once pinned (they were denied when admit
    check decided the object as written), and its answers are the live webhook's."""
    h, srv = world["host"], world["srv"]
    policy = world["policy"] + f"""---
apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {{name: pinned}}
spec:
  match: {{images: ["{h}/shop/**"]}}
  tags: {{requireDigest: true}}
"""
    (tmp_path / "hook").mkdir()
    hook = Webhook(tmp_path / "hook", policy_text=policy, extra=("--insecure",))
    signed, unsigned = f"{h}/shop/app:1", f"{h}/shop/unsigned:1"
    objs = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok", "namespace": "shop"},
             "spec": {"containers": [{"name": "a", "image": signed}],
                      "initContainers": [{"name": "i", "image": signed}]}},
            {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "mixed", "namespace": "shop"},
             "spec": {"template": {"spec": {"containers": [
                 {"name": "a", "image": signed}, {"name": "b", "image": unsigned}]}}}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gone", "namespace": "shop"},
             "spec": {"containers": [{"name": "a", "image": f"{h}/shop/app:nope"}]}}]
    m = tmp_path / "m.yaml"
    m.write_text("\n---\n".join(json.dumps(o) for o in objs))
    try:
        r = run([vigil_bin(), "admit", "check", "-p", hook.policy, "--insecure", "--format",
                 "json", m])
        assert r.returncode == 1, r.stdout + r.stderr
        res = json.loads(r.stdout)["results"]
        assert [o["verdict"] for o in res] == ["allow", "deny", "deny"], res
        digest = registry_digest(srv, "shop/app", "1")
        assert f"{signed}@{digest}" in json.dumps(
            json.loads(base64.b64decode(res[0]["mutate"]["response"]["patch"])))
        assert "signature" in res[1]["message"] and unsigned in res[1]["message"], res[1]
        assert "cannot resolve its tag" in res[2]["message"] and "response" not in res[2]
        for obj, cli in zip(objs, res):
            kind = obj["kind"]
            rv = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                  "request": {"uid": "manifest",
                              "kind": {"group": "apps" if kind == "Deployment" else "",
                                       "version": "v1", "kind": kind},
                              "namespace": "shop", "name": obj["metadata"]["name"],
                              "operation": "CREATE", "object": obj}}
            mutated = hook.review("/mutate?timeout=20s", rv)
            assert mutated == cli["mutate"], (kind, mutated, cli["mutate"])
            if not mutated["response"]["allowed"]:
                continue
            # the apiserver applies the JSONPatch (test + replace ops), then calls /validate
            for op in json.loads(base64.b64decode(mutated["response"]["patch"])):
                parts = op["path"].lstrip("/").split("/")
                node = obj
                for p in parts[:-1]:
                    node = node[int(p)] if isinstance(node, list) else node[p]
                last = int(parts[-1]) if isinstance(node, list) else parts[-1]
                if op["op"] == "test":
                    assert node[last] == op["value"]
                else:
                    node[last] = op["value"]
            served = hook.review("/validate?timeout=20s", rv)
            assert served == cli["response"], (kind, served, cli["response"])
    finally:
        assert hook.stop() == 0


class Hanging:
    """A "registry" that accepts connections and never answers (until close_conns)."""

    def __init__(self):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(64)
        self.s.settimeout(0.2)
        self.conns = []
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._accept, daemon=True)
        self.t.start()
        self.host = f"127.0.0.1:{self.s.getsockname()[1]}"

    def _accept(self):
        while not self.stop.is_set():
            try:
                c, _ = self.s.accept()
                self.conns.append(c)
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.t.join()
        for c in self.conns:
            c.close()
        self.s.close()


def metrics_text(hook):
    c = hook.conn()
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    return text


def test_hung_registry_cold_reviews_bounded_cached_ones_answer(world):
    """At most --max-cold reviews wait on registries at once; the others wait for a slot without
    holding a server thread. With a registry that accepts and never answers, 10 concurrent cold
    reviews (2 running, 8 waiting) leave every server thread free: cached reviews of the healthy
    registry's signed image are answered while all 10 are still unanswered, and each cold one is
    denied by its deadline (the 2 running: 'did not finish'; the 8: 'could not start')."""
    h, srv = world["host"], world["srv"]
    hang = Hanging()
    d = world["dir"] / "coldbound"
    d.mkdir()
    pol = world["policy"].replace(f'["{h}/shop/**"]\n      keys', f'["{h}/shop/**", '
                                  f'"{hang.host}/**"]\n      keys')
    pol = pol.replace(f'match: {{images: ["{h}/shop/**"]}}\n  trustedImages: ["{h}/**"]',
                      f'match: {{images: ["{h}/shop/**", "{hang.host}/**"]}}')
    assert hang.host in pol
    hook = Webhook(d, policy_text=pol, extra=("--insecure", "--max-cold", "2"))
    try:
        signed = f"{h}/shop/app:1@{registry_digest(srv, 'shop/app', '1')}"
        assert hook.review("/validate?timeout=20s", review(signed))["response"]["allowed"]
        cold, results = 10, {}

        def one(i):
            t0 = time.monotonic()
            img = f"{hang.host}/app{i}@sha256:" + f"{i:x}" * 64
            r = hook.review("/validate?timeout=6s", review(img, uid=f"c{i}"), timeout=30)
            results[i] = (time.monotonic() - t0, r["response"])

        started = time.monotonic()
        ts = [threading.Thread(target=one, args=(i,)) for i in range(cold)]
        for t in ts:
            t.start()
        # every cold review arrived: 2 running, 8 waiting (read through /metrics: the server
        # threads are free to answer it)
        until = time.monotonic() + 30
        while time.monotonic() < until:
            text = metrics_text(hook)
            if re.search(r"^vigil_admit_cold_waiting 8$", text, re.M):
                break
        assert re.search(r"^vigil_admit_cold_running 2$", text, re.M), text
        assert re.search(r"^vigil_admit_cold_waiting 8$", text, re.M), text
        n = 0
        for _ in range(5):  # sequential, then 8 at once, each on its own connection
            assert hook.review("/validate?timeout=6s", review(signed))["response"]["allowed"]
            n += 1
        par = []
        pt = [threading.Thread(target=lambda: par.append(
            hook.review("/validate?timeout=6s", review(signed))["response"]["allowed"]))
            for _ in range(8)]
        for t in pt:
            t.start()
        for t in pt:
            t.join()
        assert par == [True] * 8
        # ... all answered while no cold review had its answer yet
        assert results == {}, results
        for t in ts:
            t.join()
        assert len(results) == cold
        late = [r for dt, r in results.values() if "did not finish" in r["status"]["message"]]
        unstarted = [r for dt, r in results.values()
                     if "could not start" in r["status"]["message"]]
        assert all(r["allowed"] is False for _, r in results.values()), results
        assert len(late) == 2 and len(unstarted) == 8, results
        assert "--max-cold" in unstarted[0]["status"]["message"]
        assert all(dt < 6.0 for dt, _ in results.values()), results
        assert re.search(r"^vigil_admit_cold_unstarted_total 8$", metrics_text(hook), re.M)
        # SIGTERM while the 2 late evaluations are still stuck on the hung registry (its client
        # gives up after a 30 s stall): the webhook waits a few seconds for them, says so and
        # exits 0 without running any library's global cleanup under them (vg_cli_exit_now).
        stuck = time.monotonic() - started < 20
        rc = hook.stop()
        assert rc == 0
        if stuck:
            assert any("evaluations still running at exit" in ln for ln in hook.lines), hook.lines
    finally:
        hang.close()  # the stuck evaluations see EOF and end
        hook.stop()


class Proxy:
    """A TCP proxy to the registry that counts the connections it accepts; while down it
    closes each at once (the webhook sees a transport failure)."""

    def __init__(self, port):
        self.port = port
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(64)
        self.s.settimeout(0.2)
        self.host = f"127.0.0.1:{self.s.getsockname()[1]}"
        self.down, self.accepted, self.socks = False, 0, []
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._accept, daemon=True)
        self.t.start()

    def _pump(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept(self):
        while not self.stop.is_set():
            try:
                c, _ = self.s.accept()
            except OSError:
                continue
            self.accepted += 1
            if self.down:
                c.close()
                continue
            u = socket.create_connection(("127.0.0.1", self.port))
            self.socks += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def set_down(self):
        self.down = True
        for s in self.socks:  # open connections fail too
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.t.join()
        self.set_down()
        self.s.close()


def test_registry_outage_failures_cached_briefly(world):
    """A signature lookup that fails for transport reasons is remembered for --failure-ttl: a
    storm of reviews of an image whose registry is down asks it once, not once per review; once
    the TTL has passed and the registry is back, the next review asks again, is allowed, and its
    success (cached for --cache-ttl) replaces the failure."""
    h, srv, d = world["host"], world["srv"], world["dir"]
    ok(run(["skopeo", "--insecure-policy", "copy", "-q", "--preserve-digests",
            "--src-tls-verify=false", "--dest-tls-verify=false", f"docker://{h}/shop/app:1",
            f"docker://{h}/shop/proxied:1"]))
    digest = registry_digest(srv, "shop/proxied", "1")
    px = Proxy(srv.port)
    try:
        ok(run([vigil_bin(), "sign", "--key", d / "a.key", "--insecure",
                f"{px.host}/shop/proxied:1"], env=PW))
        px.set_down()
        hd = d / "outage"
        hd.mkdir()
        pol = world["policy"].replace(h, px.host)
        hook = Webhook(hd, policy_text=pol, extra=("--insecure", "--failure-ttl", "5s"))
        try:
            img = f"{px.host}/shop/proxied:1@{digest}"
            first = hook.review("/validate?timeout=25s", review(img))["response"]
            t_first = time.monotonic()
            assert first["allowed"] is False, first
            n = px.accepted
            assert n > 0, "the registry was never asked"
            hits = metric(hook, "vigil_admit_cache_hits_total")
            for _ in range(4):
                r = hook.review("/validate?timeout=25s", review(img))["response"]
                assert r == first
            assert time.monotonic() - t_first < 5, "too slow to test within the failure TTL"
            assert px.accepted == n, "a remembered failure asked the registry again"
            assert metric(hook, "vigil_admit_cache_hits_total") >= hits + 4
            # recovery: once the failure TTL has passed, asked again, allowed, then cached
            px.down = False
            time.sleep(max(0.0, 5.3 - (time.monotonic() - t_first)))
            access = Path(str(srv.log_path) + ".access")
            a0 = access.read_text().count("/v2/shop/proxied/")
            r = hook.review("/validate?timeout=25s", review(img))["response"]
            assert r["allowed"] is True, (px.accepted - n, access.read_text().count("/v2/shop/proxied/") - a0, r["status"]["message"][-300:])
            a1 = access.read_text().count("/v2/shop/proxied/")
            assert a1 > a0 and px.accepted > n
            for _ in range(3):
                assert hook.review("/validate?timeout=25s", review(img))["response"]["allowed"]
            assert access.read_text().count("/v2/shop/proxied/") == a1
        finally:
            assert hook.stop() == 0
    finally:
        px.close()
