/* SPDX-License-Identifier: Apache-2.0
 *
 * The signature algorithms of the Notary Project (signature-specification.md, "Signature
 * Algorithm Requirements") under their JWS (RFC 7518 §3.1) and COSE (RFC 9053) names:
 * RSASSA-PSS with SHA-256/384/512 (salt as long as the digest, MGF1 with the same hash) and
 * ECDSA on P-256/P-384/P-521 with SHA-256/384/512, its signature the raw r || s of the curve's
 * size rather than ASN.1 DER. The algorithm follows from the key alone (Notary's "Algorithm
 * Selection" table), so a verifier compares the envelope's claimed algorithm with the one the
 * certificate's key implies and never lets the envelope choose (algorithm substitution).
 */
#include "crypto_int.h"

#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

static const struct {
    enum vg_crypto_alg alg;
    const char *jws;
    int64_t cose;
    size_t ec_half; /* 0: RSA-PSS */
} algs[] = {
    {VG_CRYPTO_ALG_PS256, "PS256", -37, 0},  {VG_CRYPTO_ALG_PS384, "PS384", -38, 0},
    {VG_CRYPTO_ALG_PS512, "PS512", -39, 0},  {VG_CRYPTO_ALG_ES256, "ES256", -7, 32},
    {VG_CRYPTO_ALG_ES384, "ES384", -35, 48}, {VG_CRYPTO_ALG_ES512, "ES512", -36, 66},
};

static size_t
alg_index(enum vg_crypto_alg a)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(algs); i++) {
        if (algs[i].alg == a) {
            return i;
        }
    }
    return VG_ARRAY_LEN(algs);
}

const char *
vg_crypto_alg_jws_name(enum vg_crypto_alg a)
{
    size_t i = alg_index(a);
    return i < VG_ARRAY_LEN(algs) ? algs[i].jws : "unknown";
}

enum vg_crypto_alg
vg_crypto_alg_from_jws(const char *name)
{
    for (size_t i = 0; name && i < VG_ARRAY_LEN(algs); i++) {
        if (strcmp(algs[i].jws, name) == 0) {
            return algs[i].alg;
        }
    }
    return VG_CRYPTO_ALG_NONE;
}

int64_t
vg_crypto_alg_cose_id(enum vg_crypto_alg a)
{
    size_t i = alg_index(a);
    return i < VG_ARRAY_LEN(algs) ? algs[i].cose : 0;
}

enum vg_crypto_alg
vg_crypto_alg_from_cose(int64_t id)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(algs); i++) {
        if (algs[i].cose == id) {
            return algs[i].alg;
        }
    }
    return VG_CRYPTO_ALG_NONE;
}

static const EVP_MD *
alg_md(enum vg_crypto_alg a)
{
    switch (a) {
    case VG_CRYPTO_ALG_PS256:
    case VG_CRYPTO_ALG_ES256:
        return EVP_sha256();
    case VG_CRYPTO_ALG_PS384:
    case VG_CRYPTO_ALG_ES384:
        return EVP_sha384();
    case VG_CRYPTO_ALG_PS512:
    case VG_CRYPTO_ALG_ES512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

int
vg_crypto_key_alg(enum vg_crypto_alg *out, const struct vg_crypto_key *key, struct vg_err **err)
{
    switch (key->type) {
    case VG_KEY_ECDSA_P256:
        *out = VG_CRYPTO_ALG_ES256;
        return 0;
    case VG_KEY_ECDSA_P384:
        *out = VG_CRYPTO_ALG_ES384;
        return 0;
    case VG_KEY_ECDSA_P521:
        *out = VG_CRYPTO_ALG_ES512;
        return 0;
    case VG_KEY_RSA: {
        int bits = EVP_PKEY_get_bits(key->pkey);
        if (bits == 2048) {
            *out = VG_CRYPTO_ALG_PS256;
        } else if (bits == 3072) {
            *out = VG_CRYPTO_ALG_PS384;
        } else if (bits == 4096) {
            *out = VG_CRYPTO_ALG_PS512;
        } else {
            return vg_err_set(err, VG_E_UNSUPPORTED,
                              "RSA %d-bit key: only 2048, 3072 and 4096 bits have a signature "
                              "algorithm",
                              bits);
        }
        return 0;
    }
    default:
        return vg_err_set(err, VG_E_UNSUPPORTED, "%s key has no Notary signature algorithm",
                          key->desc);
    }
}

/* The key must be what alg implies (the caller's algorithm check, repeated here so neither
 * path can sign or verify across key types). */
static int
alg_matches(const struct vg_crypto_key *key, enum vg_crypto_alg alg, enum vg_errc code,
            struct vg_err **err)
{
    vg_autoerr struct vg_err *e = NULL;
    enum vg_crypto_alg want = VG_CRYPTO_ALG_NONE;
    if (vg_crypto_key_alg(&want, key, &e) < 0 || want != alg) {
        return vg_err_set(err, code, "algorithm %s does not match the %s key (%s)",
                          vg_crypto_alg_jws_name(alg), key->desc,
                          want ? vg_crypto_alg_jws_name(want) : "none");
    }
    return 0;
}

static bool
pss_setup(EVP_PKEY_CTX *pctx, const EVP_MD *md)
{
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

/* DER ECDSA-Sig-Value → raw r || s of 2*half bytes. */
static bool
ec_der_to_raw(const uint8_t *der, size_t derlen, uint8_t *raw, size_t half)
{
    const uint8_t *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    const BIGNUM *r = NULL, *s = NULL;
    if (es) {
        ECDSA_SIG_get0(es, &r, &s);
    }
    bool ok = es && BN_bn2binpad(r, raw, (int)half) == (int)half &&
              BN_bn2binpad(s, raw + half, (int)half) == (int)half;
    ECDSA_SIG_free(es);
    return ok;
}

/* raw r || s → DER (OPENSSL_free), or 0 bytes on failure. */
static int
ec_raw_to_der(uint8_t **der, const uint8_t *raw, size_t half)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, (int)half, NULL);
    BIGNUM *s = BN_bin2bn(raw + half, (int)half, NULL);
    if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(s);
        return 0;
    }
    int n = i2d_ECDSA_SIG(es, der);
    ECDSA_SIG_free(es);
    return n;
}

