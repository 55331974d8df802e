/* SPDX-License-Identifier: Apache-2.0
 *
 * Keyless verification of image signatures (docs/sigstore.md "Images"): the evidence cosign
 * keeps in a legacy `.sig` / `.att` layer's annotations (Fulcio certificate, Rekor bundle with
 * its signed entry timestamp, RFC 3161 timestamp; cosign-format.md §3.2, §3.3) is turned into a
 * Sigstore bundle v0.1 so that the one verifier of sigstore_verify.c checks it exactly as it
 * checks `verify-blob` bundles: chain at the signing time, SCT, SET, entry body, identity.
 * Nothing here does I/O.
 */
#include "sigstore_int.h"

#include <string.h>

/* The Rekor bundle annotation: an entry body (a few KiB) plus framing. */
#define REKOR_BUNDLE_MAX (VG_SIGSTORE_BODY_MAX * 2u)
#define SIG_MAX          1024u

static int
hex32(uint8_t out[32], const char *s)
{
    if (!s || strlen(s) != 64) {
        return -1;
    }
    for (size_t i = 0; i < 64; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0) {
            return -1;
        }
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
    }
    return 0;
}

int
vg_sign__digest_raw(uint8_t out[32], const struct vg_digest *d, struct vg_err **err)
{
    if (d->alg != VG_DIGEST_SHA256 || hex32(out, vg_digest_hex(d)) < 0) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "keyless verification needs a sha256 digest");
    }
    return 0;
}

/* §3.3: {"SignedEntryTimestamp": b64, "Payload": {"body": b64, "integratedTime": n,
 * "logIndex": n, "logID": hex}}; kind and version come from the body itself. */
static int
rekor_entry(struct vg_sigstore_tlog_entry *e, const char *text, struct vg_err **err)
{
    static const char where[] = "annotation " VG_SIGN_ANN_BUNDLE;
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, text, strlen(text), REKOR_BUNDLE_MAX, where, err) < 0) {
        return -1;
    }
    const json_t *p = vg_json_obj(j, "Payload");
    const char *set = vg_json_str(j, "SignedEntryTimestamp");
    const char *body = p ? vg_json_str(p, "body") : NULL;
    if (!p || !set || !body) {
        return vg_err_set(err, VG_E_PARSE, "%s: SignedEntryTimestamp or Payload.body missing",
                          where);
    }
    if (hex32(e->log_id, vg_json_str(p, "logID")) < 0) {
        return vg_err_set(err, VG_E_PARSE, "%s: Payload.logID is not 64 hex digits", where);
    }
    bool has_time = false;
    if (vg_sigstore__i64(&e->log_index, NULL, p, "logIndex", where, err) < 0 ||
        vg_sigstore__i64(&e->integrated_time, &has_time, p, "integratedTime", where, err) < 0 ||
        vg_sigstore__b64(&e->set, &e->setlen, set, SIG_MAX, "SignedEntryTimestamp", err) < 0 ||
        vg_sigstore__b64(&e->body, &e->bodylen, body, VG_SIGSTORE_BODY_MAX, "Payload.body", err) <
            0) {
        return vg_err_wrap(err, "%s", where);
    }
    e->has_time = has_time;
    vg_autojson json_t *bj = NULL;
    if (vg_json_parse(&bj, e->body, e->bodylen, VG_SIGSTORE_BODY_MAX, "tlog entry body", err) < 0) {
        return vg_err_wrap(err, "%s", where);
    }
    const char *kind = vg_json_str(bj, "kind"), *ver = vg_json_str(bj, "apiVersion");
    if (!kind || !ver || strlen(kind) > 32 || strlen(ver) > 32) {
        return vg_err_set(err, VG_E_PARSE, "%s: entry body has no kind or apiVersion", where);
    }
    e->kind = vg_strdup(kind);
    e->version = vg_strdup(ver);
    return 0;
}

/* {"SignedRFC3161Timestamp": b64 DER TimeStampResp} */
static int
rfc3161(struct vg_sigstore_bundle *b, const char *text, struct vg_err **err)
{
    static const char where[] = "annotation " VG_SIGN_ANN_RFC3161;
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, text, strlen(text), 4u * VG_X509_DER_MAX, where, err) < 0) {
        return -1;
    }
    const char *ts = vg_json_str(j, "SignedRFC3161Timestamp");
    if (!ts) {
        return vg_err_set(err, VG_E_PARSE, "%s: SignedRFC3161Timestamp missing", where);
    }
    b->tsrs = vg_calloc(1, sizeof(*b->tsrs));
    b->tsrlens = vg_calloc(1, sizeof(*b->tsrlens));
    if (vg_sigstore__b64(&b->tsrs[0], &b->tsrlens[0], ts, VG_X509_DER_MAX, where, err) < 0) {
        return -1;
    }
    b->ntsrs = 1;
    return 0;
}

/* The v0.1 bundle of a legacy layer: keyed (public-key material) or keyless (the certificate
 * annotation). */
