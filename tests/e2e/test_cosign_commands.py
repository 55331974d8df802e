# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of cosign's utility commands in vigil (docs/cosign-commands.md) against the
real cosign 2.5 (Debian trixie, unpacked by scripts/install-deps) and Debian's docker-registry
on loopback: cosign signs, attests and attaches an SBOM; `vigil copy` moves the image to a second
registry where `cosign verify` / `verify-attestation` succeed; `vigil download` prints what
`cosign download` prints; `vigil triangulate` answers as `cosign triangulate`. Hostile
registries (garbage, oversized and lying signature manifests) give one-line errors."""
import json
import os
import subprocess
from pathlib import Path

import pytest

import images
from conftest import vigil_bin
from registry_fixtures import Registry, http, require_tools

CACHE = Path(os.environ.get("VIGIL_TEST_CACHE", "/var/tmp/vigil-test-cache"))
COSIGN = CACHE / "trixie-tools" / "usr" / "bin" / "cosign"
PW = {"COSIGN_PASSWORD": "pw"}
CF = ["--allow-insecure-registry", "--allow-http-registry"]
BOM = b'{"bomFormat":"CycloneDX","specVersion":"1.4","version":1,"components":[]}'


def run(cmd, env=None, cwd=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(c) for c in cmd], capture_output=True, env=e, cwd=cwd)


def ok(r):
    assert r.returncode == 0, (r.args, r.stdout[-2000:], r.stderr[-2000:])
    return r


def require_cosign():
    if not COSIGN.exists():
        pytest.skip(f"cosign 2.5 (Debian trixie) is not unpacked at {COSIGN}: run "
                    "scripts/install-deps")


class World:
    """Two docker-registries; in `src`, team/app:v1 signed, attested and with an SBOM by
    cosign, and team/multi:v1 (an index of two platforms) signed by cosign per platform."""

    def __init__(self, vigil, d: Path):
        require_tools("docker-registry", "skopeo")
        require_cosign()
        self.vigil, self.dir = vigil, d
        self.src = Registry(d).start()
        self.dst = Registry(d).start()
        lay, self.img = images.build_image(d / "oci", tag="v1",
                                           layers=[{"etc/os-release": b"ID=debian\n",
                                                    "data.bin": bytes(range(256)) * 512}])
        self.src.push(f"oci:{lay.path}:v1", "team/app:v1")
        lay2, self.index, self.plats = images.build_multiarch(d / "oci-multi", tag="v1")
        self.src.push(f"oci:{lay2.path}:v1", "team/multi:v1", all_images=True)
        r = vigil("generate-key-pair", env=PW, cwd=d)
        assert r.rc == 0, r
        (d / "bom.json").write_bytes(BOM)
        app = f"{self.src.host}/team/app@{self.img.digest}"
        self.cosign("sign", "--key", "cosign.key", "--tlog-upload=false", "-y", app)
        self.cosign("attest", "--key", "cosign.key", "--tlog-upload=false", "-y", "--type",
                    "cyclonedx", "--predicate", "bom.json", app)
        self.cosign("attach", "sbom", "--sbom", "bom.json", "--type", "cyclonedx", app)
        for img in self.plats.values():
            self.cosign("sign", "--key", "cosign.key", "--tlog-upload=false", "-y",
                        f"{self.src.host}/team/multi@{img.digest}")

    def cosign(self, *args, env=None):
        e = dict(PW)
        e.update(env or {})
        sub = list(args[:2]) if args[0] in ("attach", "download") else [args[0]]
        flags = [] if args[0] == "sign-blob" else CF
        return ok(run([COSIGN, *sub, *flags, *args[len(sub):]], env=e, cwd=self.dir))

    def v(self, *args, env=None):
        return self.vigil(args[0], *args[1:], env=env, cwd=self.dir)

    def stop(self):
        self.src.stop()
        self.dst.stop()


def run_vigil(*args, env=None, cwd=None):
    """As conftest's, but keeps stdout's bytes too (SBOMs and cosign's lines are compared
    byte for byte)."""
    e = dict(os.environ)
    e.setdefault("XDG_CACHE_HOME", "/tmp/vigil-test-cache")
    e.update(env or {})
    return Result(subprocess.run([vigil_bin(), *[str(a) for a in args]], capture_output=True,
                                 env=e, cwd=cwd, timeout=300))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not Path(vigil_bin()).exists():
        pytest.fail(f"vigil binary not built: {vigil_bin()}")
    d = tmp_path_factory.mktemp("cosign-cmds")
    w = World(run_vigil, d)
    yield w
    w.stop()


class Result:
    def __init__(self, p):
        self.rc, self.out, self.err = p.returncode, p.stdout.decode(errors="replace"), \
            p.stderr.decode(errors="replace")
        self.raw = p.stdout

    def __repr__(self):
        return f"rc={self.rc}\nstdout={self.out[-2000:]}\nstderr={self.err[-2000:]}"


ACCEPT = {"Accept": "application/vnd.oci.image.manifest.v1+json, "
                    "application/vnd.oci.image.index.v1+json"}


def status(reg, repo, ref):
    return http(f"http://{reg.host}/v2/{repo}/manifests/{ref}", "HEAD", None, ACCEPT)[0]


def tag_of(digest, suffix):
    return "sha256-" + digest.split(":")[1] + suffix


# ------------------------------------------------------------------ copy


def test_copy_then_cosign_verifies_at_destination(world):
    w = world
    src, dst = f"{w.src.host}/team/app:v1", f"{w.dst.host}/mirror/app:v1"
    r = w.v("copy", "--plain-http", "--format", "json", src, dst)
    assert r.rc == 0, r
    res = json.loads(r.out)
    assert res["destination"] == dst and res["digest"] == w.img.digest
    assert res["attachments"] == 3 and res["manifests"] == 4, res
    w.cosign("verify", "--key", "cosign.pub", "--insecure-ignore-tlog", dst)
    out = w.cosign("verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog",
                   "--type", "cyclonedx", dst).stdout
    st = json.loads(__import__("base64").b64decode(json.loads(out.split()[-1])["payload"]))
    assert st["subject"][0]["digest"]["sha256"] == w.img.digest.split(":")[1]
    assert w.cosign("download", "sbom", dst).stdout == BOM
    # The image itself is intact at the destination (skopeo reads it, same digest).
    assert w.dst.raw("mirror/app:v1") == w.src.raw("team/app:v1")
    # A second copy pushes nothing new.
    r = w.v("copy", "--plain-http", "--format", "json", src, dst)
    assert r.rc == 0, r
    again = json.loads(r.out)
    assert again["manifests"] == 0 and again["blobs"] == 0 and again["manifestsPresent"] >= 4


def test_copy_refuses_to_overwrite_without_force(world):
    w = world
    other = f"{w.dst.host}/clash/app:v1"
    ok(run(["skopeo", "copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false",
            f"docker://{w.src.host}/team/multi:v1", f"docker://{other}", "--all"]))
    r = w.v("copy", "--plain-http", f"{w.src.host}/team/app:v1", other)
    assert r.rc == 2 and "use --force" in r.err and "already exists" in r.err, r
    r = w.v("copy", "--plain-http", "-f", f"{w.src.host}/team/app:v1", other)
    assert r.rc == 0, r
    w.cosign("verify", "--key", "cosign.pub", "--insecure-ignore-tlog", other)


def test_copy_only_sig_leaves_tag_and_other_attachments(world):
    w = world
    dst = f"{w.dst.host}/onlysig/app:v1"
    r = w.v("copy", "--plain-http", "--only=sig", f"{w.src.host}/team/app:v1", dst)
    assert r.rc == 0, r
    hexd = w.img.digest
    st = status(w.dst, "onlysig/app", f"{tag_of(hexd, '.sig')}")
    assert st == 200
    for suffix in (".att", ".sbom"):
        st = status(w.dst, "onlysig/app", f"{tag_of(hexd, suffix)}")
        assert st == 404, suffix
    st = status(w.dst, "onlysig/app", f"v1")
    assert st == 404  # --only: no destination tag, as cosign
    # ... but the signed manifest is there by digest: cosign verifies it.
    w.cosign("verify", "--key", "cosign.pub", "--insecure-ignore-tlog",
             f"{w.dst.host}/onlysig/app@{hexd}")
    r = w.v("copy", "--plain-http", "--only=sig,bogus", f"{w.src.host}/team/app:v1", dst)
    assert r.rc == 2 and "invalid value for --only: bogus" in r.err, r
    r = w.v("copy", "--plain-http", "--sig-only", f"{w.src.host}/team/app:v1", dst)
    assert r.rc == 0 and "deprecated" in r.err, r


def test_copy_index_and_platform(world):
    w = world
    dst = f"{w.dst.host}/multi/all:v1"
    r = w.v("copy", "--plain-http", f"{w.src.host}/team/multi:v1", dst)
    assert r.rc == 0, r
    for img in w.plats.values():  # every platform's signature came along
        w.cosign("verify", "--key", "cosign.pub", "--insecure-ignore-tlog",
                 f"{w.dst.host}/multi/all@{img.digest}")
    arm = w.plats["linux/arm64/v8"]
    dst = f"{w.dst.host}/multi/arm:v1"
    r = w.v("copy", "--plain-http", "--platform", "linux/arm64", "--format", "json",
            f"{w.src.host}/team/multi:v1", dst)
    assert r.rc == 0, r
    assert json.loads(r.out)["digest"] == arm.digest
    assert json.loads(w.dst.raw("multi/arm:v1"))["mediaType"].endswith("manifest.v1+json")
    w.cosign("verify", "--key", "cosign.pub", "--insecure-ignore-tlog", dst)
    r = w.v("copy", "--plain-http", "--platform", "linux/s390x", f"{w.src.host}/team/multi:v1",
            dst)
    assert r.rc == 4 and "linux/s390x" in r.err, r


def test_copy_bundle_referrers_to_registry_without_api(world):
    w = world
    lay, img = images.build_image(w.dir / "oci-b", tag="v1", layers=[{"b.txt": b"bundle\n"}])
    w.src.push(f"oci:{lay.path}:v1", "team/bundled:v1")
    src = f"{w.src.host}/team/bundled:v1"
    r = w.v("sign", "--plain-http", "--new-bundle-format", "--key", "cosign.key", src, env=PW)
    assert r.rc == 0, r
    dst = f"{w.dst.host}/mirror/bundled:v1"
    r = w.v("copy", "--plain-http", "--format", "json", src, dst)
    assert r.rc == 0, r
    res = json.loads(r.out)
    assert res["referrers"] == 1 and res["referrersFallback"] is True, res
    idx = json.loads(w.dst.raw(f"mirror/bundled:{tag_of(img.digest, '')}"))
    assert len(idx["manifests"]) == 1
    r = w.v("verify", "--plain-http", "--key", "cosign.pub", dst)
    assert r.rc == 0, r
    assert "https://sigstore.dev/cosign/sign/v1" in r.out
    # --only=att leaves a signature bundle behind.
    r = w.v("copy", "--plain-http", "--only=att", "--format", "json", src,
            f"{w.dst.host}/mirror/bundled-att:v1")
    assert r.rc == 0 and json.loads(r.out)["referrers"] == 0, r


def test_copy_bundle_referrers_to_vigil_registry(world, tmp_path):
    from registry_serve import Serve
    w = world
    lay, img = images.build_image(w.dir / "oci-c", tag="v1", layers=[{"c.txt": b"api\n"}])
    w.src.push(f"oci:{lay.path}:v1", "team/api:v1")
    src = f"{w.src.host}/team/api:v1"
    assert w.v("sign", "--plain-http", "--new-bundle-format", "--key", "cosign.key", src,
               env=PW).rc == 0
    srv = Serve(tmp_path / "root", tmp_path / "serve.log").start()
    try:
        dst = f"{srv.host}/mirror/api:v1"
        r = w.v("copy", "--plain-http", "--format", "json", src, dst)
        assert r.rc == 0, r
        res = json.loads(r.out)
        assert res["referrers"] == 1 and res["referrersFallback"] is False, res
        st = srv.req("GET", f"/v2/mirror/api/referrers/{img.digest}")
        assert st.status == 200 and len(st.json()["manifests"]) == 1, st
        st = srv.req("GET", f"/v2/mirror/api/manifests/{tag_of(img.digest, '')}")
        assert st.status == 404  # the API lists it: no fallback tag written
        r = w.v("verify", "--plain-http", "--key", "cosign.pub", dst)
        assert r.rc == 0, r
    finally:
        srv.kill()


# ------------------------------------------------------------------ download / triangulate


def test_download_matches_cosign(world):
    w = world
    ref = f"{w.src.host}/team/app:v1"
    for what in ("signature", "attestation"):
        want = w.cosign("download", what, ref).stdout
        r = w.v("download", what, "--plain-http", ref)
        assert r.rc == 0, r
        assert [json.loads(x) for x in r.raw.splitlines()] == \
            [json.loads(x) for x in want.splitlines()], what
        assert r.raw == want  # byte for byte, too (same key order, compact)
        r = w.v("download", what, "--plain-http", "--format", "json", ref)
        assert json.loads(r.out) == [json.loads(x) for x in want.splitlines()]
    r = w.v("download", "sbom", "--plain-http", ref)
    assert r.rc == 0 and r.raw == w.cosign("download", "sbom", ref).stdout == BOM, r
    assert "application/vnd.cyclonedx+json" in r.err
    out = w.dir / "sbom.out"
    assert w.v("download", "sbom", "--plain-http", "--output-file", out, ref).rc == 0
    assert out.read_bytes() == BOM
    # --predicate-type filters like cosign's
    r = w.v("download", "attestation", "--plain-http", "--predicate-type", "cyclonedx", ref)
    assert r.rc == 0 and len(r.raw.splitlines()) == 1, r
    r = w.v("download", "attestation", "--plain-http", "--predicate-type", "spdx", ref)
    assert r.rc == 4 and "https://spdx.dev/Document" in r.err, r


def test_download_bundle_referrers(world, tmp_path):
    """Bundles attached as OCI 1.1 referrers (--new-bundle-format): read through the referrers
    tag schema on docker-registry (no API) and through the API of vigil's registry."""
    from registry_serve import Serve
    w = world
    lay, img = images.build_image(w.dir / "oci-dl", tag="v1", layers=[{"d.txt": b"dl\n"}])
    w.src.push(f"oci:{lay.path}:v1", "team/dl:v1")
    src = f"{w.src.host}/team/dl:v1"
    assert w.v("sign", "--plain-http", "--new-bundle-format", "--key", "cosign.key", src,
               env=PW).rc == 0
    r = w.v("attest", "--plain-http", "--new-bundle-format", "--key", "cosign.key", "--type",
            "cyclonedx", "--predicate", "bom.json", src, env=PW)
    assert r.rc == 0, r
    # What is stored: the fallback index names both bundles; their blobs are what download
    # must print.
    idx = json.loads(w.src.raw(f"team/dl:{tag_of(img.digest, '')}"))
    blobs = {}
    for d in idx["manifests"]:
        m = json.loads(w.src.raw(f"team/dl@{d['digest']}"))
        st, _, body = http(f"http://{w.src.host}/v2/team/dl/blobs/{m['layers'][0]['digest']}",
                           "GET", None, {})
        assert st == 200
        blobs[d["annotations"]["dev.sigstore.bundle.predicateType"]] = json.loads(body)
    sign_bundle = blobs["https://sigstore.dev/cosign/sign/v1"]
    att_env = blobs["https://cyclonedx.org/bom"]["dsseEnvelope"]
    srv = Serve(tmp_path / "root", tmp_path / "serve.log").start()
    try:
        api = f"{srv.host}/mirror/dl:v1"
        assert w.v("copy", "--plain-http", src, api).rc == 0
        assert srv.req("GET", f"/v2/mirror/dl/referrers/{img.digest}").status == 200
        for ref in (src, api):
            r = w.v("download", "signature", "--plain-http", ref)
            assert r.rc == 0, r
            lines = r.raw.splitlines()
            assert [json.loads(x) for x in lines] == [sign_bundle], r  # no attestation bundle
            r = w.v("download", "attestation", "--plain-http", ref)
            assert r.rc == 0, r
            got = [json.loads(x) for x in r.raw.splitlines()]
            assert len(got) == 1 and list(got[0]) == ["payloadType", "payload", "signatures"]
            assert got[0]["payload"] == att_env["payload"]
            assert got[0]["signatures"][0]["sig"] == att_env["signatures"][0]["sig"]
            r = w.v("download", "attestation", "--plain-http", "--predicate-type", "spdx", ref)
            assert r.rc == 4 and "or its referrers" in r.err, r
            r = w.v("download", "attestation", "--plain-http", "--predicate-type", "cyclonedx",
                    "--format", "json", ref)
            assert r.rc == 0 and json.loads(r.out) == got, r
    finally:
        srv.kill()


