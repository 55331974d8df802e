/* SPDX-License-Identifier: Apache-2.0
 *
 * Report dispatch, deterministic ordering of findings, and the human table: per target,
 * sorted by severity, with a per-severity summary line; colours only when asked (the CLI asks
 * on a TTY).
 */
#include "scan.h"
#include "scan_int.h"

#include <stdlib.h>
#include <string.h>

int
vg_report_format_parse(enum vg_report_format *out, const char *s, struct vg_err **err)
{
    static const struct {
        const char *name;
        enum vg_report_format f;
    } map[] = {{"table", VG_REPORT_TABLE},
               {"json", VG_REPORT_JSON},
               {"sarif", VG_REPORT_SARIF},
               {"cyclonedx", VG_REPORT_CYCLONEDX}};
    for (size_t i = 0; i < VG_ARRAY_LEN(map); i++) {
        if (strcmp(s, map[i].name) == 0) {
            *out = map[i].f;
            return 0;
        }
    }
    return vg_err_set(err, VG_E_USAGE, "unknown format '%s' (want table, json, sarif, cyclonedx)",
                      s);
}

static int
strcmp0(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

/* qsort_r (not qsort with a file-scope context): the registry sorts reports on worker
 * threads. */
static int
cmp_vuln(const void *pa, const void *pb, void *ctx)
{
    const struct vg_scan_report *sort_ctx = ctx;
    const struct vg_vuln_finding *a = pa, *b = pb;
    if (a->severity != b->severity) {
        return a->severity > b->severity ? -1 : 1;
    }
    const struct vg_pkg *x = &sort_ctx->inv->pkgs[a->pkg], *y = &sort_ctx->inv->pkgs[b->pkg];
    int c = strcmp0(x->name, y->name);
    if (!c) {
        c = strcmp0(x->path, y->path);
    }
    return c ? c : strcmp0(a->vuln_id, b->vuln_id);
}

static int
cmp_secret(const void *pa, const void *pb)
{
    const struct vg_scan_secret *a = pa, *b = pb;
    int c = strcmp0(a->f.path, b->f.path);
    if (c) {
        return c;
    }
    if (a->f.start_line != b->f.start_line) {
        return a->f.start_line < b->f.start_line ? -1 : 1;
    }
    c = strcmp0(a->f.rule_id, b->f.rule_id);
    if (c) {
        return c;
    }
    /* The same file in several layers: layers are walked in parallel, so order by layer. */
    return a->layer < b->layer ? -1 : a->layer > b->layer;
}

static int
cmp_model(const void *pa, const void *pb)
{
    const struct vg_scan_model *a = pa, *b = pb;
    int c = strcmp0(a->f.path, b->f.path);
    if (c) {
        return c;
    }
    if (a->f.offset != b->f.offset) {
        return a->f.offset < b->f.offset ? -1 : 1;
    }
    c = strcmp0(a->f.id, b->f.id);
    return c ? c : (a->layer < b->layer ? -1 : a->layer > b->layer);
}

void
vg_scan_report_sort(struct vg_scan_report *r)
{
    if (r->nvulns) {
        qsort_r(r->vulns, r->nvulns, sizeof(*r->vulns), cmp_vuln, r);
    }
    if (r->nsecrets) {
        vg_qsort(r->secrets, r->nsecrets, sizeof(*r->secrets), cmp_secret);
    }
    if (r->nmodels) {
        vg_qsort(r->models, r->nmodels, sizeof(*r->models), cmp_model);
    }
}

/* ---------------------------------------------------------------- table */

static const char *
sev_color(const char *sev)
{
    if (strcmp(sev, "CRITICAL") == 0) {
        return "\033[1;31m";
    }
    if (strcmp(sev, "HIGH") == 0) {
        return "\033[31m";
    }
    if (strcmp(sev, "MEDIUM") == 0) {
        return "\033[33m";
    }
    if (strcmp(sev, "LOW") == 0) {
        return "\033[34m";
    }
    return "\033[36m";
}

static void
print_sev(FILE *f, const char *sev, bool color, int width)
{
    if (color) {
        fprintf(f, "%s%-*s\033[0m", sev_color(sev), width, sev);
    } else {
        fprintf(f, "%-*s", width, sev);
    }
}

static void
summary_line(FILE *f, json_t *items, const char *sevkey)
{
    static const char *names[] = {"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
    size_t counts[5] = {0}, total = 0, i;
    json_t *it;
    json_array_foreach (items, i, it) {
        const char *s = vg_json_str(it, sevkey);
        for (size_t k = 0; s && k < 5; k++) {
            if (strcmp(s, names[k]) == 0) {
                counts[k]++;
            }
        }
        total++;
    }
    fprintf(f, "Total: %zu (UNKNOWN: %zu, LOW: %zu, MEDIUM: %zu, HIGH: %zu, CRITICAL: %zu)\n\n",
            total, counts[0], counts[1], counts[2], counts[3], counts[4]);
}

static void
header(FILE *f, const char *target, const char *type)
{
    target = target ? target : "";
    size_t n = strlen(target) + (type && !strchr(target, '(') ? strlen(type) + 3 : 0);
    fprintf(f, "\n%s", target);
    if (type && !strchr(target, '(')) {
        fprintf(f, " (%s)", type);
    }
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) {
        fputc('=', f);
    }
    fputc('\n', f);
}

/* A cell `width` wide; a negative width is the last column: truncated the same, never padded
 * (no trailing spaces). */
static void
trunc_print(FILE *f, const char *s, int width)
{
    char buf[256];
    bool last = width < 0;
    width = last ? -width : width;
    size_t n = s ? strlen(s) : 0;
    if (n > (size_t)width && width > 3) {
        snprintf(buf, sizeof(buf), "%.*s...", width - 3, s);
        fprintf(f, "%-*s", last ? 0 : width, buf);
    } else {
        fprintf(f, "%-*s", last ? 0 : width, s ? s : "");
    }
}

static int
sev_rank(const char *s)
{
    static const char *const order[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};
    for (int i = 0; s && i < (int)VG_ARRAY_LEN(order); i++) {
        if (strcmp(s, order[i]) == 0) {
            return i;
        }
    }
    return (int)VG_ARRAY_LEN(order);
}

static int
strcmp_null(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

/* Table rows as Trivy's: most severe first, then by package and id. */
static int
row_cmp(const void *pa, const void *pb)
{
    json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int d = sev_rank(vg_json_str(a, "Severity")) - sev_rank(vg_json_str(b, "Severity"));
    if (d == 0) {
        d = strcmp_null(vg_json_str(a, "PkgName"), vg_json_str(b, "PkgName"));
    }
    return d ? d
             : strcmp_null(vg_json_str(a, "VulnerabilityID"), vg_json_str(b, "VulnerabilityID"));
}

static void
table_vulns(FILE *f, json_t *res, bool color)
{
    json_t *vulns = json_object_get(res, "Vulnerabilities");
    header(f, vg_json_str(res, "Target"), vg_json_str(res, "Type"));
    if (!vulns) {
        fprintf(f, "Total: 0 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0)\n\n");
        return;
    }
    summary_line(f, vulns, "Severity");
    fprintf(f, "%-22s %-20s %-9s %-12s %-22s %-22s %s\n", "Library", "Vulnerability", "Severity",
            "Status", "Installed Version", "Fixed Version", "Title");
    size_t n = json_array_size(vulns);
    json_t **rows = vg_calloc(n ? n : 1, sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        rows[i] = json_array_get(vulns, i);
    }
    vg_qsort(rows, n, sizeof(*rows), row_cmp);
    for (size_t i = 0; i < n; i++) {
        json_t *v = rows[i];
        trunc_print(f, vg_json_str(v, "PkgName"), 22);
        fputc(' ', f);
        trunc_print(f, vg_json_str(v, "VulnerabilityID"), 20);
        fputc(' ', f);
        print_sev(f, vg_json_str(v, "Severity"), color, 9);
        fputc(' ', f);
        trunc_print(f, vg_json_str(v, "Status"), 12);
        fputc(' ', f);
        trunc_print(f, vg_json_str(v, "InstalledVersion"), 22);
        fputc(' ', f);
        trunc_print(f, vg_json_str(v, "FixedVersion"), 22);
        const char *t = vg_json_str(v, "Title");
        t = t && t[0] ? t : vg_json_str(v, "PrimaryURL");
        if (t && t[0]) {
            fputc(' ', f);
            trunc_print(f, t, -60);
        }
        fputc('\n', f);
    }
    free(rows);
}

static void
table_list(FILE *f, json_t *res, const char *key, const char *idkey, const char *msgkey, bool color)
{
    json_t *items = json_object_get(res, key);
    if (!items) {
        return;
    }
    header(f, vg_json_str(res, "Target"), vg_json_str(res, "Class"));
    summary_line(f, items, "Severity");
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it) {
        print_sev(f, vg_json_str(it, "Severity"), color, 9);
        const char *id = vg_json_str(it, idkey), *title = vg_json_str(it, "Title");
        if (title && title[0]) {
            fprintf(f, " %-24s %s", id ? id : "", title);
        } else {
            fprintf(f, " %s", id ? id : "");
        }
        json_t *line = json_object_get(it, "StartLine");
        if (json_is_integer(line)) {
            fprintf(f, " (line %lld)", (long long)json_integer_value(line));
        }
        fputc('\n', f);
        const char *msg = vg_json_str(it, msgkey);
        if (msg) {
            fprintf(f, "          %s\n", msg);
        }
    }
    fputc('\n', f);
}

static int
write_table(FILE *f, const struct vg_scan_report *r, const struct vg_report_opts *o,
            struct vg_err **err)
{
    json_t *doc = vg_report_trivy_json(r);
    json_t *results = json_object_get(doc, "Results");
    size_t i;
    json_t *res;
    bool color = o && o->color;
    json_array_foreach (results, i, res) {
        const char *klass = vg_json_str(res, "Class");
        if (strcmp(klass, "os-pkgs") == 0 || strcmp(klass, "lang-pkgs") == 0) {
            table_vulns(f, res, color);
        } else if (strcmp(klass, "secret") == 0) {
            table_list(f, res, "Secrets", "RuleID", "Match", color);
        } else if (strcmp(klass, "model") == 0) {
            table_list(f, res, "ModelFindings", "ID", "Message", color);
        } else if (strcmp(klass, "config") == 0) {
            table_list(f, res, "Misconfigurations", "ID", "Message", color);
        }
    }
    json_decref(doc);
    if (ferror(f)) {
        return vg_err_sys(err, VG_E_IO, "write report");
    }
    return 0;
}

int
vg_report_write(FILE *f, const struct vg_scan_report *r, enum vg_report_format fmt,
                const struct vg_report_opts *o, struct vg_err **err)
{
    json_t *doc = NULL;
    switch (fmt) {
    case VG_REPORT_TABLE:
        return write_table(f, r, o, err);
    case VG_REPORT_JSON:
        doc = vg_report_trivy_json(r);
        break;
    case VG_REPORT_SARIF:
        doc = vg_report_sarif(r);
        break;
    case VG_REPORT_CYCLONEDX:
        doc = vg_report_cyclonedx(r);
        break;
    }
    if (!doc) {
        return vg_err_set(err, VG_E_INTERNAL, "unknown report format");
    }
    /* Streamed to the FILE: a report with thousands of findings is megabytes of JSON, and
     * dumping it to one string first doubled the memory and the copying. Same flags as
     * vg_json_dump(pretty). */
    bool ok =
        json_dumpf(doc, f, JSON_PRESERVE_ORDER | JSON_INDENT(2)) == 0 && fputc('\n', f) != EOF;
    json_decref(doc);
    if (!ok) {
        return vg_err_sys(err, VG_E_IO, "write JSON report");
    }
    return 0;
}