int
vg_crypto_alg_sign(const struct vg_crypto_key *key, enum vg_crypto_alg alg, const void *data,
                   size_t len, uint8_t **sig, size_t *siglen, struct vg_err **err)
{
    if (!key->priv) {
        return vg_err_set(err, VG_E_USAGE, "signing needs a private key");
    }
    int rc = alg_matches(key, alg, VG_E_USAGE, err);
    if (rc < 0) {
        return rc;
    }
    const EVP_MD *md = alg_md(alg);
    size_t half = algs[alg_index(alg)].ec_half;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    size_t n = 0;
    uint8_t *buf = NULL;
    bool ok = ctx && EVP_DigestSignInit(ctx, &pctx, md, NULL, key->pkey) == 1 &&
              (half || pss_setup(pctx, md)) && EVP_DigestSign(ctx, NULL, &n, data, len) == 1 &&
              n > 0;
    if (ok) {
        buf = vg_malloc(n);
        ok = EVP_DigestSign(ctx, buf, &n, data, len) == 1;
    }
    EVP_MD_CTX_free(ctx);
    if (ok && half) {
        uint8_t *raw = vg_malloc(2 * half);
        ok = ec_der_to_raw(buf, n, raw, half);
        free(buf);
        buf = raw;
        n = 2 * half;
    }
    ERR_clear_error();
    if (!ok) {
        free(buf);
        return vg_err_set(err, VG_E_INTERNAL, "%s signature with %s key failed",
                          vg_crypto_alg_jws_name(alg), key->desc);
    }
    *sig = buf;
    *siglen = n;
    return 0;
}

int
vg_crypto_alg_verify(const struct vg_crypto_key *key, enum vg_crypto_alg alg, const void *data,
                     size_t len, const uint8_t *sig, size_t siglen, struct vg_err **err)
{
    int rc = alg_matches(key, alg, VG_E_VERIFY, err);
    if (rc < 0) {
        return rc;
    }
    const EVP_MD *md = alg_md(alg);
    size_t half = algs[alg_index(alg)].ec_half;
    if (siglen == 0 || siglen > VG_CRYPTO_SIG_MAX || (half && siglen != 2 * half)) {
        return vg_err_set(err, VG_E_VERIFY, "%s signature of %zu bytes",
                          vg_crypto_alg_jws_name(alg), siglen);
    }
    uint8_t *der = NULL;
    size_t derlen = siglen;
    if (half) {
        int n = ec_raw_to_der(&der, sig, half);
        if (n <= 0) {
            ERR_clear_error();
            return vg_err_set(err, VG_E_VERIFY, "%s signature does not decode",
                              vg_crypto_alg_jws_name(alg));
        }
        derlen = (size_t)n;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key->pkey) == 1 &&
              (half || pss_setup(pctx, md)) &&
              EVP_DigestVerify(ctx, half ? der : sig, derlen, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ERR_clear_error();
    if (!ok) {
        return vg_err_set(err, VG_E_VERIFY, "%s signature does not verify with the %s key",
                          vg_crypto_alg_jws_name(alg), key->desc);
    }
    return 0;
}
