/* SPDX-License-Identifier: Apache-2.0
 *
 * Distribution protocol pieces shared by client and server: the error-code table (wire name,
 * HTTP status, the spec's default message), the {"errors":[...]} body in both directions, and
 * the name and tag grammars. Routes are in dist_route.c, the verifying stream in verify.c.
 *
 * Error bodies come from registries and are hostile: bounded in bytes and entries, every entry
 * typed before use, and nothing of them reaches a message unescaped (the client escapes when it
 * shows them). Emitted bodies are deterministic (sorted keys, compact) so tests and caches can
 * compare bytes.
 */
#include "oci.h"

#include <string.h>

struct code_row {
    const char *name;
    int status;
    const char *message;
};

/* Spec v1.1 §"Error Codes" (end of the document), then distribution's errcode registrations. */
static const struct code_row CODES[VG_OCI_DIST_CODE_COUNT] = {
    [VG_OCI_DIST_OK] = {NULL, 0, NULL},
    [VG_OCI_DIST_BLOB_UNKNOWN] = {"BLOB_UNKNOWN", 404, "blob unknown to registry"},
    [VG_OCI_DIST_BLOB_UPLOAD_INVALID] = {"BLOB_UPLOAD_INVALID", 400, "blob upload invalid"},
    [VG_OCI_DIST_BLOB_UPLOAD_UNKNOWN] = {"BLOB_UPLOAD_UNKNOWN", 404,
                                         "blob upload unknown to registry"},
    [VG_OCI_DIST_DIGEST_INVALID] = {"DIGEST_INVALID", 400,
                                    "provided digest did not match uploaded content"},
    [VG_OCI_DIST_MANIFEST_BLOB_UNKNOWN] = {"MANIFEST_BLOB_UNKNOWN", 400,
                                           "manifest references a manifest or blob unknown to "
                                           "registry"},
    [VG_OCI_DIST_MANIFEST_INVALID] = {"MANIFEST_INVALID", 400, "manifest invalid"},
    [VG_OCI_DIST_MANIFEST_UNKNOWN] = {"MANIFEST_UNKNOWN", 404, "manifest unknown to registry"},
    [VG_OCI_DIST_NAME_INVALID] = {"NAME_INVALID", 400, "invalid repository name"},
    [VG_OCI_DIST_NAME_UNKNOWN] = {"NAME_UNKNOWN", 404, "repository name not known to registry"},
    [VG_OCI_DIST_SIZE_INVALID] = {"SIZE_INVALID", 400,
                                  "provided length did not match content length"},
    [VG_OCI_DIST_UNAUTHORIZED] = {"UNAUTHORIZED", 401, "authentication required"},
    [VG_OCI_DIST_DENIED] = {"DENIED", 403, "requested access to the resource is denied"},
    [VG_OCI_DIST_UNSUPPORTED] = {"UNSUPPORTED", 405, "the operation is unsupported"},
    [VG_OCI_DIST_TOOMANYREQUESTS] = {"TOOMANYREQUESTS", 429, "too many requests"},
    [VG_OCI_DIST_TAG_INVALID] = {"TAG_INVALID", 400, "manifest tag did not match URI"},
    [VG_OCI_DIST_MANIFEST_UNVERIFIED] = {"MANIFEST_UNVERIFIED", 400,
                                         "manifest failed signature verification"},
    [VG_OCI_DIST_PAGINATION_NUMBER_INVALID] = {"PAGINATION_NUMBER_INVALID", 400,
                                               "invalid number of results requested"},
    [VG_OCI_DIST_RANGE_INVALID] = {"RANGE_INVALID", 416, "invalid content range"},
    [VG_OCI_DIST_UNKNOWN] = {"UNKNOWN", 500, "unknown error"},
    [VG_OCI_DIST_ROUTE_UNKNOWN] = {"UNSUPPORTED", 404, "no such endpoint"},
};

static const struct code_row *
row(enum vg_oci_dist_code c)
{
    return (size_t)c < VG_OCI_DIST_CODE_COUNT ? &CODES[c] : &CODES[VG_OCI_DIST_UNKNOWN];
}

const char *
vg_oci_dist_code_name(enum vg_oci_dist_code c)
{
    return row(c)->name;
}

int
vg_oci_dist_code_status(enum vg_oci_dist_code c)
{
    return row(c)->status;
}

const char *
vg_oci_dist_code_message(enum vg_oci_dist_code c)
{
    return row(c)->message;
}

enum vg_oci_dist_code
vg_oci_dist_code_from_name(const char *name)
{
    /* ROUTE_UNKNOWN is not a wire code: stop before it. */
    for (size_t i = 1; name && i < (size_t)VG_OCI_DIST_ROUTE_UNKNOWN; i++) {
        if (strcmp(CODES[i].name, name) == 0) {
            return (enum vg_oci_dist_code)i;
        }
    }
    return VG_OCI_DIST_UNKNOWN;
}

/* ---------------------------------------------------------------- error bodies */

void
vg_oci_dist_errors_free(struct vg_oci_dist_error *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++) {
        free(e[i].code_text);
        free(e[i].message);
        free(e[i].detail);
    }
    free(e);
}

static int
entry_parse(struct vg_oci_dist_error *out, const json_t *j, size_t i, struct vg_err **err)
{
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "error body: errors[%zu] is not an object", i);
    }
    const json_t *code = json_object_get(j, "code");
    const json_t *msg = json_object_get(j, "message");
    const json_t *detail = json_object_get(j, "detail");
    if (!json_is_string(code)) {
        return vg_err_set(err, VG_E_PARSE, "error body: errors[%zu].code is not a string", i);
    }
    if (msg && !json_is_string(msg) && !json_is_null(msg)) {
        return vg_err_set(err, VG_E_PARSE, "error body: errors[%zu].message is not a string", i);
    }
    out->code_text = vg_strdup(json_string_value(code));
    out->code = vg_oci_dist_code_from_name(out->code_text);
    out->message = vg_strdup(json_string_value(msg));
    if (detail && !json_is_null(detail)) {
        out->detail = vg_json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    }
    return 0;
}

