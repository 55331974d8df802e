/* SPDX-License-Identifier: Apache-2.0
 *
 * The HTTP client: client objects (a curl share for connection reuse), one transfer per
 * attempt on its own multi handle, redirects followed by hand so that Authorization never
 * leaves its origin, retries with backoff, bounded header blocks and bodies, and the pull
 * stream that pauses curl while the caller is not reading.
 *
 * It does not interpret bodies (auth.c parses challenges and tokens; download.c writes files).
 */
#include "xfer_int.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_MAX_BODY   (1u * 1024u * 1024u)
#define ERROR_BODY_MAX     (64u * 1024u)
#define STREAM_PENDING_MAX (VG_HTTP_STREAM_BUFFER_BYTES + 4u * 1024u * 1024u)
#define POLL_TIMEOUT_MS    1000

/* ---------------------------------------------------------------- process */

int
vg_net_init(struct vg_err **err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        return vg_err_set(err, VG_E_INTERNAL, "libcurl initialisation failed");
    }
    return 0;
}

void
vg_net_cleanup(void)
{
    curl_global_cleanup();
}

/* ---------------------------------------------------------------- headers */

static void
hdrs_clear(struct vg_http_hdrs *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].name);
        free(h->v[i].value);
    }
    h->n = 0;
    h->bytes = 0;
}

static void
hdrs_dispose(struct vg_http_hdrs *h)
{
    hdrs_clear(h);
    free(h->v);
    h->v = NULL;
    h->cap = 0;
}

const char *
vg_http_hdrs_get(const struct vg_http_hdrs *h, const char *name, size_t idx)
{
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->v[i].name, name) == 0 && idx-- == 0) {
            return h->v[i].value;
        }
    }
    return NULL;
}

/* One header line; false when the line is malformed beyond repair. */
static bool
hdrs_add_line(struct vg_http_hdrs *h, const char *line, size_t len)
{
    struct vg_str s = vg_str_trim((struct vg_str){line, len});
    if (s.len == 0) {
        return true;
    }
    if ((line[0] == ' ' || line[0] == '\t') && h->n > 0) {
        /* obs-fold continuation (RFC 9112 §5.2): join with a space. */
        struct vg_http_header *last = &h->v[h->n - 1];
        char *joined = vg_fmt("%s %.*s", last->value, (int)s.len, s.ptr);
        free(last->value);
        last->value = joined;
        return true;
    }
    struct vg_str name, value;
    if (!vg_str_cut(s, ':', &name, &value)) {
        return true; /* not a header; ignored like curl does */
    }
    if (h->n >= VG_HTTP_MAX_HEADERS) {
        return false;
    }
    h->v = vg_vec_grow(h->v, &h->cap, h->n, 1, sizeof(*h->v));
    h->v[h->n].name = vg_str_dup(vg_str_trim(name));
    h->v[h->n].value = vg_str_dup(vg_str_trim(value));
    h->n++;
    return true;
}

/* ---------------------------------------------------------------- curl callbacks */

static size_t
on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    struct vg_http_xfer *x = ud;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        hdrs_clear(&x->hdrs); /* a new response block: 1xx, proxy CONNECT, or the final one */
        x->headers_done = false;
    }
    if (vg_ckd_add(&x->hdrs.bytes, x->hdrs.bytes, n) ||
        x->hdrs.bytes > VG_LIMIT_HTTP_HEADER_BYTES) {
        vg_err_set(&x->cb_err, VG_E_LIMIT, "response headers exceed %u bytes",
                   VG_LIMIT_HTTP_HEADER_BYTES);
        return 0;
    }
    if (n <= 2 && (n == 0 || data[0] == '\r' || data[0] == '\n')) {
        long st = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &st);
        if (st >= 200 || st == 0) {
            x->status = st;
            x->headers_done = true;
            curl_off_t cl = -1;
            curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
            x->content_length = cl;
            /* A buffered body announced over its bound fails now, not after max bytes. */
            if (x->sink == VG_SINK_BUF && st >= 200 && st < 300 && cl > 0 &&
                (uint64_t)cl > x->max_body && strcmp(x->method, "HEAD") != 0) {
                vg_err_set(&x->cb_err, VG_E_LIMIT, "response body of %lld bytes exceeds %zu",
                           (long long)cl, x->max_body);
                return 0;
            }
        }
        return n;
    }
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        return n;
    }
    if (!hdrs_add_line(&x->hdrs, data, n)) {
        vg_err_set(&x->cb_err, VG_E_LIMIT, "more than %u response headers", VG_HTTP_MAX_HEADERS);
        return 0;
    }
    return n;
}

