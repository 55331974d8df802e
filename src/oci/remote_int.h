/* SPDX-License-Identifier: Apache-2.0
 *
 * Internal to oci/: the registry client's state shared by registry.c (reads and the image
 * source), remote_auth.c (challenges, tokens, the authenticated request loop) and
 * remote_push.c (writes).
 */
#ifndef VG_OCI_REGISTRY_INT_H
#define VG_OCI_REGISTRY_INT_H

#include <pthread.h>

#include "net/net.h"
#include "oci.h"

#define VG_OCI_REMOTE_TOKEN_CACHE    8u
#define VG_OCI_REMOTE_TOKEN_MARGIN_S 10 /* renew a token this long before it expires */

enum vg_oci_remote_auth_mode { VG_RAUTH_NONE = 0, VG_RAUTH_BASIC, VG_RAUTH_BEARER };

struct vg_oci_remote_token {
    char *scope;
    char *token; /* wiped on free */
    int64_t expires_at;
};

struct vg_oci_remote_client {
    struct vg_oci_remote_pool *pool; /* borrowed; NULL for a standalone client */
    struct vg_http_client *http;
    char *registry; /* as in the reference: "docker.io", "127.0.0.1:5000" */
    char *host;     /* API host: "registry-1.docker.io" */
    char *repo;
    bool plain_http;
    /* Guards the authentication state below (creds through ntokens; remote_auth.c), so that
     * threads reading distinct blobs of one image share the client (oci.h). Held across a token
     * fetch: one fetch per client at a time. Taken before the pool's lock, never after it. */
    pthread_mutex_t auth_mu;
    struct vg_oci_remote_creds creds;
    bool have_creds;
    bool creds_loaded;   /* config.json (and its credential helper) consulted yet */
    char *docker_config; /* where to look for it; NULL: $DOCKER_CONFIG or ~/.docker */
    enum vg_oci_remote_auth_mode mode;
    char *realm, *service; /* from the Bearer challenge */
    struct vg_oci_remote_token tokens[VG_OCI_REMOTE_TOKEN_CACHE];
    size_t ntokens;
};

/* "<scheme>://<host>/v2/<repo>/<kind>[/<ref>]": a plain join, nothing checked (URL shapes in
 * tests). Requests are built with vg_oci_remote_route_url. */
/* True when registry is an entry of list ("host:port,host,...", case-insensitive; NULL: none):
 * the open option plain_http_registries (remote_pool.c). */
bool vg_oci_remote_registry_listed(const char *list, const char *registry);
char *vg_oci_remote_build_url(bool plain_http, const char *host, const char *repo, const char *kind,
                              const char *ref);
char *vg_oci_remote_url(const struct vg_oci_remote_client *c, const char *kind, const char *ref);
/* "<scheme>://<host>" + the route's target (dist.h: every part checked against the protocol's
 * grammar, VG_E_USAGE otherwise). route->name defaults to the client's repository. */
int vg_oci_remote_route_url(const struct vg_oci_remote_client *c,
                            const struct vg_oci_dist_route *route, char **out, struct vg_err **err);
/* Credentials from config.json, looked up on the first 401 (so a credential helper runs only
 * for registries that ask for credentials); --creds is taken at client creation. */
int vg_oci_remote_creds_ensure(struct vg_oci_remote_client *c, struct vg_err **err);
/* "repository:<repo>:pull" or ":pull,push". */
char *vg_oci_remote_scope(const struct vg_oci_remote_client *c, bool push);

/* A request with authentication handled (anonymous, then one answer to a 401 challenge).
 * Succeeds for any final status except 401 (VG_E_AUTH). */
int vg_oci_remote_do(struct vg_oci_remote_client *c, const struct vg_http_req *req, bool push,
                     struct vg_http_resp *resp, struct vg_err **err);
/* The Authorization line for a request in this scope as far as the client knows the registry's
 * scheme so far (fetching a Bearer token when one is due); NULL when going anonymous. Free with
 * vg_http_secret_free. */
int vg_oci_remote_auth_line(struct vg_oci_remote_client *c, bool push, char **out,
                            struct vg_err **err);
