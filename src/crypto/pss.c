/* SPDX-License-Identifier: Apache-2.0
 *
 * RSASSA-PSS with SHA-256 and MGF1-SHA-256: the RSA scheme of The Update Framework
 * ("rsassa-pss-sha256") and of Notary v1 ("rsapss"). Signing uses a salt as long as the
 * digest (what Go's rsa.PSSSaltLengthEqualsHash and securesystemslib emit); verification
 * recovers the salt length from the signature, so either producer's signatures verify. The
 * cosign RSA scheme (PKCS#1 v1.5) stays in sig.c.
 */
#include "crypto_int.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

static bool
pss_ctx(EVP_MD_CTX *ctx, const struct vg_crypto_key *key, bool sign)
{
    EVP_PKEY_CTX *pctx = NULL;
    int rc = sign ? EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key->pkey)
                  : EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, key->pkey);
    return rc == 1 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, sign ? RSA_PSS_SALTLEN_DIGEST
                                                       : RSA_PSS_SALTLEN_AUTO) == 1;
}

int
vg_crypto_rsa_pss_sign(const struct vg_crypto_key *key, const void *data, size_t len, uint8_t **sig,
                       size_t *siglen, struct vg_err **err)
{
    if (key->type != VG_KEY_RSA || !key->priv) {
        return vg_err_set(err, VG_E_USAGE, "RSA-PSS needs an RSA private key, not %s", key->desc);
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t n = 0;
    uint8_t *buf = NULL;
    bool ok =
        ctx && pss_ctx(ctx, key, true) && EVP_DigestSign(ctx, NULL, &n, data, len) == 1 && n > 0;
    if (ok) {
        buf = vg_malloc(n);
        ok = EVP_DigestSign(ctx, buf, &n, data, len) == 1;
    }
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (!ok) {
        free(buf);
        return vg_err_set(err, VG_E_INTERNAL, "RSA-PSS sign with %s key failed", key->desc);
    }
    *sig = buf;
    *siglen = n;
    return 0;
}

int
vg_crypto_rsa_pss_verify(const struct vg_crypto_key *key, const void *data, size_t len,
                         const uint8_t *sig, size_t siglen, struct vg_err **err)
{
    if (key->type != VG_KEY_RSA) {
        return vg_err_set(err, VG_E_VERIFY, "RSA-PSS needs an RSA key, not %s", key->desc);
    }
    if (siglen == 0 || siglen > VG_CRYPTO_SIG_MAX) {
        return vg_err_set(err, VG_E_VERIFY, "invalid signature: %zu bytes", siglen);
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && pss_ctx(ctx, key, false) && EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (!ok) {
        return vg_err_set(err, VG_E_VERIFY, "invalid RSA-PSS signature when validating with %s key",
                          key->desc);
    }
    return 0;
}
