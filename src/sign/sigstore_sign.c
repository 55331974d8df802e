/* SPDX-License-Identifier: Apache-2.0
 *
 * Keyless signing, the parts without a network (sigstore.h "keyless signing"): the OIDC
 * token's claims, Fulcio v2's signingCert request and response, Rekor v1's hashedrekord
 * 0.0.1 proposed entry and its log entry response, the checks that what came back is about our
 * key and our signature, and what cosign writes from them: the v0.3 bundle and the legacy
 * `dev.sigstore.cosign/bundle` annotation. The HTTP exchanges are the CLI's (net/).
 */
#include "sign_int.h"

#include <inttypes.h>
#include <string.h>

#include "crypto/crypto.h"

/* ---------------------------------------------------------------- OIDC token */

static int
b64url_decode(uint8_t **out, size_t *outlen, const char *s, size_t n, struct vg_err **err)
{
    vg_autofree char *t = vg_malloc(n + 4);
    for (size_t i = 0; i < n; i++) {
        t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    }
    size_t m = n;
    while (m % 4) {
        t[m++] = '=';
    }
    return vg_base64_decode(out, outlen, t, m, false, err);
}

int
vg_sigstore_token_claims(char **subject, char **issuer, const char *token, struct vg_err **err)
{
    *subject = *issuer = NULL;
    size_t n = strlen(token);
    if (n > VG_SIGSTORE_TOKEN_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "identity token: %zu bytes exceed the limit of %u", n,
                          VG_SIGSTORE_TOKEN_MAX);
    }
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) {
        return vg_err_set(err, VG_E_PARSE, "identity token: not a JWT (three dot-separated parts)");
    }
    vg_autofree uint8_t *raw = NULL;
    size_t rawlen = 0;
    vg_autojson json_t *j = NULL;
    if (b64url_decode(&raw, &rawlen, dot1 + 1, (size_t)(dot2 - dot1 - 1), err) < 0 ||
        vg_json_parse(&j, raw, rawlen, VG_SIGSTORE_TOKEN_MAX, "claims", err) < 0) {
        return vg_err_wrap(err, "identity token claims");
    }
    const char *iss = vg_json_str(j, "iss");
    const char *email = vg_json_str(j, "email");
    const char *sub = vg_json_str(j, "sub");
    /* Fulcio's challenge is the token's subject: the e-mail for e-mail identities, else sub */
    const char *s = email && *email ? email : sub;
    if (!iss || !*iss || !s || !*s) {
        return vg_err_set(err, VG_E_PARSE,
                          "identity token: the iss claim and an email or sub "
                          "claim are required");
    }
    *subject = vg_strdup(s);
    *issuer = vg_strdup(iss);
    return 0;
}

/* ---------------------------------------------------------------- Fulcio */

static int b64_field(uint8_t **out, size_t *outlen, const json_t *obj, const char *key,
                     struct vg_err **err);

int
vg_fulcio_request_body(struct vg_buf *out, const char *token, const struct vg_crypto_key *key,
                       const char *subject, struct vg_err **err)
{
    vg_autofree char *pem = NULL;
    vg_autofree uint8_t *pop = NULL;
    size_t poplen = 0;
    if (vg_crypto_key_public_pem(key, &pem, err) < 0 ||
        vg_crypto_sign(key, subject, strlen(subject), &pop, &poplen, err) < 0) {
        return -1;
    }
    vg_autofree char *pop64 = vg_base64_encode(pop, poplen);
    vg_autojson json_t *j =
        json_pack("{s:{s:s},s:{s:{s:s,s:s},s:s}}", "credentials", "oidcIdentityToken", token,
                  "publicKeyRequest", "publicKey", "algorithm", "ECDSA", "content", pem,
                  "proofOfPossession", pop64);
    if (!j) {
        return vg_err_set(err, VG_E_INTERNAL, "fulcio request: JSON");
    }
    vg_autofree char *s = vg_json_dump(j, false);
    return vg_buf_append_str(out, s, err);
}

