/* SPDX-License-Identifier: Apache-2.0
 *
 * Keyless signing's network side (docs/sigstore.md "Keyless signing"): an ephemeral ECDSA
 * P-256 key, Fulcio v2 POST /api/v2/signingCert with the OIDC token and the proof of
 * possession, the signature, Rekor v1 POST /api/v1/log/entries (hashedrekord 0.0.1), the
 * checks on both answers, and a verification of the result under the trusted root (the same
 * --trusted-root/--tuf-* flags as verify) before anything is written.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "net/net.h"
#include "sign/sign.h"
#include "sign/sigstore.h"

static int
read_token(char **out, const struct vg_cli_sign_keyless *o, struct vg_err **err)
{
    const char *t = o->token;
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_SIGSTORE_TOKEN_MAX);
    if (!t && o->token_file) {
        if (vg_file_read(&b, o->token_file, VG_SIGSTORE_TOKEN_MAX, err) < 0 ||
            vg_buf_append(&b, "", 1, err) < 0) {
            return vg_err_wrap(err, "identity token file %s", o->token_file);
        }
        t = (const char *)b.data;
    }
    if (!t) {
        t = getenv("SIGSTORE_ID_TOKEN");
    }
    if (!t || !*t) {
        return vg_err_set(err, VG_E_USAGE,
                          "keyless signing needs --identity-token, "
                          "--identity-token-file or $SIGSTORE_ID_TOKEN");
    }
    size_t n = strlen(t);
    while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ')) {
        n--;
    }
    *out = vg_strndup(t, n);
    return 0;
}

/* POST body to base + path; the 2xx body (bounded by max) into *out. */
static int
post_json(struct vg_buf *out, struct vg_http_client *http, const char *base, const char *path,
          const struct vg_buf *body, size_t max, struct vg_err **err)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/') {
        n--;
    }
    vg_autofree char *url = vg_fmt("%.*s%s", (int)n, base, path);
    static const char *const hdrs[] = {"Content-Type: application/json",
                                       "Accept: application/json"};
    struct vg_http_req req = {.method = "POST",
                              .url = url,
                              .headers = hdrs,
                              .nheaders = 2,
                              .body = body->data,
                              .body_len = body->len,
                              .max_body = max,
                              .no_retry = true};
    struct vg_http_resp resp = {0};
    if (vg_http_do(http, &req, &resp, err) < 0) {
        return -1;
    }
    int rc = 0;
    if (resp.status < 200 || resp.status > 299) {
        rc = vg_http_check_status("POST", url, resp.status, &resp.body, err);
    } else {
        *out = resp.body;
        resp.body = (struct vg_buf)VG_BUF_INIT(0);
    }
    vg_http_resp_dispose(&resp);
    return rc;
}

bool
vg_cli_sign_keyless_opt(struct vg_cli_sign_keyless *o, int c, const char *arg)
{
    switch (c) {
    case VG_CLI_OPT_FULCIO:
        o->fulcio_url = arg;
        return true;
    case VG_CLI_OPT_REKOR:
        o->rekor_url = arg;
        return true;
    case VG_CLI_OPT_TOKEN:
        o->token = arg;
        return true;
    case VG_CLI_OPT_TOKEN_FILE:
        o->token_file = arg;
        return true;
    case VG_CLI_OPT_TSA:
        o->tsa_url = arg;
        return true;
    case VG_CLI_OPT_TRUSTED_ROOT:
    case VG_CLI_OPT_TUF_MIRROR:
    case VG_CLI_OPT_TUF_ROOT:
        return vg_cli_keyless_opt(&o->kl, c, arg);
    default:
        return false;
    }
}

bool
vg_cli_sign_keyless_wanted(const struct vg_cli_sign_keyless *o)
{
    return o->token || o->token_file || getenv("SIGSTORE_ID_TOKEN");
}

