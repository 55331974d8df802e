/* SPDX-License-Identifier: Apache-2.0
 *
 * A document straight from a jansson value: the nodes vg_config_load_buf builds from the
 * value's compact JSON text (json_dumps with JSON_COMPACT), without writing that text and
 * parsing it again. Same node types and scalar styles (strings quoted; numbers, booleans and
 * null plain), same texts, positions (line 1, the column in the compact text), weights and
 * heights, same limits and messages. Values whose text a YAML reader might not take as it is
 * (a NUL, or characters outside YAML's printable set, in a string or key) take the text round
 * trip instead, so the result is always the loader's.
 *
 * Two passes over the value: the first counts nodes, kids and text bytes, walks the columns
 * and checks the limits; the second fills three blocks (nodes, kid pointers, texts) that the
 * document frees whole, instead of three allocations per node.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "config_int.h"

struct jwalk {
    const struct vg_config_limits *lim;
    const char *name; /* escaped */
    size_t col;       /* characters of the compact text before the current token */
    size_t bytes;     /* bytes of the compact text so far */
    size_t nodes, kids, text;
    bool exotic;
    char *first_err; /* the first limit crossed, in document order */
    enum vg_errc first_code;
    /* second pass */
    struct vg_config_node *nslab;
    struct vg_config_node **kslab;
    char *tslab;
    size_t nused, kused, tused;
};

/* YAML 1.2's printable set (c-printable) less what jansson escapes itself (below 0x20). */
static bool
printable(uint32_t cp)
{
    return cp == 0x85 || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) ||
           (cp >= 0xe000 && cp <= 0xfffd && cp != 0xfeff) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/* Width of s (len bytes, valid UTF-8 as jansson keeps it) quoted as jansson writes it, in
 * characters (*chars) and bytes (*bytes); false when the string is exotic (see above). */
static bool
str_width(const char *s, size_t len, size_t *chars, size_t *bytes)
{
    size_t c = 2, b = 2;
    for (size_t i = 0; i < len;) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\' || ch == '\b' || ch == '\f' || ch == '\n' || ch == '\r' ||
            ch == '\t') {
            c += 2;
            b += 2;
            i++;
            continue;
        }
        if (ch < 0x20) {
            if (ch == 0) {
                return false;
            }
            c += 6;
            b += 6;
            i++;
            continue;
        }
        size_t n = ch < 0x80 ? 1 : ch < 0xe0 ? 2 : ch < 0xf0 ? 3 : 4;
        if (n > len - i) {
            return false;
        }
        uint32_t cp = n == 1 ? ch : n == 2 ? ch & 0x1fu : n == 3 ? ch & 0x0fu : ch & 0x07u;
        for (size_t k = 1; k < n; k++) {
            cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3fu);
        }
        if (!printable(cp)) {
            return false;
        }
        c++;
        b += n;
        i += n;
    }
    *chars = c;
    *bytes = b;
    return true;
}

static void jerr(struct jwalk *w, enum vg_errc code, size_t col, const char *fmt, ...)
    VG_PRINTF(4, 5);

static void
jerr(struct jwalk *w, enum vg_errc code, size_t col, const char *fmt, ...)
{
    if (w->first_err) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vg_autofree char *msg = vg_vfmt(fmt, ap);
    va_end(ap);
    w->first_err = vg_fmt("%s:1:%zu: %s", w->name, col, msg);
    w->first_code = code;
}

static void
count_node(struct jwalk *w, size_t col)
{
    if (++w->nodes > w->lim->max_nodes) {
        jerr(w, VG_E_LIMIT, col, "more than %zu nodes (aliases count every node they stand for)",
             w->lim->max_nodes);
    }
}

/* The text of a number, boolean or null as json_dumps writes it (caller frees). */
static char *
plain_text(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        return vg_fmt("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_TRUE:
        return vg_strdup("true");
    case JSON_FALSE:
        return vg_strdup("false");
    case JSON_NULL:
        return vg_strdup("null");
    default: {
        char *s = vg_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        return s ? s : vg_strdup("null");
    }
    }
}

