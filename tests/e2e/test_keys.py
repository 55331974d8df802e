# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests for generate-key-pair, import-key-pair, sign-blob and verify-blob."""
import base64
import json
import os
import signal
import stat
import subprocess

import pytest

from conftest import have, vigil_bin

PW = {"COSIGN_PASSWORD": "pw"}


def no_pw_env():
    return {k: v for k, v in os.environ.items()
            if k not in ("COSIGN_PASSWORD", "VIGIL_PASSWORD")}


def pem_json(path):
    lines = path.read_text().splitlines()
    assert lines[0] == "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"
    assert lines[-1] == "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----"
    assert all(len(line) <= 64 for line in lines[1:-1])
    return base64.b64decode("".join(lines[1:-1]))


def test_generate_writes_cosign_format(vigil, tmp_path):
    r = vigil("generate-key-pair", env=PW, cwd=tmp_path)
    assert r.rc == 0, r
    key, pub = tmp_path / "cosign.key", tmp_path / "cosign.pub"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(pub.stat().st_mode) == 0o644
    raw = pem_json(key)
    doc = json.loads(raw)
    assert raw.startswith(b'{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"')
    assert list(doc) == ["kdf", "cipher", "ciphertext"]
    assert len(base64.b64decode(doc["kdf"]["salt"])) == 32
    assert doc["cipher"]["name"] == "nacl/secretbox"
    assert len(base64.b64decode(doc["cipher"]["nonce"])) == 24
    assert len(base64.b64decode(doc["ciphertext"])) == 138 + 16
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----\n")
    assert "Private key written to cosign.key" in r.err


def test_generate_refuses_to_overwrite_without_force(vigil, tmp_path):
    assert vigil("generate-key-pair", "--output-key-prefix", "k", env=PW, cwd=tmp_path).rc == 0
    before = (tmp_path / "k.key").read_bytes()
    r = vigil("generate-key-pair", "--output-key-prefix", "k", env=PW, cwd=tmp_path)
    assert r.rc == 2 and "already exists" in r.err
    assert (tmp_path / "k.key").read_bytes() == before
    r = vigil("generate-key-pair", "--output-key-prefix", "k", "--force", env=PW, cwd=tmp_path)
    assert r.rc == 0, r
    assert (tmp_path / "k.key").read_bytes() != before
    assert stat.S_IMODE((tmp_path / "k.key").stat().st_mode) == 0o600


def test_generate_refuses_when_only_pub_exists(vigil, tmp_path):
    (tmp_path / "cosign.pub").write_text("x")
    r = vigil("generate-key-pair", env=PW, cwd=tmp_path)
    assert r.rc == 2 and "cosign.pub already exists" in r.err
    assert not (tmp_path / "cosign.key").exists()


def _vigil_cmd():
    return [vigil_bin()]


