# SPDX-License-Identifier: Apache-2.0
"""The image-access flags every image command shares (src/cli/util.c: --platform, --creds,
--insecure, --plain-http): each command lists them in --help, accepts them, and they reach the
registry client / image opener the same way, so the same situation gives the same exit code in
every command. The signature commands address a manifest digest and never pick a platform, so
they take the three registry flags but not --platform (docs/registry-client.md)."""
import http.server
import shutil
import ssl
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from images import build_multiarch  # noqa: E402
from registry_fixtures import make_cert  # noqa: E402

EXIT_USAGE, EXIT_NOTFOUND, EXIT_NETWORK = 2, 4, 7
PW = {"COSIGN_PASSWORD": "pw", "VIGIL_PASSWORD": "pw"}
REGISTRY_FLAGS = ("--creds", "--insecure", "--plain-http")
# Commands that open an image (and so pick a platform from an index).
IMAGE_CMDS = ("inspect", "sbom", "scan")
# Commands that work on the manifest digest a registry reference names.
DIGEST_CMDS = ("sign", "verify", "attest", "verify-attestation", "tree")


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    """Key pair and predicate so that the signature commands get as far as the registry."""
    from conftest import run_vigil
    d = tmp_path_factory.mktemp("keys")
    r = run_vigil("generate-key-pair", "--output-key-prefix", "k", env=PW, cwd=d)
    assert r.rc == 0, r
    (d / "pred.json").write_text("{}\n")
    return d


def cmd_args(cmd, d):
    """The arguments each command needs before it contacts the registry."""
    return {
        "inspect": [],
        "sbom": [],
        "scan": ["--scanners", "secret", "--no-cache", "--quiet"],
        "sign": ["--key", d / "k.key"],
        "verify": ["--key", d / "k.pub"],
        "attest": ["--key", d / "k.key", "--predicate", d / "pred.json"],
        "verify-attestation": ["--key", d / "k.pub"],
        "tree": [],
    }[cmd]


@pytest.mark.parametrize("cmd", IMAGE_CMDS + DIGEST_CMDS)
def test_help_lists_image_access_flags(vigil, cmd):
    r = vigil(cmd, "--help")
    assert r.rc == 0, r
    for flag in REGISTRY_FLAGS:
        assert flag in r.out, f"{cmd} --help does not mention {flag}"
    # Each flag is described on its own line in the Options section, not just in the synopsis.
    lines = [ln.strip() for ln in r.out.splitlines()]
    assert any(ln.startswith("--creds USER:PASS ") for ln in lines), r.out
    assert any(ln.startswith("--insecure ") for ln in lines), r.out
    assert any(ln.startswith("--plain-http ") for ln in lines), r.out
    if cmd in IMAGE_CMDS:
        assert any(ln.startswith("--platform P ") for ln in lines), r.out
    else:
        assert "--platform" not in r.out


@pytest.mark.parametrize("cmd", DIGEST_CMDS)
def test_digest_commands_refuse_platform(vigil, material, cmd):
    r = vigil(cmd, "--platform", "linux/amd64", *cmd_args(cmd, material), "127.0.0.1:1/a:v1",
              env=PW)
    assert r.rc == EXIT_USAGE, r
    assert "unknown option '--platform'" in r.err


@pytest.mark.parametrize("cmd", IMAGE_CMDS + DIGEST_CMDS)
def test_plain_http_to_closed_port_is_network_error(vigil, material, cmd):
    ref = "127.0.0.1:1/team/app:v1"  # nothing listens on port 1
    r = vigil(cmd, *cmd_args(cmd, material), "--plain-http", "--insecure", "--creds", "u:p",
              ref, env=PW, cwd=material)
    assert r.rc == EXIT_NETWORK, r
    # The default is https://, so this shows --plain-http reached the registry client. (Each
    # run costs the client's connection retries, so the https:// case is left to the TLS test.)
    assert "http://127.0.0.1:1/v2/" in r.err, r


@pytest.mark.parametrize("cmd", IMAGE_CMDS + DIGEST_CMDS)
def test_malformed_creds_is_usage_error(vigil, material, cmd):
    r = vigil(cmd, *cmd_args(cmd, material), "--plain-http", "--creds", "no-colon",
              "127.0.0.1:1/team/app:v1", env=PW, cwd=material)
    assert r.rc == EXIT_USAGE, r
    assert "--creds" in r.err


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """An HTTPS server with a self-signed certificate that answers 404 to everything."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = make_cert(tmp_path_factory.mktemp("tls"))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("cmd", IMAGE_CMDS + DIGEST_CMDS)
def test_insecure_accepts_self_signed_certificate(vigil, material, tls_server, cmd):
    ref = f"{tls_server}/team/app:v1"
    r = vigil(cmd, *cmd_args(cmd, material), ref, env=PW, cwd=material)
    assert r.rc == EXIT_NETWORK, r  # certificate not trusted
    r = vigil(cmd, *cmd_args(cmd, material), "--insecure", ref, env=PW, cwd=material)
    assert r.rc == EXIT_NOTFOUND, r  # TLS accepted; the server has no such manifest


@pytest.mark.parametrize("cmd", IMAGE_CMDS)
def test_platform_reaches_the_image_opener(vigil, tmp_path, cmd):
    lay, _, _ = build_multiarch(tmp_path / "oci", "m", ("linux/amd64", "linux/s390x"))
    ref = f"oci:{lay.path}:m"
    extra = cmd_args(cmd, tmp_path)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    r = vigil(cmd, *extra, "--platform", "linux/s390x", ref, env=env)
    assert r.rc == 0, r
    r = vigil(cmd, *extra, "--platform", "linux/mips64", ref, env=env)
    assert r.rc == EXIT_NOTFOUND, r
    assert "no manifest for platform linux/mips64" in r.err
    r = vigil(cmd, *extra, "--platform", "a/b/c/d", ref, env=env)
    assert r.rc == EXIT_USAGE, r
    assert "invalid platform" in r.err
