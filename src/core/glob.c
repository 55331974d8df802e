/* SPDX-License-Identifier: Apache-2.0
 *
 * Doublestar path globs (see glob.h). Two levels of the same wildcard walk: characters within a
 * segment (`*`), and segments within a path (`**`). Each level keeps one backtrack point, which
 * is enough because a later star always subsumes an earlier one.
 */
#include "core/glob.h"

#include <stddef.h>
#include <string.h>

struct span {
    const char *p;
    size_t n;
};

static struct span
strip_root(const char *s)
{
    for (;;) {
        if (s[0] == '/') {
            s++;
        } else if (s[0] == '.' && s[1] == '/') {
            s += 2;
        } else {
            break;
        }
    }
    size_t n = strlen(s);
    while (n && s[n - 1] == '/') {
        n--;
    }
    return (struct span){s, n};
}

/* Matches one pattern element at pat->p[*i] against c; advances *i past it. */
static bool
one_matches(struct span pat, size_t *i, char c)
{
    char pc = pat.p[*i];
    if (pc == '?') {
        (*i)++;
        return true;
    }
    if (pc == '\\' && *i + 1 < pat.n) {
        *i += 2;
        return pat.p[*i - 1] == c;
    }
    if (pc == '[') {
        size_t j = *i + 1;
        bool neg = j < pat.n && (pat.p[j] == '!' || pat.p[j] == '^');
        j += neg;
        bool hit = false;
        size_t first = j;
        while (j < pat.n && (pat.p[j] != ']' || j == first)) {
            char lo = pat.p[j];
            if (lo == '\\' && j + 1 < pat.n) {
                lo = pat.p[++j];
            }
            char hi = lo;
            if (j + 2 < pat.n && pat.p[j + 1] == '-' && pat.p[j + 2] != ']') {
                hi = pat.p[j + 2];
                j += 2;
            }
            hit |= (unsigned char)c >= (unsigned char)lo && (unsigned char)c <= (unsigned char)hi;
            j++;
        }
        if (j < pat.n) { /* closed */
            *i = j + 1;
            return hit != neg;
        }
    }
    (*i)++;
    return pc == c;
}

static bool
segment_match(struct span pat, struct span s)
{
    size_t pi = 0, si = 0, star_p = 0, star_s = 0;
    bool star = false;
    while (si < s.n) {
        if (pi < pat.n && pat.p[pi] == '*') {
            star = true;
            star_p = ++pi;
            star_s = si;
            continue;
        }
        size_t next = pi;
        if (pi < pat.n && one_matches(pat, &next, s.p[si])) {
            pi = next;
            si++;
            continue;
        }
        if (!star) {
            return false;
        }
        pi = star_p;
        si = ++star_s;
    }
    while (pi < pat.n && pat.p[pi] == '*') {
        pi++;
    }
    return pi == pat.n;
}

/* Next '/'-separated segment of *rest (empty segments from "//" are skipped). */
static bool
next_segment(struct span *rest, struct span *seg)
{
    while (rest->n && rest->p[0] == '/') {
        rest->p++;
        rest->n--;
    }
    if (!rest->n) {
        return false;
    }
    const char *slash = memchr(rest->p, '/', rest->n);
    size_t n = slash ? (size_t)(slash - rest->p) : rest->n;
    *seg = (struct span){rest->p, n};
    *rest = (struct span){rest->p + n, rest->n - n};
    return true;
}

static bool
is_globstar(struct span seg)
{
    return seg.n == 2 && seg.p[0] == '*' && seg.p[1] == '*';
}

static bool
path_match(struct span pat, struct span path)
{
    struct span pr = pat, sr = path, pseg = {0}, sseg = {0};
    struct span star_pr = {0}, star_sr = {0};
    bool star = false;
    for (;;) {
        struct span pr_before = pr;
        bool have_p = next_segment(&pr, &pseg);
        if (have_p && is_globstar(pseg)) {
            star = true;
            star_pr = pr;
            star_sr = sr;
            continue;
        }
        bool have_s = next_segment(&sr, &sseg);
        if (!have_s) {
            /* Path consumed: what is left of the pattern must be all `**`. */
            pr = pr_before;
            while (next_segment(&pr, &pseg)) {
                if (!is_globstar(pseg)) {
                    return false;
                }
            }
            return true;
        }
        if (have_p && segment_match(pseg, sseg)) {
            continue;
        }
        if (!star) {
            return false;
        }
        /* Let the last `**` swallow one more segment and retry from there. */
        struct span skip;
        if (!next_segment(&star_sr, &skip)) {
            return false;
        }
        pr = star_pr;
        sr = star_sr;
    }
}

bool
vg_glob_match(const char *pattern, const char *path)
{
    if (!pattern || !path) {
        return false;
    }
    return path_match(strip_root(pattern), strip_root(path));
}

bool
vg_glob_match_dir(const char *pattern, const char *path)
{
    if (!pattern || !path) {
        return false;
    }
    struct span pat = strip_root(pattern), s = strip_root(path);
    for (size_t i = 0; i <= s.n; i++) {
        if ((i == s.n || s.p[i] == '/') && i > 0 && path_match(pat, (struct span){s.p, i})) {
            return true;
        }
    }
    return false;
}
