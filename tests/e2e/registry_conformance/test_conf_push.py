# SPDX-License-Identifier: Apache-2.0
"""Conformance, push category: the blob upload flows (streamed, monolithic POST+PUT, single
POST, chunked with Content-Range and 416, status, cancel), cross-repository mount, sha256 and
sha512 digests, the zero-byte blob, and manifest upload (tags, digests, validation, size)."""
import re
import urllib.parse

import pytest

from .regclient import (MT_OCI_CONFIG, MT_OCI_INDEX, MT_OCI_LAYER, MT_OCI_MANIFEST, b64, cjson,
                        desc, digest_of, pseudo_random)

OCT = {"Content-Type": "application/octet-stream"}


def blob_visible(client, repo, d, data):
    r = client.get_blob(repo, d)
    assert r.status == 200, r
    assert r.body == data
    assert r.header("Docker-Content-Digest") == d


def test_streamed_upload(client, repo):
    data = pseudo_random("streamed", 70000)
    d = digest_of(data)
    r = client.post_upload(repo)
    assert r.status == 202 and r.location, r
    r = client.request("PATCH", r.location, body=data, headers=OCT)  # no Content-Range
    assert r.status == 202 and r.location, r
    assert r.header("Range") == f"0-{len(data) - 1}", r
    r = client.request("PUT", client.with_query(r.location, digest=d), body=b"", headers=OCT)
    assert r.status == 201, r
    assert urllib.parse.urlsplit(r.location).path == f"/v2/{repo}/blobs/{d}", r
    assert r.header("Docker-Content-Digest") == d
    blob_visible(client, repo, d, data)


def test_monolithic_post_put(client, repo, content):
    d = digest_of(content.config)
    assert client.get_blob(repo, d).status == 404
    r = client.post_upload(repo)
    assert r.status == 202 and r.location, r
    r = client.request("PUT", client.with_query(r.location, digest=d), body=content.config,
                       headers=OCT)
    assert r.status == 201 and r.location, r
    assert r.header("Docker-Content-Digest") == d
    blob_visible(client, repo, d, content.config)


def test_single_post_spec_semantics(client, repo):
    """POST ?digest= with the body: 201 (stored), or 202 when unsupported — and then the blob
    must not have been made visible from the ignored body."""
    data = pseudo_random("single-post-a", 1500)
    d = digest_of(data)
    r = client.request("POST", client.with_query(f"/v2/{repo}/blobs/uploads/", digest=d),
                       body=data, headers=OCT)
    assert r.status in (201, 202) and r.location, r
    if r.status == 201:
        blob_visible(client, repo, d, data)
    else:
        assert client.get_blob(repo, d).status == 404


@pytest.mark.xfail_impl("docker-registry", "single-POST upload is optional in the spec; "
                        "distribution 2.8 answers 202 and ignores the body (registry.md 4.5)")
def test_single_post_creates_blob(client, repo):
    """Issue #12 requires the single-POST flow (end-4b)."""
    data = pseudo_random("single-post-b", 1500)
    d = digest_of(data)
    r = client.request("POST", client.with_query(f"/v2/{repo}/blobs/uploads/", digest=d),
                       body=data, headers=OCT)
    assert r.status == 201, r
    assert urllib.parse.urlsplit(r.location).path == f"/v2/{repo}/blobs/{d}", r
    blob_visible(client, repo, d, data)


def patch_chunk(client, loc, data, start):
    return client.request("PATCH", loc, body=data, headers={
        **OCT, "Content-Range": f"{start}-{start + len(data) - 1}"})


