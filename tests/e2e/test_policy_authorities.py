# SPDX-License-Identifier: Apache-2.0
"""Every signature authority of every policy surface, end to end on 127.0.0.1: images in vigil's
registry signed with `vigil notation sign` (a PKI made here, notation_pki.py) and keyless
(Fulcio/Rekor/CT made here, sigstore_fixtures.py), decided by

* `vigil policy check` with vigil's ImagePolicy `signatures[].notation` and Kyverno verifyImages
  attestors (`type: Notary` certificates, keyless with wildcards, certificates),
* `vigil admit serve` (/validate) with the same policies,
* a gated `vigil registry serve` (require-signature.notation),

allowed with the right authority, denied with the wrong certificate or identity or unsigned,
each denial naming its reason."""
import json
import re
import signal
from pathlib import Path

import pytest

from conftest import run_vigil
from registry_serve import Serve

pytest.importorskip("cryptography", reason="python3-cryptography builds the test PKIs")
from notation_pki import Pki  # noqa: E402
from sigstore_fixtures import Sigstore  # noqa: E402
from test_admit import Webhook  # noqa: E402
from test_keyless_images import ISS, legacy, push_image  # noqa: E402

MT = "application/vnd.oci.image.manifest.v1+json"
SUBJECT = "x509.subject: C=US, ST=WA, L=Seattle, O=acme-rockets.io, CN=SecureBuilder"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("authorities")
    ss = Sigstore()
    root = ss.write_root(d / "trusted_root.json")
    srv = Serve(d / "root", d / "serve.log").start()
    pki = Pki(d / "pki")
    (d / "root.pem").write_bytes(pki.root.pem)
    (d / "other.pem").write_bytes(pki.other_root.pem)
    e = {"srv": srv, "ss": ss, "root": root, "d": d, "pki": pki, "host": srv.host}
    refs = {}
    for repo, leaf, chain in (("n/signed", pki.leaf, [pki.inter, pki.root]),
                              ("n/wabbit", pki.other_leaf, [pki.other_root]),
                              ("n/stranger", pki.stranger, [pki.inter, pki.root]),
                              ("n/unsigned", None, None)):
        md, _ = push_image(srv, repo, repo.encode())
        refs[repo] = f"{srv.host}/{repo}@{md}"
        if leaf:
            k, c = pki.write(repo.replace("/", "-"), leaf, chain)
            r = run_vigil("notation", "sign", "--plain-http", "--key", k, "--cert", c,
                          refs[repo], env={"XDG_CONFIG_HOME": str(d / "xdg")})
            assert r.rc == 0, r
    refs["k/dev"], _ = legacy(e, "k/dev")
    refs["k/ops"], _ = legacy(e, "k/ops", identity="ops@example.com")
    e["refs"] = refs
    yield e
    srv.kill(signal.SIGTERM)


def check(env, text, ref, *extra):
    p = env["d"] / f"pol-{abs(hash(text))}.yaml"
    p.write_text(text)
    return run_vigil("policy", "check", "--plain-http", "-p", p, "--trusted-root", env["root"],
                     "--format", "json", *extra, ref)


def indent(path, n):
    return "|\n" + "".join(" " * n + line + "\n" for line in path.read_text().splitlines())


def vigil_notation(env, certs="root.pem", identities=None, level=None):
    body = f"        certificates: {{file: {env['d'] / certs}}}\n"
    if identities is not None:
        body += f"        trustedIdentities: {json.dumps(identities)}\n"
    if level:
        body += f"        level: {level}\n"
    return ("apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: notary}\nspec:\n"
            "  signatures:\n    - images: [\"**\"]\n      notation:\n" + body)


def kyverno(env, attestor, type_=""):
    return f"""apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: ky}}
spec:
  validationFailureAction: Enforce
  rules:
  - name: verify
    match: {{any: [{{resources: {{kinds: [Pod]}}}}]}}
    verifyImages:
    - imageReferences: ["{env['host']}/*"]
      mutateDigest: false
{type_}      attestors:
      - entries:
        - {attestor}
"""


def notary_attestor(env, cert):
    return "certificates:\n            cert: " + indent(env["d"] / cert, 14)


