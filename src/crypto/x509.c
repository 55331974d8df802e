/* SPDX-License-Identifier: Apache-2.0
 *
 * X.509 for keyless Sigstore verification (docs/sigstore.md): certificates parsed from exact
 * DER (or one PEM block), their validity, subject alternative names and extensions, chain
 * building to a caller-supplied trust anchor *as of a given time*, embedded SCTs (RFC 6962
 * §3.2, the precertificate TBS rebuilt without the SCT list) against CT log keys, RFC 3161
 * timestamp responses against a TSA chain, and ECDSA/RSA verification over a digest the caller
 * already computed. It does not know Fulcio, Rekor or the trusted-root JSON (that is sign/).
 */
#include "crypto_int.h"

#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

struct vg_x509 {
    X509 *x;
    uint8_t *der;
    size_t derlen;
};

/* An OpenSSL error as text (or "unknown error"), clearing the queue. */
static void
ossl_msg(char *msg, size_t n)
{
    unsigned long e = ERR_peek_last_error();
    snprintf(msg, n, "unknown error");
    if (e) {
        ERR_error_string_n(e, msg, n);
    }
    ERR_clear_error();
}

void
vg_x509_free(struct vg_x509 *c)
{
    if (!c) {
        return;
    }
    X509_free(c->x);
    free(c->der);
    free(c);
}

int
vg_x509_parse(struct vg_x509 **out, const void *data, size_t len, struct vg_err **err)
{
    if (len > VG_X509_DER_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "certificate of %zu bytes exceeds the limit of %u", len,
                          VG_X509_DER_MAX);
    }
    const unsigned char *p = data;
    if (len >= 5 && memcmp(data, "-----", 5) == 0) {
        vg_autofree char *label = NULL;
        uint8_t *der = NULL;
        size_t derlen = 0;
        if (vg_crypto__pem_first(data, len, &label, &der, &derlen, err) < 0) {
            return vg_err_wrap(err, "parse certificate");
        }
        if (strcmp(label, "CERTIFICATE") != 0) {
            OPENSSL_free(der);
            vg_autofree char *esc = vg_escape(label, strlen(label), 80);
            return vg_err_set(err, VG_E_PARSE, "parse certificate: PEM type \"%s\"", esc);
        }
        int rc = vg_x509_parse(out, der, derlen, err);
        OPENSSL_free(der);
        return rc;
    }
    X509 *x = len > 0 ? d2i_X509(NULL, &p, (long)len) : NULL;
    if (!x || p != (const unsigned char *)data + len) {
        X509_free(x);
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "parse certificate: invalid DER");
    }
    struct vg_x509 *c = vg_calloc(1, sizeof(*c));
    c->x = x;
    c->der = vg_memdup(data, len);
    c->derlen = len;
    *out = c;
    return 0;
}

const uint8_t *
vg_x509_der(const struct vg_x509 *c, size_t *len)
{
    *len = c->derlen;
    return c->der;
}

static int
asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
        ERR_clear_error();
        return -1;
    }
    *out = (int64_t)timegm(&tm);
    return 0;
}

int
vg_x509_validity(const struct vg_x509 *c, int64_t *not_before, int64_t *not_after,
                 struct vg_err **err)
{
    if (asn1_time_unix(X509_get0_notBefore(c->x), not_before) < 0 ||
        asn1_time_unix(X509_get0_notAfter(c->x), not_after) < 0) {
        return vg_err_set(err, VG_E_PARSE, "certificate: unreadable validity");
    }
    return 0;
}

bool
vg_x509_self_signed(const struct vg_x509 *c)
{
    int r = X509_self_signed(c->x, 0);
    ERR_clear_error();
    return r == 1;
}

bool
vg_x509_eq(const struct vg_x509 *a, const struct vg_x509 *b)
{
    return a->derlen == b->derlen && memcmp(a->der, b->der, a->derlen) == 0;
}

int
vg_x509_public_key(struct vg_crypto_key **out, const struct vg_x509 *c, struct vg_err **err)
{
    EVP_PKEY *pkey = X509_get_pubkey(c->x);
    ERR_clear_error();
    if (!pkey) {
        return vg_err_set(err, VG_E_PARSE, "certificate: unreadable public key");
    }
    return vg_crypto__key_wrap(out, pkey, false, err);
}

