/* SPDX-License-Identifier: Apache-2.0
 *
 * Registry client pieces that need no network: credentials from --creds and Docker config.json
 * files (written into a temp dir), URL and scope building, and the choice of challenge.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/oci.h"
#include "oci/registry_int.h"

static char dir[64];

static void
setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(dir, sizeof(dir), "/tmp/vg-creds-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    unsetenv("DOCKER_CONFIG");
}

static void
teardown(void)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/config.json", dir);
    unlink(p);
    rmdir(dir);
}

TestSuite(oci_registry_creds, .init = setup, .fini = teardown);

static void
write_config(const char *json)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/config.json", dir);
    FILE *f = fopen(p, "w");
    fputs(json, f);
    fclose(f);
}

static int
lookup(const char *registry, const char *creds, struct vg_registry_creds *out, bool *found,
       enum vg_errc *code)
{
    struct vg_err *err = NULL;
    int rc = vg_registry_creds_lookup(out, found, registry, creds, dir, &err);
    if (rc < 0) {
        *code = err->code;
        vg_err_free(&err);
    }
    return rc;
}

Test(oci_registry_creds, creds_option_wins_and_keeps_colons_in_password)
{
    write_config("{\"auths\":{\"r.io\":{\"auth\":\"Zm9vOmJhcg==\"}}}");
    struct vg_registry_creds c;
    bool found;
    enum vg_errc code;
    cr_assert_eq(lookup("r.io", "me:pa:ss", &c, &found, &code), 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "me");
    cr_assert_str_eq(c.password, "pa:ss");
    vg_registry_creds_dispose(&c);
    cr_assert_lt(lookup("r.io", "nocolon", &c, &found, &code), 0);
    cr_assert_eq(code, VG_E_USAGE);
    cr_assert_lt(lookup("r.io", ":pw", &c, &found, &code), 0);
}

Test(oci_registry_creds, base64_auth_and_https_keys)
{
    /* "hub:hubpw", "local:pw" */
    write_config("{\"auths\":{"
                 "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnB3\"},"
                 "\"http://127.0.0.1:5000\":{\"auth\":\"bG9jYWw6cHc=\"},"
                 "\"ghcr.io.evil.com\":{\"username\":\"evil\",\"password\":\"x\"},"
                 "\"https://ghcr.io/v2/\":{\"username\":\"gh\",\"password\":\"tok\"}},"
                 "\"credsStore\":\"desktop\"}");
    struct vg_registry_creds c;
    bool found;
    enum vg_errc code;
    cr_assert_eq(lookup("docker.io", NULL, &c, &found, &code), 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "hub");
    cr_assert_str_eq(c.password, "hubpw");
    vg_registry_creds_dispose(&c);
    cr_assert_eq(lookup("127.0.0.1:5000", NULL, &c, &found, &code), 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "local");
    vg_registry_creds_dispose(&c);
    cr_assert_eq(lookup("ghcr.io", NULL, &c, &found, &code), 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "gh");
    cr_assert_str_eq(c.password, "tok");
    vg_registry_creds_dispose(&c);
    cr_assert_eq(lookup("quay.io", NULL, &c, &found, &code), 0);
    cr_assert_not(found);
    cr_assert_eq(lookup("127.0.0.1:5001", NULL, &c, &found, &code), 0);
    cr_assert_not(found);
}

Test(oci_registry_creds, exact_key_beats_normalized_key)
{
    write_config("{\"auths\":{\"https://r.io\":{\"username\":\"a\",\"password\":\"1\"},"
                 "\"r.io\":{\"username\":\"b\",\"password\":\"2\"}}}");
    struct vg_registry_creds c;
    bool found;
    enum vg_errc code;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0);
    cr_assert_str_eq(c.username, "b");
    vg_registry_creds_dispose(&c);
}

Test(oci_registry_creds, identity_token)
{
    write_config("{\"auths\":{\"r.io\":{\"auth\":\"\",\"identitytoken\":\"refresh-me\"}}}");
    struct vg_registry_creds c;
    bool found;
    enum vg_errc code;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0);
    cr_assert(found);
    cr_assert_null(c.username);
    cr_assert_str_eq(c.identity_token, "refresh-me");
    vg_registry_creds_dispose(&c);
}

Test(oci_registry_creds, missing_file_and_env)
{
    struct vg_registry_creds c;
    bool found = true;
    enum vg_errc code;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0);
    cr_assert_not(found);
    /* $DOCKER_CONFIG is used when no directory is passed. */
    write_config("{\"auths\":{\"r.io\":{\"username\":\"env\",\"password\":\"p\"}}}");
    setenv("DOCKER_CONFIG", dir, 1);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_creds_lookup(&c, &found, "r.io", NULL, NULL, &err), 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "env");
    vg_registry_creds_dispose(&c);
    unsetenv("DOCKER_CONFIG");
}

