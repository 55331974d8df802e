/* SPDX-License-Identifier: Apache-2.0
 *
 * The registry metadata store on SQLite (through store/): the schema, its migrations, and the
 * operations of meta.h. Connections come from a small pool (a connection belongs to one thread
 * at a time; WAL lets readers run beside the one writer). Multi-row changes run in one
 * transaction, so a crash never leaves a tag pointing at a manifest that is not there or a
 * manifest whose references are half recorded. It knows nothing of HTTP or of the byte store.
 */
#include "registry/meta.h"

#include <pthread.h>
#include <string.h>

#include "meta_sqlite_int.h"
#include "store/store.h"

static const char *const migrations[] = {
    "CREATE TABLE repositories (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE blobs (digest TEXT PRIMARY KEY, size INTEGER NOT NULL,"
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE repo_blobs (repo INTEGER NOT NULL REFERENCES repositories(id),"
    "  digest TEXT NOT NULL REFERENCES blobs(digest), created INTEGER NOT NULL,"
    "  PRIMARY KEY (repo, digest)) WITHOUT ROWID;"
    "CREATE TABLE manifests (repo INTEGER NOT NULL REFERENCES repositories(id),"
    "  digest TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,"
    "  artifact_type TEXT, subject TEXT, annotations TEXT, created INTEGER NOT NULL,"
    "  PRIMARY KEY (repo, digest)) WITHOUT ROWID;"
    "CREATE INDEX manifests_subject ON manifests(repo, subject) WHERE subject IS NOT NULL;"
    "CREATE TABLE manifest_refs (repo INTEGER NOT NULL, manifest TEXT NOT NULL,"
    "  ref TEXT NOT NULL, is_manifest INTEGER NOT NULL,"
    "  PRIMARY KEY (repo, manifest, ref),"
    "  FOREIGN KEY (repo, manifest) REFERENCES manifests(repo, digest) ON DELETE CASCADE)"
    "  WITHOUT ROWID;"
    "CREATE INDEX manifest_refs_ref ON manifest_refs(ref);"
    "CREATE TABLE tags (repo INTEGER NOT NULL, name TEXT NOT NULL, digest TEXT NOT NULL,"
    "  updated INTEGER NOT NULL, PRIMARY KEY (repo, name),"
    "  FOREIGN KEY (repo, digest) REFERENCES manifests(repo, digest) ON DELETE CASCADE)"
    "  WITHOUT ROWID;"
    "CREATE TABLE uploads (id TEXT PRIMARY KEY, repo TEXT NOT NULL, offset INTEGER NOT NULL,"
    "  created INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE scan_results (digest TEXT PRIMARY KEY, status TEXT NOT NULL,"
    "  queued INTEGER, scanned INTEGER, db_version TEXT, report TEXT) WITHOUT ROWID;",
    /* 2: scan-on-push records the repository a result was first pushed to */
    "ALTER TABLE scan_results ADD COLUMN repo TEXT;",
    /* 3: blobs garbage collection removed (a manifest never commits over one; gc.md) */
    "CREATE TABLE gc_removed (digest TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;",
    /* 4: the analysis a scan matched (rescans re-match it when the vulnerability DB changes) */
    "ALTER TABLE scan_results ADD COLUMN inventory TEXT;",
    /* 5: who opened an upload session (the per-user limit of concurrent uploads) */
    ("ALTER TABLE uploads ADD COLUMN owner TEXT;"
     "CREATE INDEX uploads_owner ON uploads(owner) WHERE owner IS NOT NULL;"),
    /* 6: manifests by digest alone (gc's "is this blob a manifest anywhere", a lookup per
     * candidate blob: without it a scan of every manifest, quadratic in the repositories) */
    "CREATE INDEX manifests_digest ON manifests(digest);",
};

/* ---------------------------------------------------------------- pool */

static struct vg_store *
conn_get(struct sq *q, struct vg_err **err)
{
    pthread_mutex_lock(&q->lock);
    struct vg_store *s = q->nidle ? q->idle[--q->nidle] : NULL;
    pthread_mutex_unlock(&q->lock);
    if (!s && vg_store_open(&s, q->path, VG_STORE_READWRITE, err) < 0) {
        return NULL;
    }
    return s;
}

struct vg_store *
vg_registry_sq_conn_get(struct sq *q, struct vg_err **err)
{
    return conn_get(q, err);
}

static void
conn_put(struct sq *q, struct vg_store *s)
{
    pthread_mutex_lock(&q->lock);
    if (q->nidle < POOL_MAX) {
        q->idle[q->nidle++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&q->lock);
    vg_store_close(s);
}

void
vg_registry_sq_conn_put(struct sq *q, struct vg_store *s)
{
    conn_put(q, s);
}

/* ---------------------------------------------------------------- helpers */

static int
prep(struct vg_store_stmt **st, struct vg_store *s, const char *sql, struct vg_err **err)
{
    return vg_store_prepare(st, s, sql, err);
}

int
vg_registry_sq_exec_args(struct vg_store *s, const char *sql, const char *const *args, size_t n,
                         struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s, sql, err) < 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (vg_store_bind_cstr(st, (int)i + 1, args[i], err) < 0) {
            return -1;
        }
    }
    int rc;
    while ((rc = vg_store_step(st, err)) > 0) {
    }
    return rc;
}

