/* SPDX-License-Identifier: Apache-2.0
 *
 * httpd internals: shared by server.c (daemon, dispatch, watchdog), req.c (request accessors,
 * bodies, responses), stats.c (metrics, access log) and tls.c. Nothing here leaves the module.
 */
#ifndef VG_HTTPD_INT_H
#define VG_HTTPD_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>

#include <microhttpd.h>

#include "httpd.h"

#define HTTPD_MAX_ROUTES    32
#define HTTPD_MAX_HOOKS     8 /* metrics hooks and SIGHUP callbacks, each */
#define HTTPD_MAX_RESP_HDRS 32
#define HTTPD_RID_LEN       32

struct route {
    struct vg_httpd_handler hd;
    char *name;
    char *prefix;
    size_t plen;
    bool tree; /* prefix ends in '/': matches the bare prefix and everything below */
};

/* One open connection, for the header-deadline watchdog. fd, accepted_ns and the links are
 * written under conn_lock (links) or before the connection is listed; first_request_seen is
 * stored by the connection's thread without the lock (on_headers) and read by the watchdog under
 * it, hence atomic. */
struct conn {
    int fd;
    uint64_t accepted_ns;
    atomic_bool first_request_seen;
    bool tcp_uncorked; /* the connection's worker thread only (vg_httpd_tls_uncork) */
    struct conn *prev, *next;
};

/* Counters for one (route, method, status). */
struct stat_key {
    int route; /* index into routes, -1..-4 for the built-ins and 404 */
    unsigned method;
    unsigned status;
    uint64_t count;
};

#define HTTPD_NBUCKETS 12
struct route_hist {
    uint64_t buckets[HTTPD_NBUCKETS]; /* cumulative is computed at render time */
    uint64_t count;
    double sum;
    uint64_t bytes_in, bytes_out;
};

struct stats {
    pthread_mutex_t lock;
    struct stat_key *keys;
    size_t nkeys, cap;
    struct route_hist hist[HTTPD_MAX_ROUTES + 4];
    uint64_t aborted;
    uint64_t header_timeouts, slow_bodies;
};

struct vg_httpd {
    struct vg_httpd_config cfg; /* strings below are owned copies */
    char *addr, *tls_cert, *tls_key, *access_log;
    struct MHD_Daemon *d;
    /* the bound port: the configured one before the daemon starts, the one it bound (port 0
     * picks one) stored after its threads started, while handlers may read it
     * (vg_httpd_port: the registry's notifications): atomic */
    atomic_uint port;
    bool tls;
    struct route routes[HTTPD_MAX_ROUTES];
    size_t nroutes;
    /* vg_httpd_metrics_hook and vg_httpd_on_hup, called in registration order; set before
     * vg_httpd_start, read-only afterwards */
    struct {
        void (*fn)(struct vg_buf *out, void *ud);
        void *ud;
    } metrics_hooks[HTTPD_MAX_HOOKS];
    size_t nmetrics_hooks;
    struct {
        void (*fn)(void *ud);
        void *ud;
    } hup_hooks[HTTPD_MAX_HOOKS];
    size_t nhup_hooks;
    atomic_bool ready;
    atomic_bool draining;
    atomic_uint inflight;
    atomic_uint connections;
    /* connections + watchdog; conn_lock also guards the suspended requests (their list and
     * suspended/resumed flags) and is taken after any handler lock */
    pthread_mutex_t conn_lock;
    pthread_cond_t wd_cv; /* wakes the watchdog: a new suspension, or stop */
    struct conn *conns;
    struct vg_httpd_req *suspended; /* vg_httpd_suspend, resumed by the watchdog at deadline */
    pthread_t watchdog;
    bool watchdog_running;
    atomic_bool stop_watchdog;
    /* access log: log_fd and log_owned change under log_lock (open, SIGHUP reopen, close);
     * log_fd is also read without it, to skip formatting a line while the log is off */
    pthread_mutex_t log_lock;
    atomic_int log_fd; /* -1 = off */
    bool log_owned;
    struct stats st;
};

struct arena_block {
    struct arena_block *next;
    max_align_t align[];
};

enum body_mode { BODY_NONE, BODY_BUFFER, BODY_SINK };

struct resp_hdr {
    const char *name, *value; /* arena */
};

