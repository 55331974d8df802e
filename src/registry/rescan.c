/* SPDX-License-Identifier: Apache-2.0
 *
 * Rescans of stored scan results from their saved analyses (rescan.h).
 */
#include "registry/rescan.h"

#include <string.h>
#include <sys/stat.h>

#include "registry/gate.h"
#include "registry/scanq.h"
#include "scan/scan.h"

#define RESCAN_LOG_IDS 10u /* new vulnerabilities named in the log line */

char *
vg_registry_db_stamp(const char *db_path)
{
    vg_autofree char *path = vg_vulndb_path_resolve(db_path);
    struct stat sb;
    if (!path || stat(path, &sb) != 0) {
        return NULL;
    }
    return vg_fmt("%llu:%llu:%lld%09ld", (unsigned long long)sb.st_ino,
                  (unsigned long long)sb.st_size, (long long)sb.st_mtim.tv_sec,
                  (long)sb.st_mtim.tv_nsec);
}

/* "ID pkg" of every finding of a stored report (a report that does not parse has none). */
static void
finding_keys(const char *report, char ***out, size_t *n)
{
    struct vg_registry_gate_finding *f = NULL;
    size_t nf = 0;
    struct vg_err *e = NULL;
    if (report && vg_registry_gate_findings_parse(&f, &nf, report, strlen(report), &e) < 0) {
        vg_err_free(&e);
        return;
    }
    for (size_t i = 0; i < nf; i++) {
        vg_autofree char *k = vg_fmt("%s %s", f[i].id, f[i].pkg ? f[i].pkg : "");
        vg_strv_push(out, n, k);
    }
    vg_registry_gate_findings_free(f, nf);
}

/* The findings of `now` that `before` lacked: counted, named in the log and handed to the
 * caller's new_vulns. The result has been stored already. */
static size_t
report_new(const struct vg_registry_rescan_opts *o, const struct vg_registry_scan_rec *rec,
           const char *before, const char *now)
{
    char **old = NULL;
    size_t nold = 0, fresh = 0;
    finding_keys(before, &old, &nold);
    struct vg_registry_gate_finding *cur = NULL;
    size_t ncur = 0;
    struct vg_err *e = NULL;
    if (now && vg_registry_gate_findings_parse(&cur, &ncur, now, strlen(now), &e) < 0) {
        vg_err_free(&e);
    }
    /* the new ones are moved to the front of cur (swapping keeps every finding owned once) */
    struct vg_buf ids = VG_BUF_INIT(64u * 1024u);
    for (size_t i = 0; i < ncur; i++) {
        vg_autofree char *k = vg_fmt("%s %s", cur[i].id, cur[i].pkg ? cur[i].pkg : "");
        bool seen = false;
        for (size_t j = 0; j < nold && !seen; j++) {
            seen = strcmp(k, old[j]) == 0;
        }
        if (seen) {
            continue;
        }
        if (fresh < RESCAN_LOG_IDS && vg_buf_appendf(&ids, &e, "%s%s", fresh ? ", " : "", k) < 0) {
            vg_err_free(&e);
        }
        struct vg_registry_gate_finding t = cur[fresh];
        cur[fresh] = cur[i];
        cur[i] = t;
        fresh++;
    }
    if (fresh) {
        vg_autofree char *text = vg_buf_take(&ids, NULL);
        VG_EVENT(VG_LOG_WARN, "registry", "rescan found new vulnerabilities",
                 VG_KV_STR("repo", rec->repo ? rec->repo : ""),
                 VG_KV_STR("digest", rec->digest.text), VG_KV_U64("new", fresh),
                 VG_KV_STR("vulnerabilities", text ? text : ""));
        if (o->new_vulns) {
            o->new_vulns(o->ud, rec->repo, &rec->digest, cur, fresh);
        }
    } else {
        vg_buf_dispose(&ids);
    }
    vg_strv_free(old, nold);
    vg_registry_gate_findings_free(cur, ncur);
    return fresh;
}

