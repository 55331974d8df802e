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
 * Every problem is VG_E_PARSE naming the key and the YAML line. The YAML is parsed with
 * libfyaml directly because the scan module must not depend on the config module's document
 * model for this one small format.
 */
#include <ctype.h>
#include <string.h>

#include <libfyaml.h>

#include "secret_int.h"

static int
node_line(struct fy_node *n)
{
    struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
    return m ? m->line + 1 : 0;
}

/* Scalar value of key in a mapping as a fresh string; NULL when absent. Non-scalars fail. */
static int
get_str(struct fy_node *map, const char *key, char **out, struct vg_err **err)
{
    *out = NULL;
    struct fy_node *v = fy_node_mapping_lookup_by_string(map, key, FY_NT);
    if (!v) {
        return 0;
    }
    size_t len = 0;
    const char *s = fy_node_is_scalar(v) ? fy_node_get_scalar(v, &len) : NULL;
    if (!s) {
        return vg_err_set(err, VG_E_PARSE, "'%s' must be a string", key);
    }
    if (memchr(s, '\0', len)) {
        return vg_err_set(err, VG_E_PARSE, "'%s' contains a NUL byte", key);
    }
    *out = vg_strndup(s, len);
    return 0;
}

/* Calls fn for every scalar in the sequence at key (absent = nothing). */
typedef int (*str_fn)(void *ctx, const char *s, size_t len, struct vg_err **err);

