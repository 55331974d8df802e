/* SPDX-License-Identifier: Apache-2.0
 *
 * Loads a Trivy-compatible secret config (`--secret-config FILE`) on top of the built-in rules:
 *
 *   rules:                 custom rules: id, category, title, severity, regex, keywords, path,
 *                          secret-group-name, allow-rules
 *   allow-rules:           global allow rules: id, description, regex, path
 *   enable-builtin-rules:  keep only these built-in rules
 *   disable-rules:         drop rules by id (built-in or custom)
 *   disable-allow-rules:   drop allow rules by id
 *   exclude-block:         {description, regexes: [...]} — matches inside these are ignored
 *
 * The YAML is loaded through config/ (bounded, duplicate keys refused); only the first document
 * counts, as with Trivy's yaml.Unmarshal. Every problem is VG_E_PARSE (VG_E_LIMIT for a bound)
 * and starts with the FILE:LINE:COL of the offending node.
 */
#include <ctype.h>
#include <string.h>

#include "config/config.h"
#include "secret_int.h"

/* Scalar value of key in a mapping as a fresh string; NULL when absent. Non-scalars fail. */
static int
get_str(const struct vg_config_node *map, const char *key, char **out, struct vg_err **err)
{
    *out = NULL;
    const struct vg_config_node *v = vg_config_map_get(map, key);
    if (!v) {
        return 0;
    }
    size_t len = 0;
    const char *s = vg_config_node_scalar(v, &len);
    if (!s) {
        return vg_config_err(err, v, VG_E_PARSE, "'%s' must be a string", key);
    }
    if (memchr(s, '\0', len)) {
        return vg_config_err(err, v, VG_E_PARSE, "'%s' contains a NUL byte", key);
    }
    *out = vg_strndup(s, len);
    return 0;
}

/* Puts n's FILE:LINE:COL in front of an error set without a position (regex compilation). */
static int
wrap_at(struct vg_err **err, const struct vg_config_node *n)
{
    return vg_err_wrap(err, "%s:%u:%u", vg_config_node_file(n), vg_config_node_line(n),
                       vg_config_node_col(n));
}

/* Calls fn for every scalar in the sequence at key (absent = nothing). */
typedef int (*str_fn)(void *ctx, const struct vg_config_node *n, const char *s, size_t len,
                      struct vg_err **err);

