/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the keyless evidence of a legacy `.sig` layer (sign/keyless.c): the input is
 * split at NUL bytes into the certificate annotation (PEM or DER), the Rekor bundle annotation
 * (JSON with a base64 entry body) and the RFC 3161 annotation; any input converts into a
 * bundle or fails with an error, never crashes or leaks; the same annotations also as a key
 * signature's Rekor evidence (vg_sign_key_legacy_bundle).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 3);
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = buf[size + 2] = '\0';
    const char *cert = buf;
    const char *rekor = cert + strlen(cert) + 1;
    if (rekor > buf + size) {
        rekor = buf + size + 1;
    }
    const char *ts = rekor + strlen(rekor) + 1;
    if (ts > buf + size + 1) {
        ts = buf + size + 2;
    }
    struct vg_sign_kv ann[] = {
        {VG_SIGN_ANN_SIGNATURE, "MEUCIQDx"},
        {VG_SIGN_ANN_CERTIFICATE, cert},
        {VG_SIGN_ANN_BUNDLE, rekor},
        {VG_SIGN_ANN_RFC3161, ts},
    };
    char mt[] = VG_SIGN_MT_SIMPLESIGNING;
    struct vg_sign_sig_entry e = {.media_type = mt, .annotations = ann, .nannotations = 4};
    struct vg_err *err = NULL;
    struct vg_sigstore_bundle *b = NULL;
    if (vg_sign_keyless_legacy_bundle(&b, &e, (const uint8_t *)"{}", 2, NULL, &err) == 0) {
        if (b->ncerts != 1 || b->nentries > 1 || (b->nentries && !b->entries[0].body)) {
            abort();
        }
        vg_sigstore_bundle_free(b);
    }
    vg_err_free(&err);
    /* the same annotations as a key signature's Rekor evidence (certificate not read) */
    b = NULL;
    if (vg_sign_key_legacy_bundle(&b, &e, (const uint8_t *)"{}", 2, &err) == 0) {
        if (!b->has_key || b->ncerts != 0 || b->nentries != 1 || !b->entries[0].body) {
            abort();
        }
        vg_sigstore_bundle_free(b);
    }
    vg_err_free(&err);
    free(buf);
    return 0;
}
