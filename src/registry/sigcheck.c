/* SPDX-License-Identifier: Apache-2.0
 *
 * The require-signature pull gate (sigcheck_int.h): configuration, verification against the
 * registry's own storage and metadata, and the verdict cache.
 */
#include "registry/sigcheck_int.h"

#include <pthread.h>
#include <string.h>

#include "registry/scanq.h"
#include "sign/sign.h"

/* ---------------------------------------------------------------- configuration */

struct vg_registry_keyless {
    struct vg_sigstore_root *root;
    struct vg_sigstore_policy *identities; /* strings owned by strs */
    char **strs;
    size_t nstrs;
    struct vg_sign_keyless keyless;
};

static int
key_add(struct vg_sign_keyset *ks, const struct vg_config_node *e, size_t idx, struct vg_err **err)
{
    size_t len = 0;
    const char *s =
        vg_config_node_type(e) == VG_CONFIG_SCALAR ? vg_config_node_scalar(e, &len) : NULL;
    if (!s || !*s) {
        return vg_config_err(err, e, VG_E_PARSE,
                             "'keys' must be a list of key files or inline PEM keys");
    }
    struct vg_err *inner = NULL;
    int rc;
    if (vg_cstr_startswith(s, "-----BEGIN")) {
        vg_autofree char *label = vg_fmt("require-signature.keys[%zu]", idx);
        rc = vg_sign_keyset_add_mem(ks, label, s, len, &inner);
    } else {
        rc = vg_sign_keyset_add(ks, s, &inner);
    }
    if (rc < 0) {
        vg_autofree char *m = vg_err_format(inner);
        enum vg_errc code = vg_err_code(inner);
        vg_err_free(&inner);
        return vg_config_err(err, e, code, "%s", m);
    }
    return 0;
}

static int
annotations_parse(struct vg_registry_sigpolicy *g, const struct vg_config_node *ann,
                  struct vg_err **err)
{
    for (size_t i = 0; ann && i < vg_config_node_len(ann); i++) {
        const struct vg_config_node *k = vg_config_map_key(ann, i);
        const struct vg_config_node *v = vg_config_map_value(ann, i);
        size_t kl = 0, vl = 0;
        const char *ks =
            vg_config_node_type(k) == VG_CONFIG_SCALAR ? vg_config_node_scalar(k, &kl) : NULL;
        const char *vs =
            vg_config_node_type(v) == VG_CONFIG_SCALAR ? vg_config_node_scalar(v, &vl) : NULL;
        if (!ks || !*ks || !vs) {
            return vg_config_err(err, v ? v : ann, VG_E_PARSE,
                                 "'annotations' must map names to strings");
        }
        if (g->nannotations >= VG_SIGN_MAX_ANNOTATIONS) {
            return vg_config_err(err, k, VG_E_LIMIT, "more than %u annotations",
                                 VG_SIGN_MAX_ANNOTATIONS);
        }
        VG_ARRAY_GROW(g->annotations, g->nannotations, 1);
        g->annotations[g->nannotations++] =
            (struct vg_sign_kv){vg_strndup(ks, kl), vg_strndup(vs, vl)};
    }
    return 0;
}

static const char *
own(struct vg_registry_keyless *p, const struct vg_config_node *n, const char *key)
{
    const struct vg_config_node *v = vg_config_map_get(n, key);
    size_t len = 0;
    const char *s =
        v && vg_config_node_type(v) == VG_CONFIG_SCALAR ? vg_config_node_scalar(v, &len) : NULL;
    if (!s || !*s) {
        return NULL;
    }
    vg_strv_push(&p->strs, &p->nstrs, s);
    return p->strs[p->nstrs - 1];
}

/* keyless: {trusted-root: FILE, identities: [{issuer | issuer-regexp, subject |
 * subject-regexp}], insecure-ignore-sct: BOOL} */
