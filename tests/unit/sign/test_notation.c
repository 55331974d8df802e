/* SPDX-License-Identifier: Apache-2.0
 *
 * sign/notation on a root → intermediate → leaf PKI built here with OpenSSL: JWS and COSE
 * envelopes signed and opened again (ES256, ES384, PS256), a flipped signature byte, a chain
 * out of order, a key that is not the leaf's, certificate rules (a CA leaf, a leaf without
 * digitalSignature), verification levels on an expired leaf (strict fails, permissive logs),
 * an untrusted root and identity; trustpolicy.json rules and DN escapes; CBOR bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../crypto/testutil.h"
#include "sign/notation.h"
#include "sign/notation_int.h"

#define DAY 86400

struct pki {
    EVP_PKEY *k;
    X509 *x;
    struct vg_x509 *c;
};

static void
add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    cr_assert_not_null(e);
    cr_assert_eq(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

/* subject "C=US,ST=WA,O=acme,CN=cn"; issuer NULL: self-signed. ku: keyUsage value. */
static struct pki
make(const char *cn, const char *alg, const struct pki *issuer, bool ca, const char *ku, long from,
     long until)
{
    static long serial = 1;
    struct pki p = {0};
    p.k = strncmp(alg, "RSA", 3) == 0 ? EVP_RSA_gen(2048) : EVP_EC_gen(alg);
    cr_assert_not_null(p.k);
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "ST", MBSTRING_ASC, (const unsigned char *)"WA", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"acme", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->x) : n);
    X509_NAME_free(n);
    time_t now = time(NULL);
    ASN1_TIME_set(X509_getm_notBefore(x), now + from);
    ASN1_TIME_set(X509_getm_notAfter(x), now + until);
    X509_set_pubkey(x, p.k);
    add_ext(x, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add_ext(x, NID_key_usage, ku);
    if (!ca) {
        add_ext(x, NID_ext_key_usage, "codeSigning");
    }
    cr_assert_gt(X509_sign(x, issuer ? issuer->k : p.k, EVP_sha256()), 0);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_x509_parse(&p.c, der, (size_t)len, &err), err);
    OPENSSL_free(der);
    p.x = x;
    return p;
}

static void
pki_free(struct pki *p)
{
    EVP_PKEY_free(p->k);
    X509_free(p->x);
    vg_x509_free(p->c);
}

static struct vg_crypto_key *
priv(const struct pki *p)
{
    unsigned char *der = NULL;
    int len = i2d_PrivateKey(p->k, &der);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, p->k, NULL, NULL, 0, NULL, NULL);
    char *pem = NULL;
    long n = BIO_get_mem_data(b, &pem);
    struct vg_crypto_key *k = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_crypto_key_import_pem(&k, pem, (size_t)n, &err), err);
    BIO_free(b);
    OPENSSL_free(der);
    (void)len;
    return k;
}

static struct pki root, inter, leaf;

static void
setup(void)
{
    root = make("root", "P-256", NULL, true, "critical,keyCertSign,cRLSign", -DAY, 30 * DAY);
    inter = make("inter", "P-256", &root, true, "critical,keyCertSign", -DAY, 30 * DAY);
    leaf = make("leaf", "P-256", &inter, false, "critical,digitalSignature", -DAY, 30 * DAY);
}

static void
teardown(void)
{
    pki_free(&leaf);
    pki_free(&inter);
    pki_free(&root);
}

static const struct vg_notation_target target = {
    .media_type = "application/vnd.oci.image.manifest.v1+json",
    .digest = {VG_DIGEST_SHA256,
               "sha256:73c803930ea3ba1e54bc25c2bdc53edd0284c62ed651fe7b00369da519a3c333"},
    .size = 16724,
};

static int
sign_with(struct vg_buf *out, const char **mt, const struct pki *l, struct vg_x509 **chain,
          size_t n, enum vg_notation_format fmt, int64_t expiry, struct vg_err **err)
{
    struct vg_crypto_key *k = priv(l);
    struct vg_notation_sign_opts o = {.key = k,
                                      .chain = chain,
                                      .nchain = n,
                                      .format = fmt,
                                      .now = vg_now_unix(),
                                      .expiry = expiry,
                                      .agent = "test/1"};
    int rc = vg_notation_envelope_sign(out, mt, &o, &target, err);
    vg_crypto_key_free(k);
    return rc;
}