void
vg_fulcio_cert_free(struct vg_fulcio_cert *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < c->ncerts; i++) {
        vg_x509_free(c->certs[i]);
    }
    free(c->certs);
    free(c->leaf_pem);
    free(c->chain_pem);
    free(c->sct);
    free(c);
}

static int
fulcio_chain(struct vg_fulcio_cert *c, const json_t *certs, struct vg_err **err)
{
    size_t n = json_is_array(certs) ? json_array_size(certs) : 0;
    if (n == 0) {
        return vg_err_set(err, VG_E_PARSE, "chain.certificates must be a non-empty array");
    }
    if (n > VG_SIGSTORE_CHAIN_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "%zu certificates exceed the limit of %u", n,
                          VG_SIGSTORE_CHAIN_MAX);
    }
    c->certs = vg_calloc(n, sizeof(*c->certs));
    struct vg_buf chain = VG_BUF_INIT(VG_FULCIO_RESPONSE_MAX);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const json_t *v = json_array_get(certs, i);
        const char *pem = json_is_string(v) ? json_string_value(v) : NULL;
        if (!pem || !vg_cstr_startswith(pem, "-----BEGIN CERTIFICATE-----")) {
            rc = vg_err_set(err, VG_E_PARSE, "certificates[%zu]: not a PEM certificate", i);
        } else if ((rc = vg_x509_parse(&c->certs[i], pem, strlen(pem), err)) < 0) {
            vg_err_wrap(err, "certificates[%zu]", i);
        } else {
            c->ncerts++;
            /* cosign's annotations: the leaf alone, the rest as one PEM string */
            if (i == 0) {
                c->leaf_pem = vg_strdup(pem);
            } else {
                rc = vg_buf_append_str(&chain, pem, err);
                size_t len = strlen(pem);
                if (rc == 0 && len && pem[len - 1] != '\n') {
                    rc = vg_buf_append_str(&chain, "\n", err);
                }
            }
        }
    }
    if (rc == 0) {
        rc = vg_buf_append(&chain, "", 1, err);
    }
    if (rc == 0) {
        c->chain_pem = (char *)vg_buf_take(&chain, NULL);
    }
    vg_buf_dispose(&chain);
    return rc;
}

/* Fulcio's signedCertificateTimestamp: base64 of the CT log's JSON AddChainResponse
 * {sct_version, id, timestamp, extensions, signature}, kept as RFC 6962 SCT bytes. */
static int
detached_sct(struct vg_fulcio_cert *c, const char *b64, struct vg_err **err)
{
    vg_autofree uint8_t *raw = NULL, *id = NULL, *ext = NULL, *sig = NULL;
    size_t rawlen = 0, idlen = 0, extlen = 0, siglen = 0;
    vg_autojson json_t *j = NULL;
    if (!b64 || vg_base64_decode(&raw, &rawlen, b64, strlen(b64), false, err) < 0 ||
        vg_json_parse(&j, raw, rawlen, VG_X509_DER_MAX, "JSON", err) < 0) {
        return b64 ? vg_err_wrap(err, "signedCertificateTimestamp")
                   : vg_err_set(err, VG_E_PARSE, "signedCertificateTimestamp is required");
    }
    const json_t *ver = json_object_get(j, "sct_version");
    const json_t *ts = json_object_get(j, "timestamp");
    const char *ex = vg_json_str(j, "extensions");
    if (!json_is_integer(ver) || json_integer_value(ver) != 0 || !json_is_integer(ts) ||
        json_integer_value(ts) < 0 || b64_field(&id, &idlen, j, "id", err) < 0 ||
        b64_field(&sig, &siglen, j, "signature", err) < 0 ||
        (ex && vg_base64_decode(&ext, &extlen, ex, strlen(ex), false, err) < 0) || idlen != 32 ||
        extlen > 0xffff || siglen < 4 || siglen > VG_X509_DER_MAX) {
        if (err) {
            vg_err_free(err);
        }
        return vg_err_set(err, VG_E_PARSE,
                          "signedCertificateTimestamp: want a version 0 SCT {id (32 bytes), "
                          "timestamp, extensions, signature}");
    }
    struct vg_buf b = VG_BUF_INIT(2u * VG_X509_DER_MAX);
    uint8_t hdr[1 + 32 + 8 + 2] = {0};
    memcpy(hdr + 1, id, 32);
    uint64_t t = (uint64_t)json_integer_value(ts);
    for (size_t i = 0; i < 8; i++) {
        hdr[33 + i] = (uint8_t)(t >> (56 - 8 * i));
    }
    hdr[41] = (uint8_t)(extlen >> 8);
    hdr[42] = (uint8_t)extlen;
    if (vg_buf_append(&b, hdr, sizeof(hdr), err) < 0 || vg_buf_append(&b, ext, extlen, err) < 0 ||
        vg_buf_append(&b, sig, siglen, err) < 0) {
        vg_buf_dispose(&b);
        return -1;
    }
    c->sct = (uint8_t *)vg_buf_take(&b, &c->sctlen);
    return 0;
}

