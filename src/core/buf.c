/* SPDX-License-Identifier: Apache-2.0
 *
 * The bounded growable buffer (after curl's dynbuf) and string formatting helpers. The ceiling
 * set at init is the only thing standing between hostile input and memory, so every growth
 * path checks it with overflow-safe arithmetic.
 */
#include "core.h"

#include <string.h>

void
vg_buf_init(struct vg_buf *b, size_t max)
{
    *b = VG_BUF_INIT(max);
}

void
vg_buf_dispose(struct vg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
vg_buf_reset(struct vg_buf *b)
{
    b->len = 0;
    if (b->data) {
        b->data[0] = '\0';
    }
}

int
vg_buf_reserve(struct vg_buf *b, size_t extra, struct vg_err **err)
{
    size_t need;
    /* need + 1 (the NUL) must fit in size_t too: a max of SIZE_MAX means "no limit". */
    if (vg_ckd_add(&need, b->len, extra) || need > b->max || need == SIZE_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "data exceeds the limit of %zu bytes", b->max);
    }
    if (need + 1 <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need + 1) {
        if (vg_ckd_mul(&cap, cap, (size_t)2)) {
            cap = need + 1;
            break;
        }
    }
    if (b->max < SIZE_MAX && cap > b->max + 1) {
        cap = b->max + 1;
    }
    b->data = vg_realloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int
vg_buf_append(struct vg_buf *b, const void *p, size_t n, struct vg_err **err)
{
    if (vg_buf_reserve(b, n, err) < 0) {
        return -(int)VG_E_LIMIT;
    }
    if (n) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
vg_buf_append_str(struct vg_buf *b, const char *s, struct vg_err **err)
{
    return vg_buf_append(b, s, strlen(s), err);
}

int
vg_buf_appendc(struct vg_buf *b, char c, struct vg_err **err)
{
    return vg_buf_append(b, &c, 1, err);
}

int
vg_buf_appendf(struct vg_buf *b, struct vg_err **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vg_vfmt(fmt, ap);
    va_end(ap);
    int rc = vg_buf_append_str(b, s, err);
    free(s);
    return rc;
}

char *
vg_buf_take(struct vg_buf *b, size_t *len)
{
    char *d;
    if (!b->data) {
        d = vg_strdup("");
    } else {
        d = (char *)b->data;
    }
    if (len) {
        *len = b->len;
    }
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

const char *
vg_buf_cstr(const struct vg_buf *b)
{
    return b->data ? (const char *)b->data : "";
}

char *
vg_vfmt(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    /* Formatted once into a stack buffer, which is all most strings need; only longer ones
     * are formatted a second time. A truncation there is measuring, not an accident. */
    char small[512];
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
    int n = vsnprintf(small, sizeof(small), fmt, ap2);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    va_end(ap2);
    if (n < 0) {
        return vg_strdup("(format error)");
    }
    char *s = vg_malloc((size_t)n + 1);
    if ((size_t)n < sizeof(small)) {
        memcpy(s, small, (size_t)n + 1);
        return s;
    }
    int m = vsnprintf(s, (size_t)n + 1, fmt, ap);
    if (m != n) {
        s[0] = '\0';
    }
    return s;
}

char *
vg_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vg_vfmt(fmt, ap);
    va_end(ap);
    return s;
}

void
vg_reader_init(struct vg_reader *r, const void *data, size_t len)
{
    r->p = data;
    r->left = len;
    r->off = 0;
}

int
vg_reader_take(struct vg_reader *r, size_t n, const uint8_t **out, struct vg_err **err)
{
    if (n > r->left) {
        return vg_err_set(err, VG_E_PARSE,
                          "truncated input: need %zu bytes at offset %llu, %zu left", n,
                          (unsigned long long)r->off, r->left);
    }
    if (out) {
        *out = r->p;
    }
    r->p += n;
    r->left -= n;
    r->off += n;
    return 0;
}

int
vg_reader_skip(struct vg_reader *r, size_t n, struct vg_err **err)
{
    return vg_reader_take(r, n, NULL, err);
}

int
vg_reader_u8(struct vg_reader *r, uint8_t *out, struct vg_err **err)
{
    const uint8_t *p;
    if (vg_reader_take(r, 1, &p, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    *out = p[0];
    return 0;
}

#define READER_INT(name, type, n, expr)                                                            \
    int name(struct vg_reader *r, type *out, struct vg_err **err)                                  \
    {                                                                                              \
        const uint8_t *p;                                                                          \
        if (vg_reader_take(r, n, &p, err) < 0) {                                                   \
            return -(int)VG_E_PARSE;                                                               \
        }                                                                                          \
        type v = 0;                                                                                \
        for (size_t i = 0; i < n; i++) {                                                           \
            v |= (type)((type)p[i] << (expr));                                                     \
        }                                                                                          \
        *out = v;                                                                                  \
        return 0;                                                                                  \
    }
READER_INT(vg_reader_le16, uint16_t, 2, 8 * i)
READER_INT(vg_reader_le32, uint32_t, 4, 8 * i)
READER_INT(vg_reader_le64, uint64_t, 8, 8 * i)
READER_INT(vg_reader_be16, uint16_t, 2, 8 * (1 - i))
READER_INT(vg_reader_be32, uint32_t, 4, 8 * (3 - i))
READER_INT(vg_reader_be64, uint64_t, 8, 8 * (7 - i))

int
vg_reader_line(struct vg_reader *r, size_t max, struct vg_str *line, struct vg_err **err)
{
    if (r->left == 0) {
        return 0;
    }
    const uint8_t *nl = memchr(r->p, '\n', r->left);
    size_t n = nl ? (size_t)(nl - r->p) : r->left;
    if (n > max) {
        return vg_err_set(err, VG_E_LIMIT, "line at offset %llu is longer than %zu bytes",
                          (unsigned long long)r->off, max);
    }
    *line = (struct vg_str){(const char *)r->p, n};
    size_t adv = nl ? n + 1 : n;
    r->p += adv;
    r->left -= adv;
    r->off += adv;
    return 1;
}

int
vg_reader_text_line(struct vg_reader *r, size_t max, struct vg_str *line, struct vg_err **err)
{
    int rc = vg_reader_line(r, max, line, err);
    if (rc > 0 && line->len && line->ptr[line->len - 1] == '\r') {
        line->len--;
    }
    return rc;
}
