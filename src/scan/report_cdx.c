/* SPDX-License-Identifier: Apache-2.0
 *
 * CycloneDX with vulnerabilities: the inventory's SBOM (inventory/ writes the components)
 * plus `vulnerabilities[]` with ratings, affects (by bom-ref) and, for findings suppressed by
 * VEX or the ignore file, an `analysis` — so the document is VEX-ready and attests cleanly.
 */
#include "scan.h"
#include "scan_int.h"

#include <string.h>

static const char *
cdx_severity(enum vg_vulndb_severity s)
{
    switch (s) {
    case VG_SEV_CRITICAL:
        return "critical";
    case VG_SEV_HIGH:
        return "high";
    case VG_SEV_MEDIUM:
        return "medium";
    case VG_SEV_LOW:
        return "low";
    case VG_SEV_NONE:
        return "none";
    case VG_SEV_UNKNOWN:
        break;
    }
    return "unknown";
}

static const char *
cdx_method(enum vg_cvss_version v)
{
    switch (v) {
    case VG_CVSS_V2:
        return "CVSSv2";
    case VG_CVSS_V30:
        return "CVSSv3";
    case VG_CVSS_V31:
        return "CVSSv31";
    case VG_CVSS_V40:
        return "CVSSv4";
    }
    return "other";
}

/* OpenVEX justifications mapped onto CycloneDX's impact-analysis vocabulary. */
static const char *
cdx_justification(const char *vex)
{
    static const struct {
        const char *vex, *cdx;
    } map[] = {{"component_not_present", "code_not_present"},
               {"vulnerable_code_not_present", "code_not_present"},
               {"vulnerable_code_not_in_execute_path", "code_not_reachable"},
               {"vulnerable_code_cannot_be_controlled_by_adversary", "protected_at_runtime"},
               {"inline_mitigations_already_exist", "protected_by_mitigating_control"}};
    for (size_t i = 0; vex && i < VG_ARRAY_LEN(map); i++) {
        if (strcmp(vex, map[i].vex) == 0) {
            return map[i].cdx;
        }
    }
    return NULL;
}

static const char *
component_path(json_t *c)
{
    size_t i;
    json_t *prop;
    json_array_foreach (json_object_get(c, "properties"), i, prop) {
        const char *n = vg_json_str(prop, "name");
        if (n && strcmp(n, "vigil:package:path") == 0) {
            return vg_json_str(prop, "value");
        }
    }
    return NULL;
}

/* The component written for this package: the same purl found at the same path (one package
 * can be listed twice, from a lock file and from its installed manifest, with distinct
 * bom-refs); else the first with that purl; else by name and version. */
static const char *
bom_ref_of(json_t *doc, const struct vg_pkg *p)
{
    json_t *comps = json_object_get(doc, "components");
    const char *first = NULL;
    size_t i;
    json_t *c;
    json_array_foreach (comps, i, c) {
        const char *purl = vg_json_str(c, "purl");
        if (p->purl && purl && strcmp(purl, p->purl) == 0) {
            const char *path = component_path(c);
            if (p->path && path && strcmp(path, p->path) == 0) {
                return vg_json_str(c, "bom-ref");
            }
            first = first ? first : vg_json_str(c, "bom-ref");
        }
    }
    if (first) {
        return first;
    }
    json_array_foreach (comps, i, c) {
        if (strcmp(vg_json_str(c, "name") ? vg_json_str(c, "name") : "", p->name) == 0 &&
            strcmp(vg_json_str(c, "version") ? vg_json_str(c, "version") : "", p->version) == 0) {
            return vg_json_str(c, "bom-ref");
        }
    }
    return NULL;
}

