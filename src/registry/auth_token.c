/* SPDX-License-Identifier: Apache-2.0
 *
 * The built-in token service, `GET /token` of the Docker token flow (shared/docs/registry.md
 * §2.2, §4.4): Basic credentials (or none, for anonymous) and scopes in, a short-lived ES256
 * JWT out whose `access` claim is what was asked for intersected with what the rules grant.
 * A partial or empty grant is not an error here; the registry answers insufficient_scope
 * later. Push grants live longer (push-ttl) so multi-GB uploads outlive their token
 * (registry.md §6.4). The OAuth2 POST form is not served: clients fall back to GET on 404.
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

static char *
body_json(const char *token, uint64_t ttl_s, int64_t now)
{
    char issued[32];
    vg_time_rfc3339(issued, sizeof(issued), now);
    vg_autojson json_t *o = json_object();
    vg_json_set_str(o, "token", token);
    vg_json_set_str(o, "access_token", token);
    json_object_set_new(o, "expires_in", json_integer((json_int_t)ttl_s));
    vg_json_set_str(o, "issued_at", issued);
    return vg_json_dumps(o, JSON_COMPACT);
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
    vg_autofree char *service = NULL;
    if (vg_oci_dist_query_get(&service, query, "service", 0, &err) < 0) {
        fail(resp, 400, "%s", err->msg);
        return;
    }
    if (service && strcmp(service, a->cfg.service) != 0) {
        vg_autofree char *e = vg_escape(service, strlen(service), 80);
        fail(resp, 400, "unknown service \"%s\"", e);
        return;
    }
    struct vg_auth_access *acc = NULL;
    size_t nacc = 0;
    if (requested(&acc, &nacc, query, &err) < 0) {
        fail(resp, 400, "%s", err->msg);
        vg_auth_access_free(acc, nacc);
        return;
    }
    struct vg_auth_claims c = {.access = acc, .naccess = nacc};
    bool robot = false;
    if (!authenticate(a, authorization, now, &c.sub, &robot, resp)) {
        vg_auth_claims_dispose(&c);
        return;
    }
    bool push = false;
    for (size_t i = 0; i < nacc; i++) {
        bool reg = strcmp(acc[i].type, "registry") == 0;
        acc[i].actions &= reg ? vg_auth_rules_grant_registry(&a->cfg, c.sub)
                          : strcmp(acc[i].type, "repository") == 0
                              ? vg_auth_rules_grant(&a->cfg, c.sub, acc[i].name)
                              : 0;
        push |= (acc[i].actions & VG_AUTH_PUSH) != 0;
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
    vg_autofree char *token = NULL;
    if (vg_auth_jwt_sign(&token, &a->signer, &c, &err) < 0) {
        fail(resp, 500, "%s", err->msg);
    } else {
        resp->status = 200;
        resp->body = body_json(token, ttl_s, now);
        VG_INFO("registry", "token %s issued to %s (%s, %zu scopes)", jtihex,
                c.sub ? c.sub : "anonymous", robot ? "robot" : "user", nacc);
    }
    vg_auth_claims_dispose(&c);
}

void
vg_registry_auth_token_resp_dispose(struct vg_registry_auth_token_resp *r)
{
    free(r->body);
    free(r->challenge);
    free(r->message);
    memset(r, 0, sizeof(*r));
}
