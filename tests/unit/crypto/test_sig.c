/* SPDX-License-Identifier: Apache-2.0
 *
 * Signatures: sign/verify roundtrips for every allowed key type, tampering, wrong keys,
 * high-S ECDSA, the SHA-256 fallback for P-384, and the derived cosign-layout signatures.
 * OpenSSL is used directly here only to build signatures our API deliberately never makes.
 */
#include <limits.h>
#ifndef INT_MAX
#define INT_MAX __INT_MAX__
#endif
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/crypto.h"
#include "testutil.h"

static struct vg_crypto_key *
import_fixture(const char *file)
{
    vg_autobuf struct vg_buf b;
    tu_read_data(&b, file);
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_import_pem(&k, b.data, b.len, &err), err);
    return k;
}

static struct vg_crypto_key *
public_fixture(const char *file)
{
    vg_autobuf struct vg_buf b;
    tu_read_data(&b, file);
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&k, b.data, b.len, &err), err);
    return k;
}

Test(crypto_sig, roundtrip_every_key_type)
{
    static const struct {
        const char *priv, *pub;
        size_t fixed_len; /* 0: variable (DER) */
    } cases[] = {
        {"ecp256-sec1.pem", "ecp256.pub", 0},     {"ecp384-sec1.pem", "ecp384.pub", 0},
        {"ecp521-sec1.pem", "ecp521.pub", 0},     {"rsa2048-pkcs1.pem", "rsa2048.pub", 256},
        {"ed25519-pkcs8.pem", "ed25519.pub", 64},
    };
    static const char msg[] = "some-payload";
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        vg_autokey struct vg_crypto_key *k = import_fixture(cases[i].priv);
        vg_autokey struct vg_crypto_key *pk = public_fixture(cases[i].pub);
        struct vg_err *err = NULL;
        vg_autofree uint8_t *sig = NULL;
        size_t n = 0;
        TU_ASSERT_OK(vg_crypto_sign(k, msg, sizeof(msg) - 1, &sig, &n, &err), err);
        if (cases[i].fixed_len) {
            cr_assert_eq(n, cases[i].fixed_len, "%s", cases[i].priv);
        } else {
            cr_assert_eq(sig[0], 0x30, "ECDSA signatures are DER SEQUENCEs");
        }
        TU_ASSERT_OK(vg_crypto_verify(pk, msg, sizeof(msg) - 1, sig, n, &err), err);
        TU_ASSERT_OK(vg_crypto_verify(k, msg, sizeof(msg) - 1, sig, n, &err), err);

        cr_assert_lt(vg_crypto_verify(pk, msg, sizeof(msg) - 2, sig, n, &err), 0);
        cr_assert(vg_err_is(err, VG_E_VERIFY));
        vg_err_free(&err);
        sig[n / 2] ^= 0x01;
        cr_assert_lt(vg_crypto_verify(pk, msg, sizeof(msg) - 1, sig, n, &err), 0);
        cr_assert(vg_err_is(err, VG_E_VERIFY));
        vg_err_free(&err);
    }
}

Test(crypto_sig, public_key_cannot_sign_and_wrong_key_fails)
{
    vg_autokey struct vg_crypto_key *pk = public_fixture("ecp256.pub");
    struct vg_err *err = NULL;
    uint8_t *sig = NULL;
    size_t n = 0;
    cr_assert_lt(vg_crypto_sign(pk, "x", 1, &sig, &n, &err), 0);
    cr_assert(vg_err_is(err, VG_E_USAGE));
    vg_err_free(&err);

    struct vg_crypto_key *other = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&other, &err), err);
    TU_ASSERT_OK(vg_crypto_sign(other, "x", 1, &sig, &n, &err), err);
    cr_assert_lt(vg_crypto_verify(pk, "x", 1, sig, n, &err), 0);
    cr_assert(vg_err_is(err, VG_E_VERIFY));
    vg_err_free(&err);
    /* Empty and oversize signatures. */
    cr_assert_lt(vg_crypto_verify(other, "x", 1, sig, 0, &err), 0);
    vg_err_free(&err);
    uint8_t big[VG_CRYPTO_SIG_MAX + 1] = {0};
    cr_assert_lt(vg_crypto_verify(other, "x", 1, big, sizeof(big), &err), 0);
    vg_err_free(&err);
    free(sig);
    vg_crypto_key_free(other);
}

static EVP_PKEY *
openssl_key(const char *file)
{
    vg_autofree char *p = tu_data(file);
    FILE *f = fopen(p, "r");
    cr_assert_not_null(f);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    cr_assert_not_null(k);
    return k;
}