# ------------------------------------------------------------------ vigil policy check

def test_vigil_image_policy_notation(env):
    refs = env["refs"]
    assert check(env, vigil_notation(env), refs["n/signed"]).rc == 0
    r = check(env, vigil_notation(env, identities=[SUBJECT]), refs["n/signed"])
    assert r.rc == 0, r
    r = check(env, vigil_notation(env), refs["n/wabbit"])
    assert r.rc == 1 and "does not lead to a certificate in the trust store" in r.out, r
    r = check(env, vigil_notation(env, certs="other.pem"), refs["n/signed"])
    assert r.rc == 1 and "does not lead to a certificate in the trust store" in r.out, r
    r = check(env, vigil_notation(env, identities=[SUBJECT]), refs["n/stranger"])
    assert r.rc == 1 and "is not a trusted identity" in r.out, r
    r = check(env, vigil_notation(env), refs["n/unsigned"])
    assert r.rc == 1 and "no Notary signature is attached" in r.out, r
    # audit level: an untrusted identity is logged, not enforced
    r = check(env, vigil_notation(env, identities=[SUBJECT], level="audit"), refs["n/stranger"])
    assert r.rc == 0, r


def test_vigil_image_policy_notation_refused_at_load(env):
    for body, why in ((vigil_notation(env, identities=["x509.subject: CN=x"]), "must name C, ST"),
                      (vigil_notation(env, level="lenient"), "strict, permissive or audit"),
                      (vigil_notation(env, certs="nope.pem"), "certificate file"),
                      (vigil_notation(env, identities=["*", SUBJECT]), "must be the only")):
        r = check(env, body, env["refs"]["n/signed"])
        assert r.rc == 6 and why in r.err and "pol-" in r.err, (why, r)


def test_kyverno_notary_attestor(env):
    refs = env["refs"]
    pol = kyverno(env, notary_attestor(env, "root.pem"), "      type: Notary\n")
    assert check(env, pol, refs["n/signed"]).rc == 0
    # Kyverno's Notary verifier trusts any identity under the certificates
    assert check(env, pol, refs["n/stranger"]).rc == 0
    r = check(env, pol, refs["n/wabbit"])
    assert r.rc == 1 and "does not lead to a certificate" in r.out, r
    r = check(env, pol, refs["n/unsigned"])
    assert r.rc == 1 and "no Notary signature is attached" in r.out, r
    # a cosign-type attestor does not accept a Notary signature
    pol = kyverno(env, "keyless: {subject: \"dev@*\", issuer: \"" + ISS +
                  "\", rekor: {url: https://rekor.test.invalid}}")
    assert check(env, pol, refs["n/signed"]).rc == 1


def test_kyverno_keyless_attestor(env):
    refs = env["refs"]
    ok = kyverno(env, "keyless: {subject: \"dev@*\", issuer: \"" + ISS +
                 "\", rekor: {url: https://rekor.test.invalid}}")
    assert check(env, ok, refs["k/dev"]).rc == 0
    r = check(env, ok, refs["k/ops"])
    assert r.rc == 1 and "expected identity" in r.out, r
    r = check(env, ok, refs["n/unsigned"])
    assert r.rc == 1, r
    regexp = kyverno(env, "keyless: {subjectRegExp: \"^dev@example[.]com$\", issuerRegExp: "
                     "\"^https://accounts\", rekor: {url: https://rekor.test.invalid}}")
    assert check(env, regexp, refs["k/dev"]).rc == 0
    # roots replacing the trusted root's Fulcio CAs: the PKI root is not the Fulcio CA
    other = kyverno(env, "keyless:\n            subject: \"dev@*\"\n            roots: " +
                    indent(env["d"] / "root.pem", 14))
    r = check(env, other, refs["k/dev"])
    assert r.rc == 1, r
    # invalid at load, with file and line
    r = check(env, kyverno(env, "keyless: {subject: x}"), refs["k/dev"])
    assert r.rc == 6 and "Either Rekor URL or roots are required" in r.err, r
    assert ".yaml:14:" in r.err, r


# ------------------------------------------------------------------ admit serve

def review(image, uid="u-1"):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "namespace": "shop", "operation": "CREATE",
                        "object": {"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": "p", "namespace": "shop"},
                                   "spec": {"containers": [{"name": "c", "image": image}]}}}}