static int
keyless_parse(struct vg_registry_sigpolicy *sp0, const struct vg_config_node *n,
              struct vg_err **err)
{
    struct vg_registry_keyless *p = sp0->keyless = vg_calloc(1, sizeof(*p));
    static const char *const allowed[] = {"trusted-root", "identities", "insecure-ignore-sct"};
    static const char *const idkeys[] = {"issuer", "subject", "issuer-regexp", "subject-regexp"};
    const struct vg_config_node *ids = NULL;
    bool no_sct = false;
    if (vg_config_check_keys(n, "require-signature.keyless", allowed, VG_ARRAY_LEN(allowed), err) <
            0 ||
        vg_config_get_seq(n, "identities", &ids, err) < 0 ||
        vg_config_get_bool(n, "insecure-ignore-sct", false, &no_sct, err) < 0) {
        return -1;
    }
    const char *root = own(p, n, "trusted-root");
    if (!root || !ids || vg_config_node_len(ids) == 0) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "require-signature.keyless needs 'trusted-root' and 'identities'");
    }
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_SIGSTORE_ROOT_MAX);
    struct vg_err *inner = NULL;
    if (vg_file_read(&b, root, VG_SIGSTORE_ROOT_MAX, &inner) < 0 ||
        vg_sigstore_root_parse(&p->root, b.data, b.len, &inner) < 0) {
        vg_autofree char *m = vg_err_format(inner);
        enum vg_errc code = vg_err_code(inner);
        vg_err_free(&inner);
        return vg_config_err(err, n, code, "trusted root %s: %s", root, m);
    }
    size_t nids = vg_config_node_len(ids);
    p->identities = vg_calloc(nids, sizeof(*p->identities));
    for (size_t i = 0; i < nids; i++) {
        const struct vg_config_node *id = vg_config_seq_at(ids, i);
        if (vg_config_check_keys(id, "require-signature.keyless.identities[]", idkeys,
                                 VG_ARRAY_LEN(idkeys), err) < 0) {
            return -1;
        }
        struct vg_sigstore_policy *sp = &p->identities[i];
        *sp = (struct vg_sigstore_policy){.issuer = own(p, id, "issuer"),
                                          .issuer_regexp = own(p, id, "issuer-regexp"),
                                          .identity = own(p, id, "subject"),
                                          .identity_regexp = own(p, id, "subject-regexp"),
                                          .ignore_sct = no_sct};
        if (!(sp->issuer || sp->issuer_regexp) || !(sp->identity || sp->identity_regexp)) {
            return vg_config_err(err, id, VG_E_PARSE,
                                 "a keyless identity needs issuer (or issuer-regexp) and subject "
                                 "(or subject-regexp)");
        }
    }
    p->keyless =
        (struct vg_sign_keyless){.root = p->root, .identities = p->identities, .nidentities = nids};
    return 0;
}

void
vg_registry_sigpolicy_dispose(struct vg_registry_sigpolicy *p)
{
    vg_registry__notation_free(p->notation);
    p->notation = NULL;
    vg_registry__dct_free(p->dct);
    p->dct = NULL;
    if (p->keyless) {
        vg_sigstore_root_free(p->keyless->root);
        free(p->keyless->identities);
        vg_strv_free(p->keyless->strs, p->keyless->nstrs);
        free(p->keyless);
    }
    if (p->keyset) {
        vg_sign_keyset_dispose(p->keyset);
        free(p->keyset);
    }
    for (size_t i = 0; i < p->nannotations; i++) {
        free((char *)(uintptr_t)p->annotations[i].key);
        free((char *)(uintptr_t)p->annotations[i].value);
    }
    free(p->annotations);
    memset(p, 0, sizeof(*p));
}

