/* SPDX-License-Identifier: Apache-2.0
 *
 * X.509 rules of the Notary Project (signature-specification.md, "Certificate Requirements";
 * trust-store-trust-policy.md): certificate files holding several certificates, the
 * basicConstraints / keyUsage / extendedKeyUsage rules for CA, code-signing and timestamping
 * certificates, an envelope's chain that must be ordered leaf → root with nothing unrelated in
 * it, the subject's RDNs for trusted-identity matching, and RFC 3161 TimeStampTokens (the
 * CMS SignedData Notary stores, not a TimeStampResp). Validity at a given time and trust-store
 * membership are decided by the caller (sign/notation), which knows which time applies.
 */
#include "crypto_int.h"

#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/* The OpenSSL certificate behind c (a fresh copy, X509_free). */
static X509 *
ossl_cert(const struct vg_x509 *c)
{
    size_t len = 0;
    const uint8_t *der = vg_x509_der(c, &len);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    ERR_clear_error();
    return x;
}

void
vg_x509_list_free(struct vg_x509 **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        vg_x509_free(v[i]);
    }
    free(v);
}

#define PEM_BEGIN "-----BEGIN "
#define PEM_END   "-----END "

int
vg_x509_parse_all(struct vg_x509 ***out, size_t *nout, const void *data, size_t len,
                  struct vg_err **err)
{
    const char *s = data;
    struct vg_x509 **v = NULL;
    size_t n = 0;
    const char *p = len ? memmem(s, len, PEM_BEGIN, strlen(PEM_BEGIN)) : NULL;
    if (!p) {
        struct vg_x509 *c = NULL;
        if (vg_x509_parse(&c, data, len, err) < 0) {
            return -1;
        }
        VG_ARRAY_PUSH(v, n, c);
    }
    while (p) {
        size_t left = len - (size_t)(p - s);
        const char *end = memmem(p, left, PEM_END, strlen(PEM_END));
        const char *eol = end ? memchr(end, '\n', len - (size_t)(end - s)) : NULL;
        size_t blen = eol ? (size_t)(eol - p) + 1 : end ? len - (size_t)(p - s) : 0;
        if (!end) {
            vg_x509_list_free(v, n);
            return vg_err_set(err, VG_E_PARSE, "certificate %zu: PEM block without an END line",
                              n + 1);
        }
        if (n == VG_X509_CHAIN_MAX * 10u) {
            vg_x509_list_free(v, n);
            return vg_err_set(err, VG_E_LIMIT, "more than %u certificates in one file",
                              VG_X509_CHAIN_MAX * 10u);
        }
        struct vg_x509 *c = NULL;
        if (vg_x509_parse(&c, p, blen, err) < 0) {
            vg_x509_list_free(v, n);
            return vg_err_wrap(err, "certificate %zu", n + 1);
        }
        VG_ARRAY_PUSH(v, n, c);
        size_t off = (size_t)(p - s) + blen;
        p = off < len ? memmem(s + off, len - off, PEM_BEGIN, strlen(PEM_BEGIN)) : NULL;
    }
    *out = v;
    *nout = n;
    return 0;
}

static bool
ext_critical(X509 *x, int nid)
{
    int idx = X509_get_ext_by_NID(x, nid, -1);
    return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, idx)) == 1;
}

static int
check_ca(X509 *x, size_t below, struct vg_err **err)
{
    uint32_t flags = X509_get_extension_flags(x);
    if (!(flags & EXFLAG_BCONS) || !ext_critical(x, NID_basic_constraints)) {
        return vg_err_set(err, VG_E_VERIFY,
                          "CA certificate: basicConstraints missing or not "
                          "critical");
    }
    if (!(flags & EXFLAG_CA)) {
        return vg_err_set(err, VG_E_VERIFY, "CA certificate: basicConstraints cA is false");
    }
    long pathlen = X509_get_pathlen(x);
    if (pathlen >= 0 && (size_t)pathlen < below) {
        return vg_err_set(err, VG_E_VERIFY,
                          "CA certificate: pathLenConstraint %ld but %zu CA certificate(s) below",
                          pathlen, below);
    }
    if (!(flags & EXFLAG_KUSAGE) || !ext_critical(x, NID_key_usage)) {
        return vg_err_set(err, VG_E_VERIFY, "CA certificate: keyUsage missing or not critical");
    }
    if (!(X509_get_key_usage(x) & KU_KEY_CERT_SIGN)) {
        return vg_err_set(err, VG_E_VERIFY, "CA certificate: keyUsage lacks keyCertSign");
    }
    return 0;
}

