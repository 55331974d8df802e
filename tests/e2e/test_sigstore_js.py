# SPDX-License-Identifier: Apache-2.0
"""Cross-check of vigil's Sigstore bundles against sigstore-js, an independent Sigstore
implementation maintained by the Sigstore project (npm @sigstore/sign, @sigstore/verify,
@sigstore/bundle), used fully offline: empty trusted root, no Rekor/Fulcio/TUF, thresholds 0,
the public key supplied for cosign's hint (tests/interop/sigstore-js/).

Both directions, on docker-registry (referrers fallback tag) and through the referrers API
proxy: vigil sign/attest --new-bundle-format → bundle read back from the registry → sigstore-js
verifies it and the statement names the image; sigstore-js builds the DSSE bundle over the
statement cosign 3 signs, pushed as cosign 3 pushes it → vigil verify/verify-attestation. Blob
bundles (sign-blob/verify-blob --bundle) likewise when vigil has them. Tampered bundles and
wrong keys must fail on each side, so none of these checks is vacuous.

Needs node and the modules: `npm ci --prefix DIR` with tests/interop/sigstore-js/package*.json,
DIR = $VIGIL_SIGSTORE_JS (default /var/tmp/vigil-test-cache/sigstore-js); skipped otherwise.
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import images
from conftest import ROOT, run_vigil
from referrers_proxy import ReferrersProxy
from registry_fixtures import Registry, http, require_tools

SCRIPTS = ROOT / "tests" / "interop" / "sigstore-js"
PW = {"VIGIL_PASSWORD": "pw"}
MT_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_EMPTY = "application/vnd.oci.empty.v1+json"
MT_INTOTO = "application/vnd.in-toto+json"
EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
PRED_SIGN = "https://sigstore.dev/cosign/sign/v1"
PRED_CDX = "https://cyclonedx.org/bom"
ANN_PRED = "dev.sigstore.bundle.predicateType"


def sha256(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


# ------------------------------------------------------------------ sigstore-js runner

def modules_dir() -> Path:
    return Path(os.environ.get("VIGIL_SIGSTORE_JS", "/var/tmp/vigil-test-cache/sigstore-js"))


class SigstoreJS:
    def __init__(self):
        self.node = shutil.which("node")
        self.env = dict(os.environ, VIGIL_SIGSTORE_JS=str(modules_dir()))

    def _run(self, script, *args):
        return subprocess.run([self.node, str(SCRIPTS / script), *map(str, args)],
                              capture_output=True, text=True, env=self.env, timeout=60)

    def verify(self, bundle, pub, artifact=None, strict=True):
        args = (["--strict"] if strict else []) + [bundle, pub] + ([artifact] if artifact else [])
        return self._run("verify-bundle.mjs", *args)

    def verify_json(self, d: Path, bundle: dict, pub, artifact=None):
        path = d / f"bundle-{hashlib.sha256(json.dumps(bundle).encode()).hexdigest()[:12]}.json"
        path.write_text(json.dumps(bundle))
        return self.verify(path, pub, artifact)

    def make(self, kind, key, inp, out, *extra):
        p = self._run("make-bundle.mjs", kind, key, inp, out, *extra)
        assert p.returncode == 0, p
        return json.loads(Path(out).read_text())


@pytest.fixture(scope="session")
def sjs():
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    d = modules_dir()
    for pkg in ("verify", "sign", "bundle", "protobuf-specs"):
        if not (d / "node_modules" / "@sigstore" / pkg / "package.json").is_file():
            pytest.skip(f"sigstore-js modules absent from {d} (npm ci --prefix {d} with "
                        "tests/interop/sigstore-js/package*.json; or set VIGIL_SIGSTORE_JS)")
    return SigstoreJS()


def ec_key(d: Path, name: str) -> tuple[Path, Path]:
    """A P-256 PKCS#8 private key and its public key, made by openssl."""
    key, pub = d / f"{name}.pem", d / f"{name}.pub.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", str(key)], check=True,
                   capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(pub)],
                   check=True, capture_output=True)
    return key, pub


