/* SPDX-License-Identifier: Apache-2.0
 *
 * Token authentication for notary servers (Docker token flow). A notary-server configured with
 * `auth: {type: token}` (Docker Hub's notary is one) answers a request without a token with
 * 401 and `WWW-Authenticate: Bearer realm="...",service="...",scope="repository:<gun>:pull"`.
 * The client asks the realm for a token (GET realm?service=...&scope=..., with the registry's
 * Basic credentials when the caller has some, else anonymously; with an identity token from
 * `docker login`, the OAuth2 refresh_token grant: POST realm with grant_type=refresh_token,
 * service, scope, client_id and the token, as the registry client does), and repeats the
 * request once with `Authorization: Bearer <token>`. A server asking for Basic gets the credentials
 * directly (notary always speaks TLS). Credentials never go to a plain-http realm (unless the
 * caller allows it: --plain-http), tokens and passwords are never logged or put into messages, and
 * the header that worked is kept for the next requests to the same server.
 */
#include "tuf_int.h"

#include <string.h>

#include "net/net.h"

#define TOKEN_MAX_BODY (64u * 1024u)

static bool
clean(const char *s, size_t max)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
        if (*p < 0x21 || *p == 0x7f || n >= max) {
            return false;
        }
    }
    return true;
}

/* A 401's usable challenge: the Bearer realm (validated), its service, the effective scope
 * (the challenge's, else default_scope); or only Basic (*basic). */
struct challenge {
    char *realm, *service, *scope;
    bool basic, plain_realm;
};

static void
challenge_dispose(struct challenge *c)
{
    free(c->realm);
    free(c->service);
    free(c->scope);
    memset(c, 0, sizeof(*c));
}

static int
challenge_parse(struct challenge *out, const char *const *values, size_t n,
                const char *default_scope, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    vg_autofree char *seen = NULL;
    for (size_t i = 0; i < n && !out->realm; i++) {
        struct vg_http_challenge *ch = NULL;
        size_t nch = 0;
        if (vg_http_challenges_parse(&ch, &nch, values[i], strlen(values[i]), err) < 0) {
            return vg_err_wrap(err, "notary server: bad WWW-Authenticate challenge");
        }
        for (size_t k = 0; k < nch; k++) {
            const char *r = vg_http_challenge_param(&ch[k], "realm");
            if (strcmp(ch[k].scheme, "bearer") == 0 && r && !out->realm) {
                out->realm = vg_strdup(r);
                const char *sv = vg_http_challenge_param(&ch[k], "service");
                const char *sc = vg_http_challenge_param(&ch[k], "scope");
                out->service = sv ? vg_strdup(sv) : NULL;
                out->scope = sc && *sc ? vg_strdup(sc) : NULL;
            } else if (strcmp(ch[k].scheme, "basic") == 0) {
                out->basic = true;
            } else if (!seen) {
                seen = vg_escape(ch[k].scheme, strlen(ch[k].scheme), 32);
            }
        }
        vg_http_challenges_free(ch, nch);
    }
    if (!out->realm) {
        if (out->basic) {
            return 0;
        }
        return vg_err_set(err, VG_E_AUTH,
                          "notary server asks for unsupported authentication \"%s\"",
                          seen ? seen : "(no challenge)");
    }
    out->basic = false;
    out->plain_realm = vg_cstr_startswith(out->realm, "http://");
    if ((!out->plain_realm && !vg_cstr_startswith(out->realm, "https://")) ||
        !clean(out->realm, VG_TUF_AUTH_SCOPE_MAX)) {
        vg_autofree char *e = vg_escape(out->realm, strlen(out->realm), 80);
        return vg_err_set(err, VG_E_AUTH, "notary server: token realm \"%s\" is not an http(s) URL",
                          e);
    }
    if (!out->scope) {
        out->scope = vg_strdup(default_scope);
    }
    if (strlen(out->scope) > VG_TUF_AUTH_SCOPE_MAX ||
        (out->service && strlen(out->service) > VG_TUF_AUTH_SCOPE_MAX)) {
        return vg_err_set(err, VG_E_LIMIT, "notary server: token scope or service over %u bytes",
                          VG_TUF_AUTH_SCOPE_MAX);
    }
    return 0;
}

