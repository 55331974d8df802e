/* SPDX-License-Identifier: Apache-2.0
 *
 * Blob bundles: what cosign 3's `sign-blob --bundle` writes and `verify-blob --bundle` reads
 * (cosign-format.md §4.2, §8): a Sigstore bundle whose content is a messageSignature, i.e. the
 * blob's digest plus a signature over the blob's bytes, key-signed (publicKey hint), no
 * transparency log. Building, strict parsing and verification; the files are the CLI's.
 */
#include "sign_int.h"

#include <string.h>

/* A blob bundle holds a digest and one signature: a few KiB; 64 KiB leaves room for unread
 * verification material (certificates, log entries) without inviting large documents. */
#define BLOB_BUNDLE_MAX (64u * 1024u)
#define SIG_MAX         1024u

static const char *const blob_bundle_types[] = {
    VG_SIGN_MT_BUNDLE_V03,
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
};

int
vg_sign_blob_bundle_render(struct vg_buf *out, const struct vg_crypto_key *key, const void *blob,
                           size_t len, const uint8_t *sig, size_t siglen, struct vg_err **err)
{
    vg_autofree char *hint = NULL;
    int rc = vg_crypto_key_hint(key, &hint, err);
    if (rc < 0) {
        return rc;
    }
    uint8_t digest[32];
    vg_sha256_raw(digest, blob, len);
    vg_autofree char *d64 = vg_base64_encode(digest, sizeof(digest));
    vg_autofree char *s64 = vg_base64_encode(sig, siglen);
    return vg_buf_appendf(out, err,
                          "{\"mediaType\":\"" VG_SIGN_MT_BUNDLE_V03 "\",\"verificationMaterial\":"
                          "{\"publicKey\":{\"hint\":\"%s\"}},\"messageSignature\":{"
                          "\"messageDigest\":{\"algorithm\":\"SHA2_256\",\"digest\":\"%s\"},"
                          "\"signature\":\"%s\"}}",
                          hint, d64, s64);
}

int
vg_sign_blob_bundle_build(struct vg_buf *out, const struct vg_crypto_key *key, const void *blob,
                          size_t len, struct vg_err **err)
{
    vg_autofree uint8_t *sig = NULL;
    size_t siglen = 0;
    int rc = vg_crypto_sign(key, blob, len, &sig, &siglen, err);
    return rc < 0 ? rc : vg_sign_blob_bundle_render(out, key, blob, len, sig, siglen, err);
}

void
vg_sign_blob_bundle_free(struct vg_sign_blob_bundle *b)
{
    if (!b) {
        return;
    }
    free(b->media_type);
    free(b->sig);
    free(b);
}

static bool
known_type(const char *mt)
{
    for (size_t i = 0; i < sizeof(blob_bundle_types) / sizeof(blob_bundle_types[0]); i++) {
        if (strcmp(mt, blob_bundle_types[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* messageDigest {algorithm, digest (base64 of the raw hash)} as a vg_digest. */
static int
parse_digest(const json_t *md, struct vg_digest *out, struct vg_err **err)
{
    const char *alg = md ? vg_json_str(md, "algorithm") : NULL;
    const char *b64 = md ? vg_json_str(md, "digest") : NULL;
    if (!alg || !b64) {
        return vg_err_set(err, VG_E_PARSE,
                          "bundle: messageSignature.messageDigest: want algorithm and digest");
    }
    size_t want = 0;
    const char *prefix = NULL;
    if (strcmp(alg, "SHA2_256") == 0) {
        want = 32, prefix = "sha256:";
        out->alg = VG_DIGEST_SHA256;
    } else if (strcmp(alg, "SHA2_512") == 0) {
        want = 64, prefix = "sha512:";
        out->alg = VG_DIGEST_SHA512;
    } else {
        vg_autofree char *esc = vg_escape(alg, strlen(alg), 40);
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "bundle: message digest algorithm \"%s\" (want SHA2_256 or SHA2_512)",
                          esc);
    }
    vg_autofree uint8_t *raw = NULL;
    size_t n = 0;
    if (vg_base64_decode(&raw, &n, b64, strlen(b64), false, err) < 0) {
        return vg_err_wrap(err, "bundle: messageSignature.messageDigest.digest");
    }
    if (n != want) {
        return vg_err_set(err, VG_E_PARSE, "bundle: %s digest of %zu bytes (want %zu)", alg, n,
                          want);
    }
    size_t p = strlen(prefix);
    memcpy(out->text, prefix, p);
    vg_hex_encode(out->text + p, raw, n);
    return 0;
}

int
vg_sign_blob_bundle_parse(struct vg_sign_blob_bundle **out, const void *data, size_t len,
                          struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    const char *mt = NULL;
    int rc = vg_sign__bundle_open(&root, &mt, data, len, BLOB_BUNDLE_MAX, known_type,
                                  " is not a Sigstore bundle type (v0.1-v0.3)", err);
    if (rc < 0) {
        return rc;
    }
    json_t *ms = vg_json_obj(root, "messageSignature");
    if (!ms) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          json_object_get(root, "dsseEnvelope")
                              ? "bundle: holds a DSSE envelope (an attestation), not a blob "
                                "signature"
                              : "bundle: messageSignature: missing or not an object");
    }
    struct vg_digest d;
    if ((rc = parse_digest(vg_json_obj(ms, "messageDigest"), &d, err)) < 0) {
        return rc;
    }
    const char *s64 = vg_json_str(ms, "signature");
    if (!s64 || !*s64 || strlen(s64) > SIG_MAX) {
        return vg_err_set(err, VG_E_PARSE,
                          "bundle: messageSignature.signature: missing, empty or over %u bytes",
                          SIG_MAX);
    }
    struct vg_sign_blob_bundle *b = vg_calloc(1, sizeof(*b));
    if ((rc = vg_base64_decode(&b->sig, &b->siglen, s64, strlen(s64), false, err)) < 0) {
        vg_sign_blob_bundle_free(b);
        return vg_err_wrap(err, "bundle: messageSignature.signature");
    }
    b->media_type = vg_strdup(mt);
    b->digest = d;
    *out = b;
    return 0;
}

int
vg_sign_blob_bundle_verify(const struct vg_sign_blob_bundle *b, const struct vg_crypto_key *key,
                           const void *blob, size_t len, struct vg_err **err)
{
    struct vg_digest got;
    vg_digest_of(&got, b->digest.alg, blob, len);
    if (!vg_digest_eq(&got, &b->digest)) {
        return vg_err_set(err, VG_E_VERIFY, "the bundle is for %s, the blob is %s", b->digest.text,
                          got.text);
    }
    return vg_crypto_verify(key, blob, len, b->sig, b->siglen, err);
}
