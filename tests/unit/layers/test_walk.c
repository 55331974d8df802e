/* SPDX-License-Identifier: Apache-2.0
 *
 * Single-layer walk: compression detected by magic, diffID and blob digest, name safety,
 * consumer modes and per-file limits, hostile streams (truncated, corrupt, huge declared
 * sizes, sparse files) and the layer limits at limit and limit + 1.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tarbuild.h"

/* ---------------------------------------------------------------- a recording consumer */

struct rec {
    enum vg_layer_want mode;
    const char *only; /* path to want, or NULL for every path */
    size_t max;
    size_t calls, finals;
    struct vg_buf data;
    char paths[4096];
    char last_link[256];
    uint32_t last_mode, last_uid;
    uint64_t last_size;
    bool got_null_data;
    int fail_with; /* return this from on_file/on_chunk when non-zero */
};

static enum vg_layer_want
rec_want(void *ctx, const struct vg_layer_file *f)
{
    struct rec *r = ctx;
    if (r->only && strcmp(r->only, f->path) != 0) {
        return VG_WANT_NONE;
    }
    return r->mode;
}

static void
rec_note(struct rec *r, const struct vg_layer_file *f)
{
    size_t n = strlen(r->paths);
    snprintf(r->paths + n, sizeof(r->paths) - n, "%s;", f->path);
    snprintf(r->last_link, sizeof(r->last_link), "%s", f->linkname ? f->linkname : "");
    r->last_mode = f->mode;
    r->last_uid = f->uid;
    r->last_size = f->size;
}

static int
rec_file(void *ctx, const struct vg_layer_file *f, const uint8_t *d, size_t n, struct vg_err **err)
{
    struct rec *r = ctx;
    r->calls++;
    rec_note(r, f);
    if (r->fail_with) {
        return vg_err_set(err, VG_E_PARSE, "consumer refused %s", f->path);
    }
    r->got_null_data = d == NULL;
    if (d) {
        cr_assert(vg_buf_append(&r->data, d, n, err) == 0);
    }
    return 0;
}

static int
rec_chunk(void *ctx, const struct vg_layer_file *f, const uint8_t *d, size_t n, struct vg_err **err)
{
    struct rec *r = ctx;
    if (!d) {
        cr_assert_eq(n, 0);
        r->finals++;
        rec_note(r, f);
        return 0;
    }
    r->calls++;
    if (r->fail_with) {
        return vg_err_set(err, VG_E_PARSE, "consumer refused chunk");
    }
    cr_assert(vg_buf_append(&r->data, d, n, err) == 0);
    return 0;
}

static struct vg_layer_consumer
rec_consumer(struct rec *r, const char *name, enum vg_layer_want mode, const char *only)
{
    memset(r, 0, sizeof(*r));
    r->mode = mode;
    r->only = only;
    vg_buf_init(&r->data, 1u << 30);
    struct vg_layer_consumer c = {name, r, 0, rec_want, rec_file, rec_chunk};
    return c;
}

static char *
errtext(struct vg_err *e)
{
    return e ? vg_err_format(e) : vg_strdup("(no error)");
}

/* ---------------------------------------------------------------- fixtures */

static const char PASSWD[] = "root:x:0:0:root:/root:/bin/bash\n";

static uint8_t *
sample_tar(const char *filter, size_t *len)
{
    struct tb *t = tb_new(filter);
    tb_dir(t, "./etc/");
    tb_file_str(t, "./etc/passwd", PASSWD);
    tb_file_str(t, "usr/share/doc/readme", "hello");
    tb_symlink(t, "etc/alias", "passwd");
    return tb_finish(t, len);
}

