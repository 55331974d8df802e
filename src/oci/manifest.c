/* SPDX-License-Identifier: Apache-2.0
 *
 * Manifest and index documents: OCI image manifest and index, Docker schema2 manifest and
 * manifest list. Docker schema1 (signed or not) is refused: it has no content-addressed
 * config and no sizes to verify. A document whose media type is absent falls back to the
 * transport's hint, then to its shape (OCI allowed omitting it); a document whose fields
 * contradict its media type is refused, as containers/image does, so two parsers can never
 * disagree on what a digest names.
 *
 * Parsing validates everything callers use — digests, sizes, counts against limits.h — and
 * hands out plain structs; no json_t escapes except annotations (owned, read-only).
 */
#include "manifest_int.h"

#include <string.h>

bool
vg_oci_mt_is_manifest(const char *mt)
{
    return mt && (strcmp(mt, VG_MT_OCI_MANIFEST) == 0 || strcmp(mt, VG_MT_DOCKER_MANIFEST) == 0);
}

bool
vg_oci_mt_is_index(const char *mt)
{
    return mt && (strcmp(mt, VG_MT_OCI_INDEX) == 0 || strcmp(mt, VG_MT_DOCKER_LIST) == 0);
}

bool
vg_oci_mt_is_schema1(const char *mt)
{
    return mt && (strcmp(mt, VG_MT_DOCKER_SCHEMA1) == 0 || strcmp(mt, VG_MT_DOCKER_SCHEMA1_S) == 0);
}

bool
vg_oci_mt_is_image_config(const char *mt)
{
    return mt && (strcmp(mt, VG_MT_OCI_CONFIG) == 0 || strcmp(mt, VG_MT_DOCKER_CONFIG) == 0);
}

bool
vg_oci_mt_is_layer(const char *mt)
{
    static const char *const known[] = {
        VG_MT_OCI_LAYER,
        VG_MT_OCI_LAYER_GZIP,
        VG_MT_OCI_LAYER_ZSTD,
        VG_MT_DOCKER_LAYER,
        "application/vnd.docker.image.rootfs.diff.tar",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    };
    for (size_t i = 0; mt && i < VG_ARRAY_LEN(known); i++) {
        if (strcmp(mt, known[i]) == 0) {
            return true;
        }
    }
    return false;
}

void
vg_oci_desc_dispose(struct vg_oci_desc *d)
{
    if (!d) {
        return;
    }
    free(d->media_type);
    free(d->artifact_type);
    vg_oci_platform_dispose(&d->platform);
    json_decref(d->annotations);
    *d = (struct vg_oci_desc){0};
}

void
vg_oci_desc_copy(struct vg_oci_desc *dst, const struct vg_oci_desc *src)
{
    *dst = (struct vg_oci_desc){0};
    dst->media_type = vg_strdup(src->media_type);
    dst->digest = src->digest;
    dst->size = src->size;
    dst->platform.os = vg_strdup(src->platform.os);
    dst->platform.architecture = vg_strdup(src->platform.architecture);
    dst->platform.variant = vg_strdup(src->platform.variant);
    dst->platform.os_version = vg_strdup(src->platform.os_version);
    dst->artifact_type = vg_strdup(src->artifact_type);
    dst->annotations = src->annotations ? json_deep_copy(src->annotations) : NULL;
}

static int
field_err(struct vg_err **err, const char *where, const char *key, const char *what)
{
    return vg_err_set(err, VG_E_PARSE, "%s/%s: %s", where, key, what);
}

/* An optional string member: absent is fine, any other type is an error. */
static int
opt_str(char **out, const json_t *j, const char *key, const char *where, struct vg_err **err)
{
    json_t *v = json_object_get(j, key);
    if (!v) {
        return 0;
    }
    if (!json_is_string(v)) {
        return field_err(err, where, key, "not a string");
    }
    *out = vg_strndup(json_string_value(v), json_string_length(v));
    return 0;
}

static int
opt_object(json_t **out, const json_t *j, const char *key, const char *where, struct vg_err **err)
{
    json_t *v = json_object_get(j, key);
    if (!v) {
        return 0;
    }
    if (!json_is_object(v)) {
        return field_err(err, where, key, "not an object");
    }
    const char *k;
    json_t *val;
    json_object_foreach (v, k, val) {
        if (!json_is_string(val)) {
            return vg_err_set(err, VG_E_PARSE, "%s/%s: value of \"%.64s\" is not a string", where,
                              key, k);
        }
    }
    *out = json_incref(v);
    return 0;
}

