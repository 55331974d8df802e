/* SPDX-License-Identifier: Apache-2.0
 *
 * The daemon: libmicrohttpd with one event loop per worker thread (or a thread per connection
 * when the config asks), the route table, the request lifecycle (begin → body → end → done),
 * the built-in health and metrics endpoints, a watchdog that closes connections whose first
 * request's headers do not arrive in time (slowloris; libmicrohttpd only knows idle timeouts), and
 * drain/run.
 */
#include "httpd_int.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOW_BODY_GRACE_S 10u

static char *
dup_or_null(const char *s)
{
    return s ? vg_strdup(s) : NULL;
}

static int
parse_addr(struct vg_httpd *h, struct sockaddr_storage *ss, struct vg_err **err)
{
    const char *a = h->addr ? h->addr : "127.0.0.1:5000";
    char host[256];
    const char *colon = strrchr(a, ':');
    if (!colon || (size_t)(colon - a) >= sizeof(host)) {
        return vg_err_set(err, VG_E_USAGE, "listen address %s: want HOST:PORT", a);
    }
    size_t hl = (size_t)(colon - a);
    memcpy(host, a, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    uint64_t port;
    if (vg_parse_u64(vg_str_c(colon + 1), 65535, &port) < 0) {
        return vg_err_set(err, VG_E_USAGE, "listen address %s: bad port", a);
    }
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0 || !res) {
        return vg_err_set(err, VG_E_USAGE, "listen address %s: %s (a numeric address is needed)", a,
                          gai_strerror(rc));
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    atomic_store(&h->port, (unsigned)port);
    return 0;
}

struct vg_httpd *
vg_httpd_new(const struct vg_httpd_config *cfg, struct vg_err **err)
{
    struct vg_httpd *h = vg_calloc(1, sizeof(*h));
    h->cfg = *cfg;
    h->addr = dup_or_null(cfg->addr);
    h->tls_cert = dup_or_null(cfg->tls_cert);
    h->tls_key = dup_or_null(cfg->tls_key);
    h->access_log = dup_or_null(cfg->access_log);
    struct vg_httpd_config *c = &h->cfg;
    c->threads = c->threads ? c->threads : 4;
    c->max_connections = c->max_connections ? c->max_connections : 1024;
    c->max_per_ip = c->max_per_ip ? c->max_per_ip : 128;
    c->idle_timeout_s = c->idle_timeout_s ? c->idle_timeout_s : 60;
    c->header_timeout_s = c->header_timeout_s ? c->header_timeout_s : 10;
    c->max_header_bytes = c->max_header_bytes ? c->max_header_bytes : 64 * 1024;
    c->min_body_rate = c->min_body_rate ? c->min_body_rate : 1024;
    c->request_timeout_s = c->request_timeout_s ? c->request_timeout_s : 300;
    h->log_fd = -1;
    pthread_mutex_init(&h->conn_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->wd_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&h->log_lock, NULL);
    if (vg_httpd_stats_init(&h->st) < 0) {
        vg_err_set(err, VG_E_INTERNAL, "cannot initialise server statistics");
        vg_httpd_free(h);
        return NULL;
    }
    if ((!h->tls_cert) != (!h->tls_key)) {
        vg_err_set(err, VG_E_USAGE, "TLS needs both a certificate and a key");
        vg_httpd_free(h);
        return NULL;
    }
    h->tls = h->tls_cert != NULL;
    return h;
}

int
vg_httpd_route(struct vg_httpd *h, const struct vg_httpd_handler *hd, struct vg_err **err)
{
    if (h->d) {
        return vg_err_set(err, VG_E_USAGE, "routes must be added before the server starts");
    }
    if (!hd->prefix || hd->prefix[0] != '/' || !hd->begin || !hd->name) {
        return vg_err_set(err, VG_E_USAGE,
                          "route needs a name, a prefix starting with / and "
                          "a begin handler");
    }
    if (h->nroutes == HTTPD_MAX_ROUTES) {
        return vg_err_set(err, VG_E_LIMIT, "more than %d routes", HTTPD_MAX_ROUTES);
    }
    struct route *r = &h->routes[h->nroutes++];
    r->hd = *hd;
    r->name = vg_strdup(hd->name);
    r->prefix = vg_strdup(hd->prefix);
    r->plen = strlen(r->prefix);
    r->tree = r->plen > 1 && r->prefix[r->plen - 1] == '/';
    r->hd.name = r->name;
    r->hd.prefix = r->prefix;
    return 0;
}

void
vg_httpd_on_hup(struct vg_httpd *h, void (*fn)(void *ud), void *ud)
{
    if (h->nhup_hooks == HTTPD_MAX_HOOKS) {
        VG_LOG(VG_LOG_ERROR, "httpd", "more than %u SIGHUP callbacks: one ignored",
               HTTPD_MAX_HOOKS);
        return;
    }
    h->hup_hooks[h->nhup_hooks].fn = fn;
    h->hup_hooks[h->nhup_hooks++].ud = ud;
}

void
vg_httpd_metrics_hook(struct vg_httpd *h, void (*fn)(struct vg_buf *out, void *ud), void *ud)
{
    if (h->nmetrics_hooks == HTTPD_MAX_HOOKS) {
        VG_LOG(VG_LOG_ERROR, "httpd", "more than %u metrics hooks: one ignored", HTTPD_MAX_HOOKS);
        return;
    }
    h->metrics_hooks[h->nmetrics_hooks].fn = fn;
    h->metrics_hooks[h->nmetrics_hooks++].ud = ud;
}

/* Longest matching prefix; -1 when none. */
static int
route_find(const struct vg_httpd *h, const char *path)
{
    int best = -1;
    size_t best_len = 0;
    size_t plen = strlen(path);
    for (size_t i = 0; i < h->nroutes; i++) {
        const struct route *r = &h->routes[i];
        bool hit;
        if (r->tree) {
            hit = strncmp(path, r->prefix, r->plen) == 0 ||
                  (plen == r->plen - 1 && strncmp(path, r->prefix, plen) == 0);
        } else {
            hit = strcmp(path, r->prefix) == 0;
        }
        if (hit && r->plen > best_len) {
            best = (int)i;
            best_len = r->plen;
        }
    }
    return best;
}

/* ---------------------------------------------------------------- connections */

static struct conn *
conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void
notify_conn(void *cls, struct MHD_Connection *c, void **sctx,
            enum MHD_ConnectionNotificationCode toe)
{
    struct vg_httpd *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn *k = vg_calloc(1, sizeof(*k));
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        k->fd = ci ? ci->connect_fd : -1;
        k->accepted_ns = vg_now_ns();
        pthread_mutex_lock(&h->conn_lock);
        k->next = h->conns;
        if (h->conns) {
            h->conns->prev = k;
        }
        h->conns = k;
        pthread_mutex_unlock(&h->conn_lock);
        *sctx = k;
        atomic_fetch_add(&h->connections, 1);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *sctx) {
        struct conn *k = *sctx;
        pthread_mutex_lock(&h->conn_lock);
        if (k->prev) {
            k->prev->next = k->next;
        } else {
            h->conns = k->next;
        }
        if (k->next) {
            k->next->prev = k->prev;
        }
        pthread_mutex_unlock(&h->conn_lock);
        free(k);
        *sctx = NULL;
        atomic_fetch_sub(&h->connections, 1);
    }
}

