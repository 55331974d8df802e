# SPDX-License-Identifier: Apache-2.0
"""Docker Content Trust through a notary server behind token authentication, as Docker Hub's
notary is: Debian's notary-server with `auth: {type: token}` whose realm is vigil's own
registry token service (`vigil registry serve` with htpasswd users and `auth.token`; the
notary server trusts the token key's certificate as its rootcertbundle). vigil follows the
401 Bearer challenge with the registry's docker credentials (config.json) or anonymously,
publishes (`trust signer add`, `trust sign`) and verifies (`verify --dct`, `trust inspect`)
through it; the notary CLI lists what vigil published with the same tokens. Hostile
challenges come from a small HTTPS server answering 401 with them."""
from __future__ import annotations

import base64
import hashlib
import http.server
import json
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import run_vigil
from registry_serve import Serve
from notary_fixtures import (NotaryServer, free_port, make_certs, pytestmark,  # noqa: F401
                             push_image, sh)

ROOT_PW = "root-passphrase"
REPO_PW = "repo-passphrase"


def htpasswd_line(user: str, password: str) -> str:
    return subprocess.run(["htpasswd", "-nbB", "-C", "5", user, password], check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    import shutil
    if not shutil.which("htpasswd"):
        pytest.skip("htpasswd (apache2-utils) is not installed")
    d = tmp_path_factory.mktemp("dcttok")
    make_certs(d)
    # the registry's token-signing key and the certificate the notary server trusts
    sh("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-out", d / "token-key.pem")
    sh("openssl", "req", "-x509", "-new", "-key", d / "token-key.pem", "-out",
       d / "token-cert.pem", "-days", "30", "-subj", "/CN=vigil registry token")
    (d / "htpasswd").write_text(htpasswd_line("ci", "ci-pw") + "\n")
    # content first, with an open registry; then the same root behind token auth
    reg = Serve(d / "registry", d / "registry.log").start()
    manifests = {t: push_image(reg, "demo/app", t) for t in ("v1", "v2")}
    manifests["p1"] = push_image(reg, "priv/app", "p1")
    reg.kill()
    rport = free_port()
    service = f"127.0.0.1:{rport}"
    realm = f"http://{service}/token"
    (d / "registry.yaml").write_text(f"""auth:
  htpasswd: {d / 'htpasswd'}
  token: {{realm: "{realm}", service: "{service}", issuer: vigil-test-issuer,
          key: {d / 'token-key.pem'}}}
access:
  - {{repos: ["demo/**", "priv/**"], users: [ci], actions: [pull, push]}}
  - {{repos: ["demo/**"], anonymous: [pull]}}
""")
    reg = Serve(d / "registry", d / "registry.log",
                ["--config", d / "registry.yaml", "--addr", f"127.0.0.1:{rport}"]).start()
    assert reg.port == rport
    ns = None
    try:
        ns = NotaryServer(d, auth={"type": "token", "options": {
            "realm": realm, "service": service, "issuer": "vigil-test-issuer",
            "rootcertbundle": str(d / "token-cert.pem"), "autoredirect": False}})
        yield {"dir": d, "port": ns.port, "reg": reg, "service": service,
               "server": ns.url, "manifests": manifests}
    finally:
        reg.kill()
        if ns:
            ns.stop()


def docker_config(t, tmp_path: Path, creds: str | None) -> Path:
    dc = tmp_path / "docker"
    tls = dc / "tls" / f"127.0.0.1:{t['port']}"
    tls.mkdir(parents=True)
    (tls / "ca.crt").write_bytes((t["dir"] / "ca.pem").read_bytes())
    auths = {}
    if creds:
        auths[t["service"]] = {"auth": base64.b64encode(creds.encode()).decode()}
    (dc / "config.json").write_text(json.dumps({"auths": auths}))
    return dc


def env(t, dc: Path, **extra):
    e = {"DOCKER_CONFIG": str(dc), "DOCKER_CONTENT_TRUST_SERVER": t["server"],
         "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE": ROOT_PW,
         "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE": REPO_PW}
    e.update(extra)
    return e


def test_server_requires_a_token(tok):
    """The notary server really is behind token auth: no token, 401 with a Bearer challenge
    naming vigil's realm."""
    import urllib.error
    import urllib.request
    ctx = ssl.create_default_context(cafile=str(tok["dir"] / "ca.pem"))
    gun = f"{tok['service']}/demo/app"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"{tok['server']}/v2/{gun}/_trust/tuf/root.json", context=ctx,
                               timeout=10)
    assert e.value.code == 401
    chal = e.value.headers["WWW-Authenticate"]
    assert chal.startswith("Bearer ") and f'realm="http://{tok["service"]}/token"' in chal


