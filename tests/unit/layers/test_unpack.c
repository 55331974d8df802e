/* Compressed docker-archive files: the unpacker (layers/unpack.c) and opening through
 * vg_layers_image_open (moved here from tests/unit/oci/test_archive.c with the code). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/compress.h"
#include "layers/layers.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../support/ustar.h"

struct bytes {
    uint8_t *p;
    size_t len;
};

static void
put(struct bytes *b, const void *p, size_t n)
{
    b->p = realloc(b->p, b->len + n + 1);
    cr_assert_not_null(b->p);
    if (n) {
        memcpy(b->p + b->len, p, n);
    }
    b->len += n;
}

static void
put_le(struct bytes *b, uint32_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        put(b, &c, 1);
    }
}

static uint32_t
crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
        }
    }
    return ~c;
}

/* One gzip member of deflate "stored" blocks (RFC 1951 3.2.4): no compressor needed. */
static void
gz_member(struct bytes *b, const uint8_t *p, size_t n)
{
    static const uint8_t head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    put(b, head, sizeof(head));
    size_t off = 0;
    do {
        size_t k = n - off > 65535 ? 65535 : n - off;
        uint8_t final = off + k == n ? 1 : 0;
        put(b, &final, 1);
        put_le(b, (uint32_t)k, 2);
        put_le(b, (uint32_t)(~k & 0xffffu), 2);
        put(b, p + off, k);
        off += k;
    } while (off < n);
    put_le(b, crc32_of(p, n), 4);
    put_le(b, (uint32_t)n, 4);
}

static struct bytes
gz(const void *p, size_t n)
{
    struct bytes b = {0};
    gz_member(&b, p, n);
    return b;
}

/* A zstd frame (RFC 8878) of raw blocks, no checksum; window 2 MiB. */
static void
zst_head(struct bytes *b)
{
    static const uint8_t head[6] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58};
    put(b, head, sizeof(head));
}

static void
zst_block(struct bytes *b, int type, bool last, const uint8_t *p, size_t n)
{
    put_le(b, (uint32_t)(n << 3 | (size_t)type << 1 | (last ? 1u : 0u)), 3);
    put(b, p, type == 1 ? 1 : n);
}

static struct bytes
zst(const void *p, size_t n)
{
    struct bytes b = {0};
    zst_head(&b);
    size_t off = 0;
    do {
        size_t k = n - off > 65536 ? 65536 : n - off;
        zst_block(&b, 0, off + k == n, (const uint8_t *)p + off, k);
        off += k;
    } while (off < n);
    return b;
}

static int
memfd_of(const struct bytes *b)
{
    int fd = memfd_create("vg-test", MFD_CLOEXEC);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, b->p, b->len), (ssize_t)b->len);
    return fd;
}

static size_t
dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    }
    closedir(d);
    return n;
}

struct unpacked {
    int rc;
    uint8_t *data;
    uint64_t size;
    struct vg_err *err;
};

/* Unpacks `in` with a private tmpdir and checks nothing is left in it on any outcome. */
static struct unpacked
unpack(const struct bytes *in, uint64_t max, uint64_t min_free)
{
    char dir[] = "/tmp/vg-unpack-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct vg_layers_unpack_opts o = {.max_bytes = max, .min_free_bytes = min_free, .tmpdir = dir};
    struct unpacked u = {0};
    int in_fd = memfd_of(in), fd = -1;
    u.rc = vg_layers_unpack_file(&fd, &u.size, in_fd, "t.tar.x", &o, &u.err);
    close(in_fd);
    cr_assert_eq(dir_entries(dir), 0, "temporary file left in %s", dir);
    if (u.rc == 0) {
        u.data = malloc(u.size + 1);
        cr_assert_eq(pread(fd, u.data, u.size, 0), (ssize_t)u.size);
        uint8_t extra;
        cr_assert_eq(pread(fd, &extra, 1, (off_t)u.size), 0);
        close(fd);
    } else {
        cr_assert_not_null(u.err);
    }
    rmdir(dir);
    return u;
}