static void
check_detect(const char *filter)
{
    size_t plen, clen;
    vg_autofree uint8_t *plain = sample_tar("none", &plen);
    vg_autofree uint8_t *blob = sample_tar(filter, &clen);
    struct rec r;
    struct vg_layer_consumer c = rec_consumer(&r, "t", VG_WANT_WHOLE, "etc/passwd");
    struct vg_layer_consumer *cs[] = {&c};
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    /* Odd chunk sizes split magic bytes and headers across reads. */
    int rc = walk_mem(&st, blob, clen, 7, 0, cs, 1, &err);
    cr_assert_eq(rc, 0, "%s", errtext(err));
    cr_assert_str_eq(st.compression, strcmp(filter, "none") == 0 ? "none" : filter);
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.data.len, strlen(PASSWD));
    cr_assert(memcmp(r.data.data, PASSWD, r.data.len) == 0);
    struct vg_digest want_diff, want_blob;
    vg_digest_of(&want_diff, VG_DIGEST_SHA256, plain, plen);
    vg_digest_of(&want_blob, VG_DIGEST_SHA256, blob, clen);
    cr_assert_str_eq(st.diff_id_computed.text, want_diff.text);
    cr_assert_str_eq(st.digest.text, want_blob.text);
    cr_assert_eq(st.uncompressed_size, plen);
    cr_assert_eq(st.compressed_size, clen);
    cr_assert_eq(st.files, 4);
    vg_buf_dispose(&r.data);
}

Test(layers_walk, detects_gzip_by_magic)
{
    check_detect("gzip");
}

Test(layers_walk, detects_zstd_by_magic)
{
    check_detect("zstd");
}

Test(layers_walk, plain_tar_without_magic)
{
    check_detect("none");
}

Test(layers_walk, diff_id_is_sha256_of_plain_tar_for_multimember_gzip)
{
    size_t plen;
    vg_autofree uint8_t *plain = sample_tar("none", &plen);
    size_t half = plen / 2, l1, l2;
    vg_autofree uint8_t *g1 = tb_gzip(plain, half, &l1);
    vg_autofree uint8_t *g2 = tb_gzip(plain + half, plen - half, &l2);
    vg_autofree uint8_t *cat = vg_malloc(l1 + l2);
    memcpy(cat, g1, l1);
    memcpy(cat + l1, g2, l2);
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_mem(&st, cat, l1 + l2, 0, 0, NULL, 0, &err), 0, "%s", errtext(err));
    struct vg_digest want;
    vg_digest_of(&want, VG_DIGEST_SHA256, plain, plen);
    cr_assert_str_eq(st.diff_id_computed.text, want.text);
    cr_assert_eq(st.files, 4);
}

