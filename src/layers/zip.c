/* SPDX-License-Identifier: Apache-2.0
 *
 * Zip archives in memory (APPNOTE.TXT 6.3.x): the end-of-central-directory record, the zip64
 * locator and record, the central directory, local headers, and member extraction (stored or
 * deflated, through zlib). The one zip reader: it owns no Java, PyTorch or OSV knowledge; its
 * users decide which members matter.
 *
 * Every offset and size read from the archive is checked against the bytes actually present
 * before it is used, and the declared entry count only bounds the loop (the allocation grows
 * with the entries really parsed), so a lying directory costs nothing.
 */
#include <string.h>
#include <zlib.h>

#include "layers/layers.h"

#define ZIP_SIG_LOCAL     0x04034b50u
#define ZIP_SIG_CENTRAL   0x02014b50u
#define ZIP_SIG_EOCD      0x06054b50u
#define ZIP_SIG_EOCD64    0x06064b50u
#define ZIP_SIG_LOC64     0x07064b50u
#define ZIP_EOCD_BYTES    22u
#define ZIP_LOC64_BYTES   20u
#define ZIP_CDH_BYTES     46u
#define ZIP_LFH_BYTES     30u
#define ZIP_MAX_COMMENT   65535u
#define ZIP_EXTRA_ZIP64   0x0001u
#define ZIP_INFLATE_CHUNK (64u * 1024u)

static uint32_t
le32_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool
vg_zip_sniff(const uint8_t *data, size_t len)
{
    if (len >= 4 && le32_at(data) == ZIP_SIG_LOCAL) {
        return true;
    }
    /* An empty archive, or one with a launcher script in front. */
    size_t lo = len > ZIP_EOCD_BYTES + ZIP_MAX_COMMENT ? len - ZIP_EOCD_BYTES - ZIP_MAX_COMMENT : 0;
    for (size_t i = len >= ZIP_EOCD_BYTES ? len - ZIP_EOCD_BYTES + 1 : 0; i > lo; i--) {
        if (le32_at(data + i - 1) == ZIP_SIG_EOCD) {
            return true;
        }
    }
    return false;
}

/* The directory as the end records describe it. */
struct zip_dir {
    uint64_t count, size, off;
    uint64_t end_pos; /* position of the record that follows the directory */
};

static int
find_eocd(const uint8_t *d, size_t len, size_t *pos, struct vg_err **err)
{
    if (len < ZIP_EOCD_BYTES) {
        return vg_err_set(err, VG_E_PARSE, "zip: %zu bytes is too short", len);
    }
    size_t lo = len > ZIP_EOCD_BYTES + ZIP_MAX_COMMENT ? len - ZIP_EOCD_BYTES - ZIP_MAX_COMMENT : 0;
    for (size_t i = len - ZIP_EOCD_BYTES + 1; i > lo; i--) {
        size_t at = i - 1;
        if (le32_at(d + at) != ZIP_SIG_EOCD) {
            continue;
        }
        uint16_t clen = (uint16_t)(d[at + 20] | d[at + 21] << 8);
        if (at + ZIP_EOCD_BYTES + clen == len) {
            *pos = at;
            return 0;
        }
    }
    /* Tolerate trailing garbage after the comment: take the last signature seen. */
    for (size_t i = len - ZIP_EOCD_BYTES + 1; i > lo; i--) {
        if (le32_at(d + i - 1) == ZIP_SIG_EOCD) {
            *pos = i - 1;
            return 0;
        }
    }
    return vg_err_set(err, VG_E_PARSE, "zip: no end of central directory record");
}