static int
each_str(const struct vg_config_node *map, const char *key, str_fn fn, void *ctx,
         struct vg_err **err)
{
    const struct vg_config_node *seq = vg_config_map_get(map, key);
    if (!seq) {
        return 0;
    }
    if (vg_config_node_type(seq) != VG_CONFIG_SEQ) {
        return vg_config_err(err, seq, VG_E_PARSE, "'%s' must be a list", key);
    }
    for (size_t i = 0; i < vg_config_node_len(seq); i++) {
        const struct vg_config_node *item = vg_config_seq_at(seq, i);
        size_t len = 0;
        const char *s = vg_config_node_scalar(item, &len);
        if (!s) {
            return vg_config_err(err, item, VG_E_PARSE, "'%s' entries must be strings", key);
        }
        if (fn(ctx, item, s, len, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
parse_allow(const struct vg_config_node *n, struct vg_secret_allow *a, struct vg_err **err)
{
    vg_autofree char *regex = NULL;
    vg_autofree char *path = NULL;
    memset(a, 0, sizeof(*a));
    if (vg_config_node_type(n) != VG_CONFIG_MAP) {
        return vg_config_err(err, n, VG_E_PARSE, "allow rule must be a mapping");
    }
    if (get_str(n, "id", &a->id, err) < 0 || get_str(n, "regex", &regex, err) < 0 ||
        get_str(n, "path", &path, err) < 0) {
        return -1;
    }
    if (!a->id || (!regex && !path)) {
        return vg_config_err(err, n, VG_E_PARSE, "allow rule needs an id and a regex or a path");
    }
    if (regex && vg_secret_regex_compile(&a->regex, regex, "", err) < 0) {
        wrap_at(err, vg_config_map_get(n, "regex"));
        return vg_err_wrap(err, "allow rule %s", a->id);
    }
    if (path && vg_secret_regex_compile(&a->path, path, "", err) < 0) {
        wrap_at(err, vg_config_map_get(n, "path"));
        return vg_err_wrap(err, "allow rule %s", a->id);
    }
    return 0;
}

static int
parse_allow_list(const struct vg_config_node *map, struct vg_secret_allow **out, size_t *n,
                 size_t *cap, struct vg_err **err)
{
    const struct vg_config_node *seq = vg_config_map_get(map, "allow-rules");
    if (!seq) {
        return 0;
    }
    if (vg_config_node_type(seq) != VG_CONFIG_SEQ) {
        return vg_config_err(err, seq, VG_E_PARSE, "'allow-rules' must be a list");
    }
    for (size_t i = 0; i < vg_config_node_len(seq); i++) {
        const struct vg_config_node *item = vg_config_seq_at(seq, i);
        if (*n >= VG_SECRET_MAX_RULES) {
            return vg_config_err(err, item, VG_E_LIMIT, "more than %u allow rules",
                                 VG_SECRET_MAX_RULES);
        }
        struct vg_secret_allow a;
        if (parse_allow(item, &a, err) < 0) {
            vg_secret_allow_dispose(&a);
            return -1;
        }
        vg_secret_grow(out, cap, *n, sizeof(**out));
        (*out)[(*n)++] = a;
    }
    return 0;
}

struct kw_ctx {
    struct vg_secret_engine *e;
    struct vg_secret_rule *r;
};

static int
add_kw(void *ctx, const struct vg_config_node *n, const char *s, size_t len, struct vg_err **err)
{
    struct kw_ctx *k = ctx;
    if (k->r->nkw >= VG_SECRET_MAX_KEYWORDS_PER_RULE) {
        return vg_config_err(err, n, VG_E_LIMIT, "more than %d keywords",
                             VG_SECRET_MAX_KEYWORDS_PER_RULE);
    }
    if (len == 0 || k->e->nkeywords >= VG_SECRET_MAX_KEYWORDS) {
        return vg_config_err(err, n, VG_E_PARSE, "empty keyword or too many keywords");
    }
    k->r->kw[k->r->nkw++] = vg_secret_engine_keyword(k->e, s, len);
    return 0;
}

static int
parse_rule_fields(struct vg_secret_engine *e, const struct vg_config_node *n,
                  struct vg_secret_rule *r, struct vg_err **err)
{
    vg_autofree char *regex = NULL;
    vg_autofree char *path = NULL;
    vg_autofree char *group = NULL;
    vg_autofree char *sev = NULL;
    if (get_str(n, "category", &r->category, err) < 0 || get_str(n, "title", &r->title, err) < 0 ||
        get_str(n, "regex", &regex, err) < 0 || get_str(n, "path", &path, err) < 0 ||
        get_str(n, "secret-group-name", &group, err) < 0 || get_str(n, "severity", &sev, err) < 0) {
        return -1;
    }
    if (!regex) {
        return vg_config_err(err, n, VG_E_PARSE, "missing 'regex'");
    }
    r->severity = VG_SCAN_SEV_UNKNOWN;
    if (sev) {
        for (char *p = sev; *p; p++) {
            *p = (char)toupper((unsigned char)*p);
        }
        if (!vg_scan_severity_parse(sev, &r->severity)) {
            return vg_config_err(err, vg_config_map_get(n, "severity"), VG_E_PARSE,
                                 "invalid severity '%s'", sev);
        }
    }
    if (vg_secret_regex_compile(&r->re, regex, group, err) < 0) {
        return wrap_at(err, vg_config_map_get(n, "regex"));
    }
    if (path && vg_secret_regex_compile(&r->path, path, "", err) < 0) {
        return wrap_at(err, vg_config_map_get(n, "path"));
    }
    struct kw_ctx k = {e, r};
    if (each_str(n, "keywords", add_kw, &k, err) < 0) {
        return -1;
    }
    size_t allows_cap = 0;
    return parse_allow_list(n, &r->allows, &r->nallows, &allows_cap, err);
}

static int
parse_rule(struct vg_secret_engine *e, const struct vg_config_node *n, struct vg_err **err)
{
    struct vg_secret_rule r = {0};
    if (vg_config_node_type(n) != VG_CONFIG_MAP) {
        return vg_config_err(err, n, VG_E_PARSE, "rule must be a mapping");
    }
    if (get_str(n, "id", &r.id, err) < 0) {
        return -1;
    }
    if (!r.id || !*r.id) {
        vg_secret_rule_dispose(&r);
        return vg_config_err(err, n, VG_E_PARSE, "rule without an id");
    }
    unsigned line = vg_config_node_line(vg_config_map_get(n, "id"));
    if (parse_rule_fields(e, n, &r, err) < 0) {
        vg_err_wrap(err, "rule %s (line %u)", r.id, line);
        vg_secret_rule_dispose(&r);
        return -1;
    }
    r.whole = true; /* custom regexes may span lines, as in Trivy */
    if (!r.category) {
        r.category = vg_strdup("Custom");
    }
    if (!r.title) {
        r.title = vg_strdup(r.id);
    }
    vg_secret_grow(&e->rules, &e->rules_cap, e->nrules, sizeof(*e->rules));
    e->rules[e->nrules++] = r;
    return 0;
}

/* ---------------------------------------------------------------- id lists */

struct id_list {
    char **ids;
    size_t n;
};

static int
add_id(void *ctx, const struct vg_config_node *n, const char *s, size_t len, struct vg_err **err)
{
    struct id_list *l = ctx;
    if (l->n >= VG_SECRET_MAX_RULES) {
        return vg_config_err(err, n, VG_E_LIMIT, "more than %u ids", VG_SECRET_MAX_RULES);
    }
    VG_ARRAY_GROW(l->ids, l->n, 1);
    l->ids[l->n++] = vg_strndup(s, len);
    return 0;
}

static bool
in_list(const struct id_list *l, const char *id)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->ids[i], id) == 0) {
            return true;
        }
    }
    return false;
}

