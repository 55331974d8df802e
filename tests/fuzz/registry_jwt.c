/* SPDX-License-Identifier: Apache-2.0
 *
 * Compact JWTs into the parser and the verifier (with a fixed fresh key: every input fails
 * the signature or earlier, which is the point: nothing before it may crash).
 */
#include "registry/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vg_auth_signer s;
    static bool ready;
    struct vg_err *err = NULL;
    if (!ready) {
        struct vg_crypto_key *k = NULL;
        if (vg_crypto_key_generate(&k, &err) < 0 || vg_auth_signer_init(&s, k, &err) < 0) {
            abort();
        }
        ready = true;
    }
    struct vg_auth_claims c = {0};
    char *alg = NULL, *kid = NULL;
    if (vg_auth_jwt_parse(&c, &alg, &kid, (const char *)data, size, &err) == 0) {
        vg_auth_claims_dispose(&c);
        free(alg);
        free(kid);
    }
    vg_err_free(&err);
    if (vg_auth_jwt_verify(&c, &s, (const char *)data, size, "iss", "svc", 1700000000, &err) == 0) {
        vg_auth_claims_dispose(&c);
    }
    vg_err_free(&err);
    return 0;
}
