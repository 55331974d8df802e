/* SPDX-License-Identifier: Apache-2.0
 *
 * Bundle verification against a trusted root and a signer policy, in the order sigstore-go and
 * cosign apply (cosign-format.md §7, docs/sigstore.md): content signature and artifact,
 * transparency-log evidence, RFC 3161 timestamps, then — for Fulcio certificates — the chain
 * to a CA of the root at every verified time, SCTs and the identity. Every failure names the
 * check that failed; nothing is skipped silently.
 */
#include "sigstore_int.h"

#include <regex.h>
#include <string.h>
#include <time.h>

/* Fulcio certificate extensions (fulcio docs/oid-info.md). */
#define OID_ISSUER_V1  "1.3.6.1.4.1.57264.1.1" /* raw string */
#define OID_GH_TRIGGER "1.3.6.1.4.1.57264.1.2"
#define OID_GH_SHA     "1.3.6.1.4.1.57264.1.3"
#define OID_GH_NAME    "1.3.6.1.4.1.57264.1.4"
#define OID_GH_REPO    "1.3.6.1.4.1.57264.1.5"
#define OID_GH_REF     "1.3.6.1.4.1.57264.1.6"
#define OID_ISSUER_V2  "1.3.6.1.4.1.57264.1.8" /* DER UTF8String */
#define OID_VALUE_MAX  4096u

#define STATEMENT_TYPE "application/vnd.in-toto+json"

void
vg_sigstore_result_dispose(struct vg_sigstore_result *r)
{
    free(r->identity);
    free(r->issuer);
    r->identity = NULL;
    r->issuer = NULL;
}

static bool
in_window(int64_t t, int64_t start, int64_t end)
{
    return t >= start && (end == 0 || t <= end);
}

static const struct vg_sigstore_log *
find_log(const struct vg_sigstore_log *logs, size_t n, const uint8_t id[32])
{
    for (size_t i = 0; i < n; i++) {
        if (memcmp(logs[i].id, id, 32) == 0) {
            return &logs[i];
        }
    }
    return NULL;
}

static void
add_time(struct vg_sigstore_result *res, int64_t t, bool tsa)
{
    if (res->ntimes < VG_SIGSTORE_MAX_TIMES) {
        res->time_is_tsa[res->ntimes] = tsa;
        res->times[res->ntimes++] = t;
    }
}

/* ---------------------------------------------------------------- content */

/* The DSSE statement must name the artifact as a subject (sha256). */
static int
check_statement(const struct vg_sigstore_bundle *b, const uint8_t sha256[32], struct vg_err **err)
{
    if (strcmp(b->payload_type, STATEMENT_TYPE) != 0) {
        vg_autofree char *esc = vg_escape(b->payload_type, strlen(b->payload_type), 80);
        return vg_err_set(err, VG_E_VERIFY, "DSSE payloadType \"%s\" is not in-toto", esc);
    }
    struct vg_sign_statement *st = NULL;
    if (vg_sign_statement_parse(&st, b->payload, b->payloadlen, err) < 0) {
        return vg_err_wrap(err, "DSSE payload");
    }
    char hex[65];
    vg_hex_encode(hex, sha256, 32);
    bool found = false;
    for (size_t i = 0; i < st->nsubjects && !found; i++) {
        found = strcmp(st->subjects[i].sha256, hex) == 0;
    }
    vg_sign_statement_free(st);
    if (!found) {
        return vg_err_set(err, VG_E_VERIFY,
                          "artifact sha256:%s is not a subject of the in-toto statement", hex);
    }
    return 0;
}

static int
verify_content(const struct vg_sigstore_bundle *b, const struct vg_crypto_key *key,
               const struct vg_sigstore_artifact *a, uint8_t pae_sha256[32], struct vg_err **err)
{
    if (b->dsse) {
        vg_autobuf struct vg_buf pae = VG_BUF_INIT(VG_SIGSTORE_BUNDLE_MAX + 1024u);
        if (vg_sign_dsse_pae(&pae, b->payload_type, b->payload, b->payloadlen, err) < 0) {
            return -1;
        }
        vg_sha256_raw(pae_sha256, pae.data, pae.len);
        if (vg_crypto_verify(key, pae.data, pae.len, b->sig, b->siglen, err) < 0) {
            return vg_err_wrap(err, "DSSE envelope signature");
        }
        return check_statement(b, a->sha256, err);
    }
    if (b->has_digest && !vg_crypto_memeq(b->digest, a->sha256, 32)) {
        return vg_err_set(err, VG_E_VERIFY,
                          "message digest in the bundle does not match the artifact");
    }
    int rc = a->data
                 ? vg_crypto_verify(key, a->data, a->len, b->sig, b->siglen, err)
                 : vg_crypto_verify_digest(key, "sha256", a->sha256, 32, b->sig, b->siglen, err);
    return rc < 0 ? vg_err_wrap(err, "message signature") : 0;
}

