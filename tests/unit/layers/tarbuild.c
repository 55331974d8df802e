/* SPDX-License-Identifier: Apache-2.0
 *
 * Test helper implementation: see tarbuild.h. Aborts on any libarchive failure, since a
 * broken fixture is a broken test.
 */
#include "tarbuild.h"

#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

struct tb {
    struct archive *a;
    struct vg_buf out;
};

static la_ssize_t
tb_write_cb(struct archive *a, void *ud, const void *buf, size_t n)
{
    (void)a;
    struct tb *t = ud;
    if (vg_buf_append(&t->out, buf, n, NULL) < 0) {
        return -1;
    }
    return (la_ssize_t)n;
}

static void
check(int r)
{
    if (r < ARCHIVE_WARN) {
        abort();
    }
}

struct tb *
tb_new(const char *filter)
{
    struct tb *t = vg_calloc(1, sizeof(*t));
    vg_buf_init(&t->out, 256u * 1024u * 1024u);
    t->a = archive_write_new();
    check(archive_write_set_format_pax_restricted(t->a));
    if (strcmp(filter, "gzip") == 0) {
        check(archive_write_add_filter_gzip(t->a));
    } else if (strcmp(filter, "zstd") == 0) {
        check(archive_write_add_filter_zstd(t->a));
    }
    /* Exact output: no block padding after the compressed stream (tests truncate it). */
    check(archive_write_set_bytes_in_last_block(t->a, 1));
    check(archive_write_open(t->a, t, NULL, tb_write_cb, NULL));
    return t;
}

static void
tb_put(struct tb *t, const char *path, unsigned type, unsigned perm, const void *data, size_t n,
       const char *link, bool hard)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_uid(e, 1000);
    archive_entry_set_gid(e, 100);
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_entry_set_size(e, (la_int64_t)n);
    if (link && hard) {
        archive_entry_set_hardlink(e, link);
    } else if (link) {
        archive_entry_set_symlink(e, link);
    }
    check(archive_write_header(t->a, e));
    if (n > 0 && archive_write_data(t->a, data, n) != (la_ssize_t)n) {
        abort();
    }
    archive_entry_free(e);
}

void
tb_file(struct tb *t, const char *path, const void *data, size_t n)
{
    tb_put(t, path, AE_IFREG, 0644, data, n, NULL, false);
}

void
tb_file_str(struct tb *t, const char *path, const char *s)
{
    tb_file(t, path, s, strlen(s));
}

void
tb_dir(struct tb *t, const char *path)
{
    tb_put(t, path, AE_IFDIR, 0755, NULL, 0, NULL, false);
}

void
tb_symlink(struct tb *t, const char *path, const char *target)
{
    tb_put(t, path, AE_IFLNK, 0777, NULL, 0, target, false);
}

void
tb_hardlink(struct tb *t, const char *path, const char *target)
{
    tb_put(t, path, AE_IFREG, 0644, NULL, 0, target, true);
}

void
tb_sparse(struct tb *t, const char *path, uint64_t size, uint64_t off, const void *data, size_t n)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_sparse_add_entry(e, (la_int64_t)off, (la_int64_t)n);
    check(archive_write_header(t->a, e));
    /* The writer takes the logical file: holes are written as zero runs it then skips. */
    static const uint8_t zero[65536];
    uint64_t pos = 0;
    while (pos < off) {
        size_t k = off - pos > sizeof(zero) ? sizeof(zero) : (size_t)(off - pos);
        la_ssize_t w = archive_write_data(t->a, zero, k);
        if (w <= 0) {
            abort();
        }
        pos += (uint64_t)w;
    }
    if (archive_write_data(t->a, data, n) != (la_ssize_t)n) {
        abort();
    }
    archive_entry_free(e);
}

uint8_t *
tb_finish(struct tb *t, size_t *len)
{
    check(archive_write_close(t->a));
    archive_write_free(t->a);
    uint8_t *d = (uint8_t *)vg_buf_take(&t->out, len);
    free(t);
    return d;
}

void
tb_ustar_header(uint8_t hdr[512], const char *name, uint64_t size)
{
    memset(hdr, 0, 512);
    memcpy(hdr, name, strlen(name));
    memcpy(hdr + 100, "0000644", 8);
    memcpy(hdr + 108, "0000000", 8);
    memcpy(hdr + 116, "0000000", 8);
    char sz[13];
    snprintf(sz, sizeof(sz), "%011llo", (unsigned long long)size);
    memcpy(hdr + 124, sz, 12);
    memcpy(hdr + 136, "14000000000", 12);
    hdr[156] = '0';
    memcpy(hdr + 257, "ustar", 6);
    memcpy(hdr + 263, "00", 2);
    memset(hdr + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < 512; i++) {
        sum += hdr[i];
    }
    char ck[8];
    snprintf(ck, sizeof(ck), "%06o", sum);
    memcpy(hdr + 148, ck, 7);
}

uint8_t *
tb_gzip(const void *data, size_t n, size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        abort();
    }
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    uint8_t *out = vg_malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        abort();
    }
    *outlen = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

int
mem_read(void *ctx, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    (void)err;
    struct mem_src *m = ctx;
    size_t n = m->len - m->pos;
    if (n > cap) {
        n = cap;
    }
    if (m->chunk && n > m->chunk) {
        n = m->chunk;
    }
    if (n) {
        memcpy(buf, m->data + m->pos, n);
    }
    m->pos += n;
    *got = n;
    return 0;
}

int
walk_mem(struct vg_layer_stats *st, const uint8_t *data, size_t len, size_t chunk, size_t layer,
         struct vg_layer_consumer *const *cons, size_t ncons, struct vg_err **err)
{
    struct mem_src m = {data, len, 0, chunk};
    return vg_layers_walk_stream(st, mem_read, &m, layer, cons, ncons, err);
}