static int
repo_id(struct vg_store *s, const char *repo, bool create, int64_t *out, struct vg_err **err)
{
    if (create) {
        vg_autostmt struct vg_store_stmt *ins = NULL;
        if (prep(&ins, s, "INSERT OR IGNORE INTO repositories(name, created) VALUES (?1, ?2)",
                 err) < 0 ||
            vg_store_bind_cstr(ins, 1, repo, err) < 0 ||
            vg_store_bind_i64(ins, 2, vg_now_unix(), err) < 0 || vg_store_step(ins, err) < 0) {
            return -1;
        }
    }
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s, "SELECT id FROM repositories WHERE name = ?1", err) < 0 ||
        vg_store_bind_cstr(st, 1, repo, err) < 0) {
        return -1;
    }
    int rc = vg_store_step(st, err);
    if (rc < 0) {
        return -1;
    }
    if (rc == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "repository not known");
    }
    *out = vg_store_col_i64(st, 0);
    return 0;
}

char *
vg_registry_sq_col_dup(struct vg_store_stmt *st, int col)
{
    size_t n;
    const char *t = vg_store_col_text(st, col, &n);
    return t ? vg_strndup(t, n) : NULL;
}

static int
col_digest(struct vg_store_stmt *st, int col, struct vg_digest *out, struct vg_err **err)
{
    const char *t = vg_store_col_text(st, col, NULL);
    if (!t || vg_digest_parse(out, t, err) < 0) {
        return vg_err_set(err, VG_E_DB, "metadata: corrupt digest column");
    }
    return 0;
}

/* Pages a one-column name list: rows after `last`, at most n, *more when one more exists. */
static int
page_names(struct vg_store_stmt *st, size_t n, char ***out, size_t *nout, bool *more,
           struct vg_err **err)
{
    char **v = NULL;
    size_t k = 0;
    int rc;
    *more = false;
    while ((rc = vg_store_step(st, err)) > 0) {
        if (k == n) {
            *more = true;
            break;
        }
        const char *t = vg_store_col_text(st, 0, NULL);
        vg_strv_push(&v, &k, t ? t : "");
    }
    if (rc < 0) {
        vg_strv_free(v, k);
        return -1;
    }
    *out = v;
    *nout = k;
    return 0;
}

void
vg_registry_manifest_rec_dispose(struct vg_registry_manifest_rec *m)
{
    free(m->media_type);
    free(m->artifact_type);
    free(m->annotations);
    m->media_type = m->artifact_type = m->annotations = NULL;
}

void
vg_registry_manifest_recs_free(struct vg_registry_manifest_rec *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vg_registry_manifest_rec_dispose(&v[i]);
    }
    free(v);
}

void
vg_registry_meta_free(struct vg_registry_meta *m)
{
    if (m) {
        m->ops->free(m);
    }
}

/* ---------------------------------------------------------------- repositories, blobs */

