/* SPDX-License-Identifier: Apache-2.0
 *
 * Keys: PEM and DER decoding (through OpenSSL's decoders with the exact structure named, never
 * "guess whatever parses"), the key-type allowlist cosign applies on import (RSA 2048..4096,
 * ECDSA P-256/P-384/P-521, Ed25519), generation of P-256 keys, and export of the public half,
 * the PKCS#8 private key and the key fingerprints. Encryption of key files is envelope.c;
 * signatures are sig.c.
 */
#include "crypto_int.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* RSA sizes cosign's import accepts (sigstore cryptoutils ValidatePubKey). */
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 4096

void
vg_crypto_key_free(struct vg_crypto_key *key)
{
    if (!key) {
        return;
    }
    EVP_PKEY_free(key->pkey);
    free(key->desc);
    free(key);
}

enum vg_key_type
vg_crypto_key_type(const struct vg_crypto_key *key)
{
    return key->type;
}

bool
vg_crypto_key_is_private(const struct vg_crypto_key *key)
{
    return key->priv;
}

const char *
vg_crypto_key_describe(const struct vg_crypto_key *key)
{
    return key->desc;
}

int
vg_crypto__pem_first(const void *data, size_t len, char **label, uint8_t **body, size_t *bodylen,
                     struct vg_err **err)
{
    if (len > VG_CRYPTO_KEY_FILE_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "key file of %zu bytes exceeds the limit of %u", len,
                          VG_CRYPTO_KEY_FILE_MAX);
    }
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (!bio) {
        return vg_err_set(err, VG_E_INTERNAL, "allocate PEM reader");
    }
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long derlen = 0;
    int ok = PEM_read_bio(bio, &name, &header, &der, &derlen);
    BIO_free(bio);
    ERR_clear_error();
    if (!ok) {
        return vg_err_set(err, VG_E_PARSE, "invalid pem block");
    }
    bool has_header = header && header[0];
    OPENSSL_free(header);
    if (has_header || derlen <= 0) {
        OPENSSL_free(name);
        OPENSSL_clear_free(der, derlen > 0 ? (size_t)derlen : 0);
        return vg_err_set(err, VG_E_PARSE, "invalid pem block: %s",
                          has_header ? "PEM headers are not supported" : "empty body");
    }
    *label = vg_strdup(name);
    OPENSSL_free(name);
    *body = der;
    *bodylen = (size_t)derlen;
    return 0;
}

static int
describe_ec(EVP_PKEY *pkey, struct vg_crypto_key *k, struct vg_err **err)
{
    char group[64] = "";
    size_t glen = 0;
    if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                        &glen)) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_UNSUPPORTED, "curve not allowed: explicit parameters");
    }
    static const struct {
        const char *group, *name;
        enum vg_key_type type;
    } curves[] = {
        {"prime256v1", "ECDSA P-256", VG_KEY_ECDSA_P256},
        {"secp384r1", "ECDSA P-384", VG_KEY_ECDSA_P384},
        {"secp521r1", "ECDSA P-521", VG_KEY_ECDSA_P521},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(curves); i++) {
        if (strcmp(group, curves[i].group) == 0) {
            k->type = curves[i].type;
            k->desc = vg_strdup(curves[i].name);
            return 0;
        }
    }
    vg_autofree char *esc = vg_escape(group, strlen(group), 64);
    return vg_err_set(err, VG_E_UNSUPPORTED, "curve not allowed: %s (allowed: P-256, P-384, P-521)",
                      esc);
}

