/* SPDX-License-Identifier: Apache-2.0
 *
 * Sigstore bundles v0.1–v0.3 (protobuf-specs Bundle as protobuf JSON) parsed strictly into a
 * typed struct for sigstore_verify.c: verification material (certificate chain, single
 * certificate or public-key hint), tlog entries, RFC 3161 timestamps, and the content (a
 * messageSignature or a DSSE envelope). Nothing is trusted here; every byte string is decoded
 * with a bound.
 */
#include "sigstore_int.h"

#include <string.h>

#define SIG_MAX     1024u
#define KIND_MAX    32u
#define PAYLOAD_MAX VG_SIGSTORE_BUNDLE_MAX

static const struct {
    const char *mt;
    int minor;
} media_types[] = {
    {"application/vnd.dev.sigstore.bundle+json;version=0.1", 1},
    {"application/vnd.dev.sigstore.bundle+json;version=0.2", 2},
    {"application/vnd.dev.sigstore.bundle+json;version=0.3", 3},
    {"application/vnd.dev.sigstore.bundle.v0.3+json", 3},
};

static void
entry_dispose(struct vg_sigstore_tlog_entry *e)
{
    free(e->kind);
    free(e->version);
    free(e->set);
    free(e->hashes);
    free(e->checkpoint);
    free(e->body);
}

void
vg_sigstore_bundle_free(struct vg_sigstore_bundle *b)
{
    if (!b) {
        return;
    }
    free(b->media_type);
    for (size_t i = 0; i < b->ncerts; i++) {
        vg_x509_free(b->certs[i]);
    }
    free(b->certs);
    for (size_t i = 0; i < b->nentries; i++) {
        entry_dispose(&b->entries[i]);
    }
    free(b->entries);
    for (size_t i = 0; i < b->ntsrs; i++) {
        free(b->tsrs[i]);
    }
    free(b->tsrs);
    free(b->tsrlens);
    free(b->tsr_data);
    free(b->sig);
    free(b->payload_type);
    free(b->payload);
    free(b);
}

static int
b64_field(uint8_t **out, size_t *len, const json_t *obj, const char *key, size_t max,
          const char *where, struct vg_err **err)
{
    const char *s = obj ? vg_json_str(obj, key) : NULL;
    if (!s) {
        return vg_err_set(err, VG_E_PARSE, "%s: %s missing or not a string", where, key);
    }
    if (vg_sigstore__b64(out, len, s, max, key, err) < 0) {
        return vg_err_wrap(err, "%s", where);
    }
    return 0;
}

static int
parse_cert(struct vg_sigstore_bundle *b, const json_t *c, const char *where, struct vg_err **err)
{
    vg_autofree uint8_t *der = NULL;
    size_t n = 0;
    if (!json_is_object(c) || b64_field(&der, &n, c, "rawBytes", VG_X509_DER_MAX, where, err) < 0) {
        return json_is_object(c) ? -1 : vg_err_set(err, VG_E_PARSE, "%s: not an object", where);
    }
    struct vg_x509 *x = NULL;
    if (vg_x509_parse(&x, der, n, err) < 0) {
        return vg_err_wrap(err, "%s", where);
    }
    VG_ARRAY_PUSH(b->certs, b->ncerts, x);
    return 0;
}

