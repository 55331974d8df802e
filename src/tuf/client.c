/* SPDX-License-Identifier: Apache-2.0
 *
 * The TUF client workflow (specification §5): load the trusted root, walk root versions one
 * at a time (each new root signed by a threshold of the old root's AND its own root keys),
 * refuse an expired final root (freeze), then timestamp → snapshot → targets, each verified
 * with the keys the previous step trusts, each version and (where stated) length and hashes
 * matched against its parent, each compared with the cached copy to refuse rollbacks, each
 * unexpired, each written back to the cache atomically only after it verified. A rotation of
 * the timestamp or snapshot keys drops the cached timestamp/snapshot, which is how a client
 * recovers from a fast-forward attack (§5.3.11). Delegated targets roles load lazily during a
 * target search (§5.6.7), bounded by VG_TUF_MAX_ROLES_VISITED.
 *
 * The cache holds only metadata that verified when written; it is re-verified when read, and
 * a cached timestamp/snapshot/targets that no longer verifies is ignored, never trusted.
 */
#include "tuf_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "core/glob.h"

struct loaded_role {
    char *name;
    struct vg_tuf_meta *m;
};

struct vg_tuf_client {
    enum vg_tuf_dialect dialect;
    char *cache_dir;
    uint8_t *bootstrap;
    size_t bootstrap_len;
    bool tofu;
    int64_t now;
    struct vg_tuf_fetcher fetcher;
    struct vg_tuf_meta *root, *timestamp, *snapshot, *targets;
    struct vg_buf root_raw;           /* the trusted root's bytes, for Notary's snapshot check */
    VG_VEC(struct loaded_role) roles; /* delegated targets roles loaded so far */
    bool updated;
};

int
vg_tuf_client_new(struct vg_tuf_client **out, const struct vg_tuf_client_opts *o,
                  struct vg_err **err)
{
    if (!o || !o->cache_dir || !*o->cache_dir || !o->fetcher.fetch) {
        return vg_err_set(err, VG_E_USAGE,
                          "tuf client: a cache directory and a fetcher are "
                          "required");
    }
    struct vg_tuf_client *c = vg_calloc(1, sizeof(*c));
    c->dialect = o->dialect;
    c->cache_dir = vg_strdup(o->cache_dir);
    if (o->bootstrap_root) {
        c->bootstrap = vg_memdup(o->bootstrap_root, o->bootstrap_root_len);
        c->bootstrap_len = o->bootstrap_root_len;
    }
    c->tofu = o->tofu;
    c->now = o->now ? o->now : vg_now_unix();
    c->fetcher = o->fetcher;
    *out = c;
    return 0;
}

static void
drop_roles(struct vg_tuf_client *c)
{
    for (size_t i = 0; i < c->roles.n; i++) {
        free(c->roles.v[i].name);
        vg_tuf_meta_free(c->roles.v[i].m);
    }
    c->roles.n = 0;
}

void
vg_tuf_client_free(struct vg_tuf_client *c)
{
    if (!c) {
        return;
    }
    drop_roles(c);
    vg_vec_dispose(&c->roles);
    vg_tuf_meta_free(c->root);
    vg_tuf_meta_free(c->timestamp);
    vg_tuf_meta_free(c->snapshot);
    vg_tuf_meta_free(c->targets);
    vg_buf_dispose(&c->root_raw);
    free(c->bootstrap);
    free(c->cache_dir);
    free(c);
}

/* ---------------------------------------------------------------- file names */

static bool
safe_component_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
}

/* The repository and cache path of a role's file: "<role>.json", or "<V>.<role>.json" with
 * consistent snapshots. The specification's dialect percent-encodes every byte outside
 * [A-Za-z0-9._-] (spec §5.6.1, so "a/b" is one file "a%2Fb.json"); Notary's keeps '/' as a
 * directory ("targets/releases.json", docker's layout) after refusing empty, "." and ".."
 * components. Either way the result can never leave the cache directory. */
