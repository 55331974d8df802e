/* SPDX-License-Identifier: Apache-2.0
 *
 * The cosign encrypted private key file (cosign-format.md §1.1): a PEM block labelled
 * `ENCRYPTED SIGSTORE PRIVATE KEY` (or the legacy `ENCRYPTED COSIGN PRIVATE KEY`) whose body is
 * compact JSON {kdf: scrypt N/r/p + 32-byte salt, cipher: nacl/secretbox + 24-byte nonce,
 * ciphertext} over PKCS#8 DER. Reading accepts exactly the three scrypt parameter sets of
 * go-securesystemslib (anything else could make us burn gigabytes of memory on an attacker's
 * file); writing uses the standard set and fresh randomness. Interpreting the plaintext as a
 * key is key.c's job.
 */
#include "crypto_int.h"

#include <string.h>

#include <openssl/crypto.h>
#include <sodium.h>

#define KEY_BYTES crypto_secretbox_KEYBYTES

struct envelope {
    uint64_t n;
    uint8_t salt[VG_SCRYPT_SALT_BYTES];
    uint8_t nonce[crypto_secretbox_NONCEBYTES];
    uint8_t *ct; /* tag || ciphertext, malloc'd */
    size_t ctlen;
};

static void
envelope_dispose(struct envelope *e)
{
    free(e->ct);
    e->ct = NULL;
}

/* Decodes a base64 JSON string field into exactly `want` bytes (want 0: any length >= 1). */
static int
b64_field(const json_t *obj, const char *key, const char *where, size_t want, uint8_t **out,
          size_t *outlen, struct vg_err **err)
{
    const char *s = vg_json_str(obj, key);
    if (!s) {
        return vg_err_set(err, VG_E_PARSE, "%s.%s: missing or not a string", where, key);
    }
    uint8_t *d = NULL;
    size_t n = 0;
    if (vg_base64_decode(&d, &n, s, strlen(s), false, err) < 0) {
        return vg_err_wrap(err, "%s.%s", where, key);
    }
    if ((want && n != want) || n == 0) {
        free(d);
        return vg_err_set(err, VG_E_PARSE, "%s.%s: %zu bytes, want %zu", where, key, n, want);
    }
    *out = d;
    *outlen = n;
    return 0;
}

static int
copy_fixed(const json_t *obj, const char *key, const char *where, uint8_t *dst, size_t want,
           struct vg_err **err)
{
    uint8_t *d = NULL;
    size_t n = 0;
    int rc = b64_field(obj, key, where, want, &d, &n, err);
    if (rc < 0) {
        return rc;
    }
    memcpy(dst, d, n);
    free(d);
    return 0;
}

static int
parse_kdf(const json_t *root, struct envelope *e, struct vg_err **err)
{
    json_t *kdf = vg_json_obj(root, "kdf");
    const char *name = kdf ? vg_json_str(kdf, "name") : NULL;
    if (!name || strcmp(name, "scrypt") != 0) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "kdf.name: want \"scrypt\"");
    }
    json_t *params = vg_json_obj(kdf, "params");
    uint64_t n = 0, r = 0, p = 0;
    if (!params || !vg_json_u64(params, "N", &n) || !vg_json_u64(params, "r", &r) ||
        !vg_json_u64(params, "p", &p)) {
        return vg_err_set(err, VG_E_PARSE, "kdf.params: want integers N, r, p");
    }
    bool known_n = n == VG_SCRYPT_N_LEGACY || n == VG_SCRYPT_N_STANDARD || n == VG_SCRYPT_N_OWASP;
    if (!known_n || r != VG_SCRYPT_R || p != VG_SCRYPT_P) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "kdf.params: unsupported scrypt parameters N=%llu r=%llu p=%llu "
                          "(allowed N=32768/65536/131072 with r=8 p=1)",
                          (unsigned long long)n, (unsigned long long)r, (unsigned long long)p);
    }
    e->n = n;
    return copy_fixed(kdf, "salt", "kdf", e->salt, sizeof(e->salt), err);
}