static void
unpacked_dispose(struct unpacked *u)
{
    free(u->data);
    vg_err_free(&u->err);
}

static uint8_t *
pattern(size_t n)
{
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(i * 7 + i / 251);
    }
    return p;
}

Test(layers_unpack, sniffs_magic_only)
{
    static const uint8_t gzm[] = {0x1f, 0x8b, 8}, zsm[] = {0x28, 0xb5, 0x2f, 0xfd},
                         xzm[] = {0xfd, '7', 'z', 'X', 'Z', 0}, bzm[] = "BZh9";
    cr_assert_eq(vg_compression_detect(gzm, 3), VG_COMP_GZIP);
    cr_assert_eq(vg_compression_detect(gzm, 1), VG_COMP_NONE);
    cr_assert_eq(vg_compression_detect(zsm, 4), VG_COMP_ZSTD);
    cr_assert_eq(vg_compression_detect(zsm, 3), VG_COMP_NONE);
    cr_assert_eq(vg_compression_detect(xzm, 6), VG_COMP_XZ);
    cr_assert_eq(vg_compression_detect(bzm, 4), VG_COMP_BZIP2);
    cr_assert_eq(vg_compression_detect((const uint8_t *)"manife", 6), VG_COMP_NONE);
    cr_assert_str_eq(vg_compression_name(VG_COMP_ZSTD), "zstd");
}

Test(layers_unpack, gzip_and_zstd_round_trip)
{
    size_t n = 200000; /* several stored/raw blocks */
    uint8_t *p = pattern(n);
    struct bytes g = gz(p, n), z = zst(p, n);
    gz_member(&g, p, 1000); /* multi-member gzip, as `cat a.gz b.gz` */
    struct unpacked u = unpack(&g, 0, 0);
    cr_assert_eq(u.rc, 0, "%s", u.err ? u.err->msg : "");
    cr_assert_eq(u.size, n + 1000);
    cr_assert(memcmp(u.data, p, n) == 0 && memcmp(u.data + n, p, 1000) == 0);
    unpacked_dispose(&u);
    u = unpack(&z, 0, 0);
    cr_assert_eq(u.rc, 0, "%s", u.err ? u.err->msg : "");
    cr_assert_eq(u.size, n);
    cr_assert(memcmp(u.data, p, n) == 0);
    unpacked_dispose(&u);
    free(p);
    free(g.p);
    free(z.p);
}

/* A zstd skippable frame (RFC 8878 3.1.2) first: the detector and the decoder agree that it
 * is zstd (oci/archive_unpack.c used to call such a file uncompressed). */
