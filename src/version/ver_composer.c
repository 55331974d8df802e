/* SPDX-License-Identifier: Apache-2.0
 *
 * Composer (Packagist) versions, ordered like composer/semver: both sides are first
 * normalized as VersionParser::normalize does ("v1.2" -> "1.2.0.0", "1.0RC1" ->
 * "1.0.0.0-RC1", "1.0-pl2" -> "1.0.0.0-patch2", date versions, "1.x-dev" ->
 * "1.9999999.9999999.9999999-dev", "dev-main" branches; aliases, "@stability" flags and
 * "+build" metadata stripped), then compared with PHP's version_compare (as
 * Comparator::compare does): canonical dot-separated parts, numbers numerically, words by
 * their special form dev < alpha = a < beta = b < RC = rc < number < pl = p, unknown words
 * first. Two different dev- branches cannot be ordered (vg_ver_composer_comparable).
 */
#include "version.h"

#include <string.h>

#include "ver_int.h"

#define NORM_MAX (2 * VG_VER_MAX_BYTES + 64)

struct norm {
    char buf[NORM_MAX];
    size_t len;
    bool ok, branch;
};

static void
put(struct norm *n, const char *p, size_t len)
{
    if (n->len + len >= NORM_MAX) {
        n->ok = false;
        return;
    }
    memcpy(n->buf + n->len, p, len);
    n->len += len;
    n->buf[n->len] = '\0';
}

static void
puts_(struct norm *n, const char *s)
{
    put(n, s, strlen(s));
}

static bool
php_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' || c == '\v';
}

static bool
pcre_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool
iprefix(struct vg_str s, size_t i, const char *lower)
{
    size_t n = strlen(lower);
    return s.len >= i + n && vg_ver_ieq(vg_ver_sub(s, i, i + n), lower);
}

/* ---------------------------------------------------------------- modifier regex */

struct mod {
    struct vg_str stab, nums;
    bool dev;
};

static const char *const stabilities[] = {"stable", "beta",  "b",  "rc", "alpha",
                                          "a",      "patch", "pl", "p"};

/* `([.-]?dev)?$` from i: true when the rest is empty or a dev marker. */
static bool
mod_dev_end(struct vg_str s, size_t i, bool *dev)
{
    if (i == s.len) {
        *dev = false;
        return true;
    }
    size_t j = (s.ptr[i] == '.' || s.ptr[i] == '-') ? i + 1 : i;
    if (s.len == j + 3 && iprefix(s, j, "dev")) {
        *dev = true;
        return true;
    }
    return false;
}

/* `((?:[.-]?\d+)*+)` possessively from i; returns the end. */
static size_t
mod_nums(struct vg_str s, size_t i)
{
    for (;;) {
        size_t j = (ver_at(s, i) == '.' || ver_at(s, i) == '-') ? i + 1 : i;
        size_t n = vg_ver_digits_span(s, j);
        if (n == 0) {
            return i;
        }
        i = j + n;
    }
}

/* `[._-]?(?:(stability)((?:[.-]?\d+)*+)?)?([.-]?dev)?$` anchored at i, in PCRE's order. */
static bool
mod_match(struct vg_str s, size_t i, struct mod *m)
{
    int c = ver_at(s, i);
    size_t starts[2] = {i, i};
    size_t nstart = 1;
    if (c == '.' || c == '_' || c == '-') {
        starts[0] = i + 1;
        nstart = 2;
    }
    for (size_t k = 0; k < nstart; k++) {
        size_t p = starts[k];
        for (size_t a = 0; a < VG_ARRAY_LEN(stabilities); a++) {
            if (!iprefix(s, p, stabilities[a])) {
                continue;
            }
            size_t q = p + strlen(stabilities[a]);
            size_t e = mod_nums(s, q);
            if (mod_dev_end(s, e, &m->dev)) {
                m->stab = vg_ver_sub(s, p, q);
                m->nums = vg_ver_sub(s, q, e);
                return true;
            }
        }
        if (mod_dev_end(s, p, &m->dev)) {
            m->stab = m->nums = (struct vg_str){"", 0};
            return true;
        }
    }
    return false;
}

static void
expand_stability(struct norm *n, struct vg_str st)
{
    if (vg_ver_ieq(st, "a") || vg_ver_ieq(st, "alpha")) {
        puts_(n, "alpha");
    } else if (vg_ver_ieq(st, "b") || vg_ver_ieq(st, "beta")) {
        puts_(n, "beta");
    } else if (vg_ver_ieq(st, "p") || vg_ver_ieq(st, "pl") || vg_ver_ieq(st, "patch")) {
        puts_(n, "patch");
    } else if (vg_ver_ieq(st, "rc")) {
        puts_(n, "RC");
    } else {
        for (size_t i = 0; i < st.len; i++) {
            char c = (char)ver_tolower((unsigned char)st.ptr[i]);
            put(n, &c, 1);
        }
    }
}

