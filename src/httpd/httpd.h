/* SPDX-License-Identifier: Apache-2.0
 *
 * httpd: the one HTTP server module (the only libmicrohttpd and GnuTLS user). The registry and
 * the admission webhook mount handlers on a route table; httpd owns what every server needs:
 * connection and header limits, idle timeouts, request ids and deadlines, a per-request arena,
 * bodies streamed to a sink (an upload is never held in memory unless a handler asks for a
 * bounded buffer), responses from file descriptors (sendfile on plain TCP), TLS from PEM files
 * reloaded without dropping connections, /healthz, /readyz and Prometheus /metrics, one JSON
 * access-log line per request, and a graceful drain.
 *
 * Request lifecycle, all on one of the server's threads:
 *   begin(r)  headers are in; the handler responds, or accepts a body (vg_httpd_body_buffer /
 *             vg_httpd_body_sink) and returns 0;
 *   end(r)    the whole body arrived; the handler responds (a failing sink, a body over
 *             the limit or too slow closes the connection instead: end() is not called,
 *             done() sees completed == false and the access log the error);
 *   done(r)   always, last: release per-request state (remove a half-written upload when
 *             `completed` is false).
 * A handler that returns < 0 without responding gets a 500 with the request id.
 *
 * Thread safety: handlers run concurrently on several threads; a request object is used by one
 * thread at a time. vg_httpd_set_ready, vg_httpd_reload_tls, vg_httpd_reopen_logs and
 * vg_httpd_drain may be called from any thread while requests run; vg_httpd_port and
 * vg_httpd_is_tls from handlers. Routes and hooks are added before vg_httpd_start, never after.
 * See docs/internals/LOCKING.md.
 */
#ifndef VG_HTTPD_H
#define VG_HTTPD_H

#include "core/core.h"

struct vg_httpd;
struct vg_httpd_req;

enum vg_httpd_method {
    VG_HTTP_GET = 1u << 0,
    VG_HTTP_HEAD = 1u << 1,
    VG_HTTP_PUT = 1u << 2,
    VG_HTTP_POST = 1u << 3,
    VG_HTTP_PATCH = 1u << 4,
    VG_HTTP_DELETE = 1u << 5,
    VG_HTTP_OPTIONS = 1u << 6,
    VG_HTTP_OTHER = 1u << 7,
};
#define VG_HTTP_ANY 0xffu

struct vg_httpd_handler {
    const char *name;   /* label in metrics and access logs: "registry", "admit" */
    const char *prefix; /* "/v2/" matches "/v2" and everything below; "/validate" exactly */
    unsigned methods;   /* VG_HTTP_* mask; others get 405 with Allow */
    int (*begin)(struct vg_httpd_req *r, void *ud);
    int (*end)(struct vg_httpd_req *r, void *ud); /* NULL if the handler never takes bodies */
    void (*done)(struct vg_httpd_req *r, void *ud, bool completed); /* may be NULL */
    void *ud;
};

struct vg_httpd_config {
    const char *addr;           /* "127.0.0.1:5000", "[::1]:5000"; port 0 picks a free one */
    const char *tls_cert;       /* PEM chain; with tls_key enables TLS */
    const char *tls_key;        /* PEM private key (unencrypted) */
    unsigned threads;           /* worker threads, each with its own event loop; 0 = 4 */
    bool thread_per_connection; /* instead of the pool: a thread per connection (poll), for
                                   servers of large files: libmicrohttpd then sends a file
                                   response in 2 MiB sendfile calls, not 128 KiB ones. Each
                                   open connection (a slow one too) costs a thread, within the
                                   same connection limits. */
    unsigned max_connections;   /* 0 = 1024 */
    unsigned max_per_ip;        /* 0 = 128 */
    unsigned idle_timeout_s;    /* a connection silent this long is closed; 0 = 60 */
    unsigned header_timeout_s;  /* a new connection must deliver its first request's headers
                                   within this (slowloris); 0 = 10 */
    size_t max_header_bytes;    /* request line + headers; 0 = 64 KiB */
    size_t conn_memory;         /* libmicrohttpd's memory per connection, which bounds its read
                                   buffer; 0 = max_header_bytes (at least 32 KiB). Larger: a
                                   body is read in larger pieces (an upload takes fewer reads
                                   and wake-ups); headers stay limited to max_header_bytes. */
    unsigned min_body_rate;     /* bytes/s a body must average after 10 s; 0 = 1024 */
    unsigned request_timeout_s; /* deadline handlers see; 0 = 300 */
    const char *access_log;     /* NULL or "-" = stderr, "off" = none, else a file (appended,
                                   reopened by vg_httpd_reopen_logs) */
    bool suspendable;           /* handlers may vg_httpd_suspend (libmicrohttpd's
                                   suspend/resume; thread pool mode only) */
};

