/* SPDX-License-Identifier: Apache-2.0
 *
 * Whole-image walk through an OCI layout written to a temp dir: parallel workers, gzip/zstd/
 * plain layers, whiteouts and opaque dirs in the merged result, diffID checks, and the error
 * of a broken layer naming its digest.
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
