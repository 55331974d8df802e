# SPDX-License-Identifier: Apache-2.0
"""The registry's require-signature pull gate with Docker Content Trust (`require-signature:
{dct: {registry-name, server, ca, trust-dir, cache-ttl}}`) against Debian's real notary-server
(notary_fixtures.py) and tags published with the notary CLI under the GUN
`<registry-name>/<repo>`:

* dct/app: v1 signed, v2 unsigned, v3 signed with v1's bytes (a target whose hash and length
  are not the stored manifest's): a pull of v1 passes, v2 and v3 are 403 DENIED naming why; by
  digest, v1's digest passes (the signed target of tags v1 and v3), v2's and v3's do not;
* signature and attestation artifacts in the gated repository are never gated;
* cache: dct/ caches verdicts for an hour (v2 signed later stays denied), fresh/ has
  cache-ttl 0s (signing a tag lets the next pull through);
* down/: a notary server that does not answer denies with a message saying so;
* signers/: signers [alice] while the tag is signed by the repository key only: denied;
* both/ (a cosign key + dct, threshold 2) and either/ (threshold 1): content trust counts as one
  authority."""
from __future__ import annotations

import json
import signal

import pytest

from conftest import run_vigil
from notary_fixtures import (MT, PASS, NotaryServer, free_port, make_certs,  # noqa: F401
                             notary_cli, pytestmark, push_image, sh)
from registry_serve import Serve, digest

NAME = "registry.test:5000"  # how clients name the registry: the GUN's prefix


def gate(repos, d, server, **extra):
    dct = {"registry-name": NAME, "server": server, "ca": str(d / "ca.pem"),
           "trust-dir": str(d / "gate-trust"), **extra}
    return {"repos": repos, "require-signature": {"dct": dct}}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("gatedct")
    make_certs(d)
    ns = NotaryServer(d)
    srv = None
    try:
        closed = free_port()  # nothing listens there
        r = run_vigil("generate-key-pair", "--output-key-prefix", d / "cosign",
                      env={"COSIGN_PASSWORD": "pw"})
        assert r.rc == 0, r
        keyed = {"keys": [str(d / "cosign.pub")]}
        cfg = {"gates": [gate(["dct/**"], d, ns.url, **{"cache-ttl": "1h"}),
                         gate(["fresh/**"], d, ns.url, **{"cache-ttl": "0s"}),
                         gate(["down/**"], d, f"https://127.0.0.1:{closed}"),
                         gate(["signers/**"], d, ns.url, signers=["alice"]),
                         gate(["both/**"], d, ns.url), gate(["either/**"], d, ns.url)]}
        cfg["gates"][4]["require-signature"].update(keyed, threshold=2)
        cfg["gates"][5]["require-signature"].update(keyed, threshold=1)
        (d / "registry.yaml").write_text(json.dumps(cfg))  # YAML is a superset of JSON
        srv = Serve(d / "root", d / "serve.log", ["--config", d / "registry.yaml"]).start()
        m = {}
        repos = ("dct/app", "fresh/app", "down/app", "signers/app", "both/app", "either/app")
        for repo in repos:
            for tag in ("v1", "v2", "v3"):
                m[repo, tag] = push_image(srv, repo, tag)
                (d / f"{repo.replace('/', '_')}-{tag}.json").write_bytes(m[repo, tag])
        notary = notary_cli(ns.url, d, d / "notary-trust")
        for repo in ("dct/app", "fresh/app", "signers/app", "both/app", "either/app"):
            gun = f"{NAME}/{repo}"
            f = repo.replace("/", "_")
            sh(*notary, "init", gun, env=PASS)
            if repo != "fresh/app":
                sh(*notary, "add", gun, "v1", d / f"{f}-v1.json", env=PASS)
                sh(*notary, "add", gun, "v3", d / f"{f}-v1.json", env=PASS)  # v1's bytes
            sh(*notary, "publish", gun, env=PASS)
        yield {"d": d, "srv": srv, "m": m, "notary": notary, "ns": ns}
    finally:
        if srv:
            srv.kill(signal.SIGTERM)
        ns.stop()


def get(env, repo, ref):
    return env["srv"].req("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": MT})


def denied(r, *words):
    assert r.status == 403, r
    err = r.json()["errors"][0]
    assert err["code"] == "DENIED", r
    for w in words:
        assert w in err["message"], (w, err["message"])
    return err["message"]


def test_signed_tag_passes_unsigned_and_tampered_denied(env):
    m = env["m"]
    r = get(env, "dct/app", "v1")
    assert r.status == 200 and r.body == m["dct/app", "v1"], r
    denied(get(env, "dct/app", "v2"), "require-signature: unsigned: no content trust",
           f"no trust data for {NAME}/dct/app:v2")
    # v3's signed target is v1's manifest: hash and length are not the stored v3's
    denied(get(env, "dct/app", "v3"), "bad signature", "manifest of tag v3",
           "is not the one signed in trust data",
           f"{len(m['dct/app', 'v1'])} bytes; the manifest is {len(m['dct/app', 'v3'])} bytes")
    # HEAD is gated as GET
    assert env["srv"].req("HEAD", "/v2/dct/app/manifests/v2",
                          headers={"Accept": MT}).status == 403


