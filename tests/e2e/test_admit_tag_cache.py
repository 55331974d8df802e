"""`vigil admit serve`: images named by TAG get their facts from the decision cache, under the
digest the tag names at each review, and cold reviews are bounded per registry.

The registry is a real `vigil registry serve`; the webhook reaches it through a small HTTP
proxy (Counting, below) that counts every request before forwarding it, so "one registry
request" is exact, and that can answer 503 for the signature lookup (a registry failing).

- a second review of a tag is exactly one request (the manifest HEAD); the facts of its digest
  come from the cache and count as hits; /mutate pins to the digest resolved then;
- a tag moved to an unsigned image is denied on the next review;
- a policy edit (SIGHUP, a new generation) verifies again;
- a failed signature lookup is remembered for --failure-ttl, then asked again;
- with a registry that accepts and never answers and --max-cold 2, cold reviews stuck on it
  do not hold back a cold review of a healthy registry (answered, allowed, while they wait).
Skips when skopeo is missing."""
import base64
import http.client
import json
import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import vigil_bin
from images import build_image
from registry_serve import Serve
from test_admit import Webhook
from test_admit_registry import (PW, Hanging, metrics_text, ok, registry_digest, reload_policies,
                                 run, skopeo_push)

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


class Counting:
    """An HTTP/1.1 proxy in front of the registry: records (method, path) of every request
    before forwarding it; paths for which fail(path) is true get a 403 instead; while `gate`
    is an unset Event, requests wait for it (a registry that hangs, then recovers)."""

    def __init__(self, port):
        self.port, self.seen, self.fail = port, [], (lambda path: False)
        self.gate = None
        self.mu = threading.Lock()
        proxy = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                with proxy.mu:
                    proxy.seen.append((self.command, self.path))
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                gate = proxy.gate
                if gate is not None:
                    gate.wait(120)
                if proxy.fail(self.path):
                    msg = b'{"errors":[{"code":"DENIED","message":"injected"}]}'
                    self.send_response(403)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                c = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=30)
                hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                c.request(self.command, self.path, body=body, headers=hdrs)
                r = c.getresponse()
                data = r.read()
                c.close()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in HOP:
                        self.send_header(k, v)
                if self.command == "HEAD":
                    self.send_header("Content-Length", r.getheader("Content-Length") or "0")
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.host = f"127.0.0.1:{self.srv.server_address[1]}"
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()

    def mark(self):
        with self.mu:
            return len(self.seen)

    def since(self, n, repo=None):
        with self.mu:
            got = self.seen[n:]
        return [x for x in got if repo is None or x[1].startswith(f"/v2/{repo}/")]

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not shutil.which("skopeo"):
        pytest.skip("skopeo is not installed")
    d = tmp_path_factory.mktemp("tagcache")
    srv = Serve(d / "root", d / "serve.log").start()
    px = Counting(srv.port)
    host = px.host
    for name in ("a", "b"):
        ok(run([vigil_bin(), "generate-key-pair", "--output-key-prefix", name], env=PW, cwd=d))
    one, _ = build_image(d / "one", tag="v1", layers=[{"app.txt": b"the signed app\n"}])
    two, _ = build_image(d / "two", tag="v1", layers=[{"app.txt": b"an unsigned one\n"}])
    for ref in ("tc/app:1", "tc/app:moving", "tc/flaky:1"):
        skopeo_push(f"oci:{one.path}:v1", f"{srv.host}/{ref}")
    skopeo_push(f"oci:{two.path}:v1", f"{srv.host}/tc/two:1")
    for ref in ("tc/app:1", "tc/flaky:1"):
        ok(run([vigil_bin(), "sign", "--key", d / "a.key", "--insecure", f"{host}/{ref}"],
               env=PW))
    policy = f"""apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {{name: signed}}
spec:
  trustedImages: ["{host}/**"]
  signatures:
    - images: ["{host}/tc/**"]
      keys: [{{file: {d / 'a.pub'}}}]
"""
    (d / "hook").mkdir()
    hook = Webhook(d / "hook", policy_text=policy,
                   extra=("--insecure", "--failure-ttl", "2s"))
    yield {"srv": srv, "px": px, "host": host, "hook": hook, "dir": d, "policy": policy,
           "two": two}
    assert hook.stop() == 0
    px.close()
    srv.kill()


