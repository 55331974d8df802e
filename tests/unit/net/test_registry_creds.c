/* SPDX-License-Identifier: Apache-2.0
 *
 * Registry client pieces that need no network: credentials from --creds and Docker config.json
 * files (written into a temp dir), Docker credential helpers (small /bin/sh programs speaking
 * the real protocol, written into a temp dir put first on $PATH), URL and scope building, and
 * the choice of challenge.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net.h"
#include "oci/oci.h"
#include "oci/remote_int.h"

static char dir[64];
static char bindir[96];
static char errmsg[1024];

static void
setup(void)
{
    cr_assert_eq(vg_net_init(NULL), 0);
    snprintf(dir, sizeof(dir), "/tmp/vg-creds-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(bindir, sizeof(bindir), "%s/bin", dir);
    cr_assert_eq(mkdir(bindir, 0755), 0);
    char path[256];
    snprintf(path, sizeof(path), "%s:/usr/bin:/bin", bindir);
    setenv("PATH", path, 1);
    unsetenv("DOCKER_CONFIG");
    unsetenv("VIGIL_CREDENTIAL_HELPER_TIMEOUT_MS");
}

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void
teardown(void)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
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

/* A fake docker-credential-<name>: body runs under /bin/sh after a check of the verb. */
static void
write_helper(const char *name, const char *body)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/docker-credential-%s", bindir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "#!/bin/sh\n[ \"$1\" = get ] && [ $# -eq 1 ] || { echo \"bad args: $*\"; exit 9; }\n"
            "%s\n",
            body);
    fclose(f);
    cr_assert_eq(chmod(p, 0755), 0);
}

static int
lookup(const char *registry, const char *creds, struct vg_oci_remote_creds *out, bool *found,
       enum vg_errc *code)
{
    struct vg_err *err = NULL;
    errmsg[0] = '\0';
    int rc = vg_oci_remote_creds_lookup(out, found, registry, creds, dir, &err);
    if (rc < 0) {
        *code = vg_err_root_code(err);
        char *m = vg_err_format(err);
        snprintf(errmsg, sizeof(errmsg), "%s", m);
        free(m);
        vg_err_free(&err);
    }
    return rc;
}

Test(oci_registry_creds, creds_option_wins_and_keeps_colons_in_password)
{
    write_config("{\"auths\":{\"r.io\":{\"auth\":\"Zm9vOmJhcg==\"}}}");
    struct vg_oci_remote_creds c;
    bool found;
    enum vg_errc code;
    cr_assert_eq(lookup("r.io", "me:pa:ss", &c, &found, &code), 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "me");
    cr_assert_str_eq(c.password, "pa:ss");
    vg_oci_remote_creds_dispose(&c);
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
                 "\"https://ghcr.io/v2/\":{\"username\":\"gh\",\"password\":\"tok\"}}}");
    struct vg_oci_remote_creds c;
    bool found;
    enum vg_errc code;
    cr_assert_eq(lookup("docker.io", NULL, &c, &found, &code), 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "hub");
    cr_assert_str_eq(c.password, "hubpw");
    vg_oci_remote_creds_dispose(&c);
    cr_assert_eq(lookup("127.0.0.1:5000", NULL, &c, &found, &code), 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "local");
    vg_oci_remote_creds_dispose(&c);
    cr_assert_eq(lookup("ghcr.io", NULL, &c, &found, &code), 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "gh");
    cr_assert_str_eq(c.password, "tok");
    vg_oci_remote_creds_dispose(&c);
    cr_assert_eq(lookup("quay.io", NULL, &c, &found, &code), 0);
    cr_assert_not(found);
    cr_assert_eq(lookup("127.0.0.1:5001", NULL, &c, &found, &code), 0);
    cr_assert_not(found);
}

Test(oci_registry_creds, exact_key_beats_normalized_key)
{
    write_config("{\"auths\":{\"https://r.io\":{\"username\":\"a\",\"password\":\"1\"},"
                 "\"r.io\":{\"username\":\"b\",\"password\":\"2\"}}}");
    struct vg_oci_remote_creds c;
    bool found;
    enum vg_errc code;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0);
    cr_assert_str_eq(c.username, "b");
    vg_oci_remote_creds_dispose(&c);
}

