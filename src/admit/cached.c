/* SPDX-License-Identifier: Apache-2.0
 *
 * The decision cache's side of the facts (admit_int.h, struct vg_admit_cached_facts): every
 * policy input answered from the cache (cache.c) when it can be, else asked of policy/facts.h
 * and stored. Digest-pinned images are cached as they are; an image named by tag is resolved to
 * its digest once per review and cached as IMAGE@DIGEST (the tag itself never is: it moves).
 * "Unknown" verdicts (the registry could not be asked) are cached too, for the cache's failure
 * TTL (cache.c).
 */
#include "admit_int.h"

#include "oci/remote.h"
#include "policy/facts.h"

#include <string.h>

/* Only digest-pinned images are cached: a tag can move, a digest cannot. */
static bool
cacheable(const char *image)
{
    return strstr(image, "@sha256:") != NULL;
}

int
vg_admit_resolve_tag(struct vg_oci_remote_pool *pool, const struct vg_oci_open_opts *own,
                     const char *image, struct vg_digest *dg, struct vg_err **err)
{
    struct vg_oci_ref *ref = NULL;
    struct vg_oci_remote_client *cl = NULL;
    int rc = vg_oci_ref_parse(&ref, image, err);
    if (rc == 0 && !(cl = own ? vg_oci_remote_client_new(ref, own, err)
                              : vg_oci_remote_pool_get(pool, ref, err))) {
        rc = -1;
    }
    if (rc == 0) {
        rc = vg_oci_remote_manifest_head(cl, ref->tag, dg, NULL, err);
    }
    if (cl && own) {
        vg_oci_remote_client_free(cl);
    } else if (cl) {
        vg_oci_remote_pool_put(pool, cl);
    }
    vg_oci_ref_free(ref);
    return rc;
}

/* Speculating: notes that image was asked about, and whether that question missed. */
static void
note(struct vg_admit_cached_facts *cf, const char *image, bool missed)
{
    if (!cf->speculative || !image) {
        return;
    }
    for (size_t i = 0; i < cf->asked.n; i++) {
        if (strcmp(cf->asked.v[i].image, image) == 0) {
            cf->asked.v[i].missed |= missed;
            return;
        }
    }
    vg_vec_push(&cf->asked, ((struct vg_admit_asked){vg_strdup(image), missed}));
}

bool
vg_admit_asked_settled(const struct vg_admit_askedv *a, const char *image)
{
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->v[i].image, image) == 0) {
            return !a->v[i].missed;
        }
    }
    return false;
}

void
vg_admit_asked_dispose(struct vg_admit_askedv *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].image);
    }
    vg_vec_dispose(a);
}

/* The image whose facts are asked and cached: image itself unless it is named by tag and cf
 * can resolve tags; then "IMAGE@DIGEST", the tag resolved once per review. NULL when the tag
 * cannot be resolved (*why set, owned by the caller: the fact is unknown) or, speculating,
 * cannot be asked (cf->missed; *why untouched). image becomes the question in progress
 * (cf->asking, which cache_ask notes). */
static const char *
effective(struct vg_admit_cached_facts *cf, const char *image, char **why)
{
    cf->asking = image;
    if (strchr(image, '@')) {
        return image;
    }
    if (cf->speculative) {
        cf->missed = true;
        note(cf, image, true);
        return NULL;
    }
    if (!cf->pool && !cf->own) {
        return image;
    }
    const struct vg_admit_resolved *r = NULL;
    for (size_t i = 0; i < cf->resolved.n && !r; i++) {
        if (strcmp(cf->resolved.v[i].image, image) == 0) {
            r = &cf->resolved.v[i];
        }
    }
    if (!r) {
        struct vg_admit_resolved *n = vg_vec_push_zero(&cf->resolved);
        n->image = vg_strdup(image);
        struct vg_digest dg;
        struct vg_err *err = NULL;
        if (vg_admit_resolve_tag(cf->pool, cf->own, image, &dg, &err) == 0) {
            n->pinned = vg_fmt("%s@%s", image, dg.text);
        } else {
            char *m = vg_err_format(err);
            vg_err_free(&err);
            vg_autofree char *img = vg_escape(image, strlen(image), 200);
            n->why = vg_fmt("unverifiable: cannot resolve the tag of %s to a digest: %s", img, m);
            free(m);
        }
        r = n;
    }
    if (!r->pinned) {
        *why = vg_strdup(r->why);
    }
    return r->pinned;
}

