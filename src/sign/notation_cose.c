/* SPDX-License-Identifier: Apache-2.0
 *
 * The COSE serialization of Notary Project signatures (signature-envelope-cose.md):
 * COSE_Sign1_Tagged, 18([protected bstr, unprotected map, payload bstr, signature bstr]). The
 * protected map holds alg (1), crit (2), content type (3) and the io.cncf.notary attributes,
 * times as epoch-based date/time (tag 1); the unprotected map the x5chain (33), an optional
 * RFC 3161 token and the signing agent. The signature covers the CBOR Sig_structure
 * ["Signature1", protected bytes as sent, h'', payload].
 */
#include "notation_int.h"

#include <string.h>

#define COSE_SIGN1_TAG 18u
#define COSE_ALG       1
#define COSE_CRIT      2
#define COSE_CTY       3
#define COSE_X5CHAIN   33

static int
sig_structure(struct vg_buf *out, const uint8_t *prot, size_t plen, const uint8_t *payload,
              size_t paylen, struct vg_err **err)
{
    int rc = vg_notation__cbor_put_head(out, CBOR_ARRAY, 4, err);
    if (rc == 0) {
        rc = vg_notation__cbor_put_text(out, "Signature1", err);
    }
    if (rc == 0) {
        rc = vg_notation__cbor_put_bytes(out, CBOR_BSTR, prot, plen, err);
    }
    if (rc == 0) {
        rc = vg_notation__cbor_put_bytes(out, CBOR_BSTR, "", 0, err);
    }
    if (rc == 0) {
        rc = vg_notation__cbor_put_bytes(out, CBOR_BSTR, payload, paylen, err);
    }
    return rc;
}

/* tag 1 (epoch seconds) around an integer. */
static int
time_value(const struct cbor_entry *e, int64_t *out, const char *what, struct vg_err **err)
{
    struct vg_reader r;
    vg_reader_init(&r, e->value.raw, e->value.rawlen);
    struct cbor_item tag, v = {0};
    if (vg_notation__cbor_head(&r, &tag, err) < 0 ||
        (tag.major == CBOR_TAG && tag.len == 1 && vg_notation__cbor_head(&r, &v, err) < 0)) {
        return vg_err_wrap(err, "protected header: %s", what);
    }
    if (tag.major != CBOR_TAG || tag.len != 1 || (v.major != CBOR_UINT && v.major != CBOR_NEGINT)) {
        return vg_err_set(err, VG_E_PARSE,
                          "protected header: %s is not an epoch date/time (tag 1, integer)", what);
    }
    *out = v.i;
    return 0;
}

static bool
text_eq(const struct cbor_item *it, const char *s)
{
    return it->major == CBOR_TSTR && it->len == strlen(s) && memcmp(it->bytes, s, it->len) == 0;
}

static char *
text_dup(const struct cbor_item *it)
{
    return vg_strndup((const char *)it->bytes, (size_t)it->len);
}

/* crit: every label known, the scheme in it, each listed label present. */
static int
crit_check(const struct cbor_entry *m, size_t n, bool *has_expiry, bool *has_authentic,
           struct vg_err **err)
{
    const struct cbor_entry *c = vg_notation__cbor_get(m, n, COSE_CRIT, NULL);
    if (!c || c->value.major != CBOR_ARRAY || c->value.len == 0) {
        return vg_err_set(err, VG_E_PARSE, "protected header: crit must be a non-empty array");
    }
    struct vg_reader r;
    vg_reader_init(&r, c->value.raw, c->value.rawlen);
    struct cbor_item arr;
    bool scheme = false;
    if (vg_notation__cbor_head(&r, &arr, err) < 0) {
        return -1;
    }
    for (uint64_t i = 0; i < arr.len; i++) {
        struct cbor_item it;
        if (vg_notation__cbor_item(&r, &it, err) < 0) {
            return -1;
        }
        if (it.major != CBOR_TSTR) {
            return vg_err_set(err, VG_E_UNSUPPORTED,
                              "protected header: crit lists a label vigil does not process");
        }
        vg_autofree char *name = text_dup(&it);
        if (vg_notation__crit_known(name, err) < 0) {
            return vg_err_wrap(err, "protected header");
        }
        if (!vg_notation__cbor_get(m, n, 0, name)) {
            vg_autofree char *esc = vg_escape(name, strlen(name), 80);
            return vg_err_set(err, VG_E_PARSE, "protected header: critical %s is missing", esc);
        }
        scheme = scheme || strcmp(name, NOTARY_HDR_SCHEME) == 0;
        *has_expiry = *has_expiry || strcmp(name, NOTARY_HDR_EXPIRY) == 0;
        *has_authentic = *has_authentic || strcmp(name, NOTARY_HDR_AUTHENTIC_TIME) == 0;
    }
    if (!scheme) {
        return vg_err_set(err, VG_E_PARSE, "protected header: %s must be critical",
                          NOTARY_HDR_SCHEME);
    }
    return 0;
}

