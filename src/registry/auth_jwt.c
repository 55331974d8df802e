/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry's bearer tokens: JWTs signed with ES256 (shared/docs/registry.md §2.2) carrying
 * Docker's `access` claim, plus the scope strings clients request them with. Tokens arrive from
 * anyone, so parsing is bounded and allowlisted: exactly three base64url parts, JSON objects
 * under a size limit, alg exactly "ES256" (never "none", never an HMAC algorithm keyed with
 * our public key), kid ours, the signature checked before any claim is trusted.
 */
#include "auth_int.h"

#include <errno.h>
#include <string.h>

#include "oci/dist.h"

#define JWT_HEADER_MAX 1024u

char *
vg_auth__b64url_encode(const void *data, size_t n)
{
    char *s = vg_base64_encode(data, n);
    size_t j = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '=') {
            break;
        }
        s[j++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
    }
    s[j] = '\0';
    return s;
}

int
vg_auth__b64url_decode(uint8_t **out, size_t *outlen, const char *s, size_t n, const char *what,
                       struct vg_err **err)
{
    if (n % 4 == 1) {
        return vg_err_set(err, VG_E_PARSE, "%s: invalid base64url length", what);
    }
    vg_autofree char *t = vg_malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+' || c == '/' || c == '=') {
            return vg_err_set(err, VG_E_PARSE, "%s: not base64url at offset %zu", what, i);
        }
        t[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    vg_autoerr struct vg_err *e = NULL;
    if (vg_base64_decode(out, outlen, t, n, false, &e) < 0) {
        return vg_err_set(err, VG_E_PARSE, "%s: not base64url", what);
    }
    return 0;
}

/* ---------------------------------------------------------------- scopes */

static unsigned
action_bit(struct vg_str a, bool registry)
{
    if (registry) {
        return vg_str_eq_c(a, "*") ? VG_AUTH_CATALOG : 0;
    }
    if (vg_str_eq_c(a, "pull")) {
        return VG_AUTH_PULL;
    }
    if (vg_str_eq_c(a, "push")) {
        return VG_AUTH_PUSH;
    }
    if (vg_str_eq_c(a, "delete")) {
        return VG_AUTH_DELETE;
    }
    return vg_str_eq_c(a, "*") ? VG_AUTH_REPO_ALL : 0;
}

static int
scope_one(struct vg_auth_access **v, size_t *n, struct vg_str sc, struct vg_err **err)
{
    const char *first = memchr(sc.ptr, ':', sc.len);
    const char *last = first ? memrchr(sc.ptr, ':', sc.len) : NULL;
    if (!first || last == first) {
        vg_autofree char *e = vg_escape(sc.ptr, sc.len, 80);
        return vg_err_set(err, VG_E_PARSE, "scope \"%s\" is not type:name:actions", e);
    }
    struct vg_str type = {sc.ptr, (size_t)(first - sc.ptr)};
    const char *paren = memchr(type.ptr, '(', type.len); /* "repository(plugin)": deprecated */
    if (paren) {
        type.len = (size_t)(paren - type.ptr);
    }
    struct vg_str name = {first + 1, (size_t)(last - first - 1)};
    struct vg_str acts = {last + 1, sc.len - (size_t)(last - sc.ptr) - 1};
    bool repo = vg_str_eq_c(type, "repository");
    bool registry = vg_str_eq_c(type, "registry") && vg_str_eq_c(name, "catalog");
    /* A name that cannot be a repository here (a "host:port/" prefix, upper case) is kept
     * with no actions: nothing is ever granted on it, and the client's other scopes still
     * get their token. "HOST/NAME" keeps its actions for the token service to decide: it is
     * a notary GUN, granted as NAME when HOST is the service (vg_auth_gun_repo). */
    const char *slash = memchr(name.ptr, '/', name.len);
    bool valid = !repo || vg_oci_dist_name_valid(name) ||
                 (slash && vg_oci_dist_name_valid((struct vg_str){
                               slash + 1, name.len - (size_t)(slash + 1 - name.ptr)}));
    if (*n >= VG_AUTH_SCOPES_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "more than %u scopes", VG_AUTH_SCOPES_MAX);
    }
    unsigned bits = 0;
    struct vg_str a, rest = acts;
    while (rest.len) {
        vg_str_cut(rest, ',', &a, &rest); /* the last one: a = rest, rest empty */
        bits |= (repo && valid) || registry ? action_bit(a, registry) : 0;
    }
    VG_ARRAY_GROW(*v, *n, 1);
    (*v)[(*n)++] = (struct vg_auth_access){vg_str_dup(type), vg_str_dup(name), bits};
    return 0;
}

