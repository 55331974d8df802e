/* SPDX-License-Identifier: Apache-2.0
 *
 * The CBOR (RFC 8949) that COSE_Sign1 envelopes need, and no more: heads with definite lengths
 * (an indefinite length, a reserved additional-info value or a length past the input is an
 * error naming its offset), nesting bounded by CBOR_DEPTH_MAX and counts by CBOR_ITEMS_MAX so
 * hostile input can neither recurse deeply nor make us allocate from a claimed count, maps
 * with integer or text keys and no duplicates, and the few encoders signing uses. Floats and
 * simple values are skipped over, never interpreted.
 */
#include "notation_int.h"

#include <string.h>

static int
bad(struct vg_err **err, uint64_t off, const char *what)
{
    return vg_err_set(err, VG_E_PARSE, "CBOR at offset %llu: %s", (unsigned long long)off, what);
}

static int
read_be(struct vg_reader *r, size_t n, uint64_t *v, struct vg_err **err)
{
    const uint8_t *p = NULL;
    if (vg_reader_take(r, n, &p, err) < 0) {
        return -1;
    }
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        *v = (*v << 8) | p[i];
    }
    return 0;
}

int
vg_notation__cbor_head(struct vg_reader *r, struct cbor_item *it, struct vg_err **err)
{
    uint64_t off = r->off;
    uint8_t b = 0;
    vg_autoerr struct vg_err *e = NULL;
    if (vg_reader_u8(r, &b, &e) < 0) {
        return bad(err, off, "truncated");
    }
    *it = (struct cbor_item){.major = (enum cbor_major)(b >> 5), .raw = r->p - 1};
    uint8_t ai = b & 0x1f;
    uint64_t v = ai;
    if (ai == 24 || ai == 25 || ai == 26 || ai == 27) {
        if (read_be(r, (size_t)1 << (ai - 24), &v, &e) < 0) {
            return bad(err, off, "truncated head");
        }
    } else if (ai > 27) {
        return bad(err, off, ai == 31 ? "indefinite length is not supported" : "reserved head");
    }
    it->len = v;
    switch (it->major) {
    case CBOR_UINT:
        if (v > INT64_MAX) {
            return bad(err, off, "integer out of range");
        }
        it->i = (int64_t)v;
        break;
    case CBOR_NEGINT:
        if (v > INT64_MAX) {
            return bad(err, off, "integer out of range");
        }
        it->i = -1 - (int64_t)v;
        break;
    case CBOR_BSTR:
    case CBOR_TSTR:
        if (v > r->left) {
            return bad(err, off, "string longer than the input");
        }
        if (vg_reader_take(r, (size_t)v, &it->bytes, &e) < 0) {
            return bad(err, off, "truncated string");
        }
        break;
    case CBOR_ARRAY:
    case CBOR_MAP:
        if (v > CBOR_ITEMS_MAX || v > r->left) {
            return bad(err, off, "too many entries");
        }
        break;
    default:
        break;
    }
    it->rawlen = (size_t)(r->p - it->raw);
    return 0;
}

static int
skip(struct vg_reader *r, struct cbor_item *it, unsigned depth, struct vg_err **err)
{
    uint64_t off = r->off;
    if (depth > CBOR_DEPTH_MAX) {
        return bad(err, off, "nested too deeply");
    }
    if (vg_notation__cbor_head(r, it, err) < 0) {
        return -1;
    }
    uint64_t n = it->major == CBOR_ARRAY ? it->len
                 : it->major == CBOR_MAP ? 2 * it->len
                 : it->major == CBOR_TAG ? 1
                                         : 0;
    for (uint64_t i = 0; i < n; i++) {
        struct cbor_item sub;
        if (skip(r, &sub, depth + 1, err) < 0) {
            return -1;
        }
    }
    it->rawlen = (size_t)(r->p - it->raw);
    return 0;
}

int
vg_notation__cbor_item(struct vg_reader *r, struct cbor_item *it, struct vg_err **err)
{
    return skip(r, it, 0, err);
}

