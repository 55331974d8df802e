/* SPDX-License-Identifier: Apache-2.0
 *
 * admit/review.c: AdmissionReview parsing (versions, kinds, bounds, hostile bodies) and the
 * response builder (uid echoed, version kept, status, warnings, base64 JSONPatch).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../fuzz/admit_review_diff.h"
#include "admit/admit.h"
#include "config/config.h"

static const char pod_v1[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"u-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
    "\"namespace\":\"shop\",\"operation\":\"CREATE\",\"dryRun\":true,\"object\":{"
    "\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{"
    "\"containers\":[{\"name\":\"a\",\"image\":\"nginx:1\"}],"
    "\"initContainers\":[{\"name\":\"b\",\"image\":\"busybox\"}]}}}}";

static int
parse(struct vg_admit_review *rv, const char *s, struct vg_err **err)
{
    return vg_admit_review_parse(rv, s, strlen(s), err);
}

Test(review, pod_v1)
{
    struct vg_admit_review rv;
    struct vg_err *err = NULL;
    cr_assert_eq(parse(&rv, pod_v1, &err), 0);
    cr_assert_eq(rv.version, VG_ADMIT_V1);
    cr_assert_str_eq(rv.uid, "u-1");
    cr_assert(rv.checked && rv.has_object && rv.dry_run);
    cr_assert_null(rv.invalid);
    cr_assert_str_eq(rv.obj.namespace, "shop");
    cr_assert_eq(rv.obj.ncontainers, 2);
    bool seen_init = false, seen_main = false;
    for (size_t i = 0; i < 2; i++) {
        const struct vg_policy_container *c = &rv.obj.containers[i];
        seen_main |=
            strcmp(c->image, "nginx:1") == 0 && strcmp(c->path, "spec.containers[0].image") == 0;
        seen_init |= strcmp(c->image, "busybox") == 0 &&
                     strcmp(c->path, "spec.initContainers[0].image") == 0;
    }
    cr_assert(seen_init && seen_main);
    vg_admit_review_dispose(&rv);
}

Test(review, v1beta1_and_response)
{
    const char *p = strstr(pod_v1, "/v1\"");
    char *buf = vg_fmt("%.*sbeta1%s", (int)(p - pod_v1) + 3, pod_v1, p + 3);
    struct vg_admit_review rv;
    struct vg_err *err = NULL;
    cr_assert_eq(parse(&rv, buf, &err), 0);
    cr_assert_eq(rv.version, VG_ADMIT_V1BETA1);
    struct vg_admit_answer a = {.allowed = false, .code = 403, .message = vg_strdup("no\n")};
    vg_admit_answer_warn(&a, "w %d", 1);
    json_t *j = vg_admit_response(&rv, &a);
    cr_assert_str_eq(vg_json_str(j, "apiVersion"), "admission.k8s.io/v1beta1");
    json_t *resp = vg_json_obj(j, "response");
    cr_assert_str_eq(vg_json_str(resp, "uid"), "u-1");
    cr_assert(json_is_false(json_object_get(resp, "allowed")));
    json_t *st = vg_json_obj(resp, "status");
    cr_assert_eq(json_integer_value(json_object_get(st, "code")), 403);
    cr_assert_str_eq(vg_json_str(st, "message"), "no\\x0a");
    cr_assert_str_eq(json_string_value(json_array_get(vg_json_arr(resp, "warnings"), 0)), "w 1");
    cr_assert_null(json_object_get(resp, "patch"));
    json_decref(j);
    vg_admit_answer_dispose(&a);
    vg_admit_review_dispose(&rv);
    free(buf);
}

Test(review, patch_base64)
{
    struct vg_admit_review rv;
    struct vg_err *err = NULL;
    cr_assert_eq(parse(&rv, pod_v1, &err), 0);
    struct vg_admit_answer a = {.allowed = true};
    a.patch = json_pack("[{s:s, s:s, s:s}]", "op", "replace", "path", "/spec/containers/0/image",
                        "value", "nginx:1@sha256:00");
    json_t *j = vg_admit_response(&rv, &a);
    json_t *resp = vg_json_obj(j, "response");
    cr_assert_str_eq(vg_json_str(resp, "patchType"), "JSONPatch");
    const char *b64 = vg_json_str(resp, "patch");
    uint8_t *dec = NULL;
    size_t dlen = 0;
    cr_assert_eq(vg_base64_decode(&dec, &dlen, b64, strlen(b64), false, &err), 0);
    cr_assert(memmem(dec, dlen, "nginx:1@sha256:00", 17) != NULL);
    free(dec);
    json_decref(j);
    vg_admit_answer_dispose(&a);
    vg_admit_review_dispose(&rv);
}

/* The text written without jansson is the text jansson writes, byte for byte. */
Test(review, response_text)
{
    static const char *const uids[] = {"705ab4f5-6393-11e8-b7cc-42010a800002",
                                       "",
                                       "a\"b",
                                       "back\\slash",
                                       "caf\xc3\xa9",
                                       "tab\there",
                                       "/~x"};
    for (int v = VG_ADMIT_V1; v <= VG_ADMIT_V1BETA1; v++) {
        for (size_t i = 0; i < sizeof(uids) / sizeof(uids[0]); i++) {
            for (int k = 0; k < 4; k++) {
                struct vg_admit_review rv = {.version = (enum vg_admit_version)v,
                                             .uid = (char *)(uintptr_t)uids[i]};
                struct vg_admit_answer a = {.allowed = k != 1};
                if (k == 1) {
                    a.code = 403;
                    a.message = vg_strdup("denied \"x\"");
                } else if (k == 2) {
                    vg_admit_answer_warn(&a, "w");
                } else if (k == 3) {
                    a.patch = json_pack("[{s:s}]", "op", "test");
                }
                json_t *j = vg_admit_response(&rv, &a);
                char *want = vg_json_dump(j, false);
                size_t len = 0;
                char *got = vg_admit_response_text(&rv, &a, &len);
                cr_assert_str_eq(got, want, "uid %zu, answer %d", i, k);
                cr_assert_eq(len, strlen(want));
                free(got);
                free(want);
                json_decref(j);
                vg_admit_answer_dispose(&a);
            }
        }
    }
}

