/* SPDX-License-Identifier: Apache-2.0
 *
 * oci: the image index as a value — an ordered list of descriptors that vigil reads, edits
 * and writes (referrers listings, the referrers tag-schema fallback index, merged pages).
 * Serialization is deterministic: fixed key order, annotations sorted by key, compact JSON,
 * so the same index always has the same digest.
 */
#include "oci.h"
#include "manifest_int.h"

#include <stdlib.h>
#include <string.h>

void
vg_oci_index_dispose(struct vg_oci_index *ix)
{
    if (!ix) {
        return;
    }
    for (size_t i = 0; i < ix->n; i++) {
        vg_oci_desc_dispose(&ix->v[i]);
    }
    free(ix->v);
    free(ix->media_type);
    free(ix->artifact_type);
    json_decref(ix->annotations);
    *ix = (struct vg_oci_index){0};
}

/* Makes room for one more entry; VG_E_LIMIT past VG_LIMIT_INDEX_ENTRIES. */
static int
reserve_one(struct vg_oci_index *ix, struct vg_err **err)
{
    if (ix->n >= VG_LIMIT_INDEX_ENTRIES) {
        return vg_err_set(err, VG_E_LIMIT, "image index: more than %u entries",
                          VG_LIMIT_INDEX_ENTRIES);
    }
    ix->v = vg_vec_grow(ix->v, &ix->cap, ix->n, 1, sizeof(*ix->v));
    return 0;
}

/* Appends the manifests[] of one index document; `what` names it in messages. */
static int
append_doc(struct vg_oci_index *ix, const json_t *doc, const char *what, struct vg_err **err)
{
    json_t *arr = json_is_object(doc) ? json_object_get(doc, "manifests") : NULL;
    if (!json_is_array(arr)) {
        return vg_err_set(err, VG_E_PARSE, "%s: /manifests: missing or not an array", what);
    }
    size_t i;
    json_t *e;
    json_array_foreach (arr, i, e) {
        struct vg_oci_desc d;
        char *where = vg_fmt("%s: /manifests/%zu", what, i);
        int rc = vg_oci_desc_parse(&d, e, where, err);
        free(where);
        if (rc < 0) {
            return rc;
        }
        if (reserve_one(ix, err) < 0) {
            vg_oci_desc_dispose(&d);
            return -1;
        }
        ix->v[ix->n++] = d; /* moved */
    }
    return 0;
}

int
vg_oci_index_append_json(struct vg_oci_index *ix, const void *data, size_t len, const char *what,
                         struct vg_err **err)
{
    vg_autojson json_t *doc = NULL;
    if (vg_json_parse(&doc, data, len, VG_LIMIT_MANIFEST_BYTES, what, err) < 0) {
        return -1;
    }
    return append_doc(ix, doc, what, err);
}

int
vg_oci_index_parse(struct vg_oci_index *out, const void *data, size_t len, const char *what,
                   struct vg_err **err)
{
    *out = (struct vg_oci_index){0};
    vg_autojson json_t *doc = NULL;
    if (vg_json_parse(&doc, data, len, VG_LIMIT_MANIFEST_BYTES, what, err) < 0) {
        return -1;
    }
    int rc = append_doc(out, doc, what, err);
    if (rc == 0) {
        json_t *mt = json_object_get(doc, "mediaType");
        json_t *at = json_object_get(doc, "artifactType");
        json_t *ann = json_object_get(doc, "annotations");
        if ((mt && !json_is_string(mt)) || (at && !json_is_string(at)) ||
            (ann && !json_is_object(ann))) {
            rc = vg_err_set(err, VG_E_PARSE,
                            "%s: mediaType, artifactType or annotations has the wrong type", what);
        } else {
            out->media_type = mt ? vg_strdup(json_string_value(mt)) : NULL;
            out->artifact_type = at ? vg_strdup(json_string_value(at)) : NULL;
            out->annotations = ann ? json_deep_copy(ann) : NULL;
        }
    }
    if (rc < 0) {
        vg_oci_index_dispose(out);
    }
    return rc;
}

const struct vg_oci_desc *
vg_oci_index_find(const struct vg_oci_index *ix, const struct vg_digest *d)
{
    for (size_t i = 0; i < ix->n; i++) {
        if (strcmp(ix->v[i].digest.text, d->text) == 0) {
            return &ix->v[i];
        }
    }
    return NULL;
}