static int
role_file(char **out, enum vg_tuf_dialect d, const char *role, uint64_t version,
          struct vg_err **err)
{
    size_t n = strlen(role);
    if (n == 0 || n > VG_TUF_ROLE_NAME_MAX) {
        return vg_err_set(err, VG_E_UNSUPPORTED, "role name of %zu bytes", n);
    }
    struct vg_buf b = VG_BUF_INIT(4 * VG_TUF_ROLE_NAME_MAX + 64);
    int rc = 0;
    if (version) {
        rc = vg_buf_appendf(&b, err, "%" PRIu64 ".", version);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char ch = role[i];
        if (safe_component_char(ch)) {
            rc = vg_buf_appendc(&b, ch, err);
        } else if (ch == '/' && d == VG_TUF_DIALECT_NOTARY && !version) {
            rc = vg_buf_appendc(&b, ch, err);
        } else if (d == VG_TUF_DIALECT_NOTARY) {
            vg_autofree char *e = vg_escape(role, n, 64);
            rc = vg_err_set(err, VG_E_UNSUPPORTED, "role name \"%s\": unsupported character", e);
        } else {
            rc = vg_buf_appendf(&b, err, "%%%02X", (unsigned)(uint8_t)ch);
        }
    }
    if (rc == 0 && d == VG_TUF_DIALECT_NOTARY) {
        /* components of the name itself */
        const char *p = role;
        while (rc == 0) {
            const char *slash = strchr(p, '/');
            size_t len = slash ? (size_t)(slash - p) : strlen(p);
            if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
                vg_autofree char *e = vg_escape(role, n, 64);
                rc = vg_err_set(err, VG_E_UNSUPPORTED, "role name \"%s\": bad path component", e);
            }
            if (!slash) {
                break;
            }
            p = slash + 1;
        }
    }
    if (rc == 0) {
        rc = vg_buf_append_str(&b, ".json", err);
    }
    if (rc < 0) {
        vg_buf_dispose(&b);
        return rc;
    }
    *out = vg_buf_take(&b, NULL);
    return 0;
}

/* ---------------------------------------------------------------- cache */

static int
cache_read(struct vg_tuf_client *c, const char *file, size_t max, struct vg_buf *out,
           struct vg_err **err)
{
    vg_autofree char *path = vg_fmt("%s/%s", c->cache_dir, file);
    vg_buf_init(out, max);
    return vg_file_read(out, path, max, err);
}

static int
cache_write(struct vg_tuf_client *c, const char *file, const void *data, size_t len,
            struct vg_err **err)
{
    vg_autofree char *path = vg_fmt("%s/%s", c->cache_dir, file);
    vg_autofree char *dir = vg_strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
    }
    if (vg_mkdir_p(dir, 0700, err) < 0 || vg_file_write_atomic(path, data, len, 0644, err) < 0) {
        return vg_err_wrap(err, "tuf cache");
    }
    return 0;
}

static void
cache_remove(struct vg_tuf_client *c, const char *file)
{
    vg_autofree char *path = vg_fmt("%s/%s", c->cache_dir, file);
    (void)unlink(path); /* absent is fine: the point is that it is gone */
}

static int
fetch(struct vg_tuf_client *c, const char *file, size_t max, struct vg_buf *out,
      struct vg_err **err)
{
    vg_buf_init(out, max);
    if (c->fetcher.fetch(c->fetcher.payload, file, out, err) < 0) {
        return vg_err_wrap(err, "fetch %s", file);
    }
    return 0;
}

/* ---------------------------------------------------------------- checks */

static int
check_expiry(const struct vg_tuf_client *c, const struct vg_tuf_meta *m, const char *what,
             struct vg_err **err)
{
    if (m->expires <= c->now) {
        char when[32];
        vg_time_rfc3339(when, sizeof(when), m->expires);
        return vg_err_set(err, VG_E_VERIFY, "%s metadata expired at %s", what, when);
    }
    return 0;
}

static int
check_file(const struct vg_tuf_metafile *mf, const struct vg_buf *raw, const char *what,
           struct vg_err **err)
{
    if (mf->has_length && mf->length != raw->len) {
        return vg_err_set(err, VG_E_VERIFY, "%s: %zu bytes, trusted metadata says %" PRIu64, what,
                          raw->len, mf->length);
    }
    if (!mf->hashes.has_sha256 && !mf->hashes.has_sha512) {
        return 0;
    }
    vg_autofree char *name = vg_strdup(what);
    struct vg_tuf_target t = {.name = name, .length = raw->len, .hashes = mf->hashes};
    return vg_tuf_target_check(&t, raw->data, raw->len, err);
}

static size_t
file_max(const struct vg_tuf_metafile *mf, size_t cap)
{
    return mf && mf->has_length && mf->length < cap ? (size_t)mf->length : cap;
}