def test_download_nothing_attached(world):
    w = world
    r = w.v("download", "signature", "--plain-http", f"{w.src.host}/team/multi:v1")
    assert r.rc == 4 and "no signatures associated" in r.err, r
    assert run([COSIGN, "download", "signature", *CF, f"{w.src.host}/team/multi:v1"]).returncode
    r = w.v("download", "sbom", "--plain-http", f"{w.src.host}/team/nope:v1")
    assert r.rc == 4, r
    r = w.v("download", "bogus", "x")
    assert r.rc == 2, r


def test_triangulate_matches_cosign(world):
    w = world
    ref = f"{w.src.host}/team/app:v1"
    for t in ("signature", "attestation", "sbom", "digest"):
        want = w.cosign("triangulate", "--type", t, ref).stdout.decode().strip()
        r = w.v("triangulate", "--plain-http", "--type", t, ref)
        assert r.rc == 0 and r.out.strip() == want, (t, r)
    env = {"COSIGN_REPOSITORY": f"{w.src.host}/sigs/store"}
    want = w.cosign("triangulate", ref, env=env).stdout.decode().strip()
    r = w.v("triangulate", "--plain-http", "--format", "json", ref, env=env)
    assert r.rc == 0 and json.loads(r.out) == {"type": "signature", "reference": want}, r
    assert w.v("triangulate", "--plain-http", "--type", "x", ref).rc == 2


