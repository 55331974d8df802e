# SPDX-License-Identifier: Apache-2.0
"""An OCI Distribution 1.1 referrers API in front of a real registry, for end-to-end tests.

Debian's docker-registry 2.8 has no referrers API and Debian 12 packages no registry that has
one, so this small threaded HTTP proxy (stdlib only, 127.0.0.1, ephemeral port) adds it on top
of a running docker-registry used for storage. Every request is forwarded unchanged (method,
path, query, end-to-end headers including Host and Authorization, streamed bodies, status and
response headers; absolute upstream URLs in Location/Link are rewritten to the proxy), except:

* `GET|HEAD /v2/<name>/referrers/<digest>` is answered by the proxy as distribution-spec 1.1
  "Listing Referrers" says: 200 with an image index (`application/vnd.oci.image.index.v1+json`)
  of every manifest pushed through the proxy into <name> whose `subject.digest` is <digest>;
  each descriptor has mediaType, digest, size, artifactType (the manifest's `artifactType`, else
  for an image manifest its `config.mediaType`, omitted for an index) and the manifest's
  annotations; an empty index when there are none (never 404); 400 DIGEST_INVALID for a
  malformed digest. `?artifactType=` is applied (with `OCI-Filters-Applied: artifactType`) or,
  with filter_mode="ignore", ignored (full list, no header), both allowed by the spec. Access is
  checked by asking the upstream for `/v2/<name>/tags/list` with the client's credentials.
* A manifest PUT that the upstream accepts (201) and whose body carries a `subject` is recorded
  and answered with `OCI-Subject: <subject digest>` ("Pushing Manifests with Subject"). A
  successful DELETE of a manifest by digest removes it from the lists.

With page_size=N the list is paginated as the spec allows ("A Link header MUST be included in
the response when the descriptor list cannot be returned in a single manifest"): at most N
descriptors per response and `Link: </v2/<name>/referrers/<digest>?...&page=K>; rel="next"`.

With referrers_api=False the proxy is transparent (referrers requests reach docker-registry,
which answers 404, and no OCI-Subject is added) so a test can compare both behaviours.

    reg = Registry(tmp_path).start()
    proxy = ReferrersProxy(reg).start()
    proxy.ref("team/app:v1")                   # "127.0.0.1:PORT/team/app:v1"
    proxy.referrers("team/app", digest)        # the descriptors the API would list
    proxy.log                                  # [(method, path?query, status), ...]
    proxy.stop()
"""
from __future__ import annotations

import hashlib
import http.client
import json
import re
import ssl
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MT_INDEX = "application/vnd.oci.image.index.v1+json"
CHUNK = 64 * 1024
MAX_MANIFEST = 4 * 1024 * 1024  # the spec's minimum; docker-registry refuses more anyway

# RFC 9110 §7.6.1 hop-by-hop headers (plus Expect: 100-continue is answered by the proxy).
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
       "transfer-encoding", "upgrade", "proxy-connection", "expect", "content-length"}

RE_REFERRERS = re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)$")
RE_MANIFEST = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")
# image-spec descriptor.md digest grammar, plus the registered algorithms' encodings.
RE_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
ENCODED = {"sha256": re.compile(r"^[a-f0-9]{64}$"), "sha512": re.compile(r"^[a-f0-9]{128}$")}


def valid_digest(d: str) -> bool:
    if not RE_DIGEST.match(d):
        return False
    alg, enc = d.split(":", 1)
    return alg not in ENCODED or bool(ENCODED[alg].match(enc))


