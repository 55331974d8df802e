/* SPDX-License-Identifier: Apache-2.0
 *
 * The revocation check of a Notary Project signature (trust-store-trust-policy.md "Certificate
 * Revocation Evaluation"): each certificate of the envelope's chain, from the one below the
 * root down to the signing certificate, asked of the OCSP responders it names (in order, until
 * one gives an answer) and, when none answers, of its CRL distribution points. A certificate
 * that names neither is taken as not revocable (valid). Revoked, or a status nobody could give
 * (responder down, expired CRL, response signed by a stranger, OCSP "unknown"), fails the check;
 * whether that failure is enforced or logged is the caller's (the policy's level).
 *
 * Deliberately not done: the self-signed root is not checked (only taking it out of the trust
 * store revokes a root); delta CRLs and indirect CRLs; checking the OCSP responder's own
 * certificate by CRL when it lacks id-pkix-ocsp-nocheck. Responses are cached until their
 * nextUpdate (notation_rcache.c) and verified again on every use. The chain's
 * timestamp (TSA) certificates are not checked either. The parsing and signature checks are
 * OpenSSL's (crypto/x509_revoke.c); this file fetches and decides.
 */
#include "notation_int.h"

#include <string.h>

#include "net/net.h"

#define OCSP_TIMEOUT_S 2 /* the specification's default per OCSP URL */
#define CRL_TIMEOUT_S  5 /* ... and per CRL URL */

static const char *
reason_name(int r)
{
    static const char *const names[] = {
        "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
        "superseded",    "cessationOfOperation", "certificateHold", "(7)",
        "removeFromCRL", "privilegeWithdrawn",   "aACompromise",
    };
    return r >= 0 && (size_t)r < sizeof(names) / sizeof(names[0]) ? names[r] : "none given";
}

/* One HTTP exchange bounded by its own deadline: the body of a 2xx answer in *body. */
static int
fetch(struct vg_buf *body, const char *url, const void *req, size_t reqlen, long timeout_ms,
      size_t max, struct vg_err **err)
{
    struct vg_http_client_opts ho = {
        .connect_timeout_s = (timeout_ms + 999) / 1000,
        .stall_timeout_s = (timeout_ms + 999) / 1000,
        .deadline_ns = vg_now_ns() + (uint64_t)timeout_ms * 1000000ull,
        .max_retries = -1,
    };
    struct vg_http_client *http = NULL;
    if (vg_http_client_new(&http, &ho, err) < 0) {
        return -1;
    }
    const char *hdr[] = {"Content-Type: application/ocsp-request"};
    struct vg_http_req r = {
        .method = req ? "POST" : "GET",
        .url = url,
        .headers = req ? hdr : NULL,
        .nheaders = req ? 1 : 0,
        .body = req,
        .body_len = reqlen,
        .max_body = max + 1,
        .no_retry = true,
    };
    struct vg_http_resp resp = {0};
    int rc = vg_http_do(http, &r, &resp, err);
    if (rc == 0 && (resp.status < 200 || resp.status > 299)) {
        rc = vg_http_check_status(r.method, url, resp.status, &resp.body, err);
    }
    if (rc == 0) {
        *body = resp.body;
        resp.body = (struct vg_buf){0};
    }
    vg_http_resp_dispose(&resp);
    vg_http_client_free(http);
    if (rc < 0 && vg_now_ns() >= ho.deadline_ns - 1000000ull) {
        return vg_err_wrap(err, "no answer within %ld ms", timeout_ms);
    }
    return rc;
}

/* The time allowed to one location: the call's, else the process's, else the default. */
static long
timeout_ms(bool ocsp, const struct vg_notation_verify_opts *o)
{
    long per_call = ocsp ? o->ocsp_timeout_s : o->crl_timeout_s;
    bool skip = false;
    uint32_t process = 0;
    vg_notation__revocation_settings(&skip, &process);
    return per_call  ? per_call * 1000
           : process ? (long)process
                     : (ocsp ? OCSP_TIMEOUT_S : CRL_TIMEOUT_S) * 1000;
}

static int
judge(struct vg_x509_revocation_status *st, bool ocsp, const struct vg_buf *b,
      const struct vg_x509 *c, const struct vg_x509 *issuer, int64_t at, struct vg_err **err)
{
    return ocsp ? vg_x509_ocsp_check(st, b->data, b->len, c, issuer, at, err)
                : vg_x509_crl_check(st, b->data, b->len, c, issuer, at, err);
}

/* A cached response that still tells: fresh (checked now), or a final revocation (checked at
 * the time it was fetched). */
static bool
from_cache(struct vg_x509_revocation_status *st, bool ocsp, const uint8_t key[32],
           const struct vg_x509 *c, const struct vg_x509 *issuer, int64_t now)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_X509_CRL_MAX);
    struct vg_notation__rcache_meta m;
    vg_autoerr struct vg_err *e = NULL;
    if (!vg_notation__rcache_get(key, &b, &m)) {
        return false;
    }
    if (now <= m.expires) {
        return judge(st, ocsp, &b, c, issuer, now, &e) == 0;
    }
    return m.sticky && judge(st, ocsp, &b, c, issuer, m.fetched, &e) == 0 &&
           st->state == VG_X509_REV_REVOKED && st->reason != 6 /* certificateHold */;
}

