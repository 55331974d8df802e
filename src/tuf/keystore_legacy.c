/* SPDX-License-Identifier: Apache-2.0
 *
 * The trust directory layouts of docker < 1.11 and notary < 0.3, read for keys (never
 * written: new keys go to the flat private/<id>.key):
 *
 *     private/root_keys/<id>.key             root keys
 *     private/tuf_keys/<gun>/<id>.key        a repository's targets and snapshot keys
 *     private/tuf_keys/<id>.key              delegation (signer) keys
 *
 * and, older still, file names `<id>_<role>.key` in either directory. A key file's own `role`
 * and `gun` headers (as keystore.c parses them) win; a file without them takes its role from
 * where it lies (root_keys: "root"; the `_<role>` of its name) and its GUN from its
 * directory under tuf_keys/, as notary's key store did.
 *
 * The walk is bounded: at most VG_TUF_KEYSTORE_MAX_KEYS entries, GUN directories at most
 * LEGACY_DEPTH deep, symbolic links not followed.
 */
#include "tuf_int.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#define LEGACY_DEPTH 16u

struct legacy_key {
    const char *path;
    char id[65];
    const char *name_role; /* from "<id>_<role>.key", or NULL */
    const char *gun;       /* the directory under tuf_keys/, or NULL */
    bool root_dir;         /* under root_keys/ */
};

/* Returns 1 to stop the walk, 0 to go on, -1 on error. */
typedef int (*legacy_fn)(void *ud, const struct legacy_key *k, struct vg_err **err);

struct walk {
    legacy_fn fn;
    void *ud;
    unsigned seen;
    const char *top; /* root_keys or tuf_keys directory */
    bool root_dir;
};

static int walk_dir(struct walk *w, const char *dir, unsigned depth, struct vg_err **err);

static int
visit_file(struct walk *w, const char *dir, const char *name, struct vg_err **err)
{
    size_t len = strlen(name);
    if (len < 64 + 4 || !vg_cstr_endswith(name, ".key")) {
        return 0;
    }
    struct legacy_key k = {0};
    memcpy(k.id, name, 64);
    k.id[64] = '\0';
    vg_autofree char *role = NULL;
    if (len > 64 + 4) {
        if (name[64] != '_' || len == 64 + 1 + 4) {
            return 0;
        }
        role = vg_strndup(name + 65, len - 65 - 4);
    }
    if (!vg_tuf__keyid_ok(k.id)) {
        return 0;
    }
    vg_autofree char *path = vg_fmt("%s/%s", dir, name);
    /* the GUN: the directory below tuf_keys/ */
    size_t tl = strlen(w->top);
    vg_autofree char *gun = !w->root_dir && strlen(dir) > tl + 1 ? vg_strdup(dir + tl + 1) : NULL;
    k.path = path;
    k.name_role = role;
    k.gun = gun;
    k.root_dir = w->root_dir;
    return w->fn(w->ud, &k, err);
}

static int
walk_dir(struct walk *w, const char *dir, unsigned depth, struct vg_err **err)
{
    DIR *d = opendir(dir);
    if (!d) {
        return errno == ENOENT || errno == ENOTDIR ? 0 : vg_err_sys(err, VG_E_IO, "open %s", dir);
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        if (++w->seen > VG_TUF_KEYSTORE_MAX_KEYS) {
            rc = vg_err_set(err, VG_E_LIMIT, "%s: more than %u entries", w->top,
                            VG_TUF_KEYSTORE_MAX_KEYS);
            break;
        }
        vg_autofree char *sub = vg_fmt("%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(sub, &st) < 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            /* root_keys holds no GUN directories; tuf_keys nests GUNs (host/ns/repo) */
            if (!w->root_dir && depth < LEGACY_DEPTH) {
                rc = walk_dir(w, sub, depth + 1, err);
            }
        } else if (S_ISREG(st.st_mode)) {
            rc = visit_file(w, dir, e->d_name, err);
        }
    }
    closedir(d);
    return rc < 0 ? -1 : rc;
}

static int
legacy_walk(const char *trust_dir, legacy_fn fn, void *ud, struct vg_err **err)
{
    vg_autofree char *roots = vg_fmt("%s/private/root_keys", trust_dir);
    vg_autofree char *tufs = vg_fmt("%s/private/tuf_keys", trust_dir);
    struct walk w = {fn, ud, 0, roots, true};
    int rc = walk_dir(&w, roots, 0, err);
    if (rc == 0) {
        w.top = tufs;
        w.root_dir = false;
        rc = walk_dir(&w, tufs, 0, err);
    }
    return rc;
}

/* A legacy file's parse, with its role and GUN from its place when its headers lack them. */
static int
legacy_read(struct vg_tuf_keyfile *out, const struct legacy_key *k, struct vg_err **err)
{
    if (vg_tuf__keyfile_read_path(out, k->path, err) < 0) {
        return -1;
    }
    if (!out->role) {
        out->role = k->root_dir ? vg_strdup("root") : vg_strdup(k->name_role);
    }
    if (!out->gun && k->gun) {
        out->gun = vg_strdup(k->gun);
    }
    return 0;
}

struct find {
    const char *id;
    struct vg_tuf_keyfile *out;
    bool found;
};

static int
find_one(void *ud, const struct legacy_key *k, struct vg_err **err)
{
    struct find *f = ud;
    if (strcmp(k->id, f->id) != 0) {
        return 0;
    }
    if (legacy_read(f->out, k, err) < 0) {
        return -1;
    }
    f->found = true;
    return 1;
}

int
vg_tuf__keystore_legacy_read(struct vg_tuf_keyfile *out, bool *found, const char *trust_dir,
                             const char *keyid, struct vg_err **err)
{
    struct find f = {keyid, out, false};
    int rc = legacy_walk(trust_dir, find_one, &f, err);
    *found = f.found;
    return rc < 0 ? -1 : 0;
}

struct list {
    const char *role, *gun;
    char ***ids;
    size_t *n;
};

static int
list_one(void *ud, const struct legacy_key *k, struct vg_err **err)
{
    (void)err;
    struct list *l = ud;
    for (size_t i = 0; i < *l->n; i++) {
        if (strcmp((*l->ids)[i], k->id) == 0) {
            return 0; /* the flat layout's copy (or an earlier one) is listed already */
        }
    }
    struct vg_tuf_keyfile kf;
    struct vg_err *ignored = NULL;
    if (legacy_read(&kf, k, &ignored) < 0) {
        vg_err_free(&ignored); /* an unreadable file is not this role's key */
        return 0;
    }
    bool match = kf.role && strcmp(kf.role, l->role) == 0 &&
                 (!l->gun || (kf.gun && strcmp(kf.gun, l->gun) == 0));
    vg_tuf_keyfile_dispose(&kf);
    if (match) {
        vg_strv_push(l->ids, l->n, k->id);
    }
    return 0;
}

int
vg_tuf__keystore_legacy_list(char ***ids, size_t *n, const char *trust_dir, const char *role,
                             const char *gun, struct vg_err **err)
{
    struct list l = {role, gun, ids, n};
    return legacy_walk(trust_dir, list_one, &l, err) < 0 ? -1 : 0;
}
