/* SPDX-License-Identifier: Apache-2.0
 *
 * VEX documents: loading (OpenVEX here, CycloneDX VEX in vex_cdx.c) into the statement model
 * of vex_int.h, and the vulnerability-name index. OpenVEX (https://github.com/openvex/spec):
 * a statement names a vulnerability (v0.0.1: a string; v0.2: name, @id and aliases), the
 * products it is about and a status. Products are strings (v0.0.1) or objects with @id,
 * identifiers (purl, cpe) and hashes, each optionally with subcomponents; v0.0.1 lists
 * subcomponents once per statement, for all its products. The hierarchy is kept, not
 * flattened: which statement applies to which finding is decided in vex_match.c. The loaded
 * set is immutable between vg_vex_add calls and safe to share between threads.
 */
#include <string.h>

#include "scan/vex_int.h"

static const char *const status_names[] = {NULL, "not_affected", "fixed", "affected",
                                           "under_investigation"};

static void
id_dispose(struct vex_id *id)
{
    free(id->text);
    vg_purl_dispose(&id->purl);
    vg_oci_ref_free(id->ref);
}

void
vg_vex_comp_dispose(struct vex_comp *c)
{
    for (size_t i = 0; i < c->nids; i++) {
        id_dispose(&c->ids[i]);
    }
    free(c->ids);
    memset(c, 0, sizeof(*c));
}

static struct vex_id *
id_push(struct vex_comp *c, struct vg_err **err)
{
    if (c->nids == VEX_MAX_IDS) {
        vg_err_set(err, VG_E_LIMIT, "component with more than %u identifiers", VEX_MAX_IDS);
        return NULL;
    }
    VG_ARRAY_GROW(c->ids, c->nids, 1);
    struct vex_id *id = &c->ids[c->nids++];
    memset(id, 0, sizeof(*id));
    return id;
}

int
vg_vex_comp_add_id(struct vex_comp *c, const char *s, struct vg_err **err)
{
    struct vex_id *id = id_push(c, err);
    if (!id) {
        return -(int)VG_E_LIMIT;
    }
    id->text = vg_strdup(s);
    id->kind = VEX_ID_OTHER;
    struct vg_err *ignored = NULL;
    if (strncmp(s, "pkg:", 4) == 0) {
        if (vg_purl_parse(&id->purl, s, &ignored) == 0) {
            id->kind = VEX_ID_PURL;
        }
    } else if (vg_digest_valid(s)) {
        id->kind = VEX_ID_DIGEST;
    } else if (strchr(s, '/') && !strstr(s, "://") &&
               vg_oci_ref_parse(&id->ref, s, &ignored) == 0) {
        /* A bare word ("app") would normalize to docker.io/library/app:latest: only
         * references with an explicit repository path count as image names. */
        id->kind = VEX_ID_REF;
    }
    vg_err_free(&ignored);
    return 0;
}

int
vg_vex_comp_add_hash(struct vex_comp *c, const char *alg, const char *hex, struct vg_err **err)
{
    static const char *const algs[][2] = {{"sha-256", "sha256"}, {"sha-512", "sha512"}};
    vg_autofree char *d = NULL;
    for (size_t i = 0; i < VG_ARRAY_LEN(algs); i++) {
        if (strcmp(alg, algs[i][0]) == 0) {
            d = vg_fmt("%s:%s", algs[i][1], hex);
        }
    }
    if (d && vg_digest_valid(d)) {
        return vg_vex_comp_add_id(c, d, err);
    }
    struct vex_id *id = id_push(c, err);
    if (!id) {
        return -(int)VG_E_LIMIT;
    }
    id->kind = VEX_ID_OTHER; /* an unknown or malformed hash: the component never matches */
    id->text = vg_fmt("%s:%s", alg, hex);
    return 0;
}

void
vg_vex_stmt_add_vuln(struct vex_stmt *s, const char *name)
{
    vg_strv_push(&s->vulns, &s->nvulns, name);
}

static void
stmt_dispose(struct vex_stmt *s)
{
    vg_strv_free(s->vulns, s->nvulns);
    for (size_t i = 0; i < s->nprods; i++) {
        vg_vex_comp_dispose(&s->prods[i].c);
        for (size_t k = 0; k < s->prods[i].nsubs; k++) {
            vg_vex_comp_dispose(&s->prods[i].subs[k]);
        }
        free(s->prods[i].subs);
    }
    free(s->prods);
    free(s->justification);
}