static int
protected_parse(struct vg_notation_envelope *e, const uint8_t *p, size_t len, struct vg_err **err)
{
    struct cbor_entry *m = NULL;
    size_t n = 0;
    if (vg_notation__cbor_map(&m, &n, p, len, err) < 0) {
        return vg_err_wrap(err, "protected header");
    }
    const struct cbor_entry *alg = vg_notation__cbor_get(m, n, COSE_ALG, NULL);
    const struct cbor_entry *cty = vg_notation__cbor_get(m, n, COSE_CTY, NULL);
    const struct cbor_entry *sch = vg_notation__cbor_get(m, n, 0, NOTARY_HDR_SCHEME);
    const struct cbor_entry *exp = vg_notation__cbor_get(m, n, 0, NOTARY_HDR_EXPIRY);
    bool crit_exp = false, crit_auth = false;
    int rc = 0;
    if (!alg || (alg->value.major != CBOR_UINT && alg->value.major != CBOR_NEGINT)) {
        rc = vg_err_set(err, VG_E_PARSE, "protected header: alg (1) must be an integer");
    } else if (!(e->alg = vg_crypto_alg_from_cose(alg->value.i))) {
        rc = vg_err_set(err, VG_E_UNSUPPORTED, "protected header: COSE algorithm %lld",
                        (long long)alg->value.i);
    } else if (!cty || !text_eq(&cty->value, VG_NOTATION_MT_PAYLOAD)) {
        rc = vg_err_set(err, VG_E_UNSUPPORTED, "protected header: content type (3) must be %s",
                        VG_NOTATION_MT_PAYLOAD);
    } else if ((rc = crit_check(m, n, &crit_exp, &crit_auth, err)) == 0) {
        bool sa = sch && text_eq(&sch->value, VG_NOTATION_SCHEME_SA);
        const char *tkey = sa ? NOTARY_HDR_AUTHENTIC_TIME : NOTARY_HDR_SIGNING_TIME;
        const char *other = sa ? NOTARY_HDR_SIGNING_TIME : NOTARY_HDR_AUTHENTIC_TIME;
        const struct cbor_entry *t = vg_notation__cbor_get(m, n, 0, tkey);
        if (!sch || (!sa && !text_eq(&sch->value, VG_NOTATION_SCHEME_X509))) {
            rc = vg_err_set(err, VG_E_UNSUPPORTED, "protected header: unknown signing scheme");
        } else if (vg_notation__cbor_get(m, n, 0, other)) {
            rc = vg_err_set(err, VG_E_PARSE, "protected header: %s is not valid with this scheme",
                            other);
        } else if (!t) {
            rc = vg_err_set(err, VG_E_PARSE, "protected header: %s is missing", tkey);
        } else if ((sa && !crit_auth) || (exp && !crit_exp)) {
            rc = vg_err_set(err, VG_E_PARSE,
                            "protected header: authentic signing time and expiry must be "
                            "critical");
        } else {
            e->scheme = sa ? VG_NOTATION_SIGNING_AUTHORITY : VG_NOTATION_X509;
            rc = time_value(t, &e->signing_time, tkey, err);
            if (rc == 0 && exp) {
                rc = time_value(exp, &e->expiry, NOTARY_HDR_EXPIRY, err);
            }
        }
    }
    free(m);
    return rc;
}