/* The status of c from one location; < 0 when that location gave none (err says why). */
static int
ask(struct vg_x509_revocation_status *st, bool ocsp, const char *url, const struct vg_x509 *c,
    const struct vg_x509 *issuer, const struct vg_notation_verify_opts *o, struct vg_err **err)
{
    vg_autofree uint8_t *req = NULL;
    size_t reqlen = 0;
    if (ocsp && vg_x509_ocsp_request(&req, &reqlen, c, issuer, err) < 0) {
        return -1;
    }
    uint8_t key[32];
    vg_notation__rcache_key(key, ocsp, url, req, reqlen);
    if (from_cache(st, ocsp, key, c, issuer, o->now)) {
        return 0;
    }
    struct vg_buf body = {0};
    int rc = fetch(&body, url, req, reqlen, timeout_ms(ocsp, o),
                   ocsp ? VG_X509_OCSP_RESPONSE_MAX : VG_X509_CRL_MAX, err);
    if (rc == 0) {
        rc = judge(st, ocsp, &body, c, issuer, o->now, err);
    }
    /* Only what verified and gave a status, and says until when (an OCSP response without
     * nextUpdate says newer information is always available: not kept). */
    if (rc == 0 && st->next_update > o->now) {
        struct vg_notation__rcache_meta m = {
            .fetched = o->now,
            .expires = st->next_update,
            .sticky = st->state == VG_X509_REV_REVOKED && st->reason != 6,
        };
        vg_notation__rcache_put(key, body.data, body.len, &m);
    }
    vg_buf_dispose(&body);
    return rc;
}

/* Appends "METHOD URL: reason" to the list of why no status was had. */
static void
note(struct vg_buf *why, bool ocsp, const char *url, struct vg_err **e)
{
    vg_autofree char *msg = vg_err_format(*e);
    vg_autofree char *u = vg_http_url_redact(url);
    vg_autoerr struct vg_err *ignored = NULL;
    if (vg_buf_appendf(why, &ignored, "%s%s %s: %s", why->len ? "; " : "", ocsp ? "OCSP" : "CRL", u,
                       msg) < 0) {
        vg_err_free(&ignored);
    }
    vg_err_free(e);
}

/* One certificate: 0 good (or not revocable), < 0 revoked or unknown (*unavailable: because
 * no location gave an answer). */
static int
check_cert(const struct vg_notation_envelope *env, size_t i, int64_t authentic,
           const struct vg_notation_verify_opts *o, bool *unavailable, struct vg_err **err)
{
    const struct vg_x509 *c = env->chain[i], *issuer = env->chain[i + 1];
    char **ocsp = NULL, **crl = NULL;
    size_t nocsp = 0, ncrl = 0;
    if (vg_x509_revocation_urls(&ocsp, &nocsp, &crl, &ncrl, c, err) < 0) {
        return -1;
    }
    struct vg_buf why = VG_BUF_INIT(16u * 1024u);
    struct vg_x509_revocation_status st = {0};
    const char *from = NULL;
    bool have = false, via_ocsp = false;
    for (size_t k = 0; k < nocsp + ncrl && !have; k++) {
        via_ocsp = k < nocsp;
        from = via_ocsp ? ocsp[k] : crl[k - nocsp];
        struct vg_err *e = NULL;
        /* An OCSP "unknown" is an answer: the spec stops there (revocation unavailable). */
        have = ask(&st, via_ocsp, from, c, issuer, o, &e) == 0;
        if (!have) {
            note(&why, via_ocsp, from, &e);
        }
    }
    int rc = 0;
    vg_autofree char *subj = vg_x509_subject_string(c);
    vg_autofree char *u = from ? vg_http_url_redact(from) : NULL;
    if (nocsp + ncrl == 0) {
        rc = 0;
    } else if (!have) {
        *unavailable = true;
        rc = vg_err_set(err, VG_E_VERIFY,
                        "the revocation status of certificate %zu (%s) is unknown: %s", i + 1, subj,
                        why.data ? (const char *)why.data : "no location answered");
    } else if (st.state == VG_X509_REV_UNKNOWN) {
        rc = vg_err_set(err, VG_E_VERIFY,
                        "the revocation status of certificate %zu (%s) is unknown: the OCSP "
                        "responder %s answered \"unknown\"",
                        i + 1, subj, u);
    } else if (st.state == VG_X509_REV_REVOKED &&
               !(st.invalidity && authentic && authentic < st.invalidity)) {
        /* An invalidity date after an authentic (timestamped) signing time leaves the
         * signature made before the compromise valid (the specification's OCSP and CRL
         * steps); without an authentic time the certificate is simply revoked. */
        char t[32] = "an unknown time";
        if (st.revoked_at) {
            vg_time_rfc3339(t, sizeof(t), st.revoked_at);
        }
        rc = vg_err_set(err, VG_E_VERIFY, "certificate %zu (%s) is revoked (%s %s: since %s, %s)",
                        i + 1, subj, via_ocsp ? "OCSP" : "CRL", u, t, reason_name(st.reason));
    }
    vg_buf_dispose(&why);
    vg_strv_free(ocsp, nocsp);
    vg_strv_free(crl, ncrl);
    return rc;
}

int
vg_notation__revocation_check(const struct vg_notation_envelope *env,
                              const struct vg_notation_verify_opts *o, int64_t authentic,
                              bool *unavailable, struct vg_err **err)
{
    *unavailable = false;
    /* Root to leaf: a revoked CA says more than its leaf's status, and is found first. */
    for (size_t i = env->nchain; i-- > 1;) {
        if (check_cert(env, i - 1, authentic, o, unavailable, err) < 0) {
            return -1;
        }
    }
    return 0;
}
