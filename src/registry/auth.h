/* SPDX-License-Identifier: Apache-2.0
 *
 * registry/auth: who may do what on the registry, with no HTTP of its own. The spine
 * (registry/authz.h) hands each request's Authorization header, repository and needed actions
 * to vg_registry_auth_check and answers what it decides; GET /token is answered by
 * vg_registry_auth_token. Pieces (shared/docs/registry.md §2, docs/registry.md "Authentication"):
 *
 *   auth_header.c   Authorization header: Basic (RFC 7617) and Bearer (RFC 6750 token68)
 *   auth_htpasswd.c Apache htpasswd as docker-registry reads it: bcrypt entries only, reloaded
 *                   when the file changes, with a bounded cache of verified credentials
 *   auth_rules.c    config (`auth:`, `access:`, `immutable:`), repository globs, groups,
 *                   robot accounts, the grant of a subject, immutable tags
 *   auth_jwt.c      ES256 JWTs: scope strings, issuing and verifying (60 s leeway)
 *   auth_token.c    the token endpoint (Docker token flow) and the signing key file
 *   auth.c          the decision: credentials → subject → grant → allow / 401 / 403
 *
 * Error codes a caller may branch on: VG_E_PARSE (malformed header, token, file or config),
 * VG_E_LIMIT (input over a bound below), VG_E_UNSUPPORTED (another auth scheme, another JWT
 * algorithm), VG_E_AUTH (credentials or a token refused), VG_E_VERIFY (a bad signature),
 * VG_E_NOTFOUND / VG_E_IO (files).
 *
 * Thread safety: a struct vg_registry_auth is immutable after vg_registry_auth_new except for
 * the htpasswd table and its cache, which one mutex guards (never held across bcrypt); every
 * function here may be called from any number of request threads at once.
 * Secrets: passwords live in struct vg_secret (guarded memory) and are never logged; a token
 * is only ever logged by its jti.
 */
#ifndef VG_REGISTRY_AUTH_H
#define VG_REGISTRY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/core.h"
#include "crypto/crypto.h"

/* Actions on a repository (scope `repository:NAME:pull,push,delete`; `*` is all three) and
 * on the registry (`registry:catalog:*`). */
enum {
    VG_AUTH_PULL = 1u << 0,
    VG_AUTH_PUSH = 1u << 1,
    VG_AUTH_DELETE = 1u << 2,
    VG_AUTH_CATALOG = 1u << 3,
};
#define VG_AUTH_REPO_ALL (VG_AUTH_PULL | VG_AUTH_PUSH | VG_AUTH_DELETE)

/* Bounds on hostile input. */
#define VG_AUTH_HEADER_MAX        (8u * 1024u) /* one Authorization header value */
#define VG_AUTH_USER_MAX          256u         /* a user name, in bytes */
#define VG_AUTH_TOKEN_MAX         (8u * 1024u) /* a compact JWT */
#define VG_AUTH_SCOPES_MAX        16u          /* scope parameters of one token request */
#define VG_AUTH_ACCESS_MAX        32u          /* access entries in one token */
#define VG_AUTH_HTPASSWD_MAX      (4u * 1024u * 1024u)
#define VG_AUTH_HTPASSWD_LINE_MAX 4096u
#define VG_AUTH_CACHE_DEFAULT     1024u /* verified credentials remembered */
#define VG_AUTH_CACHE_TTL_MS      (10u * 60u * 1000u)
#define VG_AUTH_TOKEN_TTL_MS      (5u * 60u * 1000u)
#define VG_AUTH_TOKEN_TTL_PUSH_MS (15u * 60u * 1000u)          /* registry.md §6.4: long pushes */
#define VG_AUTH_REFRESH_TTL_MS    (7ull * 24u * 3600u * 1000u) /* `docker login`'s identity token */
#define VG_AUTH_FORM_MAX          (16u * 1024u)                /* a POST /token form body */
#define VG_AUTH_LEEWAY_S          60                           /* exp/nbf, as distribution */

/* "pull,push" for a mask, in that order; "" for 0. Static storage. */
const char *vg_auth_actions_str(unsigned actions);

/* ---------------------------------------------------------------- Authorization header */

