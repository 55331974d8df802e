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
header(FILE *f, const char *target, const char *type, unsigned width)
{
    target = target ? target : "";
    size_t n = strlen(target) + (type && !strchr(target, '(') ? strlen(type) + 3 : 0);
    n = width && n > width ? width : n;
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

/* Columns s takes: code points (an invalid byte counts as one). */
static size_t
text_cols(const char *s)
{
    size_t cols = 0, len = strlen(s);
    for (size_t i = 0; i < len; cols++) {
        size_t k = vg_utf8_seq_len((const uint8_t *)s + i, len - i);
        i += k ? k : 1;
    }
    return cols;
}

/* Bytes of the longest prefix of s that takes at most cols columns (never half a character). */
static size_t
prefix_bytes(const char *s, size_t cols)
{
    size_t i = 0, len = strlen(s);
    for (size_t c = 0; c < cols && i < len; c++) {
        size_t k = vg_utf8_seq_len((const uint8_t *)s + i, len - i);
        i += k ? k : 1;
    }
    return i;
}

/* A cell `width` columns wide, cut with "..." when longer; the last cell of a line is never
 * padded (no trailing spaces). */
static void
cell(FILE *f, const char *s, size_t width, bool last)
{
    s = s ? s : "";
    size_t n = text_cols(s);
    if (n > width) {
        size_t keep = width > 3 ? width - 3 : width;
        fwrite(s, 1, prefix_bytes(s, keep), f);
        fputs(width > 3 ? "..." : "", f);
        n = width;
    } else {
        fputs(s, f);
    }
    for (; !last && n < width; n++) {
        fputc(' ', f);
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

enum { COL_PKG, COL_ID, COL_SEV, COL_STATUS, COL_INSTALLED, COL_FIXED, COL_TITLE, NCOLS };
static const char *const COL_HEAD[NCOLS] = {"Library", "Vulnerability",     "Severity",
                                            "Status",  "Installed Version", "Fixed Version",
                                            "Title"};
static const char *const COL_KEY[NCOLS] = {
    "PkgName", "VulnerabilityID", "Severity", "Status", "InstalledVersion", "FixedVersion", NULL};

static const char *
row_text(json_t *v, int col)
{
    if (col != COL_TITLE) {
        return vg_json_str(v, COL_KEY[col]);
    }
    const char *t = vg_json_str(v, "Title");
    return t && t[0] ? t : vg_json_str(v, "PrimaryURL");
}

/* Column widths for a terminal `width` columns wide: each column as wide as its longest cell,
 * then narrowed in this order down to these minimums until the line fits (the title last goes
 * away). Without a terminal the widths are fixed, whatever the content. */
static void
fit_columns(size_t *w, json_t *const *rows, size_t n, unsigned width)
{
    static const struct {
        int col;
        size_t min;
    } shrink[] = {{COL_TITLE, 10}, {COL_INSTALLED, 10}, {COL_FIXED, 10}, {COL_PKG, 12},
                  {COL_ID, 14},    {COL_STATUS, 6},     {COL_TITLE, 0}};
    size_t total = NCOLS - 1; /* the spaces between columns */
    for (int c = 0; c < NCOLS; c++) {
        w[c] = text_cols(COL_HEAD[c]);
        for (size_t i = 0; i < n; i++) {
            const char *t = row_text(rows[i], c);
            size_t k = t ? text_cols(t) : 0;
            w[c] = k > w[c] ? k : w[c];
        }
        total += w[c];
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(shrink) && total > width; i++) {
        size_t *x = &w[shrink[i].col];
        size_t cut = *x > shrink[i].min ? *x - shrink[i].min : 0;
        cut = cut < total - width ? cut : total - width;
        if (shrink[i].min == 0 && *x > 0) {
            cut = *x + 1; /* the whole column and its space */
        }
        *x -= cut > *x ? *x : cut;
        total -= cut;
    }
}

static void
table_vulns(FILE *f, json_t *res, bool color, unsigned width)
{
    json_t *vulns = json_object_get(res, "Vulnerabilities");
    header(f, vg_json_str(res, "Target"), vg_json_str(res, "Type"), width);
    if (!vulns) {
        fprintf(f, "Total: 0 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0)\n\n");
        return;
    }
    summary_line(f, vulns, "Severity");
    size_t n = json_array_size(vulns);
    json_t **rows = vg_calloc(n ? n : 1, sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        rows[i] = json_array_get(vulns, i);
    }
    vg_qsort(rows, n, sizeof(*rows), row_cmp);
    size_t w[NCOLS] = {22, 20, 9, 12, 22, 22, 60};
    if (width) {
        fit_columns(w, rows, n, width);
    }
    for (int c = 0; c < NCOLS; c++) {
        bool last = c == NCOLS - 1 || (c == COL_FIXED && w[COL_TITLE] == 0);
        cell(f, COL_HEAD[c], w[c], last);
        if (last) {
            break;
        }
        fputc(' ', f);
    }
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) {
        const char *title = w[COL_TITLE] ? row_text(rows[i], COL_TITLE) : NULL;
        bool has_title = title && title[0];
        for (int c = 0; c < COL_TITLE; c++) {
            bool last = c == COL_FIXED && !has_title;
            if (c == COL_SEV) {
                print_sev(f, vg_json_str(rows[i], "Severity"), color, (int)w[c]);
            } else {
                cell(f, row_text(rows[i], c), w[c], last);
            }
            if (!last) {
                fputc(' ', f);
            }
        }
        if (has_title) {
            cell(f, title, w[COL_TITLE], true);
        }
        fputc('\n', f);
    }
    free(rows);
}

/* Secrets, model findings and misconfigurations: a line per finding and its message below,
 * each cut to the terminal's width when there is one. */
static void
table_list(FILE *f, json_t *res, const char *key, const char *idkey, const char *msgkey, bool color,
           unsigned width)
{
    json_t *items = json_object_get(res, key);
    if (!items) {
        return;
    }
    header(f, vg_json_str(res, "Target"), vg_json_str(res, "Class"), width);
    summary_line(f, items, "Severity");
    size_t i;
    json_t *it;
    const size_t indent = 10, room = width > indent ? width - indent : (width ? 1 : SIZE_MAX);
    json_array_foreach (items, i, it) {
        print_sev(f, vg_json_str(it, "Severity"), color, 9);
        const char *id = vg_json_str(it, idkey), *title = vg_json_str(it, "Title");
        vg_autofree char *line = NULL;
        if (title && title[0]) {
            line = vg_fmt("%-24s %s", id ? id : "", title);
        } else {
            line = vg_strdup(id ? id : "");
        }
        json_t *ln = json_object_get(it, "StartLine");
        if (!ln) { /* misconfigurations of config files: Trivy's CauseMetadata */
            ln = json_object_get(json_object_get(it, "CauseMetadata"), "StartLine");
        }
        if (json_is_integer(ln)) {
            char *more = vg_fmt("%s (line %lld)", line, (long long)json_integer_value(ln));
            free(line);
            line = more;
        }
        fputc(' ', f);
        cell(f, line, room, true);
        fputc('\n', f);
        const char *msg = vg_json_str(it, msgkey);
        if (msg) {
            fprintf(f, "%*s", (int)indent, "");
            cell(f, msg, room, true);
            fputc('\n', f);
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
    unsigned width = o ? o->width : 0;
    json_array_foreach (results, i, res) {
        const char *klass = vg_json_str(res, "Class");
        if (strcmp(klass, "os-pkgs") == 0 || strcmp(klass, "lang-pkgs") == 0) {
            table_vulns(f, res, color, width);
        } else if (strcmp(klass, "secret") == 0) {
            table_list(f, res, "Secrets", "RuleID", "Match", color, width);
        } else if (strcmp(klass, "model") == 0) {
            table_list(f, res, "ModelFindings", "ID", "Message", color, width);
        } else if (strcmp(klass, "config") == 0) {
            table_list(f, res, "Misconfigurations", "ID", "Message", color, width);
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
