/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry's authorizer: one decision per request from the Authorization header, the
 * repository and the actions the handler needs (shared/docs/registry.md §2, §4.4, §7).
 *
 *   no auth configured      everything is allowed (docker-registry's default; serve says so)
 *   anonymous               what `anonymous:` rules grant; otherwise 401 with a challenge so
 *                           clients authenticate
 *   Basic user              what `access:` rules grant the user and its groups; otherwise
 *                           403 DENIED (the credentials were fine, the rules say no)
 *   Basic robot             refused: robots are token-only
 *   Bearer token            what the token's `access` claim holds (it was cut to the rules
 *                           when issued); otherwise 401 error="insufficient_scope"
 *
 * Immutable tags are checked for everyone, with or without authentication.
 */
#include "auth_int.h"

#include <string.h>

#include "core/httphdr.h"

#define BASIC_REALM "vigil-registry"

/* Robot credentials that silently expire are a known operator trap (registry.md §6.4): say at
 * start which ones are expired or about to. */
static void
robots_report(const struct vg_auth_config *c, int64_t now)
{
    const int64_t soon = 14 * 24 * 3600;
    for (size_t i = 0; i < c->nrobots; i++) {
        const struct vg_auth_robot *r = &c->robots[i];
        char when[32] = "never";
        if (r->expires) {
            vg_time_rfc3339(when, sizeof(when), r->expires);
        }
        if (r->expires && r->expires <= now) {
            VG_WARN("registry", "robot account %s expired at %s: its logins are refused", r->name,
                    when);
        } else if (r->expires && r->expires - now < soon) {
            VG_WARN("registry", "robot account %s expires at %s", r->name, when);
        } else {
            VG_INFO("registry", "robot account %s (%s on %zu repository globs), expires: %s",
                    r->name, vg_auth_actions_str(r->actions), r->nrepos, when);
        }
    }
}

int
vg_registry_auth_new(struct vg_registry_auth **out, struct vg_auth_config *cfg,
                     const struct vg_registry_auth_opts *opts, struct vg_err **err)
{
    struct vg_registry_auth *a = vg_calloc(1, sizeof(*a));
    a->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    a->enabled = vg_auth_config_enabled(&a->cfg);
    int rc = 0;
    if (a->cfg.htpasswd) {
        struct vg_htpasswd_opts ho = VG_HTPASSWD_OPTS_INIT;
        rc = vg_htpasswd_open(&a->htpasswd, a->cfg.htpasswd, &ho, err);
    }
    if (rc == 0 && a->cfg.token) {
        vg_autofree char *def =
            vg_fmt("%s/auth/token-key.pem", opts && opts->root ? opts->root : ".");
        const char *path = a->cfg.key ? a->cfg.key : def;
        rc = vg_auth_signer_load(&a->signer, path, a->cfg.key == NULL, err);
        const char *realm = a->cfg.realm ? a->cfg.realm : opts ? opts->default_realm : NULL;
        if (rc == 0 && !realm) {
            rc = vg_err_set(err, VG_E_USAGE, "auth.token: no realm configured");
        }
        a->realm = vg_strdup(realm);
    }
    if (rc < 0) {
        vg_registry_auth_free(a);
        return rc;
    }
    robots_report(&a->cfg, vg_now_unix());
    *out = a;
    return 0;
}

void
vg_registry_auth_free(struct vg_registry_auth *a)
{
    if (!a) {
        return;
    }
    vg_htpasswd_free(a->htpasswd);
    vg_auth_signer_dispose(&a->signer);
    vg_auth_config_dispose(&a->cfg);
    free(a->realm);
    free(a);
}

const struct vg_auth_config *
vg_registry_auth_config(const struct vg_registry_auth *a)
{
    return &a->cfg;
}

const char *
vg_registry_auth_mode(const struct vg_registry_auth *a)
{
    if (!a->enabled) {
        return "open (no authentication configured)";
    }
    return a->cfg.token ? "token" : "htpasswd";
}

int
vg_auth__basic(struct vg_registry_auth *a, const struct vg_auth_cred *cred, int64_t now,
               char **subject, bool *robot, struct vg_err **err)
{
    const struct vg_auth_robot *rb = vg_auth__robot(&a->cfg, cred->user);
    bool ok = false;
    if (rb) {
        if (rb->expires && now >= rb->expires) {
            return vg_err_set(err, VG_E_AUTH, "robot account expired");
        }
        if (vg_crypto_bcrypt_verify(rb->hash, cred->password->data, cred->password->len, &ok, err) <
            0) {
            return vg_err_wrap(err, "robot account");
        }
    } else if (a->htpasswd &&
               vg_htpasswd_check(a->htpasswd, cred->user, cred->password, &ok, err) < 0) {
        return -(int)vg_err_code(*err);
    }
    if (!ok) {
        return vg_err_set(err, VG_E_AUTH, "authentication required");
    }
    *subject = vg_strdup(cred->user);
    *robot = rb != NULL;
    return 0;
}

