/* SPDX-License-Identifier: Apache-2.0
 *
 * Kyverno inside policy/: a value model over YAML nodes and synthesized values (the `images`
 * context, foreach elements), the JMESPath subset Kyverno image policies use, variable
 * substitution and validate.pattern matching. kyverno.c loads and evaluates rules.
 */
#ifndef VG_POLICY_KYVERNO_INT_H
#define VG_POLICY_KYVERNO_INT_H

#include "policy_int.h"

struct vg_config_node;

enum ky_type { KY_NULL = 0, KY_STR, KY_LIST, KY_MAP };

/* A value: a YAML node of a document, or one built during evaluation (owned by the arena). */
struct ky_val {
    const struct vg_config_node *node; /* when non-NULL, the value is this node */
    enum ky_type t;                    /* for built values */
    const char *s;
    struct ky_val **items; /* list items, or map values */
    const char **keys;     /* map keys */
    size_t n;
};

/* Everything built while evaluating one object; freed at once. */
struct ky_arena {
    VG_VEC(void *) blocks;
};
void vg_ky_arena_dispose(struct ky_arena *a);
void *vg_ky_alloc(struct ky_arena *a, size_t n);
char *vg_ky_strdup(struct ky_arena *a, const char *s);

struct ky_val *vg_ky_node(struct ky_arena *a, const struct vg_config_node *n);
struct ky_val *vg_ky_str(struct ky_arena *a, const char *s);
struct ky_val *vg_ky_list(struct ky_arena *a);
struct ky_val *vg_ky_map(struct ky_arena *a);
void vg_ky_push(struct ky_arena *a, struct ky_val *list, struct ky_val *item);
void vg_ky_set(struct ky_arena *a, struct ky_val *map, const char *key, struct ky_val *v);

enum ky_type vg_ky_type(const struct ky_val *v);
const char *vg_ky_text(const struct ky_val *v); /* scalar text or NULL */
size_t vg_ky_len(const struct ky_val *v);
struct ky_val *vg_ky_at(struct ky_arena *a, const struct ky_val *v, size_t i);
const char *vg_ky_key(const struct ky_val *v, size_t i);
struct ky_val *vg_ky_get(struct ky_arena *a, const struct ky_val *v, const char *key);

/* The JMESPath subset: identifiers, `.`, `.*`, `[*]`, `[]`, `[N]`, multiselect `[a, b]`.
 * ky_jp_check: NULL when expr is in the subset, else why. */
const char *vg_ky_jp_check(const char *expr);
struct ky_val *vg_ky_jp_eval(struct ky_arena *a, const char *expr, const struct ky_val *root);

/* Variable substitution: a string that is exactly "{{ expr }}" becomes the expression's value;
 * "{{ }}" inside longer text is replaced by scalar text. *ok false when an expression failed. */
struct ky_val *vg_ky_subst(struct ky_arena *a, const char *s, const struct ky_val *ctx, bool *ok);
/* NULL when every "{{ }}" of s is in the JMESPath subset. */
const char *vg_ky_subst_check(const char *s);

/* Kyverno's value patterns: `a | b` (or), `a & b` (and), `!x` (not), wildcards `*` `?`,
 * numeric comparisons `>N`, `<N`, `>=N`, `<=N`. */
bool vg_ky_value_match(const char *pattern, const char *value);

enum ky_result { KY_PASS = 0, KY_FAIL, KY_SKIP };
/* validate.pattern semantics against value v; *why describes the first failure (arena). */
enum ky_result vg_ky_pattern(struct ky_arena *a, const struct vg_config_node *pattern,
                             const struct ky_val *v, const char *path, const char **why);
/* Load-time check of a pattern: mutate-only anchors and variables refused. */
VG_NODISCARD int vg_ky_pattern_check(const struct vg_config_node *pattern, struct vg_err **err);

struct ky_rule {
    const char *name;
    const struct vg_config_node *node, *match, *exclude, *pre, *validate, *verify;
    enum vg_policy_mode mode;
    bool autogen;
};

struct ky_policy {
    struct ky_rule *rules;
    size_t nrules;
    const char *controllers; /* autogen list */
    const char *ns;          /* Policy: its namespace */
};

/* kyverno_eval.c */
int vg_ky_eval(const struct vg_policy *p, struct vg_policy_ctx *c, struct vg_err **err);

#endif