Test(layers_walk, rejects_xz_magic)
{
    static const uint8_t xz[] = {0xfd, '7', 'z', 'X', 'Z', 0x00, 1, 2, 3, 4};
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_lt(walk_mem(&st, xz, sizeof(xz), 0, 2, NULL, 0, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_UNSUPPORTED);
    vg_autofree char *m = errtext(err);
    cr_assert(strstr(m, "layer 2") && strstr(m, "xz"), "%s", m);
}

Test(layers_walk, garbage_is_parse_error)
{
    uint8_t junk[2048];
    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = (uint8_t)(i * 37 + 11);
    }
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_lt(walk_mem(&st, junk, sizeof(junk), 0, 0, NULL, 0, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_PARSE);
}

Test(layers_walk, truncated_gzip_names_layer)
{
    size_t len;
    vg_autofree uint8_t *blob = sample_tar("gzip", &len);
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_lt(walk_mem(&st, blob, len - 20, 0, 3, NULL, 0, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_PARSE);
    vg_autofree char *m = errtext(err);
    cr_assert(strstr(m, "layer 3") && strstr(m, "truncated gzip"), "%s", m);
}

Test(layers_walk, trailing_garbage_after_gzip_is_error)
{
    size_t len;
    vg_autofree uint8_t *blob = sample_tar("gzip", &len);
    vg_autofree uint8_t *more = vg_malloc(len + 16);
    memcpy(more, blob, len);
    memset(more + len, 'x', 16);
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_lt(walk_mem(&st, more, len + 16, 0, 0, NULL, 0, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_PARSE);
}

static void
check_zero_tail(const char *filter)
{
    size_t len;
    vg_autofree uint8_t *blob = sample_tar(filter, &len);
    vg_autofree uint8_t *padded = vg_calloc(len + 10240, 1);
    memcpy(padded, blob, len);
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_mem(&st, padded, len + 10240, 1000, 0, NULL, 0, &err), 0, "%s", errtext(err));
    cr_assert_eq(st.compressed_size, len + 10240);
    padded[len + 5000] = 1;
    cr_assert_lt(walk_mem(&st, padded, len + 10240, 1000, 0, NULL, 0, &err), 0);
    vg_autofree char *m = errtext(err);
    cr_assert(strstr(m, "garbage after the end"), "%s", m);
}

Test(layers_walk, zero_padding_after_gzip_accepted)
{
    check_zero_tail("gzip");
}

Test(layers_walk, zero_padding_after_zstd_accepted)
{
    check_zero_tail("zstd");
}

Test(layers_walk, corrupt_zstd_is_parse_error)
{
    struct tb *t = tb_new("zstd");
    uint8_t big[20000];
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (uint8_t)((i * 7919u) >> 3);
    }
    tb_file(t, "bin/data", big, sizeof(big));
    size_t len;
    vg_autofree uint8_t *blob = tb_finish(t, &len);
    /* Frame and first block headers: zstd without a checksum cannot see changed literals
     * (the blob digest does), but broken structure must be an error. */
    for (size_t i = 4; i < 16 && i < len; i++) {
        blob[i] ^= 0xff;
    }
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_lt(walk_mem(&st, blob, len, 0, 1, NULL, 0, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_PARSE);
    vg_autofree char *m = errtext(err);
    cr_assert(strstr(m, "layer 1") && strstr(m, "zstd"), "%s", m);
}

Test(layers_walk, truncated_zstd_is_parse_error)
{
    size_t len;
    vg_autofree uint8_t *blob = sample_tar("zstd", &len);
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_lt(walk_mem(&st, blob, len - 5, 0, 0, NULL, 0, &err), 0);
    vg_autofree char *m = errtext(err);
    cr_assert(strstr(m, "truncated zstd"), "%s", m);
}

Test(layers_walk, unsafe_names_skipped_and_counted)
{
    struct tb *t = tb_new("none");
    tb_file_str(t, "../etc/passwd", "x");
    tb_file_str(t, "/etc/shadow", "x");
    tb_file_str(t, "a/../../b", "x");
    tb_file_str(t, "./a//b/./c", "ok");
    tb_hardlink(t, "h", "../../outside");
    size_t len;
    vg_autofree uint8_t *tar = tb_finish(t, &len);
    struct rec r;
    struct vg_layer_consumer c = rec_consumer(&r, "t", VG_WANT_META, NULL);
    struct vg_layer_consumer *cs[] = {&c};
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_mem(&st, tar, len, 0, 0, cs, 1, &err), 0, "%s", errtext(err));
    cr_assert_eq(st.skipped_unsafe, 4);
    cr_assert_str_eq(r.paths, "a/b/c;");
    cr_assert_eq(st.files, 1);
    vg_buf_dispose(&r.data);
}

Test(layers_walk, symlink_escaping_root_is_data_not_followed)
{
    struct tb *t = tb_new("none");
    tb_symlink(t, "evil", "../../../../../etc/passwd");
    tb_symlink(t, "abs", "/etc/shadow");
    tb_file_str(t, "keep", "k");
    tb_hardlink(t, "keep2", "./keep");
    size_t len;
    vg_autofree uint8_t *tar = tb_finish(t, &len);
    struct rec r;
    struct vg_layer_consumer c = rec_consumer(&r, "t", VG_WANT_WHOLE, "evil");
    struct rec r2;
    struct vg_layer_consumer c2 = rec_consumer(&r2, "t2", VG_WANT_WHOLE, "keep2");
    struct vg_layer_consumer *cs[] = {&c, &c2};
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_mem(&st, tar, len, 0, 0, cs, 2, &err), 0, "%s", errtext(err));
    cr_assert_eq(r.calls, 1);
    cr_assert(r.got_null_data);
    cr_assert_eq(r.data.len, 0);
    cr_assert_str_eq(r.last_link, "../../../../../etc/passwd");
    cr_assert_eq(r.last_mode & 0170000, 0120000);
    cr_assert_eq(st.skipped_unsafe, 0);
    cr_assert_str_eq(r2.last_link, "keep");
    cr_assert(r2.got_null_data);
    vg_buf_dispose(&r.data);
    vg_buf_dispose(&r2.data);
}

