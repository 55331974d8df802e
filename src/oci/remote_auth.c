/* SPDX-License-Identifier: Apache-2.0
 *
 * Registry authentication (Docker token spec; Distribution "auth" flow): every request first
 * goes out with what the client already holds (nothing, Basic credentials, or a cached Bearer
 * token for the request's scope); a 401 is answered once — Basic with the credentials, Bearer
 * with a token fetched from the challenge's realm (GET with Basic credentials, or the OAuth2
 * refresh-token POST when only an identity token is known) — and the request is repeated.
 *
 * Credentials never travel to a plain-http token realm unless --plain-http was asked for, and
 * Authorization lines are handed to net/ which drops them on cross-origin redirects. Tokens are
 * never logged or put into error messages.
 */
#include "remote_int.h"

#include <string.h>

/* ---------------------------------------------------------------- token cache */

static void
token_clear(struct vg_oci_remote_token *t)
{
    free(t->scope);
    vg_http_secret_free(t->token);
    memset(t, 0, sizeof(*t));
}

void
vg_oci_remote_auth_reset(struct vg_oci_remote_client *c)
{
    for (size_t i = 0; i < c->ntokens; i++) {
        token_clear(&c->tokens[i]);
    }
    c->ntokens = 0;
    free(c->realm);
    free(c->service);
    c->realm = c->service = NULL;
    c->mode = VG_RAUTH_NONE;
}

static const char *
token_find(struct vg_oci_remote_client *c, bool push)
{
    vg_autofree char *want = vg_oci_remote_scope(c, push);
    vg_autofree char *push_scope = vg_oci_remote_scope(c, true);
    int64_t now = vg_now_unix();
    for (size_t i = 0; i < c->ntokens; i++) {
        struct vg_oci_remote_token *t = &c->tokens[i];
        if (t->expires_at <= now) {
            continue;
        }
        /* A pull,push token also serves pulls. */
        if (strcmp(t->scope, want) == 0 || strcmp(t->scope, push_scope) == 0) {
            return t->token;
        }
    }
    return NULL;
}

static void
token_store(struct vg_oci_remote_client *c, const char *scope, char *token, uint64_t expires_in)
{
    struct vg_oci_remote_token *slot = NULL;
    for (size_t i = 0; i < c->ntokens; i++) {
        if (strcmp(c->tokens[i].scope, scope) == 0) {
            slot = &c->tokens[i];
        }
    }
    if (!slot) {
        if (c->ntokens == VG_OCI_REMOTE_TOKEN_CACHE) {
            token_clear(&c->tokens[0]);
            memmove(&c->tokens[0], &c->tokens[1], (c->ntokens - 1) * sizeof(c->tokens[0]));
            c->ntokens--;
            memset(&c->tokens[c->ntokens], 0, sizeof(c->tokens[0]));
        }
        slot = &c->tokens[c->ntokens++];
    } else {
        token_clear(slot);
    }
    if (expires_in > 365u * 86400u) {
        expires_in = 365u * 86400u;
    }
    int64_t life = (int64_t)expires_in - VG_OCI_REMOTE_TOKEN_MARGIN_S;
    slot->scope = vg_strdup(scope);
    slot->token = token;
    slot->expires_at = vg_now_unix() + (life > 0 ? life : 1);
}

/* ---------------------------------------------------------------- errors */

/* vg_oci_remote_auth_error with c->auth_mu held. */
static int
auth_error_locked(const struct vg_oci_remote_client *c, long status, struct vg_err **err)
{
    if (!c->have_creds) {
        return vg_err_set(err, VG_E_AUTH,
                          "authentication required for %s/%s (use --creds or docker login)",
                          c->registry, c->repo);
    }
    if (status == 403) {
        return vg_err_set(err, VG_E_AUTH, "access to %s/%s denied (HTTP 403)", c->registry,
                          c->repo);
    }
    return vg_err_set(err, VG_E_AUTH, "credentials for %s refused (HTTP %ld)", c->registry, status);
}

int
vg_oci_remote_auth_error(struct vg_oci_remote_client *c, long status, struct vg_err **err)
{
    pthread_mutex_lock(&c->auth_mu);
    int rc = auth_error_locked(c, status, err);
    pthread_mutex_unlock(&c->auth_mu);
    return rc;
}

