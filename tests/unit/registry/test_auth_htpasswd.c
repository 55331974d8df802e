/* SPDX-License-Identifier: Apache-2.0
 *
 * htpasswd: parsing (bcrypt only, refused lines warned with FILE:LINE, repeated users,
 * comments, CRLF, malformed lines), checks against hashes made by `htpasswd -B`, the verified
 * credentials cache (one bcrypt per credential, bounded, never for a wrong password), and the
 * reload when the file changes.
 */
#include "crypto/crypto.h"
#include "registry/auth.h"
#include "testutil.h"

static bool
check(struct vg_htpasswd *h, const char *user, const char *pw)
{
    struct vg_err *err = NULL;
    vg_autosecret struct vg_secret *s = vg_secret_new(pw, strlen(pw));
    bool ok = false;
    TU_ASSERT_OK(vg_htpasswd_check(h, user, s, &ok, &err), err);
    return ok;
}

Test(registry_auth_htpasswd, parse_refuses_non_bcrypt_with_line)
{
    vg_autofree char *alice = tu_htpasswd_line("alice", "pw-a");
    vg_autofree char *text = vg_fmt("# users\r\n%s\r\n\n"
                                    "md5:$apr1$abcdefgh$0123456789012345678901\n"
                                    "sha:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n"
                                    "plain:secret\n"
                                    "%s\n",
                                    alice, alice);
    struct vg_htpasswd_file f = {0};
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_htpasswd_parse(&f, "users.htpasswd", text, strlen(text), &err), err);
    cr_assert_eq(f.n, 1);
    cr_assert_str_eq(f.v[0].user, "alice");
    cr_assert_eq(f.v[0].line, 2);
    cr_assert_eq(f.nwarnings, 4);
    cr_assert(strstr(f.warnings[0], "users.htpasswd:4: user 'md5'"), "%s", f.warnings[0]);
    cr_assert(strstr(f.warnings[0], "$apr1$"), "%s", f.warnings[0]);
    cr_assert(strstr(f.warnings[1], ":5: user 'sha'"), "%s", f.warnings[1]);
    cr_assert(strstr(f.warnings[2], ":6: user 'plain'"), "%s", f.warnings[2]);
    cr_assert(strstr(f.warnings[3], ":7: user 'alice': repeated"), "%s", f.warnings[3]);
    cr_assert_not_null(vg_htpasswd_file_find(&f, "alice"));
    cr_assert_null(vg_htpasswd_file_find(&f, "bob"));
    vg_htpasswd_file_dispose(&f);
}

Test(registry_auth_htpasswd, parse_errors_name_the_line)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"ok:x\nnocolon\n", "f:2: no ':'"},
        {":$2y$04$abc\n", "f:1: empty user"},
        {"a\x01:b\n", "f:1: control character"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        struct vg_htpasswd_file f = {0};
        struct vg_err *err = NULL;
        cr_assert_lt(vg_htpasswd_parse(&f, "f", cases[i].text, strlen(cases[i].text), &err), 0);
        cr_assert_eq(vg_err_code(err), VG_E_PARSE);
        cr_assert(strstr(err->msg, cases[i].msg), "%s", err->msg);
        vg_err_free(&err);
    }
}