enum vg_auth_scheme {
    VG_AUTH_SCHEME_BASIC = 1,
    VG_AUTH_SCHEME_BEARER,
};
struct vg_auth_cred {
    enum vg_auth_scheme scheme;
    char *user;                 /* Basic: never empty, no control characters */
    struct vg_secret *password; /* Basic: may be empty */
    char *token;                /* Bearer: token68 characters only */
};
/* Parses one Authorization value: the scheme (case-insensitive), one or more spaces, then
 * the credentials. Basic: base64 of "user:password" (split at the first ':'). Over
 * VG_AUTH_HEADER_MAX or a user over VG_AUTH_USER_MAX is VG_E_LIMIT; another scheme is
 * VG_E_UNSUPPORTED; anything malformed is VG_E_PARSE naming what. *out is untouched on
 * failure; on success release it with vg_auth_cred_dispose. */
VG_NODISCARD int vg_auth_header_parse(struct vg_auth_cred *out, const char *value, size_t len,
                                      struct vg_err **err);
void vg_auth_cred_dispose(struct vg_auth_cred *c);

/* ---------------------------------------------------------------- htpasswd */

struct vg_htpasswd_entry {
    char *user;
    char *hash; /* a bcrypt hash (vg_crypto_bcrypt_hash_valid) */
    unsigned line;
};
struct vg_htpasswd_file {
    struct vg_htpasswd_entry *v; /* sorted by user */
    size_t n;
    char **warnings; /* "FILE:LINE: ..." for each refused line */
    size_t nwarnings;
};
/* Parses htpasswd text: one "user:hash" per line, blank lines and lines starting with '#'
 * skipped, CRLF tolerated. Lines whose hash is not bcrypt ($2a$/$2b$/$2y$: MD5 $apr1$, {SHA},
 * crypt, plain) are refused with a warning naming the line and user (as docker-registry, which
 * only reads bcrypt); a repeated user keeps the first entry and warns. A line without ':', an
 * empty user, control characters, a line over VG_AUTH_HTPASSWD_LINE_MAX or a file over
 * VG_AUTH_HTPASSWD_MAX is an error naming FILE:LINE. name is what messages print. */
VG_NODISCARD int vg_htpasswd_parse(struct vg_htpasswd_file *out, const char *name, const void *data,
                                   size_t len, struct vg_err **err);
void vg_htpasswd_file_dispose(struct vg_htpasswd_file *f);
const struct vg_htpasswd_entry *vg_htpasswd_file_find(const struct vg_htpasswd_file *f,
                                                      const char *user);

/* A watched htpasswd file with a cache of verified credentials: the cache key is a keyed
 * BLAKE2b (per-process random key) of user, password and stored hash, so bcrypt runs once per
 * credential per TTL and a changed hash or password never hits. The file is re-read when its
 * inode, size or mtime change (compared at most every recheck_ms); a reload that fails keeps
 * the previous table (logged). Unknown users pay a bcrypt against a dummy hash of the same
 * cost, so timing does not reveal which users exist. */
struct vg_htpasswd;
struct vg_htpasswd_opts {
    size_t cache_max; /* 0: no cache */
    uint64_t cache_ttl_ms;
    uint64_t recheck_ms; /* how often the file's identity is compared */
};
#define VG_HTPASSWD_OPTS_INIT                                                                      \
    ((struct vg_htpasswd_opts){VG_AUTH_CACHE_DEFAULT, VG_AUTH_CACHE_TTL_MS, 1000u})
VG_NODISCARD int vg_htpasswd_open(struct vg_htpasswd **out, const char *path,
                                  const struct vg_htpasswd_opts *opts, struct vg_err **err);
void vg_htpasswd_free(struct vg_htpasswd *h);
/* *ok tells whether user/password match an entry. Errors only for failures of the check
 * itself (libcrypt). */
VG_NODISCARD int vg_htpasswd_check(struct vg_htpasswd *h, const char *user,
                                   const struct vg_secret *password, bool *ok, struct vg_err **err);
/* Whether user has a (bcrypt) entry, after re-reading a changed file: a refresh token's
 * subject must still exist. */
bool vg_htpasswd_has(struct vg_htpasswd *h, const char *user);
/* Counters for tests and /metrics: bcrypt runs, cache hits, reloads. */
struct vg_htpasswd_stats {
    uint64_t bcrypt_runs, cache_hits, reloads;
};
void vg_htpasswd_stats(struct vg_htpasswd *h, struct vg_htpasswd_stats *out);