static int
describe_key(EVP_PKEY *pkey, struct vg_crypto_key *k, struct vg_err **err)
{
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA: {
        int bits = EVP_PKEY_get_bits(pkey);
        if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
            return vg_err_set(err, VG_E_UNSUPPORTED,
                              "key size not supported: RSA %d bits (allowed %d to %d)", bits,
                              RSA_MIN_BITS, RSA_MAX_BITS);
        }
        k->type = VG_KEY_RSA;
        k->desc = vg_fmt("RSA %d", bits);
        return 0;
    }
    case EVP_PKEY_EC:
        return describe_ec(pkey, k, err);
    case EVP_PKEY_ED25519:
        k->type = VG_KEY_ED25519;
        k->desc = vg_strdup("Ed25519");
        return 0;
    default:
        return vg_err_set(err, VG_E_UNSUPPORTED, "unsupported key type %s",
                          OBJ_nid2sn(EVP_PKEY_get_base_id(pkey)));
    }
}

int
vg_crypto__key_wrap(struct vg_crypto_key **out, EVP_PKEY *pkey, bool priv, struct vg_err **err)
{
    struct vg_crypto_key *k = vg_calloc(1, sizeof(*k));
    k->pkey = pkey;
    k->priv = priv;
    int rc = describe_key(pkey, k, err);
    if (rc < 0) {
        vg_crypto_key_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

/* The outer shape of a key DER. OpenSSL's decoders fall back to other structures even when one
 * is named (a PKCS#8 body under an `RSA PRIVATE KEY` label still decodes), so the structure is
 * checked here first: cosign (Go) parses exactly the structure the label or context names. */
enum der_shape {
    SHAPE_UNKNOWN,
    SHAPE_PKCS8,
    SHAPE_SEC1,
    SHAPE_PKCS1_PRIV,
    SHAPE_SPKI,
    SHAPE_PKCS1_PUB
};

/* One definite-length TLV inside [*p, end); advances *p past the header. */
static bool
der_next(const unsigned char **p, const unsigned char *end, long *len, int *tag, bool *cons)
{
    int cls = 0;
    if (*p >= end) {
        return false;
    }
    int r = ASN1_get_object(p, len, tag, &cls, (long)(end - *p));
    ERR_clear_error();
    if ((r & 0x80) || (r & 0x01) || cls != V_ASN1_UNIVERSAL || *len > end - *p) {
        return false;
    }
    *cons = (r & V_ASN1_CONSTRUCTED) != 0;
    return true;
}

static enum der_shape
der_shape(const uint8_t *der, size_t len)
{
    const unsigned char *p = der, *end = der + len;
    long l = 0, l1 = 0, l2 = 0;
    int tag = 0, t1 = 0, t2 = 0;
    bool cons = false, c1 = false, c2 = false;
    if (len > VG_CRYPTO_KEY_FILE_MAX || !der_next(&p, end, &l, &tag, &cons) ||
        tag != V_ASN1_SEQUENCE || !cons || p + l != end) {
        return SHAPE_UNKNOWN;
    }
    if (!der_next(&p, end, &l1, &t1, &c1)) {
        return SHAPE_UNKNOWN;
    }
    if (t1 == V_ASN1_SEQUENCE && c1) {
        return SHAPE_SPKI;
    }
    int small = t1 == V_ASN1_INTEGER && l1 == 1 ? p[0] : -1;
    p += l1;
    if (t1 != V_ASN1_INTEGER || !der_next(&p, end, &l2, &t2, &c2)) {
        return SHAPE_UNKNOWN;
    }
    if (t2 == V_ASN1_SEQUENCE && c2 && (small == 0 || small == 1)) {
        return SHAPE_PKCS8;
    }
    if (t2 == V_ASN1_OCTET_STRING && small == 1) {
        return SHAPE_SEC1;
    }
    if (t2 == V_ASN1_INTEGER) {
        return small == 0 ? SHAPE_PKCS1_PRIV : SHAPE_PKCS1_PUB;
    }
    return SHAPE_UNKNOWN;
}

static const char *
structure_of(enum der_shape shape)
{
    switch (shape) {
    case SHAPE_PKCS8:
        return "PrivateKeyInfo";
    case SHAPE_SPKI:
        return "SubjectPublicKeyInfo";
    case SHAPE_SEC1:
    case SHAPE_PKCS1_PRIV:
    case SHAPE_PKCS1_PUB:
        return "type-specific";
    case SHAPE_UNKNOWN:
        break;
    }
    return NULL;
}

/* Decodes exactly one DER structure of the given shape; trailing bytes are an error. */
static EVP_PKEY *
decode_der(const uint8_t *der, size_t len, const char *keytype, enum der_shape shape, int selection)
{
    if (der_shape(der, len) != shape) {
        return NULL;
    }
    const char *structure = structure_of(shape);
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *dctx =
        OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", structure, keytype, selection, NULL, NULL);
    if (!dctx) {
        ERR_clear_error();
        return NULL;
    }
    const unsigned char *p = der;
    size_t left = len;
    int ok = OSSL_DECODER_from_data(dctx, &p, &left);
    OSSL_DECODER_CTX_free(dctx);
    ERR_clear_error();
    if (!ok || left != 0) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return pkey;
}

int
vg_crypto__key_from_pkcs8(struct vg_crypto_key **out, const uint8_t *der, size_t len,
                          struct vg_err **err)
{
    EVP_PKEY *pkey = decode_der(der, len, NULL, SHAPE_PKCS8, EVP_PKEY_KEYPAIR);
    if (!pkey) {
        return vg_err_set(err, VG_E_PARSE,
                          "failed to parse private key: not a PKCS#8 PrivateKeyInfo (SEC1 and "
                          "PKCS#1 keys must first go through import-key-pair)");
    }
    return vg_crypto__key_wrap(out, pkey, true, err);
}

static int
check_pair(EVP_PKEY *pkey, struct vg_err **err)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = ctx && EVP_PKEY_pairwise_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    if (!ok) {
        return vg_err_set(err, VG_E_PARSE, "private key is inconsistent (pairwise check failed)");
    }
    return 0;
}

static int
import_der(struct vg_crypto_key **out, const char *label, const uint8_t *der, size_t len,
           struct vg_err **err)
{
    EVP_PKEY *pkey;
    const char *what;
    if (strcmp(label, "RSA PRIVATE KEY") == 0) {
        what = "error parsing rsa private key";
        pkey = decode_der(der, len, "RSA", SHAPE_PKCS1_PRIV, EVP_PKEY_KEYPAIR);
    } else if (strcmp(label, "EC PRIVATE KEY") == 0) {
        what = "error parsing ecdsa private key";
        pkey = decode_der(der, len, "EC", SHAPE_SEC1, EVP_PKEY_KEYPAIR);
    } else if (strcmp(label, "PRIVATE KEY") == 0) {
        what = "error parsing pkcs8 private key";
        pkey = decode_der(der, len, NULL, SHAPE_PKCS8, EVP_PKEY_KEYPAIR);
    } else {
        vg_autofree char *esc = vg_escape(label, strlen(label), 80);
        return vg_err_set(err, VG_E_UNSUPPORTED, "unsupported private key (PEM type \"%s\")", esc);
    }
    if (!pkey) {
        return vg_err_set(err, VG_E_PARSE, "%s", what);
    }
    struct vg_crypto_key *k = NULL;
    int rc = vg_crypto__key_wrap(&k, pkey, true, err);
    if (rc < 0) {
        if (strcmp(label, "EC PRIVATE KEY") == 0) {
            return vg_err_wrap(err, "%s", what);
        }
        return rc;
    }
    rc = check_pair(k->pkey, err);
    if (rc < 0) {
        vg_crypto_key_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

int
vg_crypto_key_import_pem(struct vg_crypto_key **out, const void *pem, size_t len,
                         struct vg_err **err)
{
    vg_autofree char *label = NULL;
    uint8_t *der = NULL;
    size_t derlen = 0;
    int rc = vg_crypto__pem_first(pem, len, &label, &der, &derlen, err);
    if (rc < 0) {
        return rc;
    }
    rc = import_der(out, label, der, derlen, err);
    OPENSSL_clear_free(der, derlen);
    return rc;
}

static bool
looks_like_pem(const void *data, size_t len)
{
    static const char tag[] = "-----BEGIN ";
    return memmem(data, len, tag, sizeof(tag) - 1) != NULL;
}

static int
public_from_pem(struct vg_crypto_key **out, const void *data, size_t len, struct vg_err **err)
{
    vg_autofree char *label = NULL;
    uint8_t *der = NULL;
    size_t derlen = 0;
    int rc = vg_crypto__pem_first(data, len, &label, &der, &derlen, err);
    if (rc < 0) {
        return vg_err_wrap(err, "parse public key");
    }
    EVP_PKEY *pkey = NULL;
    if (strcmp(label, "PUBLIC KEY") == 0) {
        pkey = decode_der(der, derlen, NULL, SHAPE_SPKI, EVP_PKEY_PUBLIC_KEY);
    } else if (strcmp(label, "RSA PUBLIC KEY") == 0) {
        pkey = decode_der(der, derlen, "RSA", SHAPE_PKCS1_PUB, EVP_PKEY_PUBLIC_KEY);
    } else {
        OPENSSL_free(der);
        vg_autofree char *esc = vg_escape(label, strlen(label), 80);
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "parse public key: unsupported PEM type \"%s\" (want PUBLIC KEY or "
                          "RSA PUBLIC KEY)",
                          esc);
    }
    OPENSSL_free(der);
    if (!pkey) {
        return vg_err_set(err, VG_E_PARSE, "parse public key: invalid %s structure", label);
    }
    return vg_crypto__key_wrap(out, pkey, false, err);
}

int
vg_crypto_key_load_public(struct vg_crypto_key **out, const void *data, size_t len,
                          struct vg_err **err)
{
    if (len > VG_CRYPTO_KEY_FILE_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "public key of %zu bytes exceeds the limit of %u", len,
                          VG_CRYPTO_KEY_FILE_MAX);
    }
    if (looks_like_pem(data, len)) {
        return public_from_pem(out, data, len, err);
    }
    EVP_PKEY *pkey = decode_der(data, len, NULL, SHAPE_SPKI, EVP_PKEY_PUBLIC_KEY);
    if (!pkey) {
        return vg_err_set(err, VG_E_PARSE,
                          "parse public key: neither PEM nor DER SubjectPublicKeyInfo");
    }
    return vg_crypto__key_wrap(out, pkey, false, err);
}

static int
key_from_cert_der(struct vg_crypto_key **out, const uint8_t *der, size_t len, struct vg_err **err)
{
    const unsigned char *p = der;
    X509 *cert = len <= VG_CRYPTO_KEY_FILE_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
    if (!cert || p != der + len) {
        X509_free(cert);
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "parse certificate: invalid DER");
    }
    EVP_PKEY *pkey = X509_get_pubkey(cert);
    X509_free(cert);
    ERR_clear_error();
    if (!pkey) {
        return vg_err_set(err, VG_E_PARSE, "parse certificate: unreadable public key");
    }
    return vg_crypto__key_wrap(out, pkey, false, err);
}

