/* SPDX-License-Identifier: Apache-2.0
 *
 * Image volumes (Kubernetes 1.31+ ImageVolume, spec.volumes[].image.reference): the object
 * lists them after the containers (Pod and pod-controller templates, other volumes ignored);
 * vigil's ImagePolicy checks them like container images (registries, tags, signatures);
 * Gatekeeper's templates, Kyverno's images context and verifyImages, and policy-controller's
 * ClusterImagePolicy (no-match included) look at containers only, as their engines do, while
 * a Kyverno pattern that names volumes checks them.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "policy/policy.h"

static struct vg_policy_set *
load(const char *yaml)
{
    struct vg_policy_set *s = vg_policy_set_new(NULL);
    struct vg_err *err = NULL;
    if (vg_policy_set_load_buf(s, "p.yaml", yaml, strlen(yaml), &err) < 0) {
        char *m = vg_err_format(err);
        cr_assert_fail("load: %s", m);
    }
    return s;
}

struct result {
    bool allowed;
    size_t nreasons;
    char paths[512]; /* the reasons' paths, "; "-separated */
};

static struct result
decide(const char *policy, const char *object, const struct vg_policy_inputs *in)
{
    struct vg_policy_set *s = load(policy);
    struct vg_config_doc *doc = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_config_load_buf(&doc, "o.yaml", object, strlen(object), NULL, &err), 0);
    struct vg_policy_object o;
    cr_assert_eq(vg_policy_object_init(&o, vg_config_doc_root(doc, 0), &err), 0);
    struct vg_policy_decision d;
    cr_assert_eq(vg_policy_eval(s, &o, in, &d, &err), 0);
    struct result r = {.allowed = d.allowed, .nreasons = d.nreasons};
    for (size_t i = 0; i < d.nreasons; i++) {
        size_t n = strlen(r.paths);
        snprintf(r.paths + n, sizeof(r.paths) - n, "%s%s", n ? "; " : "",
                 d.reasons[i].path ? d.reasons[i].path : "-");
    }
    vg_policy_decision_dispose(&d);
    vg_policy_object_dispose(&o);
    vg_config_doc_free(doc);
    vg_policy_set_free(s);
    return r;
}

#define POD(vols)                                                                                  \
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n"                     \
    "  containers: [{name: app, image: \"registry.example.com/app:1\"}]\n"                         \
    "  volumes: " vols "\n"

#define VOLS_EVIL                                                                                  \
    "[{name: cfg, configMap: {name: c}}, {name: model, image: {reference: "                        \
    "\"evil.io/models/llm:latest\", pullPolicy: IfNotPresent}}]"

Test(volumes, object_lists_image_volumes_after_containers)
{
    static const char *const objs[] = {
        POD(VOLS_EVIL),
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj}\nspec:\n  jobTemplate:\n"
        "    spec:\n      template:\n        spec:\n"
        "          containers: [{name: app, image: a}]\n          volumes: " VOLS_EVIL "\n",
    };
    static const char *const paths[] = {
        "spec.volumes[1].image.reference",
        "spec.jobTemplate.spec.template.spec.volumes[1].image.reference",
    };
    for (size_t k = 0; k < 2; k++) {
        struct vg_config_doc *doc = NULL;
        struct vg_err *err = NULL;
        cr_assert_eq(vg_config_load_buf(&doc, "o.yaml", objs[k], strlen(objs[k]), NULL, &err), 0);
        struct vg_policy_object o;
        cr_assert_eq(vg_policy_object_init(&o, vg_config_doc_root(doc, 0), &err), 0);
        cr_assert_eq(o.ncontainers, 2);
        cr_expect_not(vg_policy_container_is_volume(&o.containers[0]));
        const struct vg_policy_container *v = &o.containers[1];
        cr_expect(vg_policy_container_is_volume(v));
        cr_expect_str_eq(v->field, "volumes");
        cr_expect_eq(v->index, 1);
        cr_expect_str_eq(v->name, "model");
        cr_expect_str_eq(v->image, "evil.io/models/llm:latest");
        cr_expect_str_eq(v->path, paths[k]);
        vg_policy_object_dispose(&o);
        vg_config_doc_free(doc);
    }
    /* an image volume without a reference is listed without an image */
    const char *noref = POD("[{name: m, image: {pullPolicy: Always}}]");
    struct vg_config_doc *doc = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_config_load_buf(&doc, "o.yaml", noref, strlen(noref), NULL, &err), 0);
    struct vg_policy_object o;
    cr_assert_eq(vg_policy_object_init(&o, vg_config_doc_root(doc, 0), &err), 0);
    cr_assert_eq(o.ncontainers, 2);
    cr_expect_null(o.containers[1].image);
    vg_policy_object_dispose(&o);
    vg_config_doc_free(doc);
}

