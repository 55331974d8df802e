/* SPDX-License-Identifier: Apache-2.0
 *
 * Go encoding/json string escaping, so that payloads we generate are byte-identical to
 * cosign's (cosign-format.md §2.1), and a bounded base64 decoder for signature fields. It
 * does not build whole documents (payload.c, dsse.c).
 */
#include "sign_int.h"

#include <string.h>

/* Decodes one UTF-8 sequence the way Go's utf8.DecodeRune accepts it (no overlongs, no
 * surrogates, <= U+10FFFF). Returns the rune and sets *size, or -1 with *size = 1. */
static int32_t
utf8_decode(const uint8_t *p, size_t n, size_t *size)
{
    *size = 1;
    uint8_t c = p[0];
    size_t need;
    int32_t r, min;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2, r = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3, r = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4, r = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (n < need) {
        return -1;
    }
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return -1;
        }
        r = (r << 6) | (p[i] & 0x3f);
    }
    if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) {
        return -1;
    }
    *size = need;
    return r;
}

static int
ascii_escape(struct vg_buf *out, uint8_t c, struct vg_err **err)
{
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"':
        return vg_buf_append(out, "\\\"", 2, err);
    case '\\':
        return vg_buf_append(out, "\\\\", 2, err);
    case '\b':
        return vg_buf_append(out, "\\b", 2, err);
    case '\f':
        return vg_buf_append(out, "\\f", 2, err);
    case '\n':
        return vg_buf_append(out, "\\n", 2, err);
    case '\r':
        return vg_buf_append(out, "\\r", 2, err);
    case '\t':
        return vg_buf_append(out, "\\t", 2, err);
    default:
        break;
    }
    char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
    return vg_buf_append(out, u, sizeof(u), err);
}

static bool
ascii_safe(uint8_t c)
{
    return c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

int
vg_sign__go_string(struct vg_buf *out, const char *s, size_t len, struct vg_err **err)
{
    const uint8_t *p = (const uint8_t *)s;
    int rc = vg_buf_appendc(out, '"', err);
    for (size_t i = 0; i < len && rc == 0;) {
        if (p[i] < 0x80) {
            rc = ascii_safe(p[i]) ? vg_buf_appendc(out, (char)p[i], err)
                                  : ascii_escape(out, p[i], err);
            i++;
            continue;
        }
        size_t size = 1;
        int32_t r = utf8_decode(p + i, len - i, &size);
        if (r < 0) {
            rc = vg_buf_append(out, "\\ufffd", 6, err);
        } else if (r == 0x2028 || r == 0x2029) {
            rc = vg_buf_append(out, r == 0x2028 ? "\\u2028" : "\\u2029", 6, err);
        } else {
            rc = vg_buf_append(out, p + i, size, err);
        }
        i += size;
    }
    return rc < 0 ? rc : vg_buf_appendc(out, '"', err);
}

int
vg_sign__b64(uint8_t **out, size_t *outlen, const char *s, size_t max, const char *what,
             struct vg_err **err)
{
    size_t n = strlen(s);
    if (n / 4 * 3 > max + 3) {
        return vg_err_set(err, VG_E_LIMIT,
                          "%s: %zu base64 characters exceed the limit of %zu "
                          "bytes",
                          what, n, max);
    }
    int rc = vg_base64_decode(out, outlen, s, n, false, err);
    if (rc < 0) {
        return vg_err_wrap(err, "%s", what);
    }
    if (*outlen > max) {
        free(*out);
        *out = NULL;
        return vg_err_set(err, VG_E_LIMIT, "%s: %zu bytes exceed the limit of %zu", what, *outlen,
                          max);
    }
    return 0;
}