static int
read_zip64_end(const uint8_t *d, size_t len, size_t eocd, struct zip_dir *dir, struct vg_err **err)
{
    struct vg_reader r;
    uint32_t sig;
    uint64_t off64;
    if (eocd < ZIP_LOC64_BYTES) {
        return vg_err_set(err, VG_E_PARSE, "zip: zip64 fields without a zip64 locator");
    }
    vg_reader_init(&r, d + eocd - ZIP_LOC64_BYTES, ZIP_LOC64_BYTES);
    if (vg_reader_le32(&r, &sig, err) < 0) {
        return vg_err_wrap(err, "zip: zip64 fields without a zip64 locator");
    }
    if (sig != ZIP_SIG_LOC64) {
        return vg_err_set(err, VG_E_PARSE, "zip: zip64 fields without a zip64 locator");
    }
    if (vg_reader_skip(&r, 4, err) < 0 || vg_reader_le64(&r, &off64, err) < 0) {
        return -1;
    }
    /* The record sits right before the locator; its stored offset is relative to the archive
     * start, which differs from the file start when data was prepended. */
    uint64_t at = off64;
    if (at > len || len - at < 56 || le32_at(d + at) != ZIP_SIG_EOCD64) {
        if (eocd < ZIP_LOC64_BYTES + 56) {
            return vg_err_set(err, VG_E_PARSE, "zip: zip64 end record at %llu not found",
                              (unsigned long long)off64);
        }
        at = eocd - ZIP_LOC64_BYTES - 56;
        if (le32_at(d + at) != ZIP_SIG_EOCD64) {
            return vg_err_set(err, VG_E_PARSE, "zip: zip64 end record at %llu not found",
                              (unsigned long long)off64);
        }
    }
    vg_reader_init(&r, d + at, len - at);
    if (vg_reader_skip(&r, 4 + 8 + 2 + 2 + 4 + 4 + 8, err) < 0 ||
        vg_reader_le64(&r, &dir->count, err) < 0 || vg_reader_le64(&r, &dir->size, err) < 0 ||
        vg_reader_le64(&r, &dir->off, err) < 0) {
        return vg_err_wrap(err, "zip: zip64 end record");
    }
    dir->end_pos = at;
    return 0;
}

static int
read_end(const uint8_t *d, size_t len, struct zip_dir *dir, struct vg_err **err)
{
    size_t eocd = 0;
    if (find_eocd(d, len, &eocd, err) < 0) {
        return -1;
    }
    struct vg_reader r;
    uint16_t disk, cddisk, n_disk, n_total;
    uint32_t size, off;
    vg_reader_init(&r, d + eocd + 4, ZIP_EOCD_BYTES - 4);
    if (vg_reader_le16(&r, &disk, err) < 0 || vg_reader_le16(&r, &cddisk, err) < 0 ||
        vg_reader_le16(&r, &n_disk, err) < 0 || vg_reader_le16(&r, &n_total, err) < 0 ||
        vg_reader_le32(&r, &size, err) < 0 || vg_reader_le32(&r, &off, err) < 0) {
        return -1;
    }
    if (n_total == 0xffffu || size == 0xffffffffu || off == 0xffffffffu) {
        return read_zip64_end(d, len, eocd, dir, err);
    }
    if (disk != 0 || cddisk != 0 || n_disk != n_total) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "zip: multi-volume archive");
    }
    dir->count = n_total;
    dir->size = size;
    dir->off = off;
    dir->end_pos = eocd;
    return 0;
}

/* Zip64 extended information: the 64-bit values of exactly those fields that were saturated
 * in the fixed header, in the order usize, csize, lho. */
static int
apply_zip64_extra(struct vg_zip_entry *e, const uint8_t *extra, size_t n, struct vg_err **err)
{
    struct vg_reader r;
    vg_reader_init(&r, extra, n);
    while (r.left >= 4) {
        uint16_t id, sz;
        const uint8_t *body;
        if (vg_reader_le16(&r, &id, err) < 0 || vg_reader_le16(&r, &sz, err) < 0 ||
            vg_reader_take(&r, sz, &body, err) < 0) {
            return vg_err_wrap(err, "zip: extra field");
        }
        if (id != ZIP_EXTRA_ZIP64) {
            continue;
        }
        struct vg_reader z;
        vg_reader_init(&z, body, sz);
        if ((e->usize == 0xffffffffu && vg_reader_le64(&z, &e->usize, err) < 0) ||
            (e->csize == 0xffffffffu && vg_reader_le64(&z, &e->csize, err) < 0) ||
            (e->lho == 0xffffffffu && vg_reader_le64(&z, &e->lho, err) < 0)) {
            return vg_err_wrap(err, "zip: zip64 extra field");
        }
        return 0;
    }
    return 0;
}

