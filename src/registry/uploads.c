/* SPDX-License-Identifier: Apache-2.0
 *
 * Blob uploads (spec §"Pushing blobs"): start (POST, also single-POST with ?digest= and
 * cross-repository mount), chunked and streamed PATCH, closing PUT, status GET and cancel
 * DELETE. Bytes stream from httpd's sink straight into the storage driver's upload object; the
 * metadata store holds the session and its offset. A blob becomes visible (a blob row linked
 * into the repository) only after its digest was verified and the bytes were published
 * atomically, so an interrupted or lying push leaves nothing visible. One request at a time
 * may write to a session (reg->busy); a body that does not arrive whole is rolled back to the
 * offset it started at.
 */
#include <string.h>

#include "registry/registry_int.h"

/* ---------------------------------------------------------------- helpers */

static bool
claim(struct rq *q, const char *id)
{
    struct vg_registry *reg = q->reg;
    bool ok = true;
    pthread_mutex_lock(&reg->busy_lock);
    for (size_t i = 0; i < reg->busy.n; i++) {
        if (strcmp(reg->busy.v[i], id) == 0) {
            ok = false;
        }
    }
    if (ok) {
        vg_vec_push(&reg->busy, vg_strdup(id));
    }
    pthread_mutex_unlock(&reg->busy_lock);
    q->claimed = ok;
    return ok;
}

static void
unclaim(struct rq *q)
{
    struct vg_registry *reg = q->reg;
    pthread_mutex_lock(&reg->busy_lock);
    for (size_t i = 0; i < reg->busy.n; i++) {
        if (strcmp(reg->busy.v[i], q->session) == 0) {
            free(reg->busy.v[i]);
            reg->busy.v[i] = reg->busy.v[--reg->busy.n];
            break;
        }
    }
    pthread_mutex_unlock(&reg->busy_lock);
    q->claimed = false;
}

/* Takes the session's running hash out of the table when it covers exactly `off` bytes. */
static struct vg_hasher *
hash_take(struct vg_registry *reg, const char *id, uint64_t off)
{
    struct vg_hasher *h = NULL;
    pthread_mutex_lock(&reg->busy_lock);
    for (size_t i = 0; i < reg->hashes.n; i++) {
        if (strcmp(reg->hashes.v[i].id, id) == 0) {
            if (reg->hashes.v[i].off == off) {
                h = reg->hashes.v[i].h;
            } else {
                vg_hasher_free(reg->hashes.v[i].h);
            }
            reg->hashes.v[i] = reg->hashes.v[--reg->hashes.n];
            break;
        }
    }
    pthread_mutex_unlock(&reg->busy_lock);
    return h;
}

static void
hash_put(struct vg_registry *reg, const char *id, struct vg_hasher *h, uint64_t off)
{
    pthread_mutex_lock(&reg->busy_lock);
    if (reg->hashes.n < REG_HASHES_MAX) {
        struct reg_hash e = {.h = h, .off = off};
        snprintf(e.id, sizeof(e.id), "%s", id);
        vg_vec_push(&reg->hashes, e);
        h = NULL;
    }
    pthread_mutex_unlock(&reg->busy_lock);
    vg_hasher_free(h);
}

void
vg_registry_hashes_free(struct vg_registry *reg)
{
    for (size_t i = 0; i < reg->hashes.n; i++) {
        vg_hasher_free(reg->hashes.v[i].h);
    }
    vg_vec_dispose(&reg->hashes);
}

static void
session_headers(struct vg_httpd_req *r, struct rq *q, uint64_t size)
{
    vg_autofree char *loc = vg_fmt("/v2/%s/blobs/uploads/%s", q->route.name, q->session);
    char range[48];
    snprintf(range, sizeof(range), "0-%llu", (unsigned long long)(size ? size - 1 : 0));
    vg_registry_header(r, "Location", loc);
    vg_registry_header(r, "Range", range);
    vg_registry_header(r, "Docker-Upload-UUID", q->session);
}

static int
blob_created(struct vg_httpd_req *r, struct rq *q, const struct vg_digest *d)
{
    vg_autofree char *loc = vg_fmt("/v2/%s/blobs/%s", q->route.name, d->text);
    vg_registry_header(r, "Location", loc);
    vg_registry_header(r, "Docker-Content-Digest", d->text);
    return vg_registry_respond_empty(r, 201);
}

