/* SPDX-License-Identifier: Apache-2.0
 *
 * vg_scan_cache_trim: age limit, LRU-by-mtime size limit, and what it must never touch (a
 * temporary file being written, links, other files, anything outside scan/ and layers/).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scan/scan.h"

#define NOW 1700000000

static char *
tmpdir(void)
{
    char tmpl[] = "/tmp/vg-trim-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    char *d = vg_strdup(tmpl);
    char *s = vg_fmt("%s/scan", d), *l = vg_fmt("%s/layers", d);
    cr_assert_eq(mkdir(s, 0700), 0);
    cr_assert_eq(mkdir(l, 0700), 0);
    free(s);
    free(l);
    return d;
}

/* Writes dir/rel with `size` bytes and an mtime of NOW - age seconds. */
static void
put(const char *dir, const char *rel, size_t size, int64_t age)
{
    char *p = vg_fmt("%s/%s", dir, rel);
    char *data = vg_calloc(size ? size : 1, 1);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_file_write_atomic(p, data, size, 0600, &err), 0);
    struct timespec ts[2] = {{(time_t)(NOW - age), 0}, {(time_t)(NOW - age), 0}};
    cr_assert_eq(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
    free(data);
    free(p);
}

static bool
has(const char *dir, const char *rel)
{
    char *p = vg_fmt("%s/%s", dir, rel);
    struct stat sb;
    bool ok = lstat(p, &sb) == 0;
    free(p);
    return ok;
}

static void
rmrf(char *d)
{
    cr_assert_eq(vg_remove_tree(d, NULL, NULL), 0);
    free(d);
}

Test(scan_cache_trim, age_limit_removes_only_old_entries)
{
    char *d = tmpdir();
    put(d, "scan/old.json", 10, 40 * 86400);
    put(d, "layers/old.json", 10, 31 * 86400);
    put(d, "layers/young.json", 10, 29 * 86400);
    put(d, "scan/fresh.json", 10, 0);
    struct vg_scan_cache_limits lim = {0, 30 * 86400};
    struct vg_scan_cache_trim_stats st;
    cr_assert_eq(vg_scan_cache_trim(d, &lim, NOW, &st, NULL), 0);
    cr_assert(!has(d, "scan/old.json") && !has(d, "layers/old.json"));
    cr_assert(has(d, "layers/young.json") && has(d, "scan/fresh.json"));
    cr_assert_eq(st.removed, 2);
    cr_assert_eq(st.removed_bytes, 20);
    cr_assert_eq(st.entries, 2);
    cr_assert_eq(st.bytes, 20);
    rmrf(d);
}

Test(scan_cache_trim, size_limit_evicts_least_recently_used_across_both_dirs)
{
    char *d = tmpdir();
    put(d, "scan/a.json", 1000, 500); /* oldest */
    put(d, "layers/b.json", 1000, 400);
    put(d, "scan/c.json", 1000, 300);
    put(d, "layers/d.json", 1000, 200);
    put(d, "scan/e.json", 1000, 100); /* newest */
    struct vg_scan_cache_limits lim = {2500, 0};
    struct vg_scan_cache_trim_stats st;
    cr_assert_eq(vg_scan_cache_trim(d, &lim, NOW, &st, NULL), 0);
    cr_assert(!has(d, "scan/a.json") && !has(d, "layers/b.json") && !has(d, "scan/c.json"));
    cr_assert(has(d, "layers/d.json") && has(d, "scan/e.json"));
    cr_assert_eq(st.removed, 3);
    cr_assert_eq(st.bytes, 2000);
    /* Within the limit: a second trim removes nothing. */
    cr_assert_eq(vg_scan_cache_trim(d, &lim, NOW, &st, NULL), 0);
    cr_assert_eq(st.removed, 0);
    cr_assert_eq(st.entries, 2);
    rmrf(d);
}

