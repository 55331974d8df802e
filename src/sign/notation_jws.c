/* SPDX-License-Identifier: Apache-2.0
 *
 * The JWS serialization of Notary Project signatures (signature-envelope-jws.md): the
 * flattened JWS JSON form {"payload", "protected", "header", "signature"} and nothing else at
 * the top level; the protected header holds alg, cty, crit and the io.cncf.notary attributes
 * (times as RFC 3339 strings), the unprotected header the x5c chain (standard base64 DER),
 * the signing agent and an optional RFC 3161 timestamp token. The signing input is
 * ASCII(BASE64URL(protected) '.' BASE64URL(payload)), exactly as the envelope carries them.
 */
#include "notation_int.h"

#include <string.h>

#include "sign/sigstore.h"

static int
time_attr(json_t *h, const char *key, int64_t *out, bool required, struct vg_err **err)
{
    json_t *v = json_object_get(h, key);
    if (!v) {
        return required ? vg_err_set(err, VG_E_PARSE, "protected header: %s is missing", key) : 0;
    }
    if (!json_is_string(v)) {
        return vg_err_set(err, VG_E_PARSE, "protected header: %s is not a string", key);
    }
    if (vg_sigstore_time_parse(out, json_string_value(v), err) < 0) {
        return vg_err_wrap(err, "protected header: %s", key);
    }
    return 0;
}

static bool
in_crit(json_t *crit, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach (crit, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), name) == 0) {
            return true;
        }
    }
    return false;
}

static int
protected_parse(struct vg_notation_envelope *e, json_t *h, struct vg_err **err)
{
    const char *alg = vg_json_str(h, "alg");
    const char *cty = vg_json_str(h, "cty");
    const char *scheme = vg_json_str(h, NOTARY_HDR_SCHEME);
    json_t *crit = json_object_get(h, "crit");
    if (!alg) {
        return vg_err_set(err, VG_E_PARSE, "protected header: alg is missing");
    }
    if (!(e->alg = vg_crypto_alg_from_jws(alg))) {
        vg_autofree char *esc = vg_escape(alg, strlen(alg), 40);
        return vg_err_set(err, VG_E_UNSUPPORTED, "protected header: algorithm \"%s\"", esc);
    }
    if (!cty || strcmp(cty, VG_NOTATION_MT_PAYLOAD) != 0) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "protected header: cty must be %s",
                          VG_NOTATION_MT_PAYLOAD);
    }
    if (!json_is_array(crit) || json_array_size(crit) == 0 ||
        json_array_size(crit) > VG_NOTATION_LIST_MAX) {
        return vg_err_set(err, VG_E_PARSE, "protected header: crit must be a non-empty array");
    }
    size_t i;
    json_t *v;
    json_array_foreach (crit, i, v) {
        if (!json_is_string(v)) {
            return vg_err_set(err, VG_E_PARSE, "protected header: crit holds a non-string");
        }
        if (vg_notation__crit_known(json_string_value(v), err) < 0) {
            return vg_err_wrap(err, "protected header");
        }
        if (!json_object_get(h, json_string_value(v))) {
            return vg_err_set(err, VG_E_PARSE, "protected header: critical %s is missing",
                              json_string_value(v));
        }
    }
    if (!scheme || !in_crit(crit, NOTARY_HDR_SCHEME)) {
        return vg_err_set(err, VG_E_PARSE, "protected header: %s must be present and critical",
                          NOTARY_HDR_SCHEME);
    }
    bool sa = strcmp(scheme, VG_NOTATION_SCHEME_SA) == 0;
    if (!sa && strcmp(scheme, VG_NOTATION_SCHEME_X509) != 0) {
        vg_autofree char *esc = vg_escape(scheme, strlen(scheme), 60);
        return vg_err_set(err, VG_E_UNSUPPORTED, "signing scheme \"%s\"", esc);
    }
    e->scheme = sa ? VG_NOTATION_SIGNING_AUTHORITY : VG_NOTATION_X509;
    const char *tkey = sa ? NOTARY_HDR_AUTHENTIC_TIME : NOTARY_HDR_SIGNING_TIME;
    const char *other = sa ? NOTARY_HDR_SIGNING_TIME : NOTARY_HDR_AUTHENTIC_TIME;
    if (json_object_get(h, other)) {
        return vg_err_set(err, VG_E_PARSE, "protected header: %s is not valid with %s", other,
                          scheme);
    }
    if (sa && !in_crit(crit, NOTARY_HDR_AUTHENTIC_TIME)) {
        return vg_err_set(err, VG_E_PARSE, "protected header: %s must be critical",
                          NOTARY_HDR_AUTHENTIC_TIME);
    }
    if (json_object_get(h, NOTARY_HDR_EXPIRY) && !in_crit(crit, NOTARY_HDR_EXPIRY)) {
        return vg_err_set(err, VG_E_PARSE, "protected header: %s must be critical",
                          NOTARY_HDR_EXPIRY);
    }
    int rc = time_attr(h, tkey, &e->signing_time, true, err);
    if (rc == 0) {
        rc = time_attr(h, NOTARY_HDR_EXPIRY, &e->expiry, false, err);
    }
    return rc;
}