bool
vg_x509_eku_code_signing(const struct vg_x509 *c)
{
    uint32_t xku = X509_get_extended_key_usage(c->x);
    ERR_clear_error();
    return (X509_get_extension_flags(c->x) & EXFLAG_XKUSAGE) && (xku & XKU_CODE_SIGN);
}

/* Fulcio puts the OIDC subject of identities that are neither e-mail nor URI in an otherName
 * SAN of this type (a UTF8String). */
#define FULCIO_OTHERNAME_OID "1.3.6.1.4.1.57264.1.7"

static void
push_asn1_string(char ***v, size_t *n, const ASN1_STRING *s)
{
    const unsigned char *d = ASN1_STRING_get0_data(s);
    int len = ASN1_STRING_length(s);
    if (!d || len <= 0 || (size_t)len > VG_X509_SAN_MAX || memchr(d, 0, (size_t)len)) {
        return;
    }
    char *str = vg_malloc((size_t)len + 1);
    memcpy(str, d, (size_t)len);
    str[len] = '\0';
    VG_ARRAY_PUSH(*v, *n, str);
}

int
vg_x509_sans(char ***out, size_t *nout, const struct vg_x509 *c, struct vg_err **err)
{
    int crit = 0;
    GENERAL_NAMES *gens = X509_get_ext_d2i(c->x, NID_subject_alt_name, &crit, NULL);
    if (!gens && crit == -2) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "certificate: more than one subjectAltName extension");
    }
    ERR_clear_error();
    char **v = NULL;
    size_t n = 0;
    ASN1_OBJECT *other = OBJ_txt2obj(FULCIO_OTHERNAME_OID, 1);
    int cnt = gens ? sk_GENERAL_NAME_num(gens) : 0;
    for (int i = 0; i < cnt && n < VG_X509_SANS_MAX; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_EMAIL || g->type == GEN_URI || g->type == GEN_DNS) {
            push_asn1_string(&v, &n, g->d.ia5);
        } else if (g->type == GEN_OTHERNAME && other &&
                   OBJ_cmp(g->d.otherName->type_id, other) == 0 &&
                   g->d.otherName->value->type == V_ASN1_UTF8STRING) {
            push_asn1_string(&v, &n, g->d.otherName->value->value.utf8string);
        }
    }
    ASN1_OBJECT_free(other);
    GENERAL_NAMES_free(gens);
    *out = v;
    *nout = n;
    return 0;
}

int
vg_x509_ext(uint8_t **val, size_t *len, const struct vg_x509 *c, const char *oid,
            struct vg_err **err)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    if (!obj) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "bad OID %s", oid);
    }
    int idx = X509_get_ext_by_OBJ(c->x, obj, -1);
    int again = idx >= 0 ? X509_get_ext_by_OBJ(c->x, obj, idx) : -1;
    ASN1_OBJECT_free(obj);
    ERR_clear_error();
    if (idx < 0) {
        *val = NULL;
        *len = 0;
        return 0;
    }
    if (again >= 0) {
        return vg_err_set(err, VG_E_PARSE, "certificate: extension %s appears twice", oid);
    }
    const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(c->x, idx));
    int n = ASN1_STRING_length(os);
    *len = n > 0 ? (size_t)n : 0;
    *val = vg_malloc(*len + 1);
    if (*len) {
        memcpy(*val, ASN1_STRING_get0_data(os), *len);
    }
    (*val)[*len] = 0;
    return 1;
}

static STACK_OF(X509) * stack_of(struct vg_x509 *const *certs, size_t n)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    for (size_t i = 0; sk && i < n; i++) {
        if (!X509_up_ref(certs[i]->x) || !sk_X509_push(sk, certs[i]->x)) {
            sk_X509_pop_free(sk, X509_free);
            return NULL;
        }
    }
    return sk;
}

