/* SPDX-License-Identifier: Apache-2.0
 *
 * Tests for scan-on-push (registry/scanq.h): an image stored through the filesystem driver is
 * scanned by a worker reading the registry's own storage, and the `vigil scan --format json`
 * document lands in the metadata store; a digest whose blobs are absent ends "failed" with the
 * reason; a digest already done is not queued again; a full queue records "failed".
 * The secret scanner is used (no vulnerability DB needed), so the finding is deterministic.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/scanq.h"
#include "scan/scan.h"

#include "../../support/ustar.h"

struct env {
    struct vg_registry_storage *st;
    struct vg_registry_meta *meta;
    struct vg_digest root;
};

static struct vg_digest
put(struct env *e, const void *data, size_t len)
{
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, data, len);
    struct vg_err *err = NULL;
    cr_assert_eq(e->st->ops->blob_put(e->st, &d, data, len, &err), 0);
    return d;
}

static void
env_init(struct env *e)
{
    char tmpl[] = "/tmp/vg_regscanq.XXXXXX";
    char *dir = mkdtemp(tmpl);
    cr_assert(dir);
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_storage_fs_new(&e->st, dir, &err), 0);
    vg_autofree char *db = vg_fmt("%s/meta.db", dir);
    cr_assert_eq(vg_registry_meta_sqlite_open(&e->meta, db, &err), 0);
    size_t tlen;
    vg_autofree char *tar =
        ustar_one("srv/app.env", "GITHUB_TOKEN=ghp_Zx8QmW3nR7tY1uI5oP9aS2dF6gH0jK4lL3vB\n", &tlen);
    struct vg_digest layer = put(e, tar, tlen);
    vg_autofree char *config = vg_fmt("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
                                      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
                                      layer.text);
    struct vg_digest cfg = put(e, config, strlen(config));
    vg_autofree char *manifest =
        vg_fmt("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
               "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
               "\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
               "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
               cfg.text, strlen(config), layer.text, tlen);
    e->root = put(e, manifest, strlen(manifest));
}

static void
env_dispose(struct env *e)
{
    vg_registry_meta_free(e->meta);
    vg_registry_storage_free(e->st);
}

static struct vg_registry_scanq *
queue(struct env *e, size_t max, unsigned workers)
{
    struct vg_registry_scanq_opts o = {
        .storage = e->st,
        .meta = e->meta,
        .scanners = VG_SCANNER_SECRET,
        .workers = workers,
        .max_queued = max,
    };
    struct vg_registry_scanq *q = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_scanq_new(&q, &o, &err), 0);
    return q;
}

static void
start(struct vg_registry_scanq *q)
{
    struct vg_err *err = NULL;
    cr_assert_eq(vg_registry_scanq_start(q, &err), 0);
}

Test(registry_scanq, scans_from_own_storage)
{
    struct env e = {0};
    env_init(&e);
    struct vg_registry_scanq *q = queue(&e, 0, 2);
    struct vg_err *err = NULL;
    start(q);
    cr_assert_eq(vg_registry_scanq_push(q, "prod/app", &e.root, &err), 0);
    vg_registry_scanq_drain(q);
    struct vg_registry_scan_rec rec;
    cr_assert_eq(e.meta->ops->scan_get(e.meta, &e.root, &rec, &err), 0);
    cr_assert_str_eq(rec.status, "done");
    cr_assert_str_eq(rec.repo, "prod/app");
    cr_assert_gt(rec.scanned, 0);
    cr_assert(rec.report);
    json_t *doc = NULL;
    cr_assert_eq(vg_json_parse(&doc, rec.report, strlen(rec.report), 1u << 26, "r", &err), 0);
    vg_autofree char *name = vg_fmt("prod/app@%s", e.root.text);
    cr_assert_str_eq(vg_json_str(doc, "ArtifactName"), name);
    json_decref(doc);
    cr_assert(strstr(rec.report, "github-pat"), "%s", rec.report);
    cr_assert(strstr(rec.report, e.root.text), "the report names the manifest digest");
    vg_registry_scan_rec_dispose(&rec);

    /* pushed again (or into another repository): not queued again */
    cr_assert_eq(vg_registry_scanq_push(q, "other/app", &e.root, &err), 0);
    vg_registry_scanq_drain(q);
    struct vg_registry_scan_rec *all = NULL;
    size_t n = 0;
    cr_assert_eq(e.meta->ops->scan_list(e.meta, &all, &n, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(all[0].repo, "prod/app");
    cr_assert_null(all[0].report);
    vg_registry_scan_recs_free(all, n);
    vg_registry_scanq_free(q);
    env_dispose(&e);
}

Test(registry_scanq, absent_blobs_fail_with_reason)
{
    struct env e = {0};
    env_init(&e);
    struct vg_registry_scanq *q = queue(&e, 0, 1);
    struct vg_digest absent;
    vg_digest_of(&absent, VG_DIGEST_SHA256, "absent", 6);
    struct vg_err *err = NULL;
    start(q);
    cr_assert_eq(vg_registry_scanq_push(q, "a", &absent, &err), 0);
    vg_registry_scanq_drain(q);
    struct vg_registry_scan_rec rec;
    cr_assert_eq(e.meta->ops->scan_get(e.meta, &absent, &rec, &err), 0);
    cr_assert_str_eq(rec.status, "failed");
    cr_assert(rec.report && strstr(rec.report, "\"error\""), "%s", rec.report);
    vg_registry_scan_rec_dispose(&rec);
    vg_registry_scanq_free(q);
    env_dispose(&e);
}

Test(registry_scanq, full_queue_records_failed)
{
    struct env e = {0};
    env_init(&e);
    /* two slots, workers not started: the third push is refused */
    struct vg_registry_scanq *q = queue(&e, 2, 1);
    struct vg_err *err = NULL;
    int limited = 0;
    for (int i = 0; i < 3; i++) {
        vg_autofree char *s = vg_fmt("absent-%d", i);
        struct vg_digest d;
        vg_digest_of(&d, VG_DIGEST_SHA256, s, strlen(s));
        if (vg_registry_scanq_push(q, "a", &d, &err) < 0) {
            cr_assert_eq(i, 2);
            cr_assert_eq(vg_err_code(err), VG_E_LIMIT);
            vg_err_free(&err);
            struct vg_registry_scan_rec rec;
            cr_assert_eq(e.meta->ops->scan_get(e.meta, &d, &rec, &err), 0);
            cr_assert_str_eq(rec.status, "failed");
            cr_assert(strstr(rec.report, "scan queue full"));
            vg_registry_scan_rec_dispose(&rec);
            limited++;
        }
    }
    cr_assert_eq(limited, 1);
    start(q);
    vg_registry_scanq_drain(q);
    vg_registry_scanq_free(q);
    env_dispose(&e);
}
