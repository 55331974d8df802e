# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of `vigil admit manifests`: the objects that install the webhook.

The YAML stream is parsed (PyYAML) and compared with the JSON output; every object and the
fields the issue asks for are checked (2 replicas, non-root, read-only root filesystem, probes,
policies from the ConfigMap, RBAC to get secrets, PDB, both webhook configurations with
failurePolicy Fail, sideEffects None, timeoutSeconds, v1/v1beta1, the pod rules and
pods/ephemeralcontainers, the namespaceSelector). The serving certificate in the Secret must
chain to the caBundle with the service's DNS names (openssl verify -verify_hostname), and a
real `vigil admit serve` started with the Deployment's own arguments and the Secret's pair must
answer /healthz, /readyz and /validate to a client that trusts only the caBundle and checks the
name <svc>.<ns>.svc. `kubectl apply --dry-run=client` reads the whole stream against a fake
discovery endpoint (skipped when kubectl is absent)."""
import base64
import json
import shutil
import socket
import ssl
import subprocess
import threading
import http.client
import http.server
import signal
import re

import pytest

from conftest import vigil_bin

yaml = pytest.importorskip("yaml")

POLICY = """apiVersion: vigil.dev/v1
kind: ImagePolicy
metadata: {name: prod}
spec:
  trustedImages: ["registry.example.com/**"]
  tags: {forbid: [latest]}
"""
GATEKEEPER = """apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sDisallowedTags
metadata: {name: no-latest}
spec:
  parameters: {tags: [latest]}
