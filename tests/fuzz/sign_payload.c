/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the simple-signing payload parser and the in-toto statement parser of
 * sign/ (both read attacker-supplied layer blobs after, and only after, a signature check).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    struct vg_sign_payload *p = NULL;
    if (vg_sign_payload_parse(&p, data, size, &err) == 0) {
        struct vg_digest d;
        vg_digest_of(&d, VG_DIGEST_SHA256, data, size);
        const struct vg_sign_kv want = {"k", "v"};
        if (vg_sign_payload_check_claims(p, &d, &want, 1, &err) == 0 &&
            strcmp(p->manifest_digest, d.text) != 0) {
            abort(); /* claims passed with a different digest */
        }
        vg_sign_payload_free(p);
    }
    vg_err_free(&err);

    struct vg_sign_statement *st = NULL;
    if (vg_sign_statement_parse(&st, data, size, &err) == 0) {
        if (vg_sign_statement_check(st, NULL, "custom", &err) < 0) {
            vg_err_free(&err);
        }
        vg_sign_statement_free(st);
    }
    vg_err_free(&err);
    return 0;
}
