/* SPDX-License-Identifier: Apache-2.0
 *
 * Fuzz harness for the X.509 glue (crypto/x509.c): the input as a certificate (DER or PEM)
 * with its names, extensions, validity, key, its SCT list checked against a CT log of a fresh
 * key, and a chain built with itself as the anchor; and as an RFC 3161 timestamp response.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vg_crypto_key *key;
    if (!key && (vg_crypto_init(NULL) < 0 || vg_crypto_key_generate(&key, NULL) < 0)) {
        abort();
    }
    struct vg_err *err = NULL;
    struct vg_x509 *c = NULL;
    if (vg_x509_parse(&c, data, size, &err) == 0) {
        char **sans = NULL;
        size_t n = 0;
        if (vg_x509_sans(&sans, &n, c, &err) == 0) {
            vg_strv_free(sans, n);
        }
        vg_err_free(&err);
        uint8_t *v = NULL;
        size_t vl = 0;
        if (vg_x509_ext(&v, &vl, c, "1.3.6.1.4.1.57264.1.8", &err) >= 0) {
            free(v);
        }
        vg_err_free(&err);
        int64_t nb, na;
        if (vg_x509_validity(c, &nb, &na, &err) < 0) {
            vg_err_free(&err);
        }
        struct vg_crypto_key *k = NULL;
        if (vg_x509_public_key(&k, c, &err) == 0) {
            vg_crypto_key_free(k);
        }
        vg_err_free(&err);
        (void)vg_x509_self_signed(c);
        (void)vg_x509_eku_code_signing(c);
        struct vg_x509_ctlog log = {.key = key};
        size_t good = 0;
        if (vg_x509_sct_verify(&good, c, c, &log, 1, &err) == 0) {
            abort(); /* no SCT can be signed by the fresh key */
        }
        vg_err_free(&err);
        struct vg_x509 *issuer = NULL;
        if (vg_x509_chain_verify(&issuer, c, &c, 1, 1700000000, &err) < 0) {
            vg_err_free(&err);
        }
        vg_x509_free(c);
    }
    vg_err_free(&err);
    int64_t t;
    if (vg_x509_tsr_time(&t, data, size, &err) < 0) {
        vg_err_free(&err);
    }
    return 0;
}