/* Re-matches one result; 1 when stored, 0 when it had no analysis, -1 on failure (logged). */
static int
rescan_one(const struct vg_registry_rescan_opts *o, const struct vg_digest *d, const char *stamp,
           struct vg_registry_rescan_stats *st)
{
    struct vg_registry_scan_rec rec = {0};
    struct vg_err *e = NULL;
    if (o->meta->ops->scan_get(o->meta, d, &rec, &e) < 0) {
        vg_err_free(&e);
        return -1;
    }
    if (!rec.inventory || strcmp(rec.status, "done") != 0) {
        vg_registry_scan_rec_dispose(&rec);
        return 0;
    }
    struct vg_oci_blob_provider p = vg_registry_storage_provider(o->storage);
    struct vg_scan_opts so = VG_SCAN_OPTS_INIT;
    so.scanners = o->scanners;
    so.db_path = o->db_path;
    so.offline = true;
    so.use_cache = false;
    so.quiet = true;
    so.jobs = 1;
    vg_autofree char *ref = vg_fmt("%s@%s", rec.repo ? rec.repo : "", d->text);
    struct vg_scan_report *r = NULL;
    int rc = vg_scan_image_provider_rematch(&r, &p, d, ref, rec.inventory, strlen(rec.inventory),
                                            &so, &e);
    if (rc == 0) {
        json_t *doc = vg_report_trivy_json(r);
        char *text = vg_json_dump(doc, false);
        json_decref(doc);
        char *before = rec.report;
        rec.report = text;
        free(rec.db_version);
        rec.db_version = vg_strdup(stamp);
        rec.scanned = vg_now_unix();
        rc = o->meta->ops->scan_put(o->meta, &rec, &e);
        if (rc == 0) {
            st->new_vulns += report_new(o, &rec, before, text);
        }
        free(before);
        vg_scan_report_free(r);
    }
    if (rc < 0) {
        vg_autofree char *m = vg_err_format(e);
        VG_EVENT(VG_LOG_WARN, "registry", "rescan failed", VG_KV_STR("digest", d->text),
                 VG_KV_STR("error", m));
        vg_err_free(&e);
    }
    vg_registry_scan_rec_dispose(&rec);
    return rc < 0 ? -1 : 1;
}

int
vg_registry_rescan_run(const struct vg_registry_rescan_opts *o, struct vg_registry_rescan_stats *st,
                       struct vg_err **err)
{
    memset(st, 0, sizeof(*st));
    vg_autofree char *stamp = vg_registry_db_stamp(o->db_path);
    if (!stamp) {
        vg_autofree char *path = vg_vulndb_path_resolve(o->db_path);
        return vg_err_set(err, VG_E_NOTFOUND, "vulnerability database not found at %s",
                          path ? path : "(default location)");
    }
    struct vg_registry_scan_rec *rows = NULL;
    size_t n = 0;
    if (o->meta->ops->scan_list(o->meta, &rows, &n, err) < 0) {
        return vg_err_wrap(err, "stored scan results");
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].status, "done") != 0) {
            continue; /* queued ones are matched with the new DB when scanned */
        }
        st->results++;
        if (!o->force && rows[i].db_version && strcmp(rows[i].db_version, stamp) == 0) {
            st->current++;
            continue;
        }
        int rc = rescan_one(o, &rows[i].digest, stamp, st);
        if (rc > 0) {
            st->rescanned++;
        } else if (rc == 0) {
            st->no_inventory++;
        } else {
            st->failed++;
        }
    }
    vg_registry_scan_recs_free(rows, n);
    VG_EVENT(VG_LOG_INFO, "registry", "rescan done", VG_KV_U64("results", st->results),
             VG_KV_U64("rescanned", st->rescanned), VG_KV_U64("current", st->current),
             VG_KV_U64("without_inventory", st->no_inventory), VG_KV_U64("failed", st->failed),
             VG_KV_U64("new_vulnerabilities", st->new_vulns));
    return 0;
}
