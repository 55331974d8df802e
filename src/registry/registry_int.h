/* SPDX-License-Identifier: Apache-2.0
 *
 * Shared inside registry/: the server object, the per-request context and the helpers the
 * endpoint files (blobs.c, uploads.c, manifests.c) answer with.
 */
#ifndef VG_REGISTRY_INT_H
#define VG_REGISTRY_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "httpd/httpd.h"
#include "registry/registry.h"

#define REG_TAGS_PER_PUT 16u /* ?tag= values accepted on one manifest PUT */

#define REG_HASHES_MAX 4096u

struct reg_hash {
    char id[VG_REGISTRY_UPLOAD_ID_MAX + 1];
    struct vg_hasher *h;
    uint64_t off; /* bytes hashed */
};

struct vg_registry {
    struct vg_registry_storage *storage;
    struct vg_registry_meta *meta;
    const struct vg_registry_authz *authz;
    uint64_t max_manifest;
    uint64_t max_blob;
    unsigned tags_page_max;
    size_t catalog_scan_max;
    uint64_t upload_expiry_ms;
    unsigned max_uploads_per_user;
    _Atomic uint64_t last_sweep_ms;          /* monotonic time of the last expiry sweep */
    const struct vg_registry_supply *supply; /* borrowed; NULL: no scans, no gates */
    struct vg_registry_scanq *scanq;         /* scan-on-push workers, or NULL */
    struct vg_registry_sigcache *sigcache;   /* require-signature verdicts, or NULL */
    pthread_rwlock_t notify_lock;            /* guards notifier: emitters read, a reload swaps */
    struct vg_registry_notifier *notifier;   /* webhooks, or NULL */
    char *notify_spool;                      /* ROOT/notifications */
    struct vg_httpd *httpd;                  /* mounted on (events' source address), or NULL */
    pthread_mutex_t busy_lock;               /* guards busy and hashes */
    VG_VEC(char *) busy;                     /* upload sessions a request is writing to */
    /* Running sha256 of sessions written from offset 0 so far, so the closing PUT of a
     * streamed upload does not read the blob again (at most REG_HASHES_MAX; others re-hash). */
    VG_VEC(struct reg_hash) hashes;
};

/* One request (arena-allocated; route and writer are released in done()). */
struct rq {
    struct vg_registry *reg;
    struct vg_oci_dist_route route;
    bool route_ok;
    const char *user; /* who the authorizer said acts (arena), NULL: anonymous */
    /* body-taking requests: what end() does */
    int (*finish)(struct vg_httpd_req *r, struct rq *q);
    /* uploads */
    char *session;
    uint64_t offset;              /* session offset before this request's bytes */
    struct vg_registry_writer *w; /* open while a body streams into the upload */
    bool claimed;                 /* session is in reg->busy for this request */
    bool single_post;             /* session only lives in this request (POST ?digest=) */
    bool published;               /* the upload became a blob */
    struct vg_hasher *hs;         /* running hash of the session (NULL: re-hash at close) */
    enum vg_digest_alg hs_alg;
    uint64_t chunk_len; /* Content-Range length, UINT64_MAX when absent */
    /* manifest PUT */
    const char *tags[REG_TAGS_PER_PUT];
    size_t ntags;
};

/* Answers the spec's JSON error body with code's status (or `status` when non-zero). message
 * NULL: the code's default. Returns 0 when the response is queued. */
int vg_registry_error(struct vg_httpd_req *r, enum vg_oci_dist_code code, unsigned status,
                      const char *message);
/* Maps err (freed) to a protocol error: NOTFOUND -> notfound, VERIFY -> DIGEST_INVALID,
 * LIMIT -> SIZE_INVALID, others 500 UNKNOWN naming the request id (detail logged, not sent). */
int vg_registry_error_from(struct vg_httpd_req *r, struct vg_err **err,
                           enum vg_oci_dist_code notfound, const char *what);
/* Adds a response header; a value refused by httpd is an internal bug, logged. */
void vg_registry_header(struct vg_httpd_req *r, const char *name, const char *value);
int vg_registry_respond_empty(struct vg_httpd_req *r, unsigned status);

