/* SPDX-License-Identifier: Apache-2.0
 *
 * Kyverno ClusterPolicy rules: value patterns and anchors, foreach, preconditions over the
 * images context (JMESPath subset), autogen for pod controllers, verifyImages (digest,
 * required, public-key attestors through the verify callback), Enforce/Audit, and refusals.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "policy/policy.h"

#define POLICY(action, rules)                                                                      \
    "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: kp}\nspec:\n"                \
    "  validationFailureAction: " action "\n  rules:\n" rules

#define MATCH_POD "    match: {any: [{resources: {kinds: [Pod]}}]}\n"

static struct vg_policy_set *
load(const char *yaml)
{
    struct vg_policy_set *s = vg_policy_set_new(NULL);
    struct vg_err *err = NULL;
    if (vg_policy_set_load_buf(s, "k.yaml", yaml, strlen(yaml), &err) < 0) {
        char *m = vg_err_format(err);
        cr_assert_fail("load: %s", m);
    }
    return s;
}

static void
refused(const char *yaml, const char *want)
{
    struct vg_policy_set *s = vg_policy_set_new(NULL);
    struct vg_err *err = NULL;
    cr_assert_lt(vg_policy_set_load_buf(s, "k.yaml", yaml, strlen(yaml), &err), 0);
    char *m = vg_err_format(err);
    cr_assert(strstr(m, want), "%s", m);
    cr_assert(strncmp(m, "k.yaml:", 7) == 0, "%s", m);
    free(m);
    vg_err_free(&err);
    vg_policy_set_free(s);
}

/* The outcome of the first rule result ('P', 'F', 'S', or '-' when no rule applied). */
static char
outcome(struct vg_policy_set *s, const char *object, const struct vg_policy_inputs *in,
        bool *allowed)
{
    struct vg_config_doc *doc = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_config_load_buf(&doc, "o.yaml", object, strlen(object), NULL, &err), 0);
    struct vg_policy_object o;
    cr_assert_eq(vg_policy_object_init(&o, vg_config_doc_root(doc, 0), &err), 0);
    struct vg_policy_decision d;
    cr_assert_eq(vg_policy_eval(s, &o, in, &d, &err), 0);
    char c = d.nrules ? "PFS"[d.rules[0].outcome] : '-';
    if (allowed) {
        *allowed = d.allowed;
    }
    vg_policy_decision_dispose(&d);
    vg_policy_object_dispose(&o);
    vg_config_doc_free(doc);
    return c;
}

#define POD(containers)                                                                            \
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n  "                     \
    "containers: " containers "\n"
#define DEPLOY(containers)                                                                         \
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n"  \
    "      containers: " containers "\n"

Test(kyverno, pattern_wildcards_and_anchors)
{
    struct vg_policy_set *s = load(
        POLICY("Enforce",
               "  - name: registries\n" MATCH_POD "    validate:\n      pattern:\n        spec:\n"
               "          =(initContainers): [{image: \"eu.foo.io/* | bar.io/*\"}]\n"
               "          containers:\n          - (image): \"*:latest | !*:*\"\n"
               "            imagePullPolicy: Always\n"));
    bool ok;
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx:1.2}]"), NULL, &ok), 'P');
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx:latest}]"), NULL, &ok), 'F');
    cr_assert_not(ok);
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx, imagePullPolicy: Always}]"), NULL, &ok),
                 'P');
    cr_assert_eq(outcome(s,
                         "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                         "  initContainers: [{name: i, image: evil.io/x}]\n"
                         "  containers: [{name: a, image: nginx:1}]\n",
                         NULL, &ok),
                 'F');
    /* autogen: the Pod rule applies to a Deployment's template */
    cr_assert_eq(outcome(s, DEPLOY("[{name: a, image: nginx:latest}]"), NULL, &ok), 'F');
    vg_policy_set_free(s);
}