def review(images, uid="u-1", dry_run=False):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "namespace": "shop", "operation": "CREATE", "dryRun": dry_run,
                        "object": {"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": "p", "namespace": "shop"},
                                   "spec": {"containers": [
                                       {"name": f"c{i}", "image": im}
                                       for i, im in enumerate(images)]}}}}


def metric(hook, name):
    return int(re.search(rf"^{re.escape(name)} (\d+)", metrics_text(hook), re.M).group(1))


def validate(hook, images, **kw):
    return hook.review("/validate?timeout=20s", review(images, **kw))["response"]


def test_second_review_of_a_tag_is_one_head(world):
    hook, px, h, srv = world["hook"], world["px"], world["host"], world["srv"]
    img = f"{h}/tc/app:1"
    assert validate(hook, [img])["allowed"] is True
    hits, misses = (metric(hook, "vigil_admit_cache_hits_total"),
                    metric(hook, "vigil_admit_cache_misses_total"))
    allows = metric(hook, 'vigil_admit_decisions_total{endpoint="validate",result="allow"}')
    n = px.mark()
    # three containers naming the tag, dry run: one HEAD, the signature from the cache
    r = validate(hook, [img, img, img], uid="again", dry_run=True)
    assert r["allowed"] is True and r["uid"] == "again", r
    assert px.since(n) == [("HEAD", "/v2/tc/app/manifests/1")], px.since(n)
    assert metric(hook, "vigil_admit_cache_hits_total") > hits
    assert metric(hook, "vigil_admit_cache_misses_total") == misses
    assert metric(hook, 'vigil_admit_decisions_total{endpoint="validate",result="allow"}') == \
        allows + 1
    audit = [a for a in hook.audit() if a.get("uid") == "again"]
    assert len(audit) == 1 and audit[0]["result"] == "allow" and audit[0]["dry_run"] is True, \
        audit
    # /mutate pins to the digest resolved by this review (its own HEAD)
    n = px.mark()
    r = hook.review("/mutate?timeout=20s", review([img]))["response"]
    digest = registry_digest(srv, "tc/app", "1")
    patch = json.loads(base64.b64decode(r["patch"]))
    assert patch[1]["value"] == f"{img}@{digest}", patch
    assert px.since(n) == [("HEAD", "/v2/tc/app/manifests/1")], px.since(n)
    # and the pinned image shares the tag's cache entries: no registry request at all
    n = px.mark()
    assert validate(hook, [f"{img}@{digest}"])["allowed"] is True
    assert px.since(n) == []


def test_tag_moved_to_an_unsigned_image_is_denied(world):
    hook, px, h, srv = world["hook"], world["px"], world["host"], world["srv"]
    img = f"{h}/tc/app:moving"
    assert validate(hook, [img])["allowed"] is True
    n = px.mark()
    assert validate(hook, [img])["allowed"] is True
    assert px.since(n) == [("HEAD", "/v2/tc/app/manifests/moving")]
    skopeo_push(f"oci:{world['two'].path}:v1", f"{srv.host}/tc/app:moving")
    moved = registry_digest(srv, "tc/app", "moving")
    n = px.mark()
    r = validate(hook, [img])
    assert r["allowed"] is False and "signature" in r["status"]["message"], r
    asked = px.since(n)
    assert asked[0] == ("HEAD", "/v2/tc/app/manifests/moving") and len(asked) > 1, asked
    assert any(moved.replace(":", "-") in p or moved in p for _, p in asked[1:]), asked
    r = hook.review("/mutate?timeout=20s", review([img]))["response"]
    assert json.loads(base64.b64decode(r["patch"]))[1]["value"] == f"{img}@{moved}"


