/* SPDX-License-Identifier: Apache-2.0
 *
 * Certificate revocation material for the Notary Project's revocation check
 * (trust-store-trust-policy.md "Certificate Revocation Evaluation"): the OCSP and CRL
 * locations a certificate names, the OCSP request for it, and the verdict of an OCSP response
 * (RFC 6960) or a CRL (RFC 5280 §5) about it. Every structure is decoded and checked by
 * OpenSSL (d2i_OCSP_RESPONSE, OCSP_basic_verify, d2i_X509_CRL, X509_CRL_verify); this file
 * only decides what the results mean. Fetching the responses, the order of the methods and what
 * an unavailable answer means belong to the caller (sign/notation_revoke.c).
 */
#include "crypto_int.h"

#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/* Clock skew allowed on thisUpdate (a responder whose clock runs a little ahead). */
#define REVOKE_SKEW_S 300

static X509 *
cert_of(const struct vg_x509 *c)
{
    size_t len = 0;
    const unsigned char *p = vg_x509_der(c, &len);
    X509 *x = d2i_X509(NULL, &p, (long)len);
    ERR_clear_error();
    return x;
}

static int
time_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
        return -1;
    }
    *out = (int64_t)timegm(&tm);
    return 0;
}

static void
url_push(char ***v, size_t *n, const GENERAL_NAME *gn)
{
    if (!gn || gn->type != GEN_URI || *n >= VG_X509_REVOCATION_URLS_MAX) {
        return;
    }
    const ASN1_IA5STRING *s = gn->d.uniformResourceIdentifier;
    size_t len = (size_t)ASN1_STRING_length(s);
    const char *p = (const char *)ASN1_STRING_get0_data(s);
    /* Only plain-HTTP locations are fetched (the specification's "only HTTP CRL URLs"; OCSP
     * over HTTPS would need revocation checking of its own TLS chain). */
    if (len < 8 || len > 2048 || memchr(p, '\0', len) || strncasecmp(p, "http://", 7) != 0) {
        return;
    }
    vg_autofree char *url = vg_strndup(p, len); /* vg_strv_push copies */
    vg_strv_push(v, n, url);
}

int
vg_x509_revocation_urls(char ***ocsp, size_t *nocsp, char ***crl, size_t *ncrl,
                        const struct vg_x509 *c, struct vg_err **err)
{
    X509 *x = cert_of(c);
    if (!x) {
        return vg_err_set(err, VG_E_PARSE, "certificate: invalid DER");
    }
    int crit = 0;
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, &crit, NULL);
    for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
        const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        if (OBJ_obj2nid(ad->method) == NID_ad_OCSP) {
            url_push(ocsp, nocsp, ad->location);
        }
    }
    AUTHORITY_INFO_ACCESS_free(aia);
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, &crit, NULL);
    for (int i = 0; dps && i < sk_DIST_POINT_num(dps); i++) {
        const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        /* A distribution point limited to some reasons or with its own CRL issuer (an
         * indirect CRL, which the specification makes optional) is not a full CRL for this
         * certificate. */
        if (!dp->distpoint || dp->distpoint->type != 0 || dp->reasons || dp->CRLissuer) {
            continue;
        }
        const GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(names); j++) {
            url_push(crl, ncrl, sk_GENERAL_NAME_value(names, j));
        }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    X509_free(x);
    ERR_clear_error();
    return 0;
}

int
vg_x509_ocsp_request(uint8_t **der, size_t *len, const struct vg_x509 *c,
                     const struct vg_x509 *issuer, struct vg_err **err)
{
    X509 *x = cert_of(c), *ix = cert_of(issuer);
    /* SHA-1 CertID, as notation sends: the hash every public responder answers for. */
    OCSP_CERTID *id = x && ix ? OCSP_cert_to_id(EVP_sha1(), x, ix) : NULL;
    OCSP_REQUEST *req = id ? OCSP_REQUEST_new() : NULL;
    int rc = 0;
    if (!req || !OCSP_request_add0_id(req, id)) {
        OCSP_CERTID_free(id);
        rc = vg_err_set(err, VG_E_INTERNAL, "OCSP request: cannot encode the certificate's id");
    } else {
        unsigned char *out = NULL;
        int n = i2d_OCSP_REQUEST(req, &out);
        if (n <= 0) {
            rc = vg_err_set(err, VG_E_INTERNAL, "OCSP request: cannot encode");
        } else {
            *der = vg_memdup(out, (size_t)n);
            *len = (size_t)n;
        }
        OPENSSL_free(out);
    }
    OCSP_REQUEST_free(req);
    X509_free(x);
    X509_free(ix);
    ERR_clear_error();
    return rc;
}

static char *
ossl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    char msg[256] = "unknown error";
    if (e) {
        ERR_error_string_n(e, msg, sizeof(msg));
    }
    ERR_clear_error();
    return vg_strdup(msg);
}

