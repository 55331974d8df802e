/* SPDX-License-Identifier: Apache-2.0
 *
 * Encrypted key files: cosign's vectors (password "hello"), keys we generate (decrypted here
 * from first principles with libsodium, not through the loader), and hostile envelopes.
 */
#include <sodium.h>

#include "crypto/crypto.h"
#include "testutil.h"

static struct vg_secret *
pw(const char *s)
{
    return vg_secret_new(s, strlen(s));
}

/* ---------------------------------------------------------------- cosign vectors */

static void
check_vector_loads(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "keys/encrypted/%s.key", name);
    TU_REQUIRE_VECTOR(keypath, rel);
    snprintf(rel, sizeof(rel), "derived/encrypted-keys/%s.decrypted.der", name);
    TU_REQUIRE_VECTOR(derpath, rel);
    snprintf(rel, sizeof(rel), "derived/encrypted-keys/%s.pub", name);
    TU_REQUIRE_VECTOR(pubpath, rel);

    vg_autobuf struct vg_buf key, der, pub;
    tu_read(&key, keypath);
    tu_read(&der, derpath);
    tu_read(&pub, pubpath);
    struct vg_err *err = NULL;
    vg_autosecret struct vg_secret *p = pw("hello");

    vg_autosecret struct vg_secret *plain = NULL;
    TU_ASSERT_OK(vg_crypto_envelope_decrypt(&plain, key.data, key.len, p, &err), err);
    cr_assert_eq(plain->len, der.len);
    cr_assert(memcmp(plain->data, der.data, der.len) == 0);

    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_private_encrypted(&k, key.data, key.len, p, &err), err);
    cr_assert(vg_crypto_key_is_private(k));
    cr_assert_eq(vg_crypto_key_type(k), VG_KEY_ECDSA_P256);

    vg_autokey struct vg_crypto_key *expect = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_public(&expect, pub.data, pub.len, &err), err);
    cr_assert(vg_crypto_key_public_eq(k, expect));

    /* Re-encoding gives Go's exact PKCS#8 bytes (params omitted, public key included). */
    vg_autosecret struct vg_secret *re = NULL;
    TU_ASSERT_OK(vg_crypto_key_private_pkcs8(k, &re, &err), err);
    cr_assert_eq(re->len, der.len);
    cr_assert(memcmp(re->data, der.data, der.len) == 0);
}

Test(crypto_envelope, loads_pemsigstorekey_with_hello)
{
    check_vector_loads("pemsigstorekey");
}

Test(crypto_envelope, loads_legacy_cosign_label_with_hello)
{
    check_vector_loads("pemcosignkey");
}

Test(crypto_envelope, rejects_wrong_password_on_every_vector)
{
    static const char *const names[] = {"pemsigstorekey", "pemcosignkey", "pemcosigneckey"};
    for (size_t i = 0; i < VG_ARRAY_LEN(names); i++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "keys/encrypted/%s.key", names[i]);
        TU_REQUIRE_VECTOR(path, rel);
        vg_autobuf struct vg_buf key;
        tu_read(&key, path);
        struct vg_err *err = NULL;
        vg_autosecret struct vg_secret *p = pw("wrong");
        struct vg_crypto_key *k = NULL;
        int rc = vg_crypto_key_load_private_encrypted(&k, key.data, key.len, p, &err);
        cr_assert_lt(rc, 0);
        cr_assert_null(k);
        cr_assert(vg_err_is(err, VG_E_AUTH));
        cr_assert(tu_err_contains(err, "decrypt private key: wrong password or corrupt key"));
        vg_err_free(&err);
    }
}

