/* SPDX-License-Identifier: Apache-2.0
 *
 * net: vigil's HTTP client, the ONLY user of libcurl. A client keeps a shared connection cache
 * so consecutive requests to one host reuse their connection.
 *
 * What it does for every request: bounded response headers (VG_LIMIT_HTTP_HEADER_BYTES) and
 * bodies, redirects followed by hand (at most VG_LIMIT_HTTP_REDIRECTS; the caller's
 * Authorization header is dropped when a redirect leaves the original scheme/host/port, as
 * registries redirect blobs to storage services), retries with exponential backoff on 429, 5xx
 * and connection failures (at most VG_LIMIT_HTTP_RETRIES, honouring Retry-After up to a cap),
 * connect timeout, a stall limit (no byte in either direction for stall_timeout_s: the
 * transfer fails with a message naming the URL, and is not retried) and an optional deadline
 * for everything the client does (retries and backoff included), TLS verification on by
 * default. Only http:// and https:// are
 * spoken, also after redirects.
 *
 * It also owns token-endpoint JSON responses and URL redaction; the WWW-Authenticate and Link
 * grammars are in core/httphdr.h (included here) so that servers use them without libcurl.
 *
 * Error codes callers may branch on:
 *   VG_E_NET      connection refused, DNS failure, timeout, TLS failure, unexpected status
 *   VG_E_AUTH     HTTP 401/403 (from vg_http_check_status and the helpers that call it)
 *   VG_E_NOTFOUND HTTP 404
 *   VG_E_LIMIT    a header block, body or download exceeded its bound
 *   VG_E_PARSE    malformed challenge, token or URL
 * Messages name the method and the URL with userinfo and query removed. Authorization headers
 * and tokens are never logged or put into messages.
 *
 * Thread safety: a client may be used by several threads at once (its connection cache, DNS
 * cache and TLS sessions are shared under libcurl's lock callbacks; its memory of plain-HTTP
 * hosts under a mutex); each stream and each vg_http_do_many batch belongs to the thread that
 * opened it. vg_net_init() must have run before any thread starts (main does it).
 */
#ifndef VG_NET_H
#define VG_NET_H

#include "core/core.h"
#include "core/httphdr.h" /* WWW-Authenticate and Link grammars */

/* Tunables with their defaults; 0 means "default". */
#define VG_HTTP_CONNECT_TIMEOUT_S   30
#define VG_HTTP_STALL_TIMEOUT_S     30  /* abort a transfer after this long without a byte */
#define VG_HTTP_RETRY_BASE_MS       250 /* first backoff; doubles per attempt */
#define VG_HTTP_RETRY_AFTER_CAP_S   30  /* longest Retry-After we honour */
#define VG_HTTP_STREAM_BUFFER_BYTES (256u * 1024u) /* per-stream pending bytes before pausing */
#define VG_HTTP_MAX_HEADERS         256u           /* response header lines kept */
#define VG_HTTP_PARALLEL            6              /* connections per host for vg_http_do_many */

/* Process-wide initialisation of the HTTP stack (libcurl's global state). Call once from main
 * before any thread starts; not thread-safe. VG_E_INTERNAL when the library cannot start. */
VG_NODISCARD int vg_net_init(struct vg_err **err);
/* Releases what vg_net_init set up; call once after every client is freed. */
void vg_net_cleanup(void);

/* What to do when an https:// URL's server answers the TLS handshake in plain HTTP (OpenSSL's
 * "wrong version number"), as go-containerregistry does for registries: retry that request
 * over http:// and send the client's later requests to that host and port over http:// too. */
enum vg_http_plain_fallback {
    VG_HTTP_PLAIN_NEVER = 0, /* fail, saying that the server seems to speak plain HTTP */
    VG_HTTP_PLAIN_LOOPBACK,  /* fall back for localhost, 127.0.0.0/8 and [::1]; for any other
                                host fail with a hint to --plain-http or --insecure */
    VG_HTTP_PLAIN_ANY,       /* fall back for every host (a registry client with --insecure) */
};

