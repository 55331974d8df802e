/* SPDX-License-Identifier: Apache-2.0
 *
 * Keyless signing of in-toto statements (docs/sigstore.md "Keyless signing"): the Rekor v1
 * proposed entries for a DSSE envelope signed with a Fulcio certificate and the checks on what
 * Rekor logged. dsse 0.0.1 is what sigstore-go (cosign's --new-bundle-format) logs for bundles;
 * intoto 0.0.2 is what cosign 2 logs for legacy `.att` attestations. Rekor canonicalizes the
 * bodies, so fields are compared, not bytes; certificates are compared as DER.
 */
#include "sign_int.h"

#include <inttypes.h>
#include <string.h>

#include "crypto/crypto.h"

int
vg_rekor_dsse_proposed(struct vg_buf *out, const char *envelope_json, const char *cert_pem,
                       struct vg_err **err)
{
    vg_autofree char *c64 = vg_base64_encode(cert_pem, strlen(cert_pem));
    vg_autojson json_t *j =
        json_pack("{s:s,s:s,s:{s:{s:s,s:[s]}}}", "apiVersion", "0.0.1", "kind", "dsse", "spec",
                  "proposedContent", "envelope", envelope_json, "verifiers", c64);
    if (!j) {
        return vg_err_set(err, VG_E_INTERNAL, "rekor dsse entry: JSON");
    }
    vg_autofree char *s = vg_json_dump(j, false);
    return vg_buf_append_str(out, s, err);
}

int
vg_rekor_intoto_proposed(struct vg_buf *out, const char *envelope_json, const char *payload_type,
                         const void *payload, size_t len, const uint8_t *sig, size_t siglen,
                         const char *cert_pem, struct vg_err **err)
{
    /* intoto 0.0.2 stores the envelope's base64 strings base64-encoded once more */
    vg_autofree char *p64 = vg_base64_encode(payload, len);
    vg_autofree char *s64 = vg_base64_encode(sig, siglen);
    vg_autofree char *pp = vg_base64_encode(p64, strlen(p64));
    vg_autofree char *ss = vg_base64_encode(s64, strlen(s64));
    vg_autofree char *c64 = vg_base64_encode(cert_pem, strlen(cert_pem));
    uint8_t h[32];
    char hex[65];
    vg_sha256_raw(h, envelope_json, strlen(envelope_json));
    vg_hex_encode(hex, h, 32);
    vg_autojson json_t *j = json_pack(
        "{s:s,s:s,s:{s:{s:{s:s,s:s,s:[{s:s,s:s}]},s:{s:s,s:s}}}}", "apiVersion", "0.0.2", "kind",
        "intoto", "spec", "content", "envelope", "payload", pp, "payloadType", payload_type,
        "signatures", "sig", ss, "publicKey", c64, "hash", "algorithm", "sha256", "value", hex);
    if (!j) {
        return vg_err_set(err, VG_E_INTERNAL, "rekor intoto entry: JSON");
    }
    vg_autofree char *s = vg_json_dump(j, false);
    return vg_buf_append_str(out, s, err);
}

/* {"algorithm":"sha256","value":hex(sha256(data))} */
static bool
hash_is(const json_t *h, const void *data, size_t len)
{
    uint8_t d[32];
    char hex[65];
    vg_sha256_raw(d, data, len);
    vg_hex_encode(hex, d, 32);
    const char *alg = h ? vg_json_str(h, "algorithm") : NULL;
    const char *v = h ? vg_json_str(h, "value") : NULL;
    return alg && v && strcmp(alg, "sha256") == 0 && strcmp(v, hex) == 0;
}

/* base64 field of obj (decoded twice when twice) equals want. */
static bool
b64_is(const json_t *obj, const char *key, bool twice, const void *want, size_t wantlen)
{
    const char *s = obj ? vg_json_str(obj, key) : NULL;
    vg_autofree uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    vg_autoerr struct vg_err *e = NULL;
    if (!s || vg_base64_decode(&a, &alen, s, strlen(s), false, &e) < 0) {
        return false;
    }
    if (twice && vg_base64_decode(&b, &blen, (const char *)a, alen, false, &e) < 0) {
        return false;
    }
    const uint8_t *got = twice ? b : a;
    size_t gotlen = twice ? blen : alen;
    return gotlen == wantlen && memcmp(got, want, wantlen) == 0;
}

/* A base64 PEM field of obj is the same certificate as cert_pem (compared as DER). */
static bool
cert_is(const json_t *obj, const char *key, const char *cert_pem)
{
    const char *s = obj ? vg_json_str(obj, key) : NULL;
    vg_autofree uint8_t *pem = NULL;
    size_t pemlen = 0;
    vg_autoerr struct vg_err *e = NULL;
    struct vg_x509 *a = NULL, *b = NULL;
    bool same = false;
    if (s && vg_base64_decode(&pem, &pemlen, s, strlen(s), false, &e) == 0 &&
        vg_x509_parse(&a, pem, pemlen, &e) == 0 &&
        vg_x509_parse(&b, cert_pem, strlen(cert_pem), &e) == 0) {
        size_t alen = 0, blen = 0;
        const uint8_t *ad = vg_x509_der(a, &alen), *bd = vg_x509_der(b, &blen);
        same = alen == blen && memcmp(ad, bd, alen) == 0;
    }
    vg_x509_free(a);
    vg_x509_free(b);
    return same;
}

static const json_t *
only(const json_t *arr)
{
    return json_is_array(arr) && json_array_size(arr) == 1 ? json_array_get(arr, 0) : NULL;
}

int
vg_rekor_dsse_entry_check(const struct vg_sigstore_tlog_entry *e, const char *envelope_json,
                          const void *payload, size_t len, const uint8_t *sig, size_t siglen,
                          const char *cert_pem, struct vg_err **err)
{
    vg_autojson json_t *b = NULL;
    if (vg_json_parse(&b, e->body, e->bodylen, VG_REKOR_RESPONSE_MAX, "body", err) < 0) {
        return vg_err_wrap(err, "rekor entry body");
    }
    const json_t *spec = vg_json_obj(b, "spec");
    const char *kind = vg_json_str(b, "kind"), *api = vg_json_str(b, "apiVersion");
    bool ok = false;
    if (spec && kind && api && strcmp(kind, "dsse") == 0 && strcmp(api, "0.0.1") == 0) {
        const json_t *s = only(vg_json_arr(spec, "signatures"));
        ok = hash_is(vg_json_obj(spec, "payloadHash"), payload, len) &&
             b64_is(s, "signature", false, sig, siglen) && cert_is(s, "verifier", cert_pem);
    } else if (spec && kind && api && strcmp(kind, "intoto") == 0 && strcmp(api, "0.0.2") == 0) {
        const json_t *c = vg_json_obj(spec, "content");
        const json_t *env = c ? vg_json_obj(c, "envelope") : NULL;
        const json_t *s = env ? only(vg_json_arr(env, "signatures")) : NULL;
        vg_autofree char *s64 = vg_base64_encode(sig, siglen);
        ok = c && hash_is(vg_json_obj(c, "payloadHash"), payload, len) &&
             hash_is(vg_json_obj(c, "hash"), envelope_json, strlen(envelope_json)) &&
             b64_is(s, "sig", false, s64, strlen(s64)) && cert_is(s, "publicKey", cert_pem);
    }
    if (!ok) {
        return vg_err_set(err, VG_E_VERIFY,
                          "rekor entry %" PRId64 ": not the dsse/intoto entry of this envelope, "
                          "signature and certificate",
                          e->log_index);
    }
    return 0;
}
