/* SPDX-License-Identifier: Apache-2.0
 *
 * The HTTP authentication grammar vigil must read from untrusted servers: WWW-Authenticate
 * challenge lists (RFC 7235 §2.1/§4.1 with RFC 9110 quoted-strings) and token-endpoint JSON
 * (Docker registry token spec, OAuth2 access_token). Both are bounded and fuzzed
 * (tests/fuzz/net_www_authenticate.c, tests/fuzz/net_token.c).
 *
 * It does not decide which scheme to use or where to send credentials (oci/remote_auth.c).
 */
#include "net.h"

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
    ch->params = vg_realloc(ch->params, (ch->nparams + 1) * sizeof(*ch->params));
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
        list = vg_realloc(list, (cnt + 1) * sizeof(*list));
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

/* ---------------------------------------------------------------- tokens */

void
vg_http_secret_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* Tokens travel in a header line: printable ASCII without spaces only (no CR/LF injection). */
static bool
token_chars_ok(const char *t)
{
    if (!*t) {
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f) {
            return false;
        }
    }
    return true;
}

int
vg_http_token_parse(struct vg_http_token *out, const void *data, size_t len, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    vg_autojson json_t *j = NULL;
    if (vg_json_parse(&j, data, len, VG_LIMIT_TOKEN_BYTES, "token response", err) < 0) {
        return -1;
    }
    if (!json_is_object(j)) {
        return vg_err_set(err, VG_E_PARSE, "token response: not a JSON object");
    }
    const char *tok = vg_json_str(j, "token");
    if (!tok || !*tok) {
        tok = vg_json_str(j, "access_token");
    }
    if (!tok || !token_chars_ok(tok)) {
        return vg_err_set(err, VG_E_PARSE,
                          "token response: missing or invalid \"token\"/\"access_token\"");
    }
    const char *refresh = vg_json_str(j, "refresh_token");
    if (refresh && !token_chars_ok(refresh)) {
        return vg_err_set(err, VG_E_PARSE, "token response: invalid \"refresh_token\"");
    }
    json_t *exp = json_object_get(j, "expires_in");
    uint64_t expires = 60;
    if (exp) {
        if (!json_is_integer(exp) || json_integer_value(exp) < 0) {
            return vg_err_set(err, VG_E_PARSE, "token response: invalid \"expires_in\"");
        }
        expires = (uint64_t)json_integer_value(exp);
    }
    out->token = vg_strdup(tok);
    out->refresh_token = vg_strdup(refresh);
    out->expires_in = expires;
    return 0;
}

void
vg_http_token_dispose(struct vg_http_token *t)
{
    if (!t) {
        return;
    }
    vg_http_secret_free(t->token);
    vg_http_secret_free(t->refresh_token);
    memset(t, 0, sizeof(*t));
}
