# SPDX-License-Identifier: Apache-2.0
"""Kyverno keys attestors and the transparency log, end to end on 127.0.0.1: images in vigil's
registry signed with a cosign key by `vigil sign`, with `--tlog-upload` to the loopback Rekor of
sigstore_server.py (the entry's SET kept in the layer's dev.sigstore.cosign/bundle annotation)
and without; decided by `vigil policy check` and `vigil admit check` under Kyverno policies with
the default transparency log (rekor.ignoreTlog unset), ignoreTlog: true, rekor.pubkey set to the
loopback Rekor's key, and a wrong rekor.pubkey. As Kyverno decides offline: a signature without
a Rekor bundle is denied (Kyverno would search Rekor online; the reason says so), a bundle whose
SET is not by the expected Rekor key is denied, ignoreTlog: true accepts the key signature
alone. The default Rekor key is the default --trusted-root's, else the public-good key shipped
in data/. Also: certificates attestors (a certificate of an imported key), keyless attestors
with rekor.pubkey, a key-signed cosign 3 bundle without tlog entries, the webhook (admit serve)
with --trusted-root, and cosign 2.5 both ways (when trixie-tools is unpacked)."""
import hashlib
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_vigil, vigil_bin
from registry_serve import Serve

pytest.importorskip("cryptography", reason="python3-cryptography builds the test Sigstore")
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from sigstore_fixtures import Sigstore  # noqa: E402
from sigstore_server import SigstoreServer  # noqa: E402
from test_keyless_images import push_image  # noqa: E402
from test_policy_authorities import kyverno as authorities_kyverno  # noqa: E402

PW = {"COSIGN_PASSWORD": "pw", "VIGIL_DATA_DIR": str(ROOT / "data")}


def spki_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("kytlog")
    ss = Sigstore("kytlog")
    root = ss.write_root(d / "trusted_root.json")
    sim = SigstoreServer(ss)
    srv = Serve(d / "reg", d / "serve.log").start()
    r = run_vigil("generate-key-pair", "--output-key-prefix", "k", env=PW, cwd=d)
    assert r.rc == 0, r
    refs = {}
    for repo in ("k/tlog", "k/plain", "k/unsigned"):
        md, _ = push_image(srv, repo, repo.encode())
        refs[repo] = f"{srv.host}/{repo}@{md}"
    n0 = len(sim.requests)
    r = run_vigil("sign", "--plain-http", "--key", d / "k.key", "--tlog-upload",
                  "--rekor-url", sim.url, "--trusted-root", root, refs["k/tlog"], env=PW)
    assert r.rc == 0 and "tlog entry created with index" in r.err, r
    req = sim.requests[n0:]
    assert len(req) == 1 and req[0][0] == "/api/v1/log/entries", req
    assert req[0][1]["kind"] == "hashedrekord"
    r = run_vigil("sign", "--plain-http", "--key", d / "k.key", refs["k/plain"], env=PW)
    assert r.rc == 0, r
    assert len(sim.requests) == n0 + 1  # no upload without --tlog-upload
    e = {"d": d, "ss": ss, "root": root, "sim": sim, "srv": srv, "refs": refs,
         "pub": (d / "k.pub").read_text(), "host": srv.host}
    yield e
    sim.close()
    srv.kill(signal.SIGTERM)


def indent(text, n):
    return "|\n" + "".join(" " * n + line + "\n" for line in text.splitlines())


def kyverno(env, rekor=""):
    return authorities_kyverno(env, "keys:\n            publicKeys: " + indent(env["pub"], 14) + rekor)


def pubkey_block(pem):
    return "            rekor:\n              url: https://rekor.example\n              pubkey: " + \
        indent(pem, 16)


def check(env, policy, ref, *extra):
    p = env["d"] / f"pol-{abs(hash(policy))}.yaml"
    p.write_text(policy)
    r = run_vigil("policy", "check", "--plain-http", "-p", p, "--format", "json", *extra, ref,
                  env=PW)
    assert r.rc in (0, 1), r
    return r


