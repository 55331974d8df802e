/* SPDX-License-Identifier: Apache-2.0
 *
 * containers-storage metadata (cstore_int.h): storage.conf's [storage] table, images.json
 * (names, top layer, big-data names) and layers.json (parent chains, diff digests and sizes),
 * as containers/storage writes them. Everything here is untrusted input: bounded, validated,
 * and never used to build a path except through validated 64-hex IDs.
 */
#include "cstore_int.h"

#include <string.h>

/* ---------------------------------------------------------------- storage.conf */

void
vg_oci_cstore_conf_dispose(struct vg_cstore_conf *c)
{
    free(c->driver);
    free(c->graphroot);
    free(c->runroot);
    free(c->rootless_storage_path);
    *c = (struct vg_cstore_conf){0};
}

/* A TOML basic ("...") or literal ('...') string at the start of v; *rest after it. */
static int
toml_string(char **out, struct vg_str v, struct vg_str *rest, struct vg_err **err)
{
    char q = v.ptr[0];
    struct vg_buf b = VG_BUF_INIT(VG_CSTORE_CONF_MAX_BYTES);
    size_t i = 1;
    for (; i < v.len && v.ptr[i] != q; i++) {
        char c = v.ptr[i];
        if (q == '"' && c == '\\') {
            char e = i + 1 < v.len ? v.ptr[++i] : '\0';
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e == '"' ? '"' : e == '\\' ? '\\' : '\0';
            if (!c) {
                vg_buf_dispose(&b);
                return vg_err_set(err, VG_E_PARSE, "unsupported escape in a string");
            }
        } else if ((unsigned char)c < 0x20 && c != '\t') {
            break;
        }
        if (vg_buf_append(&b, &c, 1, err) < 0) {
            vg_buf_dispose(&b);
            return -1;
        }
    }
    if (i >= v.len || v.ptr[i] != q) {
        vg_buf_dispose(&b);
        return vg_err_set(err, VG_E_PARSE, "unterminated string");
    }
    *rest = vg_str_trim((struct vg_str){v.ptr + i + 1, v.len - i - 1});
    *out = b.len ? vg_buf_take(&b, NULL) : (vg_buf_dispose(&b), vg_strdup(""));
    return 0;
}

static int
conf_line(struct vg_cstore_conf *c, struct vg_str line, bool *in_storage, struct vg_err **err)
{
    if (line.len == 0 || line.ptr[0] == '#') {
        return 0;
    }
    if (line.ptr[0] == '[') {
        *in_storage = vg_str_eq_c(vg_str_trim(line), "[storage]");
        return 0;
    }
    struct vg_str key, val;
    if (!vg_str_cut(line, '=', &key, &val)) {
        return 0; /* continuation of a multi-line array or inline table */
    }
    key = vg_str_trim(key);
    val = vg_str_trim(val);
    char **dst = NULL;
    if (!*in_storage) {
        return 0;
    }
    if (vg_str_eq_c(key, "driver")) {
        dst = &c->driver;
    } else if (vg_str_eq_c(key, "graphroot")) {
        dst = &c->graphroot;
    } else if (vg_str_eq_c(key, "runroot")) {
        dst = &c->runroot;
    } else if (vg_str_eq_c(key, "rootless_storage_path")) {
        dst = &c->rootless_storage_path;
    }
    if (!dst) {
        return 0;
    }
    if (val.len == 0 || (val.ptr[0] != '"' && val.ptr[0] != '\'')) {
        return vg_err_set(err, VG_E_PARSE, "%.*s must be a string", (int)key.len, key.ptr);
    }
    char *s = NULL;
    struct vg_str rest;
    if (toml_string(&s, val, &rest, err) < 0) {
        return -1;
    }
    if (rest.len && rest.ptr[0] != '#') {
        free(s);
        return vg_err_set(err, VG_E_PARSE, "text after the value of %.*s", (int)key.len, key.ptr);
    }
    free(*dst);
    *dst = s;
    return 0;
}

