/* SPDX-License-Identifier: Apache-2.0
 *
 * vigil's ImagePolicy format: load-time refusals with FILE:LINE:COL, scope and exemptions,
 * trusted globs over normalized references, tag rules, signature threshold and annotations,
 * vulnerability and config rules through caller-supplied facts, and the three modes.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

#define HEAD "apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: t}\n"

static struct vg_policy_set *
load_ok(const char *yaml)
{
    struct vg_policy_set *s = vg_policy_set_new(NULL);
    struct vg_err *err = NULL;
    int rc = vg_policy_set_load_buf(s, "p.yaml", yaml, strlen(yaml), &err);
    if (rc < 0) {
        char *m = vg_err_format(err);
        cr_assert_fail("load failed: %s", m);
    }
    return s;
}

static void
load_fails(const char *yaml, const char *want)
{
    struct vg_policy_set *s = vg_policy_set_new(NULL);
    struct vg_err *err = NULL;
    cr_assert_lt(vg_policy_set_load_buf(s, "p.yaml", yaml, strlen(yaml), &err), 0, "%s", yaml);
    char *m = vg_err_format(err);
    cr_assert(strstr(m, want), "got: %s", m);
    free(m);
    vg_err_free(&err);
    cr_assert_eq(vg_policy_set_count(s), 0);
    vg_policy_set_free(s);
}

/* Decision for one bare image; returns the number of reasons, *allowed set. */
static size_t
decide(struct vg_policy_set *s, const char *image, const char *ns,
       const struct vg_policy_inputs *in, bool *allowed, char **first)
{
    struct vg_policy_object o;
    vg_policy_object_image(&o, image, ns);
    struct vg_policy_decision d;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_policy_eval(s, &o, in, &d, &err), 0);
    *allowed = d.allowed;
    size_t n = d.nreasons;
    if (first) {
        *first = n ? strdup(d.reasons[0].message) : NULL;
    }
    vg_policy_decision_dispose(&d);
    vg_policy_object_dispose(&o);
    return n;
}