# ------------------------------------------------------------------ hostile registries


def put(reg, repo, ref, data, mt="application/vnd.oci.image.manifest.v1+json"):
    st, _, body = http(f"http://{reg.host}/v2/{repo}/manifests/{ref}", "PUT", data,
                       {"Content-Type": mt})
    assert st in (201, 200), body


def put_blob(reg, repo, data):
    import hashlib
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    st, h, _ = http(f"http://{reg.host}/v2/{repo}/blobs/uploads/", "POST", b"")
    loc = h["Location"]
    loc = loc if loc.startswith("http") else f"http://{reg.host}{loc}"
    st, _, _ = http(f"{loc}{'&' if '?' in loc else '?'}digest={d}", "PUT", data,
                    {"Content-Type": "application/octet-stream"})
    assert st == 201
    return d


def test_hostile_signature_manifests(world):
    w = world
    lay, img = images.build_image(w.dir / "oci-h", tag="v1", layers=[{"h.txt": b"hostile\n"}])
    w.src.push(f"oci:{lay.path}:v1", "evil/app:v1")
    ref = f"{w.src.host}/evil/app:v1"
    sig = tag_of(img.digest, ".sig")
    cfg = put_blob(w.src, "evil/app", b"{}")
    # A manifest whose layer lies about its size: the blob is bigger than declared.
    blob = put_blob(w.src, "evil/app", b"x" * 4096)
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2,
                    "digest": cfg},
         "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                     "size": 10, "digest": blob,
                     "annotations": {"dev.cosignproject.cosign/signature": "AAAA"}}]}
    put(w.src, "evil/app", sig, json.dumps(m).encode())
    r = w.v("download", "signature", "--plain-http", ref)
    assert r.rc == 6 and sig in r.err and len(r.err.strip().splitlines()) == 1, r
    # A layer declared larger than any payload may be: refused before it is read.
    m["layers"][0]["size"] = 64 * 1024 * 1024
    put(w.src, "evil/app", sig, json.dumps(m).encode())
    r = w.v("download", "signature", "--plain-http", ref)
    assert r.rc == 6 and "more than" in r.err, r
    # Too many layers.
    m["layers"] = [dict(m["layers"][0], size=4096) for _ in range(1001)]
    put(w.src, "evil/app", sig, json.dumps(m).encode())
    r = w.v("download", "signature", "--plain-http", ref)
    assert r.rc == 6 and sig in r.err, r
    # An index where a signature image should be: not a signature manifest.
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
           "manifests": []}
    put(w.src, "evil/app", sig, json.dumps(idx).encode(),
        "application/vnd.oci.image.index.v1+json")
    r = w.v("download", "signature", "--plain-http", ref)
    assert r.rc == 6 and sig in r.err, r
    # copy refuses the lying size too, naming the blob, and leaves no tag at the destination.
    m = dict(m, layers=[dict(m["layers"][0], size=10)])
    put(w.src, "evil/app", sig, json.dumps(m).encode())
    r = w.v("copy", "--plain-http", ref, f"{w.dst.host}/evil/app:v1")
    assert r.rc == 6 and blob in r.err, r
    st = status(w.dst, "evil/app", f"v1")
    assert st == 404


