/* SPDX-License-Identifier: Apache-2.0
 *
 * Maven versions, ordered like org.apache.maven.artifact.versioning.ComparableVersion as
 * shipped with Maven 3.8: the lowercased string becomes a tree of items — integers, string
 * qualifiers and nested lists. '.' separates items, '-' (and every digit/letter transition)
 * opens a nested list; trailing "null" items (0, "", ga/final/release, empty lists) are
 * dropped from each list. Qualifiers rank alpha < beta < milestone < rc < snapshot < "" < sp <
 * anything else (alphabetically); "a1", "b1", "m1" mean alpha-1, beta-1, milestone-1; "cr" is
 * rc. Integers beat lists, lists beat qualifiers; a missing item compares as "null".
 */
#include "version.h"

#include <string.h>

#include "ver_int.h"

#define NONE ((size_t)-1)

enum mv_type { MV_INT, MV_STR, MV_LIST };

struct mv_node {
    enum mv_type type;
    struct vg_str s; /* INT: digits without leading zeros; STR (rank 7): the qualifier */
    int rank;        /* STR: index in the qualifier list, 7 when unknown */
    size_t first, last, prev, next;
};

struct mv_tree {
    char *low;
    struct mv_node *n;
    size_t count, cap;
    size_t *lists; /* every list, in creation order */
    size_t nlists;
};

static const char *const qualifiers[] = {"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"};
#define RANK_RELEASE 5
#define RANK_UNKNOWN 7

static size_t
node_new(struct mv_tree *t, enum mv_type type)
{
    size_t i = t->count++;
    t->n[i] =
        (struct mv_node){.type = type, .first = NONE, .last = NONE, .prev = NONE, .next = NONE};
    if (type == MV_LIST) {
        t->lists[t->nlists++] = i;
    }
    return i;
}

static void
node_add(struct mv_tree *t, size_t list, size_t item)
{
    struct mv_node *l = &t->n[list];
    t->n[item].prev = l->last;
    if (l->last != NONE) {
        t->n[l->last].next = item;
    } else {
        l->first = item;
    }
    l->last = item;
}

static size_t
item_str(struct mv_tree *t, struct vg_str v, bool followed_by_digit)
{
    size_t i = node_new(t, MV_STR);
    if (followed_by_digit && v.len == 1) {
        if (v.ptr[0] == 'a') {
            v = VG_STR("alpha");
        } else if (v.ptr[0] == 'b') {
            v = VG_STR("beta");
        } else if (v.ptr[0] == 'm') {
            v = VG_STR("milestone");
        }
    }
    if (vg_str_eq_c(v, "ga") || vg_str_eq_c(v, "final") || vg_str_eq_c(v, "release")) {
        v = VG_STR("");
    } else if (vg_str_eq_c(v, "cr")) {
        v = VG_STR("rc");
    }
    t->n[i].rank = RANK_UNKNOWN;
    for (size_t q = 0; q < VG_ARRAY_LEN(qualifiers); q++) {
        if (vg_str_eq_c(v, qualifiers[q])) {
            t->n[i].rank = (int)q;
        }
    }
    t->n[i].s = v;
    return i;
}

static size_t
item_parse(struct mv_tree *t, bool digit, struct vg_str v)
{
    if (!digit) {
        return item_str(t, v, false);
    }
    size_t i = node_new(t, MV_INT);
    while (v.len > 0 && v.ptr[0] == '0') {
        v.ptr++;
        v.len--;
    }
    t->n[i].s = v;
    return i;
}

static bool
node_is_null(const struct mv_tree *t, size_t i)
{
    const struct mv_node *n = &t->n[i];
    switch (n->type) {
    case MV_INT:
        return n->s.len == 0;
    case MV_STR:
        return n->rank == RANK_RELEASE;
    case MV_LIST:
        return n->first == NONE;
    }
    return false;
}

static void
list_normalize(struct mv_tree *t, size_t list)
{
    size_t i = t->n[list].last;
    while (i != NONE) {
        size_t prev = t->n[i].prev;
        if (node_is_null(t, i)) {
            /* unlink i */
            if (prev != NONE) {
                t->n[prev].next = t->n[i].next;
            } else {
                t->n[list].first = t->n[i].next;
            }
            if (t->n[i].next != NONE) {
                t->n[t->n[i].next].prev = prev;
            } else {
                t->n[list].last = prev;
            }
        } else if (t->n[i].type != MV_LIST) {
            break;
        }
        i = prev;
    }
}

/* Adds a fresh list to `*list` and makes it current. */
static void
push_list(struct mv_tree *t, size_t *list)
{
    size_t nl = node_new(t, MV_LIST);
    node_add(t, *list, nl);
    *list = nl;
}

