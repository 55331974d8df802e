/* SPDX-License-Identifier: Apache-2.0
 *
 * Kyverno rule evaluation (see kyverno.c for the supported subset): match/exclude with
 * autogen for pod controllers, the request/images/element context, preconditions, validate
 * (pattern, anyPattern, deny, foreach) and verifyImages, one rule result each.
 */
#include "kyverno_int.h"

#include "config/config.h"
#include "crypto/crypto.h"
#include "oci/oci.h"

#include <stdarg.h>
#include <string.h>

struct ev {
    struct ky_arena a;
    struct vg_policy_ctx *c;
    const struct vg_policy *p;
    const struct ky_policy *kp;
    const struct vg_policy_object *o;
    const struct vg_config_node *view; /* the object, or its pod template (autogen) */
    struct ky_val *ctx;
};

static const char *afmt(struct ev *e, const char *fmt, ...) VG_PRINTF(2, 3);

static const char *
afmt(struct ev *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vg_vfmt(fmt, ap);
    va_end(ap);
    vg_vec_push(&e->a.blocks, s);
    return s;
}

/* ---------------------------------------------------------------- match / exclude */

static bool
any_wild(const struct vg_config_node *seq, const char *s)
{
    for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
        const char *p = vg_config_node_scalar(vg_config_seq_at(seq, i), NULL);
        if (p && s && vg_policy_wildcard_match(p, s)) {
            return true;
        }
    }
    return false;
}

static bool
kind_listed(const struct vg_config_node *kinds, const char *kind)
{
    for (size_t i = 0; kinds && i < vg_config_node_len(kinds); i++) {
        const char *k = vg_config_node_scalar(vg_config_seq_at(kinds, i), NULL);
        if (!k) {
            continue;
        }
        const char *last = strrchr(k, '/');
        const char *name = last ? last + 1 : k;
        if (name[0] >= 'a' && name[0] <= 'z') {
            continue; /* "Pod/ephemeralcontainers": a subresource */
        }
        if (strcmp(name, "*") == 0 || vg_policy_wildcard_match(name, kind)) {
            return true;
        }
    }
    return false;
}

static bool
filter_match(const struct ev *e, const struct vg_config_node *f, const char *as_kind)
{
    const struct vg_config_node *r = vg_config_map_get(f, "resources");
    if (!r) {
        return false;
    }
    const struct vg_policy_object *o = e->o;
    const struct vg_config_node *kinds = vg_config_map_get(r, "kinds");
    if (kinds && !kind_listed(kinds, as_kind)) {
        return false;
    }
    const struct vg_config_node *names = vg_config_map_get(r, "names");
    const char *name = vg_policy_node_str(r, "name");
    if ((names && !any_wild(names, o->name)) ||
        (name && !(o->name && vg_policy_wildcard_match(name, o->name)))) {
        return false;
    }
    const struct vg_config_node *nss = vg_config_map_get(r, "namespaces");
    if (nss && !any_wild(nss, o->namespace)) {
        return false;
    }
    const struct vg_config_node *ops = vg_config_map_get(r, "operations");
    if (ops && !any_wild(ops, "CREATE")) {
        return false;
    }
    const struct vg_config_node *ann = vg_config_map_get(r, "annotations");
    const struct vg_config_node *have = vg_policy_node_path(o->root, "metadata.annotations");
    for (size_t i = 0; ann && i < vg_config_node_len(ann); i++) {
        const char *k = vg_config_node_scalar(vg_config_map_key(ann, i), NULL);
        const char *want = vg_config_node_scalar(vg_config_map_value(ann, i), NULL);
        const char *v = vg_policy_node_str(have, k);
        if (!v || !want || !vg_policy_wildcard_match(want, v)) {
            return false;
        }
    }
    const struct vg_config_node *sel = vg_config_map_get(r, "selector");
    const struct vg_config_node *nsel = vg_config_map_get(r, "namespaceSelector");
    return vg_policy_selector_match(sel, o->labels) &&
           (!nsel || vg_policy_selector_match(nsel, o->nslabels));
}

