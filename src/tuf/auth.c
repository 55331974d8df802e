/* SPDX-License-Identifier: Apache-2.0
 *
 * Token authentication for notary servers (Docker token flow). A notary-server configured with
 * `auth: {type: token}` (Docker Hub's notary is one) answers a request without a token with
 * 401 and `WWW-Authenticate: Bearer realm="...",service="...",scope="repository:<gun>:pull"`.
 * The client asks the realm for a token (GET realm?service=...&scope=..., with the registry's
 * Basic credentials when the caller has some, else anonymously), and repeats the request once
 * with `Authorization: Bearer <token>`. A server asking for Basic gets the credentials directly
 * (notary always speaks TLS). Credentials never go to a plain-http realm (unless the caller
 * allows it: --plain-http), tokens and passwords
 * are never logged or put into messages, and the header that worked is kept for the next
 * requests to the same server.
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

int
vg_tuf_auth_token_url(char **url, bool *basic, bool *plain_realm, const char *const *values,
                      size_t n, const char *default_scope, struct vg_err **err)
{
    *url = NULL;
    *basic = *plain_realm = false;
    vg_autofree char *realm = NULL, *service = NULL, *scope = NULL, *seen = NULL;
    for (size_t i = 0; i < n && !realm; i++) {
        struct vg_http_challenge *ch = NULL;
        size_t nch = 0;
        if (vg_http_challenges_parse(&ch, &nch, values[i], strlen(values[i]), err) < 0) {
            return vg_err_wrap(err, "notary server: bad WWW-Authenticate challenge");
        }
        for (size_t k = 0; k < nch; k++) {
            const char *r = vg_http_challenge_param(&ch[k], "realm");
            if (strcmp(ch[k].scheme, "bearer") == 0 && r && !realm) {
                realm = vg_strdup(r);
                const char *sv = vg_http_challenge_param(&ch[k], "service");
                const char *sc = vg_http_challenge_param(&ch[k], "scope");
                service = sv ? vg_strdup(sv) : NULL;
                scope = sc && *sc ? vg_strdup(sc) : NULL;
            } else if (strcmp(ch[k].scheme, "basic") == 0) {
                *basic = true;
            } else if (!seen) {
                seen = vg_escape(ch[k].scheme, strlen(ch[k].scheme), 32);
            }
        }
        vg_http_challenges_free(ch, nch);
    }
    if (!realm) {
        if (*basic) {
            return 0;
        }
        return vg_err_set(err, VG_E_AUTH,
                          "notary server asks for unsupported authentication \"%s\"",
                          seen ? seen : "(no challenge)");
    }
    *basic = false;
    *plain_realm = vg_cstr_startswith(realm, "http://");
    if ((!*plain_realm && !vg_cstr_startswith(realm, "https://")) ||
        !clean(realm, VG_TUF_AUTH_SCOPE_MAX)) {
        vg_autofree char *e = vg_escape(realm, strlen(realm), 80);
        return vg_err_set(err, VG_E_AUTH, "notary server: token realm \"%s\" is not an http(s) URL",
                          e);
    }
    const char *sc = scope ? scope : default_scope;
    if (strlen(sc) > VG_TUF_AUTH_SCOPE_MAX ||
        (service && strlen(service) > VG_TUF_AUTH_SCOPE_MAX)) {
        return vg_err_set(err, VG_E_LIMIT, "notary server: token scope or service over %u bytes",
                          VG_TUF_AUTH_SCOPE_MAX);
    }
    vg_autofree char *esc_scope = vg_http_query_escape(sc);
    vg_autofree char *esc_svc = service ? vg_http_query_escape(service) : NULL;
    *url = vg_fmt("%s%s%s%s%sscope=%s", realm, strchr(realm, '?') ? "&" : "?",
                  esc_svc ? "service=" : "", esc_svc ? esc_svc : "", esc_svc ? "&" : "", esc_scope);
    return 0;
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

/* GET the token from url (Basic when basic_authz), into a->authz. */
static int
fetch_token(struct vg_tuf_auth *a, const char *url, const char *basic_authz, struct vg_err **err)
{
    const char *hdr[] = {basic_authz};
    struct vg_http_req req = {
        .url = url, .headers = hdr, .nheaders = basic_authz ? 1 : 0, .max_body = TOKEN_MAX_BODY};
    struct vg_http_resp resp = {0};
    if (vg_http_do(a->http, &req, &resp, err) < 0) {
        return vg_err_wrap(err, "notary token");
    }
    int rc = 0;
    if (resp.status < 200 || resp.status > 299) {
        vg_autofree char *safe = vg_http_url_redact(url);
        rc = vg_err_set(err, VG_E_AUTH, "token service %s refused %s (HTTP %ld)", safe,
                        basic_authz ? "the registry's credentials" : "an anonymous token",
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
    vg_http_resp_dispose(&resp);
    return rc;
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
    vg_autofree char *url = NULL;
    bool basic = false, plain = false;
    if (vg_tuf_auth_token_url(&url, &basic, &plain, vals, n, scope, err) < 0) {
        return -1;
    }
    if (a->creds) {
        char *user = NULL, *pass = NULL;
        int c = a->creds(a->creds_payload, &user, &pass, err);
        a->creds = NULL; /* asked once */
        if (c == 0 && user && *user) {
            a->basic = basic_line(user, pass);
        }
        vg_http_secret_free(user);
        vg_http_secret_free(pass);
        if (c < 0) {
            return vg_err_wrap(err, "credentials for the notary server");
        }
    }
    int rc = 0;
    if (basic) {
        if (!a->basic) {
            rc = vg_err_set(err, VG_E_AUTH,
                            "the notary server asks for credentials (docker login to the "
                            "registry)");
        } else {
            vg_http_secret_free(a->authz);
            a->authz = vg_strdup(a->basic);
        }
    } else if (plain && a->basic && !a->plain_http) {
        vg_autofree char *safe = vg_http_url_redact(url);
        rc = vg_err_set(err, VG_E_AUTH,
                        "refusing to send credentials to the plain-http token realm %s (use "
                        "--plain-http to allow)",
                        safe);
    } else {
        rc = fetch_token(a, url, a->basic, err);
    }
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