/* A store trusting the last certificate of chain, checking times at `at`. */
static X509_STORE *
anchor_store(struct vg_x509 *const *chain, size_t n, int64_t at)
{
    X509_STORE *store = X509_STORE_new();
    if (!store || X509_STORE_add_cert(store, chain[n - 1]->x) != 1) {
        X509_STORE_free(store);
        return NULL;
    }
    X509_VERIFY_PARAM *param = X509_STORE_get0_param(store);
    X509_VERIFY_PARAM_set_time(param, (time_t)at);
    X509_VERIFY_PARAM_set_depth(param, (int)VG_X509_CHAIN_MAX);
    return store;
}

int
vg_x509_chain_verify(struct vg_x509 **issuer, const struct vg_x509 *leaf,
                     struct vg_x509 *const *chain, size_t n, int64_t at, struct vg_err **err)
{
    if (n == 0 || n > VG_X509_CHAIN_MAX) {
        return vg_err_set(err, VG_E_VERIFY, "certificate chain of %zu certificates", n);
    }
    X509_STORE *store = anchor_store(chain, n, at);
    STACK_OF(X509) *untrusted = stack_of(chain, n - 1);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!store || !untrusted || !ctx || X509_STORE_CTX_init(ctx, store, leaf->x, untrusted) != 1) {
        X509_STORE_CTX_free(ctx);
        sk_X509_pop_free(untrusted, X509_free);
        X509_STORE_free(store);
        char msg[256];
        ossl_msg(msg, sizeof(msg));
        return vg_err_set(err, VG_E_INTERNAL, "certificate chain: %s", msg);
    }
    int ok = X509_verify_cert(ctx);
    int code = X509_STORE_CTX_get_error(ctx);
    int rc = 0;
    if (ok != 1) {
        rc = vg_err_set(err, VG_E_VERIFY, "certificate chain: %s",
                        X509_verify_cert_error_string(code));
    } else if (issuer) {
        /* The certificate right above the leaf in the verified path: whose key the SCTs'
         * issuer_key_hash names. */
        STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
        X509 *up = sk_X509_num(path) > 1 ? sk_X509_value(path, 1) : NULL;
        *issuer = NULL;
        for (size_t i = 0; up && i < n; i++) {
            if (X509_cmp(up, chain[i]->x) == 0) {
                *issuer = chain[i];
            }
        }
        if (!*issuer) {
            rc = vg_err_set(err, VG_E_VERIFY, "certificate chain: issuer not in the trusted chain");
        }
    }
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(untrusted, X509_free);
    X509_STORE_free(store);
    ERR_clear_error();
    return rc;
}

/* ---------------------------------------------------------------- digests and signatures */

static const EVP_MD *
md_named(const char *alg)
{
    if (strcmp(alg, "sha256") == 0) {
        return EVP_sha256();
    }
    if (strcmp(alg, "sha384") == 0) {
        return EVP_sha384();
    }
    if (strcmp(alg, "sha512") == 0) {
        return EVP_sha512();
    }
    return NULL;
}

int
vg_crypto_verify_digest(const struct vg_crypto_key *key, const char *alg, const uint8_t *digest,
                        size_t dlen, const uint8_t *sig, size_t siglen, struct vg_err **err)
{
    const EVP_MD *md = md_named(alg);
    if (!md || (size_t)EVP_MD_get_size(md) != dlen) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "digest %s of %zu bytes", alg, dlen);
    }
    if (key->type == VG_KEY_ED25519) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "an Ed25519 signature cannot be verified from a digest");
    }
    if (siglen == 0 || siglen > VG_CRYPTO_SIG_MAX) {
        return vg_err_set(err, VG_E_VERIFY, "invalid signature: %zu bytes", siglen);
    }
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key->pkey, NULL);
    bool ok =
        pctx && EVP_PKEY_verify_init(pctx) == 1 && EVP_PKEY_CTX_set_signature_md(pctx, md) == 1 &&
        (key->type != VG_KEY_RSA || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1) &&
        EVP_PKEY_verify(pctx, sig, siglen, digest, dlen) == 1;
    EVP_PKEY_CTX_free(pctx);
    ERR_clear_error();
    if (!ok) {
        return vg_err_set(err, VG_E_VERIFY, "invalid signature when validating with %s key",
                          key->desc);
    }
    return 0;
}

