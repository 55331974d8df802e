/* SPDX-License-Identifier: Apache-2.0
 *
 * Semantic versions, two flavours:
 *  - node-semver (npm, OSV SEMVER): strict SemVer 2.0.0 with an optional leading 'v',
 *    surrounding whitespace trimmed, at most 256 characters, MAJOR.MINOR.PATCH no larger than
 *    2^53-1; prerelease identifiers compare numeric-before-alphanumeric, numerics as JavaScript
 *    numbers (so beyond 2^53 they compare as rounded doubles, exactly like node), build
 *    metadata ignored.
 *  - Go modules (golang.org/x/mod/semver): 'v' prefix (added when missing, as OSV writes Go
 *    versions without it), shorthand vMAJOR and vMAJOR.MINOR, unbounded numbers, "+incompatible"
 *    being build metadata; pseudo-versions are ordinary prereleases. Standard library tags
 *    "go1.21.3", "go1.21", "go1.21rc1", "go1.9beta2" map to v1.21.3, v1.21.0, v1.21.0-rc.1 and
 *    v1.9.0-beta.2 like the Go vulnerability database does. Invalid Go versions sort before
 *    every valid one and equal each other, as in x/mod/semver.Compare.
 */
#include "version.h"

#include <stdlib.h>
#include <string.h>

#include "ver_int.h"

#define NODE_MAX_LENGTH 256u
/* 2^53 - 1: Number.MAX_SAFE_INTEGER */
#define NODE_MAX_SAFE_INTEGER 9007199254740991ull

struct sv {
    struct vg_str major, minor, patch;
    struct vg_str pre; /* without the '-', empty when absent */
    bool ok;
};

static bool
ident_char(int c)
{
    return ver_isalnum(c) || c == '-';
}

/* A numeric component: "0" or [1-9][0-9]*. Returns its length, 0 when absent or invalid. */
static size_t
num_ident(struct vg_str s, size_t i)
{
    size_t n = vg_ver_digits_span(s, i);
    if (n == 0 || (n > 1 && s.ptr[i] == '0')) {
        return 0;
    }
    return n;
}

/* Dot-separated identifiers from i; each non-empty [0-9A-Za-z-]+ and, when `strict_num`, an
 * all-digit one has no leading zero. Returns the end index, or 0 on failure. */
static size_t
ident_list(struct vg_str s, size_t i, bool strict_num)
{
    for (;;) {
        size_t st = i;
        bool digits = true;
        while (i < s.len && ident_char(ver_at(s, i))) {
            digits = digits && ver_isdigit(ver_at(s, i));
            i++;
        }
        if (i == st) {
            return 0;
        }
        if (strict_num && digits && i - st > 1 && s.ptr[st] == '0') {
            return 0;
        }
        if (i < s.len && s.ptr[i] == '.') {
            i++;
            continue;
        }
        return i;
    }
}

/* MAJOR.MINOR.PATCH[-PRE][+BUILD] from position i to the end of s. `shorthand` allows
 * vMAJOR and vMAJOR.MINOR (Go). */
static struct sv
sv_parse_core(struct vg_str s, size_t i, bool shorthand)
{
    struct vg_str *parts[3];
    struct sv v = {.ok = false};
    parts[0] = &v.major;
    parts[1] = &v.minor;
    parts[2] = &v.patch;
    for (size_t k = 0; k < 3; k++) {
        size_t n = num_ident(s, i);
        if (n == 0) {
            return v;
        }
        *parts[k] = vg_ver_sub(s, i, i + n);
        i += n;
        if (k < 2) {
            if (shorthand && i == s.len) {
                for (size_t z = k + 1; z < 3; z++) {
                    *parts[z] = (struct vg_str){"0", 1};
                }
                v.ok = true;
                return v;
            }
            if (ver_at(s, i) != '.') {
                return v;
            }
            i++;
        }
    }
    if (ver_at(s, i) == '-') {
        size_t e = ident_list(s, i + 1, true);
        if (e == 0) {
            return v;
        }
        v.pre = vg_ver_sub(s, i + 1, e);
        i = e;
    }
    if (ver_at(s, i) == '+') {
        size_t e = ident_list(s, i + 1, false);
        if (e == 0) {
            return v;
        }
        i = e;
    }
    v.ok = i == s.len;
    return v;
}

