/* SPDX-License-Identifier: Apache-2.0
 *
 * Gatekeeper constraints of the five gatekeeper-library image templates, decided exactly as
 * their Rego does (shared/docs/admission.md §6), pitfalls included:
 *   K8sAllowedRepos     violation unless the image string STARTS WITH one of `repos`;
 *   K8sAllowedReposv2   an entry ending in '*' is a prefix, any other must equal the image;
 *   K8sDisallowedRepos  violation when the image starts with one of `repos`;
 *   K8sDisallowedTags   violation when the image ends with ":<tag>", and another when its last
 *                       path segment has no ':' (no tag); `exemptImages` exact or prefix '*';
 *   K8sImageDigests     violation unless "@alg:encoded" appears anywhere in the image.
 * Like the templates, only object.spec.{containers,initContainers,ephemeralContainers} are
 * read (Pod-shaped objects): a Deployment has no spec.containers, so it never violates.
 * Raw prefixes without a boundary produce a load warning naming the entry.
 */
#include "policy.h"
#include "policy_int.h"

#include "config/config.h"

#include <string.h>

enum gk_kind { GK_ALLOWED = 1, GK_ALLOWED_V2, GK_DISALLOWED, GK_TAGS, GK_DIGESTS };

static const struct {
    const char *kind;
    enum gk_kind k;
    const char *package; /* the template's Rego package */
} gk_kinds[] = {
    {"K8sAllowedRepos", GK_ALLOWED, "package k8sallowedrepos\n"},
    {"K8sAllowedReposv2", GK_ALLOWED_V2, "package k8sallowedreposv2\n"},
    {"K8sDisallowedRepos", GK_DISALLOWED, "package k8sdisallowedrepos\n"},
    {"K8sDisallowedTags", GK_TAGS, "package k8sdisallowedtags\n"},
    {"K8sImageDigests", GK_DIGESTS, "package k8simagedigests\n"},
};

struct gk {
    enum gk_kind kind;
    const struct vg_config_node *match; /* spec.match or NULL */
    const struct vg_config_node *list;  /* repos / allowedImages / tags */
    const struct vg_config_node *exempt;
};

