/* SPDX-License-Identifier: Apache-2.0
 *
 * WWW-Authenticate challenge parsing and token-response parsing, including hostile input.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "net/net.h"

static struct vg_http_challenge *
parse_ok(const char *s, size_t *n)
{
    struct vg_http_challenge *c = NULL;
    struct vg_err *err = NULL;
    int rc = vg_http_challenges_parse(&c, n, s, strlen(s), &err);
    cr_assert_eq(rc, 0, "parse of [%s] failed: %s", s, err ? err->msg : "");
    return c;
}

static enum vg_errc
parse_fail(const char *s, size_t len)
{
    struct vg_http_challenge *c = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    int rc = vg_http_challenges_parse(&c, &n, s, len, &err);
    cr_assert_lt(rc, 0, "parse of [%.*s] should fail", (int)len, s);
    cr_assert_null(c);
    enum vg_errc code = err->code;
    vg_err_free(&err);
    return code;
}

Test(net_auth, bearer_docker_hub)
{
    size_t n;
    struct vg_http_challenge *c =
        parse_ok("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                 "scope=\"repository:library/nginx:pull\"",
                 &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(c[0].scheme, "bearer");
    cr_assert_eq(c[0].nparams, 3);
    cr_assert_str_eq(vg_http_challenge_param(&c[0], "realm"), "https://auth.docker.io/token");
    cr_assert_str_eq(vg_http_challenge_param(&c[0], "SERVICE"), "registry.docker.io");
    cr_assert_str_eq(vg_http_challenge_param(&c[0], "scope"), "repository:library/nginx:pull");
    vg_http_challenges_free(c, n);
}

Test(net_auth, basic_with_unquoted_realm_and_spaces)
{
    size_t n;
    struct vg_http_challenge *c = parse_ok("  BASIC   realm = Registry , charset=\"UTF-8\"", &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(c[0].scheme, "basic");
    cr_assert_str_eq(vg_http_challenge_param(&c[0], "realm"), "Registry");
    cr_assert_str_eq(vg_http_challenge_param(&c[0], "charset"), "UTF-8");
    vg_http_challenges_free(c, n);
}

Test(net_auth, quoted_escapes_and_commas_inside_quotes)
{
    size_t n;
    struct vg_http_challenge *c =
        parse_ok("Bearer realm=\"a\\\"b,c\\\\d\",scope=\"repository:x:pull,push\"", &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(vg_http_challenge_param(&c[0], "realm"), "a\"b,c\\d");
    cr_assert_str_eq(vg_http_challenge_param(&c[0], "scope"), "repository:x:pull,push");
    vg_http_challenges_free(c, n);
}

Test(net_auth, multiple_challenges)
{
    size_t n;
    struct vg_http_challenge *c =
        parse_ok("Basic realm=\"r1\", Bearer realm=\"https://t/x\", service=s, Negotiate, "
                 "NTLM abc+/de==",
                 &n);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(c[0].scheme, "basic");
    cr_assert_str_eq(vg_http_challenge_param(&c[0], "realm"), "r1");
    cr_assert_str_eq(c[1].scheme, "bearer");
    cr_assert_eq(c[1].nparams, 2);
    cr_assert_str_eq(vg_http_challenge_param(&c[1], "service"), "s");
    cr_assert_str_eq(c[2].scheme, "negotiate");
    cr_assert_eq(c[2].nparams, 0);
    cr_assert_str_eq(c[3].scheme, "ntlm");
    cr_assert_str_eq(c[3].token68, "abc+/de==");
    vg_http_challenges_free(c, n);
}

Test(net_auth, token68_with_padding_is_not_a_param)
{
    size_t n;
    struct vg_http_challenge *c = parse_ok("Custom YWJj=", &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(c[0].token68, "YWJj=");
    cr_assert_eq(c[0].nparams, 0);
    vg_http_challenges_free(c, n);
}

Test(net_auth, empty_quoted_value)
{
    size_t n;
    struct vg_http_challenge *c = parse_ok("Bearer realm=\"\"", &n);
    cr_assert_str_eq(vg_http_challenge_param(&c[0], "realm"), "");
    vg_http_challenges_free(c, n);
}

Test(net_auth, rejects_malformed)
{
    cr_assert_eq(parse_fail("", 0), VG_E_PARSE);
    cr_assert_eq(parse_fail(" , ,", 4), VG_E_PARSE);
    cr_assert_eq(parse_fail("Bearer realm=\"unterminated", 25), VG_E_PARSE);
    cr_assert_eq(parse_fail("Bearer realm=\"x\\", 16), VG_E_PARSE);
    cr_assert_eq(parse_fail("Bearer realm=\"a\nb\"", 18), VG_E_PARSE);
    cr_assert_eq(parse_fail("Bearer realm=x realm2=y", 23), VG_E_PARSE);
    cr_assert_eq(parse_fail("Bearer realm=a, realm=b", 23), VG_E_PARSE);
    cr_assert_eq(parse_fail("\"Bearer\"", 8), VG_E_PARSE);
    cr_assert_eq(parse_fail("Bearer realm=\"a\0b\"", 18), VG_E_PARSE);
    cr_assert_eq(parse_fail("Be@rer realm=x", 14), VG_E_PARSE);
}

Test(net_auth, limits)
{
    /* VG_HTTP_CHALLENGES_MAX challenges parse, one more is VG_E_LIMIT. */
    char buf[4096] = "";
    size_t len = 0;
    for (unsigned i = 0; i < VG_HTTP_CHALLENGES_MAX; i++) {
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "S%u, ", i);
    }
    size_t n;
    struct vg_http_challenge *c = parse_ok(buf, &n);
    cr_assert_eq(n, VG_HTTP_CHALLENGES_MAX);
    vg_http_challenges_free(c, n);
    len += (size_t)snprintf(buf + len, sizeof(buf) - len, "Extra");
    cr_assert_eq(parse_fail(buf, len), VG_E_LIMIT);

    len = (size_t)snprintf(buf, sizeof(buf), "Bearer ");
    for (unsigned i = 0; i < VG_HTTP_AUTH_PARAMS_MAX; i++) {
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "p%u=v,", i);
    }
    c = parse_ok(buf, &n);
    cr_assert_eq(c[0].nparams, VG_HTTP_AUTH_PARAMS_MAX);
    vg_http_challenges_free(c, n);
    len += (size_t)snprintf(buf + len, sizeof(buf) - len, "extra=1");
    cr_assert_eq(parse_fail(buf, len), VG_E_LIMIT);

    char *big = malloc(VG_HTTP_CHALLENGE_BYTES + 2);
    memset(big, 'a', VG_HTTP_CHALLENGE_BYTES + 1);
    big[VG_HTTP_CHALLENGE_BYTES + 1] = '\0';
    cr_assert_eq(parse_fail(big, VG_HTTP_CHALLENGE_BYTES + 1), VG_E_LIMIT);
    c = parse_ok(big + 1, &n); /* exactly at the limit: one scheme */
    cr_assert_eq(n, 1);
    vg_http_challenges_free(c, n);
    free(big);
}