def test_admit_serve_notation_and_keyless(env):
    refs = env["refs"]
    (env["d"] / "hook").mkdir(exist_ok=True)
    pol = (vigil_notation(env).replace("images: [\"**\"]", f"images: [\"{env['host']}/n/**\"]")
           + "---\n" + kyverno(env, "keyless: {subject: \"dev@*\", issuer: \"" + ISS +
                               "\", rekor: {url: https://rekor.test.invalid}}")
           .replace(f"{env['host']}/*", f"{env['host']}/k/*"))
    hook = Webhook(env["d"] / "hook", policy_text=pol,
                   extra=("--insecure", "--trusted-root", str(env["root"])))
    try:
        def validate(ref):
            return hook.review("/validate?timeout=20s", review(ref))["response"]
        assert validate(refs["n/signed"])["allowed"] is True
        r = validate(refs["n/wabbit"])
        assert r["allowed"] is False and "does not lead to a certificate" in r["status"]["message"]
        r = validate(refs["n/unsigned"])
        assert r["allowed"] is False and "no Notary signature" in r["status"]["message"], r
        assert validate(refs["k/dev"])["allowed"] is True
        r = validate(refs["k/ops"])
        assert r["allowed"] is False and "expected identity" in r["status"]["message"], r
        # Notation and keyless verdicts of pinned images are cached like key-based ones: the
        # same reviews again get the same answers without a registry request, on the request
        # thread, counted as cache hits
        access = Path(str(env["srv"].log_path) + ".access")
        first = {n: validate(refs[n]) for n in ("n/signed", "n/wabbit", "k/dev", "k/ops")}
        n0, hits0 = access.read_text().count("\n"), metric(hook, "vigil_admit_cache_hits_total")
        inline0 = metric(hook, "vigil_admit_inline_decisions_total")
        for n, want in first.items():
            assert validate(refs[n]) == want, n
        assert access.read_text().count("\n") == n0, "the registry was asked again"
        assert metric(hook, "vigil_admit_cache_hits_total") >= hits0 + 4
        assert metric(hook, "vigil_admit_inline_decisions_total") == inline0 + 4
    finally:
        assert hook.stop() == 0


def metric(hook, name):
    c = hook.conn()
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    return int(re.search(rf"^{name} (\d+)", text, re.M).group(1))


# ------------------------------------------------------------------ registry gate

def copy_manifest(src, srepo, dst, drepo, ref):
    r = src.req("GET", f"/v2/{srepo}/manifests/{ref}", headers={"Accept": MT})
    assert r.status == 200, r
    m = json.loads(r.body)
    for desc in [m["config"], *m.get("layers", [])]:
        b = src.req("GET", f"/v2/{srepo}/blobs/{desc['digest']}")
        assert b.status == 200, b
        assert dst.push_blob(drepo, b.body) == desc["digest"]
    assert dst.put_manifest(drepo, ref, r.body, MT).status == 201


def copy(src, srepo, dst, drepo, md):
    """The image and every referrer (its Notary signatures) from src to dst, byte for byte:
    signing through a gate that already denies the unsigned image is not possible."""
    copy_manifest(src, srepo, dst, drepo, md)
    tag = "sha256-" + md.split(":")[1] + ".sig"
    if src.req("HEAD", f"/v2/{srepo}/manifests/{tag}", headers={"Accept": MT}).status == 200:
        copy_manifest(src, srepo, dst, drepo, tag)
    r = src.req("GET", f"/v2/{srepo}/referrers/{md}")
    assert r.status == 200, r
    for desc in json.loads(r.body)["manifests"]:
        copy_manifest(src, srepo, dst, drepo, desc["digest"])
    return md