/* ---------------------------------------------------------------- transparency log */

static int
verify_entry(struct vg_sigstore_result *res, const struct vg_sigstore_bundle *b,
             const struct vg_sigstore_tlog_entry *e, const struct vg_sigstore_root *root,
             const struct vg_sigstore__content *c, struct vg_err **err)
{
    const struct vg_sigstore_log *log = find_log(root->tlogs, root->ntlogs, e->log_id);
    if (!log) {
        char hex[65];
        vg_hex_encode(hex, e->log_id, 32);
        return vg_err_set(err, VG_E_VERIFY,
                          "tlog entry from log %s, which is not in the trusted root", hex);
    }
    if (vg_sigstore__body_check(e, c, err) < 0) {
        return -1;
    }
    if (b->minor == 1 && !e->set) {
        return vg_err_set(err, VG_E_VERIFY,
                          "v0.1 bundle: tlog entry has no inclusion promise (SET)");
    }
    if (b->minor >= 2 && !e->has_proof) {
        return vg_err_set(err, VG_E_VERIFY,
                          "tlog entry has no inclusion proof (required from "
                          "bundle v0.2 on)");
    }
    if (e->has_time && !in_window(e->integrated_time, log->start, log->end)) {
        return vg_err_set(err, VG_E_VERIFY,
                          "tlog entry: integrated time %lld is outside the log key's validity",
                          (long long)e->integrated_time);
    }
    if (e->set) {
        if (!e->has_time) {
            return vg_err_set(err, VG_E_VERIFY, "tlog entry: SET without an integrated time");
        }
        if (vg_sigstore__set_verify(e, log, err) < 0) {
            return -1;
        }
    }
    if (e->has_proof) {
        if (!e->checkpoint) {
            return vg_err_set(err, VG_E_VERIFY, "inclusion proof has no signed checkpoint");
        }
        uint8_t leaf[32];
        vg_sigstore_leaf_hash(leaf, e->body, e->bodylen);
        if (e->proof_index >= e->tree_size) {
            return vg_err_set(err, VG_E_VERIFY, "inclusion proof: index %lld >= tree size %lld",
                              (long long)e->proof_index, (long long)e->tree_size);
        }
        if (vg_sigstore_merkle_verify((uint64_t)e->proof_index, (uint64_t)e->tree_size, leaf,
                                      (const uint8_t(*)[32])e->hashes, e->nhashes, e->root,
                                      err) < 0) {
            return -1;
        }
        struct vg_sigstore_checkpoint cp;
        if (vg_sigstore_checkpoint_verify(&cp, e->checkpoint, strlen(e->checkpoint), log, err) <
            0) {
            return -1;
        }
        bool same = cp.size == (uint64_t)e->tree_size && vg_crypto_memeq(cp.root, e->root, 32);
        vg_sigstore_checkpoint_dispose(&cp);
        if (!same) {
            return vg_err_set(
                err, VG_E_VERIFY,
                "checkpoint: root hash or tree size differs from the inclusion proof");
        }
    }
    /* A log time counts only when the log signed it (the SET). */
    if (e->has_time && e->set) {
        add_time(res, e->integrated_time, false);
    }
    return 0;
}

/* ---------------------------------------------------------------- RFC 3161 */

