/* SPDX-License-Identifier: Apache-2.0
 *
 * layers/ owns the stream codecs (zlib, zstd); other modules decompress through this small
 * API instead of including zlib.h: a reusable inflater for zlib, raw-deflate and gzip data
 * (incremental, with the caller's output buffer as the cap), a one-shot bounded inflate of a
 * buffer, and a streaming reader over a file descriptor that detects gzip, zstd or plain
 * bytes by magic and decodes them through the layer walk's decoder (lz.c), bounded in total
 * output. Every failure is one line naming the input.
 */
#include "layers_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "core/compress.h"

/* ---------------------------------------------------------------- inflate */

struct vg_inflater {
    z_stream zs;
    enum vg_inflate_fmt fmt;
};

static const char *
inflate_fmt_name(enum vg_inflate_fmt fmt)
{
    return fmt == VG_INFLATE_GZIP ? "gzip" : fmt == VG_INFLATE_RAW ? "deflate" : "zlib";
}

struct vg_inflater *
vg_inflater_new(enum vg_inflate_fmt fmt)
{
    struct vg_inflater *z = vg_calloc(1, sizeof(*z));
    int bits = fmt == VG_INFLATE_GZIP  ? 16 + MAX_WBITS
               : fmt == VG_INFLATE_RAW ? -MAX_WBITS
                                       : MAX_WBITS;
    z->fmt = fmt;
    if (inflateInit2(&z->zs, bits) != Z_OK) {
        /* only Z_MEM_ERROR for valid arguments: out of memory, like vg_malloc */
        abort();
    }
    return z;
}

void
vg_inflater_reset(struct vg_inflater *z)
{
    if (inflateReset(&z->zs) != Z_OK) {
        abort(); /* only Z_STREAM_ERROR on an uninitialized stream: a caller bug */
    }
}

int
vg_inflater_run(struct vg_inflater *z, const uint8_t **in, size_t *in_len, uint8_t *out, size_t cap,
                size_t *produced, struct vg_err **err)
{
    *produced = 0;
    size_t total_in = 0;
    int zr = Z_OK;
    /* zlib counts in uInt: feed and drain in pieces a uInt can hold */
    for (;;) {
        uInt ain = (uInt)(*in_len - total_in > UINT32_MAX ? UINT32_MAX : *in_len - total_in);
        uInt aout = (uInt)(cap - *produced > UINT32_MAX ? UINT32_MAX : cap - *produced);
        z->zs.next_in = (Bytef *)(uintptr_t)(*in + total_in);
        z->zs.avail_in = ain;
        z->zs.next_out = out + *produced;
        z->zs.avail_out = aout;
        zr = inflate(&z->zs, Z_NO_FLUSH);
        total_in += ain - z->zs.avail_in;
        *produced += aout - z->zs.avail_out;
        if (zr != Z_OK || total_in == *in_len || *produced == cap) {
            break;
        }
    }
    *in += total_in;
    *in_len -= total_in;
    if (zr == Z_STREAM_END) {
        return 1;
    }
    if (zr == Z_OK || zr == Z_BUF_ERROR) {
        return 0;
    }
    if (zr == Z_MEM_ERROR) {
        abort();
    }
    return vg_err_set(err, VG_E_PARSE, "corrupt %s stream at input byte %llu: %s",
                      inflate_fmt_name(z->fmt), (unsigned long long)(z->zs.total_in),
                      zr == Z_NEED_DICT ? "needs a preset dictionary"
                      : z->zs.msg       ? z->zs.msg
                                        : "inflate failed");
}

void
vg_inflater_free(struct vg_inflater *z)
{
    if (!z) {
        return;
    }
    inflateEnd(&z->zs);
    free(z);
}