Test(vigil, refusals_name_file_line_col)
{
    load_fails(HEAD "spec:\n  trustedImages: [\"nginx\"]\n", "p.yaml:5:");
    load_fails(HEAD "spec:\n  trustedImages: [\"nginx\"]\n", "a registry and a repository");
    load_fails(HEAD "spec:\n  trustedImage: [\"ghcr.io/x\"]\n",
               "p.yaml:5:3: unknown key 'spec.trustedImage'");
    load_fails(HEAD "spec:\n  trustedImages: [\"ghcr.io/[ab]\"]\n", "invalid glob");
    load_fails(HEAD "spec:\n  mode: block\n", "mode 'block'");
    load_fails(HEAD "spec:\n  signatures:\n  - keys:\n    - pem: \"---junk---\"\n",
               "p.yaml:7:7: invalid public key");
    load_fails(HEAD "spec:\n  signatures:\n  - keys:\n    - file: /nonexistent.pub\n", "key file");
    load_fails(HEAD "spec:\n  vulnerabilities: {maxSeverity: severe}\n", "maxSeverity 'severe'");
    load_fails("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "not a policy format");
    load_fails("apiVersion: policies.kyverno.io/v1alpha1\nkind: ValidatingPolicy\n", "CEL");
}

Test(vigil, trusted_and_lookalike)
{
    struct vg_policy_set *s = load_ok(
        HEAD "spec:\n  trustedImages: [\"registry.example.com/**\", \"docker.io/library/*\"]\n");
    bool ok;
    decide(s, "registry.example.com/app:1", NULL, NULL, &ok, NULL);
    cr_assert(ok);
    decide(s, "registry.example.com.evil.io/app:1", NULL, NULL, &ok, NULL);
    cr_assert_not(ok);
    decide(s, "nginx:1.25", NULL, NULL, &ok, NULL);
    cr_assert(ok);
    decide(s, "evil/nginx:1.25", NULL, NULL, &ok, NULL);
    cr_assert_not(ok);
    char *why = NULL;
    decide(s, "Not A Reference", NULL, NULL, &ok, &why);
    cr_assert_not(ok);
    cr_assert(strstr(why, "invalid reference"), "%s", why);
    free(why);
    vg_policy_set_free(s);
}

Test(vigil, tags_scope_exemptions_modes)
{
    struct vg_policy_set *s =
        load_ok(HEAD "spec:\n  match: {namespaces: [\"prod-*\"], excludeNamespaces: [prod-tools]}\n"
                     "  exemptions: {images: [\"ghcr.io/acme/debug\"]}\n"
                     "  tags: {forbid: [latest, \"dev-*\"], requireDigest: false}\n"
                     "---\n" HEAD "spec:\n  mode: warn\n  tags: {requireDigest: true}\n");
    bool ok;
    char *why = NULL;
    cr_assert_eq(decide(s, "nginx", "prod-eu", NULL, &ok, &why), 2); /* latest + warn digest */
    cr_assert_not(ok);
    cr_assert(strstr(why, "tag 'latest' is forbidden"));
    free(why);
    cr_assert_eq(decide(s, "nginx", "dev", NULL, &ok, NULL), 1); /* out of scope; warn only */
    cr_assert(ok);
    cr_assert_eq(decide(s, "nginx", "prod-tools", NULL, &ok, NULL), 1);
    cr_assert(ok);
    decide(s, "ghcr.io/acme/debug:latest", "prod-eu", NULL, &ok, NULL);
    cr_assert(ok);
    decide(s, "ghcr.io/acme/app:dev-42", "prod-eu", NULL, &ok, NULL);
    cr_assert_not(ok);
    /* Pinned: a digest makes the tag harmless, and satisfies requireDigest. */
    cr_assert_eq(decide(s,
                        "nginx:latest@sha256:"
                        "5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350",
                        "prod-eu", NULL, &ok, NULL),
                 0);
    cr_assert(ok);
    vg_policy_set_free(s);
}

static const char *good_key;
static int verify_calls;

static enum vg_policy_fact
fake_verify(void *ctx, const char *image, const char *key_pem, const struct vg_policy_kv *ann,
            size_t nann, char **why)
{
    (void)ctx;
    verify_calls++;
    if (strstr(image, "unreachable")) {
        *why = strdup("registry unreachable");
        return VG_POLICY_FACT_UNKNOWN;
    }
    for (size_t i = 0; i < nann; i++) {
        if (strcmp(ann[i].key, "team") == 0 && strcmp(ann[i].value, "shop") != 0) {
            return VG_POLICY_FACT_NO;
        }
    }
    bool signed_ok = strstr(image, "signed") && strcmp(key_pem, good_key) == 0;
    if (!signed_ok) {
        *why = strdup("no matching signatures");
    }
    return signed_ok ? VG_POLICY_FACT_YES : VG_POLICY_FACT_NO;
}

Test(vigil, signatures_through_the_callback)
{
    struct vg_buf b = VG_BUF_INIT(1u << 16);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_file_read(&b, VG_TEST_DATA "/../sign/ecp256.pub", 1u << 16, &err), 0);
    char *pem = vg_buf_take(&b, NULL);
    good_key = pem;
    struct vg_policy_set *s = vg_policy_set_new(NULL);
    cr_assert_eq(vg_policy_set_load_file(s, VG_TEST_DATA "/signed.yaml", &err), 0);
    struct vg_policy_inputs in = {.verify = fake_verify};
    bool ok;
    char *why = NULL;
    decide(s, "registry.example.com/signed:1", NULL, &in, &ok, NULL);
    cr_assert(ok);
    decide(s, "registry.example.com/plain:1", NULL, &in, &ok, &why);
    cr_assert_not(ok);
    cr_assert(strstr(why, "0 of 1"), "%s", why);
    free(why);
    decide(s, "registry.example.com/unreachable:1", NULL, &in, &ok, &why);
    cr_assert_not(ok);
    cr_assert(strstr(why, "unverifiable"), "%s", why);
    free(why);
    decide(s, "ghcr.io/other/unsigned:1", NULL, &in, &ok, NULL); /* not covered */
    cr_assert(ok);
    decide(s, "registry.example.com/signed:1", NULL, NULL, &ok, &why); /* no verifier */
    cr_assert_not(ok);
    cr_assert(strstr(why, "unverifiable"), "%s", why);
    free(why);
    vg_policy_set_free(s);
    free(pem);
}

