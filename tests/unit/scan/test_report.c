/* SPDX-License-Identifier: Apache-2.0
 *
 * The report writers (scan/report.c table, report_json.c, report_sarif.c, report_cdx.c) on a
 * hand-built report: the Trivy JSON carries each finding's id, package, versions, status and
 * severity under its target; SARIF has one rule per vulnerability id (shared by the findings
 * that name it), results pointing at their rule, levels by severity, and leaves suppressed
 * findings out; table, JSON and SARIF are byte-for-byte the same when written twice.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan.h"

#include "../../support/scanreport.h"

/* minimist twice (two files) with the same CVE, lodash with a HIGH and a suppressed LOW. */
static struct vg_scan_report *
sample(void)
{
    struct vg_scan_report *r = report_new(3, 4);
    pkg_set(&r->inv->pkgs[0], "minimist", "1.2.0", "app/node_modules/minimist/package.json");
    pkg_set(&r->inv->pkgs[1], "minimist", "1.2.0", "other/node_modules/minimist/package.json");
    pkg_set(&r->inv->pkgs[2], "lodash", "4.17.15", "app/node_modules/lodash/package.json");
    vuln_set(&r->vulns[0], "CVE-2021-44906", 0, VG_SEV_CRITICAL, "1.2.6");
    vuln_set(&r->vulns[1], "CVE-2021-44906", 1, VG_SEV_CRITICAL, "1.2.6");
    vuln_set(&r->vulns[2], "CVE-2020-8203", 2, VG_SEV_HIGH, NULL);
    vuln_set(&r->vulns[3], "CVE-2099-0001", 2, VG_SEV_LOW, "4.17.21");
    r->vulns[3].suppressed_by = vg_strdup("ignorefile");
    for (size_t i = 0; i < r->nvulns; i++) {
        r->vulns[i].title = vg_fmt("title of %s", r->vulns[i].vuln_id);
    }
    return r;
}

static char *
render(const struct vg_scan_report *r, enum vg_report_format fmt)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    struct vg_report_opts o = {0};
    struct vg_err *err = NULL;
    cr_assert_eq(vg_report_write(f, r, fmt, &o, &err), 0, "%s", err ? err->msg : "");
    cr_assert_eq(fclose(f), 0);
    return text;
}

static const json_t *
vuln_by(const json_t *vulns, const char *id, const char *path)
{
    size_t i;
    const json_t *v;
    json_array_foreach (vulns, i, v) {
        if (strcmp(json_string_value(json_object_get(v, "VulnerabilityID")), id) == 0 &&
            (!path || strstr(json_string_value(json_object_get(v, "PkgPath")), path))) {
            return v;
        }
    }
    return NULL;
}

static const char *
s_of(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "(absent)";
}

Test(scan_report, trivy_json_carries_each_finding)
{
    struct vg_scan_report *r = sample();
    json_t *doc = vg_report_trivy_json(r);
    cr_assert_eq(json_integer_value(json_object_get(doc, "SchemaVersion")), 2);
    cr_assert_str_eq(s_of(doc, "ArtifactName"), "oci:/x:t");
    json_t *results = json_object_get(doc, "Results");
    cr_assert(json_array_size(results) >= 1);
    size_t i, nv = 0;
    json_t *res;
    const json_t *crit = NULL, *high = NULL;
    json_array_foreach (results, i, res) {
        json_t *vs = json_object_get(res, "Vulnerabilities");
        nv += json_array_size(vs);
        crit = crit ? crit : vuln_by(vs, "CVE-2021-44906", NULL);
        high = high ? high : vuln_by(vs, "CVE-2020-8203", NULL);
    }
    cr_assert_eq(nv, 3, "the suppressed finding is not among Vulnerabilities");
    cr_assert_not_null(crit);
    cr_assert_str_eq(s_of(crit, "PkgName"), "minimist");
    cr_assert_str_eq(s_of(crit, "InstalledVersion"), "1.2.0");
    cr_assert_str_eq(s_of(crit, "FixedVersion"), "1.2.6");
    cr_assert_str_eq(s_of(crit, "Status"), "fixed");
    cr_assert_str_eq(s_of(crit, "Severity"), "CRITICAL");
    cr_assert_not_null(high);
    cr_assert_null(json_object_get(high, "FixedVersion"), "no fix: no FixedVersion");
    cr_assert_str_eq(s_of(high, "Status"), "affected");
    cr_assert_str_eq(s_of(high, "Severity"), "HIGH");
    json_decref(doc);
    vg_scan_report_free(r);
}

