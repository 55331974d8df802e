/* SPDX-License-Identifier: Apache-2.0
 *
 * crypto/x509.c on certificates built here with OpenSSL: a root → intermediate → leaf chain
 * verified at a time inside and outside the validity windows, names and Fulcio extensions,
 * and hostile chains: an issuer loop without an anchor, a 100-deep chain, an over-long
 * intermediate list; each must fail cleanly with a reason, never hang.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"
#include "testutil.h"

#define T0  1700000000 /* 2023-11-14 */
#define DAY 86400

static EVP_PKEY *
gen(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    cr_assert_not_null(k);
    return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    cr_assert_not_null(e);
    cr_assert_eq(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

/* A certificate for `cn` with key `key`, issued by `icn` with `ikey` (same = self-signed). */
static struct vg_x509 *
make(const char *cn, EVP_PKEY *key, const char *icn, EVP_PKEY *ikey, bool ca, long from, long until,
     X509 **keep)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_NAME *n = X509_NAME_new(), *in = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(in, "CN", MBSTRING_ASC, (const unsigned char *)icn, -1, -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, in);
    X509_NAME_free(n);
    X509_NAME_free(in);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)from);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)until);
    X509_set_pubkey(x, key);
    if (ca) {
        add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, NULL, NID_key_usage, "critical,keyCertSign");
    } else {
        add_ext(x, NULL, NID_key_usage, "critical,digitalSignature");
        add_ext(x, NULL, NID_ext_key_usage, "codeSigning");
        add_ext(x, NULL, NID_subject_alt_name, "email:dev@example.com,URI:https://example.com/w");
    }
    cr_assert_gt(X509_sign(x, ikey, EVP_sha256()), 0);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    cr_assert_gt(len, 0);
    struct vg_x509 *c = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_x509_parse(&c, der, (size_t)len, &err), err);
    OPENSSL_free(der);
    if (keep) {
        *keep = x;
    } else {
        X509_free(x);
    }
    return c;
}

Test(crypto_x509, chain_at_signing_time)
{
    EVP_PKEY *rk = gen(), *ik = gen(), *lk = gen();
    struct vg_x509 *root = make("root", rk, "root", rk, true, T0 - 100 * DAY, T0 + 100 * DAY, NULL);
    struct vg_x509 *inter = make("inter", ik, "root", rk, true, T0 - 50 * DAY, T0 + 50 * DAY, NULL);
    struct vg_x509 *leaf = make("leaf", lk, "inter", ik, false, T0, T0 + 600, NULL);
    struct vg_x509 *chain[] = {inter, root};
    struct vg_x509 *issuer = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_x509_chain_verify(&issuer, leaf, chain, 2, T0 + 300, &err), err);
    cr_assert(issuer == inter);
    cr_assert(vg_x509_eku_code_signing(leaf));
    cr_assert(!vg_x509_eku_code_signing(inter));
    cr_assert(vg_x509_self_signed(root));
    cr_assert(!vg_x509_self_signed(leaf));
    /* The short-lived leaf has expired a day later, and was not yet valid a second before. */
    cr_assert(vg_x509_chain_verify(&issuer, leaf, chain, 2, T0 + DAY, &err) < 0);
    cr_assert(tu_err_contains(err, "expired"), "%s", vg_err_format(err));
    vg_err_free(&err);
    cr_assert(vg_x509_chain_verify(&issuer, leaf, chain, 2, T0 - 1, &err) < 0);
    cr_assert(tu_err_contains(err, "not yet valid"));
    vg_err_free(&err);
    /* Without the intermediate no path exists; a chain of one unrelated root neither. */
    cr_assert(vg_x509_chain_verify(&issuer, leaf, &root, 1, T0 + 300, &err) < 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    vg_err_free(&err);
    char **sans = NULL;
    size_t n = 0;
    TU_ASSERT_OK(vg_x509_sans(&sans, &n, leaf, &err), err);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(sans[0], "dev@example.com");
    cr_assert_str_eq(sans[1], "https://example.com/w");
    vg_strv_free(sans, n);
    uint8_t *v = NULL;
    size_t vl = 0;
    cr_assert_eq(vg_x509_ext(&v, &vl, leaf, "1.3.6.1.4.1.57264.1.8", &err), 0);
    cr_assert_null(v);
    /* A leaf with no SCT list. */
    struct vg_x509_ctlog log = {.start = 0};
    size_t good = 0;
    cr_assert(vg_x509_sct_verify(&good, leaf, inter, &log, 0, &err) < 0);
    cr_assert(tu_err_contains(err, "no embedded SCT"));
    vg_err_free(&err);
    vg_x509_free(leaf);
    vg_x509_free(inter);
    vg_x509_free(root);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(ik);
    EVP_PKEY_free(lk);
}

