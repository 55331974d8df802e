# SPDX-License-Identifier: Apache-2.0
"""Conformance, content management (tag, manifest and blob deletion), and the error model
(JSON error bodies with spec codes, invalid names, hostile paths, API version header)."""
import pytest

from .regclient import (LEGACY_ERROR_CODES, MT_OCI_MANIFEST, SPEC_ERROR_CODES, digest_of)


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 answers DELETE of a tag with 400 "
                        "DIGEST_INVALID; v1.1 needs 202 (or 400 UNSUPPORTED / 405)")
def test_delete_tag(client, content, repo):
    md = content.push_image(client, repo, "keep")
    assert client.put_manifest(repo, "drop", content.manifest, MT_OCI_MANIFEST).status == 201
    r = client.request("DELETE", f"/v2/{repo}/manifests/drop")
    assert r.status in (202, 400, 405), r
    if r.status == 400:
        assert "UNSUPPORTED" in r.error_codes(), r
        pytest.fail("tag deletion is disabled; issue #12 requires it")
    assert r.status == 202, r
    assert client.get_manifest(repo, "drop").status == 404
    assert client.get_manifest(repo, "keep").status == 200
    assert client.get_manifest(repo, md).status == 200          # only the tag went
    tags = client.request("GET", f"/v2/{repo}/tags/list").json()["tags"]
    assert tags == ["keep"]


def test_delete_manifest_by_digest(client, content, repo):
    md = content.push_image(client, repo, "a")
    assert client.put_manifest(repo, "b", content.manifest, MT_OCI_MANIFEST).status == 201
    content.push_image(client, repo, "other", second=True)
    r = client.request("DELETE", f"/v2/{repo}/manifests/{md}")
    assert r.status == 202, r
    for ref in (md, "a", "b"):                  # every tag pointing at it went too
        assert client.get_manifest(repo, ref).status == 404, ref
    r = client.request("GET", f"/v2/{repo}/tags/list")
    assert r.status == 200 and r.json()["tags"] == ["other"], r
    r = client.request("DELETE", f"/v2/{repo}/manifests/{md}")
    assert r.status == 404, r
    assert "MANIFEST_UNKNOWN" in r.error_codes(), r


def test_delete_last_manifest_empties_tag_list(client, content, repo):
    md = content.push_image(client, repo, "only")
    assert client.request("DELETE", f"/v2/{repo}/manifests/{md}").status == 202
    r = client.request("GET", f"/v2/{repo}/tags/list")
    assert r.status in (200, 404), r
    if r.status == 200:
        assert not r.json().get("tags"), r
    else:
        assert "NAME_UNKNOWN" in r.error_codes(), r


def test_delete_blob(client, content, repo):
    content.push_image(client, repo)
    d = digest_of(content.layer)
    r = client.request("DELETE", f"/v2/{repo}/blobs/{d}")
    assert r.status == 202, r
    r = client.get_blob(repo, d)
    assert r.status == 404, r
    assert "BLOB_UNKNOWN" in r.error_codes(), r
    r = client.request("DELETE", f"/v2/{repo}/blobs/{d}")
    assert r.status == 404, r
    assert "BLOB_UNKNOWN" in r.error_codes(), r


def test_delete_blob_only_in_that_repository(client, content, repo):
    content.push_image(client, repo)
    content.push_image(client, repo + "-twin")
    d = digest_of(content.layer)
    assert client.request("DELETE", f"/v2/{repo}/blobs/{d}").status == 202
    assert client.get_blob(repo + "-twin", d).status == 200


# ------------------------------------------------------------------ errors

def test_error_bodies_are_spec_json(client, content, repo):
    content.push_image(client, repo)
    probes = [
        client.get_blob(repo, "sha256:" + "1" * 64),
        client.get_manifest(repo, "nope"),
        client.request("GET", f"/v2/{repo}-absent/tags/list"),
        client.request("GET", f"/v2/{repo}/blobs/uploads/not-a-session"),
    ]
    for r in probes:
        assert 400 <= r.status < 500, r
        doc = r.json()
        assert isinstance(doc.get("errors"), list) and doc["errors"], r
        for e in doc["errors"]:
            assert e["code"] in SPEC_ERROR_CODES | LEGACY_ERROR_CODES, r
            assert isinstance(e.get("message", ""), str)


def test_api_version_header_everywhere(client, content, repo):
    content.push_image(client, repo, "v1")
    for r in (client.get_manifest(repo, "v1"), client.get_manifest(repo, "nope"),
              client.get_blob(repo, digest_of(content.layer), "HEAD")):
        assert r.header("Docker-Distribution-API-Version") == "registry/2.0", r


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8's router answers an uppercase "
                        "name with a plain-text 404 page, not JSON NAME_INVALID")
def test_invalid_name_is_name_invalid(client):
    r = client.post_upload("conf/UpperCase")
    assert r.status in (400, 404), r
    assert "NAME_INVALID" in r.error_codes(), r


@pytest.mark.parametrize("path", [
    "/v2/conf/../../etc/passwd/manifests/latest",
    "/v2/conf/%2e%2e/%2e%2e/etc/tags/list",
    "/v2/conf/x/blobs/sha256:..%2f..%2f..%2fetc%2fpasswd",
    "/v2/conf/x/manifests/..%2f..%2f..%2fetc%2fpasswd",
])
def test_traversal_never_succeeds(client, path):
    r = client.request("GET", path)
    assert not 200 <= r.status < 300, r
    assert b"root:" not in r.body


def test_invalid_tag_refused(client, content, repo):
    for b in content.image_blobs():
        client.push_blob(repo, b)
    for bad in ("-leading-dash", "x" * 129):
        r = client.put_manifest(repo, bad, content.manifest, MT_OCI_MANIFEST)
        assert r.status in (400, 404), (bad, r)


def test_manifest_put_to_malformed_digest_is_400_with_spec_code(client, repo):
    """A PUT of an invalid manifest to reference `sha256:totallywrong`: 400 and a spec code."""
    r = client.put_manifest(repo, "sha256:totallywrong", b'{"schemaVersion": 2, "invalid": ',
                            MT_OCI_MANIFEST)
    assert r.status == 400, r
    codes = r.error_codes()
    assert codes and codes[0] in SPEC_ERROR_CODES, r