int
vg_cli_tsa_timestamp(struct vg_buf *out, struct vg_http_client *http, const char *url,
                     const void *data, size_t len, unsigned bits, struct vg_err **err)
{
    vg_autobuf struct vg_buf body = VG_BUF_INIT(4096);
    uint64_t nonce = 0;
    if (vg_tsa_request_hash(&body, &nonce, data, len, bits ? bits : 256, err) < 0) {
        return -1;
    }
    static const char *const hdrs[] = {"Content-Type: application/timestamp-query",
                                       "Accept: application/timestamp-reply"};
    struct vg_http_req req = {.method = "POST",
                              .url = url,
                              .headers = hdrs,
                              .nheaders = 2,
                              .body = body.data,
                              .body_len = body.len,
                              .max_body = VG_TSA_RESPONSE_MAX,
                              .no_retry = true};
    struct vg_http_resp resp = {0};
    if (vg_http_do(http, &req, &resp, err) < 0) {
        return vg_err_wrap(err, "timestamp authority %s", url);
    }
    int rc = 0;
    if (resp.status < 200 || resp.status > 299) {
        rc = vg_http_check_status("POST", url, resp.status, &resp.body, err);
    } else {
        rc = vg_tsa_response_check(resp.body.data, resp.body.len, nonce, data, len, err);
    }
    if (rc == 0) {
        rc = vg_buf_append(out, resp.body.data, resp.body.len, err);
    }
    vg_http_resp_dispose(&resp);
    return rc < 0 ? vg_err_wrap(err, "timestamp authority %s", url) : 0;
}

void
vg_cli_keyless_signed_dispose(struct vg_cli_keyless_signed *s)
{
    vg_crypto_key_free(s->key);
    vg_fulcio_cert_free(s->cert);
    vg_sigstore_tlog_entry_dispose(&s->entry);
    free(s->sig);
    free(s->envelope);
    vg_buf_dispose(&s->tsr);
    vg_buf_dispose(&s->bundle);
    vg_buf_dispose(&s->legacy_bundle);
    free(s->identity);
    free(s->issuer);
    memset(s, 0, sizeof(*s));
}

static int
get_cert(struct vg_cli_keyless_signed *s, struct vg_http_client *http,
         const struct vg_cli_sign_keyless *o, const struct vg_crypto_key *key, struct vg_err **err)
{
    vg_autofree char *token = NULL, *subject = NULL, *issuer = NULL;
    vg_autobuf struct vg_buf req = VG_BUF_INIT(VG_SIGSTORE_TOKEN_MAX + 4096);
    vg_autobuf struct vg_buf resp = VG_BUF_INIT(0);
    if (read_token(&token, o, err) < 0 ||
        vg_sigstore_token_claims(&subject, &issuer, token, err) < 0 ||
        vg_fulcio_request_body(&req, token, key, subject, err) < 0) {
        return -1;
    }
    if (post_json(&resp, http, o->fulcio_url, "/api/v2/signingCert", &req, VG_FULCIO_RESPONSE_MAX,
                  err) < 0) {
        return vg_err_wrap(err, "fulcio %s", o->fulcio_url);
    }
    if (vg_fulcio_response_parse(&s->cert, resp.data, resp.len, err) < 0 ||
        vg_fulcio_cert_check(s->cert, key, err) < 0) {
        return vg_err_wrap(err, "fulcio %s", o->fulcio_url);
    }
    return 0;
}

static int
log_signature(struct vg_cli_keyless_signed *s, struct vg_http_client *http,
              const struct vg_cli_sign_keyless *o, struct vg_err **err)
{
    vg_autobuf struct vg_buf req = VG_BUF_INIT(1024u * 1024u);
    vg_autobuf struct vg_buf resp = VG_BUF_INIT(0);
    if (vg_rekor_hashedrekord(&req, s->sha256, s->sig, s->siglen, s->cert->leaf_pem, err) < 0) {
        return -1;
    }
    if (post_json(&resp, http, o->rekor_url, "/api/v1/log/entries", &req, VG_REKOR_RESPONSE_MAX,
                  err) < 0 ||
        vg_rekor_response_parse(&s->entry, resp.data, resp.len, err) < 0 ||
        vg_rekor_entry_check(&s->entry, s->sha256, s->sig, s->siglen, s->cert->leaf_pem, err) < 0) {
        return vg_err_wrap(err, "rekor %s", o->rekor_url);
    }
    return 0;
}

/* What was made must verify as a keyless bundle under the trusted root (chain, SCT, SET,
 * inclusion proof and checkpoint, timestamp, any identity). */
