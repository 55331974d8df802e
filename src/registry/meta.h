/* SPDX-License-Identifier: Apache-2.0
 *
 * registry metadata: what the registry knows about its content, as an interface with one
 * implementation on store/ (SQLite, meta_sqlite.c); a PostgreSQL store is another
 * implementation of the same operations. It is the source of truth for existence: a blob or
 * manifest is visible in a repository only when a row says so (the byte store is never listed
 * to answer a request), so a crash between publishing bytes and committing the row leaves an
 * invisible orphan for GC, never a dangling reference.
 *
 * Model: repositories (created by the first blob or manifest pushed into them); blobs (global,
 * content-addressed, with their size) and per-repository blob links; manifests per repository
 * (media type, size, artifactType, subject, annotations as JSON text) with their references
 * (blobs and child manifests, for GC and for deletes); tags; upload sessions with their offset;
 * scan results keyed by manifest digest (used by scan-on-push).
 *
 * Strings handed out are owned by the caller. Names and tags are validated by the protocol
 * layer (oci/dist.h grammar) before they get here; SQL is always parameterised.
 *
 * Errors: VG_E_NOTFOUND for an absent row the caller asked for by key; VG_E_VERIFY for a
 * compare-and-set that lost (upload offset moved); VG_E_DB otherwise.
 *
 * Thread safety: one instance serves every thread (the SQLite implementation keeps a pool of
 * connections, one per concurrent caller).
 */
#ifndef VG_REGISTRY_META_H
#define VG_REGISTRY_META_H

#include "core/core.h"

struct vg_registry_meta;

/* A manifest as stored (for put) or read back (get, referrers). */
struct vg_registry_manifest_rec {
    const char *repo;
    struct vg_digest digest;
    char *media_type;
    uint64_t size;
    char *artifact_type; /* effective: artifactType, else config.mediaType (image); may be NULL */
    bool has_subject;
    struct vg_digest subject;
    char *annotations; /* compact JSON object text, or NULL */
};
void vg_registry_manifest_rec_dispose(struct vg_registry_manifest_rec *m);

/* A reference from a manifest to a blob (config, layer) or to a child manifest (index). */
struct vg_registry_manifest_ref {
    struct vg_digest digest;
    bool is_manifest;
};

/* A scan-on-push result (registry/scanq.h), keyed by manifest digest. */
struct vg_registry_scan_rec {
    struct vg_digest digest;
    char *repo;              /* the repository it was pushed to first */
    char *status;            /* "queued", "done", "failed" */
    int64_t queued, scanned; /* unix seconds; scanned 0 until done/failed */
    char *report; /* `vigil scan --format json` text (done) or {"error": ...} (failed); or NULL */
    /* done: the vulnerability DB it was matched with (registry/rescan.h stamp), and the saved
     * analysis (scan/ vg_scan_report_analysis) a rescan re-matches; NULL when unknown. get
     * returns both, list only db_version. */
    char *db_version;
    char *inventory;
};
void vg_registry_scan_rec_dispose(struct vg_registry_scan_rec *r);
void vg_registry_scan_recs_free(struct vg_registry_scan_rec *v, size_t n);