static int
b64_attr(uint8_t **out, size_t *len, json_t *v, size_t max, const char *what, struct vg_err **err)
{
    if (!json_is_string(v)) {
        return vg_err_set(err, VG_E_PARSE, "%s is not a string", what);
    }
    if (json_string_length(v) > max / 3 * 4 + 4) {
        return vg_err_set(err, VG_E_LIMIT, "%s exceeds %zu bytes", what, max);
    }
    if (vg_base64_decode(out, len, json_string_value(v), json_string_length(v), false, err) < 0) {
        return vg_err_wrap(err, "%s", what);
    }
    return 0;
}

static int
unprotected_parse(struct vg_notation_envelope *e, json_t *h, struct vg_err **err)
{
    if (!json_is_object(h)) {
        return vg_err_set(err, VG_E_PARSE, "header (unprotected) must be an object");
    }
    json_t *x5c = json_object_get(h, "x5c");
    if (!json_is_array(x5c) || json_array_size(x5c) == 0) {
        return vg_err_set(err, VG_E_PARSE, "header: x5c must be a non-empty array");
    }
    if (json_array_size(x5c) > VG_X509_CHAIN_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "header: x5c holds %zu certificates (at most %u)",
                          json_array_size(x5c), VG_X509_CHAIN_MAX);
    }
    size_t i;
    json_t *v;
    json_array_foreach (x5c, i, v) {
        vg_autofree uint8_t *der = NULL;
        size_t dlen = 0;
        struct vg_x509 *c = NULL;
        if (b64_attr(&der, &dlen, v, VG_X509_DER_MAX, "x5c entry", err) < 0 ||
            vg_x509_parse(&c, der, dlen, err) < 0) {
            return vg_err_wrap(err, "header: x5c[%zu]", i);
        }
        VG_ARRAY_PUSH(e->chain, e->nchain, c);
    }
    json_t *ts = json_object_get(h, NOTARY_HDR_TIMESTAMP);
    if (ts && b64_attr(&e->tst, &e->tstlen, ts, VG_X509_DER_MAX, NOTARY_HDR_TIMESTAMP, err) < 0) {
        return vg_err_wrap(err, "header");
    }
    const char *agent = vg_json_str(h, NOTARY_HDR_AGENT);
    if (agent) {
        e->agent = vg_escape(agent, strlen(agent), 256);
    }
    return 0;
}

int
vg_notation__jws_open(struct vg_notation_envelope *e, const void *data, size_t len,
                      struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    int rc = vg_json_parse(&root, data, len, VG_NOTATION_ENVELOPE_MAX, "JWS envelope", err);
    if (rc < 0) {
        return rc;
    }
    if (!json_is_object(root)) {
        return vg_err_set(err, VG_E_PARSE, "JWS envelope: not an object");
    }
    const char *k;
    json_t *v;
    json_object_foreach (root, k, v) {
        if (strcmp(k, "payload") && strcmp(k, "protected") && strcmp(k, "header") &&
            strcmp(k, "signature")) {
            vg_autofree char *esc = vg_escape(k, strlen(k), 60);
            return vg_err_set(err, VG_E_PARSE,
                              "JWS envelope: unexpected member \"%s\" (only the flattened JSON "
                              "serialization is allowed)",
                              esc);
        }
    }
    const char *p64 = vg_json_str(root, "payload");
    const char *h64 = vg_json_str(root, "protected");
    const char *s64 = vg_json_str(root, "signature");
    if (!p64 || !h64 || !s64) {
        return vg_err_set(err, VG_E_PARSE,
                          "JWS envelope: payload, protected and signature are "
                          "required");
    }
    vg_autofree uint8_t *hdr = NULL, *payload = NULL;
    size_t hlen = 0, plen = 0;
    vg_autojson json_t *h = NULL;
    if ((rc = vg_notation__b64url_decode(&hdr, &hlen, h64, "JWS protected header", err)) < 0 ||
        (rc = vg_json_parse(&h, hdr, hlen, VG_NOTATION_PAYLOAD_MAX, "JWS protected header", err)) <
            0) {
        return rc;
    }
    if (!json_is_object(h)) {
        return vg_err_set(err, VG_E_PARSE, "JWS protected header: not an object");
    }
    if ((rc = protected_parse(e, h, err)) < 0 ||
        (rc = unprotected_parse(e, json_object_get(root, "header"), err)) < 0 ||
        (rc = vg_notation__b64url_decode(&payload, &plen, p64, "JWS payload", err)) < 0 ||
        (rc = vg_notation__b64url_decode(&e->signature, &e->siglen, s64, "JWS signature", err)) <
            0) {
        return rc;
    }
    vg_autofree char *input = vg_fmt("%s.%s", h64, p64);
    return vg_notation__finish(e, input, strlen(input), payload, plen, err);
}

