/* SPDX-License-Identifier: Apache-2.0
 *
 * The authorizer and the token service end to end in-process: htpasswd Basic (401 vs 403),
 * anonymous pull rules, robots refused on Basic, the token flow (grant = requested ∩ rules,
 * anonymous tokens, push TTL), Bearer checks with insufficient_scope challenges, mounts,
 * catalog, immutable tags, and the open mode; the OAuth2 POST form (password and
 * refresh_token grants, refresh tokens that are never access tokens).
 */
#include "registry/auth.h"

#include <time.h>
#include "registry/authz.h"
#include "testutil.h"

struct fx {
    char *dir;
    struct vg_registry_auth *a;
};

static char *
basic(const char *user, const char *pw)
{
    vg_autofree char *raw = vg_fmt("%s:%s", user, pw);
    vg_autofree char *b = vg_base64_encode(raw, strlen(raw));
    return vg_fmt("Basic %s", b);
}

static void
setup(struct fx *f, bool token)
{
    f->dir = tu_tmpdir();
    vg_autofree char *ht = vg_fmt("%s/htpasswd", f->dir);
    vg_autofree char *ci = tu_htpasswd_line("ci", "ci-pw");
    vg_autofree char *dana = tu_htpasswd_line("dana", "dana-pw");
    vg_autofree char *robot = tu_htpasswd_line("x", "robot-pw");
    vg_autofree char *text = vg_fmt("%s\n%s\n", ci, dana);
    tu_write(ht, text);
    vg_autofree char *yaml =
        vg_fmt("auth:\n"
               "  htpasswd: %s\n"
               "%s"
               "access:\n"
               "  - {repos: [\"prod/**\"], users: [ci], actions: [pull, push]}\n"
               "  - {repos: [\"prod/**\"], users: [dana], actions: [pull]}\n"
               "  - {repos: [\"**\"], users: [dana], actions: [catalog]}\n"
               "  - {repos: [\"public/**\"], anonymous: [pull]}\n"
               "immutable: [\"prod/**\"]\n",
               ht,
               token ? vg_fmt("  token: {service: reg, issuer: iss}\n"
                              "  robots:\n"
                              "    - {name: robot-ci, password-hash: \"%s\", repos: [\"prod/app\"],"
                              " actions: [pull, push], expires: 2030-01-01}\n"
                              "    - {name: robot-old, password-hash: \"%s\", repos: [\"**\"],"
                              " actions: [pull], expires: 2020-01-01}\n",
                              strchr(robot, ':') + 1, strchr(robot, ':') + 1)
                     : "");
    struct vg_config_doc *doc = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_config_load_buf(&doc, "reg.yaml", yaml, strlen(yaml), NULL, &err), err);
    const struct vg_config_node *root = vg_config_doc_root(doc, 0);
    struct vg_auth_config c;
    TU_ASSERT_OK(vg_auth_config_parse(&c, vg_config_map_get(root, "auth"),
                                      vg_config_map_get(root, "access"),
                                      vg_config_map_get(root, "immutable"), &err),
                 err);
    vg_config_doc_free(doc);
    struct vg_registry_auth_opts o = {.root = f->dir, .default_realm = "http://127.0.0.1:1/token"};
    TU_ASSERT_OK(vg_registry_auth_new(&f->a, &c, &o, &err), err);
}

static void
teardown(struct fx *f)
{
    vg_registry_auth_free(f->a);
    free(f->dir);
}

static enum vg_registry_auth_verdict
decide(struct fx *f, const char *authz, const char *repo, unsigned actions,
       struct vg_registry_auth_result *r)
{
    struct vg_registry_auth_req q = {.authorization = authz, .repo = repo, .actions = actions};
    vg_registry_auth_check(f->a, &q, r);
    return r->verdict;
}

