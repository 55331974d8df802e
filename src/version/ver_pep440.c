/* SPDX-License-Identifier: Apache-2.0
 *
 * PEP 440 versions, ordered like Python's packaging.version.Version:
 *   [v][N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
 * with the spec's spellings (alpha/beta/c/pre/preview, rev/r, "-N" post releases, optional
 * '.', '-' or '_' separators and implicit 0 numbers), case-insensitive, surrounding blanks
 * allowed. The order key is packaging's: epoch; release with trailing zeros ignored;
 * pre-release (a < b < rc; a version with only a dev segment comes before any pre-release,
 * one without pre-release after all of them); post (absent first); dev (absent last); local
 * (absent first, then segment-wise: strings before numbers, numbers numerically, strings
 * case-insensitively). Numbers are unbounded. Invalid versions sort after valid ones.
 */
#include "version.h"

#include <string.h>

#include "ver_int.h"

struct pep {
    struct vg_str epoch, release, local;
    int pre_kind; /* 0 a, 1 b, 2 rc */
    struct vg_str pre_n, post_n, dev_n;
    bool has_pre, has_post, has_dev, ok;
};

static bool
py_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool
is_sep(int c)
{
    return c == '-' || c == '_' || c == '.';
}

/* Case-insensitive match of a lowercase keyword at s[i]. */
static bool
kw_at(struct vg_str s, size_t i, const char *kw)
{
    size_t n = strlen(kw);
    return s.len - i >= n && vg_ver_ieq(vg_ver_sub(s, i, i + n), kw);
}

/* Longest keyword of `kws` at s[i]; returns its index and sets *len, or -1. */
static int
kw_longest(struct vg_str s, size_t i, const char *const *kws, size_t nkw, size_t *len)
{
    int best = -1;
    *len = 0;
    for (size_t k = 0; k < nkw; k++) {
        size_t n = strlen(kws[k]);
        if (n > *len && kw_at(s, i, kws[k])) {
            best = (int)k;
            *len = n;
        }
    }
    return best;
}

/* "[sep]KEYWORD[sep][N]" at *i. Returns the keyword index or -1 (and leaves *i). */
static int
lettered(struct vg_str s, size_t *i, const char *const *kws, size_t nkw, struct vg_str *num)
{
    size_t p = *i, kl;
    if (p < s.len && is_sep(s.ptr[p])) {
        p++;
    }
    int k = kw_longest(s, p, kws, nkw, &kl);
    if (k < 0) {
        return -1;
    }
    p += kl;
    size_t q = p;
    if (q < s.len && is_sep(s.ptr[q])) {
        q++;
    }
    size_t nd = vg_ver_digits_span(s, q);
    if (nd > 0) {
        *num = vg_ver_sub(s, q, q + nd);
        p = q + nd;
    } else {
        *num = (struct vg_str){"0", 1};
        p = q; /* the regex keeps a separator it consumed even without a number */
    }
    *i = p;
    return k;
}

static size_t
parse_local(struct vg_str s, size_t i)
{
    for (;;) {
        size_t st = i;
        while (i < s.len && ver_isalnum(ver_at(s, i))) {
            i++;
        }
        if (i == st) {
            return 0;
        }
        if (i + 1 < s.len && is_sep(s.ptr[i]) && ver_isalnum(ver_at(s, i + 1))) {
            i++;
            continue;
        }
        return i;
    }
}

static const char *const pre_kws[] = {"alpha", "a", "beta", "b", "preview", "pre", "c", "rc"};
static const int pre_kind[] = {0, 0, 1, 1, 2, 2, 2, 2};
static const char *const post_kws[] = {"post", "rev", "r"};
static const char *const dev_kws[] = {"dev"};

static size_t
parse_release(struct pep *v, struct vg_str s, size_t i)
{
    size_t nd = vg_ver_digits_span(s, i);
    if (nd > 0 && ver_at(s, i + nd) == '!') {
        v->epoch = vg_ver_sub(s, i, i + nd);
        i += nd + 1;
    }
    size_t st = i;
    if (vg_ver_digits_span(s, i) == 0) {
        return 0;
    }
    i += vg_ver_digits_span(s, i);
    while (ver_at(s, i) == '.' && vg_ver_digits_span(s, i + 1) > 0) {
        i += 1 + vg_ver_digits_span(s, i + 1);
    }
    v->release = vg_ver_sub(s, st, i);
    return i;
}