static json_t *
time_json(int64_t t)
{
    char s[32];
    vg_time_rfc3339(s, sizeof(s), t);
    return json_string(s);
}

int
vg_notation__jws_sign(struct vg_buf *out, const struct vg_notation_sign_opts *o,
                      enum vg_crypto_alg alg, const struct vg_buf *payload, struct vg_err **err)
{
    bool sa = o->scheme == VG_NOTATION_SIGNING_AUTHORITY;
    vg_autojson json_t *h = json_object();
    json_t *crit = json_array();
    vg_json_set_str(h, "alg", vg_crypto_alg_jws_name(alg));
    vg_json_set_str(h, "cty", VG_NOTATION_MT_PAYLOAD);
    vg_json_set_str(h, NOTARY_HDR_SCHEME, sa ? VG_NOTATION_SCHEME_SA : VG_NOTATION_SCHEME_X509);
    vg_json_append_take(crit, json_string(NOTARY_HDR_SCHEME));
    vg_json_set_take(h, sa ? NOTARY_HDR_AUTHENTIC_TIME : NOTARY_HDR_SIGNING_TIME,
                     time_json(o->now));
    if (sa) {
        vg_json_append_take(crit, json_string(NOTARY_HDR_AUTHENTIC_TIME));
    }
    if (o->expiry) {
        vg_json_set_take(h, NOTARY_HDR_EXPIRY, time_json(o->expiry));
        vg_json_append_take(crit, json_string(NOTARY_HDR_EXPIRY));
    }
    vg_json_set_take(h, "crit", crit);
    vg_autofree char *hs = vg_json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
    vg_autofree char *h64 = vg_notation__b64url(hs, strlen(hs));
    vg_autofree char *p64 = vg_notation__b64url(payload->data, payload->len);
    vg_autofree char *input = vg_fmt("%s.%s", h64, p64);
    vg_autofree uint8_t *sig = NULL;
    size_t siglen = 0;
    vg_autobuf struct vg_buf tst = VG_BUF_INIT(VG_X509_DER_MAX);
    int rc = vg_crypto_alg_sign(o->key, alg, input, strlen(input), &sig, &siglen, err);
    if (rc < 0 || (rc = vg_notation__timestamp(&tst, o, alg, sig, siglen, err)) < 0) {
        return rc;
    }
    vg_autojson json_t *env = json_object();
    json_t *unprot = json_object();
    json_t *x5c = json_array();
    for (size_t i = 0; i < o->nchain; i++) {
        size_t dlen = 0;
        const uint8_t *der = vg_x509_der(o->chain[i], &dlen);
        vg_autofree char *b64 = vg_base64_encode(der, dlen);
        vg_json_append_take(x5c, json_string(b64));
    }
    vg_json_set_take(unprot, "x5c", x5c);
    vg_json_set_str(unprot, NOTARY_HDR_AGENT, o->agent);
    if (tst.len) {
        vg_autofree char *t64 = vg_base64_encode(tst.data, tst.len);
        vg_json_set_str(unprot, NOTARY_HDR_TIMESTAMP, t64);
    }
    vg_json_set_str(env, "payload", p64);
    vg_json_set_str(env, "protected", h64);
    vg_json_set_take(env, "header", unprot);
    vg_autofree char *s64 = vg_notation__b64url(sig, siglen);
    vg_json_set_str(env, "signature", s64);
    vg_autofree char *js = vg_json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER);
    return vg_buf_append_str(out, js, err);
}