/* Verifies with an explicit hash (or none for Ed25519). */
static bool
verify_md(const struct vg_crypto_key *key, const EVP_MD *md, const uint8_t *data, size_t len,
          const uint8_t *sig, size_t siglen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok =
        ctx &&
        EVP_DigestVerifyInit(ctx, &pctx, key->type == VG_KEY_ED25519 ? NULL : md, NULL,
                             key->pkey) == 1 &&
        (key->type != VG_KEY_RSA || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1) &&
        EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

/* ---------------------------------------------------------------- SCTs (RFC 6962) */

#define SCT_OID "1.3.6.1.4.1.11129.2.4.2"

/* A TLS vector with a 16-bit length (RFC 5246 §4.3) as a sub-reader. */
static bool
take_vec16(struct vg_reader *r, struct vg_reader *out)
{
    uint16_t n = 0;
    const uint8_t *p = NULL;
    struct vg_err *e = NULL;
    bool ok = vg_reader_be16(r, &n, &e) == 0 && vg_reader_take(r, n, &p, &e) == 0;
    vg_err_free(&e);
    if (ok) {
        vg_reader_init(out, p, n);
    }
    return ok;
}

struct sct {
    const uint8_t *log_id; /* 32 bytes */
    uint64_t ts_ms;
    struct vg_reader ext;
    uint8_t hash_alg, sig_alg;
    struct vg_reader sig;
};

/* RFC 6962 §3.2 SignedCertificateTimestamp, version 1 (0) only. */
static bool
parse_sct(struct vg_reader r, struct sct *s)
{
    struct vg_err *e = NULL;
    uint8_t version = 1;
    bool ok = vg_reader_u8(&r, &version, &e) == 0 && version == 0 &&
              vg_reader_take(&r, 32, &s->log_id, &e) == 0 &&
              vg_reader_be64(&r, &s->ts_ms, &e) == 0 && take_vec16(&r, &s->ext) &&
              vg_reader_u8(&r, &s->hash_alg, &e) == 0 && vg_reader_u8(&r, &s->sig_alg, &e) == 0 &&
              take_vec16(&r, &s->sig) && r.left == 0;
    vg_err_free(&e);
    return ok;
}

/* The TBSCertificate of the leaf without its SCT list extension: what the log signed as the
 * precertificate (RFC 6962 §3.2; Fulcio's leaf equals the precertificate minus the poison). */
static int
precert_tbs(uint8_t **out, size_t *outlen, const struct vg_x509 *leaf, struct vg_err **err)
{
    X509 *dup = X509_dup(leaf->x);
    int idx = dup ? X509_get_ext_by_NID(dup, NID_ct_precert_scts, -1) : -1;
    X509_EXTENSION *ext = idx >= 0 ? X509_delete_ext(dup, idx) : NULL;
    X509_EXTENSION_free(ext);
    unsigned char *buf = NULL;
    int n = ext ? i2d_re_X509_tbs(dup, &buf) : -1;
    X509_free(dup);
    if (n <= 0) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "SCT: cannot rebuild the precertificate");
    }
    *out = vg_memdup(buf, (size_t)n);
    *outlen = (size_t)n;
    OPENSSL_free(buf);
    return 0;
}

static bool
put_be(struct vg_buf *b, uint64_t v, size_t n)
{
    uint8_t tmp[8];
    for (size_t i = 0; i < n; i++) {
        tmp[n - 1 - i] = (uint8_t)(v >> (8 * i));
    }
    struct vg_err *e = NULL;
    bool ok = vg_buf_append(b, tmp, n, &e) == 0;
    vg_err_free(&e);
    return ok;
}

static bool
put(struct vg_buf *b, const void *p, size_t n)
{
    struct vg_err *e = NULL;
    bool ok = vg_buf_append(b, p, n, &e) == 0;
    vg_err_free(&e);
    return ok;
}

/* One SCT against the logs: 1 verified, 0 no known log or bad signature (why in *why). The
 * entry is a precertificate's TBS with its issuer key hash ikh, or (ikh NULL, RFC 6962
 * x509_entry) a certificate's DER. */
