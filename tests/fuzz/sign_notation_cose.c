/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the COSE_Sign1 (CBOR) envelope of Notary Project signatures:
 * vg_notation_envelope_open parses, checks the chain and the signature, then the payload.
 * The seeds are envelopes vigil signed, so mutations reach every stage.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sign/notation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_err *err = NULL;
    struct vg_notation_envelope *e = NULL;
    if (vg_notation_envelope_open(&e, VG_NOTATION_MT_COSE, data, size, &err) == 0) {
        if (e->nchain == 0 || e->nchain > VG_X509_CHAIN_MAX || !e->target_media_type ||
            e->alg == VG_CRYPTO_ALG_NONE) {
            abort(); /* the parser's guarantees */
        }
        vg_notation_envelope_free(e);
    }
    vg_err_free(&err);
    return 0;
}