/* Appends the modifier part; true when normalize returns right after ("stable"). */
static void
append_mod(struct norm *n, const struct mod *m)
{
    if (m->stab.len > 0) {
        if (vg_str_eq_c(m->stab, "stable")) {
            return;
        }
        puts_(n, "-");
        expand_stability(n, m->stab);
        struct vg_str nums = m->nums;
        while (nums.len > 0 && (nums.ptr[0] == '.' || nums.ptr[0] == '-')) {
            nums = vg_ver_sub(nums, 1, nums.len);
        }
        put(n, nums.ptr, nums.len);
    }
    if (m->dev) {
        puts_(n, "-dev");
    }
}

/* ---------------------------------------------------------------- normalize */

static bool
classical(struct norm *n, struct vg_str s)
{
    size_t i = (ver_at(s, 0) == 'v' || ver_at(s, 0) == 'V') ? 1 : 0;
    size_t nd = vg_ver_digits_span(s, i);
    if (nd < 1 || nd > 5) {
        return false;
    }
    struct vg_str parts[4] = {vg_ver_sub(s, i, i + nd)};
    i += nd;
    for (size_t k = 1; k < 4; k++) {
        parts[k] = VG_STR(".0");
        if (ver_at(s, i) == '.' && (nd = vg_ver_digits_span(s, i + 1)) > 0) {
            parts[k] = vg_ver_sub(s, i, i + 1 + nd);
            i += 1 + nd;
        }
    }
    struct mod m;
    if (!mod_match(s, i, &m)) {
        return false;
    }
    for (size_t k = 0; k < 4; k++) {
        put(n, parts[k].ptr, parts[k].len);
    }
    append_mod(n, &m);
    return true;
}

/* `\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?` then the modifier, with PCRE backtracking. */
static bool
date_tail(struct vg_str s, size_t i, size_t *end, struct mod *m)
{
    bool sep = ver_at(s, i) == '.' || ver_at(s, i) == ':' || ver_at(s, i) == '-';
    size_t j = sep ? i + 1 : i;
    size_t nd = vg_ver_digits_span(s, j);
    for (size_t take = nd < 3 ? nd : 3; take >= 1; take--) {
        if (mod_match(s, j + take, m)) {
            *end = j + take;
            return true;
        }
    }
    if (mod_match(s, i, m)) {
        *end = i;
        return true;
    }
    return false;
}

static bool
date_groups(struct vg_str s, size_t i, size_t k, size_t *end, struct mod *m)
{
    if (k < 6) {
        bool sep = ver_at(s, i) == '.' || ver_at(s, i) == ':' || ver_at(s, i) == '-';
        size_t j = sep ? i + 1 : i;
        if (vg_ver_digits_span(s, j) >= 2 && date_groups(s, j + 2, k + 1, end, m)) {
            return true;
        }
    }
    return k >= 1 && date_tail(s, i, end, m);
}

static bool
datetime(struct norm *n, struct vg_str s)
{
    size_t st = (ver_at(s, 0) == 'v' || ver_at(s, 0) == 'V') ? 1 : 0;
    size_t end;
    struct mod m;
    if (vg_ver_digits_span(s, st) < 4 || !date_groups(s, st + 4, 0, &end, &m)) {
        return false;
    }
    for (size_t i = st; i < end; i++) {
        char c = ver_isdigit((unsigned char)s.ptr[i]) ? s.ptr[i] : '.';
        put(n, &c, 1);
    }
    append_mod(n, &m);
    return true;
}

/* normalizeBranch for a numeric branch name ("1.x", "v2.3.*"); false when not numeric. */
static bool
numeric_branch(struct norm *n, struct vg_str s)
{
    size_t i = (ver_at(s, 0) == 'v' || ver_at(s, 0) == 'V') ? 1 : 0;
    size_t nd = vg_ver_digits_span(s, i);
    if (nd == 0) {
        return false;
    }
    put(n, s.ptr + i, nd);
    i += nd;
    for (size_t k = 1; k < 4; k++) {
        int c = ver_at(s, i + 1);
        if (ver_at(s, i) == '.' && (nd = vg_ver_digits_span(s, i + 1)) > 0) {
            put(n, s.ptr + i, 1 + nd);
            i += 1 + nd;
        } else if (ver_at(s, i) == '.' && (c == 'x' || c == 'X' || c == '*')) {
            puts_(n, ".9999999");
            i += 2;
        } else {
            puts_(n, ".9999999");
        }
    }
    if (i != s.len) {
        return false;
    }
    puts_(n, "-dev");
    return true;
}