static int
read_central(struct vg_reader *r, struct vg_zip_entry *e, struct vg_err **err)
{
    uint32_t sig, csize, usize, lho;
    uint16_t namelen, extralen, commentlen;
    const uint8_t *name, *extra;
    if (vg_reader_le32(r, &sig, err) < 0) {
        return -1;
    }
    if (sig != ZIP_SIG_CENTRAL) {
        return vg_err_set(err, VG_E_PARSE, "zip: bad central directory signature 0x%08x", sig);
    }
    if (vg_reader_skip(r, 4, err) < 0 || vg_reader_le16(r, &e->flags, err) < 0 ||
        vg_reader_le16(r, &e->method, err) < 0 || vg_reader_skip(r, 4, err) < 0 ||
        vg_reader_le32(r, &e->crc, err) < 0 || vg_reader_le32(r, &csize, err) < 0 ||
        vg_reader_le32(r, &usize, err) < 0 || vg_reader_le16(r, &namelen, err) < 0 ||
        vg_reader_le16(r, &extralen, err) < 0 || vg_reader_le16(r, &commentlen, err) < 0 ||
        vg_reader_skip(r, 8, err) < 0 || vg_reader_le32(r, &lho, err) < 0 ||
        vg_reader_take(r, namelen, &name, err) < 0 ||
        vg_reader_take(r, extralen, &extra, err) < 0 || vg_reader_skip(r, commentlen, err) < 0) {
        return -1;
    }
    e->name = (struct vg_str){(const char *)name, namelen};
    e->csize = csize;
    e->usize = usize;
    e->lho = lho;
    return apply_zip64_extra(e, extra, extralen, err);
}

static int
cmp_lho(const void *a, const void *b)
{
    const struct vg_zip_entry *x = *(const struct vg_zip_entry *const *)a;
    const struct vg_zip_entry *y = *(const struct vg_zip_entry *const *)b;
    return x->lho < y->lho ? -1 : x->lho > y->lho;
}

/* Members lie one after the other before the central directory: a member's local header
 * (at least 30 bytes plus its name) and data may not reach into the next member or the
 * directory. This refuses overlapping-member bombs and directories pointing twice at one
 * member. Local extra fields are not counted here (they are checked when a member is read). */
static int
check_layout(const struct vg_zip *z, uint64_t dir_off, struct vg_err **err)
{
    if (z->n == 0) {
        return 0;
    }
    const struct vg_zip_entry **by = vg_calloc(z->n, sizeof(*by));
    for (size_t i = 0; i < z->n; i++) {
        by[i] = &z->ents[i];
    }
    vg_qsort(by, z->n, sizeof(*by), cmp_lho);
    int rc = 0;
    for (size_t i = 0; i < z->n && rc == 0; i++) {
        const struct vg_zip_entry *e = by[i];
        uint64_t end, limit = i + 1 < z->n ? by[i + 1]->lho : dir_off;
        if (vg_ckd_add(&end, e->lho, ZIP_LFH_BYTES + (uint64_t)e->name.len) ||
            vg_ckd_add(&end, end, e->csize) || end > limit) {
            rc = vg_err_set(err, VG_E_PARSE,
                            "zip: member at offset %llu (%llu bytes) overlaps %s at offset %llu",
                            (unsigned long long)e->lho, (unsigned long long)e->csize,
                            i + 1 < z->n ? "the next member" : "the central directory",
                            (unsigned long long)limit);
        }
    }
    free(by);
    return rc;
}

int
vg_zip_open(struct vg_zip *z, const uint8_t *data, size_t len, size_t max_entries,
            struct vg_err **err)
{
    struct zip_dir dir = {0};
    memset(z, 0, sizeof(*z));
    if (read_end(data, len, &dir, err) < 0) {
        return -1;
    }
    uint64_t dir_end;
    if (vg_ckd_add(&dir_end, dir.off, dir.size) || dir_end > dir.end_pos) {
        return vg_err_set(err, VG_E_PARSE,
                          "zip: central directory (%llu bytes at %llu) "
                          "overlaps its end record at %llu",
                          (unsigned long long)dir.size, (unsigned long long)dir.off,
                          (unsigned long long)dir.end_pos);
    }
    if (dir.count > max_entries) {
        return vg_err_set(err, VG_E_LIMIT, "zip: %llu entries (limit %zu)",
                          (unsigned long long)dir.count, max_entries);
    }
    /* Offsets count from the archive start; anything before it was prepended. */
    uint64_t base = dir.end_pos - dir_end;
    struct vg_reader r;
    vg_reader_init(&r, data + base + dir.off, (size_t)dir.size);
    size_t cap = 0;
    for (uint64_t i = 0; i < dir.count; i++) {
        z->ents = vg_vec_grow(z->ents, &cap, z->n, 1, sizeof(*z->ents));
        struct vg_zip_entry *e = &z->ents[z->n];
        memset(e, 0, sizeof(*e));
        if (read_central(&r, e, err) < 0) {
            vg_zip_dispose(z);
            return vg_err_wrap(err, "zip: entry %llu at offset %llu", (unsigned long long)i,
                               (unsigned long long)(base + dir.off + r.off));
        }
        z->n++;
    }
    if (check_layout(z, dir.off, err) < 0) {
        vg_zip_dispose(z);
        return -1;
    }
    z->data = data;
    z->len = len;
    z->base = base;
    return 0;
}

