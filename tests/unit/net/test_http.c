/* SPDX-License-Identifier: Apache-2.0
 *
 * The HTTP client against scripted loopback servers (a thread per server, one request per
 * connection): redirects and credential dropping, retries, limits, streams, status mapping and
 * file downloads with conditional requests and resume.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net.h"

#include "../../support/loopback.h"

typedef char *(*handler_fn)(void *ud, size_t idx, const char *req, size_t *len);

struct srv {
    int fd;
    int port;
    pthread_t th;
    handler_fn fn;
    void *ud;
    char *reqs[64];
    size_t nreq;
    size_t tls_hellos; /* TLS handshakes refused in plain HTTP */
};

static char *
read_request(int c)
{
    size_t cap = 1 << 20, len = 0;
    char *b = calloc(1, cap + 1);
    for (;;) {
        ssize_t r = read(c, b + len, cap - len);
        if (r <= 0) {
            break;
        }
        len += (size_t)r;
        b[len] = '\0';
        char *end = strstr(b, "\r\n\r\n");
        if (!end) {
            continue;
        }
        size_t body = 0;
        char *cl = strcasestr(b, "\r\nContent-Length:");
        if (cl && cl < end) {
            for (const char *d = cl + 17; *d == ' ' || (*d >= '0' && *d <= '9'); d++) {
                body = *d == ' ' ? body : body * 10 + (size_t)(*d - '0');
            }
        }
        if (len >= (size_t)(end + 4 - b) + body) {
            break;
        }
    }
    return b;
}

static void *
srv_main(void *p)
{
    struct srv *s = p;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) {
            return NULL;
        }
        unsigned char first = 0;
        if (recv(c, &first, 1, MSG_PEEK) == 1 && first == 0x16) {
            /* A TLS ClientHello: answer as a plain HTTP server does (its status line is read
             * by the TLS client as a record of an unknown version). */
            static const char bad[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
            if (write(c, bad, sizeof(bad) - 1) < 0) {
                /* the client may be gone already */
            }
            close(c);
            s->tls_hellos++;
            continue;
        }
        char *req = read_request(c);
        size_t idx = s->nreq;
        if (s->nreq < 64) {
            s->reqs[s->nreq++] = req;
        }
        size_t len = 0;
        char *resp = s->fn(s->ud, idx, req, &len);
        size_t off = 0;
        while (resp && off < len) {
            ssize_t w = write(c, resp + off, len - off);
            if (w <= 0) {
                break;
            }
            off += (size_t)w;
        }
        free(resp);
        close(c);
        if (idx >= 64) {
            free(req);
        }
    }
}

static void
srv_start(struct srv *s, handler_fn fn, void *ud)
{
    memset(s, 0, sizeof(*s));
    s->fn = fn;
    s->ud = ud;
    s->fd = lo_listen(&s->port);
    cr_assert_geq(s->fd, 0, "listen on 127.0.0.1");
    pthread_create(&s->th, NULL, srv_main, s);
}

static void
srv_stop(struct srv *s)
{
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->th, NULL);
    for (size_t i = 0; i < s->nreq; i++) {
        free(s->reqs[i]);
    }
}

static char *
mk(size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    *len = (size_t)n;
    return s;
}

static struct vg_http_client *
client(void)
{
    struct vg_http_client_opts o = VG_HTTP_CLIENT_OPTS_INIT;
    o.retry_base_ms = 1;
    struct vg_http_client *c = NULL;
    cr_assert_eq(vg_http_client_new(&c, &o, NULL), 0);
    return c;
}

static char *
url(int port, const char *path)
{
    char *u = lo_url(port, path);
    cr_assert_not_null(u);
    return u;
}

/* ---------------------------------------------------------------- basic */

static char *
h_hello(void *ud, size_t idx, const char *req, size_t *len)
{
    (void)ud, (void)idx, (void)req;
    return mk(len, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing: one\r\nx-thing: two\r\n"
                   "Connection: close\r\n\r\nhello");
}