static bool
block_match(const struct ev *e, const struct vg_config_node *m, const char *as_kind)
{
    if (vg_config_map_get(m, "resources")) {
        return filter_match(e, m, as_kind);
    }
    const struct vg_config_node *any = vg_config_map_get(m, "any");
    const struct vg_config_node *all = vg_config_map_get(m, "all");
    bool ok = false;
    for (size_t i = 0; any && !ok && i < vg_config_node_len(any); i++) {
        ok = filter_match(e, vg_config_seq_at(any, i), as_kind);
    }
    if (any && !ok) {
        return false;
    }
    for (size_t i = 0; all && i < vg_config_node_len(all); i++) {
        if (!filter_match(e, vg_config_seq_at(all, i), as_kind)) {
            return false;
        }
    }
    return any || all;
}

static bool
controller_listed(const char *list, const char *kind)
{
    if (strcmp(list, "none") == 0) {
        return false;
    }
    size_t kl = strlen(kind);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == ',') {
            p++;
        }
        size_t n = strcspn(p, ",");
        size_t t = n;
        while (t && p[t - 1] == ' ') {
            t--;
        }
        if (t == kl && strncmp(p, kind, kl) == 0) {
            return true;
        }
        p += n;
    }
    return false;
}

/* The node rules see as request.object; NULL when the rule does not apply. */
static const struct vg_config_node *
applies(const struct ev *e, const struct ky_rule *r)
{
    const struct vg_policy_object *o = e->o;
    if (e->kp->ns && strcmp(e->kp->ns, o->namespace) != 0) {
        return NULL;
    }
    const char *as_kind = o->kind;
    const struct vg_config_node *view = o->root;
    if (!block_match(e, r->match, as_kind)) {
        if (!r->autogen || !controller_listed(e->kp->controllers, o->kind) || !o->root) {
            return NULL;
        }
        as_kind = "Pod";
        view = vg_policy_node_path(o->root, strcmp(o->kind, "CronJob") == 0
                                                ? "spec.jobTemplate.spec.template"
                                                : "spec.template");
        if (!view || !block_match(e, r->match, as_kind)) {
            return NULL;
        }
    }
    if (r->exclude && block_match(e, r->exclude, as_kind)) {
        return NULL;
    }
    return view;
}

/* ---------------------------------------------------------------- context */

static struct ky_val *
image_info(struct ev *e, const char *image)
{
    struct vg_oci_ref *ref = NULL;
    struct vg_err *err = NULL;
    if (vg_oci_ref_parse(&ref, image, &err) < 0) {
        vg_err_free(&err);
        return NULL;
    }
    char *norm = vg_policy_ref_kyverno(image);
    const char *path = ref->repository;
    if (norm) {
        /* Kyverno keeps the path as written: take it from its normalized string. */
        const char *slash = strchr(norm, '/');
        size_t end = strcspn(slash + 1, ref->digest ? "@" : ":");
        path = vg_ky_strdup(&e->a, "");
        char *pp = vg_ky_alloc(&e->a, end + 1);
        memcpy(pp, slash + 1, end);
        path = pp;
    }
    const char *last = strrchr(path, '/');
    struct ky_val *m = vg_ky_map(&e->a);
    vg_ky_set(&e->a, m, "registry", vg_ky_str(&e->a, vg_ky_strdup(&e->a, ref->registry)));
    vg_ky_set(&e->a, m, "path", vg_ky_str(&e->a, path));
    vg_ky_set(&e->a, m, "name", vg_ky_str(&e->a, last ? last + 1 : path));
    vg_ky_set(&e->a, m, "tag", vg_ky_str(&e->a, ref->tag ? vg_ky_strdup(&e->a, ref->tag) : NULL));
    vg_ky_set(&e->a, m, "digest",
              vg_ky_str(&e->a, ref->digest ? vg_ky_strdup(&e->a, ref->digest) : NULL));
    vg_ky_set(&e->a, m, "reference", vg_ky_str(&e->a, norm ? vg_ky_strdup(&e->a, norm) : NULL));
    free(norm);
    vg_oci_ref_free(ref);
    return m;
}

