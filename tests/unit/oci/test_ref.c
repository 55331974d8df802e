#include <criterion/criterion.h>
#include <string.h>

#include "oci/oci.h"

#define D64 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

struct ok_case {
    const char *in;
    const char *registry, *repository, *tag, *digest;
    const char *string;
    bool implied;
};

static const struct ok_case ok_cases[] = {
    {"nginx", "docker.io", "library/nginx", "latest", NULL, "docker.io/library/nginx:latest", true},
    {"library/nginx", "docker.io", "library/nginx", "latest", NULL,
     "docker.io/library/nginx:latest", true},
    {"docker.io/nginx", "docker.io", "library/nginx", "latest", NULL,
     "docker.io/library/nginx:latest", true},
    {"docker.io/library/nginx:1.25", "docker.io", "library/nginx", "1.25", NULL,
     "docker.io/library/nginx:1.25", false},
    {"index.docker.io/library/nginx:1", "docker.io", "library/nginx", "1", NULL,
     "docker.io/library/nginx:1", false},
    {"index.docker.io/nginx", "docker.io", "library/nginx", "latest", NULL,
     "docker.io/library/nginx:latest", true},
    {"bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", NULL, "docker.io/bitnami/redis:7.2",
     false},
    {"localhost/foo", "localhost", "foo", "latest", NULL, "localhost/foo:latest", true},
    {"localhost:5000/foo/bar:tag", "localhost:5000", "foo/bar", "tag", NULL,
     "localhost:5000/foo/bar:tag", false},
    {"localhost:5000", "docker.io", "library/localhost", "5000", NULL,
     "docker.io/library/localhost:5000", false},
    {"example.com/a/b@" D64, "example.com", "a/b", NULL, D64, "example.com/a/b@" D64, false},
    {"a:b@" D64, "docker.io", "library/a", "b", D64, "docker.io/library/a:b@" D64, false},
    {"ghcr.io/org/app:v1.0.0-rc.1", "ghcr.io", "org/app", "v1.0.0-rc.1", NULL,
     "ghcr.io/org/app:v1.0.0-rc.1", false},
    {"quay.io/a__b/c-d.e/f_g", "quay.io", "a__b/c-d.e/f_g", "latest", NULL,
     "quay.io/a__b/c-d.e/f_g:latest", true},
    {"a---b", "docker.io", "library/a---b", "latest", NULL, "docker.io/library/a---b:latest", true},
    {"Registry.Example.COM:443/x", "Registry.Example.COM:443", "x", "latest", NULL,
     "Registry.Example.COM:443/x:latest", true},
    {"Foo/bar", "Foo", "bar", "latest", NULL, "Foo/bar:latest", true},
    {"[::1]:5000/img:t", "[::1]:5000", "img", "t", NULL, "[::1]:5000/img:t", false},
    {"my-registry.local/team/svc:_under", "my-registry.local", "team/svc", "_under", NULL,
     "my-registry.local/team/svc:_under", false},
    {"x/y/z/w", "docker.io", "x/y/z/w", "latest", NULL, "docker.io/x/y/z/w:latest", true},
};

Test(oci_ref, normalizes_like_docker)
{
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        const struct ok_case *c = &ok_cases[i];
        struct vg_oci_ref *r = NULL;
        struct vg_err *err = NULL;
        int rc = vg_oci_ref_parse(&r, c->in, &err);
        cr_assert_eq(rc, 0, "%s: %s", c->in, err ? err->msg : "");
        cr_assert_str_eq(r->registry, c->registry, "%s", c->in);
        cr_assert_str_eq(r->repository, c->repository, "%s", c->in);
        if (c->tag) {
            cr_assert_str_eq(r->tag, c->tag, "%s", c->in);
        } else {
            cr_assert_null(r->tag, "%s", c->in);
        }
        if (c->digest) {
            cr_assert_str_eq(r->digest, c->digest, "%s", c->in);
        } else {
            cr_assert_null(r->digest, "%s", c->in);
        }
        cr_assert_eq(r->tag_implied, c->implied, "%s", c->in);
        char *s = vg_oci_ref_string(r);
        cr_assert_str_eq(s, c->string, "%s", c->in);
        free(s);
        vg_oci_ref_free(r);
    }
}

