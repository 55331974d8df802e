/* SPDX-License-Identifier: Apache-2.0
 *
 * Legacy attestations in the `.att` image (cosign-format.md §6.3, §6.4): signing a statement
 * into a DSSE envelope layer, appending it (with cosign's --replace semantics), and verifying
 * every DSSE layer with blobs supplied by the caller. The manifest/config rendering is shared
 * with signatures (sigimage.c); nothing here does network I/O.
 */
#include "sign_int.h"

#include <string.h>

#define ANN_PREDICATE_TYPE "predicateType"

int
vg_sign_attestation_sign(struct vg_sign_layer *out, const struct vg_crypto_key *key,
                         const char *type, const char *subject_name,
                         const struct vg_digest *subject, const void *predicate,
                         size_t predicate_len, int64_t now, struct vg_err **err)
{
    vg_autobuf struct vg_buf st = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    vg_autobuf struct vg_buf env = VG_BUF_INIT(VG_SIGN_ENVELOPE_MAX);
    int rc = vg_sign_statement_build(&st, type, subject_name, subject, predicate, predicate_len,
                                     now, err);
    if (rc < 0 || (rc = vg_sign_dsse_sign(&env, key, VG_SIGN_PAYLOAD_TYPE_INTOTO, st.data, st.len,
                                          err)) < 0) {
        return rc;
    }
    struct vg_sign_layer l = {0};
    vg_digest_of(&l.digest, VG_DIGEST_SHA256, env.data, env.len);
    l.signature = vg_strdup("");
    l.payload = vg_buf_take(&env, &l.payload_len);
    *out = l;
    return 0;
}

static bool
is_dsse_with_type(const struct vg_sign_sig_entry *e, const char *predicate_type)
{
    const char *pt = vg_sign_sig_entry_annotation(e, ANN_PREDICATE_TYPE);
    return strcmp(e->media_type, VG_SIGN_MT_DSSE) == 0 && pt && strcmp(pt, predicate_type) == 0;
}

static void
drop_layer(struct vg_sign_sig_image *img, size_t i)
{
    struct vg_sign_sig_entry *e = &img->layers[i];
    free(e->media_type);
    for (size_t j = 0; j < e->nannotations; j++) {
        vg_free_const(e->annotations[j].key);
        vg_free_const(e->annotations[j].value);
    }
    free(e->annotations);
    memmove(&img->layers[i], &img->layers[i + 1], (img->n - i - 1) * sizeof(*img->layers));
    img->n--;
}

int
vg_sign_att_image_append(struct vg_sign_sig_image *img, const struct vg_sign_layer *envelope,
                         const char *predicate_type, bool replace, bool *appended,
                         struct vg_err **err)
{
    *appended = false;
    for (size_t i = img->n; i-- > 0;) {
        if (!is_dsse_with_type(&img->layers[i], predicate_type)) {
            continue;
        }
        if (replace) {
            drop_layer(img, i);
        } else if (vg_digest_eq(&img->layers[i].digest, &envelope->digest)) {
            return 0; /* this exact envelope is already attached */
        }
    }
    if (img->n >= VG_SIGN_MAX_SIG_LAYERS) {
        return vg_err_set(err, VG_E_LIMIT, "attestation image already holds %u layers",
                          VG_SIGN_MAX_SIG_LAYERS);
    }
    VG_ARRAY_GROW(img->layers, img->n, 1);
    struct vg_sign_sig_entry *e = &img->layers[img->n++];
    *e = (struct vg_sign_sig_entry){
        .media_type = vg_strdup(VG_SIGN_MT_DSSE),
        .digest = envelope->digest,
        .size = envelope->payload_len,
        .annotations = vg_calloc(2 + envelope->nextra, sizeof(*e->annotations)),
        .nannotations = 2 + envelope->nextra,
    };
    e->annotations[0].key = vg_strdup(VG_SIGN_ANN_SIGNATURE);
    e->annotations[0].value = vg_strdup("");
    e->annotations[1].key = vg_strdup(ANN_PREDICATE_TYPE);
    e->annotations[1].value = vg_strdup(predicate_type);
    /* keyless: certificate, chain, Rekor bundle, timestamp (cosign-format.md §6.3) */
    for (size_t i = 0; i < envelope->nextra; i++) {
        e->annotations[2 + i].key = vg_strdup(envelope->extra[i].key);
        e->annotations[2 + i].value = vg_strdup(envelope->extra[i].value);
    }
    *appended = true;
    return 0;
}