/* ---------------------------------------------------------------- configuration */

struct vg_auth_rule {
    char **repos; /* globs (core/glob.h) over repository names */
    size_t nrepos;
    char **users;
    size_t nusers;
    char **groups;
    size_t ngroups;
    unsigned actions;   /* granted to the users and groups */
    unsigned anonymous; /* granted to everyone, authenticated or not */
    unsigned line;      /* in the config, for messages */
};
struct vg_auth_group {
    char *name;
    char **users;
    size_t nusers;
};
struct vg_auth_robot {
    char *name;
    char *hash;   /* bcrypt */
    char **repos; /* what its tokens may cover */
    size_t nrepos;
    unsigned actions;
    int64_t expires; /* unix seconds, 0: never */
};
struct vg_auth_config {
    char *htpasswd; /* path or NULL */
    /* token service: enabled when token is true */
    bool token;
    char *realm;   /* NULL: the server derives it from its address (…/token) */
    char *service; /* aud; default "vigil-registry" */
    char *issuer;  /* iss; default "vigil-registry" */
    char *key;     /* PEM key file; NULL: <root>/auth/token-key.pem, generated at first start */
    uint64_t ttl_ms, push_ttl_ms;
    uint64_t refresh_ttl_ms; /* refresh tokens (POST /token access_type=offline, offline_token) */
    struct vg_auth_group *groups;
    size_t ngroups;
    struct vg_auth_robot *robots;
    size_t nrobots;
    struct vg_auth_rule *rules;
    size_t nrules;
    char **immutable; /* repository globs whose tags are write-once */
    size_t nimmutable;
};
/* Reads the three top-level config keys (each node may be NULL when absent):
 *   auth:      {htpasswd: FILE, token: {realm, service, issuer, key, ttl, push-ttl,
 *               refresh-ttl} | true,
 *               groups: {NAME: [USER...]}, robots: [{name, password-hash, repos, actions,
 *               expires}]}
 *   access:    [{repos: [GLOB...], users: [...], groups: [...], actions: [pull,push,delete,
 *                catalog,"*"], anonymous: [pull...]}]
 *   immutable: [GLOB...]
 * Errors are VG_E_PARSE "FILE:LINE:COL: message" (unknown keys, unknown actions, a glob that
 * is not a repository pattern, a group that is not defined, a robot hash that is not bcrypt,
 * a robot name that is also a group). *out is zeroed first; dispose it on success or failure. */
VG_NODISCARD int vg_auth_config_parse(struct vg_auth_config *out, const struct vg_config_node *auth,
                                      const struct vg_config_node *access,
                                      const struct vg_config_node *immutable, struct vg_err **err);
void vg_auth_config_dispose(struct vg_auth_config *c);
/* True when any authentication or access rule is configured: then the default is deny. */
bool vg_auth_config_enabled(const struct vg_auth_config *c);

/* What the rules grant `user` (NULL: anonymous) on repository `repo` (mask of VG_AUTH_PULL,
 * PUSH, DELETE). Open (no auth configured): everything. */
unsigned vg_auth_rules_grant(const struct vg_auth_config *c, const char *user, const char *repo);
/* What the rules grant on the registry itself (VG_AUTH_CATALOG or 0). */
unsigned vg_auth_rules_grant_registry(const struct vg_auth_config *c, const char *user);
/* True when pushing `tag` in `repo` over an existing tag must be refused: repo matches an
 * `immutable` glob and the tag is not one of cosign's `sha256-<64 hex>.sig/.att/.sbom` tags nor
 * the referrers fallback tag `sha256-<64 hex>` (OCI distribution-spec, "Referrers Tag Schema"),
 * which are rewritten whenever a signature, attestation or referrer is added. */
bool vg_auth_tag_immutable(const struct vg_auth_config *c, const char *repo, const char *tag);

/* ---------------------------------------------------------------- scopes and JWTs */

struct vg_auth_access {
    char *type;       /* "repository" or "registry" */
    char *name;       /* repository name, or "catalog" */
    unsigned actions; /* requested or granted */
};
/* Parses one scope string "type:name:actions" (several space-separated scopes append
 * several entries), the type's "(class)" suffix ignored, splitting at the LAST ':' since
 * names may hold "host:port/". Unknown actions are dropped (not granted); unknown types and
 * names that are not valid repository names here are kept with no actions. A scope without
 * two ':' is VG_E_PARSE. At most VG_AUTH_SCOPES_MAX entries in *v (VG_E_LIMIT). */