/* ---------------------------------------------------------------- suspension */

/* conn_lock held: off the suspended list, and libmicrohttpd calls the handler again. */
static void
resume_locked(struct vg_httpd *h, struct vg_httpd_req *r)
{
    if (!r->suspended) {
        return;
    }
    if (r->susp_prev) {
        r->susp_prev->susp_next = r->susp_next;
    } else {
        h->suspended = r->susp_next;
    }
    if (r->susp_next) {
        r->susp_next->susp_prev = r->susp_prev;
    }
    r->susp_prev = r->susp_next = NULL;
    r->suspended = false;
    r->resumed = true;
    MHD_resume_connection(r->c);
}

int
vg_httpd_suspend(struct vg_httpd_req *r, uint64_t deadline_ns)
{
    struct vg_httpd *h = r->h;
    if (!h->cfg.suspendable || h->cfg.thread_per_connection || !r->ended || r->responded) {
        return -1;
    }
    pthread_mutex_lock(&h->conn_lock);
    MHD_suspend_connection(r->c);
    r->suspend_called = true;
    r->suspended = true;
    r->resumed = false;
    r->susp_deadline = deadline_ns;
    r->susp_prev = NULL;
    r->susp_next = h->suspended;
    if (h->suspended) {
        h->suspended->susp_prev = r;
    }
    h->suspended = r;
    pthread_cond_signal(&h->wd_cv); /* its next wake-up may be too late now */
    pthread_mutex_unlock(&h->conn_lock);
    return 0;
}

