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

#endif