static int
legacy_bundle(struct vg_sigstore_bundle **out, const struct vg_sign_sig_entry *l,
              const uint8_t *payload, size_t len, const struct vg_dsse_envelope *env, bool keyed,
              struct vg_err **err)
{
    *out = NULL;
    const char *cert = vg_sign_sig_entry_annotation(l, VG_SIGN_ANN_CERTIFICATE);
    const char *rekor = vg_sign_sig_entry_annotation(l, VG_SIGN_ANN_BUNDLE);
    const char *ts = vg_sign_sig_entry_annotation(l, VG_SIGN_ANN_RFC3161);
    if (!keyed && (!cert || !*cert)) {
        return vg_err_set(err, VG_E_VERIFY, "no certificate found on the signature (keyless)");
    }
    if (keyed && (!rekor || !*rekor)) {
        return vg_err_set(err, VG_E_VERIFY,
                          "no transparency-log entry: the signature has no Rekor bundle "
                          "annotation (" VG_SIGN_ANN_BUNDLE ")");
    }
    struct vg_sigstore_bundle *b = vg_calloc(1, sizeof(*b));
    b->media_type = vg_strdup("application/vnd.dev.sigstore.bundle+json;version=0.1");
    b->minor = 1; /* evidence is a SET, never an inclusion proof */
    int rc = 0;
    if (keyed) {
        b->has_key = true;
    } else {
        b->certs = vg_calloc(1, sizeof(*b->certs));
        if ((rc = vg_x509_parse(&b->certs[0], cert, strlen(cert), err)) < 0) {
            vg_err_wrap(err, "annotation " VG_SIGN_ANN_CERTIFICATE);
            goto fail;
        }
        b->ncerts = 1; /* the chain annotation is not needed: the trusted root holds the CAs */
    }
    if (env) {
        if (env->nsigs != 1) {
            rc = vg_err_set(err, VG_E_VERIFY, "envelope has %zu signatures, keyless needs one",
                            env->nsigs);
            goto fail;
        }
        b->dsse = true;
        b->payload_type = vg_strdup(env->payload_type);
        b->payload = vg_memdup(env->payload, env->payload_len + 1);
        b->payloadlen = env->payload_len;
        b->sig = vg_memdup(env->sigs[0].sig, env->sigs[0].siglen);
        b->siglen = env->sigs[0].siglen;
        if (payload) {
            /* cosign timestamps an attestation layer's blob, not its signature */
            b->tsr_data = vg_memdup(payload, len);
            b->tsr_datalen = len;
        }
    } else {
        const char *sig = vg_sign_sig_entry_annotation(l, VG_SIGN_ANN_SIGNATURE);
        if (!sig ||
            (rc = vg_sigstore__b64(&b->sig, &b->siglen, sig, SIG_MAX, "signature", err)) < 0) {
            rc = sig ? rc : vg_err_set(err, VG_E_VERIFY, "no signature annotation");
            goto fail;
        }
        b->has_digest = true;
        vg_sha256_raw(b->digest, payload, len);
    }
    if (rekor && *rekor) {
        b->entries = vg_calloc(1, sizeof(*b->entries));
        b->nentries = 1;
        if ((rc = rekor_entry(&b->entries[0], rekor, err)) < 0) {
            goto fail;
        }
    }
    if (ts && *ts && (rc = rfc3161(b, ts, err)) < 0) {
        goto fail;
    }
    *out = b;
    return 0;
fail:
    vg_sigstore_bundle_free(b);
    return -1;
}

int
vg_sign_keyless_legacy_bundle(struct vg_sigstore_bundle **out, const struct vg_sign_sig_entry *l,
                              const uint8_t *payload, size_t len,
                              const struct vg_dsse_envelope *env, struct vg_err **err)
{
    return legacy_bundle(out, l, payload, len, env, false, err);
}

int
vg_sign_key_legacy_bundle(struct vg_sigstore_bundle **out, const struct vg_sign_sig_entry *l,
                          const uint8_t *payload, size_t len, struct vg_err **err)
{
    return legacy_bundle(out, l, payload, len, NULL, true, err);
}

int
vg_sign__keyless_verify(const struct vg_sign_keyless *k, const struct vg_sigstore_bundle *b,
                        struct vg_sigstore_artifact *a, char **identity, struct vg_err **err)
{
    if (!k->root) {
        return vg_err_set(err, VG_E_USAGE, "keyless verification needs a trusted root");
    }
    if (k->nidentities == 0) {
        return vg_err_set(err, VG_E_USAGE, "keyless verification needs an identity");
    }
    struct vg_err *first = NULL;
    for (size_t i = 0; i < k->nidentities; i++) {
        struct vg_sigstore_result res;
        struct vg_err *e = NULL;
        if (vg_sigstore_verify(&res, b, k->root, &k->identities[i], a, &e) == 0) {
            if (identity) {
                *identity = vg_fmt("%s (%s)", res.identity ? res.identity : "",
                                   res.issuer ? res.issuer : "");
            }
            vg_sigstore_result_dispose(&res);
            vg_err_free(&first);
            return 0;
        }
        if (!first) {
            first = e;
        } else {
            vg_err_free(&e);
        }
    }
    *err = first;
    if (k->nidentities > 1) {
        return vg_err_wrap(err, "none of %zu identities verified; the first", k->nidentities);
    }
    return -1;
}