/* Next dot-separated identifier of a prerelease, advancing *pos. */
static struct vg_str
next_ident(struct vg_str pre, size_t *pos)
{
    size_t st = *pos, i = st;
    while (i < pre.len && pre.ptr[i] != '.') {
        i++;
    }
    *pos = i < pre.len ? i + 1 : i;
    return vg_ver_sub(pre, st, i);
}

static bool
all_digits(struct vg_str s)
{
    return s.len > 0 && vg_ver_digits_span(s, 0) == s.len;
}

/* JavaScript's +"digits" comparison: exact while both are small, else as rounded doubles. */
static int
js_num_cmp(struct vg_str a, struct vg_str b)
{
    if (a.len <= 15 && b.len <= 15) {
        return vg_ver_digits_cmp(a, b);
    }
    char ba[NODE_MAX_LENGTH + 1], bb[NODE_MAX_LENGTH + 1];
    size_t la = a.len < NODE_MAX_LENGTH ? a.len : NODE_MAX_LENGTH;
    size_t lb = b.len < NODE_MAX_LENGTH ? b.len : NODE_MAX_LENGTH;
    memcpy(ba, a.ptr, la);
    ba[la] = '\0';
    memcpy(bb, b.ptr, lb);
    bb[lb] = '\0';
    double da = strtod(ba, NULL), db = strtod(bb, NULL);
    return (da > db) - (da < db);
}

/* node-semver compareIdentifiers. */
static int
node_ident_cmp(struct vg_str a, struct vg_str b)
{
    bool an = all_digits(a), bn = all_digits(b);
    if (an && bn) {
        return js_num_cmp(a, b);
    }
    if (an != bn) {
        return an ? -1 : 1;
    }
    return vg_ver_bytes_cmp(a, b);
}

/* x/mod/semver identifier comparison: numeric (no leading zeros) by length then bytes. */
static int
go_ident_cmp(struct vg_str a, struct vg_str b)
{
    bool an = all_digits(a), bn = all_digits(b);
    if (an != bn) {
        return an ? -1 : 1;
    }
    if (an && a.len != b.len) {
        return a.len < b.len ? -1 : 1;
    }
    return vg_ver_bytes_cmp(a, b);
}

static int
pre_cmp(struct vg_str x, struct vg_str y, int (*ident_cmp)(struct vg_str, struct vg_str))
{
    if (x.len == 0 || y.len == 0) {
        return x.len == y.len ? 0 : (x.len == 0 ? 1 : -1);
    }
    size_t i = 0, j = 0;
    while (i < x.len && j < y.len) {
        int r = ident_cmp(next_ident(x, &i), next_ident(y, &j));
        if (r != 0) {
            return r;
        }
    }
    if (i >= x.len && j >= y.len) {
        return 0;
    }
    return i >= x.len ? -1 : 1;
}

static int
main_cmp(const struct sv *a, const struct sv *b)
{
    int r = vg_ver_digits_cmp(a->major, b->major);
    if (r == 0) {
        r = vg_ver_digits_cmp(a->minor, b->minor);
    }
    if (r == 0) {
        r = vg_ver_digits_cmp(a->patch, b->patch);
    }
    return r;
}

/* ---------------------------------------------------------------- node-semver */

static bool
js_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool
safe_int(struct vg_str d)
{
    uint64_t v;
    return vg_parse_u64(d, NODE_MAX_SAFE_INTEGER, &v) == 0;
}

static struct sv
node_parse(struct vg_str s)
{
    struct sv v = {.ok = false};
    if (s.len > NODE_MAX_LENGTH) {
        return v;
    }
    size_t b = 0, e = s.len;
    while (b < e && js_space(s.ptr[b])) {
        b++;
    }
    while (e > b && js_space(s.ptr[e - 1])) {
        e--;
    }
    s = vg_ver_sub(s, b, e);
    size_t i = ver_at(s, 0) == 'v' ? 1 : 0;
    v = sv_parse_core(s, i, false);
    if (v.ok && !(safe_int(v.major) && safe_int(v.minor) && safe_int(v.patch))) {
        v.ok = false;
    }
    return v;
}

bool
vg_ver_semver_valid(struct vg_str v)
{
    return node_parse(v).ok;
}

