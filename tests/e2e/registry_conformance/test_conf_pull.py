# SPDX-License-Identifier: Apache-2.0
"""Conformance, pull category (mandatory for every OCI registry): the API root, blob and
manifest HEAD/GET by tag and digest, ranges, the headers clients rely on, and the manifest
media types a v1.1 registry must store and serve byte-for-byte."""
import pytest

from .regclient import (MT_DOCKER_CONFIG, MT_DOCKER_LAYER, MT_DOCKER_LIST, MT_DOCKER_MANIFEST,
                        MT_OCI_INDEX, MT_OCI_MANIFEST, SPEC_ERROR_CODES, cjson, desc,
                        digest_of)

MISSING = "sha256:" + "0" * 63 + "1"


def test_api_root(client):
    r = client.request("GET", "/v2/")
    assert r.status == 200, r
    assert r.header("Docker-Distribution-API-Version") == "registry/2.0", r


def test_blob_missing_is_404(client, content, repo):
    content.push_image(client, repo)
    for method in ("HEAD", "GET"):
        r = client.get_blob(repo, MISSING, method)
        assert r.status == 404, r
    assert "BLOB_UNKNOWN" in client.get_blob(repo, MISSING).error_codes()


def test_blob_get_and_head(client, content, repo):
    content.push_image(client, repo)
    d = digest_of(content.layer)
    r = client.get_blob(repo, d)
    assert r.status == 200, r
    assert r.body == content.layer
    assert r.header("Docker-Content-Digest") == d
    assert int(r.header("Content-Length")) == len(content.layer)
    h = client.get_blob(repo, d, "HEAD")
    assert h.status == 200, h
    assert h.body == b""
    assert int(h.header("Content-Length")) == len(content.layer)
    assert h.header("Docker-Content-Digest") == d


def test_blob_etag(client, content, repo):
    content.push_image(client, repo)
    d = digest_of(content.layer)
    for method in ("GET", "HEAD"):
        etag = client.get_blob(repo, d, method).header("ETag")
        assert etag and d in etag, etag


def test_blob_range_206(client, content, repo):
    content.push_image(client, repo)
    d = digest_of(content.layer)
    n = len(content.layer)
    r = client.get_blob(repo, d, headers={"Range": "bytes=0-9"})
    assert r.status == 206, r
    assert r.body == content.layer[:10]
    assert r.header("Content-Range") == f"bytes 0-9/{n}"
    r = client.get_blob(repo, d, headers={"Range": f"bytes=100-{n - 1}"})
    assert r.status == 206, r
    assert r.body == content.layer[100:]


def test_blob_is_scoped_to_its_repository(client, content, repo):
    """A blob pushed to one repository is not visible from another (access boundary)."""
    content.push_image(client, repo)
    r = client.get_blob(repo + "-other", digest_of(content.layer))
    assert r.status == 404, r


@pytest.mark.parametrize("by", ["tag", "digest"])
def test_manifest_get_and_head(client, content, repo, by):
    md = content.push_image(client, repo, "v1")
    ref = "v1" if by == "tag" else md
    r = client.get_manifest(repo, ref)
    assert r.status == 200, r
    assert r.body == content.manifest                 # byte-for-byte
    assert r.header("Content-Type") == MT_OCI_MANIFEST
    assert r.header("Docker-Content-Digest") == md
    assert int(r.header("Content-Length")) == len(content.manifest)
    h = client.get_manifest(repo, ref, "HEAD")
    assert h.status == 200, h
    assert h.body == b""
    assert h.header("Docker-Content-Digest") == md
    assert h.header("Content-Type") == MT_OCI_MANIFEST
    assert int(h.header("Content-Length")) == len(content.manifest)
    assert md in (r.header("ETag") or ""), r


def test_manifest_missing_is_404(client, content, repo):
    content.push_image(client, repo, "v1")
    for ref in ("nosuchtag", MISSING):
        for method in ("HEAD", "GET"):
            r = client.get_manifest(repo, ref, method)
            assert r.status == 404, (ref, r)
        assert "MANIFEST_UNKNOWN" in client.get_manifest(repo, ref).error_codes()


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 answers 500 UNKNOWN to a malformed "
                        "digest reference, leaking a storage path (shared/docs/registry.md 4.5)")
