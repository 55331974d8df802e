/* SPDX-License-Identifier: Apache-2.0
 *
 * The client side of RFC 3161 time-stamping (docs/sigstore.md "Keyless signing",
 * --timestamp-server-url): the TimeStampReq cosign sends (SHA-256 message imprint, a random
 * nonce, certReq) and the checks on the TimeStampResp a TSA answers (status granted, a token
 * whose imprint is of our data and whose nonce is ours). Whether the token's signer is a
 * trusted TSA is vg_x509_tsr_verify's question, asked when the result is verified.
 */
#include "crypto/crypto.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

int
vg_tsa_request(struct vg_buf *out, uint64_t *nonce, const void *data, size_t len,
               struct vg_err **err)
{
    return vg_tsa_request_hash(out, nonce, data, len, 256, err);
}

int
vg_tsa_request_hash(struct vg_buf *out, uint64_t *nonce, const void *data, size_t len,
                    unsigned bits, struct vg_err **err)
{
    const EVP_MD *evp = bits == 384 ? EVP_sha384() : bits == 512 ? EVP_sha512() : EVP_sha256();
    if (bits != 256 && bits != 384 && bits != 512) {
        return vg_err_set(err, VG_E_USAGE, "timestamp request: SHA-%u is not offered", bits);
    }
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, evp, NULL) != 1) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "timestamp request: digest");
    }
    if (RAND_bytes((unsigned char *)nonce, sizeof(*nonce)) != 1) {
        ERR_clear_error();
        return vg_err_set(err, VG_E_INTERNAL, "timestamp request: no random nonce");
    }
    *nonce &= 0x7fffffffffffffffull; /* a positive INTEGER */
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_INTEGER *n = ASN1_INTEGER_new();
    unsigned char *der = NULL;
    int derlen = -1;
    if (req && mi && alg && n &&
        X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(evp)), V_ASN1_NULL, NULL) &&
        TS_MSG_IMPRINT_set_algo(mi, alg) && TS_MSG_IMPRINT_set_msg(mi, md, (int)mdlen) &&
        TS_REQ_set_version(req, 1) && TS_REQ_set_msg_imprint(req, mi) &&
        ASN1_INTEGER_set_uint64(n, *nonce) && TS_REQ_set_nonce(req, n) &&
        TS_REQ_set_cert_req(req, 1)) {
        derlen = i2d_TS_REQ(req, &der);
    }
    int rc = derlen > 0 ? vg_buf_append(out, der, (size_t)derlen, err)
                        : vg_err_set(err, VG_E_INTERNAL, "timestamp request: DER encoding");
    OPENSSL_free(der);
    ASN1_INTEGER_free(n);
    X509_ALGOR_free(alg);
    TS_MSG_IMPRINT_free(mi);
    TS_REQ_free(req);
    ERR_clear_error();
    return rc;
}

/* PKIStatus granted (0) or grantedWithMods (1), with a token. */
static int
granted(TS_RESP *resp, struct vg_err **err)
{
    TS_STATUS_INFO *si = TS_RESP_get_status_info(resp);
    const ASN1_INTEGER *st = si ? TS_STATUS_INFO_get0_status(si) : NULL;
    long status = st ? ASN1_INTEGER_get(st) : -1;
    if (status != 0 && status != 1) {
        return vg_err_set(err, VG_E_VERIFY, "timestamp response: status %ld (not granted)", status);
    }
    if (!TS_RESP_get_token(resp) || !TS_RESP_get_tst_info(resp)) {
        return vg_err_set(err, VG_E_PARSE, "timestamp response: granted without a token");
    }
    return 0;
}

/* A whole DER TimeStampResp (nothing after it), bounded like every DER input. */
static int
parse_resp(TS_RESP **out, const uint8_t *tsr, size_t len, struct vg_err **err)
{
    const unsigned char *p = tsr;
    TS_RESP *resp = len > 0 && len <= VG_X509_DER_MAX ? d2i_TS_RESP(NULL, &p, (long)len) : NULL;
    if (!resp || p != tsr + len) {
        TS_RESP_free(resp);
        ERR_clear_error();
        return vg_err_set(err, VG_E_PARSE, "timestamp response: invalid DER (%zu bytes)", len);
    }
    *out = resp;
    return 0;
}

int
vg_tsa_response_check(const uint8_t *tsr, size_t len, uint64_t nonce, const void *data, size_t dlen,
                      struct vg_err **err)
{
    TS_RESP *resp = NULL;
    if (parse_resp(&resp, tsr, len, err) < 0) {
        return -1;
    }
    int rc = granted(resp, err);
    if (rc == 0) {
        /* OpenSSL 3.0 has no TS_VERIFY_CTX_set_nonce: the nonce is compared here */
        const ASN1_INTEGER *got = TS_TST_INFO_get_nonce(TS_RESP_get_tst_info(resp));
        uint64_t v = 0;
        if (!got || ASN1_INTEGER_get_uint64(&v, got) != 1 || v != nonce) {
            rc = vg_err_set(err, VG_E_VERIFY, "timestamp response: not our nonce");
        }
    }
    TS_VERIFY_CTX *vctx = rc == 0 ? TS_VERIFY_CTX_new() : NULL;
    BIO *bio = vctx ? BIO_new_mem_buf(data, (int)dlen) : NULL;
    if (rc == 0 && !bio) {
        rc = vg_err_set(err, VG_E_INTERNAL, "timestamp response: out of memory");
    }
    if (rc == 0) {
        /* the context owns bio from here */
        TS_VERIFY_CTX_set_flags(vctx, TS_VFY_VERSION | TS_VFY_DATA);
        TS_VERIFY_CTX_set_data(vctx, bio);
        bio = NULL;
        if (TS_RESP_verify_response(vctx, resp) != 1) {
            unsigned long e = ERR_peek_error();
            char msg[200];
            ERR_error_string_n(e, msg, sizeof(msg));
            rc = vg_err_set(err, VG_E_VERIFY,
                            "timestamp response: not a timestamp of our signature with our "
                            "nonce (%s)",
                            e ? msg : "mismatch");
        }
    }
    BIO_free(bio);
    TS_VERIFY_CTX_free(vctx);
    TS_RESP_free(resp);
    ERR_clear_error();
    return rc;
}

int
vg_tsa_response_token(struct vg_buf *out, const uint8_t *tsr, size_t len, struct vg_err **err)
{
    TS_RESP *resp = NULL;
    if (parse_resp(&resp, tsr, len, err) < 0) {
        return -1;
    }
    int rc = granted(resp, err);
    unsigned char *der = NULL;
    int derlen = rc == 0 ? i2d_PKCS7(TS_RESP_get_token(resp), &der) : -1;
    if (rc == 0) {
        rc = derlen > 0 ? vg_buf_append(out, der, (size_t)derlen, err)
                        : vg_err_set(err, VG_E_INTERNAL, "timestamp response: token encoding");
    }
    OPENSSL_free(der);
    TS_RESP_free(resp);
    ERR_clear_error();
    return rc;
}