static int
do_repo_exists(struct vg_store *s, const char *repo, bool *out, struct vg_err **err)
{
    int64_t id;
    struct vg_err *e = NULL;
    if (repo_id(s, repo, false, &id, &e) < 0) {
        if (vg_err_code(e) != VG_E_NOTFOUND) {
            *err = e;
            return -1;
        }
        vg_err_free(&e);
        *out = false;
        return 0;
    }
    *out = true;
    return 0;
}

static int
sq_repo_exists(struct vg_registry_meta *m, const char *repo, bool *out, struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_repo_exists(s_, repo, out, err));
}

static int
do_catalog(struct vg_store *s, const char *last, size_t n, char ***out, size_t *nout, bool *more,
           struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s, "SELECT name FROM repositories WHERE name > ?1 ORDER BY name LIMIT ?2", err) <
            0 ||
        vg_store_bind_cstr(st, 1, last ? last : "", err) < 0 ||
        vg_store_bind_i64(st, 2, (int64_t)n + 1, err) < 0) {
        return -1;
    }
    return page_names(st, n, out, nout, more, err);
}

static int
sq_catalog(struct vg_registry_meta *m, const char *last, size_t n, char ***out, size_t *nout,
           bool *more, struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_catalog(s_, last, n, out, nout, more, err));
}

static int
link_blob(struct vg_store *s, int64_t rid, const struct vg_digest *d, uint64_t size,
          struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *b = NULL;
    vg_autostmt struct vg_store_stmt *l = NULL;
    int64_t now = vg_now_unix();
    if (prep(&b, s, "INSERT OR IGNORE INTO blobs(digest, size, created) VALUES (?1, ?2, ?3)", err) <
            0 ||
        vg_store_bind_cstr(b, 1, d->text, err) < 0 ||
        vg_store_bind_i64(b, 2, (int64_t)size, err) < 0 || vg_store_bind_i64(b, 3, now, err) < 0 ||
        vg_store_step(b, err) < 0) {
        return -1;
    }
    if (prep(&l, s, "INSERT OR IGNORE INTO repo_blobs(repo, digest, created) VALUES (?1, ?2, ?3)",
             err) < 0 ||
        vg_store_bind_i64(l, 1, rid, err) < 0 || vg_store_bind_cstr(l, 2, d->text, err) < 0 ||
        vg_store_bind_i64(l, 3, now, err) < 0 || vg_store_step(l, err) < 0) {
        return -1;
    }
    return 0;
}

static int
do_blob_link(struct vg_store *s, const char *repo, const struct vg_digest *d, uint64_t size,
             struct vg_err **err)
{
    int64_t rid;
    if (vg_store_begin(s, err) < 0) {
        return -1;
    }
    if (repo_id(s, repo, true, &rid, err) < 0 || link_blob(s, rid, d, size, err) < 0 ||
        vg_store_commit(s, err) < 0) {
        vg_store_rollback(s);
        return -1;
    }
    return 0;
}

static int
sq_blob_link(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d, uint64_t size,
             struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_blob_link(s_, repo, d, size, err));
}

static int
do_blob_get(struct vg_store *s, const char *repo, const struct vg_digest *d, uint64_t *size,
            struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    const char *sql =
        repo ? "SELECT b.size FROM blobs b JOIN repo_blobs l ON l.digest = b.digest"
               " JOIN repositories r ON r.id = l.repo WHERE b.digest = ?1 AND r.name = ?2"
             : "SELECT size FROM blobs WHERE digest = ?1";
    if (prep(&st, s, sql, err) < 0 || vg_store_bind_cstr(st, 1, d->text, err) < 0 ||
        (repo && vg_store_bind_cstr(st, 2, repo, err) < 0)) {
        return -1;
    }
    int rc = vg_store_step(st, err);
    if (rc < 0) {
        return -1;
    }
    if (rc == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "blob %s not known", d->text);
    }
    *size = (uint64_t)vg_store_col_i64(st, 0);
    return 0;
}

static int
sq_blob_get(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d, uint64_t *size,
            struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_blob_get(s_, repo, d, size, err));
}