static int
self_verify(struct vg_cli_keyless_signed *s, const struct vg_cli_sign_keyless *o,
            struct vg_sigstore_artifact *a, const char *tsr_over, struct vg_err **err)
{
    struct vg_sigstore_root *root = NULL;
    struct vg_sigstore_bundle *b = NULL;
    if (vg_cli_trusted_root_load(&root, &o->kl, err) < 0) {
        return vg_err_wrap(err, "checking the signature");
    }
    if (vg_sigstore_bundle_parse(&b, s->bundle.data, s->bundle.len, err) < 0) {
        vg_sigstore_root_free(root);
        return vg_err_wrap(err, "own bundle");
    }
    if (tsr_over) {
        /* a legacy attestation layer's timestamp is over its envelope (as cosign) */
        b->tsr_datalen = strlen(tsr_over);
        b->tsr_data = vg_memdup(tsr_over, b->tsr_datalen);
    }
    /* a detached SCT is checked here, once: the certificate carries none (cosign does not
     * store it either, so verifiers need --insecure-ignore-sct) */
    struct vg_sigstore_policy p = {
        .identity_regexp = ".", .issuer_regexp = ".", .ignore_sct = s->cert->sct != NULL};
    struct vg_sigstore_result res = {0};
    int rc = s->cert->sct ? vg_fulcio_detached_sct_verify(s->cert, root, err) : 0;
    if (rc == 0) {
        rc = vg_sigstore_verify(&res, b, root, &p, a, err);
    }
    if (rc == 0) {
        s->identity = vg_steal_ptr(&res.identity);
        s->issuer = vg_steal_ptr(&res.issuer);
    } else {
        vg_err_wrap(err, "the signature made with Fulcio's certificate and Rekor's entry does "
                         "not verify under the trusted root");
    }
    vg_sigstore_result_dispose(&res);
    vg_sigstore_bundle_free(b);
    vg_sigstore_root_free(root);
    return rc;
}

/* The ephemeral key, the HTTP client and Fulcio's certificate for it. */
static int
begin(struct vg_cli_keyless_signed *s, struct vg_http_client **http,
      const struct vg_cli_sign_keyless *o, struct vg_err **err)
{
    memset(s, 0, sizeof(*s));
    struct vg_http_client_opts ho = VG_HTTP_CLIENT_OPTS_INIT;
    ho.deadline_ns = vg_now_ns() + 120ull * 1000000000ull;
    if (vg_crypto_init(err) < 0 || vg_crypto_key_generate(&s->key, err) < 0 ||
        vg_http_client_new(http, &ho, err) < 0) {
        return -1;
    }
    return get_cert(s, *http, o, s->key, err);
}

/* --timestamp-server-url: an RFC 3161 timestamp over what (cosign: the signature bytes). */
static int
timestamp(struct vg_cli_keyless_signed *s, struct vg_http_client *http,
          const struct vg_cli_sign_keyless *o, const void *what, size_t len, struct vg_err **err)
{
    if (!o->tsa_url) {
        return 0;
    }
    vg_buf_init(&s->tsr, VG_TSA_RESPONSE_MAX);
    return vg_cli_tsa_timestamp(&s->tsr, http, o->tsa_url, what, len, 0, err);
}

/* The tail of both signing paths once the signature is made (rc 0): Sigstore's bundle (of
 * the message signature, or of s->envelope when there is one), cosign's legacy Rekor bundle,
 * and the self-verification of what was made (a, tsr_over: as self_verify). Frees http; on
 * failure (rc < 0 on entry, or any of these steps) disposes s. */
static int
finish(struct vg_cli_keyless_signed *s, const struct vg_cli_sign_keyless *o,
       struct vg_http_client *http, int rc, struct vg_sigstore_artifact *a, const char *tsr_over,
       struct vg_err **err)
{
    if (rc == 0) {
        vg_buf_init(&s->bundle, 4u * 1024u * 1024u);
        vg_buf_init(&s->legacy_bundle, 4u * 1024u * 1024u);
        struct vg_sigstore_render r = {.leaf = s->cert->certs[0],
                                       .entry = &s->entry,
                                       .tsr = s->tsr.data,
                                       .tsrlen = s->tsr.len};
        if (s->envelope) {
            r.envelope_json = s->envelope;
        } else {
            r.sha256 = s->sha256;
            r.sig = s->sig;
            r.siglen = s->siglen;
        }
        if (vg_sigstore_bundle_render(&s->bundle, &r, err) < 0 ||
            vg_rekor_legacy_bundle(&s->legacy_bundle, &s->entry, err) < 0 ||
            self_verify(s, o, a, tsr_over, err) < 0) {
            rc = -1;
        }
    }
    vg_http_client_free(http);
    if (rc < 0) {
        vg_cli_keyless_signed_dispose(s);
    }
    return rc;
}