int
vg_fulcio_detached_sct_verify(const struct vg_fulcio_cert *c, const struct vg_sigstore_root *root,
                              struct vg_err **err)
{
    struct vg_x509_ctlog *logs = vg_calloc(root->nctlogs + 1, sizeof(*logs));
    for (size_t i = 0; i < root->nctlogs; i++) {
        memcpy(logs[i].id, root->ctlogs[i].id, 32);
        logs[i].key = root->ctlogs[i].key;
        logs[i].start = root->ctlogs[i].start;
        logs[i].end = root->ctlogs[i].end;
    }
    int rc = vg_x509_sct_detached_verify(c->certs[0], c->sct, c->sctlen, logs, root->nctlogs, err);
    free(logs);
    return rc < 0 ? vg_err_wrap(err, "fulcio certificate") : 0;
}

int
vg_fulcio_response_parse(struct vg_fulcio_cert **out, const void *data, size_t len,
                         struct vg_err **err)
{
    vg_autojson json_t *j = NULL;
    if (len > VG_FULCIO_RESPONSE_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "fulcio response: %zu bytes exceed the limit of %u", len,
                          VG_FULCIO_RESPONSE_MAX);
    }
    if (vg_json_parse(&j, data, len, VG_FULCIO_RESPONSE_MAX, "JSON", err) < 0) {
        return vg_err_wrap(err, "fulcio response");
    }
    json_t *det = vg_json_obj(j, "signedCertificateDetachedSct");
    json_t *sc = det ? det : vg_json_obj(j, "signedCertificateEmbeddedSct");
    json_t *chain = sc ? vg_json_obj(sc, "chain") : NULL;
    if (!chain) {
        return vg_err_set(err, VG_E_PARSE,
                          "fulcio response: no signedCertificateEmbeddedSct.chain or "
                          "signedCertificateDetachedSct.chain");
    }
    struct vg_fulcio_cert *c = vg_calloc(1, sizeof(*c));
    if (fulcio_chain(c, vg_json_arr(chain, "certificates"), err) < 0 ||
        (det && detached_sct(c, vg_json_str(det, "signedCertificateTimestamp"), err) < 0)) {
        vg_fulcio_cert_free(c);
        return vg_err_wrap(err, "fulcio response");
    }
    *out = c;
    return 0;
}

