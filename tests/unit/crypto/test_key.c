/* SPDX-License-Identifier: Apache-2.0
 *
 * Key import and public key loading: cosign's import table and public key samples (skipped
 * when the shared vectors are absent), and our own fixtures in tests/data/sign (always run).
 */
#include <unistd.h>

#include "crypto/crypto.h"
#include "testutil.h"

struct import_case {
    const char *file;
    const char *error; /* NULL: must import */
    enum vg_key_type type;
};

static void
run_import(const char *path, const struct import_case *c, const char *pubpath)
{
    vg_autobuf struct vg_buf pem;
    tu_read(&pem, path);
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    int rc = vg_crypto_key_import_pem(&k, pem.data, pem.len, &err);
    if (c->error) {
        cr_assert_lt(rc, 0, "%s imported", c->file);
        cr_assert_null(k);
        cr_assert(tu_err_contains(err, c->error), "%s: %s", c->file, vg_err_format(err));
        vg_err_free(&err);
        return;
    }
    TU_ASSERT_OK(rc, err);
    cr_assert(vg_crypto_key_is_private(k));
    cr_assert_eq(vg_crypto_key_type(k), c->type, "%s: type %d", c->file, vg_crypto_key_type(k));
    if (pubpath) {
        vg_autobuf struct vg_buf pub;
        tu_read(&pub, pubpath);
        vg_autokey struct vg_crypto_key *pk = NULL;
        TU_ASSERT_OK(vg_crypto_key_load_public(&pk, pub.data, pub.len, &err), err);
        cr_assert(vg_crypto_key_public_eq(k, pk), "%s: public half differs", c->file);
        /* Our PEM output is the same PKIX PEM (64-column lines) the vector holds. */
        vg_autofree char *mine = NULL;
        TU_ASSERT_OK(vg_crypto_key_public_pem(k, &mine, &err), err);
        cr_assert_str_eq(mine, (char *)pub.data, "%s", c->file);
    }
    /* Importing re-encrypts: encrypt + load must roundtrip for every allowed type. */
    vg_autosecret struct vg_secret *p = vg_secret_new("hello", 5);
    vg_autofree char *enc = NULL;
    size_t enclen = 0;
    TU_ASSERT_OK(vg_crypto_key_encrypt(k, p, &enc, &enclen, &err), err);
    vg_autokey struct vg_crypto_key *back = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_private_encrypted(&back, enc, enclen, p, &err), err);
    cr_assert(vg_crypto_key_public_eq(k, back));
    cr_assert_eq(vg_crypto_key_type(back), c->type);
    vg_crypto_key_free(k);
}

Test(crypto_key, cosign_import_table)
{
    static const struct import_case cases[] = {
        {"validrsa", NULL, VG_KEY_RSA},
        {"validrsapkcs1", NULL, VG_KEY_RSA},
        {"validrsapkcs8", NULL, VG_KEY_RSA},
        {"validecp256", NULL, VG_KEY_ECDSA_P256},
        {"validecp384", NULL, VG_KEY_ECDSA_P384},
        {"validecp521", NULL, VG_KEY_ECDSA_P521},
        {"validecpkcs8", NULL, VG_KEY_ECDSA_P256},
        {"ed25519key", NULL, VG_KEY_ED25519},
        {"invalidrsawithpubkey", "unsupported private key", 0},
        {"invalidrsasmallkey", "key size not supported", 0},
        {"invalidrsalargekey", "key size not supported", 0},
        {"invalidecp224", "curve not allowed", 0},
        {"invalidecunsupported", "error parsing ecdsa private key", 0},
        {"invalidkey", "invalid pem block", 0},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        char rel[128], pubrel[128];
        snprintf(rel, sizeof(rel), "keys/import/%s.pem", cases[i].file);
        snprintf(pubrel, sizeof(pubrel), "derived/import-keys/%s.pub", cases[i].file);
        TU_REQUIRE_VECTOR(path, rel);
        vg_autofree char *pub = cases[i].error ? NULL : tu_vector(pubrel);
        cr_assert(cases[i].error || pub, "missing %s", pubrel);
        run_import(path, &cases[i], pub);
    }
}