Test(layers_unpack, zstd_skippable_frame_first)
{
    size_t n = 70000;
    uint8_t *p = pattern(n);
    struct bytes z = {0};
    static const uint8_t skip[] = {0x53, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
    put(&z, skip, sizeof(skip));
    struct bytes body = zst(p, n);
    put(&z, body.p, body.len);
    put(&z, skip, sizeof(skip)); /* and one between/after frames */
    struct unpacked u = unpack(&z, 0, 0);
    cr_assert_eq(u.rc, 0, "%s", u.err ? u.err->msg : "");
    cr_assert_eq(u.size, n);
    cr_assert(memcmp(u.data, p, n) == 0);
    unpacked_dispose(&u);
    /* a skippable frame alone decodes to nothing: empty, not "uncompressed" */
    struct bytes only = {0};
    put(&only, skip, sizeof(skip));
    u = unpack(&only, 0, 0);
    cr_assert_lt(u.rc, 0);
    cr_assert(vg_err_is(u.err, VG_E_PARSE) && strstr(u.err->msg, "empty zstd"), "%s", u.err->msg);
    unpacked_dispose(&u);
    free(p);
    free(z.p);
    free(body.p);
    free(only.p);
}

Test(layers_unpack, empty_stream_refused)
{
    struct bytes g = gz("", 0), z = zst("", 0);
    const struct bytes *cases[] = {&g, &z};
    for (size_t i = 0; i < 2; i++) {
        struct unpacked u = unpack(cases[i], 0, 0);
        cr_assert_lt(u.rc, 0);
        cr_assert(vg_err_is(u.err, VG_E_PARSE), "%s", u.err->msg);
        cr_assert(strstr(u.err->msg, "empty"), "%s", u.err->msg);
        unpacked_dispose(&u);
    }
    free(g.p);
    free(z.p);
}

Test(layers_unpack, limit_and_limit_plus_one)
{
    uint8_t *p = pattern(5000);
    struct bytes g = gz(p, 5000);
    struct unpacked u = unpack(&g, 5000, 0);
    cr_assert_eq(u.rc, 0, "%s", u.err ? u.err->msg : "");
    unpacked_dispose(&u);
    u = unpack(&g, 4999, 0);
    cr_assert_lt(u.rc, 0);
    cr_assert(vg_err_is(u.err, VG_E_LIMIT));
    cr_assert(strstr(u.err->msg, "t.tar.x") && strstr(u.err->msg, "4999"), "%s", u.err->msg);
    unpacked_dispose(&u);
    free(p);
    free(g.p);
}

Test(layers_unpack, rle_bomb_stops_at_the_bound)
{
    /* 2 GiB of zeros from about 50 KiB of zstd RLE blocks; the bound stops it at 1 MiB. */
    struct bytes z = {0};
    zst_head(&z);
    static const uint8_t zero = 0;
    for (int i = 0; i < 16384; i++) {
        zst_block(&z, 1, i == 16383, &zero, 128 * 1024);
    }
    struct unpacked u = unpack(&z, 1 << 20, 0);
    cr_assert_lt(u.rc, 0);
    cr_assert(vg_err_is(u.err, VG_E_LIMIT), "%s", u.err->msg);
    cr_assert(strstr(u.err->msg, VG_LAYERS_ARCHIVE_MAX_ENV), "%s", u.err->msg);
    unpacked_dispose(&u);
    free(z.p);
}

Test(layers_unpack, free_space_reserve)
{
    struct bytes g = gz("abcdefgh", 8);
    struct unpacked u = unpack(&g, 0, UINT64_MAX);
    cr_assert_lt(u.rc, 0);
    cr_assert(vg_err_is(u.err, VG_E_LIMIT));
    cr_assert(strstr(u.err->msg, "TMPDIR"), "%s", u.err->msg);
    unpacked_dispose(&u);
    free(g.p);
}

Test(layers_unpack, truncated_and_corrupt_streams)
{
    size_t n = 300000;
    uint8_t *p = pattern(n);
    struct bytes g = gz(p, n), z = zst(p, n);
    const size_t cuts[] = {2, 11, 5000, 150000};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        struct bytes tg = {g.p, cuts[i]}, tz = {z.p, cuts[i] < 4 ? 4 : cuts[i]};
        struct unpacked u = unpack(&tg, 0, 0);
        cr_assert_lt(u.rc, 0, "gzip cut at %zu", cuts[i]);
        cr_assert(vg_err_is(u.err, VG_E_PARSE), "%s", u.err->msg);
        cr_assert(strstr(u.err->msg, "t.tar.x") && strstr(u.err->msg, "gzip"), "%s", u.err->msg);
        unpacked_dispose(&u);
        u = unpack(&tz, 0, 0);
        cr_assert_lt(u.rc, 0, "zstd cut at %zu", cuts[i]);
        cr_assert(vg_err_is(u.err, VG_E_PARSE), "%s", u.err->msg);
        unpacked_dispose(&u);
    }
    /* A stored block whose NLEN does not complement LEN: corrupt mid-stream. */
    g.p[10 + 1 + 65535 + 4 + 3] ^= 0xff;
    struct unpacked u = unpack(&g, 0, 0);
    cr_assert_lt(u.rc, 0);
    cr_assert(vg_err_is(u.err, VG_E_PARSE), "%s", u.err->msg);
    unpacked_dispose(&u);
    /* A zstd block header of a reserved type. */
    z.p[6] |= 6;
    u = unpack(&z, 0, 0);
    cr_assert_lt(u.rc, 0);
    cr_assert(vg_err_is(u.err, VG_E_PARSE), "%s", u.err->msg);
    unpacked_dispose(&u);
    free(p);
    free(g.p);
    free(z.p);
}

