/* SPDX-License-Identifier: Apache-2.0
 *
 * The inventory builder's per-layer cache records: one layer's records exported as JSON
 * before finish() merges them, and imported back with every field checked. What the records
 * mean and how finish() uses them is in builder.c.
 */
#include <string.h>

#include "inventory/builder_int.h"

/* The records of one layer as JSON, before finish() merges them: what a per-layer cache keeps
 * so that a later scan of any image containing the layer need not read it. Strings that are
 * not valid UTF-8 make the export fail (the layer is then simply not cached); the import
 * checks every field and takes all records or none. */

#define REC_MAX_STRS 1000000u

struct jw {
    bool ok;
};

static void
jw_str(struct jw *w, json_t *o, const char *k, const char *s)
{
    if (!s) {
        return;
    }
    json_t *v = json_string(s);
    w->ok = w->ok && v && json_object_set_new(o, k, v) == 0;
}

static json_t *
jw_strv(struct jw *w, char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_string(v[i]);
        w->ok = w->ok && s && json_array_append_new(a, s) == 0;
    }
    return a;
}

static json_t *
pkg_export(struct jw *w, const struct vg_pkg *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_integer(p->type));
    jw_str(w, o, "ecosystem", p->ecosystem);
    jw_str(w, o, "kind", p->kind);
    jw_str(w, o, "name", p->name);
    jw_str(w, o, "version", p->version);
    jw_str(w, o, "src_name", p->src_name);
    jw_str(w, o, "src_version", p->src_version);
    jw_str(w, o, "arch", p->arch);
    jw_str(w, o, "purl", p->purl);
    jw_str(w, o, "path", p->path);
    jw_str(w, o, "modularity_label", p->modularity_label);
    json_object_set_new(o, "licenses", jw_strv(w, p->licenses, p->nlicenses));
    json_object_set_new(o, "files", jw_strv(w, p->files, p->nfiles));
    return o;
}

static json_t *
rec_export(struct jw *w, const struct inv_rec *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "an", json_integer(r->an));
    jw_str(w, o, "path", r->path);
    if (r->failed) {
        json_object_set_new(o, "failed", json_true());
    }
    json_t *pk = json_array();
    for (size_t i = 0; i < r->pkgs.n; i++) {
        json_array_append_new(pk, pkg_export(w, &r->pkgs.v[i]));
    }
    json_object_set_new(o, "pkgs", pk);
    json_object_set_new(o, "files", jw_strv(w, r->files, r->nfiles));
    if (r->data) {
        char *b64 = vg_base64_encode(r->data, r->len);
        jw_str(w, o, "data", b64);
        free(b64);
    }
    return o;
}

int
vg_inventory_builder_export(json_t **out, struct vg_inventory_builder *b, size_t layer_index,
                            struct vg_err **err)
{
    struct jw w = {true};
    json_t *a = json_array();
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < b->nrecs && w.ok; i++) {
        if (b->recs[i].layer == layer_index) {
            json_array_append_new(a, rec_export(&w, &b->recs[i]));
        }
    }
    pthread_mutex_unlock(&b->mu);
    if (!w.ok) {
        json_decref(a);
        return vg_err_set(err, VG_E_UNSUPPORTED, "layer %zu: analyzer output is not valid UTF-8",
                          layer_index);
    }
    *out = a;
    return 0;
}

/* Reads an optional string member: false when present but not a string. */
static bool
jr_str(char **dst, const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    if (!v) {
        return true;
    }
    if (!json_is_string(v)) {
        return false;
    }
    *dst = vg_strndup(json_string_value(v), json_string_length(v));
    return true;
}

static bool
jr_strv(char ***dst, size_t *n, const json_t *o, const char *k)
{
    const json_t *a = json_object_get(o, k);
    if (!a) {
        return true;
    }
    if (!json_is_array(a) || json_array_size(a) > REC_MAX_STRS) {
        return false;
    }
    size_t m = json_array_size(a);
    *dst = m ? vg_calloc(m, sizeof(char *)) : NULL;
    for (size_t i = 0; i < m; i++) {
        const json_t *s = json_array_get(a, i);
        if (!json_is_string(s)) {
            return false;
        }
        (*dst)[i] = vg_strndup(json_string_value(s), json_string_length(s));
        *n = i + 1;
    }
    return true;
}

