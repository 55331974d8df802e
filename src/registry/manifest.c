/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry's manifest validator: decides whether pushed bytes are a manifest the registry
 * stores, and extracts what it indexes (references for existence checks and GC, subject,
 * artifactType and annotations for the referrers API). It is deliberately shallower than
 * oci/manifest.c (the client's parser, which needs platforms, layers and configs): a registry
 * must accept artifacts with arbitrary config and layer media types, and never rewrites the
 * bytes. Hostile input throughout: bounded size and descriptor counts, strict JSON (duplicate
 * keys refused), every error one line naming the field.
 */
#include "registry/registry.h"

#include <string.h>

struct vctx {
    struct vg_registry_manifest_info *out;
    VG_VEC(struct vg_registry_manifest_ref) refs;
};

static const char *const known_types[] = {VG_MT_OCI_MANIFEST, VG_MT_OCI_INDEX,
                                          VG_MT_DOCKER_MANIFEST, VG_MT_DOCKER_LIST};

void
vg_registry_manifest_info_dispose(struct vg_registry_manifest_info *m)
{
    free(m->artifact_type);
    free(m->annotations);
    free(m->refs);
    memset(m, 0, sizeof(*m));
}

/* RFC 6838 type/subtype: restricted-name characters, at most VG_OCI_DIST_MEDIA_MAX. */
static bool
media_type_valid(const char *s)
{
    size_t n = strlen(s), slash = 0, at = 0;
    if (n == 0 || n > VG_OCI_DIST_MEDIA_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '/') {
            slash++;
            at = i;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     strchr("!#$&-^_.+", c))) {
            return false;
        }
    }
    return slash == 1 && at > 0 && at + 1 < n;
}

static bool
foreign_layer(const char *mt)
{
    return vg_cstr_startswith(mt, "application/vnd.oci.image.layer.nondistributable.") ||
           vg_cstr_startswith(mt, "application/vnd.docker.image.rootfs.foreign.");
}

static int
check_data(const json_t *data, const struct vg_digest *d, uint64_t size, const char *where,
           struct vg_err **err)
{
    if (!json_is_string(data)) {
        return vg_err_set(err, VG_E_PARSE, "%s.data is not a string", where);
    }
    uint8_t *raw = NULL;
    size_t n = 0;
    struct vg_err *e = NULL;
    if (vg_base64_decode(&raw, &n, json_string_value(data), json_string_length(data), false, &e) <
        0) {
        vg_err_free(&e);
        return vg_err_set(err, VG_E_PARSE, "%s.data is not base64", where);
    }
    struct vg_digest got;
    vg_digest_of(&got, d->alg, raw, n);
    free(raw);
    if (n != size || !vg_digest_eq(&got, d)) {
        return vg_err_set(err, VG_E_PARSE, "%s.data does not match its digest and size", where);
    }
    return 0;
}

static int
check_annotations(json_t *a, const char *where, struct vg_err **err)
{
    if (!a) {
        return 0;
    }
    if (!json_is_object(a)) {
        return vg_err_set(err, VG_E_PARSE, "%s.annotations is not an object", where);
    }
    const char *k;
    json_t *v;
    json_object_foreach (a, k, v) {
        if (!json_is_string(v)) {
            return vg_err_set(err, VG_E_PARSE, "%s.annotations values must be strings", where);
        }
    }
    return 0;
}

