/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

static const char GOOD[] = "apiVersion: v1\n"
                           "kind: Config\n"
                           "current-context: a\n"
                           "contexts:\n"
                           "- name: a\n"
                           "  context: {cluster: c, user: u, namespace: shop}\n"
                           "- name: b\n"
                           "  context: {cluster: c, user: cert}\n"
                           "clusters:\n"
                           "- name: c\n"
                           "  cluster:\n"
                           "    server: https://127.0.0.1:6443/\n"
                           "    certificate-authority-data: aGVsbG8gQ0EK\n" /* "hello CA\n" */
                           "users:\n"
                           "- name: u\n"
                           "  user: {token: abc.def}\n"
                           "- name: cert\n"
                           "  user:\n"
                           "    client-certificate-data: Y2VydAo=\n" /* "cert\n" */
                           "    client-key-data: a2V5Cg==\n";        /* "key\n" */

static char *
parse_err(const char *text, const char *context, enum vg_errc *code)
{
    struct vg_kubeconfig kc;
    struct vg_err *err = NULL;
    int rc = vg_kubeconfig_parse(&kc, text, strlen(text), "kc.yaml", context, &err);
    cr_assert_lt(rc, 0, "accepted: %s", text);
    *code = vg_err_code(err);
    char *m = vg_err_format(err);
    vg_err_free(&err);
    cr_assert_null(kc.server);
    return m;
}

Test(kube_kubeconfig, resolves_the_current_context)
{
    struct vg_kubeconfig kc;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_kubeconfig_parse(&kc, GOOD, strlen(GOOD), "kc.yaml", NULL, &err), 0);
    cr_assert_str_eq(kc.context, "a");
    cr_assert_str_eq(kc.server, "https://127.0.0.1:6443");
    cr_assert_str_eq(kc.namespace, "shop");
    cr_assert_str_eq(kc.token, "abc.def");
    cr_assert_eq(kc.ca.len, 9);
    cr_assert_eq(memcmp(kc.ca.data, "hello CA\n", 9), 0);
    cr_assert_eq(kc.cert.len, 0);
    cr_assert_not(kc.insecure);
    vg_kubeconfig_dispose(&kc);
}

Test(kube_kubeconfig, client_certificate_data_of_a_named_context)
{
    struct vg_kubeconfig kc;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_kubeconfig_parse(&kc, GOOD, strlen(GOOD), "kc.yaml", "b", &err), 0);
    cr_assert_null(kc.token);
    cr_assert_null(kc.namespace);
    cr_assert_eq(kc.cert.len, 5);
    cr_assert_eq(memcmp(kc.key.data, "key\n", 4), 0);
    vg_kubeconfig_dispose(&kc);
}

Test(kube_kubeconfig, refuses_what_it_cannot_use)
{
    static const struct {
        const char *from, *to; /* replaced in GOOD */
        const char *context;
        enum vg_errc code;
        const char *msg;
    } cases[] = {
        {"current-context: a\n", "", NULL, VG_E_PARSE, "no current-context"},
        {"current-context: a\n", "current-context: zz\n", NULL, VG_E_PARSE,
         "contexts 'zz' not found"},
        {"{token: abc.def}", "{exec: {command: aws}}", NULL, VG_E_UNSUPPORTED, "uses exec"},
        {"{token: abc.def}", "{auth-provider: {name: gcp}}", NULL, VG_E_UNSUPPORTED,
         "uses auth-provider"},
        {"{token: abc.def}", "{username: a, password: b}", NULL, VG_E_UNSUPPORTED, "uses username"},
        {"{token: abc.def}", "{}", NULL, VG_E_UNSUPPORTED, "no token, tokenFile or client"},
        {"aGVsbG8gQ0EK", "\"!!notbase64\"", NULL, VG_E_PARSE, "kc.yaml:13:"},
        {"aGVsbG8gQ0EK", "\"!!notbase64\"", NULL, VG_E_PARSE,
         "bad base64 in cluster.certificate-authority-data"},
        {"a2V5Cg==", "\"@@@\"", "b", VG_E_PARSE, "bad base64 in user.client-key-data"},
        {"    client-key-data: a2V5Cg==\n", "", "b", VG_E_PARSE,
         "client certificate without its key"},
        {"https://127.0.0.1:6443/", "ftp://x", NULL, VG_E_PARSE, "not an http(s) URL"},
        {"{cluster: c, user: u, namespace: shop}", "{user: u}", NULL, VG_E_PARSE,
         "names no cluster"},
        {"- name: c\n  cluster:", "- name: c\n  cluster: 3\n  x:", NULL, VG_E_PARSE,
         "'cluster' must be"},
        {"current-context: a\n", "current-context: [a]\n", NULL, VG_E_PARSE,
         "'current-context' must be"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *at = strstr(GOOD, cases[i].from);
        cr_assert_not_null(at, "case %zu", i);
        char *text =
            vg_fmt("%.*s%s%s", (int)(at - GOOD), GOOD, cases[i].to, at + strlen(cases[i].from));
        enum vg_errc code;
        char *m = parse_err(text, cases[i].context, &code);
        cr_expect_eq(code, cases[i].code, "case %zu: %s", i, m);
        cr_expect_not_null(strstr(m, cases[i].msg), "case %zu: %s", i, m);
        free(m);
        free(text);
    }
}

Test(kube_kubeconfig, hostile_inputs)
{
    enum vg_errc code;
    /* over the bound: refused before parsing */
    size_t big = VG_KUBE_CONFIG_MAX + 1;
    char *huge = malloc(big + 1);
    memset(huge, '#', big);
    huge[big] = 0;
    char *m = parse_err(huge, NULL, &code);
    cr_expect_eq(code, VG_E_LIMIT, "%s", m);
    free(m);
    free(huge);
    static const char *const bad[] = {
        "",
        "[1, 2]",
        "\x01\x02\xff",
        "a: &x [*x]",
        "current-context: a\ncontexts: 5\n",
        "current-context: a\ncontexts: [3]\n",
        "---\na: 1\n---\nb: 2\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m = parse_err(bad[i], NULL, &code);
        cr_expect(code == VG_E_PARSE || code == VG_E_LIMIT, "%zu: %s", i, m);
        free(m);
    }
}

Test(kube_kubeconfig, image_id_digests)
{
    static const char D[] =
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char *s = vg_kube_image_id_digest("docker-pullable://nginx@sha256:0123456789abcdef0123456789"
                                      "abcdef0123456789abcdef0123456789abcdef");
    cr_assert_str_eq(s, D);
    free(s);
    s = vg_kube_image_id_digest("docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef"
                                "0123456789abcdef0123456789abcdef");
    cr_assert_str_eq(s, D);
    free(s);
    cr_assert_null(vg_kube_image_id_digest(D)); /* an image (config) ID, not a manifest */
    cr_assert_null(vg_kube_image_id_digest("nginx@sha256:0123"));
    cr_assert_null(vg_kube_image_id_digest(""));
    cr_assert_null(vg_kube_image_id_digest(NULL));
}

Test(kube_kubeconfig, names)
{
    cr_assert(vg_kube_name_ok("regcred", true));
    cr_assert(vg_kube_name_ok("a.b-c", true));
    cr_assert_not(vg_kube_name_ok("a.b", false));
    cr_assert_not(vg_kube_name_ok("../x", true));
    cr_assert_not(vg_kube_name_ok("-a", true));
    cr_assert_not(vg_kube_name_ok("", true));
}