struct vex_stmt *
vg_vex_stmt_push(struct vg_vex *v)
{
    v->st = vg_vec_grow(v->st, &v->cap, v->n, 1, sizeof(*v->st));
    struct vex_stmt *s = &v->st[v->n++];
    memset(s, 0, sizeof(*s));
    return s;
}

/* A component is a string (v0.0.1) or an object with @id, identifiers and hashes. */
static int
parse_comp(struct vex_comp *c, const json_t *j, struct vg_err **err)
{
    if (json_is_string(j)) {
        if (!*json_string_value(j)) {
            return vg_err_set(err, VG_E_PARSE, "empty product identifier");
        }
        return vg_vex_comp_add_id(c, json_string_value(j), err);
    }
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "product is neither a string nor an object");
    }
    const char *id = vg_json_str(j, "@id");
    if (id && *id && vg_vex_comp_add_id(c, id, err) < 0) {
        return -1;
    }
    const char *k;
    json_t *val;
    json_object_foreach ((json_t *)vg_json_obj(j, "identifiers"), k, val) {
        if (!json_is_string(val)) {
            return vg_err_set(err, VG_E_PARSE, "identifier %s is not a string",
                              strcmp(k, "purl") == 0 ? "purl" : "value");
        }
        /* CPEs name a product family, not one artifact: kept as ids that never match. */
        if (vg_vex_comp_add_id(c, json_string_value(val), err) < 0) {
            return -1;
        }
    }
    json_object_foreach ((json_t *)vg_json_obj(j, "hashes"), k, val) {
        if (!json_is_string(val)) {
            return vg_err_set(err, VG_E_PARSE, "hash is not a string");
        }
        if (vg_vex_comp_add_hash(c, k, json_string_value(val), err) < 0) {
            return -1;
        }
    }
    if (c->nids == 0) {
        return vg_err_set(err, VG_E_PARSE, "product without @id, identifiers or hashes");
    }
    return 0;
}

static int
parse_subs(struct vex_product *p, const json_t *subs, size_t *budget, struct vg_err **err)
{
    if (subs && !json_is_array(subs)) {
        return vg_err_set(err, VG_E_PARSE, "subcomponents is not an array");
    }
    size_t i;
    json_t *sub;
    json_array_foreach (subs, i, sub) {
        if (json_is_object(sub) && json_object_get(sub, "subcomponents")) {
            return vg_err_set(err, VG_E_PARSE, "subcomponents nested too deep");
        }
        if ((*budget)-- == 0) {
            return vg_err_set(err, VG_E_LIMIT, "statement with more than %u components",
                              VEX_MAX_COMPONENTS);
        }
        VG_ARRAY_GROW(p->subs, p->nsubs, 1);
        struct vex_comp *c = &p->subs[p->nsubs++];
        memset(c, 0, sizeof(*c));
        if (parse_comp(c, sub, err) < 0) {
            return vg_err_wrap(err, "subcomponent %zu", i);
        }
    }
    return 0;
}

static int
parse_vuln(struct vex_stmt *s, const json_t *v, struct vg_err **err)
{
    const char *name = json_is_string(v) ? json_string_value(v) : vg_json_str(v, "name");
    if (!name || !*name) {
        return vg_err_set(err, VG_E_PARSE, "vulnerability without a name");
    }
    vg_vex_stmt_add_vuln(s, name);
    const char *id = json_is_object(v) ? vg_json_str(v, "@id") : NULL;
    if (id && *id) {
        vg_vex_stmt_add_vuln(s, id);
    }
    json_t *aliases = json_is_object(v) ? json_object_get(v, "aliases") : NULL;
    if (aliases && !json_is_array(aliases)) {
        return vg_err_set(err, VG_E_PARSE, "aliases is not an array");
    }
    size_t i;
    json_t *a;
    json_array_foreach (aliases, i, a) {
        if (!json_is_string(a)) {
            return vg_err_set(err, VG_E_PARSE, "alias is not a string");
        }
        vg_vex_stmt_add_vuln(s, json_string_value(a));
    }
    return 0;
}