struct vg_httpd_req {
    struct vg_httpd *h;
    struct MHD_Connection *c;
    const struct route *rt;
    int route_idx;
    enum vg_httpd_method method;
    const char *method_name;
    char *path, *query; /* arena; query without '?' or NULL */
    char rid[HTTPD_RID_LEN + 1];
    char remote[64];
    uint64_t t0, deadline, body_t0;
    struct arena_block *arena;
    void *ctx;
    char *user;
    bool started, responded, ended;
    bool suspend_called;     /* set by vg_httpd_suspend during this end() call (request thread) */
    bool suspended, resumed; /* conn_lock */
    uint64_t susp_deadline;  /* conn_lock */
    struct vg_httpd_req *susp_prev, *susp_next; /* conn_lock: h->suspended */
    enum body_mode body_mode;
    struct vg_buf body;
    uint64_t body_max, body_n;
    vg_httpd_sink_fn sink;
    void *sink_ud;
    struct vg_err *body_err;
    struct resp_hdr hdrs[HTTPD_MAX_RESP_HDRS];
    size_t nhdrs;
    struct MHD_Response *resp;
    unsigned status;
    uint64_t bytes_out;
    bool small_body; /* the response is a buffer of at most HTTPD_CORK_MAX bytes */
    bool tls_corked; /* its TLS records held back until the request completes */
};

/* A response up to this size leaves in one TLS record (vg_httpd_tls_cork). */
#define HTTPD_CORK_MAX (4u * 1024u)

/* req.c */
struct vg_httpd_req *vg_httpd_req_new(struct vg_httpd *h, struct MHD_Connection *c,
                                      const char *uri);
void vg_httpd_req_free(struct vg_httpd_req *r);
enum vg_httpd_method vg_httpd_method_parse(const char *m);
/* Headers complete: method, request id. */
void vg_httpd_req_headers_in(struct vg_httpd_req *r, const char *method);
/* Feeds body bytes; < 0 means stop reading (error recorded in r->body_err). */
int vg_httpd_req_feed(struct vg_httpd_req *r, const char *p, size_t n);
/* Plain-text response for httpd's own answers (404, 405, 413, 500, 503, health). */
void vg_httpd_respond_text(struct vg_httpd_req *r, unsigned status, const char *text);
/* vg_httpd_query in two steps, without a request (and so reachable by the httpd_query fuzz
 * harness): the raw value of the first `key` in query (the text after '?'; a key without '='
 * has the empty value), false when absent; then its percent-decoding into out (room for
 * raw.len + 1 bytes) under httpd's rule, VG_HTTPD_QUERY_PCT: '+' stays '+', a bad escape or a
 * NUL is refused (< 0), other control bytes pass (handlers check their own grammar). */
#define VG_HTTPD_QUERY_PCT VG_PCT_REFUSE_NUL
bool vg_httpd_query_raw(const char *query, const char *key, struct vg_str *value);
int vg_httpd_query_value_decode(char *out, struct vg_str raw);

/* stats.c */
int vg_httpd_stats_init(struct stats *st);
void vg_httpd_stats_dispose(struct stats *st);
void vg_httpd_stats_record(struct vg_httpd *h, const struct vg_httpd_req *r, double secs,
                           bool completed);
void vg_httpd_metrics_render(struct vg_httpd *h, struct vg_buf *out);
int vg_httpd_log_open(struct vg_httpd *h, struct vg_err **err);
void vg_httpd_log_close(struct vg_httpd *h);
void vg_httpd_log_request(struct vg_httpd *h, const struct vg_httpd_req *r, double secs,
                          bool completed);
/* MHD_OPTION_EXTERNAL_LOGGER: libmicrohttpd's own messages as "httpd" log events (a request it
 * refused itself at info with its status; client noise at debug; the rest warnings) instead of
 * raw lines on stderr. */
void vg_httpd_mhd_log(void *cls, const char *fmt, va_list ap) VG_PRINTF(2, 0);

/* tls.c: the certificate the next handshake uses (one TLS server per process). */
int vg_httpd_tls_load(const char *cert, const char *key, struct vg_err **err);
void *vg_httpd_tls_callback(void);
void vg_httpd_tls_release(void);
/* One TLS record for a small response's head and body (libmicrohttpd 0.9.75 sends them with
 * two gnutls_record_send calls, two records, and a client then reads twice): the session is
 * corked as the response is queued (GnuTLS buffers the plaintext) and uncorked, one record, in
 * the request-completed callback, which libmicrohttpd calls on the connection's thread once it
 * has handed the whole response over. Only when the socket's send queue is empty (SIOCOUTQ:
 * the client has read and acknowledged what it was sent), so the record fits at once; else
 * libmicrohttpd sends as it does, waiting for room. Uncorking also takes the TCP_CORK
 * libmicrohttpd set on the socket off (once per connection, k may be NULL): libmicrohttpd
 * pushes with TCP_NODELAY before the record is written, and a corked socket would hold it. A
 * record that still finds no room waits for it up to a second, then the connection is shut
 * down. Both calls on the connection's thread only. */
void vg_httpd_tls_cork(struct vg_httpd_req *r);
void vg_httpd_tls_uncork(struct vg_httpd_req *r, struct conn *k);

#endif
