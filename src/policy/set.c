/* SPDX-License-Identifier: Apache-2.0
 *
 * Policy sets: loading (one YAML stream per file, each document dispatched on apiVersion and
 * kind to its format's loader) and evaluation (every policy in turn; then policy-controller's
 * no-match rule). The set owns the loaded documents, so every policy borrows its nodes.
 */
#include "policy.h"
#include "policy_int.h"

#include "config/config.h"

#include <stdarg.h>
#include <string.h>

struct vg_policy_set *
vg_policy_set_new(const struct vg_policy_set_opts *o)
{
    struct vg_policy_set *s = vg_calloc(1, sizeof(*s));
    s->opts = o ? *o : VG_POLICY_SET_OPTS_INIT;
    return s;
}

void
vg_policy_set_free(struct vg_policy_set *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->pols.n; i++) {
        struct vg_policy *p = s->pols.v[i];
        if (p->free_impl) {
            p->free_impl(p->impl);
        }
        free(p->label);
        free(p);
    }
    vg_vec_dispose(&s->pols);
    for (size_t i = 0; i < s->docs.n; i++) {
        vg_config_doc_free(s->docs.v[i]);
    }
    vg_vec_dispose(&s->docs);
    vg_strv_free(s->warnings, s->nwarnings);
    free(s);
}

size_t
vg_policy_set_count(const struct vg_policy_set *s)
{
    return s->pols.n;
}

size_t
vg_policy_set_warning_count(const struct vg_policy_set *s)
{
    return s->nwarnings;
}

const char *
vg_policy_set_warning(const struct vg_policy_set *s, size_t i)
{
    return i < s->nwarnings ? s->warnings[i] : NULL;
}

const char *
vg_policy_mode_name(enum vg_policy_mode m)
{
    switch (m) {
    case VG_POLICY_ENFORCE:
        return "enforce";
    case VG_POLICY_WARN:
        return "warn";
    case VG_POLICY_AUDIT:
        return "audit";
    }
    return "?";
}

void
vg_policy_set_warn(struct vg_policy_set *s, const struct vg_config_node *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = vg_vfmt(fmt, ap);
    va_end(ap);
    char *w = vg_fmt("%s:%u:%u: %s", vg_config_node_file(n), vg_config_node_line(n),
                     vg_config_node_col(n), msg);
    free(msg);
    VG_ARRAY_PUSH(s->warnings, s->nwarnings, w);
}

struct vg_policy *
vg_policy_add(struct vg_policy_set *s, enum vg_policy_format fmt, const struct vg_config_node *root,
              const char *kind, const char *name)
{
    struct vg_policy *p = vg_calloc(1, sizeof(*p));
    p->fmt = fmt;
    p->node = root;
    char *e = vg_escape(name ? name : "", name ? strlen(name) : 0, 120);
    p->label =
        vg_fmt("%s:%u: %s/%s", vg_config_node_file(root), vg_config_node_line(root), kind, e);
    free(e);
    vg_vec_push(&s->pols, p);
    return p;
}

const char *
vg_policy_node_str(const struct vg_config_node *n, const char *key)
{
    const struct vg_config_node *v = n ? vg_config_map_get(n, key) : NULL;
    if (!v || vg_config_node_type(v) != VG_CONFIG_SCALAR || vg_config_node_is_null(v)) {
        return NULL;
    }
    return vg_config_node_scalar(v, NULL);
}

/* "a.b.c": nested mapping lookups. */
const struct vg_config_node *
vg_policy_node_path(const struct vg_config_node *n, const char *path)
{
    char buf[256];
    size_t len = strlen(path);
    if (len >= sizeof(buf)) {
        return NULL;
    }
    memcpy(buf, path, len + 1);
    char *save = buf;
    for (char *seg = buf; n && seg; seg = save) {
        char *dot = strchr(seg, '.');
        if (dot) {
            *dot = '\0';
            save = dot + 1;
        } else {
            save = NULL;
        }
        n = vg_config_node_type(n) == VG_CONFIG_MAP ? vg_config_map_get(n, seg) : NULL;
    }
    return n;
}