static int
verify_tsr(struct vg_sigstore_result *res, const uint8_t *tsr, size_t len,
           const struct vg_sigstore_bundle *b, const struct vg_sigstore_root *root,
           struct vg_err **err)
{
    int64_t t = 0;
    if (vg_x509_tsr_time(&t, tsr, len, err) < 0) {
        return -1;
    }
    bool any = false;
    vg_autoerr struct vg_err *last = NULL;
    for (size_t i = 0; i < root->ntsas; i++) {
        const struct vg_sigstore_ca *tsa = &root->tsas[i];
        if (!in_window(t, tsa->start, tsa->end)) {
            continue;
        }
        any = true;
        vg_err_free(&last);
        const uint8_t *over = b->tsr_data ? b->tsr_data : b->sig;
        size_t overlen = b->tsr_data ? b->tsr_datalen : b->siglen;
        if (vg_x509_tsr_verify(tsr, len, over, overlen, tsa->certs, tsa->ncerts, t, &last) == 0) {
            add_time(res, t, true);
            return 0;
        }
    }
    if (!any) {
        return vg_err_set(err, VG_E_VERIFY,
                          "RFC 3161 timestamp: no timestamp authority of the trusted root is "
                          "valid at its time");
    }
    *err = last;
    last = NULL;
    return vg_err_wrap(err, "RFC 3161 timestamp");
}

/* ---------------------------------------------------------------- certificates */

/* A Fulcio extension as text: 1.8 and later hold a DER UTF8String, 1.1–1.6 the raw bytes. */
static int
ext_text(char **out, const struct vg_x509 *leaf, const char *oid, bool der_utf8,
         struct vg_err **err)
{
    vg_autofree uint8_t *v = NULL;
    size_t n = 0;
    int rc = vg_x509_ext(&v, &n, leaf, oid, err);
    *out = NULL;
    if (rc <= 0) {
        return rc;
    }
    const uint8_t *p = v;
    if (der_utf8) {
        /* UTF8String, short or one/two-byte long form length. */
        size_t hdr = 2, len = n >= 2 ? v[1] : 0;
        if (n >= 2 && v[1] == 0x81 && n >= 3) {
            hdr = 3, len = v[2];
        } else if (n >= 2 && v[1] == 0x82 && n >= 4) {
            hdr = 4, len = (size_t)v[2] << 8 | v[3];
        }
        if (n < 2 || v[0] != 0x0c || hdr + len != n) {
            return vg_err_set(err, VG_E_PARSE, "certificate extension %s is not a UTF8String", oid);
        }
        p = v + hdr;
        n = len;
    }
    if (n > OID_VALUE_MAX || memchr(p, 0, n)) {
        return vg_err_set(err, VG_E_PARSE, "certificate extension %s: bad value", oid);
    }
    *out = vg_malloc(n + 1);
    memcpy(*out, p, n);
    (*out)[n] = '\0';
    return 1;
}

static int
match_value(bool *ok, const char *value, const char *exact, const char *re, const char *what,
            struct vg_err **err)
{
    *ok = true;
    if (exact && strcmp(value, exact) != 0) {
        *ok = false;
    }
    if (re && *ok) {
        regex_t rx;
        if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) {
            return vg_err_set(err, VG_E_USAGE, "%s regexp does not compile", what);
        }
        *ok = regexec(&rx, value, 0, NULL, 0) == 0;
        regfree(&rx);
    }
    return 0;
}

