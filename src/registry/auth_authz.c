/* SPDX-License-Identifier: Apache-2.0
 *
 * The authorizer the protocol layer calls (registry/authz.h), backed by registry/auth: it maps
 * the hook's request onto vg_registry_auth_check and its verdicts back. Immutable tags need to
 * know whether the tag already exists; the server passes a lookup (the metadata store's
 * tag_resolve) since the decision itself does no I/O on the request. The hook runs before
 * the manifest body is read, so an identical re-push to an existing immutable tag is refused
 * too (documented in docs/registry.md).
 */
#include "auth_int.h"

#include <string.h>

#include "registry/authz.h"

struct adapter {
    struct vg_registry_auth *auth; /* borrowed */
    vg_registry_auth_tag_fn tag_exists;
    void *tag_ud;
};

static int
adapter_check(void *ud, const struct vg_registry_authz_req *req, struct vg_registry_authz_res *res,
              struct vg_err **err)
{
    struct adapter *ad = ud;
    struct vg_registry_auth_req q = {
        .authorization = req->authorization,
        .repo = req->repo,
        .actions = req->actions & (VG_AUTH_REPO_ALL | VG_AUTH_CATALOG),
        .tag = req->tag,
    };
    if (req->repo && req->tag && ad->tag_exists &&
        vg_auth_tag_immutable(&ad->auth->cfg, req->repo, req->tag)) {
        int rc = ad->tag_exists(ad->tag_ud, req->repo, req->tag, err);
        if (rc < 0) {
            return vg_err_wrap(err, "immutable tag check");
        }
        q.tag_exists = rc > 0;
    }
    struct vg_registry_auth_result r;
    vg_registry_auth_check(ad->auth, &q, &r);
    static const enum vg_registry_verdict map[] = {
        [VG_REGISTRY_AUTH_ALLOW] = VG_REGISTRY_ALLOW,
        [VG_REGISTRY_AUTH_UNAUTHORIZED] = VG_REGISTRY_CHALLENGE,
        [VG_REGISTRY_AUTH_DENIED] = VG_REGISTRY_DENY,
    };
    res->verdict = map[r.verdict];
    res->user = vg_steal_ptr(&r.subject);
    res->challenge = vg_steal_ptr(&r.challenge);
    res->message = vg_steal_ptr(&r.message);
    vg_registry_auth_result_dispose(&r);
    return 0;
}

/* The catalog lists what the caller may pull, by the rules (for a Bearer token, its subject's
 * rules: a token's `access` claim names only the repositories it was requested for). */
static bool
adapter_visible(void *ud, const char *user, const char *repo)
{
    struct adapter *ad = ud;
    return (vg_auth_rules_grant(&ad->auth->cfg, user, repo) & VG_AUTH_PULL) != 0;
}

static void
adapter_free(void *ud)
{
    free(ud);
}

_Static_assert((unsigned)VG_AUTH_PULL == (unsigned)VG_REGISTRY_PULL &&
                   (unsigned)VG_AUTH_PUSH == (unsigned)VG_REGISTRY_PUSH &&
                   (unsigned)VG_AUTH_DELETE == (unsigned)VG_REGISTRY_DELETE &&
                   (unsigned)VG_AUTH_CATALOG == (unsigned)VG_REGISTRY_CATALOG,
               "registry/auth.h and registry/authz.h name the same action bits");

void
vg_registry_auth_authz(struct vg_registry_authz *out, struct vg_registry_auth *a,
                       vg_registry_auth_tag_fn tag_exists, void *ud)
{
    struct adapter *ad = vg_calloc(1, sizeof(*ad));
    *ad = (struct adapter){a, tag_exists, ud};
    *out = (struct vg_registry_authz){
        .name = a->enabled ? (a->cfg.token ? "token" : "htpasswd") : "open",
        .check = adapter_check,
        .free = adapter_free,
        .ud = ad,
        .visible = a->enabled ? adapter_visible : NULL,
    };
}