int
vg_oci_remote_status_error(struct vg_oci_remote_client *c, const char *what, long status,
                           const struct vg_buf *body, struct vg_err **err)
{
    if (status == 401 || (status == 403 && !c->have_creds)) {
        vg_oci_remote_auth_error(c, status, err);
        return vg_err_wrap(err, "%s", what);
    }
    enum vg_errc code = status == 403 ? VG_E_AUTH : status == 404 ? VG_E_NOTFOUND : VG_E_NET;
    struct vg_oci_dist_error *e = NULL;
    size_t n = 0;
    if (body && body->len && vg_oci_dist_errors_parse(&e, &n, body->data, body->len, NULL) == 0 &&
        n > 0) {
        /* The first entry, as sent (codes this client does not know are shown too). */
        vg_autofree char *ec = vg_escape(e[0].code_text, strlen(e[0].code_text), 64);
        vg_autofree char *em =
            e[0].message ? vg_escape(e[0].message, strlen(e[0].message), 200) : vg_strdup("");
        vg_oci_dist_errors_free(e, n);
        return vg_err_set(err, code, "%s: HTTP %ld (%s%s%s)", what, status, ec, *em ? ": " : "",
                          em);
    }
    vg_oci_dist_errors_free(e, n);
    return vg_err_set(err, code, "%s: HTTP %ld", what, status);
}

/* ---------------------------------------------------------------- challenges */

int
vg_oci_remote_auth_choose(struct vg_oci_remote_client *c, const char *const *values, size_t n,
                          struct vg_err **err)
{
    bool basic = false;
    char *realm = NULL, *service = NULL;
    vg_autofree char *seen = NULL;
    for (size_t i = 0; i < n && !realm; i++) {
        struct vg_http_challenge *ch = NULL;
        size_t nch = 0;
        if (vg_http_challenges_parse(&ch, &nch, values[i], strlen(values[i]), err) < 0) {
            return vg_err_wrap(err, "%s: bad authentication challenge", c->registry);
        }
        for (size_t k = 0; k < nch; k++) {
            const char *r = vg_http_challenge_param(&ch[k], "realm");
            if (strcmp(ch[k].scheme, "bearer") == 0 && r && !realm) {
                realm = vg_strdup(r);
                service = vg_strdup(vg_http_challenge_param(&ch[k], "service"));
            } else if (strcmp(ch[k].scheme, "basic") == 0) {
                basic = true;
            } else if (!seen) {
                seen = vg_escape(ch[k].scheme, strlen(ch[k].scheme), 32);
            }
        }
        vg_http_challenges_free(ch, nch);
    }
    if (realm) {
        if (!vg_cstr_startswith(realm, "https://") && !vg_cstr_startswith(realm, "http://")) {
            free(realm);
            free(service);
            return vg_err_set(err, VG_E_AUTH, "%s: token realm is not an http(s) URL", c->registry);
        }
        free(c->realm);
        free(c->service);
        c->realm = realm;
        c->service = service;
        c->mode = VG_RAUTH_BEARER;
        return 0;
    }
    if (basic) {
        c->mode = VG_RAUTH_BASIC;
        return 0;
    }
    return vg_err_set(err, VG_E_UNSUPPORTED, "%s asks for unsupported authentication \"%s\"",
                      c->registry, seen ? seen : "(none)");
}

static char *
basic_line(const struct vg_oci_remote_client *c)
{
    vg_autofree char *up = vg_fmt("%s:%s", c->creds.username, c->creds.password);
    vg_autofree char *b64 = vg_base64_encode(up, strlen(up));
    char *line = vg_fmt("Authorization: Basic %s", b64);
    explicit_bzero(up, strlen(up));
    explicit_bzero(b64, strlen(b64));
    return line;
}

static char *
token_url(const struct vg_oci_remote_client *c, const char *scope, bool in_query)
{
    vg_autofree char *esc_scope = vg_http_query_escape(scope);
    vg_autofree char *esc_svc = c->service ? vg_http_query_escape(c->service) : NULL;
    if (!in_query) {
        return vg_strdup(c->realm);
    }
    return vg_fmt("%s%sscope=%s%s%s", c->realm, strchr(c->realm, '?') ? "&" : "?", esc_scope,
                  esc_svc ? "&service=" : "", esc_svc ? esc_svc : "");
}

/* OAuth2 refresh-token grant (identity tokens from `docker login`). */
static char *
refresh_form(const struct vg_oci_remote_client *c, const char *scope)
{
    return vg_http_token_refresh_form(c->service, scope, c->creds.identity_token);
}