static const char *const bad_cases[] = {
    "",
    "Nginx",
    "docker.io/Nginx",
    ":tag",
    "nginx:",
    "nginx@",
    "nginx@sha256:abc",
    "nginx@md5:d41d8cd98f00b204e9800998ecf8427e",
    "nginx@SHA256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
    "nginx:-bad",
    "nginx:.bad",
    "nginx:a/b",
    "-nginx",
    "nginx-",
    "a..b",
    "a_.b",
    "a___b",
    "/nginx",
    "nginx/",
    "a//b",
    "localhost:/x",
    "localhost:50a0/x",
    "-bad.com/x",
    "bad-.com/x",
    "exa mple.com/x",
    "nginx:tag with space",
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "[]:5000/x",
    "nginx\n",
};

Test(oci_ref, rejects_invalid_with_usage_error)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct vg_oci_ref *r = NULL;
        struct vg_err *err = NULL;
        int rc = vg_oci_ref_parse(&r, bad_cases[i], &err);
        cr_assert_lt(rc, 0, "accepted \"%s\"", bad_cases[i]);
        cr_assert_null(r);
        cr_assert_eq(vg_err_root_code(err), VG_E_USAGE, "%s", bad_cases[i]);
        cr_assert_null(strchr(err->msg, '\n'), "message must be one line: %s", err->msg);
        vg_err_free(&err);
    }
}

Test(oci_ref, name_length_limit_at_255)
{
    /* docker.io/library/ is 18 characters of the 255 total. */
    char name[400];
    size_t n = 255 - 18;
    memset(name, 'a', n);
    name[n] = '\0';
    struct vg_oci_ref *r = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_ref_parse(&r, name, &err), 0);
    vg_oci_ref_free(r);
    name[n] = 'a';
    name[n + 1] = '\0';
    cr_assert_lt(vg_oci_ref_parse(&r, name, &err), 0);
    cr_assert_eq(err->code, VG_E_USAGE);
    cr_assert(strstr(err->msg, "255"));
    vg_err_free(&err);
}

Test(oci_ref, tag_length_limit_at_128)
{
    char s[300] = "nginx:";
    memset(s + 6, 't', 128);
    s[6 + 128] = '\0';
    struct vg_oci_ref *r = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_ref_parse(&r, s, &err), 0);
    vg_oci_ref_free(r);
    s[6 + 128] = 't';
    s[6 + 129] = '\0';
    cr_assert_lt(vg_oci_ref_parse(&r, s, &err), 0);
    vg_err_free(&err);
}

Test(oci_ref, very_long_input_rejected)
{
    char s[5000];
    memset(s, 'a', sizeof(s) - 1);
    s[sizeof(s) - 1] = '\0';
    struct vg_oci_ref *r = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_oci_ref_parse(&r, s, &err), 0);
    cr_assert_eq(err->code, VG_E_USAGE);
    vg_err_free(&err);
}

Test(oci_ref, name_and_api_host)
{
    struct vg_oci_ref *r = NULL;
    cr_assert_eq(vg_oci_ref_parse(&r, "nginx:1", NULL), 0);
    char *n = vg_oci_ref_name(r);
    cr_assert_str_eq(n, "docker.io/library/nginx");
    cr_assert_str_eq(vg_oci_ref_api_host(r), "registry-1.docker.io");
    free(n);
    vg_oci_ref_free(r);
    cr_assert_eq(vg_oci_ref_parse(&r, "localhost:5000/x", NULL), 0);
    cr_assert_str_eq(vg_oci_ref_api_host(r), "localhost:5000");
    vg_oci_ref_free(r);
}
