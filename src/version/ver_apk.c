/* SPDX-License-Identifier: Apache-2.0
 *
 * Alpine (apk-tools) versions: digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}.
 * The string is read as a sequence of typed tokens; two versions are walked in step while
 * their token types agree, comparing values (numbers numerically, except that a dotted
 * component with a leading zero compares as a string; suffixes by rank alpha < beta < pre <
 * rc < (none) < cvs < svn < git < hg < p). When the types first differ, a pre-release suffix
 * loses, otherwise the version whose next token is "earlier" in the grammar is greater.
 * Malformed tails become an INVALID token, which still compares deterministically, as in
 * apk-tools. Numbers wrap at 64 bits exactly like apk's own parser.
 */
#include "version.h"

#include "ver_int.h"

enum apk_tok {
    T_INITIAL_DIGIT,
    T_DIGIT,
    T_LETTER,
    T_SUFFIX,
    T_SUFFIX_NO,
    T_COMMIT_HASH,
    T_REVISION_NO,
    T_END,
    T_INVALID,
};

enum apk_suffix {
    S_INVALID,
    S_ALPHA,
    S_BETA,
    S_PRE,
    S_RC,
    S_NONE,
    S_CVS,
    S_SVN,
    S_GIT,
    S_HG,
    S_P,
};

struct apk_state {
    enum apk_tok tok;
    enum apk_suffix suffix;
    uint64_t number;
    struct vg_str value;
    struct vg_str in; /* what is left to read */
};

static const char *const suffix_names[] = {
    [S_ALPHA] = "alpha", [S_BETA] = "beta", [S_PRE] = "pre", [S_RC] = "rc", [S_CVS] = "cvs",
    [S_SVN] = "svn",     [S_GIT] = "git",   [S_HG] = "hg",   [S_P] = "p",
};

static enum apk_suffix
suffix_value(struct vg_str s)
{
    enum apk_suffix v;
    if (s.len == 0) {
        return S_INVALID;
    }
    switch (s.ptr[0]) {
    case 'a':
        v = S_ALPHA;
        break;
    case 'b':
        v = S_BETA;
        break;
    case 'c':
        v = S_CVS;
        break;
    case 'g':
        v = S_GIT;
        break;
    case 'h':
        v = S_HG;
        break;
    case 'p':
        v = s.len > 1 ? S_PRE : S_P;
        break;
    case 'r':
        v = S_RC;
        break;
    case 's':
        v = S_SVN;
        break;
    default:
        return S_INVALID;
    }
    return vg_str_eq_c(s, suffix_names[v]) ? v : S_INVALID;
}

static void
advance(struct apk_state *t, size_t n)
{
    t->in.ptr += n;
    t->in.len -= n;
}

static void
parse_digits(struct apk_state *t)
{
    size_t n = vg_ver_digits_span(t->in, 0);
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10u + (uint64_t)(t->in.ptr[i] - '0'); /* wraps like apk_blob_pull_uint */
    }
    t->number = v;
    t->value = vg_ver_sub(t->in, 0, n);
    advance(t, n);
    if (n == 0) {
        t->tok = T_INVALID;
    }
}

static void
tok_first(struct apk_state *t, struct vg_str in)
{
    *t = (struct apk_state){.tok = T_INITIAL_DIGIT, .in = in};
    parse_digits(t);
}

static size_t
span_class(struct vg_str s, bool hex)
{
    size_t i = 0;
    while (i < s.len) {
        int c = (unsigned char)s.ptr[i];
        bool ok = hex ? (ver_isdigit(c) || (c >= 'a' && c <= 'f')) : ver_islower(c);
        if (!ok) {
            break;
        }
        i++;
    }
    return i;
}

static void
tok_next(struct apk_state *t)
{
    if (t->in.len == 0) {
        t->tok = T_END;
        return;
    }
    int c = (unsigned char)t->in.ptr[0];
    if (ver_islower(c)) {
        if (t->tok > T_DIGIT) {
            goto invalid;
        }
        t->value = vg_ver_sub(t->in, 0, 1);
        t->tok = T_LETTER;
        advance(t, 1);
    } else if (c == '.' || ver_isdigit(c)) {
        if (c == '.') {
            if (t->tok > T_DIGIT) {
                goto invalid;
            }
            advance(t, 1);
        }
        if (t->tok == T_INITIAL_DIGIT || t->tok == T_DIGIT) {
            t->tok = T_DIGIT;
        } else if (t->tok == T_SUFFIX) {
            t->tok = T_SUFFIX_NO;
        } else {
            goto invalid;
        }
        parse_digits(t);
    } else if (c == '_') {
        if (t->tok > T_SUFFIX_NO) {
            goto invalid;
        }
        advance(t, 1);
        size_t n = span_class(t->in, false);
        t->value = vg_ver_sub(t->in, 0, n);
        advance(t, n);
        t->suffix = suffix_value(t->value);
        if (t->suffix == S_INVALID) {
            goto invalid;
        }
        t->tok = T_SUFFIX;
    } else if (c == '~') {
        if (t->tok >= T_COMMIT_HASH) {
            goto invalid;
        }
        advance(t, 1);
        size_t n = span_class(t->in, true);
        t->value = vg_ver_sub(t->in, 0, n);
        advance(t, n);
        if (n == 0) {
            goto invalid;
        }
        t->tok = T_COMMIT_HASH;
    } else if (c == '-') {
        if (t->tok >= T_REVISION_NO || t->in.len < 2 || t->in.ptr[1] != 'r') {
            goto invalid;
        }
        advance(t, 2);
        t->tok = T_REVISION_NO;
        parse_digits(t);
    } else {
        goto invalid;
    }
    return;
invalid:
    t->tok = T_INVALID;
}

static int
u64_cmp(uint64_t a, uint64_t b)
{
    return (a > b) - (a < b);
}

static int
tok_cmp(const struct apk_state *a, const struct apk_state *b)
{
    switch (a->tok) {
    case T_DIGIT:
        if (a->value.ptr[0] == '0' || b->value.ptr[0] == '0') {
            return vg_ver_bytes_cmp(a->value, b->value);
        }
        return u64_cmp(a->number, b->number);
    case T_INITIAL_DIGIT:
    case T_SUFFIX_NO:
    case T_REVISION_NO:
        return u64_cmp(a->number, b->number);
    case T_LETTER:
        return u64_cmp((unsigned char)a->value.ptr[0], (unsigned char)b->value.ptr[0]);
    case T_SUFFIX:
        return u64_cmp(a->suffix, b->suffix);
    default:
        return vg_ver_bytes_cmp(a->value, b->value);
    }
}

int
vg_ver_apk_cmp(struct vg_str a, struct vg_str b)
{
    struct apk_state ta, tb;
    tok_first(&ta, a);
    tok_first(&tb, b);
    while (ta.tok == tb.tok && ta.tok < T_END) {
        int r = tok_cmp(&ta, &tb);
        if (r != 0) {
            return r;
        }
        tok_next(&ta);
        tok_next(&tb);
    }
    if (ta.tok == tb.tok) {
        return 0;
    }
    if (ta.tok == T_SUFFIX && ta.suffix < S_NONE) {
        return -1;
    }
    if (tb.tok == T_SUFFIX && tb.suffix < S_NONE) {
        return 1;
    }
    return ta.tok > tb.tok ? -1 : 1;
}

bool
vg_ver_apk_valid(struct vg_str v)
{
    struct apk_state t;
    tok_first(&t, v);
    while (t.tok < T_END) {
        tok_next(&t);
    }
    return t.tok == T_END;
}