int
vg_auth_scope_parse(struct vg_auth_access **v, size_t *n, const char *scope, struct vg_err **err)
{
    struct vg_str rest = vg_str_c(scope), one;
    while (rest.len) {
        vg_str_cut(rest, ' ', &one, &rest);
        if (one.len && scope_one(v, n, one, err) < 0) {
            return -(int)vg_err_code(*err);
        }
    }
    return 0;
}

void
vg_auth_access_free(struct vg_auth_access *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].type);
        free(v[i].name);
    }
    free(v);
}

void
vg_auth_claims_dispose(struct vg_auth_claims *c)
{
    free(c->iss);
    free(c->sub);
    free(c->aud);
    free(c->jti);
    vg_strv_free(c->auds, c->nauds);
    vg_auth_access_free(c->access, c->naccess);
    memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------- the signing key */

int
vg_auth_signer_init(struct vg_auth_signer *s, struct vg_crypto_key *key, struct vg_err **err)
{
    if (vg_crypto_key_type(key) != VG_KEY_ECDSA_P256 || !vg_crypto_key_is_private(key)) {
        vg_crypto_key_free(key);
        return vg_err_set(err, VG_E_UNSUPPORTED,
                          "token signing key must be an ECDSA P-256 private key (ES256)");
    }
    vg_autofree uint8_t *der = NULL;
    size_t n = 0;
    if (vg_crypto_key_public_der(key, &der, &n, err) < 0) {
        vg_crypto_key_free(key);
        return -(int)VG_E_INTERNAL;
    }
    /* libtrust's keyIDFromCryptoKey: base32(SHA-256(SPKI)[:30]) in groups of 4 joined by ':'. */
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    uint8_t h[32];
    vg_sha256_raw(h, der, n);
    char enc[48];
    for (size_t i = 0; i < 48; i++) {
        size_t bit = i * 5;
        unsigned v = ((unsigned)h[bit / 8] << 8 | (bit / 8 + 1 < 30 ? h[bit / 8 + 1] : 0u)) >>
                     (11 - bit % 8);
        enc[i] = b32[v & 31u];
    }
    size_t j = 0;
    for (size_t i = 0; i < 48; i++) {
        if (i && i % 4 == 0) {
            s->kid[j++] = ':';
        }
        s->kid[j++] = enc[i];
    }
    s->kid[j] = '\0';
    s->key = key;
    return 0;
}

void
vg_auth_signer_dispose(struct vg_auth_signer *s)
{
    vg_crypto_key_free(s->key);
    memset(s, 0, sizeof(*s));
}

int
vg_auth_signer_load(struct vg_auth_signer *s, const char *path, bool generate, struct vg_err **err)
{
    vg_autosecret struct vg_secret *pem = NULL;
    int rc = vg_secret_read_file(&pem, path, VG_CRYPTO_KEY_FILE_MAX, err);
    if (rc < 0 && !(generate && vg_err_code(*err) == VG_E_NOTFOUND)) {
        return vg_err_wrap(err, "token signing key %s", path);
    }
    struct vg_crypto_key *key = NULL;
    if (rc == 0) {
        if (vg_crypto_key_import_pem(&key, pem->data, pem->len, err) < 0) {
            return vg_err_wrap(err, "token signing key %s", path);
        }
        return vg_auth_signer_init(s, key, err);
    }
    vg_err_free(err);
    vg_autofree char *dir = vg_strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (vg_mkdir_p(dir, 0700, err) < 0) {
            return vg_err_wrap(err, "token signing key");
        }
    }
    if (vg_crypto_key_generate(&key, err) < 0 || vg_crypto_key_private_pem(key, &pem, err) < 0) {
        vg_crypto_key_free(key);
        return vg_err_wrap(err, "token signing key");
    }
    if (vg_file_write_exclusive(path, pem->data, pem->len, 0600, err) < 0) {
        vg_crypto_key_free(key);
        if (vg_err_is(*err, VG_E_IO) && (*err)->sys_errno == EEXIST) {
            /* Another process created it first: use theirs. */
            vg_err_free(err);
            return vg_auth_signer_load(s, path, false, err);
        }
        return vg_err_wrap(err, "token signing key %s", path);
    }
    VG_INFO("registry", "generated token signing key %s", path);
    return vg_auth_signer_init(s, key, err);
}

