/* SPDX-License-Identifier: Apache-2.0
 *
 * The Trivy-compatible JSON report (SchemaVersion 2): Results[] per target with Trivy's
 * classes and field names, so existing consumers ingest it unchanged. vigil's additions are
 * documented in docs/scan-json.md: `Aliases` on vulnerabilities, `Class: "model"` results with
 * `ModelFindings`, and suppressed findings under `ModifiedFindings` (Trivy's own shape).
 * Also the target grouping shared by every report writer.
 */
#include "scan.h"
#include "scan_int.h"

#include <string.h>

const char *
vg_scan_pkg_type(const struct vg_pkg *p)
{
    static const struct {
        const char *kind, *type;
    } map[] = {{"dpkg", NULL},
               {"apk", NULL},
               {"rpm", NULL},
               {"python", "python-pkg"},
               {"node", "node-pkg"},
               {"npm-lock", "npm"},
               {"yarn", "yarn"},
               {"pnpm", "pnpm"},
               {"gobinary", "gobinary"},
               {"jar", "jar"},
               {"cargo", "cargo"},
               {"rustbinary", "rustbinary"},
               {"gemspec", "gemspec"},
               {"composer", "composer"},
               {"npm", "npm"},
               {"pip", "pip"},
               {"pipenv", "pipenv"},
               {"poetry", "poetry"},
               {"uv", "uv"},
               {"gomod", "gomod"},
               {"bundler", "bundler"},
               {"pom", "pom"},
               {"gradle", "gradle"},
               {"nuget", "nuget"}};
    for (size_t i = 0; i < VG_ARRAY_LEN(map); i++) {
        if (p->kind && strcmp(p->kind, map[i].kind) == 0) {
            return map[i].type ? map[i].type : "os";
        }
    }
    return p->kind ? p->kind : "unknown";
}

static json_t *
layer_json(const struct vg_scan_report *r, size_t idx)
{
    json_t *o = json_object();
    if (idx < r->nlayers) {
        if (r->layers[idx].digest.alg) {
            vg_json_set_str(o, "Digest", r->layers[idx].digest.text);
        }
        if (r->layers[idx].diff_id.alg) {
            vg_json_set_str(o, "DiffID", r->layers[idx].diff_id.text);
        }
    }
    return o;
}

static json_t *
pkg_layer_json(const struct vg_pkg *p)
{
    json_t *o = json_object();
    if (p->layer_digest.alg) {
        vg_json_set_str(o, "Digest", p->layer_digest.text);
    }
    if (p->layer_diff_id.alg) {
        vg_json_set_str(o, "DiffID", p->layer_diff_id.text);
    }
    return o;
}

/* Trivy's PkgIdentifier: the purl, and a UID telling apart packages that share one (the same
 * package installed at two paths or by two layers): 16 hex digits of a SHA-256 over what makes
 * the package distinct, stable across runs. */
static json_t *
pkg_ident_json(const struct vg_pkg *p)
{
    json_t *ident = json_object();
    vg_json_set_str(ident, "PURL", p->purl);
    vg_autofree char *key =
        vg_fmt("%s\n%s\n%s\n%s\n%s\n%s", p->kind ? p->kind : "", p->name,
               p->version ? p->version : "", p->arch ? p->arch : "", p->path ? p->path : "",
               p->layer_diff_id.alg ? p->layer_diff_id.text : "");
    struct vg_digest d;
    vg_digest_of(&d, VG_DIGEST_SHA256, key, strlen(key));
    char uid[17];
    memcpy(uid, vg_digest_hex(&d), 16);
    uid[16] = '\0';
    vg_json_set_str(ident, "UID", uid);
    return ident;
}

static json_t *
strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_string(v[i]));
    }
    return a;
}

/* Trivy's CVSS map: source → V2Vector/V3Vector/V40Vector and their scores. */
static json_t *
cvss_json(const struct vg_vuln_finding *f)
{
    json_t *cv = json_object();
    for (size_t i = 0; i < f->ncvss; i++) {
        const struct vg_vuln_cvss *c = &f->cvss[i];
        json_t *src = json_object();
        vg_json_set_str(src, "V2Vector", c->v2_vector);
        vg_json_set_str(src, "V3Vector", c->v3_vector);
        vg_json_set_str(src, "V40Vector", c->v40_vector);
        if (c->v2_vector) {
            json_object_set_new(src, "V2Score", json_real(c->v2_score));
        }
        if (c->v3_vector) {
            json_object_set_new(src, "V3Score", json_real(c->v3_score));
        }
        if (c->v40_vector) {
            json_object_set_new(src, "V40Score", json_real(c->v40_score));
        }
        json_object_set_new(cv, c->source, src);
    }
    return cv;
}