Test(scan_report, sarif_has_one_rule_per_id_and_results_point_at_it)
{
    struct vg_scan_report *r = sample();
    json_t *doc = vg_report_sarif(r);
    cr_assert_str_eq(s_of(doc, "version"), "2.1.0");
    json_t *run = json_array_get(json_object_get(doc, "runs"), 0);
    json_t *rules =
        json_object_get(json_object_get(json_object_get(run, "tool"), "driver"), "rules");
    json_t *results = json_object_get(run, "results");
    cr_assert_eq(json_array_size(rules), 2, "CVE-2021-44906 twice is one rule; LOW suppressed");
    cr_assert_eq(json_array_size(results), 3);
    size_t i;
    json_t *res;
    json_array_foreach (results, i, res) {
        size_t ri = (size_t)json_integer_value(json_object_get(res, "ruleIndex"));
        json_t *rule = json_array_get(rules, ri);
        cr_assert_not_null(rule);
        cr_assert_str_eq(s_of(rule, "id"), s_of(res, "ruleId"));
        cr_assert_str_neq(s_of(res, "ruleId"), "CVE-2099-0001");
        cr_assert_str_eq(s_of(res, "level"), "error"); /* CRITICAL and HIGH are errors */
    }
    cr_assert_str_eq(s_of(json_array_get(rules, 0), "id"), "CVE-2021-44906");
    cr_assert_str_eq(s_of(json_array_get(rules, 1), "id"), "CVE-2020-8203");
    json_decref(doc);
    vg_scan_report_free(r);
}

Test(scan_report, cyclonedx_lists_vulnerabilities_once)
{
    struct vg_scan_report *r = sample();
    json_t *doc = vg_report_cyclonedx(r);
    cr_assert_str_eq(s_of(doc, "bomFormat"), "CycloneDX");
    json_t *vulns = json_object_get(doc, "vulnerabilities");
    size_t i, n44906 = 0;
    json_t *v;
    json_array_foreach (vulns, i, v) {
        n44906 += strcmp(s_of(v, "id"), "CVE-2021-44906") == 0;
    }
    cr_assert_eq(n44906, 1);
    json_decref(doc);
    vg_scan_report_free(r);
}

Test(scan_report, table_names_packages_ids_and_severities)
{
    struct vg_scan_report *r = sample();
    vg_autofree char *t = render(r, VG_REPORT_TABLE);
    cr_assert_not_null(strstr(t, "minimist"));
    cr_assert_not_null(strstr(t, "CVE-2021-44906"));
    cr_assert_not_null(strstr(t, "CRITICAL"));
    cr_assert_not_null(strstr(t, "1.2.6"));
    cr_assert_not_null(strstr(t, "CVE-2020-8203"));
    cr_assert_null(strstr(t, "CVE-2099-0001"), "suppressed findings are not shown by default");
    vg_scan_report_free(r);
}

Test(scan_report, every_format_is_deterministic)
{
    /* CycloneDX is left out: its serialNumber is a fresh UUID per document by design. */
    static const enum vg_report_format fmts[] = {VG_REPORT_TABLE, VG_REPORT_JSON, VG_REPORT_SARIF};
    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        struct vg_scan_report *a = sample(), *b = sample();
        vg_autofree char *ta = render(a, fmts[i]);
        vg_autofree char *tb = render(b, fmts[i]);
        cr_assert_gt(strlen(ta), 0);
        cr_assert_str_eq(ta, tb, "format %d differs between two writes", (int)fmts[i]);
        vg_scan_report_free(a);
        vg_scan_report_free(b);
    }
}
