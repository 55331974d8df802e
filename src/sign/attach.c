/* SPDX-License-Identifier: Apache-2.0
 *
 * `vigil attach signature|attestation|sbom`: upload a signature, attestation or SBOM made
 * elsewhere to an image, in cosign's legacy layout (cosign-format.md §3.2, §6.3; the `.sbom`
 * image is a one-layer image rendered like a signature image, as cosign's UploadFile writes).
 * Signatures and attestations are appended to the `.sig`/`.att` image (read, append, PUT; an
 * identical layer is not added twice); an SBOM replaces the `.sbom` image, as in cosign.
 * Nothing is verified here: attaching an unverifiable signature is allowed, as in cosign.
 */
#include "cosign_ops.h"

#include <string.h>

#include "flow_int.h"

static int
upload(struct vg_oci_remote_client *c, const void *data, size_t len, struct vg_err **err)
{
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, data, len);
    return vg_oci_remote_blob_upload(c, &d, data, len, NULL, err);
}

/* Renders img, uploads its config and the new blob, PUTs it at tag. */
static int
put_image(const struct vg_sign_target *t, const struct vg_sign_sig_image *img, const char *tag,
          const void *blob, size_t len, struct vg_sign_push_result *res, struct vg_err **err)
{
    vg_autobuf struct vg_buf config = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    vg_autobuf struct vg_buf manifest = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    int rc;
    if ((rc = vg_sign_sig_image_render(img, &config, &manifest, err)) < 0 ||
        (rc = upload(t->store, blob, len, err)) < 0 ||
        (rc = upload(t->store, config.data, config.len, err)) < 0 ||
        (rc = vg_oci_remote_manifest_put(t->store, tag, manifest.data, manifest.len,
                                         VG_SIGN_MT_OCI_MANIFEST, &res->manifest, err)) < 0) {
        return vg_err_wrap(err, "push %s", res->location);
    }
    return 0;
}

static void
add_annotation(struct vg_sign_sig_entry *e, const char *key, const char *value)
{
    struct vg_sign_kv kv = {.key = vg_strdup(key), .value = vg_strdup(value)};
    VG_ARRAY_PUSH(e->annotations, e->nannotations, kv);
}

int
vg_sign_target_attach_signature(const struct vg_sign_target *t, const struct vg_sign_attach_sig *a,
                                struct vg_sign_push_result *res, struct vg_err **err)
{
    *res = (struct vg_sign_push_result){0};
    vg_autofree char *sig = vg_memdup(a->signature, strlen(a->signature) + 1);
    size_t n = strlen(sig);
    while (n && (sig[n - 1] == '\n' || sig[n - 1] == '\r' || sig[n - 1] == ' ')) {
        sig[--n] = '\0';
    }
    uint8_t *raw = NULL;
    size_t rawlen = 0;
    if (n == 0 || vg_sign__b64(&raw, &rawlen, sig, 64u * 1024u, "signature", err) < 0) {
        return n == 0 ? vg_err_set(err, VG_E_USAGE, "empty signature") : -1;
    }
    free(raw);
    vg_autobuf struct vg_buf payload = VG_BUF_INIT(VG_LIMIT_PAYLOAD_BYTES);
    int rc = a->payload
                 ? vg_buf_append(&payload, a->payload, a->payload_len, err)
                 : vg_sign_payload_build(&payload, t->docker_reference, &t->digest, NULL, 0, err);
    if (rc < 0) {
        return vg_err_wrap(err, "payload");
    }
    struct vg_sign_layer l = {
        .payload = (char *)payload.data, .payload_len = payload.len, .signature = sig};
    vg_digest_of(&l.digest, VG_DIGEST_SHA256, payload.data, payload.len);
    vg_autofree char *tag = vg_sign_tag(&t->digest, ".sig");
    res->location = vg_fmt("%s:%s", t->store_name, tag);
    struct vg_sign_sig_image *img = NULL;
    if (vg_sign__read_sig_image(t->store, tag, &img, err) < 0) {
        return vg_err_wrap(err, "read %s", res->location);
    }
    rc = vg_sign_sig_image_append(img, &l, &res->appended, err);
    if (rc == 0 && res->appended) {
        struct vg_sign_sig_entry *e = &img->layers[img->n - 1];
        if (a->certificate && *a->certificate) {
            add_annotation(e, VG_SIGN_ANN_CERTIFICATE, a->certificate);
        }
        if (a->chain && *a->chain) {
            add_annotation(e, VG_SIGN_ANN_CHAIN, a->chain);
        }
        rc = put_image(t, img, tag, payload.data, payload.len, res, err);
    }
    vg_sign_sig_image_free(img);
    return rc;
}

