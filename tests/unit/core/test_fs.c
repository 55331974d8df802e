#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

static char dir[] = "/tmp/vg_test_fs_XXXXXX";

static void
setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void
teardown(void)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
path_in(const char *name)
{
    return vg_fmt("%s/%s", dir, name);
}

static mode_t
mode_of(const char *p)
{
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    return st.st_mode & 07777;
}

TestSuite(core_fs, .init = setup, .fini = teardown);

Test(core_fs, write_exclusive_creates_with_mode_despite_umask)
{
    vg_autofree char *p = path_in("k.key");
    mode_t old = umask(0777);
    struct vg_err *err = NULL;
    int rc = vg_file_write_exclusive(p, "secret", 6, 0600, &err);
    umask(old);
    cr_assert_eq(rc, 0);
    cr_assert_null(err);
    cr_assert_eq(mode_of(p), 0600);
    struct vg_buf b = VG_BUF_INIT(64);
    cr_assert_eq(vg_file_read(&b, p, 64, &err), 0);
    cr_assert_eq(b.len, 6);
    cr_assert_eq(memcmp(b.data, "secret", 6), 0);
    vg_buf_dispose(&b);
}

Test(core_fs, write_exclusive_refuses_existing_file_and_keeps_it)
{
    vg_autofree char *p = path_in("k.key");
    struct vg_err *err = NULL;
    cr_assert_eq(vg_file_write_exclusive(p, "one", 3, 0600, &err), 0);
    cr_assert_lt(vg_file_write_exclusive(p, "two!", 4, 0600, &err), 0);
    cr_assert(vg_err_is(err, VG_E_IO));
    cr_assert_eq(err->sys_errno, EEXIST);
    vg_err_free(&err);
    struct vg_buf b = VG_BUF_INIT(64);
    cr_assert_eq(vg_file_read(&b, p, 64, &err), 0);
    cr_assert_str_eq(vg_buf_cstr(&b), "one");
    vg_buf_dispose(&b);
}

Test(core_fs, write_exclusive_never_follows_a_symlink)
{
    vg_autofree char *target = path_in("target");
    vg_autofree char *link = path_in("link");
    cr_assert_eq(symlink(target, link), 0); /* dangling: O_CREAT alone would create target */
    struct vg_err *err = NULL;
    cr_assert_lt(vg_file_write_exclusive(link, "x", 1, 0600, &err), 0);
    vg_err_free(&err);
    cr_assert_not(vg_path_exists(target));
}

Test(core_fs, write_atomic_replaces_and_sets_mode)
{
    vg_autofree char *p = path_in("f");
    struct vg_err *err = NULL;
    cr_assert_eq(vg_file_write_atomic(p, "first", 5, 0644, &err), 0);
    cr_assert_eq(vg_file_write_atomic(p, "2nd", 3, 0600, &err), 0);
    cr_assert_eq(mode_of(p), 0600);
    struct vg_buf b = VG_BUF_INIT(64);
    cr_assert_eq(vg_file_read(&b, p, 64, &err), 0);
    cr_assert_str_eq(vg_buf_cstr(&b), "2nd");
    vg_buf_dispose(&b);
}