int
vg_cli_keyless_sign(struct vg_cli_keyless_signed *s, const struct vg_cli_sign_keyless *o,
                    const void *data, size_t len, struct vg_err **err)
{
    struct vg_http_client *http = NULL;
    struct vg_sigstore_artifact a = {.data = data, .len = len};
    int rc = -1;
    if (begin(s, &http, o, err) < 0) {
        goto out;
    }
    vg_sha256_raw(s->sha256, data, len);
    if (vg_crypto_sign(s->key, data, len, &s->sig, &s->siglen, err) < 0 ||
        log_signature(s, http, o, err) < 0 || timestamp(s, http, o, s->sig, s->siglen, err) < 0) {
        goto out;
    }
    rc = 0;
out:
    return finish(s, o, http, rc, &a, NULL, err);
}

/* The DSSE envelope over statement with the ephemeral key (s->sig, s->envelope). */
static int
dsse_sign(struct vg_cli_keyless_signed *s, const char *statement, size_t len, struct vg_err **err)
{
    vg_autobuf struct vg_buf pae = VG_BUF_INIT(VG_SIGN_ENVELOPE_MAX);
    if (vg_sign_dsse_pae(&pae, VG_SIGN_PAYLOAD_TYPE_INTOTO, statement, len, err) < 0 ||
        vg_crypto_sign(s->key, pae.data, pae.len, &s->sig, &s->siglen, err) < 0) {
        return -1;
    }
    vg_autofree char *p64 = vg_base64_encode(statement, len);
    vg_autofree char *s64 = vg_base64_encode(s->sig, s->siglen);
    s->envelope = vg_fmt("{\"payloadType\":\"" VG_SIGN_PAYLOAD_TYPE_INTOTO
                         "\",\"payload\":\"%s\",\"signatures\":[{\"keyid\":\"\",\"sig\":\"%s\"}]}",
                         p64, s64);
    return 0;
}

static int
log_envelope(struct vg_cli_keyless_signed *s, struct vg_http_client *http,
             const struct vg_cli_sign_keyless *o, const char *statement, size_t len, bool intoto,
             struct vg_err **err)
{
    vg_autobuf struct vg_buf req = VG_BUF_INIT(4u * VG_SIGN_ENVELOPE_MAX);
    vg_autobuf struct vg_buf resp = VG_BUF_INIT(0);
    const char *pem = s->cert->leaf_pem;
    if ((intoto ? vg_rekor_intoto_proposed(&req, s->envelope, VG_SIGN_PAYLOAD_TYPE_INTOTO,
                                           statement, len, s->sig, s->siglen, pem, err)
                : vg_rekor_dsse_proposed(&req, s->envelope, pem, err)) < 0) {
        return -1;
    }
    if (post_json(&resp, http, o->rekor_url, "/api/v1/log/entries", &req, VG_REKOR_RESPONSE_MAX,
                  err) < 0 ||
        vg_rekor_response_parse(&s->entry, resp.data, resp.len, err) < 0 ||
        vg_rekor_dsse_entry_check(&s->entry, s->envelope, statement, len, s->sig, s->siglen, pem,
                                  err) < 0) {
        return vg_err_wrap(err, "rekor %s", o->rekor_url);
    }
    return 0;
}