static int
parse_material_kind(struct vg_sigstore_bundle *b, const json_t *vm, struct vg_err **err)
{
    json_t *chain = json_object_get(vm, "x509CertificateChain");
    json_t *cert = json_object_get(vm, "certificate");
    json_t *pk = json_object_get(vm, "publicKey");
    int kinds = (chain != NULL) + (cert != NULL) + (pk != NULL);
    if (kinds != 1) {
        return vg_err_set(err, VG_E_PARSE,
                          "bundle: verificationMaterial needs exactly one of "
                          "x509CertificateChain, certificate, publicKey (found %d)",
                          kinds);
    }
    if (pk) {
        if (!json_is_object(pk)) {
            return vg_err_set(err, VG_E_PARSE, "bundle: publicKey is not an object");
        }
        b->has_key = true;
        return 0;
    }
    if (cert) {
        return parse_cert(b, cert, "bundle: certificate", err);
    }
    json_t *certs = vg_json_arr(chain, "certificates");
    size_t n = certs ? json_array_size(certs) : 0;
    if (n == 0) {
        return vg_err_set(err, VG_E_PARSE, "bundle: x509CertificateChain has no certificates");
    }
    if (n > VG_X509_CHAIN_MAX) {
        return vg_err_set(err, VG_E_LIMIT,
                          "bundle: x509CertificateChain has %zu certificates (limit %u)", n,
                          VG_X509_CHAIN_MAX);
    }
    for (size_t i = 0; i < n; i++) {
        char where[64];
        snprintf(where, sizeof(where), "bundle: certificates[%zu]", i);
        if (parse_cert(b, json_array_get(certs, i), where, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static char *
bounded_str(const json_t *obj, const char *key)
{
    const char *s = obj ? vg_json_str(obj, key) : NULL;
    return s && *s && strlen(s) < KIND_MAX ? vg_strdup(s) : NULL;
}

static int
parse_proof(struct vg_sigstore_tlog_entry *e, const json_t *p, const char *where,
            struct vg_err **err)
{
    if (!json_is_object(p)) {
        return vg_err_set(err, VG_E_PARSE, "%s: inclusionProof is not an object", where);
    }
    e->has_proof = true;
    if (vg_sigstore__i64(&e->proof_index, NULL, p, "logIndex", where, err) < 0 ||
        vg_sigstore__i64(&e->tree_size, NULL, p, "treeSize", where, err) < 0 ||
        vg_sigstore__b64_32(e->root, p, "rootHash", where, err) < 0) {
        return -1;
    }
    json_t *hashes = json_object_get(p, "hashes");
    if (hashes && !json_is_array(hashes)) {
        return vg_err_set(err, VG_E_PARSE, "%s: inclusionProof.hashes is not an array", where);
    }
    size_t n = hashes ? json_array_size(hashes) : 0;
    if (n > VG_SIGSTORE_PROOF_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "%s: inclusion proof of %zu hashes (limit %u)", where, n,
                          VG_SIGSTORE_PROOF_MAX);
    }
    e->hashes = n ? vg_calloc(n, sizeof(*e->hashes)) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (vg_sigstore__b64_32v(e->hashes[i], json_array_get(hashes, i), "inclusion proof hash",
                                 where, err) < 0) {
            return -1;
        }
        e->nhashes = i + 1;
    }
    json_t *cp = json_object_get(p, "checkpoint");
    if (cp) {
        const char *env = vg_json_str(cp, "envelope");
        if (!env) {
            return vg_err_set(err, VG_E_PARSE, "%s: checkpoint.envelope missing", where);
        }
        if (strlen(env) > VG_SIGSTORE_NOTE_MAX) {
            return vg_err_set(err, VG_E_LIMIT, "%s: checkpoint over %u bytes", where,
                              VG_SIGSTORE_NOTE_MAX);
        }
        e->checkpoint = vg_strdup(env);
    }
    return 0;
}

static int
parse_entry(struct vg_sigstore_tlog_entry *e, const json_t *j, const char *where,
            struct vg_err **err)
{
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "%s: not an object", where);
    }
    json_t *kv = vg_json_obj(j, "kindVersion");
    e->kind = bounded_str(kv, "kind");
    e->version = bounded_str(kv, "version");
    if (!e->kind || !e->version) {
        return vg_err_set(err, VG_E_PARSE, "%s: kindVersion.kind/version missing", where);
    }
    if (vg_sigstore__i64(&e->log_index, NULL, j, "logIndex", where, err) < 0 ||
        vg_sigstore__b64_32(e->log_id, vg_json_obj(j, "logId"), "keyId", where, err) < 0 ||
        vg_sigstore__i64(&e->integrated_time, &e->has_time, j, "integratedTime", where, err) < 0) {
        return -1;
    }
    /* Rekor v2 leaves integratedTime out (or 0): no log-provided time. */
    e->has_time = e->has_time && e->integrated_time > 0;
    json_t *ip = json_object_get(j, "inclusionPromise");
    if (ip && b64_field(&e->set, &e->setlen, ip, "signedEntryTimestamp", SIG_MAX, where, err) < 0) {
        return -1;
    }
    json_t *proof = json_object_get(j, "inclusionProof");
    if (proof && parse_proof(e, proof, where, err) < 0) {
        return -1;
    }
    return b64_field(&e->body, &e->bodylen, j, "canonicalizedBody", VG_SIGSTORE_BODY_MAX, where,
                     err);
}