const struct cbor_entry *
vg_notation__cbor_get(const struct cbor_entry *m, size_t n, int64_t ikey, const char *tkey)
{
    for (size_t i = 0; i < n; i++) {
        if (tkey ? m[i].text && m[i].tlen == strlen(tkey) && memcmp(m[i].tkey, tkey, m[i].tlen) == 0
                 : !m[i].text && m[i].ikey == ikey) {
            return &m[i];
        }
    }
    return NULL;
}

int
vg_notation__cbor_map(struct cbor_entry **out, size_t *nout, const uint8_t *data, size_t len,
                      struct vg_err **err)
{
    struct vg_reader r;
    vg_reader_init(&r, data, len);
    struct cbor_item m;
    if (vg_notation__cbor_head(&r, &m, err) < 0) {
        return -1;
    }
    if (m.major != CBOR_MAP) {
        return bad(err, 0, "not a map");
    }
    struct cbor_entry *v = vg_calloc(m.len ? (size_t)m.len : 1, sizeof(*v));
    size_t n = 0;
    int rc = 0;
    for (uint64_t i = 0; i < m.len && rc == 0; i++) {
        uint64_t off = r.off;
        struct cbor_item k;
        struct cbor_entry *e = &v[n];
        if ((rc = skip(&r, &k, 1, err)) < 0) {
            break;
        }
        if (k.major == CBOR_TSTR) {
            *e = (struct cbor_entry){.text = true, .tkey = k.bytes, .tlen = (size_t)k.len};
        } else if (k.major == CBOR_UINT || k.major == CBOR_NEGINT) {
            *e = (struct cbor_entry){.ikey = k.i};
        } else {
            rc = bad(err, off, "map key is neither an integer nor a text string");
            break;
        }
        for (size_t j = 0; j < n; j++) {
            if (v[j].text == e->text &&
                (e->text ? v[j].tlen == e->tlen && memcmp(v[j].tkey, e->tkey, e->tlen) == 0
                         : v[j].ikey == e->ikey)) {
                rc = bad(err, off, "duplicate map key");
            }
        }
        if (rc == 0) {
            rc = skip(&r, &e->value, 1, err);
        }
        n++;
    }
    if (rc == 0 && r.left) {
        rc = bad(err, r.off, "trailing bytes after the map");
    }
    if (rc < 0) {
        free(v);
        return -1;
    }
    *out = v;
    *nout = n;
    return 0;
}

int
vg_notation__cbor_put_head(struct vg_buf *out, enum cbor_major major, uint64_t v,
                           struct vg_err **err)
{
    uint8_t b[9];
    size_t n = 1;
    uint8_t mt = (uint8_t)((unsigned)major << 5);
    if (v < 24) {
        b[0] = (uint8_t)(mt | v);
    } else {
        size_t bytes = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
        b[0] = (uint8_t)(mt | (bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27));
        for (size_t i = 0; i < bytes; i++) {
            b[1 + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
        }
        n += bytes;
    }
    return vg_buf_append(out, b, n, err);
}

int
vg_notation__cbor_put_int(struct vg_buf *out, int64_t v, struct vg_err **err)
{
    return v >= 0 ? vg_notation__cbor_put_head(out, CBOR_UINT, (uint64_t)v, err)
                  : vg_notation__cbor_put_head(out, CBOR_NEGINT, (uint64_t)(-1 - v), err);
}

int
vg_notation__cbor_put_bytes(struct vg_buf *out, enum cbor_major major, const void *p, size_t n,
                            struct vg_err **err)
{
    if (vg_notation__cbor_put_head(out, major, n, err) < 0) {
        return -1;
    }
    return vg_buf_append(out, p, n, err);
}

int
vg_notation__cbor_put_text(struct vg_buf *out, const char *s, struct vg_err **err)
{
    return vg_notation__cbor_put_bytes(out, CBOR_TSTR, s, strlen(s), err);
}