void
vg_admit_cached_dispose(struct vg_admit_cached_facts *cf)
{
    for (size_t i = 0; i < cf->resolved.n; i++) {
        free(cf->resolved.v[i].image);
        free(cf->resolved.v[i].pinned);
        free(cf->resolved.v[i].why);
    }
    vg_vec_dispose(&cf->resolved);
    vg_admit_asked_dispose(&cf->asked);
}

/* A cached answer to key (taken): true with *v filled; false when the facts must be asked
 * (counted as a miss), or, speculating, cannot be (cf->missed). */
static bool
cache_ask(struct vg_admit_cached_facts *cf, const char *key, struct vg_admit_cache_val *v)
{
    if (key && vg_admit_cache_get(cf->cache, key, v)) {
        cf->hits++;
        note(cf, cf->asking, false);
        return true;
    }
    if (cf->speculative) {
        cf->missed = true;
        note(cf, cf->asking, true);
    } else if (key) {
        atomic_fetch_add(cf->misses, 1);
    }
    return false;
}

static enum vg_policy_fact
cached_verify(void *ctx, const char *image, const char *key_pem, const struct vg_policy_kv *ann,
              size_t nann, char **why)
{
    struct vg_admit_cached_facts *cf = ctx;
    if (!(image = effective(cf, image, why))) {
        return VG_POLICY_FACT_UNKNOWN;
    }
    char *key =
        cacheable(image) ? vg_admit_cache_key_verify(cf->gen, image, key_pem, ann, nann) : NULL;
    struct vg_admit_cache_val v = {0};
    if (cache_ask(cf, key, &v)) {
        free(key);
        *why = v.why;
        free(v.user);
        return v.fact;
    }
    if (cf->missed) {
        free(key);
        return VG_POLICY_FACT_UNKNOWN;
    }
    v.fact = cf->inner.verify(cf->inner.ctx, image, key_pem, ann, nann, why);
    if (key) { /* transient failures too, briefly (the failure TTL) */
        v.why = *why;
        vg_admit_cache_put(cf->cache, key, &v);
    } else {
        free(key);
    }
    return v.fact;
}

/* The cache key of a verification question (vg_policy_*_question, taken) about image, under
 * kind ("keyless", "notation"); NULL when the image is not pinned or the key is too long. */
static char *
question_key(const struct vg_admit_cached_facts *cf, const char *image, const char *kind, char *q)
{
    char *key = NULL;
    if (cacheable(image)) {
        vg_autofree char *base = vg_admit_cache_key(cf->gen, kind, image);
        if (base && strlen(base) + strlen(q) < VG_ADMIT_CACHE_KEY_MAX) {
            key = vg_fmt("%s\n%s", base, q);
        }
    }
    free(q);
    return key;
}

/* A cached verdict for *key, or, speculating, "unknown" (the review goes to a pool thread):
 * true with *fact and *why set and *key freed; false when the facts must be asked. */
static bool
cached_answer(struct vg_admit_cached_facts *cf, char **key, enum vg_policy_fact *fact, char **why)
{
    struct vg_admit_cache_val v = {0};
    if (cache_ask(cf, *key, &v)) {
        *fact = v.fact;
        *why = v.why;
        free(v.user);
    } else if (cf->missed) {
        *fact = VG_POLICY_FACT_UNKNOWN;
    } else {
        return false;
    }
    free(*key);
    *key = NULL;
    return true;
}