int
vg_fulcio_cert_check(const struct vg_fulcio_cert *c, const struct vg_crypto_key *key,
                     struct vg_err **err)
{
    vg_autokey struct vg_crypto_key *pub = NULL;
    if (vg_x509_public_key(&pub, c->certs[0], err) < 0) {
        return vg_err_wrap(err, "fulcio certificate");
    }
    if (!vg_crypto_key_public_eq(pub, key)) {
        return vg_err_set(err, VG_E_VERIFY,
                          "fulcio certificate: issued for another public key than ours");
    }
    if (!vg_x509_eku_code_signing(c->certs[0])) {
        return vg_err_set(err, VG_E_VERIFY, "fulcio certificate: no code-signing usage");
    }
    return 0;
}

/* ---------------------------------------------------------------- Rekor */

void
vg_sigstore_tlog_entry_dispose(struct vg_sigstore_tlog_entry *e)
{
    free(e->kind);
    free(e->version);
    free(e->set);
    free(e->hashes);
    free(e->checkpoint);
    free(e->body);
    memset(e, 0, sizeof(*e));
}

int
vg_rekor_hashedrekord(struct vg_buf *out, const uint8_t sha256[32], const uint8_t *sig,
                      size_t siglen, const char *cert_pem, struct vg_err **err)
{
    char hex[65];
    vg_hex_encode(hex, sha256, 32);
    vg_autofree char *s64 = vg_base64_encode(sig, siglen);
    vg_autofree char *c64 = vg_base64_encode(cert_pem, strlen(cert_pem));
    vg_autojson json_t *j =
        json_pack("{s:s,s:s,s:{s:{s:{s:s,s:s}},s:{s:s,s:{s:s}}}}", "apiVersion", "0.0.1", "kind",
                  "hashedrekord", "spec", "data", "hash", "algorithm", "sha256", "value", hex,
                  "signature", "content", s64, "publicKey", "content", c64);
    if (!j) {
        return vg_err_set(err, VG_E_INTERNAL, "rekor entry: JSON");
    }
    vg_autofree char *s = vg_json_dump(j, false);
    return vg_buf_append_str(out, s, err);
}

static int
b64_field(uint8_t **out, size_t *outlen, const json_t *obj, const char *key, struct vg_err **err)
{
    const char *s = vg_json_str(obj, key);
    if (!s) {
        return vg_err_set(err, VG_E_PARSE, "%s is required", key);
    }
    if (vg_base64_decode(out, outlen, s, strlen(s), false, err) < 0) {
        return vg_err_wrap(err, "%s", key);
    }
    return 0;
}

