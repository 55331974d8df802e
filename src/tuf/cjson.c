/* SPDX-License-Identifier: Apache-2.0
 *
 * Canonical JSON, the byte string TUF and Notary v1 signatures cover: the OLPC rules as
 * securesystemslib and docker/go/canonical implement them. Object keys sorted by their UTF-8
 * bytes, no insignificant whitespace, integers only, and strings escaping '"' and '\\' and
 * nothing else (control characters and non-ASCII pass through as bytes). A re-encoding, not
 * the received text, is what gets verified, so a signer's whitespace or key order never
 * matters and two texts of one document cannot verify differently.
 */
#include "tuf.h"

static int
cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
put_string(struct vg_buf *out, const char *s, size_t n, struct vg_err **err)
{
    if (vg_buf_appendc(out, '"', err) < 0) {
        return -1;
    }
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '"' && s[i] != '\\') {
            continue;
        }
        if (vg_buf_append(out, s + run, i - run, err) < 0 || vg_buf_appendc(out, '\\', err) < 0) {
            return -1;
        }
        run = i;
    }
    if (vg_buf_append(out, s + run, n - run, err) < 0) {
        return -1;
    }
    return vg_buf_appendc(out, '"', err);
}

static int encode(struct vg_buf *out, json_t *j, unsigned depth, struct vg_err **err);

static int
encode_object(struct vg_buf *out, json_t *j, unsigned depth, struct vg_err **err)
{
    size_t n = json_object_size(j);
    vg_autofree const char **keys = vg_calloc(n ? n : 1, sizeof(*keys));
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach (j, k, v) {
        keys[i++] = k;
    }
    vg_qsort(keys, n, sizeof(*keys), cmp_keys);
    if (vg_buf_appendc(out, '{', err) < 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (i && vg_buf_appendc(out, ',', err) < 0) {
            return -1;
        }
        if (put_string(out, keys[i], strlen(keys[i]), err) < 0 ||
            vg_buf_appendc(out, ':', err) < 0 ||
            encode(out, json_object_get(j, keys[i]), depth + 1, err) < 0) {
            return -1;
        }
    }
    return vg_buf_appendc(out, '}', err);
}

static int
encode(struct vg_buf *out, json_t *j, unsigned depth, struct vg_err **err)
{
    if (depth > VG_TUF_JSON_DEPTH_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "canonical JSON: nesting deeper than %u",
                          VG_TUF_JSON_DEPTH_MAX);
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return encode_object(out, j, depth, err);
    case JSON_ARRAY: {
        if (vg_buf_appendc(out, '[', err) < 0) {
            return -1;
        }
        for (size_t i = 0; i < json_array_size(j); i++) {
            if ((i && vg_buf_appendc(out, ',', err) < 0) ||
                encode(out, json_array_get(j, i), depth + 1, err) < 0) {
                return -1;
            }
        }
        return vg_buf_appendc(out, ']', err);
    }
    case JSON_STRING:
        return put_string(out, json_string_value(j), json_string_length(j), err);
    case JSON_INTEGER:
        return vg_buf_appendf(out, err, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
    case JSON_TRUE:
        return vg_buf_append_str(out, "true", err);
    case JSON_FALSE:
        return vg_buf_append_str(out, "false", err);
    case JSON_NULL:
        return vg_buf_append_str(out, "null", err);
    case JSON_REAL:
        break;
    }
    return vg_err_set(err, VG_E_PARSE, "canonical JSON: a floating-point number is not allowed");
}

int
vg_tuf_cjson_encode(struct vg_buf *out, json_t *j, struct vg_err **err)
{
    return encode(out, j, 0, err);
}