/* ---------------------------------------------------------------- challenges */

/* The scope a request needs, as clients request it; NULL when there is none (/v2/). */
static char *
scope_text(const struct vg_registry_auth_req *req)
{
    if (req->actions & VG_AUTH_CATALOG) {
        return vg_strdup("registry:catalog:*");
    }
    if (!req->repo || !(req->actions & VG_AUTH_REPO_ALL)) {
        return NULL;
    }
    unsigned acts = req->actions & VG_AUTH_REPO_ALL;
    if (acts & VG_AUTH_PUSH) {
        acts |= VG_AUTH_PULL; /* what distribution demands and clients ask for */
    }
    if (req->mount_from) {
        return vg_fmt("repository:%s:%s repository:%s:pull", req->repo, vg_auth_actions_str(acts),
                      req->mount_from);
    }
    return vg_fmt("repository:%s:%s", req->repo, vg_auth_actions_str(acts));
}

static char *
challenge(const struct vg_registry_auth *a, const struct vg_registry_auth_req *req,
          const char *error)
{
    vg_autoerr struct vg_err *e = NULL;
    char *out = NULL;
    if (!a->cfg.token) {
        struct vg_http_auth_kv kv[] = {{"realm", BASIC_REALM}};
        if (vg_http_challenge_format(&out, "Basic", kv, 1, &e) < 0) {
            return vg_strdup("Basic realm=\"" BASIC_REALM "\"");
        }
        return out;
    }
    vg_autofree char *scope = scope_text(req);
    struct vg_http_auth_kv kv[4] = {{"realm", a->realm}, {"service", a->cfg.service}};
    size_t n = 2;
    if (scope) {
        kv[n++] = (struct vg_http_auth_kv){"scope", scope};
    }
    if (error) {
        kv[n++] = (struct vg_http_auth_kv){"error", error};
    }
    if (vg_http_challenge_format(&out, "Bearer", kv, n, &e) < 0) {
        /* Only a realm with control characters gets here, and config refuses those. */
        return vg_strdup("Bearer");
    }
    return out;
}

static void verdict(struct vg_registry_auth_result *res, enum vg_registry_auth_verdict v,
                    char *chal, const char *fmt, ...) VG_PRINTF(4, 5);