int
vg_oci_cstore_conf_parse(struct vg_cstore_conf *out, const char *data, size_t len, const char *what,
                         struct vg_err **err)
{
    *out = (struct vg_cstore_conf){0};
    if (len > VG_CSTORE_CONF_MAX_BYTES) {
        return vg_err_set(err, VG_E_LIMIT, "%s: larger than %u bytes", what,
                          VG_CSTORE_CONF_MAX_BYTES);
    }
    if (memchr(data, '\0', len)) {
        return vg_err_set(err, VG_E_PARSE, "%s: contains a NUL byte", what);
    }
    struct vg_str rest = {data, len}, line;
    bool in_storage = false;
    for (size_t no = 1; rest.len > 0; no++) {
        if (!vg_str_cut(rest, '\n', &line, &rest)) {
            rest.len = 0;
        }
        if (conf_line(out, vg_str_trim(line), &in_storage, err) < 0) {
            vg_oci_cstore_conf_dispose(out);
            return vg_err_wrap(err, "%s: line %zu", what, no);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- big-data names */

char *
vg_oci_cstore_bigdata_name(const char *key)
{
    size_t n = strlen(key);
    if (n > 0 && strspn(key, ".0123456789abcdefghijklmnopqrstuvwxyz") == n) {
        return vg_strdup(key);
    }
    vg_autofree char *b64 = vg_base64_encode(key, n);
    return vg_fmt("=%s", b64);
}

/* ---------------------------------------------------------------- images.json, layers.json */

void
vg_oci_cstore_image_dispose(struct vg_cstore_image *img)
{
    free(img->name);
    free(img->config_key);
    free(img->layers);
    *img = (struct vg_cstore_image){0};
}

static bool
is_hex_id(const char *s)
{
    return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* The comparable form of a name: "registry/repository" with a digest wanted, else the full
 * normalized reference; NULL when it does not parse. */
static char *
name_key(const char *s, bool by_digest)
{
    struct vg_oci_ref *r = NULL;
    if (vg_oci_ref_parse(&r, s, NULL) < 0) {
        return NULL;
    }
    if (!by_digest) {
        free(r->digest);
        r->digest = NULL;
    }
    char *k = by_digest ? vg_oci_ref_name(r) : vg_oci_ref_string(r);
    vg_oci_ref_free(r);
    return k;
}

static bool
image_has_digest(const json_t *im, const char *digest)
{
    const char *d = vg_json_str(im, "digest");
    bool ok = d && strcmp(d, digest) == 0;
    json_t *ds = vg_json_arr(im, "digests");
    for (size_t k = 0; k < json_array_size(ds) && !ok; k++) {
        const char *dk = json_string_value(json_array_get(ds, k));
        ok = dk && strcmp(dk, digest) == 0;
    }
    return ok;
}

/* Which entry of `images` an ID or ID prefix names: 1 found, 0 none, -1 ambiguous. */
static int
find_image_by_id(const json_t **out, const json_t *images, const char *ref, struct vg_err **err)
{
    const char *idref = vg_cstr_startswith(ref, "sha256:") ? ref + 7 : ref;
    size_t il = strlen(idref), hits = 0;
    if (il < 3 || il > 64 || strspn(idref, "0123456789abcdef") != il) {
        return 0;
    }
    for (size_t i = 0; i < json_array_size(images); i++) {
        const char *id = vg_json_str(json_array_get(images, i), "id");
        if (id && strncmp(id, idref, il) == 0) {
            *out = json_array_get(images, i);
            hits++;
        }
    }
    if (hits > 1) {
        return vg_err_set(err, VG_E_USAGE, "image ID prefix %s is ambiguous (%zu images)", idref,
                          hits);
    }
    return hits == 1;
}

/* Which entry of `images` a name (or NAME@DIGEST) names: 1 found, 0 none. */
static int
find_image_by_name(const json_t **out, const json_t *images, const char *ref, struct vg_err **err)
{
    struct vg_oci_ref *r = NULL;
    if (vg_oci_ref_parse(&r, ref, err) < 0) {
        return -1;
    }
    vg_autofree char *digest = vg_strdup(r->digest);
    bool docker_io = strcmp(r->registry, "docker.io") == 0;
    vg_oci_ref_free(r);
    vg_autofree char *want = name_key(ref, digest != NULL);
    vg_autofree char *local = NULL, *want_local = NULL;
    if (docker_io && !strchr(ref, '/')) { /* podman's short names also mean localhost/NAME */
        local = vg_fmt("localhost/%s", ref);
        want_local = name_key(local, digest != NULL);
    }
    for (size_t i = 0; i < json_array_size(images); i++) {
        const json_t *im = json_array_get(images, i);
        json_t *names = vg_json_arr(im, "names");
        bool ok = false;
        for (size_t k = 0; k < json_array_size(names) && !ok; k++) {
            const char *nm = json_string_value(json_array_get(names, k));
            vg_autofree char *have = nm ? name_key(nm, digest != NULL) : NULL;
            ok = have && ((want && strcmp(have, want) == 0) ||
                          (want_local && strcmp(have, want_local) == 0));
        }
        if (ok && (!digest || image_has_digest(im, digest))) {
            *out = im;
            return 1;
        }
    }
    return 0;
}

/* Which entry of `images` REF names, in containers/storage's order: a full ID, a name, an
 * unambiguous ID prefix. */
static int
find_image(const json_t **out, const json_t *images, const char *ref, struct vg_err **err)
{
    const char *hex = vg_cstr_startswith(ref, "sha256:") ? ref + 7 : ref;
    size_t hl = strlen(hex);
    bool hexish = hl >= 3 && hl <= 64 && strspn(hex, "0123456789abcdef") == hl;
    int found = hl == 64 && hexish ? find_image_by_id(out, images, ref, err) : 0;
    if (found == 0) {
        found = find_image_by_name(out, images, ref, hexish ? NULL : err);
        if (found < 0 && !hexish) {
            return -1;
        }
    }
    if (found <= 0 && hexish) {
        found = find_image_by_id(out, images, ref, err);
    }
    if (found > 0) {
        return 0;
    }
    if (found < 0) {
        return -1;
    }
    vg_autofree char *esc = vg_escape(ref, strlen(ref), 200);
    return vg_err_set(err, VG_E_NOTFOUND, "no image \"%s\" in the store", esc);
}

static const json_t *
find_layer(const json_t *layers, const char *id)
{
    for (size_t i = 0; i < json_array_size(layers); i++) {
        const char *lid = vg_json_str(json_array_get(layers, i), "id");
        if (lid && strcmp(lid, id) == 0) {
            return json_array_get(layers, i);
        }
    }
    return NULL;
}

static int
layer_record(struct vg_cstore_layer *out, const json_t *l, const char *id, struct vg_err **err)
{
    json_t *flags = vg_json_obj(l, "flags");
    if (json_is_true(json_object_get(flags, "incomplete"))) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "layer %s is incomplete (being written)", id);
    }
    const char *dd = vg_json_str(l, "diff-digest");
    if (!dd || !vg_json_u64(l, "diff-size", &out->size)) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "layer %s has no recorded diff-digest and diff-size", id);
    }
    if (vg_digest_parse(&out->diff, dd, err) < 0) {
        return vg_err_wrap(err, "layer %s: diff-digest", id);
    }
    memcpy(out->id, id, 65);
    return 0;
}

