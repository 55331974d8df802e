/* SPDX-License-Identifier: Apache-2.0
 *
 * Severity precedence and per-CVE enrichment of vulnerability findings, as Trivy documents it
 * (https://trivy.dev/latest/docs/scanner/vulnerability/#severity-selection):
 *
 *   1. the vendor severity of the data source the finding was matched in: the Debian security
 *      tracker's urgency for Debian packages (per source package and release), GitHub's for
 *      language packages (a GHSA record, or one sharing the CVE);
 *   2. NVD's severity (its own v3.x metric, else v2);
 *   3. the advisory's own severity (its OSV `severity[]` vector or `database_specific`);
 *   4. otherwise UNKNOWN.
 *
 * Every finding's severity_source names the step that decided ("debian", "ghsa", "nvd", or
 * "osv" for an advisory's own vector); VendorSeverity lists every vendor that has one; the
 * CVSS map holds NVD's own metrics and the advisory's vector; CWE ids, dates and the
 * description come from NVD where the advisory lacks them.
 */
#include "scan.h"
#include "scan_int.h"

#include <string.h>

void
vg_scan_vuln_enrich_dispose(struct vg_vuln_finding *f)
{
    free(f->vendor_severity);
    for (size_t i = 0; i < f->ncvss; i++) {
        free(f->cvss[i].source);
        free(f->cvss[i].v2_vector);
        free(f->cvss[i].v3_vector);
        free(f->cvss[i].v40_vector);
    }
    free(f->cvss);
    vg_strv_free(f->cwe_ids, f->ncwe_ids);
    f->vendor_severity = NULL;
    f->cvss = NULL;
    f->cwe_ids = NULL;
    f->nvendor_severity = f->ncvss = f->ncwe_ids = 0;
}

static const char *
cve_of(const struct vg_vuln_finding *f)
{
    if (vg_cstr_startswith(f->vuln_id, "CVE-")) {
        return f->vuln_id;
    }
    for (size_t i = 0; i < f->naliases; i++) {
        if (vg_cstr_startswith(f->aliases[i], "CVE-")) {
            return f->aliases[i];
        }
    }
    return NULL;
}

static void
vendor_add(struct vg_vuln_finding *f, const char *source, enum vg_vulndb_severity s)
{
    if (s < VG_SEV_LOW) {
        return; /* Trivy's map holds LOW..CRITICAL (1..4) only */
    }
    VG_ARRAY_GROW(f->vendor_severity, f->nvendor_severity, 1);
    f->vendor_severity[f->nvendor_severity++] =
        (struct vg_vuln_vendor_severity){.source = source, .severity = s};
}

static enum vg_vulndb_severity
vendor_get(const struct vg_vuln_finding *f, const char *source)
{
    for (size_t i = 0; i < f->nvendor_severity; i++) {
        if (strcmp(f->vendor_severity[i].source, source) == 0) {
            return f->vendor_severity[i].severity;
        }
    }
    return VG_SEV_UNKNOWN;
}

static struct vg_vuln_cvss *
cvss_entry(struct vg_vuln_finding *f, const char *source)
{
    for (size_t i = 0; i < f->ncvss; i++) {
        if (strcmp(f->cvss[i].source, source) == 0) {
            return &f->cvss[i];
        }
    }
    VG_ARRAY_GROW(f->cvss, f->ncvss, 1);
    f->cvss[f->ncvss] = (struct vg_vuln_cvss){.source = vg_strdup(source)};
    return &f->cvss[f->ncvss++];
}

static void
cvss_set(struct vg_vuln_cvss *e, enum vg_cvss_version v, const char *vector, double score)
{
    char **slot = v == VG_CVSS_V2    ? &e->v2_vector
                  : v == VG_CVSS_V40 ? &e->v40_vector
                                     : &e->v3_vector;
    double *sc = v == VG_CVSS_V2 ? &e->v2_score : v == VG_CVSS_V40 ? &e->v40_score : &e->v3_score;
    if (!*slot) {
        *slot = vg_strdup(vector);
        *sc = score;
    }
}

/* NVD writes "2024-01-16T12:15:45.557" (UTC, no zone); Trivy prints RFC 3339 with "Z". */
static char *
nvd_time(const char *t)
{
    if (!t || !*t) {
        return NULL;
    }
    size_t n = strlen(t);
    bool zoned = t[n - 1] == 'Z' || (n > 6 && (t[n - 6] == '+' || t[n - 6] == '-'));
    return zoned ? vg_strdup(t) : vg_fmt("%sZ", t);
}