def test_oversized_attachment_manifest(world, tmp_path):
    """docker-registry refuses manifests over 4 MiB: a small read-only registry serves one."""
    import hashlib
    from tiny_registry import TinyRegistry
    w = world
    lay, img = images.build_image(tmp_path / "oci", tag="v1", layers=[{"o.txt": b"big\n"}])
    big = json.dumps({"schemaVersion": 2, "layers": [],
                      "annotations": {"pad": "x" * (5 * 1024 * 1024)}}).encode()
    hexd = hashlib.sha256(big).hexdigest()
    (tmp_path / "oci" / "blobs" / "sha256" / hexd).write_bytes(big)
    idx_path = tmp_path / "oci" / "index.json"
    idx = json.loads(idx_path.read_text())
    idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                             "digest": "sha256:" + hexd, "size": len(big), "annotations": {
                                 "org.opencontainers.image.ref.name": tag_of(img.digest, ".att")}})
    idx_path.write_text(json.dumps(idx))
    with TinyRegistry(tmp_path / "oci") as reg:
        r = w.v("download", "attestation", "--plain-http", reg.ref("v1"))
        assert r.rc == 6 and len(r.err.strip().splitlines()) == 1, r
        assert "exceed" in r.err or "limit" in r.err, r


# ------------------------------------------------------------------ attach