/* The chain from the top layer down, stored bottom first. */
static int
layer_chain(struct vg_cstore_image *img, const json_t *layers, const char *top, struct vg_err **err)
{
    const char *id = top;
    size_t n = 0;
    struct vg_cstore_layer *v = vg_calloc(VG_LIMIT_LAYERS, sizeof(*v));
    int rc = 0;
    while (id && *id && rc == 0) {
        const json_t *l = NULL;
        if (n >= VG_LIMIT_LAYERS) {
            rc = vg_err_set(err, VG_E_LIMIT, "more than %u layers (or a parent cycle)",
                            VG_LIMIT_LAYERS);
        } else if (!is_hex_id(id)) {
            vg_autofree char *esc = vg_escape(id, strlen(id), 80);
            rc = vg_err_set(err, VG_E_PARSE, "layer ID \"%s\" is not 64 hex digits", esc);
        } else if (!(l = find_layer(layers, id))) {
            rc = vg_err_set(err, VG_E_NOTFOUND, "layer %s is missing from layers.json", id);
        } else if ((rc = layer_record(&v[n], l, id, err)) == 0) {
            n++;
            id = vg_json_str(l, "parent");
        }
    }
    if (rc < 0) {
        free(v);
        return -1;
    }
    for (size_t i = 0; i < n / 2; i++) {
        struct vg_cstore_layer t = v[i];
        v[i] = v[n - 1 - i];
        v[n - 1 - i] = t;
    }
    img->layers = v;
    img->nlayers = n;
    return 0;
}

