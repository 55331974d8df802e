/* SPDX-License-Identifier: Apache-2.0
 *
 * Notary Project signature envelopes, the part both serializations share
 * (signature-specification.md): the payload {"targetArtifact": descriptor}, the critical
 * attributes vigil understands, and the checks every envelope goes through once its
 * serialization (notation_jws.c, notation_cose.c) has been taken apart: the certificate chain
 * is ordered leaf → root and meets the certificate requirements, the algorithm the envelope
 * claims is the one the leaf's key implies (never the other way round), the signature verifies
 * over the exact signing input, and only then is the payload parsed.
 */
#include "notation_int.h"

#include <string.h>

char *
vg_notation__b64url(const void *data, size_t n)
{
    char *s = vg_base64_encode(data, n);
    size_t j = 0;
    for (size_t i = 0; s[i] && s[i] != '='; i++) {
        s[j++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
    }
    s[j] = '\0';
    return s;
}

int
vg_notation__b64url_decode(uint8_t **out, size_t *outlen, const char *s, const char *what,
                           struct vg_err **err)
{
    size_t n = strlen(s);
    if (n % 4 == 1) {
        return vg_err_set(err, VG_E_PARSE, "%s: invalid base64url length", what);
    }
    vg_autofree char *t = vg_malloc(n + 4);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+' || c == '/' || c == '=') {
            return vg_err_set(err, VG_E_PARSE, "%s: not base64url at offset %zu", what, i);
        }
        t[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    size_t m = n;
    while (m % 4) {
        t[m++] = '=';
    }
    t[m] = '\0';
    vg_autoerr struct vg_err *e = NULL;
    if (vg_base64_decode(out, outlen, t, m, false, &e) < 0) {
        return vg_err_set(err, VG_E_PARSE, "%s: not base64url", what);
    }
    return 0;
}

int
vg_notation__payload_build(struct vg_buf *out, const struct vg_notation_target *t,
                           struct vg_err **err)
{
    vg_autojson json_t *desc = json_object();
    vg_json_set_str(desc, "mediaType", t->media_type);
    vg_json_set_str(desc, "digest", t->digest.text);
    vg_json_set_take(desc, "size", json_integer((json_int_t)t->size));
    if (t->nannotations) {
        json_t *ann = json_object();
        for (size_t i = 0; i < t->nannotations; i++) {
            if (json_object_get(ann, t->annotations[i].key)) {
                json_decref(ann);
                return vg_err_set(err, VG_E_USAGE, "user metadata key \"%s\" given twice",
                                  t->annotations[i].key);
            }
            vg_json_set_str(ann, t->annotations[i].key, t->annotations[i].value);
        }
        vg_json_set_take(desc, "annotations", ann);
    }
    vg_autojson json_t *root = json_object();
    vg_json_set_take(root, "targetArtifact", json_incref(desc));
    vg_autofree char *s = vg_json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    if (!s) {
        return vg_err_set(err, VG_E_USAGE, "payload: user metadata is not valid UTF-8");
    }
    return vg_buf_append_str(out, s, err);
}

int
vg_notation__crit_known(const char *name, struct vg_err **err)
{
    if (strcmp(name, NOTARY_HDR_SCHEME) == 0 || strcmp(name, NOTARY_HDR_AUTHENTIC_TIME) == 0 ||
        strcmp(name, NOTARY_HDR_EXPIRY) == 0) {
        return 0;
    }
    vg_autofree char *esc = vg_escape(name, strlen(name), 120);
    if (strcmp(name, NOTARY_HDR_PLUGIN) == 0 || strcmp(name, NOTARY_HDR_PLUGIN_MIN) == 0) {
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "the signature requires a verification plugin (%s), which vigil "
                          "does not run",
                          esc);
    }
    return vg_err_set(err, VG_E_UNSUPPORTED, "unknown critical attribute \"%s\"", esc);
}

void
vg_notation_envelope_free(struct vg_notation_envelope *e)
{
    if (!e) {
        return;
    }
    free(e->agent);
    vg_x509_list_free(e->chain, e->nchain);
    free(e->signature);
    free(e->tst);
    free(e->target_media_type);
    json_decref(e->target_annotations);
    free(e);
}