void
vg_sign_att_result_dispose(struct vg_sign_att_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->envelopes[i]);
        vg_sign_statement_free(r->statements[i]);
        vg_err_free(&r->errors[i]);
    }
    free(r->envelopes);
    free(r->statements);
    free(r->errors);
    *r = (struct vg_sign_att_result){0};
}

/* The envelope's signature by the Fulcio certificate of the layer's annotations (and its Rekor
 * entry), the statement's subject being the image, then the claims. */
static int
keyless_envelope(const struct vg_sign_sig_entry *l, const struct vg_buf *blob,
                 const struct vg_sign_verify_opts *o, const char *type,
                 struct vg_sign_statement **st, struct vg_err **err)
{
    if (!o->keyless) {
        return vg_err_set(err, VG_E_USAGE, "neither a key nor a keyless identity to verify with");
    }
    struct vg_dsse_envelope *env = NULL;
    struct vg_sigstore_bundle *b = NULL;
    int rc = vg_sign_dsse_parse(&env, blob->data, blob->len, err);
    if (rc == 0) {
        rc = vg_sign_keyless_legacy_bundle(&b, l, blob->data, blob->len, env, err);
    }
    if (rc == 0) {
        struct vg_sigstore_artifact a = {0};
        rc = vg_sign__digest_raw(a.sha256, o->image, err);
        if (rc == 0) {
            rc = vg_sign__keyless_verify(o->keyless, b, &a, NULL, err);
        }
    }
    if (rc == 0) {
        rc = vg_sign__attestation_claims(env, o->check_claims ? o->image : NULL, type, st, err);
    }
    vg_sigstore_bundle_free(b);
    vg_sign_dsse_free(env);
    return rc;
}

static int
verify_att_entry(const struct vg_sign_sig_entry *e, const struct vg_sign_verify_opts *o,
                 const char *type, vg_sign_blob_fetch_fn fetch, void *ctx, char **envelope,
                 struct vg_sign_statement **st, struct vg_err **err)
{
    if (strcmp(e->media_type, VG_SIGN_MT_DSSE) != 0) {
        return vg_err_set(err, VG_E_VERIFY, "not a DSSE envelope layer");
    }
    if (e->size > VG_SIGN_ENVELOPE_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "envelope of %llu bytes exceeds the limit of %u",
                          (unsigned long long)e->size, VG_SIGN_ENVELOPE_MAX);
    }
    vg_autobuf struct vg_buf blob = VG_BUF_INIT(VG_SIGN_ENVELOPE_MAX);
    int rc = fetch(ctx, e, &blob, err);
    if (rc < 0) {
        return rc;
    }
    struct vg_digest got;
    vg_digest_of(&got, e->digest.alg, blob.data, blob.len);
    if (blob.len != e->size || !vg_digest_eq(&got, &e->digest)) {
        return vg_err_set(err, VG_E_VERIFY, "envelope blob does not match its digest %s and size",
                          e->digest.text);
    }
    rc = o->key ? vg_sign_attestation_verify(blob.data, blob.len, o->key,
                                             o->check_claims ? o->image : NULL, type, st, err)
                : keyless_envelope(e, &blob, o, type, st, err);
    if (rc < 0) {
        return rc;
    }
    *envelope = vg_buf_take(&blob, NULL);
    return 0;
}

int
vg_sign_att_image_verify(const struct vg_sign_sig_image *img, const struct vg_sign_verify_opts *o,
                         const char *type, vg_sign_blob_fetch_fn fetch, void *ctx,
                         struct vg_sign_att_result *res, struct vg_err **err)
{
    *res = (struct vg_sign_att_result){0};
    if (img->n == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "no attestations found");
    }
    res->n = img->n;
    res->envelopes = vg_calloc(img->n, sizeof(*res->envelopes));
    res->statements = vg_calloc(img->n, sizeof(*res->statements));
    res->errors = vg_calloc(img->n, sizeof(*res->errors));
    for (size_t i = 0; i < img->n; i++) {
        if (verify_att_entry(&img->layers[i], o, type, fetch, ctx, &res->envelopes[i],
                             &res->statements[i], &res->errors[i]) == 0) {
            res->nverified++;
        }
    }
    if (res->nverified == 0) {
        return vg_err_set(err, VG_E_VERIFY,
                          "none of the %zu attestation(s) verified and matched "
                          "the predicate type",
                          img->n);
    }
    return 0;
}
