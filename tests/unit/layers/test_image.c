/* SPDX-License-Identifier: Apache-2.0
 *
 * Whole-image walk through an OCI layout written to a temp dir: parallel workers, gzip/zstd/
 * plain layers, whiteouts and opaque dirs in the merged result, diffID checks, and the error
 * of a broken layer naming its digest. Layers larger than the inflate pipe's ring (pipe.c)
 * give the same result pipelined and inline, and a failure on either side of the pipe stops
 * the walk with that error.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "tarbuild.h"

struct lay {
    uint8_t *blob, *plain;
    size_t blen, plen;
};

static void
put_blob(const char *dir, const void *d, size_t n, struct vg_digest *out)
{
    vg_digest_of(out, VG_DIGEST_SHA256, d, n);
    vg_autofree char *p = vg_fmt("%s/blobs/sha256/%s", dir, vg_digest_hex(out));
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(vg_file_write_atomic(p, d, n, 0644, &err), 0);
}

/* Writes an OCI layout for the layers; bad_diff: config lists a wrong diffID for layer 0. */
static char *
write_layout(struct lay *ls, size_t n, bool bad_diff)
{
    char tmpl[] = "/tmp/vg-layers-img-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    char *dir = vg_strdup(tmpl);
    vg_autofree char *blobs = vg_fmt("%s/blobs/sha256", dir);
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(vg_mkdir_p(blobs, 0755, &err), 0);
    json_t *diffs = json_array(), *layers = json_array();
    for (size_t i = 0; i < n; i++) {
        struct vg_digest d, b;
        vg_digest_of(&d, VG_DIGEST_SHA256, ls[i].plain, ls[i].plen - (bad_diff && i == 0));
        json_array_append_new(diffs, json_string(d.text));
        put_blob(dir, ls[i].blob, ls[i].blen, &b);
        json_array_append_new(layers, json_pack("{s:s,s:s,s:I}", "mediaType", VG_MT_OCI_LAYER_GZIP,
                                                "digest", b.text, "size", (json_int_t)ls[i].blen));
    }
    json_t *cfg = json_pack("{s:s,s:s,s:{s:s,s:o}}", "architecture", "amd64", "os", "linux",
                            "rootfs", "type", "layers", "diff_ids", diffs);
    vg_autofree char *cs = vg_json_dump(cfg, false);
    struct vg_digest cd, md;
    put_blob(dir, cs, strlen(cs), &cd);
    json_t *man = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:o}", "schemaVersion", 2, "mediaType",
                            VG_MT_OCI_MANIFEST, "config", "mediaType", VG_MT_OCI_CONFIG, "digest",
                            cd.text, "size", (json_int_t)strlen(cs), "layers", layers);
    vg_autofree char *ms = vg_json_dump(man, false);
    put_blob(dir, ms, strlen(ms), &md);
    json_t *idx = json_pack("{s:i,s:[{s:s,s:s,s:I}]}", "schemaVersion", 2, "manifests", "mediaType",
                            VG_MT_OCI_MANIFEST, "digest", md.text, "size", (json_int_t)strlen(ms));
    vg_autofree char *is = vg_json_dump(idx, false);
    vg_autofree char *ip = vg_fmt("%s/index.json", dir);
    vg_autofree char *lp = vg_fmt("%s/oci-layout", dir);
    static const char lay[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    cr_assert_eq(vg_file_write_atomic(ip, is, strlen(is), 0644, &err), 0);
    cr_assert_eq(vg_file_write_atomic(lp, lay, strlen(lay), 0644, &err), 0);
    json_decref(cfg);
    json_decref(man);
    json_decref(idx);
    return dir;
}

static void
finish_layer(struct lay *l, void (*fill)(struct tb *), const char *filter)
{
    struct tb *t = tb_new("none");
    fill(t);
    l->plain = tb_finish(t, &l->plen);
    t = tb_new(filter);
    fill(t);
    l->blob = tb_finish(t, &l->blen);
}

static void
fill0(struct tb *t)
{
    tb_file_str(t, "var/lib/dpkg/status", "Package: a\n");
    tb_file_str(t, "etc/passwd", "root\n");
    tb_file_str(t, "opt/app/old", "o");
}