Test(layers_walk, whole_stream_and_meta_consumers)
{
    uint8_t big[300000];
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (uint8_t)(i % 251);
    }
    struct tb *t = tb_new("gzip");
    tb_file_str(t, "a", "aaa");
    tb_file(t, "var/lib/big", big, sizeof(big));
    tb_dir(t, "var/lib/dir");
    size_t len;
    vg_autofree uint8_t *blob = tb_finish(t, &len);
    struct rec w, s, m;
    struct vg_layer_consumer cw = rec_consumer(&w, "whole", VG_WANT_WHOLE, "var/lib/big");
    struct vg_layer_consumer cst = rec_consumer(&s, "stream", VG_WANT_STREAM, "var/lib/big");
    struct vg_layer_consumer cm = rec_consumer(&m, "meta", VG_WANT_META, NULL);
    struct vg_layer_consumer *cs[] = {&cw, &cst, &cm};
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_mem(&st, blob, len, 4096, 5, cs, 3, &err), 0, "%s", errtext(err));
    cr_assert_eq(w.calls, 1);
    cr_assert_eq(w.data.len, sizeof(big));
    cr_assert(memcmp(w.data.data, big, sizeof(big)) == 0);
    cr_assert_gt(s.calls, 1, "300 kB arrives in several chunks");
    cr_assert_eq(s.finals, 1);
    cr_assert_eq(s.data.len, sizeof(big));
    cr_assert(memcmp(s.data.data, big, sizeof(big)) == 0);
    cr_assert_eq(m.calls, 3);
    cr_assert(m.got_null_data);
    cr_assert_eq(m.data.len, 0);
    cr_assert_str_eq(m.paths, "a;var/lib/big;var/lib/dir;");
    cr_assert_eq(m.last_uid, 1000);
    vg_buf_dispose(&w.data);
    vg_buf_dispose(&s.data);
    vg_buf_dispose(&m.data);
}

static size_t
whole_calls_with_max(size_t max)
{
    uint8_t body[100];
    memset(body, 'z', sizeof(body));
    struct tb *t = tb_new("none");
    tb_file(t, "f", body, sizeof(body));
    size_t len;
    vg_autofree uint8_t *tar = tb_finish(t, &len);
    struct rec r;
    struct vg_layer_consumer c = rec_consumer(&r, "t", VG_WANT_WHOLE, NULL);
    c.max_file_bytes = max;
    struct vg_layer_consumer *cs[] = {&c};
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_mem(&st, tar, len, 0, 0, cs, 1, &err), 0, "%s", errtext(err));
    size_t calls = r.calls;
    cr_assert_eq(r.data.len, calls ? sizeof(body) : 0);
    vg_buf_dispose(&r.data);
    return calls;
}

Test(layers_walk, max_file_bytes_exact_is_delivered)
{
    cr_assert_eq(whole_calls_with_max(100), 1);
}

Test(layers_walk, max_file_bytes_plus_one_is_skipped)
{
    cr_assert_eq(whole_calls_with_max(99), 0);
}

Test(layers_walk, whiteouts_not_handed_to_consumers)
{
    struct tb *t = tb_new("none");
    tb_file_str(t, "etc/.wh.passwd", "");
    tb_file_str(t, "var/.wh..wh..opq", "");
    tb_file_str(t, "var/new", "n");
    size_t len;
    vg_autofree uint8_t *tar = tb_finish(t, &len);
    struct rec r;
    struct vg_layer_consumer c = rec_consumer(&r, "t", VG_WANT_META, NULL);
    struct vg_layer_consumer *cs[] = {&c};
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_mem(&st, tar, len, 0, 0, cs, 1, &err), 0, "%s", errtext(err));
    cr_assert_str_eq(r.paths, "var/new;");
    cr_assert_eq(st.whiteouts, 2);
    cr_assert_eq(st.files, 1);
    vg_buf_dispose(&r.data);
}