static int
digest_raw(uint8_t out[32], const struct vg_digest *d, struct vg_err **err)
{
    const char *h = vg_digest_hex(d);
    if (d->alg != VG_DIGEST_SHA256 || strlen(h) != 64) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "keyless statements need a sha256 subject");
    }
    for (size_t i = 0; i < 32; i++) {
        unsigned v = 0;
        for (size_t k = 0; k < 2; k++) {
            char c = h[2 * i + k];
            v = v << 4 | (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

int
vg_cli_keyless_sign_dsse(struct vg_cli_keyless_signed *s, const struct vg_cli_sign_keyless *o,
                         const char *statement, size_t len, const struct vg_digest *subject,
                         bool intoto, struct vg_err **err)
{
    struct vg_http_client *http = NULL;
    struct vg_sigstore_artifact a = {0};
    int rc = -1;
    if (digest_raw(a.sha256, subject, err) < 0 || begin(s, &http, o, err) < 0 ||
        dsse_sign(s, statement, len, err) < 0 ||
        log_envelope(s, http, o, statement, len, intoto, err) < 0) {
        goto out;
    }
    /* cosign: the timestamp is over the signature in bundles, over the envelope in .att layers */
    if ((intoto ? timestamp(s, http, o, s->envelope, strlen(s->envelope), err)
                : timestamp(s, http, o, s->sig, s->siglen, err)) < 0) {
        goto out;
    }
    rc = 0;
out:
    return finish(s, o, http, rc, &a, rc == 0 && intoto ? s->envelope : NULL, err);
}

static void
add_extra(struct vg_sign_layer *l, const char *key, const char *value)
{
    l->extra = vg_reallocarray(l->extra, l->nextra + 1, sizeof(*l->extra));
    l->extra[l->nextra++] = (struct vg_sign_kv){vg_strdup(key), vg_strdup(value)};
}

/* dev.sigstore.cosign/rfc3161timestamp {"SignedRFC3161Timestamp": base64 DER} */
static void
add_timestamp(struct vg_sign_layer *l, const struct vg_cli_keyless_signed *s)
{
    if (s->tsr.len) {
        vg_autofree char *t64 = vg_base64_encode(s->tsr.data, s->tsr.len);
        vg_autofree char *v = vg_fmt("{\"SignedRFC3161Timestamp\":\"%s\"}", t64);
        add_extra(l, "dev.sigstore.cosign/rfc3161timestamp", v);
    }
}

int
vg_cli_keyless_sign_layer(void *ud, struct vg_sign_layer *l, const struct vg_crypto_key **key,
                          struct vg_err **err)
{
    struct vg_cli_keyless_layer *c = ud;
    vg_cli_keyless_signed_dispose(&c->last);
    struct vg_cli_keyless_signed *s = &c->last;
    if (vg_cli_keyless_sign(s, c->o, l->payload, l->payload_len, err) < 0 ||
        vg_buf_append(&s->legacy_bundle, "", 1, err) < 0) {
        return -1;
    }
    l->signature = vg_base64_encode(s->sig, s->siglen);
    /* cosign's keyless layer (cosign-format.md §3.2) */
    add_extra(l, "dev.sigstore.cosign/certificate", s->cert->leaf_pem);
    add_extra(l, "dev.sigstore.cosign/chain", s->cert->chain_pem);
    add_extra(l, "dev.sigstore.cosign/bundle", (const char *)s->legacy_bundle.data);
    add_timestamp(l, s);
    *key = s->key;
    fprintf(stderr, "tlog entry created with index: %" PRId64 " (certificate for %s, %s)\n",
            s->entry.log_index, s->identity ? s->identity : "?", s->issuer ? s->issuer : "?");
    return 0;
}

int
vg_cli_keyless_sign_statement(void *ud, const char *statement, size_t len,
                              const struct vg_digest *subject, struct vg_buf *bundle,
                              struct vg_sign_layer *l, struct vg_err **err)
{
    struct vg_cli_keyless_layer *c = ud;
    vg_cli_keyless_signed_dispose(&c->last);
    struct vg_cli_keyless_signed *s = &c->last;
    if (vg_cli_keyless_sign_dsse(s, c->o, statement, len, subject, !bundle, err) < 0) {
        return -1;
    }
    fprintf(stderr, "tlog entry created with index: %" PRId64 " (certificate for %s, %s)\n",
            s->entry.log_index, s->identity ? s->identity : "?", s->issuer ? s->issuer : "?");
    if (bundle) {
        return vg_buf_append(bundle, s->bundle.data, s->bundle.len, err);
    }
    if (vg_buf_append(&s->legacy_bundle, "", 1, err) < 0) {
        return -1;
    }
    /* cosign's keyless .att layer (cosign-format.md §6.3) */
    l->payload = vg_strdup(s->envelope);
    l->payload_len = strlen(s->envelope);
    vg_digest_of(&l->digest, VG_DIGEST_SHA256, l->payload, l->payload_len);
    l->signature = vg_strdup("");
    add_extra(l, "dev.sigstore.cosign/certificate", s->cert->leaf_pem);
    add_extra(l, "dev.sigstore.cosign/chain", s->cert->chain_pem);
    add_extra(l, "dev.sigstore.cosign/bundle", (const char *)s->legacy_bundle.data);
    add_timestamp(l, s);
    return 0;
}

/* --tlog-upload with --key, checked under --trusted-root when one is given: the entry's SET by
 * one of its Rekor keys, body, signature and key, as a verifier will check them. */
static int
key_tlog_self_check(const struct vg_cli_key_tlog *c, const struct vg_sign_layer *l,
                    const struct vg_sign_sig_entry *e, struct vg_err **err)
{
    if (!c->o->kl.trusted_root) {
        fprintf(stderr, "vigil: note: the Rekor entry's SET was not checked (no --trusted-root "
                        "naming the log's key)\n");
        return 0;
    }
    struct vg_sigstore_root *root = NULL;
    struct vg_sigstore_bundle *b = NULL;
    struct vg_sigstore_result res = {0};
    struct vg_sigstore_policy p = {.key = c->key};
    struct vg_sigstore_artifact a = {.data = (const uint8_t *)l->payload, .len = l->payload_len};
    int rc = vg_cli_trusted_root_load(&root, &c->o->kl, err);
    if (rc == 0) {
        rc = vg_sign_key_legacy_bundle(&b, e, a.data, a.len, err);
    }
    if (rc == 0 && (rc = vg_sigstore_verify(&res, b, root, &p, &a, err)) == 0) {
        vg_sigstore_result_dispose(&res);
    }
    vg_sigstore_bundle_free(b);
    vg_sigstore_root_free(root);
    return rc < 0 ? vg_err_wrap(err, "the Rekor entry does not verify under the trusted root") : 0;
}

int
vg_cli_key_tlog_sign_layer(void *ud, struct vg_sign_layer *l, const struct vg_crypto_key **key,
                           struct vg_err **err)
{
    const struct vg_cli_key_tlog *c = ud;
    struct vg_sigstore_tlog_entry entry = {0};
    struct vg_http_client *http = NULL;
    vg_autofree uint8_t *sig = NULL;
    vg_autofree char *pem = NULL;
    size_t siglen = 0;
    uint8_t sha256[32];
    vg_sha256_raw(sha256, l->payload, l->payload_len);
    vg_autobuf struct vg_buf req = VG_BUF_INIT(1024u * 1024u);
    vg_autobuf struct vg_buf resp = VG_BUF_INIT(0);
    vg_autobuf struct vg_buf bundle = VG_BUF_INIT(4u * 1024u * 1024u);
    struct vg_http_client_opts ho = VG_HTTP_CLIENT_OPTS_INIT;
    ho.deadline_ns = vg_now_ns() + 120ull * 1000000000ull;
    int rc = -1;
    if (vg_crypto_sign(c->key, l->payload, l->payload_len, &sig, &siglen, err) < 0 ||
        vg_crypto_key_public_pem(c->key, &pem, err) < 0 ||
        vg_rekor_hashedrekord(&req, sha256, sig, siglen, pem, err) < 0 ||
        vg_http_client_new(&http, &ho, err) < 0) {
        goto out;
    }
    if (post_json(&resp, http, c->o->rekor_url, "/api/v1/log/entries", &req, VG_REKOR_RESPONSE_MAX,
                  err) < 0 ||
        vg_rekor_response_parse(&entry, resp.data, resp.len, err) < 0 ||
        vg_rekor_entry_check(&entry, sha256, sig, siglen, pem, err) < 0) {
        vg_err_wrap(err, "rekor %s", c->o->rekor_url);
        goto out;
    }
    if (vg_rekor_legacy_bundle(&bundle, &entry, err) < 0 ||
        vg_buf_append(&bundle, "", 1, err) < 0) {
        goto out;
    }
    l->signature = vg_base64_encode(sig, siglen);
    add_extra(l, "dev.sigstore.cosign/bundle", (const char *)bundle.data);
    /* the layer as a verifier reads it: signature and Rekor bundle annotations */
    struct vg_sign_kv ann[2] = {{VG_SIGN_ANN_SIGNATURE, l->signature},
                                {"dev.sigstore.cosign/bundle", (const char *)bundle.data}};
    struct vg_sign_sig_entry e = {.annotations = ann, .nannotations = 2};
    if (key_tlog_self_check(c, l, &e, err) < 0) {
        goto out;
    }
    *key = c->key;
    fprintf(stderr, "tlog entry created with index: %" PRId64 "\n", entry.log_index);
    rc = 0;
out:
    vg_sigstore_tlog_entry_dispose(&entry);
    vg_http_client_free(http);
    return rc;
}