static size_t
on_write_buf(struct vg_http_xfer *x, const char *data, size_t n)
{
    bool ok_status = x->status >= 200 && x->status < 300;
    size_t max = ok_status ? x->max_body : ERROR_BODY_MAX;
    if (x->body.len + n > max) {
        if (ok_status) {
            vg_err_set(&x->cb_err, VG_E_LIMIT, "response body exceeds %zu bytes", max);
        } else {
            x->truncated = true;
        }
        return 0;
    }
    if (vg_buf_append(&x->body, data, n, &x->cb_err) < 0) {
        return 0;
    }
    return n;
}

static size_t
on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    struct vg_http_xfer *x = ud;
    size_t n = size * nmemb;
    if (x->sink == VG_SINK_BUF) {
        return on_write_buf(x, data, n);
    }
    if (x->pend_off == x->body.len) {
        vg_buf_reset(&x->body);
        x->pend_off = 0;
    }
    size_t pending = x->body.len - x->pend_off;
    if (pending > 0 && pending + n > VG_HTTP_STREAM_BUFFER_BYTES) {
        x->paused = true;
        return CURL_WRITEFUNC_PAUSE; /* curl keeps the chunk and redelivers it on unpause */
    }
    if (vg_buf_append(&x->body, data, n, &x->cb_err) < 0) {
        return 0;
    }
    return n;
}

static size_t
on_read(char *buf, size_t size, size_t nmemb, void *ud)
{
    struct vg_http_xfer *x = ud;
    size_t cap = size * nmemb;
    if (x->up_fn) {
        long got = x->up_fn(x->up_ud, buf, cap);
        if (got < 0 || (size_t)got > cap) {
            return CURL_READFUNC_ABORT;
        }
        return (size_t)got;
    }
    size_t left = x->up_len - x->up_off;
    size_t n = left < cap ? left : cap;
    if (n) {
        memcpy(buf, x->up_data + x->up_off, n);
        x->up_off += n;
    }
    return n;
}

/* ---------------------------------------------------------------- one attempt */

void
vg_http_xfer_free(struct vg_http_xfer *x)
{
    if (!x) {
        return;
    }
    if (x->multi && x->easy) {
        curl_multi_remove_handle(x->multi, x->easy);
    }
    if (x->easy) {
        curl_easy_cleanup(x->easy);
    }
    if (x->multi && x->own_multi) {
        vg_http_multi_give(x->multi);
    }
    curl_slist_free_all(x->req_headers);
    free(x->method);
    free(x->url);
    vg_buf_dispose(&x->body);
    hdrs_dispose(&x->hdrs);
    vg_err_free(&x->cb_err);
    free(x);
}

static bool
is_auth_line(const char *h)
{
    return strncasecmp(h, "Authorization:", 14) == 0;
}

static void
xfer_set_method(struct vg_http_xfer *x, const struct vg_http_req *req)
{
    CURL *e = x->easy;
    bool has_body = x->up_data || x->up_fn;
    if (strcmp(x->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (has_body) {
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, x);
        curl_off_t len = x->up_fn ? (curl_off_t)req->body_read_len : (curl_off_t)x->up_len;
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, len);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    } else if (strcmp(x->method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    } else if (strcmp(x->method, "PUT") == 0) {
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, x);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
    } else if (strcmp(x->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    }
}

static void
xfer_set_common(struct vg_http_xfer *x, struct vg_http_client *c)
{
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_SHARE, c->share);
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, c->connect_timeout_s);
    vg_http_xfer_set_time_limits(x, c);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
    if (c->ca_file) {
        curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
    }
    /* The CA bundle alone, without the hashed directory Debian's libcurl also defaults to:
     * libcurl caches a parsed store only for a bundle file (no CApath, no blob); the directory
     * holds the bundle's certificates (update-ca-certificates writes both). */
    curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    if (c->unix_socket) {
        curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, c->unix_socket);
    }
    if (c->ca_pem.len) {
        struct curl_blob b = {c->ca_pem.data, c->ca_pem.len, CURL_BLOB_NOCOPY};
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
    }
    if (c->cert_pem.len && c->key_pem.len) {
        struct curl_blob cb = {c->cert_pem.data, c->cert_pem.len, CURL_BLOB_NOCOPY};
        struct curl_blob kb = {c->key_pem.data, c->key_pem.len, CURL_BLOB_NOCOPY};
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cb);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &kb);
    }
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
}