static struct vg_str
trim_php(struct vg_str s)
{
    size_t b = 0, e = s.len;
    while (b < e && php_space(s.ptr[b])) {
        b++;
    }
    while (e > b && php_space(s.ptr[e - 1])) {
        e--;
    }
    return vg_ver_sub(s, b, e);
}

/* `^([^,\s]++) ++as ++([^,\s]++)$`: keeps the part before " as ". */
static struct vg_str
strip_alias(struct vg_str s)
{
    size_t i = 0;
    while (i < s.len && s.ptr[i] != ',' && !pcre_space(s.ptr[i])) {
        i++;
    }
    size_t first = i, j = i;
    while (j < s.len && s.ptr[j] == ' ') {
        j++;
    }
    if (first == 0 || j == first || !iprefix(s, j, "as") || memcmp(s.ptr + j, "as", 2) != 0) {
        return s;
    }
    size_t k = j + 2, sp = k;
    while (k < s.len && s.ptr[k] == ' ') {
        k++;
    }
    size_t st = k;
    while (k < s.len && s.ptr[k] != ',' && !pcre_space(s.ptr[k])) {
        k++;
    }
    if (k == sp || st == k || k != s.len) {
        return s;
    }
    return vg_ver_sub(s, 0, first);
}

static struct vg_str
strip_flag(struct vg_str s)
{
    static const char *const flags[] = {"stable", "rc", "beta", "alpha", "dev"};
    for (size_t f = 0; f < VG_ARRAY_LEN(flags); f++) {
        size_t n = strlen(flags[f]) + 1;
        if (s.len >= n && s.ptr[s.len - n] == '@' &&
            vg_ver_ieq(vg_ver_sub(s, s.len - n + 1, s.len), flags[f])) {
            return vg_ver_sub(s, 0, s.len - n);
        }
    }
    return s;
}

/* `^([^,\s+]++)\+[^\s]++$`: drops "+build". */
static struct vg_str
strip_build(struct vg_str s)
{
    size_t i = 0;
    while (i < s.len && s.ptr[i] != ',' && s.ptr[i] != '+' && !pcre_space(s.ptr[i])) {
        i++;
    }
    if (i == 0 || i >= s.len || s.ptr[i] != '+' || i + 1 == s.len) {
        return s;
    }
    for (size_t k = i + 1; k < s.len; k++) {
        if (pcre_space(s.ptr[k])) {
            return s;
        }
    }
    return vg_ver_sub(s, 0, i);
}

static void
normalize(struct norm *n, struct vg_str s)
{
    *n = (struct norm){.ok = true};
    s = strip_flag(strip_alias(trim_php(s)));
    if (vg_str_eq_c(s, "master") || vg_str_eq_c(s, "trunk") || vg_str_eq_c(s, "default")) {
        puts_(n, "dev-");
        put(n, s.ptr, s.len);
        n->branch = true;
        return;
    }
    if (iprefix(s, 0, "dev-")) {
        puts_(n, "dev-");
        put(n, s.ptr + 4, s.len - 4);
        n->branch = true;
        return;
    }
    s = strip_build(s);
    if (classical(n, s)) {
        return;
    }
    n->len = 0;
    if (datetime(n, s)) {
        return;
    }
    n->len = 0;
    /* `(.*?)[.-]?dev$`: a numeric branch such as "1.x-dev" */
    if (s.len >= 3 && vg_ver_ieq(vg_ver_sub(s, s.len - 3, s.len), "dev")) {
        size_t k = s.len - 3;
        if (k > 0 && (s.ptr[k - 1] == '.' || s.ptr[k - 1] == '-')) {
            k--;
        }
        if (numeric_branch(n, trim_php(vg_ver_sub(s, 0, k)))) {
            return;
        }
    }
    n->ok = false;
}

/* ---------------------------------------------------------------- PHP version_compare */

static bool
isdigdot(int c)
{
    return ver_isdigit(c) || c == '.';
}

/* php_canonicalize_version: out holds 2 * len + 1. */
static size_t
php_canon(char *out, const char *v, size_t len)
{
    if (len == 0) {
        out[0] = '\0';
        return 0;
    }
    size_t q = 0;
    int lp = (unsigned char)v[0];
    out[q++] = v[0];
    for (size_t i = 1; i < len; i++) {
        int p = (unsigned char)v[i];
        int lq = (unsigned char)out[q - 1];
        if (p == '-' || p == '_' || p == '+') {
            if (lq != '.') {
                out[q++] = '.';
            }
        } else if ((!isdigdot(lp) && ver_isdigit(p)) || (ver_isdigit(lp) && !isdigdot(p))) {
            if (lq != '.') {
                out[q++] = '.';
            }
            out[q++] = (char)p;
        } else if (!ver_isalnum(p)) {
            if (lq != '.') {
                out[q++] = '.';
            }
        } else {
            out[q++] = (char)p;
        }
        lp = p;
    }
    out[q] = '\0';
    return q;
}

