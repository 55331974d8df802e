/* SPDX-License-Identifier: Apache-2.0
 *
 * httpd over real sockets on 127.0.0.1: routing, bodies (buffered, streamed, over the limit),
 * file responses and HEAD, query decoding, header injection, request ids, metrics, the access
 * log, the header deadline (slowloris) and a drain that lets an in-flight request finish.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd/httpd.h"

static int
dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    struct timeval tv = {.tv_sec = 20};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void
send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return; /* the server may close early (413); the caller checks the answer */
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Whole answer until the server closes (requests say Connection: close). */
static char *
read_all(int fd)
{
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap);
    for (;;) {
        if (len + 4096 > cap) {
            cap *= 2;
            b = realloc(b, cap);
        }
        ssize_t r = recv(fd, b + len, cap - len - 1, 0);
        if (r <= 0) {
            break;
        }
        len += (size_t)r;
    }
    b[len] = '\0';
    close(fd);
    return b;
}

static char *
http(uint16_t port, const char *req)
{
    int fd = dial(port);
    send_all(fd, req, strlen(req));
    return read_all(fd);
}

static const char *
body_of(const char *resp)
{
    const char *p = strstr(resp, "\r\n\r\n");
    return p ? p + 4 : "";
}

static unsigned
status_of(const char *resp)
{
    unsigned s = 0;
    if (strncmp(resp, "HTTP/1.1 ", 9) == 0) {
        for (const char *p = resp + 9; *p >= '0' && *p <= '9'; p++) {
            s = s * 10 + (unsigned)(*p - '0');
        }
    }
    return s;
}

/* ---------------------------------------------------------------- handlers */

static int
echo_begin(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    return vg_httpd_body_buffer(r, 16);
}

static int
echo_end(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    size_t n;
    const void *p = vg_httpd_body(r, &n);
    struct vg_err *err = NULL;
    int rc = vg_httpd_respond(r, 200, "application/octet-stream", p, n, &err);
    vg_err_free(&err);
    return rc;
}

struct upload {
    uint64_t got;
    unsigned calls;
    atomic_int done_completed; /* -1 = done() not called; stored by the connection's thread */
};
static struct upload g_up = {0, 0, -1};

static int
up_write(void *sud, const void *p, size_t n, struct vg_err **err)
{
    (void)p;
    (void)err;
    struct upload *u = sud;
    u->got += n;
    u->calls++;
    return 0;
}

static int
up_begin(struct vg_httpd_req *r, void *ud)
{
    return vg_httpd_body_sink(r, up_write, ud, 1 << 20);
}

static int
up_end(struct vg_httpd_req *r, void *ud)
{
    struct upload *u = ud;
    char msg[64];
    snprintf(msg, sizeof(msg), "%llu", (unsigned long long)u->got);
    struct vg_err *err = NULL;
    int rc = vg_httpd_respond(r, 201, "text/plain", msg, strlen(msg), &err);
    vg_err_free(&err);
    return rc;
}

static void
up_done(struct vg_httpd_req *r, void *ud, bool completed)
{
    (void)r;
    atomic_store(&((struct upload *)ud)->done_completed, completed);
}

static char g_file[64];
static char g_big[64]; /* BIG_LEN bytes of a pattern: a file response over several send calls */
#define BIG_LEN (5u * 1024u * 1024u + 7u)
#define BIG_OFF 4099u

/* Both builds of this suite: the worker pool (test_httpd) and a thread per connection
 * (test_httpd_tpc, compiled with HTTPD_TPC=1). */
#ifndef HTTPD_TPC
#define HTTPD_TPC 0
#endif

static unsigned char
big_byte(size_t i)
{
    return (unsigned char)((i * 131u) ^ (i >> 11));
}

static int
big_begin(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    int fd = open(g_big, O_RDONLY | O_CLOEXEC);
    struct vg_err *err = NULL;
    int rc = vg_httpd_respond_fd(r, 200, "application/octet-stream", fd, BIG_OFF, BIG_LEN - BIG_OFF,
                                 &err);
    vg_err_free(&err);
    return rc;
}

static int
file_begin(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    int fd = open(g_file, O_RDONLY | O_CLOEXEC);
    struct vg_err *err = NULL;
    int rc = vg_httpd_respond_fd(r, 200, "text/plain", fd, 6, 5, &err); /* "world" */
    vg_err_free(&err);
    return rc;
}