static void
id_list_dispose(struct id_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->ids[i]);
    }
    free(l->ids);
}

/* Drops rules: built-in ones (index < nbuiltin) not in `enable` when it is non-empty, and any
 * in `disable`. */
static void
filter_rules(struct vg_secret_engine *e, size_t nbuiltin, const struct id_list *enable,
             const struct id_list *disable)
{
    size_t w = 0;
    for (size_t i = 0; i < e->nrules; i++) {
        bool drop = (i < nbuiltin && enable->n && !in_list(enable, e->rules[i].id)) ||
                    in_list(disable, e->rules[i].id);
        if (drop) {
            vg_secret_rule_dispose(&e->rules[i]);
        } else {
            e->rules[w++] = e->rules[i];
        }
    }
    e->nrules = w;
}

static void
filter_allows(struct vg_secret_engine *e, const struct id_list *disable)
{
    size_t w = 0;
    for (size_t i = 0; i < e->nallows; i++) {
        if (in_list(disable, e->allows[i].id)) {
            vg_secret_allow_dispose(&e->allows[i]);
        } else {
            e->allows[w++] = e->allows[i];
        }
    }
    e->nallows = w;
}

static int
add_exclude(void *ctx, const struct vg_config_node *n, const char *s, size_t len,
            struct vg_err **err)
{
    struct vg_secret_engine *e = ctx;
    vg_autofree char *pat = vg_strndup(s, len);
    struct vg_secret_re re;
    if (e->nexcludes >= VG_SECRET_MAX_RULES) {
        return vg_config_err(err, n, VG_E_LIMIT, "too many exclude-block regexes");
    }
    if (vg_secret_regex_compile(&re, pat, "", err) < 0) {
        wrap_at(err, n);
        return vg_err_wrap(err, "exclude-block");
    }
    vg_secret_grow(&e->excludes, &e->excludes_cap, e->nexcludes, sizeof(*e->excludes));
    e->excludes[e->nexcludes++] = re;
    return 0;
}