def test_chunked_upload_with_status(client, repo, content):
    c1, c2 = content.chunks
    d = digest_of(content.chunked)
    r = client.request("POST", f"/v2/{repo}/blobs/uploads/", body=b"",
                       headers={"Content-Length": "0"})
    assert r.status == 202 and r.location, r
    mn = r.header("OCI-Chunk-Min-Length")
    if mn is not None:
        assert re.fullmatch(r"[0-9]+", mn) and int(mn) <= len(c1), r  # our chunks fit it
    r = patch_chunk(client, r.location, c1, 0)
    assert r.status == 202 and r.location, r
    assert r.header("Range") == f"0-{len(c1) - 1}", r
    s = client.request("GET", r.location)
    assert s.status == 204, s
    assert s.header("Range") == f"0-{len(c1) - 1}", s
    assert s.location, s
    r = patch_chunk(client, s.location, c2, len(c1))
    assert r.status == 202, r
    assert r.header("Range") == f"0-{len(content.chunked) - 1}", r
    r = client.request("PUT", client.with_query(r.location, digest=d), body=b"", headers=OCT)
    assert r.status == 201 and r.location, r
    blob_visible(client, repo, d, content.chunked)


def test_chunked_final_chunk_on_put(client, repo, content):
    c1, c2 = content.chunks
    d = digest_of(content.chunked)
    r = client.post_upload(repo)
    r = patch_chunk(client, r.location, c1, 0)
    assert r.status == 202, r
    r = client.request("PUT", client.with_query(r.location, digest=d), body=c2, headers={
        **OCT, "Content-Range": f"{len(c1)}-{len(content.chunked) - 1}"})
    assert r.status == 201 and r.location, r
    blob_visible(client, repo, d, content.chunked)


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 appends an out-of-order chunk at "
                        "offset 0 instead of answering 416 (fixed in v3; registry.md 4.5)")
def test_chunked_out_of_order_is_416(client, repo, content):
    c1, c2 = content.chunks
    r = client.post_upload(repo)
    loc = r.location
    r = patch_chunk(client, loc, c2, len(c1))        # second chunk first
    assert r.status == 416, r
    s = client.request("GET", loc)                    # nothing was taken
    assert s.status == 204, s
    assert s.header("Range") in (None, "0-0", "0--1"), s  # empty session; ambiguous in spec


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 appends a re-sent chunk again "
                        "instead of answering 416 (fixed in v3; registry.md 4.5)")
def test_chunked_repeated_chunk_is_416_then_resume(client, repo, content):
    c1, c2 = content.chunks
    d = digest_of(content.chunked)
    r = client.post_upload(repo)
    r = patch_chunk(client, r.location, c1, 0)
    assert r.status == 202, r
    loc = r.location
    again = patch_chunk(client, loc, c1, 0)
    assert again.status == 416, again
    s = client.request("GET", loc)                    # where to resume
    assert s.status == 204 and s.header("Range") == f"0-{len(c1) - 1}", s
    r = patch_chunk(client, s.location, c2, len(c1))
    assert r.status == 202, r
    r = client.request("PUT", client.with_query(r.location, digest=d), body=b"", headers=OCT)
    assert r.status == 201, r
    blob_visible(client, repo, d, content.chunked)


@pytest.mark.xfail_impl("docker-registry", "an out-of-order final chunk on the closing PUT must "
                        "be 416 (spec main, post-1.1); distribution 2.8 appends it")
def test_chunked_out_of_order_final_put_is_416(client, repo, content):
    c1, c2 = content.chunks
    r = client.post_upload(repo)
    r = patch_chunk(client, r.location, c1, 0)
    assert r.status == 202, r
    d = digest_of(content.chunked)
    bad = len(c1) + 7
    r = client.request("PUT", client.with_query(r.location, digest=d), body=c2, headers={
        **OCT, "Content-Range": f"{bad}-{bad + len(c2) - 1}"})
    assert r.status == 416, r
    assert client.get_blob(repo, d).status == 404


def test_upload_cancel(client, repo):
    r = client.post_upload(repo)
    r = client.request("PATCH", r.location, body=b"abandoned", headers=OCT)
    assert r.status == 202, r
    loc = r.location
    r = client.request("DELETE", loc)
    assert r.status == 204, r
    s = client.request("GET", loc)
    assert s.status == 404, s
    assert "BLOB_UPLOAD_UNKNOWN" in s.error_codes(), s