struct vg_http_client_opts {
    bool insecure; /* skip TLS peer and host verification */
    enum vg_http_plain_fallback plain_fallback;
    const char *ca_file; /* extra CA bundle (PEM), or NULL for the system store */
    /* CA certificates in memory (PEM, replaces the system store as ca_file does), and a TLS
     * client certificate with its key (PEM): copied; the key is wiped when the client is
     * freed. NULL: none. */
    const void *ca_pem;
    size_t ca_pem_len;
    const void *client_cert_pem;
    size_t client_cert_len;
    const void *client_key_pem;
    size_t client_key_len;
    long connect_timeout_s; /* 0: VG_HTTP_CONNECT_TIMEOUT_S */
    long stall_timeout_s;   /* 0: VG_HTTP_STALL_TIMEOUT_S; a stall fails at once, unretried */
    uint64_t deadline_ns;   /* vg_now_ns() time at which every transfer and retry ends; 0: none */
    int max_retries;        /* 0: VG_LIMIT_HTTP_RETRIES; negative: no retries */
    unsigned retry_base_ms; /* 0: VG_HTTP_RETRY_BASE_MS */
    const char *user_agent; /* NULL: "vigil/<version>" style default */
    /* Connect every request to this Unix-domain socket instead of the URL's host (the Docker
     * Engine API); the URL still gives the path and Host header. NULL: TCP as usual. */
    const char *unix_socket;
};
#define VG_HTTP_CLIENT_OPTS_INIT                                                                   \
    {                                                                                              \
        0                                                                                          \
    }

struct vg_http_client;
/* Copies what it needs from opts (may be NULL). */
VG_NODISCARD int vg_http_client_new(struct vg_http_client **out,
                                    const struct vg_http_client_opts *opts, struct vg_err **err);
void vg_http_client_free(struct vg_http_client *c);
/* Frees the calling thread's spare curl handle (and the CA store cached in it); for threads
 * that exit while the process goes on (their OpenSSL state must go before OPENSSL_thread_stop). A
 * thread that never calls it keeps it until it exits. */
void vg_http_thread_stop(void);

/* Upload body produced on demand: returns bytes written into buf (0 at end) or -1 on error. */
typedef long (*vg_http_read_fn)(void *ud, void *buf, size_t cap);

struct vg_http_req {
    const char *method;         /* NULL: "GET" ("HEAD" fetches no body) */
    const char *url;            /* absolute http:// or https:// URL */
    const char *const *headers; /* "Name: value" lines; an Authorization line is dropped on
                                   cross-origin redirects */
    size_t nheaders;
    const void *body; /* request body buffer, or NULL */
    size_t body_len;
    vg_http_read_fn body_read; /* or a body produced on demand (never retried or redirected) */
    void *body_read_ud;
    int64_t body_read_len; /* length of body_read's data, -1 if unknown (chunked) */
    size_t max_body;       /* response body bound for buffered requests; 0: 1 MiB */
    bool no_redirect;      /* return 3xx responses instead of following them */
    bool no_retry;         /* do not retry this request */
};

struct vg_http_header {
    char *name;  /* as received */
    char *value; /* trimmed */
};

struct vg_http_resp {
    long status;
    struct vg_http_header *headers; /* final response only */
    size_t nheaders;
    struct vg_buf body;
    char *url; /* effective URL after redirects (may carry a query; redact before printing) */
};
void vg_http_resp_dispose(struct vg_http_resp *r);
/* First header named `name` (case-insensitive), or NULL. */
const char *vg_http_resp_header(const struct vg_http_resp *r, const char *name);
/* The idx-th header named `name` (for repeated headers such as WWW-Authenticate). */
const char *vg_http_resp_header_n(const struct vg_http_resp *r, const char *name, size_t idx);

/* Performs a request; succeeds for ANY HTTP status (check r->status or call
 * vg_http_check_status). Fails for transport errors (VG_E_NET) and bounds (VG_E_LIMIT). */
VG_NODISCARD int vg_http_do(struct vg_http_client *c, const struct vg_http_req *req,
                            struct vg_http_resp *resp, struct vg_err **err);
/* Performs n buffered requests concurrently (at most VG_HTTP_PARALLEL connections per host, in
 * the calling thread) with vg_http_do's semantics for each: resps[i] and errs[i] (NULL on
 * success) are exactly what vg_http_do would have produced. One attempt of every request runs in
 * parallel; a request whose attempt needs more (redirect, retry, transport failure, a bound) is
 * finished by vg_http_do afterwards. Streamed uploads (body_read) always go through vg_http_do. */
void vg_http_do_many(struct vg_http_client *c, const struct vg_http_req *reqs,
                     struct vg_http_resp *resps, struct vg_err **errs, size_t n);
/* Maps a non-2xx status to an error: 401/403 VG_E_AUTH, 404 VG_E_NOTFOUND, else VG_E_NET.
 * Message: "<METHOD> <redacted url>: HTTP <status>[: <first line of body, escaped>]". */
VG_NODISCARD int vg_http_check_status(const char *method, const char *url, long status,
                                      const struct vg_buf *body, struct vg_err **err);