static int
parse_material(struct vg_sigstore_bundle *b, const json_t *vm, struct vg_err **err)
{
    if (!json_is_object(vm)) {
        return vg_err_set(err, VG_E_PARSE, "bundle: verificationMaterial missing");
    }
    if (parse_material_kind(b, vm, err) < 0) {
        return -1;
    }
    json_t *entries = json_object_get(vm, "tlogEntries");
    if (entries && !json_is_array(entries)) {
        return vg_err_set(err, VG_E_PARSE, "bundle: tlogEntries is not an array");
    }
    size_t n = entries ? json_array_size(entries) : 0;
    if (n > VG_SIGSTORE_ENTRIES_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "bundle: %zu tlog entries (limit %u)", n,
                          VG_SIGSTORE_ENTRIES_MAX);
    }
    b->entries = n ? vg_calloc(n, sizeof(*b->entries)) : NULL;
    for (size_t i = 0; i < n; i++) {
        char where[64];
        snprintf(where, sizeof(where), "bundle: tlogEntries[%zu]", i);
        b->nentries = i + 1;
        if (parse_entry(&b->entries[i], json_array_get(entries, i), where, err) < 0) {
            return -1;
        }
    }
    json_t *tsv = json_object_get(vm, "timestampVerificationData");
    json_t *ts = tsv ? json_object_get(tsv, "rfc3161Timestamps") : NULL;
    if (ts && !json_is_array(ts)) {
        return vg_err_set(err, VG_E_PARSE, "bundle: rfc3161Timestamps is not an array");
    }
    n = ts ? json_array_size(ts) : 0;
    if (n > VG_SIGSTORE_ENTRIES_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "bundle: %zu RFC 3161 timestamps (limit %u)", n,
                          VG_SIGSTORE_ENTRIES_MAX);
    }
    b->tsrs = n ? vg_calloc(n, sizeof(*b->tsrs)) : NULL;
    b->tsrlens = n ? vg_calloc(n, sizeof(*b->tsrlens)) : NULL;
    for (size_t i = 0; i < n; i++) {
        b->ntsrs = i + 1;
        if (b64_field(&b->tsrs[i], &b->tsrlens[i], json_array_get(ts, i), "signedTimestamp",
                      VG_X509_DER_MAX, "bundle: rfc3161Timestamps", err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
parse_message(struct vg_sigstore_bundle *b, const json_t *ms, struct vg_err **err)
{
    json_t *md = json_object_get(ms, "messageDigest");
    if (md) {
        const char *alg = vg_json_str(md, "algorithm");
        if (!alg || strcmp(alg, "SHA2_256") != 0) {
            vg_autofree char *esc = alg ? vg_escape(alg, strlen(alg), 40) : NULL;
            return vg_err_set(err, VG_E_UNSUPPORTED, "bundle: message digest algorithm \"%s\"",
                              esc ? esc : "(missing)");
        }
        if (vg_sigstore__b64_32(b->digest, md, "digest", "bundle: messageDigest", err) < 0) {
            return -1;
        }
        b->has_digest = true;
    }
    return b64_field(&b->sig, &b->siglen, ms, "signature", SIG_MAX, "bundle: messageSignature",
                     err);
}

static int
parse_dsse(struct vg_sigstore_bundle *b, const json_t *env, struct vg_err **err)
{
    b->dsse = true;
    const char *pt = vg_json_str(env, "payloadType");
    if (!pt || strlen(pt) > 256) {
        return vg_err_set(err, VG_E_PARSE, "bundle: dsseEnvelope.payloadType missing");
    }
    b->payload_type = vg_strdup(pt);
    if (b64_field(&b->payload, &b->payloadlen, env, "payload", PAYLOAD_MAX, "bundle: dsseEnvelope",
                  err) < 0) {
        return -1;
    }
    json_t *sigs = vg_json_arr(env, "signatures");
    if (!sigs || json_array_size(sigs) != 1) {
        return vg_err_set(err, VG_E_PARSE,
                          "bundle: dsseEnvelope must hold exactly one signature (has %zu)",
                          sigs ? json_array_size(sigs) : 0);
    }
    return b64_field(&b->sig, &b->siglen, json_array_get(sigs, 0), "sig", SIG_MAX,
                     "bundle: dsseEnvelope.signatures[0]", err);
}

int
vg_sigstore_bundle_parse(struct vg_sigstore_bundle **out, const void *data, size_t len,
                         struct vg_err **err)
{
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, data, len, VG_SIGSTORE_BUNDLE_MAX, "bundle", err) < 0) {
        return -1;
    }
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "bundle: not a JSON object");
    }
    const char *mt = vg_json_str(j, "mediaType");
    int minor = 0;
    for (size_t i = 0; mt && i < sizeof(media_types) / sizeof(media_types[0]); i++) {
        if (strcmp(mt, media_types[i].mt) == 0) {
            minor = media_types[i].minor;
        }
    }
    if (!minor) {
        vg_autofree char *esc = mt ? vg_escape(mt, strlen(mt), 80) : NULL;
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "bundle: unsupported media type \"%s\" (want a Sigstore bundle "
                          "v0.1-v0.3)",
                          esc ? esc : "(missing)");
    }
    struct vg_sigstore_bundle *b = vg_calloc(1, sizeof(*b));
    b->media_type = vg_strdup(mt);
    b->minor = minor;
    json_t *ms = json_object_get(j, "messageSignature");
    json_t *env = json_object_get(j, "dsseEnvelope");
    int rc = parse_material(b, json_object_get(j, "verificationMaterial"), err);
    if (rc == 0 && (ms != NULL) == (env != NULL)) {
        rc = vg_err_set(err, VG_E_PARSE,
                        "bundle: needs exactly one of messageSignature and dsseEnvelope");
    } else if (rc == 0 && (ms ? !json_is_object(ms) : !json_is_object(env))) {
        rc = vg_err_set(err, VG_E_PARSE, "bundle: content is not an object");
    } else if (rc == 0) {
        rc = ms ? parse_message(b, ms, err) : parse_dsse(b, env, err);
    }
    if (rc < 0) {
        vg_sigstore_bundle_free(b);
        return -1;
    }
    *out = b;
    return 0;
}
