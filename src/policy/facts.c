/* SPDX-License-Identifier: Apache-2.0
 *
 * Facts for policy evaluation from vigil's verifier (sign/) and scanner (scan/): see facts.h.
 * Moved here from cli/cmd_policy.c so the webhook uses the same wiring.
 */
#include "policy/facts.h"

#include "crypto/crypto.h"
#include "scan/engine.h"
#include "sign/notation.h"
#include "sign/sign.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct fact_memo {
    char *q;
    enum vg_policy_fact fact;
    char *why;
};

struct fact_cache {
    char *image;
    struct vg_sign_target *target;
    char *target_err;
    bool scanned;
    struct vg_scan_report *report;
    char *scan_err;
    bool reg_asked;   /* the registry's scan API was asked */
    json_t *reg_doc;  /* its scan document ("done") */
    char *reg_status; /* "done", "queued", "failed", "unknown", "absent"; NULL: error */
    char *reg_why;    /* its message, or the error */
    /* Verdicts given for this image (vg_policy_*_question -> fact, why): the same question
     * asked again (one per container naming the image) is answered without the registry. */
    VG_VEC(struct fact_memo) memos;
};

struct vg_policy_key_cache {
    pthread_mutex_t mu; /* leaf: n, pem, key */
    size_t n;
    char *pem[VG_POLICY_KEY_CACHE_MAX];
    struct vg_crypto_key *key[VG_POLICY_KEY_CACHE_MAX]; /* immutable once stored */
};

struct vg_policy_key_cache *
vg_policy_key_cache_new(void)
{
    struct vg_policy_key_cache *c = vg_calloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void
vg_policy_key_cache_free(struct vg_policy_key_cache *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        free(c->pem[i]);
        vg_crypto_key_free(c->key[i]);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* The key of key_pem: borrowed from the cache (*owned NULL) or parsed for this use (*owned
 * set: the caller frees it). NULL with *why on a key that does not parse. */
static const struct vg_crypto_key *
key_get(struct vg_policy_key_cache *c, const char *key_pem, struct vg_crypto_key **owned,
        char **why)
{
    *owned = NULL;
    if (c) {
        pthread_mutex_lock(&c->mu);
        for (size_t i = 0; i < c->n; i++) {
            if (strcmp(c->pem[i], key_pem) == 0) {
                const struct vg_crypto_key *k = c->key[i];
                pthread_mutex_unlock(&c->mu);
                return k;
            }
        }
        pthread_mutex_unlock(&c->mu);
    }
    struct vg_crypto_key *key = NULL;
    struct vg_err *err = NULL;
    if (vg_sign_key_load_public_mem(&key, "policy key", key_pem, strlen(key_pem), &err) < 0) {
        *why = vg_err_format(err);
        vg_err_free(&err);
        return NULL;
    }
    if (c) {
        pthread_mutex_lock(&c->mu);
        bool stored = c->n < VG_POLICY_KEY_CACHE_MAX;
        if (stored) { /* a concurrent parse of the same key may store a twin: harmless */
            c->pem[c->n] = vg_strdup(key_pem);
            c->key[c->n++] = key;
        }
        pthread_mutex_unlock(&c->mu);
        if (stored) {
            return key;
        }
    }
    *owned = key;
    return key;
}

struct vg_policy_facts {
    struct vg_policy_facts_opts o;
    VG_VEC(struct fact_cache) c;
    struct vg_sigstore_root **roots; /* [ntrusted_roots], parsed on first use */
};

static struct fact_cache *
cache_get(struct vg_policy_facts *f, const char *image)
{
    for (size_t i = 0; i < f->c.n; i++) {
        if (strcmp(f->c.v[i].image, image) == 0) {
            return &f->c.v[i];
        }
    }
    struct fact_cache *e = vg_vec_push_zero(&f->c);
    e->image = vg_strdup(image);
    return e;
}

/* The verdict given before to question q about e's image: true with *fact and *why (a copy). */
static bool
memo_get(const struct fact_cache *e, const char *q, enum vg_policy_fact *fact, char **why)
{
    for (size_t i = 0; i < e->memos.n; i++) {
        if (strcmp(e->memos.v[i].q, q) == 0) {
            *fact = e->memos.v[i].fact;
            *why = e->memos.v[i].why ? vg_strdup(e->memos.v[i].why) : NULL;
            return true;
        }
    }
    return false;
}

/* Remembers q's verdict (q taken, why copied) and returns it. */
static enum vg_policy_fact
memo_put(struct fact_cache *e, char *q, enum vg_policy_fact fact, const char *why)
{
    struct fact_memo *m = vg_vec_push_zero(&e->memos);
    *m = (struct fact_memo){.q = q, .fact = fact, .why = why ? vg_strdup(why) : NULL};
    return fact;
}

static enum vg_policy_fact verify_key(struct vg_policy_facts *f, const char *image,
                                      const char *key_pem, const struct vg_policy_kv *annotations,
                                      size_t nann, const struct vg_sigstore_root *tlog, char **why);

static enum vg_policy_fact
fact_verify(void *ctx, const char *image, const char *key_pem,
            const struct vg_policy_kv *annotations, size_t nann, char **why)
{
    struct vg_policy_facts *f = ctx;
    char *q = vg_policy_verify_question(key_pem, annotations, nann);
    enum vg_policy_fact fact;
    if (memo_get(cache_get(f, image), q, &fact, why)) {
        free(q);
        return fact;
    }
    fact = verify_key(f, image, key_pem, annotations, nann, NULL, why);
    return memo_put(cache_get(f, image), q, fact, *why);
}

/* The first reason a signature gave for not verifying, NULL when none did. */
static char *
first_item_error(const struct vg_sign_check_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].error) {
            return vg_err_format(r->items[i].error);
        }
    }
    return NULL;
}

