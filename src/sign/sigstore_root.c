/* SPDX-License-Identifier: Apache-2.0
 *
 * The Sigstore trusted root (protobuf-specs TrustedRoot, media type
 * application/vnd.dev.sigstore.trustedroot+json;version=0.1): Fulcio CAs and TSAs as
 * certificate chains with validity windows, Rekor and CT logs as keys with log ids and
 * windows. Parsed strictly into typed lists; nothing here fetches a root (TUF is tuf/'s).
 * Also the protobuf-JSON field helpers the bundle parser shares.
 */
#include "sigstore_int.h"

#include <string.h>

#define ROOT_MT_PREFIX "application/vnd.dev.sigstore.trustedroot"

int
vg_sigstore__i64(int64_t *out, bool *present, const json_t *obj, const char *key, const char *where,
                 struct vg_err **err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    *out = 0;
    if (present) {
        *present = v != NULL && !json_is_null(v);
    }
    if (!v || json_is_null(v)) {
        return present ? 0 : vg_err_set(err, VG_E_PARSE, "%s: %s missing", where, key);
    }
    int64_t n = 0;
    if (json_is_integer(v)) {
        n = (int64_t)json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!*s || vg_parse_i64(vg_str_c(s), &n) < 0) {
            vg_autofree char *esc = vg_escape(s, strlen(s), 40);
            return vg_err_set(err, VG_E_PARSE, "%s: %s \"%s\" is not an integer", where, key, esc);
        }
    } else {
        return vg_err_set(err, VG_E_PARSE, "%s: %s is not an integer", where, key);
    }
    if (n < 0) {
        return vg_err_set(err, VG_E_PARSE, "%s: %s is negative (%lld)", where, key, (long long)n);
    }
    *out = n;
    return 0;
}

int
vg_sigstore__b64(uint8_t **out, size_t *outlen, const char *s, size_t max, const char *what,
                 struct vg_err **err)
{
    size_t n = strlen(s);
    if (n / 4 * 3 > max + 3 + n / 64) {
        return vg_err_set(err, VG_E_LIMIT,
                          "%s: %zu base64 characters exceed the limit of %zu bytes", what, n, max);
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' || s[i] == '\t') {
            return vg_err_set(err, VG_E_PARSE, "%s: invalid base64 at offset %zu", what, i);
        }
    }
    if (vg_base64_decode(out, outlen, s, n, true, err) < 0) {
        return vg_err_wrap(err, "%s", what);
    }
    if (*outlen > max) {
        free(*out);
        *out = NULL;
        return vg_err_set(err, VG_E_LIMIT, "%s: %zu bytes exceed the limit of %zu", what, *outlen,
                          max);
    }
    return 0;
}

int
vg_sigstore__b64_32v(uint8_t out[32], const json_t *v, const char *what, const char *where,
                     struct vg_err **err)
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (!s) {
        return vg_err_set(err, VG_E_PARSE, "%s: %s missing or not a string", where, what);
    }
    vg_autofree uint8_t *raw = NULL;
    size_t n = 0;
    if (vg_sigstore__b64(&raw, &n, s, 64, what, err) < 0) {
        return vg_err_wrap(err, "%s", where);
    }
    if (n != 32) {
        return vg_err_set(err, VG_E_PARSE, "%s: %s is %zu bytes (want 32)", where, what, n);
    }
    memcpy(out, raw, 32);
    return 0;
}