static int
check_leaf(X509 *x, enum vg_x509_role role, struct vg_err **err)
{
    uint32_t flags = X509_get_extension_flags(x);
    if ((flags & EXFLAG_BCONS) && (flags & EXFLAG_CA)) {
        return vg_err_set(err, VG_E_VERIFY, "signing certificate: basicConstraints cA is true");
    }
    if (!(flags & EXFLAG_KUSAGE) || !ext_critical(x, NID_key_usage)) {
        return vg_err_set(err, VG_E_VERIFY,
                          "signing certificate: keyUsage missing or not "
                          "critical");
    }
    uint32_t ku = X509_get_key_usage(x);
    uint32_t banned = KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT |
                      KU_KEY_CERT_SIGN | KU_ENCIPHER_ONLY | KU_DECIPHER_ONLY | KU_CRL_SIGN;
    if (!(ku & KU_DIGITAL_SIGNATURE)) {
        return vg_err_set(err, VG_E_VERIFY,
                          "signing certificate: keyUsage lacks "
                          "digitalSignature");
    }
    if (ku & banned) {
        return vg_err_set(err, VG_E_VERIFY,
                          "signing certificate: keyUsage has bits other than digitalSignature "
                          "and nonRepudiation (0x%x)",
                          (unsigned)(ku & banned));
    }
    if (flags & EXFLAG_XKUSAGE) {
        uint32_t xku = X509_get_extended_key_usage(x);
        uint32_t other = XKU_ANYEKU | XKU_SSL_SERVER | XKU_SSL_CLIENT | XKU_SMIME;
        bool ts = role == VG_X509_ROLE_TIMESTAMPING;
        other |= ts ? XKU_CODE_SIGN : XKU_TIMESTAMP;
        if (ts && !(xku & XKU_TIMESTAMP)) {
            return vg_err_set(err, VG_E_VERIFY,
                              "timestamping certificate: extendedKeyUsage "
                              "lacks timeStamping");
        }
        if (xku & other) {
            return vg_err_set(err, VG_E_VERIFY,
                              "%s certificate: extendedKeyUsage lists a purpose it must not "
                              "(any, serverAuth, clientAuth, emailProtection or %s)",
                              ts ? "timestamping" : "signing", ts ? "codeSigning" : "timeStamping");
        }
    }
    return 0;
}

int
vg_x509_notary_check(const struct vg_x509 *c, enum vg_x509_role role, size_t below,
                     struct vg_err **err)
{
    X509 *x = ossl_cert(c);
    if (!x) {
        return vg_err_set(err, VG_E_PARSE, "certificate: invalid DER");
    }
    int nid = X509_get_signature_nid(x);
    int rc = 0;
    if (nid == NID_sha1WithRSAEncryption || nid == NID_ecdsa_with_SHA1 ||
        nid == NID_md5WithRSAEncryption) {
        rc = vg_err_set(err, VG_E_VERIFY, "certificate signed with %s (SHA-1 and MD5 are refused)",
                        OBJ_nid2sn(nid));
    } else if (role == VG_X509_ROLE_CA) {
        rc = check_ca(x, below, err);
    } else {
        rc = check_leaf(x, role, err);
    }
    X509_free(x);
    ERR_clear_error();
    if (rc == 0) {
        /* Key length (RSA >= 2048, ECDSA >= 256) is crypto's import allowlist. */
        vg_autokey struct vg_crypto_key *k = NULL;
        rc = vg_x509_public_key(&k, c, err);
    }
    return rc;
}

int
vg_x509_chain_ordered(struct vg_x509 *const *chain, size_t n, struct vg_err **err)
{
    if (n == 0 || n > VG_X509_CHAIN_MAX) {
        return vg_err_set(err, VG_E_VERIFY, "certificate chain of %zu certificates (1 to %u)", n,
                          VG_X509_CHAIN_MAX);
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        X509 *child = ossl_cert(chain[i]);
        X509 *parent = ossl_cert(chain[i + 1 < n ? i + 1 : i]);
        EVP_PKEY *pk = parent ? X509_get0_pubkey(parent) : NULL;
        if (!child || !parent || !pk) {
            rc = vg_err_set(err, VG_E_PARSE, "certificate %zu: unreadable", i + 1);
        } else if (X509_check_issued(parent, child) != X509_V_OK) {
            rc = i + 1 < n ? vg_err_set(err, VG_E_VERIFY,
                                        "certificate %zu was not issued by certificate %zu "
                                        "(the chain must run from the signing certificate to "
                                        "its root in order)",
                                        i + 1, i + 2)
                           : vg_err_set(err, VG_E_VERIFY,
                                        "the last certificate of the chain is not a self-signed "
                                        "root");
        } else if (X509_verify(child, pk) != 1) {
            rc = vg_err_set(err, VG_E_VERIFY,
                            "certificate %zu: signature by certificate %zu does "
                            "not verify",
                            i + 1, i + 1 < n ? i + 2 : i + 1);
        }
        X509_free(child);
        X509_free(parent);
    }
    ERR_clear_error();
    return rc;
}

void
vg_x509_rdns_free(struct vg_x509_rdn *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].type);
        free(v[i].value);
    }
    free(v);
}

