/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the key file parsers of crypto/: the cosign encrypted key envelope (PEM +
 * JSON + scrypt parameter allowlist; no KDF is run, so the fuzzer is not throttled by scrypt),
 * PEM/DER public keys, PEM private keys as import-key-pair reads them, and certificates.
 */
#include <stdint.h>
#include <stdlib.h>

#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    uint64_t n = 0;
    if (vg_crypto_envelope_inspect(data, size, &n, &err) == 0 && n == 0) {
        abort(); /* an accepted envelope always names one of the allowed N */
    }
    vg_err_free(&err);

    struct vg_crypto_key *k = NULL;
    if (vg_crypto_key_load_public(&k, data, size, &err) == 0) {
        char fp[65];
        if (vg_crypto_key_fingerprint(k, fp, &err) < 0) {
            abort(); /* a loaded key must always re-encode */
        }
        vg_crypto_key_free(k);
        k = NULL;
    }
    vg_err_free(&err);

    if (vg_crypto_key_import_pem(&k, data, size, &err) == 0) {
        vg_crypto_key_free(k);
        k = NULL;
    }
    vg_err_free(&err);

    if (vg_crypto_key_from_certificate(&k, data, size, &err) == 0) {
        vg_crypto_key_free(k);
    }
    vg_err_free(&err);
    return 0;
}
