/* SPDX-License-Identifier: Apache-2.0
 *
 * OpenVEX (https://github.com/openvex/spec) parsing and lookup. A document is a list of
 * statements: a vulnerability (name plus aliases; v0.0.1's plain string form is accepted), the
 * products it is about (purls or image references, each optionally with subcomponents — we
 * flatten the hierarchy: a statement applies to every listed product and subcomponent), a
 * status (not_affected, fixed, affected, under_investigation) and, for not_affected, a
 * justification. Parsed into plain structs so callers never see jansson; the parsed document is
 * immutable and safe to share between threads.
 */
#include <string.h>

#include "scan/scan.h"

struct vex_stmt {
    char **vulns; /* name first, then aliases */
    size_t nvulns;
    char **products; /* products and subcomponents, flattened */
    size_t nproducts;
    enum vg_vex_status status;
    char *justification; /* justification, else impact statement, else status name */
};

struct vg_vex {
    struct vex_stmt *st;
    size_t n;
};

static const char *const status_names[] = {NULL, "not_affected", "fixed", "affected",
                                           "under_investigation"};

static void
stmt_dispose(struct vex_stmt *s)
{
    vg_strv_free(s->vulns, s->nvulns);
    vg_strv_free(s->products, s->nproducts);
    free(s->justification);
}

