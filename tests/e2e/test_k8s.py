# SPDX-License-Identifier: Apache-2.0
"""`vigil k8s` against recorded Kubernetes API responses.

CI has no API server, so a small HTTPS server on 127.0.0.1 (TLS with a certificate generated
here; the kubeconfig carries it as certificate-authority-data) answers the real endpoints
(`/api/v1/pods`, `/apis/apps/v1/replicasets`, `/apis/batch/v1/cronjobs`, ...,
`/api/v1/namespaces/NS/secrets/NAME`) with objects shaped as kube-apiserver returns them:
lists with `metadata.resourceVersion` and `continue` tokens, honouring `limit` (so paging is
exercised with --page-size 2), items without kind/apiVersion, ownerReferences with controller
and blockOwnerDeletion, container statuses with `imageID`. It requires the bearer token, or
a client certificate (client-certificate-data/client-key-data) that it verifies.

The images live in a `vigil registry serve` with htpasswd auth: public/* pull anonymously,
private/* only with credentials, which vigil gets from the workloads' imagePullSecrets (a
kubernetes.io/dockerconfigjson Secret read through the API). The DB is built from
examples/osv: the public image has an old openssl (CVE-2023-5678), the private one an old glibc
(CVE-2024-2961). The registry's access log shows every image digest fetched once although
four workloads run the public one. Skips without htpasswd or openssl.
"""
import base64
import http.server
import json
import shutil
import ssl
import subprocess
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import ROOT, run_vigil
from images import MT_OCI_MANIFEST, Layout
from registry_fixtures import make_cert
from registry_serve import Serve

TOKEN = "k8s-reader-token"
OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' \
             'VERSION_CODENAME=bookworm\n'


def dpkg(*pkgs):
    return "\n".join(f"Package: {n}\nStatus: install ok installed\nArchitecture: amd64\n"
                     f"Source: {src}\nVersion: {v}\nDescription: {n}\n" for n, src, v in pkgs)


def basic(user, pw):
    return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()


def push(srv, lay, img, repo, tag):
    h = {"Authorization": basic("ci", "ci-pw")}
    for desc in [img.manifest["config"], *img.layers]:
        data = lay.blob_path(desc["digest"]).read_bytes()
        r = srv.req("POST", f"/v2/{repo}/blobs/uploads/?digest={desc['digest']}", data,
                    {**h, "Content-Type": "application/octet-stream"})
        assert r.status == 201, r
    r = srv.req("PUT", f"/v2/{repo}/manifests/{tag}", img.manifest_raw,
                {**h, "Content-Type": MT_OCI_MANIFEST})
    assert r.status == 201, r
    return img.desc["digest"]


# ---------------------------------------------------------------- recorded API objects

def meta(name, ns, uid, owner=None, labels=None):
    m = {"name": name, "namespace": ns, "uid": uid, "resourceVersion": "4711",
         "generation": 1, "creationTimestamp": "2026-12-01T10:00:00Z",
         "labels": labels or {"app": name}}
    if owner:
        kind, oname, ouid, api = owner
        m["ownerReferences"] = [{"apiVersion": api, "kind": kind, "name": oname, "uid": ouid,
                                 "controller": True, "blockOwnerDeletion": True}]
    return m


def container(name, image):
    return {"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
            "resources": {}, "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File"}


def status(name, image, image_id):
    return {"name": name, "image": image, "imageID": image_id, "ready": True,
            "restartCount": 0, "started": True, "containerID": "containerd://" + "ab" * 32,
            "state": {"running": {"startedAt": "2026-12-01T10:00:05Z"}},
            "lastState": {}}


def pod(name, ns, uid, owner, containers, statuses, secrets=(), init=None, eph=None):
    spec = {"containers": [container(n, i) for n, i in containers],
            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName":
            "default-scheduler", "serviceAccountName": "default", "nodeName": "node-1",
            "securityContext": {}, "terminationGracePeriodSeconds": 30}
    st = {"phase": "Running", "hostIP": "10.0.0.5", "podIP": "10.244.1.7",
          "qosClass": "BestEffort", "startTime": "2026-12-01T10:00:00Z",
          "containerStatuses": [status(*s) for s in statuses]}
    if secrets:
        spec["imagePullSecrets"] = [{"name": s} for s in secrets]
    if init:
        spec["initContainers"] = [container(n, i) for n, i, _ in init]
        st["initContainerStatuses"] = [status(n, i, d) for n, i, d in init]
    if eph:
        spec["ephemeralContainers"] = [container(n, i) for n, i, _ in eph]
        st["ephemeralContainerStatuses"] = [status(n, i, d) for n, i, d in eph]
    return {"metadata": meta(name, ns, uid, owner), "spec": spec, "status": st}


