/* SPDX-License-Identifier: Apache-2.0
 *
 * The HTTP header grammars shared by vigil's client (net/) and its servers, with no HTTP
 * library behind them: WWW-Authenticate challenge lists (RFC 7235 §2.1/§4.1 with RFC 9110
 * quoted-strings) and Link headers (RFC 8288, rel="next" pagination as the Distribution spec
 * uses it). Parsers read untrusted bytes, are bounded and fuzzed
 * (tests/fuzz/core_www_authenticate.c); formatters build the headers a server sends and refuse
 * values that would not parse back (control characters: header injection).
 *
 * Error codes: VG_E_PARSE malformed input (naming the offset), VG_E_LIMIT a bound below
 * exceeded, VG_E_USAGE a formatter given a value it cannot represent.
 * Thread safety: no shared state; results belong to the caller.
 */
#ifndef VG_CORE_HTTPHDR_H
#define VG_CORE_HTTPHDR_H

#include "core/core.h"

#define VG_HTTP_CHALLENGE_BYTES (16u * 1024u) /* one WWW-Authenticate value */
#define VG_HTTP_CHALLENGES_MAX  16u
#define VG_HTTP_AUTH_PARAMS_MAX 32u

struct vg_http_auth_param {
    char *name;  /* lowercased */
    char *value; /* unquoted, escapes removed */
};
struct vg_http_challenge {
    char *scheme;  /* lowercased: "basic", "bearer", ... */
    char *token68; /* or NULL */
    struct vg_http_auth_param *params;
    size_t nparams;
};
/* Parses one WWW-Authenticate value holding one or more challenges. Bounded by
 * VG_HTTP_CHALLENGE_BYTES, VG_HTTP_CHALLENGES_MAX and VG_HTTP_AUTH_PARAMS_MAX (VG_E_LIMIT);
 * malformed input is VG_E_PARSE naming the offset. */
VG_NODISCARD int vg_http_challenges_parse(struct vg_http_challenge **out, size_t *n,
                                          const char *value, size_t len, struct vg_err **err);
void vg_http_challenges_free(struct vg_http_challenge *c, size_t n);
/* Parameter value by (case-insensitive) name, or NULL. */
const char *vg_http_challenge_param(const struct vg_http_challenge *c, const char *name);

/* A parameter to format (borrowed strings). */
struct vg_http_auth_kv {
    const char *name;
    const char *value; /* NULL is the empty string */
};
/* Formats one challenge: `Scheme name="value",name="value"` with every value a quoted-string
 * (`"` and `\` escaped), e.g. `Bearer realm="https://auth/token",service="reg",scope="..."`
 * or `Basic realm="vigil"`. The scheme is written as given (servers use "Bearer", "Basic").
 * The scheme and names must be RFC 9110 tokens and values free of control characters
 * (VG_E_USAGE); the result is at most VG_HTTP_CHALLENGE_BYTES (VG_E_LIMIT). Caller frees. */
VG_NODISCARD int vg_http_challenge_format(char **out, const char *scheme,
                                          const struct vg_http_auth_kv *params, size_t n,
                                          struct vg_err **err);

/* Target of the rel="next" link in a Link header value, or NULL (caller frees). */
char *vg_http_link_next(const char *link_header);
/* Formats `<target>; rel="next"` for a paginated answer (target: usually a path with a query
 * such as "/v2/r/tags/list?n=10&last=b"). A target holding '<', '>', whitespace or control
 * characters is VG_E_USAGE. Caller frees. */
VG_NODISCARD int vg_http_link_next_format(char **out, const char *target, struct vg_err **err);

#endif
