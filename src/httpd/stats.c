/* SPDX-License-Identifier: Apache-2.0
 *
 * Request accounting: Prometheus counters and latency histograms per route, and one JSON
 * access-log line per request (written with a single write(2) under a lock, so lines from
 * concurrent requests never interleave).
 */
#include "httpd_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const double BUCKETS[HTTPD_NBUCKETS] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,   1,    2.5,   10,   60};

/* Route labels of the built-ins: index -1.. -4 map to hist[nroutes + 0..3]. */
static const char *const BUILTIN[] = {"healthz", "readyz", "metrics", "unrouted"};

int
vg_httpd_stats_init(struct stats *st)
{
    memset(st, 0, sizeof(*st));
    return pthread_mutex_init(&st->lock, NULL) == 0 ? 0 : -1;
}

void
vg_httpd_stats_dispose(struct stats *st)
{
    free(st->keys);
    pthread_mutex_destroy(&st->lock);
}

static size_t
hist_index(const struct vg_httpd *h, int route)
{
    return route >= 0 ? (size_t)route : h->nroutes + (size_t)(-route - 1);
}

static const char *
route_label(const struct vg_httpd *h, int route)
{
    return route >= 0 ? h->routes[route].name : BUILTIN[-route - 1];
}

void
vg_httpd_stats_record(struct vg_httpd *h, const struct vg_httpd_req *r, double secs, bool completed)
{
    struct stats *st = &h->st;
    pthread_mutex_lock(&st->lock);
    if (!completed) {
        st->aborted++;
    }
    unsigned status = r->responded ? r->status : 0;
    struct stat_key *k = NULL;
    for (size_t i = 0; i < st->nkeys; i++) {
        struct stat_key *c = &st->keys[i];
        if (c->route == r->route_idx && c->method == (unsigned)r->method && c->status == status) {
            k = c;
            break;
        }
    }
    if (!k && st->nkeys < 4096) {
        st->keys = vg_vec_grow(st->keys, &st->cap, st->nkeys, 1, sizeof(*st->keys));
        k = &st->keys[st->nkeys++];
        *k = (struct stat_key){r->route_idx, (unsigned)r->method, status, 0};
    }
    if (k) {
        k->count++;
    }
    struct route_hist *hs = &st->hist[hist_index(h, r->route_idx)];
    for (size_t b = 0; b < HTTPD_NBUCKETS; b++) {
        if (secs <= BUCKETS[b]) {
            hs->buckets[b]++;
            break;
        }
    }
    hs->count++;
    hs->sum += secs;
    hs->bytes_in += r->body_n;
    hs->bytes_out += completed ? r->bytes_out : 0;
    pthread_mutex_unlock(&st->lock);
}

static const char *
method_label(unsigned m)
{
    switch (m) {
    case VG_HTTP_GET:
        return "GET";
    case VG_HTTP_HEAD:
        return "HEAD";
    case VG_HTTP_PUT:
        return "PUT";
    case VG_HTTP_POST:
        return "POST";
    case VG_HTTP_PATCH:
        return "PATCH";
    case VG_HTTP_DELETE:
        return "DELETE";
    case VG_HTTP_OPTIONS:
        return "OPTIONS";
    default:
        return "OTHER";
    }
}

static void
render_hist(struct vg_httpd *h, struct vg_buf *out, size_t nlabels)
{
    int rc = vg_buf_append_str(out,
                               "# HELP vigil_http_request_duration_seconds Time from the request "
                               "line to the last response byte.\n"
                               "# TYPE vigil_http_request_duration_seconds histogram\n",
                               NULL);
    for (size_t i = 0; i < nlabels && rc == 0; i++) {
        const struct route_hist *hs = &h->st.hist[i];
        int route = i < h->nroutes ? (int)i : -(int)(i - h->nroutes) - 1;
        const char *lab = route_label(h, route);
        uint64_t cum = 0;
        for (size_t b = 0; b < HTTPD_NBUCKETS && rc == 0; b++) {
            cum += hs->buckets[b];
            rc = vg_buf_appendf(out, NULL,
                                "vigil_http_request_duration_seconds_bucket{handler=\"%s\","
                                "le=\"%g\"} %llu\n",
                                lab, BUCKETS[b], (unsigned long long)cum);
        }
        if (rc == 0) {
            rc = vg_buf_appendf(
                out, NULL,
                "vigil_http_request_duration_seconds_bucket{handler=\"%s\",le=\"+Inf\"} %llu\n"
                "vigil_http_request_duration_seconds_sum{handler=\"%s\"} %.6f\n"
                "vigil_http_request_duration_seconds_count{handler=\"%s\"} %llu\n"
                "vigil_http_request_bytes_total{handler=\"%s\"} %llu\n"
                "vigil_http_response_bytes_total{handler=\"%s\"} %llu\n",
                lab, (unsigned long long)hs->count, lab, hs->sum, lab,
                (unsigned long long)hs->count, lab, (unsigned long long)hs->bytes_in, lab,
                (unsigned long long)hs->bytes_out);
        }
    }
}