int
vg_crypto_key_from_certificate(struct vg_crypto_key **out, const void *data, size_t len,
                               struct vg_err **err)
{
    if (len > VG_CRYPTO_KEY_FILE_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "certificate of %zu bytes exceeds the limit of %u", len,
                          VG_CRYPTO_KEY_FILE_MAX);
    }
    if (!looks_like_pem(data, len)) {
        return key_from_cert_der(out, data, len, err);
    }
    vg_autofree char *label = NULL;
    uint8_t *der = NULL;
    size_t derlen = 0;
    int rc = vg_crypto__pem_first(data, len, &label, &der, &derlen, err);
    if (rc < 0) {
        return vg_err_wrap(err, "parse certificate");
    }
    if (strcmp(label, "CERTIFICATE") != 0) {
        OPENSSL_free(der);
        vg_autofree char *esc = vg_escape(label, strlen(label), 80);
        return vg_err_set(err, VG_E_UNSUPPORTED, "parse certificate: PEM type \"%s\"", esc);
    }
    rc = key_from_cert_der(out, der, derlen, err);
    OPENSSL_free(der);
    return rc;
}

int
vg_crypto_key_generate(struct vg_crypto_key **out, struct vg_err **err)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    if (!pkey) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "generate ECDSA P-256 key");
    }
    return vg_crypto__key_wrap(out, pkey, true, err);
}

