/* SPDX-License-Identifier: Apache-2.0
 *
 * Password-encrypted PKCS#8 (RFC 5958 §3 EncryptedPrivateKeyInfo) with PBES2 (RFC 8018 §6.2),
 * the private key format of Docker Content Trust / Notary v1 key files: PBKDF2 and an AES-CBC
 * cipher. Writing follows what notary writes (PBKDF2 with the default HMAC-SHA1 PRF, an 8-byte
 * salt, 2048 iterations, AES-256-CBC); reading accepts PBES2 with PBKDF2 (HMAC-SHA1, -SHA256 or
 * -SHA512) and AES-128/192/256-CBC, nothing else (no PKCS#12 or PBES1 schemes). The algorithm
 * parameters are checked before any key derivation, so a hostile file cannot ask for a
 * billion iterations. Also: the self-signed certificate notary puts in a root role.
 *
 * It does not know PEM headers or the trust directory layout (tuf/keystore.c does).
 */
#include "crypto_int.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static int
parse_sig(X509_SIG **out, const uint8_t *der, size_t len, struct vg_err **err)
{
    if (len > VG_PKCS8_DER_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "encrypted private key of %zu bytes exceeds %u", len,
                          VG_PKCS8_DER_MAX);
    }
    const unsigned char *p = der;
    X509_SIG *sig = len ? d2i_X509_SIG(NULL, &p, (long)len) : NULL;
    if (!sig || p != der + len) {
        X509_SIG_free(sig);
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "encrypted private key: invalid PKCS#8 DER");
    }
    *out = sig;
    return 0;
}

static bool
prf_ok(const X509_ALGOR *prf)
{
    if (!prf) {
        return true; /* absent: HMAC-SHA1 (RFC 8018 §A.2) */
    }
    int nid = OBJ_obj2nid(prf->algorithm);
    return nid == NID_hmacWithSHA1 || nid == NID_hmacWithSHA256 || nid == NID_hmacWithSHA512;
}

static int
check_kdf(const X509_ALGOR *kdf, uint64_t *iter, struct vg_err **err)
{
    if (OBJ_obj2nid(kdf->algorithm) != NID_id_pbkdf2 || !kdf->parameter ||
        kdf->parameter->type != V_ASN1_SEQUENCE) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "encrypted private key: key derivation is not PBKDF2");
    }
    PBKDF2PARAM *kp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), kdf->parameter);
    if (!kp) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "encrypted private key: invalid PBKDF2 parameters");
    }
    int rc = 0;
    long n = ASN1_INTEGER_get(kp->iter);
    if (kp->salt->type != V_ASN1_OCTET_STRING || kp->salt->value.octet_string->length < 1 ||
        kp->salt->value.octet_string->length > 64) {
        rc = vg_err_set(err, VG_E_PARSE, "encrypted private key: PBKDF2 salt must be 1..64 bytes");
    } else if (n < 1 || (unsigned long)n > VG_PKCS8_PBKDF2_ITER_MAX) {
        rc = vg_err_set(err, VG_E_LIMIT,
                        "encrypted private key: PBKDF2 iteration count %ld is not in 1..%u", n,
                        VG_PKCS8_PBKDF2_ITER_MAX);
    } else if (!prf_ok(kp->prf)) {
        rc = vg_err_set(err, VG_E_UNSUPPORTED,
                        "encrypted private key: PBKDF2 PRF is not HMAC-SHA1/256/512");
    } else if (kp->keylength && ASN1_INTEGER_get(kp->keylength) != 16 &&
               ASN1_INTEGER_get(kp->keylength) != 24 && ASN1_INTEGER_get(kp->keylength) != 32) {
        rc = vg_err_set(err, VG_E_PARSE, "encrypted private key: PBKDF2 key length");
    } else {
        *iter = (uint64_t)n;
    }
    PBKDF2PARAM_free(kp);
    ERR_clear_error();
    return rc;
}

static int
check_params(const X509_SIG *sig, uint64_t *iter, struct vg_err **err)
{
    const X509_ALGOR *alg = NULL;
    X509_SIG_get0(sig, &alg, NULL);
    if (OBJ_obj2nid(alg->algorithm) != NID_pbes2 || !alg->parameter ||
        alg->parameter->type != V_ASN1_SEQUENCE) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "encrypted private key: scheme is not PBES2");
    }
    PBE2PARAM *pp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
    if (!pp) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "encrypted private key: invalid PBES2 parameters");
    }
    int rc = check_kdf(pp->keyfunc, iter, err);
    int enc = OBJ_obj2nid(pp->encryption->algorithm);
    const ASN1_TYPE *iv = pp->encryption->parameter;
    if (rc == 0 && enc != NID_aes_128_cbc && enc != NID_aes_192_cbc && enc != NID_aes_256_cbc) {
        rc = vg_err_set(err, VG_E_UNSUPPORTED, "encrypted private key: cipher is not AES-CBC");
    } else if (rc == 0 &&
               (!iv || iv->type != V_ASN1_OCTET_STRING || iv->value.octet_string->length != 16)) {
        rc = vg_err_set(err, VG_E_PARSE, "encrypted private key: AES-CBC IV must be 16 bytes");
    }
    PBE2PARAM_free(pp);
    return rc;
}