static bool
same_keys(const struct vg_tuf_role *a, const struct vg_tuf_role *b)
{
    if (a->nkeyids != b->nkeyids || a->threshold != b->threshold) {
        return false;
    }
    for (size_t i = 0; i < a->nkeyids; i++) {
        if (!vg_strv_has(b->keyids, b->nkeyids, a->keyids[i])) {
            return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------- root */

static int
parse_self_signed_root(struct vg_tuf_meta **out, enum vg_tuf_dialect d, const struct vg_buf *raw,
                       const char *what, struct vg_err **err)
{
    struct vg_tuf_meta *m = NULL;
    if (vg_tuf_meta_parse(&m, d, VG_TUF_ROOT, raw->data, raw->len, err) < 0) {
        return vg_err_wrap(err, "%s", what);
    }
    if (vg_tuf_meta_verify(m, what, m->keys, m->nkeys, &m->roles[VG_TUF_ROOT - 1], err) < 0) {
        vg_tuf_meta_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

static int
keep_root_raw(struct vg_tuf_client *c, const void *data, size_t len, struct vg_err **err)
{
    vg_buf_dispose(&c->root_raw);
    vg_buf_init(&c->root_raw, VG_TUF_ROOT_MAX_BYTES);
    return vg_buf_append(&c->root_raw, data, len, err);
}

static int
load_trusted_root(struct vg_tuf_client *c, struct vg_err **err)
{
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(0);
    struct vg_err *e = NULL;
    if (cache_read(c, "root.json", VG_TUF_ROOT_MAX_BYTES, &raw, &e) == 0) {
        if (parse_self_signed_root(&c->root, c->dialect, &raw, "trusted root", err) < 0) {
            return -1;
        }
        return keep_root_raw(c, raw.data, raw.len, err);
    }
    if (!vg_err_is(e, VG_E_NOTFOUND)) {
        *err = e;
        return vg_err_wrap(err, "trusted root");
    }
    vg_err_free(&e);
    if (c->bootstrap) {
        struct vg_buf b = {c->bootstrap, c->bootstrap_len, c->bootstrap_len, c->bootstrap_len};
        if (parse_self_signed_root(&c->root, c->dialect, &b, "initial root", err) < 0 ||
            keep_root_raw(c, b.data, b.len, err) < 0) {
            return -1;
        }
        return cache_write(c, "root.json", b.data, b.len, err);
    }
    if (!c->tofu) {
        return vg_err_set(err, VG_E_NOTFOUND, "no trusted root in %s", c->cache_dir);
    }
    vg_buf_dispose(&raw);
    if (fetch(c, "root.json", VG_TUF_ROOT_MAX_BYTES, &raw, err) < 0 ||
        parse_self_signed_root(&c->root, c->dialect, &raw, "root (first use)", err) < 0 ||
        keep_root_raw(c, raw.data, raw.len, err) < 0) {
        return -1;
    }
    return cache_write(c, "root.json", raw.data, raw.len, err);
}

/* One rotation step: `next` must be signed by the trusted root's threshold and its own. */
static int
accept_root(struct vg_tuf_client *c, struct vg_tuf_meta *next, const struct vg_buf *raw,
            struct vg_err **err)
{
    const struct vg_tuf_meta *cur = c->root;
    if (vg_tuf_meta_verify(next, "new root (signed by the trusted root)", cur->keys, cur->nkeys,
                           &cur->roles[VG_TUF_ROOT - 1], err) < 0 ||
        vg_tuf_meta_verify(next, "new root (signed by itself)", next->keys, next->nkeys,
                           &next->roles[VG_TUF_ROOT - 1], err) < 0) {
        return -1;
    }
    bool rotated =
        !same_keys(&cur->roles[VG_TUF_TIMESTAMP - 1], &next->roles[VG_TUF_TIMESTAMP - 1]) ||
        !same_keys(&cur->roles[VG_TUF_SNAPSHOT - 1], &next->roles[VG_TUF_SNAPSHOT - 1]);
    if (cache_write(c, "root.json", raw->data, raw->len, err) < 0 ||
        keep_root_raw(c, raw->data, raw->len, err) < 0) {
        return -1;
    }
    if (rotated) {
        cache_remove(c, "timestamp.json");
        cache_remove(c, "snapshot.json");
    }
    vg_tuf_meta_free(c->root);
    c->root = next;
    return 0;
}

static int
update_root(struct vg_tuf_client *c, struct vg_err **err)
{
    for (unsigned i = 0; i < VG_TUF_MAX_ROOT_ROTATIONS; i++) {
        uint64_t want = c->root->version + 1;
        vg_autofree char *file = vg_fmt("%" PRIu64 ".root.json", want);
        vg_autobuf struct vg_buf raw = VG_BUF_INIT(0);
        struct vg_err *e = NULL;
        if (fetch(c, file, VG_TUF_ROOT_MAX_BYTES, &raw, &e) < 0) {
            if (vg_err_root_code(e) == VG_E_NOTFOUND) {
                vg_err_free(&e);
                break;
            }
            *err = e;
            return -1;
        }
        struct vg_tuf_meta *next = NULL;
        if (vg_tuf_meta_parse(&next, c->dialect, VG_TUF_ROOT, raw.data, raw.len, err) < 0) {
            return vg_err_wrap(err, "%s", file);
        }
        if (next->version != want) {
            uint64_t got = next->version;
            vg_tuf_meta_free(next);
            return vg_err_set(err, VG_E_VERIFY, "%s: version %" PRIu64 ", expected %" PRIu64, file,
                              got, want);
        }
        if (accept_root(c, next, &raw, err) < 0) {
            vg_tuf_meta_free(next);
            return vg_err_wrap(err, "%s", file);
        }
    }
    return check_expiry(c, c->root, "root", err);
}

/* ---------------------------------------------------------------- timestamp */

/* A cached file that still verifies with the given keys, or NULL. */
static struct vg_tuf_meta *
cached_verified(struct vg_tuf_client *c, const char *file, enum vg_tuf_type type, size_t max,
                const struct vg_tuf_key *keys, size_t nkeys, const struct vg_tuf_role *role,
                struct vg_buf *raw)
{
    struct vg_err *e = NULL;
    struct vg_tuf_meta *m = NULL;
    if (cache_read(c, file, max, raw, &e) < 0 ||
        vg_tuf_meta_parse(&m, c->dialect, type, raw->data, raw->len, &e) < 0 ||
        vg_tuf_meta_verify(m, file, keys, nkeys, role, &e) < 0) {
        vg_err_free(&e);
        vg_tuf_meta_free(m);
        return NULL;
    }
    return m;
}

static int
update_timestamp(struct vg_tuf_client *c, struct vg_err **err)
{
    const struct vg_tuf_role *role = &c->root->roles[VG_TUF_TIMESTAMP - 1];
    vg_autobuf struct vg_buf old_raw = VG_BUF_INIT(0);
    struct vg_tuf_meta *old =
        cached_verified(c, "timestamp.json", VG_TUF_TIMESTAMP, VG_TUF_TIMESTAMP_MAX_BYTES,
                        c->root->keys, c->root->nkeys, role, &old_raw);
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(0);
    struct vg_tuf_meta *m = NULL;
    int rc = -1;
    if (fetch(c, "timestamp.json", VG_TUF_TIMESTAMP_MAX_BYTES, &raw, err) < 0) {
        goto out;
    }
    if (vg_tuf_meta_parse(&m, c->dialect, VG_TUF_TIMESTAMP, raw.data, raw.len, err) < 0 ||
        vg_tuf_meta_verify(m, "timestamp", c->root->keys, c->root->nkeys, role, err) < 0) {
        goto out;
    }
    if (old && m->version < old->version) {
        vg_err_set(err, VG_E_VERIFY,
                   "timestamp: version %" PRIu64 " is older than the trusted %" PRIu64
                   " (rollback)",
                   m->version, old->version);
        goto out;
    }
    const struct vg_tuf_metafile *ns = vg_tuf_meta_find(m, "snapshot");
    const struct vg_tuf_metafile *os = vg_tuf_meta_find(old, "snapshot");
    if (old && ns && os && ns->has_version && os->has_version && ns->version < os->version) {
        vg_err_set(err, VG_E_VERIFY,
                   "timestamp: snapshot version %" PRIu64 " is older than the trusted %" PRIu64
                   " (rollback)",
                   ns->version, os->version);
        goto out;
    }
    if (old && m->version == old->version) {
        /* Nothing new (spec §5.4.3): keep the trusted copy. */
        vg_tuf_meta_free(m);
        m = vg_steal_ptr(&old);
    } else if (cache_write(c, "timestamp.json", raw.data, raw.len, err) < 0) {
        goto out;
    }
    if (check_expiry(c, m, "timestamp", err) < 0) {
        goto out;
    }
    vg_tuf_meta_free(c->timestamp);
    c->timestamp = vg_steal_ptr(&m);
    rc = 0;
out:
    vg_tuf_meta_free(old);
    vg_tuf_meta_free(m);
    return rc;
}

/* ---------------------------------------------------------------- snapshot, targets, roles */

struct role_load {
    const char *role;                 /* role name */
    enum vg_tuf_type type;            /* VG_TUF_SNAPSHOT or VG_TUF_TARGETS */
    const struct vg_tuf_metafile *mf; /* what the parent says about the file */
    size_t max;
    const struct vg_tuf_key *keys;
    size_t nkeys;
    const struct vg_tuf_role *def; /* the role's keys and threshold */
};

static int
check_snapshot_rollback(const struct vg_tuf_meta *old, const struct vg_tuf_meta *m,
                        struct vg_err **err)
{
    if (m->version < old->version) {
        return vg_err_set(err, VG_E_VERIFY,
                          "snapshot: version %" PRIu64 " is older than the trusted %" PRIu64
                          " (rollback)",
                          m->version, old->version);
    }
    for (size_t i = 0; i < old->nmeta; i++) {
        const struct vg_tuf_metafile *o = &old->meta[i];
        const struct vg_tuf_metafile *n = vg_tuf_meta_find(m, o->name);
        if (!n) {
            return vg_err_set(err, VG_E_VERIFY, "snapshot: %s is no longer listed (rollback)",
                              o->name);
        }
        if (o->has_version && n->has_version && n->version < o->version) {
            return vg_err_set(err, VG_E_VERIFY,
                              "snapshot: %s version %" PRIu64 " is older than the trusted %" PRIu64
                              " (rollback)",
                              o->name, n->version, o->version);
        }
    }
    return 0;
}

static int
load_role(struct vg_tuf_client *c, const struct role_load *l, struct vg_tuf_meta **out,
          struct vg_err **err)
{
    if (!l->mf) {
        return vg_err_set(err, VG_E_VERIFY, "%s: not listed in trusted %s metadata", l->role,
                          l->type == VG_TUF_SNAPSHOT ? "timestamp" : "snapshot");
    }
    vg_autofree char *file = NULL;
    if (role_file(&file, c->dialect, l->role, 0, err) < 0) {
        return -1;
    }
    if (l->mf->has_length && l->mf->length > l->max) {
        return vg_err_set(err, VG_E_LIMIT, "%s: %" PRIu64 " bytes exceed the limit of %zu", l->role,
                          l->mf->length, l->max);
    }
    size_t max = file_max(l->mf, l->max);
    vg_autobuf struct vg_buf old_raw = VG_BUF_INIT(0);
    struct vg_tuf_meta *old =
        cached_verified(c, file, l->type, max, l->keys, l->nkeys, l->def, &old_raw);
    if (old && (!l->mf->has_version || old->version == l->mf->version) &&
        check_file(l->mf, &old_raw, l->role, NULL) == 0 &&
        check_expiry(c, old, l->role, NULL) == 0) {
        *out = old; /* the cached copy is the one the parent names: nothing to fetch */
        return 0;
    }
    /* Consistent snapshots (spec §5.5.2, §5.6.2): fetch the version the parent names. */
    vg_autofree char *remote = NULL;
    bool consistent =
        c->dialect == VG_TUF_DIALECT_SPEC && c->root->consistent_snapshot && l->mf->has_version;
    if (!consistent) {
        remote = vg_strdup(file);
    } else if (role_file(&remote, c->dialect, l->role, l->mf->version, err) < 0) {
        vg_tuf_meta_free(old);
        return -1;
    }
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(0);
    struct vg_tuf_meta *m = NULL;
    int rc = -1;
    if (fetch(c, remote, max, &raw, err) < 0) {
        if (vg_err_root_code(*err) == VG_E_LIMIT && l->mf->has_length) {
            vg_err_wrap_code(err, VG_E_VERIFY,
                             "%s: longer than the %" PRIu64 " bytes trusted metadata says", l->role,
                             l->mf->length);
        }
        goto out;
    }
    if (check_file(l->mf, &raw, l->role, err) < 0 ||
        vg_tuf_meta_parse(&m, c->dialect, l->type, raw.data, raw.len, err) < 0 ||
        vg_tuf_meta_verify(m, l->role, l->keys, l->nkeys, l->def, err) < 0) {
        goto out;
    }
    if (l->mf->has_version && m->version != l->mf->version) {
        vg_err_set(err, VG_E_VERIFY, "%s: version %" PRIu64 ", trusted metadata says %" PRIu64,
                   l->role, m->version, l->mf->version);
        goto out;
    }
    if (old && l->type == VG_TUF_SNAPSHOT && check_snapshot_rollback(old, m, err) < 0) {
        goto out;
    }
    if (old && m->version < old->version) {
        vg_err_set(err, VG_E_VERIFY,
                   "%s: version %" PRIu64 " is older than the trusted %" PRIu64 " (rollback)",
                   l->role, m->version, old->version);
        goto out;
    }
    if (check_expiry(c, m, l->role, err) < 0 || cache_write(c, file, raw.data, raw.len, err) < 0) {
        goto out;
    }
    *out = vg_steal_ptr(&m);
    rc = 0;
out:
    vg_tuf_meta_free(old);
    vg_tuf_meta_free(m);
    return rc;
}

int
vg_tuf_client_update(struct vg_tuf_client *c, struct vg_err **err)
{
    c->updated = false;
    drop_roles(c);
    if (!c->root && load_trusted_root(c, err) < 0) {
        return -1;
    }
    if (update_root(c, err) < 0 || update_timestamp(c, err) < 0) {
        return -1;
    }
    const struct vg_tuf_meta *r = c->root;
    struct role_load snap = {
        .role = "snapshot",
        .type = VG_TUF_SNAPSHOT,
        .mf = vg_tuf_meta_find(c->timestamp, "snapshot"),
        .max = VG_TUF_SNAPSHOT_MAX_BYTES,
        .keys = r->keys,
        .nkeys = r->nkeys,
        .def = &r->roles[VG_TUF_SNAPSHOT - 1],
    };
    struct vg_tuf_meta *m = NULL;
    if (load_role(c, &snap, &m, err) < 0) {
        return -1;
    }
    vg_tuf_meta_free(c->snapshot);
    c->snapshot = m;
    /* Notary's snapshot pins the current root: a trusted root other than the one the
     * repository's snapshot names means a swapped root (or a rotation we could not follow). */
    const struct vg_tuf_metafile *rootmf = vg_tuf_meta_find(c->snapshot, "root");
    if (c->dialect == VG_TUF_DIALECT_NOTARY && rootmf &&
        check_file(rootmf, &c->root_raw, "root", err) < 0) {
        return vg_err_wrap_code(err, VG_E_VERIFY,
                                "snapshot names a root other than the trusted one (swapped or "
                                "unreachable root)");
    }
    struct role_load tgt = {
        .role = "targets",
        .type = VG_TUF_TARGETS,
        .mf = vg_tuf_meta_find(c->snapshot, "targets"),
        .max = VG_TUF_TARGETS_MAX_BYTES,
        .keys = r->keys,
        .nkeys = r->nkeys,
        .def = &r->roles[VG_TUF_TARGETS - 1],
    };
    m = NULL;
    if (load_role(c, &tgt, &m, err) < 0) {
        return -1;
    }
    vg_tuf_meta_free(c->targets);
    c->targets = m;
    c->updated = true;
    return 0;
}

/* ---------------------------------------------------------------- delegations */

static bool
delegation_matches(enum vg_tuf_dialect d, const struct vg_tuf_role *r, const char *target)
{
    for (size_t i = 0; i < r->npaths; i++) {
        bool hit = d == VG_TUF_DIALECT_NOTARY ? vg_cstr_startswith(target, r->paths[i])
                                              : vg_glob_match(r->paths[i], target);
        if (hit) {
            return true;
        }
    }
    if (r->nhash_prefixes) {
        struct vg_digest dg;
        vg_digest_of(&dg, VG_DIGEST_SHA256, target, strlen(target));
        for (size_t i = 0; i < r->nhash_prefixes; i++) {
            if (vg_cstr_startswith(vg_digest_hex(&dg), r->hash_prefixes[i])) {
                return true;
            }
        }
    }
    return false;
}

static int
delegated(struct vg_tuf_client *c, const struct vg_tuf_meta *parent, const struct vg_tuf_role *r,
          struct vg_tuf_meta **out, struct vg_err **err)
{
    for (size_t i = 0; i < c->roles.n; i++) {
        if (strcmp(c->roles.v[i].name, r->name) == 0) {
            /* Loaded through another delegator: it must verify with this one's keys too. */
            if (vg_tuf_meta_verify(c->roles.v[i].m, r->name, parent->keys, parent->nkeys, r, err) <
                0) {
                return -1;
            }
            *out = c->roles.v[i].m;
            return 0;
        }
    }
    struct role_load l = {
        .role = r->name,
        .type = VG_TUF_TARGETS,
        .mf = vg_tuf_meta_find(c->snapshot, r->name),
        .max = VG_TUF_TARGETS_MAX_BYTES,
        .keys = parent->keys,
        .nkeys = parent->nkeys,
        .def = r,
    };
    struct vg_tuf_meta *m = NULL;
    if (load_role(c, &l, &m, err) < 0) {
        return -1;
    }
    struct loaded_role lr = {vg_strdup(r->name), m};
    vg_vec_push(&c->roles, lr);
    *out = m;
    return 0;
}

struct search {
    const char *name;
    unsigned visited;
    bool stop;
    const struct vg_tuf_target *found;
    const char *role;
};

static int
search(struct vg_tuf_client *c, const struct vg_tuf_meta *m, const char *role_name,
       struct search *s, struct vg_err **err)
{
    const struct vg_tuf_target *t = vg_tuf_meta_target(m, s->name);
    if (t) {
        s->found = t;
        s->role = role_name;
        return 0;
    }
    for (size_t i = 0; i < m->ndelegations && !s->stop; i++) {
        const struct vg_tuf_role *r = &m->delegations[i];
        if (!delegation_matches(c->dialect, r, s->name)) {
            continue;
        }
        if (++s->visited > VG_TUF_MAX_ROLES_VISITED) {
            return vg_err_set(err, VG_E_LIMIT, "target %s: more than %u delegated roles searched",
                              s->name, VG_TUF_MAX_ROLES_VISITED);
        }
        struct vg_tuf_meta *child = NULL;
        if (delegated(c, m, r, &child, err) < 0 || search(c, child, r->name, s, err) < 0) {
            return -1;
        }
        if (s->found) {
            return 0;
        }
        if (r->terminating) {
            s->stop = true;
        }
    }
    return 0;
}

int
vg_tuf_client_target(struct vg_tuf_client *c, const char *name, const struct vg_tuf_target **out,
                     const char **role, struct vg_err **err)
{
    if (!c->updated) {
        return vg_err_set(err, VG_E_USAGE, "tuf: target lookup before a successful update");
    }
    struct search s = {.name = name};
    if (search(c, c->targets, "targets", &s, err) < 0) {
        return -1;
    }
    if (!s.found) {
        vg_autofree char *e = vg_escape(name, strlen(name), 128);
        return vg_err_set(err, VG_E_NOTFOUND, "target %s: not signed by any trusted role", e);
    }
    *out = s.found;
    if (role) {
        *role = s.role;
    }
    return 0;
}

const struct vg_tuf_meta *
vg_tuf_client_meta(const struct vg_tuf_client *c, const char *role)
{
    if (strcmp(role, "root") == 0) {
        return c->root;
    }
    if (strcmp(role, "timestamp") == 0) {
        return c->timestamp;
    }
    if (strcmp(role, "snapshot") == 0) {
        return c->snapshot;
    }
    if (strcmp(role, "targets") == 0) {
        return c->targets;
    }
    for (size_t i = 0; i < c->roles.n; i++) {
        if (strcmp(c->roles.v[i].name, role) == 0) {
            return c->roles.v[i].m;
        }
    }
    return NULL;
}

/* Notary's client lists a repository whose delegated role no longer meets its threshold (its
 * keys changed after it was signed, e.g. `signer remove`) or has expired by warning and going
 * on without that role: the role is never trusted, the rest of the repository still lists.
 * The specification's dialect aborts (§5.6.7). */
static bool
skippable(const struct vg_tuf_client *c, const struct vg_err *e)
{
    if (c->dialect != VG_TUF_DIALECT_NOTARY || !vg_err_is(e, VG_E_VERIFY)) {
        return false;
    }
    vg_autofree char *msg = vg_err_format(e);
    return strstr(msg, "required signatures") || strstr(msg, "expired");
}

static int
load_all(struct vg_tuf_client *c, const struct vg_tuf_meta *m, unsigned *visited,
         struct vg_err **err)
{
    for (size_t i = 0; i < m->ndelegations; i++) {
        const struct vg_tuf_role *r = &m->delegations[i];
        if (++*visited > VG_TUF_MAX_ROLES_VISITED) {
            return vg_err_set(err, VG_E_LIMIT, "more than %u delegated roles",
                              VG_TUF_MAX_ROLES_VISITED);
        }
        if (!vg_tuf_meta_find(c->snapshot, r->name)) {
            continue; /* delegated but never published */
        }
        struct vg_tuf_meta *child = NULL;
        if (delegated(c, m, r, &child, err) < 0) {
            if (skippable(c, *err)) {
                vg_err_free(err);
                continue;
            }
            return -1;
        }
        if (load_all(c, child, visited, err) < 0) {
            return -1;
        }
    }
    return 0;
}

int
vg_tuf_client_load_delegations(struct vg_tuf_client *c, struct vg_err **err)
{
    if (!c->updated) {
        return vg_err_set(err, VG_E_USAGE, "tuf: delegations before a successful update");
    }
    unsigned visited = 0;
    return load_all(c, c->targets, &visited, err);
}

void
vg_tuf_client_each_targets(const struct vg_tuf_client *c, vg_tuf_role_fn fn, void *payload)
{
    if (c->targets) {
        fn(payload, "targets", c->targets);
    }
    for (size_t i = 0; i < c->roles.n; i++) {
        fn(payload, c->roles.v[i].name, c->roles.v[i].m);
    }
}

/* ---------------------------------------------------------------- target files */

/* "targets/<name>", or with consistent snapshots "targets/<dir>/<hex>.<base>" (spec §5.7.3). A
 * name with an empty, "." or ".." component, or a leading '/', could address another path of
 * the server and is refused. */
static int
target_path(char **out, const struct vg_tuf_client *c, const struct vg_tuf_target *t,
            struct vg_err **err)
{
    const char *n = t->name;
    for (const char *p = n;;) {
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
            vg_autofree char *e = vg_escape(n, strlen(n), 128);
            return vg_err_set(err, VG_E_UNSUPPORTED, "target \"%s\": not a relative path", e);
        }
        if (!p[len]) {
            break;
        }
        p += len + 1;
    }
    bool consistent = c->dialect == VG_TUF_DIALECT_SPEC && c->root->consistent_snapshot;
    if (!consistent) {
        *out = vg_fmt("targets/%s", n);
        return 0;
    }
    char hex[129];
    if (t->hashes.has_sha256) {
        vg_hex_encode(hex, t->hashes.sha256, sizeof(t->hashes.sha256));
    } else {
        vg_hex_encode(hex, t->hashes.sha512, sizeof(t->hashes.sha512));
    }
    const char *base = strrchr(n, '/');
    if (base) {
        *out = vg_fmt("targets/%.*s/%s.%s", (int)(base - n), n, hex, base + 1);
    } else {
        *out = vg_fmt("targets/%s.%s", hex, n);
    }
    return 0;
}

int
vg_tuf_client_download_target(struct vg_tuf_client *c, const struct vg_tuf_target *t, size_t max,
                              struct vg_buf *out, struct vg_err **err)
{
    if (!c->updated) {
        return vg_err_set(err, VG_E_USAGE, "tuf: target download before a successful update");
    }
    if (t->length > max) {
        return vg_err_set(err, VG_E_LIMIT, "target %s: %" PRIu64 " bytes exceed the limit of %zu",
                          t->name, t->length, max);
    }
    vg_autofree char *path = NULL;
    if (target_path(&path, c, t, err) < 0) {
        return -1;
    }
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(0);
    if (fetch(c, path, (size_t)t->length, &raw, err) < 0) {
        if (vg_err_root_code(*err) == VG_E_LIMIT) {
            return vg_err_wrap_code(err, VG_E_VERIFY, "target %s: longer than signed", t->name);
        }
        return -1;
    }
    if (vg_tuf_target_check(t, raw.data, raw.len, err) < 0) {
        return -1;
    }
    *out = raw;
    raw = (struct vg_buf)VG_BUF_INIT(0);
    return 0;
}