static int
do_blob_unlink(struct vg_store *s, const char *repo, const struct vg_digest *d, struct vg_err **err)
{
    uint64_t size;
    if (do_blob_get(s, repo, d, &size, err) < 0) {
        return -1;
    }
    const char *args[] = {d->text, repo};
    return vg_registry_sq_exec_args(s,
                                    "DELETE FROM repo_blobs WHERE digest = ?1 AND repo ="
                                    " (SELECT id FROM repositories WHERE name = ?2)",
                                    args, 2, err);
}

static int
sq_blob_unlink(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d,
               struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_blob_unlink(s_, repo, d, err));
}

/* ---------------------------------------------------------------- manifests */

static int
insert_manifest(struct vg_store *s, int64_t rid, const struct vg_registry_manifest_rec *rec,
                bool *inserted, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s,
             "INSERT OR IGNORE INTO manifests(repo, digest, media_type, size, artifact_type,"
             " subject, annotations, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
             err) < 0 ||
        vg_store_bind_i64(st, 1, rid, err) < 0 ||
        vg_store_bind_cstr(st, 2, rec->digest.text, err) < 0 ||
        vg_store_bind_cstr(st, 3, rec->media_type, err) < 0 ||
        vg_store_bind_i64(st, 4, (int64_t)rec->size, err) < 0 ||
        vg_store_bind_cstr(st, 5, rec->artifact_type, err) < 0 ||
        vg_store_bind_cstr(st, 6, rec->has_subject ? rec->subject.text : NULL, err) < 0 ||
        vg_store_bind_cstr(st, 7, rec->annotations, err) < 0 ||
        vg_store_bind_i64(st, 8, vg_now_unix(), err) < 0 || vg_store_step(st, err) < 0) {
        return -1;
    }
    *inserted = vg_store_changes(s) > 0;
    return 0;
}

static int
insert_refs(struct vg_store *s, int64_t rid, const struct vg_digest *man,
            const struct vg_registry_manifest_ref *refs, size_t nrefs, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s,
             "INSERT OR IGNORE INTO manifest_refs(repo, manifest, ref, is_manifest)"
             " VALUES (?1, ?2, ?3, ?4)",
             err) < 0) {
        return -1;
    }
    for (size_t i = 0; i < nrefs; i++) {
        vg_store_reset(st);
        if (vg_store_bind_i64(st, 1, rid, err) < 0 ||
            vg_store_bind_cstr(st, 2, man->text, err) < 0 ||
            vg_store_bind_cstr(st, 3, refs[i].digest.text, err) < 0 ||
            vg_store_bind_i64(st, 4, refs[i].is_manifest, err) < 0 || vg_store_step(st, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
set_tags(struct vg_store *s, int64_t rid, const struct vg_digest *man, const char *const *tags,
         size_t ntags, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s,
             "INSERT INTO tags(repo, name, digest, updated) VALUES (?1, ?2, ?3, ?4)"
             " ON CONFLICT(repo, name) DO UPDATE SET digest = excluded.digest,"
             " updated = excluded.updated",
             err) < 0) {
        return -1;
    }
    for (size_t i = 0; i < ntags; i++) {
        vg_store_reset(st);
        if (vg_store_bind_i64(st, 1, rid, err) < 0 || vg_store_bind_cstr(st, 2, tags[i], err) < 0 ||
            vg_store_bind_cstr(st, 3, man->text, err) < 0 ||
            vg_store_bind_i64(st, 4, vg_now_unix(), err) < 0 || vg_store_step(st, err) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Inside the manifest's transaction: no blob it references was garbage-collected (and not
 * uploaded again) since the caller checked it. GC deletes in a
 * transaction of its own that re-checks for references, and SQLite serialises the two, so
 * either GC sees this manifest's references or this sees GC's deletion (docs/internals/gc.md). */
static int
refs_still_there(struct vg_store *s, const struct vg_registry_manifest_ref *refs, size_t nrefs,
                 struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s,
             "SELECT 1 FROM gc_removed g WHERE g.digest = ?1"
             " AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = ?1)",
             err) < 0) {
        return -1;
    }
    for (size_t i = 0; i < nrefs; i++) {
        if (refs[i].is_manifest) {
            continue; /* manifests are never collected */
        }
        vg_store_reset(st);
        if (vg_store_bind_cstr(st, 1, refs[i].digest.text, err) < 0) {
            return -1;
        }
        int rc = vg_store_step(st, err);
        if (rc < 0) {
            return -1;
        }
        if (rc > 0) {
            return vg_err_set(err, VG_E_NOTFOUND, "blob %s was garbage-collected meanwhile",
                              refs[i].digest.text);
        }
    }
    return 0;
}

static int
do_manifest_put(struct vg_store *s, const struct vg_registry_manifest_rec *rec,
                const struct vg_registry_manifest_ref *refs, size_t nrefs, const char *const *tags,
                size_t ntags, struct vg_err **err)
{
    int64_t rid;
    bool inserted = false;
    if (vg_store_begin(s, err) < 0) {
        return -1;
    }
    /* The manifest's own bytes are a blob too (GC keeps them while the row exists). */
    int rc =
        repo_id(s, rec->repo, true, &rid, err) < 0 || refs_still_there(s, refs, nrefs, err) < 0 ||
                link_blob(s, rid, &rec->digest, rec->size, err) < 0 ||
                insert_manifest(s, rid, rec, &inserted, err) < 0 ||
                (inserted && insert_refs(s, rid, &rec->digest, refs, nrefs, err) < 0) ||
                set_tags(s, rid, &rec->digest, tags, ntags, err) < 0 || vg_store_commit(s, err) < 0
            ? -1
            : 0;
    if (rc < 0) {
        vg_store_rollback(s);
    }
    return rc;
}

static int
sq_manifest_put(struct vg_registry_meta *m, const struct vg_registry_manifest_rec *rec,
                const struct vg_registry_manifest_ref *refs, size_t nrefs, const char *const *tags,
                size_t ntags, struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_manifest_put(s_, rec, refs, nrefs, tags, ntags, err));
}