Test(crypto_envelope, rejects_sec1_inside_envelope)
{
    TU_REQUIRE_VECTOR(path, "keys/encrypted/pemcosigneckey.key");
    TU_REQUIRE_VECTOR(derpath, "derived/encrypted-keys/pemcosigneckey.decrypted.der");
    vg_autobuf struct vg_buf key, der;
    tu_read(&key, path);
    tu_read(&der, derpath);
    struct vg_err *err = NULL;
    vg_autosecret struct vg_secret *p = pw("hello");

    /* Decryption itself succeeds: the plaintext is a SEC1 ECPrivateKey. */
    vg_autosecret struct vg_secret *plain = NULL;
    TU_ASSERT_OK(vg_crypto_envelope_decrypt(&plain, key.data, key.len, p, &err), err);
    cr_assert_eq(plain->len, der.len);
    cr_assert(memcmp(plain->data, der.data, der.len) == 0);

    struct vg_crypto_key *k = NULL;
    cr_assert_lt(vg_crypto_key_load_private_encrypted(&k, key.data, key.len, p, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    cr_assert(tu_err_contains(err, "PKCS#8"));
    vg_err_free(&err);
}

Test(crypto_envelope, ci_key_parses_but_empty_password_fails)
{
    TU_REQUIRE_VECTOR(path, "keys/encrypted/cosign-test.key");
    vg_autobuf struct vg_buf key;
    tu_read(&key, path);
    struct vg_err *err = NULL;
    uint64_t n = 0;
    TU_ASSERT_OK(vg_crypto_envelope_inspect(key.data, key.len, &n, &err), err);
    cr_assert_eq(n, VG_SCRYPT_N_LEGACY);
    vg_autosecret struct vg_secret *p = pw("");
    struct vg_secret *plain = NULL;
    cr_assert_lt(vg_crypto_envelope_decrypt(&plain, key.data, key.len, p, &err), 0);
    cr_assert(vg_err_is(err, VG_E_AUTH));
    vg_err_free(&err);
}

/* ---------------------------------------------------------------- our own keys */

/* Strips the PEM armour and base64-decodes the body (no OpenSSL, no loader). */
static uint8_t *
pem_body(const char *pem, const char *label, size_t *len)
{
    char *begin = vg_fmt("-----BEGIN %s-----\n", label);
    char *end = vg_fmt("-----END %s-----\n", label);
    cr_assert(strncmp(pem, begin, strlen(begin)) == 0, "label: %.60s", pem);
    const char *b = pem + strlen(begin);
    const char *e = strstr(b, end);
    cr_assert_not_null(e);
    cr_assert_str_eq(e + strlen(end), "");
    /* Go's encoder: 64-column lines. */
    for (const char *l = b; l < e;) {
        const char *nl = strchr(l, '\n');
        cr_assert(nl && nl - l <= 64);
        l = nl + 1;
    }
    uint8_t *out = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_base64_decode(&out, len, b, (size_t)(e - b), true, &err), err);
    free(begin);
    free(end);
    uint8_t *z = calloc(1, *len + 1); /* NUL-terminated for the string checks */
    memcpy(z, out, *len);
    free(out);
    return z;
}

static uint8_t *
b64field(json_t *obj, const char *key, size_t *len)
{
    const char *s = json_string_value(json_object_get(obj, key));
    cr_assert_not_null(s, "%s", key);
    uint8_t *out = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_base64_decode(&out, len, s, strlen(s), false, &err), err);
    return out;
}