Test(layers_unpack, nested_compression_refused)
{
    uint8_t *p = pattern(3000);
    struct bytes inner = gz(p, 3000), iz = zst(p, 3000);
    struct bytes gg = gz(inner.p, inner.len), gzz = gz(iz.p, iz.len), zg = zst(inner.p, inner.len);
    struct bytes tiny = gz("\x1f\x8b", 2); /* shorter than the magic buffer */
    const struct bytes *cases[] = {&gg, &gzz, &zg, &tiny};
    for (size_t i = 0; i < 4; i++) {
        struct unpacked u = unpack(cases[i], 0, 0);
        cr_assert_lt(u.rc, 0, "case %zu", i);
        cr_assert(vg_err_is(u.err, VG_E_UNSUPPORTED), "%s", u.err->msg);
        cr_assert(strstr(u.err->msg, "nested"), "%s", u.err->msg);
        unpacked_dispose(&u);
    }
    free(p);
    free(inner.p);
    free(iz.p);
    free(gg.p);
    free(gzz.p);
    free(zg.p);
    free(tiny.p);
}

Test(layers_unpack, other_inputs_refused)
{
    struct bytes plain = {0}, xz = {0};
    put(&plain, "manifest.json", 13);
    put(&xz,
        "\xfd"
        "7zXZ\0\0\0\0\0\0",
        11);
    struct unpacked u = unpack(&plain, 0, 0);
    cr_assert(vg_err_is(u.err, VG_E_UNSUPPORTED));
    unpacked_dispose(&u);
    u = unpack(&xz, 0, 0);
    cr_assert(vg_err_is(u.err, VG_E_UNSUPPORTED));
    cr_assert(strstr(u.err->msg, "xz"), "%s", u.err->msg);
    unpacked_dispose(&u);
    free(plain.p);
    free(xz.p);

    struct bytes g = gz("x", 1);
    int in_fd = memfd_of(&g), fd;
    uint64_t size;
    struct vg_err *err = NULL;
    struct vg_layers_unpack_opts o = {.tmpdir = "/nonexistent/vigil-tmp"};
    cr_assert_lt(vg_layers_unpack_file(&fd, &size, in_fd, "t.tar.gz", &o, &err), 0);
    cr_assert(vg_err_is(err, VG_E_IO));
    char *msg = vg_err_format(err);
    cr_assert(strstr(msg, "t.tar.gz") && strstr(msg, "/nonexistent/vigil-tmp"), "%s", msg);
    free(msg);
    vg_err_free(&err);
    close(in_fd);
    free(g.p);
}

/* ---------------------------------------------------------------- the source on top */

/* A one-layer classic docker archive, written by hand. */
static struct tarb *
docker_archive(void)
{
    static struct tarb layer;
    memset(&layer, 0, sizeof(layer));
    ustar_add(&layer, "etc/os-release", '0', "ID=test\n", NULL);
    layer.len += 1024;
    struct vg_digest diff;
    vg_digest_of(&diff, VG_DIGEST_SHA256, layer.data, layer.len);
    char cfg[512];
    snprintf(cfg, sizeof(cfg),
             "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
             "\"diff_ids\":[\"%s\"]}}",
             diff.text);
    struct tarb *t = calloc(1, sizeof(*t));
    ustar_hdr(t->data, "abc/layer.tar", '0', layer.len, NULL);
    memcpy(t->data + 512, layer.data, layer.len);
    t->len = 512 + layer.len;
    ustar_add(t, "cfg.json", '0', cfg, NULL);
    ustar_add(t, "manifest.json", '0',
              "[{\"Config\":\"cfg.json\",\"RepoTags\":[\"x:1\"],\"Layers\":[\"abc/layer.tar\"]}]",
              NULL);
    t->len += 1024;
    return t;
}

