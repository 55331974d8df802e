# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests for `vigil sign`, `verify`, `attest`, `verify-attestation` and `tree` against
Debian's docker-registry on loopback (plain HTTP, and TLS + htpasswd). Pushed objects are read
back with skopeo and compared with the shapes of shared/docs/cosign-format.md (§3.2 legacy
layout, §4.3 bundle referrer and fallback index, §6.3 attestations)."""
import base64
import hashlib
import json
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

import images
from conftest import vigil_bin
from registry_fixtures import Registry

PW = {"COSIGN_PASSWORD": "pw"}
MT_SIMPLE = "application/vnd.dev.cosign.simplesigning.v1+json"
MT_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
ANN_SIG = "dev.cosignproject.cosign/signature"
ZERO = "0001-01-01T00:00:00Z"
EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


def sha256(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


@pytest.fixture
def reg(tmp_path):
    r = Registry(tmp_path).start()
    yield r
    r.stop()


class Env:
    """A registry with one pushed image and key pairs made by vigil."""

    def __init__(self, vigil, reg, tmp_path, name="team/app", layers=None):
        self.vigil, self.reg, self.dir = vigil, reg, tmp_path
        layers = layers or [{"etc/os-release": b"ID=debian\nVERSION_ID=\"12\"\n",
                             "var/lib/dpkg/status": b"Package: openssl\nStatus: install ok "
                             b"installed\nVersion: 3.0.11-1\nArchitecture: amd64\n\n"}]
        lay, self.img = images.build_image(tmp_path / "oci", tag="v1", layers=layers)
        reg.push(f"oci:{lay.path}:v1", f"{name}:v1")
        self.name = name
        self.ref = reg.ref(f"{name}:v1")
        self.digest = self.img.digest
        self.hex = self.digest.split(":")[1]

    def keys(self, prefix="cosign"):
        r = self.vigil("generate-key-pair", "--output-key-prefix", prefix, env=PW, cwd=self.dir)
        assert r.rc == 0, r
        return self.dir / f"{prefix}.key", self.dir / f"{prefix}.pub"

    def run(self, cmd, *args, env=None):
        e = dict(PW)
        e.update(env or {})
        return self.vigil(cmd, "--plain-http", *args, env=e, cwd=self.dir)

    def raw(self, tag, repo=None):
        return self.reg.raw(f"{repo or self.name}:{tag}")


@pytest.fixture
def env(vigil, reg, tmp_path):
    return Env(vigil, reg, tmp_path)


# ------------------------------------------------------------------ registry helpers (raw HTTP)

def http(url, method="GET", data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, dict(resp.headers), resp.read()


def put_blob(reg, repo, data: bytes) -> str:
    d = sha256(data)
    _, h, _ = http(f"http://{reg.host}/v2/{repo}/blobs/uploads/", "POST", b"")
    loc = h["Location"]
    if loc.startswith("/"):
        loc = f"http://{reg.host}{loc}"
    sep = "&" if "?" in loc else "?"
    http(f"{loc}{sep}digest={d}", "PUT", data, {"Content-Type": "application/octet-stream"})
    return d


def put_manifest(reg, repo, ref, data: bytes, mt="application/vnd.oci.image.manifest.v1+json"):
    http(f"http://{reg.host}/v2/{repo}/manifests/{ref}", "PUT", data, {"Content-Type": mt})


def get_blob(reg, repo, digest) -> bytes:
    return http(f"http://{reg.host}/v2/{repo}/blobs/{digest}")[2]


def expected_payload(ref_repo, digest, ann=None):
    opt = "null" if not ann else json.dumps(dict(sorted(ann.items())), separators=(",", ":"))
    # Go's encoding/json escapes <, > and & (HTML-safe).
    opt = opt.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return ('{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":'
            '"%s"},"type":"cosign container image signature"},"optional":%s}'
            % (ref_repo, digest, opt)).encode()


# ------------------------------------------------------------------ legacy layout

def test_sign_writes_cosign_legacy_layout(env):
    key, pub = env.keys()
    r = env.run("sign", "--key", key, "-a", "env=test", "-a", "team=a&b", env.ref)
    assert r.rc == 0, r
    tag = f"sha256-{env.hex}.sig"
    raw = env.raw(tag)
    m = json.loads(raw)
    # Exact key order and compact layout as go-containerregistry writes it (§3.2).
    assert raw.startswith(b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest'
                          b'.v1+json","config":{"mediaType":"application/vnd.oci.image.config'
                          b'.v1+json","size":')
    assert m["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
    assert "subject" not in m
    [layer] = m["layers"]
    assert layer["mediaType"] == MT_SIMPLE
    assert list(layer["annotations"]) == [ANN_SIG]
    payload = get_blob(env.reg, env.name, layer["digest"])
    # Payload bytes: cosign's generator, byte for byte (§2.1), Go's HTML escaping of '&'.
    want = expected_payload(f"{env.reg.host}/{env.name}", env.digest,
                            {"env": "test", "team": "a&b"})
    assert b'"team":"a\\u0026b"' in want
    assert payload == want
    assert layer["size"] == len(payload) and layer["digest"] == sha256(payload)
    cfg = get_blob(env.reg, env.name, m["config"]["digest"])
    assert cfg == ('{"architecture":"","created":"%s","history":[{"created":"%s"}],"os":"",'
                   '"rootfs":{"type":"layers","diff_ids":["%s"]},"config":{}}'
                   % (ZERO, ZERO, layer["digest"])).encode()
    assert m["config"]["size"] == len(cfg)
    # The signature is a base64 DER ECDSA signature over the payload: verify-blob agrees.
    (env.dir / "payload").write_bytes(payload)
    r = env.vigil("verify-blob", "--key", pub, "--signature", layer["annotations"][ANN_SIG],
                  env.dir / "payload")
    assert r.rc == 0, r


def test_verify_prints_payloads_and_checks_key(env):
    key, pub = env.keys()
    _, other = env.keys("other")
    assert env.run("sign", "--key", key, "-a", "env=test", env.ref).rc == 0
    r = env.run("verify", "--key", pub, env.ref)
    assert r.rc == 0, r
    out = json.loads(r.out)
    assert out == [json.loads(expected_payload(f"{env.reg.host}/{env.name}", env.digest,
                                               {"env": "test"}))]
    assert "The signatures were verified against the specified public key" in r.err
    r = env.run("verify", "--key", pub, "--output", "text", env.ref)
    assert r.rc == 0 and r.out.strip().encode() == expected_payload(
        f"{env.reg.host}/{env.name}", env.digest, {"env": "test"})
    assert env.run("verify", "--key", pub, "-a", "env=test", env.ref).rc == 0
    r = env.run("verify", "--key", pub, "-a", "env=prod", env.ref)
    assert r.rc == 1 and "annotation env" in r.err, r
    r = env.run("verify", "--key", other, env.ref)
    assert r.rc == 1, r
    assert "no matching signatures" in r.err and ".sig layer 0" in r.err


def test_verify_exit_codes(env):
    key, pub = env.keys()
    r = env.run("verify", "--key", pub, env.ref)
    assert r.rc == 1 and "no signatures found" in r.err, r
    r = env.run("verify", "--key", pub, env.reg.ref("team/absent:v1"))
    assert r.rc == 4, r
    r = env.run("verify", env.ref)
    assert r.rc == 2, r
    r = env.vigil("verify", "--key", pub, f"127.0.0.1:1/x:v1", "--plain-http")
    assert r.rc == 7, r
    r = env.run("verify", "--key", env.dir / "nope.pub", env.ref)
    assert r.rc == 4, r


def test_resigning_keeps_one_layer_two_signers_keep_both(env):
    k1, p1 = env.keys("one")
    k2, p2 = env.keys("two")
    for k in (k1, k1, k2):
        r = env.run("sign", "--key", k, env.ref)
        assert r.rc == 0, r
    m = json.loads(env.raw(f"sha256-{env.hex}.sig"))
    assert len(m["layers"]) == 2  # same payload + same key is not added twice (cosign's rule)
    sigs = {l["annotations"][ANN_SIG] for l in m["layers"]}
    assert len(sigs) == 2
    for p in (p1, p2):
        assert env.run("verify", "--key", p, env.ref).rc == 0


def test_concurrent_signers_lose_nothing(env):
    keys = [env.keys(f"k{i}") for i in range(4)]

    def sign(k):
        return env.run("sign", "--key", k[0], env.ref)

    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(sign, keys))
    assert all(r.rc == 0 for r in results), [r.err for r in results]
    m = json.loads(env.raw(f"sha256-{env.hex}.sig"))
    assert len(m["layers"]) == 4
    for _, p in keys:
        assert env.run("verify", "--key", p, env.ref).rc == 0


def test_key_rotation_and_threshold(env):
    k1, p1 = env.keys("old")
    k2, p2 = env.keys("new")
    _, p3 = env.keys("unused")
    assert env.run("sign", "--key", k1, env.ref).rc == 0
    # Any one valid key suffices.
    assert env.run("verify", "--key", p3, "--key", p1, env.ref).rc == 0
    r = env.run("verify", "--key", p1, "--key", p2, "--threshold", "2", env.ref)
    assert r.rc == 1 and "threshold is 2" in r.err, r
    assert env.run("sign", "--key", k2, env.ref).rc == 0
    assert env.run("verify", "--key", p1, "--key", p2, "--threshold", "2", env.ref).rc == 0
    # The same key twice is one distinct key.
    r = env.run("verify", "--key", p1, "--key", p1, "--threshold", "2", env.ref)
    assert r.rc == 1, r
    keydir = env.dir / "trusted"
    keydir.mkdir()
    for p in (p1, p2, p3):
        (keydir / p.name).write_bytes(p.read_bytes())
    assert env.run("verify", "--key", keydir, "--threshold", "2", env.ref).rc == 0
    r = env.run("verify", "--key", keydir, "--threshold", "3", env.ref)
    assert r.rc == 1, r


def test_tampered_payload_is_rejected_with_reason(env):
    key, pub = env.keys()
    assert env.run("sign", "--key", key, env.ref).rc == 0
    tag = f"sha256-{env.hex}.sig"
    m = json.loads(env.raw(tag))
    layer = m["layers"][0]
    payload = get_blob(env.reg, env.name, layer["digest"])
    # 1. Same signature over modified bytes (another docker-reference).
    bad = payload.replace(b"team/app", b"team/evil")
    layer_bad = dict(layer, digest=put_blob(env.reg, env.name, bad), size=len(bad))
    # 2. A validly signed payload that names another digest.
    other = expected_payload(f"{env.reg.host}/{env.name}", "sha256:" + "ab" * 32)
    (env.dir / "other").write_bytes(other)
    r = env.vigil("sign-blob", "--key", key, env.dir / "other", env=PW)
    assert r.rc == 0, r
    layer_other = {"mediaType": MT_SIMPLE, "size": len(other),
                   "digest": put_blob(env.reg, env.name, other),
                   "annotations": {ANN_SIG: r.out.strip()}}
    # 3. A truncated signature.
    layer_trunc = dict(layer, annotations={ANN_SIG: layer["annotations"][ANN_SIG][:40]})
    m2 = dict(m, layers=[layer_bad, layer_other, layer_trunc])
    put_manifest(env.reg, env.name, tag, json.dumps(m2).encode())
    r = env.run("verify", "--key", pub, env.ref)
    assert r.rc == 1, r
    lines = [l for l in r.err.splitlines() if ".sig layer" in l]
    assert len(lines) == 3, r.err
    assert "layer 0" in lines[0] and "signature" in lines[0].lower()
    assert "layer 1" in lines[1] and "sha256:" + "ab" * 32 in lines[1]
    assert "layer 2" in lines[2]
    # Without claims, the other-digest payload verifies (only crypto is checked).
    r = env.run("verify", "--key", pub, "--check-claims=false", env.ref)
    assert r.rc == 0, r
    assert len(json.loads(r.out)) == 1


def test_oversized_payload_layer_is_refused(env):
    key, pub = env.keys()
    assert env.run("sign", "--key", key, env.ref).rc == 0
    tag = f"sha256-{env.hex}.sig"
    m = json.loads(env.raw(tag))
    m["layers"][0]["size"] = 100 * 1024 * 1024
    put_manifest(env.reg, env.name, tag, json.dumps(m).encode())
    r = env.run("verify", "--key", pub, env.ref)
    assert r.rc == 1 and "exceeds the limit" in r.err, r


def test_duplicate_json_keys_in_payload_are_refused(env):
    key, pub = env.keys()
    payload = expected_payload(f"{env.reg.host}/{env.name}", env.digest).replace(
        b'"optional":null', b'"optional":null,"optional":{"env":"x"}')
    (env.dir / "p").write_bytes(payload)
    r = env.vigil("sign-blob", "--key", key, env.dir / "p", env=PW)
    assert r.rc == 0, r
    cfg = b"{}"
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2,
                    "digest": put_blob(env.reg, env.name, cfg)},
         "layers": [{"mediaType": MT_SIMPLE, "size": len(payload),
                     "digest": put_blob(env.reg, env.name, payload),
                     "annotations": {ANN_SIG: r.out.strip()}}]}
    put_manifest(env.reg, env.name, f"sha256-{env.hex}.sig", json.dumps(m).encode())
    r = env.run("verify", "--key", pub, env.ref)
    assert r.rc == 1 and "duplicate" in r.err.lower(), r


def test_unsupported_keys_are_refused(env, tmp_path):
    rsa = tmp_path / "rsa1024.pub"
    priv = tmp_path / "rsa1024.pem"
    subprocess.run(["openssl", "genrsa", "-out", priv, "1024"], check=True, capture_output=True)
    subprocess.run(["openssl", "rsa", "-in", priv, "-pubout", "-out", rsa], check=True,
                   capture_output=True)
    r = env.run("verify", "--key", rsa, env.ref)
    assert r.rc == 6 and "key size" in r.err, r
    ec = tmp_path / "p224.pem"
    ecpub = tmp_path / "p224.pub"
    subprocess.run(["openssl", "ecparam", "-name", "secp224r1", "-genkey", "-noout", "-out", ec],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "ec", "-in", ec, "-pubout", "-out", ecpub], check=True,
                   capture_output=True)
    r = env.run("verify", "--key", ecpub, env.ref)
    assert r.rc == 6 and "curve" in r.err, r


def test_signature_repository_from_environment(env, reg):
    key, pub = env.keys()
    sigrepo = reg.ref("signatures/store")
    r = env.run("sign", "--key", key, env.ref, env={"VIGIL_REPOSITORY": sigrepo})
    assert r.rc == 0, r
    m = json.loads(env.raw(f"sha256-{env.hex}.sig", repo="signatures/store"))
    payload = get_blob(reg, "signatures/store", m["layers"][0]["digest"])
    # The payload still names the image's repository.
    assert payload == expected_payload(f"{reg.host}/{env.name}", env.digest)
    with pytest.raises(subprocess.CalledProcessError):
        env.raw(f"sha256-{env.hex}.sig")
    assert env.run("verify", "--key", pub, env.ref).rc == 1
    r = env.run("verify", "--key", pub, env.ref, env={"COSIGN_REPOSITORY": sigrepo})
    assert r.rc == 0, r


def test_recursive_signs_index_and_children(vigil, reg, tmp_path):
    lay, idx, imgs = images.build_multiarch(tmp_path / "multi", tag="v1")
    reg.push(f"oci:{lay.path}:v1", "team/multi:v1", all_images=True)
    e = Env.__new__(Env)
    e.vigil, e.reg, e.dir, e.name = vigil, reg, tmp_path, "team/multi"
    key, pub = e.keys()
    r = e.run("sign", "--key", key, "--recursive", reg.ref("team/multi:v1"))
    assert r.rc == 0, r
    for d in [idx["digest"]] + [i.digest for i in imgs.values()]:
        m = json.loads(e.raw(f"sha256-{d.split(':')[1]}.sig"))
        assert len(m["layers"]) == 1
        assert e.run("verify", "--key", pub, reg.ref(f"team/multi@{d}")).rc == 0


# ------------------------------------------------------------------ bundle layout

def test_new_bundle_format_referrer_and_fallback_index(env):
    key, pub = env.keys()
    r = env.run("sign", "--key", key, "--new-bundle-format", "-a", "env=b", env.ref)
    assert r.rc == 0, r
    assert "fallback tag" in r.err  # docker-registry 2.8 has no referrers API
    index = json.loads(env.raw(f"sha256-{env.hex}"))
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    [entry] = index["manifests"]
    assert entry["artifactType"] == MT_BUNDLE
    assert entry["annotations"]["dev.sigstore.bundle.predicateType"] == \
        "https://sigstore.dev/cosign/sign/v1"
    raw = env.reg.raw(f"{env.name}@{entry['digest']}")
    assert sha256(raw) == entry["digest"] and len(raw) == entry["size"]
    m = json.loads(raw)
    assert m["artifactType"] == MT_BUNDLE
    assert m["config"] == {"mediaType": "application/vnd.oci.empty.v1+json", "size": 2,
                           "digest": EMPTY_DIGEST, "artifactType": MT_BUNDLE}
    assert m["subject"] == {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "size": len(env.raw("v1")), "digest": env.digest}
    assert m["annotations"]["dev.sigstore.bundle.content"] == "dsse-envelope"
    [layer] = m["layers"]
    assert layer["mediaType"] == MT_BUNDLE
    bundle = json.loads(get_blob(env.reg, env.name, layer["digest"]))
    assert bundle["mediaType"] == MT_BUNDLE
    assert "hint" in bundle["verificationMaterial"]["publicKey"]
    env_ = bundle["dsseEnvelope"]
    assert env_["payloadType"] == "application/vnd.in-toto+json"
    st = json.loads(base64.b64decode(env_["payload"]))
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["predicateType"] == "https://sigstore.dev/cosign/sign/v1"
    assert st["subject"] == [{"digest": {"sha256": env.hex}, "annotations": {"env": "b"}}]
    # No legacy tag was written.
    with pytest.raises(subprocess.CalledProcessError):
        env.raw(f"sha256-{env.hex}.sig")
    r = env.run("verify", "--key", pub, "-a", "env=b", env.ref)
    assert r.rc == 0, r
    [out] = json.loads(r.out)
    assert out["critical"]["type"] == "https://sigstore.dev/cosign/sign/v1"
    assert out["critical"]["image"]["docker-manifest-digest"] == env.digest
    assert out["optional"] == {"env": "b"}
    _, other = env.keys("other")
    assert env.run("verify", "--key", other, env.ref).rc == 1
    assert env.run("verify", "--key", pub, "-a", "env=c", env.ref).rc == 1
    # A second bundle signature adds a second index entry.
    assert env.run("sign", "--key", key, "--new-bundle-format", env.ref).rc == 0
    assert len(json.loads(env.raw(f"sha256-{env.hex}"))["manifests"]) == 2


# ------------------------------------------------------------------ attestations and tree

@pytest.fixture(scope="module")
def vulndb(tmp_path_factory):
    from conftest import ROOT, run_vigil
    db = tmp_path_factory.mktemp("db") / "vuln.db"
    r = run_vigil("db", "build", "--from", ROOT / "examples" / "osv", "--db", db)
    assert r.rc == 0, r
    return db


def test_attest_sbom_and_scan_report_then_tree(env, vulndb):
    key, pub = env.keys()
    sbom, report = env.dir / "sbom.json", env.dir / "report.json"
    r = env.run("sbom", "--format", "cyclonedx", "--output", sbom, env.ref)
    assert r.rc == 0, r
    r = env.run("scan", "--offline", "--db", vulndb, "--format", "json", "-o", report, env.ref)
    assert r.rc in (0, 1), r
    assert env.run("sign", "--key", key, env.ref).rc == 0
    r = env.run("attest", "--key", key, "--type", "cyclonedx", "--predicate", sbom, env.ref)
    assert r.rc == 0, r
    r = env.run("attest", "--key", key, "--type", "vuln", "--predicate", report, env.ref)
    assert r.rc == 0, r
    m = json.loads(env.raw(f"sha256-{env.hex}.att"))
    assert [l["mediaType"] for l in m["layers"]] == ["application/vnd.dsse.envelope.v1+json"] * 2
    assert [l["annotations"] for l in m["layers"]] == [
        {ANN_SIG: "", "predicateType": "https://cyclonedx.org/bom"},
        {ANN_SIG: "", "predicateType": "https://cosign.sigstore.dev/attestation/vuln/v1"}]

    r = env.run("verify-attestation", "--key", pub, "--type", "cyclonedx", env.ref)
    assert r.rc == 0, r
    [line] = r.out.splitlines()
    envelope = json.loads(line)
    st = json.loads(base64.b64decode(envelope["payload"]))
    assert st["predicate"] == json.loads(sbom.read_text())
    assert st["subject"][0]["digest"]["sha256"] == env.hex
    r = env.run("verify-attestation", "--key", pub, "--type", "vuln", "--output", "statement",
                env.ref)
    assert r.rc == 0, r
    st = json.loads(r.out)
    assert st["predicateType"] == "https://cosign.sigstore.dev/attestation/vuln/v1"
    assert st["predicate"]["scanner"]["result"] == json.loads(report.read_text())
    r = env.run("verify-attestation", "--key", pub, "--type", "spdxjson", env.ref)
    assert r.rc == 1, r
    _, other = env.keys("other")
    assert env.run("verify-attestation", "--key", other, "--type", "cyclonedx", env.ref).rc == 1

    r = env.run("tree", "--output", "json", env.ref)
    assert r.rc == 0, r
    t = json.loads(r.out)
    kinds = sorted((a["kind"], a["type"]) for a in t["attachments"])
    assert kinds == [("attestation", "https://cosign.sigstore.dev/attestation/vuln/v1"),
                     ("attestation", "https://cyclonedx.org/bom"),
                     ("signature", MT_SIMPLE)]
    r = env.run("tree", env.ref)
    assert r.rc == 0 and "https://cyclonedx.org/bom" in r.out and ".sig" in r.out, r


def test_attest_bundle_format(env):
    key, pub = env.keys()
    (env.dir / "pred.json").write_text('{"passed": true}')
    r = env.run("attest", "--key", key, "--type", "https://example.com/TestResult/v1",
                "--predicate", env.dir / "pred.json", "--new-bundle-format", env.ref)
    assert r.rc == 0, r
    r = env.run("verify-attestation", "--key", pub, "--type", "https://example.com/TestResult/v1",
                "--output", "statement", env.ref)
    assert r.rc == 0, r
    assert json.loads(r.out)["predicate"] == {"passed": True}
    # An attestation bundle is not a signature.
    assert env.run("verify", "--key", pub, env.ref).rc == 1
    r = env.run("tree", "--output", "json", env.ref)
    assert [a["kind"] for a in json.loads(r.out)["attachments"]] == ["attestation"]


# ------------------------------------------------------------------ auth + TLS

def test_htpasswd_tls_registry_with_creds(vigil, tmp_path):
    reg = Registry(tmp_path, auth=("alice", "s3cret"), tls=True).start()
    try:
        lay, img = images.build_image(tmp_path / "oci", tag="v1",
                                      layers=[{"etc/os-release": b"ID=alpine\n"}])
        reg.push(f"oci:{lay.path}:v1", "sec/app:v1")
        r = vigil("generate-key-pair", env=PW, cwd=tmp_path)
        assert r.rc == 0
        ref = reg.ref("sec/app:v1")
        r = vigil("sign", "--insecure", "--key", "cosign.key", ref, env=PW, cwd=tmp_path)
        assert r.rc == 5, r
        r = vigil("sign", "--insecure", "--creds", "alice:s3cret", "--key", "cosign.key", ref,
                  env=PW, cwd=tmp_path)
        assert r.rc == 0, r
        r = vigil("verify", "--insecure", "--creds", "alice:s3cret", "--key", "cosign.pub", ref,
                  cwd=tmp_path)
        assert r.rc == 0, r
        r = vigil("verify", "--insecure", "--creds", "alice:wrong", "--key", "cosign.pub", ref,
                  cwd=tmp_path)
        assert r.rc == 5, r
    finally:
        reg.stop()


# ------------------------------------------------------------------ cosign interop vector

def test_verifies_cosign_legacy_example(vigil, reg, shared_dir, tmp_path):
    base = shared_dir / "interop" / "cosign"
    sig = base / "derived" / "legacy-sig-image"
    empty = base / "keyless-image"
    repo = "demo/empty"
    cfg = (empty / "empty-image.config.json").read_bytes()
    man = (empty / "empty-image.manifest.json").read_bytes()
    put_blob(reg, repo, cfg)
    put_manifest(reg, repo, "latest", man,
                 "application/vnd.docker.distribution.manifest.v2+json")
    for p in ("payload-1.json", "payload-2.json", "sig-image.config.json"):
        put_blob(reg, repo, (sig / p).read_bytes())
    tag = (sig / "TAG").read_text().strip()
    put_manifest(reg, repo, tag, (sig / "sig-image.manifest.json").read_bytes())
    ref = reg.ref(f"{repo}@{sha256(man)}")
    pub = base / "derived" / "encrypted-keys" / "pemsigstorekey.pub"
    args = ["verify", "--plain-http", "--key", pub]
    # The payloads name registry.example.com/demo/empty, not this loopback registry.
    r = vigil(*args, ref)
    assert r.rc == 1 and "docker-reference" in r.err, r
    # The failure names the claim, both repositories and the flag that accepts a copy.
    assert 'names docker-reference "registry.example.com/demo/empty"' in r.err, r
    assert "--ignore-reference accepts" in r.err, r
    r = vigil(*args, "--ignore-reference", ref)
    assert r.rc == 0, r
    assert [p["optional"] for p in json.loads(r.out)] == [None, {"env": "test"}]
    r = vigil(*args, "--ignore-reference", "-a", "env=test", ref)
    assert r.rc == 0 and len(json.loads(r.out)) == 1, r
    assert vigil(*args, "--ignore-reference", "-a", "env=prod", ref).rc == 1
    other = base / "derived" / "encrypted-keys" / "pemcosignkey.pub"
    assert vigil("verify", "--plain-http", "--key", other, "--ignore-reference", ref).rc == 1
