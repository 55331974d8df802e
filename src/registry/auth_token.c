/* SPDX-License-Identifier: Apache-2.0
 *
 * The built-in token service (shared/docs/registry.md §2.2, §4.4): `GET /token` of the Docker
 * token flow (Basic credentials or none, scopes in the query) and the OAuth2 form `POST /token`
 * (distribution's docs/spec/auth/oauth.md: grant_type password or refresh_token, what docker
 * login and containerd send first). Either way a short-lived ES256 JWT comes out whose `access`
 * claim is what was asked for intersected with what the rules grant; a partial or empty grant
 * is not an error here, the registry answers insufficient_scope later. Push grants live longer
 * (push-ttl) so multi-GB uploads outlive their token (registry.md §6.4).
 *
 * Refresh tokens (access_type=offline, or GET's offline_token=true, for an authenticated
 * subject) are JWTs of the same key whose audience is "<service> refresh": the registry checks
 * `aud` against the service, so one is never an access token, and a refresh grant checks that
 * the subject still exists (an htpasswd entry, a robot not expired) before issuing.
 */
#include "auth_int.h"

#include <string.h>

#include "core/httphdr.h"
#include "oci/dist.h"

static void fail(struct vg_registry_auth_token_resp *r, int status, const char *fmt, ...)
    VG_PRINTF(3, 4);

static void
fail(struct vg_registry_auth_token_resp *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->status = status;
    r->message = vg_vfmt(fmt, ap);
    va_end(ap);
}

/* Every scope= value (each may hold several space-separated scopes). */
static int
requested(struct vg_auth_access **v, size_t *n, const char *query, struct vg_err **err)
{
    for (size_t i = 0; query; i++) {
        vg_autofree char *s = NULL;
        if (vg_oci_dist_query_get(&s, query, "scope", i, err) < 0) {
            return -(int)VG_E_PARSE;
        }
        if (!s) {
            break;
        }
        if (vg_auth_scope_parse(v, n, s, err) < 0) {
            return -(int)vg_err_code(*err);
        }
    }
    return 0;
}

static bool
authenticate(struct vg_registry_auth *a, const char *authorization, int64_t now, char **subject,
             bool *robot, struct vg_registry_auth_token_resp *resp)
{
    if (!authorization) {
        return true;
    }
    struct vg_auth_cred cred = {0};
    vg_autoerr struct vg_err *err = NULL;
    bool ok = false;
    if (vg_auth_header_parse(&cred, authorization, strlen(authorization), &err) < 0) {
        fail(resp, 401, "invalid Authorization header: %s", err->msg);
    } else if (cred.scheme != VG_AUTH_SCHEME_BASIC) {
        fail(resp, 401, "the token service takes Basic credentials");
    } else if (vg_auth__basic(a, &cred, now, subject, robot, &err) < 0) {
        fail(resp, 401, "%s", err->msg);
    } else {
        ok = true;
    }
    vg_auth_cred_dispose(&cred);
    if (!ok) {
        struct vg_http_auth_kv kv[] = {{"realm", a->realm}};
        vg_autoerr struct vg_err *e = NULL;
        if (vg_http_challenge_format(&resp->challenge, "Basic", kv, 1, &e) < 0) {
            resp->challenge = vg_strdup("Basic");
        }
    }
    return ok;
}

static char *
refresh_audience(const struct vg_registry_auth *a)
{
    return vg_fmt("%s refresh", a->cfg.service);
}

/* "repository:prod/app:pull,push registry:catalog:*": what the token grants (OAuth2 `scope`). */
static char *
granted_scope(const struct vg_auth_access *acc, size_t n)
{
    vg_autobuf struct vg_buf b = VG_BUF_INIT(SIZE_MAX / 2);
    vg_autoerr struct vg_err *err = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!acc[i].actions) {
            continue;
        }
        bool reg = strcmp(acc[i].type, "registry") == 0;
        if (vg_buf_appendf(&b, &err, "%s%s:%s:%s", b.len ? " " : "", acc[i].type, acc[i].name,
                           reg ? "*" : vg_auth_actions_str(acc[i].actions)) < 0) {
            return vg_strdup("");
        }
    }
    return b.len ? vg_buf_take(&b, NULL) : vg_strdup("");
}

struct issue {
    char *subject; /* taken; NULL: anonymous */
    bool robot;
    struct vg_auth_access *acc; /* taken; actions as requested */
    size_t nacc;
    bool offline; /* also a refresh token (authenticated subjects only) */
    bool oauth;   /* the POST form's body (scope, no challenge) */
};

/* The repository a scope's name grants on: the name itself, or for a notary GUN
 * "<service>/<repository>" (a notary server sharing this token service, as Docker Hub's
 * notary shares its auth server) the repository; NULL when neither. */