def tamper(bundle: dict, what: str) -> dict:
    """A copy of a DSSE bundle with one byte of the signature or the payload changed."""
    b = json.loads(json.dumps(bundle))
    env = b["dsseEnvelope"]
    if what == "signature":
        sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
        sig[len(sig) // 2] ^= 0x01  # inside r or s: still DER, no longer valid
        env["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    else:
        payload = bytearray(base64.b64decode(env["payload"]))
        i = payload.index(b'"sha256"') + len(b'"sha256":"')
        payload[i] = ord("0") if payload[i] != ord("0") else ord("1")
        env["payload"] = base64.b64encode(bytes(payload)).decode()
    return b


# ------------------------------------------------------------------ registry access

class Env:
    """docker-registry (optionally behind the referrers API proxy) with one image."""

    def __init__(self, vigil, tmp_path, api=False, name="team/app"):
        require_tools("docker-registry", "skopeo", "openssl")
        self.vigil, self.dir, self.name = vigil, tmp_path, name
        self.reg = Registry(tmp_path).start()
        self.proxy = None
        try:
            if api:
                self.proxy = ReferrersProxy(self.reg).start()
            host = self.proxy.host if api else self.reg.host
            self.base = f"http://{host}/v2/{name}"
            lay, self.img = images.build_image(
                tmp_path / "oci", tag="v1",
                layers=[{"etc/os-release": b"ID=debian\nVERSION_ID=\"12\"\n",
                         "var/lib/dpkg/status": b"Package: openssl\nStatus: install ok "
                         b"installed\nVersion: 3.0.11-1\nArchitecture: amd64\n\n"}])
            subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", "--preserve-digests",
                            "--dest-tls-verify=false", f"oci:{lay.path}:v1",
                            f"docker://{host}/{name}:v1"], check=True, capture_output=True)
        except Exception:
            self.stop()
            raise
        self.ref = f"{host}/{name}:v1"
        self.digest = self.img.digest
        self.hex = self.digest.split(":")[1]

    def stop(self):
        if self.proxy:
            self.proxy.stop()
        self.reg.stop()

    def run(self, cmd, *args):
        return self.vigil(cmd, "--plain-http", *args, env=PW, cwd=self.dir)

    def vigil_keys(self, prefix):
        r = self.vigil("generate-key-pair", "--output-key-prefix", prefix, env=PW, cwd=self.dir)
        assert r.rc == 0, r
        return self.dir / f"{prefix}.key", self.dir / f"{prefix}.pub"

    def imported_keys(self, prefix):
        """An openssl P-256 key imported into cosign's format: (pem, cosign.key, cosign.pub)."""
        pem, _ = ec_key(self.dir, prefix)
        r = self.vigil("import-key-pair", "--key", pem, "--output-key-prefix", prefix,
                       env=PW, cwd=self.dir)
        assert r.rc == 0, r
        return pem, self.dir / f"{prefix}.key", self.dir / f"{prefix}.pub"

    # raw registry API
    def get_manifest(self, ref, accept=f"{MT_INDEX}, {MT_MANIFEST}"):
        st, _, body = http(f"{self.base}/manifests/{ref}", headers={"Accept": accept})
        return st, body

    def get_blob(self, digest) -> bytes:
        st, _, body = http(f"{self.base}/blobs/{digest}")
        assert st == 200, (st, digest)
        assert sha256(body) == digest
        return body

    def put_blob(self, data: bytes) -> str:
        st, h, _ = http(f"{self.base}/blobs/uploads/", "POST", b"")
        assert st == 202, st
        loc = h["Location"]
        if loc.startswith("/"):
            loc = self.base.split("/v2/")[0] + loc
        sep = "&" if "?" in loc else "?"
        st, _, _ = http(f"{loc}{sep}digest={sha256(data)}", "PUT", data,
                        {"Content-Type": "application/octet-stream"})
        assert st == 201, st
        return sha256(data)

    def put_manifest(self, ref, raw: bytes, mt):
        st, _, body = http(f"{self.base}/manifests/{ref}", "PUT", raw, {"Content-Type": mt})
        assert st == 201, (st, body)

    def bundle_referrers(self):
        """[(manifest, bundle dict)] of the image's bundle referrers, read as cosign 3 does:
        referrers API, else the sha256-<hex> fallback index; each listed manifest opened."""
        st, _, body = http(f"{self.base}/referrers/{self.digest}", headers={"Accept": MT_INDEX})
        if st != 200:
            st, body = self.get_manifest(f"sha256-{self.hex}", MT_INDEX)
            assert st == 200, f"no referrers API and no fallback tag sha256-{self.hex}: {st}"
        out = []
        for desc in json.loads(body)["manifests"]:
            st, raw = self.get_manifest(desc["digest"], MT_MANIFEST)
            assert st == 200 and sha256(raw) == desc["digest"]
            m = json.loads(raw)
            if len(m.get("layers", [])) != 1 or \
                    not m["layers"][0]["mediaType"].startswith("application/vnd.dev.sigstore"):
                continue
            assert m["subject"]["digest"] == self.digest
            out.append((m, json.loads(self.get_blob(m["layers"][0]["digest"]))))
        return out

    def push_bundle_as_cosign3(self, bundle: dict, predicate_type: str):
        """§4.3: bundle blob, empty config, referrer manifest by digest; without a referrers
        API also the fallback index, written as cosign's library writes it (entries with
        artifactType application/vnd.oci.empty.v1+json and no annotations, #4641)."""
        blob = json.dumps(bundle).encode()
        bdig = self.put_blob(blob)
        self.put_blob(b"{}")
        m = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
             "config": {"mediaType": MT_EMPTY, "size": 2, "digest": EMPTY_DIGEST,
                        "artifactType": MT_BUNDLE},
             "layers": [{"mediaType": MT_BUNDLE, "size": len(blob), "digest": bdig}],
             "annotations": {"dev.sigstore.bundle.content": "dsse-envelope",
                             ANN_PRED: predicate_type,
                             "org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
             "subject": {"mediaType": self.img.desc["mediaType"],
                         "size": len(self.img.manifest_raw), "digest": self.digest},
             "artifactType": MT_BUNDLE}
        raw = json.dumps(m, separators=(",", ":")).encode()
        self.put_manifest(sha256(raw), raw, MT_MANIFEST)
        if self.proxy is None:
            st, body = self.get_manifest(f"sha256-{self.hex}", MT_INDEX)
            idx = json.loads(body) if st == 200 else \
                {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": []}
            idx["manifests"].append({"mediaType": MT_MANIFEST, "size": len(raw),
                                     "digest": sha256(raw), "artifactType": MT_EMPTY})
            self.put_manifest(f"sha256-{self.hex}", json.dumps(idx).encode(), MT_INDEX)
        return sha256(raw)

    def statement(self, predicate_type, predicate, annotations=None, version="v1"):
        """The in-toto statement cosign 3 signs (§4.1) or cosign attest builds (§6.2)."""
        subj = {"digest": {"sha256": self.hex}}
        if version != "v1":
            subj = {"name": self.reg.ref(self.name) if self.proxy is None
                    else self.proxy.ref(self.name), **subj}
        if annotations:
            subj["annotations"] = annotations
        st = {"_type": f"https://in-toto.io/Statement/{version}", "subject": [subj],
              "predicateType": predicate_type, "predicate": predicate}
        return json.dumps(st, separators=(",", ":")).encode()


@pytest.fixture(params=["fallback-tag", "referrers-api"])
def env(request, vigil, tmp_path):
    e = Env(vigil, tmp_path, api=request.param == "referrers-api")
    yield e
    e.stop()


def check_dsse_bundle(sjs, d: Path, bundle: dict, pub: Path, other_pub: Path, name: str):
    """sigstore-js verifies the bundle with pub (returns the statement), refuses it with
    other_pub, and refuses it with one byte of the signature or of the payload changed."""
    path = d / f"{name}.json"
    path.write_text(json.dumps(bundle))
    p = sjs.verify(path, pub)
    assert p.returncode == 0, p
    assert "warning" not in p.stderr, p.stderr
    statement = json.loads(p.stdout)
    assert statement == json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    p = sjs.verify(path, other_pub)
    assert p.returncode == 1 and "key not found" in p.stderr, p
    for what in ("signature", "payload"):
        bad = d / f"{name}-bad-{what}.json"
        bad.write_text(json.dumps(tamper(bundle, what)))
        p = sjs.verify(bad, pub)
        assert p.returncode == 1 and "SIGNATURE_ERROR" in p.stderr, (what, p)
    return statement


# ------------------------------------------------------------------ the oracle itself

def test_sigstore_js_oracle_accepts_and_rejects(sjs, tmp_path):
    """The scripts round-trip and fail where they must, independently of vigil."""
    require_tools("openssl")
    key, pub = ec_key(tmp_path, "k")
    _, other = ec_key(tmp_path, "o")
    st = tmp_path / "st.json"
    st.write_bytes(b'{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":'
                   b'{"sha256":"' + b"ab" * 32 + b'"}}],"predicateType":"x","predicate":{}}')
    b = sjs.make("dsse", key, st, tmp_path / "b.json")
    assert b["mediaType"] == MT_BUNDLE
    assert b["dsseEnvelope"]["payloadType"] == MT_INTOTO
    assert base64.b64decode(b["dsseEnvelope"]["payload"]) == st.read_bytes()
    check_dsse_bundle(sjs, tmp_path, b, pub, other, "self")
    # A wrong key whose hint is not consulted still fails on the signature.
    p = sjs._run("verify-bundle.mjs", "--any-hint", tmp_path / "b.json", other)
    assert p.returncode == 1 and "SIGNATURE_ERROR" in p.stderr, p
    # Unknown fields are reported, and fatal with --strict.
    b2 = dict(b, extra={"x": 1})
    (tmp_path / "b2.json").write_text(json.dumps(b2))
    p = sjs.verify(tmp_path / "b2.json", pub)
    assert p.returncode == 1 and "extra" in p.stderr, p
    assert sjs.verify(tmp_path / "b2.json", pub, strict=False).returncode == 0
    # A message signature bundle needs the artifact, and binds to it.
    art = tmp_path / "a.bin"
    art.write_bytes(b"artifact\n")
    sjs.make("message", key, art, tmp_path / "m.json")
    assert sjs.verify(tmp_path / "m.json", pub, art).returncode == 0
    assert sjs.verify(tmp_path / "m.json", pub).returncode == 1
    art.write_bytes(b"artifact!\n")
    p = sjs.verify(tmp_path / "m.json", pub, art)
    assert p.returncode == 1 and "SIGNATURE_ERROR" in p.stderr, p


# ------------------------------------------------------------------ vigil → sigstore-js

def test_vigil_signature_bundle_verifies_in_sigstore_js(sjs, env):
    key, pub = env.vigil_keys("cosign")
    _, other = env.vigil_keys("other")
    r = env.run("sign", "--key", key, "--new-bundle-format", "-a", "env=interop", env.ref)
    assert r.rc == 0, r
    [(m, bundle)] = env.bundle_referrers()
    assert m["annotations"][ANN_PRED] == PRED_SIGN
    st = check_dsse_bundle(sjs, env.dir, bundle, pub, other, "vigil-sign")
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["predicateType"] == PRED_SIGN
    assert [s["digest"]["sha256"] for s in st["subject"]] == [env.hex]
    assert st["subject"][0]["annotations"] == {"env": "interop"}


def test_vigil_attestation_bundle_verifies_in_sigstore_js(sjs, env):
    key, pub = env.vigil_keys("cosign")
    _, other = env.vigil_keys("other")
    sbom = env.dir / "sbom.json"
    r = env.run("sbom", "--format", "cyclonedx", "--output", sbom, env.ref)
    assert r.rc == 0, r
    r = env.run("attest", "--key", key, "--type", "cyclonedx", "--predicate", sbom,
                "--new-bundle-format", env.ref)
    assert r.rc == 0, r
    [(m, bundle)] = env.bundle_referrers()
    assert m["annotations"][ANN_PRED] == PRED_CDX
    st = check_dsse_bundle(sjs, env.dir, bundle, pub, other, "vigil-attest")
    assert st["predicateType"] == PRED_CDX
    assert st["predicate"] == json.loads(sbom.read_text())
    assert [s["digest"]["sha256"] for s in st["subject"]] == [env.hex]


# ------------------------------------------------------------------ sigstore-js → vigil

@pytest.mark.parametrize("keyid", ["hint", "empty"])
def test_sigstore_js_signature_bundle_verifies_in_vigil(sjs, env, keyid):
    """The DSSE keyid is the key hint as sigstore-js writes it, or empty as cosign writes it."""
    pem, _, pub = env.imported_keys("imported")
    _, _, other = env.imported_keys("stranger")
    stmt = env.dir / "statement.json"
    stmt.write_bytes(env.statement(PRED_SIGN, {}, {"env": "js"}))
    extra = ["--keyid", ""] if keyid == "empty" else []
    bundle = sjs.make("dsse", pem, stmt, env.dir / "js-sign.json", *extra)
    # sigstore-js writes protobuf JSON as it sees fit: e.g. no "tlogEntries" when empty.
    assert bundle["mediaType"] == MT_BUNDLE
    assert sjs.verify(env.dir / "js-sign.json", pub).returncode == 0
    env.push_bundle_as_cosign3(bundle, PRED_SIGN)

    r = env.run("verify", "--key", pub, "-a", "env=js", env.ref)
    assert r.rc == 0, r
    [out] = json.loads(r.out)
    assert out["critical"]["type"] == PRED_SIGN
    assert out["critical"]["image"]["docker-manifest-digest"] == env.digest
    assert out["optional"] == {"env": "js"}
    r = env.run("verify", "--key", other, env.ref)
    assert r.rc == 1, r
    r = env.run("verify", "--key", pub, "-a", "env=other", env.ref)
    assert r.rc == 1, r


def test_tampered_sigstore_js_bundle_is_refused_by_vigil(sjs, env):
    pem, _, pub = env.imported_keys("imported")
    stmt = env.dir / "statement.json"
    stmt.write_bytes(env.statement(PRED_SIGN, {}))
    bundle = sjs.make("dsse", pem, stmt, env.dir / "js-sign.json")
    env.push_bundle_as_cosign3(tamper(bundle, "signature"), PRED_SIGN)
    r = env.run("verify", "--key", pub, env.ref)
    assert r.rc == 1, r
    # The untampered bundle next to it is accepted: the refusal above was the signature's.
    env.push_bundle_as_cosign3(bundle, PRED_SIGN)
    r = env.run("verify", "--key", pub, env.ref)
    assert r.rc == 0 and len(json.loads(r.out)) == 1, r


def test_sigstore_js_attestation_bundle_verifies_in_vigil(sjs, env):
    pem, _, pub = env.imported_keys("imported")
    _, _, other = env.imported_keys("stranger")
    sbom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
            "components": [{"type": "library", "name": "openssl", "version": "3.0.11-1"}]}
    stmt = env.dir / "statement.json"
    stmt.write_bytes(env.statement(PRED_CDX, sbom, version="v0.1"))
    bundle = sjs.make("dsse", pem, stmt, env.dir / "js-attest.json")
    env.push_bundle_as_cosign3(bundle, PRED_CDX)

    r = env.run("verify-attestation", "--key", pub, "--type", "cyclonedx", "--output",
                "statement", env.ref)
    assert r.rc == 0, r
    [line] = r.out.splitlines()
    st = json.loads(line)
    assert st["predicateType"] == PRED_CDX and st["predicate"] == sbom
    assert st["subject"][0]["digest"]["sha256"] == env.hex
    r = env.run("verify-attestation", "--key", pub, "--type", "cyclonedx", env.ref)
    assert r.rc == 0, r
    envelope = json.loads(r.out.splitlines()[0])
    assert base64.b64decode(envelope["payload"]) == stmt.read_bytes()
    assert env.run("verify-attestation", "--key", other, "--type", "cyclonedx",
                   env.ref).rc == 1
    assert env.run("verify-attestation", "--key", pub, "--type", "spdxjson", env.ref).rc == 1
    # An SBOM attestation is not an image signature for vigil (docs/signing.md).
    assert env.run("verify", "--key", pub, env.ref).rc == 1


