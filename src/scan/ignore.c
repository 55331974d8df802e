/* SPDX-License-Identifier: Apache-2.0
 *
 * `.vigilignore` parsing (a superset of Trivy's `.trivyignore`): one finding ID per line,
 * `#` comments (whole line, or after whitespace), blank lines, CRLF tolerated, plus two
 * optional vigil/Trivy extensions after the ID: `pkg:NAME` restricts the entry to one package
 * and `exp:YYYY-MM-DD` makes it inactive after that day (UTC). Anything else on a line is an
 * error naming the line, so a typo never silently ignores the wrong thing. OpenVEX lives in
 * ignore_vex.c.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/glob.h"
#include "inventory/inventory.h"

#include "ignore_int.h"

#define IGNORE_MAX_ID 512u

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

bool
vg_scan_ignore_date(struct vg_str s, int64_t *end_of_day)
{
    uint64_t y = 0, m = 0, d = 0;
    if (s.len != 10 || s.ptr[4] != '-' || s.ptr[7] != '-' ||
        vg_parse_u64((struct vg_str){s.ptr, 4}, 9999, &y) < 0 ||
        vg_parse_u64((struct vg_str){s.ptr + 5, 2}, 12, &m) < 0 ||
        vg_parse_u64((struct vg_str){s.ptr + 8, 2}, 31, &d) < 0 || y < 1970 || m < 1 || d < 1) {
        return false;
    }
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) {
        return false;
    }
    *end_of_day = (days_from_civil((int64_t)y, (unsigned)m, (unsigned)d) + 1) * 86400;
    return true;
}

static bool
valid_token(struct vg_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c <= 0x20 || c == 0x7f) {
            return false;
        }
    }
    return s.len > 0 && s.len <= IGNORE_MAX_ID;
}

/* Next whitespace-separated token of *rest. */
static bool
next_token(struct vg_str *rest, struct vg_str *tok)
{
    size_t i = 0;
    while (i < rest->len && (rest->ptr[i] == ' ' || rest->ptr[i] == '\t')) {
        i++;
    }
    size_t s = i;
    while (i < rest->len && rest->ptr[i] != ' ' && rest->ptr[i] != '\t') {
        i++;
    }
    *tok = (struct vg_str){rest->ptr + s, i - s};
    *rest = (struct vg_str){rest->ptr + i, rest->len - i};
    return tok->len > 0;
}

static int
parse_line(struct vg_ignore *out, struct vg_str line, size_t lineno, struct vg_err **err)
{
    /* "#" starts a comment at the line start or after whitespace. */
    for (size_t i = 0; i < line.len; i++) {
        if (line.ptr[i] == '#' && (i == 0 || line.ptr[i - 1] == ' ' || line.ptr[i - 1] == '\t')) {
            line.len = i;
            break;
        }
    }
    struct vg_str rest = vg_str_trim(line), tok;
    if (!next_token(&rest, &tok)) {
        return 0;
    }
    if (!valid_token(tok)) {
        return vg_err_set(err, VG_E_PARSE, "line %zu: invalid ID", lineno);
    }
    struct vg_ignore_entry e = {.id = vg_str_dup(tok), .line = lineno};
    while (next_token(&rest, &tok)) {
        const char *bad = NULL;
        if (vg_str_startswith(tok, "pkg:")) {
            struct vg_str v = {tok.ptr + 4, tok.len - 4};
            bad = e.pkg ? "duplicate pkg:" : !valid_token(v) ? "empty pkg:" : NULL;
            if (!bad) {
                e.pkg = vg_str_dup(v);
            }
        } else if (vg_str_startswith(tok, "exp:")) {
            bad = e.expires ? "duplicate exp:"
                  : !vg_scan_ignore_date((struct vg_str){tok.ptr + 4, tok.len - 4}, &e.expires)
                      ? "exp: wants a valid date YYYY-MM-DD"
                      : NULL;
        } else {
            bad = "unknown field (expected pkg:NAME or exp:YYYY-MM-DD)";
        }
        if (bad) {
            char *t = vg_escape(tok.ptr, tok.len, 64);
            vg_err_set(err, VG_E_PARSE, "line %zu: %s: '%s'", lineno, bad, t);
            free(t);
            vg_scan_ignore_entry_dispose(&e);
            return -(int)VG_E_PARSE;
        }
    }
    vg_scan_ignore_push(out, &e);
    return 0;
}