Test(oci_registry_creds, hostile_configs)
{
    const char *bad[] = {
        "{\"auths\":", "[]", "{\"auths\":[]}", "{\"auths\":{\"r.io\":{\"auth\":\"!!!\"}}}",
        "{\"auths\":{\"r.io\":{\"auth\":\"bm9jb2xvbg==\"}}}", /* "nocolon" */
        "{\"auths\":{\"r.io\":{}},\"auths\":{}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_config(bad[i]);
        struct vg_registry_creds c;
        bool found = false;
        enum vg_errc code = 0;
        cr_assert_lt(lookup("r.io", NULL, &c, &found, &code), 0, "accepted %s", bad[i]);
        cr_assert(code == VG_E_PARSE || code == VG_E_USAGE, "%s: code %d", bad[i], code);
        cr_assert_not(found);
    }
}

Test(oci_registry_creds, from_json_dockerconfigjson)
{
    const char *j = "{\"auths\":{\"registry.example:8443\":{\"auth\":\"dTpw\"}}}"; /* u:p */
    struct vg_registry_creds c;
    bool found;
    cr_assert_eq(vg_registry_creds_from_json(&c, &found, "registry.example:8443", j, strlen(j),
                                             "secret", NULL), 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "u");
    cr_assert_str_eq(c.password, "p");
    vg_registry_creds_dispose(&c);
}

Test(oci_registry_creds, urls_and_scopes)
{
    char *u = vg_registry_build_url(false, "registry-1.docker.io", "library/nginx", "manifests",
                                    "latest");
    cr_assert_str_eq(u, "https://registry-1.docker.io/v2/library/nginx/manifests/latest");
    free(u);
    u = vg_registry_build_url(true, "127.0.0.1:5000", "a/b", "tags/list", NULL);
    cr_assert_str_eq(u, "http://127.0.0.1:5000/v2/a/b/tags/list");
    free(u);

    struct vg_oci_ref *ref = NULL;
    cr_assert_eq(vg_oci_ref_parse(&ref, "nginx", NULL), 0);
    struct vg_oci_open_opts o = VG_OCI_OPEN_OPTS_INIT;
    o.docker_config = dir;
    struct vg_registry_client *c = vg_registry_client_new(ref, &o, NULL);
    cr_assert_not_null(c);
    u = vg_registry_url(c, "blobs", "sha256:00");
    cr_assert_str_eq(u, "https://registry-1.docker.io/v2/library/nginx/blobs/sha256:00");
    free(u);
    u = vg_registry_scope(c, true);
    cr_assert_str_eq(u, "repository:library/nginx:pull,push");
    free(u);
    vg_registry_client_free(c);
    vg_oci_ref_free(ref);
}

Test(oci_registry_creds, challenge_choice)
{
    struct vg_oci_ref *ref = NULL;
    cr_assert_eq(vg_oci_ref_parse(&ref, "r.io/a/b:1", NULL), 0);
    struct vg_oci_open_opts o = VG_OCI_OPEN_OPTS_INIT;
    o.docker_config = dir;
    struct vg_registry_client *c = vg_registry_client_new(ref, &o, NULL);
    cr_assert_not_null(c);
    struct vg_err *err = NULL;

    const char *both[] = {"Basic realm=\"x\"", "Bearer realm=\"https://a/t\",service=\"svc\""};
    cr_assert_eq(vg_registry_auth_choose(c, both, 2, &err), 0);
    cr_assert_eq(c->mode, VG_RAUTH_BEARER);
    cr_assert_str_eq(c->realm, "https://a/t");
    cr_assert_str_eq(c->service, "svc");

    vg_registry_auth_reset(c);
    const char *basic[] = {"Basic realm=\"x\""};
    cr_assert_eq(vg_registry_auth_choose(c, basic, 1, &err), 0);
    cr_assert_eq(c->mode, VG_RAUTH_BASIC);

    const char *neg[] = {"Negotiate abc"};
    cr_assert_lt(vg_registry_auth_choose(c, neg, 1, &err), 0);
    cr_assert_eq(err->code, VG_E_UNSUPPORTED);
    vg_err_free(&err);

    const char *ftp[] = {"Bearer realm=\"file:///etc/passwd\""};
    cr_assert_lt(vg_registry_auth_choose(c, ftp, 1, &err), 0);
    cr_assert_eq(err->code, VG_E_AUTH);
    vg_err_free(&err);

    const char *junk[] = {"Bearer realm=\"open"};
    cr_assert_lt(vg_registry_auth_choose(c, junk, 1, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_PARSE);
    vg_err_free(&err);

    vg_registry_client_free(c);
    vg_oci_ref_free(ref);
}
