/* SPDX-License-Identifier: Apache-2.0
 *
 * Debian versions, ordered like `dpkg --compare-versions`: [epoch:]upstream[-revision]; the
 * epoch compares as a number, then upstream and revision each with the dpkg algorithm
 * (alternating non-digit and digit runs; in non-digit runs '~' sorts before everything, even
 * the end of the string, letters before other characters; digit runs compare numerically).
 *
 * Validity follows dpkg's hard errors (empty, embedded blanks, bad epoch, empty revision,
 * empty upstream). dpkg only warns about a non-digit first character or unusual characters
 * and still compares such versions, so they count as valid here too.
 */
#include "version.h"

#include "ver_int.h"

struct deb_ver {
    struct vg_str epoch; /* digits only (sign stripped); empty means 0 */
    struct vg_str upstream;
    struct vg_str revision;
    bool ok;
};

static bool
is_blank(int c)
{
    return c == ' ' || c == '\t';
}

/* Splits a version the way dpkg's parseversion does; never fails, but records whether dpkg
 * would have rejected the string. */
static struct deb_ver
deb_parse(struct vg_str v)
{
    struct deb_ver d = {.ok = true};
    size_t b = 0, e = v.len;
    while (b < e && is_blank(v.ptr[b])) {
        b++;
    }
    while (e > b && is_blank(v.ptr[e - 1])) {
        e--;
    }
    struct vg_str s = vg_ver_sub(v, b, e);
    if (s.len == 0) {
        d.ok = false;
    }
    for (size_t i = 0; i < s.len; i++) {
        if (is_blank(s.ptr[i]) || s.ptr[i] == '\0') {
            d.ok = false; /* embedded spaces */
        }
    }
    size_t colon = s.len;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] == ':') {
            colon = i;
            break;
        }
    }
    size_t start = 0;
    if (colon < s.len) {
        /* strtol semantics: optional sign, then at least one digit, then the colon. */
        size_t i = 0;
        bool neg = false;
        if (i < colon && (s.ptr[i] == '+' || s.ptr[i] == '-')) {
            neg = s.ptr[i] == '-';
            i++;
        }
        size_t nd = vg_ver_digits_span(s, i);
        struct vg_str digits = vg_ver_sub(s, i, i + nd);
        uint64_t ep = 0;
        if (nd == 0 || i + nd != colon) {
            d.ok = false; /* epoch empty or not a number: whole string is upstream */
        } else {
            if (vg_parse_u64(digits, 2147483647u, &ep) < 0 || (neg && ep != 0)) {
                d.ok = false; /* too big, or negative */
            }
            d.epoch = digits;
            start = colon + 1;
            if (start == s.len) {
                d.ok = false; /* nothing after the colon */
            }
        }
    }
    struct vg_str rest = vg_ver_sub(s, start, s.len);
    size_t hyphen = rest.len;
    for (size_t i = rest.len; i > 0; i--) {
        if (rest.ptr[i - 1] == '-') {
            hyphen = i - 1;
            break;
        }
    }
    if (hyphen < rest.len) {
        d.upstream = vg_ver_sub(rest, 0, hyphen);
        d.revision = vg_ver_sub(rest, hyphen + 1, rest.len);
        if (d.revision.len == 0) {
            d.ok = false;
        }
    } else {
        d.upstream = rest;
        d.revision = (struct vg_str){"", 0};
    }
    if (d.upstream.len == 0) {
        d.ok = false;
    }
    return d;
}

/* dpkg's weight of one character inside a non-digit run (0 is the end of the string). */
static int
order(int c)
{
    if (ver_isdigit(c)) {
        return 0;
    }
    if (ver_isalpha(c)) {
        return c;
    }
    if (c == '~') {
        return -1;
    }
    if (c) {
        return c + 256;
    }
    return 0;
}

static int
verrevcmp(struct vg_str a, struct vg_str b)
{
    size_t i = 0, j = 0;
    while (i < a.len || j < b.len) {
        while ((i < a.len && !ver_isdigit(ver_at(a, i))) ||
               (j < b.len && !ver_isdigit(ver_at(b, j)))) {
            int ac = order(ver_at(a, i)), bc = order(ver_at(b, j));
            if (ac != bc) {
                return ac < bc ? -1 : 1;
            }
            i++;
            j++;
        }
        size_t na = vg_ver_digits_span(a, i), nb = vg_ver_digits_span(b, j);
        int r = vg_ver_digits_cmp(vg_ver_sub(a, i, i + na), vg_ver_sub(b, j, j + nb));
        if (r != 0) {
            return r;
        }
        i += na;
        j += nb;
    }
    return 0;
}

int
vg_ver_deb_cmp(struct vg_str a, struct vg_str b)
{
    struct deb_ver x = deb_parse(a), y = deb_parse(b);
    int r = vg_ver_digits_cmp(x.epoch, y.epoch);
    if (r == 0) {
        r = verrevcmp(x.upstream, y.upstream);
    }
    if (r == 0) {
        r = verrevcmp(x.revision, y.revision);
    }
    return r;
}

bool
vg_ver_deb_valid(struct vg_str v)
{
    return deb_parse(v).ok;
}