int
vg_sigstore__b64_32(uint8_t out[32], const json_t *obj, const char *key, const char *where,
                    struct vg_err **err)
{
    return vg_sigstore__b64_32v(out, obj ? json_object_get(obj, key) : NULL, key, where, err);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool
digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

int
vg_sigstore_time_parse(int64_t *out, const char *s, struct vg_err **err)
{
    unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
    size_t n = strlen(s);
    bool ok = n >= 20 && digits(s, 4, &y) && s[4] == '-' && digits(s + 5, 2, &mo) && s[7] == '-' &&
              digits(s + 8, 2, &d) && (s[10] == 'T' || s[10] == 't') && digits(s + 11, 2, &h) &&
              s[13] == ':' && digits(s + 14, 2, &mi) && s[16] == ':' && digits(s + 17, 2, &sec);
    size_t i = 19;
    if (ok && s[i] == '.') {
        size_t j = i + 1;
        while (j < n && s[j] >= '0' && s[j] <= '9') {
            j++;
        }
        ok = j > i + 1 && j - i <= 10;
        i = j;
    }
    int sign = 0;
    if (ok && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        sign = 0;
    } else if (ok && (s[i] == '+' || s[i] == '-') && i + 6 == n && digits(s + i + 1, 2, &oh) &&
               s[i + 3] == ':' && digits(s + i + 4, 2, &om)) {
        sign = s[i] == '+' ? 1 : -1;
    } else {
        ok = false;
    }
    ok = ok && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && sec <= 60 &&
         oh < 24 && om < 60;
    if (!ok) {
        vg_autofree char *esc = vg_escape(s, n, 40);
        return vg_err_set(err, VG_E_PARSE, "time \"%s\" is not RFC 3339", esc);
    }
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    *out = t - sign * (int64_t)(oh * 3600 + om * 60);
    return 0;
}

/* validFor {start, end}: absent → open; present → start required, end optional or null. */
static int
parse_valid_for(int64_t *start, int64_t *end, const json_t *parent, const char *where,
                struct vg_err **err)
{
    *start = 0;
    *end = 0;
    json_t *vf = json_object_get(parent, "validFor");
    if (!vf) {
        return 0;
    }
    if (!json_is_object(vf)) {
        return vg_err_set(err, VG_E_PARSE, "%s: validFor is not an object", where);
    }
    const char *s = vg_json_str(vf, "start");
    if (!s) {
        return vg_err_set(err, VG_E_PARSE, "%s: validFor has no start", where);
    }
    if (vg_sigstore_time_parse(start, s, err) < 0) {
        return vg_err_wrap(err, "%s: validFor.start", where);
    }
    json_t *e = json_object_get(vf, "end");
    if (e && !json_is_null(e)) {
        if (!json_is_string(e) || vg_sigstore_time_parse(end, json_string_value(e), err) < 0) {
            return e && !json_is_string(e)
                       ? vg_err_set(err, VG_E_PARSE, "%s: validFor.end is not a string", where)
                       : vg_err_wrap(err, "%s: validFor.end", where);
        }
        if (*end < *start) {
            return vg_err_set(err, VG_E_PARSE, "%s: validFor ends before it starts", where);
        }
    }
    return 0;
}

static int
decode_raw(uint8_t **der, size_t *len, const json_t *obj, const char *where, struct vg_err **err)
{
    const char *s = obj ? vg_json_str(obj, "rawBytes") : NULL;
    if (!s) {
        return vg_err_set(err, VG_E_PARSE, "%s: rawBytes missing", where);
    }
    if (vg_sigstore__b64(der, len, s, VG_X509_DER_MAX, "rawBytes", err) < 0) {
        return vg_err_wrap(err, "%s", where);
    }
    return 0;
}

static int
parse_log(struct vg_sigstore_log *l, const json_t *j, const char *where, struct vg_err **err)
{
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "%s: not an object", where);
    }
    const char *url = vg_json_str(j, "baseUrl");
    l->base_url = vg_strdup(url ? url : "");
    const char *ha = vg_json_str(j, "hashAlgorithm");
    if (ha && strcmp(ha, "SHA2_256") != 0) {
        vg_autofree char *esc = vg_escape(ha, strlen(ha), 40);
        return vg_err_set(err, VG_E_UNSUPPORTED, "%s: hashAlgorithm \"%s\"", where, esc);
    }
    if (vg_sigstore__b64_32(l->id, vg_json_obj(j, "logId"), "keyId", where, err) < 0) {
        return -1;
    }
    json_t *pk = vg_json_obj(j, "publicKey");
    if (!pk) {
        return vg_err_set(err, VG_E_PARSE, "%s: publicKey missing", where);
    }
    vg_autofree uint8_t *der = NULL;
    size_t derlen = 0;
    if (decode_raw(&der, &derlen, pk, where, err) < 0) {
        return -1;
    }
    const char *details = vg_json_str(pk, "keyDetails");
    int rc = 0;
    if (details && vg_cstr_startswith(details, "PKCS1_")) {
        /* PKCS#1 RSAPublicKey DER (older CT logs): the PEM "RSA PUBLIC KEY" form loads it. */
        vg_autofree char *b64 = vg_base64_encode(der, derlen);
        vg_autofree char *pem =
            vg_fmt("-----BEGIN RSA PUBLIC KEY-----\n%s\n-----END RSA PUBLIC KEY-----\n", b64);
        rc = vg_crypto_key_load_public(&l->key, pem, strlen(pem), err);
    } else {
        rc = vg_crypto_key_load_public(&l->key, der, derlen, err);
    }
    if (rc < 0) {
        return vg_err_wrap(err, "%s: publicKey", where);
    }
    return parse_valid_for(&l->start, &l->end, pk, where, err);
}

static int
parse_ca(struct vg_sigstore_ca *ca, const json_t *j, const char *where, struct vg_err **err)
{
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "%s: not an object", where);
    }
    const char *uri = vg_json_str(j, "uri");
    ca->uri = vg_strdup(uri ? uri : "");
    json_t *certs = vg_json_arr(vg_json_obj(j, "certChain"), "certificates");
    size_t n = certs ? json_array_size(certs) : 0;
    if (n == 0 || n > VG_X509_CHAIN_MAX) {
        return vg_err_set(err, VG_E_PARSE, "%s: certChain holds %zu certificates (want 1 to %u)",
                          where, n, VG_X509_CHAIN_MAX);
    }
    ca->certs = vg_calloc(n, sizeof(*ca->certs));
    for (size_t i = 0; i < n; i++) {
        vg_autofree uint8_t *der = NULL;
        size_t derlen = 0;
        if (decode_raw(&der, &derlen, json_array_get(certs, i), where, err) < 0) {
            return -1;
        }
        if (vg_x509_parse(&ca->certs[i], der, derlen, err) < 0) {
            return vg_err_wrap(err, "%s: certificate %zu", where, i);
        }
        ca->ncerts = i + 1;
    }
    return parse_valid_for(&ca->start, &ca->end, j, where, err);
}