void
vg_httpd_resume(struct vg_httpd_req *r)
{
    pthread_mutex_lock(&r->h->conn_lock);
    resume_locked(r->h, r);
    pthread_mutex_unlock(&r->h->conn_lock);
}

static void
resume_all(struct vg_httpd *h)
{
    pthread_mutex_lock(&h->conn_lock);
    while (h->suspended) {
        resume_locked(h, h->suspended);
    }
    pthread_mutex_unlock(&h->conn_lock);
}

/* Shuts down (the daemon then closes) connections that have not delivered their first
 * request's headers within the header timeout, and resumes suspended requests at their
 * deadline. Wakes every 200 ms, or at the next deadline. */
static void *
watchdog_main(void *arg)
{
    struct vg_httpd *h = arg;
    pthread_mutex_lock(&h->conn_lock);
    while (!atomic_load(&h->stop_watchdog)) {
        uint64_t now = vg_now_ns();
        uint64_t next = now + 200000000ull;
        unsigned n = 0;
        for (struct conn *k = h->conns; k; k = k->next) {
            if (!atomic_load(&k->first_request_seen) && k->fd >= 0 &&
                now - k->accepted_ns > (uint64_t)h->cfg.header_timeout_s * 1000000000ull) {
                shutdown(k->fd, SHUT_RDWR);
                atomic_store(&k->first_request_seen, true); /* once */
                n++;
            }
        }
        for (struct vg_httpd_req *r = h->suspended, *nx; r; r = nx) {
            nx = r->susp_next;
            if (r->susp_deadline <= now) {
                resume_locked(h, r);
            } else if (r->susp_deadline < next) {
                next = r->susp_deadline;
            }
        }
        if (n) {
            pthread_mutex_unlock(&h->conn_lock);
            pthread_mutex_lock(&h->st.lock);
            h->st.header_timeouts += n;
            pthread_mutex_unlock(&h->st.lock);
            pthread_mutex_lock(&h->conn_lock);
            continue;
        }
        /* vg_now_ns is CLOCK_MONOTONIC, the condition's clock */
        struct timespec ts = {.tv_sec = (time_t)(next / 1000000000ull),
                              .tv_nsec = (long)(next % 1000000000ull)};
        (void)pthread_cond_timedwait(&h->wd_cv, &h->conn_lock, &ts);
    }
    pthread_mutex_unlock(&h->conn_lock);
    return NULL;
}

/* ---------------------------------------------------------------- dispatch */

static void *
uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct vg_httpd *h = cls;
    atomic_fetch_add(&h->inflight, 1);
    return vg_httpd_req_new(h, c, uri);
}

static void
builtin(struct vg_httpd *h, struct vg_httpd_req *r)
{
    const char *p = r->path;
    if (strcmp(p, "/healthz") == 0) {
        r->route_idx = -1;
        vg_httpd_respond_text(r, 200, "ok\n");
    } else if (strcmp(p, "/readyz") == 0) {
        r->route_idx = -2;
        bool ready = atomic_load(&h->ready) && !atomic_load(&h->draining);
        vg_httpd_respond_text(r, ready ? 200 : 503, ready ? "ready\n" : "not ready\n");
    } else {
        r->route_idx = -3;
        struct vg_buf b = VG_BUF_INIT(16u * 1024u * 1024u);
        vg_httpd_metrics_render(h, &b);
        struct vg_err *err = NULL;
        if (vg_httpd_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8",
                             b.len ? (const void *)b.data : (const void *)"", b.len, &err) < 0) {
            vg_err_free(&err);
        }
        vg_buf_dispose(&b);
    }
}

static bool
is_builtin(const char *p)
{
    return strcmp(p, "/healthz") == 0 || strcmp(p, "/readyz") == 0 || strcmp(p, "/metrics") == 0;
}

static void
respond_405(struct vg_httpd_req *r)
{
    static const char *names[] = {"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS"};
    char allow[96] = "";
    size_t o = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(names); i++) {
        if (r->rt->hd.methods & (1u << i)) {
            int w = snprintf(allow + o, sizeof(allow) - o, "%s%s", o ? ", " : "", names[i]);
            o += (size_t)w;
        }
    }
    vg_httpd_respond_text(r, 405, "method not allowed\n");
    if (r->resp) {
        MHD_add_response_header(r->resp, "Allow", allow);
    }
}

