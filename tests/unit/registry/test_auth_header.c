/* SPDX-License-Identifier: Apache-2.0
 *
 * Authorization header parsing: Basic and Bearer, case-insensitive schemes, passwords with
 * ':' and empty passwords, and hostile values (bad base64, no ':', empty user, control
 * characters, other schemes, the size limit at limit and limit + 1).
 */
#include "registry/auth.h"
#include "testutil.h"

static int
parse(struct vg_auth_cred *c, const char *v, struct vg_err **err)
{
    return vg_auth_header_parse(c, v, strlen(v), err);
}

Test(registry_auth_header, basic_user_and_password)
{
    struct vg_auth_cred c = {0};
    struct vg_err *err = NULL;
    /* base64("alice:pa:ss word") */
    TU_ASSERT_OK(parse(&c, "Basic YWxpY2U6cGE6c3Mgd29yZA==", &err), err);
    cr_assert_eq(c.scheme, VG_AUTH_SCHEME_BASIC);
    cr_assert_str_eq(c.user, "alice");
    cr_assert_eq(c.password->len, 10);
    cr_assert_str_eq((const char *)c.password->data, "pa:ss word");
    vg_auth_cred_dispose(&c);
    /* "bob:" — empty password is well-formed (and will simply not match) */
    TU_ASSERT_OK(parse(&c, "  bAsIc   Ym9iOg==  ", &err), err);
    cr_assert_str_eq(c.user, "bob");
    cr_assert_eq(c.password->len, 0);
    vg_auth_cred_dispose(&c);
}

Test(registry_auth_header, bearer_token68)
{
    struct vg_auth_cred c = {0};
    struct vg_err *err = NULL;
    TU_ASSERT_OK(parse(&c, "Bearer eyJh.eyJz-_.c2ln==", &err), err);
    cr_assert_eq(c.scheme, VG_AUTH_SCHEME_BEARER);
    cr_assert_str_eq(c.token, "eyJh.eyJz-_.c2ln==");
    vg_auth_cred_dispose(&c);
}

Test(registry_auth_header, hostile_values)
{
    static const struct {
        const char *v;
        enum vg_errc code;
        const char *msg;
    } cases[] = {
        {"", VG_E_PARSE, "empty"},
        {"Basic", VG_E_PARSE, "not base64"},
        {"Basic !!!!", VG_E_PARSE, "not base64"},
        {"Basic YWxpY2U=", VG_E_PARSE, "':'"},     /* "alice" */
        {"Basic OnB3", VG_E_PARSE, "empty user"},  /* ":pw" */
        {"Basic YQFiOmM=", VG_E_PARSE, "control"}, /* "a\x01b:c" */
        {"Bearer a b", VG_E_PARSE, "token68"},
        {"Bearer =abc", VG_E_PARSE, "token68"},
        {"Digest username=x", VG_E_UNSUPPORTED, "Digest"},
        {"Negotiate\x01", VG_E_UNSUPPORTED, "Negotiate"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        struct vg_auth_cred c = {0};
        struct vg_err *err = NULL;
        cr_assert_lt(parse(&c, cases[i].v, &err), 0, "%s", cases[i].v);
        cr_assert_eq(vg_err_code(err), cases[i].code, "%s: %s", cases[i].v, err->msg);
        cr_assert(strstr(err->msg, cases[i].msg), "%s: %s", cases[i].v, err->msg);
        cr_assert_null(c.user);
        vg_err_free(&err);
    }
}

Test(registry_auth_header, size_limit)
{
    size_t n = VG_AUTH_HEADER_MAX;
    char *v = vg_malloc(n + 2);
    memcpy(v, "Bearer ", 7);
    memset(v + 7, 'a', n + 1 - 7);
    v[n] = '\0'; /* exactly the limit */
    struct vg_auth_cred c = {0};
    struct vg_err *err = NULL;
    TU_ASSERT_OK(parse(&c, v, &err), err);
    vg_auth_cred_dispose(&c);
    v[n] = 'a';
    v[n + 1] = '\0';
    cr_assert_lt(parse(&c, v, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_LIMIT);
    vg_err_free(&err);
    free(v);
}

Test(registry_auth_header, user_length_limit)
{
    char raw[VG_AUTH_USER_MAX + 8];
    memset(raw, 'u', VG_AUTH_USER_MAX + 1);
    raw[VG_AUTH_USER_MAX + 1] = ':';
    raw[VG_AUTH_USER_MAX + 2] = 'p';
    vg_autofree char *b64 = vg_base64_encode(raw, VG_AUTH_USER_MAX + 3);
    vg_autofree char *v = vg_fmt("Basic %s", b64);
    struct vg_auth_cred c = {0};
    struct vg_err *err = NULL;
    cr_assert_lt(parse(&c, v, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_LIMIT);
    vg_err_free(&err);
    vg_autofree char *b64ok = vg_base64_encode(raw + 1, VG_AUTH_USER_MAX + 2);
    vg_autofree char *vok = vg_fmt("Basic %s", b64ok);
    TU_ASSERT_OK(parse(&c, vok, &err), err);
    cr_assert_eq(strlen(c.user), VG_AUTH_USER_MAX);
    vg_auth_cred_dispose(&c);
}