static enum vg_policy_fact
fake_vulns(void *ctx, const char *image, struct vg_policy_vulns *out, char **why)
{
    (void)ctx;
    (void)why;
    if (strstr(image, "crit")) {
        out->total[VG_POLICY_SEV_CRITICAL] = 2;
        out->fixed[VG_POLICY_SEV_CRITICAL] = strstr(image, "nofix") ? 0 : 1;
    }
    out->total[VG_POLICY_SEV_MEDIUM] = 5;
    return VG_POLICY_FACT_YES;
}

static enum vg_policy_fact
fake_user(void *ctx, const char *image, char **user, char **why)
{
    (void)ctx;
    (void)why;
    *user = strdup(strstr(image, "root") ? "0:0" : "1000");
    return VG_POLICY_FACT_YES;
}

Test(vigil, vulnerabilities_and_config)
{
    struct vg_policy_set *s =
        load_ok(HEAD "spec:\n  vulnerabilities: {maxSeverity: high, fixedOnly: true}\n"
                     "  config: {forbidRoot: true}\n");
    struct vg_policy_inputs in = {.vulns = fake_vulns, .config_user = fake_user};
    bool ok;
    char *why = NULL;
    decide(s, "ghcr.io/a/clean:1", NULL, &in, &ok, NULL);
    cr_assert(ok);
    decide(s, "ghcr.io/a/crit:1", NULL, &in, &ok, &why);
    cr_assert_not(ok);
    cr_assert(strstr(why, "1 fixable vulnerabilities above high"), "%s", why);
    free(why);
    decide(s, "ghcr.io/a/crit-nofix:1", NULL, &in, &ok, NULL);
    cr_assert(ok);
    decide(s, "ghcr.io/a/root:1", NULL, &in, &ok, &why);
    cr_assert_not(ok);
    cr_assert(strstr(why, "root"), "%s", why);
    free(why);
    cr_assert_eq(decide(s, "ghcr.io/a/clean:1", NULL, NULL, &ok, NULL), 2); /* no facts */
    cr_assert_not(ok);
    vg_policy_set_free(s);
}

Test(vigil, audit_mode_allows)
{
    struct vg_policy_set *s = load_ok(HEAD "spec:\n  mode: audit\n  tags: {forbid: [latest]}\n");
    bool ok;
    cr_assert_eq(decide(s, "nginx", NULL, NULL, &ok, NULL), 1);
    cr_assert(ok);
    vg_policy_set_free(s);
}

Test(vigil, hostile_image_string)
{
    struct vg_policy_set *s = load_ok(HEAD "spec:\n  tags: {forbid: [latest]}\n");
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    bool ok;
    char *why = NULL;
    decide(s, big, NULL, NULL, &ok, &why);
    cr_assert_not(ok);
    cr_assert(strstr(why, "longer than"), "%s", why);
    free(why);
    free(big);
    vg_policy_set_free(s);
}

/* ---------------------------------------------------------------- notation authority */

#define NOTATION(body) HEAD "spec:\n  signatures:\n  - images: [\"**\"]\n    notation:\n" body

static const char *root_file = VG_TEST_DATA "/authorities/root.pem";

static enum vg_policy_fact
notation_signed(void *ctx, const char *image, const struct vg_policy_notation *n, char **why)
{
    const struct vg_policy_notation **seen = ctx;
    *seen = n;
    if (strstr(image, "/signed")) {
        return VG_POLICY_FACT_YES;
    }
    *why = strdup("authenticity: the certificate chain does not lead to a certificate");
    return VG_POLICY_FACT_NO;
}