static void
tree_build(struct mv_tree *t, struct vg_str in)
{
    size_t n = in.len;
    t->low = vg_malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        t->low[i] = (char)ver_tolower((unsigned char)in.ptr[i]);
    }
    t->low[n] = '\0';
    struct vg_str v = {t->low, n};
    t->cap = 3 * n + 4;
    t->n = vg_calloc(t->cap, sizeof(*t->n));
    t->lists = vg_calloc(t->cap, sizeof(*t->lists));
    size_t list = node_new(t, MV_LIST), start = 0;
    bool digit = false;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)v.ptr[i];
        if (c == '.' || c == '-') {
            node_add(t, list,
                     i == start ? item_parse(t, true, VG_STR("0"))
                                : item_parse(t, digit, vg_ver_sub(v, start, i)));
            start = i + 1;
            if (c == '-') {
                push_list(t, &list);
            }
        } else if (ver_isdigit(c)) {
            if (!digit && i > start) {
                if (t->n[list].first != NONE) {
                    push_list(t, &list);
                }
                node_add(t, list, item_str(t, vg_ver_sub(v, start, i), true));
                start = i;
                push_list(t, &list);
            }
            digit = true;
        } else {
            if (digit && i > start) {
                node_add(t, list, item_parse(t, true, vg_ver_sub(v, start, i)));
                start = i;
                push_list(t, &list);
            }
            digit = false;
        }
    }
    if (n > start) {
        if (!digit && t->n[list].first != NONE) {
            push_list(t, &list);
        }
        node_add(t, list, item_parse(t, digit, vg_ver_sub(v, start, n)));
    }
    for (size_t k = t->nlists; k > 0; k--) {
        list_normalize(t, t->lists[k - 1]);
    }
}

static void
tree_dispose(struct mv_tree *t)
{
    free(t->low);
    free(t->n);
    free(t->lists);
}

static int item_cmp(const struct mv_tree *ta, size_t a, const struct mv_tree *tb, size_t b);

static int
str_cmp(const struct mv_node *x, const struct mv_node *y)
{
    if (x->rank != y->rank) {
        return x->rank < y->rank ? -1 : 1;
    }
    return x->rank == RANK_UNKNOWN ? vg_ver_bytes_cmp(x->s, y->s) : 0;
}

static int
list_cmp_lists(const struct mv_tree *ta, size_t a, const struct mv_tree *tb, size_t b)
{
    size_t l = ta->n[a].first, r = tb->n[b].first;
    while (l != NONE || r != NONE) {
        int res = l == NONE ? -item_cmp(tb, r, ta, NONE) : item_cmp(ta, l, tb, r);
        if (res != 0) {
            return res;
        }
        l = l == NONE ? NONE : ta->n[l].next;
        r = r == NONE ? NONE : tb->n[r].next;
    }
    return 0;
}

/* ComparableVersion's Item.compareTo; b == NONE is Java's null. */
static int
item_cmp(const struct mv_tree *ta, size_t a, const struct mv_tree *tb, size_t b)
{
    const struct mv_node *x = &ta->n[a];
    const struct mv_node *y = b == NONE ? NULL : &tb->n[b];
    switch (x->type) {
    case MV_INT:
        if (!y) {
            return x->s.len == 0 ? 0 : 1;
        }
        return y->type == MV_INT ? vg_ver_digits_cmp(x->s, y->s) : 1;
    case MV_STR:
        if (!y) {
            return x->rank == RANK_RELEASE ? 0 : (x->rank < RANK_RELEASE ? -1 : 1);
        }
        return y->type == MV_STR ? str_cmp(x, y) : -1;
    case MV_LIST:
        if (!y) {
            for (size_t i = x->first; i != NONE; i = ta->n[i].next) {
                int r = item_cmp(ta, i, tb, NONE);
                if (r != 0) {
                    return r;
                }
            }
            return 0;
        }
        if (y->type == MV_INT) {
            return -1;
        }
        if (y->type == MV_STR) {
            return 1;
        }
        return list_cmp_lists(ta, a, tb, b);
    }
    return 0;
}

int
vg_ver_maven_cmp(struct vg_str a, struct vg_str b)
{
    struct mv_tree ta = {0}, tb = {0};
    tree_build(&ta, a);
    tree_build(&tb, b);
    int r = item_cmp(&ta, 0, &tb, 0);
    tree_dispose(&ta);
    tree_dispose(&tb);
    return r;
}

bool
vg_ver_maven_valid(struct vg_str v)
{
    if (v.len == 0) {
        return false;
    }
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        if (c <= ' ' || c == 0x7f) {
            return false;
        }
    }
    return true;
}