static int
load_doc(struct vg_policy_set *s, const struct vg_config_node *root, const char *dir,
         struct vg_err **err)
{
    if (vg_config_node_type(root) == VG_CONFIG_SCALAR && vg_config_node_is_null(root)) {
        return 0; /* an empty document ("---" at the end) */
    }
    if (vg_config_node_type(root) != VG_CONFIG_MAP) {
        return vg_config_err(err, root, VG_E_PARSE, "a policy document must be a mapping");
    }
    const char *api = vg_policy_node_str(root, "apiVersion");
    const char *kind = vg_policy_node_str(root, "kind");
    if (!api || !kind) {
        return vg_config_err(err, root, VG_E_PARSE,
                             "not a policy document: apiVersion and kind are required");
    }
    const char *slash = strchr(api, '/');
    size_t glen = slash ? (size_t)(slash - api) : 0;
    struct vg_str group = {api, glen};
    if (strcmp(api, "vigil.dev/v1") == 0 && strcmp(kind, "ImagePolicy") == 0) {
        return vg_policy_load_vigil(s, root, dir, err);
    }
    if (vg_str_eq_c(group, "templates.gatekeeper.sh") && strcmp(kind, "ConstraintTemplate") == 0) {
        return vg_policy_load_gk_template(s, root, err);
    }
    if (vg_str_eq_c(group, "constraints.gatekeeper.sh")) {
        return vg_policy_load_gk_constraint(s, root, kind, err);
    }
    if (vg_str_eq_c(group, "policy.sigstore.dev") && strcmp(kind, "ClusterImagePolicy") == 0) {
        if (strcmp(api, "policy.sigstore.dev/v1alpha1") != 0 &&
            strcmp(api, "policy.sigstore.dev/v1beta1") != 0) {
            return vg_config_err(err, root, VG_E_UNSUPPORTED,
                                 "ClusterImagePolicy %s: only v1alpha1 and v1beta1 are known", api);
        }
        s->has_cip = true;
        return vg_policy_load_cip(s, root, err);
    }
    if (vg_str_eq_c(group, "kyverno.io") &&
        (strcmp(kind, "ClusterPolicy") == 0 || strcmp(kind, "Policy") == 0)) {
        return vg_policy_load_kyverno(s, root, kind, err);
    }
    if (vg_str_eq_c(group, "policies.kyverno.io") ||
        vg_str_eq_c(group, "admissionregistration.k8s.io")) {
        return vg_config_err(err, root, VG_E_UNSUPPORTED,
                             "%s %s: CEL policies are not evaluated by vigil (refused, not "
                             "allowed)",
                             api, kind);
    }
    return vg_config_err(err, root, VG_E_UNSUPPORTED,
                         "%s %s is not a policy format vigil reads (ImagePolicy, Gatekeeper "
                         "constraints, ClusterImagePolicy, Kyverno ClusterPolicy/Policy)",
                         api, kind);
}

static int
load_stream(struct vg_policy_set *s, struct vg_config_doc *doc, const char *dir,
            struct vg_err **err)
{
    vg_vec_push(&s->docs, doc);
    size_t before = s->pols.n;
    for (size_t i = 0; i < vg_config_doc_count(doc); i++) {
        if (load_doc(s, vg_config_doc_root(doc, i), dir, err) < 0) {
            /* Drop what this stream added: a failed file leaves the set as it was. */
            while (s->pols.n > before) {
                struct vg_policy *p = s->pols.v[--s->pols.n];
                if (p->free_impl) {
                    p->free_impl(p->impl);
                }
                free(p->label);
                free(p);
            }
            return -(int)vg_err_code(*err);
        }
    }
    return 0;
}

int
vg_policy_set_load_file(struct vg_policy_set *s, const char *path, struct vg_err **err)
{
    struct vg_config_doc *doc = NULL;
    if (vg_config_load_file(&doc, path, NULL, err) < 0) {
        return -(int)vg_err_code(*err);
    }
    const char *slash = strrchr(path, '/');
    char *dir = slash ? vg_strndup(path, (size_t)(slash - path) + 1) : vg_strdup("");
    int rc = load_stream(s, doc, dir, err);
    free(dir);
    return rc;
}

int
vg_policy_set_load_buf(struct vg_policy_set *s, const char *name, const void *data, size_t len,
                       struct vg_err **err)
{
    struct vg_config_doc *doc = NULL;
    if (vg_config_load_buf(&doc, name, data, len, NULL, err) < 0) {
        return -(int)vg_err_code(*err);
    }
    return load_stream(s, doc, "", err);
}

/* ---------------------------------------------------------------- evaluation */

void
vg_policy_reason_add(struct vg_policy_ctx *c, const struct vg_policy *p,
                     const struct vg_policy_container *ct, enum vg_policy_mode mode,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct vg_policy_reason r = {
        .policy = vg_strdup(p ? p->label : "no-match-policy"),
        .image = ct && ct->image ? vg_strdup(ct->image) : NULL,
        .path = ct ? vg_strdup(ct->path) : NULL,
        .message = vg_vfmt(fmt, ap),
        .mode = mode,
    };
    va_end(ap);
    VG_ARRAY_PUSH(c->out->reasons, c->out->nreasons, r);
    if (mode == VG_POLICY_ENFORCE) {
        c->out->allowed = false;
    }
}

enum vg_policy_fact
vg_policy_ask_verify(const struct vg_policy_ctx *c, const char *image, const char *key_pem,
                     const struct vg_policy_kv *ann, size_t nann, char **why)
{
    *why = NULL;
    if (!c->in || !c->in->verify) {
        *why = vg_strdup("unverifiable: no signature verifier available");
        return VG_POLICY_FACT_UNKNOWN;
    }
    enum vg_policy_fact f = c->in->verify(c->in->ctx, image, key_pem, ann, nann, why);
    if (f != VG_POLICY_FACT_YES && !*why) {
        *why = vg_strdup(f == VG_POLICY_FACT_NO ? "no valid signature" : "unverifiable");
    }
    return f;
}