Test(layers_walk, consumer_error_aborts_with_context)
{
    size_t len;
    vg_autofree uint8_t *tar = sample_tar("none", &len);
    struct rec r;
    struct vg_layer_consumer c = rec_consumer(&r, "dpkg", VG_WANT_WHOLE, "etc/passwd");
    r.fail_with = 1;
    struct vg_layer_consumer *cs[] = {&c};
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_lt(walk_mem(&st, tar, len, 0, 4, cs, 1, &err), 0);
    vg_autofree char *m = errtext(err);
    cr_assert(strstr(m, "layer 4") && strstr(m, "dpkg") && strstr(m, "etc/passwd"), "%s", m);
    vg_buf_dispose(&r.data);
}

/* A header claiming 8 GiB followed by 1 KiB of data: must fail fast, naming the entry. */
Test(layers_walk, huge_declared_size_truncated, .timeout = 20)
{
    uint8_t tar[512 + 1024];
    tb_ustar_header(tar, "big", 077777777777ull);
    memset(tar + 512, 'q', 1024);
    struct rec w, m;
    struct vg_layer_consumer cw = rec_consumer(&w, "whole", VG_WANT_WHOLE, NULL);
    struct vg_layer_consumer cm = rec_consumer(&m, "meta", VG_WANT_META, NULL);
    struct vg_layer_consumer *cs[] = {&cw, &cm};
    size_t glen;
    vg_autofree uint8_t *gz = tb_gzip(tar, sizeof(tar), &glen);
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_lt(walk_mem(&st, gz, glen, 0, 0, cs, 2, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_PARSE);
    vg_autofree char *msg = errtext(err);
    cr_assert(strstr(msg, "'big'"), "%s", msg);
    cr_assert_eq(w.calls, 0);
    vg_buf_dispose(&w.data);
    vg_buf_dispose(&m.data);
}

Test(layers_walk, sparse_10g_file_is_cheap, .timeout = 60)
{
    const uint64_t size = 10ull * 1024 * 1024 * 1024;
    uint8_t tail[4096];
    memset(tail, 't', sizeof(tail));
    struct tb *t = tb_new("gzip");
    tb_sparse(t, "var/sparse", size, size - sizeof(tail), tail, sizeof(tail));
    tb_file_str(t, "after", "still read");
    size_t len;
    vg_autofree uint8_t *blob = tb_finish(t, &len);
    cr_assert_lt(len, 64 * 1024, "the fixture itself stays small");
    struct rec w, s, m;
    struct vg_layer_consumer cw = rec_consumer(&w, "whole", VG_WANT_WHOLE, "var/sparse");
    struct vg_layer_consumer cst = rec_consumer(&s, "stream", VG_WANT_STREAM, "var/sparse");
    struct vg_layer_consumer cm = rec_consumer(&m, "meta", VG_WANT_META, NULL);
    struct vg_layer_consumer *cs[] = {&cw, &cst, &cm};
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_mem(&st, blob, len, 0, 0, cs, 3, &err), 0, "%s", errtext(err));
    cr_assert_eq(w.calls, 0, "larger than max_file_bytes: skipped");
    cr_assert_eq(s.data.len, sizeof(tail), "only stored extents are streamed");
    cr_assert_eq(s.finals, 1);
    cr_assert_str_eq(m.paths, "var/sparse;after;");
    cr_assert_lt(st.uncompressed_size, 1024 * 1024);
    vg_buf_dispose(&w.data);
    vg_buf_dispose(&s.data);
    vg_buf_dispose(&m.data);
}

/* ---------------------------------------------------------------- limits */

static int
walk_limited(const uint8_t *d, size_t len, const struct vg_layers_limits *lim, struct vg_err **err)
{
    struct mem_src m = {d, len, 0, 0};
    struct vg_layers_walk_args a = {.label = "layer L", .limits = lim, .hash_compressed = true};
    struct vg_layer_stats st;
    return vg_layers_walk_one(&st, mem_read, &m, &a, NULL, 0, err);
}

static uint8_t *
n_entries(size_t n, size_t *len)
{
    struct tb *t = tb_new("none");
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "f%zu", i);
        tb_file_str(t, name, "x");
    }
    return tb_finish(t, len);
}

