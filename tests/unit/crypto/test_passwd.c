/* SPDX-License-Identifier: Apache-2.0
 *
 * bcrypt through libxcrypt against hashes made by `htpasswd -B` (apache2-utils, $2y$) and by
 * other bcrypt writers ($2b$ Python/OpenBSD, $2a$ Go), the hash-shape allowlist, passwords with
 * NUL bytes, and the keyed hash's domain separation.
 */
#include "crypto/crypto.h"
#include "testutil.h"

/* htpasswd -nbB -C 4 alice s3cret */
static const char h_2y[] = "$2y$04$3STJJTySszb67MaI8EqjLePHXTN5bXQPZUYLzaayBXqLVC.SpLaKa";

static bool
check(const char *hash, const char *pw)
{
    struct vg_err *err = NULL;
    bool match = true;
    TU_ASSERT_OK(vg_crypto_bcrypt_verify(hash, pw, strlen(pw), &match, &err), err);
    return match;
}

Test(crypto_passwd, htpasswd_2y_hash_verifies)
{
    cr_assert(check(h_2y, "s3cret"));
    cr_assert_not(check(h_2y, "s3cre"));
    cr_assert_not(check(h_2y, "s3cret "));
    cr_assert_not(check(h_2y, ""));
}

Test(crypto_passwd, variants_2a_2b_verify)
{
    /* The same salt and password under the other prefixes verify too (libxcrypt treats
     * $2a$/$2b$/$2y$ alike for ASCII passwords shorter than 255 bytes). */
    char h[sizeof(h_2y)];
    memcpy(h, h_2y, sizeof(h));
    h[2] = 'b';
    cr_assert(check(h, "s3cret"));
    h[2] = 'a';
    cr_assert(check(h, "s3cret"));
}

Test(crypto_passwd, nul_in_password_never_matches)
{
    struct vg_err *err = NULL;
    bool match = true;
    TU_ASSERT_OK(vg_crypto_bcrypt_verify(h_2y, "s3cret\0x", 8, &match, &err), err);
    cr_assert_not(match);
}

Test(crypto_passwd, hash_shape_allowlist)
{
    cr_assert(vg_crypto_bcrypt_hash_valid(h_2y));
    static const char *bad[] = {
        "$apr1$abcdefgh$0123456789012345678901", /* htpasswd -m */
        "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=",     /* htpasswd -s */
        "plaintext",
        "$2x$04$3STJJTySszb67MaI8EqjLePHXTN5bXQPZUYLzaayBXqLVC.SpLaKa", /* buggy variant */
        "$2y$03$3STJJTySszb67MaI8EqjLePHXTN5bXQPZUYLzaayBXqLVC.SpLaKa", /* cost < 4 */
        "$2y$32$3STJJTySszb67MaI8EqjLePHXTN5bXQPZUYLzaayBXqLVC.SpLaKa", /* cost > 31 */
        "$2y$04$3STJJTySszb67MaI8EqjLePHXTN5bXQPZUYLzaayBXqLVC.SpLaK",  /* short */
        "$2y$04$3STJJTySszb67MaI8EqjLePHXTN5bXQPZUYLzaayBXqLVC.SpLa!a", /* alphabet */
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        cr_assert_not(vg_crypto_bcrypt_hash_valid(bad[i]), "%s", bad[i]);
        struct vg_err *err = NULL;
        bool match = true;
        cr_assert_lt(vg_crypto_bcrypt_verify(bad[i], "x", 1, &match, &err), 0);
        cr_assert_eq(vg_err_code(err), VG_E_UNSUPPORTED);
        vg_err_free(&err);
    }
}

Test(crypto_passwd, keyed_hash_separates_parts_and_keys)
{
    uint8_t k1[VG_CRYPTO_KEYED_HASH_KEY_BYTES], k2[VG_CRYPTO_KEYED_HASH_KEY_BYTES];
    vg_crypto_random(k1, sizeof(k1));
    vg_crypto_random(k2, sizeof(k2));
    cr_assert_neq(memcmp(k1, k2, sizeof(k1)), 0);
    struct vg_str ab_c[] = {VG_STR("ab"), VG_STR("c")};
    struct vg_str a_bc[] = {VG_STR("a"), VG_STR("bc")};
    uint8_t h1[32], h2[32], h3[32], h4[32];
    vg_crypto_keyed_hash(h1, k1, ab_c, 2);
    vg_crypto_keyed_hash(h2, k1, a_bc, 2);
    vg_crypto_keyed_hash(h3, k2, ab_c, 2);
    vg_crypto_keyed_hash(h4, k1, ab_c, 2);
    cr_assert_neq(memcmp(h1, h2, 32), 0);
    cr_assert_neq(memcmp(h1, h3, 32), 0);
    cr_assert_eq(memcmp(h1, h4, 32), 0);
}

/* RFC 4231 test cases 1 and 6 (a key longer than the block size is hashed first). */
Test(crypto_passwd, hmac_sha256_matches_rfc4231)
{
    uint8_t key1[20], mac[VG_CRYPTO_HMAC_SHA256_BYTES];
    char hex[2 * VG_CRYPTO_HMAC_SHA256_BYTES + 1];
    memset(key1, 0x0b, sizeof(key1));
    vg_crypto_hmac_sha256(mac, key1, sizeof(key1), "Hi There", 8);
    vg_hex_encode(hex, mac, sizeof(mac));
    cr_expect_str_eq(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    uint8_t key6[131];
    memset(key6, 0xaa, sizeof(key6));
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    vg_crypto_hmac_sha256(mac, key6, sizeof(key6), msg, strlen(msg));
    vg_hex_encode(hex, mac, sizeof(mac));
    cr_expect_str_eq(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}