def test_policy_edit_verifies_again(world):
    hook, px, h, d = world["hook"], world["px"], world["host"], world["dir"]
    img = f"{h}/tc/app:1"
    assert validate(hook, [img])["allowed"] is True
    try:
        hook.policy.write_text(world["policy"].replace(str(d / "a.pub"), str(d / "b.pub")))
        reload_policies(hook)
        n = px.mark()
        r = validate(hook, [img])
        assert r["allowed"] is False and "signature" in r["status"]["message"], r
        assert len(px.since(n)) > 1, "the new policy was not verified against the registry"
    finally:
        hook.policy.write_text(world["policy"])
        reload_policies(hook)
    n = px.mark()
    assert validate(hook, [img])["allowed"] is True
    assert len(px.since(n)) > 1, "a new generation must verify again"
    n = px.mark()
    assert validate(hook, [img])["allowed"] is True
    assert px.since(n) == [("HEAD", "/v2/tc/app/manifests/1")]


def test_failed_signature_lookup_remembered_for_the_failure_ttl(world):
    """--failure-ttl 2s: a signature lookup the registry refuses (403) is remembered for the
    digest: the next review within the TTL is one HEAD and the same denial; after it, the
    registry (working again) is asked, the review allowed and its success cached."""
    hook, px, h = world["hook"], world["px"], world["host"]
    img = f"{h}/tc/flaky:1"
    px.fail = lambda p: p.startswith("/v2/tc/flaky/") and ("sha256-" in p or "/referrers/" in p)
    try:
        first = validate(hook, [img])
        t0 = time.monotonic()
        assert first["allowed"] is False and "unverifiable" in first["status"]["message"], first
        n = px.mark()
        r = validate(hook, [img])
        remembered = time.monotonic() - t0 < 2
        if remembered:
            assert r == first, (r, first)
            assert px.since(n) == [("HEAD", "/v2/tc/flaky/manifests/1")], px.since(n)
    finally:
        px.fail = lambda p: False
    if not remembered:
        pytest.skip("the machine is too slow to review twice within the 2 s failure TTL")
    time.sleep(max(0.0, 2.2 - (time.monotonic() - t0)))
    n = px.mark()
    assert validate(hook, [img])["allowed"] is True
    assert len(px.since(n)) > 1
    n = px.mark()
    assert validate(hook, [img])["allowed"] is True
    assert px.since(n) == [("HEAD", "/v2/tc/flaky/manifests/1")]