void
vg_httpd_metrics_render(struct vg_httpd *h, struct vg_buf *out)
{
    struct stats *st = &h->st;
    pthread_mutex_lock(&st->lock);
    int rc = vg_buf_append_str(out,
                               "# HELP vigil_http_requests_total Requests by handler, method and "
                               "status (0: no response sent).\n"
                               "# TYPE vigil_http_requests_total counter\n",
                               NULL);
    for (size_t i = 0; i < st->nkeys && rc == 0; i++) {
        const struct stat_key *k = &st->keys[i];
        rc = vg_buf_appendf(out, NULL,
                            "vigil_http_requests_total{handler=\"%s\",method=\"%s\","
                            "code=\"%u\"} %llu\n",
                            route_label(h, k->route), method_label(k->method), k->status,
                            (unsigned long long)k->count);
    }
    render_hist(h, out, h->nroutes + VG_ARRAY_LEN(BUILTIN));
    rc = vg_buf_appendf(out, NULL,
                        "# TYPE vigil_http_requests_aborted_total counter\n"
                        "vigil_http_requests_aborted_total %llu\n"
                        "# TYPE vigil_http_header_timeouts_total counter\n"
                        "vigil_http_header_timeouts_total %llu\n"
                        "# TYPE vigil_http_slow_bodies_total counter\n"
                        "vigil_http_slow_bodies_total %llu\n",
                        (unsigned long long)st->aborted, (unsigned long long)st->header_timeouts,
                        (unsigned long long)st->slow_bodies);
    pthread_mutex_unlock(&st->lock);
    if (rc == 0) {
        rc = vg_buf_appendf(out, NULL,
                            "# TYPE vigil_http_in_flight_requests gauge\n"
                            "vigil_http_in_flight_requests %u\n"
                            "# TYPE vigil_http_open_connections gauge\n"
                            "vigil_http_open_connections %u\n"
                            "# TYPE vigil_http_ready gauge\n"
                            "vigil_http_ready %d\n",
                            atomic_load(&h->inflight), atomic_load(&h->connections),
                            atomic_load(&h->ready) ? 1 : 0);
    }
    for (size_t i = 0; rc == 0 && i < h->nmetrics_hooks; i++) {
        h->metrics_hooks[i].fn(out, h->metrics_hooks[i].ud);
    }
}

int
vg_httpd_log_open(struct vg_httpd *h, struct vg_err **err)
{
    const char *p = h->access_log;
    int fd;
    bool owned = false;
    if (!p || strcmp(p, "-") == 0) {
        fd = 2;
    } else if (strcmp(p, "off") == 0) {
        fd = -1;
    } else {
        fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd < 0) {
            return vg_err_sys(err, VG_E_IO, "access log %s", p);
        }
        owned = true;
    }
    pthread_mutex_lock(&h->log_lock);
    if (h->log_owned && h->log_fd >= 0) {
        close(h->log_fd);
    }
    h->log_fd = fd;
    h->log_owned = owned;
    pthread_mutex_unlock(&h->log_lock);
    return 0;
}

void
vg_httpd_log_close(struct vg_httpd *h)
{
    pthread_mutex_lock(&h->log_lock);
    if (h->log_owned && h->log_fd >= 0) {
        close(h->log_fd);
    }
    h->log_fd = -1;
    h->log_owned = false;
    pthread_mutex_unlock(&h->log_lock);
}