/* One attempt of (method, url); on `multi` when given (a batch), else on its own. */
static int
xfer_new(struct vg_http_xfer **out, struct vg_http_client *c, const struct vg_http_req *req,
         const char *method, const char *url, bool with_body, bool with_auth,
         enum vg_http_sink sink, CURLM *multi, struct vg_err **err)
{
    struct vg_http_xfer *x = vg_calloc(1, sizeof(*x));
    x->method = vg_strdup(method);
    x->url = vg_strdup(url);
    x->sink = sink;
    x->plain_fallback = c->plain_fallback;
    x->max_body = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
    vg_buf_init(&x->body, sink == VG_SINK_BUF ? x->max_body + 1 : STREAM_PENDING_MAX);
    x->content_length = -1;
    if (with_body) {
        x->up_data = req->body;
        x->up_len = req->body_len;
        x->up_fn = req->body_read;
        x->up_ud = req->body_read_ud;
    }
    x->easy = curl_easy_init();
    x->own_multi = !multi;
    x->multi = multi ? multi : vg_http_multi_take();
    if (!x->easy || !x->multi) {
        vg_http_xfer_free(x);
        return vg_err_set(err, VG_E_INTERNAL, "curl handle allocation failed");
    }
    xfer_set_common(x, c);
    xfer_set_method(x, req);
    for (size_t i = 0; i < req->nheaders; i++) {
        if (!with_auth && is_auth_line(req->headers[i])) {
            continue;
        }
        x->req_headers = curl_slist_append(x->req_headers, req->headers[i]);
    }
    /* No "Expect: 100-continue" round trip for uploads. */
    x->req_headers = curl_slist_append(x->req_headers, "Expect:");
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->req_headers);
    if (curl_multi_add_handle(x->multi, x->easy) != CURLM_OK) {
        vg_http_xfer_free(x);
        return vg_err_set(err, VG_E_INTERNAL, "curl_multi_add_handle failed");
    }
    *out = x;
    return 0;
}

enum pump_until { UNTIL_HEADERS, UNTIL_DATA, UNTIL_DONE };

static bool
pump_satisfied(const struct vg_http_xfer *x, enum pump_until until)
{
    if (x->done || x->cb_err) {
        return true;
    }
    switch (until) {
    case UNTIL_HEADERS:
        return x->headers_done;
    case UNTIL_DATA:
        return x->pend_off < x->body.len || x->paused;
    case UNTIL_DONE:
        return false;
    }
    return true;
}

static int
xfer_pump(struct vg_http_xfer *x, enum pump_until until, struct vg_err **err)
{
    vg_http_xfer_touch(x);
    while (!pump_satisfied(x, until)) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(x->multi, &running);
        if (mc != CURLM_OK) {
            return vg_err_set(err, VG_E_NET, "%s: %s", x->method, curl_multi_strerror(mc));
        }
        int left = 0;
        CURLMsg *m;
        while ((m = curl_multi_info_read(x->multi, &left)) != NULL) {
            if (m->msg == CURLMSG_DONE) {
                x->done = true;
                x->result = m->data.result;
            }
        }
        if (!pump_satisfied(x, until)) {
            mc = curl_multi_poll(x->multi, NULL, 0, POLL_TIMEOUT_MS, NULL);
            if (mc != CURLM_OK) {
                return vg_err_set(err, VG_E_NET, "%s: %s", x->method, curl_multi_strerror(mc));
            }
        }
    }
    return 0;
}

static const char *
curl_reason(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return "cannot resolve host";
    case CURLE_COULDNT_RESOLVE_PROXY:
        return "cannot resolve proxy";
    case CURLE_COULDNT_CONNECT:
        return "connection failed";
    case CURLE_OPERATION_TIMEDOUT:
        return "timed out";
    case CURLE_PEER_FAILED_VERIFICATION:
        return "TLS certificate verification failed (use --insecure or --ca-file)";
    case CURLE_SSL_CONNECT_ERROR:
        return "TLS handshake failed";
    case CURLE_SSL_CACERT_BADFILE:
        return "cannot load the CA file";
    case CURLE_GOT_NOTHING:
        return "empty reply from server";
    case CURLE_PARTIAL_FILE:
        return "connection closed before the body was complete";
    case CURLE_RECV_ERROR:
        return "receive failed";
    case CURLE_SEND_ERROR:
        return "send failed";
    default:
        return "transfer failed";
    }
}