int
vg_crypto_key_public_der(const struct vg_crypto_key *key, uint8_t **der, size_t *derlen,
                         struct vg_err **err)
{
    int n = i2d_PUBKEY(key->pkey, NULL);
    if (n <= 0) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "encode public key");
    }
    uint8_t *buf = vg_malloc((size_t)n);
    uint8_t *p = buf;
    if (i2d_PUBKEY(key->pkey, &p) != n) {
        free(buf);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "encode public key");
    }
    *der = buf;
    *derlen = (size_t)n;
    return 0;
}

int
vg_crypto_key_public_pem(const struct vg_crypto_key *key, char **pem, struct vg_err **err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio || !PEM_write_bio_PUBKEY(bio, key->pkey)) {
        BIO_free(bio);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "encode public key as PEM");
    }
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    *pem = vg_strndup(p, n > 0 ? (size_t)n : 0);
    BIO_free(bio);
    return 0;
}

int
vg_crypto_key_private_pkcs8(const struct vg_crypto_key *key, struct vg_secret **der,
                            struct vg_err **err)
{
    if (!key->priv) {
        return vg_err_set(err, VG_E_USAGE, "not a private key");
    }
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key->pkey);
    int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, NULL) : -1;
    if (n <= 0) {
        PKCS8_PRIV_KEY_INFO_free(p8);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "encode private key as PKCS#8");
    }
    struct vg_secret *s = vg_secret_alloc((size_t)n);
    uint8_t *p = s->data;
    int w = i2d_PKCS8_PRIV_KEY_INFO(p8, &p);
    PKCS8_PRIV_KEY_INFO_free(p8); /* its ASN.1 callback wipes the key octets */
    if (w != n) {
        vg_secret_free(s);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "encode private key as PKCS#8");
    }
    *der = s;
    return 0;
}