def reasons(r):
    doc = json.loads(r.out)
    return " | ".join(x["message"] for res in doc["results"] for x in res.get("reasons", []))


def test_sign_tlog_upload_writes_the_rekor_bundle(env):
    r = run_vigil("download", "signature", "--plain-http", env["refs"]["k/tlog"], env=PW)
    assert r.rc == 0, r
    line = json.loads(r.out.splitlines()[0])
    bundle = json.loads(line["Bundle"]) if isinstance(line.get("Bundle"), str) else line["Bundle"]
    assert bundle["Payload"]["logID"] == env["ss"].rekor_id.hex()
    assert bundle["SignedEntryTimestamp"]
    r = run_vigil("download", "signature", "--plain-http", env["refs"]["k/plain"], env=PW)
    assert r.rc == 0 and "logID" not in r.out, r
    # usage: --tlog-upload is for key signatures in the legacy layout
    r = run_vigil("sign", "--plain-http", "--key", env["d"] / "k.key", "--tlog-upload",
                  "--new-bundle-format", env["refs"]["k/unsigned"], env=PW)
    assert r.rc == 2 and "--tlog-upload" in r.err, r
    r = run_vigil("sign", "--plain-http", "--key", env["d"] / "k.key", "--tlog-upload=maybe",
                  env["refs"]["k/unsigned"], env=PW)
    assert r.rc == 2, r


def test_default_tlog_with_the_trusted_root(env):
    refs, pol = env["refs"], kyverno(env)
    root = ("--trusted-root", env["root"])
    assert check(env, pol, refs["k/tlog"], *root).rc == 0
    r = check(env, pol, refs["k/plain"], *root)
    assert r.rc == 1, r
    why = reasons(r)
    assert "no Rekor bundle annotation" in why, why
    assert "Kyverno would search https://rekor.sigstore.dev online" in why, why
    r = check(env, pol, refs["k/unsigned"], *root)
    assert r.rc == 1 and "no signatures found" in reasons(r), r


def test_default_tlog_is_the_public_good_key_without_a_root(env):
    # the loopback Rekor is not the public-good log: its SET cannot count
    r = check(env, kyverno(env), env["refs"]["k/tlog"])
    assert r.rc == 1, r
    assert "which is not in the trusted root" in reasons(r), reasons(r)
    # the shipped key is the public-good Rekor's (its log ID is Rekor's well-known one)
    der = serialization.load_pem_public_key(
        (ROOT / "data" / "sigstore-public-good-rekor.pub").read_bytes()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert hashlib.sha256(der).hexdigest() == \
        "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"


def test_ignore_tlog_verifies_the_key_alone(env):
    refs = env["refs"]
    pol = kyverno(env, "            rekor: {ignoreTlog: true}\n")
    assert check(env, pol, refs["k/tlog"]).rc == 0
    assert check(env, pol, refs["k/plain"]).rc == 0
    assert check(env, pol, refs["k/unsigned"]).rc == 1


def test_rekor_pubkey_offline(env):
    refs = env["refs"]
    good = kyverno(env, pubkey_block(spki_pem(env["ss"].rekor_key)))
    assert check(env, good, refs["k/tlog"]).rc == 0
    r = check(env, good, refs["k/plain"])
    assert r.rc == 1 and "Kyverno would search https://rekor.example online" in reasons(r), r
    wrong = kyverno(env, pubkey_block(spki_pem(ec.generate_private_key(ec.SECP256R1()))))
    r = check(env, wrong, refs["k/tlog"])
    assert r.rc == 1 and "not in the trusted root" in reasons(r), reasons(r)
    # a key of the right log ID cannot be forged: the SET must verify under it
    bad = kyverno(env, pubkey_block("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"))
    p = env["d"] / "bad.yaml"
    p.write_text(bad)
    r = run_vigil("policy", "check", "--plain-http", "-p", p, refs["k/tlog"], env=PW)
    assert r.rc == 6 and "invalid rekor.pubkey" in r.err and "bad.yaml:" in r.err, r


def admit_check(env, policy, ref):
    m = env["d"] / f"m-{abs(hash(ref))}.yaml"
    m.write_text(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: shop}}\n"
                 f"spec:\n  containers: [{{name: a, image: \"{ref}\"}}]\n")
    p = env["d"] / f"apol-{abs(hash(policy))}.yaml"
    p.write_text(policy)
    return subprocess.run([vigil_bin(), "admit", "check", "--plain-http", "-p", str(p),
                           "--format", "json", str(m)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **PW})