/* Invalid versions compare after valid ones and byte-wise among themselves (node throws). */
int
vg_ver_semver_cmp(struct vg_str a, struct vg_str b)
{
    struct sv x = node_parse(a), y = node_parse(b);
    if (!x.ok || !y.ok) {
        if (x.ok != y.ok) {
            return x.ok ? -1 : 1;
        }
        return vg_ver_bytes_cmp(a, b);
    }
    int r = main_cmp(&x, &y);
    return r ? r : pre_cmp(x.pre, y.pre, node_ident_cmp);
}

/* ---------------------------------------------------------------- Go */

/* Room for a mapped version: "v" + the input + ".0" + "-" + "." */
#define GO_BUF (VG_VER_MAX_BYTES + 8)

static size_t
append(char *buf, size_t at, struct vg_str s)
{
    memcpy(buf + at, s.ptr, s.len);
    return at + s.len;
}

/* Maps a standard library tag the way the Go vulnerability database does (x/vuln's
 * GoTagToSemver): go(N.N)(.N|)((beta|rc|-pre)N)? -> vN.N(.N|.0)(-kind.N)?, "go1" -> v1.0.0,
 * anything else (including "go1.0") -> not a version. Returns the mapped length or 0. */
static size_t
go_tag_map(struct vg_str s, char *buf)
{
    if (vg_str_eq_c(s, "go1")) {
        memcpy(buf, "v1.0.0", 6);
        return 6;
    }
    if (vg_str_eq_c(s, "go1.0")) {
        return 0;
    }
    size_t i = 2, n1 = vg_ver_digits_span(s, i), n2;
    if (n1 == 0 || ver_at(s, i + n1) != '.' || (n2 = vg_ver_digits_span(s, i + n1 + 1)) == 0) {
        return 0;
    }
    size_t o = append(buf, 0, VG_STR("v"));
    o = append(buf, o, vg_ver_sub(s, i, i + n1 + 1 + n2));
    i += n1 + 1 + n2;
    size_t n3 = ver_at(s, i) == '.' ? vg_ver_digits_span(s, i + 1) : 0;
    if (n3 > 0) {
        o = append(buf, o, vg_ver_sub(s, i, i + 1 + n3));
        i += 1 + n3;
    } else {
        o = append(buf, o, VG_STR(".0"));
    }
    if (i == s.len) {
        return o;
    }
    static const char *const kinds[] = {"beta", "rc", "-pre"};
    for (size_t k = 0; k < VG_ARRAY_LEN(kinds); k++) {
        size_t kl = strlen(kinds[k]);
        struct vg_str kind = {kinds[k], kl};
        size_t nd;
        if (s.len - i > kl && memcmp(s.ptr + i, kinds[k], kl) == 0 &&
            (nd = vg_ver_digits_span(s, i + kl)) > 0 && i + kl + nd == s.len) {
            if (kinds[k][0] != '-') {
                o = append(buf, o, VG_STR("-"));
            }
            o = append(buf, o, kind);
            o = append(buf, o, VG_STR("."));
            return append(buf, o, vg_ver_sub(s, i + kl, s.len));
        }
    }
    return 0;
}

/* Go versions: "go..." stdlib tags are mapped first, a missing 'v' is implied. The result's
 * slices point into `buf`. */
static struct sv
go_parse(struct vg_str s, char *buf)
{
    struct sv bad = {.ok = false};
    size_t n;
    if (s.len >= 2 && s.ptr[0] == 'g' && s.ptr[1] == 'o') {
        n = go_tag_map(s, buf);
        if (n == 0) {
            return bad;
        }
    } else if (s.len > 0 && s.ptr[0] == 'v') {
        n = append(buf, 0, s);
    } else {
        n = append(buf, append(buf, 0, VG_STR("v")), s);
    }
    return sv_parse_core((struct vg_str){buf, n}, 1, true);
}

bool
vg_ver_go_valid(struct vg_str v)
{
    char buf[GO_BUF];
    return go_parse(v, buf).ok;
}

int
vg_ver_go_cmp(struct vg_str a, struct vg_str b)
{
    char ba[GO_BUF], bb[GO_BUF];
    struct sv x = go_parse(a, ba), y = go_parse(b, bb);
    if (!x.ok || !y.ok) {
        return x.ok == y.ok ? 0 : (x.ok ? 1 : -1);
    }
    int r = main_cmp(&x, &y);
    return r ? r : pre_cmp(x.pre, y.pre, go_ident_cmp);
}
