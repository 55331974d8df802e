/* SPDX-License-Identifier: Apache-2.0
 *
 * Verifying one Notary Project signature against one trust policy
 * (trust-store-trust-policy.md "Signature Verification", signing-and-verification-workflow.md):
 * integrity (the envelope parses, its signature verifies, its payload names this image and
 * holds the user metadata asked for), authenticity (the chain reaches a certificate of the
 * policy's trust stores, the leaf's subject is a trusted identity), expiry, the authentic
 * timestamp (every certificate of the chain valid at the authentic signing time, the RFC 3161
 * genTime, or now) and revocation, each enforced, logged or skipped as the policy's level says.
 * Revocation asks the OCSP responders and CRL distribution points the chain names
 * (notation_revoke.c) unless the caller turned it off (o->no_revocation: reported skipped).
 */
#include "notation_int.h"

#include <string.h>

void
vg_notation_outcome_dispose(struct vg_notation_outcome *o)
{
    for (size_t i = 0; i < VG_NOTATION_CHECKS; i++) {
        free(o->errors[i]);
    }
    vg_err_free(&o->error);
    vg_notation_envelope_free(o->env);
    free(o->signer);
    *o = (struct vg_notation_outcome){0};
}

/* Records the failure of check c (err consumed). Returns true when it was enforced: the
 * verification stops there. */
static bool
fail(struct vg_notation_outcome *out, enum vg_notation_check c, struct vg_err **e)
{
    out->failed[c] = true;
    vg_autofree char *msg = vg_err_format(*e);
    if (out->results[c] == VG_NOTATION_ENFORCE) {
        out->ok = false;
        vg_err_wrap(e, "%s", vg_notation_check_name(c));
        out->error = vg_steal_ptr(e);
        out->errors[c] = vg_steal_ptr(&msg);
        return true;
    }
    if (out->results[c] == VG_NOTATION_LOG) {
        out->errors[c] = vg_steal_ptr(&msg); /* the caller renders logged failures */
    }
    vg_err_free(e);
    return false;
}

static char *
join(char *const *v, size_t n)
{
    struct vg_buf b = VG_BUF_INIT(SIZE_MAX);
    vg_autoerr struct vg_err *e = NULL;
    for (size_t i = 0; i < n; i++) {
        if (vg_buf_appendf(&b, &e, "%s%s", i ? ", " : "", v[i]) < 0) {
            break;
        }
    }
    char *s = b.len ? vg_buf_take(&b, NULL) : vg_strdup("");
    vg_buf_dispose(&b);
    return s;
}

/* Certificates of the policy's stores of one type ("ca", "signingAuthority", "tsa"). */
static int
stores_load(struct vg_x509 ***out, size_t *n, const struct vg_notation_verify_opts *o,
            const char *type, char ***names, size_t *nnames, struct vg_err **err)
{
    size_t tl = strlen(type);
    for (size_t i = 0; i < o->policy->nstores; i++) {
        const char *s = o->policy->stores[i];
        if (strncmp(s, type, tl) != 0 || s[tl] != ':') {
            continue;
        }
        struct vg_x509 **c = NULL;
        size_t nc = 0;
        if (o->anchors) {
            c = vg_calloc(o->nanchors + 1, sizeof(*c));
            for (; nc < o->nanchors; nc++) {
                size_t dl = 0;
                const uint8_t *der = vg_x509_der(o->anchors[nc], &dl);
                if (vg_x509_parse(&c[nc], der, dl, err) < 0) {
                    vg_x509_list_free(c, nc);
                    return -1;
                }
            }
        } else if (vg_notation_truststore_load(&c, &nc, o->truststore, type, s + tl + 1, err) < 0) {
            return -1;
        }
        for (size_t j = 0; j < nc; j++) {
            VG_ARRAY_PUSH(*out, *n, c[j]);
        }
        free(c);
        if (names) {
            vg_strv_push(names, nnames, s);
        }
    }
    return 0;
}

