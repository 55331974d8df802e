/* SPDX-License-Identifier: Apache-2.0
 *
 * SARIF 2.1.0 as GitHub code scanning accepts it: one rule per distinct finding ID with
 * help text and a `security-severity` score, one result per finding with a physical
 * location (the package's file, the secret's file and line, the model file, or the image
 * reference for findings about the image as a whole).
 */
#include "scan.h"
#include "scan_int.h"

#include <string.h>

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

static const char *
level_of(const char *sev)
{
    if (strcmp(sev, "CRITICAL") == 0 || strcmp(sev, "HIGH") == 0) {
        return "error";
    }
    if (strcmp(sev, "MEDIUM") == 0) {
        return "warning";
    }
    return "note";
}

static const char *
security_severity(const char *sev, double cvss)
{
    if (cvss > 0) {
        return NULL; /* caller formats the score */
    }
    if (strcmp(sev, "CRITICAL") == 0) {
        return "9.5";
    }
    if (strcmp(sev, "HIGH") == 0) {
        return "8.0";
    }
    if (strcmp(sev, "MEDIUM") == 0) {
        return "5.5";
    }
    if (strcmp(sev, "LOW") == 0) {
        return "2.0";
    }
    return "0.0";
}

struct sarif {
    json_t *rules, *results;
};

static size_t
rule_index(struct sarif *s, const char *id, const char *name, const char *desc, const char *help,
           const char *sev, double cvss, const char *tag, const char *uri)
{
    size_t i;
    json_t *r;
    json_array_foreach (s->rules, i, r) {
        if (strcmp(vg_json_str(r, "id"), id) == 0) {
            return i;
        }
    }
    r = json_object();
    vg_json_set_str(r, "id", id);
    vg_json_set_str(r, "name", name);
    json_object_set_new(r, "shortDescription", json_pack("{s:s}", "text", desc ? desc : id));
    json_object_set_new(r, "fullDescription", json_pack("{s:s}", "text", desc ? desc : id));
    json_object_set_new(r, "defaultConfiguration", json_pack("{s:s}", "level", level_of(sev)));
    if (uri) {
        vg_json_set_str(r, "helpUri", uri);
    }
    vg_autofree char *md = vg_fmt("**%s** (%s)\n\n%s", id, sev, help ? help : "");
    json_object_set_new(r, "help",
                        json_pack("{s:s,s:s}", "text", help ? help : id, "markdown", md));
    json_t *props = json_object();
    vg_autofree char *score = cvss > 0 ? vg_fmt("%.1f", cvss) : NULL;
    vg_json_set_str(props, "security-severity", score ? score : security_severity(sev, 0));
    vg_json_set_str(props, "precision", "very-high");
    json_object_set_new(props, "tags", json_pack("[s,s,s]", tag, "security", sev));
    json_object_set_new(r, "properties", props);
    json_array_append_new(s->rules, r);
    return json_array_size(s->rules) - 1;
}

static void
result(struct sarif *s, size_t ri, const char *id, const char *sev, const char *msg,
       const char *uri, size_t line)
{
    json_t *o = json_object();
    vg_json_set_str(o, "ruleId", id);
    json_object_set_new(o, "ruleIndex", json_integer((json_int_t)ri));
    vg_json_set_str(o, "level", level_of(sev));
    json_object_set_new(o, "message", json_pack("{s:s}", "text", msg));
    const char *u = uri;
    while (u && *u == '/') {
        u++;
    }
    json_t *loc =
        json_pack("{s:{s:{s:s,s:s},s:{s:i,s:i,s:i,s:i}},s:{s:s}}", "physicalLocation",
                  "artifactLocation", "uri", u && *u ? u : "image", "uriBaseId", "ROOTPATH",
                  "region", "startLine", (int)(line ? line : 1), "startColumn", 1, "endLine",
                  (int)(line ? line : 1), "endColumn", 1, "message", "text", u && *u ? u : "image");
    json_object_set_new(o, "locations", json_pack("[o]", loc));
    json_array_append_new(s->results, o);
}