TestSuite(sign_notation, .init = setup, .fini = teardown);

Test(sign_notation, jws_and_cose_round_trip_and_tamper)
{
    struct vg_x509 *chain[] = {leaf.c, inter.c, root.c};
    for (int f = VG_NOTATION_JWS; f <= VG_NOTATION_COSE; f++) {
        struct vg_buf b = VG_BUF_INIT(VG_NOTATION_ENVELOPE_MAX);
        struct vg_err *err = NULL;
        const char *mt = NULL;
        TU_ASSERT_OK(sign_with(&b, &mt, &leaf, chain, 3, (enum vg_notation_format)f,
                               vg_now_unix() + DAY, &err),
                     err);
        struct vg_notation_envelope *e = NULL;
        TU_ASSERT_OK(vg_notation_envelope_open(&e, mt, b.data, b.len, &err), err);
        cr_assert_eq(e->alg, VG_CRYPTO_ALG_ES256);
        cr_assert_eq(e->nchain, 3);
        cr_assert(vg_digest_eq(&e->target_digest, &target.digest));
        cr_assert_eq(e->target_size, 16724);
        cr_assert_gt(e->expiry, e->signing_time);
        cr_assert_str_eq(e->agent, "test/1");
        vg_notation_envelope_free(e);
        /* the last byte is part of the signature in both serializations (JWS: before "}) */
        size_t at = f == VG_NOTATION_JWS ? b.len - 3 : b.len - 1;
        ((uint8_t *)b.data)[at] ^= 0x01;
        cr_assert_lt(vg_notation_envelope_open(&e, mt, b.data, b.len, &err), 0);
        cr_assert(vg_err_is(err, VG_E_VERIFY) || vg_err_is(err, VG_E_PARSE));
        vg_err_free(&err);
        vg_buf_dispose(&b);
    }
}

Test(sign_notation, algorithm_follows_the_key)
{
    struct pki p384 = make("p384", "P-384", &inter, false, "critical,digitalSignature", -DAY, DAY);
    struct pki rsa = make("rsa", "RSA", &inter, false, "critical,digitalSignature", -DAY, DAY);
    struct pki *ls[] = {&p384, &rsa};
    enum vg_crypto_alg want[] = {VG_CRYPTO_ALG_ES384, VG_CRYPTO_ALG_PS256};
    for (size_t i = 0; i < 2; i++) {
        struct vg_x509 *chain[] = {ls[i]->c, inter.c, root.c};
        struct vg_buf b = VG_BUF_INIT(VG_NOTATION_ENVELOPE_MAX);
        struct vg_err *err = NULL;
        const char *mt = NULL;
        TU_ASSERT_OK(sign_with(&b, &mt, ls[i], chain, 3, VG_NOTATION_COSE, 0, &err), err);
        struct vg_notation_envelope *e = NULL;
        TU_ASSERT_OK(vg_notation_envelope_open(&e, mt, b.data, b.len, &err), err);
        cr_assert_eq(e->alg, want[i]);
        vg_notation_envelope_free(e);
        vg_buf_dispose(&b);
    }
    pki_free(&rsa);
    pki_free(&p384);
}

Test(sign_notation, signer_refuses_bad_chains_and_keys)
{
    struct vg_buf b = VG_BUF_INIT(VG_NOTATION_ENVELOPE_MAX);
    struct vg_err *err = NULL;
    const char *mt = NULL;
    struct vg_x509 *skip[] = {leaf.c, root.c};
    cr_assert_lt(sign_with(&b, &mt, &leaf, skip, 2, VG_NOTATION_JWS, 0, &err), 0);
    cr_assert(vg_err_is(err, VG_E_USAGE));
    cr_assert(tu_err_contains(err, "not issued by certificate 2"));
    vg_err_free(&err);
    struct vg_x509 *chain[] = {leaf.c, inter.c, root.c};
    cr_assert_lt(sign_with(&b, &mt, &inter, chain, 3, VG_NOTATION_JWS, 0, &err), 0);
    cr_assert(tu_err_contains(err, "does not belong"));
    vg_err_free(&err);
    struct pki enc =
        make("enc", "P-256", &inter, false, "critical,digitalSignature,keyAgreement", -DAY, DAY);
    TU_ASSERT_OK(vg_x509_notary_check(leaf.c, VG_X509_ROLE_CODE_SIGNING, 0, &err), err);
    cr_assert_lt(vg_x509_notary_check(enc.c, VG_X509_ROLE_CODE_SIGNING, 0, &err), 0);
    cr_assert(tu_err_contains(err, "keyUsage"));
    vg_err_free(&err);
    cr_assert_lt(vg_x509_notary_check(inter.c, VG_X509_ROLE_CODE_SIGNING, 0, &err), 0);
    cr_assert(tu_err_contains(err, "cA is true"));
    vg_err_free(&err);
    cr_assert_lt(vg_x509_notary_check(leaf.c, VG_X509_ROLE_CA, 0, &err), 0);
    vg_err_free(&err);
    pki_free(&enc);
    vg_buf_dispose(&b);
}