/* ---------------------------------------------------------------- signing */

static json_t *
actions_json(const struct vg_auth_access *a)
{
    json_t *arr = json_array();
    if (strcmp(a->type, "registry") == 0) {
        if (a->actions & VG_AUTH_CATALOG) {
            json_array_append_new(arr, json_string("*"));
        }
        return arr;
    }
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{VG_AUTH_PULL, "pull"}, {VG_AUTH_PUSH, "push"}, {VG_AUTH_DELETE, "delete"}};
    for (size_t i = 0; i < VG_ARRAY_LEN(names); i++) {
        if (a->actions & names[i].bit) {
            json_array_append_new(arr, json_string(names[i].name));
        }
    }
    return arr;
}

int
vg_auth_jwt_sign(char **out, const struct vg_auth_signer *s, const struct vg_auth_claims *c,
                 struct vg_err **err)
{
    vg_autojson json_t *hdr = json_object();
    vg_json_set_str(hdr, "alg", "ES256");
    vg_json_set_str(hdr, "kid", s->kid);
    vg_json_set_str(hdr, "typ", "JWT");
    vg_autojson json_t *cl = json_object();
    vg_json_set_str(cl, "iss", c->iss);
    json_object_set_new(cl, "sub", json_string(c->sub ? c->sub : ""));
    vg_json_set_str(cl, "aud", c->aud);
    json_object_set_new(cl, "exp", json_integer(c->exp));
    json_object_set_new(cl, "nbf", json_integer(c->nbf));
    json_object_set_new(cl, "iat", json_integer(c->iat));
    vg_json_set_str(cl, "jti", c->jti);
    json_t *acc = json_array();
    for (size_t i = 0; i < c->naccess; i++) {
        json_t *e = json_object();
        vg_json_set_str(e, "type", c->access[i].type);
        vg_json_set_str(e, "name", c->access[i].name);
        json_object_set_new(e, "actions", actions_json(&c->access[i]));
        json_array_append_new(acc, e);
    }
    json_object_set_new(cl, "access", acc);
    vg_autofree char *hj = vg_json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS);
    vg_autofree char *cj = vg_json_dumps(cl, JSON_COMPACT);
    vg_autofree char *h64 = vg_auth__b64url_encode(hj, strlen(hj));
    vg_autofree char *c64 = vg_auth__b64url_encode(cj, strlen(cj));
    vg_autofree char *input = vg_fmt("%s.%s", h64, c64);
    uint8_t sig[VG_CRYPTO_ES256_SIG_BYTES];
    if (vg_crypto_es256_sign(s->key, input, strlen(input), sig, err) < 0) {
        return vg_err_wrap(err, "sign token");
    }
    vg_autofree char *s64 = vg_auth__b64url_encode(sig, sizeof(sig));
    *out = vg_fmt("%s.%s", input, s64);
    return 0;
}