static int
hex32(uint8_t out[32], const char *s, const char *what, struct vg_err **err)
{
    if (!s || strlen(s) != 64) {
        return vg_err_set(err, VG_E_PARSE, "%s: 64 hex digits are required", what);
    }
    for (size_t i = 0; i < 32; i++) {
        unsigned v = 0;
        for (size_t k = 0; k < 2; k++) {
            char ch = s[2 * i + k];
            unsigned d = ch >= '0' && ch <= '9'   ? (unsigned)(ch - '0')
                         : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
                         : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10)
                                                  : 16u;
            if (d == 16u) {
                return vg_err_set(err, VG_E_PARSE, "%s: not hex", what);
            }
            v = v << 4 | d;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

static int
i64_field(int64_t *out, const json_t *obj, const char *key, struct vg_err **err)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return vg_err_set(err, VG_E_PARSE, "%s must be a non-negative integer", key);
    }
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int
rekor_proof(struct vg_sigstore_tlog_entry *e, const json_t *p, struct vg_err **err)
{
    const json_t *hs = vg_json_arr(p, "hashes");
    const char *cp = vg_json_str(p, "checkpoint");
    if (i64_field(&e->proof_index, p, "logIndex", err) < 0 ||
        i64_field(&e->tree_size, p, "treeSize", err) < 0 ||
        hex32(e->root, vg_json_str(p, "rootHash"), "rootHash", err) < 0) {
        return -1;
    }
    if (!hs || json_array_size(hs) > VG_SIGSTORE_PROOF_MAX) {
        return vg_err_set(err, VG_E_PARSE, "hashes: an array of at most %u is required",
                          VG_SIGSTORE_PROOF_MAX);
    }
    if (!cp || strlen(cp) > VG_SIGSTORE_CHECKPOINT_MAX) {
        return vg_err_set(err, VG_E_PARSE, "checkpoint: a string of at most %u bytes is required",
                          VG_SIGSTORE_CHECKPOINT_MAX);
    }
    e->nhashes = json_array_size(hs);
    e->hashes = vg_calloc(e->nhashes + 1, sizeof(*e->hashes));
    for (size_t i = 0; i < e->nhashes; i++) {
        const json_t *h = json_array_get(hs, i);
        if (hex32(e->hashes[i], json_is_string(h) ? json_string_value(h) : NULL, "hashes[]", err) <
            0) {
            return -1;
        }
    }
    e->checkpoint = vg_strdup(cp);
    e->has_proof = true;
    return 0;
}

/* kindVersion from the logged body (hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2 ...). */
static int
entry_kind(struct vg_sigstore_tlog_entry *e, struct vg_err **err)
{
    vg_autojson json_t *b = NULL;
    if (vg_json_parse(&b, e->body, e->bodylen, VG_REKOR_RESPONSE_MAX, "body", err) < 0) {
        vg_sigstore_tlog_entry_dispose(e);
        return vg_err_wrap(err, "rekor response: entry body");
    }
    const char *kind = vg_json_str(b, "kind"), *api = vg_json_str(b, "apiVersion");
    if (!kind || !api || strlen(kind) > 64 || strlen(api) > 16) {
        vg_sigstore_tlog_entry_dispose(e);
        return vg_err_set(err, VG_E_PARSE, "rekor response: entry body without kind/apiVersion");
    }
    e->kind = vg_strdup(kind);
    e->version = vg_strdup(api);
    return 0;
}

int
vg_rekor_response_parse(struct vg_sigstore_tlog_entry *e, const void *data, size_t len,
                        struct vg_err **err)
{
    memset(e, 0, sizeof(*e));
    vg_autojson json_t *j = NULL;
    if (len > VG_REKOR_RESPONSE_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "rekor response: %zu bytes exceed the limit of %u", len,
                          VG_REKOR_RESPONSE_MAX);
    }
    if (vg_json_parse(&j, data, len, VG_REKOR_RESPONSE_MAX, "JSON", err) < 0) {
        return vg_err_wrap(err, "rekor response");
    }
    if (!json_is_object(j) || json_object_size(j) != 1) {
        return vg_err_set(err, VG_E_PARSE, "rekor response: exactly one entry is required");
    }
    const char *uuid = json_object_iter_key(json_object_iter(j));
    const json_t *v = json_object_iter_value(json_object_iter(j));
    const json_t *ver = vg_json_obj(v, "verification");
    const json_t *proof = ver ? vg_json_obj(ver, "inclusionProof") : NULL;
    int rc = 0;
    if (!json_is_object(v) || !ver) {
        rc = vg_err_set(err, VG_E_PARSE, "an entry with verification is required");
    } else if (b64_field(&e->body, &e->bodylen, v, "body", err) < 0 ||
               i64_field(&e->integrated_time, v, "integratedTime", err) < 0 ||
               i64_field(&e->log_index, v, "logIndex", err) < 0 ||
               hex32(e->log_id, vg_json_str(v, "logID"), "logID", err) < 0 ||
               b64_field(&e->set, &e->setlen, ver, "signedEntryTimestamp", err) < 0 ||
               (proof && rekor_proof(e, proof, err) < 0)) {
        rc = -1;
    }
    if (rc < 0) {
        vg_sigstore_tlog_entry_dispose(e);
        vg_autofree char *u = vg_escape(uuid, strlen(uuid), 80);
        return vg_err_wrap(err, "rekor response: entry %s", u);
    }
    e->has_time = true;
    return entry_kind(e, err);
}

