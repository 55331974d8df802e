/* layers/codec.c: the bounded inflate API and the streaming reader other modules decompress
 * through (inventory/rustbin.c, vulndb/nvd.c). Compressed inputs are made with zlib and zstd
 * directly (tests may; src/ outside layers/ may not). */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "layers/layers.h"

/* deflate with windowBits: 15 zlib, -15 raw, 31 gzip. Caller frees. */
static uint8_t *
deflate_as(int bits, const void *p, size_t n, size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, bits, 9, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)p;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *outlen = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

static uint8_t *
pattern(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(i * 7 + i / 251);
    }
    return p;
}

Test(layers_codec, inflate_buf_round_trips_every_format)
{
    size_t n = 300000, clen;
    uint8_t *p = pattern(n);
    const int bits[] = {15, -15, 31};
    const enum vg_inflate_fmt fmts[] = {VG_INFLATE_ZLIB, VG_INFLATE_RAW, VG_INFLATE_GZIP};
    for (size_t i = 0; i < 3; i++) {
        uint8_t *c = deflate_as(bits[i], p, n, &clen);
        struct vg_buf out = VG_BUF_INIT(1 << 20);
        struct vg_err *err = NULL;
        cr_assert(vg_buf_append(&out, "pre", 3, &err) == 0);
        cr_assert_eq(vg_inflate_buf(fmts[i], c, clen, n, &out, &err), 0, "%s", err ? err->msg : "");
        cr_assert_eq(out.len, 3 + n);
        cr_assert(memcmp(out.data + 3, p, n) == 0, "appended after what was there");
        /* exactly at the cap is fine, one below is the limit, and out is left as it was */
        out.len = 3;
        cr_assert_lt(vg_inflate_buf(fmts[i], c, clen, n - 1, &out, &err), 0);
        cr_assert(vg_err_is(err, VG_E_LIMIT), "%s", err->msg);
        cr_assert_eq(out.len, 3);
        vg_err_free(&err);
        vg_buf_dispose(&out);
        free(c);
    }
    free(p);
}

Test(layers_codec, bomb_stops_at_the_cap)
{
    size_t n = 64u << 20, clen; /* 64 MiB of zeros in ~64 KiB */
    uint8_t *zeros = calloc(1, n);
    uint8_t *c = deflate_as(15, zeros, n, &clen);
    free(zeros);
    cr_assert_lt(clen, 100000);
    struct vg_buf out = VG_BUF_INIT(SIZE_MAX / 2);
    struct vg_err *err = NULL;
    cr_assert_lt(vg_inflate_buf(VG_INFLATE_ZLIB, c, clen, 1u << 20, &out, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT), "%s", err->msg);
    cr_assert(strstr(err->msg, "1048576"), "%s", err->msg);
    cr_assert_lt(out.cap, 4u << 20, "memory stayed near the cap (%zu)", out.cap);
    vg_err_free(&err);
    vg_buf_dispose(&out);
    free(c);
}