/* Looks the session up for this repository; answers 404 BLOB_UPLOAD_UNKNOWN otherwise. */
static int
session_load(struct vg_httpd_req *r, struct rq *q, bool *found)
{
    struct vg_registry *reg = q->reg;
    vg_autofree char *repo = NULL;
    struct vg_err *err = NULL;
    *found = false;
    q->session = vg_httpd_strdup(r, q->route.reference);
    if (!vg_registry_upload_id_valid(q->session)) {
        return vg_registry_error(r, VG_OCI_DIST_BLOB_UPLOAD_UNKNOWN, 0, NULL);
    }
    if (reg->meta->ops->upload_get(reg->meta, q->session, &repo, &q->offset, &err) < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UPLOAD_UNKNOWN,
                                      "upload lookup failed");
    }
    if (!repo || strcmp(repo, q->route.name) != 0) {
        return vg_registry_error(r, VG_OCI_DIST_BLOB_UPLOAD_UNKNOWN, 0, NULL);
    }
    *found = true;
    return 0;
}

static int
session_create(struct vg_httpd_req *r, struct rq *q)
{
    struct vg_registry *reg = q->reg;
    char id[33];
    struct vg_err *err = NULL;
    vg_registry_upload_id_new(id);
    q->session = vg_httpd_strdup(r, id);
    q->offset = 0;
    /* Sessions count against who opened them: the user, or an anonymous client's address. */
    char anon[96];
    const char *owner = q->user;
    if (!owner) {
        const char *addr = vg_httpd_remote(r);
        snprintf(anon, sizeof(anon), "anonymous@%s", addr ? addr : "?");
        owner = anon;
    }
    /* The object first, then its row (registry gc relies on that order for young objects). */
    if (reg->storage->ops->upload_create(reg->storage, id, &err) < 0 ||
        reg->meta->ops->upload_create(reg->meta, id, q->route.name, owner,
                                      reg->max_uploads_per_user, &err) < 0) {
        (void)reg->storage->ops->upload_delete(reg->storage, id, NULL);
        if (vg_err_code(err) == VG_E_LIMIT) {
            vg_autofree char *msg = vg_err_format(err);
            vg_err_free(&err);
            VG_EVENT(VG_LOG_WARN, "registry", "upload session limit", VG_KV_STR("owner", owner),
                     VG_KV_U64("max", reg->max_uploads_per_user));
            vg_registry_header(r, "Retry-After", "60");
            return vg_registry_error(r, VG_OCI_DIST_TOOMANYREQUESTS, 0, msg);
        }
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UPLOAD_UNKNOWN,
                                      "upload start failed");
    }
    return 0;
}

static void
session_drop(struct rq *q)
{
    struct vg_registry *reg = q->reg;
    struct vg_err *err = NULL;
    vg_hasher_free(hash_take(reg, q->session, UINT64_MAX));
    if (reg->storage->ops->upload_delete(reg->storage, q->session, &err) < 0) {
        vg_err_free(&err);
    }
    if (reg->meta->ops->upload_delete(reg->meta, q->session, &err) < 0) {
        vg_err_free(&err);
    }
}

/* "a-b" (also with a "bytes " or "bytes=" prefix some clients send), inclusive. */
static bool
parse_content_range(const char *s, uint64_t *a, uint64_t *b)
{
    struct vg_str v = vg_str_trim(vg_str_c(s)), lo, hi;
    if (vg_str_startswith(v, "bytes ") || vg_str_startswith(v, "bytes=")) {
        v.ptr += 6;
        v.len -= 6;
    }
    return vg_str_cut(v, '-', &lo, &hi) && vg_parse_u64(lo, UINT64_MAX, a) == 0 &&
           vg_parse_u64(hi, UINT64_MAX, b) == 0 && *a <= *b;
}

/* ---------------------------------------------------------------- bodies */

static int
sink(void *sud, const void *p, size_t n, struct vg_err **err)
{
    struct rq *q = sud;
    if (q->hs) {
        vg_hasher_update(q->hs, p, n);
    }
    return q->w->ops->write(q->w, p, n, err);
}

/* Checks Content-Range against the session, opens the writer and streams the body into it.
 * finish runs in end(). */