/* A product is a string (v0.0.1) or an object with "@id" and optional "subcomponents". */
static int
add_product(struct vex_stmt *s, json_t *p, size_t depth, struct vg_err **err)
{
    const char *id = json_is_string(p) ? json_string_value(p) : vg_json_str(p, "@id");
    if (!id || !*id) {
        return vg_err_set(err, VG_E_PARSE, "product without @id");
    }
    vg_strv_push(&s->products, &s->nproducts, id);
    json_t *subs = json_is_object(p) ? vg_json_arr(p, "subcomponents") : NULL;
    size_t i;
    json_t *sub;
    if (subs && depth > 0) {
        return vg_err_set(err, VG_E_PARSE, "subcomponents nested too deep");
    }
    json_array_foreach (subs, i, sub) {
        if (add_product(s, sub, depth + 1, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
parse_vuln(struct vex_stmt *s, json_t *v, struct vg_err **err)
{
    const char *name = json_is_string(v) ? json_string_value(v) : vg_json_str(v, "name");
    if (!name || !*name) {
        return vg_err_set(err, VG_E_PARSE, "vulnerability without a name");
    }
    vg_strv_push(&s->vulns, &s->nvulns, name);
    json_t *aliases = json_is_object(v) ? vg_json_arr(v, "aliases") : NULL;
    size_t i;
    json_t *a;
    json_array_foreach (aliases, i, a) {
        if (!json_is_string(a)) {
            return vg_err_set(err, VG_E_PARSE, "alias is not a string");
        }
        vg_strv_push(&s->vulns, &s->nvulns, json_string_value(a));
    }
    return 0;
}

static int
parse_stmt(struct vex_stmt *s, json_t *j, struct vg_err **err)
{
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "not an object");
    }
    if (parse_vuln(s, json_object_get(j, "vulnerability"), err) < 0) {
        return -1;
    }
    json_t *prods = vg_json_arr(j, "products");
    if (!prods || json_array_size(prods) == 0) {
        return vg_err_set(err, VG_E_PARSE, "no products");
    }
    size_t i;
    json_t *p;
    json_array_foreach (prods, i, p) {
        if (add_product(s, p, 0, err) < 0) {
            return -1;
        }
    }
    const char *st = vg_json_str(j, "status");
    for (size_t k = 1; st && k < VG_ARRAY_LEN(status_names); k++) {
        if (strcmp(st, status_names[k]) == 0) {
            s->status = (enum vg_vex_status)k;
        }
    }
    if (!s->status) {
        char *e = st ? vg_escape(st, strlen(st), 64) : vg_strdup("(missing)");
        vg_err_set(err, VG_E_PARSE, "unknown status '%s'", e);
        free(e);
        return -(int)VG_E_PARSE;
    }
    const char *just = vg_json_str(j, "justification");
    const char *impact = vg_json_str(j, "impact_statement");
    s->justification = vg_strdup(just ? just : impact ? impact : status_names[s->status]);
    return 0;
}

struct vg_vex *
vg_vex_parse(const void *data, size_t len, struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    if (vg_json_parse(&root, data, len, VG_VEX_MAX_BYTES, "OpenVEX document", err) < 0) {
        return NULL;
    }
    json_t *stmts = vg_json_arr(root, "statements");
    if (!stmts) {
        vg_err_set(err, VG_E_PARSE, "OpenVEX document without a statements array");
        return NULL;
    }
    if (json_array_size(stmts) > VG_VEX_MAX_STATEMENTS) {
        vg_err_set(err, VG_E_LIMIT, "OpenVEX document with more than %u statements",
                   VG_VEX_MAX_STATEMENTS);
        return NULL;
    }
    struct vg_vex *v = vg_calloc(1, sizeof(*v));
    v->st = vg_calloc(json_array_size(stmts) + 1, sizeof(*v->st));
    size_t i;
    json_t *j;
    json_array_foreach (stmts, i, j) {
        if (parse_stmt(&v->st[v->n++], j, err) < 0) {
            vg_err_wrap(err, "OpenVEX statement %zu", i);
            vg_vex_free(v);
            return NULL;
        }
    }
    return v;
}

void
vg_vex_free(struct vg_vex *v)
{
    if (!v) {
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        stmt_dispose(&v->st[i]);
    }
    free(v->st);
    free(v);
}

size_t
vg_vex_statement_count(const struct vg_vex *v)
{
    return v ? v->n : 0;
}

/* ---------------------------------------------------------------- matching */

static struct vg_str
purl_core(const char *s, struct vg_str *quals)
{
    size_t n = strcspn(s, "?#");
    *quals = VG_STR_NULL;
    if (s[n] == '?') {
        size_t q = strcspn(s + n + 1, "#");
        *quals = (struct vg_str){s + n + 1, q};
    }
    return (struct vg_str){s, n};
}

/* Every k=v qualifier of the statement's purl must be present in the candidate's. */
static bool
quals_subset(struct vg_str want, struct vg_str have)
{
    while (want.len) {
        struct vg_str one, rest;
        vg_str_cut(want, '&', &one, &rest);
        bool found = false;
        struct vg_str h = have;
        while (h.len && !found) {
            struct vg_str ho, hr;
            vg_str_cut(h, '&', &ho, &hr);
            found = vg_str_eq(ho, one);
            h = hr;
        }
        if (!found && one.len) {
            return false;
        }
        want = rest;
    }
    return true;
}

/* A statement purl without a version matches every version of the package; without
 * qualifiers it matches any qualifiers. Non-purl products (image references) match exactly. */
static bool
product_matches(const char *stmt, const char *cand)
{
    if (strcmp(stmt, cand) == 0) {
        return true;
    }
    if (strncmp(stmt, "pkg:", 4) != 0 || strncmp(cand, "pkg:", 4) != 0) {
        return false;
    }
    struct vg_str sq, cq;
    struct vg_str sc = purl_core(stmt, &sq), cc = purl_core(cand, &cq);
    if (!memchr(sc.ptr, '@', sc.len)) {
        const char *at = memchr(cc.ptr, '@', cc.len);
        if (at) {
            cc.len = (size_t)(at - cc.ptr);
        }
    }
    return vg_str_eq(sc, cc) && quals_subset(sq, cq);
}

static bool
vuln_matches(const struct vex_stmt *s, const char *id, const char *const *aliases)
{
    for (size_t i = 0; i < s->nvulns; i++) {
        if (id && strcmp(s->vulns[i], id) == 0) {
            return true;
        }
        for (size_t a = 0; aliases && aliases[a]; a++) {
            if (strcmp(s->vulns[i], aliases[a]) == 0) {
                return true;
            }
        }
    }
    return false;
}

bool
vg_vex_suppresses(const struct vg_vex *v, const char *vuln_id, const char *const *aliases,
                  const char *purl, const char **justification)
{
    const struct vex_stmt *last = NULL;
    for (size_t i = 0; v && purl && i < v->n; i++) {
        const struct vex_stmt *s = &v->st[i];
        if (!vuln_matches(s, vuln_id, aliases)) {
            continue;
        }
        for (size_t p = 0; p < s->nproducts; p++) {
            if (product_matches(s->products[p], purl)) {
                last = s;
                break;
            }
        }
    }
    bool sup = last && (last->status == VG_VEX_NOT_AFFECTED || last->status == VG_VEX_FIXED);
    if (justification) {
        *justification = sup ? last->justification : NULL;
    }
    return sup;
}
