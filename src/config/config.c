/* SPDX-License-Identifier: Apache-2.0
 *
 * Builds the node tree from libfyaml's event stream rather than from its document API, so
 * every bound is checked while parsing: depth when a collection opens, the expanded node count
 * on every node and alias, duplicate keys when a mapping closes. Aliases are never copied; an
 * alias is the anchored node itself and adds that node's expanded weight to the count, which
 * keeps a "billion laughs" document both small in memory and refused before a walk could
 * explode. The accessors are in node.c.
 */
#include "config.h"

#include <string.h>

#include <libfyaml.h>

#include "config_int.h"

struct frame {
    struct vg_config_node *node;
    struct vg_config_node **kids;
    size_t n, cap;
};

struct anchor {
    char *name;
    struct vg_config_node *node;
};

struct builder {
    struct vg_config_doc *doc;
    const struct vg_config_limits *lim;
    struct frame *frames;
    size_t nframes, frames_cap;
    struct anchor *anchors;
    size_t nanchors, anchors_cap;
    size_t naliases;
    size_t expanded; /* nodes so far, each alias counted as its anchored subtree */
    struct vg_config_node *root;
    unsigned line, col; /* position of the last event that had one */
};

/* Grows *p (elements of size elem, capacity *cap) to hold at least n + 1. */
static void
grow(void *pp, size_t *cap, size_t n, size_t elem)
{
    void **p = pp;
    *p = vg_vec_grow(*p, cap, n, 1, elem);
}

static int pos_err(struct builder *b, struct vg_err **err, enum vg_errc code, const char *fmt, ...)
    VG_PRINTF(4, 5);

static int
pos_err(struct builder *b, struct vg_err **err, enum vg_errc code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vg_autofree char *msg = vg_vfmt(fmt, ap);
    va_end(ap);
    return vg_err_set(err, code, "%s:%u:%u: %s", b->doc->name, b->line, b->col, msg);
}

static void
note_pos(struct builder *b, struct fy_event *ev)
{
    const struct fy_mark *m = fy_event_start_mark(ev);
    if (m && m->line >= 0 && m->column >= 0) {
        b->line = (unsigned)m->line + 1;
        b->col = (unsigned)m->column + 1;
    }
}

static struct vg_config_node *
node_new(struct builder *b, enum vg_config_type type)
{
    struct vg_config_doc *d = b->doc;
    struct vg_config_node *n = vg_calloc(1, sizeof(*n));
    n->type = type;
    n->file = d->name;
    n->line = b->line;
    n->col = b->col;
    n->weight = 1;
    grow(&d->all, &d->all_cap, d->nall, sizeof(*d->all));
    d->all[d->nall++] = n;
    return n;
}

static int
count_nodes(struct builder *b, size_t weight, struct vg_err **err)
{
    if (vg_ckd_add(&b->expanded, b->expanded, weight) || b->expanded > b->lim->max_nodes) {
        return pos_err(b, err, VG_E_LIMIT,
                       "more than %zu nodes (aliases count every node they "
                       "stand for)",
                       b->lim->max_nodes);
    }
    return 0;
}

/* Only YAML's core-schema tags: anything else asks for a type we would not honour. */
static int
check_tag(struct builder *b, struct fy_event *ev, struct vg_err **err)
{
    static const char *const core[] = {"str", "int", "float", "bool", "null", "seq", "map"};
    static const char prefix[] = "tag:yaml.org,2002:";
    struct fy_token *t = fy_event_get_tag_token(ev);
    size_t len = 0;
    const char *tag = t ? fy_token_get_text(t, &len) : NULL;
    if (!tag) {
        return 0;
    }
    if (len > sizeof(prefix) - 1 && memcmp(tag, prefix, sizeof(prefix) - 1) == 0) {
        const char *rest = tag + sizeof(prefix) - 1;
        size_t rlen = len - (sizeof(prefix) - 1);
        for (size_t i = 0; i < VG_ARRAY_LEN(core); i++) {
            if (strlen(core[i]) == rlen && memcmp(core[i], rest, rlen) == 0) {
                return 0;
            }
        }
    }
    vg_autofree char *esc = vg_escape(tag, len, 64);
    return pos_err(b, err, VG_E_PARSE, "unsupported tag '%s'", esc);
}

static int
define_anchor(struct builder *b, struct fy_event *ev, struct vg_config_node *n, struct vg_err **err)
{
    struct fy_token *t = fy_event_get_anchor_token(ev);
    size_t len = 0;
    const char *name = t ? fy_token_get_text(t, &len) : NULL;
    if (!name) {
        return 0;
    }
    if (b->nanchors >= b->lim->max_anchors) {
        return pos_err(b, err, VG_E_LIMIT, "more than %zu anchors", b->lim->max_anchors);
    }
    grow(&b->anchors, &b->anchors_cap, b->nanchors, sizeof(*b->anchors));
    b->anchors[b->nanchors++] = (struct anchor){vg_strndup(name, len), n};
    return 0;
}

