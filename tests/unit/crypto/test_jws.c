/* SPDX-License-Identifier: Apache-2.0
 *
 * JOSE ES256: the RFC 7515 Appendix A.3 example verifies (an independent vector), our own
 * signatures are 64 raw bytes that round-trip, tampering and wrong lengths or key types fail;
 * a generated key survives the PKCS#8 PEM round trip.
 */
#include "crypto/crypto.h"
#include "testutil.h"

/* RFC 7515 A.3: the example key's public half and the JWS signing input and signature. */
static const char rfc_pub[] = "-----BEGIN PUBLIC KEY-----\n"
                              "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7\n"
                              "6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==\n"
                              "-----END PUBLIC KEY-----\n";
static const char rfc_input[] = "eyJhbGciOiJFUzI1NiJ9."
                                "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcG"
                                "xlLmNvbS9pc19yb290Ijp0cnVlfQ";
static const uint8_t rfc_sig[64] = {
    0x0e, 0xd1, 0x21, 0x53, 0x79, 0x63, 0x6c, 0x48, 0x3c, 0x2f, 0x7f, 0x15, 0x58, 0x07, 0xd4, 0x02,
    0xa3, 0xb2, 0x28, 0x03, 0x3a, 0xf9, 0x7c, 0x7e, 0x17, 0x81, 0x9a, 0xc3, 0x16, 0x9e, 0xa6, 0x65,
    0xc5, 0x0a, 0x07, 0xd3, 0x8c, 0x3c, 0x70, 0xe5, 0xd8, 0xf1, 0x2d, 0xaf, 0x08, 0x4a, 0x54, 0x80,
    0xa6, 0x65, 0x90, 0xc5, 0xf2, 0x93, 0x50, 0x9a, 0x8f, 0x3f, 0x7f, 0x8a, 0x83, 0xa3, 0x54, 0xd5,
};

Test(crypto_jws, rfc7515_es256_example_verifies)
{
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&k, rfc_pub, sizeof(rfc_pub) - 1, &err), err);
    TU_ASSERT_OK(
        vg_crypto_es256_verify(k, rfc_input, sizeof(rfc_input) - 1, rfc_sig, sizeof(rfc_sig), &err),
        err);
    uint8_t bad[64];
    memcpy(bad, rfc_sig, sizeof(bad));
    bad[63] ^= 1;
    cr_assert_lt(vg_crypto_es256_verify(k, rfc_input, sizeof(rfc_input) - 1, bad, 64, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_VERIFY);
    vg_err_free(&err);
    cr_assert_lt(vg_crypto_es256_verify(k, rfc_input, sizeof(rfc_input) - 2, rfc_sig, 64, &err), 0);
    vg_err_free(&err);
    /* A DER-length or truncated signature is refused before any maths. */
    cr_assert_lt(vg_crypto_es256_verify(k, rfc_input, sizeof(rfc_input) - 1, rfc_sig, 63, &err), 0);
    cr_assert(tu_err_contains(err, "63 bytes"));
    vg_err_free(&err);
}

Test(crypto_jws, sign_roundtrip_raw_64_bytes)
{
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    static const char msg[] = "header.payload";
    for (int i = 0; i < 16; i++) { /* r or s with leading zero bytes must still be 32 bytes */
        uint8_t sig[VG_CRYPTO_ES256_SIG_BYTES];
        TU_ASSERT_OK(vg_crypto_es256_sign(k, msg, sizeof(msg) - 1, sig, &err), err);
        TU_ASSERT_OK(vg_crypto_es256_verify(k, msg, sizeof(msg) - 1, sig, sizeof(sig), &err), err);
    }
}

Test(crypto_jws, refuses_other_key_types)
{
    vg_autobuf struct vg_buf b;
    tu_read_data(&b, "ecp384-sec1.pem");
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_import_pem(&k, b.data, b.len, &err), err);
    uint8_t sig[VG_CRYPTO_ES256_SIG_BYTES] = {0};
    cr_assert_lt(vg_crypto_es256_sign(k, "x", 1, sig, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_USAGE);
    vg_err_free(&err);
    cr_assert_lt(vg_crypto_es256_verify(k, "x", 1, sig, sizeof(sig), &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_VERIFY);
    vg_err_free(&err);
}

Test(crypto_jws, private_pem_roundtrip)
{
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    vg_autosecret struct vg_secret *pem = NULL;
    TU_ASSERT_OK(vg_crypto_key_private_pem(k, &pem, &err), err);
    cr_assert(strstr((const char *)pem->data, "-----BEGIN PRIVATE KEY-----") != NULL);
    vg_autokey struct vg_crypto_key *k2 = NULL;
    TU_ASSERT_OK(vg_crypto_key_import_pem(&k2, pem->data, pem->len, &err), err);
    cr_assert(vg_crypto_key_is_private(k2));
    cr_assert(vg_crypto_key_public_eq(k, k2));
    uint8_t sig[VG_CRYPTO_ES256_SIG_BYTES];
    TU_ASSERT_OK(vg_crypto_es256_sign(k2, "m", 1, sig, &err), err);
    TU_ASSERT_OK(vg_crypto_es256_verify(k, "m", 1, sig, sizeof(sig), &err), err);
}