int
vg_x509_subject_rdns(struct vg_x509_rdn **out, size_t *nout, const struct vg_x509 *c,
                     struct vg_err **err)
{
    X509 *x = ossl_cert(c);
    if (!x) {
        return vg_err_set(err, VG_E_PARSE, "certificate: invalid DER");
    }
    const X509_NAME *name = X509_get_subject_name(x);
    int cnt = name ? X509_NAME_entry_count(name) : 0;
    struct vg_x509_rdn *v = NULL;
    size_t n = 0;
    int rc = 0;
    for (int i = 0; i < cnt && rc == 0; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
        char oid[80];
        const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
        if (!sn) {
            OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e), 1);
            sn = oid;
        }
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
        if (len < 0 || memchr(utf8, '\0', (size_t)len) || (size_t)len > VG_X509_SAN_MAX) {
            rc = vg_err_set(err, VG_E_PARSE, "certificate subject: unreadable %s value", sn);
        } else {
            struct vg_x509_rdn r = {vg_strdup(sn), vg_strndup((const char *)utf8, (size_t)len)};
            VG_ARRAY_PUSH(v, n, r);
        }
        OPENSSL_free(utf8);
    }
    X509_free(x);
    ERR_clear_error();
    if (rc < 0) {
        vg_x509_rdns_free(v, n);
        return rc;
    }
    *out = v;
    *nout = n;
    return 0;
}

char *
vg_x509_subject_string(const struct vg_x509 *c)
{
    struct vg_x509_rdn *v = NULL;
    size_t n = 0;
    vg_autoerr struct vg_err *e = NULL;
    if (vg_x509_subject_rdns(&v, &n, c, &e) < 0) {
        return vg_strdup("(unreadable subject)");
    }
    struct vg_buf b = VG_BUF_INIT(64u * 1024u);
    for (size_t i = 0; i < n; i++) {
        vg_autofree char *val = vg_escape(v[i].value, strlen(v[i].value), 256);
        if (vg_buf_appendf(&b, &e, "%s%s=%s", i ? ", " : "", v[i].type, val) < 0) {
            break;
        }
    }
    vg_x509_rdns_free(v, n);
    char *s = b.len ? vg_buf_take(&b, NULL) : vg_strdup("");
    vg_buf_dispose(&b);
    return s;
}

/* ---------------------------------------------------------------- RFC 3161 tokens */

static int
asn1_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
        return -1;
    }
    *out = (int64_t)timegm(&tm);
    return 0;
}

int
vg_x509_tst_verify(int64_t *gen_time, const uint8_t *tst, size_t len, const uint8_t *data,
                   size_t dlen, struct vg_x509 *const *roots, size_t nroots, struct vg_err **err)
{
    if (len == 0 || len > VG_X509_DER_MAX) {
        return vg_err_set(err, VG_E_PARSE, "timestamp token of %zu bytes", len);
    }
    if (nroots == 0) {
        return vg_err_set(err, VG_E_VERIFY, "timestamp: no trusted TSA certificate");
    }
    const unsigned char *p = tst;
    PKCS7 *token = d2i_PKCS7(NULL, &p, (long)len);
    TS_TST_INFO *info = token && p == tst + len ? PKCS7_to_TS_TST_INFO(token) : NULL;
    int64_t t = 0;
    if (!info || asn1_unix(TS_TST_INFO_get_time(info), &t) < 0) {
        TS_TST_INFO_free(info);
        PKCS7_free(token);
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "timestamp token: not an RFC 3161 TimeStampToken");
    }
    TS_TST_INFO_free(info);
    X509_STORE *store = X509_STORE_new();
    for (size_t i = 0; store && i < nroots; i++) {
        X509 *x = ossl_cert(roots[i]);
        if (!x || X509_STORE_add_cert(store, x) != 1) {
            X509_free(x);
            X509_STORE_free(store);
            store = NULL;
            break;
        }
        X509_free(x);
    }
    TS_VERIFY_CTX *vctx = TS_VERIFY_CTX_new();
    BIO *bio = BIO_new_mem_buf(data, (int)dlen);
    if (!store || !vctx || !bio) {
        X509_STORE_free(store);
        TS_VERIFY_CTX_free(vctx);
        BIO_free(bio);
        PKCS7_free(token);
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "timestamp: out of memory");
    }
    /* The TSA's chain must hold at the time it stamped, not now. */
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)t);
    TS_VERIFY_CTX_set_flags(vctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
    TS_VERIFY_CTX_set_data(vctx, bio);
    TS_VERIFY_CTX_set_store(vctx, store);
    int ok = TS_RESP_verify_token(vctx, token);
    int rc = 0;
    if (ok != 1) {
        unsigned long e = ERR_peek_last_error();
        char msg[256] = "unknown error";
        if (e) {
            ERR_error_string_n(e, msg, sizeof(msg));
        }
        rc = vg_err_set(err, VG_E_VERIFY, "timestamp token does not verify: %s", msg);
    } else {
        *gen_time = t;
    }
    TS_VERIFY_CTX_free(vctx);
    PKCS7_free(token);
    ERR_clear_error();
    return rc;
}
