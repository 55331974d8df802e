/* SPDX-License-Identifier: Apache-2.0
 *
 * CycloneDX VEX (https://cyclonedx.org/capabilities/vex/): `vulnerabilities[]` with an `id`,
 * `references[].id` (aliases), `analysis.state` and `affects[].ref`, where a ref is the
 * bom-ref of a component in the same document. The document's `metadata.component` is the
 * product: a ref to it makes a statement about the whole artifact, a ref to any other
 * component makes that component a subcomponent of it. Without a metadata component the
 * referenced component is itself the product (a package, wherever found). Refs that cannot
 * be resolved (BOM-Links into other documents, unknown bom-refs) and `affects` entries that
 * restrict versions are skipped rather than guessed: skipping can only leave a finding
 * unsuppressed.
 */
#include <string.h>

#include "scan/vex_int.h"

#define CDX_MAX_DEPTH 32u

static const struct {
    const char *state;
    enum vg_vex_status st;
} states[] = {
    {"not_affected", VG_VEX_NOT_AFFECTED},
    {"false_positive", VG_VEX_NOT_AFFECTED},
    {"resolved", VG_VEX_FIXED},
    {"resolved_with_pedigree", VG_VEX_FIXED},
    {"exploitable", VG_VEX_AFFECTED},
    {"in_triage", VG_VEX_UNDER_INVESTIGATION},
};

struct refidx {
    struct refent {
        const char *ref;
        const json_t *comp;
    } * v;
    size_t n;
};