def test_admit_check(env):
    refs = env["refs"]
    good = kyverno(env, pubkey_block(spki_pem(env["ss"].rekor_key)))
    r = admit_check(env, good, refs["k/tlog"])
    assert r.returncode == 0, r
    r = admit_check(env, good, refs["k/plain"])
    assert r.returncode == 1 and "no Rekor bundle annotation" in r.stdout, r
    wrong = kyverno(env, pubkey_block(spki_pem(ec.generate_private_key(ec.SECP256R1()))))
    r = admit_check(env, wrong, refs["k/tlog"])
    assert r.returncode == 1 and "not in the trusted root" in r.stdout, r
    # default log, no trusted root in admit check: the public-good key, which did not log it
    r = admit_check(env, kyverno(env), refs["k/tlog"])
    assert r.returncode == 1, r
    r = admit_check(env, kyverno(env, "            rekor: {ignoreTlog: true}\n"), refs["k/plain"])
    assert r.returncode == 0, r


COSIGN = Path(os.environ.get("VIGIL_TEST_CACHE", "/var/tmp/vigil-test-cache")) / \
    "trixie-tools" / "usr" / "bin" / "cosign"


def cosign(env, *args, rekor_pub=None):
    e = {**os.environ, **PW, "HOME": str(env["d"]), "TUF_ROOT": str(env["d"] / "tuf")}
    if rekor_pub:
        e["SIGSTORE_REKOR_PUBLIC_KEY"] = str(rekor_pub)
    return subprocess.run([str(COSIGN), *map(str, args)], capture_output=True, text=True,
                          env=e, timeout=120, cwd=env["d"])


@pytest.mark.skipif(not COSIGN.exists(), reason="cosign 2.5 (trixie-tools) is not unpacked")
def test_cosign_interop(env):
    """cosign 2.5 verifies vigil's Rekor bundle offline with the loopback Rekor's key, and
    vigil's Kyverno check accepts what cosign signed with a tlog upload to that Rekor."""
    refs, d = env["refs"], env["d"]
    rk = d / "rekor.pub"
    rk.write_text(spki_pem(env["ss"].rekor_key))
    flags = ["--allow-insecure-registry", "--allow-http-registry"]
    r = cosign(env, "verify", *flags, "--key", d / "k.pub", "--offline=true", refs["k/tlog"],
               rekor_pub=rk)
    assert r.returncode == 0, r
    # the plain signature has no bundle: cosign offline refuses it too
    r = cosign(env, "verify", *flags, "--key", d / "k.pub", "--offline=true", refs["k/plain"],
               rekor_pub=rk)
    assert r.returncode != 0, r
    md, _ = push_image(env["srv"], "k/cosigned", b"k/cosigned")
    ref = f"{env['host']}/k/cosigned@{md}"
    r = cosign(env, "sign", *flags, "--key", d / "k.key", "--rekor-url", env["sim"].url, "-y",
               ref, rekor_pub=rk)
    assert r.returncode == 0, r
    good = kyverno(env, pubkey_block(spki_pem(env["ss"].rekor_key)))
    assert check(env, good, ref).rc == 0
    assert check(env, kyverno(env), ref, "--trusted-root", env["root"]).rc == 0


