/* SPDX-License-Identifier: Apache-2.0
 *
 * Garbage collection of unreferenced blobs and of abandoned uploads (gc.h).
 */
#include "registry/gc.h"

#include <string.h>

void
vg_registry_gc_report_dispose(struct vg_registry_gc_report *r)
{
    free(r->removed);
    memset(r, 0, sizeof(*r));
}

int
vg_registry_gc_run(struct vg_registry_storage *storage, struct vg_registry_meta *meta, int64_t now,
                   uint64_t grace_s, bool dry_run, struct vg_registry_gc_report *out,
                   struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    if (grace_s > (uint64_t)INT64_MAX / 2) {
        return vg_err_set(err, VG_E_USAGE, "gc: grace period too large");
    }
    int64_t before = now - (int64_t)grace_s;
    struct vg_digest *cand = NULL;
    size_t ncand = 0;
    if (meta->ops->gc_candidates(meta, before, &cand, &ncand, err) < 0) {
        return vg_err_wrap(err, "gc: mark");
    }
    out->removed = vg_calloc(ncand ? ncand : 1, sizeof(*out->removed)); /* at most all */
    for (size_t i = 0; i < ncand; i++) {
        const struct vg_digest *d = &cand[i];
        uint64_t size = 0;
        struct vg_err *e = NULL;
        if (storage->ops->blob_stat(storage, d, &size, &e) < 0) {
            vg_err_free(&e); /* row without bytes (a crash between): still collected */
        }
        if (!dry_run) {
            bool deleted = false;
            if (meta->ops->gc_blob_delete(meta, d, before, &deleted, err) < 0) {
                free(cand);
                vg_registry_gc_report_dispose(out);
                return vg_err_wrap(err, "gc: blob %s", d->text);
            }
            if (!deleted) {
                out->kept_raced++;
                continue;
            }
            if (storage->ops->blob_delete(storage, d, &e) < 0) {
                if (vg_err_code(e) != VG_E_NOTFOUND) {
                    vg_autofree char *m = vg_err_format(e);
                    VG_EVENT(VG_LOG_WARN, "registry", "gc: blob file not removed",
                             VG_KV_STR("digest", d->text), VG_KV_STR("error", m));
                }
                vg_err_free(&e);
            }
            VG_EVENT(VG_LOG_INFO, "registry", "gc: blob removed", VG_KV_STR("digest", d->text),
                     VG_KV_U64("bytes", size));
        }
        out->removed[out->nremoved++] = *d;
        out->bytes += size;
    }
    free(cand);
    return 0;
}

/* ---------------------------------------------------------------- uploads */

struct upl {
    char id[VG_REGISTRY_UPLOAD_ID_MAX + 1];
    int64_t mtime;
    uint64_t size;
};

static int
upl_cmp(const void *a, const void *b)
{
    return strcmp(((const struct upl *)a)->id, ((const struct upl *)b)->id);
}

static int
upl_collect(void *ud, const char *id, int64_t mtime, uint64_t size)
{
    VG_VEC(struct upl) *v = ud;
    struct upl *u = vg_vec_push_zero(v);
    snprintf(u->id, sizeof(u->id), "%s", id);
    u->mtime = mtime;
    u->size = size;
    return 0;
}

void
vg_registry_gc_uploads_report_dispose(struct vg_registry_gc_uploads_report *r)
{
    for (size_t i = 0; i < r->nremoved; i++) {
        free(r->removed[i].id);
    }
    free(r->removed);
    memset(r, 0, sizeof(*r));
}

