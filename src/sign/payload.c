/* SPDX-License-Identifier: Apache-2.0
 *
 * The simple-signing payload of cosign's legacy image signatures (cosign-format.md §2): a
 * generator that reproduces cosign's bytes exactly, a bounded parser that rejects duplicate
 * keys, the claim checks a verifier makes after the signature verified, and signing of the
 * payload bytes. Registry layout (tags, manifests) is only named here, never fetched.
 */
#include "sign_int.h"

#include <string.h>

char *
vg_sign_docker_reference(const char *repository)
{
    if (vg_cstr_startswith(repository, "docker.io/")) {
        return vg_fmt("index.%s", repository);
    }
    return vg_strdup(repository);
}

char *
vg_sign_tag(const struct vg_digest *image, const char *suffix)
{
    const char *alg = image->alg == VG_DIGEST_SHA512 ? "sha512" : "sha256";
    return vg_fmt("%s-%s%s", alg, vg_digest_hex(image), suffix ? suffix : "");
}

static int
cmp_kv(const void *a, const void *b)
{
    return strcmp(((const struct vg_sign_kv *)a)->key, ((const struct vg_sign_kv *)b)->key);
}

/* "optional": null, or the annotations as an object with keys sorted bytewise (Go sorts map
 * keys when it marshals a map[string]string). */
static int
append_optional(struct vg_buf *out, const struct vg_sign_kv *ann, size_t n, struct vg_err **err)
{
    if (n == 0) {
        return vg_buf_append_str(out, "null", err);
    }
    if (n > VG_SIGN_MAX_ANNOTATIONS) {
        return vg_err_set(err, VG_E_LIMIT, "%zu annotations exceed the limit of %u", n,
                          VG_SIGN_MAX_ANNOTATIONS);
    }
    vg_autofree struct vg_sign_kv *sorted = vg_memdup(ann, n * sizeof(*ann));
    vg_qsort(sorted, n, sizeof(*sorted), cmp_kv);
    int rc = vg_buf_appendc(out, '{', err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i > 0 && strcmp(sorted[i - 1].key, sorted[i].key) == 0) {
            vg_autofree char *esc = vg_escape(sorted[i].key, strlen(sorted[i].key), 128);
            return vg_err_set(err, VG_E_USAGE, "annotation %s given twice", esc);
        }
        if ((i > 0 && (rc = vg_buf_appendc(out, ',', err)) < 0) ||
            (rc = vg_sign__go_string(out, sorted[i].key, strlen(sorted[i].key), err)) < 0 ||
            (rc = vg_buf_appendc(out, ':', err)) < 0) {
            return rc;
        }
        rc = vg_sign__go_string(out, sorted[i].value, strlen(sorted[i].value), err);
    }
    return rc < 0 ? rc : vg_buf_appendc(out, '}', err);
}

int
vg_sign_payload_build(struct vg_buf *out, const char *docker_reference,
                      const struct vg_digest *manifest, const struct vg_sign_kv *annotations,
                      size_t n, struct vg_err **err)
{
    int rc;
    if ((rc = vg_buf_append_str(out, "{\"critical\":{\"identity\":{\"docker-reference\":", err)) <
            0 ||
        (rc = vg_sign__go_string(out, docker_reference, strlen(docker_reference), err)) < 0 ||
        (rc = vg_buf_append_str(out, "},\"image\":{\"docker-manifest-digest\":", err)) < 0 ||
        (rc = vg_sign__go_string(out, manifest->text, strlen(manifest->text), err)) < 0 ||
        (rc = vg_buf_append_str(
             out, "},\"type\":\"" VG_SIGN_COSIGN_TYPE "\"},\"optional\":", err)) < 0 ||
        (rc = append_optional(out, annotations, n, err)) < 0) {
        return rc;
    }
    return vg_buf_appendc(out, '}', err);
}

void
vg_sign_payload_free(struct vg_sign_payload *p)
{
    if (!p) {
        return;
    }
    free(p->docker_reference);
    free(p->manifest_digest);
    free(p->type);
    for (size_t i = 0; i < p->noptional; i++) {
        vg_free_const(p->optional[i].key);
        vg_free_const(p->optional[i].value);
    }
    free(p->optional);
    free(p);
}

static int
required_str(const json_t *obj, const char *key, const char *where, char **out, struct vg_err **err)
{
    const char *s = obj ? vg_json_str(obj, key) : NULL;
    if (!s) {
        return vg_err_set(err, VG_E_PARSE, "payload: %s.%s: missing or not a string", where, key);
    }
    *out = vg_strdup(s);
    return 0;
}

static int
parse_optional(struct vg_sign_payload *p, const json_t *root, struct vg_err **err)
{
    json_t *opt = json_object_get(root, "optional");
    if (!opt || json_is_null(opt)) {
        return 0;
    }
    if (!json_is_object(opt)) {
        return vg_err_set(err, VG_E_PARSE, "payload: optional: not an object or null");
    }
    size_t n = json_object_size(opt);
    if (n > VG_SIGN_MAX_ANNOTATIONS) {
        return vg_err_set(err, VG_E_LIMIT, "payload: optional: %zu entries exceed the limit of %u",
                          n, VG_SIGN_MAX_ANNOTATIONS);
    }
    p->optional = vg_calloc(n ? n : 1, sizeof(*p->optional));
    const char *key;
    json_t *v;
    json_object_foreach (opt, key, v) {
        if (json_is_string(v)) {
            p->optional[p->noptional].key = vg_strdup(key);
            p->optional[p->noptional].value = vg_strdup(json_string_value(v));
            p->noptional++;
        }
    }
    return 0;
}

