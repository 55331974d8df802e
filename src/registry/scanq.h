/* SPDX-License-Identifier: Apache-2.0
 *
 * registry scan-on-push: a bounded queue of pushed image manifests and worker threads that
 * scan each one with vigil's scanner (scan/, the code path of `vigil scan`) reading manifest,
 * config and layers from the registry's OWN storage through oci/'s blob-provider source, and
 * store the result (the `vigil scan --format json` document) in the metadata store
 * (meta.h scan_put), keyed by manifest digest. A push never waits for a scan: push() only
 * records "queued" and hands the digest to a worker.
 *
 * What to queue is the caller's choice (the manifest handler queues every image manifest and
 * each image child of a pushed index, never signatures, attestations or SBOMs — see
 * registry/gate.h vg_registry_gate_is_artifact).
 *
 * Thread safety: push() may be called from any thread; one mutex guards the queue (leaf lock,
 * never held while scanning or touching the metadata store).
 */
#ifndef VG_REGISTRY_SCANQ_H
#define VG_REGISTRY_SCANQ_H

#include "registry/gate.h"
#include "registry/meta.h"
#include "oci/oci.h"
#include "registry/storage.h"

struct vg_registry_scanq;

struct vg_registry_scanq_opts {
    struct vg_registry_storage *storage; /* borrowed; outlives the queue */
    struct vg_registry_meta *meta;       /* borrowed; outlives the queue */
    const char *db_path;                 /* vulnerability DB; NULL: the default location */
    unsigned scanners;                   /* VG_SCANNER_* bits; 0: vigil scan's default */
    unsigned workers;                    /* 0: 1 */
    size_t max_queued;                   /* 0: 1024; a push beyond it is recorded "failed" */
    /* The DB monitor (registry/rescan.h): with `monitor`, a thread started with the workers
     * checks the DB's stamp at start, every rescan_interval_ms (0: only when kicked) and on
     * vg_registry_scanq_kick, and re-matches the results matched with another DB. */
    bool monitor;
    uint64_t rescan_interval_ms;
    /* With the monitor: every update_interval_ms (0: never) it also runs `vigil db update`
     * (vulndb/ vg_vulndb_update from update_mirror, NULL: the default mirror) on db_path, then
     * checks the stamp, so a DB that changed is re-matched at once. A failed update is logged
     * and the DB in use stays. */
    uint64_t update_interval_ms;
    const char *update_mirror; /* borrowed; outlives the queue */
    /* Notification hooks (may be NULL), called on the worker or monitor thread after the
     * result is stored: `scanned` with a completed result's report (the stored JSON), the
     * rescan's new_vulns (registry/rescan.h) for new vulnerabilities. */
    void (*scanned)(void *ud, const char *repo, const struct vg_digest *d, const char *report);
    void (*new_vulns)(void *ud, const char *repo, const struct vg_digest *d,
                      const struct vg_registry_gate_finding *fresh, size_t n);
    void *hooks_ud;
};

/* oci/'s blob provider over the registry's storage (manifests and blobs by digest); the
 * storage must outlive every use. */
struct vg_oci_blob_provider vg_registry_storage_provider(struct vg_registry_storage *s);

VG_NODISCARD int vg_registry_scanq_new(struct vg_registry_scanq **out,
                                       const struct vg_registry_scanq_opts *opts,
                                       struct vg_err **err);
/* Starts the workers (separate from new so a server starts scanning once it serves, and a
 * test can fill the queue first). */
VG_NODISCARD int vg_registry_scanq_start(struct vg_registry_scanq *q, struct vg_err **err);
/* Records d (pushed to repo) as queued and wakes a worker. A digest already queued or done is
 * not queued again. VG_E_LIMIT when the queue is full (the row then says "failed" with the
 * reason, so a gate's require-scan denies instead of waiting forever). */
int vg_registry_scanq_push(struct vg_registry_scanq *q, const char *repo, const struct vg_digest *d,
                           struct vg_err **err);
/* Asks the DB monitor to check the DB now (SIGHUP); NULL is a no-op. */
void vg_registry_scanq_kick(struct vg_registry_scanq *q);
/* Monitor runs that re-matched at least one result so far. */
uint64_t vg_registry_scanq_rescans(struct vg_registry_scanq *q);
/* Blocks until nothing is queued or being scanned (returns at once before start). */
void vg_registry_scanq_drain(struct vg_registry_scanq *q);
/* Stops the workers after their current scan; what is still queued stays "queued" in the
 * metadata store. NULL is a no-op. */
void vg_registry_scanq_free(struct vg_registry_scanq *q);

#endif