Test(kyverno, foreach_preconditions_images_context)
{
    struct vg_policy_set *s = load(POLICY(
        "Audit", "  - name: tags\n" MATCH_POD "    preconditions:\n      all:\n"
                 "      - key: \"{{ images.containers.*.registry }}\"\n        operator: AnyNotIn\n"
                 "        value: [ghcr.io]\n"
                 "    validate:\n      message: no latest\n      foreach:\n"
                 "      - list: \"request.object.spec.containers\"\n        pattern: {image: "
                 "\"!*:latest\"}\n"
                 "      - list: \"request.object.spec.[initContainers, containers][]\"\n"
                 "        deny:\n          conditions:\n            all:\n"
                 "            - {key: \"{{ element.image }}\", operator: Equals, value: "
                 "\"k8s.gcr.io/*\"}\n"));
    bool ok;
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/a/b:latest}]"), NULL, &ok), 'S');
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx:latest}]"), NULL, &ok), 'F');
    cr_assert(ok); /* Audit reports, does not deny */
    cr_assert_eq(outcome(s, POD("[{name: a, image: k8s.gcr.io/pause:3}]"), NULL, &ok), 'F');
    cr_assert_eq(outcome(s, POD("[{name: a, image: registry.k8s.io/pause:3}]"), NULL, &ok), 'P');
    vg_policy_set_free(s);
    s = load(POLICY("Enforce",
                    "  - name: names\n" MATCH_POD
                    "    validate:\n      deny:\n        conditions:\n          all:\n"
                    "          - key: \"{{ images.[containers, initContainers][].*.name[] "
                    "}}\"\n            operator: AnyNotIn\n            value: [nginx, "
                    "busybox]\n"));
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx}, {name: b, image: ghcr.io/x/busybox}]"),
                         NULL, &ok),
                 'P');
    cr_assert_eq(
        outcome(s, POD("[{name: a, image: nginx}, {name: b, image: ghcr.io/x/evil}]"), NULL, &ok),
        'F');
    cr_assert_not(ok);
    vg_policy_set_free(s);
}

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

static const char *key_block =
    "            publicKeys: |-\n"
    "              -----BEGIN PUBLIC KEY-----\n"
    "              MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECnrdnuEQriFWGGoQ3PIGvLy3/fXS\n"
    "              zzSPLwzkdqLZpQopMggUFaQRzvrlST3gZD//hLBYxTDaEk5zGah5HOP3ig==\n"
    "              -----END PUBLIC KEY-----\n";

Test(kyverno, verify_images)
{
    char *yaml = vg_fmt(POLICY("Enforce", "  - name: sig\n" MATCH_POD "    verifyImages:\n"
                                          "    - imageReferences: [\"ghcr.io/acme/*\"]\n"
                                          "      mutateDigest: false\n      verifyDigest: false\n"
                                          "      attestors:\n      - entries:\n        - keys:\n"
                                          "%s"),
                        key_block);
    struct vg_policy_set *s = load(yaml);
    struct vg_policy_inputs in = {.verify = verify_signed};
    bool ok;
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/signed:1}]"), &in, &ok), 'P');
    cr_assert(ok);
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/plain:1}]"), &in, &ok), 'F');
    cr_assert_not(ok);
    cr_assert_eq(outcome(s, POD("[{name: a, image: docker.io/other:1}]"), &in, &ok), 'S');
    cr_assert_eq(outcome(s, POD("[{name: a, image: ghcr.io/acme/signed:1}]"), NULL, &ok), 'F');
    vg_policy_set_free(s);
    free(yaml);
    s = load(POLICY("Audit", "  - name: digest\n" MATCH_POD
                             "    verifyImages:\n    - imageReferences: [\"*\"]\n"
                             "      mutateDigest: false\n      required: false\n"));
    cr_assert_eq(outcome(s, POD("[{name: a, image: nginx:1}]"), NULL, &ok), 'F');
    cr_assert_eq(
        outcome(s,
                POD("[{name: a, image: \"nginx@sha256:"
                    "5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350\"}]"),
                NULL, &ok),
        'P');
    vg_policy_set_free(s);
}

Test(kyverno, refusals)
{
    refused(POLICY("Audit", "  - name: c\n" MATCH_POD
                            "    validate: {cel: {expressions: [{expression: \"true\"}]}}\n"),
            "validate.cel");
    refused(POLICY("Audit",
                   "  - name: c\n" MATCH_POD "    context: [{name: x, apiCall: {urlPath: /x}}]\n"
                   "    validate: {pattern: {spec: {}}}\n"),
            "rule context");
    refused(POLICY("Audit", "  - name: c\n" MATCH_POD "    mutate: {patchStrategicMerge: {}}\n"),
            "rule mutate");
    refused(POLICY("Audit",
                   "  - name: c\n" MATCH_POD "    verifyImages:\n    - imageReferences: [\"*\"]\n"
                   "      attestors: [{entries: [{keyless: {issuer: x}}]}]\n"),
            "keyless attestors");
    refused(POLICY("Audit",
                   "  - name: c\n" MATCH_POD "    validate:\n      deny:\n        conditions:\n"
                   "        - {key: \"{{ length(images) }}\", operator: Equals, value: 1}\n"),
            "JMESPath");
    refused(POLICY("Audit",
                   "  - name: c\n" MATCH_POD
                   "    validate: {pattern: {spec: {containers: [{image: x}]}}, bogus: 1}\n"),
            "unknown key 'validate.bogus'");
    refused(POLICY("Audit",
                   "  - name: c\n" MATCH_POD
                   "    validate: {pattern: {metadata: {name: \"{{ request.namespace }}\"}}}\n"),
            "variables inside validate patterns");
}