/* Adds n under the open collection, or makes it the document's root. */
static int
attach(struct builder *b, struct vg_config_node *n, struct vg_err **err)
{
    if (b->nframes == 0) {
        if (b->root) {
            return pos_err(b, err, VG_E_INTERNAL, "second root node in one document");
        }
        b->root = n;
        return 0;
    }
    struct frame *f = &b->frames[b->nframes - 1];
    grow(&f->kids, &f->cap, f->n, sizeof(*f->kids));
    f->kids[f->n++] = n;
    return 0;
}

static int
on_scalar(struct builder *b, struct fy_event *ev, struct vg_err **err)
{
    if (check_tag(b, ev, err) < 0 || count_nodes(b, 1, err) < 0) {
        return -1;
    }
    struct fy_token *t = fy_event_get_token(ev);
    size_t len = 0;
    const char *text = t ? fy_token_get_text(t, &len) : NULL;
    enum fy_scalar_style style = t ? fy_token_scalar_style(t) : FYSS_PLAIN;
    /* libfyaml marks a quoted scalar after its opening quote; point at the quote. */
    if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) && b->col > 1) {
        b->col--;
    }
    struct vg_config_node *n = node_new(b, VG_CONFIG_SCALAR);
    n->len = text ? len : 0;
    n->text = vg_malloc(n->len + 1);
    if (n->len) {
        memcpy(n->text, text, n->len);
    }
    n->text[n->len] = '\0';
    n->plain = style == FYSS_PLAIN;
    if (define_anchor(b, ev, n, err) < 0) {
        return -1;
    }
    return attach(b, n, err);
}

static int
on_open(struct builder *b, struct fy_event *ev, enum vg_config_type type, struct vg_err **err)
{
    if (b->nframes + 1 > b->lim->max_depth) {
        return pos_err(b, err, VG_E_LIMIT, "nested deeper than %zu levels", b->lim->max_depth);
    }
    if (check_tag(b, ev, err) < 0 || count_nodes(b, 1, err) < 0) {
        return -1;
    }
    struct vg_config_node *n = node_new(b, type);
    n->open = true;
    if (define_anchor(b, ev, n, err) < 0 || attach(b, n, err) < 0) {
        return -1;
    }
    grow(&b->frames, &b->frames_cap, b->nframes, sizeof(*b->frames));
    b->frames[b->nframes++] = (struct frame){n, NULL, 0, 0};
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
    int c = memcmp(a->text, b->text, a->len);
    if (c != 0) {
        return c;
    }
    /* Equal keys: order by position so the later one is reported. */
    if (a->line != b->line) {
        return a->line < b->line ? -1 : 1;
    }
    return a->col < b->col ? -1 : (a->col > b->col);
}

/* Keys must be scalars and unique: a second value for a key is a classic way to make two
 * readers of one file disagree. */
static int
check_keys(const struct vg_config_node *map, struct vg_err **err)
{
    size_t npairs = map->nkids / 2;
    for (size_t i = 0; i < npairs; i++) {
        const struct vg_config_node *k = map->kids[2 * i];
        if (k->type != VG_CONFIG_SCALAR) {
            return vg_config_err(err, k, VG_E_PARSE, "mapping key must be a scalar, not a %s",
                                 vg_config_type_name(k->type));
        }
    }
    if (npairs < 2) {
        return 0;
    }
    vg_autofree struct vg_config_node **keys = vg_calloc(npairs, sizeof(*keys));
    for (size_t i = 0; i < npairs; i++) {
        keys[i] = map->kids[2 * i];
    }
    vg_qsort(keys, npairs, sizeof(*keys), key_cmp);
    for (size_t i = 1; i < npairs; i++) {
        if (keys[i]->len == keys[i - 1]->len &&
            memcmp(keys[i]->text, keys[i - 1]->text, keys[i]->len) == 0) {
            vg_autofree char *esc = vg_escape(keys[i]->text, keys[i]->len, 64);
            return vg_config_err(err, keys[i], VG_E_PARSE, "duplicate key '%s' (first at %u:%u)",
                                 esc, keys[i - 1]->line, keys[i - 1]->col);
        }
    }
    return 0;
}

