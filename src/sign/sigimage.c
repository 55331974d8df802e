/* SPDX-License-Identifier: Apache-2.0
 *
 * The legacy `.sig` image (cosign-format.md §3.2, §3.4): parsing the signature manifest found
 * at `sha256-<hex>.sig`, appending a signature layer (read-modify-write, skipping exact
 * duplicates), rendering the manifest and its near-empty config byte-for-byte like cosign's
 * go-containerregistry output, and verifying the layers with blobs supplied by the caller.
 * Fetching and pushing are the registry client's job; this file never touches the network.
 */
#include "sign_int.h"

#include <string.h>

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG   "application/vnd.oci.image.config.v1+json"
#define ZERO_TIME       "0001-01-01T00:00:00Z"

static void
entry_dispose(struct vg_sign_sig_entry *e)
{
    free(e->media_type);
    for (size_t i = 0; i < e->nannotations; i++) {
        vg_free_const(e->annotations[i].key);
        vg_free_const(e->annotations[i].value);
    }
    free(e->annotations);
}

void
vg_sign_sig_image_free(struct vg_sign_sig_image *img)
{
    if (!img) {
        return;
    }
    for (size_t i = 0; i < img->n; i++) {
        entry_dispose(&img->layers[i]);
    }
    free(img->layers);
    free(img);
}

struct vg_sign_sig_image *
vg_sign_sig_image_new(void)
{
    return vg_calloc(1, sizeof(struct vg_sign_sig_image));
}

const char *
vg_sign_sig_entry_annotation(const struct vg_sign_sig_entry *e, const char *key)
{
    for (size_t i = 0; i < e->nannotations; i++) {
        if (strcmp(e->annotations[i].key, key) == 0) {
            return e->annotations[i].value;
        }
    }
    return NULL;
}

static int
parse_annotations(struct vg_sign_sig_entry *e, const json_t *layer, size_t idx, struct vg_err **err)
{
    json_t *ann = json_object_get(layer, "annotations");
    if (!ann) {
        return 0;
    }
    size_t n = json_object_size(ann);
    if (!json_is_object(ann) || n > VG_SIGN_MAX_ANNOTATIONS) {
        return vg_err_set(err, VG_E_PARSE,
                          "layers[%zu].annotations: not an object of at most "
                          "%u strings",
                          idx, VG_SIGN_MAX_ANNOTATIONS);
    }
    e->annotations = vg_calloc(n ? n : 1, sizeof(*e->annotations));
    const char *key;
    json_t *v;
    json_object_foreach (ann, key, v) {
        if (!json_is_string(v)) {
            return vg_err_set(err, VG_E_PARSE, "layers[%zu].annotations: value is not a string",
                              idx);
        }
        e->annotations[e->nannotations].key = vg_strdup(key);
        e->annotations[e->nannotations].value = vg_strdup(json_string_value(v));
        e->nannotations++;
    }
    return 0;
}

static int
parse_layer(struct vg_sign_sig_entry *e, const json_t *layer, size_t idx, struct vg_err **err)
{
    const char *mt = vg_json_str(layer, "mediaType");
    const char *digest = vg_json_str(layer, "digest");
    if (!json_is_object(layer) || !mt || !digest || !vg_json_u64(layer, "size", &e->size)) {
        return vg_err_set(err, VG_E_PARSE, "layers[%zu]: want mediaType, digest and size", idx);
    }
    e->media_type = vg_strdup(mt);
    if (vg_digest_parse(&e->digest, digest, err) < 0) {
        return vg_err_wrap(err, "layers[%zu].digest", idx);
    }
    return parse_annotations(e, layer, idx, err);
}

