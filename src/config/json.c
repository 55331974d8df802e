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

/* One pass over the text: each value is checked and its node built as it is read. A string's
 * or scalar's decoded text goes to the text block at the offset of its first byte in the input
 * (a decoded string is never longer than its quoted form, and a number's or literal's NUL
 * falls on the delimiter after it), so one block of len + 1 bytes holds every text. Nodes and
 * kid arrays come from arena blocks of the document; a collection's kids wait on a stack until
 * it closes, then are copied into an array of their final size. */

#define JP_DEPTH_MAX   512u /* deeper is left to jansson (its own limit is 2048) */
#define JP_STACK_LOCAL 256u /* kid slots on the C stack before the stack goes to the heap */

struct jp {
    const char *start, *p, *end;
    size_t depth;
    size_t max_depth; /* deepest nesting so far */
    struct vg_config_doc *doc;
    /* kids of the collections being read, innermost last */
    struct vg_config_node **stack;
    size_t nstack, stack_cap;
    struct vg_config_node *local[JP_STACK_LOCAL];
    /* the member path (keys from the root) whose value is positioned and limited as
     * vg_config_load_json positions and limits that value alone */
    const char *const *at;
    size_t at_depth; /* path keys matched along the branch being read */
    bool in_target;
    size_t tgt_base;  /* depth of the target value */
    size_t tgt_nodes; /* nodes built inside it */
    size_t all_nodes; /* nodes built in all (at most lim->max_text_nodes, when set) */
};