Test(crypto_key, own_import_fixtures)
{
    static const struct {
        struct import_case c;
        const char *pub;
    } cases[] = {
        {{"rsa2048-pkcs8.pem", NULL, VG_KEY_RSA}, "rsa2048.pub"},
        {{"rsa2048-pkcs1.pem", NULL, VG_KEY_RSA}, "rsa2048.pub"},
        {{"ecp256-sec1.pem", NULL, VG_KEY_ECDSA_P256}, "ecp256.pub"},
        {{"ecp256-pkcs8.pem", NULL, VG_KEY_ECDSA_P256}, "ecp256.pub"},
        {{"ecp384-sec1.pem", NULL, VG_KEY_ECDSA_P384}, "ecp384.pub"},
        {{"ecp521-sec1.pem", NULL, VG_KEY_ECDSA_P521}, "ecp521.pub"},
        {{"ed25519-pkcs8.pem", NULL, VG_KEY_ED25519}, "ed25519.pub"},
        {{"rsa1024-pkcs1.pem", "key size not supported", 0}, NULL},
        {{"ecp224-sec1.pem", "curve not allowed", 0}, NULL},
        {{"secp256k1-sec1.pem", "error parsing ecdsa private key", 0}, NULL},
        {{"ed448-pkcs8.pem", "unsupported key type", 0}, NULL},
        {{"ecp256.pub", "unsupported private key", 0}, NULL},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        vg_autofree char *path = tu_data(cases[i].c.file);
        vg_autofree char *pub = cases[i].pub ? tu_data(cases[i].pub) : NULL;
        run_import(path, &cases[i].c, pub);
    }
}

Test(crypto_key, import_rejects_wrong_structure_under_label)
{
    /* A PKCS#8 body under the PKCS#1 label must not be guessed into shape. */
    vg_autobuf struct vg_buf pem;
    tu_read_data(&pem, "rsa2048-pkcs8.pem");
    vg_autofree char *s = vg_strdup((char *)pem.data);
    vg_autofree char *swapped = NULL;
    char *b = strstr(s, "-----BEGIN PRIVATE KEY-----");
    char *e = strstr(s, "-----END PRIVATE KEY-----");
    cr_assert(b && e);
    *e = '\0';
    swapped = vg_fmt("-----BEGIN RSA PRIVATE KEY-----%s-----END RSA PRIVATE KEY-----\n",
                     b + strlen("-----BEGIN PRIVATE KEY-----"));
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    cr_assert_lt(vg_crypto_key_import_pem(&k, swapped, strlen(swapped), &err), 0);
    cr_assert(tu_err_contains(err, "error parsing rsa private key"));
    vg_err_free(&err);
}

static void
expect_public(const char *path, enum vg_key_type type)
{
    vg_autobuf struct vg_buf b;
    tu_read(&b, path);
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&k, b.data, b.len, &err), err);
    cr_assert_not(vg_crypto_key_is_private(k));
    cr_assert_eq(vg_crypto_key_type(k), type, "%s", path);
    /* DER roundtrip through our own encoder. */
    vg_autofree uint8_t *der = NULL;
    size_t n = 0;
    TU_ASSERT_OK(vg_crypto_key_public_der(k, &der, &n, &err), err);
    vg_autokey struct vg_crypto_key *k2 = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&k2, der, n, &err), err);
    cr_assert(vg_crypto_key_public_eq(k, k2));
}