def test_password_from_stdin_is_verbatim(vigil, tmp_path):
    env = no_pw_env()
    p = subprocess.run([*_vigil_cmd(), "generate-key-pair"], input="secret\n",
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    (tmp_path / "blob").write_bytes(b"data")
    # The newline is part of the password, as in cosign.
    bad = subprocess.run([*_vigil_cmd(), "sign-blob", "--key", "cosign.key", "blob"],
                         input="secret", capture_output=True, text=True, env=env, cwd=tmp_path)
    assert bad.returncode == 5 and "wrong password" in bad.stderr
    good = subprocess.run([*_vigil_cmd(), "sign-blob", "--key", "cosign.key", "blob"],
                          input="secret\n", capture_output=True, text=True, env=env,
                          cwd=tmp_path)
    assert good.returncode == 0, good.stderr


def test_empty_env_password_is_used_and_vigil_wins(vigil, tmp_path):
    env = {"VIGIL_PASSWORD": "", "COSIGN_PASSWORD": "other"}
    assert vigil("generate-key-pair", env=env, cwd=tmp_path).rc == 0
    (tmp_path / "b").write_bytes(b"x")
    assert vigil("sign-blob", "--key", "cosign.key", "b",
                 env={"VIGIL_PASSWORD": ""}, cwd=tmp_path).rc == 0
    # COSIGN_PASSWORD alone (set, empty) is used too.
    e = no_pw_env()
    e["COSIGN_PASSWORD"] = ""
    p = subprocess.run([*_vigil_cmd(), "sign-blob", "--key", "cosign.key", "b"],
                       capture_output=True, text=True, env=e, cwd=tmp_path)
    assert p.returncode == 0, p.stderr


def test_sign_verify_blob_roundtrip(vigil, tmp_path):
    assert vigil("generate-key-pair", env=PW, cwd=tmp_path).rc == 0
    blob = tmp_path / "artifact"
    blob.write_bytes(b"some-payload")
    r = vigil("sign-blob", "--key", "cosign.key", "artifact", env=PW, cwd=tmp_path)
    assert r.rc == 0, r
    sig = r.out.strip()
    assert base64.b64decode(sig)[0] == 0x30
    (tmp_path / "a.sig").write_text(r.out)
    r = vigil("verify-blob", "--key", "cosign.pub", "--signature", "a.sig", "artifact",
              cwd=tmp_path)
    assert r.rc == 0 and "Verified OK" in r.err, r
    r = vigil("verify-blob", "--key", "cosign.pub", "--signature", sig, "artifact", cwd=tmp_path)
    assert r.rc == 0, r
    # Raw DER signature in a file is accepted too.
    (tmp_path / "a.der").write_bytes(base64.b64decode(sig))
    r = vigil("verify-blob", "--key", "cosign.pub", "--signature", "a.der", "artifact",
              cwd=tmp_path)
    assert r.rc == 0, r
    blob.write_bytes(b"some-payload!")
    r = vigil("verify-blob", "--key", "cosign.pub", "--signature", "a.sig", "artifact",
              cwd=tmp_path)
    assert r.rc == 1 and "invalid signature" in r.err, r
    r = vigil("verify-blob", "--key", "cosign.pub", "--signature", "c29tZXRoaW5nCg==",
              "artifact", cwd=tmp_path)
    assert r.rc == 1, r


def test_blob_bundle_roundtrip_layout_and_openssl(vigil, tmp_path):
    """cosign 3's `sign-blob --bundle`: a v0.3 bundle with a messageSignature whose digest is the
    blob's SHA-256 and whose signature openssl verifies over the blob; verify-blob --bundle
    accepts it and refuses another blob, another key, a tampered bundle."""
    assert vigil("generate-key-pair", env=PW, cwd=tmp_path).rc == 0
    blob = tmp_path / "artifact.tgz"
    blob.write_bytes(os.urandom(200000))
    r = vigil("sign-blob", "--key", "cosign.key", "--bundle", "a.json", "artifact.tgz",
              env=PW, cwd=tmp_path)
    assert r.rc == 0 and r.out == "" and "Wrote bundle to file a.json" in r.err, r
    b = json.loads((tmp_path / "a.json").read_text())
    assert b["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    import hashlib
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", "cosign.pub", "-outform", "DER"],
                         capture_output=True, cwd=tmp_path).stdout if have("openssl") else None
    if der:
        assert b["verificationMaterial"]["publicKey"]["hint"] == \
            base64.b64encode(hashlib.sha256(der).digest()).decode()
    md = b["messageSignature"]["messageDigest"]
    assert md == {"algorithm": "SHA2_256",
                  "digest": base64.b64encode(hashlib.sha256(blob.read_bytes()).digest()).decode()}
    if have("openssl"):
        (tmp_path / "s.der").write_bytes(base64.b64decode(b["messageSignature"]["signature"]))
        p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", "cosign.pub", "-signature",
                            "s.der", "artifact.tgz"], capture_output=True, text=True, cwd=tmp_path)
        assert p.returncode == 0 and "Verified OK" in p.stdout, p.stderr
    r = vigil("verify-blob", "--key", "cosign.pub", "--bundle", "a.json", "artifact.tgz",
              cwd=tmp_path)
    assert r.rc == 0 and "Verified OK" in r.err, r
    # Signature and bundle together: the signature goes where --output-signature says.
    r = vigil("sign-blob", "--key", "cosign.key", "--bundle", "b.json", "--output-signature",
              "b.sig", "artifact.tgz", env=PW, cwd=tmp_path)
    assert r.rc == 0, r
    r = vigil("verify-blob", "--key", "cosign.pub", "--signature", "b.sig", "artifact.tgz",
              cwd=tmp_path)
    assert r.rc == 0, r
    # Another blob: the digest check names both digests.
    (tmp_path / "other").write_bytes(b"other")
    r = vigil("verify-blob", "--key", "cosign.pub", "--bundle", "a.json", "other", cwd=tmp_path)
    assert r.rc == 1 and "the bundle is for sha256:" in r.err, r
    # Another key.
    (tmp_path / "k2").mkdir()
    assert vigil("generate-key-pair", env=PW, cwd=tmp_path / "k2").rc == 0
    r = vigil("verify-blob", "--key", "k2/cosign.pub", "--bundle", "a.json", "artifact.tgz",
              cwd=tmp_path)
    assert r.rc == 1, r
    # A signature from another blob's bundle with this blob's digest (digest matches, signature
    # does not).
    r = vigil("sign-blob", "--key", "cosign.key", "--bundle", "o.json", "other", env=PW,
              cwd=tmp_path)
    assert r.rc == 0, r
    o = json.loads((tmp_path / "o.json").read_text())
    t = dict(b, messageSignature=dict(b["messageSignature"],
                                      signature=o["messageSignature"]["signature"]))
    (tmp_path / "t.json").write_text(json.dumps(t))
    r = vigil("verify-blob", "--key", "cosign.pub", "--bundle", "t.json", "artifact.tgz",
              cwd=tmp_path)
    assert r.rc == 1 and "invalid signature" in r.err, r
    # Hostile or wrong bundles: clear errors, not verification results.
    (tmp_path / "dsse.json").write_text(json.dumps({
        "mediaType": b["mediaType"], "verificationMaterial": {},
        "dsseEnvelope": {"payload": "e30=", "payloadType": "x", "signatures": [{"sig": "AA=="}]}}))
    r = vigil("verify-blob", "--key", "cosign.pub", "--bundle", "dsse.json", "artifact.tgz",
              cwd=tmp_path)
    assert r.rc == 6 and "DSSE envelope" in r.err and "dsse.json" in r.err, r
    (tmp_path / "trunc.json").write_text((tmp_path / "a.json").read_text()[:50])
    r = vigil("verify-blob", "--key", "cosign.pub", "--bundle", "trunc.json", "artifact.tgz",
              cwd=tmp_path)
    assert r.rc == 6 and "trunc.json" in r.err, r
    r = vigil("verify-blob", "--key", "cosign.pub", "--bundle", "a.json", "--signature", "b.sig",
              "artifact.tgz", cwd=tmp_path)
    assert r.rc == 2, r