static const char *
gun_repo(const struct vg_registry_auth *a, const char *name)
{
    if (vg_oci_dist_name_valid(vg_str_c(name))) {
        return name;
    }
    size_t n = a->cfg.service ? strlen(a->cfg.service) : 0;
    if (n && strncmp(name, a->cfg.service, n) == 0 && name[n] == '/' &&
        vg_oci_dist_name_valid(vg_str_c(name + n + 1))) {
        return name + n + 1;
    }
    return NULL;
}

/* Cuts the requested actions to the grant and signs the access (and refresh) token. */
static void
issue(struct vg_registry_auth *a, struct issue *is, int64_t now,
      struct vg_registry_auth_token_resp *resp)
{
    struct vg_auth_claims c = {.sub = is->subject, .access = is->acc, .naccess = is->nacc};
    bool push = false;
    for (size_t i = 0; i < c.naccess; i++) {
        struct vg_auth_access *x = &c.access[i];
        bool reg = strcmp(x->type, "registry") == 0;
        const char *repo = strcmp(x->type, "repository") == 0 ? gun_repo(a, x->name) : NULL;
        x->actions &= reg    ? vg_auth_rules_grant_registry(&a->cfg, c.sub)
                      : repo ? vg_auth_rules_grant(&a->cfg, c.sub, repo)
                             : 0;
        push |= (x->actions & VG_AUTH_PUSH) != 0;
    }
    uint64_t ttl_s = (push ? a->cfg.push_ttl_ms : a->cfg.ttl_ms) / 1000u;
    uint8_t jti[16];
    char jtihex[33];
    vg_crypto_random(jti, sizeof(jti));
    vg_hex_encode(jtihex, jti, sizeof(jti));
    c.iss = vg_strdup(a->cfg.issuer);
    c.aud = vg_strdup(a->cfg.service);
    c.jti = vg_strdup(jtihex);
    c.iat = c.nbf = now;
    c.exp = now + (int64_t)ttl_s;
    vg_autofree char *token = NULL, *refresh = NULL;
    vg_autoerr struct vg_err *err = NULL;
    int rc = vg_auth_jwt_sign(&token, &a->signer, &c, &err);
    if (rc == 0 && is->offline && c.sub) {
        uint8_t rjti[16];
        char rjtihex[33];
        vg_crypto_random(rjti, sizeof(rjti));
        vg_hex_encode(rjtihex, rjti, sizeof(rjti));
        struct vg_auth_claims rc_ = {
            .iss = a->cfg.issuer,
            .sub = c.sub,
            .aud = refresh_audience(a),
            .jti = rjtihex,
            .iat = now,
            .nbf = now,
            .exp = now + (int64_t)(a->cfg.refresh_ttl_ms / 1000u),
        };
        rc = vg_auth_jwt_sign(&refresh, &a->signer, &rc_, &err);
        free(rc_.aud);
    }
    if (rc < 0) {
        fail(resp, 500, "%s", err->msg);
        resp->oauth_code = "server_error";
    } else {
        char issued[32];
        vg_time_rfc3339(issued, sizeof(issued), now);
        vg_autojson json_t *o = json_object();
        vg_json_set_str(o, "token", token);
        vg_json_set_str(o, "access_token", token);
        json_object_set_new(o, "expires_in", json_integer((json_int_t)ttl_s));
        vg_json_set_str(o, "issued_at", issued);
        if (is->oauth) {
            vg_autofree char *scope = granted_scope(c.access, c.naccess);
            vg_json_set_str(o, "scope", scope);
        }
        if (refresh) {
            vg_json_set_str(o, "refresh_token", refresh);
        }
        resp->status = 200;
        resp->body = vg_json_dumps(o, JSON_COMPACT);
        VG_INFO("registry", "token %s issued to %s (%s, %zu scopes%s)", jtihex,
                c.sub ? c.sub : "anonymous", is->robot ? "robot" : "user", c.naccess,
                refresh ? ", with a refresh token" : "");
    }
    vg_auth_claims_dispose(&c);
    is->subject = NULL;
    is->acc = NULL;
    is->nacc = 0;
}