void
vg_zip_dispose(struct vg_zip *z)
{
    free(z->ents);
    memset(z, 0, sizeof(*z));
}

int
vg_zip_raw(const struct vg_zip *z, const struct vg_zip_entry *e, const uint8_t **data, size_t *len,
           struct vg_err **err)
{
    uint64_t at;
    if (vg_ckd_add(&at, z->base, e->lho) || at > z->len || z->len - at < ZIP_LFH_BYTES) {
        return vg_err_set(err, VG_E_PARSE, "zip: local header at %llu out of range",
                          (unsigned long long)e->lho);
    }
    struct vg_reader r;
    uint32_t sig;
    uint16_t namelen, extralen;
    vg_reader_init(&r, z->data + at, (size_t)(z->len - at));
    if (vg_reader_le32(&r, &sig, err) < 0) {
        return vg_err_wrap(err, "zip: bad local header signature at %llu", (unsigned long long)at);
    }
    if (sig != ZIP_SIG_LOCAL) {
        return vg_err_set(err, VG_E_PARSE, "zip: bad local header signature at %llu",
                          (unsigned long long)at);
    }
    if (vg_reader_skip(&r, 22, err) < 0 || vg_reader_le16(&r, &namelen, err) < 0 ||
        vg_reader_le16(&r, &extralen, err) < 0 || vg_reader_skip(&r, namelen, err) < 0 ||
        vg_reader_skip(&r, extralen, err) < 0) {
        return vg_err_wrap(err, "zip: local header at %llu", (unsigned long long)at);
    }
    if (e->csize > r.left) {
        return vg_err_set(err, VG_E_PARSE, "zip: member of %llu bytes at %llu runs past the end",
                          (unsigned long long)e->csize, (unsigned long long)at);
    }
    *data = r.p;
    *len = (size_t)e->csize;
    return 0;
}

static int
inflate_into(const uint8_t *src, size_t n, size_t max, struct vg_buf *out, struct vg_err **err)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
        return vg_err_set(err, VG_E_INTERNAL, "zlib: inflateInit2 failed");
    }
    zs.next_in = (Bytef *)(uintptr_t)src;
    int zr = Z_OK;
    size_t fed = 0;
    while (zr != Z_STREAM_END) {
        if (zs.avail_in == 0) {
            size_t take = n - fed < (1u << 30) ? n - fed : (1u << 30);
            zs.avail_in = (uInt)take;
            fed += take;
        }
        if (out->len == max) {
            inflateEnd(&zs);
            return vg_err_set(err, VG_E_LIMIT, "zip: member inflates past %zu bytes", max);
        }
        size_t room = max - out->len < ZIP_INFLATE_CHUNK ? max - out->len : ZIP_INFLATE_CHUNK;
        if (vg_buf_reserve(out, room, err) < 0) {
            inflateEnd(&zs);
            return -1;
        }
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)room;
        zr = inflate(&zs, Z_NO_FLUSH);
        out->len += room - zs.avail_out;
        out->data[out->len] = '\0';
        if (zr == Z_BUF_ERROR && zs.avail_in == 0 && fed == n) {
            break; /* input exhausted before the stream ended */
        }
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
            inflateEnd(&zs);
            return vg_err_set(err, VG_E_PARSE, "zip: corrupt deflate data (%s)",
                              zs.msg ? zs.msg : "zlib error");
        }
    }
    inflateEnd(&zs);
    if (zr != Z_STREAM_END) {
        return vg_err_set(err, VG_E_PARSE, "zip: truncated deflate data");
    }
    return 0;
}