struct vg_registry_meta_ops {
    int (*repo_exists)(struct vg_registry_meta *m, const char *repo, bool *out,
                       struct vg_err **err);
    /* Repository names after `last` (NULL: from the start) in byte order, at most n; *more
     * when there are others after them. */
    int (*catalog)(struct vg_registry_meta *m, const char *last, size_t n, char ***out,
                   size_t *nout, bool *more, struct vg_err **err);
    /* Records the blob (global) and links it into repo. */
    int (*blob_link)(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d,
                     uint64_t size, struct vg_err **err);
    /* *size of the blob linked in repo (repo NULL: known globally); VG_E_NOTFOUND. */
    int (*blob_get)(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d,
                    uint64_t *size, struct vg_err **err);
    int (*blob_unlink)(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d,
                       struct vg_err **err);
    /* The manifest row, its references and its tags, in one transaction. Every reference must
     * already be visible in the repository (the caller checked; the store does not re-check).
     * Re-putting the same digest updates nothing but the tags. */
    int (*manifest_put)(struct vg_registry_meta *m, const struct vg_registry_manifest_rec *rec,
                        const struct vg_registry_manifest_ref *refs, size_t nrefs,
                        const char *const *tags, size_t ntags, struct vg_err **err);
    /* Fills out (strings owned by out; repo not set); VG_E_NOTFOUND. */
    int (*manifest_get)(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d,
                        struct vg_registry_manifest_rec *out, struct vg_err **err);
    /* Deletes the manifest and every tag pointing at it; VG_E_NOTFOUND. */
    int (*manifest_delete)(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d,
                           struct vg_err **err);
    int (*tag_resolve)(struct vg_registry_meta *m, const char *repo, const char *tag,
                       struct vg_digest *out, struct vg_err **err);
    int (*tag_delete)(struct vg_registry_meta *m, const char *repo, const char *tag,
                      struct vg_err **err);
    /* Like catalog, for the tags of repo (VG_E_NOTFOUND when the repository is unknown). */
    int (*tags_list)(struct vg_registry_meta *m, const char *repo, const char *last, size_t n,
                     char ***out, size_t *nout, bool *more, struct vg_err **err);
    /* Manifests of repo whose subject is d, optionally only those of artifact_type, ordered by
     * digest. Free with vg_registry_manifest_recs_free. */
    int (*referrers)(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d,
                     const char *artifact_type, struct vg_registry_manifest_rec **out, size_t *n,
                     struct vg_err **err);
    /* A new session of repo opened by owner (a user name or "anonymous@ADDR"; NULL: nobody
     * counted). max > 0: VG_E_LIMIT, and no session, when owner has max sessions already
     * (counted and inserted atomically). */
    int (*upload_create)(struct vg_registry_meta *m, const char *id, const char *repo,
                         const char *owner, unsigned max, struct vg_err **err);
    /* *repo (caller frees) and *offset of the session; VG_E_NOTFOUND. */
    int (*upload_get)(struct vg_registry_meta *m, const char *id, char **repo, uint64_t *offset,
                      struct vg_err **err);
    /* Moves the offset from `from` to `to`; VG_E_VERIFY when it was not `from` any more. */
    int (*upload_advance)(struct vg_registry_meta *m, const char *id, uint64_t from, uint64_t to,
                          struct vg_err **err);
    int (*upload_delete)(struct vg_registry_meta *m, const char *id, struct vg_err **err);
    /* Ids of sessions not touched since `before` (unix seconds), at most max. */
    int (*uploads_stale)(struct vg_registry_meta *m, int64_t before, size_t max, char ***out,
                         size_t *n, struct vg_err **err);
    /* Scan results: put replaces the row of rec->digest; get fills out (VG_E_NOTFOUND);
     * list returns every row ordered by digest, without the report text. */
    int (*scan_put)(struct vg_registry_meta *m, const struct vg_registry_scan_rec *rec,
                    struct vg_err **err);
    int (*scan_get)(struct vg_registry_meta *m, const struct vg_digest *d,
                    struct vg_registry_scan_rec *out, struct vg_err **err);
    int (*scan_list)(struct vg_registry_meta *m, struct vg_registry_scan_rec **out, size_t *n,
                     struct vg_err **err);
    /* Garbage collection (registry/gc.h): blobs created at or before `before` (unix seconds) that
     * no manifest is and no manifest references, ordered by digest; and the deletion of one such
     * blob's rows (links included) in one transaction that re-checks the condition, *deleted
     * false when it no longer holds (a manifest referencing it committed meanwhile). */
    int (*gc_candidates)(struct vg_registry_meta *m, int64_t before, struct vg_digest **out,
                         size_t *n, struct vg_err **err);
    int (*gc_blob_delete)(struct vg_registry_meta *m, const struct vg_digest *d, int64_t before,
                          bool *deleted, struct vg_err **err);
    /* Deletes upload session id only if it was last touched before `before` (unix seconds):
     * *deleted false when a request advanced it meanwhile (or it is gone). */
    int (*gc_upload_delete)(struct vg_registry_meta *m, const char *id, int64_t before,
                            bool *deleted, struct vg_err **err);
    void (*free)(struct vg_registry_meta *m);
};
struct vg_registry_meta {
    const struct vg_registry_meta_ops *ops;
};

/* The SQLite store at path (created and migrated when missing or older). */
VG_NODISCARD int vg_registry_meta_sqlite_open(struct vg_registry_meta **out, const char *path,
                                              struct vg_err **err);
/* The embedded default under a storage root: the SQLite store ROOT/meta.db. The server and
 * the offline commands (scans, gc, rescan) open it through this one name. */
VG_NODISCARD int vg_registry_meta_open_root(struct vg_registry_meta **out, const char *root,
                                            struct vg_err **err);
void vg_registry_meta_free(struct vg_registry_meta *m); /* NULL is a no-op */
void vg_registry_manifest_recs_free(struct vg_registry_manifest_rec *v, size_t n);

#endif