Test(registry_auth, htpasswd_basic_401_vs_403)
{
    struct fx f;
    setup(&f, false);
    cr_assert_str_eq(vg_registry_auth_mode(f.a), "htpasswd");
    struct vg_registry_auth_result r;
    vg_autofree char *ci = basic("ci", "ci-pw");
    vg_autofree char *bad = basic("ci", "nope");
    vg_autofree char *dana = basic("dana", "dana-pw");

    cr_assert_eq(decide(&f, NULL, NULL, 0, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    cr_assert_str_eq(r.challenge, "Basic realm=\"vigil-registry\"");
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, ci, NULL, 0, &r), VG_REGISTRY_AUTH_ALLOW);
    cr_assert_str_eq(r.subject, "ci");
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, ci, "prod/app", VG_AUTH_PUSH, &r), VG_REGISTRY_AUTH_ALLOW);
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, bad, "prod/app", VG_AUTH_PULL, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    cr_assert_str_eq(r.message, "authentication required");
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, dana, "prod/app", VG_AUTH_PUSH, &r), VG_REGISTRY_AUTH_DENIED);
    cr_assert(strstr(r.message, "dana may not push prod/app"), "%s", r.message);
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, ci, "prod/app", VG_AUTH_DELETE, &r), VG_REGISTRY_AUTH_DENIED);
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, "Basic %%%", "prod/app", VG_AUTH_PULL, &r),
                 VG_REGISTRY_AUTH_UNAUTHORIZED);
    cr_assert(strstr(r.message, "invalid Authorization header"));
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, "Bearer abc", "prod/app", VG_AUTH_PULL, &r),
                 VG_REGISTRY_AUTH_UNAUTHORIZED);
    vg_registry_auth_result_dispose(&r);
    /* anonymous pull rule, and nothing more */
    cr_assert_eq(decide(&f, NULL, "public/lib", VG_AUTH_PULL, &r), VG_REGISTRY_AUTH_ALLOW);
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, NULL, "public/lib", VG_AUTH_PUSH, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, NULL, "prod/app", VG_AUTH_PULL, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    vg_registry_auth_result_dispose(&r);
    /* catalog */
    cr_assert_eq(decide(&f, dana, NULL, VG_AUTH_CATALOG, &r), VG_REGISTRY_AUTH_ALLOW);
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, ci, NULL, VG_AUTH_CATALOG, &r), VG_REGISTRY_AUTH_DENIED);
    vg_registry_auth_result_dispose(&r);
    /* mount needs pull on the source */
    struct vg_registry_auth_req q = {
        .authorization = ci, .repo = "prod/b", .actions = VG_AUTH_PUSH, .mount_from = "dev/a"};
    vg_registry_auth_check(f.a, &q, &r);
    cr_assert_eq(r.verdict, VG_REGISTRY_AUTH_DENIED);
    vg_registry_auth_result_dispose(&r);
    q.mount_from = "prod/a";
    vg_registry_auth_check(f.a, &q, &r);
    cr_assert_eq(r.verdict, VG_REGISTRY_AUTH_ALLOW);
    vg_registry_auth_result_dispose(&r);
    teardown(&f);
}

Test(registry_auth, immutable_tags)
{
    struct fx f;
    setup(&f, false);
    vg_autofree char *ci = basic("ci", "ci-pw");
    struct vg_registry_auth_req q = {.authorization = ci,
                                     .repo = "prod/app",
                                     .actions = VG_AUTH_PUSH,
                                     .tag = "v1",
                                     .tag_exists = false};
    struct vg_registry_auth_result r;
    vg_registry_auth_check(f.a, &q, &r);
    cr_assert_eq(r.verdict, VG_REGISTRY_AUTH_ALLOW, "a new tag");
    vg_registry_auth_result_dispose(&r);
    q.tag_exists = true;
    vg_registry_auth_check(f.a, &q, &r);
    cr_assert_eq(r.verdict, VG_REGISTRY_AUTH_DENIED);
    cr_assert(strstr(r.message, "tag v1 of prod/app is immutable"), "%s", r.message);
    vg_registry_auth_result_dispose(&r);
    q.tag_same = true;
    vg_registry_auth_check(f.a, &q, &r);
    cr_assert_eq(r.verdict, VG_REGISTRY_AUTH_ALLOW, "an identical re-push");
    vg_registry_auth_result_dispose(&r);
    q.tag_same = false;
    q.tag = "sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.sig";
    vg_registry_auth_check(f.a, &q, &r);
    cr_assert_eq(r.verdict, VG_REGISTRY_AUTH_ALLOW, "cosign signature tags stay mutable");
    vg_registry_auth_result_dispose(&r);
    teardown(&f);
}