Test(layers_codec, truncated_bad_header_and_trailing_bytes)
{
    size_t n = 100000, clen;
    uint8_t *p = pattern(n);
    uint8_t *c = deflate_as(15, p, n, &clen);
    struct vg_err *err = NULL;
    struct vg_buf out = VG_BUF_INIT(1 << 20);
    const size_t cuts[] = {0, 1, 2, 100, clen / 2, clen - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        cr_assert_lt(vg_inflate_buf(VG_INFLATE_ZLIB, c, cuts[i], n, &out, &err), 0, "cut %zu",
                     cuts[i]);
        cr_assert(vg_err_is(err, VG_E_PARSE), "%s", err->msg);
        cr_assert(strstr(err->msg, "truncated zlib"), "%s", err->msg);
        cr_assert_eq(out.len, 0);
        vg_err_free(&err);
    }
    /* a zlib header whose check bits are wrong, and a gzip header for the zlib format */
    static const uint8_t badfcheck[] = {0x78, 0x9d, 0x03, 0x00};
    cr_assert_lt(vg_inflate_buf(VG_INFLATE_ZLIB, badfcheck, 4, n, &out, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE) && strstr(err->msg, "corrupt zlib"), "%s", err->msg);
    vg_err_free(&err);
    size_t glen;
    uint8_t *g = deflate_as(31, p, 10, &glen);
    cr_assert_lt(vg_inflate_buf(VG_INFLATE_ZLIB, g, glen, n, &out, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE), "%s", err->msg);
    vg_err_free(&err);
    g[0] ^= 0xff; /* gzip magic broken */
    cr_assert_lt(vg_inflate_buf(VG_INFLATE_GZIP, g, glen, n, &out, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE) && strstr(err->msg, "corrupt gzip"), "%s", err->msg);
    vg_err_free(&err);
    /* a preset dictionary is refused, not waited for */
    static const uint8_t fdict[] = {0x78, 0xbb, 0, 0, 0, 1, 0x03, 0x00};
    cr_assert_lt(vg_inflate_buf(VG_INFLATE_ZLIB, fdict, sizeof(fdict), n, &out, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE), "%s", err->msg);
    vg_err_free(&err);
    /* bytes after the end of the stream */
    uint8_t *t = malloc(clen + 3);
    memcpy(t, c, clen);
    memcpy(t + clen, "xyz", 3);
    cr_assert_lt(vg_inflate_buf(VG_INFLATE_ZLIB, t, clen + 3, n, &out, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE) && strstr(err->msg, "3 bytes after"), "%s", err->msg);
    vg_err_free(&err);
    vg_buf_dispose(&out);
    free(t);
    free(g);
    free(c);
    free(p);
}

Test(layers_codec, inflater_incremental_and_reset)
{
    size_t n = 50000, clen;
    uint8_t *p = pattern(n);
    uint8_t *c = deflate_as(15, p, n, &clen);
    struct vg_inflater *z = vg_inflater_new(VG_INFLATE_ZLIB);
    uint8_t *out = malloc(n);
    for (int round = 0; round < 2; round++) {
        /* one input byte and at most 1000 output bytes at a time */
        size_t have = 0, fed = 0;
        int r = 0;
        while (r == 0) {
            const uint8_t *in = c + fed;
            size_t left = fed < clen ? 1 : 0, got = 0;
            size_t room = n - have < 1000 ? n - have : 1000;
            r = vg_inflater_run(z, &in, &left, out + have, room, &got, NULL);
            cr_assert_geq(r, 0);
            fed += (size_t)(in - (c + fed));
            have += got;
            cr_assert(fed <= clen && have <= n);
            cr_assert(got > 0 || fed < clen || r == 1, "no progress");
        }
        cr_assert_eq(have, n);
        cr_assert(memcmp(out, p, n) == 0);
        vg_inflater_reset(z);
    }
    /* corrupt input: VG_E_PARSE, err may be NULL */
    static const uint8_t junk[] = {0x78, 0x9c, 0xff, 0xff, 0xff, 0xff};
    const uint8_t *in = junk;
    size_t left = sizeof(junk), got;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_inflater_run(z, &in, &left, out, n, &got, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE), "%s", err ? err->msg : "");
    vg_err_free(&err);
    vg_inflater_free(z);
    free(out);
    free(c);
    free(p);
}

/* ---------------------------------------------------------------- streaming reader */

static int
memfd_of(const void *p, size_t n)
{
    int fd = memfd_create("vg-codec", MFD_CLOEXEC);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, p, n), (ssize_t)n);
    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* Reads all of fd through vg_zread; returns rc, the bytes in *out. */