static int
check_crc(const struct vg_zip_entry *e, const struct vg_buf *out, struct vg_err **err)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t done = 0; done < out->len;) {
        size_t take = out->len - done < (1u << 30) ? out->len - done : (1u << 30);
        crc = crc32(crc, out->data + done, (uInt)take);
        done += take;
    }
    if ((uint32_t)crc != e->crc) {
        return vg_err_set(err, VG_E_PARSE, "zip: member CRC-32 %08x, expected %08x", (unsigned)crc,
                          (unsigned)e->crc);
    }
    return 0;
}

int
vg_zip_read(const struct vg_zip *z, const struct vg_zip_entry *e, size_t max, struct vg_buf *out,
            struct vg_err **err)
{
    vg_buf_reset(out);
    if (e->flags & 1u) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "zip: encrypted member");
    }
    if (e->usize > max) {
        return vg_err_set(err, VG_E_LIMIT, "zip: member declares %llu bytes (limit %zu)",
                          (unsigned long long)e->usize, max);
    }
    const uint8_t *raw;
    size_t n;
    if (vg_zip_raw(z, e, &raw, &n, err) < 0) {
        return -1;
    }
    if (e->method == 0) {
        if (n > max) {
            return vg_err_set(err, VG_E_LIMIT, "zip: stored member of %zu bytes (limit %zu)", n,
                              max);
        }
        if (vg_buf_append(out, raw, n, err) < 0) {
            return -1;
        }
        return check_crc(e, out, err);
    }
    if (e->method != 8) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "zip: compression method %u", e->method);
    }
    /* Deflate cannot expand more than ~1032:1: inflation stops there too (the declared size
     * is only a sizing hint, never trusted beyond the bound). */
    uint64_t ratio_cap;
    if (!vg_ckd_mul(&ratio_cap, (uint64_t)n, VG_ZIP_MAX_RATIO) && ratio_cap < max) {
        max = (size_t)ratio_cap;
    }
    if (e->usize && vg_buf_reserve(out, e->usize < max ? (size_t)e->usize : max, err) < 0) {
        return -1;
    }
    if (inflate_into(raw, n, max, out, err) < 0) {
        return -1;
    }
    return check_crc(e, out, err);
}

int
vg_zip_local_next(const uint8_t *data, size_t len, uint64_t *off, struct vg_zip_entry *e,
                  uint64_t *data_off)
{
    struct vg_reader r;
    struct vg_err *err = NULL;
    uint32_t sig, csize, usize;
    uint16_t namelen, extralen;
    const uint8_t *name, *extra;
    memset(e, 0, sizeof(*e));
    *data_off = 0;
    if (*off >= len) {
        return 0;
    }
    vg_reader_init(&r, data + *off, (size_t)(len - *off));
    if (vg_reader_le32(&r, &sig, &err) < 0 || sig != ZIP_SIG_LOCAL ||
        vg_reader_skip(&r, 2, &err) < 0 || vg_reader_le16(&r, &e->flags, &err) < 0 ||
        vg_reader_le16(&r, &e->method, &err) < 0 || vg_reader_skip(&r, 8, &err) < 0 ||
        vg_reader_le32(&r, &csize, &err) < 0 || vg_reader_le32(&r, &usize, &err) < 0 ||
        vg_reader_le16(&r, &namelen, &err) < 0 || vg_reader_le16(&r, &extralen, &err) < 0 ||
        vg_reader_take(&r, namelen, &name, &err) < 0 ||
        vg_reader_take(&r, extralen, &extra, &err) < 0) {
        vg_err_free(&err);
        return 0;
    }
    e->name = (struct vg_str){(const char *)name, namelen};
    e->csize = csize;
    e->usize = usize;
    /* A local zip64 extra carries usize then csize; the offset field is never there. */
    if (apply_zip64_extra(e, extra, extralen, &err) < 0 || (e->flags & 8u) ||
        e->csize == 0xffffffffu || e->usize == 0xffffffffu) {
        vg_err_free(&err);
        return 0; /* sizes unknown without the central directory */
    }
    e->lho = *off;
    *data_off = *off + r.off;
    *off = e->csize > r.left ? len : *data_off + e->csize;
    return 1;
}