def test_admit_serve_default_root_and_cache(env):
    """The webhook with --trusted-root: the default tlog verified by that root's Rekor key;
    verdicts of pinned images cached (the same answer again)."""
    from test_admit import Webhook
    from test_policy_authorities import review
    (env["d"] / "hook").mkdir(exist_ok=True)
    hook = Webhook(env["d"] / "hook", policy_text=kyverno(env),
                   extra=("--insecure", "--trusted-root", str(env["root"])))
    try:
        def validate(ref):
            return hook.review("/validate?timeout=20s", review(ref))["response"]
        for _ in range(2):
            assert validate(env["refs"]["k/tlog"])["allowed"] is True
            r = validate(env["refs"]["k/plain"])
            assert r["allowed"] is False, r
            assert "no Rekor bundle annotation" in r["status"]["message"], r
    finally:
        assert hook.stop() == 0


def test_keyless_rekor_pubkey(env):
    """Keyless attestors: rekor.pubkey replaces the trusted root's Rekor keys."""
    from test_keyless_images import ID, ISS, legacy
    ref, _ = legacy(env, "kl/dev")

    def keyless(pem):
        return kyverno(env).split("        - keys:")[0] + (
            f"        - keyless:\n            subject: \"{ID}\"\n            issuer: {ISS}\n"
            "            rekor:\n              url: https://rekor.example\n"
            "              pubkey: " + indent(pem, 16))
    root = ("--trusted-root", env["root"])
    assert check(env, keyless(spki_pem(env["ss"].rekor_key)), ref, *root).rc == 0
    r = check(env, keyless(spki_pem(ec.generate_private_key(ec.SECP256R1()))), ref, *root)
    assert r.rc == 1 and "not in the trusted root" in reasons(r), reasons(r)


def test_key_bundle_without_tlog_entries(env):
    """A cosign 3 bundle signed with the key (vigil sign --new-bundle-format: no tlog entry)
    counts only with ignoreTlog: true."""
    md, _ = push_image(env["srv"], "k/bundle", b"k/bundle")
    ref = f"{env['host']}/k/bundle@{md}"
    r = run_vigil("sign", "--plain-http", "--key", env["d"] / "k.key", "--new-bundle-format", ref,
                  env=PW)
    assert r.rc == 0, r
    r = check(env, kyverno(env), ref, "--trusted-root", env["root"])
    assert r.rc == 1 and "no transparency log entry" in reasons(r), reasons(r)
    assert check(env, kyverno(env, "            rekor: {ignoreTlog: true}\n"), ref).rc == 0


def test_certificates_attestor(env):
    """A certificates attestor (type Cosign): the signature by the certificate's key, and by
    default its Rekor entry too (the body names the key)."""
    import datetime as dt
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    d = env["d"]
    key = ec.generate_private_key(ec.SECP256R1())
    (d / "c.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signer")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    cpem = cert.public_bytes(serialization.Encoding.PEM).decode()
    r = run_vigil("import-key-pair", "--key", d / "c.pem", "--output-key-prefix", "c", env=PW,
                  cwd=d)
    assert r.rc == 0, r
    refs = {}
    for repo, tlog in (("c/tlog", True), ("c/plain", False)):
        md, _ = push_image(env["srv"], repo, repo.encode())
        refs[repo] = f"{env['host']}/{repo}@{md}"
        extra = ["--tlog-upload", "--rekor-url", env["sim"].url] if tlog else []
        r = run_vigil("sign", "--plain-http", "--key", d / "c.key", *extra, refs[repo], env=PW)
        assert r.rc == 0, r

    def certs(rekor=""):
        return kyverno(env).split("        - keys:")[0] + \
            "        - certificates:\n            cert: " + indent(cpem, 14) + rekor
    root = ("--trusted-root", env["root"])
    assert check(env, certs(), refs["c/tlog"], *root).rc == 0
    r = check(env, certs(), refs["c/plain"], *root)
    assert r.rc == 1 and "no Rekor bundle annotation" in reasons(r), reasons(r)
    assert check(env, certs("            rekor: {ignoreTlog: true}\n"), refs["c/plain"]).rc == 0
    # the key-signed images are not this certificate's
    assert check(env, certs(), env["refs"]["k/tlog"], *root).rc == 1
