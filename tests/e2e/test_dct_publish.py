# SPDX-License-Identifier: Apache-2.0
"""Docker Content Trust publishing against the real notary-server and notary CLI (the `dct`
fixture of test_dct_notary.py: notary-server over TLS on 127.0.0.1, `vigil registry serve`):
vigil generates and loads keys in docker's trust directory format, adds and removes signers,
signs and revokes tags; the notary CLI lists, verifies and sees the delegations; vigil adds a
signer to a repository the notary CLI made (signing its client-held snapshot); a wrong
passphrase and a root other than the pinned one are clear errors."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_vigil
from notary_fixtures import (PASS, dct, docker_config, env_for, pytestmark,  # noqa: F401
                             push_image, sh)

ROOT_PW = "root-passphrase"
REPO_PW = "repo-passphrase"


def denv(dct, dc: Path, **extra):
    e = env_for(dct, dc, DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=ROOT_PW,
                DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=REPO_PW)
    e.update(extra)
    return e


def notary(dct, trust_dir: Path, *args, env=None, check=True):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(["notary", "-s", dct["server"], "-d", str(trust_dir), "--tlscacert",
                        str(dct["dir"] / "ca.pem"), *map(str, args)], env=e,
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if check:
        assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p


def vigil(*args, env, cwd=None):
    return run_vigil(*args, env=env, cwd=cwd, input="")


def test_key_generate_and_load_in_docker_format(dct, tmp_path):
    dc = docker_config(dct, tmp_path)
    env = denv(dct, dc)
    r = vigil("trust", "key", "generate", "alice", "--dir", tmp_path, "--format", "json",
              env=env)
    assert r.rc == 0, r
    out = json.loads(r.out)
    pub = (tmp_path / "alice.pub").read_text()
    assert pub.startswith("-----BEGIN PUBLIC KEY-----\nrole: alice\n\n")
    priv = dc / "trust" / "private" / f"{out['keyID']}.key"
    text = priv.read_text()
    assert text.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: alice\n\n")
    assert oct(priv.stat().st_mode & 0o777) == "0o600"
    # notary's CLI reads vigil's key file (and agrees on the key id and role)
    p = notary(dct, dc / "trust", "key", "list")
    assert out["keyID"] in p.stdout and "alice" in p.stdout
    # NAME.pub exists already; invalid names
    assert vigil("trust", "key", "generate", "alice", "--dir", tmp_path, env=env).rc == 2
    assert vigil("trust", "key", "generate", "Bad/Name", env=env).rc == 2
    assert vigil("trust", "key", "generate", "releases", env=env).rc == 2
    # load: an openssl PKCS#8 key, then vigil's own encrypted file under another name
    sh("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
       tmp_path / "carol.pem")
    r = vigil("trust", "key", "load", tmp_path / "carol.pem", "--name", "carol", env=env)
    assert r.rc == 0, r
    # the same key twice in one trust directory is refused; into another one it loads
    assert vigil("trust", "key", "load", priv, "--name", "dave", env=env).rc == 2
    dc2 = docker_config(dct, tmp_path / "second")
    r = vigil("trust", "key", "load", priv, "--name", "dave", "--format", "json",
              env=denv(dct, dc2))
    assert r.rc == 0, r
    assert json.loads(r.out)["keyID"] == out["keyID"]
    text = (dc2 / "trust" / "private" / f"{out['keyID']}.key").read_text()
    assert "role: dave\n" in text
    p = notary(dct, dc / "trust", "key", "list")
    assert "carol" in p.stdout
    # a file that is not a key; a missing file
    (tmp_path / "junk.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    r = vigil("trust", "key", "load", tmp_path / "junk.pem", env=env)
    assert r.rc == 6 and "PEM type" in r.err, r
    assert vigil("trust", "key", "load", tmp_path / "nope.pem", env=env).rc == 4


def test_publish_with_vigil_then_notary_and_inspect_see_it(dct, tmp_path):
    reg = dct["reg"]
    raw = push_image(reg, "pub/one", "t1")
    gun = f"{reg.host}/pub/one"
    dc = docker_config(dct, tmp_path)
    env = denv(dct, dc)
    assert vigil("trust", "key", "generate", "alice", "--dir", tmp_path, env=env).rc == 0
    r = vigil("trust", "signer", "add", "--key", tmp_path / "alice.pub", "alice", gun,
              "--format", "json", env=env)
    assert r.rc == 0, r
    added = json.loads(r.out)[0]
    assert added["initialized"] is True
    assert set(added["delegations"]) == {"targets/alice", "targets/releases"}
    # the root is pinned where docker keeps it
    assert (dc / "trust" / "tuf" / gun / "metadata" / "root.json").is_file()
    r = vigil("trust", "sign", f"{gun}:t1", "--format", "json", env=env)
    assert r.rc == 0, r
    signed = json.loads(r.out)
    assert sorted(signed["roles"]) == ["targets/alice", "targets/releases"]
    assert signed["digest"] == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert signed["size"] == len(raw)
    # the notary CLI, from a fresh trust directory (its own trust on first use)
    fresh = tmp_path / "fresh"
    p = notary(dct, fresh, "list", gun, "--roles", "targets/releases")
    assert "t1" in p.stdout and hashlib.sha256(raw).hexdigest() in p.stdout, p.stdout
    assert str(len(raw)) in p.stdout
    (tmp_path / "t1.json").write_bytes(raw)
    p = notary(dct, fresh, "verify", gun, "t1", "-i", tmp_path / "t1.json", "-q")
    (tmp_path / "t1-other.json").write_bytes(raw + b" ")
    p = notary(dct, fresh, "verify", gun, "t1", "-i", tmp_path / "t1-other.json", "-q",
               check=False)
    assert p.returncode != 0
    p = notary(dct, fresh, "delegation", "list", gun)
    assert "targets/alice" in p.stdout and "targets/releases" in p.stdout
    # vigil's own reader, and verify against the registry's manifest
    r = vigil("trust", "inspect", gun, env=env)
    assert r.rc == 0, r
    tags = {t["SignedTag"]: t for t in json.loads(r.out)[0]["SignedTags"]}
    assert "alice" in tags["t1"]["Signers"]
    assert tags["t1"]["Digest"] == hashlib.sha256(raw).hexdigest()
    r = vigil("verify", "--dct", f"{gun}:t1", env=env)
    assert r.rc == 0, r

    # revoke the tag: gone from the roles, verification fails
    r = vigil("trust", "revoke", f"{gun}:t1", env=env)
    assert r.rc == 0, r
    p = notary(dct, fresh, "list", gun, "--roles", "targets/releases")
    assert "t1" not in p.stdout
    r = vigil("verify", "--dct", f"{gun}:t1", env=env)
    assert r.rc == 1 and "no trust data" in r.err, r
    assert vigil("trust", "revoke", f"{gun}:t1", env=env).rc == 4
    assert vigil("trust", "revoke", gun, env=env).rc == 2  # every tag needs --yes

    # remove the signer: the last keys of targets/releases need --force
    r = vigil("trust", "signer", "remove", "alice", gun, env=env)
    assert r.rc == 2 and "--force" in r.err, r
    r = vigil("trust", "signer", "remove", "--force", "alice", gun, env=env)
    assert r.rc == 0, r
    p = notary(dct, fresh, "delegation", "list", gun)
    assert "targets/alice" not in p.stdout
    assert vigil("trust", "signer", "remove", "alice", gun, env=env).rc == 4


def test_vigil_adds_signer_to_notary_cli_repository(dct, tmp_path):
    """The fixture's repository was made by `notary init` (client-held snapshot key, in the
    notary CLI's trust directory): vigil uses that directory as docker's, with notary's
    passphrase variables, signs targets and the snapshot, and a signer's tag verifies."""
    gun = dct["gun"]
    dc = tmp_path / "docker"
    dc.mkdir()
    (dc / "trust").symlink_to(dct["dir"] / "notary-trust")
    shutil.copytree(docker_config(dct, tmp_path / "tls").joinpath("tls"), dc / "tls")
    env = env_for(dct, dc, **PASS)
    assert vigil("trust", "key", "generate", "bob", "--dir", tmp_path, env=env).rc == 0
    r = vigil("trust", "signer", "add", "--key", tmp_path / "bob.pub", "bob", gun, env=env)
    assert r.rc == 0, r
    p = notary(dct, tmp_path / "fresh", "delegation", "list", gun)
    assert "targets/bob" in p.stdout and "targets/releases" in p.stdout
    p = notary(dct, tmp_path / "fresh", "list", gun)  # the snapshot vigil signed verifies
    assert "v1" in p.stdout
    r = vigil("trust", "sign", f"{gun}:v2", "--format", "json", env=env)
    assert r.rc == 0, r
    assert "targets/bob" in json.loads(r.out)["roles"]
    p = notary(dct, tmp_path / "fresh", "list", gun, "--roles", "targets/bob")
    assert "v2" in p.stdout
    assert hashlib.sha256(dct["manifests"]["v2"]).hexdigest() in p.stdout
    r = vigil("verify", "--dct", f"{gun}:v2", env=env)
    assert r.rc == 0, r


