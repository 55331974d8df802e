/* SPDX-License-Identifier: Apache-2.0
 *
 * Shared inside registry/: the server object, the per-request context and the helpers the
 * endpoint files (blobs.c, uploads.c, manifests.c) answer with.
 */
#ifndef VG_REGISTRY_INT_H
#define VG_REGISTRY_INT_H

#include <pthread.h>

#include "httpd/httpd.h"
#include "registry/registry.h"

#define REG_TAGS_PER_PUT 16u /* ?tag= values accepted on one manifest PUT */

struct vg_registry {
    struct vg_registry_storage *storage;
    struct vg_registry_meta *meta;
    const struct vg_registry_authz *authz;
    uint64_t max_manifest;
    uint64_t max_blob;
    unsigned tags_page_max;
    pthread_mutex_t busy_lock; /* guards busy: upload sessions a request is writing to */
    VG_VEC(char *) busy;
};

/* One request (arena-allocated; route and writer are released in done()). */
struct rq {
    struct vg_registry *reg;
    struct vg_oci_dist_route route;
    bool route_ok;
    /* body-taking requests: what end() does */
    int (*finish)(struct vg_httpd_req *r, struct rq *q);
    /* uploads */
    char *session;
    uint64_t offset;              /* session offset before this request's bytes */
    struct vg_registry_writer *w; /* open while a body streams into the upload */
    bool claimed;                 /* session is in reg->busy for this request */
    bool single_post;             /* session only lives in this request (POST ?digest=) */
    bool published;               /* the upload became a blob */
    struct vg_oci_verifier *v;    /* hashes a body that starts at offset 0 */
    uint64_t chunk_len;           /* Content-Range length, UINT64_MAX when absent */
    /* manifest PUT */
    const char *tags[REG_TAGS_PER_PUT];
    size_t ntags;
};

/* Answers the spec's JSON error body with code's status (or `status` when non-zero). message
 * NULL: the code's default. Returns 0 when the response is queued. */
int reg_error(struct vg_httpd_req *r, enum vg_oci_dist_code code, unsigned status,
              const char *message);
/* Maps err (freed) to a protocol error: NOTFOUND -> notfound, VERIFY -> DIGEST_INVALID,
 * LIMIT -> SIZE_INVALID, others 500 UNKNOWN naming the request id (detail logged, not sent). */
int reg_error_from(struct vg_httpd_req *r, struct vg_err **err, enum vg_oci_dist_code notfound,
                   const char *what);
/* Adds a response header; a value refused by httpd is an internal bug, logged. */
void reg_header(struct vg_httpd_req *r, const char *name, const char *value);
int reg_respond_empty(struct vg_httpd_req *r, unsigned status);

/* Asks the authorizer for pull on repo without answering a refusal (mount sources). */
int reg_authorize_pull(struct vg_httpd_req *r, struct rq *q, const char *repo, bool *allowed);

/* blobs.c */
int reg_blob_get(struct vg_httpd_req *r, struct rq *q);
int reg_blob_delete(struct vg_httpd_req *r, struct rq *q);
/* uploads.c */
int reg_upload_start(struct vg_httpd_req *r, struct rq *q);
int reg_upload_patch(struct vg_httpd_req *r, struct rq *q);
int reg_upload_put(struct vg_httpd_req *r, struct rq *q);
int reg_upload_status(struct vg_httpd_req *r, struct rq *q);
int reg_upload_cancel(struct vg_httpd_req *r, struct rq *q);
/* Once a response is queued (before it is sent): lets the session's next request in, as a
 * client may send it before done() runs. */
void reg_upload_release(struct rq *q);
void reg_upload_done(struct rq *q, bool completed);
/* manifests.c */
int reg_manifest_get(struct vg_httpd_req *r, struct rq *q);
int reg_manifest_put(struct vg_httpd_req *r, struct rq *q);
int reg_manifest_delete(struct vg_httpd_req *r, struct rq *q);
int reg_tags_list(struct vg_httpd_req *r, struct rq *q);
int reg_catalog(struct vg_httpd_req *r, struct rq *q);
int reg_referrers(struct vg_httpd_req *r, struct rq *q);

#endif