static int
parse_json(const uint8_t *body, size_t len, struct envelope *e, struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    int rc = vg_json_parse(&root, body, len, VG_CRYPTO_KEY_FILE_MAX, "encrypted key", err);
    if (rc < 0) {
        return rc;
    }
    if (!json_is_object(root)) {
        return vg_err_set(err, VG_E_PARSE, "encrypted key: not a JSON object");
    }
    rc = parse_kdf(root, e, err);
    if (rc < 0) {
        return rc;
    }
    json_t *cipher = vg_json_obj(root, "cipher");
    const char *name = cipher ? vg_json_str(cipher, "name") : NULL;
    if (!name || strcmp(name, "nacl/secretbox") != 0) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "cipher.name: want \"nacl/secretbox\"");
    }
    rc = copy_fixed(cipher, "nonce", "cipher", e->nonce, sizeof(e->nonce), err);
    if (rc < 0) {
        return rc;
    }
    rc = b64_field(root, "ciphertext", "key", 0, &e->ct, &e->ctlen, err);
    if (rc < 0) {
        return rc;
    }
    if (e->ctlen <= crypto_secretbox_MACBYTES) {
        return vg_err_set(err, VG_E_PARSE, "ciphertext: %zu bytes is shorter than the tag",
                          e->ctlen);
    }
    return 0;
}

static int
envelope_parse(const void *pem, size_t len, struct envelope *e, struct vg_err **err)
{
    vg_autofree char *label = NULL;
    uint8_t *body = NULL;
    size_t bodylen = 0;
    int rc = vg_crypto__pem_first(pem, len, &label, &body, &bodylen, err);
    if (rc < 0) {
        return rc;
    }
    if (strcmp(label, VG_PEM_SIGSTORE_PRIVATE) != 0 && strcmp(label, VG_PEM_COSIGN_PRIVATE) != 0) {
        OPENSSL_free(body);
        vg_autofree char *esc = vg_escape(label, strlen(label), 80);
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "unsupported pem type \"%s\" (want " VG_PEM_SIGSTORE_PRIVATE
                          "; plain PEM keys must first go through import-key-pair)",
                          esc);
    }
    rc = parse_json(body, bodylen, e, err);
    OPENSSL_free(body);
    if (rc < 0) {
        envelope_dispose(e);
    }
    return rc;
}

static int
derive_key(struct vg_secret **key, const struct vg_secret *password, const uint8_t *salt,
           uint64_t n, struct vg_err **err)
{
    struct vg_secret *k = vg_secret_alloc(KEY_BYTES);
    if (crypto_pwhash_scryptsalsa208sha256_ll(password->data, password->len, salt,
                                              VG_SCRYPT_SALT_BYTES, n, VG_SCRYPT_R, VG_SCRYPT_P,
                                              k->data, KEY_BYTES) != 0) {
        vg_secret_free(k);
        return vg_err_set(err, VG_E_INTERNAL, "scrypt key derivation failed (out of memory?)");
    }
    *key = k;
    return 0;
}

int
vg_crypto_envelope_inspect(const void *pem, size_t len, uint64_t *scrypt_n, struct vg_err **err)
{
    struct envelope e = {0};
    int rc = envelope_parse(pem, len, &e, err);
    if (rc < 0) {
        return rc;
    }
    *scrypt_n = e.n;
    envelope_dispose(&e);
    return 0;
}

int
vg_crypto_envelope_decrypt(struct vg_secret **plain, const void *pem, size_t len,
                           const struct vg_secret *password, struct vg_err **err)
{
    if (vg_crypto_init(err) < 0) {
        return -VG_E_INTERNAL;
    }
    struct envelope e = {0};
    int rc = envelope_parse(pem, len, &e, err);
    if (rc < 0) {
        return rc;
    }
    vg_autosecret struct vg_secret *key = NULL;
    rc = derive_key(&key, password, e.salt, e.n, err);
    if (rc < 0 || !key) { /* derive_key sets key on success; said for -O3's flow analysis */
        envelope_dispose(&e);
        return rc < 0 ? rc : -VG_E_INTERNAL;
    }
    struct vg_secret *pt = vg_secret_alloc(e.ctlen - crypto_secretbox_MACBYTES);
    rc = crypto_secretbox_open_easy(pt->data, e.ct, e.ctlen, e.nonce, key->data);
    envelope_dispose(&e);
    if (rc != 0) {
        vg_secret_free(pt);
        return vg_err_set(err, VG_E_AUTH, "decrypt private key: wrong password or corrupt key");
    }
    *plain = pt;
    return 0;
}

int
vg_crypto_key_load_private_encrypted(struct vg_crypto_key **out, const void *pem, size_t len,
                                     const struct vg_secret *password, struct vg_err **err)
{
    vg_autosecret struct vg_secret *der = NULL;
    int rc = vg_crypto_envelope_decrypt(&der, pem, len, password, err);
    if (rc < 0) {
        return rc;
    }
    rc = vg_crypto__key_from_pkcs8(out, der->data, der->len, err);
    if (rc < 0) {
        return vg_err_wrap(err, "load private key");
    }
    return 0;
}