/* ---------------------------------------------------------------- server */

VG_NODISCARD struct vg_httpd *vg_httpd_new(const struct vg_httpd_config *cfg, struct vg_err **err);
/* Routes are matched longest prefix first; add them before vg_httpd_start. */
VG_NODISCARD int vg_httpd_route(struct vg_httpd *h, const struct vg_httpd_handler *hd,
                                struct vg_err **err);
/* Extra Prometheus text appended to /metrics (registry queue depth, ...). Hooks add up (at most
 * 8), called in registration order. */
void vg_httpd_metrics_hook(struct vg_httpd *h, void (*fn)(struct vg_buf *out, void *ud), void *ud);
/* Called by vg_httpd_run on SIGHUP after TLS and logs were reloaded (policy reloads, rescans,
 * ...). Callbacks add up (at most 8), called in registration order on the run thread. */
void vg_httpd_on_hup(struct vg_httpd *h, void (*fn)(void *ud), void *ud);
VG_NODISCARD int vg_httpd_start(struct vg_httpd *h, struct vg_err **err);
uint16_t vg_httpd_port(const struct vg_httpd *h);
bool vg_httpd_is_tls(const struct vg_httpd *h);
/* /readyz answers 200 only when ready (set after start by the owner); /healthz always 200. */
void vg_httpd_set_ready(struct vg_httpd *h, bool ready);
/* Reads cert and key again; new handshakes use them, open connections are untouched. On error
 * the old pair stays in use. */
VG_NODISCARD int vg_httpd_reload_tls(struct vg_httpd *h, struct vg_err **err);
VG_NODISCARD int vg_httpd_reopen_logs(struct vg_httpd *h, struct vg_err **err);
/* Stops accepting, lets in-flight requests finish for up to `timeout_s`, then closes every
 * connection. Returns the number of requests still running at the deadline. */
unsigned vg_httpd_drain(struct vg_httpd *h, unsigned timeout_s);
void vg_httpd_free(struct vg_httpd *h);

/* Serves until SIGTERM or SIGINT (then drains for `drain_s`), reloading TLS and reopening
 * logs on SIGHUP. The calling thread must not have those signals handled elsewhere. */
VG_NODISCARD int vg_httpd_run(struct vg_httpd *h, unsigned drain_s, struct vg_err **err);

/* ---------------------------------------------------------------- request */

enum vg_httpd_method vg_httpd_method(const struct vg_httpd_req *r);
const char *vg_httpd_method_name(const struct vg_httpd_req *r);
/* The path exactly as sent (no percent-decoding, no query). */
const char *vg_httpd_path(const struct vg_httpd_req *r);
/* The first value of a query parameter, percent-decoded (core's vg_pct_decode; "+" stays "+");
 * NULL when absent, when an escape is malformed or when it decodes to something with a NUL
 * byte. Arena memory, valid for the request. */