/* Stores a verdict under key (taken; NULL: not cached) as cached_verify does: transient
 * failures ("unknown") for the failure TTL only. */
static enum vg_policy_fact
cached_store(struct vg_admit_cached_facts *cf, char *key, enum vg_policy_fact fact, char *why)
{
    if (key) {
        struct vg_admit_cache_val v = {.fact = fact, .why = why};
        vg_admit_cache_put(cf->cache, key, &v);
    } else {
        free(key);
    }
    return fact;
}

/* Keyless (Fulcio/Rekor) verdicts, cached like key-based ones by (generation, image digest,
 * the authority's identities, roots and flags, annotations). */
static enum vg_policy_fact
cached_verify_keyless(void *ctx, const char *image, const struct vg_policy_keyless *k,
                      const struct vg_policy_kv *ann, size_t nann, char **why)
{
    struct vg_admit_cached_facts *cf = ctx;
    if (!(image = effective(cf, image, why))) {
        return VG_POLICY_FACT_UNKNOWN;
    }
    char *key = question_key(cf, image, "keyless", vg_policy_keyless_question(k, ann, nann));
    enum vg_policy_fact fact;
    if (cached_answer(cf, &key, &fact, why)) {
        return fact;
    }
    fact = cf->inner.verify_keyless(cf->inner.ctx, image, k, ann, nann, why);
    return cached_store(cf, key, fact, *why);
}

/* Key signatures with transparency-log evidence (Kyverno keys/certificates attestors), by
 * (generation, image digest, key, Rekor key and url, annotations). */
static enum vg_policy_fact
cached_verify_tlog(void *ctx, const char *image, const char *key_pem,
                   const struct vg_policy_tlog *t, const struct vg_policy_kv *ann, size_t nann,
                   char **why)
{
    struct vg_admit_cached_facts *cf = ctx;
    if (!(image = effective(cf, image, why))) {
        return VG_POLICY_FACT_UNKNOWN;
    }
    char *key = question_key(cf, image, "tlog", vg_policy_tlog_question(key_pem, t, ann, nann));
    enum vg_policy_fact fact;
    if (cached_answer(cf, &key, &fact, why)) {
        return fact;
    }
    fact = cf->inner.verify_tlog(cf->inner.ctx, image, key_pem, t, ann, nann, why);
    return cached_store(cf, key, fact, *why);
}

/* Notary Project (Notation) verdicts, by (generation, image digest, trust store, identities,
 * level). */
static enum vg_policy_fact
cached_verify_notation(void *ctx, const char *image, const struct vg_policy_notation *n, char **why)
{
    struct vg_admit_cached_facts *cf = ctx;
    if (!(image = effective(cf, image, why))) {
        return VG_POLICY_FACT_UNKNOWN;
    }
    char *key = question_key(cf, image, "notation", vg_policy_notation_question(n));
    enum vg_policy_fact fact;
    if (cached_answer(cf, &key, &fact, why)) {
        return fact;
    }
    fact = cf->inner.verify_notation(cf->inner.ctx, image, n, why);
    return cached_store(cf, key, fact, *why);
}

/* Docker Content Trust verdicts are not cached: they follow the notary server (a revoked tag
 * changes the answer for the same digest); tuf/ keeps the verified metadata locally. */
static enum vg_policy_fact
uncached_verify_dct(void *ctx, const char *image, const struct vg_policy_dct *d, char **why)
{
    struct vg_admit_cached_facts *cf = ctx;
    if (cf->speculative) {
        cf->missed = true;
        note(cf, image, true);
        return VG_POLICY_FACT_UNKNOWN;
    }
    return cf->inner.verify_dct(cf->inner.ctx, image, d, why);
}

/* The ask -> miss -> inner -> put sequence of a per-image fact (vulnerabilities, config user),
 * keyed by (generation, kind, image). `hit` hands a cached value to the caller's outputs
 * (freeing what they do not take); `inner` asks the wrapped facts, filling the caller's outputs
 * and *v, which is cached when the image is. After a miss of a speculative pass, UNKNOWN
 * without asking. */
