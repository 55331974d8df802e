/* SPDX-License-Identifier: Apache-2.0
 *
 * WWW-Authenticate and Link header grammars (see httphdr.h): a cursor parser for challenge
 * lists, the rel="next" lookup, and the formatters a server uses to emit both. It knows
 * nothing of transports, credentials or which scheme to prefer (oci/remote_auth.c decides).
 */
#include "httphdr.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

struct cur {
    const char *s;
    size_t len, pos;
};

static bool
at_end(const struct cur *c)
{
    return c->pos >= c->len;
}

static char
peek(const struct cur *c)
{
    return at_end(c) ? '\0' : c->s[c->pos];
}

static bool
is_tchar(char ch)
{
    return isalnum((unsigned char)ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static bool
is_token68_char(char ch)
{
    return isalnum((unsigned char)ch) || (ch && strchr("-._~+/", ch) != NULL);
}

static void
skip_ows(struct cur *c)
{
    while (!at_end(c) && (peek(c) == ' ' || peek(c) == '\t')) {
        c->pos++;
    }
}

static void
skip_ows_commas(struct cur *c)
{
    while (!at_end(c) && (peek(c) == ' ' || peek(c) == '\t' || peek(c) == ',')) {
        c->pos++;
    }
}

static struct vg_str
take_token(struct cur *c)
{
    size_t start = c->pos;
    while (!at_end(c) && is_tchar(peek(c))) {
        c->pos++;
    }
    return (struct vg_str){c->s + start, c->pos - start};
}

static char *
lower_dup(struct vg_str s)
{
    char *r = vg_str_dup(s);
    for (char *p = r; *p; p++) {
        *p = (char)tolower((unsigned char)*p);
    }
    return r;
}

static int
perr(struct vg_err **err, const struct cur *c, const char *what)
{
    return vg_err_set(err, VG_E_PARSE, "WWW-Authenticate: %s at offset %zu", what, c->pos);
}

/* quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE */
static int
take_quoted(struct cur *c, char **out, struct vg_err **err)
{
    c->pos++; /* opening quote */
    struct vg_buf b = VG_BUF_INIT(VG_HTTP_CHALLENGE_BYTES);
    for (;;) {
        if (at_end(c)) {
            vg_buf_dispose(&b);
            return perr(err, c, "unterminated quoted string");
        }
        char ch = c->s[c->pos++];
        if (ch == '"') {
            break;
        }
        if (ch == '\\') {
            if (at_end(c)) {
                vg_buf_dispose(&b);
                return perr(err, c, "dangling escape");
            }
            ch = c->s[c->pos++];
        }
        if ((unsigned char)ch < 0x20 && ch != '\t') {
            vg_buf_dispose(&b);
            return perr(err, c, "control character in quoted string");
        }
        if (ch == 0x7f || vg_buf_appendc(&b, ch, err) < 0) {
            vg_buf_dispose(&b);
            return ch == 0x7f ? perr(err, c, "control character in quoted string") : -1;
        }
    }
    *out = b.len ? vg_buf_take(&b, NULL) : vg_strdup("");
    vg_buf_dispose(&b);
    return 0;
}

/* At a token: is it "name =" (an auth-param) rather than a new scheme or a token68? */
static bool
looks_like_param(const struct cur *c0)
{
    struct cur c = *c0;
    if (take_token(&c).len == 0) {
        return false;
    }
    skip_ows(&c);
    if (peek(&c) != '=') {
        return false;
    }
    c.pos++;
    skip_ows(&c);
    /* "name=" then end/comma/'=' is a token68 ending in padding, not a parameter. */
    return !at_end(&c) && peek(&c) != ',' && peek(&c) != '=';
}

static void
challenge_dispose(struct vg_http_challenge *ch)
{
    free(ch->scheme);
    free(ch->token68);
    for (size_t i = 0; i < ch->nparams; i++) {
        free(ch->params[i].name);
        free(ch->params[i].value);
    }
    free(ch->params);
}

void
vg_http_challenges_free(struct vg_http_challenge *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++) {
        challenge_dispose(&c[i]);
    }
    free(c);
}

static int
parse_param(struct cur *c, struct vg_http_challenge *ch, struct vg_err **err)
{
    if (ch->nparams >= VG_HTTP_AUTH_PARAMS_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "WWW-Authenticate: more than %u parameters",
                          VG_HTTP_AUTH_PARAMS_MAX);
    }
    vg_autofree char *name = lower_dup(take_token(c));
    skip_ows(c);
    c->pos++; /* '=' (checked by looks_like_param) */
    skip_ows(c);
    char *value = NULL;
    if (peek(c) == '"') {
        if (take_quoted(c, &value, err) < 0) {
            return -1;
        }
    } else {
        struct vg_str t = take_token(c);
        if (t.len == 0) {
            return perr(err, c, "expected a token or quoted string");
        }
        value = vg_str_dup(t);
    }
    if (vg_http_challenge_param(ch, name)) {
        free(value);
        return perr(err, c, "duplicate parameter");
    }
    VG_ARRAY_GROW(ch->params, ch->nparams, 1);
    ch->params[ch->nparams].name = vg_steal_ptr(&name);
    ch->params[ch->nparams].value = value;
    ch->nparams++;
    return 0;
}