int
vg_oci_dist_errors_parse(struct vg_oci_dist_error **out, size_t *n, const void *body, size_t len,
                         struct vg_err **err)
{
    *out = NULL;
    *n = 0;
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, body, len, VG_OCI_DIST_ERRORS_BYTES, "error body", err) < 0) {
        return -1;
    }
    const json_t *arr = json_object_get(j, "errors");
    if (!json_is_array(arr)) {
        return vg_err_set(err, VG_E_PARSE, "error body: no \"errors\" array");
    }
    size_t count = json_array_size(arr);
    if (count > VG_OCI_DIST_ERRORS_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "error body: %zu entries exceed %u", count,
                          VG_OCI_DIST_ERRORS_MAX);
    }
    struct vg_oci_dist_error *e = count ? vg_calloc(count, sizeof(*e)) : NULL;
    for (size_t i = 0; i < count; i++) {
        if (entry_parse(&e[i], json_array_get(arr, i), i, err) < 0) {
            vg_oci_dist_errors_free(e, count);
            return -1;
        }
    }
    *out = e;
    *n = count;
    return 0;
}

static int
entry_build(json_t *arr, const struct vg_oci_dist_error_out *e, size_t i, struct vg_err **err)
{
    if (e->code == VG_OCI_DIST_OK || (size_t)e->code >= VG_OCI_DIST_CODE_COUNT) {
        return vg_err_set(err, VG_E_USAGE, "error body: entry %zu has no error code", i);
    }
    const char *msg = e->message ? e->message : vg_oci_dist_code_message(e->code);
    json_t *m = json_string(msg);
    if (!m) {
        return vg_err_set(err, VG_E_USAGE, "error body: entry %zu: message is not UTF-8", i);
    }
    json_t *d = json_null();
    if (e->detail) {
        size_t dl = strlen(e->detail);
        json_decref(d);
        d = NULL;
        if (dl > VG_OCI_DIST_DETAIL_BYTES) {
            json_decref(m);
            return vg_err_set(err, VG_E_USAGE, "error body: entry %zu: detail over %u bytes", i,
                              VG_OCI_DIST_DETAIL_BYTES);
        }
        json_error_t je;
        d = json_loadb(e->detail, dl, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
        if (!d) {
            json_decref(m);
            return vg_err_set(err, VG_E_USAGE, "error body: entry %zu: detail is not JSON", i);
        }
    }
    json_t *o = json_object();
    vg_json_set_str(o, "code", vg_oci_dist_code_name(e->code));
    vg_json_set_take(o, "message", m);
    vg_json_set_take(o, "detail", d);
    vg_json_append_take(arr, o);
    return 0;
}

int
vg_oci_dist_errors_format(struct vg_buf *out, const struct vg_oci_dist_error_out *e, size_t n,
                          struct vg_err **err)
{
    vg_autojson json_t *root = json_object();
    json_t *arr = json_array();
    vg_json_set_take(root, "errors", arr);
    for (size_t i = 0; i < n; i++) {
        if (entry_build(arr, &e[i], i, err) < 0) {
            return -1;
        }
    }
    vg_autofree char *s = vg_json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    if (!s) {
        return vg_err_set(err, VG_E_USAGE, "error body: cannot serialise");
    }
    return vg_buf_append_str(out, s, err);
}

/* ---------------------------------------------------------------- names, tags */

static bool
is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_word(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_';
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+ */
static bool
component_valid(struct vg_str c)
{
    size_t i = 0;
    if (c.len == 0 || !is_lower_alnum(c.ptr[0])) {
        return false;
    }
    while (i < c.len) {
        while (i < c.len && is_lower_alnum(c.ptr[i])) {
            i++;
        }
        if (i == c.len) {
            return true;
        }
        size_t sep = i;
        if (c.ptr[i] == '.') {
            i++;
        } else if (c.ptr[i] == '_') {
            i++;
            if (i < c.len && c.ptr[i] == '_') {
                i++;
            }
        } else if (c.ptr[i] == '-') {
            while (i < c.len && c.ptr[i] == '-') {
                i++;
            }
        } else {
            return false;
        }
        if (i == sep || i == c.len || !is_lower_alnum(c.ptr[i])) {
            return false;
        }
    }
    return true;
}

bool
vg_oci_dist_name_grammar(struct vg_str p)
{
    struct vg_str head, tail;
    for (;;) {
        bool more = vg_str_cut(p, '/', &head, &tail);
        if (!component_valid(head)) {
            return false;
        }
        if (!more) {
            return true;
        }
        p = tail;
    }
}

bool
vg_oci_dist_name_valid(struct vg_str name)
{
    return name.len <= VG_OCI_DIST_NAME_MAX && vg_oci_dist_name_grammar(name);
}

bool
vg_oci_dist_tag_valid(struct vg_str t)
{
    if (t.len == 0 || t.len > VG_OCI_DIST_TAG_MAX || !is_word(t.ptr[0])) {
        return false;
    }
    for (size_t i = 1; i < t.len; i++) {
        if (!is_word(t.ptr[i]) && t.ptr[i] != '.' && t.ptr[i] != '-') {
            return false;
        }
    }
    return true;
}