/* The config's big-data key: "sha256:<id>" when listed, else the first "sha256:" key. */
static char *
config_key(const json_t *im, const char *id)
{
    json_t *names = vg_json_arr(im, "big-data-names");
    vg_autofree char *want = vg_fmt("sha256:%s", id);
    const char *first = NULL;
    for (size_t i = 0; i < json_array_size(names); i++) {
        const char *k = json_string_value(json_array_get(names, i));
        if (k && strcmp(k, want) == 0) {
            return vg_strdup(k);
        }
        if (k && !first && vg_cstr_startswith(k, "sha256:")) {
            first = k;
        }
    }
    return first ? vg_strdup(first) : NULL;
}

int
vg_oci_cstore_resolve(struct vg_cstore_image *out, const void *images_json, size_t ilen,
                      const void *layers_json, size_t llen, const char *ref, struct vg_err **err)
{
    *out = (struct vg_cstore_image){0};
    vg_autojson json_t *images = NULL, *layers = NULL;
    if (vg_json_parse(&images, images_json, ilen, VG_CSTORE_JSON_MAX_BYTES, "images.json", err) <
        0) {
        return -1;
    }
    if (!json_is_array(images)) {
        return vg_err_set(err, VG_E_PARSE, "images.json is not an array");
    }
    const json_t *im = NULL;
    if (find_image(&im, images, ref, err) < 0) {
        return -1;
    }
    const char *id = vg_json_str(im, "id");
    if (!is_hex_id(id)) {
        return vg_err_set(err, VG_E_PARSE, "images.json: an image ID is not 64 hex digits");
    }
    memcpy(out->id, id, 65);
    json_t *names = vg_json_arr(im, "names");
    const char *nm = json_string_value(json_array_get(names, 0));
    out->name = nm ? vg_strdup(nm) : NULL;
    out->config_key = config_key(im, id);
    if (!out->config_key) {
        vg_oci_cstore_image_dispose(out);
        return vg_err_set(err, VG_E_UNSUPPORTED, "image %s has no config in the store", id);
    }
    const char *top = vg_json_str(im, "layer");
    if (!top || !*top) {
        return 0; /* an image without layers */
    }
    if (vg_json_parse(&layers, layers_json, llen, VG_CSTORE_JSON_MAX_BYTES, "layers.json", err) <
            0 ||
        !json_is_array(layers)) {
        vg_oci_cstore_image_dispose(out);
        return layers ? vg_err_set(err, VG_E_PARSE, "layers.json is not an array") : -1;
    }
    if (layer_chain(out, layers, top, err) < 0) {
        vg_oci_cstore_image_dispose(out);
        return vg_err_wrap(err, "image %s", id);
    }
    return 0;
}