static json_t *
vuln_json(const struct vg_scan_report *r, const struct vg_vuln_finding *f)
{
    const struct vg_pkg *p = &r->inv->pkgs[f->pkg];
    json_t *o = json_object();
    vg_json_set_str(o, "VulnerabilityID", f->vuln_id);
    vg_json_set_take(o, "Aliases", strv_json(f->aliases, f->naliases));
    vg_autofree char *pkgid = vg_fmt("%s@%s", p->name, p->version ? p->version : "");
    vg_json_set_str(o, "PkgID", pkgid);
    vg_json_set_str(o, "PkgName", p->name);
    if (p->type == VG_PKG_LIBRARY && p->path) {
        vg_json_set_str(o, "PkgPath", p->path);
    }
    json_object_set_new(o, "PkgIdentifier", pkg_ident_json(p));
    vg_json_set_str(o, "InstalledVersion", p->version);
    vg_json_set_str(o, "FixedVersion", f->fixed_version);
    vg_json_set_str(o, "Status", f->status);
    json_object_set_new(o, "Layer", pkg_layer_json(p));
    vg_json_set_str(o, "SeveritySource", f->severity_source);
    vg_json_set_str(o, "PrimaryURL", f->primary_url);
    if (f->upstream) {
        json_t *ds = json_object();
        vg_json_set_str(ds, "ID", f->upstream->id);
        vg_json_set_str(ds, "Name", f->upstream->name);
        vg_json_set_str(ds, "URL", f->upstream->url);
        json_object_set_new(o, "DataSource", ds);
    }
    vg_json_set_str(o, "Title", f->title);
    vg_json_set_str(o, "Description", f->description);
    vg_json_set_str(o, "Severity", vg_vulndb_severity_name(f->severity));
    if (f->ncwe_ids) {
        vg_json_set_take(o, "CweIDs", strv_json(f->cwe_ids, f->ncwe_ids));
    }
    if (f->nvendor_severity) {
        json_t *vs = json_object();
        for (size_t i = 0; i < f->nvendor_severity; i++) {
            /* Trivy's numbers: LOW 1, MEDIUM 2, HIGH 3, CRITICAL 4. */
            json_object_set_new(vs, f->vendor_severity[i].source,
                                json_integer(f->vendor_severity[i].severity - VG_SEV_NONE));
        }
        json_object_set_new(o, "VendorSeverity", vs);
    }
    if (f->ncvss) {
        json_object_set_new(o, "CVSS", cvss_json(f));
    }
    vg_json_set_take(o, "References", strv_json(f->refs, f->nrefs));
    vg_json_set_str(o, "PublishedDate", f->published);
    vg_json_set_str(o, "LastModifiedDate", f->modified);
    return o;
}

static json_t *
modified(const char *type, const char *by, json_t *finding)
{
    json_t *m = json_object();
    vg_json_set_str(m, "Type", type);
    bool vex = vg_cstr_startswith(by, "vex: ");
    vg_json_set_str(m, "Status", vex ? "not_affected" : "ignored");
    bool stated = vg_cstr_startswith(by, "ignorefile: ");
    bool inline_comment = vg_cstr_startswith(by, "inline: ");
    vg_json_set_str(m, "Statement",
                    vex              ? by + 5
                    : stated         ? by + strlen("ignorefile: ")
                    : inline_comment ? by + strlen("inline: ")
                                     : "listed in the ignore file");
    vg_json_set_str(m, "Source",
                    vex              ? "OpenVEX"
                    : inline_comment ? "inline comment"
                                     : "ignorefile");
    json_object_set_new(m, "Finding", finding);
    return m;
}

static json_t *
result_new(const char *target, const char *klass, const char *type)
{
    json_t *o = json_object();
    vg_json_set_str(o, "Target", target);
    vg_json_set_str(o, "Class", klass);
    vg_json_set_str(o, "Type", type);
    return o;
}

static void
append_to(json_t *result, const char *key, json_t *item)
{
    json_t *a = json_object_get(result, key);
    if (!a) {
        a = json_array();
        json_object_set_new(result, key, a);
    }
    json_array_append_new(a, item);
}