static int
each_str(struct fy_node *map, const char *key, str_fn fn, void *ctx, struct vg_err **err)
{
    struct fy_node *seq = fy_node_mapping_lookup_by_string(map, key, FY_NT);
    if (!seq) {
        return 0;
    }
    if (fy_node_get_type(seq) != FYNT_SEQUENCE) {
        return vg_err_set(err, VG_E_PARSE, "'%s' must be a list (line %d)", key, node_line(seq));
    }
    void *it = NULL;
    struct fy_node *item;
    while ((item = fy_node_sequence_iterate(seq, &it)) != NULL) {
        size_t len = 0;
        const char *s = fy_node_is_scalar(item) ? fy_node_get_scalar(item, &len) : NULL;
        if (!s) {
            return vg_err_set(err, VG_E_PARSE, "'%s' entries must be strings", key);
        }
        if (fn(ctx, s, len, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
parse_allow(struct fy_node *n, struct vg_secret_allow *a, struct vg_err **err)
{
    vg_autofree char *regex = NULL;
    vg_autofree char *path = NULL;
    memset(a, 0, sizeof(*a));
    if (fy_node_get_type(n) != FYNT_MAPPING) {
        return vg_err_set(err, VG_E_PARSE, "allow rule must be a mapping");
    }
    if (get_str(n, "id", &a->id, err) < 0 || get_str(n, "regex", &regex, err) < 0 ||
        get_str(n, "path", &path, err) < 0) {
        return -1;
    }
    if (!a->id || (!regex && !path)) {
        return vg_err_set(err, VG_E_PARSE, "allow rule needs an id and a regex or a path");
    }
    if ((regex && vg_secret_regex_compile(&a->regex, regex, "", err) < 0) ||
        (path && vg_secret_regex_compile(&a->path, path, "", err) < 0)) {
        return vg_err_wrap(err, "allow rule %s", a->id);
    }
    return 0;
}

static int
parse_allow_list(struct fy_node *map, struct vg_secret_allow **out, size_t *n, size_t *cap,
                 struct vg_err **err)
{
    struct fy_node *seq = fy_node_mapping_lookup_by_string(map, "allow-rules", FY_NT);
    if (!seq) {
        return 0;
    }
    if (fy_node_get_type(seq) != FYNT_SEQUENCE) {
        return vg_err_set(err, VG_E_PARSE, "'allow-rules' must be a list");
    }
    void *it = NULL;
    struct fy_node *item;
    while ((item = fy_node_sequence_iterate(seq, &it)) != NULL) {
        if (*n >= VG_SECRET_MAX_RULES) {
            return vg_err_set(err, VG_E_LIMIT, "more than %u allow rules", VG_SECRET_MAX_RULES);
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
add_kw(void *ctx, const char *s, size_t len, struct vg_err **err)
{
    struct kw_ctx *k = ctx;
    if (k->r->nkw >= VG_SECRET_MAX_KEYWORDS_PER_RULE) {
        return vg_err_set(err, VG_E_LIMIT, "more than %d keywords",
                          VG_SECRET_MAX_KEYWORDS_PER_RULE);
    }
    if (len == 0 || k->e->nkeywords >= VG_SECRET_MAX_KEYWORDS) {
        return vg_err_set(err, VG_E_PARSE, "empty keyword or too many keywords");
    }
    k->r->kw[k->r->nkw++] = vg_secret_engine_keyword(k->e, s, len);
    return 0;
}

static int
parse_rule_fields(struct vg_secret_engine *e, struct fy_node *n, struct vg_secret_rule *r,
                  struct vg_err **err)
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
        return vg_err_set(err, VG_E_PARSE, "missing 'regex'");
    }
    r->severity = VG_SCAN_SEV_UNKNOWN;
    if (sev) {
        for (char *p = sev; *p; p++) {
            *p = (char)toupper((unsigned char)*p);
        }
        if (!vg_scan_severity_parse(sev, &r->severity)) {
            return vg_err_set(err, VG_E_PARSE, "invalid severity '%s'", sev);
        }
    }
    if (vg_secret_regex_compile(&r->re, regex, group, err) < 0 ||
        (path && vg_secret_regex_compile(&r->path, path, "", err) < 0)) {
        return -1;
    }
    struct kw_ctx k = {e, r};
    if (each_str(n, "keywords", add_kw, &k, err) < 0) {
        return -1;
    }
    size_t allows_cap = 0;
    return parse_allow_list(n, &r->allows, &r->nallows, &allows_cap, err);
}

static int
parse_rule(struct vg_secret_engine *e, struct fy_node *n, struct vg_err **err)
{
    struct vg_secret_rule r = {0};
    if (fy_node_get_type(n) != FYNT_MAPPING) {
        return vg_err_set(err, VG_E_PARSE, "rule must be a mapping");
    }
    if (get_str(n, "id", &r.id, err) < 0) {
        return -1;
    }
    if (!r.id || !*r.id) {
        vg_secret_rule_dispose(&r);
        return vg_err_set(err, VG_E_PARSE, "rule without an id");
    }
    int line = node_line(fy_node_mapping_lookup_by_string(n, "id", FY_NT));
    if (parse_rule_fields(e, n, &r, err) < 0) {
        vg_err_wrap(err, "rule %s (line %d)", r.id, line);
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
add_id(void *ctx, const char *s, size_t len, struct vg_err **err)
{
    struct id_list *l = ctx;
    if (l->n >= VG_SECRET_MAX_RULES) {
        return vg_err_set(err, VG_E_LIMIT, "more than %u ids", VG_SECRET_MAX_RULES);
    }
    l->ids = vg_realloc(l->ids, (l->n + 1) * sizeof(*l->ids));
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
add_exclude(void *ctx, const char *s, size_t len, struct vg_err **err)
{
    struct vg_secret_engine *e = ctx;
    vg_autofree char *pat = vg_strndup(s, len);
    struct vg_secret_re re;
    if (e->nexcludes >= VG_SECRET_MAX_RULES) {
        return vg_err_set(err, VG_E_LIMIT, "too many exclude-block regexes");
    }
    if (vg_secret_regex_compile(&re, pat, "", err) < 0) {
        return vg_err_wrap(err, "exclude-block");
    }
    vg_secret_grow(&e->excludes, &e->excludes_cap, e->nexcludes, sizeof(*e->excludes));
    e->excludes[e->nexcludes++] = re;
    return 0;
}

static int
apply_root(struct vg_secret_engine *e, struct fy_node *root, struct vg_err **err)
{
    size_t nbuiltin = e->nrules;
    struct fy_node *rules = fy_node_mapping_lookup_by_string(root, "rules", FY_NT);
    if (rules) {
        if (fy_node_get_type(rules) != FYNT_SEQUENCE) {
            return vg_err_set(err, VG_E_PARSE, "'rules' must be a list");
        }
        void *it = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(rules, &it)) != NULL) {
            if (e->nrules >= VG_SECRET_MAX_RULES) {
                return vg_err_set(err, VG_E_LIMIT, "more than %u rules", VG_SECRET_MAX_RULES);
            }
            if (parse_rule(e, item, err) < 0) {
                return -1;
            }
        }
    }
    if (parse_allow_list(root, &e->allows, &e->nallows, &e->allows_cap, err) < 0) {
        return -1;
    }
    struct fy_node *eb = fy_node_mapping_lookup_by_string(root, "exclude-block", FY_NT);
    if (eb && (fy_node_get_type(eb) != FYNT_MAPPING ||
               each_str(eb, "regexes", add_exclude, e, err) < 0)) {
        return err && *err ? -1 : vg_err_set(err, VG_E_PARSE, "'exclude-block' must be a mapping");
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

/* libfyaml reports through a diag object; keep the first message for our error instead of
 * letting the library print to stderr. */
struct diag_capture {
    char msg[256];
};

static void
diag_out(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    struct diag_capture *c = user;
    if (c->msg[0] == '\0') {
        char *esc = vg_escape(buf, len, sizeof(c->msg) / 2);
        size_t n = strlen(esc);
        while (n > 0 && (esc[n - 1] == 'n' && n > 1 && esc[n - 2] == '\\')) {
            n -= 2;
        }
        if (n >= sizeof(c->msg)) {
            n = sizeof(c->msg) - 1;
        }
        memcpy(c->msg, esc, n);
        c->msg[n] = '\0';
        free(esc);
    }
}

int
vg_secret_config_apply(struct vg_secret_engine *e, const char *data, size_t len,
                       struct vg_err **err)
{
    if (len > VG_SECRET_MAX_CONFIG_BYTES) {
        return vg_err_set(err, VG_E_LIMIT, "larger than %u bytes", VG_SECRET_MAX_CONFIG_BYTES);
    }
    struct diag_capture cap = {{0}};
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_out;
    dcfg.user = &cap;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = diag};
    struct fy_document *doc = fy_document_build_from_string(&cfg, data, len);
    if (!doc) {
        fy_diag_destroy(diag);
        return vg_err_set(err, VG_E_PARSE, "invalid YAML: %s", cap.msg[0] ? cap.msg : "?");
    }
    struct fy_node *root = fy_document_root(doc);
    int rc = 0;
    if (root && fy_node_get_type(root) != FYNT_MAPPING) {
        rc = vg_err_set(err, VG_E_PARSE, "top level must be a mapping");
    } else if (root) {
        rc = apply_root(e, root, err);
    }
    fy_document_destroy(doc);
    fy_diag_destroy(diag);
    return rc < 0 ? -(int)VG_E_PARSE : 0;
}