json_t *
vg_report_sarif(const struct vg_scan_report *r)
{
    struct sarif s = {json_array(), json_array()};
    for (size_t i = 0; i < r->nvulns; i++) {
        const struct vg_vuln_finding *f = &r->vulns[i];
        if (f->suppressed_by) {
            continue;
        }
        const struct vg_pkg *p = &r->inv->pkgs[f->pkg];
        const char *sev = vg_vulndb_severity_name(f->severity);
        vg_autofree char *help =
            vg_fmt("Vulnerability %s\nSeverity: %s\nPackage: %s\n"
                   "Fixed Version: %s\nLink: %s\n%s",
                   f->vuln_id, sev, p->name, f->fixed_version ? f->fixed_version : "none",
                   f->primary_url ? f->primary_url : "", f->title ? f->title : "");
        size_t ri = rule_index(&s, f->vuln_id, f->vuln_id, f->title, help, sev, f->cvss_score,
                               "vulnerability", f->primary_url);
        vg_autofree char *msg = vg_fmt("Package: %s\nInstalled Version: %s\nVulnerability %s\n"
                                       "Severity: %s\nFixed Version: %s\nLink: %s",
                                       p->name, p->version, f->vuln_id, sev,
                                       f->fixed_version ? f->fixed_version : "none",
                                       f->primary_url ? f->primary_url : "");
        result(&s, ri, f->vuln_id, sev, msg, p->path ? p->path : r->artifact, 1);
    }
    for (size_t i = 0; i < r->nsecrets; i++) {
        const struct vg_scan_secret *x = &r->secrets[i];
        if (x->suppressed_by) {
            continue;
        }
        const char *sev = vg_scan_severity_name(x->f.severity);
        size_t ri = rule_index(&s, x->f.rule_id, x->f.title, x->f.title,
                               "Secret found in the image; rotate it and remove it from the "
                               "image.",
                               sev, 0, "secret", NULL);
        vg_autofree char *msg = vg_fmt("Secret %s: %s", x->f.title, x->f.match ? x->f.match : "");
        result(&s, ri, x->f.rule_id, sev, msg, x->f.path, x->f.start_line);
    }
    for (size_t i = 0; i < r->nmodels; i++) {
        const struct vg_scan_model *m = &r->models[i];
        if (m->suppressed_by) {
            continue;
        }
        const char *sev = vg_scan_severity_name(m->f.severity);
        size_t ri = rule_index(&s, m->f.id, m->f.title, m->f.title,
                               "Model file problem: do not load this file with pickle-based "
                               "loaders; prefer safetensors.",
                               sev, 0, "model", NULL);
        result(&s, ri, m->f.id, sev, m->f.message, m->f.path, 1);
    }
    for (size_t i = 0; i < r->nconfigs; i++) {
        const struct vg_config_finding *c = &r->configs[i];
        if (c->suppressed_by) {
            continue;
        }
        const char *sev = vg_vulndb_severity_name(c->severity);
        size_t ri = rule_index(&s, c->id, c->title, c->title, c->resolution, sev, 0,
                               "misconfiguration", NULL);
        result(&s, ri, c->id, sev, c->message, c->target ? c->target : r->artifact,
               c->start_line ? c->start_line : 1);
    }
    json_t *driver =
        json_pack("{s:s,s:s,s:s,s:s,s:o}", "name", "vigil", "fullName",
                  "vigil container image scanner", "informationUri",
                  "https://github.com/vigil-sec/vigil", "version", VG_VERSION, "rules", s.rules);
    json_t *run = json_pack("{s:{s:o},s:o,s:s,s:{s:{s:s}}}", "tool", "driver", driver, "results",
                            s.results, "columnKind", "utf16CodeUnits", "originalUriBaseIds",
                            "ROOTPATH", "uri", "file:///");
    return json_pack("{s:s,s:s,s:[o]}", "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs", run);
}
