/* SPDX-License-Identifier: Apache-2.0
 *
 * Tokens: scope strings (last ':' splits, resource classes, unknown actions, limits), the
 * libtrust kid, sign → verify round trips, and every refusal: another algorithm ("none",
 * HS256), another kid, a flipped signature byte, wrong iss/aud, exp/nbf at the 60 s leeway
 * edges, malformed parts. A token signed with Python's `cryptography` would be the
 * independent check; here the RFC 7515 vector in crypto's tests covers ES256 itself.
 */
#include "registry/auth.h"
#include "testutil.h"

static void
signer(struct vg_auth_signer *s)
{
    struct vg_err *err = NULL;
    struct vg_crypto_key *k = NULL;
    TU_ASSERT_OK(vg_crypto_key_generate(&k, &err), err);
    TU_ASSERT_OK(vg_auth_signer_init(s, k, &err), err);
}

Test(registry_auth_jwt, scope_grammar)
{
    struct vg_auth_access *v = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_auth_scope_parse(&v, &n,
                                     "repository:team/app:pull,push "
                                     "repository(plugin):localhost:5000/x:pull,bogus "
                                     "registry:catalog:* repository:a:*",
                                     &err),
                 err);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(v[0].type, "repository");
    cr_assert_str_eq(v[0].name, "team/app");
    cr_assert_eq(v[0].actions, VG_AUTH_PULL | VG_AUTH_PUSH);
    cr_assert_str_eq(v[1].type, "repository");
    cr_assert_str_eq(v[1].name, "localhost:5000/x");
    /* "HOST/NAME" may be a notary GUN: the parser keeps its actions and the token service
     * grants them only when HOST is its own service (registry_auth::token_flow) */
    cr_assert_eq(v[1].actions, VG_AUTH_PULL);
    cr_assert_eq(v[2].actions, VG_AUTH_CATALOG);
    cr_assert_eq(v[3].actions, VG_AUTH_REPO_ALL);
    vg_auth_access_free(v, n);
}

Test(registry_auth_jwt, scope_invalid_names_get_nothing)
{
    struct vg_auth_access *v = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(
        vg_auth_scope_parse(&v, &n, "repository:UPPER:pull repository:x/UPPER:pull,push", &err),
        err);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[0].actions | v[1].actions, 0);
    vg_auth_access_free(v, n);
}

