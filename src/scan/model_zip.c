/* SPDX-License-Identifier: Apache-2.0
 *
 * Just enough of the zip format to find the pickles inside a PyTorch checkpoint
 * (torch.save since 1.6 writes a zip: `<archive>/data.pkl`, `<archive>/data/0`, ...). We read
 * the end-of-central-directory record (zip64 aware), walk the central directory, and scan each
 * `.pkl` member that is stored uncompressed (PyTorch always stores; anything compressed or
 * encrypted becomes a "not analysed" finding, since decompression belongs to the layers
 * module). When the central directory is missing (damaged file, or only the head of a large
 * file was handed to us) we fall back to walking local file headers from the start, which is
 * where torch puts data.pkl. Every offset and size is checked against the buffer.
 */
#include <string.h>

#include "model_int.h"

#define ZIP_LOCAL_SIG   0x04034b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_EOCD_SIG    0x06054b50u
#define ZIP64_LOC_SIG   0x07064b50u
#define ZIP64_EOCD_SIG  0x06064b50u
#define ZIP_MAX_COMMENT 65535u

static uint32_t
rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t
rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t
rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

struct zentry {
    struct vg_str name;
    uint16_t flags, method;
    uint64_t csize, usize, local_off;
};

struct zctx {
    const char *path;
    const uint8_t *d;
    size_t len;
    struct vg_model_findings *out;
    unsigned scanned;
};

static void
zbad(struct zctx *z, uint64_t off, const char *what)
{
    vg_model_add(z->out, VG_MODEL_ID_ZIP_MALFORMED, VG_SCAN_SEV_HIGH, "Malformed zip container",
                 z->path, off, "zip: %s at offset %llu", what, (unsigned long long)off);
}

static bool
is_pickle_name(struct vg_str n)
{
    return vg_str_endswith(n, ".pkl") || vg_str_endswith(n, ".pickle");
}

/* Scans a member whose data starts at `data_off`. */
static void
scan_member(struct zctx *z, const struct zentry *e, uint64_t data_off)
{
    char *name = vg_escape(e->name.ptr, e->name.len, 256);
    char *label = vg_fmt("%s!%s", z->path ? z->path : "", name);
    if (e->method != 0 || (e->flags & 1u)) {
        vg_model_add(z->out, VG_MODEL_ID_NOT_ANALYSED, VG_SCAN_SEV_LOW,
                     "Model content not analysed", label, e->local_off,
                     "zip member %s is %s (method %u); only stored pickles are analysed", name,
                     (e->flags & 1u) ? "encrypted" : "compressed", e->method);
    } else if (data_off > z->len || e->csize > z->len - data_off) {
        zbad(z, e->local_off, "member data extends past the end of the file");
    } else {
        vg_pickle_scan_stream(label, z->d + data_off, (size_t)e->csize, 0, z->out);
        z->scanned++;
    }
    free(label);
    free(name);
}

/* Reads the local header at e->local_off and scans the member. */
static void
scan_via_local(struct zctx *z, const struct zentry *e)
{
    uint64_t o = e->local_off;
    if (o > z->len || z->len - o < 30 || rd32(z->d + o) != ZIP_LOCAL_SIG) {
        zbad(z, o, "central directory points to a missing local header");
        return;
    }
    uint64_t data_off = o + 30u + rd16(z->d + o + 26) + rd16(z->d + o + 28);
    scan_member(z, e, data_off);
}

/* zip64 extended information extra field (id 1): values present only for 0xffffffff fields. */
static bool
apply_zip64_extra(const uint8_t *x, size_t xl, struct zentry *e, bool need_u, bool need_c,
                  bool need_o)
{
    while (xl >= 4) {
        uint16_t id = rd16(x), sz = rd16(x + 2);
        if ((size_t)sz + 4 > xl) {
            return false;
        }
        if (id == 1) {
            const uint8_t *p = x + 4;
            size_t left = sz;
            uint64_t *want[3] = {need_u ? &e->usize : NULL, need_c ? &e->csize : NULL,
                                 need_o ? &e->local_off : NULL};
            for (int i = 0; i < 3; i++) {
                if (!want[i]) {
                    continue;
                }
                if (left < 8) {
                    return false;
                }
                *want[i] = rd64(p);
                p += 8;
                left -= 8;
            }
            return true;
        }
        x += 4u + sz;
        xl -= 4u + sz;
    }
    return !(need_u || need_c || need_o);
}

