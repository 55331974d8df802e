/* SPDX-License-Identifier: Apache-2.0
 *
 * Keyless identities in policies (docs/policy.md "Keyless authorities"): the
 * {issuer, subject, issuerRegExp, subjectRegExp} shape ClusterImagePolicy, Kyverno and vigil's
 * ImagePolicy share, validated at load; regular expressions are POSIX extended (Go's RE2
 * syntax that POSIX lacks is refused when it does not compile). Kyverno's exact values may
 * hold `*` / `?` wildcards, turned into anchored regexps here.
 */
#include "policy.h"
#include "policy_int.h"

#include "config/config.h"
#include "sign/notation.h"

#include <regex.h>
#include <string.h>

#define IDENTITY_MAX 4096u

/* `*` any run, `?` one character, everything else literal; anchored. */
static char *
wildcard_regexp(const char *w)
{
    struct vg_buf b = VG_BUF_INIT(8u * IDENTITY_MAX + 8u);
    struct vg_err *e = NULL;
    int rc = vg_buf_appendc(&b, '^', &e);
    for (const char *p = w; *p && rc == 0; p++) {
        if (*p == '*') {
            rc = vg_buf_append_str(&b, ".*", &e);
        } else if (*p == '?') {
            rc = vg_buf_appendc(&b, '.', &e);
        } else if (strchr("\\^$.|+()[]{}", *p)) {
            rc = vg_buf_appendf(&b, &e, "\\%c", *p);
        } else {
            rc = vg_buf_appendc(&b, *p, &e);
        }
    }
    if (rc == 0) {
        rc = vg_buf_appendc(&b, '$', &e);
    }
    vg_err_free(&e);
    if (rc < 0) {
        vg_buf_dispose(&b);
        return NULL;
    }
    return vg_buf_take(&b, NULL);
}

static int
check_regexp(const struct vg_config_node *n, const char *re, const char *path, const char *field,
             struct vg_err **err)
{
    regex_t rx;
    if (strlen(re) > IDENTITY_MAX || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "%s.%s: regular expression does not compile (POSIX extended; "
                             "RE2-only syntax such as \\d or (?i) is not supported)",
                             path, field);
    }
    regfree(&rx);
    return 0;
}

int
vg_policy_identity_load(struct vg_policy_identity *out, char *re_owned[2],
                        const struct vg_config_node *n, const char *path, bool wildcards,
                        struct vg_err **err)
{
    static const char *const keys[] = {"issuer", "subject", "issuerRegExp", "subjectRegExp"};
    *out = (struct vg_policy_identity){0};
    re_owned[0] = re_owned[1] = NULL;
    /* Kyverno's keyless attestor holds more fields: its loader checks the keys */
    if (!wildcards && vg_config_check_keys(n, path, keys, VG_ARRAY_LEN(keys), err) < 0) {
        return -(int)VG_E_PARSE;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++) {
        const struct vg_config_node *v = vg_config_map_get(n, keys[i]);
        if (v && !vg_config_node_scalar(v, NULL)) {
            return vg_config_err(err, v, VG_E_PARSE, "%s.%s must be a string", path, keys[i]);
        }
    }
    const char *iss = vg_policy_node_str(n, "issuer"), *sub = vg_policy_node_str(n, "subject");
    const char *iss_re = vg_policy_node_str(n, "issuerRegExp");
    const char *sub_re = vg_policy_node_str(n, "subjectRegExp");
    iss = iss && *iss ? iss : NULL;
    sub = sub && *sub ? sub : NULL;
    iss_re = iss_re && *iss_re ? iss_re : NULL;
    sub_re = sub_re && *sub_re ? sub_re : NULL;
    if (!iss && !sub && !iss_re && !sub_re) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "%s: missing field(s): issuer, subject, issuerRegExp, subjectRegExp",
                             path);
    }
    /* policy-controller (and vigil) need both sides; Kyverno (wildcards) does not */
    if (!wildcards && !iss && !iss_re) {
        return vg_config_err(err, n, VG_E_PARSE, "missing field(s): %s.issuer, %s.issuerRegExp",
                             path, path);
    }
    if (!wildcards && !sub && !sub_re) {
        return vg_config_err(err, n, VG_E_PARSE, "missing field(s): %s.subject, %s.subjectRegExp",
                             path, path);
    }
    if ((iss && iss_re) || (sub && sub_re)) {
        return vg_config_err(err, n, VG_E_PARSE, "%s: expected exactly one, got both: %s", path,
                             iss && iss_re ? "issuer, issuerRegExp" : "subject, subjectRegExp");
    }
    if ((iss_re && check_regexp(n, iss_re, path, "issuerRegExp", err) < 0) ||
        (sub_re && check_regexp(n, sub_re, path, "subjectRegExp", err) < 0)) {
        return -(int)VG_E_PARSE;
    }
    if (wildcards && sub && strpbrk(sub, "*?")) {
        re_owned[0] = wildcard_regexp(sub);
        sub_re = re_owned[0];
        sub = NULL;
    }
    if (wildcards && iss && strpbrk(iss, "*?")) {
        re_owned[1] = wildcard_regexp(iss);
        iss_re = re_owned[1];
        iss = NULL;
    }
    *out = (struct vg_policy_identity){
        .issuer = iss, .subject = sub, .issuer_regexp = iss_re, .subject_regexp = sub_re};
    return 0;
}

