/* SPDX-License-Identifier: Apache-2.0
 *
 * vg_layers_walk_dir on trees built here in a temporary directory: the deliveries a layer
 * walk makes (META, WHOLE, STREAM; the per-consumer size limit), links reported and never
 * followed (a link to /etc, a symlink loop, a link escaping with ".."), an unreadable
 * directory, skipped directories, deterministic order, and the root's own errors.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layers/layers.h"

static struct vg_err *err;
static char root[] = "/tmp/vg-walkdir-XXXXXX";

struct rec {
    char *paths[64];
    char *links[64];
    size_t n;
    char whole[4096];
    size_t streamed, stream_ends;
    enum vg_layer_want want;
    const char *only; /* the path that gets `want`, others META */
};

static enum vg_layer_want
rec_want(void *ctx, const struct vg_layer_file *f)
{
    struct rec *r = ctx;
    if (r->only && strcmp(f->path, r->only) == 0) {
        return r->want;
    }
    return VG_WANT_META;
}

static int
rec_file(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
         struct vg_err **e)
{
    (void)e;
    struct rec *r = ctx;
    cr_assert_lt(r->n, 64);
    cr_assert_eq(f->layer_index, 0);
    r->paths[r->n] = strdup(f->path);
    r->links[r->n] = f->linkname ? strdup(f->linkname) : NULL;
    r->n++;
    if (data) {
        cr_assert_lt(len, sizeof(r->whole));
        memcpy(r->whole, data, len);
        r->whole[len] = '\0';
    }
    return 0;
}

static int
rec_chunk(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
          struct vg_err **e)
{
    (void)f;
    (void)e;
    struct rec *r = ctx;
    if (data) {
        r->streamed += len;
    } else {
        r->stream_ends++;
    }
    return 0;
}

static void
rec_dispose(struct rec *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->paths[i]);
        free(r->links[i]);
    }
}

static ssize_t
index_of(const struct rec *r, const char *path)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->paths[i], path) == 0) {
            return (ssize_t)i;
        }
    }
    return -1;
}

static void
put(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    cr_assert(f, "%s", p);
    fputs(text, f);
    fclose(f);
}

static void
mk(const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
}

static void
ln(const char *target, const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    cr_assert_eq(symlink(target, p), 0, "%s", p);
}

static void
setup(void)
{
    cr_assert(mkdtemp(root));
    mk("etc");
    put("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
    mk("app");
    put("app/b.txt", "bee\n");
    put("app/a.txt", "a\n");
    ln("/etc", "app/host-etc");
    ln("../../../../etc/passwd", "app/escape");
    ln("loop2", "app/loop1");
    ln("loop1", "app/loop2");
    ln(".", "app/self");
    mk(".git");
    put(".git/config", "[core]\n");
    mk("locked");
    put("locked/secret", "x\n");
    char p[512];
    snprintf(p, sizeof(p), "%s/locked", root);
    chmod(p, 0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void
teardown(void)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/locked", root);
    chmod(p, 0755);
    cr_assert_eq(nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
    vg_err_free(&err);
}

TestSuite(layers_walk_dir, .init = setup, .fini = teardown);

static struct vg_layer_consumer
consumer(struct rec *r)
{
    return (struct vg_layer_consumer){
        .name = "rec", .ctx = r, .want = rec_want, .on_file = rec_file, .on_chunk = rec_chunk};
}

Test(layers_walk_dir, links_are_entries_never_followed_and_order_is_sorted)
{
    struct rec r = {.only = "etc/os-release", .want = VG_WANT_WHOLE};
    struct vg_layer_consumer c = consumer(&r);
    struct vg_layer_consumer *cs[] = {&c};
    struct vg_layers_dir_opts o = {.quiet = true};
    struct vg_layer_stats st;
    cr_assert_eq(vg_layers_walk_dir(&st, root, cs, 1, &o, &err), 0);
    cr_assert_str_eq(r.whole, "ID=debian\nVERSION_ID=\"12\"\n");
    ssize_t a = index_of(&r, "app/a.txt"), b = index_of(&r, "app/b.txt");
    cr_assert(a >= 0 && b > a, "sorted: a %zd b %zd", a, b);
    ssize_t h = index_of(&r, "app/host-etc");
    cr_assert(h >= 0);
    cr_assert_str_eq(r.links[h], "/etc");
    cr_assert_eq(index_of(&r, "app/host-etc/passwd"), -1, "a link is never entered");
    cr_assert_eq(index_of(&r, "app/self/a.txt"), -1);
    cr_assert_str_eq(r.links[index_of(&r, "app/escape")], "../../../../etc/passwd");
    cr_assert(index_of(&r, "app/loop1") >= 0 && index_of(&r, "app/loop2") >= 0);
    cr_assert(index_of(&r, ".git/config") >= 0, "no skip list given: .git is walked");
    if (geteuid() != 0) {
        cr_assert(index_of(&r, "locked") >= 0);
        cr_assert_eq(index_of(&r, "locked/secret"), -1);
        cr_assert_geq(st.skipped_unsafe, 1, "the unreadable directory is noted");
    }
    rec_dispose(&r);
}

Test(layers_walk_dir, skip_dirs_stream_and_size_limit)
{
    struct rec r = {.only = "app/b.txt", .want = VG_WANT_STREAM};
    struct vg_layer_consumer c = consumer(&r);
    struct rec small = {.only = "etc/os-release", .want = VG_WANT_WHOLE};
    struct vg_layer_consumer c2 = consumer(&small);
    c2.max_file_bytes = 4; /* os-release is larger: skipped for this consumer */
    struct vg_layer_consumer *cs[] = {&c, &c2};
    const char *skip[] = {"**/.git", "locked"};
    struct vg_layers_dir_opts o = {.skip_dirs = skip, .nskip_dirs = 2, .quiet = true};
    cr_assert_eq(vg_layers_walk_dir(NULL, root, cs, 2, &o, &err), 0);
    cr_assert_eq(r.streamed, 4);
    cr_assert_eq(r.stream_ends, 1);
    cr_assert_eq(index_of(&r, ".git/config"), -1);
    cr_assert_eq(index_of(&r, "locked/secret"), -1);
    cr_assert_eq(index_of(&small, "etc/os-release"), -1);
    cr_assert_str_eq(small.whole, "");
    rec_dispose(&r);
    rec_dispose(&small);
}

static int
fail_file(void *ctx, const struct vg_layer_file *f, const uint8_t *data, size_t len,
          struct vg_err **e)
{
    (void)ctx;
    (void)data;
    (void)len;
    return strcmp(f->path, "app/a.txt") == 0 ? vg_err_set(e, VG_E_PARSE, "boom") : 0;
}

Test(layers_walk_dir, consumer_error_and_root_errors)
{
    struct rec r = {0};
    struct vg_layer_consumer c = consumer(&r);
    c.on_file = fail_file;
    struct vg_layer_consumer *cs[] = {&c};
    struct vg_layers_dir_opts o = {.quiet = true};
    cr_assert_lt(vg_layers_walk_dir(NULL, root, cs, 1, &o, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_PARSE);
    char *m = vg_err_format(err);
    cr_assert(strstr(m, "app/a.txt") && strstr(m, "consumer rec"), "%s", m);
    free(m);
    vg_err_free(&err);
    cr_assert_lt(vg_layers_walk_dir(NULL, "/nonexistent/vigil", cs, 1, &o, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    char p[512];
    snprintf(p, sizeof(p), "%s/app/a.txt", root);
    cr_assert_lt(vg_layers_walk_dir(NULL, p, cs, 1, &o, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_IO);
}