static int
check_integrity(struct vg_notation_outcome *out, const struct vg_notation_verify_opts *o,
                const char *media_type, const void *data, size_t len, struct vg_err **err)
{
    int rc = vg_notation_envelope_open(&out->env, media_type, data, len, err);
    if (rc < 0) {
        return rc;
    }
    const struct vg_notation_envelope *e = out->env;
    out->signer = vg_x509_subject_string(e->chain[0]);
    if (o->digest && (!vg_digest_eq(&e->target_digest, o->digest) || e->target_size != o->size)) {
        return vg_err_set(err, VG_E_VERIFY,
                          "the signature is for %s (%llu bytes), not this image %s (%llu bytes)",
                          e->target_digest.text, (unsigned long long)e->target_size,
                          o->digest->text, (unsigned long long)o->size);
    }
    if (o->media_type && strcmp(e->target_media_type, o->media_type) != 0) {
        vg_autofree char *esc = vg_escape(e->target_media_type, strlen(e->target_media_type), 120);
        return vg_err_set(err, VG_E_VERIFY, "the signature is for a %s, the image is a %s", esc,
                          o->media_type);
    }
    for (size_t i = 0; i < o->nmetadata; i++) {
        const char *v =
            e->target_annotations ? vg_json_str(e->target_annotations, o->metadata[i].key) : NULL;
        if (!v || strcmp(v, o->metadata[i].value) != 0) {
            return vg_err_set(err, VG_E_VERIFY, "user metadata %s=%s is not in the signature",
                              o->metadata[i].key, o->metadata[i].value);
        }
    }
    return 0;
}

static int
check_authenticity(const struct vg_notation_envelope *e, const struct vg_notation_verify_opts *o,
                   struct vg_err **err)
{
    const char *type = e->scheme == VG_NOTATION_SIGNING_AUTHORITY ? "signingAuthority" : "ca";
    struct vg_x509 **roots = NULL;
    size_t nroots = 0;
    char **names = NULL;
    size_t nnames = 0;
    int rc = stores_load(&roots, &nroots, o, type, &names, &nnames, err);
    if (rc == 0 && nnames == 0) {
        rc = vg_err_set(err, VG_E_VERIFY,
                        "the trust policy \"%s\" names no %s trust store (the signature's scheme "
                        "is %s)",
                        o->policy->name, type,
                        e->scheme == VG_NOTATION_SIGNING_AUTHORITY ? VG_NOTATION_SCHEME_SA
                                                                   : VG_NOTATION_SCHEME_X509);
    }
    bool trusted = false;
    for (size_t i = 0; rc == 0 && i < nroots && !trusted; i++) {
        for (size_t j = 0; j < e->nchain && !trusted; j++) {
            trusted = vg_x509_eq(roots[i], e->chain[j]);
        }
    }
    if (rc == 0 && !trusted) {
        vg_autofree char *list = join(names, nnames);
        rc = vg_err_set(err, VG_E_VERIFY,
                        "the certificate chain does not lead to a certificate in the trust "
                        "store(s) %s",
                        list);
    }
    vg_strv_free(names, nnames);
    vg_x509_list_free(roots, nroots);
    if (rc < 0 || o->policy->any_identity) {
        return rc;
    }
    struct vg_x509_rdn *subj = NULL;
    size_t ns = 0;
    if ((rc = vg_x509_subject_rdns(&subj, &ns, e->chain[0], err)) < 0) {
        return rc;
    }
    bool match = false;
    for (size_t i = 0; i < o->policy->nidentities && !match; i++) {
        match = vg_notation_identity_match(&o->policy->identities[i], subj, ns);
    }
    vg_x509_rdns_free(subj, ns);
    if (!match) {
        vg_autofree char *s = vg_x509_subject_string(e->chain[0]);
        return vg_err_set(err, VG_E_VERIFY,
                          "the signing certificate's subject \"%s\" is not a trusted identity of "
                          "policy \"%s\"",
                          s, o->policy->name);
    }
    return 0;
}

/* Every certificate of the chain valid at `at` (how = what time that is, for the message). */
static int
chain_valid_at(const struct vg_notation_envelope *e, int64_t at, const char *how,
               struct vg_err **err)
{
    for (size_t i = 0; i < e->nchain; i++) {
        int64_t nb = 0, na = 0;
        int rc = vg_x509_validity(e->chain[i], &nb, &na, err);
        if (rc < 0) {
            return rc;
        }
        if (at < nb || at > na) {
            char t[32], lim[32];
            vg_time_rfc3339(t, sizeof(t), at);
            vg_time_rfc3339(lim, sizeof(lim), at < nb ? nb : na);
            vg_autofree char *s = vg_x509_subject_string(e->chain[i]);
            return vg_err_set(err, VG_E_VERIFY,
                              "certificate %zu (%s) is not valid at %s (%s): %s %s", i + 1, s, how,
                              t, at < nb ? "not valid before" : "expired at", lim);
        }
    }
    return 0;
}