static void
log_dispose(struct vg_sigstore_log *l)
{
    vg_crypto_key_free(l->key);
    free(l->base_url);
}

static void
ca_dispose(struct vg_sigstore_ca *ca)
{
    for (size_t i = 0; i < ca->ncerts; i++) {
        vg_x509_free(ca->certs[i]);
    }
    free(ca->certs);
    free(ca->uri);
}

void
vg_sigstore_root_free(struct vg_sigstore_root *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->ntlogs; i++) {
        log_dispose(&r->tlogs[i]);
    }
    for (size_t i = 0; i < r->nctlogs; i++) {
        log_dispose(&r->ctlogs[i]);
    }
    for (size_t i = 0; i < r->ncas; i++) {
        ca_dispose(&r->cas[i]);
    }
    for (size_t i = 0; i < r->ntsas; i++) {
        ca_dispose(&r->tsas[i]);
    }
    free(r->tlogs);
    free(r->ctlogs);
    free(r->cas);
    free(r->tsas);
    free(r);
}

static int
list_size(size_t *n, const json_t *root, const char *key, struct vg_err **err)
{
    json_t *a = json_object_get(root, key);
    *n = 0;
    if (!a) {
        return 0;
    }
    if (!json_is_array(a)) {
        return vg_err_set(err, VG_E_PARSE, "trusted root: %s is not an array", key);
    }
    *n = json_array_size(a);
    if (*n > VG_SIGSTORE_ROOT_ITEMS) {
        return vg_err_set(err, VG_E_LIMIT, "trusted root: %s has %zu entries (limit %u)", key, *n,
                          VG_SIGSTORE_ROOT_ITEMS);
    }
    return 0;
}

static int
parse_logs(struct vg_sigstore_log **out, size_t *nout, const json_t *root, const char *key,
           struct vg_err **err)
{
    size_t n = 0;
    if (list_size(&n, root, key, err) < 0) {
        return -1;
    }
    *out = n ? vg_calloc(n, sizeof(**out)) : NULL;
    for (size_t i = 0; i < n; i++) {
        char where[64];
        snprintf(where, sizeof(where), "trusted root: %s[%zu]", key, i);
        *nout = i + 1;
        if (parse_log(&(*out)[i], json_array_get(json_object_get(root, key), i), where, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
parse_cas(struct vg_sigstore_ca **out, size_t *nout, const json_t *root, const char *key,
          struct vg_err **err)
{
    size_t n = 0;
    if (list_size(&n, root, key, err) < 0) {
        return -1;
    }
    *out = n ? vg_calloc(n, sizeof(**out)) : NULL;
    for (size_t i = 0; i < n; i++) {
        char where[64];
        snprintf(where, sizeof(where), "trusted root: %s[%zu]", key, i);
        *nout = i + 1;
        if (parse_ca(&(*out)[i], json_array_get(json_object_get(root, key), i), where, err) < 0) {
            return -1;
        }
    }
    return 0;
}

int
vg_sigstore_root_parse(struct vg_sigstore_root **out, const void *data, size_t len,
                       struct vg_err **err)
{
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, data, len, VG_SIGSTORE_ROOT_MAX, "trusted root", err) < 0) {
        return -1;
    }
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "trusted root: not a JSON object");
    }
    const char *mt = vg_json_str(j, "mediaType");
    if (!mt || !vg_cstr_startswith(mt, ROOT_MT_PREFIX)) {
        vg_autofree char *esc = mt ? vg_escape(mt, strlen(mt), 80) : NULL;
        return vg_err_set(err, VG_E_UNSUPPORTED, "trusted root: mediaType \"%s\"",
                          esc ? esc : "(missing)");
    }
    struct vg_sigstore_root *r = vg_calloc(1, sizeof(*r));
    if (parse_logs(&r->tlogs, &r->ntlogs, j, "tlogs", err) < 0 ||
        parse_logs(&r->ctlogs, &r->nctlogs, j, "ctlogs", err) < 0 ||
        parse_cas(&r->cas, &r->ncas, j, "certificateAuthorities", err) < 0 ||
        parse_cas(&r->tsas, &r->ntsas, j, "timestampAuthorities", err) < 0) {
        vg_sigstore_root_free(r);
        return -1;
    }
    *out = r;
    return 0;
}