static int
accept_body(struct vg_httpd_req *r, struct rq *q, int (*finish)(struct vg_httpd_req *, struct rq *))
{
    struct vg_registry *reg = q->reg;
    const char *cr = vg_httpd_header(r, "Content-Range");
    uint64_t a = 0, b = 0;
    if (cr && (!parse_content_range(cr, &a, &b) || a != q->offset)) {
        session_headers(r, q, q->offset);
        return vg_registry_error(r, VG_OCI_DIST_RANGE_INVALID, 416, "chunk out of order");
    }
    if (!claim(q, q->session)) {
        session_headers(r, q, q->offset);
        return vg_registry_error(r, VG_OCI_DIST_RANGE_INVALID, 416, "another request is writing");
    }
    struct vg_err *err = NULL;
    if (reg->storage->ops->upload_open(reg->storage, q->session, q->offset, &q->w, &err) < 0) {
        if (vg_err_code(err) == VG_E_VERIFY) {
            vg_err_free(&err);
            return vg_registry_error(r, VG_OCI_DIST_BLOB_UPLOAD_INVALID, 0,
                                     "upload lost data in a crash: start again");
        }
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UPLOAD_UNKNOWN,
                                      "upload open failed");
    }
    /* The running hash continues when it covers exactly what is stored; a closing PUT with
     * a sha512 digest starts one only when it carries the whole blob. */
    q->hs_alg = VG_DIGEST_SHA256;
    q->hs = hash_take(reg, q->session, q->offset);
    if (q->route.has_query_digest && q->route.query_digest.alg != q->hs_alg) {
        vg_hasher_free(q->hs);
        q->hs = NULL;
        q->hs_alg = q->route.query_digest.alg;
    }
    if (!q->hs && q->offset == 0) {
        q->hs = vg_hasher_new(q->hs_alg);
    }
    q->finish = finish;
    q->chunk_len = cr ? b - a + 1 : UINT64_MAX;
    if (reg->max_blob < q->offset) {
        return vg_registry_error(r, VG_OCI_DIST_SIZE_INVALID, 413, "blob too large");
    }
    return vg_httpd_body_sink(r, sink, q, reg->max_blob - q->offset);
}

/* After the body: a declared Content-Range length must match what arrived. */
static bool
chunk_complete(struct vg_httpd_req *r, struct rq *q)
{
    if (q->chunk_len != UINT64_MAX && q->w->written != q->chunk_len) {
        q->w->ops->abort(q->w);
        vg_registry_writer_free(q->w);
        q->w = NULL;
        (void)vg_registry_error(r, VG_OCI_DIST_SIZE_INVALID, 0,
                                "chunk length differs from Content-Range");
        return false;
    }
    return true;
}

static int
rehash(struct vg_registry *reg, const char *id, uint64_t size, enum vg_digest_alg alg,
       struct vg_digest *got, struct vg_err **err)
{
    struct vg_registry_rhandle *h = NULL;
    if (reg->storage->ops->upload_read(reg->storage, id, &h, err) < 0) {
        return -1;
    }
    struct vg_hasher *hs = vg_hasher_new(alg);
    vg_autofree uint8_t *buf = vg_malloc(1u << 20);
    uint64_t off = 0;
    int rc = 0;
    while (off < size) {
        size_t got_n = 0, want = size - off < (1u << 20) ? (size_t)(size - off) : (1u << 20);
        if ((rc = h->ops->read(h, off, buf, want, &got_n, err)) < 0) {
            break;
        }
        if (got_n == 0) {
            rc = vg_err_set(err, VG_E_IO, "upload shorter than its offset");
            break;
        }
        vg_hasher_update(hs, buf, got_n);
        off += got_n;
    }
    vg_hasher_final(hs, got);
    vg_hasher_free(hs);
    vg_registry_rhandle_free(h);
    return rc;
}

/* Verifies the upload's first `size` bytes against ?digest=, publishes them and links the
 * blob into the repository. */
static int
close_upload(struct vg_httpd_req *r, struct rq *q, uint64_t size)
{
    struct vg_registry *reg = q->reg;
    const struct vg_digest *want = &q->route.query_digest;
    struct vg_digest got;
    struct vg_err *err = NULL;
    int rc = 0;
    if (q->hs && q->hs_alg == want->alg) {
        vg_hasher_final(q->hs, &got); /* it covers exactly `size` bytes: see accept_body */
    } else {
        rc = rehash(reg, q->session, size, want->alg, &got, &err);
    }
    vg_hasher_free(q->hs);
    q->hs = NULL;
    if (rc == 0 && !vg_digest_eq(&got, want)) {
        rc = vg_err_set(&err, VG_E_VERIFY, "digest mismatch");
    }
    if (rc < 0) {
        session_drop(q);
        if (vg_err_code(err) == VG_E_VERIFY) {
            vg_err_free(&err);
            return vg_registry_error(r, VG_OCI_DIST_DIGEST_INVALID, 0,
                                     "the content does not match the digest");
        }
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UPLOAD_INVALID,
                                      "upload verify failed");
    }
    if (reg->storage->ops->upload_publish(reg->storage, q->session, size, want, &err) < 0 ||
        reg->meta->ops->blob_link(reg->meta, q->route.name, want, size, &err) < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UPLOAD_UNKNOWN,
                                      "upload publish failed");
    }
    if (reg->meta->ops->upload_delete(reg->meta, q->session, &err) < 0) {
        vg_err_free(&err); /* a stale session row expires later; the blob is in */
    }
    q->published = true;
    VG_EVENT(VG_LOG_INFO, "registry", "blob stored", VG_KV_STR("repo", q->route.name),
             VG_KV_STR("digest", want->text), VG_KV_U64("bytes", size));
    return blob_created(r, q, want);
}

