/* SPDX-License-Identifier: Apache-2.0
 *
 * JOSE signatures (RFC 7518 §3.4): ES256 over P-256 with SHA-256, the signature being the raw
 * 32-byte r and s concatenated rather than the ASN.1 DER that vg_crypto_sign emits. Also the
 * plain PKCS#8 PEM form of a private key, for service keys that a server keeps in a 0600 file
 * (the registry's token signing key). JWT structure and claims are registry/'s business.
 */
#include "crypto_int.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#define ES256_HALF 32u

int
vg_crypto_es256_sign(const struct vg_crypto_key *key, const void *data, size_t len,
                     uint8_t sig[VG_CRYPTO_ES256_SIG_BYTES], struct vg_err **err)
{
    if (key->type != VG_KEY_ECDSA_P256) {
        return vg_err_set(err, VG_E_USAGE, "ES256 needs an ECDSA P-256 key, not %s", key->desc);
    }
    vg_autofree uint8_t *der = NULL;
    size_t derlen = 0;
    int rc = vg_crypto_sign(key, data, len, &der, &derlen, err);
    if (rc < 0) {
        return rc;
    }
    const uint8_t *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    const BIGNUM *r = NULL, *s = NULL;
    if (es) {
        ECDSA_SIG_get0(es, &r, &s);
    }
    bool ok = es && BN_bn2binpad(r, sig, ES256_HALF) == (int)ES256_HALF &&
              BN_bn2binpad(s, sig + ES256_HALF, ES256_HALF) == (int)ES256_HALF;
    ECDSA_SIG_free(es);
    ERR_clear_error();
    if (!ok) {
        return vg_err_set(err, VG_E_INTERNAL, "ES256: re-encode signature");
    }
    return 0;
}

int
vg_crypto_es256_verify(const struct vg_crypto_key *key, const void *data, size_t len,
                       const uint8_t *sig, size_t siglen, struct vg_err **err)
{
    if (key->type != VG_KEY_ECDSA_P256) {
        return vg_err_set(err, VG_E_VERIFY, "ES256 needs an ECDSA P-256 key, not %s", key->desc);
    }
    if (siglen != VG_CRYPTO_ES256_SIG_BYTES) {
        return vg_err_set(err, VG_E_VERIFY, "ES256 signature is %zu bytes, not %u", siglen,
                          VG_CRYPTO_ES256_SIG_BYTES);
    }
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, ES256_HALF, NULL);
    BIGNUM *s = BN_bin2bn(sig + ES256_HALF, ES256_HALF, NULL);
    if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(s);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "ES256: decode signature");
    }
    uint8_t *der = NULL;
    int n = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (n <= 0) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "ES256: encode signature");
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
              EVP_DigestVerify(ctx, der, (size_t)n, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ERR_clear_error();
    if (!ok) {
        return vg_err_set(err, VG_E_VERIFY, "ES256 signature does not verify");
    }
    return 0;
}

int
vg_crypto_key_private_pem(const struct vg_crypto_key *key, struct vg_secret **pem,
                          struct vg_err **err)
{
    if (!key->priv) {
        return vg_err_set(err, VG_E_USAGE, "not a private key");
    }
    /* A secure-heap BIO when OpenSSL has one; either way its buffer is cleared on free. */
    BIO *bio = BIO_new(BIO_s_secmem());
    if (!bio || !PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(bio);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "encode private key as PEM");
    }
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    *pem = vg_secret_new(p, n > 0 ? (size_t)n : 0);
    BIO_free(bio);
    return 0;
}