static struct pep
pep_parse(struct vg_str s)
{
    struct pep v = {.epoch = {"0", 1}};
    size_t b = 0, e = s.len;
    while (b < e && py_space(s.ptr[b])) {
        b++;
    }
    while (e > b && py_space(s.ptr[e - 1])) {
        e--;
    }
    s = vg_ver_sub(s, b, e);
    size_t i = (ver_at(s, 0) == 'v' || ver_at(s, 0) == 'V') ? 1 : 0;
    if ((i = parse_release(&v, s, i)) == 0) {
        return v;
    }
    int k = lettered(s, &i, pre_kws, VG_ARRAY_LEN(pre_kws), &v.pre_n);
    if (k >= 0) {
        v.has_pre = true;
        v.pre_kind = pre_kind[k];
    }
    if (ver_at(s, i) == '-' && vg_ver_digits_span(s, i + 1) > 0) {
        size_t nd = vg_ver_digits_span(s, i + 1);
        v.post_n = vg_ver_sub(s, i + 1, i + 1 + nd);
        v.has_post = true;
        i += 1 + nd;
    } else if (lettered(s, &i, post_kws, VG_ARRAY_LEN(post_kws), &v.post_n) >= 0) {
        v.has_post = true;
    }
    if (lettered(s, &i, dev_kws, VG_ARRAY_LEN(dev_kws), &v.dev_n) >= 0) {
        v.has_dev = true;
    }
    if (ver_at(s, i) == '+') {
        size_t le = parse_local(s, i + 1);
        if (le == 0) {
            return v;
        }
        v.local = vg_ver_sub(s, i + 1, le);
        i = le;
    }
    v.ok = i == s.len;
    return v;
}

bool
vg_ver_pep440_valid(struct vg_str v)
{
    return pep_parse(v).ok;
}

/* Next '.'-separated component of a release (empty slice when exhausted reads as 0). */
static struct vg_str
next_part(struct vg_str s, size_t *pos, bool (*sep)(int))
{
    size_t st = *pos, i = st;
    while (i < s.len && !sep((unsigned char)s.ptr[i])) {
        i++;
    }
    *pos = i < s.len ? i + 1 : i;
    return vg_ver_sub(s, st, i);
}

static bool
dot_sep(int c)
{
    return c == '.';
}

static int
release_cmp(struct vg_str a, struct vg_str b)
{
    size_t i = 0, j = 0;
    while (i < a.len || j < b.len) {
        int r = vg_ver_digits_cmp(next_part(a, &i, dot_sep), next_part(b, &j, dot_sep));
        if (r != 0) {
            return r;
        }
    }
    return 0;
}

static int
istr_cmp(struct vg_str a, struct vg_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    for (size_t k = 0; k < n; k++) {
        int ca = ver_tolower((unsigned char)a.ptr[k]), cb = ver_tolower((unsigned char)b.ptr[k]);
        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
    }
    return a.len == b.len ? 0 : (a.len < b.len ? -1 : 1);
}

static int
local_cmp(struct vg_str a, struct vg_str b)
{
    size_t i = 0, j = 0;
    while (i < a.len && j < b.len) {
        struct vg_str x = next_part(a, &i, is_sep), y = next_part(b, &j, is_sep);
        bool xn = vg_ver_digits_span(x, 0) == x.len, yn = vg_ver_digits_span(y, 0) == y.len;
        int r = (xn && yn) ? vg_ver_digits_cmp(x, y) : (xn != yn ? (xn ? 1 : -1) : istr_cmp(x, y));
        if (r != 0) {
            return r;
        }
    }
    if (i >= a.len && j >= b.len) {
        return 0;
    }
    return i >= a.len ? -1 : 1;
}

/* Rank of the pre-release key: 0 = -inf (dev-only), 1 = a real pre-release, 2 = +inf. */
static int
pre_rank(const struct pep *v)
{
    if (!v->has_pre && !v->has_post && v->has_dev) {
        return 0;
    }
    return v->has_pre ? 1 : 2;
}

static int
flag_cmp(bool a, bool b, bool absent_first)
{
    if (a == b) {
        return 0;
    }
    return (a ? 1 : -1) * (absent_first ? 1 : -1);
}

int
vg_ver_pep440_cmp(struct vg_str a, struct vg_str b)
{
    struct pep x = pep_parse(a), y = pep_parse(b);
    if (!x.ok || !y.ok) {
        return x.ok == y.ok ? vg_ver_bytes_cmp(a, b) : (x.ok ? -1 : 1);
    }
    int r = vg_ver_digits_cmp(x.epoch, y.epoch);
    if (r == 0) {
        r = release_cmp(x.release, y.release);
    }
    if (r == 0) {
        int ra = pre_rank(&x), rb = pre_rank(&y);
        r = ra != rb ? (ra < rb ? -1 : 1) : 0;
        if (r == 0 && ra == 1) {
            r = x.pre_kind != y.pre_kind ? (x.pre_kind < y.pre_kind ? -1 : 1)
                                         : vg_ver_digits_cmp(x.pre_n, y.pre_n);
        }
    }
    if (r == 0) {
        r = flag_cmp(x.has_post, y.has_post, true);
        if (r == 0 && x.has_post) {
            r = vg_ver_digits_cmp(x.post_n, y.post_n);
        }
    }
    if (r == 0) {
        r = flag_cmp(x.has_dev, y.has_dev, false);
        if (r == 0 && x.has_dev) {
            r = vg_ver_digits_cmp(x.dev_n, y.dev_n);
        }
    }
    if (r == 0) {
        r = flag_cmp(x.local.len > 0, y.local.len > 0, true);
        if (r == 0 && x.local.len > 0) {
            r = local_cmp(x.local, y.local);
        }
    }
    return r;
}
