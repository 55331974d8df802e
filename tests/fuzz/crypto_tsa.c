/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the RFC 3161 client's response check (crypto/tsa.c): the input as a DER
 * TimeStampResp from a timestamp authority, checked against data and a nonce it cannot hold
 * (so it must never pass), as its genTime (vg_x509_tsr_time) and as the token a Notary
 * envelope would carry (vg_tsa_response_token).
 */
#include <stdint.h>
#include <stdlib.h>

#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char sig[] = "a signature no seed timestamps";
    struct vg_err *err = NULL;
    if (vg_tsa_response_check(data, size, 0x1234567890abcdefull, sig, sizeof(sig), &err) == 0) {
        abort(); /* no input holds this nonce and imprint */
    }
    vg_err_free(&err);
    int64_t t = 0;
    if (vg_x509_tsr_time(&t, data, size, &err) < 0) {
        vg_err_free(&err);
    }
    struct vg_buf tok = VG_BUF_INIT(VG_X509_DER_MAX);
    if (vg_tsa_response_token(&tok, data, size, &err) < 0) {
        vg_err_free(&err);
        if (tok.len) {
            abort(); /* nothing appended on failure */
        }
    }
    vg_buf_dispose(&tok);
    return 0;
}