static void
fill1(struct tb *t)
{
    tb_file_str(t, "etc/.wh.passwd", "");
    tb_file_str(t, "opt/app/.wh..wh..opq", "");
    tb_file_str(t, "opt/app/new", "n");
}

static void
fill2(struct tb *t)
{
    tb_file_str(t, "var/lib/dpkg/status", "Package: b\n");
}

struct seen {
    pthread_mutex_t mu;
    size_t files[3];
};

static enum vg_layer_want
want_all(void *ctx, const struct vg_layer_file *f)
{
    (void)ctx;
    (void)f;
    return VG_WANT_META;
}

static int
count_file(void *ctx, const struct vg_layer_file *f, const uint8_t *d, size_t n,
           struct vg_err **err)
{
    (void)d;
    (void)n;
    (void)err;
    struct seen *s = ctx;
    cr_assert_not_null(f->layer_digest);
    cr_assert_not_null(f->diff_id);
    pthread_mutex_lock(&s->mu);
    s->files[f->layer_index]++;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static int
walk_dir(const char *dir, unsigned jobs, struct vg_layers_result **res, struct seen *s,
         struct vg_err **err)
{
    vg_autofree char *ref = vg_fmt("oci:%s", dir);
    struct vg_oci_image *img = NULL;
    struct vg_oci_open_opts oo = VG_OCI_OPEN_OPTS_INIT;
    if (vg_oci_image_open(&img, ref, &oo, err) < 0) {
        return -1;
    }
    struct vg_layer_consumer c = {"count", s, 0, want_all, count_file, NULL};
    struct vg_layer_consumer *cs[] = {&c};
    struct vg_layers_opts o = VG_LAYERS_OPTS_INIT;
    o.jobs = jobs;
    o.quiet = true;
    int rc = vg_layers_walk(res, img, cs, 1, &o, err);
    vg_oci_image_free(img);
    return rc;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void
rm_dir(char *dir)
{
    cr_assert_eq(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
    free(dir);
}

static void
three_layers(struct lay ls[3])
{
    finish_layer(&ls[0], fill0, "gzip");
    finish_layer(&ls[1], fill1, "zstd");
    finish_layer(&ls[2], fill2, "none");
}

static void
free_layers(struct lay *ls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ls[i].blob);
        free(ls[i].plain);
    }
}

Test(layers_image, parallel_walk_merges_layers)
{
    struct lay ls[3];
    three_layers(ls);
    char *dir = write_layout(ls, 3, false);
    for (unsigned jobs = 1; jobs <= 3; jobs += 2) {
        struct seen s = {PTHREAD_MUTEX_INITIALIZER, {0}};
        struct vg_layers_result *r = NULL;
        vg_autoerr struct vg_err *err = NULL;
        int rc = walk_dir(dir, jobs, &r, &s, &err);
        vg_autofree char *m = err ? vg_err_format(err) : NULL;
        cr_assert_eq(rc, 0, "%s", m ? m : "");
        cr_assert_eq(s.files[0], 3);
        cr_assert_eq(s.files[1], 1);
        cr_assert_eq(s.files[2], 1);
        size_t n = 0;
        const struct vg_layer_stats *st = vg_layers_result_stats(r, &n);
        cr_assert_eq(n, 3);
        cr_assert_str_eq(st[0].compression, "gzip");
        cr_assert_str_eq(st[1].compression, "zstd");
        cr_assert_str_eq(st[2].compression, "none");
        cr_assert_eq(st[1].whiteouts, 2);
        cr_assert_not(vg_layers_result_present(r, "var/lib/dpkg/status", 0));
        cr_assert(vg_layers_result_present(r, "var/lib/dpkg/status", 2));
        cr_assert_not(vg_layers_result_present(r, "etc/passwd", 0));
        cr_assert_not(vg_layers_result_present(r, "opt/app/old", 0));
        cr_assert(vg_layers_result_present(r, "opt/app/new", 1));
        vg_layers_result_free(r);
    }
    rm_dir(dir);
    free_layers(ls, 3);
}

Test(layers_image, diff_id_mismatch_is_verify_error)
{
    struct lay ls[3];
    three_layers(ls);
    char *dir = write_layout(ls, 3, true);
    struct seen s = {PTHREAD_MUTEX_INITIALIZER, {0}};
    struct vg_layers_result *r = NULL;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_lt(walk_dir(dir, 2, &r, &s, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_VERIFY);
    vg_autofree char *m = vg_err_format(err);
    cr_assert(strstr(m, "diffID mismatch"), "%s", m);
    rm_dir(dir);
    free_layers(ls, 3);
}

Test(layers_image, truncated_layer_error_names_its_digest)
{
    struct lay ls[3];
    three_layers(ls);
    ls[1].blen -= 8; /* zstd layer: the blob digest is computed over the truncated bytes */
    char *dir = write_layout(ls, 3, false);
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, ls[1].blob, ls[1].blen);
    struct seen s = {PTHREAD_MUTEX_INITIALIZER, {0}};
    struct vg_layers_result *r = NULL;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_lt(walk_dir(dir, 3, &r, &s, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_PARSE);
    vg_autofree char *m = vg_err_format(err);
    cr_assert(strstr(m, d.text) && strstr(m, "zstd"), "%s", m);
    rm_dir(dir);
    free_layers(ls, 3);
}

/* ---------------------------------------------------------------- the inflate pipe */

#define BIG_FILES      48
#define BIG_FILE_BYTES (96u * 1024u) /* 4.5 MiB of plain tar: more than the pipe's ring */

static void
fill_big(struct tb *t)
{
    uint8_t *buf = vg_malloc(BIG_FILE_BYTES);
    uint32_t x = 2463534242u;
    for (int f = 0; f < BIG_FILES; f++) {
        for (size_t i = 0; i < BIG_FILE_BYTES; i++) { /* xorshift: incompressible */
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = (uint8_t)x;
        }
        char name[32];
        snprintf(name, sizeof(name), "data/f%02d", f);
        tb_file(t, name, buf, BIG_FILE_BYTES);
    }
    free(buf);
}

struct sums {
    pthread_mutex_t mu;
    uint64_t fnv[2];
    size_t files[2];
    int fail_at; /* > 0: the fail_at-th file fails the consumer */
};

static enum vg_layer_want
want_whole(void *ctx, const struct vg_layer_file *f)
{
    (void)ctx;
    return S_ISREG(f->mode) ? VG_WANT_WHOLE : VG_WANT_NONE;
}

static int
sum_file(void *ctx, const struct vg_layer_file *f, const uint8_t *d, size_t n, struct vg_err **err)
{
    struct sums *s = ctx;
    pthread_mutex_lock(&s->mu);
    size_t k = ++s->files[f->layer_index];
    uint64_t h = s->fnv[f->layer_index] ^ 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ d[i]) * 1099511628211ull;
    }
    s->fnv[f->layer_index] = h;
    pthread_mutex_unlock(&s->mu);
    if (s->fail_at > 0 && f->layer_index == 1 && (int)k == s->fail_at) {
        return vg_err_set(err, VG_E_PARSE, "consumer refuses %s", f->path);
    }
    return 0;
}