void
vg_registry_auth_token(struct vg_registry_auth *a, const char *query, const char *authorization,
                       int64_t now, struct vg_registry_auth_token_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    if (!a->cfg.token) {
        fail(resp, 404, "the token service is not enabled");
        return;
    }
    now = now ? now : vg_now_unix();
    vg_autoerr struct vg_err *err = NULL;
    vg_autofree char *service = NULL, *offline = NULL;
    if (vg_oci_dist_query_get(&service, query, "service", 0, &err) < 0 ||
        vg_oci_dist_query_get(&offline, query, "offline_token", 0, &err) < 0) {
        fail(resp, 400, "%s", err->msg);
        return;
    }
    if (service && strcmp(service, a->cfg.service) != 0) {
        vg_autofree char *e = vg_escape(service, strlen(service), 80);
        fail(resp, 400, "unknown service \"%s\"", e);
        return;
    }
    struct issue is = {.offline = offline && strcmp(offline, "true") == 0};
    if (requested(&is.acc, &is.nacc, query, &err) < 0) {
        fail(resp, 400, "%s", err->msg);
        vg_auth_access_free(is.acc, is.nacc);
        return;
    }
    if (!authenticate(a, authorization, now, &is.subject, &is.robot, resp)) {
        vg_auth_access_free(is.acc, is.nacc);
        free(is.subject);
        return;
    }
    issue(a, &is, now, resp);
}

/* ---------------------------------------------------------------- POST /token */

struct form {
    char *grant_type, *service, *client_id, *access_type, *scope, *refresh_token, *username;
    struct vg_secret *password;
};

static void
form_dispose(struct form *f)
{
    free(f->grant_type);
    free(f->service);
    free(f->client_id);
    free(f->access_type);
    free(f->scope);
    free(f->refresh_token);
    free(f->username);
    vg_secret_free(f->password);
    memset(f, 0, sizeof(*f));
}

/* application/x-www-form-urlencoded (HTML's serializer: '+' is a space). A parameter this
 * endpoint reads given twice is an error (which one would count?); unknown ones are ignored.
 * The password is decoded straight into guarded memory. */
static int
form_parse(struct form *f, const char *body, size_t len, struct vg_err **err)
{
    const unsigned flags = VG_PCT_PLUS_SPACE | VG_PCT_REFUSE_CTL;
    struct {
        const char *name;
        char **slot;
    } keys[] = {
        {"grant_type", &f->grant_type}, {"service", &f->service},
        {"client_id", &f->client_id},   {"access_type", &f->access_type},
        {"scope", &f->scope},           {"refresh_token", &f->refresh_token},
        {"username", &f->username},
    };
    struct vg_str rest = {body, len}, pair, tail;
    size_t off = 0;
    while (rest.len) {
        bool more = vg_str_cut(rest, '&', &pair, &tail);
        struct vg_str k, v;
        if (!vg_str_cut(pair, '=', &k, &v)) {
            v = (struct vg_str){pair.ptr + pair.len, 0};
        }
        vg_autofree char *key = pair.len ? vg_pct_decode_dup(k.ptr, k.len, flags, err) : NULL;
        if (pair.len && !key) {
            return vg_err_wrap(err, "form parameter name at offset %zu", off);
        }
        bool seen = false;
        if (key && strcmp(key, "password") == 0) {
            seen = f->password != NULL;
            struct vg_secret *pw = seen ? NULL : vg_secret_alloc(v.len);
            size_t n = 0;
            if (pw && vg_pct_decode((char *)pw->data, &n, v.ptr, v.len, flags, err) < 0) {
                vg_secret_free(pw);
                return vg_err_wrap(err, "form parameter password");
            }
            if (pw) {
                pw->len = n;
                f->password = pw;
            }
        }
        for (size_t i = 0; key && i < VG_ARRAY_LEN(keys); i++) {
            if (strcmp(key, keys[i].name) != 0) {
                continue;
            }
            seen = *keys[i].slot != NULL;
            if (!seen && !(*keys[i].slot = vg_pct_decode_dup(v.ptr, v.len, flags, err))) {
                return vg_err_wrap(err, "form parameter %s", keys[i].name);
            }
        }
        if (seen) {
            return vg_err_set(err, VG_E_PARSE, "form parameter %s given twice", key);
        }
        if (!more) {
            break;
        }
        off += pair.len + 1;
        rest = tail;
    }
    return 0;
}

static void oauth_fail(struct vg_registry_auth_token_resp *r, int status, const char *code,
                       const char *fmt, ...) VG_PRINTF(4, 5);

static void
oauth_fail(struct vg_registry_auth_token_resp *r, int status, const char *code, const char *fmt,
           ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->status = status;
    r->oauth_code = code;
    r->message = vg_vfmt(fmt, ap);
    va_end(ap);
}