Test(crypto_key, cosign_public_key_table)
{
    TU_REQUIRE_VECTOR(release, "keys/public/release-cosign.pub");
    TU_REQUIRE_VECTOR(google, "keys/public/google.pem");
    TU_REQUIRE_VECTOR(rsa1, "keys/public/rsa-pkcs1.pem");
    TU_REQUIRE_VECTOR(der, "keys/public/letsencrypt-testflume-2021.der");
    TU_REQUIRE_VECTOR(garbage, "keys/public/garbage-there-are-limits");
    expect_public(release, VG_KEY_ECDSA_P256);
    expect_public(google, VG_KEY_RSA);
    expect_public(rsa1, VG_KEY_RSA);
    expect_public(der, VG_KEY_ECDSA_P256);

    vg_autobuf struct vg_buf g;
    tu_read(&g, garbage);
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    cr_assert_lt(vg_crypto_key_load_public(&k, g.data, g.len, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
}

Test(crypto_key, own_public_fixtures)
{
    static const struct {
        const char *file;
        enum vg_key_type type;
    } cases[] = {
        {"rsa2048.pub", VG_KEY_RSA},       {"rsa2048-pkcs1.pub", VG_KEY_RSA},
        {"ecp256.pub", VG_KEY_ECDSA_P256}, {"ecp256.pub.der", VG_KEY_ECDSA_P256},
        {"ecp384.pub", VG_KEY_ECDSA_P384}, {"ecp521.pub", VG_KEY_ECDSA_P521},
        {"ed25519.pub", VG_KEY_ED25519},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        vg_autofree char *p = tu_data(cases[i].file);
        expect_public(p, cases[i].type);
    }
    /* SPKI and PKCS#1 forms of one RSA key are the same key. */
    vg_autobuf struct vg_buf a, b;
    tu_read_data(&a, "rsa2048.pub");
    tu_read_data(&b, "rsa2048-pkcs1.pub");
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *ka = NULL;
    vg_autokey struct vg_crypto_key *kb = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&ka, a.data, a.len, &err), err);
    TU_ASSERT_OK(vg_crypto_key_load_public(&kb, b.data, b.len, &err), err);
    cr_assert(vg_crypto_key_public_eq(ka, kb));
}

Test(crypto_key, public_rejects_hostile_input)
{
    vg_autobuf struct vg_buf der;
    tu_read_data(&der, "ecp256.pub.der");
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    /* Truncated and extended DER. */
    cr_assert_lt(vg_crypto_key_load_public(&k, der.data, der.len - 1, &err), 0);
    vg_err_free(&err);
    vg_autofree uint8_t *ext = malloc(der.len + 1);
    memcpy(ext, der.data, der.len);
    ext[der.len] = 0;
    cr_assert_lt(vg_crypto_key_load_public(&k, ext, der.len + 1, &err), 0);
    vg_err_free(&err);
    /* A private key PEM is not a public key. */
    vg_autobuf struct vg_buf priv;
    tu_read_data(&priv, "ecp256-pkcs8.pem");
    cr_assert_lt(vg_crypto_key_load_public(&k, priv.data, priv.len, &err), 0);
    cr_assert(tu_err_contains(err, "unsupported PEM type"));
    vg_err_free(&err);
    /* A PUBLIC KEY label with a PKCS#1 body. */
    vg_autobuf struct vg_buf p1;
    tu_read_data(&p1, "rsa2048-pkcs1.pub");
    vg_autofree char *s = vg_strdup((char *)p1.data);
    vg_autofree char *relabelled = NULL;
    char *body = strchr(s, '\n') + 1;
    *strstr(body, "-----END") = '\0';
    relabelled = vg_fmt("-----BEGIN PUBLIC KEY-----\n%s-----END PUBLIC KEY-----\n", body);
    cr_assert_lt(vg_crypto_key_load_public(&k, relabelled, strlen(relabelled), &err), 0);
    vg_err_free(&err);
    /* Empty and oversize input. */
    cr_assert_lt(vg_crypto_key_load_public(&k, "", 0, &err), 0);
    vg_err_free(&err);
    vg_autofree char *big = calloc(1, VG_CRYPTO_KEY_FILE_MAX + 1);
    cr_assert_lt(vg_crypto_key_load_public(&k, big, VG_CRYPTO_KEY_FILE_MAX + 1, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
    cr_assert_null(k);
}

Test(crypto_key, fingerprint_and_hint)
{
    vg_autobuf struct vg_buf pem, der;
    tu_read_data(&pem, "ecp256.pub");
    tu_read_data(&der, "ecp256.pub.der");
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&k, pem.data, pem.len, &err), err);
    char fp[65];
    TU_ASSERT_OK(vg_crypto_key_fingerprint(k, fp, &err), err);
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, der.data, der.len);
    cr_assert_str_eq(fp, vg_digest_hex(&d));
    vg_autofree char *hint = NULL;
    TU_ASSERT_OK(vg_crypto_key_hint(k, &hint, &err), err);
    uint8_t raw[32];
    vg_sha256_raw(raw, der.data, der.len);
    vg_autofree char *expect = vg_base64_encode(raw, 32);
    cr_assert_str_eq(hint, expect);
    cr_assert_eq(strlen(hint), 44);
}