#define MANIFEST_COLS "m.digest, m.media_type, m.size, m.artifact_type, m.subject, m.annotations"

static int
read_rec(struct vg_store_stmt *st, struct vg_registry_manifest_rec *out, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    if (col_digest(st, 0, &out->digest, err) < 0) {
        return -1;
    }
    out->media_type = vg_registry_sq_col_dup(st, 1);
    out->size = (uint64_t)vg_store_col_i64(st, 2);
    out->artifact_type = vg_registry_sq_col_dup(st, 3);
    if (!vg_store_col_is_null(st, 4)) {
        if (col_digest(st, 4, &out->subject, err) < 0) {
            vg_registry_manifest_rec_dispose(out);
            return -1;
        }
        out->has_subject = true;
    }
    out->annotations = vg_registry_sq_col_dup(st, 5);
    if (!out->media_type) {
        vg_registry_manifest_rec_dispose(out);
        return vg_err_set(err, VG_E_DB, "metadata: manifest without a media type");
    }
    return 0;
}

static int
do_manifest_get(struct vg_store *s, const char *repo, const struct vg_digest *d,
                struct vg_registry_manifest_rec *out, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s,
             "SELECT " MANIFEST_COLS " FROM manifests m JOIN repositories r ON r.id = m.repo"
             " WHERE r.name = ?1 AND m.digest = ?2",
             err) < 0 ||
        vg_store_bind_cstr(st, 1, repo, err) < 0 || vg_store_bind_cstr(st, 2, d->text, err) < 0) {
        return -1;
    }
    int rc = vg_store_step(st, err);
    if (rc < 0) {
        return -1;
    }
    if (rc == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "manifest %s not known", d->text);
    }
    return read_rec(st, out, err);
}

static int
sq_manifest_get(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d,
                struct vg_registry_manifest_rec *out, struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_manifest_get(s_, repo, d, out, err));
}

static int
do_manifest_delete(struct vg_store *s, const char *repo, const struct vg_digest *d,
                   struct vg_err **err)
{
    int64_t rid;
    if (vg_store_begin(s, err) < 0) {
        return -1;
    }
    vg_autostmt struct vg_store_stmt *st = NULL;
    int rc = repo_id(s, repo, false, &rid, err);
    if (rc == 0 &&
        (prep(&st, s, "DELETE FROM manifests WHERE repo = ?1 AND digest = ?2", err) < 0 ||
         vg_store_bind_i64(st, 1, rid, err) < 0 || vg_store_bind_cstr(st, 2, d->text, err) < 0 ||
         vg_store_step(st, err) < 0)) {
        rc = -1;
    }
    if (rc == 0 && vg_store_changes(s) == 0) {
        rc = vg_err_set(err, VG_E_NOTFOUND, "manifest %s not known", d->text);
    }
    if (rc == 0 && vg_store_commit(s, err) < 0) {
        rc = -1;
    }
    if (rc < 0) {
        vg_store_rollback(s);
    }
    return rc;
}