static void
internal_error(struct vg_httpd_req *r, const char *what)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "internal error in %s (request %s)\n", what, r->rid);
    vg_httpd_respond_text(r, 500, msg);
}

static enum MHD_Result
add_header_bytes(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    *(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": ", CRLF */
    return MHD_YES;
}

/* The request line and headers as received, about (for max_header_bytes). */
static size_t
header_bytes(struct MHD_Connection *c, const char *path)
{
    size_t n = strlen(path) + 32;
    MHD_get_connection_values(c, MHD_HEADER_KIND, add_header_bytes, &n);
    return n;
}

/* First call: headers complete. */
static void
on_headers(struct vg_httpd *h, struct vg_httpd_req *r, const char *method)
{
    struct conn *k = conn_of(r->c);
    if (k) {
        /* the watchdog reads it under conn_lock, which this thread does not take: atomic (a late
         * store is harmless) */
        atomic_store(&k->first_request_seen, true);
    }
    vg_httpd_req_headers_in(r, method);
    if (h->cfg.conn_memory > h->cfg.max_header_bytes &&
        header_bytes(r->c, r->path) > h->cfg.max_header_bytes) {
        vg_httpd_respond_text(r, 431,
                              "request header fields too large\n"); /* MHD's limit is higher */
        return;
    }
    if (is_builtin(r->path)) {
        builtin(h, r);
        return;
    }
    int idx = route_find(h, r->path);
    if (idx < 0) {
        r->route_idx = -4;
        vg_httpd_respond_text(r, 404, "404 page not found\n");
        return;
    }
    r->route_idx = idx;
    r->rt = &h->routes[idx];
    if (!(r->rt->hd.methods & (unsigned)r->method)) {
        respond_405(r);
        return;
    }
    int rc = r->rt->hd.begin(r, r->rt->hd.ud);
    if (rc < 0 && !r->responded) {
        internal_error(r, r->rt->name);
    }
    if (r->responded) {
        return;
    }
    const char *cl = vg_httpd_header(r, "Content-Length");
    uint64_t n;
    if (cl && vg_parse_u64(vg_str_c(cl), UINT64_MAX, &n) == 0 && n > r->body_max) {
        vg_httpd_respond_text(r, 413, "request body too large\n");
    }
}

static bool
body_too_slow(struct vg_httpd *h, struct vg_httpd_req *r)
{
    uint64_t now = vg_now_ns();
    if (!r->body_t0) {
        r->body_t0 = now;
        return false;
    }
    uint64_t el = (now - r->body_t0) / 1000000000ull;
    return el > SLOW_BODY_GRACE_S && r->body_n / el < h->cfg.min_body_rate;
}

/* Whether a request body follows the headers (a Content-Length other than 0, or chunked). */
static bool
request_has_body(struct vg_httpd_req *r)
{
    const char *cl = vg_httpd_header(r, "Content-Length");
    const char *te = vg_httpd_header(r, "Transfer-Encoding");
    return te != NULL || (cl != NULL && strcmp(cl, "0") != 0);
}

static enum MHD_Result
ahc(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
    const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void)url;
    (void)version;
    struct vg_httpd *h = cls;
    struct vg_httpd_req *r = *con_cls;
    if (!r) {
        return MHD_NO; /* uri_log always sets it */
    }
    if (!r->started) {
        r->started = true;
        on_headers(h, r, method);
        /* libmicrohttpd closes the connection after a response queued "early" (before the
         * request is complete). That is right when a body follows (it is then discarded
         * unread) but would cost every bodiless GET/HEAD its keep-alive: those responses are
         * queued on the final call instead, which comes at once. */
        if (r->responded && request_has_body(r)) {
            return MHD_queue_response(c, r->status, r->resp);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->responded) {
            return MHD_YES; /* answered early: discard, the connection closes after */
        }
        if (vg_httpd_req_feed(r, upload_data, n) < 0) {
            return MHD_NO; /* over the limit or the sink failed: close the connection */
        }
        if (body_too_slow(h, r)) {
            pthread_mutex_lock(&h->st.lock);
            h->st.slow_bodies++;
            pthread_mutex_unlock(&h->st.lock);
            vg_err_set(&r->body_err, VG_E_LIMIT, "request body slower than %u bytes/s",
                       h->cfg.min_body_rate);
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (!r->responded && (!r->ended || r->resumed)) { /* the end, or back from a suspension */
        r->ended = true;
        pthread_mutex_lock(&h->conn_lock);
        r->resumed = false;
        pthread_mutex_unlock(&h->conn_lock);
        r->suspend_called = false;
        if (r->rt && r->rt->hd.end) {
            (void)r->rt->hd.end(r, r->rt->hd.ud); /* failing without a response is a 500 */
        }
        if (r->suspend_called && !r->responded) {
            return MHD_YES; /* called again when resumed */
        }
        if (!r->responded) {
            internal_error(r, r->rt ? r->rt->name : "httpd");
        }
    }
    if (!r->resp) {
        return MHD_NO;
    }
    if (h->tls && r->small_body && !r->tls_corked) {
        vg_httpd_tls_cork(r);
    }
    return MHD_queue_response(c, r->status, r->resp);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct vg_httpd *h = cls;
    struct vg_httpd_req *r = *con_cls;
    if (!r) {
        return;
    }
    bool ok = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    if (r->tls_corked) {
        vg_httpd_tls_uncork(r, conn_of(c));
    }
    if (r->suspend_called) { /* never left on the list once gone (a stop while suspended) */
        pthread_mutex_lock(&h->conn_lock);
        resume_locked(h, r);
        pthread_mutex_unlock(&h->conn_lock);
    }
    double secs = (double)(vg_now_ns() - r->t0) / 1e9;
    if (r->rt && r->rt->hd.done) {
        r->rt->hd.done(r, r->rt->hd.ud, ok);
    }
    vg_httpd_stats_record(h, r, secs, ok);
    vg_httpd_log_request(h, r, secs, ok);
    vg_httpd_req_free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&h->inflight, 1);
}

static size_t
unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s); /* handlers see raw paths; queries are decoded by vg_httpd_query */
}