Test(oci_registry_creds, identity_token)
{
    write_config("{\"auths\":{\"r.io\":{\"auth\":\"\",\"identitytoken\":\"refresh-me\"}}}");
    struct vg_oci_remote_creds c;
    bool found;
    enum vg_errc code;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0);
    cr_assert(found);
    cr_assert_null(c.username);
    cr_assert_str_eq(c.identity_token, "refresh-me");
    vg_oci_remote_creds_dispose(&c);
}

Test(oci_registry_creds, missing_file_and_env)
{
    struct vg_oci_remote_creds c;
    bool found = true;
    enum vg_errc code;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0);
    cr_assert_not(found);
    /* $DOCKER_CONFIG is used when no directory is passed. */
    write_config("{\"auths\":{\"r.io\":{\"username\":\"env\",\"password\":\"p\"}}}");
    setenv("DOCKER_CONFIG", dir, 1);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_oci_remote_creds_lookup(&c, &found, "r.io", NULL, NULL, &err), 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "env");
    vg_oci_remote_creds_dispose(&c);
    unsetenv("DOCKER_CONFIG");
}

Test(oci_registry_creds, hostile_configs)
{
    const char *bad[] = {
        "{\"auths\":",
        "[]",
        "{\"auths\":[]}",
        "{\"auths\":{\"r.io\":{\"auth\":\"!!!\"}}}",
        "{\"auths\":{\"r.io\":{\"auth\":\"bm9jb2xvbg==\"}}}", /* "nocolon" */
        "{\"auths\":{\"r.io\":{}},\"auths\":{}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_config(bad[i]);
        struct vg_oci_remote_creds c;
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
    struct vg_oci_remote_creds c;
    bool found;
    cr_assert_eq(vg_oci_remote_creds_from_json(&c, &found, "registry.example:8443", j, strlen(j),
                                               "secret", NULL),
                 0);
    cr_assert(found);
    cr_assert_str_eq(c.username, "u");
    cr_assert_str_eq(c.password, "p");
    vg_oci_remote_creds_dispose(&c);
}

Test(oci_registry_creds, urls_and_scopes)
{
    char *u = vg_oci_remote_build_url(false, "registry-1.docker.io", "library/nginx", "manifests",
                                      "latest");
    cr_assert_str_eq(u, "https://registry-1.docker.io/v2/library/nginx/manifests/latest");
    free(u);
    u = vg_oci_remote_build_url(true, "127.0.0.1:5000", "a/b", "tags/list", NULL);
    cr_assert_str_eq(u, "http://127.0.0.1:5000/v2/a/b/tags/list");
    free(u);

    struct vg_oci_ref *ref = NULL;
    cr_assert_eq(vg_oci_ref_parse(&ref, "nginx", NULL), 0);
    struct vg_oci_open_opts o = VG_OCI_OPEN_OPTS_INIT;
    o.docker_config = dir;
    struct vg_oci_remote_client *c = vg_oci_remote_client_new(ref, &o, NULL);
    cr_assert_not_null(c);
    u = vg_oci_remote_url(c, "blobs", "sha256:00");
    cr_assert_str_eq(u, "https://registry-1.docker.io/v2/library/nginx/blobs/sha256:00");
    free(u);
    u = vg_oci_remote_scope(c, true);
    cr_assert_str_eq(u, "repository:library/nginx:pull,push");
    free(u);
    vg_oci_remote_client_free(c);
    vg_oci_ref_free(ref);
}

Test(oci_registry_creds, challenge_choice)
{
    struct vg_oci_ref *ref = NULL;
    cr_assert_eq(vg_oci_ref_parse(&ref, "r.io/a/b:1", NULL), 0);
    struct vg_oci_open_opts o = VG_OCI_OPEN_OPTS_INIT;
    o.docker_config = dir;
    struct vg_oci_remote_client *c = vg_oci_remote_client_new(ref, &o, NULL);
    cr_assert_not_null(c);
    struct vg_err *err = NULL;

    const char *both[] = {"Basic realm=\"x\"", "Bearer realm=\"https://a/t\",service=\"svc\""};
    cr_assert_eq(vg_oci_remote_auth_choose(c, both, 2, &err), 0);
    cr_assert_eq(c->mode, VG_RAUTH_BEARER);
    cr_assert_str_eq(c->realm, "https://a/t");
    cr_assert_str_eq(c->service, "svc");

    vg_oci_remote_auth_reset(c);
    const char *basic[] = {"Basic realm=\"x\""};
    cr_assert_eq(vg_oci_remote_auth_choose(c, basic, 1, &err), 0);
    cr_assert_eq(c->mode, VG_RAUTH_BASIC);

    const char *neg[] = {"Negotiate abc"};
    cr_assert_lt(vg_oci_remote_auth_choose(c, neg, 1, &err), 0);
    cr_assert_eq(err->code, VG_E_UNSUPPORTED);
    vg_err_free(&err);

    const char *ftp[] = {"Bearer realm=\"file:///etc/passwd\""};
    cr_assert_lt(vg_oci_remote_auth_choose(c, ftp, 1, &err), 0);
    cr_assert_eq(err->code, VG_E_AUTH);
    vg_err_free(&err);

    const char *junk[] = {"Bearer realm=\"open"};
    cr_assert_lt(vg_oci_remote_auth_choose(c, junk, 1, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_PARSE);
    vg_err_free(&err);

    vg_oci_remote_client_free(c);
    vg_oci_ref_free(ref);
}

/* ---------------------------------------------------------------- credential helpers */

#define NOT_FOUND_BODY "echo 'credentials not found in native keychain'; exit 1"

/* Answers for r.io only; otherwise "not found", as real helpers do. */
#define RIO_HELPER(user, secret)                                                                   \
    "url=$(cat)\n"                                                                                 \
    "if [ \"$url\" = r.io ]; then\n"                                                               \
    "  printf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}\\n' \"$url\" '" user   \
    "' '" secret "'; exit 0\n"                                                                     \
    "fi\n" NOT_FOUND_BODY

static size_t
open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    size_t n = 0;
    while (readdir(d)) {
        n++;
    }
    closedir(d);
    return n;
}

/* No child left unreaped, and SIGPIPE not left blocked. */
static void
assert_clean(size_t fds_before)
{
    cr_assert_eq(open_fds(), fds_before, "descriptor leak");
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "child not reaped");
    cr_assert_eq(errno, ECHILD);
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    cr_assert_not(sigismember(&cur, SIGPIPE));
}

