/* SPDX-License-Identifier: Apache-2.0
 *
 * vigil's own format, `vigil.dev/v1 ImagePolicy` (docs/policy.md). Every image is normalized
 * first (Docker's rules: `nginx` is docker.io/library/nginx:latest) and globs match the
 * normalized "registry/repository" segment-wise, so `registry.example.com/` + `**` never matches
 * `registry.example.com.evil.io/x`. Scope (namespaces, labels, images), exemptions, trusted
 * images, tag rules, signature requirements (keys inline or from files, threshold, required
 * annotations), a vulnerability threshold and config rules; mode enforce, warn or audit.
 * Unknown keys, invalid globs and unparseable keys are refused at load with FILE:LINE:COL.
 */
#include "policy.h"
#include "policy_int.h"

#include "config/config.h"
#include "core/glob.h"
#include "oci/oci.h"

#include <string.h>

#define MAX_KEY_FILE (64u * 1024u)

struct sigreq {
    const struct vg_config_node *images; /* globs or NULL: every image in scope */
    char **keys;                         /* PEM text (owned) */
    size_t nkeys;
    size_t threshold;
    struct vg_policy_kv *ann;
    size_t nann;
    struct vg_policy_identity *ids; /* keyless: counts as one more key */
    char **res;                     /* regexps the identities own */
    size_t nres;
    struct vg_policy_keyless keyless;
    /* notation: one more authority; notation.certs_pem (owned) NULL when none */
    struct vg_policy_notation notation;
    char *certs; /* notation.certs_pem (owned) */
    char **nids; /* trusted identities (owned) */
    size_t nnids;
    /* dct: one more authority when set */
    bool has_dct;
    struct vg_policy_dct dct;
    char **dsigners; /* dct.signers (owned) */
    size_t ndsigners;
};

struct vp {
    const struct vg_config_node *namespaces, *exclude_ns, *selector, *ns_selector, *scope_images;
    const struct vg_config_node *exempt_images, *exempt_ns;
    const struct vg_config_node *trusted;
    const struct vg_config_node *forbid_tags;
    bool require_digest;
    struct sigreq *sigs;
    size_t nsigs;
    bool vuln_set;
    enum vg_policy_severity max_sev;
    bool fixed_only;
    bool forbid_root;
};

static void
vp_free(void *v)
{
    struct vp *p = v;
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->nsigs; i++) {
        vg_strv_free(p->sigs[i].keys, p->sigs[i].nkeys);
        free(p->sigs[i].ann);
        free(p->sigs[i].ids);
        vg_strv_free(p->sigs[i].res, p->sigs[i].nres);
        free(p->sigs[i].certs);
        vg_strv_free(p->sigs[i].nids, p->sigs[i].nnids);
        vg_strv_free(p->sigs[i].dsigners, p->sigs[i].ndsigners);
    }
    free(p->sigs);
    free(p);
}

static const char *const sev_names[] = {"unknown", "low", "medium", "high", "critical"};