/* req's headers plus `auth` (may be NULL) in a new array (free it; the strings stay owned by
 * their owners); *n gets the count. */
const char **vg_oci_remote_with_auth(const struct vg_http_req *req, const char *auth, size_t *n);
/* The same for a streamed GET; the stream is returned only for a 2xx status. */
int vg_oci_remote_stream(struct vg_oci_remote_client *c, const struct vg_http_req *req, bool push,
                         struct vg_http_stream **out, struct vg_err **err);
/* Error for an unexpected status: parses the registry's {"errors":[...]} body when present. */
int vg_oci_remote_status_error(struct vg_oci_remote_client *c, const char *what, long status,
                               const struct vg_buf *body, struct vg_err **err);
/* The user-facing "authentication required" error (no credentials) / "refused". */
int vg_oci_remote_auth_error(struct vg_oci_remote_client *c, long status, struct vg_err **err);
void vg_oci_remote_auth_reset(struct vg_oci_remote_client *c);

/* ---------------------------------------------------------------- pool (remote_pool.c) */

/* Tokens of a pool, keyed by (registry, scope). _get copies the Bearer line of a valid token
 * (the scope asked, or push_scope which also serves pulls) into *line and answers HIT; when
 * none is valid and no other thread is fetching the scope it marks the scope as being fetched
 * by the caller and answers FETCH (the caller then fetches and calls _put, or _abandon on
 * failure); when another thread is fetching, it waits for that thread. */
enum vg_oci_remote_pool_answer { VG_POOL_HIT, VG_POOL_FETCH };
enum vg_oci_remote_pool_answer vg_oci_remote_pool_token_get(struct vg_oci_remote_pool *p,
                                                            const char *registry, const char *scope,
                                                            const char *push_scope, char **line);
/* Stores a fetched token (takes it; wiped on release) and wakes the waiters. */
void vg_oci_remote_pool_token_put(struct vg_oci_remote_pool *p, const char *registry,
                                  const char *scope, char *token, uint64_t expires_in);
void vg_oci_remote_pool_token_abandon(struct vg_oci_remote_pool *p, const char *registry,
                                      const char *scope);
/* Forgets a token the registry refused. */
void vg_oci_remote_pool_token_drop(struct vg_oci_remote_pool *p, const char *registry,
                                   const char *scope);

/* Bearer challenge handling, exposed for tests: picks the challenge to answer from the
 * WWW-Authenticate values and updates c (mode, realm, service). */
int vg_oci_remote_auth_choose(struct vg_oci_remote_client *c, const char *const *values, size_t n,
                              struct vg_err **err);

/* A credential helper's answer on stdout (`docker-credential-<name> get`), untrusted bytes:
 * {"ServerURL","Username","Secret"} (field names matched without regard to case, as Go's
 * decoder does; a name given twice is refused), at most 64 KiB. Username "<token>" makes Secret
 * an identity token; an answer with neither leaves *found false. VG_E_PARSE for anything else
 * (not an object, non-string fields, control characters, a Secret without a Username); secrets
 * never go into messages. out must be zeroed; the parsed tree is wiped before it is freed. */
VG_NODISCARD int vg_oci_remote_creds_from_helper_answer(struct vg_oci_remote_creds *out,
                                                        bool *found, const void *data, size_t len,
                                                        struct vg_err **err);

/* One page of a tag list ({"name":…,"tags":[…]}, at most 4 MiB): appends its tags to
 * *tags / *n (vg_strv_free). VG_E_PARSE for malformed JSON or a non-string entry, VG_E_LIMIT past
 * VG_OCI_REMOTE_TAGS_MAX tags in all. */
VG_NODISCARD int vg_oci_remote_tags_page_parse(const void *body, size_t len, char ***tags,
                                               size_t *n, struct vg_err **err);
/* The absolute URL of the page after cur from a response's Link header (rel="next", resolved
 * against cur; link may be NULL), or *out = NULL on the last page. A link leaving cur's origin
 * is refused (VG_E_NET), a malformed one is an error naming `what`. */
VG_NODISCARD int vg_oci_remote_page_next(const char *cur, const char *link, char **out,
                                         const char *what, struct vg_err **err);

#endif
