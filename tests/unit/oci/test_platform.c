#include <criterion/criterion.h>
#include <string.h>

#include "oci/oci.h"

static struct vg_oci_manifest *
load(const char *name)
{
    char *path = vg_fmt("%s/%s", VG_TEST_DATA, name);
    struct vg_buf b = VG_BUF_INIT(1 << 20);
    cr_assert_eq(vg_file_read(&b, path, 1 << 20, NULL), 0);
    struct vg_oci_manifest *m = NULL;
    cr_assert_eq(vg_oci_manifest_parse(&m, b.data, b.len, NULL, NULL), 0);
    vg_buf_dispose(&b);
    free(path);
    return m;
}

static const struct vg_oci_desc *
pick(const struct vg_oci_manifest *idx, const char *plat, struct vg_err **err)
{
    struct vg_oci_platform p;
    cr_assert_eq(vg_oci_platform_parse(&p, plat, NULL), 0, "%s", plat);
    const struct vg_oci_desc *d = NULL;
    vg_oci_index_select(&d, idx, &p, err);
    vg_oci_platform_dispose(&p);
    return d;
}

Test(oci_platform, parse_and_string)
{
    struct vg_oci_platform p;
    cr_assert_eq(vg_oci_platform_parse(&p, "linux/arm/v7", NULL), 0);
    cr_assert_str_eq(p.os, "linux");
    cr_assert_str_eq(p.architecture, "arm");
    cr_assert_str_eq(p.variant, "v7");
    char *s = vg_oci_platform_string(&p);
    cr_assert_str_eq(s, "linux/arm/v7");
    free(s);
    vg_oci_platform_dispose(&p);
    cr_assert_eq(vg_oci_platform_parse(&p, "linux/x86_64", NULL), 0);
    cr_assert_str_eq(p.architecture, "amd64");
    vg_oci_platform_dispose(&p);
}

Test(oci_platform, parse_rejects_bad_syntax)
{
    const char *bad[] = {"",          "linux",        "linux/",       "/amd64", "linux/amd64/v8/x",
                         "linux//v8", "linux/am d64", "linux/amd64\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vg_oci_platform p;
        struct vg_err *err = NULL;
        cr_assert_lt(vg_oci_platform_parse(&p, bad[i], &err), 0, "accepted '%s'", bad[i]);
        cr_assert_eq(err->code, VG_E_USAGE);
        vg_err_free(&err);
    }
}

Test(oci_platform, selects_exact_and_default_variants)
{
    struct vg_oci_manifest *idx = load("oci-index.json");
    struct vg_err *err = NULL;
    cr_assert_eq(pick(idx, "linux/amd64", &err), &idx->manifests[0]);
    cr_assert_eq(pick(idx, "linux/arm64", &err), &idx->manifests[1], "arm64 defaults to v8");
    cr_assert_eq(pick(idx, "linux/arm64/v8", &err), &idx->manifests[1]);
    cr_assert_eq(pick(idx, "linux/aarch64", &err), &idx->manifests[1]);
    cr_assert_eq(pick(idx, "linux/arm", &err), &idx->manifests[2], "arm defaults to v7");
    cr_assert_null(err);
    vg_oci_manifest_free(idx);
}

Test(oci_platform, docker_list_variantless_arm64_matches_v8)
{
    struct vg_oci_manifest *idx = load("docker-list.json");
    struct vg_err *err = NULL;
    cr_assert_eq(pick(idx, "linux/arm64/v8", &err), &idx->manifests[1]);
    cr_assert_eq(pick(idx, "linux/arm/v6", &err), &idx->manifests[0]);
    cr_assert_eq(pick(idx, "windows/amd64", &err), &idx->manifests[2]);
    cr_assert_null(pick(idx, "linux/arm/v7", &err), "v6 must not serve a v7 request");
    vg_err_free(&err);
    vg_oci_manifest_free(idx);
}

Test(oci_platform, no_match_lists_available)
{
    struct vg_oci_manifest *idx = load("oci-index.json");
    struct vg_err *err = NULL;
    cr_assert_null(pick(idx, "linux/s390x", &err));
    cr_assert_eq(err->code, VG_E_NOTFOUND);
    cr_assert(strstr(err->msg, "linux/s390x"));
    cr_assert(strstr(err->msg, "linux/amd64, linux/arm64/v8, linux/arm/v7"), "%s", err->msg);
    vg_err_free(&err);
    cr_assert_null(pick(idx, "windows/amd64", &err));
    vg_err_free(&err);
    vg_oci_manifest_free(idx);
}