Test(crypto_envelope, generated_key_decrypts_from_first_principles)
{
    struct vg_err *err = NULL;
    cr_assert_eq(sodium_init() >= 0, true);
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    vg_autosecret struct vg_secret *p = pw("correct horse");
    vg_autofree char *pem = NULL;
    size_t pemlen = 0;
    TU_ASSERT_OK(vg_crypto_key_encrypt(k, p, &pem, &pemlen, &err), err);
    cr_assert_eq(strlen(pem), pemlen);

    size_t jlen = 0;
    vg_autofree uint8_t *json = pem_body(pem, "ENCRYPTED SIGSTORE PRIVATE KEY", &jlen);
    static const char prefix[] =
        "{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":65536,\"r\":8,\"p\":1},\"salt\":\"";
    cr_assert(jlen > sizeof(prefix) && memcmp(json, prefix, sizeof(prefix) - 1) == 0,
              "key order: %.*s", (int)jlen, json);
    cr_assert_not_null(strstr((char *)json, "\"},\"cipher\":{\"name\":\"nacl/secretbox\","
                                            "\"nonce\":\""));
    cr_assert_not_null(strstr((char *)json, "\"},\"ciphertext\":\""));
    cr_assert_eq(json[jlen - 1], '}');

    json_error_t je;
    vg_autojson json_t *root = json_loadb((char *)json, jlen, JSON_REJECT_DUPLICATES, &je);
    cr_assert_not_null(root);
    size_t saltlen = 0, noncelen = 0, ctlen = 0;
    vg_autofree uint8_t *salt = b64field(json_object_get(root, "kdf"), "salt", &saltlen);
    vg_autofree uint8_t *nonce = b64field(json_object_get(root, "cipher"), "nonce", &noncelen);
    vg_autofree uint8_t *ct = b64field(root, "ciphertext", &ctlen);
    cr_assert_eq(saltlen, 32);
    cr_assert_eq(noncelen, crypto_secretbox_NONCEBYTES);
    cr_assert_gt(ctlen, crypto_secretbox_MACBYTES);

    uint8_t key[crypto_secretbox_KEYBYTES];
    cr_assert_eq(crypto_pwhash_scryptsalsa208sha256_ll(p->data, p->len, salt, saltlen, 65536, 8, 1,
                                                       key, sizeof(key)),
                 0);
    size_t ptlen = ctlen - crypto_secretbox_MACBYTES;
    vg_autofree uint8_t *pt = malloc(ptlen);
    cr_assert_eq(crypto_secretbox_open_easy(pt, ct, ctlen, nonce, key), 0);
    sodium_memzero(key, sizeof(key));

    /* Go's PKCS#8 for P-256: 138 bytes, id-ecPublicKey + prime256v1, version 0. */
    static const uint8_t p8_prefix[] = {0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06,
                                        0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                                        0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    cr_assert_eq(ptlen, 138);
    cr_assert(memcmp(pt, p8_prefix, sizeof(p8_prefix)) == 0);
    vg_autosecret struct vg_secret *expect = NULL;
    TU_ASSERT_OK(vg_crypto_key_private_pkcs8(k, &expect, &err), err);
    cr_assert_eq(expect->len, ptlen);
    cr_assert(memcmp(expect->data, pt, ptlen) == 0);

    /* A wrong password fails the secretbox check from first principles too. */
    cr_assert_eq(crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)"x", 1, salt, saltlen,
                                                       65536, 8, 1, key, sizeof(key)),
                 0);
    cr_assert_neq(crypto_secretbox_open_easy(pt, ct, ctlen, nonce, key), 0);
}

Test(crypto_envelope, generate_encrypt_load_roundtrip_and_fresh_randomness)
{
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    vg_autosecret struct vg_secret *p = pw("");
    vg_autofree char *a = NULL;
    vg_autofree char *b = NULL;
    size_t alen = 0, blen = 0;
    TU_ASSERT_OK(vg_crypto_key_encrypt(k, p, &a, &alen, &err), err);
    TU_ASSERT_OK(vg_crypto_key_encrypt(k, p, &b, &blen, &err), err);
    cr_assert_str_neq(a, b, "salt and nonce must be fresh per encryption");

    vg_autokey struct vg_crypto_key *l = NULL;
    TU_ASSERT_OK(vg_crypto_key_load_private_encrypted(&l, a, alen, p, &err), err);
    cr_assert(vg_crypto_key_public_eq(k, l));
    uint64_t n = 0;
    TU_ASSERT_OK(vg_crypto_envelope_inspect(a, alen, &n, &err), err);
    cr_assert_eq(n, VG_SCRYPT_N_STANDARD);

    vg_autosecret struct vg_secret *bad = pw("not-empty");
    struct vg_crypto_key *m = NULL;
    cr_assert_lt(vg_crypto_key_load_private_encrypted(&m, a, alen, bad, &err), 0);
    cr_assert(vg_err_is(err, VG_E_AUTH));
    vg_err_free(&err);
}

/* ---------------------------------------------------------------- hostile envelopes */

static char *
make_pem(const char *label, const char *json)
{
    char *b64 = vg_base64_encode(json, strlen(json));
    char *pem = vg_fmt("-----BEGIN %s-----\n%s\n-----END %s-----\n", label, b64, label);
    free(b64);
    return pem;
}