static int
fetch_token(struct vg_oci_remote_client *c, bool push, struct vg_err **err)
{
    vg_autofree char *scope = vg_oci_remote_scope(c, push);
    bool refresh = c->have_creds && c->creds.identity_token;
    bool basic = c->have_creds && !refresh && c->creds.username;
    if ((refresh || basic) && vg_cstr_startswith(c->realm, "http://") && !c->plain_http) {
        return vg_err_set(err, VG_E_AUTH,
                          "%s: refusing to send credentials to a plain-http "
                          "token realm (use --plain-http to allow)",
                          c->registry);
    }
    vg_autofree char *url = token_url(c, scope, !refresh);
    char *auth = basic ? basic_line(c) : NULL;
    char *form = refresh ? refresh_form(c, scope) : NULL;
    const char *hdrs[2] = {auth, "Content-Type: application/x-www-form-urlencoded"};
    struct vg_http_req req = {
        .method = refresh ? "POST" : "GET",
        .url = url,
        .headers = hdrs,
        .nheaders = auth      ? 1
                    : refresh ? 2
                              : 0,
        .body = form,
        .body_len = form ? strlen(form) : 0,
        .max_body = VG_LIMIT_TOKEN_BYTES,
    };
    if (refresh) {
        hdrs[0] = hdrs[1];
        req.nheaders = 1;
    }
    struct vg_http_resp resp;
    int rc = vg_http_do(c->http, &req, &resp, err);
    vg_http_secret_free(auth);
    vg_http_secret_free(form);
    if (rc < 0) {
        return vg_err_wrap(err, "fetch token for %s", c->registry);
    }
    if (resp.status == 401 || resp.status == 403) {
        vg_http_resp_dispose(&resp);
        return auth_error_locked(c, 401, err);
    }
    if (resp.status != 200) {
        rc = vg_http_check_status(req.method, url, resp.status, &resp.body, err);
        vg_http_resp_dispose(&resp);
        return vg_err_wrap(err, "fetch token for %s", c->registry);
    }
    struct vg_http_token tok;
    rc = vg_http_token_parse(&tok, resp.body.data, resp.body.len, err);
    explicit_bzero(resp.body.data, resp.body.len);
    vg_http_resp_dispose(&resp);
    if (rc < 0) {
        return vg_err_wrap(err, "token from %s", c->registry);
    }
    if (c->pool) {
        vg_oci_remote_pool_token_put(c->pool, c->registry, scope, vg_steal_ptr(&tok.token),
                                     tok.expires_in);
    } else {
        token_store(c, scope, vg_steal_ptr(&tok.token), tok.expires_in);
    }
    vg_http_token_dispose(&tok);
    return 0;
}

/* A pooled client's Bearer line: from the pool's cache, or fetched by exactly one of the
 * threads that need it while the others wait for it (no lock is held during the fetch). */
static int
pooled_bearer_line(struct vg_oci_remote_client *c, bool push, char **out, struct vg_err **err)
{
    vg_autofree char *want = vg_oci_remote_scope(c, push);
    vg_autofree char *push_scope = vg_oci_remote_scope(c, true);
    for (int fetched = 0;; fetched++) {
        enum vg_oci_remote_pool_answer a =
            vg_oci_remote_pool_token_get(c->pool, c->registry, want, push_scope, out);
        if (a == VG_POOL_HIT) {
            return 0;
        }
        if (fetched == 2) {
            /* Stored twice and gone at once: the cache is full of fetches in flight. */
            vg_oci_remote_pool_token_abandon(c->pool, c->registry, want);
            return vg_err_set(err, VG_E_AUTH, "%s: no room to cache a token", c->registry);
        }
        /* VG_POOL_FETCH: this thread fetches for everyone waiting on the scope. */
        int rc = fetch_token(c, push, err);
        if (rc < 0) {
            vg_oci_remote_pool_token_abandon(c->pool, c->registry, want);
            return -1;
        }
    }
}

/* vg_oci_remote_auth_line with c->auth_mu held. */
static int
auth_line_locked(struct vg_oci_remote_client *c, bool push, char **out, struct vg_err **err)
{
    *out = NULL;
    if (c->mode == VG_RAUTH_BASIC && c->have_creds && c->creds.username) {
        *out = basic_line(c);
    } else if (c->mode == VG_RAUTH_BEARER && c->pool) {
        return pooled_bearer_line(c, push, out, err);
    } else if (c->mode == VG_RAUTH_BEARER) {
        const char *t = token_find(c, push);
        if (!t) {
            if (fetch_token(c, push, err) < 0) {
                return -1;
            }
            t = token_find(c, push);
        }
        if (t) {
            *out = vg_fmt("Authorization: Bearer %s", t);
        }
    }
    return 0;
}

/* The Authorization line for a request in this scope, fetching a token when the registry is
 * known to want one. NULL when going anonymous. */
int
vg_oci_remote_auth_line(struct vg_oci_remote_client *c, bool push, char **out, struct vg_err **err)
{
    pthread_mutex_lock(&c->auth_mu);
    int rc = auth_line_locked(c, push, out, err);
    pthread_mutex_unlock(&c->auth_mu);
    return rc;
}