static char *
get_token(struct fx *f, const char *query, const char *authz, int64_t now, int want_status)
{
    struct vg_registry_auth_token_resp t;
    vg_registry_auth_token(f->a, query, authz, now, &t);
    cr_assert_eq(t.status, want_status, "%s: %d %s", query, t.status, t.message);
    char *tok = NULL;
    if (t.status == 200) {
        json_t *j = NULL;
        struct vg_err *err = NULL;
        TU_ASSERT_OK(vg_json_parse(&j, t.body, strlen(t.body), 1u << 20, "token", &err), err);
        cr_assert_str_eq(vg_json_str(j, "token"), vg_json_str(j, "access_token"));
        cr_assert_not_null(vg_json_str(j, "issued_at"));
        cr_assert(json_is_integer(json_object_get(j, "expires_in")));
        tok = vg_fmt("Bearer %s", vg_json_str(j, "token"));
        json_decref(j);
    }
    vg_registry_auth_token_resp_dispose(&t);
    return tok;
}

Test(registry_auth, token_flow)
{
    struct fx f;
    setup(&f, true);
    cr_assert_str_eq(vg_registry_auth_mode(f.a), "token");
    int64_t now = vg_now_unix();
    vg_autofree char *ci = basic("ci", "ci-pw");
    vg_autofree char *dana = basic("dana", "dana-pw");
    struct vg_registry_auth_result r;

    /* the /v2/ challenge has no scope; a repository's has one */
    cr_assert_eq(decide(&f, NULL, NULL, 0, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    cr_assert_str_eq(r.challenge, "Bearer realm=\"http://127.0.0.1:1/token\",service=\"reg\"");
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, NULL, "prod/app", VG_AUTH_PUSH, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    cr_assert_str_eq(r.challenge, "Bearer realm=\"http://127.0.0.1:1/token\",service=\"reg\","
                                  "scope=\"repository:prod/app:pull,push\"");
    vg_registry_auth_result_dispose(&r);

    /* ci asks pull,push on prod/app (as skopeo does, with account=) and gets both */
    vg_autofree char *t1 = get_token(
        &f, "account=ci&scope=repository%3Aprod%2Fapp%3Apull%2Cpush&service=reg", ci, now, 200);
    cr_assert_eq(decide(&f, t1, "prod/app", VG_AUTH_PUSH, &r), VG_REGISTRY_AUTH_ALLOW, "%s",
                 r.message);
    cr_assert_str_eq(r.subject, "ci");
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, t1, NULL, 0, &r), VG_REGISTRY_AUTH_ALLOW);
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, t1, "prod/other", VG_AUTH_PULL, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    cr_assert(strstr(r.challenge, "error=\"insufficient_scope\""), "%s", r.challenge);
    vg_registry_auth_result_dispose(&r);

    /* dana asks pull,push but is granted pull only: the token is issued, push is refused */
    vg_autofree char *t2 =
        get_token(&f, "scope=repository:prod/app:pull,push&service=reg", dana, now, 200);
    cr_assert_eq(decide(&f, t2, "prod/app", VG_AUTH_PULL, &r), VG_REGISTRY_AUTH_ALLOW);
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, t2, "prod/app", VG_AUTH_PUSH, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    cr_assert_str_eq(r.challenge,
                     "Bearer realm=\"http://127.0.0.1:1/token\",service=\"reg\","
                     "scope=\"repository:prod/app:pull,push\",error=\"insufficient_scope\"");
    vg_registry_auth_result_dispose(&r);

    /* anonymous tokens carry the anonymous grant only */
    vg_autofree char *t3 = get_token(
        &f, "scope=repository:public/x:pull,push&scope=repository:prod/app:pull", NULL, now, 200);
    cr_assert_eq(decide(&f, t3, "public/x", VG_AUTH_PULL, &r), VG_REGISTRY_AUTH_ALLOW);
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, t3, "public/x", VG_AUTH_PUSH, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, t3, "prod/app", VG_AUTH_PULL, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    vg_registry_auth_result_dispose(&r);

    /* expired tokens: invalid_token */
    r = (struct vg_registry_auth_result){0};
    struct vg_registry_auth_req q = {.authorization = t1,
                                     .repo = "prod/app",
                                     .actions = VG_AUTH_PULL,
                                     .now = now + 15 * 60 + 61};
    vg_registry_auth_check(f.a, &q, &r);
    cr_assert_eq(r.verdict, VG_REGISTRY_AUTH_UNAUTHORIZED);
    cr_assert(strstr(r.challenge, "error=\"invalid_token\""));
    cr_assert(strstr(r.message, "expired"), "%s", r.message);
    vg_registry_auth_result_dispose(&r);

    /* a host-prefixed scope (a notary GUN) is granted only under this service's own name:
     * another host's prefix, an invalid name after it, or an upper-case name get nothing */
    vg_autofree char *t4 = get_token(&f,
                                     "scope=repository:other:5000/prod/app:pull,push"
                                     "&scope=repository:../prod/app:pull"
                                     "&scope=repository:UPPER/prod/app:pull&service=reg",
                                     ci, now, 200);
    cr_assert_eq(decide(&f, t4, "prod/app", VG_AUTH_PULL, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, t4, "other:5000/prod/app", VG_AUTH_PULL, &r),
                 VG_REGISTRY_AUTH_UNAUTHORIZED);
    vg_registry_auth_result_dispose(&r);

    /* wrong password, other service, malformed scope, bearer at the token endpoint */
    vg_autofree char *bad = basic("ci", "x");
    get_token(&f, "scope=repository:prod/app:pull", bad, now, 401);
    get_token(&f, "service=other&scope=repository:prod/app:pull", ci, now, 400);
    get_token(&f, "scope=repository:prod", ci, now, 400);
    get_token(&f, "scope=repository:prod/app:pull", t1, now, 401);
    teardown(&f);
}

