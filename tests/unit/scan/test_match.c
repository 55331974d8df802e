/* SPDX-License-Identifier: Apache-2.0
 *
 * Matching (scan/match.c) against a database built here from OSV records: a vulnerable version
 * gets one finding with its fixed version and status, a fixed version none, an unfixed range
 * "affected" without a fixed version, the CVE alias is preferred as the id, a Debian binary
 * package is looked up by its source package; then severity filtering, --ignore-unfixed and
 * the --exit-code count on the matched report.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/scan.h"

static const char rec_requests[] =
    "{\"id\":\"GHSA-vgmt-0001-0001\",\"modified\":\"2024-01-01T00:00:00Z\","
    "\"aliases\":[\"CVE-2099-1111\"],\"summary\":\"requests leaks\","
    "\"severity\":[{\"type\":\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/"
    "A:H\"}],"
    "\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"requests\"},"
    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"2.31."
    "0\"}]}]}]}";
static const char rec_urllib3[] =
    "{\"id\":\"PYSEC-2099-77\",\"modified\":\"2024-01-01T00:00:00Z\",\"summary\":\"no fix\","
    "\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"urllib3\"},"
    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"1.0\"},{\"last_"
    "affected\":\"1.26.0\"}]}]}]}";
static const char rec_openssl[] =
    "{\"id\":\"DEBIAN-CVE-2099-2222\",\"modified\":\"2024-01-01T00:00:00Z\","
    "\"aliases\":[\"CVE-2099-2222\"],\"summary\":\"openssl bug\","
    "\"affected\":[{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"openssl\"},"
    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"3.0."
    "11-1~deb12u2\"}]}]}]}";

static char g_dir[] = "/tmp/vg-match-XXXXXX";
static char *g_db;

static void
build_db(void)
{
    cr_assert_not_null(mkdtemp(g_dir));
    g_db = vg_fmt("%s/db.sqlite", g_dir);
    struct vg_err *err = NULL;
    struct vg_vulndb_builder *b = NULL;
    struct vg_vulndb_build_stats st;
    cr_assert_eq(vg_vulndb_builder_new(&b, g_db, &err), 0);
    const char *recs[] = {rec_requests, rec_urllib3, rec_openssl};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(vg_vulndb_builder_add_json(b, "osv", recs[i], strlen(recs[i]), &err), 0, "%s",
                     err ? err->msg : "");
    }
    cr_assert_eq(vg_vulndb_builder_commit(b, &st, &err), 0, "%s", err ? err->msg : "");
    vg_vulndb_builder_free(b);
}

static void
pkg(struct vg_pkg *p, enum vg_pkg_type type, const char *eco, const char *name, const char *version)
{
    memset(p, 0, sizeof(*p));
    p->type = type;
    p->ecosystem = vg_strdup(eco);
    p->kind = vg_strdup(type == VG_PKG_OS ? "dpkg" : "python");
    p->name = vg_strdup(name);
    p->version = vg_strdup(version);
    p->licenses = vg_calloc(1, sizeof(char *));
}

/* 0 requests 2.30.0 (fixed in 2.31.0), 1 requests 2.31.0 (clean), 2 urllib3 1.25.0 (no fix),
 * 3 urllib3 2.0.0 (clean), 4 libssl3 from source openssl 3.0.11-1~deb12u1 (fixed in u2). */
static struct vg_scan_report *
matched(void)
{
    build_db();
    struct vg_scan_report *r = vg_calloc(1, sizeof(*r));
    r->artifact = vg_strdup("oci:/x:t");
    r->artifact_type = vg_strdup("container_image");
    r->inv = vg_calloc(1, sizeof(*r->inv));
    r->inv->npkgs = 5;
    r->inv->pkgs = vg_calloc(5, sizeof(struct vg_pkg));
    pkg(&r->inv->pkgs[0], VG_PKG_LIBRARY, "PyPI", "requests", "2.30.0");
    pkg(&r->inv->pkgs[1], VG_PKG_LIBRARY, "PyPI", "requests", "2.31.0");
    pkg(&r->inv->pkgs[2], VG_PKG_LIBRARY, "PyPI", "urllib3", "1.25.0");
    pkg(&r->inv->pkgs[3], VG_PKG_LIBRARY, "PyPI", "urllib3", "2.0.0");
    pkg(&r->inv->pkgs[4], VG_PKG_OS, "Debian:12", "libssl3", "3.0.11-1~deb12u1");
    r->inv->pkgs[4].src_name = vg_strdup("openssl");
    r->inv->pkgs[4].src_version = vg_strdup("3.0.11-1~deb12u1");
    struct vg_vulndb *db = NULL;
    struct vg_err *err = NULL;
    cr_assert_eq(vg_vulndb_open(&db, g_db, true, &err), 0, "%s", err ? err->msg : "");
    cr_assert_eq(vg_scan_match(r, db, &err), 0, "%s", err ? err->msg : "");
    vg_vulndb_close(db);
    return r;
}