int
vg_registry_gate_sig_parse(struct vg_registry_gate *g, struct vg_registry_sigpolicy *p,
                           const struct vg_config_node *n, struct vg_err **err)
{
    static const char *const allowed[] = {"keys",    "threshold", "annotations",
                                          "keyless", "notation",  "dct"};
    const struct vg_config_node *keys = NULL, *ann = NULL;
    const struct vg_config_node *keyless = vg_config_map_get(n, "keyless");
    const struct vg_config_node *notation = vg_config_map_get(n, "notation");
    const struct vg_config_node *dct = vg_config_map_get(n, "dct");
    uint64_t threshold = 1;
    if (vg_config_check_keys(n, "gates[].require-signature", allowed, VG_ARRAY_LEN(allowed), err) <
            0 ||
        vg_config_get_seq(n, "keys", &keys, err) < 0 ||
        vg_config_get_u64(n, "threshold", 1, VG_SIGN_MAX_KEYS, &threshold, err) < 0 ||
        vg_config_get_map(n, "annotations", &ann, err) < 0) {
        return -1;
    }
    if ((!keys || vg_config_node_len(keys) == 0) && !keyless && !notation && !dct) {
        return vg_config_err(err, n, VG_E_PARSE, "require-signature without 'keys'");
    }
    p->keyset = vg_calloc(1, sizeof(*p->keyset));
    if ((keyless && keyless_parse(p, keyless, err) < 0) ||
        (notation && vg_registry__notation_parse(&p->notation, notation, err) < 0) ||
        (dct && vg_registry__dct_parse(&p->dct, dct, err) < 0)) {
        return -1;
    }
    for (size_t i = 0; keys && i < vg_config_node_len(keys); i++) {
        if (key_add(p->keyset, vg_config_seq_at(keys, i), i, err) < 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < p->keyset->n; i++) {
        vg_strv_push(&g->keys, &g->nkeys, p->keyset->paths[i]);
    }
    size_t nauth = p->keyset->n + (p->keyless ? 1 : 0) + (p->notation ? 1 : 0) + (p->dct ? 1 : 0);
    if (threshold == 0 || threshold > nauth) {
        return vg_config_err(err, n, VG_E_PARSE, "threshold %llu: between 1 and the %zu key(s)",
                             (unsigned long long)threshold, nauth);
    }
    p->threshold = (size_t)threshold;
    g->require_signature = true;
    return annotations_parse(p, ann, err);
}

/* ---------------------------------------------------------------- cache */

struct slot {
    char *key; /* "gate|repo@digest" ("gate|repo:tag@digest" with content trust), NULL: empty */
    enum vg_registry_gate_sig sig;
    char *detail;
    uint64_t expires_ns; /* vg_now_ns() after which the verdict is stale; 0: never */
};

struct vg_registry_sigcache {
    pthread_mutex_t mu; /* guards slots, gen and the counters */
    struct slot slots[VG_REGISTRY_SIGCACHE_SLOTS];
    uint64_t gen; /* bumped by every invalidation */
    uint64_t verified, hits;
};

struct vg_registry_sigcache *
vg_registry_sigcache_new(void)
{
    struct vg_registry_sigcache *c = vg_calloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void
slot_clear(struct slot *s)
{
    free(s->key);
    free(s->detail);
    memset(s, 0, sizeof(*s));
}

void
vg_registry_sigcache_free(struct vg_registry_sigcache *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < VG_REGISTRY_SIGCACHE_SLOTS; i++) {
        slot_clear(&c->slots[i]);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void
vg_registry_sigcache_invalidate(struct vg_registry_sigcache *c, const struct vg_digest *d)
{
    if (!c) {
        return;
    }
    pthread_mutex_lock(&c->mu);
    c->gen++;
    for (size_t i = 0; i < VG_REGISTRY_SIGCACHE_SLOTS; i++) {
        struct slot *s = &c->slots[i];
        const char *at = s->key ? strrchr(s->key, '@') : NULL;
        if (s->key && (!d || (at && strcmp(at + 1, d->text) == 0))) {
            slot_clear(s);
        }
    }
    pthread_mutex_unlock(&c->mu);
}

void
vg_registry_sigcache_stats(struct vg_registry_sigcache *c, uint64_t *verified, uint64_t *hits)
{
    pthread_mutex_lock(&c->mu);
    *verified = c->verified;
    *hits = c->hits;
    pthread_mutex_unlock(&c->mu);
}

static size_t
slot_of(const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = key; *p; p++) {
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    }
    return (size_t)(h % VG_REGISTRY_SIGCACHE_SLOTS);
}

static bool
cache_get(struct vg_registry_sigcache *c, const char *key, enum vg_registry_gate_sig *sig,
          char **detail, uint64_t *gen)
{
    pthread_mutex_lock(&c->mu);
    struct slot *s = &c->slots[slot_of(key)];
    bool hit = s->key && strcmp(s->key, key) == 0;
    if (hit && s->expires_ns && vg_now_ns() >= s->expires_ns) {
        slot_clear(s);
        hit = false;
    }
    if (hit) {
        *sig = s->sig;
        *detail = vg_strdup(s->detail);
        c->hits++;
    } else {
        c->verified++;
    }
    *gen = c->gen;
    pthread_mutex_unlock(&c->mu);
    return hit;
}

static void
cache_put(struct vg_registry_sigcache *c, const char *key, enum vg_registry_gate_sig sig,
          const char *detail, uint64_t gen, uint64_t ttl_ms)
{
    pthread_mutex_lock(&c->mu);
    if (c->gen == gen) { /* no signature came or went while verifying */
        struct slot *s = &c->slots[slot_of(key)];
        slot_clear(s);
        s->key = vg_strdup(key);
        s->sig = sig;
        s->detail = vg_strdup(detail);
        s->expires_ns = ttl_ms ? vg_now_ns() + ttl_ms * 1000000u : 0;
    }
    pthread_mutex_unlock(&c->mu);
}

/* sha256-<64 hex>.sig → the image digest it signs. */
static bool
sig_tag_digest(const char *tag, struct vg_digest *out)
{
    size_t n = tag ? strlen(tag) : 0;
    if (n != 7 + 64 + 4 || strncmp(tag, "sha256-", 7) != 0 || strcmp(tag + 71, ".sig") != 0) {
        return false;
    }
    char text[7 + 64 + 1];
    memcpy(text, "sha256:", 7);
    memcpy(text + 7, tag + 7, 64);
    text[71] = '\0';
    return vg_digest_parse(out, text, NULL) == 0;
}

void
vg_registry_sigcache_pushed(struct vg_registry_sigcache *c, bool has_subject,
                            const struct vg_digest *subject, const char *const *tags, size_t ntags)
{
    if (!c) {
        return;
    }
    if (has_subject) {
        vg_registry_sigcache_invalidate(c, subject);
    }
    for (size_t i = 0; i < ntags; i++) {
        struct vg_digest d;
        if (sig_tag_digest(tags[i], &d)) {
            vg_registry_sigcache_invalidate(c, &d);
        }
    }
}

/* ---------------------------------------------------------------- the store over storage */

struct store_ud {
    const struct vg_registry_sigcheck *sc;
    const char *repo;
};

static int
st_tag_resolve(void *ud, const char *tag, struct vg_digest *out, struct vg_err **err)
{
    struct store_ud *u = ud;
    return u->sc->meta->ops->tag_resolve(u->sc->meta, u->repo, tag, out, err);
}

/* Artifact types that may carry a cosign signature (NULL: let the manifest tell). */
static bool
signature_type(const char *t)
{
    return !t || !*t || vg_cstr_startswith(t, VG_SIGN_MT_BUNDLE_PREFIX) ||
           strcmp(t, "application/vnd.dev.cosign.artifact.sig.v1+json") == 0 ||
           strcmp(t, VG_SIGN_MT_SIMPLESIGNING) == 0;
}

static int
st_referrers(void *ud, const struct vg_digest *image, struct vg_digest **out, size_t *n,
             struct vg_err **err)
{
    struct store_ud *u = ud;
    struct vg_registry_manifest_rec *recs = NULL;
    size_t nrecs = 0;
    *out = NULL;
    *n = 0;
    if (u->sc->meta->ops->referrers(u->sc->meta, u->repo, image, NULL, &recs, &nrecs, err) < 0) {
        return -1;
    }
    for (size_t i = 0; i < nrecs; i++) {
        if (signature_type(recs[i].artifact_type)) {
            VG_ARRAY_PUSH(*out, *n, recs[i].digest);
        }
    }
    vg_registry_manifest_recs_free(recs, nrecs);
    return 0;
}

static int
st_notary_referrers(void *ud, const struct vg_digest *image, struct vg_digest **out, size_t *n,
                    struct vg_err **err)
{
    struct store_ud *u = ud;
    struct vg_registry_manifest_rec *recs = NULL;
    size_t nrecs = 0;
    *out = NULL;
    *n = 0;
    if (u->sc->meta->ops->referrers(u->sc->meta, u->repo, image, NULL, &recs, &nrecs, err) < 0) {
        return -1;
    }
    for (size_t i = 0; i < nrecs; i++) {
        if (recs[i].artifact_type &&
            strcmp(recs[i].artifact_type, "application/vnd.cncf.notary.signature") == 0) {
            VG_ARRAY_PUSH(*out, *n, recs[i].digest);
        }
    }
    vg_registry_manifest_recs_free(recs, nrecs);
    return 0;
}

/* ---------------------------------------------------------------- verification */

static const struct vg_sign_check_item *
first_failure(const struct vg_sign_check_result *res, enum vg_sign_failure f)
{
    for (size_t i = 0; i < res->n; i++) {
        if (!res->items[i].verified && res->items[i].failure == f) {
            return &res->items[i];
        }
    }
    return NULL;
}

static char *
item_reason(const struct vg_sign_check_item *it)
{
    vg_autofree char *m = it->error ? vg_err_format(it->error) : NULL;
    return vg_fmt("%s: %s", it->where, m ? m : "does not verify");
}

/* Maps the verifier's result to the gate's verdict. */
static enum vg_registry_gate_sig
verdict(int rc, const struct vg_sign_check_result *res, const struct vg_err *e, char **detail)
{
    const struct vg_sign_check_item *bad;
    if (rc == 0) {
        return VG_GATE_SIG_VERIFIED;
    }
    if (res->n == 0) {
        return VG_GATE_SIG_NONE;
    }
    if (res->nverified > 0) {
        *detail = vg_err_format(e);
        return VG_GATE_SIG_THRESHOLD;
    }
    if ((bad = first_failure(res, VG_SIGN_FAILURE_BAD))) {
        *detail = item_reason(bad);
        return VG_GATE_SIG_INVALID;
    }
    vg_autofree char *first = item_reason(&res->items[0]);
    *detail = vg_fmt("%zu signature(s) found; %s", res->n, first);
    return VG_GATE_SIG_UNKNOWN_KEY;
}

/* The cosign authorities (keys, keyless) with `need` of them required. */
static int
cosign_run(const struct vg_registry_sigpolicy *g, const struct vg_sign_store *st, const char *repo,
           const struct vg_digest *d, size_t need, enum vg_registry_gate_sig *out, char **detail,
           struct vg_err **err)
{
    struct vg_sign_check_opts o = {
        .keys = (const struct vg_crypto_key *const *)g->keyset->keys,
        .nkeys = g->keyset->n,
        .threshold = need,
        .annotations = g->annotations,
        .nannotations = g->nannotations,
        .check_claims = true,
        .keyless = g->keyless ? &g->keyless->keyless : NULL,
    };
    struct vg_sign_check_result res;
    struct vg_err *e = NULL;
    int rc = vg_sign_store_verify(st, repo, d, &o, &res, &e);
    if (rc < 0 && !vg_err_is(e, VG_E_VERIFY)) {
        vg_sign_check_result_dispose(&res);
        if (err) {
            *err = e;
        } else {
            vg_err_free(&e);
        }
        return -1;
    }
    *out = verdict(rc, &res, e, detail);
    VG_EVENT(VG_LOG_DEBUG, "registry", "signature verified", VG_KV_STR("repo", repo),
             VG_KV_STR("digest", d->text), VG_KV_U64("signatures", res.n),
             VG_KV_U64("verified", res.nverified), VG_KV_U64("us", res.total_ns / 1000u));
    vg_err_free(&e);
    vg_sign_check_result_dispose(&res);
    return 0;
}

/* The authorities other than cosign's (Notation, content trust), asked before it. */
struct others {
    size_t ok;                         /* how many verified */
    const char *ok_what;               /* the first that verified ("the Notary signature") */
    bool found;                        /* a failure that found something (not plainly unsigned) */
    bool failed;                       /* any failed */
    enum vg_registry_gate_sig verdict; /* the first failure's (a finding one first) */
    char *detail;                      /* the failures' reasons, joined */
    bool uncacheable; /* an answer that must not be cached (notary, OCSP or CRL unreachable) */
};

static void
others_fail(struct others *o, enum vg_registry_gate_sig v, bool found, char *detail)
{
    if (!o->failed || (found && !o->found)) {
        o->verdict = v;
    }
    o->failed = true;
    o->found |= found;
    if (detail) {
        char *j = o->detail ? vg_fmt("%s; %s", o->detail, detail) : vg_strdup(detail);
        free(o->detail);
        free(detail);
        o->detail = j;
    }
}

static void
others_ok(struct others *o, const char *what)
{
    o->ok++;
    o->ok_what = o->ok_what ? o->ok_what : what;
}

static int
others_run(const struct vg_registry_sigcheck *sc, const struct vg_registry_sigpolicy *g,
           const struct vg_sign_store *st, const char *repo, const struct vg_digest *d,
           struct others *o, struct vg_err **err)
{
    if (g->notation) {
        bool ok = false, untrusted = false, unavailable = false;
        size_t nsigs = 0;
        char *detail = NULL;
        struct vg_sign_store nst = *st;
        nst.referrers = st_notary_referrers;
        if (vg_registry__notation_check(g->notation, &nst, repo, d, &ok, &nsigs, &untrusted,
                                        &unavailable, &detail, err) < 0) {
            return -1;
        }
        o->uncacheable |= unavailable; /* no revocation answer: ask again next pull */
        if (ok) {
            free(detail);
            others_ok(o, "the Notary signature");
        } else {
            others_fail(o,
                        nsigs == 0  ? VG_GATE_SIG_NONE
                        : untrusted ? VG_GATE_SIG_UNKNOWN_KEY
                                    : VG_GATE_SIG_INVALID,
                        nsigs > 0, detail);
        }
    }
    if (g->dct && o->ok < g->threshold) { /* the notary is asked only when it can matter */
        enum vg_registry_gate_sig v;
        char *detail = NULL;
        bool cacheable = false;
        vg_registry__dct_check(g->dct, repo, sc->tag, d, sc->size, &v, &detail, &cacheable);
        o->uncacheable |= !cacheable;
        if (v == VG_GATE_SIG_VERIFIED) {
            free(detail);
            others_ok(o, "the content trust signature");
        } else {
            others_fail(o, v, v != VG_GATE_SIG_NO_TRUST_DATA, detail);
        }
    }
    return 0;
}

/* The verdict of every authority of g together (threshold distinct ones). */
static int
verdict_all(const struct vg_registry_sigcheck *sc, const struct vg_registry_sigpolicy *g,
            const struct vg_sign_store *st, const char *repo, const struct vg_digest *d,
            struct others *o, enum vg_registry_gate_sig *out, char **detail, struct vg_err **err)
{
    if (others_run(sc, g, st, repo, d, o, err) < 0) {
        return -1;
    }
    if (o->ok >= g->threshold) {
        *out = VG_GATE_SIG_VERIFIED;
    } else if (g->keyset->n == 0 && !g->keyless) { /* no cosign authority */
        *out = o->ok ? VG_GATE_SIG_THRESHOLD : o->verdict;
        *detail = o->ok ? vg_fmt("%s verified; %s", o->ok_what, o->detail ? o->detail : "")
                        : vg_steal_ptr(&o->detail);
    } else if (cosign_run(g, st, repo, d, g->threshold - o->ok, out, detail, err) < 0) {
        return -1;
    } else if (*out == VG_GATE_SIG_NONE && o->found && !o->ok) { /* the others only, failed */
        free(*detail);
        *out = o->verdict;
        *detail = vg_steal_ptr(&o->detail);
    } else if (*out != VG_GATE_SIG_VERIFIED && o->ok) { /* one authority short */
        char *m = vg_fmt("%s verified; cosign: %s", o->ok_what,
                         *detail ? *detail : "no cosign signature of this image");
        free(*detail);
        *detail = m;
        *out = VG_GATE_SIG_THRESHOLD;
    } else if (*out != VG_GATE_SIG_VERIFIED && o->detail) {
        char *both =
            vg_fmt("%s; %s", *detail ? *detail : "cosign signatures do not verify", o->detail);
        free(*detail);
        *detail = both;
    }
    return 0;
}

int
vg_registry_sigcheck_run(const struct vg_registry_sigcheck *sc,
                         const struct vg_registry_sigpolicy *g, size_t gi, const char *repo,
                         const struct vg_digest *d, enum vg_registry_gate_sig *out, char **detail,
                         struct vg_err **err)
{
    *detail = NULL;
    /* content trust answers per tag: a pull by tag and one by digest are other questions */
    vg_autofree char *key = g->dct && sc->tag ? vg_fmt("%zu|%s:%s@%s", gi, repo, sc->tag, d->text)
                                              : vg_fmt("%zu|%s@%s", gi, repo, d->text);
    uint64_t gen = 0;
    if (sc->cache && cache_get(sc->cache, key, out, detail, &gen)) {
        return 0;
    }
    struct store_ud u = {sc, repo};
    struct vg_sign_store st = {
        .ud = &u,
        .tag_resolve = st_tag_resolve,
        .referrers = st_referrers,
        .blobs = vg_registry_storage_provider(sc->storage),
    };
    struct others o = {0};
    int rc = verdict_all(sc, g, &st, repo, d, &o, out, detail, err);
    free(o.detail);
    if (rc < 0) {
        return -1;
    }
    /* with content trust, the notary's answer changes over time: cached for its TTL only */
    uint64_t ttl_ms = g->dct ? vg_registry__dct_ttl_ms(g->dct) : 0;
    if (sc->cache && !o.uncacheable && !(g->dct && ttl_ms == 0)) {
        cache_put(sc->cache, key, *out, *detail, gen, ttl_ms);
    }
    return 0;
}