/* Key under which a package's findings are grouped, and the result's target/type. */
static void
pkg_target(const struct vg_scan_report *r, const struct vg_pkg *p, char **target,
           const char **klass, const char **type)
{
    const char *t = vg_scan_pkg_type(p);
    if (p->type == VG_PKG_OS) {
        *klass = "os-pkgs";
        *type = r->os_family ? r->os_family : "unknown";
        *target = vg_fmt("%s (%s %s)", r->artifact, r->os_family ? r->os_family : "unknown",
                         r->os_version ? r->os_version : "");
        return;
    }
    *klass = "lang-pkgs";
    *type = t;
    static const struct {
        const char *type, *target;
    } fixed[] = {
        {"python-pkg", "Python"}, {"node-pkg", "Node.js"}, {"jar", "Java"}, {"gemspec", "Ruby"}};
    for (size_t i = 0; i < VG_ARRAY_LEN(fixed); i++) {
        if (strcmp(t, fixed[i].type) == 0) {
            *target = vg_strdup(fixed[i].target);
            return;
        }
    }
    *target = vg_strdup(p->path ? p->path : t);
}

static json_t *
find_result(json_t *results, const char *target, const char *klass)
{
    size_t i;
    json_t *res;
    json_array_foreach (results, i, res) {
        if (strcmp(vg_json_str(res, "Target"), target) == 0 &&
            strcmp(vg_json_str(res, "Class"), klass) == 0) {
            return res;
        }
    }
    return NULL;
}

static json_t *
get_result(json_t *results, const char *target, const char *klass, const char *type)
{
    json_t *res = find_result(results, target, klass);
    if (!res) {
        res = result_new(target, klass, type);
        json_array_append_new(results, res);
    }
    return res;
}

/* Trivy's Package (--list-all-pkgs). */
static json_t *
package_json(const struct vg_pkg *p)
{
    json_t *o = json_object();
    vg_autofree char *id = vg_fmt("%s@%s", p->name, p->version ? p->version : "");
    vg_json_set_str(o, "ID", id);
    vg_json_set_str(o, "Name", p->name);
    json_object_set_new(o, "Identifier", pkg_ident_json(p));
    vg_json_set_str(o, "Version", p->version);
    vg_json_set_str(o, "Arch", p->arch);
    vg_json_set_str(o, "SrcName", p->src_name);
    vg_json_set_str(o, "SrcVersion", p->src_version);
    if (p->nlicenses) {
        vg_json_set_take(o, "Licenses", strv_json(p->licenses, p->nlicenses));
    }
    if (p->type == VG_PKG_LIBRARY && p->path) {
        vg_json_set_str(o, "FilePath", p->path);
    }
    json_object_set_new(o, "Layer", pkg_layer_json(p));
    return o;
}

static void
add_vulns(json_t *results, const struct vg_scan_report *r)
{
    /* Every package class present gets a result, with or without findings (as Trivy). */
    for (size_t i = 0; r->inv && i < r->inv->npkgs; i++) {
        char *target;
        const char *klass, *type;
        pkg_target(r, &r->inv->pkgs[i], &target, &klass, &type);
        json_t *res = get_result(results, target, klass, type);
        free(target);
        if (r->list_all_pkgs) {
            append_to(res, "Packages", package_json(&r->inv->pkgs[i]));
        }
    }
    for (size_t i = 0; i < r->nvulns; i++) {
        const struct vg_vuln_finding *f = &r->vulns[i];
        char *target;
        const char *klass, *type;
        pkg_target(r, &r->inv->pkgs[f->pkg], &target, &klass, &type);
        json_t *res = get_result(results, target, klass, type);
        free(target);
        if (f->suppressed_by) {
            append_to(res, "ModifiedFindings",
                      modified("vulnerability", f->suppressed_by, vuln_json(r, f)));
        } else {
            append_to(res, "Vulnerabilities", vuln_json(r, f));
        }
    }
}

/* The detector masks the whole secret inside the line; show it the way users recognise a
 * key, with its first and last four characters (AKIA************LMRT), which the detector
 * keeps in `secret` for secrets long enough to spare them. */
static char *
display_match(const struct vg_secret_finding *f)
{
    if (!f->match) {
        return NULL;
    }
    size_t n = f->secret ? strlen(f->secret) : 0;
    const char *run = NULL;
    for (const char *p = f->match; n && *p; p++) {
        size_t k = 0;
        while (p[k] == '*') {
            k++;
        }
        if (k == n) {
            run = p;
            break;
        }
        p += k ? k - 1 : 0;
    }
    if (!run) {
        return vg_strdup(f->match);
    }
    return vg_fmt("%.*s%s%s", (int)(run - f->match), f->match, f->secret, run + n);
}

