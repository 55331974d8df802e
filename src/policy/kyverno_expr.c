/* SPDX-License-Identifier: Apache-2.0
 *
 * Kyverno's expression side, as far as image policies use it: values over YAML nodes, the
 * JMESPath subset of `{{ }}` variables and foreach lists, value patterns (wildcards, `|`, `&`,
 * `!`, numeric comparisons) and validate.pattern anchors: `(k)` conditional, `=(k)` equality,
 * `X(k)` negation, `^(k)` existence, `<(k)` global (treated as conditional).
 * Everything is bounded by the document (config/ limits) and by VG_POLICY_IMAGE_MAX for
 * expressions; the wildcard matcher is linear.
 */
#include "kyverno_int.h"

#include "config/config.h"

#include <string.h>

/* ---------------------------------------------------------------- arena and values */

void *
vg_ky_alloc(struct ky_arena *a, size_t n)
{
    void *p = vg_calloc(1, n ? n : 1);
    vg_vec_push(&a->blocks, p);
    return p;
}

char *
vg_ky_strdup(struct ky_arena *a, const char *s)
{
    char *d = vg_strdup(s ? s : "");
    vg_vec_push(&a->blocks, d);
    return d;
}

void
vg_ky_arena_dispose(struct ky_arena *a)
{
    for (size_t i = 0; i < a->blocks.n; i++) {
        free(a->blocks.v[i]);
    }
    vg_vec_dispose(&a->blocks);
}

struct ky_val *
vg_ky_node(struct ky_arena *a, const struct vg_config_node *n)
{
    struct ky_val *v = vg_ky_alloc(a, sizeof(*v));
    v->node = n;
    return v;
}

struct ky_val *
vg_ky_str(struct ky_arena *a, const char *s)
{
    struct ky_val *v = vg_ky_alloc(a, sizeof(*v));
    v->t = s ? KY_STR : KY_NULL;
    v->s = s;
    return v;
}

struct ky_val *
vg_ky_list(struct ky_arena *a)
{
    struct ky_val *v = vg_ky_alloc(a, sizeof(*v));
    v->t = KY_LIST;
    return v;
}

struct ky_val *
vg_ky_map(struct ky_arena *a)
{
    struct ky_val *v = vg_ky_alloc(a, sizeof(*v));
    v->t = KY_MAP;
    return v;
}

/* Built lists and maps grow by doubling; their arrays are arena blocks, replaced on growth. */
static void
grow(struct ky_arena *a, struct ky_val *v)
{
    size_t n = v->n;
    if (n == 0 || (n & (n - 1)) == 0) {
        size_t cap = n ? n * 2 : 4;
        struct ky_val **items = vg_ky_alloc(a, cap * sizeof(*items));
        const char **keys = vg_ky_alloc(a, cap * sizeof(*keys));
        if (n) {
            memcpy(items, v->items, n * sizeof(*items));
            memcpy(keys, v->keys, n * sizeof(*keys));
        }
        v->items = items;
        v->keys = keys;
    }
}

void
vg_ky_push(struct ky_arena *a, struct ky_val *list, struct ky_val *item)
{
    grow(a, list);
    list->items[list->n++] = item;
}

void
vg_ky_set(struct ky_arena *a, struct ky_val *map, const char *key, struct ky_val *v)
{
    grow(a, map);
    map->keys[map->n] = key;
    map->items[map->n++] = v;
}

enum ky_type
vg_ky_type(const struct ky_val *v)
{
    if (!v) {
        return KY_NULL;
    }
    if (!v->node) {
        return v->t;
    }
    switch (vg_config_node_type(v->node)) {
    case VG_CONFIG_MAP:
        return KY_MAP;
    case VG_CONFIG_SEQ:
        return KY_LIST;
    default:
        return vg_config_node_is_null(v->node) ? KY_NULL : KY_STR;
    }
}

const char *
vg_ky_text(const struct ky_val *v)
{
    if (vg_ky_type(v) != KY_STR) {
        return NULL;
    }
    return v->node ? vg_config_node_scalar(v->node, NULL) : v->s;
}