static int
push_cert(struct vg_notation_envelope *e, const struct cbor_item *it, struct vg_err **err)
{
    if (it->major != CBOR_BSTR) {
        return vg_err_set(err, VG_E_PARSE,
                          "unprotected header: x5chain entries must be byte "
                          "strings");
    }
    if (e->nchain == VG_X509_CHAIN_MAX) {
        return vg_err_set(err, VG_E_LIMIT,
                          "unprotected header: x5chain holds over %u "
                          "certificates",
                          VG_X509_CHAIN_MAX);
    }
    struct vg_x509 *c = NULL;
    if (vg_x509_parse(&c, it->bytes, (size_t)it->len, err) < 0) {
        return vg_err_wrap(err, "unprotected header: x5chain[%zu]", e->nchain);
    }
    VG_ARRAY_PUSH(e->chain, e->nchain, c);
    return 0;
}

static int
unprotected_parse(struct vg_notation_envelope *e, const struct cbor_item *u, struct vg_err **err)
{
    struct cbor_entry *m = NULL;
    size_t n = 0;
    if (vg_notation__cbor_map(&m, &n, u->raw, u->rawlen, err) < 0) {
        return vg_err_wrap(err, "unprotected header");
    }
    const struct cbor_entry *x5 = vg_notation__cbor_get(m, n, COSE_X5CHAIN, NULL);
    const struct cbor_entry *ts = vg_notation__cbor_get(m, n, 0, NOTARY_HDR_TIMESTAMP);
    const struct cbor_entry *ag = vg_notation__cbor_get(m, n, 0, NOTARY_HDR_AGENT);
    int rc = 0;
    if (!x5) {
        rc = vg_err_set(err, VG_E_PARSE, "unprotected header: x5chain (33) is missing");
    } else if (x5->value.major == CBOR_BSTR) {
        rc = push_cert(e, &x5->value, err);
    } else if (x5->value.major == CBOR_ARRAY && x5->value.len > 0) {
        struct vg_reader r;
        vg_reader_init(&r, x5->value.raw, x5->value.rawlen);
        struct cbor_item arr, it;
        rc = vg_notation__cbor_head(&r, &arr, err);
        for (uint64_t i = 0; rc == 0 && i < arr.len; i++) {
            rc = vg_notation__cbor_item(&r, &it, err);
            if (rc == 0) {
                rc = push_cert(e, &it, err);
            }
        }
    } else {
        rc = vg_err_set(err, VG_E_PARSE, "unprotected header: x5chain must hold certificates");
    }
    if (rc == 0 && ts) {
        if (ts->value.major != CBOR_BSTR || ts->value.len == 0) {
            rc = vg_err_set(err, VG_E_PARSE, "unprotected header: %s must be a byte string",
                            NOTARY_HDR_TIMESTAMP);
        } else {
            e->tstlen = (size_t)ts->value.len;
            e->tst = vg_malloc(e->tstlen);
            memcpy(e->tst, ts->value.bytes, e->tstlen);
        }
    }
    if (rc == 0 && ag && ag->value.major == CBOR_TSTR) {
        e->agent = vg_escape((const char *)ag->value.bytes, (size_t)ag->value.len, 256);
    }
    free(m);
    return rc;
}