static void
expect_helper_error_code(const char *registry, enum vg_errc want, const char *needle)
{
    struct vg_oci_remote_creds c;
    bool found = true;
    enum vg_errc code = 0;
    size_t fds = open_fds();
    cr_assert_lt(lookup(registry, NULL, &c, &found, &code), 0, "accepted (%s)", needle);
    cr_assert_eq(code, want, "%s", errmsg);
    cr_assert_not(found);
    cr_assert_null(c.username);
    cr_assert_null(c.password);
    cr_assert_null(c.identity_token);
    cr_assert(strstr(errmsg, needle), "%s", errmsg);
    cr_assert(strstr(errmsg, registry), "%s", errmsg);
    assert_clean(fds);
}

static void
expect_helper_error(const char *registry, const char *needle)
{
    expect_helper_error_code(registry, VG_E_AUTH, needle);
}

Test(oci_registry_creds, helper_found)
{
    write_helper("fake", RIO_HELPER("hu", "hs:with:colons"));
    write_config("{\"credHelpers\":{\"r.io\":\"fake\"},"
                 "\"auths\":{\"r.io\":{\"username\":\"file\",\"password\":\"p\"}}}");
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    size_t fds = open_fds();
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert(found);
    cr_assert_str_eq(c.username, "hu");
    cr_assert_str_eq(c.password, "hs:with:colons");
    cr_assert_null(c.identity_token);
    vg_oci_remote_creds_dispose(&c);
    assert_clean(fds);
}