size_t
vg_ky_len(const struct ky_val *v)
{
    enum ky_type t = vg_ky_type(v);
    if (t != KY_LIST && t != KY_MAP) {
        return 0;
    }
    return v->node ? vg_config_node_len(v->node) : v->n;
}

struct ky_val *
vg_ky_at(struct ky_arena *a, const struct ky_val *v, size_t i)
{
    if (i >= vg_ky_len(v)) {
        return NULL;
    }
    if (!v->node) {
        return v->items[i];
    }
    return vg_ky_node(a, vg_ky_type(v) == KY_LIST ? vg_config_seq_at(v->node, i)
                                                  : vg_config_map_value(v->node, i));
}

const char *
vg_ky_key(const struct ky_val *v, size_t i)
{
    if (vg_ky_type(v) != KY_MAP || i >= vg_ky_len(v)) {
        return NULL;
    }
    return v->node ? vg_config_node_scalar(vg_config_map_key(v->node, i), NULL) : v->keys[i];
}

struct ky_val *
vg_ky_get(struct ky_arena *a, const struct ky_val *v, const char *key)
{
    if (vg_ky_type(v) != KY_MAP) {
        return NULL;
    }
    if (v->node) {
        const struct vg_config_node *n = vg_config_map_get(v->node, key);
        return n ? vg_ky_node(a, n) : NULL;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->keys[i], key) == 0) {
            return v->items[i];
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- JMESPath subset */

enum tok_kind { T_IDENT, T_DOT, T_STAR, T_FLATTEN, T_LSTAR, T_INDEX, T_MULTI };

struct tok {
    enum tok_kind k;
    char *text; /* T_IDENT name; T_MULTI the inner text */
    long index; /* T_INDEX */
};

struct toks {
    struct tok *v;
    size_t n;
};

static void
toks_free(struct toks *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].text);
    }
    free(t->v);
}

static bool
ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Tokenizes expr; NULL on success, else why. */
static const char *
tokenize(const char *expr, struct toks *out)
{
    const char *p = expr;
    if (strlen(expr) > VG_POLICY_IMAGE_MAX) {
        return "expression too long";
    }
    while (*p) {
        struct tok t = {0};
        if (*p == ' ') {
            p++;
            continue;
        }
        if (ident_char(*p)) {
            const char *s = p;
            while (ident_char(*p)) {
                p++;
            }
            t.k = T_IDENT;
            t.text = vg_strndup(s, (size_t)(p - s));
        } else if (*p == '.') {
            t.k = T_DOT;
            p++;
        } else if (*p == '*') {
            t.k = T_STAR;
            p++;
        } else if (*p == '[') {
            const char *close = strchr(p, ']');
            if (!close) {
                return "unbalanced '['";
            }
            struct vg_str in = {p + 1, (size_t)(close - p - 1)};
            while (in.len && in.ptr[0] == ' ') {
                in.ptr++, in.len--;
            }
            if (in.len == 0) {
                t.k = T_FLATTEN;
            } else if (in.len == 1 && in.ptr[0] == '*') {
                t.k = T_LSTAR;
            } else if ((in.ptr[0] >= '0' && in.ptr[0] <= '9') || in.ptr[0] == '-') {
                t.k = T_INDEX;
                long sign = in.ptr[0] == '-' ? -1 : 1;
                size_t i = in.ptr[0] == '-' ? 1 : 0;
                for (; i < in.len && in.ptr[i] >= '0' && in.ptr[i] <= '9' && t.index < 100000;
                     i++) {
                    t.index = t.index * 10 + (in.ptr[i] - '0');
                }
                if (i != in.len) {
                    return "unsupported index";
                }
                t.index *= sign;
            } else {
                for (size_t i = 0; i < in.len; i++) {
                    if (!ident_char(in.ptr[i]) && in.ptr[i] != ',' && in.ptr[i] != ' ' &&
                        in.ptr[i] != '.') {
                        return "unsupported bracket expression (filters and functions are not "
                               "evaluated)";
                    }
                }
                t.k = T_MULTI;
                t.text = vg_str_dup(in);
            }
            p = close + 1;
        } else {
            return "unsupported JMESPath syntax (functions, filters, pipes and literals are not "
                   "evaluated)";
        }
        VG_ARRAY_PUSH(out->v, out->n, t);
    }
    if (out->n == 0) {
        return "empty expression";
    }
    return NULL;
}