static int
apply_rules(struct vg_secret_engine *e, const struct vg_config_node *root, struct vg_err **err)
{
    const struct vg_config_node *rules = vg_config_map_get(root, "rules");
    if (!rules) {
        return 0;
    }
    if (vg_config_node_type(rules) != VG_CONFIG_SEQ) {
        return vg_config_err(err, rules, VG_E_PARSE, "'rules' must be a list");
    }
    for (size_t i = 0; i < vg_config_node_len(rules); i++) {
        const struct vg_config_node *item = vg_config_seq_at(rules, i);
        if (e->nrules >= VG_SECRET_MAX_RULES) {
            return vg_config_err(err, item, VG_E_LIMIT, "more than %u rules", VG_SECRET_MAX_RULES);
        }
        if (parse_rule(e, item, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
apply_root(struct vg_secret_engine *e, const struct vg_config_node *root, struct vg_err **err)
{
    size_t nbuiltin = e->nrules;
    if (apply_rules(e, root, err) < 0 ||
        parse_allow_list(root, &e->allows, &e->nallows, &e->allows_cap, err) < 0) {
        return -1;
    }
    const struct vg_config_node *eb = vg_config_map_get(root, "exclude-block");
    if (eb && vg_config_node_type(eb) != VG_CONFIG_MAP) {
        return vg_config_err(err, eb, VG_E_PARSE, "'exclude-block' must be a mapping");
    }
    if (eb && each_str(eb, "regexes", add_exclude, e, err) < 0) {
        return -1;
    }
    struct id_list enable = {0}, disable = {0}, disable_allow = {0};
    int rc = 0;
    if (each_str(root, "enable-builtin-rules", add_id, &enable, err) < 0 ||
        each_str(root, "disable-rules", add_id, &disable, err) < 0 ||
        each_str(root, "disable-allow-rules", add_id, &disable_allow, err) < 0) {
        rc = -1;
    } else {
        filter_rules(e, nbuiltin, &enable, &disable);
        filter_allows(e, &disable_allow);
    }
    id_list_dispose(&enable);
    id_list_dispose(&disable);
    id_list_dispose(&disable_allow);
    return rc;
}

int
vg_secret_config_apply(struct vg_secret_engine *e, const char *name, const char *data, size_t len,
                       struct vg_err **err)
{
    struct vg_config_limits lim = VG_CONFIG_LIMITS_INIT;
    lim.max_bytes = VG_SECRET_MAX_CONFIG_BYTES;
    struct vg_config_doc *doc = NULL;
    if (vg_config_load_buf(&doc, name, data, len, &lim, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    /* Only the first document counts, as with Trivy's yaml.Unmarshal; an empty one is no
     * configuration at all. */
    const struct vg_config_node *root = vg_config_doc_root(doc, 0);
    size_t rootlen = 0;
    int rc = 0;
    if (root && vg_config_node_is_null(root) && vg_config_node_scalar(root, &rootlen) &&
        rootlen == 0) {
        rc = 0;
    } else if (root && vg_config_node_type(root) != VG_CONFIG_MAP) {
        rc = vg_config_err(err, root, VG_E_PARSE, "top level must be a mapping");
    } else if (root) {
        rc = apply_root(e, root, err);
    }
    vg_config_doc_free(doc);
    return rc < 0 ? -(int)VG_E_PARSE : 0;
}