/* ---------------------------------------------------------------- parsing and verifying */

static int
json_part(json_t **out, const char *s, size_t n, size_t max, const char *what, struct vg_err **err)
{
    if (n == 0 || n > max / 3 * 4 + 4) {
        return vg_err_set(err, n ? VG_E_LIMIT : VG_E_PARSE, "token %s: %s", what,
                          n ? "too long" : "empty");
    }
    vg_autofree uint8_t *raw = NULL;
    size_t rawlen = 0;
    if (vg_auth__b64url_decode(&raw, &rawlen, s, n, what, err) < 0 ||
        vg_json_parse(out, raw, rawlen, max, what, err) < 0) {
        return vg_err_wrap(err, "token");
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return vg_err_set(err, VG_E_PARSE, "token %s is not a JSON object", what);
    }
    return 0;
}

static bool
num(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && json_real_value(v) > -9.2e18 && json_real_value(v) < 9.2e18) {
        *out = (int64_t)json_real_value(v);
        return true;
    }
    return false;
}

static int
access_parse(struct vg_auth_claims *c, const json_t *arr, struct vg_err **err)
{
    if (!arr || json_is_null(arr)) {
        return 0;
    }
    if (!json_is_array(arr)) {
        return vg_err_set(err, VG_E_PARSE, "token: 'access' is not an array");
    }
    if (json_array_size(arr) > VG_AUTH_ACCESS_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "token: more than %u access entries",
                          VG_AUTH_ACCESS_MAX);
    }
    size_t i;
    const json_t *e;
    json_array_foreach (arr, i, e) {
        const char *type = vg_json_str(e, "type"), *name = vg_json_str(e, "name");
        const json_t *acts = json_object_get(e, "actions");
        if (!type || !name || !json_is_array(acts)) {
            return vg_err_set(err, VG_E_PARSE, "token: access[%zu] needs type, name, actions", i);
        }
        bool registry = strcmp(type, "registry") == 0;
        unsigned bits = 0;
        size_t j;
        const json_t *a;
        json_array_foreach (acts, j, a) {
            if (json_is_string(a)) {
                bits |= action_bit(vg_str_c(json_string_value(a)), registry);
            }
        }
        VG_ARRAY_GROW(c->access, c->naccess, 1);
        c->access[c->naccess++] = (struct vg_auth_access){vg_strdup(type), vg_strdup(name), bits};
    }
    return 0;
}

static int
claims_parse(struct vg_auth_claims *c, const json_t *o, struct vg_err **err)
{
    c->iss = vg_strdup(vg_json_str(o, "iss"));
    c->sub = vg_strdup(vg_json_str(o, "sub"));
    c->jti = vg_strdup(vg_json_str(o, "jti"));
    const json_t *aud = json_object_get(o, "aud");
    if (json_is_string(aud)) {
        vg_strv_push(&c->auds, &c->nauds, json_string_value(aud));
    } else if (json_is_array(aud) && json_array_size(aud) <= VG_AUTH_ACCESS_MAX) {
        size_t i;
        const json_t *a;
        json_array_foreach (aud, i, a) {
            if (json_is_string(a)) {
                vg_strv_push(&c->auds, &c->nauds, json_string_value(a));
            }
        }
    }
    c->aud = vg_strdup(c->nauds ? c->auds[0] : NULL);
    if (!num(o, "exp", &c->exp)) {
        return vg_err_set(err, VG_E_PARSE, "token: no numeric 'exp'");
    }
    (void)num(o, "nbf", &c->nbf); /* optional (RFC 7519 §4.1.5): 0 means no lower bound */
    (void)num(o, "iat", &c->iat);
    return access_parse(c, json_object_get(o, "access"), err);
}