/* After the scheme: token68, or a comma-separated list of params, or nothing. */
static int
parse_challenge_body(struct cur *c, struct vg_http_challenge *ch, struct vg_err **err)
{
    skip_ows(c);
    if (at_end(c) || peek(c) == ',') {
        return 0;
    }
    if (!looks_like_param(c)) {
        size_t start = c->pos;
        while (!at_end(c) && is_token68_char(peek(c))) {
            c->pos++;
        }
        while (!at_end(c) && peek(c) == '=') {
            c->pos++;
        }
        if (c->pos == start) {
            return perr(err, c, "expected token68 or parameters");
        }
        ch->token68 = vg_strndup(c->s + start, c->pos - start);
        skip_ows(c);
        if (!at_end(c) && peek(c) != ',') {
            return perr(err, c, "unexpected character after token68");
        }
        return 0;
    }
    for (;;) {
        if (parse_param(c, ch, err) < 0) {
            return -1;
        }
        skip_ows(c);
        if (at_end(c)) {
            return 0;
        }
        if (peek(c) != ',') {
            return perr(err, c, "expected ',' between parameters");
        }
        skip_ows_commas(c);
        if (at_end(c) || !looks_like_param(c)) {
            return 0; /* the next challenge starts here */
        }
    }
}

int
vg_http_challenges_parse(struct vg_http_challenge **out, size_t *n, const char *value, size_t len,
                         struct vg_err **err)
{
    *out = NULL;
    *n = 0;
    if (len > VG_HTTP_CHALLENGE_BYTES) {
        return vg_err_set(err, VG_E_LIMIT, "WWW-Authenticate value exceeds %u bytes",
                          VG_HTTP_CHALLENGE_BYTES);
    }
    struct cur c = {value, len, 0};
    struct vg_http_challenge *list = NULL;
    size_t cnt = 0;
    for (;;) {
        skip_ows_commas(&c);
        if (at_end(&c)) {
            break;
        }
        if (cnt >= VG_HTTP_CHALLENGES_MAX) {
            vg_http_challenges_free(list, cnt);
            return vg_err_set(err, VG_E_LIMIT, "WWW-Authenticate: more than %u challenges",
                              VG_HTTP_CHALLENGES_MAX);
        }
        struct vg_str scheme = take_token(&c);
        if (scheme.len == 0) {
            vg_http_challenges_free(list, cnt);
            return perr(err, &c, "expected an auth scheme");
        }
        VG_ARRAY_GROW(list, cnt, 1);
        memset(&list[cnt], 0, sizeof(list[cnt]));
        list[cnt].scheme = lower_dup(scheme);
        cnt++;
        if (!at_end(&c) && peek(&c) != ' ' && peek(&c) != '\t' && peek(&c) != ',') {
            vg_http_challenges_free(list, cnt);
            return perr(err, &c, "invalid character in auth scheme");
        }
        if (parse_challenge_body(&c, &list[cnt - 1], err) < 0) {
            vg_http_challenges_free(list, cnt);
            return -1;
        }
    }
    if (cnt == 0) {
        return vg_err_set(err, VG_E_PARSE, "WWW-Authenticate: no challenge");
    }
    *out = list;
    *n = cnt;
    return 0;
}