static void
advance(struct jwalk *w, size_t chars, size_t bytes)
{
    w->col += chars;
    w->bytes += bytes;
}

static void measure(struct jwalk *w, const json_t *v, size_t depth);

static void
measure_str(struct jwalk *w, const char *s, size_t len)
{
    size_t chars = 0, bytes = 0;
    count_node(w, w->col + 2); /* the loader counts quoted scalars past the quote */
    if (!str_width(s, len, &chars, &bytes)) {
        w->exotic = true;
        return;
    }
    w->text += len + 1;
    advance(w, chars, bytes);
}

static void
measure_coll(struct jwalk *w, const json_t *v, size_t depth)
{
    if (depth + 1 > w->lim->max_depth) {
        jerr(w, VG_E_LIMIT, w->col + 1, "nested deeper than %zu levels", w->lim->max_depth);
    }
    count_node(w, w->col + 1);
    advance(w, 1, 1);
    size_t i = 0;
    if (json_is_array(v)) {
        for (; i < json_array_size(v) && !w->exotic; i++) {
            if (i) {
                advance(w, 1, 1);
            }
            measure(w, json_array_get(v, i), depth + 1);
        }
        w->kids += i;
    } else {
        for (void *it = json_object_iter((json_t *)(uintptr_t)v); it && !w->exotic;
             it = json_object_iter_next((json_t *)(uintptr_t)v, it), i++) {
            if (i) {
                advance(w, 1, 1);
            }
            measure_str(w, json_object_iter_key(it), json_object_iter_key_len(it));
            advance(w, 1, 1);
            measure(w, json_object_iter_value(it), depth + 1);
        }
        w->kids += 2 * i;
    }
    advance(w, 1, 1);
}

static void
measure(struct jwalk *w, const json_t *v, size_t depth)
{
    if (w->exotic) {
        return;
    }
    if (json_is_object(v) || json_is_array(v)) {
        measure_coll(w, v, depth);
    } else if (json_is_string(v)) {
        measure_str(w, json_string_value(v), json_string_length(v));
    } else {
        count_node(w, w->col + 1);
        vg_autofree char *t = plain_text(v);
        size_t n = strlen(t);
        w->text += n + 1;
        advance(w, n, n);
    }
}

static struct vg_config_node *
node_at(struct jwalk *w, enum vg_config_type type, size_t col)
{
    struct vg_config_node *n = &w->nslab[w->nused++];
    /* every field written here: the slab is not zeroed first */
    *n = (struct vg_config_node){
        .type = type, .file = w->name, .line = 1, .col = (unsigned)col, .weight = 1};
    return n;
}

static struct vg_config_node *
build_text(struct jwalk *w, const char *s, size_t len, bool plain, size_t chars, size_t bytes)
{
    struct vg_config_node *n = node_at(w, VG_CONFIG_SCALAR, w->col + 1);
    n->plain = plain;
    n->text = w->tslab + w->tused;
    n->len = len;
    memcpy(n->text, s, len);
    n->text[len] = '\0';
    w->tused += len + 1;
    advance(w, chars, bytes);
    return n;
}

static struct vg_config_node *
build_str(struct jwalk *w, const char *s, size_t len)
{
    size_t chars = 0, bytes = 0;
    (void)str_width(s, len, &chars, &bytes); /* the first pass saw it is not exotic */
    return build_text(w, s, len, false, chars, bytes);
}

static struct vg_config_node *build(struct jwalk *w, const json_t *v);