def test_digest_mismatch_is_400_and_invisible(client, repo):
    data = b"the real bytes"
    lie = digest_of(b"other bytes")
    r = client.post_upload(repo)
    r = client.request("PUT", client.with_query(r.location, digest=lie), body=data, headers=OCT)
    assert r.status == 400, r
    assert "DIGEST_INVALID" in r.error_codes(), r
    assert client.get_blob(repo, lie).status == 404
    assert client.get_blob(repo, digest_of(data)).status == 404


def test_unknown_upload_session(client, repo):
    client.post_upload(repo)
    r = client.request("GET", f"/v2/{repo}/blobs/uploads/00000000-0000-4000-8000-000000000000")
    assert r.status == 404, r
    assert set(r.error_codes()) & {"BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID"}, r


def test_mount_from_other_repository(client, repo, content):
    src = repo + "-src"
    content.push_image(client, src)
    d = digest_of(content.layer)
    assert client.get_blob(repo, d).status == 404
    r = client.post_upload(repo, mount=d, **{"from": src})
    assert r.status == 201, r
    assert urllib.parse.urlsplit(r.location).path == f"/v2/{repo}/blobs/{d}", r
    assert r.header("Docker-Content-Digest") == d
    blob_visible(client, repo, d, content.layer)


def test_mount_without_from_or_of_missing_blob_opens_upload(client, repo, content):
    src = repo + "-src"
    content.push_image(client, src)
    d = digest_of(content.layer)
    r = client.post_upload(repo, mount=d)           # no automatic content discovery assumed
    assert r.status in (201, 202), r
    if r.status == 202:
        assert r.location, r
        assert client.get_blob(repo, d).status == 404
    missing = digest_of(b"never pushed anywhere")
    r = client.post_upload(repo, mount=missing, **{"from": src})
    assert r.status == 202 and r.location, r
    # ...and that session is a usable upload.
    data = b"fallback upload"
    r = client.request("PUT", client.with_query(r.location, digest=digest_of(data)), body=data,
                       headers=OCT)
    assert r.status == 201, r


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 stores sha512-addressed blobs but "
                        "answers their sha256 digest in Docker-Content-Digest")
def test_sha512_blob(client, repo):
    data = pseudo_random("sha512", 5000)
    d = client.push_blob(repo, data, alg="sha512")
    assert d.startswith("sha512:") and len(d) == 7 + 128
    blob_visible(client, repo, d, data)
    assert client.get_blob(repo, d, "HEAD").status == 200


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 stores sha512-addressed blobs but "
                        "answers their sha256 digest in Docker-Content-Digest")
def test_sha512_streamed_with_digest_algorithm(client, repo):
    """POST ?digest-algorithm=sha512 (spec main) announces the algorithm; a registry that does
    not know the parameter ignores it, and the close with a sha512 digest must still work."""
    data = pseudo_random("sha512-streamed", 9000)
    d = digest_of(data, "sha512")
    r = client.post_upload(repo, **{"digest-algorithm": "sha512"})
    assert r.status == 202 and r.location, r
    r = client.request("PATCH", r.location, body=data, headers=OCT)
    assert r.status == 202, r
    r = client.request("PUT", client.with_query(r.location, digest=d), body=b"", headers=OCT)
    assert r.status == 201, r
    blob_visible(client, repo, d, data)


def test_unsupported_digest_algorithm_is_400(client, repo):
    r = client.post_upload(repo)
    r = client.request("PUT", client.with_query(r.location, digest="md5:" + "0" * 32),
                       body=b"x", headers=OCT)
    assert r.status == 400, r


def test_zero_byte_blob(client, repo):
    d = client.push_blob(repo, b"")
    assert d == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    r = client.get_blob(repo, d)
    assert r.status == 200 and r.body == b"", r
    assert int(r.header("Content-Length")) == 0


def test_manifest_put_tags(client, repo, content):
    for b in content.image_blobs():
        client.push_blob(repo, b)
    md = digest_of(content.manifest)
    for i in range(4):
        r = client.put_manifest(repo, f"test{i}", content.manifest, MT_OCI_MANIFEST)
        assert r.status == 201 and r.location, r
        assert r.header("Docker-Content-Digest") == md
    r = client.get_manifest(repo, md, accept=[MT_OCI_MANIFEST])
    assert r.status == 200 and r.body == content.manifest, r
    for i in range(4):
        assert client.get_manifest(repo, f"test{i}").header("Docker-Content-Digest") == md


