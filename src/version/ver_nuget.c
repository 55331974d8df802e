/* SPDX-License-Identifier: Apache-2.0
 *
 * NuGet versions, ordered like NuGet.Versioning's NuGetVersion with the default comparer:
 * 1 to 4 numeric parts (int32, leading zeros allowed, missing parts are 0), optional
 * "-label(.label)*" and ignored "+metadata". A release sorts after its prereleases; labels
 * compare pairwise: both integers (Int32.TryParse) numerically, an integer before a
 * non-integer, otherwise case-insensitively; a shorter label list that is a prefix sorts first.
 * Invalid versions sort after valid ones.
 */
#include "version.h"

#include "ver_int.h"

#define INT32_MAXV 2147483647u

struct nuget {
    struct vg_str part[4];
    struct vg_str labels; /* after '-', before '+'; empty when no prerelease */
    bool ok;
};

static bool
label_char(int c)
{
    return ver_isalnum(c) || c == '-';
}

/* Dot-separated non-empty labels of [0-9A-Za-z-]; `leading_zeros` false rejects "01". */
static bool
labels_valid(struct vg_str s, bool leading_zeros)
{
    size_t i = 0;
    for (;;) {
        size_t st = i;
        while (i < s.len && label_char(ver_at(s, i))) {
            i++;
        }
        struct vg_str l = vg_ver_sub(s, st, i);
        if (l.len == 0) {
            return false;
        }
        if (!leading_zeros && l.len > 1 && l.ptr[0] == '0' && vg_ver_digits_span(l, 0) == l.len) {
            return false;
        }
        if (i == s.len) {
            return true;
        }
        if (s.ptr[i] != '.') {
            return false;
        }
        i++;
    }
}

static struct nuget
nuget_parse(struct vg_str s)
{
    struct nuget v = {.ok = false};
    size_t b = 0, e = s.len;
    while (b < e && (s.ptr[b] == ' ' || s.ptr[b] == '\t')) {
        b++;
    }
    while (e > b && (s.ptr[e - 1] == ' ' || s.ptr[e - 1] == '\t')) {
        e--;
    }
    s = vg_ver_sub(s, b, e);
    size_t i = 0, np = 0;
    for (;;) {
        size_t n = vg_ver_digits_span(s, i);
        uint64_t val;
        if (n == 0 || np == 4 || vg_parse_u64(vg_ver_sub(s, i, i + n), INT32_MAXV, &val) < 0) {
            return v;
        }
        v.part[np++] = vg_ver_sub(s, i, i + n);
        i += n;
        if (ver_at(s, i) != '.') {
            break;
        }
        i++;
    }
    for (size_t k = np; k < 4; k++) {
        v.part[k] = VG_STR("0");
    }
    if (ver_at(s, i) == '-') {
        size_t st = ++i;
        while (i < s.len && s.ptr[i] != '+') {
            i++;
        }
        v.labels = vg_ver_sub(s, st, i);
        if (!labels_valid(v.labels, false)) {
            return v;
        }
    }
    if (ver_at(s, i) == '+') {
        if (!labels_valid(vg_ver_sub(s, i + 1, s.len), true)) {
            return v;
        }
        i = s.len;
    }
    v.ok = i == s.len;
    return v;
}

bool
vg_ver_nuget_valid(struct vg_str v)
{
    return nuget_parse(v).ok;
}

/* Int32.TryParse on a label: optional sign, digits, within int32. */
static bool
label_int(struct vg_str l, int64_t *out)
{
    bool neg = false;
    if (l.len > 0 && (l.ptr[0] == '-' || l.ptr[0] == '+')) {
        neg = l.ptr[0] == '-';
        l = vg_ver_sub(l, 1, l.len);
    }
    uint64_t v;
    if (l.len == 0 || vg_ver_digits_span(l, 0) != l.len ||
        vg_parse_u64(l, neg ? INT32_MAXV + 1u : INT32_MAXV, &v) < 0) {
        return false;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

static int
label_cmp(struct vg_str a, struct vg_str b)
{
    int64_t x, y;
    bool xn = label_int(a, &x), yn = label_int(b, &y);
    if (xn && yn) {
        return (x > y) - (x < y);
    }
    if (xn != yn) {
        return xn ? -1 : 1;
    }
    size_t n = a.len < b.len ? a.len : b.len;
    for (size_t i = 0; i < n; i++) {
        int ca = ver_tolower((unsigned char)a.ptr[i]), cb = ver_tolower((unsigned char)b.ptr[i]);
        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
    }
    return a.len == b.len ? 0 : (a.len < b.len ? -1 : 1);
}

static struct vg_str
next_label(struct vg_str s, size_t *pos)
{
    size_t st = *pos, i = st;
    while (i < s.len && s.ptr[i] != '.') {
        i++;
    }
    *pos = i < s.len ? i + 1 : i;
    return vg_ver_sub(s, st, i);
}

int
vg_ver_nuget_cmp(struct vg_str a, struct vg_str b)
{
    struct nuget x = nuget_parse(a), y = nuget_parse(b);
    if (!x.ok || !y.ok) {
        return x.ok == y.ok ? vg_ver_bytes_cmp(a, b) : (x.ok ? -1 : 1);
    }
    for (size_t k = 0; k < 4; k++) {
        int r = vg_ver_digits_cmp(x.part[k], y.part[k]);
        if (r != 0) {
            return r;
        }
    }
    bool xp = x.labels.len > 0, yp = y.labels.len > 0;
    if (xp != yp) {
        return xp ? -1 : 1;
    }
    size_t i = 0, j = 0;
    while (i < x.labels.len && j < y.labels.len) {
        int r = label_cmp(next_label(x.labels, &i), next_label(y.labels, &j));
        if (r != 0) {
            return r;
        }
    }
    if (i >= x.labels.len && j >= y.labels.len) {
        return 0;
    }
    return i >= x.labels.len ? -1 : 1;
}
