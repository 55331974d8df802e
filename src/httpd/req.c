/* SPDX-License-Identifier: Apache-2.0
 *
 * One request: its arena, the raw path and query, headers in and out, the body (bounded buffer
 * or streaming sink) and the single response.
 */
#include "httpd_int.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define ARENA_MAX_ONE (64u * 1024u * 1024u)

void *
vg_httpd_alloc(struct vg_httpd_req *r, size_t n)
{
    if (n > ARENA_MAX_ONE) {
        abort(); /* callers bound sizes first; same contract as vg_malloc */
    }
    struct arena_block *b = vg_calloc(1, sizeof(*b) + n + 1);
    b->next = r->arena;
    r->arena = b;
    return b->align;
}

char *
vg_httpd_strdup(struct vg_httpd_req *r, const char *s)
{
    if (!s) {
        return NULL;
    }
    size_t n = strlen(s);
    char *p = vg_httpd_alloc(r, n + 1);
    memcpy(p, s, n + 1);
    return p;
}

enum vg_httpd_method
vg_httpd_method_parse(const char *m)
{
    static const struct {
        const char *name;
        enum vg_httpd_method m;
    } tab[] = {
        {"GET", VG_HTTP_GET},         {"HEAD", VG_HTTP_HEAD},   {"PUT", VG_HTTP_PUT},
        {"POST", VG_HTTP_POST},       {"PATCH", VG_HTTP_PATCH}, {"DELETE", VG_HTTP_DELETE},
        {"OPTIONS", VG_HTTP_OPTIONS},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(tab); i++) {
        if (strcmp(m, tab[i].name) == 0) {
            return tab[i].m;
        }
    }
    return VG_HTTP_OTHER;
}

static bool
rid_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

static void
set_request_id(struct vg_httpd_req *r)
{
    const char *given = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "X-Request-Id");
    size_t n = given ? strlen(given) : 0;
    bool ok = n > 0 && n <= HTTPD_RID_LEN;
    for (size_t i = 0; ok && i < n; i++) {
        ok = rid_char_ok(given[i]);
    }
    if (ok) {
        memcpy(r->rid, given, n + 1);
        return;
    }
    /* Ids need to be unique, not secret: a splitmix64 sequence per thread, seeded once from
     * getrandom (one system call per thread instead of one per request). */
    static _Thread_local uint64_t state;
    static _Thread_local bool seeded;
    if (!seeded) {
        if (getrandom(&state, sizeof(state), 0) != (ssize_t)sizeof(state)) {
            state = vg_now_ns() ^ (uint64_t)(uintptr_t)r;
        }
        seeded = true;
    }
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    unsigned char rnd[8];
    memcpy(rnd, &z, sizeof(rnd));
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(rnd); i++) {
        r->rid[2 * i] = hex[rnd[i] >> 4];
        r->rid[2 * i + 1] = hex[rnd[i] & 15];
    }
    r->rid[2 * sizeof(rnd)] = '\0';
}

static void
set_remote(struct vg_httpd_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(r->remote, sizeof(r->remote), "?");
    if (!ci || !ci->client_addr) {
        return;
    }
    const struct sockaddr *sa = ci->client_addr;
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip,
                  sizeof(ip));
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip,
                  sizeof(ip));
    }
    snprintf(r->remote, sizeof(r->remote), "%s", ip);
}

struct vg_httpd_req *
vg_httpd_req_new(struct vg_httpd *h, struct MHD_Connection *c, const char *uri)
{
    struct vg_httpd_req *r = vg_calloc(1, sizeof(*r));
    r->h = h;
    r->c = c;
    r->t0 = vg_now_ns();
    r->deadline = r->t0 + (uint64_t)h->cfg.request_timeout_s * 1000000000ull;
    r->route_idx = -4;
    r->path = vg_httpd_strdup(r, uri ? uri : "");
    char *q = strchr(r->path, '?');
    if (q) {
        *q = '\0';
        r->query = q + 1;
    }
    r->body = VG_BUF_INIT(0);
    set_remote(r);
    return r;
}

void
vg_httpd_req_free(struct vg_httpd_req *r)
{
    if (!r) {
        return;
    }
    if (r->resp) {
        MHD_destroy_response(r->resp);
    }
    vg_buf_dispose(&r->body);
    vg_err_free(&r->body_err);
    free(r->user);
    while (r->arena) {
        struct arena_block *b = r->arena;
        r->arena = b->next;
        free(b);
    }
    free(r);
}