static enum vg_policy_fact
verify_key(struct vg_policy_facts *f, const char *image, const char *key_pem,
           const struct vg_policy_kv *annotations, size_t nann, const struct vg_sigstore_root *tlog,
           char **why)
{
    struct fact_cache *e = cache_get(f, image);
    struct vg_err *err = NULL;
    if (!e->target && !e->target_err &&
        vg_sign_target_open(&e->target, image, &f->o.open, NULL, &err) < 0) {
        e->target_err = vg_err_format(err);
        vg_err_free(&err);
    }
    if (e->target_err) {
        *why = vg_fmt("unverifiable: %s", e->target_err);
        return VG_POLICY_FACT_UNKNOWN;
    }
    struct vg_crypto_key *owned = NULL;
    const struct vg_crypto_key *key = key_get(f->o.keys, key_pem, &owned, why);
    if (!key) {
        return VG_POLICY_FACT_UNKNOWN;
    }
    struct vg_sign_kv *ann = vg_calloc(nann + 1, sizeof(*ann));
    for (size_t i = 0; i < nann; i++) {
        ann[i] = (struct vg_sign_kv){annotations[i].key, annotations[i].value};
    }
    const struct vg_crypto_key *keys[1] = {key};
    struct vg_sign_check_opts o = {.keys = keys,
                                   .nkeys = 1,
                                   .threshold = 1,
                                   .annotations = ann,
                                   .nannotations = nann,
                                   .check_claims = true,
                                   .check_reference = true,
                                   .tlog = tlog};
    struct vg_sign_check_result r;
    int rc = vg_sign_target_verify(e->target, &o, &r, &err);
    enum vg_policy_fact fact = VG_POLICY_FACT_YES;
    if (rc < 0) {
        char *m = vg_err_format(err);
        bool negative = vg_err_root_code(err) == VG_E_VERIFY;
        /* with a log to check, the first signature's reason says which evidence failed */
        vg_autofree char *first = tlog ? first_item_error(&r) : NULL;
        *why = vg_fmt("%s%s%s%s", negative ? "" : "unverifiable: ", m, first ? ": " : "",
                      first ? first : "");
        free(m);
        vg_err_free(&err);
        fact = negative ? VG_POLICY_FACT_NO : VG_POLICY_FACT_UNKNOWN;
    }
    vg_sign_check_result_dispose(&r);
    free(ann);
    vg_crypto_key_free(owned);
    return fact;
}

/* ---------------------------------------------------------------- keyless */