static struct vg_config_node *
build_coll(struct jwalk *w, const json_t *v)
{
    bool arr = json_is_array(v);
    struct vg_config_node *n = node_at(w, arr ? VG_CONFIG_SEQ : VG_CONFIG_MAP, w->col + 1);
    advance(w, 1, 1);
    n->kids = w->kslab + w->kused;
    if (arr) {
        n->nkids = json_array_size(v);
        w->kused += n->nkids;
        for (size_t i = 0; i < n->nkids; i++) {
            if (i) {
                advance(w, 1, 1);
            }
            n->kids[i] = build(w, json_array_get(v, i));
        }
    } else {
        n->nkids = 2 * json_object_size(v);
        w->kused += n->nkids;
        size_t i = 0;
        for (void *it = json_object_iter((json_t *)(uintptr_t)v); it;
             it = json_object_iter_next((json_t *)(uintptr_t)v, it), i += 2) {
            if (i) {
                advance(w, 1, 1);
            }
            n->kids[i] = build_str(w, json_object_iter_key(it), json_object_iter_key_len(it));
            advance(w, 1, 1);
            n->kids[i + 1] = build(w, json_object_iter_value(it));
        }
    }
    advance(w, 1, 1);
    for (size_t i = 0; i < n->nkids; i++) {
        n->weight += n->kids[i]->weight;
        if (n->kids[i]->height + 1 > n->height) {
            n->height = n->kids[i]->height + 1;
        }
    }
    if (n->height == 0) {
        n->height = 1;
    }
    if (n->nkids == 0) {
        n->kids = NULL;
    }
    return n;
}

static struct vg_config_node *
build(struct jwalk *w, const json_t *v)
{
    if (json_is_object(v) || json_is_array(v)) {
        return build_coll(w, v);
    }
    if (json_is_string(v)) {
        return build_str(w, json_string_value(v), json_string_length(v));
    }
    vg_autofree char *t = plain_text(v);
    size_t len = strlen(t);
    return build_text(w, t, len, true, len, len);
}

/* The text round trip, for exotic values. */
static int
via_text(struct vg_config_doc **out, const char *name, const json_t *j,
         const struct vg_config_limits *lim, struct vg_err **err)
{
    char *text = vg_json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        return vg_err_set(err, VG_E_PARSE, "%s: cannot be serialised", name);
    }
    int rc = vg_config_load_buf(out, name, text, strlen(text), lim, err);
    free(text);
    return rc;
}

int
vg_config_load_json(struct vg_config_doc **out, const char *name, const json_t *j,
                    const struct vg_config_limits *lim, struct vg_err **err)
{
    struct vg_config_limits defaults = VG_CONFIG_LIMITS_INIT;
    lim = lim ? lim : &defaults;
    name = name ? name : "<json>";
    vg_autofree char *ename = vg_escape(name, strlen(name), VG_LIMIT_PATH_BYTES);
    struct jwalk w = {.lim = lim, .name = ename};
    measure(&w, j, 0);
    if (w.exotic) {
        free(w.first_err);
        return via_text(out, name, j, lim, err);
    }
    int rc = 0;
    if (w.bytes > lim->max_bytes) {
        rc = vg_err_set(err, VG_E_LIMIT, "%s: larger than %zu bytes", ename, lim->max_bytes);
    } else if (w.first_err) {
        rc = vg_err_set(err, w.first_code, "%s", w.first_err);
    }
    free(w.first_err);
    if (rc < 0) {
        return rc;
    }
    struct vg_config_doc *d = vg_calloc(1, sizeof(*d));
    d->name = vg_steal_ptr(&ename);
    w.name = d->name;
    w.col = w.bytes = 0;
    d->slab_nodes = w.nslab = vg_reallocarray(NULL, w.nodes ? w.nodes : 1, sizeof(*w.nslab));
    d->slab_kids = w.kslab = vg_calloc(w.kids ? w.kids : 1, sizeof(*w.kslab));
    d->slab_text = w.tslab = vg_malloc(w.text ? w.text : 1);
    d->roots = vg_malloc(sizeof(*d->roots));
    d->roots[0] = build(&w, j);
    d->nroots = d->roots_cap = 1;
    *out = d;
    return 0;
}

/* ---------------------------------------------------------------- from JSON text */

#define JP_DEPTH_MAX 512u /* deeper is left to jansson (its own limit is 2048) */
#define STR_PLAIN    0x80000000u

