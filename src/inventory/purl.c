/* SPDX-License-Identifier: Apache-2.0
 *
 * Package URL parsing (https://github.com/package-url/purl-spec): splits
 * `pkg:type/namespace/name@version?qualifiers#subpath` into percent-decoded parts. Used by the
 * SBOM reader and by VEX matching, which both see purls written by other tools. The parser is
 * lenient where the spec is (a stray '%' stays literal) and strict where a lax reading would
 * change identity: a decoded NUL, an empty type or name, too long input or too many
 * qualifiers are errors. Building purls is elsewhere (vg_inv_purl_escape).
 */
#include <ctype.h>
#include <string.h>

#include "inventory/inventory.h"

/* Lenient, as other tools' purl parsers are: a stray '%' stays. NULL when the decoded text
 * would contain a NUL: "a%00b" must not read as "a". */
static char *
pct_decode(const char *s, size_t n)
{
    return vg_pct_decode_dup(s, n, VG_PCT_KEEP_INVALID | VG_PCT_REFUSE_NUL, NULL);
}

static void
lower(char *s)
{
    for (; s && *s; s++) {
        *s = (char)tolower((unsigned char)*s);
    }
}

void
vg_purl_dispose(struct vg_purl *p)
{
    free(p->type);
    free(p->ns);
    free(p->name);
    free(p->version);
    free(p->subpath);
    for (size_t i = 0; i < p->nquals; i++) {
        free(p->quals[i].key);
        free(p->quals[i].value);
    }
    free(p->quals);
    memset(p, 0, sizeof(*p));
}

const char *
vg_purl_qual(const struct vg_purl *p, const char *key)
{
    for (size_t i = 0; i < p->nquals; i++) {
        if (strcmp(p->quals[i].key, key) == 0) {
            return p->quals[i].value;
        }
    }
    return NULL;
}

static int
bad(struct vg_purl *p, const char *s, const char *why, struct vg_err **err)
{
    vg_purl_dispose(p);
    vg_autofree char *e = vg_escape(s, strlen(s), 80);
    return vg_err_set(err, VG_E_PARSE, "purl '%s': %s", e, why);
}

static int
parse_quals(struct vg_purl *p, const char *q, size_t n, const char *whole, struct vg_err **err)
{
    while (n) {
        size_t kl = strcspn(q, "&");
        kl = kl > n ? n : kl;
        const char *eq = memchr(q, '=', kl);
        if (eq && eq > q) {
            if (p->nquals == VG_PURL_MAX_QUALIFIERS) {
                return bad(p, whole, "too many qualifiers", err);
            }
            char *key = vg_strndup(q, (size_t)(eq - q));
            char *val = pct_decode(eq + 1, kl - (size_t)(eq + 1 - q));
            if (!val) {
                free(key);
                return bad(p, whole, "NUL in a qualifier", err);
            }
            lower(key);
            if (vg_purl_qual(p, key)) {
                free(key);
                free(val);
                return bad(p, whole, "duplicate qualifier", err);
            }
            VG_ARRAY_GROW(p->quals, p->nquals, 1);
            p->quals[p->nquals++] = (struct vg_purl_qual){key, val};
        }
        q += kl;
        n -= kl;
        if (n) {
            q++;
            n--;
        }
    }
    return 0;
}

int
vg_purl_parse(struct vg_purl *p, const char *s, struct vg_err **err)
{
    memset(p, 0, sizeof(*p));
    size_t len = strnlen(s, VG_PURL_MAX_BYTES + 1);
    if (len > VG_PURL_MAX_BYTES) {
        return vg_err_set(err, VG_E_LIMIT, "purl longer than %u bytes", VG_PURL_MAX_BYTES);
    }
    if (strncasecmp(s, "pkg:", 4) != 0) {
        return bad(p, s, "does not start with pkg:", err);
    }
    const char *b = s + 4;
    while (*b == '/') {
        b++;
    }
    size_t n = strcspn(b, "#");
    if (b[n] == '#') {
        p->subpath = pct_decode(b + n + 1, strlen(b + n + 1));
        if (!p->subpath) {
            return bad(p, s, "NUL in the subpath", err);
        }
    }
    const char *q = memchr(b, '?', n);
    size_t mlen = q ? (size_t)(q - b) : n;
    if (q && parse_quals(p, q + 1, n - mlen - 1, s, err) < 0) {
        return -(int)VG_E_PARSE;
    }
    const char *slash = memchr(b, '/', mlen);
    if (!slash || slash == b) {
        return bad(p, s, "no type", err);
    }
    p->type = vg_strndup(b, (size_t)(slash - b));
    lower(p->type);
    const char *path = slash + 1;
    size_t plen = mlen - (size_t)(path - b);
    const char *last = memrchr(path, '/', plen);
    const char *seg = last ? last + 1 : path;
    const char *at = memchr(seg, '@', plen - (size_t)(seg - path));
    if (at) {
        p->version = pct_decode(at + 1, plen - (size_t)(at + 1 - path));
        plen = (size_t)(at - path);
    }
    while (plen && path[plen - 1] == '/') {
        plen--;
    }
    last = memrchr(path, '/', plen);
    if (last) {
        p->ns = pct_decode(path, (size_t)(last - path));
        p->name = pct_decode(last + 1, plen - (size_t)(last + 1 - path));
    } else {
        p->name = pct_decode(path, plen);
    }
    if ((at && !p->version) || (last && !p->ns) || !p->name) {
        return bad(p, s, "NUL in a component", err);
    }
    if (!*p->name) {
        return bad(p, s, "no name", err);
    }
    if (p->version && !*p->version) {
        free(p->version);
        p->version = NULL;
    }
    return 0;
}