def test_output_signature_file_and_openssl_agrees(vigil, tmp_path):
    assert vigil("generate-key-pair", env=PW, cwd=tmp_path).rc == 0
    (tmp_path / "blob").write_bytes(b"hello world\n")
    r = vigil("sign-blob", "--key", "cosign.key", "--output-signature", "s.b64", "blob",
              env=PW, cwd=tmp_path)
    assert r.rc == 0, r
    text = (tmp_path / "s.b64").read_text()
    assert not text.endswith("\n")
    if not have("openssl"):
        pytest.skip("openssl CLI absent")
    (tmp_path / "s.der").write_bytes(base64.b64decode(text))
    p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", "cosign.pub", "-signature",
                        "s.der", "blob"], capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0 and "Verified OK" in p.stdout, p.stderr


def test_wrong_password_and_bad_key(vigil, tmp_path):
    assert vigil("generate-key-pair", env=PW, cwd=tmp_path).rc == 0
    (tmp_path / "b").write_bytes(b"x")
    r = vigil("sign-blob", "--key", "cosign.key", "b", env={"COSIGN_PASSWORD": "nope"},
              cwd=tmp_path)
    assert r.rc == 5 and "decrypt private key: wrong password or corrupt key" in r.err
    r = vigil("sign-blob", "--key", "cosign.pub", "b", env=PW, cwd=tmp_path)
    assert r.rc == 6 and "unsupported pem type" in r.err
    r = vigil("verify-blob", "--key", "b", "--signature", "AAAA", "b", cwd=tmp_path)
    assert r.rc == 6, r