static int
query_begin(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    const char *x = vg_httpd_query(r, "x"), *y = vg_httpd_query(r, "y");
    char msg[256];
    snprintf(msg, sizeof(msg), "x=%s y=%s path=%s", x ? x : "(null)", y ? y : "(null)",
             vg_httpd_path(r));
    struct vg_err *err = NULL;
    int rc = vg_httpd_respond(r, 200, "text/plain", msg, strlen(msg), &err);
    vg_err_free(&err);
    return rc;
}

static int
inject_begin(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    struct vg_err *err = NULL;
    int bad = vg_httpd_header_add(r, "X-Evil", "a\r\nSet-Cookie: x=1", &err);
    vg_err_free(&err);
    int bad2 = vg_httpd_header_add(r, "Bad Name", "v", &err);
    vg_err_free(&err);
    cr_expect(vg_httpd_header_add(r, "X-Good", "yes", &err) == 0);
    const char *msg = bad < 0 && bad2 < 0 ? "refused" : "accepted";
    int rc = vg_httpd_respond(r, 200, "text/plain", msg, strlen(msg), &err);
    vg_err_free(&err);
    return rc;
}

static int
fail_begin(struct vg_httpd_req *r, void *ud)
{
    (void)r;
    (void)ud;
    return -1;
}

static int
slow_begin(struct vg_httpd_req *r, void *ud)
{
    (void)ud;
    usleep(400 * 1000);
    struct vg_err *err = NULL;
    int rc = vg_httpd_respond(r, 200, "text/plain", "slow", 4, &err);
    vg_err_free(&err);
    return rc;
}

static struct vg_httpd *g_h;
static char g_log[64];

static void
metrics_extra(struct vg_buf *out, void *ud)
{
    if (vg_buf_appendf(out, NULL, "test_extra_metric{hook=\"%s\"} 1\n", (const char *)ud) < 0) {
        return;
    }
}

