/* SPDX-License-Identifier: Apache-2.0
 *
 * policy/facts: the facts policies ask for (signatures, vulnerabilities, the image config's
 * user), taken from vigil's own verifier (sign/) and scanner (scan/), as vg_policy_inputs
 * callbacks. `vigil policy check` and the admission webhook share this wiring; the pure
 * evaluation (policy.h) stays free of I/O.
 *
 * A facts object caches per image what it fetched (the signature target, one scan), so the
 * several requirements of one evaluation fetch once. Thread safety: one object per thread
 * (the webhook makes one per request); the callbacks are not thread-safe.
 */
#ifndef VG_POLICY_FACTS_H
#define VG_POLICY_FACTS_H

#include "oci/oci.h"
#include "policy/policy.h"

/* Where vulnerability facts come from. */
enum vg_policy_vuln_source {
    /* The image registry's scan API when it is a vigil registry that scanned the image
     * (GET /vigil/v1/scans/, oci/remote.h); a scan it has queued or that failed is unknown
     * (a deny); a registry without the API, or without a scan of the image, falls back to a
     * local scan. */
    VG_POLICY_VULNS_AUTO = 0,
    VG_POLICY_VULNS_REGISTRY, /* the registry's scan API only: anything else is unknown */
    VG_POLICY_VULNS_LOCAL,    /* a local scan with the local database only */
};

struct vg_policy_facts_opts {
    struct vg_oci_open_opts open; /* registry access (strings borrowed) */
    const char *db;               /* vulnerability database, NULL: the default */
    enum vg_policy_vuln_source vuln_source;
    /* Sigstore trusted roots for keyless authorities (docs/sigstore.md): "FILE" is the default
     * root, "NAME=FILE" the root a policy names (ClusterImagePolicy trustRootRef, vigil's
     * trustedRoot). None: keyless requirements are unverifiable (a deny). */
    const char *const *trusted_roots;
    size_t ntrusted_roots;
    /* Parsed public keys shared by many facts objects (the webhook's requests), or NULL: each
     * verification parses its key (OpenSSL's PEM decoder costs more than the verification). */
    struct vg_policy_key_cache *keys;
};

/* A thread-safe cache of parsed public keys by PEM text, for the life of the cache: at most
 * VG_POLICY_KEY_CACHE_MAX keys (more are parsed per use). */
#define VG_POLICY_KEY_CACHE_MAX 256u
struct vg_policy_key_cache;
struct vg_policy_key_cache *vg_policy_key_cache_new(void);
void vg_policy_key_cache_free(struct vg_policy_key_cache *c);
/* "auto", "registry", "local" -> the source; -1 for anything else. */
int vg_policy_vuln_source_parse(const char *s);

struct vg_policy_facts;
struct vg_policy_facts *vg_policy_facts_new(const struct vg_policy_facts_opts *o);
/* Fills in with the callbacks over f (in->ctx = f). */
void vg_policy_facts_inputs(struct vg_policy_facts *f, struct vg_policy_inputs *in);
void vg_policy_facts_free(struct vg_policy_facts *f);

#endif
