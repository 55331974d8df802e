/* SPDX-License-Identifier: Apache-2.0
 *
 * The decompression stage of a layer walk. It reads the layer blob through the caller's read
 * callback, detects the compression from the magic bytes (never trusting the media type),
 * inflates gzip (ISA-L's igzip, multi-member streams) or zstd (libzstd, multi-frame streams)
 * itself,
 * and hashes the plain tar stream as it passes: that hash is the layer's diffID, computed in
 * the same single pass that libarchive parses. Doing the decompression here rather than in a
 * libarchive filter is what makes the plain bytes visible at all.
 *
 * It deliberately knows nothing about tar: walk.c hands the plain chunks to libarchive.
 * Memory is two fixed buffers plus the decoder state (zstd's window is capped by libzstd's
 * default window limit, 128 MiB, which every common encoder setting stays far below).
 *
 * Gzip goes through ISA-L rather than zlib: the inflating thread bounds a cold scan's time
 * (pipe.c), and igzip inflates a real layer in about three quarters of zlib's time, CRC-32
 * included. It checks the same things (header, deflate structure, CRC-32 and ISIZE of every
 * member); zlib stays the codec of the small buffers (codec.c).
 */
#include "layers_int.h"

#include <string.h>

#include "core/compress.h"

#include <isa-l/igzip_lib.h>
#include <zlib.h>
#include <zstd.h>

enum lz_kind { LZ_NONE, LZ_GZIP, LZ_ZSTD };

struct vg_lz {
    vg_layers_read_fn read;
    void *rctx;
    struct vg_lz_opts opts;
    enum lz_kind kind;
    uint8_t *in;
    size_t in_pos, in_len;
    bool in_eof;
    uint8_t *out;
    bool done;                /* decoder reached the end of the compressed stream */
    bool zero_tail;           /* past the last frame/member: only zero padding may follow */
    size_t zstd_ret;          /* last ZSTD_decompressStream hint: 0 at a frame boundary */
    struct inflate_state *gz; /* ISA-L's decoder state (about 90 KB: allocated, not inline) */
    bool gz_header;           /* a gzip member starts: its header comes next */
    ZSTD_DStream *zds;
    struct vg_hasher *h_plain;
    struct vg_hasher *h_comp; /* NULL unless opts.hash_compressed */
    uint64_t comp_bytes, plain_bytes;
};

static int
lz_cancelled(const struct vg_lz *z, struct vg_err **err)
{
    if (z->opts.cancel && atomic_load(z->opts.cancel)) {
        return vg_err_set(err, VG_E_INTERNAL, "walk cancelled");
    }
    return 0;
}

/* Refills the input buffer when it is empty; sets in_eof at the end of the source. */
static int
lz_refill(struct vg_lz *z, struct vg_err **err)
{
    if (z->in_pos < z->in_len || z->in_eof) {
        return 0;
    }
    if (lz_cancelled(z, err) < 0) {
        return -1;
    }
    size_t got = 0;
    if (z->read(z->rctx, z->in, VG_LAYERS_IN_BUF, &got, err) < 0) {
        return -1;
    }
    if (got > VG_LAYERS_IN_BUF) {
        return vg_err_set(err, VG_E_INTERNAL, "layer source returned more than asked");
    }
    z->in_pos = 0;
    z->in_len = got;
    z->comp_bytes += got;
    if (got == 0) {
        z->in_eof = true;
    } else if (z->h_comp) {
        vg_hasher_update(z->h_comp, z->in, got);
    }
    return 0;
}

/* Reads until at least `want` bytes are buffered (or the source ends) without consuming. */
static int
lz_peek(struct vg_lz *z, size_t want, struct vg_err **err)
{
    while (z->in_len < want && !z->in_eof) {
        size_t got = 0;
        if (z->read(z->rctx, z->in + z->in_len, VG_LAYERS_IN_BUF - z->in_len, &got, err) < 0) {
            return -1;
        }
        if (got > VG_LAYERS_IN_BUF - z->in_len) {
            return vg_err_set(err, VG_E_INTERNAL, "layer source returned more than asked");
        }
        if (got == 0) {
            z->in_eof = true;
            break;
        }
        if (z->h_comp) {
            vg_hasher_update(z->h_comp, z->in + z->in_len, got);
        }
        z->in_len += got;
        z->comp_bytes += got;
    }
    return 0;
}

static int
lz_detect(struct vg_lz *z, struct vg_err **err)
{
    if (lz_peek(z, VG_COMP_MAGIC_BYTES, err) < 0) {
        return -1;
    }
    enum vg_compression c = vg_compression_detect(z->in, z->in_len);
    switch (c) {
    case VG_COMP_GZIP:
        z->kind = LZ_GZIP;
        break;
    case VG_COMP_ZSTD:
        z->kind = LZ_ZSTD;
        break;
    case VG_COMP_XZ:
    case VG_COMP_BZIP2:
        return vg_err_set(err, VG_E_UNSUPPORTED, "%s-compressed layers are not supported",
                          vg_compression_name(c));
    case VG_COMP_NONE:
        z->kind = LZ_NONE;
        break;
    }
    return 0;
}