/* Transport failure of x as an error; callback-raised errors win. */
static int
xfer_error(struct vg_http_xfer *x, struct vg_err **err)
{
    vg_autofree char *u = vg_http_url_redact(x->url);
    if (x->cb_err) {
        struct vg_err *e = vg_steal_ptr(&x->cb_err);
        if (err) {
            *err = e;
        } else {
            vg_err_free(&e);
        }
        return vg_err_wrap(err, "%s %s", x->method, u);
    }
    if (x->stalled || x->past_deadline) {
        return vg_http_xfer_time_error(x, u, err);
    }
    const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->result);
    vg_autofree char *esc = vg_escape(detail, strlen(detail), 256);
    if (vg_http_plain_speaks(x)) {
        const char *hint = x->plain_fallback == VG_HTTP_PLAIN_NEVER
                               ? "use an http:// URL"
                               : "use --plain-http, or --insecure to fall back to HTTP when TLS "
                                 "fails";
        return vg_err_set(err, VG_E_NET,
                          "%s %s: TLS handshake failed: the server seems to speak plain HTTP; "
                          "%s (%s)",
                          x->method, u, hint, esc);
    }
    return vg_err_set(err, VG_E_NET, "%s %s: %s (%s)", x->method, u, curl_reason(x->result), esc);
}

static bool
retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

static bool
retryable_status(long st)
{
    return st == 429 || st == 502 || st == 503 || st == 504 || st == 500;
}

/* Backoff for attempt n (0-based): base * 2^n with up to 25% jitter, or the server's
 * Retry-After (capped) when it sent one. */