void
vg_scan_ignore_push(struct vg_ignore *out, struct vg_ignore_entry *e)
{
    out->items = vg_vec_grow(out->items, &out->cap, out->len, 1, sizeof(*out->items));
    out->items[out->len++] = *e;
    memset(e, 0, sizeof(*e));
}

void
vg_scan_ignore_entry_dispose(struct vg_ignore_entry *e)
{
    free(e->id);
    free(e->pkg);
    vg_strv_free(e->paths, e->npaths);
    vg_strv_free(e->purls, e->npurls);
    free(e->statement);
    memset(e, 0, sizeof(*e));
}

int
vg_ignore_parse(struct vg_ignore *out, const void *data, size_t len, struct vg_err **err)
{
    memset(out, 0, sizeof(*out));
    if (len > VG_IGNORE_MAX_BYTES) {
        return vg_err_set(err, VG_E_LIMIT, "ignore file larger than %u bytes", VG_IGNORE_MAX_BYTES);
    }
    struct vg_reader r;
    struct vg_str line;
    size_t lineno = 0;
    int rc;
    vg_reader_init(&r, data, len);
    while ((rc = vg_reader_line(&r, VG_IGNORE_MAX_LINE, &line, err)) > 0) {
        lineno++;
        if (memchr(line.ptr, '\0', line.len)) {
            rc = vg_err_set(err, VG_E_PARSE, "line %zu: NUL byte", lineno);
            break;
        }
        if (line.len && line.ptr[line.len - 1] == '\r') {
            line.len--;
        }
        if ((rc = parse_line(out, line, lineno, err)) < 0) {
            break;
        }
    }
    if (rc < 0) {
        if (vg_err_is(*err, VG_E_LIMIT) && !strstr((*err)->msg, "line ")) {
            vg_err_wrap(err, "line %zu", lineno + 1);
        }
        vg_ignore_dispose(out);
        return -1;
    }
    return 0;
}

/* purl-spec matching as Trivy applies it to `purls`: same type, namespace and name; the
 * entry's version, qualifiers and subpath only when it gives them. */
static bool
purl_matches(const char *entry, const char *finding)
{
    struct vg_purl e, f;
    struct vg_err *err = NULL;
    if (!finding || vg_purl_parse(&e, entry, &err) < 0) {
        vg_err_free(&err);
        return false;
    }
    if (vg_purl_parse(&f, finding, &err) < 0) {
        vg_err_free(&err);
        vg_purl_dispose(&e);
        return false;
    }
    bool ok = strcmp(e.type, f.type) == 0 && strcmp(e.name, f.name) == 0 &&
              (e.ns ? f.ns && strcmp(e.ns, f.ns) == 0 : !f.ns) &&
              (!e.version || (f.version && strcmp(e.version, f.version) == 0)) &&
              (!e.subpath || (f.subpath && strcmp(e.subpath, f.subpath) == 0));
    for (size_t i = 0; ok && i < e.nquals; i++) {
        const char *v = vg_purl_qual(&f, e.quals[i].key);
        ok = v && strcmp(v, e.quals[i].value) == 0;
    }
    vg_purl_dispose(&e);
    vg_purl_dispose(&f);
    return ok;
}

static bool
entry_matches(const struct vg_ignore_entry *e, const struct vg_ignore_query *q, int64_t now)
{
    if (strcmp(e->id, q->id) != 0 || (e->expires && now >= e->expires) ||
        (e->kind != VG_IGNORE_ANY && e->kind != q->kind)) {
        return false;
    }
    if (e->pkg && (!q->pkg || strcmp(e->pkg, q->pkg) != 0)) {
        return false;
    }
    bool path_ok = e->npaths == 0;
    for (size_t i = 0; !path_ok && q->path && i < e->npaths; i++) {
        path_ok = vg_glob_match(e->paths[i], q->path);
    }
    bool purl_ok = e->npurls == 0;
    for (size_t i = 0; path_ok && !purl_ok && i < e->npurls; i++) {
        purl_ok = purl_matches(e->purls[i], q->purl);
    }
    return path_ok && purl_ok;
}