Test(scan_cache_trim, a_used_entry_outlives_a_newer_unused_one)
{
    char *d = tmpdir();
    put(d, "scan/used.json", 1000, 900);
    put(d, "scan/unused.json", 1000, 100);
    /* A hit touches its entry (what cache.c does on load): it becomes the most recent. */
    char *p = vg_fmt("%s/scan/used.json", d);
    struct timespec ts[2] = {{NOW - 1, 0}, {NOW - 1, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
    free(p);
    struct vg_scan_cache_limits lim = {1500, 0};
    cr_assert_eq(vg_scan_cache_trim(d, &lim, NOW, NULL, NULL), 0);
    cr_assert(has(d, "scan/used.json"));
    cr_assert(!has(d, "scan/unused.json"));
    rmrf(d);
}

Test(scan_cache_trim, never_touches_writes_in_progress_links_or_other_files)
{
    char *d = tmpdir();
    char tmpl[] = "/tmp/vg-trim-outside-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    put(tmpl, "precious.json", 5000, 90 * 86400);
    char *outside = vg_fmt("%s/precious.json", tmpl);
    char *link = vg_fmt("%s/scan/link.json", d);
    cr_assert_eq(symlink(outside, link), 0);
    /* A temporary file of an atomic write in progress: recent, big, must stay. */
    put(d, "scan/k.json.tmp.123.AbCdEf", 5000, 10);
    /* One left by a crashed writer two hours ago: removed. */
    put(d, "layers/k.json.tmp.99.XyZ123", 100, 7200);
    put(d, "scan/README", 5000, 90 * 86400);
    put(d, "scan/.hidden.json", 5000, 90 * 86400);
    put(d, "db-not-ours.json", 5000, 90 * 86400);
    put(d, "scan/old.json", 10, 90 * 86400);
    struct vg_scan_cache_limits lim = {1, 1};
    struct vg_scan_cache_trim_stats st;
    cr_assert_eq(vg_scan_cache_trim(d, &lim, NOW, &st, NULL), 0);
    cr_assert(!has(d, "scan/old.json"));
    cr_assert(!has(d, "layers/k.json.tmp.99.XyZ123"));
    cr_assert(has(d, "scan/k.json.tmp.123.AbCdEf"));
    cr_assert(has(d, "scan/link.json"));
    cr_assert(has(tmpl, "precious.json"));
    cr_assert(has(d, "scan/README") && has(d, "scan/.hidden.json") && has(d, "db-not-ours.json"));
    cr_assert_eq(st.removed, 2);
    free(outside);
    free(link);
    rmrf(vg_strdup(tmpl));
    rmrf(d);
}

Test(scan_cache_trim, no_limits_and_absent_dirs_are_fine)
{
    char *d = tmpdir();
    put(d, "scan/a.json", 1000, 1000 * 86400);
    struct vg_scan_cache_limits none = {0, 0};
    struct vg_scan_cache_trim_stats st;
    cr_assert_eq(vg_scan_cache_trim(d, &none, NOW, &st, NULL), 0);
    cr_assert(has(d, "scan/a.json"));
    cr_assert_eq(st.entries, 1);
    cr_assert_eq(st.bytes, 1000);
    char *missing = vg_fmt("%s/nope", d);
    struct vg_scan_cache_limits lim = VG_SCAN_CACHE_LIMITS_INIT;
    cr_assert_eq(vg_scan_cache_trim(missing, &lim, NOW, &st, NULL), 0);
    cr_assert_eq(st.entries, 0);
    free(missing);
    rmrf(d);
}

/* Two trims racing over the same cache (two vigil processes): each entry is removed once,
 * neither fails, and the result fits the limit. */
Test(scan_cache_trim, concurrent_trims_agree)
{
    char *d = tmpdir();
    for (int i = 0; i < 200; i++) {
        char *rel = vg_fmt("%s/e%03d.json", i % 2 ? "scan" : "layers", i);
        put(d, rel, 100, 1000 - i);
        free(rel);
    }
    struct vg_scan_cache_limits lim = {5000, 0};
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        _exit(vg_scan_cache_trim(d, &lim, NOW, NULL, NULL) == 0 ? 0 : 1);
    }
    cr_assert_eq(vg_scan_cache_trim(d, &lim, NOW, NULL, NULL), 0);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct vg_scan_cache_trim_stats st;
    cr_assert_eq(vg_scan_cache_trim(d, &lim, NOW, &st, NULL), 0);
    cr_assert_eq(st.removed, 0);
    cr_assert_leq(st.bytes, 5000);
    /* The newest entries are the ones kept. */
    cr_assert(has(d, "scan/e199.json") && has(d, "layers/e198.json"));
    cr_assert(!has(d, "layers/e000.json"));
    rmrf(d);
}