static int
zread_all(const void *p, size_t n, uint64_t max, struct vg_buf *out, const char **kind,
          struct vg_err **err)
{
    int fd = memfd_of(p, n);
    struct vg_zread *r = NULL;
    int rc = vg_zread_open(&r, fd, "feed.json.gz", max, err);
    while (rc == 0) {
        const uint8_t *d;
        size_t len;
        rc = vg_zread_read(r, &d, &len, err);
        if (rc < 0 || len == 0) {
            break;
        }
        rc = vg_buf_append(out, d, len, err);
    }
    if (r && kind) {
        *kind = vg_zread_compression(r);
    }
    vg_zread_close(r);
    close(fd);
    return rc;
}

Test(layers_codec, zread_plain_gzip_multimember_and_zstd)
{
    size_t n = 400000, g1, g2;
    uint8_t *p = pattern(n);
    uint8_t *a = deflate_as(31, p, n / 3, &g1), *b = deflate_as(31, p + n / 3, n - n / 3, &g2);
    uint8_t *gz = malloc(g1 + g2);
    memcpy(gz, a, g1);
    memcpy(gz + g1, b, g2);
    size_t zcap = ZSTD_compressBound(n) + 8;
    uint8_t *zs = malloc(zcap + 8);
    static const uint8_t skip[] = {0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0};
    memcpy(zs, skip, 8);
    size_t zlen = ZSTD_compress(zs + 8, zcap, p, n, 3);
    cr_assert(!ZSTD_isError(zlen));
    const struct {
        const uint8_t *d;
        size_t n;
        const char *kind;
    } cases[] = {{p, n, "none"}, {gz, g1 + g2, "gzip"}, {zs, zlen + 8, "zstd"}};
    for (size_t i = 0; i < 3; i++) {
        struct vg_buf out = VG_BUF_INIT(1 << 20);
        struct vg_err *err = NULL;
        const char *kind = NULL;
        cr_assert_eq(zread_all(cases[i].d, cases[i].n, n, &out, &kind, &err), 0, "%s",
                     err ? err->msg : "");
        cr_assert_str_eq(kind, cases[i].kind);
        cr_assert_eq(out.len, n);
        cr_assert(memcmp(out.data, p, n) == 0);
        /* one byte less than the content is the limit */
        vg_buf_reset(&out);
        cr_assert_lt(zread_all(cases[i].d, cases[i].n, n - 1, &out, NULL, &err), 0);
        cr_assert(vg_err_is(err, VG_E_LIMIT), "%s", err->msg);
        cr_assert(strstr(err->msg, "feed.json.gz: more than"), "%s", err->msg);
        vg_err_free(&err);
        vg_buf_dispose(&out);
    }
    /* an empty file is an empty plain stream */
    struct vg_buf out = VG_BUF_INIT(16);
    struct vg_err *err = NULL;
    cr_assert_eq(zread_all("", 0, 10, &out, NULL, &err), 0);
    cr_assert_eq(out.len, 0);
    vg_buf_dispose(&out);
    free(a);
    free(b);
    free(gz);
    free(zs);
    free(p);
}

