/* SPDX-License-Identifier: Apache-2.0
 *
 * Tests for registry garbage collection (registry/gc.h): unreferenced blobs past the grace
 * period go (dry run lists without removing), referenced blobs and manifests stay, young blobs
 * stay, and the two transactions that race — GC deleting a blob, a manifest starting to
 * reference it — exclude each other: a manifest never commits over a collected blob, and GC
 * never collects a blob a committed manifest references.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/gc.h"
#include "registry/rescan.h"

struct env {
    struct vg_registry_storage *st;
    struct vg_registry_meta *meta;
};

static void
env_init(struct env *e)
{
    char tmpl[] = "/tmp/vg_reggc.XXXXXX";
    char *dir = mkdtemp(tmpl);
    cr_assert(dir);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_storage_fs_new(&e->st, dir, &err), 0);
    vg_autofree char *db = vg_fmt("%s/meta.db", dir);
    cr_assert_eq(vg_registry_meta_sqlite_open(&e->meta, db, &err), 0);
}

static void
env_dispose(struct env *e)
{
    vg_registry_meta_free(e->meta);
    vg_registry_storage_free(e->st);
}

static struct vg_digest
blob(struct env *e, const char *repo, const char *content)
{
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, content, strlen(content));
    struct vg_err *err = NULL;
    cr_assert_eq(e->st->ops->blob_put(e->st, &d, content, strlen(content), &err), 0);
    cr_assert_eq(e->meta->ops->blob_link(e->meta, repo, &d, strlen(content), &err), 0);
    return d;
}

static int
manifest(struct env *e, const char *repo, const char *content, const struct vg_digest *ref,
         struct vg_digest *out, struct vg_err **err)
{
    vg_digest_of(out, VG_DIGEST_SHA256, content, strlen(content));
    cr_assert_eq(e->st->ops->blob_put(e->st, out, content, strlen(content), err), 0);
    char mt[] = "application/vnd.oci.image.manifest.v1+json";
    struct vg_registry_manifest_rec rec = {
        .repo = repo, .digest = *out, .media_type = mt, .size = strlen(content)};
    struct vg_registry_manifest_ref r = {*ref, false};
    const char *tags[] = {"latest"};
    return e->meta->ops->manifest_put(e->meta, &rec, &r, 1, tags, 1, err);
}

static bool
stored(struct env *e, const struct vg_digest *d)
{
    uint64_t size;
    struct vg_err *err = NULL;
    if (e->st->ops->blob_stat(e->st, d, &size, &err) == 0) {
        return true;
    }
    vg_err_free(&err);
    return false;
}

Test(registry_gc, removes_only_unreferenced_past_grace)
{
    struct env e = {0};
    env_init(&e);
    struct vg_err *err = NULL;
    struct vg_digest layer = blob(&e, "a", "layer");
    struct vg_digest orphan = blob(&e, "a", "orphan");
    struct vg_digest m;
    cr_assert_eq(manifest(&e, "a", "{\"m\":1}", &layer, &m, &err), 0);

    /* within the grace period: nothing */
    struct vg_registry_gc_report rep;
    cr_assert_eq(vg_registry_gc_run(e.st, e.meta, vg_now_unix(), 3600, false, &rep, &err), 0);
    cr_assert_eq(rep.nremoved, 0);
    vg_registry_gc_report_dispose(&rep);

    int64_t later = vg_now_unix() + 7200;
    cr_assert_eq(vg_registry_gc_run(e.st, e.meta, later, 3600, true, &rep, &err), 0);
    cr_assert_eq(rep.nremoved, 1);
    cr_assert_str_eq(rep.removed[0].text, orphan.text);
    cr_assert_eq(rep.bytes, 6);
    vg_registry_gc_report_dispose(&rep);
    cr_assert(stored(&e, &orphan), "dry run removed nothing");

    cr_assert_eq(vg_registry_gc_run(e.st, e.meta, later, 3600, false, &rep, &err), 0);
    cr_assert_eq(rep.nremoved, 1);
    vg_registry_gc_report_dispose(&rep);
    cr_assert_not(stored(&e, &orphan));
    uint64_t size;
    cr_assert_lt(e.meta->ops->blob_get(e.meta, "a", &orphan, &size, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    cr_assert(stored(&e, &layer));
    cr_assert(stored(&e, &m));
    cr_assert_eq(e.meta->ops->blob_get(e.meta, "a", &layer, &size, &err), 0);

    /* a second run finds nothing more */
    cr_assert_eq(vg_registry_gc_run(e.st, e.meta, later, 3600, false, &rep, &err), 0);
    cr_assert_eq(rep.nremoved, 0);
    vg_registry_gc_report_dispose(&rep);
    env_dispose(&e);
}

Test(registry_gc, delete_and_reference_exclude_each_other)
{
    struct env e = {0};
    env_init(&e);
    struct vg_err *err = NULL;
    struct vg_digest b1 = blob(&e, "a", "b1");
    struct vg_digest b2 = blob(&e, "a", "b2");
    int64_t later = vg_now_unix() + 7200;

    /* GC first: a manifest referencing the collected blob is refused, not stored dangling */
    bool deleted = false;
    cr_assert_eq(e.meta->ops->gc_blob_delete(e.meta, &b1, later, &deleted, &err), 0);
    cr_assert(deleted);
    struct vg_digest m;
    cr_assert_lt(manifest(&e, "a", "{\"m\":1}", &b1, &m, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND, "%s", vg_err_format(err));
    vg_err_free(&err);
    struct vg_digest got;
    cr_assert_lt(e.meta->ops->tag_resolve(e.meta, "a", "latest", &got, &err), 0);
    vg_err_free(&err);

    /* manifest first: GC's re-check keeps the blob (a candidate listed before the push) */
    struct vg_digest *cand = NULL;
    size_t n = 0;
    cr_assert_eq(e.meta->ops->gc_candidates(e.meta, later, &cand, &n, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(cand[0].text, b2.text);
    free(cand);
    cr_assert_eq(manifest(&e, "a", "{\"m\":2}", &b2, &m, &err), 0);
    cr_assert_eq(e.meta->ops->gc_blob_delete(e.meta, &b2, later, &deleted, &err), 0);
    cr_assert_not(deleted);
    env_dispose(&e);
}

/* GC over a registry of many repositories: every candidate check looks the blob up among
 * manifests and manifest references by digest, which must be an index lookup, not a scan of
 * every manifest (quadratic: thousands of repositories made gc take seconds to minutes). The
 * times are printed at two sizes for the record; only the results are asserted (no timed
 * assertion on a shared machine). */
static double
gc_dry_run_ms(struct env *e, size_t want)
{
    struct vg_err *err = NULL;
    struct vg_registry_gc_report rep;
    uint64_t t0 = vg_now_ns();
    cr_assert_eq(vg_registry_gc_run(e->st, e->meta, vg_now_unix() + 7200, 3600, true, &rep, &err),
                 0);
    double ms = (double)(vg_now_ns() - t0) / 1e6;
    cr_assert_eq(rep.nremoved, want);
    vg_registry_gc_report_dispose(&rep);
    return ms;
}

static void
populate(struct env *e, size_t from, size_t to)
{
    struct vg_err *err = NULL;
    char mt[] = "application/vnd.oci.image.manifest.v1+json";
    for (size_t i = from; i < to; i++) {
        char repo[32], layer[32], orphan[32], man[32];
        snprintf(repo, sizeof(repo), "team%zu/app", i);
        snprintf(layer, sizeof(layer), "layer %zu", i);
        snprintf(orphan, sizeof(orphan), "orphan %zu", i);
        snprintf(man, sizeof(man), "{\"m\":%zu}", i);
        struct vg_digest dl, dor, dm;
        vg_digest_of(&dl, VG_DIGEST_SHA256, layer, strlen(layer));
        vg_digest_of(&dor, VG_DIGEST_SHA256, orphan, strlen(orphan));
        vg_digest_of(&dm, VG_DIGEST_SHA256, man, strlen(man));
        cr_assert_eq(e->meta->ops->blob_link(e->meta, repo, &dl, strlen(layer), &err), 0);
        cr_assert_eq(e->meta->ops->blob_link(e->meta, repo, &dor, strlen(orphan), &err), 0);
        cr_assert_eq(e->meta->ops->blob_link(e->meta, repo, &dm, strlen(man), &err), 0);
        struct vg_registry_manifest_rec rec = {
            .repo = repo, .digest = dm, .media_type = mt, .size = strlen(man)};
        struct vg_registry_manifest_ref r = {dl, false};
        const char *tags[] = {"latest"};
        cr_assert_eq(e->meta->ops->manifest_put(e->meta, &rec, &r, 1, tags, 1, &err), 0);
    }
}

Test(registry_gc, many_repositories_scale_linearly, .timeout = 600)
{
    struct env e = {0};
    env_init(&e);
    populate(&e, 0, 1500);
    double t1 = gc_dry_run_ms(&e, 1500);
    populate(&e, 1500, 3000);
    double t2 = gc_dry_run_ms(&e, 3000);
    fprintf(stderr, "registry_gc: gc dry run over 1500 manifests %.1f ms, 3000 %.1f ms (x%.2f)\n",
            t1, t2, t1 > 0 ? t2 / t1 : 0);
    env_dispose(&e);
}

/* Rescans over many stored results: one listing, then one lookup per result (measured at two
 * sizes, printed; the counts asserted). With --force and no saved analysis every result takes
 * the per-result path (get, then skip) without needing a vulnerability DB's content: the stamp
 * of any file serves as the DB's. */
static double
rescan_ms(struct env *e, const char *db, size_t want)
{
    struct vg_err *err = NULL;
    struct vg_registry_rescan_opts ro = {
        .storage = e->st, .meta = e->meta, .db_path = db, .force = true};
    struct vg_registry_rescan_stats st;
    uint64_t t0 = vg_now_ns();
    cr_assert_eq(vg_registry_rescan_run(&ro, &st, &err), 0);
    double ms = (double)(vg_now_ns() - t0) / 1e6;
    cr_assert_eq(st.results, want);
    cr_assert_eq(st.no_inventory, want);
    return ms;
}

static void
scans(struct env *e, size_t from, size_t to)
{
    struct vg_err *err = NULL;
    char done[] = "done", report[] = "{}";
    for (size_t i = from; i < to; i++) {
        char repo[32], man[32];
        snprintf(repo, sizeof(repo), "team%zu/app", i);
        snprintf(man, sizeof(man), "{\"m\":%zu}", i);
        struct vg_registry_scan_rec rec = {.repo = repo, .status = done, .report = report};
        vg_digest_of(&rec.digest, VG_DIGEST_SHA256, man, strlen(man));
        cr_assert_eq(e->meta->ops->scan_put(e->meta, &rec, &err), 0);
    }
}

Test(registry_gc, rescan_of_many_results_scales_linearly, .timeout = 600)
{
    struct env e = {0};
    env_init(&e);
    char db[] = "/tmp/vg_regrescan_db.XXXXXX";
    int fd = mkstemp(db);
    cr_assert(fd >= 0);
    close(fd);
    scans(&e, 0, 1500);
    double t1 = rescan_ms(&e, db, 1500);
    scans(&e, 1500, 3000);
    double t2 = rescan_ms(&e, db, 3000);
    fprintf(stderr, "registry_gc: forced rescan of 1500 results %.1f ms, 3000 %.1f ms (x%.2f)\n",
            t1, t2, t1 > 0 ? t2 / t1 : 0);
    unlink(db);
    env_dispose(&e);
}