/* realm?service=...&scope=... (the Docker token flow's GET). */
static char *
challenge_url(const struct challenge *c)
{
    vg_autofree char *esc_scope = vg_http_query_escape(c->scope);
    vg_autofree char *esc_svc = c->service ? vg_http_query_escape(c->service) : NULL;
    return vg_fmt("%s%s%s%s%sscope=%s", c->realm, strchr(c->realm, '?') ? "&" : "?",
                  esc_svc ? "service=" : "", esc_svc ? esc_svc : "", esc_svc ? "&" : "", esc_scope);
}

int
vg_tuf_auth_token_url(char **url, bool *basic, bool *plain_realm, const char *const *values,
                      size_t n, const char *default_scope, struct vg_err **err)
{
    *url = NULL;
    *basic = *plain_realm = false;
    struct challenge c;
    int rc = challenge_parse(&c, values, n, default_scope, err);
    if (rc == 0) {
        *basic = c.basic;
        *plain_realm = c.plain_realm;
        *url = c.realm ? challenge_url(&c) : NULL;
    }
    challenge_dispose(&c);
    return rc;
}

struct vg_tuf_auth *
vg_tuf__auth_new(struct vg_http_client *http, const char *gun, bool push,
                 const struct vg_tuf_notary_opts *o)
{
    struct vg_tuf_auth *a = vg_calloc(1, sizeof(*a));
    a->http = http;
    a->gun = vg_strdup(gun);
    a->push = push;
    a->creds = o->creds;
    a->creds_payload = o->creds_payload;
    a->plain_http = o->plain_http_realm;
    return a;
}

void
vg_tuf__auth_free(struct vg_tuf_auth *a)
{
    if (!a) {
        return;
    }
    vg_http_secret_free(a->authz);
    vg_http_secret_free(a->basic);
    vg_http_secret_free(a->refresh);
    free(a->gun);
    free(a);
}

static char *
basic_line(const char *user, const char *pass)
{
    char *up = vg_fmt("%s:%s", user, pass ? pass : "");
    char *b64 = vg_base64_encode(up, strlen(up));
    char *line = vg_fmt("Authorization: Basic %s", b64);
    vg_http_secret_free(up);
    vg_http_secret_free(b64);
    return line;
}

/* The token from url into a->authz: GET (Basic when basic_authz, else anonymous), or with
 * form the OAuth2 POST (the refresh_token grant of an identity token). */
static int
fetch_token(struct vg_tuf_auth *a, const char *url, const char *basic_authz, const char *form,
            struct vg_err **err)
{
    const char *hdr[] = {form ? "Content-Type: application/x-www-form-urlencoded" : basic_authz};
    struct vg_http_req req = {.method = form ? "POST" : "GET",
                              .url = url,
                              .headers = hdr,
                              .nheaders = hdr[0] ? 1 : 0,
                              .body = form,
                              .body_len = form ? strlen(form) : 0,
                              .max_body = TOKEN_MAX_BODY};
    struct vg_http_resp resp = {0};
    if (vg_http_do(a->http, &req, &resp, err) < 0) {
        return vg_err_wrap(err, "notary token");
    }
    int rc = 0;
    if (resp.status < 200 || resp.status > 299) {
        vg_autofree char *safe = vg_http_url_redact(url);
        rc = vg_err_set(err, VG_E_AUTH, "token service %s refused %s (HTTP %ld)", safe,
                        form          ? "the identity token (OAuth2 refresh_token grant)"
                        : basic_authz ? "the registry's credentials"
                                      : "an anonymous token",
                        resp.status);
    } else {
        struct vg_http_token t = {0};
        rc = vg_http_token_parse(&t, resp.body.data, resp.body.len, err);
        if (rc == 0) {
            vg_http_secret_free(a->authz);
            a->authz = vg_fmt("Authorization: Bearer %s", t.token);
        } else {
            vg_autofree char *safe = vg_http_url_redact(url);
            vg_err_wrap(err, "token from %s", safe);
        }
        vg_http_token_dispose(&t);
    }
    explicit_bzero(resp.body.data, resp.body.len);
    vg_http_resp_dispose(&resp);
    return rc;
}

