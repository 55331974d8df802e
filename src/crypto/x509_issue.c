/* SPDX-License-Identifier: Apache-2.0
 *
 * Issuing X.509 certificates: a self-signed CA and the server certificates it signs, for
 * `vigil admit manifests` (the webhook's serving certificate and the caBundle the apiserver
 * checks it against). X.509 v3, SHA-256 signatures, a random positive 128-bit serial, validity
 * from one hour ago (clock skew) for the given number of days. A CA gets basicConstraints
 * CA:TRUE (critical, pathlen 0) and keyUsage keyCertSign, cRLSign; a server certificate
 * basicConstraints CA:FALSE, keyUsage digitalSignature (critical), extendedKeyUsage
 * serverAuth and its DNS names as subjectAltName (the apiserver checks the SAN, never the CN).
 */
#include "crypto_int.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#define ISSUE_SKEW_S   3600L
#define ISSUE_DAYS_MAX 36500u
#define ISSUE_SERIAL_B 16u
#define ISSUE_NAME_MAX 253u
#define ISSUE_SANS_MAX 16u

static int
fail(struct vg_err **err, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char buf[256] = "";
    if (e) {
        ERR_error_string_n(e, buf, sizeof buf);
    }
    ERR_clear_error();
    return vg_err_set(err, VG_E_INTERNAL, "issue certificate: %s%s%s", what, *buf ? ": " : "", buf);
}

static bool
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext) {
        return false;
    }
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* A DNS name as a SAN may hold: letters, digits, '-', '.', and a leading "*." */
static bool
dns_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ISSUE_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || (c == '*' && i == 0 && s[1] == '.');
        if (!ok) {
            return false;
        }
    }
    return true;
}

static bool
set_serial(X509 *cert)
{
    uint8_t raw[ISSUE_SERIAL_B];
    vg_crypto_random(raw, sizeof raw);
    raw[0] = (uint8_t)((raw[0] & 0x7f) | 0x40); /* positive, full length */
    BIGNUM *bn = BN_bin2bn(raw, (int)sizeof raw, NULL);
    bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
    BN_free(bn);
    return ok;
}

static int
check_opts(const struct vg_x509_issue_opts *o, struct vg_err **err)
{
    if (!o->key || !vg_crypto_key_is_private(o->signer ? o->signer : o->key)) {
        return vg_err_set(err, VG_E_USAGE, "issue certificate: the signing key must be private");
    }
    if (!o->cn || !*o->cn || strlen(o->cn) > 64) {
        return vg_err_set(err, VG_E_USAGE,
                          "issue certificate: the common name must be 1 to 64 "
                          "bytes");
    }
    if (o->days == 0 || o->days > ISSUE_DAYS_MAX) {
        return vg_err_set(err, VG_E_USAGE, "issue certificate: validity must be 1 to %u days",
                          ISSUE_DAYS_MAX);
    }
    if (o->ndns > ISSUE_SANS_MAX || (o->ca && o->ndns)) {
        return vg_err_set(err, VG_E_USAGE, "issue certificate: at most %u DNS names, none on a CA",
                          ISSUE_SANS_MAX);
    }
    for (size_t i = 0; i < o->ndns; i++) {
        if (!dns_name_ok(o->dns[i])) {
            vg_autofree char *esc = vg_escape(o->dns[i], strlen(o->dns[i]), 80);
            return vg_err_set(err, VG_E_USAGE, "issue certificate: '%s' is not a DNS name", esc);
        }
    }
    if (!o->ca && (!o->signer || !o->issuer)) {
        return vg_err_set(err, VG_E_USAGE,
                          "issue certificate: a server certificate needs the "
                          "issuing CA and its key");
    }
    return 0;
}

/* The extensions of o (issuer NULL: self-signed). */
static bool
add_exts(X509 *cert, X509 *issuer, const struct vg_x509_issue_opts *o)
{
    X509 *iss = issuer ? issuer : cert;
    if (o->ca) {
        return add_ext(cert, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
               add_ext(cert, iss, NID_key_usage, "critical,keyCertSign,cRLSign") &&
               add_ext(cert, iss, NID_subject_key_identifier, "hash") &&
               add_ext(cert, iss, NID_authority_key_identifier, "keyid:always");
    }
    char *san = vg_strdup("");
    for (size_t i = 0; i < o->ndns; i++) {
        char *next = vg_fmt("%s%sDNS:%s", san, i ? "," : "", o->dns[i]);
        free(san);
        san = next;
    }
    bool ok = add_ext(cert, iss, NID_basic_constraints, "critical,CA:FALSE") &&
              add_ext(cert, iss, NID_key_usage, "critical,digitalSignature") &&
              add_ext(cert, iss, NID_ext_key_usage, "serverAuth") &&
              add_ext(cert, iss, NID_subject_key_identifier, "hash") &&
              add_ext(cert, iss, NID_authority_key_identifier, "keyid:always") &&
              (o->ndns == 0 || add_ext(cert, iss, NID_subject_alt_name, san));
    free(san);
    return ok;
}

int
vg_x509_issue(char **pem, const struct vg_x509_issue_opts *o, struct vg_err **err)
{
    int rc = check_opts(o, err);
    if (rc < 0) {
        return rc;
    }
    X509 *issuer = NULL;
    if (!o->ca) {
        size_t dlen = 0;
        const uint8_t *der = vg_x509_der(o->issuer, &dlen);
        issuer = d2i_X509(NULL, &der, (long)dlen);
        if (!issuer) {
            return fail(err, "read the issuing CA");
        }
    }
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    const struct vg_crypto_key *signer = o->signer ? o->signer : o->key;
    bool ok = cert && name && X509_set_version(cert, X509_VERSION_3) && set_serial(cert) &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)o->cn,
                                         -1, -1, 0) &&
              X509_set_subject_name(cert, name) &&
              X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name) &&
              X509_gmtime_adj(X509_getm_notBefore(cert), -ISSUE_SKEW_S) &&
              X509_time_adj_ex(X509_getm_notAfter(cert), (int)o->days, 0, NULL) &&
              X509_set_pubkey(cert, o->key->pkey) && add_exts(cert, issuer, o) &&
              X509_sign(cert, signer->pkey, EVP_sha256()) > 0;
    if (!ok) {
        rc = fail(err, o->ca ? "build the CA certificate" : "build the server certificate");
    } else {
        BIO *bio = BIO_new(BIO_s_mem());
        char *p = NULL;
        long n = 0;
        if (!bio || !PEM_write_bio_X509(bio, cert) || (n = BIO_get_mem_data(bio, &p)) <= 0) {
            rc = fail(err, "encode the certificate as PEM");
        } else {
            *pem = vg_strndup(p, (size_t)n);
        }
        BIO_free(bio);
    }
    X509_NAME_free(name);
    X509_free(cert);
    X509_free(issuer);
    return rc;
}
