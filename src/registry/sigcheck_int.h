/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to registry/: the require-signature pull gate. Its configuration
 * (`require-signature: {keys: [FILE or inline PEM], threshold: N, annotations: {k: v}}`), the
 * verification of an image's cosign signatures against the registry's OWN storage and
 * metadata (sign/'s vg_sign_store_verify: the `sha256-<hex>.sig` tag and OCI 1.1 referrers
 * holding a cosign bundle or simple-signing layers; nothing goes over HTTP), and a cache of
 * verdicts per (repository, digest, gate) that pushes and deletes of signatures invalidate.
 *
 * Thread safety: the cache has one mutex (a leaf lock, never held while verifying); a verdict
 * computed while an invalidation happened is not cached, so a signature pushed during a
 * verification is seen by the next pull.
 */
#ifndef VG_REGISTRY_SIGCHECK_INT_H
#define VG_REGISTRY_SIGCHECK_INT_H

#include "config/config.h"
#include "registry/gate.h"
#include "registry/meta.h"
#include "registry/storage.h"
#include "registry/supply.h"

/* Parses a gate's `require-signature` mapping into p (keys loaded now: a missing or
 * unsupported key stops the server at start) and g (require_signature, key labels).
 * VG_E_PARSE at FILE:LINE:COL. */
VG_NODISCARD int vg_registry_gate_sig_parse(struct vg_registry_gate *g,
                                            struct vg_registry_sigpolicy *p,
                                            const struct vg_config_node *n, struct vg_err **err);
void vg_registry_sigpolicy_dispose(struct vg_registry_sigpolicy *p);

#define VG_REGISTRY_SIGCACHE_SLOTS 4096u

struct vg_registry_sigcache;
struct vg_registry_sigcache *vg_registry_sigcache_new(void);
void vg_registry_sigcache_free(struct vg_registry_sigcache *c); /* NULL is a no-op */
/* Forgets the verdicts of digest d in every repository (NULL: every verdict). */
void vg_registry_sigcache_invalidate(struct vg_registry_sigcache *c, const struct vg_digest *d);
/* Cache statistics (for tests and metrics): verifications run, and answers from the cache. */
void vg_registry_sigcache_stats(struct vg_registry_sigcache *c, uint64_t *verified, uint64_t *hits);

struct vg_registry_sigcheck {
    struct vg_registry_storage *storage;
    struct vg_registry_meta *meta;
    struct vg_registry_sigcache *cache; /* may be NULL: no caching */
    /* The pull being gated (content trust asks about the tag): the tag, NULL for a pull by
     * digest, and the manifest's length. */
    const char *tag;
    uint64_t size;
};

/* The verdict of gate gi's policy g of the configuration) on repo@d: VERIFIED, NONE (unsigned),
 * UNKNOWN_KEY, INVALID (bad signature) or THRESHOLD, with the reason in *detail (owned, may
 * be NULL). Storage and metadata errors are returned (the caller answers 500). */
VG_NODISCARD int vg_registry_sigcheck_run(const struct vg_registry_sigcheck *sc,
                                          const struct vg_registry_sigpolicy *g, size_t gi,
                                          const char *repo, const struct vg_digest *d,
                                          enum vg_registry_gate_sig *out, char **detail,
                                          struct vg_err **err);

/* What a pushed or deleted manifest means for cached verdicts: a manifest with a subject, or
 * one tagged `sha256-<hex>.sig`, invalidates that image's verdicts. */
void vg_registry_sigcache_pushed(struct vg_registry_sigcache *c, bool has_subject,
                                 const struct vg_digest *subject, const char *const *tags,
                                 size_t ntags);

/* sigcheck_notation.c: the gate's `notation` authority, parsed at start (certificates read,
 * the trust policy built and checked), and its verdict on repo@d over the store st (whose
 * referrers are the Notary signatures): *ok, the signatures looked at, whether the first failure
 * was authenticity (an untrusted certificate or identity), and its reason in *detail (owned).
 * Storage errors are returned. */
struct vg_sign_store;
VG_NODISCARD int vg_registry__notation_parse(struct vg_registry_notation **out,
                                             const struct vg_config_node *n, struct vg_err **err);
void vg_registry__notation_free(struct vg_registry_notation *n);
/* *uncacheable: the verdict rests on revocation statuses nobody could give (a responder down
 * or too slow), so it must not be kept in the verdict cache. */
VG_NODISCARD int vg_registry__notation_check(const struct vg_registry_notation *p,
                                             const struct vg_sign_store *st, const char *repo,
                                             const struct vg_digest *d, bool *ok, size_t *nsigs,
                                             bool *untrusted, bool *uncacheable, char **detail,
                                             struct vg_err **err);

/* sigcheck_dct.c: the gate's `dct` authority (docs/registry.md), parsed at start, and its
 * verdict on repo[:tag]@d (VERIFIED, NO_TRUST_DATA, INVALID or UNVERIFIABLE with the reason in
 * *detail, owned); *cacheable says the answer may be cached for vg_registry__dct_ttl_ms (a
 * notary that could not be asked is not an answer). Never fails: every error is a verdict.
 * Threads: p is immutable after parse and shared by every request thread; each check opens
 * its own HTTP and TUF clients, and concurrent checks of one GUN share only the trust
 * directory, whose files are replaced atomically (core's vg_file_write_atomic). */
struct vg_registry_dct;
VG_NODISCARD int vg_registry__dct_parse(struct vg_registry_dct **out,
                                        const struct vg_config_node *n, struct vg_err **err);
void vg_registry__dct_free(struct vg_registry_dct *p);
uint64_t vg_registry__dct_ttl_ms(const struct vg_registry_dct *p);
int vg_registry__dct_check(const struct vg_registry_dct *p, const char *repo, const char *tag,
                           const struct vg_digest *d, uint64_t size, enum vg_registry_gate_sig *out,
                           char **detail, bool *cacheable);

#endif
