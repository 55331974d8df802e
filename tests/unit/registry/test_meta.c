/* SPDX-License-Identifier: Apache-2.0
 *
 * Tests for the SQLite metadata store: repositories, blob links per repository, manifests
 * with references, tags, deletes that take their tags along, paging, referrers with the
 * artifactType filter, upload sessions with compare-and-set offsets, reopening (migrations).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "registry/meta.h"

static char *
tmp_db(void)
{
    char tmpl[] = "/tmp/vg_regmeta.XXXXXX";
    char *d = mkdtemp(tmpl);
    cr_assert(d);
    return vg_fmt("%s/meta.db", d);
}

static struct vg_digest
dg(const char *s)
{
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, s, strlen(s));
    return d;
}

static void
put_manifest(struct vg_registry_meta *m, const char *repo, const char *content, const char *tag,
             const struct vg_digest *subject, const char *at)
{
    char mt[] = "application/vnd.oci.image.manifest.v1+json";
    char ann[] = "{\"k\":\"v\"}";
    vg_autofree char *atc = vg_strdup(at);
    struct vg_registry_manifest_rec rec = {
        .repo = repo,
        .digest = dg(content),
        .media_type = mt,
        .size = strlen(content),
        .artifact_type = atc,
        .has_subject = subject != NULL,
        .annotations = ann,
    };
    if (subject) {
        rec.subject = *subject;
    }
    struct vg_registry_manifest_ref ref = {.digest = dg("layer"), .is_manifest = false};
    const char *tags[] = {tag};
    struct vg_err *err = NULL;
    cr_assert_eq(m->ops->manifest_put(m, &rec, &ref, 1, tags, tag ? 1 : 0, &err), 0);
}

Test(registry_meta, blobs_are_scoped_to_repositories)
{
    vg_autofree char *path = tmp_db();
    struct vg_registry_meta *m = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_meta_sqlite_open(&m, path, &err), 0);
    struct vg_digest d = dg("layer");
    bool ex = true;
    cr_assert_eq(m->ops->repo_exists(m, "a/b", &ex, &err), 0);
    cr_assert_not(ex);
    cr_assert_eq(m->ops->blob_link(m, "a/b", &d, 5, &err), 0);
    cr_assert_eq(m->ops->repo_exists(m, "a/b", &ex, &err), 0);
    cr_assert(ex);
    uint64_t size = 0;
    cr_assert_eq(m->ops->blob_get(m, "a/b", &d, &size, &err), 0);
    cr_assert_eq(size, 5);
    cr_assert_lt(m->ops->blob_get(m, "other", &d, &size, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    cr_assert_eq(m->ops->blob_get(m, NULL, &d, &size, &err), 0); /* known globally */
    cr_assert_eq(m->ops->blob_unlink(m, "a/b", &d, &err), 0);
    cr_assert_lt(m->ops->blob_get(m, "a/b", &d, &size, &err), 0);
    vg_err_free(&err);
    cr_assert_lt(m->ops->blob_unlink(m, "a/b", &d, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    vg_registry_meta_free(m);
}

Test(registry_meta, manifests_tags_delete_and_paging)
{
    vg_autofree char *path = tmp_db();
    struct vg_registry_meta *m = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_meta_sqlite_open(&m, path, &err), 0);
    put_manifest(m, "app", "m1", "v1", NULL, NULL);
    put_manifest(m, "app", "m1", "latest", NULL, NULL);
    put_manifest(m, "app", "m2", "v2", NULL, NULL);
    struct vg_digest d;
    cr_assert_eq(m->ops->tag_resolve(m, "app", "latest", &d, &err), 0);
    struct vg_digest m1 = dg("m1");
    cr_assert(vg_digest_eq(&d, &m1));

    char **tags = NULL;
    size_t n = 0;
    bool more = false;
    cr_assert_eq(m->ops->tags_list(m, "app", NULL, 2, &tags, &n, &more, &err), 0);
    cr_assert_eq(n, 2);
    cr_assert(more);
    cr_assert_str_eq(tags[0], "latest");
    cr_assert_str_eq(tags[1], "v1");
    vg_strv_free(tags, n);
    cr_assert_eq(m->ops->tags_list(m, "app", "v1", 10, &tags, &n, &more, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_not(more);
    cr_assert_str_eq(tags[0], "v2");
    vg_strv_free(tags, n);
    cr_assert_lt(m->ops->tags_list(m, "nope", NULL, 10, &tags, &n, &more, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);

    /* deleting a tag leaves the manifest; deleting the manifest takes every tag */
    cr_assert_eq(m->ops->tag_delete(m, "app", "v2", &err), 0);
    struct vg_registry_manifest_rec rec;
    struct vg_digest m2 = dg("m2");
    cr_assert_eq(m->ops->manifest_get(m, "app", &m2, &rec, &err), 0);
    cr_assert_eq(rec.size, 2);
    vg_registry_manifest_rec_dispose(&rec);
    cr_assert_eq(m->ops->manifest_delete(m, "app", &m1, &err), 0);
    cr_assert_lt(m->ops->tag_resolve(m, "app", "latest", &d, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    cr_assert_lt(m->ops->manifest_delete(m, "app", &m1, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);

    char **repos = NULL;
    cr_assert_eq(m->ops->catalog(m, NULL, 10, &repos, &n, &more, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(repos[0], "app");
    vg_strv_free(repos, n);
    vg_registry_meta_free(m);

    /* reopening runs no migration twice and keeps the data */
    cr_assert_eq(vg_registry_meta_sqlite_open(&m, path, &err), 0);
    cr_assert_eq(m->ops->manifest_get(m, "app", &m2, &rec, &err), 0);
    vg_registry_manifest_rec_dispose(&rec);
    vg_registry_meta_free(m);
}

Test(registry_meta, referrers_filter_by_artifact_type)
{
    vg_autofree char *path = tmp_db();
    struct vg_registry_meta *m = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_meta_sqlite_open(&m, path, &err), 0);
    struct vg_digest subj = dg("subject");
    put_manifest(m, "app", "sig", NULL, &subj, "application/vnd.dev.sig");
    put_manifest(m, "app", "sbom", NULL, &subj, "application/spdx+json");
    put_manifest(m, "other", "x", NULL, &subj, "application/vnd.dev.sig");
    struct vg_registry_manifest_rec *v = NULL;
    size_t n = 0;
    cr_assert_eq(m->ops->referrers(m, "app", &subj, NULL, &v, &n, &err), 0);
    cr_assert_eq(n, 2);
    vg_registry_manifest_recs_free(v, n);
    cr_assert_eq(m->ops->referrers(m, "app", &subj, "application/vnd.dev.sig", &v, &n, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(v[0].annotations, "{\"k\":\"v\"}");
    cr_assert(v[0].has_subject);
    vg_registry_manifest_recs_free(v, n);
    struct vg_digest none = dg("none");
    cr_assert_eq(m->ops->referrers(m, "app", &none, NULL, &v, &n, &err), 0);
    cr_assert_eq(n, 0);
    vg_registry_manifest_recs_free(v, n);
    vg_registry_meta_free(m);
}

Test(registry_meta, upload_sessions_compare_and_set)
{
    vg_autofree char *path = tmp_db();
    struct vg_registry_meta *m = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_meta_sqlite_open(&m, path, &err), 0);
    cr_assert_eq(m->ops->upload_create(m, "s1", "app", NULL, 0, &err), 0);
    char *repo = NULL;
    uint64_t off = 9;
    cr_assert_eq(m->ops->upload_get(m, "s1", &repo, &off, &err), 0);
    cr_assert_str_eq(repo, "app");
    cr_assert_eq(off, 0);
    free(repo);
    cr_assert_eq(m->ops->upload_advance(m, "s1", 0, 10, &err), 0);
    cr_assert_lt(m->ops->upload_advance(m, "s1", 0, 20, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_VERIFY);
    vg_err_free(&err);
    char **ids = NULL;
    size_t n = 0;
    cr_assert_eq(m->ops->uploads_stale(m, vg_now_unix() + 10, 10, &ids, &n, &err), 0);
    cr_assert_eq(n, 1);
    vg_strv_free(ids, n);
    cr_assert_eq(m->ops->upload_delete(m, "s1", &err), 0);
    cr_assert_lt(m->ops->upload_get(m, "s1", &repo, &off, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    vg_registry_meta_free(m);
}

Test(registry_meta, upload_sessions_limited_per_owner)
{
    vg_autofree char *path = tmp_db();
    struct vg_registry_meta *m = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_meta_sqlite_open(&m, path, &err), 0);
    cr_assert_eq(m->ops->upload_create(m, "a1", "app", "ann", 2, &err), 0);
    cr_assert_eq(m->ops->upload_create(m, "a2", "other", "ann", 2, &err), 0);
    /* the third of the same owner is refused, in any repository, and leaves no row */
    cr_assert_lt(m->ops->upload_create(m, "a3", "app", "ann", 2, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_LIMIT);
    vg_err_free(&err);
    char *repo = NULL;
    uint64_t off;
    cr_assert_lt(m->ops->upload_get(m, "a3", &repo, &off, &err), 0);
    cr_assert_eq(vg_err_code(err), VG_E_NOTFOUND);
    vg_err_free(&err);
    /* other owners and uncounted sessions are not affected */
    cr_assert_eq(m->ops->upload_create(m, "b1", "app", "bob", 2, &err), 0);
    cr_assert_eq(m->ops->upload_create(m, "n1", "app", NULL, 2, &err), 0);
    cr_assert_eq(m->ops->upload_create(m, "a3", "app", "ann", 0, &err), 0, "max 0: no limit");
    /* a closed session frees its place */
    cr_assert_eq(m->ops->upload_delete(m, "a1", &err), 0);
    cr_assert_eq(m->ops->upload_delete(m, "a3", &err), 0);
    cr_assert_eq(m->ops->upload_create(m, "a4", "app", "ann", 2, &err), 0);
    vg_registry_meta_free(m);
}
