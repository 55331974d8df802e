/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the revocation glue (crypto/x509_revoke.c): the input, after a selector byte,
 * as an OCSP response or a CRL about a fixed self-signed certificate (OpenSSL decodes; the
 * harness drives what vigil does with the result: statuses, times, extensions, signer check),
 * and as a certificate whose OCSP and CRL locations are read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vg_x509 *self;
    if (!self) {
        struct vg_crypto_key *key = NULL;
        uint8_t *der = NULL;
        size_t len = 0;
        if (vg_crypto_init(NULL) < 0 || vg_crypto_key_generate(&key, NULL) < 0 ||
            vg_x509_self_signed_new(&der, &len, key, "fuzz", 1600000000, 2600000000, NULL) < 0 ||
            vg_x509_parse(&self, der, len, NULL) < 0) {
            abort();
        }
        free(der);
        vg_crypto_key_free(key);
    }
    if (size < 1) {
        return 0;
    }
    struct vg_err *err = NULL;
    struct vg_x509_revocation_status st;
    const uint8_t *body = data + 1;
    size_t blen = size - 1;
    if (data[0] & 1) {
        /* The fresh key signed nothing the fuzzer can produce: no answer may verify. */
        if (vg_x509_ocsp_check(&st, body, blen, self, self, 1700000000, &err) == 0) {
            abort();
        }
    } else if (vg_x509_crl_check(&st, body, blen, self, self, 1700000000, &err) == 0) {
        abort();
    }
    vg_err_free(&err);
    struct vg_x509 *c = NULL;
    if (vg_x509_parse(&c, body, blen, &err) == 0) {
        char **o = NULL, **l = NULL;
        size_t no = 0, nl = 0;
        if (vg_x509_revocation_urls(&o, &no, &l, &nl, c, &err) == 0) {
            vg_strv_free(o, no);
            vg_strv_free(l, nl);
        }
        vg_x509_free(c);
    }
    vg_err_free(&err);
    return 0;
}