static int
check_identity(struct vg_sigstore_result *res, const struct vg_x509 *leaf,
               const struct vg_sigstore_policy *p, struct vg_err **err)
{
    vg_autofree char *issuer = NULL;
    int rc = ext_text(&issuer, leaf, OID_ISSUER_V2, true, err);
    if (rc == 0) {
        rc = ext_text(&issuer, leaf, OID_ISSUER_V1, false, err);
    }
    if (rc < 0) {
        return -1;
    }
    if (rc == 0) {
        return vg_err_set(err, VG_E_VERIFY, "certificate has no OIDC issuer extension");
    }
    bool ok = false;
    if (match_value(&ok, issuer, p->issuer, p->issuer_regexp, "--certificate-oidc-issuer", err) <
        0) {
        return -1;
    }
    if (!ok) {
        vg_autofree char *esc = vg_escape(issuer, strlen(issuer), 200);
        return vg_err_set(err, VG_E_VERIFY,
                          "certificate OIDC issuer \"%s\" does not match the expected issuer", esc);
    }
    char **sans = NULL;
    size_t nsans = 0;
    if (vg_x509_sans(&sans, &nsans, leaf, err) < 0) {
        return -1;
    }
    const char *matched = NULL;
    for (size_t i = 0; i < nsans && !matched; i++) {
        if (match_value(&ok, sans[i], p->identity, p->identity_regexp, "--certificate-identity",
                        err) < 0) {
            vg_strv_free(sans, nsans);
            return -1;
        }
        matched = ok ? sans[i] : NULL;
    }
    if (!matched) {
        vg_autofree char *first = nsans ? vg_escape(sans[0], strlen(sans[0]), 200) : NULL;
        vg_strv_free(sans, nsans);
        return vg_err_set(err, VG_E_VERIFY,
                          "certificate identity (SAN \"%s\") does not match the expected identity",
                          first ? first : "");
    }
    res->identity = vg_strdup(matched);
    res->issuer = vg_strdup(issuer);
    vg_strv_free(sans, nsans);
    static const struct {
        const char *oid, *name;
        size_t off;
    } gh[] = {
        {OID_GH_TRIGGER, "github workflow trigger",
         offsetof(struct vg_sigstore_policy, github_trigger)},
        {OID_GH_SHA, "github workflow sha", offsetof(struct vg_sigstore_policy, github_sha)},
        {OID_GH_NAME, "github workflow name", offsetof(struct vg_sigstore_policy, github_name)},
        {OID_GH_REPO, "github workflow repository",
         offsetof(struct vg_sigstore_policy, github_repository)},
        {OID_GH_REF, "github workflow ref", offsetof(struct vg_sigstore_policy, github_ref)},
    };
    for (size_t i = 0; i < sizeof(gh) / sizeof(gh[0]); i++) {
        const char *want = *(const char *const *)((const char *)p + gh[i].off);
        if (!want) {
            continue;
        }
        vg_autofree char *got = NULL;
        if ((rc = ext_text(&got, leaf, gh[i].oid, false, err)) < 0) {
            return -1;
        }
        if (rc == 0 || strcmp(got, want) != 0) {
            return vg_err_set(err, VG_E_VERIFY, "certificate %s does not match", gh[i].name);
        }
    }
    return 0;
}

/* The leaf must chain to a Fulcio CA of the root that is valid at t, with certificates valid at
 * t; the issuing CA certificate goes to *issuer. */
static int
verify_chain_at(struct vg_x509 **issuer, const struct vg_x509 *leaf,
                const struct vg_sigstore_root *root, int64_t t, struct vg_err **err)
{
    vg_autoerr struct vg_err *last = NULL;
    for (size_t i = 0; i < root->ncas; i++) {
        const struct vg_sigstore_ca *ca = &root->cas[i];
        if (!in_window(t, ca->start, ca->end)) {
            continue;
        }
        vg_err_free(&last);
        if (vg_x509_chain_verify(issuer, leaf, ca->certs, ca->ncerts, t, &last) == 0) {
            return 0;
        }
    }
    if (!last) {
        return vg_err_set(err, VG_E_VERIFY,
                          "no certificate authority of the trusted root is valid at the signing "
                          "time");
    }
    *err = last;
    last = NULL;
    return vg_err_wrap(err, "Fulcio certificate");
}

static int
verify_certificate(struct vg_sigstore_result *res, const struct vg_sigstore_bundle *b,
                   const struct vg_sigstore_root *root, const struct vg_sigstore_policy *p,
                   struct vg_err **err)
{
    const struct vg_x509 *leaf = b->certs[0];
    struct vg_x509 *issuer = NULL;
    for (size_t i = 0; i < res->ntimes; i++) {
        if (verify_chain_at(&issuer, leaf, root, res->times[i], err) < 0) {
            return -1;
        }
    }
    if (!vg_x509_eku_code_signing(leaf)) {
        return vg_err_set(err, VG_E_VERIFY,
                          "certificate lacks the code-signing extended key usage");
    }
    if (!p->ignore_sct) {
        struct vg_x509_ctlog *logs = root->nctlogs ? vg_calloc(root->nctlogs, sizeof(*logs)) : NULL;
        for (size_t i = 0; i < root->nctlogs; i++) {
            memcpy(logs[i].id, root->ctlogs[i].id, 32);
            logs[i].key = root->ctlogs[i].key;
            logs[i].start = root->ctlogs[i].start;
            logs[i].end = root->ctlogs[i].end;
        }
        int rc = vg_x509_sct_verify(&res->nscts, leaf, issuer, logs, root->nctlogs, err);
        free(logs);
        if (rc < 0) {
            return -1;
        }
    }
    return check_identity(res, leaf, p, err);
}