Test(review, json_pointer)
{
    char *p = vg_admit_json_pointer("spec.template.spec.containers[12].image");
    cr_assert_str_eq(p, "/spec/template/spec/containers/12/image");
    free(p);
    p = vg_admit_json_pointer("a/b.c~d");
    cr_assert_str_eq(p, "/a~1b/c~0d");
    free(p);
}

static void
refused(const char *body, size_t len, const char *needle)
{
    struct vg_admit_review rv;
    struct vg_err *err = NULL;
    if (!len) {
        len = strlen(body);
    }
    cr_assert_lt(vg_admit_review_parse(&rv, body, len, &err), 0, "%s", needle);
    char *m = vg_err_format(err);
    cr_assert(strstr(m, needle), "%s: %s", needle, m);
    free(m);
    vg_err_free(&err);
}

Test(review, hostile_bodies_refused)
{
    refused("{nope", 0, "invalid JSON");
    refused("[]", 0, "not a JSON object");
    refused("{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}", 0, "apiVersion");
    refused("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", 0,
            "no request");
    refused("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":"
            "{\"uid\":\"\xff\"}}",
            0, "invalid JSON");
    refused("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":"
            "{\"uid\":\"a\\u0000b\"}}",
            0, "NUL");
    size_t n = 100000;
    char *deep = vg_malloc(2 * n);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    refused(deep, 2 * n, "nested deeper");
    free(deep);
    refused(" ", VG_ADMIT_BODY_MAX + 1u, "over the limit");
}

/* A review of n zeros in a list at request.<member> (caller frees). */
static char *
zeros_review(const char *member, size_t n)
{
    struct vg_buf b = VG_BUF_INIT(16u << 20);
    int rc = vg_buf_appendf(&b, NULL,
                            "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                            "\"request\":{\"uid\":\"x\",\"kind\":{\"kind\":\"Pod\"},\"operation\":"
                            "\"UPDATE\",\"%s\":[0",
                            member);
    for (size_t i = 1; i < n; i++) {
        rc |= vg_buf_append(&b, ",0", 2, NULL);
    }
    rc |= vg_buf_appendf(&b, NULL, "]%s}}",
                         strcmp(member, "object") == 0
                             ? ""
                             : ",\"object\":{\"kind\":\"Pod\",\"spec\":{\"containers\":[{"
                               "\"name\":\"c\",\"image\":\"nginx\"}]}}");
    cr_assert_eq(rc, 0);
    char *r = vg_strdup(vg_buf_cstr(&b));
    vg_buf_dispose(&b);
    return r;
}

