/* SPDX-License-Identifier: Apache-2.0
 *
 * The trust directory layouts of docker < 1.11 / notary < 0.3 (tuf/keystore_legacy.c), with
 * key files generated here in that layout: private/root_keys/<id>.key and <id>_root.key,
 * private/tuf_keys/<gun>/<id>.key and <id>_<role>.key, private/tuf_keys/<id>.key (delegation
 * keys), next to the flat private/<id>.key. Listing by role and GUN finds them all (once
 * each), reading takes the role and GUN from the place when the file has no headers, the
 * keys decrypt, and the walk ignores what is not a key file, does not follow symbolic links
 * and stops at its depth bound.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "tuf/tuf.h"

#define GUN "example.com/team/app"

static char PW[] = "pw";

static int
fixed_pass(struct vg_secret **out, const char *role, const char *keyid, bool create, void *payload,
           struct vg_err **err)
{
    (void)role, (void)keyid, (void)create, (void)err;
    *out = vg_secret_new(payload, strlen(payload));
    return 0;
}

/* Writes key k as dir/<id><suffix>.key, with the role/gun headers or (headers false)
 * without any, as the oldest notary wrote them; returns the id in id. */
static void
put(char id[65], const char *dir, const char *suffix, const struct vg_crypto_key *k,
    const char *role, const char *gun, bool headers)
{
    struct vg_err *err = NULL;
    struct vg_secret *pw = vg_secret_new(PW, 2);
    char *pem = NULL;
    size_t len = 0;
    cr_assert_eq(vg_tuf_key_id(id, k, &err), 0);
    cr_assert_eq(vg_tuf_keyfile_format(&pem, &len, k, role, gun, pw, &err), 0);
    if (!headers) { /* drop "gun: ...", "role: ..." and the blank line after them */
        char *nl = strchr(pem, '\n') + 1;
        char *body = strstr(nl, "\n\n");
        cr_assert_not_null(body);
        memmove(nl, body + 2, strlen(body + 2) + 1);
        len = strlen(pem);
    }
    cr_assert_eq(vg_mkdir_p(dir, 0700, &err), 0);
    char *path = vg_fmt("%s/%s%s.key", dir, id, suffix);
    cr_assert_eq(vg_file_write_exclusive(path, pem, len, 0600, &err), 0, "%s", path);
    free(path);
    free(pem);
    vg_secret_free(pw);
}

static struct vg_crypto_key *
newkey(void)
{
    struct vg_crypto_key *k = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_crypto_key_generate(&k, &err), 0);
    return k;
}

static void
assert_list(const char *trust, const char *role, const char *gun, const char *const *want,
            size_t nwant)
{
    char **ids = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_tuf_keystore_list(&ids, &n, trust, role, gun, &err), 0);
    cr_assert_eq(n, nwant, "%s: %zu keys, want %zu", role, n, nwant);
    for (size_t i = 0; i < nwant; i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++) {
            found |= strcmp(ids[j], want[i]) == 0;
        }
        cr_assert(found, "%s: %s not listed", role, want[i]);
    }
    for (size_t j = 1; j < n; j++) {
        cr_assert_lt(strcmp(ids[j - 1], ids[j]), 0, "sorted, once each");
    }
    vg_strv_free(ids, n);
}