/* The trusted root named `name` (NULL: the default, an entry without "NAME="). */
static const struct vg_sigstore_root *
root_for(struct vg_policy_facts *f, const char *name, char **why)
{
    for (size_t i = 0; i < f->o.ntrusted_roots; i++) {
        const char *spec = f->o.trusted_roots[i], *eq = strchr(spec, '=');
        bool hit = name ? eq && (size_t)(eq - spec) == strlen(name) &&
                              strncmp(spec, name, strlen(name)) == 0
                        : !eq;
        if (!hit) {
            continue;
        }
        if (!f->roots) {
            f->roots = vg_calloc(f->o.ntrusted_roots, sizeof(*f->roots));
        }
        if (!f->roots[i]) {
            const char *path = eq ? eq + 1 : spec;
            struct vg_buf b = VG_BUF_INIT(VG_SIGSTORE_ROOT_MAX);
            struct vg_err *err = NULL;
            if (vg_file_read(&b, path, VG_SIGSTORE_ROOT_MAX, &err) < 0 ||
                vg_sigstore_root_parse(&f->roots[i], b.data, b.len, &err) < 0) {
                char *m = vg_err_format(err);
                *why = vg_fmt("unverifiable: trusted root %s: %s", path, m);
                free(m);
                vg_err_free(&err);
                vg_buf_dispose(&b);
                return NULL;
            }
            vg_buf_dispose(&b);
        }
        return f->roots[i];
    }
    *why = name ? vg_fmt("unverifiable: no trusted root named \"%s\" was configured", name)
                : vg_strdup("unverifiable: no trusted root was configured (--trusted-root)");
    return NULL;
}

/* The root with its Fulcio CAs replaced by the PEM certificates of pem (one CA: the
 * certificates that are not self-signed first, the roots last). Borrows root's logs. */