/* A list of globs: each valid, or the load fails at that entry. */
static int
globs(const struct vg_config_node *map, const char *key, const char *path,
      const struct vg_config_node **out, bool image_globs, struct vg_err **err)
{
    if (vg_config_get_seq(map, key, out, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    for (size_t i = 0; *out && i < vg_config_node_len(*out); i++) {
        const struct vg_config_node *n = vg_config_seq_at(*out, i);
        const char *g = vg_config_node_scalar(n, NULL);
        if (!g || vg_config_node_is_null(n)) {
            return vg_config_err(err, n, VG_E_PARSE, "%s.%s: items must be strings", path, key);
        }
        const char *why = image_globs ? vg_policy_glob_check(g) : NULL;
        if (why) {
            char *e = vg_escape(g, strlen(g), 120);
            int rc = vg_config_err(err, n, VG_E_PARSE, "%s.%s: invalid glob '%s': %s", path, key, e,
                                   why);
            free(e);
            return rc;
        }
    }
    return 0;
}

static int
load_keys(struct sigreq *sr, const struct vg_config_node *keys, const char *dir,
          struct vg_err **err)
{
    for (size_t i = 0; keys && i < vg_config_node_len(keys); i++) {
        const struct vg_config_node *k = vg_config_seq_at(keys, i);
        static const char *const kk[] = {"file", "pem"};
        if (vg_config_check_keys(k, "spec.signatures[].keys[]", kk, 2, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        const char *file = vg_policy_node_str(k, "file");
        const char *pem = vg_policy_node_str(k, "pem");
        if (!!file == !!pem) {
            return vg_config_err(err, k, VG_E_PARSE, "a key is exactly one of file or pem");
        }
        char *text = NULL;
        if (file) {
            char *path = file[0] == '/' ? vg_strdup(file) : vg_fmt("%s%s", dir, file);
            struct vg_buf b = VG_BUF_INIT(MAX_KEY_FILE);
            struct vg_err *e = NULL;
            if (vg_file_read(&b, path, MAX_KEY_FILE, &e) < 0) {
                char *why = vg_err_format(e);
                vg_err_free(&e);
                int rc = vg_config_err(err, k, VG_E_PARSE, "key file %s: %s", path, why);
                free(why);
                free(path);
                vg_buf_dispose(&b);
                return rc;
            }
            free(path);
            text = vg_buf_take(&b, NULL);
        } else {
            text = vg_strdup(pem);
        }
        if (vg_policy_key_check(k, text, strlen(text), err) < 0) {
            free(text);
            return -(int)VG_E_PARSE;
        }
        VG_ARRAY_PUSH(sr->keys, sr->nkeys, text);
    }
    return 0;
}

/* notation: {certificates: {file: F | pem: PEM}, trustedIdentities: [...], level} */
static int
load_notation(struct sigreq *sr, const struct vg_config_node *n, const char *dir,
              struct vg_err **err)
{
    static const char *const keys[] = {"certificates", "trustedIdentities", "level"};
    static const char *const ck[] = {"file", "pem"};
    const struct vg_config_node *c = vg_config_map_get(n, "certificates"), *ids = NULL;
    if (vg_config_check_keys(n, "spec.signatures[].notation", keys, 3, err) < 0 ||
        vg_config_get_seq(n, "trustedIdentities", &ids, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (!c || vg_config_check_keys(c, "spec.signatures[].notation.certificates", ck, 2, err) < 0) {
        return c ? -(int)VG_E_PARSE
                 : vg_config_err(err, n, VG_E_PARSE,
                                 "spec.signatures[].notation needs certificates (file or pem)");
    }
    const char *file = vg_policy_node_str(c, "file"), *pem = vg_policy_node_str(c, "pem");
    if (!!file == !!pem) {
        return vg_config_err(err, c, VG_E_PARSE, "certificates are exactly one of file or pem");
    }
    if (file) {
        vg_autofree char *path = file[0] == '/' ? vg_strdup(file) : vg_fmt("%s%s", dir, file);
        struct vg_buf b = VG_BUF_INIT(MAX_KEY_FILE);
        struct vg_err *e = NULL;
        if (vg_file_read(&b, path, MAX_KEY_FILE, &e) < 0) {
            vg_autofree char *why = vg_err_format(e);
            vg_err_free(&e);
            vg_buf_dispose(&b);
            return vg_config_err(err, c, VG_E_PARSE, "certificate file %s: %s", path, why);
        }
        sr->certs = vg_buf_take(&b, NULL);
    } else {
        sr->certs = vg_strdup(pem);
    }
    sr->notation.certs_pem = sr->certs;
    for (size_t i = 0; ids && i < vg_config_node_len(ids); i++) {
        const char *id = vg_config_node_scalar(vg_config_seq_at(ids, i), NULL);
        if (!id) {
            return vg_config_err(err, vg_config_seq_at(ids, i), VG_E_PARSE,
                                 "trustedIdentities[%zu] must be a string", i);
        }
        vg_strv_push(&sr->nids, &sr->nnids, id);
    }
    sr->notation.identities = (const char *const *)sr->nids;
    sr->notation.nidentities = sr->nnids;
    sr->notation.level = vg_policy_node_str(n, "level");
    return vg_policy_notation_check(n, &sr->notation, err);
}

/* dct: {server: https://..., signers: [NAME...]} (both optional; `dct: {}` for any signer) */
static int
load_dct(struct sigreq *sr, const struct vg_config_node *n, struct vg_err **err)
{
    static const char *const keys[] = {"server", "signers"};
    const struct vg_config_node *sg = NULL;
    if (vg_config_node_type(n) != VG_CONFIG_MAP) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "spec.signatures[].dct must be a map ({} for any signer)");
    }
    if (vg_config_check_keys(n, "spec.signatures[].dct", keys, 2, err) < 0 ||
        vg_config_get_seq(n, "signers", &sg, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    sr->has_dct = true;
    sr->dct.server = vg_policy_node_str(n, "server");
    if (sr->dct.server && !vg_cstr_startswith(sr->dct.server, "https://")) {
        return vg_config_err(err, vg_config_map_get(n, "server"), VG_E_PARSE,
                             "spec.signatures[].dct.server must be an https:// URL");
    }
    for (size_t i = 0; sg && i < vg_config_node_len(sg); i++) {
        const char *name = vg_config_node_scalar(vg_config_seq_at(sg, i), NULL);
        if (!name || !*name || strchr(name, '/')) {
            return vg_config_err(err, vg_config_seq_at(sg, i), VG_E_PARSE,
                                 "dct.signers[%zu] must be a signer name (targets/<name>)", i);
        }
        vg_strv_push(&sr->dsigners, &sr->ndsigners, name);
    }
    sr->dct.signers = (const char *const *)sr->dsigners;
    sr->dct.nsigners = sr->ndsigners;
    return 0;
}

static int
load_sig(struct sigreq *sr, const struct vg_config_node *n, const char *dir, struct vg_err **err)
{
    static const char *const keys[] = {"images",  "keys",        "threshold", "annotations",
                                       "keyless", "trustedRoot", "notation",  "dct"};
    if (vg_config_check_keys(n, "spec.signatures[]", keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *kl = NULL, *ann = NULL, *ids = NULL;
    if (vg_config_get_seq(n, "keyless", &ids, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    for (size_t i = 0; ids && i < vg_config_node_len(ids); i++) {
        char path[64], *owned[2];
        int w = snprintf(path, sizeof(path), "spec.signatures[].keyless[%zu]", i);
        (void)w;
        VG_ARRAY_GROW(sr->ids, sr->keyless.nids, 1);
        if (vg_policy_identity_load(&sr->ids[sr->keyless.nids], owned, vg_config_seq_at(ids, i),
                                    path, false, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        sr->keyless.nids++;
    }
    sr->keyless.ids = sr->ids;
    sr->keyless.trust_root = vg_policy_node_str(n, "trustedRoot");
    uint64_t thr = 1;
    if (globs(n, "images", "spec.signatures[]", &sr->images, true, err) < 0 ||
        vg_config_get_seq(n, "keys", &kl, err) < 0 ||
        vg_config_get_u64(n, "threshold", 1, 256, &thr, err) < 0 ||
        vg_config_get_map(n, "annotations", &ann, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *nt = vg_config_map_get(n, "notation");
    const struct vg_config_node *dct = vg_config_map_get(n, "dct");
    if ((!kl || vg_config_node_len(kl) == 0) && sr->keyless.nids == 0 && !nt && !dct) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "spec.signatures[]: at least one key, keyless identity, notation "
                             "or dct authority is needed");
    }
    if (load_keys(sr, kl, dir, err) < 0 || (nt && load_notation(sr, nt, dir, err) < 0) ||
        (dct && load_dct(sr, dct, err) < 0)) {
        return -(int)VG_E_PARSE;
    }
    size_t nauth = sr->nkeys + (sr->keyless.nids ? 1 : 0) + (sr->notation.certs_pem ? 1 : 0) +
                   (sr->has_dct ? 1 : 0);
    if (thr == 0 || thr > nauth) {
        return vg_config_err(err, vg_config_map_get(n, "threshold"), VG_E_PARSE,
                             "threshold %llu must be between 1 and the number of keys (%zu)",
                             (unsigned long long)thr, nauth);
    }
    sr->threshold = (size_t)thr;
    for (size_t i = 0; ann && i < vg_config_node_len(ann); i++) {
        const char *v = vg_config_node_scalar(vg_config_map_value(ann, i), NULL);
        if (!v) {
            return vg_config_err(err, vg_config_map_value(ann, i), VG_E_PARSE,
                                 "annotation values must be strings");
        }
        struct vg_policy_kv kv = {vg_config_node_scalar(vg_config_map_key(ann, i), NULL), v};
        VG_ARRAY_PUSH(sr->ann, sr->nann, kv);
    }
    return 0;
}

static int
load_scope(struct vp *p, const struct vg_config_node *spec, struct vg_err **err)
{
    const struct vg_config_node *m = vg_config_map_get(spec, "match");
    if (m) {
        static const char *const keys[] = {"namespaces", "excludeNamespaces", "selector",
                                           "namespaceSelector", "images"};
        if (vg_config_check_keys(m, "spec.match", keys, VG_ARRAY_LEN(keys), err) < 0 ||
            globs(m, "namespaces", "spec.match", &p->namespaces, false, err) < 0 ||
            globs(m, "excludeNamespaces", "spec.match", &p->exclude_ns, false, err) < 0 ||
            globs(m, "images", "spec.match", &p->scope_images, true, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        p->selector = vg_config_map_get(m, "selector");
        p->ns_selector = vg_config_map_get(m, "namespaceSelector");
        if ((p->selector &&
             vg_policy_selector_check(p->selector, "spec.match.selector", err) < 0) ||
            (p->ns_selector &&
             vg_policy_selector_check(p->ns_selector, "spec.match.namespaceSelector", err) < 0)) {
            return -(int)VG_E_PARSE;
        }
    }
    const struct vg_config_node *ex = vg_config_map_get(spec, "exemptions");
    if (ex) {
        static const char *const keys[] = {"images", "namespaces"};
        if (vg_config_check_keys(ex, "spec.exemptions", keys, 2, err) < 0 ||
            globs(ex, "images", "spec.exemptions", &p->exempt_images, true, err) < 0 ||
            globs(ex, "namespaces", "spec.exemptions", &p->exempt_ns, false, err) < 0) {
            return -(int)VG_E_PARSE;
        }
    }
    return 0;
}

static int
load_rules(struct vp *p, const struct vg_config_node *spec, struct vg_err **err)
{
    const struct vg_config_node *tags = vg_config_map_get(spec, "tags");
    if (tags) {
        static const char *const keys[] = {"forbid", "requireDigest"};
        if (vg_config_check_keys(tags, "spec.tags", keys, 2, err) < 0 ||
            globs(tags, "forbid", "spec.tags", &p->forbid_tags, false, err) < 0 ||
            vg_config_get_bool(tags, "requireDigest", false, &p->require_digest, err) < 0) {
            return -(int)VG_E_PARSE;
        }
    }
    const struct vg_config_node *vul = vg_config_map_get(spec, "vulnerabilities");
    if (vul) {
        static const char *const keys[] = {"maxSeverity", "fixedOnly"};
        const char *sev = NULL;
        if (vg_config_check_keys(vul, "spec.vulnerabilities", keys, 2, err) < 0 ||
            vg_config_get_str(vul, "maxSeverity", NULL, &sev, err) < 0 ||
            vg_config_get_bool(vul, "fixedOnly", false, &p->fixed_only, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        if (!sev) {
            return vg_config_err(err, vul, VG_E_PARSE,
                                 "spec.vulnerabilities.maxSeverity is "
                                 "required");
        }
        bool ok = false;
        for (size_t i = 0; i < VG_ARRAY_LEN(sev_names); i++) {
            if (strcmp(sev, sev_names[i]) == 0) {
                p->max_sev = (enum vg_policy_severity)i;
                ok = true;
            }
        }
        if (!ok) {
            return vg_config_err(err, vg_config_map_get(vul, "maxSeverity"), VG_E_PARSE,
                                 "maxSeverity '%s' is not unknown, low, medium, high or critical",
                                 sev);
        }
        p->vuln_set = true;
    }
    const struct vg_config_node *cfg = vg_config_map_get(spec, "config");
    if (cfg) {
        static const char *const keys[] = {"forbidRoot"};
        if (vg_config_check_keys(cfg, "spec.config", keys, 1, err) < 0 ||
            vg_config_get_bool(cfg, "forbidRoot", false, &p->forbid_root, err) < 0) {
            return -(int)VG_E_PARSE;
        }
    }
    return 0;
}

static int vp_eval(const struct vg_policy *pol, struct vg_policy_ctx *c, struct vg_err **err);

int
vg_policy_load_vigil(struct vg_policy_set *s, const struct vg_config_node *root, const char *dir,
                     struct vg_err **err)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec"};
    if (vg_config_check_keys(root, NULL, top, VG_ARRAY_LEN(top), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const char *name = vg_config_node_scalar(vg_policy_node_path(root, "metadata.name"), NULL);
    if (!name) {
        return vg_config_err(err, root, VG_E_PARSE, "ImagePolicy: metadata.name is required");
    }
    const struct vg_config_node *spec = NULL;
    if (vg_config_get_map(root, "spec", &spec, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (!spec) {
        return vg_config_err(err, root, VG_E_PARSE, "ImagePolicy: spec is required");
    }
    static const char *const skeys[] = {"mode", "match",      "exemptions",      "trustedImages",
                                        "tags", "signatures", "vulnerabilities", "config"};
    if (vg_config_check_keys(spec, "spec", skeys, VG_ARRAY_LEN(skeys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const char *mode = NULL;
    if (vg_config_get_str(spec, "mode", "enforce", &mode, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    enum vg_policy_mode m = VG_POLICY_ENFORCE;
    if (strcmp(mode, "warn") == 0) {
        m = VG_POLICY_WARN;
    } else if (strcmp(mode, "audit") == 0) {
        m = VG_POLICY_AUDIT;
    } else if (strcmp(mode, "enforce") != 0) {
        return vg_config_err(err, vg_config_map_get(spec, "mode"), VG_E_PARSE,
                             "mode '%s' is not enforce, warn or audit", mode);
    }
    struct vp *p = vg_calloc(1, sizeof(*p));
    const struct vg_config_node *sigs = NULL;
    if (load_scope(p, spec, err) < 0 ||
        globs(spec, "trustedImages", "spec", &p->trusted, true, err) < 0 ||
        load_rules(p, spec, err) < 0 || vg_config_get_seq(spec, "signatures", &sigs, err) < 0) {
        vp_free(p);
        return -(int)VG_E_PARSE;
    }
    for (size_t i = 0; sigs && i < vg_config_node_len(sigs); i++) {
        struct sigreq sr = {0};
        int rc = load_sig(&sr, vg_config_seq_at(sigs, i), dir, err);
        VG_ARRAY_PUSH(p->sigs, p->nsigs, sr);
        if (rc < 0) {
            vp_free(p);
            return -(int)VG_E_PARSE;
        }
    }
    struct vg_policy *pol = vg_policy_add(s, VG_POLICY_FMT_VIGIL, root, "ImagePolicy", name);
    pol->mode = m;
    pol->impl = p;
    pol->free_impl = vp_free;
    pol->eval = vp_eval;
    return 0;
}

/* ---------------------------------------------------------------- evaluation */

static bool
any_glob(const struct vg_config_node *seq, const char *name)
{
    for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
        if (vg_policy_glob_match(vg_config_node_scalar(vg_config_seq_at(seq, i), NULL), name)) {
            return true;
        }
    }
    return false;
}

static bool
any_ns(const struct vg_config_node *seq, const char *ns)
{
    for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
        if (vg_policy_glob_match(vg_config_node_scalar(vg_config_seq_at(seq, i), NULL), ns)) {
            return true;
        }
    }
    return false;
}

static bool
object_in_scope(const struct vp *p, const struct vg_policy_object *o)
{
    if (p->namespaces && !any_ns(p->namespaces, o->namespace)) {
        return false;
    }
    if (any_ns(p->exclude_ns, o->namespace) || any_ns(p->exempt_ns, o->namespace)) {
        return false;
    }
    return vg_policy_selector_match(p->selector, o->labels) &&
           (!p->ns_selector || vg_policy_selector_match(p->ns_selector, o->nslabels));
}

/* The running count of one signature requirement: verified authorities, whether any
 * answer was unknown (unverifiable, not refused), and the first reason given. */
struct sigtally {
    size_t ok;
    bool unknown;
    char *first_why;
};

static void
tally(struct sigtally *t, enum vg_policy_fact f, char *why)
{
    if (f == VG_POLICY_FACT_YES) {
        t->ok++;
    } else {
        t->unknown |= f == VG_POLICY_FACT_UNKNOWN;
        if (!t->first_why) {
            t->first_why = vg_steal_ptr(&why);
        }
    }
    free(why);
}

static void
check_signatures(const struct vp *p, const struct vg_policy *pol, struct vg_policy_ctx *c,
                 const struct vg_policy_container *ct, const char *norm, const char *name)
{
    for (size_t s = 0; s < p->nsigs; s++) {
        const struct sigreq *sr = &p->sigs[s];
        if (sr->images && !any_glob(sr->images, name)) {
            continue;
        }
        struct sigtally t = {0};
        for (size_t k = 0; k < sr->nkeys && t.ok < sr->threshold; k++) {
            char *why = NULL;
            enum vg_policy_fact f =
                vg_policy_ask_verify(c, norm, sr->keys[k], sr->ann, sr->nann, &why);
            tally(&t, f, why);
        }
        if (t.ok < sr->threshold && sr->keyless.nids) {
            char *why = NULL;
            enum vg_policy_fact f =
                vg_policy_ask_verify_keyless(c, norm, &sr->keyless, sr->ann, sr->nann, &why);
            tally(&t, f, why);
        }
        if (t.ok < sr->threshold && sr->notation.certs_pem) {
            char *why = NULL;
            enum vg_policy_fact f = vg_policy_ask_verify_notation(c, norm, &sr->notation, &why);
            tally(&t, f, why);
        }
        if (t.ok < sr->threshold && sr->has_dct) {
            char *why = NULL;
            enum vg_policy_fact f = vg_policy_ask_verify_dct(c, norm, &sr->dct, &why);
            tally(&t, f, why);
        }
        if (t.ok < sr->threshold) {
            vg_policy_reason_add(
                c, pol, ct, pol->mode, "%s: %zu of %zu required keys verified (%s)",
                t.unknown ? "signature unverifiable" : "signature missing or invalid", t.ok,
                sr->threshold, t.first_why ? t.first_why : "no signature");
        }
        free(t.first_why);
    }
}

static void
check_facts(const struct vp *p, const struct vg_policy *pol, struct vg_policy_ctx *c,
            const struct vg_policy_container *ct, const char *norm)
{
    const struct vg_policy_inputs *in = c->in;
    if (p->vuln_set) {
        struct vg_policy_vulns v = {{0}, {0}};
        char *why = NULL;
        enum vg_policy_fact f =
            in && in->vulns ? in->vulns(in->ctx, norm, &v, &why) : VG_POLICY_FACT_UNKNOWN;
        if (f != VG_POLICY_FACT_YES) {
            vg_policy_reason_add(c, pol, ct, pol->mode, "vulnerabilities unknown: %s",
                                 why ? why : "no scanner available");
        } else {
            size_t over = 0;
            for (int sv = (int)p->max_sev + 1; sv < VG_POLICY_SEV_COUNT; sv++) {
                over += p->fixed_only ? v.fixed[sv] : v.total[sv];
            }
            if (over > 0) {
                vg_policy_reason_add(c, pol, ct, pol->mode, "%zu %svulnerabilities above %s", over,
                                     p->fixed_only ? "fixable " : "", sev_names[p->max_sev]);
            }
        }
        free(why);
    }
    if (p->forbid_root) {
        char *user = NULL, *why = NULL;
        enum vg_policy_fact f = in && in->config_user ? in->config_user(in->ctx, norm, &user, &why)
                                                      : VG_POLICY_FACT_UNKNOWN;
        if (f != VG_POLICY_FACT_YES) {
            vg_policy_reason_add(c, pol, ct, pol->mode, "image config unknown: %s",
                                 why ? why : "no image access");
        } else if (!user || !*user || strcmp(user, "root") == 0 || strcmp(user, "0") == 0 ||
                   strncmp(user, "0:", 2) == 0 || strncmp(user, "root:", 5) == 0) {
            vg_policy_reason_add(c, pol, ct, pol->mode, "runs as root (config user '%s')",
                                 user ? user : "");
        }
        free(user);
        free(why);
    }
}

static void
check_image(const struct vp *p, const struct vg_policy *pol, struct vg_policy_ctx *c,
            const struct vg_policy_container *ct)
{
    struct vg_oci_ref *r = NULL;
    struct vg_err *e = NULL;
    if (strnlen(ct->image, VG_POLICY_IMAGE_MAX + 1) > VG_POLICY_IMAGE_MAX) {
        vg_policy_reason_add(c, pol, ct, pol->mode, "image reference longer than %u characters",
                             VG_POLICY_IMAGE_MAX);
        return;
    }
    if (vg_oci_ref_parse(&r, ct->image, &e) < 0) {
        vg_policy_reason_add(c, pol, ct, pol->mode, "%s", e->msg);
        vg_err_free(&e);
        return;
    }
    char *name = vg_oci_ref_name(r);
    char *norm = vg_oci_ref_string(r);
    if ((p->scope_images && !any_glob(p->scope_images, name)) || any_glob(p->exempt_images, name)) {
        goto out;
    }
    c->out->napplied++;
    if (p->trusted && !any_glob(p->trusted, name)) {
        vg_policy_reason_add(c, pol, ct, pol->mode, "%s is not in a trusted registry/repository",
                             name);
    }
    for (size_t i = 0; !r->digest && p->forbid_tags && i < vg_config_node_len(p->forbid_tags);
         i++) {
        const char *t = vg_config_node_scalar(vg_config_seq_at(p->forbid_tags, i), NULL);
        if (r->tag && vg_glob_match(t, r->tag)) {
            vg_policy_reason_add(c, pol, ct, pol->mode, "tag '%s' is forbidden%s", r->tag,
                                 r->tag_implied ? " (no tag means latest)" : "");
        }
    }
    if (p->require_digest && !r->digest) {
        vg_policy_reason_add(c, pol, ct, pol->mode, "not pinned by digest");
    }
    check_signatures(p, pol, c, ct, norm, name);
    check_facts(p, pol, c, ct, norm);
out:
    free(name);
    free(norm);
    vg_oci_ref_free(r);
}

static int
vp_eval(const struct vg_policy *pol, struct vg_policy_ctx *c, struct vg_err **err)
{
    (void)err;
    const struct vp *p = pol->impl;
    if (!object_in_scope(p, c->obj)) {
        return 0;
    }
    for (size_t i = 0; i < c->obj->ncontainers; i++) {
        const struct vg_policy_container *ct = &c->obj->containers[i];
        if (!ct->image) {
            vg_policy_reason_add(c, pol, ct, pol->mode, "%s",
                                 vg_policy_container_is_volume(ct) ? "image volume has no reference"
                                                                   : "container has no image");
            continue;
        }
        check_image(p, pol, c, ct);
    }
    return 0;
}