struct jp {
    const char *p, *end;
    size_t depth;
    size_t max_depth; /* deepest nesting of the whole text (pass 1) */
    bool fail;
    /* pass 1 */
    size_t nodes, kids, text;
    VG_VEC(size_t) colls; /* kid slots of each collection, in document order */
    VG_VEC(uint32_t)
    strs; /* each string's length, STR_PLAIN when it is plain (jp_string's
           *simple): pass 2 copies those without scanning them again */
    /* pass 2 */
    size_t coll_i, str_i;
    /* the member path (keys from the root) whose value is positioned and limited as
     * vg_config_load_json positions and limits that value alone */
    const char *const *at;
    size_t at_depth; /* path keys matched along the branch being built */
    bool in_target;
    size_t tgt_base;  /* depth of the target value */
    size_t tgt_nodes; /* nodes built inside it */
};

static void
skip_ws(struct jp *p)
{
    while (p->p < p->end && (*p->p == ' ' || *p->p == '\t' || *p->p == '\n' || *p->p == '\r')) {
        p->p++;
    }
}

static int
hex4(const char *s, const char *end, uint32_t *out)
{
    if (end - s < 4) {
        return -1;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) {
            return -1;
        }
        v = (v << 4) | (uint32_t)d;
    }
    *out = v;
    return 0;
}

static size_t
put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A byte a JSON string carries as it is, one character wide in the compact text: printable
 * ASCII other than '"' and '\\'. */
