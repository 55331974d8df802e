/* SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the admit_review fuzz target and tests/unit/admit/test_review.c: parses a body
 * both ways (vg_admit_review_parse2 once = true: straight into nodes when it can; once =
 * false: jansson, then vg_config_load_json) and compares the reviews: result and error, every
 * field, the object's containers, and request.object's nodes with their positions. NULL when
 * they agree, else a static description of the first difference.
 */
#ifndef VG_TEST_ADMIT_REVIEW_DIFF_H
#define VG_TEST_ADMIT_REVIEW_DIFF_H

#include "admit/admit.h"
#include "config_json_diff.h"

static inline bool
vg_str_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static inline const char *
vg_admit_review_diff2(const struct vg_admit_review *a, const struct vg_admit_review *b)
{
    if (a->version != b->version || !vg_str_same(a->uid, b->uid) ||
        !vg_str_same(a->kind, b->kind) || !vg_str_same(a->group, b->group) ||
        !vg_str_same(a->subresource, b->subresource) || !vg_str_same(a->namespace, b->namespace) ||
        !vg_str_same(a->name, b->name) || !vg_str_same(a->operation, b->operation) ||
        a->dry_run != b->dry_run || !vg_str_same(a->invalid, b->invalid) ||
        a->checked != b->checked || a->has_object != b->has_object) {
        return "review fields";
    }
    if (!a->has_object) {
        return NULL;
    }
    const struct vg_policy_object *x = &a->obj, *y = &b->obj;
    if (!vg_str_same(x->api_version, y->api_version) || !vg_str_same(x->kind, y->kind) ||
        !vg_str_same(x->name, y->name) || !vg_str_same(x->namespace, y->namespace) ||
        (x->podspec == NULL) != (y->podspec == NULL) ||
        (x->labels == NULL) != (y->labels == NULL) || x->ncontainers != y->ncontainers) {
        return "object fields";
    }
    for (size_t i = 0; i < x->ncontainers; i++) {
        const struct vg_policy_container *c = &x->containers[i], *d = &y->containers[i];
        if (!vg_str_same(c->field, d->field) || c->index != d->index ||
            !vg_str_same(c->name, d->name) || !vg_str_same(c->image, d->image) ||
            !vg_str_same(c->path, d->path)) {
            return "containers";
        }
    }
    return vg_config_json_node_diff(x->root, y->root);
}

static inline const char *
vg_admit_review_diff(const void *body, size_t len)
{
    struct vg_admit_review a, b;
    struct vg_err *ea = NULL, *eb = NULL;
    int ra = vg_admit_review_parse2(&a, body, len, true, &ea);
    int rb = vg_admit_review_parse2(&b, body, len, false, &eb);
    const char *diff = NULL;
    if ((ra < 0) != (rb < 0)) {
        diff = "one parse failed, the other did not";
    } else if (ra < 0) {
        char *ma = vg_err_format(ea), *mb = vg_err_format(eb);
        if (strcmp(ma, mb) != 0 || vg_err_code(ea) != vg_err_code(eb)) {
            diff = "errors differ";
        }
        free(ma);
        free(mb);
    } else {
        diff = vg_admit_review_diff2(&a, &b);
    }
    if (ra == 0) {
        vg_admit_review_dispose(&a);
    }
    if (rb == 0) {
        vg_admit_review_dispose(&b);
    }
    vg_err_free(&ea);
    vg_err_free(&eb);
    return diff;
}

#endif