void
vg_httpd_req_headers_in(struct vg_httpd_req *r, const char *method)
{
    r->method = vg_httpd_method_parse(method);
    r->method_name = vg_httpd_strdup(r, method);
    set_request_id(r);
}

enum vg_httpd_method
vg_httpd_method(const struct vg_httpd_req *r)
{
    return r->method;
}

const char *
vg_httpd_method_name(const struct vg_httpd_req *r)
{
    return r->method_name;
}

const char *
vg_httpd_path(const struct vg_httpd_req *r)
{
    return r->path;
}

bool
vg_httpd_query_raw(const char *query, const char *key, struct vg_str *value)
{
    size_t klen = strlen(key);
    const char *p = query;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t nlen = eq ? (size_t)(eq - p) : len;
        if (nlen == klen && memcmp(p, key, klen) == 0) {
            *value = eq ? (struct vg_str){eq + 1, len - nlen - 1} : (struct vg_str){"", 0};
            return true;
        }
        if (!amp) {
            break;
        }
        p = amp + 1;
    }
    return false;
}

int
vg_httpd_query_value_decode(char *out, struct vg_str raw)
{
    return vg_pct_decode(out, NULL, raw.ptr, raw.len, VG_HTTPD_QUERY_PCT, NULL);
}

const char *
vg_httpd_query(struct vg_httpd_req *r, const char *key)
{
    struct vg_str raw;
    if (!r->query || !key || !vg_httpd_query_raw(r->query, key, &raw)) {
        return NULL;
    }
    char *out = vg_httpd_alloc(r, raw.len + 1);
    return vg_httpd_query_value_decode(out, raw) < 0 ? NULL : out;
}

const char *
vg_httpd_query_string(const struct vg_httpd_req *r)
{
    return r->query;
}

const char *
vg_httpd_header(const struct vg_httpd_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

const char *
vg_httpd_remote(const struct vg_httpd_req *r)
{
    return r->remote;
}

const char *
vg_httpd_request_id(const struct vg_httpd_req *r)
{
    return r->rid;
}

bool
vg_httpd_req_tls(const struct vg_httpd_req *r)
{
    return r->h->tls;
}

uint64_t
vg_httpd_deadline_ns(const struct vg_httpd_req *r)
{
    return r->deadline;
}

void
vg_httpd_set_ctx(struct vg_httpd_req *r, void *ctx)
{
    r->ctx = ctx;
}

void *
vg_httpd_ctx(const struct vg_httpd_req *r)
{
    return r->ctx;
}

void
vg_httpd_set_user(struct vg_httpd_req *r, const char *user)
{
    free(r->user);
    r->user = vg_strdup(user);
}

/* ---------------------------------------------------------------- bodies */

int
vg_httpd_body_buffer(struct vg_httpd_req *r, size_t max)
{
    r->body_mode = BODY_BUFFER;
    r->body_max = max;
    vg_buf_init(&r->body, max);
    return 0;
}

int
vg_httpd_body_sink(struct vg_httpd_req *r, vg_httpd_sink_fn write, void *sud, uint64_t max)
{
    r->body_mode = BODY_SINK;
    r->body_max = max;
    r->sink = write;
    r->sink_ud = sud;
    return 0;
}

int
vg_httpd_req_feed(struct vg_httpd_req *r, const char *p, size_t n)
{
    if (r->body_err) {
        return -1;
    }
    if (n > r->body_max - r->body_n || r->body_mode == BODY_NONE) {
        r->body_n += n;
        return vg_err_set(&r->body_err, VG_E_LIMIT, "request body over %llu bytes",
                          (unsigned long long)r->body_max);
    }
    r->body_n += n;
    if (r->body_mode == BODY_BUFFER) {
        return vg_buf_append(&r->body, p, n, &r->body_err);
    }
    return r->sink(r->sink_ud, p, n, &r->body_err);
}

const void *
vg_httpd_body(const struct vg_httpd_req *r, size_t *len)
{
    *len = r->body.len;
    return r->body.len ? (const void *)r->body.data : (const void *)"";
}

uint64_t
vg_httpd_body_len(const struct vg_httpd_req *r)
{
    return r->body_n;
}

const struct vg_err *
vg_httpd_body_err(const struct vg_httpd_req *r)
{
    return r->body_err;
}

/* ---------------------------------------------------------------- responses */

static bool
token_ok(const char *s)
{
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", c)) {
            return false;
        }
    }
    return true;
}

