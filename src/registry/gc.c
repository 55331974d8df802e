/* SPDX-License-Identifier: Apache-2.0
 *
 * Garbage collection of unreferenced blobs (gc.h).
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
        VG_ARRAY_PUSH(out->removed, out->nremoved, *d);
        out->bytes += size;
    }
    free(cand);
    return 0;
}
