/* SPDX-License-Identifier: Apache-2.0
 *
 * registry authorization hook: the one place the request path asks "may this request run?".
 * Before every handler, the protocol layer calls the authorizer with what the request needs
 * (the repository and the actions pull/push/delete, the tag for a manifest PUT, the catalog
 * for /v2/_catalog, nothing for the /v2/ ping) and acts on the verdict:
 *   ALLOW      run the handler (user, if set, is logged as who acted);
 *   CHALLENGE  401 UNAUTHORIZED with `challenge` as WWW-Authenticate;
 *   DENY       403 DENIED with `message` (say why: "tag v1 of prod/app is immutable").
 * A cross-repository mount asks twice: push on the target, then pull on the source; a source
 * that is not allowed turns the mount into an ordinary upload (202), as the spec says.
 *
 * The authorizer is a pure decision: no I/O on the request, no response of its own. The
 * default (vg_registry_authz_open) allows everything; htpasswd, tokens, access rules and
 * immutable tags plug in as another vg_registry_authz (registry/auth*.c).
 *
 * Thread safety: check() is called concurrently from every server thread.
 */
#ifndef VG_REGISTRY_AUTHZ_H
#define VG_REGISTRY_AUTHZ_H

#include "core/core.h"

enum vg_registry_action {
    VG_REGISTRY_PULL = 1u << 0,
    VG_REGISTRY_PUSH = 1u << 1,
    VG_REGISTRY_DELETE = 1u << 2,
    VG_REGISTRY_CATALOG = 1u << 3, /* registry:catalog:* (repo is NULL) */
};

struct vg_registry_authz_req {
    const char *method;        /* "GET", "PUT", ... */
    const char *path;          /* as sent, without the query */
    const char *authorization; /* the Authorization header or NULL; never log it */
    const char *remote;        /* client address */
    const char *repo;          /* NULL for /v2/ and the catalog */
    unsigned actions;          /* VG_REGISTRY_* mask; 0 for /v2/ (authentication only) */
    const char *tag;           /* manifest PUT by tag (or ?tag=), else NULL */
};

enum vg_registry_verdict {
    VG_REGISTRY_ALLOW = 0,
    VG_REGISTRY_CHALLENGE, /* 401 */
    VG_REGISTRY_DENY,      /* 403 */
};

struct vg_registry_authz_res {
    enum vg_registry_verdict verdict;
    char *user;      /* who the request acts as, or NULL (anonymous); owned */
    char *challenge; /* CHALLENGE: the WWW-Authenticate value; owned */
    char *message;   /* CHALLENGE, DENY: the error message; owned */
};
void vg_registry_authz_res_dispose(struct vg_registry_authz_res *res);

struct vg_registry_authz {
    const char *name; /* "open", "htpasswd", "token": logged at start */
    /* Fills *res (zeroed by the caller). < 0 only for a failure of the authorizer itself
     * (answered 500 with the request id); a refusal is a verdict, not an error. */
    int (*check)(void *ud, const struct vg_registry_authz_req *req,
                 struct vg_registry_authz_res *res, struct vg_err **err);
    void (*free)(void *ud); /* may be NULL */
    void *ud;
    /* May be NULL (every repository is listed). Whether `user` (who check() said acts; NULL:
     * anonymous) may see repository `repo` in /v2/_catalog, asked once per listed repository
     * after check() allowed the catalog itself: the catalog lists only what the caller may
     * pull (shared/docs/registry.md §1.7). A pure decision, like check(). */
    bool (*visible)(void *ud, const char *user, const char *repo);
};

/* The default: no authentication, every action allowed. */
const struct vg_registry_authz *vg_registry_authz_open(void);

#endif