static int
sct_check(const struct sct *s, const uint8_t *tbs, size_t tbslen, const uint8_t *ikh,
          const struct vg_x509_ctlog *logs, size_t nlogs, const char **why)
{
    const struct vg_x509_ctlog *log = NULL;
    for (size_t i = 0; i < nlogs && !log; i++) {
        if (memcmp(logs[i].id, s->log_id, 32) == 0) {
            log = &logs[i];
        }
    }
    if (!log) {
        *why = "SCT from a log not in the trusted root";
        return 0;
    }
    int64_t t = (int64_t)(s->ts_ms / 1000u);
    if (t < log->start || (log->end && t > log->end)) {
        *why = "SCT outside the CT log key's validity";
        return 0;
    }
    if (s->hash_alg != 4) { /* sha256 */
        *why = "SCT hash algorithm is not SHA-256";
        return 0;
    }
    vg_autobuf struct vg_buf msg = VG_BUF_INIT(VG_X509_DER_MAX * 2u);
    bool ok = put_be(&msg, 0, 1) && put_be(&msg, 0, 1) && put_be(&msg, s->ts_ms, 8) &&
              put_be(&msg, ikh ? 1 : 0, 2) && (!ikh || put(&msg, ikh, 32)) &&
              put_be(&msg, tbslen, 3) && put(&msg, tbs, tbslen) && put_be(&msg, s->ext.left, 2) &&
              put(&msg, s->ext.p, s->ext.left);
    if (!ok || !verify_md(log->key, EVP_sha256(), msg.data, msg.len, s->sig.p, s->sig.left)) {
        *why = "SCT signature does not verify";
        return 0;
    }
    return 1;
}

int
vg_x509_sct_detached_verify(const struct vg_x509 *leaf, const uint8_t *sct, size_t len,
                            const struct vg_x509_ctlog *logs, size_t nlogs, struct vg_err **err)
{
    struct vg_reader r;
    struct sct s;
    vg_reader_init(&r, sct, len);
    if (len > VG_X509_DER_MAX || !parse_sct(r, &s)) {
        return vg_err_set(err, VG_E_PARSE, "detached SCT: malformed (%zu bytes)", len);
    }
    size_t derlen = 0;
    const uint8_t *der = vg_x509_der(leaf, &derlen);
    const char *why = NULL;
    if (!sct_check(&s, der, derlen, NULL, logs, nlogs, &why)) {
        return vg_err_set(err, VG_E_VERIFY, "detached SCT: %s", why);
    }
    return 0;
}

int
vg_x509_sct_verify(size_t *verified, const struct vg_x509 *leaf, const struct vg_x509 *issuer,
                   const struct vg_x509_ctlog *logs, size_t nlogs, struct vg_err **err)
{
    vg_autofree uint8_t *ext = NULL;
    size_t extlen = 0;
    int rc = vg_x509_ext(&ext, &extlen, leaf, SCT_OID, err);
    if (rc < 0) {
        return rc;
    }
    if (rc == 0) {
        return vg_err_set(err, VG_E_VERIFY, "certificate has no embedded SCT");
    }
    const unsigned char *p = ext;
    ASN1_OCTET_STRING *os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)extlen);
    if (!os || p != ext + extlen) {
        ASN1_OCTET_STRING_free(os);
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "SCT list: invalid DER");
    }
    struct vg_reader all, list;
    vg_reader_init(&all, ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os));
    if (!take_vec16(&all, &list) || all.left != 0) {
        ASN1_OCTET_STRING_free(os);
        return vg_err_set(err, VG_E_PARSE, "SCT list: bad length");
    }
    uint8_t ikh[32];
    unsigned char *spki = NULL;
    int spkilen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer->x), &spki);
    if (spkilen <= 0) {
        ASN1_OCTET_STRING_free(os);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "SCT: issuer key");
    }
    vg_sha256_raw(ikh, spki, (size_t)spkilen);
    OPENSSL_free(spki);
    vg_autofree uint8_t *tbs = NULL;
    size_t tbslen = 0;
    if ((rc = precert_tbs(&tbs, &tbslen, leaf, err)) < 0) {
        ASN1_OCTET_STRING_free(os);
        return rc;
    }
    const char *why = "empty SCT list";
    size_t good = 0, count = 0;
    while (list.left > 0 && count < VG_X509_SCTS_MAX) {
        struct vg_reader one;
        struct sct s;
        if (!take_vec16(&list, &one) || !parse_sct(one, &s)) {
            ASN1_OCTET_STRING_free(os);
            return vg_err_set(err, VG_E_PARSE, "SCT list: malformed SCT %zu", count);
        }
        count++;
        good += (size_t)sct_check(&s, tbs, tbslen, ikh, logs, nlogs, &why);
    }
    ASN1_OCTET_STRING_free(os);
    if (list.left > 0) {
        return vg_err_set(err, VG_E_LIMIT, "SCT list: more than %u SCTs", VG_X509_SCTS_MAX);
    }
    if (good == 0) {
        return vg_err_set(err, VG_E_VERIFY, "no valid SCT: %s", why);
    }
    *verified = good;
    return 0;
}