def test_wrong_or_missing_passphrase_is_a_clear_error(dct, tmp_path):
    reg = dct["reg"]
    push_image(reg, "pub/pw", "t1")
    gun = f"{reg.host}/pub/pw"
    dc = docker_config(dct, tmp_path)
    env = denv(dct, dc)
    assert vigil("trust", "key", "generate", "erin", "--dir", tmp_path, env=env).rc == 0
    r = vigil("trust", "signer", "add", "--key", tmp_path / "erin.pub", "erin", gun, env=env)
    assert r.rc == 0, r
    r = vigil("trust", "sign", f"{gun}:t1",
              env=denv(dct, dc, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE="wrong"))
    assert r.rc == 5, r
    assert "wrong passphrase" in r.err and "erin" in r.err, r.err
    e = denv(dct, dc)
    del e["DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"]
    e["DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"] = ""
    r = vigil("trust", "sign", f"{gun}:t1", env=e)
    assert r.rc == 2, r
    assert "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE" in r.err, r.err
    # nothing was published by the failed attempts
    p = notary(dct, tmp_path / "fresh", "list", gun)
    assert "t1" not in p.stdout


def test_root_pinned_on_first_use_is_respected(dct, tmp_path):
    """A repository whose trust data was deleted and re-created with another root (by the
    notary CLI) is refused by a docker config that pinned the first root."""
    reg = dct["reg"]
    push_image(reg, "pub/pin", "t1")
    gun = f"{reg.host}/pub/pin"
    dc = docker_config(dct, tmp_path)
    env = denv(dct, dc)
    assert vigil("trust", "key", "generate", "frank", "--dir", tmp_path, env=env).rc == 0
    r = vigil("trust", "signer", "add", "--key", tmp_path / "frank.pub", "frank", gun, env=env)
    assert r.rc == 0, r
    pinned = dc / "trust" / "tuf" / gun / "metadata" / "root.json"
    before = pinned.read_bytes()
    other = tmp_path / "other-trust"
    notary(dct, other, "delete", gun, "--remote", env=PASS)
    notary(dct, other, "init", gun, "-p", env=PASS)
    r = vigil("trust", "signer", "add", "--key", tmp_path / "frank.pub", "frank", gun, env=env)
    assert r.rc == 1, r
    # the new timestamp key is not the pinned root's
    assert "timestamp: 0 of 1 required signatures" in r.err, r.err
    r = vigil("trust", "sign", f"{gun}:t1", env=env)
    assert r.rc == 1, r
    assert pinned.read_bytes() == before
    # nothing of frank's reached the new repository
    p = notary(dct, other, "delegation", "list", gun)
    assert "targets/frank" not in p.stdout


