/* SPDX-License-Identifier: Apache-2.0
 *
 * RubyGems versions, ordered like Gem::Version#<=>: a version is N(.X)*(-Y(.Y)*)? where each
 * '-' stands for ".pre."; it is read as runs of digits (numbers, unbounded) and runs of
 * letters (strings). The canonical segments drop trailing zeros from the numeric part and
 * from the part starting at the first string; segments then compare pairwise, missing ones as
 * 0, a string before any number, strings byte-wise. A blank version means "0".
 */
#include "version.h"

#include "ver_int.h"

struct gem_seg {
    struct vg_str s;
    bool num;
};

static bool
rb_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static struct vg_str
strip(struct vg_str s)
{
    size_t b = 0, e = s.len;
    while (b < e && (rb_space(s.ptr[b]) || s.ptr[b] == '\0')) {
        b++;
    }
    while (e > b && (rb_space(s.ptr[e - 1]) || s.ptr[e - 1] == '\0')) {
        e--;
    }
    return vg_ver_sub(s, b, e);
}

bool
vg_ver_gem_valid(struct vg_str v)
{
    v = strip(v);
    if (v.len == 0) {
        return true;
    }
    size_t i = vg_ver_digits_span(v, 0);
    if (i == 0) {
        return false;
    }
    while (ver_at(v, i) == '.') {
        size_t st = ++i;
        while (i < v.len && ver_isalnum(ver_at(v, i))) {
            i++;
        }
        if (i == st) {
            return false;
        }
    }
    if (ver_at(v, i) == '-') {
        do {
            size_t st = ++i;
            while (i < v.len && (ver_isalnum(ver_at(v, i)) || v.ptr[i] == '-')) {
                i++;
            }
            if (i == st) {
                return false;
            }
        } while (ver_at(v, i) == '.');
    }
    return i == v.len;
}

/* Gem::Version#canonical_segments into `out` (capacity >= v.len + 1); returns the count. */
static size_t
canonical(struct vg_str v, struct gem_seg *out)
{
    size_t n = 0, i = 0;
    v = strip(v);
    if (v.len == 0) {
        v = VG_STR("0");
    }
    while (i < v.len) {
        int c = (unsigned char)v.ptr[i];
        size_t st = i;
        if (ver_isdigit(c)) {
            i += vg_ver_digits_span(v, i);
            out[n++] = (struct gem_seg){vg_ver_sub(v, st, i), true};
        } else if (ver_isalpha(c)) {
            while (i < v.len && ver_isalpha(ver_at(v, i))) {
                i++;
            }
            out[n++] = (struct gem_seg){vg_ver_sub(v, st, i), false};
        } else {
            if (c == '-') {
                out[n++] = (struct gem_seg){VG_STR("pre"), false};
            }
            i++;
        }
    }
    size_t first_str = 0;
    while (first_str < n && out[first_str].num) {
        first_str++;
    }
    /* trailing zeros of the string part */
    size_t end = n;
    while (end > first_str && out[end - 1].num &&
           vg_ver_digits_cmp(out[end - 1].s, VG_STR("")) == 0) {
        end--;
    }
    /* trailing zeros of the numeric part: shift the string part down over them */
    size_t nend = first_str;
    while (nend > 0 && vg_ver_digits_cmp(out[nend - 1].s, VG_STR("")) == 0) {
        nend--;
    }
    for (size_t k = first_str; k < end; k++) {
        out[nend + (k - first_str)] = out[k];
    }
    return nend + (end - first_str);
}

int
vg_ver_gem_cmp(struct vg_str a, struct vg_str b)
{
    vg_autofree struct gem_seg *sa = vg_calloc(a.len + 2, sizeof(*sa));
    vg_autofree struct gem_seg *sb = vg_calloc(b.len + 2, sizeof(*sb));
    size_t na = canonical(a, sa), nb = canonical(b, sb);
    size_t lim = na > nb ? na : nb;
    struct gem_seg zero = {VG_STR("0"), true};
    for (size_t i = 0; i < lim; i++) {
        const struct gem_seg *x = i < na ? &sa[i] : &zero;
        const struct gem_seg *y = i < nb ? &sb[i] : &zero;
        if (x->num != y->num) {
            return x->num ? 1 : -1;
        }
        int r = x->num ? vg_ver_digits_cmp(x->s, y->s) : vg_ver_bytes_cmp(x->s, y->s);
        if (r != 0) {
            return r;
        }
    }
    return 0;
}