static int
root_with_cas(struct vg_sigstore_root *out, struct vg_sigstore_ca *ca,
              const struct vg_sigstore_root *root, const char *pem, char **why)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    struct vg_x509 *certs[VG_X509_CHAIN_MAX];
    size_t n = 0, roots = 0;
    for (const char *p = strstr(pem, begin); p; p = strstr(p + 1, begin)) {
        struct vg_err *err = NULL;
        if (n == VG_X509_CHAIN_MAX || vg_x509_parse(&certs[n], p, strlen(p), &err) < 0) {
            char *m = err ? vg_err_format(err) : vg_strdup("too many certificates");
            *why = vg_fmt("unverifiable: policy CA certificates: %s", m);
            free(m);
            vg_err_free(&err);
            for (size_t i = 0; i < n; i++) {
                vg_x509_free(certs[i]);
            }
            return -1;
        }
        n++;
    }
    if (n == 0) {
        *why = vg_strdup("unverifiable: policy CA certificates: no PEM certificate");
        return -1;
    }
    *ca = (struct vg_sigstore_ca){.certs = vg_calloc(n, sizeof(*ca->certs)), .ncerts = n};
    for (size_t i = 0; i < n; i++) { /* intermediates first, then the self-signed roots */
        if (!vg_x509_self_signed(certs[i])) {
            ca->certs[roots++] = certs[i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (vg_x509_self_signed(certs[i])) {
            ca->certs[roots++] = certs[i];
        }
    }
    *out = *root;
    out->cas = ca;
    out->ncas = 1;
    return 0;
}

static int one_log_root(struct vg_sigstore_root *root, struct vg_sigstore_log *log,
                        struct vg_crypto_key **key, const char *name, const char *pem, size_t len,
                        char **why);

static enum vg_policy_fact verify_keyless(struct vg_policy_facts *f, const char *image,
                                          const struct vg_policy_keyless *k,
                                          const struct vg_policy_kv *annotations, size_t nann,
                                          char **why);

static enum vg_policy_fact
fact_verify_keyless(void *ctx, const char *image, const struct vg_policy_keyless *k,
                    const struct vg_policy_kv *annotations, size_t nann, char **why)
{
    struct vg_policy_facts *f = ctx;
    char *q = vg_policy_keyless_question(k, annotations, nann);
    enum vg_policy_fact fact;
    if (memo_get(cache_get(f, image), q, &fact, why)) {
        free(q);
        return fact;
    }
    fact = verify_keyless(f, image, k, annotations, nann, why);
    return memo_put(cache_get(f, image), q, fact, *why);
}

static enum vg_policy_fact
verify_keyless(struct vg_policy_facts *f, const char *image, const struct vg_policy_keyless *k,
               const struct vg_policy_kv *annotations, size_t nann, char **why)
{
    struct fact_cache *e = cache_get(f, image);
    struct vg_err *err = NULL;
    const struct vg_sigstore_root *root = root_for(f, k->trust_root, why);
    if (!root) {
        return VG_POLICY_FACT_UNKNOWN;
    }
    struct vg_sigstore_root custom;
    struct vg_sigstore_ca ca = {0};
    if (k->ca_pem) {
        if (root_with_cas(&custom, &ca, root, k->ca_pem, why) < 0) {
            return VG_POLICY_FACT_UNKNOWN;
        }
        root = &custom;
    }
    /* Kyverno rekor.pubkey: that key instead of the root's Rekor keys */
    struct vg_sigstore_root withlog, one;
    struct vg_sigstore_log log;
    struct vg_crypto_key *logkey = NULL;
    enum vg_policy_fact fact = VG_POLICY_FACT_YES;
    if (k->rekor_pem) {
        if (one_log_root(&one, &log, &logkey, "rekor.pubkey", k->rekor_pem, strlen(k->rekor_pem),
                         why) < 0) {
            fact = VG_POLICY_FACT_UNKNOWN;
            goto out;
        }
        withlog = *root;
        withlog.tlogs = one.tlogs;
        withlog.ntlogs = 1;
        root = &withlog;
    }
    if (!e->target && !e->target_err &&
        vg_sign_target_open(&e->target, image, &f->o.open, NULL, &err) < 0) {
        e->target_err = vg_err_format(err);
        vg_err_free(&err);
    }
    if (e->target_err) {
        *why = vg_fmt("unverifiable: %s", e->target_err);
        fact = VG_POLICY_FACT_UNKNOWN;
        goto out;
    }
    struct vg_sigstore_policy *ids = vg_calloc(k->nids, sizeof(*ids));
    for (size_t i = 0; i < k->nids; i++) {
        const struct vg_policy_identity *id = &k->ids[i];
        bool any_sub = !id->subject && !id->subject_regexp;
        bool any_iss = !id->issuer && !id->issuer_regexp;
        ids[i] = (struct vg_sigstore_policy){
            .identity = id->subject,
            .identity_regexp = any_sub ? "^" : id->subject_regexp,
            .issuer = id->issuer,
            .issuer_regexp = any_iss ? "^" : id->issuer_regexp,
            .ignore_sct = k->ignore_sct,
            .ignore_tlog = k->ignore_tlog,
        };
    }
    struct vg_sign_kv *ann = vg_calloc(nann + 1, sizeof(*ann));
    for (size_t i = 0; i < nann; i++) {
        ann[i] = (struct vg_sign_kv){annotations[i].key, annotations[i].value};
    }
    struct vg_sign_keyless kl = {.root = root, .identities = ids, .nidentities = k->nids};
    struct vg_sign_check_opts o = {.threshold = 1,
                                   .annotations = ann,
                                   .nannotations = nann,
                                   .check_claims = true,
                                   .check_reference = true,
                                   .keyless = &kl};
    struct vg_sign_check_result r;
    if (vg_sign_target_verify(e->target, &o, &r, &err) < 0) {
        char *m = vg_err_format(err);
        bool negative = vg_err_root_code(err) == VG_E_VERIFY;
        /* the first signature's reason says more than "none verified" */
        char *first = NULL;
        for (size_t i = 0; i < r.n && !first; i++) {
            first = r.items[i].error ? vg_err_format(r.items[i].error) : NULL;
        }
        *why = vg_fmt("%s%s%s%s", negative ? "" : "unverifiable: ", m, first ? ": " : "",
                      first ? first : "");
        free(first);
        free(m);
        vg_err_free(&err);
        fact = negative ? VG_POLICY_FACT_NO : VG_POLICY_FACT_UNKNOWN;
    }
    vg_sign_check_result_dispose(&r);
    free(ann);
    free(ids);
out:
    vg_crypto_key_free(logkey);
    for (size_t i = 0; i < ca.ncerts; i++) {
        vg_x509_free(ca.certs[i]);
    }
    free(ca.certs);
    return fact;
}

/* ---------------------------------------------------------------- transparency log */

/* One Rekor key as a root holding just that log (its id: SHA-256 of the DER public key, as
 * Rekor names its log). */
static int
one_log_root(struct vg_sigstore_root *root, struct vg_sigstore_log *log, struct vg_crypto_key **key,
             const char *name, const char *pem, size_t len, char **why)
{
    struct vg_err *err = NULL;
    vg_autofree uint8_t *der = NULL;
    size_t dlen = 0;
    if (vg_sign_key_load_public_mem(key, name, pem, len, &err) < 0 ||
        vg_crypto_key_public_der(*key, &der, &dlen, &err) < 0) {
        vg_autofree char *m = vg_err_format(err);
        vg_err_free(&err);
        *why = vg_fmt("unverifiable: Rekor key: %s", m);
        return -1;
    }
    static char no_url[1];
    *log = (struct vg_sigstore_log){.key = *key, .base_url = no_url};
    vg_sha256_raw(log->id, der, dlen);
    *root = (struct vg_sigstore_root){.tlogs = log, .ntlogs = 1};
    return 0;
}

/* The Rekor keys t asks for: rekor.pubkey; else those of the default trusted root (the
 * --trusted-root without NAME=); else the public-good Rekor key shipped with vigil
 * ($VIGIL_DATA_DIR or the data directory, sigstore-public-good-rekor.pub). */
static const struct vg_sigstore_root *
tlog_root(struct vg_policy_facts *f, const struct vg_policy_tlog *t, struct vg_sigstore_root *one,
          struct vg_sigstore_log *log, struct vg_crypto_key **key, char **why)
{
    if (t->rekor_pem) {
        return one_log_root(one, log, key, "rekor.pubkey", t->rekor_pem, strlen(t->rekor_pem),
                            why) < 0
                   ? NULL
                   : one;
    }
    for (size_t i = 0; i < f->o.ntrusted_roots; i++) {
        if (!strchr(f->o.trusted_roots[i], '=')) {
            return root_for(f, NULL, why);
        }
    }
    const char *dir = getenv("VIGIL_DATA_DIR");
    vg_autofree char *path =
        vg_fmt("%s/sigstore-public-good-rekor.pub", dir && *dir ? dir : VG_DATADIR);
    struct vg_buf b = VG_BUF_INIT(64u * 1024u);
    struct vg_err *err = NULL;
    if (vg_file_read(&b, path, 64u * 1024u, &err) < 0) {
        vg_autofree char *m = vg_err_format(err);
        vg_err_free(&err);
        *why = vg_fmt("unverifiable: no Rekor key for the transparency-log check (rekor.pubkey, "
                      "--trusted-root, or the public-good key %s: %s)",
                      path, m);
        vg_buf_dispose(&b);
        return NULL;
    }
    int rc = one_log_root(one, log, key, path, (const char *)b.data, b.len, why);
    vg_buf_dispose(&b);
    return rc < 0 ? NULL : one;
}

static enum vg_policy_fact
fact_verify_tlog(void *ctx, const char *image, const char *key_pem, const struct vg_policy_tlog *t,
                 const struct vg_policy_kv *annotations, size_t nann, char **why)
{
    struct vg_policy_facts *f = ctx;
    char *q = vg_policy_tlog_question(key_pem, t, annotations, nann);
    enum vg_policy_fact fact;
    if (memo_get(cache_get(f, image), q, &fact, why)) {
        free(q);
        return fact;
    }
    struct vg_sigstore_root one;
    struct vg_sigstore_log log;
    struct vg_crypto_key *key = NULL;
    const struct vg_sigstore_root *root = tlog_root(f, t, &one, &log, &key, why);
    fact =
        root ? verify_key(f, image, key_pem, annotations, nann, root, why) : VG_POLICY_FACT_UNKNOWN;
    vg_crypto_key_free(key);
    if (fact != VG_POLICY_FACT_YES && *why && strstr(*why, "no Rekor bundle annotation")) {
        /* Kyverno (cosign) would look such a signature's entry up in the log online */
        char *more = vg_fmt("%s (Kyverno would search %s online for its entry; vigil verifies "
                            "the transparency log offline only, from the signature's Rekor "
                            "bundle: sign with a tlog upload, or set rekor.ignoreTlog: true to "
                            "accept the key signature alone)",
                            *why, t->rekor_url ? t->rekor_url : "the Rekor log");
        free(*why);
        *why = more;
    }
    return memo_put(cache_get(f, image), q, fact, *why);
}

static struct fact_cache *
scanned(struct vg_policy_facts *f, const char *image)
{
    struct fact_cache *e = cache_get(f, image);
    if (e->scanned) {
        return e;
    }
    e->scanned = true;
    struct vg_scan_opts so = VG_SCAN_OPTS_INIT;
    so.scanners = VG_SCANNER_VULN;
    so.db_path = f->o.db;
    so.offline = true;
    so.quiet = true;
    so.open = f->o.open;
    struct vg_err *err = NULL;
    if (vg_scan_image(&e->report, image, &so, &err) < 0) {
        e->scan_err = vg_err_format(err);
        vg_err_free(&err);
    }
    return e;
}

static enum vg_policy_severity
sev_of(const char *s)
{
    if (!s) {
        return VG_POLICY_SEV_UNKNOWN;
    }
    if (strcmp(s, "CRITICAL") == 0) {
        return VG_POLICY_SEV_CRITICAL;
    }
    if (strcmp(s, "HIGH") == 0) {
        return VG_POLICY_SEV_HIGH;
    }
    if (strcmp(s, "MEDIUM") == 0) {
        return VG_POLICY_SEV_MEDIUM;
    }
    if (strcmp(s, "LOW") == 0 || strcmp(s, "NONE") == 0) {
        return VG_POLICY_SEV_LOW;
    }
    return VG_POLICY_SEV_UNKNOWN;
}

/* Asks the image's registry for its scan of the image (the platform manifest the image
 * resolves to), once per image. */
static struct fact_cache *
registry_scan(struct vg_policy_facts *f, const char *image)
{
    struct fact_cache *e = cache_get(f, image);
    if (e->reg_asked) {
        return e;
    }
    e->reg_asked = true;
    struct vg_err *err = NULL;
    struct vg_oci_image *img = NULL;
    struct vg_oci_remote_client *c = NULL;
    if (vg_oci_image_open(&img, image, &f->o.open, &err) < 0) {
        e->reg_why = vg_err_format(err);
        vg_err_free(&err);
        return e;
    }
    if (!img->ref) {
        e->reg_status = vg_strdup("absent");
        e->reg_why = vg_strdup("not a registry image");
    } else if (!(c = vg_oci_remote_client_new(img->ref, &f->o.open, &err)) ||
               vg_oci_remote_vigil_scan(c, &img->manifest_digest, &e->reg_doc, &e->reg_status,
                                        &e->reg_why, &err) < 0) {
        e->reg_why = vg_err_format(err);
        vg_err_free(&err);
    }
    vg_oci_remote_client_free(c);
    vg_oci_image_free(img);
    return e;
}

/* The findings of a scan document (vigil scan's JSON: Results[].Vulnerabilities[]). */
static void
count_doc(const json_t *doc, struct vg_policy_vulns *out)
{
    const json_t *results = json_object_get(doc, "Results");
    for (size_t r = 0; r < json_array_size(results); r++) {
        const json_t *vulns = json_object_get(json_array_get(results, r), "Vulnerabilities");
        for (size_t i = 0; i < json_array_size(vulns); i++) {
            const json_t *v = json_array_get(vulns, i);
            enum vg_policy_severity s = sev_of(vg_json_str(v, "Severity"));
            const char *fixed = vg_json_str(v, "FixedVersion");
            out->total[s]++;
            if (fixed && *fixed) {
                out->fixed[s]++;
            }
        }
    }
}

static enum vg_policy_fact
fact_vulns(void *ctx, const char *image, struct vg_policy_vulns *out, char **why)
{
    struct vg_policy_facts *f = ctx;
    if (f->o.vuln_source != VG_POLICY_VULNS_LOCAL) {
        struct fact_cache *r = registry_scan(f, image);
        if (r->reg_doc) {
            count_doc(r->reg_doc, out);
            return VG_POLICY_FACT_YES;
        }
        const char *st = r->reg_status;
        /* the registry scans this image but has no result: fail closed, do not scan here */
        bool pending = st && (strcmp(st, "queued") == 0 || strcmp(st, "failed") == 0);
        if (f->o.vuln_source == VG_POLICY_VULNS_REGISTRY || pending) {
            *why = st ? vg_fmt("registry scan %s: %s", st, r->reg_why ? r->reg_why : "")
                      : vg_fmt("registry scan unavailable: %s", r->reg_why ? r->reg_why : "?");
            return VG_POLICY_FACT_UNKNOWN;
        }
    }
    struct fact_cache *e = scanned(ctx, image);
    if (!e->report) {
        *why = vg_fmt("scan failed: %s", e->scan_err ? e->scan_err : "?");
        return VG_POLICY_FACT_UNKNOWN;
    }
    for (size_t i = 0; i < e->report->nvulns; i++) {
        const struct vg_vuln_finding *v = &e->report->vulns[i];
        if (v->suppressed_by) {
            continue;
        }
        enum vg_policy_severity s = VG_POLICY_SEV_UNKNOWN;
        switch (v->severity) {
        case VG_SEV_LOW:
        case VG_SEV_NONE:
            s = VG_POLICY_SEV_LOW;
            break;
        case VG_SEV_MEDIUM:
            s = VG_POLICY_SEV_MEDIUM;
            break;
        case VG_SEV_HIGH:
            s = VG_POLICY_SEV_HIGH;
            break;
        case VG_SEV_CRITICAL:
            s = VG_POLICY_SEV_CRITICAL;
            break;
        default:
            break;
        }
        out->total[s]++;
        if (v->fixed_version && *v->fixed_version) {
            out->fixed[s]++;
        }
    }
    return VG_POLICY_FACT_YES;
}

static enum vg_policy_fact
fact_user(void *ctx, const char *image, char **user, char **why)
{
    struct fact_cache *e = scanned(ctx, image);
    if (!e->report || !e->report->image_config) {
        *why = vg_fmt("image config unavailable: %s", e->scan_err ? e->scan_err : "no config");
        return VG_POLICY_FACT_UNKNOWN;
    }
    const json_t *cfg = json_object_get(e->report->image_config, "config");
    const char *u = cfg ? vg_json_str(cfg, "User") : NULL;
    *user = vg_strdup(u ? u : "");
    return VG_POLICY_FACT_YES;
}

void
vg_policy_facts_free(struct vg_policy_facts *f)
{
    if (!f) {
        return;
    }
    for (size_t i = 0; i < f->c.n; i++) {
        free(f->c.v[i].image);
        vg_sign_target_free(f->c.v[i].target);
        free(f->c.v[i].target_err);
        vg_scan_report_free(f->c.v[i].report);
        free(f->c.v[i].scan_err);
        json_decref(f->c.v[i].reg_doc);
        free(f->c.v[i].reg_status);
        free(f->c.v[i].reg_why);
        for (size_t j = 0; j < f->c.v[i].memos.n; j++) {
            free(f->c.v[i].memos.v[j].q);
            free(f->c.v[i].memos.v[j].why);
        }
        vg_vec_dispose(&f->c.v[i].memos);
    }
    vg_vec_dispose(&f->c);
    for (size_t i = 0; f->roots && i < f->o.ntrusted_roots; i++) {
        vg_sigstore_root_free(f->roots[i]);
    }
    free(f->roots);
    free(f);
}

/* ---------------------------------------------------------------- notation */

/* The enforced failure of the first signature that did not verify, else the verdict. */
static char *
notation_reason(const struct vg_notation_result *r, const struct vg_err *err)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].outcome.error) {
            vg_autofree char *m = vg_err_format(r->items[i].outcome.error);
            vg_autofree char *v = vg_err_format(err);
            return vg_fmt("%s: %s", v, m);
        }
    }
    return vg_err_format(err);
}