Test(tuf_keystore_legacy, old_layouts_are_read_and_listed)
{
    char tmpl[] = "/tmp/vg-keystore-legacy-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    char *roots = vg_fmt("%s/private/root_keys", tmpl);
    char *tufs = vg_fmt("%s/private/tuf_keys", tmpl);
    char *gundir = vg_fmt("%s/%s", tufs, GUN);
    struct vg_crypto_key *r1 = newkey(), *r2 = newkey(), *t = newkey(), *s = newkey(),
                         *d = newkey(), *f = newkey();
    char id_r1[65], id_r2[65], id_t[65], id_s[65], id_d[65], id_f[65], dup[65];
    put(id_r1, roots, "", r1, "root", NULL, true);       /* notary 0.2 */
    put(id_r2, roots, "_root", r2, "root", NULL, false); /* notary 0.1: <id>_root.key */
    put(id_t, gundir, "", t, "targets", GUN, true);
    put(id_s, gundir, "_snapshot", s, "snapshot", NULL, false);
    put(id_d, tufs, "", d, "alice", NULL, true);
    /* the flat layout next to them, and one key present in both */
    struct vg_err *err = NULL;
    struct vg_secret *pw = vg_secret_new(PW, 2);
    cr_assert_eq(vg_tuf_keystore_put(id_f, tmpl, f, "targets", GUN, pw, &err), 0);
    cr_assert_eq(vg_tuf_keystore_put(dup, tmpl, t, "targets", GUN, pw, &err), 0);
    cr_assert_str_eq(dup, id_t);

    const char *want_root[] = {id_r1, id_r2};
    assert_list(tmpl, "root", NULL, want_root, 2);
    const char *want_targets[] = {id_t, id_f};
    assert_list(tmpl, "targets", GUN, want_targets, 2);
    assert_list(tmpl, "targets", "example.com/team/other", NULL, 0);
    const char *want_snap[] = {id_s};
    assert_list(tmpl, "snapshot", GUN, want_snap, 1);
    const char *want_alice[] = {id_d};
    assert_list(tmpl, "alice", NULL, want_alice, 1);

    /* no headers: role and GUN from the place */
    struct vg_tuf_keyfile kf;
    cr_assert_eq(vg_tuf_keystore_read(&kf, tmpl, id_s, &err), 0);
    cr_assert_str_eq(kf.role, "snapshot");
    cr_assert_str_eq(kf.gun, GUN);
    vg_tuf_keyfile_dispose(&kf);
    cr_assert_eq(vg_tuf_keystore_read(&kf, tmpl, id_r2, &err), 0);
    cr_assert_str_eq(kf.role, "root");
    cr_assert_null(kf.gun);
    vg_tuf_keyfile_dispose(&kf);

    /* the keys decrypt to the ones written */
    struct vg_tuf_pass pass = {fixed_pass, PW};
    const char *ids[] = {id_r1, id_r2, id_s, id_d};
    struct vg_crypto_key *keys[] = {r1, r2, s, d};
    for (size_t i = 0; i < 4; i++) {
        struct vg_crypto_key *back = NULL;
        cr_assert_eq(vg_tuf_keystore_get(&back, tmpl, ids[i], &pass, &err), 0, "%s", ids[i]);
        cr_assert(vg_crypto_key_public_eq(keys[i], back));
        vg_crypto_key_free(back);
        cr_assert(vg_tuf_keystore_has(tmpl, ids[i]));
    }
    cr_assert_not(vg_tuf_keystore_has(tmpl, "0000000000000000000000000000000000000000000000000000"
                                            "000000000000"));
    struct vg_crypto_key *none = NULL;
    cr_assert_lt(vg_tuf_keystore_get(&none, tmpl,
                                     "00000000000000000000000000000000000000000000000000000000"
                                     "00000000",
                                     &pass, &err),
                 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);

    vg_secret_free(pw);
    struct vg_crypto_key *all[] = {r1, r2, t, s, d, f};
    for (size_t i = 0; i < 6; i++) {
        vg_crypto_key_free(all[i]);
    }
    uint64_t removed = 0;
    cr_assert_eq(vg_remove_tree(tmpl, &removed, &err), 0);
    free(roots);
    free(tufs);
    free(gundir);
}

Test(tuf_keystore_legacy, walk_ignores_links_junk_and_depth)
{
    char tmpl[] = "/tmp/vg-keystore-legacy-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    struct vg_err *err = NULL;
    char *tufs = vg_fmt("%s/private/tuf_keys", tmpl);
    struct vg_crypto_key *k = newkey(), *deep = newkey(), *linked = newkey();
    char id[65], id_deep[65], id_linked[65];
    put(id, tufs, "", k, "bob", NULL, true);
    /* a symbolic link loop and a link to a directory holding a key: neither is followed */
    char *loop = vg_fmt("%s/loop", tufs);
    cr_assert_eq(symlink(".", loop), 0);
    char *elsewhere = vg_fmt("%s/elsewhere", tmpl);
    put(id_linked, elsewhere, "", linked, "bob", NULL, true);
    char *lnk = vg_fmt("%s/linked", tufs);
    cr_assert_eq(symlink(elsewhere, lnk), 0);
    /* 20 directories deep: past the walk's bound */
    char *d = vg_strdup(tufs);
    for (int i = 0; i < 20; i++) {
        char *n = vg_fmt("%s/d", d);
        free(d);
        d = n;
    }
    put(id_deep, d, "", deep, "bob", NULL, true);
    /* junk: not key files, a bad id, an empty role suffix */
    char *junk[] = {vg_fmt("%s/README", tufs), vg_fmt("%s/%.64s_.key", tufs, id),
                    vg_fmt("%s/zz%.62s.key", tufs, id)};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(vg_file_write_exclusive(junk[i], "x", 1, 0600, &err), 0);
        free(junk[i]);
    }
    const char *want[] = {id};
    assert_list(tmpl, "bob", NULL, want, 1);
    cr_assert_not(vg_tuf_keystore_has(tmpl, id_deep));
    cr_assert_not(vg_tuf_keystore_has(tmpl, id_linked));
    vg_crypto_key_free(k);
    vg_crypto_key_free(deep);
    vg_crypto_key_free(linked);
    uint64_t removed = 0;
    cr_assert_eq(vg_remove_tree(tmpl, &removed, &err), 0);
    free(tufs);
    free(loop);
    free(lnk);
    free(elsewhere);
    free(d);
}