VG_NODISCARD int vg_auth_scope_parse(struct vg_auth_access **v, size_t *n, const char *scope,
                                     struct vg_err **err);
void vg_auth_access_free(struct vg_auth_access *v, size_t n);

struct vg_auth_claims {
    char *iss, *sub, *aud, *jti; /* aud: what signing writes */
    char **auds;                 /* parsing: every audience (aud as a string or an array) */
    size_t nauds;
    int64_t iat, nbf, exp;
    struct vg_auth_access *access;
    size_t naccess;
};
void vg_auth_claims_dispose(struct vg_auth_claims *c);

/* The signing identity: an ECDSA P-256 key and its `kid`, computed as docker-registry's
 * libtrust does (base32 of the first 240 bits of SHA-256 over the DER SPKI, in 12
 * colon-separated groups of 4). */
struct vg_auth_signer {
    struct vg_crypto_key *key;
    char kid[64];
};
VG_NODISCARD int vg_auth_signer_init(struct vg_auth_signer *s, struct vg_crypto_key *key_take,
                                     struct vg_err **err);
void vg_auth_signer_dispose(struct vg_auth_signer *s);
/* Loads the PEM key at path, or, when it does not exist and generate is set, makes a P-256
 * key and writes it there exclusively with mode 0600 (creating the parent directory 0700). */
VG_NODISCARD int vg_auth_signer_load(struct vg_auth_signer *s, const char *path, bool generate,
                                     struct vg_err **err);
/* Signs the claims as a compact JWS: header {"alg":"ES256","kid":..,"typ":"JWT"}. Caller
 * frees *out. */
VG_NODISCARD int vg_auth_jwt_sign(char **out, const struct vg_auth_signer *s,
                                  const struct vg_auth_claims *c, struct vg_err **err);
/* Parses a compact JWS without checking anything but its shape (for fuzzing and for
 * vg_auth_jwt_verify): three base64url parts, a JSON header and claims. */
VG_NODISCARD int vg_auth_jwt_parse(struct vg_auth_claims *out, char **alg, char **kid,
                                   const char *token, size_t len, struct vg_err **err);
/* Verifies a token: alg exactly ES256, kid (when present) ours, the signature, iss == issuer,
 * aud == service (string or array), nbf - 60 s <= now < exp + 60 s. Failures are VG_E_AUTH
 * (VG_E_VERIFY for the signature) with a reason; the claims are filled only on success. */
VG_NODISCARD int vg_auth_jwt_verify(struct vg_auth_claims *out, const struct vg_auth_signer *s,
                                    const char *token, size_t len, const char *issuer,
                                    const char *service, int64_t now, struct vg_err **err);

/* ---------------------------------------------------------------- the authorizer */

struct vg_registry_auth;
struct vg_registry_auth_opts {
    const char *root;          /* storage root: where a generated token key goes */
    const char *default_realm; /* e.g. "http://127.0.0.1:5000/token" when config has none */
};
/* Takes ownership of *cfg (zeroed on return, success or not). Opens the htpasswd file and
 * the token key. */
VG_NODISCARD int vg_registry_auth_new(struct vg_registry_auth **out, struct vg_auth_config *cfg,
                                      const struct vg_registry_auth_opts *opts,
                                      struct vg_err **err);
void vg_registry_auth_free(struct vg_registry_auth *a);
const struct vg_auth_config *vg_registry_auth_config(const struct vg_registry_auth *a);
/* For start-up messages: "open (no authentication configured)", "htpasswd", "token". */
const char *vg_registry_auth_mode(const struct vg_registry_auth *a);