def template(containers, secrets=()):
    spec = {"containers": [container(n, i) for n, i in containers],
            "restartPolicy": "Always"}
    if secrets:
        spec["imagePullSecrets"] = [{"name": s} for s in secrets]
    return {"metadata": {"creationTimestamp": None, "labels": {"app": "x"}}, "spec": spec}


def secret(name, ns, host, user, pw):
    auth = base64.b64encode(f"{user}:{pw}".encode()).decode()
    cfg = json.dumps({"auths": {host: {"username": user, "password": pw, "auth": auth}}})
    return {"kind": "Secret", "apiVersion": "v1", "metadata": meta(name, ns, "sec-" + name),
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": base64.b64encode(cfg.encode()).decode()}}


def cluster(h, pub, priv, tools):
    """The recorded cluster: {resource: [objects]} and the Secrets by (ns, name)."""
    web, api, tl = f"{h}/public/web", f"{h}/private/api", f"{h}/public/tools"
    dep = ("Deployment", "web", "uid-dep-web", "apps/v1")
    rs = ("ReplicaSet", "web-5d9c7b", "uid-rs-web", "apps/v1")
    sts = ("StatefulSet", "db", "uid-sts-db", "apps/v1")
    cj = ("CronJob", "nightly", "uid-cj", "batch/v1")
    job = ("Job", "nightly-29012345", "uid-job", "batch/v1")
    ds = ("DaemonSet", "agent", "uid-ds", "apps/v1")
    objs = {
        "deployments": [
            {"metadata": meta("web", "shop", "uid-dep-web"),
             "spec": {"replicas": 2, "template": template([("web", web + ":1")])}},
            {"metadata": meta("idle", "other", "uid-dep-idle"),
             "spec": {"replicas": 0,
                      "template": template([("api", api + ":1")], ["regcred-other"])}}],
        "replicasets": [
            {"metadata": meta("web-5d9c7b", "shop", "uid-rs-web", dep),
             "spec": {"replicas": 2, "template": template([("web", web + ":1")])}},
            {"metadata": meta("web-0ld", "shop", "uid-rs-old", dep),
             "spec": {"replicas": 0, "template": template([("web", web + ":0")])}}],
        "statefulsets": [
            {"metadata": meta("db", "shop", "uid-sts-db"),
             "spec": {"template": template([("api", api + ":1")], ["regcred"])}}],
        "daemonsets": [
            {"metadata": meta("agent", "other", "uid-ds"),
             "spec": {"template": template([("api", api + ":1")], ["missing"])}}],
        "cronjobs": [
            {"metadata": meta("nightly", "shop", "uid-cj"),
             "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {
                 "template": template([("task", web + ":1")])}}}}],
        "jobs": [
            {"metadata": meta("nightly-29012345", "shop", "uid-job", cj),
             "spec": {"template": template([("task", web + ":1")])}}],
        "replicationcontrollers": [],
        "pods": [
            pod("web-5d9c7b-aaaaa", "shop", "uid-p1", rs, [("web", web + ":1")],
                [("web", web + ":1", f"{web}@{pub}")],
                init=[("init", tl + ":1", f"{tl}@{tools}")]),
            pod("web-5d9c7b-bbbbb", "shop", "uid-p2", rs, [("web", web + ":1")],
                [("web", web + ":1", f"{web}@{pub}")],
                init=[("init", tl + ":1", f"{tl}@{tools}")]),
            pod("db-0", "shop", "uid-p3", sts, [("api", api + ":1")],
                [("api", api + ":1", f"{api}@{priv}")], secrets=["regcred"]),
            pod("nightly-29012345-x7k2p", "shop", "uid-p4", job, [("task", web + ":1")],
                [("task", web + ":1", f"docker-pullable://{web}@{pub}")]),
            pod("debug", "shop", "uid-p5", None, [("sh", web + ":1")],
                [("sh", web + ":1", f"{web}@{pub}")],
                eph=[("debugger", tl + ":1", f"{tl}@{tools}")]),
            pod("agent-q8v4z", "other", "uid-p6", ds, [("api", api + ":1")],
                [("api", api + ":1", f"{api}@{priv}")], secrets=["missing"]),
        ],
    }
    secrets = {("shop", "regcred"): secret("regcred", "shop", h, "ci", "ci-pw"),
               ("other", "regcred-other"): secret("regcred-other", "other", h, "ci", "ci-pw")}
    return objs, secrets


