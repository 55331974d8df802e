# SPDX-License-Identifier: Apache-2.0
"""RSA keys in Docker Content Trust against the real notary-server and notary CLI (the `dct`
fixture of test_dct_notary.py): an RSA private key in OpenSSL's PKCS#1 PEM (the form older
docker and notary versions wrote) is loaded with `vigil trust key load`, added as a signer,
and signs a tag (RSASSA-PSS, notary's "rsapss"); the notary CLI (Go's verifier) lists the tag
from a fresh trust directory, and vigil verifies it. An RSA key the notary CLI imports signs a
tag with notary's own RSA-PSS, and vigil verifies that one."""
from __future__ import annotations

import hashlib
import json
import os
import re
import ssl
import subprocess
import urllib.request

import pytest

from conftest import run_vigil
from notary_fixtures import PASS, dct, docker_config, env_for, pytestmark, sh  # noqa: F401
from test_dct_publish import denv, push_image


def notary(dct, trust_dir, *args, check=True):
    e = dict(os.environ)
    e.update(PASS)
    p = subprocess.run(["notary", "-s", dct["server"], "-d", str(trust_dir), "--tlscacert",
                        str(dct["dir"] / "ca.pem"), *map(str, args)], env=e,
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if check:
        assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p


def test_rsa_signer_signs_and_notary_verifies(dct, tmp_path):
    reg = dct["reg"]
    raw = push_image(reg, "demo/rsa", "r1")
    gun = f"{reg.host}/demo/rsa"
    sh("openssl", "genrsa", "-traditional", "-out", tmp_path / "carol.pem", "3072")
    assert (tmp_path / "carol.pem").read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    sh("openssl", "rsa", "-in", tmp_path / "carol.pem", "-pubout", "-out", tmp_path / "carol.pub")
    dc = docker_config(dct, tmp_path)
    env = denv(dct, dc)
    r = run_vigil("trust", "key", "load", tmp_path / "carol.pem", "--name", "carol", "--format",
                  "json", env=env, input="")
    assert r.rc == 0, r
    kid = json.loads(r.out)["keyID"]
    key = (dc / "trust" / "private" / f"{kid}.key").read_text()
    assert key.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: carol\n"), key[:80]
    sh("openssl", "genrsa", "-traditional", "-out", tmp_path / "small.pem", "1024")
    r = run_vigil("trust", "key", "load", tmp_path / "small.pem", "--name", "small", env=env,
                  input="")
    assert r.rc == 6 and "RSA 1024 bits" in r.err, r
    r = run_vigil("trust", "signer", "add", "--key", tmp_path / "carol.pub", "carol", gun,
                  env=env, input="")
    assert r.rc == 0, r
    r = run_vigil("trust", "sign", f"{gun}:r1", "--format", "json", env=env, input="")
    assert r.rc == 0, r
    assert set(json.loads(r.out)["roles"]) == {"targets/releases", "targets/carol"}, r.out
    # the metadata vigil signed carries rsapss signatures by carol's key
    ctx = ssl.create_default_context(cafile=str(dct["dir"] / "ca.pem"))
    rel = json.loads(urllib.request.urlopen(
        f"{dct['server']}/v2/{gun}/_trust/tuf/targets/releases.json", context=ctx,
        timeout=10).read())
    assert [(s["keyid"], s["method"]) for s in rel["signatures"]] == [(kid, "rsapss")], rel
    # notary's Go verifier accepts them (fresh trust directory)
    p = notary(dct, tmp_path / "fresh-notary", "list", gun, "-r", "targets/releases")
    assert "r1" in p.stdout and hashlib.sha256(raw).hexdigest() in p.stdout, p.stdout
    # and vigil verifies from a fresh trust directory
    dc2 = docker_config(dct, tmp_path / "v")
    r = run_vigil("verify", "--dct", f"{gun}:r1", env=env_for(dct, dc2))
    assert r.rc == 0 and hashlib.sha256(raw).hexdigest() in r.out, r
    r = run_vigil("trust", "inspect", gun, env=env_for(dct, dc2))
    assert r.rc == 0, r
    assert set(json.loads(r.out)[0]["SignedTags"][0]["Signers"]) == {"carol", "Repo Admin"}, r.out


def test_notary_rsa_signature_verified_by_vigil(dct, tmp_path):
    """notary's own RSA-PSS: an RSA delegation key imported into the notary CLI signs."""
    reg = dct["reg"]
    raw = push_image(reg, "demo/nrsa", "n1")
    gun = f"{reg.host}/demo/nrsa"
    (tmp_path / "n1.json").write_bytes(raw)
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
       tmp_path / "dave.key", "-out", tmp_path / "dave.crt", "-days", "30", "-subj", "/CN=dave")
    td = tmp_path / "notary"
    notary(dct, td, "init", gun)
    notary(dct, td, "publish", gun)
    notary(dct, td, "delegation", "add", gun, "targets/releases", tmp_path / "dave.crt",
           "--all-paths")
    notary(dct, td, "publish", gun)
    notary(dct, td, "key", "import", tmp_path / "dave.key", "--role", "targets/releases",
           "-g", gun)
    notary(dct, td, "add", gun, "n1", tmp_path / "n1.json", "--roles", "targets/releases")
    notary(dct, td, "publish", gun)
    dc = docker_config(dct, tmp_path / "v")
    r = run_vigil("verify", "--dct", f"{gun}:n1", env=env_for(dct, dc))
    assert r.rc == 0 and hashlib.sha256(raw).hexdigest() in r.out, r
    rel = json.loads((dc / "trust" / "tuf" / gun / "metadata" / "targets" /
                      "releases.json").read_text())
    assert {s["method"] for s in rel["signatures"]} == {"rsapss"}, rel
    root = json.loads((dc / "trust" / "tuf" / gun / "metadata" / "targets.json").read_text())
    keys = root["signed"]["delegations"]["keys"]
    assert {k["keytype"] for k in keys.values()} == {"rsa-x509"}, keys