static int
sq_manifest_delete(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d,
                   struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_manifest_delete(s_, repo, d, err));
}

static int
do_tag_resolve(struct vg_store *s, const char *repo, const char *tag, struct vg_digest *out,
               struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s,
             "SELECT t.digest FROM tags t JOIN repositories r ON r.id = t.repo"
             " WHERE r.name = ?1 AND t.name = ?2",
             err) < 0 ||
        vg_store_bind_cstr(st, 1, repo, err) < 0 || vg_store_bind_cstr(st, 2, tag, err) < 0) {
        return -1;
    }
    int rc = vg_store_step(st, err);
    if (rc < 0) {
        return -1;
    }
    if (rc == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "tag not known");
    }
    return col_digest(st, 0, out, err);
}

static int
sq_tag_resolve(struct vg_registry_meta *m, const char *repo, const char *tag, struct vg_digest *out,
               struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_tag_resolve(s_, repo, tag, out, err));
}

static int
do_tag_delete(struct vg_store *s, const char *repo, const char *tag, struct vg_err **err)
{
    const char *args[] = {repo, tag};
    if (vg_registry_sq_exec_args(s,
                                 "DELETE FROM tags WHERE name = ?2 AND repo ="
                                 " (SELECT id FROM repositories WHERE name = ?1)",
                                 args, 2, err) < 0) {
        return -1;
    }
    if (vg_store_changes(s) == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "tag not known");
    }
    return 0;
}

static int
sq_tag_delete(struct vg_registry_meta *m, const char *repo, const char *tag, struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_tag_delete(s_, repo, tag, err));
}

static int
do_tags_list(struct vg_store *s, const char *repo, const char *last, size_t n, char ***out,
             size_t *nout, bool *more, struct vg_err **err)
{
    int64_t rid;
    if (repo_id(s, repo, false, &rid, err) < 0) {
        return -1;
    }
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s, "SELECT name FROM tags WHERE repo = ?1 AND name > ?2 ORDER BY name LIMIT ?3",
             err) < 0 ||
        vg_store_bind_i64(st, 1, rid, err) < 0 ||
        vg_store_bind_cstr(st, 2, last ? last : "", err) < 0 ||
        vg_store_bind_i64(st, 3, (int64_t)n + 1, err) < 0) {
        return -1;
    }
    return page_names(st, n, out, nout, more, err);
}

static int
sq_tags_list(struct vg_registry_meta *m, const char *repo, const char *last, size_t n, char ***out,
             size_t *nout, bool *more, struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_tags_list(s_, repo, last, n, out, nout, more, err));
}

static int
do_referrers(struct vg_store *s, const char *repo, const struct vg_digest *d, const char *at,
             struct vg_registry_manifest_rec **out, size_t *n, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s,
             "SELECT " MANIFEST_COLS " FROM manifests m JOIN repositories r ON r.id = m.repo"
             " WHERE r.name = ?1 AND m.subject = ?2 AND (?3 IS NULL OR m.artifact_type = ?3)"
             " ORDER BY m.digest LIMIT ?4",
             err) < 0 ||
        vg_store_bind_cstr(st, 1, repo, err) < 0 || vg_store_bind_cstr(st, 2, d->text, err) < 0 ||
        vg_store_bind_cstr(st, 3, at, err) < 0 ||
        vg_store_bind_i64(st, 4, VG_LIMIT_INDEX_ENTRIES, err) < 0) {
        return -1;
    }
    VG_VEC(struct vg_registry_manifest_rec) v = VG_VEC_INIT;
    int rc;
    while ((rc = vg_store_step(st, err)) > 0) {
        struct vg_registry_manifest_rec *r = vg_vec_push_zero(&v);
        if (read_rec(st, r, err) < 0) {
            v.n--;
            rc = -1;
            break;
        }
    }
    if (rc < 0) {
        vg_registry_manifest_recs_free(v.v, v.n);
        return -1;
    }
    *out = v.v;
    *n = v.n;
    return 0;
}