Test(layers_codec, zread_truncated_corrupt_bomb_and_refused)
{
    size_t n = 200000, glen;
    uint8_t *p = pattern(n);
    uint8_t *g = deflate_as(31, p, n, &glen);
    struct vg_buf out = VG_BUF_INIT(SIZE_MAX / 2);
    struct vg_err *err = NULL;
    const size_t cuts[] = {2, 10, glen / 2, glen - 1};
    for (size_t i = 0; i < 4; i++) {
        vg_buf_reset(&out);
        cr_assert_lt(zread_all(g, cuts[i], UINT64_MAX, &out, NULL, &err), 0);
        cr_assert(vg_err_is(err, VG_E_PARSE), "%s", err->msg);
        cr_assert(strstr(err->msg, "feed.json.gz: truncated gzip stream"), "%s", err->msg);
        vg_err_free(&err);
    }
    g[glen / 2] ^= 0x55;
    g[glen / 2 + 1] ^= 0xaa;
    vg_buf_reset(&out);
    cr_assert_lt(zread_all(g, glen, UINT64_MAX, &out, NULL, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE), "%s", err->msg);
    cr_assert(strstr(err->msg, "feed.json.gz: "), "%s", err->msg);
    vg_err_free(&err);
    /* 64 MiB of zeros stop at an 8 MiB bound */
    size_t zn = 64u << 20, zlen;
    uint8_t *zeros = calloc(1, zn);
    uint8_t *bomb = deflate_as(31, zeros, zn, &zlen);
    free(zeros);
    vg_buf_reset(&out);
    cr_assert_lt(zread_all(bomb, zlen, 8u << 20, &out, NULL, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT), "%s", err->msg);
    cr_assert_leq(out.len, 8u << 20);
    vg_err_free(&err);
    /* xz and bzip2 are recognized and refused, not read as plain bytes */
    static const uint8_t xz[] = {0xfd, '7', 'z', 'X', 'Z', 0, 0, 0};
    cr_assert_lt(zread_all(xz, sizeof(xz), 100, &out, NULL, &err), 0);
    cr_assert(vg_err_is(err, VG_E_UNSUPPORTED) && strstr(err->msg, "xz"), "%s", err->msg);
    vg_err_free(&err);
    cr_assert_lt(zread_all("BZh91AY&SY", 10, 100, &out, NULL, &err), 0);
    cr_assert(vg_err_is(err, VG_E_UNSUPPORTED) && strstr(err->msg, "bzip2"), "%s", err->msg);
    vg_err_free(&err);
    vg_buf_dispose(&out);
    free(bomb);
    free(g);
    free(p);
}

/* ---------------------------------------------------------------- gzip layers: igzip vs zlib
 * Gzip layers are inflated by ISA-L (lz.c), everything else by zlib. The reference below is
 * the zlib reader lz.c used before (multi-member, zero padding after the last member accepted,
 * anything else after it refused): on intact, truncated and damaged streams both must accept
 * exactly the same inputs and produce exactly the same bytes. */