/* *authentic: the authentic signing time once verified (the signingAuthority attribute or a
 * timestamp token's genTime), left 0 when the signature has none. */
static int
check_timestamp(const struct vg_notation_envelope *e, const struct vg_notation_verify_opts *o,
                int64_t *authentic, struct vg_err **err)
{
    if (e->scheme == VG_NOTATION_SIGNING_AUTHORITY) {
        *authentic = e->signing_time;
        return chain_valid_at(e, e->signing_time, "the authentic signing time", err);
    }
    bool tsa = false;
    for (size_t i = 0; i < o->policy->nstores; i++) {
        tsa = tsa || vg_cstr_startswith(o->policy->stores[i], "tsa:");
    }
    if (!e->tst || !tsa) {
        return chain_valid_at(e, o->now, "verification time", err);
    }
    struct vg_x509 **roots = NULL;
    size_t nroots = 0;
    int64_t gen = 0;
    int rc = stores_load(&roots, &nroots, o, "tsa", NULL, NULL, err);
    if (rc == 0) {
        rc = vg_x509_tst_verify(&gen, e->tst, e->tstlen, e->signature, e->siglen, roots, nroots,
                                err);
    }
    vg_x509_list_free(roots, nroots);
    if (rc == 0) {
        *authentic = gen;
    }
    return rc < 0 ? rc : chain_valid_at(e, gen, "the timestamp's time", err);
}

void
vg_notation_verify_envelope(struct vg_notation_outcome *out,
                            const struct vg_notation_verify_opts *o, const char *media_type,
                            const void *data, size_t len)
{
    *out = (struct vg_notation_outcome){.ok = true};
    memcpy(out->results, o->policy->actions, sizeof(out->results));
    out->results[VG_NOTATION_CHECK_INTEGRITY] = VG_NOTATION_ENFORCE;
    struct vg_err *e = NULL;
    if (check_integrity(out, o, media_type, data, len, &e) < 0 &&
        fail(out, VG_NOTATION_CHECK_INTEGRITY, &e)) {
        return;
    }
    const struct vg_notation_envelope *env = out->env;
    if (out->results[VG_NOTATION_CHECK_AUTHENTICITY] != VG_NOTATION_SKIPPED &&
        check_authenticity(env, o, &e) < 0 && fail(out, VG_NOTATION_CHECK_AUTHENTICITY, &e)) {
        return;
    }
    if (out->results[VG_NOTATION_CHECK_EXPIRY] != VG_NOTATION_SKIPPED && env->expiry &&
        o->now >= env->expiry) {
        char t[32];
        vg_time_rfc3339(t, sizeof(t), env->expiry);
        vg_err_set(&e, VG_E_VERIFY, "the signature expired at %s", t);
        if (fail(out, VG_NOTATION_CHECK_EXPIRY, &e)) {
            return;
        }
    }
    int64_t authentic = 0;
    if (out->results[VG_NOTATION_CHECK_TIMESTAMP] != VG_NOTATION_SKIPPED &&
        check_timestamp(env, o, &authentic, &e) < 0 && fail(out, VG_NOTATION_CHECK_TIMESTAMP, &e)) {
        return;
    }
    bool skip = false;
    uint32_t timeout_ms = 0;
    vg_notation__revocation_settings(&skip, &timeout_ms);
    if (o->no_revocation || skip) {
        out->results[VG_NOTATION_CHECK_REVOCATION] = VG_NOTATION_SKIPPED;
    }
    if (out->results[VG_NOTATION_CHECK_REVOCATION] != VG_NOTATION_SKIPPED &&
        vg_notation__revocation_check(env, o, authentic, &out->revocation_unavailable, &e) < 0) {
        (void)fail(out, VG_NOTATION_CHECK_REVOCATION, &e); /* the last check: nothing follows */
    }
}

bool
vg_notation_result_unavailable(const struct vg_notation_result *r)
{
    bool any = false;
    for (size_t i = 0; i < r->n; i++) {
        const struct vg_notation_outcome *o = &r->items[i].outcome;
        if (o->ok) {
            return false;
        }
        /* revocation is the last check: when it is the enforced failure, all others passed */
        if (!(o->revocation_unavailable && o->failed[VG_NOTATION_CHECK_REVOCATION] &&
              o->results[VG_NOTATION_CHECK_REVOCATION] == VG_NOTATION_ENFORCE)) {
            return false;
        }
        any = true;
    }
    return any;
}