static int
parse_platform(struct vg_oci_platform *p, const json_t *j, const char *where, struct vg_err **err)
{
    json_t *pj = json_object_get(j, "platform");
    if (!pj) {
        return 0;
    }
    if (!json_is_object(pj)) {
        return field_err(err, where, "platform", "not an object");
    }
    char *pw = vg_fmt("%s/platform", where);
    int rc = 0;
    if (opt_str(&p->os, pj, "os", pw, err) < 0 ||
        opt_str(&p->architecture, pj, "architecture", pw, err) < 0 ||
        opt_str(&p->variant, pj, "variant", pw, err) < 0 ||
        opt_str(&p->os_version, pj, "os.version", pw, err) < 0) {
        rc = -(int)VG_E_PARSE;
    } else if (!p->os || !p->architecture) {
        rc = vg_err_set(err, VG_E_PARSE, "%s: os and architecture are required", pw);
    }
    free(pw);
    return rc;
}

int
vg_oci_desc_parse(struct vg_oci_desc *out, const json_t *j, const char *where, struct vg_err **err)
{
    struct vg_oci_desc d = {0};
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "%s: descriptor is not an object", where);
    }
    const char *mt = vg_json_str(j, "mediaType");
    const char *dg = vg_json_str(j, "digest");
    json_t *size = json_object_get(j, "size");
    if (!mt) {
        return field_err(err, where, "mediaType", "missing or not a string");
    }
    if (!dg || vg_digest_parse(&d.digest, dg, NULL) < 0) {
        char *e = dg ? vg_escape(dg, strlen(dg), 140) : vg_strdup("(missing)");
        int rc = vg_err_set(err, VG_E_PARSE,
                            "%s/digest: invalid digest %s (want sha256:<64 hex> or "
                            "sha512:<128 hex>)",
                            where, e);
        free(e);
        return rc;
    }
    if (!json_is_integer(size) || json_integer_value(size) < 0) {
        return field_err(err, where, "size", "missing, negative or not an integer");
    }
    d.size = (uint64_t)json_integer_value(size);
    d.media_type = vg_strdup(mt);
    if (opt_str(&d.artifact_type, j, "artifactType", where, err) < 0 ||
        opt_object(&d.annotations, j, "annotations", where, err) < 0 ||
        parse_platform(&d.platform, j, where, err) < 0) {
        vg_oci_desc_dispose(&d);
        return -(int)VG_E_PARSE;
    }
    *out = d;
    return 0;
}

void
vg_oci_manifest_free(struct vg_oci_manifest *m)
{
    if (!m) {
        return;
    }
    free(m->media_type);
    vg_oci_desc_dispose(&m->config);
    for (size_t i = 0; i < m->nlayers; i++) {
        vg_oci_desc_dispose(&m->layers[i]);
    }
    free(m->layers);
    for (size_t i = 0; i < m->nmanifests; i++) {
        vg_oci_desc_dispose(&m->manifests[i]);
    }
    free(m->manifests);
    if (m->subject) {
        vg_oci_desc_dispose(m->subject);
        free(m->subject);
    }
    free(m->artifact_type);
    json_decref(m->annotations);
    free(m);
}

static int
parse_desc_array(struct vg_oci_desc **out, size_t *n, const json_t *doc, const char *key,
                 size_t limit, struct vg_err **err)
{
    json_t *arr = json_object_get(doc, key);
    if (!json_is_array(arr)) {
        return vg_err_set(err, VG_E_PARSE, "/%s: missing or not an array", key);
    }
    size_t count = json_array_size(arr);
    if (count > limit) {
        return vg_err_set(err, VG_E_LIMIT, "/%s: %zu entries exceeds the limit of %zu", key, count,
                          limit);
    }
    *out = vg_calloc(count ? count : 1, sizeof(**out));
    for (size_t i = 0; i < count; i++) {
        char *where = vg_fmt("/%s/%zu", key, i);
        int rc = vg_oci_desc_parse(&(*out)[i], json_array_get(arr, i), where, err);
        free(where);
        if (rc < 0) {
            return rc;
        }
        (*n)++;
    }
    return 0;
}