int
vg_sign_target_attach_attestation(const struct vg_sign_target *t, const void *envelope, size_t len,
                                  struct vg_sign_push_result *res, struct vg_err **err)
{
    *res = (struct vg_sign_push_result){0};
    struct vg_dsse_envelope *e = NULL;
    if (vg_sign_dsse_parse(&e, envelope, len, err) < 0) {
        return vg_err_wrap(err, "attestation envelope");
    }
    struct vg_sign_statement *st = NULL;
    int rc = 0;
    if (strcmp(e->payload_type, VG_SIGN_PAYLOAD_TYPE_INTOTO) != 0) {
        rc = vg_err_set(err, VG_E_UNSUPPORTED, "attestation envelope: payloadType %s, not %s",
                        e->payload_type, VG_SIGN_PAYLOAD_TYPE_INTOTO);
    } else if ((rc = vg_sign_statement_parse(&st, e->payload, e->payload_len, err)) < 0) {
        vg_err_wrap(err, "attestation envelope");
    } else if (!st->predicate_type || !*st->predicate_type) {
        rc = vg_err_set(err, VG_E_PARSE, "attestation statement has no predicateType");
    }
    vg_sign_dsse_free(e);
    if (rc < 0) {
        vg_sign_statement_free(st);
        return rc;
    }
    /* The append needs only the envelope's digest and size. */
    struct vg_sign_layer l = {.payload_len = len};
    vg_digest_of(&l.digest, VG_DIGEST_SHA256, envelope, len);
    vg_autofree char *tag = vg_sign_tag(&t->digest, ".att");
    res->location = vg_fmt("%s:%s", t->store_name, tag);
    struct vg_sign_sig_image *img = NULL;
    if ((rc = vg_sign__read_sig_image(t->store, tag, &img, err)) < 0) {
        vg_err_wrap(err, "read %s", res->location);
    } else if ((rc = vg_sign_att_image_append(img, &l, st->predicate_type, false, &res->appended,
                                              err)) == 0 &&
               res->appended) {
        rc = put_image(t, img, tag, envelope, len, res, err);
    }
    vg_sign_sig_image_free(img);
    vg_sign_statement_free(st);
    return rc;
}

const char *
vg_sign_sbom_media_type(const char *type, const char *input_format, const void *sbom, size_t len)
{
    const char *p = sbom;
    while (len && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        p++;
        len--;
    }
    bool json = input_format ? strcmp(input_format, "json") == 0 : (len && (*p == '{'));
    bool xml = input_format ? strcmp(input_format, "xml") == 0 : (len && (*p == '<'));
    bool text = input_format && strcmp(input_format, "text") == 0;
    if (input_format && !json && !xml && !text) {
        return NULL;
    }
    if (strcmp(type, "cyclonedx") == 0 && !text) {
        return json ? "application/vnd.cyclonedx+json" : "application/vnd.cyclonedx+xml";
    }
    if (strcmp(type, "spdx") == 0 && !xml) {
        return json ? "application/spdx+json" : "text/spdx";
    }
    if (strcmp(type, "syft") == 0 && (json || !input_format)) {
        return "application/vnd.syft+json";
    }
    return NULL;
}

int
vg_sign_target_attach_sbom(const struct vg_sign_target *t, const void *sbom, size_t len,
                           const char *media_type, struct vg_sign_push_result *res,
                           struct vg_err **err)
{
    *res = (struct vg_sign_push_result){0};
    if (len > VG_SIGN_SBOM_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "SBOM of %zu bytes exceeds %u", len, VG_SIGN_SBOM_MAX);
    }
    vg_autofree char *tag = vg_sign_tag(&t->digest, ".sbom");
    res->location = vg_fmt("%s:%s", t->store_name, tag);
    vg_autofree char *mt = vg_strdup(media_type);
    struct vg_sign_sig_entry e = {.media_type = mt, .size = len};
    vg_digest_of(&e.digest, VG_DIGEST_SHA256, sbom, len);
    struct vg_sign_sig_image img = {.layers = &e, .n = 1};
    res->appended = true;
    return put_image(t, &img, tag, sbom, len, res, err);
}

void
vg_sign_clean_result_dispose(struct vg_sign_clean_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].location);
    }
    free(r->items);
    *r = (struct vg_sign_clean_result){0};
}

/* Deletes the tag (or, where the registry cannot delete tags, the manifest it names). */
static int
clean_tag(const struct vg_sign_target *t, const char *suffix, struct vg_sign_clean_item *it,
          struct vg_err **err)
{
    vg_autofree char *tag = vg_sign_tag(&t->digest, suffix);
    it->location = vg_fmt("%s:%s", t->store_name, tag);
    vg_autoerr struct vg_err *e = NULL;
    if (vg_oci_remote_manifest_head(t->store, tag, &it->digest, NULL, &e) < 0) {
        if (vg_err_root_code(e) == VG_E_NOTFOUND) {
            return 0; /* nothing to remove */
        }
        if (err) {
            *err = vg_steal_ptr(&e);
        }
        return vg_err_wrap(err, "%s", it->location);
    }
    it->found = true;
    int rc = vg_oci_remote_manifest_delete(t->store, tag, &e);
    if (rc < 0 && vg_err_root_code(e) == VG_E_UNSUPPORTED) {
        vg_err_free(&e);
        it->by_digest = true;
        rc = vg_oci_remote_manifest_delete(t->store, it->digest.text, &e);
    }
    if (rc < 0 && vg_err_root_code(e) != VG_E_NOTFOUND) {
        if (err) {
            *err = vg_steal_ptr(&e);
        }
        return -1;
    }
    it->removed = rc == 0;
    return 0;
}

int
vg_sign_target_clean(const struct vg_sign_target *t, unsigned kinds,
                     struct vg_sign_clean_result *res, struct vg_err **err)
{
    static const char *const suffix[] = {".sig", ".att", ".sbom"};
    static const unsigned kind[] = {VG_SIGN_COPY_SIG, VG_SIGN_COPY_ATT, VG_SIGN_COPY_SBOM};
    *res = (struct vg_sign_clean_result){0};
    res->items = vg_calloc(VG_ARRAY_LEN(suffix), sizeof(*res->items));
    for (size_t i = 0; i < VG_ARRAY_LEN(suffix); i++) {
        if (!(kinds & kind[i])) {
            continue;
        }
        struct vg_sign_clean_item *it = &res->items[res->n++];
        it->kind = kind[i];
        if (clean_tag(t, suffix[i], it, err) < 0) {
            vg_sign_clean_result_dispose(res);
            return -1;
        }
    }
    return 0;
}
