/* SPDX-License-Identifier: Apache-2.0
 *
 * The Authorization request header as a registry receives it: `Basic <base64(user:pass)>`
 * (RFC 7617) and `Bearer <token68>` (RFC 6750 §2.1). Everything here is hostile input: the
 * value is bounded, the decoded password goes straight to guarded memory and the plaintext
 * buffer is wiped, and error messages never echo credentials. What the credentials are worth
 * is decided elsewhere (auth.c).
 */
#include "auth.h"

#include <string.h>

static bool
is_token68(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

/* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool
token68_valid(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_token68(s[i])) {
        i++;
    }
    if (i == 0) {
        return false;
    }
    while (i < n && s[i] == '=') {
        i++;
    }
    return i == n;
}

static bool
scheme_is(const char *s, size_t n, const char *want)
{
    return n == strlen(want) && strncasecmp(s, want, n) == 0;
}

static int
parse_basic(struct vg_auth_cred *out, const char *cred, size_t n, struct vg_err **err)
{
    if (!token68_valid(cred, n)) {
        return vg_err_set(err, VG_E_PARSE, "Basic credentials are not base64");
    }
    uint8_t *plain = NULL;
    size_t plen = 0;
    vg_autoerr struct vg_err *b64err = NULL;
    if (vg_base64_decode(&plain, &plen, cred, n, false, &b64err) < 0) {
        return vg_err_set(err, VG_E_PARSE, "Basic credentials are not base64");
    }
    const uint8_t *colon = memchr(plain, ':', plen);
    int rc = 0;
    if (!colon) {
        rc = vg_err_set(err, VG_E_PARSE, "Basic credentials lack the ':' after the user name");
    } else if (colon == plain) {
        rc = vg_err_set(err, VG_E_PARSE, "Basic credentials have an empty user name");
    } else if ((size_t)(colon - plain) > VG_AUTH_USER_MAX) {
        rc = vg_err_set(err, VG_E_LIMIT, "user name longer than %u bytes", VG_AUTH_USER_MAX);
    } else {
        size_t ulen = (size_t)(colon - plain);
        for (size_t i = 0; i < ulen; i++) {
            if (plain[i] < 0x20 || plain[i] == 0x7f) {
                rc = vg_err_set(err, VG_E_PARSE, "user name holds a control character");
                break;
            }
        }
        if (rc == 0) {
            out->scheme = VG_AUTH_SCHEME_BASIC;
            out->user = vg_strndup((const char *)plain, ulen);
            out->password = vg_secret_new(colon + 1, plen - ulen - 1);
        }
    }
    vg_crypto_memzero(plain, plen);
    free(plain);
    return rc;
}

int
vg_auth_header_parse(struct vg_auth_cred *out, const char *value, size_t len, struct vg_err **err)
{
    if (len > VG_AUTH_HEADER_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "Authorization header longer than %u bytes",
                          VG_AUTH_HEADER_MAX);
    }
    size_t i = 0;
    while (i < len && (value[i] == ' ' || value[i] == '\t')) {
        i++;
    }
    size_t s0 = i;
    while (i < len && value[i] != ' ' && value[i] != '\t') {
        i++;
    }
    size_t slen = i - s0;
    const char *scheme = value + s0;
    while (i < len && (value[i] == ' ' || value[i] == '\t')) {
        i++;
    }
    size_t end = len;
    while (end > i && (value[end - 1] == ' ' || value[end - 1] == '\t')) {
        end--;
    }
    if (slen == 0) {
        return vg_err_set(err, VG_E_PARSE, "empty Authorization header");
    }
    struct vg_auth_cred c = {0};
    if (scheme_is(scheme, slen, "basic")) {
        int rc = parse_basic(&c, value + i, end - i, err);
        if (rc < 0) {
            return rc;
        }
    } else if (scheme_is(scheme, slen, "bearer")) {
        if (end - i > VG_AUTH_TOKEN_MAX) {
            return vg_err_set(err, VG_E_LIMIT, "bearer token longer than %u bytes",
                              VG_AUTH_TOKEN_MAX);
        }
        if (!token68_valid(value + i, end - i)) {
            return vg_err_set(err, VG_E_PARSE, "bearer token is not a token68 string");
        }
        c.scheme = VG_AUTH_SCHEME_BEARER;
        c.token = vg_strndup(value + i, end - i);
    } else {
        vg_autofree char *esc = vg_escape(scheme, slen, 32);
        return vg_err_set(err, VG_E_UNSUPPORTED, "unsupported authorization scheme \"%s\"", esc);
    }
    *out = c;
    return 0;
}

void
vg_auth_cred_dispose(struct vg_auth_cred *c)
{
    if (!c) {
        return;
    }
    free(c->user);
    vg_secret_free(c->password);
    if (c->token) {
        vg_crypto_memzero(c->token, strlen(c->token));
        free(c->token);
    }
    memset(c, 0, sizeof(*c));
}

const char *
vg_auth_actions_str(unsigned a)
{
    static const char *const names[] = {
        "", "pull", "push", "pull,push", "delete", "pull,delete", "push,delete", "pull,push,delete",
    };
    return names[a & VG_AUTH_REPO_ALL];
}