/* 1: accepted, *out filled; 0: refused. */
static int
zlib_reference(const uint8_t *in, size_t n, struct vg_buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    cr_assert_eq(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
    size_t pos = 0;
    int ok = 0;
    uint8_t buf[4096];
    for (;;) {
        zs.next_in = (Bytef *)(uintptr_t)(in + pos);
        zs.avail_in = (uInt)(n - pos);
        zs.next_out = buf;
        zs.avail_out = sizeof(buf);
        int r = inflate(&zs, Z_NO_FLUSH);
        pos = n - zs.avail_in;
        size_t got = sizeof(buf) - zs.avail_out;
        cr_assert_eq(vg_buf_append(out, buf, got, NULL), 0);
        if (r == Z_STREAM_END) {
            size_t z = pos;
            while (z < n && in[z] == 0) {
                z++;
            }
            if (pos == n || (in[pos] == 0 && z == n)) {
                ok = 1;
                break;
            }
            if (in[pos] == 0) {
                break; /* garbage after zero padding */
            }
            cr_assert_eq(inflateReset(&zs), Z_OK);
            continue;
        }
        if ((r != Z_OK && r != Z_BUF_ERROR) || (got == 0 && pos == n)) {
            break;
        }
    }
    inflateEnd(&zs);
    return ok;
}

/* A gzip member with every optional header field (FEXTRA, FNAME, FCOMMENT, FHCRC). */
static uint8_t *
gzip_with_header(const void *p, size_t n, int level, size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    cr_assert_eq(deflateInit2(&zs, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    static uint8_t extra[] = {'V', 'g', 2, 0, 'o', 'k'};
    static uint8_t name[] = "layer.tar", comment[] = "made by the test";
    gz_header h = {.text = 0,
                   .time = 1700000000,
                   .os = 3,
                   .extra = extra,
                   .extra_len = sizeof(extra),
                   .name = name,
                   .comment = comment,
                   .hcrc = 1};
    cr_assert_eq(deflateSetHeader(&zs, &h), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n) + 256;
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)p;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *outlen = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

static void
agree(const uint8_t *in, size_t n, const char *what, size_t at)
{
    struct vg_buf want = VG_BUF_INIT(SIZE_MAX / 2), got = VG_BUF_INIT(SIZE_MAX / 2);
    struct vg_err *err = NULL;
    int ref = zlib_reference(in, n, &want);
    int rc = zread_all(in, n, UINT64_MAX, &got, NULL, &err);
    cr_assert_eq(rc == 0, ref == 1, "%s at %zu: zlib %s, igzip %s (%s)", what, at,
                 ref ? "accepts" : "refuses", rc == 0 ? "accepts" : "refuses", err ? err->msg : "");
    if (ref) {
        cr_assert_eq(got.len, want.len, "%s at %zu", what, at);
        cr_assert(memcmp(got.data, want.data, got.len) == 0, "%s at %zu", what, at);
    } else {
        cr_assert(vg_err_is(err, VG_E_PARSE), "%s at %zu: %s", what, at, err->msg);
        cr_assert(strstr(err->msg, "feed.json.gz: ") && strstr(err->msg, "gzip"), "%s", err->msg);
    }
    vg_err_free(&err);
    vg_buf_dispose(&want);
    vg_buf_dispose(&got);
}

Test(layers_codec, gzip_layers_igzip_agrees_with_zlib, .timeout = 120)
{
    /* Text-like and incompressible runs, so stored, fixed and dynamic blocks all occur. */
    size_t n = 300000;
    uint8_t *p = pattern(n);
    uint32_t x = 2463534242u;
    for (size_t i = 100000; i < 140000; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    size_t l1, l2, l3;
    uint8_t *m1 = gzip_with_header(p, n / 2, 6, &l1);
    uint8_t *m2 = deflate_as(31, p + n / 2, n - n / 2, &l2);
    uint8_t *m3 = gzip_with_header("", 0, 1, &l3); /* an empty member */
    size_t len = l1 + l2 + l3;
    uint8_t *gz = malloc(len + 64);
    memcpy(gz, m1, l1);
    memcpy(gz + l1, m2, l2);
    memcpy(gz + l1 + l2, m3, l3);
    agree(gz, len, "intact", 0);
    /* every cut near the member boundaries and the headers, and a spread of others (from 2
     * bytes: shorter is no gzip magic, so plain bytes) */
    for (size_t c = 2; c < len;
         c += (c < 64 || (c + 64 > l1 && c < l1 + 64) || c + 64 > len) ? 1 : 997) {
        agree(gz, c, "cut", c);
    }
    /* damage: each header byte (past the magic, whose loss makes plain bytes), then bytes
     * spread over the deflate data and the trailers */
    uint8_t *d = malloc(len);
    for (size_t i = 2; i < len; i += i < 48 || (i + 16 > l1 && i < l1 + 16) ? 1 : 389) {
        for (unsigned v = 0; v < 3; v++) {
            memcpy(d, gz, len);
            d[i] ^= (uint8_t)(v == 0 ? 0x01 : v == 1 ? 0x80 : 0x5a);
            agree(d, len, "damaged byte", i);
        }
    }
    for (size_t i = 0; i < 8; i++) { /* CRC-32 and ISIZE of the last member */
        memcpy(d, gz, len);
        d[len - 1 - i] ^= 0x10;
        agree(d, len, "damaged trailer byte", len - 1 - i);
    }
    /* zero padding is accepted, anything after it or after the last member is not */
    memset(gz + len, 0, 64);
    agree(gz, len + 64, "zero padding", len);
    gz[len + 40] = 7;
    agree(gz, len + 64, "garbage in the padding", len + 40);
    gz[len] = 'x';
    agree(gz, len + 1, "a byte after the end", len);
    free(d);
    free(gz);
    free(m1);
    free(m2);
    free(m3);
    free(p);
}