static const char *const fields[] = {"containers", "initContainers", "ephemeralContainers"};

static void
build_context(struct ev *e)
{
    e->ctx = vg_ky_map(&e->a);
    struct ky_val *req = vg_ky_map(&e->a);
    vg_ky_set(&e->a, req, "object", vg_ky_node(&e->a, e->view));
    vg_ky_set(&e->a, req, "operation", vg_ky_str(&e->a, "CREATE"));
    vg_ky_set(&e->a, req, "namespace", vg_ky_str(&e->a, e->o->namespace));
    vg_ky_set(&e->a, e->ctx, "request", req);
    struct ky_val *images = vg_ky_map(&e->a);
    const struct vg_config_node *spec = vg_config_map_get(e->view, "spec");
    for (size_t f = 0; spec && f < VG_ARRAY_LEN(fields); f++) {
        const struct vg_config_node *seq = vg_config_map_get(spec, fields[f]);
        struct ky_val *byname = NULL;
        for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
            const struct vg_config_node *ct = vg_config_seq_at(seq, i);
            const char *name = vg_policy_node_str(ct, "name");
            const char *image = vg_policy_node_str(ct, "image");
            struct ky_val *info = image ? image_info(e, image) : NULL;
            if (!name || !info) {
                continue;
            }
            if (!byname) {
                byname = vg_ky_map(&e->a);
                vg_ky_set(&e->a, images, fields[f], byname);
            }
            vg_ky_set(&e->a, byname, name, info);
        }
    }
    vg_ky_set(&e->a, e->ctx, "images", images);
}

static void
set_element(struct ev *e, struct ky_val *el)
{
    for (size_t i = 0; i < e->ctx->n; i++) {
        if (strcmp(e->ctx->keys[i], "element") == 0) {
            e->ctx->items[i] = el;
            return;
        }
    }
    vg_ky_set(&e->a, e->ctx, "element", el);
}

/* ---------------------------------------------------------------- conditions */

static struct ky_val *
operand(struct ev *e, const struct vg_config_node *n)
{
    if (!n) {
        return NULL;
    }
    if (vg_config_node_type(n) == VG_CONFIG_SCALAR) {
        bool ok = true;
        return vg_ky_subst(&e->a, vg_config_node_scalar(n, NULL), e->ctx, &ok);
    }
    if (vg_config_node_type(n) == VG_CONFIG_SEQ) {
        struct ky_val *l = vg_ky_list(&e->a);
        for (size_t i = 0; i < vg_config_node_len(n); i++) {
            vg_ky_push(&e->a, l, operand(e, vg_config_seq_at(n, i)));
        }
        return l;
    }
    return vg_ky_node(&e->a, n);
}

/* Scalar texts of v: one for a string, each scalar item of a list, none for null. */
static size_t
texts(struct ev *e, const struct ky_val *v, const char ***out)
{
    if (vg_ky_type(v) == KY_STR) {
        const char **one = vg_ky_alloc(&e->a, sizeof(*one));
        one[0] = vg_ky_text(v);
        *out = one;
        return 1;
    }
    size_t n = vg_ky_len(v);
    const char **all = vg_ky_alloc(&e->a, (n + 1) * sizeof(*all));
    size_t k = 0;
    for (size_t i = 0; vg_ky_type(v) == KY_LIST && i < n; i++) {
        const char *t = vg_ky_text(vg_ky_at(&e->a, v, i));
        if (t) {
            all[k++] = t;
        }
    }
    *out = all;
    return k;
}