/* The advisory's own severity is named after where it came from: GitHub's when it is the
 * GHSA record's (directly or through its alias), the OSV record's otherwise. */
static const char *
own_source(const struct vg_vuln_finding *f)
{
    return f->ghsa_severity != VG_SEV_UNKNOWN && f->ghsa_severity == f->severity ? "ghsa" : "osv";
}

static void
apply_nvd(struct vg_vuln_finding *f, const struct vg_vulndb_cve *c)
{
    static const enum vg_cvss_version fams[] = {VG_CVSS_V2, VG_CVSS_V31, VG_CVSS_V40};
    for (size_t i = 0; i < VG_ARRAY_LEN(fams); i++) {
        const struct vg_vulndb_cvss *m = vg_vulndb_cve_nvd(c, fams[i]);
        if (m) {
            cvss_set(cvss_entry(f, "nvd"), m->version, m->vector, m->score);
        }
    }
    for (size_t i = 0; i < c->n_cwes; i++) {
        vg_strv_add_unique(&f->cwe_ids, &f->ncwe_ids, c->cwes[i]);
    }
    if (c->published) {
        free(f->published);
        f->published = nvd_time(c->published);
    }
    if (c->last_modified) {
        free(f->modified);
        f->modified = nvd_time(c->last_modified);
    }
    if (!f->description && c->description) {
        f->description = vg_strdup(c->description);
    }
}

static int
resolve_one(struct vg_vuln_finding *f, const struct vg_pkg *p, struct vg_vulndb *db,
            struct vg_err **err)
{
    const char *cve = cve_of(f);
    struct vg_vulndb_cve c = {0};
    if (cve && vg_vulndb_cve_get(&c, db, cve, err) < 0) {
        return -VG_E_DB;
    }
    bool debian =
        p->type == VG_PKG_OS && p->ecosystem && vg_cstr_startswith(p->ecosystem, "Debian");
    const char *ds = debian                 ? "debian"
                     : p->type == VG_PKG_OS ? NULL /* Alpine, Ubuntu, ...: no vendor data */
                                            : "ghsa";
    enum vg_vulndb_severity nvd = vg_vulndb_cve_nvd_severity(&c);
    vendor_add(f, "nvd", nvd);
    if (debian) {
        const char *colon = strchr(p->ecosystem, ':');
        const char *rel = vg_vulndb_debian_codename(colon ? colon + 1 : NULL);
        const char *src = p->src_name && p->src_name[0] ? p->src_name : p->name;
        vendor_add(f, "debian", vg_vulndb_cve_vendor_severity(&c, "debian", src, rel));
    }
    vendor_add(f, "ghsa", f->ghsa_severity);

    const char *own = f->severity != VG_SEV_UNKNOWN ? own_source(f) : NULL;
    if (f->cvss_vector) {
        cvss_set(cvss_entry(f, own ? own : "osv"), f->cvss_version, f->cvss_vector, f->cvss_score);
    }
    apply_nvd(f, &c);

    enum vg_vulndb_severity sev = VG_SEV_UNKNOWN;
    const char *by = NULL;
    if (ds && vendor_get(f, ds) != VG_SEV_UNKNOWN) {
        sev = vendor_get(f, ds);
        by = ds;
    } else if (vg_cstr_startswith(f->vuln_id, "GHSA-") && f->ghsa_severity >= VG_SEV_LOW) {
        sev = f->ghsa_severity;
        by = "ghsa";
    } else if (nvd >= VG_SEV_LOW) {
        sev = nvd;
        by = "nvd";
    } else if (own) {
        sev = f->severity;
        by = own;
    }
    f->severity = sev;
    free(f->severity_source);
    f->severity_source = vg_strdup(by);
    vg_vulndb_cve_dispose(&c);
    return 0;
}

int
vg_scan_severity_resolve(struct vg_scan_report *r, struct vg_vulndb *db, struct vg_err **err)
{
    for (size_t i = 0; i < r->nvulns; i++) {
        struct vg_vuln_finding *f = &r->vulns[i];
        if (resolve_one(f, &r->inv->pkgs[f->pkg], db, err) < 0) {
            return vg_err_wrap(err, "severity of %s", f->vuln_id);
        }
    }
    return 0;
}
