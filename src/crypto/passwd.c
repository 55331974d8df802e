/* SPDX-License-Identifier: Apache-2.0
 *
 * Password hashes and keyed hashes for servers: bcrypt verification through libxcrypt's
 * crypt_rn (the registry's htpasswd entries), and a keyed BLAKE2b hash (libsodium) that lets a
 * caller remember "this user/password pair verified" without keeping the password; HMAC-SHA256
 * for webhook signatures. Which hash
 * prefixes a file format admits, caching and reloading are the caller's business (registry/).
 */
#include "crypto.h"

#include <crypt.h>
#include <string.h>

#include <sodium.h>

bool
vg_crypto_bcrypt_hash_valid(const char *hash)
{
    /* $2?$NN$ + 22 salt + 31 hash characters of bcrypt's own base64 alphabet. */
    static const char alpha[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    if (strlen(hash) != VG_CRYPTO_BCRYPT_LEN || hash[0] != '$' || hash[1] != '2' ||
        (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$' || hash[6] != '$') {
        return false;
    }
    if (hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9') {
        return false;
    }
    unsigned cost = (unsigned)(hash[4] - '0') * 10u + (unsigned)(hash[5] - '0');
    if (cost < 4 || cost > 31) {
        return false;
    }
    for (size_t i = 7; i < VG_CRYPTO_BCRYPT_LEN; i++) {
        if (!memchr(alpha, hash[i], sizeof(alpha) - 1)) {
            return false;
        }
    }
    return true;
}

int
vg_crypto_bcrypt_verify(const char *hash, const void *password, size_t len, bool *match,
                        struct vg_err **err)
{
    if (!vg_crypto_bcrypt_hash_valid(hash)) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "not a bcrypt hash");
    }
    if (len > VG_CRYPTO_PASSWORD_MAX || memchr(password, '\0', len)) {
        /* crypt() takes a C string: a NUL inside would silently shorten the password. */
        *match = false;
        return 0;
    }
    struct vg_secret *phrase = vg_secret_new(password, len);
    /* struct crypt_data is ~32 KiB: too big for a server thread's stack, and it ends up
     * holding key schedule material, so it lives in guarded memory that is wiped on free. */
    struct vg_secret *scratch = vg_secret_alloc(sizeof(struct crypt_data));
    const char *out =
        crypt_rn((const char *)phrase->data, hash, scratch->data, (int)sizeof(struct crypt_data));
    bool ok = out && out[0] != '*' && strlen(out) == VG_CRYPTO_BCRYPT_LEN;
    *match = ok && vg_crypto_memeq(out, hash, VG_CRYPTO_BCRYPT_LEN);
    vg_secret_free(scratch);
    vg_secret_free(phrase);
    if (!ok) {
        return vg_err_set(err, VG_E_INTERNAL, "bcrypt verification failed in libcrypt");
    }
    return 0;
}

void
vg_crypto_random(void *buf, size_t n)
{
    if (sodium_init() < 0) {
        abort();
    }
    randombytes_buf(buf, n);
}

void
vg_crypto_hmac_sha256(uint8_t out[VG_CRYPTO_HMAC_SHA256_BYTES], const void *key, size_t keylen,
                      const void *data, size_t len)
{
    crypto_auth_hmacsha256_state st;
    if (sodium_init() < 0 || crypto_auth_hmacsha256_init(&st, key, keylen) != 0 ||
        crypto_auth_hmacsha256_update(&st, data, len) != 0 ||
        crypto_auth_hmacsha256_final(&st, out) != 0) {
        abort();
    }
    sodium_memzero(&st, sizeof(st));
}

void
vg_crypto_keyed_hash(uint8_t out[VG_CRYPTO_KEYED_HASH_BYTES],
                     const uint8_t key[VG_CRYPTO_KEYED_HASH_KEY_BYTES], const struct vg_str *parts,
                     size_t nparts)
{
    crypto_generichash_state st;
    if (crypto_generichash_init(&st, key, VG_CRYPTO_KEYED_HASH_KEY_BYTES,
                                VG_CRYPTO_KEYED_HASH_BYTES) != 0) {
        abort();
    }
    for (size_t i = 0; i < nparts; i++) {
        /* Each part is length-prefixed so ("ab","c") and ("a","bc") hash differently. */
        uint8_t le[8];
        uint64_t n = parts[i].len;
        for (size_t b = 0; b < sizeof(le); b++) {
            le[b] = (uint8_t)(n >> (8 * b));
        }
        crypto_generichash_update(&st, le, sizeof(le));
        if (parts[i].len) {
            crypto_generichash_update(&st, (const uint8_t *)parts[i].ptr, parts[i].len);
        }
    }
    crypto_generichash_final(&st, out, VG_CRYPTO_KEYED_HASH_BYTES);
    sodium_memzero(&st, sizeof(st));
}
