/* SPDX-License-Identifier: Apache-2.0
 *
 * Token-endpoint JSON (Docker registry token spec, OAuth2 access_token), bounded and fuzzed
 * (tests/fuzz/net_token.c), and the wiping of secret strings. The WWW-Authenticate grammar
 * lives in core/httphdr.c, where a server can use it without libcurl.
 *
 * It does not decide which scheme to use or where to send credentials (oci/remote_auth.c).
 */
#include "net.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

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

char *
vg_http_token_refresh_form(const char *service, const char *scope, const char *refresh_token)
{
    vg_autofree char *esc_scope = vg_http_query_escape(scope);
    vg_autofree char *esc_svc = vg_http_query_escape(service ? service : "");
    char *esc_rt = vg_http_query_escape(refresh_token);
    char *form = vg_fmt("grant_type=refresh_token&client_id=vigil&service=%s&scope=%s"
                        "&refresh_token=%s",
                        esc_svc, esc_scope, esc_rt);
    vg_http_secret_free(esc_rt);
    return form;
}