/* After a 401: learn the scheme and make sure we can answer it. c->auth_mu held. */
static int
answer_challenge_locked(struct vg_oci_remote_client *c, const char *const *vals, size_t n,
                        bool push, struct vg_err **err)
{
    if (vg_oci_remote_creds_ensure(c, err) < 0) {
        return -1;
    }
    if (n == 0) {
        return auth_error_locked(c, 401, err);
    }
    if (c->pool && c->mode == VG_RAUTH_BEARER) {
        /* The request carried the pool's token and was refused: it is stale for everyone. */
        vg_autofree char *scope = vg_oci_remote_scope(c, push);
        vg_oci_remote_pool_token_drop(c->pool, c->registry, scope);
    }
    if (vg_oci_remote_auth_choose(c, vals, n, err) < 0) {
        return -1;
    }
    if (c->mode == VG_RAUTH_BASIC && !(c->have_creds && c->creds.username)) {
        return auth_error_locked(c, 401, err);
    }
    if (c->mode == VG_RAUTH_BEARER && c->pool) {
        /* The retry's auth line takes the token from the pool (fetching it once if absent). */
        return 0;
    }
    if (c->mode == VG_RAUTH_BEARER) {
        return fetch_token(c, push, err);
    }
    return 0;
}

static int
answer_challenge(struct vg_oci_remote_client *c, const char *const *vals, size_t n, bool push,
                 struct vg_err **err)
{
    pthread_mutex_lock(&c->auth_mu);
    int rc = answer_challenge_locked(c, vals, n, push, err);
    pthread_mutex_unlock(&c->auth_mu);
    return rc;
}

const char **
vg_oci_remote_with_auth(const struct vg_http_req *req, const char *auth, size_t *n)
{
    const char **h = vg_calloc(req->nheaders + 1, sizeof(*h));
    for (size_t i = 0; i < req->nheaders; i++) {
        h[i] = req->headers[i];
    }
    *n = req->nheaders;
    if (auth) {
        h[(*n)++] = auth;
    }
    return h;
}

#define MAX_CHALLENGE_HEADERS 8

int
vg_oci_remote_do(struct vg_oci_remote_client *c, const struct vg_http_req *req, bool push,
                 struct vg_http_resp *resp, struct vg_err **err)
{
    for (int round = 0; round < 2; round++) {
        char *auth = NULL;
        if (vg_oci_remote_auth_line(c, push, &auth, err) < 0) {
            return -1;
        }
        struct vg_http_req r = *req;
        vg_autofree const char **h = vg_oci_remote_with_auth(req, auth, &r.nheaders);
        r.headers = h;
        int rc = vg_http_do(c->http, &r, resp, err);
        vg_http_secret_free(auth);
        if (rc < 0) {
            return -1;
        }
        if (resp->status != 401 || round == 1) {
            break;
        }
        const char *vals[MAX_CHALLENGE_HEADERS];
        size_t n = 0;
        while (n < MAX_CHALLENGE_HEADERS &&
               (vals[n] = vg_http_resp_header_n(resp, "WWW-Authenticate", n)) != NULL) {
            n++;
        }
        rc = answer_challenge(c, vals, n, push, err);
        vg_http_resp_dispose(resp);
        if (rc < 0) {
            return -1;
        }
    }
    if (resp->status == 401) {
        vg_http_resp_dispose(resp);
        return vg_oci_remote_auth_error(c, 401, err);
    }
    return 0;
}

int
vg_oci_remote_stream(struct vg_oci_remote_client *c, const struct vg_http_req *req, bool push,
                     struct vg_http_stream **out, struct vg_err **err)
{
    struct vg_http_stream *s = NULL;
    for (int round = 0; round < 2; round++) {
        char *auth = NULL;
        if (vg_oci_remote_auth_line(c, push, &auth, err) < 0) {
            return -1;
        }
        struct vg_http_req r = *req;
        vg_autofree const char **h = vg_oci_remote_with_auth(req, auth, &r.nheaders);
        r.headers = h;
        int rc = vg_http_stream_open(c->http, &r, true, &s, err);
        vg_http_secret_free(auth);
        if (rc < 0) {
            return -1;
        }
        if (vg_http_stream_status(s) != 401 || round == 1) {
            break;
        }
        const char *vals[MAX_CHALLENGE_HEADERS];
        size_t n = 0;
        while (n < MAX_CHALLENGE_HEADERS &&
               (vals[n] = vg_http_stream_header_n(s, "WWW-Authenticate", n)) != NULL) {
            n++;
        }
        rc = answer_challenge(c, vals, n, push, err);
        vg_http_stream_close(s);
        s = NULL;
        if (rc < 0) {
            return -1;
        }
    }
    long st = vg_http_stream_status(s);
    if (st < 200 || st >= 300) {
        vg_http_stream_close(s);
        vg_autofree char *u = vg_http_url_redact(req->url);
        vg_autofree char *what = vg_fmt("GET %s", u);
        return vg_oci_remote_status_error(c, what, st, NULL, err);
    }
    *out = s;
    return 0;
}