static char store_dir[] = "/tmp/vg-notation-XXXXXX";

static void
write_store(const char *name, X509 *x)
{
    char *d = vg_fmt("%s/x509/ca/%s", store_dir, name);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_mkdir_p(d, 0700, &err), err);
    char *f = vg_fmt("%s/root.pem", d);
    FILE *fp = fopen(f, "w");
    cr_assert_not_null(fp);
    PEM_write_X509(fp, x);
    fclose(fp);
    free(f);
    free(d);
}

static void
verify_at(struct vg_notation_outcome *out, const char *policy_json, const struct pki *l)
{
    struct vg_x509 *chain[] = {l->c, inter.c, root.c};
    struct vg_buf b = VG_BUF_INIT(VG_NOTATION_ENVELOPE_MAX);
    struct vg_err *err = NULL;
    const char *mt = NULL;
    TU_ASSERT_OK(sign_with(&b, &mt, l, chain, 3, VG_NOTATION_JWS, 0, &err), err);
    struct vg_notation_policy *p = NULL;
    TU_ASSERT_OK(vg_notation_policy_parse(&p, policy_json, strlen(policy_json), &err), err);
    struct vg_notation_verify_opts o = {
        .policy = vg_notation_policy_select(p, "registry.example.com/app"),
        .truststore = store_dir,
        .now = vg_now_unix(),
        .digest = &target.digest,
        .size = target.size,
        .media_type = target.media_type,
    };
    cr_assert_not_null(o.policy);
    vg_notation_verify_envelope(out, &o, mt, b.data, b.len);
    vg_notation_policy_free(p);
    vg_buf_dispose(&b);
}

#define POLICY(level, store, id)                                                                   \
    "{\"version\":\"1.0\",\"trustPolicies\":[{\"name\":\"p\",\"registryScopes\":[\"*\"],"          \
    "\"signatureVerification\":{\"level\":\"" level "\"},\"trustStores\":[\"" store "\"],"         \
    "\"trustedIdentities\":[\"" id "\"]}]}"

Test(sign_notation, levels_on_expired_and_untrusted_signers)
{
    cr_assert_not_null(mkdtemp(store_dir));
    write_store("acme", root.x);
    struct pki other = make("other", "P-256", NULL, true, "critical,keyCertSign", -DAY, DAY);
    write_store("other", other.x);
    struct pki old =
        make("leaf", "P-256", &inter, false, "critical,digitalSignature", -3 * DAY, -DAY);
    struct vg_notation_outcome o;

    verify_at(&o, POLICY("strict", "ca:acme", "x509.subject: C=US, ST=WA, O=acme, CN=leaf"), &leaf);
    cr_assert(o.ok);
    /* The chain names no OCSP responder or CRL: checked, nothing to ask, not revoked. */
    cr_assert_eq(o.results[VG_NOTATION_CHECK_REVOCATION], VG_NOTATION_ENFORCE);
    cr_assert(!o.failed[VG_NOTATION_CHECK_REVOCATION]);
    vg_notation_outcome_dispose(&o);

    verify_at(&o, POLICY("strict", "ca:acme", "*"), &old);
    cr_assert(!o.ok);
    cr_assert(o.failed[VG_NOTATION_CHECK_TIMESTAMP]);
    cr_assert(tu_err_contains(o.error, "expired at"));
    vg_notation_outcome_dispose(&o);

    verify_at(&o, POLICY("permissive", "ca:acme", "*"), &old);
    cr_assert(o.ok);
    cr_assert(o.failed[VG_NOTATION_CHECK_TIMESTAMP]);
    cr_assert_not_null(o.errors[VG_NOTATION_CHECK_TIMESTAMP]);
    vg_notation_outcome_dispose(&o);

    verify_at(&o, POLICY("strict", "ca:other", "*"), &leaf);
    cr_assert(!o.ok);
    cr_assert(o.failed[VG_NOTATION_CHECK_AUTHENTICITY]);
    vg_notation_outcome_dispose(&o);

    verify_at(&o, POLICY("audit", "ca:other", "*"), &leaf);
    cr_assert(o.ok);
    cr_assert(o.failed[VG_NOTATION_CHECK_AUTHENTICITY]);
    vg_notation_outcome_dispose(&o);

    verify_at(&o, POLICY("strict", "ca:acme", "x509.subject: C=US, ST=WA, O=acme, CN=other"),
              &leaf);
    cr_assert(!o.ok);
    cr_assert(tu_err_contains(o.error, "not a trusted identity"));
    vg_notation_outcome_dispose(&o);

    pki_free(&old);
    pki_free(&other);
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_remove_tree(store_dir, NULL, &err), err);
}