/* ---------------------------------------------------------------- all of it */

static int
check_policy(const struct vg_sigstore_bundle *b, const struct vg_sigstore_policy *p,
             struct vg_err **err)
{
    bool identity = p->identity || p->identity_regexp || p->issuer || p->issuer_regexp;
    if (p->key && identity) {
        return vg_err_set(err, VG_E_USAGE, "a key and a certificate identity exclude each other");
    }
    if (b->has_key && !p->key) {
        return vg_err_set(err, VG_E_VERIFY,
                          "the bundle is signed with a public key, but no key was given");
    }
    if (!b->has_key && p->key) {
        return vg_err_set(err, VG_E_VERIFY,
                          "the bundle is signed with a certificate, but a key was given");
    }
    if (!b->has_key && (!(p->identity || p->identity_regexp) || !(p->issuer || p->issuer_regexp))) {
        return vg_err_set(err, VG_E_USAGE,
                          "keyless verification needs --certificate-identity[-regexp] and "
                          "--certificate-oidc-issuer[-regexp]");
    }
    /* The chain in a bundle ends below the root (protobuf-specs): a root in it is refused, the
     * trust anchor comes from the trusted root only. */
    for (size_t i = 1; i < b->ncerts; i++) {
        if (vg_x509_self_signed(b->certs[i])) {
            return vg_err_set(err, VG_E_VERIFY,
                              "the bundle's certificate chain includes a root certificate");
        }
    }
    return 0;
}

int
vg_sigstore_verify(struct vg_sigstore_result *res, const struct vg_sigstore_bundle *b,
                   const struct vg_sigstore_root *root, const struct vg_sigstore_policy *p,
                   struct vg_sigstore_artifact *a, struct vg_err **err)
{
    memset(res, 0, sizeof(*res));
    if (check_policy(b, p, err) < 0) {
        return -1;
    }
    if (a->data) {
        vg_sha256_raw(a->sha256, a->data, a->len);
    }
    vg_autokey struct vg_crypto_key *leafkey = NULL;
    if (!b->has_key && vg_x509_public_key(&leafkey, b->certs[0], err) < 0) {
        return vg_err_wrap(err, "bundle certificate");
    }
    const struct vg_crypto_key *key = b->has_key ? p->key : leafkey;
    uint8_t pae_sha256[32] = {0};
    if (verify_content(b, key, a, pae_sha256, err) < 0) {
        return -1;
    }
    struct vg_sigstore__content c = {
        .sig = b->sig,
        .siglen = b->siglen,
        .leaf = b->has_key ? NULL : b->certs[0],
        .key = b->has_key ? p->key : NULL,
        .artifact_sha256 = a->sha256,
        .payload = b->payload,
        .payloadlen = b->payloadlen,
        .payload_type = b->payload_type,
        .pae_sha256 = pae_sha256,
        .dsse = b->dsse,
    };
    if (b->nentries == 0 && !p->ignore_tlog) {
        return vg_err_set(err, VG_E_VERIFY, "the bundle has no transparency log entry");
    }
    for (size_t i = 0; i < b->nentries && !p->ignore_tlog; i++) {
        if (verify_entry(res, b, &b->entries[i], root, &c, err) < 0) {
            return vg_err_wrap(err, "tlog entry %zu", i);
        }
        res->nentries++;
    }
    for (size_t i = 0; i < b->ntsrs; i++) {
        if (verify_tsr(res, b->tsrs[i], b->tsrlens[i], b, root, err) < 0) {
            return -1;
        }
    }
    if (res->ntimes == 0 && p->ignore_tlog) {
        /* Nothing vouches for the signing time: the certificate must be valid now. */
        add_time(res, p->now ? p->now : (int64_t)time(NULL), false);
    }
    if (res->ntimes == 0) {
        return vg_err_set(err, VG_E_VERIFY,
                          "no verified signing time (neither a signed log entry time nor an "
                          "RFC 3161 timestamp)");
    }
    if (b->has_key) {
        return 0;
    }
    if (verify_certificate(res, b, root, p, err) < 0) {
        vg_sigstore_result_dispose(res);
        return -1;
    }
    return 0;
}