int
vg_oci_index_add(struct vg_oci_index *ix, const struct vg_oci_desc *d, bool *added,
                 struct vg_err **err)
{
    *added = false;
    if (vg_oci_index_find(ix, &d->digest)) {
        return 0;
    }
    if (reserve_one(ix, err) < 0) {
        return -1;
    }
    vg_oci_desc_copy(&ix->v[ix->n++], d);
    *added = true;
    return 0;
}

bool
vg_oci_index_remove(struct vg_oci_index *ix, const struct vg_digest *d)
{
    for (size_t i = 0; i < ix->n; i++) {
        if (strcmp(ix->v[i].digest.text, d->text) == 0) {
            vg_oci_desc_dispose(&ix->v[i]);
            memmove(&ix->v[i], &ix->v[i + 1], (ix->n - i - 1) * sizeof(*ix->v));
            ix->n--;
            return true;
        }
    }
    return false;
}

size_t
vg_oci_index_filter(struct vg_oci_index *ix, const char *artifact_type)
{
    size_t kept = 0;
    for (size_t i = 0; i < ix->n; i++) {
        const char *at = ix->v[i].artifact_type;
        if (at && strcmp(at, artifact_type) == 0) {
            ix->v[kept++] = ix->v[i];
        } else {
            vg_oci_desc_dispose(&ix->v[i]);
        }
    }
    ix->n = kept;
    return kept;
}

/* ---------------------------------------------------------------- serialization */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of an annotations object with its keys inserted in sorted order (string values are
 * the only ones the spec allows; anything else is copied as it is). */
static json_t *
sorted_object(json_t *obj)
{
    size_t n = json_object_size(obj);
    vg_autofree const char **keys = vg_calloc(n ? n : 1, sizeof(*keys));
    size_t k = 0;
    const char *key;
    json_t *val;
    json_object_foreach (obj, key, val) {
        keys[k++] = key;
    }
    vg_qsort(keys, k, sizeof(*keys), cmp_str);
    json_t *out = json_object();
    for (size_t i = 0; i < k; i++) {
        json_object_set_new(out, keys[i], json_deep_copy(json_object_get(obj, keys[i])));
    }
    return out;
}

static json_t *
desc_json(const struct vg_oci_desc *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "mediaType", json_string(d->media_type));
    json_object_set_new(o, "size", json_integer((json_int_t)d->size));
    json_object_set_new(o, "digest", json_string(d->digest.text));
    if (d->artifact_type) {
        json_object_set_new(o, "artifactType", json_string(d->artifact_type));
    }
    if (d->annotations && json_object_size(d->annotations) > 0) {
        json_object_set_new(o, "annotations", sorted_object(d->annotations));
    }
    const struct vg_oci_platform *p = &d->platform;
    if (p->os && p->architecture) {
        json_t *pj = json_object();
        json_object_set_new(pj, "architecture", json_string(p->architecture));
        json_object_set_new(pj, "os", json_string(p->os));
        if (p->os_version) {
            json_object_set_new(pj, "os.version", json_string(p->os_version));
        }
        if (p->variant) {
            json_object_set_new(pj, "variant", json_string(p->variant));
        }
        json_object_set_new(o, "platform", pj);
    }
    return o;
}

int
vg_oci_index_serialize(const struct vg_oci_index *ix, struct vg_buf *out, struct vg_err **err)
{
    vg_autojson json_t *root = json_object();
    json_object_set_new(root, "schemaVersion", json_integer(2));
    json_object_set_new(root, "mediaType",
                        json_string(ix->media_type ? ix->media_type : VG_MT_OCI_INDEX));
    if (ix->artifact_type) {
        json_object_set_new(root, "artifactType", json_string(ix->artifact_type));
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < ix->n; i++) {
        json_array_append_new(arr, desc_json(&ix->v[i]));
    }
    json_object_set_new(root, "manifests", arr);
    if (ix->annotations && json_object_size(ix->annotations) > 0) {
        json_object_set_new(root, "annotations", sorted_object(ix->annotations));
    }
    vg_autofree char *s = vg_json_dumps(root, JSON_COMPACT);
    if (!s) {
        return vg_err_set(err, VG_E_INTERNAL, "image index: cannot serialize");
    }
    return vg_buf_append_str(out, s, err);
}