/* ---------------------------------------------------------------- tokens */

static int
tok(const char *json, struct vg_http_token *t, enum vg_errc *code)
{
    struct vg_err *err = NULL;
    int rc = vg_http_token_parse(t, json, strlen(json), &err);
    if (rc < 0) {
        *code = err->code;
        vg_err_free(&err);
    }
    return rc;
}

Test(net_auth, token_forms)
{
    struct vg_http_token t;
    enum vg_errc code;
    cr_assert_eq(tok("{\"token\":\"abc.def\",\"expires_in\":300}", &t, &code), 0);
    cr_assert_str_eq(t.token, "abc.def");
    cr_assert_eq(t.expires_in, 300);
    cr_assert_null(t.refresh_token);
    vg_http_token_dispose(&t);

    cr_assert_eq(tok("{\"access_token\":\"xyz\",\"refresh_token\":\"r1\"}", &t, &code), 0);
    cr_assert_str_eq(t.token, "xyz");
    cr_assert_str_eq(t.refresh_token, "r1");
    cr_assert_eq(t.expires_in, 60);
    vg_http_token_dispose(&t);

    cr_assert_eq(tok("{\"token\":\"\",\"access_token\":\"fallback\"}", &t, &code), 0);
    cr_assert_str_eq(t.token, "fallback");
    vg_http_token_dispose(&t);
}

Test(net_auth, token_hostile)
{
    struct vg_http_token t;
    enum vg_errc code;
    const char *bad[] = {
        "",
        "[]",
        "{}",
        "{\"token\":1}",
        "{\"token\":\"\"}",
        "{\"token\":\"a\\r\\nX-Evil: 1\"}",
        "{\"token\":\"a b\"}",
        "{\"token\":\"a\",\"expires_in\":-1}",
        "{\"token\":\"a\",\"expires_in\":\"60\"}",
        "{\"token\":\"a\",\"token\":\"b\"}",
        "{\"token\":\"a\",\"refresh_token\":\"x\\n\"}",
        "{\"token\":\"a\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        code = 0;
        cr_assert_lt(tok(bad[i], &t, &code), 0, "accepted %s", bad[i]);
        cr_assert_eq(code, VG_E_PARSE, "%s: code %d", bad[i], code);
    }
}

Test(net_auth, token_size_limit)
{
    size_t len = VG_LIMIT_TOKEN_BYTES + 1;
    char *big = malloc(len + 1);
    memset(big, ' ', len);
    memcpy(big, "{\"token\":\"a\"}", 13);
    big[len] = '\0';
    struct vg_http_token t;
    struct vg_err *err = NULL;
    cr_assert_lt(vg_http_token_parse(&t, big, len, &err), 0);
    cr_assert_eq(err->code, VG_E_LIMIT);
    vg_err_free(&err);
    cr_assert_eq(vg_http_token_parse(&t, big, len - 1, &err), 0);
    vg_http_token_dispose(&t);
    free(big);
}

Test(net_auth, refresh_form_escapes_every_value)
{
    char *f = vg_http_token_refresh_form("reg.example:5000", "repository:reg.example:5000/a:pull",
                                         "t+o/k=e&n ");
    cr_assert_str_eq(f, "grant_type=refresh_token&client_id=vigil&service=reg.example%3A5000"
                        "&scope=repository%3Areg.example%3A5000%2Fa%3Apull"
                        "&refresh_token=t%2Bo%2Fk%3De%26n%20");
    vg_http_secret_free(f);
    f = vg_http_token_refresh_form(NULL, "s", "r");
    cr_assert_str_eq(f,
                     "grant_type=refresh_token&client_id=vigil&service=&scope=s&refresh_token=r");
    vg_http_secret_free(f);
}