static inline bool
plain_byte(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* A string at p->p (its '"'), decoded into out (NULL: only measured) as jansson decodes it;
 * *n its decoded length; *simple (may be NULL) whether it is plain bytes only (no escape, no
 * byte outside printable ASCII: its quoted width is then its length + 2, as str_width would
 * find). -1 for anything jansson refuses or might read otherwise (a NUL, a lone surrogate, a
 * raw control character, invalid UTF-8). */
static int
jp_string(struct jp *p, char *out, size_t *n, bool *simple)
{
    size_t len = 0;
    char u[4];
    bool plain = true;
    for (p->p++; p->p < p->end;) {
        /* the common case first: a run of plain bytes (locals: out may alias *p) */
        const char *run = p->p, *q = run, *end = p->end;
        while (q < end && plain_byte((unsigned char)*q)) {
            q++;
        }
        if (q != run) {
            size_t k = (size_t)(q - run);
            if (out) {
                memcpy(out + len, run, k);
            }
            len += k;
            p->p = q;
            continue;
        }
        unsigned char c = (unsigned char)*p->p;
        if (c == '"') {
            p->p++;
            *n = len;
            if (simple) {
                *simple = plain;
            }
            return 0;
        }
        plain = false;
        if (c == '\\') {
            if (p->end - p->p < 2) {
                return -1;
            }
            char e = p->p[1];
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *k = e ? strchr(from, e) : NULL;
            if (k) {
                if (out) {
                    out[len] = to[k - from];
                }
                len++;
                p->p += 2;
                continue;
            }
            uint32_t cp = 0, lo = 0;
            if (e != 'u' || hex4(p->p + 2, p->end, &cp) < 0 || cp == 0) {
                return -1;
            }
            p->p += 6;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (p->end - p->p < 6 || p->p[0] != '\\' || p->p[1] != 'u' ||
                    hex4(p->p + 2, p->end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
                    return -1;
                }
                p->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return -1;
            }
            size_t k2 = put_utf8(u, cp);
            if (out) {
                memcpy(out + len, u, k2);
            }
            len += k2;
            continue;
        }
        if (c < 0x20) {
            return -1;
        }
        size_t k = vg_utf8_seq_len((const uint8_t *)p->p, (size_t)(p->end - p->p));
        if (k == 0) {
            return -1;
        }
        if (out) {
            memcpy(out + len, p->p, k);
        }
        len += k;
        p->p += k;
    }
    return -1;
}

/* An integer jansson keeps as written: -?(0|[1-9][0-9]*) within int64, not "-0". Fractions
 * and exponents (jansson respells reals) are left to jansson. */
static int
jp_number(struct jp *p)
{
    const char *s = p->p;
    bool neg = *p->p == '-';
    if (neg) {
        p->p++;
    }
    const char *d = p->p;
    if (p->p < p->end && *p->p == '0') {
        p->p++;
        if (neg) {
            return -1;
        }
    } else if (p->p < p->end && *p->p >= '1' && *p->p <= '9') {
        while (p->p < p->end && *p->p >= '0' && *p->p <= '9') {
            p->p++;
        }
    } else {
        return -1;
    }
    if (p->p < p->end && (*p->p == '.' || *p->p == 'e' || *p->p == 'E')) {
        return -1;
    }
    size_t nd = (size_t)(p->p - d);
    const char *lim = neg ? "9223372036854775808" : "9223372036854775807";
    if (nd > 19 || (nd == 19 && memcmp(d, lim, 19) > 0)) {
        return -1;
    }
    (void)s;
    return 0;
}

/* Pass 1: the string at p->p checked and measured, its length recorded for pass 2. */
static int
jp_scan_str(struct jp *p, size_t *len)
{
    bool simple = false;
    if (jp_string(p, NULL, len, &simple) < 0) {
        return -1;
    }
    if (p->strs.n == p->strs.cap) {
        vg_vec_reserve(&p->strs, p->strs.cap ? p->strs.cap : 256);
    }
    p->strs.v[p->strs.n++] = (uint32_t)(simple && *len < STR_PLAIN ? STR_PLAIN | *len : 0);
    return 0;
}

static int jp_scan(struct jp *p);

static int
jp_scan_coll(struct jp *p, bool obj)
{
    if (++p->depth > JP_DEPTH_MAX) {
        return -1;
    }
    if (p->depth > p->max_depth) {
        p->max_depth = p->depth;
    }
    size_t idx = p->colls.n;
    if (p->colls.n == p->colls.cap) {
        vg_vec_reserve(&p->colls, p->colls.cap ? p->colls.cap : 64);
    }
    p->colls.v[p->colls.n++] = 0;
    p->p++;
    skip_ws(p);
    size_t n = 0;
    if (p->p < p->end && *p->p == (obj ? '}' : ']')) {
        p->p++;
        p->depth--;
        return 0;
    }
    for (;;) {
        if (obj) {
            size_t len = 0;
            if (p->p >= p->end || *p->p != '"' || jp_scan_str(p, &len) < 0) {
                return -1;
            }
            p->nodes++;
            p->text += len + 1;
            skip_ws(p);
            if (p->p >= p->end || *p->p != ':') {
                return -1;
            }
            p->p++;
        }
        if (jp_scan(p) < 0) {
            return -1;
        }
        n++;
        skip_ws(p);
        if (p->p < p->end && *p->p == ',') {
            p->p++;
            skip_ws(p);
            continue;
        }
        if (p->p < p->end && *p->p == (obj ? '}' : ']')) {
            p->p++;
            break;
        }
        return -1;
    }
    p->kids += obj ? 2 * n : n;
    p->colls.v[idx] = obj ? 2 * n : n;
    p->depth--;
    return 0;
}

/* Pass 1: checks the value at p->p and counts its nodes, kid slots and text bytes. */
static int
jp_scan(struct jp *p)
{
    skip_ws(p);
    if (p->p >= p->end) {
        return -1;
    }
    p->nodes++;
    const char *s = p->p;
    switch (*p->p) {
    case '{':
    case '[':
        return jp_scan_coll(p, *p->p == '{');
    case '"': {
        size_t len = 0;
        if (jp_scan_str(p, &len) < 0) {
            return -1;
        }
        p->text += len + 1;
        return 0;
    }
    case 't':
    case 'f':
    case 'n': {
        static const char *const lits[] = {"true", "false", "null"};
        for (size_t i = 0; i < 3; i++) {
            size_t l = strlen(lits[i]);
            if ((size_t)(p->end - p->p) >= l && memcmp(p->p, lits[i], l) == 0) {
                p->p += l;
                p->text += l + 1;
                return 0;
            }
        }
        return -1;
    }
    default:
        if (jp_number(p) < 0) {
            return -1;
        }
        p->text += (size_t)(p->p - s) + 1;
        return 0;
    }
}

static struct vg_config_node *jp_build(struct jp *p, struct jwalk *w);

static int
key_cmp(const void *pa, const void *pb)
{
    const struct vg_config_node *a = *(struct vg_config_node *const *)pa;
    const struct vg_config_node *b = *(struct vg_config_node *const *)pb;
    if (a->len != b->len) {
        return a->len < b->len ? -1 : 1;
    }
    return memcmp(a->text, b->text, a->len);
}

/* jansson (JSON_REJECT_DUPLICATES) refuses a mapping with a key twice. */
static bool
dup_keys(const struct vg_config_node *m)
{
    size_t np = m->nkids / 2;
    if (np <= 24) { /* a pod's containers have 10 or so: pairs are cheaper than a sort */
        for (size_t i = 0; i < np; i++) {
            for (size_t j = i + 1; j < np; j++) {
                if (key_cmp(&m->kids[2 * i], &m->kids[2 * j]) == 0) {
                    return true;
                }
            }
        }
        return false;
    }
    vg_autofree struct vg_config_node **keys = vg_calloc(np, sizeof(*keys));
    for (size_t i = 0; i < np; i++) {
        keys[i] = m->kids[2 * i];
    }
    vg_qsort(keys, np, sizeof(*keys), key_cmp);
    for (size_t i = 1; i < np; i++) {
        if (key_cmp(&keys[i - 1], &keys[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* A new node: inside the target, counted against the node limit. */
static struct vg_config_node *
jp_node(struct jp *p, struct jwalk *w, enum vg_config_type type)
{
    if (p->in_target && ++p->tgt_nodes > w->lim->max_nodes) {
        p->fail = true;
    }
    return node_at(w, type, w->col + 1);
}

/* A decoded string node (checked by pass 1); exotic text fails the parse. */
static struct vg_config_node *
jp_build_str(struct jp *p, struct jwalk *w)
{
    char *t = w->tslab + w->tused;
    size_t len = 0, chars = 0, bytes = 0;
    bool simple = false;
    uint32_t known = p->str_i < p->strs.n ? p->strs.v[p->str_i] : 0;
    p->str_i++;
    if (known & STR_PLAIN) { /* plain bytes between the quotes, as pass 1 found */
        len = known & ~STR_PLAIN;
        memcpy(t, p->p + 1, len);
        p->p += len + 2;
        simple = true;
    } else if (jp_string(p, t, &len, &simple) < 0) {
        p->fail = true;
        return NULL;
    }
    if (simple) {
        chars = bytes = len + 2;
    } else if (!str_width(t, len, &chars, &bytes)) {
        p->fail = true;
        return NULL;
    }
    struct vg_config_node *n = jp_node(p, w, VG_CONFIG_SCALAR);
    n->text = t;
    n->len = len;
    t[len] = '\0';
    w->tused += len + 1;
    advance(w, chars, bytes);
    return n;
}

/* The value of a member whose key continues the target path; the target itself starts the
 * column count again. */
static struct vg_config_node *
jp_build_member(struct jp *p, struct jwalk *w, bool on_path)
{
    if (!on_path) {
        return jp_build(p, w);
    }
    p->at_depth++;
    bool target = p->at[p->at_depth] == NULL;
    if (target) {
        w->col = w->bytes = 0;
        p->in_target = true;
        p->tgt_base = p->depth;
    }
    struct vg_config_node *v = jp_build(p, w);
    if (target) {
        p->in_target = false;
        if (w->bytes > w->lim->max_bytes) {
            p->fail = true;
        }
    }
    p->at_depth--;
    return v;
}

static struct vg_config_node *
jp_build_coll(struct jp *p, struct jwalk *w, bool obj)
{
    if (p->in_target && p->depth - p->tgt_base + 1 > w->lim->max_depth) {
        p->fail = true;
    }
    size_t depth = p->depth++;
    struct vg_config_node *n = jp_node(p, w, obj ? VG_CONFIG_MAP : VG_CONFIG_SEQ);
    n->nkids = p->colls.v[p->coll_i++];
    n->kids = w->kslab + w->kused;
    w->kused += n->nkids;
    advance(w, 1, 1);
    p->p++; /* pass 1 checked the grammar: ws, members, ',' and the closing bracket */
    for (size_t k = 0; k < n->nkids && !p->fail;) {
        skip_ws(p);
        if (k) {
            p->p++; /* ',' */
            skip_ws(p);
            advance(w, 1, 1);
        }
        bool on_path = false;
        if (obj) {
            struct vg_config_node *key = jp_build_str(p, w);
            if (!key) {
                break;
            }
            n->kids[k++] = key;
            on_path = p->at && p->at_depth == depth && p->at[depth] &&
                      strlen(p->at[depth]) == key->len &&
                      memcmp(p->at[depth], key->text, key->len) == 0;
            skip_ws(p);
            p->p++; /* ':' */
            advance(w, 1, 1);
        }
        struct vg_config_node *v = jp_build_member(p, w, on_path);
        if (!v) {
            break;
        }
        n->kids[k++] = v;
    }
    if (p->fail) {
        return NULL;
    }
    skip_ws(p);
    p->p++;
    advance(w, 1, 1);
    p->depth--;
    if (obj && dup_keys(n)) {
        p->fail = true;
        return NULL;
    }
    for (size_t i = 0; i < n->nkids; i++) {
        n->weight += n->kids[i]->weight;
        if (n->kids[i]->height + 1 > n->height) {
            n->height = n->kids[i]->height + 1;
        }
    }
    if (n->height == 0) {
        n->height = 1;
    }
    if (n->nkids == 0) {
        n->kids = NULL;
    }
    return n;
}

static struct vg_config_node *
jp_build(struct jp *p, struct jwalk *w)
{
    skip_ws(p);
    char c = *p->p;
    if (c == '{' || c == '[') {
        return jp_build_coll(p, w, c == '{');
    }
    if (c == '"') {
        return jp_build_str(p, w);
    }
    const char *s = p->p;
    if (c == 't' || c == 'n') {
        p->p += 4;
    } else if (c == 'f') {
        p->p += 5;
    } else {
        (void)jp_number(p);
    }
    size_t len = (size_t)(p->p - s);
    struct vg_config_node *n = jp_node(p, w, VG_CONFIG_SCALAR);
    n->plain = true;
    n->text = w->tslab + w->tused;
    n->len = len;
    memcpy(n->text, s, len);
    n->text[len] = '\0';
    w->tused += len + 1;
    advance(w, len, len);
    return n;
}

int
vg_config_parse_json(struct vg_config_doc **out, const char *name, const void *text, size_t len,
                     const char *const *at, const struct vg_config_limits *lim, size_t *depth)
{
    struct vg_config_limits defaults = VG_CONFIG_LIMITS_INIT;
    lim = lim ? lim : &defaults;
    struct jp p = {.p = text, .end = (const char *)text + len, .at = at};
    skip_ws(&p);
    if (p.p >= p.end || *p.p != '{' || jp_scan(&p) < 0) {
        vg_vec_dispose(&p.colls);
        vg_vec_dispose(&p.strs);
        return -1;
    }
    skip_ws(&p);
    if (p.p != p.end) {
        vg_vec_dispose(&p.colls);
        vg_vec_dispose(&p.strs);
        return -1;
    }
    name = name ? name : "<json>";
    struct vg_config_doc *d = vg_calloc(1, sizeof(*d));
    d->name = vg_escape(name, strlen(name), VG_LIMIT_PATH_BYTES);
    struct jwalk w = {.lim = lim, .name = d->name};
    d->slab_nodes = w.nslab = vg_reallocarray(NULL, p.nodes ? p.nodes : 1, sizeof(*w.nslab));
    d->slab_kids = w.kslab = vg_calloc(p.kids ? p.kids : 1, sizeof(*w.kslab));
    d->slab_text = w.tslab = vg_malloc(p.text ? p.text : 1);
    p.p = text;
    p.depth = 0;
    struct vg_config_node *root = jp_build(&p, &w);
    vg_vec_dispose(&p.colls);
    vg_vec_dispose(&p.strs);
    if (!root || p.fail) {
        vg_config_doc_free(d);
        return -1;
    }
    d->roots = vg_malloc(sizeof(*d->roots));
    d->roots[0] = root;
    d->nroots = d->roots_cap = 1;
    if (depth) {
        *depth = p.max_depth;
    }
    *out = d;
    return 0;
}