static bool
value_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return false;
        }
    }
    return true;
}

int
vg_httpd_header_add(struct vg_httpd_req *r, const char *name, const char *value,
                    struct vg_err **err)
{
    if (!token_ok(name) || !value_ok(value)) {
        return vg_err_set(err, VG_E_USAGE, "response header %s: invalid name or value", name);
    }
    if (r->nhdrs == HTTPD_MAX_RESP_HDRS) {
        return vg_err_set(err, VG_E_LIMIT, "more than %d response headers", HTTPD_MAX_RESP_HDRS);
    }
    r->hdrs[r->nhdrs].name = vg_httpd_strdup(r, name);
    r->hdrs[r->nhdrs].value = vg_httpd_strdup(r, value);
    r->nhdrs++;
    return 0;
}

static int
finish(struct vg_httpd_req *r, struct MHD_Response *resp, unsigned status, const char *ctype,
       uint64_t len, struct vg_err **err)
{
    if (!resp) {
        return vg_err_set(err, VG_E_INTERNAL, "cannot create response");
    }
    if (ctype && MHD_add_response_header(resp, "Content-Type", ctype) != MHD_YES) {
        MHD_destroy_response(resp);
        return vg_err_set(err, VG_E_USAGE, "bad Content-Type");
    }
    MHD_add_response_header(resp, "X-Request-Id", r->rid);
    for (size_t i = 0; i < r->nhdrs; i++) {
        MHD_add_response_header(resp, r->hdrs[i].name, r->hdrs[i].value);
    }
    if (atomic_load(&r->h->draining)) {
        MHD_add_response_header(resp, "Connection", "close");
    }
    r->resp = resp;
    r->status = status;
    r->responded = true;
    r->bytes_out = r->method == VG_HTTP_HEAD ? 0 : len;
    return 0;
}

static int
check_once(struct vg_httpd_req *r, struct vg_err **err)
{
    if (r->responded) {
        return vg_err_set(err, VG_E_INTERNAL, "second response to one request");
    }
    return 0;
}

int
vg_httpd_respond(struct vg_httpd_req *r, unsigned status, const char *ctype, const void *body,
                 size_t len, struct vg_err **err)
{
    if (check_once(r, err) < 0) {
        return -1;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    r->small_body = len <= HTTPD_CORK_MAX;
    return finish(r, resp, status, ctype, len, err);
}

int
vg_httpd_respond_json(struct vg_httpd_req *r, unsigned status, const json_t *body,
                      struct vg_err **err)
{
    char *s = vg_json_dump(body, false);
    if (!s) {
        return vg_err_set(err, VG_E_INTERNAL, "cannot serialize response JSON");
    }
    int rc = vg_httpd_respond(r, status, "application/json", s, strlen(s), err);
    free(s);
    return rc;
}

int
vg_httpd_respond_fd(struct vg_httpd_req *r, unsigned status, const char *ctype, int fd,
                    uint64_t off, uint64_t len, struct vg_err **err)
{
    if (check_once(r, err) < 0 || off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off) {
        close(fd);
        return err && *err ? -1 : vg_err_set(err, VG_E_USAGE, "bad file range");
    }
    r->small_body = false;
    /* MHD owns and closes the fd once the response is destroyed. */
    struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(len, fd, off);
    if (!resp) {
        close(fd);
    }
    return finish(r, resp, status, ctype, len, err);
}

bool
vg_httpd_responded(const struct vg_httpd_req *r)
{
    return r->responded;
}

void
vg_httpd_respond_text(struct vg_httpd_req *r, unsigned status, const char *text)
{
    if (r->resp) {
        MHD_destroy_response(r->resp);
        r->resp = NULL;
    }
    r->responded = false;
    struct vg_err *err = NULL;
    if (vg_httpd_respond(r, status, "text/plain; charset=utf-8", text, strlen(text), &err) < 0) {
        vg_err_free(&err);
    }
}
