#include <criterion/criterion.h>
#include <string.h>

#include "oci/oci.h"

static struct vg_oci_config *
load(const char *name, struct vg_err **err)
{
    char *path = vg_fmt("%s/%s", VG_TEST_DATA, name);
    struct vg_buf b = VG_BUF_INIT(1 << 20);
    cr_assert_eq(vg_file_read(&b, path, 1 << 20, NULL), 0);
    struct vg_oci_config *c = NULL;
    vg_oci_config_parse(&c, b.data, b.len, err);
    vg_buf_dispose(&b);
    free(path);
    return c;
}

static struct vg_oci_config *
parse(const char *s, struct vg_err **err)
{
    struct vg_oci_config *c = NULL;
    vg_oci_config_parse(&c, s, strlen(s), err);
    return c;
}

Test(oci_config, full_config)
{
    struct vg_err *err = NULL;
    struct vg_oci_config *c = load("config.json", &err);
    cr_assert_not_null(c, "%s", err ? err->msg : "");
    cr_assert_str_eq(c->os, "linux");
    cr_assert_str_eq(c->architecture, "amd64");
    cr_assert_str_eq(c->user, "1000:1000");
    cr_assert_str_eq(c->workdir, "/srv");
    cr_assert_str_eq(c->author, "vigil tests");
    cr_assert_eq(c->nenv, 2);
    cr_assert_str_eq(c->env[1], "LANG=C.UTF-8");
    cr_assert_eq(c->nentrypoint, 1);
    cr_assert_eq(c->ncmd, 3);
    cr_assert_str_eq(c->cmd[2], "daemon off;");
    cr_assert_eq(c->nexposed_ports, 2);
    cr_assert_str_eq(c->exposed_ports[0], "80/tcp");
    cr_assert_eq(c->nvolumes, 1);
    cr_assert_str_eq(vg_json_str(c->labels, "maintainer"), "someone");
    cr_assert_not_null(c->healthcheck);
    cr_assert_str_eq(c->stop_signal, "SIGQUIT");
    cr_assert_eq(c->nhistory, 3);
    cr_assert(c->history[1].empty_layer);
    cr_assert_not(c->history[2].empty_layer);
    cr_assert_str_eq(c->history[2].comment, "buildkit.dockerfile.v0");
    cr_assert_eq(c->ndiff_ids, 2);
    vg_oci_config_free(c);
}

Test(oci_config, docker_nulls_mean_absent)
{
    struct vg_err *err = NULL;
    struct vg_oci_config *c = load("config-docker-nulls.json", &err);
    cr_assert_not_null(c, "%s", err ? err->msg : "");
    cr_assert_eq(c->nenv, 0);
    cr_assert_eq(c->nentrypoint, 0);
    cr_assert_eq(c->ncmd, 1);
    cr_assert_null(c->labels);
    cr_assert_str_eq(c->variant, "v8");
    vg_oci_config_free(c);
}

static void
expect_error(const char *doc, enum vg_errc code, const char *needle)
{
    struct vg_err *err = NULL;
    cr_assert_null(parse(doc, &err), "accepted %s", doc);
    cr_assert_eq(vg_err_root_code(err), code, "%s", doc);
    char *m = vg_err_format(err);
    cr_assert(strstr(m, needle), "'%s' not in '%s'", needle, m);
    free(m);
    vg_err_free(&err);
}

#define ROOTFS ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}"

Test(oci_config, type_errors_name_the_member)
{
    expect_error("{\"os\":1" ROOTFS "}", VG_E_PARSE, "config/os");
    expect_error("{\"config\":{\"Env\":\"PATH=/\"}" ROOTFS "}", VG_E_PARSE, "/config/Env");
    expect_error("{\"config\":{\"Cmd\":[1]}" ROOTFS "}", VG_E_PARSE, "/config/Cmd/0");
    expect_error("{\"config\":{\"Labels\":{\"a\":1}}" ROOTFS "}", VG_E_PARSE, "Labels/a");
    expect_error("{\"config\":{\"ExposedPorts\":[\"80\"]}" ROOTFS "}", VG_E_PARSE, "ExposedPorts");
    expect_error("{\"history\":[{\"empty_layer\":\"yes\"}]" ROOTFS "}", VG_E_PARSE,
                 "/history/0/empty_layer");
    expect_error("{}", VG_E_PARSE, "rootfs");
    expect_error("{\"rootfs\":{\"type\":\"other\",\"diff_ids\":[]}}", VG_E_PARSE, "layers");
    expect_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:zz\"]}}", VG_E_PARSE,
                 "diff_ids/0");
    expect_error("[]", VG_E_PARSE, "not a JSON object");
    expect_error("{\"os\":\"linux\",\"os\":\"windows\"" ROOTFS "}", VG_E_PARSE, "invalid JSON");
}

Test(oci_config, oversize_is_limit)
{
    size_t n = VG_LIMIT_CONFIG_BYTES + 1;
    char *big = vg_malloc(n);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    struct vg_err *err = NULL;
    struct vg_oci_config *c = NULL;
    cr_assert_lt(vg_oci_config_parse(&c, big, n, &err), 0);
    cr_assert_eq(err->code, VG_E_LIMIT);
    vg_err_free(&err);
    free(big);
}