Test(registry_auth_htpasswd, line_length_limit)
{
    size_t n = VG_AUTH_HTPASSWD_LINE_MAX;
    char *text = vg_malloc(n + 3);
    memset(text, '#', n + 1);
    text[n + 1] = '\n';
    text[n + 2] = '\0';
    struct vg_htpasswd_file f = {0};
    struct vg_err *err = NULL;
    cr_assert_lt(vg_htpasswd_parse(&f, "f", text, n + 2, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_LIMIT);
    cr_assert(strstr(vg_err_format(err), "f:1"));
    vg_err_free(&err);
    text[n] = '\n'; /* exactly the limit */
    TU_ASSERT_OK(vg_htpasswd_parse(&f, "f", text, n + 1, &err), err);
    vg_htpasswd_file_dispose(&f);
    free(text);
}

Test(registry_auth_htpasswd, check_and_cache)
{
    vg_autofree char *dir = tu_tmpdir();
    vg_autofree char *path = vg_fmt("%s/htpasswd", dir);
    vg_autofree char *a = tu_htpasswd_line("alice", "wonderland");
    vg_autofree char *b = tu_htpasswd_line("bob", "builder");
    vg_autofree char *text = vg_fmt("%s\n%s\n", a, b);
    tu_write(path, text);
    struct vg_htpasswd *h = NULL;
    struct vg_err *err = NULL;
    struct vg_htpasswd_opts o = {.cache_max = 2, .cache_ttl_ms = 60000, .recheck_ms = 0};
    TU_ASSERT_OK(vg_htpasswd_open(&h, path, &o, &err), err);
    struct vg_htpasswd_stats st;

    cr_assert(check(h, "alice", "wonderland"));
    cr_assert(check(h, "alice", "wonderland"));
    cr_assert(check(h, "alice", "wonderland"));
    vg_htpasswd_stats(h, &st);
    cr_assert_eq(st.bcrypt_runs, 1, "bcrypt paid once per credential");
    cr_assert_eq(st.cache_hits, 2);

    /* Wrong passwords and unknown users are never cached: each costs a bcrypt. */
    cr_assert_not(check(h, "alice", "wonderlan"));
    cr_assert_not(check(h, "alice", "wonderlan"));
    cr_assert_not(check(h, "mallory", "wonderland"));
    cr_assert_not(check(h, "bob", "wonderland"));
    vg_htpasswd_stats(h, &st);
    cr_assert_eq(st.bcrypt_runs, 5);

    /* Bounded: a third credential evicts the oldest. */
    cr_assert(check(h, "bob", "builder"));
    vg_htpasswd_free(h);
}

Test(registry_auth_htpasswd, cache_is_bounded)
{
    vg_autofree char *dir = tu_tmpdir();
    vg_autofree char *path = vg_fmt("%s/htpasswd", dir);
    vg_autofree char *a = tu_htpasswd_line("a", "1");
    vg_autofree char *b = tu_htpasswd_line("b", "2");
    vg_autofree char *c = tu_htpasswd_line("c", "3");
    vg_autofree char *text = vg_fmt("%s\n%s\n%s\n", a, b, c);
    tu_write(path, text);
    struct vg_htpasswd *h = NULL;
    struct vg_err *err = NULL;
    struct vg_htpasswd_opts o = {.cache_max = 2, .cache_ttl_ms = 60000, .recheck_ms = 0};
    TU_ASSERT_OK(vg_htpasswd_open(&h, path, &o, &err), err);
    cr_assert(check(h, "a", "1"));
    cr_assert(check(h, "b", "2"));
    cr_assert(check(h, "c", "3")); /* evicts a */
    cr_assert(check(h, "c", "3"));
    cr_assert(check(h, "b", "2"));
    cr_assert(check(h, "a", "1")); /* a bcrypt again */
    struct vg_htpasswd_stats st;
    vg_htpasswd_stats(h, &st);
    cr_assert_eq(st.bcrypt_runs, 4);
    cr_assert_eq(st.cache_hits, 2);
    vg_htpasswd_free(h);
}

Test(registry_auth_htpasswd, reload_on_change)
{
    vg_autofree char *dir = tu_tmpdir();
    vg_autofree char *path = vg_fmt("%s/htpasswd", dir);
    vg_autofree char *a1 = tu_htpasswd_line("alice", "old");
    tu_write(path, a1);
    struct vg_htpasswd *h = NULL;
    struct vg_err *err = NULL;
    struct vg_htpasswd_opts o = {.cache_max = 16, .cache_ttl_ms = 60000, .recheck_ms = 0};
    TU_ASSERT_OK(vg_htpasswd_open(&h, path, &o, &err), err);
    cr_assert(check(h, "alice", "old"));
    cr_assert(check(h, "alice", "old")); /* cached */

    /* A new password (atomic replace: new inode) invalidates the cached one at once. */
    vg_autofree char *a2 = tu_htpasswd_line("alice", "new");
    vg_autofree char *c = tu_htpasswd_line("carol", "c");
    vg_autofree char *text = vg_fmt("%s\n%s\n", a2, c);
    tu_write(path, text);
    cr_assert_not(check(h, "alice", "old"));
    cr_assert(check(h, "alice", "new"));
    cr_assert(check(h, "carol", "c"));
    struct vg_htpasswd_stats st;
    vg_htpasswd_stats(h, &st);
    cr_assert_eq(st.reloads, 1);

    /* A broken file keeps the last good table. */
    tu_write(path, "broken-line-without-colon\n");
    cr_assert(check(h, "alice", "new"));
    /* A missing file too. */
    cr_assert_eq(unlink(path), 0);
    cr_assert(check(h, "carol", "c"));
    vg_htpasswd_free(h);
}

Test(registry_auth_htpasswd, open_missing_file)
{
    struct vg_htpasswd *h = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_htpasswd_open(&h, "/nonexistent/htpasswd", NULL, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
}