static json_t *
vuln_entry(const struct vg_scan_report *r, const struct vg_vuln_finding *f)
{
    const struct vg_pkg *p = &r->inv->pkgs[f->pkg];
    json_t *v = json_object();
    vg_autofree char *ref = vg_fmt("%s/%s@%s", f->vuln_id, p->name, p->version);
    vg_json_set_str(v, "bom-ref", ref);
    vg_json_set_str(v, "id", f->vuln_id);
    json_t *src = json_object();
    vg_json_set_str(src, "name", f->data_source ? f->data_source : "osv");
    if (f->primary_url) {
        vg_json_set_str(src, "url", f->primary_url);
    }
    json_object_set_new(v, "source", src);
    json_t *refs = json_array();
    for (size_t i = 0; i < f->naliases; i++) {
        json_array_append_new(
            refs, json_pack("{s:s,s:{s:s}}", "id", f->aliases[i], "source", "name", "osv"));
    }
    json_object_set_new(v, "references", refs);
    json_t *rating = json_object();
    json_object_set_new(rating, "source", json_pack("{s:s}", "name", "osv"));
    if (f->cvss_vector) {
        json_object_set_new(rating, "score", json_real(f->cvss_score));
        vg_json_set_str(rating, "method", cdx_method(f->cvss_version));
        vg_json_set_str(rating, "vector", f->cvss_vector);
    }
    vg_json_set_str(rating, "severity", cdx_severity(f->severity));
    json_object_set_new(v, "ratings", json_pack("[o]", rating));
    vg_json_set_str(v, "description", f->title);
    vg_json_set_str(v, "detail", f->description);
    if (f->fixed_version) {
        vg_autofree char *rec =
            vg_fmt("Upgrade %s to version %s or later", p->name, f->fixed_version);
        vg_json_set_str(v, "recommendation", rec);
    }
    json_t *adv = json_array();
    for (size_t i = 0; i < f->nrefs && i < 20; i++) {
        json_array_append_new(adv, json_pack("{s:s}", "url", f->refs[i]));
    }
    json_object_set_new(v, "advisories", adv);
    if (f->published) {
        vg_json_set_str(v, "published", f->published);
    }
    if (f->modified) {
        vg_json_set_str(v, "updated", f->modified);
    }
    json_object_set_new(v, "affects", json_array());
    if (f->suppressed_by) {
        json_t *an = json_object();
        bool vex = vg_cstr_startswith(f->suppressed_by, "vex: ");
        const char *just = vex ? cdx_justification(f->suppressed_by + 5) : NULL;
        vg_json_set_str(an, "state",
                        vex && strcmp(f->suppressed_by + 5, "fixed") == 0 ? "resolved"
                                                                          : "not_affected");
        if (just) {
            vg_json_set_str(an, "justification", just);
        }
        vg_json_set_str(an, "detail", f->suppressed_by);
        json_object_set_new(v, "analysis", an);
    }
    return v;
}

/* Adds the finding's component to an entry's affects, once. */
static void
affects_add(json_t *v, json_t *doc, const struct vg_pkg *p)
{
    const char *bref = bom_ref_of(doc, p);
    json_t *aff = json_object_get(v, "affects");
    if (!bref) {
        return;
    }
    size_t i;
    json_t *a;
    json_array_foreach (aff, i, a) {
        if (strcmp(vg_json_str(a, "ref"), bref) == 0) {
            return;
        }
    }
    json_t *ver = json_pack("{s:s,s:s}", "version", p->version, "status", "affected");
    json_array_append_new(aff, json_pack("{s:s,s:[o]}", "ref", bref, "versions", ver));
}

static bool
str_eq_null(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool
bom_ref_taken(json_t *vulns, const char *ref)
{
    size_t i;
    json_t *v;
    json_array_foreach (vulns, i, v) {
        if (strcmp(vg_json_str(v, "bom-ref"), ref) == 0) {
            return true;
        }
    }
    return false;
}

/* The entry already written for the same vulnerability in the same name@version with the same
 * suppression, or NULL. CycloneDX requires unique entries (and unique bom-refs). */
static json_t *
same_entry(json_t *vulns, const struct vg_scan_report *r, size_t upto, const size_t *idx,
           const struct vg_vuln_finding *f)
{
    const struct vg_pkg *p = &r->inv->pkgs[f->pkg];
    for (size_t k = 0; k < upto; k++) {
        const struct vg_vuln_finding *g = &r->vulns[k];
        const struct vg_pkg *q = &r->inv->pkgs[g->pkg];
        if (idx[k] != SIZE_MAX && strcmp(g->vuln_id, f->vuln_id) == 0 &&
            strcmp(q->name, p->name) == 0 && strcmp(q->version, p->version) == 0 &&
            str_eq_null(g->suppressed_by, f->suppressed_by)) {
            return json_array_get(vulns, idx[k]);
        }
    }
    return NULL;
}

json_t *
vg_report_cyclonedx(const struct vg_scan_report *r)
{
    /* Without the vulnerability scanner there is no inventory: an SBOM with no components. */
    static const struct vg_inventory none = {0};
    json_t *doc = vg_sbom_build(r->inv ? r->inv : &none, NULL, VG_SBOM_CYCLONEDX);
    json_t *comp = json_object_get(json_object_get(doc, "metadata"), "component");
    if (json_is_object(comp) && r->artifact) {
        vg_json_set_str(comp, "name", r->artifact);
    }
    json_t *vulns = json_array();
    size_t *idx = vg_calloc(r->nvulns ? r->nvulns : 1, sizeof(*idx));
    for (size_t i = 0; i < r->nvulns; i++) {
        const struct vg_vuln_finding *f = &r->vulns[i];
        json_t *v = same_entry(vulns, r, i, idx, f);
        idx[i] = SIZE_MAX;
        if (!v) {
            v = vuln_entry(r, f);
            json_t *ref = json_object_get(v, "bom-ref");
            for (size_t n = 2; bom_ref_taken(vulns, json_string_value(ref)); n++) {
                vg_autofree char *full =
                    vg_fmt("%s/%s@%s#%zu", f->vuln_id, r->inv->pkgs[f->pkg].name,
                           r->inv->pkgs[f->pkg].version, n);
                json_string_set(ref, full);
            }
            idx[i] = json_array_size(vulns);
            json_array_append_new(vulns, v);
        }
        affects_add(v, doc, &r->inv->pkgs[f->pkg]);
    }
    free(idx);
    json_object_set_new(doc, "vulnerabilities", vulns);
    return doc;
}