def test_publish_and_verify_through_token_auth(tok, tmp_path):
    gun = f"{tok['service']}/demo/app"
    dc = docker_config(tok, tmp_path, "ci:ci-pw")
    e = env(tok, dc)
    r = run_vigil("trust", "key", "generate", "alice", "--dir", tmp_path, env=e, input="")
    assert r.rc == 0, r
    # pushing trust data needs the registry's credentials: ci's, sent to the token realm
    r = run_vigil("trust", "signer", "add", "--key", tmp_path / "alice.pub", "alice", gun,
                  "--plain-http", env=e, input="")
    assert r.rc == 0, r
    r = run_vigil("trust", "sign", f"{gun}:v1", "--plain-http", env=e, input="")
    assert r.rc == 0, r
    # verify with a fresh trust directory, anonymously (demo/** grants anonymous pull)
    dc2 = docker_config(tok, tmp_path / "anon", None)
    r = run_vigil("verify", "--dct", f"{gun}:v1", "--plain-http", env=env(tok, dc2))
    assert r.rc == 0, r
    assert r.out.strip() == f"{gun}:v1@sha256:" + hashlib.sha256(
        tok["manifests"]["v1"]).hexdigest()
    r = run_vigil("trust", "inspect", gun, "--plain-http", env=env(tok, dc2))
    assert r.rc == 0, r
    tags = {x["SignedTag"] for x in json.loads(r.out)[0]["SignedTags"]}
    assert tags == {"v1"}
    r = run_vigil("verify", "--dct", f"{gun}:v2", "--plain-http", env=env(tok, dc2))
    assert r.rc == 1 and "no trust data" in r.err, r
    # the notary CLI reads what vigil published through the same token service
    p = subprocess.run(["notary", "-s", tok["server"], "-d", str(tmp_path / "notary"),
                        "--tlscacert", str(tok["dir"] / "ca.pem"), "list", gun],
                       env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                            "NOTARY_AUTH": base64.b64encode(b"ci:ci-pw").decode()},
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 0 and "v1" in p.stdout, (p.stdout, p.stderr)


def test_credentials_needed_and_guarded(tok, tmp_path):
    gun = f"{tok['service']}/priv/app"
    # anonymous: the token grants nothing on priv/app, the notary server refuses it
    dc = docker_config(tok, tmp_path / "a", None)
    r = run_vigil("trust", "key", "generate", "bob", "--dir", tmp_path, env=env(tok, dc),
                  input="")
    assert r.rc == 0, r
    r = run_vigil("trust", "signer", "add", "--key", tmp_path / "bob.pub", "bob", gun,
                  "--plain-http", env=env(tok, dc), input="")
    assert r.rc == 5 and "HTTP 401" in r.err, r
    # wrong password: the token service refuses it
    dc = docker_config(tok, tmp_path / "w", "ci:wrong")
    r = run_vigil("verify", "--dct", f"{gun}:p1", "--plain-http", env=env(tok, dc))
    assert r.rc == 5 and "token service" in r.err and "wrong" not in r.err, r
    # right credentials but no --plain-http: not sent to the http:// realm
    dc = docker_config(tok, tmp_path / "r", "ci:ci-pw")
    r = run_vigil("verify", "--dct", f"{gun}:p1", env=env(tok, dc))
    assert r.rc == 5 and "plain-http token realm" in r.err and "ci-pw" not in r.err, r
    # with them: no trust data for priv/app yet is "not signed" (exit 1), past the auth
    r = run_vigil("verify", "--dct", f"{gun}:p1", "--plain-http", env=env(tok, dc))
    assert r.rc == 1 and "HTTP 401" not in r.err, r


