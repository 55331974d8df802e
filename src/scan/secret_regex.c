/* SPDX-License-Identifier: Apache-2.0
 *
 * The secret rules' regex dialect and its translation to POSIX ERE (libc regcomp). Rules are
 * shared with Trivy/gitleaks-style configs, which are written for RE2, so we accept the common
 * RE2 subset and rewrite it: a leading (?i) becomes REG_ICASE, (?P<name>...) and (?<name>...)
 * become plain groups whose index we remember, (?:...) becomes a group, lazy quantifiers become
 * greedy (POSIX has no laziness; matches can only get longer), \d \s \w and friends become
 * bracket classes, and escapes inside bracket expressions are normalised because POSIX treats
 * a backslash there as a literal. Anything else (look-around, back-references, (?s)) is
 * rejected with the offset, never silently mistranslated.
 *
 * This file does not own matching policy (allow rules, keywords): see secret.c.
 */
#include <string.h>

#include "secret_int.h"

struct xlat {
    const char *p;
    size_t i, n;
    struct vg_buf out;
    bool icase;
    size_t groups;
    size_t want; /* group index of the wanted name, 0 if none */
    const char *name;
};

static int
xlat_fail(struct xlat *x, struct vg_err **err, const char *what)
{
    return vg_err_set(err, VG_E_PARSE, "regex: %s at offset %zu", what, x->i);
}

static int
put(struct xlat *x, const char *s, struct vg_err **err)
{
    return vg_buf_append_str(&x->out, s, err);
}

static int
putc_(struct xlat *x, char c, struct vg_err **err)
{
    return vg_buf_appendc(&x->out, c, err);
}

/* A '(' followed by '?': flags, named or non-capturing groups. */
static int
xlat_paren_q(struct xlat *x, struct vg_err **err)
{
    const char *p = x->p;
    size_t i = x->i + 2; /* after "(?" */
    if (i < x->n && (p[i] == 'P' || p[i] == '<') &&
        !(p[i] == '<' && i + 1 < x->n && (p[i + 1] == '=' || p[i + 1] == '!'))) {
        if (p[i] == 'P') {
            i++;
        }
        if (i >= x->n || p[i] != '<') {
            return xlat_fail(x, err, "malformed named group");
        }
        size_t ns = ++i;
        while (i < x->n && p[i] != '>') {
            i++;
        }
        if (i >= x->n) {
            return xlat_fail(x, err, "unterminated group name");
        }
        x->groups++;
        if (x->name && strlen(x->name) == i - ns && memcmp(x->name, p + ns, i - ns) == 0 &&
            x->want == 0) {
            x->want = x->groups;
        }
        x->i = i + 1;
        return putc_(x, '(', err);
    }
    if (i < x->n && p[i] == ':') {
        x->groups++;
        x->i = i + 1;
        return putc_(x, '(', err);
    }
    /* Flag groups: (?i) (?m) (?-i) ... only i and m are understood. */
    size_t j = i;
    bool neg = false;
    while (j < x->n && p[j] != ')' && p[j] != ':') {
        if (p[j] == 'i' && !neg) {
            x->icase = true;
        } else if (p[j] == 'm' || p[j] == '-') {
            neg = neg || p[j] == '-';
        } else {
            return xlat_fail(x, err, "unsupported group flag (only (?i) and (?m))");
        }
        j++;
    }
    if (j >= x->n) {
        return xlat_fail(x, err, "unterminated flag group");
    }
    if (p[j] == ':') {
        x->groups++;
        x->i = j + 1;
        return putc_(x, '(', err);
    }
    x->i = j + 1;
    return 0;
}

