/* SPDX-License-Identifier: Apache-2.0
 *
 * Header grammars without libcurl: the challenges and Link headers a server formats parse back
 * to what it meant (parse ⇄ format), and the formatters refuse what would inject or not parse.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/httphdr.h"

static char *
format_ok(const char *scheme, const struct vg_http_auth_kv *p, size_t n)
{
    char *s = NULL;
    struct vg_err *err = NULL;
    int rc = vg_http_challenge_format(&s, scheme, p, n, &err);
    cr_assert_eq(rc, 0, "format failed: %s", err ? err->msg : "");
    return s;
}

static enum vg_errc
format_fail(const char *scheme, const struct vg_http_auth_kv *p, size_t n)
{
    char *s = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_http_challenge_format(&s, scheme, p, n, &err), 0);
    cr_assert_null(s);
    enum vg_errc code = err->code;
    vg_err_free(&err);
    return code;
}

/* Formats, parses back and compares every parameter. */
static void
round_trip(const char *scheme, const struct vg_http_auth_kv *p, size_t n, const char *want)
{
    char *s = format_ok(scheme, p, n);
    if (want) {
        cr_assert_str_eq(s, want);
    }
    struct vg_http_challenge *c = NULL;
    size_t nc = 0;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_http_challenges_parse(&c, &nc, s, strlen(s), &err), 0, "[%s]: %s", s,
                 err ? err->msg : "");
    cr_assert_eq(nc, 1);
    cr_assert_eq(strcasecmp(c->scheme, scheme), 0);
    cr_assert_null(c->token68);
    cr_assert_eq(c->nparams, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(c->params[i].name, p[i].name);
        cr_assert_str_eq(c->params[i].value, p[i].value);
        cr_assert_str_eq(vg_http_challenge_param(c, p[i].name), p[i].value);
    }
    vg_http_challenges_free(c, nc);
    free(s);
}

Test(core_httphdr, bearer_challenge_round_trips)
{
    struct vg_http_auth_kv p[] = {
        {"realm", "https://auth.example/token"},
        {"service", "registry.example"},
        {"scope", "repository:a/b:pull,push"},
    };
    round_trip("Bearer", p, 3,
               "Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
               "scope=\"repository:a/b:pull,push\"");
}

Test(core_httphdr, basic_challenge_round_trips)
{
    struct vg_http_auth_kv p[] = {{"realm", "vigil"}, {"charset", "UTF-8"}};
    round_trip("Basic", p, 2, "Basic realm=\"vigil\",charset=\"UTF-8\"");
}

Test(core_httphdr, quotes_backslashes_tabs_and_utf8_round_trip)
{
    struct vg_http_auth_kv p[] = {
        {"realm", "a \"quoted\" \\ value,with=commas"},
        {"error_description", "tab\there, caf\xc3\xa9"},
        {"empty", ""},
    };
    round_trip("Bearer", p, 3, NULL);
    char *s = format_ok("Bearer", p, 1);
    cr_assert_str_eq(s, "Bearer realm=\"a \\\"quoted\\\" \\\\ value,with=commas\"");
    free(s);
}

Test(core_httphdr, scheme_without_params)
{
    round_trip("Negotiate", NULL, 0, "Negotiate");
}

Test(core_httphdr, format_refuses_injection_and_non_tokens)
{
    struct vg_http_auth_kv crlf[] = {{"realm", "x\r\nSet-Cookie: a=b"}};
    cr_assert_eq(format_fail("Bearer", crlf, 1), VG_E_USAGE);
    struct vg_http_auth_kv del[] = {{"realm", "x\x7f"}};
    cr_assert_eq(format_fail("Bearer", del, 1), VG_E_USAGE);
    struct vg_http_auth_kv badname[] = {{"re alm", "x"}};
    cr_assert_eq(format_fail("Bearer", badname, 1), VG_E_USAGE);
    struct vg_http_auth_kv noname[] = {{"", "x"}};
    cr_assert_eq(format_fail("Bearer", noname, 1), VG_E_USAGE);
    cr_assert_eq(format_fail("Bea rer", NULL, 0), VG_E_USAGE);
    cr_assert_eq(format_fail("", NULL, 0), VG_E_USAGE);
    cr_assert_eq(format_fail(NULL, NULL, 0), VG_E_USAGE);
}

Test(core_httphdr, format_limits)
{
    struct vg_http_auth_kv p[VG_HTTP_AUTH_PARAMS_MAX + 1];
    for (size_t i = 0; i < VG_ARRAY_LEN(p); i++) {
        p[i] = (struct vg_http_auth_kv){"p", "v"};
    }
    char *s = format_ok("Bearer", p, VG_HTTP_AUTH_PARAMS_MAX);
    free(s);
    cr_assert_eq(format_fail("Bearer", p, VG_HTTP_AUTH_PARAMS_MAX + 1), VG_E_LIMIT);
    /* A value that makes the header exceed what the parser accepts is refused. */
    char *big = malloc(VG_HTTP_CHALLENGE_BYTES + 1);
    memset(big, 'a', VG_HTTP_CHALLENGE_BYTES);
    big[VG_HTTP_CHALLENGE_BYTES] = '\0';
    struct vg_http_auth_kv huge[] = {{"realm", big}};
    cr_assert_eq(format_fail("Bearer", huge, 1), VG_E_LIMIT);
    free(big);
}

Test(core_httphdr, link_next_round_trips)
{
    const char *targets[] = {"/v2/a/b/tags/list?n=10&last=v1.2",
                             "https://r.example/v2/x/referrers/sha256:ab?n=5&last=c%2Cd",
                             "/v2/_catalog?last=a;b"};
    for (size_t i = 0; i < VG_ARRAY_LEN(targets); i++) {
        char *h = NULL;
        cr_assert_eq(vg_http_link_next_format(&h, targets[i], NULL), 0);
        char *back = vg_http_link_next(h);
        cr_assert_not_null(back, "[%s]", h);
        cr_assert_str_eq(back, targets[i]);
        free(back);
        free(h);
    }
    char *h = NULL;
    cr_assert_eq(vg_http_link_next_format(&h, "/v2/r/tags/list?n=1", NULL), 0);
    cr_assert_str_eq(h, "</v2/r/tags/list?n=1>; rel=\"next\"");
    free(h);
}

Test(core_httphdr, link_format_refuses_brackets_space_and_controls)
{
    const char *bad[] = {"", "/a>b", "/a<b", "/a b", "/a\r\nX: y", "/a\x7f"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        char *h = NULL;
        struct vg_err *err = NULL;
        cr_assert_lt(vg_http_link_next_format(&h, bad[i], &err), 0, "[%s]", bad[i]);
        cr_assert_null(h);
        cr_assert(vg_err_is(err, VG_E_USAGE));
        vg_err_free(&err);
    }
    char *h = NULL;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_http_link_next_format(&h, NULL, &err), 0);
    vg_err_free(&err);
}
