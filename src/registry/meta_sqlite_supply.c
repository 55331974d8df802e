/* SPDX-License-Identifier: Apache-2.0
 *
 * The SQLite metadata store's supply-chain tables: scan-on-push results (scan_results) and the
 * garbage-collection queries over blobs, manifests and their references (docs/internals/gc.md).
 */
#include <string.h>

#include "meta_sqlite_int.h"

/* ---------------------------------------------------------------- scan results */

void
vg_registry_scan_rec_dispose(struct vg_registry_scan_rec *r)
{
    free(r->repo);
    free(r->status);
    free(r->report);
    free(r->db_version);
    free(r->inventory);
    memset(r, 0, sizeof(*r));
}

void
vg_registry_scan_recs_free(struct vg_registry_scan_rec *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        vg_registry_scan_rec_dispose(&v[i]);
    }
    free(v);
}

static int
do_scan_put(struct vg_store *s, const struct vg_registry_scan_rec *rec, struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (vg_store_prepare(
            &st, s,
            "INSERT OR REPLACE INTO scan_results (digest, status, queued, scanned, report, repo,"
            " db_version, inventory) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            err) < 0 ||
        vg_store_bind_cstr(st, 1, rec->digest.text, err) < 0 ||
        vg_store_bind_cstr(st, 2, rec->status, err) < 0 ||
        vg_store_bind_i64(st, 3, rec->queued, err) < 0 ||
        vg_store_bind_i64(st, 4, rec->scanned, err) < 0 ||
        vg_store_bind_cstr(st, 5, rec->report, err) < 0 ||
        vg_store_bind_cstr(st, 6, rec->repo, err) < 0 ||
        vg_store_bind_cstr(st, 7, rec->db_version, err) < 0 ||
        vg_store_bind_cstr(st, 8, rec->inventory, err) < 0 || vg_store_step(st, err) < 0) {
        return -1;
    }
    return 0;
}

int
vg_registry_sq_scan_put(struct vg_registry_meta *m, const struct vg_registry_scan_rec *rec,
                        struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_scan_put(s_, rec, err));
}

static void
scan_row(struct vg_store_stmt *st, struct vg_registry_scan_rec *out, bool with_report)
{
    size_t dlen;
    const char *d = vg_store_col_text(st, 0, &dlen);
    if (!d || vg_digest_parse(&out->digest, d, NULL) < 0) {
        memset(&out->digest, 0, sizeof(out->digest));
    }
    out->status = vg_registry_sq_col_dup(st, 1);
    out->queued = vg_store_col_i64(st, 2);
    out->scanned = vg_store_col_i64(st, 3);
    out->repo = vg_registry_sq_col_dup(st, 4);
    out->db_version = vg_registry_sq_col_dup(st, 5);
    out->report = with_report ? vg_registry_sq_col_dup(st, 6) : NULL;
    out->inventory = with_report ? vg_registry_sq_col_dup(st, 7) : NULL;
}

static int
do_scan_get(struct vg_store *s, const struct vg_digest *d, struct vg_registry_scan_rec *out,
            struct vg_err **err)
{
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (vg_store_prepare(&st, s,
                         "SELECT digest, status, queued, scanned, repo, db_version, report,"
                         " inventory FROM scan_results WHERE digest = ?1",
                         err) < 0 ||
        vg_store_bind_cstr(st, 1, d->text, err) < 0) {
        return -1;
    }
    int rc = vg_store_step(st, err);
    if (rc < 0) {
        return -1;
    }
    if (rc == 0) {
        return vg_err_set(err, VG_E_NOTFOUND, "no scan result for %s", d->text);
    }
    memset(out, 0, sizeof(*out));
    scan_row(st, out, true);
    return 0;
}

int
vg_registry_sq_scan_get(struct vg_registry_meta *m, const struct vg_digest *d,
                        struct vg_registry_scan_rec *out, struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_scan_get(s_, d, out, err));
}