int
vg_httpd_start(struct vg_httpd *h, struct vg_err **err)
{
    struct sockaddr_storage ss;
    if (parse_addr(h, &ss, err) < 0 || vg_httpd_log_open(h, err) < 0) {
        return -1;
    }
    if (h->tls && vg_httpd_tls_load(h->tls_cert, h->tls_key, err) < 0) {
        return -1;
    }
    unsigned flags = MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (h->cfg.suspendable && !h->cfg.thread_per_connection) {
        flags |= MHD_ALLOW_SUSPEND_RESUME;
    }
    /* Thread per connection uses poll (select would fail past FD_SETSIZE descriptors); the
     * pool one epoll loop per worker. */
    flags |= h->cfg.thread_per_connection
                 ? MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD
                 : MHD_USE_AUTO_INTERNAL_THREAD;
    if (ss.ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    if (h->tls) {
        flags |= MHD_USE_TLS;
    }
    size_t mem = h->cfg.max_header_bytes < 32 * 1024 ? 32 * 1024 : h->cfg.max_header_bytes;
    mem = h->cfg.conn_memory > mem ? h->cfg.conn_memory : mem;
    /* The pool's size; a thread per connection takes no such option (0 would be warned of). */
    struct MHD_OptionItem pool_opts[] = {
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)h->cfg.threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, h->tls ? vg_httpd_tls_callback() : NULL},
        {MHD_OPTION_HTTPS_PRIORITIES, 0,
         (void *)(uintptr_t) "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"},
        {MHD_OPTION_END, 0, NULL},
    };
    /* Worker threads inherit the signal mask: block what vg_httpd_run waits for, so SIGTERM
     * is never delivered to (and kills the process from) a worker. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, &ahc, h, MHD_OPTION_EXTERNAL_LOGGER, &vg_httpd_mhd_log, h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_ARRAY,
        h->cfg.thread_per_connection ? pool_opts + 1 : pool_opts, MHD_OPTION_CONNECTION_LIMIT,
        h->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->cfg.max_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, h->cfg.idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        mem, MHD_OPTION_URI_LOG_CALLBACK, &uri_log, h, MHD_OPTION_NOTIFY_COMPLETED, &completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, &notify_conn, h, MHD_OPTION_UNESCAPE_CALLBACK, &unescape_none,
        h, MHD_OPTION_ARRAY, h->tls ? tls_opts : tls_opts + 2, MHD_OPTION_END);
    if (h->d && pthread_create(&h->watchdog, NULL, watchdog_main, h) == 0) {
        h->watchdog_running = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!h->d) {
        return vg_err_set(err, VG_E_IO, "cannot listen on %s (address in use or not local?)",
                          h->addr ? h->addr : "127.0.0.1:5000");
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    if (di) {
        atomic_store(&h->port, di->port);
    }
    return 0;
}

uint16_t
vg_httpd_port(const struct vg_httpd *h)
{
    return (uint16_t)atomic_load(&((struct vg_httpd *)(uintptr_t)h)->port);
}

bool
vg_httpd_is_tls(const struct vg_httpd *h)
{
    return h->tls;
}

void
vg_httpd_set_ready(struct vg_httpd *h, bool ready)
{
    atomic_store(&h->ready, ready);
}

int
vg_httpd_reload_tls(struct vg_httpd *h, struct vg_err **err)
{
    if (!h->tls) {
        return 0;
    }
    return vg_httpd_tls_load(h->tls_cert, h->tls_key, err);
}

int
vg_httpd_reopen_logs(struct vg_httpd *h, struct vg_err **err)
{
    return vg_httpd_log_open(h, err);
}

static void
stop_watchdog(struct vg_httpd *h)
{
    if (h->watchdog_running) {
        pthread_mutex_lock(&h->conn_lock);
        atomic_store(&h->stop_watchdog, true);
        pthread_cond_signal(&h->wd_cv);
        pthread_mutex_unlock(&h->conn_lock);
        pthread_join(h->watchdog, NULL);
        h->watchdog_running = false;
    }
}

unsigned
vg_httpd_drain(struct vg_httpd *h, unsigned timeout_s)
{
    if (!h->d) {
        return 0;
    }
    atomic_store(&h->draining, true);
    MHD_socket ls = MHD_quiesce_daemon(h->d);
    if (ls != MHD_INVALID_SOCKET) {
        close(ls);
    }
    uint64_t until = vg_now_ns() + (uint64_t)timeout_s * 1000000000ull;
    while (atomic_load(&h->inflight) > 0 && vg_now_ns() < until) {
        usleep(10 * 1000);
    }
    unsigned left = atomic_load(&h->inflight);
    stop_watchdog(h);
    resume_all(h); /* libmicrohttpd refuses to stop with suspended connections */
    MHD_stop_daemon(h->d);
    h->d = NULL;
    return left;
}

