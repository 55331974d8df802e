/* SPDX-License-Identifier: Apache-2.0
 *
 * Percent-decoding (RFC 3986 §2.1), the one decoder for every URL part vigil reads: httpd's
 * query parameters, the Distribution routes and queries (oci/dist_route.c) and package URLs
 * (inventory/purl.c). Callers differ only in what they refuse and in '+', so those are flags;
 * the output is written into the caller's memory (an arena, a heap block) and is never longer
 * than the input. It does not split URLs or check any grammar: that stays with each caller.
 */
#include "core.h"

static int
hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int
vg_pct_decode(char *out, size_t *outlen, const char *s, size_t len, unsigned flags,
              struct vg_err **err)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        size_t at = i;
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                c = (unsigned char)(hi * 16 + lo);
                i += 2;
            } else if (!(flags & VG_PCT_KEEP_INVALID)) {
                return vg_err_set(err, VG_E_PARSE, "bad percent-escape at offset %zu", at);
            }
        } else if (c == '+' && (flags & VG_PCT_PLUS_SPACE)) {
            c = ' ';
        }
        if ((flags & VG_PCT_REFUSE_CTL) && (c < 0x20 || c == 0x7f)) {
            return vg_err_set(err, VG_E_PARSE, "control character at offset %zu", at);
        }
        if ((flags & VG_PCT_REFUSE_NUL) && c == 0) {
            return vg_err_set(err, VG_E_PARSE, "NUL byte at offset %zu", at);
        }
        out[k++] = (char)c;
    }
    out[k] = '\0';
    if (outlen) {
        *outlen = k;
    }
    return 0;
}

char *
vg_pct_decode_dup(const char *s, size_t len, unsigned flags, struct vg_err **err)
{
    size_t n;
    if (vg_ckd_add(&n, len, (size_t)1)) {
        vg_err_set(err, VG_E_LIMIT, "percent-encoded text of %zu bytes", len);
        return NULL;
    }
    char *out = vg_malloc(n);
    if (vg_pct_decode(out, NULL, s, len, flags, err) < 0) {
        free(out);
        return NULL;
    }
    return out;
}