def test_pull_by_digest_needs_a_signed_tag_with_that_target(env):
    m = env["m"]
    assert get(env, "dct/app", digest(m["dct/app", "v1"])).status == 200
    denied(get(env, "dct/app", digest(m["dct/app", "v2"])),
           f"no trust data for {NAME}/dct/app@{digest(m['dct/app', 'v2'])}")
    # the stored v3 is signed under no tag (tag v3 signs v1's bytes)
    denied(get(env, "dct/app", digest(m["dct/app", "v3"])), "no trust data")


def test_artifacts_never_gated(env):
    srv, m = env["srv"], env["m"]
    img = digest(m["dct/app", "v2"])  # an unsigned (denied) image
    empty = srv.push_blob("dct/app", b"{}")
    payload = b'{"critical":{}}'
    layer = srv.push_blob("dct/app", payload)
    sig = json.dumps({"schemaVersion": 2, "mediaType": MT,
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": empty, "size": 2},
                      "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                                  "digest": layer, "size": len(payload)}]}).encode()
    tag = img.replace("sha256:", "sha256-") + ".sig"
    assert srv.put_manifest("dct/app", tag, sig, MT).status == 201
    assert get(env, "dct/app", tag).status == 200
    att = json.loads(sig)
    att["artifactType"] = "application/vnd.dsse.envelope.v1+json"
    att["config"] = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty,
                     "size": 2}
    att["layers"][0]["mediaType"] = "application/vnd.dsse.envelope.v1+json"
    att["subject"] = {"mediaType": MT, "digest": img, "size": len(m["dct/app", "v2"])}
    raw = json.dumps(att).encode()
    assert srv.put_manifest("dct/app", digest(raw), raw, MT).status == 201
    assert get(env, "dct/app", digest(raw)).status == 200
    denied(get(env, "dct/app", img))  # the image itself still is


def test_cache_ttl(env):
    d, m, notary = env["d"], env["m"], env["notary"]
    denied(get(env, "fresh/app", "v1"), "no trust data")
    denied(get(env, "dct/app", "v2"), "no trust data")  # cached from here on (1h)
    for repo, tag in (("fresh/app", "v1"), ("dct/app", "v2")):
        f = repo.replace("/", "_")
        sh(*notary, "add", f"{NAME}/{repo}", tag, d / f"{f}-{tag}.json", env=PASS)
        sh(*notary, "publish", f"{NAME}/{repo}", env=PASS)
    # cache-ttl 0s: the next pull asks the notary again and sees the signature
    r = get(env, "fresh/app", "v1")
    assert r.status == 200 and r.body == m["fresh/app", "v1"], r
    # cache-ttl 1h: the verdict of a minute ago stands
    denied(get(env, "dct/app", "v2"), "no trust data")


def test_notary_down_denied_with_reason(env):
    msg = denied(get(env, "down/app", "v1"), "require-signature: cannot be verified now",
                 f"content trust for {NAME}/down/app")
    assert "127.0.0.1" in msg, msg
    # not cached: asked again, same answer (and the server still serves others)
    denied(get(env, "down/app", "v1"), "cannot be verified now")
    assert get(env, "dct/app", "v1").status == 200


def test_signers_constraint(env):
    # v1 is signed, but by the repository key ("targets"), not by targets/alice
    denied(get(env, "signers/app", "v1"), "no trust data", "signed by the required signers")


def test_dct_is_one_authority_of_the_threshold(env):
    # threshold 2 (cosign key + content trust): the notary signature alone is one short
    denied(get(env, "both/app", "v1"), "too few of the configured keys signed",
           "the content trust signature verified; cosign:")
    # threshold 1: content trust alone suffices; neither is a denial naming both
    assert get(env, "either/app", "v1").status == 200
    denied(get(env, "either/app", "v2"), "no cosign signature", "no trust data")


def test_bad_dct_config_is_refused_at_start(tmp_path):
    for body, want in (
            ({"server": "https://n.example"}, "needs 'registry-name'"),
            ({"registry-name": "a/b"}, "needs 'registry-name'"),
            ({"registry-name": NAME, "server": "http://n.example"}, "https:// URL"),
            ({"registry-name": NAME, "signers": ["targets/alice"]}, "signer name"),
            ({"registry-name": NAME, "bogus": 1}, "unknown key"),
            ({"registry-name": NAME, "ca": str(tmp_path / "none.pem")}, "does not exist")):
        cfg = tmp_path / "registry.yaml"
        cfg.write_text(json.dumps(
            {"gates": [{"repos": ["**"], "require-signature": {"dct": body}}]}))
        r = run_vigil("registry", "serve", "--config", cfg, "--root", tmp_path / "r",
                      "--addr", "127.0.0.1:0", timeout=30)
        assert r.rc != 0 and want in r.err and "registry.yaml:" in r.err, (body, r)


def test_concurrent_pulls(env):
    """Pulls on several threads at once, each asking the notary (fresh/: cache-ttl 0s) and
    pinning into one trust directory: every answer is the right one."""
    from concurrent.futures import ThreadPoolExecutor
    m = env["m"]

    def one(i):
        tag = "v1" if i % 2 == 0 else "v2"
        r = get(env, "fresh/app", tag)
        return tag, r.status, r.body

    with ThreadPoolExecutor(max_workers=8) as ex:
        got = list(ex.map(one, range(64)))
    for tag, status, body in got:
        if tag == "v1":  # signed in test_cache_ttl
            assert status == 200 and body == m["fresh/app", "v1"], (tag, status, body)
        else:
            assert status == 403 and b"no trust data" in body, (tag, status, body)