/* A well-formed envelope with the given pieces substituted. */
static char *
make_json(const char *kdfname, const char *params, size_t saltlen, const char *cipher,
          size_t noncelen, size_t ctlen)
{
    uint8_t zero[256] = {0};
    char *salt = vg_base64_encode(zero, saltlen);
    char *nonce = vg_base64_encode(zero, noncelen);
    char *ct = vg_base64_encode(zero, ctlen);
    char *j =
        vg_fmt("{\"kdf\":{\"name\":\"%s\",\"params\":%s,\"salt\":\"%s\"},\"cipher\":{\"name\":"
               "\"%s\",\"nonce\":\"%s\"},\"ciphertext\":\"%s\"}",
               kdfname, params, salt, cipher, nonce, ct);
    free(salt);
    free(nonce);
    free(ct);
    return j;
}

static void
expect_inspect_error(const char *label, const char *json, enum vg_errc code, const char *needle)
{
    vg_autofree char *pem = make_pem(label, json);
    struct vg_err *err = NULL;
    uint64_t n = 0;
    int rc = vg_crypto_envelope_inspect(pem, strlen(pem), &n, &err);
    cr_assert_lt(rc, 0, "accepted: %s", json);
    cr_assert(vg_err_is(err, code), "code %d for %s", err ? (int)err->code : 0, json);
    cr_assert(tu_err_contains(err, needle), "message lacks '%s': %s", needle, err->msg);
    vg_err_free(&err);
}

#define STD_PARAMS "{\"N\":65536,\"r\":8,\"p\":1}"

Test(crypto_envelope, accepts_exactly_three_scrypt_sets)
{
    static const char *const ok[] = {"{\"N\":32768,\"r\":8,\"p\":1}", STD_PARAMS,
                                     "{\"N\":131072,\"r\":8,\"p\":1}"};
    for (size_t i = 0; i < VG_ARRAY_LEN(ok); i++) {
        vg_autofree char *j = make_json("scrypt", ok[i], 32, "nacl/secretbox", 24, 40);
        vg_autofree char *pem = make_pem(VG_PEM_SIGSTORE_PRIVATE, j);
        struct vg_err *err = NULL;
        uint64_t n = 0;
        TU_ASSERT_OK(vg_crypto_envelope_inspect(pem, strlen(pem), &n, &err), err);
    }
    static const char *const bad[] = {
        "{\"N\":16384,\"r\":8,\"p\":1}",  "{\"N\":1099511627776,\"r\":8,\"p\":1}",
        "{\"N\":65536,\"r\":16,\"p\":1}", "{\"N\":65536,\"r\":8,\"p\":2}",
        "{\"N\":262144,\"r\":8,\"p\":1}",
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        vg_autofree char *j = make_json("scrypt", bad[i], 32, "nacl/secretbox", 24, 40);
        expect_inspect_error(VG_PEM_SIGSTORE_PRIVATE, j, VG_E_UNSUPPORTED, "scrypt parameters");
    }
}