/* The effective media type: the document's own, else the transport's, else its shape. */
static int
effective_media_type(char **out, const json_t *doc, const char *hint, struct vg_err **err)
{
    json_t *mtj = json_object_get(doc, "mediaType");
    if (mtj && !json_is_string(mtj)) {
        return vg_err_set(err, VG_E_PARSE, "/mediaType: not a string");
    }
    const char *mt = mtj ? json_string_value(mtj) : NULL;
    bool hint_known =
        vg_oci_mt_is_manifest(hint) || vg_oci_mt_is_index(hint) || vg_oci_mt_is_schema1(hint);
    if (mt && hint_known && strcmp(mt, hint) != 0) {
        char *e = vg_escape(mt, strlen(mt), 100);
        int rc = vg_err_set(err, VG_E_PARSE,
                            "media type mismatch: document says \"%s\", descriptor or server "
                            "says \"%s\"",
                            e, hint);
        free(e);
        return rc;
    }
    if (!mt && hint_known) {
        mt = hint;
    }
    if (!mt) {
        json_int_t sv = json_integer_value(json_object_get(doc, "schemaVersion"));
        if (sv == 1 || json_object_get(doc, "fsLayers")) {
            mt = VG_MT_DOCKER_SCHEMA1;
        } else if (json_object_get(doc, "manifests")) {
            mt = VG_MT_OCI_INDEX;
        } else if (json_object_get(doc, "config") || json_object_get(doc, "layers")) {
            mt = VG_MT_OCI_MANIFEST;
        } else {
            return vg_err_set(err, VG_E_PARSE,
                              "no mediaType in the document or from the transport, and it is "
                              "neither a manifest nor an index");
        }
    }
    *out = vg_strdup(mt);
    return 0;
}

static int
check_shape(const struct vg_oci_manifest *m, const json_t *doc, struct vg_err **err)
{
    json_t *sv = json_object_get(doc, "schemaVersion");
    if (!json_is_integer(sv) || json_integer_value(sv) != 2) {
        return vg_err_set(err, VG_E_PARSE, "/schemaVersion: must be 2 for %s", m->media_type);
    }
    if (m->is_index && (json_object_get(doc, "config") || json_object_get(doc, "layers"))) {
        return vg_err_set(err, VG_E_PARSE,
                          "document claims to be an index (%s) but has config/layers",
                          m->media_type);
    }
    if (!m->is_index && json_object_get(doc, "manifests")) {
        return vg_err_set(err, VG_E_PARSE,
                          "document claims to be a manifest (%s) but has manifests", m->media_type);
    }
    return 0;
}

static int
parse_body(struct vg_oci_manifest *m, const json_t *doc, struct vg_err **err)
{
    if (check_shape(m, doc, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (m->is_index) {
        if (parse_desc_array(&m->manifests, &m->nmanifests, doc, "manifests",
                             VG_LIMIT_INDEX_ENTRIES, err) < 0) {
            return -1;
        }
    } else {
        json_t *cfg = json_object_get(doc, "config");
        if (!cfg) {
            return vg_err_set(err, VG_E_PARSE, "/config: missing");
        }
        if (vg_oci_desc_parse(&m->config, cfg, "/config", err) < 0 ||
            parse_desc_array(&m->layers, &m->nlayers, doc, "layers", VG_LIMIT_LAYERS, err) < 0) {
            return -1;
        }
    }
    json_t *subj = json_object_get(doc, "subject");
    if (subj) {
        m->subject = vg_calloc(1, sizeof(*m->subject));
        if (vg_oci_desc_parse(m->subject, subj, "/subject", err) < 0) {
            return -1;
        }
    }
    if (opt_str(&m->artifact_type, doc, "artifactType", "", err) < 0 ||
        opt_object(&m->annotations, doc, "annotations", "", err) < 0) {
        return -1;
    }
    return 0;
}

int
vg_oci_manifest_parse(struct vg_oci_manifest **out, const void *data, size_t len,
                      const char *media_type_hint, struct vg_err **err)
{
    vg_autojson json_t *doc = NULL;
    if (vg_json_parse(&doc, data, len, VG_LIMIT_MANIFEST_BYTES, "manifest", err) < 0) {
        return -(int)VG_E_PARSE;
    }
    if (!json_is_object(doc)) {
        return vg_err_set(err, VG_E_PARSE, "manifest: not a JSON object");
    }
    struct vg_oci_manifest *m = vg_calloc(1, sizeof(*m));
    if (effective_media_type(&m->media_type, doc, media_type_hint, err) < 0) {
        vg_oci_manifest_free(m);
        return -(int)VG_E_PARSE;
    }
    if (vg_oci_mt_is_schema1(m->media_type)) {
        vg_oci_manifest_free(m);
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "Docker schema 1 manifests are not supported (deprecated and "
                          "unverifiable); re-push the image with a current client to get "
                          "schema 2 or OCI");
    }
    if (!vg_oci_mt_is_manifest(m->media_type) && !vg_oci_mt_is_index(m->media_type)) {
        char *e = vg_escape(m->media_type, strlen(m->media_type), 100);
        vg_oci_manifest_free(m);
        int rc = vg_err_set(err, VG_E_UNSUPPORTED, "unsupported manifest media type \"%s\"", e);
        free(e);
        return rc;
    }
    m->is_index = vg_oci_mt_is_index(m->media_type);
    if (parse_body(m, doc, err) < 0) {
        vg_oci_manifest_free(m);
        return -1;
    }
    *out = m;
    return 0;
}