def test_vigil_claim_checks_on_bundles_sigstore_js_accepts(sjs, vigil, tmp_path):
    """Bundles whose signature sigstore-js accepts but whose claims are not an image signature
    for this image (another payload type, another subject, a pre-v0.3 bundle in a registry)
    are refused by vigil; a statement with the image as its second subject, and a bundle whose
    key hint names another key (cosign ignores the hint), are accepted."""
    env = Env(vigil, tmp_path)
    try:
        pem, _, pub = env.imported_keys("imported")
        stmt = env.dir / "statement.json"

        def make(name, statement, *extra):
            stmt.write_bytes(statement)
            b = sjs.make("dsse", pem, stmt, env.dir / f"{name}.json", *extra)
            p = sjs.verify(env.dir / f"{name}.json", pub)
            assert p.returncode == 0, (name, p)  # the signature itself is fine
            return b

        good = env.statement(PRED_SIGN, {})
        bad = [make("json-type", good, "--payload-type", "application/json"),
               make("other-subject", good.replace(env.hex.encode(), b"ab" * 32))]
        v02 = make("v02", good)
        v02["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2"
        p = sjs.verify_json(env.dir, v02, pub)
        assert p.returncode == 0, p
        bad.append(v02)
        for b in bad:
            env.push_bundle_as_cosign3(b, PRED_SIGN)
        r = env.run("verify", "--key", pub, env.ref)
        assert r.rc == 1, r
        reasons = [l for l in r.err.splitlines() if "(referrer)" in l]
        assert len(reasons) == 3, r.err
        for word in ("payloadType", "subject", "v0.3"):  # one reason each, in any order
            assert sum(word in l for l in reasons) == 1, (word, r.err)

        st = json.loads(good)
        st["subject"].insert(0, {"digest": {"sha256": "cd" * 32}})
        env.push_bundle_as_cosign3(make("second-subject", json.dumps(st).encode()), PRED_SIGN)
        r = env.run("verify", "--key", pub, env.ref)
        assert r.rc == 0 and len(json.loads(r.out)) == 1, r

        other_hint = make("other-hint", good)
        other_hint["verificationMaterial"]["publicKey"]["hint"] = \
            base64.b64encode(hashlib.sha256(b"another key").digest()).decode()
        env.push_bundle_as_cosign3(other_hint, PRED_SIGN)
        r = env.run("verify", "--key", pub, env.ref)
        assert r.rc == 0 and len(json.loads(r.out)) == 2, r
    finally:
        env.stop()


# ------------------------------------------------------------------ blob bundles

def blob_bundle_support():
    r = run_vigil("sign-blob", "--help")
    v = run_vigil("verify-blob", "--help")
    if "--bundle" not in r.out + r.err or "--bundle" not in v.out + v.err:
        pytest.skip("this vigil has no sign-blob/verify-blob --bundle (cosign 3 blob "
                    "bundles); nothing to cross-check")


@pytest.fixture
def blobdir(sjs, vigil, tmp_path):
    require_tools("openssl")
    blob_bundle_support()
    return tmp_path


def test_vigil_blob_bundle_verifies_in_sigstore_js(sjs, vigil, blobdir):
    d = blobdir
    assert vigil("generate-key-pair", env=PW, cwd=d).rc == 0
    art = d / "artifact.tar"
    art.write_bytes(bytes(range(256)) * 64)
    r = vigil("sign-blob", "--key", "cosign.key", "--bundle", "a.bundle", art, env=PW, cwd=d)
    assert r.rc == 0, r
    b = json.loads((d / "a.bundle").read_text())
    assert b["mediaType"] == MT_BUNDLE
    ms = b["messageSignature"]
    assert base64.b64decode(ms["messageDigest"]["digest"]) == \
        hashlib.sha256(art.read_bytes()).digest()
    p = sjs.verify(d / "a.bundle", d / "cosign.pub", art)
    assert p.returncode == 0, p
    assert json.loads(p.stdout) == {"messageDigest": sha256(art.read_bytes())}
    _, other = ec_key(d, "other")
    assert sjs.verify(d / "a.bundle", other, art).returncode == 1
    art2 = d / "changed.tar"
    art2.write_bytes(art.read_bytes()[:-1] + b"\x00")
    p = sjs.verify(d / "a.bundle", d / "cosign.pub", art2)
    assert p.returncode == 1 and "SIGNATURE_ERROR" in p.stderr, p


@pytest.mark.parametrize("media_type", ["library-v0.2", "v0.3"])
def test_sigstore_js_blob_bundle_verifies_in_vigil(sjs, vigil, blobdir, media_type):
    """sigstore-js labels key-signed blob bundles v0.2; cosign 3 writes v0.3. Both are valid
    blob bundles (cosign accepts pre-v0.3 bundles for blobs)."""
    d = blobdir
    pem, _ = ec_key(d, "k")
    r = vigil("import-key-pair", "--key", pem, "--output-key-prefix", "imp", env=PW, cwd=d)
    assert r.rc == 0, r
    _, other = ec_key(d, "other")
    art = d / "artifact.bin"
    art.write_bytes(b"release artifact\n" * 100)
    extra = ["--media-type", "v0.3"] if media_type == "v0.3" else []
    b = sjs.make("message", pem, art, d / "js.bundle", *extra)
    assert b["mediaType"] == (MT_BUNDLE if media_type == "v0.3"
                              else "application/vnd.dev.sigstore.bundle+json;version=0.2")
    r = vigil("verify-blob", "--key", "imp.pub", "--bundle", "js.bundle", art, cwd=d)
    assert r.rc == 0, r
    r = vigil("verify-blob", "--key", other, "--bundle", "js.bundle", art, cwd=d)
    assert r.rc == 1, r
    # The recorded digest must be the artifact's, even though the signature (over the
    # artifact bytes) is intact.
    b2 = json.loads(json.dumps(b))
    b2["messageSignature"]["messageDigest"]["digest"] = \
        base64.b64encode(hashlib.sha256(b"something else").digest()).decode()
    (d / "js2.bundle").write_text(json.dumps(b2))
    assert sjs.verify(d / "js2.bundle", d / "k.pub.pem", art).returncode == 1
    r = vigil("verify-blob", "--key", "imp.pub", "--bundle", "js2.bundle", art, cwd=d)
    assert r.rc == 1, r
    art.write_bytes(b"release artifact\n" * 99)
    r = vigil("verify-blob", "--key", "imp.pub", "--bundle", "js.bundle", art, cwd=d)
    assert r.rc == 1, r
