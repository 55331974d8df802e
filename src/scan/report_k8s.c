/* SPDX-License-Identifier: Apache-2.0
 *
 * The VulnerabilityReport of one container of a Kubernetes workload, modelled on trivy-operator's
 * aquasecurity.github.io/v1alpha1 VulnerabilityReport (report.registry, report.artifact,
 * report.os, report.summary, report.vulnerabilities with vulnerabilityID, resource,
 * installedVersion, fixedVersion, severity, title, primaryLink, score). Suppressed findings are
 * left out, as the operator's reports hold only what counts. See docs/k8s.md.
 */
#include "scan/scan.h"

#include <ctype.h>
#include <string.h>

/* Object names are DNS-1123 subdomains; as trivy-operator, a name too long for a label (63) is
 * replaced by "<kind>-<first 10 hex of its sha256>". */
static char *
report_name(const struct vg_report_k8s_resource *res)
{
    vg_autofree char *full = vg_fmt("%s-%s-%s", res->kind, res->name, res->container);
    for (char *p = full; *p; p++) {
        *p = (char)tolower((unsigned char)*p);
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')) {
            *p = '-';
        }
    }
    if (strlen(full) <= 63) {
        return vg_strdup(full);
    }
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, full, strlen(full));
    vg_autofree char *kind = vg_strdup(res->kind);
    for (char *p = kind; *p; p++) {
        *p = (char)tolower((unsigned char)*p);
    }
    return vg_fmt("%s-%.10s", kind, vg_digest_hex(&d));
}

static double
score_of(const struct vg_vuln_finding *f)
{
    for (size_t i = 0; i < f->ncvss; i++) {
        if (strcmp(f->cvss[i].source, "nvd") == 0 && f->cvss[i].v3_vector) {
            return f->cvss[i].v3_score;
        }
    }
    return f->cvss_score;
}

static json_t *
vuln_json(const struct vg_scan_report *r, const struct vg_vuln_finding *f)
{
    const struct vg_pkg *p = &r->inv->pkgs[f->pkg];
    json_t *o = json_object();
    vg_json_set_str(o, "vulnerabilityID", f->vuln_id);
    vg_json_set_str(o, "resource", p->name);
    vg_json_set_str(o, "installedVersion", p->version ? p->version : "");
    vg_json_set_str(o, "fixedVersion", f->fixed_version ? f->fixed_version : "");
    vg_json_set_str(o, "severity", vg_vulndb_severity_name(f->severity));
    vg_json_set_str(o, "title", f->title ? f->title : "");
    vg_json_set_str(o, "primaryLink", f->primary_url ? f->primary_url : "");
    double score = score_of(f);
    if (score > 0) {
        json_object_set_new(o, "score", json_real(score));
    }
    json_object_set_new(o, "links", json_array());
    vg_json_set_str(o, "target", p->type == VG_PKG_LIBRARY && p->path ? p->path : "");
    vg_json_set_str(o, "pkgPath", p->type == VG_PKG_LIBRARY && p->path ? p->path : NULL);
    vg_json_set_str(o, "publishedDate", f->published);
    vg_json_set_str(o, "lastModifiedDate", f->modified);
    return o;
}

static json_t *
artifact_json(const struct vg_scan_report *r, json_t **registry)
{
    json_t *a = json_object();
    const char *repo = r->repository;
    const char *slash = repo ? strchr(repo, '/') : NULL;
    *registry = json_object();
    if (slash) {
        vg_autofree char *server = vg_fmt("%.*s", (int)(slash - repo), repo);
        vg_json_set_str(*registry, "server", server);
        vg_json_set_str(a, "repository", slash + 1);
    } else {
        vg_json_set_str(a, "repository", repo ? repo : r->artifact);
    }
    vg_json_set_str(a, "tag", r->tag);
    if (r->index_digest.alg) {
        vg_json_set_str(a, "digest", r->index_digest.text);
    } else if (r->manifest_digest.alg) {
        vg_json_set_str(a, "digest", r->manifest_digest.text);
    }
    vg_json_set_str(a, "mimeType", r->manifest_digest.alg ? "application/vnd.oci.image" : NULL);
    return a;
}

json_t *
vg_report_vulnerability_report(const struct vg_scan_report *r,
                               const struct vg_report_k8s_resource *res, const char *updated)
{
    static const char *const counts[] = {"unknownCount", "noneCount", "lowCount",
                                         "mediumCount",  "highCount", "criticalCount"};
    json_int_t n[6] = {0};
    json_t *vulns = json_array();
    for (size_t i = 0; i < r->nvulns; i++) {
        const struct vg_vuln_finding *f = &r->vulns[i];
        if (f->suppressed_by) {
            continue;
        }
        if ((size_t)f->severity < VG_ARRAY_LEN(counts)) {
            n[f->severity]++;
        }
        json_array_append_new(vulns, vuln_json(r, f));
    }
    json_t *summary = json_object();
    for (size_t i = 0; i < VG_ARRAY_LEN(counts); i++) {
        json_object_set_new(summary, counts[i], json_integer(n[i]));
    }
    json_t *registry = NULL;
    json_t *artifact = artifact_json(r, &registry);
    json_t *os = json_object();
    vg_json_set_str(os, "family", r->os_family);
    vg_json_set_str(os, "name", r->os_version);
    vg_autofree char *name = report_name(res);
    json_t *labels =
        json_pack("{s:s, s:s, s:s, s:s}", "trivy-operator.resource.kind", res->kind,
                  "trivy-operator.resource.name", res->name, "trivy-operator.resource.namespace",
                  res->namespace, "trivy-operator.container.name", res->container);
    json_t *meta =
        json_pack("{s:s, s:s, s:o}", "name", name, "namespace", res->namespace, "labels", labels);
    if (res->uid) {
        json_t *owner =
            json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion",
                      res->api_version ? res->api_version : "v1", "kind", res->kind, "name",
                      res->name, "uid", res->uid, "controller", 1, "blockOwnerDeletion", 0);
        json_object_set_new(meta, "ownerReferences", json_pack("[o]", owner));
    }
    json_t *scanner =
        json_pack("{s:s, s:s, s:s}", "name", "vigil", "vendor", "vigil", "version", VG_VERSION);
    json_t *report = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "updateTimestamp", updated,
                               "scanner", scanner, "registry", registry, "artifact", artifact, "os",
                               os, "summary", summary, "vulnerabilities", vulns);
    return json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", "aquasecurity.github.io/v1alpha1",
                     "kind", "VulnerabilityReport", "metadata", meta, "report", report);
}