int
vg_auth_jwt_parse(struct vg_auth_claims *out, char **alg, char **kid, const char *token, size_t len,
                  struct vg_err **err)
{
    if (len > VG_AUTH_TOKEN_MAX) {
        return vg_err_set(err, VG_E_LIMIT, "token longer than %u bytes", VG_AUTH_TOKEN_MAX);
    }
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token))) {
        return vg_err_set(err, VG_E_PARSE, "token is not three base64url parts");
    }
    vg_autojson json_t *hdr = NULL;
    vg_autojson json_t *body = NULL;
    if (json_part(&hdr, token, (size_t)(d1 - token), JWT_HEADER_MAX, "header", err) < 0 ||
        json_part(&body, d1 + 1, (size_t)(d2 - d1 - 1), VG_AUTH_TOKEN_MAX, "claims", err) < 0) {
        return -(int)vg_err_code(*err);
    }
    const char *a = vg_json_str(hdr, "alg");
    if (!a) {
        return vg_err_set(err, VG_E_PARSE, "token header has no 'alg'");
    }
    struct vg_auth_claims c = {0};
    if (claims_parse(&c, body, err) < 0) {
        vg_auth_claims_dispose(&c);
        return -(int)vg_err_code(*err);
    }
    *alg = vg_strdup(a);
    *kid = vg_strdup(vg_json_str(hdr, "kid"));
    *out = c;
    return 0;
}

static int
check_claims(const struct vg_auth_claims *c, const char *issuer, const char *service, int64_t now,
             struct vg_err **err)
{
    if (!c->iss || strcmp(c->iss, issuer) != 0) {
        return vg_err_set(err, VG_E_AUTH, "token issued by someone else");
    }
    if (!vg_strv_has(c->auds, c->nauds, service)) {
        return vg_err_set(err, VG_E_AUTH, "token is for another service");
    }
    if (now >= c->exp + VG_AUTH_LEEWAY_S) {
        return vg_err_set(err, VG_E_AUTH, "token expired");
    }
    if (c->nbf && now + VG_AUTH_LEEWAY_S < c->nbf) {
        return vg_err_set(err, VG_E_AUTH, "token not valid yet");
    }
    return 0;
}

int
vg_auth_jwt_verify(struct vg_auth_claims *out, const struct vg_auth_signer *s, const char *token,
                   size_t len, const char *issuer, const char *service, int64_t now,
                   struct vg_err **err)
{
    struct vg_auth_claims c = {0};
    vg_autofree char *alg = NULL;
    vg_autofree char *kid = NULL;
    if (vg_auth_jwt_parse(&c, &alg, &kid, token, len, err) < 0) {
        return vg_err_wrap_code(err, VG_E_AUTH, "invalid token");
    }
    int rc = 0;
    const char *d2 = memrchr(token, '.', len);
    vg_autofree uint8_t *sig = NULL;
    size_t siglen = 0;
    if (strcmp(alg, "ES256") != 0) {
        vg_autofree char *e = vg_escape(alg, strlen(alg), 20);
        rc = vg_err_set(err, VG_E_AUTH, "invalid token: algorithm \"%s\" is not ES256", e);
    } else if (kid && strcmp(kid, s->kid) != 0) {
        rc = vg_err_set(err, VG_E_AUTH, "invalid token: signed by an unknown key");
    } else if (vg_auth__b64url_decode(&sig, &siglen, d2 + 1, len - (size_t)(d2 + 1 - token),
                                      "signature", err) < 0) {
        rc = vg_err_wrap_code(err, VG_E_AUTH, "invalid token");
    } else if (vg_crypto_es256_verify(s->key, token, (size_t)(d2 - token), sig, siglen, err) < 0) {
        rc = vg_err_wrap(err, "invalid token");
    } else {
        rc = check_claims(&c, issuer, service, now, err);
    }
    if (rc < 0) {
        vg_auth_claims_dispose(&c);
        return rc;
    }
    *out = c;
    return 0;
}
