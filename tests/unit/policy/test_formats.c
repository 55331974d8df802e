/* SPDX-License-Identifier: Apache-2.0
 *
 * Gatekeeper constraints and ClusterImagePolicy: each decided with its engine's semantics
 * (look-alike prefixes included, with a load warning), refusals of what vigil cannot
 * evaluate, CIP authorities OR'ed, CIPs AND'ed, warn mode and the no-match policy.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

static struct vg_policy_set *
load(const char *yaml, const struct vg_policy_set_opts *o)
{
    struct vg_policy_set *s = vg_policy_set_new(o);
    struct vg_err *err = NULL;
    if (vg_policy_set_load_buf(s, "f.yaml", yaml, strlen(yaml), &err) < 0) {
        char *m = vg_err_format(err);
        cr_assert_fail("load: %s", m);
    }
    return s;
}

static void
refused(const char *yaml, enum vg_errc code, const char *want)
{
    struct vg_policy_set *s = vg_policy_set_new(NULL);
    struct vg_err *err = NULL;
    cr_assert_lt(vg_policy_set_load_buf(s, "f.yaml", yaml, strlen(yaml), &err), 0);
    char *m = vg_err_format(err);
    cr_assert_eq(vg_err_code(err), code, "%s", m);
    cr_assert(strstr(m, want), "%s", m);
    cr_assert(strncmp(m, "f.yaml:", 7) == 0, "%s", m);
    free(m);
    vg_err_free(&err);
    vg_policy_set_free(s);
}

static size_t
eval_image(struct vg_policy_set *s, const char *image, const struct vg_policy_inputs *in,
           bool *allowed)
{
    struct vg_policy_object o;
    vg_policy_object_image(&o, image, NULL);
    struct vg_policy_decision d;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_policy_eval(s, &o, in, &d, &err), 0);
    *allowed = d.allowed;
    size_t n = d.nreasons;
    vg_policy_decision_dispose(&d);
    vg_policy_object_dispose(&o);
    return n;
}

#define GK(kind, params)                                                                           \
    "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: " kind "\nmetadata: {name: c}\n"         \
    "spec:\n  match: {kinds: [{apiGroups: [\"\"], kinds: [Pod]}]}\n  parameters: " params "\n"

Test(gatekeeper, raw_prefix_as_gatekeeper_decides_with_warning)
{
    struct vg_policy_set *s = load(GK("K8sAllowedRepos", "{repos: [gcr.io]}"), NULL);
    cr_assert_eq(vg_policy_set_warning_count(s), 1);
    cr_assert(strstr(vg_policy_set_warning(s, 0), "'gcr.io' is a raw string prefix"));
    cr_assert(strstr(vg_policy_set_warning(s, 0), "f.yaml:6:"));
    bool ok;
    eval_image(s, "gcr.io.evil/x", NULL, &ok);
    cr_assert(ok); /* exactly what Gatekeeper does */
    eval_image(s, "docker.io/gcr.io/x", NULL, &ok);
    cr_assert_not(ok);
    vg_policy_set_free(s);
}

Test(gatekeeper, tags_digests_v2)
{
    struct vg_policy_set *s = load(
        GK("K8sDisallowedTags", "{tags: [latest], exemptImages: [\"ghcr.io/tools/*\"]}"), NULL);
    bool ok;
    cr_assert_eq(eval_image(s, "nginx", NULL, &ok), 1); /* no tag */
    cr_assert_eq(eval_image(s, "nginx:latest", NULL, &ok), 1);
    cr_assert_eq(eval_image(s, "host:5000/nginx", NULL, &ok), 1);
    cr_assert_eq(eval_image(s, "nginx@sha256:abc", NULL, &ok), 0); /* ':' counts as a tag */
    cr_assert_eq(eval_image(s, "ghcr.io/tools/x", NULL, &ok), 0);
    vg_policy_set_free(s);
    s = load(GK("K8sImageDigests", "{}"), NULL);
    cr_assert_eq(eval_image(s, "nginx:1", NULL, &ok), 1);
    cr_assert_eq(eval_image(s, "nginx@sha256:abc", NULL, &ok), 0); /* syntax only */
    cr_assert_eq(eval_image(s, "nginx@sha256", NULL, &ok), 1);
    vg_policy_set_free(s);
    s = load(GK("K8sAllowedReposv2", "{allowedImages: [\"ghcr.io/a\", \"ghcr.io/b/*\"]}"), NULL);
    cr_assert_eq(eval_image(s, "ghcr.io/a", NULL, &ok), 0);
    cr_assert_eq(eval_image(s, "ghcr.io/a:1", NULL, &ok), 1); /* exact means exact */
    cr_assert_eq(eval_image(s, "ghcr.io/b/x:1", NULL, &ok), 0);
    vg_policy_set_free(s);
}