int
vg_sign_sig_image_parse(struct vg_sign_sig_image **out, const void *manifest, size_t len,
                        struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    int rc =
        vg_json_parse(&root, manifest, len, VG_LIMIT_MANIFEST_BYTES, "signature manifest", err);
    if (rc < 0) {
        return rc;
    }
    json_t *layers = json_is_object(root) ? vg_json_arr(root, "layers") : NULL;
    if (!layers) {
        return vg_err_set(err, VG_E_PARSE, "signature manifest: layers: missing or not an array");
    }
    size_t n = json_array_size(layers);
    if (n > VG_SIGN_MAX_SIG_LAYERS) {
        return vg_err_set(err, VG_E_LIMIT, "signature manifest: %zu layers exceed the limit of %u",
                          n, VG_SIGN_MAX_SIG_LAYERS);
    }
    struct vg_sign_sig_image *img = vg_sign_sig_image_new();
    img->layers = vg_calloc(n ? n : 1, sizeof(*img->layers));
    for (size_t i = 0; i < n; i++) {
        rc = parse_layer(&img->layers[img->n++], json_array_get(layers, i), i, err);
        if (rc < 0) {
            vg_sign_sig_image_free(img);
            return vg_err_wrap(err, "signature manifest");
        }
    }
    *out = img;
    return 0;
}

int
vg_sign_sig_image_append(struct vg_sign_sig_image *img, const struct vg_sign_layer *l,
                         bool *appended, struct vg_err **err)
{
    *appended = false;
    for (size_t i = 0; i < img->n; i++) {
        const struct vg_sign_sig_entry *e = &img->layers[i];
        const char *sig = vg_sign_sig_entry_annotation(e, VG_SIGN_ANN_SIGNATURE);
        if (vg_digest_eq(&e->digest, &l->digest) && sig && strcmp(sig, l->signature) == 0 &&
            strcmp(e->media_type, VG_SIGN_MT_SIMPLESIGNING) == 0) {
            return 0; /* the same signature is already attached */
        }
    }
    if (img->n >= VG_SIGN_MAX_SIG_LAYERS) {
        return vg_err_set(err, VG_E_LIMIT, "signature image already holds %u layers",
                          VG_SIGN_MAX_SIG_LAYERS);
    }
    VG_ARRAY_GROW(img->layers, img->n, 1);
    struct vg_sign_sig_entry *e = &img->layers[img->n++];
    *e = (struct vg_sign_sig_entry){
        .media_type = vg_strdup(VG_SIGN_MT_SIMPLESIGNING),
        .digest = l->digest,
        .size = l->payload_len,
        .annotations = vg_calloc(1 + l->nextra, sizeof(*e->annotations)),
        .nannotations = 1 + l->nextra,
    };
    e->annotations[0].key = vg_strdup(VG_SIGN_ANN_SIGNATURE);
    e->annotations[0].value = vg_strdup(l->signature);
    for (size_t i = 0; i < l->nextra; i++) {
        e->annotations[1 + i].key = vg_strdup(l->extra[i].key);
        e->annotations[1 + i].value = vg_strdup(l->extra[i].value);
    }
    *appended = true;
    return 0;
}

static int
cmp_kv(const void *a, const void *b)
{
    return strcmp(((const struct vg_sign_kv *)a)->key, ((const struct vg_sign_kv *)b)->key);
}

static int
render_layer(struct vg_buf *m, const struct vg_sign_sig_entry *e, struct vg_err **err)
{
    int rc;
    if ((rc = vg_buf_append_str(m, "{\"mediaType\":", err)) < 0 ||
        (rc = vg_sign__go_string(m, e->media_type, strlen(e->media_type), err)) < 0 ||
        (rc = vg_buf_appendf(m, err, ",\"size\":%llu,\"digest\":\"%s\"",
                             (unsigned long long)e->size, e->digest.text)) < 0) {
        return rc;
    }
    if (e->nannotations) {
        /* go-containerregistry marshals annotations as a Go map: keys sorted bytewise. */
        vg_autofree struct vg_sign_kv *sorted =
            vg_memdup(e->annotations, e->nannotations * sizeof(*sorted));
        vg_qsort(sorted, e->nannotations, sizeof(*sorted), cmp_kv);
        rc = vg_buf_append_str(m, ",\"annotations\":{", err);
        for (size_t i = 0; i < e->nannotations && rc == 0; i++) {
            if ((i && (rc = vg_buf_appendc(m, ',', err)) < 0) ||
                (rc = vg_sign__go_string(m, sorted[i].key, strlen(sorted[i].key), err)) < 0 ||
                (rc = vg_buf_appendc(m, ':', err)) < 0) {
                break;
            }
            rc = vg_sign__go_string(m, sorted[i].value, strlen(sorted[i].value), err);
        }
        if (rc < 0 || (rc = vg_buf_appendc(m, '}', err)) < 0) {
            return rc;
        }
    }
    return vg_buf_appendc(m, '}', err);
}