Test(vigil, notation_authority)
{
    char *yaml = NULL;
    cr_assert(asprintf(&yaml,
                       NOTATION("      certificates: {file: %s}\n"
                                "      trustedIdentities: [\"x509.subject: C=US, ST=WA, "
                                "O=vigil test, CN=signer\"]\n      level: permissive\n"),
                       root_file) > 0);
    struct vg_policy_set *s = load_ok(yaml);
    const struct vg_policy_notation *seen = NULL;
    struct vg_policy_inputs in = {.ctx = &seen, .verify_notation = notation_signed};
    bool allowed = false;
    char *first = NULL;
    cr_assert_eq(decide(s, "ghcr.io/acme/signed:1", NULL, &in, &allowed, NULL), 0);
    cr_assert(allowed);
    cr_assert(seen && strstr(seen->certs_pem, "BEGIN CERTIFICATE"));
    cr_assert_eq(seen->nidentities, 1);
    cr_assert_str_eq(seen->level, "permissive");
    cr_assert_eq(decide(s, "ghcr.io/acme/other:1", NULL, &in, &allowed, &first), 1);
    cr_assert_not(allowed);
    cr_assert(strstr(first, "signature missing or invalid") && strstr(first, "authenticity"), "%s",
              first);
    free(first);
    /* no facts: unverifiable, a deny */
    cr_assert_eq(decide(s, "ghcr.io/acme/signed:1", NULL, NULL, &allowed, &first), 1);
    cr_assert_not(allowed);
    cr_assert(strstr(first, "no Notary signature verifier"), "%s", first);
    free(first);
    vg_policy_set_free(s);
    free(yaml);
    /* the trustpolicy.json the authority stands for */
    const char *ids[] = {"x509.subject: C=US, ST=WA, O=a"};
    struct vg_policy_notation n = {.certs_pem = "x", .identities = ids, .nidentities = 1};
    char *tp = vg_policy_notation_trustpolicy(&n);
    cr_assert(strstr(tp, "\"trustStores\":[\"ca:policy\"]") && strstr(tp, "\"level\":\"strict\"") &&
                  strstr(tp, ids[0]),
              "%s", tp);
    free(tp);
}

Test(vigil, notation_refusals)
{
    char *y = NULL;
    load_fails(NOTATION("      trustedIdentities: [\"*\"]\n"), "needs certificates");
    load_fails(NOTATION("      certificates: {file: /nonexistent.pem}\n"),
               "p.yaml:8:21: certificate file /nonexistent.pem");
    load_fails(NOTATION("      certificates: {pem: \"-----BEGIN CERTIFICATE-----\\nAA\\n-----END "
                        "CERTIFICATE-----\\n\"}\n"),
               "p.yaml:8:7: notation certificates:");
    load_fails(NOTATION("      certificates: {pem: x, file: y}\n"), "exactly one of file or pem");
    cr_assert(asprintf(&y, NOTATION("      certificates: {file: %s}\n      level: lax\n"),
                       root_file) > 0);
    load_fails(y, "p.yaml:8:7: notation level \"lax\"");
    free(y);
    cr_assert(asprintf(&y,
                       NOTATION("      certificates: {file: %s}\n"
                                "      trustedIdentities: [\"x509.subject: CN=x\"]\n"),
                       root_file) > 0);
    load_fails(y, "must name C, ST and O");
    free(y);
    cr_assert(asprintf(&y,
                       NOTATION("      certificates: {file: %s}\n"
                                "      trustedIdentities: [\"*\", \"x509.subject: C=US, ST=WA, "
                                "O=a\"]\n"),
                       root_file) > 0);
    load_fails(y, "must be the only");
    free(y);
    cr_assert(
        asprintf(&y, NOTATION("      certificates: {file: %s}\n      bogus: 1\n"), root_file) > 0);
    load_fails(y, "unknown key");
    free(y);
    cr_assert(asprintf(&y, NOTATION("      certificates: {file: %s}\n") "    threshold: 2\n",
                       root_file) > 0);
    load_fails(y, "threshold 2");
    free(y);
}
