/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations shared by the crypto/ files: the key struct and the PEM and key
 * classification helpers. Nothing outside src/crypto includes this.
 */
#ifndef VG_CRYPTO_INT_H
#define VG_CRYPTO_INT_H

/* core_dep puts src/core on the include path, so a system header's <limits.h> resolves to
 * core/limits.h and INT_MAX (needed by <openssl/err.h>) goes missing. Reported to the lead;
 * until core's include directory changes, supply the compiler's own value. */
#ifndef INT_MAX
#define INT_MAX __INT_MAX__
#endif

#include <openssl/evp.h>

#include "crypto.h"

struct vg_crypto_key {
    EVP_PKEY *pkey;
    enum vg_key_type type;
    bool priv;
    char *desc; /* "ECDSA P-256", "RSA 2048", "Ed25519"; owned */
};

/* The first PEM block in data: its label and decoded body. *body is OpenSSL memory, released
 * with OPENSSL_clear_free(body, bodylen) because it may hold a private key. "invalid pem
 * block" (VG_E_PARSE) when there is none or it does not decode. */
int vg_crypto__pem_first(const void *data, size_t len, char **label, uint8_t **body,
                         size_t *bodylen, struct vg_err **err);

/* Wraps pkey (taking ownership, also on failure) after checking the allowlist: RSA 2048..4096,
 * ECDSA P-256/P-384/P-521, Ed25519. */
int vg_crypto__key_wrap(struct vg_crypto_key **out, EVP_PKEY *pkey, bool priv, struct vg_err **err);

/* Parses PKCS#8 DER (the whole input) into a checked private key. */
int vg_crypto__key_from_pkcs8(struct vg_crypto_key **out, const uint8_t *der, size_t len,
                              struct vg_err **err);

#endif