static int
on_close(struct builder *b, struct vg_err **err)
{
    if (b->nframes == 0) {
        return pos_err(b, err, VG_E_INTERNAL, "collection end without a start");
    }
    struct frame *f = &b->frames[--b->nframes];
    struct vg_config_node *n = f->node;
    n->kids = f->kids;
    n->nkids = f->n;
    n->open = false;
    f->kids = NULL;
    for (size_t i = 0; i < n->nkids; i++) {
        const struct vg_config_node *k = n->kids[i];
        if (vg_ckd_add(&n->weight, n->weight, k->weight)) {
            return pos_err(b, err, VG_E_LIMIT, "node count overflows");
        }
        if (k->height + 1 > n->height) {
            n->height = k->height + 1;
        }
    }
    if (n->height == 0) {
        n->height = 1;
    }
    if (n->type == VG_CONFIG_MAP) {
        if (n->nkids % 2 != 0) {
            return vg_config_err(err, n, VG_E_PARSE, "mapping with a key but no value");
        }
        return check_keys(n, err);
    }
    return 0;
}

static int
on_alias(struct builder *b, struct fy_event *ev, struct vg_err **err)
{
    struct fy_token *t = fy_event_get_token(ev);
    size_t len = 0;
    const char *name = t ? fy_token_get_text(t, &len) : NULL;
    vg_autofree char *esc = vg_escape(name ? name : "", name ? len : 0, 64);
    if (b->col > 1) {
        b->col--; /* libfyaml marks the name; point at the '*' */
    }
    if (++b->naliases > b->lim->max_aliases) {
        return pos_err(b, err, VG_E_LIMIT, "more than %zu aliases", b->lim->max_aliases);
    }
    struct vg_config_node *target = NULL;
    for (size_t i = b->nanchors; name && i > 0; i--) {
        const char *a = b->anchors[i - 1].name;
        if (strlen(a) == len && memcmp(a, name, len) == 0) {
            target = b->anchors[i - 1].node;
            break;
        }
    }
    if (!target) {
        return pos_err(b, err, VG_E_PARSE, "alias *%s names no earlier anchor", esc);
    }
    if (target->open) {
        return pos_err(b, err, VG_E_PARSE, "alias *%s refers to a node that contains it", esc);
    }
    /* The alias stands where it is: its subtree adds to the depth from here. */
    if (target->type != VG_CONFIG_SCALAR && b->nframes + target->height > b->lim->max_depth) {
        return pos_err(b, err, VG_E_LIMIT, "alias *%s nests deeper than %zu levels", esc,
                       b->lim->max_depth);
    }
    if (count_nodes(b, target->weight, err) < 0) {
        return -1;
    }
    return attach(b, target, err);
}

static int
on_document(struct builder *b, bool start, struct vg_err **err)
{
    struct vg_config_doc *d = b->doc;
    if (start) {
        if (d->nroots >= b->lim->max_documents) {
            return pos_err(b, err, VG_E_LIMIT, "more than %zu documents", b->lim->max_documents);
        }
        for (size_t i = 0; i < b->nanchors; i++) {
            free(b->anchors[i].name);
        }
        b->nanchors = 0;
        b->naliases = 0;
        b->root = NULL;
        return 0;
    }
    if (!b->root) {
        b->root = node_new(b, VG_CONFIG_SCALAR);
        b->root->text = vg_strdup("");
        b->root->plain = true;
    }
    grow(&d->roots, &d->roots_cap, d->nroots, sizeof(*d->roots));
    d->roots[d->nroots++] = b->root;
    b->root = NULL;
    return 0;
}

static int
on_event(struct builder *b, struct fy_event *ev, struct vg_err **err)
{
    note_pos(b, ev);
    switch (ev->type) {
    case FYET_DOCUMENT_START:
        return on_document(b, true, err);
    case FYET_DOCUMENT_END:
        return on_document(b, false, err);
    case FYET_SCALAR:
        return on_scalar(b, ev, err);
    case FYET_SEQUENCE_START:
        return on_open(b, ev, VG_CONFIG_SEQ, err);
    case FYET_MAPPING_START:
        return on_open(b, ev, VG_CONFIG_MAP, err);
    case FYET_SEQUENCE_END:
    case FYET_MAPPING_END:
        return on_close(b, err);
    case FYET_ALIAS:
        return on_alias(b, ev, err);
    default:
        return 0;
    }
}

static void
builder_dispose(struct builder *b)
{
    for (size_t i = 0; i < b->nframes; i++) {
        free(b->frames[i].kids);
    }
    free(b->frames);
    for (size_t i = 0; i < b->nanchors; i++) {
        free(b->anchors[i].name);
    }
    free(b->anchors);
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0: no overlong forms, no surrogates,
 * nothing above U+10FFFF (RFC 3629). */
static size_t
utf8_seq(const uint8_t *p, size_t left)
{
    uint8_t c = p[0];
    if (c < 0x80) {
        return 1;
    }
    size_t n = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    if (n == 0 || n > left) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
        (c == 0xf4 && p[1] > 0x8f)) {
        return 0;
    }
    return n;
}

