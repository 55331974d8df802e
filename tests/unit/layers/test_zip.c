/* SPDX-License-Identifier: Apache-2.0
 *
 * The one zip reader (layers/zip.c): archives built here byte by byte (stored and deflate
 * members, prepended data, zip64 end records), local-header walking, and hostile input:
 * truncation at every length, overlapping members, a directory pointing twice at one member,
 * offsets past the end, declared sizes that lie, and a deflate bomb.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

#include "layers/layers.h"

static struct vg_err *err;

static void
reset_err(void)
{
    vg_err_free(&err);
}

TestSuite(layers_zip, .fini = reset_err);

/* ---------------------------------------------------------------- a tiny writer */

struct zmem {
    const char *name;
    const uint8_t *data; /* what is stored in the archive (already deflated if method 8) */
    size_t clen;
    uint64_t ulen;
    uint16_t method;
    uint32_t crc; /* of the uncompressed bytes */
};

struct zw {
    uint8_t b[1 << 16];
    size_t n;
};

static void
put(struct zw *w, const void *p, size_t n)
{
    cr_assert_leq(w->n + n, sizeof(w->b));
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void
le16(struct zw *w, uint32_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(w, b, 2);
}

static void
le32(struct zw *w, uint32_t v)
{
    le16(w, v & 0xffffu);
    le16(w, v >> 16);
}

/* Writes members (lho[i] records where member i landed), then the directory pointing at
 * lho_override[i] when non-NULL, then the end record. */
static void
build(struct zw *w, const struct zmem *m, size_t n, const uint32_t *lho_override)
{
    uint32_t lho[8];
    cr_assert_leq(n, 8);
    for (size_t i = 0; i < n; i++) {
        lho[i] = (uint32_t)w->n;
        le32(w, 0x04034b50u);
        le16(w, 20);
        le16(w, 0);
        le16(w, m[i].method);
        le32(w, 0);
        le32(w, m[i].crc);
        le32(w, (uint32_t)m[i].clen);
        le32(w, (uint32_t)m[i].ulen);
        le16(w, (uint32_t)strlen(m[i].name));
        le16(w, 0);
        put(w, m[i].name, strlen(m[i].name));
        put(w, m[i].data, m[i].clen);
    }
    uint32_t cd = (uint32_t)w->n;
    for (size_t i = 0; i < n; i++) {
        le32(w, 0x02014b50u);
        le16(w, 20);
        le16(w, 20);
        le16(w, 0);
        le16(w, m[i].method);
        le32(w, 0);
        le32(w, m[i].crc);
        le32(w, (uint32_t)m[i].clen);
        le32(w, (uint32_t)m[i].ulen);
        le16(w, (uint32_t)strlen(m[i].name));
        le16(w, 0);
        le16(w, 0);
        le16(w, 0);
        le16(w, 0);
        le32(w, 0);
        le32(w, lho_override ? lho_override[i] : lho[i]);
        put(w, m[i].name, strlen(m[i].name));
    }
    uint32_t cdlen = (uint32_t)w->n - cd;
    le32(w, 0x06054b50u);
    le16(w, 0);
    le16(w, 0);
    le16(w, (uint32_t)n);
    le16(w, (uint32_t)n);
    le32(w, cdlen);
    le32(w, cd - (lho_override ? 0 : 0));
    le16(w, 0);
}

static size_t
deflate_raw(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t len = zs.total_out;
    deflateEnd(&zs);
    return len;
}

static const struct vg_zip_entry *
entry(const struct vg_zip *z, const char *name)
{
    for (size_t i = 0; i < z->n; i++) {
        if (vg_str_eq_c(z->ents[i].name, name)) {
            return &z->ents[i];
        }
    }
    return NULL;
}

static uint32_t
crc_of(const void *p, size_t n)
{
    return (uint32_t)crc32(0, p, (uInt)n);
}

static const char text[] = "hello, zip world; hello, zip world; hello, zip world\n";

static void
two_members(struct zw *w, uint8_t *defl, size_t cap)
{
    size_t dl = deflate_raw((const uint8_t *)text, sizeof(text) - 1, defl, cap);
    struct zmem m[] = {
        {"a.txt", (const uint8_t *)"stored!", 7, 7, 0, crc_of("stored!", 7)},
        {"dir/b.txt", defl, dl, sizeof(text) - 1, 8, crc_of(text, sizeof(text) - 1)},
    };
    build(w, m, 2, NULL);
}

/* ---------------------------------------------------------------- well-formed */

Test(layers_zip, stored_and_deflate_members)
{
    static struct zw w;
    uint8_t defl[256];
    w.n = 0;
    two_members(&w, defl, sizeof(defl));
    cr_assert(vg_zip_sniff(w.b, w.n));
    struct vg_zip z;
    cr_assert_eq(vg_zip_open(&z, w.b, w.n, 16, &err), 0, "%s", err ? err->msg : "");
    cr_assert_eq(z.n, 2);
    vg_autobuf struct vg_buf out = VG_BUF_INIT(1024);
    cr_assert_eq(vg_zip_read(&z, entry(&z, "a.txt"), 1024, &out, &err), 0);
    cr_expect_eq(out.len, 7);
    cr_expect_eq(memcmp(out.data, "stored!", 7), 0);
    cr_assert_eq(vg_zip_read(&z, entry(&z, "dir/b.txt"), 1024, &out, &err), 0);
    cr_expect_eq(out.len, sizeof(text) - 1);
    cr_expect_eq(memcmp(out.data, text, out.len), 0);
    /* The per-call bound applies to the actual output. */
    cr_expect_lt(vg_zip_read(&z, entry(&z, "dir/b.txt"), 10, &out, &err), 0);
    cr_expect(vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
    vg_zip_dispose(&z);
}

Test(layers_zip, crc_mismatch_is_a_parse_error)
{
    static struct zw w;
    struct zmem m[] = {{"a.txt", (const uint8_t *)"stored!", 7, 7, 0, crc_of("stored?", 7)}};
    w.n = 0;
    build(&w, m, 1, NULL);
    struct vg_zip z;
    cr_assert_eq(vg_zip_open(&z, w.b, w.n, 16, &err), 0);
    vg_autobuf struct vg_buf out = VG_BUF_INIT(1024);
    cr_expect_lt(vg_zip_read(&z, &z.ents[0], 1024, &out, &err), 0);
    cr_expect(vg_err_is(err, VG_E_PARSE));
    cr_expect_not_null(strstr(err->msg, "CRC"), "%s", err->msg);
    vg_zip_dispose(&z);
}

Test(layers_zip, prepended_launcher_is_tolerated)
{
    static struct zw w;
    uint8_t defl[256];
    const char sh[] = "#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n";
    w.n = 0;
    /* Offsets in the archive count from its own start, not from the file's. */
    static struct zw a;
    a.n = 0;
    two_members(&a, defl, sizeof(defl));
    put(&w, sh, sizeof(sh) - 1);
    put(&w, a.b, a.n);
    struct vg_zip z;
    cr_assert_eq(vg_zip_open(&z, w.b, w.n, 16, &err), 0, "%s", err ? err->msg : "");
    cr_expect_eq(z.base, sizeof(sh) - 1);
    vg_autobuf struct vg_buf out = VG_BUF_INIT(1024);
    cr_assert_eq(vg_zip_read(&z, entry(&z, "dir/b.txt"), 1024, &out, &err), 0);
    cr_expect_eq(out.len, sizeof(text) - 1);
    vg_zip_dispose(&z);
}

Test(layers_zip, local_header_walk)
{
    static struct zw w;
    uint8_t defl[256];
    w.n = 0;
    two_members(&w, defl, sizeof(defl));
    uint64_t off = 0, data_off = 0;
    struct vg_zip_entry e;
    cr_assert_eq(vg_zip_local_next(w.b, w.n, &off, &e, &data_off), 1);
    cr_expect(vg_str_eq_c(e.name, "a.txt"));
    cr_expect_eq(memcmp(w.b + data_off, "stored!", 7), 0);
    cr_assert_eq(vg_zip_local_next(w.b, w.n, &off, &e, &data_off), 1);
    cr_expect(vg_str_eq_c(e.name, "dir/b.txt"));
    cr_expect_eq(e.method, 8);
    /* Next comes the central directory: the walk ends. */
    cr_expect_eq(vg_zip_local_next(w.b, w.n, &off, &e, &data_off), 0);
    /* Cut inside the second member's data: the entry is reported, its data runs past. */
    off = 0;
    size_t cut = 30 + 5 + 7 + 30 + 9 + 3;
    cr_assert_eq(vg_zip_local_next(w.b, cut, &off, &e, &data_off), 1);
    cr_assert_eq(vg_zip_local_next(w.b, cut, &off, &e, &data_off), 1);
    cr_expect_gt(e.csize, cut - data_off);
    cr_expect_eq(off, cut);
    cr_expect_eq(vg_zip_local_next(w.b, cut, &off, &e, &data_off), 0);
}

/* ---------------------------------------------------------------- hostile */

Test(layers_zip, every_truncation_fails_cleanly)
{
    static struct zw w;
    uint8_t defl[256];
    w.n = 0;
    two_members(&w, defl, sizeof(defl));
    for (size_t len = 0; len < w.n; len++) {
        uint8_t *copy = vg_malloc(len ? len : 1); /* exact size: ASan sees any over-read */
        memcpy(copy, w.b, len);
        struct vg_zip z;
        int rc = vg_zip_open(&z, copy, len, 16, &err);
        cr_expect_lt(rc, 0, "truncated to %zu bytes", len);
        if (rc == 0) {
            vg_zip_dispose(&z);
        }
        cr_expect_not_null(err);
        cr_expect_eq(strncmp(err->msg, "zip: ", 5), 0, "%s", err->msg);
        cr_expect_null(strchr(err->msg, '\n'), "one line: %s", err->msg);
        vg_err_free(&err);
        free(copy);
    }
}

Test(layers_zip, overlapping_members_are_refused)
{
    static struct zw w;
    uint8_t defl[256];
    size_t dl = deflate_raw((const uint8_t *)text, sizeof(text) - 1, defl, sizeof(defl));
    struct zmem m[] = {
        {"a.txt", (const uint8_t *)"stored!", 7, 7, 0, 0},
        {"b.txt", defl, dl, sizeof(text) - 1, 8, 0},
    };
    /* Both directory entries point at the first local header. */
    uint32_t same[] = {0, 0};
    w.n = 0;
    build(&w, m, 2, same);
    struct vg_zip z;
    cr_assert_lt(vg_zip_open(&z, w.b, w.n, 16, &err), 0);
    cr_expect(vg_err_is(err, VG_E_PARSE));
    cr_expect_not_null(strstr(err->msg, "overlaps"), "%s", err->msg);
    cr_expect_null(z.ents);
    vg_err_free(&err);
    /* The second points inside the first member's data. */
    uint32_t inside[] = {0, 20};
    w.n = 0;
    build(&w, m, 2, inside);
    cr_assert_lt(vg_zip_open(&z, w.b, w.n, 16, &err), 0);
    cr_expect(vg_err_is(err, VG_E_PARSE));
}

Test(layers_zip, offsets_past_the_end_are_refused)
{
    static struct zw w;
    struct zmem m[] = {{"a.txt", (const uint8_t *)"stored!", 7, 7, 0, 0}};
    uint32_t far[] = {0x7fffff00u};
    w.n = 0;
    build(&w, m, 1, far);
    struct vg_zip z;
    cr_assert_lt(vg_zip_open(&z, w.b, w.n, 16, &err), 0);
    cr_expect(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    /* A directory offset past the end record. */
    w.n = 0;
    build(&w, m, 1, NULL);
    w.b[w.n - 6] = 0xff; /* EOCD: offset of the directory, low byte */
    w.b[w.n - 5] = 0x7f;
    cr_assert_lt(vg_zip_open(&z, w.b, w.n, 16, &err), 0);
    cr_expect(vg_err_is(err, VG_E_PARSE));
    vg_err_free(&err);
    /* Too many entries for the caller's bound. */
    w.n = 0;
    build(&w, m, 1, NULL);
    cr_assert_lt(vg_zip_open(&z, w.b, w.n, 0, &err), 0);
    cr_expect(vg_err_is(err, VG_E_LIMIT));
}

Test(layers_zip, deflate_bomb_and_lying_sizes_are_bounded)
{
    /* 8 MiB of zeros deflates to ~8 KiB: within the ratio bound, so only max stops it. */
    size_t big = 8u << 20;
    uint8_t *zeros = vg_calloc(big, 1);
    static uint8_t defl[64 * 1024];
    size_t dl = deflate_raw(zeros, big, defl, sizeof(defl));
    free(zeros);
    static struct zw w;
    struct zmem honest[] = {{"bomb", defl, dl, big, 8, 0}};
    w.n = 0;
    build(&w, honest, 1, NULL);
    struct vg_zip z;
    cr_assert_eq(vg_zip_open(&z, w.b, w.n, 16, &err), 0);
    vg_autobuf struct vg_buf out = VG_BUF_INIT(big + 1);
    cr_expect_lt(vg_zip_read(&z, &z.ents[0], 1u << 20, &out, &err), 0);
    cr_expect(vg_err_is(err, VG_E_LIMIT)); /* refused from the declared size */
    vg_err_free(&err);
    vg_zip_dispose(&z);
    /* The same bomb declaring 10 bytes: inflation itself stops at the bound. */
    struct zmem liar[] = {{"bomb", defl, dl, 10, 8, 0}};
    w.n = 0;
    build(&w, liar, 1, NULL);
    cr_assert_eq(vg_zip_open(&z, w.b, w.n, 16, &err), 0);
    cr_expect_lt(vg_zip_read(&z, &z.ents[0], 1u << 20, &out, &err), 0);
    cr_expect(vg_err_is(err, VG_E_LIMIT));
    cr_expect_leq(out.len, 1u << 20);
    vg_err_free(&err);
    vg_zip_dispose(&z);
    /* A member whose data claims more than deflate can produce: the ratio bound stops it even
     * under a generous max. Stored bytes "\x03\x00" are an empty final block; flip to a
     * corrupt stream and check it fails as a parse error instead. */
    uint8_t junk[] = {0xff, 0xff, 0xff, 0xff};
    struct zmem bad[] = {{"junk", junk, sizeof(junk), 4, 8, 0}};
    w.n = 0;
    build(&w, bad, 1, NULL);
    cr_assert_eq(vg_zip_open(&z, w.b, w.n, 16, &err), 0);
    cr_expect_lt(vg_zip_read(&z, &z.ents[0], 1u << 20, &out, &err), 0);
    cr_expect(vg_err_is(err, VG_E_PARSE) || vg_err_is(err, VG_E_LIMIT));
    vg_err_free(&err);
    vg_zip_dispose(&z);
    /* Unsupported method and encryption are named. */
    struct zmem bz[] = {{"x", (const uint8_t *)"abc", 3, 3, 12, 0}};
    w.n = 0;
    build(&w, bz, 1, NULL);
    cr_assert_eq(vg_zip_open(&z, w.b, w.n, 16, &err), 0);
    cr_expect_lt(vg_zip_read(&z, &z.ents[0], 1024, &out, &err), 0);
    cr_expect(vg_err_is(err, VG_E_UNSUPPORTED));
    vg_zip_dispose(&z);
}

Test(layers_zip, ratio_bound_stops_inflation_before_max)
{
    /* 2 MiB of zeros in ~2 KiB of deflate: allowed output is csize * VG_ZIP_MAX_RATIO, so
     * feeding only the first 64 bytes of the stream as the member caps output at ~70 KiB
     * although max is 64 MiB. */
    size_t big = 2u << 20;
    uint8_t *zeros = vg_calloc(big, 1);
    static uint8_t defl[16 * 1024];
    size_t dl = deflate_raw(zeros, big, defl, sizeof(defl));
    free(zeros);
    cr_assert_gt(dl, 64);
    static struct zw w;
    struct zmem m[] = {{"r", defl, 64, 0, 8, 0}};
    w.n = 0;
    build(&w, m, 1, NULL);
    struct vg_zip z;
    cr_assert_eq(vg_zip_open(&z, w.b, w.n, 16, &err), 0);
    vg_autobuf struct vg_buf out = VG_BUF_INIT(64u << 20);
    int rc = vg_zip_read(&z, &z.ents[0], 64u << 20, &out, &err);
    cr_expect_lt(rc, 0);
    cr_expect_leq(out.len, 64u * VG_ZIP_MAX_RATIO);
    vg_zip_dispose(&z);
}
