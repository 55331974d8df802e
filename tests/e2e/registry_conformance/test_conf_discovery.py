# SPDX-License-Identifier: Apache-2.0
"""Conformance, content discovery: the tags list (sorted, `n`/`last`, `Link`), the catalog,
and the v1.1 referrers API (`artifactType` filter, `OCI-Filters-Applied`, `OCI-Subject`,
missing subjects, unknown digests)."""
import re
import urllib.parse

import pytest

from .regclient import MT_OCI_INDEX, MT_OCI_MANIFEST, cjson, desc, digest_of

NO_REFERRERS = ("distribution 2.8 has no referrers API (plain-text 404; "
                "distribution/distribution#3859)")
TYPE_A = "application/vnd.example.sbom.v1"
TYPE_B = "application/vnd.example.sig.v1"


def link_next(r):
    """The target of a `Link: <url>; rel="next"` header, or None."""
    for v in r.header_all("Link"):
        m = re.match(r'\s*<([^>]+)>\s*;\s*rel="?next"?', v)
        if m:
            return m.group(1)
    return None


def push_tags(client, content, repo, tags):
    for b in content.image_blobs():
        client.push_blob(repo, b)
    for t in tags:
        r = client.put_manifest(repo, t, content.manifest, MT_OCI_MANIFEST)
        assert r.status == 201, r


def test_tags_list(client, content, repo):
    tags = ["test3", "test0", "latest", "test2", "test1"]
    push_tags(client, content, repo, tags)
    r = client.request("GET", f"/v2/{repo}/tags/list")
    assert r.status == 200, r
    doc = r.json()
    assert doc["name"] == repo
    assert sorted(doc["tags"]) == sorted(tags)


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 ignores n/last and lists tags in "
                        "storage order (fixed in v3; registry.md 4.5)")
def test_tags_list_sorted_and_paginated(client, content, repo):
    tags = ["test3", "test0", "latest", "test2", "test1"]
    push_tags(client, content, repo, tags)
    want = sorted(tags)
    assert client.request("GET", f"/v2/{repo}/tags/list").json()["tags"] == want
    r = client.request("GET", f"/v2/{repo}/tags/list?n=2")
    assert r.status == 200, r
    assert r.json()["tags"] == want[:2]
    # Follow Link to the end: every tag exactly once, in order.
    seen, nxt = list(want[:2]), link_next(r)
    assert nxt, r
    for _ in range(10):
        if not nxt:
            break
        r = client.request("GET", nxt)
        assert r.status == 200, r
        page = r.json()["tags"]
        assert 0 < len(page) <= 2
        seen += page
        nxt = link_next(r)
    assert seen == want
    r = client.request("GET", f"/v2/{repo}/tags/list?n=2&last={want[1]}")
    assert r.json()["tags"] == want[2:4], r
    r = client.request("GET", f"/v2/{repo}/tags/list?last={want[2]}")
    assert r.json()["tags"] == want[3:], r
    r = client.request("GET", f"/v2/{repo}/tags/list?n=0")
    assert r.status == 200 and r.json()["tags"] in ([], None), r
    assert link_next(r) is None, r


def test_tags_list_unknown_repository(client, repo):
    r = client.request("GET", f"/v2/{repo}/tags/list")
    assert r.status == 404, r
    assert "NAME_UNKNOWN" in r.error_codes(), r


def test_catalog_lists_repositories_with_pagination(client, content, repo):
    names = [repo + "-a", repo + "-b", repo + "-c"]
    for n in names:
        content.push_image(client, n)
    r = client.request("GET", "/v2/_catalog")
    assert r.status == 200, r
    repos = r.json()["repositories"]
    assert set(names) <= set(repos)
    assert repos == sorted(repos)
    r = client.request("GET", "/v2/_catalog?" + urllib.parse.urlencode({"n": 2,
                                                                        "last": names[0]}))
    assert r.status == 200, r
    assert r.json()["repositories"] == names[1:3]
    assert link_next(r), r


# ------------------------------------------------------------------ referrers