/* What a review's parse builds is bounded by its number of values, wherever they are (a 10 MB
 * list of zeros in oldObject took 466 MB to parse before the bound). */
Test(review, values_bounded)
{
    for (size_t k = 0; k < 2; k++) {
        const char *member = k ? "oldObject" : "object";
        char *body = zeros_review(member, VG_ADMIT_VALUES_MAX + 1u);
        refused(body, 0, "more than 300000 JSON values");
        free(body);
    }
    /* under the bound: parsed (a list where the object goes is invalid, not refused) */
    char *body = zeros_review("oldObject", 100000);
    struct vg_admit_review rv;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_admit_review_parse(&rv, body, strlen(body), &err), 0);
    cr_assert(rv.has_object && !rv.invalid);
    vg_admit_review_dispose(&rv);
    free(body);
}

static void
denied(const char *object, const char *needle)
{
    char *body = vg_fmt("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                        "\"request\":{\"uid\":\"x\",\"kind\":{\"kind\":\"Pod\"},\"operation\":"
                        "\"CREATE\",\"object\":%s}}",
                        object);
    struct vg_admit_review rv;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_admit_review_parse(&rv, body, strlen(body), &err), 0);
    cr_assert_not_null(rv.invalid, "%s", needle);
    cr_log_info("%s", rv.invalid);
    cr_assert(strstr(rv.invalid, needle), "%s: %s", needle, rv.invalid);
    vg_admit_review_dispose(&rv);
    free(body);
}

Test(review, invalid_objects_denied)
{
    denied("\"str\"", "string");
    denied("{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
           "spec.containers[0].image");
    denied("{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"image\":{\"a\":1}}]}}", "no image");
    size_t n = 100000;
    char *img = vg_malloc(n + 1);
    memset(img, 'a', n);
    img[n] = 0;
    char *obj = vg_fmt("{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"image\":\"%s\"}]}}", img);
    denied(obj, "over the limit");
    free(obj);
    free(img);
}

Test(review, unknown_kind_and_subresources)
{
    const char *cm = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                     "\"request\":{\"uid\":\"x\",\"kind\":{\"kind\":\"ConfigMap\"},\"object\":{}}}";
    struct vg_admit_review rv;
    struct vg_err *err = NULL;
    cr_assert_eq(parse(&rv, cm, &err), 0);
    cr_assert(!rv.checked && !rv.has_object);
    vg_admit_review_dispose(&rv);
    const char *eph =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
        "\"uid\":\"x\",\"kind\":{\"kind\":\"Pod\"},\"subResource\":\"ephemeralcontainers\","
        "\"operation\":\"UPDATE\",\"object\":{\"kind\":\"Pod\",\"spec\":{\"containers\":[],"
        "\"ephemeralContainers\":[{\"name\":\"d\",\"image\":\"busybox\"}]}}}}";
    cr_assert_eq(parse(&rv, eph, &err), 0);
    cr_assert(rv.checked && rv.has_object);
    cr_assert_eq(rv.obj.ncontainers, 1);
    cr_assert_str_eq(rv.obj.containers[0].field, "ephemeralContainers");
    vg_admit_review_dispose(&rv);
    const char *status = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                         "\"request\":{\"uid\":\"x\",\"kind\":{\"kind\":\"Pod\"},\"subResource\":"
                         "\"status\",\"object\":{}}}";
    cr_assert_eq(parse(&rv, status, &err), 0);
    cr_assert(!rv.checked);
    vg_admit_review_dispose(&rv);
    const char *del = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                      "\"request\":{\"uid\":\"x\",\"kind\":{\"kind\":\"Pod\"},\"operation\":"
                      "\"DELETE\",\"object\":null}}";
    cr_assert_eq(parse(&rv, del, &err), 0);
    cr_assert(rv.checked && !rv.has_object && !rv.invalid);
    vg_admit_review_dispose(&rv);
}