int
vg_inflate_buf(enum vg_inflate_fmt fmt, const uint8_t *in, size_t len, size_t max_out,
               struct vg_buf *out, struct vg_err **err)
{
    struct vg_inflater *z = vg_inflater_new(fmt);
    size_t start = out->len, chunk = 64u * 1024u;
    int rc = 0;
    for (;;) {
        size_t room = max_out - (out->len - start);
        /* one byte past the cap: output that reaches it proves the stream is larger */
        size_t want = room < chunk ? room + 1 : chunk;
        if (vg_buf_reserve(out, want, err) < 0) {
            rc = -1;
            break;
        }
        size_t got = 0, before = len;
        int r = vg_inflater_run(z, &in, &len, out->data + out->len, want, &got, err);
        out->len += got;
        if (out->len - start > max_out) {
            rc = vg_err_set(err, VG_E_LIMIT, "%s stream inflates to more than %zu bytes",
                            inflate_fmt_name(fmt), max_out);
            break;
        }
        if (r != 0) {
            rc = r < 0 ? -1 : 0;
            if (r == 1 && len > 0) {
                rc = vg_err_set(err, VG_E_PARSE, "%zu bytes after the end of the %s stream", len,
                                inflate_fmt_name(fmt));
            }
            break;
        }
        if ((len == 0 && got < want) || (got == 0 && len == before)) {
            rc = vg_err_set(err, VG_E_PARSE, "truncated %s stream (%llu bytes in, %zu out)",
                            inflate_fmt_name(fmt), (unsigned long long)z->zs.total_in,
                            out->len - start);
            break;
        }
    }
    vg_inflater_free(z);
    if (rc < 0) {
        out->len = start;
    }
    return rc;
}

/* ---------------------------------------------------------------- streaming reader */

struct vg_zread {
    int fd;
    char *name;
    uint64_t max, total;
    uint8_t head[VG_COMP_MAGIC_BYTES];
    size_t head_len, head_pos;
    struct vg_lz *z;
};

static int
zread_fill(struct vg_zread *r, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    ssize_t n;
    do {
        n = read(r->fd, buf, cap);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return vg_err_sys(err, VG_E_IO, "read %s", r->name);
    }
    *got = (size_t)n;
    return 0;
}

/* lz's read callback: the bytes already sniffed, then the descriptor. */
static int
zread_src(void *ctx, void *buf, size_t cap, size_t *got, struct vg_err **err)
{
    struct vg_zread *r = ctx;
    if (r->head_pos < r->head_len) {
        size_t k = r->head_len - r->head_pos < cap ? r->head_len - r->head_pos : cap;
        memcpy(buf, r->head + r->head_pos, k);
        r->head_pos += k;
        *got = k;
        return 0;
    }
    return zread_fill(r, buf, cap, got, err);
}

/* The decoder's message as one line naming the input. */
static int
zread_reword(struct vg_zread *r, struct vg_err **err)
{
    if (!err || !*err || !vg_err_is(*err, VG_E_PARSE)) {
        return -1;
    }
    vg_autofree char *why = vg_err_format(*err);
    vg_err_free(err);
    return vg_err_set(err, VG_E_PARSE, "%s: %s", r->name, why);
}

int
vg_zread_open(struct vg_zread **out, int fd, const char *name, uint64_t max_out,
              struct vg_err **err)
{
    struct vg_zread *r = vg_calloc(1, sizeof(*r));
    r->fd = fd;
    r->name = vg_strdup(name);
    r->max = max_out;
    while (r->head_len < sizeof(r->head)) {
        size_t got = 0;
        if (zread_fill(r, r->head + r->head_len, sizeof(r->head) - r->head_len, &got, err) < 0) {
            vg_zread_close(r);
            return -1;
        }
        if (got == 0) {
            break;
        }
        r->head_len += got;
    }
    enum vg_compression c = vg_compression_detect(r->head, r->head_len);
    if (c == VG_COMP_XZ || c == VG_COMP_BZIP2) {
        int rc = vg_err_set(err, VG_E_UNSUPPORTED,
                            "%s is %s-compressed; only gzip, zstd or uncompressed files are read",
                            name, vg_compression_name(c));
        vg_zread_close(r);
        return rc;
    }
    struct vg_lz_opts lo = {.max_unpacked = UINT64_MAX};
    if (vg_lz_open(&r->z, zread_src, r, &lo, err) < 0) {
        vg_zread_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

int
vg_zread_read(struct vg_zread *r, const uint8_t **data, size_t *len, struct vg_err **err)
{
    if (vg_lz_pull(r->z, data, len, err) < 0) {
        return zread_reword(r, err);
    }
    if (vg_ckd_add(&r->total, r->total, (uint64_t)*len) || r->total > r->max) {
        *len = 0;
        return vg_err_set(err, VG_E_LIMIT, "%s: more than %llu bytes uncompressed", r->name,
                          (unsigned long long)r->max);
    }
    return 0;
}

const char *
vg_zread_compression(const struct vg_zread *r)
{
    return vg_lz_kind_name(r->z);
}

void
vg_zread_close(struct vg_zread *r)
{
    if (!r) {
        return;
    }
    vg_lz_free(r->z);
    free(r->name);
    free(r);
}
