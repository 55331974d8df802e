/* SPDX-License-Identifier: Apache-2.0
 *
 * RPM versions: [epoch:]version[-release] split like rpm's parseEVR (the epoch is the run of
 * digits before a ':', the release follows the last '-'), compared like librpm's rpmverCmp:
 * epoch (missing = "0"), then version, then release, each with rpmvercmp. A missing release
 * sorts before any present one (even an empty one), as rpm.ver does.
 *
 * rpmvercmp: runs of ASCII letters or digits are compared pairwise, everything else separates;
 * '~' sorts before anything (even the end), '^' after the end but before anything else; a
 * numeric run beats an alphabetic one; numbers compare numerically, letters byte-wise.
 */
#include "version.h"

#include <string.h>

#include "ver_int.h"

struct rpm_evr {
    struct vg_str e, v, r;
    bool has_r;
};

static struct rpm_evr
evr_parse(struct vg_str s)
{
    struct rpm_evr x = {.e = {"0", 1}};
    size_t nd = vg_ver_digits_span(s, 0);
    size_t vstart = 0;
    if (nd < s.len && s.ptr[nd] == ':') {
        if (nd > 0) {
            x.e = vg_ver_sub(s, 0, nd);
        }
        vstart = nd + 1;
    }
    size_t hy = s.len;
    for (size_t i = s.len; i > nd; i--) {
        if (s.ptr[i - 1] == '-') {
            hy = i - 1;
            break;
        }
    }
    if (hy < s.len && hy >= vstart) {
        x.v = vg_ver_sub(s, vstart, hy);
        x.r = vg_ver_sub(s, hy + 1, s.len);
        x.has_r = true;
    } else {
        x.v = vg_ver_sub(s, vstart, s.len);
    }
    return x;
}

static bool
seg_char(int c)
{
    return ver_isalnum(c) || c == '~' || c == '^';
}

int
vg_ver_rpmvercmp(struct vg_str a, struct vg_str b)
{
    if (a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0)) {
        return 0;
    }
    size_t i = 0, j = 0;
    while (i < a.len || j < b.len) {
        while (i < a.len && !seg_char(ver_at(a, i))) {
            i++;
        }
        while (j < b.len && !seg_char(ver_at(b, j))) {
            j++;
        }
        int ca = ver_at(a, i), cb = ver_at(b, j);
        if (ca == '~' || cb == '~') {
            if (ca != '~') {
                return 1;
            }
            if (cb != '~') {
                return -1;
            }
            i++;
            j++;
            continue;
        }
        if (ca == '^' || cb == '^') {
            if (!ca) {
                return -1;
            }
            if (!cb) {
                return 1;
            }
            if (ca != '^') {
                return 1;
            }
            if (cb != '^') {
                return -1;
            }
            i++;
            j++;
            continue;
        }
        if (!ca || !cb) {
            break;
        }
        bool num = ver_isdigit(ca);
        size_t ei = i, ej = j;
        while (ei < a.len && (num ? ver_isdigit(ver_at(a, ei)) : ver_isalpha(ver_at(a, ei)))) {
            ei++;
        }
        while (ej < b.len && (num ? ver_isdigit(ver_at(b, ej)) : ver_isalpha(ver_at(b, ej)))) {
            ej++;
        }
        if (ej == j) {
            /* b's segment is of the other type: numbers beat letters */
            return num ? 1 : -1;
        }
        struct vg_str sa = vg_ver_sub(a, i, ei), sb = vg_ver_sub(b, j, ej);
        int r = num ? vg_ver_digits_cmp(sa, sb) : vg_ver_bytes_cmp(sa, sb);
        if (r != 0) {
            return r;
        }
        i = ei;
        j = ej;
    }
    if (i >= a.len && j >= b.len) {
        return 0;
    }
    return i >= a.len ? -1 : 1;
}

int
vg_ver_rpm_cmp(struct vg_str a, struct vg_str b)
{
    struct rpm_evr x = evr_parse(a), y = evr_parse(b);
    int r = vg_ver_rpmvercmp(x.e, y.e);
    if (r == 0) {
        r = vg_ver_rpmvercmp(x.v, y.v);
    }
    if (r == 0) {
        if (x.has_r && y.has_r) {
            r = vg_ver_rpmvercmp(x.r, y.r);
        } else if (x.has_r != y.has_r) {
            r = x.has_r ? 1 : -1;
        }
    }
    return r;
}

bool
vg_ver_rpm_valid(struct vg_str v)
{
    if (v.len == 0) {
        return false;
    }
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        if (c <= ' ' || c == 0x7f) {
            return false;
        }
    }
    return true;
}