int
vg_crypto_pkcs8_inspect(const void *der, size_t len, uint64_t *iter, struct vg_err **err)
{
    X509_SIG *sig = NULL;
    if (parse_sig(&sig, der, len, err) < 0) {
        return -1;
    }
    uint64_t n = 0;
    int rc = check_params(sig, &n, err);
    X509_SIG_free(sig);
    if (rc == 0 && iter) {
        *iter = n;
    }
    return rc;
}

int
vg_crypto_pkcs8_decrypt(struct vg_crypto_key **out, const void *der, size_t len,
                        const struct vg_secret *password, struct vg_err **err)
{
    X509_SIG *sig = NULL;
    uint64_t iter = 0;
    if (parse_sig(&sig, der, len, err) < 0) {
        return -1;
    }
    if (check_params(sig, &iter, err) < 0) {
        X509_SIG_free(sig);
        return -1;
    }
    if (password->len > VG_CRYPTO_PASSWORD_MAX) {
        X509_SIG_free(sig);
        return vg_err_set(err, VG_E_LIMIT, "passphrase longer than %u bytes",
                          VG_CRYPTO_PASSWORD_MAX);
    }
    PKCS8_PRIV_KEY_INFO *p8 = PKCS8_decrypt(sig, (const char *)password->data, (int)password->len);
    X509_SIG_free(sig);
    if (!p8) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_AUTH, "decrypt private key: wrong passphrase or corrupt key");
    }
    EVP_PKEY *pkey = EVP_PKCS82PKEY(p8);
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (!pkey) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "decrypted private key is not a valid PKCS#8 key");
    }
    return vg_crypto__key_wrap(out, pkey, true, err);
}

int
vg_crypto_pkcs8_encrypt(uint8_t **der, size_t *len, const struct vg_crypto_key *key,
                        const struct vg_secret *password, struct vg_err **err)
{
    if (!key->priv) {
        return vg_err_set(err, VG_E_USAGE, "not a private key");
    }
    if (password->len > VG_CRYPTO_PASSWORD_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "passphrase longer than %u bytes",
                          VG_CRYPTO_PASSWORD_MAX);
    }
    uint8_t salt[VG_PKCS8_SALT_BYTES];
    vg_crypto_random(salt, sizeof(salt));
    X509_ALGOR *pbe = PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), (int)VG_PKCS8_PBKDF2_ITER, salt,
                                        (int)sizeof(salt), NULL, NID_hmacWithSHA1);
    PKCS8_PRIV_KEY_INFO *p8 = pbe ? EVP_PKEY2PKCS8(key->pkey) : NULL;
    X509_SIG *sig =
        p8 ? PKCS8_set0_pbe((const char *)password->data, (int)password->len, p8, pbe) : NULL;
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (!sig) {
        X509_ALGOR_free(pbe);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "encrypt private key as PKCS#8");
    }
    int n = i2d_X509_SIG(sig, NULL);
    uint8_t *buf = n > 0 ? vg_malloc((size_t)n) : NULL;
    uint8_t *p = buf;
    if (n <= 0 || i2d_X509_SIG(sig, &p) != n) {
        free(buf);
        X509_SIG_free(sig);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "encode encrypted private key");
    }
    X509_SIG_free(sig);
    *der = buf;
    *len = (size_t)n;
    return 0;
}

int
vg_crypto_pkcs8_plain(struct vg_crypto_key **out, const void *der, size_t len, struct vg_err **err)
{
    if (len > VG_PKCS8_DER_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "private key of %zu bytes exceeds %u", len,
                          VG_PKCS8_DER_MAX);
    }
    return vg_crypto__key_from_pkcs8(out, der, len, err);
}

/* ---------------------------------------------------------------- legacy PEM keys */

static const EVP_CIPHER *
legacy_cipher(const char *name, size_t n)
{
    static const struct {
        const char *name;
        const EVP_CIPHER *(*fn)(void);
    } known[] = {{"AES-128-CBC", EVP_aes_128_cbc},
                 {"AES-192-CBC", EVP_aes_192_cbc},
                 {"AES-256-CBC", EVP_aes_256_cbc},
                 {"DES-EDE3-CBC", EVP_des_ede3_cbc}};
    for (size_t i = 0; i < VG_ARRAY_LEN(known); i++) {
        if (strlen(known[i].name) == n && memcmp(known[i].name, name, n) == 0) {
            return known[i].fn();
        }
    }
    return NULL;
}