static bool
parses(const char *json, const char *why)
{
    struct vg_notation_policy *p = NULL;
    struct vg_err *err = NULL;
    int rc = vg_notation_policy_parse(&p, json, strlen(json), &err);
    if (rc == 0) {
        vg_notation_policy_free(p);
        return true;
    }
    cr_assert(!why || tu_err_contains(err, why), "%s", vg_err_format(err));
    vg_err_free(&err);
    return false;
}

#define ONE(body) "{\"version\":\"1.0\",\"trustPolicies\":[" body "]}"
#define P(name, scope, sv, rest)                                                                   \
    "{\"name\":\"" name "\",\"registryScopes\":[" scope "],\"signatureVerification\":" sv rest "}"
#define TS ",\"trustStores\":[\"ca:a\"],\"trustedIdentities\":[\"*\"]"

Test(sign_notation, policy_rules)
{
    cr_assert(parses(ONE(P("a", "\"*\"", "{\"level\":\"strict\"}", TS)), NULL));
    cr_assert(!parses("{\"version\":\"2.0\",\"trustPolicies\":[]}", "version"));
    cr_assert(!parses(ONE(P("a", "\"*\"", "{\"level\":\"skip\"}", "")), "global scope"));
    cr_assert(!parses(ONE(P("a", "\"*\"", "{\"level\":\"strict\"}",
                            TS) "," P("b", "\"*\"", "{\"level\":\"audit\"}", TS)),
                      "both have the global scope"));
    cr_assert(!parses(ONE(P("a", "\"app\"", "{\"level\":\"strict\"}", TS)), "fully qualified"));
    cr_assert(!parses(ONE(P("a", "\"*\"",
                            "{\"level\":\"strict\",\"override\":{\"integrity\":"
                            "\"log\"}}",
                            TS)),
                      "integrity cannot be overridden"));
    cr_assert(!parses(ONE(P("a", "\"*\"", "{\"level\":\"strict\"}",
                            ",\"trustStores\":[\"x:a\"],\"trustedIdentities\":[\"*\"]")),
                      "trust store"));
    cr_assert(!parses(ONE(P("a", "\"*\"", "{\"level\":\"strict\"}",
                            ",\"trustStores\":[\"ca:a\"],\"trustedIdentities\":[\"x509.subject: "
                            "C=US, O=a\"]")),
                      "must name C, ST and O"));
    cr_assert(!parses(ONE(P("a", "\"*\"", "{\"level\":\"strict\"}",
                            ",\"trustStores\":[\"ca:a\"],\"trustedIdentities\":[\"x509.subject: "
                            "C=US, ST=WA, O=a, OU=x\",\"x509.subject: C=US, ST=WA, O=a\"]")),
                      "overlap"));
    const char *two = ONE(P("a", "\"r.io/team/app\"", "{\"level\":\"strict\"}", TS) "," P(
        "g", "\"*\"", "{\"level\":\"permissive\",\"override\":{\"revocation\":\"skip\"}}", TS));
    struct vg_notation_policy *p = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_notation_policy_parse(&p, two, strlen(two), &err), err);
    cr_assert_str_eq(vg_notation_policy_select(p, "r.io/team/app")->name, "a");
    const struct vg_notation_policy_entry *g = vg_notation_policy_select(p, "r.io/other");
    cr_assert_str_eq(g->name, "g");
    cr_assert_eq(g->actions[VG_NOTATION_CHECK_EXPIRY], VG_NOTATION_LOG);
    cr_assert_eq(g->actions[VG_NOTATION_CHECK_REVOCATION], VG_NOTATION_SKIPPED);
    cr_assert_eq(g->actions[VG_NOTATION_CHECK_AUTHENTICITY], VG_NOTATION_ENFORCE);
    vg_notation_policy_free(p);
}