/* Asks the authorizer for pull on repo without answering a refusal (mount sources). */
int vg_registry_authorize_pull(struct vg_httpd_req *r, struct rq *q, const char *repo,
                               bool *allowed);

/* Whether the request's principal may push to repo, without answering anything; always false
 * when the registry is open (no authentication configured). Pull gates exempt publishers. */
int vg_registry_authorize_push_quiet(struct vg_httpd_req *r, struct rq *q, const char *repo,
                                     bool *allowed);

/* blobs.c */
int vg_registry_blob_get(struct vg_httpd_req *r, struct rq *q);
int vg_registry_blob_delete(struct vg_httpd_req *r, struct rq *q);
/* uploads.c */
int vg_registry_upload_start(struct vg_httpd_req *r, struct rq *q);
int vg_registry_upload_patch(struct vg_httpd_req *r, struct rq *q);
int vg_registry_upload_put(struct vg_httpd_req *r, struct rq *q);
int vg_registry_upload_status(struct vg_httpd_req *r, struct rq *q);
int vg_registry_upload_cancel(struct vg_httpd_req *r, struct rq *q);
/* Once a response is queued (before it is sent): lets the session's next request in, as a
 * client may send it before done() runs. */
void vg_registry_upload_release(struct rq *q);
void vg_registry_upload_done(struct rq *q, bool completed);
void vg_registry_hashes_free(struct vg_registry *reg);
/* manifests.c */
int vg_registry_manifest_get(struct vg_httpd_req *r, struct rq *q);
int vg_registry_manifest_put(struct vg_httpd_req *r, struct rq *q);
int vg_registry_manifest_delete(struct vg_httpd_req *r, struct rq *q);
int vg_registry_tags_list(struct vg_httpd_req *r, struct rq *q);
int vg_registry_catalog(struct vg_httpd_req *r, struct rq *q);
int vg_registry_referrers(struct vg_httpd_req *r, struct rq *q);

/* supply.c: scan-on-push, pull gates, /vigil/v1/scans/ */
int vg_registry_supply_new(struct vg_registry *reg, const struct vg_registry_supply *s,
                           struct vg_err **err);
int vg_registry_supply_mount(struct vg_registry *reg, struct vg_httpd *h, struct vg_err **err);
void vg_registry_supply_free(struct vg_registry *reg);
/* After a manifest is stored: queue it (or an index's image children) for scanning. */
void vg_registry_supply_pushed(struct rq *q, const struct vg_registry_manifest_info *mi,
                               const struct vg_digest *d);
/* After a manifest or tag was deleted (cached signature verdicts may be stale). */
void vg_registry_supply_deleted(struct rq *q);
/* Before a manifest is served: *denied when a gate refused (403 already answered). */
int vg_registry_supply_gate(struct vg_httpd_req *r, struct rq *q, const struct vg_digest *d,
                            const struct vg_registry_manifest_rec *rec, bool *denied);

/* notify_hooks.c: webhooks (registry/notify.h) */
struct vg_registry_gate_finding;
struct vg_registry_notify_config;
int vg_registry_notify_new(struct vg_registry *reg, const struct vg_registry_notify_config *cfg,
                           const char *root, struct vg_err **err);
int vg_registry_notify_mount(struct vg_registry *reg, struct vg_httpd *h, struct vg_err **err);
/* An event caused by request r (push, pull, delete, deny): target from the arguments, request
 * and actor from r and q. reason: deny's. */
void vg_registry_notify_request(struct vg_httpd_req *r, struct rq *q, unsigned action,
                                const char *media_type, const struct vg_digest *d, uint64_t size,
                                const char *reason);
/* scanq.h hooks (ud is the registry) */
void vg_registry_notify_scanned(void *ud, const char *repo, const struct vg_digest *d,
                                const char *report);
void vg_registry_notify_new_vulns(void *ud, const char *repo, const struct vg_digest *d,
                                  const struct vg_registry_gate_finding *fresh, size_t n);

#endif