const char *
vg_http_challenge_param(const struct vg_http_challenge *c, const char *name)
{
    for (size_t i = 0; i < c->nparams; i++) {
        if (strcasecmp(c->params[i].name, name) == 0) {
            return c->params[i].value;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- Link */

/* True when the link-param list (after '>') contains rel="next" (or rel=next, or "next" among
 * space-separated relation types). */
static bool
params_have_next(struct vg_str params)
{
    struct vg_str head, tail = params;
    while (tail.len) {
        vg_str_cut(tail, ';', &head, &tail);
        struct vg_str name, value;
        if (!vg_str_cut(vg_str_trim(head), '=', &name, &value)) {
            continue;
        }
        name = vg_str_trim(name);
        if (name.len != 3 || strncasecmp(name.ptr, "rel", 3) != 0) {
            continue;
        }
        value = vg_str_trim(value);
        if (value.len >= 2 && value.ptr[0] == '"' && value.ptr[value.len - 1] == '"') {
            value = (struct vg_str){value.ptr + 1, value.len - 2};
        }
        struct vg_str rel, rest = value;
        while (rest.len) {
            vg_str_cut(rest, ' ', &rel, &rest);
            if (rel.len == 4 && strncasecmp(rel.ptr, "next", 4) == 0) {
                return true;
            }
        }
    }
    return false;
}

char *
vg_http_link_next(const char *link_header)
{
    if (!link_header) {
        return NULL;
    }
    struct vg_str s = vg_str_c(link_header);
    /* link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ), comma-separated. */
    while (s.len) {
        s = vg_str_trim(s);
        if (s.len == 0 || s.ptr[0] != '<') {
            return NULL;
        }
        const char *gt = memchr(s.ptr, '>', s.len);
        if (!gt) {
            return NULL;
        }
        struct vg_str target = {s.ptr + 1, (size_t)(gt - s.ptr - 1)};
        struct vg_str after = {gt + 1, s.len - (size_t)(gt + 1 - s.ptr)};
        /* Params end at the next comma outside quotes. */
        size_t i = 0;
        bool q = false;
        for (; i < after.len; i++) {
            if (after.ptr[i] == '"') {
                q = !q;
            } else if (after.ptr[i] == ',' && !q) {
                break;
            }
        }
        if (params_have_next((struct vg_str){after.ptr, i})) {
            return vg_str_dup(target);
        }
        s = i < after.len ? (struct vg_str){after.ptr + i + 1, after.len - i - 1} : VG_STR_NULL;
    }
    return NULL;
}

/* ---------------------------------------------------------------- formatting */

static bool
is_token(const char *s)
{
    if (!s || !*s) {
        return false;
    }
    for (; *s; s++) {
        if (!is_tchar(*s)) {
            return false;
        }
    }
    return true;
}

int
vg_http_challenge_format(char **out, const char *scheme, const struct vg_http_auth_kv *params,
                         size_t n, struct vg_err **err)
{
    if (!is_token(scheme)) {
        return vg_err_set(err, VG_E_USAGE, "format challenge: scheme is not a token");
    }
    if (n > VG_HTTP_AUTH_PARAMS_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "format challenge: more than %u parameters",
                          VG_HTTP_AUTH_PARAMS_MAX);
    }
    vg_autobuf struct vg_buf b = VG_BUF_INIT(VG_HTTP_CHALLENGE_BYTES);
    if (vg_buf_append_str(&b, scheme, err) < 0) {
        return vg_err_wrap(err, "format challenge");
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = params[i].value ? params[i].value : "";
        if (!is_token(params[i].name)) {
            return vg_err_set(err, VG_E_USAGE, "format challenge: parameter %zu is not a token", i);
        }
        if (vg_buf_appendf(&b, err, "%s%s=\"", i ? "," : " ", params[i].name) < 0) {
            return vg_err_wrap(err, "format challenge");
        }
        for (const char *p = v; *p; p++) {
            unsigned char ch = (unsigned char)*p;
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
                return vg_err_set(err, VG_E_USAGE, "format challenge: control character in '%s'",
                                  params[i].name);
            }
            if ((ch == '"' || ch == '\\') && vg_buf_append(&b, "\\", 1, err) < 0) {
                return vg_err_wrap(err, "format challenge");
            }
            if (vg_buf_append(&b, p, 1, err) < 0) {
                return vg_err_wrap(err, "format challenge");
            }
        }
        if (vg_buf_append(&b, "\"", 1, err) < 0) {
            return vg_err_wrap(err, "format challenge");
        }
    }
    *out = vg_buf_take(&b, NULL);
    return 0;
}

int
vg_http_link_next_format(char **out, const char *target, struct vg_err **err)
{
    if (!target || !*target) {
        return vg_err_set(err, VG_E_USAGE, "format Link: empty target");
    }
    for (const char *p = target; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch == 0x7f || ch == '<' || ch == '>') {
            return vg_err_set(err, VG_E_USAGE, "format Link: invalid character at offset %zu",
                              (size_t)(p - target));
        }
    }
    *out = vg_fmt("<%s>; rel=\"next\"", target);
    return 0;
}