static enum vg_policy_fact verify_notation(struct vg_policy_facts *f, const char *image,
                                           const struct vg_policy_notation *n, char **why);

static enum vg_policy_fact
fact_verify_notation(void *ctx, const char *image, const struct vg_policy_notation *n, char **why)
{
    struct vg_policy_facts *f = ctx;
    char *q = vg_policy_notation_question(n);
    enum vg_policy_fact fact;
    if (memo_get(cache_get(f, image), q, &fact, why)) {
        free(q);
        return fact;
    }
    fact = verify_notation(f, image, n, why);
    return memo_put(cache_get(f, image), q, fact, *why);
}

static enum vg_policy_fact
verify_notation(struct vg_policy_facts *f, const char *image, const struct vg_policy_notation *n,
                char **why)
{
    struct fact_cache *e = cache_get(f, image);
    struct vg_err *err = NULL;
    struct vg_x509 **certs = NULL;
    size_t ncerts = 0;
    struct vg_notation_policy *tp = NULL;
    vg_autofree char *doc = vg_policy_notation_trustpolicy(n);
    if (!doc || vg_x509_parse_all(&certs, &ncerts, n->certs_pem, strlen(n->certs_pem), &err) < 0 ||
        vg_notation_policy_parse(&tp, doc, strlen(doc), &err) < 0) {
        vg_autofree char *m = err ? vg_err_format(err) : vg_strdup("out of memory");
        *why = vg_fmt("unverifiable: notation authority: %s", m);
        vg_err_free(&err);
        vg_x509_list_free(certs, ncerts);
        return VG_POLICY_FACT_UNKNOWN;
    }
    enum vg_policy_fact fact = VG_POLICY_FACT_YES;
    if (!e->target && !e->target_err &&
        vg_sign_target_open(&e->target, image, &f->o.open, NULL, &err) < 0) {
        e->target_err = vg_err_format(err);
        vg_err_free(&err);
    }
    if (e->target_err) {
        *why = vg_fmt("unverifiable: %s", e->target_err);
        fact = VG_POLICY_FACT_UNKNOWN;
    } else {
        struct vg_notation_verify_opts o = {
            .policy = &tp->entries[0], .now = vg_now_unix(), .anchors = certs, .nanchors = ncerts};
        struct vg_notation_result r;
        if (vg_notation_target_verify(e->target, tp, &o, &r, &err) < 0) {
            /* no revocation answer (responder down or slow) is "could not verify" */
            bool negative =
                vg_err_root_code(err) == VG_E_VERIFY && !vg_notation_result_unavailable(&r);
            vg_autofree char *m = notation_reason(&r, err);
            *why = vg_fmt("%s%s", negative ? "" : "unverifiable: ", m);
            vg_err_free(&err);
            fact = negative ? VG_POLICY_FACT_NO : VG_POLICY_FACT_UNKNOWN;
        }
        vg_notation_result_dispose(&r);
    }
    vg_notation_policy_free(tp);
    vg_x509_list_free(certs, ncerts);
    return fact;
}