static int
walk_sums(const char *dir, bool inline_inflate, struct sums *s, struct vg_layers_result **res,
          struct vg_err **err)
{
    vg_autofree char *ref = vg_fmt("oci:%s", dir);
    struct vg_oci_image *img = NULL;
    struct vg_oci_open_opts oo = VG_OCI_OPEN_OPTS_INIT;
    if (vg_oci_image_open(&img, ref, &oo, err) < 0) {
        return -1;
    }
    struct vg_layer_consumer c = {"sums", s, 0, want_whole, sum_file, NULL};
    struct vg_layer_consumer *cs[] = {&c};
    struct vg_layers_opts o = VG_LAYERS_OPTS_INIT;
    o.quiet = true;
    o.inline_inflate = inline_inflate;
    int rc = vg_layers_walk(res, img, cs, 1, &o, err);
    vg_oci_image_free(img);
    return rc;
}

static void
big_layers(struct lay ls[2])
{
    finish_layer(&ls[0], fill0, "gzip");
    finish_layer(&ls[1], fill_big, "gzip");
    cr_assert_gt(ls[1].plen, 16u * 256u * 1024u);
}

Test(layers_image, pipelined_and_inline_inflate_agree)
{
    struct lay ls[2];
    big_layers(ls);
    char *dir = write_layout(ls, 2, false);
    struct sums a = {PTHREAD_MUTEX_INITIALIZER, {0}, {0}, 0};
    struct sums b = {PTHREAD_MUTEX_INITIALIZER, {0}, {0}, 0};
    struct vg_layers_result *ra = NULL, *rb = NULL;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_sums(dir, false, &a, &ra, &err), 0);
    cr_assert_eq(walk_sums(dir, true, &b, &rb, &err), 0);
    cr_assert_eq(a.files[1], BIG_FILES);
    cr_assert_eq(a.files[0], b.files[0]);
    cr_assert_eq(a.files[1], b.files[1]);
    cr_assert_eq(a.fnv[0], b.fnv[0]);
    cr_assert_eq(a.fnv[1], b.fnv[1]);
    size_t na = 0, nb = 0;
    const struct vg_layer_stats *sa = vg_layers_result_stats(ra, &na);
    const struct vg_layer_stats *sb = vg_layers_result_stats(rb, &nb);
    cr_assert_eq(na, 2);
    cr_assert_eq(nb, 2);
    for (size_t i = 0; i < 2; i++) {
        struct vg_digest want;
        vg_digest_of(&want, VG_DIGEST_SHA256, ls[i].plain, ls[i].plen);
        cr_assert(vg_digest_eq(&sa[i].diff_id_computed, &want), "layer %zu", i);
        cr_assert(vg_digest_eq(&sb[i].diff_id_computed, &want), "layer %zu", i);
        cr_assert_eq(sa[i].uncompressed_size, ls[i].plen);
        cr_assert_eq(sb[i].uncompressed_size, ls[i].plen);
        cr_assert_eq(sa[i].compressed_size, sb[i].compressed_size);
        cr_assert_eq(sa[i].files, sb[i].files);
    }
    vg_layers_result_free(ra);
    vg_layers_result_free(rb);
    rm_dir(dir);
    free_layers(ls, 2);
}