/* The body Rekor logged must be the hashedrekord we proposed: same digest, signature and
 * certificate (Rekor canonicalizes the JSON, so the fields are compared, not the bytes). */
int
vg_rekor_entry_check(const struct vg_sigstore_tlog_entry *e, const uint8_t sha256[32],
                     const uint8_t *sig, size_t siglen, const char *cert_pem, struct vg_err **err)
{
    vg_autojson json_t *b = NULL;
    if (vg_json_parse(&b, e->body, e->bodylen, VG_REKOR_RESPONSE_MAX, "body", err) < 0) {
        return vg_err_wrap(err, "rekor entry body");
    }
    const json_t *spec = vg_json_obj(b, "spec");
    const json_t *hash = spec ? vg_json_obj(vg_json_obj(spec, "data"), "hash") : NULL;
    const json_t *s = spec ? vg_json_obj(spec, "signature") : NULL;
    const json_t *pk = s ? vg_json_obj(s, "publicKey") : NULL;
    const char *kind = vg_json_str(b, "kind"), *api = vg_json_str(b, "apiVersion");
    char hex[65];
    vg_hex_encode(hex, sha256, 32);
    vg_autofree uint8_t *gsig = NULL, *gcert = NULL;
    size_t gsiglen = 0, gcertlen = 0;
    struct vg_err *e2 = NULL;
    bool ok = kind && api && strcmp(kind, "hashedrekord") == 0 && strcmp(api, "0.0.1") == 0 &&
              hash && vg_json_str(hash, "algorithm") && vg_json_str(hash, "value") &&
              strcmp(vg_json_str(hash, "algorithm"), "sha256") == 0 &&
              strcmp(vg_json_str(hash, "value"), hex) == 0 && pk &&
              b64_field(&gsig, &gsiglen, s, "content", &e2) == 0 &&
              b64_field(&gcert, &gcertlen, pk, "content", &e2) == 0 && gsiglen == siglen &&
              memcmp(gsig, sig, siglen) == 0 && gcertlen == strlen(cert_pem) &&
              memcmp(gcert, cert_pem, gcertlen) == 0;
    vg_err_free(&e2);
    if (!ok) {
        return vg_err_set(err, VG_E_VERIFY,
                          "rekor entry %" PRId64 ": not the hashedrekord of this signature, "
                          "certificate and digest",
                          e->log_index);
    }
    return 0;
}

/* ---------------------------------------------------------------- what cosign writes */

static json_t *
entry_json(const struct vg_sigstore_tlog_entry *e)
{
    char idx[24], t[24], pidx[24], size[24];
    snprintf(idx, sizeof(idx), "%" PRId64, e->log_index);
    snprintf(t, sizeof(t), "%" PRId64, e->integrated_time);
    vg_autofree char *id64 = vg_base64_encode(e->log_id, 32);
    vg_autofree char *set64 = vg_base64_encode(e->set, e->setlen);
    vg_autofree char *body64 = vg_base64_encode(e->body, e->bodylen);
    json_t *j =
        json_pack("{s:s,s:{s:s},s:{s:s,s:s},s:s,s:{s:s},s:s}", "logIndex", idx, "logId", "keyId",
                  id64, "kindVersion", "kind", e->kind ? e->kind : "hashedrekord", "version",
                  e->version ? e->version : "0.0.1", "integratedTime", t, "inclusionPromise",
                  "signedEntryTimestamp", set64, "canonicalizedBody", body64);
    if (j && e->has_proof) {
        snprintf(pidx, sizeof(pidx), "%" PRId64, e->proof_index);
        snprintf(size, sizeof(size), "%" PRId64, e->tree_size);
        vg_autofree char *root64 = vg_base64_encode(e->root, 32);
        json_t *hs = json_array();
        for (size_t i = 0; i < e->nhashes; i++) {
            vg_autofree char *h = vg_base64_encode(e->hashes[i], 32);
            vg_json_append_take(hs, json_string(h));
        }
        vg_json_set_take(j, "inclusionProof",
                         json_pack("{s:s,s:s,s:s,s:o,s:{s:s}}", "logIndex", pidx, "rootHash",
                                   root64, "treeSize", size, "hashes", hs, "checkpoint", "envelope",
                                   e->checkpoint));
    }
    return j;
}