static int
sq_referrers(struct vg_registry_meta *m, const char *repo, const struct vg_digest *d,
             const char *artifact_type, struct vg_registry_manifest_rec **out, size_t *n,
             struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_referrers(s_, repo, d, artifact_type, out, n, err));
}

/* ---------------------------------------------------------------- upload sessions */

static int
do_upload_create(struct vg_store *s, const char *id, const char *repo, const char *owner,
                 unsigned max, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    int64_t now = vg_now_unix();
    /* One statement: the count and the insert cannot interleave with another writer's. */
    if (prep(&st, s,
             "INSERT INTO uploads(id, repo, offset, created, updated, owner)"
             " SELECT ?1, ?2, 0, ?3, ?3, ?4"
             " WHERE ?5 = 0 OR ?4 IS NULL"
             "  OR (SELECT count(*) FROM uploads WHERE owner = ?4) < ?5",
             err) < 0 ||
        vg_store_bind_cstr(st, 1, id, err) < 0 || vg_store_bind_cstr(st, 2, repo, err) < 0 ||
        vg_store_bind_i64(st, 3, now, err) < 0 ||
        (owner ? vg_store_bind_cstr(st, 4, owner, err) : vg_store_bind_null(st, 4, err)) < 0 ||
        vg_store_bind_i64(st, 5, max, err) < 0 || vg_store_step(st, err) < 0) {
        return -1;
    }
    if (vg_store_changes(s) == 0) {
        return vg_err_set(err, VG_E_LIMIT, "%u upload sessions of '%s' are open already", max,
                          owner);
    }
    return 0;
}

static int
sq_upload_create(struct vg_registry_meta *m, const char *id, const char *repo, const char *owner,
                 unsigned max, struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_upload_create(s_, id, repo, owner, max, err));
}

static int
do_upload_get(struct vg_store *s, const char *id, char **repo, uint64_t *offset,
              struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s, "SELECT repo, offset FROM uploads WHERE id = ?1", err) < 0 ||
        vg_store_bind_cstr(st, 1, id, err) < 0) {
        return -1;
    }
    int rc = vg_store_step(st, err);
    if (rc < 0) {
        return -1;
    }
    if (rc == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "upload session not known");
    }
    *repo = vg_registry_sq_col_dup(st, 0);
    *offset = (uint64_t)vg_store_col_i64(st, 1);
    return 0;
}

static int
sq_upload_get(struct vg_registry_meta *m, const char *id, char **repo, uint64_t *offset,
              struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_upload_get(s_, id, repo, offset, err));
}

static int
do_upload_advance(struct vg_store *s, const char *id, uint64_t from, uint64_t to,
                  struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s, "UPDATE uploads SET offset = ?3, updated = ?4 WHERE id = ?1 AND offset = ?2",
             err) < 0 ||
        vg_store_bind_cstr(st, 1, id, err) < 0 ||
        vg_store_bind_i64(st, 2, (int64_t)from, err) < 0 ||
        vg_store_bind_i64(st, 3, (int64_t)to, err) < 0 ||
        vg_store_bind_i64(st, 4, vg_now_unix(), err) < 0 || vg_store_step(st, err) < 0) {
        return -1;
    }
    if (vg_store_changes(s) == 0) {
        return vg_err_set(err, VG_E_VERIFY, "upload session moved on or is gone");
    }
    return 0;
}

static int
sq_upload_advance(struct vg_registry_meta *m, const char *id, uint64_t from, uint64_t to,
                  struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_upload_advance(s_, id, from, to, err));
}

static int
do_upload_delete(struct vg_store *s, const char *id, struct vg_err **err)
{
    const char *args[] = {id};
    if (vg_registry_sq_exec_args(s, "DELETE FROM uploads WHERE id = ?1", args, 1, err) < 0) {
        return -1;
    }
    if (vg_store_changes(s) == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "upload session not known");
    }
    return 0;
}