GROUPS = {"pods": "/api/v1", "replicationcontrollers": "/api/v1", "deployments": "/apis/apps/v1",
          "statefulsets": "/apis/apps/v1", "daemonsets": "/apis/apps/v1",
          "replicasets": "/apis/apps/v1", "jobs": "/apis/batch/v1", "cronjobs": "/apis/batch/v1"}
LIST_KIND = {"pods": "PodList", "replicationcontrollers": "ReplicationControllerList",
             "deployments": "DeploymentList", "statefulsets": "StatefulSetList",
             "daemonsets": "DaemonSetList", "replicasets": "ReplicaSetList", "jobs": "JobList",
             "cronjobs": "CronJobList"}


class FakeAPI:
    """HTTPS kube-apiserver stand-in serving the recorded objects (see the module doc)."""

    def __init__(self, d: Path, objs, secrets, client_ca: Path):
        self.requests = []
        self.forbidden = set()  # resources answered 403
        api = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                u = urlsplit(self.path)
                q = parse_qs(u.query)
                auth = self.headers.get("Authorization")
                api.requests.append((u.path, q, auth))
                if auth != f"Bearer {TOKEN}" and not self.client_cert_ok():
                    return self.status(401, "Unauthorized", "Unauthorized")
                parts = u.path.strip("/").split("/")
                ns = None
                if "namespaces" in parts:
                    i = parts.index("namespaces")
                    ns = parts[i + 1]
                    parts = parts[:i] + parts[i + 2:]
                if len(parts) == 3 and parts[:2] == ["api", "v1"] and parts[2] == "secrets":
                    pass
                if ns and len(parts) == 4 and parts[2] == "secrets":
                    s = secrets.get((ns, parts[3]))
                    if not s:
                        return self.status(404, "NotFound",
                                           f'secrets "{parts[3]}" not found')
                    return self.answer(200, s)
                res = parts[-1]
                if "/" + "/".join(parts[:-1]) != GROUPS.get(res):
                    return self.status(404, "NotFound", "the server could not find the "
                                       "requested resource")
                if res in api.forbidden:
                    return self.status(403, "Forbidden", f'{res} is forbidden: User '
                                       f'"system:serviceaccount:x:y" cannot list resource '
                                       f'"{res}" at the cluster scope')
                items = [o for o in objs[res] if ns is None or o["metadata"]["namespace"] == ns]
                start = int(base64.b64decode(q["continue"][0])) if "continue" in q else 0
                limit = int(q.get("limit", ["0"])[0]) or len(items)
                page = items[start:start + limit]
                md = {"resourceVersion": "98765"}
                if start + limit < len(items):
                    md["continue"] = base64.b64encode(str(start + limit).encode()).decode()
                    md["remainingItemCount"] = len(items) - start - limit
                api_version = GROUPS[res].split("/", 2)[-1] if res not in (
                    "pods", "replicationcontrollers") else "v1"
                return self.answer(200, {"kind": LIST_KIND[res], "apiVersion": api_version,
                                         "metadata": md, "items": page})

            def client_cert_ok(self):
                c = self.connection.getpeercert()
                return bool(c) and ((("commonName", "vigil-reader"),) in c.get("subject", ()))

            def status(self, code, reason, msg):
                return self.answer(code, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                          "status": "Failure", "message": msg,
                                          "reason": reason, "code": code})

            def answer(self, code, doc):
                body = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.cert, key = make_cert(d)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, key)
        ctx.load_verify_locations(client_ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def kubeconfig(path: Path, api: FakeAPI, user: dict, ca=True):
    cluster = {"server": f"https://127.0.0.1:{api.port}"}
    if ca:
        cluster["certificate-authority-data"] = base64.b64encode(api.cert.read_bytes()).decode()
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "test",
           "contexts": [{"name": "test", "context": {"cluster": "fake", "user": "reader"}}],
           "clusters": [{"name": "fake", "cluster": cluster}],
           "users": [{"name": "reader", "user": user}]}
    path.write_text(json.dumps(doc))  # JSON is YAML
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    for tool in ("htpasswd", "openssl"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    d = tmp_path_factory.mktemp("k8s")
    hp = d / "htpasswd"
    hp.write_text(subprocess.run(["htpasswd", "-nbB", "-C", "5", "ci", "ci-pw"], check=True,
                                 capture_output=True, text=True).stdout.strip() + "\n")
    (d / "registry.yaml").write_text(
        f"auth:\n  htpasswd: {hp}\naccess:\n"
        "  - {repos: [\"**\"], users: [ci], actions: [pull, push]}\n"
        "  - {repos: [\"public/**\"], anonymous: [pull]}\n")
    srv = Serve(d / "root", d / "serve.log", args=["--config", str(d / "registry.yaml")]).start()
    lay = Layout(d / "layout")
    base = {"etc/os-release": OS_RELEASE}
    pub = lay.add_image([{**base, "var/lib/dpkg/status": dpkg(
        ("libssl3", "openssl", "3.0.11-1~deb12u2"))}])
    priv = lay.add_image([{**base, "var/lib/dpkg/status": dpkg(
        ("libc6", "glibc", "2.36-9+deb12u4"))}])
    tools = lay.add_image([{**base, "var/lib/dpkg/status": dpkg(
        ("zlib1g", "zlib", "1:1.2.13.dfsg-1"))}])
    digests = {"pub": push(srv, lay, pub, "public/web", "1"),
               "priv": push(srv, lay, priv, "private/api", "1"),
               "tools": push(srv, lay, tools, "public/tools", "1")}
    layers = {"pub": pub.layers[0]["digest"], "priv": priv.layers[0]["digest"],
              "tools": tools.layers[0]["digest"]}
    db = d / "vulndb.sqlite"
    r = run_vigil("db", "build", "--from", ROOT / "examples" / "osv", "--db", db)
    assert r.rc == 0, r
    # the client certificate the API accepts (self-signed: its own CA)
    (d / "client").mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=vigil-reader", "-keyout", str(d / "client" / "key.pem"),
                    "-out", str(d / "client" / "cert.pem")], check=True, capture_output=True)
    (d / "api").mkdir()
    objs, secrets = cluster(srv.host, digests["pub"], digests["priv"], digests["tools"])
    api = FakeAPI(d / "api", objs, secrets, d / "client" / "cert.pem")
    kc = kubeconfig(d / "kubeconfig", api, {"token": TOKEN})
    empty = d / "docker-empty"
    empty.mkdir()
    env = {"DOCKER_CONFIG": str(empty), "XDG_CACHE_HOME": str(d / "cache"), "HOME": str(d)}
    yield {"srv": srv, "api": api, "kc": kc, "db": db, "d": d, "digests": digests,
           "layers": layers, "env": env, "host": srv.host}
    api.stop()
    srv.kill()