static const char vigil_policy[] = "apiVersion: vigil.dev/v1\nkind: ImagePolicy\n"
                                   "metadata: {name: prod}\nspec:\n"
                                   "  trustedImages: [\"registry.example.com/**\"]\n"
                                   "  tags: {forbid: [latest]}\n";

Test(volumes, vigil_checks_them_like_containers)
{
    struct result r = decide(vigil_policy, POD(VOLS_EVIL), NULL);
    cr_expect_not(r.allowed);
    cr_expect_eq(r.nreasons, 2, "untrusted and latest: %s", r.paths);
    cr_expect(strstr(r.paths, "spec.volumes[1].image.reference") != NULL, "%s", r.paths);
    r = decide(vigil_policy,
               POD("[{name: m, image: {reference: \"registry.example.com/models/llm:2\"}}]"), NULL);
    cr_expect(r.allowed, "%s", r.paths);
    r = decide(vigil_policy, POD("[{name: m, image: {pullPolicy: Always}}]"), NULL);
    cr_expect_not(r.allowed);
    cr_expect_str_eq(r.paths, "spec.volumes[0].image.reference");
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

Test(volumes, vigil_signatures_cover_volumes)
{
    const char *pol = "apiVersion: vigil.dev/v1\nkind: ImagePolicy\nmetadata: {name: sig}\n"
                      "spec:\n  signatures:\n  - images: [\"**\"]\n    keys:\n    - pem: |\n"
                      "        -----BEGIN PUBLIC KEY-----\n"
                      "        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECnrdnuEQriFWGGoQ3PIGvLy3/fXS\n"
                      "        zzSPLwzkdqLZpQopMggUFaQRzvrlST3gZD//hLBYxTDaEk5zGah5HOP3ig==\n"
                      "        -----END PUBLIC KEY-----\n";
    struct vg_policy_inputs in = {.verify = verify_signed};
    const char *obj = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                      "  containers: [{name: a, image: \"r.io/signed:1\"}]\n"
                      "  volumes: [{name: m, image: {reference: \"r.io/plain:1\"}}]\n";
    struct result r = decide(pol, obj, &in);
    cr_expect_not(r.allowed);
    cr_expect_str_eq(r.paths, "spec.volumes[0].image.reference");
}

Test(volumes, gatekeeper_kyverno_cip_look_at_containers_only)
{
    const char *gk = "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\n"
                     "metadata: {name: c}\nspec:\n"
                     "  match: {kinds: [{apiGroups: [\"\"], kinds: [Pod]}]}\n"
                     "  parameters: {repos: [\"registry.example.com/\"]}\n";
    struct result r = decide(gk, POD(VOLS_EVIL), NULL);
    cr_expect(r.allowed, "Gatekeeper's template reads containers only: %s", r.paths);
    const char *gkt = "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sDisallowedTags\n"
                      "metadata: {name: c}\nspec:\n"
                      "  match: {kinds: [{apiGroups: [\"\"], kinds: [Pod]}]}\n"
                      "  parameters: {tags: [latest]}\n";
    cr_expect(decide(gkt, POD(VOLS_EVIL), NULL).allowed);
    const char *ky = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: kp}\n"
                     "spec:\n  validationFailureAction: Enforce\n  rules:\n  - name: r\n"
                     "    match: {any: [{resources: {kinds: [Pod]}}]}\n"
                     "    validate:\n      deny:\n        conditions:\n          any:\n"
                     "          - key: \"{{ images.*.*.registry }}\"\n"
                     "            operator: AnyIn\n            value: [evil.io]\n";
    cr_expect(decide(ky, POD(VOLS_EVIL), NULL).allowed,
              "Kyverno's images context has containers, initContainers, ephemeralContainers");
    const char *kyv = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: kp}\n"
                      "spec:\n  validationFailureAction: Enforce\n  rules:\n  - name: r\n"
                      "    match: {any: [{resources: {kinds: [Pod]}}]}\n"
                      "    validate:\n      pattern:\n        spec:\n"
                      "          =(volumes):\n          - =(image):\n"
                      "              reference: \"registry.example.com/*\"\n";
    cr_expect_not(decide(kyv, POD(VOLS_EVIL), NULL).allowed,
                  "a Kyverno pattern that names volumes checks them");
    const char *cip =
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: p}\n"
        "spec:\n  images: [{glob: \"registry.example.com/**\"}]\n"
        "  authorities: [{static: {action: pass}}]\n";
    r = decide(cip, POD(VOLS_EVIL), NULL);
    cr_expect(r.allowed, "policy-controller checks container lists only (no-match too): %s",
              r.paths);
    const char *cipfail =
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: p}\n"
        "spec:\n  images: [{glob: \"**\"}]\n  authorities: [{static: {action: fail}}]\n";
    r = decide(cipfail, POD(VOLS_EVIL), NULL);
    cr_expect_not(r.allowed);
    cr_expect_str_eq(r.paths, "spec.containers[0].image");
}