const char *
vg_ky_jp_check(const char *expr)
{
    struct toks t = {0};
    const char *why = tokenize(expr, &t);
    toks_free(&t);
    return why;
}

static struct ky_val *eval_range(struct ky_arena *a, const struct toks *t, size_t i, size_t end,
                                 const struct ky_val *v);

static size_t
next_flatten(const struct toks *t, size_t i, size_t end)
{
    while (i < end && t->v[i].k != T_FLATTEN) {
        i++;
    }
    return i;
}

/* Applies t[i..end) to each element of list; nulls dropped. */
static struct ky_val *
project(struct ky_arena *a, const struct toks *t, size_t i, size_t end, const struct ky_val *list)
{
    struct ky_val *out = vg_ky_list(a);
    for (size_t k = 0; k < vg_ky_len(list); k++) {
        struct ky_val *r = eval_range(a, t, i, end, vg_ky_at(a, list, k));
        if (vg_ky_type(r) != KY_NULL) {
            vg_ky_push(a, out, r);
        }
    }
    return out;
}

static struct ky_val *
values_of(struct ky_arena *a, const struct ky_val *map)
{
    struct ky_val *out = vg_ky_list(a);
    for (size_t k = 0; k < vg_ky_len(map); k++) {
        vg_ky_push(a, out, vg_ky_at(a, map, k));
    }
    return out;
}

static struct ky_val *
flatten(struct ky_arena *a, const struct ky_val *v)
{
    struct ky_val *out = vg_ky_list(a);
    for (size_t k = 0; k < vg_ky_len(v); k++) {
        struct ky_val *e = vg_ky_at(a, v, k);
        if (vg_ky_type(e) == KY_LIST) {
            for (size_t j = 0; j < vg_ky_len(e); j++) {
                vg_ky_push(a, out, vg_ky_at(a, e, j));
            }
        } else if (vg_ky_type(e) != KY_NULL) {
            vg_ky_push(a, out, e);
        }
    }
    return out;
}

static struct ky_val *
multiselect(struct ky_arena *a, const char *inner, const struct ky_val *v)
{
    struct ky_val *out = vg_ky_list(a);
    char *copy = vg_strdup(inner);
    char *save = copy;
    for (char *part = copy; part; part = save) {
        char *comma = strchr(part, ',');
        if (comma) {
            *comma = '\0';
            save = comma + 1;
        } else {
            save = NULL;
        }
        vg_ky_push(a, out, vg_ky_jp_eval(a, part, v));
    }
    free(copy);
    return out;
}

static struct ky_val *
eval_range(struct ky_arena *a, const struct toks *t, size_t i, size_t end, const struct ky_val *v)
{
    struct ky_val *cur = (struct ky_val *)(uintptr_t)v;
    while (i < end) {
        const struct tok *k = &t->v[i];
        if (k->k == T_DOT) {
            i++;
            continue;
        }
        if (k->k == T_IDENT) {
            cur = vg_ky_get(a, cur, k->text);
            i++;
        } else if (k->k == T_INDEX) {
            long n = (long)vg_ky_len(cur);
            long idx = k->index < 0 ? n + k->index : k->index;
            cur = vg_ky_type(cur) == KY_LIST && idx >= 0 && idx < n ? vg_ky_at(a, cur, (size_t)idx)
                                                                    : NULL;
            i++;
        } else if (k->k == T_MULTI) {
            cur = vg_ky_type(cur) == KY_NULL ? NULL : multiselect(a, k->text, cur);
            i++;
        } else {
            /* A projection: its right-hand side runs to the next flatten. */
            struct ky_val *base = NULL;
            if (k->k == T_FLATTEN) {
                base = vg_ky_type(cur) == KY_LIST ? flatten(a, cur) : NULL;
            } else if (k->k == T_STAR) {
                base = vg_ky_type(cur) == KY_MAP ? values_of(a, cur) : NULL;
            } else {
                base = vg_ky_type(cur) == KY_LIST ? cur : NULL;
            }
            if (!base) {
                return NULL;
            }
            size_t stop = next_flatten(t, i + 1, end);
            cur = project(a, t, i + 1, stop, base);
            i = stop;
        }
        if (vg_ky_type(cur) == KY_NULL) {
            return NULL;
        }
    }
    return cur;
}