def identity_token(t) -> str:
    """What `docker login` keeps for a registry whose token service does OAuth2: the refresh
    token of a password grant with access_type=offline (vigil's own POST /token)."""
    import urllib.parse
    import urllib.request
    body = urllib.parse.urlencode({
        "grant_type": "password", "username": "ci", "password": "ci-pw",
        "service": t["service"], "client_id": "docker", "access_type": "offline",
        "scope": ""}).encode()
    req = urllib.request.Request(f"http://{t['service']}/token", data=body, method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["refresh_token"]


def test_identity_token_uses_the_refresh_grant(tok, tmp_path):
    """config.json with only an `identitytoken` for the registry: the notary's token comes
    from the realm's OAuth2 refresh_token grant (POST /token), which vigil's token service
    answers for the token's subject (ci): priv/app, closed to anonymous pulls, is reached,
    and vigil publishes and verifies there with no password anywhere."""
    rt = identity_token(tok)
    gun = f"{tok['service']}/priv/app"
    dc = docker_config(tok, tmp_path, None)
    (dc / "config.json").write_text(json.dumps({"auths": {tok["service"]: {
        "identitytoken": rt}}}))
    access = Path(str(tok["reg"].log_path) + ".access")
    before = access.read_text() if access.exists() else ""
    e = env(tok, dc)
    r = run_vigil("trust", "key", "generate", "idt", "--dir", tmp_path, env=e, input="")
    assert r.rc == 0, r
    r = run_vigil("trust", "signer", "add", "--key", tmp_path / "idt.pub", "idt", gun,
                  "--plain-http", env=e, input="")
    assert r.rc == 0, r
    r = run_vigil("trust", "sign", f"{gun}:p1", "--plain-http", env=e, input="")
    assert r.rc == 0, r
    r = run_vigil("verify", "--dct", f"{gun}:p1", "--plain-http", env=e)
    assert r.rc == 0, r
    assert r.out.strip() == f"{gun}:p1@sha256:" + hashlib.sha256(
        tok["manifests"]["p1"]).hexdigest()
    # the token service saw POSTs (the refresh grant), and no GET with credentials
    log = access.read_text()[len(before):]
    posts = [ln for ln in log.splitlines() if '"/token"' in ln and '"POST"' in ln]
    assert posts, log[-2000:]
    assert rt not in log
    # not to an http:// realm without --plain-http; a bad token is the service's refusal
    r = run_vigil("verify", "--dct", f"{gun}:p1", env=e)
    assert r.rc == 5 and "plain-http token realm" in r.err and rt not in r.err, r
    (dc / "config.json").write_text(json.dumps({"auths": {tok["service"]: {
        "identitytoken": rt[:-4] + "AAAA"}}}))
    r = run_vigil("verify", "--dct", f"{gun}:p1", "--plain-http", env=e)
    assert r.rc == 5 and "refused the identity token" in r.err and rt[:20] not in r.err, r


# ------------------------------------------------------------------ hostile challenges

class Challenger:
    """HTTPS server answering every request 401 with the challenge in self.value."""

    def __init__(self, d: Path):
        self.value = ""
        self.seen: list[str] = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.seen.append(self.path)
                self.send_response(401)
                self.send_header("WWW-Authenticate", outer.value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(d / "server.pem", d / "server.key")
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.mark.parametrize("value,msg", [
    ('Bearer realm="ftp://127.0.0.1/token",service="x"', "not an http(s) URL"),
    ('Bearer realm="https://127.0.0.1:1/t\x01oken"', ""),
    ('Bearer realm="unterminated', "challenge"),
    ('Negotiate abc', 'unsupported authentication "negotiate"'),
    ('', ""),
    ('Bearer realm="https://127.0.0.1:1/token",scope="' + "s" * 5000 + '"', "over 1024 bytes"),
    ('Bearer ' + ",".join(f"p{i}=v" for i in range(100)), ""),
    ('Basic realm="x"', "asks for credentials"),
])
def test_hostile_challenges(tok, tmp_path, value, msg):
    ch = Challenger(tok["dir"])
    try:
        ch.value = value
        dc = tmp_path / "docker"
        t = dc / "tls" / f"127.0.0.1:{ch.port}"
        t.mkdir(parents=True)
        (t / "ca.crt").write_bytes((tok["dir"] / "ca.pem").read_bytes())
        (dc / "config.json").write_text("{}")
        r = run_vigil("trust", "inspect", f"{tok['service']}/demo/app", "--plain-http",
                      env={"DOCKER_CONFIG": str(dc),
                           "DOCKER_CONTENT_TRUST_SERVER": f"https://127.0.0.1:{ch.port}"})
        assert r.rc in (1, 5, 6), r
        assert "vigil: error:" in r.err and len(r.err.strip().splitlines()) == 1, r
        assert msg in r.err, r
        assert len(ch.seen) <= 2, ch.seen  # asked once, never looped
    finally:
        ch.httpd.shutdown()