static int
finish_patch(struct vg_httpd_req *r, struct rq *q)
{
    struct vg_registry *reg = q->reg;
    if (!chunk_complete(r, q)) {
        return 0;
    }
    uint64_t size = q->offset + q->w->written;
    struct vg_err *err = NULL;
    if (reg->meta->ops->upload_advance(reg->meta, q->session, q->offset, size, &err) < 0) {
        q->w->ops->abort(q->w);
        vg_registry_writer_free(q->w);
        q->w = NULL;
        if (vg_err_code(err) == VG_E_VERIFY) {
            vg_err_free(&err);
            return vg_registry_error(r, VG_OCI_DIST_RANGE_INVALID, 416, "upload moved on");
        }
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UPLOAD_UNKNOWN,
                                      "upload update failed");
    }
    vg_registry_writer_free(q->w);
    q->w = NULL;
    if (q->hs) {
        hash_put(reg, q->session, q->hs, size);
        q->hs = NULL;
    }
    session_headers(r, q, size);
    return vg_registry_respond_empty(r, 202);
}

static int
finish_put(struct vg_httpd_req *r, struct rq *q)
{
    if (!chunk_complete(r, q)) {
        return 0;
    }
    uint64_t size = q->offset + q->w->written;
    vg_registry_writer_free(q->w); /* the bytes stay even if what follows fails */
    q->w = NULL;
    return close_upload(r, q, size);
}

/* ---------------------------------------------------------------- expiry */

#define SWEEP_EVERY_MS 600000u /* at most this long between sweeps (shorter for short expiry) */
#define SWEEP_BATCH    256u

static bool
is_busy(struct vg_registry *reg, const char *id)
{
    bool busy = false;
    pthread_mutex_lock(&reg->busy_lock);
    for (size_t i = 0; i < reg->busy.n && !busy; i++) {
        busy = strcmp(reg->busy.v[i], id) == 0;
    }
    pthread_mutex_unlock(&reg->busy_lock);
    return busy;
}

/* Removes sessions untouched for upload_expiry_ms (abandoned pushes), at most SWEEP_BATCH per
 * sweep, from the request path of a new upload: no thread of its own, one sweeper at a time. */
static void
sweep_stale(struct vg_registry *reg)
{
    uint64_t now = vg_now_ns() / 1000000u, last = atomic_load(&reg->last_sweep_ms);
    uint64_t every =
        reg->upload_expiry_ms < SWEEP_EVERY_MS ? reg->upload_expiry_ms : SWEEP_EVERY_MS;
    if ((last && now - last < every) ||
        !atomic_compare_exchange_strong(&reg->last_sweep_ms, &last, now)) {
        return;
    }
    int64_t before = vg_now_unix() - (int64_t)((reg->upload_expiry_ms + 999) / 1000);
    char **ids = NULL;
    size_t n = 0, removed = 0;
    struct vg_err *err = NULL;
    if (reg->meta->ops->uploads_stale(reg->meta, before, SWEEP_BATCH, &ids, &n, &err) < 0) {
        vg_autofree char *msg = vg_err_format(err);
        vg_err_free(&err);
        VG_EVENT(VG_LOG_WARN, "registry", "upload expiry failed", VG_KV_STR("error", msg));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (is_busy(reg, ids[i])) {
            continue;
        }
        vg_hasher_free(hash_take(reg, ids[i], UINT64_MAX));
        if (reg->storage->ops->upload_delete(reg->storage, ids[i], &err) < 0) {
            vg_err_free(&err);
        }
        if (reg->meta->ops->upload_delete(reg->meta, ids[i], &err) < 0) {
            vg_err_free(&err);
            continue;
        }
        removed++;
    }
    vg_strv_free(ids, n);
    if (n == SWEEP_BATCH) {
        /* More may be stale (thousands of abandoned uploads): the next new upload sweeps the
         * next batch instead of waiting for the period, so expiry keeps up with any backlog
         * while no single request pays for all of it. */
        atomic_store(&reg->last_sweep_ms, 0);
    }
    if (removed) {
        VG_EVENT(VG_LOG_INFO, "registry", "expired upload sessions", VG_KV_U64("count", removed));
    }
}