static void
cleanup(void)
{
    unlink(g_db);
    free(g_db);
    rmdir(g_dir);
}

static const struct vg_vuln_finding *
finding_for(const struct vg_scan_report *r, size_t pkg_idx)
{
    const struct vg_vuln_finding *hit = NULL;
    for (size_t i = 0; i < r->nvulns; i++) {
        if (r->vulns[i].pkg == pkg_idx) {
            cr_assert_null(hit, "package %zu matched twice", pkg_idx);
            hit = &r->vulns[i];
        }
    }
    return hit;
}

Test(scan_match, fixed_unfixed_and_clean_versions)
{
    struct vg_scan_report *r = matched();
    cr_assert_eq(r->nvulns, 3);

    const struct vg_vuln_finding *f = finding_for(r, 0);
    cr_assert_not_null(f);
    cr_assert_str_eq(f->vuln_id, "CVE-2099-1111", "the CVE alias is the id");
    cr_assert_str_eq(f->fixed_version, "2.31.0");
    cr_assert_str_eq(f->status, "fixed");
    cr_assert_eq(f->severity, VG_SEV_CRITICAL);
    bool has_ghsa = false;
    for (size_t i = 0; i < f->naliases; i++) {
        has_ghsa |= strcmp(f->aliases[i], "GHSA-vgmt-0001-0001") == 0;
        cr_assert_str_neq(f->aliases[i], "CVE-2099-1111");
    }
    cr_assert(has_ghsa, "the record id stays among the aliases");

    cr_assert_null(finding_for(r, 1), "2.31.0 is the fixed version");
    f = finding_for(r, 2);
    cr_assert_not_null(f);
    cr_assert_str_eq(f->vuln_id, "PYSEC-2099-77");
    cr_assert_null(f->fixed_version);
    cr_assert_str_eq(f->status, "affected");
    cr_assert_null(finding_for(r, 3), "2.0.0 is past last_affected");

    f = finding_for(r, 4);
    cr_assert_not_null(f, "libssl3 is matched through its source package openssl");
    cr_assert_str_eq(f->vuln_id, "CVE-2099-2222");
    cr_assert_str_eq(f->fixed_version, "3.0.11-1~deb12u2");
    vg_scan_report_free(r);
    cleanup();
}

Test(scan_match, severity_filter_unfixed_and_exit_count)
{
    struct vg_scan_report *r = matched();
    unsigned crit = 0;
    cr_assert_eq(vg_scan_severities_parse(&crit, "CRITICAL", NULL), 0);
    cr_assert_eq(vg_scan_count_failing(r, crit), 1);
    cr_assert_eq(vg_scan_count_failing(r, 0), 3);

    struct vg_scan_filter flt = {.ignore_unfixed = true};
    vg_scan_filter_apply(r, &flt);
    cr_assert_eq(r->nvulns, 2, "the unfixed urllib3 finding is dropped");
    for (size_t i = 0; i < r->nvulns; i++) {
        cr_assert_not_null(r->vulns[i].fixed_version);
    }
    flt = (struct vg_scan_filter){.severities = crit};
    vg_scan_filter_apply(r, &flt);
    cr_assert_eq(r->nvulns, 1);
    cr_assert_str_eq(r->vulns[0].vuln_id, "CVE-2099-1111");
    vg_scan_report_free(r);
    cleanup();
}
