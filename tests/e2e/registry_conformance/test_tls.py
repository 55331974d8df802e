# SPDX-License-Identifier: Apache-2.0
"""Each implementation serving HTTPS (a self-signed certificate for 127.0.0.1 given as
cert/key files): clients that verify the chain against that certificate push and pull through
it, and a plain-HTTP request to the TLS port gets no registry answer."""
import http.client
import shutil
import subprocess

import pytest

import images

from .regclient import Client, MT_OCI_MANIFEST


def test_tls_api_root_verified(tls_registry):
    c = Client(tls_registry.url, cafile=str(tls_registry.cert))
    r = c.request("GET", "/v2/")
    assert r.status == 200, r


def test_tls_plain_http_refused(tls_registry):
    conn = http.client.HTTPConnection(tls_registry.host, timeout=10)
    try:
        conn.request("GET", "/v2/")
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException):
        status = None
    finally:
        conn.close()
    assert status != 200


def test_tls_skopeo_push_pull_with_ca(tls_registry, tmp_path):
    if shutil.which("skopeo") is None:
        pytest.skip("skopeo is not installed")
    certs = tmp_path / "certs"
    certs.mkdir()
    shutil.copy(tls_registry.cert, certs / "ca.crt")     # skopeo: *.crt in the cert dir = CAs
    lay, img = images.build_image(tmp_path / "oci", tag="v1")
    ref = f"docker://{tls_registry.ref('conf/tls-skopeo')}:v1"
    subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", "--preserve-digests",
                    "--dest-cert-dir", str(certs), f"oci:{lay.path}:v1", ref],
                   check=True, capture_output=True)
    out = subprocess.run(["skopeo", "inspect", "--raw", "--cert-dir", str(certs), ref],
                         check=True, capture_output=True).stdout
    assert out == img.manifest_raw
    # Without the CA, verification fails: the certificate really is checked.
    p = subprocess.run(["skopeo", "inspect", "--raw", ref], capture_output=True, text=True)
    assert p.returncode != 0
    assert "certificate" in p.stderr.lower(), p.stderr


def test_tls_manifest_roundtrip_over_https(tls_registry, content):
    c = Client(tls_registry.url, cafile=str(tls_registry.cert))
    repo = "conf/tls-raw"
    md = content.push_image(c, repo, "v1")
    r = c.get_manifest(repo, "v1")
    assert r.status == 200 and r.body == content.manifest, r
    assert r.header("Docker-Content-Digest") == md
    assert r.header("Content-Type") == MT_OCI_MANIFEST
