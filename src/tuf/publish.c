/* SPDX-License-Identifier: Apache-2.0
 *
 * Publishing to a Notary v1 server, docker trust's way: the repository's verified metadata is
 * opened (notary.c: pinned root, full update), edited as JSON (`signed` objects), the changed
 * roles are re-signed with keys from the trust directory, and the signed files go to the
 * server in one multipart POST to <server>/v2/<gun>/_trust/tuf/ (one form file "files" per
 * role, the role name as its file name), which validates them against what it holds and
 * signs a new timestamp (and the snapshot when it manages the snapshot key). A new repository
 * gets a root key (an existing root key of the trust directory, else a new one) behind a
 * self-signed certificate naming the GUN, a targets key, and the server's timestamp and
 * snapshot keys (GET .../timestamp.key and snapshot.key): the snapshot is managed remotely,
 * as `docker trust signer add` and `docker trust sign` initialise repositories. When the
 * trust directory holds the repository's snapshot key (a repository `notary init` made), the
 * snapshot is signed here.
 *
 * Metadata lifetimes are notary's defaults (root 10 years, targets, delegations and snapshot
 * 3 years). Only ECDSA and Ed25519 keys sign. It does not talk to registries (the caller
 * gives a target's length and digest).
 */
#include "publish_int.h"

#include <inttypes.h>
#include <time.h>

#include "crypto/crypto.h"
#include "net/net.h"

char *
vg_tuf__pub_expires(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return vg_strdup(buf);
}

json_t *
vg_tuf__pub_signed_json(const struct vg_tuf_meta *m, struct vg_err **err)
{
    json_t *j = NULL;
    if (vg_json_parse(&j, m->signed_bytes, m->signed_len, m->signed_len + 1, "metadata", err) < 0) {
        return NULL;
    }
    return j;
}

struct edit *
vg_tuf__pub_edit_find(struct vg_tuf_repo *r, const char *name)
{
    for (size_t i = 0; i < r->nedits; i++) {
        if (strcmp(r->edits[i].name, name) == 0) {
            return &r->edits[i];
        }
    }
    return NULL;
}

static struct edit *
edit_add(struct vg_tuf_repo *r, const char *name, json_t *sig)
{
    r->edits = vg_reallocarray(r->edits, r->nedits + 1, sizeof(*r->edits));
    struct edit *e = &r->edits[r->nedits++];
    e->name = vg_strdup(name);
    e->sig = sig;
    e->dirty = false;
    return e;
}

static json_t *
new_targets(void)
{
    json_t *t = json_object();
    vg_json_set_str(t, "_type", "Targets");
    json_t *del = json_object();
    vg_json_set_take(del, "keys", json_object());
    vg_json_set_take(del, "roles", json_array());
    vg_json_set_take(t, "delegations", del);
    vg_json_set_take(t, "targets", json_object());
    json_object_set_new(t, "version", json_integer(0));
    return t;
}

static void
collect(void *payload, const char *role, const struct vg_tuf_meta *m)
{
    struct vg_tuf_repo *r = payload;
    struct vg_err *e = NULL;
    json_t *j = vg_tuf__pub_signed_json(m, &e);
    vg_err_free(&e); /* it parsed once already: cannot fail */
    if (j) {
        edit_add(r, role, j);
    }
}

void
vg_tuf_repo_free(struct vg_tuf_repo *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->nedits; i++) {
        free(r->edits[i].name);
        json_decref(r->edits[i].sig);
    }
    free(r->edits);
    json_decref(r->root_sig);
    json_decref(r->snapshot_sig);
    vg_crypto_key_free(r->root_key);
    vg_tuf_notary_free(r->notary);
    vg_tuf__auth_free(r->auth);
    vg_http_client_free(r->http);
    free(r->gun);
    free(r->trust_dir);
    free(r->base);
    free(r);
}