def k8s(w, *args, kc=None):
    return run_vigil("k8s", "--kubeconfig", kc or w["kc"], "--db", w["db"], "--offline",
                     "--no-cache", *args, env=w["env"], timeout=300)


def blob_gets(w, which):
    log = Path(str(w["srv"].log_path) + ".access").read_text().splitlines()
    return sum(1 for line in log if f"/blobs/{w['layers'][which]}" in line and '"GET"' in line)


def test_whole_cluster_json(world):
    w = world
    before = {k: blob_gets(w, k) for k in w["layers"]}
    n_api = len(w["api"].requests)
    r = k8s(w, "--format", "json", "--page-size", "2")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    res = {(x["Namespace"], x["Kind"], x["Name"]): x for x in doc["Resources"]}
    # per top-level workload: pods climb to Deployment (through the ReplicaSet) and CronJob
    assert set(res) == {("shop", "Deployment", "web"), ("shop", "StatefulSet", "db"),
                        ("shop", "CronJob", "nightly"), ("shop", "Pod", "debug"),
                        ("other", "Deployment", "idle"), ("other", "DaemonSet", "agent")}, res
    web = res[("shop", "Deployment", "web")]
    assert web["Pods"] == 2
    imgs = {(i["ContainerType"], i["Container"]): i for i in web["Images"]}
    assert imgs[("container", "web")]["Digest"] == w["digests"]["pub"]
    assert imgs[("container", "web")]["Artifact"] == f"{w['host']}/public/web@{w['digests']['pub']}"
    assert imgs[("initContainer", "init")]["Digest"] == w["digests"]["tools"]
    ids = {v["VulnerabilityID"] for x in web["Results"] for v in x.get("Vulnerabilities") or []}
    assert "CVE-2023-5678" in ids, web["Results"]
    dbg = res[("shop", "Pod", "debug")]
    assert {i["ContainerType"] for i in dbg["Images"]} == {"container", "ephemeralContainer"}
    # the private image: scanned with the StatefulSet's pull secret read through the API
    db_ = res[("shop", "StatefulSet", "db")]
    assert "Error" not in db_["Images"][0], db_
    ids = {v["VulnerabilityID"] for x in db_["Results"] for v in x.get("Vulnerabilities") or []}
    assert "CVE-2024-2961" in ids
    # a workload without pods lists its template, unresolved, scanned by tag with its secret
    idle = res[("other", "Deployment", "idle")]
    assert "Digest" not in idle["Images"][0] and "Error" not in idle["Images"][0], idle
    assert idle["Images"][0]["Artifact"] == f"{w['host']}/private/api:1"
    # the DaemonSet's own secret is missing, the digest is the StatefulSet's: scanned once
    assert "Error" not in res[("other", "DaemonSet", "agent")]["Images"][0]
    assert "imagePullSecrets not used" in r.err and "missing" in r.err, r.err
    # each digest fetched once although 4 workloads run the public one; the private image twice:
    # once by digest, once by the idle Deployment's tag (no pod to resolve it)
    after = {k: blob_gets(w, k) for k in w["layers"]}
    assert after["pub"] - before["pub"] == 1, (before, after)
    assert after["tools"] - before["tools"] == 1, (before, after)
    assert after["priv"] - before["priv"] == 2, (before, after)
    # paging: every list asked with limit=2, pods (6) in 3 pages with continue tokens
    reqs = w["api"].requests[n_api:]
    pods = [q for p, q, _ in reqs if p == "/api/v1/pods"]
    assert len(pods) == 3 and all(q["limit"] == ["2"] for q in pods), pods
    assert "continue" not in pods[0] and "continue" in pods[1], pods
    secrets = [p for p, _, _ in reqs if "/secrets/" in p]
    assert sorted(set(secrets)) == ["/api/v1/namespaces/other/secrets/missing",
                                    "/api/v1/namespaces/other/secrets/regcred-other",
                                    "/api/v1/namespaces/shop/secrets/regcred"], secrets
    assert len(secrets) == 3, secrets  # each workload's secrets read once
    assert "ci-pw" not in r.out + r.err