Test(crypto_key, secret_memory_roundtrip)
{
    struct vg_secret *s = vg_secret_new("abc", 3);
    cr_assert_eq(s->len, 3);
    cr_assert_eq(s->data[3], '\0');
    cr_assert(memcmp(s->data, "abc", 3) == 0);
    vg_crypto_memzero(s->data, s->len);
    cr_assert_eq(s->data[0], 0);
    vg_secret_free(s);
    vg_secret_free(NULL);
    cr_assert(vg_crypto_memeq("ab", "ab", 2));
    cr_assert_not(vg_crypto_memeq("ab", "ac", 2));
}

Test(crypto_key, secret_read_file_limit_is_exact)
{
    char path[] = "/tmp/vg-secret-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "0123456789", 10), 10);
    close(fd);
    struct vg_err *err = NULL;
    struct vg_secret *s = NULL;
    TU_ASSERT_OK(vg_secret_read_file(&s, path, 10, &err), err);
    cr_assert_eq(s->len, 10);
    cr_assert(memcmp(s->data, "0123456789", 10) == 0);
    cr_assert_eq(s->data[10], '\0');
    vg_secret_free(s);
    s = NULL;
    cr_assert_lt(vg_secret_read_file(&s, path, 9, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
    unlink(path);
    cr_assert_lt(vg_secret_read_file(&s, path, 9, &err), 0);
    cr_assert(vg_err_is(err, VG_E_NOTFOUND));
    vg_err_free(&err);
    cr_assert_null(s);
}

Test(crypto_key, certificate_public_key)
{
    vg_autokey struct vg_crypto_key *pub = NULL;
    vg_autobuf struct vg_buf p, pem, der;
    tu_read_data(&p, "ecp256.pub");
    tu_read_data(&pem, "ecp256.crt.pem");
    tu_read_data(&der, "ecp256.crt.der");
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&pub, p.data, p.len, &err), err);
    vg_autokey struct vg_crypto_key *a = NULL;
    vg_autokey struct vg_crypto_key *b = NULL;
    TU_ASSERT_OK(vg_crypto_key_from_certificate(&a, pem.data, pem.len, &err), err);
    TU_ASSERT_OK(vg_crypto_key_from_certificate(&b, der.data, der.len, &err), err);
    cr_assert(vg_crypto_key_public_eq(a, pub));
    cr_assert(vg_crypto_key_public_eq(b, pub));
    cr_assert_not(vg_crypto_key_is_private(a));
    /* A public key is not a certificate. */
    struct vg_crypto_key *k = NULL;
    cr_assert_lt(vg_crypto_key_from_certificate(&k, p.data, p.len, &err), 0);
    vg_err_free(&err);
}