static bool
in_set(const char *k, const char **vals, size_t nv)
{
    for (size_t i = 0; i < nv; i++) {
        if (strcmp(vals[i], k) == 0 || vg_policy_wildcard_match(vals[i], k)) {
            return true;
        }
    }
    return false;
}

static bool
condition(struct ev *e, const struct vg_config_node *c)
{
    const char *op = vg_policy_node_str(c, "operator");
    struct ky_val *key = operand(e, vg_config_map_get(c, "key"));
    struct ky_val *val = operand(e, vg_config_map_get(c, "value"));
    const char **ks = NULL, **vs = NULL;
    size_t nk = texts(e, key, &ks), nv = texts(e, val, &vs);
    if (strncmp(op, "Equal", 5) == 0 || strncmp(op, "NotEqual", 8) == 0) {
        bool eq = nk == 1 && nv == 1 && vg_ky_type(key) == KY_STR && vg_ky_type(val) == KY_STR &&
                  (strcmp(ks[0], vs[0]) == 0 || vg_policy_wildcard_match(vs[0], ks[0]));
        if (vg_ky_type(key) == KY_NULL && vg_ky_type(val) == KY_NULL) {
            eq = true;
        }
        return op[0] == 'E' ? eq : !eq;
    }
    size_t in = 0;
    for (size_t i = 0; i < nk; i++) {
        in += in_set(ks[i], vs, nv);
    }
    if (strcmp(op, "AnyIn") == 0) {
        return in > 0;
    }
    if (strcmp(op, "AllIn") == 0 || strcmp(op, "In") == 0) {
        return nk > 0 && in == nk;
    }
    if (strcmp(op, "AnyNotIn") == 0 || strcmp(op, "NotIn") == 0) {
        return in < nk;
    }
    return in == 0; /* AllNotIn */
}