static int
xlat_escape(struct xlat *x, struct vg_err **err)
{
    if (x->i + 1 >= x->n) {
        return xlat_fail(x, err, "trailing backslash");
    }
    char c = x->p[x->i + 1];
    x->i += 2;
    switch (c) {
    case 'd':
        return put(x, "[0-9]", err);
    case 'D':
        return put(x, "[^0-9]", err);
    case 's':
        return put(x, "[[:space:]]", err);
    case 'S':
        return put(x, "[^[:space:]]", err);
    case 'w':
        return put(x, "[[:alnum:]_]", err);
    case 'W':
        return put(x, "[^[:alnum:]_]", err);
    case 'b':
        return put(x, "\\b", err);
    case 'B':
        return put(x, "\\B", err);
    case 'n':
        return putc_(x, '\n', err);
    case 'r':
        return putc_(x, '\r', err);
    case 't':
        return putc_(x, '\t', err);
    default:
        break;
    }
    if (strchr(".[]{}()*+?^$|\\", c)) {
        char esc[3] = {'\\', c, 0};
        return put(x, esc, err);
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        x->i -= 2;
        return xlat_fail(x, err, "unsupported escape (back-reference or class)");
    }
    return putc_(x, c, err);
}

/* Literals a bracket expression must place at fixed positions (']' first, '^' and '-' last). */
struct bracket_lits {
    bool rbr, caret, hyph;
};

/* One escape p[i] == '\\' inside a bracket expression, appended to body in POSIX form. */
static int
xlat_bracket_escape(struct xlat *x, size_t i, struct vg_buf *body, struct bracket_lits *b,
                    struct vg_err **err)
{
    char e = x->p[i + 1];
    const char *rep = NULL;
    char lit[2] = {e, 0};
    switch (e) {
    case 'd':
        rep = "0-9";
        break;
    case 's':
        rep = "[:space:]";
        break;
    case 'w':
        rep = "[:alnum:]_";
        break;
    case 'n':
        lit[0] = '\n';
        break;
    case 'r':
        lit[0] = '\r';
        break;
    case 't':
        lit[0] = '\t';
        break;
    case ']':
        b->rbr = true;
        lit[0] = 0;
        break;
    case '-':
        b->hyph = true;
        lit[0] = 0;
        break;
    case '^':
        b->caret = true;
        lit[0] = 0;
        break;
    default:
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
            x->i = i;
            return xlat_fail(x, err, "unsupported escape in bracket expression");
        }
        break;
    }
    return vg_buf_append_str(body, rep ? rep : lit, err);
}

/* Bracket expression: RE2 allows escapes inside, POSIX does not. ']' goes first, '^' and '-'
 * last so they stay literal. */
static int
xlat_bracket(struct xlat *x, struct vg_err **err)
{
    const char *p = x->p;
    size_t i = x->i + 1;
    bool neg = false;
    struct bracket_lits b = {0};
    vg_autobuf struct vg_buf body = VG_BUF_INIT(VG_SECRET_MAX_REGEX * 4);
    if (i < x->n && p[i] == '^') {
        neg = true;
        i++;
    }
    if (i < x->n && p[i] == ']') {
        b.rbr = true;
        i++;
    }
    for (;;) {
        if (i >= x->n) {
            return xlat_fail(x, err, "unterminated bracket expression");
        }
        char c = p[i];
        if (c == ']') {
            break;
        }
        if (c == '[' && i + 1 < x->n && p[i + 1] == ':') {
            const char *end = strstr(p + i, ":]");
            if (!end || (size_t)(end - p) >= x->n) {
                return xlat_fail(x, err, "unterminated character class");
            }
            size_t l = (size_t)(end - (p + i)) + 2;
            if (vg_buf_append(&body, p + i, l, err) < 0) {
                return -1;
            }
            i += l;
            continue;
        }
        if (c == '\\' && i + 1 < x->n) {
            if (xlat_bracket_escape(x, i, &body, &b, err) < 0) {
                return -1;
            }
            i += 2;
            continue;
        }
        if (c == '-' && (i + 1 < x->n && p[i + 1] == ']')) {
            b.hyph = true;
            i++;
            continue;
        }
        if (c == '^') {
            b.caret = true;
            i++;
            continue;
        }
        if (vg_buf_appendc(&body, c, err) < 0) {
            return -1;
        }
        i++;
    }
    if (body.len == 0 && !b.rbr && !b.caret && !b.hyph) {
        return xlat_fail(x, err, "empty bracket expression");
    }
    x->i = i + 1;
    if (putc_(x, '[', err) < 0 || (neg && putc_(x, '^', err) < 0) ||
        (b.rbr && putc_(x, ']', err) < 0) || put(x, vg_buf_cstr(&body), err) < 0 ||
        (b.caret && putc_(x, '^', err) < 0) || (b.hyph && putc_(x, '-', err) < 0)) {
        return -1;
    }
    return putc_(x, ']', err);
}