/* The review `vigil admit check` builds from a manifest object: a CREATE of the object's kind
 * in its namespace (else the default given), group from apiVersion, the same image checks as
 * a parsed request. */
Test(review, from_object)
{
    static const char yaml[] = "apiVersion: apps/v1\nkind: Deployment\n"
                               "metadata: {name: web}\n"
                               "spec: {template: {spec: {containers: [{name: a, image: x:1}],\n"
                               "  initContainers: [{name: b}]}}}\n"
                               "---\n"
                               "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n"
                               "spec: {containers: [{name: a, image: nginx}]}\n"
                               "---\n"
                               "kind: ConfigMap\n"
                               "---\n"
                               "metadata: {name: nokind}\n"
                               "---\n"
                               "- a list\n";
    struct vg_config_doc *doc = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_config_load_buf(&doc, "m.yaml", yaml, strlen(yaml), NULL, &err), 0);
    cr_assert_eq(vg_config_doc_count(doc), 5);
    struct vg_admit_review rv;

    vg_admit_review_from_object(&rv, vg_config_doc_root(doc, 0), "team");
    cr_assert_str_eq(rv.kind, "Deployment");
    cr_assert_str_eq(rv.group, "apps");
    cr_assert_str_eq(rv.namespace, "team");
    cr_assert_str_eq(rv.obj.namespace, "team");
    cr_assert_str_eq(rv.operation, "CREATE");
    cr_assert(rv.checked && rv.has_object);
    cr_assert_eq(rv.obj.ncontainers, 2);
    cr_assert_not_null(rv.invalid); /* the init container has no image, as the webhook says */
    cr_assert(strstr(rv.invalid, "spec.template.spec.initContainers[0].image"), "%s", rv.invalid);
    vg_admit_review_dispose(&rv);

    vg_admit_review_from_object(&rv, vg_config_doc_root(doc, 1), NULL);
    cr_assert_str_eq(rv.namespace, "shop");
    cr_assert_str_eq(rv.group, "");
    cr_assert_null(rv.invalid);
    cr_assert_eq(rv.obj.ncontainers, 1);
    cr_assert_str_eq(rv.obj.containers[0].image, "nginx");
    vg_admit_review_dispose(&rv);

    vg_admit_review_from_object(&rv, vg_config_doc_root(doc, 2), NULL);
    cr_assert(!rv.checked && !rv.has_object && !rv.invalid);
    cr_assert_str_eq(rv.namespace, "default");
    vg_admit_review_dispose(&rv);

    vg_admit_review_from_object(&rv, vg_config_doc_root(doc, 3), NULL);
    cr_assert_not_null(rv.invalid);
    vg_admit_review_dispose(&rv);

    vg_admit_review_from_object(&rv, vg_config_doc_root(doc, 4), NULL);
    cr_assert_not_null(rv.invalid);
    vg_admit_review_dispose(&rv);
    vg_config_doc_free(doc);
}

/* imagePullSecrets: dockerconfigjson and legacy dockercfg Secrets merge into one auths object
 * (the first secret naming a registry wins); other types and broken data are refused with the
 * reason. */