/* ---------------------------------------------------------------- RFC 3161 */

int
vg_x509_tsr_time(int64_t *gen_time, const uint8_t *tsr, size_t len, struct vg_err **err)
{
    const unsigned char *p = tsr;
    TS_RESP *resp = len > 0 && len <= VG_X509_DER_MAX ? d2i_TS_RESP(NULL, &p, (long)len) : NULL;
    if (!resp || p != tsr + len) {
        TS_RESP_free(resp);
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "RFC 3161 timestamp: invalid DER");
    }
    TS_TST_INFO *info = TS_RESP_get_tst_info(resp);
    int rc = 0;
    if (!info || asn1_time_unix(TS_TST_INFO_get_time(info), gen_time) < 0) {
        rc = vg_err_set(err, VG_E_PARSE, "RFC 3161 timestamp: no token or genTime");
    }
    TS_RESP_free(resp);
    ERR_clear_error();
    return rc;
}

int
vg_x509_tsr_verify(const uint8_t *tsr, size_t len, const uint8_t *data, size_t dlen,
                   struct vg_x509 *const *chain, size_t n, int64_t at, struct vg_err **err)
{
    if (n == 0 || n > VG_X509_CHAIN_MAX) {
        return vg_err_set(err, VG_E_VERIFY, "TSA chain of %zu certificates", n);
    }
    const unsigned char *p = tsr;
    TS_RESP *resp = len > 0 && len <= VG_X509_DER_MAX ? d2i_TS_RESP(NULL, &p, (long)len) : NULL;
    if (!resp || p != tsr + len) {
        TS_RESP_free(resp);
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "RFC 3161 timestamp: invalid DER");
    }
    TS_VERIFY_CTX *vctx = TS_VERIFY_CTX_new();
    X509_STORE *store = anchor_store(chain, n, at);
    STACK_OF(X509) *certs = stack_of(chain, n - 1);
    BIO *bio = BIO_new_mem_buf(data, (int)dlen);
    if (!vctx || !store || !certs || !bio) {
        TS_VERIFY_CTX_free(vctx);
        X509_STORE_free(store);
        sk_X509_pop_free(certs, X509_free);
        BIO_free(bio);
        TS_RESP_free(resp);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "RFC 3161 timestamp: out of memory");
    }
    /* The context owns what it is given (OpenSSL 3.0 ts_rsp_verify.c cleanup). */
    TS_VERIFY_CTX_set_flags(vctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
    TS_VERIFY_CTX_set_data(vctx, bio);
    TS_VERIFY_CTX_set_store(vctx, store);
    TS_VERIFY_CTX_set_certs(vctx, certs);
    int ok = TS_RESP_verify_response(vctx, resp);
    int rc = 0;
    if (ok != 1) {
        char msg[256];
        ossl_msg(msg, sizeof(msg));
        rc = vg_err_set(err, VG_E_VERIFY, "RFC 3161 timestamp does not verify: %s", msg);
    }
    TS_VERIFY_CTX_free(vctx);
    TS_RESP_free(resp);
    ERR_clear_error();
    return rc;
}