/* Chain order and the certificate requirements for a chain whose leaf has `leaf_role`. */
static int
chain_check(struct vg_x509 *const *chain, size_t n, enum vg_x509_role leaf_role,
            struct vg_err **err)
{
    int rc = vg_x509_chain_ordered(chain, n, err);
    if (rc < 0) {
        return rc;
    }
    if ((rc = vg_x509_notary_check(chain[0], leaf_role, 0, err)) < 0) {
        return vg_err_wrap(err, "certificate 1");
    }
    for (size_t i = 1; i < n; i++) {
        if ((rc = vg_x509_notary_check(chain[i], VG_X509_ROLE_CA, i - 1, err)) < 0) {
            return vg_err_wrap(err, "certificate %zu", i + 1);
        }
    }
    return 0;
}

static int
payload_parse(struct vg_notation_envelope *e, const void *payload, size_t plen, struct vg_err **err)
{
    vg_autojson json_t *root = NULL;
    int rc = vg_json_parse(&root, payload, plen, VG_NOTATION_PAYLOAD_MAX, "payload", err);
    if (rc < 0) {
        return rc;
    }
    json_t *d = json_is_object(root) ? json_object_get(root, "targetArtifact") : NULL;
    const char *mt = d ? vg_json_str(d, "mediaType") : NULL;
    const char *dg = d ? vg_json_str(d, "digest") : NULL;
    json_t *size = d ? json_object_get(d, "size") : NULL;
    json_t *ann = d ? json_object_get(d, "annotations") : NULL;
    if (!json_is_object(d) || !mt || !dg || !json_is_integer(size) ||
        json_integer_value(size) < 0 || (ann && !json_is_object(ann))) {
        return vg_err_set(err, VG_E_PARSE,
                          "payload: targetArtifact needs mediaType, digest and size (and "
                          "string annotations)");
    }
    const char *k;
    json_t *v;
    json_object_foreach (ann, k, v) {
        if (!json_is_string(v)) {
            return vg_err_set(err, VG_E_PARSE, "payload: annotation values must be strings");
        }
    }
    if ((rc = vg_digest_parse(&e->target_digest, dg, err)) < 0) {
        return vg_err_wrap(err, "payload: targetArtifact.digest");
    }
    e->target_media_type = vg_strdup(mt);
    e->target_size = (uint64_t)json_integer_value(size);
    e->target_annotations = ann ? json_incref(ann) : NULL;
    return 0;
}

int
vg_notation__finish(struct vg_notation_envelope *e, const void *input, size_t inlen,
                    const void *payload, size_t plen, struct vg_err **err)
{
    int rc = chain_check(e->chain, e->nchain, VG_X509_ROLE_CODE_SIGNING, err);
    if (rc < 0) {
        return vg_err_wrap(err, "certificate chain");
    }
    vg_autokey struct vg_crypto_key *key = NULL;
    enum vg_crypto_alg want = VG_CRYPTO_ALG_NONE;
    if ((rc = vg_x509_public_key(&key, e->chain[0], err)) < 0 ||
        (rc = vg_crypto_key_alg(&want, key, err)) < 0) {
        return vg_err_wrap(err, "signing certificate");
    }
    if (want != e->alg) {
        return vg_err_set(err, VG_E_VERIFY,
                          "algorithm %s in the envelope, but the signing certificate's key "
                          "signs with %s",
                          vg_crypto_alg_jws_name(e->alg), vg_crypto_alg_jws_name(want));
    }
    if ((rc = vg_crypto_alg_verify(key, e->alg, input, inlen, e->signature, e->siglen, err)) < 0) {
        return rc;
    }
    return payload_parse(e, payload, plen, err);
}

