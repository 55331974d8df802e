/* SPDX-License-Identifier: Apache-2.0
 *
 * registry garbage collection (`vigil registry gc`): removes blobs no manifest references,
 * safe while the server runs (docs/internals/gc.md has the argument). The mark is the metadata
 * store itself: every manifest (tagged or not: untagged manifests, index children, referrers
 * and cosign signature manifests are all rows) and every reference a manifest holds (config,
 * layers, children) is live. A blob row that is none of these and was created more than
 * `grace_s` ago is deleted from the metadata in a transaction that re-checks the condition,
 * and only then from storage. Manifests are never collected (deleting them is an explicit
 * DELETE).
 *
 * vg_registry_gc_uploads sweeps the upload area the same way: an upload object with no session
 * row (a crash between creating the object and its row, a failed unlink) once it is older than
 * the grace period, and sessions expired by the server's rule (not advanced for `expiry_s`)
 * whose object has not been written for as long either, removing the row first in a
 * transaction that re-checks its age, then the object.
 *
 * Thread safety: runs in the calling thread; other processes may serve meanwhile.
 */
#ifndef VG_REGISTRY_GC_H
#define VG_REGISTRY_GC_H

#include "registry/meta.h"
#include "registry/storage.h"

#define VG_REGISTRY_GC_GRACE_DEFAULT 3600u /* seconds: an upload's blob waits this long */

struct vg_registry_gc_report {
    struct vg_digest *removed; /* (dry run: would be) removed, by digest; owned */
    size_t nremoved;
    uint64_t bytes;    /* their total size as stored */
    size_t kept_raced; /* candidates a manifest started referencing during the run */
};
void vg_registry_gc_report_dispose(struct vg_registry_gc_report *r);

/* One run against storage and meta. now: unix seconds (callers pass vg_now_unix()). */
int vg_registry_gc_run(struct vg_registry_storage *storage, struct vg_registry_meta *meta,
                       int64_t now, uint64_t grace_s, bool dry_run,
                       struct vg_registry_gc_report *out, struct vg_err **err);

#define VG_REGISTRY_GC_UPLOAD_MIN_AGE                                                              \
    60u /* seconds: an object younger than this may belong to                                      \
          a session whose row is being committed */
#define VG_REGISTRY_GC_UPLOADS_MAX        ((size_t)1 << 20) /* expired sessions looked at per run */
#define VG_REGISTRY_UPLOAD_EXPIRY_DEFAULT (24u * 3600u)     /* the server's upload-expiry default */

struct vg_registry_gc_uploads_opts {
    int64_t now;       /* unix seconds (callers pass vg_now_unix()) */
    uint64_t grace_s;  /* orphan objects younger than max(grace, MIN_AGE) are kept */
    uint64_t expiry_s; /* sessions idle this long are expired (the server's upload-expiry) */
    bool dry_run;
};
struct vg_registry_gc_upload {
    char *id;    /* owned */
    bool orphan; /* no session row; else an expired session */
    uint64_t size;
};
struct vg_registry_gc_uploads_report {
    struct vg_registry_gc_upload *removed; /* (dry run: would be) removed, by id; owned */
    size_t nremoved;
    uint64_t bytes;
    size_t kept_raced; /* expired sessions a request advanced during the run */
};
void vg_registry_gc_uploads_report_dispose(struct vg_registry_gc_uploads_report *r);
int vg_registry_gc_uploads(struct vg_registry_storage *storage, struct vg_registry_meta *meta,
                           const struct vg_registry_gc_uploads_opts *o,
                           struct vg_registry_gc_uploads_report *out, struct vg_err **err);

#endif