/* POST /token: the JSON answer (200) or the RFC 6749 error code. */
static json_t *
post_token(struct fx *f, const char *form, int64_t now, int want_status, const char *want_code)
{
    struct vg_registry_auth_token_resp t;
    vg_registry_auth_token_post(f->a, form, strlen(form), now, &t);
    cr_assert_eq(t.status, want_status, "%s: %d %s", form, t.status,
                 t.message ? t.message : t.body);
    json_t *j = NULL;
    if (want_status == 200) {
        struct vg_err *err = NULL;
        TU_ASSERT_OK(vg_json_parse(&j, t.body, strlen(t.body), 1u << 20, "token", &err), err);
        cr_assert_str_eq(vg_json_str(j, "token"), vg_json_str(j, "access_token"));
    } else if (want_code) {
        cr_assert_str_eq(t.oauth_code, want_code, "%s: %s", form, t.message);
    }
    vg_registry_auth_token_resp_dispose(&t);
    return j;
}

Test(registry_auth, token_post_password_and_refresh_grants)
{
    struct fx f;
    setup(&f, true);
    int64_t now = vg_now_unix();
    struct vg_registry_auth_result r;

    /* docker login: password grant, offline access; '+' is a space in the form */
    json_t *j = post_token(&f,
                           "grant_type=password&service=reg&client_id=docker&access_type=offline"
                           "&username=ci&password=ci-pw&scope=repository%3Aprod%2Fapp%3Apull%2Cpush"
                           "+repository:prod/b:pull+registry:catalog:*",
                           now, 200, NULL);
    cr_assert_str_eq(vg_json_str(j, "scope"),
                     "repository:prod/app:pull,push repository:prod/b:pull");
    cr_assert_eq(json_integer_value(json_object_get(j, "expires_in")), 15 * 60);
    vg_autofree char *access = vg_fmt("Bearer %s", vg_json_str(j, "access_token"));
    vg_autofree char *refresh = vg_strdup(vg_json_str(j, "refresh_token"));
    cr_assert(refresh && *refresh);
    json_decref(j);
    cr_assert_eq(decide(&f, access, "prod/app", VG_AUTH_PUSH, &r), VG_REGISTRY_AUTH_ALLOW);
    cr_assert_str_eq(r.subject, "ci");
    vg_registry_auth_result_dispose(&r);

    /* a refresh token is never an access token, and an access token never a refresh token */
    vg_autofree char *as_bearer = vg_fmt("Bearer %s", refresh);
    cr_assert_eq(decide(&f, as_bearer, NULL, 0, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    cr_assert(strstr(r.challenge, "error=\"invalid_token\""));
    vg_registry_auth_result_dispose(&r);
    vg_autofree char *wrong_grant =
        vg_fmt("grant_type=refresh_token&service=reg&client_id=c&refresh_token=%s",
               access + strlen("Bearer "));
    post_token(&f, wrong_grant, now, 401, "invalid_grant");

    /* the refresh grant: new scopes for the same subject, cut to the rules */
    vg_autofree char *rf = vg_fmt("grant_type=refresh_token&service=reg&client_id=containerd"
                                  "&refresh_token=%s&scope=repository:prod/c:pull,push",
                                  refresh);
    j = post_token(&f, rf, now + 3600, 200, NULL);
    cr_assert_null(json_object_get(j, "refresh_token"), "no access_type=offline: no new one");
    vg_autofree char *t2 = vg_fmt("Bearer %s", vg_json_str(j, "access_token"));
    json_decref(j);
    r = (struct vg_registry_auth_result){0};
    struct vg_registry_auth_req q = {
        .authorization = t2, .repo = "prod/c", .actions = VG_AUTH_PUSH, .now = now + 3600};
    vg_registry_auth_check(f.a, &q, &r);
    cr_assert_eq(r.verdict, VG_REGISTRY_AUTH_ALLOW, "%s", r.message);
    cr_assert_str_eq(r.subject, "ci");
    vg_registry_auth_result_dispose(&r);
    /* past refresh-ttl (7 days by default, 60 s leeway) */
    post_token(&f, rf, now + 7 * 24 * 3600 + 61, 401, "invalid_grant");

    /* dana's password grant is cut to pull; no offline: no refresh token */
    j = post_token(&f,
                   "grant_type=password&service=reg&client_id=x&username=dana&password=dana-pw"
                   "&scope=repository:prod/app:pull,push",
                   now, 200, NULL);
    cr_assert_str_eq(vg_json_str(j, "scope"), "repository:prod/app:pull");
    cr_assert_null(json_object_get(j, "refresh_token"));
    json_decref(j);
    /* robots may use the password grant (it is the token service) */
    j = post_token(&f,
                   "grant_type=password&service=reg&client_id=x&username=robot-ci"
                   "&password=robot-pw&scope=repository:prod/app:push",
                   now, 200, NULL);
    cr_assert_str_eq(vg_json_str(j, "scope"), "repository:prod/app:push");
    json_decref(j);

    /* refused */
    post_token(&f, "grant_type=password&service=reg&client_id=x&username=ci&password=nope", now,
               401, "invalid_grant");
    post_token(&f, "grant_type=password&service=reg&client_id=x&username=ci", now, 400,
               "invalid_request");
    post_token(&f, "grant_type=password&service=reg&username=ci&password=ci-pw", now, 400,
               "invalid_request");
    post_token(&f, "grant_type=password&service=other&client_id=x&username=ci&password=ci-pw", now,
               400, "invalid_request");
    post_token(&f, "grant_type=authorization_code&service=reg&client_id=x&code=abc", now, 400,
               "unsupported_grant_type");
    post_token(&f, "grant_type=refresh_token&service=reg&client_id=x&refresh_token=a.b.c", now, 401,
               "invalid_grant");
    post_token(&f, "grant_type=refresh_token&service=reg&client_id=x", now, 400, "invalid_request");
    post_token(&f,
               "grant_type=password&service=reg&client_id=x&username=ci&password=ci-pw"
               "&password=other",
               now, 400, "invalid_request");
    post_token(&f, "grant_type=password&service=reg&client_id=x&username=ci&password=%zz", now, 400,
               "invalid_request");
    post_token(&f, "grant_type=password&service=reg&client_id=x&username=c%0ai&password=p", now,
               400, "invalid_request");
    post_token(&f, "grant_type=password&service=reg&client_id=x&username=ci&password=ci-pw&scope=x",
               now, 400, "invalid_scope");
    teardown(&f);
}

Test(registry_auth, token_post_refresh_needs_a_live_subject)
{
    struct fx f;
    setup(&f, true);
    int64_t now = vg_now_unix();
    json_t *j = post_token(&f,
                           "grant_type=password&service=reg&client_id=x&access_type=offline"
                           "&username=ci&password=ci-pw",
                           now, 200, NULL);
    vg_autofree char *rf = vg_fmt("grant_type=refresh_token&service=reg&client_id=x"
                                  "&access_type=offline&refresh_token=%s",
                                  vg_json_str(j, "refresh_token"));
    json_decref(j);
    j = post_token(&f, rf, now + 60, 200, NULL);
    cr_assert(json_object_get(j, "refresh_token"), "access_type=offline: a new refresh token");
    json_decref(j);
    /* ci is removed from the htpasswd file: its refresh tokens stop working once the file is
     * re-read (its identity is compared at most once a second) */
    vg_autofree char *ht = vg_fmt("%s/htpasswd", f.dir);
    vg_autofree char *dana = tu_htpasswd_line("dana", "dana-pw");
    vg_autofree char *text = vg_fmt("%s\n", dana);
    tu_write(ht, text);
    struct timespec ts = {1, 200000000};
    nanosleep(&ts, NULL);
    struct vg_registry_auth_token_resp t;
    vg_registry_auth_token_post(f.a, rf, strlen(rf), now + 60, &t);
    cr_assert_eq(t.status, 401);
    cr_assert(strstr(t.message, "no longer a user"), "%s", t.message);
    vg_registry_auth_token_resp_dispose(&t);
    /* GET's offline_token=true: a refresh token for authenticated callers only */
    vg_registry_auth_token(f.a, "scope=repository:public/x:pull&offline_token=true", NULL, now, &t);
    cr_assert_eq(t.status, 200);
    cr_assert_null(strstr(t.body, "refresh_token"));
    vg_registry_auth_token_resp_dispose(&t);
    vg_autofree char *dn = basic("dana", "dana-pw");
    vg_registry_auth_token(f.a, "scope=repository:prod/app:pull&offline_token=true", dn, now, &t);
    cr_assert_eq(t.status, 200);
    cr_assert(strstr(t.body, "\"refresh_token\""), "%s", t.body);
    vg_registry_auth_token_resp_dispose(&t);
    teardown(&f);
}

Test(registry_auth, robots_are_token_only_and_expire)
{
    struct fx f;
    setup(&f, true);
    int64_t now = vg_now_unix();
    vg_autofree char *robot = basic("robot-ci", "robot-pw");
    vg_autofree char *old = basic("robot-old", "robot-pw");
    struct vg_registry_auth_result r;
    cr_assert_eq(decide(&f, robot, "prod/app", VG_AUTH_PULL, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    cr_assert(strstr(r.message, "token-only"), "%s", r.message);
    vg_registry_auth_result_dispose(&r);
    vg_autofree char *t = get_token(
        &f, "scope=repository:prod/app:pull,push&scope=repository:prod/b:pull", robot, now, 200);
    cr_assert_eq(decide(&f, t, "prod/app", VG_AUTH_PUSH, &r), VG_REGISTRY_AUTH_ALLOW);
    cr_assert_str_eq(r.subject, "robot-ci");
    vg_registry_auth_result_dispose(&r);
    cr_assert_eq(decide(&f, t, "prod/b", VG_AUTH_PULL, &r), VG_REGISTRY_AUTH_UNAUTHORIZED);
    vg_registry_auth_result_dispose(&r);
    get_token(&f, "scope=repository:prod/app:pull", old, now, 401);
    teardown(&f);
}

Test(registry_auth, open_without_config)
{
    struct vg_auth_config c = {0};
    struct vg_registry_auth *a = NULL;
    struct vg_err *err = NULL;
    TU_ASSERT_OK(vg_registry_auth_new(&a, &c, NULL, &err), err);
    cr_assert(strstr(vg_registry_auth_mode(a), "open"));
    struct vg_registry_auth_req q = {.repo = "x/y", .actions = VG_AUTH_REPO_ALL};
    struct vg_registry_auth_result r;
    vg_registry_auth_check(a, &q, &r);
    cr_assert_eq(r.verdict, VG_REGISTRY_AUTH_ALLOW);
    vg_registry_auth_result_dispose(&r);
    struct vg_registry_auth_token_resp t;
    vg_registry_auth_token(a, "scope=repository:x:pull", NULL, 0, &t);
    cr_assert_eq(t.status, 404);
    vg_registry_auth_token_resp_dispose(&t);
    vg_registry_auth_free(a);
}

static int
tag_exists_fake(void *ud, const char *repo, const char *tag, struct vg_err **err)
{
    int *calls = ud;
    (*calls)++;
    if (strcmp(tag, "broken") == 0) {
        return vg_err_set(err, VG_E_DB, "store down");
    }
    return strcmp(repo, "prod/app") == 0 && strcmp(tag, "v1") == 0;
}

/* The hook's own dispose lives with the protocol layer (server.c); the test needs only this. */
static void
res_dispose(struct vg_registry_authz_res *r)
{
    free(r->user);
    free(r->challenge);
    free(r->message);
    memset(r, 0, sizeof(*r));
}

Test(registry_auth, protocol_hook_adapter)
{
    struct fx f;
    setup(&f, false);
    int calls = 0;
    struct vg_registry_authz az;
    vg_registry_auth_authz(&az, f.a, tag_exists_fake, &calls);
    cr_assert_str_eq(az.name, "htpasswd");
    vg_autofree char *ci = basic("ci", "ci-pw");
    struct vg_registry_authz_req q = {
        .method = "PUT", .authorization = ci, .repo = "prod/app", .actions = VG_REGISTRY_PUSH};
    struct vg_registry_authz_res r = {0};
    struct vg_err *err = NULL;
    TU_ASSERT_OK(az.check(az.ud, &q, &r, &err), err);
    cr_assert_eq(r.verdict, VG_REGISTRY_ALLOW);
    cr_assert_str_eq(r.user, "ci");
    cr_assert_eq(calls, 0, "no tag: no lookup");
    res_dispose(&r);
    q.tag = "v1";
    TU_ASSERT_OK(az.check(az.ud, &q, &r, &err), err);
    cr_assert_eq(r.verdict, VG_REGISTRY_DENY);
    cr_assert(strstr(r.message, "immutable"));
    res_dispose(&r);
    q.tag = "v2";
    TU_ASSERT_OK(az.check(az.ud, &q, &r, &err), err);
    cr_assert_eq(r.verdict, VG_REGISTRY_ALLOW);
    res_dispose(&r);
    q.tag = "broken";
    cr_assert_lt(az.check(az.ud, &q, &r, &err), 0);
    vg_err_free(&err);
    res_dispose(&r);
    q.authorization = NULL;
    q.tag = NULL;
    TU_ASSERT_OK(az.check(az.ud, &q, &r, &err), err);
    cr_assert_eq(r.verdict, VG_REGISTRY_CHALLENGE);
    cr_assert_str_eq(r.challenge, "Basic realm=\"vigil-registry\"");
    res_dispose(&r);
    az.free(az.ud);
    teardown(&f);
}