struct ky_val *
vg_ky_jp_eval(struct ky_arena *a, const char *expr, const struct ky_val *root)
{
    struct toks t = {0};
    struct ky_val *r = NULL;
    if (!tokenize(expr, &t)) {
        r = eval_range(a, &t, 0, t.n, root);
    }
    toks_free(&t);
    return r;
}

/* ---------------------------------------------------------------- variables */

static const char *
next_var(const char *s, struct vg_str *expr, const char **after)
{
    const char *open = strstr(s, "{{");
    if (!open) {
        return NULL;
    }
    const char *close = strstr(open + 2, "}}");
    if (!close) {
        return NULL;
    }
    struct vg_str e = {open + 2, (size_t)(close - open - 2)};
    while (e.len && e.ptr[0] == ' ') {
        e.ptr++, e.len--;
    }
    while (e.len && e.ptr[e.len - 1] == ' ') {
        e.len--;
    }
    *expr = e;
    *after = close + 2;
    return open;
}

const char *
vg_ky_subst_check(const char *s)
{
    struct vg_str e;
    const char *after = NULL;
    for (const char *p = s; p && next_var(p, &e, &after); p = after) {
        char *x = vg_str_dup(e);
        const char *why = vg_ky_jp_check(x);
        free(x);
        if (why) {
            return why;
        }
    }
    if (strstr(s, "{{") && !strstr(s, "}}")) {
        return "unterminated '{{'";
    }
    return NULL;
}

struct ky_val *
vg_ky_subst(struct ky_arena *a, const char *s, const struct ky_val *ctx, bool *ok)
{
    struct vg_str e;
    const char *after = NULL;
    const char *open = next_var(s, &e, &after);
    if (!open) {
        return vg_ky_str(a, s);
    }
    if (open == s && *after == '\0') {
        char *x = vg_str_dup(e);
        struct ky_val *v = vg_ky_jp_eval(a, x, ctx);
        free(x);
        return v;
    }
    struct vg_buf b = VG_BUF_INIT(VG_POLICY_IMAGE_MAX);
    struct vg_err *err = NULL;
    const char *p = s;
    while (p && (open = next_var(p, &e, &after))) {
        char *x = vg_str_dup(e);
        const char *text = vg_ky_text(vg_ky_jp_eval(a, x, ctx));
        free(x);
        if (vg_buf_append(&b, p, (size_t)(open - p), &err) < 0 ||
            vg_buf_append_str(&b, text ? text : "", &err) < 0) {
            vg_err_free(&err);
            *ok = false;
            break;
        }
        p = after;
    }
    if (p && vg_buf_append_str(&b, p, &err) < 0) {
        vg_err_free(&err);
        *ok = false;
    }
    char *out = vg_ky_strdup(a, vg_buf_cstr(&b));
    vg_buf_dispose(&b);
    return vg_ky_str(a, out);
}

/* ---------------------------------------------------------------- value patterns */

static bool
parse_num(const char *s, long long *out)
{
    bool neg = *s == '-';
    if (neg) {
        s++;
    }
    if (!*s) {
        return false;
    }
    long long n = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || n > 100000000000LL) {
            return false;
        }
        n = n * 10 + (*s - '0');
    }
    *out = neg ? -n : n;
    return true;
}

static bool
one_match(const char *p, const char *v)
{
    while (*p == ' ') {
        p++;
    }
    if (*p == '!') {
        return !one_match(p + 1, v);
    }
    long long a = 0, b = 0;
    if ((p[0] == '>' || p[0] == '<') && parse_num(v, &b)) {
        bool eq = p[1] == '=';
        if (parse_num(p + (eq ? 2 : 1), &a)) {
            return p[0] == '>' ? (eq ? b >= a : b > a) : (eq ? b <= a : b < a);
        }
    }
    return vg_policy_wildcard_match(p, v);
}

