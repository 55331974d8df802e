/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for cosign 3 bundles (sign/bundle.c, sign/blobbundle.c): the image bundle parser
 * (and the DSSE envelope inside it), the blob (messageSignature) bundle parser and its verifier,
 * then the referrers fallback-index updater with the input as the existing index.
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
    struct vg_sign_bundle *b = NULL;
    if (vg_sign_bundle_parse(&b, data, size, &err) == 0) {
        if (!b->envelope || !b->envelope_json || b->envelope->nsigs == 0 ||
            b->envelope->payload[b->envelope->payload_len] != '\0') {
            abort(); /* the parser's guarantees */
        }
        vg_sign_bundle_free(b);
    }
    vg_err_free(&err);
    struct vg_sign_blob_bundle *bb = NULL;
    if (vg_sign_blob_bundle_parse(&bb, data, size, &err) == 0) {
        if (!bb->media_type || !bb->sig || bb->siglen == 0) {
            abort();
        }
        static struct vg_crypto_key *key;
        if (!key && (vg_crypto_init(NULL) < 0 || vg_crypto_key_generate(&key, NULL) < 0)) {
            abort();
        }
        if (vg_sign_blob_bundle_verify(bb, key, data, size, &err) == 0) {
            abort(); /* a random input cannot carry our fresh key's signature */
        }
        vg_sign_blob_bundle_free(bb);
    }
    vg_err_free(&err);
    static const char m[] = "{\"schemaVersion\":2,\"annotations\":{\"k\":\"v\"}}";
    struct vg_buf out = VG_BUF_INIT(VG_LIMIT_MANIFEST_BYTES);
    bool added = false;
    if (size > 0 &&
        vg_sign_referrers_index_add(&out, data, size, m, sizeof(m) - 1, "t", &added, &err) == 0 &&
        out.len == 0) {
        abort();
    }
    vg_buf_dispose(&out);
    vg_err_free(&err);
    return 0;
}