static int
refidx_add(struct refidx *x, const json_t *arr, unsigned depth, struct vg_err **err)
{
    if (depth > CDX_MAX_DEPTH) {
        return vg_err_set(err, VG_E_LIMIT, "components nested deeper than %u", CDX_MAX_DEPTH);
    }
    size_t i;
    json_t *c;
    json_array_foreach (arr, i, c) {
        const char *r = vg_json_str(c, "bom-ref");
        if (r) {
            VG_ARRAY_GROW(x->v, x->n, 1);
            x->v[x->n++] = (struct refent){r, c};
        }
        if (refidx_add(x, vg_json_arr(c, "components"), depth + 1, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
refent_cmp(const void *a, const void *b)
{
    return strcmp(((const struct refent *)a)->ref, ((const struct refent *)b)->ref);
}

/* The component whose bom-ref is `ref`; NULL when absent or ambiguous (bom-refs must be
 * unique: a duplicate could make one ref mean two components). */
static const json_t *
find_ref(const struct refidx *x, const char *ref)
{
    struct refent key = {ref, NULL};
    const struct refent *e = vg_bsearch(&key, x->v, x->n, sizeof(*x->v), refent_cmp);
    if (!e) {
        return NULL;
    }
    bool dup = (e > x->v && strcmp(e[-1].ref, ref) == 0) ||
               (e + 1 < x->v + x->n && strcmp(e[1].ref, ref) == 0);
    return dup ? NULL : e->comp;
}

/* Identifiers of a component: its purl and, for containers, its hashes. */
static int
comp_from(struct vex_comp *c, const json_t *j, struct vg_err **err)
{
    const char *purl = vg_json_str(j, "purl");
    if (purl && vg_vex_comp_add_id(c, purl, err) < 0) {
        return -1;
    }
    size_t i;
    json_t *h;
    json_array_foreach (vg_json_arr(j, "hashes"), i, h) {
        const char *alg = vg_json_str(h, "alg"), *content = vg_json_str(h, "content");
        if (alg && content) {
            vg_autofree char *a = vg_strdup(alg);
            for (char *p = a; *p; p++) {
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
            }
            if (vg_vex_comp_add_hash(c, a, content, err) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

static int
add_affects(struct vex_stmt *s, const json_t *root, const struct refidx *x, const json_t *aff,
            struct vg_err **err)
{
    const json_t *meta = vg_json_obj(vg_json_obj(root, "metadata"), "component");
    const char *meta_ref = meta ? vg_json_str(meta, "bom-ref") : NULL;
    size_t i;
    json_t *a;
    json_array_foreach (aff, i, a) {
        const char *ref = vg_json_str(a, "ref");
        if (!ref || json_object_get(a, "versions")) {
            continue;
        }
        const json_t *comp = meta_ref && strcmp(ref, meta_ref) == 0 ? NULL : find_ref(x, ref);
        bool whole = meta_ref && strcmp(ref, meta_ref) == 0;
        if (!whole && !comp && strncmp(ref, "pkg:", 4) != 0) {
            continue;
        }
        if (s->nprods == VEX_MAX_COMPONENTS) {
            return vg_err_set(err, VG_E_LIMIT, "more than %u affects", VEX_MAX_COMPONENTS);
        }
        VG_ARRAY_GROW(s->prods, s->nprods, 1);
        struct vex_product *p = &s->prods[s->nprods++];
        memset(p, 0, sizeof(*p));
        struct vex_comp target = {0};
        int rc = comp    ? comp_from(&target, comp, err)
                 : whole ? 0
                         : vg_vex_comp_add_id(&target, ref, err);
        if (rc < 0) {
            vg_vex_comp_dispose(&target);
            return -1;
        }
        if (meta) {
            if (comp_from(&p->c, meta, err) < 0) {
                vg_vex_comp_dispose(&target);
                return -1;
            }
            if (!whole) {
                p->subs = vg_calloc(1, sizeof(*p->subs));
                p->subs[0] = target;
                p->nsubs = 1;
            } else {
                vg_vex_comp_dispose(&target);
            }
        } else {
            p->c = target;
        }
    }
    return 0;
}

static int
parse_vuln(struct vg_vex *v, const json_t *root, const struct refidx *x, const json_t *j,
           struct vg_err **err)
{
    const json_t *an = vg_json_obj(j, "analysis");
    const char *state = vg_json_str(an, "state");
    if (!an || !state) {
        return 0; /* a listing without analysis states nothing */
    }
    enum vg_vex_status st = 0;
    for (size_t k = 0; k < VG_ARRAY_LEN(states); k++) {
        if (strcmp(state, states[k].state) == 0) {
            st = states[k].st;
        }
    }
    if (!st) {
        vg_autofree char *e = vg_escape(state, strlen(state), 64);
        return vg_err_set(err, VG_E_PARSE, "unknown analysis state '%s'", e);
    }
    const char *id = vg_json_str(j, "id");
    if (!id || !*id) {
        return vg_err_set(err, VG_E_PARSE, "vulnerability without an id");
    }
    struct vex_stmt *s = vg_vex_stmt_push(v);
    s->status = st;
    vg_vex_stmt_add_vuln(s, id);
    size_t i;
    json_t *r;
    json_array_foreach (vg_json_arr(j, "references"), i, r) {
        const char *alias = vg_json_str(r, "id");
        if (alias && *alias) {
            vg_vex_stmt_add_vuln(s, alias);
        }
    }
    const char *just = vg_json_str(an, "justification");
    const char *detail = vg_json_str(an, "detail");
    s->justification = vg_strdup(just ? just : detail ? detail : state);
    return add_affects(s, root, x, vg_json_arr(j, "affects"), err);
}

int
vg_vex_parse_cyclonedx(struct vg_vex *v, const json_t *root, struct vg_err **err)
{
    json_t *vulns = vg_json_arr(root, "vulnerabilities");
    if (!vulns) {
        return vg_err_set(err, VG_E_PARSE, "CycloneDX VEX without a vulnerabilities array");
    }
    if (json_array_size(vulns) > VG_VEX_MAX_STATEMENTS - v->n) {
        return vg_err_set(err, VG_E_LIMIT, "VEX documents with more than %u statements",
                          VG_VEX_MAX_STATEMENTS);
    }
    struct refidx x = {0};
    int rc = refidx_add(&x, vg_json_arr(root, "components"), 0, err);
    if (rc == 0 && x.n > 1) {
        vg_qsort(x.v, x.n, sizeof(*x.v), refent_cmp);
    }
    size_t i;
    json_t *j;
    json_array_foreach (vulns, i, j) {
        if (rc < 0) {
            break;
        }
        if (!json_is_object(j)) {
            rc = vg_err_set(err, VG_E_PARSE, "CycloneDX vulnerability %zu: not an object", i);
        } else if (parse_vuln(v, root, &x, j, err) < 0) {
            rc = vg_err_wrap(err, "CycloneDX vulnerability %zu", i);
        }
    }
    free(x.v);
    return rc;
}