int
vg_sigstore_bundle_render(struct vg_buf *out, const struct vg_sigstore_render *r,
                          struct vg_err **err)
{
    size_t derlen = 0;
    const uint8_t *der = vg_x509_der(r->leaf, &derlen);
    vg_autofree char *c64 = vg_base64_encode(der, derlen);
    json_t *entry = entry_json(r->entry);
    if (!entry) {
        return vg_err_set(err, VG_E_INTERNAL, "bundle: JSON");
    }
    vg_autojson json_t *j =
        json_pack("{s:s,s:{s:{s:s},s:[o]}}", "mediaType", VG_SIGN_MT_BUNDLE_V03,
                  "verificationMaterial", "certificate", "rawBytes", c64, "tlogEntries", entry);
    if (!j) {
        return vg_err_set(err, VG_E_INTERNAL, "bundle: JSON");
    }
    if (r->tsr) {
        vg_autofree char *t64 = vg_base64_encode(r->tsr, r->tsrlen);
        vg_json_set_take(vg_json_obj(j, "verificationMaterial"), "timestampVerificationData",
                         json_pack("{s:[{s:s}]}", "rfc3161Timestamps", "signedTimestamp", t64));
    }
    if (r->envelope_json) {
        json_t *env = NULL;
        if (vg_json_parse(&env, r->envelope_json, strlen(r->envelope_json), VG_SIGN_ENVELOPE_MAX,
                          "envelope", err) < 0) {
            return vg_err_wrap(err, "bundle");
        }
        vg_json_set_take(j, "dsseEnvelope", env);
    } else {
        vg_autofree char *d64 = vg_base64_encode(r->sha256, 32);
        vg_autofree char *s64 = vg_base64_encode(r->sig, r->siglen);
        vg_json_set_take(j, "messageSignature",
                         json_pack("{s:{s:s,s:s},s:s}", "messageDigest", "algorithm", "SHA2_256",
                                   "digest", d64, "signature", s64));
    }
    vg_autofree char *s = vg_json_dump(j, false);
    return vg_buf_append_str(out, s, err);
}

int
vg_sigstore_bundle_render_keyless(struct vg_buf *out, const struct vg_x509 *leaf,
                                  const uint8_t sha256[32], const uint8_t *sig, size_t siglen,
                                  const struct vg_sigstore_tlog_entry *e, struct vg_err **err)
{
    struct vg_sigstore_render r = {
        .leaf = leaf, .entry = e, .sha256 = sha256, .sig = sig, .siglen = siglen};
    return vg_sigstore_bundle_render(out, &r, err);
}

int
vg_rekor_legacy_bundle(struct vg_buf *out, const struct vg_sigstore_tlog_entry *e,
                       struct vg_err **err)
{
    char id[65];
    vg_hex_encode(id, e->log_id, 32);
    vg_autofree char *set64 = vg_base64_encode(e->set, e->setlen);
    vg_autofree char *body64 = vg_base64_encode(e->body, e->bodylen);
    vg_autojson json_t *j =
        json_pack("{s:s,s:{s:s,s:I,s:I,s:s}}", "SignedEntryTimestamp", set64, "Payload", "body",
                  body64, "integratedTime", (json_int_t)e->integrated_time, "logIndex",
                  (json_int_t)e->log_index, "logID", id);
    if (!j) {
        return vg_err_set(err, VG_E_INTERNAL, "rekor bundle: JSON");
    }
    vg_autofree char *s = vg_json_dump(j, false);
    return vg_buf_append_str(out, s, err);
}