static inline void
skip_ws(struct jp *p)
{
    if (p->p < p->end && (unsigned char)*p->p > ' ') {
        return; /* the common case: compact JSON */
    }
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

/* Copies the plain bytes (plain_byte) from q to t and returns the first byte at or after q
 * (before end) that is not one, eight bytes at a time where the byte order allows it: each
 * step copies all eight (room for them is there: t's block is as long as the text, at the
 * same offsets, and the extra bytes land where later values write their own text). In each
 * test a byte can be flagged falsely only above a byte flagged rightly, so the lowest flag of
 * all is the first byte that is not plain. */
static inline const char *
plain_copy(const char *q, const char *end, char *t)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    while (end - q >= 8) {
        uint64_t x;
        memcpy(&x, q, 8);
        memcpy(t, &x, 8);
        uint64_t qt = x ^ (ones * '"'), bs = x ^ (ones * '\\'), del = x ^ (ones * 0x7fu);
        uint64_t m = ((x - ones * 0x20u) & ~x) /* below 0x20 */
                     | ((qt - ones) & ~qt) | ((bs - ones) & ~bs) | ((del - ones) & ~del) |
                     x; /* 0x80 and above */
        m &= high;
        if (m) {
            return q + ((unsigned)__builtin_ctzll(m) >> 3);
        }
        q += 8;
        t += 8;
    }
#endif
    while (q < end && plain_byte((unsigned char)*q)) {
        *t++ = *q++;
    }
    return q;
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

/* A new arena block with room for bytes. */
static struct vg_config_block *
arena_grow(struct jp *p, size_t bytes)
{
    struct vg_config_block *b = p->doc->blocks;
    /* the first block fits the nodes of a Pod's review (about 7 bytes of node and kid slot per
     * byte of its JSON), the next ones double, up to 4 MiB */
    size_t cap = b ? (b->cap < (4u << 20) ? 2 * b->cap : b->cap)
                   : vg_size_add_or_abort((size_t)(p->end - p->start) / 8 * 64, 1024);
    if (!b && cap > (256u << 10)) {
        cap = 256u << 10;
    }
    if (cap < bytes) {
        cap = bytes;
    }
    b = vg_malloc(vg_size_add_or_abort(sizeof(*b), cap));
    b->cap = cap;
    b->used = 0;
    b->next = p->doc->blocks;
    p->doc->blocks = b;
    return b;
}

/* Room for bytes (a multiple of 8) in the document's arena. */
static inline void *
arena_alloc(struct jp *p, size_t bytes)
{
    struct vg_config_block *b = p->doc->blocks;
    if (!b || b->cap - b->used < bytes) {
        b = arena_grow(p, bytes);
    }
    void *r = (unsigned char *)b->data + b->used;
    b->used += bytes;
    return r;
}

/* A new node: inside the target, counted against the node limit (NULL past it). */
static inline struct vg_config_node *
jp_node(struct jp *p, struct jwalk *w, enum vg_config_type type)
{
    if ((p->in_target && ++p->tgt_nodes > w->lim->max_nodes) ||
        (++p->all_nodes > w->lim->max_text_nodes && w->lim->max_text_nodes)) {
        return NULL;
    }
    struct vg_config_node *n = arena_alloc(p, sizeof(*n));
    /* every field written here: the arena is not zeroed */
    *n = (struct vg_config_node){
        .type = type, .file = w->name, .line = 1, .col = (unsigned)(w->col + 1), .weight = 1};
    return n;
}

static void
jp_stack_grow(struct jp *p)
{
    size_t cap = vg_size_add_or_abort(p->stack_cap, p->stack_cap);
    struct vg_config_node **s =
        vg_reallocarray(p->stack == p->local ? NULL : p->stack, cap, sizeof(*s));
    if (p->stack == p->local) {
        memcpy(s, p->local, sizeof(p->local));
    }
    p->stack = s;
    p->stack_cap = cap;
}

static inline void
jp_push(struct jp *p, struct vg_config_node *n)
{
    if (p->nstack == p->stack_cap) {
        jp_stack_grow(p);
    }
    p->stack[p->nstack++] = n;
}

/* The string at p->p (its '"') as a node; NULL when jansson would refuse or read it otherwise,
 * or YAML could not carry it raw. */
static struct vg_config_node *
jp_str(struct jp *p, struct jwalk *w)
{
    const char *q = p->p + 1;
    char *t = w->tslab + (q - p->start);
    const char *e = plain_copy(q, p->end, t);
    size_t len = 0, chars = 0, bytes = 0;
    if (e < p->end && *e == '"') { /* plain bytes only: its quoted width is its length + 2 */
        len = (size_t)(e - q);
        p->p = e + 1;
        chars = bytes = len + 2;
    } else {
        bool simple = false;
        if (jp_string(p, t, &len, &simple) < 0 || !str_width(t, len, &chars, &bytes)) {
            return NULL;
        }
    }
    t[len] = '\0';
    struct vg_config_node *n = jp_node(p, w, VG_CONFIG_SCALAR);
    if (!n) {
        return NULL;
    }
    n->text = t;
    n->len = len;
    advance(w, chars, bytes);
    return n;
}

static struct vg_config_node *jp_value(struct jp *p, struct jwalk *w);

/* The value of a member whose key continues the target path; the target itself starts the
 * column count again. */
static struct vg_config_node *
jp_member(struct jp *p, struct jwalk *w)
{
    p->at_depth++;
    bool target = p->at[p->at_depth] == NULL;
    if (target) {
        w->col = w->bytes = 0;
        p->in_target = true;
        p->tgt_base = p->depth;
    }
    struct vg_config_node *v = jp_value(p, w);
    if (target) {
        p->in_target = false;
        if (w->bytes > w->lim->max_bytes) {
            v = NULL;
        }
    }
    p->at_depth--;
    return v;
}

/* Whether key continues the target path at this depth. */
static bool
on_path(const struct jp *p, size_t depth, const struct vg_config_node *key)
{
    return p->at && p->at_depth == depth && p->at[depth] && strlen(p->at[depth]) == key->len &&
           memcmp(p->at[depth], key->text, key->len) == 0;
}

/* The members or items up to the closing bracket, each pushed on the stack (keys too). */
static bool
jp_items(struct jp *p, struct jwalk *w, bool obj, size_t depth)
{
    const char close = obj ? '}' : ']';
    skip_ws(p);
    if (p->p < p->end && *p->p == close) {
        p->p++;
        return true;
    }
    for (size_t k = 0;; k++) {
        if (k) {
            advance(w, 1, 1); /* ',' */
        }
        bool path = false;
        if (obj) {
            struct vg_config_node *key = NULL;
            if (p->p >= p->end || *p->p != '"' || !(key = jp_str(p, w))) {
                return false;
            }
            jp_push(p, key);
            path = on_path(p, depth, key);
            skip_ws(p);
            if (p->p >= p->end || *p->p != ':') {
                return false;
            }
            p->p++;
            advance(w, 1, 1);
        }
        struct vg_config_node *v = path ? jp_member(p, w) : jp_value(p, w);
        if (!v) {
            return false;
        }
        jp_push(p, v);
        skip_ws(p);
        if (p->p < p->end && *p->p == ',') {
            p->p++;
            skip_ws(p);
            continue;
        }
        if (p->p < p->end && *p->p == close) {
            p->p++;
            return true;
        }
        return false;
    }
}

static struct vg_config_node *
jp_coll(struct jp *p, struct jwalk *w, bool obj)
{
    if (p->in_target && p->depth - p->tgt_base + 1 > w->lim->max_depth) {
        return NULL;
    }
    size_t depth = p->depth++;
    if (p->depth > JP_DEPTH_MAX) {
        return NULL;
    }
    if (p->depth > p->max_depth) {
        p->max_depth = p->depth;
    }
    struct vg_config_node *n = jp_node(p, w, obj ? VG_CONFIG_MAP : VG_CONFIG_SEQ);
    if (!n) {
        return NULL;
    }
    advance(w, 1, 1);
    p->p++;
    size_t base = p->nstack;
    if (!jp_items(p, w, obj, depth)) {
        return NULL;
    }
    advance(w, 1, 1);
    p->depth--;
    n->nkids = p->nstack - base;
    n->kids = NULL;
    if (n->nkids) {
        n->kids = arena_alloc(p, n->nkids * sizeof(*n->kids));
        memcpy(n->kids, p->stack + base, n->nkids * sizeof(*n->kids));
    }
    p->nstack = base;
    if (obj && dup_keys(n)) {
        return NULL;
    }
    n->height = 1;
    for (size_t i = 0; i < n->nkids; i++) {
        n->weight += n->kids[i]->weight;
        if (n->kids[i]->height + 1 > n->height) {
            n->height = n->kids[i]->height + 1;
        }
    }
    return n;
}

/* A number, true, false or null at p->p. */
static struct vg_config_node *
jp_plain(struct jp *p, struct jwalk *w)
{
    static const char *const lits[] = {"true", "false", "null"};
    const char *s = p->p;
    char c = *s;
    if (c == 't' || c == 'f' || c == 'n') {
        const char *l = lits[c == 't' ? 0 : c == 'f' ? 1 : 2];
        size_t ll = strlen(l);
        if ((size_t)(p->end - s) < ll || memcmp(s, l, ll) != 0) {
            return NULL;
        }
        p->p += ll;
    } else if (jp_number(p) < 0) {
        return NULL;
    }
    size_t len = (size_t)(p->p - s);
    struct vg_config_node *n = jp_node(p, w, VG_CONFIG_SCALAR);
    if (!n) {
        return NULL;
    }
    n->plain = true;
    n->text = w->tslab + (s - p->start);
    n->len = len;
    memcpy(n->text, s, len);
    n->text[len] = '\0';
    advance(w, len, len);
    return n;
}

static struct vg_config_node *
jp_value(struct jp *p, struct jwalk *w)
{
    skip_ws(p);
    if (p->p >= p->end) {
        return NULL;
    }
    char c = *p->p;
    if (c == '{' || c == '[') {
        return jp_coll(p, w, c == '{');
    }
    if (c == '"') {
        return jp_str(p, w);
    }
    return jp_plain(p, w);
}

int
vg_config_parse_json(struct vg_config_doc **out, const char *name, const void *text, size_t len,
                     const char *const *at, const struct vg_config_limits *lim, size_t *depth)
{
    struct vg_config_limits defaults = VG_CONFIG_LIMITS_INIT;
    lim = lim ? lim : &defaults;
    const char *s = text;
    struct jp p = {.start = s, .p = s, .end = s + len, .at = at};
    skip_ws(&p);
    if (p.p >= p.end || *p.p != '{') {
        return -1;
    }
    p.stack = p.local;
    p.stack_cap = JP_STACK_LOCAL;
    name = name ? name : "<json>";
    struct vg_config_doc *d = vg_calloc(1, sizeof(*d));
    d->name = vg_escape(name, strlen(name), VG_LIMIT_PATH_BYTES);
    d->slab_text = vg_malloc(vg_size_add_or_abort(len, 1));
    p.doc = d;
    struct jwalk w = {.lim = lim, .name = d->name, .tslab = d->slab_text};
    struct vg_config_node *root = jp_value(&p, &w);
    if (p.stack != p.local) {
        free(p.stack);
    }
    if (root) {
        skip_ws(&p);
    }
    if (!root || p.p != p.end) {
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
