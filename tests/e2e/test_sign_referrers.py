# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of cosign 3 bundle signatures and attestations through the OCI 1.1
referrers API (`GET /v2/<name>/referrers/<digest>`), which Debian's docker-registry 2.8 lacks:
tests/e2e/referrers_proxy.py adds it in front of a real docker-registry. What is checked:
`vigil sign/attest --new-bundle-format` see the API and write no `sha256-<hex>` fallback tag;
`verify`, `verify-attestation` and `tree` find the referrers through the API alone (no fallback
tag exists, and a stale one is ignored while the API answers); thresholds, wrong keys, and the
`artifactType` filter applied or ignored. The proxy itself is checked first, so a failure
there is not mistaken for a vigil bug."""
import base64
import hashlib
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
import urllib.parse

import pytest

import images
from referrers_proxy import ReferrersProxy
from registry_fixtures import Registry, http, require_tools

PW = {"VIGIL_PASSWORD": "pw"}
MT_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_EMPTY = "application/vnd.oci.empty.v1+json"
MT_SPDX = "application/spdx+json"
PRED_SIGN = "https://sigstore.dev/cosign/sign/v1"
ANN_PRED = "dev.sigstore.bundle.predicateType"
EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


def sha256(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


class Env:
    """docker-registry + the referrers proxy, an image pushed through the proxy, and vigil."""

    def __init__(self, vigil, tmp_path, filter_mode="apply", referrers_api=True,
                 page_size=None, name="team/app"):
        require_tools("docker-registry", "skopeo")
        self.vigil, self.dir, self.name = vigil, tmp_path, name
        self.reg = Registry(tmp_path).start()
        try:
            self.proxy = ReferrersProxy(self.reg, filter_mode=filter_mode,
                                        referrers_api=referrers_api,
                                        page_size=page_size).start()
        except Exception:
            self.reg.stop()
            raise
        lay, self.img = images.build_image(
            tmp_path / "oci", tag="v1",
            layers=[{"etc/os-release": b"ID=debian\nVERSION_ID=\"12\"\n",
                     "big.bin": bytes(range(256)) * 2048}])  # 512 KiB: a streamed upload
        # Pushed through the proxy: skopeo's uploads exercise plain forwarding.
        subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", "--preserve-digests",
                        "--dest-tls-verify=false", f"oci:{lay.path}:v1",
                        f"docker://{self.proxy.ref(name)}:v1"], check=True, capture_output=True)
        self.ref = self.proxy.ref(f"{name}:v1")
        self.digest = self.img.digest
        self.hex = self.digest.split(":")[1]

    def stop(self):
        self.proxy.stop()
        self.reg.stop()

    def keys(self, prefix):
        r = self.vigil("generate-key-pair", "--output-key-prefix", prefix, env=PW, cwd=self.dir)
        assert r.rc == 0, r
        return self.dir / f"{prefix}.key", self.dir / f"{prefix}.pub"

    def run(self, cmd, *args):
        return self.vigil(cmd, "--plain-http", *args, env=PW, cwd=self.dir)

    def api(self, digest=None, artifact_type=None, host=None):
        """The referrers API answer: (status, headers, index)."""
        url = f"http://{host or self.proxy.host}/v2/{self.name}/referrers/{digest or self.digest}"
        if artifact_type:
            url += "?artifactType=" + urllib.parse.quote(artifact_type, safe="")
        st, h, body = http(url, headers={"Accept": MT_INDEX})
        return st, h, (json.loads(body) if st == 200 else body)

    def upstream_status(self, ref):
        """Status of a manifest GET straight at docker-registry (bypassing the proxy)."""
        return http(f"http://{self.reg.host}/v2/{self.name}/manifests/{ref}",
                    headers={"Accept": f"{MT_INDEX}, {MT_MANIFEST}"})[0]

    def fallback_reads(self):
        """Requests for the referrers fallback tag sha256-<hex> seen by the proxy."""
        return [e for e in self.proxy.log
                if e[1].split("?")[0].endswith(f"/manifests/sha256-{self.hex}")]

    def push_artifact(self, artifact_type, annotations=None, subject=None, config_mt=None):
        """An OCI 1.1 artifact manifest with a subject, pushed by digest through the proxy."""
        base = f"{self.proxy.url}/v2/{self.name}"
        blob = b'{"spdxVersion":"SPDX-2.3"}'
        for data in (b"{}", blob):
            st, h, _ = http(f"{base}/blobs/uploads/", "POST", b"")
            assert st == 202, st
            loc = h["Location"]
            assert loc.startswith(self.proxy.url) or loc.startswith("/"), loc
            loc = loc if loc.startswith("http") else self.proxy.url + loc
            sep = "&" if "?" in loc else "?"
            st, _, _ = http(f"{loc}{sep}digest={sha256(data)}", "PUT", data,
                            {"Content-Type": "application/octet-stream"})
            assert st == 201, st
        m = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
             "config": {"mediaType": config_mt or MT_EMPTY, "size": 2, "digest": EMPTY_DIGEST},
             "layers": [{"mediaType": MT_SPDX, "size": len(blob), "digest": sha256(blob)}],
             "subject": subject or {"mediaType": MT_MANIFEST, "size": len(self.img.manifest_raw),
                                    "digest": self.digest}}
        if artifact_type:
            m["artifactType"] = artifact_type
        if annotations:
            m["annotations"] = annotations
        raw = json.dumps(m).encode()
        st, h, body = http(f"{base}/manifests/{sha256(raw)}", "PUT", raw,
                           {"Content-Type": MT_MANIFEST})
        assert st == 201, (st, body)
        return sha256(raw), len(raw), h


@pytest.fixture
def env(vigil, tmp_path):
    e = Env(vigil, tmp_path)
    yield e
    e.stop()


def bundle_referrers(index):
    return [d for d in index["manifests"] if d.get("artifactType") == MT_BUNDLE]


# ------------------------------------------------------------------ the proxy itself

def test_proxy_implements_referrers_api_over_docker_registry(env):
    # docker-registry alone has no referrers API; the proxy has one.
    st, _, _ = env.api(host=env.reg.host)
    assert st == 404
    st, h, idx = env.api()
    assert st == 200 and h["Content-Type"] == MT_INDEX
    assert idx == {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": []}
    # Plain forwarding: the image pushed through the proxy is in docker-registry, by digest.
    assert env.upstream_status(env.digest) == 200
    assert json.loads(env.reg.raw(f"{env.name}:v1")) == env.img.manifest
    # An artifact with a subject: OCI-Subject, then listed with artifactType + annotations.
    d1, n1, h = env.push_artifact(MT_SPDX, {"org.example.kind": "sbom"})
    assert h["OCI-Subject"] == env.digest
    # No artifactType: the config media type is used.
    d2, n2, _ = env.push_artifact(None, {"x": "2"}, config_mt="application/vnd.example.cfg")
    st, _, idx = env.api()
    assert st == 200
    assert idx["manifests"] == [
        {"mediaType": MT_MANIFEST, "digest": d1, "size": n1, "artifactType": MT_SPDX,
         "annotations": {"org.example.kind": "sbom"}},
        {"mediaType": MT_MANIFEST, "digest": d2, "size": n2,
         "artifactType": "application/vnd.example.cfg", "annotations": {"x": "2"}}]
    st, h, idx = env.api(artifact_type=MT_SPDX)
    assert h["OCI-Filters-Applied"] == "artifactType"
    assert [d["digest"] for d in idx["manifests"]] == [d1]
    # A subject that does not exist is allowed; unknown digests list nothing; bad digest → 400.
    missing = "sha256:" + "ab" * 32
    d3, _, h = env.push_artifact(MT_SPDX, subject={"mediaType": MT_MANIFEST, "size": 1,
                                                   "digest": missing})
    assert h["OCI-Subject"] == missing
    assert [d["digest"] for d in env.api(missing)[2]["manifests"]] == [d3]
    assert env.api("sha256:" + "cd" * 32)[2]["manifests"] == []
    assert env.api("sha256:xyz")[0] == 400
    # A manifest without subject gets no OCI-Subject header.
    raw = env.img.manifest_raw
    st, h, _ = http(f"{env.proxy.url}/v2/{env.name}/manifests/again", "PUT", raw,
                    {"Content-Type": MT_MANIFEST})
    assert st == 201 and "OCI-Subject" not in h
    # Deleting a referrer removes it from the list.
    st, _, _ = http(f"{env.proxy.url}/v2/{env.name}/manifests/{d1}", "DELETE")
    assert st == 202
    assert [d["digest"] for d in env.api()[2]["manifests"]] == [d2]


# ------------------------------------------------------------------ signatures

def test_sign_bundle_uses_referrers_api_without_fallback_tag(env):
    key, pub = env.keys("cosign")
    r = env.run("sign", "--key", key, "--new-bundle-format", "-a", "env=api", env.ref)
    assert r.rc == 0, r
    assert "fallback tag" not in r.err, r
    # The registry listed exactly one bundle referrer, described as the spec requires.
    st, _, idx = env.api()
    assert st == 200
    [desc] = idx["manifests"]
    assert desc["artifactType"] == MT_BUNDLE and desc["mediaType"] == MT_MANIFEST
    assert desc["annotations"][ANN_PRED] == PRED_SIGN
    raw = env.reg.raw(f"{env.name}@{desc['digest']}")
    assert sha256(raw) == desc["digest"] and len(raw) == desc["size"]
    m = json.loads(raw)
    assert m["subject"]["digest"] == env.digest
    assert m["annotations"] == desc["annotations"]
    # vigil asked the API (with the bundle artifactType) and wrote no fallback tag nor .sig.
    probes = env.proxy.requests("GET", f"/referrers/{env.digest}")
    assert probes and any("artifactType=" in p[1] for p in probes), env.proxy.log
    assert all(p[2] == 200 for p in probes)
    assert env.upstream_status(f"sha256-{env.hex}") == 404
    assert env.upstream_status(f"sha256-{env.hex}.sig") == 404
    assert not [e for e in env.proxy.log if e[0] == "PUT" and f"sha256-{env.hex}" in e[1]]

    # verify finds it through the API alone (the fallback tag does not exist).
    env.proxy.clear_log()
    r = env.run("verify", "--key", pub, "-a", "env=api", env.ref)
    assert r.rc == 0, r
    [out] = json.loads(r.out)
    assert out["critical"]["type"] == PRED_SIGN
    assert out["critical"]["image"]["docker-manifest-digest"] == env.digest
    assert out["optional"] == {"env": "api"}
    assert env.proxy.requests("GET", f"/referrers/{env.digest}"), env.proxy.log
    assert env.proxy.requests("GET", f"/manifests/{desc['digest']}"), env.proxy.log
    assert env.run("verify", "--key", pub, "-a", "env=other", env.ref).rc == 1

    # tree shows the signature and reports the referrers API.
    env.proxy.clear_log()
    r = env.run("tree", "--output", "json", env.ref)
    assert r.rc == 0, r
    t = json.loads(r.out)
    assert t["referrersAPI"] is True
    assert t["digest"] == env.digest
    assert t["attachments"] == [{"kind": "signature",
                                 "location": f"{env.proxy.host}/{env.name}@{desc['digest']}",
                                 "digest": desc["digest"], "type": PRED_SIGN}]
    r = env.run("tree", env.ref)
    assert r.rc == 0, r
    assert f"+-- signature: {env.proxy.host}/{env.name}@{desc['digest']}" in r.out, r
    assert PRED_SIGN in r.out


def test_two_signers_two_referrers_threshold_and_wrong_key(env):
    k1, p1 = env.keys("one")
    k2, p2 = env.keys("two")
    _, p3 = env.keys("stranger")
    assert env.run("sign", "--key", k1, "--new-bundle-format", env.ref).rc == 0
    r = env.run("verify", "--key", p1, "--key", p2, "--threshold", "2", env.ref)
    assert r.rc == 1 and "threshold is 2" in r.err, r
    r = env.run("sign", "--key", k2, "--new-bundle-format", env.ref)
    assert r.rc == 0 and "fallback tag" not in r.err, r
    st, _, idx = env.api()
    assert st == 200 and len(bundle_referrers(idx)) == 2 == len(idx["manifests"])
    assert len({d["digest"] for d in idx["manifests"]}) == 2
    assert env.upstream_status(f"sha256-{env.hex}") == 404

    env.proxy.clear_log()
    r = env.run("verify", "--key", p1, "--key", p2, "--threshold", "2", env.ref)
    assert r.rc == 0, r
    assert len(json.loads(r.out)) == 2
    for p in (p1, p2):
        assert env.run("verify", "--key", p, env.ref).rc == 0
    # The same key twice counts once.
    r = env.run("verify", "--key", p1, "--key", p1, "--threshold", "2", env.ref)
    assert r.rc == 1, r
    # A key that signed nothing: exit 1 (docs/signing.md), each referrer's reason listed.
    r = env.run("verify", "--key", p3, env.ref)
    assert r.rc == 1, r
    assert "no matching signatures" in r.err, r
    assert sum("(referrer)" in line for line in r.err.splitlines()) == 2, r.err
    t = json.loads(env.run("tree", "--output", "json", env.ref).out)
    assert t["referrersAPI"] is True
    assert [a["kind"] for a in t["attachments"]] == ["signature", "signature"]


def test_attest_bundle_and_verify_attestation_through_api(env):
    key, pub = env.keys("cosign")
    (env.dir / "pred.json").write_text('{"passed": true}')
    ptype = "https://example.com/TestResult/v1"
    r = env.run("attest", "--key", key, "--type", ptype, "--predicate", env.dir / "pred.json",
                "--new-bundle-format", env.ref)
    assert r.rc == 0, r
    assert "fallback" not in r.err, r
    assert env.run("sign", "--key", key, "--new-bundle-format", env.ref).rc == 0
    st, _, idx = env.api()
    assert st == 200 and len(idx["manifests"]) == 2
    assert sorted(d["annotations"][ANN_PRED] for d in idx["manifests"]) == [ptype, PRED_SIGN]
    assert all(d["artifactType"] == MT_BUNDLE for d in idx["manifests"])
    assert env.upstream_status(f"sha256-{env.hex}") == 404

    env.proxy.clear_log()
    r = env.run("verify-attestation", "--key", pub, "--type", ptype, "--output", "statement",
                env.ref)
    assert r.rc == 0, r
    [line] = r.out.splitlines()
    st_ = json.loads(line)
    assert st_["predicateType"] == ptype and st_["predicate"] == {"passed": True}
    assert st_["subject"][0]["digest"]["sha256"] == env.hex
    r = env.run("verify-attestation", "--key", pub, "--type", ptype, env.ref)
    assert r.rc == 0, r
    envelope = json.loads(r.out.splitlines()[0])
    assert json.loads(base64.b64decode(envelope["payload"]))["predicateType"] == ptype
    # Another predicate type, or another key: nothing verifies.
    assert env.run("verify-attestation", "--key", pub, "--type", "spdxjson", env.ref).rc == 1
    _, other = env.keys("other")
    assert env.run("verify-attestation", "--key", other, "--type", ptype, env.ref).rc == 1
    # The signature verifies; the attestation bundle is not mistaken for one.
    r = env.run("verify", "--key", pub, env.ref)
    assert r.rc == 0 and len(json.loads(r.out)) == 1, r
    t = json.loads(env.run("tree", "--output", "json", env.ref).out)
    assert t["referrersAPI"] is True
    assert sorted((a["kind"], a["type"]) for a in t["attachments"]) == [
        ("attestation", ptype), ("signature", PRED_SIGN)]


def test_concurrent_bundle_signers_lose_nothing_with_the_api(env):
    """With the API there is no read-modify-write of an index: every signature is kept."""
    keys = [env.keys(f"k{i}") for i in range(4)]
    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(lambda k: env.run("sign", "--key", k[0], "--new-bundle-format",
                                                env.ref), keys))
    assert all(r.rc == 0 for r in results), [r.err for r in results]
    assert len(bundle_referrers(env.api()[2])) == 4
    assert env.upstream_status(f"sha256-{env.hex}") == 404
    args = [a for _, p in keys for a in ("--key", p)]
    r = env.run("verify", *args, "--threshold", "4", env.ref)
    assert r.rc == 0 and len(json.loads(r.out)) == 4, r


def test_stale_fallback_index_is_ignored_when_the_api_answers(env):
    """vigil may fetch the fallback tag speculatively, but its content counts only when the
    referrers API answers 404 (distribution-spec "Unavailable Referrers API")."""
    k1, p1 = env.keys("api")
    k2, p2 = env.keys("decoy")
    assert env.run("sign", "--key", k1, "--new-bundle-format", env.ref).rc == 0
    # Signed straight at docker-registry: a referrer + fallback index the proxy never saw.
    direct = env.reg.ref(f"{env.name}:v1")
    r = env.run("sign", "--key", k2, "--new-bundle-format", direct)
    assert r.rc == 0 and "fallback tag" in r.err, r
    [decoy] = json.loads(env.reg.raw(f"{env.name}:sha256-{env.hex}"))["manifests"]
    [listed] = env.api()[2]["manifests"]
    assert listed["digest"] != decoy["digest"]
    # Control: without the API (docker-registry directly) the decoy signature verifies.
    assert env.run("verify", "--key", p2, direct).rc == 0
    # Through the API only the API's referrers count.
    r = env.run("verify", "--key", p2, env.ref)
    assert r.rc == 1, r
    assert decoy["digest"] not in r.err, r
    assert env.run("verify", "--key", p1, env.ref).rc == 0
    t = json.loads(env.run("tree", "--output", "json", env.ref).out)
    assert t["referrersAPI"] is True
    assert [a["digest"] for a in t["attachments"]] == [listed["digest"]], t


# ------------------------------------------------------------------ pagination

def test_proxy_paginates_referrers_with_link_header(vigil, tmp_path):
    env = Env(vigil, tmp_path, page_size=2)
    try:
        pushed = [env.push_artifact(MT_SPDX, {"n": str(i)})[0] for i in range(5)]
        seen, url, pages = [], f"/v2/{env.name}/referrers/{env.digest}?artifactType=" + \
            urllib.parse.quote(MT_SPDX, safe=""), 0
        while url:
            st, h, body = http(env.proxy.url + url)
            assert st == 200 and h["OCI-Filters-Applied"] == "artifactType"
            seen += [d["digest"] for d in json.loads(body)["manifests"]]
            link = h.get("Link")
            url = link[1:link.index(">")] if link else None
            pages += 1
        assert seen == pushed and pages == 3
    finally:
        env.stop()


def test_verify_follows_referrers_pagination(vigil, tmp_path):
    """A registry may page the referrers list (distribution-spec: Link rel="next"); signatures
    on later pages must count. Foreign referrers fill the first page."""
    env = Env(vigil, tmp_path, page_size=2)
    try:
        for i in range(2):
            env.push_artifact(MT_SPDX, {"n": str(i)})
        k1, p1 = env.keys("one")
        k2, p2 = env.keys("two")
        for k in (k1, k2):
            r = env.run("sign", "--key", k, "--new-bundle-format", env.ref)
            assert r.rc == 0 and "fallback tag" not in r.err, r
        assert len(env.proxy.referrers(env.name, env.digest)) == 4
        r = env.run("verify", "--key", p1, "--key", p2, "--threshold", "2", env.ref)
        assert r.rc == 0, r
        t = json.loads(env.run("tree", "--output", "json", env.ref).out)
        assert len(t["attachments"]) == 4, t
    finally:
        env.stop()


def test_verify_reads_referrers_past_one_window(vigil, tmp_path):
    """vigil reads referrer manifests 32 per round; signatures listed after 35 foreign
    referrers must still count."""
    env = Env(vigil, tmp_path)
    try:
        for i in range(35):
            env.push_artifact(MT_SPDX, {"n": str(i)})
        k1, p1 = env.keys("one")
        k2, p2 = env.keys("two")
        for k in (k1, k2):
            r = env.run("sign", "--key", k, "--new-bundle-format", env.ref)
            assert r.rc == 0, r
        assert len(env.proxy.referrers(env.name, env.digest)) == 37
        r = env.run("verify", "--key", p1, "--key", p2, "--threshold", "2", env.ref)
        assert r.rc == 0, r
        r = env.run("verify", "--key", p1, "--output", "json", env.ref)
        assert r.rc == 0, r
    finally:
        env.stop()


# ------------------------------------------------------------------ artifactType filter

@pytest.mark.parametrize("mode", ["apply", "ignore"])
def test_artifact_type_filter_applied_or_ignored(vigil, tmp_path, mode):
    env = Env(vigil, tmp_path, filter_mode=mode)
    try:
        # A foreign referrer (an SBOM artifact) is there before vigil signs.
        sbom, _, _ = env.push_artifact(MT_SPDX, {"org.example.kind": "sbom"})
        key, pub = env.keys("cosign")
        r = env.run("sign", "--key", key, "--new-bundle-format", env.ref)
        assert r.rc == 0, r
        assert "fallback tag" not in r.err, r
        assert env.upstream_status(f"sha256-{env.hex}") == 404
        probes = [e for e in env.proxy.requests("GET", f"/referrers/{env.digest}")
                  if "artifactType=" in e[1]]
        assert probes, env.proxy.log
        assert urllib.parse.parse_qs(probes[0][1].split("?", 1)[1])["artifactType"] == [MT_BUNDLE]
        st, h, idx = env.api(artifact_type=MT_BUNDLE)
        if mode == "apply":
            assert h["OCI-Filters-Applied"] == "artifactType"
            assert len(idx["manifests"]) == 1 == len(bundle_referrers(idx))
        else:
            assert "OCI-Filters-Applied" not in h
            assert len(idx["manifests"]) == 2 and len(bundle_referrers(idx)) == 1
        # verify skips the SBOM referrer and accepts the bundle.
        r = env.run("verify", "--key", pub, env.ref)
        assert r.rc == 0 and len(json.loads(r.out)) == 1, r
        # A second signature with the unfiltered answer must not be mistaken as "already there".
        k2, p2 = env.keys("two")
        assert env.run("sign", "--key", k2, "--new-bundle-format", env.ref).rc == 0
        assert len(bundle_referrers(env.api()[2])) == 2
        r = env.run("verify", "--key", pub, "--key", p2, "--threshold", "2", env.ref)
        assert r.rc == 0, r
        t = json.loads(env.run("tree", "--output", "json", env.ref).out)
        assert t["referrersAPI"] is True
        kinds = sorted((a["kind"], a["digest"] == sbom) for a in t["attachments"])
        assert kinds == [("referrer", True), ("signature", False), ("signature", False)], t
        assert [a["type"] for a in t["attachments"] if a["digest"] == sbom] == [MT_SPDX]
    finally:
        env.stop()


# ------------------------------------------------------------------ control: no API

def test_without_referrers_api_the_fallback_tag_is_used(vigil, tmp_path):
    """The same flow with the proxy transparent (docker-registry's 404): the assertions above
    are discriminating, since here vigil must maintain and read the fallback tag."""
    env = Env(vigil, tmp_path, referrers_api=False)
    try:
        key, pub = env.keys("cosign")
        r = env.run("sign", "--key", key, "--new-bundle-format", env.ref)
        assert r.rc == 0, r
        assert "fallback tag" in r.err, r
        assert env.api()[0] == 404
        assert env.upstream_status(f"sha256-{env.hex}") == 200
        env.proxy.clear_log()
        assert env.run("verify", "--key", pub, env.ref).rc == 0
        assert env.fallback_reads(), env.proxy.log
        t = json.loads(env.run("tree", "--output", "json", env.ref).out)
        assert t["referrersAPI"] is False
        assert [a["kind"] for a in t["attachments"]] == ["signature"]
    finally:
        env.stop()


# ------------------------------------------------------------------ authentication

def test_referrers_api_with_htpasswd_registry(vigil, tmp_path):
    require_tools("docker-registry", "skopeo", "htpasswd")
    reg = Registry(tmp_path, auth=("alice", "s3cret")).start()
    proxy = ReferrersProxy(reg).start()
    try:
        lay, img = images.build_image(tmp_path / "oci", tag="v1",
                                      layers=[{"etc/os-release": b"ID=alpine\n"}])
        subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", "--preserve-digests",
                        "--dest-tls-verify=false", "--dest-creds=alice:s3cret",
                        f"oci:{lay.path}:v1", f"docker://{proxy.ref('sec/app')}:v1"],
                       check=True, capture_output=True)
        assert vigil("generate-key-pair", env=PW, cwd=tmp_path).rc == 0
        ref = proxy.ref("sec/app:v1")
        common = ["--plain-http", "--creds", "alice:s3cret"]
        r = vigil("sign", *common, "--key", "cosign.key", "--new-bundle-format", ref, env=PW,
                  cwd=tmp_path)
        assert r.rc == 0 and "fallback tag" not in r.err, r
        [desc] = proxy.referrers("sec/app", img.digest)
        assert desc["artifactType"] == MT_BUNDLE
        # The API is guarded by the registry's own access rules.
        st, h, _ = http(f"{proxy.url}/v2/sec/app/referrers/{img.digest}")
        assert st == 401 and "Basic" in h["WWW-Authenticate"]
        auth = base64.b64encode(b"alice:s3cret").decode()
        st, _, body = http(f"{proxy.url}/v2/sec/app/referrers/{img.digest}",
                           headers={"Authorization": f"Basic {auth}"})
        assert st == 200 and json.loads(body)["manifests"] == [desc]
        r = vigil("verify", *common, "--key", "cosign.pub", ref, cwd=tmp_path)
        assert r.rc == 0, r
        r = vigil("verify", "--plain-http", "--creds", "alice:wrong", "--key", "cosign.pub", ref,
                  cwd=tmp_path)
        assert r.rc == 5, r
    finally:
        proxy.stop()
        reg.stop()