static char *
write_tmp(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char *path = vg_fmt("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
    return path;
}

/* Opens docker-archive:path the way the CLI does and returns the (synthesized) manifest. */
static int
open_root(const char *path, struct vg_buf *root, struct vg_err **err)
{
    struct vg_oci_image *img = NULL;
    char *spec = vg_fmt("docker-archive:%s", path);
    int rc = vg_layers_image_open(&img, spec, NULL, err);
    free(spec);
    if (rc < 0) {
        return -1;
    }
    rc = vg_buf_append(root, img->manifest_raw, img->manifest_len, err);
    vg_oci_image_free(img);
    return rc;
}

Test(layers_unpack, compressed_source_equals_plain)
{
    char dir[] = "/tmp/vg-da-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(setenv("TMPDIR", dir, 1), 0);
    struct tarb *t = docker_archive();
    struct bytes g = gz(t->data, t->len), z = zst(t->data, t->len);
    char *plain = write_tmp(dir, "img.tar", t->data, t->len);
    char *gzp = write_tmp(dir, "img.bin", g.p, g.len); /* the name is no hint */
    char *zsp = write_tmp(dir, "img.tar.zst", z.p, z.len);
    struct vg_err *err = NULL;
    struct vg_buf want = VG_BUF_INIT(1 << 20), got = VG_BUF_INIT(1 << 20);
    cr_assert_eq(open_root(plain, &want, &err), 0, "%s", err ? err->msg : "");
    const char *paths[] = {gzp, zsp};
    for (size_t i = 0; i < 2; i++) {
        got.len = 0;
        cr_assert_eq(open_root(paths[i], &got, &err), 0, "%s", err ? err->msg : "");
        cr_assert_eq(got.len, want.len);
        cr_assert(memcmp(got.data, want.data, want.len) == 0);
        cr_assert_eq(dir_entries(dir), 3, "temporary file left in %s", dir);
    }
    /* The knob lowers the bound; a bad value is a usage error. */
    cr_assert_eq(setenv(VG_LAYERS_ARCHIVE_MAX_ENV, "1024", 1), 0);
    cr_assert_lt(open_root(gzp, &got, &err), 0);
    cr_assert(vg_err_is(err, VG_E_LIMIT), "%s", err->msg);
    cr_assert(strstr(err->msg, "img.bin"), "%s", err->msg);
    vg_err_free(&err);
    cr_assert_eq(open_root(plain, &got, &err), 0, "plain archives are not bounded by it");
    cr_assert_eq(setenv(VG_LAYERS_ARCHIVE_MAX_ENV, "12k", 1), 0);
    cr_assert_lt(open_root(zsp, &got, &err), 0);
    cr_assert(vg_err_is(err, VG_E_USAGE), "%s", err->msg);
    vg_err_free(&err);
    cr_assert_eq(dir_entries(dir), 3);
    vg_buf_dispose(&want);
    vg_buf_dispose(&got);
    unlink(plain);
    unlink(gzp);
    unlink(zsp);
    rmdir(dir);
    free(plain);
    free(gzp);
    free(zsp);
    free(t);
    free(g.p);
    free(z.p);
}

Test(layers_unpack, compressed_non_tar_names_file_and_compression)
{
    char dir[] = "/tmp/vg-da-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(setenv("TMPDIR", dir, 1), 0);
    uint8_t junk[2000];
    memset(junk, 'x', sizeof(junk));
    struct bytes g = gz(junk, sizeof(junk));
    char *path = write_tmp(dir, "junk.tar.gz", g.p, g.len);
    struct vg_err *err = NULL;
    struct vg_buf root = VG_BUF_INIT(1 << 20);
    cr_assert_lt(open_root(path, &root, &err), 0);
    cr_assert(vg_err_is(err, VG_E_PARSE));
    vg_autofree char *msg = vg_err_format(err);
    cr_assert(strstr(msg, "junk.tar.gz (decompressed gzip)") && strstr(msg, "corrupt header"), "%s",
              msg);
    vg_err_free(&err);
    cr_assert_eq(dir_entries(dir), 1);
    unlink(path);
    rmdir(dir);
    free(path);
    free(g.p);
    vg_buf_dispose(&root);
}