char *
vg_policy_notation_trustpolicy(const struct vg_policy_notation *a)
{
    json_t *ids = json_array();
    for (size_t i = 0; i < a->nidentities; i++) {
        json_array_append_new(ids, json_string(a->identities[i]));
    }
    if (a->nidentities == 0) {
        json_array_append_new(ids, json_string("*"));
    }
    json_t *doc = json_pack("{s:s, s:[{s:s, s:[s], s:{s:s}, s:[s], s:o}]}", "version", "1.0",
                            "trustPolicies", "name", "policy", "registryScopes", "*",
                            "signatureVerification", "level", a->level ? a->level : "strict",
                            "trustStores", "ca:policy", "trustedIdentities", ids);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

int
vg_policy_notation_check(const struct vg_config_node *n, const struct vg_policy_notation *a,
                         struct vg_err **err)
{
    struct vg_x509 **certs = NULL;
    size_t ncerts = 0;
    struct vg_err *e = NULL;
    if (!a->certs_pem || !strstr(a->certs_pem, "-----BEGIN CERTIFICATE-----") ||
        vg_x509_parse_all(&certs, &ncerts, a->certs_pem, strlen(a->certs_pem), &e) < 0) {
        vg_autofree char *m = e ? vg_err_format(e) : vg_strdup("no PEM CERTIFICATE block");
        vg_err_free(&e);
        return vg_config_err(err, n, VG_E_PARSE, "notation certificates: %s", m);
    }
    vg_x509_list_free(certs, ncerts);
    if (a->level && strcmp(a->level, "strict") != 0 && strcmp(a->level, "permissive") != 0 &&
        strcmp(a->level, "audit") != 0) {
        return vg_config_err(err, n, VG_E_PARSE,
                             "notation level \"%s\": strict, permissive or audit", a->level);
    }
    vg_autofree char *doc = vg_policy_notation_trustpolicy(a);
    struct vg_notation_policy *tp = NULL;
    if (!doc || vg_notation_policy_parse(&tp, doc, strlen(doc), &e) < 0) {
        vg_autofree char *m = e ? vg_err_format(e) : vg_strdup("invalid");
        vg_err_free(&e);
        return vg_config_err(err, n, VG_E_PARSE, "notation trusted identities: %s", m);
    }
    vg_notation_policy_free(tp);
    return 0;
}

/* ---------------------------------------------------------------- verdict questions */

/* "<tag><len>:<s>" (s NULL: "<tag>-"), so no two different field lists join the same. */
static void
q_field(struct vg_buf *b, char tag, const char *s)
{
    struct vg_err *e = NULL;
    int rc = s ? vg_buf_appendf(b, &e, "%c%zu:%s", tag, strlen(s), s)
               : vg_buf_appendf(b, &e, "%c-", tag);
    if (rc < 0) {
        vg_err_free(&e); /* SIZE_MAX bound: only allocation, which aborts */
    }
}

static void
q_annotations(struct vg_buf *b, const struct vg_policy_kv *ann, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        q_field(b, 'a', ann[i].key);
        q_field(b, 'v', ann[i].value);
    }
}

char *
vg_policy_verify_question(const char *key_pem, const struct vg_policy_kv *annotations,
                          size_t nannotations)
{
    struct vg_buf b = VG_BUF_INIT(SIZE_MAX);
    q_field(&b, 'K', key_pem);
    q_annotations(&b, annotations, nannotations);
    return vg_buf_take(&b, NULL);
}

char *
vg_policy_keyless_question(const struct vg_policy_keyless *k,
                           const struct vg_policy_kv *annotations, size_t nannotations)
{
    struct vg_buf b = VG_BUF_INIT(SIZE_MAX);
    q_field(&b, 'L', k->trust_root);
    q_field(&b, 'c', k->ca_pem);
    q_field(&b, 'r', k->rekor_pem);
    q_field(&b, 'f', k->ignore_sct ? (k->ignore_tlog ? "st" : "s") : (k->ignore_tlog ? "t" : ""));
    for (size_t i = 0; i < k->nids; i++) {
        const struct vg_policy_identity *id = &k->ids[i];
        q_field(&b, 'i', id->issuer);
        q_field(&b, 's', id->subject);
        q_field(&b, 'I', id->issuer_regexp);
        q_field(&b, 'S', id->subject_regexp);
    }
    q_annotations(&b, annotations, nannotations);
    return vg_buf_take(&b, NULL);
}

char *
vg_policy_notation_question(const struct vg_policy_notation *n)
{
    struct vg_buf b = VG_BUF_INIT(SIZE_MAX);
    q_field(&b, 'N', n->certs_pem);
    q_field(&b, 'l', n->level);
    for (size_t i = 0; i < n->nidentities; i++) {
        q_field(&b, 'i', n->identities[i]);
    }
    return vg_buf_take(&b, NULL);
}

char *
vg_policy_tlog_question(const char *key_pem, const struct vg_policy_tlog *t,
                        const struct vg_policy_kv *annotations, size_t nannotations)
{
    struct vg_buf b = VG_BUF_INIT(SIZE_MAX);
    q_field(&b, 'T', key_pem);
    q_field(&b, 'r', t->rekor_pem);
    q_field(&b, 'u', t->rekor_url);
    q_annotations(&b, annotations, nannotations);
    return vg_buf_take(&b, NULL);
}