static int
xlat_run(struct xlat *x, struct vg_err **err)
{
    while (x->i < x->n) {
        char c = x->p[x->i];
        int rc = 0;
        if (c == '(' && x->i + 1 < x->n && x->p[x->i + 1] == '?') {
            rc = xlat_paren_q(x, err);
        } else if (c == '(') {
            x->groups++;
            x->i++;
            rc = putc_(x, '(', err);
        } else if (c == '\\') {
            rc = xlat_escape(x, err);
        } else if (c == '[') {
            rc = xlat_bracket(x, err);
        } else if ((c == '*' || c == '+' || c == '?' || c == '}') && x->i + 1 < x->n &&
                   x->p[x->i + 1] == '?') {
            /* lazy quantifier: POSIX matching is leftmost-longest anyway */
            x->i += 2;
            rc = putc_(x, c, err);
        } else {
            x->i++;
            rc = putc_(x, c, err);
        }
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

int
vg_secret_regex_compile(struct vg_secret_re *out, const char *pattern, const char *group_name,
                        struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    size_t n = strlen(pattern);
    if (n == 0 || n > VG_SECRET_MAX_REGEX) {
        return vg_err_set(err, VG_E_PARSE, "regex: empty or longer than %u bytes",
                          VG_SECRET_MAX_REGEX);
    }
    struct xlat x = {.p = pattern,
                     .n = n,
                     .out = VG_BUF_INIT(VG_SECRET_MAX_REGEX * 8),
                     .name = group_name ? group_name : "secret"};
    if (xlat_run(&x, err) < 0) {
        vg_buf_dispose(&x.out);
        return -(int)VG_E_PARSE;
    }
    if (group_name && *group_name && x.want == 0) {
        vg_buf_dispose(&x.out);
        return vg_err_set(err, VG_E_PARSE, "regex: no group named '%s'", group_name);
    }
    int flags = REG_EXTENDED | REG_NEWLINE | (x.icase ? REG_ICASE : 0);
    out->re = vg_calloc(1, sizeof(*out->re));
    int rc = regcomp(out->re, vg_buf_cstr(&x.out), flags);
    if (rc != 0) {
        char msg[256];
        regerror(rc, out->re, msg, sizeof(msg));
        vg_buf_dispose(&x.out);
        free(out->re);
        out->re = NULL;
        return vg_err_set(err, VG_E_PARSE, "regex: %s", msg);
    }
    vg_buf_dispose(&x.out);
    out->compiled = true;
    out->group = x.want;
    out->ngroups = out->re->re_nsub;
    return 0;
}

void
vg_secret_regex_free(struct vg_secret_re *r)
{
    if (r->compiled && !r->shared) {
        regfree(r->re);
        free(r->re);
    }
    r->re = NULL;
    r->compiled = false;
}

bool
vg_secret_regex_search(const struct vg_secret_re *r, const char *s, size_t len)
{
    if (!r->compiled) {
        return false;
    }
    regmatch_t m[1];
    m[0].rm_so = 0;
    m[0].rm_eo = (regoff_t)len;
    return regexec(r->re, s, 1, m, REG_STARTEND) == 0;
}