static json_t *
secret_json(const struct vg_scan_report *r, const struct vg_scan_secret *s)
{
    vg_autofree char *match = display_match(&s->f);
    json_t *o = json_object();
    vg_json_set_str(o, "RuleID", s->f.rule_id);
    vg_json_set_str(o, "Category", s->f.category);
    vg_json_set_str(o, "Severity", vg_scan_severity_name(s->f.severity));
    vg_json_set_str(o, "Title", s->f.title);
    json_object_set_new(o, "StartLine", json_integer((json_int_t)s->f.start_line));
    json_object_set_new(o, "EndLine", json_integer((json_int_t)s->f.end_line));
    json_t *line = json_object();
    json_object_set_new(line, "Number", json_integer((json_int_t)s->f.start_line));
    vg_json_set_str(line, "Content", match);
    json_object_set_new(line, "IsCause", json_true());
    json_object_set_new(line, "FirstCause", json_true());
    json_object_set_new(line, "LastCause", json_true());
    json_t *lines = json_array();
    json_array_append_new(lines, line);
    json_t *code = json_object();
    json_object_set_new(code, "Lines", lines);
    json_object_set_new(o, "Code", code);
    vg_json_set_str(o, "Match", match);
    json_object_set_new(o, "Layer", layer_json(r, s->layer));
    return o;
}

static void
add_secrets(json_t *results, const struct vg_scan_report *r)
{
    for (size_t i = 0; i < r->nsecrets; i++) {
        const struct vg_scan_secret *s = &r->secrets[i];
        json_t *res = get_result(results, s->f.path, "secret", NULL);
        if (s->suppressed_by) {
            append_to(res, "ModifiedFindings",
                      modified("secret", s->suppressed_by, secret_json(r, s)));
        } else {
            append_to(res, "Secrets", secret_json(r, s));
        }
    }
}

static void
add_models(json_t *results, const struct vg_scan_report *r)
{
    for (size_t i = 0; i < r->nmodels; i++) {
        const struct vg_scan_model *m = &r->models[i];
        json_t *o = json_object();
        vg_json_set_str(o, "ID", m->f.id);
        vg_json_set_str(o, "Severity", vg_scan_severity_name(m->f.severity));
        vg_json_set_str(o, "Title", m->f.title);
        vg_json_set_str(o, "Message", m->f.message);
        json_object_set_new(o, "Offset", json_integer((json_int_t)m->f.offset));
        json_object_set_new(o, "Layer", layer_json(r, m->layer));
        json_t *res = get_result(results, m->f.path, "model", "model");
        if (m->suppressed_by) {
            append_to(res, "ModifiedFindings", modified("model", m->suppressed_by, o));
        } else {
            append_to(res, "ModelFindings", o);
        }
    }
}

static json_t *
misconf_json(const struct vg_config_finding *c)
{
    /* Checks Trivy also has carry its id, namespace and AVD page; vigil's own stay vigil's. */
    bool ds = strncmp(c->id, "DS", 2) == 0, ksv = strncmp(c->id, "KSV", 3) == 0;
    bool trivy = ds || ksv;
    const char *kind = ksv ? "kubernetes" : "dockerfile";
    json_t *o = json_object();
    vg_json_set_str(o, "Type",
                    c->check_type ? c->check_type
                    : trivy       ? "Dockerfile Security Check"
                                  : "Image config check");
    vg_json_set_str(o, "ID", c->id);
    vg_json_set_str(o, "AVDID", c->avd_id);
    vg_json_set_str(o, "Title", c->title);
    vg_json_set_str(o, "Description", c->description ? c->description : c->title);
    vg_json_set_str(o, "Message", c->message);
    vg_autofree char *ns = trivy ? vg_fmt("builtin.%s.%s", kind, c->id) : NULL;
    vg_json_set_str(o, "Namespace", trivy ? ns : "vigil.config");
    if (trivy && c->target) {
        vg_autofree char *q = vg_fmt("data.%s.deny", ns);
        vg_json_set_str(o, "Query", q);
    }
    vg_json_set_str(o, "Resolution", c->resolution);
    vg_json_set_str(o, "Severity", vg_vulndb_severity_name(c->severity));
    json_t *refs = json_array();
    if (trivy) {
        vg_autofree char *low = vg_strdup(c->id);
        for (char *p = low; *p; p++) {
            *p = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        }
        vg_autofree char *url = vg_fmt("https://avd.aquasec.com/misconfig/%s", low);
        vg_json_set_str(o, "PrimaryURL", url);
        json_array_append_new(refs, json_string(url));
    }
    json_object_set_new(o, "References", refs);
    vg_json_set_str(o, "Status", "FAIL");
    if (c->target) {
        json_object_set_new(o, "Layer", json_object());
        json_t *cause = json_object();
        vg_json_set_str(cause, "Provider",
                        c->file_type && strcmp(c->file_type, "dockerfile") == 0 ? "Dockerfile"
                                                                                : "Kubernetes");
        vg_json_set_str(cause, "Service", "general");
        if (c->start_line) {
            json_object_set_new(cause, "StartLine", json_integer((json_int_t)c->start_line));
            json_object_set_new(cause, "EndLine", json_integer((json_int_t)c->end_line));
        }
        json_object_set_new(o, "CauseMetadata", cause);
    }
    return o;
}