Test(core_fs, read_limit_is_inclusive)
{
    vg_autofree char *p = path_in("f");
    struct vg_err *err = NULL;
    cr_assert_eq(vg_file_write_atomic(p, "12345", 5, 0600, &err), 0);
    struct vg_buf b = VG_BUF_INIT(5);
    cr_assert_eq(vg_file_read(&b, p, 5, &err), 0);
    cr_assert_eq(b.len, 5);
    vg_buf_dispose(&b);
    struct vg_buf small = VG_BUF_INIT(4);
    cr_assert_lt(vg_file_read(&small, p, 4, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
    vg_buf_dispose(&small);
}

Test(core_fs, read_missing_is_notfound_and_directory_is_io)
{
    vg_autofree char *p = path_in("absent");
    struct vg_buf b = VG_BUF_INIT(16);
    struct vg_err *err = NULL;
    cr_assert_lt(vg_file_read(&b, p, 16, &err), 0);
    cr_assert(vg_err_is(err, VG_E_NOTFOUND));
    vg_err_free(&err);
    cr_assert_lt(vg_file_read(&b, dir, 16, &err), 0);
    cr_assert(vg_err_is(err, VG_E_IO));
    cr_assert_not(vg_err_is(err, VG_E_NOTFOUND));
    vg_err_free(&err);
    vg_buf_dispose(&b);
}

Test(core_fs, read_at_resolves_beneath_dirfd)
{
    vg_autofree char *p = path_in("rel");
    struct vg_err *err = NULL;
    cr_assert_eq(vg_file_write_atomic(p, "hi", 2, 0600, &err), 0);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cr_assert_geq(dfd, 0);
    struct vg_buf b = VG_BUF_INIT(16);
    cr_assert_eq(vg_file_read_at(&b, dfd, "rel", 16, &err), 0);
    cr_assert_str_eq(vg_buf_cstr(&b), "hi");
    close(dfd);
    vg_buf_dispose(&b);
}

Test(core_fs, mkdir_p_creates_every_level_and_is_idempotent)
{
    vg_autofree char *p = path_in("a/b/c");
    struct vg_err *err = NULL;
    cr_assert_eq(vg_mkdir_p(p, 0700, &err), 0);
    cr_assert_eq(vg_mkdir_p(p, 0700, &err), 0);
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    vg_autofree char *file = path_in("a/f");
    cr_assert_eq(vg_file_write_atomic(file, "x", 1, 0600, &err), 0);
    vg_autofree char *under_file = path_in("a/f/g");
    cr_assert_lt(vg_mkdir_p(under_file, 0700, &err), 0);
    cr_assert(vg_err_is(err, VG_E_IO));
    vg_err_free(&err);
}

Test(core_fs, cache_dir_prefers_absolute_xdg)
{
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("HOME", "/home/u", 1);
    vg_autofree char *a = vg_cache_dir();
    cr_assert_str_eq(a, "/x/cache/vigil");
    setenv("XDG_CACHE_HOME", "relative", 1);
    vg_autofree char *b = vg_cache_dir();
    cr_assert_str_eq(b, "/home/u/.cache/vigil");
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "", 1);
    vg_autofree char *c = vg_cache_dir();
    cr_assert_str_eq(c, "/tmp/.cache/vigil");
}

Test(core_fs, time_rfc3339)
{
    char out[32];
    vg_time_rfc3339(out, sizeof(out), 0);
    cr_assert_str_eq(out, "1970-01-01T00:00:00Z");
    vg_time_rfc3339(out, sizeof(out), 1700000000);
    cr_assert_str_eq(out, "2023-11-14T22:13:20Z");
    char tiny[4] = "zzz";
    vg_time_rfc3339(tiny, sizeof(tiny), 0);
    cr_assert_str_eq(tiny, "");
}

Test(core_fs, sizes_for_humans)
{
    static const struct {
        uint64_t n;
        const char *want;
    } cases[] = {{0, "0 B"},
                 {999, "999 B"},
                 {1000, "1.0 kB"},
                 {35123456, "35.1 MB"},
                 {126000000, "126 MB"},
                 {99999999, "99.9 MB"},
                 {1500000000000ull, "1.5 TB"},
                 {UINT64_MAX, "18446744 TB"}};
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        char out[32];
        vg_size_human(out, sizeof(out), cases[i].n);
        cr_assert_str_eq(out, cases[i].want, "%llu", (unsigned long long)cases[i].n);
    }
}

Test(core_fs, tty_columns_is_zero_off_a_terminal)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    setenv("COLUMNS", "120", 1);
    cr_assert_eq(vg_tty_columns(fds[1]), 0); /* a pipe: COLUMNS does not matter */
    close(fds[0]);
    close(fds[1]);
}