static enum vg_policy_fact
fact_verify_dct(void *ctx, const char *image, const struct vg_policy_dct *d, char **why)
{
    struct vg_policy_facts *f = ctx;
    struct vg_err *err = NULL;
    struct vg_sign_dct_opts o = {
        .server = d->server, .open = &f->o.open, .signers = d->signers, .nsigners = d->nsigners};
    struct vg_sign_dct_result r;
    if (vg_sign_dct_verify(image, &o, &r, &err) < 0) {
        enum vg_errc code = vg_err_root_code(err);
        bool negative = code == VG_E_NOTFOUND || vg_err_is(err, VG_E_VERIFY);
        vg_autofree char *m = vg_err_format(err);
        vg_err_free(&err);
        *why = vg_fmt("%s%s", negative ? "" : "unverifiable: ", m);
        return negative ? VG_POLICY_FACT_NO : VG_POLICY_FACT_UNKNOWN;
    }
    vg_sign_dct_result_dispose(&r);
    return VG_POLICY_FACT_YES;
}

struct vg_policy_facts *
vg_policy_facts_new(const struct vg_policy_facts_opts *o)
{
    struct vg_policy_facts *f = vg_calloc(1, sizeof(*f));
    f->o = *o;
    return f;
}

void
vg_policy_facts_inputs(struct vg_policy_facts *f, struct vg_policy_inputs *in)
{
    *in = (struct vg_policy_inputs){
        .ctx = f,
        .verify = fact_verify,
        .vulns = fact_vulns,
        .config_user = fact_user,
        .verify_keyless = fact_verify_keyless,
        .verify_notation = fact_verify_notation,
        .verify_dct = fact_verify_dct,
        .verify_tlog = fact_verify_tlog,
    };
}

int
vg_policy_vuln_source_parse(const char *s)
{
    if (strcmp(s, "auto") == 0) {
        return VG_POLICY_VULNS_AUTO;
    }
    if (strcmp(s, "registry") == 0) {
        return VG_POLICY_VULNS_REGISTRY;
    }
    if (strcmp(s, "local") == 0) {
        return VG_POLICY_VULNS_LOCAL;
    }
    return -1;
}