static int
find_kind(const char *kind)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(gk_kinds); i++) {
        if (strcmp(gk_kinds[i].kind, kind) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int
vg_policy_load_gk_template(struct vg_policy_set *s, const struct vg_config_node *root,
                           struct vg_err **err)
{
    const char *kind =
        vg_config_node_scalar(vg_policy_node_path(root, "spec.crd.spec.names.kind"), NULL);
    if (!kind) {
        return vg_config_err(err, root, VG_E_PARSE,
                             "ConstraintTemplate: spec.crd.spec.names.kind "
                             "is missing");
    }
    int i = find_kind(kind);
    if (i < 0) {
        return vg_config_err(err, root, VG_E_UNSUPPORTED,
                             "ConstraintTemplate %s: vigil does not run Rego; it knows only the "
                             "gatekeeper-library templates K8sAllowedRepos, K8sAllowedReposv2, "
                             "K8sDisallowedRepos, K8sDisallowedTags and K8sImageDigests",
                             kind);
    }
    const struct vg_config_node *targets = vg_policy_node_path(root, "spec.targets");
    const struct vg_config_node *t0 = targets ? vg_config_seq_at(targets, 0) : NULL;
    const char *rego = vg_policy_node_str(t0, "rego");
    if (!rego || !strstr(rego, gk_kinds[i].package)) {
        return vg_config_err(err, root, VG_E_UNSUPPORTED,
                             "ConstraintTemplate %s: its Rego is not the gatekeeper-library "
                             "template (%.*s); vigil does not run Rego",
                             kind, (int)strlen(gk_kinds[i].package) - 1, gk_kinds[i].package);
    }
    vg_policy_set_warn(s, root,
                       "ConstraintTemplate %s: evaluated with vigil's built-in copy of the "
                       "gatekeeper-library semantics, not by running its Rego",
                       kind);
    return 0;
}

static int
str_list(const struct vg_config_node *params, const char *key, const struct vg_config_node **out,
         struct vg_err **err)
{
    *out = NULL;
    if (!params) {
        return 0;
    }
    if (vg_config_get_seq(params, key, out, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    for (size_t i = 0; *out && i < vg_config_node_len(*out); i++) {
        const struct vg_config_node *v = vg_config_seq_at(*out, i);
        if (vg_config_node_type(v) != VG_CONFIG_SCALAR) {
            return vg_config_err(err, v, VG_E_PARSE, "parameters.%s: items must be strings", key);
        }
    }
    return 0;
}

static int
check_match(const struct vg_config_node *m, struct vg_err **err)
{
    static const char *const keys[] = {
        "kinds", "namespaces", "excludedNamespaces", "labelSelector", "namespaceSelector", "scope",
        "name",  "source"};
    if (vg_config_check_keys(m, "spec.match", keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *ls = vg_config_map_get(m, "labelSelector");
    if (ls && vg_policy_selector_check(ls, "spec.match.labelSelector", err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *ns = vg_config_map_get(m, "namespaceSelector");
    if (ns && vg_policy_selector_check(ns, "spec.match.namespaceSelector", err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *kinds = NULL, *nss = NULL, *ex = NULL;
    if (vg_config_get_seq(m, "kinds", &kinds, err) < 0 ||
        vg_config_get_seq(m, "namespaces", &nss, err) < 0 ||
        vg_config_get_seq(m, "excludedNamespaces", &ex, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    for (size_t i = 0; kinds && i < vg_config_node_len(kinds); i++) {
        static const char *const kkeys[] = {"apiGroups", "kinds"};
        if (vg_config_check_keys(vg_config_seq_at(kinds, i), "spec.match.kinds[]", kkeys,
                                 VG_ARRAY_LEN(kkeys), err) < 0) {
            return -(int)VG_E_PARSE;
        }
    }
    return 0;
}

static void
warn_prefixes(struct vg_policy_set *s, const struct vg_policy *p, const struct gk *g)
{
    const char *who = strstr(p->label, ": ") ? strstr(p->label, ": ") + 2 : p->label;
    for (size_t i = 0; g->list && i < vg_config_node_len(g->list); i++) {
        const struct vg_config_node *n = vg_config_seq_at(g->list, i);
        const char *v = vg_config_node_scalar(n, NULL);
        size_t len = strlen(v);
        if (g->kind == GK_ALLOWED && len > 0 && v[len - 1] != '/' && v[len - 1] != ':' &&
            v[len - 1] != '@') {
            vg_policy_set_warn(s, n,
                               "%s: repo '%s' is a raw string prefix (Gatekeeper semantics): it "
                               "also admits '%s.evil.example/x' and '%s-evil'; end it with '/'",
                               who, v, v, v);
        }
        if (g->kind == GK_ALLOWED_V2 && len > 1 && v[len - 1] == '*' && v[len - 2] != '/' &&
            v[len - 2] != ':' && v[len - 2] != '@') {
            vg_policy_set_warn(s, n,
                               "%s: allowedImages entry '%s' is a raw string prefix (Gatekeeper "
                               "semantics): it also admits '%.*s.evil.example/x'; write '%.*s/*'",
                               who, v, (int)len - 1, v, (int)len - 1, v);
        }
    }
}

static int gk_eval(const struct vg_policy *p, struct vg_policy_ctx *c, struct vg_err **err);

int
vg_policy_load_gk_constraint(struct vg_policy_set *s, const struct vg_config_node *root,
                             const char *kind, struct vg_err **err)
{
    int ki = find_kind(kind);
    if (ki < 0) {
        return vg_config_err(err, root, VG_E_UNSUPPORTED,
                             "Gatekeeper constraint kind %s: its template's Rego is not known to "
                             "vigil (refused, not allowed)",
                             kind);
    }
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status"};
    if (vg_config_check_keys(root, NULL, top, VG_ARRAY_LEN(top), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *spec = vg_config_map_get(root, "spec");
    static const char *const skeys[] = {"match", "parameters", "enforcementAction",
                                        "scopedEnforcementActions"};
    if (spec && vg_config_check_keys(spec, "spec", skeys, VG_ARRAY_LEN(skeys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const char *action = vg_policy_node_str(spec, "enforcementAction");
    enum vg_policy_mode mode = VG_POLICY_ENFORCE;
    if (!action || strcmp(action, "deny") == 0) {
        mode = VG_POLICY_ENFORCE;
    } else if (strcmp(action, "warn") == 0) {
        mode = VG_POLICY_WARN;
    } else if (strcmp(action, "dryrun") == 0) {
        mode = VG_POLICY_AUDIT;
    } else {
        return vg_config_err(err, vg_config_map_get(spec, "enforcementAction"), VG_E_UNSUPPORTED,
                             "enforcementAction '%s' is not deny, warn or dryrun", action);
    }
    struct gk g = {.kind = gk_kinds[ki].k};
    g.match = spec ? vg_config_map_get(spec, "match") : NULL;
    if (g.match && check_match(g.match, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const struct vg_config_node *params = spec ? vg_config_map_get(spec, "parameters") : NULL;
    if (params && vg_config_node_is_null(params)) {
        params = NULL;
    }
    static const char *const p_repos[] = {"repos"};
    static const char *const p_v2[] = {"allowedImages"};
    static const char *const p_tags[] = {"tags", "exemptImages"};
    static const char *const p_dig[] = {"exemptImages"};
    const char *const *pk = p_repos;
    size_t npk = 1;
    const char *listkey = "repos";
    switch (g.kind) {
    case GK_ALLOWED_V2:
        pk = p_v2;
        listkey = "allowedImages";
        break;
    case GK_TAGS:
        pk = p_tags;
        npk = 2;
        listkey = "tags";
        break;
    case GK_DIGESTS:
        pk = p_dig;
        listkey = NULL;
        break;
    default:
        break;
    }
    if (params && vg_config_check_keys(params, "spec.parameters", pk, npk, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if ((listkey && str_list(params, listkey, &g.list, err) < 0) ||
        str_list(params, "exemptImages", &g.exempt, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    struct vg_policy *p =
        vg_policy_add(s, VG_POLICY_FMT_GATEKEEPER, root, kind,
                      vg_config_node_scalar(vg_policy_node_path(root, "metadata.name"), NULL));
    p->mode = mode;
    struct gk *copy = vg_memdup(&g, sizeof(g));
    p->impl = copy;
    p->free_impl = free;
    p->eval = gk_eval;
    warn_prefixes(s, p, copy);
    return 0;
}

/* ---------------------------------------------------------------- evaluation */

static bool
str_in(const struct vg_config_node *seq, const char *s, bool (*pred)(const char *, const char *))
{
    for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
        const char *v = vg_config_node_scalar(vg_config_seq_at(seq, i), NULL);
        if (v && pred(v, s)) {
            return true;
        }
    }
    return false;
}

static bool
has_prefix(const char *prefix, const char *s)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* exemptImages / allowedImages: '*' at the end is a prefix, anything else exact. */
static bool
exempt_match(const char *entry, const char *img)
{
    size_t n = strlen(entry);
    if (n > 0 && entry[n - 1] == '*') {
        return strncmp(img, entry, n - 1) == 0;
    }
    return strcmp(entry, img) == 0;
}

static bool
ends_with_tag(const char *tag, const char *img)
{
    size_t tl = strlen(tag), il = strlen(img);
    return il >= tl + 1 && img[il - tl - 1] == ':' && memcmp(img + il - tl, tag, tl) == 0;
}

static bool
is_digit_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* regex.match("@[a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+", image), unanchored. */
static bool
has_digest(const char *img)
{
    for (const char *at = strchr(img, '@'); at; at = strchr(at + 1, '@')) {
        const char *p = at + 1;
        if (!is_digit_lower(*p)) {
            continue;
        }
        while (is_digit_lower(*p)) {
            p++;
        }
        while ((*p == '+' || *p == '.' || *p == '_' || *p == '-') && is_digit_lower(p[1])) {
            p++;
            while (is_digit_lower(*p)) {
                p++;
            }
        }
        if (*p != ':') {
            continue;
        }
        p++;
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '=' || *p == '_' || *p == '-') {
            return true;
        }
    }
    return false;
}

static bool
kinds_match(const struct vg_config_node *kinds, const struct vg_policy_object *o)
{
    if (!kinds || vg_config_node_len(kinds) == 0) {
        return true;
    }
    const char *api = o->api_version ? o->api_version : "v1";
    const char *slash = strchr(api, '/');
    char *group = slash ? vg_strndup(api, (size_t)(slash - api)) : vg_strdup("");
    bool ok = false;
    for (size_t i = 0; !ok && i < vg_config_node_len(kinds); i++) {
        const struct vg_config_node *k = vg_config_seq_at(kinds, i);
        const struct vg_config_node *groups = vg_config_map_get(k, "apiGroups");
        const struct vg_config_node *names = vg_config_map_get(k, "kinds");
        bool g_ok = false, k_ok = false;
        for (size_t j = 0; groups && j < vg_config_node_len(groups); j++) {
            const char *v = vg_config_node_scalar(vg_config_seq_at(groups, j), NULL);
            g_ok |= v && (strcmp(v, "*") == 0 || strcmp(v, group) == 0);
        }
        for (size_t j = 0; names && j < vg_config_node_len(names); j++) {
            const char *v = vg_config_node_scalar(vg_config_seq_at(names, j), NULL);
            k_ok |= v && (strcmp(v, "*") == 0 || strcmp(v, o->kind) == 0);
        }
        ok = g_ok && k_ok;
    }
    free(group);
    return ok;
}

static bool
ns_in(const struct vg_config_node *seq, const char *ns)
{
    for (size_t i = 0; seq && i < vg_config_node_len(seq); i++) {
        const char *v = vg_config_node_scalar(vg_config_seq_at(seq, i), NULL);
        if (v && vg_policy_ns_match(v, ns)) {
            return true;
        }
    }
    return false;
}

static bool
gk_applies(const struct gk *g, const struct vg_policy_object *o)
{
    const struct vg_config_node *m = g->match;
    if (!m) {
        return true;
    }
    if (!kinds_match(vg_config_map_get(m, "kinds"), o)) {
        return false;
    }
    const struct vg_config_node *nss = vg_config_map_get(m, "namespaces");
    if (nss && vg_config_node_len(nss) > 0 && !ns_in(nss, o->namespace)) {
        return false;
    }
    if (ns_in(vg_config_map_get(m, "excludedNamespaces"), o->namespace)) {
        return false;
    }
    const char *name = vg_policy_node_str(m, "name");
    if (name && (!o->name || !vg_policy_ns_match(name, o->name))) {
        return false;
    }
    if (!vg_policy_selector_match(vg_config_map_get(m, "labelSelector"), o->labels)) {
        return false;
    }
    const struct vg_config_node *nsel = vg_config_map_get(m, "namespaceSelector");
    if (nsel && !vg_policy_selector_match(nsel, o->nslabels)) {
        return false;
    }
    return true;
}

static char *
list_text(const struct vg_config_node *seq)
{
    struct vg_buf b = VG_BUF_INIT(VG_POLICY_IMAGE_MAX);
    struct vg_err *e = NULL;
    int rc = vg_buf_appendc(&b, '[', &e);
    for (size_t i = 0; rc == 0 && seq && i < vg_config_node_len(seq); i++) {
        rc = vg_buf_appendf(&b, &e, "%s\"%s\"", i ? ", " : "",
                            vg_config_node_scalar(vg_config_seq_at(seq, i), NULL));
    }
    if (rc == 0) {
        rc = vg_buf_appendc(&b, ']', &e);
    }
    if (rc < 0) {
        vg_err_free(&e);
        vg_buf_dispose(&b);
        return vg_strdup("[...]");
    }
    return vg_buf_take(&b, NULL);
}

static int
gk_eval(const struct vg_policy *p, struct vg_policy_ctx *c, struct vg_err **err)
{
    (void)err;
    const struct gk *g = p->impl;
    const struct vg_policy_object *o = c->obj;
    if (!gk_applies(g, o)) { /* a bare image is a Pod with one container */
        return 0;
    }
    static const char *const fields[] = {"containers", "initContainers", "ephemeralContainers"};
    static const char *const noun[] = {"container", "initContainer", "ephemeralContainer"};
    char *list = list_text(g->list);
    for (size_t f = 0; f < VG_ARRAY_LEN(fields); f++) {
        /* Pod shape only: object.spec.<field>, whatever the kind. */
        for (size_t i = 0; i < o->ncontainers; i++) {
            const struct vg_policy_container *ct = &o->containers[i];
            if (strcmp(ct->field, fields[f]) != 0 || !ct->image) {
                continue;
            }
            if (strcmp(o->kind, "Pod") != 0) {
                continue;
            }
            const char *img = ct->image;
            const char *name = ct->name ? ct->name : "";
            c->out->napplied++;
            switch (g->kind) {
            case GK_ALLOWED:
                if (!str_in(g->list, img, has_prefix)) {
                    vg_policy_reason_add(c, p, ct, p->mode,
                                         "%s <%s> has an invalid image repo <%s>, allowed repos "
                                         "are %s",
                                         noun[f], name, img, list);
                }
                break;
            case GK_ALLOWED_V2:
                if (!str_in(g->list, img, exempt_match)) {
                    vg_policy_reason_add(c, p, ct, p->mode,
                                         "%s <%s> has an invalid image <%s>, allowed images are "
                                         "%s",
                                         noun[f], name, img, list);
                }
                break;
            case GK_DISALLOWED:
                for (size_t j = 0; g->list && j < vg_config_node_len(g->list); j++) {
                    const char *r = vg_config_node_scalar(vg_config_seq_at(g->list, j), NULL);
                    if (r && has_prefix(r, img)) {
                        vg_policy_reason_add(c, p, ct, p->mode,
                                             "%s <%s> has an invalid image repo <%s>, disallowed "
                                             "repos are %s",
                                             noun[f], name, img, list);
                        break; /* Rego collects messages in a set: one per container */
                    }
                }
                break;
            case GK_TAGS: {
                if (str_in(g->exempt, img, exempt_match)) {
                    break;
                }
                if (str_in(g->list, img, ends_with_tag)) {
                    vg_policy_reason_add(c, p, ct, p->mode,
                                         "container <%s> uses a disallowed tag <%s>; disallowed "
                                         "tags are %s",
                                         name, img, list);
                }
                const char *last = strrchr(img, '/');
                last = last ? last + 1 : img;
                if (!strchr(last, ':')) {
                    vg_policy_reason_add(c, p, ct, p->mode,
                                         "container <%s> didn't specify an image tag <%s>", name,
                                         img);
                }
                break;
            }
            case GK_DIGESTS:
                if (!str_in(g->exempt, img, exempt_match) && !has_digest(img)) {
                    vg_policy_reason_add(c, p, ct, p->mode,
                                         "%s <%s> uses an image without a digest <%s>", noun[f],
                                         name, img);
                }
                break;
            }
        }
    }
    free(list);
    return 0;
}
