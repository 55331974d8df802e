/* SPDX-License-Identifier: Apache-2.0
 *
 * registry: the OCI Distribution v1.1 server (`vigil registry serve`), mounted on httpd at
 * /v2/. It owns the protocol (docs/internals/registry.md): routes parsed with oci/dist's
 * grammar, blob uploads streamed to the storage driver and verified before they become
 * visible, manifests validated and stored byte-for-byte, tags, catalog, referrers, deletes,
 * and the spec's JSON errors on every failure. Bytes live behind registry/storage.h, what is
 * visible where behind registry/meta.h, and every request passes registry/authz.h first.
 *
 * Thread safety: one vg_registry serves all of httpd's threads; its configuration is
 * immutable after vg_registry_new.
 */
#ifndef VG_REGISTRY_H
#define VG_REGISTRY_H

#include "core/core.h"
#include "oci/oci.h"
#include "registry/authz.h"
#include "registry/meta.h"
#include "registry/storage.h"

struct vg_httpd;
struct vg_registry;
struct vg_registry_supply;
struct vg_registry_notify_config;

#define VG_REGISTRY_CATALOG_SCAN_DEFAULT     10000u
#define VG_REGISTRY_UPLOADS_PER_USER_DEFAULT 256u

struct vg_registry_opts {
    const char *root;                      /* storage root; metadata in ROOT/meta.db */
    const struct vg_registry_authz *authz; /* NULL: open (every request allowed); borrowed */
    uint64_t max_manifest_bytes;           /* 0: VG_LIMIT_MANIFEST_BYTES; larger is 413 */
    uint64_t max_blob_bytes;               /* one upload; 0: VG_LIMIT_LAYER_UNPACKED_BYTES */
    unsigned tags_page_max;                /* n is clamped to this; 0: 1000 */
    /* _catalog filtered by permission reads at most this many names per request (then pages
     * with Link); 0: VG_REGISTRY_CATALOG_SCAN_DEFAULT */
    unsigned catalog_scan_max;
    uint64_t upload_expiry_ms; /* sessions untouched this long are removed; 0: 24 h */
    /* open upload sessions one user (anonymous: one client address) may hold; more is 429
     * TOOMANYREQUESTS until one closes or expires; 0: VG_REGISTRY_UPLOADS_PER_USER_DEFAULT */
    unsigned max_uploads_per_user;
    /* scan-on-push and pull gates (registry/supply.h); NULL: none; borrowed */
    const struct vg_registry_supply *supply;
    /* webhooks (registry/notify.h), spooled under ROOT/notifications; NULL: none; borrowed */
    const struct vg_registry_notify_config *notify;
};

/* Opens (creating when missing) the filesystem storage and SQLite metadata under opts->root. */
VG_NODISCARD int vg_registry_new(struct vg_registry **out, const struct vg_registry_opts *opts,
                                 struct vg_err **err);
/* Adds the /v2/ routes to h (before vg_httpd_start). */
VG_NODISCARD int vg_registry_mount(struct vg_registry *reg, struct vg_httpd *h,
                                   struct vg_err **err);
void vg_registry_free(struct vg_registry *reg);
/* Replaces the notification endpoints (SIGHUP; vg_registry_notifier_reconfigure): an endpoint
 * that keeps its name keeps its delivery thread, queue and counters (new settings apply from
 * its next attempt), added ones start, removed ones stop after spooling what they hold.
 * cfg is copied. On error the endpoints in use stay. Call from one thread at a time. */
VG_NODISCARD int vg_registry_notify_reload(struct vg_registry *reg,
                                           const struct vg_registry_notify_config *cfg,
                                           struct vg_err **err);
/* Whether repo:tag exists: 1 yes, 0 no, < 0 with *err (the metadata store failed). For the
 * authorizer's immutable-tag rule (registry/auth.h vg_registry_auth_authz). */
VG_NODISCARD int vg_registry_tag_exists(struct vg_registry *reg, const char *repo, const char *tag,
                                        struct vg_err **err);

/* ---------------------------------------------------------------- manifest validation */

enum vg_registry_manifest_kind {
    VG_REGISTRY_MANIFEST_IMAGE = 1, /* OCI image manifest, Docker schema 2 */
    VG_REGISTRY_MANIFEST_INDEX,     /* OCI index, Docker manifest list */
};

/* What the registry needs to know about a pushed manifest. */
struct vg_registry_manifest_info {
    enum vg_registry_manifest_kind kind;
    const char *media_type; /* one of the four accepted types (static storage) */
    char *artifact_type;    /* artifactType, else an image's config.mediaType, else NULL */
    bool has_subject;
    struct vg_digest subject;
    char *annotations;                     /* compact JSON object (keys sorted), or NULL */
    struct vg_registry_manifest_ref *refs; /* config + layers, or the index's children */
    size_t nrefs;
};
void vg_registry_manifest_info_dispose(struct vg_registry_manifest_info *m);

/* Validates a manifest or index pushed with content_type (parameters ignored; NULL or empty
 * means "take the body's mediaType"). Hostile input: at most VG_LIMIT_MANIFEST_BYTES and
 * VG_LIMIT_INDEX_ENTRIES descriptors. On failure returns the protocol code to answer
 * (MANIFEST_INVALID, or UNSUPPORTED for Docker schema 1) and sets *err with a one-line reason
 * naming the field; VG_OCI_DIST_OK on success. Foreign/non-distributable layers are not
 * listed in refs (their blobs never come to the registry); subject is never a ref (it may be
 * pushed later). Descriptors' inline `data` must match their digest and size. */
enum vg_oci_dist_code vg_registry_manifest_check(struct vg_registry_manifest_info *out,
                                                 const char *content_type, const void *data,
                                                 size_t len, struct vg_err **err);

#endif