def test_manifest_malformed_digest(client, content, repo):
    """The spec's conformance check: 400 with a spec error code, or 404."""
    content.push_image(client, repo, "v1")
    r = client.get_manifest(repo, "sha256:totallywrong")
    assert r.status in (400, 404), r
    if r.status == 400:
        assert set(r.error_codes()) & SPEC_ERROR_CODES, r


def test_manifest_served_whatever_the_accept_list_by_tag_with_wildcard(client, content, repo):
    content.push_image(client, repo, "v1")
    r = client.get_manifest(repo, "v1", accept=["*/*", MT_OCI_MANIFEST])
    assert r.status == 200 and r.body == content.manifest, r


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 answers 404 'OCI manifest found, but "
                        "accept header does not support OCI manifests' even by digest "
                        "(shared/docs/registry.md 4.5)")
def test_manifest_by_digest_served_without_oci_accept(client, content, repo):
    md = content.push_image(client, repo, "v1")
    r = client.get_manifest(repo, md, accept=[MT_DOCKER_MANIFEST])
    assert r.status == 200 and r.body == content.manifest, r


def test_docker_schema2_and_manifest_list(client, content, repo):
    """Docker media types stored and served byte-for-byte (with indentation kept)."""
    client.push_blob(repo, content.config)
    client.push_blob(repo, content.layer)
    client.push_blob(repo, content.config2)
    client.push_blob(repo, content.layer2)
    m1 = (b'{\n   "schemaVersion": 2,\n   "mediaType": "' + MT_DOCKER_MANIFEST.encode() +
          b'",\n   "config": ' + cjson(desc(content.config, MT_DOCKER_CONFIG)) +
          b',\n   "layers": [' + cjson(desc(content.layer, MT_DOCKER_LAYER)) + b']\n}')
    m2 = cjson({"schemaVersion": 2, "mediaType": MT_DOCKER_MANIFEST,
                "config": desc(content.config2, MT_DOCKER_CONFIG),
                "layers": [desc(content.layer2, MT_DOCKER_LAYER)]})
    for raw in (m1, m2):
        r = client.put_manifest(repo, digest_of(raw), raw, MT_DOCKER_MANIFEST)
        assert r.status == 201, r
    lst = cjson({"schemaVersion": 2, "mediaType": MT_DOCKER_LIST, "manifests": [
        desc(m1, MT_DOCKER_MANIFEST, platform={"architecture": "amd64", "os": "linux"}),
        desc(m2, MT_DOCKER_MANIFEST, platform={"architecture": "arm64", "os": "linux"})]})
    r = client.put_manifest(repo, "multi", lst, MT_DOCKER_LIST)
    assert r.status == 201, r
    assert r.header("Docker-Content-Digest") == digest_of(lst)
    r = client.get_manifest(repo, "multi")
    assert r.status == 200 and r.body == lst, r
    assert r.header("Content-Type") == MT_DOCKER_LIST
    r = client.get_manifest(repo, digest_of(m1))
    assert r.status == 200 and r.body == m1, r
    assert r.header("Content-Type") == MT_DOCKER_MANIFEST


def test_oci_index_and_nested_index(client, content, repo):
    content.push_image(client, repo, "a")
    content.push_image(client, repo, "b", second=True)
    idx = cjson({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": [
        desc(content.manifest, MT_OCI_MANIFEST, platform={"architecture": "amd64", "os": "linux"}),
        desc(content.manifest2, MT_OCI_MANIFEST,
             platform={"architecture": "arm64", "os": "linux", "variant": "v8"})]})
    r = client.put_manifest(repo, "multi", idx, MT_OCI_INDEX)
    assert r.status == 201, r
    outer = cjson({"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
                   "manifests": [desc(idx, MT_OCI_INDEX)]})
    r = client.put_manifest(repo, "nested", outer, MT_OCI_INDEX)
    assert r.status == 201, r
    for tag, raw in (("multi", idx), ("nested", outer)):
        r = client.get_manifest(repo, tag)
        assert r.status == 200 and r.body == raw, r
        assert r.header("Content-Type") == MT_OCI_INDEX
        assert r.header("Docker-Content-Digest") == digest_of(raw)