int
vg_crypto_key_load_private(struct vg_crypto_key **out, const void *pem, size_t len,
                           const struct vg_crypto_password *src, struct vg_err **err)
{
    uint64_t n = 0;
    int rc = vg_crypto_envelope_inspect(pem, len, &n, err);
    if (rc < 0) {
        return rc;
    }
    vg_autosecret struct vg_secret *pw = NULL;
    if ((rc = vg_crypto_password_ask(&pw, src, false, err)) < 0) {
        return rc;
    }
    return vg_crypto_key_load_private_encrypted(out, pem, len, pw, err);
}

/* Go's pem.Encode: no headers, base64 body in 64-column lines, each ending in '\n'. */
static int
pem_encode(struct vg_buf *out, const char *label, const char *b64, struct vg_err **err)
{
    if (vg_buf_appendf(out, err, "-----BEGIN %s-----\n", label) < 0) {
        return -VG_E_LIMIT;
    }
    size_t n = strlen(b64);
    for (size_t i = 0; i < n; i += 64) {
        size_t chunk = n - i < 64 ? n - i : 64;
        if (vg_buf_append(out, b64 + i, chunk, err) < 0 || vg_buf_appendc(out, '\n', err) < 0) {
            return -VG_E_LIMIT;
        }
    }
    if (vg_buf_appendf(out, err, "-----END %s-----\n", label) < 0) {
        return -VG_E_LIMIT;
    }
    return 0;
}

/* The JSON document in cosign's (Go struct) key order, compact. */
static int
envelope_json(struct vg_buf *json, const uint8_t *salt, const uint8_t *nonce, const uint8_t *ct,
              size_t ctlen, struct vg_err **err)
{
    vg_autofree char *salt64 = vg_base64_encode(salt, VG_SCRYPT_SALT_BYTES);
    vg_autofree char *nonce64 = vg_base64_encode(nonce, crypto_secretbox_NONCEBYTES);
    vg_autofree char *ct64 = vg_base64_encode(ct, ctlen);
    return vg_buf_appendf(json, err,
                          "{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":%u,\"r\":%u,\"p\":%u},"
                          "\"salt\":\"%s\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":"
                          "\"%s\"},\"ciphertext\":\"%s\"}",
                          VG_SCRYPT_N_STANDARD, VG_SCRYPT_R, VG_SCRYPT_P, salt64, nonce64, ct64);
}

int
vg_crypto_key_encrypt(const struct vg_crypto_key *key, const struct vg_secret *password, char **pem,
                      size_t *pemlen, struct vg_err **err)
{
    if (vg_crypto_init(err) < 0) {
        return -VG_E_INTERNAL;
    }
    vg_autosecret struct vg_secret *der = NULL;
    int rc = vg_crypto_key_private_pkcs8(key, &der, err);
    if (rc < 0) {
        return rc;
    }
    uint8_t salt[VG_SCRYPT_SALT_BYTES], nonce[crypto_secretbox_NONCEBYTES];
    randombytes_buf(salt, sizeof(salt));
    randombytes_buf(nonce, sizeof(nonce));
    vg_autosecret struct vg_secret *k = NULL;
    rc = derive_key(&k, password, salt, VG_SCRYPT_N_STANDARD, err);
    if (rc < 0 || !k) { /* as above */
        return rc < 0 ? rc : -VG_E_INTERNAL;
    }
    size_t ctlen = der->len + crypto_secretbox_MACBYTES;
    vg_autofree uint8_t *ct = vg_malloc(ctlen);
    crypto_secretbox_easy(ct, der->data, der->len, nonce, k->data);

    vg_autobuf struct vg_buf json = VG_BUF_INIT(VG_CRYPTO_KEY_FILE_MAX);
    vg_autobuf struct vg_buf out = VG_BUF_INIT(VG_CRYPTO_KEY_FILE_MAX);
    rc = envelope_json(&json, salt, nonce, ct, ctlen, err);
    if (rc < 0) {
        return rc;
    }
    vg_autofree char *body64 = vg_base64_encode(json.data, json.len);
    rc = pem_encode(&out, VG_PEM_SIGSTORE_PRIVATE, body64, err);
    if (rc < 0) {
        return rc;
    }
    *pem = vg_buf_take(&out, pemlen);
    return 0;
}