def fresh(w, name, text):
    lay, img = images.build_image(w.dir / f"oci-{name}", tag="v1", layers=[{"f.txt": text}])
    w.src.push(f"oci:{lay.path}:v1", f"team/{name}:v1")
    return f"{w.src.host}/team/{name}:v1", img


def test_attach_signature_made_by_cosign_then_cosign_verifies(world):
    w = world
    ref, img = fresh(w, "attsig", b"attach signature\n")
    payload = w.cosign("generate", ref).stdout
    (w.dir / "payload.json").write_bytes(payload)
    sig = w.cosign("sign-blob", "--key", "cosign.key", "--tlog-upload=false", "-y",
                   "payload.json").stdout
    (w.dir / "payload.sig").write_bytes(sig)
    r = w.v("attach", "signature", "--plain-http", "--payload", "payload.json", "--signature",
            "payload.sig", "--format", "json", ref)
    assert r.rc == 0, r
    res = json.loads(r.out)
    assert res["appended"] is True and res["location"].endswith(tag_of(img.digest, ".sig"))
    w.cosign("verify", "--key", "cosign.pub", "--insecure-ignore-tlog", ref)
    # The same signature again is not added twice.
    r = w.v("attach", "signature", "--plain-http", "--payload", "payload.json", "--signature",
            "payload.sig", "--format", "json", ref)
    assert r.rc == 0 and json.loads(r.out)["appended"] is False, r
    assert len(json.loads(w.src.raw(f"team/attsig:{tag_of(img.digest, '.sig')}"))["layers"]) == 1
    # Without --payload, vigil generates the payload cosign generates: the same signature fits.
    ref2, _ = fresh(w, "attsig2", b"attach signature 2\n")
    payload2 = w.cosign("generate", ref2).stdout
    (w.dir / "payload2.json").write_bytes(payload2)
    sig2 = w.cosign("sign-blob", "--key", "cosign.key", "--tlog-upload=false", "-y",
                    "payload2.json").stdout
    (w.dir / "payload2.sig").write_bytes(sig2)
    r = w.v("attach", "signature", "--plain-http", "--signature", "payload2.sig", ref2)
    assert r.rc == 0, r
    w.cosign("verify", "--key", "cosign.pub", "--insecure-ignore-tlog", ref2)
    # A certificate and chain go into cosign's annotations; download shows them back.
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    (w.dir / "c.pem").write_text(pem)
    (w.dir / "chain.pem").write_text(pem + pem)
    ref3, _ = fresh(w, "attsig3", b"attach signature 3\n")
    r = w.v("attach", "signature", "--plain-http", "--signature", "payload2.sig", "--payload",
            "payload2.json", "--certificate", "c.pem", "--certificate-chain", "chain.pem", ref3)
    assert r.rc == 0, r
    lines = [json.loads(x) for x in w.v("download", "signature", "--plain-http", ref3).out
             .splitlines()]
    assert [x["Cert"] for x in lines] == [pem] and lines[0]["Chain"] == [pem, pem]
    assert lines[0]["Payload"] == __import__("base64").b64encode(payload2).decode()
    # Bad input: not base64, empty, wrong subcommand options.
    (w.dir / "bad.sig").write_text("not base64!\n")
    r = w.v("attach", "signature", "--plain-http", "--signature", "bad.sig", ref2)
    assert r.rc == 6 and "base64" in r.err, r
    (w.dir / "empty.sig").write_text("")
    assert w.v("attach", "signature", "--plain-http", "--signature", "empty.sig", ref2).rc == 2
    assert w.v("attach", "signature", "--plain-http", "--sbom", "x", ref2).rc == 2
    assert w.v("attach", "signature", "--plain-http", ref2).rc == 2