/* Container paths are spelled without printf (object.c item_path): multi-digit indexes, every
 * container field, a controller's prefix. */
Test(volumes, container_paths)
{
    struct vg_buf b = VG_BUF_INIT(1u << 20);
    cr_assert_eq(vg_buf_append_str(&b,
                                   "{kind: Deployment, spec: {template: {spec: {"
                                   "initContainers: [{name: i, image: a}], containers: [",
                                   NULL),
                 0);
    for (size_t i = 0; i < 12; i++) {
        char c[64];
        int n = snprintf(c, sizeof(c), "%s{name: c%zu, image: img%zu}", i ? ", " : "", i, i);
        cr_assert_eq(vg_buf_append(&b, c, (size_t)n, NULL), 0);
    }
    cr_assert_eq(vg_buf_append_str(&b, "], volumes: [{name: v, image: {reference: r}}]}}}}", NULL),
                 0);
    struct vg_config_doc *doc = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_config_load_buf(&doc, "o.yaml", b.data, b.len, NULL, &err), 0);
    struct vg_policy_object o;
    cr_assert_eq(vg_policy_object_init(&o, vg_config_doc_root(doc, 0), &err), 0);
    cr_assert_eq(o.ncontainers, 14);
    cr_expect_str_eq(o.containers[0].path, "spec.template.spec.initContainers[0].image");
    cr_expect_str_eq(o.containers[1].path, "spec.template.spec.containers[0].image");
    cr_expect_str_eq(o.containers[10].path, "spec.template.spec.containers[9].image");
    cr_expect_str_eq(o.containers[12].path, "spec.template.spec.containers[11].image");
    cr_expect_str_eq(o.containers[13].path, "spec.template.spec.volumes[0].image.reference");
    vg_policy_object_dispose(&o);
    vg_config_doc_free(doc);
    vg_buf_dispose(&b);
}