static void
backoff_sleep(struct vg_http_client *c, struct vg_http_xfer *x, int attempt)
{
    uint64_t ms = (uint64_t)c->retry_base_ms << (attempt < 10 ? attempt : 10);
    ms += (vg_now_ns() / 1000u) % (ms / 4u + 1u);
    curl_off_t ra = 0;
    if (x && curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0) {
        uint64_t cap = VG_HTTP_RETRY_AFTER_CAP_S;
        ms = ((uint64_t)ra > cap ? cap : (uint64_t)ra) * 1000u;
    }
    uint64_t now = vg_now_ns();
    if (c->deadline_ns && now + ms * 1000000u > c->deadline_ns) {
        ms = c->deadline_ns > now ? (c->deadline_ns - now) / 1000000u : 0; /* then fail */
    }
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* Runs attempts of one (method, url) until a final response or a non-retryable failure. */
static int
xfer_attempts(struct vg_http_client *c, const struct vg_http_req *req, const char *method,
              char **url, bool with_body, bool with_auth, enum vg_http_sink sink,
              struct vg_http_xfer **out, struct vg_err **err)
{
    bool may_retry = !req->no_retry && !(with_body && req->body_read);
    for (int attempt = 0;; attempt++) {
        struct vg_http_xfer *x = NULL;
        if (vg_http_deadline_passed(c, method, *url, err)) {
            return -1;
        }
        if (xfer_new(&x, c, req, method, *url, with_body, with_auth, sink, NULL, err) < 0) {
            return -1;
        }
        vg_autoerr struct vg_err *perr = NULL;
        if (xfer_pump(x, UNTIL_HEADERS, &perr) < 0) {
            vg_http_xfer_free(x);
            *err = vg_steal_ptr(&perr);
            return -1;
        }
        bool more = may_retry && attempt < c->max_retries;
        if (x->cb_err || (x->done && x->result != CURLE_OK && !x->headers_done)) {
            char *plain = x->cb_err ? NULL : vg_http_plain_fallback_url(c, x);
            if (plain) {
                /* Not a retry: the same request once more, over the protocol the server speaks
                 * (a streamed body has not been read yet: the handshake failed first). */
                free(*url);
                *url = plain;
                vg_http_xfer_free(x);
                attempt--;
                continue;
            }
            if (more && !x->cb_err && retryable_curl(x->result) && !vg_http_plain_speaks(x)) {
                VG_DEBUG("net", "%s: %s, retrying", method, curl_reason(x->result));
                vg_http_xfer_free(x);
                backoff_sleep(c, NULL, attempt);
                continue;
            }
            int rc = xfer_error(x, err);
            vg_http_xfer_free(x);
            return rc;
        }
        if (more && retryable_status(x->status)) {
            VG_DEBUG("net", "%s: HTTP %ld, retrying", method, x->status);
            backoff_sleep(c, x, attempt);
            vg_http_xfer_free(x);
            continue;
        }
        *out = x;
        return 0;
    }
}

static bool
is_redirect(long st)
{
    return st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
}

int
vg_http_xfer_start(struct vg_http_client *c, const struct vg_http_req *req, enum vg_http_sink sink,
                   struct vg_http_xfer **out, struct vg_err **err)
{
    if (!req->url) {
        return vg_err_set(err, VG_E_USAGE, "HTTP request without a URL");
    }
    vg_autofree char *method = vg_strdup(req->method ? req->method : "GET");
    vg_autofree char *url = vg_http_plain_effective_url(c, req->url);
    vg_autofree char *origin = NULL; /* the first URL as requested (after any plain fallback) */
    bool with_body = req->body || req->body_read;
    bool with_auth = true;
    for (unsigned redirects = 0;; redirects++) {
        struct vg_http_xfer *x = NULL;
        if (xfer_attempts(c, req, method, &url, with_body, with_auth, sink, &x, err) < 0) {
            return -1;
        }
        if (!origin) {
            origin = vg_strdup(url);
        }
        const char *loc = vg_http_hdrs_get(&x->hdrs, "Location", 0);
        if (req->no_redirect || !is_redirect(x->status) || !loc) {
            if (vg_log_enabled(VG_LOG_DEBUG, "net")) {
                char *shown_url = vg_http_url_redact(url);
                vg_log_write(VG_LOG_DEBUG, "net", "%s %s: HTTP %ld", method, shown_url, x->status);
                free(shown_url);
            }
            *out = x;
            return 0;
        }
        vg_autofree char *shown = vg_http_url_redact(url);
        if (redirects >= VG_LIMIT_HTTP_REDIRECTS) {
            vg_http_xfer_free(x);
            return vg_err_set(err, VG_E_NET, "%s %s: more than %d redirects", method, shown,
                              VG_LIMIT_HTTP_REDIRECTS);
        }
        char *next = NULL;
        int rc = vg_http_url_resolve(&next, url, loc, err);
        long st = x->status;
        vg_http_xfer_free(x);
        if (rc < 0) {
            return vg_err_wrap(err, "%s %s: bad redirect", method, shown);
        }
        if (!vg_cstr_startswith(next, "http://") && !vg_cstr_startswith(next, "https://")) {
            free(next);
            return vg_err_set(err, VG_E_NET, "%s %s: redirect to a non-HTTP URL", method, shown);
        }
        /* Once the chain leaves the original origin, credentials stay behind for good. */
        if (!vg_http_url_same_origin(origin, next)) {
            with_auth = false;
        }
        if (st == 303 || ((st == 301 || st == 302) && strcmp(method, "POST") == 0)) {
            if (strcmp(method, "HEAD") != 0) {
                free(method);
                method = vg_strdup("GET");
            }
            with_body = false;
        } else if (with_body && req->body_read) {
            free(next);
            return vg_err_set(err, VG_E_NET, "%s %s: cannot replay a streamed body on redirect",
                              method, shown);
        }
        free(url);
        url = next;
    }
}

int
vg_http_xfer_finish(struct vg_http_xfer *x, struct vg_err **err)
{
    if (xfer_pump(x, UNTIL_DONE, err) < 0) {
        return -1;
    }
    if (x->cb_err || (x->result != CURLE_OK && !(x->result == CURLE_WRITE_ERROR && x->truncated))) {
        return xfer_error(x, err);
    }
    return 0;
}

/* ---------------------------------------------------------------- buffered requests */

void
vg_http_resp_dispose(struct vg_http_resp *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    vg_buf_dispose(&r->body);
    free(r->url);
    memset(r, 0, sizeof(*r));
}

const char *
vg_http_resp_header_n(const struct vg_http_resp *r, const char *name, size_t idx)
{
    struct vg_http_hdrs h = {r->headers, r->nheaders, r->nheaders, 0};
    return vg_http_hdrs_get(&h, name, idx);
}

const char *
vg_http_resp_header(const struct vg_http_resp *r, const char *name)
{
    return vg_http_resp_header_n(r, name, 0);
}

/* Moves a finished buffered transfer's response into resp (as vg_http_do does). */
static void
xfer_to_resp(struct vg_http_xfer *x, struct vg_http_resp *resp)
{
    resp->status = x->status;
    resp->headers = vg_steal_ptr(&x->hdrs.v);
    resp->nheaders = x->hdrs.n;
    x->hdrs.n = 0;
    resp->body = x->body;
    x->body = VG_BUF_INIT(0);
    resp->url = vg_steal_ptr(&x->url);
}

int
vg_http_do(struct vg_http_client *c, const struct vg_http_req *req, struct vg_http_resp *resp,
           struct vg_err **err)
{
    struct vg_http_xfer *x = NULL;
    memset(resp, 0, sizeof(*resp));
    if (vg_http_xfer_start(c, req, VG_SINK_BUF, &x, err) < 0) {
        return -1;
    }
    if (vg_http_xfer_finish(x, err) < 0) {
        vg_http_xfer_free(x);
        return -1;
    }
    xfer_to_resp(x, resp);
    vg_http_xfer_free(x);
    return 0;
}

/* ---------------------------------------------------------------- several at once */

/* Drives every transfer of the batch to its end. */
static int
batch_pump(CURLM *m, struct vg_err **err)
{
    for (;;) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(m, &running);
        if (mc != CURLM_OK) {
            return vg_err_set(err, VG_E_NET, "parallel requests: %s", curl_multi_strerror(mc));
        }
        int left = 0;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            struct vg_http_xfer *x = NULL;
            if (msg->msg == CURLMSG_DONE &&
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x) == CURLE_OK &&
                x) {
                x->done = true;
                x->result = msg->data.result;
            }
        }
        if (running == 0) {
            return 0;
        }
        mc = curl_multi_poll(m, NULL, 0, POLL_TIMEOUT_MS, NULL);
        if (mc != CURLM_OK) {
            return vg_err_set(err, VG_E_NET, "parallel requests: %s", curl_multi_strerror(mc));
        }
    }
}