Test(sign_notation, dn_escapes_and_matching)
{
    struct vg_notation_identity id;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(
        vg_notation_dn_parse(&id, " C=US, ST=WA, O=acme\\, inc., OU=a\\;b, CN=\\ x\\ ", &err), err);
    cr_assert_eq(id.n, 5);
    cr_assert_str_eq(id.rdns[2].value, "acme, inc.");
    cr_assert_str_eq(id.rdns[3].value, "a;b");
    cr_assert_str_eq(id.rdns[4].value, " x ");
    static const char *const kv[][2] = {{"C", "US"},         {"ST", "WA"},  {"L", "Seattle"},
                                        {"O", "acme, inc."}, {"OU", "a;b"}, {"CN", " x "}};
    struct vg_x509_rdn subj[6];
    for (size_t i = 0; i < 6; i++) {
        subj[i] = (struct vg_x509_rdn){vg_strdup(kv[i][0]), vg_strdup(kv[i][1])};
    }
    cr_assert(vg_notation_identity_match(&id, subj, 6));
    free(subj[5].value);
    subj[5].value = vg_strdup("x");
    cr_assert(!vg_notation_identity_match(&id, subj, 6));
    for (size_t i = 0; i < 6; i++) {
        free(subj[i].type);
        free(subj[i].value);
    }
    vg_notation_identity_dispose(&id);
    cr_assert_lt(vg_notation_dn_parse(&id, "C=US, C=CA, ST=WA, O=a", &err), 0);
    vg_err_free(&err);
    cr_assert_lt(vg_notation_dn_parse(&id, "C=US, novalue", &err), 0);
    vg_err_free(&err);
}