int
vg_crypto_key_fingerprint(const struct vg_crypto_key *key, char out[65], struct vg_err **err)
{
    vg_autofree uint8_t *der = NULL;
    size_t n = 0;
    int rc = vg_crypto_key_public_der(key, &der, &n, err);
    if (rc < 0) {
        return rc;
    }
    uint8_t h[32];
    vg_sha256_raw(h, der, n);
    vg_hex_encode(out, h, sizeof(h));
    return 0;
}

int
vg_crypto_key_hint(const struct vg_crypto_key *key, char **out, struct vg_err **err)
{
    vg_autofree uint8_t *der = NULL;
    size_t n = 0;
    int rc = vg_crypto_key_public_der(key, &der, &n, err);
    if (rc < 0) {
        return rc;
    }
    uint8_t h[32];
    vg_sha256_raw(h, der, n);
    *out = vg_base64_encode(h, sizeof(h));
    return 0;
}

bool
vg_crypto_key_public_eq(const struct vg_crypto_key *a, const struct vg_crypto_key *b)
{
    vg_autofree uint8_t *da = NULL;
    vg_autofree uint8_t *db = NULL;
    size_t na = 0, nb = 0;
    if (vg_crypto_key_public_der(a, &da, &na, NULL) < 0 ||
        vg_crypto_key_public_der(b, &db, &nb, NULL) < 0) {
        return false;
    }
    return na == nb && vg_crypto_memeq(da, db, na);
}