struct vg_registry_auth_req {
    const char *authorization; /* the header value, or NULL */
    const char *repo;          /* NULL for /v2/ itself and the catalog */
    unsigned actions;          /* needed on repo (or VG_AUTH_CATALOG); 0 for /v2/ */
    const char *mount_from;    /* cross-repository mount: pull is needed there too */
    const char *tag;           /* manifest PUT by tag (or ?tag=), else NULL */
    bool tag_exists;           /* that tag already points at a manifest */
    bool tag_same;             /* ... at the very manifest being pushed (an idempotent retry) */
    int64_t now;               /* unix seconds; 0: the clock */
};
enum vg_registry_auth_verdict {
    VG_REGISTRY_AUTH_ALLOW = 0,
    VG_REGISTRY_AUTH_UNAUTHORIZED, /* 401 UNAUTHORIZED + WWW-Authenticate */
    VG_REGISTRY_AUTH_DENIED,       /* 403 DENIED */
};
struct vg_registry_auth_result {
    enum vg_registry_auth_verdict verdict;
    char *subject;   /* who: the user, robot or token subject; NULL anonymous */
    char *challenge; /* UNAUTHORIZED: the WWW-Authenticate value */
    char *message;   /* UNAUTHORIZED, DENIED: the error body's message */
};
/* Decides one request. Never fails: malformed credentials are an UNAUTHORIZED verdict whose
 * message says why (without echoing secrets). Release the result with _dispose. */
void vg_registry_auth_check(struct vg_registry_auth *a, const struct vg_registry_auth_req *req,
                            struct vg_registry_auth_result *res);
void vg_registry_auth_result_dispose(struct vg_registry_auth_result *r);

/* GET /token (Docker token flow, registry.md §2.2): query is the raw query string
 * (service=, scope= repeated, account=, offline_token=, ...), authorization the header (Basic
 * credentials, or NULL for anonymous). 200: body is {"token","access_token","expires_in",
 * "issued_at"} (+ "refresh_token" for an authenticated offline_token=true) with the requested
 * actions intersected with the grant (a partial or empty grant is not an error); 401: wrong
 * credentials (challenge set); 400: a malformed request or another service (message set);
 * 404: the token service is not enabled. */
struct vg_registry_auth_token_resp {
    int status;
    char *body;             /* JSON; 200 only */
    char *challenge;        /* 401 only (GET) */
    char *message;          /* 400, 401, 404 */
    const char *oauth_code; /* POST errors: RFC 6749 §5.2 "error" (invalid_request, ...) */
};
void vg_registry_auth_token(struct vg_registry_auth *a, const char *query,
                            const char *authorization, int64_t now,
                            struct vg_registry_auth_token_resp *resp);
/* POST /token, the OAuth2 form (distribution's docs/spec/auth/oauth.md): form is the
 * application/x-www-form-urlencoded body (at most VG_AUTH_FORM_MAX bytes; '+' is a space):
 * grant_type `password` (username, password) or `refresh_token` (refresh_token), service and
 * client_id (required), access_type=offline (a refresh token is returned), scope (several
 * space-separated). 200: {"access_token","token","scope","expires_in","issued_at"} (+
 * "refresh_token"); 400 invalid_request / unsupported_grant_type; 401 invalid_grant (wrong
 * password, a refresh token that is forged, expired, for another service, or whose subject no
 * longer exists). A refresh token is a JWT signed like the access tokens but with the audience
 * "<service> refresh", so the registry never accepts one as an access token. */
void vg_registry_auth_token_post(struct vg_registry_auth *a, const void *form, size_t len,
                                 int64_t now, struct vg_registry_auth_token_resp *resp);
void vg_registry_auth_token_resp_dispose(struct vg_registry_auth_token_resp *r);

/* ---------------------------------------------------------------- the protocol hook */

/* Whether repo:tag exists: 1 yes, 0 no, < 0 with *err set (the store failed). */
typedef int (*vg_registry_auth_tag_fn)(void *ud, const char *repo, const char *tag,
                                       struct vg_err **err);
struct vg_registry_authz;
/* Fills *out (registry/authz.h) with an authorizer deciding through a (borrowed: it must
 * outlive the authorizer); out->free releases only the adapter. tag_exists (may be NULL: then
 * immutable tags are not enforced) is only called for a manifest PUT by tag in an immutable
 * repository. */
void vg_registry_auth_authz(struct vg_registry_authz *out, struct vg_registry_auth *a,
                            vg_registry_auth_tag_fn tag_exists, void *ud);
/* Adds GET and POST /token to h (before vg_httpd_start) when the token service is enabled; a
 * no-op otherwise. a must outlive h. */
struct vg_httpd;
VG_NODISCARD int vg_registry_auth_mount(struct vg_registry_auth *a, struct vg_httpd *h,
                                        struct vg_err **err);

#endif