def test_attach_attestation_and_sbom(world):
    w = world
    ref, img = fresh(w, "attatt", b"attach attestation\n")
    env = w.cosign("attest", "--key", "cosign.key", "--tlog-upload=false", "-y", "--no-upload",
                   "--type", "cyclonedx", "--predicate", "bom.json", ref).stdout
    (w.dir / "env.json").write_bytes(env)
    r = w.v("attach", "attestation", "--plain-http", "--attestation", "env.json", ref)
    assert r.rc == 0, r
    out = w.cosign("verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog",
                   "--type", "cyclonedx", ref).stdout
    assert json.loads(out.split()[-1])["payloadType"] == "application/vnd.in-toto+json"
    m = json.loads(w.src.raw(f"team/attatt:{tag_of(img.digest, '.att')}"))
    assert m["layers"][0]["annotations"]["predicateType"] == "https://cyclonedx.org/bom"
    (w.dir / "notdsse.json").write_text('{"payloadType":"text/plain","payload":"aGk=",'
                                        '"signatures":[{"sig":"AAAA"}]}')
    r = w.v("attach", "attestation", "--plain-http", "--attestation", "notdsse.json", ref)
    assert r.rc == 6 and "payloadType" in r.err, r
    (w.dir / "garbage.json").write_bytes(b"\x00garbage")
    r = w.v("attach", "attestation", "--plain-http", "--attestation", "garbage.json", ref)
    assert r.rc == 6 and len(r.err.strip().splitlines()) == 1, r
    # SBOMs: the .sbom manifest is byte for byte cosign's (same bytes, same type).
    r = w.v("attach", "sbom", "--plain-http", "--sbom", "bom.json", "--type", "cyclonedx", ref)
    assert r.rc == 0 and "application/vnd.cyclonedx+json" in r.err, r
    mine = w.src.raw(f"team/attatt:{tag_of(img.digest, '.sbom')}")
    cosigns = w.src.raw(f"team/app:{tag_of(w.img.digest, '.sbom')}")
    assert mine == cosigns
    assert w.cosign("download", "sbom", ref).stdout == BOM
    (w.dir / "doc.spdx").write_text("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n")
    r = w.v("attach", "sbom", "--plain-http", "--sbom", "doc.spdx", ref)
    assert r.rc == 0 and "text/spdx" in r.err, r
    ref2, img2 = fresh(w, "attsbom", b"cosign sbom\n")
    w.cosign("attach", "sbom", "--sbom", "doc.spdx", ref2)
    assert w.src.raw(f"team/attatt:{tag_of(img.digest, '.sbom')}") == \
        w.src.raw(f"team/attsbom:{tag_of(img2.digest, '.sbom')}")
    r = w.v("attach", "sbom", "--plain-http", "--sbom", "doc.spdx", "--type", "syft",
            "--input-format", "xml", ref)
    assert r.rc == 2, r