static int
special_form(const char *tok)
{
    static const struct {
        const char *name;
        int order;
    } forms[] = {{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2},
                 {"RC", 3},  {"rc", 3},    {"#", 4}, {"pl", 5},   {"p", 5}};
    for (size_t i = 0; i < VG_ARRAY_LEN(forms); i++) {
        if (strncmp(tok, forms[i].name, strlen(forms[i].name)) == 0) {
            return forms[i].order;
        }
    }
    return -1;
}

static int
special_cmp(const char *a, const char *b)
{
    int x = special_form(a), y = special_form(b);
    return (x > y) - (x < y);
}

/* strtol of a digit run, saturating like glibc at LONG_MAX (the compiler's __LONG_MAX__:
 * <limits.h> is shadowed by core/limits.h on the include path). */
static long
php_strtol(const char *p)
{
    unsigned long long v = 0;
    while (ver_isdigit((unsigned char)*p)) {
        v = v * 10u + (unsigned long long)(*p - '0');
        if (v > (unsigned long long)__LONG_MAX__) {
            return __LONG_MAX__;
        }
        p++;
    }
    return (long)v;
}

static int php_version_compare(const char *v1, const char *v2, int depth);

static int
php_compare_canon(char *p1, char *p2, int depth)
{
    char *n1 = p1, *n2 = p2;
    int compare = 0;
    while (*p1 && *p2 && n1 && n2) {
        if ((n1 = strchr(p1, '.')) != NULL) {
            *n1 = '\0';
        }
        if ((n2 = strchr(p2, '.')) != NULL) {
            *n2 = '\0';
        }
        bool d1 = ver_isdigit((unsigned char)*p1), d2 = ver_isdigit((unsigned char)*p2);
        if (d1 && d2) {
            long l1 = php_strtol(p1), l2 = php_strtol(p2);
            compare = (l1 > l2) - (l1 < l2);
        } else if (!d1 && !d2) {
            compare = special_cmp(p1, p2);
        } else {
            compare = d1 ? special_cmp("#N#", p2) : special_cmp(p1, "#N#");
        }
        if (compare != 0) {
            break;
        }
        if (n1) {
            p1 = n1 + 1;
        }
        if (n2) {
            p2 = n2 + 1;
        }
    }
    if (compare == 0) {
        if (n1) {
            compare =
                ver_isdigit((unsigned char)*p1) ? 1 : php_version_compare(p1, "#N#", depth + 1);
        } else if (n2) {
            compare =
                ver_isdigit((unsigned char)*p2) ? -1 : php_version_compare("#N#", p2, depth + 1);
        }
    }
    return compare;
}

static int
php_version_compare(const char *v1, const char *v2, int depth)
{
    if (!*v1 || !*v2) {
        return (*v1 != 0) - (*v2 != 0);
    }
    if (depth > 4) {
        return 0; /* "#N#" recursion terminates after one level; this is a guard */
    }
    size_t l1 = strlen(v1), l2 = strlen(v2);
    vg_autofree char *c1 = vg_malloc(2 * l1 + 1);
    vg_autofree char *c2 = vg_malloc(2 * l2 + 1);
    if (v1[0] == '#') {
        memcpy(c1, v1, l1 + 1);
    } else {
        php_canon(c1, v1, l1);
    }
    if (v2[0] == '#') {
        memcpy(c2, v2, l2 + 1);
    } else {
        php_canon(c2, v2, l2);
    }
    return php_compare_canon(c1, c2, depth);
}

/* ---------------------------------------------------------------- API */

bool
vg_ver_composer_valid(struct vg_str v)
{
    struct norm n;
    normalize(&n, v);
    return n.ok;
}

bool
vg_ver_composer_comparable(struct vg_str a, struct vg_str b)
{
    struct norm x, y;
    normalize(&x, a);
    normalize(&y, b);
    if (!x.ok || !y.ok) {
        return false;
    }
    return !(x.branch && y.branch) || (x.len == y.len && memcmp(x.buf, y.buf, x.len) == 0);
}

int
vg_ver_composer_cmp(struct vg_str a, struct vg_str b)
{
    struct norm x, y;
    normalize(&x, a);
    normalize(&y, b);
    if (!x.ok || !y.ok) {
        return x.ok == y.ok ? vg_ver_bytes_cmp(a, b) : (x.ok ? -1 : 1);
    }
    if (x.branch && y.branch) {
        return vg_ver_bytes_cmp((struct vg_str){x.buf, x.len}, (struct vg_str){y.buf, y.len});
    }
    return php_version_compare(x.buf, y.buf, 0);
}