def referrer_descriptor(body: bytes, content_type: str | None, digest: str | None):
    """(subject digest, descriptor) for a manifest body with a subject, else None."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("subject"), dict):
        return None
    subject = doc["subject"].get("digest")
    if not isinstance(subject, str) or not valid_digest(subject):
        return None
    mt = doc.get("mediaType") if isinstance(doc.get("mediaType"), str) else content_type
    desc = {"mediaType": mt, "digest": digest or "sha256:" + hashlib.sha256(body).hexdigest(),
            "size": len(body)}
    at = doc.get("artifactType")
    if not at and "manifests" not in doc and isinstance(doc.get("config"), dict):
        at = doc["config"].get("mediaType")
    if isinstance(at, str) and at:
        desc["artifactType"] = at
    if isinstance(doc.get("annotations"), dict) and doc["annotations"]:
        desc["annotations"] = doc["annotations"]
    return subject, desc


class ReferrersProxy:
    def __init__(self, upstream, filter_mode: str = "apply", referrers_api: bool = True,
                 page_size: int | None = None):
        """upstream: a registry_fixtures.Registry (plain or TLS) or a "http(s)://host:port"."""
        if filter_mode not in ("apply", "ignore"):
            raise ValueError(filter_mode)
        if isinstance(upstream, str):
            u = urllib.parse.urlsplit(upstream)
            self.up_scheme, self.up_host = u.scheme, u.netloc
        else:
            self.up_scheme = "https" if upstream.tls else "http"
            self.up_host = upstream.host
        self.filter_mode = filter_mode
        self.referrers_api = referrers_api
        self.page_size = page_size
        self.lock = threading.Lock()
        self.records: dict[tuple[str, str], dict[str, dict]] = {}  # (repo, subject) → digest → desc
        self.log: list[tuple[str, str, int]] = []
        self.server = None
        self.thread = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> "ReferrersProxy":
        proxy = self

        class Handler(_Handler):
            pass

        Handler.proxy = proxy
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name="referrers-proxy")
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def ref(self, name: str) -> str:
        return f"{self.host}/{name}"

    # ------------------------------------------------------------ state

    def referrers(self, repo: str, subject: str) -> list[dict]:
        with self.lock:
            return [dict(d) for d in self.records.get((repo, subject), {}).values()]

    def record(self, repo: str, subject: str, desc: dict):
        with self.lock:
            self.records.setdefault((repo, subject), {})[desc["digest"]] = desc

    def forget(self, repo: str, digest: str):
        with self.lock:
            for (r, _), descs in self.records.items():
                if r == repo:
                    descs.pop(digest, None)

    def requests(self, method: str | None = None, contains: str = "") -> list[tuple]:
        with self.lock:
            return [e for e in self.log if (method is None or e[0] == method)
                    and contains in e[1]]

    def clear_log(self):
        with self.lock:
            self.log.clear()

    def upstream_connection(self) -> http.client.HTTPConnection:
        if self.up_scheme == "https":
            return http.client.HTTPSConnection(self.up_host, timeout=120,
                                               context=ssl._create_unverified_context())
        return http.client.HTTPConnection(self.up_host, timeout=120)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, chunked bodies, 100-continue
    proxy: ReferrersProxy = None

    def log_message(self, fmt, *args):  # quiet; see proxy.log
        pass

    def do_GET(self):
        self.dispatch()

    do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    # ------------------------------------------------------------ request body

    def body_chunks(self):
        """Yields the request body as it arrives (Content-Length or chunked)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                left = size
                while left:
                    data = self.rfile.read(min(left, CHUNK))
                    if not data:
                        raise ConnectionError("client closed mid-chunk")
                    left -= len(data)
                    yield data
                self.rfile.readline(8)
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left > 0:
                data = self.rfile.read(min(left, CHUNK))
                if not data:
                    raise ConnectionError("client closed mid-body")
                left -= len(data)
                yield data

    def has_body(self) -> bool:
        return "Transfer-Encoding" in self.headers or "Content-Length" in self.headers

    # ------------------------------------------------------------ dispatch

    def dispatch(self):
        p = self.proxy
        path, _, query = self.path.partition("?")
        status = 0
        try:
            m = RE_REFERRERS.match(path)
            if p.referrers_api and m and self.command in ("GET", "HEAD"):
                status = self.referrers(m["name"], urllib.parse.unquote(m["digest"]), query)
            else:
                status = self.forward(path)
        except (BrokenPipeError, ConnectionError):
            self.close_connection = True
        finally:
            with p.lock:
                p.log.append((self.command, self.path, status))

    def send_json(self, status: int, doc, extra=()) -> int:
        body = json.dumps(doc, separators=(",", ":")).encode()
        self.send_response(status)
        ct = MT_INDEX if status == 200 else "application/json; charset=utf-8"
        self.send_header("Content-Type", ct)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return status

    # ------------------------------------------------------------ referrers API

    def referrers(self, name: str, digest: str, query: str) -> int:
        p = self.proxy
        for _ in self.body_chunks():
            pass
        if not valid_digest(digest):
            return self.send_json(400, {"errors": [{"code": "DIGEST_INVALID",
                                                    "message": "invalid digest",
                                                    "detail": digest}]})
        # Same access rules as the storage registry: ask it with the client's credentials.
        conn = p.upstream_connection()
        try:
            conn.putrequest("GET", f"/v2/{name}/tags/list", skip_host=True,
                            skip_accept_encoding=True)
            conn.putheader("Host", self.headers.get("Host", p.host))
            if self.headers.get("Authorization"):
                conn.putheader("Authorization", self.headers["Authorization"])
            conn.endheaders()
            r = conn.getresponse()
            body = r.read()
            if r.status in (401, 403):
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return r.status
        finally:
            conn.close()
        descs = p.referrers(name, digest)
        extra = []
        q = urllib.parse.parse_qs(query)
        want = q.get("artifactType")
        if want and p.filter_mode == "apply":
            descs = [d for d in descs if d.get("artifactType") in want]
            extra.append(("OCI-Filters-Applied", "artifactType"))
        if p.page_size:
            try:
                page = int(q.get("page", ["0"])[0])
            except ValueError:
                page = -1
            if page < 0:
                return self.send_json(400, {"errors": [{"code": "PAGINATION_NUMBER_INVALID",
                                                        "message": "invalid page"}]})
            start = page * p.page_size
            if start + p.page_size < len(descs):
                nq = urllib.parse.urlencode([*((k, v) for k, vs in q.items() if k != "page"
                                               for v in vs), ("page", str(page + 1))])
                extra.append(("Link", f'</v2/{name}/referrers/{digest}?{nq}>; rel="next"'))
            descs = descs[start:start + p.page_size]
        return self.send_json(200, {"schemaVersion": 2, "mediaType": MT_INDEX,
                                    "manifests": descs}, extra)

    # ------------------------------------------------------------ forwarding

    def rewrite(self, value: str) -> str:
        p = self.proxy
        for scheme in ("http", "https"):
            value = value.replace(f"{scheme}://{p.up_host}", p.url)
        return value

    def forward(self, path: str) -> int:
        p = self.proxy
        mm = RE_MANIFEST.match(path)
        capture = self.command == "PUT" and mm is not None
        conn = p.upstream_connection()
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP:
                    conn.putheader(k, v)
            manifest = None
            if capture:
                manifest = b"".join(self.body_chunks())
                conn.putheader("Content-Length", str(len(manifest)))
                conn.endheaders(manifest)
            elif "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                for data in self.body_chunks():
                    conn.send(b"%x\r\n%s\r\n" % (len(data), data))
                conn.send(b"0\r\n\r\n")
            else:
                if self.has_body():
                    conn.putheader("Content-Length", self.headers.get("Content-Length", "0"))
                conn.endheaders()
                for data in self.body_chunks():
                    conn.send(data)
            resp = conn.getresponse()
            extra = []
            if capture and resp.status == 201 and p.referrers_api:
                extra = self.on_manifest_put(mm["name"], manifest, resp)
            if (self.command == "DELETE" and mm is not None and resp.status == 202
                    and valid_digest(mm["ref"])):
                p.forget(mm["name"], mm["ref"])
            self.relay(resp, extra)
            return resp.status
        finally:
            conn.close()

    def on_manifest_put(self, name: str, body: bytes, resp) -> list:
        got = referrer_descriptor(body, self.headers.get("Content-Type"),
                                  resp.getheader("Docker-Content-Digest"))
        if got is None:
            return []
        subject, desc = got
        self.proxy.record(name, subject, desc)
        return [("OCI-Subject", subject)]

    def relay(self, resp, extra):
        self.send_response_only(resp.status, resp.reason)  # upstream's Date and Server
        length = resp.getheader("Content-Length")
        no_body = (self.command == "HEAD" or resp.status in (204, 304)
                   or 100 <= resp.status < 200)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, self.rewrite(v) if k.lower() in ("location", "link") else v)
        for k, v in extra:
            self.send_header(k, v)
        if no_body:
            if length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            resp.read()
            return
        if length is not None:
            self.send_header("Content-Length", length)
            self.end_headers()
            while data := resp.read(CHUNK):
                self.wfile.write(data)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while data := resp.read1(CHUNK):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")