Test(gatekeeper, refusals)
{
    refused(GK("K8sRequiredLabels", "{}"), VG_E_UNSUPPORTED, "Rego is not known");
    refused(GK("K8sAllowedRepos", "{repo: [x]}"), VG_E_PARSE, "unknown key 'spec.parameters.repo'");
    refused("apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata: {name: "
            "x}\nspec:\n  crd: {spec: {names: {kind: K8sCustom}}}\n",
            VG_E_UNSUPPORTED, "does not run Rego");
}

#define CIP(body)                                                                                  \
    "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: p}\n"     \
    "spec:\n" body

static enum vg_policy_fact
verify_signed(void *ctx, const char *image, const char *key, const struct vg_policy_kv *a, size_t n,
              char **why)
{
    (void)ctx;
    (void)key;
    (void)a;
    (void)n;
    if (strstr(image, "signed")) {
        return VG_POLICY_FACT_YES;
    }
    *why = strdup("no signatures found");
    return VG_POLICY_FACT_NO;
}

Test(cip, authorities_modes_nomatch)
{
    struct vg_buf b = VG_BUF_INIT(1u << 16);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_file_read(&b, VG_TEST_DATA "/../sign/ecp256.pub", 1u << 16, &err), 0);
    char *pem = vg_buf_take(&b, NULL);
    char *ind = vg_fmt("        %s", pem);
    for (char *p = strchr(ind, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        size_t off = (size_t)(p - ind);
        char *n = vg_fmt("%.*s\n        %s", (int)off, ind, p + 1);
        free(ind);
        ind = n;
        p = ind + off + 9;
    }
    char *yaml = vg_fmt(CIP("  images: [{glob: \"ghcr.io/acme/**\"}]\n  authorities:\n"
                            "  - key:\n      data: |\n%s") "---\n" CIP("  mode: warn\n  images: "
                                                                       "[{glob: \"ghcr.io/**\"}]\n"
                                                                       "  authorities: [{static: "
                                                                       "{action: fail}}]\n"),
                        ind);
    struct vg_policy_set *s = load(yaml, NULL);
    struct vg_policy_inputs in = {.verify = verify_signed};
    bool ok;
    eval_image(s, "ghcr.io/acme/signed:1", &in, &ok);
    cr_assert(ok); /* warn-mode failure of the second CIP does not deny */
    cr_assert_eq(eval_image(s, "ghcr.io/acme/plain:1", &in, &ok), 2);
    cr_assert_not(ok);
    eval_image(s, "docker.io/library/nginx", &in, &ok);
    cr_assert_not(ok); /* no CIP matches: no-match-policy deny */
    vg_policy_set_free(s);
    struct vg_policy_set_opts o = VG_POLICY_SET_OPTS_INIT;
    o.cip_no_match = VG_POLICY_NOMATCH_ALLOW;
    s = load(yaml, &o);
    eval_image(s, "docker.io/library/nginx", &in, &ok);
    cr_assert(ok);
    vg_policy_set_free(s);
    free(yaml);
    free(ind);
    free(pem);
}

Test(cip, refusals)
{
    refused(CIP("  images: [{glob: \"[a-z]*\"}]\n  authorities: [{static: {action: pass}}]\n"),
            VG_E_PARSE, "spec.images[0].glob");
    /* keyless authorities are evaluated (issue 14); a CA held in a Secret is not */
    refused(CIP("  images: [{glob: \"**\"}]\n  authorities:\n  - keyless:\n      identities: "
                "[{issuer: a, subject: b}]\n      ca-cert: {secretRef: {name: x}}\n"),
            VG_E_UNSUPPORTED, "keyless.ca-cert.secretRef");
    refused(CIP("  images: [{glob: \"**\"}]\n  authorities:\n  - keyless:\n      identities: "
                "[{issuer: a, issuerRegExp: b, subject: c}]\n"),
            VG_E_PARSE, "expected exactly one");
    refused(CIP("  images: [{glob: \"**\"}]\n  authorities: [{key: {data: \"---somedata---\"}}]\n"),
            VG_E_PARSE, "invalid public key");
    refused(CIP("  images: [{glob: \"**\"}]\n  authorities: [{static: {action: pass}}]\n"
                "  policy: {type: cue, data: x}\n"),
            VG_E_UNSUPPORTED, "CUE/Rego");
    refused(CIP("  images: [{glob: \"**\"}]\n  authorities: [{static: {action: pass}}]\n"
                "  mode: garbage\n"),
            VG_E_PARSE, "invalid value: garbage: spec.mode");
}
