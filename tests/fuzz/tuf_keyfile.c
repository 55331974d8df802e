/* SPDX-License-Identifier: Apache-2.0
 *
 * Docker Content Trust key files (tuf/keystore.c): PEM framing with `role`/`gun` headers and
 * the PKCS#8 EncryptedPrivateKeyInfo parameters (crypto/pkcs8.c), and the legacy EC/RSA PRIVATE
 * KEY blocks with Proc-Type/DEK-Info encryption. A file that parses is also
 * decrypted with a fixed passphrase when its iteration count is small, so the decryption and
 * key loading paths see hostile bytes too without the fuzzer stalling on key derivation.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tuf/tuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
pass_fn(struct vg_secret **out, const char *role, const char *keyid, bool create, void *payload,
        struct vg_err **err)
{
    (void)role, (void)keyid, (void)create, (void)payload, (void)err;
    *out = vg_secret_new("pw", 2);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_tuf_keyfile kf;
    struct vg_err *err = NULL;
    if (vg_tuf_keyfile_parse(&kf, data, size, &err) == 0) {
        uint64_t iter = 0;
        bool cheap =
            !kf.encrypted || kf.legacy || /* legacy PEM encryption: one MD5 round */
            (vg_crypto_pkcs8_inspect(kf.der->data, kf.der->len, &iter, &err) == 0 && iter <= 4096);
        vg_err_free(&err);
        struct vg_tuf_pass pass = {pass_fn, NULL};
        struct vg_crypto_key *k = NULL;
        if (cheap && vg_tuf_keyfile_key(&k, &kf, "fuzz", &pass, &err) == 0) {
            vg_crypto_key_free(k);
        }
        vg_tuf_keyfile_dispose(&kf);
    }
    vg_err_free(&err);
    return 0;
}
