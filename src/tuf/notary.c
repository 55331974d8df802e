/* SPDX-License-Identifier: Apache-2.0
 *
 * Docker Content Trust on the TUF client: a Notary v1 repository is named by its GUN
 * ("docker.io/library/nginx"), served under <server>/v2/<gun>/_trust/tuf/, and cached where
 * docker keeps it, <trust dir>/tuf/<gun>/metadata/ (trust dir: $DOCKER_CONFIG/trust or
 * ~/.docker/trust). The first root seen is pinned there (trust on first use, as docker does)
 * and every later update must chain from it. A tag is looked up as docker does: the
 * "targets/releases" delegation first, then the full search from "targets".
 *
 * It does not talk to registries: comparing a tag's target with the manifest is the caller's
 * (the CLI has the registry client).
 */
#include "tuf_int.h"

#include <inttypes.h>

#include "crypto/crypto.h"
#include "net/net.h"

struct vg_tuf_notary {
    struct vg_http_client *http;
    struct vg_tuf_fetcher fetcher;
    struct vg_tuf_auth *auth;
    struct vg_tuf_client *tuf;
    char *gun;
};

char *
vg_tuf_notary_trust_dir(void)
{
    const char *dc = getenv("DOCKER_CONFIG");
    if (dc && *dc) {
        return vg_fmt("%s/trust", dc);
    }
    const char *home = getenv("HOME");
    return vg_fmt("%s/.docker/trust", home && *home ? home : ".");
}