static bool
conditions(struct ev *e, const struct vg_config_node *b)
{
    if (!b) {
        return true;
    }
    if (vg_config_node_type(b) == VG_CONFIG_SEQ) {
        for (size_t i = 0; i < vg_config_node_len(b); i++) {
            if (!condition(e, vg_config_seq_at(b, i))) {
                return false;
            }
        }
        return true;
    }
    const struct vg_config_node *all = vg_config_map_get(b, "all");
    const struct vg_config_node *any = vg_config_map_get(b, "any");
    for (size_t i = 0; all && i < vg_config_node_len(all); i++) {
        if (!condition(e, vg_config_seq_at(all, i))) {
            return false;
        }
    }
    if (!any || vg_config_node_len(any) == 0) {
        return true;
    }
    for (size_t i = 0; i < vg_config_node_len(any); i++) {
        if (condition(e, vg_config_seq_at(any, i))) {
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------------- validate */

static enum ky_result
patterns(struct ev *e, const struct vg_config_node *pat, const struct vg_config_node *any,
         const struct ky_val *v, const char *path, const char **why)
{
    if (pat) {
        return vg_ky_pattern(&e->a, pat, v, path, why);
    }
    bool skipped = true;
    for (size_t i = 0; any && i < vg_config_node_len(any); i++) {
        enum ky_result r = vg_ky_pattern(&e->a, vg_config_seq_at(any, i), v, path, why);
        if (r == KY_PASS) {
            return KY_PASS;
        }
        skipped &= r == KY_SKIP;
    }
    return skipped ? KY_SKIP : KY_FAIL;
}

static enum ky_result
foreach_one(struct ev *e, const struct vg_config_node *f, size_t *applied, const char **why)
{
    struct ky_val *list = vg_ky_jp_eval(&e->a, vg_policy_node_str(f, "list"), e->ctx);
    const struct vg_config_node *pat = vg_config_map_get(f, "pattern");
    const struct vg_config_node *any = vg_config_map_get(f, "anyPattern");
    const struct vg_config_node *deny = vg_config_map_get(f, "deny");
    for (size_t i = 0; vg_ky_type(list) == KY_LIST && i < vg_ky_len(list); i++) {
        struct ky_val *el = vg_ky_at(&e->a, list, i);
        set_element(e, el);
        if (!conditions(e, vg_config_map_get(f, "preconditions"))) {
            continue;
        }
        (*applied)++;
        if (pat || any) {
            const char *path = afmt(e, "%s[%zu]", vg_policy_node_str(f, "list"), i);
            enum ky_result r = patterns(e, pat, any, el, path, why);
            if (r == KY_FAIL) {
                return KY_FAIL;
            }
            if (r == KY_SKIP) {
                (*applied)--;
            }
        }
        if (deny && conditions(e, vg_config_map_get(deny, "conditions"))) {
            const char *img = vg_ky_text(vg_ky_get(&e->a, el, "image"));
            *why = img ? afmt(e, "denied for %s", img) : "deny conditions are true";
            return KY_FAIL;
        }
    }
    return KY_PASS;
}

static enum ky_result
validate(struct ev *e, const struct vg_config_node *v, const char **why)
{
    const struct vg_config_node *pat = vg_config_map_get(v, "pattern");
    const struct vg_config_node *any = vg_config_map_get(v, "anyPattern");
    const struct vg_config_node *deny = vg_config_map_get(v, "deny");
    const struct vg_config_node *fe = vg_config_map_get(v, "foreach");
    if (pat || any) {
        enum ky_result r = patterns(e, pat, any, vg_ky_node(&e->a, e->view), "request.object", why);
        if (r != KY_PASS) {
            return r;
        }
    }
    if (deny && conditions(e, vg_config_map_get(deny, "conditions"))) {
        *why = "deny conditions are true";
        return KY_FAIL;
    }
    if (fe) {
        size_t applied = 0;
        for (size_t i = 0; i < vg_config_node_len(fe); i++) {
            if (foreach_one(e, vg_config_seq_at(fe, i), &applied, why) == KY_FAIL) {
                return KY_FAIL;
            }
        }
        if (applied == 0 && !pat && !any && !deny) {
            return KY_SKIP;
        }
    }
    return KY_PASS;
}

/* ---------------------------------------------------------------- verifyImages */

static bool
bool_of(const struct vg_config_node *n, const char *key, bool def)
{
    const char *s = vg_policy_node_str(n, key);
    return s ? strcmp(s, "true") == 0 : def;
}

static const char *
fact_why(struct ev *e, char *r)
{
    const char *w = afmt(e, "%s", r ? r : "not verified");
    free(r);
    return w;
}

/* A keyless attestor: its identity (Kyverno wildcards), roots replacing the trusted root's
 * Fulcio CAs, rekor.pubkey its Rekor keys, rekor.ignoreTlog and ctlog.ignoreSCT. */
static bool
entry_keyless(struct ev *e, const struct vg_config_node *kl, const char *image,
              const struct vg_policy_kv *kv, size_t nkv, const char **why)
{
    struct vg_policy_identity id = {0};
    char *owned[2] = {NULL, NULL};
    bool any = vg_config_map_get(kl, "issuer") || vg_config_map_get(kl, "subject") ||
               vg_config_map_get(kl, "issuerRegExp") || vg_config_map_get(kl, "subjectRegExp");
    struct vg_err *err = NULL;
    if (any && vg_policy_identity_load(&id, owned, kl, "keyless", true, &err) < 0) {
        *why = fact_why(e, vg_err_format(err)); /* checked at load: not reached */
        vg_err_free(&err);
        return false;
    }
    const char *tlog = vg_policy_node_str(vg_config_map_get(kl, "rekor"), "ignoreTlog");
    const char *sct = vg_policy_node_str(vg_config_map_get(kl, "ctlog"), "ignoreSCT");
    struct vg_policy_keyless k = {.ids = &id,
                                  .nids = 1,
                                  .ca_pem = vg_policy_node_str(kl, "roots"),
                                  .rekor_pem =
                                      vg_policy_node_str(vg_config_map_get(kl, "rekor"), "pubkey"),
                                  .ignore_tlog = tlog && strcmp(tlog, "true") == 0,
                                  .ignore_sct = sct && strcmp(sct, "true") == 0};
    char *r = NULL;
    bool ok = vg_policy_ask_verify_keyless(e->c, image, &k, kv, nkv, &r) == VG_POLICY_FACT_YES;
    if (!ok) {
        *why = fact_why(e, r);
    } else {
        free(r);
    }
    free(owned[0]);
    free(owned[1]);
    return ok;
}

/* A key-based signature of a keys or certificates attestor a (its rekor block): with
 * rekor.ignoreTlog true the key signature alone (cosign's IgnoreTlog), else the signature's
 * Rekor entry too, by rekor.pubkey or the default Rekor key, Kyverno's default url
 * https://rekor.sigstore.dev naming where Kyverno would search online. */
static enum vg_policy_fact
ask_key(struct ev *e, const struct vg_config_node *a, const char *image, const char *pem,
        const struct vg_policy_kv *kv, size_t nkv, char **r)
{
    const struct vg_config_node *rekor = vg_config_map_get(a, "rekor");
    if (bool_of(rekor, "ignoreTlog", false)) {
        return vg_policy_ask_verify(e->c, image, pem, kv, nkv, r);
    }
    const char *url = vg_policy_node_str(rekor, "url");
    struct vg_policy_tlog t = {.rekor_pem = vg_policy_node_str(rekor, "pubkey"),
                               .rekor_url = url && *url ? url : "https://rekor.sigstore.dev"};
    return vg_policy_ask_verify_tlog(e->c, image, pem, &t, kv, nkv, r);
}

/* A certificates attestor (type Cosign): the signature verifies with the certificate's public
 * key, the certificate chaining to certChain (now) when one is given. */
static bool
entry_cert(struct ev *e, const struct vg_config_node *c, const char *image,
           const struct vg_policy_kv *kv, size_t nkv, const char **why)
{
    const char *cert = vg_policy_node_str(c, "cert");
    const char *chain = vg_policy_node_str(c, "certChain");
    struct vg_x509 *leaf = NULL, **cs = NULL;
    size_t ncs = 0;
    struct vg_crypto_key *key = NULL;
    char *pem = NULL, *r = NULL;
    struct vg_err *err = NULL;
    bool ok = false;
    if (vg_x509_parse(&leaf, cert, strlen(cert), &err) < 0 ||
        (chain && vg_x509_parse_all(&cs, &ncs, chain, strlen(chain), &err) < 0) ||
        (chain && vg_x509_chain_verify(NULL, leaf, cs, ncs, vg_now_unix(), &err) < 0) ||
        vg_x509_public_key(&key, leaf, &err) < 0 || vg_crypto_key_public_pem(key, &pem, &err) < 0) {
        vg_autofree char *m = vg_err_format(err);
        *why = afmt(e, "certificates: %s", m);
        vg_err_free(&err);
    } else if (ask_key(e, c, image, pem, kv, nkv, &r) == VG_POLICY_FACT_YES) {
        ok = true;
        free(r);
    } else {
        *why = fact_why(e, r);
    }
    free(pem);
    vg_crypto_key_free(key);
    vg_x509_list_free(cs, ncs);
    vg_x509_free(leaf);
    return ok;
}

/* Kyverno's Notary verifier: cert and certChain together form the trust store "ca:kyverno" of a
 * strict policy trusting any identity. */
static bool
entry_notary(struct ev *e, const struct vg_config_node *c, const char *image, const char **why)
{
    const char *cert = vg_policy_node_str(c, "cert");
    const char *chain = vg_policy_node_str(c, "certChain");
    const char *pem = cert && chain ? afmt(e, "%s\n%s", cert, chain) : cert ? cert : chain;
    struct vg_policy_notation n = {.certs_pem = pem, .level = "strict"};
    char *r = NULL;
    if (vg_policy_ask_verify_notation(e->c, image, &n, &r) == VG_POLICY_FACT_YES) {
        free(r);
        return true;
    }
    *why = fact_why(e, r);
    return false;
}

/* Authorities of one attestor entry verified for image (*nkeys counts them: a keys entry with
 * several PEM keys is one authority per key, as Kyverno expands static keys). */
static size_t
entry_verified(struct ev *e, const struct vg_config_node *entry, bool notary, const char *image,
               size_t *nkeys, const char **why)
{
    const struct vg_config_node *ann = vg_config_map_get(entry, "annotations");
    struct vg_policy_kv kv[64];
    size_t nkv = 0;
    for (size_t i = 0; ann && i < vg_config_node_len(ann) && nkv < 64; i++) {
        kv[nkv++] = (struct vg_policy_kv){vg_config_node_scalar(vg_config_map_key(ann, i), NULL),
                                          vg_config_node_scalar(vg_config_map_value(ann, i), NULL)};
    }
    const struct vg_config_node *kl = vg_config_map_get(entry, "keyless");
    const struct vg_config_node *certs = vg_config_map_get(entry, "certificates");
    if (notary || kl || certs) {
        (*nkeys)++;
        bool ok = notary ? entry_notary(e, certs, image, why)
                  : kl   ? entry_keyless(e, kl, image, kv, nkv, why)
                         : entry_cert(e, certs, image, kv, nkv, why);
        return ok ? 1 : 0;
    }
    const struct vg_config_node *keys = vg_config_map_get(entry, "keys");
    const char *text = vg_policy_node_str(keys, "publicKeys");
    size_t ok = 0;
    for (const char *p = text; p && (p = strstr(p, "-----BEGIN"));) {
        const char *end = strstr(p, "-----END");
        const char *stop = end ? strstr(end + 8, "-----") : NULL;
        if (!stop) {
            break;
        }
        stop += 5;
        char *pem = vg_strndup(p, (size_t)(stop - p));
        char *r = NULL;
        (*nkeys)++;
        if (ask_key(e, keys, image, pem, kv, nkv, &r) == VG_POLICY_FACT_YES) {
            ok++;
        } else if (r) {
            *why = afmt(e, "%s", r);
        }
        free(r);
        free(pem);
        p = stop;
    }
    return ok;
}

static bool
attestors_ok(struct ev *e, const struct vg_config_node *atts, bool notary, const char *image,
             const char **why)
{
    for (size_t i = 0; i < vg_config_node_len(atts); i++) {
        const struct vg_config_node *set = vg_config_seq_at(atts, i);
        const struct vg_config_node *entries = vg_config_map_get(set, "entries");
        size_t nkeys = 0, ok = 0;
        for (size_t j = 0; entries && j < vg_config_node_len(entries); j++) {
            ok += entry_verified(e, vg_config_seq_at(entries, j), notary, image, &nkeys, why);
        }
        uint64_t want = nkeys;
        if (vg_config_map_get(set, "count")) {
            struct vg_err *err = NULL;
            if (vg_config_get_u64(set, "count", nkeys, 1024, &want, &err) < 0) {
                vg_err_free(&err);
            }
        }
        if (ok < want) {
            *why = afmt(e, "%zu of %llu attestors verified (%s)", ok, (unsigned long long)want,
                        *why ? *why : "no signature");
            return false;
        }
    }
    return true;
}

static enum ky_result
verify_images(struct ev *e, const struct vg_config_node *seq, const char **why)
{
    const struct vg_config_node *spec = vg_config_map_get(e->view, "spec");
    size_t matched = 0;
    for (size_t v = 0; v < vg_config_node_len(seq); v++) {
        const struct vg_config_node *vi = vg_config_seq_at(seq, v);
        const struct vg_config_node *refs = vg_config_map_get(vi, "imageReferences");
        const struct vg_config_node *skip = vg_config_map_get(vi, "skipImageReferences");
        const struct vg_config_node *atts = vg_config_map_get(vi, "attestors");
        bool verify_digest = bool_of(vi, "verifyDigest", true);
        bool mutate_digest = bool_of(vi, "mutateDigest", true);
        bool required = bool_of(vi, "required", true);
        const char *type = vg_policy_node_str(vi, "type");
        bool notary = type && strcmp(type, "Notary") == 0;
        for (size_t f = 0; spec && f < VG_ARRAY_LEN(fields); f++) {
            const struct vg_config_node *cts = vg_config_map_get(spec, fields[f]);
            for (size_t i = 0; cts && i < vg_config_node_len(cts); i++) {
                const char *image = vg_policy_node_str(vg_config_seq_at(cts, i), "image");
                char *norm = image ? vg_policy_ref_kyverno(image) : NULL;
                bool hit = norm && any_wild(refs, norm) && !any_wild(skip, norm);
                free(norm);
                if (!hit) {
                    continue;
                }
                matched++;
                if (verify_digest && !mutate_digest && !strchr(image, '@')) {
                    *why = afmt(e, "missing digest for %s", image);
                    return KY_FAIL;
                }
                if (atts && vg_config_node_len(atts) > 0) {
                    if (!attestors_ok(e, atts, notary, image, why)) {
                        *why = afmt(e, "%s: %s", image, *why);
                        return KY_FAIL;
                    }
                } else if (required) {
                    *why = afmt(e,
                                "image %s is not verified (required, and no attestor "
                                "verified it)",
                                image);
                    return KY_FAIL;
                }
            }
        }
    }
    return matched ? KY_PASS : KY_SKIP;
}

/* ---------------------------------------------------------------- rules */

static void
record(struct ev *e, const struct ky_rule *r, enum ky_result res, const char *why)
{
    struct vg_policy_rule_result rr = {
        .policy = vg_strdup(e->p->label),
        .rule = vg_strdup(r->name),
        .outcome = res == KY_PASS   ? VG_POLICY_PASS
                   : res == KY_FAIL ? VG_POLICY_FAIL
                                    : VG_POLICY_SKIP,
    };
    VG_ARRAY_PUSH(e->c->out->rules, e->c->out->nrules, rr);
    if (res == KY_FAIL) {
        const char *msg = vg_policy_node_str(r->validate, "message");
        vg_policy_reason_add(e->c, e->p, NULL, r->mode, "rule %s: %s%s%s", r->name,
                             msg ? msg : "validation failed", why ? ": " : "", why ? why : "");
    }
}

int
vg_ky_eval(const struct vg_policy *p, struct vg_policy_ctx *c, struct vg_err **err)
{
    (void)err;
    const struct ky_policy *kp = p->impl;
    if (!c->obj->root) {
        vg_policy_reason_add(c, p, NULL, VG_POLICY_ENFORCE,
                             "the image cannot be represented as a Pod for Kyverno rules");
        return 0;
    }
    for (size_t i = 0; i < kp->nrules; i++) {
        const struct ky_rule *r = &kp->rules[i];
        struct ev e = {.c = c, .p = p, .kp = kp, .o = c->obj};
        e.view = applies(&e, r);
        if (!e.view) {
            continue;
        }
        c->out->napplied++;
        build_context(&e);
        const char *why = NULL;
        enum ky_result res = KY_PASS;
        if (!conditions(&e, r->pre)) {
            res = KY_SKIP;
        } else if (r->validate) {
            res = validate(&e, r->validate, &why);
        } else if (r->verify) {
            res = verify_images(&e, r->verify, &why);
        }
        record(&e, r, res, why);
        vg_ky_arena_dispose(&e.a);
    }
    return 0;
}