def test_manifest_put_by_digest_untagged(client, repo, content):
    for b in content.image_blobs():
        client.push_blob(repo, b)
    md = digest_of(content.manifest)
    r = client.put_manifest(repo, md, content.manifest, MT_OCI_MANIFEST)
    assert r.status == 201, r
    assert r.header("Docker-Content-Digest") == md
    assert urllib.parse.urlsplit(r.location).path == f"/v2/{repo}/manifests/{md}", r
    assert client.get_manifest(repo, md).body == content.manifest


def test_manifest_put_by_wrong_digest_is_400(client, repo, content):
    for b in content.image_blobs():
        client.push_blob(repo, b)
    r = client.put_manifest(repo, digest_of(b"something else"), content.manifest,
                            MT_OCI_MANIFEST)
    assert r.status == 400, r
    assert set(r.error_codes()) & {"DIGEST_INVALID", "MANIFEST_INVALID"}, r


def test_manifest_with_empty_layers(client, repo, content):
    client.push_blob(repo, content.config)
    raw = cjson({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                 "config": desc(content.config, MT_OCI_CONFIG), "layers": []})
    r = client.put_manifest(repo, "nolayers", raw, MT_OCI_MANIFEST)
    assert r.status == 201, r
    assert client.get_manifest(repo, "nolayers").body == raw


def test_manifest_missing_blobs_refused(client, repo, content):
    """Each missing descriptor is named (MANIFEST_BLOB_UNKNOWN); nothing becomes visible."""
    client.push_blob(repo, content.config)
    r = client.put_manifest(repo, "v1", content.manifest, MT_OCI_MANIFEST)
    assert r.status == 400, r
    assert "MANIFEST_BLOB_UNKNOWN" in r.error_codes(), r
    assert client.get_manifest(repo, "v1").status == 404


def test_index_with_missing_child_refused(client, repo, content):
    raw = cjson({"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
                 "manifests": [desc(content.manifest, MT_OCI_MANIFEST)]})
    r = client.put_manifest(repo, "idx", raw, MT_OCI_INDEX)
    assert r.status == 400, r
    assert set(r.error_codes()) & {"MANIFEST_BLOB_UNKNOWN", "MANIFEST_UNKNOWN"}, r


def test_manifest_with_missing_subject_accepted(client, repo, content):
    """A signature may be pushed before its image: a missing subject is no reason to refuse."""
    client.push_blob(repo, content.empty)
    subject = desc(b"not pushed", MT_OCI_MANIFEST)
    raw = content.artifact(subject, "application/vnd.example.sig", {"k": "v"})
    r = client.put_manifest(repo, digest_of(raw), raw, MT_OCI_MANIFEST)
    assert r.status == 201, r


def test_manifest_content_type_mismatch_is_400(client, repo, content):
    for b in content.image_blobs():
        client.push_blob(repo, b)
    r = client.put_manifest(repo, "v1", content.manifest, MT_OCI_INDEX)
    assert r.status == 400, r
    assert "MANIFEST_INVALID" in r.error_codes(), r


def test_manifest_not_json_is_400(client, repo):
    r = client.put_manifest(repo, "v1", b"{not json", MT_OCI_MANIFEST)
    assert r.status == 400, r
    assert "MANIFEST_INVALID" in r.error_codes(), r


def test_manifest_data_field_and_custom_fields(client, repo, content):
    """Descriptors with inline `data` and unknown extra members are stored as pushed (data
    shapes of the spec's main suite)."""
    client.push_blob(repo, content.config)
    client.push_blob(repo, content.layer)
    cfg = {**desc(content.config, MT_OCI_CONFIG), "data": b64(content.config)}
    raw = cjson({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST, "config": cfg,
                 "layers": [desc(content.layer, MT_OCI_LAYER)],
                 "vnd.example.custom": {"kept": True}})
    r = client.put_manifest(repo, "shapes", raw, MT_OCI_MANIFEST)
    assert r.status == 201, r
    assert client.get_manifest(repo, "shapes").body == raw


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 answers 500 'blob unknown' for an "
                        "OCI non-distributable layer it does not hold")