/* The revocation entry's invalidityDate (RFC 5280 §5.3.2), 0 when absent. */
static int64_t
invalidity_of(ASN1_GENERALIZEDTIME *g)
{
    int64_t t = 0;
    if (g && time_unix(g, &t) < 0) {
        t = 0;
    }
    ASN1_GENERALIZEDTIME_free(g);
    return t;
}

/* The response's signer must be the issuer itself or a responder the issuer delegated to
 * (an ocspSigning certificate it issued): OCSP_basic_verify builds the signer's path to the
 * issuer, trusted alone (a partial chain: the issuer's own trust was settled by the caller). */
static int
ocsp_signer_ok(OCSP_BASICRESP *bs, X509 *ix, int64_t now, struct vg_err **err)
{
    X509_STORE *st = X509_STORE_new();
    STACK_OF(X509) *extra = sk_X509_new_null();
    int ok = st && extra && X509_STORE_add_cert(st, ix) == 1 && sk_X509_push(extra, ix) > 0;
    if (ok) {
        X509_VERIFY_PARAM *param = X509_STORE_get0_param(st);
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
        X509_VERIFY_PARAM_set_time(param, (time_t)now);
        /* NOEXPLICIT: a signer chaining to a self-signed issuer is not trusted for that alone
         * (OpenSSL's compatibility trust); it must be the issuer or carry ocspSigning. */
        ok = OCSP_basic_verify(bs, extra, st, OCSP_NOEXPLICIT) == 1;
    }
    sk_X509_free(extra);
    X509_STORE_free(st);
    if (!ok) {
        vg_autofree char *why = ossl_reason();
        return vg_err_set(err, VG_E_VERIFY,
                          "OCSP response: not signed by the issuer or a responder it authorized "
                          "(%s)",
                          why);
    }
    return 0;
}

static int
ocsp_single(struct vg_x509_revocation_status *out, OCSP_BASICRESP *bs, X509 *x, X509 *ix,
            int64_t now, struct vg_err **err)
{
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), x, ix);
    int idx = id ? OCSP_resp_find(bs, id, -1) : -1;
    OCSP_CERTID_free(id);
    OCSP_SINGLERESP *single = idx >= 0 ? OCSP_resp_get0(bs, idx) : NULL;
    if (!single) {
        /* A responder may key the answer by another hash than the request's. */
        id = OCSP_cert_to_id(EVP_sha256(), x, ix);
        idx = id ? OCSP_resp_find(bs, id, -1) : -1;
        OCSP_CERTID_free(id);
        single = idx >= 0 ? OCSP_resp_get0(bs, idx) : NULL;
    }
    if (!single) {
        return vg_err_set(err, VG_E_VERIFY, "OCSP response: no status for this certificate");
    }
    int reason = -1;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
    int st = OCSP_single_get0_status(single, &reason, &rev, &thisupd, &nextupd);
    int64_t tu = 0, nu = 0;
    if (time_unix(thisupd, &tu) < 0 || (nextupd && time_unix(nextupd, &nu) < 0)) {
        return vg_err_set(err, VG_E_PARSE, "OCSP response: unreadable thisUpdate/nextUpdate");
    }
    if (tu > now + REVOKE_SKEW_S) {
        return vg_err_set(err, VG_E_VERIFY, "OCSP response: thisUpdate is in the future");
    }
    if (nextupd && now > nu) {
        char t[32];
        vg_time_rfc3339(t, sizeof(t), nu);
        return vg_err_set(err, VG_E_VERIFY, "OCSP response: expired (nextUpdate %s)", t);
    }
    *out = (struct vg_x509_revocation_status){.reason = reason, .next_update = nextupd ? nu : 0};
    if (st == V_OCSP_CERTSTATUS_GOOD) {
        out->state = VG_X509_REV_GOOD;
    } else if (st == V_OCSP_CERTSTATUS_REVOKED) {
        out->state = VG_X509_REV_REVOKED;
        if (rev && time_unix(rev, &out->revoked_at) < 0) {
            out->revoked_at = 0;
        }
        out->invalidity =
            invalidity_of(OCSP_SINGLERESP_get1_ext_d2i(single, NID_invalidity_date, NULL, NULL));
    } else {
        out->state = VG_X509_REV_UNKNOWN;
    }
    return 0;
}