static bool
pkg_import(struct vg_pkg *p, const json_t *o, const struct inv_rec *r)
{
    json_int_t type = json_integer_value(json_object_get(o, "type"));
    if (!json_is_object(o) || (type != VG_PKG_OS && type != VG_PKG_LIBRARY)) {
        return false;
    }
    p->type = (enum vg_pkg_type)type;
    p->layer_index = r->layer;
    p->layer_digest = r->digest;
    p->layer_diff_id = r->diff_id;
    return jr_str(&p->ecosystem, o, "ecosystem") && jr_str(&p->kind, o, "kind") &&
           jr_str(&p->name, o, "name") && jr_str(&p->version, o, "version") &&
           jr_str(&p->src_name, o, "src_name") && jr_str(&p->src_version, o, "src_version") &&
           jr_str(&p->arch, o, "arch") && jr_str(&p->purl, o, "purl") &&
           jr_str(&p->path, o, "path") && jr_str(&p->modularity_label, o, "modularity_label") &&
           jr_strv(&p->licenses, &p->nlicenses, o, "licenses") &&
           jr_strv(&p->files, &p->nfiles, o, "files") && p->kind && p->name;
}

static bool
rec_data_import(struct inv_rec *r, const json_t *o)
{
    const json_t *d = json_object_get(o, "data");
    if (!d) {
        return true;
    }
    return json_is_string(d) && (r->an == AN_OS || r->an == AN_DPKG_DOCLINK) &&
           vg_base64_decode(&r->data, &r->len, json_string_value(d), json_string_length(d), false,
                            NULL) == 0 &&
           r->len <= VG_INV_MAX_OS_FILE_BYTES;
}

/* finish() relies on each record's path matching its analyzer (prefixes, suffixes). */
static bool
rec_an_consistent(const struct inv_rec *r)
{
    if (r->an == AN_GO) {
        return true;
    }
    if (r->an == AN_DPKG_DOCLINK) {
        const char *name = r->path + strlen("usr/share/doc/");
        return vg_cstr_startswith(r->path, "usr/share/doc/") && *name && !strchr(name, '/');
    }
    return vg_inv_builder_classify(r->path) == r->an;
}

static bool
rec_import(struct inv_rec *r, const json_t *o)
{
    json_int_t an = json_integer_value(json_object_get(o, "an"));
    const json_t *pk = json_object_get(o, "pkgs");
    if (!json_is_object(o) || an <= AN_NONE || an > AN_GO || !jr_str(&r->path, o, "path") ||
        !r->path || !r->path[0] || (pk && !json_is_array(pk)) ||
        json_array_size(pk) > VG_INV_MAX_PKGS_PER_FILE) {
        return false;
    }
    r->an = (enum inv_an)an;
    if (!rec_an_consistent(r)) {
        return false;
    }
    r->failed = json_is_true(json_object_get(o, "failed"));
    for (size_t i = 0; i < json_array_size(pk); i++) {
        struct vg_pkg *p = vg_pkg_list_add(&r->pkgs, NULL);
        if (!p || !pkg_import(p, json_array_get(pk, i), r)) {
            return false;
        }
    }
    return jr_strv(&r->files, &r->nfiles, o, "files") && rec_data_import(r, o) &&
           (r->an != AN_DPKG_DOCLINK || (r->data && !memchr(r->data, '\0', r->len)));
}

int
vg_inventory_builder_import(struct vg_inventory_builder *b, const json_t *recs, size_t layer_index,
                            const struct vg_digest *layer_digest, const struct vg_digest *diff_id,
                            struct vg_err **err)
{
    if (!json_is_array(recs)) {
        return vg_err_set(err, VG_E_PARSE, "layer records: not an array");
    }
    size_t n = json_array_size(recs);
    struct inv_rec *v = vg_calloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[i].layer = layer_index;
        v[i].digest = layer_digest ? *layer_digest : (struct vg_digest){0};
        v[i].diff_id = diff_id ? *diff_id : (struct vg_digest){0};
        if (!rec_import(&v[i], json_array_get(recs, i))) {
            for (size_t k = 0; k <= i; k++) {
                vg_inv_rec_dispose(&v[k]);
            }
            free(v);
            return vg_err_set(err, VG_E_PARSE, "layer records: record %zu is malformed", i);
        }
    }
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < n; i++) {
        b->recs = vg_vec_grow(b->recs, &b->cap, b->nrecs, 1, sizeof(*b->recs));
        b->warnings += v[i].failed;
        b->recs[b->nrecs++] = v[i];
    }
    pthread_mutex_unlock(&b->mu);
    free(v);
    return 0;
}