# ------------------------------------------------------------------ clean IMAGE


def test_clean_image_removes_cosign_attachments(world):
    w = world
    ref = f"{w.dst.host}/cleaned/app:v1"
    assert w.v("copy", "--plain-http", f"{w.src.host}/team/app:v1", ref).rc == 0
    w.cosign("verify", "--key", "cosign.pub", "--insecure-ignore-tlog", ref)
    # Not confirmed: nothing removed, exit 1.
    r = subprocess.run([vigil_bin(), "clean", "--plain-http", ref], input=b"n\n",
                       capture_output=True)
    assert r.returncode == 1 and b"Are you sure" in r.stderr, r
    w.cosign("verify", "--key", "cosign.pub", "--insecure-ignore-tlog", ref)
    r = w.v("clean", "--plain-http", "-f", "--type", "sbom", "--format", "json", ref)
    assert r.rc == 0, r
    [item] = json.loads(r.out)
    assert item["removed"] is True and item["location"].endswith(".sbom")
    assert status(w.dst, "cleaned/app", tag_of(w.img.digest, ".sbom")) == 404
    assert status(w.dst, "cleaned/app", tag_of(w.img.digest, ".sig")) == 200
    r = subprocess.run([vigil_bin(), "clean", "--plain-http", ref], input=b"y\n",
                       capture_output=True)
    assert r.returncode == 0, r
    for suffix in (".sig", ".att", ".sbom"):
        assert status(w.dst, "cleaned/app", tag_of(w.img.digest, suffix)) == 404, suffix
    assert status(w.dst, "cleaned/app", "v1") == 200  # the image itself stays
    r = run([COSIGN, "verify", *CF, "--key", "cosign.pub", "--insecure-ignore-tlog", ref],
            cwd=w.dir)
    assert r.returncode != 0 and b"no signatures" in r.stderr, r
    # Nothing left: still a success.
    r = w.v("clean", "--plain-http", "-f", "--format", "json", ref)
    assert r.rc == 0 and all(not x["found"] for x in json.loads(r.out)), r
    # The cache clean and the image clean do not mix.
    r = w.v("clean", "--scan-cache", ref)
    assert r.rc == 2 and "takes no IMAGE" in r.err, r
    assert w.v("clean", "--plain-http", "-f", "--type", "bogus", ref).rc == 2
    r = w.v("clean", "--help", "x")
    assert r.rc == 0 and "cosign clean" in r.out
    r = w.v("clean", "--help")
    assert r.rc == 0 and "--scan-cache" in r.out


# ------------------------------------------------------------------ login


def test_login_then_skopeo_cosign_and_vigil_use_the_config(world, tmp_path):
    w = world
    reg = Registry(tmp_path, auth=("alice", "s3cret"), tls=True).start()
    try:
        lay, img = images.build_image(tmp_path / "oci", tag="v1", layers=[{"l.txt": b"login\n"}])
        ok(run(["skopeo", "copy", "-q", "--dest-tls-verify=false", "--dest-creds",
                "alice:s3cret", f"oci:{lay.path}:v1", f"docker://{reg.host}/priv/app:v1"]))
        cfg = tmp_path / "docker"
        cfg.mkdir()
        (cfg / "config.json").write_text(json.dumps(
            {"auths": {"other.example": {"auth": "eDp5"}}, "HttpHeaders": {"X-A": "b"}}))
        env = {"DOCKER_CONFIG": str(cfg)}
        r = subprocess.run([vigil_bin(), "login", reg.host, "-u", "alice", "--password-stdin"],
                           input=b"s3cret\n", capture_output=True, env={**os.environ, **env})
        assert r.returncode == 0 and str(cfg / "config.json").encode() in r.stderr, r
        doc = json.loads((cfg / "config.json").read_text())
        assert doc["auths"][reg.host] == {"auth": "YWxpY2U6czNjcmV0"}  # alice:s3cret
        assert doc["auths"]["other.example"] == {"auth": "eDp5"} and doc["HttpHeaders"]
        assert oct((cfg / "config.json").stat().st_mode & 0o777) == "0o600"
        ref = f"{reg.host}/priv/app:v1"
        # skopeo reads the file docker's way
        ok(run(["skopeo", "inspect", "--tls-verify=false", "--authfile", cfg / "config.json",
                f"docker://{ref}"]))
        # cosign (go-containerregistry's keychain, $DOCKER_CONFIG) signs with it
        w.cosign("sign", "--key", "cosign.key", "--tlog-upload=false", "-y",
                 f"{reg.host}/priv/app@{img.digest}", env=env)
        # and vigil finds cosign's signature with the same credentials
        r = w.v("verify", "--insecure", "--key", "cosign.pub", ref, env=env)
        assert r.rc == 0, r
        # Without the login, the registry refuses.
        r = w.v("verify", "--insecure", "--key", "cosign.pub", ref,
                env={"DOCKER_CONFIG": str(tmp_path)})
        assert r.rc == 5, r
        # -p, and a second login replaces the entry
        r = w.v("login", reg.host, "-u", "alice", "-p", "wrong", env=env)
        assert r.rc == 0, r
        assert w.v("verify", "--insecure", "--key", "cosign.pub", ref, env=env).rc == 5
        assert w.v("login", "docker.io", "-u", "bob", "-p", "pw", env=env).rc == 0
        doc = json.loads((cfg / "config.json").read_text())
        assert "https://index.docker.io/v1/" in doc["auths"]
        # Usage errors and a malformed existing file.
        assert w.v("login", reg.host, "-u", "alice", env=env).rc == 2
        assert w.v("login", reg.host, "-p", "x", env=env).rc == 2
        assert w.v("login", f"{reg.host}/repo", "-u", "a", "-p", "x", env=env).rc == 2
        (cfg / "config.json").write_text("{not json")
        r = w.v("login", reg.host, "-u", "alice", "-p", "x", env=env)
        assert r.rc == 6 and "config.json" in r.err, r
    finally:
        reg.stop()