const char *vg_httpd_query(struct vg_httpd_req *r, const char *key);
/* The raw query (after '?', not decoded) or NULL, for protocol grammars that parse it whole. */
const char *vg_httpd_query_string(const struct vg_httpd_req *r);
const char *vg_httpd_header(const struct vg_httpd_req *r, const char *name);
const char *vg_httpd_remote(const struct vg_httpd_req *r);
/* The client's X-Request-Id when it is short and plain, else a generated one; echoed back. */
const char *vg_httpd_request_id(const struct vg_httpd_req *r);
bool vg_httpd_req_tls(const struct vg_httpd_req *r);
/* Monotonic deadline (vg_now_ns scale) after which the handler should give up. */
uint64_t vg_httpd_deadline_ns(const struct vg_httpd_req *r);
/* Per-request memory, freed after done(). Aborts on OOM like vg_malloc. */
void *vg_httpd_alloc(struct vg_httpd_req *r, size_t n);
char *vg_httpd_strdup(struct vg_httpd_req *r, const char *s);
void vg_httpd_set_ctx(struct vg_httpd_req *r, void *ctx);
void *vg_httpd_ctx(const struct vg_httpd_req *r);
/* Who the request acted as, for the access log. Copied. */
void vg_httpd_set_user(struct vg_httpd_req *r, const char *user);

/* ---------------------------------------------------------------- suspension */

/* From end() only, on a server configured `suspendable`: the request waits without holding its
 * server thread (the other connections of that thread are served meanwhile). end() returns
 * without responding, and is called again once vg_httpd_resume(r) is called (any thread), the
 * deadline (vg_now_ns scale) passes, or the server stops; it must then respond (or suspend
 * again). -1 when the server is not suspendable: the handler must answer on this call.
 * done() still comes last and r is gone after it: whoever may call vg_httpd_resume must stop
 * using r by then (the handler's done() tells it, under a lock both hold). */
VG_NODISCARD int vg_httpd_suspend(struct vg_httpd_req *r, uint64_t deadline_ns);
/* Any thread, before done(): ends a suspension now; nothing when r is not suspended. */
void vg_httpd_resume(struct vg_httpd_req *r);

/* ---------------------------------------------------------------- bodies (from begin() only) */

/* Collect up to `max` bytes in memory; more is an error (VG_E_LIMIT) seen in end(). */
VG_NODISCARD int vg_httpd_body_buffer(struct vg_httpd_req *r, size_t max);
/* Stream the body to `write` (never buffered whole); a write error or more than `max` bytes
 * stops reading and closes the connection (see end() above). */
typedef int (*vg_httpd_sink_fn)(void *sud, const void *p, size_t n, struct vg_err **err);
VG_NODISCARD int vg_httpd_body_sink(struct vg_httpd_req *r, vg_httpd_sink_fn write, void *sud,
                                    uint64_t max);
const void *vg_httpd_body(const struct vg_httpd_req *r, size_t *len);
uint64_t vg_httpd_body_len(const struct vg_httpd_req *r);
/* NULL when the body arrived whole; for done() after an aborted body. */
const struct vg_err *vg_httpd_body_err(const struct vg_httpd_req *r);

/* ---------------------------------------------------------------- responses (exactly one) */

/* Header for the response; refuses names that are not tokens and values with control
 * characters (header injection). */
VG_NODISCARD int vg_httpd_header_add(struct vg_httpd_req *r, const char *name, const char *value,
                                     struct vg_err **err);
VG_NODISCARD int vg_httpd_respond(struct vg_httpd_req *r, unsigned status, const char *ctype,
                                  const void *body, size_t len, struct vg_err **err);
VG_NODISCARD int vg_httpd_respond_json(struct vg_httpd_req *r, unsigned status, const json_t *body,
                                       struct vg_err **err);
/* Sends `len` bytes of `fd` from `off` (sendfile where the transport allows). Takes the fd,
 * also on failure. HEAD gets the headers and Content-Length only. */
VG_NODISCARD int vg_httpd_respond_fd(struct vg_httpd_req *r, unsigned status, const char *ctype,
                                     int fd, uint64_t off, uint64_t len, struct vg_err **err);
bool vg_httpd_responded(const struct vg_httpd_req *r);

#endif