/* Asks the caller's credentials once: a->basic and a->refresh. */
static int
ask_creds(struct vg_tuf_auth *a, struct vg_err **err)
{
    if (!a->creds) {
        return 0;
    }
    char *user = NULL, *pass = NULL, *idt = NULL;
    int c = a->creds(a->creds_payload, &user, &pass, &idt, err);
    a->creds = NULL; /* asked once */
    if (c == 0 && user && *user) {
        a->basic = basic_line(user, pass);
    }
    if (c == 0 && idt && *idt) {
        a->refresh = vg_strdup(idt);
    }
    vg_http_secret_free(user);
    vg_http_secret_free(pass);
    vg_http_secret_free(idt);
    return c < 0 ? vg_err_wrap(err, "credentials for the notary server") : 0;
}

/* The server said 401: get what it asks for into a->authz. */
static int
answer(struct vg_tuf_auth *a, const struct vg_http_resp *resp, struct vg_err **err)
{
    const char *vals[VG_HTTP_CHALLENGES_MAX];
    size_t n = 0;
    for (const char *v; n < VG_HTTP_CHALLENGES_MAX &&
                        (v = vg_http_resp_header_n(resp, "WWW-Authenticate", n)) != NULL;) {
        vals[n++] = v;
    }
    vg_autofree char *scope = vg_fmt("repository:%s:%s", a->gun, a->push ? "push,pull" : "pull");
    struct challenge ch;
    if (challenge_parse(&ch, vals, n, scope, err) < 0 || ask_creds(a, err) < 0) {
        challenge_dispose(&ch);
        return -1;
    }
    int rc = 0;
    if (ch.basic) {
        if (!a->basic) {
            rc = vg_err_set(err, VG_E_AUTH,
                            "the notary server asks for credentials (docker login to the "
                            "registry)");
        } else {
            vg_http_secret_free(a->authz);
            a->authz = vg_strdup(a->basic);
        }
    } else if (ch.plain_realm && (a->basic || a->refresh) && !a->plain_http) {
        vg_autofree char *safe = vg_http_url_redact(ch.realm);
        rc = vg_err_set(err, VG_E_AUTH,
                        "refusing to send credentials to the plain-http token realm %s (use "
                        "--plain-http to allow)",
                        safe);
    } else if (a->refresh) {
        /* docker's order: an identity token is used in preference to a password */
        char *form = vg_http_token_refresh_form(ch.service, ch.scope, a->refresh);
        rc = fetch_token(a, ch.realm, NULL, form, err);
        vg_http_secret_free(form);
    } else {
        vg_autofree char *url = challenge_url(&ch);
        rc = fetch_token(a, url, a->basic, NULL, err);
    }
    challenge_dispose(&ch);
    return rc;
}

int
vg_tuf__auth_do(struct vg_tuf_auth *a, const struct vg_http_req *req, struct vg_http_resp *resp,
                struct vg_err **err)
{
    for (int attempt = 0;; attempt++) {
        const char *hdr[8];
        size_t nh = 0;
        for (size_t i = 0; i < req->nheaders && nh < 7; i++) {
            hdr[nh++] = req->headers[i];
        }
        if (a->authz) {
            hdr[nh++] = a->authz;
        }
        struct vg_http_req r = *req;
        r.headers = hdr;
        r.nheaders = nh;
        if (vg_http_do(a->http, &r, resp, err) < 0) {
            return -1;
        }
        if (resp->status != 401 || attempt > 0) {
            return 0;
        }
        if (answer(a, resp, err) < 0) {
            vg_http_resp_dispose(resp);
            return -1;
        }
        vg_http_resp_dispose(resp);
    }
}
