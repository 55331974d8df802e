# SPDX-License-Identifier: Apache-2.0
"""`vigil registry serve` operations with authentication on: `/v2/_catalog` lists only the
repositories the caller may pull (with `n`/`last`/`Link` over what it may see), and the OAuth2
`POST /token` form next to `GET /token` (docs/registry.md "Authentication and authorization").
"""
from __future__ import annotations

import json
import urllib.parse

import pytest

from registry_conformance.regclient import digest_of
from test_registry_auth import AuthClient, basic, htpasswd_line, start, stop, token


@pytest.fixture
def users(tmp_path):
    f = tmp_path / "htpasswd"
    f.write_text("\n".join(htpasswd_line(u, f"{u}-pw") for u in ("ci", "dana", "erin")) + "\n")
    return f


CATALOG_RULES = """access:
  - {repos: ["**"], users: [ci], actions: [pull, push, catalog]}
  - {repos: ["team/a*", "bulk/r5*"], users: [dana], actions: [pull, catalog]}
  - {repos: ["team/**"], users: [erin], actions: [pull]}
  - {repos: ["pub/**"], anonymous: [pull]}
"""


def seed(c: AuthClient, repos: list[str]):
    """Creates each repository with one single-POST blob upload (cheap: one request each)."""
    data = b"catalog seed"
    d = digest_of(data)
    for repo in repos:
        r = c.request("POST", c.with_query(f"/v2/{repo}/blobs/uploads/", digest=d), body=data,
                      headers={"Content-Type": "application/octet-stream"})
        assert r.status == 201, (repo, r)


def catalog(c: AuthClient, target="/v2/_catalog"):
    r = c.request("GET", target)
    assert r.status == 200, r
    link = r.header("Link")
    nxt = None
    if link:
        assert link.startswith("<") and link.endswith('>; rel="next"'), link
        nxt = link[1:link.index(">")]
    return r.json()["repositories"], nxt


def walk(c: AuthClient, n: int) -> list[list[str]]:
    pages, target = [], f"/v2/_catalog?n={n}"
    while target:
        names, target = catalog(c, target)
        pages.append(names)
        assert len(pages) < 100
    return pages


def test_catalog_filtered_by_pull_permission(tmp_path, users):
    reg = start(tmp_path / "srv", f"auth:\n  htpasswd: {users}\n" + CATALOG_RULES)
    try:
        ci = AuthClient(reg.url, basic("ci", "ci-pw"))
        small = ["pub/x", "team/a1", "team/a2", "team/a3", "team/b1", "zz"]
        seed(ci, small)
        everything, nxt = catalog(ci)
        assert everything == sorted(small) and nxt is None

        dana = AuthClient(reg.url, basic("dana", "dana-pw"))
        mine, nxt = catalog(dana)
        assert mine == ["pub/x", "team/a1", "team/a2", "team/a3"] and nxt is None
        # pages over the visible names: a full last page has no Link even though invisible
        # repositories (team/b1, zz) come after it
        assert walk(dana, 2) == [["pub/x", "team/a1"], ["team/a2", "team/a3"]]
        assert walk(dana, 3) == [["pub/x", "team/a1", "team/a2"], ["team/a3"]]
        names, nxt = catalog(dana, "/v2/_catalog?last=team/a1")
        assert names == ["team/a2", "team/a3"] and nxt is None
        names, nxt = catalog(dana, "/v2/_catalog?n=0")
        assert names == [] and nxt is None

        # pull without catalog: refused, as before; anonymous: challenged
        r = AuthClient(reg.url, basic("erin", "erin-pw")).request("GET", "/v2/_catalog")
        assert r.status == 403 and r.error_codes() == ["DENIED"], r
        r = AuthClient(reg.url, None).request("GET", "/v2/_catalog")
        assert r.status == 401, r

        # more repositories than one read of the store (256 names): dana's are r500..r599
        seed(ci, [f"bulk/r{i:03d}" for i in range(600)])
        pages = walk(dana, 60)
        flat = [x for p in pages for x in p]
        assert [len(p) for p in pages] == [60, 44], " ".join(flat)
        assert flat == sorted(["pub/x", "team/a1", "team/a2", "team/a3"] +
                              [f"bulk/r{i}" for i in range(500, 600)]), flat
        assert len(walk(ci, 1000)[0]) == 606
    finally:
        stop(reg)



def test_catalog_filter_work_is_capped_per_request(tmp_path, users):
    """catalog-scan-max bounds the names one request reads: a caller who may see little of a
    large registry gets short (even empty) pages with a Link continuing where the read stopped,
    and the walk still yields exactly the visible names, in order."""
    reg = start(tmp_path / "srv", f"auth:\n  htpasswd: {users}\n" + CATALOG_RULES +
                "catalog-scan-max: 100\n")
    try:
        ci = AuthClient(reg.url, basic("ci", "ci-pw"))
        seed(ci, [f"bulk/r{i:03d}" for i in range(600)] + ["pub/x", "team/a1", "zz"])
        dana = AuthClient(reg.url, basic("dana", "dana-pw"))
        names, nxt = catalog(dana, "/v2/_catalog?n=50")
        assert names == [] and nxt, (names, nxt)       # bulk/r000..r099: none is dana's
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(nxt).query)
        assert q["last"] == ["bulk/r099"] and q["n"] == ["50"], nxt
        pages = walk(dana, 50)
        flat = [x for p in pages for x in p]
        assert flat == sorted([f"bulk/r{i}" for i in range(500, 600)] +
                              ["pub/x", "team/a1"]), pages
        assert all(len(p) <= 50 for p in pages) and len(pages) >= 7, pages
        # ci sees everything: pages of at most 100 (the cap), 603 names in all
        pages = walk(ci, 1000)
        assert [len(p) for p in pages] == [100] * 6 + [3], [len(p) for p in pages]
        assert len(set(x for p in pages for x in p)) == 603
    finally:
        stop(reg)