static int
sq_upload_delete(struct vg_registry_meta *m, const char *id, struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_upload_delete(s_, id, err));
}

static int
do_uploads_stale(struct vg_store *s, int64_t before, size_t max, char ***out, size_t *n,
                 struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    bool more;
    if (prep(&st, s, "SELECT id FROM uploads WHERE updated < ?1 ORDER BY id LIMIT ?2", err) < 0 ||
        vg_store_bind_i64(st, 1, before, err) < 0 ||
        vg_store_bind_i64(st, 2, (int64_t)max, err) < 0) {
        return -1;
    }
    return page_names(st, max, out, n, &more, err);
}

static int
sq_uploads_stale(struct vg_registry_meta *m, int64_t before, size_t max, char ***out, size_t *n,
                 struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_uploads_stale(s_, before, max, out, n, err));
}

static int
do_gc_upload_delete(struct vg_store *s, const char *id, int64_t before, bool *deleted,
                    struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (prep(&st, s, "DELETE FROM uploads WHERE id = ?1 AND updated < ?2", err) < 0 ||
        vg_store_bind_cstr(st, 1, id, err) < 0 || vg_store_bind_i64(st, 2, before, err) < 0 ||
        vg_store_step(st, err) < 0) {
        return -1;
    }
    *deleted = vg_store_changes(s) > 0;
    return 0;
}

static int
sq_gc_upload_delete(struct vg_registry_meta *m, const char *id, int64_t before, bool *deleted,
                    struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_gc_upload_delete(s_, id, before, deleted, err));
}

static void
sq_free(struct vg_registry_meta *m)
{
    struct sq *q = (struct sq *)m;
    for (size_t i = 0; i < q->nidle; i++) {
        vg_store_close(q->idle[i]);
    }
    pthread_mutex_destroy(&q->lock);
    free(q->path);
    free(q);
}

static const struct vg_registry_meta_ops sq_ops = {
    .repo_exists = sq_repo_exists,
    .catalog = sq_catalog,
    .blob_link = sq_blob_link,
    .blob_get = sq_blob_get,
    .blob_unlink = sq_blob_unlink,
    .manifest_put = sq_manifest_put,
    .manifest_get = sq_manifest_get,
    .manifest_delete = sq_manifest_delete,
    .tag_resolve = sq_tag_resolve,
    .tag_delete = sq_tag_delete,
    .tags_list = sq_tags_list,
    .referrers = sq_referrers,
    .upload_create = sq_upload_create,
    .upload_get = sq_upload_get,
    .upload_advance = sq_upload_advance,
    .upload_delete = sq_upload_delete,
    .uploads_stale = sq_uploads_stale,
    .scan_put = vg_registry_sq_scan_put,
    .scan_get = vg_registry_sq_scan_get,
    .scan_list = vg_registry_sq_scan_list,
    .gc_candidates = vg_registry_sq_gc_candidates,
    .gc_blob_delete = vg_registry_sq_gc_blob_delete,
    .gc_upload_delete = sq_gc_upload_delete,
    .free = sq_free,
};

int
vg_registry_meta_open_root(struct vg_registry_meta **out, const char *root, struct vg_err **err)
{
    vg_autofree char *db = vg_fmt("%s/meta.db", root);
    return vg_registry_meta_sqlite_open(out, db, err);
}

int
vg_registry_meta_sqlite_open(struct vg_registry_meta **out, const char *path, struct vg_err **err)
{
    struct vg_store *s = NULL;
    if (vg_store_open(&s, path, VG_STORE_READWRITE, err) < 0) {
        return vg_err_wrap(err, "registry metadata");
    }
    if (vg_store_migrate(s, migrations, VG_ARRAY_LEN(migrations), err) < 0) {
        vg_store_close(s);
        return vg_err_wrap(err, "registry metadata %s", path);
    }
    struct sq *q = vg_calloc(1, sizeof(*q));
    q->base.ops = &sq_ops;
    q->path = vg_strdup(path);
    pthread_mutex_init(&q->lock, NULL);
    q->idle[q->nidle++] = s;
    *out = &q->base;
    return 0;
}