static void
setup(void)
{
    snprintf(g_file, sizeof(g_file), "/tmp/vg-httpd-file-XXXXXX");
    int fd = mkstemp(g_file);
    cr_assert(fd >= 0);
    cr_assert(write(fd, "hello world\n", 12) == 12);
    close(fd);
    snprintf(g_big, sizeof(g_big), "/tmp/vg-httpd-big-XXXXXX");
    fd = mkstemp(g_big);
    cr_assert(fd >= 0);
    unsigned char *big = malloc(BIG_LEN);
    for (size_t i = 0; i < BIG_LEN; i++) {
        big[i] = big_byte(i);
    }
    cr_assert(write(fd, big, BIG_LEN) == (ssize_t)BIG_LEN);
    free(big);
    close(fd);
    snprintf(g_log, sizeof(g_log), "/tmp/vg-httpd-log-XXXXXX");
    fd = mkstemp(g_log);
    close(fd);
    struct vg_httpd_config cfg = {.addr = "127.0.0.1:0",
                                  .threads = 2,
                                  .thread_per_connection = HTTPD_TPC,
                                  .access_log = g_log,
                                  .header_timeout_s = 1};
    struct vg_err *err = NULL;
    g_h = vg_httpd_new(&cfg, &err);
    cr_assert(g_h);
    const struct vg_httpd_handler hs[] = {
        {"echo", "/echo", VG_HTTP_POST | VG_HTTP_PUT, echo_begin, echo_end, NULL, NULL},
        {"upload", "/upload", VG_HTTP_PUT, up_begin, up_end, up_done, &g_up},
        {"file", "/file", VG_HTTP_GET | VG_HTTP_HEAD, file_begin, NULL, NULL, NULL},
        {"big", "/big", VG_HTTP_GET, big_begin, NULL, NULL, NULL},
        {"tree", "/v2/", VG_HTTP_GET, query_begin, NULL, NULL, NULL},
        {"inject", "/inject", VG_HTTP_GET, inject_begin, NULL, NULL, NULL},
        {"fail", "/fail", VG_HTTP_GET, fail_begin, NULL, NULL, NULL},
        {"slow", "/slow", VG_HTTP_GET, slow_begin, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
        cr_assert(vg_httpd_route(g_h, &hs[i], &err) == 0);
    }
    static char hook_a[] = "a", hook_b[] = "b";
    vg_httpd_metrics_hook(g_h, metrics_extra, hook_a);
    vg_httpd_metrics_hook(g_h, metrics_extra, hook_b);
    cr_assert(vg_httpd_start(g_h, &err) == 0);
    cr_assert(vg_httpd_port(g_h) > 0);
}

static void
teardown(void)
{
    vg_httpd_free(g_h);
    unlink(g_file);
    unlink(g_big);
    unlink(g_log);
}

TestSuite(httpd, .init = setup, .fini = teardown, .timeout = 60);

Test(httpd, health_and_readiness)
{
    uint16_t p = vg_httpd_port(g_h);
    char *r = http(p, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 200);
    cr_expect_str_eq(body_of(r), "ok\n");
    free(r);
    r = http(p, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 503);
    free(r);
    vg_httpd_set_ready(g_h, true);
    r = http(p, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 200);
    free(r);
}

Test(httpd, routing_404_405_and_prefix_trees)
{
    uint16_t p = vg_httpd_port(g_h);
    char *r = http(p, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 404);
    free(r);
    r = http(p, "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 405);
    cr_expect(strstr(r, "Allow: PUT, POST\r\n"), "%s", r);
    free(r);
    r = http(p, "GET /v2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 200, "bare tree prefix");
    free(r);
    r = http(p, "GET /v2x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 404, "/v2/ must not match /v2x");
    free(r);
    r = http(p, "GET /echo/sub HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 404, "an exact route has no subtree");
    free(r);
}

Test(httpd, buffered_body_and_request_ids)
{
    uint16_t p = vg_httpd_port(g_h);
    char *r = http(p, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "X-Request-Id: abc-123\r\nContent-Length: 5\r\n\r\nhello");
    cr_expect_eq(status_of(r), 200);
    cr_expect_str_eq(body_of(r), "hello");
    cr_expect(strstr(r, "X-Request-Id: abc-123\r\n"), "%s", r);
    free(r);
    r = http(p, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                "X-Request-Id: bad id\r\nContent-Length: 0\r\n\r\n");
    const char *id = strstr(r, "X-Request-Id: ");
    cr_assert(id, "%s", r);
    id += 14;
    size_t n = strcspn(id, "\r");
    cr_expect_eq(n, 16, "a generated id replaces an unsafe one");
    free(r);
}

Test(httpd, body_over_the_limit)
{
    uint16_t p = vg_httpd_port(g_h);
    char *r = http(p, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "Content-Length: 17\r\n\r\n12345678901234567");
    cr_expect_eq(status_of(r), 413, "%s", r);
    free(r);
    /* chunked: no length up front; the server stops reading and never answers 200 */
    r = http(p, "PUT /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
                "10\r\n1234567890123456\r\n5\r\n12345\r\n0\r\n\r\n");
    cr_expect_neq(status_of(r), 200, "%s", r);
    free(r);
}

Test(httpd, streamed_upload_reaches_the_sink)
{
    uint16_t p = vg_httpd_port(g_h);
    g_up = (struct upload){0, 0, -1};
    int fd = dial(p);
    const char *head = "PUT /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    send_all(fd, head, strlen(head));
    char chunk[4096 + 16];
    memset(chunk, 'a', sizeof(chunk));
    for (int i = 0; i < 64; i++) {
        send_all(fd, "1000\r\n", 6);
        send_all(fd, chunk, 4096);
        send_all(fd, "\r\n", 2);
    }
    send_all(fd, "0\r\n\r\n", 5);
    char *r = read_all(fd);
    cr_expect_eq(status_of(r), 201, "%s", r);
    cr_expect_str_eq(body_of(r), "262144");
    free(r);
    cr_expect_eq(g_up.got, 262144);
    cr_expect_gt(g_up.calls, 1, "the body arrives in pieces, never whole");
    for (int i = 0; i < 100 && atomic_load(&g_up.done_completed) < 0; i++) {
        usleep(10000);
    }
    cr_expect_eq(atomic_load(&g_up.done_completed), 1);
}

Test(httpd, file_responses_and_head)
{
    uint16_t p = vg_httpd_port(g_h);
    char *r = http(p, "GET /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 200);
    cr_expect_str_eq(body_of(r), "world");
    free(r);
    r = http(p, "HEAD /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 200);
    cr_expect(strstr(r, "Content-Length: 5\r\n"), "%s", r);
    cr_expect_str_eq(body_of(r), "");
    free(r);
}

Test(httpd, large_file_responses_arrive_whole_on_a_kept_alive_connection)
{
    /* 5 MiB from an offset: several sendfile calls in either mode (128 KiB in the pool, 2 MiB
     * with a thread per connection), twice on one connection. */
    int fd = dial(vg_httpd_port(g_h));
    const char *req = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    send_all(fd, req, strlen(req));
    size_t cap = 2 * BIG_LEN + 4096, len = 0;
    char *b = malloc(cap);
    for (ssize_t n; len < cap && (n = recv(fd, b + len, cap - len, 0)) > 0;) {
        len += (size_t)n;
    }
    close(fd);
    const size_t body = BIG_LEN - BIG_OFF;
    const char *p = b, *end = b + len;
    for (int k = 0; k < 2; k++) {
        cr_assert(end - p > 12 && memcmp(p, "HTTP/1.1 200", 12) == 0, "answer %d", k);
        const char *h = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        cr_assert(h, "answer %d has no end of headers", k);
        char cl[64];
        snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", body);
        cr_expect(memmem(p, (size_t)(h + 2 - p), cl, strlen(cl)), "answer %d: %s expected", k, cl);
        h += 4;
        cr_assert_geq((size_t)(end - h), body, "answer %d: %zu of %zu bytes", k, (size_t)(end - h),
                      body);
        size_t bad = 0;
        for (size_t i = 0; i < body; i++) {
            bad += (unsigned char)h[i] != big_byte(BIG_OFF + i);
        }
        cr_expect_eq(bad, 0, "answer %d: %zu bytes differ", k, bad);
        p = h + body;
    }
    cr_expect_eq(p, end, "nothing after the second answer");
    free(b);
}

Test(httpd, raw_paths_and_decoded_queries)
{
    uint16_t p = vg_httpd_port(g_h);
    char *r = http(p, "GET /v2/a%2Fb/tags/list?x=a%2Fb%20c&y=%00&z HTTP/1.1\r\nHost: x\r\n"
                      "Connection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 200);
    cr_expect_str_eq(body_of(r), "x=a/b c y=(null) path=/v2/a%2Fb/tags/list");
    free(r);
    r = http(p, "GET /v2/?x=%4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_str_eq(body_of(r), "x=(null) y=(null) path=/v2/", "a truncated escape is refused");
    free(r);
}

/* httpd's rule (VG_HTTPD_QUERY_PCT): '+' stays '+', control bytes other than NUL pass (the
 * handler checks its own grammar), uppercase and lowercase hex both decode, first value wins. */
Test(httpd, query_rule_keeps_plus_and_control_bytes)
{
    uint16_t p = vg_httpd_port(g_h);
    char *r = http(p, "GET /v2/?x=a+b%2b%41%6a&y=%09t%7f&x=second HTTP/1.1\r\nHost: x\r\n"
                      "Connection: close\r\n\r\n");
    cr_expect_eq(status_of(r), 200);
    cr_expect_str_eq(body_of(r), "x=a+b+Aj y=\tt\x7f path=/v2/");
    free(r);
}

Test(httpd, header_injection_refused)
{
    char *r =
        http(vg_httpd_port(g_h), "GET /inject HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cr_expect_str_eq(body_of(r), "refused");
    cr_expect(strstr(r, "X-Good: yes\r\n"));
    cr_expect_null(strstr(r, "Set-Cookie"));
    free(r);
}

Test(httpd, handler_failure_is_500_with_the_request_id)
{
    char *r = http(vg_httpd_port(g_h), "GET /fail HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                       "X-Request-Id: r-1\r\n\r\n");
    cr_expect_eq(status_of(r), 500);
    cr_expect(strstr(body_of(r), "request r-1"), "%s", r);
    free(r);
}

Test(httpd, metrics_and_access_log)
{
    uint16_t p = vg_httpd_port(g_h);
    free(http(
        p, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"));
    free(http(p, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    /* a request is accounted after its connection closes: wait for both */
    char *r = NULL;
    for (int i = 0; i < 200; i++) {
        free(r);
        r = http(p, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        if (strstr(r, "code=\"404\"} 1\n") && strstr(r, "code=\"200\"} 1\n")) {
            break;
        }
        usleep(10 * 1000);
    }
    cr_expect_eq(status_of(r), 200);
    cr_expect(
        strstr(r, "vigil_http_requests_total{handler=\"echo\",method=\"POST\",code=\"200\"} 1\n"),
        "%s", r);
    cr_expect(
        strstr(r,
               "vigil_http_requests_total{handler=\"unrouted\",method=\"GET\",code=\"404\"} 1\n"),
        "%s", r);
    cr_expect(strstr(r, "vigil_http_request_duration_seconds_count{handler=\"echo\"} 1\n"));
    cr_expect(strstr(r, "vigil_http_request_bytes_total{handler=\"echo\"} 2\n"), "%s", r);
    /* every registered hook adds its text, in order */
    const char *ha = strstr(r, "test_extra_metric{hook=\"a\"} 1\n");
    const char *hb = strstr(r, "test_extra_metric{hook=\"b\"} 1\n");
    cr_expect(ha && hb && ha < hb, "%s", r);
    free(r);
    usleep(100 * 1000);
    FILE *f = fopen(g_log, "r");
    cr_assert(f);
    char line[2048];
    int n = 0, echo = 0;
    while (fgets(line, sizeof(line), f)) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        cr_expect(o, "access log line is JSON: %s", line);
        if (o && strcmp(json_string_value(json_object_get(o, "handler")), "echo") == 0) {
            echo++;
            cr_expect_eq(json_integer_value(json_object_get(o, "status")), 200);
            cr_expect_eq(json_integer_value(json_object_get(o, "bytes_in")), 2);
            cr_expect_str_eq(json_string_value(json_object_get(o, "path")), "/echo");
            cr_expect_str_eq(json_string_value(json_object_get(o, "remote")), "127.0.0.1");
        }
        json_decref(o);
        n++;
    }
    fclose(f);
    cr_expect_geq(n, 2);
    cr_expect_eq(echo, 1);
}

Test(httpd, slowloris_headers_are_cut_off)
{
    int fd = dial(vg_httpd_port(g_h));
    send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n", 32);
    uint64_t t0 = vg_now_ns();
    char *r = read_all(fd); /* the server closes after header_timeout_s (1 s) */
    double secs = (double)(vg_now_ns() - t0) / 1e9;
    cr_expect_eq(status_of(r), 0, "no answer to an unfinished request: %s", r);
    cr_expect_lt(secs, 5.0, "closed after %.1f s", secs);
    free(r);
}

struct bg {
    uint16_t port;
    char *resp;
};

static void *
bg_get(void *arg)
{
    struct bg *b = arg;
    b->resp = http(b->port, "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return NULL;
}

Test(httpd, drain_lets_in_flight_requests_finish)
{
    struct bg b = {vg_httpd_port(g_h), NULL};
    pthread_t t;
    cr_assert(pthread_create(&t, NULL, bg_get, &b) == 0);
    usleep(150 * 1000);
    cr_expect_eq(vg_httpd_drain(g_h, 5), 0);
    pthread_join(t, NULL);
    cr_expect_eq(status_of(b.resp), 200, "%s", b.resp);
    cr_expect_str_eq(body_of(b.resp), "slow");
    free(b.resp);
    /* no longer listening */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(b.port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_expect_neq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
}

static size_t
count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

Test(httpd, bodiless_requests_keep_the_connection_alive)
{
    /* Two pipelined requests on one connection: a GET answered at its headers (a builtin and
     * a routed one) must leave the connection open for the next request. */
    uint16_t p = vg_httpd_port(g_h);
    int fd = dial(p);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /v2/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    send_all(fd, req, strlen(req));
    char *r = read_all(fd);
    cr_expect_eq(count_of(r, "HTTP/1.1 "), 3, "%s", r);
    cr_expect_eq(count_of(r, "Connection: close"), 1, "only the last answer closes: %s", r);
    free(r);
}

Test(httpd, a_body_answered_early_closes_the_connection)
{
    /* A PUT refused at its headers (405) has an unread body: the server discards it by closing
     * the connection, so a request pipelined after the body is never answered. */
    uint16_t p = vg_httpd_port(g_h);
    int fd = dial(p);
    const char *req = "PUT /file HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    send_all(fd, req, strlen(req));
    char *r = read_all(fd);
    cr_expect_eq(status_of(r), 405, "%s", r);
    cr_expect_eq(count_of(r, "HTTP/1.1 "), 1, "%s", r);
    free(r);
}