static int
parse_products(struct vex_stmt *s, const json_t *j, struct vg_err **err)
{
    json_t *prods = json_object_get(j, "products");
    if (!json_is_array(prods) || json_array_size(prods) == 0) {
        return vg_err_set(err, VG_E_PARSE, "no products");
    }
    json_t *stmt_subs = json_object_get(j, "subcomponents"); /* v0.0.1 */
    size_t budget = VEX_MAX_COMPONENTS;
    if (json_array_size(prods) > budget) {
        return vg_err_set(err, VG_E_LIMIT, "statement with more than %u components",
                          VEX_MAX_COMPONENTS);
    }
    s->prods = vg_calloc(json_array_size(prods), sizeof(*s->prods));
    size_t i;
    json_t *p;
    json_array_foreach (prods, i, p) {
        struct vex_product *pr = &s->prods[s->nprods++];
        budget--;
        if (parse_comp(&pr->c, p, err) < 0 ||
            parse_subs(pr, json_is_object(p) ? json_object_get(p, "subcomponents") : NULL, &budget,
                       err) < 0 ||
            parse_subs(pr, stmt_subs, &budget, err) < 0) {
            return vg_err_wrap(err, "product %zu", i);
        }
    }
    return 0;
}

static int
parse_stmt(struct vex_stmt *s, json_t *j, struct vg_err **err)
{
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "not an object");
    }
    if (parse_vuln(s, json_object_get(j, "vulnerability"), err) < 0 ||
        parse_products(s, j, err) < 0) {
        return -1;
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

static int
parse_openvex(struct vg_vex *v, const json_t *root, struct vg_err **err)
{
    json_t *stmts = vg_json_arr(root, "statements");
    if (json_array_size(stmts) > VG_VEX_MAX_STATEMENTS - v->n) {
        return vg_err_set(err, VG_E_LIMIT, "VEX documents with more than %u statements",
                          VG_VEX_MAX_STATEMENTS);
    }
    size_t i;
    json_t *j;
    json_array_foreach (stmts, i, j) {
        if (parse_stmt(vg_vex_stmt_push(v), j, err) < 0) {
            return vg_err_wrap(err, "OpenVEX statement %zu", i);
        }
    }
    return 0;
}

static int
key_cmp(const void *a, const void *b)
{
    const struct vex_key *x = a, *y = b;
    int c = strcmp(x->vuln, y->vuln);
    return c ? c : x->stmt < y->stmt ? -1 : x->stmt > y->stmt;
}

static void
index_build(struct vg_vex *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++) {
        n += v->st[i].nvulns;
    }
    free(v->keys);
    v->keys = vg_calloc(n + 1, sizeof(*v->keys));
    v->nkeys = 0;
    for (size_t i = 0; i < v->n; i++) {
        for (size_t k = 0; k < v->st[i].nvulns; k++) {
            v->keys[v->nkeys++] = (struct vex_key){v->st[i].vulns[k], i};
        }
    }
    vg_qsort(v->keys, v->nkeys, sizeof(*v->keys), key_cmp);
}

struct vg_vex *
vg_vex_new(void)
{
    return vg_calloc(1, sizeof(struct vg_vex));
}

int
vg_vex_add(struct vg_vex *v, const void *data, size_t len, struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    if (vg_json_parse(&root, data, len, VG_VEX_MAX_BYTES, "VEX document", err) < 0) {
        return -1;
    }
    size_t before = v->n;
    int rc;
    const char *fmt = vg_json_str(root, "bomFormat");
    if (fmt && strcmp(fmt, "CycloneDX") == 0) {
        rc = vg_vex_parse_cyclonedx(v, root, err);
    } else if (vg_json_arr(root, "statements")) {
        rc = parse_openvex(v, root, err);
    } else {
        rc = vg_err_set(err, VG_E_PARSE,
                        "VEX document is neither OpenVEX (statements) nor CycloneDX");
    }
    if (rc < 0) {
        while (v->n > before) {
            stmt_dispose(&v->st[--v->n]);
        }
        return rc;
    }
    index_build(v);
    return 0;
}

struct vg_vex *
vg_vex_parse(const void *data, size_t len, struct vg_err **err)
{
    struct vg_vex *v = vg_vex_new();
    if (vg_vex_add(v, data, len, err) < 0) {
        vg_vex_free(v);
        return NULL;
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
    free(v->keys);
    free(v);
}

size_t
vg_vex_statement_count(const struct vg_vex *v)
{
    return v ? v->n : 0;
}