void
vg_httpd_log_request(struct vg_httpd *h, const struct vg_httpd_req *r, double secs, bool completed)
{
    /* off: not worth formatting (a reopen may race with this; the check under the lock decides) */
    if (atomic_load_explicit(&h->log_fd, memory_order_relaxed) < 0) {
        return;
    }
    char ts[32];
    vg_time_rfc3339(ts, sizeof(ts), vg_now_unix());
    json_t *o = json_object();
    vg_json_set_str(o, "ts", ts);
    vg_json_set_str(o, "level", "info");
    vg_json_set_str(o, "component", "httpd");
    vg_json_set_str(o, "msg", "request");
    vg_json_set_str(o, "request_id", r->rid);
    vg_json_set_str(o, "remote", r->remote);
    vg_json_set_str(o, "method", r->method_name ? r->method_name : "");
    /* jansson refuses invalid UTF-8: escape the raw path first */
    char *path = vg_escape(r->path, strlen(r->path), 2048);
    vg_json_set_str(o, "path", path);
    free(path);
    vg_json_set_str(o, "handler", route_label(h, r->route_idx));
    json_object_set_new(o, "status", json_integer(r->responded ? r->status : 0));
    json_object_set_new(o, "bytes_in", json_integer((json_int_t)r->body_n));
    json_object_set_new(o, "bytes_out", json_integer((json_int_t)(completed ? r->bytes_out : 0)));
    json_object_set_new(o, "duration_ms", json_real((double)(int64_t)(secs * 1e6) / 1e3));
    json_object_set_new(o, "completed", json_boolean(completed));
    json_object_set_new(o, "tls", json_boolean(h->tls));
    if (r->user) {
        vg_json_set_str(o, "user", r->user);
    }
    if (r->body_err) {
        char *e = vg_err_format(r->body_err);
        vg_json_set_str(o, "error", e);
        free(e);
    }
    char *line = vg_json_dump(o, false);
    json_decref(o);
    if (!line) {
        return;
    }
    size_t n = strlen(line);
    line[n] = '\n'; /* replace the NUL: written with its length, never used as a string again */
    pthread_mutex_lock(&h->log_lock);
    if (h->log_fd >= 0 && vg_fd_write_all(h->log_fd, line, n + 1) < 0 && errno != EPIPE) {
        /* nothing sensible to do: the access log is best effort, the request already ran */
    }
    pthread_mutex_unlock(&h->log_lock);
    free(line);
}

/* ---------------------------------------------------------------- libmicrohttpd's messages */

/* Messages a client causes (a reset connection, an aborted download, a header that the next
 * "Error processing request" line refuses anyway) and httpd's own closes (a body over its limit
 * or too slow: the access log has the error): debug, not warnings. */
static const char *const MHD_CLIENT_NOISE[] = {
    "Application reported internal error",      "Socket has been disconnected",
    "Connection socket is closed when reading", "Connection was closed by remote side",
    "Failed to send data in request",           "Failed to send the response",
    "Failed to send the chunked response",      "Failed to send the footers",
    "Failed to parse `Content-Length'",         "Too large value of 'Content-Length'",
    "Received HTTP/1.1 request without `Host'", "Too late to send an error response",
};

/* "Error processing request (HTTP response code is 400 ('<html><head><title>Request
 * malformed</title>...')). Closing connection.": the status, and the page's title as reason. */
static bool
refused_status(const char *msg, unsigned *status, struct vg_str *reason)
{
    static const char pre[] = "Error processing request (HTTP response code is ";
    if (strncmp(msg, pre, sizeof(pre) - 1) != 0) {
        return false;
    }
    const char *p = msg + sizeof(pre) - 1;
    unsigned s = 0;
    size_t n = 0;
    for (; n < 3 && p[n] >= '0' && p[n] <= '9'; n++) {
        s = s * 10 + (unsigned)(p[n] - '0');
    }
    if (n != 3) {
        return false;
    }
    *status = s;
    *reason = (struct vg_str){"", 0};
    const char *t = strstr(p, "<title>");
    const char *e = t ? strstr(t, "</title>") : NULL;
    if (e) {
        *reason = (struct vg_str){t + 7, (size_t)(e - t - 7)};
    }
    return true;
}

void
vg_httpd_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[1024];
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n < 0) {
        return;
    }
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' ')) {
        msg[--len] = '\0';
    }
    unsigned status;
    struct vg_str reason;
    if (refused_status(msg, &status, &reason)) {
        /* libmicrohttpd answered (and closed) without calling a handler: no access-log status */
        if (vg_log_enabled(VG_LOG_INFO, "httpd")) {
            char *r = vg_escape(reason.ptr, reason.len, 200);
            VG_EVENT(VG_LOG_INFO, "httpd", "request refused by the HTTP parser",
                     VG_KV_U64("status", status), VG_KV_STR("reason", r));
            free(r);
        }
        return;
    }
    enum vg_log_level lvl = VG_LOG_WARN;
    for (size_t i = 0; i < VG_ARRAY_LEN(MHD_CLIENT_NOISE); i++) {
        if (strncmp(msg, MHD_CLIENT_NOISE[i], strlen(MHD_CLIENT_NOISE[i])) == 0) {
            lvl = VG_LOG_DEBUG;
        }
    }
    if (vg_log_enabled(lvl, "httpd")) {
        char *m = vg_escape(msg, len, 1024); /* may quote a client's URL */
        VG_EVENT(lvl, "httpd", "libmicrohttpd", VG_KV_STR("detail", m));
        free(m);
    }
}