int
vg_tuf_repo_open(struct vg_tuf_repo **out, const struct vg_tuf_notary_opts *o,
                 const struct vg_tuf_pass *pass, struct vg_err **err)
{
    struct vg_tuf_repo *r = vg_calloc(1, sizeof(*r));
    r->gun = vg_strdup(o->gun);
    r->trust_dir = o->trust_dir ? vg_strdup(o->trust_dir) : vg_tuf_notary_trust_dir();
    r->pass = pass;
    r->now = o->now ? o->now : vg_now_unix();
    vg_autofree char *server = vg_strdup(o->server ? o->server : "");
    for (size_t len = strlen(server); len > 0 && server[len - 1] == '/'; len--) {
        server[len - 1] = '\0';
    }
    r->base = vg_fmt("%s/v2/%s/_trust/tuf", server, o->gun);
    struct vg_http_client_opts ho = VG_HTTP_CLIENT_OPTS_INIT;
    ho.insecure = o->insecure;
    ho.ca_file = o->ca_file;
    ho.deadline_ns = o->deadline_ns;
    struct vg_tuf_notary_opts no = *o;
    no.trust_dir = r->trust_dir;
    if (vg_http_client_new(&r->http, &ho, err) < 0) {
        vg_tuf_repo_free(r);
        return -1;
    }
    r->auth = vg_tuf__auth_new(r->http, o->gun, true, o);
    if (vg_tuf_notary_open(&r->notary, &no, err) < 0) {
        if (vg_err_root_code(*err) != VG_E_NOTFOUND) {
            vg_tuf_repo_free(r);
            return -1;
        }
        vg_err_free(err);
        r->notary = NULL;
        *out = r;
        return 0;
    }
    struct vg_tuf_client *c = vg_tuf_notary_client(r->notary);
    if (vg_tuf_client_load_delegations(c, err) < 0) {
        vg_tuf_repo_free(r);
        return vg_err_wrap(err, "trust data for %s", o->gun);
    }
    vg_tuf_client_each_targets(c, collect, r);
    const struct vg_tuf_meta *snap = vg_tuf_client_meta(c, "snapshot");
    if (!vg_tuf__pub_edit_find(r, "targets") || !snap ||
        !(r->snapshot_sig = vg_tuf__pub_signed_json(snap, err))) {
        vg_tuf_repo_free(r);
        return err && *err ? -1 : vg_err_set(err, VG_E_INTERNAL, "trust data: no targets");
    }
    *out = r;
    return 0;
}

bool
vg_tuf_repo_exists(const struct vg_tuf_repo *r)
{
    return r->notary || r->root_sig;
}

/* ---------------------------------------------------------------- keys */

/* The id under which the private key of a listed key is stored: the listed id, or for a
 * certificate ("-x509" types) the id of the certificate's public key (notary's canonical id). */
static int
canonical_id(char out[65], const char *keyid, const json_t *keyobj, struct vg_err **err)
{
    const char *kt = vg_json_str(keyobj, "keytype");
    const json_t *kv = vg_json_obj(keyobj, "keyval");
    const char *pub = kv ? vg_json_str(kv, "public") : NULL;
    if (!kt || !pub) {
        return vg_err_set(err, VG_E_PARSE, "key %.64s: no keytype or public value", keyid);
    }
    if (!vg_cstr_endswith(kt, "-x509")) {
        snprintf(out, 65, "%s", keyid);
        return 0;
    }
    vg_autofree uint8_t *pem = NULL;
    size_t n = 0;
    vg_autox509 struct vg_x509 *x = NULL;
    vg_autokey struct vg_crypto_key *k = NULL;
    if (vg_base64_decode(&pem, &n, pub, strlen(pub), false, err) < 0 ||
        vg_x509_parse(&x, pem, n, err) < 0 || vg_x509_public_key(&k, x, err) < 0) {
        return vg_err_wrap(err, "key %.64s", keyid);
    }
    return vg_tuf_key_id(out, k, err);
}

/* The first key of keyids (looked up in keys, a "keys" object) whose private key the trust
 * directory holds: 1 and *key, *sig_id (the listed id) set; 0 when none. */
int
vg_tuf__pub_signing_key(struct vg_crypto_key **key, char sig_id[65], const struct vg_tuf_repo *r,
                        const json_t *keyids, const json_t *keys, struct vg_err **err)
{
    size_t i;
    json_t *v;
    json_array_foreach (keyids, i, v) {
        const char *id = json_string_value(v);
        const json_t *obj = id ? json_object_get(keys, id) : NULL;
        char cid[65];
        if (!obj || canonical_id(cid, id, obj, err) < 0) {
            if (err && *err) {
                return -1;
            }
            continue;
        }
        if (!vg_tuf_keystore_has(r->trust_dir, cid)) {
            continue;
        }
        if (vg_tuf_keystore_get(key, r->trust_dir, cid, r->pass, err) < 0) {
            return -1;
        }
        snprintf(sig_id, 65, "%s", id);
        return 1;
    }
    return 0;
}