/* Finds the EOCD; fills the central directory's offset, size and entry count. */
static bool
find_central(struct zctx *z, uint64_t *cd_off, uint64_t *cd_size, uint64_t *count)
{
    if (z->len < 22) {
        return false;
    }
    size_t lo = z->len > 22u + ZIP_MAX_COMMENT ? z->len - 22u - ZIP_MAX_COMMENT : 0;
    for (size_t i = z->len - 22; i + 1 > lo; i--) {
        if (rd32(z->d + i) != ZIP_EOCD_SIG) {
            continue;
        }
        const uint8_t *e = z->d + i;
        *count = rd16(e + 10);
        *cd_size = rd32(e + 12);
        *cd_off = rd32(e + 16);
        if ((*count == 0xffffu || *cd_size == 0xffffffffu || *cd_off == 0xffffffffu) && i >= 20 &&
            rd32(z->d + i - 20) == ZIP64_LOC_SIG) {
            uint64_t z64 = rd64(z->d + i - 20 + 8);
            if (z64 > z->len || z->len - z64 < 56 || rd32(z->d + z64) != ZIP64_EOCD_SIG) {
                zbad(z, i - 20, "zip64 locator points outside the file");
                return false;
            }
            *count = rd64(z->d + z64 + 32);
            *cd_size = rd64(z->d + z64 + 40);
            *cd_off = rd64(z->d + z64 + 48);
        }
        return true;
    }
    return false;
}

static bool
walk_central(struct zctx *z, uint64_t cd_off, uint64_t cd_size, uint64_t count)
{
    if (cd_off > z->len || cd_size > z->len - cd_off) {
        zbad(z, cd_off, "central directory lies outside the file");
        return false;
    }
    if (count > VG_MODEL_MAX_ZIP_ENTRIES) {
        zbad(z, cd_off, "too many entries");
        return false;
    }
    uint64_t p = cd_off, end = cd_off + cd_size;
    for (uint64_t i = 0; i < count; i++) {
        if (end - p < 46 || rd32(z->d + p) != ZIP_CENTRAL_SIG) {
            zbad(z, p, "truncated or corrupt central directory entry");
            return false;
        }
        const uint8_t *c = z->d + p;
        struct zentry e = {.flags = rd16(c + 8),
                           .method = rd16(c + 10),
                           .csize = rd32(c + 20),
                           .usize = rd32(c + 24),
                           .local_off = rd32(c + 42)};
        uint64_t nl = rd16(c + 28), xl = rd16(c + 30), cl = rd16(c + 32);
        if (end - p - 46 < nl + xl + cl) {
            zbad(z, p, "central directory entry name/extra exceeds the directory");
            return false;
        }
        e.name = (struct vg_str){(const char *)c + 46, (size_t)nl};
        if (!apply_zip64_extra(c + 46 + nl, (size_t)xl, &e, e.usize == 0xffffffffu,
                               e.csize == 0xffffffffu, e.local_off == 0xffffffffu)) {
            zbad(z, p, "bad zip64 extra field");
            return false;
        }
        if (is_pickle_name(e.name)) {
            scan_via_local(z, &e);
        }
        p += 46 + nl + xl + cl;
    }
    return true;
}

/* Fallback: local headers in file order (sizes must be in the header, not a data descriptor). */
static void
walk_local(struct zctx *z)
{
    uint64_t p = 0;
    for (unsigned n = 0; n < VG_MODEL_MAX_ZIP_ENTRIES; n++) {
        if (z->len - p < 30 || rd32(z->d + p) != ZIP_LOCAL_SIG) {
            return;
        }
        const uint8_t *h = z->d + p;
        struct zentry e = {.flags = rd16(h + 6),
                           .method = rd16(h + 8),
                           .csize = rd32(h + 18),
                           .usize = rd32(h + 22),
                           .local_off = p};
        uint64_t nl = rd16(h + 26), xl = rd16(h + 28);
        if (z->len - p - 30 < nl + xl) {
            return;
        }
        e.name = (struct vg_str){(const char *)h + 30, (size_t)nl};
        if (!apply_zip64_extra(h + 30 + nl, (size_t)xl, &e, e.usize == 0xffffffffu,
                               e.csize == 0xffffffffu, false) ||
            (e.flags & 8u)) {
            return; /* sizes unknown without the central directory */
        }
        uint64_t data_off = p + 30 + nl + xl;
        if (is_pickle_name(e.name)) {
            scan_member(z, &e, data_off);
        }
        if (data_off > z->len || e.csize > z->len - data_off) {
            return;
        }
        p = data_off + e.csize;
    }
}

void
vg_model_check_torch_zip(const char *path, const uint8_t *data, size_t len, bool truncated,
                         struct vg_model_findings *out)
{
    struct zctx z = {.path = path, .d = data, .len = len, .out = out};
    uint64_t cd_off = 0, cd_size = 0, count = 0;
    bool have_cd = find_central(&z, &cd_off, &cd_size, &count);
    if (have_cd && walk_central(&z, cd_off, cd_size, count)) {
        return;
    }
    if (!have_cd && !truncated) {
        zbad(&z, len, "no end-of-central-directory record");
    }
    walk_local(&z);
    if (truncated) {
        vg_model_add(out, VG_MODEL_ID_NOT_ANALYSED, VG_SCAN_SEV_LOW,
                     "Model file only partly analysed", path, len,
                     "only the first %zu bytes were analysed (%u pickle members found)", len,
                     z.scanned);
    }
}