void
vg_httpd_free(struct vg_httpd *h)
{
    if (!h) {
        return;
    }
    stop_watchdog(h);
    if (h->d) {
        resume_all(h);
        MHD_stop_daemon(h->d);
    }
    if (h->tls) {
        vg_httpd_tls_release();
    }
    vg_httpd_log_close(h);
    for (size_t i = 0; i < h->nroutes; i++) {
        free(h->routes[i].name);
        free(h->routes[i].prefix);
    }
    vg_httpd_stats_dispose(&h->st);
    pthread_mutex_destroy(&h->conn_lock);
    pthread_cond_destroy(&h->wd_cv);
    pthread_mutex_destroy(&h->log_lock);
    free(h->addr);
    free(h->tls_cert);
    free(h->tls_key);
    free(h->access_log);
    free(h);
}

int
vg_httpd_run(struct vg_httpd *h, unsigned drain_s, struct vg_err **err)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        return vg_err_sys(err, VG_E_INTERNAL, "blocking signals");
    }
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) {
            continue;
        }
        if (sig == SIGHUP) {
            struct vg_err *e = NULL;
            if (vg_httpd_reload_tls(h, &e) < 0 || vg_httpd_reopen_logs(h, &e) < 0) {
                char *m = vg_err_format(e);
                VG_WARN("httpd", "reload failed, keeping the old certificate: %s", m);
                free(m);
                vg_err_free(&e);
            } else {
                VG_INFO("httpd", "reloaded TLS certificate and access log");
            }
            for (size_t i = 0; i < h->nhup_hooks; i++) {
                h->hup_hooks[i].fn(h->hup_hooks[i].ud);
            }
            continue;
        }
        unsigned left = vg_httpd_drain(h, drain_s);
        if (left) {
            VG_WARN("httpd", "%u requests still running after %u s of draining", left, drain_s);
        }
        return 0;
    }
}