/* Did the batch's single attempt end in a final answer vg_http_do would also return? Anything
 * else (transport failure, a bound hit, a redirect to follow, a status worth retrying) is
 * handed to vg_http_do, which owns those rules. */
static bool
batch_final(const struct vg_http_client *c, const struct vg_http_req *req,
            const struct vg_http_xfer *x)
{
    if (!x || !x->done || x->cb_err || x->result != CURLE_OK || !x->headers_done) {
        return false;
    }
    if (!req->no_redirect && is_redirect(x->status) && vg_http_hdrs_get(&x->hdrs, "Location", 0)) {
        return false;
    }
    return !(retryable_status(x->status) && !req->no_retry && c->max_retries > 0);
}

void
vg_http_do_many(struct vg_http_client *c, const struct vg_http_req *reqs,
                struct vg_http_resp *resps, struct vg_err **errs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&resps[i], 0, sizeof(resps[i]));
        errs[i] = NULL;
    }
    CURLM *m = n > 1 ? vg_http_multi_take() : NULL;
    struct vg_http_xfer **xs = vg_calloc(n ? n : 1, sizeof(*xs));
    if (m) {
        curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)VG_HTTP_PARALLEL);
        for (size_t i = 0; i < n; i++) {
            const struct vg_http_req *r = &reqs[i];
            if (!r->url || r->body_read) {
                continue; /* vg_http_do reports or streams it */
            }
            const char *method = r->method ? r->method : "GET";
            vg_autofree char *url = vg_http_plain_effective_url(c, r->url);
            if (xfer_new(&xs[i], c, r, method, url, r->body != NULL, true, VG_SINK_BUF, m, NULL) ==
                0) {
                curl_easy_setopt(xs[i]->easy, CURLOPT_PRIVATE, (char *)xs[i]);
            }
        }
        vg_autoerr struct vg_err *e = NULL;
        if (batch_pump(m, &e) < 0) {
            vg_autofree char *msg = vg_err_format(e);
            VG_DEBUG("net", "%s; finishing one by one", msg);
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct vg_http_xfer *x = xs[i];
        if (batch_final(c, &reqs[i], x)) {
            if (vg_log_enabled(VG_LOG_DEBUG, "net")) {
                vg_autofree char *u = vg_http_url_redact(x->url);
                vg_log_write(VG_LOG_DEBUG, "net", "%s %s: HTTP %ld (parallel)", x->method, u,
                             x->status);
            }
            xfer_to_resp(x, &resps[i]);
        } else if (vg_http_do(c, &reqs[i], &resps[i], &errs[i]) < 0 && !errs[i]) {
            vg_err_set(&errs[i], VG_E_INTERNAL, "request failed without a reason");
        }
        vg_http_xfer_free(x);
    }
    free(xs);
    vg_http_multi_give(m);
}