static bool
gun_ok(const char *gun)
{
    if (!*gun || strlen(gun) > VG_TUF_ROLE_NAME_MAX || gun[0] == '/' || strstr(gun, "..") ||
        strstr(gun, "//")) {
        return false;
    }
    for (const char *p = gun; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr("._-/:", *p);
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Notary's rule for root keys (its certificate-based trust pinning): the root role's keys are
 * certificates whose common name is the GUN and that are within their validity period; at
 * least the root threshold of them must be. It is what stops a first-use root for another
 * repository from being pinned for this one. */
static int
check_root_certs(const struct vg_tuf_client *c, const char *gun, int64_t now, struct vg_err **err)
{
    const struct vg_tuf_meta *root = vg_tuf_client_meta(c, "root");
    const struct vg_tuf_role *role = &root->roles[VG_TUF_ROOT - 1];
    uint64_t valid = 0;
    for (size_t i = 0; i < role->nkeyids; i++) {
        for (size_t k = 0; k < root->nkeys; k++) {
            const struct vg_tuf_key *key = &root->keys[k];
            if (strcmp(key->keyid, role->keyids[i]) != 0) {
                continue;
            }
            if (key->is_cert && key->cert_cn && strcmp(key->cert_cn, gun) == 0 &&
                key->cert_not_before <= now && now < key->cert_not_after) {
                valid++;
            }
            break;
        }
    }
    if (valid < role->threshold) {
        return vg_err_set(err, VG_E_VERIFY,
                          "root certificates: %" PRIu64 " of %" PRIu64
                          " required are valid for %s (common name = GUN, within their validity)",
                          valid, role->threshold, gun);
    }
    return 0;
}

int
vg_tuf_notary_open(struct vg_tuf_notary **out, const struct vg_tuf_notary_opts *o,
                   struct vg_err **err)
{
    if (!o->server || !o->gun) {
        return vg_err_set(err, VG_E_USAGE, "notary: a server URL and a GUN are required");
    }
    if (!vg_cstr_startswith(o->server, "https://")) {
        /* docker's rule: trust data only over TLS */
        vg_autofree char *e = vg_escape(o->server, strlen(o->server), 128);
        return vg_err_set(err, VG_E_USAGE, "valid https URL required for trust server, got %s", e);
    }
    if (!gun_ok(o->gun)) {
        vg_autofree char *e = vg_escape(o->gun, strlen(o->gun), 128);
        return vg_err_set(err, VG_E_USAGE, "notary: \"%s\" is not a valid GUN", e);
    }
    struct vg_tuf_notary *n = vg_calloc(1, sizeof(*n));
    n->gun = vg_strdup(o->gun);
    struct vg_http_client_opts ho = VG_HTTP_CLIENT_OPTS_INIT;
    ho.insecure = o->insecure;
    ho.ca_file = o->ca_file;
    ho.deadline_ns = o->deadline_ns;
    vg_autofree char *trust_dir =
        o->trust_dir ? vg_strdup(o->trust_dir) : vg_tuf_notary_trust_dir();
    vg_autofree char *cache = vg_fmt("%s/tuf/%s/metadata", trust_dir, o->gun);
    vg_autofree char *server = vg_strdup(o->server);
    for (size_t len = strlen(server); len > 0 && server[len - 1] == '/'; len--) {
        server[len - 1] = '\0';
    }
    vg_autofree char *base = vg_fmt("%s/v2/%s/_trust/tuf", server, o->gun);
    struct vg_tuf_client_opts co = VG_TUF_CLIENT_OPTS_INIT;
    co.dialect = VG_TUF_DIALECT_NOTARY;
    co.cache_dir = cache;
    co.tofu = true;
    co.now = o->now;
    if (vg_http_client_new(&n->http, &ho, err) < 0 ||
        vg_tuf_fetcher_http(&n->fetcher, n->http, base, err) < 0 ||
        (n->auth = vg_tuf__auth_new(n->http, o->gun, false, o),
         vg_tuf__fetcher_http_auth(&n->fetcher, n->auth), co.fetcher = n->fetcher,
         vg_tuf_client_new(&n->tuf, &co, err)) < 0 ||
        vg_tuf_client_update(n->tuf, err) < 0 ||
        check_root_certs(n->tuf, o->gun, o->now ? o->now : vg_now_unix(), err) < 0) {
        vg_tuf_notary_free(n);
        return vg_err_wrap(err, "trust data for %s", o->gun);
    }
    *out = n;
    return 0;
}

void
vg_tuf_notary_free(struct vg_tuf_notary *n)
{
    if (!n) {
        return;
    }
    vg_tuf_client_free(n->tuf);
    vg_tuf_fetcher_http_free(&n->fetcher);
    vg_tuf__auth_free(n->auth);
    vg_http_client_free(n->http);
    free(n->gun);
    free(n);
}

struct vg_tuf_client *
vg_tuf_notary_client(const struct vg_tuf_notary *n)
{
    return n->tuf;
}

int
vg_tuf_notary_tag(struct vg_tuf_notary *n, const char *tag, const struct vg_tuf_target **out,
                  const char **role, struct vg_err **err)
{
    const struct vg_tuf_meta *targets = vg_tuf_client_meta(n->tuf, "targets");
    bool has_releases = false;
    for (size_t i = 0; targets && i < targets->ndelegations; i++) {
        has_releases |= strcmp(targets->delegations[i].name, "targets/releases") == 0;
    }
    if (has_releases) {
        if (vg_tuf_client_load_delegations(n->tuf, err) < 0) {
            return vg_err_wrap(err, "trust data for %s", n->gun);
        }
        const struct vg_tuf_meta *rel = vg_tuf_client_meta(n->tuf, "targets/releases");
        const struct vg_tuf_target *t = vg_tuf_meta_target(rel, tag);
        if (t) {
            *out = t;
            if (role) {
                *role = "targets/releases";
            }
            return 0;
        }
    }
    if (vg_tuf_client_target(n->tuf, tag, out, role, err) < 0) {
        if (vg_err_code(*err) == VG_E_NOTFOUND) {
            vg_err_free(err);
            vg_autofree char *e = vg_escape(tag, strlen(tag), 128);
            return vg_err_set(err, VG_E_NOTFOUND, "no trust data for %s:%s", n->gun, e);
        }
        return -1;
    }
    return 0;
}
