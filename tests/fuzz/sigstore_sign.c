/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for keyless signing's parsers (sign/sigstore_sign.c): the input as a Fulcio v2
 * signingCert response (and the leaf checked against a fresh key, which it never certifies; a
 * detached SCT parsed and checked against no CT log),
 * as a Rekor v1 log entry response (the entry checked, as hashedrekord and as dsse/intoto,
 * against a digest, envelope, signature and certificate it cannot be about, then rendered as a
 * bundle and a legacy annotation), and as an OIDC identity token.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"
#include "sign/sigstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vg_crypto_key *key;
    if (!key && (vg_crypto_init(NULL) < 0 || vg_crypto_key_generate(&key, NULL) < 0)) {
        abort();
    }
    struct vg_err *err = NULL;
    struct vg_fulcio_cert *c = NULL;
    if (vg_fulcio_response_parse(&c, data, size, &err) == 0) {
        if (vg_fulcio_cert_check(c, key, &err) == 0) {
            abort(); /* the fresh key was never certified */
        }
        vg_err_free(&err);
        if (c->sct &&
            vg_x509_sct_detached_verify(c->certs[0], c->sct, c->sctlen, NULL, 0, &err) == 0) {
            abort(); /* no CT log to verify it with */
        }
        vg_fulcio_cert_free(c);
    }
    vg_err_free(&err);

    struct vg_sigstore_tlog_entry e;
    if (vg_rekor_response_parse(&e, data, size, &err) == 0) {
        uint8_t digest[32] = {1};
        uint8_t sig[8] = {2};
        if (vg_rekor_entry_check(&e, digest, sig, sizeof(sig), "not a certificate", &err) == 0) {
            abort(); /* no input holds this made-up signature */
        }
        vg_err_free(&err);
        if (vg_rekor_dsse_entry_check(&e, "{}", "statement", 9, sig, sizeof(sig),
                                      "not a certificate", &err) == 0) {
            abort(); /* nor a dsse/intoto entry of it */
        }
        vg_err_free(&err);
        struct vg_buf out = VG_BUF_INIT(1u << 22);
        if (vg_rekor_legacy_bundle(&out, &e, &err) < 0) {
            vg_err_free(&err);
        }
        vg_buf_dispose(&out);
        vg_sigstore_tlog_entry_dispose(&e);
    }
    vg_err_free(&err);

    char *tok = malloc(size + 1);
    memcpy(tok, data, size);
    tok[size] = '\0';
    char *sub = NULL, *iss = NULL;
    if (vg_sigstore_token_claims(&sub, &iss, tok, &err) == 0 && (!sub || !iss)) {
        abort();
    }
    vg_err_free(&err);
    free(sub);
    free(iss);
    free(tok);
    return 0;
}
