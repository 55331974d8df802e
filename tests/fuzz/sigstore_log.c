/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for Rekor proofs (sign/sigstore_log.c): the input as a signed checkpoint note
 * (log key fresh, log id from the input's first bytes, so hint matching runs), and as an
 * inclusion proof: index and size from the first 16 bytes, then 32-byte hashes, the last one
 * the expected root. Wrong sizes must fail, never read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vg_crypto_key *key;
    if (!key && (vg_crypto_init(NULL) < 0 || vg_crypto_key_generate(&key, NULL) < 0)) {
        abort();
    }
    struct vg_err *err = NULL;
    char url[] = "https://rekor.example/x";
    struct vg_sigstore_log log = {.key = key, .base_url = url};
    memcpy(log.id, data, size < 32 ? size : 32);
    struct vg_sigstore_checkpoint cp;
    if (vg_sigstore_checkpoint_verify(&cp, (const char *)data, size, &log, &err) == 0) {
        abort(); /* nothing here is signed by the fresh key */
    }
    vg_err_free(&err);
    if (size >= 16 + 32 + 32) {
        uint64_t index = be64(data), tsize = be64(data + 8);
        size_t n = (size - 16) / 32 - 2;
        uint8_t(*copy)[32] = n ? malloc(n * 32) : NULL;
        if (n) {
            memcpy(copy, data + 16 + 32, n * 32);
        }
        uint8_t leaf[32], root[32];
        memcpy(leaf, data + 16, 32);
        memcpy(root, data + 16 + 32 + n * 32, 32);
        if (vg_sigstore_merkle_verify(index, tsize, leaf, (const uint8_t(*)[32])copy, n, root,
                                      &err) < 0) {
            vg_err_free(&err);
        }
        free(copy);
    }
    return 0;
}