def test_hung_registry_does_not_hold_back_a_healthy_one(world):
    """--max-cold 2 per registry: 4 cold reviews of a registry that accepts and never
    answers (2 running, 2 waiting, read on /metrics per registry), then a cold review of the
    healthy registry is evaluated at once and allowed while all 4 are still unanswered (with
    the global bound of before it waited behind them and was denied at its deadline)."""
    h, d = world["host"], world["dir"]
    hang = Hanging()
    hd = d / "percold"
    hd.mkdir()
    pol = world["policy"].replace(f'trustedImages: ["{h}/**"]',
                                  f'trustedImages: ["{h}/**", "{hang.host}/**"]')
    pol = pol.replace(f'images: ["{h}/tc/**"]', f'images: ["{h}/tc/**", "{hang.host}/**"]')
    assert pol.count(hang.host) == 2
    hook = Webhook(hd, policy_text=pol, extra=("--insecure", "--max-cold", "2"))
    results, events = {}, []
    try:
        def stuck(i):
            r = hook.review("/validate?timeout=30s", review([f"{hang.host}/app:{i}"],
                                                            uid=f"s{i}"), timeout=60)
            events.append(f"stuck{i}")
            results[i] = r["response"]

        ts = [threading.Thread(target=stuck, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        reg = re.escape(hang.host)
        until = time.monotonic() + 30
        while time.monotonic() < until:
            text = metrics_text(hook)
            if re.search(rf'^vigil_admit_cold_registry_waiting\{{registry="{reg}"\}} 2$', text,
                         re.M):
                break
            time.sleep(0.02)
        assert re.search(rf'^vigil_admit_cold_registry_running\{{registry="{reg}"\}} 2$', text,
                         re.M), text
        assert re.search(r"^vigil_admit_cold_running 2$", text, re.M), text
        assert re.search(r"^vigil_admit_cold_waiting 2$", text, re.M), text
        # a cold review of the healthy registry: a tag (HEAD) and a signature to verify
        r = hook.review("/validate?timeout=30s", review([f"{h}/tc/app:1"], uid="healthy"),
                        timeout=60)["response"]
        events.append("healthy")
        assert r["allowed"] is True, r
        assert events == ["healthy"], events  # answered while all 4 still wait
        assert re.search(r"^vigil_admit_cold_running 2$", metrics_text(hook), re.M)
    finally:
        hang.close()  # the stuck evaluations see EOF; the waiting ones then fail fast
        for t in ts:
            t.join(timeout=90)
        assert hook.stop() == 0
    assert len(results) == 4 and all(r["allowed"] is False for r in results.values()), results


def test_cached_image_of_a_hung_registry_takes_no_slot(world):
    """A review whose images of a hung registry are all answered by the decision cache does
    not wait for that registry's slots: with --max-cold 1 and the one slot of registry B held
    by a review stuck on B, a review of B's signed image (pinned, verdict cached) and a tag of
    the healthy registry A is evaluated at once and allowed while the stuck one still waits."""
    srv, h, d = world["srv"], world["host"], world["dir"]
    b = Counting(srv.port)  # a second registry host over the same storage
    hd = d / "settled"
    hd.mkdir()
    pol = world["policy"].replace(f'trustedImages: ["{h}/**"]',
                                  f'trustedImages: ["{h}/**", "{b.host}/**"]')
    pol = pol.replace(f'images: ["{h}/tc/**"]', f'images: ["{h}/tc/**", "{b.host}/tc/**"]')
    assert pol.count(b.host) == 2
    hook = Webhook(hd, policy_text=pol, extra=("--insecure", "--max-cold", "1"))
    pinned = f"{b.host}/tc/app@{registry_digest(srv, 'tc/app', '1')}"
    # signed under B's name too (the payload names the reference it was signed as)
    ok(run([vigil_bin(), "sign", "--key", d / "a.key", "--insecure", pinned], env=PW))
    events, stuck = [], {}
    t = None
    try:
        r = validate(hook, [pinned])
        assert r["allowed"] is True, r["status"]["message"]  # B answers; the verdict is cached
        b.gate = threading.Event()  # B hangs from now on

        def hang():
            stuck["r"] = hook.review("/validate?timeout=30s",
                                     review([f"{b.host}/tc/app:1"], uid="stuck"),
                                     timeout=60)["response"]
            events.append("stuck")

        t = threading.Thread(target=hang)
        t.start()
        reg = re.escape(b.host)
        until = time.monotonic() + 30
        text = ""
        while time.monotonic() < until:
            text = metrics_text(hook)
            if re.search(rf'^vigil_admit_cold_registry_running\{{registry="{reg}"\}} 1$', text,
                         re.M):
                break
            time.sleep(0.02)
        assert re.search(rf'^vigil_admit_cold_registry_running\{{registry="{reg}"\}} 1$', text,
                         re.M), text
        r = hook.review("/validate?timeout=30s",
                        review([pinned, f"{h}/tc/app:1"], uid="mixed"), timeout=60)["response"]
        events.append("mixed")
        assert r["allowed"] is True, r
        assert events == ["mixed"], events  # answered while the stuck review still waits
    finally:
        if b.gate is not None:
            b.gate.set()
        if t is not None:
            t.join(timeout=90)
        assert hook.stop() == 0
        b.close()
    assert stuck["r"]["allowed"] is True, stuck  # B recovered before its deadline