# ------------------------------------------------------------------ save / load


def test_save_load_round_trips_with_cosign(world, tmp_path):
    w = world
    src = f"{w.src.host}/team/app:v1"
    mine, theirs = tmp_path / "vigil-layout", tmp_path / "cosign-layout"
    r = w.v("save", "--plain-http", "--dir", mine, "--format", "json", src)
    assert r.rc == 0 and json.loads(r.out)["digest"] == w.img.digest, r
    w.cosign("save", "--dir", theirs, src)
    # The same layout as cosign's: index.json byte for byte, the same blobs.
    assert (mine / "index.json").read_bytes() == (theirs / "index.json").read_bytes()
    assert sorted(os.listdir(mine / "blobs" / "sha256")) == \
        sorted(os.listdir(theirs / "blobs" / "sha256"))
    kinds = [m["annotations"]["kind"] for m in json.loads((mine / "index.json").read_text())
             ["manifests"]]
    assert kinds == ["dev.cosignproject.cosign/image", "dev.cosignproject.cosign/sigs",
                     "dev.cosignproject.cosign/atts"]
    # vigil save -> cosign load -> cosign verify / verify-attestation
    dst1 = f"{w.dst.host}/loaded/by-cosign:v1"
    w.cosign("load", "--dir", mine, dst1)
    w.cosign("verify", "--key", "cosign.pub", "--insecure-ignore-tlog", dst1)
    # cosign save -> vigil load -> cosign verify-attestation and vigil verify-attestation
    dst2 = f"{w.dst.host}/loaded/by-vigil:v1"
    r = w.v("load", "--plain-http", "--dir", theirs, dst2)
    assert r.rc == 0, r
    w.cosign("verify", "--key", "cosign.pub", "--insecure-ignore-tlog", dst2)
    w.cosign("verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog", "--type",
             "cyclonedx", dst2)
    assert w.dst.raw("loaded/by-vigil:v1") == w.src.raw("team/app:v1")
    # An index with per-platform signatures: cosign save keeps only the index's own
    # signatures; vigil saves every platform's manifest and blobs too.
    idx_dir = tmp_path / "multi"
    r = w.v("save", "--plain-http", "--dir", idx_dir, f"{w.src.host}/team/multi:v1")
    assert r.rc == 0, r
    ix = json.loads((idx_dir / "index.json").read_text())
    assert ix["manifests"][0]["annotations"]["kind"] == "dev.cosignproject.cosign/imageIndex"
    r = w.v("load", "--plain-http", "--dir", idx_dir, f"{w.dst.host}/loaded/multi:v1")
    assert r.rc == 0, r
    # A tampered blob in the layout is refused before anything names it.
    bad = tmp_path / "bad"
    subprocess.run(["cp", "-r", str(mine), str(bad)], check=True)
    layer = json.loads((bad / "blobs" / "sha256" / w.img.digest.split(":")[1]).read_text())
    victim = bad / "blobs" / "sha256" / layer["layers"][0]["digest"].split(":")[1]
    victim.chmod(0o644)
    victim.write_bytes(b"tampered")
    r = w.v("load", "--plain-http", "--dir", bad, f"{w.dst.host}/loaded/bad:v1")
    assert r.rc == 6 and f"layout blob sha256:{victim.name}" in r.err, r
    assert status(w.dst, "loaded/bad", "v1") == 404
    (bad / "index.json").write_text("[]")
    assert w.v("load", "--plain-http", "--dir", bad, f"{w.dst.host}/loaded/bad:v1").rc == 6
    assert w.v("load", "--plain-http", "--dir", tmp_path / "nope", dst2).rc == 4
    assert w.v("save", "--plain-http", src).rc == 2