"""

KINDS = ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap",
         "Secret", "Deployment", "Service", "PodDisruptionBudget",
         "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]


def run(*args, check=True):
    p = subprocess.run([vigil_bin(), "admit", "manifests", *map(str, args)],
                       capture_output=True, text=True, timeout=60)
    if check:
        assert p.returncode == 0, p.stderr
    return p


@pytest.fixture
def policies(tmp_path):
    a = tmp_path / "prod.yaml"
    a.write_text(POLICY)
    b = tmp_path / "gk.yaml"
    b.write_text(GATEKEEPER)
    return a, b


def objects(tmp_path, policies, *extra):
    p = run("--namespace", "vigil-system", "-p", policies[0], "-p", policies[1], *extra)
    docs = list(yaml.safe_load_all(p.stdout))
    assert p.stdout.startswith("---\n")
    return {d["kind"]: d for d in docs}, docs, p.stdout


def check_webhooks(whc, path, ns, timeout=10, failure="Fail", url=None):
    assert whc["apiVersion"] == "admissionregistration.k8s.io/v1"
    [w] = whc["webhooks"]
    assert w["name"] == f"{path}.vigil-admit.vigil.dev"
    assert w["failurePolicy"] == failure
    assert w["sideEffects"] == "None"
    assert w["timeoutSeconds"] == timeout
    assert w["admissionReviewVersions"] == ["v1", "v1beta1"]
    assert w["matchPolicy"] == "Equivalent"
    cc = w["clientConfig"]
    if url:
        assert cc["url"] == url + "/" + path and "service" not in cc
    else:
        assert cc["service"] == {"namespace": ns, "name": "vigil-admit", "path": "/" + path,
                                 "port": 443}
        assert "url" not in cc
    [expr] = w["namespaceSelector"]["matchExpressions"]
    assert expr["key"] == "kubernetes.io/metadata.name" and expr["operator"] == "NotIn"
    assert sorted(expr["values"]) == sorted({ns or "kube-system", "kube-system"})
    rules = {(r["apiGroups"][0], r["apiVersions"][0]): r for r in w["rules"]}
    assert set(rules) == {("", "v1"), ("apps", "v1"), ("batch", "v1")}
    for r in w["rules"]:
        assert r["operations"] == ["CREATE", "UPDATE"] and r["scope"] == "Namespaced"
    assert set(rules[("", "v1")]["resources"]) == {
        "pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"}
    assert set(rules[("apps", "v1")]["resources"]) == {
        "deployments", "replicasets", "statefulsets", "daemonsets"}
    assert set(rules[("batch", "v1")]["resources"]) == {"jobs", "cronjobs"}
    assert (w.get("reinvocationPolicy") == "IfNeeded") == (path == "mutate")
    return base64.b64decode(cc["caBundle"])


def test_every_object_and_field(tmp_path, policies):
    by_kind, docs, text = objects(tmp_path, policies)
    assert [d["kind"] for d in docs] == KINDS
    ns = "vigil-system"
    for d in docs:
        if d["kind"] in ("Namespace", "ClusterRole", "ClusterRoleBinding",
                         "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
            assert "namespace" not in d["metadata"], d["kind"]
        else:
            assert d["metadata"]["namespace"] == ns, d["kind"]
    assert by_kind["Namespace"]["metadata"]["name"] == ns
    assert by_kind["Namespace"]["metadata"]["labels"][
        "pod-security.kubernetes.io/enforce"] == "restricted"
    assert by_kind["ServiceAccount"]["metadata"]["name"] == "vigil-admit"

    role = by_kind["ClusterRole"]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]
    crb = by_kind["ClusterRoleBinding"]
    assert crb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                              "name": role["metadata"]["name"]}
    assert crb["subjects"] == [{"kind": "ServiceAccount", "name": "vigil-admit",
                                "namespace": ns}]

    cm = by_kind["ConfigMap"]
    assert cm["data"] == {"prod.yaml": POLICY, "gk.yaml": GATEKEEPER}  # byte for byte

    sec = by_kind["Secret"]
    assert sec["type"] == "kubernetes.io/tls"
    assert set(sec["data"]) == {"tls.crt", "tls.key", "ca.crt"}

    dep = by_kind["Deployment"]
    assert dep["apiVersion"] == "apps/v1"
    spec = dep["spec"]
    assert spec["replicas"] == 2
    tmpl = spec["template"]
    assert spec["selector"]["matchLabels"].items() <= tmpl["metadata"]["labels"].items()
    assert tmpl["metadata"]["annotations"]["vigil.dev/config-sha256"].startswith("sha256:")
    pod = tmpl["spec"]
    assert pod["serviceAccountName"] == "vigil-admit"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    [c] = pod["containers"]
    assert c["image"].startswith("ghcr.io/vigil-dev/vigil:")
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["runAsNonRoot"] is True
    assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"] == {"drop": ["ALL"]}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "https",
                                              "scheme": "HTTPS"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "https",
                                             "scheme": "HTTPS"}
    assert c["resources"]["requests"]["cpu"] and c["resources"]["limits"]["memory"]
    assert c["ports"] == [{"name": "https", "containerPort": 8443, "protocol": "TCP"}]
    assert c["command"] == ["vigil"]
    args = c["args"]
    assert args[:2] == ["admit", "serve"] and "--in-cluster" in args
    assert "--policy=/etc/vigil/policies/prod.yaml" in args
    assert "--policy=/etc/vigil/policies/gk.yaml" in args
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in pod["volumes"]}
    assert vols["policies"]["configMap"]["name"] == cm["metadata"]["name"]
    assert mounts["policies"]["mountPath"] == "/etc/vigil/policies"
    assert vols["tls"]["secret"]["secretName"] == sec["metadata"]["name"]
    assert mounts["tls"]["mountPath"] == "/etc/vigil/tls" and mounts["tls"]["readOnly"]
    assert "emptyDir" in vols["tmp"]

    svc = by_kind["Service"]
    assert svc["spec"]["selector"] == spec["selector"]["matchLabels"]
    assert svc["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": "https",
                                     "protocol": "TCP"}]
    pdb = by_kind["PodDisruptionBudget"]
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"]["matchLabels"] == spec["selector"]["matchLabels"]
    assert pdb["spec"]["maxUnavailable"] == 1

    ca1 = check_webhooks(by_kind["ValidatingWebhookConfiguration"], "validate", ns)
    ca2 = check_webhooks(by_kind["MutatingWebhookConfiguration"], "mutate", ns)
    assert ca1 == ca2 == base64.b64decode(sec["data"]["ca.crt"])

    # JSON output: the same objects (a v1 List), apart from the fresh keys and certificates
    j = json.loads(run("-n", ns, "-p", policies[0], "-p", policies[1], "--format",
                       "json").stdout)
    assert j["kind"] == "List" and [i["kind"] for i in j["items"]] == KINDS

    def strip(o):
        o = json.loads(json.dumps(o))
        if o["kind"] == "Secret":
            o["data"] = {}
        if o["kind"] == "Deployment":
            o["spec"]["template"]["metadata"]["annotations"] = {}
        for w in o.get("webhooks", []):
            w["clientConfig"]["caBundle"] = ""
        return o
    assert [strip(o) for o in j["items"]] == [strip(o) for o in docs]


def test_options(tmp_path, policies):
    by_kind, _, _ = objects(tmp_path, policies, "--image", "registry.example.com/vigil:9",
                            "--replicas", "3", "--timeout", "5", "--failure-policy", "Ignore",
                            "--name", "gate")
    dep = by_kind["Deployment"]
    assert dep["metadata"]["name"] == "gate" and dep["spec"]["replicas"] == 3
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "registry.example.com/vigil:9"
    for k in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        [w] = by_kind[k]["webhooks"]
        assert w["timeoutSeconds"] == 5 and w["failurePolicy"] == "Ignore"
        assert w["clientConfig"]["service"]["name"] == "gate"
        assert w["name"].endswith(".gate.vigil.dev")
    assert by_kind["Secret"]["metadata"]["name"] == "gate-tls"
    assert by_kind["ConfigMap"]["metadata"]["name"] == "gate-policies"
    # kube-system as the webhook's namespace is excluded once
    p = run("-n", "kube-system", "-p", policies[0], "--format", "json")
    items = {i["kind"]: i for i in json.loads(p.stdout)["items"]}
    [w] = items["ValidatingWebhookConfiguration"]["webhooks"]
    assert w["namespaceSelector"]["matchExpressions"][0]["values"] == ["kube-system"]


def write_secret_pair(tmp_path, by_kind):
    data = by_kind["Secret"]["data"]
    paths = {}
    for k in ("tls.crt", "tls.key", "ca.crt"):
        paths[k] = tmp_path / k
        paths[k].write_bytes(base64.b64decode(data[k]))
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(base64.b64decode(
        by_kind["ValidatingWebhookConfiguration"]["webhooks"][0]["clientConfig"]["caBundle"]))
    return paths, bundle


def test_certificate_chains_to_ca_bundle(tmp_path, policies):
    by_kind, _, _ = objects(tmp_path, policies)
    paths, bundle = write_secret_pair(tmp_path, by_kind)
    name = "vigil-admit.vigil-system.svc"
    v = subprocess.run(["openssl", "verify", "-CAfile", str(bundle), "-purpose", "sslserver",
                        "-verify_hostname", name, str(paths["tls.crt"])],
                       capture_output=True, text=True)
    assert v.returncode == 0 and ": OK" in v.stdout, v.stdout + v.stderr
    wrong = subprocess.run(["openssl", "verify", "-CAfile", str(bundle), "-verify_hostname",
                            "vigil-admit.other.svc", str(paths["tls.crt"])],
                           capture_output=True, text=True)
    assert wrong.returncode != 0
    text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", str(paths["tls.crt"])],
                          capture_output=True, text=True, check=True).stdout
    sans = re.search(r"Subject Alternative Name:.*\n\s*(.*)", text).group(1)
    assert sorted(s.strip() for s in sans.split(",")) == sorted(
        ["DNS:vigil-admit", "DNS:vigil-admit.vigil-system", "DNS:vigil-admit.vigil-system.svc",
         "DNS:vigil-admit.vigil-system.svc.cluster.local"])
    assert "ASN1 OID: prime256v1" in text and "TLS Web Server Authentication" in text
    assert "CA:FALSE" in text
    ca = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", str(bundle)],
                        capture_output=True, text=True, check=True).stdout
    assert "CA:TRUE" in ca and "Certificate Sign" in ca and "prime256v1" in ca
    # the key in the Secret is the certificate's
    key_pub = subprocess.run(["openssl", "pkey", "-in", str(paths["tls.key"]), "-pubout"],
                             capture_output=True, check=True).stdout
    cert_pub = subprocess.run(["openssl", "x509", "-noout", "-pubkey", "-in",
                               str(paths["tls.crt"])], capture_output=True, check=True).stdout
    assert key_pub == cert_pub
    # two runs make two different CAs (the CA key is never kept)
    again, _, _ = objects(tmp_path, policies)
    assert again["Secret"]["data"]["ca.crt"] != by_kind["Secret"]["data"]["ca.crt"]


def test_webhook_serves_with_the_generated_pair(tmp_path, policies):
    """The Deployment's own arguments, paths rewritten to the test's files: the apiserver's
    view (trust only the caBundle, check the service name) reaches /healthz, /readyz and a
    /validate decision."""
    by_kind, _, _ = objects(tmp_path, policies)
    paths, bundle = write_secret_pair(tmp_path, by_kind)
    args = by_kind["Deployment"]["spec"]["template"]["spec"]["containers"][0]["args"]
    pol_dir = tmp_path
    args = [a.replace("/etc/vigil/tls/", str(tmp_path) + "/")
             .replace("/etc/vigil/policies/", str(pol_dir) + "/")
            for a in args if a != "--in-cluster"]
    args = [a if not a.startswith("--addr=") else "--addr=127.0.0.1:0" for a in args]
    p = subprocess.Popen([vigil_bin(), *args, "--access-log", "off"], stderr=subprocess.PIPE,
                         text=True)
    try:
        port = None
        while port is None:
            line = p.stderr.readline()
            assert line, f"webhook exited: {p.wait()}"
            m = re.search(r"listening.*https://127\.0\.0\.1:(\d+)", line)
            port = int(m.group(1)) if m else None
        threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
        ctx = ssl.create_default_context(cafile=str(bundle))
        ctx.check_hostname = True

        class Conn(http.client.HTTPSConnection):
            def connect(self):
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                self.sock = ctx.wrap_socket(sock,
                                            server_hostname="vigil-admit.vigil-system.svc")

        for path in ("/healthz", "/readyz"):
            c = Conn("vigil-admit.vigil-system.svc", port, timeout=30)
            c.request("GET", path)
            assert c.getresponse().status == 200, path
            c.close()
        review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                  "request": {"uid": "u1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                              "namespace": "shop", "operation": "CREATE",
                              "object": {"apiVersion": "v1", "kind": "Pod",
                                         "metadata": {"name": "p"},
                                         "spec": {"containers": [
                                             {"name": "a", "image": "evil.io/x:1"}]}}}}
        c = Conn("vigil-admit.vigil-system.svc", port, timeout=30)
        c.request("POST", "/validate?timeout=10s", body=json.dumps(review),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        body = json.loads(r.read())
        assert r.status == 200 and body["response"]["uid"] == "u1"
        assert body["response"]["allowed"] is False
        # another name than the service's is refused by the certificate check
        bad = ssl.create_default_context(cafile=str(bundle))
        with pytest.raises(ssl.SSLCertVerificationError):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                bad.wrap_socket(s, server_hostname="evil.example.com")
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)


def test_webhook_url_mode(tmp_path, policies):
    by_kind, _, _ = objects(tmp_path, policies)
    _, bundle = write_secret_pair(tmp_path, by_kind)
    p = run("--webhook-url", "https://admit.example.com:8443/hooks/", "--ca-bundle", bundle,
            "--timeout", "7s")
    docs = list(yaml.safe_load_all(p.stdout))
    assert [d["kind"] for d in docs] == ["ValidatingWebhookConfiguration",
                                        "MutatingWebhookConfiguration"]
    for d, path in zip(docs, ("validate", "mutate")):
        ca = check_webhooks(d, path, None, timeout=7,
                            url="https://admit.example.com:8443/hooks")
        assert ca == bundle.read_bytes()
    # with --namespace, that namespace is left out too
    p = run("--webhook-url", "https://10.0.0.1:9443", "--ca-bundle", bundle, "-n", "ops",
            "--format", "json")
    [v, m] = json.loads(p.stdout)["items"]
    assert sorted(v["webhooks"][0]["namespaceSelector"]["matchExpressions"][0]["values"]) == \
        ["kube-system", "ops"]


@pytest.mark.parametrize("args,msg", [
    ([], "--namespace NS is required"),
    (["-n", "x"], "at least one --policy"),
    (["-n", "Bad_NS", "-p", "{prod}"], "not a DNS-1123 label"),
    (["-n", "x", "-p", "{prod}", "--timeout", "31"], "--timeout must be a number from 1 to 30"),
    (["-n", "x", "-p", "{prod}", "--timeout", "0"], "--timeout must be a number from 1 to 30"),
    (["-n", "x", "-p", "{prod}", "--replicas", "0"], "--replicas"),
    (["-n", "x", "-p", "{prod}", "--failure-policy", "fail"], "Fail or Ignore"),
    (["-n", "x", "-p", "{prod}", "--format", "xml"], "yaml or json"),
    (["--webhook-url", "https://a"], "go together"),
    (["--webhook-url", "http://a", "--ca-bundle", "{prod}"], None),
    (["--webhook-url", "https://a", "--ca-bundle", "{prod}", "-p", "{prod}"], "excludes"),
    (["-n", "x", "-p", "{prod}", "-p", "{prod}"], "two policy files are named 'prod.yaml'"),
])
def test_usage_errors(tmp_path, policies, args, msg):
    args = [a.replace("{prod}", str(policies[0])) for a in args]
    p = run(*args, check=False)
    assert p.returncode == 2, p.stderr
    assert p.stdout == ""
    if msg:
        assert msg in p.stderr, p.stderr


def test_bad_inputs(tmp_path, policies):
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: x}\n"
                      "spec: {trustedImages: ['a/**'], bogus: 1}\n")
    p = run("-n", "x", "-p", broken, check=False)
    assert p.returncode == 6 and "broken.yaml:4" in p.stderr and p.stdout == ""
    p = run("-n", "x", "-p", tmp_path / "missing.yaml", check=False)
    assert p.returncode == 4 and p.stdout == ""
    # a CA bundle that is no certificate
    p = run("--webhook-url", "https://a", "--ca-bundle", policies[0], check=False)
    assert p.returncode == 6 and "--ca-bundle" in p.stderr and p.stdout == ""
    p = run("--webhook-url", "http://a", "--ca-bundle", policies[0], check=False)
    assert p.returncode == 2 and "https://" in p.stderr
    odd = tmp_path / "odd name.yaml"
    odd.write_text(POLICY)
    p = run("-n", "x", "-p", odd, check=False)
    assert p.returncode == 2 and "ConfigMap key" in p.stderr


def test_yaml_round_trips_exactly(tmp_path):
    """ConfigMap keys YAML 1.1 reads as other types and policy texts that need each form of
    string (literal block with each chomping, double-quoted) come back byte for byte."""
    variants = {
        "yes": POLICY,                                    # literal, clip
        "on": POLICY.rstrip("\n"),                       # literal, strip
        "null": POLICY + "\n\n",                        # literal, keep
        "1.5": POLICY + "# trailing blank \n",           # quoted
        "012": " # leading blank\n" + POLICY,            # quoted
        ".inf": POLICY + "# \u00e9t\u00e9\ttab\n",    # literal, UTF-8 and a tab
        "True": POLICY + "# nel \u0085 ls \u2028 ps \u2029 end\n",  # quoted (line breaks)
        "n": "\ufeff" + POLICY,
    }
    args = ["-n", "x"]
    for name, text in variants.items():
        f = tmp_path / name
        f.write_bytes(text.encode())
        args += ["-p", f]
    p = run(*args, check=False)
    if p.returncode == 6:  # the policy loader refused one of the texts: say which
        pytest.fail(p.stderr)
    assert p.returncode == 0, p.stderr
    cm = [d for d in yaml.safe_load_all(p.stdout) if d["kind"] == "ConfigMap"][0]
    assert cm["data"] == variants
    assert all(isinstance(k, str) for k in cm["data"])


@pytest.fixture
def fake_apiserver():
    """Discovery for the kinds the manifests use; every object GET is a 404 (nothing exists)."""
    groups = {
        "v1": [("namespaces", "Namespace", False), ("serviceaccounts", "ServiceAccount", True),
               ("configmaps", "ConfigMap", True), ("secrets", "Secret", True),
               ("services", "Service", True), ("pods", "Pod", True)],
        "apps/v1": [("deployments", "Deployment", True)],
        "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
        "rbac.authorization.k8s.io/v1": [("clusterroles", "ClusterRole", False),
                                         ("clusterrolebindings", "ClusterRoleBinding", False)],
        "admissionregistration.k8s.io/v1": [
            ("validatingwebhookconfigurations", "ValidatingWebhookConfiguration", False),
            ("mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False)],
    }
    requests = []

    def resources(gv):
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": [{"name": n, "singularName": "", "namespaced": nsd, "kind": k,
                               "verbs": ["create", "delete", "get", "list", "patch", "update"]}
                              for n, k, nsd in groups[gv]]}

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, code, obj):
            b = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def do_GET(self):
            path = self.path.split("?")[0]
            requests.append(("GET", path))
            if path == "/api":
                return self.send(200, {"kind": "APIVersions", "versions": ["v1"],
                                       "serverAddressByClientCIDRs": []})
            if path == "/apis":
                gl = []
                for gv in groups:
                    if "/" in gv:
                        g, v = gv.split("/")
                        gl.append({"name": g, "versions": [{"groupVersion": gv, "version": v}],
                                   "preferredVersion": {"groupVersion": gv, "version": v}})
                return self.send(200, {"kind": "APIGroupList", "apiVersion": "v1",
                                       "groups": gl})
            if path == "/api/v1":
                return self.send(200, resources("v1"))
            if path.startswith("/apis/") and path[6:] in groups:
                return self.send(200, resources(path[6:]))
            self.send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                            "reason": "NotFound", "code": 404, "message": "not found"})

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", requests
    srv.shutdown()


def test_kubectl_apply_dry_run(tmp_path, policies, fake_apiserver):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl is not installed")
    url, requests = fake_apiserver
    kc = tmp_path / "kubeconfig"
    kc.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: fake, cluster: {{server: "{url}"}}}}]
contexts: [{{name: fake, context: {{cluster: fake, user: u}}}}]
users: [{{name: u, user: {{}}}}]
current-context: fake
""")
    _, _, text = objects(tmp_path, policies)
    out = tmp_path / "install.yaml"
    out.write_text(text)
    env = {"KUBECONFIG": str(kc), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    # the apiserver's OpenAPI schema is not available offline: --validate=false, the rest of
    # kubectl's client side (decoding, kind to resource mapping, namespaces) runs
    p = subprocess.run([kubectl, "apply", "--dry-run=client", "--validate=false", "-f",
                        str(out)], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == len(KINDS), p.stdout
    assert all(line.endswith("created (dry run)") for line in lines), p.stdout
    assert "deployment.apps/vigil-admit created (dry run)" in lines
    assert "validatingwebhookconfiguration.admissionregistration.k8s.io/vigil-admit " \
           "created (dry run)" in lines
    # nothing was written to the fake server
    assert all(m == "GET" for m, _ in requests)