def test_table_and_vulnerabilityreports(world):
    w = world
    r = k8s(w, "-n", "shop")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].split()[:4] == ["WORKLOAD", "CONTAINER", "IMAGE", "DIGEST"], r.out
    assert any(line.startswith("shop/Deployment/web ") for line in lines), r.out
    assert not any(line.startswith("other/") for line in lines), r.out
    r = k8s(w, "-n", "shop", "--format", "vulnerabilityreport")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["kind"] == "List" and doc["apiVersion"] == "v1"
    reps = {(i["metadata"]["labels"]["trivy-operator.resource.kind"],
             i["metadata"]["labels"]["trivy-operator.container.name"]): i for i in doc["items"]}
    rep = reps[("Deployment", "web")]
    assert rep["apiVersion"] == "aquasecurity.github.io/v1alpha1"
    assert rep["kind"] == "VulnerabilityReport"
    assert rep["metadata"]["name"] == "deployment-web-web"
    assert rep["metadata"]["namespace"] == "shop"
    assert rep["metadata"]["ownerReferences"][0]["uid"] == "uid-dep-web"
    rp = rep["report"]
    assert rp["registry"]["server"] == w["host"]
    assert rp["artifact"]["repository"] == "public/web"
    assert rp["artifact"]["digest"] == w["digests"]["pub"]
    assert rp["os"]["family"] == "debian"
    v = [x for x in rp["vulnerabilities"] if x["vulnerabilityID"] == "CVE-2023-5678"]
    assert v and v[0]["resource"] == "libssl3" and v[0]["installedVersion"] == "3.0.11-1~deb12u2"
    assert v[0]["fixedVersion"] == "3.0.13-1~deb12u1" and v[0]["primaryLink"], v
    s = rp["summary"]
    assert sum(s[k] for k in ("criticalCount", "highCount", "mediumCount", "lowCount",
                              "unknownCount", "noneCount")) == len(rp["vulnerabilities"]) > 0
    assert ("Deployment", "init") in reps and ("Pod", "debugger") in reps, reps.keys()


