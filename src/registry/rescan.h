/* SPDX-License-Identifier: Apache-2.0
 *
 * registry rescans (docs/registry.md, "Rescans when the vulnerability DB changes"): every
 * scan-on-push result keeps the analysis it matched (scan/'s vg_scan_report_analysis: the
 * package list, secrets, model and layer-file findings) and the stamp of the vulnerability DB
 * it was matched with. When the DB's stamp changes, each result matched with another stamp is
 * re-matched from its saved analysis — only the manifest and config blobs are read from
 * storage, never a layer — and stored again; the pull gates read the new result on the next
 * pull. Vulnerabilities the new result has and the old one had not are logged
 * ("rescan found new vulnerabilities").
 *
 * Safe beside a running server (the metadata store serialises writes; a result rewritten by a
 * concurrent scan of the same digest is equivalent).
 */
#ifndef VG_REGISTRY_RESCAN_H
#define VG_REGISTRY_RESCAN_H

#include "registry/gate.h"
#include "registry/meta.h"
#include "registry/storage.h"

/* The stamp of the DB file at db_path (NULL: the default location): "<inode>:<size>:<mtime in
 * ns>", which a rebuilt or atomically swapped DB changes. NULL when the file is absent. */
char *vg_registry_db_stamp(const char *db_path);

struct vg_registry_rescan_opts {
    struct vg_registry_storage *storage; /* borrowed */
    struct vg_registry_meta *meta;       /* borrowed */
    const char *db_path;                 /* NULL: the default location */
    unsigned scanners;                   /* VG_SCANNER_* bits; 0: vigil scan's default */
    bool force;                          /* re-match results already matched with this DB too */
    /* Called for each result whose re-match found vulnerabilities the stored one lacked
     * (fresh[n], borrowed for the call), after the new result is stored; may be NULL. */
    void (*new_vulns)(void *ud, const char *repo, const struct vg_digest *d,
                      const struct vg_registry_gate_finding *fresh, size_t n);
    void *ud;
};

struct vg_registry_rescan_stats {
    size_t results;      /* completed results looked at */
    size_t rescanned;    /* re-matched and stored */
    size_t current;      /* already matched with this DB */
    size_t no_inventory; /* stored before analyses were saved: need a push to be rescanned */
    size_t failed;       /* could not be re-matched (kept as they were; logged) */
    size_t new_vulns;    /* vulnerabilities found that the previous results did not have */
};

/* Re-matches every completed result whose DB stamp differs from the DB's (all with force).
 * VG_E_NOTFOUND when the DB is absent; per-image failures are counted, not returned. */
VG_NODISCARD int vg_registry_rescan_run(const struct vg_registry_rescan_opts *o,
                                        struct vg_registry_rescan_stats *st, struct vg_err **err);

#endif