/* A descriptor at `where` ("layers[3]"): mediaType, digest, size, optional data/annotations. */
static int
check_desc(const json_t *d, const char *where, struct vg_digest *digest, const char **mt,
           struct vg_err **err)
{
    if (!json_is_object(d)) {
        return vg_err_set(err, VG_E_PARSE, "%s is not an object", where);
    }
    *mt = vg_json_str(d, "mediaType");
    if (!*mt || !media_type_valid(*mt)) {
        return vg_err_set(err, VG_E_PARSE, "%s.mediaType is missing or not a media type", where);
    }
    const char *ds = vg_json_str(d, "digest");
    struct vg_err *e = NULL;
    if (!ds || vg_digest_parse(digest, ds, &e) < 0) {
        vg_err_free(&e);
        return vg_err_set(err, VG_E_PARSE, "%s.digest is missing or not a sha256/sha512 digest",
                          where);
    }
    const json_t *sz = json_object_get(d, "size");
    if (!json_is_integer(sz) || json_integer_value(sz) < 0) {
        return vg_err_set(err, VG_E_PARSE, "%s.size is missing or not a non-negative integer",
                          where);
    }
    const json_t *data = json_object_get(d, "data");
    if (data && check_data(data, digest, (uint64_t)json_integer_value(sz), where, err) < 0) {
        return -1;
    }
    const json_t *at = json_object_get(d, "artifactType");
    if (at && (!json_is_string(at) || !media_type_valid(json_string_value(at)))) {
        return vg_err_set(err, VG_E_PARSE, "%s.artifactType is not a media type", where);
    }
    return check_annotations(json_object_get(d, "annotations"), where, err);
}

static int
add_ref(struct vctx *c, const json_t *d, const char *where, bool is_manifest, struct vg_err **err)
{
    struct vg_digest dg;
    const char *mt;
    if (check_desc(d, where, &dg, &mt, err) < 0) {
        return -1;
    }
    if (!is_manifest && foreign_layer(mt)) {
        return 0;
    }
    struct vg_registry_manifest_ref r = {.digest = dg, .is_manifest = is_manifest};
    vg_vec_push(&c->refs, r);
    return 0;
}