@pytest.mark.parametrize("name,ok,msg", [
    ("rsa2048-pkcs1.pem", True, None),
    ("rsa2048-pkcs8.pem", True, None),
    ("ecp256-sec1.pem", True, None),
    ("ecp384-sec1.pem", True, None),
    ("ed25519-pkcs8.pem", True, None),
    ("rsa1024-pkcs1.pem", False, "key size not supported"),
    ("ecp224-sec1.pem", False, "curve not allowed"),
    ("ecp256.pub", False, "unsupported private key"),
])
def test_import_own_fixtures(vigil, tmp_path, data_dir, name, ok, msg):
    src = data_dir / "sign" / name
    r = vigil("import-key-pair", "--key", src, "--output-key-prefix", "imp", env=PW,
              cwd=tmp_path)
    if not ok:
        assert r.rc == 6 and msg in r.err, r
        assert not (tmp_path / "imp.key").exists()
        return
    assert r.rc == 0, r
    assert stat.S_IMODE((tmp_path / "imp.key").stat().st_mode) == 0o600
    (tmp_path / "blob").write_bytes(b"payload")
    r = vigil("sign-blob", "--key", "imp.key", "blob", env=PW, cwd=tmp_path)
    assert r.rc == 0, r
    r = vigil("verify-blob", "--key", "imp.pub", "--signature", r.out.strip(), "blob",
              cwd=tmp_path)
    assert r.rc == 0, r


def test_cosign_vector_signs_and_derived_signatures_verify(vigil, tmp_path, shared_dir):
    c = shared_dir / "interop" / "cosign"
    (tmp_path / "blob").write_bytes(b"abc")
    r = vigil("sign-blob", "--key", c / "keys/encrypted/pemsigstorekey.key", "blob",
              env={"COSIGN_PASSWORD": "hello"}, cwd=tmp_path)
    assert r.rc == 0, r
    pub = c / "derived/encrypted-keys/pemsigstorekey.pub"
    r = vigil("verify-blob", "--key", pub, "--signature", r.out.strip(), "blob", cwd=tmp_path)
    assert r.rc == 0, r
    leg = c / "derived/legacy-sig-image"
    for n in (1, 2):
        r = vigil("verify-blob", "--key", pub, "--signature", leg / f"payload-{n}.sig.b64",
                  leg / f"payload-{n}.json")
        assert r.rc == 0, r
        r = vigil("verify-blob", "--key", c / "derived/encrypted-keys/pemcosignkey.pub",
                  "--signature", leg / f"payload-{n}.sig.b64", leg / f"payload-{n}.json")
        assert r.rc == 1, r
    r = vigil("sign-blob", "--key", c / "keys/encrypted/pemcosigneckey.key", "blob",
              env={"COSIGN_PASSWORD": "hello"}, cwd=tmp_path)
    assert r.rc == 6 and "PKCS#8" in r.err, r


def test_import_cosign_vectors(vigil, tmp_path, shared_dir):
    imp = shared_dir / "interop" / "cosign" / "keys" / "import"
    der = shared_dir / "interop" / "cosign" / "derived" / "import-keys"
    for name in ("validrsa", "validecp256", "validecp521", "ed25519key"):
        r = vigil("import-key-pair", "--key", imp / f"{name}.pem", "--output-key-prefix", name,
                  env={"COSIGN_PASSWORD": "hello"}, cwd=tmp_path)
        assert r.rc == 0, r
        assert (tmp_path / f"{name}.pub").read_text() == (der / f"{name}.pub").read_text()
    for name, msg in (("invalidkey", "invalid pem block"),
                      ("invalidrsasmallkey", "key size not supported"),
                      ("invalidecunsupported", "error parsing ecdsa private key")):
        r = vigil("import-key-pair", "--key", imp / f"{name}.pem", env=PW, cwd=tmp_path)
        assert r.rc == 6 and msg in r.err, r