/* igzip's messages in zlib's words, so errors read as before. */
static const char *
lz_isal_error(int r)
{
    switch (r) {
    case ISAL_INVALID_BLOCK:
        return "invalid block type or stored block length";
    case ISAL_INVALID_SYMBOL:
        return "invalid code or symbol";
    case ISAL_INVALID_LOOKBACK:
        return "invalid distance too far back";
    case ISAL_INCORRECT_CHECKSUM:
        return "incorrect data or length check";
    case ISAL_NEED_DICT:
        return "needs a preset dictionary";
    default:
        return "inflate failed";
    }
}

static int
lz_gzip_corrupt(struct vg_lz *z, const char *why, struct vg_err **err)
{
    return vg_err_set(err, VG_E_PARSE, "corrupt gzip stream near byte %llu: %s",
                      (unsigned long long)(z->comp_bytes - (z->in_len - z->in_pos)), why);
}

/* The next input byte: 1, or 0 at the end of the source. */
static int
lz_byte(struct vg_lz *z, uint8_t *b, struct vg_err **err)
{
    if (lz_refill(z, err) < 0) {
        return -1;
    }
    if (z->in_pos == z->in_len) {
        return 0;
    }
    *b = z->in[z->in_pos++];
    return 1;
}

/* Reads n header bytes (into out when not NULL), adding them to the header CRC; stops after a
 * NUL when zterm. 0, or -1 with *err set (truncated). */
static int
lz_header_bytes(struct vg_lz *z, uint8_t *out, size_t n, bool zterm, uLong *crc,
                struct vg_err **err)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = 0;
        int r = lz_byte(z, &b, err);
        if (r <= 0) {
            return r < 0 ? -1
                         : vg_err_set(err, VG_E_PARSE, "truncated gzip stream after %llu bytes",
                                      (unsigned long long)z->comp_bytes);
        }
        *crc = crc32(*crc, &b, 1);
        if (out) {
            out[i] = b;
        }
        if (zterm && b == 0) {
            break;
        }
    }
    return 0;
}

/* A gzip member header (RFC 1952 2.3), checked as zlib checks it: magic, deflate method, no
 * reserved flag, the optional extra field, name and comment skipped, the header CRC-16
 * verified. Parsed here rather than by igzip, whose header CRC is wrong (ISA-L 2.30) when the
 * header arrives in more than one read. The deflate data and the CRC-32/ISIZE trailer are
 * igzip's. */
static int
lz_gzip_header(struct vg_lz *z, struct vg_err **err)
{
    enum { FHCRC = 0x02, FEXTRA = 0x04, FNAME = 0x08, FCOMMENT = 0x10, FRESERVED = 0xe0 };
    uLong crc = crc32(0L, Z_NULL, 0);
    uint8_t h[10];
    if (lz_header_bytes(z, h, sizeof(h), false, &crc, err) < 0) {
        return -1;
    }
    if (h[0] != 0x1f || h[1] != 0x8b) {
        return lz_gzip_corrupt(z, "incorrect header check", err);
    }
    if (h[2] != 8) {
        return lz_gzip_corrupt(z, "unknown compression method", err);
    }
    if (h[3] & FRESERVED) {
        return lz_gzip_corrupt(z, "unknown header flags set", err);
    }
    if (h[3] & FEXTRA) {
        uint8_t xl[2];
        if (lz_header_bytes(z, xl, 2, false, &crc, err) < 0 ||
            lz_header_bytes(z, NULL, (size_t)xl[0] | (size_t)xl[1] << 8, false, &crc, err) < 0) {
            return -1;
        }
    }
    if (((h[3] & FNAME) && lz_header_bytes(z, NULL, SIZE_MAX, true, &crc, err) < 0) ||
        ((h[3] & FCOMMENT) && lz_header_bytes(z, NULL, SIZE_MAX, true, &crc, err) < 0)) {
        return -1;
    }
    if (h[3] & FHCRC) {
        uLong want = crc & 0xffffu;
        uint8_t c[2];
        if (lz_header_bytes(z, c, 2, false, &crc, err) < 0) {
            return -1;
        }
        if (((uLong)c[0] | (uLong)c[1] << 8) != want) {
            return lz_gzip_corrupt(z, "header crc mismatch", err);
        }
    }
    /* Raw deflate from here, then the trailer: igzip verifies its CRC-32 and ISIZE. */
    isal_inflate_init(z->gz);
    z->gz->crc_flag = ISAL_GZIP_NO_HDR_VER;
    z->gz_header = false;
    return 0;
}