int
vg_notation__cose_open(struct vg_notation_envelope *e, const void *data, size_t len,
                       struct vg_err **err)
{
    struct vg_reader r;
    vg_reader_init(&r, data, len);
    struct cbor_item tag, arr, prot, unprot, payload, sig;
    if (vg_notation__cbor_head(&r, &tag, err) < 0) {
        return vg_err_wrap(err, "COSE envelope");
    }
    if (tag.major != CBOR_TAG || tag.len != COSE_SIGN1_TAG) {
        return vg_err_set(err, VG_E_PARSE, "COSE envelope: not a COSE_Sign1_Tagged (tag 18)");
    }
    if (vg_notation__cbor_head(&r, &arr, err) < 0) {
        return vg_err_wrap(err, "COSE envelope");
    }
    if (arr.major != CBOR_ARRAY || arr.len != 4) {
        return vg_err_set(err, VG_E_PARSE, "COSE envelope: COSE_Sign1 must be an array of 4");
    }
    int rc = 0;
    if ((rc = vg_notation__cbor_item(&r, &prot, err)) < 0 ||
        (rc = vg_notation__cbor_item(&r, &unprot, err)) < 0 ||
        (rc = vg_notation__cbor_item(&r, &payload, err)) < 0 ||
        (rc = vg_notation__cbor_item(&r, &sig, err)) < 0) {
        return vg_err_wrap(err, "COSE envelope");
    }
    if (r.left) {
        return vg_err_set(err, VG_E_PARSE, "COSE envelope: %zu bytes after COSE_Sign1", r.left);
    }
    if (prot.major != CBOR_BSTR || unprot.major != CBOR_MAP || payload.major != CBOR_BSTR ||
        sig.major != CBOR_BSTR) {
        return vg_err_set(err, VG_E_PARSE,
                          "COSE envelope: expected [bstr, map, bstr, bstr] (a detached payload is "
                          "not supported)");
    }
    if ((rc = protected_parse(e, prot.bytes, (size_t)prot.len, err)) < 0 ||
        (rc = unprotected_parse(e, &unprot, err)) < 0) {
        return rc;
    }
    e->siglen = (size_t)sig.len;
    e->signature = vg_malloc(e->siglen ? e->siglen : 1);
    memcpy(e->signature, sig.bytes, e->siglen);
    vg_autobuf struct vg_buf tbs = VG_BUF_INIT(VG_NOTATION_ENVELOPE_MAX + 64u);
    if ((rc = sig_structure(&tbs, prot.bytes, (size_t)prot.len, payload.bytes, (size_t)payload.len,
                            err)) < 0) {
        return rc;
    }
    return vg_notation__finish(e, tbs.data, tbs.len, payload.bytes, (size_t)payload.len, err);
}

static int
put_time(struct vg_buf *b, const char *key, int64_t t, struct vg_err **err)
{
    int rc = vg_notation__cbor_put_text(b, key, err);
    if (rc == 0) {
        rc = vg_notation__cbor_put_head(b, CBOR_TAG, 1, err);
    }
    return rc == 0 ? vg_notation__cbor_put_int(b, t, err) : rc;
}

static int
protected_build(struct vg_buf *b, const struct vg_notation_sign_opts *o, enum vg_crypto_alg alg,
                struct vg_err **err)
{
    bool sa = o->scheme == VG_NOTATION_SIGNING_AUTHORITY;
    uint64_t ncrit = 1u + (sa ? 1u : 0u) + (o->expiry ? 1u : 0u);
    const char *tkey = sa ? NOTARY_HDR_AUTHENTIC_TIME : NOTARY_HDR_SIGNING_TIME;
    int rc = vg_notation__cbor_put_head(b, CBOR_MAP, o->expiry ? 6 : 5, err);
    rc = rc ? rc : vg_notation__cbor_put_int(b, COSE_ALG, err);
    rc = rc ? rc : vg_notation__cbor_put_int(b, vg_crypto_alg_cose_id(alg), err);
    rc = rc ? rc : vg_notation__cbor_put_int(b, COSE_CRIT, err);
    rc = rc ? rc : vg_notation__cbor_put_head(b, CBOR_ARRAY, ncrit, err);
    rc = rc ? rc : vg_notation__cbor_put_text(b, NOTARY_HDR_SCHEME, err);
    if (sa) {
        rc = rc ? rc : vg_notation__cbor_put_text(b, NOTARY_HDR_AUTHENTIC_TIME, err);
    }
    if (o->expiry) {
        rc = rc ? rc : vg_notation__cbor_put_text(b, NOTARY_HDR_EXPIRY, err);
    }
    rc = rc ? rc : vg_notation__cbor_put_int(b, COSE_CTY, err);
    rc = rc ? rc : vg_notation__cbor_put_text(b, VG_NOTATION_MT_PAYLOAD, err);
    rc = rc ? rc : vg_notation__cbor_put_text(b, NOTARY_HDR_SCHEME, err);
    rc = rc ? rc
            : vg_notation__cbor_put_text(b, sa ? VG_NOTATION_SCHEME_SA : VG_NOTATION_SCHEME_X509,
                                         err);
    rc = rc ? rc : put_time(b, tkey, o->now, err);
    if (o->expiry) {
        rc = rc ? rc : put_time(b, NOTARY_HDR_EXPIRY, o->expiry, err);
    }
    return rc;
}