static void
upload_removed(struct vg_registry_storage *storage, const char *id, bool orphan, uint64_t size,
               bool dry_run, struct vg_registry_gc_uploads_report *out)
{
    if (!dry_run) {
        struct vg_err *e = NULL;
        if (storage->ops->upload_delete(storage, id, &e) < 0 && vg_err_code(e) != VG_E_NOTFOUND) {
            vg_autofree char *m = vg_err_format(e);
            VG_EVENT(VG_LOG_WARN, "registry", "gc: upload object not removed",
                     VG_KV_STR("upload", id), VG_KV_STR("error", m));
        }
        vg_err_free(&e);
        VG_EVENT(VG_LOG_INFO, "registry", "gc: upload removed", VG_KV_STR("upload", id),
                 VG_KV_STR("why", orphan ? "orphan" : "expired"), VG_KV_U64("bytes", size));
    }
    struct vg_registry_gc_upload u = {vg_strdup(id), orphan, size};
    VG_ARRAY_PUSH(out->removed, out->nremoved, u);
    out->bytes += size;
}

int
vg_registry_gc_uploads(struct vg_registry_storage *storage, struct vg_registry_meta *meta,
                       const struct vg_registry_gc_uploads_opts *o,
                       struct vg_registry_gc_uploads_report *out, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    uint64_t grace =
        o->grace_s > VG_REGISTRY_GC_UPLOAD_MIN_AGE ? o->grace_s : VG_REGISTRY_GC_UPLOAD_MIN_AGE;
    if (grace > (uint64_t)INT64_MAX / 2 || o->expiry_s > (uint64_t)INT64_MAX / 2) {
        return vg_err_set(err, VG_E_USAGE, "gc: grace period or upload expiry too large");
    }
    int64_t orphan_before = o->now - (int64_t)grace, expired_before = o->now - (int64_t)o->expiry_s;
    VG_VEC(struct upl) objs = VG_VEC_INIT;
    if (storage->ops->upload_walk(storage, upl_collect, &objs, err) < 0) {
        vg_vec_dispose(&objs);
        return vg_err_wrap(err, "gc: list uploads");
    }
    vg_qsort(objs.v, objs.n, sizeof(*objs.v), upl_cmp);
    int rc = 0;
    /* Objects without a session row. A session's object is created just before its row, so
     * only old ones: a young one may be a session being opened right now. */
    for (size_t i = 0; rc == 0 && i < objs.n; i++) {
        const struct upl *u = &objs.v[i];
        char *repo = NULL;
        uint64_t off;
        if (u->mtime >= orphan_before) {
            continue;
        }
        if (meta->ops->upload_get(meta, u->id, &repo, &off, err) == 0) {
            free(repo);
            continue;
        }
        if (vg_err_code(*err) != VG_E_NOTFOUND) {
            rc = vg_err_wrap(err, "gc: upload %s", u->id);
            break;
        }
        vg_err_free(err);
        upload_removed(storage, u->id, true, u->size, o->dry_run, out);
    }
    /* Expired sessions, as the server's own sweep removes them, but only when their object
     * has not been written for as long either: a request still streaming into a session
     * advances its row only at the end. */
    char **ids = NULL;
    size_t nids = 0;
    if (rc == 0 && meta->ops->uploads_stale(meta, expired_before, VG_REGISTRY_GC_UPLOADS_MAX, &ids,
                                            &nids, err) < 0) {
        rc = vg_err_wrap(err, "gc: expired uploads");
    }
    for (size_t i = 0; rc == 0 && i < nids; i++) {
        struct upl key = {0};
        snprintf(key.id, sizeof(key.id), "%s", ids[i]);
        const struct upl *u = vg_bsearch(&key, objs.v, objs.n, sizeof(*objs.v), upl_cmp);
        if (u && u->mtime >= expired_before) {
            continue;
        }
        bool deleted = true;
        if (!o->dry_run &&
            meta->ops->gc_upload_delete(meta, ids[i], expired_before, &deleted, err) < 0) {
            rc = vg_err_wrap(err, "gc: upload %s", ids[i]);
            break;
        }
        if (!deleted) {
            out->kept_raced++;
            continue;
        }
        upload_removed(storage, ids[i], false, u ? u->size : 0, o->dry_run, out);
    }
    vg_strv_free(ids, nids);
    vg_vec_dispose(&objs);
    if (rc < 0) {
        vg_registry_gc_uploads_report_dispose(out);
    }
    return rc;
}
