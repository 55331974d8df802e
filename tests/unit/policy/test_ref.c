/* SPDX-License-Identifier: Apache-2.0
 *
 * Reference normalization (vigil, policy-controller, Kyverno) and the three glob dialects.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

static void
norm_is(const char *in, const char *want)
{
    char *out = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_policy_ref_normalize(&out, in, &err), 0, "%s", in);
    cr_assert_str_eq(out, want);
    free(out);
}

static void
norm_fails(const char *in, const char *msg_part)
{
    char *out = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_policy_ref_normalize(&out, in, &err), 0, "%.60s", in);
    cr_assert_eq(vg_err_code(err), VG_E_USAGE);
    char *m = vg_err_format(err);
    cr_assert(strstr(m, msg_part), "%s", m);
    free(m);
    vg_err_free(&err);
}

Test(ref, vigil_normalization)
{
    norm_is("nginx", "docker.io/library/nginx:latest");
    norm_is("nginx:1.25", "docker.io/library/nginx:1.25");
    norm_is("myuser/app", "docker.io/myuser/app:latest");
    norm_is("index.docker.io/library/nginx", "docker.io/library/nginx:latest");
    norm_is("localhost/app", "localhost/app:latest");
    norm_is("localhost:5000/app:v1", "localhost:5000/app:v1");
    norm_is("registry.example.com/a/b", "registry.example.com/a/b:latest");
    const char *d = "sha256:5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350";
    char *in = NULL, *want = NULL;
    in = malloc(200);
    want = malloc(200);
    cr_assert(snprintf(in, 200, "ghcr.io/foo@%s", d) > 0);
    cr_assert(snprintf(want, 200, "ghcr.io/foo@%s", d) > 0);
    norm_is(in, want);
    cr_assert(snprintf(in, 200, "h:5000/x:1@%s", d) > 0);
    cr_assert(snprintf(want, 200, "h:5000/x:1@%s", d) > 0);
    norm_is(in, want);
    free(in);
    free(want);
}

Test(ref, hostile_input_bounded)
{
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    norm_fails(big, "longer than");
    cr_assert_null(vg_policy_ref_cip_name(big));
    cr_assert_null(vg_policy_ref_kyverno(big));
    free(big);
    norm_fails("", "empty");
    norm_fails("registry.io/UPPER", "lowercase");
    norm_fails("nginx@sha256:abc", "digest");
    norm_fails("a b", "invalid");
}

static void
cip_is(const char *in, const char *want)
{
    char *out = vg_policy_ref_cip_name(in);
    if (!want) {
        cr_assert_null(out, "%s -> %s", in, out);
        return;
    }
    cr_assert_not_null(out, "%s", in);
    cr_assert_str_eq(out, want);
    free(out);
}

Test(ref, cip_names)
{
    cip_is("foo", "index.docker.io/library/foo:latest");
    cip_is("docker.io/x/y", "index.docker.io/x/y:latest");
    cip_is("localhost/app", "index.docker.io/localhost/app:latest");
    cip_is("ghcr.io/foo/bar:1", "ghcr.io/foo/bar:1");
    cip_is("gcr.io/x", NULL); /* go-containerregistry: repositories have >= 2 characters */
    cip_is("invalid&name", NULL);
    cip_is("ghcr.io/foo:1@sha256:5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350",
           "ghcr.io/foo@sha256:5504f2a95018e3d8a52d80d9e1a128c6ea337581808ff9fe96f5628ce2336350");
    cip_is("ghcr.io/foo@sha512:abcd", NULL);
}

Test(ref, kyverno_images)
{
    char *k = vg_policy_ref_kyverno("nginx");
    cr_assert_str_eq(k, "docker.io/nginx:latest");
    free(k);
    k = vg_policy_ref_kyverno("docker.io/library/nginx:1");
    cr_assert_str_eq(k, "docker.io/library/nginx:1");
    free(k);
    k = vg_policy_ref_kyverno("ghcr.io/a/b:1");
    cr_assert_str_eq(k, "ghcr.io/a/b:1");
    free(k);
}

Test(glob, vigil_segments)
{
    cr_assert(vg_policy_glob_match("registry.example.com/**", "registry.example.com/x"));
    cr_assert(vg_policy_glob_match("registry.example.com/**", "registry.example.com/a/b/c"));
    cr_assert_not(
        vg_policy_glob_match("registry.example.com/**", "registry.example.com.evil.io/x"));
    cr_assert(vg_policy_glob_match("ghcr.io/org/*", "ghcr.io/org/app"));
    cr_assert_not(vg_policy_glob_match("ghcr.io/org/*", "ghcr.io/org/app/sub"));
    cr_assert_not(vg_policy_glob_match("ghcr.io/org/*", "ghcr.io/org-evil/app"));
    cr_assert(vg_policy_glob_match("docker.io/library/*", "docker.io/library/nginx"));
    cr_assert_null(vg_policy_glob_check("registry.example.com/**"));
    cr_assert_null(vg_policy_glob_check("**"));
    cr_assert_not_null(vg_policy_glob_check("nginx"));
    cr_assert_not_null(vg_policy_glob_check("library/nginx"));
    cr_assert_not_null(vg_policy_glob_check("ghcr.io/a**"));
    cr_assert_not_null(vg_policy_glob_check("ghcr.io/[ab]"));
    cr_assert_not_null(vg_policy_glob_check("GHCR.io/x"));
    cr_assert_not_null(vg_policy_glob_check(""));
}

Test(glob, cip_semantics)
{
    cr_assert(vg_policy_cip_glob_match("*", "index.docker.io/library/foo:latest"));
    cr_assert(vg_policy_cip_glob_match("*/*", "index.docker.io/myuser/myapp:latest"));
    cr_assert_not(vg_policy_cip_glob_match("ghcr.io/*/*", "ghcr.io/foo:latest"));
    cr_assert(vg_policy_cip_glob_match("ghcr.io/**", "ghcr.io/foo:latest"));
    cr_assert_not(vg_policy_cip_glob_match("ghcr.io/**", "ghcrxio/foo:latest"));
    cr_assert(vg_policy_cip_glob_match("ghcr.io/foo*", "ghcr.io/foo-suffix:latest"));
    cr_assert_not(vg_policy_cip_glob_match("ghcr.io/foo", "ghcr.io/foo-suffix"));
    cr_assert_not_null(vg_policy_cip_glob_check("[a-z]*"));
    cr_assert_not_null(vg_policy_cip_glob_check(".+"));
    cr_assert_null(vg_policy_cip_glob_check("**demo**"));
    /* Many stars against a long name stays polynomial. */
    char pat[201], name[2001];
    for (int i = 0; i < 200; i++) {
        pat[i] = '*';
    }
    pat[200] = '\0';
    memset(name, 'a', 2000);
    name[2000] = '\0';
    cr_assert(vg_policy_cip_glob_match(pat, name));
}

Test(glob, kyverno_wildcards)
{
    cr_assert(vg_policy_wildcard_match("ghcr.io/*", "ghcr.io/a/b:1"));
    cr_assert(vg_policy_wildcard_match("registry.example.com*", "registry.example.com.evil.io/x"));
    cr_assert(vg_policy_wildcard_match("*:latest", "docker.io/nginx:latest"));
    cr_assert(vg_policy_wildcard_match("?ginx", "nginx"));
    cr_assert_not(vg_policy_wildcard_match("ghcr.io/*", "docker.io/x"));
    cr_assert(vg_policy_wildcard_match("*", ""));
}