static void
verdict(struct vg_registry_auth_result *res, enum vg_registry_auth_verdict v, char *chal,
        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    res->verdict = v;
    res->challenge = chal;
    res->message = vg_vfmt(fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- the decision */

static unsigned
token_grant(const struct vg_auth_claims *c, const char *type, const char *name)
{
    unsigned g = 0;
    for (size_t i = 0; i < c->naccess; i++) {
        if (strcmp(c->access[i].type, type) == 0 && strcmp(c->access[i].name, name) == 0) {
            g |= c->access[i].actions;
        }
    }
    return g;
}

struct who {
    enum { ANON, BASIC, BEARER } kind;
    struct vg_auth_claims claims; /* BEARER */
};

static unsigned
grant_of(const struct vg_registry_auth *a, const struct who *w, const char *subject,
         const char *repo, bool registry)
{
    if (w->kind == BEARER) {
        return registry ? token_grant(&w->claims, "registry", "catalog")
                        : token_grant(&w->claims, "repository", repo);
    }
    return registry ? vg_auth_rules_grant_registry(&a->cfg, subject)
                    : vg_auth_rules_grant(&a->cfg, subject, repo);
}

/* Establishes who is calling; false when the verdict is already set (bad credentials). */
static bool
identify(struct vg_registry_auth *a, const struct vg_registry_auth_req *req, int64_t now,
         struct who *w, struct vg_registry_auth_result *res)
{
    if (!req->authorization) {
        return true;
    }
    struct vg_auth_cred cred = {0};
    vg_autoerr struct vg_err *err = NULL;
    if (vg_auth_header_parse(&cred, req->authorization, strlen(req->authorization), &err) < 0) {
        verdict(res, VG_REGISTRY_AUTH_UNAUTHORIZED, challenge(a, req, NULL),
                "invalid Authorization header: %s", err->msg);
        return false;
    }
    bool ok = true;
    if (cred.scheme == VG_AUTH_SCHEME_BASIC) {
        bool robot = false;
        if (vg_auth__basic(a, &cred, now, &res->subject, &robot, &err) < 0) {
            verdict(res, VG_REGISTRY_AUTH_UNAUTHORIZED, challenge(a, req, NULL), "%s", err->msg);
            ok = false;
        } else if (robot) {
            verdict(res, VG_REGISTRY_AUTH_UNAUTHORIZED, challenge(a, req, NULL),
                    "robot accounts are token-only: log in through the token service");
            ok = false;
        }
        w->kind = BASIC;
    } else if (!a->cfg.token) {
        verdict(res, VG_REGISTRY_AUTH_UNAUTHORIZED, challenge(a, req, NULL),
                "bearer tokens are not enabled on this registry");
        ok = false;
    } else if (vg_auth_jwt_verify(&w->claims, &a->signer, cred.token, strlen(cred.token),
                                  a->cfg.issuer, a->cfg.service, now, &err) < 0) {
        vg_autofree char *m = vg_err_format(err);
        verdict(res, VG_REGISTRY_AUTH_UNAUTHORIZED, challenge(a, req, "invalid_token"), "%s", m);
        ok = false;
    } else {
        w->kind = BEARER;
        res->subject = w->claims.sub && *w->claims.sub ? vg_strdup(w->claims.sub) : NULL;
    }
    vg_auth_cred_dispose(&cred);
    return ok;
}

static bool
sufficient(const struct vg_registry_auth *a, const struct who *w, const char *subject,
           const struct vg_registry_auth_req *req)
{
    if (req->actions & VG_AUTH_CATALOG) {
        return grant_of(a, w, subject, NULL, true) & VG_AUTH_CATALOG;
    }
    if (!req->repo) {
        /* /v2/ itself: any valid credential (or token) will do; anonymous must authenticate
         * so that clients learn the scheme from the challenge. */
        return w->kind != ANON;
    }
    unsigned need = req->actions & VG_AUTH_REPO_ALL;
    if ((grant_of(a, w, subject, req->repo, false) & need) != need) {
        return false;
    }
    return !req->mount_from || (grant_of(a, w, subject, req->mount_from, false) & VG_AUTH_PULL);
}

void
vg_registry_auth_check(struct vg_registry_auth *a, const struct vg_registry_auth_req *req,
                       struct vg_registry_auth_result *res)
{
    memset(res, 0, sizeof(*res));
    int64_t now = req->now ? req->now : vg_now_unix();
    if (a->enabled) {
        struct who w = {.kind = ANON};
        bool known = identify(a, req, now, &w, res);
        if (known && !sufficient(a, &w, res->subject, req)) {
            /* Name only what is missing: "dana may not push prod/app" for a pull,push need. */
            unsigned missing = req->actions & VG_AUTH_REPO_ALL;
            if (req->repo) {
                missing &= ~grant_of(a, &w, res->subject, req->repo, false);
            }
            vg_autofree char *acts =
                vg_strdup(req->actions & VG_AUTH_CATALOG
                              ? "catalog"
                              : vg_auth_actions_str(missing ? missing : req->actions));
            if (w.kind == ANON) {
                verdict(res, VG_REGISTRY_AUTH_UNAUTHORIZED, challenge(a, req, NULL),
                        "authentication required");
            } else if (w.kind == BEARER) {
                verdict(res, VG_REGISTRY_AUTH_UNAUTHORIZED, challenge(a, req, "insufficient_scope"),
                        "insufficient scope: the token does not grant %s on %s", acts,
                        req->repo ? req->repo : "the registry");
            } else {
                verdict(res, VG_REGISTRY_AUTH_DENIED, NULL,
                        "requested access to the resource is denied: %s may not %s %s",
                        res->subject, acts, req->repo ? req->repo : "the registry catalog");
            }
        }
        vg_auth_claims_dispose(&w.claims);
        if (res->verdict != VG_REGISTRY_AUTH_ALLOW) {
            return;
        }
    }
    if (req->repo && req->tag && req->tag_exists && !req->tag_same &&
        vg_auth_tag_immutable(&a->cfg, req->repo, req->tag)) {
        vg_autofree char *t = vg_escape(req->tag, strlen(req->tag), 128);
        verdict(res, VG_REGISTRY_AUTH_DENIED, NULL,
                "tag %s of %s is immutable: it exists and may not be overwritten", t, req->repo);
    }
}

void
vg_registry_auth_result_dispose(struct vg_registry_auth_result *r)
{
    free(r->subject);
    free(r->challenge);
    free(r->message);
    memset(r, 0, sizeof(*r));
}