static int
hex_bytes(uint8_t *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = s[2 * i + (size_t)k];
            int d = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
            if (d < 0) {
                return -1;
            }
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

static int
legacy_decrypt(uint8_t *plain, int *plen, const void *der, size_t len, const char *dek_info,
               const struct vg_secret *password, struct vg_err **err)
{
    const char *comma = strchr(dek_info, ',');
    if (!comma) {
        return vg_err_set(err, VG_E_PARSE, "DEK-Info is not CIPHER,IV");
    }
    const EVP_CIPHER *c = legacy_cipher(dek_info, (size_t)(comma - dek_info));
    if (!c) {
        vg_autofree char *e = vg_escape(dek_info, (size_t)(comma - dek_info), 32);
        return vg_err_set(err, VG_E_UNSUPPORTED, "legacy PEM cipher \"%s\" is not supported", e);
    }
    uint8_t iv[16];
    size_t ivlen = (size_t)EVP_CIPHER_get_iv_length(c), blk = (size_t)EVP_CIPHER_get_block_size(c);
    if (strlen(comma + 1) != 2 * ivlen || hex_bytes(iv, comma + 1, ivlen) < 0) {
        return vg_err_set(err, VG_E_PARSE, "DEK-Info IV is not %zu hex bytes", ivlen);
    }
    if (len == 0 || len % blk != 0) {
        return vg_err_set(err, VG_E_PARSE, "encrypted key of %zu bytes is not whole blocks", len);
    }
    if (password->len > VG_CRYPTO_PASSWORD_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "passphrase longer than %u bytes",
                          VG_CRYPTO_PASSWORD_MAX);
    }
    uint8_t key[32];
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    bool ok =
        ctx &&
        EVP_BytesToKey(c, EVP_md5(), iv, password->data, (int)password->len, 1, key, NULL) > 0 &&
        EVP_DecryptInit_ex(ctx, c, NULL, key, iv) == 1 &&
        EVP_DecryptUpdate(ctx, plain, &n1, der, (int)len) == 1 &&
        EVP_DecryptFinal_ex(ctx, plain + n1, &n2) == 1;
    EVP_CIPHER_CTX_free(ctx);
    vg_crypto_memzero(key, sizeof(key));
    ERR_clear_error();
    if (!ok) {
        return vg_err_set(err, VG_E_AUTH, "decrypt private key: wrong passphrase or corrupt key");
    }
    *plen = n1 + n2;
    return 0;
}

int
vg_crypto_pem_legacy_key(struct vg_crypto_key **out, const void *der, size_t len,
                         const char *dek_info, const struct vg_secret *password,
                         struct vg_err **err)
{
    if (len > VG_PKCS8_DER_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "private key of %zu bytes exceeds %u", len,
                          VG_PKCS8_DER_MAX);
    }
    uint8_t *plain = vg_malloc(len + 32);
    int plen = (int)len;
    int rc = 0;
    if (dek_info) {
        rc = legacy_decrypt(plain, &plen, der, len, dek_info, password, err);
    } else {
        memcpy(plain, der, len);
    }
    EVP_PKEY *pkey = NULL;
    if (rc == 0) {
        const unsigned char *p = plain;
        pkey = d2i_AutoPrivateKey(NULL, &p, plen);
        if (!pkey || p != plain + plen) {
            ERR_clear_error();
            EVP_PKEY_free(pkey);
            rc = dek_info ? vg_err_set(err, VG_E_AUTH,
                                       "decrypt private key: wrong passphrase or corrupt key")
                          : vg_err_set(err, VG_E_PARSE, "not a SEC1 or PKCS#1 private key");
        }
    }
    vg_crypto_memzero(plain, len + 32);
    free(plain);
    return rc < 0 ? rc : vg_crypto__key_wrap(out, pkey, true, err);
}

/* ---------------------------------------------------------------- self-signed certificate */

static int
add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

int
vg_x509_self_signed_new(uint8_t **der, size_t *len, const struct vg_crypto_key *key, const char *cn,
                        int64_t not_before, int64_t not_after, struct vg_err **err)
{
    if (!key->priv || key->type != VG_KEY_ECDSA_P256) {
        return vg_err_set(err, VG_E_USAGE, "certificate: an ECDSA P-256 private key is required");
    }
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    uint8_t serial[16];
    vg_crypto_random(serial, sizeof(serial));
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    bool ok = x && name && bn && X509_set_version(x, X509_VERSION_3) &&
              BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                         -1, 0) &&
              X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
              X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &(time_t){(time_t)not_before}) &&
              X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &(time_t){(time_t)not_after}) &&
              X509_set_pubkey(x, key->pkey) &&
              add_ext(x, NID_key_usage, "critical,digitalSignature,keyEncipherment") == 0 &&
              add_ext(x, NID_ext_key_usage, "codeSigning") == 0 &&
              add_ext(x, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
              X509_sign(x, key->pkey, EVP_sha256()) > 0;
    BN_free(bn);
    X509_NAME_free(name);
    int n = ok ? i2d_X509(x, NULL) : -1;
    uint8_t *buf = n > 0 ? vg_malloc((size_t)n) : NULL;
    uint8_t *p = buf;
    if (n <= 0 || i2d_X509(x, &p) != n) {
        free(buf);
        X509_free(x);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "create a self-signed certificate for %s", cn);
    }
    X509_free(x);
    *der = buf;
    *len = (size_t)n;
    return 0;
}