/* The result of a finding's file (a config file), or of the image config; created with an
 * empty summary. */
static json_t *
config_result(json_t *results, const struct vg_scan_report *r, const char *target, const char *type)
{
    vg_autofree char *img = target ? NULL : vg_fmt("%s (image config)", r->artifact);
    json_t *res = find_result(results, target ? target : img, "config");
    if (!res) {
        res = result_new(target ? target : img, "config", type ? type : "dockerfile");
        json_object_set_new(
            res, "MisconfSummary",
            json_pack("{s:i,s:i,s:i}", "Successes", 0, "Failures", 0, "Exceptions", 0));
        json_array_append_new(results, res);
    }
    return res;
}

static void
add_configs(json_t *results, const struct vg_scan_report *r)
{
    /* files checked (vigil config, fs) are listed even when clean, as Trivy does */
    for (size_t i = 0; i < r->nconfig_targets; i++) {
        const struct vg_config_target *t = &r->config_targets[i];
        json_t *res = config_result(results, r, t->path, t->file_type);
        json_object_set_new(json_object_get(res, "MisconfSummary"), "Successes",
                            json_integer((json_int_t)t->successes));
    }
    for (size_t i = 0; i < r->nconfigs; i++) {
        const struct vg_config_finding *c = &r->configs[i];
        json_t *res = config_result(results, r, c->target, c->file_type);
        if (c->suppressed_by) {
            append_to(res, "ModifiedFindings",
                      modified("misconfiguration", c->suppressed_by, misconf_json(c)));
        } else {
            append_to(res, "Misconfigurations", misconf_json(c));
            json_t *sum = json_object_get(res, "MisconfSummary");
            json_object_set_new(
                sum, "Failures",
                json_integer(json_integer_value(json_object_get(sum, "Failures")) + 1));
        }
    }
}

json_t *
vg_report_trivy_json(const struct vg_scan_report *r)
{
    json_t *doc = json_object();
    char ts[32];
    vg_time_rfc3339(ts, sizeof(ts), r->created_at);
    json_object_set_new(doc, "SchemaVersion", json_integer(2));
    vg_json_set_str(doc, "CreatedAt", ts);
    vg_json_set_str(doc, "ArtifactName", r->artifact);
    vg_json_set_str(doc, "ArtifactType", r->artifact_type);
    json_t *meta = json_object();
    if (r->os_family) {
        json_t *os = json_object();
        vg_json_set_str(os, "Family", r->os_family);
        vg_json_set_str(os, "Name", r->os_version);
        json_object_set_new(meta, "OS", os);
    }
    if (r->config_digest.alg) {
        vg_json_set_str(meta, "ImageID", r->config_digest.text);
    }
    json_t *diffs = json_array();
    for (size_t i = 0; i < r->nlayers; i++) {
        if (r->layers[i].diff_id.alg) {
            json_array_append_new(diffs, json_string(r->layers[i].diff_id.text));
        }
    }
    json_object_set_new(meta, "DiffIDs", diffs);
    json_object_set_new(meta, "RepoTags", strv_json(r->repo_tags, r->nrepo_tags));
    json_t *rd = json_array();
    if (r->manifest_digest.alg) {
        vg_autofree char *d = vg_fmt("%s@%s", r->artifact, r->manifest_digest.text);
        json_array_append_new(rd, json_string(d));
    }
    json_object_set_new(meta, "RepoDigests", rd);
    if (r->image_config) {
        json_object_set(meta, "ImageConfig", r->image_config);
    }
    json_object_set_new(doc, "Metadata", meta);
    json_t *results = json_array();
    add_vulns(results, r);
    add_configs(results, r);
    add_secrets(results, r);
    add_models(results, r);
    json_object_set_new(doc, "Results", results);
    return doc;
}