Test(crypto_envelope, rejects_malformed_fields)
{
    struct {
        char *json;
        enum vg_errc code;
        const char *needle;
    } cases[] = {
        {make_json("argon2", STD_PARAMS, 32, "nacl/secretbox", 24, 40), VG_E_UNSUPPORTED,
         "kdf.name"},
        {make_json("scrypt", STD_PARAMS, 32, "aes-gcm", 24, 40), VG_E_UNSUPPORTED, "cipher.name"},
        {make_json("scrypt", STD_PARAMS, 31, "nacl/secretbox", 24, 40), VG_E_PARSE, "kdf.salt"},
        {make_json("scrypt", STD_PARAMS, 32, "nacl/secretbox", 23, 40), VG_E_PARSE, "cipher.nonce"},
        {make_json("scrypt", STD_PARAMS, 32, "nacl/secretbox", 25, 40), VG_E_PARSE, "cipher.nonce"},
        {make_json("scrypt", STD_PARAMS, 32, "nacl/secretbox", 24, 16), VG_E_PARSE,
         "shorter than the tag"},
        {make_json("scrypt", "{\"N\":\"65536\",\"r\":8,\"p\":1}", 32, "nacl/secretbox", 24, 40),
         VG_E_PARSE, "kdf.params"},
        {vg_strdup("[1,2,3]"), VG_E_PARSE, "not a JSON object"},
        {vg_strdup("{\"kdf\":1,\"kdf\":2}"), VG_E_PARSE, "invalid JSON"},
        {vg_strdup("not json"), VG_E_PARSE, "invalid JSON"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        expect_inspect_error(VG_PEM_SIGSTORE_PRIVATE, cases[i].json, cases[i].code,
                             cases[i].needle);
        free(cases[i].json);
    }
}

Test(crypto_envelope, rejects_other_pem_types_and_garbage)
{
    vg_autofree char *j = make_json("scrypt", STD_PARAMS, 32, "nacl/secretbox", 24, 40);
    expect_inspect_error("PRIVATE KEY", j, VG_E_UNSUPPORTED, "unsupported pem type");
    expect_inspect_error("ENCRYPTED PRIVATE KEY", j, VG_E_UNSUPPORTED, "unsupported pem type");

    struct vg_err *err = NULL;
    uint64_t n = 0;
    static const char junk[] = "hello, this is not a key\n";
    cr_assert_lt(vg_crypto_envelope_inspect(junk, sizeof(junk) - 1, &n, &err), 0);
    cr_assert(tu_err_contains(err, "invalid pem block"));
    vg_err_free(&err);
    cr_assert_lt(vg_crypto_envelope_inspect("", 0, &n, &err), 0);
    vg_err_free(&err);
}

Test(crypto_envelope, file_size_limit_is_exact)
{
    vg_autofree char *j = make_json("scrypt", STD_PARAMS, 32, "nacl/secretbox", 24, 40);
    vg_autofree char *pem = make_pem(VG_PEM_SIGSTORE_PRIVATE, j);
    size_t n = strlen(pem);
    /* Text before the block is allowed (as in Go's pem.Decode); pad up to the limit. */
    vg_autofree char *big = malloc(VG_CRYPTO_KEY_FILE_MAX + 1);
    memset(big, 'x', VG_CRYPTO_KEY_FILE_MAX - n);
    big[VG_CRYPTO_KEY_FILE_MAX - n - 1] = '\n';
    memcpy(big + VG_CRYPTO_KEY_FILE_MAX - n, pem, n);
    struct vg_err *err = NULL;
    uint64_t scrypt_n = 0;
    TU_ASSERT_OK(vg_crypto_envelope_inspect(big, VG_CRYPTO_KEY_FILE_MAX, &scrypt_n, &err), err);

    big[VG_CRYPTO_KEY_FILE_MAX] = '\n';
    cr_assert_lt(vg_crypto_envelope_inspect(big, VG_CRYPTO_KEY_FILE_MAX + 1, &scrypt_n, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
}

Test(crypto_envelope, tampered_ciphertext_is_rejected)
{
    struct vg_err *err = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    vg_autosecret struct vg_secret *p = pw("pw");
    vg_autofree char *pem = NULL;
    size_t len = 0;
    TU_ASSERT_OK(vg_crypto_key_encrypt(k, p, &pem, &len, &err), err);
    /* Decode, flip one ciphertext byte, re-encode. */
    size_t jlen = 0;
    vg_autofree uint8_t *json = pem_body(pem, VG_PEM_SIGSTORE_PRIVATE, &jlen);
    char *ctpos = strstr((char *)json, "\"ciphertext\":\"");
    cr_assert_not_null(ctpos);
    ctpos += strlen("\"ciphertext\":\"") + 10;
    *ctpos = *ctpos == 'A' ? 'B' : 'A';
    vg_autofree char *bad = make_pem(VG_PEM_SIGSTORE_PRIVATE, (char *)json);
    struct vg_crypto_key *l = NULL;
    cr_assert_lt(vg_crypto_key_load_private_encrypted(&l, bad, strlen(bad), p, &err), 0);
    cr_assert(vg_err_is(err, VG_E_AUTH));
    vg_err_free(&err);
}