bool
vg_tuf__pub_holds_key(const struct vg_tuf_repo *r, const json_t *keyids, const json_t *keys)
{
    size_t i;
    json_t *v;
    json_array_foreach (keyids, i, v) {
        const char *id = json_string_value(v);
        const json_t *obj = id ? json_object_get(keys, id) : NULL;
        char cid[65];
        struct vg_err *e = NULL;
        if (!obj || canonical_id(cid, id, obj, &e) < 0) {
            vg_err_free(&e);
            continue;
        }
        if (vg_tuf_keystore_has(r->trust_dir, cid)) {
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------------- initialisation */

static int
fetch_server_key(json_t **out, char id[65], struct vg_tuf_repo *r, const char *role,
                 struct vg_err **err)
{
    vg_autofree char *url = vg_fmt("%s/%s.key", r->base, role);
    struct vg_http_req req = {.url = url, .max_body = 64 * 1024};
    struct vg_http_resp resp = {0};
    int rc = vg_tuf__auth_do(r->auth, &req, &resp, err);
    if (rc == 0) {
        rc = vg_http_check_status("GET", url, resp.status, &resp.body, err);
    }
    json_t *j = NULL;
    if (rc == 0 && vg_json_parse(&j, resp.body.data, resp.body.len, 64 * 1024, "key", err) < 0) {
        rc = -1;
    }
    vg_http_resp_dispose(&resp);
    if (rc < 0) {
        return vg_err_wrap(err, "the server's %s key", role);
    }
    const char *kt = vg_json_str(j, "keytype");
    const json_t *kv = vg_json_obj(j, "keyval");
    const char *pub = kv ? vg_json_str(kv, "public") : NULL;
    if (!kt || !pub || vg_tuf_key_id_of(id, kt, pub, err) < 0) {
        json_decref(j);
        if (err && *err) {
            return vg_err_wrap(err, "the server's %s key", role);
        }
        return vg_err_set(err, VG_E_PARSE, "the server's %s key: no keytype or public value", role);
    }
    *out = vg_tuf_key_json(kt, pub);
    json_decref(j);
    return 0;
}

static json_t *
role_json(const char *id)
{
    json_t *role = json_object();
    json_t *ids = json_array();
    json_array_append_new(ids, json_string(id));
    vg_json_set_take(role, "keyids", ids);
    json_object_set_new(role, "threshold", json_integer(1));
    return role;
}

/* docker's getOrGenerateNotaryKey for the root: the first root key (by id) of the trust
 * directory, else a new one. */
static int
root_key(struct vg_tuf_repo *r, struct vg_err **err)
{
    char **ids = NULL;
    size_t n = 0;
    if (vg_tuf_keystore_list(&ids, &n, r->trust_dir, "root", NULL, err) < 0) {
        return -1;
    }
    int rc = 0;
    if (n > 0) {
        rc = vg_tuf_keystore_get(&r->root_key, r->trust_dir, ids[0], r->pass, err);
    } else {
        rc = vg_tuf_repo_new_key(&r->root_key, NULL, r, "root", NULL, err);
    }
    vg_strv_free(ids, n);
    return rc;
}

int
vg_tuf_repo_new_key(struct vg_crypto_key **out, char keyid[65], struct vg_tuf_repo *r,
                    const char *role, const char *gun, struct vg_err **err)
{
    vg_autokey struct vg_crypto_key *k = NULL;
    vg_autosecret struct vg_secret *pw = NULL;
    char id[65];
    if (vg_crypto_key_generate(&k, err) < 0 || vg_tuf_key_id(id, k, err) < 0 ||
        r->pass->fn(&pw, role, id, true, r->pass->payload, err) < 0 ||
        vg_tuf_keystore_put(NULL, r->trust_dir, k, role, gun, pw, err) < 0) {
        return -1;
    }
    if (keyid) {
        memcpy(keyid, id, sizeof(id));
    }
    *out = vg_steal_ptr(&k);
    return 0;
}

int
vg_tuf_repo_init(struct vg_tuf_repo *r, struct vg_err **err)
{
    if (vg_tuf_repo_exists(r)) {
        return 0;
    }
    vg_autokey struct vg_crypto_key *tk = NULL;
    char tid[65], ts_id[65], sn_id[65];
    json_t *ts_key = NULL, *sn_key = NULL;
    vg_autofree uint8_t *cert = NULL;
    size_t certlen = 0;
    if (root_key(r, err) < 0 ||
        vg_x509_self_signed_new(&cert, &certlen, r->root_key, r->gun, r->now,
                                r->now + ROOT_LIFETIME, err) < 0 ||
        vg_tuf_repo_new_key(&tk, tid, r, "targets", r->gun, err) < 0 ||
        fetch_server_key(&ts_key, ts_id, r, "timestamp", err) < 0) {
        return vg_err_wrap(err, "initialise trust data for %s", r->gun);
    }
    if (fetch_server_key(&sn_key, sn_id, r, "snapshot", err) < 0) {
        json_decref(ts_key);
        return vg_err_wrap(err, "initialise trust data for %s", r->gun);
    }
    /* the certificate as PEM, base64-encoded again: notary's x509 key value */
    vg_autofree char *der64 = vg_base64_encode(cert, certlen);
    struct vg_buf pem = VG_BUF_INIT(64 * 1024);
    int rc = vg_buf_append_str(&pem, "-----BEGIN CERTIFICATE-----\n", err);
    for (size_t i = 0, n = strlen(der64); rc == 0 && i < n; i += 64) {
        rc = vg_buf_append(&pem, der64 + i, n - i < 64 ? n - i : 64, err) < 0 ||
                     vg_buf_appendc(&pem, '\n', err) < 0
                 ? -1
                 : 0;
    }
    if (rc == 0) {
        rc = vg_buf_append_str(&pem, "-----END CERTIFICATE-----\n", err);
    }
    vg_autofree char *pem64 = rc == 0 ? vg_base64_encode(pem.data, pem.len) : NULL;
    vg_buf_dispose(&pem);
    vg_autofree char *tpub = NULL;
    vg_autofree char *tkt = NULL;
    if (rc < 0 || vg_tuf_key_id_of(r->root_cert_id, "ecdsa-x509", pem64, err) < 0 ||
        vg_tuf_key_public(&tkt, &tpub, tk, err) < 0) {
        json_decref(ts_key);
        json_decref(sn_key);
        return -1;
    }
    json_t *keys = json_object();
    vg_json_set_take(keys, r->root_cert_id, vg_tuf_key_json("ecdsa-x509", pem64));
    vg_json_set_take(keys, tid, vg_tuf_key_json(tkt, tpub));
    vg_json_set_take(keys, ts_id, ts_key);
    vg_json_set_take(keys, sn_id, sn_key);
    json_t *roles = json_object();
    vg_json_set_take(roles, "root", role_json(r->root_cert_id));
    vg_json_set_take(roles, "targets", role_json(tid));
    vg_json_set_take(roles, "snapshot", role_json(sn_id));
    vg_json_set_take(roles, "timestamp", role_json(ts_id));
    json_t *root = json_object();
    vg_json_set_str(root, "_type", "Root");
    json_object_set_new(root, "consistent_snapshot", json_false());
    vg_json_set_take(root, "keys", keys);
    vg_json_set_take(root, "roles", roles);
    json_object_set_new(root, "version", json_integer(1));
    vg_autofree char *exp = vg_tuf__pub_expires(r->now + ROOT_LIFETIME);
    vg_json_set_str(root, "expires", exp);
    r->root_sig = root;
    struct edit *t = edit_add(r, "targets", new_targets());
    t->dirty = true;
    return 0;
}

/* ---------------------------------------------------------------- edits */

json_t *
vg_tuf__pub_delegations_of(struct vg_tuf_repo *r, const char *role)
{
    vg_autofree char *parent = vg_strdup(role);
    char *slash = strrchr(parent, '/');
    if (!slash) {
        return NULL;
    }
    *slash = '\0';
    struct edit *p = vg_tuf__pub_edit_find(r, parent);
    return p ? vg_json_obj(p->sig, "delegations") : NULL;
}

json_t *
vg_tuf__pub_delegation(json_t *dels, const char *name, size_t *index)
{
    json_t *roles = vg_json_arr(dels, "roles");
    size_t i;
    json_t *v;
    json_array_foreach (roles, i, v) {
        const char *n = vg_json_str(v, "name");
        if (n && strcmp(n, name) == 0) {
            if (index) {
                *index = i;
            }
            return v;
        }
    }
    return NULL;
}

static void
mark_dirty(struct vg_tuf_repo *r, const char *role)
{
    struct edit *e = vg_tuf__pub_edit_find(r, role);
    if (e) {
        e->dirty = true;
    }
}

/* Drops delegation keys no role lists any more (notary keeps the keys map to what is used). */
static void
prune_keys(json_t *dels)
{
    json_t *keys = vg_json_obj(dels, "keys");
    json_t *roles = vg_json_arr(dels, "roles");
    const char *id;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(keys, tmp, id, v)
    {
        bool used = false;
        size_t i;
        json_t *role;
        json_array_foreach (roles, i, role) {
            size_t k;
            json_t *kid;
            json_array_foreach (vg_json_arr(role, "keyids"), k, kid) {
                used |= json_is_string(kid) && strcmp(json_string_value(kid), id) == 0;
            }
        }
        if (!used) {
            json_object_del(keys, id);
        }
    }
}

int
vg_tuf_repo_delegation_add(struct vg_tuf_repo *r, const char *role, const char *const *keytypes,
                           const char *const *publics, size_t nkeys, struct vg_err **err)
{
    json_t *dels = vg_tuf__pub_delegations_of(r, role);
    if (!dels) {
        return vg_err_set(err, VG_E_USAGE, "%s: its parent role is not in the repository", role);
    }
    json_t *d = vg_tuf__pub_delegation(dels, role, NULL);
    if (!d) {
        d = json_object();
        vg_json_set_str(d, "name", role);
        vg_json_set_take(d, "keyids", json_array());
        json_object_set_new(d, "threshold", json_integer(1));
        json_t *paths = json_array();
        json_array_append_new(paths, json_string(""));
        vg_json_set_take(d, "paths", paths);
        json_array_append_new(vg_json_arr(dels, "roles"), d);
    }
    json_t *keys = vg_json_obj(dels, "keys");
    json_t *ids = vg_json_arr(d, "keyids");
    for (size_t k = 0; k < nkeys; k++) {
        char id[65];
        if (vg_tuf_key_id_of(id, keytypes[k], publics[k], err) < 0) {
            return -1;
        }
        json_object_set_new(keys, id, vg_tuf_key_json(keytypes[k], publics[k]));
        bool listed = false;
        size_t i;
        json_t *v;
        json_array_foreach (ids, i, v) {
            listed |= strcmp(json_string_value(v), id) == 0;
        }
        if (!listed) {
            json_array_append_new(ids, json_string(id));
        }
    }
    vg_autofree char *parent = vg_strdup(role);
    *strrchr(parent, '/') = '\0';
    mark_dirty(r, parent);
    return 0;
}

int
vg_tuf_repo_delegation_remove(struct vg_tuf_repo *r, const char *role, char ***keyids,
                              size_t *nkeyids, struct vg_err **err)
{
    json_t *dels = vg_tuf__pub_delegations_of(r, role);
    size_t idx = 0;
    json_t *d = dels ? vg_tuf__pub_delegation(dels, role, &idx) : NULL;
    if (!d) {
        return vg_err_set(err, VG_E_NOTFOUND, "no delegation %s in %s", role, r->gun);
    }
    if (keyids) {
        size_t i;
        json_t *v;
        json_array_foreach (vg_json_arr(d, "keyids"), i, v) {
            vg_strv_push(keyids, nkeyids, json_string_value(v));
        }
    }
    json_array_remove(vg_json_arr(dels, "roles"), idx);
    prune_keys(dels);
    vg_autofree char *parent = vg_strdup(role);
    *strrchr(parent, '/') = '\0';
    mark_dirty(r, parent);
    return 0;
}

int
vg_tuf_repo_delegation_remove_keys(struct vg_tuf_repo *r, const char *role, char *const *keyids,
                                   size_t nkeyids, size_t *left, struct vg_err **err)
{
    json_t *dels = vg_tuf__pub_delegations_of(r, role);
    json_t *d = dels ? vg_tuf__pub_delegation(dels, role, NULL) : NULL;
    if (!d) {
        return vg_err_set(err, VG_E_NOTFOUND, "no delegation %s in %s", role, r->gun);
    }
    json_t *ids = vg_json_arr(d, "keyids");
    for (size_t i = json_array_size(ids); i-- > 0;) {
        if (vg_strv_has(keyids, nkeyids, json_string_value(json_array_get(ids, i)))) {
            json_array_remove(ids, i);
        }
    }
    *left = json_array_size(ids);
    prune_keys(dels);
    vg_autofree char *parent = vg_strdup(role);
    *strrchr(parent, '/') = '\0';
    mark_dirty(r, parent);
    return 0;
}

void
vg_tuf_repo_each_delegation(struct vg_tuf_repo *r, vg_tuf_repo_role_fn fn, void *payload)
{
    struct edit *t = vg_tuf__pub_edit_find(r, "targets");
    json_t *roles = t ? vg_json_arr(vg_json_obj(t->sig, "delegations"), "roles") : NULL;
    size_t i;
    json_t *v;
    json_array_foreach (roles, i, v) {
        const char *name = vg_json_str(v, "name");
        json_t *ids = vg_json_arr(v, "keyids");
        if (!name || !ids) {
            continue;
        }
        size_t n = json_array_size(ids);
        vg_autofree const char **list = vg_calloc(n + 1, sizeof(*list));
        for (size_t k = 0; k < n; k++) {
            list[k] = json_string_value(json_array_get(ids, k));
        }
        fn(payload, name, list, n);
    }
}

static bool
paths_allow(const json_t *role, const char *name)
{
    const json_t *paths = vg_json_arr(role, "paths");
    size_t i;
    json_t *v;
    json_array_foreach (paths, i, v) {
        if (json_is_string(v) && vg_cstr_startswith(name, json_string_value(v))) {
            return true;
        }
    }
    return false;
}

int
vg_tuf_repo_signable_roles(char ***roles, size_t *n, struct vg_tuf_repo *r, const char *target,
                           struct vg_err **err)
{
    *roles = NULL;
    *n = 0;
    struct edit *t = vg_tuf__pub_edit_find(r, "targets");
    json_t *dels = t ? vg_json_obj(t->sig, "delegations") : NULL;
    json_t *list = vg_json_arr(dels, "roles");
    if (json_array_size(list) == 0) {
        vg_strv_push(roles, n, "targets");
        return 0;
    }
    /* docker: every direct child of targets whose paths allow the target and one of whose
     * keys the trust directory holds */
    size_t i;
    json_t *v;
    json_array_foreach (list, i, v) {
        const char *name = vg_json_str(v, "name");
        if (!name || !vg_cstr_startswith(name, "targets/") ||
            strchr(name + strlen("targets/"), '/') || (target && !paths_allow(v, target)) ||
            !vg_tuf__pub_holds_key(r, vg_json_arr(v, "keyids"), vg_json_obj(dels, "keys"))) {
            continue;
        }
        vg_strv_push(roles, n, name);
    }
    if (*n == 0) {
        return vg_err_set(err, VG_E_NOTFOUND,
                          "no valid signing keys for delegation roles of %s (none of their keys "
                          "is in %s/private)",
                          r->gun, r->trust_dir);
    }
    return 0;
}

static struct edit *
role_edit(struct vg_tuf_repo *r, const char *role)
{
    struct edit *e = vg_tuf__pub_edit_find(r, role);
    if (!e) {
        e = edit_add(r, role, new_targets());
    }
    return e;
}

int
vg_tuf_repo_target_add(struct vg_tuf_repo *r, const char *role, const char *name,
                       const uint8_t sha256[32], uint64_t length, struct vg_err **err)
{
    (void)err;
    struct edit *e = role_edit(r, role);
    json_t *hashes = json_object();
    vg_autofree char *h = vg_base64_encode(sha256, 32);
    vg_json_set_str(hashes, "sha256", h);
    json_t *t = json_object();
    vg_json_set_take(t, "hashes", hashes);
    json_object_set_new(t, "length", json_integer((json_int_t)length));
    json_t *targets = vg_json_obj(e->sig, "targets");
    if (!targets) {
        targets = json_object();
        vg_json_set_take(e->sig, "targets", targets);
    }
    vg_json_set_take(targets, name, t);
    e->dirty = true;
    return 0;
}

size_t
vg_tuf_repo_target_remove(struct vg_tuf_repo *r, const char *role, const char *name)
{
    struct edit *e = vg_tuf__pub_edit_find(r, role);
    json_t *targets = e ? vg_json_obj(e->sig, "targets") : NULL;
    if (!targets) {
        return 0;
    }
    size_t removed = 0;
    if (name) {
        removed = json_object_del(targets, name) == 0 ? 1 : 0;
    } else {
        removed = json_object_size(targets);
        json_object_clear(targets);
    }
    e->dirty |= removed > 0;
    return removed;
}
