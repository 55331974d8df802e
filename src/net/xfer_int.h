/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to net/: one HTTP exchange on the curl multi interface (struct vg_http_xfer), shared
 * by the buffered requests and the pull streams in http.c and by the downloader in download.c.
 */
#ifndef VG_NET_XFER_INT_H
#define VG_NET_XFER_INT_H

#include <curl/curl.h>
#include <pthread.h>

#include "net.h"

struct vg_http_client {
    CURLSH *share; /* connection cache, DNS and TLS sessions shared by every transfer */
    /* libcurl takes these through the share's lock callbacks, one per kind of shared data,
     * so transfers on different threads may use the share at once (net.h, thread safety) */
    pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
    bool insecure;
    char *ca_file;
    char *unix_socket;                       /* CURLOPT_UNIX_SOCKET_PATH, or NULL */
    struct vg_buf ca_pem, cert_pem, key_pem; /* in-memory TLS material (len 0: none) */
    long connect_timeout_s, stall_timeout_s;
    uint64_t deadline_ns;
    int max_retries;
    unsigned retry_base_ms;
    char *user_agent;
    enum vg_http_plain_fallback plain_fallback;
    pthread_mutex_t plain_mu; /* guards the three fields below (plain.c); a leaf lock */
    char **plain_origins; /* "host:port" found to speak plain HTTP (at most PLAIN_ORIGINS_MAX) */
    size_t nplain, plain_cap;
};

struct vg_http_hdrs {
    struct vg_http_header *v;
    size_t n, cap;
    size_t bytes; /* header bytes of the current response block */
};

enum vg_http_sink { VG_SINK_BUF, VG_SINK_STREAM };

struct vg_http_xfer {
    CURL *easy;
    CURLM *multi; /* its own, or a batch's (vg_http_do_many) when !own_multi */
    bool own_multi;
    struct curl_slist *req_headers;
    char *method;
    char *url;
    enum vg_http_sink sink;
    enum vg_http_plain_fallback plain_fallback; /* the client's, for the error's hint */
    struct vg_buf body; /* VG_SINK_BUF: the response body; VG_SINK_STREAM: pending bytes */
    size_t pend_off;    /* VG_SINK_STREAM: bytes of `body` already handed out */
    size_t max_body;    /* VG_SINK_BUF bound for 2xx responses */
    bool truncated;     /* an error-status body hit its bound (kept for the message only) */
    bool paused, headers_done, done;
    CURLcode result;
    long status;
    int64_t content_length;
    struct vg_http_hdrs hdrs;
    struct vg_err *cb_err; /* raised inside a curl callback */
    /* upload */
    const uint8_t *up_data;
    size_t up_len, up_off;
    vg_http_read_fn up_fn;
    void *up_ud;
    char errbuf[CURL_ERROR_SIZE];
    /* time limits (clock.c) */
    long stall_timeout_s;
    uint64_t deadline_ns;
    uint64_t last_move_ns; /* when a byte last moved (or the caller last asked for more) */
    curl_off_t last_dl, last_ul;
    bool stalled, past_deadline;
};

/* Starts req (redirects and retries included) and returns once the final response's headers
 * are in. Transport failures are VG_E_NET; the status is not checked. */
int vg_http_xfer_start(struct vg_http_client *c, const struct vg_http_req *req,
                       enum vg_http_sink sink, struct vg_http_xfer **out, struct vg_err **err);
/* Drives the transfer until the body is complete (VG_SINK_BUF). */
int vg_http_xfer_finish(struct vg_http_xfer *x, struct vg_err **err);
void vg_http_xfer_free(struct vg_http_xfer *x);
const char *vg_http_hdrs_get(const struct vg_http_hdrs *h, const char *name, size_t idx);

/* clock.c. Arms the stall limit and the client's deadline on x (a progress callback). */
void vg_http_xfer_set_time_limits(struct vg_http_xfer *x, const struct vg_http_client *c);
/* The caller is about to wait for x: the stall clock counts from now (time the caller spent
 * away from the transfer is not the server's stall). */
void vg_http_xfer_touch(struct vg_http_xfer *x);
/* True (with *err set, VG_E_NET, naming method and url) when the client's deadline has
 * passed. */
bool vg_http_deadline_passed(const struct vg_http_client *c, const char *method, const char *url,
                             struct vg_err **err);
/* The error of a transfer that a time limit ended (x->stalled or x->past_deadline). */
int vg_http_xfer_time_error(const struct vg_http_xfer *x, const char *shown_url,
                            struct vg_err **err);

/* plain.c. True when x failed because its server answered TLS in plain HTTP. */
bool vg_http_plain_speaks(const struct vg_http_xfer *x);
/* The URL to request: url itself, or its http:// form once its host and port were found to
 * speak plain HTTP. Caller frees. */
char *vg_http_plain_effective_url(struct vg_http_client *c, const char *url);
/* After x failed: the http:// URL to repeat it with when its server speaks plain HTTP and the
 * client's policy allows the fallback for its host (remembered for later requests), else
 * NULL. Caller frees. */
char *vg_http_plain_fallback_url(struct vg_http_client *c, const struct vg_http_xfer *x);
/* Releases the remembered hosts (client teardown). */
void vg_http_plain_forget(struct vg_http_client *c);

/* url.c: "host:port" of an absolute URL (the scheme's default port when none is given), or
 * NULL when it does not parse. Caller frees. */
char *vg_http_url_host_port(const char *url);
/* True when the URL's host is localhost, an IPv4 address in 127.0.0.0/8 or [::1]. */
bool vg_http_url_is_loopback(const char *url);
/* The URL with its https scheme replaced by http (host, port and path kept), or NULL when it
 * is not an https URL. Caller frees. */
char *vg_http_url_to_plain(const char *url);

/* A curl multi handle for one transfer or batch, and its return when empty again: each thread
 * keeps one spare (client.c), so the CA store libcurl caches in a multi handle
 * (CURLOPT_CA_CACHE_TIMEOUT, 24 h by default) survives from one connection to the next instead
 * of the CA bundle being parsed for every new TLS connection. NULL when out of memory. */
CURLM *vg_http_multi_take(void);
void vg_http_multi_give(CURLM *m);

#endif
