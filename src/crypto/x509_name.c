/* SPDX-License-Identifier: Apache-2.0
 *
 * The subject common name of a certificate, for Notary v1's rule that a repository's root
 * certificates name the repository (CN = GUN). Chains, validity and extensions are x509.c's.
 */
#include "crypto_int.h"

#include <openssl/err.h>
#include <openssl/x509.h>

int
vg_x509_subject_cn(char **out, const struct vg_x509 *c, struct vg_err **err)
{
    size_t len = 0;
    const uint8_t *der = vg_x509_der(c, &len);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "certificate: invalid DER");
    }
    X509_NAME *name = X509_get_subject_name(x);
    int idx = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
    unsigned char *utf8 = NULL;
    int n = -1;
    if (idx >= 0) {
        n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
    }
    X509_free(x);
    ERR_clear_error();
    if (n < 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "certificate: no subject common name");
    }
    if (memchr(utf8, '\0', (size_t)n)) {
        OPENSSL_free(utf8);
        return vg_err_set(err, VG_E_PARSE, "certificate: common name holds a NUL byte");
    }
    *out = vg_strndup((const char *)utf8, (size_t)n);
    OPENSSL_free(utf8);
    return 0;
}