# ------------------------------------------------------------------ legacy PEM key files

def legacy(tmp_path, name: str, kind: str, cipher: str, pw: str, role: str | None):
    """OpenSSL's traditional encrypted PEM (as older docker/notary wrote keys) with notary's
    role header after DEK-Info; plus the same key unencrypted."""
    plain = tmp_path / f"{name}-plain.pem"
    if kind == "ec":
        sh("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", plain)
        sh("openssl", "ec", "-in", plain, f"-{cipher}", "-passout", f"pass:{pw}", "-out",
           tmp_path / f"{name}.pem")
    else:
        sh("openssl", "genrsa", "-traditional", "-out", plain, "2048")
        sh("openssl", "rsa", "-traditional", "-in", plain, f"-{cipher}", "-passout",
           f"pass:{pw}", "-out", tmp_path / f"{name}.pem")
    text = (tmp_path / f"{name}.pem").read_text()
    assert "Proc-Type: 4,ENCRYPTED\nDEK-Info: " in text, text[:120]
    if role:
        lines = text.split("\n")
        lines.insert(3, f"role: {role}")
        text = "\n".join(lines)
        (tmp_path / f"{name}.pem").write_text(text)
    return tmp_path / f"{name}.pem", plain


def load(dct, tmp_path, sub, path, name, pw=None):
    dc = docker_config(dct, tmp_path / sub)
    env = denv(dct, dc)
    if pw:
        env["DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"] = pw
    return run_vigil("trust", "key", "load", path, "--name", name, "--format", "json", env=env,
                     input="")


def test_legacy_encrypted_pem_keys_load(dct, tmp_path):
    from test_dct_publish import REPO_PW
    for name, kind, cipher in (("eve", "ec", "aes256"), ("fay", "rsa", "aes128"),
                               ("gil", "ec", "des3")):
        enc, plain = legacy(tmp_path, name, kind, cipher, REPO_PW, name)
        r = load(dct, tmp_path, f"{name}-enc", enc, name)
        assert r.rc == 0, r
        r2 = load(dct, tmp_path, f"{name}-plain", plain, name)
        assert r2.rc == 0, r2
        # the same key: the same notary key id
        assert json.loads(r.out)["keyID"] == json.loads(r2.out)["keyID"]
        # a wrong passphrase is an authentication error, not a crash or a parse error
        r = load(dct, tmp_path, f"{name}-wrong", enc, name, pw="not-the-passphrase")
        assert r.rc == 5 and "wrong passphrase" in r.err, r


@pytest.mark.parametrize("edit,msg", [
    (lambda t: t.replace("Proc-Type: 4,ENCRYPTED\n", ""), "DEK-Info without Proc-Type"),
    (lambda t: t.replace("Proc-Type: 4,ENCRYPTED", "Proc-Type: 4,MIC-ONLY"), "4,ENCRYPTED"),
    (lambda t: t.replace("DEK-Info: AES-256-CBC", "DEK-Info: DES-CBC"), "not supported"),
    (lambda t: t.replace("DEK-Info: AES-256-CBC,", "DEK-Info: AES-256-CBC,00"), "hex bytes"),
    (lambda t: re.sub(r"(DEK-Info: AES-256-CBC,)[0-9A-F]", r"\1Z", t), "hex bytes"),
    (lambda t: t.replace("DEK-Info: AES-256-CBC,", "DEK-Info: AES-256-CBC"), "CIPHER,IV"),
    (lambda t: t.replace("\nDEK-Info:", "\nrole: x\nDEK-Info:").replace(
        "Proc-Type: 4,ENCRYPTED\n", "") , "DEK-Info without Proc-Type"),
    (lambda t: t.replace("-----BEGIN EC PRIVATE KEY-----\n",
                         "-----BEGIN EC PRIVATE KEY-----\nrole: x\n"), "Proc-Type must come"),
    (lambda t: t.replace("EC PRIVATE KEY", "PRIVATE KEY"), "Proc-Type must come"),
    (lambda t: t.replace("DEK-Info", "DEK-Info: AES-256-CBC,00\nDEK-Info", 1), "repeated"),
    (lambda t: "\n".join(l for l in t.split("\n") if not l.startswith("DEK-Info")),
     "without DEK-Info"),
])
def test_hostile_legacy_pem_headers(dct, tmp_path, edit, msg):
    enc, _ = legacy(tmp_path, "bad", "ec", "aes256", "pw", None)
    enc.write_text(edit(enc.read_text()))
    r = load(dct, tmp_path, "h", enc, "hostile", pw="pw")
    assert r.rc in (5, 6) and msg in r.err, r
    assert len(r.err.strip().splitlines()) == 1, r  # one error line


def test_legacy_body_not_whole_blocks(dct, tmp_path):
    enc, _ = legacy(tmp_path, "cut", "ec", "aes256", "pw", None)
    lines = enc.read_text().split("\n")
    body = [i for i, l in enumerate(lines) if l and ":" not in l and not l.startswith("-----")]
    lines[body[0]] = lines[body[0]][:-4]  # 3 bytes short: not a whole AES block
    enc.write_text("\n".join(lines))
    r = load(dct, tmp_path, "c", enc, "cut", pw="pw")
    assert r.rc == 6 and "whole blocks" in r.err, r