def test_catalog_filtered_with_tokens(tmp_path, users):
    reg = start(tmp_path / "srv", f"auth:\n  htpasswd: {users}\n  token: {{service: vigil-test}}\n"
                + CATALOG_RULES)
    try:
        t = token(reg, ["repository:team/a1:pull,push", "repository:team/b1:pull,push",
                        "repository:pub/x:pull,push", "registry:catalog:*"],
                  basic("ci", "ci-pw"))
        ci = AuthClient(reg.url, t)
        seed(ci, ["team/a1", "team/b1", "pub/x"])
        assert catalog(ci)[0] == ["pub/x", "team/a1", "team/b1"]
        # the list follows the token subject's rules, not the repositories named in its claims
        t = token(reg, ["registry:catalog:*"], basic("dana", "dana-pw"))
        assert catalog(AuthClient(reg.url, t)) == (["pub/x", "team/a1"], None)
        t = token(reg, ["repository:team/a1:pull"], basic("dana", "dana-pw"))
        r = AuthClient(reg.url, t).request("GET", "/v2/_catalog")
        assert r.status == 401 and 'error="insufficient_scope"' in r.header("WWW-Authenticate")
    finally:
        stop(reg)


# ------------------------------------------------------------------ POST /token (OAuth2 form)

def post_token(reg, fields: list[tuple[str, str]], status=200, ctype="application/x-www-form-urlencoded"):
    body = urllib.parse.urlencode(fields).encode()  # spaces become '+', as Go's url.Values
    r = AuthClient(reg.url, None).request("POST", "/token", body=body,
                                          headers={"Content-Type": ctype})
    assert r.status == status, r
    assert r.header("Cache-Control") == "no-store"
    return r.json()


def test_token_post_password_and_refresh(tmp_path, users):
    reg = start(tmp_path / "srv", f"auth:\n  htpasswd: {users}\n  token: {{service: vigil-test}}\n"
                + CATALOG_RULES)
    try:
        base = [("service", "vigil-test"), ("client_id", "vigil-e2e")]
        tok = post_token(reg, [("grant_type", "password"), *base, ("access_type", "offline"),
                               ("username", "dana"), ("password", "dana-pw"),
                               ("scope", "repository:team/a1:pull,push registry:catalog:*")])
        assert tok["scope"] == "repository:team/a1:pull registry:catalog:*", tok
        assert tok["access_token"] and tok["refresh_token"] and tok["expires_in"] >= 60, tok
        dana = AuthClient(reg.url, "Bearer " + tok["access_token"])
        assert dana.request("GET", "/v2/_catalog").status == 200
        r = dana.post_upload("team/a1")
        assert r.status == 401 and 'error="insufficient_scope"' in r.header("WWW-Authenticate")
        # the refresh token is not a bearer token
        r = AuthClient(reg.url, "Bearer " + tok["refresh_token"]).request("GET", "/v2/")
        assert r.status == 401 and 'error="invalid_token"' in r.header("WWW-Authenticate"), r

        ci = post_token(reg, [("grant_type", "password"), *base, ("access_type", "offline"),
                              ("username", "ci"), ("password", "ci-pw"),
                              ("scope", "repository:team/a1:pull,push")])
        # containerd's refresh: new scopes, same subject, no password
        again = post_token(reg, [("grant_type", "refresh_token"), *base,
                                 ("refresh_token", ci["refresh_token"]),
                                 ("scope", "repository:team/b9:pull,push")])
        assert again["scope"] == "repository:team/b9:pull,push" and "refresh_token" not in again
        seed(AuthClient(reg.url, "Bearer " + again["access_token"]), ["team/b9"])

        err = post_token(reg, [("grant_type", "password"), *base, ("username", "ci"),
                               ("password", "wrong")], status=401)
        assert err["error"] == "invalid_grant" and err["error_description"], err
        assert "wrong" not in json.dumps(err)
        err = post_token(reg, [("grant_type", "client_credentials"), *base], status=400)
        assert err["error"] == "unsupported_grant_type", err
        err = post_token(reg, [("grant_type", "password")], status=400)
        assert err["error"] == "invalid_request", err
        err = post_token(reg, [("grant_type", "password"), *base], status=400,
                         ctype="application/json")
        assert err["error"] == "invalid_request", err
        # GET keeps working beside it
        assert token(reg, ["repository:team/a1:pull"], basic("dana", "dana-pw"))
        log = reg.log_path.read_text()
        assert ci["refresh_token"] not in log and tok["access_token"] not in log
    finally:
        stop(reg)


def test_token_post_absent_without_token_service(tmp_path, users):
    """With htpasswd only there is no /token at all: clients see 404 and use Basic."""
    reg = start(tmp_path / "srv", f"auth:\n  htpasswd: {users}\n" + CATALOG_RULES)
    try:
        r = AuthClient(reg.url, None).request("POST", "/token", body=b"grant_type=password",
                                              headers={"Content-Type":
                                                       "application/x-www-form-urlencoded"})
        assert r.status == 404, r
    finally:
        stop(reg)
