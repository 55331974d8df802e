/* SPDX-License-Identifier: Apache-2.0
 *
 * Signatures: the scheme per key type that cosign uses (cosign-format.md §1.5). ECDSA signs
 * with the curve's hash and emits ASN.1 DER; RSA uses PKCS#1 v1.5 with SHA-256; Ed25519 is
 * pure Ed25519. Verification of ECDSA also tries SHA-256, because cosign's key-based verify
 * path defaults to SHA-256 whatever the curve (sigstore/cosign#5091), so signatures from
 * either cosign path verify. What is signed (payloads, PAE) is sign/'s business.
 */
#include "crypto_int.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

static const EVP_MD *
md_for(enum vg_key_type t)
{
    switch (t) {
    case VG_KEY_ECDSA_P384:
        return EVP_sha384();
    case VG_KEY_ECDSA_P521:
        return EVP_sha512();
    case VG_KEY_ED25519:
        return NULL;
    case VG_KEY_ECDSA_P256:
    case VG_KEY_RSA:
        break;
    }
    return EVP_sha256();
}

static int
set_padding(EVP_PKEY_CTX *pctx, enum vg_key_type t)
{
    if (t != VG_KEY_RSA) {
        return 1;
    }
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
}

int
vg_crypto_sign(const struct vg_crypto_key *key, const void *data, size_t len, uint8_t **sig,
               size_t *siglen, struct vg_err **err)
{
    if (!key->priv) {
        return vg_err_set(err, VG_E_USAGE, "sign: a private key is required");
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    size_t n = 0;
    uint8_t *buf = NULL;
    bool ok = ctx && EVP_DigestSignInit(ctx, &pctx, md_for(key->type), NULL, key->pkey) == 1 &&
              set_padding(pctx, key->type) == 1 && EVP_DigestSign(ctx, NULL, &n, data, len) == 1 &&
              n > 0;
    if (ok) {
        buf = vg_malloc(n);
        ok = EVP_DigestSign(ctx, buf, &n, data, len) == 1;
    }
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        unsigned long e = ERR_peek_last_error();
        char msg[256] = "unknown error";
        if (e) {
            ERR_error_string_n(e, msg, sizeof(msg));
        }
        ERR_clear_error();
        free(buf);
        return vg_err_set(err, VG_E_INTERNAL, "sign with %s key: %s", key->desc, msg);
    }
    *sig = buf;
    *siglen = n;
    return 0;
}

static bool
verify_with(const struct vg_crypto_key *key, const EVP_MD *md, const void *data, size_t len,
            const uint8_t *sig, size_t siglen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key->pkey) == 1 &&
              set_padding(pctx, key->type) == 1 &&
              EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

int
vg_crypto_verify(const struct vg_crypto_key *key, const void *data, size_t len, const uint8_t *sig,
                 size_t siglen, struct vg_err **err)
{
    if (siglen == 0 || siglen > VG_CRYPTO_SIG_MAX) {
        return vg_err_set(err, VG_E_VERIFY, "invalid signature: %zu bytes", siglen);
    }
    const EVP_MD *md = md_for(key->type);
    if (verify_with(key, md, data, len, sig, siglen)) {
        return 0;
    }
    bool ecdsa_other_hash = key->type == VG_KEY_ECDSA_P384 || key->type == VG_KEY_ECDSA_P521;
    if (ecdsa_other_hash && verify_with(key, EVP_sha256(), data, len, sig, siglen)) {
        return 0;
    }
    return vg_err_set(err, VG_E_VERIFY, "invalid signature when validating with %s key", key->desc);
}