Test(crypto_sig, accepts_high_s_ecdsa)
{
    vg_autokey struct vg_crypto_key *k = import_fixture("ecp256-sec1.pem");
    struct vg_err *err = NULL;
    vg_autofree uint8_t *sig = NULL;
    size_t n = 0;
    TU_ASSERT_OK(vg_crypto_sign(k, "m", 1, &sig, &n, &err), err);
    const uint8_t *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    cr_assert_not_null(es);
    BIGNUM *order = BN_new();
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    cr_assert(EC_GROUP_get_order(g, order, NULL));
    BIGNUM *r = BN_dup(ECDSA_SIG_get0_r(es));
    BIGNUM *s = BN_new();
    cr_assert(BN_sub(s, order, ECDSA_SIG_get0_s(es)));
    ECDSA_SIG *flipped = ECDSA_SIG_new();
    cr_assert(ECDSA_SIG_set0(flipped, r, s));
    uint8_t *der = NULL;
    int dlen = i2d_ECDSA_SIG(flipped, &der);
    cr_assert_gt(dlen, 0);
    cr_assert(dlen != (int)n || memcmp(der, sig, n) != 0);
    TU_ASSERT_OK(vg_crypto_verify(k, "m", 1, der, (size_t)dlen, &err), err);
    OPENSSL_free(der);
    ECDSA_SIG_free(flipped);
    ECDSA_SIG_free(es);
    EC_GROUP_free(g);
    BN_free(order);
}

Test(crypto_sig, p384_verifies_sha256_signatures_like_cosign_verify_path)
{
    EVP_PKEY *ek = openssl_key("ecp384-sec1.pem");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t sig[256];
    size_t n = sizeof(sig);
    cr_assert(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, ek) == 1);
    cr_assert(EVP_DigestSign(ctx, sig, &n, (const uint8_t *)"m", 1) == 1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(ek);
    vg_autokey struct vg_crypto_key *pk = public_fixture("ecp384.pub");
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_crypto_verify(pk, "m", 1, sig, n, &err), err);
    /* RSA signatures do not get a hash fallback: SHA-512 PKCS#1 must not verify. */
    EVP_PKEY *rk = openssl_key("rsa2048-pkcs8.pem");
    ctx = EVP_MD_CTX_new();
    n = sizeof(sig);
    cr_assert(EVP_DigestSignInit(ctx, NULL, EVP_sha512(), NULL, rk) == 1);
    cr_assert(EVP_DigestSign(ctx, sig, &n, (const uint8_t *)"m", 1) == 1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(rk);
    vg_autokey struct vg_crypto_key *rpk = public_fixture("rsa2048.pub");
    cr_assert_lt(vg_crypto_verify(rpk, "m", 1, sig, n, &err), 0);
    vg_err_free(&err);
}

static void
check_derived(int idx, const char *pubname, bool expect_ok)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "derived/legacy-sig-image/payload-%d.json", idx);
    TU_REQUIRE_VECTOR(payload, rel);
    snprintf(rel, sizeof(rel), "derived/legacy-sig-image/payload-%d.sig.b64", idx);
    TU_REQUIRE_VECTOR(sigpath, rel);
    snprintf(rel, sizeof(rel), "derived/encrypted-keys/%s.pub", pubname);
    TU_REQUIRE_VECTOR(pubpath, rel);
    vg_autobuf struct vg_buf pl, sb, pb;
    tu_read(&pl, payload);
    tu_read(&sb, sigpath);
    tu_read(&pb, pubpath);
    struct vg_err *err = NULL;
    vg_autofree uint8_t *sig = NULL;
    size_t n = 0;
    TU_ASSERT_OK(vg_base64_decode(&sig, &n, (char *)sb.data, sb.len, true, &err), err);
    vg_autokey struct vg_crypto_key *pk = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&pk, pb.data, pb.len, &err), err);
    int rc = vg_crypto_verify(pk, pl.data, pl.len, sig, n, &err);
    if (expect_ok) {
        TU_ASSERT_OK(rc, err);
    } else {
        cr_assert_lt(rc, 0);
        cr_assert(vg_err_is(err, VG_E_VERIFY));
        vg_err_free(&err);
    }
}

Test(crypto_sig, derived_legacy_signatures)
{
    check_derived(1, "pemsigstorekey", true);
    check_derived(2, "pemsigstorekey", true);
    check_derived(1, "pemcosignkey", false);
    check_derived(2, "pemcosignkey", false);
}

Test(crypto_sig, vector_key_signs_what_its_pub_verifies)
{
    TU_REQUIRE_VECTOR(keypath, "keys/encrypted/pemsigstorekey.key");
    TU_REQUIRE_VECTOR(pubpath, "derived/encrypted-keys/pemsigstorekey.pub");
    vg_autobuf struct vg_buf kb, pb;
    tu_read(&kb, keypath);
    tu_read(&pb, pubpath);
    struct vg_err *err = NULL;
    vg_autosecret struct vg_secret *p = vg_secret_new("hello", 5);
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_private_encrypted(&k, kb.data, kb.len, p, &err), err);
    vg_autokey struct vg_crypto_key *pk = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&pk, pb.data, pb.len, &err), err);
    vg_autofree uint8_t *sig = NULL;
    size_t n = 0;
    TU_ASSERT_OK(vg_crypto_sign(k, "blob", 4, &sig, &n, &err), err);
    TU_ASSERT_OK(vg_crypto_verify(pk, "blob", 4, sig, n, &err), err);
}