def test_registry_gate_notation(env, tmp_path):
    d = env["d"]
    cfg = tmp_path / "registry.yaml"
    cfg.write_text(
        "gates:\n"
        "  - repos: [\"g/**\"]\n"
        "    require-signature:\n"
        "      notation:\n"
        f"        certificates: {d / 'root.pem'}\n"
        f"        trusted-identities: [\"{SUBJECT}\"]\n")
    srv = Serve(tmp_path / "root", tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    try:
        hdr = {"Accept": MT}
        mds = {}
        for name in ("signed", "wabbit", "stranger", "unsigned"):
            mds[f"g/{name}"] = copy(env["srv"], f"n/{name}", srv, f"g/{name}",
                                    env["refs"][f"n/{name}"].split("@")[1])
        assert srv.req("GET", f"/v2/g/signed/manifests/{mds['g/signed']}",
                       headers=hdr).status == 200
        r = srv.req("GET", f"/v2/g/wabbit/manifests/{mds['g/wabbit']}", headers=hdr)
        assert r.status == 403 and b"does not lead to a certificate" in r.body, r
        r = srv.req("GET", f"/v2/g/stranger/manifests/{mds['g/stranger']}", headers=hdr)
        assert r.status == 403 and b"is not a trusted identity" in r.body, r
        r = srv.req("GET", f"/v2/g/unsigned/manifests/{mds['g/unsigned']}", headers=hdr)
        assert r.status == 403 and b"unsigned" in r.body, r
    finally:
        srv.kill(signal.SIGTERM)


def test_registry_gate_notation_bad_config(tmp_path, env):
    cfg = tmp_path / "registry.yaml"
    cfg.write_text("gates:\n  - repos: [\"g/**\"]\n    require-signature:\n      notation:\n"
                   "        certificates: /nonexistent.pem\n")
    r = run_vigil("registry", "serve", "--config", cfg, "--root", tmp_path / "r",
                  "--addr", "127.0.0.1:0")
    assert r.rc != 0 and "registry.yaml:5:" in r.err and "certificates" in r.err, r


def test_registry_gate_notation_and_key_threshold(env, tmp_path):
    """keys + notation with threshold 2: both must verify; a Notary signature alone is one
    authority short, a cosign one alone too."""
    d, srv0 = env["d"], env["srv"]
    pw = {"COSIGN_PASSWORD": "pw", "VIGIL_PASSWORD": "pw"}
    r = run_vigil("generate-key-pair", "--output-key-prefix", tmp_path / "rel", env=pw)
    assert r.rc == 0, r
    for repo in ("t/both", "t/cosign"):
        md, _ = push_image(srv0, repo, repo.encode())
        r = run_vigil("sign", "--key", tmp_path / "rel.key", "--insecure",
                      f"{srv0.host}/{repo}@{md}", env=pw)
        assert r.rc == 0, r
        env["refs"][repo] = f"{srv0.host}/{repo}@{md}"
    pki = env["pki"]
    k, c = pki.write("t-both", pki.leaf, [pki.inter, pki.root])
    r = run_vigil("notation", "sign", "--plain-http", "--key", k, "--cert", c,
                  env["refs"]["t/both"], env={"XDG_CONFIG_HOME": str(d / "xdg")})
    assert r.rc == 0, r
    cfg = tmp_path / "registry.yaml"
    cfg.write_text(
        "gates:\n  - repos: [\"g/**\"]\n    require-signature:\n"
        f"      keys: [{tmp_path / 'rel.pub'}]\n"
        f"      notation: {{certificates: {d / 'root.pem'}}}\n"
        "      threshold: 2\n")
    srv = Serve(tmp_path / "root", tmp_path / "serve.log", args=["--config", str(cfg)]).start()
    try:
        hdr = {"Accept": MT}
        mds = {}
        for src_repo, name in (("t/both", "both"), ("t/cosign", "cosign"),
                               ("n/signed", "notary")):
            mds[name] = copy(srv0, src_repo, srv, f"g/{name}",
                             env["refs"][src_repo].split("@")[1])
        assert srv.req("GET", f"/v2/g/both/manifests/{mds['both']}", headers=hdr).status == 200
        r = srv.req("GET", f"/v2/g/notary/manifests/{mds['notary']}", headers=hdr)
        assert r.status == 403 and b"the Notary signature verified; cosign:" in r.body, r
        r = srv.req("GET", f"/v2/g/cosign/manifests/{mds['cosign']}", headers=hdr)
        assert r.status == 403 and b"no Notary signature is attached" in r.body, r
    finally:
        srv.kill(signal.SIGTERM)