/* ---------------------------------------------------------------- endpoints */

static int
try_mount(struct vg_httpd_req *r, struct rq *q, bool *mounted)
{
    struct vg_registry *reg = q->reg;
    bool allowed = false;
    uint64_t size;
    struct vg_err *err = NULL;
    *mounted = false;
    if (!q->route.from || vg_registry_authorize_pull(r, q, q->route.from, &allowed) < 0 ||
        !allowed) {
        return 0;
    }
    if (reg->meta->ops->blob_get(reg->meta, q->route.from, &q->route.mount, &size, &err) < 0) {
        if (vg_err_code(err) == VG_E_NOTFOUND) {
            vg_err_free(&err);
            return 0;
        }
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UNKNOWN, "mount lookup failed");
    }
    if (reg->meta->ops->blob_link(reg->meta, q->route.name, &q->route.mount, size, &err) < 0) {
        return vg_registry_error_from(r, &err, VG_OCI_DIST_BLOB_UNKNOWN, "mount failed");
    }
    *mounted = true;
    return blob_created(r, q, &q->route.mount);
}

int
vg_registry_upload_start(struct vg_httpd_req *r, struct rq *q)
{
    sweep_stale(q->reg);
    if (q->route.has_mount) {
        bool mounted;
        if (try_mount(r, q, &mounted) < 0 || mounted || vg_httpd_responded(r)) {
            return vg_httpd_responded(r) ? 0 : -1;
        }
    }
    if (session_create(r, q) < 0 || vg_httpd_responded(r)) {
        return vg_httpd_responded(r) ? 0 : -1;
    }
    if (q->route.has_query_digest && !q->route.has_mount) {
        q->single_post = true;
        return accept_body(r, q, finish_put);
    }
    session_headers(r, q, 0);
    vg_registry_header(r, "OCI-Chunk-Min-Length", "1");
    return vg_registry_respond_empty(r, 202);
}

int
vg_registry_upload_patch(struct vg_httpd_req *r, struct rq *q)
{
    bool found;
    if (session_load(r, q, &found) < 0 || !found) {
        return vg_httpd_responded(r) ? 0 : -1;
    }
    q->route.has_query_digest = false; /* a digest on PATCH means nothing */
    return accept_body(r, q, finish_patch);
}

int
vg_registry_upload_put(struct vg_httpd_req *r, struct rq *q)
{
    bool found;
    if (session_load(r, q, &found) < 0 || !found) {
        return vg_httpd_responded(r) ? 0 : -1;
    }
    if (!q->route.has_query_digest) {
        return vg_registry_error(r, VG_OCI_DIST_DIGEST_INVALID, 0, "closing PUT needs ?digest=");
    }
    return accept_body(r, q, finish_put);
}

int
vg_registry_upload_status(struct vg_httpd_req *r, struct rq *q)
{
    bool found;
    if (session_load(r, q, &found) < 0 || !found) {
        return vg_httpd_responded(r) ? 0 : -1;
    }
    session_headers(r, q, q->offset);
    return vg_registry_respond_empty(r, 204);
}

int
vg_registry_upload_cancel(struct vg_httpd_req *r, struct rq *q)
{
    bool found;
    if (session_load(r, q, &found) < 0 || !found) {
        return vg_httpd_responded(r) ? 0 : -1;
    }
    if (!claim(q, q->session)) {
        return vg_registry_error(r, VG_OCI_DIST_BLOB_UPLOAD_INVALID, 409,
                                 "another request is writing");
    }
    session_drop(q);
    return vg_registry_respond_empty(r, 204);
}

void
vg_registry_upload_release(struct rq *q)
{
    if (q->claimed && !q->w) {
        unclaim(q);
    }
}

void
vg_registry_upload_done(struct rq *q, bool completed)
{
    if (q->w) {
        if (!completed) {
            q->w->ops->abort(q->w);
        }
        vg_registry_writer_free(q->w);
        q->w = NULL;
    }
    vg_hasher_free(q->hs); /* a body that failed: its bytes are rolled back, the hash dropped */
    q->hs = NULL;
    if (q->single_post && !q->published) {
        session_drop(q); /* a single POST's session is never visible to the client */
    }
    if (q->claimed) {
        unclaim(q);
    }
}