def test_exit_codes_and_errors(world):
    w = world
    r = k8s(w, "-n", "shop", "--exit-code", "9", "-q")
    assert r.rc == 9 and r.err == "", r
    r = k8s(w, "-n", "shop", "--exit-code", "9", "--severity", "CRITICAL", "--ignore-unfixed",
            "--format", "json", "-q")
    doc = json.loads(r.out)
    crit = [v for x in doc["Resources"] for res in x["Results"]
            for v in res.get("Vulnerabilities") or [] if v["Severity"] == "CRITICAL"]
    assert r.rc == (9 if crit else 0), r
    # namespace "other" alone: the DaemonSet's only secret is missing, the registry refuses it
    r = k8s(w, "-n", "other")
    assert r.rc == 5, r
    assert "error:" in r.out and "agent" in r.out, r.out
    # no token: the API server refuses the list (exit 5), the message names it
    bad = kubeconfig(w["d"] / "kc-wrong", w["api"], {"token": "wrong"})
    r = k8s(w, kc=bad)
    assert r.rc == 5 and "refused (HTTP 401" in r.err, r
    # a list the identity may not read is a note; the Job's pods still climb to the CronJob
    # its ownerReference names
    w["api"].forbidden.add("cronjobs")
    try:
        r = k8s(w, "-n", "shop", "--format", "json")
    finally:
        w["api"].forbidden.discard("cronjobs")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert "cronjobs" in " ".join(doc["Notes"]), doc["Notes"]
    kinds = {(x["Kind"], x["Name"]) for x in doc["Resources"]}
    assert ("CronJob", "nightly") in kinds and "Job" not in {k for k, _ in kinds}, kinds
    # an unverified server certificate is refused
    noca = kubeconfig(w["d"] / "kc-noca", w["api"], {"token": TOKEN}, ca=False)
    r = k8s(w, kc=noca)
    assert r.rc == 7, r
    r = run_vigil("k8s", "--format", "yaml")
    assert r.rc == 2, r
    r = run_vigil("k8s", "--help")
    assert r.rc == 0 and "Examples:" in r.out


def test_client_certificate(world):
    w = world
    c = w["d"] / "client"
    user = {"client-certificate-data": base64.b64encode((c / "cert.pem").read_bytes()).decode(),
            "client-key-data": base64.b64encode((c / "key.pem").read_bytes()).decode()}
    kc = kubeconfig(w["d"] / "kc-cert", w["api"], user)
    n = len(w["api"].requests)
    r = k8s(w, "-n", "shop", "-q", kc=kc)
    assert r.rc == 0, r
    assert all(a is None for _, _, a in w["api"].requests[n:])  # no token was sent
    # files relative to the kubeconfig's directory work too
    user = {"client-certificate": "client/cert.pem", "client-key": "client/key.pem"}
    r = k8s(w, "-n", "shop", "-q", kc=kubeconfig(w["d"] / "kc-files", w["api"], user))
    assert r.rc == 0, r


def test_hostile_kubeconfigs(world):
    w = world
    d = w["d"]
    cases = {
        "exec": ({"exec": {"command": "/bin/sh", "args": ["-c", "touch " + str(d / "ran")]}},
                 6, "uses exec: not supported"),
        "authprov": ({"auth-provider": {"name": "gcp"}}, 6, "uses auth-provider"),
        "nothing": ({}, 6, "no token, tokenFile or client certificate"),
        "badkey": ({"client-certificate-data": "AAAA", "client-key-data": "%%%"}, 6,
                   "bad base64 in user.client-key-data"),
    }
    for name, (user, rc, msg) in cases.items():
        r = k8s(w, kc=kubeconfig(d / f"kc-{name}", w["api"], user))
        assert r.rc in (rc, 3) and msg in r.err, (name, r)
        assert len(r.err.strip().splitlines()) <= 2, r.err
    assert not (d / "ran").exists()
    (d / "kc-nocur").write_text("apiVersion: v1\nkind: Config\nclusters: []\n")
    r = k8s(w, kc=d / "kc-nocur")
    assert r.rc == 6 and "no current-context" in r.err, r
    (d / "kc-huge").write_bytes(b"# " + b"x" * (5 << 20))
    r = k8s(w, kc=d / "kc-huge")
    assert r.rc == 6 and "kubeconfig" in r.err, r
    r = k8s(w, kc=d / "kc-absent")
    assert r.rc == 4, r