/* ---------------------------------------------------------------- streaming (pull) */

/* A download consumed at the caller's pace: curl is paused while the caller's pending buffer
 * is full, so memory stays bounded whatever the body size. Opening waits for the response
 * headers (redirects, retries and 429/5xx handled before returning). A non-2xx final status is
 * an error (mapped like vg_http_check_status) unless `any_status`; then the stream is returned
 * and the caller inspects vg_http_stream_status/header and closes it. */
struct vg_http_stream;
VG_NODISCARD int vg_http_stream_open(struct vg_http_client *c, const struct vg_http_req *req,
                                     bool any_status, struct vg_http_stream **out,
                                     struct vg_err **err);
/* Returns 0 with *got = 0 at the end of the body. */
VG_NODISCARD int vg_http_stream_read(struct vg_http_stream *s, void *buf, size_t cap, size_t *got,
                                     struct vg_err **err);
long vg_http_stream_status(const struct vg_http_stream *s);
const char *vg_http_stream_header(const struct vg_http_stream *s, const char *name);
const char *vg_http_stream_header_n(const struct vg_http_stream *s, const char *name, size_t idx);
/* Content-Length of the final response, or -1. */
int64_t vg_http_stream_length(const struct vg_http_stream *s);
void vg_http_stream_close(struct vg_http_stream *s);

/* ---------------------------------------------------------------- file downloads */

struct vg_http_download_result {
    long status;
    bool not_modified;   /* 304: dest_path untouched */
    char *etag;          /* from the response (or kept from the request on 304); caller frees */
    char *last_modified; /* idem */
    uint64_t bytes;      /* size of dest_path after success */
    bool resumed;        /* continued a partial download with Range */
};
void vg_http_download_result_dispose(struct vg_http_download_result *r);
typedef void (*vg_http_progress_fn)(void *ud, uint64_t done, uint64_t total /* 0: unknown */);

/* GETs url into dest_path through "<dest_path>.part" (renamed into place once complete and
 * fsynced). etag_in / last_modified_in (may be NULL) make the request conditional; a 304 sets
 * not_modified. A previous partial download is continued with Range/If-Range when the server
 * gave it a validator. max_bytes bounds the file (0: 16 GiB). */
VG_NODISCARD int vg_http_download(struct vg_http_client *c, const char *url, const char *dest_path,
                                  const char *etag_in, const char *last_modified_in,
                                  uint64_t max_bytes, struct vg_http_download_result *result,
                                  vg_http_progress_fn progress, void *progress_ud,
                                  struct vg_err **err);

/* ---------------------------------------------------------------- URLs */

/* The URL without userinfo, query and fragment, for messages and logs; never fails (an
 * unparsable URL yields a placeholder). Caller frees. */
char *vg_http_url_redact(const char *url);
/* Resolves ref (absolute, or relative such as a Location or Link target) against base. */
VG_NODISCARD int vg_http_url_resolve(char **out, const char *base, const char *ref,
                                     struct vg_err **err);
/* True when a and b share scheme, host and port (Authorization may travel between them). */
bool vg_http_url_same_origin(const char *a, const char *b);
/* Percent-encodes s for a query component (RFC 3986 unreserved kept). Caller frees. */
char *vg_http_query_escape(const char *s);

/* ---------------------------------------------------------------- token responses */

/* A token-endpoint response (Docker token spec / OAuth2). Token strings are wiped on dispose. */
struct vg_http_token {
    char *token;         /* "token", else "access_token" */
    char *refresh_token; /* or NULL */
    uint64_t expires_in; /* seconds; 60 when absent (per the Docker token spec) */
};
/* Bounded by VG_LIMIT_TOKEN_BYTES; a response without a non-empty token is VG_E_PARSE. */
VG_NODISCARD int vg_http_token_parse(struct vg_http_token *out, const void *data, size_t len,
                                     struct vg_err **err);
void vg_http_token_dispose(struct vg_http_token *t);
/* The OAuth2 refresh-token grant's form (distribution's oauth.md; what docker sends for an
 * identity token from `docker login`): "grant_type=refresh_token&client_id=vigil&service=...
 * &scope=...&refresh_token=...", each value query-escaped (service NULL: empty). POST it to
 * the realm as application/x-www-form-urlencoded. Free with vg_http_secret_free. */
char *vg_http_token_refresh_form(const char *service, const char *scope, const char *refresh_token);

/* Overwrites then frees a secret string (tokens, passwords, Authorization lines). */
void vg_http_secret_free(char *s);

#endif