Test(layers_walk, entry_limit_exact_and_plus_one)
{
    size_t len;
    vg_autofree uint8_t *tar = n_entries(5, &len);
    struct vg_layers_limits lim = VG_LAYERS_LIMITS_DEFAULT;
    lim.entries = 5;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_limited(tar, len, &lim, &err), 0, "%s", errtext(err));
    lim.entries = 4;
    cr_assert_lt(walk_limited(tar, len, &lim, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_LIMIT);
}

Test(layers_walk, unpacked_limit_exact_and_plus_one)
{
    size_t plen;
    vg_autofree uint8_t *plain = sample_tar("none", &plen);
    size_t len;
    vg_autofree uint8_t *gz = tb_gzip(plain, plen, &len);
    struct vg_layers_limits lim = VG_LAYERS_LIMITS_DEFAULT;
    lim.unpacked_bytes = plen;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_limited(gz, len, &lim, &err), 0, "%s", errtext(err));
    lim.unpacked_bytes = plen - 1;
    cr_assert_lt(walk_limited(gz, len, &lim, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_LIMIT);
    vg_autofree char *m = errtext(err);
    cr_assert(strstr(m, "layer L"), "%s", m);
}

Test(layers_walk, path_limit_exact_and_plus_one)
{
    struct tb *t = tb_new("none");
    tb_file_str(t, "abcdefghij", "x");
    size_t len;
    vg_autofree uint8_t *tar = tb_finish(t, &len);
    struct vg_layers_limits lim = VG_LAYERS_LIMITS_DEFAULT;
    lim.path_bytes = 10;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_limited(tar, len, &lim, &err), 0, "%s", errtext(err));
    lim.path_bytes = 9;
    cr_assert_lt(walk_limited(tar, len, &lim, &err), 0);
    cr_assert_eq(vg_err_root_code(err), VG_E_LIMIT);
}

Test(layers_walk, empty_stream_is_empty_layer)
{
    struct vg_layer_stats st;
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(walk_mem(&st, (const uint8_t *)"", 0, 0, 0, NULL, 0, &err), 0, "%s", errtext(err));
    cr_assert_eq(st.files, 0);
}

Test(layers_walk, path_normalize)
{
    char out[16];
    cr_assert_eq(vg_layers_path_normalize("./a//b/./c/", out, sizeof(out)), 5);
    cr_assert_str_eq(out, "a/b/c");
    cr_assert_eq(vg_layers_path_normalize(".", out, sizeof(out)), 0);
    cr_assert_eq(vg_layers_path_normalize("/etc", out, sizeof(out)), -1);
    cr_assert_eq(vg_layers_path_normalize("a/..", out, sizeof(out)), -1);
    cr_assert_eq(vg_layers_path_normalize("a/..b", out, sizeof(out)), 5);
    cr_assert_eq(vg_layers_path_normalize("0123456789abcdef", out, sizeof(out)), -2);
    cr_assert_eq(vg_layers_path_normalize("0123456789abcde", out, sizeof(out)), 15);
}

Test(layers_walk, pax_utf8_and_long_names_kept_verbatim)
{
    vg_autobuf struct vg_buf tar = VG_BUF_INIT(1u << 20);
    vg_autoerr struct vg_err *err = NULL;
    cr_assert_eq(vg_file_read(&tar, LAYERS_DATA "/pax-utf8-long.tar", 1u << 20, &err), 0);
    struct rec r;
    struct vg_layer_consumer c = rec_consumer(&r, "t", VG_WANT_META, NULL);
    struct vg_layer_consumer *cs[] = {&c};
    struct vg_layer_stats st;
    cr_assert_eq(walk_mem(&st, tar.data, tar.len, 0, 0, cs, 1, &err), 0, "%s", errtext(err));
    char want[400];
    char longname[301];
    memset(longname, 'l', 300);
    longname[300] = 0;
    snprintf(want, sizeof(want), "usr/share/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac;%s/x;", longname);
    cr_assert_str_eq(r.paths, want);
    vg_buf_dispose(&r.data);
}
