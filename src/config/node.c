/* SPDX-License-Identifier: Apache-2.0
 *
 * Read-only accessors over a loaded document, and the one error formatter that puts a node's
 * file:line:column in front of a message. Nothing here allocates except vg_config_err.
 */
#include "config.h"

#include <string.h>

#include "config_int.h"

size_t
vg_config_doc_count(const struct vg_config_doc *d)
{
    return d ? d->nroots : 0;
}

const struct vg_config_node *
vg_config_doc_root(const struct vg_config_doc *d, size_t i)
{
    return d && i < d->nroots ? d->roots[i] : NULL;
}

const char *
vg_config_doc_name(const struct vg_config_doc *d)
{
    return d->name;
}

enum vg_config_type
vg_config_node_type(const struct vg_config_node *n)
{
    return n->type;
}

const char *
vg_config_type_name(enum vg_config_type t)
{
    switch (t) {
    case VG_CONFIG_SCALAR:
        return "scalar";
    case VG_CONFIG_SEQ:
        return "list";
    case VG_CONFIG_MAP:
        return "mapping";
    }
    return "?";
}

unsigned
vg_config_node_line(const struct vg_config_node *n)
{
    return n->line;
}

unsigned
vg_config_node_col(const struct vg_config_node *n)
{
    return n->col;
}

const char *
vg_config_node_file(const struct vg_config_node *n)
{
    return n->file;
}

bool
vg_config_node_plain(const struct vg_config_node *n)
{
    return n && n->type == VG_CONFIG_SCALAR && n->plain;
}

bool
vg_config_node_is_null(const struct vg_config_node *n)
{
    static const char *const nulls[] = {"~", "null", "Null", "NULL"};
    if (!n || n->type != VG_CONFIG_SCALAR || !n->plain) {
        return false;
    }
    if (n->len == 0) {
        return true;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(nulls); i++) {
        if (strlen(nulls[i]) == n->len && memcmp(nulls[i], n->text, n->len) == 0) {
            return true;
        }
    }
    return false;
}

const char *
vg_config_node_scalar(const struct vg_config_node *n, size_t *len)
{
    if (!n || n->type != VG_CONFIG_SCALAR) {
        return NULL;
    }
    if (len) {
        *len = n->len;
    }
    return n->text;
}

int
vg_config_scalar_replace(struct vg_config_doc *doc, const struct vg_config_node *n,
                         const char *text, struct vg_err **err)
{
    for (size_t i = 0; n && n->type == VG_CONFIG_SCALAR && i < doc->nall; i++) {
        if (doc->all[i] == n) { /* found among the document's own nodes: ours to change */
            struct vg_config_node *m = doc->all[i];
            free(m->text);
            m->len = strlen(text);
            m->text = vg_strdup(text);
            m->plain = false;
            return 0;
        }
    }
    return vg_err_set(err, VG_E_USAGE, "not a scalar of this document");
}

size_t
vg_config_node_len(const struct vg_config_node *n)
{
    if (!n || n->type == VG_CONFIG_SCALAR) {
        return 0;
    }
    return n->type == VG_CONFIG_MAP ? n->nkids / 2 : n->nkids;
}

const struct vg_config_node *
vg_config_seq_at(const struct vg_config_node *n, size_t i)
{
    return n && n->type == VG_CONFIG_SEQ && i < n->nkids ? n->kids[i] : NULL;
}

const struct vg_config_node *
vg_config_map_key(const struct vg_config_node *n, size_t i)
{
    return n && n->type == VG_CONFIG_MAP && i < n->nkids / 2 ? n->kids[2 * i] : NULL;
}

const struct vg_config_node *
vg_config_map_value(const struct vg_config_node *n, size_t i)
{
    return n && n->type == VG_CONFIG_MAP && i < n->nkids / 2 ? n->kids[2 * i + 1] : NULL;
}

const struct vg_config_node *
vg_config_map_get(const struct vg_config_node *n, const char *key)
{
    if (!n || n->type != VG_CONFIG_MAP) {
        return NULL;
    }
    size_t klen = strlen(key);
    for (size_t i = 0; i + 1 < n->nkids; i += 2) {
        const struct vg_config_node *k = n->kids[i];
        if (k->len == klen && memcmp(k->text, key, klen) == 0) {
            return n->kids[i + 1];
        }
    }
    return NULL;
}

int
vg_config_err(struct vg_err **err, const struct vg_config_node *n, enum vg_errc code,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vg_autofree char *msg = vg_vfmt(fmt, ap);
    va_end(ap);
    return vg_err_set(err, code, "%s:%u:%u: %s", n->file, n->line, n->col, msg);
}