static int
do_scan_list(struct vg_store *s, struct vg_registry_scan_rec **out, size_t *n, struct vg_err **err)
{
    *out = NULL;
    *n = 0;
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (vg_store_prepare(
            &st, s,
            "SELECT digest, status, queued, scanned, repo, db_version FROM scan_results"
            " ORDER BY digest",
            err) < 0) {
        return -1;
    }
    /* grown by doubling: one row at a time copied every row each time (quadratic) */
    VG_VEC(struct vg_registry_scan_rec) v = VG_VEC_INIT;
    int rc;
    while ((rc = vg_store_step(st, err)) > 0) {
        scan_row(st, vg_vec_push_zero(&v), false);
    }
    if (rc < 0) {
        vg_registry_scan_recs_free(v.v, v.n);
        return -1;
    }
    *out = v.v;
    *n = v.n;
    return 0;
}

int
vg_registry_sq_scan_list(struct vg_registry_meta *m, struct vg_registry_scan_rec **out, size_t *n,
                         struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_scan_list(s_, out, n, err));
}

/* ---------------------------------------------------------------- garbage collection */

#define GC_UNREFERENCED                                                                            \
    " NOT EXISTS (SELECT 1 FROM manifest_refs r WHERE r.ref = b.digest)"                           \
    " AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = b.digest)"

static int
do_gc_candidates(struct vg_store *s, int64_t before, struct vg_digest **out, size_t *n,
                 struct vg_err **err)
{
    *out = NULL;
    *n = 0;
    vg_autostmt struct vg_store_stmt *st = NULL;
    if (vg_store_prepare(&st, s,
                         "SELECT b.digest FROM blobs b WHERE b.created <= ?1 AND" GC_UNREFERENCED
                         " ORDER BY b.digest",
                         err) < 0 ||
        vg_store_bind_i64(st, 1, before, err) < 0) {
        return -1;
    }
    VG_VEC(struct vg_digest) v = VG_VEC_INIT; /* grown by doubling */
    int rc;
    while ((rc = vg_store_step(st, err)) > 0) {
        vg_vec_reserve(&v, 1);
        const char *t = vg_store_col_text(st, 0, NULL);
        if (!t || vg_digest_parse(&v.v[v.n], t, NULL) < 0) {
            vg_vec_dispose(&v);
            return vg_err_set(err, VG_E_DB, "metadata: corrupt digest in blobs");
        }
        v.n++;
    }
    if (rc < 0) {
        vg_vec_dispose(&v);
        return -1;
    }
    *out = v.v;
    *n = v.n;
    return 0;
}

int
vg_registry_sq_gc_candidates(struct vg_registry_meta *m, int64_t before, struct vg_digest **out,
                             size_t *n, struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_gc_candidates(s_, before, out, n, err));
}

static int
do_gc_blob_delete(struct vg_store *s, const struct vg_digest *d, int64_t before, bool *deleted,
                  struct vg_err **err)
{
    *deleted = false;
    if (vg_store_begin(s, err) < 0) {
        return -1;
    }
    vg_autostmt struct vg_store_stmt *st = NULL;
    int rc =
        vg_store_prepare(
            &st, s,
            "SELECT 1 FROM blobs b WHERE b.digest = ?1 AND b.created <= ?2 AND" GC_UNREFERENCED,
            err) < 0 ||
                vg_store_bind_cstr(st, 1, d->text, err) < 0 ||
                vg_store_bind_i64(st, 2, before, err) < 0
            ? -1
            : vg_store_step(st, err);
    if (rc > 0) {
        const char *args[] = {d->text};
        rc = vg_registry_sq_exec_args(s, "DELETE FROM repo_blobs WHERE digest = ?1", args, 1, err) <
                         0 ||
                     vg_registry_sq_exec_args(s, "DELETE FROM blobs WHERE digest = ?1", args, 1,
                                              err) < 0 ||
                     vg_registry_sq_exec_args(s,
                                              "INSERT OR REPLACE INTO gc_removed (digest, at)"
                                              " VALUES (?1, strftime('%s','now'))",
                                              args, 1, err) < 0
                 ? -1
                 : 1;
    }
    if (rc >= 0 && vg_store_commit(s, err) < 0) {
        rc = -1;
    }
    if (rc < 0) {
        vg_store_rollback(s);
        return -1;
    }
    *deleted = rc > 0;
    return 0;
}

int
vg_registry_sq_gc_blob_delete(struct vg_registry_meta *m, const struct vg_digest *d, int64_t before,
                              bool *deleted, struct vg_err **err)
{
    WITH_CONN((struct sq *)m, err, do_gc_blob_delete(s_, d, before, deleted, err));
}