class Referrers:
    """The spec's referrers data set: a subject image, two artifacts of type A, two of type B
    (one an index), each with exactly one annotation, and one artifact whose subject does not
    exist in the registry."""

    def __init__(self, client, content, repo):
        self.c, self.repo = client, repo
        self.subject_digest = content.push_image(client, repo, "subject")
        self.subject = desc(content.manifest, MT_OCI_MANIFEST)
        client.push_blob(repo, content.empty)
        self.put_responses = []
        self.arts = []
        for i, at in enumerate([TYPE_A, TYPE_A, TYPE_B]):
            payload = f"payload {i}".encode()
            client.push_blob(repo, payload)
            raw = content.artifact(self.subject, at, {"org.example.n": str(i)}, payload)
            self.arts.append(self.put(raw, MT_OCI_MANIFEST, at))
        # An index with a subject and an artifactType, listing one of the artifacts.
        idx = cjson({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "artifactType": TYPE_B,
                     "manifests": [self.arts[0]], "subject": self.subject,
                     "annotations": {"org.example.n": "3"}})
        self.arts.append(self.put(idx, MT_OCI_INDEX, TYPE_B))
        # An image manifest without artifactType: its config media type stands in.
        cfgless = cjson({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                         "config": {**content.empty_desc,
                                    "mediaType": "application/vnd.example.config.v1+json"},
                         "layers": [content.empty_desc], "subject": self.subject,
                         "annotations": {"org.example.n": "4"}})
        self.arts.append(self.put(cfgless, MT_OCI_MANIFEST,
                                  "application/vnd.example.config.v1+json"))
        # One artifact whose subject was never pushed.
        self.missing_subject = desc(b"absent subject", MT_OCI_MANIFEST)
        raw = content.artifact(self.missing_subject, TYPE_A, {"org.example.n": "5"})
        self.orphan = self.put(raw, MT_OCI_MANIFEST, TYPE_A, subject=self.missing_subject)

    def put(self, raw, media_type, artifact_type, subject=None):
        d = digest_of(raw)
        r = self.c.put_manifest(self.repo, d, raw, media_type)
        assert r.status == 201, r
        self.put_responses.append((r, (subject or self.subject)["digest"]))
        return {"mediaType": media_type, "digest": d, "size": len(raw),
                "artifactType": artifact_type}

    def get(self, digest, **params):
        t = f"/v2/{self.repo}/referrers/{digest}"
        if params:
            t += "?" + urllib.parse.urlencode(params)
        return self.c.request("GET", t)


def descriptors(r):
    assert r.status == 200, r
    assert r.header("Content-Type").split(";")[0].strip() == MT_OCI_INDEX, r
    doc = r.json()
    assert doc["schemaVersion"] == 2 and doc.get("mediaType", MT_OCI_INDEX) == MT_OCI_INDEX
    return doc["manifests"]


@pytest.mark.xfail_impl("docker-registry", NO_REFERRERS)
def test_referrers_list(client, content, repo):
    ref = Referrers(client, content, repo)
    got = descriptors(ref.get(ref.subject_digest))
    assert len(got) == 5, got
    want = {a["digest"]: a for a in ref.arts}
    for d in got:
        w = want.pop(d["digest"])
        assert d["mediaType"] == w["mediaType"] and d["size"] == w["size"], d
        assert d["artifactType"] == w["artifactType"], d
        assert len(d["annotations"]) == 1, d                  # copied verbatim
        assert "org.example.n" in d["annotations"]
    assert not want


@pytest.mark.xfail_impl("docker-registry", NO_REFERRERS)
def test_referrers_artifact_type_filter(client, content, repo):
    ref = Referrers(client, content, repo)
    r = ref.get(ref.subject_digest, artifactType=TYPE_B)
    got = descriptors(r)
    applied = r.header("OCI-Filters-Applied")
    if applied is None:                 # allowed: unfiltered, the client filters
        assert len(got) == 5, got
    else:
        assert "artifactType" in [f.strip() for f in applied.split(",")], r
        assert sorted(d["digest"] for d in got) == sorted(
            a["digest"] for a in ref.arts if a["artifactType"] == TYPE_B)


@pytest.mark.xfail_impl("docker-registry", NO_REFERRERS)
def test_referrers_filter_is_applied(client, content, repo):
    """Issue #12 requires the filter to be applied (and said so with OCI-Filters-Applied)."""
    ref = Referrers(client, content, repo)
    r = ref.get(ref.subject_digest, artifactType=TYPE_A)
    got = descriptors(r)
    assert r.header("OCI-Filters-Applied") == "artifactType", r
    assert len(got) == 2 and all(d["artifactType"] == TYPE_A for d in got), got


@pytest.mark.xfail_impl("docker-registry", NO_REFERRERS)
def test_referrers_of_missing_subject_and_unknown_digest(client, content, repo):
    ref = Referrers(client, content, repo)
    got = descriptors(ref.get(ref.missing_subject["digest"]))
    assert [d["digest"] for d in got] == [ref.orphan["digest"]]
    assert descriptors(ref.get("sha256:" + "ab" * 32)) == []


@pytest.mark.xfail_impl("docker-registry", NO_REFERRERS)
def test_referrers_bad_digest_is_400(client, content, repo):
    content.push_image(client, repo)
    r = client.request("GET", f"/v2/{repo}/referrers/sha256:nothex")
    assert r.status == 400, r


@pytest.mark.xfail_impl("docker-registry", "distribution 2.8 does not answer OCI-Subject on a "
                        "manifest PUT with a subject (v1.1 feature)")
def test_oci_subject_header_on_put(client, content, repo):
    ref = Referrers(client, content, repo)
    for r, subject in ref.put_responses:
        assert r.header("OCI-Subject") == subject, r


@pytest.mark.xfail_impl("docker-registry", NO_REFERRERS)
def test_referrer_deleted_leaves_the_list(client, content, repo):
    ref = Referrers(client, content, repo)
    gone = ref.arts[1]["digest"]
    r = client.request("DELETE", f"/v2/{repo}/manifests/{gone}")
    assert r.status == 202, r
    got = descriptors(ref.get(ref.subject_digest))
    assert gone not in [d["digest"] for d in got] and len(got) == 4, got