Test(layers_image, consumer_failure_mid_layer_stops_the_inflater)
{
    struct lay ls[2];
    big_layers(ls);
    char *dir = write_layout(ls, 2, false);
    for (int inl = 0; inl < 2; inl++) {
        struct sums s = {PTHREAD_MUTEX_INITIALIZER, {0}, {0}, 3};
        struct vg_layers_result *r = NULL;
        vg_autoerr struct vg_err *err = NULL;
        cr_assert_lt(walk_sums(dir, inl, &s, &r, &err), 0);
        vg_autofree char *m = vg_err_format(err);
        cr_assert(strstr(m, "consumer refuses data/f02"), "%s", m);
        cr_assert_eq(s.files[1], 3);
    }
    rm_dir(dir);
    free_layers(ls, 2);
}

Test(layers_image, corrupt_gzip_tail_fails_after_the_files_before_it)
{
    struct lay ls[2];
    big_layers(ls);
    ls[1].blob[ls[1].blen - 12] ^= 0x55; /* in the last deflate block or the CRC trailer */
    char *dir = write_layout(ls, 2, false);
    for (int inl = 0; inl < 2; inl++) {
        struct sums s = {PTHREAD_MUTEX_INITIALIZER, {0}, {0}, 0};
        struct vg_layers_result *r = NULL;
        vg_autoerr struct vg_err *err = NULL;
        cr_assert_lt(walk_sums(dir, inl, &s, &r, &err), 0);
        cr_assert(vg_err_root_code(err) == VG_E_PARSE || vg_err_root_code(err) == VG_E_VERIFY, "%d",
                  (int)vg_err_root_code(err));
        cr_assert_geq(s.files[1], BIG_FILES - 2);
    }
    rm_dir(dir);
    free_layers(ls, 2);
}