Test(sign_notation, cbor_bounds)
{
    /* 16 nested arrays inside a map value pass the depth limit at 16, 17 do not */
    uint8_t deep[64];
    for (size_t depth = 15; depth <= 16; depth++) {
        size_t n = 0;
        deep[n++] = 0xa1; /* map(1) */
        deep[n++] = 0x01;
        for (size_t i = 0; i < depth; i++) {
            deep[n++] = 0x81; /* array(1) */
        }
        deep[n++] = 0x00;
        struct cbor_entry *m = NULL;
        size_t nm = 0;
        struct vg_err *err = NULL;
        int rc = vg_notation__cbor_map(&m, &nm, deep, n, &err);
        if (depth == 15) {
            TU_ASSERT_OK(rc, err);
            free(m);
        } else {
            cr_assert_lt(rc, 0);
            cr_assert(tu_err_contains(err, "nested too deeply"));
            vg_err_free(&err);
        }
    }
    const uint8_t dup[] = {0xa2, 0x01, 0x00, 0x01, 0x00};
    const uint8_t indef[] = {0xbf, 0xff};
    const uint8_t huge[] = {0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint8_t count[] = {0x9a, 0x00, 0x10, 0x00, 0x00};
    const struct {
        const uint8_t *d;
        size_t n;
        const char *why;
    } bad[] = {
        {dup, sizeof(dup), "duplicate map key"},
        {indef, sizeof(indef), "indefinite length"},
        {huge, sizeof(huge), "longer than the input"},
        {count, sizeof(count), "too many entries"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        struct cbor_entry *m = NULL;
        size_t nm = 0;
        struct vg_err *err = NULL;
        cr_assert_lt(vg_notation__cbor_map(&m, &nm, bad[i].d, bad[i].n, &err), 0);
        cr_assert(tu_err_contains(err, bad[i].why), "%zu: %s", i, vg_err_format(err));
        vg_err_free(&err);
    }
    struct vg_reader r;
    vg_reader_init(&r, count, sizeof(count));
    struct cbor_item it;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_notation__cbor_head(&r, &it, &err), 0);
    cr_assert(tu_err_contains(err, "too many entries"));
    vg_err_free(&err);
}

/* An RFC 3161 token made here by a TSA under its own root, over the hash of `data`. */
static uint8_t *
make_token(size_t *len, const struct pki *tsa, const void *data, size_t dlen)
{
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL);
    TS_MSG_IMPRINT_set_algo(mi, alg);
    uint8_t h[32];
    vg_sha256_raw(h, data, dlen);
    TS_MSG_IMPRINT_set_msg(mi, h, sizeof(h));
    TS_REQ_set_version(req, 1);
    TS_REQ_set_msg_imprint(req, mi);
    TS_REQ_set_cert_req(req, 1);
    unsigned char *rder = NULL;
    int rlen = i2d_TS_REQ(req, &rder);
    BIO *rbio = BIO_new_mem_buf(rder, rlen);
    TS_RESP_CTX *ctx = TS_RESP_CTX_new();
    cr_assert_eq(TS_RESP_CTX_set_signer_cert(ctx, tsa->x), 1);
    cr_assert_eq(TS_RESP_CTX_set_signer_key(ctx, tsa->k), 1);
    ASN1_OBJECT *pol = OBJ_txt2obj("1.2.3.4.1", 1);
    TS_RESP_CTX_set_def_policy(ctx, pol); /* copies it */
    ASN1_OBJECT_free(pol);
    TS_RESP_CTX_add_md(ctx, EVP_sha256());
    TS_RESP *resp = TS_RESP_create_response(ctx, rbio);
    cr_assert_not_null(resp);
    PKCS7 *tok = TS_RESP_get_token(resp);
    cr_assert_not_null(tok);
    unsigned char *der = NULL;
    int n = i2d_PKCS7(tok, &der);
    cr_assert_gt(n, 0);
    uint8_t *out = vg_malloc((size_t)n);
    memcpy(out, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    TS_RESP_free(resp);
    TS_RESP_CTX_free(ctx);
    BIO_free(rbio);
    OPENSSL_free(rder);
    X509_ALGOR_free(alg);
    TS_MSG_IMPRINT_free(mi);
    TS_REQ_free(req);
    return out;
}

Test(sign_notation, rfc3161_token_over_the_signature)
{
    struct pki troot = make("tsa-root", "P-256", NULL, true, "critical,keyCertSign", -DAY, DAY);
    struct pki tsa = make("tsa", "P-256", &troot, false, "critical,digitalSignature", -DAY, DAY);
    /* make() gives leaves codeSigning; a TSA needs a critical timeStamping EKU instead */
    X509_EXTENSION_free(X509_delete_ext(tsa.x, X509_get_ext_by_NID(tsa.x, NID_ext_key_usage, -1)));
    add_ext(tsa.x, NID_ext_key_usage, "critical,timeStamping");
    cr_assert_gt(X509_sign(tsa.x, troot.k, EVP_sha256()), 0);
    const char sig[] = "the signature value";
    size_t tlen = 0;
    uint8_t *tok = make_token(&tlen, &tsa, sig, sizeof(sig));
    struct vg_err *err = NULL;
    int64_t when = 0;
    TU_ASSERT_OK(
        vg_x509_tst_verify(&when, tok, tlen, (const uint8_t *)sig, sizeof(sig), &troot.c, 1, &err),
        err);
    cr_assert_lt(llabs(when - vg_now_unix()), 120);
    cr_assert_lt(
        vg_x509_tst_verify(&when, tok, tlen, (const uint8_t *)"other", 5, &troot.c, 1, &err), 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    vg_err_free(&err);
    cr_assert_lt(
        vg_x509_tst_verify(&when, tok, tlen, (const uint8_t *)sig, sizeof(sig), &root.c, 1, &err),
        0);
    vg_err_free(&err);
    tok[tlen / 2] ^= 0xff;
    cr_assert_lt(
        vg_x509_tst_verify(&when, tok, tlen, (const uint8_t *)sig, sizeof(sig), &troot.c, 1, &err),
        0);
    vg_err_free(&err);
    free(tok);
    pki_free(&tsa);
    pki_free(&troot);
}