def test_manifest_nondistributable_layer_without_blob(client, repo, content):
    """A non-distributable (foreign) layer is accepted without the registry holding it."""
    client.push_blob(repo, content.config)
    client.push_blob(repo, content.layer)
    foreign = {"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
               "digest": digest_of(b"foreign layer"), "size": 13,
               "urls": ["https://example.com/foreign.tar.gz"]}
    raw = cjson({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                 "config": desc(content.config, MT_OCI_CONFIG),
                 "layers": [desc(content.layer, MT_OCI_LAYER), foreign]})
    r = client.put_manifest(repo, "foreign", raw, MT_OCI_MANIFEST)
    assert r.status == 201, r
    assert client.get_manifest(repo, "foreign").body == raw


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 hashes every manifest with sha256 "
                        "and refuses a PUT by sha512 digest with DIGEST_INVALID")
def test_sha512_manifest_and_blobs(client, repo, content):
    """Content addressed with sha512 throughout (the spec main suite's SHA512 data shape)."""
    cfg_d = client.push_blob(repo, content.config, alg="sha512")
    lay_d = client.push_blob(repo, content.layer, alg="sha512")
    raw = cjson({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                 "config": desc(content.config, MT_OCI_CONFIG, "sha512"),
                 "layers": [desc(content.layer, MT_OCI_LAYER, "sha512")]})
    assert cfg_d in raw.decode() and lay_d in raw.decode()
    md = digest_of(raw, "sha512")
    r = client.put_manifest(repo, md, raw, MT_OCI_MANIFEST)
    assert r.status == 201, r
    assert r.header("Docker-Content-Digest") == md
    r = client.get_manifest(repo, md)
    assert r.status == 200 and r.body == raw, r
    assert r.header("Docker-Content-Digest") == md


def test_manifest_near_4mib_accepted(client, repo, content):
    for b in content.image_blobs():
        client.push_blob(repo, b)
    m = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
         "config": desc(content.config, MT_OCI_CONFIG),
         "layers": [desc(content.layer, MT_OCI_LAYER)],
         "annotations": {"pad": ""}}
    m["annotations"]["pad"] = "x" * (4 * 1024 * 1024 - len(cjson(m)) - 64)
    raw = cjson(m)
    assert 4 * 1024 * 1024 - 128 < len(raw) <= 4 * 1024 * 1024
    r = client.put_manifest(repo, "big", raw, MT_OCI_MANIFEST)
    assert r.status == 201, r
    assert client.get_manifest(repo, "big").body == raw


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 answers an oversized manifest with "
                        "400 MANIFEST_INVALID 'http: request body too large', not 413")
def test_manifest_over_limit_is_413(client, repo, content):
    for b in content.image_blobs():
        client.push_blob(repo, b)
    m = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
         "config": desc(content.config, MT_OCI_CONFIG),
         "layers": [desc(content.layer, MT_OCI_LAYER)],
         "annotations": {"pad": "x" * (5 * 1024 * 1024)}}
    r = client.put_manifest(repo, "toobig", cjson(m), MT_OCI_MANIFEST)
    assert r.status == 413, r
    assert client.get_manifest(repo, "toobig").status == 404


@pytest.mark.xfail_impl("docker-registry", "PUT by digest with ?tag= (OCI-Tag) is post-1.1 "
                        "(spec main); distribution 2.8 ignores the parameter")
def test_manifest_put_by_digest_with_tag_params(client, repo, content):
    for b in content.image_blobs():
        client.push_blob(repo, b)
    md = digest_of(content.manifest)
    tags = [f"t{i}" for i in range(10)]
    r = client.put_manifest(repo, md, content.manifest, MT_OCI_MANIFEST, tag=tags)
    assert r.status == 201, r
    assert sorted(r.header_all("OCI-Tag")) == sorted(tags), r
    for t in tags:
        assert client.get_manifest(repo, t).header("Docker-Content-Digest") == md