int
vg_http_check_status(const char *method, const char *url, long status, const struct vg_buf *body,
                     struct vg_err **err)
{
    if (status >= 200 && status < 300) {
        return 0;
    }
    enum vg_errc code = status == 401 || status == 403 ? VG_E_AUTH
                        : status == 404                ? VG_E_NOTFOUND
                                                       : VG_E_NET;
    vg_autofree char *u = vg_http_url_redact(url);
    vg_autofree char *detail = NULL;
    if (body && body->len) {
        size_t n = 0;
        while (n < body->len && n < 200 && body->data[n] != '\n') {
            n++;
        }
        detail = vg_escape((const char *)body->data, n, 200);
    }
    if (detail && *detail) {
        return vg_err_set(err, code, "%s %s: HTTP %ld: %s", method ? method : "GET", u, status,
                          detail);
    }
    return vg_err_set(err, code, "%s %s: HTTP %ld", method ? method : "GET", u, status);
}

/* ---------------------------------------------------------------- pull streams */

struct vg_http_stream {
    struct vg_http_xfer *x;
};

int
vg_http_stream_open(struct vg_http_client *c, const struct vg_http_req *req, bool any_status,
                    struct vg_http_stream **out, struct vg_err **err)
{
    struct vg_http_xfer *x = NULL;
    if (vg_http_xfer_start(c, req, VG_SINK_STREAM, &x, err) < 0) {
        return -1;
    }
    if (!any_status && (x->status < 200 || x->status >= 300)) {
        int rc = vg_http_check_status(x->method, x->url, x->status, NULL, err);
        vg_http_xfer_free(x);
        return rc;
    }
    struct vg_http_stream *s = vg_calloc(1, sizeof(*s));
    s->x = x;
    *out = s;
    return 0;
}

int
vg_http_stream_read(struct vg_http_stream *s, void *buf, size_t cap, size_t *got,
                    struct vg_err **err)
{
    struct vg_http_xfer *x = s->x;
    *got = 0;
    while (x->pend_off == x->body.len) {
        if (x->cb_err) {
            return xfer_error(x, err);
        }
        if (x->done) {
            return x->result == CURLE_OK ? 0 : xfer_error(x, err);
        }
        if (x->paused) {
            x->paused = false;
            /* May call on_write right away with the chunk curl held back. */
            curl_easy_pause(x->easy, CURLPAUSE_CONT);
            continue;
        }
        if (xfer_pump(x, UNTIL_DATA, err) < 0) {
            return -1;
        }
    }
    size_t avail = x->body.len - x->pend_off;
    size_t n = avail < cap ? avail : cap;
    memcpy(buf, x->body.data + x->pend_off, n);
    x->pend_off += n;
    *got = n;
    return 0;
}

long
vg_http_stream_status(const struct vg_http_stream *s)
{
    return s->x->status;
}

const char *
vg_http_stream_header_n(const struct vg_http_stream *s, const char *name, size_t idx)
{
    return vg_http_hdrs_get(&s->x->hdrs, name, idx);
}

const char *
vg_http_stream_header(const struct vg_http_stream *s, const char *name)
{
    return vg_http_hdrs_get(&s->x->hdrs, name, 0);
}

int64_t
vg_http_stream_length(const struct vg_http_stream *s)
{
    return s->x->content_length;
}

void
vg_http_stream_close(struct vg_http_stream *s)
{
    if (!s) {
        return;
    }
    vg_http_xfer_free(s->x);
    free(s);
}