static int
check_list(struct vctx *c, const json_t *root, const char *key, bool required, bool is_manifest,
           struct vg_err **err)
{
    json_t *a = json_object_get(root, key);
    if (!a) {
        return required ? vg_err_set(err, VG_E_PARSE, "'%s' is missing", key) : 0;
    }
    if (!json_is_array(a)) {
        return vg_err_set(err, VG_E_PARSE, "'%s' is not an array", key);
    }
    if (json_array_size(a) > VG_LIMIT_INDEX_ENTRIES) {
        return vg_err_set(err, VG_E_LIMIT, "'%s' has %zu entries (at most %u)", key,
                          json_array_size(a), VG_LIMIT_INDEX_ENTRIES);
    }
    size_t i;
    json_t *d;
    json_array_foreach (a, i, d) {
        char where[64];
        snprintf(where, sizeof(where), "%s[%zu]", key, i);
        if (add_ref(c, d, where, is_manifest, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
check_common(struct vctx *c, const json_t *root, struct vg_err **err)
{
    struct vg_registry_manifest_info *o = c->out;
    const json_t *sv = json_object_get(root, "schemaVersion");
    if (!json_is_integer(sv) || json_integer_value(sv) != 2) {
        return vg_err_set(err, VG_E_PARSE, "schemaVersion must be 2");
    }
    const json_t *at = json_object_get(root, "artifactType");
    if (at) {
        if (!json_is_string(at) || !media_type_valid(json_string_value(at))) {
            return vg_err_set(err, VG_E_PARSE, "artifactType is not a media type");
        }
        o->artifact_type = vg_strdup(json_string_value(at));
    }
    const json_t *subj = json_object_get(root, "subject");
    if (subj) {
        const char *mt;
        if (check_desc(subj, "subject", &o->subject, &mt, err) < 0) {
            return -1;
        }
        o->has_subject = true;
    }
    json_t *ann = json_object_get(root, "annotations");
    if (check_annotations(ann, "manifest", err) < 0) {
        return -1;
    }
    if (ann) {
        o->annotations = vg_json_dumps(ann, JSON_COMPACT | JSON_SORT_KEYS);
    }
    return 0;
}

static int
check_image(struct vctx *c, const json_t *root, struct vg_err **err)
{
    const json_t *cfg = json_object_get(root, "config");
    if (!cfg) {
        return vg_err_set(err, VG_E_PARSE, "'config' is missing");
    }
    if (add_ref(c, cfg, "config", false, err) < 0 ||
        check_list(c, root, "layers", true, false, err) < 0) {
        return -1;
    }
    if (!c->out->artifact_type) {
        c->out->artifact_type = vg_strdup(vg_json_str(cfg, "mediaType"));
    }
    if (json_object_get(root, "manifests")) {
        return vg_err_set(err, VG_E_PARSE, "an image manifest has no 'manifests'");
    }
    return 0;
}

static const char *
resolve_type(const char *content_type, const json_t *root, enum vg_oci_dist_code *code,
             struct vg_err **err)
{
    char ct[VG_OCI_DIST_MEDIA_MAX + 1] = "";
    if (content_type) {
        size_t n = strcspn(content_type, ";");
        while (n && (content_type[n - 1] == ' ' || content_type[n - 1] == '\t')) {
            n--;
        }
        if (n > VG_OCI_DIST_MEDIA_MAX) {
            n = VG_OCI_DIST_MEDIA_MAX;
        }
        memcpy(ct, content_type, n);
        ct[n] = '\0';
    }
    const json_t *bmt = json_object_get(root, "mediaType");
    if (bmt && !json_is_string(bmt)) {
        vg_err_set(err, VG_E_PARSE, "mediaType is not a string");
        return NULL;
    }
    const char *body = bmt ? json_string_value(bmt) : NULL;
    const char *mt = ct[0] ? ct : body;
    if (!mt) {
        vg_err_set(err, VG_E_PARSE, "no Content-Type and no mediaType");
        return NULL;
    }
    if (body && strcmp(body, mt) != 0) {
        vg_err_set(err, VG_E_PARSE, "mediaType does not match the Content-Type");
        return NULL;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(known_types); i++) {
        if (strcmp(mt, known_types[i]) == 0) {
            return known_types[i];
        }
    }
    if (vg_cstr_startswith(mt, "application/vnd.docker.distribution.manifest.v1")) {
        *code = VG_OCI_DIST_UNSUPPORTED;
        vg_err_set(err, VG_E_UNSUPPORTED, "Docker schema 1 manifests are not supported");
        return NULL;
    }
    vg_autofree char *esc = vg_escape(mt, strlen(mt), 128);
    vg_err_set(err, VG_E_PARSE, "unsupported manifest media type '%s'", esc);
    return NULL;
}

enum vg_oci_dist_code
vg_registry_manifest_check(struct vg_registry_manifest_info *out, const char *content_type,
                           const void *data, size_t len, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    vg_autojson json_t *root = NULL;
    if (vg_json_parse(&root, data, len, VG_LIMIT_MANIFEST_BYTES, "manifest", err) < 0) {
        return VG_OCI_DIST_MANIFEST_INVALID;
    }
    if (!json_is_object(root)) {
        vg_err_set(err, VG_E_PARSE, "manifest is not a JSON object");
        return VG_OCI_DIST_MANIFEST_INVALID;
    }
    enum vg_oci_dist_code code = VG_OCI_DIST_MANIFEST_INVALID;
    const char *mt = resolve_type(content_type, root, &code, err);
    if (!mt) {
        return code;
    }
    struct vctx c = {.out = out, .refs = VG_VEC_INIT};
    out->media_type = mt;
    out->kind = strcmp(mt, VG_MT_OCI_INDEX) == 0 || strcmp(mt, VG_MT_DOCKER_LIST) == 0
                    ? VG_REGISTRY_MANIFEST_INDEX
                    : VG_REGISTRY_MANIFEST_IMAGE;
    int rc = check_common(&c, root, err);
    if (rc == 0) {
        rc = out->kind == VG_REGISTRY_MANIFEST_INDEX
                 ? check_list(&c, root, "manifests", true, true, err)
                 : check_image(&c, root, err);
    }
    out->refs = c.refs.v;
    out->nrefs = c.refs.n;
    if (rc < 0) {
        vg_registry_manifest_info_dispose(out);
        return VG_OCI_DIST_MANIFEST_INVALID;
    }
    return VG_OCI_DIST_OK;
}
