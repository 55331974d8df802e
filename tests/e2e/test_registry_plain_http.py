# SPDX-License-Identifier: Apache-2.0
"""Registries that speak plain HTTP, without --plain-http.

As go-containerregistry tools do (Trivy, crane), a registry on localhost, 127.0.0.0/8 or [::1]
that answers the TLS handshake in plain HTTP ("wrong version number") is spoken to over HTTP.
Any other host only with --insecure (or always HTTP with --plain-http); without them the
one-line error says that the registry seems to speak plain HTTP and names both flags. The
loopback cases run against Debian's docker-registry over plain HTTP (skipped without it or
skopeo); the other-host case against a Python HTTP server reached through this machine's host
name (skipped when that name does not reach it).
"""
import http.server
import socket
import threading
import urllib.request

import pytest

from images import build_image
from registry_fixtures import Registry


@pytest.fixture(scope="module")
def plain_reg(tmp_path_factory):
    d = tmp_path_factory.mktemp("plainreg")
    reg = Registry(d).start()
    lay, _ = build_image(d / "oci", tag="v1",
                         layers=[{"etc/os-release": "ID=alpine\nVERSION_ID=3.19.1\n"}])
    reg.push(f"oci:{lay.path}:v1", "team/app:v1")
    yield reg
    reg.stop()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_registry_falls_back_to_http(vigil, plain_reg, host):
    ref = f"{host}:{plain_reg.port}/team/app:v1"
    r = vigil("inspect", ref)
    if host == "localhost" and r.rc == 7 and "connect" in r.err.lower():
        pytest.skip("localhost does not resolve to 127.0.0.1 here")
    assert r.rc == 0, r
    assert "sha256:" in r.out, r
    r = vigil("sbom", "--format", "json", ref)
    assert r.rc == 0, r
    # The explicit flag still works and gives the same answer.
    assert vigil("inspect", "--plain-http", ref).out == vigil("inspect", ref).out


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def other_host():
    """(name, port) of a plain HTTP server reached by a host name that is not a loopback one
    by its spelling (this machine's name)."""
    name = socket.gethostname()
    if not name or name.lower() == "localhost" or name.startswith("127."):
        pytest.skip("no usable host name")
    srv = http.server.ThreadingHTTPServer(("0.0.0.0", 0), _NotFound)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    port = srv.server_address[1]
    try:
        urllib.request.urlopen(f"http://{name}:{port}/v2/", timeout=5)
    except urllib.error.HTTPError:
        pass  # 404: reachable
    except OSError:
        srv.shutdown()
        pytest.skip(f"{name} does not reach a local server")
    yield name, port
    srv.shutdown()
    srv.server_close()


def test_other_host_fails_with_a_hint_unless_insecure(vigil, other_host):
    name, port = other_host
    ref = f"{name}:{port}/team/app:v1"
    r = vigil("inspect", ref)
    assert r.rc == 7, r
    lines = [l for l in r.err.splitlines() if l.startswith("vigil: error:")]
    assert len(lines) == 1, r
    assert "the server seems to speak plain HTTP; use --plain-http, or --insecure" in lines[0], r
    assert f"https://{name}:{port}/v2/" in lines[0], r
    # --insecure falls back to HTTP (the server answers 404: not found, exit 4), as does
    # --plain-http from the start.
    r = vigil("inspect", "--insecure", ref)
    assert r.rc == 4 and "seems to speak plain HTTP" not in r.err, r
    r = vigil("inspect", "--plain-http", ref)
    assert r.rc == 4, r