Test(secrets, merge)
{
    /* {"auths":{"r.io":{"auth":"YTpi"}}} and {"r.io":{"auth":"Yzpk"},"s.io":{"auth":"ZTpm"}} */
    static const char cfgjson[] =
        "{\"kind\":\"Secret\",\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{"
        "\".dockerconfigjson\":\"eyJhdXRocyI6eyJyLmlvIjp7ImF1dGgiOiJZVHBpIn19fQ==\"}}";
    static const char cfg[] =
        "{\"kind\":\"Secret\",\"type\":\"kubernetes.io/dockercfg\",\"data\":{\".dockercfg\":"
        "\"eyJyLmlvIjp7ImF1dGgiOiJZenBrIn0sInMuaW8iOnsiYXV0aCI6IlpUcG0ifX0=\"}}";
    json_t *auths = json_object();
    struct vg_err *err = NULL;
    cr_assert_eq(vg_kube_secret_merge(auths, cfgjson, strlen(cfgjson), "Secret a/x", &err), 0);
    cr_assert_eq(vg_kube_secret_merge(auths, cfg, strlen(cfg), "Secret a/y", &err), 0);
    cr_assert_eq(json_object_size(auths), 2);
    cr_assert_str_eq(vg_json_str(vg_json_obj(auths, "r.io"), "auth"), "YTpi");
    cr_assert_str_eq(vg_json_str(vg_json_obj(auths, "s.io"), "auth"), "ZTpm");
    static const char *const bad[] = {
        "{\"kind\":\"Secret\",\"type\":\"Opaque\",\"data\":{}}",
        "{\"kind\":\"Secret\",\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{}}",
        "{\"kind\":\"Secret\",\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{"
        "\".dockerconfigjson\":\"!!\"}}",
        "{\"kind\":\"Secret\",\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{"
        "\".dockerconfigjson\":\"e30=\"}}", /* {} */
        "not json",
    };
    static const char *const why[] = {"is not kubernetes.io", "no data", "data.", "no auths",
                                      "Secret a/z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        cr_assert_lt(vg_kube_secret_merge(auths, bad[i], strlen(bad[i]), "Secret a/z", &err), 0);
        char *m = vg_err_format(err);
        cr_assert(strstr(m, why[i]) && strstr(m, "Secret a/z"), "%zu: %s", i, m);
        free(m);
        vg_err_free(&err);
    }
    cr_assert_eq(json_object_size(auths), 2);
    json_decref(auths);
}

/* The one-parse path gives the jansson path's review for every kind of body, and is taken for
 * ordinary reviews (its document holds the whole body, not only request.object). */
static const char *const diff_bodies[] = {
    pod_v1,
    ("{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"kind\":{\"group\":\"apps\",\"kind\":\"Deployment\"},\"operation\":"
     "\"UPDATE\",\"dryRun\":\"true\",\"object\":{\"apiVersion\":\"apps/v1\",\"kind\":"
     "\"Deployment\",\"metadata\":{\"name\":\"d\",\"labels\":{\"a\":\"b\"}},\"spec\":{"
     "\"replicas\":3,\"template\":{\"spec\":{\"containers\":[{\"image\":\"a\"},{\"name\":"
     "\"x\",\"image\":7}]}}}}}}"),
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"subResource\":\"ephemeralcontainers\","
     "\"object\":{\"kind\":\"Pod\",\"spec\":{\"ephemeralContainers\":[{\"image\":"
     "\"busybox\"}]}}}}"),
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":null}}"),
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":\"pod\"}}"),
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":[1]}}"),
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":true}}"),
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"kind\":\"Pod\",\"object\":{\"spec\":{}}}}"),
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"operation\":\"DELETE\",\"object\":{}}}"),
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"kind\":{\"kind\":\"Service\"},\"object\":{\"kind\":\"Service\"}}}"),
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":{\"metadata\":{}}}}"),
    /* left to jansson: a real, a duplicate key, a character YAML cannot carry raw */
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":{\"kind\":\"Pod\",\"x\":1.5,"
     "\"spec\":{\"containers\":[{\"image\":\"a\"}]}}}}"),
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"uid\":\"v\"}}"),
    ("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
     "\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":{\"kind\":\"Pod\",\"spec\":{"
     "\"containers\":[{\"image\":\"a\\u0085\"}]}}}}"),
    /* errors worded by the jansson path */
    "{\"apiVersion\":\"admission.k8s.io/v2\",\"kind\":\"AdmissionReview\",\"request\":{}}",
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Review\",\"request\":{}}",
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":[]}",
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
    "[]",
    "{\"a\":",
};

Test(review, one_parse_same_review)
{
    for (size_t i = 0; i < sizeof(diff_bodies) / sizeof(*diff_bodies); i++) {
        const char *d = vg_admit_review_diff(diff_bodies[i], strlen(diff_bodies[i]));
        cr_expect_null(d, "body %zu: %s", i, d ? d : "");
    }
    struct vg_admit_review rv;
    struct vg_err *err = NULL;
    cr_assert_eq(parse(&rv, pod_v1, &err), 0);
    cr_expect_not_null(vg_config_map_get(vg_config_doc_root(rv.doc, 0), "request"),
                       "an ordinary review takes the one-parse path");
    vg_admit_review_dispose(&rv);
}