int
vg_notation__signer_check(enum vg_crypto_alg *alg, const struct vg_notation_sign_opts *o,
                          struct vg_err **err)
{
    if (!o->key || !o->nchain) {
        return vg_err_set(err, VG_E_USAGE, "signing needs a key and its certificate chain");
    }
    vg_autoerr struct vg_err *e = NULL;
    if (chain_check(o->chain, o->nchain, VG_X509_ROLE_CODE_SIGNING, &e) < 0) {
        vg_autofree char *msg = vg_err_format(e);
        return vg_err_set(err, VG_E_USAGE,
                          "certificate chain: %s (Notary requires the signing certificate "
                          "first, then its issuers up to the root)",
                          msg);
    }
    vg_autokey struct vg_crypto_key *pub = NULL;
    int rc = vg_x509_public_key(&pub, o->chain[0], err);
    if (rc < 0) {
        return rc;
    }
    if (!vg_crypto_key_public_eq(pub, o->key)) {
        return vg_err_set(err, VG_E_USAGE,
                          "the key does not belong to the first certificate of the chain");
    }
    return vg_crypto_key_alg(alg, o->key, err);
}

int
vg_notation__timestamp(struct vg_buf *tst, const struct vg_notation_sign_opts *o,
                       enum vg_crypto_alg alg, const uint8_t *sig, size_t siglen,
                       struct vg_err **err)
{
    if (!o->timestamp) {
        return 0;
    }
    int rc = o->timestamp(o->timestamp_ctx, tst, sig, siglen, alg, err);
    if (rc == 0 && tst->len == 0) {
        rc = vg_err_set(err, VG_E_INTERNAL, "timestamp: no token");
    }
    return rc < 0 ? vg_err_wrap(err, "timestamp of the signature") : 0;
}

int
vg_notation_envelope_sign(struct vg_buf *out, const char **media_type,
                          const struct vg_notation_sign_opts *o,
                          const struct vg_notation_target *target, struct vg_err **err)
{
    enum vg_crypto_alg alg = VG_CRYPTO_ALG_NONE;
    int rc = vg_notation__signer_check(&alg, o, err);
    if (rc < 0) {
        return rc;
    }
    if (o->expiry && o->expiry <= o->now) {
        return vg_err_set(err, VG_E_USAGE, "expiry must be after the signing time");
    }
    if (o->timestamp && o->scheme == VG_NOTATION_SIGNING_AUTHORITY) {
        return vg_err_set(err, VG_E_USAGE,
                          "a timestamp is for the notary.x509 scheme (notary.x509."
                          "signingAuthority signs its own authentic signing time)");
    }
    vg_autobuf struct vg_buf payload = VG_BUF_INIT(VG_NOTATION_PAYLOAD_MAX);
    if ((rc = vg_notation__payload_build(&payload, target, err)) < 0) {
        return rc;
    }
    if (o->format == VG_NOTATION_COSE) {
        *media_type = VG_NOTATION_MT_COSE;
        return vg_notation__cose_sign(out, o, alg, &payload, err);
    }
    *media_type = VG_NOTATION_MT_JWS;
    return vg_notation__jws_sign(out, o, alg, &payload, err);
}

int
vg_notation_envelope_open(struct vg_notation_envelope **out, const char *media_type,
                          const void *data, size_t len, struct vg_err **err)
{
    if (len > VG_NOTATION_ENVELOPE_MAX) {
        return vg_err_set(err, VG_E_LIMIT,
                          "signature envelope of %zu bytes exceeds the limit of %u", len,
                          VG_NOTATION_ENVELOPE_MAX);
    }
    struct vg_notation_envelope *e = vg_calloc(1, sizeof(*e));
    int rc;
    if (media_type && strcmp(media_type, VG_NOTATION_MT_JWS) == 0) {
        e->format = VG_NOTATION_JWS;
        rc = vg_notation__jws_open(e, data, len, err);
    } else if (media_type && strcmp(media_type, VG_NOTATION_MT_COSE) == 0) {
        e->format = VG_NOTATION_COSE;
        rc = vg_notation__cose_open(e, data, len, err);
    } else {
        vg_autofree char *esc =
            vg_escape(media_type ? media_type : "", media_type ? strlen(media_type) : 0, 120);
        rc = vg_err_set(err, VG_E_UNSUPPORTED, "signature envelope media type \"%s\"", esc);
    }
    if (rc < 0) {
        vg_notation_envelope_free(e);
        return rc;
    }
    *out = e;
    return 0;
}