int
vg_notation__cose_sign(struct vg_buf *out, const struct vg_notation_sign_opts *o,
                       enum vg_crypto_alg alg, const struct vg_buf *payload, struct vg_err **err)
{
    vg_autobuf struct vg_buf prot = VG_BUF_INIT(VG_NOTATION_PAYLOAD_MAX);
    vg_autobuf struct vg_buf tbs = VG_BUF_INIT(VG_NOTATION_ENVELOPE_MAX);
    int rc = protected_build(&prot, o, alg, err);
    if (rc == 0) {
        rc = sig_structure(&tbs, prot.data, prot.len, (const uint8_t *)payload->data, payload->len,
                           err);
    }
    vg_autofree uint8_t *sig = NULL;
    size_t siglen = 0;
    vg_autobuf struct vg_buf tst = VG_BUF_INIT(VG_X509_DER_MAX);
    if (rc < 0 ||
        (rc = vg_crypto_alg_sign(o->key, alg, tbs.data, tbs.len, &sig, &siglen, err)) < 0 ||
        (rc = vg_notation__timestamp(&tst, o, alg, sig, siglen, err)) < 0) {
        return rc;
    }
    rc = vg_notation__cbor_put_head(out, CBOR_TAG, COSE_SIGN1_TAG, err);
    rc = rc ? rc : vg_notation__cbor_put_head(out, CBOR_ARRAY, 4, err);
    rc = rc ? rc : vg_notation__cbor_put_bytes(out, CBOR_BSTR, prot.data, prot.len, err);
    uint64_t nunprot = 1u + (o->agent ? 1u : 0u) + (tst.len ? 1u : 0u);
    rc = rc ? rc : vg_notation__cbor_put_head(out, CBOR_MAP, nunprot, err);
    rc = rc ? rc : vg_notation__cbor_put_int(out, COSE_X5CHAIN, err);
    rc = rc ? rc : vg_notation__cbor_put_head(out, CBOR_ARRAY, o->nchain, err);
    for (size_t i = 0; rc == 0 && i < o->nchain; i++) {
        size_t dlen = 0;
        const uint8_t *der = vg_x509_der(o->chain[i], &dlen);
        rc = vg_notation__cbor_put_bytes(out, CBOR_BSTR, der, dlen, err);
    }
    if (o->agent) {
        rc = rc ? rc : vg_notation__cbor_put_text(out, NOTARY_HDR_AGENT, err);
        rc = rc ? rc : vg_notation__cbor_put_text(out, o->agent, err);
    }
    if (tst.len) {
        rc = rc ? rc : vg_notation__cbor_put_text(out, NOTARY_HDR_TIMESTAMP, err);
        rc = rc ? rc : vg_notation__cbor_put_bytes(out, CBOR_BSTR, tst.data, tst.len, err);
    }
    rc = rc ? rc : vg_notation__cbor_put_bytes(out, CBOR_BSTR, payload->data, payload->len, err);
    return rc ? rc : vg_notation__cbor_put_bytes(out, CBOR_BSTR, sig, siglen, err);
}