bool
vg_ky_value_match(const char *pattern, const char *value)
{
    /* `|` binds loosest, then `&`; spaces around the operators are ignored. */
    char *copy = vg_strdup(pattern);
    bool any = false;
    char *save_or = copy;
    for (char *alt = copy; alt && !any; alt = save_or) {
        char *bar = strchr(alt, '|');
        if (bar) {
            *bar = '\0';
            save_or = bar + 1;
        } else {
            save_or = NULL;
        }
        bool all = true;
        char *save_and = alt;
        for (char *part = alt; part && all; part = save_and) {
            char *amp = strchr(part, '&');
            if (amp) {
                *amp = '\0';
                save_and = amp + 1;
            } else {
                save_and = NULL;
            }
            size_t n = strlen(part);
            while (n && part[n - 1] == ' ') {
                part[--n] = '\0';
            }
            all = one_match(part, value);
        }
        any = all;
    }
    free(copy);
    return any;
}

/* ---------------------------------------------------------------- validate.pattern */

enum anchor { A_NONE, A_COND, A_EQUAL, A_NEG, A_EXIST, A_GLOBAL, A_ADD };

static enum anchor
anchor_of(const char *key, struct vg_str *name)
{
    size_t n = strlen(key);
    *name = (struct vg_str){key, n};
    if (n < 2 || key[n - 1] != ')') {
        return A_NONE;
    }
    static const struct {
        const char *prefix;
        enum anchor a;
    } kinds[] = {{"=(", A_EQUAL},  {"X(", A_NEG}, {"^(", A_EXIST},
                 {"<(", A_GLOBAL}, {"+(", A_ADD}, {"(", A_COND}};
    for (size_t i = 0; i < VG_ARRAY_LEN(kinds); i++) {
        size_t pl = strlen(kinds[i].prefix);
        if (n > pl && strncmp(key, kinds[i].prefix, pl) == 0) {
            *name = (struct vg_str){key + pl, n - pl - 1};
            return kinds[i].a;
        }
    }
    return A_NONE;
}

int
vg_ky_pattern_check(const struct vg_config_node *p, struct vg_err **err)
{
    if (vg_config_node_type(p) == VG_CONFIG_SEQ) {
        for (size_t i = 0; i < vg_config_node_len(p); i++) {
            if (vg_ky_pattern_check(vg_config_seq_at(p, i), err) < 0) {
                return -(int)VG_E_PARSE;
            }
        }
        return 0;
    }
    if (vg_config_node_type(p) == VG_CONFIG_SCALAR) {
        const char *s = vg_config_node_scalar(p, NULL);
        if (s && strstr(s, "{{")) {
            return vg_config_err(err, p, VG_E_UNSUPPORTED,
                                 "Kyverno variables inside validate patterns are not evaluated "
                                 "by vigil (refused, not allowed)");
        }
        return 0;
    }
    for (size_t i = 0; i < vg_config_node_len(p); i++) {
        const struct vg_config_node *k = vg_config_map_key(p, i);
        struct vg_str name;
        enum anchor an = anchor_of(vg_config_node_scalar(k, NULL), &name);
        if (an == A_ADD) {
            return vg_config_err(err, k, VG_E_UNSUPPORTED,
                                 "add-if-not-present anchors belong to mutate rules");
        }
        const struct vg_config_node *v = vg_config_map_value(p, i);
        if (an == A_EXIST &&
            (vg_config_node_type(v) != VG_CONFIG_SEQ || vg_config_node_len(v) != 1)) {
            return vg_config_err(err, k, VG_E_PARSE,
                                 "an existence anchor ^(...) needs a one-element list");
        }
        if (vg_ky_pattern_check(vg_config_map_value(p, i), err) < 0) {
            return -(int)VG_E_PARSE;
        }
    }
    return 0;
}

static enum ky_result match_value(struct ky_arena *a, const struct vg_config_node *p,
                                  const struct ky_val *v, const char *path, const char **why);