static int
render_config(const struct vg_sign_sig_image *img, struct vg_buf *c, struct vg_err **err)
{
    int rc = vg_buf_append_str(
        c, "{\"architecture\":\"\",\"created\":\"" ZERO_TIME "\",\"history\":[", err);
    for (size_t i = 0; i < img->n && rc == 0; i++) {
        rc = vg_buf_append_str(
            c, i ? ",{\"created\":\"" ZERO_TIME "\"}" : "{\"created\":\"" ZERO_TIME "\"}", err);
    }
    if (rc < 0 ||
        (rc = vg_buf_append_str(c, "],\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[",
                                err)) < 0) {
        return rc;
    }
    for (size_t i = 0; i < img->n && rc == 0; i++) {
        rc = vg_buf_appendf(c, err, "%s\"%s\"", i ? "," : "", img->layers[i].digest.text);
    }
    return rc < 0 ? rc : vg_buf_append_str(c, "]},\"config\":{}}", err);
}

int
vg_sign_sig_image_render(const struct vg_sign_sig_image *img, struct vg_buf *config,
                         struct vg_buf *manifest, struct vg_err **err)
{
    int rc = render_config(img, config, err);
    if (rc < 0) {
        return rc;
    }
    struct vg_digest cd;
    vg_digest_of(&cd, VG_DIGEST_SHA256, config->data, config->len);
    rc = vg_buf_appendf(manifest, err,
                        "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"config\":"
                        "{\"mediaType\":\"" MT_OCI_CONFIG "\",\"size\":%zu,\"digest\":\"%s\"},"
                        "\"layers\":[",
                        config->len, cd.text);
    for (size_t i = 0; i < img->n && rc == 0; i++) {
        if (i && (rc = vg_buf_appendc(manifest, ',', err)) < 0) {
            break;
        }
        rc = render_layer(manifest, &img->layers[i], err);
    }
    return rc < 0 ? rc : vg_buf_append_str(manifest, "]}", err);
}

/* The payload's signature by the Fulcio certificate of the layer's annotations, with its Rekor
 * entry (SET) and identity (docs/sigstore.md "Images"). */
static int
keyless_payload(const struct vg_sign_sig_entry *e, const struct vg_buf *blob,
                const struct vg_sign_verify_opts *o, struct vg_err **err)
{
    if (!o->keyless) {
        return vg_err_set(err, VG_E_USAGE, "neither a key nor a keyless identity to verify with");
    }
    struct vg_sigstore_bundle *b = NULL;
    if (vg_sign_keyless_legacy_bundle(&b, e, blob->data, blob->len, NULL, err) < 0) {
        return -1;
    }
    static const uint8_t empty[1];
    struct vg_sigstore_artifact a = {.data = blob->data ? blob->data : empty, .len = blob->len};
    int rc = vg_sign__keyless_verify(o->keyless, b, &a, NULL, err);
    vg_sigstore_bundle_free(b);
    return rc;
}

/* A key signature's transparency-log evidence (o->tlog): the layer's Rekor bundle annotation
 * as a v0.1 key bundle over the payload, verified under the logs of o->tlog with o->key (SET,
 * entry body naming this signature, key and payload digest, as cosign's VerifyBundle). */
static int
key_tlog(const struct vg_sign_sig_entry *e, const struct vg_buf *blob,
         const struct vg_sign_verify_opts *o, struct vg_err **err)
{
    struct vg_sigstore_bundle *b = NULL;
    if (vg_sign_key_legacy_bundle(&b, e, blob->data, blob->len, err) < 0) {
        return -1;
    }
    static const uint8_t empty[1];
    struct vg_sigstore_artifact a = {.data = blob->data ? blob->data : empty, .len = blob->len};
    struct vg_sigstore_policy p = {.key = o->key};
    struct vg_sigstore_result res;
    int rc = vg_sigstore_verify(&res, b, o->tlog, &p, &a, err);
    if (rc == 0) {
        vg_sigstore_result_dispose(&res);
    }
    vg_sigstore_bundle_free(b);
    return rc < 0 ? vg_err_wrap(err, "transparency log") : 0;
}