const struct vg_ignore_entry *
vg_ignore_lookup(const struct vg_ignore *ig, const struct vg_ignore_query *q, int64_t now)
{
    for (size_t i = 0; ig && q->id && i < ig->len; i++) {
        if (entry_matches(&ig->items[i], q, now)) {
            return &ig->items[i];
        }
    }
    return NULL;
}

bool
vg_ignore_match(const struct vg_ignore *ig, const char *id, const char *pkg, int64_t now)
{
    struct vg_ignore_query q = {.kind = VG_IGNORE_ANY, .id = id, .pkg = pkg};
    return vg_ignore_lookup(ig, &q, now) != NULL;
}

void
vg_ignore_dispose(struct vg_ignore *ig)
{
    for (size_t i = 0; i < ig->len; i++) {
        vg_scan_ignore_entry_dispose(&ig->items[i]);
    }
    free(ig->items);
    memset(ig, 0, sizeof(*ig));
}

/* Trivy reads --ignorefile as YAML when its name ends in .yaml or .yml. */
static bool
is_yaml(const char *path)
{
    size_t n = strlen(path);
    return (n >= 5 && strcmp(path + n - 5, ".yaml") == 0) ||
           (n >= 4 && strcmp(path + n - 4, ".yml") == 0);
}

static int
ignore_file_add(struct vg_scan_filters *out, const char *path, struct vg_err **err)
{
    vg_autobuf struct vg_buf raw = VG_BUF_INIT(VG_IGNORE_MAX_BYTES);
    struct vg_ignore one;
    if (vg_file_read(&raw, path, VG_IGNORE_MAX_BYTES, err) < 0) {
        return vg_err_wrap(err, "ignore file %s", path);
    }
    if (is_yaml(path)) { /* config/'s errors already start with the file name */
        if (vg_ignore_parse_yaml(&one, path, raw.data, raw.len, err) < 0) {
            return vg_err_wrap(err, "ignore file");
        }
    } else if (vg_ignore_parse(&one, raw.data, raw.len, err) < 0) {
        return vg_err_wrap(err, "ignore file %s", path);
    }
    if (!out->has_ignore) {
        out->ignore = one;
        out->has_ignore = true;
        return 0;
    }
    struct vg_ignore *ig = &out->ignore;
    ig->items = vg_vec_grow(ig->items, &ig->cap, ig->len, one.len, sizeof(*ig->items));
    if (one.len) {
        memcpy(ig->items + ig->len, one.items, one.len * sizeof(*one.items));
    }
    ig->len += one.len;
    free(one.items);
    return 0;
}

int
vg_scan_filters_load(struct vg_scan_filters *out, const struct vg_scan_filter_files *in,
                     struct vg_err **err)
{
    static const char *defaults[] = {".vigilignore", ".trivyignore", ".trivyignore.yaml"};
    memset(out, 0, sizeof(*out));
    int rc = 0;
    if (in->ignorefile) {
        rc = ignore_file_add(out, in->ignorefile, err);
    }
    for (size_t i = 0; rc == 0 && !in->ignorefile && i < VG_ARRAY_LEN(defaults); i++) {
        vg_autofree char *path = vg_fmt("%s/%s", in->dir ? in->dir : ".", defaults[i]);
        /* Absent is the normal case; present but unreadable is an error naming the file. */
        if (access(path, F_OK) == 0) {
            rc = ignore_file_add(out, in->dir ? path : defaults[i], err);
        }
    }
    for (size_t i = 0; rc == 0 && i < in->nvex; i++) {
        vg_autobuf struct vg_buf raw = VG_BUF_INIT(VG_VEX_MAX_BYTES);
        if (vg_file_read(&raw, in->vex[i], VG_VEX_MAX_BYTES, err) < 0) {
            rc = vg_err_wrap(err, "VEX document");
            break;
        }
        if (!out->vex) {
            out->vex = vg_vex_new();
        }
        if (vg_vex_add(out->vex, raw.data, raw.len, err) < 0) {
            rc = vg_err_wrap(err, "VEX document %s", in->vex[i]);
        }
    }
    if (rc < 0) {
        vg_scan_filters_dispose(out);
    }
    return rc;
}

void
vg_scan_filters_dispose(struct vg_scan_filters *f)
{
    if (!f) {
        return;
    }
    vg_ignore_dispose(&f->ignore);
    vg_vex_free(f->vex);
    memset(f, 0, sizeof(*f));
}