static int
lz_init_decoder(struct vg_lz *z, struct vg_err **err)
{
    if (z->kind == LZ_GZIP) {
        z->gz = vg_malloc(sizeof(*z->gz));
        z->gz_header = true;
    } else if (z->kind == LZ_ZSTD) {
        z->zds = ZSTD_createDStream();
        if (!z->zds) {
            return vg_err_set(err, VG_E_INTERNAL, "ZSTD_createDStream failed");
        }
        z->zstd_ret = 1;
    }
    return 0;
}

int
vg_lz_open(struct vg_lz **out, vg_layers_read_fn read, void *rctx, const struct vg_lz_opts *opts,
           struct vg_err **err)
{
    struct vg_lz *z = vg_calloc(1, sizeof(*z));
    z->read = read;
    z->rctx = rctx;
    z->opts = *opts;
    z->in = vg_malloc(VG_LAYERS_IN_BUF);
    if (!opts->no_plain_hash) {
        z->h_plain = vg_hasher_new(VG_DIGEST_SHA256);
    }
    if (opts->hash_compressed) {
        z->h_comp = vg_hasher_new(VG_DIGEST_SHA256);
    }
    if (lz_detect(z, err) < 0 || lz_init_decoder(z, err) < 0) {
        vg_lz_free(z);
        return -1;
    }
    if (z->kind != LZ_NONE) {
        z->out = vg_malloc(VG_LAYERS_OUT_BUF);
    }
    *out = z;
    return 0;
}

static int
lz_account(struct vg_lz *z, const uint8_t *data, size_t n, struct vg_err **err)
{
    if (vg_ckd_add(&z->plain_bytes, z->plain_bytes, (uint64_t)n) ||
        z->plain_bytes > z->opts.max_unpacked) {
        return vg_err_set(err, VG_E_LIMIT, "unpacked layer exceeds the limit of %llu bytes",
                          (unsigned long long)z->opts.max_unpacked);
    }
    if (z->h_plain) {
        vg_hasher_update(z->h_plain, data, n);
    }
    return 0;
}

static int
lz_pull_none(struct vg_lz *z, const uint8_t **data, size_t *len, struct vg_err **err)
{
    if (lz_refill(z, err) < 0) {
        return -1;
    }
    if (z->in_eof) {
        z->done = true;
        return 0;
    }
    *data = z->in + z->in_pos;
    *len = z->in_len - z->in_pos;
    z->in_pos = z->in_len;
    return 0;
}

/* Block-padding writers (bsdtar, libarchive) append zeros after the compressed stream; gzip
 * and zstd tools accept them, so do we. Anything else after the end is corrupt. Returns 1
 * when the pending input starts a zero tail, which is then consumed to the end. */
static int
lz_zero_tail(struct vg_lz *z, struct vg_err **err)
{
    if (z->in_pos >= z->in_len || z->in[z->in_pos] != 0) {
        return 0;
    }
    z->zero_tail = true;
    for (;;) {
        for (size_t i = z->in_pos; i < z->in_len; i++) {
            if (z->in[i] != 0) {
                return vg_err_set(err, VG_E_PARSE, "garbage after the end of the %s stream",
                                  z->kind == LZ_GZIP ? "gzip" : "zstd");
            }
        }
        z->in_pos = z->in_len;
        if (lz_refill(z, err) < 0) {
            return -1;
        }
        if (z->in_eof) {
            z->done = true;
            return 1;
        }
    }
}

/* After a gzip member ends: more input means another member (pigz, concatenation). */
static int
lz_gzip_member_end(struct vg_lz *z, struct vg_err **err)
{
    if (lz_refill(z, err) < 0) {
        return -1;
    }
    if (z->in_eof) {
        z->done = true;
        return 0;
    }
    int zt = lz_zero_tail(z, err);
    if (zt != 0) {
        return zt < 0 ? -1 : 0;
    }
    z->gz_header = true;
    return 0;
}