/* The refresh grant: a refresh token of ours for this service whose subject still exists. */
static bool
refresh_subject(struct vg_registry_auth *a, const char *token, int64_t now, char **subject,
                bool *robot, struct vg_registry_auth_token_resp *resp)
{
    vg_autofree char *aud = refresh_audience(a);
    struct vg_auth_claims c = {0};
    vg_autoerr struct vg_err *err = NULL;
    if (strlen(token) > VG_AUTH_TOKEN_MAX) {
        oauth_fail(resp, 401, "invalid_grant", "refresh token too long");
        return false;
    }
    if (vg_auth_jwt_verify(&c, &a->signer, token, strlen(token), a->cfg.issuer, aud, now, &err) <
        0) {
        vg_autofree char *m = vg_err_format(err);
        oauth_fail(resp, 401, "invalid_grant", "refresh token refused: %s", m);
        return false;
    }
    const struct vg_auth_robot *rb = c.sub && *c.sub ? vg_auth__robot(&a->cfg, c.sub) : NULL;
    bool alive = rb ? !rb->expires || now < rb->expires
                    : c.sub && *c.sub && a->htpasswd && vg_htpasswd_has(a->htpasswd, c.sub);
    if (!alive) {
        oauth_fail(resp, 401, "invalid_grant", "refresh token refused: its subject is %s",
                   rb ? "an expired robot account" : "no longer a user");
        vg_auth_claims_dispose(&c);
        return false;
    }
    *subject = vg_steal_ptr(&c.sub);
    *robot = rb != NULL;
    vg_auth_claims_dispose(&c);
    return true;
}

/* The password grant: the same check as Basic credentials. */
static bool
password_subject(struct vg_registry_auth *a, struct form *f, int64_t now, char **subject,
                 bool *robot, struct vg_registry_auth_token_resp *resp)
{
    if (!f->username || !*f->username || !f->password) {
        oauth_fail(resp, 400, "invalid_request", "grant_type password needs username and password");
        return false;
    }
    if (strlen(f->username) > VG_AUTH_USER_MAX) {
        oauth_fail(resp, 400, "invalid_request", "username too long");
        return false;
    }
    struct vg_auth_cred cred = {
        .scheme = VG_AUTH_SCHEME_BASIC, .user = f->username, .password = f->password};
    vg_autoerr struct vg_err *err = NULL;
    if (vg_auth__basic(a, &cred, now, subject, robot, &err) < 0) {
        oauth_fail(resp, 401, "invalid_grant", "%s", err->msg);
        return false;
    }
    return true;
}

void
vg_registry_auth_token_post(struct vg_registry_auth *a, const void *form, size_t len, int64_t now,
                            struct vg_registry_auth_token_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    if (!a->cfg.token) {
        oauth_fail(resp, 404, "invalid_request", "the token service is not enabled");
        return;
    }
    if (len > VG_AUTH_FORM_MAX) {
        oauth_fail(resp, 413, "invalid_request", "form over %u bytes", VG_AUTH_FORM_MAX);
        return;
    }
    now = now ? now : vg_now_unix();
    struct form f = {0};
    vg_autoerr struct vg_err *err = NULL;
    if (form_parse(&f, form, len, &err) < 0) {
        oauth_fail(resp, 400, "invalid_request", "%s", err->msg);
        form_dispose(&f);
        return;
    }
    struct issue is = {.oauth = true,
                       .offline = f.access_type && strcmp(f.access_type, "offline") == 0};
    bool ok = false;
    if (!f.grant_type || !f.service || !f.client_id) {
        oauth_fail(resp, 400, "invalid_request", "grant_type, service and client_id are required");
    } else if (strcmp(f.service, a->cfg.service) != 0) {
        vg_autofree char *e = vg_escape(f.service, strlen(f.service), 80);
        oauth_fail(resp, 400, "invalid_request", "unknown service \"%s\"", e);
    } else if (f.scope && vg_auth_scope_parse(&is.acc, &is.nacc, f.scope, &err) < 0) {
        oauth_fail(resp, 400, "invalid_scope", "%s", err->msg);
    } else if (strcmp(f.grant_type, "password") == 0) {
        ok = password_subject(a, &f, now, &is.subject, &is.robot, resp);
    } else if (strcmp(f.grant_type, "refresh_token") == 0) {
        ok = f.refresh_token
                 ? refresh_subject(a, f.refresh_token, now, &is.subject, &is.robot, resp)
                 : (oauth_fail(resp, 400, "invalid_request",
                               "grant_type refresh_token needs refresh_token"),
                    false);
    } else {
        vg_autofree char *e = vg_escape(f.grant_type, strlen(f.grant_type), 40);
        oauth_fail(resp, 400, "unsupported_grant_type", "grant_type \"%s\" is not supported", e);
    }
    form_dispose(&f);
    if (!ok) {
        vg_auth_access_free(is.acc, is.nacc);
        free(is.subject);
        return;
    }
    issue(a, &is, now, resp);
}

void
vg_registry_auth_token_resp_dispose(struct vg_registry_auth_token_resp *r)
{
    free(r->body);
    free(r->challenge);
    free(r->message);
    memset(r, 0, sizeof(*r));
}