/* One layer: fetch, check digest and size, verify the signature, then (only then) parse and
 * check claims. */
static int
verify_entry(const struct vg_sign_sig_entry *e, const struct vg_sign_verify_opts *o,
             vg_sign_blob_fetch_fn fetch, void *ctx, struct vg_sign_payload **out,
             struct vg_err **err)
{
    const char *sig = vg_sign_sig_entry_annotation(e, VG_SIGN_ANN_SIGNATURE);
    if (strcmp(e->media_type, VG_SIGN_MT_SIMPLESIGNING) != 0 || !sig || !*sig) {
        return vg_err_set(err, VG_E_VERIFY, "not a simple-signing layer with a signature");
    }
    if (e->size > VG_LIMIT_PAYLOAD_BYTES) {
        return vg_err_set(err, VG_E_LIMIT, "payload of %llu bytes exceeds the limit of %u",
                          (unsigned long long)e->size, VG_LIMIT_PAYLOAD_BYTES);
    }
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    int rc = fetch(ctx, e, &blob, err);
    if (rc < 0) {
        return rc;
    }
    struct vg_digest got;
    vg_digest_of(&got, e->digest.alg, blob.data, blob.len);
    if (blob.len != e->size || !vg_digest_eq(&got, &e->digest)) {
        return vg_err_set(err, VG_E_VERIFY, "payload blob does not match its digest %s and size",
                          e->digest.text);
    }
    rc = o->key ? vg_sign_payload_verify(o->key, blob.data, blob.len, sig, err)
                : keyless_payload(e, &blob, o, err);
    if (rc == 0 && o->key && o->tlog) {
        rc = key_tlog(e, &blob, o, err);
    }
    if (rc < 0) {
        return rc;
    }
    struct vg_sign_payload *p = NULL;
    if ((rc = vg_sign_payload_parse(&p, blob.data, blob.len, err)) < 0) {
        return rc;
    }
    if (o->check_claims && (rc = vg_sign_payload_check_claims(p, o->image, o->annotations,
                                                              o->nannotations, err)) < 0) {
        vg_sign_payload_free(p);
        return rc;
    }
    if (o->check_claims && o->docker_reference &&
        strcmp(p->docker_reference, o->docker_reference) != 0) {
        vg_autofree char *esc = vg_escape(p->docker_reference, strlen(p->docker_reference), 200);
        rc = vg_err_set(err, VG_E_VERIFY,
                        "payload names docker-reference \"%s\", not %s (signed for another "
                        "repository; --ignore-reference accepts an image copied from there)",
                        esc, o->docker_reference);
        vg_sign_payload_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void
vg_sign_verify_result_dispose(struct vg_sign_verify_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        vg_sign_payload_free(r->payloads[i]);
        vg_err_free(&r->errors[i]);
    }
    free(r->payloads);
    free(r->errors);
    *r = (struct vg_sign_verify_result){0};
}

int
vg_sign_sig_image_verify(const struct vg_sign_sig_image *img, const struct vg_sign_verify_opts *o,
                         vg_sign_blob_fetch_fn fetch, void *ctx, struct vg_sign_verify_result *res,
                         struct vg_err **err)
{
    *res = (struct vg_sign_verify_result){0};
    if (img->n == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "no signatures found");
    }
    res->n = img->n;
    res->payloads = vg_calloc(img->n, sizeof(*res->payloads));
    res->errors = vg_calloc(img->n, sizeof(*res->errors));
    for (size_t i = 0; i < img->n; i++) {
        if (verify_entry(&img->layers[i], o, fetch, ctx, &res->payloads[i], &res->errors[i]) == 0) {
            res->nverified++;
        }
    }
    if (res->nverified == 0) {
        return vg_err_set(err, VG_E_VERIFY,
                          "no matching signatures: none of %zu layer(s) "
                          "verified",
                          img->n);
    }
    return 0;
}
