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
    n->type = type;
    n->file = w->name;
    n->line = 1;
    n->col = (unsigned)col;
    n->weight = 1;
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
    d->slab_nodes = w.nslab = vg_calloc(w.nodes, sizeof(*w.nslab));
    d->slab_kids = w.kslab = vg_calloc(w.kids ? w.kids : 1, sizeof(*w.kslab));
    d->slab_text = w.tslab = vg_malloc(w.text ? w.text : 1);
    d->roots = vg_malloc(sizeof(*d->roots));
    d->roots[0] = build(&w, j);
    d->nroots = d->roots_cap = 1;
    *out = d;
    return 0;
}