Test(oci_registry_creds, helper_not_found_falls_back_to_auths_then_anonymous)
{
    write_helper("fake", RIO_HELPER("hu", "hs"));
    write_config("{\"credsStore\":\"fake\","
                 "\"auths\":{\"q.io\":{\"username\":\"file\",\"password\":\"p\"}}}");
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    cr_assert_eq(lookup("q.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert(found);
    cr_assert_str_eq(c.username, "file");
    vg_oci_remote_creds_dispose(&c);
    cr_assert_eq(lookup("z.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert_not(found);
    cr_assert_null(c.username);
    /* The helper still wins where it has an entry. */
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert_str_eq(c.username, "hu");
    vg_oci_remote_creds_dispose(&c);
}

Test(oci_registry_creds, helper_precedence)
{
    /* A helper that records it ran, to prove which ones did not. */
    char body[512];
    snprintf(body, sizeof(body),
             "url=$(cat); touch %s/ran-store\n"
             "printf '{\"Username\":\"store\",\"Secret\":\"s\"}'",
             dir);
    write_helper("store", body);
    write_helper("per-host", RIO_HELPER("per-host", "s"));
    write_config("{\"credsStore\":\"store\","
                 "\"credHelpers\":{\"https://r.io\":\"per-host\",\"e.io\":\"\"},"
                 "\"auths\":{\"r.io\":{\"username\":\"file\",\"password\":\"p\"},"
                 "\"e.io\":{\"username\":\"e-file\",\"password\":\"p\"}}}");
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    char marker[128];
    snprintf(marker, sizeof(marker), "%s/ran-store", dir);

    /* --creds wins and runs nothing. */
    cr_assert_eq(lookup("r.io", "cli:pw", &c, &found, &code), 0);
    cr_assert_str_eq(c.username, "cli");
    vg_oci_remote_creds_dispose(&c);
    /* credHelpers (normalized key) over credsStore and auths. */
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert_str_eq(c.username, "per-host");
    vg_oci_remote_creds_dispose(&c);
    cr_assert_neq(access(marker, F_OK), 0, "credsStore ran although credHelpers matched");
    /* An empty credHelpers entry means "the file", skipping credsStore, as in docker/cli. */
    cr_assert_eq(lookup("e.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert_str_eq(c.username, "e-file");
    vg_oci_remote_creds_dispose(&c);
    cr_assert_neq(access(marker, F_OK), 0);
    /* Any other registry: credsStore over auths. */
    cr_assert_eq(lookup("o.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert_str_eq(c.username, "store");
    vg_oci_remote_creds_dispose(&c);
    cr_assert_eq(access(marker, F_OK), 0);
}

Test(oci_registry_creds, helper_exact_key_beats_normalized_key)
{
    write_helper("a", RIO_HELPER("a", "1"));
    write_helper("b", RIO_HELPER("b", "2"));
    write_config("{\"credHelpers\":{\"https://r.io/v2/\":\"a\",\"r.io\":\"b\"}}");
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert_str_eq(c.username, "b");
    vg_oci_remote_creds_dispose(&c);
}

Test(oci_registry_creds, helper_gets_docker_server_url)
{
    /* Echoes the server URL it was given back as the user name. */
    write_helper("echo", "url=$(cat); printf '{\"Username\":\"%s\",\"Secret\":\"x\"}' \"$url\"");
    const char *keys[] = {"index.docker.io", "https://index.docker.io/v1/", "docker.io"};
    for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++) {
        char cfg[256];
        snprintf(cfg, sizeof(cfg), "{\"credHelpers\":{\"%s\":\"echo\"}}", keys[i]);
        write_config(cfg);
        struct vg_oci_remote_creds c;
        bool found = false;
        enum vg_errc code = 0;
        cr_assert_eq(lookup("docker.io", NULL, &c, &found, &code), 0, "%s", errmsg);
        cr_assert(found, "key %s", keys[i]);
        cr_assert_str_eq(c.username, "https://index.docker.io/v1/");
        vg_oci_remote_creds_dispose(&c);
    }
    write_config("{\"credsStore\":\"echo\"}");
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    cr_assert_eq(lookup("127.0.0.1:5000", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert_str_eq(c.username, "127.0.0.1:5000");
    vg_oci_remote_creds_dispose(&c);
}

Test(oci_registry_creds, helper_identity_token)
{
    write_helper("tok", RIO_HELPER("<token>", "refresh-123"));
    write_config("{\"credsStore\":\"tok\"}");
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert(found);
    cr_assert_null(c.username);
    cr_assert_null(c.password);
    cr_assert_str_eq(c.identity_token, "refresh-123");
    vg_oci_remote_creds_dispose(&c);
}

Test(oci_registry_creds, helper_answer_field_names)
{
    struct {
        const char *answer;
        bool ok;
    } cases[] = {
        {"{\"username\":\"u\",\"secret\":\"s\",\"Extra\":1}", true}, /* Go matches any case */
        {"{}", true},                                                /* nothing: not found */
        {"{\"Username\":\"a\",\"username\":\"b\",\"Secret\":\"s\"}", false},
        {"{\"Username\":\"a\",\"Username\":\"b\",\"Secret\":\"s\"}", false},
        {"{\"Username\":1,\"Secret\":\"s\"}", false},
        {"{\"ServerURL\":[],\"Username\":\"u\",\"Secret\":\"s\"}", false},
        {"{\"Username\":\"\",\"Secret\":\"s\"}", false},
        {"{\"Username\":\"u\",\"Secret\":\"a\\nb\"}", false},
        {"{\"Username\":\"u\\u0000x\",\"Secret\":\"s\"}", false},
        {"[\"u\",\"s\"]", false},
        {"", false},
    };
    write_config("{\"credsStore\":\"ans\"}");
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        char p[128];
        snprintf(p, sizeof(p), "%s/answer", dir);
        FILE *f = fopen(p, "w");
        fputs(cases[i].answer, f);
        fclose(f);
        char body[256];
        snprintf(body, sizeof(body), "cat >/dev/null; cat %s", p);
        write_helper("ans", body);
        struct vg_oci_remote_creds c;
        bool found = false;
        enum vg_errc code = 0;
        int rc = lookup("r.io", NULL, &c, &found, &code);
        if (cases[i].ok) {
            cr_assert_eq(rc, 0, "%s: %s", cases[i].answer, errmsg);
            vg_oci_remote_creds_dispose(&c);
        } else {
            cr_assert_lt(rc, 0, "accepted %s", cases[i].answer);
            cr_assert_eq(code, VG_E_PARSE, "%s: %s", cases[i].answer, errmsg);
            cr_assert(strstr(errmsg, "docker-credential-ans"), "%s", errmsg);
        }
    }
}

Test(oci_registry_creds, helper_garbage_output)
{
    write_helper("junk", "cat >/dev/null; echo 'Secret: hunter2 {not json'");
    write_config("{\"credsStore\":\"junk\"}");
    expect_helper_error_code("r.io", VG_E_PARSE, "not a JSON object");
    cr_assert_null(strstr(errmsg, "hunter2"), "answer text leaked into: %s", errmsg);
}

/* An answer of exactly n bytes: a valid JSON object padded with a long string. */
static void
write_sized_helper(size_t n)
{
    const char *prefix = "{\"Username\":\"u\",\"Secret\":\"s\",\"Pad\":\"";
    size_t pad = n - strlen(prefix) - 2;
    char body[512];
    snprintf(body, sizeof(body),
             "cat >/dev/null; printf '%%s' '%s'; head -c %zu /dev/zero | tr '\\000' a; "
             "printf '\"}'",
             prefix, pad);
    write_helper("big", body);
}

Test(oci_registry_creds, helper_output_limit)
{
    write_config("{\"credsStore\":\"big\"}");
    write_sized_helper(64u * 1024u);
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert(found);
    cr_assert_str_eq(c.username, "u");
    vg_oci_remote_creds_dispose(&c);
    write_sized_helper(64u * 1024u + 1u);
    expect_helper_error_code("r.io", VG_E_LIMIT, "exceeds 65536 bytes");
    /* A helper that never stops talking is cut off, not read forever. */
    write_helper("big", "cat >/dev/null; exec cat /dev/zero");
    expect_helper_error_code("r.io", VG_E_LIMIT, "exceeds 65536 bytes");
}

Test(oci_registry_creds, helper_failure_message)
{
    write_helper("fail", "cat >/dev/null; echo 'keychain is locked'; echo 'on stderr' >&2; exit 3");
    write_config("{\"credsStore\":\"fail\",\"auths\":{\"r.io\":{\"auth\":\"dTpw\"}}}");
    /* A real failure is an error, not a quiet fallback to auths. */
    expect_helper_error("r.io", "exited with status 3: keychain is locked");
    write_helper("fail", "cat >/dev/null; printf 'line1\\033[31m\\nline2' >&2; exit 4");
    expect_helper_error("r.io", "exited with status 4: line1\\x1b[31m");
    cr_assert_null(strstr(errmsg, "line2"), "%s", errmsg);
}

Test(oci_registry_creds, helper_crash)
{
    write_helper("crash", "cat >/dev/null; kill -SEGV $$");
    write_config("{\"credsStore\":\"crash\"}");
    expect_helper_error("r.io", "killed by signal 11");
}

Test(oci_registry_creds, helper_hang_is_killed, .timeout = 20)
{
    setenv("VIGIL_CREDENTIAL_HELPER_TIMEOUT_MS", "300", 1);
    write_config("{\"credsStore\":\"hang\"}");
    write_helper("hang", "exec sleep 30");
    uint64_t t0 = vg_now_ns();
    expect_helper_error("r.io", "no answer within 300 ms");
    /* Closed its output but does not exit. */
    write_helper("hang", "cat >/dev/null; exec >&- 2>&-; exec sleep 30");
    expect_helper_error("r.io", "did not exit within 300 ms");
    cr_assert_lt(vg_now_ns() - t0, 5000000000ull, "the deadline was not enforced");
}

Test(oci_registry_creds, helper_ignoring_stdin_is_fine)
{
    write_helper("deaf", "exec 0<&-; printf '{\"Username\":\"u\",\"Secret\":\"s\"}'");
    write_config("{\"credsStore\":\"deaf\"}");
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    size_t fds = open_fds();
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0, "%s", errmsg);
        cr_assert_str_eq(c.username, "u");
        vg_oci_remote_creds_dispose(&c);
    }
    assert_clean(fds);
}

Test(oci_registry_creds, helper_missing)
{
    write_config("{\"credHelpers\":{\"r.io\":\"nosuch\"},"
                 "\"auths\":{\"r.io\":{\"username\":\"file\",\"password\":\"p\"}}}");
    /* A helper that is not installed is skipped with a warning: auths answers. */
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert(found);
    cr_assert_str_eq(c.username, "file");
    vg_oci_remote_creds_dispose(&c);
    /* Other registries do not need it. */
    found = true;
    cr_assert_eq(lookup("o.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert_not(found);
}

Test(oci_registry_creds, helper_not_executable)
{
    write_helper("noexec", "exit 0");
    char p[256];
    snprintf(p, sizeof(p), "%s/docker-credential-noexec", bindir);
    cr_assert_eq(chmod(p, 0644), 0);
    write_config("{\"credsStore\":\"noexec\"}");
    expect_helper_error("r.io", "docker-credential-noexec");
}

Test(oci_registry_creds, helper_names_validated)
{
    /* A file that would be run if the name were used as a path. */
    write_helper("x", "echo ran; exit 0");
    char longname[102];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    const char *bad[] = {
        "../bin/docker-credential-x", "bin/x", "x y", "x;id", "$(id)", "x\\n", "\\u00e9", longname};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        for (int store = 0; store < 2; store++) {
            char cfg[512];
            snprintf(cfg, sizeof(cfg),
                     store ? "{\"credsStore\":\"%s\"}" : "{\"credHelpers\":{\"r.io\":\"%s\"}}",
                     bad[i]);
            write_config(cfg);
            struct vg_oci_remote_creds c;
            bool found = false;
            enum vg_errc code = 0;
            cr_assert_lt(lookup("r.io", NULL, &c, &found, &code), 0, "accepted %s", cfg);
            cr_assert_eq(code, VG_E_PARSE, "%s: %s", cfg, errmsg);
            cr_assert(strstr(errmsg, "invalid credential helper"), "%s", errmsg);
        }
    }
    /* 100 characters is the longest name accepted (then looked up on $PATH). */
    longname[100] = '\0';
    char cfg[256];
    snprintf(cfg, sizeof(cfg), "{\"credsStore\":\"%s\"}", longname);
    write_config(cfg);
    {
        struct vg_oci_remote_creds c0;
        bool found0 = true;
        enum vg_errc code0 = 0;
        cr_assert_eq(lookup("r.io", NULL, &c0, &found0, &code0), 0, "%s", errmsg);
        cr_assert_not(found0, "looked up on $PATH, absent, skipped");
    }
    /* Letters, digits, '.', '_' and '-' are fine. */
    write_helper("Az09._-", RIO_HELPER("ok", "s"));
    write_config("{\"credsStore\":\"Az09._-\"}");
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert_str_eq(c.username, "ok");
    vg_oci_remote_creds_dispose(&c);
}

Test(oci_registry_creds, helper_config_types)
{
    const char *bad[] = {
        "{\"credsStore\":1}",
        "{\"credsStore\":null}",
        "{\"credHelpers\":[]}",
        "{\"credHelpers\":{\"r.io\":{}}}",
        "{\"credHelpers\":{\"r.io\":\"a\"},\"credHelpers\":{}}",
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        write_config(bad[i]);
        struct vg_oci_remote_creds c;
        bool found = false;
        enum vg_errc code = 0;
        cr_assert_lt(lookup("r.io", NULL, &c, &found, &code), 0, "accepted %s", bad[i]);
        cr_assert_eq(code, VG_E_PARSE, "%s: %s", bad[i], errmsg);
    }
    /* An entry of the wrong type for another registry does not matter; an empty store is none. */
    write_config("{\"credsStore\":\"\",\"credHelpers\":{\"o.io\":{}},"
                 "\"auths\":{\"r.io\":{\"username\":\"file\",\"password\":\"p\"}}}");
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert_str_eq(c.username, "file");
    vg_oci_remote_creds_dispose(&c);
}

Test(oci_registry_creds, from_json_never_runs_helpers)
{
    char body[256];
    snprintf(body, sizeof(body), "touch %s/ran; printf '{\"Username\":\"h\",\"Secret\":\"s\"}'",
             dir);
    write_helper("x", body);
    const char *j = "{\"credsStore\":\"x\",\"credHelpers\":{\"r.io\":\"x\"},"
                    "\"auths\":{\"r.io\":{\"auth\":\"dTpw\"}}}";
    struct vg_oci_remote_creds c;
    bool found = false;
    cr_assert_eq(vg_oci_remote_creds_from_json(&c, &found, "r.io", j, strlen(j), "secret", NULL),
                 0);
    cr_assert_str_eq(c.username, "u");
    vg_oci_remote_creds_dispose(&c);
    char marker[128];
    snprintf(marker, sizeof(marker), "%s/ran", dir);
    cr_assert_neq(access(marker, F_OK), 0);
}

Test(oci_registry_creds, helper_with_closed_stdio)
{
    /* The caller runs with stdin closed: the helper must still get its URL on fd 0. */
    write_helper("fake", RIO_HELPER("hu", "hs"));
    write_config("{\"credsStore\":\"fake\"}");
    close(0);
    struct vg_oci_remote_creds c;
    bool found = false;
    enum vg_errc code = 0;
    cr_assert_eq(lookup("r.io", NULL, &c, &found, &code), 0, "%s", errmsg);
    cr_assert_str_eq(c.username, "hu");
    vg_oci_remote_creds_dispose(&c);
}