struct fact_call {
    const char *kind;
    char **(*why)(void *out); /* where the caller's reason goes */
    void (*hit)(struct vg_admit_cache_val *v, void *out);
    enum vg_policy_fact (*inner)(struct vg_admit_cached_facts *cf, const char *image, void *out,
                                 struct vg_admit_cache_val *v);
};

static enum vg_policy_fact
cached_fact(struct vg_admit_cached_facts *cf, const struct fact_call *fc, const char *image,
            void *out)
{
    if (!(image = effective(cf, image, fc->why(out)))) {
        return VG_POLICY_FACT_UNKNOWN;
    }
    char *key = cacheable(image) ? vg_admit_cache_key(cf->gen, fc->kind, image) : NULL;
    struct vg_admit_cache_val v = {0};
    if (cache_ask(cf, key, &v)) {
        free(key);
        fc->hit(&v, out);
        return v.fact;
    }
    if (cf->missed) {
        free(key);
        return VG_POLICY_FACT_UNKNOWN;
    }
    v.fact = fc->inner(cf, image, out, &v);
    if (key) {
        vg_admit_cache_put(cf->cache, key, &v);
    } else {
        free(key);
    }
    return v.fact;
}

struct vulns_out {
    struct vg_policy_vulns *vulns;
    char **why;
};

static char **
vulns_why(void *out)
{
    return ((struct vulns_out *)out)->why;
}

static void
vulns_hit(struct vg_admit_cache_val *v, void *out)
{
    struct vulns_out *o = out;
    *o->vulns = v->vulns;
    *o->why = v->why;
    free(v->user);
}

static enum vg_policy_fact
vulns_inner(struct vg_admit_cached_facts *cf, const char *image, void *out,
            struct vg_admit_cache_val *v)
{
    struct vulns_out *o = out;
    enum vg_policy_fact fact = cf->inner.vulns(cf->inner.ctx, image, o->vulns, o->why);
    v->vulns = *o->vulns;
    v->why = *o->why;
    return fact;
}

static enum vg_policy_fact
cached_vulns(void *ctx, const char *image, struct vg_policy_vulns *out, char **why)
{
    static const struct fact_call fc = {"vulns", vulns_why, vulns_hit, vulns_inner};
    struct vulns_out o = {out, why};
    return cached_fact(ctx, &fc, image, &o);
}

struct user_out {
    char **user, **why;
};

static char **
user_why(void *out)
{
    return ((struct user_out *)out)->why;
}

static void
user_hit(struct vg_admit_cache_val *v, void *out)
{
    struct user_out *o = out;
    *o->user = v->user;
    *o->why = v->why;
}

static enum vg_policy_fact
user_inner(struct vg_admit_cached_facts *cf, const char *image, void *out,
           struct vg_admit_cache_val *v)
{
    struct user_out *o = out;
    enum vg_policy_fact fact = cf->inner.config_user(cf->inner.ctx, image, o->user, o->why);
    v->user = *o->user;
    v->why = *o->why;
    return fact;
}

static enum vg_policy_fact
cached_user(void *ctx, const char *image, char **user, char **why)
{
    static const struct fact_call fc = {"user", user_why, user_hit, user_inner};
    struct user_out o = {user, why};
    return cached_fact(ctx, &fc, image, &o);
}

void
vg_admit_cached_inputs(struct vg_admit_cached_facts *cf, struct vg_policy_inputs *in)
{
    *in = (struct vg_policy_inputs){.ctx = cf,
                                    .verify = cached_verify,
                                    .vulns = cached_vulns,
                                    .config_user = cached_user,
                                    .verify_keyless = cached_verify_keyless,
                                    .verify_notation = cached_verify_notation,
                                    .verify_dct = uncached_verify_dct,
                                    .verify_tlog = cached_verify_tlog};
}