static int
lz_pull_gzip(struct vg_lz *z, const uint8_t **data, size_t *len, struct vg_err **err)
{
    struct inflate_state *st = z->gz;
    while (!z->done) {
        if (z->gz_header && lz_gzip_header(z, err) < 0) {
            return -1;
        }
        if (lz_refill(z, err) < 0) {
            return -1;
        }
        /* Called even without input: a full output buffer may leave output pending. */
        st->next_in = z->in + z->in_pos;
        st->avail_in = (uint32_t)(z->in_len - z->in_pos);
        st->next_out = z->out;
        st->avail_out = VG_LAYERS_OUT_BUF;
        size_t before = z->in_pos;
        int r = isal_inflate(st);
        z->in_pos = z->in_len - st->avail_in;
        size_t produced = VG_LAYERS_OUT_BUF - st->avail_out;
        if (r < 0 || r == ISAL_NEED_DICT) {
            return lz_gzip_corrupt(z, lz_isal_error(r), err);
        }
        if (st->block_state == ISAL_BLOCK_FINISH) {
            if (lz_gzip_member_end(z, err) < 0) {
                return -1;
            }
        } else if (produced == 0 && z->in_eof && z->in_pos == z->in_len) {
            return vg_err_set(err, VG_E_PARSE, "truncated gzip stream after %llu bytes",
                              (unsigned long long)z->comp_bytes);
        } else if (produced == 0 && z->in_pos == before && before < z->in_len) {
            /* igzip takes all the input it is given (keeping a partial symbol inside): a
             * call that neither consumes nor produces would repeat forever. */
            return vg_err_set(err, VG_E_INTERNAL, "gzip decoder stalled near byte %llu",
                              (unsigned long long)(z->comp_bytes - (z->in_len - z->in_pos)));
        }
        if (produced > 0) {
            *data = z->out;
            *len = produced;
            return 0;
        }
    }
    return 0;
}

static int
lz_pull_zstd(struct vg_lz *z, const uint8_t **data, size_t *len, struct vg_err **err)
{
    while (!z->done) {
        if (lz_refill(z, err) < 0) {
            return -1;
        }
        if (z->zstd_ret == 0) {
            /* At a frame boundary: end of input, zero padding, or another frame. */
            if (z->in_eof && z->in_pos == z->in_len) {
                z->done = true;
                break;
            }
            int zt = lz_zero_tail(z, err);
            if (zt != 0) {
                return zt < 0 ? -1 : 0;
            }
        }
        ZSTD_inBuffer in = {z->in, z->in_len, z->in_pos};
        ZSTD_outBuffer out = {z->out, VG_LAYERS_OUT_BUF, 0};
        size_t r = ZSTD_decompressStream(z->zds, &out, &in);
        if (ZSTD_isError(r)) {
            return vg_err_set(err, VG_E_PARSE, "corrupt zstd stream near byte %llu: %s",
                              (unsigned long long)(z->comp_bytes - (z->in_len - in.pos)),
                              ZSTD_getErrorName(r));
        }
        z->in_pos = in.pos;
        z->zstd_ret = r;
        if (out.pos > 0) {
            *data = z->out;
            *len = out.pos;
            return 0;
        }
        if (r != 0 && z->in_eof && z->in_pos == z->in_len) {
            return vg_err_set(err, VG_E_PARSE, "truncated zstd stream after %llu bytes",
                              (unsigned long long)z->comp_bytes);
        }
    }
    return 0;
}

int
vg_lz_pull(struct vg_lz *z, const uint8_t **data, size_t *len, struct vg_err **err)
{
    *data = NULL;
    *len = 0;
    if (z->done) {
        return 0;
    }
    int rc;
    switch (z->kind) {
    case LZ_GZIP:
        rc = lz_pull_gzip(z, data, len, err);
        break;
    case LZ_ZSTD:
        rc = lz_pull_zstd(z, data, len, err);
        break;
    default:
        rc = lz_pull_none(z, data, len, err);
        break;
    }
    if (rc < 0) {
        return rc;
    }
    if (*len > 0 && lz_account(z, *data, *len, err) < 0) {
        return -1;
    }
    return 0;
}

int
vg_lz_drain(struct vg_lz *z, struct vg_err **err)
{
    const uint8_t *d;
    size_t n;
    do {
        if (vg_lz_pull(z, &d, &n, err) < 0) {
            return -1;
        }
    } while (n > 0);
    return 0;
}

const char *
vg_lz_kind_name(const struct vg_lz *z)
{
    switch (z->kind) {
    case LZ_GZIP:
        return "gzip";
    case LZ_ZSTD:
        return "zstd";
    default:
        return "none";
    }
}

void
vg_lz_stats(struct vg_lz *z, struct vg_layer_stats *st)
{
    st->compressed_size = z->comp_bytes;
    st->uncompressed_size = z->plain_bytes;
    if (z->h_plain) {
        vg_hasher_final(z->h_plain, &st->diff_id_computed);
    }
    if (z->h_comp) {
        vg_hasher_final(z->h_comp, &st->digest);
    }
    snprintf(st->compression, sizeof(st->compression), "%s", vg_lz_kind_name(z));
}

void
vg_lz_free(struct vg_lz *z)
{
    if (!z) {
        return;
    }
    free(z->gz);
    ZSTD_freeDStream(z->zds);
    vg_hasher_free(z->h_plain);
    vg_hasher_free(z->h_comp);
    free(z->in);
    free(z->out);
    free(z);
}