def test_sign_initialises_a_repository_without_delegations(dct, tmp_path):
    """docker trust sign on a repository without trust data: vigil creates it and signs the
    tag into targets with the new repository key."""
    reg = dct["reg"]
    raw = push_image(reg, "pub/solo", "t1")
    gun = f"{reg.host}/pub/solo"
    dc = docker_config(dct, tmp_path)
    env = denv(dct, dc)
    r = vigil("trust", "sign", f"{gun}:t1", "--format", "json", env=env)
    assert r.rc == 0, r
    assert json.loads(r.out)["roles"] == ["targets"]
    p = notary(dct, tmp_path / "fresh", "list", gun)
    assert "t1" in p.stdout and hashlib.sha256(raw).hexdigest() in p.stdout
    r = vigil("verify", "--dct", f"{gun}:t1", env=env)
    assert r.rc == 0, r
    # the root and repository keys are in the trust directory with docker's headers
    heads = [f.read_text().split("\n\n")[0] for f in (dc / "trust" / "private").glob("*.key")]
    assert any("role: root" in h and "gun:" not in h for h in heads), heads
    assert any(f"gun: {gun}\nrole: targets" in h for h in heads), heads
    assert vigil("trust", "sign", gun, env=env).rc == 2  # no tag


def test_keys_in_the_old_trust_directory_layout_sign(dct, tmp_path):
    """docker < 1.11 / notary < 0.3 kept keys in private/root_keys/ and private/tuf_keys/<gun>/
    (delegation keys in private/tuf_keys/), the oldest as <id>_<role>.key without headers:
    keys vigil wrote are moved there, and signing, adding a signer and signing as that signer
    still find them (the files are generated here in that layout from real keys)."""
    reg = dct["reg"]
    raw = push_image(reg, "pub/legacy", "t1")
    gun = f"{reg.host}/pub/legacy"
    dc = docker_config(dct, tmp_path)
    env = denv(dct, dc)
    r = vigil("trust", "sign", f"{gun}:t1", env=env)  # creates the root and targets keys
    assert r.rc == 0, r
    priv = dc / "trust" / "private"
    moved = {}
    for f in sorted(priv.glob("*.key")):
        head, _, body = f.read_text().partition("\n\n")
        role = [ln.split(": ", 1)[1] for ln in head.splitlines() if ln.startswith("role: ")][0]
        if role == "root":  # notary 0.2: root_keys/<id>.key with its headers
            dst = priv / "root_keys" / f.name
            text = f.read_text()
        else:  # notary 0.1: tuf_keys/<gun>/<id>_<role>.key, no headers
            dst = priv / "tuf_keys" / gun / f"{f.stem}_{role}.key"
            text = head.splitlines()[0] + "\n" + body
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(text)
        dst.chmod(0o600)
        f.unlink()
        moved[role] = dst
    assert set(moved) == {"root", "targets"}, moved  # the server holds the snapshot key
    assert not list(priv.glob("*.key"))
    # the repository's targets key (tuf_keys/<gun>/<id>_targets.key) signs a new tag
    raw2 = push_image(reg, "pub/legacy", "t2")
    r = vigil("trust", "sign", f"{gun}:t2", env=env)
    assert r.rc == 0, r
    p = notary(dct, tmp_path / "fresh", "list", gun)
    assert hashlib.sha256(raw2).hexdigest() in p.stdout, p.stdout
    # a signer's key in tuf_keys/<id>.key (the old place of delegation keys)
    assert vigil("trust", "key", "generate", "carol", "--dir", tmp_path, env=env).rc == 0
    [ck] = priv.glob("*.key")
    (priv / "tuf_keys" / ck.name).write_text(ck.read_text())
    (priv / "tuf_keys" / ck.name).chmod(0o600)
    ck.unlink()
    r = vigil("trust", "signer", "add", "--key", tmp_path / "carol.pub", "carol", gun, env=env)
    assert r.rc == 0, r
    raw3 = push_image(reg, "pub/legacy", "t3")
    r = vigil("trust", "sign", f"{gun}:t3", "--format", "json", env=env)
    assert r.rc == 0, r
    assert "targets/carol" in json.loads(r.out)["roles"], r.out
    r = vigil("verify", "--dct", f"{gun}:t3", env=env)
    assert r.rc == 0 and hashlib.sha256(raw3).hexdigest() in r.out, r
    assert raw  # t1 signed before the move