static enum ky_result
match_list(struct ky_arena *a, const struct vg_config_node *p, const struct ky_val *v,
           const char *path, const char **why)
{
    if (vg_ky_type(v) != KY_LIST) {
        *why = vg_fmt("%s: expected a list", path);
        vg_vec_push(&a->blocks, (void *)(uintptr_t)*why);
        return KY_FAIL;
    }
    const struct vg_config_node *elem = vg_config_seq_at(p, 0);
    if (!elem) {
        return KY_PASS;
    }
    for (size_t i = 0; i < vg_ky_len(v); i++) {
        char *sub = vg_fmt("%s[%zu]", path, i);
        vg_vec_push(&a->blocks, sub);
        enum ky_result r = match_value(a, elem, vg_ky_at(a, v, i), sub, why);
        if (r == KY_FAIL) {
            return KY_FAIL;
        }
    }
    return KY_PASS;
}

static enum ky_result
match_map(struct ky_arena *a, const struct vg_config_node *p, const struct ky_val *v,
          const char *path, const char **why)
{
    if (vg_ky_type(v) != KY_MAP) {
        *why = vg_ky_strdup(a, path);
        return KY_FAIL;
    }
    /* Conditional and global anchors first: any unmet one skips this element. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < vg_config_node_len(p); i++) {
            struct vg_str name;
            enum anchor an = anchor_of(vg_config_node_scalar(vg_config_map_key(p, i), NULL), &name);
            bool cond = an == A_COND || an == A_GLOBAL;
            if (cond != (pass == 0)) {
                continue;
            }
            char *key = vg_ky_alloc(a, name.len + 1);
            memcpy(key, name.ptr, name.len);
            char *sub = vg_fmt("%s.%s", path, key);
            vg_vec_push(&a->blocks, sub);
            struct ky_val *field = vg_ky_get(a, v, key);
            const struct vg_config_node *pv = vg_config_map_value(p, i);
            enum ky_result r = KY_PASS;
            switch (an) {
            case A_COND:
            case A_GLOBAL:
                if (!field || match_value(a, pv, field, sub, why) != KY_PASS) {
                    return KY_SKIP;
                }
                break;
            case A_EQUAL:
                r = field ? match_value(a, pv, field, sub, why) : KY_PASS;
                break;
            case A_NEG:
                if (field) {
                    *why = vg_ky_strdup(a, sub);
                    r = KY_FAIL;
                }
                break;
            case A_EXIST: {
                r = KY_FAIL;
                for (size_t k = 0; field && k < vg_ky_len(field) && r == KY_FAIL; k++) {
                    r = match_value(a, vg_config_seq_at(pv, 0), vg_ky_at(a, field, k), sub, why) ==
                                KY_PASS
                            ? KY_PASS
                            : KY_FAIL;
                }
                break;
            }
            default:
                if (!field) {
                    *why = vg_fmt("%s: field is missing", sub);
                    vg_vec_push(&a->blocks, (void *)(uintptr_t)*why);
                    return KY_FAIL;
                }
                r = match_value(a, pv, field, sub, why);
                break;
            }
            if (r != KY_PASS) {
                return r;
            }
        }
    }
    return KY_PASS;
}

static enum ky_result
match_value(struct ky_arena *a, const struct vg_config_node *p, const struct ky_val *v,
            const char *path, const char **why)
{
    switch (vg_config_node_type(p)) {
    case VG_CONFIG_MAP:
        return match_map(a, p, v, path, why);
    case VG_CONFIG_SEQ:
        return match_list(a, p, v, path, why);
    default:
        break;
    }
    const char *pat = vg_config_node_scalar(p, NULL);
    const char *text = vg_ky_text(v);
    if (vg_config_node_is_null(p)) {
        return vg_ky_type(v) == KY_NULL ? KY_PASS : KY_FAIL;
    }
    if (!text) {
        text = "";
        if (vg_ky_type(v) != KY_NULL) {
            *why = vg_fmt("%s: expected a value", path);
            vg_vec_push(&a->blocks, (void *)(uintptr_t)*why);
            return KY_FAIL;
        }
    }
    if (vg_ky_value_match(pat, text)) {
        return KY_PASS;
    }
    *why = vg_fmt("%s: '%.200s' does not match '%.200s'", path, text, pat);
    vg_vec_push(&a->blocks, (void *)(uintptr_t)*why);
    return KY_FAIL;
}

enum ky_result
vg_ky_pattern(struct ky_arena *a, const struct vg_config_node *pattern, const struct ky_val *v,
              const char *path, const char **why)
{
    *why = NULL;
    return match_value(a, pattern, v, path, why);
}
