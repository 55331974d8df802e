# SPDX-License-Identifier: Apache-2.0
"""The require-signature pull gate of `vigil registry serve`.

Images are pushed with skopeo and signed with `vigil sign` (legacy `.sig` tag and cosign 3
bundles through the referrers API) and with the real cosign 2.5 (Debian trixie, unpacked by
scripts/install-deps into $VIGIL_TEST_CACHE/trixie-tools; those tests skip when it is absent):
legacy and OCI 1.1 referrers mode. The registry verifies against its own storage; a pull is
403 DENIED naming why (unsigned, signed by an unknown key, bad signature, threshold), and
allowed once a signature by a configured key is pushed (cached verdicts are invalidated by
signature pushes and deletes). Signature artifacts and referrers queries are never gated.
Authentication is on (htpasswd): `ci` may push (publishers are not gated: signing reads the
manifest it signs), `reader` may only pull and is gated.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import run_vigil
from images import build_image, have_skopeo
from registry_serve import Serve, digest

pytestmark = pytest.mark.skipif(not have_skopeo(), reason="skopeo is not installed")

PW = {"COSIGN_PASSWORD": "pw", "VIGIL_PASSWORD": "pw"}
MT_OCI = "application/vnd.oci.image.manifest.v1+json"
CI = "ci:ci-pw"
READER = {"Authorization": "Basic " + base64.b64encode(b"reader:reader-pw").decode()}
PUSHER = {"Authorization": "Basic " + base64.b64encode(CI.encode()).decode()}


def htpasswd_line(user: str, password: str) -> str:
    if not shutil.which("htpasswd"):
        pytest.skip("htpasswd (apache2-utils) is not installed")
    return subprocess.run(["htpasswd", "-nbB", "-C", "5", user, password], check=True,
                          capture_output=True, text=True).stdout.strip()


def cosign_bin() -> str:
    cache = Path(os.environ.get("VIGIL_TEST_CACHE", "/var/tmp/vigil-test-cache"))
    p = cache / "trixie-tools" / "usr" / "bin" / "cosign"
    if not p.exists():
        pytest.skip(f"cosign (Debian trixie) is not unpacked at {p}: run scripts/install-deps")
    return str(p)


def keypair(d: Path):
    d.mkdir(parents=True, exist_ok=True)
    r = run_vigil("generate-key-pair", env=PW, cwd=d)
    assert r.rc == 0, r
    return d / "cosign.key", d / "cosign.pub"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("regsig")
    a, b = keypair(d / "a"), keypair(d / "b")
    pem = a[1].read_text()
    inline = "\n".join("          " + line for line in pem.strip().splitlines())
    users = d / "htpasswd"
    users.write_text(htpasswd_line("ci", "ci-pw") + "\n" + htpasswd_line("reader", "reader-pw"))
    cfg = d / "registry.yaml"
    cfg.write_text(
        f"auth: {{htpasswd: {users}}}\n"
        "access:\n"
        "  - {repos: [\"**\"], users: [ci], actions: [pull, push, delete]}\n"
        "  - {repos: [\"**\"], users: [reader], actions: [pull]}\n"
        "gates:\n"
        "  - repos: [\"signed/**\"]\n"
        f"    require-signature: {{keys: [\"{a[1]}\"]}}\n"
        "  - repos: [\"inline/**\"]\n"
        "    require-signature:\n"
        "      keys:\n"
        "        - |\n"
        f"{inline}\n"
        "  - repos: [\"two/**\"]\n"
        f"    require-signature: {{keys: [\"{a[1]}\", \"{b[1]}\"], threshold: 2}}\n"
        "  - repos: [\"ann/**\"]\n"
        f"    require-signature: {{keys: [\"{a[1]}\"], annotations: {{env: prod}}}}\n")
    srv = Serve(d / "root", d / "serve.log", args=["--config", str(cfg)]).start()
    yield {"srv": srv, "a": a, "b": b, "d": d}
    srv.proc.send_signal(signal.SIGTERM)
    rest = srv.proc.stderr.read().decode(errors="replace")
    rc = srv.proc.wait(timeout=60)
    srv.kill()
    assert rc == 0, rest
    assert "Sanitizer" not in rest and "runtime error" not in rest, rest


def skopeo(*args, check=True):
    p = subprocess.run(["skopeo", "--insecure-policy", *args], capture_output=True, text=True,
                       timeout=120)
    if check:
        assert p.returncode == 0, f"skopeo {args}: {p.stderr}"
    return p


def push(env, tmp_path, repo, content=b"x"):
    """skopeo pushes a fresh image to repo:v1; returns its manifest digest."""
    lay, img = build_image(tmp_path / ("src-" + repo.replace("/", "-")), "v1",
                           layers=[{"etc/os-release": b"ID=test\n", "data": content}])
    skopeo("copy", "-q", "--dest-tls-verify=false", "--dest-creds", CI, f"oci:{lay.path}:v1",
           f"docker://{env['srv'].host}/{repo}:v1")
    return img.desc["digest"]


def pull(env, repo, ref="v1", who=None):
    return env["srv"].req("GET", f"/v2/{repo}/manifests/{ref}",
                          headers={"Accept": MT_OCI, **(who or READER)})


def denied(r, why):
    assert r.status == 403, r
    err = r.json()["errors"][0]
    assert err["code"] == "DENIED", r
    assert why in err["message"], err["message"]
    return err["message"]


def sign(env, key, repo, md, *extra):
    r = run_vigil("sign", "--key", key, "--plain-http", "--creds", CI, *extra,
                  f"{env['srv'].host}/{repo}@{md}", env=PW)
    assert r.rc == 0, r


def test_unsigned_denied_then_signed_allowed_with_skopeo(env, tmp_path):
    md = push(env, tmp_path, "signed/app")
    denied(pull(env, "signed/app"), "unsigned")
    r = env["srv"].req("HEAD", f"/v2/signed/app/manifests/{md}", headers=READER)
    assert r.status == 403, r
    assert pull(env, "signed/app", who=PUSHER).status == 200   # publishers are not gated
    # skopeo's pull fails on the 403 too
    p = skopeo("copy", "-q", "--src-tls-verify=false", "--src-creds", "reader:reader-pw",
               f"docker://{env['srv'].host}/signed/app:v1", f"oci:{tmp_path / 'back'}:v1",
               check=False)
    assert p.returncode != 0 and "denied" in p.stderr.lower(), p.stderr
    sign(env, env["a"][0], "signed/app", md)
    assert pull(env, "signed/app").status == 200       # the push invalidated the cached verdict
    assert pull(env, "signed/app", md).status == 200
    skopeo("copy", "-q", "--src-tls-verify=false", "--src-creds", "reader:reader-pw",
           f"docker://{env['srv'].host}/signed/app:v1", f"oci:{tmp_path / 'back'}:v1")
    # ungated repositories are not affected
    push(env, tmp_path, "free/app", b"free")
    assert pull(env, "free/app").status == 200


def test_wrong_key_denied(env, tmp_path):
    md = push(env, tmp_path, "signed/wrongkey", b"wk")
    sign(env, env["b"][0], "signed/wrongkey", md)
    msg = denied(pull(env, "signed/wrongkey"), "signed by an unknown key")
    assert "1 signature(s) found" in msg, msg


def test_inline_key(env, tmp_path):
    md = push(env, tmp_path, "inline/app", b"inline")
    denied(pull(env, "inline/app"), "unsigned")
    sign(env, env["a"][0], "inline/app", md)
    assert pull(env, "inline/app").status == 200


def sig_manifest(env, repo, md):
    tag = md.replace(":", "-") + ".sig"
    r = env["srv"].req("GET", f"/v2/{repo}/manifests/{tag}", headers={"Accept": MT_OCI, **READER})
    assert r.status == 200, r                          # signature artifacts are never gated
    return tag, json.loads(r.body)


def put_sig(env, repo, tag, m):
    raw = json.dumps(m, separators=(",", ":")).encode()
    r = env["srv"].req("PUT", f"/v2/{repo}/manifests/{tag}", raw,
                       {"Content-Type": MT_OCI, **PUSHER})
    assert r.status == 201, r


def push_blob(srv, repo, data):
    d = digest(data)
    r = srv.req("POST", f"/v2/{repo}/blobs/uploads/?digest={d}", data,
                {"Content-Type": "application/octet-stream", **PUSHER})
    assert r.status == 201, r
    return d


def test_tampered_signatures_denied(env, tmp_path):
    srv = env["srv"]
    good = push(env, tmp_path, "signed/tamper-src", b"t1")
    sign(env, env["a"][0], "signed/tamper-src", good)
    assert pull(env, "signed/tamper-src").status == 200
    _, m = sig_manifest(env, "signed/tamper-src", good)

    # 1. a valid signature of another image replayed onto this one: the key verifies it, the
    #    claims do not hold (its payload names the other digest)
    md = push(env, tmp_path, "signed/tamper", b"t2")
    for desc in [m["config"], *m["layers"]]:
        r = srv.req("GET", f"/v2/signed/tamper-src/blobs/{desc['digest']}", headers=READER)
        assert r.status == 200, r
        push_blob(srv, "signed/tamper", r.body)
    tag = md.replace(":", "-") + ".sig"
    put_sig(env, "signed/tamper", tag, m)
    msg = denied(pull(env, "signed/tamper"), "bad signature")
    assert "does not match image" in msg, msg

    # 2. the signature bytes altered: no configured key verifies them any more
    ann = m["layers"][0]["annotations"]
    sig = bytearray(base64.b64decode(ann["dev.cosignproject.cosign/signature"]))
    sig[-1] ^= 0x01
    ann["dev.cosignproject.cosign/signature"] = base64.b64encode(bytes(sig)).decode()
    put_sig(env, "signed/tamper-src", good.replace(":", "-") + ".sig", m)
    denied(pull(env, "signed/tamper-src"), "require-signature")

    # 3. a payload blob whose bytes were changed (and re-pushed under their new digest): the
    #    signature over the original bytes no longer verifies
    md3 = push(env, tmp_path, "signed/tamper3", b"t3")
    sign(env, env["a"][0], "signed/tamper3", md3)
    assert pull(env, "signed/tamper3").status == 200
    tag3, m3 = sig_manifest(env, "signed/tamper3", md3)
    layer = m3["layers"][0]
    r = srv.req("GET", f"/v2/signed/tamper3/blobs/{layer['digest']}", headers=READER)
    payload = json.loads(r.body)
    payload["optional"] = {"injected": "1"}
    forged = json.dumps(payload, separators=(",", ":")).encode()
    layer["digest"] = push_blob(srv, "signed/tamper3", forged)
    layer["size"] = len(forged)
    put_sig(env, "signed/tamper3", tag3, m3)
    denied(pull(env, "signed/tamper3"), "require-signature")


def test_threshold(env, tmp_path):
    md = push(env, tmp_path, "two/app", b"two")
    sign(env, env["a"][0], "two/app", md)
    denied(pull(env, "two/app"), "too few of the configured keys signed")
    sign(env, env["b"][0], "two/app", md)
    assert pull(env, "two/app").status == 200


def test_required_annotations(env, tmp_path):
    md = push(env, tmp_path, "ann/app", b"ann")
    sign(env, env["a"][0], "ann/app", md)
    denied(pull(env, "ann/app"), "bad signature")
    sign(env, env["a"][0], "ann/app", md, "-a", "env=prod")
    assert pull(env, "ann/app").status == 200


def test_bundle_in_referrers(env, tmp_path):
    md = push(env, tmp_path, "signed/bundle", b"bundle")
    sign(env, env["a"][0], "signed/bundle", md, "--new-bundle-format")
    r = env["srv"].req("GET", f"/v2/signed/bundle/referrers/{md}", headers=READER)
    assert r.status == 200 and len(json.loads(r.body)["manifests"]) == 1, r
    assert pull(env, "signed/bundle").status == 200


def test_deleting_the_signature_denies_again(env, tmp_path):
    md = push(env, tmp_path, "signed/del", b"del")
    sign(env, env["a"][0], "signed/del", md)
    assert pull(env, "signed/del").status == 200
    tag = md.replace(":", "-") + ".sig"
    r = env["srv"].req("DELETE", f"/v2/signed/del/manifests/{tag}", headers=PUSHER)
    assert r.status == 202, r
    denied(pull(env, "signed/del"), "unsigned")


COSIGN_REG = ["--allow-insecure-registry", "--allow-http-registry"]


def cosign_sign(env, repo, md, *extra, key=None):
    p = subprocess.run([cosign_bin(), "sign", "--key", str(key or env["a"][0]),
                        "--tlog-upload=false", "-y", *COSIGN_REG, "--registry-username", "ci",
                        "--registry-password", "ci-pw", *extra,
                        f"{env['srv'].host}/{repo}@{md}"],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, **PW, COSIGN_EXPERIMENTAL="1"))
    assert p.returncode == 0, p.stderr


def test_cosign_legacy_signature(env, tmp_path):
    cosign_bin()
    md = push(env, tmp_path, "signed/cosign", b"cosign")
    denied(pull(env, "signed/cosign"), "unsigned")
    cosign_sign(env, "signed/cosign", md)
    assert pull(env, "signed/cosign").status == 200


def test_cosign_wrong_key(env, tmp_path):
    cosign_bin()
    md = push(env, tmp_path, "signed/cosign-wk", b"cosign-wk")
    cosign_sign(env, "signed/cosign-wk", md, key=env["b"][0])
    denied(pull(env, "signed/cosign-wk"), "signed by an unknown key")


def test_cosign_oci11_referrer_signature(env, tmp_path):
    cosign_bin()
    md = push(env, tmp_path, "signed/cosign11", b"cosign11")
    cosign_sign(env, "signed/cosign11", md, "--registry-referrers-mode=oci-1-1")
    r = env["srv"].req("GET", f"/v2/signed/cosign11/referrers/{md}", headers=READER)
    assert r.status == 200, r
    assert [m["artifactType"] for m in json.loads(r.body)["manifests"]] == \
        ["application/vnd.dev.cosign.artifact.sig.v1+json"]
    assert pull(env, "signed/cosign11").status == 200


def test_unknown_key_file_refused_at_start(tmp_path):
    cfg = tmp_path / "r.yaml"
    cfg.write_text("gates:\n  - repos: [\"x/**\"]\n"
                   f"    require-signature: {{keys: [\"{tmp_path / 'missing.pub'}\"]}}\n")
    r = run_vigil("registry", "serve", "--root", tmp_path / "root", "--config", cfg, timeout=30)
    assert r.rc != 0 and "missing.pub" in r.err, r
    cfg.write_text("gates:\n  - repos: [\"x/**\"]\n"
                   "    require-signature: {keys: [\"-----BEGIN PUBLIC KEY-----\\nAAAA\\n\"]}\n")
    r = run_vigil("registry", "serve", "--root", tmp_path / "root", "--config", cfg, timeout=30)
    assert r.rc != 0 and "r.yaml:3" in r.err, r