Test(net_http, get_and_headers)
{
    struct srv s;
    srv_start(&s, h_hello, NULL);
    struct vg_http_client *c = client();
    char *u = url(s.port, "/x");
    struct vg_http_req req = {.url = u};
    struct vg_http_resp r;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_http_do(c, &req, &r, &err), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq((char *)r.body.data, "hello");
    cr_assert_str_eq(vg_http_resp_header(&r, "x-THING"), "one");
    cr_assert_str_eq(vg_http_resp_header_n(&r, "X-Thing", 1), "two");
    cr_assert_null(vg_http_resp_header_n(&r, "X-Thing", 2));
    vg_http_resp_dispose(&r);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

Test(net_http, body_limit)
{
    struct srv s;
    srv_start(&s, h_hello, NULL);
    struct vg_http_client *c = client();
    char *u = url(s.port, "/x");
    struct vg_http_req req = {.url = u, .max_body = 5};
    struct vg_http_resp r;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_http_do(c, &req, &r, &err), 0);
    vg_http_resp_dispose(&r);
    req.max_body = 4;
    cr_assert_lt(vg_http_do(c, &req, &r, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_LIMIT);
    vg_err_free(&err);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

static char *
h_big_headers(void *ud, size_t idx, const char *req, size_t *len)
{
    (void)idx, (void)req;
    size_t n = *(size_t *)ud;
    char *pad = malloc(n + 1);
    memset(pad, 'a', n);
    pad[n] = '\0';
    char *r = mk(len,
                 "HTTP/1.1 200 OK\r\nX-Pad: %s\r\nContent-Length: 0\r\n"
                 "Connection: close\r\n\r\n",
                 pad);
    free(pad);
    return r;
}

Test(net_http, header_limit)
{
    size_t n = VG_LIMIT_HTTP_HEADER_BYTES;
    struct srv s;
    srv_start(&s, h_big_headers, &n);
    struct vg_http_client *c = client();
    char *u = url(s.port, "/x");
    struct vg_http_req req = {.url = u, .no_retry = true};
    struct vg_http_resp r;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_http_do(c, &req, &r, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_LIMIT);
    vg_err_free(&err);
    n = 1000;
    cr_assert_eq(vg_http_do(c, &req, &r, &err), 0);
    cr_assert_eq(strlen(vg_http_resp_header(&r, "x-pad")), 1000);
    vg_http_resp_dispose(&r);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

/* ---------------------------------------------------------------- redirects */

struct redir {
    int target_port;
    const char *path;
};

static char *
h_redirect(void *ud, size_t idx, const char *req, size_t *len)
{
    (void)idx, (void)req;
    struct redir *r = ud;
    return mk(len,
              "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:%d%s\r\n"
              "Content-Length: 0\r\nConnection: close\r\n\r\n",
              r->target_port, r->path);
}

Test(net_http, redirect_drops_authorization_across_origins)
{
    struct srv target, front;
    srv_start(&target, h_hello, NULL);
    struct redir rd = {target.port, "/storage/blob?sig=1"};
    srv_start(&front, h_redirect, &rd);
    struct vg_http_client *c = client();
    char *u = url(front.port, "/v2/x/blobs/sha256:00");
    const char *hdrs[] = {"Authorization: Bearer SECRET", "Accept: */*"};
    struct vg_http_req req = {.url = u, .headers = hdrs, .nheaders = 2};
    struct vg_http_resp r;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_http_do(c, &req, &r, &err), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq((char *)r.body.data, "hello");
    cr_assert_not_null(strstr(r.url, "/storage/blob"));
    vg_http_resp_dispose(&r);
    cr_assert_eq(front.nreq, 1);
    cr_assert_eq(target.nreq, 1);
    cr_assert_not_null(strstr(front.reqs[0], "Authorization: Bearer SECRET"));
    cr_assert_null(strcasestr(target.reqs[0], "Authorization"));
    cr_assert_not_null(strstr(target.reqs[0], "Accept: */*"));
    free(u);
    vg_http_client_free(c);
    srv_stop(&front);
    srv_stop(&target);
}

static char *
h_self_redirect(void *ud, size_t idx, const char *req, size_t *len)
{
    (void)req;
    int *port = ud;
    if (idx == 0) {
        return mk(len, "HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: 0\r\n"
                       "Connection: close\r\n\r\n");
    }
    if (idx < 100 && port[1]) {
        return mk(len,
                  "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/again\r\n"
                  "Content-Length: 0\r\nConnection: close\r\n\r\n",
                  port[0]);
    }
    return h_hello(NULL, idx, req, len);
}

Test(net_http, same_origin_redirect_keeps_authorization)
{
    struct srv s;
    int cfg[2] = {0, 0};
    srv_start(&s, h_self_redirect, cfg);
    struct vg_http_client *c = client();
    char *u = url(s.port, "/start");
    const char *hdrs[] = {"Authorization: Basic dTpw"};
    struct vg_http_req req = {.url = u, .headers = hdrs, .nheaders = 1};
    struct vg_http_resp r;
    cr_assert_eq(vg_http_do(c, &req, &r, NULL), 0);
    cr_assert_eq(r.status, 200);
    vg_http_resp_dispose(&r);
    cr_assert_eq(s.nreq, 2);
    cr_assert_not_null(strstr(s.reqs[1], "GET /final"));
    cr_assert_not_null(strstr(s.reqs[1], "Authorization: Basic dTpw"));
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

Test(net_http, too_many_redirects)
{
    struct srv s;
    int cfg[2] = {0, 1};
    srv_start(&s, h_self_redirect, cfg);
    cfg[0] = s.port;
    struct vg_http_client *c = client();
    char *u = url(s.port, "/start");
    struct vg_http_req req = {.url = u};
    struct vg_http_resp r;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_http_do(c, &req, &r, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_NET);
    cr_assert_not_null(strstr(err->msg, "redirects"));
    vg_err_free(&err);
    cr_assert_eq(s.nreq, VG_LIMIT_HTTP_REDIRECTS + 1);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

/* ---------------------------------------------------------------- retries and errors */

static char *
h_flaky(void *ud, size_t idx, const char *req, size_t *len)
{
    (void)req;
    size_t fails = *(size_t *)ud;
    if (idx < fails) {
        return mk(len,
                  "HTTP/1.1 %s\r\nRetry-After: 0\r\nContent-Length: 4\r\n"
                  "Connection: close\r\n\r\nbusy",
                  idx % 2 ? "429 Too Many" : "503 Busy");
    }
    return h_hello(NULL, idx, req, len);
}

Test(net_http, retries_then_succeeds)
{
    size_t fails = 2;
    struct srv s;
    srv_start(&s, h_flaky, &fails);
    struct vg_http_client *c = client();
    char *u = url(s.port, "/x");
    struct vg_http_req req = {.url = u};
    struct vg_http_resp r;
    cr_assert_eq(vg_http_do(c, &req, &r, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(s.nreq, 3);
    vg_http_resp_dispose(&r);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

Test(net_http, retries_are_bounded)
{
    size_t fails = 1000;
    struct srv s;
    srv_start(&s, h_flaky, &fails);
    struct vg_http_client *c = client();
    char *u = url(s.port, "/x");
    struct vg_http_req req = {.url = u};
    struct vg_http_resp r;
    cr_assert_eq(vg_http_do(c, &req, &r, NULL), 0);
    cr_assert(r.status == 503 || r.status == 429);
    cr_assert_eq(s.nreq, VG_LIMIT_HTTP_RETRIES + 1);
    struct vg_err *err = NULL;
    cr_assert_lt(vg_http_check_status("GET", u, r.status, &r.body, &err), 0);
    cr_assert_eq(err->code, VG_E_NET);
    cr_assert_not_null(strstr(err->msg, "busy"));
    vg_err_free(&err);
    vg_http_resp_dispose(&r);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

Test(net_http, connection_refused_is_net_error_without_query)
{
    struct srv s;
    srv_start(&s, h_hello, NULL);
    int port = s.port;
    srv_stop(&s); /* now nothing listens there */
    struct vg_http_client_opts o = VG_HTTP_CLIENT_OPTS_INIT;
    o.retry_base_ms = 1;
    struct vg_http_client *c = NULL;
    cr_assert_eq(vg_http_client_new(&c, &o, NULL), 0);
    char *u = NULL;
    cr_assert_gt(asprintf(&u, "http://user:pw@127.0.0.1:%d/v2/?token=SECRET", port), 0);
    struct vg_http_req req = {.url = u};
    struct vg_http_resp r;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_http_do(c, &req, &r, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_NET);
    char *msg = vg_err_format(err);
    cr_assert_not_null(strstr(msg, "127.0.0.1"), "%s", msg);
    cr_assert_null(strstr(msg, "SECRET"), "%s", msg);
    cr_assert_null(strstr(msg, "pw@"), "%s", msg);
    free(msg);
    vg_err_free(&err);
    free(u);
    vg_http_client_free(c);
}

Test(net_http, status_mapping)
{
    struct vg_err *err = NULL;
    cr_assert_eq(vg_http_check_status("GET", "https://a/x", 200, NULL, &err), 0);
    cr_assert_lt(vg_http_check_status("GET", "https://a/x", 401, NULL, &err), 0);
    cr_assert_eq(err->code, VG_E_AUTH);
    vg_err_free(&err);
    cr_assert_lt(vg_http_check_status("GET", "https://a/x", 403, NULL, &err), 0);
    cr_assert_eq(err->code, VG_E_AUTH);
    vg_err_free(&err);
    cr_assert_lt(vg_http_check_status("GET", "https://a/x?q=1", 404, NULL, &err), 0);
    cr_assert_eq(err->code, VG_E_NOTFOUND);
    cr_assert_str_eq(err->msg, "GET https://a/x: HTTP 404");
    vg_err_free(&err);
    cr_assert_lt(vg_http_check_status("PUT", "https://a/x", 500, NULL, &err), 0);
    cr_assert_eq(err->code, VG_E_NET);
    vg_err_free(&err);
}

/* ---------------------------------------------------------------- uploads */

static char *
h_echo_len(void *ud, size_t idx, const char *req, size_t *len)
{
    (void)ud, (void)idx;
    const char *body = strstr(req, "\r\n\r\n") + 4;
    return mk(len, "HTTP/1.1 201 Created\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
              strlen(body), body);
}

Test(net_http, put_and_post_bodies)
{
    struct srv s;
    srv_start(&s, h_echo_len, NULL);
    struct vg_http_client *c = client();
    char *u = url(s.port, "/up");
    struct vg_http_req req = {.method = "PUT", .url = u, .body = "payload", .body_len = 7};
    struct vg_http_resp r;
    cr_assert_eq(vg_http_do(c, &req, &r, NULL), 0);
    cr_assert_eq(r.status, 201);
    cr_assert_str_eq((char *)r.body.data, "payload");
    vg_http_resp_dispose(&r);
    cr_assert_not_null(strstr(s.reqs[0], "PUT /up HTTP/1.1"));
    struct vg_http_req post = {.method = "POST", .url = u};
    cr_assert_eq(vg_http_do(c, &post, &r, NULL), 0);
    vg_http_resp_dispose(&r);
    cr_assert_not_null(strstr(s.reqs[1], "POST /up HTTP/1.1"));
    cr_assert_not_null(strstr(s.reqs[1], "Content-Length: 0"));
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

/* ---------------------------------------------------------------- streams */

#define BIG (3u * 1024u * 1024u + 17u)

static char *
h_big(void *ud, size_t idx, const char *req, size_t *len)
{
    (void)ud, (void)idx, (void)req;
    const char *hdr = "HTTP/1.1 200 OK\r\nContent-Length: 3145745\r\nConnection: close\r\n\r\n";
    size_t hl = strlen(hdr);
    char *r = malloc(hl + BIG);
    memcpy(r, hdr, hl);
    for (size_t i = 0; i < BIG; i++) {
        r[hl + i] = (char)('a' + i % 23);
    }
    *len = hl + BIG;
    return r;
}

Test(net_http, stream_pulls_large_body_in_small_reads)
{
    struct srv s;
    srv_start(&s, h_big, NULL);
    struct vg_http_client *c = client();
    char *u = url(s.port, "/big");
    struct vg_http_req req = {.url = u};
    struct vg_http_stream *st = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_http_stream_open(c, &req, false, &st, &err), 0);
    cr_assert_eq(vg_http_stream_status(st), 200);
    cr_assert_eq(vg_http_stream_length(st), BIG);
    size_t total = 0;
    bool ok = true;
    char buf[777];
    for (;;) {
        size_t got = 0;
        cr_assert_eq(vg_http_stream_read(st, buf, sizeof(buf), &got, &err), 0);
        if (got == 0) {
            break;
        }
        for (size_t i = 0; i < got; i++) {
            ok = ok && buf[i] == (char)('a' + (total + i) % 23);
        }
        total += got;
    }
    cr_assert(ok, "stream bytes out of order");
    cr_assert_eq(total, BIG);
    vg_http_stream_close(st);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

static char *
h_404(void *ud, size_t idx, const char *req, size_t *len)
{
    (void)ud, (void)idx, (void)req;
    return mk(len, "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno");
}

Test(net_http, stream_status_errors)
{
    struct srv s;
    srv_start(&s, h_404, NULL);
    struct vg_http_client *c = client();
    char *u = url(s.port, "/nope");
    struct vg_http_req req = {.url = u};
    struct vg_http_stream *st = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_http_stream_open(c, &req, false, &st, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    cr_assert_eq(vg_http_stream_open(c, &req, true, &st, &err), 0);
    cr_assert_eq(vg_http_stream_status(st), 404);
    vg_http_stream_close(st);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

/* ---------------------------------------------------------------- downloads */

static char *
h_download(void *ud, size_t idx, const char *req, size_t *len)
{
    (void)ud, (void)idx;
    if (strstr(req, "If-None-Match: \"v1\"")) {
        return mk(len, "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n");
    }
    const char *range = strstr(req, "Range: bytes=");
    if (range && strstr(req, "If-Range: \"v1\"")) {
        size_t from = 0;
        for (const char *d = range + 13; *d >= '0' && *d <= '9'; d++) {
            from = from * 10 + (size_t)(*d - '0');
        }
        return mk(len,
                  "HTTP/1.1 206 Partial\r\nETag: \"v1\"\r\nContent-Range: bytes %zu-9/10\r\n"
                  "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                  from, 10 - from, &"0123456789"[from]);
    }
    return mk(len, "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT"
                   "\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789");
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *b = calloc(1, 4096);
    size_t n = fread(b, 1, 4095, f);
    b[n] = '\0';
    fclose(f);
    return b;
}

static void
progress(void *ud, uint64_t done, uint64_t total)
{
    (void)total;
    *(uint64_t *)ud = done;
}

Test(net_http, download_conditional_and_resume)
{
    struct srv s;
    srv_start(&s, h_download, NULL);
    struct vg_http_client *c = client();
    char *u = url(s.port, "/db.tar");
    char dir[] = "/tmp/vg-net-dl-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *dest = NULL, *part = NULL, *val = NULL;
    cr_assert_gt(asprintf(&dest, "%s/db.tar", dir), 0);
    cr_assert_gt(asprintf(&part, "%s/db.tar.part", dir), 0);
    cr_assert_gt(asprintf(&val, "%s/db.tar.part.validator", dir), 0);
    struct vg_http_download_result res;
    struct vg_err *err = NULL;
    uint64_t seen = 0;

    cr_assert_eq(vg_http_download(c, u, dest, NULL, NULL, 0, &res, progress, &seen, &err), 0);
    cr_assert_eq(res.status, 200);
    cr_assert_not(res.not_modified);
    cr_assert_eq(res.bytes, 10);
    cr_assert_eq(seen, 10);
    cr_assert_str_eq(res.etag, "\"v1\"");
    cr_assert_str_eq(res.last_modified, "Mon, 01 Jan 2024 00:00:00 GMT");
    char *content = slurp(dest);
    cr_assert_str_eq(content, "0123456789");
    free(content);
    cr_assert_neq(access(part, F_OK), 0);
    vg_http_download_result_dispose(&res);

    cr_assert_eq(vg_http_download(c, u, dest, "\"v1\"", NULL, 0, &res, NULL, NULL, &err), 0);
    cr_assert(res.not_modified);
    cr_assert_eq(res.status, 304);
    vg_http_download_result_dispose(&res);

    /* A partial file with its validator is continued with Range. */
    unlink(dest);
    FILE *f = fopen(part, "wb");
    fputs("0123", f);
    fclose(f);
    f = fopen(val, "wb");
    fputs("\"v1\"", f);
    fclose(f);
    cr_assert_eq(vg_http_download(c, u, dest, NULL, NULL, 0, &res, NULL, NULL, &err), 0);
    cr_assert(res.resumed);
    cr_assert_eq(res.status, 206);
    content = slurp(dest);
    cr_assert_str_eq(content, "0123456789");
    free(content);
    cr_assert_neq(access(val, F_OK), 0);
    vg_http_download_result_dispose(&res);

    /* Bounded. */
    cr_assert_lt(vg_http_download(c, u, dest, NULL, NULL, 9, &res, NULL, NULL, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_LIMIT);
    vg_err_free(&err);

    unlink(dest);
    unlink(part);
    unlink(val);
    rmdir(dir);
    free(dest);
    free(part);
    free(val);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

static void
init(void)
{
    cr_assert_eq(vg_net_init(NULL), 0);
}
TestSuite(net_http, .init = init, .timeout = 60);

/* ---------------------------------------------------------------- several at once */

/* Answers by path: /ok/<x> echoes x; /busy fails once with 503; /moved redirects to /ok/moved;
 * /big announces more than the caller's bound. */
static char *
h_many(void *ud, size_t idx, const char *req, size_t *len)
{
    (void)idx;
    int *busy_seen = ud;
    char path[128] = "";
    const char *sp = strchr(req, ' ');
    const char *end = sp ? strchr(sp + 1, ' ') : NULL;
    if (sp && end && (size_t)(end - sp - 1) < sizeof(path)) {
        memcpy(path, sp + 1, (size_t)(end - sp - 1));
        path[end - sp - 1] = '\0';
    }
    if (strncmp(path, "/ok/", 4) == 0) {
        return mk(len, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                  strlen(path + 4), path + 4);
    }
    if (strcmp(path, "/busy") == 0 && (*busy_seen)++ == 0) {
        return mk(len, "HTTP/1.1 503 Busy\r\nRetry-After: 0\r\nContent-Length: 0\r\n"
                       "Connection: close\r\n\r\n");
    }
    if (strcmp(path, "/busy") == 0) {
        return mk(len, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy");
    }
    if (strcmp(path, "/moved") == 0) {
        return mk(len, "HTTP/1.1 302 Found\r\nLocation: /ok/moved\r\nContent-Length: 0\r\n"
                       "Connection: close\r\n\r\n");
    }
    if (strcmp(path, "/big") == 0) {
        return mk(len, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n");
    }
    return mk(len, "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope");
}

Test(net_http, do_many_matches_do_for_each_request)
{
    int busy_seen = 0;
    struct srv s;
    srv_start(&s, h_many, &busy_seen);
    struct vg_http_client *c = client();
    const char *paths[] = {"/ok/a", "/busy", "/ok/b", "/moved", "/big", "/missing", "/ok/c"};
    enum { N = 7 };
    char *u[N];
    struct vg_http_req reqs[N];
    for (size_t i = 0; i < N; i++) {
        u[i] = url(s.port, paths[i]);
        reqs[i] = (struct vg_http_req){.url = u[i], .max_body = 1000};
    }
    struct vg_http_resp resps[N];
    struct vg_err *errs[N];
    vg_http_do_many(c, reqs, resps, errs, N);
    const char *want[] = {"a", "busy", "b", "moved", NULL, "nope", "c"};
    for (size_t i = 0; i < N; i++) {
        if (!want[i]) {
            cr_assert_not_null(errs[i], "%s", paths[i]);
            cr_assert_eq(errs[i]->code, VG_E_LIMIT);
            char *m = vg_err_format(errs[i]);
            cr_assert_not_null(strstr(m, "100000"), "%s", m);
            free(m);
            continue;
        }
        cr_assert_null(errs[i], "%s: %s", paths[i], errs[i] ? errs[i]->msg : "");
        cr_assert_eq(resps[i].status, strcmp(paths[i], "/missing") == 0 ? 404 : 200, "%s",
                     paths[i]);
        cr_assert_eq(resps[i].body.len, strlen(want[i]));
        cr_assert_eq(memcmp(resps[i].body.data, want[i], resps[i].body.len), 0, "%s", paths[i]);
    }
    cr_assert_eq(busy_seen, 2, "the 503 was retried once");
    for (size_t i = 0; i < N; i++) {
        vg_http_resp_dispose(&resps[i]);
        vg_err_free(&errs[i]);
        free(u[i]);
    }
    vg_http_client_free(c);
    srv_stop(&s);
}

Test(net_http, do_many_reports_transport_failures_per_request)
{
    struct srv dead;
    srv_start(&dead, h_hello, NULL);
    int port = dead.port;
    srv_stop(&dead);
    struct vg_http_client_opts o = VG_HTTP_CLIENT_OPTS_INIT;
    o.max_retries = -1;
    struct vg_http_client *c = NULL;
    cr_assert_eq(vg_http_client_new(&c, &o, NULL), 0);
    struct srv s;
    int busy_seen = 0;
    srv_start(&s, h_many, &busy_seen);
    char *u0 = url(port, "/ok/x?secret=1"), *u1 = url(s.port, "/ok/y");
    struct vg_http_req reqs[2] = {{.url = u0}, {.url = u1}};
    struct vg_http_resp resps[2];
    struct vg_err *errs[2];
    vg_http_do_many(c, reqs, resps, errs, 2);
    cr_assert_not_null(errs[0]);
    cr_assert_eq(errs[0]->code, VG_E_NET);
    char *m = vg_err_format(errs[0]);
    cr_assert_null(strstr(m, "secret"), "%s", m);
    free(m);
    cr_assert_null(errs[1]);
    cr_assert_eq(resps[1].status, 200);
    for (size_t i = 0; i < 2; i++) {
        vg_http_resp_dispose(&resps[i]);
        vg_err_free(&errs[i]);
    }
    free(u0);
    free(u1);
    vg_http_client_free(c);
    srv_stop(&s);
}

/* ---------------------------------------------------------------- plain-HTTP fallback */

static char *
tls_url(int port, const char *host, const char *path)
{
    char *u = NULL;
    cr_assert_gt(asprintf(&u, "https://%s:%d%s", host, port, path), 0);
    return u;
}

static struct vg_http_client *
fallback_client(enum vg_http_plain_fallback f)
{
    struct vg_http_client_opts o = VG_HTTP_CLIENT_OPTS_INIT;
    o.retry_base_ms = 1;
    o.plain_fallback = f;
    struct vg_http_client *c = NULL;
    cr_assert_eq(vg_http_client_new(&c, &o, NULL), 0);
    return c;
}

Test(net_http, loopback_https_falls_back_to_plain_http_once)
{
    struct srv s;
    srv_start(&s, h_hello, NULL);
    struct vg_http_client *c = fallback_client(VG_HTTP_PLAIN_LOOPBACK);
    char *u = tls_url(s.port, "127.0.0.1", "/x");
    struct vg_http_req req = {.url = u};
    struct vg_http_resp r;
    cr_assert_eq(vg_http_do(c, &req, &r, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq((char *)r.body.data, "hello");
    cr_assert(strncmp(r.url, "http://127.0.0.1:", 17) == 0, "%s", r.url);
    vg_http_resp_dispose(&r);
    cr_assert_eq(s.tls_hellos, 1);
    /* Later requests to that host and port go straight to HTTP, streams included. */
    cr_assert_eq(vg_http_do(c, &req, &r, NULL), 0);
    vg_http_resp_dispose(&r);
    struct vg_http_stream *st = NULL;
    cr_assert_eq(vg_http_stream_open(c, &req, false, &st, NULL), 0);
    vg_http_stream_close(st);
    cr_assert_eq(s.tls_hellos, 1);
    cr_assert_eq(s.nreq, 3);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

Test(net_http, localhost_falls_back_too)
{
    struct srv s;
    srv_start(&s, h_hello, NULL);
    struct vg_http_client *c = fallback_client(VG_HTTP_PLAIN_LOOPBACK);
    char *u = tls_url(s.port, "localhost", "/x");
    struct vg_http_req req = {.url = u};
    struct vg_http_resp r;
    struct vg_err *err = NULL;
    int rc = vg_http_do(c, &req, &r, &err);
    if (rc < 0) {
        /* localhost resolved to ::1 only, where nothing listens: not this test's subject. */
        cr_assert_eq(s.tls_hellos, 0);
        vg_err_free(&err);
    } else {
        cr_assert_eq(r.status, 200);
        cr_assert_eq(s.tls_hellos, 1);
        vg_http_resp_dispose(&r);
    }
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

Test(net_http, no_fallback_without_policy_and_a_clear_message)
{
    struct srv s;
    srv_start(&s, h_hello, NULL);
    struct vg_http_client *c = fallback_client(VG_HTTP_PLAIN_NEVER);
    char *u = tls_url(s.port, "127.0.0.1", "/x");
    struct vg_http_req req = {.url = u};
    struct vg_http_resp r;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_http_do(c, &req, &r, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NET);
    char *msg = vg_err_format(err);
    cr_assert(strstr(msg, "seems to speak plain HTTP; use an http:// URL"), "%s", msg);
    cr_assert(strstr(msg, "wrong version number"), "%s", msg);
    free(msg);
    vg_err_free(&err);
    /* A deterministic failure is not retried. */
    cr_assert_eq(s.tls_hellos, 1);
    cr_assert_eq(s.nreq, 0);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}

Test(net_http, any_policy_falls_back_for_every_host)
{
    struct srv s;
    srv_start(&s, h_hello, NULL);
    struct vg_http_client *c = fallback_client(VG_HTTP_PLAIN_ANY);
    char *u = tls_url(s.port, "127.0.0.1", "/x");
    struct vg_http_req req = {.url = u};
    struct vg_http_resp r;
    cr_assert_eq(vg_http_do(c, &req, &r, NULL), 0);
    cr_assert_eq(r.status, 200);
    vg_http_resp_dispose(&r);
    free(u);
    vg_http_client_free(c);
    srv_stop(&s);
}