/* YAML streams are Unicode; we take UTF-8 only. Checked before libfyaml sees the bytes: its
 * directive scanner (0.7.12) loops forever on an invalid sequence after '%' (upstream
 * pantoniou/libfyaml#101). */
static int
check_utf8(struct builder *b, const uint8_t *data, size_t len, struct vg_err **err)
{
    unsigned line = 1, col = 1;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(data + i, len - i);
        if (n == 0) {
            b->line = line;
            b->col = col;
            return pos_err(b, err, VG_E_PARSE, "invalid UTF-8 (byte 0x%02x)", data[i]);
        }
        if (data[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        i += n;
    }
    return 0;
}

/* libfyaml's first collected diagnostic, as "NAME:LINE:COL: message". */
static int
syntax_err(struct builder *b, struct fy_diag *diag, struct vg_err **err)
{
    void *it = NULL;
    struct fy_diag_error *de = diag ? fy_diag_errors_iterate(diag, &it) : NULL;
    if (!de) {
        return pos_err(b, err, VG_E_PARSE, "invalid YAML");
    }
    const char *msg = de->msg ? de->msg : "invalid YAML";
    vg_autofree char *esc = vg_escape(msg, strlen(msg), 200);
    return vg_err_set(err, VG_E_PARSE, "%s:%d:%d: %s", b->doc->name, de->line, de->column, esc);
}

static int
parse_stream(struct builder *b, struct fy_parser *p, struct fy_diag *diag, struct vg_err **err)
{
    struct fy_event *ev;
    while ((ev = fy_parser_parse(p)) != NULL) {
        int rc = on_event(b, ev, err);
        fy_parser_event_free(p, ev);
        if (rc < 0) {
            return -1;
        }
    }
    if (fy_parser_get_stream_error(p)) {
        return syntax_err(b, diag, err);
    }
    if (b->nframes != 0) {
        return pos_err(b, err, VG_E_PARSE, "unterminated collection");
    }
    return 0;
}

int
vg_config_load_buf(struct vg_config_doc **out, const char *name, const void *data, size_t len,
                   const struct vg_config_limits *lim, struct vg_err **err)
{
    struct vg_config_limits defaults = VG_CONFIG_LIMITS_INIT;
    lim = lim ? lim : &defaults;
    name = name ? name : "<yaml>";
    vg_autofree char *ename = vg_escape(name, strlen(name), VG_LIMIT_PATH_BYTES);
    if (len > lim->max_bytes) {
        return vg_err_set(err, VG_E_LIMIT, "%s: larger than %zu bytes", ename, lim->max_bytes);
    }
    struct vg_config_doc *d = vg_calloc(1, sizeof(*d));
    d->name = vg_steal_ptr(&ename);
    struct builder b = {.doc = d, .lim = lim, .line = 1, .col = 1};

    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (diag) {
        fy_diag_set_collect_errors(diag, true);
    }
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = diag};
    struct fy_parser *p = fy_parser_create(&cfg);
    int rc;
    if (check_utf8(&b, data, len, err) < 0) {
        rc = -(int)VG_E_PARSE;
    } else if (!p || fy_parser_set_string(p, len ? data : "", len) != 0) {
        rc = vg_err_set(err, VG_E_INTERNAL, "%s: cannot create a YAML parser", d->name);
    } else {
        rc = parse_stream(&b, p, diag, err);
    }
    fy_parser_destroy(p);
    fy_diag_destroy(diag);
    builder_dispose(&b);
    if (rc < 0) {
        vg_config_doc_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int
vg_config_load_file(struct vg_config_doc **out, const char *path,
                    const struct vg_config_limits *lim, struct vg_err **err)
{
    struct vg_config_limits defaults = VG_CONFIG_LIMITS_INIT;
    lim = lim ? lim : &defaults;
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(lim->max_bytes);
    int rc = vg_file_read(&raw, path, lim->max_bytes, err);
    if (rc < 0) {
        return rc;
    }
    return vg_config_load_buf(out, path, raw.data, raw.len, lim, err);
}

void
vg_config_doc_free(struct vg_config_doc *d)
{
    if (!d) {
        return;
    }
    for (size_t i = 0; i < d->nall; i++) {
        free(d->all[i]->text);
        free(d->all[i]->kids);
        free(d->all[i]);
    }
    free(d->all);
    free(d->slab_nodes);
    free(d->slab_kids);
    free(d->slab_text);
    for (struct vg_config_block *b = d->blocks, *nx; b; b = nx) {
        nx = b->next;
        free(b);
    }
    free(d->roots);
    free(d->name);
    free(d);
}