int
vg_sign_payload_parse(struct vg_sign_payload **out, const void *data, size_t len,
                      struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    int rc = vg_json_parse(&root, data, len, VG_LIMIT_PAYLOAD_BYTES, "payload", err);
    if (rc < 0) {
        return rc;
    }
    if (!json_is_object(root)) {
        return vg_err_set(err, VG_E_PARSE, "payload: not a JSON object");
    }
    json_t *critical = vg_json_obj(root, "critical");
    if (!critical) {
        return vg_err_set(err, VG_E_PARSE, "payload: critical: missing or not an object");
    }
    struct vg_sign_payload *p = vg_calloc(1, sizeof(*p));
    if ((rc = required_str(vg_json_obj(critical, "identity"), "docker-reference",
                           "critical.identity", &p->docker_reference, err)) < 0 ||
        (rc = required_str(vg_json_obj(critical, "image"), "docker-manifest-digest",
                           "critical.image", &p->manifest_digest, err)) < 0 ||
        (rc = required_str(critical, "type", "critical", &p->type, err)) < 0 ||
        (rc = parse_optional(p, root, err)) < 0) {
        vg_sign_payload_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

static const char *
optional_get(const struct vg_sign_payload *p, const char *key)
{
    for (size_t i = 0; i < p->noptional; i++) {
        if (strcmp(p->optional[i].key, key) == 0) {
            return p->optional[i].value;
        }
    }
    return NULL;
}

int
vg_sign_payload_check_claims(const struct vg_sign_payload *p, const struct vg_digest *manifest,
                             const struct vg_sign_kv *want, size_t n, struct vg_err **err)
{
    if (strcmp(p->manifest_digest, manifest->text) != 0) {
        vg_autofree char *esc = vg_escape(p->manifest_digest, strlen(p->manifest_digest), 160);
        return vg_err_set(err, VG_E_VERIFY, "payload digest %s does not match image %s", esc,
                          manifest->text);
    }
    if (strcmp(p->type, VG_SIGN_COSIGN_TYPE) != 0) {
        vg_autofree char *esc = vg_escape(p->type, strlen(p->type), 160);
        return vg_err_set(err, VG_E_VERIFY,
                          "payload type \"%s\" is not \"" VG_SIGN_COSIGN_TYPE "\"", esc);
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = optional_get(p, want[i].key);
        if (!v || strcmp(v, want[i].value) != 0) {
            vg_autofree char *esc = vg_escape(want[i].key, strlen(want[i].key), 128);
            return vg_err_set(err, VG_E_VERIFY, "annotation %s: %s", esc,
                              v ? "value differs" : "missing");
        }
    }
    return 0;
}

int
vg_sign_payload_sign(const struct vg_crypto_key *key, const void *payload, size_t len,
                     char **sig_b64, struct vg_err **err)
{
    vg_autofree uint8_t *sig = NULL;
    size_t n = 0;
    int rc = vg_crypto_sign(key, payload, len, &sig, &n, err);
    if (rc < 0) {
        return rc;
    }
    *sig_b64 = vg_base64_encode(sig, n);
    return 0;
}

int
vg_sign_payload_verify(const struct vg_crypto_key *key, const void *payload, size_t len,
                       const char *sig_b64, struct vg_err **err)
{
    vg_autofree uint8_t *sig = NULL;
    size_t n = 0;
    if (!sig_b64 || !*sig_b64) {
        return vg_err_set(err, VG_E_VERIFY, "empty signature");
    }
    int rc = vg_sign__b64(&sig, &n, sig_b64, VG_CRYPTO_SIG_MAX, "signature", err);
    if (rc < 0) {
        return rc;
    }
    return vg_crypto_verify(key, payload, len, sig, n, err);
}

void
vg_sign_layer_dispose(struct vg_sign_layer *l)
{
    free(l->payload);
    free(l->signature);
    for (size_t i = 0; i < l->nextra; i++) {
        vg_free_const(l->extra[i].key);
        vg_free_const(l->extra[i].value);
    }
    free(l->extra);
    *l = (struct vg_sign_layer){0};
}

int
vg_sign_image_payload(struct vg_sign_layer *out, const struct vg_crypto_key *key,
                      const char *docker_reference, const struct vg_digest *manifest,
                      const struct vg_sign_kv *annotations, size_t n, struct vg_err **err)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    int rc = vg_sign_payload_build(&b, docker_reference, manifest, annotations, n, err);
    if (rc < 0) {
        return rc;
    }
    struct vg_sign_layer l = {0};
    if ((rc = vg_sign_payload_sign(key, b.data, b.len, &l.signature, err)) < 0) {
        return rc;
    }
    vg_digest_of(&l.digest, VG_DIGEST_SHA256, b.data, b.len);
    l.payload = vg_buf_take(&b, &l.payload_len);
    *out = l;
    return 0;
}