Test(crypto_x509, issuer_loop_without_anchor_fails)
{
    /* A and B issue each other; the anchor R is unrelated: path building must give up. */
    EVP_PKEY *ak = gen(), *bk = gen(), *rk = gen(), *lk = gen();
    struct vg_x509 *a = make("A", ak, "B", bk, true, T0 - DAY, T0 + DAY, NULL);
    struct vg_x509 *b = make("B", bk, "A", ak, true, T0 - DAY, T0 + DAY, NULL);
    struct vg_x509 *r = make("R", rk, "R", rk, true, T0 - DAY, T0 + DAY, NULL);
    struct vg_x509 *leaf = make("leaf", lk, "A", ak, false, T0, T0 + 600, NULL);
    struct vg_x509 *chain[] = {a, b, r};
    struct vg_err *err = NULL;
    uint64_t start = vg_now_ns();
    cr_assert(vg_x509_chain_verify(NULL, leaf, chain, 3, T0 + 60, &err) < 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    vg_err_free(&err);
    cr_assert_lt(vg_now_ns() - start, 5000000000ull);
    vg_x509_free(a);
    vg_x509_free(b);
    vg_x509_free(r);
    vg_x509_free(leaf);
    EVP_PKEY_free(ak);
    EVP_PKEY_free(bk);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(lk);
}

Test(crypto_x509, hundred_deep_chain_refused)
{
    enum { DEPTH = 100 };
    EVP_PKEY *keys[DEPTH + 1];
    struct vg_x509 *certs[DEPTH]; /* certs[DEPTH-1] is the root, certs[0] the lowest CA */
    char name[DEPTH + 1][16];
    for (int i = 0; i <= DEPTH; i++) {
        keys[i] = gen();
        snprintf(name[i], sizeof(name[i]), "ca%d", i);
    }
    for (int i = DEPTH - 1; i >= 0; i--) {
        int up = i == DEPTH - 1 ? i : i + 1;
        certs[i] = make(name[i], keys[i], name[up], keys[up], true, T0 - DAY, T0 + DAY, NULL);
    }
    struct vg_x509 *leaf = make("leaf", keys[DEPTH], name[0], keys[0], false, T0, T0 + 600, NULL);
    struct vg_err *err = NULL;
    /* The whole chain is over the certificate limit... */
    cr_assert(vg_x509_chain_verify(NULL, leaf, certs, DEPTH, T0 + 60, &err) < 0);
    cr_assert(tu_err_contains(err, "chain of 100 certificates"));
    vg_err_free(&err);
    /* ...and its top ten (the root and nine CAs far from the leaf) build no path. */
    cr_assert(vg_x509_chain_verify(NULL, leaf, certs + DEPTH - VG_X509_CHAIN_MAX, VG_X509_CHAIN_MAX,
                                   T0 + 60, &err) < 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    vg_err_free(&err);
    /* The certificates themselves are sound: the CA right below the root verifies. */
    TU_ASSERT_OK(vg_x509_chain_verify(NULL, certs[DEPTH - 2], certs + DEPTH - 1, 1, T0 + 60, &err),
                 err);
    for (int i = 0; i < DEPTH; i++) {
        vg_x509_free(certs[i]);
    }
    vg_x509_free(leaf);
    for (int i = 0; i <= DEPTH; i++) {
        EVP_PKEY_free(keys[i]);
    }
}

Test(crypto_x509, parse_refusals)
{
    struct vg_x509 *c = NULL;
    struct vg_err *err = NULL;
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00, 0x00};
    cr_assert(vg_x509_parse(&c, junk, sizeof(junk), &err) < 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    cr_assert(vg_x509_parse(&c, junk, 0, &err) < 0);
    vg_err_free(&err);
    static const char pem[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    cr_assert(vg_x509_parse(&c, pem, sizeof(pem) - 1, &err) < 0);
    vg_err_free(&err);
    uint8_t *big = calloc(1, VG_X509_DER_MAX + 1);
    cr_assert(vg_x509_parse(&c, big, VG_X509_DER_MAX + 1, &err) < 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
    free(big);
    int64_t t;
    cr_assert(vg_x509_tsr_time(&t, junk, sizeof(junk), &err) < 0);
    vg_err_free(&err);
}
