/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for Sigstore bundles (sign/sigstore_bundle.c) and the verifier behind them
 * (sign/sigstore_verify.c, sigstore_log.c): a parsed bundle is verified against a root whose
 * one Rekor log has the first entry's log id and a fresh key, so the entry body checks, the
 * SET, the Merkle proof and the checkpoint parser all run on fuzzed data. Nothing random can
 * verify (the key is fresh), so success aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vg_crypto_key *key;
    if (!key && (vg_crypto_init(NULL) < 0 || vg_crypto_key_generate(&key, NULL) < 0)) {
        abort();
    }
    struct vg_err *err = NULL;
    struct vg_sigstore_bundle *b = NULL;
    if (vg_sigstore_bundle_parse(&b, data, size, &err) < 0) {
        vg_err_free(&err);
        return 0;
    }
    if (!b->sig || b->siglen == 0 || (!b->has_key && b->ncerts == 0) ||
        (b->dsse && !b->payload_type)) {
        abort(); /* the parser's guarantees */
    }
    char url[] = "";
    struct vg_sigstore_log log = {.key = key, .base_url = url};
    if (b->nentries) {
        memcpy(log.id, b->entries[0].log_id, 32);
    }
    struct vg_sigstore_root root = {.tlogs = &log, .ntlogs = 1};
    struct vg_sigstore_policy p = {.identity = "a", .issuer = "b"};
    if (b->has_key) {
        p = (struct vg_sigstore_policy){.key = key};
    }
    struct vg_sigstore_artifact a = {.data = data, .len = size};
    struct vg_sigstore_result res;
    if (vg_sigstore_verify(&res, b, &root, &p, &a, &err) == 0) {
        abort();
    }
    vg_err_free(&err);
    vg_sigstore_bundle_free(b);
    return 0;
}
