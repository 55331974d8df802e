/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the DSSE envelope parser of sign/, followed by PAE construction over what
 * was parsed (the bytes a verifier would hash).
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
    struct vg_dsse_envelope *e = NULL;
    if (vg_sign_dsse_parse(&e, data, size, &err) == 0) {
        if (e->nsigs == 0 || e->nsigs > VG_SIGN_DSSE_MAX_SIGS ||
            e->payload_len > VG_LIMIT_PAYLOAD_BYTES || e->payload[e->payload_len] != '\0') {
            abort(); /* the parser's guarantees */
        }
        struct vg_buf pae = VG_BUF_INIT(VG_SIGN_ENVELOPE_MAX);
        if (vg_sign_dsse_pae(&pae, e->payload_type, e->payload, e->payload_len, &err) == 0 &&
            pae.len < e->payload_len) {
            abort();
        }
        vg_buf_dispose(&pae);
        vg_sign_dsse_free(e);
    }
    vg_err_free(&err);
    return 0;
}