def test_help_and_usage(vigil):
    for cmd in ("generate-key-pair", "import-key-pair", "sign-blob", "verify-blob"):
        r = vigil(cmd, "--help")
        assert r.rc == 0 and "Usage: vigil " + cmd in r.out and "Example" in r.out
    assert vigil("sign-blob", "x").rc == 2
    assert vigil("verify-blob", "--key", "a", "x").rc == 2
    assert vigil("import-key-pair").rc == 2


def _wait_echo_off(fd, timeout=30.0):
    import termios
    import time
    deadline = time.monotonic() + timeout
    while termios.tcgetattr(fd)[3] & termios.ECHO:
        assert time.monotonic() < deadline, "echo never turned off"
        time.sleep(0.01)


def _run_on_tty(args, lines, cwd):
    """Runs vigil with a pseudo-terminal as stdin and types each line once its prompt is shown
    and echo is off (typing earlier would be discarded by TCSAFLUSH)."""
    import pty
    import select
    master, slave = pty.openpty()
    p = subprocess.Popen([*_vigil_cmd(), *args], stdin=slave, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=no_pw_env(), cwd=cwd)
    os.close(slave)
    err = b""
    for i, line in enumerate(lines):
        while err.count(b"Enter password") <= i:
            chunk = os.read(p.stderr.fileno(), 4096)
            if not chunk:
                break
            err += chunk
        _wait_echo_off(master)
        os.write(master, line.encode() + b"\n")
    rest_out, rest_err = p.communicate(timeout=60)
    err += rest_err
    echoed = b""
    while select.select([master], [], [], 0.1)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        echoed += chunk
    os.close(master)
    return p.returncode, err.decode(), echoed


def test_tty_prompt_twice_without_echo(vigil, tmp_path):
    rc, err, echoed = _run_on_tty(["generate-key-pair"], ["tty-secret", "tty-secret"], tmp_path)
    assert rc == 0, err
    assert "Enter password for private key: " in err
    assert "Enter password for private key again: " in err
    assert b"tty-secret" not in echoed
    (tmp_path / "b").write_bytes(b"x")
    r = vigil("sign-blob", "--key", "cosign.key", "b", env={"COSIGN_PASSWORD": "tty-secret"},
              cwd=tmp_path)
    assert r.rc == 0, r


def test_tty_password_mismatch(vigil, tmp_path):
    rc, err, _ = _run_on_tty(["generate-key-pair"], ["one", "two"], tmp_path)
    assert rc == 2 and "passwords do not match" in err
    assert not (tmp_path / "cosign.key").exists()


def test_ctrl_c_at_prompt_restores_echo(vigil, tmp_path):
    import fcntl
    import pty
    import termios
    import time
    master, slave = pty.openpty()

    def make_ctty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        # A suite started in the background (`cmd &`, nohup) inherits SIGINT ignored, and the
        # prompt restores the caller's disposition before re-raising: give vigil the default
        # one a user's shell gives it, so ^C at the prompt kills it as it would there.
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    p = subprocess.Popen([*_vigil_cmd(), "generate-key-pair"], stdin=slave,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=no_pw_env(),
                         cwd=tmp_path, preexec_fn=make_ctty)
    _wait_echo_off(master)
    os.write(master, b"\x03")  # ^C: SIGINT to the foreground process group
    deadline = time.monotonic() + 20
    while p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if p.poll() is None:  # the signal never arrived: unblock the read so the test ends
        os.write(master, b"\n")
    p.communicate(timeout=30)
    assert p.returncode == -2
    assert termios.tcgetattr(slave)[3] & termios.ECHO
    assert not (tmp_path / "cosign.key").exists()
    os.close(slave)
    os.close(master)