Test(registry_auth_jwt, scope_refusals)
{
    static const char *bad[] = {"repository", "repository:x", "a:b:pull repository"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        struct vg_auth_access *v = NULL;
        size_t n = 0;
        struct vg_err *err = NULL;
        cr_assert_lt(vg_auth_scope_parse(&v, &n, bad[i], &err), 0, "%s", bad[i]);
        vg_err_free(&err);
        vg_auth_access_free(v, n);
    }
    struct vg_auth_access *v = NULL;
    size_t n = 0;
    struct vg_err *err = NULL;
    vg_autobuf struct vg_buf b = VG_BUF_INIT(1u << 20);
    for (unsigned i = 0; i <= VG_AUTH_SCOPES_MAX; i++) {
        TU_ASSERT_OK(vg_buf_appendf(&b, &err, "repository:r%u:pull ", i), err);
    }
    cr_assert_lt(vg_auth_scope_parse(&v, &n, vg_buf_cstr(&b), &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_LIMIT);
    cr_assert_eq(n, VG_AUTH_SCOPES_MAX);
    vg_err_free(&err);
    vg_auth_access_free(v, n);
}

Test(registry_auth_jwt, kid_is_libtrust_shaped)
{
    struct vg_auth_signer s;
    signer(&s);
    cr_assert_eq(strlen(s.kid), 59);
    for (size_t i = 0; i < 59; i++) {
        char c = s.kid[i];
        if (i % 5 == 4) {
            cr_assert_eq(c, ':');
        } else {
            cr_assert((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'), "%s", s.kid);
        }
    }
    vg_auth_signer_dispose(&s);
}

static char *
make(const struct vg_auth_signer *s, int64_t now, const char *iss, const char *aud)
{
    char type[] = "repository", name[] = "team/app", sub[] = "alice", jti[] = "j1";
    struct vg_auth_access acc[] = {{type, name, VG_AUTH_PULL | VG_AUTH_PUSH}};
    struct vg_auth_claims c = {.iss = (char *)(uintptr_t)iss,
                               .sub = sub,
                               .aud = (char *)(uintptr_t)aud,
                               .jti = jti,
                               .iat = now,
                               .nbf = now,
                               .exp = now + 300,
                               .access = acc,
                               .naccess = 1};
    char *tok = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_auth_jwt_sign(&tok, s, &c, &err), err);
    return tok;
}

static int
verify(const struct vg_auth_signer *s, const char *tok, int64_t now, struct vg_err **err)
{
    struct vg_auth_claims c = {0};
    int rc = vg_auth_jwt_verify(&c, s, tok, strlen(tok), "iss", "svc", now, err);
    vg_auth_claims_dispose(&c);
    return rc;
}

Test(registry_auth_jwt, roundtrip_and_time_window)
{
    struct vg_auth_signer s;
    signer(&s);
    int64_t t = 1700000000;
    vg_autofree char *tok = make(&s, t, "iss", "svc");
    struct vg_auth_claims c = {0};
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_auth_jwt_verify(&c, &s, tok, strlen(tok), "iss", "svc", t, &err), err);
    cr_assert_str_eq(c.sub, "alice");
    cr_assert_eq(c.naccess, 1);
    cr_assert_str_eq(c.access[0].name, "team/app");
    cr_assert_eq(c.access[0].actions, VG_AUTH_PULL | VG_AUTH_PUSH);
    vg_auth_claims_dispose(&c);
    /* 60 s leeway on both ends */
    TU_ASSERT_OK(verify(&s, tok, t + 300 + 59, &err), err);
    cr_assert_lt(verify(&s, tok, t + 300 + 60, &err), 0);
    cr_assert(strstr(err->msg, "expired"));
    vg_err_free(&err);
    TU_ASSERT_OK(verify(&s, tok, t - 60, &err), err);
    cr_assert_lt(verify(&s, tok, t - 61, &err), 0);
    cr_assert(strstr(err->msg, "not valid yet"));
    vg_err_free(&err);
    vg_auth_signer_dispose(&s);
}

Test(registry_auth_jwt, refusals)
{
    struct vg_auth_signer s, other;
    signer(&s);
    signer(&other);
    int64_t t = 1700000000;
    struct vg_err *err = NULL;
    vg_autofree char *wrong_iss = make(&s, t, "evil", "svc");
    cr_assert_lt(verify(&s, wrong_iss, t, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_AUTH);
    vg_err_free(&err);
    vg_autofree char *wrong_aud = make(&s, t, "iss", "other");
    cr_assert_lt(verify(&s, wrong_aud, t, &err), 0);
    vg_err_free(&err);
    vg_autofree char *foreign = make(&other, t, "iss", "svc");
    cr_assert_lt(verify(&s, foreign, t, &err), 0);
    cr_assert(strstr(err->msg, "unknown key"), "%s", err->msg);
    vg_err_free(&err);

    vg_autofree char *tok = make(&s, t, "iss", "svc");
    char *dot = strrchr(tok, '.');
    /* flip a signature character */
    vg_autofree char *flipped = vg_strdup(tok);
    flipped[dot - tok + 5] = flipped[dot - tok + 5] == 'A' ? 'B' : 'A';
    cr_assert_lt(verify(&s, flipped, t, &err), 0);
    vg_err_free(&err);

    /* alg none / HS256 with the same claims: refused before any signature check */
    const char *claims = strchr(tok, '.') + 1;
    static const char *hdrs[] = {"{\"alg\":\"none\",\"typ\":\"JWT\"}",
                                 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"typ\":\"JWT\"}"};
    for (size_t i = 0; i < VG_ARRAY_LEN(hdrs); i++) {
        vg_autofree char *h = vg_base64_encode(hdrs[i], strlen(hdrs[i]));
        for (char *p = h; *p; p++) {
            *p = *p == '+' ? '-' : *p == '/' ? '_' : *p == '=' ? '\0' : *p;
        }
        vg_autofree char *forged =
            vg_fmt("%s.%.*s.%s", h, (int)(dot - claims), claims, i == 0 ? "" : "c2ln");
        cr_assert_lt(verify(&s, forged, t, &err), 0, "%s", hdrs[i]);
        vg_err_free(&err);
    }
    static const char *junk[] = {"", "a", "a.b", "a.b.c.d", "....", "e30.e30.", "e30.e30.c2ln"};
    for (size_t i = 0; i < VG_ARRAY_LEN(junk); i++) {
        cr_assert_lt(verify(&s, junk[i], t, &err), 0, "%s", junk[i]);
        vg_err_free(&err);
    }
    vg_auth_signer_dispose(&s);
    vg_auth_signer_dispose(&other);
}

Test(registry_auth_jwt, signer_key_file_generated_0600_and_reused)
{
    vg_autofree char *dir = tu_tmpdir();
    vg_autofree char *path = vg_fmt("%s/auth/token-key.pem", dir);
    struct vg_auth_signer a, b;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_auth_signer_load(&a, path, true, &err), err);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    TU_ASSERT_OK(vg_auth_signer_load(&b, path, true, &err), err);
    cr_assert_str_eq(a.kid, b.kid);
    vg_auth_signer_dispose(&a);
    vg_auth_signer_dispose(&b);
    cr_assert_lt(vg_auth_signer_load(&a, "/nonexistent/key.pem", false, &err), 0);
    vg_err_free(&err);
}