int
vg_x509_ocsp_check(struct vg_x509_revocation_status *out, const uint8_t *resp, size_t len,
                   const struct vg_x509 *c, const struct vg_x509 *issuer, int64_t now,
                   struct vg_err **err)
{
    if (len == 0 || len > VG_X509_OCSP_RESPONSE_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "OCSP response of %zu bytes (1 to %u)", len,
                          VG_X509_OCSP_RESPONSE_MAX);
    }
    const unsigned char *p = resp;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    if (!r || p != resp + len) {
        OCSP_RESPONSE_free(r);
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "OCSP response: not a DER OCSPResponse");
    }
    int status = OCSP_response_status(r);
    if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        OCSP_RESPONSE_free(r);
        return vg_err_set(err, VG_E_VERIFY, "OCSP response: status %s (%d)",
                          OCSP_response_status_str(status), status);
    }
    OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
    OCSP_RESPONSE_free(r);
    X509 *x = cert_of(c), *ix = cert_of(issuer);
    int rc = 0;
    if (!bs) {
        rc = vg_err_set(err, VG_E_PARSE, "OCSP response: not a basic response");
    } else if (!x || !ix) {
        rc = vg_err_set(err, VG_E_PARSE, "certificate: invalid DER");
    } else if ((rc = ocsp_signer_ok(bs, ix, now, err)) == 0) {
        rc = ocsp_single(out, bs, x, ix, now, err);
    }
    OCSP_BASICRESP_free(bs);
    X509_free(x);
    X509_free(ix);
    ERR_clear_error();
    return rc;
}

static int
crl_entry(struct vg_x509_revocation_status *out, X509_CRL *crl, X509 *x, bool expired, int64_t nu,
          struct vg_err **err)
{
    X509_REVOKED *entry = NULL;
    *out = (struct vg_x509_revocation_status){.reason = -1};
    if (X509_CRL_get0_by_serial(crl, &entry, X509_get0_serialNumber(x)) == 1 && entry) {
        ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL);
        out->reason = reason ? (int)ASN1_ENUMERATED_get(reason) : -1;
        ASN1_ENUMERATED_free(reason);
        /* removeFromCRL only appears in delta CRLs: in a base CRL it says nothing. */
        if (out->reason != CRL_REASON_REMOVE_FROM_CRL) {
            out->state = VG_X509_REV_REVOKED;
            if (time_unix(X509_REVOKED_get0_revocationDate(entry), &out->revoked_at) < 0) {
                out->revoked_at = 0;
            }
            out->invalidity =
                invalidity_of(X509_REVOKED_get_ext_d2i(entry, NID_invalidity_date, NULL, NULL));
            /* An expired CRL still proves a revocation, except a hold, which may be lifted. */
            if (!expired || out->reason != CRL_REASON_CERTIFICATE_HOLD) {
                return 0;
            }
        }
    }
    if (expired) {
        char t[32];
        vg_time_rfc3339(t, sizeof(t), nu);
        return vg_err_set(err, VG_E_VERIFY, "CRL expired (nextUpdate %s)", t);
    }
    out->state = VG_X509_REV_GOOD;
    return 0;
}

int
vg_x509_crl_check(struct vg_x509_revocation_status *out, const uint8_t *data, size_t len,
                  const struct vg_x509 *c, const struct vg_x509 *issuer, int64_t now,
                  struct vg_err **err)
{
    if (len == 0 || len > VG_X509_CRL_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "CRL of %zu bytes (1 to %u)", len, VG_X509_CRL_MAX);
    }
    const unsigned char *p = data;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (!crl || p != data + len) {
        X509_CRL_free(crl);
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "CRL: not a DER CertificateList");
    }
    X509 *x = cert_of(c), *ix = cert_of(issuer);
    EVP_PKEY *pk = ix ? X509_get0_pubkey(ix) : NULL;
    int64_t tu = 0, nu = 0;
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    int rc = 0;
    if (!x || !pk) {
        rc = vg_err_set(err, VG_E_PARSE, "certificate: invalid DER");
    } else if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(x)) != 0) {
        rc = vg_err_set(err, VG_E_VERIFY, "CRL: issued by another CA than the certificate");
    } else if (X509_CRL_verify(crl, pk) != 1) {
        rc = vg_err_set(err, VG_E_VERIFY, "CRL: signature does not verify with the issuer's key");
    } else if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0) {
        rc = vg_err_set(err, VG_E_UNSUPPORTED, "CRL: a delta CRL, not a base CRL");
    } else if (time_unix(X509_CRL_get0_lastUpdate(crl), &tu) < 0 ||
               (next && time_unix(next, &nu) < 0)) {
        rc = vg_err_set(err, VG_E_PARSE, "CRL: unreadable thisUpdate/nextUpdate");
    } else if (tu > now + REVOKE_SKEW_S) {
        rc = vg_err_set(err, VG_E_VERIFY, "CRL: thisUpdate is in the future");
    } else {
        /* No nextUpdate: RFC 5280 requires one; a CRL without it cannot be known current. */
        rc = crl_entry(out, crl, x, !next || now > nu, next ? nu : tu, err);
        out->next_update = next ? nu : 0;
    }
    X509_free(x);
    X509_free(ix);
    X509_CRL_free(crl);
    ERR_clear_error();
    return rc;
}