enum vg_policy_fact
vg_policy_ask_verify_tlog(const struct vg_policy_ctx *c, const char *image, const char *key_pem,
                          const struct vg_policy_tlog *t, const struct vg_policy_kv *ann,
                          size_t nann, char **why)
{
    *why = NULL;
    if (!c->in || !c->in->verify_tlog) {
        *why = vg_strdup("unverifiable: no transparency-log verifier available");
        return VG_POLICY_FACT_UNKNOWN;
    }
    enum vg_policy_fact f = c->in->verify_tlog(c->in->ctx, image, key_pem, t, ann, nann, why);
    if (f != VG_POLICY_FACT_YES && !*why) {
        *why = vg_strdup(f == VG_POLICY_FACT_NO ? "no valid signature with a transparency-log entry"
                                                : "unverifiable");
    }
    return f;
}

enum vg_policy_fact
vg_policy_ask_verify_keyless(const struct vg_policy_ctx *c, const char *image,
                             const struct vg_policy_keyless *k, const struct vg_policy_kv *ann,
                             size_t nann, char **why)
{
    *why = NULL;
    if (!c->in || !c->in->verify_keyless) {
        *why = vg_strdup("unverifiable: no keyless signature verifier available");
        return VG_POLICY_FACT_UNKNOWN;
    }
    enum vg_policy_fact f = c->in->verify_keyless(c->in->ctx, image, k, ann, nann, why);
    if (f != VG_POLICY_FACT_YES && !*why) {
        *why = vg_strdup(f == VG_POLICY_FACT_NO ? "no valid keyless signature" : "unverifiable");
    }
    return f;
}

enum vg_policy_fact
vg_policy_ask_verify_notation(const struct vg_policy_ctx *c, const char *image,
                              const struct vg_policy_notation *n, char **why)
{
    *why = NULL;
    if (!c->in || !c->in->verify_notation) {
        *why = vg_strdup("unverifiable: no Notary signature verifier available");
        return VG_POLICY_FACT_UNKNOWN;
    }
    enum vg_policy_fact f = c->in->verify_notation(c->in->ctx, image, n, why);
    if (f != VG_POLICY_FACT_YES && !*why) {
        *why = vg_strdup(f == VG_POLICY_FACT_NO ? "no valid Notary signature" : "unverifiable");
    }
    return f;
}

enum vg_policy_fact
vg_policy_ask_verify_dct(const struct vg_policy_ctx *c, const char *image,
                         const struct vg_policy_dct *d, char **why)
{
    *why = NULL;
    if (!c->in || !c->in->verify_dct) {
        *why = vg_strdup("unverifiable: no Docker Content Trust verifier available");
        return VG_POLICY_FACT_UNKNOWN;
    }
    enum vg_policy_fact f = c->in->verify_dct(c->in->ctx, image, d, why);
    if (f != VG_POLICY_FACT_YES && !*why) {
        *why =
            vg_strdup(f == VG_POLICY_FACT_NO ? "no valid content trust signature" : "unverifiable");
    }
    return f;
}

void
vg_policy_decision_dispose(struct vg_policy_decision *d)
{
    for (size_t i = 0; i < d->nreasons; i++) {
        free(d->reasons[i].policy);
        free(d->reasons[i].image);
        free(d->reasons[i].path);
        free(d->reasons[i].message);
    }
    free(d->reasons);
    for (size_t i = 0; i < d->nrules; i++) {
        free(d->rules[i].policy);
        free(d->rules[i].rule);
    }
    free(d->rules);
    memset(d, 0, sizeof(*d));
}

int
vg_policy_eval(const struct vg_policy_set *s, const struct vg_policy_object *o,
               const struct vg_policy_inputs *in, struct vg_policy_decision *out,
               struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    out->allowed = true;
    struct vg_policy_ctx c = {.set = s, .obj = o, .in = in, .out = out};
    c.cip_matched = vg_calloc(o->ncontainers + 1, sizeof(bool));
    for (size_t i = 0; i < s->pols.n; i++) {
        const struct vg_policy *p = s->pols.v[i];
        if (p->eval && p->eval(p, &c, err) < 0) {
            free(c.cip_matched);
            vg_policy_decision_dispose(out);
            return -(int)vg_err_code(*err);
        }
    }
    if (s->has_cip && s->opts.cip_no_match != VG_POLICY_NOMATCH_ALLOW) {
        for (size_t i = 0; i < o->ncontainers; i++) {
            if (!c.cip_matched[i] && !vg_policy_container_is_volume(&o->containers[i])) {
                vg_policy_reason_add(&c, NULL, &o->containers[i],
                                     s->opts.cip_no_match == VG_POLICY_NOMATCH_WARN
                                         ? VG_POLICY_WARN
                                         : VG_POLICY_ENFORCE,
                                     "no ClusterImagePolicy matches this image");
            }
        }
    }
    free(c.cip_matched);
    return 0;
}
